package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The mail part of the fake: Microsoft Graph v1.0 messages, mail folders,
// attachments, sendMail and message delta, for delegated tokens, with the
// documented wire shapes (message resource JSON, @odata.nextLink paging,
// @odata.deltaLink, @removed, the error body). Mailboxes live in memory and
// are seeded with SeedMessage.

// Recipient is a Graph recipient.
type Recipient struct {
	Name    string
	Address string
}

// Attachment is a file attachment of a seeded message.
type Attachment struct {
	ID          string // assigned when empty
	Name        string
	ContentType string
	Inline      bool
	ContentID   string
	Content     []byte
}

// Message is a message of a fake mailbox.
type Message struct {
	// ID is assigned (an immutable-id-like string) when empty.
	ID             string
	ConversationID string // assigned when empty
	// Folder is a well-known name (inbox, sentitems, drafts,
	// deleteditems, junkemail, archive) or a folder id. Default inbox.
	Folder        string
	Subject       string
	Body          string
	BodyIsHTML    bool
	From          Recipient
	To, Cc, Bcc   []Recipient
	ReplyTo       []Recipient
	ReceivedAt    time.Time // default now
	SentAt        time.Time // default ReceivedAt
	IsRead        bool
	IsDraft       bool
	Flagged       bool
	Importance    string // low, normal (default), high
	Categories    []string
	Headers       map[string]string // internet message headers beyond the generated ones
	Attachments   []Attachment
	InternetMsgID string // assigned when empty
	lastModified  time.Time
	changeSeq     int64
}

// mailbox is one user's mail.
type mailbox struct {
	folders  []mailFolder
	messages map[string]*Message
	removed  []removal // folder departures, for delta
	seq      int64
}

type mailFolder struct {
	id, name, wellKnown string
}

type removal struct {
	id, folderID string
	seq          int64
}

// deltaState is a server-side delta round: pages still to serve, and the
// sequence number the round's deltaLink continues from.
type deltaState struct {
	oid      string
	folderID string
	items    []map[string]any
	offset   int
	seq      int64
	since    time.Time
	selected []string
}

var wellKnownFolders = []struct{ name, display string }{
	{"inbox", "Inbox"}, {"sentitems", "Sent Items"}, {"drafts", "Drafts"}, {"deleteditems", "Deleted Items"},
	{"junkemail", "Junk Email"}, {"archive", "Archive"},
}

func newGraphID(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b) + "="
}

// mailboxLocked returns (creating) the user's mailbox.
func (s *Server) mailboxLocked(oid string) *mailbox {
	oid = strings.ToLower(oid)
	if s.mailboxes == nil {
		s.mailboxes = make(map[string]*mailbox)
	}
	mb := s.mailboxes[oid]
	if mb == nil {
		mb = &mailbox{messages: make(map[string]*Message)}
		for _, f := range wellKnownFolders {
			mb.folders = append(mb.folders, mailFolder{id: newGraphID("AQMkAD"), name: f.display, wellKnown: f.name})
		}
		s.mailboxes[oid] = mb
	}
	return mb
}

// folderID resolves a well-known name or id; "" when unknown.
func (mb *mailbox) folderID(nameOrID string) string {
	for _, f := range mb.folders {
		if strings.EqualFold(f.wellKnown, nameOrID) || f.id == nameOrID {
			return f.id
		}
	}
	return ""
}

func (mb *mailbox) touch(m *Message, now time.Time) {
	mb.seq++
	m.changeSeq = mb.seq
	m.lastModified = now
}

// SeedMessage stores a message in the mailbox of the user oid and returns
// it with its ids filled in.
func (s *Server) SeedMessage(oid string, m Message) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.userLocked(oid); !ok {
		return Message{}, fmt.Errorf("graphtest: SeedMessage: no user %q", oid)
	}
	mb := s.mailboxLocked(oid)
	if m.Folder == "" {
		m.Folder = "inbox"
	}
	fid := mb.folderID(m.Folder)
	if fid == "" {
		return Message{}, fmt.Errorf("graphtest: SeedMessage: no folder %q", m.Folder)
	}
	m.Folder = fid
	if m.ID == "" {
		m.ID = newGraphID("AAkALgAA")
	}
	if m.ConversationID == "" {
		m.ConversationID = newGraphID("AAQkAD")
	}
	if m.InternetMsgID == "" {
		m.InternetMsgID = "<" + strings.TrimSuffix(m.ID[8:24], "=") + "@contoso.example>"
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = s.opts.Now()
	}
	m.ReceivedAt = m.ReceivedAt.UTC().Truncate(time.Second)
	if m.SentAt.IsZero() {
		m.SentAt = m.ReceivedAt
	}
	for i := range m.Attachments {
		if m.Attachments[i].ID == "" {
			m.Attachments[i].ID = newGraphID("AAMkAGAtt")
		}
	}
	if _, dup := mb.messages[m.ID]; dup {
		return Message{}, fmt.Errorf("graphtest: SeedMessage: id %s exists", m.ID)
	}
	cp := m
	mb.touch(&cp, s.opts.Now())
	mb.messages[m.ID] = &cp
	s.notifyMessage(oid, &cp, "created", "")
	return cp, nil
}

