package googletest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MailMessage is a message to put into a Gmail mailbox with Seed. The fake
// builds a proper RFC 822 / MIME message from it (multipart/alternative
// for Text and HTML, multipart/related for inline attachments,
// multipart/mixed for attachments), which users.messages.get serves as
// Gmail's payload tree or, with format=raw, as is.
type MailMessage struct {
	// ID is the Gmail message id (lowercase hex, like Gmail's). Default:
	// derived from a counter.
	ID string
	// ThreadID is the conversation; default: the thread of the message
	// whose Message-ID InReplyTo names, else a new thread (= ID).
	ThreadID string
	// From, To, Cc, Bcc and ReplyTo are RFC 5322 addresses
	// ("Alice <alice@example.com>" or "alice@example.com").
	From                  string
	To, Cc, Bcc, ReplyTo  []string
	Subject               string
	Text, HTML            string
	Attachments           []MailAttachment
	MessageID             string // Message-ID header with its <>; default generated
	InReplyTo, References string // threading headers, with their <>
	Headers               []Header
	// Date is the Date header and Gmail's internalDate. Default: the
	// fake's clock.
	Date time.Time
	// Labels are label ids (INBOX, UNREAD, STARRED, Label_3 ...) or names
	// of user labels, which are created when missing. nil means INBOX and
	// UNREAD, a new message in the inbox; an empty non-nil slice is a read
	// message out of the inbox (archived).
	Labels []string
}

// MailAttachment is a file attached to a MailMessage.
type MailAttachment struct {
	Filename    string
	ContentType string // default application/octet-stream
	Data        []byte
	// ContentID makes the attachment inline (Content-Disposition: inline,
	// in a multipart/related part with the HTML body); without <>.
	ContentID string
}

// Header is one message header, in order.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Label is a Gmail label.
type Label struct {
	ID   string
	Name string
	// Type is "system" or "user".
	Type string
}

// StoredMessage is a message of a mailbox as the fake holds it.
type StoredMessage struct {
	ID, ThreadID string
	LabelIDs     []string
	Raw          []byte // the RFC 822 message
	InternalDate time.Time
	HistoryID    uint64
}

// systemLabels are Gmail's system labels, with their names as users.labels.list serves them.
var systemLabels = []Label{
	{"CHAT", "CHAT", "system"}, {"SENT", "SENT", "system"}, {"INBOX", "INBOX", "system"},
	{"IMPORTANT", "IMPORTANT", "system"}, {"TRASH", "TRASH", "system"}, {"DRAFT", "DRAFT", "system"},
	{"SPAM", "SPAM", "system"}, {"CATEGORY_FORUMS", "CATEGORY_FORUMS", "system"},
	{"CATEGORY_UPDATES", "CATEGORY_UPDATES", "system"}, {"CATEGORY_PERSONAL", "CATEGORY_PERSONAL", "system"},
	{"CATEGORY_PROMOTIONS", "CATEGORY_PROMOTIONS", "system"}, {"CATEGORY_SOCIAL", "CATEGORY_SOCIAL", "system"},
	{"STARRED", "STARRED", "system"}, {"UNREAD", "UNREAD", "system"},
}

// mailbox is one user's Gmail data. Guarded by Server.mu.
type mailbox struct {
	msgs       map[string]*StoredMessage
	userLabels []Label
	nextLabel  int
	historyID  uint64
	history    []historyRecord
	// oldest is the lowest startHistoryId users.history.list accepts.
	oldest uint64
	seq    int
	// drafts maps draft ids to message ids (gmail_drafts.go).
	drafts map[string]string
}

// historyRecord is one entry of users.history.list.
type historyRecord struct {
	id      uint64
	kind    string // messageAdded, messageDeleted, labelAdded, labelRemoved
	msgID   string
	thread  string
	labels  []string // the message's labels after the change
	changed []string // labelAdded / labelRemoved: the labels concerned
}

