package office365_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/unified/calendar"
)

// calSeen is a request the account's client sent.
type calSeen struct {
	method, path string // path as sent (escaped)
	query        url.Values
	header       http.Header
	body         []byte
}

// calTransport records the account's requests and may rewrite Graph's
// answers (to play documented Graph behaviour the fake does not).
type calTransport struct {
	base    http.RoundTripper
	rewrite func(req *http.Request, body []byte) []byte

	mu   sync.Mutex
	seen []calSeen
}

func (ct *calTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := calSeen{method: req.Method, path: req.URL.EscapedPath(), query: req.URL.Query(), header: req.Header.Clone()}
	if req.Body != nil {
		s.body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(s.body))
	}
	ct.mu.Lock()
	ct.seen = append(ct.seen, s)
	ct.mu.Unlock()
	resp, err := ct.base.RoundTrip(req)
	if err != nil || ct.rewrite == nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = ct.rewrite(req, body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func (ct *calTransport) requests() []calSeen {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return slices.Clone(ct.seen)
}

func (ct *calTransport) last() calSeen {
	r := ct.requests()
	if len(r) == 0 {
		return calSeen{}
	}
	return r[len(r)-1]
}

// calAccount signs user in with the calendar scopes and returns the
// account whose client the connector uses.
func calAccount(t *testing.T, e env, user graphtest.User, rewrite func(*http.Request, []byte) []byte) (calendar.Account, *calTransport) {
	t.Helper()
	g, err := e.signIn(t, user.UserPrincipalName, connectors.CalendarReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	ct := &calTransport{base: &oauth2.Transport{Source: oauth2.StaticTokenSource(g.Token)}, rewrite: rewrite}
	return calendar.Account{ID: 7, Email: g.Identity.Email, AuthUserID: g.Identity.AuthUserID, Client: &http.Client{Transport: ct}}, ct
}

func calSetup(t *testing.T) (env, calendar.Account, *calTransport) {
	t.Helper()
	e := newEnv(t, nil, nil)
	acct, ct := calAccount(t, e, alice, nil)
	return e, acct, ct
}

func nyZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func seedCalEvent(t *testing.T, e env, oid, calendarID string, ev graphtest.Event) graphtest.Event {
	t.Helper()
	got, err := e.fake.SeedEvent(oid, calendarID, ev)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// calWantKind checks that err is a *calendar.Error of kind.
func calWantKind(t *testing.T, err, kind error) *calendar.Error {
	t.Helper()
	var ce *calendar.Error
	if !errors.As(err, &ce) || !errors.Is(err, kind) {
		t.Fatalf("err = %v, want a calendar.Error of kind %v", err, kind)
	}
	return ce
}

func rfc3339(d calendar.DateTime) string {
	if d.DateTime == nil {
		return "date " + d.DateOnly
	}
	return d.DateTime.Format(time.RFC3339) + " " + d.TimeZone
}

func calCursorOf(kind, u, cal string) string {
	b, _ := json.Marshal(map[string]string{"k": kind, "u": u, "c": cal})
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestCalendars_listGetCreateUpdate(t *testing.T) {
	t.Parallel()
	e, acct, _ := calSetup(t)
	ctx := context.Background()
	if _, err := e.fake.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: "Team", Color: "lightGreen"}); err != nil {
		t.Fatal(err)
	}
	shared, err := e.fake.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: "Bob's", Owner: graphtest.Recipient{Name: "Bob", Address: "bob@b.example"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.c.ListCalendars(ctx, acct, "")
	if err != nil {
		t.Fatal(err)
	}
	if page.NextPage != "" || len(page.Calendars) != 3 {
		t.Fatalf("page = %+v", page)
	}
	def := page.Calendars[0]
	if def.ID != e.fake.DefaultCalendarID(alice.ObjectID) || !def.Primary || def.AccessRole != calendar.RoleOwner || def.Name != "Calendar" || def.Color != "" {
		t.Errorf("default calendar = %+v", def)
	}
	if c := page.Calendars[1]; c.Name != "Team" || c.Primary || c.AccessRole != calendar.RoleOwner || c.Color != "lightGreen" {
		t.Errorf("team calendar = %+v", c)
	}
	if c := page.Calendars[2]; c.ID != shared.ID || c.AccessRole != calendar.RoleWriter {
		t.Errorf("shared calendar = %+v, want writer", c)
	}

	got, err := e.c.GetCalendar(ctx, acct, calendar.PrimaryID)
	if err != nil || got.ID != def.ID {
		t.Fatalf("GetCalendar(primary) = %+v, %v", got, err)
	}
	_, err = e.c.GetCalendar(ctx, acct, "AAMkNoSuchCalendar")
	calWantKind(t, err, calendar.ErrNotFound)

	name, color := "Projects", "lightBlue"
	created, err := e.c.CreateCalendar(ctx, acct, calendar.CalendarChange{Name: &name, Color: &color})
	if err != nil || created.Name != name || created.Color != "lightBlue" || created.AccessRole != calendar.RoleOwner || created.ID == "" {
		t.Fatalf("CreateCalendar = %+v, %v", created, err)
	}
	_, err = e.c.CreateCalendar(ctx, acct, calendar.CalendarChange{Name: &name})
	calWantKind(t, err, calendar.ErrConflict)
	hex := "#ff0000"
	other := "Other"
	_, err = e.c.CreateCalendar(ctx, acct, calendar.CalendarChange{Name: &other, Color: &hex})
	var fe *calendar.FieldError
	if !errors.As(err, &fe) || fe.Field != "color" {
		t.Fatalf("hex color: err = %v, want a color FieldError", err)
	}

	renamed := "Projects 2026"
	upd, err := e.c.UpdateCalendar(ctx, acct, created.ID, calendar.CalendarChange{Name: &renamed})
	if err != nil || upd.Name != renamed || upd.ID != created.ID {
		t.Fatalf("UpdateCalendar = %+v, %v", upd, err)
	}
	teal := "lightTeal"
	prim, err := e.c.UpdateCalendar(ctx, acct, calendar.PrimaryID, calendar.CalendarChange{Color: &teal})
	if err != nil || prim.ID != def.ID || prim.Color != "lightTeal" {
		t.Fatalf("UpdateCalendar(primary) = %+v, %v", prim, err)
	}
}

// weeklyDST seeds a weekly Monday 09:00 "Eastern Standard Time" series of
// four from 2026-10-19 (US daylight saving time ends on 2026-11-01), moves
// and retitles the 2026-10-26 occurrence and cancels the 2026-11-02 one.
func weeklyDST(t *testing.T, e env) (master graphtest.Event, ny *time.Location) {
	t.Helper()
	ny = nyZone(t)
	master = seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{
		Subject: "Team sync", Body: "Weekly status", Start: time.Date(2026, 10, 19, 9, 0, 0, 0, ny), End: time.Date(2026, 10, 19, 9, 30, 0, 0, ny),
		TimeZone: "Eastern Standard Time", Location: graphtest.Location{DisplayName: "Room 1"},
		Attendees: []graphtest.Attendee{{Name: "Bob", Address: "bob@b.example", Response: "accepted"}},
		Recurrence: &graphtest.Recurrence{
			Pattern: graphtest.RecurrencePattern{Type: "weekly", Interval: 1, DaysOfWeek: []string{"monday"}},
			Range:   graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-10-19", NumberOfOccurrences: 4},
		},
	})
	if _, err := e.fake.SeedOccurrenceChange(alice.ObjectID, master.ID, time.Date(2026, 10, 26, 9, 0, 0, 0, ny), func(ev *graphtest.Event) {
		ev.Subject = "Moved sync"
		ev.Start, ev.End = time.Date(2026, 10, 26, 10, 30, 0, 0, ny), time.Date(2026, 10, 26, 11, 0, 0, 0, ny)
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.CancelOccurrence(alice.ObjectID, master.ID, time.Date(2026, 11, 2, 9, 0, 0, 0, ny)); err != nil {
		t.Fatal(err)
	}
	return master, ny
}

func TestListEventRange_weeklySeriesAcrossDST(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	master, _ := weeklyDST(t, e)

	req := calendar.RangeRequest{CalendarID: calendar.PrimaryID, TimeMin: time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC),
		TimeMax: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), Limit: 2}
	var events []calendar.Event
	pages := 0
	for {
		page, err := e.c.ListEventRange(ctx, acct, req)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 {
			r := ct.last()
			q := r.query
			if r.path != "/v1.0/me/calendar/calendarView" || q.Get("startDateTime") != "2026-10-18T00:00:00Z" || q.Get("endDateTime") != "2026-11-15T00:00:00Z" ||
				q.Get("$top") != "2" || q.Get("$orderby") != "start/dateTime" || !strings.Contains(q.Get("$select"), "originalStart") {
				t.Errorf("first request = %s %v", r.path, q)
			}
			prefer := r.header.Get("Prefer")
			for _, p := range []string{`IdType="ImmutableId"`, `outlook.timezone="UTC"`, `outlook.body-content-type="text"`} {
				if !strings.Contains(prefer, p) {
					t.Errorf("Prefer = %q, want %s", prefer, p)
				}
			}
		}
		pages++
		events = append(events, page.Events...)
		if page.NextPage == "" {
			break
		}
		req.Page = page.NextPage
	}
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
	want := []struct {
		subject, start, end, occType, originalStart string
	}{
		{"Team sync", "2026-10-19T09:00:00-04:00 America/New_York", "2026-10-19T09:30:00-04:00 America/New_York", calendar.OccurrenceRegular, "2026-10-19T09:00:00-04:00 America/New_York"},
		{"Moved sync", "2026-10-26T10:30:00-04:00 America/New_York", "2026-10-26T11:00:00-04:00 America/New_York", calendar.OccurrenceModified, "2026-10-26T09:00:00-04:00 America/New_York"},
		{"Team sync", "2026-11-09T09:00:00-05:00 America/New_York", "2026-11-09T09:30:00-05:00 America/New_York", calendar.OccurrenceRegular, "2026-11-09T09:00:00-05:00 America/New_York"},
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(events), len(want), events)
	}
	for i, w := range want {
		ev := events[i]
		if ev.Subject != w.subject || rfc3339(ev.Start) != w.start || rfc3339(ev.End) != w.end {
			t.Errorf("event %d = %q %s .. %s, want %q %s .. %s", i, ev.Subject, rfc3339(ev.Start), rfc3339(ev.End), w.subject, w.start, w.end)
		}
		oi := ev.OccurrenceInfo
		if ev.RecurrenceType != calendar.RecurrenceOccurrence || oi == nil || oi.Type != w.occType || oi.MasterID != master.ID || rfc3339(oi.OriginalStart) != w.originalStart {
			t.Errorf("event %d: recurrenceType %q occurrenceInfo %+v, want %s from %s", i, ev.RecurrenceType, oi, w.occType, w.originalStart)
		}
		if ev.CalendarID != calendar.PrimaryID || ev.ID == master.ID || ev.ETag == "" || ev.ICalUID != master.ICalUID || ev.Location != "Room 1" {
			t.Errorf("event %d = %+v", i, ev)
		}
		m := ev.MeetingInfo
		if m == nil || len(m.Attendees) != 1 || m.Attendees[0].EmailAddress.Address != "bob@b.example" || m.Attendees[0].Response != calendar.ResponseAccepted ||
			m.Response != calendar.ResponseAccepted || ev.Organizer == nil || ev.Organizer.EmailAddress.Address != alice.Mail {
			t.Errorf("event %d meeting = %+v organizer %+v", i, m, ev.Organizer)
		}
	}

	got, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, master.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RecurrenceType != calendar.RecurrenceMaster || got.Recurrence == nil || got.Recurrence.ICal == nil ||
		!slices.Equal(got.Recurrence.ICal.Rules, []string{"RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"}) {
		t.Fatalf("master = %+v rec %+v", got, got.Recurrence)
	}
	s := got.Recurrence.Simple
	if s == nil || s.Pattern.Frequency != calendar.FreqWeekly || !slices.Equal(s.Pattern.DaysOfWeek, []string{"monday"}) || s.Range.Type != calendar.RangeByCount || s.Range.Count != 4 {
		t.Errorf("master simple recurrence = %+v", s)
	}
	if rfc3339(got.Start) != "2026-10-19T09:00:00-04:00 America/New_York" || got.Description != "Weekly status" {
		t.Errorf("master start %s description %q", rfc3339(got.Start), got.Description)
	}
}

func TestEvents_allDayAndZones(t *testing.T) {
	t.Parallel()
	e, acct, _ := calSetup(t)
	ctx := context.Background()
	ny := nyZone(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	allDay := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Offsite", IsAllDay: true, TimeZone: "Eastern Standard Time",
		Start: time.Date(2026, 3, 7, 0, 0, 0, 0, ny), End: time.Date(2026, 3, 9, 0, 0, 0, 0, ny), ShowAs: "oof", Sensitivity: "private"})
	utcDay := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Holiday", IsAllDay: true, TimeZone: "UTC",
		Start: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), ShowAs: "free"})
	berlinEv := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Call", TimeZone: "Europe/Berlin", EndTimeZone: "W. Europe Standard Time",
		Start: time.Date(2026, 3, 12, 15, 0, 0, 0, berlin), End: time.Date(2026, 3, 12, 16, 0, 0, 0, berlin), ShowAs: "workingElsewhere"})

	tests := []struct {
		id, start, end, showAs, sensitivity string
	}{
		{allDay.ID, "date 2026-03-07", "date 2026-03-09", calendar.ShowOutOfOffice, calendar.SensitivityPrivate},
		{utcDay.ID, "date 2026-03-10", "date 2026-03-11", calendar.ShowFree, calendar.SensitivityNormal},
		{berlinEv.ID, "2026-03-12T15:00:00+01:00 Europe/Berlin", "2026-03-12T16:00:00+01:00 Europe/Berlin", calendar.ShowBusy, calendar.SensitivityNormal},
	}
	for _, tc := range tests {
		got, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if rfc3339(got.Start) != tc.start || rfc3339(got.End) != tc.end || got.ShowAs != tc.showAs || got.Sensitivity != tc.sensitivity ||
			got.RecurrenceType != calendar.RecurrenceSingle || got.MeetingInfo != nil {
			t.Errorf("%s: %s .. %s showAs %q sensitivity %q type %q meeting %+v", got.Subject, rfc3339(got.Start), rfc3339(got.End), got.ShowAs, got.Sensitivity, got.RecurrenceType, got.MeetingInfo)
		}
	}

	page, err := e.c.ListEventRange(ctx, acct, calendar.RangeRequest{CalendarID: calendar.PrimaryID,
		TimeMin: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), Limit: 10})
	if err != nil || len(page.Events) != 2 || page.Events[0].ID != allDay.ID || page.Events[1].ID != utcDay.ID {
		t.Fatalf("range = %+v, %v", page, err)
	}

	// A created all-day event reads back as the same dates.
	start, end := calendar.OnDate("2026-07-03"), calendar.OnDate("2026-07-04")
	subject := "Independence Day"
	created, err := e.c.CreateEvent(ctx, acct, calendar.PrimaryID, calendar.EventChange{Subject: &subject, Start: &start, End: &end})
	if err != nil || rfc3339(created.Start) != "date 2026-07-03" || rfc3339(created.End) != "date 2026-07-04" {
		t.Fatalf("created all-day = %+v, %v", created, err)
	}
}

