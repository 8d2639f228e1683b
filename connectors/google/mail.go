package google

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	xoauth2 "golang.org/x/oauth2"
	gmail "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/aurinko-go/aurinko/unified/email"
)

// The Gmail mapping of the unified Email API (email.Mailbox).
//
// Labels and folders. Gmail has labels, not folders. The system labels map
// to sysLabels as INBOX → inbox, SENT → sent, DRAFT → draft, TRASH → trash,
// SPAM → junk, UNREAD → unread, STARRED → flagged, IMPORTANT → important;
// user labels are keywords, by name. CATEGORY_* and CHAT are not mapped.
// The folder of a message (folderId) is its first label of TRASH, SPAM,
// DRAFT, INBOX, SENT; a message with none of them is archived and its
// folder is the pseudo-folder ArchiveFolderID ("ARCHIVE"), which lists
// every message outside the inbox, sent, drafts, trash and spam. The
// well-known folders are INBOX, SENT, DRAFT, TRASH, SPAM (junk) and
// ARCHIVE.
//
// Status updates: unread adds or removes UNREAD, archived=true removes
// INBOX and archived=false adds it back, keywords replace the message's
// user labels (creating labels that do not exist yet).
//
// Attachment ids are Gmail part ids ("1", "0.2"): Gmail's own attachmentId
// changes from one read to the next, so GetAttachment looks the part up
// in the message and then reads users.messages.attachments.get.
//
// Delta sync: the cursor of a round is the mailbox historyId read before
// the round (users.getProfile); the first round lists the messages
// (users.messages.list, without spam and trash), the next rounds read
// users.history.list from that historyId. A message added or relabelled is
// Updated, unless it now carries TRASH or SPAM, which makes it Deleted
// (moved out of the synced set), as does a messageDeleted record. History
// 404 (startHistoryId too old) is email.ErrCursorExpired.

// ArchiveFolderID is the folder id of archived Gmail messages (no INBOX,
// SENT, DRAFT, TRASH or SPAM label).
const ArchiveFolderID = "ARCHIVE"

// archiveQuery is the Gmail search for ArchiveFolderID.
const archiveQuery = "-in:inbox -in:sent -in:drafts -in:trash -in:spam"

// maxSendSize is Gmail's limit for a message sent through the API.
const maxSendSize = 35 << 20

// fetchConcurrency is how many users.messages.get calls a page makes at
// once.
const fetchConcurrency = 8

var (
	_ email.Mailbox = (*Connector)(nil)
)

var sysLabelOf = map[string]email.SysLabel{
	"INBOX": email.LabelInbox, "SENT": email.LabelSent, "DRAFT": email.LabelDraft, "TRASH": email.LabelTrash,
	"SPAM": email.LabelJunk, "UNREAD": email.LabelUnread, "STARRED": email.LabelFlagged, "IMPORTANT": email.LabelImportant,
}

// folderLabels are the labels that act as folders, in the order that
// picks a message's folder.
var folderLabels = []string{"TRASH", "SPAM", "DRAFT", "INBOX", "SENT"}

// mailService returns a Gmail client that acts as acct.
func (c *Connector) mailService(ctx context.Context, acct email.Account) (*gmail.Service, error) {
	hc := acct.Client
	if hc == nil {
		if acct.AccessToken == nil {
			return nil, errors.New("google: the account has neither Client nor AccessToken")
		}
		hc = &http.Client{
			Transport: &xoauth2.Transport{Source: accessTokenSource{ctx: ctx, f: acct.AccessToken}, Base: c.client.Transport},
			Timeout:   c.client.Timeout,
		}
	}
	svc, err := gmail.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(c.ep.APIBaseURL+"/"))
	if err != nil {
		return nil, fmt.Errorf("google: gmail client: %w", err)
	}
	return svc, nil
}

type accessTokenSource struct {
	ctx context.Context
	f   func(ctx context.Context) (string, error)
}

func (s accessTokenSource) Token() (*xoauth2.Token, error) {
	t, err := s.f(s.ctx)
	if err != nil {
		return nil, err
	}
	return &xoauth2.Token{AccessToken: t, TokenType: "Bearer"}, nil
}

