package graphtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// calendarToken signs user oid in with the fake's own code flow and
// returns a Graph access token holding scopes.
func calendarToken(t *testing.T, s *graphtest.Server, oid string, scopes ...string) string {
	t.Helper()
	if err := s.SetNextUser(oid); err != nil {
		t.Fatal(err)
	}
	scope := "openid offline_access"
	for _, sc := range scopes {
		scope += " https://graph.microsoft.com/" + sc
	}
	tok := redeem(t, s, authorize(t, s, "common", url.Values{"scope": {scope}}).Get("code"), nil).str("access_token")
	if tok == "" {
		t.Fatal("no access token")
	}
	return tok
}

// call sends a Graph request with a JSON body (nil for none) and headers
// given as name, value pairs.
func call(t *testing.T, method, u, token string, body any, header ...string) answer {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return do(t, req)
}

// values returns the "value" collection of a list answer.
func values(t *testing.T, a answer) []map[string]any {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("list answer = %d %s", a.status, a.raw)
	}
	list, _ := a.body["value"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		out = append(out, v.(map[string]any))
	}
	return out
}

// field walks nested objects: field(ev, "start", "dateTime").
func field(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[p]
	}
	return cur
}

func fstr(m map[string]any, path ...string) string {
	s, _ := field(m, path...).(string)
	return s
}

