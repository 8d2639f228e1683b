package googletest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The drafts of the Gmail fake: users.drafts.create, get, list, update,
// send and delete (gmail/v1/users/{userId}/drafts), with the Draft
// resource {id, message}. A draft is a message labelled DRAFT whose id is
// kept in the mailbox's draft table: the draft id stays the same across
// updates, while each update replaces the message (a new message id, with
// messageDeleted and messageAdded history records), as Gmail does. Sending
// a draft keeps its message id, swaps DRAFT for SENT, stamps Date and
// internalDate with the fake's clock, forgets the draft and delivers a
// copy (without Bcc) to each recipient who is a user of the fake.
// Only the metadata URIs (JSON with a base64url raw) are served, not the
// /upload media URIs.

// gmailComposeScopes may create, change, send and delete drafts.
var gmailComposeScopes = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
	"https://www.googleapis.com/auth/gmail.compose"}

// gmailDraftReadScopes may read drafts.
var gmailDraftReadScopes = []string{"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
	"https://www.googleapis.com/auth/gmail.compose", "https://www.googleapis.com/auth/gmail.readonly"}

func (s *Server) gmailDraftRoutes(mux *http.ServeMux) {
	const u = "/gmail/v1/users/{userId}/drafts"
	mux.HandleFunc("POST "+u, s.handleDraftsCreate)
	mux.HandleFunc("GET "+u, s.handleDraftsList)
	mux.HandleFunc("POST "+u+"/send", s.handleDraftsSend)
	mux.HandleFunc("GET "+u+"/{id}", s.handleDraftsGet)
	mux.HandleFunc("PUT "+u+"/{id}", s.handleDraftsUpdate)
	mux.HandleFunc("DELETE "+u+"/{id}", s.handleDraftsDelete)
}

// draftJSON is the Draft resource of a request.
type draftJSON struct {
	ID      string `json:"id"`
	Message *struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	} `json:"message"`
}

// Drafts returns the draft ids of a mailbox with their message ids.
func (s *Server) Drafts(emailOrSubject string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	out := map[string]string{}
	if u == nil {
		return out
	}
	for k, v := range s.mailboxLocked(u).drafts {
		out[k] = v
	}
	return out
}

// draftID is a Gmail-shaped draft id ("r" and a signed decimal).
func draftID(subject string, seq int) string {
	sum := sha256.Sum256([]byte("draft/" + subject + "/" + strconv.Itoa(seq)))
	return "r" + strconv.FormatInt(-int64(binary.BigEndian.Uint64(sum[:8])>>1), 10)
}

// readDraft decodes a Draft body with a message.raw; it answers 400 and
// returns false when it is not one.
func readDraft(w http.ResponseWriter, r *http.Request, needRaw bool) (draftJSON, []byte, bool) {
	var d draftJSON
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 35<<20)).Decode(&d); err != nil {
		badRequest(w, "Invalid JSON payload received.")
		return d, nil, false
	}
	if d.Message == nil || d.Message.Raw == "" {
		if needRaw {
			badRequest(w, "Missing draft message")
			return d, nil, false
		}
		return d, nil, true
	}
	raw, err := decodeBase64URL(d.Message.Raw)
	if err != nil || len(raw) == 0 {
		badRequest(w, "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
		return d, nil, false
	}
	return d, raw, true
}

