package googletest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Calendar scopes, by what they allow (Calendar API reference,
// "Authorization" of each method).
var (
	calCalendarsRead  = []string{"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.readonly"}
	calCalendarsWrite = []string{"https://www.googleapis.com/auth/calendar"}
	calEventsRead     = []string{"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.events",
		"https://www.googleapis.com/auth/calendar.events.readonly", "https://www.googleapis.com/auth/calendar.readonly"}
	calEventsWrite = []string{"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.events"}
	calFreeBusy    = []string{"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.readonly",
		"https://www.googleapis.com/auth/calendar.events.freebusy", "https://www.googleapis.com/auth/calendar.freebusy"}
)

func (api *calendarAPI) routes() {
	const c, e = "/calendar/v3/calendars/{calendarId}", "/calendar/v3/calendars/{calendarId}/events"
	m := api.mux
	m.HandleFunc("GET /calendar/v3/users/me/calendarList", api.handleCalendarListList)
	m.HandleFunc("GET /calendar/v3/users/me/calendarList/{calendarId}", api.handleCalendarListGet)
	m.HandleFunc("POST /calendar/v3/calendars", api.handleCalendarsInsert)
	m.HandleFunc("GET "+c, api.handleCalendarsGet)
	m.HandleFunc("PATCH "+c, api.handleCalendarsWrite)
	m.HandleFunc("PUT "+c, api.handleCalendarsWrite)
	m.HandleFunc("DELETE "+c, api.handleCalendarsDelete)
	m.HandleFunc("GET "+e, api.handleEventsList)
	m.HandleFunc("POST "+e, api.handleEventsInsert)
	m.HandleFunc("GET "+e+"/{eventId}", api.handleEventsGet)
	m.HandleFunc("PATCH "+e+"/{eventId}", api.handleEventsWrite)
	m.HandleFunc("PUT "+e+"/{eventId}", api.handleEventsWrite)
	m.HandleFunc("DELETE "+e+"/{eventId}", api.handleEventsDelete)
	m.HandleFunc("GET "+e+"/{eventId}/instances", api.handleEventsInstances)
	m.HandleFunc("POST /calendar/v3/freeBusy", api.handleFreeBusy)
}

// calAnswer is a handler's answer, computed under Server.mu and written
// after.
type calAnswer struct {
	status int
	body   any
	err    *calErr
}

// serve authorizes the request, runs fn with Server.mu held and the
// principal's store, and writes its answer.
func (api *calendarAPI) serve(w http.ResponseWriter, r *http.Request, scopes []string, fn func(st *calStore) calAnswer) {
	api.serveBody(w, r, scopes, nil, nil, fn)
}

// serveBody is serve for a request with a JSON body, read into v (and
// its top-level members into raw, when not nil) once authorized.
func (api *calendarAPI) serveBody(w http.ResponseWriter, r *http.Request, scopes []string, v any, raw *map[string]json.RawMessage,
	fn func(st *calStore) calAnswer) {
	p, ok := api.s.Authorize(w, r, scopes...)
	if !ok {
		return
	}
	if v != nil {
		if cerr := calDecodeBody(w, r, v, raw); cerr != nil {
			writeCalError(w, cerr)
			return
		}
	}
	api.s.mu.Lock()
	a := fn(api.principalStoreLocked(p))
	api.s.mu.Unlock()
	switch {
	case a.err != nil:
		writeCalError(w, a.err)
	case a.body == nil:
		w.WriteHeader(a.status)
	default:
		writeJSON(w, a.status, a.body)
	}
}

func fail(e *calErr) calAnswer { return calAnswer{err: e} }

func ok(body any) calAnswer { return calAnswer{status: http.StatusOK, body: body} }

// calDecodeBody reads a JSON request body into v and, when raw is not nil,
// its top-level members.
func calDecodeBody(w http.ResponseWriter, r *http.Request, v any, raw *map[string]json.RawMessage) *calErr {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	parseErr := &calErr{code: http.StatusBadRequest, reason: "parseError", msg: "Parse Error"}
	if err != nil || !json.Valid(b) {
		return parseErr
	}
	if raw != nil {
		if err := json.Unmarshal(b, raw); err != nil || *raw == nil {
			return parseErr
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errInvalid("Invalid value.")
	}
	return nil
}

// ifMatch checks the If-Match header against an etag.
func ifMatch(r *http.Request, etag string) *calErr {
	want := r.Header.Get("If-Match")
	if want == "" || want == "*" || want == etag || strings.TrimPrefix(want, "W/") == etag {
		return nil
	}
	return &calErr{code: http.StatusPreconditionFailed, reason: "conditionNotMet", msg: "Precondition Failed",
		locationType: "header", locName: "If-Match"}
}

// queryInt reads a positive integer parameter, clamped to max.
func queryInt(r *http.Request, name string, def, max int) (int, *calErr) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errInvalid(fmt.Sprintf("Invalid value '%s'. Values must be within the range: [1, %d]", v, max))
	}
	return min(n, max), nil
}

