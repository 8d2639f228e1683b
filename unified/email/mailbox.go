package email

import (
	"context"
	"io"

	"github.com/aurinko-go/aurinko/unified/provider"
)

// Mailbox is the email capability of a connector: package unified finds it
// by type assertion on the registered connectors.Connector.
//
// Contract, for every method:
//   - the call acts only as acct: it authorizes its provider requests with
//     acct.Client or acct.AccessToken and nothing else, so that one account
//     can never read another's data; ids come from the client and must be
//     escaped into the provider's URLs (package unified has already
//     refused ids outside IDPattern);
//   - errors are classified with *Error (see the Err* kinds): an id the
//     provider does not know is ErrNotFound; a provider 429 is
//     ErrRateLimited and a provider 5xx or network failure ErrUnavailable,
//     both with the provider's Retry-After; an expired delta cursor is
//     ErrCursorExpired; a request the provider refuses as malformed is
//     ErrInvalid. Errors from acct.Client's token source (already
//     *apierr.Error values) are returned wrapped with %w, unchanged;
//   - results are passed through Message.Normalize by package unified, so
//     connectors need not sort or truncate, but must fill fields as
//     documented on Message;
//   - cursors (NextPage, NextDelta, DeltaStart's result) are strings only
//     the connector reads; package unified seals them (bound to the
//     account) before a client sees them, so a connector receives back only
//     cursors it made for this account. They may be provider URLs
//     (@odata.nextLink) — a connector that follows one must still check it
//     points at its provider before sending a token to it.
//
// Mailbox has an unexported method: implementations embed
// UnimplementedMailbox, so that methods added later (drafts,
// conversations, reply) answer ErrUnsupported until a connector implements
// them instead of breaking the build.
type Mailbox interface {
	// ListMessages returns one page of messages matching req, newest
	// first.
	ListMessages(ctx context.Context, acct Account, req ListRequest) (MessagePage, error)
	// GetMessage returns one message with its body in opts.BodyType
	// (BodyHTML when BodyNone), its attachments (without content unless
	// inline and opts.LoadInlines) and its internet headers.
	GetMessage(ctx context.Context, acct Account, id string, opts GetOptions) (Message, error)
	// RawMessage returns the message as RFC 822 (MIME) bytes. The caller
	// closes the reader.
	RawMessage(ctx context.Context, acct Account, id string) (io.ReadCloser, error)
	// SendMessage sends msg as the account. It returns an error unless the
	// provider has accepted the message.
	SendMessage(ctx context.Context, acct Account, msg OutgoingMessage) (SendResult, error)
	// UpdateMessage applies a status change (read state, archive,
	// keywords).
	UpdateMessage(ctx context.Context, acct Account, id string, upd StatusUpdate) error
	// TrashMessage moves a message to the trash (it is not destroyed).
	TrashMessage(ctx context.Context, acct Account, id string) error
	// GetAttachment returns one attachment with its Content.
	GetAttachment(ctx context.Context, acct Account, messageID, attachmentID string) (Attachment, error)
	// ListFolders returns one page of folders (labels); page is a cursor
	// from FolderPage.NextPage or "".
	ListFolders(ctx context.Context, acct Account, page string) (FolderPage, error)
	// WellKnownFolders returns the ids of the special folders.
	WellKnownFolders(ctx context.Context, acct Account) (WellKnownFolders, error)
	// DeltaStart begins a delta sync and returns the cursor of its first
	// round: reading it with DeltaChanges returns the messages within
	// opts.Since as Updated, page by page, then NextDelta.
	DeltaStart(ctx context.Context, acct Account, opts SyncOptions) (string, error)
	// DeltaChanges reads one page of changes from a cursor. A cursor the
	// provider no longer honours (Graph syncStateNotFound or 410, Gmail
	// history 404) is ErrCursorExpired: the client starts again.
	DeltaChanges(ctx context.Context, acct Account, req DeltaRequest) (DeltaPage, error)
	// ListThread returns one page of the messages of the conversation
	// threadID (a Message.ThreadID), oldest first, shaped as ListMessages
	// shapes them. An unknown conversation is ErrNotFound.
	ListThread(ctx context.Context, acct Account, threadID string, req ThreadRequest) (MessagePage, error)
	// Reply sends msg as a reply to the message id, in its conversation.
	// Package unified has filled msg's recipients, subject, InReplyTo and
	// References from the parent message; the connector sends it the
	// provider's way of replying, so that the provider threads it. It
	// returns an error unless the provider has accepted the message.
	Reply(ctx context.Context, acct Account, id string, msg OutgoingMessage) (SendResult, error)
	// CreateDraft stores msg as a new draft (recipients are optional).
	CreateDraft(ctx context.Context, acct Account, msg OutgoingMessage) (Draft, error)
	// GetDraft reads a draft as GetMessage reads a message.
	GetDraft(ctx context.Context, acct Account, id string, opts GetOptions) (Message, error)
	// UpdateDraft replaces the whole content of a draft with msg. The
	// answer carries the draft's id, which may be a new one.
	UpdateDraft(ctx context.Context, acct Account, id string, msg OutgoingMessage) (Draft, error)
	// SendDraft sends a draft to its recipients; the draft is gone
	// afterwards. It returns an error unless the provider has accepted the
	// message.
	SendDraft(ctx context.Context, acct Account, id string) (SendResult, error)
	// DeleteDraft deletes a draft for good (not to the trash).
	DeleteDraft(ctx context.Context, acct Account, id string) error

	mailbox()
}