// mailErr classifies an error of a Gmail call as an *email.Error. Errors
// that are neither Gmail's answers nor network failures (the account's
// token source) are wrapped unchanged.
func mailErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		e := &email.Error{Status: ge.Code, Err: fmt.Errorf("google: gmail %s: %w", op, err), Message: "gmail " + op}
		reason := ""
		if len(ge.Errors) > 0 {
			reason = ge.Errors[0].Reason
		}
		switch {
		case ge.Code == http.StatusNotFound:
			e.Kind = email.ErrNotFound
		case ge.Code == http.StatusTooManyRequests,
			ge.Code == http.StatusForbidden && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded"):
			e.Kind = email.ErrRateLimited
			e.RetryAfter = retryAfter(ge.Header)
		case ge.Code >= 500:
			e.Kind = email.ErrUnavailable
			e.RetryAfter = retryAfter(ge.Header)
		case ge.Code == http.StatusBadRequest:
			e.Kind = email.ErrInvalid
			if ge.Message != "" {
				e.Message += ": " + ge.Message
			}
		case ge.Code == http.StatusRequestEntityTooLarge:
			e.Kind = email.ErrTooLarge
		default:
			// 401, 403: the grant does not allow it; not a kind of the
			// interface, left to the caller.
			return fmt.Errorf("google: gmail %s: %w", op, err)
		}
		return e
	}
	if isNetworkErr(err) {
		return &email.Error{Kind: email.ErrUnavailable, Message: "gmail " + op + ": Google could not be reached",
			Err: fmt.Errorf("google: gmail %s: %w", op, err)}
	}
	return fmt.Errorf("google: gmail %s: %w", op, err)
}

func isNetworkErr(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	var ue *url.Error
	if errors.As(err, &op) || errors.As(err, &dns) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	if errors.As(err, &ue) && (ue.Timeout() || errors.Is(ue.Err, io.EOF)) {
		return true
	}
	return false
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// labelSet is the account's labels by id.
type labelSet map[string]*gmail.Label

func (c *Connector) labels(ctx context.Context, svc *gmail.Service) (labelSet, error) {
	r, err := svc.Users.Labels.List("me").Context(ctx).Do()
	if err != nil {
		return nil, mailErr("users.labels.list", err)
	}
	out := make(labelSet, len(r.Labels))
	for _, l := range r.Labels {
		out[l.Id] = l
	}
	return out, nil
}

// --- query translation ---

// GmailQuery translates an Aurinko query into Gmail's search syntax
// (users.messages.list q). Every value is quoted, so that no value can
// add an operator, a negation, OR or a group; dates are Unix seconds,
// which Gmail reads exactly (its yyyy/mm/dd dates are midnight PST).
func GmailQuery(q email.Query) string {
	var parts []string
	add := func(op string, vals []string) {
		for _, v := range vals {
			if v = gmailQuote(v); v != "" {
				parts = append(parts, op+v)
			}
		}
	}
	add("from:", q.From)
	add("to:", q.To)
	add("subject:", q.Subject)
	if !q.After.IsZero() {
		parts = append(parts, "after:"+strconv.FormatInt(q.After.Unix(), 10))
	}
	if !q.Before.IsZero() {
		parts = append(parts, "before:"+strconv.FormatInt(q.Before.Unix(), 10))
	}
	if q.Unread != nil {
		if *q.Unread {
			parts = append(parts, "is:unread")
		} else {
			parts = append(parts, "is:read")
		}
	}
	if q.HasAttachment {
		parts = append(parts, "has:attachment")
	}
	add("", q.Text)
	return strings.Join(parts, " ")
}

// gmailQuote quotes a value for Gmail search. Gmail has no escape inside
// quotes, so double quotes and control characters become spaces.
func gmailQuote(v string) string {
	v = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return ""
	}
	return `"` + v + `"`
}

// --- cursors ---

// listCursor is the cursor of a message list page.
type listCursor struct {
	Q         string   `json:"q,omitempty"`
	Labels    []string `json:"l,omitempty"`
	SpamTrash bool     `json:"st,omitempty"`
	Token     string   `json:"p,omitempty"`
}

