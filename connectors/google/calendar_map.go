package google

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aurinko-go/aurinko/unified/calendar"
)

// The Calendar API's Event resource, as far as the mapping reads and
// writes it.
type (
	gcalDateTime struct {
		Date     string `json:"date,omitempty"`
		DateTime string `json:"dateTime,omitempty"`
		TimeZone string `json:"timeZone,omitempty"`
	}
	gcalPerson struct {
		Email       string `json:"email,omitempty"`
		DisplayName string `json:"displayName,omitempty"`
		Self        bool   `json:"self,omitempty"`
	}
	gcalAttendee struct {
		ID               string `json:"id,omitempty"`
		Email            string `json:"email,omitempty"`
		DisplayName      string `json:"displayName,omitempty"`
		Organizer        bool   `json:"organizer,omitempty"`
		Self             bool   `json:"self,omitempty"`
		Resource         bool   `json:"resource,omitempty"`
		Optional         bool   `json:"optional,omitempty"`
		ResponseStatus   string `json:"responseStatus,omitempty"`
		Comment          string `json:"comment,omitempty"`
		AdditionalGuests int    `json:"additionalGuests,omitempty"`
	}
	gcalEntryPoint struct {
		EntryPointType string `json:"entryPointType"`
		URI            string `json:"uri"`
		Label          string `json:"label"`
		Pin            string `json:"pin"`
		RegionCode     string `json:"regionCode"`
	}
	gcalConference struct {
		ConferenceSolution *struct {
			Key struct {
				Type string `json:"type"`
			} `json:"key"`
		} `json:"conferenceSolution"`
		EntryPoints []gcalEntryPoint `json:"entryPoints"`
	}
	gcalReminders struct {
		UseDefault bool           `json:"useDefault"`
		Overrides  []gcalReminder `json:"overrides"`
	}
	gcalEvent struct {
		ID                string          `json:"id"`
		ETag              string          `json:"etag"`
		Status            string          `json:"status"`
		HTMLLink          string          `json:"htmlLink"`
		Created           string          `json:"created"`
		Updated           string          `json:"updated"`
		Summary           string          `json:"summary"`
		Description       string          `json:"description"`
		Location          string          `json:"location"`
		Organizer         *gcalPerson     `json:"organizer"`
		Start             *gcalDateTime   `json:"start"`
		End               *gcalDateTime   `json:"end"`
		Recurrence        []string        `json:"recurrence"`
		RecurringEventID  string          `json:"recurringEventId"`
		OriginalStartTime *gcalDateTime   `json:"originalStartTime"`
		Transparency      string          `json:"transparency"`
		Visibility        string          `json:"visibility"`
		ICalUID           string          `json:"iCalUID"`
		Attendees         []gcalAttendee  `json:"attendees"`
		AttendeesOmitted  bool            `json:"attendeesOmitted"`
		HangoutLink       string          `json:"hangoutLink"`
		ConferenceData    *gcalConference `json:"conferenceData"`
		Reminders         *gcalReminders  `json:"reminders"`
	}
	// gcalEvents is an events.list (or instances) answer.
	gcalEvents struct {
		TimeZone      string      `json:"timeZone"`
		Items         []gcalEvent `json:"items"`
		NextPageToken string      `json:"nextPageToken"`
		NextSyncToken string      `json:"nextSyncToken"`
	}
)

// --- reading ---

// eventReader maps the events of one calendar for one call: it knows the
// calendar's zone (from a list answer, or read when an event needs it)
// and the series masters read so far.
type eventReader struct {
	c          *Connector
	acct       calendar.Account
	calendarID string
	calLoc     *time.Location        // nil until known
	masters    map[string]*gcalEvent // nil value: the master cannot be read
}

func (c *Connector) eventReader(acct calendar.Account, calendarID, tz string) *eventReader {
	r := &eventReader{c: c, acct: acct, calendarID: calendarID, masters: map[string]*gcalEvent{}}
	if tz != "" {
		if loc, err := calendar.LoadLocation(tz); err == nil {
			r.calLoc = loc
		}
	}
	return r
}