func errorCode(a answer) string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func seedEvent(t *testing.T, s *graphtest.Server, oid, calendarID string, e graphtest.Event) graphtest.Event {
	t.Helper()
	got, err := s.SeedEvent(oid, calendarID, e)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// weeklySeries is a weekly Monday 09:00 "Eastern Standard Time" series
// from 2026-10-19, four occurrences, across the end of US daylight saving
// time on 2026-11-01.
func weeklySeries(t *testing.T) graphtest.Event {
	ny := mustZone(t, "America/New_York")
	return graphtest.Event{
		Subject: "Team sync", Start: time.Date(2026, 10, 19, 9, 0, 0, 0, ny), End: time.Date(2026, 10, 19, 9, 30, 0, 0, ny),
		TimeZone: "Eastern Standard Time",
		Recurrence: &graphtest.Recurrence{
			Pattern: graphtest.RecurrencePattern{Type: "weekly", Interval: 1, DaysOfWeek: []string{"monday"}},
			Range:   graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-10-19", NumberOfOccurrences: 4},
		},
	}
}

func TestCalendarView_weeklySeriesKeepsLocalTimeAcrossDST(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	master := seedEvent(t, s, alice.ObjectID, "", weeklySeries(t))
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	view := s.URL() + "/v1.0/me/calendarView?startDateTime=2026-10-18T00:00:00Z&endDateTime=2026-11-15T00:00:00Z"

	tests := []struct {
		name   string
		prefer string
		zone   string
		starts []string
	}{
		{"IANA preference", `outlook.timezone="America/New_York"`, "America/New_York",
			[]string{"2026-10-19T09:00:00.0000000", "2026-10-26T09:00:00.0000000", "2026-11-02T09:00:00.0000000", "2026-11-09T09:00:00.0000000"}},
		{"Windows preference", `outlook.timezone="Eastern Standard Time"`, "Eastern Standard Time",
			[]string{"2026-10-19T09:00:00.0000000", "2026-10-26T09:00:00.0000000", "2026-11-02T09:00:00.0000000", "2026-11-09T09:00:00.0000000"}},
		{"UTC by default", "", "UTC",
			[]string{"2026-10-19T13:00:00.0000000", "2026-10-26T13:00:00.0000000", "2026-11-02T14:00:00.0000000", "2026-11-09T14:00:00.0000000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var header []string
			if tc.prefer != "" {
				header = []string{"Prefer", tc.prefer}
			}
			evs := values(t, call(t, http.MethodGet, view, tok, nil, header...))
			if len(evs) != len(tc.starts) {
				t.Fatalf("got %d instances, want %d", len(evs), len(tc.starts))
			}
			seen := map[string]bool{master.ID: true}
			for i, ev := range evs {
				if got := fstr(ev, "start", "dateTime"); got != tc.starts[i] || fstr(ev, "start", "timeZone") != tc.zone {
					t.Errorf("instance %d starts %s %s, want %s %s", i, got, fstr(ev, "start", "timeZone"), tc.starts[i], tc.zone)
				}
				if ev["type"] != "occurrence" || ev["seriesMasterId"] != master.ID || fstr(ev, "originalStart") == "" || ev["recurrence"] != nil {
					t.Errorf("instance %d = type %v master %v originalStart %v", i, ev["type"], ev["seriesMasterId"], ev["originalStart"])
				}
				if id := fstr(ev, "id"); seen[id] || id == "" {
					t.Errorf("instance %d id %q is not distinct", i, id)
				} else {
					seen[id] = true
				}
				if ev["originalStartTimeZone"] != "Eastern Standard Time" || ev["subject"] != "Team sync" {
					t.Errorf("instance %d = %v", i, ev)
				}
			}
		})
	}
}

func TestCalendarView_westEuropeDailySeriesCreatedOverHTTP(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	created := call(t, http.MethodPost, s.URL()+"/v1.0/me/events", tok, map[string]any{
		"subject": "Stand-up",
		"start":   map[string]any{"dateTime": "2026-10-23T10:00:00", "timeZone": "W. Europe Standard Time"},
		"end":     map[string]any{"dateTime": "2026-10-23T10:15:00", "timeZone": "W. Europe Standard Time"},
		"recurrence": map[string]any{
			"pattern": map[string]any{"type": "daily", "interval": 1},
			"range":   map[string]any{"type": "numbered", "startDate": "2026-10-23", "numberOfOccurrences": 4},
		},
	})
	if created.status != http.StatusCreated || created.str("type") != "seriesMaster" || fstr(created.body, "recurrence", "range", "recurrenceTimeZone") != "W. Europe Standard Time" {
		t.Fatalf("create = %d %s", created.status, created.raw)
	}
	evs := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/calendarView?startDateTime=2026-10-22&endDateTime=2026-10-31", tok, nil))
	var got []string
	for _, ev := range evs {
		got = append(got, fstr(ev, "start", "dateTime"))
	}
	// Central European Summer Time ends on 2026-10-25.
	want := []string{"2026-10-23T08:00:00.0000000", "2026-10-24T08:00:00.0000000", "2026-10-25T09:00:00.0000000", "2026-10-26T09:00:00.0000000"}
	if !slices.Equal(got, want) {
		t.Fatalf("starts in UTC = %v, want %v", got, want)
	}
}

func TestCalendarView_exceptionAndCancelledOccurrence(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	master := seedEvent(t, s, alice.ObjectID, "", weeklySeries(t))
	second := time.Date(2026, 10, 26, 13, 0, 0, 0, time.UTC)
	third := time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	if _, err := s.SeedOccurrenceChange(alice.ObjectID, master.ID, second, func(e *graphtest.Event) {
		e.Subject = "Team sync (moved)"
		e.Start, e.End = e.Start.Add(2*time.Hour), e.End.Add(2*time.Hour)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelOccurrence(alice.ObjectID, master.ID, third); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelOccurrence(alice.ObjectID, master.ID, third.Add(time.Hour)); err == nil {
		t.Error("cancelling a time that is no occurrence succeeded")
	}
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	view := s.URL() + "/v1.0/me/calendarView?startDateTime=2026-10-18T00:00:00&endDateTime=2026-11-15T00:00:00"
	summary := func() []string {
		var out []string
		for _, ev := range values(t, call(t, http.MethodGet, view, tok, nil)) {
			out = append(out, ev["type"].(string)+" "+fstr(ev, "start", "dateTime")[:16]+" "+ev["subject"].(string))
		}
		return out
	}
	want := []string{
		"occurrence 2026-10-19T13:00 Team sync",
		"exception 2026-10-26T15:00 Team sync (moved)",
		"occurrence 2026-11-09T14:00 Team sync",
	}
	if got := summary(); !slices.Equal(got, want) {
		t.Fatalf("calendar view = %q, want %q", got, want)
	}

	// Over HTTP: PATCH of an occurrence makes it an exception, DELETE
	// cancels one.
	evs := values(t, call(t, http.MethodGet, view, tok, nil))
	first, last := fstr(evs[0], "id"), fstr(evs[2], "id")
	patched := call(t, http.MethodPatch, s.URL()+"/v1.0/me/events/"+last, tok, map[string]any{"subject": "Last sync"})
	if patched.status != http.StatusOK || patched.str("type") != "exception" || patched.str("id") != last || patched.str("seriesMasterId") != master.ID {
		t.Fatalf("PATCH occurrence = %d %s", patched.status, patched.raw)
	}
	if a := call(t, http.MethodDelete, s.URL()+"/v1.0/me/events/"+first, tok, nil); a.status != http.StatusNoContent {
		t.Fatalf("DELETE occurrence = %d %s", a.status, a.raw)
	}
	want = []string{"exception 2026-10-26T15:00 Team sync (moved)", "exception 2026-11-09T14:00 Last sync"}
	if got := summary(); !slices.Equal(got, want) {
		t.Fatalf("after PATCH and DELETE = %q, want %q", got, want)
	}
	if a := call(t, http.MethodGet, s.URL()+"/v1.0/me/events/"+first, tok, nil); a.status != http.StatusNotFound || errorCode(a) != "ErrorItemNotFound" {
		t.Errorf("GET cancelled occurrence = %d %s", a.status, a.raw)
	}
	inst := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/events/"+master.ID+"/instances?startDateTime=2026-10-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z", tok, nil))
	if len(inst) != 2 {
		t.Errorf("instances = %d, want 2", len(inst))
	}
	// /me/events lists the master only.
	listed := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/events", tok, nil))
	if len(listed) != 1 || listed[0]["type"] != "seriesMaster" || field(listed[0], "recurrence", "pattern", "type") != "weekly" {
		t.Errorf("/me/events = %v", listed)
	}
}

func TestCalendarView_allDayMultiDayEvent(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	berlin := mustZone(t, "Europe/Berlin")
	ev := seedEvent(t, s, alice.ObjectID, "", graphtest.Event{
		Subject: "Offsite", IsAllDay: true, TimeZone: "W. Europe Standard Time", ShowAs: "oof",
		Start: time.Date(2026, 10, 20, 0, 0, 0, 0, berlin), End: time.Date(2026, 10, 23, 0, 0, 0, 0, berlin),
		Location: graphtest.Location{DisplayName: "Lake house", Address: &graphtest.PhysicalAddress{City: "Potsdam", CountryOrRegion: "Germany"}},
	})
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	for _, day := range []string{"2026-10-20", "2026-10-22"} {
		evs := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/calendarView?startDateTime="+day+"T09:00:00%2B02:00&endDateTime="+day+"T10:00:00%2B02:00", tok, nil,
			"Prefer", `outlook.timezone="W. Europe Standard Time"`))
		if len(evs) != 1 || evs[0]["id"] != ev.ID || evs[0]["isAllDay"] != true {
			t.Fatalf("%s: view = %v", day, evs)
		}
		e := evs[0]
		if fstr(e, "start", "dateTime") != "2026-10-20T00:00:00.0000000" || fstr(e, "end", "dateTime") != "2026-10-23T00:00:00.0000000" ||
			fstr(e, "location", "displayName") != "Lake house" || fstr(e, "location", "address", "city") != "Potsdam" || e["showAs"] != "oof" {
			t.Errorf("%s: all-day event = %v", day, e)
		}
	}
	if _, err := s.SeedEvent(alice.ObjectID, "", graphtest.Event{IsAllDay: true, Start: time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC),
		End: time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("an all-day event starting at 09:00 was seeded")
	}
}

func TestEvents_paging(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i := range 12 {
		seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Slot", Start: base.Add(time.Duration(i) * time.Hour), End: base.Add(time.Duration(i)*time.Hour + 30*time.Minute)})
	}
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	for _, start := range []string{
		s.URL() + "/v1.0/me/events?$top=5&$select=subject,start",
		s.URL() + "/v1.0/me/calendarView?startDateTime=2026-03-02T00:00:00Z&endDateTime=2026-03-03T00:00:00Z&$top=5&$select=subject,start",
	} {
		var pages []int
		seen := map[string]bool{}
		next := start
		for next != "" && len(pages) < 10 {
			a := call(t, http.MethodGet, next, tok, nil)
			evs := values(t, a)
			pages = append(pages, len(evs))
			for _, ev := range evs {
				seen[fstr(ev, "id")] = true
				if _, ok := ev["body"]; ok || ev["subject"] != "Slot" || ev["@odata.etag"] == nil {
					t.Errorf("$select=subject,start gave %v", ev)
				}
			}
			next = a.str("@odata.nextLink")
		}
		if !slices.Equal(pages, []int{5, 5, 2}) || len(seen) != 12 {
			t.Errorf("%s: pages %v, %d distinct", start, pages, len(seen))
		}
	}
}

func TestCalendarDelta_roundTrip(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	day := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		ev := seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Meeting", Start: day.Add(time.Duration(i) * time.Hour), End: day.Add(time.Duration(i)*time.Hour + time.Hour)})
		ids = append(ids, ev.ID)
	}
	series := weeklySeries(t)
	series.Start, series.End = time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC), time.Date(2026, 5, 4, 16, 0, 0, 0, time.UTC)
	series.TimeZone, series.Recurrence.Range.StartDate, series.Recurrence.Range.NumberOfOccurrences = "UTC", "2026-05-04", 2
	master := seedEvent(t, s, alice.ObjectID, "", series)
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	pageSize := []string{"Prefer", "odata.maxpagesize=2"}

	// round runs a delta round to its deltaLink and returns the items.
	round := func(start string) (items []map[string]any, deltaLink string) {
		t.Helper()
		next := start
		for range 10 {
			a := call(t, http.MethodGet, next, tok, nil, pageSize...)
			page := values(t, a)
			if len(page) > 2 {
				t.Fatalf("page of %d items with odata.maxpagesize=2", len(page))
			}
			items = append(items, page...)
			if dl := a.str("@odata.deltaLink"); dl != "" {
				if !strings.Contains(dl, "$deltatoken=") || a.str("@odata.nextLink") != "" {
					t.Fatalf("last page links: %v", a.body)
				}
				return items, dl
			}
			if next = a.str("@odata.nextLink"); !strings.Contains(next, "$skiptoken=") {
				t.Fatalf("page without links: %v", a.body)
			}
		}
		t.Fatal("delta round did not end")
		return nil, ""
	}
	first, link := round(s.URL() + "/v1.0/me/calendarView/delta?startDateTime=2026-05-01T00:00:00Z&endDateTime=2026-05-31T00:00:00Z")
	if len(first) != 5 {
		t.Fatalf("initial round = %d items, want 3 events and 2 occurrences", len(first))
	}

	// Change one event, delete another over HTTP, cancel an occurrence and
	// add an event.
	if err := s.ChangeEvent(alice.ObjectID, ids[0], func(e *graphtest.Event) { e.Subject = "Meeting (renamed)" }); err != nil {
		t.Fatal(err)
	}
	if a := call(t, http.MethodDelete, s.URL()+"/v1.0/me/events/"+ids[1], tok, nil); a.status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", a.status, a.raw)
	}
	if err := s.CancelOccurrence(alice.ObjectID, master.ID, time.Date(2026, 5, 11, 15, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	added := seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "New", Start: day.Add(48 * time.Hour), End: day.Add(49 * time.Hour)})

	second, link2 := round(link)
	got := map[string]string{}
	for _, it := range second {
		switch {
		case it["@removed"] != nil:
			got[fstr(it, "id")] = "removed:" + fstr(it, "@removed", "reason")
		default:
			got[fstr(it, "id")] = fstr(it, "subject")
		}
	}
	if len(got) != 4 || got[ids[0]] != "Meeting (renamed)" || got[ids[1]] != "removed:deleted" || got[added.ID] != "New" {
		t.Fatalf("second round = %v", got)
	}
	third, _ := round(link2)
	if len(third) != 0 {
		t.Errorf("third round without changes = %v", third)
	}

	s.ExpireCalendarDeltaTokens()
	for _, u := range []string{link2, link} {
		if a := call(t, http.MethodGet, u, tok, nil); a.status != http.StatusGone || errorCode(a) != "syncStateNotFound" {
			t.Errorf("expired token = %d %s", a.status, a.raw)
		}
	}
}

