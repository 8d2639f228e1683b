package google

import (
	"context"
	"encoding/base64"

	gmail "google.golang.org/api/gmail/v1"

	"github.com/aurinko-go/aurinko/unified/email"
)

// Conversations, replies and drafts on Gmail.
//
// A conversation is a Gmail thread (users.threads.get, format=full): its
// messages come oldest first, shaped as in lists; Gmail does not page a
// thread, so the pages are cut here (the cursor is an offset, the thread
// is read again for each page). A reply is users.messages.send in the
// parent's thread (users.messages.get, format=minimal, for its threadId)
// with In-Reply-To and References set. A draft is users.drafts.*: the
// draft id is Gmail's (it stays across updates; the message under it
// changes), a draft answering a message joins its thread, and sending one
// (users.drafts.send) answers the sent message's ids. Gmail has no web
// link for a draft.

// threadCursor is the cursor of a conversation page.
type threadCursor struct {
	Offset int `json:"o"`
}

// ListThread implements email.Mailbox.
func (c *Connector) ListThread(ctx context.Context, acct email.Account, threadID string, req email.ThreadRequest) (email.MessagePage, error) {
	var cur threadCursor
	if req.Page != "" {
		if err := decodeCursor(req.Page, &cur); err != nil {
			return email.MessagePage{}, err
		}
	}
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.MessagePage{}, err
	}
	labels, err := c.labels(ctx, svc)
	if err != nil {
		return email.MessagePage{}, err
	}
	th, err := svc.Users.Threads.Get("me", threadID).Format("full").Context(ctx).Do()
	if err != nil {
		return email.MessagePage{}, mailErr("users.threads.get", err)
	}
	limit := req.Limit
	if limit <= 0 {
		limit = email.DefaultLimit
	}
	var page email.MessagePage
	for i := cur.Offset; i < len(th.Messages) && i < cur.Offset+limit; i++ {
		page.Records = append(page.Records, toMessage(th.Messages[i], labels, req.BodyType, false))
	}
	if cur.Offset+limit < len(th.Messages) {
		page.NextPage = encodeCursor(threadCursor{Offset: cur.Offset + limit})
	}
	return page, nil
}

// Reply implements email.Mailbox: users.messages.send in the parent's
// thread.
func (c *Connector) Reply(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (email.SendResult, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.SendResult{}, err
	}
	parent, err := svc.Users.Messages.Get("me", id).Format("minimal").Context(ctx).Do()
	if err != nil {
		return email.SendResult{}, mailErr("users.messages.get", err)
	}
	return c.send(ctx, acct, svc, msg, parent.ThreadId)
}

// draftMessage builds the Gmail message of a draft: the MIME message
// (recipients optional) in the thread of the message it answers.
func (c *Connector) draftMessage(ctx context.Context, acct email.Account, svc *gmail.Service, msg email.OutgoingMessage) (*gmail.Message, error) {
	raw, err := buildMIME(acct.Email, msg, c.now())
	if err != nil {
		return nil, err
	}
	if len(raw) > maxSendSize {
		return nil, &email.Error{Kind: email.ErrTooLarge, Message: "the message is larger than Gmail's 35 MB"}
	}
	thread, err := c.threadOfParent(ctx, svc, msg.InReplyTo)
	if err != nil {
		return nil, err
	}
	return &gmail.Message{Raw: base64.URLEncoding.EncodeToString(raw), ThreadId: thread}, nil
}

// CreateDraft implements email.Mailbox (users.drafts.create).
func (c *Connector) CreateDraft(ctx context.Context, acct email.Account, msg email.OutgoingMessage) (email.Draft, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.Draft{}, err
	}
	m, err := c.draftMessage(ctx, acct, svc, msg)
	if err != nil {
		return email.Draft{}, err
	}
	d, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: m}).Context(ctx).Do()
	if err != nil {
		return email.Draft{}, mailErr("users.drafts.create", err)
	}
	if d.Id == "" {
		return email.Draft{}, &email.Error{Kind: email.ErrUnavailable, Message: "gmail created a draft without an id"}
	}
	return email.Draft{ID: d.Id}, nil
}

// GetDraft implements email.Mailbox (users.drafts.get, format=full).
func (c *Connector) GetDraft(ctx context.Context, acct email.Account, id string, opts email.GetOptions) (email.Message, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.Message{}, err
	}
	labels, err := c.labels(ctx, svc)
	if err != nil {
		return email.Message{}, err
	}
	d, err := svc.Users.Drafts.Get("me", id).Format("full").Context(ctx).Do()
	if err != nil {
		return email.Message{}, mailErr("users.drafts.get", err)
	}
	if d.Message == nil {
		return email.Message{}, &email.Error{Kind: email.ErrUnavailable, Message: "gmail sent a draft without its message"}
	}
	bt := opts.BodyType
	if bt == email.BodyNone {
		bt = email.BodyHTML
	}
	msg := toMessage(d.Message, labels, bt, true)
	if opts.LoadInlines {
		for i, a := range msg.Attachments {
			if !a.Inline {
				continue
			}
			full, err := c.attachment(ctx, svc, d.Message, a.ID)
			if err != nil {
				return email.Message{}, err
			}
			msg.Attachments[i].Content = full.Content
		}
	}
	return msg, nil
}

// UpdateDraft implements email.Mailbox (users.drafts.update). The draft
// id stays.
func (c *Connector) UpdateDraft(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (email.Draft, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.Draft{}, err
	}
	m, err := c.draftMessage(ctx, acct, svc, msg)
	if err != nil {
		return email.Draft{}, err
	}
	d, err := svc.Users.Drafts.Update("me", id, &gmail.Draft{Id: id, Message: m}).Context(ctx).Do()
	if err != nil {
		return email.Draft{}, mailErr("users.drafts.update", err)
	}
	if d.Id != "" {
		id = d.Id
	}
	return email.Draft{ID: id}, nil
}

// SendDraft implements email.Mailbox (users.drafts.send).
func (c *Connector) SendDraft(ctx context.Context, acct email.Account, id string) (email.SendResult, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.SendResult{}, err
	}
	sent, err := svc.Users.Drafts.Send("me", &gmail.Draft{Id: id}).Context(ctx).Do()
	if err != nil {
		return email.SendResult{}, mailErr("users.drafts.send", err)
	}
	if sent.Id == "" {
		return email.SendResult{}, &email.Error{Kind: email.ErrUnavailable, Message: "gmail did not confirm the send"}
	}
	return email.SendResult{ID: sent.Id, ThreadID: sent.ThreadId}, nil
}

// DeleteDraft implements email.Mailbox (users.drafts.delete).
func (c *Connector) DeleteDraft(ctx context.Context, acct email.Account, id string) error {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return err
	}
	return mailErr("users.drafts.delete", svc.Users.Drafts.Delete("me", id).Context(ctx).Do())
}