// queryTime reads an RFC 3339 timestamp with a mandatory offset.
func queryTime(r *http.Request, name string) (time.Time, *calErr) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errBadRequest()
	}
	return t.Truncate(time.Second), nil
}

// queryZone reads the timeZone parameter.
func queryZone(r *http.Request) (*time.Location, *calErr) {
	v := r.URL.Query().Get("timeZone")
	if v == "" {
		return nil, nil
	}
	loc, ok := loadZone(v)
	if !ok {
		return nil, errInvalid("Invalid time zone definition.")
	}
	return loc, nil
}

// Tokens: opaque base64 to clients. A sync token names what it
// synchronizes, the change number it was issued at and the epoch
// (ExpireSyncTokens); a page token its offset and the change number of
// the listing's first page.
func syncToken(what string, seq uint64, epoch int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s\x00%d\x00%d", what, seq, epoch))
}

func (api *calendarAPI) readSyncToken(tok, what string) (uint64, *calErr) {
	b, err := base64.StdEncoding.DecodeString(tok)
	parts := strings.Split(string(b), "\x00")
	gone := &calErr{code: http.StatusGone, domain: "calendar", reason: "fullSyncRequired",
		msg: "Sync token is no longer valid, a full sync is required.", locationType: "parameter", locName: "syncToken"}
	if err != nil || len(parts) != 3 || parts[0] != what || parts[2] != strconv.Itoa(api.epoch) {
		return 0, gone
	}
	seq, err := strconv.ParseUint(parts[1], 10, 64)
	if err != nil {
		return 0, gone
	}
	return seq, nil
}

func pageTokenOf(kind string, offset int, seq uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s:%d:%d", kind, offset, seq))
}

func readPageTokenOf(r *http.Request, kind string, seq uint64) (int, uint64, *calErr) {
	t := r.URL.Query().Get("pageToken")
	if t == "" {
		return 0, seq, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	parts := strings.Split(string(b), ":")
	if err != nil || len(parts) != 3 || parts[0] != kind {
		return 0, 0, errInvalid("Invalid page token value.")
	}
	off, err1 := strconv.Atoi(parts[1])
	s, err2 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil || off < 0 {
		return 0, 0, errInvalid("Invalid page token value.")
	}
	return off, s, nil
}

func listETag(seq uint64) string { return fmt.Sprintf(`"p%x"`, 0x33a0000000+seq) }

// calendarJSON is the Calendar resource.
func calendarJSON(c *calEntry) map[string]any {
	m := map[string]any{"kind": "calendar#calendar", "etag": c.cal.ETag, "id": c.cal.ID, "summary": c.cal.Summary,
		"timeZone": c.cal.TimeZone}
	if c.cal.Description != "" {
		m["description"] = c.cal.Description
	}
	if c.cal.Location != "" {
		m["location"] = c.cal.Location
	}
	if c.cal.ConferenceProperties != nil {
		m["conferenceProperties"] = c.cal.ConferenceProperties
	}
	return m
}

// calendarListEntryJSON is the CalendarListEntry resource.
func calendarListEntryJSON(c *calEntry) map[string]any {
	if c.deleted {
		return map[string]any{"kind": "calendar#calendarListEntry", "etag": c.cal.ETag, "id": c.cal.ID, "deleted": true}
	}
	m := calendarJSON(c)
	m["kind"] = "calendar#calendarListEntry"
	m["accessRole"] = "owner"
	m["defaultReminders"] = append([]EventReminder{}, c.cal.DefaultReminders...)
	for k, v := range map[string]string{"summaryOverride": c.cal.SummaryOverride, "colorId": c.cal.ColorID,
		"backgroundColor": c.cal.BackgroundColor, "foregroundColor": c.cal.ForegroundColor} {
		if v != "" {
			m[k] = v
		}
	}
	if c.cal.Selected {
		m["selected"] = true
	}
	if c.cal.Hidden {
		m["hidden"] = true
	}
	if c.cal.Primary {
		m["primary"] = true
		var ns []map[string]string
		for _, t := range []string{"eventCreation", "eventChange", "eventCancellation", "eventResponse"} {
			ns = append(ns, map[string]string{"type": t, "method": "email"})
		}
		m["notificationSettings"] = map[string]any{"notifications": ns}
	}
	return m
}

var accessRoles = []string{"freeBusyReader", "reader", "writer", "owner"}

// handleCalendarListList is calendarList.list: the user's calendars
// (every one is the user's own, accessRole owner), paging, showDeleted,
// showHidden, minAccessRole and incremental sync.
func (api *calendarAPI) handleCalendarListList(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calCalendarsRead, func(st *calStore) calAnswer {
		q := r.URL.Query()
		limit, cerr := queryInt(r, "maxResults", 100, 250)
		if cerr != nil {
			return fail(cerr)
		}
		if mar := q.Get("minAccessRole"); mar != "" && !slices.Contains(accessRoles, mar) {
			return fail(errInvalid("Invalid value for: minAccessRole"))
		}
		showDeleted, showHidden := queryBool(r, "showDeleted"), queryBool(r, "showHidden")
		var since uint64
		sync := q.Get("syncToken") != ""
		if sync {
			if q.Get("minAccessRole") != "" {
				return fail(errInvalid("The minAccessRole parameter cannot be used with a sync token."))
			}
			if since, cerr = api.readSyncToken(q.Get("syncToken"), "calendarList"); cerr != nil {
				return fail(cerr)
			}
			showDeleted, showHidden = true, true
		}
		offset, snap, cerr := readPageTokenOf(r, "l", st.seq)
		if cerr != nil {
			return fail(cerr)
		}
		var items []any
		for _, c := range st.cals {
			if (c.deleted && !showDeleted) || (c.cal.Hidden && !showHidden) || (sync && c.changed <= since) {
				continue
			}
			items = append(items, calendarListEntryJSON(c))
		}
		out := map[string]any{"kind": "calendar#calendarList", "etag": listETag(st.seq)}
		page(out, items, offset, limit, func(next int) string { return pageTokenOf("l", next, snap) },
			syncToken("calendarList", snap, api.epoch))
		return ok(out)
	})
}