// storeDraftLocked stores raw as a draft message of u: From is the user
// unless written as the user's address, Message-ID is added when missing;
// the thread is threadID when it exists, else that of the message the
// draft answers (In-Reply-To, References), else a new one.
func (s *Server) storeDraftLocked(u *User, mb *mailbox, raw []byte, threadID string) *StoredMessage {
	hs, _ := splitMessage(raw)
	mb.seq++
	id := messageID(u.Subject, mb.seq)
	set := map[string]string{"From": (&mail.Address{Name: u.Name, Address: u.Email}).String()}
	if from, err := mail.ParseAddress(hs.get("From")); err == nil && strings.EqualFold(from.Address, u.Email) {
		delete(set, "From")
	}
	if hs.get("Message-ID") == "" {
		set["Message-ID"] = "<" + id + "@mail.gmail.com>"
	}
	raw = rewriteHeaders(raw, set, nil)
	thread := ""
	if threadID != "" && validID(threadID) {
		for _, m := range mb.msgs {
			if m.ThreadID == threadID {
				thread = threadID
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
	m := &StoredMessage{ID: id, ThreadID: thread, LabelIDs: []string{"DRAFT"}, Raw: raw, InternalDate: s.opts.Now()}
	s.addLocked(u, mb, m)
	return m
}

func draftAnswer(id string, m *StoredMessage) map[string]any {
	return map[string]any{"id": id, "message": map[string]any{"id": m.ID, "threadId": m.ThreadID, "labelIds": slices.Clone(m.LabelIDs)}}
}

// handleDraftsCreate is users.drafts.create: 200 with the Draft.
func (s *Server) handleDraftsCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailComposeScopes)
	if !ok {
		return
	}
	d, raw, ok := readDraft(w, r, true)
	if !ok {
		return
	}
	u, mb := s.lockedBox(p)
	defer s.mu.Unlock()
	m := s.storeDraftLocked(u, mb, raw, d.Message.ThreadID)
	if mb.drafts == nil {
		mb.drafts = make(map[string]string)
	}
	id := draftID(u.Subject, mb.seq)
	mb.drafts[id] = m.ID
	writeJSON(w, http.StatusOK, draftAnswer(id, m))
}

// draftLocked returns the draft's message, or answers 404.
func draftLocked(w http.ResponseWriter, mb *mailbox, id string) (*StoredMessage, bool) {
	mid, ok := mb.drafts[id]
	m := mb.msgs[mid]
	if !ok || m == nil {
		notFound(w)
		return nil, false
	}
	return m, true
}

// handleDraftsGet is users.drafts.get with format (full, metadata,
// minimal, raw).
func (s *Server) handleDraftsGet(w http.ResponseWriter, r *http.Request) {
	format, ok := getFormat(w, r)
	if !ok {
		return
	}
	p, ok := s.gmailUser(w, r, gmailDraftReadScopes)
	if !ok {
		return
	}
	_, mb := s.lockedBox(p)
	m, ok := draftLocked(w, mb, r.PathValue("id"))
	var out map[string]any
	if ok {
		out = map[string]any{"id": r.PathValue("id"), "message": messageJSON(m, format, r.URL.Query()["metadataHeaders"])}
	}
	s.mu.Unlock()
	if ok {
		writeJSON(w, http.StatusOK, out)
	}
}

// handleDraftsList is users.drafts.list: newest first, maxResults and
// pageToken paging (q and includeSpamTrash are not supported).
func (s *Server) handleDraftsList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailDraftReadScopes)
	if !ok {
		return
	}
	limit, ok := maxResults(w, r)
	if !ok {
		return
	}
	offset, ok := readPageToken(w, r, "d")
	if !ok {
		return
	}
	_, mb := s.lockedBox(p)
	byMsg := map[string]string{}
	var ms []*StoredMessage
	for did, mid := range mb.drafts {
		if m := mb.msgs[mid]; m != nil {
			byMsg[mid] = did
			ms = append(ms, m)
		}
	}
	s.mu.Unlock()
	sortNewestFirst(ms)
	out := map[string]any{"resultSizeEstimate": len(ms)}
	var list []map[string]any
	for i := offset; i < len(ms) && i < offset+limit; i++ {
		list = append(list, map[string]any{"id": byMsg[ms[i].ID], "message": map[string]string{"id": ms[i].ID, "threadId": ms[i].ThreadID}})
	}
	if list != nil {
		out["drafts"] = list
	}
	if offset+limit < len(ms) {
		out["nextPageToken"] = pageToken("d", offset+limit)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleDraftsUpdate is users.drafts.update: the draft's message is
// replaced by a new one (new message id); 200 with the Draft.
func (s *Server) handleDraftsUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailComposeScopes)
	if !ok {
		return
	}
	d, raw, ok := readDraft(w, r, true)
	if !ok {
		return
	}
	u, mb := s.lockedBox(p)
	defer s.mu.Unlock()
	id := r.PathValue("id")
	old, ok := draftLocked(w, mb, id)
	if !ok {
		return
	}
	thread := d.Message.ThreadID
	if thread == "" {
		thread = old.ThreadID
	}
	s.deleteLocked(u, mb, old)
	m := s.storeDraftLocked(u, mb, raw, thread)
	mb.drafts[id] = m.ID
	writeJSON(w, http.StatusOK, draftAnswer(id, m))
}

// handleDraftsDelete is users.drafts.delete: the draft and its message are
// gone for good; 204.
func (s *Server) handleDraftsDelete(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailComposeScopes)
	if !ok {
		return
	}
	u, mb := s.lockedBox(p)
	defer s.mu.Unlock()
	id := r.PathValue("id")
	m, ok := draftLocked(w, mb, id)
	if !ok {
		return
	}
	delete(mb.drafts, id)
	s.deleteLocked(u, mb, m)
	w.WriteHeader(http.StatusNoContent)
}

// handleDraftsSend is users.drafts.send with {"id"} (and, optionally, a
// message.raw that replaces the draft's content first): 200 with the sent
// Message.
func (s *Server) handleDraftsSend(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailComposeScopes)
	if !ok {
		return
	}
	d, raw, ok := readDraft(w, r, false)
	if !ok {
		return
	}
	if d.ID == "" {
		badRequest(w, "Invalid draft")
		return
	}
	u, mb := s.lockedBox(p)
	defer s.mu.Unlock()
	m, ok := draftLocked(w, mb, d.ID)
	if !ok {
		return
	}
	if raw != nil {
		s.deleteLocked(u, mb, m)
		m = s.storeDraftLocked(u, mb, raw, m.ThreadID)
		mb.drafts[d.ID] = m.ID
	}
	hs, _ := splitMessage(m.Raw)
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
	now := s.opts.Now()
	m.Raw = rewriteHeaders(m.Raw, map[string]string{"Date": now.Format(time.RFC1123Z)}, nil)
	m.InternalDate = now
	delete(mb.drafts, d.ID)
	_ = s.modifyLocked(u, mb, m, []string{"SENT"}, []string{"DRAFT"})
	s.deliverLocked(u, m, hs, rcpts, now)
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "threadId": m.ThreadID, "labelIds": slices.Clone(m.LabelIDs)})
}

// deliverLocked puts a copy of a sent message, without its Bcc header,
// into the inbox of each recipient who is another user of the fake.
func (s *Server) deliverLocked(sender *User, m *StoredMessage, hs headers, rcpts []*mail.Address, now time.Time) {
	delivered := rewriteHeaders(m.Raw, nil, []string{"Bcc"})
	for _, a := range rcpts {
		ru := s.userLocked(a.Address)
		if ru == nil || ru.Subject == sender.Subject {
			continue
		}
		rmb := s.mailboxLocked(ru)
		if _, dup := rmb.msgs[m.ID]; dup {
			continue
		}
		thread := rmb.threadOfLocked(hs.get("In-Reply-To"), hs.get("References"))
		if thread == "" {
			thread = m.ID
		}
		s.addLocked(ru, rmb, &StoredMessage{ID: m.ID, ThreadID: thread, LabelIDs: []string{"INBOX", "UNREAD"}, Raw: delivered, InternalDate: now})
	}
}
