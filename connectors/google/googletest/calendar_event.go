package googletest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

const (
	// calMaxInstances bounds the expansion of a series when no timeMax
	// limits it (the fake's choice; Google does not document its own).
	calMaxInstances = 1000
	// calMaxIterations bounds the occurrences a rule may generate while
	// looking for those in a window.
	calMaxIterations = 200_000
	// stampLayout is Google's created/updated format.
	stampLayout = "2006-01-02T15:04:05.000Z"
)

// validEventID reports whether id follows Calendar's rules for ids
// chosen by clients: base32hex (a-v, 0-9), 5 to 1024 characters.
func validEventID(id string) bool {
	return len(id) >= 5 && len(id) <= 1024 && !strings.ContainsFunc(id, func(r rune) bool {
		return (r < 'a' || r > 'v') && (r < '0' || r > '9')
	})
}

// normDT validates an EventDateTime and rewrites DateTime without
// fractions, in the offset of its TimeZone. It returns the instant (for
// a date: its UTC midnight) and whether it is a date.
func normDT(dt *EventDateTime, which string) (time.Time, bool, *calErr) {
	var loc *time.Location
	if dt.TimeZone != "" {
		l, ok := loadZone(dt.TimeZone)
		if !ok {
			return time.Time{}, false, errInvalid("Invalid time zone definition for " + which + " time.")
		}
		loc = l
	}
	if dt.Date != "" && dt.DateTime != "" {
		return time.Time{}, false, errInvalid("Invalid " + which + " time.")
	}
	if dt.Date != "" {
		t, err := time.Parse(time.DateOnly, dt.Date)
		if err != nil {
			return time.Time{}, false, errInvalid("Invalid " + which + " time.")
		}
		return t, true, nil
	}
	t, err := time.Parse(time.RFC3339, dt.DateTime)
	if err != nil {
		local, lerr := time.Parse("2006-01-02T15:04:05.999999999", dt.DateTime)
		if lerr != nil {
			return time.Time{}, false, errInvalid("Invalid " + which + " time.")
		}
		if loc == nil {
			return time.Time{}, false, errRequired("Missing time zone definition for " + which + " time.")
		}
		t = time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, loc)
	}
	t = t.Truncate(time.Second)
	if loc != nil {
		t = t.In(loc)
	}
	dt.DateTime = t.Format(time.RFC3339)
	return t, false, nil
}

// normTimes validates and normalizes an event's start and end.
func normTimes(e *Event) *calErr {
	if e.Start == nil || (e.Start.Date == "" && e.Start.DateTime == "") {
		return errRequired("Missing start time.")
	}
	if e.End == nil || (e.End.Date == "" && e.End.DateTime == "") {
		return errRequired("Missing end time.")
	}
	start, sAll, cerr := normDT(e.Start, "start")
	if cerr != nil {
		return cerr
	}
	end, eAll, cerr := normDT(e.End, "end")
	if cerr != nil {
		return cerr
	}
	if sAll != eAll {
		return errInvalid("Start and end times must either both be date or both be dateTime.")
	}
	if len(e.Recurrence) > 0 && !sAll && e.Start.TimeZone == "" {
		return errRequired("Missing time zone definition for start time.")
	}
	if end.Before(start) || (sAll && !end.After(start)) {
		return errTimeRangeEmpty("")
	}
	if e.OriginalStartTime != nil {
		if _, oAll, cerr := normDT(e.OriginalStartTime, "originalStart"); cerr != nil {
			return cerr
		} else if oAll != sAll {
			return errInvalid("Start and end times must either both be date or both be dateTime.")
		}
	}
	return nil
}