// needsZone reports whether a timed time of ge names no zone, so that
// the calendar's zone applies.
func needsZone(ge *gcalEvent) bool {
	for _, d := range []*gcalDateTime{ge.Start, ge.End, ge.OriginalStartTime} {
		if d != nil && d.DateTime != "" && d.TimeZone == "" {
			return true
		}
	}
	return false
}

// events maps a page of events, reading the calendar's zone and the
// masters of its occurrences as needed.
func (r *eventReader) events(ctx context.Context, items []*gcalEvent) ([]calendar.Event, error) {
	var ids []string
	for _, ge := range items {
		if r.calLoc == nil && needsZone(ge) {
			loc, err := r.c.calendarZone(ctx, r.acct, r.calendarID)
			if err != nil {
				return nil, err
			}
			r.calLoc = loc
		}
		if id := ge.RecurringEventID; id != "" && !slices.Contains(ids, id) {
			if _, ok := r.masters[id]; !ok {
				ids = append(ids, id)
			}
		}
	}
	if err := r.loadMasters(ctx, ids); err != nil {
		return nil, err
	}
	out := make([]calendar.Event, 0, len(items))
	for _, ge := range items {
		out = append(out, toCalEvent(ge, r.context(ge)))
	}
	return out, nil
}

func (r *eventReader) event(ctx context.Context, ge *gcalEvent) (calendar.Event, error) {
	es, err := r.events(ctx, []*gcalEvent{ge})
	if err != nil {
		return calendar.Event{}, err
	}
	return es[0], nil
}

func (r *eventReader) zone() *time.Location {
	if r.calLoc == nil {
		return time.UTC
	}
	return r.calLoc
}

func (r *eventReader) context(ge *gcalEvent) eventContext {
	return eventContext{calendarID: r.calendarID, calLoc: r.zone(), self: r.acct.Email, master: r.masters[ge.RecurringEventID]}
}

// loadMasters reads series masters with events.get, a few at a time. A
// master that is gone or not visible is remembered as unreadable.
func (r *eventReader) loadMasters(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		sem      = make(chan struct{}, calMasterConcurrency)
	)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var m gcalEvent
			err := r.c.calCall(ctx, r.acct, calRequest{op: "events.get", method: http.MethodGet,
				path: calPath("calendars", r.calendarID, "events", id)}, &m)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				r.masters[id] = &m
			case isKind(err, calendar.ErrNotFound), isKind(err, calendar.ErrDenied):
				r.masters[id] = nil
			case firstErr == nil:
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// isKind reports whether err is a *calendar.Error of kind.
func isKind(err, kind error) bool {
	var e *calendar.Error
	return errors.As(err, &e) && e.Kind == kind
}

// eventContext is what mapping an event needs besides the event.
type eventContext struct {
	calendarID string
	calLoc     *time.Location // the calendar's zone
	self       string         // the account's address
	master     *gcalEvent     // an occurrence's series, nil when unknown
}

// zoneOf is the location of a time's timeZone, else fallback.
func zoneOf(d *gcalDateTime, fallback *time.Location) *time.Location {
	if d != nil && d.TimeZone != "" {
		if loc, err := calendar.LoadLocation(d.TimeZone); err == nil {
			return loc
		}
	}
	return fallback
}

// dateTimeOf maps an EventDateTime: a date, or the instant in loc.
func dateTimeOf(d *gcalDateTime, loc *time.Location) calendar.DateTime {
	switch {
	case d == nil:
		return calendar.DateTime{}
	case d.Date != "":
		return calendar.OnDate(d.Date)
	}
	t, err := time.Parse(time.RFC3339, d.DateTime)
	if err != nil {
		return calendar.DateTime{}
	}
	return calendar.At(t, loc)
}

// instantOf is the instant of an EventDateTime; a date is its midnight in
// loc.
func instantOf(d *gcalDateTime, loc *time.Location) (time.Time, bool) {
	switch {
	case d == nil:
		return time.Time{}, false
	case d.Date != "":
		t, err := time.ParseInLocation(time.DateOnly, d.Date, loc)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339, d.DateTime)
	return t, err == nil
}

// spanOf is an event's start and end instants.
func spanOf(ge *gcalEvent, loc *time.Location) (time.Time, time.Time, bool) {
	s, ok1 := instantOf(ge.Start, loc)
	e, ok2 := instantOf(ge.End, loc)
	return s, e, ok1 && ok2
}