// page puts one page of items into a list answer, with nextPageToken,
// or nextSyncToken on the last page (when sync is not "").
func page(out map[string]any, items []any, offset, limit int, next func(int) string, sync string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	out["items"] = append([]any{}, items[offset:end]...)
	if end < len(items) {
		out["nextPageToken"] = next(end)
	} else if sync != "" {
		out["nextSyncToken"] = sync
	}
}

// handleCalendarListGet is calendarList.get.
func (api *calendarAPI) handleCalendarListGet(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calCalendarsRead, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		return ok(calendarListEntryJSON(c))
	})
}

// calendarBody is what calendars.insert, patch and update accept.
type calendarBody struct {
	Summary              string                `json:"summary"`
	Description          string                `json:"description"`
	Location             string                `json:"location"`
	TimeZone             string                `json:"timeZone"`
	ConferenceProperties *ConferenceProperties `json:"conferenceProperties"`
}

// handleCalendarsInsert is calendars.insert: a new secondary calendar.
func (api *calendarAPI) handleCalendarsInsert(w http.ResponseWriter, r *http.Request) {
	var body calendarBody
	api.serveBody(w, r, calCalendarsWrite, &body, nil, func(st *calStore) calAnswer {
		c, cerr := st.addCalendarLocked(Calendar{Summary: body.Summary, Description: body.Description, Location: body.Location,
			TimeZone: body.TimeZone, ConferenceProperties: body.ConferenceProperties}, api.s.opts.Now())
		if cerr != nil {
			return fail(cerr)
		}
		return ok(calendarJSON(c))
	})
}

// handleCalendarsGet is calendars.get.
func (api *calendarAPI) handleCalendarsGet(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calCalendarsRead, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		return ok(calendarJSON(c))
	})
}

// handleCalendarsWrite is calendars.patch (the fields sent) and
// calendars.update (every field; summary required).
func (api *calendarAPI) handleCalendarsWrite(w http.ResponseWriter, r *http.Request) {
	var body calendarBody
	var raw map[string]json.RawMessage
	api.serveBody(w, r, calCalendarsWrite, &body, &raw, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		if cerr := ifMatch(r, c.cal.ETag); cerr != nil {
			return fail(cerr)
		}
		next := c.cal
		put := r.Method == http.MethodPut
		set := func(name string, dst *string, v string) {
			if _, sent := raw[name]; sent || put {
				*dst = v
			}
		}
		set("summary", &next.Summary, body.Summary)
		set("description", &next.Description, body.Description)
		set("location", &next.Location, body.Location)
		if _, sent := raw["timeZone"]; sent || (put && body.TimeZone != "") {
			next.TimeZone = body.TimeZone
		}
		if _, sent := raw["conferenceProperties"]; sent || put {
			next.ConferenceProperties = body.ConferenceProperties
		}
		if strings.TrimSpace(next.Summary) == "" {
			return fail(errRequired("Missing title."))
		}
		loc, ok := loadZone(next.TimeZone)
		if !ok {
			return fail(errInvalid("Invalid time zone definition."))
		}
		c.cal, c.loc = next, loc
		st.touchCalendar(c, api.s.opts.Now())
		return calAnswer{status: http.StatusOK, body: calendarJSON(c)}
	})
}

