package graphtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Server) calendarRoutes() {
	cs := &calendarStore{users: make(map[string]*userCalendars), deltas: make(map[string]*calDelta)}
	s.cal = cs
	h := s.mux.HandleFunc
	h("GET /v1.0/me/calendars", s.handleListCalendars)
	h("POST /v1.0/me/calendars", s.handleCreateCalendar)
	h("GET /v1.0/me/calendar", s.handleGetCalendar)
	h("GET /v1.0/me/calendars/{cid}", s.handleGetCalendar)
	h("PATCH /v1.0/me/calendars/{cid}", s.handlePatchCalendar)
	h("DELETE /v1.0/me/calendars/{cid}", s.handleDeleteCalendar)
	for _, base := range []string{"/v1.0/me", "/v1.0/me/calendar", "/v1.0/me/calendars/{cid}"} {
		h("GET "+base+"/events", s.handleListEvents)
		h("POST "+base+"/events", s.handleCreateEvent)
		h("GET "+base+"/events/{id}", s.handleGetEvent)
		h("PATCH "+base+"/events/{id}", s.handlePatchEvent)
		h("DELETE "+base+"/events/{id}", s.handleDeleteEvent)
		for _, action := range []string{"accept", "decline", "tentativelyAccept"} {
			h("POST "+base+"/events/{id}/"+action, s.respondHandler(action))
		}
		h("GET "+base+"/calendarView", s.handleCalendarView)
		h("GET "+base+"/calendarView/delta", s.handleCalendarDelta)
	}
	h("GET /v1.0/me/events/{id}/instances", s.handleInstances)
	h("POST /v1.0/me/calendar/getSchedule", s.handleGetSchedule)
}

var (
	calendarReadScopes  = []string{"Calendars.Read", "Calendars.ReadWrite", "Calendars.Read.Shared", "Calendars.ReadWrite.Shared"}
	calendarWriteScopes = []string{"Calendars.ReadWrite", "Calendars.ReadWrite.Shared"}
)

// calendarCaller authenticates a calendar request: a delegated token with
// a read (or, for write, a read-write) calendar permission.
func (s *Server) calendarCaller(w http.ResponseWriter, r *http.Request, write bool) (User, *calendarStore, bool) {
	scopes := calendarReadScopes
	if write {
		scopes = calendarWriteScopes
	}
	c, ok := s.mailCaller(w, r, scopes...)
	if !ok {
		return User{}, nil, false
	}
	cs := s.calStore()
	if cs == nil {
		WriteError(w, r, http.StatusInternalServerError, "generalException", "The calendar store is missing.")
		return User{}, nil, false
	}
	return *c.User, cs, true
}

func notFound() *graphErr {
	return &graphErr{status: http.StatusNotFound, code: "ErrorItemNotFound", message: "The specified object was not found in the store."}
}

func badJSON() *graphErr {
	return badRequest("BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
}

// calendarOf is the calendar a request path names ({cid}, or the default
// calendar).
func calendarOf(uc *userCalendars, r *http.Request) (*Calendar, *graphErr) {
	cid := r.PathValue("cid")
	if cid == "" {
		return uc.calendars[0], nil
	}
	if c := uc.calendar(cid); c != nil {
		return c, nil
	}
	return nil, notFound()
}

func pageParams(q url.Values) (top, skip int, ge *graphErr) {
	top = 10
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, badRequest("BadRequest", "Invalid $top value.")
		}
		top = n
	}
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, badRequest("BadRequest", "Invalid $skip value.")
		}
		skip = n
	}
	return top, skip, nil
}

// pageOf writes one page of a collection with @odata.nextLink ($skip).
func (s *Server) pageOf(r *http.Request, context string, all []map[string]any, top, skip int) map[string]any {
	page := []map[string]any{}
	for i := skip; i < len(all) && i < skip+top; i++ {
		page = append(page, all[i])
	}
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#" + context, "value": page}
	if skip+top < len(all) {
		next := cloneValues(r.URL.Query())
		next.Set("$skip", strconv.Itoa(skip+top))
		next.Set("$top", strconv.Itoa(top))
		out["@odata.nextLink"] = s.srv.URL + r.URL.Path + "?" + next.Encode()
	}
	return out
}

// --- calendars ---