// mailboxLocked returns the user's mailbox, creating it (historyID from
// User.HistoryID) on first use.
func (s *Server) mailboxLocked(u *User) *mailbox {
	if s.mailboxes == nil {
		s.mailboxes = make(map[string]*mailbox)
	}
	mb := s.mailboxes[u.Subject]
	if mb == nil {
		h := u.HistoryID
		if h == 0 {
			h = 1000
		}
		mb = &mailbox{msgs: make(map[string]*StoredMessage), historyID: h, oldest: h, nextLabel: 1}
		s.mailboxes[u.Subject] = mb
	}
	return mb
}

// recordLocked adds a history record and bumps the mailbox historyId
// (with gaps, as Gmail's ids are not contiguous), and mirrors the counters
// into the user for users.getProfile.
func (s *Server) recordLocked(u *User, mb *mailbox, r historyRecord) uint64 {
	mb.historyID += 1 + uint64(len(mb.history)%3)
	r.id = mb.historyID
	r.labels = slices.Clone(r.labels)
	mb.history = append(mb.history, r)
	u.HistoryID = mb.historyID
	u.MessagesTotal = int64(len(mb.msgs))
	threads := map[string]bool{}
	for _, m := range mb.msgs {
		threads[m.ThreadID] = true
	}
	u.ThreadsTotal = int64(len(threads))
	if m := mb.msgs[r.msgID]; m != nil {
		m.HistoryID = mb.historyID
	}
	s.notifyWatchLocked(u, r)
	return mb.historyID
}

// Seed adds messages to the mailbox of the user with this email or
// subject, each recorded as a messageAdded history entry, and returns
// their ids in order.
func (s *Server) Seed(emailOrSubject string, msgs ...MailMessage) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return nil, fmt.Errorf("googletest: Seed(%q): no such user", emailOrSubject)
	}
	mb := s.mailboxLocked(u)
	var ids []string
	for i, m := range msgs {
		if m.Date.IsZero() {
			m.Date = s.opts.Now()
		}
		if m.From == "" {
			m.From = u.Email
		}
		mb.seq++
		if m.ID == "" {
			m.ID = messageID(u.Subject, mb.seq)
		}
		if !validID(m.ID) {
			return ids, fmt.Errorf("googletest: Seed: message %d: id %q is not lowercase hex", i, m.ID)
		}
		if _, dup := mb.msgs[m.ID]; dup {
			return ids, fmt.Errorf("googletest: Seed: message id %s already exists", m.ID)
		}
		if m.MessageID == "" {
			m.MessageID = "<" + m.ID + "@mail.gmail.com>"
		}
		raw, err := buildMessage(m)
		if err != nil {
			return ids, fmt.Errorf("googletest: Seed: message %d: %w", i, err)
		}
		labels := []string{"INBOX", "UNREAD"}
		if m.Labels != nil {
			labels = labels[:0]
			for _, l := range m.Labels {
				id, err := mb.labelIDLocked(l, true)
				if err != nil {
					return ids, fmt.Errorf("googletest: Seed: message %d: %w", i, err)
				}
				if !slices.Contains(labels, id) {
					labels = append(labels, id)
				}
			}
		}
		thread := m.ThreadID
		if thread == "" {
			thread = mb.threadOfLocked(m.InReplyTo, m.References)
		}
		if thread == "" {
			thread = m.ID
		}
		s.addLocked(u, mb, &StoredMessage{ID: m.ID, ThreadID: thread, LabelIDs: labels, Raw: raw, InternalDate: m.Date})
		ids = append(ids, m.ID)
	}
	return ids, nil
}

func (s *Server) addLocked(u *User, mb *mailbox, m *StoredMessage) {
	mb.msgs[m.ID] = m
	s.recordLocked(u, mb, historyRecord{kind: "messageAdded", msgID: m.ID, thread: m.ThreadID, labels: m.LabelIDs})
}

