package unified

import (
	"context"
	"errors"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/unified/email"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// Defaults of the Email API limits.
const (
	// DefaultMaxAttachmentSize is the largest attachment GetAttachment
	// returns; larger ones are 413.
	DefaultMaxAttachmentSize = 25 << 20
	// DefaultMaxSendSize bounds the JSON body of a send (attachments are
	// base64 inside it).
	DefaultMaxSendSize = 35 << 20
	// DefaultSyncDays is the window of a sync started without daysWithin.
	DefaultSyncDays = 30
	// maxSyncDays bounds daysWithin.
	maxSyncDays = 3650
)

// AccountRef names the account a call acts as, as the session principal
// does: the app, the user (empty for an account token or a daemon) and the
// account, which must belong to both.
type AccountRef struct {
	AppID     string
	UserID    string
	AccountID int64
}

// Email is the unified Email API as Go methods; the HTTP handlers call
// them. Get it from Handler.Email. It is safe for concurrent use.
//
// Every method resolves ref to an account of the app (and user), finds the
// email.Mailbox capability of its connector, checks every client-supplied
// id with email.ValidID and every token against the account, and maps
// failures to *apierr.Error (or the 410 and 413 errors of this package).
type Email struct {
	h *Handler
}

// Email returns the Go API of the unified email endpoints.
func (h *Handler) Email() *Email { return &Email{h: h} }

// MessageList asks for a page of messages.
type MessageList struct {
	// Q is the Aurinko query (see email.ParseQuery).
	Q string
	// FolderID restricts the list to a folder.
	FolderID string
	// PageToken is a nextPageToken of a previous page; when set, Q,
	// FolderID, BodyType and Limit come from it.
	PageToken string
	// Limit is the page size, 1 to email.MaxLimit (0: email.DefaultLimit).
	Limit               int
	BodyType            email.BodyType
	IncludeTrashAndJunk bool
}

// MessagePage is a page of messages as the API answers it.
type MessagePage struct {
	NextPageToken  string          `json:"nextPageToken,omitempty"`
	NextDeltaToken string          `json:"nextDeltaToken,omitempty"`
	Length         int             `json:"length"`
	Records        []email.Message `json:"records"`
}

// DeletedPage is a page of the deleted-messages stream of a sync.
type DeletedPage struct {
	NextPageToken  string                 `json:"nextPageToken,omitempty"`
	NextDeltaToken string                 `json:"nextDeltaToken,omitempty"`
	Length         int                    `json:"length"`
	Records        []email.DeletedMessage `json:"records"`
}

// FolderPage is a page of folders.
type FolderPage struct {
	NextPageToken string         `json:"nextPageToken,omitempty"`
	Length        int            `json:"length"`
	Records       []email.Folder `json:"records"`
}

// SyncStatus answers the start of a sync.
type SyncStatus struct {
	SyncUpdatedToken string `json:"syncUpdatedToken"`
	SyncDeletedToken string `json:"syncDeletedToken"`
	Ready            bool   `json:"ready"`
}

// SendResponse answers a send.
type SendResponse struct {
	Status   string `json:"status"`
	ID       string `json:"id,omitempty"`
	ThreadID string `json:"threadId,omitempty"`
}

// mailbox resolves ref to the account and its connector's Mailbox.
func (e *Email) mailbox(ctx context.Context, ref AccountRef) (email.Mailbox, email.Account, error) {
	return capability[email.Mailbox](ctx, e.h, ref, "email")
}

func checkID(kind, id string) error {
	if !email.ValidID(id) {
		return apierr.New(apierr.InvalidInput, "invalid %s id", kind)
	}
	return nil
}

// ListMessages returns a page of messages, newest first.
func (e *Email) ListMessages(ctx context.Context, ref AccountRef, p MessageList) (MessagePage, error) {
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return MessagePage{}, err
	}
	req := email.ListRequest{FolderID: p.FolderID, Limit: p.Limit, BodyType: p.BodyType, IncludeTrashAndJunk: p.IncludeTrashAndJunk}
	if p.PageToken != "" {
		c, err := e.h.tokens.open(p.PageToken, tokenMessagePage, acct.ID, true, "pageToken")
		if err != nil {
			return MessagePage{}, err
		}
		req.Page, req.BodyType, req.Limit = c.Cursor, c.BodyType, c.Limit
	} else {
		if req.Query, err = email.ParseQuery(p.Q); err != nil {
			return MessagePage{}, apierr.Wrap(err, apierr.InvalidInput, strings.TrimPrefix(err.Error(), "email: "))
		}
		if req.FolderID != "" {
			if err := checkID("folder", req.FolderID); err != nil {
				return MessagePage{}, err
			}
		}
	}
	if req.Limit == 0 {
		req.Limit = email.DefaultLimit
	}
	if req.Limit < 0 {
		return MessagePage{}, apierr.New(apierr.InvalidInput, "limit must be positive")
	}
	req.Limit = min(req.Limit, email.MaxLimit)
	page, err := mb.ListMessages(ctx, acct, req)
	if err != nil {
		return MessagePage{}, mailError(err)
	}
	out := MessagePage{Records: normalized(page.Records), Length: len(page.Records)}
	if page.NextPage != "" {
		if out.NextPageToken, err = e.h.tokens.seal(tokenClaims{Kind: tokenMessagePage, Account: acct.ID, Cursor: page.NextPage,
			Page: true, BodyType: req.BodyType, Limit: req.Limit}); err != nil {
			return MessagePage{}, err
		}
	}
	return out, nil
}