func TestEvents_createUpdateDeleteWithIfMatch(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	ny := nyZone(t)
	s, en := time.Date(2026, 5, 4, 14, 0, 0, 0, ny), time.Date(2026, 5, 4, 15, 0, 0, 0, ny)
	subject, desc, loc, showAs, sens := "Planning", "Agenda:\n1. budget", "Room 7", calendar.ShowOutOfOffice, calendar.SensitivityPrivate
	cats := []string{"Blue category"}
	ch := calendar.EventChange{
		Subject: &subject, Description: &desc, Location: &loc, ShowAs: &showAs, Sensitivity: &sens, Categories: &cats,
		Start: &calendar.DateTime{DateTime: &s, TimeZone: "America/New_York"}, End: &calendar.DateTime{DateTime: &en, TimeZone: "America/New_York"},
		MeetingInfo: &calendar.MeetingInfo{OnlineMeeting: true, Attendees: []calendar.Attendee{
			{EmailAddress: calendar.EmailAddress{Name: "Bob", Address: "bob@b.example"}, Type: calendar.AttendeeRequired},
			{EmailAddress: calendar.EmailAddress{Address: "room@a.example"}, Type: calendar.AttendeeResource},
		}},
		Reminder: &calendar.Reminder{Overrides: []calendar.ReminderOverride{{Minutes: 30}}},
	}
	if err := ch.Validate(true); err != nil {
		t.Fatal(err)
	}
	created, err := e.c.CreateEvent(ctx, acct, calendar.PrimaryID, ch)
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]any
	if r := ct.last(); r.method != http.MethodPost || r.path != "/v1.0/me/calendar/events" || json.Unmarshal(r.body, &sent) != nil {
		t.Fatalf("create request = %s %s %s", r.method, r.path, r.body)
	}
	if st, _ := sent["start"].(map[string]any); st["timeZone"] != "America/New_York" || st["dateTime"] != "2026-05-04T14:00:00" ||
		sent["isOnlineMeeting"] != true || sent["onlineMeetingProvider"] != "teamsForBusiness" || sent["showAs"] != "oof" || sent["isAllDay"] != false {
		t.Errorf("create body = %v", sent)
	}
	if created.Subject != subject || created.Description != desc || created.Location != loc || created.ShowAs != calendar.ShowOutOfOffice ||
		created.Sensitivity != sens || !slices.Equal(created.Categories, cats) || rfc3339(created.Start) != "2026-05-04T14:00:00-04:00 America/New_York" {
		t.Errorf("created = %+v", created)
	}
	if r := created.Reminder; r == nil || len(r.Overrides) != 1 || r.Overrides[0].Minutes != 30 {
		t.Errorf("reminder = %+v", created.Reminder)
	}
	m := created.MeetingInfo
	if m == nil || len(m.Attendees) != 2 || m.Attendees[1].Type != calendar.AttendeeResource || m.Attendees[0].Response != calendar.ResponseNone ||
		m.Response != calendar.ResponseAccepted || m.OnlineMeetingProvider != "teamsForBusiness" || m.OnlineMeetingDetails == nil ||
		!strings.HasPrefix(m.OnlineMeetingDetails.URL, "https://teams.microsoft.com/") {
		t.Errorf("meeting = %+v", m)
	}

	retitled := "Planning (moved)"
	ns := s.Add(time.Hour)
	ne := en.Add(time.Hour)
	upd := calendar.EventChange{Subject: &retitled, Start: &calendar.DateTime{DateTime: &ns, TimeZone: "America/New_York"}, End: &calendar.DateTime{DateTime: &ne, TimeZone: "America/New_York"}}
	updated, err := e.c.UpdateEvent(ctx, acct, calendar.PrimaryID, created.ID, upd, created.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if r := ct.last(); r.method != http.MethodPatch || r.header.Get("If-Match") != created.ETag {
		t.Errorf("update request = %s If-Match %q", r.method, r.header.Get("If-Match"))
	}
	if updated.Subject != retitled || rfc3339(updated.Start) != "2026-05-04T15:00:00-04:00 America/New_York" || updated.ETag == created.ETag || updated.Location != loc {
		t.Errorf("updated = %+v", updated)
	}
	_, err = e.c.UpdateEvent(ctx, acct, calendar.PrimaryID, created.ID, calendar.EventChange{Subject: &subject}, created.ETag)
	if ce := calWantKind(t, err, calendar.ErrPrecondition); ce.Status != http.StatusPreconditionFailed {
		t.Errorf("stale update status = %d", ce.Status)
	}
	err = e.c.DeleteEvent(ctx, acct, calendar.PrimaryID, created.ID, created.ETag)
	calWantKind(t, err, calendar.ErrPrecondition)
	if err := e.c.DeleteEvent(ctx, acct, calendar.PrimaryID, created.ID, updated.ETag); err != nil {
		t.Fatal(err)
	}
	if r := ct.last(); r.method != http.MethodDelete || r.header.Get("If-Match") != updated.ETag {
		t.Errorf("delete request = %s If-Match %q", r.method, r.header.Get("If-Match"))
	}
	_, err = e.c.GetEvent(ctx, acct, calendar.PrimaryID, created.ID)
	calWantKind(t, err, calendar.ErrNotFound)
	err = e.c.DeleteEvent(ctx, acct, calendar.PrimaryID, created.ID, "")
	calWantKind(t, err, calendar.ErrNotFound)
}