// threadOfLocked finds the thread of the message a reply refers to.
func (mb *mailbox) threadOfLocked(inReplyTo, references string) string {
	ids := strings.Fields(references + " " + inReplyTo)
	if len(ids) == 0 {
		return ""
	}
	for _, m := range mb.msgs {
		h, _ := splitMessage(m.Raw)
		mid := h.get("Message-ID")
		if mid != "" && slices.Contains(ids, mid) {
			return m.ThreadID
		}
	}
	return ""
}

func messageID(subject string, seq int) string {
	sum := sha256.Sum256([]byte(subject + "/" + strconv.Itoa(seq)))
	return "18" + hex.EncodeToString(sum[:7])
}

var hexID = regexp.MustCompile(`^[0-9a-f]{1,32}$`)

func validID(id string) bool { return hexID.MatchString(id) }

// labelIDLocked resolves a label id or name (case-insensitive) to its id;
// create adds a missing user label.
func (mb *mailbox) labelIDLocked(idOrName string, create bool) (string, error) {
	for _, l := range systemLabels {
		if l.ID == idOrName || strings.EqualFold(l.Name, idOrName) {
			return l.ID, nil
		}
	}
	for _, l := range mb.userLabels {
		if l.ID == idOrName || strings.EqualFold(l.Name, idOrName) {
			return l.ID, nil
		}
	}
	if !create || strings.TrimSpace(idOrName) == "" {
		return "", fmt.Errorf("googletest: invalid label: %s", idOrName)
	}
	l := Label{ID: "Label_" + strconv.Itoa(mb.nextLabel), Name: idOrName, Type: "user"}
	mb.nextLabel++
	mb.userLabels = append(mb.userLabels, l)
	return l.ID, nil
}

// AddLabel creates a user label and returns its id (Label_N).
func (s *Server) AddLabel(emailOrSubject, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return "", fmt.Errorf("googletest: AddLabel(%q): no such user", emailOrSubject)
	}
	return s.mailboxLocked(u).labelIDLocked(name, true)
}

// Message returns a copy of a stored message.
func (s *Server) Message(emailOrSubject, id string) (StoredMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return StoredMessage{}, false
	}
	m := s.mailboxLocked(u).msgs[id]
	if m == nil {
		return StoredMessage{}, false
	}
	c := *m
	c.LabelIDs = slices.Clone(m.LabelIDs)
	c.Raw = slices.Clone(m.Raw)
	return c, true
}

// ModifyLabels adds and removes labels of a message (ids or names) as
// users.messages.modify does, recording labelAdded / labelRemoved history.
func (s *Server) ModifyLabels(emailOrSubject, id string, add, remove []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return fmt.Errorf("googletest: ModifyLabels(%q): no such user", emailOrSubject)
	}
	mb := s.mailboxLocked(u)
	m := mb.msgs[id]
	if m == nil {
		return fmt.Errorf("googletest: ModifyLabels: no message %s", id)
	}
	return s.modifyLocked(u, mb, m, add, remove)
}

func (s *Server) modifyLocked(u *User, mb *mailbox, m *StoredMessage, add, remove []string) error {
	var addIDs, removeIDs []string
	for _, l := range add {
		id, err := mb.labelIDLocked(l, false)
		if err != nil {
			return err
		}
		if id == "DRAFT" {
			return errors.New("googletest: invalid label: DRAFT")
		}
		addIDs = append(addIDs, id)
	}
	for _, l := range remove {
		id, err := mb.labelIDLocked(l, false)
		if err != nil {
			return err
		}
		removeIDs = append(removeIDs, id)
	}
	var added, removed []string
	for _, id := range addIDs {
		if !slices.Contains(m.LabelIDs, id) && !slices.Contains(added, id) {
			added = append(added, id)
		}
	}
	for _, id := range removeIDs {
		if slices.Contains(m.LabelIDs, id) && !slices.Contains(removed, id) && !slices.Contains(added, id) {
			removed = append(removed, id)
		}
	}
	if len(added) > 0 {
		m.LabelIDs = append(m.LabelIDs, added...)
		s.recordLocked(u, mb, historyRecord{kind: "labelAdded", msgID: m.ID, thread: m.ThreadID, labels: m.LabelIDs, changed: added})
	}
	if len(removed) > 0 {
		m.LabelIDs = slices.DeleteFunc(m.LabelIDs, func(l string) bool { return slices.Contains(removed, l) })
		s.recordLocked(u, mb, historyRecord{kind: "labelRemoved", msgID: m.ID, thread: m.ThreadID, labels: m.LabelIDs, changed: removed})
	}
	return nil
}

