package imap

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko/unified/email"
)

// deltaCursor is the state of a delta sync (see the package doc). Between
// rounds Started is false and the folders hold what the last round saw;
// during a round Started is true and the folders hold what is still to
// report.
type deltaCursor struct {
	// Initial marks the first round (every message within Since is
	// Updated).
	Initial bool          `json:"i,omitempty"`
	Since   time.Time     `json:"s,omitzero"`
	Started bool          `json:"r,omitempty"`
	Folders []deltaFolder `json:"f"`
}

type deltaFolder struct {
	Name     string `json:"n"`
	Validity uint32 `json:"v"`
	ModSeq   uint64 `json:"m,omitempty"`
	UIDNext  uint32 `json:"u"`
	// Known are the UIDs that exist as of the last round.
	Known uidList `json:"k,omitempty"`
	// Updated and Deleted are still to report in this round.
	Updated uidList `json:"pu,omitempty"`
	Deleted uidList `json:"pd,omitempty"`
	// Gone: the folder left the synced set; dropped once its deletes are
	// reported.
	Gone bool `json:"g,omitempty"`
}

// maxCursorUIDs bounds the UIDs a cursor's ranges may expand to.
const maxCursorUIDs = 5_000_000

// uidList is a sorted set of UIDs, in JSON as ranges "1-5,7,9-12".
type uidList []imap.UID

// MarshalText implements encoding.TextMarshaler.
func (l uidList) MarshalText() ([]byte, error) {
	var b strings.Builder
	for i := 0; i < len(l); {
		j := i
		for j+1 < len(l) && l[j+1] == l[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(l[i]), 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatUint(uint64(l[j]), 10))
		}
		i = j + 1
	}
	return []byte(b.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *uidList) UnmarshalText(b []byte) error {
	*l = nil
	if len(b) == 0 {
		return nil
	}
	var out uidList
	var last imap.UID
	for _, r := range strings.Split(string(b), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil || a == 0 {
			return fmt.Errorf("bad uid range %q", r)
		}
		z := a
		if isRange {
			if z, err = strconv.ParseUint(hi, 10, 32); err != nil || z < a {
				return fmt.Errorf("bad uid range %q", r)
			}
		}
		if imap.UID(a) <= last || uint64(len(out))+z-a+1 > maxCursorUIDs {
			return fmt.Errorf("bad uid ranges")
		}
		for u := a; u <= z; u++ {
			out = append(out, imap.UID(u))
		}
		last = imap.UID(z)
	}
	*l = out
	return nil
}

// DeltaStart implements email.Mailbox. It checks the account can log in
// and returns the cursor of the first round, which reports every message
// received within opts.Since (all messages when zero) as Updated.
func (c *Connector) DeltaStart(ctx context.Context, acct email.Account, opts email.SyncOptions) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	s, _, err := c.account(ctx, acct)
	if err != nil {
		return "", err
	}
	s.close()
	return encodeCursor(deltaCursor{Initial: true, Since: opts.Since}), nil
}

// DeltaChanges implements email.Mailbox.
func (c *Connector) DeltaChanges(ctx context.Context, acct email.Account, req email.DeltaRequest) (email.DeltaPage, error) {
	var cur deltaCursor
	if err := decodeCursor(req.Cursor, &cur); err != nil {
		return email.DeltaPage{}, err
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
		return email.DeltaPage{}, err
	}
	defer s.close()
	fs, err := s.folders(ctx)
	if err != nil {
		return email.DeltaPage{}, err
	}
	if !cur.Started {
		if err := s.startRound(ctx, &cur, fs); err != nil {
			return email.DeltaPage{}, err
		}
	}

	var page email.DeltaPage
	budget := limit
	for i := range cur.Folders {
		if budget == 0 {
			break
		}
		f := &cur.Folders[i]
		for budget > 0 && len(f.Deleted) > 0 {
			uid := f.Deleted[len(f.Deleted)-1]
			f.Deleted = f.Deleted[:len(f.Deleted)-1]
			page.Deleted = append(page.Deleted, email.DeletedMessage{
				ID:       msgRef{folder: f.Name, validity: f.Validity, uid: uid}.id(),
				FolderID: folderID(f.Name),
			})
			budget--
		}
		if budget == 0 || len(f.Updated) == 0 {
			continue
		}
		n := min(budget, len(f.Updated))
		take := slices.Clone(f.Updated[len(f.Updated)-n:])
		f.Updated = f.Updated[:len(f.Updated)-n]
		budget -= n
		slices.Reverse(take) // newest first
		if _, err := s.selectFolder(ctx, f.Name, f.Validity, true); err != nil {
			if isKind(err, email.ErrNotFound) {
				return email.DeltaPage{}, &email.Error{Kind: email.ErrCursorExpired, Message: "a synced folder was reset; sync again", Err: err}
			}
			return email.DeltaPage{}, err
		}
		got, err := s.fetch(ctx, take, true)
		if err != nil {
			return email.DeltaPage{}, err
		}
		info, _ := find(fs, f.Name)
		info.name = f.Name
		for _, g := range got {
			if g.raw != nil {
				page.Updated = append(page.Updated, toMessage(info, f.Validity, g, req.BodyType, false))
			}
		}
	}
	// Drop the folders that left the synced set once reported.
	kept := cur.Folders[:0]
	pending := false
	for _, f := range cur.Folders {
		if len(f.Updated) > 0 || len(f.Deleted) > 0 {
			pending = true
		}
		if !f.Gone || len(f.Deleted) > 0 {
			kept = append(kept, f)
		}
	}
	cur.Folders = kept
	if pending {
		page.NextPage = encodeCursor(cur)
	} else {
		cur.Started = false
		page.NextDelta = encodeCursor(cur)
	}
	return page, nil
}