func (s *Server) handleListCalendars(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	top, skip, ge := pageParams(r.URL.Query())
	if ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	var all []map[string]any
	for _, c := range s.calendarsLocked(cs, u).calendars {
		all = append(all, calendarJSON(c))
	}
	s.mu.Unlock()
	writeGraphJSON(w, r, http.StatusOK, s.pageOf(r, "users('"+u.ObjectID+"')/calendars", all, top, skip))
}

func (s *Server) handleGetCalendar(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	s.mu.Lock()
	c, ge := calendarOf(s.calendarsLocked(cs, u), r)
	var out map[string]any
	if ge == nil {
		out = calendarJSON(c)
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + u.ObjectID + "')/calendars/$entity"
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

type calendarInput struct {
	Name     *string `json:"name"`
	Color    *string `json:"color"`
	HexColor *string `json:"hexColor"`
}

func folderExists() *graphErr {
	return &graphErr{status: http.StatusConflict, code: "ErrorFolderExists", message: "A folder with the specified name already exists."}
}

// applyCalendarInput changes c; taken reports a name in use elsewhere.
func applyCalendarInput(c *Calendar, in calendarInput, taken func(string) bool) *graphErr {
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return validationFailure()
		}
		if taken(*in.Name) {
			return folderExists()
		}
		c.Name = *in.Name
	}
	if in.Color != nil {
		color, ge := checkEnum(*in.Color, calendarColorValues)
		if ge != nil {
			return ge
		}
		c.Color = color
	}
	if in.HexColor != nil {
		c.HexColor = *in.HexColor
	}
	return nil
}

func nameTaken(uc *userCalendars, self *Calendar) func(string) bool {
	return func(name string) bool {
		for _, o := range uc.calendars {
			if o != self && strings.EqualFold(o.Name, name) {
				return true
			}
		}
		return false
	}
}

