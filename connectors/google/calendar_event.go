package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/calendar"
)

// eventsMaxResults is events.list's largest page.
const eventsMaxResults = 2500

func pageSize(limit int) string {
	if limit <= 0 {
		limit = calendar.DefaultLimit
	}
	return strconv.Itoa(min(limit, eventsMaxResults))
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func eventsPath(calendarID string) string { return calPath("calendars", calendarID, "events") }

func eventPath(calendarID, eventID string) string {
	return calPath("calendars", calendarID, "events", eventID)
}

// ListEventRange implements calendar.Provider with events.list
// (singleEvents=true, orderBy=startTime).
func (c *Connector) ListEventRange(ctx context.Context, acct calendar.Account, req calendar.RangeRequest) (calendar.EventPage, error) {
	q := url.Values{"singleEvents": {"true"}, "orderBy": {"startTime"}, "timeMin": {rfc3339(req.TimeMin)},
		"timeMax": {rfc3339(req.TimeMax)}, "maxResults": {pageSize(req.Limit)}}
	if req.Page != "" {
		cur, err := decodeCalCursor(req.Page)
		if err != nil {
			return calendar.EventPage{}, err
		}
		if cur.Page == "" {
			return calendar.EventPage{}, &calendar.Error{Kind: calendar.ErrInvalid, Message: "malformed cursor"}
		}
		q.Set("pageToken", cur.Page)
	}
	var ans gcalEvents
	if err := c.calCall(ctx, acct, calRequest{op: "events.list", method: http.MethodGet, path: eventsPath(req.CalendarID), query: q}, &ans); err != nil {
		return calendar.EventPage{}, err
	}
	var items []*gcalEvent
	for i := range ans.Items {
		if ans.Items[i].Status != "cancelled" {
			items = append(items, &ans.Items[i])
		}
	}
	events, err := c.eventReader(acct, req.CalendarID, ans.TimeZone).events(ctx, items)
	if err != nil {
		return calendar.EventPage{}, err
	}
	out := calendar.EventPage{Events: events}
	if ans.NextPageToken != "" {
		out.NextPage = encodeCursor(calCursor{Page: ans.NextPageToken})
	}
	return out, nil
}

func (c *Connector) getEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string) (*gcalEvent, error) {
	var ge gcalEvent
	err := c.calCall(ctx, acct, calRequest{op: "events.get", method: http.MethodGet, path: eventPath(calendarID, eventID)}, &ge)
	if err != nil {
		return nil, err
	}
	return &ge, nil
}

// GetEvent implements calendar.Provider with events.get. A cancelled
// event is not found, unless the account is a guest of that meeting.
func (c *Connector) GetEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string) (calendar.Event, error) {
	ge, err := c.getEvent(ctx, acct, calendarID, eventID)
	if err != nil {
		return calendar.Event{}, err
	}
	ev, err := c.eventReader(acct, calendarID, "").event(ctx, ge)
	if err != nil {
		return calendar.Event{}, err
	}
	if ge.Status == "cancelled" && (ev.MeetingInfo == nil || isOrganizer(ge, acct.Email)) {
		return calendar.Event{}, &calendar.Error{Kind: calendar.ErrNotFound, Message: "google calendar events.get: the event was deleted"}
	}
	return ev, nil
}

func isOrganizer(ge *gcalEvent, self string) bool {
	o := ge.Organizer
	return o != nil && (o.Self || (self != "" && strings.EqualFold(o.Email, self)))
}

// CreateEvent implements calendar.Provider with events.insert
// (sendUpdates=all; conferenceDataVersion=1 with a Meet createRequest
// when MeetingInfo.OnlineMeeting).
func (c *Connector) CreateEvent(ctx context.Context, acct calendar.Account, calendarID string, e calendar.EventChange) (calendar.Event, error) {
	body, err := eventBody(e, false)
	if err != nil {
		return calendar.Event{}, err
	}
	q := url.Values{"sendUpdates": {"all"}}
	if mi := e.MeetingInfo; mi != nil {
		body["attendees"] = attendeesBody(mi, nil)
		if mi.OnlineMeeting {
			body["conferenceData"] = conferenceRequest()
			q.Set("conferenceDataVersion", "1")
		}
	}
	var ge gcalEvent
	if err := c.calCall(ctx, acct, calRequest{op: "events.insert", method: http.MethodPost, path: eventsPath(calendarID),
		query: q, body: body}, &ge); err != nil {
		return calendar.Event{}, err
	}
	return c.eventReader(acct, calendarID, "").event(ctx, &ge)
}