// overlaps reports whether [s, e) meets [lo, hi); an event without
// duration meets it when it starts inside.
func overlaps(s, e, lo, hi time.Time) bool {
	if !s.Before(hi) {
		return false
	}
	return e.After(lo) || (!e.After(s) && !s.Before(lo))
}

var htmlishRE = regexp.MustCompile(`(?i)<(br|p|div|span|a|b|i|u|strong|em|ul|ol|li|html|body)(\s[^>]*)?/?>`)

// descriptionText is an event description as text: Calendar's web UI
// stores HTML.
func descriptionText(s string) string {
	if htmlishRE.MatchString(s) {
		return htmlToText(s)
	}
	return s
}

func stampOf(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

func responseOf(status string) string {
	switch status {
	case "accepted":
		return calendar.ResponseAccepted
	case "tentative":
		return calendar.ResponseTentative
	case "declined":
		return calendar.ResponseDeclined
	}
	return calendar.ResponseNone
}

// toCalEvent maps a Google event to the unified model.
func toCalEvent(ge *gcalEvent, m eventContext) calendar.Event {
	ev := calendar.Event{
		ID: ge.ID, ETag: ge.ETag, CalendarID: m.calendarID,
		CreatedTime: stampOf(ge.Created), LastModifiedTime: stampOf(ge.Updated),
		Subject: ge.Summary, Description: descriptionText(ge.Description), Location: ge.Location,
		ICalUID: ge.ICalUID, HTMLLink: ge.HTMLLink,
		ShowAs: calendar.ShowBusy, Sensitivity: calendar.SensitivityNormal,
		RecurrenceType: calendar.RecurrenceSingle,
	}
	if ge.Transparency == "transparent" {
		ev.ShowAs = calendar.ShowFree
	}
	switch ge.Visibility {
	case "private":
		ev.Sensitivity = calendar.SensitivityPrivate
	case "confidential":
		ev.Sensitivity = calendar.SensitivityConfidential
	}
	startLoc := zoneOf(ge.Start, m.calLoc)
	ev.Start = dateTimeOf(ge.Start, startLoc)
	ev.End = dateTimeOf(ge.End, zoneOf(ge.End, startLoc))
	switch {
	case ge.RecurringEventID != "":
		ev.RecurrenceType = calendar.RecurrenceOccurrence
		info := &calendar.OccurrenceInfo{Type: calendar.OccurrenceRegular, MasterID: ge.RecurringEventID, OriginalStart: ev.Start}
		if ge.OriginalStartTime != nil {
			info.OriginalStart = dateTimeOf(ge.OriginalStartTime, zoneOf(ge.OriginalStartTime, startLoc))
		}
		if occurrenceModified(ge, m.master, m.calLoc) {
			info.Type = calendar.OccurrenceModified
		}
		ev.OccurrenceInfo = info
	case len(ge.Recurrence) > 0:
		ev.RecurrenceType = calendar.RecurrenceMaster
		if rec, err := calendar.NewRecurrence(ge.Recurrence, ev.Start); err == nil {
			ev.Recurrence = rec
		}
	}
	if o := ge.Organizer; o != nil && o.Email != "" {
		ev.Organizer = &calendar.Organizer{EmailAddress: calendar.EmailAddress{Name: o.DisplayName, Address: o.Email}}
	}
	ev.MeetingInfo = meetingOf(ge, m.self)
	if r := ge.Reminders; r != nil {
		ev.Reminder = &calendar.Reminder{UseDefault: r.UseDefault, Overrides: reminderMinutes(r.Overrides)}
	}
	return ev
}

// meetingOf is the meeting of an event with guests besides its
// organizer, nil otherwise.
func meetingOf(ge *gcalEvent, self string) *calendar.MeetingInfo {
	org := ""
	organizer := false
	if ge.Organizer != nil {
		org = ge.Organizer.Email
		organizer = ge.Organizer.Self || (self != "" && strings.EqualFold(org, self))
	}
	var atts []calendar.Attendee
	own := ""
	for _, a := range ge.Attendees {
		if a.Self || (self != "" && strings.EqualFold(a.Email, self)) {
			own = responseOf(a.ResponseStatus)
		}
		if a.Organizer || (org != "" && strings.EqualFold(a.Email, org)) {
			continue
		}
		typ := calendar.AttendeeRequired
		switch {
		case a.Resource:
			typ = calendar.AttendeeResource
		case a.Optional:
			typ = calendar.AttendeeOptional
		}
		atts = append(atts, calendar.Attendee{EmailAddress: calendar.EmailAddress{Name: a.DisplayName, Address: a.Email},
			Type: typ, Response: responseOf(a.ResponseStatus), Comment: a.Comment})
	}
	if len(atts) == 0 {
		return nil
	}
	mi := &calendar.MeetingInfo{Attendees: atts, Canceled: ge.Status == "cancelled", Response: calendar.ResponseNone}
	switch {
	case organizer:
		mi.Response = calendar.ResponseAccepted
	case own != "":
		mi.Response = own
	}
	mi.OnlineMeetingProvider, mi.OnlineMeetingDetails = onlineMeetingOf(ge)
	return mi
}

// onlineMeetingOf reads the conference of an event: Google Meet is
// hangoutsMeet, another conference solution (an add-on) unknown.
func onlineMeetingOf(ge *gcalEvent) (string, *calendar.OnlineMeetingDetails) {
	d := calendar.OnlineMeetingDetails{}
	prov := ""
	if cd := ge.ConferenceData; cd != nil && len(cd.EntryPoints) > 0 {
		prov = "unknown"
		if cd.ConferenceSolution != nil && cd.ConferenceSolution.Key.Type == "hangoutsMeet" {
			prov = "hangoutsMeet"
		}
		for _, ep := range cd.EntryPoints {
			switch ep.EntryPointType {
			case "video":
				if d.URL == "" {
					d.URL = ep.URI
				}
			case "phone":
				if d.Phone == "" {
					d.Phone = ep.Label
					if d.Phone == "" {
						d.Phone = strings.TrimPrefix(ep.URI, "tel:")
					}
					d.Pin, d.RegionCode = ep.Pin, ep.RegionCode
				}
			case "sip":
				d.SIP = ep.URI
			case "more":
				d.InfoURL = ep.URI
			}
		}
	}
	if ge.HangoutLink != "" {
		prov = "hangoutsMeet"
		if d.URL == "" {
			d.URL = ge.HangoutLink
		}
	}
	if d == (calendar.OnlineMeetingDetails{}) {
		return "", nil
	}
	return prov, &d
}

// occurrenceModified reports whether an occurrence differs from its
// series: moved from its original start, or with other content than
// master (when known).
func occurrenceModified(in, master *gcalEvent, calLoc *time.Location) bool {
	if in.OriginalStartTime != nil && in.Start != nil {
		s, ok1 := instantOf(in.Start, calLoc)
		o, ok2 := instantOf(in.OriginalStartTime, calLoc)
		if ok1 && ok2 && !s.Equal(o) {
			return true
		}
	}
	if master == nil {
		return false
	}
	duration := func(e *gcalEvent) time.Duration {
		s, en, ok := spanOf(e, time.UTC)
		if !ok {
			return 0
		}
		return en.Sub(s)
	}
	if duration(in) != duration(master) {
		return true
	}
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	if in.Summary != master.Summary || in.Description != master.Description || in.Location != master.Location ||
		def(in.Status, "confirmed") != def(master.Status, "confirmed") ||
		def(in.Transparency, "opaque") != def(master.Transparency, "opaque") ||
		def(in.Visibility, "default") != def(master.Visibility, "default") {
		return true
	}
	guests := func(e *gcalEvent) []string {
		var out []string
		for _, a := range e.Attendees {
			out = append(out, strings.ToLower(a.Email)+"|"+map[bool]string{true: "o"}[a.Optional]+"|"+map[bool]string{true: "r"}[a.Resource])
		}
		slices.Sort(out)
		return out
	}
	return !slices.Equal(guests(in), guests(master))
}

// --- writing ---

// dateTimeBody is the EventDateTime of d; in a patch the other form is
// cleared (null), since Google merges objects.
func dateTimeBody(d calendar.DateTime, patch bool) map[string]any {
	if d.AllDay() {
		m := map[string]any{"date": d.DateOnly}
		if patch {
			m["dateTime"], m["timeZone"] = nil, nil
		}
		return m
	}
	t := *d.DateTime
	m := map[string]any{}
	if d.TimeZone != "" {
		if loc, err := calendar.LoadLocation(d.TimeZone); err == nil {
			t = t.In(loc)
			m["timeZone"] = calendar.ZoneName(loc)
		}
	}
	m["dateTime"] = t.Format(time.RFC3339)
	if patch {
		m["date"] = nil
	}
	return m
}

// eventBody is the events.insert or events.patch body of a change,
// without attendees (see attendeesBody).
func eventBody(ch calendar.EventChange, patch bool) (map[string]any, error) {
	body := map[string]any{}
	if ch.Subject != nil {
		body["summary"] = *ch.Subject
	}
	if ch.Description != nil {
		body["description"] = *ch.Description
	}
	if ch.Location != nil {
		body["location"] = *ch.Location
	}
	if ch.Start != nil {
		body["start"] = dateTimeBody(*ch.Start, patch)
	}
	if ch.End != nil {
		body["end"] = dateTimeBody(*ch.End, patch)
	}
	if ch.Recurrence != nil {
		if ch.Start == nil {
			return nil, &calendar.FieldError{Field: "recurrence", Problem: "needs start in the same change"}
		}
		rules, err := ch.Recurrence.Rules(*ch.Start)
		if err != nil {
			return nil, err
		}
		body["recurrence"] = rules
	}
	if r := ch.Reminder; r != nil {
		overrides := []gcalReminder{}
		if !r.UseDefault {
			for _, o := range r.Overrides {
				overrides = append(overrides, gcalReminder{Method: "popup", Minutes: o.Minutes})
			}
		}
		body["reminders"] = gcalReminders{UseDefault: r.UseDefault, Overrides: overrides}
	}
	if ch.ShowAs != nil {
		body["transparency"] = "opaque"
		if *ch.ShowAs == calendar.ShowFree {
			body["transparency"] = "transparent"
		}
	}
	if ch.Sensitivity != nil {
		switch *ch.Sensitivity {
		case calendar.SensitivityPrivate, calendar.SensitivityPersonal:
			body["visibility"] = "private"
		case calendar.SensitivityConfidential:
			body["visibility"] = "confidential"
		default:
			body["visibility"] = "default"
		}
	}
	return body, nil
}

// attendeesBody is the guest list of mi. Guests already invited (in old)
// keep their answers, and the organizer's own entry stays.
func attendeesBody(mi *calendar.MeetingInfo, old []gcalAttendee) []gcalAttendee {
	prev := map[string]gcalAttendee{}
	for _, a := range old {
		prev[strings.ToLower(a.Email)] = a
	}
	out := []gcalAttendee{}
	seen := map[string]bool{}
	for _, a := range old {
		if a.Organizer {
			out = append(out, a)
			seen[strings.ToLower(a.Email)] = true
		}
	}
	for _, a := range mi.Attendees {
		k := strings.ToLower(a.EmailAddress.Address)
		if seen[k] {
			continue
		}
		seen[k] = true
		g := gcalAttendee{Email: a.EmailAddress.Address, DisplayName: a.EmailAddress.Name,
			Optional: a.Type == calendar.AttendeeOptional, Resource: a.Type == calendar.AttendeeResource}
		if p, ok := prev[k]; ok {
			g.ID, g.ResponseStatus, g.Comment, g.AdditionalGuests = p.ID, p.ResponseStatus, p.Comment, p.AdditionalGuests
		}
		out = append(out, g)
	}
	return out
}

// conferenceRequest asks for a Google Meet conference.
func conferenceRequest() map[string]any {
	return map[string]any{"createRequest": map[string]any{
		"requestId": newRequestID(), "conferenceSolutionKey": map[string]string{"type": "hangoutsMeet"}}}
}

func hasConference(ge *gcalEvent) bool {
	return ge.HangoutLink != "" || (ge.ConferenceData != nil && len(ge.ConferenceData.EntryPoints) > 0)
}