// ChangeMessage applies change to a stored message (as if changed in
// Outlook) and marks it changed for delta.
func (s *Server) ChangeMessage(oid, id string, change func(*Message)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(oid)
	m := mb.messages[id]
	if m == nil {
		return fmt.Errorf("graphtest: ChangeMessage: no message %s", id)
	}
	before := m.Folder
	change(m)
	if f := mb.folderID(m.Folder); f != "" {
		m.Folder = f
	}
	if m.Folder != before {
		mb.seq++
		mb.removed = append(mb.removed, removal{id: id, folderID: before, seq: mb.seq})
	}
	mb.touch(m, s.opts.Now())
	s.notifyMessage(oid, m, "updated", before)
	return nil
}

// DeleteMessage destroys a message (as a hard delete does).
func (s *Server) DeleteMessage(oid, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(oid)
	m := mb.messages[id]
	if m == nil {
		return fmt.Errorf("graphtest: DeleteMessage: no message %s", id)
	}
	delete(mb.messages, id)
	mb.seq++
	mb.removed = append(mb.removed, removal{id: id, folderID: m.Folder, seq: mb.seq})
	s.notifyMessage(oid, m, "deleted", m.Folder)
	return nil
}

// Messages returns the messages of a user's mailbox, newest first.
func (s *Server) Messages(oid string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(oid)
	out := make([]Message, 0, len(mb.messages))
	for _, m := range mb.messages {
		out = append(out, *m)
	}
	sortNewest(out)
	return out
}

// FolderID returns the id of a well-known folder of a user.
func (s *Server) FolderID(oid, wellKnown string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mailboxLocked(oid).folderID(wellKnown)
}

// ExpireDeltaTokens makes every delta and skip token issued so far answer
// 410 Gone with SyncStateNotFound, as when Exchange drops a sync state.
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deltas = nil
}

func sortNewest(ms []Message) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].ReceivedAt.Equal(ms[j].ReceivedAt) {
			return ms[i].ReceivedAt.After(ms[j].ReceivedAt)
		}
		return ms[i].ID > ms[j].ID
	})
}

func (s *Server) mailRoutes() {
	s.mux.HandleFunc("GET /v1.0/me/messages", s.handleListMessages)
	s.mux.HandleFunc("POST /v1.0/me/messages", s.handleCreateDraft)
	s.mux.HandleFunc("GET /v1.0/me/mailFolders/{fid}/messages", s.handleListMessages)
	s.mux.HandleFunc("GET /v1.0/me/mailFolders/{fid}/messages/delta", s.handleDelta)
	s.mux.HandleFunc("GET /v1.0/me/messages/{id}", s.handleGetMessage)
	s.mux.HandleFunc("GET /v1.0/me/messages/{id}/$value", s.handleRawMessage)
	s.mux.HandleFunc("POST /v1.0/me/messages/{id}/move", s.handleMove)
	s.mux.HandleFunc("POST /v1.0/me/messages/{id}/send", s.handleSendDraft)
	s.mux.HandleFunc("GET /v1.0/me/messages/{id}/attachments/{aid}", s.handleGetAttachment)
	s.mux.HandleFunc("POST /v1.0/me/sendMail", s.handleSendMail)
	s.mux.HandleFunc("GET /v1.0/me/mailFolders", s.handleListFolders)
	s.mux.HandleFunc("GET /v1.0/me/mailFolders/{fid}", s.handleGetFolder)
	s.draftRoutes()
}

// mailCaller authenticates a mail request: a delegated token with one of
// the scopes.
func (s *Server) mailCaller(w http.ResponseWriter, r *http.Request, scopes ...string) (Caller, bool) {
	c, ok := s.Authenticate(w, r)
	if !ok {
		return c, false
	}
	if c.User == nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
		return c, false
	}
	if !c.HasScope(scopes...) {
		WriteError(w, r, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
		return c, false
	}
	return c, true
}

var readScopes = []string{"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic"}