func TestEvents_createSeriesInOtherCalendarWithExclusion(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	cal, err := e.fake.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: "Gym"})
	if err != nil {
		t.Fatal(err)
	}
	ny := nyZone(t)
	s, en := time.Date(2026, 10, 30, 7, 0, 0, 0, ny), time.Date(2026, 10, 30, 8, 0, 0, 0, ny)
	subject := "Run"
	ch := calendar.EventChange{Subject: &subject,
		Start: &calendar.DateTime{DateTime: &s, TimeZone: "America/New_York"}, End: &calendar.DateTime{DateTime: &en, TimeZone: "America/New_York"},
		Recurrence: &calendar.Recurrence{ICal: &calendar.ICalRecurrence{Rules: []string{"RRULE:FREQ=DAILY;COUNT=5", "EXDATE;TZID=America/New_York:20261101T070000"}}},
	}
	if err := ch.Validate(true); err != nil {
		t.Fatal(err)
	}
	master, err := e.c.CreateEvent(ctx, acct, cal.ID, ch)
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Recurrence map[string]map[string]any `json:"recurrence"`
	}
	for _, r := range ct.requests() {
		if r.method == http.MethodPost {
			if r.path != "/v1.0/me/calendars/"+url.PathEscape(cal.ID)+"/events" || json.Unmarshal(r.body, &sent) != nil {
				t.Fatalf("create = %s %s", r.path, r.body)
			}
		}
	}
	if p, rg := sent.Recurrence["pattern"], sent.Recurrence["range"]; p["type"] != "daily" || p["interval"] != float64(1) || rg["type"] != "numbered" ||
		rg["numberOfOccurrences"] != float64(5) || rg["startDate"] != "2026-10-30" || rg["recurrenceTimeZone"] != "Eastern Standard Time" {
		t.Errorf("sent recurrence = %v", sent.Recurrence)
	}
	if master.RecurrenceType != calendar.RecurrenceMaster || master.CalendarID != cal.ID || master.Recurrence == nil ||
		!slices.Equal(master.Recurrence.ICal.Rules, []string{"RRULE:FREQ=DAILY;COUNT=5"}) {
		t.Fatalf("master = %+v", master)
	}
	page, err := e.c.ListEventRange(ctx, acct, calendar.RangeRequest{CalendarID: cal.ID, TimeMin: s.Add(-time.Hour), TimeMax: s.AddDate(0, 0, 7), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, ev := range page.Events {
		starts = append(starts, ev.Start.DateTime.Format("01-02T15:04Z07:00"))
	}
	// 2026-11-01 is excluded; the local time stays 07:00 across the DST end.
	if want := []string{"10-30T07:00-04:00", "10-31T07:00-04:00", "11-02T07:00-05:00", "11-03T07:00-05:00"}; !slices.Equal(starts, want) {
		t.Errorf("occurrences = %v, want %v", starts, want)
	}
	// The master is in the other calendar, not the default one.
	_, err = e.c.ListEventRange(ctx, acct, calendar.RangeRequest{CalendarID: "AAMk-no=such+cal@x", TimeMin: s, TimeMax: s.AddDate(0, 0, 1), Limit: 5})
	calWantKind(t, err, calendar.ErrNotFound)
	if p := ct.last().path; p != "/v1.0/me/calendars/AAMk-no=such+cal@x/calendarView" {
		t.Errorf("escaped path = %s", p)
	}
}

func TestRespondEvent(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	ny := nyZone(t)
	invite := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Bob's review", TimeZone: "Eastern Standard Time",
		Start: time.Date(2026, 6, 1, 10, 0, 0, 0, ny), End: time.Date(2026, 6, 1, 11, 0, 0, 0, ny),
		Organizer: graphtest.Recipient{Name: "Bob", Address: "bob@b.example"},
		Attendees: []graphtest.Attendee{{Name: "Bob", Address: "bob@b.example", Response: "organizer"}, {Name: "Alice", Address: alice.Mail}, {Address: "carol@outlook.example", Type: "optional", Response: "declined"}}})
	own := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Mine", Start: time.Date(2026, 6, 2, 10, 0, 0, 0, ny), End: time.Date(2026, 6, 2, 11, 0, 0, 0, ny),
		Attendees: []graphtest.Attendee{{Address: "bob@b.example"}}})

	before, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, invite.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m := before.MeetingInfo; m == nil || m.Response != calendar.ResponseNone || len(m.Attendees) != 2 || m.Attendees[1].Type != calendar.AttendeeOptional ||
		m.Attendees[1].Response != calendar.ResponseDeclined || before.Organizer.EmailAddress.Address != "bob@b.example" {
		t.Fatalf("invite = %+v", before.MeetingInfo)
	}
	tests := []struct {
		response, action, want string
	}{
		{calendar.ResponseTentative, "tentativelyAccept", calendar.ResponseTentative},
		{calendar.ResponseDeclined, "decline", calendar.ResponseDeclined},
		{calendar.ResponseAccepted, "accept", calendar.ResponseAccepted},
	}
	for _, tc := range tests {
		if err := e.c.RespondEvent(ctx, acct, calendar.PrimaryID, invite.ID, calendar.ResponseRequest{Response: tc.response, Comment: "see you", Notify: false}); err != nil {
			t.Fatal(err)
		}
		r := ct.last()
		var body map[string]any
		_ = json.Unmarshal(r.body, &body)
		if r.path != "/v1.0/me/calendar/events/"+url.PathEscape(invite.ID)+"/"+tc.action || body["comment"] != "see you" || body["sendResponse"] != false {
			t.Errorf("%s: request %s %v", tc.response, r.path, body)
		}
		got, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, invite.ID)
		if err != nil || got.MeetingInfo.Response != tc.want {
			t.Errorf("%s: response = %+v, %v", tc.response, got.MeetingInfo, err)
		}
	}
	err = e.c.RespondEvent(ctx, acct, calendar.PrimaryID, own.ID, calendar.ResponseRequest{Response: calendar.ResponseAccepted, Notify: true})
	if ce := calWantKind(t, err, calendar.ErrConflict); ce.Status != http.StatusBadRequest {
		t.Errorf("organizer answer status = %d", ce.Status)
	}
	err = e.c.RespondEvent(ctx, acct, calendar.PrimaryID, "AAMkGone", calendar.ResponseRequest{Response: calendar.ResponseAccepted})
	calWantKind(t, err, calendar.ErrNotFound)
}

