package google_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/unified/calendar"
)

const nyZone = "America/New_York"

// calEnv is a connector, the fake and alice's account with the calendar
// scope; its client records the requests it makes.
type calEnv struct {
	*env
	acct calendar.Account
	log  *calRequestLog
}

// calRequestLog records the requests of a client.
type calRequestLog struct {
	mu   sync.Mutex
	reqs []calLogged
}

type calLogged struct {
	method string
	url    *url.URL
	header http.Header
	body   string
}

func (l *calRequestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	l.mu.Lock()
	l.reqs = append(l.reqs, calLogged{method: r.Method, url: r.URL, header: r.Header.Clone(), body: string(body)})
	l.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// last returns the last request with this method whose path ends so.
func (l *calRequestLog) last(t *testing.T, method, pathSuffix string) calLogged {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.reqs) - 1; i >= 0; i-- {
		if r := l.reqs[i]; r.method == method && strings.HasSuffix(r.url.Path, pathSuffix) {
			return r
		}
	}
	t.Fatalf("no %s request to …%s", method, pathSuffix)
	return calLogged{}
}

func newCalEnv(t *testing.T) *calEnv {
	t.Helper()
	e := newEnv(t, nil, nil)
	g := e.signIn(t, []connectors.Scope{connectors.CalendarReadWrite}, nil)
	log := &calRequestLog{}
	hc := &http.Client{Transport: &xoauth2.Transport{Source: xoauth2.StaticTokenSource(g.Token), Base: log}, Timeout: 10 * time.Second}
	return &calEnv{env: e, acct: calendar.Account{ID: 1, Email: alice.Email, Client: hc}, log: log}
}