// messageJSON renders a message as Graph does, with the selected
// properties (all when sel is empty) and the body in bodyType.
func (s *Server) messageJSON(mb *mailbox, m *Message, sel []string, bodyType string, expandAtt bool) map[string]any {
	rcpts := func(rs []Recipient) []map[string]any {
		out := []map[string]any{}
		for _, r := range rs {
			out = append(out, map[string]any{"emailAddress": map[string]any{"name": r.Name, "address": r.Address}})
		}
		return out
	}
	body, ct := m.Body, "text"
	if m.BodyIsHTML {
		ct = "html"
	}
	switch {
	case bodyType == "text" && m.BodyIsHTML:
		body, ct = stripTags(m.Body), "text"
	case bodyType == "html" && !m.BodyIsHTML:
		body, ct = "<html><body><pre>"+htmlEscape(m.Body)+"</pre></body></html>", "html"
	}
	flag := "notFlagged"
	if m.Flagged {
		flag = "flagged"
	}
	imp := m.Importance
	if imp == "" {
		imp = "normal"
	}
	headers := []map[string]any{
		{"name": "Message-ID", "value": m.InternetMsgID},
		{"name": "Subject", "value": m.Subject},
	}
	for _, k := range sortedKeys(m.Headers) {
		headers = append(headers, map[string]any{"name": k, "value": m.Headers[k]})
	}
	all := map[string]any{
		"id": m.ID, "conversationId": m.ConversationID, "createdDateTime": m.ReceivedAt.Format(time.RFC3339),
		"lastModifiedDateTime": m.lastModified.UTC().Format(time.RFC3339), "receivedDateTime": m.ReceivedAt.Format(time.RFC3339),
		"sentDateTime": m.SentAt.UTC().Format(time.RFC3339), "internetMessageId": m.InternetMsgID, "subject": m.Subject,
		"bodyPreview": bodyPreview(m), "body": map[string]any{"contentType": ct, "content": body},
		"from":         map[string]any{"emailAddress": map[string]any{"name": m.From.Name, "address": m.From.Address}},
		"sender":       map[string]any{"emailAddress": map[string]any{"name": m.From.Name, "address": m.From.Address}},
		"toRecipients": rcpts(m.To), "ccRecipients": rcpts(m.Cc), "bccRecipients": rcpts(m.Bcc), "replyTo": rcpts(m.ReplyTo),
		"hasAttachments": len(m.Attachments) > 0, "isRead": m.IsRead, "isDraft": m.IsDraft, "importance": imp,
		"flag": map[string]any{"flagStatus": flag}, "categories": append([]string{}, m.Categories...),
		"parentFolderId": m.Folder, "webLink": s.srv.URL + "/owa/?ItemID=" + url.QueryEscape(m.ID),
		"internetMessageHeaders": headers,
	}
	out := map[string]any{"@odata.etag": `W/"` + strconv.FormatInt(m.changeSeq, 10) + `"`}
	if len(sel) == 0 {
		for k, v := range all {
			if k != "internetMessageHeaders" {
				out[k] = v
			}
		}
	} else {
		for _, p := range sel {
			out[p] = all[p]
		}
		out["id"] = m.ID
	}
	if expandAtt {
		atts := []map[string]any{}
		for _, a := range m.Attachments {
			atts = append(atts, map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "id": a.ID, "name": a.Name,
				"contentType": a.ContentType, "size": len(a.Content), "isInline": a.Inline})
		}
		out["attachments"] = atts
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func preview(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 255 {
		return string(r[:255])
	}
	return s
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&amp;", "&").Replace(b.String())
}

// messageProperties are the properties $select may name.
var messageProperties = []string{"id", "conversationId", "createdDateTime", "lastModifiedDateTime", "receivedDateTime",
	"sentDateTime", "internetMessageId", "subject", "bodyPreview", "body", "from", "sender", "toRecipients", "ccRecipients",
	"bccRecipients", "replyTo", "hasAttachments", "isRead", "isDraft", "importance", "flag", "categories",
	"parentFolderId", "webLink", "internetMessageHeaders"}

func parseSelect(w http.ResponseWriter, r *http.Request, v string) ([]string, bool) {
	if v == "" {
		return nil, true
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		i := slices.IndexFunc(messageProperties, func(q string) bool { return strings.EqualFold(p, q) })
		if i < 0 {
			WriteError(w, r, http.StatusBadRequest, "RequestBroker--ParseUri", "Could not find a property named '"+p+"' on type 'microsoft.graph.message'.")
			return nil, false
		}
		out = appendNew(out, messageProperties[i])
	}
	return out, true
}

// bodyPreference reads Prefer: outlook.body-content-type.
func bodyPreference(r *http.Request) string {
	p := strings.ToLower(strings.Join(r.Header.Values("Prefer"), ","))
	switch {
	case strings.Contains(p, `outlook.body-content-type="text"`):
		return "text"
	case strings.Contains(p, `outlook.body-content-type="html"`):
		return "html"
	}
	return ""
}

func maxPageSize(r *http.Request) int {
	for _, part := range strings.Split(strings.Join(r.Header.Values("Prefer"), ","), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "odata.maxpagesize="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

func writeGraphJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if strings.Contains(r.Header.Get("Prefer"), `IdType="ImmutableId"`) {
		w.Header().Set("Preference-Applied", `IdType="ImmutableId"`)
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	writeJSON(w, status, v)
}

// handleListMessages is GET /me/messages and /me/mailFolders/{id}/messages
// with $select, $top, $skip, $filter, $search and $orderby.
func (s *Server) handleListMessages(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	q := r.URL.Query()
	sel, ok := parseSelect(w, r, q.Get("$select"))
	if !ok {
		return
	}
	top, skip := 10, 0
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid $top value.")
			return
		}
		top = n
	}
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid $skip value.")
			return
		}
		skip = n
	}
	search, filter := q.Get("$search"), q.Get("$filter")
	if search != "" && (filter != "" || q.Get("$orderby") != "") {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidUrlQuery", "The query parameter '$filter' or '$orderby' is not supported with '$search'.")
		return
	}
	if ob := q.Get("$orderby"); ob != "" && ob != "receivedDateTime desc" && ob != "receivedDateTime DESC" {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "The fake supports $orderby=receivedDateTime desc only.")
		return
	}
	// Graph refuses $filter with $orderby unless the $orderby properties
	// lead the $filter, in the same order ("Update to Filtering and
	// Sorting in the Mail, Calendar and Contacts REST API").
	if filter != "" && q.Get("$orderby") != "" && !strings.HasPrefix(strings.TrimLeft(filter, " ("), "receivedDateTime ") {
		WriteError(w, r, http.StatusBadRequest, "InefficientFilter", "The restriction or sort order is too complex for this operation.")
		return
	}
	var match func(*Message) bool
	var err error
	if search != "" {
		match, err = parseSearch(search)
	} else {
		match, err = parseFilter(filter)
	}
	if err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(c.User.ObjectID)
	folder := ""
	if fid := r.PathValue("fid"); fid != "" {
		if folder = mb.folderID(fid); folder == "" {
			s.mu.Unlock()
			WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
	}
	var hits []Message
	for _, m := range mb.messages {
		if (folder == "" || m.Folder == folder) && match(m) {
			hits = append(hits, *m)
		}
	}
	sortNewest(hits)
	page := []map[string]any{}
	for i := skip; i < len(hits) && i < skip+top; i++ {
		page = append(page, s.messageJSON(mb, &hits[i], sel, bodyPreference(r), false))
	}
	s.mu.Unlock()
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#users('" + c.User.ObjectID + "')/messages", "value": page}
	if skip+top < len(hits) {
		next := cloneValues(q)
		next.Set("$skip", strconv.Itoa(skip+top))
		next.Set("$top", strconv.Itoa(top))
		out["@odata.nextLink"] = s.srv.URL + r.URL.Path + "?" + next.Encode()
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

// splitAnd splits a $filter on " and " outside string literals.
func splitAnd(f string) []string {
	var parts []string
	inStr := false
	start := 0
	for i := 0; i < len(f); i++ {
		if f[i] == '\'' {
			inStr = !inStr
			continue
		}
		if !inStr && i+5 <= len(f) && strings.EqualFold(f[i:i+5], " and ") {
			parts = append(parts, f[start:i])
			start = i + 5
			i += 4
		}
	}
	return append(parts, f[start:])
}

func unquoteOData(v string) (string, bool) {
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if strings.Count(inner, "'")%2 != 0 {
		return "", false
	}
	return strings.ReplaceAll(inner, "''", "'"), true
}

// parseFilter supports the clauses the connector sends: equality on
// from/emailAddress/address, isRead, hasAttachments, conversationId,
// internetMessageId; parentFolderId ne;
// contains(subject,'..'); receivedDateTime ge/lt/gt/le.
func parseFilter(f string) (func(*Message) bool, error) {
	if strings.TrimSpace(f) == "" {
		return func(*Message) bool { return true }, nil
	}
	var preds []func(*Message) bool
	for _, clause := range splitAnd(f) {
		clause = strings.TrimSpace(clause)
		if rest, ok := strings.CutPrefix(clause, "contains(subject,"); ok && strings.HasSuffix(rest, ")") {
			v, ok := unquoteOData(strings.TrimSuffix(rest, ")"))
			if !ok {
				return nil, fmt.Errorf("bad literal in %q", clause)
			}
			preds = append(preds, func(m *Message) bool { return strings.Contains(strings.ToLower(m.Subject), strings.ToLower(v)) })
			continue
		}
		fields := strings.SplitN(clause, " ", 3)
		if len(fields) != 3 {
			return nil, fmt.Errorf("cannot parse %q", clause)
		}
		prop, op, val := fields[0], fields[1], fields[2]
		switch {
		case prop == "from/emailAddress/address" && op == "eq":
			v, ok := unquoteOData(val)
			if !ok {
				return nil, fmt.Errorf("bad literal in %q", clause)
			}
			preds = append(preds, func(m *Message) bool { return strings.EqualFold(m.From.Address, v) })
		case (prop == "conversationId" || prop == "internetMessageId") && op == "eq":
			v, ok := unquoteOData(val)
			if !ok {
				return nil, fmt.Errorf("bad literal in %q", clause)
			}
			if prop == "conversationId" {
				preds = append(preds, func(m *Message) bool { return m.ConversationID == v })
			} else {
				preds = append(preds, func(m *Message) bool { return m.InternetMsgID == v })
			}
		case prop == "parentFolderId" && op == "ne":
			v, ok := unquoteOData(val)
			if !ok {
				return nil, fmt.Errorf("bad literal in %q", clause)
			}
			preds = append(preds, func(m *Message) bool { return m.Folder != v })
		case (prop == "isRead" || prop == "hasAttachments") && op == "eq" && (val == "true" || val == "false"):
			want := val == "true"
			if prop == "isRead" {
				preds = append(preds, func(m *Message) bool { return m.IsRead == want })
			} else {
				preds = append(preds, func(m *Message) bool { return (len(m.Attachments) > 0) == want })
			}
		case prop == "receivedDateTime":
			t, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return nil, fmt.Errorf("bad date in %q", clause)
			}
			switch op {
			case "ge":
				preds = append(preds, func(m *Message) bool { return !m.ReceivedAt.Before(t) })
			case "gt":
				preds = append(preds, func(m *Message) bool { return m.ReceivedAt.After(t) })
			case "lt":
				preds = append(preds, func(m *Message) bool { return m.ReceivedAt.Before(t) })
			case "le":
				preds = append(preds, func(m *Message) bool { return !m.ReceivedAt.After(t) })
			default:
				return nil, fmt.Errorf("unsupported operator in %q", clause)
			}
		default:
			return nil, fmt.Errorf("unsupported clause %q", clause)
		}
	}
	return func(m *Message) bool {
		for _, p := range preds {
			if !p(m) {
				return false
			}
		}
		return true
	}, nil
}

// parseSearch supports a KQL subset: "term AND term ..." with from:,
// to:, subject:, received>=, received<, hasAttachments:true and free
// words (matched in subject, body and addresses).
func parseSearch(s string) (func(*Message) bool, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, fmt.Errorf("$search must be a quoted string")
	}
	var preds []func(*Message) bool
	for _, term := range strings.Split(s[1:len(s)-1], " AND ") {
		term = strings.TrimSpace(term)
		lower := strings.ToLower(term)
		switch {
		case strings.HasPrefix(lower, "from:"):
			v := lower[5:]
			preds = append(preds, func(m *Message) bool {
				return strings.Contains(strings.ToLower(m.From.Address+" "+m.From.Name), v)
			})
		case strings.HasPrefix(lower, "to:"):
			v := lower[3:]
			preds = append(preds, func(m *Message) bool {
				return slices.ContainsFunc(m.To, func(r Recipient) bool { return strings.Contains(strings.ToLower(r.Address+" "+r.Name), v) })
			})
		case strings.HasPrefix(lower, "subject:"):
			v := lower[8:]
			preds = append(preds, func(m *Message) bool { return strings.Contains(strings.ToLower(m.Subject), v) })
		case strings.HasPrefix(lower, "received>="), strings.HasPrefix(lower, "received<"):
			ge := strings.HasPrefix(lower, "received>=")
			v := strings.TrimLeft(lower[8:], "<>=")
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return nil, fmt.Errorf("bad date in %q", term)
			}
			preds = append(preds, func(m *Message) bool { return m.ReceivedAt.Before(t) != ge })
		case lower == "hasattachments:true":
			preds = append(preds, func(m *Message) bool { return len(m.Attachments) > 0 })
		case term == "":
		default:
			preds = append(preds, func(m *Message) bool {
				return strings.Contains(strings.ToLower(m.Subject+" "+stripTags(m.Body)+" "+m.From.Address), lower)
			})
		}
	}
	return func(m *Message) bool {
		for _, p := range preds {
			if !p(m) {
				return false
			}
		}
		return true
	}, nil
}