func TestEvents_ifMatch(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Review", Start: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)})
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	u := s.URL() + "/v1.0/me/events/" + ev.ID
	stale := call(t, http.MethodGet, u, tok, nil).str("@odata.etag")
	if !strings.HasPrefix(stale, `W/"`) {
		t.Fatalf("etag = %q", stale)
	}
	fresh := call(t, http.MethodPatch, u, tok, map[string]any{"subject": "Review v2"}, "If-Match", stale)
	if fresh.status != http.StatusOK || fresh.str("subject") != "Review v2" || fresh.str("@odata.etag") == stale {
		t.Fatalf("PATCH with the current etag = %d %s", fresh.status, fresh.raw)
	}
	for _, method := range []string{http.MethodPatch, http.MethodDelete} {
		a := call(t, method, u, tok, map[string]any{"subject": "lost update"}, "If-Match", stale)
		if a.status != http.StatusPreconditionFailed || errorCode(a) != "ErrorIrresolvableConflict" {
			t.Errorf("%s with a stale etag = %d %s", method, a.status, a.raw)
		}
	}
	if a := call(t, http.MethodDelete, u, tok, nil, "If-Match", fresh.str("@odata.etag")); a.status != http.StatusNoContent {
		t.Errorf("DELETE with the current etag = %d %s", a.status, a.raw)
	}
}