// DeleteMessage deletes a message for good (users.messages.delete, or
// emptying the trash), recording a messageDeleted history entry.
func (s *Server) DeleteMessage(emailOrSubject, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return fmt.Errorf("googletest: DeleteMessage(%q): no such user", emailOrSubject)
	}
	mb := s.mailboxLocked(u)
	m := mb.msgs[id]
	if m == nil {
		return fmt.Errorf("googletest: DeleteMessage: no message %s", id)
	}
	s.deleteLocked(u, mb, m)
	return nil
}

func (s *Server) deleteLocked(u *User, mb *mailbox, m *StoredMessage) {
	delete(mb.msgs, m.ID)
	s.recordLocked(u, mb, historyRecord{kind: "messageDeleted", msgID: m.ID, thread: m.ThreadID, labels: m.LabelIDs})
}

// HistoryID is the mailbox's current historyId.
func (s *Server) HistoryID(emailOrSubject string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return 0
	}
	return s.mailboxLocked(u).historyID
}

// ExpireHistory forgets the mailbox's history up to now: a
// users.history.list whose startHistoryId is older than the current
// historyId answers 404, as Gmail does when a history id is out of date.
func (s *Server) ExpireHistory(emailOrSubject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return
	}
	mb := s.mailboxLocked(u)
	mb.oldest = mb.historyID
	mb.history = nil
}