func (e *calEnv) seed(t *testing.T, ev googletest.Event) googletest.Event {
	t.Helper()
	out, err := e.g.SeedEvent(alice.Email, "primary", ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *calEnv) setZone(t *testing.T, tz string) {
	t.Helper()
	if _, err := e.g.SeedCalendar(alice.Email, googletest.Calendar{ID: "primary", TimeZone: tz}); err != nil {
		t.Fatal(err)
	}
}

func calPtr[T any](v T) *T { return &v }

// calWantKind fails the test unless err is a *calendar.Error of kind.
func calWantKind(t *testing.T, err, kind error) *calendar.Error {
	t.Helper()
	var ce *calendar.Error
	if !errors.As(err, &ce) || !errors.Is(err, kind) {
		t.Fatalf("err = %v (%T), want kind %v", err, err, kind)
	}
	return ce
}

func calZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := calendar.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// normalizedEvents returns events as unified answers them.
func normalizedEvents(es ...calendar.Event) []calendar.Event {
	out := slices.Clone(es)
	for i := range out {
		out[i].Normalize()
	}
	return out
}

func calJSONEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Fatalf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

func nyTime(dateTime string) *googletest.EventDateTime {
	return &googletest.EventDateTime{DateTime: dateTime, TimeZone: nyZone}
}

// standupSeries seeds a weekly series in New York across the end of
// daylight saving time (1 November 2026) with the second occurrence moved
// and retitled and the third cancelled.
func standupSeries(t *testing.T, e *calEnv) googletest.Event {
	t.Helper()
	e.setZone(t, nyZone)
	master := e.seed(t, googletest.Event{Summary: "Standup", Description: "Daily sync", Location: "Room 4",
		Start: nyTime("2026-10-19T09:00:00"), End: nyTime("2026-10-19T09:30:00"),
		Recurrence: []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"}})
	e.seed(t, googletest.Event{RecurringEventID: master.ID, OriginalStartTime: nyTime("2026-10-26T09:00:00-04:00"),
		Summary: "Standup (moved)", Start: nyTime("2026-10-26T11:00:00-04:00"), End: nyTime("2026-10-26T11:30:00-04:00")})
	e.seed(t, googletest.Event{RecurringEventID: master.ID, OriginalStartTime: nyTime("2026-11-02T09:00:00-05:00"), Status: "cancelled"})
	return master
}

func TestListEventRange_dstSeriesWithExceptions(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	master := standupSeries(t, e)
	ny := calZone(t, nyZone)
	ctx := context.Background()
	at := func(y int, m time.Month, d, h, min int) calendar.DateTime {
		return calendar.At(time.Date(y, m, d, h, min, 0, 0, ny), ny)
	}
	type row struct {
		ID, Subject, Start, End, Type, Original string
	}
	var got []row
	page := ""
	pages := 0
	for {
		p, err := e.c.ListEventRange(ctx, e.acct, calendar.RangeRequest{CalendarID: "primary",
			TimeMin: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Page: page, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ev := range normalizedEvents(p.Events...) {
			if ev.RecurrenceType != calendar.RecurrenceOccurrence || ev.OccurrenceInfo == nil || ev.OccurrenceInfo.MasterID != master.ID {
				t.Fatalf("event %s: recurrenceType %q, occurrenceInfo %+v", ev.ID, ev.RecurrenceType, ev.OccurrenceInfo)
			}
			if ev.Start.TimeZone != nyZone || ev.OccurrenceInfo.OriginalStart.TimeZone != nyZone {
				t.Fatalf("event %s zones: %q, %q", ev.ID, ev.Start.TimeZone, ev.OccurrenceInfo.OriginalStart.TimeZone)
			}
			got = append(got, row{ev.ID, ev.Subject, ev.Start.DateTime.Format(time.RFC3339), ev.End.DateTime.Format(time.RFC3339),
				ev.OccurrenceInfo.Type, ev.OccurrenceInfo.OriginalStart.DateTime.Format(time.RFC3339)})
		}
		if p.NextPage == "" {
			break
		}
		page = p.NextPage
	}
	want := []row{
		{master.ID + "_20261019T130000Z", "Standup", "2026-10-19T09:00:00-04:00", "2026-10-19T09:30:00-04:00", "regular", "2026-10-19T09:00:00-04:00"},
		{master.ID + "_20261026T130000Z", "Standup (moved)", "2026-10-26T11:00:00-04:00", "2026-10-26T11:30:00-04:00", "modified", "2026-10-26T09:00:00-04:00"},
		// After the end of DST: still 09:00 in New York, now -05:00.
		{master.ID + "_20261109T140000Z", "Standup", "2026-11-09T09:00:00-05:00", "2026-11-09T09:30:00-05:00", "regular", "2026-11-09T09:00:00-05:00"},
	}
	calJSONEqual(t, "occurrences", got, want)
	if pages != 2 {
		t.Errorf("pages = %d, want 2 (limit 2)", pages)
	}
	if q := e.log.last(t, http.MethodGet, "/events").url.Query(); q.Get("singleEvents") != "true" || q.Get("orderBy") != "startTime" ||
		q.Get("maxResults") != "2" || q.Get("timeMin") != "2026-10-01T00:00:00Z" || q.Get("timeMax") != "2026-12-01T00:00:00Z" {
		t.Errorf("events.list query = %v", q)
	}

	// The master and occurrences by id.
	m, err := e.c.GetEvent(ctx, e.acct, "primary", master.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.RecurrenceType != calendar.RecurrenceMaster || m.Recurrence == nil || m.Recurrence.ICal == nil || m.Recurrence.Simple == nil {
		t.Fatalf("master = %+v", m)
	}
	if !slices.Equal(m.Recurrence.ICal.Rules, []string{"RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"}) {
		t.Errorf("rules = %q", m.Recurrence.ICal.Rules)
	}
	if s := m.Recurrence.Simple; s.Pattern.Frequency != calendar.FreqWeekly || !slices.Equal(s.Pattern.DaysOfWeek, []string{"monday"}) ||
		s.Range.Type != calendar.RangeByCount || s.Range.Count != 4 {
		t.Errorf("simple = %+v", s)
	}
	if !m.Start.DateTime.Equal(*at(2026, 10, 19, 9, 0).DateTime) || m.Start.TimeZone != nyZone {
		t.Errorf("master start = %v %q", m.Start.DateTime, m.Start.TimeZone)
	}
	for id, typ := range map[string]string{master.ID + "_20261026T130000Z": "modified", master.ID + "_20261109T140000Z": "regular"} {
		ev, err := e.c.GetEvent(ctx, e.acct, "primary", id)
		if err != nil {
			t.Fatal(err)
		}
		if ev.OccurrenceInfo == nil || ev.OccurrenceInfo.Type != typ {
			t.Errorf("GetEvent(%s).occurrenceInfo = %+v, want %s", id, ev.OccurrenceInfo, typ)
		}
	}
	// The cancelled occurrence is gone.
	_, err = e.c.GetEvent(ctx, e.acct, "primary", master.ID+"_20261102T140000Z")
	calWantKind(t, err, calendar.ErrNotFound)
}

func TestGetEvent_mapping(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	berlin := calZone(t, "Europe/Berlin")
	meeting := e.seed(t, googletest.Event{Summary: "Planning", Description: "<p>Agenda:<br>1. budget &amp; plan</p>", Location: "Room 1",
		Organizer: &googletest.EventPerson{Email: bob.Email, DisplayName: "Bob Other"},
		Start:     &googletest.EventDateTime{DateTime: "2026-06-01T15:00:00+02:00", TimeZone: "Europe/Berlin"},
		End:       &googletest.EventDateTime{DateTime: "2026-06-01T16:00:00+02:00", TimeZone: "Europe/Berlin"},
		Attendees: []googletest.EventAttendee{
			{Email: bob.Email, DisplayName: "Bob Other", ResponseStatus: "accepted"},
			{Email: alice.Email, DisplayName: "Alice Example", ResponseStatus: "tentative", Comment: "maybe"},
			{Email: carol.Email, Optional: true, ResponseStatus: "declined"},
			{Email: "room-1@resource.calendar.google.com", DisplayName: "Room 1", Resource: true},
		},
		HangoutLink: "https://meet.google.com/abc-defg-hij", Transparency: "transparent", Visibility: "private",
		Reminders: &googletest.EventReminders{Overrides: []googletest.EventReminder{{Method: "popup", Minutes: 10}, {Method: "email", Minutes: 10}, {Method: "popup", Minutes: 30}}},
	})
	allDay := e.seed(t, googletest.Event{Summary: "Holiday", Start: &googletest.EventDateTime{Date: "2026-07-03"},
		End: &googletest.EventDateTime{Date: "2026-07-04"}, Visibility: "confidential"})
	created := e.clock.Now().UTC()
	for _, tc := range []struct {
		name string
		id   string
		want func(got calendar.Event) calendar.Event
	}{
		{"meeting organized by another", meeting.ID, func(got calendar.Event) calendar.Event {
			start, end := time.Date(2026, 6, 1, 15, 0, 0, 0, berlin), time.Date(2026, 6, 1, 16, 0, 0, 0, berlin)
			return calendar.Event{ID: meeting.ID, ETag: meeting.ETag, CalendarID: "primary", CreatedTime: &created, LastModifiedTime: &created,
				Subject: "Planning", Description: "Agenda:\n1. budget & plan", Location: "Room 1",
				Start: calendar.At(start, berlin), End: calendar.At(end, berlin),
				Organizer: &calendar.Organizer{EmailAddress: calendar.EmailAddress{Name: "Bob Other", Address: bob.Email}},
				MeetingInfo: &calendar.MeetingInfo{Response: calendar.ResponseTentative, Attendees: []calendar.Attendee{
					{EmailAddress: calendar.EmailAddress{Name: "Alice Example", Address: alice.Email}, Type: "required", Response: "tentative", Comment: "maybe"},
					{EmailAddress: calendar.EmailAddress{Address: carol.Email}, Type: "optional", Response: "declined"},
					{EmailAddress: calendar.EmailAddress{Name: "Room 1", Address: "room-1@resource.calendar.google.com"}, Type: "resource", Response: "noResponse"},
				}, OnlineMeetingProvider: "hangoutsMeet", OnlineMeetingDetails: &calendar.OnlineMeetingDetails{URL: "https://meet.google.com/abc-defg-hij"}},
				RecurrenceType: calendar.RecurrenceSingle,
				Reminder:       &calendar.Reminder{Overrides: []calendar.ReminderOverride{{Minutes: 10}, {Minutes: 30}}},
				ICalUID:        got.ICalUID, ShowAs: calendar.ShowFree, Sensitivity: calendar.SensitivityPrivate, HTMLLink: got.HTMLLink,
			}
		}},
		{"all-day event", allDay.ID, func(got calendar.Event) calendar.Event {
			return calendar.Event{ID: allDay.ID, ETag: allDay.ETag, CalendarID: "primary", CreatedTime: &created, LastModifiedTime: &created,
				Subject: "Holiday", Start: calendar.OnDate("2026-07-03"), End: calendar.OnDate("2026-07-04"),
				Organizer:      &calendar.Organizer{EmailAddress: calendar.EmailAddress{Name: alice.Name, Address: alice.Email}},
				RecurrenceType: calendar.RecurrenceSingle, Reminder: &calendar.Reminder{UseDefault: true},
				ICalUID: got.ICalUID, ShowAs: calendar.ShowBusy, Sensitivity: calendar.SensitivityConfidential, HTMLLink: got.HTMLLink,
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.c.GetEvent(ctx, e.acct, "primary", tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.ICalUID == "" || got.HTMLLink == "" {
				t.Errorf("iCalUID %q, htmlLink %q", got.ICalUID, got.HTMLLink)
			}
			calJSONEqual(t, "event", normalizedEvents(got), normalizedEvents(tc.want(got)))
		})
	}
}

func TestCreateUpdateEvent(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	ny := calZone(t, nyZone)
	start := calendar.At(time.Date(2026, 6, 10, 14, 0, 0, 0, ny), ny)
	end := calendar.At(time.Date(2026, 6, 10, 15, 0, 0, 0, ny), ny)
	ch := calendar.EventChange{Subject: calPtr("Design review"), Description: calPtr("Bring drafts"), Start: &start, End: &end,
		MeetingInfo: &calendar.MeetingInfo{OnlineMeeting: true, Attendees: []calendar.Attendee{
			{EmailAddress: calendar.EmailAddress{Name: "Bob", Address: bob.Email}},
			{EmailAddress: calendar.EmailAddress{Address: carol.Email}, Type: calendar.AttendeeOptional},
		}},
		Sensitivity: calPtr(calendar.SensitivityConfidential), ShowAs: calPtr(calendar.ShowBusy),
		Reminder:   &calendar.Reminder{Overrides: []calendar.ReminderOverride{{Minutes: 15}}},
		Categories: &[]string{"ignored by Google"},
	}
	if err := ch.Validate(true); err != nil {
		t.Fatal(err)
	}
	created, err := e.c.CreateEvent(ctx, e.acct, "primary", ch)
	if err != nil {
		t.Fatal(err)
	}
	ins := e.log.last(t, http.MethodPost, "/calendars/primary/events")
	if q := ins.url.Query(); q.Get("conferenceDataVersion") != "1" || q.Get("sendUpdates") != "all" {
		t.Errorf("events.insert query = %v", q)
	}
	if !strings.Contains(ins.body, `"conferenceSolutionKey":{"type":"hangoutsMeet"}`) || strings.Contains(ins.body, "ignored by Google") {
		t.Errorf("events.insert body = %s", ins.body)
	}
	mi := created.MeetingInfo
	if mi == nil || mi.Response != calendar.ResponseAccepted || mi.OnlineMeetingProvider != "hangoutsMeet" ||
		mi.OnlineMeetingDetails == nil || !strings.HasPrefix(mi.OnlineMeetingDetails.URL, "https://meet.google.com/") {
		t.Fatalf("created meetingInfo = %+v", mi)
	}
	if len(mi.Attendees) != 2 || mi.Attendees[0].Type != "required" || mi.Attendees[1].Type != "optional" || mi.Attendees[0].Response != "noResponse" {
		t.Errorf("attendees = %+v", mi.Attendees)
	}
	if created.Organizer == nil || created.Organizer.EmailAddress.Address != alice.Email || created.Sensitivity != "confidential" ||
		created.Start.TimeZone != nyZone || !created.Start.DateTime.Equal(*start.DateTime) || created.Subject != "Design review" {
		t.Errorf("created = %+v", created)
	}
	stored, _ := e.g.Event(alice.Email, "primary", created.ID)
	if stored.Start.TimeZone != nyZone || stored.Visibility != "confidential" || stored.Transparency != "opaque" ||
		stored.Reminders == nil || stored.Reminders.UseDefault || len(stored.Reminders.Overrides) != 1 {
		t.Errorf("stored = %+v", stored)
	}

	// If-Match: the etag read works once; then it is stale.
	upd, err := e.c.UpdateEvent(ctx, e.acct, "primary", created.ID, calendar.EventChange{Subject: calPtr("Design review v2")}, created.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Subject != "Design review v2" || upd.ETag == created.ETag || upd.Description != "Bring drafts" {
		t.Errorf("updated = %+v", upd)
	}
	if h := e.log.last(t, http.MethodPatch, "/events/"+created.ID).header.Get("If-Match"); h != created.ETag {
		t.Errorf("If-Match = %q, want %q", h, created.ETag)
	}
	_, err = e.c.UpdateEvent(ctx, e.acct, "primary", created.ID, calendar.EventChange{Subject: calPtr("lost")}, created.ETag)
	calWantKind(t, err, calendar.ErrPrecondition)
	_, err = e.c.UpdateEvent(ctx, e.acct, "primary", created.ID, calendar.EventChange{MeetingInfo: &calendar.MeetingInfo{}}, created.ETag)
	calWantKind(t, err, calendar.ErrPrecondition)

	// From a time to a day (the patch clears dateTime), then a series.
	day := calendar.EventChange{Start: calPtr(calendar.OnDate("2026-06-11")), End: calPtr(calendar.OnDate("2026-06-12"))}
	if err := day.Validate(false); err != nil {
		t.Fatal(err)
	}
	upd, err = e.c.UpdateEvent(ctx, e.acct, "primary", created.ID, day, "")
	if err != nil {
		t.Fatal(err)
	}
	if upd.Start != calendar.OnDate("2026-06-11") || upd.End != calendar.OnDate("2026-06-12") {
		t.Errorf("all-day = %+v / %+v", upd.Start, upd.End)
	}
	series := calendar.EventChange{Start: &start, End: &end, Recurrence: &calendar.Recurrence{Simple: &calendar.SimpleRecurrence{
		Pattern: calendar.Pattern{Frequency: calendar.FreqDaily}, Range: calendar.Range{Type: calendar.RangeByCount, Count: 3}}}}
	if err := series.Validate(false); err != nil {
		t.Fatal(err)
	}
	upd, err = e.c.UpdateEvent(ctx, e.acct, "primary", created.ID, series, "")
	if err != nil {
		t.Fatal(err)
	}
	if upd.RecurrenceType != calendar.RecurrenceMaster || upd.Recurrence == nil || !slices.Equal(upd.Recurrence.ICal.Rules, []string{"RRULE:FREQ=DAILY;COUNT=3"}) {
		t.Errorf("series = %+v %+v", upd.RecurrenceType, upd.Recurrence)
	}
	if upd.MeetingInfo == nil || upd.MeetingInfo.OnlineMeetingDetails == nil {
		t.Errorf("the conference was lost: %+v", upd.MeetingInfo)
	}
}

func TestUpdateEvent_guestsKeepTheirAnswers(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ev := e.seed(t, googletest.Event{Summary: "Sync", Start: nyTime("2026-06-03T10:00:00"), End: nyTime("2026-06-03T11:00:00"),
		Attendees: []googletest.EventAttendee{
			{Email: alice.Email, ResponseStatus: "accepted"},
			{Email: carol.Email, ResponseStatus: "accepted", Comment: "yes"},
			{Email: bob.Email, ResponseStatus: "declined"},
		}})
	got, err := e.c.UpdateEvent(context.Background(), e.acct, "primary", ev.ID, calendar.EventChange{MeetingInfo: &calendar.MeetingInfo{
		Attendees: []calendar.Attendee{
			{EmailAddress: calendar.EmailAddress{Address: "Carol@gmail.com"}, Type: calendar.AttendeeRequired},
			{EmailAddress: calendar.EmailAddress{Address: dave.Email}, Type: calendar.AttendeeOptional},
		}}}, ev.ETag)
	if err != nil {
		t.Fatal(err)
	}
	calJSONEqual(t, "attendees", got.MeetingInfo.Attendees, []calendar.Attendee{
		{EmailAddress: calendar.EmailAddress{Address: "Carol@gmail.com"}, Type: "required", Response: "accepted", Comment: "yes"},
		{EmailAddress: calendar.EmailAddress{Address: dave.Email}, Type: "optional", Response: "noResponse"},
	})
	stored, _ := e.g.Event(alice.Email, "primary", ev.ID)
	if len(stored.Attendees) != 3 || stored.Attendees[0].Email != alice.Email || !stored.Attendees[0].Organizer {
		t.Errorf("stored attendees = %+v", stored.Attendees)
	}
}

func TestDeleteEvent(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	single := e.seed(t, googletest.Event{Summary: "Lunch", Start: nyTime("2026-06-03T12:00:00"), End: nyTime("2026-06-03T13:00:00")})
	master := standupSeries(t, e)

	err := e.c.DeleteEvent(ctx, e.acct, "primary", single.ID, `"1"`)
	calWantKind(t, err, calendar.ErrPrecondition)
	if err := e.c.DeleteEvent(ctx, e.acct, "primary", single.ID, single.ETag); err != nil {
		t.Fatal(err)
	}
	if r := e.log.last(t, http.MethodDelete, "/events/"+single.ID); r.header.Get("If-Match") != single.ETag || r.url.Query().Get("sendUpdates") != "all" {
		t.Errorf("events.delete: If-Match %q, query %v", r.header.Get("If-Match"), r.url.Query())
	}
	_, err = e.c.GetEvent(ctx, e.acct, "primary", single.ID)
	calWantKind(t, err, calendar.ErrNotFound)
	calWantKind(t, e.c.DeleteEvent(ctx, e.acct, "primary", single.ID, ""), calendar.ErrNotFound)
	calWantKind(t, e.c.DeleteEvent(ctx, e.acct, "primary", "nosuchevent0", ""), calendar.ErrNotFound)

	// One occurrence.
	if err := e.c.DeleteEvent(ctx, e.acct, "primary", master.ID+"_20261109T140000Z", ""); err != nil {
		t.Fatal(err)
	}
	p, err := e.c.ListEventRange(ctx, e.acct, calendar.RangeRequest{CalendarID: "primary",
		TimeMin: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 {
		t.Errorf("after deleting an occurrence: %d events", len(p.Events))
	}
}

func TestRespondEvent(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	invite := e.seed(t, googletest.Event{Summary: "Invite", Organizer: &googletest.EventPerson{Email: bob.Email},
		Start: nyTime("2026-06-04T10:00:00"), End: nyTime("2026-06-04T11:00:00"),
		Attendees: []googletest.EventAttendee{{Email: bob.Email, ResponseStatus: "accepted"}, {Email: alice.Email}, {Email: carol.Email}}})
	own := e.seed(t, googletest.Event{Summary: "Mine", Start: nyTime("2026-06-04T12:00:00"), End: nyTime("2026-06-04T13:00:00"),
		Attendees: []googletest.EventAttendee{{Email: carol.Email}}})
	other := e.seed(t, googletest.Event{Summary: "Not invited", Organizer: &googletest.EventPerson{Email: bob.Email},
		Start: nyTime("2026-06-04T14:00:00"), End: nyTime("2026-06-04T15:00:00"), Attendees: []googletest.EventAttendee{{Email: carol.Email}}})
	for _, tc := range []struct {
		name     string
		id       string
		req      calendar.ResponseRequest
		kind     error
		response string
		send     string
	}{
		{"accept quietly", invite.ID, calendar.ResponseRequest{Response: calendar.ResponseAccepted, Comment: "See you"}, nil, "accepted", "none"},
		{"decline and tell the organizer", invite.ID, calendar.ResponseRequest{Response: calendar.ResponseDeclined, Notify: true}, nil, "declined", "all"},
		{"the organizer cannot answer", own.ID, calendar.ResponseRequest{Response: calendar.ResponseAccepted}, calendar.ErrConflict, "", ""},
		{"not invited", other.ID, calendar.ResponseRequest{Response: calendar.ResponseAccepted}, calendar.ErrConflict, "", ""},
		{"no such event", "nosuchevent0", calendar.ResponseRequest{Response: calendar.ResponseAccepted}, calendar.ErrNotFound, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.c.RespondEvent(ctx, e.acct, "primary", tc.id, tc.req)
			if tc.kind != nil {
				calWantKind(t, err, tc.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := e.log.last(t, http.MethodPatch, "/events/"+tc.id)
			if r.url.Query().Get("sendUpdates") != tc.send || r.header.Get("If-Match") == "" {
				t.Errorf("events.patch: query %v, If-Match %q", r.url.Query(), r.header.Get("If-Match"))
			}
			stored, _ := e.g.Event(alice.Email, "primary", tc.id)
			if len(stored.Attendees) != 3 || stored.Attendees[1].ResponseStatus != tc.response || stored.Attendees[1].Comment != "See you" ||
				stored.Attendees[0].ResponseStatus != "accepted" {
				t.Errorf("attendees = %+v", stored.Attendees)
			}
			got, err := e.c.GetEvent(ctx, e.acct, "primary", tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.MeetingInfo.Response != tc.response {
				t.Errorf("meetingInfo.response = %q", got.MeetingInfo.Response)
			}
		})
	}
}

func TestFreeBusy(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	utc := func(h, m int) time.Time { return time.Date(2026, 6, 1, h, m, 0, 0, time.UTC) }
	for _, ev := range []googletest.Event{
		{Summary: "a", Start: &googletest.EventDateTime{DateTime: "2026-06-01T10:00:00Z"}, End: &googletest.EventDateTime{DateTime: "2026-06-01T11:00:00Z"}},
		{Summary: "b", Start: &googletest.EventDateTime{DateTime: "2026-06-01T10:30:00Z"}, End: &googletest.EventDateTime{DateTime: "2026-06-01T12:00:00Z"}},
		{Summary: "free", Transparency: "transparent", Start: &googletest.EventDateTime{DateTime: "2026-06-01T14:00:00Z"}, End: &googletest.EventDateTime{DateTime: "2026-06-01T15:00:00Z"}},
	} {
		e.seed(t, ev)
	}
	got, err := e.c.FreeBusy(context.Background(), e.acct, calendar.FreeBusyRequest{TimeMin: utc(0, 0), TimeMax: utc(23, 0),
		Emails: []string{alice.Email, bob.Email}})
	if err != nil {
		t.Fatal(err)
	}
	calJSONEqual(t, "schedules", got, []calendar.FreeBusySchedule{
		{Email: alice.Email, Items: []calendar.FreeBusyItem{{Start: utc(10, 0), End: utc(12, 0), Status: "busy"}}},
		{Email: bob.Email, Items: []calendar.FreeBusyItem{}, Error: "notFound"},
	})
}

func TestCalendars(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	e.setZone(t, nyZone)
	for i := range 3 {
		if _, err := e.g.SeedCalendar(alice.Email, googletest.Calendar{Summary: "Team " + string(rune('A'+i)), TimeZone: "Europe/Berlin"}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.c.ListCalendars(ctx, e.acct, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Calendars) != 4 || p.NextPage != "" {
		t.Fatalf("calendars = %+v", p)
	}
	primary := p.Calendars[0]
	if !primary.Primary || primary.ID != alice.Email || primary.TimeZone != nyZone || primary.AccessRole != calendar.RoleOwner ||
		!primary.MultipleRemindersSupported || len(primary.DefaultReminders) != 1 || primary.Color == "" {
		t.Errorf("primary = %+v", primary)
	}
	got, err := e.c.GetCalendar(ctx, e.acct, "primary")
	if err != nil {
		t.Fatal(err)
	}
	calJSONEqual(t, "primary by alias", got, primary)

	created, err := e.c.CreateCalendar(ctx, e.acct, calendar.CalendarChange{Name: calPtr("Projects"), Description: calPtr("All projects"),
		TimeZone: calPtr("W. Europe Standard Time")})
	if err != nil {
		t.Fatal(err)
	}
	if created.Name != "Projects" || created.Description != "All projects" || created.TimeZone != "Europe/Berlin" || created.Primary ||
		!strings.HasSuffix(created.ID, "@group.calendar.google.com") {
		t.Errorf("created = %+v", created)
	}
	updated, err := e.c.UpdateCalendar(ctx, e.acct, created.ID, calendar.CalendarChange{Name: calPtr("Projects 2026")})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Name != "Projects 2026" || updated.Description != "All projects" {
		t.Errorf("updated = %+v", updated)
	}
	_, err = e.c.GetCalendar(ctx, e.acct, "nosuch@group.calendar.google.com")
	calWantKind(t, err, calendar.ErrNotFound)
}

// calDeltaRound reads a delta round to its end.
func calDeltaRound(t *testing.T, e *calEnv, cursor string, limit int) (updated []calendar.Event, deleted []string, next string) {
	t.Helper()
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("too many pages")
		}
		p, err := e.c.CalendarDeltaChanges(context.Background(), e.acct, calendar.DeltaRequest{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		updated = append(updated, p.Updated...)
		for _, d := range p.Deleted {
			deleted = append(deleted, d.ID)
		}
		if p.NextPage == "" {
			if p.NextDelta == "" {
				t.Fatal("the last page has no NextDelta")
			}
			return updated, deleted, p.NextDelta
		}
		cursor = p.NextPage
	}
}

func eventIDs(es []calendar.Event) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.ID)
	}
	slices.Sort(out)
	return out
}

func sortedIDs(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}

func TestCalendarDelta(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	e.setZone(t, nyZone)
	inWindow := e.seed(t, googletest.Event{Summary: "In", Start: nyTime("2026-06-02T10:00:00"), End: nyTime("2026-06-02T11:00:00")})
	outside := e.seed(t, googletest.Event{Summary: "Out", Start: nyTime("2026-08-02T10:00:00"), End: nyTime("2026-08-02T11:00:00")})
	series := e.seed(t, googletest.Event{Summary: "Weekly", Start: nyTime("2026-06-01T09:00:00"), End: nyTime("2026-06-01T09:30:00"),
		Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=3"}})
	occ := func(date string) string { return series.ID + "_" + date + "T130000Z" }

	start, err := e.c.CalendarDeltaStart(ctx, e.acct, calendar.SyncOptions{CalendarID: "primary",
		TimeMin: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	upd, del, next := calDeltaRound(t, e, start, 2)
	calJSONEqual(t, "first round", [][]string{eventIDs(upd), sortedIDs(del...)},
		[][]string{sortedIDs(inWindow.ID, occ("20260601"), occ("20260608"), occ("20260615")), {}})

	// Round 2: an edit, a new event, an event outside the window, a moved
	// occurrence and a cancelled occurrence.
	if _, err := e.c.UpdateEvent(ctx, e.acct, "primary", inWindow.ID, calendar.EventChange{Subject: calPtr("In (edited)")}, ""); err != nil {
		t.Fatal(err)
	}
	ny := calZone(t, nyZone)
	s, en := calendar.At(time.Date(2026, 6, 20, 8, 0, 0, 0, ny), ny), calendar.At(time.Date(2026, 6, 20, 9, 0, 0, 0, ny), ny)
	added, err := e.c.CreateEvent(ctx, e.acct, "primary", calendar.EventChange{Subject: calPtr("New"), Start: &s, End: &en})
	if err != nil {
		t.Fatal(err)
	}
	s2, en2 := calendar.At(time.Date(2026, 9, 20, 8, 0, 0, 0, ny), ny), calendar.At(time.Date(2026, 9, 20, 9, 0, 0, 0, ny), ny)
	if _, err := e.c.CreateEvent(ctx, e.acct, "primary", calendar.EventChange{Subject: calPtr("Far"), Start: &s2, End: &en2}); err != nil {
		t.Fatal(err)
	}
	ms, men := calendar.At(time.Date(2026, 6, 9, 9, 0, 0, 0, ny), ny), calendar.At(time.Date(2026, 6, 9, 9, 30, 0, 0, ny), ny)
	if _, err := e.c.UpdateEvent(ctx, e.acct, "primary", occ("20260608"), calendar.EventChange{Start: &ms, End: &men}, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteEvent(ctx, e.acct, "primary", occ("20260615"), ""); err != nil {
		t.Fatal(err)
	}
	upd, del, next = calDeltaRound(t, e, next, 100)
	calJSONEqual(t, "second round updated", eventIDs(upd), sortedIDs(inWindow.ID, added.ID, occ("20260608")))
	for _, ev := range upd {
		if ev.ID == occ("20260608") && (ev.OccurrenceInfo == nil || ev.OccurrenceInfo.Type != calendar.OccurrenceModified) {
			t.Errorf("moved occurrence = %+v", ev.OccurrenceInfo)
		}
		if ev.ID == inWindow.ID && ev.Subject != "In (edited)" {
			t.Errorf("edited = %q", ev.Subject)
		}
	}
	// The event created outside the window is reported deleted (it may
	// have moved out); the client holds no such id.
	if !slices.Contains(del, occ("20260615")) || len(del) != 2 {
		t.Errorf("second round deleted = %q", del)
	}

	// Round 3: the series and the event outside go; the window's other
	// event moves out.
	if err := e.c.DeleteEvent(ctx, e.acct, "primary", series.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteEvent(ctx, e.acct, "primary", outside.ID, ""); err != nil {
		t.Fatal(err)
	}
	out1, out2 := calendar.At(time.Date(2026, 7, 2, 10, 0, 0, 0, ny), ny), calendar.At(time.Date(2026, 7, 2, 11, 0, 0, 0, ny), ny)
	if _, err := e.c.UpdateEvent(ctx, e.acct, "primary", added.ID, calendar.EventChange{Start: &out1, End: &out2}, ""); err != nil {
		t.Fatal(err)
	}
	upd, del, next = calDeltaRound(t, e, next, 100)
	calJSONEqual(t, "third round", [][]string{eventIDs(upd), sortedIDs(del...)}, [][]string{{},
		sortedIDs(series.ID, occ("20260601"), occ("20260608"), occ("20260615"), outside.ID, added.ID)})

	// A quiet round, then Google expires the token.
	upd, del, next = calDeltaRound(t, e, next, 100)
	if len(upd)+len(del) != 0 {
		t.Errorf("quiet round: %q %q", eventIDs(upd), del)
	}
	e.g.ExpireSyncTokens()
	_, err = e.c.CalendarDeltaChanges(ctx, e.acct, calendar.DeltaRequest{Cursor: next, Limit: 10})
	calWantKind(t, err, calendar.ErrCursorExpired)
	if q := e.log.last(t, http.MethodGet, "/events").url.Query(); q.Get("syncToken") == "" || q.Has("timeMin") || q.Has("timeMax") || q.Get("singleEvents") != "true" {
		t.Errorf("incremental events.list query = %v", q)
	}
}

// calStub is a Calendar API that answers with a handler the test sets,
// recording the requests.
type calStub struct {
	mu     sync.Mutex
	answer func(w http.ResponseWriter, r *http.Request)
	paths  []string // escaped paths
}

func newCalStub(t *testing.T) (*calStub, *google.Connector, calendar.Account) {
	t.Helper()
	s := &calStub{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.EscapedPath())
		answer := s.answer
		s.mu.Unlock()
		if answer == nil {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: &google.Endpoints{CalendarBaseURL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &xoauth2.Transport{Source: xoauth2.StaticTokenSource(&xoauth2.Token{AccessToken: "ya29.secret-token"})}}
	return s, c, calendar.Account{ID: 1, Email: alice.Email, Client: hc}
}

func (s *calStub) set(f func(w http.ResponseWriter, r *http.Request)) {
	s.mu.Lock()
	s.answer, s.paths = f, nil
	s.mu.Unlock()
}

func (s *calStub) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths)
}

func calErrorBody(code int, reason, message string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": message,
		"errors": []map[string]string{{"domain": "global", "reason": reason, "message": message}}}})
	return string(b)
}

func TestCalendarErrors_classification(t *testing.T) {
	t.Parallel()
	s, c, acct := newCalStub(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		status     int
		reason     string
		retryAfter string
		kind       error
		wait       time.Duration
	}{
		{"404", 404, "notFound", "", calendar.ErrNotFound, 0},
		{"410 deleted", 410, "deleted", "", calendar.ErrNotFound, 0},
		{"410 full sync", 410, "fullSyncRequired", "", calendar.ErrCursorExpired, 0},
		{"412", 412, "conditionNotMet", "", calendar.ErrPrecondition, 0},
		{"409", 409, "duplicate", "", calendar.ErrConflict, 0},
		{"429 with Retry-After", 429, "rateLimitExceeded", "7", calendar.ErrRateLimited, 7 * time.Second},
		{"403 rate limit", 403, "userRateLimitExceeded", "", calendar.ErrRateLimited, 0},
		{"403 scopes", 403, "insufficientPermissions", "", calendar.ErrDenied, 0},
		{"401", 401, "authError", "", calendar.ErrDenied, 0},
		{"400", 400, "invalid", "", calendar.ErrInvalid, 0},
		{"500", 500, "backendError", "", calendar.ErrUnavailable, 0},
		{"503 with Retry-After", 503, "backendError", "3", calendar.ErrUnavailable, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.set(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, calErrorBody(tc.status, tc.reason, "Invalid recurrence rule."))
			})
			_, err := c.GetEvent(ctx, acct, "primary", "abcdef123")
			ce := calWantKind(t, err, tc.kind)
			if ce.RetryAfter != tc.wait || ce.Status != tc.status {
				t.Errorf("retryAfter %v, status %d", ce.RetryAfter, ce.Status)
			}
			if tc.status == 400 && !strings.Contains(ce.Message, "Invalid recurrence rule.") {
				t.Errorf("message %q lacks Google's", ce.Message)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("the error names the token: %v", err)
			}
		})
	}
	t.Run("unreadable answer", func(t *testing.T) {
		s.set(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html>") })
		_, err := c.GetEvent(ctx, acct, "primary", "abcdef123")
		calWantKind(t, err, calendar.ErrUnavailable)
	})
}

func TestCalendar_hostileInputs(t *testing.T) {
	t.Parallel()
	s, c, acct := newCalStub(t)
	ctx := context.Background()
	b64 := func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }
	window := calendar.RangeRequest{CalendarID: "primary", TimeMin: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	for _, cursor := range []string{"%%%", "not base64!", b64("not json"), b64(`{"p":""}`), b64(`[1,2]`)} {
		t.Run("range cursor "+cursor, func(t *testing.T) {
			s.set(nil)
			req := window
			req.Page = cursor
			_, err := c.ListEventRange(ctx, acct, req)
			calWantKind(t, err, calendar.ErrInvalid)
			_, err = c.ListCalendars(ctx, acct, cursor)
			calWantKind(t, err, calendar.ErrInvalid)
			if n := len(s.requested()); n != 0 {
				t.Errorf("%d requests made with a bad cursor", n)
			}
		})
	}
	for _, cursor := range []string{"", "%%%", b64("{}"), b64(`{"c":"primary","a":20,"b":10}`), b64(`{"c":"","a":1,"b":2}`)} {
		t.Run("delta cursor "+cursor, func(t *testing.T) {
			s.set(nil)
			_, err := c.CalendarDeltaChanges(ctx, acct, calendar.DeltaRequest{Cursor: cursor})
			calWantKind(t, err, calendar.ErrInvalid)
			if n := len(s.requested()); n != 0 {
				t.Errorf("%d requests made with a bad cursor", n)
			}
		})
	}
	// Ids are escaped into one path segment each.
	empty := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"kind":"calendar#events","items":[],"nextSyncToken":"x"}`)
	}
	for _, tc := range []struct {
		name, calendarID, eventID, want string
	}{
		{"calendar id with slash, query and fragment", "a/b?c#d", "e1", "/calendar/v3/calendars/a%2Fb%3Fc%23d/events/e1"},
		{"event id climbing out", "primary", "../../users/me/calendarList", "/calendar/v3/calendars/primary/events/..%2F..%2Fusers%2Fme%2FcalendarList"},
		{"address calendar id", "team@group.calendar.google.com", "x_20260101T100000Z", "/calendar/v3/calendars/team@group.calendar.google.com/events/x_20260101T100000Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.set(empty)
			_ = c.DeleteEvent(ctx, acct, tc.calendarID, tc.eventID, "")
			if got := s.requested(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("requested %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("a sync page without any token", func(t *testing.T) {
		s.set(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"items":[]}`)
		})
		_, err := c.CalendarDeltaChanges(ctx, acct, calendar.DeltaRequest{Cursor: b64(`{"c":"primary","a":1,"b":2,"s":"tok"}`)})
		calWantKind(t, err, calendar.ErrUnavailable)
	})
}

func TestEvent_zoneFallsBackToCalendar(t *testing.T) {
	t.Parallel()
	e := newCalEnv(t)
	ctx := context.Background()
	e.setZone(t, nyZone)
	ev := e.seed(t, googletest.Event{Summary: "Offset only", Start: &googletest.EventDateTime{DateTime: "2026-06-01T10:00:00Z"},
		End: &googletest.EventDateTime{DateTime: "2026-06-01T11:00:00Z"}})
	got, err := e.c.GetEvent(ctx, e.acct, "primary", ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.c.ListEventRange(ctx, e.acct, calendar.RangeRequest{CalendarID: "primary",
		TimeMin: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 1 {
		t.Fatalf("range = %d events", len(p.Events))
	}
	for _, ev := range normalizedEvents(got, p.Events[0]) {
		if ev.Start.TimeZone != nyZone || ev.Start.DateTime.Format(time.RFC3339) != "2026-06-01T06:00:00-04:00" ||
			ev.End.TimeZone != nyZone || ev.End.DateTime.Format(time.RFC3339) != "2026-06-01T07:00:00-04:00" {
			t.Errorf("start %v %q, end %v %q", ev.Start.DateTime, ev.Start.TimeZone, ev.End.DateTime, ev.End.TimeZone)
		}
	}
}

func TestCalendarColor_requestShape(t *testing.T) {
	t.Parallel()
	s, c, acct := newCalStub(t)
	var mu sync.Mutex
	var seen []string
	s.set(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodPost:
			_, _ = io.WriteString(w, `{"kind":"calendar#calendar","id":"c1@group.calendar.google.com","summary":"Blue","timeZone":"UTC"}`)
		default:
			_, _ = io.WriteString(w, `{"kind":"calendar#calendarListEntry","id":"c1@group.calendar.google.com","summary":"Blue",
				"timeZone":"UTC","backgroundColor":"#0000ff","foregroundColor":"#000000","accessRole":"owner"}`)
		}
	})
	got, err := c.CreateCalendar(context.Background(), acct, calendar.CalendarChange{Name: calPtr("Blue"), Color: calPtr("#0000ff")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Color != "#0000ff" || got.AccessRole != calendar.RoleOwner || got.TimeZone != "UTC" {
		t.Errorf("calendar = %+v", got)
	}
	calJSONEqual(t, "requests", seen, []string{
		`POST /calendar/v3/calendars? {"summary":"Blue"}`,
		`PATCH /calendar/v3/users/me/calendarList/c1@group.calendar.google.com?colorRgbFormat=true {"backgroundColor":"#0000ff","foregroundColor":"#000000"}`,
	})
}
