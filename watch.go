package aurinko

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/unified"
	"github.com/aurinko-go/aurinko/unified/calendar"
	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/email"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
	"github.com/aurinko-go/aurinko/webhooks"
)

// Windows of the calendar delta behind a webhook subscription.
const (
	watchCalendarPast   = 24 * time.Hour
	watchCalendarFuture = 366 * 24 * time.Hour
	watchEmailDays      = 1
)

// feed is the webhooks.ChangeFeed over the unified API's delta sync: a
// subscription's cursor is the pair of sealed sync tokens (updated and
// deleted streams) of its resource.
type feed struct {
	u   *unified.Handler
	now func() time.Time
}

// feedCursor is a feed cursor: each stream's token, and whether it is a
// pageToken (a round in progress) or a deltaToken.
type feedCursor struct {
	U     string `json:"u"`
	UPage bool   `json:"up,omitempty"`
	D     string `json:"d"`
	DPage bool   `json:"dp,omitempty"`
}

// watched is a parsed subscription resource.
type watched struct {
	kind string // email, calendar, contacts, tasks
	id   string // calendar or task list id
}

func parseResource(r string) (watched, error) {
	switch r {
	case "/email/messages":
		return watched{kind: "email"}, nil
	case "/contacts":
		return watched{kind: "contacts"}, nil
	}
	parts := strings.Split(r, "/")
	if len(parts) == 4 && parts[1] == "calendars" && parts[3] == "events" {
		return watched{kind: "calendar", id: parts[2]}, nil
	}
	if len(parts) == 4 && parts[1] == "tasklists" && parts[3] == "tasks" {
		return watched{kind: "tasks", id: parts[2]}, nil
	}
	return watched{}, fmt.Errorf("aurinko: cannot watch %q", r)
}

func refOf(sub store.Subscription) unified.AccountRef {
	return unified.AccountRef{AppID: sub.AppID, AccountID: sub.AccountID}
}

// streams reads one page of the updated (deleted) stream of a resource.
type streamPage struct {
	ids             []string
	nextPage, delta string
}

func (f feed) read(ctx context.Context, sub store.Subscription, w watched, deleted bool, token string, page bool) (streamPage, error) {
	ref := refOf(sub)
	dt, pt := token, ""
	if page {
		dt, pt = "", token
	}
	var out streamPage
	switch w.kind {
	case "email":
		if deleted {
			p, err := f.u.Email().SyncDeleted(ctx, ref, dt, pt)
			for _, r := range p.Records {
				out.ids = append(out.ids, r.ID)
			}
			out.nextPage, out.delta = p.NextPageToken, p.NextDeltaToken
			return out, err
		}
		p, err := f.u.Email().SyncUpdated(ctx, ref, dt, pt)
		for _, r := range p.Records {
			out.ids = append(out.ids, r.ID)
		}
		out.nextPage, out.delta = p.NextPageToken, p.NextDeltaToken
		return out, err
	case "calendar":
		if deleted {
			p, err := f.u.Calendar().SyncDeleted(ctx, ref, w.id, dt, pt)
			return pageOf(p, func(r calendar.DeletedEvent) string { return r.ID }), err
		}
		p, err := f.u.Calendar().SyncUpdated(ctx, ref, w.id, dt, pt)
		return pageOf(p, func(r calendar.Event) string { return r.ID }), err
	case "contacts":
		if deleted {
			p, err := f.u.Contacts().SyncDeleted(ctx, ref, dt, pt)
			return pageOf(p, func(r contacts.DeletedContact) string { return r.ID }), err
		}
		p, err := f.u.Contacts().SyncUpdated(ctx, ref, dt, pt)
		return pageOf(p, func(r contacts.Contact) string { return r.ID }), err
	default:
		if deleted {
			p, err := f.u.Tasks().SyncDeleted(ctx, ref, w.id, dt, pt)
			return pageOf(p, func(r tasks.DeletedTask) string { return r.ID }), err
		}
		p, err := f.u.Tasks().SyncUpdated(ctx, ref, w.id, dt, pt)
		return pageOf(p, func(r tasks.Task) string { return r.ID }), err
	}
}

func pageOf[T any](p unified.SyncPage[T], id func(T) string) streamPage {
	out := streamPage{nextPage: p.NextPageToken, delta: p.NextDeltaToken}
	for _, r := range p.Records {
		out.ids = append(out.ids, id(r))
	}
	return out
}

