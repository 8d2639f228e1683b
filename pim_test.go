package aurinko_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPIM_badInputRefusedBeforeTheProvider: the calendar, contacts and
// tasks endpoints refuse malformed ids, times, bodies, tokens and etags
// with 400 (or 413) before any provider call.
func TestPIM_badInputRefusedBeforeTheProvider(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	const win = "timeMin=2026-11-01T00:00:00Z&timeMax=2026-11-08T00:00:00Z"
	event := map[string]any{"subject": "x",
		"start": map[string]any{"dateTime": "2026-11-02T09:00:00-05:00", "timezone": "America/New_York"},
		"end":   map[string]any{"dateTime": "2026-11-02T10:00:00-05:00", "timezone": "America/New_York"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range event {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	before := len(e.graph.GraphRequests())
	tests := []struct {
		name, method, path string
		body               any
		raw                string
		want               int
	}{
		{"calendar id with a slash", "GET", "/calendars/a%2F..%2Fb", nil, "", 400},
		{"calendar id with a hash", "GET", "/calendars/a%23b/events/range?" + win, nil, "", 400},
		{"event id with a query", "GET", "/calendars/primary/events/a%3Fx", nil, "", 400},
		{"range without timeMin", "GET", "/calendars/primary/events/range?timeMax=2026-11-08T00:00:00Z", nil, "", 400},
		{"range without offset", "GET", "/calendars/primary/events/range?timeMin=2026-11-01T00:00:00&timeMax=2026-11-08T00:00:00Z", nil, "", 400},
		{"range reversed", "GET", "/calendars/primary/events/range?timeMin=2026-11-08T00:00:00Z&timeMax=2026-11-01T00:00:00Z", nil, "", 400},
		{"range too wide", "GET", "/calendars/primary/events/range?timeMin=2000-01-01T00:00:00Z&timeMax=2026-11-01T00:00:00Z", nil, "", 400},
		{"range bad limit", "GET", "/calendars/primary/events/range?" + win + "&limit=0x10", nil, "", 400},
		{"range garbage pageToken", "GET", "/calendars/primary/events/range?" + win + "&pageToken=abc", nil, "", 400},
		{"event end before start", "POST", "/calendars/primary/events", with("end", map[string]any{"dateTime": "2026-11-02T08:00:00-05:00"}), "", 400},
		{"event unknown zone", "POST", "/calendars/primary/events", with("start", map[string]any{"dateTime": "2026-11-02T09:00:00Z", "timezone": "Mars/Base"}), "", 400},
		{"event bad rrule", "POST", "/calendars/primary/events", with("recurrence", map[string]any{"ical": map[string]any{"rules": []string{"RRULE:FREQ=WEEKLY;BYDAY=XX"}}}), "", 400},
		{"event date and time mixed", "POST", "/calendars/primary/events", with("end", map[string]any{"dateOnly": "2026-11-03"}), "", 400},
		{"event without start", "POST", "/calendars/primary/events", map[string]any{"subject": "x"}, "", 400},
		{"event attendee not an address", "POST", "/calendars/primary/events", with("meetingInfo", map[string]any{"attendees": []any{map[string]any{"emailAddress": map[string]any{"address": "nobody"}}}}), "", 400},
		{"event not JSON", "POST", "/calendars/primary/events", nil, "{not json", 400},
		{"event trailing data", "POST", "/calendars/primary/events", nil, `{"subject":"x"} {}`, 400},
		{"event too large", "POST", "/calendars/primary/events", nil, `{"subject":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
		{"response unknown", "PUT", "/calendars/primary/events/abc/response", map[string]any{"response": "maybe"}, "", 400},
		{"freeBusy no emails", "POST", "/calendars/freeBusy", map[string]any{"timeMin": "2026-11-01T00:00:00Z", "timeMax": "2026-11-02T00:00:00Z"}, "", 400},
		{"sync without window", "POST", "/calendars/primary/sync", nil, "", 400},
		{"sync garbage delta", "GET", "/calendars/primary/sync/updated?deltaToken=" + url.QueryEscape("a1.AAAA"), nil, "", 400},
		{"sync no token", "GET", "/calendars/primary/sync/deleted", nil, "", 400},
		{"contact id with a slash", "GET", "/contacts/a%2F..", nil, "", 400},
		{"contact without name", "POST", "/contacts", map[string]any{"notes": "x"}, "", 400},
		{"contact bad email", "POST", "/contacts", map[string]any{"emailAddresses": []any{map[string]any{"address": "x"}}}, "", 400},
		{"contact bad birthday", "POST", "/contacts", map[string]any{"name": map[string]any{"givenName": "A"}, "birthday": "yesterday"}, "", 400},
		{"contact bad phone type", "POST", "/contacts", map[string]any{"name": map[string]any{"givenName": "A"}, "phoneNumbers": []any{map[string]any{"number": "1", "type": "satellite"}}}, "", 400},
		{"contact etag too long", "PATCH", "/contacts/abc", map[string]any{"notes": "x"}, "", 400},
		{"contacts garbage pageToken", "GET", "/contacts?pageToken=zz", nil, "", 400},
		{"tasklist without title", "POST", "/tasklists", map[string]any{}, "", 400},
		{"task without title", "POST", "/tasklists/default/tasks", map[string]any{"notes": "x"}, "", 400},
		{"task bad status", "POST", "/tasklists/default/tasks", map[string]any{"title": "x", "status": "done"}, "", 400},
		{"task bad importance", "PATCH", "/tasklists/default/tasks/abc", map[string]any{"importance": "urgent"}, "", 400},
		{"task list id with a slash", "GET", "/tasklists/a%2Fb/tasks", nil, "", 400},
		{"tasks sync no token", "GET", "/tasklists/default/sync/updated", nil, "", 400},
	}
	for _, tt := range tests {
		var body map[string]any
		var status int
		if tt.raw != "" {
			status = e.callRaw(e.tokA, tt.method, tt.path, tt.raw, nil, &body)
		} else if tt.name == "contact etag too long" {
			status = e.callRaw(e.tokA, tt.method, tt.path, `{"notes":"x"}`, map[string]string{"If-Match": "W/\"" + strings.Repeat("a", 600) + "\""}, &body)
		} else {
			status, _ = e.call(e.tokA, tt.method, tt.path, tt.body, &body)
		}
		if status != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, status, body, tt.want)
		}
		if status == 400 && body["code"] != "invalidInput" {
			t.Errorf("%s: code %v, want invalidInput", tt.name, body["code"])
		}
	}
	if after := len(e.graph.GraphRequests()); after != before {
		t.Errorf("bad input reached the provider: %d Graph requests", after-before)
	}
}

// callRaw sends a raw body with extra headers and decodes the JSON answer.
func (e *mailEnv) callRaw(tok, method, path, body string, hdr map[string]string, out any) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.apiURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	return resp.StatusCode
}
