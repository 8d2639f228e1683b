package unified

import (
	"context"
	"slices"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/unified/calendar"
)

// Calendar is the unified Calendar API as Go methods; the HTTP handlers
// call them. Get it from Handler.Calendar. It is safe for concurrent use.
//
// Every method resolves ref to an account of the app (and user), finds the
// calendar.Provider capability of its connector, checks client-supplied
// ids with provider.ValidID and page and delta tokens against the account
// and the calendar, validates changes (calendar.EventChange.Validate) and
// maps failures to *apierr.Error.
type Calendar struct {
	h *Handler
}

// Calendar returns the Go API of the unified calendar endpoints.
func (h *Handler) Calendar() *Calendar { return &Calendar{h: h} }

// CalendarsPage is a page of calendars.
type CalendarsPage struct {
	NextPageToken string              `json:"nextPageToken,omitempty"`
	Length        int                 `json:"length"`
	Records       []calendar.Calendar `json:"records"`
}

// EventsPage is a page of events.
type EventsPage struct {
	NextPageToken  string           `json:"nextPageToken,omitempty"`
	NextDeltaToken string           `json:"nextDeltaToken,omitempty"`
	Length         int              `json:"length"`
	Records        []calendar.Event `json:"records"`
}

// FreeBusyPage answers a free/busy request.
type FreeBusyPage struct {
	Records []calendar.FreeBusySchedule `json:"records"`
}

func (c *Calendar) provider(ctx context.Context, ref AccountRef) (calendar.Provider, calendar.Account, error) {
	return capability[calendar.Provider](ctx, c.h, ref, "calendar")
}

func checkCalendarID(id string) error { return checkItemID("calendar", id) }

func normalizedEvents(es []calendar.Event) []calendar.Event {
	if es == nil {
		return []calendar.Event{}
	}
	for i := range es {
		es[i].Normalize()
	}
	return es
}

// ListCalendars returns a page of the account's calendars.
func (c *Calendar) ListCalendars(ctx context.Context, ref AccountRef, pageToken string) (CalendarsPage, error) {
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return CalendarsPage{}, err
	}
	cursor := ""
	if pageToken != "" {
		t, err := c.h.openPage(pageToken, tokenCalendarList, acct.ID, "")
		if err != nil {
			return CalendarsPage{}, err
		}
		cursor = t.Cursor
	}
	page, err := p.ListCalendars(ctx, acct, cursor)
	if err != nil {
		return CalendarsPage{}, providerError(err)
	}
	out := CalendarsPage{Records: page.Calendars, Length: len(page.Calendars)}
	if out.Records == nil {
		out.Records = []calendar.Calendar{}
	}
	out.NextPageToken, err = c.h.pageToken(tokenCalendarList, acct.ID, "", page.NextPage, 0)
	return out, err
}

// GetCalendar returns one calendar; "primary" is the default calendar.
func (c *Calendar) GetCalendar(ctx context.Context, ref AccountRef, calendarID string) (calendar.Calendar, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return calendar.Calendar{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return calendar.Calendar{}, err
	}
	cal, err := p.GetCalendar(ctx, acct, calendarID)
	return cal, providerError(err)
}

func checkCalendarChange(ch calendar.CalendarChange, create bool) error {
	if create && (ch.Name == nil || *ch.Name == "") {
		return apierr.New(apierr.InvalidInput, "name is required")
	}
	for _, s := range []*string{ch.Name, ch.Description, ch.Color} {
		if s != nil && len(*s) > 1024 {
			return apierr.New(apierr.InvalidInput, "a calendar field is too long")
		}
	}
	if ch.TimeZone != nil {
		if _, err := calendar.LoadLocation(*ch.TimeZone); err != nil {
			return apierr.Wrap(err, apierr.InvalidInput, "timezone is not a known time zone")
		}
	}
	return nil
}

