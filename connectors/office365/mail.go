package office365

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aurinko-go/aurinko/unified/email"
)

// The mail calls go to Graph as plain HTTP with the account's authorized
// client (email.Account.Client), not through msgraph-sdk-go: paging and
// delta sync follow @odata.nextLink / @odata.deltaLink URLs, raw MIME is
// the $value stream, and decoding into the few fields the unified model
// needs keeps a 50-message list close to the cost of the direct call. The
// wire shapes are those of Graph v1.0 (message, mailFolder,
// fileAttachment, the error body).

var _ email.Mailbox = (*Connector)(nil)

// maxGraphAnswer bounds a Graph JSON answer read into memory.
const maxGraphAnswer = 64 << 20

// messageFields are the message properties a list reads ($select).
var messageFields = []string{"id", "conversationId", "createdDateTime", "lastModifiedDateTime", "sentDateTime",
	"receivedDateTime", "internetMessageId", "subject", "bodyPreview", "from", "toRecipients", "ccRecipients",
	"bccRecipients", "replyTo", "hasAttachments", "isRead", "isDraft", "importance", "flag", "categories",
	"parentFolderId", "webLink"}

// wellKnownNames are the Graph well-known folder names the connector maps.
var wellKnownNames = []string{"inbox", "sentitems", "drafts", "deleteditems", "junkemail", "archive"}

// folderCache keeps each account's well-known folder ids (immutable).
type folderCache struct {
	mu   sync.Mutex
	byID map[string]email.WellKnownFolders // by account id and Graph user
}