// message looks a message up in the caller's mailbox, answering 404 as
// Graph does when it is not there.
func (s *Server) messageLocked(w http.ResponseWriter, r *http.Request, oid string) (*mailbox, *Message, bool) {
	mb := s.mailboxLocked(oid)
	m := mb.messages[r.PathValue("id")]
	if m == nil {
		WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return mb, nil, false
	}
	return mb, m, true
}

// handleGetMessage is GET /me/messages/{id} with $select and
// $expand=attachments.
func (s *Server) handleGetMessage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	sel, ok := parseSelect(w, r, r.URL.Query().Get("$select"))
	if !ok {
		return
	}
	expand := strings.HasPrefix(r.URL.Query().Get("$expand"), "attachments")
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	var out map[string]any
	if ok {
		out = s.messageJSON(mb, m, sel, bodyPreference(r), expand)
	}
	s.mu.Unlock()
	if ok {
		writeGraphJSON(w, r, http.StatusOK, out)
	}
}

// handleRawMessage is GET /me/messages/{id}/$value: the MIME content.
func (s *Server) handleRawMessage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	s.mu.Lock()
	_, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	var raw string
	if ok {
		raw = mimeOf(m)
	}
	s.mu.Unlock()
	if ok {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, raw)
	}
}

func mimeOf(m *Message) string {
	addr := func(rs []Recipient) string {
		var p []string
		for _, r := range rs {
			p = append(p, fmt.Sprintf("%q <%s>", r.Name, r.Address))
		}
		return strings.Join(p, ", ")
	}
	ct := "text/plain"
	if m.BodyIsHTML {
		ct = "text/html"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %q <%s>\r\n", m.From.Name, m.From.Address)
	if len(m.To) > 0 {
		fmt.Fprintf(&b, "To: %s\r\n", addr(m.To))
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\nContent-Type: %s; charset=utf-8\r\n\r\n%s\r\n",
		m.Subject, m.SentAt.Format(time.RFC1123Z), m.InternetMsgID, ct, m.Body)
	return b.String()
}

// handleMove is POST /me/messages/{id}/move {"destinationId"}. The
// immutable id is kept.
func (s *Server) handleMove(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	var body struct {
		DestinationID string `json:"destinationId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.DestinationID == "" {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRequest", "destinationId is required.")
		return
	}
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	var out map[string]any
	if ok {
		dest := mb.folderID(body.DestinationID)
		if dest == "" {
			s.mu.Unlock()
			WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified folder was not found in the store.")
			return
		}
		before := m.Folder
		if dest != m.Folder {
			mb.seq++
			mb.removed = append(mb.removed, removal{id: m.ID, folderID: m.Folder, seq: mb.seq})
			m.Folder = dest
		}
		mb.touch(m, s.opts.Now())
		s.notifyMessage(c.User.ObjectID, m, "updated", before)
		out = s.messageJSON(mb, m, nil, "", false)
	}
	s.mu.Unlock()
	if ok {
		writeGraphJSON(w, r, http.StatusCreated, out)
	}
}

// outgoingMessage is the message resource of a draft or sendMail.
type outgoingMessage struct {
	Subject string `json:"subject"`
	Body    struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	ToRecipients  []jsonRecipient `json:"toRecipients"`
	CcRecipients  []jsonRecipient `json:"ccRecipients"`
	BccRecipients []jsonRecipient `json:"bccRecipients"`
	ReplyTo       []jsonRecipient `json:"replyTo"`
	Categories    []string        `json:"categories"`
	Headers       []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"internetMessageHeaders"`
	Attachments []struct {
		ODataType    string `json:"@odata.type"`
		Name         string `json:"name"`
		ContentType  string `json:"contentType"`
		IsInline     bool   `json:"isInline"`
		ContentID    string `json:"contentId"`
		ContentBytes []byte `json:"contentBytes"`
	} `json:"attachments"`
}

type jsonRecipient struct {
	EmailAddress struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

func recipients(js []jsonRecipient) []Recipient {
	var out []Recipient
	for _, j := range js {
		out = append(out, Recipient{Name: j.EmailAddress.Name, Address: j.EmailAddress.Address})
	}
	return out
}

// storeOutgoing validates an outgoing message and stores it in folder.
func (s *Server) storeOutgoing(w http.ResponseWriter, r *http.Request, c Caller, om outgoingMessage, folder string, draft bool) (*Message, bool) {
	for _, h := range om.Headers {
		if !strings.HasPrefix(strings.ToLower(h.Name), "x-") {
			WriteError(w, r, http.StatusBadRequest, "InvalidInternetMessageHeader", "The internet message header name '"+h.Name+"' should start with 'x-' or 'X-'.")
			return nil, false
		}
	}
	m := Message{Folder: folder, Subject: om.Subject, Body: om.Body.Content, BodyIsHTML: strings.EqualFold(om.Body.ContentType, "html"),
		From: Recipient{Name: c.User.DisplayName, Address: c.User.Mail}, To: recipients(om.ToRecipients), Cc: recipients(om.CcRecipients),
		Bcc: recipients(om.BccRecipients), ReplyTo: recipients(om.ReplyTo), IsRead: true, IsDraft: draft, Categories: om.Categories,
		Headers: map[string]string{}}
	for _, h := range om.Headers {
		m.Headers[h.Name] = h.Value
	}
	for _, a := range om.Attachments {
		if a.ODataType != "#microsoft.graph.fileAttachment" {
			WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRequest", "Only file attachments are supported by the fake.")
			return nil, false
		}
		m.Attachments = append(m.Attachments, Attachment{Name: a.Name, ContentType: a.ContentType, Inline: a.IsInline, ContentID: a.ContentID, Content: a.ContentBytes})
	}
	s.mu.Unlock()
	stored, err := s.SeedMessage(c.User.ObjectID, m)
	s.mu.Lock()
	if err != nil {
		WriteError(w, r, http.StatusInternalServerError, "generalException", "storing the message failed")
		return nil, false
	}
	mb := s.mailboxLocked(c.User.ObjectID)
	return mb.messages[stored.ID], true
}

// handleCreateDraft is POST /me/messages: 201 with the draft.
func (s *Server) handleCreateDraft(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	var om outgoingMessage
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&om); err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid JSON payload.")
		return
	}
	s.mu.Lock()
	m, ok := s.storeOutgoing(w, r, c, om, "drafts", true)
	var out map[string]any
	if ok {
		out = s.messageJSON(s.mailboxLocked(c.User.ObjectID), m, nil, "", false)
	}
	s.mu.Unlock()
	if ok {
		writeGraphJSON(w, r, http.StatusCreated, out)
	}
}

// handleSendDraft is POST /me/messages/{id}/send: 202, the draft moves to
// Sent Items with its immutable id.
func (s *Server) handleSendDraft(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.Send")
	if !ok {
		return
	}
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	if ok {
		if !m.IsDraft {
			s.mu.Unlock()
			WriteError(w, r, http.StatusBadRequest, "ErrorInvalidOperation", "Only drafts can be sent.")
			return
		}
		if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
			s.mu.Unlock()
			WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
			return
		}
		mb.seq++
		mb.removed = append(mb.removed, removal{id: m.ID, folderID: m.Folder, seq: mb.seq})
		before := m.Folder
		m.IsDraft, m.Folder = false, mb.folderID("sentitems")
		m.SentAt = s.opts.Now().UTC().Truncate(time.Second)
		mb.touch(m, s.opts.Now())
		s.notifyMessage(c.User.ObjectID, m, "updated", before)
		s.sent = append(s.sent, *m)
	}
	s.mu.Unlock()
	if ok {
		w.WriteHeader(http.StatusAccepted)
	}
}

