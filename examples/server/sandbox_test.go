package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/webhooks"
)

// TestSandbox_signInWithNoConfiguration runs `server -sandbox` with nothing
// else: the Microsoft and Google fakes, the sample app and an in-memory
// store. A user signs
// in through the add-in's dialog flow over HTTP, and no file is written.
func TestSandbox_signInWithNoConfiguration(t *testing.T) {
	t.Parallel()
	base, logs := start(t, []string{"-sandbox"}, nil)

	code, body := get(t, base+"/addin/config.json")
	if code != 200 || !strings.Contains(body, `"clientId":"sandbox-addin"`) || !strings.Contains(body, `"serviceType":"Office365"`) {
		t.Fatalf("config.json = %d %s", code, body)
	}
	if !strings.Contains(body, `"notificationUrl":"`+base+sandboxInboxPath+`"`) {
		t.Fatalf("config.json does not name the sample receiver: %s", body)
	}
	if code, body := get(t, base+"/addin/taskpane.html"); code != 200 || !strings.Contains(body, `src="`+sandboxStandin+`"`) {
		t.Fatalf("the sandbox task pane does not load the stand-in: %d", code)
	}
	ses, _ := sandboxSignIn(t, base, "Office365", "")
	st, user := getUser(t, base, ses)
	if st != 200 || user["email"] != sandboxMSUser || user["name"] != sandboxUserName {
		t.Fatalf("/v1/user = %d %v", st, user)
	}
	for _, want := range []string{"sandbox: fake providers running", "store is in memory",
		"sandbox: webhook notification URLs may be plain http", "pollInterval=5s", "sandbox: sample webhook receiver"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("the log does not say %q:\n%s", want, logs)
		}
	}
	for _, f := range []string{"aurinko.db", "aurinko.key"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("the sandbox wrote %s", f)
		}
	}
}

// sandboxSignIn runs the add-in's sign-in (authorizeUser, the dialog's
// redirects, the code exchange at /addin/session) for serviceType with
// the unified scopes (none when empty) and returns the user session and
// the account id.
func sandboxSignIn(t *testing.T, base, serviceType, scopes string) (string, int64) {
	t.Helper()
	q := url.Values{"clientId": {sandboxAppID}, "serviceType": {serviceType}, "accountRole": {"primary"},
		"responseType": {"code"}, "returnUrl": {base + "/addin/callback.html"}, "state": {"s"}}
	if scopes != "" {
		q.Set("scopes", scopes)
	}
	jar, _ := cookiejar.New(nil)
	final, _, _ := browserGet(t, jar, base+"/v1/auth/authorizeUser?"+q.Encode())
	if final.Query().Get("status") != "success" {
		t.Fatalf("dialog ended at %s", final)
	}
	st, out := postJSON(t, base+"/addin/session", "", map[string]string{"code": final.Query().Get("code")})
	ses, _ := out["userSession"].(string)
	id, _ := out["accountId"].(float64)
	if st != 200 || ses == "" || id <= 0 {
		t.Fatalf("session: %d %v", st, out)
	}
	return ses, int64(id)
}

// apiGet calls the API with the session, as the account, and decodes the
// JSON answer.
func apiGet(t *testing.T, base, ses string, account int64, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+ses)
	req.Header.Set("X-Aurinko-Account-Id", fmt.Sprint(account))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// todayQuery is the range of the server's local day (in the zone the
// sandbox seeds in), as the task pane asks for it: RFC 3339 with the
// local offset.
func todayQuery() string {
	_, loc := localZone()
	now := time.Now().In(loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	end := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	return url.Values{"timeMin": {start.Format(time.RFC3339)}, "timeMax": {end.Format(time.RFC3339)}}.Encode()
}

func subjects(recs []any, field string) []string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprint(r.(map[string]any)[field]))
	}
	slices.Sort(out)
	return out
}