func TestFreeBusy(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	day := time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
	for _, ev := range []graphtest.Event{
		{Subject: "busy", ShowAs: "busy", Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour)},
		{Subject: "tentative", ShowAs: "tentative", Start: day.Add(11 * time.Hour), End: day.Add(12 * time.Hour)},
		{Subject: "oof", ShowAs: "oof", Start: day.Add(13 * time.Hour), End: day.Add(14 * time.Hour)},
		{Subject: "elsewhere", ShowAs: "workingElsewhere", Start: day.Add(15 * time.Hour), End: day.Add(16 * time.Hour)},
		{Subject: "free", ShowAs: "free", Start: day.Add(17 * time.Hour), End: day.Add(18 * time.Hour)},
	} {
		seedCalEvent(t, e, alice.ObjectID, "", ev)
	}
	seedCalEvent(t, e, bob.ObjectID, "", graphtest.Event{Subject: "bob", Start: day.Add(8 * time.Hour), End: day.Add(9 * time.Hour)})
	req := calendar.FreeBusyRequest{TimeMin: day, TimeMax: day.Add(24 * time.Hour), Emails: []string{alice.Mail, "bob@b.example", "nobody@x.example"}}
	got, err := e.c.FreeBusy(ctx, acct, req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Schedules []string                            `json:"schedules"`
		StartTime struct{ DateTime, TimeZone string } `json:"startTime"`
	}
	if r := ct.last(); r.path != "/v1.0/me/calendar/getSchedule" || json.Unmarshal(r.body, &body) != nil || len(body.Schedules) != 3 ||
		body.StartTime.DateTime != "2026-06-03T00:00:00" || body.StartTime.TimeZone != "UTC" {
		t.Errorf("getSchedule request = %s %s", r.path, r.body)
	}
	if len(got) != 3 {
		t.Fatalf("schedules = %+v", got)
	}
	item := func(h int, status string) calendar.FreeBusyItem {
		return calendar.FreeBusyItem{Start: day.Add(time.Duration(h) * time.Hour), End: day.Add(time.Duration(h+1) * time.Hour), Status: status}
	}
	wantAlice := []calendar.FreeBusyItem{item(9, calendar.ShowBusy), item(11, calendar.ShowTentative), item(13, calendar.ShowOutOfOffice), item(15, calendar.ShowBusy)}
	if got[0].Email != alice.Mail || got[0].Error != "" || !slices.Equal(got[0].Items, wantAlice) {
		t.Errorf("alice = %+v, want %+v", got[0], wantAlice)
	}
	if got[1].Email != "bob@b.example" || !slices.Equal(got[1].Items, []calendar.FreeBusyItem{item(8, calendar.ShowBusy)}) {
		t.Errorf("bob = %+v", got[1])
	}
	if got[2].Email != "nobody@x.example" || got[2].Error == "" || len(got[2].Items) != 0 {
		t.Errorf("unknown address = %+v", got[2])
	}
}