// expired maps the unified API's answers to a token that cannot be
// continued (410, or a token that no longer opens) to
// provider.ErrCursorExpired.
func expired(err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) && (ae.Code == apierr.Gone || ae.Code == apierr.InvalidInput) {
		return fmt.Errorf("aurinko: %w: %w", provider.ErrCursorExpired, err)
	}
	return err
}

// Start begins a sync of the subscription's resource and reads its first
// round to the end, so that the cursor reports only what changes from now.
func (f feed) Start(ctx context.Context, sub store.Subscription) (string, error) {
	w, err := parseResource(sub.Resource)
	if err != nil {
		return "", err
	}
	ref := refOf(sub)
	var st unified.SyncStatus
	switch w.kind {
	case "email":
		st, err = f.u.Email().StartSync(ctx, ref, watchEmailDays, email.BodyNone)
	case "calendar":
		now := f.now()
		st, err = f.u.Calendar().StartSync(ctx, ref, w.id, now.Add(-watchCalendarPast), now.Add(watchCalendarFuture))
	case "contacts":
		st, err = f.u.Contacts().StartSync(ctx, ref)
	default:
		st, err = f.u.Tasks().StartSync(ctx, ref, w.id)
	}
	if errors.Is(err, unified.ErrNoCapability) {
		return "", fmt.Errorf("%w: %w", webhooks.ErrNotWatchable, err)
	}
	if err != nil {
		return "", err
	}
	c := feedCursor{}
	for _, deleted := range []bool{false, true} {
		token, page := st.SyncUpdatedToken, false
		if deleted {
			token = st.SyncDeletedToken
		}
		for range 10000 {
			p, err := f.read(ctx, sub, w, deleted, token, page)
			if err != nil {
				return "", err
			}
			if p.nextPage == "" {
				token = p.delta
				break
			}
			token, page = p.nextPage, true
		}
		if deleted {
			c.D = token
		} else {
			c.U = token
		}
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// Read reads one page of each stream.
func (f feed) Read(ctx context.Context, sub store.Subscription, cursor string) ([]webhooks.Payload, string, bool, error) {
	w, err := parseResource(sub.Resource)
	if err != nil {
		return nil, "", false, err
	}
	var c feedCursor
	if err := json.Unmarshal([]byte(cursor), &c); err != nil || c.U == "" || c.D == "" {
		return nil, "", false, fmt.Errorf("aurinko: %w: unreadable watch cursor", provider.ErrCursorExpired)
	}
	var out []webhooks.Payload
	more := false
	for _, deleted := range []bool{false, true} {
		token, page := c.U, c.UPage
		if deleted {
			token, page = c.D, c.DPage
		}
		p, err := f.read(ctx, sub, w, deleted, token, page)
		if err != nil {
			return nil, "", false, expired(err)
		}
		change := "updated"
		if deleted {
			change = "deleted"
		}
		for _, id := range p.ids {
			out = append(out, webhooks.Payload{ID: id, ChangeType: change})
		}
		next, nextPage := p.delta, false
		if p.nextPage != "" {
			next, nextPage, more = p.nextPage, true, true
		}
		if deleted {
			c.D, c.DPage = next, nextPage
		} else {
			c.U, c.UPage = next, nextPage
		}
	}
	b, err := json.Marshal(c)
	return out, string(b), more, err
}

// pushes is the webhooks.PushResolver over the registered connectors.
type pushes struct {
	s *Server
}

func (p pushes) ForAccount(ctx context.Context, appID string, accountID int64) (provider.Pusher, provider.Account, string, bool, error) {
	c, acct, err := p.s.unified.Resolve(ctx, unified.AccountRef{AppID: appID, AccountID: accountID})
	if err != nil {
		return nil, provider.Account{}, "", false, err
	}
	pu, ok := c.(provider.Pusher)
	return pu, acct, c.ServiceType(), ok, nil
}

func (p pushes) ForServiceType(serviceType string) (provider.Pusher, bool) {
	c, ok := p.s.accounts.Connectors().Get(serviceType)
	if !ok {
		return nil, false
	}
	pu, ok := c.(provider.Pusher)
	return pu, ok
}

func (p pushes) PushURL(serviceType string) string {
	return strings.TrimSuffix(p.s.publicURL, "/") + p.s.basePath + "/webhooks/push/" + serviceType
}
