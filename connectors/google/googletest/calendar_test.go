package googletest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const (
	calBase      = "/calendar/v3"
	scopeCal     = "https://www.googleapis.com/auth/calendar"
	scopeCalRO   = "https://www.googleapis.com/auth/calendar.readonly"
	scopeEvents  = "https://www.googleapis.com/auth/calendar.events"
	aliceAddress = "alice@example.com"
)

// calToken signs the default user (or the one set with SetNextUser) in
// with these scopes and returns the access token.
func calToken(t *testing.T, s *googletest.Server, scope string) string {
	t.Helper()
	_, back := authorize(t, s, authQuery("scope", "openid email "+scope))
	return exchange(t, s, back.Get("code")).str("access_token")
}

// calDo sends a Calendar API request with a JSON body (nil: none) and
// header pairs.
func calDo(t *testing.T, s *googletest.Server, method, path, bearer string, body any, hdr ...string) answer {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if raw, ok := body.(string); ok {
			b = []byte(raw)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, s.APIBaseURL()+calBase+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

// items returns a list answer's items.
func (a answer) items() []map[string]any {
	var out []map[string]any
	list, _ := a.body["items"].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

// reason returns a Google error answer's first reason.
func (a answer) reason() string {
	e, _ := a.body["error"].(map[string]any)
	errs, _ := e["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	r, _ := errs[0].(map[string]any)["reason"].(string)
	return r
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func eventsPath(calendarID string, q url.Values) string {
	p := "/calendars/" + url.PathEscape(calendarID) + "/events"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func seedEvent(t *testing.T, s *googletest.Server, e googletest.Event) googletest.Event {
	t.Helper()
	got, err := s.SeedEvent(aliceAddress, "", e)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func timed(dateTime, zone string) *googletest.EventDateTime {
	return &googletest.EventDateTime{DateTime: dateTime, TimeZone: zone}
}

func TestCalendar_recurrenceKeepsLocalTimeAcrossDST(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, zone, start, end string
		count                  string
		wantStarts, wantIDs    []string
	}{
		{name: "US DST ends 2026-11-01", zone: "America/New_York", start: "2026-10-19T09:00:00", end: "2026-10-19T10:00:00", count: "4",
			wantStarts: []string{"2026-10-19T09:00:00-04:00", "2026-10-26T09:00:00-04:00", "2026-11-02T09:00:00-05:00", "2026-11-09T09:00:00-05:00"},
			wantIDs:    []string{"_20261019T130000Z", "_20261026T130000Z", "_20261102T140000Z", "_20261109T140000Z"}},
		{name: "EU DST ends 2026-10-25", zone: "Europe/Berlin", start: "2026-10-19T09:00:00+02:00", end: "2026-10-19T09:30:00+02:00", count: "3",
			wantStarts: []string{"2026-10-19T09:00:00+02:00", "2026-10-26T09:00:00+01:00", "2026-11-02T09:00:00+01:00"},
			wantIDs:    []string{"_20261019T070000Z", "_20261026T080000Z", "_20261102T080000Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			at := calToken(t, s, scopeCalRO)
			master := seedEvent(t, s, googletest.Event{Summary: "Weekly", Start: timed(tc.start, tc.zone), End: timed(tc.end, tc.zone),
				Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=" + tc.count}})
			list := calDo(t, s, "GET", eventsPath("primary", url.Values{"singleEvents": {"true"}, "orderBy": {"startTime"},
				"timeMin": {"2026-10-01T00:00:00Z"}, "timeMax": {"2026-12-01T00:00:00-05:00"}}), at, nil)
			if list.status != 200 || list.str("kind") != "calendar#events" {
				t.Fatalf("list = %d %v", list.status, list.body)
			}
			items := list.items()
			if len(items) != len(tc.wantStarts) {
				t.Fatalf("got %d instances: %v", len(items), items)
			}
			for i, it := range items {
				if field(it, "start", "dateTime") != tc.wantStarts[i] || field(it, "start", "timeZone") != tc.zone ||
					it["id"] != master.ID+tc.wantIDs[i] || it["recurringEventId"] != master.ID ||
					field(it, "originalStartTime", "dateTime") != tc.wantStarts[i] || it["recurrence"] != nil {
					t.Errorf("instance %d = %v", i, it)
				}
			}
			// Without singleEvents the series itself is listed, once.
			series := calDo(t, s, "GET", eventsPath("primary", url.Values{"timeMin": {"2026-11-01T00:00:00Z"}}), at, nil).items()
			if len(series) != 1 || series[0]["id"] != master.ID || len(series[0]["recurrence"].([]any)) != 1 {
				t.Errorf("series = %v", series)
			}
			inst := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+master.ID+"/instances", at, nil)
			if len(inst.items()) != len(tc.wantStarts) {
				t.Errorf("instances = %v", inst.body)
			}
		})
	}
}

func TestCalendar_exceptionsAndCancelledOccurrences(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeEvents)
	ny := "America/New_York"
	master := seedEvent(t, s, googletest.Event{Summary: "Standup", Location: "Room 1", Start: timed("2026-10-19T09:00:00", ny),
		End: timed("2026-10-19T09:15:00", ny), Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=5"},
		Attendees: []googletest.EventAttendee{{Email: "bob@other.org"}}})
	moved := seedEvent(t, s, googletest.Event{RecurringEventID: master.ID, OriginalStartTime: timed("2026-10-26T09:00:00", ny),
		Summary: "Standup (moved)", Start: timed("2026-10-26T10:30:00", ny), End: timed("2026-10-26T10:45:00", ny)})
	cancelled := seedEvent(t, s, googletest.Event{RecurringEventID: master.ID, OriginalStartTime: timed("2026-11-02T09:00:00-05:00", ny),
		Status: "cancelled"})
	if moved.ID != master.ID+"_20261026T130000Z" || moved.Location != "Room 1" || len(moved.Attendees) != 1 ||
		cancelled.ID != master.ID+"_20261102T140000Z" {
		t.Fatalf("exceptions = %+v / %+v", moved, cancelled)
	}
	if _, err := s.SeedEvent(aliceAddress, "", googletest.Event{RecurringEventID: master.ID,
		OriginalStartTime: timed("2026-10-20T09:00:00", ny)}); err == nil {
		t.Fatal("an exception of a time that is no occurrence was seeded")
	}

	single := url.Values{"singleEvents": {"true"}, "orderBy": {"startTime"}}
	summaries := func(q url.Values) []string {
		var out []string
		for _, it := range calDo(t, s, "GET", eventsPath("primary", q), at, nil).items() {
			sum, _ := it["summary"].(string)
			out = append(out, it["status"].(string)+":"+sum+"@"+strings.TrimSuffix(field(it, "start", "dateTime").(string), ":00-04:00"))
		}
		return out
	}
	if got := summaries(single); !slices.Equal(got, []string{"confirmed:Standup@2026-10-19T09:00", "confirmed:Standup (moved)@2026-10-26T10:30",
		"confirmed:Standup@2026-11-09T09:00:00-05:00", "confirmed:Standup@2026-11-16T09:00:00-05:00"}) {
		t.Fatalf("single events = %q", got)
	}
	withDeleted := calDo(t, s, "GET", eventsPath("primary", url.Values{"singleEvents": {"true"}, "showDeleted": {"true"}}), at, nil).items()
	if len(withDeleted) != 5 {
		t.Fatalf("showDeleted = %v", withDeleted)
	}
	// Not expanded: the series and its two exceptions; the cancelled one
	// is listed without showDeleted, reduced to its series and slot.
	var kinds []string
	for _, it := range calDo(t, s, "GET", eventsPath("primary", nil), at, nil).items() {
		switch {
		case it["recurrence"] != nil:
			kinds = append(kinds, "series")
		case it["status"] == "cancelled" && it["summary"] == nil && it["recurringEventId"] == master.ID && it["originalStartTime"] != nil:
			kinds = append(kinds, "cancelled")
		case it["recurringEventId"] == master.ID:
			kinds = append(kinds, "exception")
		}
	}
	if !slices.Equal(kinds, []string{"series", "exception", "cancelled"}) {
		t.Fatalf("not expanded = %q", kinds)
	}

	// Over HTTP: patching an occurrence stores an exception, deleting one
	// cancels it, a second delete is 410.
	fourth := master.ID + "_20261109T140000Z"
	p := calDo(t, s, "PATCH", eventsPath("primary", nil)+"/"+fourth, at, map[string]any{"summary": "Retro"})
	if p.status != 200 || p.str("id") != fourth || p.str("summary") != "Retro" || p.str("recurringEventId") != master.ID ||
		field(p.body, "originalStartTime", "dateTime") != "2026-11-09T09:00:00-05:00" || p.str("location") != "Room 1" {
		t.Fatalf("patch instance = %d %v", p.status, p.body)
	}
	first := master.ID + "_20261019T130000Z"
	if d := calDo(t, s, "DELETE", eventsPath("primary", nil)+"/"+first, at, nil); d.status != 204 {
		t.Fatalf("delete instance = %d %v", d.status, d.body)
	}
	if d := calDo(t, s, "DELETE", eventsPath("primary", nil)+"/"+first, at, nil); d.status != 410 || d.reason() != "deleted" {
		t.Fatalf("second delete = %d %v", d.status, d.body)
	}
	if g := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+first, at, nil); g.status != 200 || g.str("status") != "cancelled" {
		t.Fatalf("get cancelled instance = %d %v", g.status, g.body)
	}
	if g := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+master.ID+"_20261020T130000Z", at, nil); g.status != 404 {
		t.Fatalf("get a non-occurrence = %d", g.status)
	}
	inst := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+master.ID+"/instances", at, nil).items()
	var ids []string
	for _, it := range inst {
		ids = append(ids, strings.TrimPrefix(it["id"].(string), master.ID))
	}
	if !slices.Equal(ids, []string{"_20261026T130000Z", "_20261109T140000Z", "_20261116T140000Z"}) {
		t.Fatalf("instances = %q", ids)
	}
	// Deleting the series cancels it and its exceptions.
	if d := calDo(t, s, "DELETE", eventsPath("primary", nil)+"/"+master.ID, at, nil); d.status != 204 {
		t.Fatalf("delete series = %d", d.status)
	}
	if left := calDo(t, s, "GET", eventsPath("primary", single), at, nil).items(); len(left) != 0 {
		t.Fatalf("after deleting the series = %v", left)
	}
}

func TestCalendar_allDayEvents(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	if _, err := s.SeedCalendar(aliceAddress, googletest.Calendar{ID: "primary", TimeZone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	at := calToken(t, s, scopeCalRO)
	trip := seedEvent(t, s, googletest.Event{Summary: "Trip", Start: &googletest.EventDateTime{Date: "2026-10-20"},
		End: &googletest.EventDateTime{Date: "2026-10-23"}, Transparency: "transparent"})
	bday := seedEvent(t, s, googletest.Event{Summary: "Birthday", Start: &googletest.EventDateTime{Date: "2026-10-21"},
		End: &googletest.EventDateTime{Date: "2026-10-22"}, Recurrence: []string{"RRULE:FREQ=YEARLY"}})
	for _, tc := range []struct {
		timeMin, timeMax string
		want             []string
	}{
		{"2026-10-22T12:00:00-04:00", "2026-10-23T12:00:00-04:00", []string{trip.ID}},
		{"2026-10-23T00:00:00-04:00", "2026-10-24T00:00:00-04:00", nil}, // the end date is exclusive
		{"2026-10-22T03:00:00Z", "2026-10-22T03:30:00Z", []string{trip.ID, bday.ID + "_20261021"}},
		{"2027-10-21T00:00:00-04:00", "2027-10-22T00:00:00-04:00", []string{bday.ID + "_20271021"}},
	} {
		got := calDo(t, s, "GET", eventsPath("primary", url.Values{"singleEvents": {"true"}, "orderBy": {"startTime"},
			"timeMin": {tc.timeMin}, "timeMax": {tc.timeMax}}), at, nil)
		var ids []string
		for _, it := range got.items() {
			ids = append(ids, it["id"].(string))
			if it["start"].(map[string]any)["date"] == nil || field(it, "start", "dateTime") != nil {
				t.Errorf("all-day event rendered with a dateTime: %v", it)
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("[%s, %s) = %q, want %q", tc.timeMin, tc.timeMax, ids, tc.want)
		}
	}
	g := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+bday.ID+"_20271021", at, nil)
	if field(g.body, "start", "date") != "2027-10-21" || field(g.body, "end", "date") != "2027-10-22" ||
		field(g.body, "originalStartTime", "date") != "2027-10-21" {
		t.Fatalf("all-day instance = %v", g.body)
	}
}

func TestCalendar_pagingAndIncrementalSync(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeCal)
	var ids []string
	for i := range 5 {
		e := seedEvent(t, s, googletest.Event{Summary: "E" + string(rune('0'+i)), Start: timed("2026-10-2"+string(rune('0'+i))+"T10:00:00Z", ""),
			End: timed("2026-10-2"+string(rune('0'+i))+"T11:00:00Z", "")})
		ids = append(ids, e.ID)
	}
	var got []string
	var syncTok string
	q := url.Values{"maxResults": {"2"}}
	for pages := 0; ; pages++ {
		a := calDo(t, s, "GET", eventsPath("primary", q), at, nil)
		for _, it := range a.items() {
			got = append(got, it["id"].(string))
		}
		next, sync := a.str("nextPageToken"), a.str("nextSyncToken")
		if (next == "") == (sync == "") {
			t.Fatalf("page %d: nextPageToken %q, nextSyncToken %q", pages, next, sync)
		}
		if sync != "" {
			syncTok = sync
			break
		}
		q.Set("pageToken", next)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("paged ids = %q, want %q", got, ids)
	}

	// Changes since: a patch, a delete and an insert.
	if p := calDo(t, s, "PATCH", eventsPath("primary", nil)+"/"+ids[1], at, map[string]any{"summary": "renamed"}); p.status != 200 {
		t.Fatalf("patch = %d", p.status)
	}
	if d := calDo(t, s, "DELETE", eventsPath("primary", nil)+"/"+ids[2], at, nil); d.status != 204 {
		t.Fatalf("delete = %d", d.status)
	}
	ins := calDo(t, s, "POST", eventsPath("primary", nil), at, map[string]any{"summary": "new",
		"start": map[string]string{"dateTime": "2026-11-01T10:00:00Z"}, "end": map[string]string{"dateTime": "2026-11-01T11:00:00Z"}})
	if ins.status != 200 {
		t.Fatalf("insert = %d %v", ins.status, ins.body)
	}
	delta := calDo(t, s, "GET", eventsPath("primary", url.Values{"syncToken": {syncTok}}), at, nil)
	items := delta.items()
	if delta.status != 200 || len(items) != 3 || delta.str("nextSyncToken") == "" || delta.str("nextSyncToken") == syncTok {
		t.Fatalf("delta = %d %v", delta.status, delta.body)
	}
	byID := map[string]map[string]any{}
	for _, it := range items {
		byID[it["id"].(string)] = it
	}
	if byID[ids[1]]["summary"] != "renamed" || byID[ins.str("id")]["summary"] != "new" {
		t.Fatalf("delta items = %v", items)
	}
	if del := byID[ids[2]]; del["status"] != "cancelled" || del["summary"] != nil || del["etag"] == nil {
		t.Fatalf("deleted event in delta = %v", del)
	}
	again := calDo(t, s, "GET", eventsPath("primary", url.Values{"syncToken": {delta.str("nextSyncToken")}}), at, nil)
	if again.status != 200 || len(again.items()) != 0 || again.str("nextSyncToken") == "" {
		t.Fatalf("empty delta = %d %v", again.status, again.body)
	}
	if bad := calDo(t, s, "GET", eventsPath("primary", url.Values{"syncToken": {syncTok}, "timeMin": {"2026-10-01T00:00:00Z"}}), at, nil); bad.status != 400 {
		t.Fatalf("syncToken with timeMin = %d", bad.status)
	}
	if ordered := calDo(t, s, "GET", eventsPath("primary", url.Values{"singleEvents": {"true"}, "orderBy": {"startTime"}}), at, nil); ordered.str("nextSyncToken") != "" {
		t.Fatalf("an ordered listing got a sync token")
	}

	s.ExpireSyncTokens()
	gone := calDo(t, s, "GET", eventsPath("primary", url.Values{"syncToken": {delta.str("nextSyncToken")}}), at, nil)
	errBody, _ := gone.body["error"].(map[string]any)
	first, _ := errBody["errors"].([]any)[0].(map[string]any)
	if gone.status != 410 || gone.reason() != "fullSyncRequired" || first["domain"] != "calendar" || first["location"] != "syncToken" ||
		errBody["code"] != float64(410) {
		t.Fatalf("expired sync token = %d %v", gone.status, gone.body)
	}
	if forged := calDo(t, s, "GET", eventsPath("primary", url.Values{"syncToken": {"1" + syncTok}}), at, nil); forged.status != 410 {
		t.Fatalf("forged sync token = %d", forged.status)
	}
}

func TestCalendar_conditionalRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeEvents)
	e := seedEvent(t, s, googletest.Event{Summary: "Plan", Start: timed("2026-10-20T10:00:00+02:00", "Europe/Berlin"),
		End: timed("2026-10-20T11:00:00+02:00", "Europe/Berlin")})
	path := eventsPath("primary", nil) + "/" + e.ID
	if !strings.HasPrefix(e.ETag, `"`) || !strings.HasSuffix(e.ETag, `"`) {
		t.Fatalf("etag %s is not quoted", e.ETag)
	}
	if nm := calDo(t, s, "GET", path, at, nil, "If-None-Match", e.ETag); nm.status != 304 {
		t.Fatalf("If-None-Match current = %d", nm.status)
	}
	p := calDo(t, s, "PATCH", path, at, map[string]any{"summary": "Plan B"}, "If-Match", e.ETag)
	if p.status != 200 || p.str("etag") == e.ETag || p.body["sequence"] != float64(1) {
		t.Fatalf("patch with current etag = %d %v", p.status, p.body)
	}
	for _, method := range []string{"PATCH", "PUT", "DELETE"} {
		a := calDo(t, s, method, path, at, map[string]any{"summary": "stale",
			"start": map[string]string{"dateTime": "2026-10-20T10:00:00Z"}, "end": map[string]string{"dateTime": "2026-10-20T11:00:00Z"}},
			"If-Match", e.ETag)
		if a.status != 412 || a.reason() != "conditionNotMet" {
			t.Errorf("%s with a stale etag = %d %v", method, a.status, a.body)
		}
	}
	u := calDo(t, s, "PUT", path, at, map[string]any{"summary": "Replaced",
		"start": map[string]string{"dateTime": "2026-10-20T12:00:00Z"}, "end": map[string]string{"dateTime": "2026-10-20T13:00:00Z"}},
		"If-Match", p.str("etag"))
	if u.status != 200 || u.str("summary") != "Replaced" || u.str("id") != e.ID || u.str("created") == "" || u.body["sequence"] != float64(2) ||
		field(u.body, "start", "dateTime") != "2026-10-20T12:00:00Z" {
		t.Fatalf("update = %d %v", u.status, u.body)
	}
	if stored, _ := s.Event(aliceAddress, "primary", e.ID); stored.Summary != "Replaced" || stored.ETag != u.str("etag") {
		t.Fatalf("stored = %+v", stored)
	}
}

func TestCalendar_validation(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeEvents)
	dup := seedEvent(t, s, googletest.Event{ID: "abcdef12345", Summary: "x", Start: timed("2026-10-20T10:00:00Z", ""), End: timed("2026-10-20T11:00:00Z", "")})
	dt := func(v string) map[string]string { return map[string]string{"dateTime": v} }
	for _, tc := range []struct {
		name   string
		body   any
		status int
		reason string
	}{
		{"end before start", map[string]any{"start": dt("2026-10-20T11:00:00Z"), "end": dt("2026-10-20T10:00:00Z")}, 400, "timeRangeEmpty"},
		{"unknown time zone", map[string]any{"start": map[string]string{"dateTime": "2026-10-20T10:00:00", "timeZone": "Mars/Olympus"},
			"end": dt("2026-10-20T11:00:00Z")}, 400, "invalid"},
		{"invalid rrule", map[string]any{"start": map[string]string{"dateTime": "2026-10-20T10:00:00", "timeZone": "UTC"},
			"end": map[string]string{"dateTime": "2026-10-20T11:00:00", "timeZone": "UTC"}, "recurrence": []string{"RRULE:FREQ=SOMETIMES"}}, 400, "invalid"},
		{"dtstart in recurrence", map[string]any{"start": map[string]string{"dateTime": "2026-10-20T10:00:00", "timeZone": "UTC"},
			"end": map[string]string{"dateTime": "2026-10-20T11:00:00", "timeZone": "UTC"}, "recurrence": []string{"DTSTART:20261020T100000Z"}}, 400, "invalid"},
		{"series without a time zone", map[string]any{"start": dt("2026-10-20T10:00:00Z"), "end": dt("2026-10-20T11:00:00Z"),
			"recurrence": []string{"RRULE:FREQ=DAILY"}}, 400, "required"},
		{"missing start", map[string]any{"end": dt("2026-10-20T11:00:00Z")}, 400, "required"},
		{"missing end", map[string]any{"start": dt("2026-10-20T11:00:00Z")}, 400, "required"},
		{"no offset, no zone", map[string]any{"start": dt("2026-10-20T10:00:00"), "end": dt("2026-10-20T11:00:00")}, 400, "required"},
		{"date and dateTime", map[string]any{"start": map[string]string{"date": "2026-10-20"}, "end": dt("2026-10-20T11:00:00Z")}, 400, "invalid"},
		{"empty all-day range", map[string]any{"start": map[string]string{"date": "2026-10-20"}, "end": map[string]string{"date": "2026-10-20"}}, 400, "timeRangeEmpty"},
		{"bad attendee", map[string]any{"start": dt("2026-10-20T10:00:00Z"), "end": dt("2026-10-20T11:00:00Z"),
			"attendees": []map[string]string{{"email": "not an address"}}}, 400, "invalid"},
		{"bad id", map[string]any{"id": "UPPER_case", "start": dt("2026-10-20T10:00:00Z"), "end": dt("2026-10-20T11:00:00Z")}, 400, "invalid"},
		{"duplicate id", map[string]any{"id": dup.ID, "start": dt("2026-10-20T10:00:00Z"), "end": dt("2026-10-20T11:00:00Z")}, 409, "duplicate"},
		{"reminders both ways", map[string]any{"start": dt("2026-10-20T10:00:00Z"), "end": dt("2026-10-20T11:00:00Z"),
			"reminders": map[string]any{"useDefault": true, "overrides": []map[string]any{{"method": "popup", "minutes": 5}}}}, 400, "cannotUseDefaultRemindersAndSpecifyOverride"},
		{"not JSON", "{summary", 400, "parseError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := calDo(t, s, "POST", eventsPath("primary", nil), at, tc.body)
			if a.status != tc.status || a.reason() != tc.reason || field(a.body, "error", "code") != float64(tc.status) {
				t.Fatalf("= %d %v, want %d %s", a.status, a.body, tc.status, tc.reason)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		q      url.Values
		status int
		reason string
	}{
		{"timeMin without offset", url.Values{"timeMin": {"2026-10-20T10:00:00"}}, 400, "badRequest"},
		{"empty window", url.Values{"timeMin": {"2026-10-20T10:00:00Z"}, "timeMax": {"2026-10-20T10:00:00Z"}}, 400, "timeRangeEmpty"},
		{"startTime order without singleEvents", url.Values{"orderBy": {"startTime"}}, 400, "badRequest"},
		{"maxResults 0", url.Values{"maxResults": {"0"}}, 400, "invalid"},
		{"unknown calendar", nil, 404, "notFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cal := "primary"
			if tc.status == 404 {
				cal = "nobody@example.com"
			}
			if a := calDo(t, s, "GET", eventsPath(cal, tc.q), at, nil); a.status != tc.status || a.reason() != tc.reason {
				t.Fatalf("= %d %v", a.status, a.body)
			}
		})
	}
	if a := calDo(t, s, "GET", eventsPath("primary", nil), "ya29.unknown", nil); a.status != 401 {
		t.Errorf("unknown token = %d", a.status)
	}
	ro := calToken(t, s, scopeCalRO)
	if a := calDo(t, s, "POST", eventsPath("primary", nil), ro, map[string]any{}); a.status != 403 || a.reason() != "insufficientPermissions" {
		t.Errorf("insert with calendar.readonly = %d %v", a.status, a.body)
	}
	if _, err := s.SeedEvent(aliceAddress, "", googletest.Event{Start: timed("2026-10-20T11:00:00Z", ""), End: timed("2026-10-20T10:00:00Z", "")}); err == nil ||
		!strings.HasPrefix(err.Error(), "googletest: ") {
		t.Errorf("SeedEvent of an empty range: %v", err)
	}
}

func TestCalendar_meetLinkAndInvitationResponse(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeEvents)
	ins := calDo(t, s, "POST", eventsPath("primary", url.Values{"conferenceDataVersion": {"1"}}), at, map[string]any{
		"summary": "Sync", "location": "Online", "description": "Agenda",
		"start":          map[string]string{"dateTime": "2026-10-20T10:00:00", "timeZone": "Europe/Berlin"},
		"end":            map[string]string{"dateTime": "2026-10-20T11:00:00", "timeZone": "Europe/Berlin"},
		"attendees":      []map[string]any{{"email": "bob@other.org", "displayName": "Bob"}},
		"conferenceData": map[string]any{"createRequest": map[string]any{"requestId": "r1", "conferenceSolutionKey": map[string]string{"type": "hangoutsMeet"}}},
	})
	link := ins.str("hangoutLink")
	ep, _ := field(ins.body, "conferenceData", "entryPoints").([]any)
	if ins.status != 200 || !strings.HasPrefix(link, "https://meet.google.com/") || len(ep) == 0 ||
		ep[0].(map[string]any)["uri"] != link || field(ins.body, "conferenceData", "createRequest", "status", "statusCode") != "success" ||
		field(ins.body, "organizer", "self") != true || field(ins.body, "start", "dateTime") != "2026-10-20T10:00:00+02:00" ||
		ins.str("kind") != "calendar#event" || ins.str("status") != "confirmed" || ins.str("iCalUID") == "" || ins.str("htmlLink") == "" ||
		field(ins.body, "reminders", "useDefault") != true {
		t.Fatalf("insert with Meet = %d %v", ins.status, ins.body)
	}
	att := ins.body["attendees"].([]any)[0].(map[string]any)
	if att["responseStatus"] != "needsAction" || att["self"] != nil {
		t.Fatalf("attendee = %v", att)
	}
	// Without conferenceDataVersion a createRequest is ignored.
	plain := calDo(t, s, "POST", eventsPath("primary", nil), at, map[string]any{
		"start": map[string]string{"dateTime": "2026-10-21T10:00:00Z"}, "end": map[string]string{"dateTime": "2026-10-21T11:00:00Z"},
		"conferenceData": map[string]any{"createRequest": map[string]any{"requestId": "r2"}}})
	if plain.status != 200 || plain.body["hangoutLink"] != nil || plain.body["conferenceData"] != nil {
		t.Fatalf("insert without conferenceDataVersion = %v", plain.body)
	}

	// An invitation from Bob: Alice answers by patching her attendee.
	inv := seedEvent(t, s, googletest.Event{Summary: "Bob's review", Organizer: &googletest.EventPerson{Email: "bob@other.org", DisplayName: "Bob"},
		Start: timed("2026-10-22T15:00:00Z", ""), End: timed("2026-10-22T16:00:00Z", ""), HangoutLink: "https://meet.google.com/abc-defg-hij",
		Attendees: []googletest.EventAttendee{{Email: "bob@other.org", ResponseStatus: "accepted"}, {Email: aliceAddress}}})
	if inv.Organizer.Self || !inv.Attendees[0].Organizer || !inv.Attendees[1].Self || inv.ConferenceData == nil ||
		inv.ConferenceData.ConferenceID != "abc-defg-hij" {
		t.Fatalf("seeded invitation = %+v", inv)
	}
	resp := calDo(t, s, "PATCH", eventsPath("primary", nil)+"/"+inv.ID, at, map[string]any{"attendees": []map[string]any{
		{"email": "bob@other.org", "responseStatus": "accepted"}, {"email": aliceAddress, "responseStatus": "accepted", "comment": "see you"}}})
	atts := resp.body["attendees"].([]any)
	me := atts[1].(map[string]any)
	if resp.status != 200 || me["responseStatus"] != "accepted" || me["self"] != true || me["comment"] != "see you" ||
		resp.body["sequence"] != float64(0) || resp.str("etag") == inv.ETag || resp.str("hangoutLink") != inv.HangoutLink {
		t.Fatalf("response = %d %v", resp.status, resp.body)
	}
}

func TestCalendar_freeBusy(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeCalRO)
	utc := func(v string) *googletest.EventDateTime { return timed(v, "") }
	seedEvent(t, s, googletest.Event{Summary: "a", Start: utc("2026-10-20T10:00:00Z"), End: utc("2026-10-20T11:00:00Z")})
	seedEvent(t, s, googletest.Event{Summary: "b", Start: utc("2026-10-20T10:30:00Z"), End: utc("2026-10-20T11:30:00Z")})
	seedEvent(t, s, googletest.Event{Summary: "free", Start: utc("2026-10-20T12:00:00Z"), End: utc("2026-10-20T13:00:00Z"), Transparency: "transparent"})
	seedEvent(t, s, googletest.Event{Summary: "gone", Start: utc("2026-10-20T14:00:00Z"), End: utc("2026-10-20T15:00:00Z"), Status: "cancelled"})
	seedEvent(t, s, googletest.Event{Summary: "declined", Start: utc("2026-10-20T16:00:00Z"), End: utc("2026-10-20T17:00:00Z"),
		Organizer: &googletest.EventPerson{Email: "bob@other.org"}, Attendees: []googletest.EventAttendee{{Email: aliceAddress, ResponseStatus: "declined"}}})
	seedEvent(t, s, googletest.Event{Summary: "daily", Start: timed("2026-10-19T18:00:00", "UTC"), End: timed("2026-10-19T19:00:00", "UTC"),
		Recurrence: []string{"RRULE:FREQ=DAILY"}})
	fb := calDo(t, s, "POST", "/freeBusy", at, map[string]any{"timeMin": "2026-10-20T00:00:00Z", "timeMax": "2026-10-20T18:30:00Z",
		"items": []map[string]string{{"id": "primary"}, {"id": "carol@gmail.com"}}})
	busy, _ := field(fb.body, "calendars", "primary", "busy").([]any)
	var got []string
	for _, b := range busy {
		got = append(got, b.(map[string]any)["start"].(string)+"/"+b.(map[string]any)["end"].(string))
	}
	want := []string{"2026-10-20T10:00:00Z/2026-10-20T11:30:00Z", "2026-10-20T18:00:00Z/2026-10-20T18:30:00Z"}
	if fb.status != 200 || fb.str("kind") != "calendar#freeBusy" || !slices.Equal(got, want) {
		t.Fatalf("freeBusy = %d %v, busy %q", fb.status, fb.body, got)
	}
	errs, _ := field(fb.body, "calendars", "carol@gmail.com", "errors").([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["reason"] != "notFound" || errs[0].(map[string]any)["domain"] != "global" {
		t.Fatalf("other user's calendar = %v", field(fb.body, "calendars", "carol@gmail.com"))
	}
	zoned := calDo(t, s, "POST", "/freeBusy", at, map[string]any{"timeMin": "2026-10-20T00:00:00Z", "timeMax": "2026-10-20T12:00:00Z",
		"timeZone": "Europe/Berlin", "items": []map[string]string{{"id": aliceAddress}}})
	if b, _ := field(zoned.body, "calendars", aliceAddress, "busy").([]any); len(b) != 1 || b[0].(map[string]any)["start"] != "2026-10-20T12:00:00+02:00" {
		t.Fatalf("freeBusy in Berlin = %v", zoned.body)
	}
	if bad := calDo(t, s, "POST", "/freeBusy", at, map[string]any{"timeMin": "2026-10-20T12:00:00Z", "timeMax": "2026-10-20T10:00:00Z",
		"items": []map[string]string{{"id": "primary"}}}); bad.status != 400 || bad.reason() != "timeRangeEmpty" {
		t.Fatalf("empty range = %d %v", bad.status, bad.body)
	}
}

func TestCalendar_otherUsersSeeNothing(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	secret := seedEvent(t, s, googletest.Event{Summary: "secret", Start: timed("2026-10-20T10:00:00Z", ""), End: timed("2026-10-20T11:00:00Z", "")})
	if err := s.SetNextUser("carol@gmail.com"); err != nil {
		t.Fatal(err)
	}
	carol := calToken(t, s, scopeCal)
	for _, tc := range []struct{ method, path string }{
		{"GET", eventsPath(aliceAddress, nil)},
		{"GET", eventsPath(aliceAddress, nil) + "/" + secret.ID},
		{"GET", eventsPath("primary", nil) + "/" + secret.ID},
		{"PATCH", eventsPath("primary", nil) + "/" + secret.ID},
		{"DELETE", eventsPath("primary", nil) + "/" + secret.ID},
		{"GET", "/calendars/" + url.PathEscape(aliceAddress)},
		{"GET", "/users/me/calendarList/" + url.PathEscape(aliceAddress)},
	} {
		var body any
		if tc.method == "PATCH" {
			body = map[string]any{"summary": "mine now"}
		}
		if a := calDo(t, s, tc.method, tc.path, carol, body); a.status != 404 || a.reason() != "notFound" {
			t.Errorf("%s %s as carol = %d %v", tc.method, tc.path, a.status, a.body)
		}
	}
	if own := calDo(t, s, "GET", eventsPath("primary", nil), carol, nil); own.status != 200 || len(own.items()) != 0 {
		t.Errorf("carol's primary = %v", own.body)
	}
	if got, _ := s.Event(aliceAddress, "", secret.ID); got.Summary != "secret" {
		t.Errorf("alice's event changed: %+v", got)
	}
}

func TestCalendar_calendarsAndCalendarList(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeCal)
	list := calDo(t, s, "GET", "/users/me/calendarList", at, nil)
	items := list.items()
	if list.status != 200 || list.str("kind") != "calendar#calendarList" || len(items) != 1 || items[0]["id"] != aliceAddress ||
		items[0]["primary"] != true || items[0]["accessRole"] != "owner" || items[0]["kind"] != "calendar#calendarListEntry" ||
		list.str("nextSyncToken") == "" {
		t.Fatalf("calendarList = %d %v", list.status, list.body)
	}
	created := calDo(t, s, "POST", "/calendars", at, map[string]any{"summary": "Team", "timeZone": "Europe/Paris"})
	id := created.str("id")
	if created.status != 200 || created.str("kind") != "calendar#calendar" || !strings.HasSuffix(id, "@group.calendar.google.com") ||
		created.str("timeZone") != "Europe/Paris" {
		t.Fatalf("insert calendar = %d %v", created.status, created.body)
	}
	if bad := calDo(t, s, "POST", "/calendars", at, map[string]any{"summary": "x", "timeZone": "Nowhere/City"}); bad.status != 400 {
		t.Fatalf("unknown zone = %d", bad.status)
	}
	p := calDo(t, s, "PATCH", "/calendars/"+url.PathEscape(id), at, map[string]any{"description": "the team"})
	if p.status != 200 || p.str("summary") != "Team" || p.str("description") != "the team" {
		t.Fatalf("patch calendar = %d %v", p.status, p.body)
	}
	ev := calDo(t, s, "POST", eventsPath(id, nil), at, map[string]any{"summary": "offsite",
		"start": map[string]string{"dateTime": "2026-10-20T10:00:00Z"}, "end": map[string]string{"dateTime": "2026-10-20T11:00:00Z"}})
	if ev.status != 200 || field(ev.body, "organizer", "email") != id || field(ev.body, "organizer", "self") != true ||
		field(ev.body, "creator", "email") != aliceAddress || field(ev.body, "start", "dateTime") != "2026-10-20T12:00:00+02:00" {
		t.Fatalf("event on the secondary calendar = %v", ev.body)
	}
	if d := calDo(t, s, "DELETE", "/calendars/primary", at, nil); d.status != 403 || d.reason() != "cannotDeletePrimaryCalendar" {
		t.Fatalf("delete primary = %d %v", d.status, d.body)
	}
	sync := list.str("nextSyncToken")
	if d := calDo(t, s, "DELETE", "/calendars/"+url.PathEscape(id), at, nil); d.status != 204 {
		t.Fatalf("delete calendar = %d", d.status)
	}
	if g := calDo(t, s, "GET", "/calendars/"+url.PathEscape(id), at, nil); g.status != 404 {
		t.Fatalf("deleted calendar = %d", g.status)
	}
	delta := calDo(t, s, "GET", "/users/me/calendarList?syncToken="+url.QueryEscape(sync), at, nil).items()
	if len(delta) != 1 || delta[0]["id"] != id || delta[0]["deleted"] != true {
		t.Fatalf("calendarList delta = %v", delta)
	}
	s.ExpireSyncTokens()
	if g := calDo(t, s, "GET", "/users/me/calendarList?syncToken="+url.QueryEscape(sync), at, nil); g.status != 410 {
		t.Fatalf("expired calendarList token = %d", g.status)
	}
	seeded, err := s.SeedCalendar(aliceAddress, googletest.Calendar{Summary: "Holidays", Hidden: true})
	if err != nil {
		t.Fatal(err)
	}
	visible := calDo(t, s, "GET", "/users/me/calendarList", at, nil).items()
	hidden := calDo(t, s, "GET", "/users/me/calendarList?showHidden=true", at, nil).items()
	if len(visible) != 1 || len(hidden) != 2 || hidden[1]["id"] != seeded.ID || hidden[1]["hidden"] != true {
		t.Fatalf("hidden calendars: %v / %v", visible, hidden)
	}
	if cals := s.Calendars(aliceAddress); len(cals) != 2 || !cals[0].Primary {
		t.Fatalf("Calendars = %+v", cals)
	}
}

func TestCalendar_recurrenceLines(t *testing.T) {
	t.Parallel()
	ny := "America/New_York"
	for _, tc := range []struct {
		name       string
		recurrence []string
		allDay     bool
		want       []string // instance id suffixes
	}{
		{"EXDATE with TZID", []string{"RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;TZID=America/New_York:20261026T090000"},
			false, []string{"_20261019T130000Z", "_20261102T140000Z"}},
		{"EXDATE in UTC and RDATE", []string{"RRULE:FREQ=WEEKLY;COUNT=2", "EXDATE:20261019T130000Z", "RDATE;TZID=America/New_York:20261028T090000"},
			false, []string{"_20261026T130000Z", "_20261028T130000Z"}},
		{"EXRULE", []string{"RRULE:FREQ=WEEKLY;COUNT=4", "EXRULE:FREQ=WEEKLY;INTERVAL=2"},
			false, []string{"_20261026T130000Z", "_20261109T140000Z"}},
		{"UNTIL", []string{"RRULE:FREQ=DAILY;UNTIL=20261021T235959Z"},
			false, []string{"_20261019T130000Z", "_20261020T130000Z", "_20261021T130000Z"}},
		{"all-day with EXDATE as date", []string{"RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20261020"},
			true, []string{"_20261019", "_20261021"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			at := calToken(t, s, scopeCalRO)
			e := googletest.Event{Summary: tc.name, Start: timed("2026-10-19T09:00:00", ny), End: timed("2026-10-19T10:00:00", ny), Recurrence: tc.recurrence}
			if tc.allDay {
				e.Start, e.End = &googletest.EventDateTime{Date: "2026-10-19"}, &googletest.EventDateTime{Date: "2026-10-20"}
			}
			master := seedEvent(t, s, e)
			var got []string
			for _, it := range calDo(t, s, "GET", eventsPath("primary", url.Values{"singleEvents": {"true"}, "orderBy": {"startTime"}}), at, nil).items() {
				got = append(got, strings.TrimPrefix(it["id"].(string), master.ID))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("instances = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCalendar_endlessSeriesIsCappedAndPaged(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := calToken(t, s, scopeCalRO)
	seedEvent(t, s, googletest.Event{Summary: "daily", Start: timed("2026-01-01T08:00:00", "UTC"), End: timed("2026-01-01T08:30:00", "UTC"),
		Recurrence: []string{"RRULE:FREQ=DAILY"}})
	total := 0
	q := url.Values{"singleEvents": {"true"}, "maxResults": {"400"}}
	for {
		a := calDo(t, s, "GET", eventsPath("primary", q), at, nil)
		if n := len(a.items()); n > 400 {
			t.Fatalf("page of %d items", n)
		}
		total += len(a.items())
		if a.str("nextPageToken") == "" {
			break
		}
		q.Set("pageToken", a.str("nextPageToken"))
	}
	if total != 1000 {
		t.Fatalf("an endless series expanded to %d instances", total)
	}
	window := calDo(t, s, "GET", eventsPath("primary", url.Values{"singleEvents": {"true"}, "timeMin": {"2031-03-01T00:00:00Z"},
		"timeMax": {"2031-03-03T00:00:00Z"}}), at, nil).items()
	if len(window) != 2 || field(window[0], "start", "dateTime") != "2031-03-01T08:00:00Z" {
		t.Fatalf("instances years ahead = %v", window)
	}
}

// calClock is a settable clock for the fake.
type calClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *calClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *calClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestCalendar_listFilters(t *testing.T) {
	t.Parallel()
	clock := &calClock{t: epoch}
	s := newServer(t, func(o *googletest.Options) { o.Now, o.AccessTokenTTL = clock.Now, 24*time.Hour })
	at := calToken(t, s, scopeEvents)
	utc := func(v string) *googletest.EventDateTime { return timed(v, "") }
	lunch := seedEvent(t, s, googletest.Event{Summary: "Lunch with Dana", Location: "Cafe Blue", Start: utc("2026-10-20T12:00:00Z"), End: utc("2026-10-20T13:00:00Z"),
		ExtendedProperties: &googletest.ExtendedProperties{Private: map[string]string{"crm": "42"}},
		Attendees:          []googletest.EventAttendee{{Email: "dana@other.org", DisplayName: "Dana Scully"}, {Email: "eve@other.org"}, {Email: aliceAddress}}})
	office := seedEvent(t, s, googletest.Event{Summary: "Office", EventType: "workingLocation", Start: &googletest.EventDateTime{Date: "2026-10-20"},
		End: &googletest.EventDateTime{Date: "2026-10-21"}, Transparency: "transparent"})
	clock.Set(epoch.Add(time.Hour))
	later := seedEvent(t, s, googletest.Event{Summary: "Review", ICalUID: "review-1@example.com", Start: timed("2026-10-21T09:00:00", "Asia/Tokyo"),
		End: timed("2026-10-21T10:00:00", "Asia/Tokyo")})
	clock.Set(epoch.Add(2 * time.Hour))
	if d := calDo(t, s, "DELETE", eventsPath("primary", nil)+"/"+lunch.ID, at, nil); d.status != 204 {
		t.Fatalf("delete = %d", d.status)
	}
	ids := func(q url.Values) []string {
		t.Helper()
		a := calDo(t, s, "GET", eventsPath("primary", q), at, nil)
		if a.status != 200 {
			t.Fatalf("list %v = %d %v", q, a.status, a.body)
		}
		var out []string
		for _, it := range a.items() {
			out = append(out, it["id"].(string)+":"+it["status"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		want []string
	}{
		{"default types leave working locations out", nil, []string{later.ID + ":confirmed"}},
		{"eventTypes", url.Values{"eventTypes": {"workingLocation"}}, []string{office.ID + ":confirmed"}},
		{"q matches attendee names", url.Values{"q": {"scully"}, "showDeleted": {"true"}}, []string{lunch.ID + ":cancelled"}},
		{"q needs every term", url.Values{"q": {"lunch tokyo"}, "showDeleted": {"true"}}, nil},
		{"iCalUID", url.Values{"iCalUID": {"review-1@example.com"}}, []string{later.ID + ":confirmed"}},
		{"privateExtendedProperty", url.Values{"privateExtendedProperty": {"crm=42"}, "showDeleted": {"true"}}, []string{lunch.ID + ":cancelled"}},
		{"updatedMin includes deletions", url.Values{"updatedMin": {epoch.Add(90 * time.Minute).Format(time.RFC3339)}}, []string{lunch.ID + ":cancelled"}},
		{"orderBy updated", url.Values{"orderBy": {"updated"}, "showDeleted": {"true"}, "eventTypes": {"default", "workingLocation"}},
			[]string{office.ID + ":confirmed", later.ID + ":confirmed", lunch.ID + ":cancelled"}},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	g := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+lunch.ID+"?"+url.Values{"timeZone": {"America/Los_Angeles"}, "maxAttendees": {"1"}}.Encode(), at, nil)
	if field(g.body, "start", "dateTime") != "2026-10-20T05:00:00-07:00" || g.body["attendeesOmitted"] != true ||
		len(g.body["attendees"].([]any)) != 1 || g.str("updated") != "2026-05-06T09:08:09.000Z" || g.str("created") != "2026-05-06T07:08:09.000Z" {
		t.Fatalf("get with timeZone and maxAttendees = %v", g.body)
	}
	if tokyo := calDo(t, s, "GET", eventsPath("primary", nil)+"/"+later.ID, at, nil); field(tokyo.body, "start", "dateTime") != "2026-10-21T09:00:00+09:00" {
		t.Fatalf("event in its own zone = %v", tokyo.body["start"])
	}
	s.RateLimitNext(3 * time.Second)
	if a := calDo(t, s, "GET", eventsPath("primary", nil), at, nil); a.status != 429 || a.header.Get("Retry-After") != "3" {
		t.Fatalf("rate limited = %d", a.status)
	}
}
