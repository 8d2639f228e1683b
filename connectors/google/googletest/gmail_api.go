package googletest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Gmail scopes, by what they allow (Gmail API reference, "Authorization
// scopes" of each method).
var (
	gmailFullScopes   = []string{"https://mail.google.com/"}
	gmailModifyScopes = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify"}
	gmailBodyScopes   = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/gmail.readonly"}
	gmailSendScopes = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/gmail.compose", "https://www.googleapis.com/auth/gmail.send"}
	gmailLabelScopes = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.metadata",
		"https://www.googleapis.com/auth/gmail.labels"}
	gmailMetadataScopes = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.metadata"}
)

// gmailRoutes adds the Gmail API (gmail.googleapis.com/gmail/v1) to mux.
func (s *Server) gmailRoutes(mux *http.ServeMux) {
	const u = "/gmail/v1/users/{userId}"
	mux.HandleFunc("GET "+u+"/messages", s.handleMessagesList)
	mux.HandleFunc("GET "+u+"/messages/{id}", s.handleMessagesGet)
	mux.HandleFunc("DELETE "+u+"/messages/{id}", s.handleMessagesDelete)
	mux.HandleFunc("POST "+u+"/messages/send", s.handleMessagesSend)
	mux.HandleFunc("POST "+u+"/messages/{id}/modify", s.handleMessagesModify)
	mux.HandleFunc("POST "+u+"/messages/{id}/trash", s.handleMessagesTrash)
	mux.HandleFunc("POST "+u+"/messages/{id}/untrash", s.handleMessagesTrash)
	mux.HandleFunc("GET "+u+"/messages/{messageId}/attachments/{id}", s.handleAttachmentsGet)
	mux.HandleFunc("GET "+u+"/labels", s.handleLabelsList)
	mux.HandleFunc("POST "+u+"/labels", s.handleLabelsCreate)
	mux.HandleFunc("GET "+u+"/history", s.handleHistoryList)
	mux.HandleFunc("GET "+u+"/threads/{id}", s.handleThreadsGet)
	s.gmailDraftRoutes(mux)
}

// gmailUser authorizes a Gmail request and checks its userId ("me" or
// the token's user). It returns the user's subject.
func (s *Server) gmailUser(w http.ResponseWriter, r *http.Request, scopes []string) (Principal, bool) {
	p, ok := s.Authorize(w, r, scopes...)
	if !ok {
		return p, false
	}
	if p.User == nil {
		WriteError(w, http.StatusBadRequest, "failedPrecondition", "Precondition check failed.")
		return p, false
	}
	if id := r.PathValue("userId"); id != "me" && !strings.EqualFold(id, p.User.Email) {
		WriteError(w, http.StatusForbidden, "forbidden", "Delegation denied for "+p.User.Email)
		return p, false
	}
	return p, true
}

func notFound(w http.ResponseWriter) {
	WriteError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
}

func badRequest(w http.ResponseWriter, msg string) {
	WriteError(w, http.StatusBadRequest, "invalidArgument", msg)
}

// lockedBox locks s.mu and returns the principal's user and mailbox; the
// caller unlocks.
func (s *Server) lockedBox(p Principal) (*User, *mailbox) {
	s.mu.Lock()
	u := s.userLocked(p.User.Subject)
	if u == nil { // removed meanwhile: an empty mailbox of its own
		u = &User{Email: p.User.Email, Subject: p.User.Subject}
	}
	return u, s.mailboxLocked(u)
}

// maxResults reads maxResults (default 100, at most 500).
func maxResults(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("maxResults")
	if v == "" {
		return 100, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		badRequest(w, "Invalid value for maxResults: "+v)
		return 0, false
	}
	if n == 0 || n > 500 {
		n = 500
	}
	return n, true
}

func pageToken(kind string, n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(n)))
}

func readPageToken(w http.ResponseWriter, r *http.Request, kind string) (int, bool) {
	t := r.URL.Query().Get("pageToken")
	if t == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	k, v, ok := strings.Cut(string(b), ":")
	n, err2 := strconv.Atoi(v)
	if err != nil || !ok || k != kind || err2 != nil || n < 0 {
		badRequest(w, "Invalid pageToken")
		return 0, false
	}
	return n, true
}