func (s *Server) handleCreateCalendar(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, true)
	if !ok {
		return
	}
	var in calendarInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		badJSON().write(w, r)
		return
	}
	if in.Name == nil {
		validationFailure().write(w, r)
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	c := &Calendar{ID: newGraphID("AAMkAGCal")}
	ge := applyCalendarInput(c, in, nameTaken(uc, c))
	var out map[string]any
	if ge == nil {
		fillCalendar(c, u)
		uc.calendars = append(uc.calendars, c)
		out = calendarJSON(c)
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + u.ObjectID + "')/calendars/$entity"
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeGraphJSON(w, r, http.StatusCreated, out)
}

func (s *Server) handlePatchCalendar(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, true)
	if !ok {
		return
	}
	var in calendarInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		badJSON().write(w, r)
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	c, ge := calendarOf(uc, r)
	var out map[string]any
	if ge == nil {
		next := cloneCalendar(*c)
		if ge = applyCalendarInput(&next, in, nameTaken(uc, c)); ge == nil {
			next.changeKey = newChangeKey()
			*c = next
			out = calendarJSON(c)
		}
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

func (s *Server) handleDeleteCalendar(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, true)
	if !ok {
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	c, ge := calendarOf(uc, r)
	if ge == nil && c.IsDefault {
		ge = badRequest("ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted.")
	}
	if ge == nil {
		for id, ce := range uc.events {
			if ce.ev.CalendarID == c.ID {
				s.notifyEvent(u.ObjectID, &ce.ev, "deleted")
				delete(uc.events, id)
			}
		}
		for i, o := range uc.calendars {
			if o == c {
				uc.calendars = append(uc.calendars[:i], uc.calendars[i+1:]...)
				break
			}
		}
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- events ---

// eventRef is an event a request names: a stored single event or series
// master, or an occurrence or exception of a stored series.
type eventRef struct {
	ce            *calEvent
	originalStart time.Time // zero for the stored event itself
	ev            Event     // its current state
}

func (uc *userCalendars) lookup(id string) (eventRef, bool) {
	if ce := uc.events[id]; ce != nil {
		return eventRef{ce: ce, ev: ce.ev}, true
	}
	if mid, start, ok := parseOccurrenceID(id); ok {
		if ce := uc.events[mid]; ce != nil && ce.ev.Recurrence != nil {
			if ev, ok := ce.instanceAt(start); ok {
				return eventRef{ce: ce, originalStart: start, ev: ev}, true
			}
		}
	}
	return eventRef{}, false
}

// store saves ev as the stored event or as an exception of its series.
func (ref eventRef) store(ev Event) {
	if ref.originalStart.IsZero() {
		ref.ce.ev = ev
		return
	}
	ev.Type = "exception"
	ref.ce.setOverride(ref.originalStart, &occOverride{ev: ev})
}

// ifMatch checks If-Match against the event's @odata.etag.
func ifMatch(r *http.Request, e *Event) *graphErr {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil
	}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		if tag == etagOf(e) || tag == `"`+e.changeKey+`"` {
			return nil
		}
	}
	return &graphErr{status: http.StatusPreconditionFailed, code: "ErrorIrresolvableConflict",
		message: "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."}
}

type dateTimeTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type jsonAddress struct {
	Street          string `json:"street"`
	City            string `json:"city"`
	State           string `json:"state"`
	CountryOrRegion string `json:"countryOrRegion"`
	PostalCode      string `json:"postalCode"`
}

type jsonLocation struct {
	DisplayName  string       `json:"displayName"`
	LocationType string       `json:"locationType"`
	Address      *jsonAddress `json:"address"`
}

func (l jsonLocation) location() Location {
	out := Location{DisplayName: l.DisplayName, LocationType: l.LocationType}
	if out.LocationType == "" {
		out.LocationType = "default"
	}
	if a := l.Address; a != nil && *a != (jsonAddress{}) {
		out.Address = &PhysicalAddress{Street: a.Street, City: a.City, State: a.State, CountryOrRegion: a.CountryOrRegion, PostalCode: a.PostalCode}
	}
	return out
}

type jsonAttendee struct {
	Type         string `json:"type"`
	EmailAddress struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

type jsonRecurrence struct {
	Pattern *struct {
		Type           string   `json:"type"`
		Interval       int      `json:"interval"`
		Month          int      `json:"month"`
		DayOfMonth     int      `json:"dayOfMonth"`
		DaysOfWeek     []string `json:"daysOfWeek"`
		FirstDayOfWeek string   `json:"firstDayOfWeek"`
		Index          string   `json:"index"`
	} `json:"pattern"`
	Range *struct {
		Type                string `json:"type"`
		StartDate           string `json:"startDate"`
		EndDate             string `json:"endDate"`
		RecurrenceTimeZone  string `json:"recurrenceTimeZone"`
		NumberOfOccurrences int    `json:"numberOfOccurrences"`
	} `json:"range"`
}

// eventInput is the event resource of a create or update request.
type eventInput struct {
	Subject *string `json:"subject"`
	Body    *struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	Start                      *dateTimeTimeZone `json:"start"`
	End                        *dateTimeTimeZone `json:"end"`
	IsAllDay                   *bool             `json:"isAllDay"`
	Location                   *jsonLocation     `json:"location"`
	Locations                  *[]jsonLocation   `json:"locations"`
	Attendees                  *[]jsonAttendee   `json:"attendees"`
	Categories                 *[]string         `json:"categories"`
	Importance                 *string           `json:"importance"`
	Sensitivity                *string           `json:"sensitivity"`
	ShowAs                     *string           `json:"showAs"`
	IsReminderOn               *bool             `json:"isReminderOn"`
	ReminderMinutesBeforeStart *int              `json:"reminderMinutesBeforeStart"`
	ResponseRequested          *bool             `json:"responseRequested"`
	IsOnlineMeeting            *bool             `json:"isOnlineMeeting"`
	OnlineMeetingProvider      *string           `json:"onlineMeetingProvider"`
	Recurrence                 json.RawMessage   `json:"recurrence"`
}

func decodeEventInput(r *http.Request) (eventInput, *graphErr) {
	var in eventInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&in); err != nil {
		return in, badJSON()
	}
	return in, nil
}

// parseDateTimeTimeZone reads a dateTimeTimeZone (timeZone default UTC).
func parseDateTimeTimeZone(d *dateTimeTimeZone) (time.Time, string, *graphErr) {
	tz := d.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	loc, ok := loadZone(tz)
	if !ok {
		return time.Time{}, "", timeZoneNotSupported(tz)
	}
	t, ok := parseLocalDateTime(d.DateTime, loc)
	if !ok {
		return time.Time{}, "", validationFailure()
	}
	return t, tz, nil
}

// applyEventInput applies the properties a request names to e.
func applyEventInput(e *Event, in eventInput) *graphErr {
	if in.Subject != nil {
		e.Subject = *in.Subject
	}
	if in.Body != nil {
		ct := in.Body.ContentType
		if ct == "" {
			ct = "text"
		}
		ct, ge := checkEnum(ct, []string{"text", "html"})
		if ge != nil {
			return ge
		}
		e.Body, e.BodyIsHTML = in.Body.Content, ct == "html"
	}
	if in.Start != nil {
		t, tz, ge := parseDateTimeTimeZone(in.Start)
		if ge != nil {
			return ge
		}
		e.Start, e.TimeZone = t, tz
	}
	if in.End != nil {
		t, tz, ge := parseDateTimeTimeZone(in.End)
		if ge != nil {
			return ge
		}
		e.End, e.EndTimeZone = t, tz
	}
	if in.IsAllDay != nil {
		e.IsAllDay = *in.IsAllDay
	}
	if in.Location != nil {
		e.Location = in.Location.location()
		e.Locations = nil
		if e.Location.DisplayName != "" {
			e.Locations = []Location{e.Location}
		}
	}
	if in.Locations != nil {
		e.Locations = nil
		for _, l := range *in.Locations {
			e.Locations = append(e.Locations, l.location())
		}
		e.Location = Location{LocationType: "default"}
		if len(e.Locations) > 0 {
			e.Location = e.Locations[0]
		}
	}
	if in.Attendees != nil {
		var atts []Attendee
		for _, a := range *in.Attendees {
			typ := a.Type
			if typ == "" {
				typ = "required"
			}
			typ, ge := checkEnum(typ, attendeeTypeValues)
			if ge != nil {
				return ge
			}
			att := Attendee{Type: typ, Name: a.EmailAddress.Name, Address: a.EmailAddress.Address, Response: "none"}
			for _, old := range e.Attendees {
				if strings.EqualFold(old.Address, att.Address) {
					att.Response, att.ResponseTime = old.Response, old.ResponseTime
				}
			}
			atts = append(atts, att)
		}
		e.Attendees = atts
	}
	if in.Categories != nil {
		e.Categories = append([]string{}, *in.Categories...)
	}
	for _, f := range []struct {
		in     *string
		out    *string
		values []string
	}{{in.Importance, &e.Importance, importanceValues}, {in.Sensitivity, &e.Sensitivity, sensitivityValues},
		{in.ShowAs, &e.ShowAs, showAsValues}, {in.OnlineMeetingProvider, &e.OnlineMeetingProvider, providerValues}} {
		if f.in != nil {
			v, ge := checkEnum(*f.in, f.values)
			if ge != nil {
				return ge
			}
			*f.out = v
		}
	}
	if in.IsReminderOn != nil {
		e.IsReminderOn = *in.IsReminderOn
	}
	if in.ReminderMinutesBeforeStart != nil {
		e.ReminderMinutesBeforeStart = *in.ReminderMinutesBeforeStart
	}
	if in.ResponseRequested != nil {
		e.ResponseRequested = *in.ResponseRequested
	}
	if in.IsOnlineMeeting != nil {
		e.IsOnlineMeeting = *in.IsOnlineMeeting
	}
	return applyRecurrenceInput(e, in.Recurrence)
}

func applyRecurrenceInput(e *Event, raw json.RawMessage) *graphErr {
	if len(raw) == 0 {
		return nil
	}
	if string(raw) == "null" {
		e.Recurrence = nil
		return nil
	}
	var jr jsonRecurrence
	if err := json.Unmarshal(raw, &jr); err != nil {
		return badJSON()
	}
	if jr.Pattern == nil || jr.Range == nil || jr.Pattern.Interval < 1 {
		// interval is required in requests; seeded series default it to 1.
		return validationFailure()
	}
	p, rg := jr.Pattern, jr.Range
	typ, ge := checkEnum(p.Type, patternTypeValues)
	if ge != nil {
		return ge
	}
	rtyp, ge := checkEnum(rg.Type, rangeTypeValues)
	if ge != nil {
		return ge
	}
	rec := &Recurrence{
		Pattern: RecurrencePattern{Type: typ, Interval: p.Interval, Month: p.Month, DayOfMonth: p.DayOfMonth,
			FirstDayOfWeek: p.FirstDayOfWeek, Index: p.Index},
		Range: RecurrenceRange{Type: rtyp, StartDate: rg.StartDate, EndDate: rg.EndDate, RecurrenceTimeZone: rg.RecurrenceTimeZone,
			NumberOfOccurrences: rg.NumberOfOccurrences},
	}
	for _, d := range p.DaysOfWeek {
		day, ge := checkEnum(d, dayOfWeekValues)
		if ge != nil {
			return ge
		}
		rec.Pattern.DaysOfWeek = append(rec.Pattern.DaysOfWeek, day)
	}
	if rec.Pattern.FirstDayOfWeek != "" {
		if rec.Pattern.FirstDayOfWeek, ge = checkEnum(rec.Pattern.FirstDayOfWeek, dayOfWeekValues); ge != nil {
			return ge
		}
	}
	if rec.Pattern.Index != "" {
		if rec.Pattern.Index, ge = checkEnum(rec.Pattern.Index, weekIndexValues); ge != nil {
			return ge
		}
	}
	if rtyp != "endDate" {
		rec.Range.EndDate = ""
	}
	if rtyp != "numbered" {
		rec.Range.NumberOfOccurrences = 0
	}
	fillRecurrence(rec, e)
	e.Recurrence = rec
	return nil
}

// parseEventFilter supports the $filter clauses clients send for events:
// start/dateTime and end/dateTime comparisons, eq on subject, type,
// iCalUId, showAs, isAllDay, isCancelled, contains(subject,'..') and
// categories/any(c:c eq '..'), joined with and.
func parseEventFilter(f string) (func(*Event) bool, *graphErr) {
	invalid := badRequest("ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
	if strings.TrimSpace(f) == "" {
		return func(*Event) bool { return true }, nil
	}
	var preds []func(*Event) bool
	for _, clause := range splitAnd(f) {
		clause = strings.TrimSpace(clause)
		if rest, ok := strings.CutPrefix(clause, "contains(subject,"); ok && strings.HasSuffix(rest, ")") {
			v, ok := unquoteOData(strings.TrimSpace(strings.TrimSuffix(rest, ")")))
			if !ok {
				return nil, invalid
			}
			preds = append(preds, func(e *Event) bool { return strings.Contains(strings.ToLower(e.Subject), strings.ToLower(v)) })
			continue
		}
		if rest, ok := strings.CutPrefix(clause, "categories/any("); ok && strings.HasSuffix(rest, ")") {
			v, name, ok := strings.Cut(strings.TrimSuffix(rest, ")"), ":")
			lit, hasLit := strings.CutPrefix(strings.TrimSpace(name), strings.TrimSpace(v)+" eq ")
			cat, quoted := unquoteOData(strings.TrimSpace(lit))
			if !ok || !hasLit || !quoted {
				return nil, invalid
			}
			preds = append(preds, func(e *Event) bool {
				for _, c := range e.Categories {
					if strings.EqualFold(c, cat) {
						return true
					}
				}
				return false
			})
			continue
		}
		fields := strings.SplitN(clause, " ", 3)
		if len(fields) != 3 {
			return nil, invalid
		}
		prop, op, val := fields[0], strings.ToLower(fields[1]), fields[2]
		switch prop {
		case "start/dateTime", "end/dateTime":
			lit, ok := unquoteOData(val)
			if !ok {
				lit = val
			}
			t, ok := parseLocalDateTime(lit, time.UTC)
			if !ok {
				return nil, invalid
			}
			of := func(e *Event) time.Time { return e.Start }
			if prop == "end/dateTime" {
				of = func(e *Event) time.Time { return e.End }
			}
			cmp := map[string]func(a time.Time) bool{
				"ge": func(a time.Time) bool { return !a.Before(t) }, "gt": func(a time.Time) bool { return a.After(t) },
				"le": func(a time.Time) bool { return !a.After(t) }, "lt": func(a time.Time) bool { return a.Before(t) },
				"eq": func(a time.Time) bool { return a.Equal(t) },
			}[op]
			if cmp == nil {
				return nil, invalid
			}
			preds = append(preds, func(e *Event) bool { return cmp(of(e)) })
		case "subject", "type", "iCalUId", "showAs":
			v, ok := unquoteOData(val)
			if !ok || (op != "eq" && op != "ne") {
				return nil, invalid
			}
			get := map[string]func(*Event) string{
				"subject": func(e *Event) string { return e.Subject }, "type": func(e *Event) string { return e.Type },
				"iCalUId": func(e *Event) string { return e.ICalUID }, "showAs": func(e *Event) string { return e.ShowAs },
			}[prop]
			ne := op == "ne"
			preds = append(preds, func(e *Event) bool { return (get(e) == v) != ne })
		case "isAllDay", "isCancelled":
			if op != "eq" || (val != "true" && val != "false") {
				return nil, invalid
			}
			want := val == "true"
			if prop == "isAllDay" {
				preds = append(preds, func(e *Event) bool { return e.IsAllDay == want })
			} else {
				preds = append(preds, func(e *Event) bool { return e.IsCancelled == want })
			}
		default:
			return nil, invalid
		}
	}
	return func(e *Event) bool {
		for _, p := range preds {
			if !p(e) {
				return false
			}
		}
		return true
	}, nil
}

// sortEvents orders events by $orderby (start/dateTime, end/dateTime,
// createdDateTime, lastModifiedDateTime or subject, asc or desc); by start
// without it.
func sortEvents(es []Event, orderBy string) *graphErr {
	if orderBy == "" {
		sortByStart(es)
		return nil
	}
	prop, dir, _ := strings.Cut(strings.TrimSpace(orderBy), " ")
	desc := strings.EqualFold(strings.TrimSpace(dir), "desc")
	if d := strings.TrimSpace(dir); d != "" && !strings.EqualFold(d, "asc") && !desc {
		return badRequest("BadRequest", "Invalid $orderby direction '"+d+"'.")
	}
	var less func(a, b *Event) bool
	switch prop {
	case "start/dateTime":
		less = func(a, b *Event) bool { return a.Start.Before(b.Start) }
	case "end/dateTime":
		less = func(a, b *Event) bool { return a.End.Before(b.End) }
	case "createdDateTime":
		less = func(a, b *Event) bool { return a.CreatedAt.Before(b.CreatedAt) }
	case "lastModifiedDateTime":
		less = func(a, b *Event) bool { return a.lastModified.Before(b.lastModified) }
	case "subject":
		less = func(a, b *Event) bool { return a.Subject < b.Subject }
	default:
		return badRequest("BadRequest", "Could not find a property named '"+prop+"' on type 'microsoft.graph.event'.")
	}
	sort.SliceStable(es, func(i, j int) bool {
		if desc {
			return less(&es[j], &es[i])
		}
		return less(&es[i], &es[j])
	})
	return nil
}

// listQuery reads the $filter, $orderby, $top and $skip of a list.
type listQuery struct {
	match     func(*Event) bool
	orderBy   string
	top, skip int
}

func readListQuery(q url.Values) (listQuery, *graphErr) {
	lq := listQuery{orderBy: q.Get("$orderby")}
	var ge *graphErr
	if lq.top, lq.skip, ge = pageParams(q); ge != nil {
		return lq, ge
	}
	if lq.match, ge = parseEventFilter(q.Get("$filter")); ge != nil {
		return lq, ge
	}
	if ge = sortEvents(nil, lq.orderBy); ge != nil {
		return lq, ge
	}
	return lq, nil
}

// renderList filters, orders and renders events as a page.
func (s *Server) renderList(r *http.Request, u User, es []Event, lq listQuery, v eventView, context string) (map[string]any, *graphErr) {
	var hits []Event
	for i := range es {
		if lq.match(&es[i]) {
			hits = append(hits, es[i])
		}
	}
	if ge := sortEvents(hits, lq.orderBy); ge != nil {
		return nil, ge
	}
	all := make([]map[string]any, 0, len(hits))
	for i := range hits {
		all = append(all, s.eventJSON(u, &hits[i], v))
	}
	return s.pageOf(r, context, all, lq.top, lq.skip), nil
}

// handleListEvents is GET /me/events, /me/calendar/events and
// /me/calendars/{id}/events: single instances and series masters.
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	if me := r.PathValue("me"); me != "" && me != "me" {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+me+"'.")
		return
	}
	v, ge := viewOf(r, true)
	if ge != nil {
		ge.write(w, r)
		return
	}
	lq, ge := readListQuery(r.URL.Query())
	if ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	cal, ge := calendarOf(uc, r)
	var out map[string]any
	if ge == nil {
		var es []Event
		for _, ce := range uc.events {
			if ce.ev.CalendarID == cal.ID {
				es = append(es, ce.ev)
			}
		}
		out, ge = s.renderList(r, u, es, lq, v, "users('"+u.ObjectID+"')/events")
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeEventJSON(w, r, v, http.StatusOK, out)
}

// handleCreateEvent is POST to an events collection: 201 with the event.
func (s *Server) handleCreateEvent(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, true)
	if !ok {
		return
	}
	v, ge := viewOf(r, false)
	if ge != nil {
		ge.write(w, r)
		return
	}
	in, ge := decodeEventInput(r)
	if ge != nil {
		ge.write(w, r)
		return
	}
	if in.Start == nil || in.End == nil {
		validationFailure().write(w, r)
		return
	}
	ev := Event{IsReminderOn: true, ReminderMinutesBeforeStart: 15, ResponseRequested: true}
	if ge := applyEventInput(&ev, in); ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	cal, ge := calendarOf(uc, r)
	var out map[string]any
	if ge == nil {
		ev.CalendarID = cal.ID
		s.fillEvent(u, &ev)
		if ge = validateEvent(&ev); ge == nil {
			uc.events[ev.ID] = &calEvent{ev: ev}
			s.notifyEvent(u.ObjectID, &ev, "created")
			out = s.eventJSON(u, &ev, v)
			out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + u.ObjectID + "')/events/$entity"
		}
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeEventJSON(w, r, v, http.StatusCreated, out)
}

// handleGetEvent is GET of one event, occurrence or exception.
func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	v, ge := viewOf(r, true)
	if ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	ref, found := s.calendarsLocked(cs, u).lookup(r.PathValue("id"))
	var out map[string]any
	if found {
		out = s.eventJSON(u, &ref.ev, v)
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + u.ObjectID + "')/events/$entity"
	}
	s.mu.Unlock()
	if !found {
		notFound().write(w, r)
		return
	}
	writeEventJSON(w, r, v, http.StatusOK, out)
}

// handlePatchEvent is PATCH of an event (an occurrence becomes an
// exception), honouring If-Match.
func (s *Server) handlePatchEvent(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, true)
	if !ok {
		return
	}
	v, ge := viewOf(r, false)
	if ge != nil {
		ge.write(w, r)
		return
	}
	in, ge := decodeEventInput(r)
	if ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	out, ge := s.patchEventLocked(r, cs, u, in, v)
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeEventJSON(w, r, v, http.StatusOK, out)
}