// prepareLocked validates e (new, or replacing old) for calendar c and
// fills defaults and the computed fields.
func (st *calStore) prepareLocked(c *calEntry, e *Event, old *Event, confVersion int) *calErr {
	if e.Status == "" {
		e.Status = "confirmed"
	}
	if !validEnum(e.Status, "confirmed", "tentative", "cancelled") {
		return errInvalid("Invalid value for: status")
	}
	if e.EventType == "" {
		e.EventType = "default"
	}
	if !validEnum(e.EventType, validEventTypes...) {
		return errInvalid("Invalid event type: " + e.EventType)
	}
	if !validEnum(e.Transparency, "opaque", "transparent") {
		return errInvalid("Invalid value for: transparency")
	}
	if !validEnum(e.Visibility, "default", "public", "private", "confidential") {
		return errInvalid("Invalid value for: visibility")
	}
	if e.RecurringEventID != "" {
		e.Recurrence = nil
	}
	if cerr := normTimes(e); cerr != nil {
		return cerr
	}
	if len(e.Recurrence) > 0 {
		if _, cerr := parseSeries(e, c.loc); cerr != nil {
			return cerr
		}
	}
	if e.Reminders == nil {
		e.Reminders = &EventReminders{UseDefault: true}
	}
	if e.Reminders.UseDefault && len(e.Reminders.Overrides) > 0 {
		return &calErr{code: http.StatusBadRequest, reason: "cannotUseDefaultRemindersAndSpecifyOverride",
			msg: "Cannot specify both default reminders and overrides at the same time."}
	}
	if len(e.Reminders.Overrides) > 5 {
		return &calErr{code: http.StatusBadRequest, reason: "tooManyReminders", msg: "Too many reminders."}
	}
	for _, r := range e.Reminders.Overrides {
		if !validEnum(r.Method, "email", "popup") || r.Method == "" || r.Minutes < 0 || r.Minutes > 40320 {
			return errInvalid("Invalid reminder.")
		}
	}
	if e.Organizer == nil || e.Organizer.Email == "" {
		if old != nil && old.Organizer != nil {
			e.Organizer = old.Organizer
		} else if c.cal.Primary {
			e.Organizer = &EventPerson{Email: st.email, DisplayName: st.name}
		} else {
			e.Organizer = &EventPerson{Email: c.cal.ID, DisplayName: c.cal.Summary}
		}
	}
	if e.Creator == nil || e.Creator.Email == "" {
		e.Creator = &EventPerson{Email: st.email, DisplayName: st.name}
	}
	e.Organizer.Self = strings.EqualFold(e.Organizer.Email, c.cal.ID)
	e.Creator.Self = strings.EqualFold(e.Creator.Email, c.cal.ID)
	for i := range e.Attendees {
		a := &e.Attendees[i]
		if strings.TrimSpace(a.Email) == "" {
			return errRequired("Missing attendee email.")
		}
		if _, err := mail.ParseAddress(a.Email); err != nil || strings.ContainsAny(a.Email, "<> ") {
			return errInvalid("Invalid attendee email.")
		}
		if a.ResponseStatus == "" {
			a.ResponseStatus = "needsAction"
		}
		if !validEnum(a.ResponseStatus, responseStatuses...) {
			return errInvalid("Invalid attendee response status.")
		}
		a.Organizer = strings.EqualFold(a.Email, e.Organizer.Email)
		a.Self = strings.EqualFold(a.Email, c.cal.ID)
	}
	if e.GuestsCanInviteOthers != nil && *e.GuestsCanInviteOthers {
		e.GuestsCanInviteOthers = nil
	}
	if e.GuestsCanSeeOtherGuests != nil && *e.GuestsCanSeeOtherGuests {
		e.GuestsCanSeeOtherGuests = nil
	}
	if e.Sequence < 0 {
		return errInvalid("Invalid sequence value.")
	}
	if e.ICalUID == "" {
		e.ICalUID = e.ID + "@google.com"
	}
	st.conferenceLocked(e, old, confVersion)
	return nil
}

// conferenceLocked applies conferenceData as conferenceDataVersion says:
// version 0 keeps what the event had; version 1 takes the request's,
// creating a Meet conference for a new createRequest.
func (st *calStore) conferenceLocked(e, old *Event, confVersion int) {
	if confVersion == 0 {
		e.ConferenceData, e.HangoutLink = nil, ""
		if old != nil {
			e.ConferenceData, e.HangoutLink = old.ConferenceData, old.HangoutLink
		}
		return
	}
	cd := e.ConferenceData
	e.HangoutLink = ""
	if cd == nil {
		return
	}
	if cr := cd.CreateRequest; cr != nil && len(cd.EntryPoints) == 0 {
		if old != nil && old.ConferenceData != nil && old.ConferenceData.CreateRequest != nil &&
			old.ConferenceData.CreateRequest.RequestID == cr.RequestID && cr.RequestID != "" {
			e.ConferenceData, e.HangoutLink = old.ConferenceData, old.HangoutLink // same request: ignored
			return
		}
		key := cr.ConferenceSolutionKey
		if key == nil || key.Type == "" {
			key = &ConferenceSolutionKey{Type: "hangoutsMeet"}
		}
		if key.Type != "hangoutsMeet" {
			e.ConferenceData = &ConferenceData{CreateRequest: &CreateConferenceRequest{RequestID: cr.RequestID,
				ConferenceSolutionKey: key, Status: &ConferenceRequestStatus{StatusCode: "failure"}}}
			return
		}
		meet := meetConference(st.email + "/" + e.ID + "/" + cr.RequestID)
		meet.CreateRequest = &CreateConferenceRequest{RequestID: cr.RequestID, ConferenceSolutionKey: key,
			Status: &ConferenceRequestStatus{StatusCode: "success"}}
		e.ConferenceData = meet
	}
	if e.ConferenceData.ConferenceSolution != nil && e.ConferenceData.ConferenceSolution.Key.Type == "hangoutsMeet" {
		for _, ep := range e.ConferenceData.EntryPoints {
			if ep.EntryPointType == "video" {
				e.HangoutLink = ep.URI
			}
		}
	}
}