// deltaRound reads a whole delta round from cursor.
func deltaRound(t *testing.T, e env, acct calendar.Account, cursor string, limit int) (updated []calendar.Event, deleted []string, next string, pages int) {
	t.Helper()
	for {
		page, err := e.c.CalendarDeltaChanges(context.Background(), acct, calendar.DeltaRequest{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		updated = append(updated, page.Updated...)
		for _, d := range page.Deleted {
			deleted = append(deleted, d.ID)
		}
		if page.NextPage == "" {
			if page.NextDelta == "" {
				t.Fatal("last page without NextDelta")
			}
			return updated, deleted, page.NextDelta, pages
		}
		if page.NextDelta != "" {
			t.Fatal("a page with both NextPage and NextDelta")
		}
		cursor = page.NextPage
	}
}

func TestCalendarDelta_startChangesExpiry(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	master, ny := weeklyDST(t, e)
	single := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Lunch", Start: time.Date(2026, 10, 20, 12, 0, 0, 0, ny), End: time.Date(2026, 10, 20, 13, 0, 0, 0, ny), TimeZone: "Eastern Standard Time"})
	gone := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Dentist", Start: time.Date(2026, 10, 21, 12, 0, 0, 0, ny), End: time.Date(2026, 10, 21, 13, 0, 0, 0, ny)})

	start, err := e.c.CalendarDeltaStart(ctx, acct, calendar.SyncOptions{CalendarID: calendar.PrimaryID,
		TimeMin: time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(ct.requests()) != 0 {
		t.Fatalf("start = %q, %v (requests %d)", start, err, len(ct.requests()))
	}
	updated, deleted, next, pages := deltaRound(t, e, acct, start, 2)
	if r := ct.requests()[0]; r.path != "/v1.0/me/calendarView/delta" || r.query.Get("startDateTime") != "2026-10-18T00:00:00Z" ||
		!strings.Contains(r.header.Get("Prefer"), "odata.maxpagesize=2") {
		t.Errorf("first delta request = %s %v %v", r.path, r.query, r.header)
	}
	if len(updated) != 5 || len(deleted) != 0 || pages != 3 {
		t.Fatalf("initial round: %d updated, %d deleted, %d pages", len(updated), len(deleted), pages)
	}
	var subjects []string
	for _, ev := range updated {
		subjects = append(subjects, ev.Subject)
		if ev.CalendarID != calendar.PrimaryID {
			t.Errorf("calendar id %q", ev.CalendarID)
		}
	}
	slices.Sort(subjects)
	if want := []string{"Dentist", "Lunch", "Moved sync", "Team sync", "Team sync"}; !slices.Equal(subjects, want) {
		t.Errorf("subjects = %v, want %v", subjects, want)
	}

	// Nothing changed: an empty round.
	updated, deleted, next, _ = deltaRound(t, e, acct, next, 2)
	if len(updated)+len(deleted) != 0 {
		t.Fatalf("quiet round: %d updated, %d deleted", len(updated), len(deleted))
	}

	if err := e.fake.ChangeEvent(alice.ObjectID, single.ID, func(ev *graphtest.Event) { ev.Subject = "Long lunch" }); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.DeleteEvent(alice.ObjectID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.CancelOccurrence(alice.ObjectID, master.ID, time.Date(2026, 11, 9, 9, 0, 0, 0, ny)); err != nil {
		t.Fatal(err)
	}
	updated, deleted, next, _ = deltaRound(t, e, acct, next, 10)
	if len(updated) != 1 || updated[0].ID != single.ID || updated[0].Subject != "Long lunch" || len(deleted) != 2 || !slices.Contains(deleted, gone.ID) {
		t.Fatalf("changes: updated %+v deleted %v", updated, deleted)
	}

	e.fake.ExpireCalendarDeltaTokens()
	_, err = e.c.CalendarDeltaChanges(ctx, acct, calendar.DeltaRequest{Cursor: next, Limit: 10})
	if ce := calWantKind(t, err, calendar.ErrCursorExpired); ce.Status != http.StatusGone {
		t.Errorf("expired status = %d", ce.Status)
	}
}

// sparseDelta trims calendar view delta answers as Graph sends them:
// occurrences carry only @odata.type, @odata.etag, id, seriesMasterId,
// type, start and end; single events lose their subject too, to make
// the connector read them by id.
func sparseDelta(req *http.Request, body []byte) []byte {
	if !strings.HasSuffix(req.URL.Path, "/calendarView/delta") {
		return body
	}
	var page map[string]any
	if json.Unmarshal(body, &page) != nil {
		return body
	}
	items, _ := page["value"].([]any)
	for i, it := range items {
		ev, _ := it.(map[string]any)
		if ev["@removed"] != nil {
			continue
		}
		if ev["type"] == "occurrence" {
			keep := map[string]any{"@odata.type": "#microsoft.graph.event"}
			for _, k := range []string{"@odata.etag", "id", "seriesMasterId", "type", "start", "end"} {
				keep[k] = ev[k]
			}
			items[i] = keep
		} else if ev["type"] == "singleInstance" {
			delete(ev, "subject")
		}
	}
	out, _ := json.Marshal(page)
	return out
}

func TestCalendarDelta_completesSparseItems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	master, ny := weeklyDST(t, e)
	single := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "Lunch", Start: time.Date(2026, 10, 20, 12, 0, 0, 0, ny), End: time.Date(2026, 10, 20, 13, 0, 0, 0, ny)})
	full, _ := calAccount(t, e, alice, nil)
	sparse, ct := calAccount(t, e, alice, sparseDelta)
	ctx := context.Background()
	opts := calendar.SyncOptions{CalendarID: calendar.PrimaryID, TimeMin: time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC), TimeMax: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)}
	cursor, err := e.c.CalendarDeltaStart(ctx, full, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _, _ := deltaRound(t, e, full, cursor, 50)
	got, deleted, _, _ := deltaRound(t, e, sparse, cursor, 50)
	if len(deleted) != 0 || len(got) != len(want) || len(want) != 4 {
		t.Fatalf("sparse round: %d updated (want %d), deleted %v", len(got), len(want), deleted)
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Normalize()
		g.Normalize()
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if string(wj) != string(gj) {
			t.Errorf("item %d:\n got %s\nwant %s", i, gj, wj)
		}
	}
	var masterReads, singleReads int
	for _, r := range ct.requests() {
		switch r.path {
		case "/v1.0/me/calendar/events/" + url.PathEscape(master.ID):
			masterReads++
		case "/v1.0/me/calendar/events/" + url.PathEscape(single.ID):
			singleReads++
		}
	}
	if masterReads != 1 || singleReads != 1 {
		t.Errorf("master read %d times, single read %d times; want 1 and 1", masterReads, singleReads)
	}
}

func TestCalendar_errorClassification(t *testing.T) {
	t.Parallel()
	e, acct, _ := calSetup(t)
	ctx := context.Background()
	ev := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "x", Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)})
	get := func() error { _, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, ev.ID); return err }
	patch := func() error {
		s := "y"
		_, err := e.c.UpdateEvent(ctx, acct, calendar.PrimaryID, ev.ID, calendar.EventChange{Subject: &s}, `W/"stale"`)
		return err
	}
	respond := func() error {
		return e.c.RespondEvent(ctx, acct, calendar.PrimaryID, ev.ID, calendar.ResponseRequest{Response: calendar.ResponseAccepted})
	}
	tests := []struct {
		name       string
		status     int
		code       string
		header     http.Header
		call       func() error
		kind       error
		retryAfter time.Duration
	}{
		{"404", 404, "ErrorItemNotFound", nil, get, calendar.ErrNotFound, 0},
		{"400 malformed id", 400, "ErrorInvalidIdMalformed", nil, get, calendar.ErrNotFound, 0},
		{"412", 412, "ErrorIrresolvableConflict", nil, patch, calendar.ErrPrecondition, 0},
		{"409 change key to If-Match", 409, "ErrorIrresolvableConflict", nil, patch, calendar.ErrPrecondition, 0},
		{"409", 409, "ErrorFolderExists", nil, get, calendar.ErrConflict, 0},
		{"429 Retry-After", 429, "TooManyRequests", http.Header{"Retry-After": {"7"}}, get, calendar.ErrRateLimited, 7 * time.Second},
		{"503 Retry-After", 503, "ServiceUnavailable", http.Header{"Retry-After": {"12"}}, get, calendar.ErrUnavailable, 12 * time.Second},
		{"500", 500, "generalException", nil, get, calendar.ErrUnavailable, 0},
		{"410", 410, "syncStateNotFound", nil, get, calendar.ErrCursorExpired, 0},
		{"401", 401, "InvalidAuthenticationToken", nil, get, calendar.ErrDenied, 0},
		{"403", 403, "ErrorAccessDenied", nil, get, calendar.ErrDenied, 0},
		{"400 to an answer", 400, "ErrorInvalidRequest", nil, respond, calendar.ErrConflict, 0},
		{"400 elsewhere", 400, "ErrorInvalidRequest", nil, get, calendar.ErrInvalid, 0},
	}
	for _, tc := range tests {
		e.fake.FailNextGraph(tc.status, tc.code, "failed", tc.header)
		err := tc.call()
		ce := calWantKind(t, err, tc.kind)
		if ce.Status != tc.status || ce.RetryAfter != tc.retryAfter {
			t.Errorf("%s: status %d retryAfter %v, want %d %v", tc.name, ce.Status, ce.RetryAfter, tc.status, tc.retryAfter)
		}
		var ge *office365.GraphError
		if !errors.As(err, &ge) || ge.Code != tc.code || ge.Status != tc.status {
			t.Errorf("%s: error %q does not carry the Graph answer", tc.name, err)
		}
	}
}