// handleCalendarsDelete is calendars.delete: a secondary calendar and
// its events (403 cannotDeletePrimaryCalendar for the primary).
func (api *calendarAPI) handleCalendarsDelete(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calCalendarsWrite, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		if c.cal.Primary {
			return fail(&calErr{code: http.StatusForbidden, reason: "cannotDeletePrimaryCalendar", msg: "Cannot delete primary calendar."})
		}
		if cerr := ifMatch(r, c.cal.ETag); cerr != nil {
			return fail(cerr)
		}
		c.deleted = true
		c.events, c.order = map[string]*Event{}, nil
		st.touchCalendar(c, api.s.opts.Now())
		return calAnswer{status: http.StatusNoContent}
	})
}

// eventQuery is an events.list (or instances) request.
type eventQuery struct {
	timeMin, timeMax, updatedMin time.Time
	single, showDeleted          bool
	orderBy, iCalUID             string
	terms                        []string
	eventTypes                   []string
	private, shared              []string
	sync                         bool
	since                        uint64
	render                       renderOpts
}

// readEventQuery reads events.list's parameters.
func (api *calendarAPI) readEventQuery(r *http.Request) (eventQuery, *calErr) {
	q := r.URL.Query()
	var eq eventQuery
	var cerr *calErr
	if eq.timeMin, cerr = queryTime(r, "timeMin"); cerr != nil {
		return eq, cerr
	}
	if eq.timeMax, cerr = queryTime(r, "timeMax"); cerr != nil {
		return eq, cerr
	}
	if eq.updatedMin, cerr = queryTime(r, "updatedMin"); cerr != nil {
		return eq, cerr
	}
	if !eq.timeMin.IsZero() && !eq.timeMax.IsZero() && !eq.timeMin.Before(eq.timeMax) {
		return eq, errTimeRangeEmpty("timeMax")
	}
	if eq.render.tz, cerr = queryZone(r); cerr != nil {
		return eq, cerr
	}
	if q.Get("maxAttendees") != "" {
		if eq.render.maxAttendees, cerr = queryInt(r, "maxAttendees", 0, 1<<31-1); cerr != nil {
			return eq, cerr
		}
	}
	eq.single, eq.showDeleted = queryBool(r, "singleEvents"), queryBool(r, "showDeleted")
	eq.orderBy, eq.iCalUID = q.Get("orderBy"), q.Get("iCalUID")
	switch eq.orderBy {
	case "", "updated":
	case "startTime":
		if !eq.single {
			return eq, &calErr{code: http.StatusBadRequest, reason: "badRequest",
				msg: "The requested ordering is not available for the particular query."}
		}
	default:
		return eq, errInvalid("Invalid value for: orderBy")
	}
	eq.terms = strings.Fields(strings.ToLower(q.Get("q")))
	eq.eventTypes = q["eventTypes"]
	for _, t := range eq.eventTypes {
		if !slices.Contains(validEventTypes, t) {
			return eq, errInvalid("Invalid event type: " + t)
		}
	}
	if len(eq.eventTypes) == 0 {
		eq.eventTypes = []string{"default", "focusTime", "outOfOffice"}
	}
	eq.private, eq.shared = q["privateExtendedProperty"], q["sharedExtendedProperty"]
	if tok := q.Get("syncToken"); tok != "" {
		for _, p := range []string{"iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"} {
			if q.Has(p) {
				return eq, errInvalid("Sync token cannot be used with the " + p + " parameter.")
			}
		}
		eq.sync = true
	}
	return eq, nil
}

