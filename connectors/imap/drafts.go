package imap

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/aurinko-go/aurinko/unified/email"
)

// Conversations, replies and drafts over IMAP and SMTP.
//
// Threads. IMAP has no stable conversation id (THREAD computes threads
// per folder and per call, and X-GM-THRID exists on Gmail only), so the
// thread of a message is named by its root Message-ID: the first id of its
// References, else its In-Reply-To, else its own Message-ID. threadId is
// the base64url (no padding) of that id without its angle brackets; a
// message without any of these headers has no threadId ("threadId" in
// omitted). A conversation is read by searching each folder that lists
// cover (all but \Trash, \Junk and virtual ones) for HEADER Message-ID,
// References or In-Reply-To containing the root, keeping the messages
// whose own root is it, oldest internal date first; pages are cut here
// (the cursor is an offset).
//
// Replies are sent as SendMessage sends (SMTP, then a copy in \Sent) with
// In-Reply-To and References set; the parent then gets the \Answered flag
// (best effort).
//
// Drafts live in the \Drafts folder: a draft is APPENDed with \Draft and
// \Seen (its Bcc header kept) and its id is the message id there. IMAP
// messages cannot change, so an update APPENDs the new content and deletes
// the old message: the draft gets a new id, which the update answers.
// Sending a draft reads it, submits it over SMTP without its Bcc header and
// with a new Date, appends the sent copy to \Sent and deletes the draft.
// Deleting a draft sets \Deleted and expunges it (UID EXPUNGE when the
// server has UIDPLUS). The draft endpoints refuse (404) messages outside
// the drafts folder.

// maxThreadRoot is the longest root Message-ID a thread id carries.
const maxThreadRoot = 500

// threadRoot returns the root Message-ID of a message, with its angle
// brackets, or "".
func threadRoot(m email.Message) string {
	for _, v := range []string{m.References, m.InReplyTo, m.InternetMessageID} {
		if f := strings.Fields(v); len(f) > 0 {
			id := f[0]
			if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") && len(id) > 2 && len(id) <= maxThreadRoot {
				return id
			}
			return ""
		}
	}
	return ""
}

// threadID returns the thread id of a message ("" without one).
func threadID(m email.Message) string {
	root := threadRoot(m)
	if root == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(root[1 : len(root)-1]))
}

// parseThreadID returns the root Message-ID a thread id names.
func parseThreadID(id string) (string, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil || len(b) == 0 || len(b)+2 > maxThreadRoot || base64.RawURLEncoding.EncodeToString(b) != id {
		return "", false
	}
	root := string(b)
	if strings.ContainsFunc(root, func(r rune) bool { return r <= ' ' || r == '<' || r == '>' || r == 0x7f }) {
		return "", false
	}
	return "<" + root + ">", true
}

// ListThread implements email.Mailbox (see above).
func (c *Connector) ListThread(ctx context.Context, acct email.Account, threadID string, req email.ThreadRequest) (email.MessagePage, error) {
	root, ok := parseThreadID(threadID)
	if !ok {
		return email.MessagePage{}, notFound("no such conversation", nil)
	}
	var cur struct {
		Offset int `json:"o"`
	}
	if req.Page != "" {
		if err := decodeCursor(req.Page, &cur); err != nil {
			return email.MessagePage{}, err
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = email.DefaultLimit
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, _, err := c.account(ctx, acct)
	if err != nil {
		return email.MessagePage{}, err
	}
	defer s.close()
	fs, err := s.folders(ctx)
	if err != nil {
		return email.MessagePage{}, err
	}
	hdr := func(k string) imap.SearchCriteria {
		return imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: k, Value: root}}}
	}
	crit := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted},
		Or: [][2]imap.SearchCriteria{{hdr("Message-ID"), {Or: [][2]imap.SearchCriteria{{hdr("References"), hdr("In-Reply-To")}}}}}}
	var all []email.Message
	for _, f := range fs {
		if !f.synced(false) {
			continue
		}
		sel, err := s.selectFolder(ctx, f.name, 0, true)
		if err != nil {
			return email.MessagePage{}, err
		}
		if sel.NumMessages == 0 {
			continue
		}
		data, err := s.c.UIDSearch(crit, nil).Wait()
		if err != nil {
			return email.MessagePage{}, classify(ctx, "search", err)
		}
		got, err := s.fetch(ctx, data.AllUIDs(), true)
		if err != nil {
			return email.MessagePage{}, err
		}
		for _, g := range got {
			if g.raw == nil {
				continue
			}
			if m := toMessage(f, sel.UIDValidity, g, req.BodyType, false); m.ThreadID == threadID {
				all = append(all, m)
			}
		}
	}
	if len(all) == 0 && cur.Offset == 0 {
		return email.MessagePage{}, notFound("no such conversation", nil)
	}
	slices.SortStableFunc(all, func(a, b email.Message) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var page email.MessagePage
	for i := cur.Offset; i < len(all) && i < cur.Offset+limit; i++ {
		page.Records = append(page.Records, all[i])
	}
	if cur.Offset+limit < len(all) {
		cur.Offset += limit
		page.NextPage = encodeCursor(cur)
	}
	return page, nil
}