type graphRecipient struct {
	EmailAddress struct {
		Name    string `json:"name,omitempty"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

type graphBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type graphAttachment struct {
	ODataType    string `json:"@odata.type,omitempty"`
	ID           string `json:"id,omitempty"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType,omitempty"`
	Size         int64  `json:"size,omitempty"`
	IsInline     bool   `json:"isInline"`
	ContentID    string `json:"contentId,omitempty"`
	ContentBytes []byte `json:"contentBytes,omitempty"`
}

type graphMessage struct {
	ID                   string           `json:"id"`
	ConversationID       string           `json:"conversationId"`
	CreatedDateTime      time.Time        `json:"createdDateTime"`
	LastModifiedDateTime time.Time        `json:"lastModifiedDateTime"`
	SentDateTime         time.Time        `json:"sentDateTime"`
	ReceivedDateTime     time.Time        `json:"receivedDateTime"`
	InternetMessageID    string           `json:"internetMessageId"`
	Subject              string           `json:"subject"`
	BodyPreview          string           `json:"bodyPreview"`
	Body                 *graphBody       `json:"body"`
	From                 *graphRecipient  `json:"from"`
	ToRecipients         []graphRecipient `json:"toRecipients"`
	CcRecipients         []graphRecipient `json:"ccRecipients"`
	BccRecipients        []graphRecipient `json:"bccRecipients"`
	ReplyTo              []graphRecipient `json:"replyTo"`
	HasAttachments       bool             `json:"hasAttachments"`
	IsRead               bool             `json:"isRead"`
	IsDraft              bool             `json:"isDraft"`
	Importance           string           `json:"importance"`
	Flag                 *struct {
		FlagStatus string `json:"flagStatus"`
	} `json:"flag"`
	Categories             []string          `json:"categories"`
	ParentFolderID         string            `json:"parentFolderId"`
	WebLink                string            `json:"webLink"`
	InternetMessageHeaders []email.Header    `json:"internetMessageHeaders"`
	Attachments            []graphAttachment `json:"attachments"`
	Removed                *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

type graphCollection[T any] struct {
	Value     []T    `json:"value"`
	NextLink  string `json:"@odata.nextLink"`
	DeltaLink string `json:"@odata.deltaLink"`
}

type graphFolder struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	ParentFolderID string `json:"parentFolderId"`
}

// graphBase is the Graph v1.0 base URL, without trailing slash.
func (c *Connector) graphBase() string { return c.APIBaseURL("") }

// mailRequest is one Graph call of the mail API. Bodies are always read
// in the form Graph stores them (no Prefer: outlook.body-content-type):
// toMessage converts them with email.BodyAs, as every connector does, so
// that the same message reads the same from every provider.
type mailRequest struct {
	method   string
	url      string // absolute
	body     any
	pageSize int
}

// do sends a Graph request of the mail API as the account and decodes a
// JSON answer into out (when not nil); see graphDo.
func (c *Connector) do(ctx context.Context, acct email.Account, r mailRequest, out any) error {
	return c.graphDo(ctx, acct.Client, r.call(), out)
}

// call is the graphCall of a mail request.
func (r mailRequest) call() graphCall {
	return graphCall{method: r.method, url: r.url, body: r.body, pageSize: r.pageSize, what: "mailbox"}
}

// send returns a successful answer, or a classified error.
func (c *Connector) send(ctx context.Context, acct email.Account, r mailRequest) (*http.Response, error) {
	return c.graphSend(ctx, acct.Client, r.call())
}

func (c *Connector) messageURL(id string, rest ...string) string {
	u := c.graphBase() + "/me/messages/" + url.PathEscape(id)
	for _, r := range rest {
		u += "/" + r
	}
	return u
}

// ListMessages implements email.Mailbox: GET /me/messages (or
// /me/mailFolders/{id}/messages) with $select, $top and either $filter (with
// $orderby=receivedDateTime desc) or, when the query has to: or free text,
// $search in KQL — Graph accepts no $filter beside $search, so there
// is:read/unread and the trash/junk exclusion are applied to each page.
func (c *Connector) ListMessages(ctx context.Context, acct email.Account, req email.ListRequest) (email.MessagePage, error) {
	wk, err := c.wellKnown(ctx, acct)
	if err != nil {
		return email.MessagePage{}, err
	}
	q := req.Query
	useSearch := len(q.To) > 0 || len(q.Text) > 0
	u := req.Page
	if u == "" {
		base := c.graphBase() + "/me/messages"
		if req.FolderID != "" {
			base = c.graphBase() + "/me/mailFolders/" + url.PathEscape(req.FolderID) + "/messages"
		}
		fields := messageFields
		if req.BodyType != email.BodyNone {
			fields = append(slices.Clone(fields), "body")
		}
		v := url.Values{"$select": {strings.Join(fields, ",")}, "$top": {strconv.Itoa(req.Limit)}}
		if useSearch {
			v.Set("$search", `"`+kql(q)+`"`)
		} else {
			var filter []string
			filter = append(filter, odataFilter(q)...)
			if req.FolderID == "" && !req.IncludeTrashAndJunk {
				for _, id := range []string{wk.Trash, wk.Junk} {
					if id != "" {
						filter = append(filter, "parentFolderId ne '"+odataString(id)+"'")
					}
				}
			}
			if len(filter) > 0 {
				// Graph takes $filter with $orderby only when the ordered
				// property leads the filter (else 400 InefficientFilter).
				slices.SortStableFunc(filter, func(a, b string) int {
					return boolInt(!strings.HasPrefix(a, "receivedDateTime ")) - boolInt(!strings.HasPrefix(b, "receivedDateTime "))
				})
				if !strings.HasPrefix(filter[0], "receivedDateTime ") {
					filter = append([]string{"receivedDateTime ge 1900-01-01T00:00:00Z"}, filter...)
				}
				v.Set("$filter", strings.Join(filter, " and "))
			}
			v.Set("$orderby", "receivedDateTime desc")
		}
		u = base + "?" + v.Encode()
	}
	var page graphCollection[graphMessage]
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: u}, &page); err != nil {
		return email.MessagePage{}, err
	}
	out := email.MessagePage{NextPage: page.NextLink, Records: make([]email.Message, 0, len(page.Value))}
	for _, gm := range page.Value {
		if useSearch || req.Page != "" {
			// Filters $search cannot carry (a page cursor keeps the
			// first page's choice, so the same rules apply to it).
			if q.Unread != nil && *q.Unread == gm.IsRead {
				continue
			}
			if req.FolderID == "" && !req.IncludeTrashAndJunk && (gm.ParentFolderID == wk.Trash || gm.ParentFolderID == wk.Junk) && gm.ParentFolderID != "" {
				continue
			}
		}
		m := toMessage(gm, wk, req.BodyType)
		if req.BodyType == email.BodyNone {
			m.Omitted = append(m.Omitted, "body")
		}
		if gm.HasAttachments {
			m.Omitted = append(m.Omitted, "attachments")
		}
		m.Omitted = append(m.Omitted, "internetHeaders")
		out.Records = append(out.Records, m)
	}
	return out, nil
}