// match applies the content filters (q, iCalUID, eventTypes, extended
// properties, updatedMin).
func (eq *eventQuery) match(e *Event) bool {
	if eq.iCalUID != "" && e.ICalUID != eq.iCalUID {
		return false
	}
	if !slices.Contains(eq.eventTypes, e.EventType) {
		return false
	}
	if !eq.updatedMin.IsZero() && e.Updated.Before(eq.updatedMin) {
		return false
	}
	props := func(want []string, have map[string]string) bool {
		for _, kv := range want {
			k, v, _ := strings.Cut(kv, "=")
			if got, ok := have[k]; !ok || got != v {
				return false
			}
		}
		return true
	}
	var priv, shared map[string]string
	if e.ExtendedProperties != nil {
		priv, shared = e.ExtendedProperties.Private, e.ExtendedProperties.Shared
	}
	if !props(eq.private, priv) || !props(eq.shared, shared) {
		return false
	}
	if len(eq.terms) > 0 {
		hay := []string{e.Summary, e.Description, e.Location}
		for _, a := range e.Attendees {
			hay = append(hay, a.DisplayName, a.Email)
		}
		if e.Organizer != nil {
			hay = append(hay, e.Organizer.DisplayName, e.Organizer.Email)
		}
		text := strings.ToLower(strings.Join(hay, "\n"))
		for _, t := range eq.terms {
			if !strings.Contains(text, t) {
				return false
			}
		}
	}
	return true
}

// listItem is one event of a listing and how to render it.
type listItem struct {
	e       *Event
	start   time.Time
	minimal bool
}

// collectLocked gathers the events of a listing in a stable order:
// stored order, a series' instances in time order at its place.
// Exceptions are listed at their own place (also when moved into the
// window from outside).
func (c *calEntry) collectLocked(eq eventQuery) []listItem {
	var items []listItem
	seen := map[string]bool{}
	add := func(e *Event, minimal bool) {
		if seen[e.ID] || !eq.match(e) {
			return
		}
		seen[e.ID] = true
		s, _ := c.spanOf(e)
		items = append(items, listItem{e: e, start: s, minimal: minimal})
	}
	// A cancelled event is listed with showDeleted, updatedMin or a sync
	// token; without showDeleted only its id (and series) is given.
	deletedShown := eq.showDeleted || eq.sync || !eq.updatedMin.IsZero()
	inWindow := func(e *Event) bool {
		s, en := c.spanOf(e)
		return eq.sync || overlaps(s, en, eq.timeMin, eq.timeMax)
	}
	for _, id := range c.order {
		e := c.events[id]
		cancelled := e.Status == "cancelled"
		if eq.sync && e.changed <= eq.since {
			continue
		}
		switch {
		case e.RecurringEventID != "": // an exception
			// Cancelled instances are listed without showDeleted when
			// singleEvents is false too, as Google documents.
			if cancelled && eq.single && !deletedShown {
				continue
			}
			if inWindow(e) {
				add(e, cancelled && !eq.showDeleted)
			}
		case len(e.Recurrence) > 0: // a series
			if cancelled {
				if deletedShown && (!eq.single || eq.sync) {
					add(e, !eq.showDeleted)
				}
				continue
			}
			sr, cerr := parseSeries(e, c.loc)
			if cerr != nil {
				continue
			}
			if !eq.single {
				if eq.sync || len(sr.starts(eq.timeMin, eq.timeMax, 1)) > 0 {
					add(e, false)
				}
				continue
			}
			for _, orig := range sr.starts(eq.timeMin, eq.timeMax, calMaxInstances) {
				in := sr.instance(e, orig)
				if c.events[in.ID] == nil { // exceptions are listed at their own place
					add(in, false)
				}
			}
		default: // a single event
			if cancelled && !deletedShown {
				continue
			}
			if inWindow(e) {
				add(e, cancelled && !eq.showDeleted)
			}
		}
	}
	switch eq.orderBy {
	case "startTime":
		sort.SliceStable(items, func(i, j int) bool { return items[i].start.Before(items[j].start) })
	case "updated":
		sort.SliceStable(items, func(i, j int) bool {
			a, b := items[i].e, items[j].e
			if !a.Updated.Equal(b.Updated) {
				return a.Updated.Before(b.Updated)
			}
			return a.changed < b.changed
		})
	}
	return items
}

// eventsListJSON is an Events answer around its items.
func (c *calEntry) eventsListJSON(st *calStore) map[string]any {
	out := map[string]any{"kind": "calendar#events", "etag": listETag(st.seq), "summary": c.cal.Summary,
		"updated": stamp(c.lastUpdate()), "timeZone": c.cal.TimeZone, "accessRole": "owner"}
	if c.cal.Description != "" {
		out["description"] = c.cal.Description
	}
	rem := c.cal.DefaultReminders
	if rem == nil {
		rem = []EventReminder{}
	}
	out["defaultReminders"] = rem
	return out
}

func (c *calEntry) lastUpdate() time.Time {
	t := c.updated
	for _, e := range c.events {
		if e.Updated.After(t) {
			t = e.Updated
		}
	}
	return t
}