// Reply implements email.Mailbox: SendMessage, then \Answered on the
// parent (a failure to set it is only logged).
func (c *Connector) Reply(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (email.SendResult, error) {
	res, err := c.SendMessage(ctx, acct, msg)
	if err != nil {
		return email.SendResult{}, err
	}
	if err := c.flagAnswered(ctx, acct, id); err != nil {
		c.log.Warn("imap: reply sent but the parent not flagged \\Answered", "account", acct.ID, "error", err)
	}
	return res, nil
}

func (c *Connector) flagAnswered(ctx context.Context, acct email.Account, id string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, _, _, err := c.openMessage(ctx, acct, id, false)
	if err != nil {
		return err
	}
	defer s.close()
	return classify(ctx, "store", s.c.Store(imap.UIDSetNum(ref.uid),
		&imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagAnswered}}, nil).Close())
}

// sender returns the account's address (and msg.From's name when it is
// the account).
func (c *Connector) sender(acct email.Account, login string, msg email.OutgoingMessage) (email.Address, error) {
	fromAddr := acct.Email
	if fromAddr == "" {
		fromAddr = login
	}
	if a, err := mail.ParseAddress(fromAddr); err != nil || a.Address != fromAddr {
		return email.Address{}, invalid("the account has no email address to send from", nil)
	}
	from := email.Address{Address: fromAddr}
	if msg.From != nil && (msg.From.Address == "" || strings.EqualFold(msg.From.Address, fromAddr)) {
		from.Name = msg.From.Name
	}
	return from, nil
}

// appendDraft builds msg and appends it to the drafts folder of the
// session's account; it returns the new draft id.
func (c *Connector) appendDraft(ctx context.Context, s *session, acct email.Account, login string, msg email.OutgoingMessage) (string, error) {
	for _, k := range msg.Keywords {
		if !validKeyword(k) {
			return "", invalid(fmt.Sprintf("keyword %q cannot be an IMAP keyword", short(k)), nil)
		}
	}
	for _, a := range append(append(append([]email.Address{}, msg.To...), msg.Cc...), msg.Bcc...) {
		if err := checkAddress(a); err != nil {
			return "", err
		}
	}
	from, err := c.sender(acct, login, msg)
	if err != nil {
		return "", err
	}
	now := c.now()
	msgID, err := newMessageID(from.Address)
	if err != nil {
		return "", err
	}
	data, err := buildMessage(msg, from, now, msgID, true)
	if err != nil {
		return "", err
	}
	fs, err := s.folders(ctx)
	if err != nil {
		return "", err
	}
	drafts, ok := special(fs, email.LabelDraft, false)
	if !ok {
		return "", &email.Error{Kind: email.ErrUnsupported, Message: "the mailbox has no drafts folder"}
	}
	flags := []imap.Flag{imap.FlagDraft, imap.FlagSeen}
	for _, k := range msg.Keywords {
		flags = append(flags, imap.Flag(k))
	}
	cmd := s.c.Append(drafts.name, int64(len(data)), &imap.AppendOptions{Flags: flags, Time: now})
	if _, err := cmd.Write(data); err != nil {
		return "", classify(ctx, "append", err)
	}
	if err := cmd.Close(); err != nil {
		return "", classify(ctx, "append", err)
	}
	res, err := cmd.Wait()
	if err != nil {
		return "", classify(ctx, "append", err)
	}
	if res.UID == 0 || res.UIDValidity == 0 {
		return "", unavailable("the mail server stored the draft without telling its UID (no UIDPLUS)", nil)
	}
	return msgRef{folder: drafts.name, validity: res.UIDValidity, uid: res.UID}.id(), nil
}