func TestEvents_validation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	at := func(dt, tz string) map[string]any { return map[string]any{"dateTime": dt, "timeZone": tz} }
	weekly := func(pattern map[string]any) map[string]any {
		return map[string]any{"subject": "x", "start": at("2026-07-06T09:00:00", "UTC"), "end": at("2026-07-06T10:00:00", "UTC"),
			"recurrence": map[string]any{"pattern": pattern, "range": map[string]any{"type": "noEnd", "startDate": "2026-07-06"}}}
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		header []string
		status int
		code   string
	}{
		{"end before start", "POST", "/v1.0/me/events", map[string]any{"start": at("2026-07-06T10:00:00", "UTC"), "end": at("2026-07-06T09:00:00", "UTC")},
			nil, 400, "ErrorPropertyValidationFailure"},
		{"unknown time zone", "POST", "/v1.0/me/events", map[string]any{"start": at("2026-07-06T09:00:00", "Mars/Olympus"), "end": at("2026-07-06T10:00:00", "UTC")},
			nil, 400, "TimeZoneNotSupportedException"},
		{"weekly without days", "POST", "/v1.0/me/events", weekly(map[string]any{"type": "weekly", "interval": 1}), nil, 400, "ErrorPropertyValidationFailure"},
		{"unknown pattern type", "POST", "/v1.0/me/events", weekly(map[string]any{"type": "fortnightly", "interval": 1}), nil, 400, "RequestBodyRead"},
		{"zero interval", "POST", "/v1.0/me/events", weekly(map[string]any{"type": "daily", "interval": 0, "daysOfWeek": []string{}}), nil, 400, "ErrorPropertyValidationFailure"},
		{"unknown importance", "POST", "/v1.0/me/events", map[string]any{"importance": "urgent", "start": at("2026-07-06T09:00:00", "UTC"), "end": at("2026-07-06T10:00:00", "UTC")},
			nil, 400, "RequestBodyRead"},
		{"malformed JSON", "POST", "/v1.0/me/events", "{", nil, 400, "BadRequest"},
		{"calendar view without a window", "GET", "/v1.0/me/calendarView?startDateTime=2026-07-01T00:00:00Z", nil, nil, 400, "ErrorInvalidParameter"},
		{"delta without a window", "GET", "/v1.0/me/calendarView/delta", nil, nil, 400, "ErrorInvalidParameter"},
		{"unknown preferred time zone", "GET", "/v1.0/me/events", nil, []string{"Prefer", `outlook.timezone="Nowhere Standard Time"`}, 400, "TimeZoneNotSupportedException"},
		{"unknown $select property", "GET", "/v1.0/me/events?$select=subject,mood", nil, nil, 400, "RequestBroker--ParseUri"},
		{"unsupported $filter", "GET", "/v1.0/me/events?$filter=sensitivity%20eq%20'private'", nil, nil, 400, "ErrorInvalidUrlQueryFilter"},
		{"unknown event", "GET", "/v1.0/me/events/AAMkAGnope", nil, nil, 404, "ErrorItemNotFound"},
		{"unknown calendar", "GET", "/v1.0/me/calendars/AAMkAGnope/events", nil, nil, 404, "ErrorItemNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := call(t, tc.method, s.URL()+tc.path, tok, tc.body, tc.header...)
			if a.status != tc.status || errorCode(a) != tc.code || a.header.Get("request-id") == "" {
				t.Fatalf("answer = %d %s", a.status, a.raw)
			}
		})
	}
	if n := len(s.Events(alice.ObjectID, "")); n != 0 {
		t.Errorf("refused requests stored %d events", n)
	}
}