// handleEventsList is events.list.
func (api *calendarAPI) handleEventsList(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calEventsRead, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		eq, cerr := api.readEventQuery(r)
		if cerr != nil {
			return fail(cerr)
		}
		limit, cerr := queryInt(r, "maxResults", 250, 2500)
		if cerr != nil {
			return fail(cerr)
		}
		if eq.sync {
			if eq.since, cerr = api.readSyncToken(r.URL.Query().Get("syncToken"), "events\x01"+c.cal.ID); cerr != nil {
				return fail(cerr)
			}
		}
		offset, snap, cerr := readPageTokenOf(r, "e", st.seq)
		if cerr != nil {
			return fail(cerr)
		}
		var items []any
		for _, it := range c.collectLocked(eq) {
			items = append(items, c.render(it.e, eq.render, it.minimal))
		}
		out := c.eventsListJSON(st)
		sync := syncToken("events\x01"+c.cal.ID, snap, api.epoch)
		if eq.orderBy != "" {
			sync = "" // Google issues no sync token for an ordered listing
		}
		page(out, items, offset, limit, func(next int) string { return pageTokenOf("e", next, snap) }, sync)
		return ok(out)
	})
}

// resolved is an event id looked up on a calendar: a stored event, or
// an occurrence of a series that has no exception yet.
type resolved struct {
	stored *Event
	master *Event
	sr     *series
	orig   time.Time
}

// event returns the stored or materialized event.
func (rv resolved) event() *Event {
	if rv.stored != nil {
		return rv.stored
	}
	return rv.sr.instance(rv.master, rv.orig)
}

// resolveLocked finds an event by id: stored, or an instance id
// "{series}_{original start}" of an occurrence of a stored series.
func (c *calEntry) resolveLocked(id string) (resolved, bool) {
	if e := c.events[id]; e != nil {
		return resolved{stored: e}, true
	}
	i := strings.LastIndexByte(id, '_')
	if i <= 0 {
		return resolved{}, false
	}
	master := c.events[id[:i]]
	if master == nil || len(master.Recurrence) == 0 {
		return resolved{}, false
	}
	sr, cerr := parseSeries(master, c.loc)
	if cerr != nil {
		return resolved{}, false
	}
	orig, ok := sr.parseSuffix(id[i+1:])
	if !ok || !sr.isOccurrence(orig) {
		return resolved{}, false
	}
	return resolved{master: master, sr: sr, orig: orig}, true
}

// handleEventsGet is events.get: cancelled events too, If-None-Match
// answered 304.
func (api *calendarAPI) handleEventsGet(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calEventsRead, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		tz, cerr := queryZone(r)
		if cerr != nil {
			return fail(cerr)
		}
		maxAtt, cerr := queryInt(r, "maxAttendees", 0, 1<<31-1)
		if cerr != nil {
			return fail(cerr)
		}
		rv, found := c.resolveLocked(r.PathValue("eventId"))
		if !found {
			return fail(errNotFound())
		}
		e := rv.event()
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == e.ETag {
			return calAnswer{status: http.StatusNotModified}
		}
		return ok(c.render(e, renderOpts{tz: tz, maxAttendees: maxAtt}, false))
	})
}

// conferenceVersion reads conferenceDataVersion (0 or 1).
func conferenceVersion(r *http.Request) (int, *calErr) {
	v := r.URL.Query().Get("conferenceDataVersion")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1 {
		return 0, errInvalid(fmt.Sprintf("Invalid value '%s'. Values must be within the range: [0, 1]", v))
	}
	return n, nil
}

// handleEventsInsert is events.insert: 200 with the event.
func (api *calendarAPI) handleEventsInsert(w http.ResponseWriter, r *http.Request) {
	var e Event
	api.serveBody(w, r, calEventsWrite, &e, nil, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		cv, cerr := conferenceVersion(r)
		if cerr != nil {
			return fail(cerr)
		}
		stored, cerr := st.insertEventLocked(c, &e, cv, false, api.s.opts.Now())
		if cerr != nil {
			return fail(cerr)
		}
		return ok(c.render(stored, renderOpts{}, false))
	})
}