func (s *Server) patchEventLocked(r *http.Request, cs *calendarStore, u User, in eventInput, v eventView) (map[string]any, *graphErr) {
	ref, found := s.calendarsLocked(cs, u).lookup(r.PathValue("id"))
	if !found {
		return nil, notFound()
	}
	if ge := ifMatch(r, &ref.ev); ge != nil {
		return nil, ge
	}
	occurrence := !ref.originalStart.IsZero()
	if occurrence && len(in.Recurrence) > 0 && string(in.Recurrence) != "null" {
		return nil, validationFailure()
	}
	ev := cloneEvent(ref.ev)
	if ge := applyEventInput(&ev, in); ge != nil {
		return nil, ge
	}
	if occurrence {
		ev.Recurrence = nil
	} else {
		ev.Type = "singleInstance"
		if ev.Recurrence != nil {
			ev.Type = "seriesMaster"
		}
	}
	s.fillOnlineMeeting(u, &ev)
	if ge := validateEvent(&ev); ge != nil {
		return nil, ge
	}
	touchEvent(&ev, s.opts.Now())
	if !occurrence && ref.ce.overrides != nil && (!ev.Start.Equal(ref.ev.Start) || !ev.End.Equal(ref.ev.End) || len(in.Recurrence) > 0) {
		// Outlook drops the exceptions of a series whose time or
		// pattern changes.
		ref.ce.overrides = nil
	}
	ref.store(ev)
	if occurrence {
		ev.Type = "exception"
	}
	s.notifyEvent(u.ObjectID, &ev, "updated")
	return s.eventJSON(u, &ev, v), nil
}