// UnimplementedMailbox answers every Mailbox method with ErrUnsupported.
// Embed it in a connector that implements Mailbox.
type UnimplementedMailbox struct{}

func (UnimplementedMailbox) mailbox() {}

func unsupported(op string) error { return provider.Unsupported(op) }

// ListMessages implements Mailbox.
func (UnimplementedMailbox) ListMessages(context.Context, Account, ListRequest) (MessagePage, error) {
	return MessagePage{}, unsupported("listing messages")
}

// GetMessage implements Mailbox.
func (UnimplementedMailbox) GetMessage(context.Context, Account, string, GetOptions) (Message, error) {
	return Message{}, unsupported("reading a message")
}

// RawMessage implements Mailbox.
func (UnimplementedMailbox) RawMessage(context.Context, Account, string) (io.ReadCloser, error) {
	return nil, unsupported("reading a raw message")
}

// SendMessage implements Mailbox.
func (UnimplementedMailbox) SendMessage(context.Context, Account, OutgoingMessage) (SendResult, error) {
	return SendResult{}, unsupported("sending")
}

// UpdateMessage implements Mailbox.
func (UnimplementedMailbox) UpdateMessage(context.Context, Account, string, StatusUpdate) error {
	return unsupported("updating a message")
}

// TrashMessage implements Mailbox.
func (UnimplementedMailbox) TrashMessage(context.Context, Account, string) error {
	return unsupported("deleting a message")
}

// GetAttachment implements Mailbox.
func (UnimplementedMailbox) GetAttachment(context.Context, Account, string, string) (Attachment, error) {
	return Attachment{}, unsupported("reading an attachment")
}

// ListFolders implements Mailbox.
func (UnimplementedMailbox) ListFolders(context.Context, Account, string) (FolderPage, error) {
	return FolderPage{}, unsupported("listing folders")
}

// WellKnownFolders implements Mailbox.
func (UnimplementedMailbox) WellKnownFolders(context.Context, Account) (WellKnownFolders, error) {
	return WellKnownFolders{}, unsupported("well-known folders")
}

// DeltaStart implements Mailbox.
func (UnimplementedMailbox) DeltaStart(context.Context, Account, SyncOptions) (string, error) {
	return "", unsupported("delta sync")
}

// DeltaChanges implements Mailbox.
func (UnimplementedMailbox) DeltaChanges(context.Context, Account, DeltaRequest) (DeltaPage, error) {
	return DeltaPage{}, unsupported("delta sync")
}

// ListThread implements Mailbox.
func (UnimplementedMailbox) ListThread(context.Context, Account, string, ThreadRequest) (MessagePage, error) {
	return MessagePage{}, unsupported("reading a conversation")
}

// Reply implements Mailbox.
func (UnimplementedMailbox) Reply(context.Context, Account, string, OutgoingMessage) (SendResult, error) {
	return SendResult{}, unsupported("replying")
}

// CreateDraft implements Mailbox.
func (UnimplementedMailbox) CreateDraft(context.Context, Account, OutgoingMessage) (Draft, error) {
	return Draft{}, unsupported("creating a draft")
}

// GetDraft implements Mailbox.
func (UnimplementedMailbox) GetDraft(context.Context, Account, string, GetOptions) (Message, error) {
	return Message{}, unsupported("reading a draft")
}

// UpdateDraft implements Mailbox.
func (UnimplementedMailbox) UpdateDraft(context.Context, Account, string, OutgoingMessage) (Draft, error) {
	return Draft{}, unsupported("updating a draft")
}

// SendDraft implements Mailbox.
func (UnimplementedMailbox) SendDraft(context.Context, Account, string) (SendResult, error) {
	return SendResult{}, unsupported("sending a draft")
}

// DeleteDraft implements Mailbox.
func (UnimplementedMailbox) DeleteDraft(context.Context, Account, string) error {
	return unsupported("deleting a draft")
}

// The error kinds of Mailbox calls, for errors.Is. They are those of
// package provider, shared by every capability; connectors return them
// inside an *Error.
var (
	// ErrNotFound: the provider does not know the message, attachment or
	// folder (in this account). Unified answers 404.
	ErrNotFound = provider.ErrNotFound
	// ErrInvalid: the provider refused the request as malformed. 400.
	ErrInvalid = provider.ErrInvalid
	// ErrRateLimited: the provider throttles the account. 429 with
	// Error.RetryAfter.
	ErrRateLimited = provider.ErrRateLimited
	// ErrUnavailable: the provider failed (5xx) or could not be reached.
	// 503 with Error.RetryAfter when the provider sent one.
	ErrUnavailable = provider.ErrUnavailable
	// ErrCursorExpired: a delta cursor is too old for the provider. 410:
	// the client starts a new sync.
	ErrCursorExpired = provider.ErrCursorExpired
	// ErrTooLarge: an attachment or message exceeds a limit. 413.
	ErrTooLarge = provider.ErrTooLarge
	// ErrDenied: the provider refused the account's token or permissions
	// (401 or 403 after a fresh token: consent withdrawn, scope missing).
	// 403.
	ErrDenied = provider.ErrDenied
	// ErrUnsupported: the provider cannot do this. 400.
	ErrUnsupported = provider.ErrUnsupported
)

// Error is a classified failure of a Mailbox call (provider.Error). Its
// Message is safe to show to the API client; Err is the cause, for logs.
type Error = provider.Error
