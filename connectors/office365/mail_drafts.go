package office365

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aurinko-go/aurinko/unified/email"
)

// Conversations, replies and drafts on Graph v1.0.
//
// A conversation is the messages whose conversationId is the thread id
// (GET /me/messages?$filter=conversationId eq '...'); Graph refuses an
// $orderby on another property beside such a $filter, so the
// conversation is read whole and sorted oldest first here. A reply is a draft made by POST
// /me/messages/{id}/createReply with the reply's message properties
// (Exchange sets In-Reply-To, References and the conversation), then its
// attachments (POST .../attachments), then POST .../send. A draft is a
// message with isDraft: created with POST /me/messages (or createReply
// when it answers a message of the mailbox), replaced with PATCH plus its
// attachments deleted and added again, sent with POST .../send, deleted
// with DELETE. The draft endpoints refuse (404) messages that are not
// drafts.

// maxThreadPages bounds the Graph pages of 100 read for one conversation.
const maxThreadPages = 10

// threadCursor is the cursor of a conversation page.
type threadCursor struct {
	Offset int `json:"o"`
}

// ListThread implements email.Mailbox: every message of the conversation
// is read (pages of 100, at most maxThreadPages) and sorted oldest first,
// then the asked page is cut (the cursor is an offset).
func (c *Connector) ListThread(ctx context.Context, acct email.Account, threadID string, req email.ThreadRequest) (email.MessagePage, error) {
	var cur threadCursor
	if req.Page != "" {
		b, err := base64.RawURLEncoding.DecodeString(req.Page)
		if err == nil {
			err = json.Unmarshal(b, &cur)
		}
		if err != nil || cur.Offset < 0 {
			return email.MessagePage{}, &email.Error{Kind: email.ErrInvalid, Message: "malformed cursor"}
		}
	}
	wk, err := c.wellKnown(ctx, acct)
	if err != nil {
		return email.MessagePage{}, err
	}
	fields := messageFields
	if req.BodyType != email.BodyNone {
		fields = append(slices.Clone(fields), "body")
	}
	v := url.Values{"$select": {strings.Join(fields, ",")}, "$top": {"100"},
		"$filter": {"conversationId eq '" + odataString(threadID) + "'"}}
	u := c.graphBase() + "/me/messages?" + v.Encode()
	var all []graphMessage
	for range maxThreadPages {
		var page graphCollection[graphMessage]
		if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: u}, &page); err != nil {
			return email.MessagePage{}, err
		}
		all = append(all, page.Value...)
		if u = page.NextLink; u == "" {
			break
		}
	}
	if len(all) == 0 {
		return email.MessagePage{}, &email.Error{Kind: email.ErrNotFound, Message: "no such conversation"}
	}
	slices.SortStableFunc(all, func(a, b graphMessage) int {
		if c := a.ReceivedDateTime.Compare(b.ReceivedDateTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	limit := max(req.Limit, 1)
	var out email.MessagePage
	for i := cur.Offset; i < len(all) && i < cur.Offset+limit; i++ {
		gm := all[i]
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
	if cur.Offset+limit < len(all) {
		b, _ := json.Marshal(threadCursor{Offset: cur.Offset + limit})
		out.NextPage = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, nil
}

// findByInternetID returns the id of the message of the mailbox whose
// internetMessageId is mid, or "".
func (c *Connector) findByInternetID(ctx context.Context, acct email.Account, mid string) (string, error) {
	mid = strings.TrimSpace(mid)
	if f := strings.Fields(mid); len(f) > 0 {
		mid = f[0]
	}
	v := url.Values{"$select": {"id"}, "$top": {"1"}, "$filter": {"internetMessageId eq '" + odataString(mid) + "'"}}
	var page graphCollection[graphMessage]
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: c.graphBase() + "/me/messages?" + v.Encode()}, &page); err != nil {
		return "", err
	}
	if len(page.Value) == 0 {
		return "", nil
	}
	return page.Value[0].ID, nil
}

// replyDraft makes a draft answering the message id (createReply) with
// msg's content and attachments.
func (c *Connector) replyDraft(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (graphMessage, error) {
	props := outgoing(msg)
	delete(props, "attachments")
	var draft graphMessage
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(id, "createReply"),
		body: map[string]any{"message": props}}, &draft); err != nil {
		return graphMessage{}, err
	}
	if draft.ID == "" {
		return graphMessage{}, &email.Error{Kind: email.ErrUnavailable, Message: "Microsoft Graph created a reply without an id"}
	}
	if err := c.addAttachments(ctx, acct, draft.ID, msg.Attachments); err != nil {
		c.discardDraft(ctx, acct, draft.ID)
		return graphMessage{}, err
	}
	return draft, nil
}

func (c *Connector) addAttachments(ctx context.Context, acct email.Account, id string, atts []email.OutgoingAttachment) error {
	for _, a := range atts {
		ga := graphAttachment{ODataType: "#microsoft.graph.fileAttachment", Name: a.Name, ContentType: a.MimeType,
			IsInline: a.Inline, ContentID: a.ContentID, ContentBytes: a.Content}
		if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(id, "attachments"), body: ga}, nil); err != nil {
			return err
		}
	}
	return nil
}

// discardDraft deletes a draft this connector made for a send that
// failed; a failure is only logged.
func (c *Connector) discardDraft(ctx context.Context, acct email.Account, id string) {
	if err := c.do(ctx, acct, mailRequest{method: http.MethodDelete, url: c.messageURL(id)}, nil); err != nil {
		c.log.WarnContext(ctx, "office365: deleting an unsent draft failed", "err", err)
	}
}