// TestSandbox_seedsTodayOnBothProviders reads the seeded data through the
// unified API as the task pane's user would: today's Microsoft 365 agenda
// (a Teams meeting with two attendees, lunch, an all-day event and this
// week's occurrence of a weekly series, not tomorrow's lecture), contacts,
// To Do tasks with one completed, and the Gmail account's event, contact
// and task.
func TestSandbox_seedsTodayOnBothProviders(t *testing.T) {
	t.Parallel()
	base, _ := start(t, []string{"-sandbox"}, nil)
	ses, acct := sandboxSignIn(t, base, "Office365", "Mail.Read Calendar.Read Contacts.Read Tasks.Read")

	st, out := apiGet(t, base, ses, acct, "/calendars/primary/events/range?"+todayQuery())
	if st != 200 {
		t.Fatalf("range = %d %v", st, out)
	}
	_, loc := localZone()
	recs := out["records"].([]any)
	want := []string{"Analytical Engine design review", "Lunch with Mary Somerville", "Notes review with Charles", "Working from Ockham Park"}
	if got := subjects(recs, "subject"); !slices.Equal(got, want) {
		t.Fatalf("today's events = %q, want %q", got, want)
	}
	for _, r := range recs {
		ev := r.(map[string]any)
		start := ev["start"].(map[string]any)
		switch ev["subject"] {
		case "Working from Ockham Park":
			if start["dateOnly"] != time.Now().In(loc).Format(time.DateOnly) {
				t.Errorf("all-day event starts %v", start)
			}
		case "Analytical Engine design review":
			at, err := time.Parse(time.RFC3339, fmt.Sprint(start["dateTime"]))
			if err != nil || at.In(loc).Format("15:04") != "09:30" {
				t.Errorf("the meeting starts at %v", start)
			}
			mi, _ := ev["meetingInfo"].(map[string]any)
			att, _ := mi["attendees"].([]any)
			link, _ := mi["onlineMeetingDetails"].(map[string]any)
			if len(att) != 2 || link == nil || !strings.HasPrefix(fmt.Sprint(link["url"]), "https://") {
				t.Errorf("the meeting's meetingInfo = %v", mi)
			}
		case "Notes review with Charles":
			if oi, _ := ev["occurrenceInfo"].(map[string]any); oi == nil {
				t.Errorf("the series occurrence has no occurrenceInfo: %v", ev)
			}
		}
	}

	st, out = apiGet(t, base, ses, acct, "/contacts")
	if st != 200 || len(out["records"].([]any)) != 5 {
		t.Fatalf("contacts = %d %v", st, out)
	}
	st, out = apiGet(t, base, ses, acct, "/tasklists/default/tasks")
	if st != 200 {
		t.Fatalf("tasks = %d %v", st, out)
	}
	if got := subjects(out["records"].([]any), "status"); !slices.Equal(got, []string{"completed", "inProgress", "notStarted", "notStarted"}) {
		t.Errorf("task statuses = %q", got)
	}

	gses, gacct := sandboxSignIn(t, base, "Google", "Mail.Read Calendar.Read Contacts.Read Tasks.Read")
	for path, want := range map[string]string{
		"/calendars/primary/events/range?" + todayQuery(): "Piano lesson",
		"/contacts":                "Annabella",
		"/tasklists/default/tasks": "Buy a new notebook for the notes",
	} {
		st, out := apiGet(t, base, gses, gacct, path)
		if st != 200 || len(out["records"].([]any)) != 1 || !strings.Contains(mustJSON(out), want) {
			t.Errorf("Google %s = %d %v, want one record with %q", path, st, out, want)
		}
	}
}

// TestSandbox_webhookArrivesAtTheSampleReceiver subscribes to the inbox
// over HTTP with the sample receiver as notificationUrl, has a sample
// message delivered, and reads the verified notification back from the
// receiver; the message it names reads through the API.
func TestSandbox_webhookArrivesAtTheSampleReceiver(t *testing.T) {
	t.Parallel()
	base, logs := start(t, []string{"-sandbox"}, nil)
	ses, acct := sandboxSignIn(t, base, "Office365", "Mail.Read Calendar.Read") // the task pane's scopes

	body := map[string]string{"resource": "/email/messages", "notificationUrl": base + sandboxInboxPath}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/subscriptions", strings.NewReader(mustJSON(body)))
	req.Header.Set("Authorization", "Bearer "+ses)
	req.Header.Set("X-Aurinko-Account-Id", fmt.Sprint(acct))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sub map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&sub)
	resp.Body.Close()
	if resp.StatusCode != 200 || sub["active"] != true {
		t.Fatalf("subscribe = %d %v\n%s", resp.StatusCode, sub, logs)
	}

	// The mail endpoint takes JSON only.
	if st, _ := postForm(t, base+sandboxMailPath); st != 400 {
		t.Fatalf("a form post delivered mail: %d", st)
	}
	st, sent := postJSON(t, base+sandboxMailPath, "", map[string]string{})
	if st != 201 || sent["subject"] != "The Engine's store: a question" {
		t.Fatalf("deliver = %d %v", st, sent)
	}

	var got map[string]any
	deadline := time.Now().Add(60 * time.Second)
	for got == nil && time.Now().Before(deadline) {
		_, list := get(t, base+sandboxInboxPath)
		var out struct {
			Records []struct {
				Notification webhooks.Notification `json:"notification"`
			} `json:"records"`
		}
		if err := json.Unmarshal([]byte(list), &out); err != nil {
			t.Fatalf("inbox list: %v: %s", err, list)
		}
		for _, r := range out.Records {
			n := r.Notification
			if float64(n.Subscription) != sub["id"] || n.AccountID != acct || n.Resource != "/email/messages" {
				continue
			}
			for _, p := range n.Payloads {
				if p.ChangeType != "updated" { // a delta sync cannot tell new from changed
					continue
				}
				if st, m := apiGet(t, base, ses, acct, "/email/messages/"+url.PathEscape(p.ID)); st == 200 && m["subject"] == sent["subject"] {
					got = m
				}
			}
		}
		if got == nil {
			time.Sleep(100 * time.Millisecond) // polling the receiver, not waiting for time
		}
	}
	if got == nil {
		t.Fatalf("no verified notification of the new message arrived\n%s", logs)
	}
	if !strings.Contains(logs.String(), "sandbox: webhook notification verified") {
		t.Errorf("the receiver did not log the verified notification")
	}
}