// UpdateEvent implements calendar.Provider with events.patch (If-Match
// when ifMatch is set, sendUpdates=all). With MeetingInfo it reads the
// event first, to keep the answers of guests who stay.
func (c *Connector) UpdateEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string, e calendar.EventChange, ifMatch string) (calendar.Event, error) {
	body, err := eventBody(e, true)
	if err != nil {
		return calendar.Event{}, err
	}
	q := url.Values{"sendUpdates": {"all"}}
	if mi := e.MeetingInfo; mi != nil {
		old, err := c.getEvent(ctx, acct, calendarID, eventID)
		if err != nil {
			return calendar.Event{}, err
		}
		if ifMatch != "" && old.ETag != "" && ifMatch != old.ETag {
			return calendar.Event{}, &calendar.Error{Kind: calendar.ErrPrecondition, Status: http.StatusPreconditionFailed,
				Message: "google calendar events.patch: the item changed since it was read"}
		}
		body["attendees"] = attendeesBody(mi, old.Attendees)
		if mi.OnlineMeeting && !hasConference(old) {
			body["conferenceData"] = conferenceRequest()
			q.Set("conferenceDataVersion", "1")
		}
	}
	var ge gcalEvent
	if err := c.calCall(ctx, acct, calRequest{op: "events.patch", method: http.MethodPatch, path: eventPath(calendarID, eventID),
		query: q, body: body, ifMatch: ifMatch}, &ge); err != nil {
		return calendar.Event{}, err
	}
	return c.eventReader(acct, calendarID, "").event(ctx, &ge)
}

// DeleteEvent implements calendar.Provider with events.delete
// (sendUpdates=all, If-Match when ifMatch is set). On an occurrence id it
// cancels that occurrence.
func (c *Connector) DeleteEvent(ctx context.Context, acct calendar.Account, calendarID, eventID, ifMatch string) error {
	return c.calCall(ctx, acct, calRequest{op: "events.delete", method: http.MethodDelete, path: eventPath(calendarID, eventID),
		query: url.Values{"sendUpdates": {"all"}}, ifMatch: ifMatch}, nil)
}

// respondAttempts bounds RespondEvent's read-and-patch rounds when the
// event changes in between.
const respondAttempts = 3

// RespondEvent implements calendar.Provider: it sets the self attendee's
// responseStatus and comment with events.patch, If-Match the etag it read.
func (c *Connector) RespondEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string, r calendar.ResponseRequest) error {
	status := ""
	switch r.Response {
	case calendar.ResponseAccepted, calendar.ResponseTentative, calendar.ResponseDeclined:
		status = r.Response
	default:
		return &calendar.FieldError{Field: "response", Problem: "must be accepted, tentative or declined"}
	}
	send := "none"
	if r.Notify {
		send = "all"
	}
	var err error
	for range respondAttempts {
		var ge *gcalEvent
		if ge, err = c.getEvent(ctx, acct, calendarID, eventID); err != nil {
			return err
		}
		if ge.Status == "cancelled" {
			return &calendar.Error{Kind: calendar.ErrNotFound, Message: "google calendar: the event was deleted"}
		}
		if isOrganizer(ge, acct.Email) {
			return &calendar.Error{Kind: calendar.ErrConflict, Message: "the organizer cannot answer their own meeting"}
		}
		i := slices.IndexFunc(ge.Attendees, func(a gcalAttendee) bool {
			return a.Self || (acct.Email != "" && strings.EqualFold(a.Email, acct.Email))
		})
		if i < 0 {
			return &calendar.Error{Kind: calendar.ErrConflict, Message: "the account is not a guest of this meeting"}
		}
		atts := slices.Clone(ge.Attendees)
		atts[i].ResponseStatus = status
		if r.Comment != "" {
			atts[i].Comment = r.Comment
		}
		body := map[string]any{"attendees": atts}
		if ge.AttendeesOmitted {
			// Google's way to answer when the guest list is hidden: only
			// the participant's entry.
			body = map[string]any{"attendeesOmitted": true, "attendees": atts[i : i+1]}
		}
		err = c.calCall(ctx, acct, calRequest{op: "events.patch", method: http.MethodPatch, path: eventPath(calendarID, eventID),
			query: url.Values{"sendUpdates": {send}}, body: body, ifMatch: ge.ETag}, nil)
		if !isKind(err, calendar.ErrPrecondition) {
			return err
		}
	}
	return err
}

