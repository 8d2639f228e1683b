package office365

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/calendar"
)

// maxExclusions bounds the occurrences a create or update removes to
// honour a recurrence's pattern exclusions (two Graph calls each).
const maxExclusions = 100

// graphTime writes an instant as a query parameter of calendarView.
func graphTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func eventSelect() string { return strings.Join(eventFields, ",") }

func calPageLimit(n int) int {
	switch {
	case n <= 0:
		return calendar.DefaultLimit
	case n > calendar.MaxLimit:
		return calendar.MaxLimit
	}
	return n
}

// eventURL is an event below its calendar's path.
func (c *Connector) eventURL(calendarID, eventID string, rest ...string) string {
	u := c.calendarBase(calendarID) + "/events/" + url.PathEscape(eventID)
	for _, r := range rest {
		u += "/" + r
	}
	return u
}

// ListEventRange implements calendar.Provider: GET calendarView of the
// calendar with startDateTime, endDateTime, $top, $orderby=start/dateTime
// and $select; further pages follow @odata.nextLink.
func (c *Connector) ListEventRange(ctx context.Context, acct calendar.Account, req calendar.RangeRequest) (calendar.EventPage, error) {
	calID := req.CalendarID
	var u string
	if req.Page != "" {
		cur, err := c.decodeCalCursor(req.Page, calCursorRange)
		if err != nil {
			return calendar.EventPage{}, err
		}
		if calID != "" && cur.Calendar != calID {
			return calendar.EventPage{}, calBadCursor("of another calendar")
		}
		u, calID = cur.URL, cur.Calendar
	} else {
		v := url.Values{
			"startDateTime": {graphTime(req.TimeMin)}, "endDateTime": {graphTime(req.TimeMax)},
			"$top": {strconv.Itoa(calPageLimit(req.Limit))}, "$orderby": {"start/dateTime"}, "$select": {eventSelect()},
		}
		u = c.calendarBase(calID) + "/calendarView?" + v.Encode()
	}
	var res graphCollection[graphEvent]
	if err := c.calDo(ctx, acct, calCall{method: http.MethodGet, url: u}, &res); err != nil {
		return calendar.EventPage{}, err
	}
	out := calendar.EventPage{Events: make([]calendar.Event, 0, len(res.Value))}
	for i := range res.Value {
		out.Events = append(out.Events, toEvent(&res.Value[i], calID))
	}
	var err error
	if out.NextPage, err = c.linkCursor(calCursorRange, res.NextLink, calID); err != nil {
		return calendar.EventPage{}, err
	}
	return out, nil
}

// getGraphEvent reads one event with the properties the connector maps.
func (c *Connector) getGraphEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string) (*graphEvent, error) {
	var g graphEvent
	u := c.eventURL(calendarID, eventID) + "?" + url.Values{"$select": {eventSelect()}}.Encode()
	if err := c.calDo(ctx, acct, calCall{method: http.MethodGet, url: u}, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// GetEvent implements calendar.Provider: GET /me/calendar/events/{id} (or
// below /me/calendars/{id}) with $select.
func (c *Connector) GetEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string) (calendar.Event, error) {
	g, err := c.getGraphEvent(ctx, acct, calendarID, eventID)
	if err != nil {
		return calendar.Event{}, err
	}
	return toEvent(g, calendarID), nil
}

// CreateEvent implements calendar.Provider: POST to the calendar's events
// (201). MeetingInfo.OnlineMeeting asks for a Teams meeting
// (isOnlineMeeting, onlineMeetingProvider teamsForBusiness); recurrence
// exclusions are removed afterwards, and the series is read again.
func (c *Connector) CreateEvent(ctx context.Context, acct calendar.Account, calendarID string, ch calendar.EventChange) (calendar.Event, error) {
	if ch.Start == nil || ch.End == nil {
		return calendar.Event{}, &calendar.FieldError{Field: "start and end", Problem: "are required"}
	}
	in, exclusions, err := eventInput(ch)
	if err != nil {
		return calendar.Event{}, err
	}
	if len(exclusions) > maxExclusions {
		return calendar.Event{}, &calendar.FieldError{Field: "recurrence", Problem: "has too many exclusions"}
	}
	var g graphEvent
	if err := c.calDo(ctx, acct, calCall{method: http.MethodPost, url: c.calendarBase(calendarID) + "/events", body: in}, &g); err != nil {
		return calendar.Event{}, err
	}
	if len(exclusions) > 0 {
		return c.excludeAndRead(ctx, acct, calendarID, g.ID, exclusions)
	}
	return toEvent(&g, calendarID), nil
}

// UpdateEvent implements calendar.Provider: PATCH of the event with the
// changed properties and If-Match when ifMatch is set (412 is
// ErrPrecondition). A change without properties reads the event.
func (c *Connector) UpdateEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string, ch calendar.EventChange, ifMatch string) (calendar.Event, error) {
	in, exclusions, err := eventInput(ch)
	if err != nil {
		return calendar.Event{}, err
	}
	if len(exclusions) > maxExclusions {
		return calendar.Event{}, &calendar.FieldError{Field: "recurrence", Problem: "has too many exclusions"}
	}
	if len(in) == 0 {
		e, err := c.GetEvent(ctx, acct, calendarID, eventID)
		if err == nil && ifMatch != "" && e.ETag != ifMatch {
			return calendar.Event{}, &calendar.Error{Kind: calendar.ErrPrecondition, Message: "the item changed since it was read"}
		}
		return e, err
	}
	var g graphEvent
	if err := c.calDo(ctx, acct, calCall{method: http.MethodPatch, url: c.eventURL(calendarID, eventID), body: in, ifMatch: ifMatch}, &g); err != nil {
		return calendar.Event{}, err
	}
	if len(exclusions) > 0 {
		return c.excludeAndRead(ctx, acct, calendarID, g.ID, exclusions)
	}
	return toEvent(&g, calendarID), nil
}