func normalized(ms []email.Message) []email.Message {
	if ms == nil {
		return []email.Message{}
	}
	for i := range ms {
		ms[i].Normalize()
	}
	return ms
}

// GetMessage returns one message; opts.BodyType defaults to html.
func (e *Email) GetMessage(ctx context.Context, ref AccountRef, id string, opts email.GetOptions) (email.Message, error) {
	if err := checkID("message", id); err != nil {
		return email.Message{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return email.Message{}, err
	}
	if opts.BodyType == email.BodyNone {
		opts.BodyType = email.BodyHTML
	}
	m, err := mb.GetMessage(ctx, acct, id, opts)
	if err != nil {
		return email.Message{}, mailError(err)
	}
	m.Normalize()
	return m, nil
}

// RawMessage returns the message as RFC 822 bytes; the caller closes it.
func (e *Email) RawMessage(ctx context.Context, ref AccountRef, id string) (io.ReadCloser, error) {
	if err := checkID("message", id); err != nil {
		return nil, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return nil, err
	}
	rc, err := mb.RawMessage(ctx, acct, id)
	if err != nil {
		return nil, mailError(err)
	}
	return rc, nil
}

// SendMessage sends a message. It returns an error whenever the provider
// has not accepted it.
func (e *Email) SendMessage(ctx context.Context, ref AccountRef, msg email.OutgoingMessage) (SendResponse, error) {
	if err := checkOutgoing(&msg); err != nil {
		return SendResponse{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return SendResponse{}, err
	}
	res, err := mb.SendMessage(ctx, acct, msg)
	if err != nil {
		return SendResponse{}, mailError(err)
	}
	return SendResponse{Status: "Ok", ID: res.ID, ThreadID: res.ThreadID}, nil
}

// checkOutgoing refuses what could inject headers or is not an address.
func checkOutgoing(m *email.OutgoingMessage) error {
	if m.BodyType == email.BodyNone {
		m.BodyType = email.BodyHTML
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return apierr.New(apierr.InvalidInput, "a message needs at least one recipient")
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc)+len(m.ReplyTo) > 500 {
		return apierr.New(apierr.InvalidInput, "too many recipients")
	}
	lists := [][]email.Address{m.To, m.Cc, m.Bcc, m.ReplyTo}
	if m.From != nil {
		lists = append(lists, []email.Address{*m.From})
	}
	for _, l := range lists {
		for _, a := range l {
			if _, err := mail.ParseAddress(a.Address); err != nil || strings.ContainsAny(a.Address, "\r\n<>,;\"") {
				return apierr.New(apierr.InvalidInput, "invalid email address %q", truncateRunes(a.Address, 64))
			}
			if strings.ContainsAny(a.Name, "\r\n") {
				return apierr.New(apierr.InvalidInput, "invalid name of %s", a.Address)
			}
		}
	}
	for _, s := range []string{m.Subject, m.InReplyTo, m.References} {
		if strings.ContainsAny(s, "\r\n\x00") {
			return apierr.New(apierr.InvalidInput, "subject, inReplyTo and references must be one line")
		}
	}
	for _, h := range m.XHeaders {
		if len(h.Name) < 3 || !strings.EqualFold(h.Name[:2], "x-") || strings.ContainsAny(h.Name, " :\r\n\t") || strings.ContainsAny(h.Value, "\r\n\x00") {
			return apierr.New(apierr.InvalidInput, "xHeaders must be one-line X- headers")
		}
	}
	for _, a := range m.Attachments {
		if a.Name == "" || strings.ContainsAny(a.Name, "\r\n\x00/\\") {
			return apierr.New(apierr.InvalidInput, "every attachment needs a plain file name")
		}
	}
	return nil
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// UpdateMessage changes a message's read state, archive state or keywords.
func (e *Email) UpdateMessage(ctx context.Context, ref AccountRef, id string, upd email.StatusUpdate) error {
	if err := checkID("message", id); err != nil {
		return err
	}
	if upd.Unread == nil && upd.Archived == nil && upd.Keywords == nil {
		return apierr.New(apierr.InvalidInput, "nothing to update: set unread, archived or keywords")
	}
	if upd.Keywords != nil {
		for _, k := range *upd.Keywords {
			if k == "" || len(k) > 255 || strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return apierr.New(apierr.InvalidInput, "invalid keyword")
			}
		}
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return err
	}
	if err := mb.UpdateMessage(ctx, acct, id, upd); err != nil {
		return mailError(err)
	}
	return nil
}

// TrashMessage moves a message to the trash.
func (e *Email) TrashMessage(ctx context.Context, ref AccountRef, id string) error {
	if err := checkID("message", id); err != nil {
		return err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return err
	}
	if err := mb.TrashMessage(ctx, acct, id); err != nil {
		return mailError(err)
	}
	return nil
}

// GetAttachment returns an attachment with its content. One larger than
// the configured MaxAttachmentSize is a 413 error.
func (e *Email) GetAttachment(ctx context.Context, ref AccountRef, messageID, attachmentID string) (email.Attachment, error) {
	if err := checkID("message", messageID); err != nil {
		return email.Attachment{}, err
	}
	if err := checkID("attachment", attachmentID); err != nil {
		return email.Attachment{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return email.Attachment{}, err
	}
	a, err := mb.GetAttachment(ctx, acct, messageID, attachmentID)
	if err != nil {
		return email.Attachment{}, mailError(err)
	}
	if a.Size > e.h.maxAttachment || int64(len(a.Content)) > e.h.maxAttachment {
		return email.Attachment{}, apierr.New(apierr.TooLarge, "the attachment is larger than %d bytes", e.h.maxAttachment)
	}
	return a, nil
}

// ListFolders returns a page of folders.
func (e *Email) ListFolders(ctx context.Context, ref AccountRef, pageToken string) (FolderPage, error) {
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return FolderPage{}, err
	}
	var cursor string
	if pageToken != "" {
		c, err := e.h.tokens.open(pageToken, tokenFolderPage, acct.ID, true, "pageToken")
		if err != nil {
			return FolderPage{}, err
		}
		cursor = c.Cursor
	}
	page, err := mb.ListFolders(ctx, acct, cursor)
	if err != nil {
		return FolderPage{}, mailError(err)
	}
	out := FolderPage{Records: page.Records, Length: len(page.Records)}
	if out.Records == nil {
		out.Records = []email.Folder{}
	}
	if page.NextPage != "" {
		if out.NextPageToken, err = e.h.tokens.seal(tokenClaims{Kind: tokenFolderPage, Account: acct.ID, Cursor: page.NextPage, Page: true}); err != nil {
			return FolderPage{}, err
		}
	}
	return out, nil
}

// WellKnownFolders returns the ids of the special folders.
func (e *Email) WellKnownFolders(ctx context.Context, ref AccountRef) (email.WellKnownFolders, error) {
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return email.WellKnownFolders{}, err
	}
	wk, err := mb.WellKnownFolders(ctx, acct)
	if err != nil {
		return email.WellKnownFolders{}, mailError(err)
	}
	return wk, nil
}

// StartSync begins a delta sync over the messages received in the last
// daysWithin days (0: DefaultSyncDays). Both tokens start at the same
// point; the client reads /sync/updated and /sync/deleted with them.
func (e *Email) StartSync(ctx context.Context, ref AccountRef, daysWithin int, bodyType email.BodyType) (SyncStatus, error) {
	if daysWithin < 0 || daysWithin > maxSyncDays {
		return SyncStatus{}, apierr.New(apierr.InvalidInput, "daysWithin must be between 1 and %d", maxSyncDays)
	}
	if daysWithin == 0 {
		daysWithin = DefaultSyncDays
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return SyncStatus{}, err
	}
	since := e.h.now().Add(-time.Duration(daysWithin) * 24 * time.Hour).UTC().Truncate(time.Second)
	cursor, err := mb.DeltaStart(ctx, acct, email.SyncOptions{Since: since, BodyType: bodyType})
	if err != nil {
		return SyncStatus{}, mailError(err)
	}
	var st SyncStatus
	if st.SyncUpdatedToken, err = e.h.tokens.seal(tokenClaims{Kind: tokenSyncUpdated, Account: acct.ID, Cursor: cursor, BodyType: bodyType}); err != nil {
		return SyncStatus{}, err
	}
	if st.SyncDeletedToken, err = e.h.tokens.seal(tokenClaims{Kind: tokenSyncDeleted, Account: acct.ID, Cursor: cursor}); err != nil {
		return SyncStatus{}, err
	}
	st.Ready = true
	return st, nil
}

// syncPage reads one page of a sync stream from a deltaToken or a
// pageToken (exactly one of them).
func (e *Email) syncPage(ctx context.Context, ref AccountRef, kind, deltaToken, pageToken string) (email.DeltaPage, tokenClaims, error) {
	if (deltaToken == "") == (pageToken == "") {
		return email.DeltaPage{}, tokenClaims{}, apierr.New(apierr.InvalidInput, "send either deltaToken or pageToken")
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return email.DeltaPage{}, tokenClaims{}, err
	}
	var c tokenClaims
	if pageToken != "" {
		c, err = e.h.tokens.open(pageToken, kind, acct.ID, true, "pageToken")
	} else {
		c, err = e.h.tokens.open(deltaToken, kind, acct.ID, false, "deltaToken")
	}
	if err != nil {
		return email.DeltaPage{}, tokenClaims{}, err
	}
	page, err := mb.DeltaChanges(ctx, acct, email.DeltaRequest{Cursor: c.Cursor, BodyType: c.BodyType, Limit: email.MaxLimit})
	if err != nil {
		return email.DeltaPage{}, tokenClaims{}, mailError(err)
	}
	return page, c, nil
}

// next seals the token that continues a stream after page.
func (e *Email) next(page email.DeltaPage, c tokenClaims) (nextPage, nextDelta string, err error) {
	c.Page = page.NextPage != ""
	if c.Page {
		c.Cursor = page.NextPage
		nextPage, err = e.h.tokens.seal(c)
		return nextPage, "", err
	}
	if page.NextDelta == "" {
		return "", "", apierr.New(apierr.ProviderUnavailable, "the provider ended a sync page without a cursor")
	}
	c.Cursor = page.NextDelta
	nextDelta, err = e.h.tokens.seal(c)
	return "", nextDelta, err
}

// SyncUpdated returns a page of messages created or changed since the
// deltaToken (or continues with a pageToken). The last page of a round
// carries nextDeltaToken. An expired token is a 410 error: start again.
func (e *Email) SyncUpdated(ctx context.Context, ref AccountRef, deltaToken, pageToken string) (MessagePage, error) {
	page, c, err := e.syncPage(ctx, ref, tokenSyncUpdated, deltaToken, pageToken)
	if err != nil {
		return MessagePage{}, err
	}
	out := MessagePage{Records: normalized(page.Updated), Length: len(page.Updated)}
	if out.NextPageToken, out.NextDeltaToken, err = e.next(page, c); err != nil {
		return MessagePage{}, err
	}
	return out, nil
}

// SyncDeleted returns a page of messages deleted since the deltaToken (or
// continues with a pageToken), like SyncUpdated.
func (e *Email) SyncDeleted(ctx context.Context, ref AccountRef, deltaToken, pageToken string) (DeletedPage, error) {
	page, c, err := e.syncPage(ctx, ref, tokenSyncDeleted, deltaToken, pageToken)
	if err != nil {
		return DeletedPage{}, err
	}
	out := DeletedPage{Records: page.Deleted, Length: len(page.Deleted)}
	if out.Records == nil {
		out.Records = []email.DeletedMessage{}
	}
	for i := range out.Records {
		if !out.Records[i].Timestamp.IsZero() {
			out.Records[i].Timestamp = out.Records[i].Timestamp.UTC().Truncate(time.Second)
		}
	}
	if out.NextPageToken, out.NextDeltaToken, err = e.next(page, c); err != nil {
		return DeletedPage{}, err
	}
	return out, nil
}

// mailError maps a Mailbox error to an API error (providerError).
func mailError(err error) error { return providerError(err) }

// providerError maps a capability error to an API error. *apierr.Error
// values in the chain (token refresh failures) win; then the field errors
// of the model packages (400 with their text); then the provider.Err*
// kinds.
func providerError(err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err
	}
	if fe := fieldError(err); fe != "" {
		return apierr.Wrap(err, apierr.InvalidInput, fe)
	}
	var me *provider.Error
	retry := time.Duration(0)
	msg := ""
	if errors.As(err, &me) {
		retry, msg = me.RetryAfter, me.Message
	}
	with := func(code apierr.Code, def string) error {
		if msg == "" {
			msg = def
		}
		return &apierr.Error{Code: code, Message: msg, RetryAfter: retry, Err: err}
	}
	switch {
	case errors.Is(err, email.ErrNotFound):
		return with(apierr.NotFound, "not found")
	case errors.Is(err, email.ErrRateLimited):
		return with(apierr.RateLimited, "the provider is throttling requests; retry later")
	case errors.Is(err, email.ErrUnavailable):
		return with(apierr.ProviderUnavailable, "the provider is unavailable")
	case errors.Is(err, email.ErrDenied):
		return with(apierr.Forbidden, "the provider denied access to the mailbox")
	case errors.Is(err, email.ErrInvalid), errors.Is(err, email.ErrUnsupported):
		return with(apierr.InvalidInput, "the provider refused the request")
	case errors.Is(err, connectors.ErrIdentity):
		// A stored password (or grant) the provider no longer accepts.
		return apierr.Wrap(err, apierr.ReauthRequired, "the provider refused the account's credentials; sign in again")
	case errors.Is(err, provider.ErrPrecondition):
		return with(apierr.PreconditionFailed, "the item changed since it was read (etag mismatch)")
	case errors.Is(err, provider.ErrConflict):
		return with(apierr.Conflict, "the change conflicts with the item's state at the provider")
	case errors.Is(err, email.ErrCursorExpired):
		return apierr.Wrap(err, apierr.Gone, "syncToken expired.")
	case errors.Is(err, email.ErrTooLarge):
		return apierr.Wrap(err, apierr.TooLarge, "too large")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return with(apierr.ProviderUnavailable, "the provider did not answer in time")
	}
	return err
}