// meetConference makes Google Meet conference data with a meeting code
// derived from seed.
func meetConference(seed string) *ConferenceData {
	sum := sha256.Sum256([]byte(seed))
	code := make([]byte, 0, 12)
	for i, b := range sum[:10] {
		if i == 3 || i == 7 {
			code = append(code, '-')
		}
		code = append(code, 'a'+b%26)
	}
	return meetForCode(string(code), base64.RawStdEncoding.EncodeToString(sum[10:]))
}

func meetForCode(code, signature string) *ConferenceData {
	return &ConferenceData{
		ConferenceID: code,
		ConferenceSolution: &ConferenceSolution{Key: ConferenceSolutionKey{Type: "hangoutsMeet"}, Name: "Google Meet",
			IconURI: "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"},
		EntryPoints: []EntryPoint{{EntryPointType: "video", URI: "https://meet.google.com/" + code, Label: "meet.google.com/" + code}},
		Signature:   signature,
	}
}

// insertEventLocked validates and stores a new event. seeding keeps the
// organizer, creator and times the caller set.
func (st *calStore) insertEventLocked(c *calEntry, e *Event, confVersion int, seeding bool, now time.Time) (*Event, *calErr) {
	e = e.clone()
	if e.ID != "" {
		if !validEventID(e.ID) {
			return nil, errInvalid("Invalid resource id value.")
		}
		if c.events[e.ID] != nil {
			return nil, &calErr{code: http.StatusConflict, reason: "duplicate", msg: "The requested identifier already exists."}
		}
	} else {
		e.ID = st.newID("event/" + c.cal.ID)
	}
	e.RecurringEventID, e.OriginalStartTime = "", nil
	if !seeding {
		e.Creator, e.Organizer, e.HangoutLink = nil, nil, ""
		e.Created, e.Updated = time.Time{}, time.Time{}
	} else if e.HangoutLink != "" && e.ConferenceData == nil {
		code := strings.TrimPrefix(strings.TrimPrefix(e.HangoutLink, "https://meet.google.com/"), "meet.google.com/")
		e.ConferenceData = meetForCode(code, "")
	}
	if cerr := st.prepareLocked(c, e, nil, confVersion); cerr != nil {
		return nil, cerr
	}
	if e.Created.IsZero() {
		e.Created = now
	}
	if e.Updated.IsZero() {
		e.Updated = now
	}
	st.commitLocked(c, e, true)
	return e, nil
}

// replaceEventLocked stores next in place of old (a stored event, or a
// materialized instance when creating an exception), keeping the
// read-only fields and bumping the sequence when more than attendee
// responses changed.
func (st *calStore) replaceEventLocked(c *calEntry, old, next *Event, confVersion int, isNew bool, now time.Time) (*Event, *calErr) {
	next.ID, next.ICalUID, next.Created, next.Creator = old.ID, old.ICalUID, old.Created, old.Creator
	next.Organizer, next.RecurringEventID, next.OriginalStartTime = old.Organizer, old.RecurringEventID, old.OriginalStartTime
	next.EventType, next.PrivateCopy, next.Locked, next.ord = old.EventType, old.PrivateCopy, old.Locked, old.ord
	for _, p := range []**EventPerson{&next.Organizer, &next.Creator} {
		if *p != nil {
			c := **p
			*p = &c
		}
	}
	if cerr := st.prepareLocked(c, next, old, confVersion); cerr != nil {
		return nil, cerr
	}
	next.Sequence = old.Sequence
	if significant(old) != significant(next) {
		next.Sequence++
	}
	if next.Updated.IsZero() || !isNew {
		next.Updated = now
	}
	if next.Created.IsZero() {
		next.Created = now
	}
	st.commitLocked(c, next, isNew)
	return next, nil
}