// CreateCalendar creates a secondary calendar.
func (c *Calendar) CreateCalendar(ctx context.Context, ref AccountRef, ch calendar.CalendarChange) (calendar.Calendar, error) {
	if err := checkCalendarChange(ch, true); err != nil {
		return calendar.Calendar{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return calendar.Calendar{}, err
	}
	cal, err := p.CreateCalendar(ctx, acct, ch)
	return cal, providerError(err)
}

// UpdateCalendar changes a calendar.
func (c *Calendar) UpdateCalendar(ctx context.Context, ref AccountRef, calendarID string, ch calendar.CalendarChange) (calendar.Calendar, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return calendar.Calendar{}, err
	}
	if err := checkCalendarChange(ch, false); err != nil {
		return calendar.Calendar{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return calendar.Calendar{}, err
	}
	cal, err := p.UpdateCalendar(ctx, acct, calendarID, ch)
	return cal, providerError(err)
}

// EventRange asks for the events of a calendar in a window.
type EventRange struct {
	TimeMin, TimeMax time.Time
	// PageToken continues a previous page; the window comes from it.
	PageToken string
	// Limit is the page size, 1 to calendar.MaxLimit (0: the default).
	Limit int
}

// rangeScope binds a range page token to its calendar and window.
func rangeScope(calendarID string, min, max time.Time) string {
	return calendarID + "|" + min.UTC().Format(time.RFC3339) + "|" + max.UTC().Format(time.RFC3339)
}

// ListEventRange returns the single events and occurrences of a calendar
// overlapping [TimeMin, TimeMax), ordered by start.
func (c *Calendar) ListEventRange(ctx context.Context, ref AccountRef, calendarID string, q EventRange) (EventsPage, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return EventsPage{}, err
	}
	if err := calendar.CheckRange(q.TimeMin, q.TimeMax); err != nil {
		return EventsPage{}, providerError(err)
	}
	if q.Limit < 0 {
		return EventsPage{}, apierr.New(apierr.InvalidInput, "limit must be positive")
	}
	limit := min(q.Limit, calendar.MaxLimit)
	if limit == 0 {
		limit = calendar.DefaultLimit
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return EventsPage{}, err
	}
	scope := rangeScope(calendarID, q.TimeMin, q.TimeMax)
	req := calendar.RangeRequest{CalendarID: calendarID, TimeMin: q.TimeMin, TimeMax: q.TimeMax, Limit: limit}
	if q.PageToken != "" {
		t, err := c.h.openPage(q.PageToken, tokenEventRange, acct.ID, scope)
		if err != nil {
			return EventsPage{}, err
		}
		req.Page, req.Limit = t.Cursor, t.Limit
	}
	page, err := p.ListEventRange(ctx, acct, req)
	if err != nil {
		return EventsPage{}, providerError(err)
	}
	for i := range page.Events {
		page.Events[i].CalendarID = orDefault(page.Events[i].CalendarID, calendarID)
	}
	out := EventsPage{Records: normalizedEvents(page.Events), Length: len(page.Events)}
	out.NextPageToken, err = c.h.pageToken(tokenEventRange, acct.ID, scope, page.NextPage, req.Limit)
	return out, err
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// GetEvent returns one event.
func (c *Calendar) GetEvent(ctx context.Context, ref AccountRef, calendarID, eventID string) (calendar.Event, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return calendar.Event{}, err
	}
	if err := checkItemID("event", eventID); err != nil {
		return calendar.Event{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return calendar.Event{}, err
	}
	e, err := p.GetEvent(ctx, acct, calendarID, eventID)
	if err != nil {
		return calendar.Event{}, providerError(err)
	}
	e.CalendarID = orDefault(e.CalendarID, calendarID)
	e.Normalize()
	return e, nil
}

// CreateEvent creates an event; start and end are required.
func (c *Calendar) CreateEvent(ctx context.Context, ref AccountRef, calendarID string, ch calendar.EventChange) (calendar.Event, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return calendar.Event{}, err
	}
	if err := ch.Validate(true); err != nil {
		return calendar.Event{}, providerError(err)
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return calendar.Event{}, err
	}
	e, err := p.CreateEvent(ctx, acct, calendarID, ch)
	if err != nil {
		return calendar.Event{}, providerError(err)
	}
	e.CalendarID = orDefault(e.CalendarID, calendarID)
	e.Normalize()
	return e, nil
}

// UpdateEvent patches an event. A non-empty ifMatch is the etag the
// client read; a stale one is 412.
func (c *Calendar) UpdateEvent(ctx context.Context, ref AccountRef, calendarID, eventID string, ch calendar.EventChange, ifMatch string) (calendar.Event, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return calendar.Event{}, err
	}
	if err := checkItemID("event", eventID); err != nil {
		return calendar.Event{}, err
	}
	if err := ch.Validate(false); err != nil {
		return calendar.Event{}, providerError(err)
	}
	if err := checkETag(ifMatch); err != nil {
		return calendar.Event{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return calendar.Event{}, err
	}
	e, err := p.UpdateEvent(ctx, acct, calendarID, eventID, ch, ifMatch)
	if err != nil {
		return calendar.Event{}, providerError(err)
	}
	e.CalendarID = orDefault(e.CalendarID, calendarID)
	e.Normalize()
	return e, nil
}

// checkETag refuses an If-Match value no provider would issue.
func checkETag(v string) error {
	if len(v) > 512 {
		return apierr.New(apierr.InvalidInput, "If-Match is too long")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return apierr.New(apierr.InvalidInput, "If-Match is not a valid etag")
		}
	}
	return nil
}

// DeleteEvent deletes an event or cancels one occurrence.
func (c *Calendar) DeleteEvent(ctx context.Context, ref AccountRef, calendarID, eventID, ifMatch string) error {
	if err := checkCalendarID(calendarID); err != nil {
		return err
	}
	if err := checkItemID("event", eventID); err != nil {
		return err
	}
	if err := checkETag(ifMatch); err != nil {
		return err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return err
	}
	return providerError(p.DeleteEvent(ctx, acct, calendarID, eventID, ifMatch))
}