// tokenThreadPage is the kind of the page tokens of a conversation; their
// Scope is the thread id, so that a token of one conversation is refused
// for another (and for message lists).
const tokenThreadPage = "email.thread"

// ConversationList asks for a page of the messages of a conversation.
type ConversationList struct {
	// PageToken is a nextPageToken of a previous page of the same
	// conversation; when set, BodyType and Limit come from it.
	PageToken string
	// Limit is the page size, 1 to email.MaxLimit (0: email.DefaultLimit).
	Limit    int
	BodyType email.BodyType
}

// Conversation returns a page of the messages of the conversation
// threadID (a message's threadId), oldest first.
func (e *Email) Conversation(ctx context.Context, ref AccountRef, threadID string, p ConversationList) (MessagePage, error) {
	if err := checkID("thread", threadID); err != nil {
		return MessagePage{}, err
	}
	if p.Limit < 0 {
		return MessagePage{}, apierr.New(apierr.InvalidInput, "limit must be positive")
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return MessagePage{}, err
	}
	req := email.ThreadRequest{Limit: p.Limit, BodyType: p.BodyType}
	if p.PageToken != "" {
		c, err := e.h.tokens.open(p.PageToken, tokenThreadPage, acct.ID, true, "pageToken")
		if err != nil {
			return MessagePage{}, err
		}
		if c.Scope != threadID {
			return MessagePage{}, apierr.New(apierr.InvalidInput, "invalid pageToken")
		}
		req.Page, req.BodyType, req.Limit = c.Cursor, c.BodyType, c.Limit
	}
	if req.Limit == 0 {
		req.Limit = email.DefaultLimit
	}
	req.Limit = min(req.Limit, email.MaxLimit)
	page, err := mb.ListThread(ctx, acct, threadID, req)
	if err != nil {
		return MessagePage{}, mailError(err)
	}
	out := MessagePage{Records: normalized(page.Records), Length: len(page.Records)}
	if page.NextPage != "" {
		if out.NextPageToken, err = e.h.tokens.seal(tokenClaims{Kind: tokenThreadPage, Account: acct.ID, Cursor: page.NextPage,
			Page: true, BodyType: req.BodyType, Limit: req.Limit, Scope: threadID}); err != nil {
			return MessagePage{}, err
		}
	}
	return out, nil
}