// excludeAndRead deletes the occurrences of the series masterID that start
// at the exclusions, then reads the master again.
func (c *Connector) excludeAndRead(ctx context.Context, acct calendar.Account, calendarID, masterID string, exclusions []calendar.DateTime) (calendar.Event, error) {
	for _, ex := range exclusions {
		t, err := ex.Instant(time.UTC)
		if err != nil {
			return calendar.Event{}, err
		}
		v := url.Values{"startDateTime": {graphTime(t)}, "endDateTime": {graphTime(t.Add(time.Minute))},
			"$select": {"id,type,start,originalStart"}}
		var res graphCollection[graphEvent]
		u := c.graphBase() + "/me/events/" + url.PathEscape(masterID) + "/instances?" + v.Encode()
		if err := c.calDo(ctx, acct, calCall{method: http.MethodGet, url: u}, &res); err != nil {
			return calendar.Event{}, err
		}
		for i := range res.Value {
			occ := &res.Value[i]
			start, _, ok := parseGraphDateTime(occ.Start)
			at := occ.OriginalStart != nil && occ.OriginalStart.Equal(t) || occ.OriginalStart == nil && ok && start.Equal(t)
			if !at {
				continue
			}
			err := c.calDo(ctx, acct, calCall{method: http.MethodDelete, url: c.eventURL(calendarID, occ.ID)}, nil)
			if err != nil && !errors.Is(err, calendar.ErrNotFound) {
				return calendar.Event{}, err
			}
		}
	}
	return c.GetEvent(ctx, acct, calendarID, masterID)
}

// DeleteEvent implements calendar.Provider: DELETE of the event (a series
// with its occurrences, or one occurrence) with If-Match when ifMatch is
// set.
func (c *Connector) DeleteEvent(ctx context.Context, acct calendar.Account, calendarID, eventID, ifMatch string) error {
	return c.calDo(ctx, acct, calCall{method: http.MethodDelete, url: c.eventURL(calendarID, eventID), ifMatch: ifMatch}, nil)
}

// RespondEvent implements calendar.Provider: POST .../events/{id}/accept,
// tentativelyAccept or decline with {comment, sendResponse} (202). Graph
// refuses the organizer with 400 ErrorInvalidRequest: ErrConflict.
func (c *Connector) RespondEvent(ctx context.Context, acct calendar.Account, calendarID, eventID string, r calendar.ResponseRequest) error {
	var action string
	switch r.Response {
	case calendar.ResponseAccepted:
		action = "accept"
	case calendar.ResponseTentative:
		action = "tentativelyAccept"
	case calendar.ResponseDeclined:
		action = "decline"
	default:
		return &calendar.FieldError{Field: "response", Problem: "must be accepted, tentative or declined"}
	}
	body := map[string]any{"sendResponse": r.Notify}
	if r.Comment != "" {
		body["comment"] = r.Comment
	}
	return c.calDo(ctx, acct, calCall{method: http.MethodPost, url: c.eventURL(calendarID, eventID, action), body: body, respond: true}, nil)
}

