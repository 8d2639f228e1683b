package email

import (
	"slices"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/provider"
)

// BodyType selects the form of a message body.
type BodyType string

// The body types of the Aurinko API.
const (
	// BodyNone asks for no body: only bodySnippet is set and "body" is
	// listed in Message.Omitted. It is the default of lists.
	BodyNone BodyType = ""
	// BodyHTML asks for the body as HTML (a text body is converted to
	// HTML by escaping it in a <pre> element when the provider has no HTML
	// part). It is the default of single-message reads.
	BodyHTML BodyType = "html"
	// BodyText asks for the body as plain text.
	BodyText BodyType = "text"
)

// ParseBodyType reads the bodyType query parameter: "", "html" or "text"
// (case-insensitive).
func ParseBodyType(s string) (BodyType, bool) {
	switch strings.ToLower(s) {
	case "":
		return BodyNone, true
	case "html":
		return BodyHTML, true
	case "text":
		return BodyText, true
	}
	return "", false
}

// SysLabel is a system label of the Aurinko API.
type SysLabel string

// The system labels, in the order Message.Normalize sorts them.
const (
	LabelInbox     SysLabel = "inbox"
	LabelSent      SysLabel = "sent"
	LabelDraft     SysLabel = "draft"
	LabelTrash     SysLabel = "trash"
	LabelJunk      SysLabel = "junk"
	LabelUnread    SysLabel = "unread"
	LabelFlagged   SysLabel = "flagged"
	LabelImportant SysLabel = "important"
)

var labelOrder = []SysLabel{LabelInbox, LabelSent, LabelDraft, LabelTrash, LabelJunk, LabelUnread, LabelFlagged, LabelImportant}

// Address is an email address with its display name.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Header is one internet message header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Attachment is an attachment of a message. In a Message it carries no
// Content; Mailbox.GetAttachment fills Content.
type Attachment struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	MimeType  string `json:"mimeType,omitempty"`
	Size      int64  `json:"size"`
	Inline    bool   `json:"inline"`
	ContentID string `json:"contentId,omitempty"`
	// Content is the attachment's bytes (base64 in JSON); only set by
	// Mailbox.GetAttachment.
	Content []byte `json:"content,omitempty"`
}