func TestEvents_respond(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	invite := seedEvent(t, s, alice.ObjectID, "", graphtest.Event{
		Subject: "Quarterly review", Start: time.Date(2026, 9, 1, 15, 0, 0, 0, time.UTC), End: time.Date(2026, 9, 1, 16, 0, 0, 0, time.UTC),
		Organizer: graphtest.Recipient{Name: "Bob", Address: "bob@b.example"},
		Attendees: []graphtest.Attendee{{Name: "Alice Smith", Address: alice.Mail}, {Name: "Dan", Address: "dan@b.example", Type: "optional", Response: "accepted"}},
	})
	own := seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Mine", Start: time.Date(2026, 9, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 9, 2, 10, 0, 0, 0, time.UTC)})
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	get := func() answer { return call(t, http.MethodGet, s.URL()+"/v1.0/me/events/"+invite.ID, tok, nil) }
	if a := get(); a.body["isOrganizer"] != false || fstr(a.body, "responseStatus", "response") != "notResponded" {
		t.Fatalf("invitation = %s", a.raw)
	}
	for _, tc := range []struct{ action, want string }{{"accept", "accepted"}, {"tentativelyAccept", "tentativelyAccepted"}, {"decline", "declined"}} {
		a := call(t, http.MethodPost, s.URL()+"/v1.0/me/events/"+invite.ID+"/"+tc.action, tok, map[string]any{"comment": "ok", "sendResponse": true})
		if a.status != http.StatusAccepted || a.raw != "" {
			t.Fatalf("%s = %d %s", tc.action, a.status, a.raw)
		}
		ev := get().body
		atts, _ := ev["attendees"].([]any)
		if fstr(ev, "responseStatus", "response") != tc.want || fstr(ev, "responseStatus", "time") == "0001-01-01T00:00:00Z" ||
			len(atts) != 2 || fstr(atts[0].(map[string]any), "status", "response") != tc.want || fstr(atts[1].(map[string]any), "status", "response") != "accepted" {
			t.Errorf("after %s: %v", tc.action, ev)
		}
	}
	a := call(t, http.MethodPost, s.URL()+"/v1.0/me/events/"+own.ID+"/accept", tok, map[string]any{"sendResponse": false})
	if a.status != http.StatusBadRequest || errorCode(a) != "ErrorInvalidRequest" {
		t.Errorf("organizer accepting = %d %s", a.status, a.raw)
	}
}