// Reply sends msg as a reply to the message id, in its conversation, and
// answers like SendMessage. The parent message is read first: In-Reply-To
// and References always come from it (msg's are replaced); a msg without
// any recipient goes to the parent's Reply-To or From (the parent's To when
// the account sent it), and with all (reply all) also to the parent's
// other To and Cc recipients, the account's own address left out; an
// empty subject becomes "Re: " and the parent's subject.
func (e *Email) Reply(ctx context.Context, ref AccountRef, id string, msg email.OutgoingMessage, all bool) (SendResponse, error) {
	if err := checkID("message", id); err != nil {
		return SendResponse{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return SendResponse{}, err
	}
	parent, err := mb.GetMessage(ctx, acct, id, email.GetOptions{BodyType: email.BodyText})
	if err != nil {
		return SendResponse{}, mailError(err)
	}
	msg.InReplyTo = strings.TrimSpace(parent.InternetMessageID)
	msg.References = email.ReplyReferences(parent)
	if strings.ContainsAny(msg.InReplyTo+msg.References, "\r\n\x00") {
		msg.InReplyTo, msg.References = "", ""
	}
	if len(msg.To)+len(msg.Cc)+len(msg.Bcc) == 0 {
		msg.To, msg.Cc = email.ReplyRecipients(parent, acct.Email, all)
	}
	if strings.TrimSpace(msg.Subject) == "" {
		msg.Subject = email.ReplySubject(parent.Subject)
	}
	if err := checkOutgoing(&msg); err != nil {
		return SendResponse{}, err
	}
	res, err := mb.Reply(ctx, acct, id, msg)
	if err != nil {
		return SendResponse{}, mailError(err)
	}
	return SendResponse{Status: "Ok", ID: res.ID, ThreadID: res.ThreadID}, nil
}

// DraftMessage is a draft as GET /email/drafts/{id} answers it (the Aurinko
// EmailDraft).
type DraftMessage struct {
	ID      string        `json:"id"`
	Message email.Message `json:"message"`
}

// DraftSendResponse answers the send of a draft.
type DraftSendResponse struct {
	Status   string `json:"status"`
	ID       string `json:"id,omitempty"`
	ThreadID string `json:"threadId,omitempty"`
}

// checkDraft checks a draft's content as checkOutgoing checks a message,
// except that a draft may have no recipient yet.
func checkDraft(m *email.OutgoingMessage) error {
	if len(m.To)+len(m.Cc)+len(m.Bcc) > 0 {
		return checkOutgoing(m)
	}
	probe := *m
	probe.To = []email.Address{{Address: "probe@example.com"}}
	if err := checkOutgoing(&probe); err != nil {
		return err
	}
	m.BodyType = probe.BodyType
	return nil
}

// CreateDraft stores msg as a new draft and returns its id.
func (e *Email) CreateDraft(ctx context.Context, ref AccountRef, msg email.OutgoingMessage) (email.Draft, error) {
	if err := checkDraft(&msg); err != nil {
		return email.Draft{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return email.Draft{}, err
	}
	d, err := mb.CreateDraft(ctx, acct, msg)
	if err != nil {
		return email.Draft{}, mailError(err)
	}
	return d, nil
}

// GetDraft returns a draft; opts.BodyType defaults to html.
func (e *Email) GetDraft(ctx context.Context, ref AccountRef, id string, opts email.GetOptions) (DraftMessage, error) {
	if err := checkID("draft", id); err != nil {
		return DraftMessage{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return DraftMessage{}, err
	}
	if opts.BodyType == email.BodyNone {
		opts.BodyType = email.BodyHTML
	}
	m, err := mb.GetDraft(ctx, acct, id, opts)
	if err != nil {
		return DraftMessage{}, mailError(err)
	}
	m.Normalize()
	return DraftMessage{ID: id, Message: m}, nil
}

// UpdateDraft replaces the content of a draft with msg and returns the
// draft's id (a new one for IMAP drafts).
func (e *Email) UpdateDraft(ctx context.Context, ref AccountRef, id string, msg email.OutgoingMessage) (email.Draft, error) {
	if err := checkID("draft", id); err != nil {
		return email.Draft{}, err
	}
	if err := checkDraft(&msg); err != nil {
		return email.Draft{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return email.Draft{}, err
	}
	d, err := mb.UpdateDraft(ctx, acct, id, msg)
	if err != nil {
		return email.Draft{}, mailError(err)
	}
	return d, nil
}

// SendDraft sends a draft. It returns an error whenever the provider has
// not accepted it.
func (e *Email) SendDraft(ctx context.Context, ref AccountRef, id string) (DraftSendResponse, error) {
	if err := checkID("draft", id); err != nil {
		return DraftSendResponse{}, err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return DraftSendResponse{}, err
	}
	res, err := mb.SendDraft(ctx, acct, id)
	if err != nil {
		return DraftSendResponse{}, mailError(err)
	}
	return DraftSendResponse{Status: "Ok", ID: res.ID, ThreadID: res.ThreadID}, nil
}

// DeleteDraft deletes a draft for good.
func (e *Email) DeleteDraft(ctx context.Context, ref AccountRef, id string) error {
	if err := checkID("draft", id); err != nil {
		return err
	}
	mb, acct, err := e.mailbox(ctx, ref)
	if err != nil {
		return err
	}
	if err := mb.DeleteDraft(ctx, acct, id); err != nil {
		return mailError(err)
	}
	return nil
}