// handleEventsWrite is events.patch (merge) and events.update
// (replace). On an instance id without an exception it stores one.
func (api *calendarAPI) handleEventsWrite(w http.ResponseWriter, r *http.Request) {
	var body Event
	var raw map[string]json.RawMessage
	api.serveBody(w, r, calEventsWrite, &body, &raw, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		cv, cerr := conferenceVersion(r)
		if cerr != nil {
			return fail(cerr)
		}
		rv, found := c.resolveLocked(r.PathValue("eventId"))
		if !found {
			return fail(errNotFound())
		}
		old := rv.event()
		if cerr := ifMatch(r, old.ETag); cerr != nil {
			return fail(cerr)
		}
		var next *Event
		if r.Method == http.MethodPatch {
			if next, cerr = mergeEvent(old, raw); cerr != nil {
				return fail(cerr)
			}
		} else {
			next = body.clone()
			next.Created, next.changed, next.ord = old.Created, old.changed, old.ord
		}
		now := api.s.opts.Now()
		var stored *Event
		if rv.stored != nil {
			stored, cerr = st.replaceEventLocked(c, old, next, cv, false, now)
		} else {
			next.Updated = time.Time{}
			stored, cerr = st.storeInstanceLocked(c, rv.master, old, next, cv, now)
		}
		if cerr != nil {
			return fail(cerr)
		}
		return ok(c.render(stored, renderOpts{}, false))
	})
}

// handleEventsDelete is events.delete: the event is cancelled (204); an
// already cancelled one answers 410 deleted. On a series it cancels the
// exceptions too; on an instance id it stores a cancelled exception.
func (api *calendarAPI) handleEventsDelete(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calEventsWrite, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		rv, found := c.resolveLocked(r.PathValue("eventId"))
		if !found {
			return fail(errNotFound())
		}
		old := rv.event()
		if old.Status == "cancelled" {
			return fail(&calErr{code: http.StatusGone, reason: "deleted", msg: "Resource has been deleted"})
		}
		if cerr := ifMatch(r, old.ETag); cerr != nil {
			return fail(cerr)
		}
		now := api.s.opts.Now()
		cancel := func(e *Event) {
			e.Status = "cancelled"
			e.Sequence++
			e.Updated = now
			st.commitLocked(c, e, false)
		}
		if rv.stored == nil {
			next := old.clone()
			next.Status, next.Updated = "cancelled", time.Time{}
			if _, cerr := st.storeInstanceLocked(c, rv.master, old, next, 0, now); cerr != nil {
				return fail(cerr)
			}
			return calAnswer{status: http.StatusNoContent}
		}
		cancel(old)
		if len(old.Recurrence) > 0 {
			for _, id := range c.order {
				if x := c.events[id]; x.RecurringEventID == old.ID && x.Status != "cancelled" {
					cancel(x)
				}
			}
		}
		return calAnswer{status: http.StatusNoContent}
	})
}

// handleEventsInstances is events.instances: the occurrences of a
// series, exceptions applied, in time order.
func (api *calendarAPI) handleEventsInstances(w http.ResponseWriter, r *http.Request) {
	api.serve(w, r, calEventsRead, func(st *calStore) calAnswer {
		c := st.calendarLocked(r.PathValue("calendarId"))
		if c == nil {
			return fail(errNotFound())
		}
		master := c.events[r.PathValue("eventId")]
		if master == nil {
			return fail(errNotFound())
		}
		var eq eventQuery
		var cerr *calErr
		if eq.timeMin, cerr = queryTime(r, "timeMin"); cerr != nil {
			return fail(cerr)
		}
		if eq.timeMax, cerr = queryTime(r, "timeMax"); cerr != nil {
			return fail(cerr)
		}
		if !eq.timeMin.IsZero() && !eq.timeMax.IsZero() && !eq.timeMin.Before(eq.timeMax) {
			return fail(errTimeRangeEmpty("timeMax"))
		}
		if eq.render.tz, cerr = queryZone(r); cerr != nil {
			return fail(cerr)
		}
		if eq.render.maxAttendees, cerr = queryInt(r, "maxAttendees", 0, 1<<31-1); cerr != nil {
			return fail(cerr)
		}
		limit, cerr := queryInt(r, "maxResults", 250, 2500)
		if cerr != nil {
			return fail(cerr)
		}
		offset, snap, cerr := readPageTokenOf(r, "i", st.seq)
		if cerr != nil {
			return fail(cerr)
		}
		showDeleted := queryBool(r, "showDeleted")
		var items []any
		if len(master.Recurrence) > 0 {
			sr, cerr := parseSeries(master, c.loc)
			if cerr != nil {
				return fail(cerr)
			}
			var origFilter time.Time
			if v := r.URL.Query().Get("originalStart"); v != "" {
				dt := &EventDateTime{DateTime: v}
				if sr.allDay {
					dt = &EventDateTime{Date: v}
				}
				t, cerr := sr.parseOriginal(dt)
				if cerr != nil {
					return fail(errBadRequest())
				}
				origFilter = t
			}
			for _, orig := range sr.starts(time.Time{}, eq.timeMax, calMaxInstances) {
				if !origFilter.IsZero() && !orig.Equal(origFilter) {
					continue
				}
				e := sr.instance(master, orig)
				if x := c.events[e.ID]; x != nil {
					e = x
				}
				s, en := c.spanOf(e)
				if !overlaps(s, en, eq.timeMin, eq.timeMax) {
					continue
				}
				if e.Status == "cancelled" && !showDeleted {
					continue
				}
				items = append(items, c.render(e, eq.render, false))
			}
		}
		out := c.eventsListJSON(st)
		page(out, items, offset, limit, func(next int) string { return pageTokenOf("i", next, snap) }, "")
		return ok(out)
	})
}