// handleDeleteEvent is DELETE of an event (a series with its
// occurrences) or of one occurrence (cancelling it), honouring If-Match.
func (s *Server) handleDeleteEvent(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, true)
	if !ok {
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	ref, found := uc.lookup(r.PathValue("id"))
	ge := notFound()
	if found {
		if ge = ifMatch(r, &ref.ev); ge == nil {
			s.notifyEvent(u.ObjectID, &ref.ev, "deleted")
			if ref.originalStart.IsZero() {
				delete(uc.events, ref.ev.ID)
			} else {
				ref.ce.setOverride(ref.originalStart, &occOverride{cancelled: true})
			}
		}
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// respondHandler is POST /me/events/{id}/accept, /decline or
// /tentativelyAccept {comment, sendResponse}: 202.
func (s *Server) respondHandler(action string) http.HandlerFunc {
	response := map[string]string{"accept": "accepted", "decline": "declined", "tentativelyAccept": "tentativelyAccepted"}[action]
	return func(w http.ResponseWriter, r *http.Request) {
		u, cs, ok := s.calendarCaller(w, r, true)
		if !ok {
			return
		}
		var body struct {
			Comment      string `json:"comment"`
			SendResponse *bool  `json:"sendResponse"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil && err != io.EOF {
			badJSON().write(w, r)
			return
		}
		s.mu.Lock()
		ref, found := s.calendarsLocked(cs, u).lookup(r.PathValue("id"))
		ge := notFound()
		if found {
			ge = nil
			if isOrganizer(u, &ref.ev) {
				ge = badRequest("ErrorInvalidRequest", "Your request can't be completed. You can't respond to a meeting you organized.")
			}
		}
		if ge == nil {
			now := s.opts.Now().UTC()
			ev := cloneEvent(ref.ev)
			ev.ResponseStatus, ev.ResponseTime = response, now
			for i, a := range ev.Attendees {
				if strings.EqualFold(a.Address, u.Mail) || strings.EqualFold(a.Address, u.UserPrincipalName) {
					ev.Attendees[i].Response, ev.Attendees[i].ResponseTime = response, now
				}
			}
			touchEvent(&ev, now)
			ref.store(ev)
			s.notifyEvent(u.ObjectID, &ev, "updated")
		}
		s.mu.Unlock()
		if ge != nil {
			ge.write(w, r)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

// windowParam reads a query parameter case-insensitively, as Graph does.
func windowParam(q url.Values, name string) string {
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// parseWindow reads the required startDateTime and endDateTime (ISO 8601;
// without an offset, UTC).
func parseWindow(q url.Values) (from, to time.Time, ge *graphErr) {
	sv, ev := windowParam(q, "startDateTime"), windowParam(q, "endDateTime")
	if sv == "" || ev == "" {
		return from, to, badRequest("ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
	}
	var ok bool
	if from, ok = parseLocalDateTime(sv, time.UTC); !ok {
		return from, to, badRequest("ErrorInvalidParameter", "The value '"+sv+"' of parameter 'StartDateTime' is invalid.")
	}
	if to, ok = parseLocalDateTime(ev, time.UTC); !ok {
		return from, to, badRequest("ErrorInvalidParameter", "The value '"+ev+"' of parameter 'EndDateTime' is invalid.")
	}
	return from, to, nil
}

// viewInstances returns the instances of a calendar in [from, to).
func viewInstances(uc *userCalendars, calID string, from, to time.Time) []Event {
	var out []Event
	for _, ce := range uc.events {
		if ce.ev.CalendarID == calID {
			out = append(out, ce.instances(from, to)...)
		}
	}
	sortByStart(out)
	return out
}

// handleCalendarView is GET /me/calendarView (and under a calendar):
// single instances, occurrences and exceptions in the window.
func (s *Server) handleCalendarView(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	from, to, ge := parseWindow(r.URL.Query())
	if ge != nil {
		ge.write(w, r)
		return
	}
	v, ge := viewOf(r, true)
	if ge != nil {
		ge.write(w, r)
		return
	}
	lq, ge := readListQuery(r.URL.Query())
	if ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	uc := s.calendarsLocked(cs, u)
	cal, ge := calendarOf(uc, r)
	var out map[string]any
	if ge == nil {
		out, ge = s.renderList(r, u, viewInstances(uc, cal.ID, from, to), lq, v, "users('"+u.ObjectID+"')/calendarView")
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeEventJSON(w, r, v, http.StatusOK, out)
}

// handleInstances is GET /me/events/{id}/instances: the occurrences and
// exceptions of a series in the window.
func (s *Server) handleInstances(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	from, to, ge := parseWindow(r.URL.Query())
	if ge != nil {
		ge.write(w, r)
		return
	}
	v, ge := viewOf(r, true)
	if ge != nil {
		ge.write(w, r)
		return
	}
	lq, ge := readListQuery(r.URL.Query())
	if ge != nil {
		ge.write(w, r)
		return
	}
	s.mu.Lock()
	ce := s.calendarsLocked(cs, u).events[r.PathValue("id")]
	var out map[string]any
	ge = notFound()
	if ce != nil {
		var es []Event
		if ce.ev.Recurrence != nil {
			es = ce.instances(from, to)
		}
		out, ge = s.renderList(r, u, es, lq, v, "users('"+u.ObjectID+"')/events('"+ce.ev.ID+"')/instances")
	}
	s.mu.Unlock()
	if ge != nil {
		ge.write(w, r)
		return
	}
	writeEventJSON(w, r, v, http.StatusOK, out)
}