func TestEvents_createOnlineMeetingAndCalendars(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.ReadWrite")
	cals := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/calendars", tok, nil))
	if len(cals) != 1 || cals[0]["isDefaultCalendar"] != true || cals[0]["id"] != s.DefaultCalendarID(alice.ObjectID) ||
		fstr(cals[0], "owner", "address") != alice.Mail || cals[0]["canEdit"] != true {
		t.Fatalf("calendars = %v", cals)
	}
	made := call(t, http.MethodPost, s.URL()+"/v1.0/me/calendars", tok, map[string]any{"name": "Projects", "color": "lightBlue"})
	if made.status != http.StatusCreated || made.str("name") != "Projects" || made.str("color") != "lightBlue" || made.body["isDefaultCalendar"] != false {
		t.Fatalf("POST calendar = %d %s", made.status, made.raw)
	}
	if a := call(t, http.MethodPost, s.URL()+"/v1.0/me/calendars", tok, map[string]any{"name": "projects"}); a.status != http.StatusConflict || errorCode(a) != "ErrorFolderExists" {
		t.Errorf("duplicate calendar = %d %s", a.status, a.raw)
	}
	calID := made.str("id")
	if a := call(t, http.MethodPatch, s.URL()+"/v1.0/me/calendars/"+calID, tok, map[string]any{"name": "Projects 2026"}); a.status != 200 || a.str("name") != "Projects 2026" {
		t.Errorf("PATCH calendar = %d %s", a.status, a.raw)
	}

	created := call(t, http.MethodPost, s.URL()+"/v1.0/me/calendars/"+calID+"/events", tok, map[string]any{
		"subject":               "Kick-off",
		"body":                  map[string]any{"contentType": "text", "content": "Agenda: plan"},
		"start":                 map[string]any{"dateTime": "2026-07-01T10:00:00", "timeZone": "Pacific Standard Time"},
		"end":                   map[string]any{"dateTime": "2026-07-01T11:00:00", "timeZone": "Pacific Standard Time"},
		"location":              map[string]any{"displayName": "Room 1"},
		"attendees":             []any{map[string]any{"type": "required", "emailAddress": map[string]any{"name": "Dan", "address": "dan@b.example"}}},
		"isOnlineMeeting":       true,
		"onlineMeetingProvider": "teamsForBusiness",
	}, "Prefer", `outlook.timezone="Pacific Standard Time"`, "Prefer", `outlook.body-content-type="text"`)
	ev := created.body
	if created.status != http.StatusCreated || !strings.HasPrefix(fstr(ev, "onlineMeeting", "joinUrl"), "https://teams.microsoft.com/l/meetup-join/") ||
		ev["isOnlineMeeting"] != true || ev["onlineMeetingProvider"] != "teamsForBusiness" || ev["isOrganizer"] != true ||
		fstr(ev, "responseStatus", "response") != "organizer" || fstr(ev, "organizer", "emailAddress", "address") != alice.Mail ||
		fstr(ev, "start", "dateTime") != "2026-07-01T10:00:00.0000000" || ev["originalStartTimeZone"] != "Pacific Standard Time" ||
		fstr(ev, "body", "content") != "Agenda: plan" || ev["bodyPreview"] != "Agenda: plan" || ev["isReminderOn"] != true ||
		ev["reminderMinutesBeforeStart"] != float64(15) || ev["iCalUId"] == "" || ev["changeKey"] == "" ||
		created.header.Get("Preference-Applied") != `outlook.body-content-type="text"` {
		t.Fatalf("POST event = %d %s", created.status, created.raw)
	}
	if evs := s.Events(alice.ObjectID, calID); len(evs) != 1 || evs[0].CalendarID != calID || evs[0].Attendees[0].Response != "none" {
		t.Errorf("Events(calendar) = %+v", evs)
	}
	if evs := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/events", tok, nil)); len(evs) != 0 {
		t.Errorf("/me/events (default calendar) lists %d events of another calendar", len(evs))
	}
	if a := call(t, http.MethodDelete, s.URL()+"/v1.0/me/calendars/"+s.DefaultCalendarID(alice.ObjectID), tok, nil); a.status != http.StatusBadRequest {
		t.Errorf("DELETE default calendar = %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodDelete, s.URL()+"/v1.0/me/calendars/"+calID, tok, nil); a.status != http.StatusNoContent || len(s.Events(alice.ObjectID, "")) != 0 {
		t.Errorf("DELETE calendar = %d %s", a.status, a.raw)
	}
}