// graphSchedule is a scheduleInformation of getSchedule.
type graphSchedule struct {
	ScheduleID    string `json:"scheduleId"`
	ScheduleItems []struct {
		Status string           `json:"status"`
		Start  *graphDateTimeTZ `json:"start"`
		End    *graphDateTimeTZ `json:"end"`
	} `json:"scheduleItems"`
	Error *struct {
		Message      string `json:"message"`
		ResponseCode string `json:"responseCode"`
	} `json:"error"`
}

// FreeBusy implements calendar.Provider: POST /me/calendar/getSchedule
// {schedules, startTime, endTime} in UTC. Busy, tentative and oof items
// are kept (oof as outOfOffice, workingElsewhere as busy), free and
// unknown ones skipped; a schedule's error is its Error.
func (c *Connector) FreeBusy(ctx context.Context, acct calendar.Account, req calendar.FreeBusyRequest) ([]calendar.FreeBusySchedule, error) {
	body := map[string]any{
		"schedules": req.Emails,
		"startTime": graphDateTimeTZ{DateTime: req.TimeMin.UTC().Format("2006-01-02T15:04:05"), TimeZone: "UTC"},
		"endTime":   graphDateTimeTZ{DateTime: req.TimeMax.UTC().Format("2006-01-02T15:04:05"), TimeZone: "UTC"},
	}
	var res graphCollection[graphSchedule]
	if err := c.calDo(ctx, acct, calCall{method: http.MethodPost, url: c.graphBase() + "/me/calendar/getSchedule", body: body}, &res); err != nil {
		return nil, err
	}
	out := make([]calendar.FreeBusySchedule, 0, len(res.Value))
	for i, s := range res.Value {
		fs := calendar.FreeBusySchedule{Email: s.ScheduleID, Items: []calendar.FreeBusyItem{}}
		if fs.Email == "" && i < len(req.Emails) {
			fs.Email = req.Emails[i]
		}
		if s.Error != nil {
			fs.Error = s.Error.Message
			if fs.Error == "" {
				fs.Error = s.Error.ResponseCode
			}
			fs.Error = truncate(fs.Error, 300)
		}
		for _, it := range s.ScheduleItems {
			var status string
			switch strings.ToLower(it.Status) {
			case "busy", "workingelsewhere":
				status = calendar.ShowBusy
			case "tentative":
				status = calendar.ShowTentative
			case "oof":
				status = calendar.ShowOutOfOffice
			default:
				continue
			}
			start, _, ok1 := parseGraphDateTime(it.Start)
			end, _, ok2 := parseGraphDateTime(it.End)
			if !ok1 || !ok2 {
				continue
			}
			fs.Items = append(fs.Items, calendar.FreeBusyItem{Start: start.UTC(), End: end.UTC(), Status: status})
		}
		sort.SliceStable(fs.Items, func(a, b int) bool { return fs.Items[a].Start.Before(fs.Items[b].Start) })
		out = append(out, fs)
	}
	return out, nil
}

// CalendarDeltaStart implements calendar.Provider: the cursor is the
// first request of a calendar view delta round, GET
// /me/calendarView/delta (the default calendar) or
// /me/calendars/{id}/calendarView/delta with startDateTime and
// endDateTime; no call is made yet.
func (c *Connector) CalendarDeltaStart(_ context.Context, _ calendar.Account, opts calendar.SyncOptions) (string, error) {
	base := c.graphBase() + "/me/calendarView/delta"
	if opts.CalendarID != "" && opts.CalendarID != calendar.PrimaryID {
		base = c.calendarBase(opts.CalendarID) + "/calendarView/delta"
	}
	v := url.Values{"startDateTime": {graphTime(opts.TimeMin)}, "endDateTime": {graphTime(opts.TimeMax)}}
	calID := opts.CalendarID
	if calID == "" {
		calID = calendar.PrimaryID
	}
	return calCursor{Kind: calCursorDelta, URL: base + "?" + v.Encode(), Calendar: calID}.encode(), nil
}