// buildMessage writes m as an RFC 822 message with CRLF line ends.
func buildMessage(m MailMessage) ([]byte, error) {
	var b bytes.Buffer
	hdr := func(name, value string) {
		b.WriteString(name + ": " + value + "\r\n")
	}
	addrs := func(name string, list []string) error {
		if len(list) == 0 {
			return nil
		}
		var out []string
		for _, a := range list {
			pa, err := mail.ParseAddress(a)
			if err != nil {
				return fmt.Errorf("%s address %q: %w", name, a, err)
			}
			out = append(out, pa.String())
		}
		hdr(name, strings.Join(out, ", "))
		return nil
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("From address %q: %w", m.From, err)
	}
	hdr("MIME-Version", "1.0")
	hdr("Date", m.Date.Format(time.RFC1123Z))
	hdr("Message-ID", m.MessageID)
	if m.InReplyTo != "" {
		hdr("In-Reply-To", m.InReplyTo)
	}
	if m.References != "" {
		hdr("References", m.References)
	}
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("From", from.String())
	for _, l := range []struct {
		name string
		list []string
	}{{"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}, {"Reply-To", m.ReplyTo}} {
		if err := addrs(l.name, l.list); err != nil {
			return nil, err
		}
	}
	for _, h := range m.Headers {
		if strings.ContainsAny(h.Name+h.Value, "\r\n") {
			return nil, fmt.Errorf("header %q has a line break", h.Name)
		}
		hdr(h.Name, h.Value)
	}
	var inline, attached []MailAttachment
	for _, a := range m.Attachments {
		if a.ContentID != "" {
			inline = append(inline, a)
		} else {
			attached = append(attached, a)
		}
	}
	// The body, innermost first: alternative, related, mixed.
	type part struct {
		header textproto.MIMEHeader
		body   []byte
	}
	textPart := func(ctype, s string) part {
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		_, _ = w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")))
		_ = w.Close()
		return part{textproto.MIMEHeader{"Content-Type": {ctype + `; charset="UTF-8"`}, "Content-Transfer-Encoding": {"quoted-printable"}}, qp.Bytes()}
	}
	multi := func(sub string, parts []part) (part, error) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, p := range parts {
			pw, err := w.CreatePart(p.header)
			if err != nil {
				return part{}, err
			}
			if _, err := pw.Write(p.body); err != nil {
				return part{}, err
			}
		}
		if err := w.Close(); err != nil {
			return part{}, err
		}
		return part{textproto.MIMEHeader{"Content-Type": {"multipart/" + sub + `; boundary="` + w.Boundary() + `"`}}, buf.Bytes()}, nil
	}
	attPart := func(a MailAttachment, disposition string) part {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(ct, map[string]string{"name": a.Filename})},
			"Content-Disposition":       {mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename})},
			"Content-Transfer-Encoding": {"base64"},
		}
		if a.ContentID != "" {
			h.Set("Content-ID", "<"+a.ContentID+">")
			h.Set("X-Attachment-Id", a.ContentID)
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		var lines strings.Builder
		for len(enc) > 76 {
			lines.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		lines.WriteString(enc)
		return part{h, []byte(lines.String())}
	}
	var body part
	switch {
	case m.Text != "" && m.HTML != "":
		body, err = multi("alternative", []part{textPart("text/plain", m.Text), textPart("text/html", m.HTML)})
	case m.HTML != "":
		body = textPart("text/html", m.HTML)
	default:
		body = textPart("text/plain", m.Text)
	}
	if err != nil {
		return nil, err
	}
	if len(inline) > 0 {
		parts := []part{body}
		for _, a := range inline {
			parts = append(parts, attPart(a, "inline"))
		}
		if body, err = multi("related", parts); err != nil {
			return nil, err
		}
	}
	if len(attached) > 0 {
		parts := []part{body}
		for _, a := range attached {
			parts = append(parts, attPart(a, "attachment"))
		}
		if body, err = multi("mixed", parts); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding"} {
		if v := body.header.Get(k); v != "" {
			hdr(k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(body.body)
	return b.Bytes(), nil
}

// headers is a header block in order, names as written.
type headers []Header

func (h headers) get(name string) string {
	for _, x := range h {
		if strings.EqualFold(x.Name, name) {
			return x.Value
		}
	}
	return ""
}

// splitMessage splits an entity into its header block (unfolded, in
// order) and its body.
func splitMessage(raw []byte) (headers, []byte) {
	var hs headers
	rest := raw
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return hs, rest
		}
		if (line[0] == ' ' || line[0] == '\t') && len(hs) > 0 {
			hs[len(hs)-1].Value += " " + strings.TrimSpace(string(line))
			continue
		}
		name, value, ok := strings.Cut(string(line), ":")
		if !ok {
			continue
		}
		hs = append(hs, Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return hs, nil
}

// splitMultipart returns the raw parts of a multipart body.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	lines := bytes.SplitAfter(body, []byte("\n"))
	var cur *bytes.Buffer
	for _, line := range lines {
		t := bytes.TrimRight(line, "\r\n \t")
		if bytes.Equal(t, delim) || bytes.Equal(t, append(slices.Clone(delim), '-', '-')) {
			if cur != nil {
				p := cur.Bytes()
				p = bytes.TrimSuffix(p, []byte("\n"))
				p = bytes.TrimSuffix(p, []byte("\r"))
				parts = append(parts, p)
			}
			if bytes.HasSuffix(t, []byte("--")) && !bytes.Equal(t, delim) {
				return parts
			}
			cur = &bytes.Buffer{}
			continue
		}
		if cur != nil {
			cur.Write(line)
		}
	}
	return parts
}

// decodeBody undoes a Content-Transfer-Encoding.
func decodeBody(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			n, _ = base64.RawStdEncoding.Decode(out, bytes.TrimRight(clean, "="))
		}
		return out[:n]
	case "quoted-printable":
		out, err := readAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return body
		}
		return out
	}
	return body
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// messagePart is Gmail's MessagePart resource.
type messagePart struct {
	PartID   string         `json:"partId"`
	MimeType string         `json:"mimeType"`
	Filename string         `json:"filename"`
	Headers  []Header       `json:"headers"`
	Body     partBody       `json:"body"`
	Parts    []*messagePart `json:"parts,omitempty"`
}