func queryBool(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

// handleMessagesList is users.messages.list: newest first, q in Gmail's
// search syntax, labelIds (all must match), includeSpamTrash, paging.
func (s *Server) handleMessagesList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	scopes := gmailBodyScopes
	if q.Get("q") == "" {
		scopes = gmailMetadataScopes
	}
	p, ok := s.gmailUser(w, r, scopes)
	if !ok {
		return
	}
	limit, ok := maxResults(w, r)
	if !ok {
		return
	}
	offset, ok := readPageToken(w, r, "m")
	if !ok {
		return
	}
	parsed := parseQuery(q.Get("q"))
	lower := strings.ToLower(q.Get("q"))
	spamTrash := queryBool(r, "includeSpamTrash")
	for _, l := range q["labelIds"] {
		spamTrash = spamTrash || l == "SPAM" || l == "TRASH"
	}
	for _, k := range []string{"in:trash", "in:spam", "in:anywhere", "label:trash", "label:spam"} {
		spamTrash = spamTrash || strings.Contains(lower, k)
	}

	_, mb := s.lockedBox(p)
	var hits []*StoredMessage
	for _, m := range mb.msgs {
		if !spamTrash && (slices.Contains(m.LabelIDs, "SPAM") || slices.Contains(m.LabelIDs, "TRASH")) {
			continue
		}
		if slices.ContainsFunc(q["labelIds"], func(l string) bool { return !slices.Contains(m.LabelIDs, l) }) {
			continue
		}
		d := s.docLocked(mb, m)
		if !parsed.match(&d) {
			continue
		}
		hits = append(hits, m)
	}
	s.mu.Unlock()
	sortNewestFirst(hits)

	out := map[string]any{"resultSizeEstimate": len(hits)}
	var list []map[string]string
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		list = append(list, map[string]string{"id": hits[i].ID, "threadId": hits[i].ThreadID})
	}
	if list != nil {
		out["messages"] = list
	}
	if offset+limit < len(hits) {
		out["nextPageToken"] = pageToken("m", offset+limit)
	}
	writeJSON(w, http.StatusOK, out)
}