// CreateDraft implements email.Mailbox: APPEND to the drafts folder.
func (c *Connector) CreateDraft(ctx context.Context, acct email.Account, msg email.OutgoingMessage) (email.Draft, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	login, password, srv, err := c.credentials(ctx, acct)
	if err != nil {
		return email.Draft{}, err
	}
	s, err := c.open(ctx, srv.imap, login, password)
	if err != nil {
		return email.Draft{}, err
	}
	defer s.close()
	id, err := c.appendDraft(ctx, s, acct, login, msg)
	if err != nil {
		return email.Draft{}, err
	}
	return email.Draft{ID: id}, nil
}

// openDraft selects the draft's folder read-write and checks that the
// message is there and that the folder is the drafts folder.
func (c *Connector) openDraft(ctx context.Context, acct email.Account, id string) (*session, msgRef, *fetched, error) {
	s, ref, f, _, err := c.openMessage(ctx, acct, id, false)
	if err != nil {
		return nil, ref, nil, err
	}
	if f.label != email.LabelDraft {
		s.close()
		return nil, ref, nil, notFound("no such draft", nil)
	}
	m, err := s.one(ctx, ref, true)
	if err != nil {
		s.close()
		return nil, ref, nil, err
	}
	return s, ref, m, nil
}

// GetDraft implements email.Mailbox (GetMessage of a message of the
// drafts folder).
func (c *Connector) GetDraft(ctx context.Context, acct email.Account, id string, opts email.GetOptions) (email.Message, error) {
	ref, ok := parseMessageID(id)
	if !ok {
		return email.Message{}, notFound("no such draft", nil)
	}
	if err := c.inDrafts(ctx, acct, ref); err != nil {
		return email.Message{}, err
	}
	return c.GetMessage(ctx, acct, id, opts)
}

// inDrafts checks that ref's folder is the drafts folder.
func (c *Connector) inDrafts(ctx context.Context, acct email.Account, ref msgRef) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, _, err := c.account(ctx, acct)
	if err != nil {
		return err
	}
	defer s.close()
	fs, err := s.folders(ctx)
	if err != nil {
		return err
	}
	if f, ok := find(fs, ref.folder); !ok || f.label != email.LabelDraft {
		return notFound("no such draft", nil)
	}
	return nil
}

// expunge deletes a message of the selected folder for good.
func (s *session) expunge(ctx context.Context, uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	if err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return classify(ctx, "store", err)
	}
	if s.c.Caps().Has(imap.CapUIDPlus) {
		return classify(ctx, "expunge", s.c.UIDExpunge(set).Close())
	}
	return classify(ctx, "expunge", s.c.Expunge().Close())
}

// UpdateDraft implements email.Mailbox: APPEND of the new content, then
// the old draft is deleted; the answer carries the new id.
func (c *Connector) UpdateDraft(ctx context.Context, acct email.Account, id string, msg email.OutgoingMessage) (email.Draft, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	login, _, _, err := c.credentials(ctx, acct)
	if err != nil {
		return email.Draft{}, err
	}
	s, ref, _, err := c.openDraft(ctx, acct, id)
	if err != nil {
		return email.Draft{}, err
	}
	defer s.close()
	newID, err := c.appendDraft(ctx, s, acct, login, msg)
	if err != nil {
		return email.Draft{}, err
	}
	if err := s.expunge(ctx, ref.uid); err != nil {
		return email.Draft{}, err
	}
	return email.Draft{ID: newID}, nil
}