// Message is an email message of the unified API. The JSON names follow
// the Aurinko EmailMessage schema. Every connector fills the same fields
// the same way (see Normalize and the field comments), so that the same
// mailbox gives the same JSON whatever its provider.
type Message struct {
	// ID is the provider's stable message id (Graph immutable id, Gmail
	// message id). It is opaque to clients.
	ID string `json:"id"`
	// ThreadID is the conversation (Graph conversationId, Gmail threadId).
	ThreadID         string    `json:"threadId,omitempty"`
	CreatedTime      time.Time `json:"createdTime,omitzero"`
	LastModifiedTime time.Time `json:"lastModifiedTime,omitzero"`
	SentAt           time.Time `json:"sentAt,omitzero"`
	ReceivedAt       time.Time `json:"receivedAt,omitzero"`
	// InternetMessageID is the Message-ID header, with its angle brackets.
	InternetMessageID string `json:"internetMessageId,omitempty"`
	Subject           string `json:"subject"`
	// SysLabels are the system labels: folder (inbox, sent, draft, trash,
	// junk) and state (unread, flagged, important).
	SysLabels []SysLabel `json:"sysLabels,omitempty"`
	// Keywords are user labels (Graph categories, Gmail user labels by
	// name).
	Keywords       []string  `json:"keywords,omitempty"`
	From           *Address  `json:"from,omitempty"`
	To             []Address `json:"to,omitempty"`
	Cc             []Address `json:"cc,omitempty"`
	Bcc            []Address `json:"bcc,omitempty"`
	ReplyTo        []Address `json:"replyTo,omitempty"`
	HasAttachments bool      `json:"hasAttachments"`
	// Body is the body in the requested BodyType; "" with "body" in
	// Omitted when none was asked for.
	Body string `json:"body,omitempty"`
	// BodySnippet is a plain-text preview (at most SnippetLength runes).
	BodySnippet string       `json:"bodySnippet,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	InReplyTo   string       `json:"inReplyTo,omitempty"`
	References  string       `json:"references,omitempty"`
	// InternetHeaders are set by single-message reads only.
	InternetHeaders []Header `json:"internetHeaders,omitempty"`
	// FolderID is the provider id of the message's folder (Graph
	// parentFolderId; for Gmail the id of its system label).
	FolderID string `json:"folderId,omitempty"`
	WebLink  string `json:"webLink,omitempty"`
	// Omitted names the fields left out of this answer ("body",
	// "attachments", "internetHeaders", "threadId").
	Omitted []string `json:"omitted,omitempty"`
}

// SnippetLength is the longest BodySnippet, in runes.
const SnippetLength = 200

// Normalize puts a message into the canonical form every provider shares:
// times in UTC to the second, system labels in their documented order
// without duplicates, keywords sorted without duplicates, the snippet
// trimmed to SnippetLength runes, the body's line ends as LF without
// trailing line breaks (MIME bodies end in CRLF, Graph bodies do not),
// empty slices as nil and Omitted sorted.
// Package unified calls it on everything a connector returns.
func (m *Message) Normalize() {
	for _, t := range []*time.Time{&m.CreatedTime, &m.LastModifiedTime, &m.SentAt, &m.ReceivedAt} {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Second)
		}
	}
	var labels []SysLabel
	for _, l := range labelOrder {
		if slices.Contains(m.SysLabels, l) {
			labels = append(labels, l)
		}
	}
	m.SysLabels = labels
	m.Keywords = sortedSet(m.Keywords)
	m.Omitted = sortedSet(m.Omitted)
	m.BodySnippet = snippet(m.BodySnippet)
	m.Body = strings.TrimRight(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n")
	if len(m.To) == 0 {
		m.To = nil
	}
	if len(m.Cc) == 0 {
		m.Cc = nil
	}
	if len(m.Bcc) == 0 {
		m.Bcc = nil
	}
	if len(m.ReplyTo) == 0 {
		m.ReplyTo = nil
	}
	if len(m.Attachments) == 0 {
		m.Attachments = nil
	}
	if len(m.InternetHeaders) == 0 {
		m.InternetHeaders = nil
	}
	if m.From != nil && m.From.Address == "" && m.From.Name == "" {
		m.From = nil
	}
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > SnippetLength {
		return string(r[:SnippetLength])
	}
	return s
}

// DeletedMessage is a message removed from the mailbox (or from the synced
// set), as reported by delta sync.
type DeletedMessage struct {
	ID                string    `json:"id"`
	FolderID          string    `json:"folderId,omitempty"`
	InternetMessageID string    `json:"internetMessageId,omitempty"`
	Timestamp         time.Time `json:"timestamp,omitzero"`
}

// Folder is a mail folder (Graph mailFolder) or label (Gmail).
type Folder struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	FullName string `json:"fullName,omitempty"`
	IsFolder bool   `json:"isFolder"`
	IsLabel  bool   `json:"isLabel"`
	ParentID string `json:"parentId,omitempty"`
	// SysLabel is set for the system folders (inbox, sent, draft, trash,
	// junk).
	SysLabel SysLabel `json:"sysLabel,omitempty"`
}

// WellKnownFolders are the ids of the account's special folders; "" when
// the provider has none.
type WellKnownFolders struct {
	Archive string `json:"archive,omitempty"`
	Sent    string `json:"sent,omitempty"`
	Inbox   string `json:"inbox,omitempty"`
	Drafts  string `json:"drafts,omitempty"`
	Trash   string `json:"trash,omitempty"`
	Junk    string `json:"junk,omitempty"`
}

// OutgoingAttachment is an attachment of a message to send.
type OutgoingAttachment struct {
	Name      string `json:"name"`
	MimeType  string `json:"mimeType,omitempty"`
	ContentID string `json:"contentId,omitempty"`
	Inline    bool   `json:"inline,omitempty"`
	// Content is the attachment's bytes (base64 in JSON).
	Content []byte `json:"content"`
}

// OutgoingMessage is a message to send (the Aurinko OutgoingEmail schema,
// without tracking and follow-up).
type OutgoingMessage struct {
	// From is ignored by providers that always send as the account.
	From        *Address             `json:"from,omitempty"`
	Subject     string               `json:"subject"`
	Body        string               `json:"body"`
	To          []Address            `json:"to,omitempty"`
	Cc          []Address            `json:"cc,omitempty"`
	Bcc         []Address            `json:"bcc,omitempty"`
	ReplyTo     []Address            `json:"replyTo,omitempty"`
	InReplyTo   string               `json:"inReplyTo,omitempty"`
	References  string               `json:"references,omitempty"`
	XHeaders    []Header             `json:"xHeaders,omitempty"`
	Attachments []OutgoingAttachment `json:"attachments,omitempty"`
	Keywords    []string             `json:"keywords,omitempty"`
	// BodyType is the form of Body: html (default) or text. It comes from
	// the bodyType query parameter, not the JSON body.
	BodyType BodyType `json:"-"`
	// ReturnIDs asks for the sent message's id and thread id (the
	// returnIds query parameter). A connector that can only learn them
	// with extra calls makes them only when asked.
	ReturnIDs bool `json:"-"`
}

// SendResult is what a successful send returns. A send that fails is
// never reported as sent: the connector returns an error whenever it cannot
// tell that the provider accepted the message.
type SendResult struct {
	// ID and ThreadID of the sent message; "" when not asked for or not
	// known.
	ID       string
	ThreadID string
}

// StatusUpdate changes a message's state. Nil fields are left alone.
type StatusUpdate struct {
	Unread   *bool     `json:"unread,omitempty"`
	Archived *bool     `json:"archived,omitempty"`
	Keywords *[]string `json:"keywords,omitempty"`
}

// Account is the account a Mailbox call acts as (provider.Account): the
// connector authorizes its requests with Client or AccessToken (or
// Password for IMAP) and nothing else.
type Account = provider.Account

// ListRequest asks for one page of messages.
type ListRequest struct {
	Query Query
	// FolderID restricts the list to one folder; "" lists the mailbox.
	FolderID string
	// Page is the connector's cursor of the page to read (from
	// MessagePage.NextPage); "" for the first page. When Page is set the
	// connector may ignore Query and FolderID: the cursor carries them.
	Page string
	// Limit is the most records to return, 1 to MaxLimit.
	Limit    int
	BodyType BodyType
	// IncludeTrashAndJunk lists messages in the trash and junk folders
	// too; by default they are left out (when FolderID is "").
	IncludeTrashAndJunk bool
}

// The page size bounds of lists.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// MessagePage is one page of messages.
type MessagePage struct {
	Records []Message
	// NextPage is the connector's cursor of the next page; "" on the last
	// page. Package unified seals it before a client sees it.
	NextPage string
}

// FolderPage is one page of folders.
type FolderPage struct {
	Records  []Folder
	NextPage string
}

// GetOptions tune a single-message read.
type GetOptions struct {
	// BodyType defaults to BodyHTML when BodyNone.
	BodyType BodyType
	// LoadInlines fills the Content of inline attachments.
	LoadInlines bool
}

// DeltaRequest asks for one page of changes.
type DeltaRequest struct {
	// Cursor is a connector cursor: from Mailbox.DeltaStart,
	// DeltaPage.NextPage or DeltaPage.NextDelta.
	Cursor   string
	BodyType BodyType
	// Limit is the page size the connector should aim for.
	Limit int
}

// DeltaPage is one page of changes.
type DeltaPage struct {
	// Updated are messages created or changed since the round began.
	Updated []Message
	// Deleted are messages removed (or moved out of the synced set).
	Deleted []DeletedMessage
	// NextPage continues this round; "" on the last page.
	NextPage string
	// NextDelta is set on the last page (NextPage == ""): the cursor of
	// the next round, which returns only what changes from now on.
	NextDelta string
}

// SyncOptions tune the start of a delta sync.
type SyncOptions struct {
	// Since limits the first round to messages received at or after
	// it; zero means the provider's default window.
	Since    time.Time
	BodyType BodyType
}