// CalendarDeltaChanges implements calendar.Provider: GET of the cursor's
// URL with Prefer: odata.maxpagesize. @removed items are Deleted; items
// that come without their properties (occurrences, as Graph's delta
// sends them) are completed from their series master or read by id, and
// reported deleted when that is gone.
func (c *Connector) CalendarDeltaChanges(ctx context.Context, acct calendar.Account, req calendar.DeltaRequest) (calendar.DeltaPage, error) {
	cur, err := c.decodeCalCursor(req.Cursor, calCursorDelta)
	if err != nil {
		return calendar.DeltaPage{}, err
	}
	var res graphCollection[graphEvent]
	if err := c.calDo(ctx, acct, calCall{method: http.MethodGet, url: cur.URL, pageSize: calPageLimit(req.Limit)}, &res); err != nil {
		return calendar.DeltaPage{}, err
	}
	var out calendar.DeltaPage
	masters := map[string]*graphEvent{}
	for i := range res.Value {
		g := &res.Value[i]
		if g.Removed != nil {
			out.Deleted = append(out.Deleted, calendar.DeletedEvent{ID: g.ID})
			continue
		}
		if g.Subject == nil {
			full, err := c.completeDeltaItem(ctx, acct, cur.Calendar, g, masters)
			if err != nil {
				return calendar.DeltaPage{}, err
			}
			if full == nil {
				out.Deleted = append(out.Deleted, calendar.DeletedEvent{ID: g.ID})
				continue
			}
			g = full
		}
		out.Updated = append(out.Updated, toEvent(g, cur.Calendar))
	}
	if res.NextLink != "" {
		out.NextPage, err = c.linkCursor(calCursorDelta, res.NextLink, cur.Calendar)
	} else {
		out.NextDelta, err = c.linkCursor(calCursorDelta, res.DeltaLink, cur.Calendar)
	}
	if err != nil {
		return calendar.DeltaPage{}, err
	}
	if out.NextPage == "" && out.NextDelta == "" {
		return calendar.DeltaPage{}, &calendar.Error{Kind: calendar.ErrUnavailable, Message: "Microsoft Graph ended a delta page without a link"}
	}
	return out, nil
}

// completeDeltaItem returns the full event of a delta item that came
// without its properties: an occurrence is its series master (read once
// per page, cached in masters) with the occurrence's id, etag, start and
// end; anything else is read by id. It returns nil when the event is
// gone.
func (c *Connector) completeDeltaItem(ctx context.Context, acct calendar.Account, calendarID string, g *graphEvent, masters map[string]*graphEvent) (*graphEvent, error) {
	if strings.EqualFold(g.Type, "occurrence") && g.SeriesMasterID != "" {
		m, seen := masters[g.SeriesMasterID]
		if !seen {
			var err error
			m, err = c.getGraphEvent(ctx, acct, calendarID, g.SeriesMasterID)
			if errors.Is(err, calendar.ErrNotFound) {
				m, err = nil, nil
			}
			if err != nil {
				return nil, err
			}
			masters[g.SeriesMasterID] = m
		}
		if m == nil {
			return nil, nil
		}
		occ := *m
		occ.ID, occ.Type, occ.SeriesMasterID, occ.Recurrence = g.ID, g.Type, g.SeriesMasterID, nil
		occ.Start, occ.End, occ.OriginalStart, occ.Removed = g.Start, g.End, g.OriginalStart, nil
		if g.ETag != "" {
			occ.ETag = g.ETag
		}
		// webLink names the item (documented form ...?itemid={id}&...).
		masterItem, occItem := "itemid="+url.QueryEscape(m.ID), "itemid="+url.QueryEscape(g.ID)
		if strings.Contains(occ.WebLink, masterItem) {
			occ.WebLink = strings.Replace(occ.WebLink, masterItem, occItem, 1)
		} else {
			occ.WebLink = ""
		}
		return &occ, nil
	}
	full, err := c.getGraphEvent(ctx, acct, calendarID, g.ID)
	if errors.Is(err, calendar.ErrNotFound) {
		return nil, nil
	}
	return full, err
}