// storeInstanceLocked stores an exception of master: next replacing the
// materialized occurrence base.
func (st *calStore) storeInstanceLocked(c *calEntry, master, base, next *Event, confVersion int, now time.Time) (*Event, *calErr) {
	base.Created = master.Created
	return st.replaceEventLocked(c, base, next, confVersion, true, now)
}

// commitLocked records a write: a new change number, etag and link.
func (st *calStore) commitLocked(c *calEntry, e *Event, isNew bool) {
	e.changed = st.bump()
	e.ETag = etagOf(e.changed)
	e.HTMLLink = "https://www.google.com/calendar/event?eid=" + base64.RawURLEncoding.EncodeToString([]byte(e.ID+" "+c.cal.ID))
	if isNew {
		e.ord = e.changed
		c.order = append(c.order, e.ID)
	}
	c.events[e.ID] = e
}

// significant is what makes Google bump an event's sequence: its
// content, times and guest list, not attendees' responses.
func significant(e *Event) string {
	var emails []string
	for _, a := range e.Attendees {
		emails = append(emails, strings.ToLower(a.Email))
	}
	slices.Sort(emails)
	b, _ := json.Marshal([]any{e.Summary, e.Description, e.Location, e.Start, e.End, e.Recurrence, e.Status, emails,
		e.Transparency, e.Visibility})
	return string(b)
}

// mergeEvent applies a patch body to base with Google's patch semantics:
// objects merge, arrays and values replace, null clears.
func mergeEvent(base *Event, patch map[string]json.RawMessage) (*Event, *calErr) {
	cur, _ := json.Marshal(base)
	var dst map[string]any
	_ = json.Unmarshal(cur, &dst)
	for k, raw := range patch {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, &calErr{code: http.StatusBadRequest, reason: "parseError", msg: "Parse Error"}
		}
		dst[k] = mergeValue(dst[k], v)
		if v == nil {
			delete(dst, k)
		}
	}
	b, _ := json.Marshal(dst)
	next := &Event{}
	if err := json.Unmarshal(b, next); err != nil {
		return nil, errInvalid("Invalid value: " + err.Error())
	}
	next.Created, next.Updated, next.changed, next.ord = base.Created, base.Updated, base.changed, base.ord
	return next, nil
}

func mergeValue(dst, src any) any {
	sm, ok := src.(map[string]any)
	dm, ok2 := dst.(map[string]any)
	if !ok || !ok2 {
		return src
	}
	for k, v := range sm {
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = mergeValue(dm[k], v)
	}
	return dm
}

// series is a recurring event's recurrence, ready to expand.
type series struct {
	allDay          bool
	loc             *time.Location // the zone the series expands in (UTC for all-day series)
	calLoc          *time.Location // the calendar's zone, where all-day dates begin
	start           time.Time      // DTSTART
	dur             time.Duration  // timed series
	days            int            // all-day series
	startTZ, endTZ  string
	rules, exrules  []*rrule.RRule
	rdates, exdates []time.Time
}