// partBody is Gmail's MessagePartBody resource.
type partBody struct {
	AttachmentID string `json:"attachmentId,omitempty"`
	Size         int    `json:"size"`
	Data         string `json:"data,omitempty"`
}

// parsedPart is a decoded MIME leaf, for snippets, attachments and search.
type parsedPart struct {
	partID, mimeType, filename, attachmentID string
	data                                     []byte
}

// payloadTree builds Gmail's payload of a raw message and collects its
// leaves. Leaves with a filename are attachments: their body carries an
// attachmentId and size, not data.
func payloadTree(msgID string, raw []byte) (*messagePart, []parsedPart) {
	var leaves []parsedPart
	var walk func(partID string, entity []byte) *messagePart
	walk = func(partID string, entity []byte) *messagePart {
		hs, body := splitMessage(entity)
		ctype := hs.get("Content-Type")
		if ctype == "" {
			ctype = "text/plain"
		}
		mt, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			mt, params = "text/plain", nil
		}
		p := &messagePart{PartID: partID, MimeType: mt, Headers: hs}
		if p.Headers == nil {
			p.Headers = []Header{}
		}
		if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
			for i, sub := range splitMultipart(body, params["boundary"]) {
				id := strconv.Itoa(i)
				if partID != "" {
					id = partID + "." + id
				}
				p.Parts = append(p.Parts, walk(id, sub))
			}
			return p
		}
		data := decodeBody(hs.get("Content-Transfer-Encoding"), body)
		filename := params["name"]
		if _, dp, err := mime.ParseMediaType(hs.get("Content-Disposition")); err == nil && dp["filename"] != "" {
			filename = dp["filename"]
		}
		if dec, err := new(mime.WordDecoder).DecodeHeader(filename); err == nil {
			filename = dec
		}
		p.Filename = filename
		p.Body.Size = len(data)
		leaf := parsedPart{partID: partID, mimeType: mt, filename: filename, data: data}
		if filename != "" {
			leaf.attachmentID = attachmentID(msgID, partID)
			p.Body.AttachmentID = leaf.attachmentID
		} else if len(data) > 0 {
			p.Body.Data = base64.URLEncoding.EncodeToString(data)
		}
		leaves = append(leaves, leaf)
		return p
	}
	return walk("", raw), leaves
}

// attachmentID is a stable opaque attachment id, shaped like Gmail's
// (long base64url).
func attachmentID(msgID, partID string) string {
	sum := sha256.Sum256([]byte(msgID + "/" + partID))
	return "ANGjdJ" + base64.RawURLEncoding.EncodeToString(sum[:]) + base64.RawURLEncoding.EncodeToString([]byte(msgID+"/"+partID))
}

// snippet is Gmail's snippet: the start of the text (or the HTML without
// tags), whitespace collapsed, HTML-escaped as Gmail serves it.
func snippet(leaves []parsedPart) string {
	var text string
	for _, l := range leaves {
		if l.filename == "" && l.mimeType == "text/plain" {
			text = string(l.data)
			break
		}
	}
	if text == "" {
		for _, l := range leaves {
			if l.filename == "" && l.mimeType == "text/html" {
				text = html.UnescapeString(tagRE.ReplaceAllString(string(l.data), " "))
				break
			}
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200])
	}
	return html.EscapeString(text)
}

var tagRE = regexp.MustCompile(`(?s)<style.*?</style>|<script.*?</script>|<[^>]*>`)