func TestGetSchedule(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	day := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Design review", Location: graphtest.Location{DisplayName: "Room 4"},
		Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour)})
	seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Maybe lunch", ShowAs: "tentative", Start: day.Add(13 * time.Hour), End: day.Add(14 * time.Hour)})
	seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: "Free time", ShowAs: "free", Start: day.Add(9 * time.Hour), End: day.Add(15 * time.Hour)})
	seedEvent(t, s, carol.ObjectID, "", graphtest.Event{Subject: "Secret", Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour)})
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	a := call(t, http.MethodPost, s.URL()+"/v1.0/me/calendar/getSchedule", tok, map[string]any{
		"schedules":                []string{alice.Mail, carol.UserPrincipalName, "nobody@nowhere.example"},
		"startTime":                map[string]any{"dateTime": "2026-08-03T09:00:00", "timeZone": "UTC"},
		"endTime":                  map[string]any{"dateTime": "2026-08-03T15:00:00", "timeZone": "UTC"},
		"availabilityViewInterval": 60,
	})
	infos := values(t, a)
	if len(infos) != 3 {
		t.Fatalf("getSchedule = %s", a.raw)
	}
	own, other, unknown := infos[0], infos[1], infos[2]
	items, _ := own["scheduleItems"].([]any)
	if own["scheduleId"] != alice.Mail || own["availabilityView"] != "020010" || len(items) != 2 ||
		fstr(items[0].(map[string]any), "subject") != "Design review" || fstr(items[0].(map[string]any), "location") != "Room 4" ||
		fstr(items[1].(map[string]any), "status") != "tentative" || field(own, "workingHours", "startTime") != "08:00:00.0000000" {
		t.Errorf("own schedule = %v", own)
	}
	otherItems, _ := other["scheduleItems"].([]any)
	if other["availabilityView"] != "200000" || len(otherItems) != 1 || field(otherItems[0].(map[string]any), "subject") != nil {
		t.Errorf("other schedule = %v", other)
	}
	if fstr(unknown, "error", "responseCode") == "" {
		t.Errorf("unknown address = %v", unknown)
	}
}

func TestCalendar_isolationAndScopes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := seedEvent(t, s, alice.ObjectID, "", weeklySeries(t))
	carolTok := calendarToken(t, s, carol.ObjectID, "Calendars.ReadWrite")
	aliceTok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	occ := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/calendarView?startDateTime=2026-10-18T00:00:00Z&endDateTime=2026-10-20T00:00:00Z", aliceTok, nil))
	if len(occ) != 1 {
		t.Fatalf("alice's view = %v", occ)
	}
	for _, id := range []string{ev.ID, fstr(occ[0], "id")} {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
			if a := call(t, method, s.URL()+"/v1.0/me/events/"+id, carolTok, map[string]any{"subject": "mine now"}); a.status != http.StatusNotFound {
				t.Errorf("carol %s alice's event = %d %s", method, a.status, a.raw)
			}
		}
	}
	if evs := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/calendarView?startDateTime=2026-10-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z", carolTok, nil)); len(evs) != 0 {
		t.Errorf("carol's view shows %d of alice's events", len(evs))
	}
	if a := call(t, http.MethodGet, s.URL()+"/v1.0/me/calendars/"+s.DefaultCalendarID(alice.ObjectID)+"/events", carolTok, nil); a.status != http.StatusNotFound {
		t.Errorf("carol listing alice's calendar = %d %s", a.status, a.raw)
	}
	// Read-only and mail-only tokens.
	if a := call(t, http.MethodPost, s.URL()+"/v1.0/me/events", aliceTok, map[string]any{}); a.status != http.StatusForbidden || errorCode(a) != "ErrorAccessDenied" {
		t.Errorf("POST with Calendars.Read = %d %s", a.status, a.raw)
	}
	mailTok := calendarToken(t, s, alice.ObjectID, "Mail.Read")
	if a := call(t, http.MethodGet, s.URL()+"/v1.0/me/events", mailTok, nil); a.status != http.StatusForbidden {
		t.Errorf("GET events with Mail.Read = %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodGet, s.URL()+"/v1.0/me/events", "not-a-token", nil); a.status != http.StatusUnauthorized || errorCode(a) != "InvalidAuthenticationToken" {
		t.Errorf("GET events without a valid token = %d %s", a.status, a.raw)
	}
	if ev2, err := s.SeedEvent("00000000-0000-0000-0000-0000000000ff", "", graphtest.Event{}); err == nil {
		t.Errorf("SeedEvent for an unknown user = %+v", ev2)
	}
}