// DeleteDraft implements email.Mailbox: \Deleted and expunge.
func (c *Connector) DeleteDraft(ctx context.Context, acct email.Account, id string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, _, err := c.openDraft(ctx, acct, id)
	if err != nil {
		return err
	}
	defer s.close()
	return s.expunge(ctx, ref.uid)
}

// SendDraft implements email.Mailbox: SMTP submission of the draft (Bcc
// header removed, Date set to now), a copy in \Sent, then the draft is
// deleted. Once the SMTP server has accepted the message, failures to
// store the copy or delete the draft are only logged.
func (c *Connector) SendDraft(ctx context.Context, acct email.Account, id string) (email.SendResult, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	login, password, srv, err := c.credentials(ctx, acct)
	if err != nil {
		return email.SendResult{}, err
	}
	s, ref, m, err := c.openDraft(ctx, acct, id)
	if err != nil {
		return email.SendResult{}, err
	}
	defer s.close()
	br := bufio.NewReader(bytes.NewReader(m.raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return email.SendResult{}, invalid("the draft's header cannot be read", err)
	}
	body, _ := io.ReadAll(br)
	mh := gomail.Header{Header: message.Header{Header: h}}
	var rcpts []string
	seen := map[string]bool{}
	for _, k := range []string{"To", "Cc", "Bcc"} {
		list, err := mh.AddressList(k)
		if err != nil {
			return email.SendResult{}, invalid("the draft's "+k+" header is not a list of addresses", err)
		}
		for _, a := range list {
			if err := checkAddress(email.Address{Address: a.Address}); err != nil {
				return email.SendResult{}, err
			}
			if k := strings.ToLower(a.Address); !seen[k] {
				seen[k] = true
				rcpts = append(rcpts, a.Address)
			}
		}
	}
	if len(rcpts) == 0 {
		return email.SendResult{}, invalid("the draft has no recipient", nil)
	}
	if len(rcpts) > MaxRecipients {
		return email.SendResult{}, invalid(fmt.Sprintf("more than %d recipients", MaxRecipients), nil)
	}
	from, err := c.sender(acct, login, email.OutgoingMessage{})
	if err != nil {
		return email.SendResult{}, err
	}
	now := c.now()
	mh.SetDate(now)
	var copyMsg bytes.Buffer
	if err := textproto.WriteHeader(&copyMsg, mh.Header.Header); err != nil {
		return email.SendResult{}, fmt.Errorf("imap: draft header: %w", err)
	}
	copyMsg.Write(body)
	mh.Del("Bcc")
	var wire bytes.Buffer
	if err := textproto.WriteHeader(&wire, mh.Header.Header); err != nil {
		return email.SendResult{}, fmt.Errorf("imap: draft header: %w", err)
	}
	wire.Write(body)
	if err := c.submit(ctx, srv.smtp, login, password, from.Address, rcpts, wire.Bytes()); err != nil {
		return email.SendResult{}, err
	}

	// Sent: from here on the message is sent, whatever happens.
	var keywords []string
	for _, fl := range m.flags {
		if isUserKeyword(fl) {
			keywords = append(keywords, string(fl))
		}
	}
	res, err := c.appendSent(ctx, srv, login, password, copyMsg.Bytes(), now, keywords)
	if err != nil {
		c.log.Warn("imap: draft sent but not copied to the Sent folder", "account", acct.ID, "error", err)
		res = email.SendResult{}
	}
	if err := s.expunge(ctx, ref.uid); err != nil {
		c.log.Warn("imap: draft sent but not deleted", "account", acct.ID, "error", err)
	}
	if res.ID != "" {
		res.ThreadID = threadID(email.Message{InternetMessageID: mh.Get("Message-Id"), InReplyTo: mh.Get("In-Reply-To"),
			References: mh.Get("References")})
	}
	return res, nil
}