func TestCalendar_hostileCursorsAndLinks(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	base := e.fake.URL() + "/v1.0"
	good := base + "/me/calendar/calendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-02-01T00:00:00Z"
	tests := []struct {
		name, cursor string
	}{
		{"not base64", "%%%"},
		{"not JSON", base64.RawURLEncoding.EncodeToString([]byte("not json"))},
		{"delta cursor as page", calCursorOf("delta", base+"/me/calendarView/delta?startDateTime=x", calendar.PrimaryID)},
		{"other host", calCursorOf("range", "https://evil.example/v1.0/me/calendar/calendarView?x=1", calendar.PrimaryID)},
		{"other scheme", calCursorOf("range", strings.Replace(good, "http://", "https://", 1), calendar.PrimaryID)},
		{"user info", calCursorOf("range", strings.Replace(good, "http://", "http://user:pw@", 1), calendar.PrimaryID)},
		{"other resource", calCursorOf("range", base+"/me/messages", calendar.PrimaryID)},
		{"other version", calCursorOf("range", e.fake.URL()+"/beta/me/calendar/calendarView", calendar.PrimaryID)},
		{"dot segments", calCursorOf("range", base+"/me/../../x/calendarView", calendar.PrimaryID)},
		{"escaped slash", calCursorOf("range", base+"/me/calendars/a%2F..%2Fb/calendarView", calendar.PrimaryID)},
		{"other calendar", calCursorOf("range", good, "AAMkOther")},
		{"too long", strings.Repeat("A", 20000)},
	}
	for _, tc := range tests {
		before := len(ct.requests())
		_, err := e.c.ListEventRange(ctx, acct, calendar.RangeRequest{CalendarID: calendar.PrimaryID, Page: tc.cursor, Limit: 5})
		calWantKind(t, err, calendar.ErrInvalid)
		if n := len(ct.requests()); n != before {
			t.Errorf("%s: a request was sent", tc.name)
		}
	}
	for _, cur := range []string{"", "x", calCursorOf("range", good, calendar.PrimaryID), calCursorOf("delta", "https://evil.example/v1.0/me/calendarView/delta", "")} {
		_, err := e.c.CalendarDeltaChanges(ctx, acct, calendar.DeltaRequest{Cursor: cur, Limit: 5})
		calWantKind(t, err, calendar.ErrInvalid)
	}
	_, err := e.c.ListCalendars(ctx, acct, calCursorOf("calendars", "https://evil.example/v1.0/me/calendars", ""))
	calWantKind(t, err, calendar.ErrInvalid)
	if n := len(ct.requests()); n != 0 {
		t.Errorf("%d requests sent for hostile cursors", n)
	}
	// A well-formed cursor of the connector's own is followed.
	if _, err := e.c.ListEventRange(ctx, acct, calendar.RangeRequest{CalendarID: calendar.PrimaryID, Page: calCursorOf("range", good, calendar.PrimaryID)}); err != nil {
		t.Fatalf("own cursor: %v", err)
	}

	// A paging link off the Graph host in an answer is refused, not
	// handed out.
	evil, _ := calAccount(t, e, alice, func(req *http.Request, body []byte) []byte {
		return bytes.ReplaceAll(body, []byte(`"@odata.nextLink":"`+e.fake.URL()), []byte(`"@odata.nextLink":"https://evil.example`))
	})
	for i := range 3 {
		seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "e", Start: time.Date(2026, 1, 5+i, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 5+i, 10, 0, 0, 0, time.UTC)})
	}
	_, err = e.c.ListEventRange(ctx, evil, calendar.RangeRequest{CalendarID: calendar.PrimaryID, TimeMin: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		TimeMax: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Limit: 1})
	calWantKind(t, err, calendar.ErrUnavailable)
}

