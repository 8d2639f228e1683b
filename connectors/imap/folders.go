package imap

import (
	"context"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko/unified/email"
)

// folderInfo is a folder of the account as LIST reports it.
type folderInfo struct {
	name     string
	delim    rune
	label    email.SysLabel // inbox, sent, draft, trash, junk or ""
	archive  bool
	virtual  bool // \All, \Flagged: views of other folders
	noSelect bool
}

// names of special folders on servers without SPECIAL-USE.
var specialNames = map[string]email.SysLabel{
	"sent": email.LabelSent, "sent items": email.LabelSent, "sent messages": email.LabelSent, "sent mail": email.LabelSent,
	"drafts": email.LabelDraft, "draft": email.LabelDraft,
	"trash": email.LabelTrash, "deleted items": email.LabelTrash, "deleted messages": email.LabelTrash,
	"junk": email.LabelJunk, "spam": email.LabelJunk, "junk e-mail": email.LabelJunk, "junk email": email.LabelJunk,
}

// folders lists the account's folders (LIST "" "*", with SPECIAL-USE
// when the server has it).
func (s *session) folders(ctx context.Context) ([]folderInfo, error) {
	opts := &imap.ListOptions{}
	special := s.c.Caps().Has(imap.CapSpecialUse)
	if special {
		opts.ReturnSpecialUse = true
	}
	list, err := s.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, classify(ctx, "list", err)
	}
	var out []folderInfo
	anySpecial := false
	for _, l := range list {
		f := folderInfo{name: l.Mailbox, delim: l.Delim}
		for _, a := range l.Attrs {
			switch a {
			case imap.MailboxAttrNoSelect, imap.MailboxAttrNonExistent:
				f.noSelect = true
			case imap.MailboxAttrSent:
				f.label = email.LabelSent
			case imap.MailboxAttrDrafts:
				f.label = email.LabelDraft
			case imap.MailboxAttrTrash:
				f.label = email.LabelTrash
			case imap.MailboxAttrJunk:
				f.label = email.LabelJunk
			case imap.MailboxAttrArchive:
				f.archive = true
			case imap.MailboxAttrAll, imap.MailboxAttrFlagged:
				f.virtual = true
			}
		}
		if f.label != "" || f.archive || f.virtual {
			anySpecial = true
		}
		if strings.EqualFold(f.name, "INBOX") {
			f.label = email.LabelInbox
		}
		out = append(out, f)
	}
	if !anySpecial {
		for i := range out {
			if out[i].label == "" {
				out[i].label = specialNames[strings.ToLower(out[i].name)]
			}
			if strings.EqualFold(out[i].name, "archive") {
				out[i].archive = true
			}
		}
	}
	// INBOX first, then by name, for stable answers.
	slices.SortFunc(out, func(a, b folderInfo) int {
		if (a.label == email.LabelInbox) != (b.label == email.LabelInbox) {
			if a.label == email.LabelInbox {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// find returns the folder named name.
func find(fs []folderInfo, name string) (folderInfo, bool) {
	for _, f := range fs {
		if f.name == name {
			return f, true
		}
	}
	return folderInfo{}, false
}

// special returns the folder with the label (or \Archive when archive).
func special(fs []folderInfo, label email.SysLabel, archive bool) (folderInfo, bool) {
	for _, f := range fs {
		if f.noSelect {
			continue
		}
		if (archive && f.archive) || (!archive && label != "" && f.label == label) {
			return f, true
		}
	}
	return folderInfo{}, false
}

// synced reports whether lists of the whole mailbox and delta sync cover
// the folder.
func (f folderInfo) synced(trashAndJunk bool) bool {
	if f.noSelect || f.virtual {
		return false
	}
	if !trashAndJunk && (f.label == email.LabelTrash || f.label == email.LabelJunk) {
		return false
	}
	return true
}

func (f folderInfo) toFolder() email.Folder {
	out := email.Folder{ID: folderID(f.name), Name: f.name, FullName: f.name, IsFolder: true}
	if f.delim != 0 {
		if i := strings.LastIndex(f.name, string(f.delim)); i >= 0 {
			out.Name = f.name[i+1:]
			out.ParentID = folderID(f.name[:i])
		}
	}
	switch f.label {
	case email.LabelInbox, email.LabelSent, email.LabelDraft, email.LabelTrash, email.LabelJunk:
		out.SysLabel = f.label
	}
	return out
}

// ListFolders implements email.Mailbox. All folders come in one page.
func (c *Connector) ListFolders(ctx context.Context, acct email.Account, page string) (email.FolderPage, error) {
	if page != "" {
		return email.FolderPage{}, invalid("folders come in one page", nil)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, _, err := c.account(ctx, acct)
	if err != nil {
		return email.FolderPage{}, err
	}
	defer s.close()
	fs, err := s.folders(ctx)
	if err != nil {
		return email.FolderPage{}, err
	}
	var out email.FolderPage
	for _, f := range fs {
		if f.noSelect {
			continue
		}
		out.Records = append(out.Records, f.toFolder())
	}
	return out, nil
}

// WellKnownFolders implements email.Mailbox from the SPECIAL-USE
// attributes (or the usual names).
func (c *Connector) WellKnownFolders(ctx context.Context, acct email.Account) (email.WellKnownFolders, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, _, err := c.account(ctx, acct)
	if err != nil {
		return email.WellKnownFolders{}, err
	}
	defer s.close()
	fs, err := s.folders(ctx)
	if err != nil {
		return email.WellKnownFolders{}, err
	}
	var out email.WellKnownFolders
	idOf := func(label email.SysLabel, archive bool) string {
		if f, ok := special(fs, label, archive); ok {
			return folderID(f.name)
		}
		return ""
	}
	out.Inbox = idOf(email.LabelInbox, false)
	out.Sent = idOf(email.LabelSent, false)
	out.Drafts = idOf(email.LabelDraft, false)
	out.Trash = idOf(email.LabelTrash, false)
	out.Junk = idOf(email.LabelJunk, false)
	out.Archive = idOf("", true)
	return out, nil
}