// freeBusyRequest is freebusy.query's body.
type freeBusyRequest struct {
	TimeMin  string `json:"timeMin"`
	TimeMax  string `json:"timeMax"`
	TimeZone string `json:"timeZone"`
	Items    []struct {
		ID string `json:"id"`
	} `json:"items"`
	GroupExpansionMax    int `json:"groupExpansionMax"`
	CalendarExpansionMax int `json:"calendarExpansionMax"`
}

// handleFreeBusy is freebusy.query: the busy periods of the user's own
// calendars; any other id answers errors [notFound].
func (api *calendarAPI) handleFreeBusy(w http.ResponseWriter, r *http.Request) {
	var req freeBusyRequest
	api.serveBody(w, r, calFreeBusy, &req, nil, func(st *calStore) calAnswer {
		if req.TimeMin == "" {
			return fail(errRequired("Missing timeMin parameter."))
		}
		if req.TimeMax == "" {
			return fail(errRequired("Missing timeMax parameter."))
		}
		lo, err1 := time.Parse(time.RFC3339, req.TimeMin)
		hi, err2 := time.Parse(time.RFC3339, req.TimeMax)
		if err1 != nil || err2 != nil {
			return fail(errBadRequest())
		}
		if !lo.Before(hi) {
			return fail(errTimeRangeEmpty("timeMax"))
		}
		if len(req.Items) > 50 {
			return fail(&calErr{code: http.StatusBadRequest, reason: "tooManyCalendarsRequested",
				msg: "The number of calendars requested is too large for a single query."})
		}
		loc := time.UTC
		if req.TimeZone != "" {
			l, ok := loadZone(req.TimeZone)
			if !ok {
				return fail(errInvalid("Invalid time zone definition."))
			}
			loc = l
		}
		cals := map[string]any{}
		for _, it := range req.Items {
			c := st.calendarLocked(it.ID)
			if c == nil {
				cals[it.ID] = map[string]any{"errors": []map[string]string{{"domain": "global", "reason": "notFound"}}, "busy": []any{}}
				continue
			}
			var busy []map[string]string
			for _, p := range c.busyLocked(lo, hi) {
				busy = append(busy, map[string]string{"start": p[0].In(loc).Format(time.RFC3339), "end": p[1].In(loc).Format(time.RFC3339)})
			}
			if busy == nil {
				busy = []map[string]string{}
			}
			cals[it.ID] = map[string]any{"busy": busy}
		}
		return ok(map[string]any{"kind": "calendar#freeBusy", "timeMin": lo.In(loc).Format("2006-01-02T15:04:05.000Z07:00"),
			"timeMax": hi.In(loc).Format("2006-01-02T15:04:05.000Z07:00"), "calendars": cals})
	})
}

// busyLocked returns the calendar's busy periods in [lo, hi): opaque,
// not cancelled events and instances the owner has not declined,
// clipped and merged.
func (c *calEntry) busyLocked(lo, hi time.Time) [][2]time.Time {
	eq := eventQuery{timeMin: lo, timeMax: hi, single: true, eventTypes: validEventTypes}
	var spans [][2]time.Time
	for _, it := range c.collectLocked(eq) {
		e := it.e
		if e.Status == "cancelled" || e.Transparency == "transparent" {
			continue
		}
		if slices.ContainsFunc(e.Attendees, func(a EventAttendee) bool { return a.Self && a.ResponseStatus == "declined" }) {
			continue
		}
		s, en := c.spanOf(e)
		s, en = maxTime(s, lo), minTime(en, hi)
		if s.Before(en) {
			spans = append(spans, [2]time.Time{s, en})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0].Before(spans[j][0]) })
	var merged [][2]time.Time
	for _, p := range spans {
		if n := len(merged); n > 0 && !p[0].After(merged[n-1][1]) {
			merged[n-1][1] = maxTime(merged[n-1][1], p[1])
			continue
		}
		merged = append(merged, p)
	}
	return merged
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