func TestCalendar_idsAreEscaped(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		path string
	}{
		{"event id", func() error { _, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, "a/b?c#d"); return err },
			"/v1.0/me/calendar/events/a%2Fb%3Fc%23d"},
		{"calendar id", func() error { _, err := e.c.GetEvent(ctx, acct, "x/../y", "e"); return err },
			"/v1.0/me/calendars/x%2F..%2Fy/events/e"},
		{"respond", func() error {
			return e.c.RespondEvent(ctx, acct, calendar.PrimaryID, "../x", calendar.ResponseRequest{Response: calendar.ResponseDeclined})
		}, "/v1.0/me/calendar/events/..%2Fx/decline"},
		{"delete", func() error { return e.c.DeleteEvent(ctx, acct, "c 1", "id%2F", "") }, "/v1.0/me/calendars/c%201/events/id%252F"},
	}
	for _, tc := range tests {
		err := tc.call()
		calWantKind(t, err, calendar.ErrNotFound)
		if p := ct.last().path; p != tc.path {
			t.Errorf("%s: path %s, want %s", tc.name, p, tc.path)
		}
	}
}

func TestCalendar_otherUsersDataIsNotReachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	bobEv := seedCalEvent(t, e, bob.ObjectID, "", graphtest.Event{Subject: "bob only", Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)})
	acct, _ := calAccount(t, e, alice, nil)
	_, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, bobEv.ID)
	calWantKind(t, err, calendar.ErrNotFound)
	page, err := e.c.ListEventRange(ctx, acct, calendar.RangeRequest{CalendarID: calendar.PrimaryID, TimeMin: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		TimeMax: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Limit: 10})
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("alice sees %+v, %v", page.Events, err)
	}
	_, err = e.c.GetEvent(ctx, calendar.Account{ID: 1}, calendar.PrimaryID, bobEv.ID)
	if err == nil {
		t.Fatal("an account without a client made a call")
	}
}

