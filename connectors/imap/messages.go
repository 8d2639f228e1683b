package imap

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko/unified/email"
)

// systemKeywords are IMAP keywords that are state, not user labels.
var systemKeywords = []string{"$forwarded", "$mdnsent", "$junk", "$notjunk", "$phishing", "$important", "$submitted", "$answered", "junk", "nonjunk", "$recent"}

func isUserKeyword(f imap.Flag) bool {
	s := string(f)
	return s != "" && !strings.HasPrefix(s, `\`) && !slices.Contains(systemKeywords, strings.ToLower(s))
}

// validKeyword reports whether k can be an IMAP keyword (an atom that is
// not a system flag).
func validKeyword(k string) bool {
	if k == "" || len(k) > 100 || strings.HasPrefix(k, `\`) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return isUserKeyword(imap.Flag(k))
}

// toMessage maps a fetched message of folder f.
func toMessage(f folderInfo, validity uint32, buf *fetched, bt email.BodyType, headers bool) email.Message {
	p, err := parseMessage(buf.raw, headers)
	m := p.msg
	m.ID = msgRef{folder: f.name, validity: validity, uid: buf.uid}.id()
	m.FolderID = folderID(f.name)
	m.ReceivedAt = buf.date.UTC()
	if m.ThreadID = threadID(m); m.ThreadID == "" {
		m.Omitted = append(m.Omitted, "threadId")
	}
	if err != nil {
		m.Omitted = append(m.Omitted, "body", "attachments", "internetHeaders")
	} else {
		m.BodySnippet = p.snippet()
		if bt == email.BodyNone {
			m.Omitted = append(m.Omitted, "body")
		} else {
			m.Body = p.body(bt)
		}
		if !headers {
			// Lists carry no attachments and no headers (nor inReplyTo and
			// references), as on Graph and Gmail: "attachments" is omitted when the message has some
			// that are not inline.
			m.Attachments = nil
			if m.HasAttachments {
				m.Omitted = append(m.Omitted, "attachments")
			}
			m.InReplyTo, m.References = "", ""
			m.Omitted = append(m.Omitted, "internetHeaders")
		}
	}
	if f.label != "" {
		m.SysLabels = append(m.SysLabels, f.label)
	}
	seen := false
	for _, fl := range buf.flags {
		switch {
		case strings.EqualFold(string(fl), string(imap.FlagSeen)):
			seen = true
		case strings.EqualFold(string(fl), string(imap.FlagFlagged)):
			m.SysLabels = append(m.SysLabels, email.LabelFlagged)
		case strings.EqualFold(string(fl), string(imap.FlagImportant)):
			m.SysLabels = append(m.SysLabels, email.LabelImportant)
		case strings.EqualFold(string(fl), string(imap.FlagDraft)):
			m.SysLabels = append(m.SysLabels, email.LabelDraft)
		case isUserKeyword(fl):
			m.Keywords = append(m.Keywords, string(fl))
		}
	}
	if !seen {
		m.SysLabels = append(m.SysLabels, email.LabelUnread)
	}
	return m
}

// fetched is one message read with BODY.PEEK[].
type fetched struct {
	uid    imap.UID
	flags  []imap.Flag
	date   time.Time
	modSeq uint64
	raw    []byte
}

var wholeBody = &imap.FetchItemBodySection{Peek: true}

// fetch reads messages of the selected folder by UID (whole body unless
// !body), in the order of uids; UIDs that are gone are left out.
func (s *session) fetch(ctx context.Context, uids []imap.UID, body bool) ([]*fetched, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	opts := &imap.FetchOptions{UID: true, Flags: true, InternalDate: true}
	if body {
		opts.BodySection = []*imap.FetchItemBodySection{wholeBody}
	}
	bufs, err := s.c.Fetch(imap.UIDSetNum(uids...), opts).Collect()
	if err != nil {
		return nil, classify(ctx, "fetch", err)
	}
	byUID := make(map[imap.UID]*fetched, len(bufs))
	for _, b := range bufs {
		f := &fetched{uid: b.UID, flags: b.Flags, date: b.InternalDate, modSeq: b.ModSeq}
		if body {
			f.raw = b.FindBodySection(wholeBody)
		}
		byUID[b.UID] = f
	}
	out := make([]*fetched, 0, len(uids))
	for _, u := range uids {
		if f, ok := byUID[u]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// openMessage opens a session, selects the message's folder and checks
// the message exists.
func (c *Connector) openMessage(ctx context.Context, acct email.Account, id string, readOnly bool) (*session, msgRef, folderInfo, servers, error) {
	ref, ok := parseMessageID(id)
	if !ok {
		return nil, ref, folderInfo{}, servers{}, notFound("no such message", nil)
	}
	s, srv, err := c.account(ctx, acct)
	if err != nil {
		return nil, ref, folderInfo{}, servers{}, err
	}
	fs, err := s.folders(ctx)
	if err != nil {
		s.close()
		return nil, ref, folderInfo{}, servers{}, err
	}
	f, ok := find(fs, ref.folder)
	if !ok {
		s.close()
		return nil, ref, folderInfo{}, servers{}, notFound("no such message", nil)
	}
	if _, err := s.selectFolder(ctx, ref.folder, ref.validity, readOnly); err != nil {
		s.close()
		return nil, ref, folderInfo{}, servers{}, err
	}
	return s, ref, f, srv, nil
}

// one fetches the message ref of the selected folder.
func (s *session) one(ctx context.Context, ref msgRef, body bool) (*fetched, error) {
	got, err := s.fetch(ctx, []imap.UID{ref.uid}, body)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 || (body && got[0].raw == nil) {
		return nil, notFound("no such message", nil)
	}
	return got[0], nil
}

// GetMessage implements email.Mailbox (UID FETCH BODY.PEEK[], parsed).
func (c *Connector) GetMessage(ctx context.Context, acct email.Account, id string, opts email.GetOptions) (email.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, f, _, err := c.openMessage(ctx, acct, id, true)
	if err != nil {
		return email.Message{}, err
	}
	defer s.close()
	m, err := s.one(ctx, ref, true)
	if err != nil {
		return email.Message{}, err
	}
	bt := opts.BodyType
	if bt == email.BodyNone {
		bt = email.BodyHTML
	}
	msg := toMessage(f, ref.validity, m, bt, true)
	if opts.LoadInlines {
		for i, a := range msg.Attachments {
			if !a.Inline {
				continue
			}
			path, _ := parsePartID(a.ID)
			full, ok, err := findPart(m.raw, path)
			if err == nil && ok {
				msg.Attachments[i].Content = full.Content
			}
		}
	}
	return msg, nil
}

// RawMessage implements email.Mailbox.
func (c *Connector) RawMessage(ctx context.Context, acct email.Account, id string) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, _, _, err := c.openMessage(ctx, acct, id, true)
	if err != nil {
		return nil, err
	}
	defer s.close()
	m, err := s.one(ctx, ref, true)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(m.raw)), nil
}

// GetAttachment implements email.Mailbox: the attachment id is the MIME
// part path; the message is read and parsed to decode the part.
func (c *Connector) GetAttachment(ctx context.Context, acct email.Account, messageID, attachmentID string) (email.Attachment, error) {
	path, ok := parsePartID(attachmentID)
	if !ok {
		return email.Attachment{}, notFound("no such attachment", nil)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, _, _, err := c.openMessage(ctx, acct, messageID, true)
	if err != nil {
		return email.Attachment{}, err
	}
	defer s.close()
	m, err := s.one(ctx, ref, true)
	if err != nil {
		return email.Attachment{}, err
	}
	a, ok, err := findPart(m.raw, path)
	if err != nil {
		return email.Attachment{}, err
	}
	if !ok {
		return email.Attachment{}, notFound("no such attachment", nil)
	}
	return a, nil
}

// UpdateMessage implements email.Mailbox: unread clears or sets \Seen,
// keywords replace the message's user keywords (IMAP atoms only), archived
// moves to the \Archive folder (true) or back to INBOX (false, from the
// archive). Moving gives the message a new id.
func (c *Connector) UpdateMessage(ctx context.Context, acct email.Account, id string, upd email.StatusUpdate) error {
	if upd.Keywords != nil {
		for _, k := range *upd.Keywords {
			if !validKeyword(k) {
				return invalid(fmt.Sprintf("keyword %q cannot be an IMAP keyword (an atom without spaces or specials)", short(k)), nil)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, f, _, err := c.openMessage(ctx, acct, id, false)
	if err != nil {
		return err
	}
	defer s.close()
	m, err := s.one(ctx, ref, false)
	if err != nil {
		return err
	}
	set := imap.UIDSetNum(ref.uid)
	store := func(op imap.StoreFlagsOp, flags []imap.Flag) error {
		if len(flags) == 0 {
			return nil
		}
		return classify(ctx, "store", s.c.Store(set, &imap.StoreFlags{Op: op, Silent: true, Flags: flags}, nil).Close())
	}
	if upd.Unread != nil {
		op := imap.StoreFlagsAdd
		if *upd.Unread {
			op = imap.StoreFlagsDel
		}
		if err := store(op, []imap.Flag{imap.FlagSeen}); err != nil {
			return err
		}
	}
	if upd.Keywords != nil {
		var add, del []imap.Flag
		for _, fl := range m.flags {
			if isUserKeyword(fl) && !slices.Contains(*upd.Keywords, string(fl)) {
				del = append(del, fl)
			}
		}
		for _, k := range *upd.Keywords {
			if !slices.Contains(m.flags, imap.Flag(k)) && !slices.Contains(add, imap.Flag(k)) {
				add = append(add, imap.Flag(k))
			}
		}
		if err := store(imap.StoreFlagsDel, del); err != nil {
			return err
		}
		if err := store(imap.StoreFlagsAdd, add); err != nil {
			return err
		}
	}
	if upd.Archived != nil {
		fs, err := s.folders(ctx)
		if err != nil {
			return err
		}
		var dest folderInfo
		switch {
		case *upd.Archived && !f.archive:
			var ok bool
			if dest, ok = special(fs, "", true); !ok {
				return &email.Error{Kind: email.ErrUnsupported, Message: "the mailbox has no archive folder"}
			}
		case !*upd.Archived && f.archive:
			dest, _ = special(fs, email.LabelInbox, false)
			if dest.name == "" {
				dest.name = "INBOX"
			}
		default:
			return nil
		}
		return s.move(ctx, ref.uid, dest.name)
	}
	return nil
}

// move moves a message of the selected folder: MOVE, or COPY, \Deleted and
// (UID) EXPUNGE without the MOVE extension.
func (s *session) move(ctx context.Context, uid imap.UID, dest string) error {
	set := imap.UIDSetNum(uid)
	if s.c.Caps().Has(imap.CapMove) {
		_, err := s.c.Move(set, dest).Wait()
		return classify(ctx, "move", err)
	}
	if _, err := s.c.Copy(set, dest).Wait(); err != nil {
		return classify(ctx, "copy", err)
	}
	if err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return classify(ctx, "store", err)
	}
	if s.c.Caps().Has(imap.CapUIDPlus) {
		return classify(ctx, "expunge", s.c.UIDExpunge(set).Close())
	}
	return classify(ctx, "expunge", s.c.Expunge().Close())
}

// TrashMessage implements email.Mailbox: the message moves to the \Trash
// folder; a message already there stays.
func (c *Connector) TrashMessage(ctx context.Context, acct email.Account, id string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, ref, f, _, err := c.openMessage(ctx, acct, id, false)
	if err != nil {
		return err
	}
	defer s.close()
	if _, err := s.one(ctx, ref, false); err != nil {
		return err
	}
	if f.label == email.LabelTrash {
		return nil
	}
	fs, err := s.folders(ctx)
	if err != nil {
		return err
	}
	trash, ok := special(fs, email.LabelTrash, false)
	if !ok {
		return &email.Error{Kind: email.ErrUnsupported, Message: "the mailbox has no trash folder"}
	}
	return s.move(ctx, ref.uid, trash.name)
}

// --- lists ---

// listCursor is the cursor of a message list: per folder, the UID below
// which the next page starts (0: from the newest).
type listCursor struct {
	Folders []listFolder `json:"f"`
	Query   email.Query  `json:"q"`
}

type listFolder struct {
	Name     string   `json:"n"`
	Validity uint32   `json:"v,omitempty"`
	Below    imap.UID `json:"b,omitempty"`
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
		return invalid("malformed cursor", fmt.Errorf("imap: cursor: %w", err))
	}
	return nil
}

// criteria translates a query into IMAP SEARCH criteria (see the package
// doc). Dates are widened by a day, as servers compare dates in their own
// time zone; matchesTime then checks the exact bounds.
func criteria(q email.Query) *imap.SearchCriteria {
	c := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
	for _, v := range q.From {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: "From", Value: v})
	}
	for _, v := range q.To {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: "To", Value: v})
	}
	for _, v := range q.Subject {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: "Subject", Value: v})
	}
	if !q.After.IsZero() {
		c.Since = q.After.UTC().AddDate(0, 0, -1)
	}
	if !q.Before.IsZero() {
		c.Before = q.Before.UTC().AddDate(0, 0, 2)
	}
	if q.Unread != nil {
		if *q.Unread {
			c.NotFlag = append(c.NotFlag, imap.FlagSeen)
		} else {
			c.Flag = append(c.Flag, imap.FlagSeen)
		}
	}
	if q.HasAttachment {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: "Content-Type", Value: "multipart/mixed"})
	}
	c.Text = append(c.Text, q.Text...)
	return c
}

func matchesTime(q email.Query, t time.Time) bool {
	if !q.After.IsZero() && t.Before(q.After) {
		return false
	}
	if !q.Before.IsZero() && !t.Before(q.Before) {
		return false
	}
	return true
}

// ListMessages implements email.Mailbox (see the package doc for the
// order and the query).
func (c *Connector) ListMessages(ctx context.Context, acct email.Account, req email.ListRequest) (email.MessagePage, error) {
	var cur listCursor
	if req.Page != "" {
		if err := decodeCursor(req.Page, &cur); err != nil {
			return email.MessagePage{}, err
		}
		if len(cur.Folders) == 0 {
			return email.MessagePage{}, invalid("malformed cursor", nil)
		}
	} else {
		cur.Query = req.Query
	}
	limit := req.Limit
	if limit <= 0 {
		limit = email.DefaultLimit
	}
	limit = min(limit, email.MaxLimit)
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
	if req.Page == "" {
		if req.FolderID != "" {
			name, ok := parseFolderID(req.FolderID)
			if !ok {
				return email.MessagePage{}, notFound("no such folder", nil)
			}
			if f, ok := find(fs, name); !ok || f.noSelect {
				return email.MessagePage{}, notFound("no such folder", nil)
			}
			cur.Folders = []listFolder{{Name: name}}
		} else {
			for _, f := range fs {
				if f.synced(req.IncludeTrashAndJunk) {
					cur.Folders = append(cur.Folders, listFolder{Name: f.name})
				}
			}
		}
	}

	// Pass 1: the newest matching UIDs of each folder, with their dates.
	type candidate struct {
		folder int
		uid    imap.UID
		date   time.Time
	}
	crit := criteria(cur.Query)
	heads := make([][]candidate, len(cur.Folders))
	more := make([]bool, len(cur.Folders))
	for i := range cur.Folders {
		lf := &cur.Folders[i]
		sel, err := s.selectFolder(ctx, lf.Name, 0, true)
		if err != nil {
			if req.Page != "" {
				return email.MessagePage{}, &email.Error{Kind: email.ErrCursorExpired, Message: "a folder of this list changed; list again", Err: err}
			}
			return email.MessagePage{}, err
		}
		if lf.Validity == 0 {
			lf.Validity = sel.UIDValidity
		} else if lf.Validity != sel.UIDValidity {
			return email.MessagePage{}, &email.Error{Kind: email.ErrCursorExpired, Message: "a folder of this list was reset; list again"}
		}
		if sel.NumMessages == 0 {
			continue
		}
		fc := *crit
		if lf.Below > 0 {
			var set imap.UIDSet
			set.AddRange(1, lf.Below-1)
			fc.UID = []imap.UIDSet{set}
		}
		data, err := s.c.UIDSearch(&fc, nil).Wait()
		if err != nil {
			return email.MessagePage{}, classify(ctx, "search", err)
		}
		uids := data.AllUIDs()
		slices.Sort(uids)
		slices.Reverse(uids)
		if len(uids) > limit {
			uids, more[i] = uids[:limit], true
		}
		got, err := s.fetch(ctx, uids, false)
		if err != nil {
			return email.MessagePage{}, err
		}
		for _, g := range got {
			heads[i] = append(heads[i], candidate{folder: i, uid: g.uid, date: g.date})
		}
	}

	// Merge: newest internal date first, each folder in UID order.
	var picked []candidate
	pos := make([]int, len(heads))
	for len(picked) < limit {
		best := -1
		for i, h := range heads {
			if pos[i] >= len(h) {
				continue
			}
			if best < 0 || h[pos[i]].date.After(heads[best][pos[best]].date) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		cd := heads[best][pos[best]]
		pos[best]++
		cur.Folders[best].Below = cd.uid
		picked = append(picked, cd)
	}

	// Pass 2: read the picked messages.
	byFolder := map[int][]imap.UID{}
	for _, p := range picked {
		byFolder[p.folder] = append(byFolder[p.folder], p.uid)
	}
	msgs := map[candidate]email.Message{}
	for i, uids := range byFolder {
		lf := cur.Folders[i]
		if _, err := s.selectFolder(ctx, lf.Name, lf.Validity, true); err != nil {
			return email.MessagePage{}, err
		}
		got, err := s.fetch(ctx, uids, true)
		if err != nil {
			return email.MessagePage{}, err
		}
		f, _ := find(fs, lf.Name)
		f.name = lf.Name
		for _, g := range got {
			if g.raw == nil {
				continue
			}
			msgs[candidate{folder: i, uid: g.uid}] = toMessage(f, lf.Validity, g, req.BodyType, false)
		}
	}
	var page email.MessagePage
	for _, p := range picked {
		if !matchesTime(cur.Query, p.date) {
			continue
		}
		if m, ok := msgs[candidate{folder: p.folder, uid: p.uid}]; ok {
			page.Records = append(page.Records, m)
		}
	}

	// The folders with more to read.
	var next []listFolder
	for i, lf := range cur.Folders {
		if more[i] || pos[i] < len(heads[i]) {
			next = append(next, lf)
		}
	}
	if len(next) > 0 {
		cur.Folders = next
		page.NextPage = encodeCursor(cur)
	}
	return page, nil
}

func short(s string) string {
	if r := []rune(s); len(r) > 32 {
		return string(r[:32]) + "…"
	}
	return s
}