// deltaCursor is the cursor of a delta sync: a listing round (List set)
// or a history round from History.
type deltaCursor struct {
	History uint64      `json:"h"`
	List    *listCursor `json:"list,omitempty"`
	Token   string      `json:"p,omitempty"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return &email.Error{Kind: email.ErrInvalid, Message: "malformed cursor", Err: fmt.Errorf("google: cursor: %w", err)}
	}
	return nil
}

// --- list and get ---

// ListMessages implements email.Mailbox with users.messages.list and a
// users.messages.get (format=full) per message.
func (c *Connector) ListMessages(ctx context.Context, acct email.Account, req email.ListRequest) (email.MessagePage, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.MessagePage{}, err
	}
	var cur listCursor
	if req.Page != "" {
		if err := decodeCursor(req.Page, &cur); err != nil {
			return email.MessagePage{}, err
		}
	} else {
		cur.Q = GmailQuery(req.Query)
		switch req.FolderID {
		case "":
			cur.SpamTrash = req.IncludeTrashAndJunk
		case ArchiveFolderID:
			cur.Q = strings.TrimSpace(archiveQuery + " " + cur.Q)
		default:
			cur.Labels = []string{req.FolderID}
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = email.DefaultLimit
	}
	call := svc.Users.Messages.List("me").MaxResults(int64(limit)).IncludeSpamTrash(cur.SpamTrash).Context(ctx)
	if cur.Q != "" {
		call.Q(cur.Q)
	}
	if len(cur.Labels) > 0 {
		call.LabelIds(cur.Labels...)
	}
	if cur.Token != "" {
		call.PageToken(cur.Token)
	}
	r, err := call.Do()
	if err != nil {
		if req.FolderID != "" && req.Page == "" {
			var ee *email.Error
			if err := mailErr("users.messages.list", err); errors.As(err, &ee) && ee.Kind == email.ErrInvalid {
				// Gmail answers 400 "Invalid label" for an unknown folder.
				ee.Kind = email.ErrNotFound
				return email.MessagePage{}, ee
			}
		}
		return email.MessagePage{}, mailErr("users.messages.list", err)
	}
	ids := make([]string, len(r.Messages))
	for i, m := range r.Messages {
		ids[i] = m.Id
	}
	msgs, err := c.fetchMessages(ctx, svc, ids, req.BodyType, false)
	if err != nil {
		return email.MessagePage{}, err
	}
	page := email.MessagePage{Records: msgs}
	if r.NextPageToken != "" {
		cur.Token = r.NextPageToken
		page.NextPage = encodeCursor(cur)
	}
	return page, nil
}

// fetchMessages reads messages concurrently, in order. Messages gone
// meanwhile (404) are skipped when skipMissing, else an error.
func (c *Connector) fetchMessages(ctx context.Context, svc *gmail.Service, ids []string, bt email.BodyType, skipMissing bool) ([]email.Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	labels, err := c.labels(ctx, svc)
	if err != nil {
		return nil, err
	}
	out := make([]*email.Message, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, fetchConcurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, err := svc.Users.Messages.Get("me", id).Format("full").Context(ctx).Do()
			if err != nil {
				errs[i] = mailErr("users.messages.get", err)
				return
			}
			msg := toMessage(m, labels, bt, false)
			out[i] = &msg
		}()
	}
	wg.Wait()
	var msgs []email.Message
	for i := range ids {
		if errs[i] != nil {
			if skipMissing && errors.Is(errs[i], email.ErrNotFound) {
				continue
			}
			return nil, errs[i]
		}
		msgs = append(msgs, *out[i])
	}
	return msgs, nil
}

// GetMessage implements email.Mailbox (users.messages.get, format=full).
func (c *Connector) GetMessage(ctx context.Context, acct email.Account, id string, opts email.GetOptions) (email.Message, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.Message{}, err
	}
	labels, err := c.labels(ctx, svc)
	if err != nil {
		return email.Message{}, err
	}
	m, err := svc.Users.Messages.Get("me", id).Format("full").Context(ctx).Do()
	if err != nil {
		return email.Message{}, mailErr("users.messages.get", err)
	}
	bt := opts.BodyType
	if bt == email.BodyNone {
		bt = email.BodyHTML
	}
	msg := toMessage(m, labels, bt, true)
	if opts.LoadInlines {
		for i, a := range msg.Attachments {
			if !a.Inline {
				continue
			}
			full, err := c.attachment(ctx, svc, m, a.ID)
			if err != nil {
				return email.Message{}, err
			}
			msg.Attachments[i].Content = full.Content
		}
	}
	return msg, nil
}

// toMessage maps a Gmail message (format=full) to the unified Message;
// headers is false for lists, which leave attachments and internet
// headers out.
func toMessage(m *gmail.Message, labels labelSet, bt email.BodyType, headers bool) email.Message {
	out := email.Message{ID: m.Id, ThreadID: m.ThreadId, BodySnippet: html.UnescapeString(m.Snippet)}
	if m.InternalDate > 0 {
		out.ReceivedAt = time.UnixMilli(m.InternalDate).UTC()
	}
	for _, l := range m.LabelIds {
		if s, ok := sysLabelOf[l]; ok {
			out.SysLabels = append(out.SysLabels, s)
		} else if lb := labels[l]; lb != nil && lb.Type == "user" {
			out.Keywords = append(out.Keywords, lb.Name)
		}
	}
	out.FolderID = ArchiveFolderID
	for _, l := range folderLabels {
		if slices.Contains(m.LabelIds, l) {
			out.FolderID = l
			break
		}
	}
	if m.Payload == nil {
		out.Omitted = append(out.Omitted, "body", "attachments", "internetHeaders")
		return out
	}
	hs := m.Payload.Headers
	get := func(name string) string {
		for _, h := range hs {
			if strings.EqualFold(h.Name, name) {
				return h.Value
			}
		}
		return ""
	}
	out.Subject = decodeWords(get("Subject"))
	out.InternetMessageID = strings.TrimSpace(get("Message-ID"))
	out.InReplyTo = strings.TrimSpace(get("In-Reply-To"))
	out.References = strings.Join(strings.Fields(get("References")), " ")
	if d, err := mail.ParseDate(get("Date")); err == nil {
		out.SentAt = d.UTC()
	}
	if from := addressList(get("From")); len(from) > 0 {
		out.From = &from[0]
	}
	out.To, out.Cc, out.Bcc, out.ReplyTo = addressList(get("To")), addressList(get("Cc")), addressList(get("Bcc")), addressList(get("Reply-To"))
	if headers {
		for _, h := range hs {
			out.InternetHeaders = append(out.InternetHeaders, email.Header{Name: h.Name, Value: h.Value})
		}
	}

	var textBody, htmlBody string
	var walk func(p *gmail.MessagePart, inAttachment bool)
	walk = func(p *gmail.MessagePart, _ bool) {
		if strings.HasPrefix(p.MimeType, "multipart/") {
			for _, sub := range p.Parts {
				walk(sub, false)
			}
			return
		}
		if a, ok := attachmentOf(p); ok {
			out.Attachments = append(out.Attachments, a)
			if !a.Inline {
				out.HasAttachments = true
			}
			return
		}
		if p.Body == nil {
			return
		}
		data, _ := decodeB64URL(p.Body.Data)
		switch p.MimeType {
		case "text/plain":
			if textBody == "" {
				textBody = decodeCharset(p, data)
			}
		case "text/html":
			if htmlBody == "" {
				htmlBody = decodeCharset(p, data)
			}
		}
	}
	walk(m.Payload, false)
	if !headers {
		// Lists (and delta pages) carry no attachments and no headers
		// (nor inReplyTo and references), as on Graph: "attachments" is omitted when the message has some
		// that are not inline.
		out.Attachments = nil
		if out.HasAttachments {
			out.Omitted = append(out.Omitted, "attachments")
		}
		// In-Reply-To and References come from the headers, which Graph
		// lists do not read either.
		out.InReplyTo, out.References = "", ""
		out.Omitted = append(out.Omitted, "internetHeaders")
	}
	if bt == email.BodyNone {
		out.Omitted = append(out.Omitted, "body")
	} else {
		out.Body = email.BodyAs(bt, textBody, htmlBody)
	}
	return out
}

// attachmentOf reports whether a leaf part is an attachment and maps it;
// its id is the part id.
func attachmentOf(p *gmail.MessagePart) (email.Attachment, bool) {
	get := func(name string) string {
		for _, h := range p.Headers {
			if strings.EqualFold(h.Name, name) {
				return h.Value
			}
		}
		return ""
	}
	disp, _, _ := mime.ParseMediaType(get("Content-Disposition"))
	cid := strings.Trim(strings.TrimSpace(get("Content-ID")), "<>")
	if p.Filename == "" && (p.Body == nil || p.Body.AttachmentId == "") && disp != "attachment" {
		return email.Attachment{}, false
	}
	a := email.Attachment{ID: p.PartId, Name: decodeWords(p.Filename), MimeType: p.MimeType, ContentID: cid,
		Inline: disp == "inline" || (disp == "" && cid != "")}
	if p.Body != nil {
		a.Size = p.Body.Size
	}
	return a, true
}

func decodeWords(s string) string {
	if d, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// decodeCharset returns a text part as UTF-8. Gmail serves the part's
// bytes as written; UTF-8 and US-ASCII pass, ISO-8859-1 is converted,
// other charsets are returned as they are.
func decodeCharset(p *gmail.MessagePart, data []byte) string {
	for _, h := range p.Headers {
		if !strings.EqualFold(h.Name, "Content-Type") {
			continue
		}
		_, params, _ := mime.ParseMediaType(h.Value)
		switch strings.ToLower(params["charset"]) {
		case "iso-8859-1", "latin1", "windows-1252":
			r := make([]rune, len(data))
			for i, b := range data {
				r[i] = rune(b)
			}
			return string(r)
		}
	}
	return string(data)
}

// decodeB64URL decodes base64url with or without padding.
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func addressList(v string) []email.Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	list, err := (&mail.AddressParser{WordDecoder: new(mime.WordDecoder)}).ParseList(v)
	if err != nil {
		// Keep what can be read: one address per comma-separated item.
		var out []email.Address
		for _, item := range strings.Split(v, ",") {
			if a, err := mail.ParseAddress(strings.TrimSpace(item)); err == nil {
				out = append(out, email.Address{Name: a.Name, Address: a.Address})
			}
		}
		return out
	}
	out := make([]email.Address, len(list))
	for i, a := range list {
		out[i] = email.Address{Name: a.Name, Address: a.Address}
	}
	return out
}

var (
	htmlDropRE  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)>`)
	htmlBreakRE = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])>`)
	htmlTagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// htmlToText is the text of an HTML body: tags dropped, entities decoded,
// a line break for each <br> and block end, blank runs collapsed.
func htmlToText(s string) string {
	s = htmlDropRE.ReplaceAllString(s, "")
	s = htmlBreakRE.ReplaceAllString(s, "\n")
	s = html.UnescapeString(htmlTagRE.ReplaceAllString(s, ""))
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// RawMessage implements email.Mailbox (users.messages.get, format=raw).
func (c *Connector) RawMessage(ctx context.Context, acct email.Account, id string) (io.ReadCloser, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return nil, err
	}
	m, err := svc.Users.Messages.Get("me", id).Format("raw").Context(ctx).Do()
	if err != nil {
		return nil, mailErr("users.messages.get", err)
	}
	raw, err := decodeB64URL(m.Raw)
	if err != nil {
		return nil, &email.Error{Kind: email.ErrUnavailable, Message: "gmail sent a malformed raw message", Err: fmt.Errorf("google: raw message: %w", err)}
	}
	return io.NopCloser(bytes.NewReader(raw)), nil
}

// --- attachments ---

// GetAttachment implements email.Mailbox: the part attachmentID (a part
// id) of the message, with its content.
func (c *Connector) GetAttachment(ctx context.Context, acct email.Account, messageID, attachmentID string) (email.Attachment, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.Attachment{}, err
	}
	m, err := svc.Users.Messages.Get("me", messageID).Format("full").Context(ctx).Do()
	if err != nil {
		return email.Attachment{}, mailErr("users.messages.get", err)
	}
	return c.attachment(ctx, svc, m, attachmentID)
}

func (c *Connector) attachment(ctx context.Context, svc *gmail.Service, m *gmail.Message, partID string) (email.Attachment, error) {
	var found *gmail.MessagePart
	var walk func(p *gmail.MessagePart)
	walk = func(p *gmail.MessagePart) {
		if p == nil || found != nil {
			return
		}
		if p.PartId == partID && !strings.HasPrefix(p.MimeType, "multipart/") {
			found = p
			return
		}
		for _, sub := range p.Parts {
			walk(sub)
		}
	}
	walk(m.Payload)
	if found == nil {
		return email.Attachment{}, &email.Error{Kind: email.ErrNotFound, Message: "no such attachment",
			Err: fmt.Errorf("google: message %s has no part %q", m.Id, partID)}
	}
	a, ok := attachmentOf(found)
	if !ok {
		return email.Attachment{}, &email.Error{Kind: email.ErrNotFound, Message: "no such attachment",
			Err: fmt.Errorf("google: part %q of message %s is not an attachment", partID, m.Id)}
	}
	var data []byte
	if found.Body != nil && found.Body.AttachmentId != "" {
		b, err := svc.Users.Messages.Attachments.Get("me", m.Id, found.Body.AttachmentId).Context(ctx).Do()
		if err != nil {
			return email.Attachment{}, mailErr("users.messages.attachments.get", err)
		}
		if data, err = decodeB64URL(b.Data); err != nil {
			return email.Attachment{}, &email.Error{Kind: email.ErrUnavailable, Message: "gmail sent a malformed attachment",
				Err: fmt.Errorf("google: attachment: %w", err)}
		}
	} else if found.Body != nil {
		data, _ = decodeB64URL(found.Body.Data)
	}
	a.Content = data
	a.Size = int64(len(data))
	return a, nil
}

// --- changes ---

// UpdateMessage implements email.Mailbox with one users.messages.modify
// (see the mapping above). Keywords that name no label yet create it.
func (c *Connector) UpdateMessage(ctx context.Context, acct email.Account, id string, upd email.StatusUpdate) error {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return err
	}
	var add, remove []string
	if upd.Unread != nil {
		if *upd.Unread {
			add = append(add, "UNREAD")
		} else {
			remove = append(remove, "UNREAD")
		}
	}
	if upd.Archived != nil {
		if *upd.Archived {
			remove = append(remove, "INBOX")
		} else {
			add = append(add, "INBOX")
		}
	}
	if upd.Keywords != nil {
		labels, err := c.labels(ctx, svc)
		if err != nil {
			return err
		}
		m, err := svc.Users.Messages.Get("me", id).Format("minimal").Context(ctx).Do()
		if err != nil {
			return mailErr("users.messages.get", err)
		}
		want := map[string]bool{}
		for _, k := range *upd.Keywords {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			lid := ""
			for _, l := range labels {
				if l.Type == "user" && strings.EqualFold(l.Name, k) {
					lid = l.Id
					break
				}
			}
			if lid == "" {
				nl, err := svc.Users.Labels.Create("me", &gmail.Label{Name: k, LabelListVisibility: "labelShow",
					MessageListVisibility: "show"}).Context(ctx).Do()
				if err != nil {
					return mailErr("users.labels.create", err)
				}
				lid = nl.Id
				labels[lid] = nl
			}
			if !want[lid] && !slices.Contains(m.LabelIds, lid) {
				add = append(add, lid)
			}
			want[lid] = true
		}
		for _, lid := range m.LabelIds {
			if l := labels[lid]; l != nil && l.Type == "user" && !want[lid] {
				remove = append(remove, lid)
			}
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		// Nothing to change; still 404 for an unknown id.
		_, err := svc.Users.Messages.Get("me", id).Format("minimal").Context(ctx).Do()
		return mailErr("users.messages.get", err)
	}
	_, err = svc.Users.Messages.Modify("me", id, &gmail.ModifyMessageRequest{AddLabelIds: add, RemoveLabelIds: remove}).Context(ctx).Do()
	return mailErr("users.messages.modify", err)
}

// TrashMessage implements email.Mailbox (users.messages.trash).
func (c *Connector) TrashMessage(ctx context.Context, acct email.Account, id string) error {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return err
	}
	_, err = svc.Users.Messages.Trash("me", id).Context(ctx).Do()
	return mailErr("users.messages.trash", err)
}

// --- folders ---

// ListFolders implements email.Mailbox from users.labels.list: the folder
// labels (INBOX, SENT, DRAFT, TRASH, SPAM) and ARCHIVE as folders,
// STARRED, IMPORTANT and the user labels as labels (a user label "a/b" is
// b under a). Gmail does not page labels.
func (c *Connector) ListFolders(ctx context.Context, acct email.Account, page string) (email.FolderPage, error) {
	if page != "" {
		return email.FolderPage{}, &email.Error{Kind: email.ErrInvalid, Message: "malformed cursor"}
	}
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.FolderPage{}, err
	}
	labels, err := c.labels(ctx, svc)
	if err != nil {
		return email.FolderPage{}, err
	}
	var out []email.Folder
	system := []struct {
		id, name string
		folder   bool
	}{
		{"INBOX", "Inbox", true}, {"SENT", "Sent", true}, {"DRAFT", "Drafts", true}, {"TRASH", "Trash", true},
		{"SPAM", "Spam", true}, {"STARRED", "Starred", false}, {"IMPORTANT", "Important", false},
	}
	for _, s := range system {
		if labels[s.id] == nil {
			continue
		}
		f := email.Folder{ID: s.id, Name: s.name, IsFolder: s.folder, IsLabel: true}
		if s.folder {
			f.SysLabel = sysLabelOf[s.id]
		}
		out = append(out, f)
	}
	out = append(out, email.Folder{ID: ArchiveFolderID, Name: "Archive", IsFolder: true})
	byName := map[string]string{}
	var user []*gmail.Label
	for _, l := range labels {
		if l.Type == "user" {
			user = append(user, l)
			byName[l.Name] = l.Id
		}
	}
	slices.SortFunc(user, func(a, b *gmail.Label) int { return strings.Compare(a.Name, b.Name) })
	for _, l := range user {
		f := email.Folder{ID: l.Id, Name: l.Name, FullName: l.Name, IsLabel: true}
		if i := strings.LastIndex(l.Name, "/"); i > 0 {
			f.Name = l.Name[i+1:]
			f.ParentID = byName[l.Name[:i]]
		}
		out = append(out, f)
	}
	return email.FolderPage{Records: out}, nil
}

// WellKnownFolders implements email.Mailbox. Gmail's system label ids are
// fixed, so it makes no request.
func (c *Connector) WellKnownFolders(context.Context, email.Account) (email.WellKnownFolders, error) {
	return email.WellKnownFolders{Archive: ArchiveFolderID, Sent: "SENT", Inbox: "INBOX", Drafts: "DRAFT", Trash: "TRASH", Junk: "SPAM"}, nil
}

// --- delta ---

// DeltaStart implements email.Mailbox: it reads the mailbox historyId
// (users.getProfile) and returns a cursor whose first round lists the
// messages received since opts.Since (all messages when zero), spam and
// trash left out; the rounds after it read the history from that
// historyId.
func (c *Connector) DeltaStart(ctx context.Context, acct email.Account, opts email.SyncOptions) (string, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return "", err
	}
	p, err := svc.Users.GetProfile("me").Context(ctx).Do()
	if err != nil {
		return "", mailErr("users.getProfile", err)
	}
	lc := &listCursor{}
	if !opts.Since.IsZero() {
		lc.Q = "after:" + strconv.FormatInt(opts.Since.Unix(), 10)
	}
	return encodeCursor(deltaCursor{History: p.HistoryId, List: lc}), nil
}

// DeltaChanges implements email.Mailbox.
func (c *Connector) DeltaChanges(ctx context.Context, acct email.Account, req email.DeltaRequest) (email.DeltaPage, error) {
	var cur deltaCursor
	if err := decodeCursor(req.Cursor, &cur); err != nil {
		return email.DeltaPage{}, err
	}
	if cur.History == 0 {
		return email.DeltaPage{}, &email.Error{Kind: email.ErrInvalid, Message: "malformed cursor"}
	}
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.DeltaPage{}, err
	}
	limit := int64(req.Limit)
	if limit <= 0 {
		limit = email.DefaultLimit
	}
	if cur.List != nil {
		page, err := c.ListMessages(ctx, acct, email.ListRequest{Page: encodeCursor(cur.List), Limit: int(limit), BodyType: req.BodyType})
		if err != nil {
			return email.DeltaPage{}, err
		}
		out := email.DeltaPage{Updated: page.Records}
		if page.NextPage != "" {
			var next listCursor
			_ = decodeCursor(page.NextPage, &next)
			out.NextPage = encodeCursor(deltaCursor{History: cur.History, List: &next})
		} else {
			out.NextDelta = encodeCursor(deltaCursor{History: cur.History})
		}
		return out, nil
	}

	call := svc.Users.History.List("me").StartHistoryId(cur.History).MaxResults(limit).
		HistoryTypes("messageAdded", "messageDeleted", "labelAdded", "labelRemoved").Context(ctx)
	if cur.Token != "" {
		call.PageToken(cur.Token)
	}
	r, err := call.Do()
	if err != nil {
		err = mailErr("users.history.list", err)
		var ee *email.Error
		if errors.As(err, &ee) && ee.Kind == email.ErrNotFound {
			ee.Kind = email.ErrCursorExpired
			ee.Message = "the Gmail history id is too old: start a new sync"
		}
		return email.DeltaPage{}, err
	}
	// The last state of each message this page touches, in order.
	type change struct {
		deleted bool
		labels  []string
	}
	var order []string
	last := map[string]*change{}
	note := func(m *gmail.Message, deleted bool) {
		if m == nil || m.Id == "" {
			return
		}
		ch := last[m.Id]
		if ch == nil {
			ch = &change{}
			last[m.Id] = ch
			order = append(order, m.Id)
		}
		ch.deleted = ch.deleted || deleted
		if m.LabelIds != nil {
			ch.labels = m.LabelIds
		}
	}
	for _, h := range r.History {
		for _, a := range h.MessagesAdded {
			note(a.Message, false)
		}
		for _, a := range h.LabelsAdded {
			note(a.Message, false)
		}
		for _, a := range h.LabelsRemoved {
			note(a.Message, false)
		}
		for _, d := range h.MessagesDeleted {
			note(d.Message, true)
		}
	}
	now := c.now().UTC()
	var out email.DeltaPage
	var fetch []string
	for _, id := range order {
		ch := last[id]
		if ch.deleted || slices.Contains(ch.labels, "TRASH") || slices.Contains(ch.labels, "SPAM") {
			out.Deleted = append(out.Deleted, email.DeletedMessage{ID: id, Timestamp: now})
			continue
		}
		fetch = append(fetch, id)
	}
	msgs, err := c.fetchMessages(ctx, svc, fetch, req.BodyType, true)
	if err != nil {
		return email.DeltaPage{}, err
	}
	got := map[string]bool{}
	for _, m := range msgs {
		got[m.ID] = true
		if slices.Contains(m.SysLabels, email.LabelTrash) || slices.Contains(m.SysLabels, email.LabelJunk) {
			out.Deleted = append(out.Deleted, email.DeletedMessage{ID: m.ID, FolderID: m.FolderID, Timestamp: now})
			continue
		}
		out.Updated = append(out.Updated, m)
	}
	for _, id := range fetch {
		if !got[id] { // deleted since the record
			out.Deleted = append(out.Deleted, email.DeletedMessage{ID: id, Timestamp: now})
		}
	}
	if r.NextPageToken != "" {
		out.NextPage = encodeCursor(deltaCursor{History: cur.History, Token: r.NextPageToken})
	} else {
		next := r.HistoryId
		if next < cur.History {
			next = cur.History
		}
		out.NextDelta = encodeCursor(deltaCursor{History: next})
	}
	return out, nil
}