func TestEvents_recurrencePatternsRoundTrip(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	ny := nyZone(t)
	s, en := time.Date(2026, 9, 1, 10, 0, 0, 0, ny), time.Date(2026, 9, 1, 11, 0, 0, 0, ny) // a Tuesday
	timed := func() (*calendar.DateTime, *calendar.DateTime) {
		return &calendar.DateTime{DateTime: &s, TimeZone: "America/New_York"}, &calendar.DateTime{DateTime: &en, TimeZone: "America/New_York"}
	}
	allDay := func() (*calendar.DateTime, *calendar.DateTime) {
		a, b := calendar.OnDate("2026-09-07"), calendar.OnDate("2026-09-08")
		return &a, &b
	}
	tests := []struct {
		name      string
		times     func() (*calendar.DateTime, *calendar.DateTime)
		simple    calendar.SimpleRecurrence
		graphType string
		graphZone string
	}{
		{"daily", timed, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqDaily, Interval: 3},
			Range: calendar.Range{Type: calendar.RangeByCount, Count: 10}}, "daily", "Eastern Standard Time"},
		{"weekly every other week from Sunday", timed, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqWeekly, Interval: 2,
			DaysOfWeek: []string{"tuesday", "thursday"}, WeekStart: "sunday"}, Range: calendar.Range{Type: calendar.RangeByDate, RecurrenceEnd: "2026-12-31"}},
			"weekly", "Eastern Standard Time"},
		{"monthly", timed, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqMonthly, DayOfMonth: 1},
			Range: calendar.Range{Type: calendar.RangeUnbounded}}, "absoluteMonthly", "Eastern Standard Time"},
		{"monthly relative", timed, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqMonthlyRelative, DaysOfWeek: []string{"tuesday"}, Instance: "first"},
			Range: calendar.Range{Type: calendar.RangeByCount, Count: 6}}, "relativeMonthly", "Eastern Standard Time"},
		{"yearly", timed, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqYearly, DayOfMonth: 1, MonthOfYear: 9},
			Range: calendar.Range{Type: calendar.RangeByCount, Count: 3}}, "absoluteYearly", "Eastern Standard Time"},
		{"yearly relative", timed, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqYearlyRelative, DaysOfWeek: []string{"tuesday"}, Instance: "first", MonthOfYear: 9},
			Range: calendar.Range{Type: calendar.RangeUnbounded}}, "relativeYearly", "Eastern Standard Time"},
		{"all-day weekly", allDay, calendar.SimpleRecurrence{Pattern: calendar.Pattern{Frequency: calendar.FreqWeekly, DaysOfWeek: []string{"monday"}},
			Range: calendar.Range{Type: calendar.RangeByCount, Count: 3}}, "weekly", "UTC"},
	}
	for _, tc := range tests {
		start, end := tc.times()
		subject := tc.name
		simple := tc.simple
		ch := calendar.EventChange{Subject: &subject, Start: start, End: end, Recurrence: &calendar.Recurrence{Simple: &simple}}
		if err := ch.Validate(true); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		lines, err := ch.Recurrence.Rules(*ch.Start)
		if err != nil {
			t.Fatal(err)
		}
		want, err := calendar.NewRecurrence(lines, *ch.Start)
		if err != nil {
			t.Fatal(err)
		}
		created, err := e.c.CreateEvent(ctx, acct, calendar.PrimaryID, ch)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var sent struct {
			Recurrence struct {
				Pattern struct{ Type string } `json:"pattern"`
				Range   struct {
					RecurrenceTimeZone string `json:"recurrenceTimeZone"`
				} `json:"range"`
			} `json:"recurrence"`
		}
		if err := json.Unmarshal(ct.last().body, &sent); err != nil || sent.Recurrence.Pattern.Type != tc.graphType || sent.Recurrence.Range.RecurrenceTimeZone != tc.graphZone {
			t.Errorf("%s: sent %s", tc.name, ct.last().body)
		}
		got, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		gj, _ := json.Marshal(got.Recurrence)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) || got.RecurrenceType != calendar.RecurrenceMaster {
			t.Errorf("%s: recurrence\n got %s\nwant %s", tc.name, gj, wj)
		}
	}
}

func TestEvents_unknownGraphZonesFallBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	ny := nyZone(t)
	series := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "s", TimeZone: "Eastern Standard Time",
		Start: time.Date(2026, 1, 6, 9, 0, 0, 0, ny), End: time.Date(2026, 1, 6, 10, 0, 0, 0, ny),
		Recurrence: &graphtest.Recurrence{Pattern: graphtest.RecurrencePattern{Type: "daily", Interval: 1}, Range: graphtest.RecurrenceRange{Type: "noEnd", StartDate: "2026-01-06"}}})
	single := seedCalEvent(t, e, alice.ObjectID, "", graphtest.Event{Subject: "x", TimeZone: "Eastern Standard Time",
		Start: time.Date(2026, 1, 6, 9, 0, 0, 0, ny), End: time.Date(2026, 1, 6, 10, 0, 0, 0, ny)})
	// Events made in desktop Outlook with a legacy custom zone carry
	// originalStartTimeZone "tzone://Microsoft/Custom".
	acct, _ := calAccount(t, e, alice, func(_ *http.Request, body []byte) []byte {
		for _, k := range []string{"originalStartTimeZone", "originalEndTimeZone"} {
			body = bytes.ReplaceAll(body, []byte(`"`+k+`":"Eastern Standard Time"`), []byte(`"`+k+`":"tzone://Microsoft/Custom"`))
		}
		return body
	})
	tests := []struct {
		id, start string
	}{
		{single.ID, "2026-01-06T14:00:00Z UTC"},
		{series.ID, "2026-01-06T09:00:00-05:00 America/New_York"}, // the recurrence's zone
	}
	for _, tc := range tests {
		got, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if rfc3339(got.Start) != tc.start {
			t.Errorf("%s: start %s, want %s", got.Subject, rfc3339(got.Start), tc.start)
		}
	}
}

func TestCalendar_dotAndEmptyIDsAreRefused(t *testing.T) {
	t.Parallel()
	e, acct, ct := calSetup(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"delete ..", func() error { return e.c.DeleteEvent(ctx, acct, "AAMkCal", "..", "") }},
		{"delete .", func() error { return e.c.DeleteEvent(ctx, acct, calendar.PrimaryID, ".", "") }},
		{"get empty", func() error { _, err := e.c.GetEvent(ctx, acct, calendar.PrimaryID, ""); return err }},
		{"calendar ..", func() error { _, err := e.c.GetCalendar(ctx, acct, ".."); return err }},
		{"respond in calendar .", func() error {
			return e.c.RespondEvent(ctx, acct, ".", "e", calendar.ResponseRequest{Response: calendar.ResponseAccepted})
		}},
	}
	for _, tc := range tests {
		calWantKind(t, tc.call(), calendar.ErrInvalid)
	}
	if n := len(ct.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