// odataString escapes a string literal of $filter.
func odataString(s string) string { return strings.ReplaceAll(s, "'", "''") }

// odataFilter maps the structured terms to $filter clauses.
func odataFilter(q email.Query) []string {
	var f []string
	for _, a := range q.From {
		f = append(f, "from/emailAddress/address eq '"+odataString(a)+"'")
	}
	for _, s := range q.Subject {
		f = append(f, "contains(subject,'"+odataString(s)+"')")
	}
	if !q.After.IsZero() {
		f = append(f, "receivedDateTime ge "+q.After.UTC().Format(time.RFC3339))
	}
	if !q.Before.IsZero() {
		f = append(f, "receivedDateTime lt "+q.Before.UTC().Format(time.RFC3339))
	}
	if q.Unread != nil {
		f = append(f, "isRead eq "+strconv.FormatBool(!*q.Unread))
	}
	if q.HasAttachment {
		f = append(f, "hasAttachments eq true")
	}
	return f
}

// kql maps the query to Graph's $search KQL (without the outer quotes).
// Double quotes and backslashes cannot occur in parsed values except in
// free text, where they are dropped.
func kql(q email.Query) string {
	clean := func(s string) string { return strings.NewReplacer(`"`, "", `\`, "").Replace(s) }
	var p []string
	for _, a := range q.From {
		p = append(p, "from:"+clean(a))
	}
	for _, a := range q.To {
		p = append(p, "to:"+clean(a))
	}
	for _, s := range q.Subject {
		p = append(p, "subject:"+clean(s))
	}
	if !q.After.IsZero() {
		p = append(p, "received>="+q.After.UTC().Format("2006-01-02"))
	}
	if !q.Before.IsZero() {
		p = append(p, "received<"+q.Before.UTC().Format("2006-01-02"))
	}
	if q.HasAttachment {
		p = append(p, "hasAttachments:true")
	}
	for _, t := range q.Text {
		p = append(p, clean(t))
	}
	return strings.Join(p, " AND ")
}

func toAddress(r *graphRecipient) *email.Address {
	if r == nil {
		return nil
	}
	return &email.Address{Name: r.EmailAddress.Name, Address: r.EmailAddress.Address}
}

func toAddresses(rs []graphRecipient) []email.Address {
	out := make([]email.Address, 0, len(rs))
	for _, r := range rs {
		out = append(out, email.Address{Name: r.EmailAddress.Name, Address: r.EmailAddress.Address})
	}
	return out
}

func fromAddresses(as []email.Address) []graphRecipient {
	out := make([]graphRecipient, 0, len(as))
	for _, a := range as {
		var r graphRecipient
		r.EmailAddress.Name, r.EmailAddress.Address = a.Name, a.Address
		out = append(out, r)
	}
	return out
}

// toMessage maps a Graph message to the unified model, with its body (when
// read) converted to bt.
func toMessage(g graphMessage, wk email.WellKnownFolders, bt email.BodyType) email.Message {
	m := email.Message{
		ID: g.ID, ThreadID: g.ConversationID, CreatedTime: g.CreatedDateTime, LastModifiedTime: g.LastModifiedDateTime,
		SentAt: g.SentDateTime, ReceivedAt: g.ReceivedDateTime, InternetMessageID: g.InternetMessageID, Subject: g.Subject,
		Keywords: g.Categories, From: toAddress(g.From), To: toAddresses(g.ToRecipients), Cc: toAddresses(g.CcRecipients),
		Bcc: toAddresses(g.BccRecipients), ReplyTo: toAddresses(g.ReplyTo), HasAttachments: g.HasAttachments,
		BodySnippet: g.BodyPreview, FolderID: g.ParentFolderID, WebLink: g.WebLink, InternetHeaders: g.InternetMessageHeaders,
	}
	if g.Body != nil {
		if strings.EqualFold(g.Body.ContentType, "html") {
			m.Body = email.BodyAs(bt, "", g.Body.Content)
		} else {
			m.Body = email.BodyAs(bt, g.Body.Content, "")
		}
	}
	switch g.ParentFolderID {
	case "":
	case wk.Inbox:
		m.SysLabels = append(m.SysLabels, email.LabelInbox)
	case wk.Sent:
		m.SysLabels = append(m.SysLabels, email.LabelSent)
	case wk.Trash:
		m.SysLabels = append(m.SysLabels, email.LabelTrash)
	case wk.Junk:
		m.SysLabels = append(m.SysLabels, email.LabelJunk)
	}
	if g.IsDraft {
		m.SysLabels = append(m.SysLabels, email.LabelDraft)
	}
	if !g.IsRead {
		m.SysLabels = append(m.SysLabels, email.LabelUnread)
	}
	if g.Flag != nil && strings.EqualFold(g.Flag.FlagStatus, "flagged") {
		m.SysLabels = append(m.SysLabels, email.LabelFlagged)
	}
	if strings.EqualFold(g.Importance, "high") {
		m.SysLabels = append(m.SysLabels, email.LabelImportant)
	}
	for _, h := range g.InternetMessageHeaders {
		switch strings.ToLower(h.Name) {
		case "in-reply-to":
			m.InReplyTo = h.Value
		case "references":
			m.References = h.Value
		}
	}
	for _, a := range g.Attachments {
		m.Attachments = append(m.Attachments, email.Attachment{ID: a.ID, Name: a.Name, MimeType: a.ContentType, Size: a.Size,
			Inline: a.IsInline, ContentID: a.ContentID, Content: a.ContentBytes})
	}
	return m
}

// GetMessage implements email.Mailbox: GET /me/messages/{id} with the
// body in the asked form (Prefer: outlook.body-content-type), the internet
// headers and the attachments' metadata ($expand=attachments($select=...)).
func (c *Connector) GetMessage(ctx context.Context, acct email.Account, id string, opts email.GetOptions) (email.Message, error) {
	wk, err := c.wellKnown(ctx, acct)
	if err != nil {
		return email.Message{}, err
	}
	fields := append(slices.Clone(messageFields), "body", "internetMessageHeaders")
	v := url.Values{"$select": {strings.Join(fields, ",")}, "$expand": {"attachments($select=id,name,contentType,size,isInline)"}}
	var gm graphMessage
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: c.messageURL(id) + "?" + v.Encode()}, &gm); err != nil {
		return email.Message{}, err
	}
	bt := opts.BodyType
	if bt == email.BodyNone {
		bt = email.BodyHTML
	}
	m := toMessage(gm, wk, bt)
	if opts.LoadInlines {
		for i, a := range m.Attachments {
			if a.Inline {
				full, err := c.GetAttachment(ctx, acct, id, a.ID)
				if err != nil {
					return email.Message{}, err
				}
				m.Attachments[i].Content = full.Content
			}
		}
	}
	return m, nil
}

// RawMessage implements email.Mailbox: GET /me/messages/{id}/$value.
func (c *Connector) RawMessage(ctx context.Context, acct email.Account, id string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, acct, mailRequest{method: http.MethodGet, url: c.messageURL(id, "$value")})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// outgoing builds the Graph message of a send.
func outgoing(msg email.OutgoingMessage) map[string]any {
	ct := "HTML"
	if msg.BodyType == email.BodyText {
		ct = "Text"
	}
	m := map[string]any{
		"subject":       msg.Subject,
		"body":          graphBody{ContentType: ct, Content: msg.Body},
		"toRecipients":  fromAddresses(msg.To),
		"ccRecipients":  fromAddresses(msg.Cc),
		"bccRecipients": fromAddresses(msg.Bcc),
	}
	if len(msg.ReplyTo) > 0 {
		m["replyTo"] = fromAddresses(msg.ReplyTo)
	}
	if len(msg.Keywords) > 0 {
		m["categories"] = msg.Keywords
	}
	if len(msg.XHeaders) > 0 {
		m["internetMessageHeaders"] = msg.XHeaders
	}
	if len(msg.Attachments) > 0 {
		atts := make([]graphAttachment, 0, len(msg.Attachments))
		for _, a := range msg.Attachments {
			atts = append(atts, graphAttachment{ODataType: "#microsoft.graph.fileAttachment", Name: a.Name, ContentType: a.MimeType,
				IsInline: a.Inline, ContentID: a.ContentID, ContentBytes: a.Content})
		}
		m["attachments"] = atts
	}
	return m
}

// SendMessage implements email.Mailbox. Without ReturnIDs: POST
// /me/sendMail (202). With ReturnIDs: POST /me/messages creates a draft
// (its immutable id survives the move to Sent Items), then POST
// /me/messages/{id}/send. Only a 2xx answer of the send is success.
// Graph's JSON messages take no In-Reply-To or References header (only
// x- headers); Exchange sets them itself on replies. So a message with
// InReplyTo whose parent is in the mailbox ($filter=internetMessageId
// eq) is sent as a reply to it (createReply, see Reply), which gives it
// In-Reply-To, References and the parent's conversation; when the parent
// is not in the mailbox the message goes out without them.
func (c *Connector) SendMessage(ctx context.Context, acct email.Account, msg email.OutgoingMessage) (email.SendResult, error) {
	if msg.InReplyTo != "" {
		parent, err := c.findByInternetID(ctx, acct, msg.InReplyTo)
		if err != nil {
			return email.SendResult{}, err
		}
		if parent != "" {
			return c.Reply(ctx, acct, parent, msg)
		}
	}
	if !msg.ReturnIDs {
		err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.graphBase() + "/me/sendMail",
			body: map[string]any{"message": outgoing(msg), "saveToSentItems": true}}, nil)
		return email.SendResult{}, err
	}
	var draft graphMessage
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.graphBase() + "/me/messages", body: outgoing(msg)}, &draft); err != nil {
		return email.SendResult{}, err
	}
	if draft.ID == "" {
		return email.SendResult{}, &email.Error{Kind: email.ErrUnavailable, Message: "Microsoft Graph created a draft without an id"}
	}
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(draft.ID, "send")}, nil); err != nil {
		return email.SendResult{}, err
	}
	return email.SendResult{ID: draft.ID, ThreadID: draft.ConversationID}, nil
}

// UpdateMessage implements email.Mailbox: PATCH /me/messages/{id} with
// isRead and categories; archived moves the message to the archive folder
// (or back to the inbox).
func (c *Connector) UpdateMessage(ctx context.Context, acct email.Account, id string, upd email.StatusUpdate) error {
	patch := map[string]any{}
	if upd.Unread != nil {
		patch["isRead"] = !*upd.Unread
	}
	if upd.Keywords != nil {
		patch["categories"] = append([]string{}, (*upd.Keywords)...)
	}
	if len(patch) > 0 {
		if err := c.do(ctx, acct, mailRequest{method: http.MethodPatch, url: c.messageURL(id), body: patch}, nil); err != nil {
			return err
		}
	}
	if upd.Archived != nil {
		dest := "inbox"
		if *upd.Archived {
			dest = "archive"
		}
		return c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(id, "move"), body: map[string]string{"destinationId": dest}}, nil)
	}
	return nil
}

// TrashMessage implements email.Mailbox: POST /me/messages/{id}/move to
// deleteditems.
func (c *Connector) TrashMessage(ctx context.Context, acct email.Account, id string) error {
	return c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(id, "move"), body: map[string]string{"destinationId": "deleteditems"}}, nil)
}

// GetAttachment implements email.Mailbox: GET
// /me/messages/{id}/attachments/{attachmentId} (a fileAttachment carries
// contentBytes; item and reference attachments come without content).
func (c *Connector) GetAttachment(ctx context.Context, acct email.Account, messageID, attachmentID string) (email.Attachment, error) {
	var a graphAttachment
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: c.messageURL(messageID, "attachments", url.PathEscape(attachmentID))}, &a); err != nil {
		return email.Attachment{}, err
	}
	return email.Attachment{ID: a.ID, Name: a.Name, MimeType: a.ContentType, Size: a.Size, Inline: a.IsInline, ContentID: a.ContentID, Content: a.ContentBytes}, nil
}

// ListFolders implements email.Mailbox: GET /me/mailFolders (top-level
// folders) with @odata.nextLink paging.
func (c *Connector) ListFolders(ctx context.Context, acct email.Account, page string) (email.FolderPage, error) {
	wk, err := c.wellKnown(ctx, acct)
	if err != nil {
		return email.FolderPage{}, err
	}
	u := page
	if u == "" {
		u = c.graphBase() + "/me/mailFolders?" + url.Values{"$top": {"100"}, "$select": {"id,displayName,parentFolderId"}}.Encode()
	}
	var res graphCollection[graphFolder]
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: u}, &res); err != nil {
		return email.FolderPage{}, err
	}
	out := email.FolderPage{NextPage: res.NextLink}
	labels := map[string]email.SysLabel{wk.Inbox: email.LabelInbox, wk.Sent: email.LabelSent, wk.Drafts: email.LabelDraft,
		wk.Trash: email.LabelTrash, wk.Junk: email.LabelJunk}
	delete(labels, "")
	for _, f := range res.Value {
		out.Records = append(out.Records, email.Folder{ID: f.ID, Name: f.DisplayName, FullName: f.DisplayName, IsFolder: true,
			ParentID: f.ParentFolderID, SysLabel: labels[f.ID]})
	}
	return out, nil
}

// WellKnownFolders implements email.Mailbox: the ids of GET
// /me/mailFolders/{inbox,sentitems,drafts,deleteditems,junkemail,archive},
// cached per account (folder ids are immutable).
func (c *Connector) WellKnownFolders(ctx context.Context, acct email.Account) (email.WellKnownFolders, error) {
	return c.wellKnown(ctx, acct)
}

func (c *Connector) wellKnown(ctx context.Context, acct email.Account) (email.WellKnownFolders, error) {
	key := strconv.FormatInt(acct.ID, 10) + "/" + acct.AuthUserID
	c.folders.mu.Lock()
	wk, ok := c.folders.byID[key]
	c.folders.mu.Unlock()
	if ok {
		return wk, nil
	}
	for _, name := range wellKnownNames {
		var f graphFolder
		err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: c.graphBase() + "/me/mailFolders/" + name + "?$select=id"}, &f)
		if errors.Is(err, email.ErrNotFound) {
			continue // no archive folder yet, for instance
		}
		if err != nil {
			return email.WellKnownFolders{}, err
		}
		switch name {
		case "inbox":
			wk.Inbox = f.ID
		case "sentitems":
			wk.Sent = f.ID
		case "drafts":
			wk.Drafts = f.ID
		case "deleteditems":
			wk.Trash = f.ID
		case "junkemail":
			wk.Junk = f.ID
		case "archive":
			wk.Archive = f.ID
		}
	}
	c.folders.mu.Lock()
	if c.folders.byID == nil {
		c.folders.byID = make(map[string]email.WellKnownFolders)
	}
	c.folders.byID[key] = wk
	c.folders.mu.Unlock()
	return wk, nil
}

// deltaFolder is the folder delta sync tracks: Graph message delta is a
// per-folder function.
const deltaFolder = "inbox"

// DeltaStart implements email.Mailbox: the cursor is the initial Graph
// delta request GET /me/mailFolders/inbox/messages/delta with $select and
// $filter=receivedDateTime ge {since}; no call is made yet.
func (c *Connector) DeltaStart(_ context.Context, _ email.Account, opts email.SyncOptions) (string, error) {
	fields := messageFields
	if opts.BodyType != email.BodyNone {
		fields = append(slices.Clone(fields), "body")
	}
	v := url.Values{"$select": {strings.Join(fields, ",")}}
	if !opts.Since.IsZero() {
		v.Set("$filter", "receivedDateTime ge "+opts.Since.UTC().Format(time.RFC3339))
	}
	return c.graphBase() + "/me/mailFolders/" + deltaFolder + "/messages/delta?" + v.Encode(), nil
}

// DeltaChanges implements email.Mailbox: GET of the cursor (the initial
// request, an @odata.nextLink or an @odata.deltaLink) with Prefer:
// odata.maxpagesize. Items with @removed are deletions (from the folder);
// a 410 or syncStateNotFound is email.ErrCursorExpired.
func (c *Connector) DeltaChanges(ctx context.Context, acct email.Account, req email.DeltaRequest) (email.DeltaPage, error) {
	wk, err := c.wellKnown(ctx, acct)
	if err != nil {
		return email.DeltaPage{}, err
	}
	var page graphCollection[graphMessage]
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: req.Cursor, pageSize: req.Limit}, &page); err != nil {
		return email.DeltaPage{}, err
	}
	out := email.DeltaPage{NextPage: page.NextLink, NextDelta: page.DeltaLink}
	if out.NextPage != "" {
		out.NextDelta = ""
	}
	for _, gm := range page.Value {
		if gm.Removed != nil {
			out.Deleted = append(out.Deleted, email.DeletedMessage{ID: gm.ID, Timestamp: c.now()})
			continue
		}
		m := toMessage(gm, wk, req.BodyType)
		if req.BodyType == email.BodyNone {
			m.Omitted = append(m.Omitted, "body")
		}
		if gm.HasAttachments {
			m.Omitted = append(m.Omitted, "attachments")
		}
		m.Omitted = append(m.Omitted, "internetHeaders")
		out.Updated = append(out.Updated, m)
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