// Reply implements email.Mailbox: createReply with msg's properties, the
// attachments, then send. The draft's immutable id is the sent message's.
func (c *Connector) Reply(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (email.SendResult, error) {
	draft, err := c.replyDraft(ctx, acct, id, msg)
	if err != nil {
		return email.SendResult{}, err
	}
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(draft.ID, "send")}, nil); err != nil {
		return email.SendResult{}, err
	}
	return email.SendResult{ID: draft.ID, ThreadID: draft.ConversationID}, nil
}

// draftState reads the draft id, answering ErrNotFound when it is a
// message that is not a draft.
func (c *Connector) draftState(ctx context.Context, acct email.Account, id string) (graphMessage, error) {
	var gm graphMessage
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: c.messageURL(id) + "?$select=id,isDraft,conversationId,webLink"}, &gm); err != nil {
		return graphMessage{}, err
	}
	if !gm.IsDraft {
		return graphMessage{}, &email.Error{Kind: email.ErrNotFound, Message: "no such draft", Err: errors.New("office365: the message is not a draft")}
	}
	return gm, nil
}

// CreateDraft implements email.Mailbox: POST /me/messages, or createReply
// when msg.InReplyTo names a message of the mailbox.
func (c *Connector) CreateDraft(ctx context.Context, acct email.Account, msg email.OutgoingMessage) (email.Draft, error) {
	if msg.InReplyTo != "" {
		parent, err := c.findByInternetID(ctx, acct, msg.InReplyTo)
		if err != nil {
			return email.Draft{}, err
		}
		if parent != "" {
			d, err := c.replyDraft(ctx, acct, parent, msg)
			if err != nil {
				return email.Draft{}, err
			}
			return email.Draft{ID: d.ID, WebLink: d.WebLink}, nil
		}
	}
	var d graphMessage
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.graphBase() + "/me/messages", body: outgoing(msg)}, &d); err != nil {
		return email.Draft{}, err
	}
	if d.ID == "" {
		return email.Draft{}, &email.Error{Kind: email.ErrUnavailable, Message: "Microsoft Graph created a draft without an id"}
	}
	return email.Draft{ID: d.ID, WebLink: d.WebLink}, nil
}

// GetDraft implements email.Mailbox (GetMessage of a draft).
func (c *Connector) GetDraft(ctx context.Context, acct email.Account, id string, opts email.GetOptions) (email.Message, error) {
	m, err := c.GetMessage(ctx, acct, id, opts)
	if err != nil {
		return email.Message{}, err
	}
	if !slices.Contains(m.SysLabels, email.LabelDraft) {
		return email.Message{}, &email.Error{Kind: email.ErrNotFound, Message: "no such draft", Err: errors.New("office365: the message is not a draft")}
	}
	return m, nil
}

// UpdateDraft implements email.Mailbox: PATCH of the draft's content
// (every property of msg, empty lists included, so the draft is replaced),
// then its attachments deleted and msg's added. The id stays. X- headers
// are set when a message is created only: an update keeps the draft's.
func (c *Connector) UpdateDraft(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (email.Draft, error) {
	d, err := c.draftState(ctx, acct, id)
	if err != nil {
		return email.Draft{}, err
	}
	props := outgoing(msg)
	delete(props, "attachments")
	props["replyTo"] = fromAddresses(msg.ReplyTo)
	props["categories"] = append([]string{}, msg.Keywords...)
	delete(props, "internetMessageHeaders") // set only when a message is created
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPatch, url: c.messageURL(id), body: props}, nil); err != nil {
		return email.Draft{}, err
	}
	var atts graphCollection[graphAttachment]
	if err := c.do(ctx, acct, mailRequest{method: http.MethodGet, url: c.messageURL(id, "attachments") + "?$select=id"}, &atts); err != nil {
		return email.Draft{}, err
	}
	for _, a := range atts.Value {
		if err := c.do(ctx, acct, mailRequest{method: http.MethodDelete, url: c.messageURL(id, "attachments", url.PathEscape(a.ID))}, nil); err != nil {
			return email.Draft{}, err
		}
	}
	if err := c.addAttachments(ctx, acct, id, msg.Attachments); err != nil {
		return email.Draft{}, err
	}
	return email.Draft{ID: id, WebLink: d.WebLink}, nil
}

// SendDraft implements email.Mailbox: POST /me/messages/{id}/send (202).
func (c *Connector) SendDraft(ctx context.Context, acct email.Account, id string) (email.SendResult, error) {
	d, err := c.draftState(ctx, acct, id)
	if err != nil {
		return email.SendResult{}, err
	}
	if err := c.do(ctx, acct, mailRequest{method: http.MethodPost, url: c.messageURL(id, "send")}, nil); err != nil {
		return email.SendResult{}, err
	}
	return email.SendResult{ID: id, ThreadID: d.ConversationID}, nil
}

// DeleteDraft implements email.Mailbox: DELETE /me/messages/{id} (204).
func (c *Connector) DeleteDraft(ctx context.Context, acct email.Account, id string) error {
	if _, err := c.draftState(ctx, acct, id); err != nil {
		return err
	}
	return c.do(ctx, acct, mailRequest{method: http.MethodDelete, url: c.messageURL(id)}, nil)
}