func TestCalendarView_recurrencePatterns(t *testing.T) {
	t.Parallel()
	london := mustZone(t, "Europe/London")
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		start   time.Time
		zone    string
		pattern graphtest.RecurrencePattern
		rng     graphtest.RecurrenceRange
		want    []string // UTC starts, "2006-01-02T15:04"
	}{
		{"daily every other day until an end date", utc(2026, 1, 1), "UTC",
			graphtest.RecurrencePattern{Type: "daily", Interval: 2},
			graphtest.RecurrenceRange{Type: "endDate", StartDate: "2026-01-01", EndDate: "2026-01-07"},
			[]string{"2026-01-01T09:00", "2026-01-03T09:00", "2026-01-05T09:00", "2026-01-07T09:00"}},
		{"weekly every other week on two days", utc(2026, 1, 5), "UTC",
			graphtest.RecurrencePattern{Type: "weekly", Interval: 2, DaysOfWeek: []string{"monday", "wednesday"}, FirstDayOfWeek: "monday"},
			graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-01-05", NumberOfOccurrences: 4},
			[]string{"2026-01-05T09:00", "2026-01-07T09:00", "2026-01-19T09:00", "2026-01-21T09:00"}},
		{"absolute monthly", utc(2026, 1, 15), "UTC",
			graphtest.RecurrencePattern{Type: "absoluteMonthly", Interval: 1, DayOfMonth: 15},
			graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-01-15", NumberOfOccurrences: 3},
			[]string{"2026-01-15T09:00", "2026-02-15T09:00", "2026-03-15T09:00"}},
		{"relative monthly on the last Friday", utc(2026, 1, 30), "UTC",
			graphtest.RecurrencePattern{Type: "relativeMonthly", Interval: 1, DaysOfWeek: []string{"friday"}, Index: "last"},
			graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-01-30", NumberOfOccurrences: 3},
			[]string{"2026-01-30T09:00", "2026-02-27T09:00", "2026-03-27T09:00"}},
		{"absolute yearly", utc(2026, 3, 1), "UTC",
			graphtest.RecurrencePattern{Type: "absoluteYearly", Interval: 1, Month: 3, DayOfMonth: 1},
			graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-03-01", NumberOfOccurrences: 2},
			[]string{"2026-03-01T09:00", "2027-03-01T09:00"}},
		{"relative yearly on the second Tuesday of November", utc(2026, 11, 10), "UTC",
			graphtest.RecurrencePattern{Type: "relativeYearly", Interval: 1, Month: 11, DaysOfWeek: []string{"tuesday"}, Index: "second"},
			graphtest.RecurrenceRange{Type: "numbered", StartDate: "2026-11-10", NumberOfOccurrences: 2},
			[]string{"2026-11-10T09:00", "2027-11-09T09:00"}},
		{"IANA zone across the end of British Summer Time", time.Date(2026, 10, 18, 9, 0, 0, 0, london), "Europe/London",
			graphtest.RecurrencePattern{Type: "weekly", Interval: 1, DaysOfWeek: []string{"sunday"}},
			graphtest.RecurrenceRange{Type: "noEnd", StartDate: "2026-10-18"},
			[]string{"2026-10-18T08:00", "2026-10-25T09:00", "2026-11-01T09:00"}},
	}
	s := newServer(t)
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	for _, tc := range tests {
		cal, err := s.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: tc.name})
		if err != nil {
			t.Fatal(err)
		}
		seedEvent(t, s, alice.ObjectID, cal.ID, graphtest.Event{Subject: tc.name, Start: tc.start, End: tc.start.Add(time.Hour), TimeZone: tc.zone,
			Recurrence: &graphtest.Recurrence{Pattern: tc.pattern, Range: tc.rng}})
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			end := "2028-01-01T00:00:00Z"
			if tc.rng.Type == "noEnd" {
				end = "2026-11-02T00:00:00Z"
			}
			evs := values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/calendars/"+cal.ID+"/calendarView?$top=100&startDateTime=2026-01-01T00:00:00Z&endDateTime="+end, tok, nil))
			var got []string
			for _, ev := range evs {
				got = append(got, fstr(ev, "start", "dateTime")[:16])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("starts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvents_filterAndOrderBy(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	day := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for i, subj := range []string{"Alpha planning", "Beta review", "Gamma planning"} {
		seedEvent(t, s, alice.ObjectID, "", graphtest.Event{Subject: subj, Categories: []string{"Work"}, Start: day.Add(time.Duration(i) * 24 * time.Hour), End: day.Add(time.Duration(i)*24*time.Hour + time.Hour)})
	}
	tok := calendarToken(t, s, alice.ObjectID, "Calendars.Read")
	tests := []struct {
		query string
		want  []string
	}{
		{"$filter=" + url.QueryEscape("contains(subject,'planning')") + "&$orderby=" + url.QueryEscape("start/dateTime desc"), []string{"Gamma planning", "Alpha planning"}},
		{"$filter=" + url.QueryEscape("start/dateTime ge '2026-04-02T00:00:00' and categories/any(c:c eq 'work')"), []string{"Beta review", "Gamma planning"}},
		{"$filter=" + url.QueryEscape("subject eq 'Beta review'"), []string{"Beta review"}},
		{"$orderby=subject", []string{"Alpha planning", "Beta review", "Gamma planning"}},
	}
	for _, tc := range tests {
		var got []string
		for _, ev := range values(t, call(t, http.MethodGet, s.URL()+"/v1.0/me/events?"+tc.query, tok, nil)) {
			got = append(got, fstr(ev, "subject"))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
}