// parseSeries reads a series' start, end and recurrence lines.
func parseSeries(e *Event, calLoc *time.Location) (*series, *calErr) {
	sr := &series{calLoc: calLoc, startTZ: e.Start.TimeZone, endTZ: e.End.TimeZone}
	if e.Start.Date != "" {
		sr.allDay, sr.loc = true, time.UTC
		s, _ := time.Parse(time.DateOnly, e.Start.Date)
		en, _ := time.Parse(time.DateOnly, e.End.Date)
		sr.start, sr.days = s, int(en.Sub(s).Hours()/24)
	} else {
		loc, ok := loadZone(e.Start.TimeZone)
		if !ok {
			loc = calLoc
		}
		s, _ := time.Parse(time.RFC3339, e.Start.DateTime)
		en, _ := time.Parse(time.RFC3339, e.End.DateTime)
		sr.loc, sr.start, sr.dur = loc, s.In(loc), en.Sub(s)
	}
	bad := errInvalid("Invalid recurrence rule.")
	for _, line := range e.Recurrence {
		line = strings.TrimSpace(line)
		i := strings.IndexAny(line, ":;")
		if i <= 0 {
			return nil, bad
		}
		name, value := strings.ToUpper(line[:i]), line[i+1:]
		switch name {
		case "RRULE", "EXRULE":
			opt, err := rrule.StrToROptionInLocation(value, sr.loc)
			if err != nil {
				return nil, bad
			}
			opt.Dtstart = sr.start
			r, err := rrule.NewRRule(*opt)
			if err != nil {
				return nil, bad
			}
			if name == "RRULE" {
				sr.rules = append(sr.rules, r)
			} else {
				sr.exrules = append(sr.exrules, r)
			}
		case "RDATE", "EXDATE":
			ts, err := rrule.StrToDatesInLoc(value, sr.loc)
			if err != nil {
				return nil, bad
			}
			for i := range ts {
				ts[i] = ts[i].In(sr.loc)
			}
			if name == "RDATE" {
				sr.rdates = append(sr.rdates, ts...)
			} else {
				sr.exdates = append(sr.exdates, ts...)
			}
		default:
			return nil, bad
		}
	}
	if len(sr.rules) == 0 && len(sr.rdates) == 0 {
		return nil, bad
	}
	return sr, nil
}

// span is an occurrence's start and end instants: an all-day
// occurrence runs from midnight to midnight in the calendar's zone.
func (sr *series) span(orig time.Time) (time.Time, time.Time) {
	if sr.allDay {
		return midnight(orig, sr.calLoc), midnight(orig.AddDate(0, 0, sr.days), sr.calLoc)
	}
	return orig, orig.Add(sr.dur)
}

func midnight(date time.Time, loc *time.Location) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, loc)
}

// overlaps reports whether [start, end) meets the window: the end after
// timeMin, the start before timeMax (zero: unbounded).
func overlaps(start, end, lo, hi time.Time) bool {
	return (lo.IsZero() || end.After(lo)) && (hi.IsZero() || start.Before(hi))
}