func isKind(err error, kind error) bool {
	e, ok := err.(*email.Error)
	return ok && e.Kind == kind
}

// startRound compares each synced folder with the cursor and fills the
// Updated and Deleted lists of the round.
func (s *session) startRound(ctx context.Context, cur *deltaCursor, fs []folderInfo) error {
	prev := map[string]deltaFolder{}
	for _, f := range cur.Folders {
		prev[f.Name] = f
	}
	condstore := s.c.Caps().Has(imap.CapCondStore)
	var next []deltaFolder
	for _, info := range fs {
		if !info.synced(false) {
			continue
		}
		p, had := prev[info.name]
		delete(prev, info.name)
		sel, err := s.selectFolder(ctx, info.name, 0, true)
		if err != nil {
			if isKind(err, email.ErrNotFound) && had {
				// Deleted between LIST and SELECT: report it next round.
				next = append(next, p)
				continue
			}
			return err
		}
		if had && p.Validity != sel.UIDValidity {
			return &email.Error{Kind: email.ErrCursorExpired, Message: fmt.Sprintf("the UIDVALIDITY of a synced folder changed (%d to %d); sync again", p.Validity, sel.UIDValidity)}
		}
		f := deltaFolder{Name: info.name, Validity: sel.UIDValidity, UIDNext: uint32(sel.UIDNext)}
		if condstore {
			f.ModSeq = sel.HighestModSeq
		}
		if sel.NumMessages > 0 && sel.UIDNext > 1 {
			base := imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
			var upTo imap.UIDSet
			upTo.AddRange(1, sel.UIDNext-1)
			base.UID = []imap.UIDSet{upTo}
			if f.Known, err = s.search(ctx, base); err != nil {
				return err
			}
			switch {
			case cur.Initial:
				if cur.Since.IsZero() {
					f.Updated = f.Known
				} else {
					c := base
					c.Since = cur.Since.UTC().AddDate(0, 0, -1)
					if f.Updated, err = s.search(ctx, c); err != nil {
						return err
					}
				}
			case !had:
				f.Updated = f.Known // a new folder: all of it
			default:
				changed := map[imap.UID]bool{}
				for _, u := range f.Known {
					if uint32(u) >= p.UIDNext {
						changed[u] = true
					}
				}
				if condstore && p.ModSeq > 0 && f.ModSeq > p.ModSeq {
					c := base
					c.ModSeq = &imap.SearchCriteriaModSeq{ModSeq: p.ModSeq + 1}
					mod, err := s.search(ctx, c)
					if err != nil {
						return err
					}
					for _, u := range mod {
						changed[u] = true
					}
				}
				for _, u := range f.Known {
					if changed[u] {
						f.Updated = append(f.Updated, u)
					}
				}
			}
		}
		if had {
			f.Deleted = minus(p.Known, f.Known)
		}
		next = append(next, f)
	}
	// Folders that left: everything they held is deleted.
	for _, p := range cur.Folders {
		if _, left := prev[p.Name]; left && len(p.Known) > 0 {
			next = append(next, deltaFolder{Name: p.Name, Validity: p.Validity, Deleted: p.Known, Gone: true})
		}
	}
	cur.Folders = next
	cur.Initial, cur.Since, cur.Started = false, time.Time{}, true
	return nil
}

// search runs UID SEARCH and returns the UIDs sorted.
func (s *session) search(ctx context.Context, c imap.SearchCriteria) (uidList, error) {
	data, err := s.c.UIDSearch(&c, nil).Wait()
	if err != nil {
		return nil, classify(ctx, "search", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return uidList(slices.Compact(uids)), nil
}

// minus returns the UIDs of a that are not in b (both sorted).
func minus(a, b uidList) uidList {
	var out uidList
	j := 0
	for _, u := range a {
		for j < len(b) && b[j] < u {
			j++
		}
		if j >= len(b) || b[j] != u {
			out = append(out, u)
		}
	}
	return out
}