// FreeBusy implements calendar.Provider with freebusy.query, 50
// addresses a request.
func (c *Connector) FreeBusy(ctx context.Context, acct calendar.Account, req calendar.FreeBusyRequest) ([]calendar.FreeBusySchedule, error) {
	out := make([]calendar.FreeBusySchedule, 0, len(req.Emails))
	for chunk := range slices.Chunk(req.Emails, calFreeBusyChunk) {
		items := make([]map[string]string, len(chunk))
		for i, e := range chunk {
			items[i] = map[string]string{"id": e}
		}
		var ans struct {
			Calendars map[string]struct {
				Busy []struct {
					Start string `json:"start"`
					End   string `json:"end"`
				} `json:"busy"`
				Errors []struct {
					Domain string `json:"domain"`
					Reason string `json:"reason"`
				} `json:"errors"`
			} `json:"calendars"`
		}
		body := map[string]any{"timeMin": rfc3339(req.TimeMin), "timeMax": rfc3339(req.TimeMax), "timeZone": "UTC", "items": items}
		if err := c.calCall(ctx, acct, calRequest{op: "freebusy.query", method: http.MethodPost, path: "/freeBusy", body: body}, &ans); err != nil {
			return nil, err
		}
		for _, email := range chunk {
			s := calendar.FreeBusySchedule{Email: email, Items: []calendar.FreeBusyItem{}}
			cal, ok := ans.Calendars[email]
			if !ok {
				for k, v := range ans.Calendars {
					if strings.EqualFold(k, email) {
						cal, ok = v, true
						break
					}
				}
			}
			switch {
			case !ok:
				s.Error = "notFound"
			case len(cal.Errors) > 0:
				s.Error = cal.Errors[0].Reason
			}
			for _, b := range cal.Busy {
				start, err1 := time.Parse(time.RFC3339, b.Start)
				end, err2 := time.Parse(time.RFC3339, b.End)
				if err1 == nil && err2 == nil {
					s.Items = append(s.Items, calendar.FreeBusyItem{Start: start.UTC(), End: end.UTC(), Status: calendar.ShowBusy})
				}
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// --- delta sync ---

// CalendarDeltaStart implements calendar.Provider: it checks that the
// calendar can be listed (events.list, one event) and returns the cursor
// of a first round over the window.
func (c *Connector) CalendarDeltaStart(ctx context.Context, acct calendar.Account, opts calendar.SyncOptions) (string, error) {
	if opts.CalendarID == "" || !opts.TimeMax.After(opts.TimeMin) {
		return "", &calendar.Error{Kind: calendar.ErrInvalid, Message: "a calendar sync needs a calendar and a window"}
	}
	q := url.Values{"singleEvents": {"true"}, "timeMin": {rfc3339(opts.TimeMin)}, "timeMax": {rfc3339(opts.TimeMax)}, "maxResults": {"1"}}
	if err := c.calCall(ctx, acct, calRequest{op: "events.list", method: http.MethodGet, path: eventsPath(opts.CalendarID), query: q}, nil); err != nil {
		return "", err
	}
	return encodeCursor(calCursor{Calendar: opts.CalendarID, Min: opts.TimeMin.Unix(), Max: opts.TimeMax.Unix()}), nil
}

// CalendarDeltaChanges implements calendar.Provider: events.list with the
// window (first round) or the syncToken (later rounds), singleEvents=true,
// filtered to the window as the package documentation describes.
func (c *Connector) CalendarDeltaChanges(ctx context.Context, acct calendar.Account, req calendar.DeltaRequest) (calendar.DeltaPage, error) {
	cur, err := decodeCalCursor(req.Cursor)
	if err != nil {
		return calendar.DeltaPage{}, err
	}
	if cur.Calendar == "" || cur.Max <= cur.Min {
		return calendar.DeltaPage{}, &calendar.Error{Kind: calendar.ErrInvalid, Message: "malformed cursor"}
	}
	lo, hi := time.Unix(cur.Min, 0).UTC(), time.Unix(cur.Max, 0).UTC()
	q := url.Values{"singleEvents": {"true"}, "maxResults": {pageSize(req.Limit)}}
	if cur.Sync == "" {
		q.Set("timeMin", rfc3339(lo))
		q.Set("timeMax", rfc3339(hi))
	} else {
		q.Set("syncToken", cur.Sync)
	}
	if cur.Page != "" {
		q.Set("pageToken", cur.Page)
	}
	var ans gcalEvents
	if err := c.calCall(ctx, acct, calRequest{op: "events.list", method: http.MethodGet, path: eventsPath(cur.Calendar), query: q}, &ans); err != nil {
		return calendar.DeltaPage{}, err
	}
	r := c.eventReader(acct, cur.Calendar, ans.TimeZone)
	if r.calLoc == nil {
		r.calLoc = time.UTC
	}
	var page calendar.DeltaPage
	deleted := map[string]bool{}
	del := func(id string) {
		if id != "" && !deleted[id] {
			deleted[id] = true
			page.Deleted = append(page.Deleted, calendar.DeletedEvent{ID: id})
		}
	}
	var updated []*gcalEvent
	for i := range ans.Items {
		ge := &ans.Items[i]
		if ge.Status == "cancelled" {
			if cur.Sync == "" {
				continue // nothing the client holds yet
			}
			del(ge.ID)
			if ge.RecurringEventID == "" {
				// Perhaps a series: its occurrences in the window go too.
				ids, err := c.seriesInstanceIDs(ctx, acct, cur.Calendar, ge.ID, lo, hi)
				if err != nil {
					return calendar.DeltaPage{}, err
				}
				for _, id := range ids {
					del(id)
				}
			}
			continue
		}
		s, e, ok := spanOf(ge, r.zone())
		switch {
		case ok && overlaps(s, e, lo, hi):
			updated = append(updated, ge)
		case cur.Sync == "":
		case ge.RecurringEventID == "":
			del(ge.ID) // it may have moved out of the window
		default:
			if o, known := instantOf(ge.OriginalStartTime, r.zone()); known && ok && overlaps(o, o.Add(e.Sub(s)), lo, hi) {
				del(ge.ID)
			}
		}
	}
	if page.Updated, err = r.events(ctx, updated); err != nil {
		return calendar.DeltaPage{}, err
	}
	next := calCursor{Calendar: cur.Calendar, Min: cur.Min, Max: cur.Max, Sync: cur.Sync}
	switch {
	case ans.NextPageToken != "":
		next.Page = ans.NextPageToken
		page.NextPage = encodeCursor(next)
	case ans.NextSyncToken != "":
		next.Sync = ans.NextSyncToken
		page.NextDelta = encodeCursor(next)
	default:
		return calendar.DeltaPage{}, &calendar.Error{Kind: calendar.ErrUnavailable,
			Message: "google calendar events.list: the last page has no nextSyncToken",
			Err:     fmt.Errorf("google: calendar events.list: neither nextPageToken nor nextSyncToken")}
	}
	return page, nil
}

// seriesInstanceIDs lists the ids of the occurrences of a deleted series
// in [lo, hi) (events.instances with showDeleted=true). An event that is
// no series, or that Google no longer expands, has none.
func (c *Connector) seriesInstanceIDs(ctx context.Context, acct calendar.Account, calendarID, eventID string, lo, hi time.Time) ([]string, error) {
	q := url.Values{"showDeleted": {"true"}, "timeMin": {rfc3339(lo)}, "timeMax": {rfc3339(hi)}, "maxResults": {strconv.Itoa(eventsMaxResults)}}
	var ids []string
	for len(ids) < calInstancesMax {
		var ans gcalEvents
		err := c.calCall(ctx, acct, calRequest{op: "events.instances", method: http.MethodGet,
			path: eventPath(calendarID, eventID) + "/instances", query: q}, &ans)
		var ce *calendar.Error
		if errors.As(err, &ce) && (ce.Kind == calendar.ErrNotFound || ce.Kind == calendar.ErrInvalid || ce.Kind == calendar.ErrCursorExpired) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
		for _, it := range ans.Items {
			ids = append(ids, it.ID)
		}
		if ans.NextPageToken == "" {
			break
		}
		q.Set("pageToken", ans.NextPageToken)
	}
	return ids, nil
}