// starts returns the original starts of the occurrences that overlap
// [lo, hi), in order, at most limit of them.
func (sr *series) starts(lo, hi time.Time, limit int) []time.Time {
	found := map[int64]time.Time{}
	var last time.Time
	for _, r := range sr.rules {
		next := r.Iterator()
		n := 0
		for range calMaxIterations {
			t, ok := next()
			if !ok {
				break
			}
			s, e := sr.span(t)
			if !hi.IsZero() && !s.Before(hi) {
				break
			}
			if overlaps(s, e, lo, hi) {
				found[t.Unix()] = t
				if t.After(last) {
					last = t
				}
				if n++; n >= limit+len(sr.exdates)+1 && hi.IsZero() {
					break
				}
			}
		}
	}
	for _, t := range sr.rdates {
		if s, e := sr.span(t); overlaps(s, e, lo, hi) {
			found[t.Unix()] = t
			if t.After(last) {
				last = t
			}
		}
	}
	for _, t := range sr.exdates {
		delete(found, t.Unix())
	}
	for _, x := range sr.exrules {
		for _, t := range x.Between(sr.start.Add(-time.Second), last, true) {
			delete(found, t.Unix())
		}
	}
	out := make([]time.Time, 0, len(found))
	for _, t := range found {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// isOccurrence reports whether the series has an occurrence starting at t.
func (sr *series) isOccurrence(t time.Time) bool {
	for _, x := range sr.exdates {
		if x.Equal(t) {
			return false
		}
	}
	for _, x := range sr.exrules {
		if len(x.Between(t, t, true)) > 0 {
			return false
		}
	}
	for _, r := range sr.rdates {
		if r.Equal(t) {
			return true
		}
	}
	for _, r := range sr.rules {
		if len(r.Between(t, t, true)) > 0 {
			return true
		}
	}
	return false
}

// suffix is the part of an instance id after the series id.
func (sr *series) suffix(orig time.Time) string {
	if sr.allDay {
		return orig.Format("20060102")
	}
	return orig.UTC().Format("20060102T150405Z")
}

// parseSuffix reads an instance id's suffix back into an original start.
func (sr *series) parseSuffix(s string) (time.Time, bool) {
	if sr.allDay {
		t, err := time.Parse("20060102", s)
		return t, err == nil
	}
	t, err := time.Parse("20060102T150405Z", s)
	return t.In(sr.loc), err == nil
}

// parseOriginal reads an originalStartTime into an original start.
func (sr *series) parseOriginal(dt *EventDateTime) (time.Time, *calErr) {
	c := *dt
	t, allDay, cerr := normDT(&c, "originalStart")
	if cerr != nil {
		return time.Time{}, cerr
	}
	if allDay != sr.allDay {
		return time.Time{}, errInvalid("Invalid originalStartTime.")
	}
	if sr.allDay {
		return t, nil
	}
	return t.In(sr.loc), nil
}

// instance materializes the occurrence of master starting at orig.
func (sr *series) instance(master *Event, orig time.Time) *Event {
	in := master.clone()
	in.ID = master.ID + "_" + sr.suffix(orig)
	in.Recurrence = nil
	in.RecurringEventID = master.ID
	if sr.allDay {
		d := orig.Format(time.DateOnly)
		in.Start = &EventDateTime{Date: d}
		in.End = &EventDateTime{Date: orig.AddDate(0, 0, sr.days).Format(time.DateOnly)}
		in.OriginalStartTime = &EventDateTime{Date: d}
		return in
	}
	endLoc, ok := loadZone(sr.endTZ)
	if !ok {
		endLoc = sr.loc
	}
	in.Start = &EventDateTime{DateTime: orig.In(sr.loc).Format(time.RFC3339), TimeZone: sr.startTZ}
	in.End = &EventDateTime{DateTime: orig.Add(sr.dur).In(endLoc).Format(time.RFC3339), TimeZone: sr.endTZ}
	in.OriginalStartTime = &EventDateTime{DateTime: in.Start.DateTime, TimeZone: sr.startTZ}
	return in
}

// spanOf is an event's start and end instants (all-day: midnights in
// the calendar's zone). A cancelled exception keeps its original slot.
func (c *calEntry) spanOf(e *Event) (time.Time, time.Time) {
	start, end := e.Start, e.End
	if start == nil || end == nil {
		return time.Time{}, time.Time{}
	}
	return c.instant(start), c.instant(end)
}

// instant reads an EventDateTime (validated) as an instant.
func (c *calEntry) instant(dt *EventDateTime) time.Time {
	if dt.Date != "" {
		d, _ := time.Parse(time.DateOnly, dt.Date)
		return midnight(d, c.loc)
	}
	t, _ := time.Parse(time.RFC3339, dt.DateTime)
	return t
}

// eventResource is an Event on the wire.
type eventResource struct {
	Kind string `json:"kind"`
	*Event
	Created string `json:"created,omitempty"`
	Updated string `json:"updated,omitempty"`
}

// renderOpts are the request parameters that shape an event on the wire.
type renderOpts struct {
	tz           *time.Location // timeZone parameter
	maxAttendees int
}

// render writes an event as the Event resource: date-times in the
// timeZone parameter's zone, else the event's, else the calendar's.
// minimal gives a cancelled event as incremental sync does: its id,
// status and, for an exception, its series and original start.
func (c *calEntry) render(e *Event, o renderOpts, minimal bool) any {
	out := e.clone()
	for _, dt := range []*EventDateTime{out.Start, out.End, out.OriginalStartTime} {
		if dt == nil || dt.DateTime == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, dt.DateTime)
		if err != nil {
			continue
		}
		loc := o.tz
		if loc == nil {
			if l, ok := loadZone(dt.TimeZone); ok {
				loc = l
			} else {
				loc = c.loc
			}
		}
		dt.DateTime = t.In(loc).Format(time.RFC3339)
	}
	if minimal {
		m := map[string]any{"kind": "calendar#event", "etag": e.ETag, "id": e.ID, "status": e.Status}
		if e.RecurringEventID != "" {
			m["recurringEventId"], m["originalStartTime"] = e.RecurringEventID, out.OriginalStartTime
		}
		return m
	}
	if o.maxAttendees > 0 && len(out.Attendees) > o.maxAttendees {
		out.Attendees = slices.DeleteFunc(out.Attendees, func(a EventAttendee) bool { return !a.Self })
		out.AttendeesOmitted = true
	}
	return eventResource{Kind: "calendar#event", Event: out, Created: stamp(e.Created), Updated: stamp(e.Updated)}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(stampLayout)
}