// RespondEvent answers an invitation.
func (c *Calendar) RespondEvent(ctx context.Context, ref AccountRef, calendarID, eventID string, r calendar.ResponseRequest) error {
	if err := checkCalendarID(calendarID); err != nil {
		return err
	}
	if err := checkItemID("event", eventID); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return providerError(err)
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return err
	}
	return providerError(p.RespondEvent(ctx, acct, calendarID, eventID, r))
}

// FreeBusy returns the busy times of people.
func (c *Calendar) FreeBusy(ctx context.Context, ref AccountRef, req calendar.FreeBusyRequest) (FreeBusyPage, error) {
	if err := req.Validate(); err != nil {
		return FreeBusyPage{}, providerError(err)
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return FreeBusyPage{}, err
	}
	s, err := p.FreeBusy(ctx, acct, req)
	if err != nil {
		return FreeBusyPage{}, providerError(err)
	}
	for i := range s {
		if s[i].Items == nil {
			s[i].Items = []calendar.FreeBusyItem{}
		}
		for j := range s[i].Items {
			s[i].Items[j].Start = s[i].Items[j].Start.UTC()
			s[i].Items[j].End = s[i].Items[j].End.UTC()
		}
		slices.SortFunc(s[i].Items, func(a, b calendar.FreeBusyItem) int { return a.Start.Compare(b.Start) })
	}
	if s == nil {
		s = []calendar.FreeBusySchedule{}
	}
	return FreeBusyPage{Records: s}, nil
}

// StartSync begins a delta sync of a calendar's events overlapping
// [timeMin, timeMax).
func (c *Calendar) StartSync(ctx context.Context, ref AccountRef, calendarID string, timeMin, timeMax time.Time) (SyncStatus, error) {
	if err := checkCalendarID(calendarID); err != nil {
		return SyncStatus{}, err
	}
	if err := calendar.CheckRange(timeMin, timeMax); err != nil {
		return SyncStatus{}, providerError(err)
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return SyncStatus{}, err
	}
	cursor, err := p.CalendarDeltaStart(ctx, acct, calendar.SyncOptions{CalendarID: calendarID, TimeMin: timeMin, TimeMax: timeMax})
	if err != nil {
		return SyncStatus{}, providerError(err)
	}
	return startStreams(c.h, acct.ID, tokenCalSyncUpdated, tokenCalSyncDeleted, calendarID, cursor)
}

func (c *Calendar) read(ctx context.Context, p calendar.Provider, acct calendar.Account) func(string) (deltaRound[calendar.Event, calendar.DeletedEvent], error) {
	return func(cursor string) (deltaRound[calendar.Event, calendar.DeletedEvent], error) {
		page, err := p.CalendarDeltaChanges(ctx, acct, calendar.DeltaRequest{Cursor: cursor, Limit: calendar.MaxLimit})
		return deltaRound[calendar.Event, calendar.DeletedEvent]{updated: page.Updated, deleted: page.Deleted, nextPage: page.NextPage, nextDelta: page.NextDelta}, err
	}
}

// SyncUpdated returns a page of events created or changed since the
// deltaToken (or continues with a pageToken); the last page of a round
// carries nextDeltaToken; an expired token is 410.
func (c *Calendar) SyncUpdated(ctx context.Context, ref AccountRef, calendarID, deltaToken, pageToken string) (SyncPage[calendar.Event], error) {
	if err := checkCalendarID(calendarID); err != nil {
		return SyncPage[calendar.Event]{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return SyncPage[calendar.Event]{}, err
	}
	return readStream(ctx, c.h, acct.ID, tokenCalSyncUpdated, calendarID, deltaToken, pageToken, c.read(ctx, p, acct),
		func(r deltaRound[calendar.Event, calendar.DeletedEvent]) []calendar.Event {
			for i := range r.updated {
				r.updated[i].CalendarID = orDefault(r.updated[i].CalendarID, calendarID)
			}
			return normalizedEvents(r.updated)
		})
}

// SyncDeleted returns a page of the ids of events deleted since the
// deltaToken, like SyncUpdated.
func (c *Calendar) SyncDeleted(ctx context.Context, ref AccountRef, calendarID, deltaToken, pageToken string) (SyncPage[calendar.DeletedEvent], error) {
	if err := checkCalendarID(calendarID); err != nil {
		return SyncPage[calendar.DeletedEvent]{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return SyncPage[calendar.DeletedEvent]{}, err
	}
	return readStream(ctx, c.h, acct.ID, tokenCalSyncDeleted, calendarID, deltaToken, pageToken, c.read(ctx, p, acct),
		func(r deltaRound[calendar.Event, calendar.DeletedEvent]) []calendar.DeletedEvent { return r.deleted })
}