func postForm(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, url.Values{"subject": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWebhookInbox_verifiesAndKeepsTheLast50 is a table of deliveries to
// the sample receiver: the handshake is echoed; anything unsigned, signed
// with another secret, stale or not a notification is refused and not
// kept; verified notifications are listed newest first, the last 50.
func TestWebhookInbox_verifiesAndKeepsTheLast50(t *testing.T) {
	t.Parallel()
	secret := []byte("the-app-signing-secret")
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	in := &webhookInbox{secret: func(context.Context) ([]byte, error) { return secret, nil },
		now: func() time.Time { return now }, logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+sandboxInboxPath, in.receive)
	mux.HandleFunc("GET "+sandboxInboxPath, in.list)

	note := func(sub int64) string {
		return mustJSON(webhooks.Notification{Subscription: sub, Resource: "/email/messages", AccountID: 7,
			Payloads: []webhooks.Payload{{ID: "m1", ChangeType: "created"}}})
	}
	signed := func(key []byte, ts int64, body string) http.Header {
		h := http.Header{}
		h.Set(webhooks.HeaderTimestamp, fmt.Sprint(ts))
		h.Set(webhooks.HeaderSignature, webhooks.Sign(key, ts, []byte(body)))
		return h
	}
	fresh := time.Now().Unix() // VerifyRequest checks against the wall clock
	tests := []struct {
		name, query, body string
		header            http.Header
		want              int
		wantBody          string
	}{
		{"handshake", "?validationToken=abc123", "", nil, 200, "abc123"},
		{"handshake too long", "?validationToken=" + strings.Repeat("a", 513), "", nil, 400, ""},
		{"unsigned", "", note(1), nil, 401, ""},
		{"another secret", "", note(1), signed([]byte("not-the-secret"), fresh, note(1)), 401, ""},
		{"stale", "", note(1), signed(secret, fresh-3600, note(1)), 401, ""},
		{"signature of another body", "", note(2), signed(secret, fresh, note(1)), 401, ""},
		{"not a notification", "", `["x"]`, signed(secret, fresh, `["x"]`), 400, ""},
		{"verified", "", note(1), signed(secret, fresh, note(1)), 204, ""},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(http.MethodPost, sandboxInboxPath+tc.query, strings.NewReader(tc.body))
		for k, v := range tc.header {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tc.want || (tc.wantBody != "" && rec.Body.String() != tc.wantBody) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Body.String(), tc.want, tc.wantBody)
		}
		if tc.name == "handshake" && rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("handshake answered as %q", rec.Header().Get("Content-Type"))
		}
	}
	for sub := int64(2); sub <= 60; sub++ {
		req := httptest.NewRequest(http.MethodPost, sandboxInboxPath, strings.NewReader(note(sub)))
		for k, v := range signed(secret, fresh, note(sub)) {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != 204 {
			t.Fatalf("delivery %d: %d", sub, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, sandboxInboxPath, nil))
	var out struct {
		Length  int                    `json:"length"`
		Records []receivedNotification `json:"records"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Length != inboxSize || len(out.Records) != inboxSize {
		t.Fatalf("kept %d/%d notifications, want %d", out.Length, len(out.Records), inboxSize)
	}
	first, last := out.Records[0], out.Records[inboxSize-1]
	if first.Notification.Subscription != 60 || first.Seq != 60 || last.Notification.Subscription != 11 ||
		!first.ReceivedAt.Equal(now) || first.Notification.Payloads[0].ChangeType != "created" {
		t.Fatalf("newest %+v, oldest %+v", first, last)
	}
}

// TestSandbox_seedsTheLocalDay seeds the fakes as the sandbox does with
// the clock at a morning in several zones (one on a DST change day) and
// checks that the agenda falls on that local day at the stated hours.
func TestSandbox_seedsTheLocalDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone string
		now  string // local time
	}{
		{"Europe/Berlin", "2026-03-29T08:00:00"}, // clocks go forward at 02:00
		{"America/Los_Angeles", "2026-11-01T07:15:00"},
		{"Asia/Kolkata", "2026-06-15T23:50:00"},
		{"UTC", "2026-11-30T12:00:00"},
	}
	for _, tc := range tests {
		t.Run(tc.zone, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			now, _ := time.ParseInLocation("2006-01-02T15:04:05", tc.now, loc)
			ms := graphtest.New(t, graphtest.Options{ClientID: "c", ClientSecret: "s", Now: func() time.Time { return now },
				Users: []graphtest.User{{ObjectID: sandboxMSObjectID, TenantID: sandboxTenantID, UserPrincipalName: sandboxMSUser,
					Mail: sandboxMSUser, DisplayName: sandboxUserName}}})
			g := googletest.New(t, googletest.Options{ClientID: "c", ClientSecret: "s", Now: func() time.Time { return now },
				Users: []googletest.User{{Email: sandboxGoogleUser, Name: sandboxUserName}}})
			if err := seedMicrosoft(ms, now, tc.zone, loc); err != nil {
				t.Fatal(err)
			}
			if err := seedGoogle(g, now, tc.zone, loc); err != nil {
				t.Fatal(err)
			}
			day := now.Format(time.DateOnly)
			starts := map[string]string{}
			for _, ev := range ms.Events(sandboxMSObjectID, "") {
				starts[ev.Subject] = ev.Start.In(loc).Format("2006-01-02 15:04") + " " + ev.TimeZone
				if ev.IsAllDay && !ev.End.Equal(time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)) {
					t.Errorf("the all-day event ends %v", ev.End)
				}
			}
			for subject, want := range map[string]string{
				"Analytical Engine design review": day + " 09:30",
				"Lunch with Mary Somerville":      day + " 13:00",
				"Working from Ockham Park":        day + " 00:00",
			} {
				if starts[subject] != want+" "+tc.zone {
					t.Errorf("%s starts %q, want %q", subject, starts[subject], want+" "+tc.zone)
				}
			}
			if got := len(ms.TodoTasks(sandboxMSObjectID, ms.DefaultTodoListID(sandboxMSObjectID))); got != 4 {
				t.Errorf("%d To Do tasks, want 4", got)
			}
			if got := len(ms.Contacts(sandboxMSObjectID)); got != 5 {
				t.Errorf("%d contacts, want 5", got)
			}
		})
	}
}

// TestServer_webhooksRefuseInsecureTargetsOutsideTheSandbox: only the
// sandbox lets notification URLs be plain http on loopback; a server run
// from a file (here with webhooks.pollInterval set) refuses them.
func TestServer_webhooksRefuseInsecureTargetsOutsideTheSandbox(t *testing.T) {
	t.Parallel()
	base, _ := startWithOIDC(t, "webhooks: {pollInterval: 30s}\n")
	q := url.Values{"clientId": {"outlook-addin"}, "serviceType": {"Okta"}, "accountRole": {"primary"},
		"responseType": {"code"}, "returnUrl": {base + "/addin/callback.html"}, "state": {"s"}}
	jar, _ := cookiejar.New(nil)
	final, _, _ := browserGet(t, jar, base+"/v1/auth/authorizeUser?"+q.Encode())
	st, out := postJSON(t, base+"/addin/session", "", map[string]string{"code": final.Query().Get("code")})
	ses, _ := out["userSession"].(string)
	if st != 200 || ses == "" {
		t.Fatalf("session: %d %v", st, out)
	}
	for _, target := range []string{base + sandboxInboxPath, "http://127.0.0.1:1/hook", "https://127.0.0.1:1/hook"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/subscriptions",
			strings.NewReader(mustJSON(map[string]string{"resource": "/email/messages", "notificationUrl": target})))
		req.Header.Set("Authorization", "Bearer "+ses)
		req.Header.Set("X-Aurinko-Account-Id", fmt.Sprint(out["accountId"]))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("subscription to %s outside the sandbox = %d %s, want 400", target, resp.StatusCode, b)
		}
	}
	if code, _ := get(t, base+sandboxInboxPath); code != 404 {
		t.Errorf("the sample receiver is mounted outside the sandbox: %d", code)
	}
}