func sortNewestFirst(ms []*StoredMessage) {
	slices.SortFunc(ms, func(a, b *StoredMessage) int {
		if c := b.InternalDate.Compare(a.InternalDate); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

// messageJSON renders a message in one of Gmail's formats.
func messageJSON(m *StoredMessage, format string, metadataHeaders []string) map[string]any {
	tree, leaves := payloadTree(m.ID, m.Raw)
	out := map[string]any{
		"id":           m.ID,
		"threadId":     m.ThreadID,
		"labelIds":     slices.Clone(m.LabelIDs),
		"snippet":      snippet(leaves),
		"sizeEstimate": len(m.Raw),
		"historyId":    strconv.FormatUint(m.HistoryID, 10),
		"internalDate": strconv.FormatInt(m.InternalDate.UnixMilli(), 10),
	}
	switch format {
	case "raw":
		out["raw"] = base64.URLEncoding.EncodeToString(m.Raw)
	case "metadata":
		hs := tree.Headers
		if len(metadataHeaders) > 0 {
			hs = slices.DeleteFunc(slices.Clone(hs), func(h Header) bool {
				return !slices.ContainsFunc(metadataHeaders, func(n string) bool { return strings.EqualFold(n, h.Name) })
			})
		}
		out["payload"] = map[string]any{"partId": "", "mimeType": tree.MimeType, "filename": "", "headers": hs, "body": partBody{}}
	case "minimal":
	default:
		out["payload"] = tree
	}
	return out
}

func getFormat(w http.ResponseWriter, r *http.Request) (string, bool) {
	f := r.URL.Query().Get("format")
	switch f {
	case "":
		return "full", true
	case "full", "metadata", "minimal", "raw":
		return f, true
	}
	badRequest(w, "Invalid value at 'format' ("+f+")")
	return "", false
}

// handleMessagesGet is users.messages.get.
func (s *Server) handleMessagesGet(w http.ResponseWriter, r *http.Request) {
	format, ok := getFormat(w, r)
	if !ok {
		return
	}
	scopes := gmailBodyScopes
	if format == "metadata" || format == "minimal" {
		scopes = gmailMetadataScopes
	}
	p, ok := s.gmailUser(w, r, scopes)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		badRequest(w, "Invalid id value")
		return
	}
	_, mb := s.lockedBox(p)
	m := mb.msgs[id]
	var out map[string]any
	if m != nil {
		out = messageJSON(m, format, r.URL.Query()["metadataHeaders"])
	}
	s.mu.Unlock()
	if m == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleMessagesDelete is users.messages.delete: gone for good, 204.
func (s *Server) handleMessagesDelete(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailFullScopes)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		badRequest(w, "Invalid id value")
		return
	}
	u, mb := s.lockedBox(p)
	m := mb.msgs[id]
	if m != nil {
		s.deleteLocked(u, mb, m)
	}
	s.mu.Unlock()
	if m == nil {
		notFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleMessagesModify is users.messages.modify.
func (s *Server) handleMessagesModify(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailModifyScopes)
	if !ok {
		return
	}
	var req struct {
		AddLabelIDs    []string `json:"addLabelIds"`
		RemoveLabelIDs []string `json:"removeLabelIds"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		badRequest(w, "Invalid JSON payload received.")
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		badRequest(w, "Invalid id value")
		return
	}
	u, mb := s.lockedBox(p)
	m := mb.msgs[id]
	var err error
	var out map[string]any
	if m != nil {
		// Only ids are accepted here, not names.
		for _, l := range append(slices.Clone(req.AddLabelIDs), req.RemoveLabelIDs...) {
			if !mb.isLabelID(l) {
				err = errInvalidLabel(l)
			}
		}
		if err == nil {
			err = s.modifyLocked(u, mb, m, req.AddLabelIDs, req.RemoveLabelIDs)
		}
		out = map[string]any{"id": m.ID, "threadId": m.ThreadID, "labelIds": slices.Clone(m.LabelIDs)}
	}
	s.mu.Unlock()
	switch {
	case m == nil:
		notFound(w)
	case err != nil:
		badRequest(w, strings.TrimPrefix(err.Error(), "googletest: "))
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

type errInvalidLabel string

func (e errInvalidLabel) Error() string { return "Invalid label: " + string(e) }

func (mb *mailbox) isLabelID(id string) bool {
	return slices.ContainsFunc(systemLabels, func(l Label) bool { return l.ID == id }) ||
		slices.ContainsFunc(mb.userLabels, func(l Label) bool { return l.ID == id })
}

// handleMessagesTrash is users.messages.trash (adds TRASH, removes INBOX
// and SPAM) and users.messages.untrash (removes TRASH, puts the message
// back in the inbox unless it is only a sent message).
func (s *Server) handleMessagesTrash(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailModifyScopes)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		badRequest(w, "Invalid id value")
		return
	}
	u, mb := s.lockedBox(p)
	m := mb.msgs[id]
	var out map[string]any
	if m != nil {
		if strings.HasSuffix(r.URL.Path, "/untrash") {
			var add []string
			if !slices.Contains(m.LabelIDs, "SENT") || slices.Contains(m.LabelIDs, "UNREAD") {
				add = []string{"INBOX"}
			}
			_ = s.modifyLocked(u, mb, m, add, []string{"TRASH"})
		} else {
			_ = s.modifyLocked(u, mb, m, []string{"TRASH"}, []string{"INBOX", "SPAM"})
		}
		out = map[string]any{"id": m.ID, "threadId": m.ThreadID, "labelIds": slices.Clone(m.LabelIDs)}
	}
	s.mu.Unlock()
	if m == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleAttachmentsGet is users.messages.attachments.get.
func (s *Server) handleAttachmentsGet(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailBodyScopes)
	if !ok {
		return
	}
	mid, aid := r.PathValue("messageId"), r.PathValue("id")
	if !validID(mid) {
		badRequest(w, "Invalid id value")
		return
	}
	_, mb := s.lockedBox(p)
	m := mb.msgs[mid]
	var raw []byte
	if m != nil {
		raw = m.Raw
	}
	s.mu.Unlock()
	if m == nil {
		notFound(w)
		return
	}
	_, leaves := payloadTree(mid, raw)
	for _, l := range leaves {
		if l.attachmentID != "" && l.attachmentID == aid {
			writeJSON(w, http.StatusOK, partBody{AttachmentID: aid, Size: len(l.data), Data: base64.URLEncoding.EncodeToString(l.data)})
			return
		}
	}
	badRequest(w, "Invalid attachment token")
}

func labelJSON(l Label) map[string]any {
	out := map[string]any{"id": l.ID, "name": l.Name, "type": l.Type}
	if l.Type == "user" {
		out["messageListVisibility"] = "show"
		out["labelListVisibility"] = "labelShow"
	}
	return out
}

// handleLabelsList is users.labels.list: the system labels, then the
// user's.
func (s *Server) handleLabelsList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailLabelScopes)
	if !ok {
		return
	}
	_, mb := s.lockedBox(p)
	var list []map[string]any
	for _, l := range systemLabels {
		list = append(list, labelJSON(l))
	}
	for _, l := range mb.userLabels {
		list = append(list, labelJSON(l))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"labels": list})
}

// handleLabelsCreate is users.labels.create (409 when the name exists).
func (s *Server) handleLabelsCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/gmail.labels"})
	if !ok {
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil || strings.TrimSpace(req.Name) == "" {
		badRequest(w, "Invalid label name")
		return
	}
	_, mb := s.lockedBox(p)
	_, err := mb.labelIDLocked(req.Name, false)
	exists := err == nil
	var l Label
	if !exists {
		id, _ := mb.labelIDLocked(req.Name, true)
		l = Label{ID: id, Name: req.Name, Type: "user"}
	}
	s.mu.Unlock()
	if exists {
		WriteError(w, http.StatusConflict, "aborted", "Label name exists or conflicts")
		return
	}
	writeJSON(w, http.StatusOK, labelJSON(l))
}

// handleHistoryList is users.history.list: the records after
// startHistoryId (404 when it is older than the history kept, see
// ExpireHistory), filtered by historyTypes and labelId, with paging, and
// the mailbox's current historyId.
func (s *Server) handleHistoryList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailMetadataScopes)
	if !ok {
		return
	}
	q := r.URL.Query()
	start, err := strconv.ParseUint(q.Get("startHistoryId"), 10, 64)
	if err != nil {
		badRequest(w, "Invalid startHistoryId")
		return
	}
	for _, t := range q["historyTypes"] {
		switch t {
		case "messageAdded", "messageDeleted", "labelAdded", "labelRemoved":
		default:
			badRequest(w, "Invalid value at 'history_types' ("+t+")")
			return
		}
	}
	limit, ok := maxResults(w, r)
	if !ok {
		return
	}
	offset, ok := readPageToken(w, r, "h")
	if !ok {
		return
	}
	labelID := q.Get("labelId")
	_, mb := s.lockedBox(p)
	if start < mb.oldest {
		s.mu.Unlock()
		notFound(w)
		return
	}
	current := mb.historyID
	var recs []historyRecord
	for _, h := range mb.history {
		if h.id <= start {
			continue
		}
		if len(q["historyTypes"]) > 0 && !slices.Contains(q["historyTypes"], h.kind) {
			continue
		}
		if labelID != "" && !slices.Contains(h.labels, labelID) && !slices.Contains(h.changed, labelID) {
			continue
		}
		recs = append(recs, h)
	}
	s.mu.Unlock()

	out := map[string]any{"historyId": strconv.FormatUint(current, 10)}
	var list []map[string]any
	for i := offset; i < len(recs) && i < offset+limit; i++ {
		h := recs[i]
		msg := map[string]any{"id": h.msgID, "threadId": h.thread}
		full := map[string]any{"id": h.msgID, "threadId": h.thread, "labelIds": h.labels}
		rec := map[string]any{"id": strconv.FormatUint(h.id, 10), "messages": []any{msg}}
		switch h.kind {
		case "messageAdded":
			rec["messagesAdded"] = []any{map[string]any{"message": full}}
		case "messageDeleted":
			rec["messagesDeleted"] = []any{map[string]any{"message": full}}
		case "labelAdded":
			rec["labelsAdded"] = []any{map[string]any{"message": full, "labelIds": h.changed}}
		case "labelRemoved":
			rec["labelsRemoved"] = []any{map[string]any{"message": full, "labelIds": h.changed}}
		}
		list = append(list, rec)
	}
	if list != nil {
		out["history"] = list
	}
	if offset+limit < len(recs) {
		out["nextPageToken"] = pageToken("h", offset+limit)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleThreadsGet is users.threads.get: the thread's messages, oldest
// first, in the requested format.
func (s *Server) handleThreadsGet(w http.ResponseWriter, r *http.Request) {
	format, ok := getFormat(w, r)
	if !ok {
		return
	}
	if format == "raw" {
		badRequest(w, "Invalid value at 'format' (raw)")
		return
	}
	p, ok := s.gmailUser(w, r, gmailBodyScopes)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		badRequest(w, "Invalid id value")
		return
	}
	_, mb := s.lockedBox(p)
	var ms []*StoredMessage
	var hid uint64
	for _, m := range mb.msgs {
		if m.ThreadID == id {
			ms = append(ms, m)
			hid = max(hid, m.HistoryID)
		}
	}
	sortNewestFirst(ms)
	slices.Reverse(ms)
	var list []map[string]any
	for _, m := range ms {
		list = append(list, messageJSON(m, format, r.URL.Query()["metadataHeaders"]))
	}
	s.mu.Unlock()
	if len(ms) == 0 {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "historyId": strconv.FormatUint(hid, 10), "messages": list})
}

// handleMessagesSend is users.messages.send with a JSON Message whose raw
// is the RFC 822 message in base64url. As Gmail does, it sets From to the
// sender's address, adds Date and Message-ID when missing, keeps Bcc in
// the sender's copy (labelled SENT) only, and answers the message's id,
// threadId and labelIds. A recipient who is a user of the fake receives
// a copy in the inbox.
func (s *Server) handleMessagesSend(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailSendScopes)
	if !ok {
		return
	}
	var req struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 35<<20)).Decode(&req); err != nil {
		badRequest(w, "Invalid JSON payload received.")
		return
	}
	raw, err := decodeBase64URL(req.Raw)
	if err != nil || len(raw) == 0 {
		badRequest(w, "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
		return
	}
	hs, _ := splitMessage(raw)
	var rcpts []*mail.Address
	for _, h := range []string{"To", "Cc", "Bcc"} {
		if v := hs.get(h); v != "" {
			list, err := mail.ParseAddressList(v)
			if err != nil {
				badRequest(w, "Invalid "+h+" header")
				return
			}
			rcpts = append(rcpts, list...)
		}
	}
	if len(rcpts) == 0 {
		badRequest(w, "Recipient address required")
		return
	}

	u, mb := s.lockedBox(p)
	defer s.mu.Unlock()
	now := s.opts.Now()
	set := map[string]string{"From": (&mail.Address{Name: u.Name, Address: u.Email}).String()}
	if from, err := mail.ParseAddress(hs.get("From")); err == nil && strings.EqualFold(from.Address, u.Email) {
		delete(set, "From") // the sender's own address, kept as written
	}
	if hs.get("Date") == "" {
		set["Date"] = now.Format(time.RFC1123Z)
	}
	mb.seq++
	id := messageID(u.Subject, mb.seq)
	if hs.get("Message-ID") == "" {
		set["Message-ID"] = "<" + id + "@mail.gmail.com>"
	}
	raw = rewriteHeaders(raw, set, nil)
	thread := ""
	if req.ThreadID != "" && validID(req.ThreadID) {
		for _, m := range mb.msgs {
			if m.ThreadID == req.ThreadID {
				thread = req.ThreadID
				break
			}
		}
	}
	if thread == "" {
		thread = mb.threadOfLocked(hs.get("In-Reply-To"), hs.get("References"))
	}
	if thread == "" {
		thread = id
	}
	sent := &StoredMessage{ID: id, ThreadID: thread, LabelIDs: []string{"SENT"}, Raw: raw, InternalDate: now}
	s.addLocked(u, mb, sent)

	delivered := rewriteHeaders(raw, nil, []string{"Bcc"})
	for _, a := range rcpts {
		ru := s.userLocked(a.Address)
		if ru == nil || ru.Subject == u.Subject {
			continue
		}
		rmb := s.mailboxLocked(ru)
		if _, dup := rmb.msgs[id]; dup {
			continue
		}
		rthread := rmb.threadOfLocked(hs.get("In-Reply-To"), hs.get("References"))
		if rthread == "" {
			rthread = id
		}
		s.addLocked(ru, rmb, &StoredMessage{ID: id, ThreadID: rthread, LabelIDs: []string{"INBOX", "UNREAD"}, Raw: delivered, InternalDate: now})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "threadId": thread, "labelIds": []string{"SENT"}})
}

// decodeBase64URL accepts base64url with or without padding (and, as
// Gmail is lenient, the standard alphabet).
func decodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// rewriteHeaders replaces (or prepends) the headers in set and drops
// those in drop, keeping every other header line and the body as is.
func rewriteHeaders(raw []byte, set map[string]string, drop []string) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	sep := 4
	if e := bytes.Index(raw, []byte("\n\n")); end < 0 || (e >= 0 && e < end) {
		end, sep = e, 2
	}
	if end < 0 {
		end, sep = len(raw), 0
	}
	head, body := raw[:end], raw[end:]
	_ = sep
	var lines []string
	var skipping bool
	done := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if !skipping {
				lines = append(lines, line)
			}
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		skipping = slices.ContainsFunc(drop, func(d string) bool { return strings.EqualFold(d, name) })
		for k, v := range set {
			if strings.EqualFold(k, name) {
				skipping = true
				if !done[k] {
					lines = append(lines, k+": "+v)
					done[k] = true
				}
			}
		}
		if !skipping {
			lines = append(lines, line)
		}
	}
	var pre []string
	for _, k := range []string{"Date", "Message-ID", "From"} {
		if v, ok := set[k]; ok && !done[k] {
			pre = append(pre, k+": "+v)
		}
	}
	out := strings.Join(append(pre, lines...), "\r\n")
	return append([]byte(out), body...)
}