// handleSendMail is POST /me/sendMail {"message", "saveToSentItems"}: 202.
func (s *Server) handleSendMail(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.Send")
	if !ok {
		return
	}
	var body struct {
		Message         *outgoingMessage `json:"message"`
		SaveToSentItems *bool            `json:"saveToSentItems"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&body); err != nil || body.Message == nil {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRequest", "The message is missing.")
		return
	}
	if len(body.Message.ToRecipients)+len(body.Message.CcRecipients)+len(body.Message.BccRecipients) == 0 {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
		return
	}
	s.mu.Lock()
	m, ok := s.storeOutgoing(w, r, c, *body.Message, "sentitems", false)
	if ok {
		s.sent = append(s.sent, *m)
	}
	s.mu.Unlock()
	if ok {
		w.WriteHeader(http.StatusAccepted)
	}
}

// Sent returns the messages sent through the fake, in order.
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// handleGetAttachment is GET /me/messages/{id}/attachments/{aid}.
func (s *Server) handleGetAttachment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	s.mu.Lock()
	_, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	var out map[string]any
	if ok {
		for _, a := range m.Attachments {
			if a.ID == r.PathValue("aid") {
				out = map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "id": a.ID, "name": a.Name,
					"contentType": a.ContentType, "size": len(a.Content), "isInline": a.Inline, "contentId": a.ContentID,
					"contentBytes": base64.StdEncoding.EncodeToString(a.Content)}
			}
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
	case out == nil:
		WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
	default:
		writeGraphJSON(w, r, http.StatusOK, out)
	}
}

func (s *Server) folderJSON(mb *mailbox, f mailFolder) map[string]any {
	n, unread := 0, 0
	for _, m := range mb.messages {
		if m.Folder == f.id {
			n++
			if !m.IsRead {
				unread++
			}
		}
	}
	return map[string]any{"id": f.id, "displayName": f.name, "parentFolderId": mb.rootID(), "childFolderCount": 0,
		"unreadItemCount": unread, "totalItemCount": n, "isHidden": false}
}

func (mb *mailbox) rootID() string { return "AQMkADroot" }

// handleListFolders is GET /me/mailFolders with $top and $skip paging.
func (s *Server) handleListFolders(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	q := r.URL.Query()
	top, _ := strconv.Atoi(q.Get("$top"))
	if top <= 0 {
		top = 10
	}
	skip, _ := strconv.Atoi(q.Get("$skip"))
	s.mu.Lock()
	mb := s.mailboxLocked(c.User.ObjectID)
	var page []map[string]any
	for i := skip; i < len(mb.folders) && i < skip+top; i++ {
		page = append(page, s.folderJSON(mb, mb.folders[i]))
	}
	more := skip+top < len(mb.folders)
	s.mu.Unlock()
	out := map[string]any{"value": page}
	if more {
		next := cloneValues(q)
		next.Set("$skip", strconv.Itoa(skip+top))
		out["@odata.nextLink"] = s.srv.URL + r.URL.Path + "?" + next.Encode()
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleGetFolder is GET /me/mailFolders/{id or well-known name}.
func (s *Server) handleGetFolder(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(c.User.ObjectID)
	id := mb.folderID(r.PathValue("fid"))
	var out map[string]any
	for _, f := range mb.folders {
		if f.id == id {
			out = s.folderJSON(mb, f)
		}
	}
	s.mu.Unlock()
	if out == nil {
		WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleDelta is GET /me/mailFolders/{id}/messages/delta: an initial
// round (with $select and $filter=receivedDateTime ge|gt), $skiptoken pages
// and $deltatoken rounds. Pages hold odata.maxpagesize items (default 10).
// Removed messages come as {"@odata.type", "id", "@removed":{"reason":"deleted"}}.
// Unknown or expired tokens answer 410 SyncStateNotFound.
func (s *Server) handleDelta(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	q := r.URL.Query()
	size := maxPageSize(r)
	if size <= 0 {
		size = 10
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(c.User.ObjectID)
	gone := func() {
		WriteError(w, r, http.StatusGone, "SyncStateNotFound", "The sync state generation is not found. Please do a full sync.")
	}
	var st *deltaState
	switch {
	case q.Get("$skiptoken") != "":
		st = s.deltas[q.Get("$skiptoken")]
		if st == nil || st.oid != c.User.ObjectID {
			gone()
			return
		}
	case q.Get("$deltatoken") != "":
		prev := s.deltas[q.Get("$deltatoken")]
		if prev == nil || prev.oid != c.User.ObjectID {
			gone()
			return
		}
		st = &deltaState{oid: prev.oid, folderID: prev.folderID, seq: mb.seq, since: prev.since, selected: prev.selected}
		for _, m := range mb.sortedMessages() {
			if m.Folder == st.folderID && m.changeSeq > prev.seq && !m.ReceivedAt.Before(st.since) {
				st.items = append(st.items, s.messageJSON(mb, m, st.selected, bodyPreference(r), false))
			}
		}
		for _, rm := range mb.removed {
			if rm.folderID == st.folderID && rm.seq > prev.seq {
				if cur := mb.messages[rm.id]; cur != nil && cur.Folder == st.folderID {
					continue // moved back
				}
				st.items = append(st.items, map[string]any{"@odata.type": "#microsoft.graph.message", "id": rm.id,
					"@removed": map[string]any{"reason": "deleted"}})
			}
		}
	default:
		fid := mb.folderID(r.PathValue("fid"))
		if fid == "" {
			WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		sel, ok := parseSelect(w, r, q.Get("$select"))
		if !ok {
			return
		}
		st = &deltaState{oid: c.User.ObjectID, folderID: fid, seq: mb.seq, selected: sel}
		if f := q.Get("$filter"); f != "" {
			v, ok := strings.CutPrefix(f, "receivedDateTime ge ")
			t, err := time.Parse(time.RFC3339, v)
			if !ok || err != nil {
				WriteError(w, r, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
				return
			}
			st.since = t
		}
		for _, m := range mb.sortedMessages() {
			if m.Folder == fid && !m.ReceivedAt.Before(st.since) {
				st.items = append(st.items, s.messageJSON(mb, m, sel, bodyPreference(r), false))
			}
		}
	}
	end := min(st.offset+size, len(st.items))
	page := st.items[st.offset:end]
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#Collection(message)", "value": page}
	base := s.srv.URL + "/v1.0/me/mailFolders/" + st.folderID + "/messages/delta?"
	if s.deltas == nil {
		s.deltas = make(map[string]*deltaState)
	}
	if end < len(st.items) {
		next := *st
		next.offset = end
		tok := newGraphID("")
		s.deltas[tok] = &next
		out["@odata.nextLink"] = base + "$skiptoken=" + url.QueryEscape(tok)
	} else {
		tok := newGraphID("")
		s.deltas[tok] = &deltaState{oid: st.oid, folderID: st.folderID, seq: st.seq, since: st.since, selected: st.selected}
		out["@odata.deltaLink"] = base + "$deltatoken=" + url.QueryEscape(tok)
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

func (mb *mailbox) sortedMessages() []*Message {
	out := make([]*Message, 0, len(mb.messages))
	for _, m := range mb.messages {
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReceivedAt.After(out[j].ReceivedAt) })
	return out
}
