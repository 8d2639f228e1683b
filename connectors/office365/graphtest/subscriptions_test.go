package graphtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// subClock is a settable clock for the fake.
type subClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *subClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *subClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// subEnv is a fake with a clock and alice's token with every permission.
type subEnv struct {
	s     *graphtest.Server
	clock *subClock
	tok   string
}

func newSubEnv(t *testing.T) subEnv {
	t.Helper()
	ck := &subClock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}
	s := graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{alice, carol}, Now: ck.now})
	t.Cleanup(s.StopNotifications)
	tok := pimToken(t, s, alice, "Mail.ReadWrite", "Calendars.ReadWrite", "Contacts.ReadWrite", "Tasks.ReadWrite")
	return subEnv{s: s, clock: ck, tok: tok}
}

// received is a request an endpoint got.
type received struct {
	query       url.Values
	contentType string
	body        []byte
}

// endpoint is a subscriber's notification endpoint. By default it answers
// validations as documented and notifications with 202.
type endpoint struct {
	srv *httptest.Server

	mu         sync.Mutex
	validate   func(w http.ResponseWriter, token string) // nil: echo the token
	status     int                                       // of notifications; 0 is 202
	got        []received
	validation []received
}

func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := received{query: r.URL.Query(), contentType: r.Header.Get("Content-Type"), body: b}
		e.mu.Lock()
		defer e.mu.Unlock()
		if tok, ok := rec.query["validationToken"]; ok {
			e.validation = append(e.validation, rec)
			if e.validate != nil {
				e.validate(w, tok[0])
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, tok[0])
			return
		}
		e.got = append(e.got, rec)
		if e.status != 0 {
			w.WriteHeader(e.status)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) set(fn func(*endpoint)) { e.mu.Lock(); defer e.mu.Unlock(); fn(e) }

// notifications returns the value entries the endpoint received.
func (e *endpoint) notifications(t *testing.T) []map[string]any {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []map[string]any
	for _, r := range e.got {
		var body struct {
			Value []map[string]any `json:"value"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil || len(body.Value) != 1 {
			t.Fatalf("notification body %s: %v", r.body, err)
		}
		if !strings.HasPrefix(r.contentType, "application/json") {
			t.Errorf("notification Content-Type = %q", r.contentType)
		}
		out = append(out, body.Value[0])
	}
	return out
}

// changes returns "changeType id" of the change notifications received.
func (e *endpoint) changes(t *testing.T) []string {
	var out []string
	for _, n := range e.notifications(t) {
		if ev, _ := n["lifecycleEvent"].(string); ev != "" {
			out = append(out, "lifecycle "+ev)
			continue
		}
		out = append(out, n["changeType"].(string)+" "+fstr(n, "resourceData", "id"))
	}
	return out
}

// subscribe creates a subscription and fails unless Graph answers 201.
func (e subEnv) subscribe(t *testing.T, body map[string]any) answer {
	t.Helper()
	a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, body)
	if a.status != http.StatusCreated {
		t.Fatalf("create subscription = %d %s", a.status, a.raw)
	}
	return a
}

func (e subEnv) request(resource string, ep *endpoint, changeType string) map[string]any {
	return map[string]any{"changeType": changeType, "notificationUrl": ep.srv.URL + "/hook?tenant=contoso",
		"lifecycleNotificationUrl": ep.srv.URL + "/lifecycle", "resource": resource,
		"expirationDateTime": e.clock.now().Add(48 * time.Hour).Format(time.RFC3339), "clientState": "secret-state"}
}

func TestSubscriptions_createValidatesBothEndpoints(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	a := e.subscribe(t, e.request("/me/mailfolders('inbox')/messages", ep, "created,updated"))
	for k, want := range map[string]any{
		"resource": "/me/mailfolders('inbox')/messages", "applicationId": clientID, "changeType": "created,updated",
		"clientState": "secret-state", "notificationUrl": ep.srv.URL + "/hook?tenant=contoso", "lifecycleNotificationUrl": ep.srv.URL + "/lifecycle",
		"creatorId": alice.ObjectID, "latestSupportedTlsVersion": "v1_2", "includeResourceData": false,
		"expirationDateTime": "2025-03-12T09:00:00Z",
	} {
		if a.body[k] != want {
			t.Errorf("%s = %v, want %v", k, a.body[k], want)
		}
	}
	if a.str("id") == "" || !strings.HasSuffix(a.str("@odata.context"), "/v1.0/$metadata#subscriptions/$entity") {
		t.Errorf("answer %s", a.raw)
	}
	ep.mu.Lock()
	vals := slices.Clone(ep.validation)
	ep.mu.Unlock()
	if len(vals) != 2 {
		t.Fatalf("validation requests = %d, want 2 (notification and lifecycle URLs)", len(vals))
	}
	for _, v := range vals {
		if v.contentType != "text/plain; charset=utf-8" || len(v.body) != 0 || !strings.HasPrefix(v.query.Get("validationToken"), "Validation: ") {
			t.Errorf("validation request %+v", v)
		}
	}
	if vals[0].query.Get("tenant") != "contoso" {
		t.Errorf("the notificationUrl's own query was dropped: %v", vals[0].query)
	}
	sent := e.s.Notifications()
	if len(sent) != 2 || sent[0].Kind != graphtest.NotificationValidation || sent[0].Status != http.StatusOK || sent[0].ValidationToken == "" {
		t.Errorf("Notifications() = %+v", sent)
	}
	if subs := e.s.Subscriptions(alice.ObjectID); len(subs) != 1 || subs[0].ID != a.str("id") || subs[0].ClientState != "secret-state" {
		t.Errorf("Subscriptions() = %+v", subs)
	}
}

func TestSubscriptions_validationFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		validate  func(w http.ResponseWriter, token string)
		lifecycle bool // only the lifecycle endpoint fails
		message   string
	}{
		{"not found", func(w http.ResponseWriter, _ string) { http.NotFound(w, nil) }, false,
			"Subscription validation request failed. HTTP status code is 'NotFound'. Notification endpoint must respond with 200 OK to validation request."},
		{"202 accepted", func(w http.ResponseWriter, tok string) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, tok)
		}, false,
			"Subscription validation request failed. HTTP status code is 'Accepted'. Notification endpoint must respond with 200 OK to validation request."},
		{"wrong body", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "ok")
		}, false,
			"Subscription validation request failed. Response must exactly match validationToken query parameter."},
		{"escaped token", func(w http.ResponseWriter, tok string) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, url.QueryEscape(tok))
		}, false, "Subscription validation request failed. Response must exactly match validationToken query parameter."},
		{"json answer", func(w http.ResponseWriter, tok string) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, tok)
		}, false, "Subscription validation request failed. Response must exactly match validationToken query parameter."},
		{"lifecycle endpoint fails", func(w http.ResponseWriter, _ string) { w.WriteHeader(http.StatusInternalServerError) }, true,
			"Subscription validation request failed. HTTP status code is 'InternalServerError'. Notification endpoint must respond with 200 OK to validation request."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newSubEnv(t)
			good, bad := newEndpoint(t), newEndpoint(t)
			bad.set(func(ep *endpoint) { ep.validate = tc.validate })
			req := e.request("me/messages", bad, "created")
			if tc.lifecycle {
				req = e.request("me/messages", good, "created")
				req["lifecycleNotificationUrl"] = bad.srv.URL
			}
			a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, req)
			if a.status != http.StatusBadRequest || a.errCode() != "ValidationError" || a.errMessage() != tc.message {
				t.Fatalf("answer = %d %s", a.status, a.raw)
			}
			if subs := e.s.Subscriptions(alice.ObjectID); len(subs) != 0 {
				t.Fatalf("a subscription was created: %+v", subs)
			}
		})
	}
}

func TestSubscriptions_unreachableEndpoint(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	ep.srv.Close()
	a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, e.request("me/messages", ep, "created"))
	if a.status != http.StatusBadRequest || a.errCode() != "ValidationError" {
		t.Fatalf("answer = %d %s", a.status, a.raw)
	}
	if sent := e.s.Notifications(); len(sent) != 1 || sent[0].Err == "" || sent[0].Status != 0 {
		t.Fatalf("Notifications() = %+v", sent)
	}
}

func TestSubscriptions_refusals(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	mailOnly := pimToken(t, e.s, alice, "Mail.Read")
	now := e.clock.now()
	listID := e.s.DefaultTodoListID(alice.ObjectID)
	for _, tc := range []struct {
		name   string
		token  string
		change func(map[string]any)
		status int
		code   string
	}{
		{"no changeType", "", func(b map[string]any) { delete(b, "changeType") }, 400, "InvalidRequest"},
		{"unknown changeType", "", func(b map[string]any) { b["changeType"] = "created,moved" }, 400, "InvalidRequest"},
		{"no notificationUrl", "", func(b map[string]any) { delete(b, "notificationUrl") }, 400, "InvalidRequest"},
		{"no resource", "", func(b map[string]any) { delete(b, "resource") }, 400, "InvalidRequest"},
		{"no expirationDateTime", "", func(b map[string]any) { delete(b, "expirationDateTime") }, 400, "InvalidRequest"},
		{"unsupported resource", "", func(b map[string]any) { b["resource"] = "me/drive/root" }, 400, "InvalidRequest"},
		{"resource with a query", "", func(b map[string]any) { b["resource"] = "me/messages?$filter=isRead eq false" }, 400, "InvalidRequest"},
		{"another user's mailbox", "", func(b map[string]any) { b["resource"] = "users/" + carol.ObjectID + "/messages" }, 403, "ExtensionError"},
		{"no permission", mailOnly, func(b map[string]any) { b["resource"] = "me/events" }, 403, "ExtensionError"},
		{"To Do needs Tasks.ReadWrite", mailOnly, func(b map[string]any) { b["resource"] = "me/todo/lists/" + listID + "/tasks" }, 403, "ExtensionError"},
		{"mail beyond 10080 minutes", "", func(b map[string]any) { b["expirationDateTime"] = now.Add(10081 * time.Minute).Format(time.RFC3339) }, 400, "ExtensionError"},
		{"To Do beyond 4230 minutes", "", func(b map[string]any) {
			b["resource"] = "me/todo/lists/" + listID + "/tasks"
			b["expirationDateTime"] = now.Add(4231 * time.Minute).Format(time.RFC3339)
		}, 400, "ExtensionError"},
		{"bad expirationDateTime", "", func(b map[string]any) { b["expirationDateTime"] = "tomorrow" }, 400, "InvalidRequest"},
		{"clientState too long", "", func(b map[string]any) { b["clientState"] = strings.Repeat("x", 129) }, 400, "InvalidRequest"},
		{"rich notifications", "", func(b map[string]any) { b["includeResourceData"] = true }, 400, "InvalidRequest"},
		{"bad TLS version", "", func(b map[string]any) { b["latestSupportedTlsVersion"] = "v9" }, 400, "InvalidRequest"},
		{"plain http to another host", "", func(b map[string]any) { b["notificationUrl"] = "http://hooks.example.com/x" }, 400, "ValidationError"},
		{"relative URL", "", func(b map[string]any) { b["lifecycleNotificationUrl"] = "/x" }, 400, "ValidationError"},
		{"unknown mail folder", "", func(b map[string]any) { b["resource"] = "me/mailFolders('nope')/messages" }, 404, "ExtensionError"},
		{"unknown calendar", "", func(b map[string]any) { b["resource"] = "me/calendars/nope/events" }, 404, "ExtensionError"},
		{"unknown task list", "", func(b map[string]any) { b["resource"] = "me/todo/lists/nope/tasks" }, 404, "ExtensionError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := e.request("me/messages", ep, "created")
			tc.change(body)
			tok := e.tok
			if tc.token != "" {
				tok = tc.token
			}
			a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", tok, body)
			if a.status != tc.status || a.errCode() != tc.code {
				t.Fatalf("answer = %d %s, want %d %s", a.status, a.raw, tc.status, tc.code)
			}
		})
	}
	if a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, "{"); a.status != 400 || a.errCode() != "BadRequest" {
		t.Errorf("malformed JSON: %d %s", a.status, a.raw)
	}
	if subs := e.s.Subscriptions(alice.ObjectID); len(subs) != 0 {
		t.Fatalf("subscriptions were created: %+v", subs)
	}
	if msg := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, map[string]any{
		"changeType": "created", "notificationUrl": ep.srv.URL, "resource": "me/messages",
		"expirationDateTime": now.Add(7*24*time.Hour + time.Minute).Format(time.RFC3339)}).errMessage(); msg != "Subscription expiration can only be 10080 minutes in the future." {
		t.Errorf("too far message = %q", msg)
	}
}

func TestSubscriptions_resourceForms(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	cal, err := e.s.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	list := e.s.DefaultTodoListID(alice.ObjectID)
	inbox := e.s.FolderID(alice.ObjectID, "inbox")
	for _, res := range []string{
		"me/messages", "/me/messages", "me/mailFolders('Inbox')/messages", "me/mailFolders/inbox/messages",
		"me/mailFolders('" + inbox + "')/messages", "users/" + alice.ObjectID + "/messages", "users/" + alice.UserPrincipalName + "/mailFolders('inbox')/messages",
		"me/events", "me/calendars/" + cal.ID + "/events", "me/calendars('" + cal.ID + "')/events", "me/contacts",
		"me/todo/lists/" + list + "/tasks", "users/" + alice.ObjectID + "/todo/lists/" + list + "/tasks",
	} {
		e.subscribe(t, e.request(res, ep, "created"))
	}
	if n := len(e.s.Subscriptions(alice.ObjectID)); n != 13 {
		t.Fatalf("%d subscriptions", n)
	}
}

func TestSubscriptions_expirationBounds(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	now := e.clock.now()
	list := e.s.DefaultTodoListID(alice.ObjectID)
	for _, tc := range []struct {
		resource string
		asked    time.Time
		want     time.Time
	}{
		{"me/messages", now.Add(10080 * time.Minute), now.Add(10080 * time.Minute)},
		{"me/todo/lists/" + list + "/tasks", now.Add(4230 * time.Minute), now.Add(4230 * time.Minute)},
		{"me/contacts", now.Add(10 * time.Minute), now.Add(45 * time.Minute)},
		{"me/events", now.Add(-time.Hour), now.Add(45 * time.Minute)},
	} {
		body := e.request(tc.resource, ep, "updated")
		body["expirationDateTime"] = tc.asked.Format(time.RFC3339Nano)
		a := e.subscribe(t, body)
		got, err := time.Parse(time.RFC3339Nano, a.str("expirationDateTime"))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s asked %v: expirationDateTime = %s, want %v", tc.resource, tc.asked, a.str("expirationDateTime"), tc.want)
		}
	}
}

func TestSubscriptions_listGetRenewDelete(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	id := e.subscribe(t, e.request("me/messages", ep, "created,updated,deleted")).str("id")
	base := e.s.URL() + "/v1.0/subscriptions"
	carolTok := pimToken(t, e.s, carol, "Mail.Read")

	list := call(t, http.MethodGet, base, e.tok, nil)
	if items := list.items(); list.status != 200 || len(items) != 1 || items[0]["id"] != id || items[0]["clientState"] != nil {
		t.Fatalf("list = %d %s", list.status, list.raw)
	}
	if got := call(t, http.MethodGet, base+"/"+id, e.tok, nil); got.status != 200 || got.str("clientState") != "secret-state" {
		t.Fatalf("get = %d %s", got.status, got.raw)
	}
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"another user's get", http.MethodGet, "/" + id, carolTok, nil, 404, "ResourceNotFound"},
		{"another user's renewal", http.MethodPatch, "/" + id, carolTok, map[string]any{"expirationDateTime": e.clock.now().Add(time.Hour)}, 404, "ResourceNotFound"},
		{"another user's delete", http.MethodDelete, "/" + id, carolTok, nil, 404, "ResourceNotFound"},
		{"unknown get", http.MethodGet, "/00000000-0000-0000-0000-000000000000", e.tok, nil, 404, "ResourceNotFound"},
		{"unknown renewal", http.MethodPatch, "/nope", e.tok, map[string]any{"expirationDateTime": e.clock.now().Add(time.Hour)}, 404, "ResourceNotFound"},
		{"renewal too far", http.MethodPatch, "/" + id, e.tok, map[string]any{"expirationDateTime": e.clock.now().Add(8 * 24 * time.Hour)}, 400, "ExtensionError"},
		{"empty renewal", http.MethodPatch, "/" + id, e.tok, map[string]any{}, 400, "InvalidRequest"},
		{"reauthorize", http.MethodPost, "/" + id + "/reauthorize", e.tok, nil, 204, ""},
		{"unknown reauthorize", http.MethodPost, "/nope/reauthorize", e.tok, nil, 404, "ResourceNotFound"},
	} {
		a := call(t, tc.method, base+tc.path, tc.token, tc.body)
		if a.status != tc.status || a.errCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.status, a.raw, tc.status, tc.code)
		}
	}
	if l := call(t, http.MethodGet, base, carolTok, nil); len(l.items()) != 0 {
		t.Errorf("carol lists alice's subscription: %s", l.raw)
	}

	renewTo := e.clock.now().Add(6 * 24 * time.Hour)
	r := call(t, http.MethodPatch, base+"/"+id, e.tok, map[string]any{"expirationDateTime": renewTo})
	if r.status != 200 || r.str("expirationDateTime") != renewTo.Format(time.RFC3339Nano) || r.str("id") != id {
		t.Fatalf("renewal = %d %s", r.status, r.raw)
	}
	if d := call(t, http.MethodDelete, base+"/"+id, e.tok, nil); d.status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", d.status, d.raw)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if a := call(t, m, base+"/"+id, e.tok, nil); a.status != 404 || a.errCode() != "ResourceNotFound" || a.errMessage() != "The object was not found." {
			t.Errorf("%s after delete = %d %s", m, a.status, a.raw)
		}
	}
	if _, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "after delete"}); err != nil {
		t.Fatal(err)
	}
	e.s.WaitNotifications()
	if got := ep.changes(t); len(got) != 0 {
		t.Errorf("a deleted subscription was notified: %v", got)
	}
}

func TestSubscriptions_expireWithTheClock(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	id := e.subscribe(t, e.request("me/messages", ep, "created")).str("id")
	e.clock.advance(48*time.Hour + time.Second)
	if _, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "late"}); err != nil {
		t.Fatal(err)
	}
	e.s.WaitNotifications()
	if got := ep.changes(t); len(got) != 0 {
		t.Errorf("an expired subscription was notified: %v", got)
	}
	fresh := pimToken(t, e.s, alice, "Mail.Read") // the first one expired too
	if a := call(t, http.MethodPatch, e.s.URL()+"/v1.0/subscriptions/"+id, fresh, map[string]any{"expirationDateTime": e.clock.now().Add(time.Hour)}); a.status != 404 {
		t.Errorf("renewing an expired subscription = %d %s", a.status, a.raw)
	}
	if subs := e.s.Subscriptions(alice.ObjectID); len(subs) != 0 {
		t.Errorf("Subscriptions() = %+v", subs)
	}
}

func TestSubscriptions_mailNotifications(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	inboxEP, allEP, createdEP := newEndpoint(t), newEndpoint(t), newEndpoint(t)
	inboxSub := e.subscribe(t, e.request("me/mailFolders('inbox')/messages", inboxEP, "created,updated,deleted")).str("id")
	e.subscribe(t, e.request("me/messages", allEP, "created,updated,deleted"))
	e.subscribe(t, e.request("me/messages", createdEP, "created"))

	m, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "sent", Folder: "sentitems"})
	if err != nil {
		t.Fatal(err)
	}
	if a := call(t, http.MethodPatch, e.s.URL()+"/v1.0/me/messages/"+m.ID, e.tok, map[string]any{"isRead": true}); a.status != 200 {
		t.Fatalf("patch = %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodPost, e.s.URL()+"/v1.0/me/messages/"+m.ID+"/move", e.tok, map[string]any{"destinationId": "archive"}); a.status != 201 {
		t.Fatalf("move = %d %s", a.status, a.raw)
	}
	if err := e.s.ChangeMessage(alice.ObjectID, m.ID, func(m *graphtest.Message) { m.Folder = "inbox" }); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteMessage(alice.ObjectID, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.SeedMessage(carol.ObjectID, graphtest.Message{Subject: "carol's"}); err != nil {
		t.Fatal(err)
	}
	e.s.WaitNotifications()

	id := m.ID
	for _, tc := range []struct {
		name string
		ep   *endpoint
		want []string
	}{
		{"inbox", inboxEP, []string{"created " + id, "updated " + id, "deleted " + id, "created " + id, "deleted " + id}},
		{"mailbox", allEP, []string{"created " + id, "created " + sent.ID, "updated " + id, "updated " + id, "updated " + id, "deleted " + id}},
		{"created only", createdEP, []string{"created " + id, "created " + sent.ID}},
	} {
		if got := tc.ep.changes(t); !slices.Equal(got, tc.want) {
			t.Errorf("%s: notifications %v, want %v", tc.name, got, tc.want)
		}
	}
	n := inboxEP.notifications(t)[0]
	rd, _ := n["resourceData"].(map[string]any)
	who := alice.ObjectID + "@" + tenantA
	for k, want := range map[string]any{
		"subscriptionId": inboxSub, "changeType": "created", "clientState": "secret-state", "tenantId": tenantA,
		"resource": "users/" + who + "/messages/" + id, "subscriptionExpirationDateTime": "2025-03-12T09:00:00Z",
	} {
		if n[k] != want {
			t.Errorf("%s = %v, want %v", k, n[k], want)
		}
	}
	if rd["@odata.type"] != "#Microsoft.Graph.Message" || rd["@odata.id"] != "Users/"+who+"/Messages/"+id || rd["id"] != id ||
		!strings.HasPrefix(rd["@odata.etag"].(string), `W/"`) {
		t.Errorf("resourceData = %v", rd)
	}
	if del := inboxEP.notifications(t)[4]; field(del, "resourceData", "@odata.etag") != nil {
		t.Errorf("a deletion carries an etag: %v", del)
	}
	inboxEP.mu.Lock()
	q := inboxEP.got[0].query
	inboxEP.mu.Unlock()
	if q.Get("tenant") != "contoso" {
		t.Errorf("notification query = %v, want the notificationUrl's own", q)
	}
}

func TestSubscriptions_calendarContactsAndTasks(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	team, err := e.s.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	list := e.s.DefaultTodoListID(alice.ObjectID)
	other, err := e.s.SeedTodoList(alice.ObjectID, graphtest.TodoList{DisplayName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	start := e.clock.now().Add(24 * time.Hour)
	for _, tc := range []struct {
		name     string
		resource string
		run      func(t *testing.T) []string // changes the data, returns the wanted notifications
	}{
		{"events", "me/events", func(t *testing.T) []string {
			ev, err := e.s.SeedEvent(alice.ObjectID, "", graphtest.Event{Subject: "Standup", Start: start, End: start.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.s.ChangeEvent(alice.ObjectID, ev.ID, func(ev *graphtest.Event) { ev.Subject = "Daily" }); err != nil {
				t.Fatal(err)
			}
			a := call(t, http.MethodPost, e.s.URL()+"/v1.0/me/events", e.tok, map[string]any{"subject": "Lunch",
				"start": map[string]any{"dateTime": start.Format("2006-01-02T15:04:05"), "timeZone": "UTC"},
				"end":   map[string]any{"dateTime": start.Add(time.Hour).Format("2006-01-02T15:04:05"), "timeZone": "UTC"}})
			if a.status != 201 {
				t.Fatalf("create event = %d %s", a.status, a.raw)
			}
			if d := call(t, http.MethodDelete, e.s.URL()+"/v1.0/me/events/"+a.str("id"), e.tok, nil); d.status != 204 {
				t.Fatalf("delete event = %d %s", d.status, d.raw)
			}
			if err := e.s.DeleteEvent(alice.ObjectID, ev.ID); err != nil {
				t.Fatal(err)
			}
			return []string{"created " + ev.ID, "updated " + ev.ID, "created " + a.str("id"), "deleted " + a.str("id"), "deleted " + ev.ID}
		}},
		{"one calendar", "me/calendars/" + team.ID + "/events", func(t *testing.T) []string {
			if _, err := e.s.SeedEvent(alice.ObjectID, "", graphtest.Event{Subject: "Elsewhere", Start: start, End: start.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			ev, err := e.s.SeedEvent(alice.ObjectID, team.ID, graphtest.Event{Subject: "Team", Start: start, End: start.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return []string{"created " + ev.ID}
		}},
		{"contacts", "me/contacts", func(t *testing.T) []string {
			c, err := e.s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Dana"})
			if err != nil {
				t.Fatal(err)
			}
			if a := call(t, http.MethodPatch, e.s.URL()+"/v1.0/me/contacts/"+c.ID, e.tok, map[string]any{"surname": "Scully"}); a.status != 200 {
				t.Fatalf("patch contact = %d %s", a.status, a.raw)
			}
			if err := e.s.DeleteContact(alice.ObjectID, c.ID); err != nil {
				t.Fatal(err)
			}
			return []string{"created " + c.ID, "updated " + c.ID, "deleted " + c.ID}
		}},
		{"tasks", "me/todo/lists/" + list + "/tasks", func(t *testing.T) []string {
			if _, err := e.s.SeedTodoTask(alice.ObjectID, other.ID, graphtest.TodoTask{Title: "elsewhere"}); err != nil {
				t.Fatal(err)
			}
			a := call(t, http.MethodPost, e.s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks", e.tok, map[string]any{"title": "Buy milk"})
			if a.status != 201 {
				t.Fatalf("create task = %d %s", a.status, a.raw)
			}
			id := a.str("id")
			if err := e.s.ChangeTodoTask(alice.ObjectID, id, func(t *graphtest.TodoTask) { t.Status = "completed" }); err != nil {
				t.Fatal(err)
			}
			if d := call(t, http.MethodDelete, e.s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks/"+id, e.tok, nil); d.status != 204 {
				t.Fatalf("delete task = %d %s", d.status, d.raw)
			}
			return []string{"created " + id, "updated " + id, "deleted " + id}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := newEndpoint(t)
			id := e.subscribe(t, e.request(tc.resource, ep, "created,updated,deleted")).str("id")
			want := tc.run(t)
			e.s.WaitNotifications()
			if got := ep.changes(t); !slices.Equal(got, want) {
				t.Errorf("notifications %v, want %v", got, want)
			}
			if d := call(t, http.MethodDelete, e.s.URL()+"/v1.0/subscriptions/"+id, e.tok, nil); d.status != 204 {
				t.Fatalf("delete subscription = %d", d.status)
			}
		})
	}
}

func TestSubscriptions_lifecycle(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	id := e.subscribe(t, e.request("me/events", ep, "created")).str("id")
	noLifecycle := e.request("me/contacts", ep, "created")
	delete(noLifecycle, "lifecycleNotificationUrl")
	bare := e.subscribe(t, noLifecycle).str("id")
	tasks := e.subscribe(t, e.request("me/todo/lists/"+e.s.DefaultTodoListID(alice.ObjectID)+"/tasks", ep, "created")).str("id")

	for _, ev := range []string{graphtest.LifecycleReauthorizationRequired, graphtest.LifecycleMissed} {
		if err := e.s.SendLifecycle(id, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ id, event string }{
		{"nope", graphtest.LifecycleMissed},
		{id, "somethingElse"},
		{id, graphtest.LifecycleSubscriptionRemoved},
		{bare, graphtest.LifecycleMissed},
		{tasks, graphtest.LifecycleMissed},
	} {
		if err := e.s.SendLifecycle(tc.id, tc.event); err == nil || !strings.HasPrefix(err.Error(), "graphtest: ") {
			t.Errorf("SendLifecycle(%q, %q) = %v", tc.id, tc.event, err)
		}
	}
	if err := e.s.SendLifecycle(tasks, graphtest.LifecycleReauthorizationRequired); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ExpireSubscription(id); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ExpireSubscription(tasks); err != nil { // To Do: no subscriptionRemoved
		t.Fatal(err)
	}
	if err := e.s.ExpireSubscription(id); err == nil {
		t.Error("expiring twice succeeded")
	}
	e.s.WaitNotifications()
	got := ep.notifications(t)
	var events []string
	for _, n := range got {
		events = append(events, n["subscriptionId"].(string)+" "+n["lifecycleEvent"].(string))
		if n["clientState"] != "secret-state" || n["tenantId"] != tenantA || n["subscriptionExpirationDateTime"] == nil || n["resourceData"] != nil {
			t.Errorf("lifecycle notification %v", n)
		}
	}
	want := []string{id + " reauthorizationRequired", id + " missed", tasks + " reauthorizationRequired", id + " subscriptionRemoved"}
	if !slices.Equal(events, want) {
		t.Errorf("lifecycle notifications %v, want %v", events, want)
	}
	ep.mu.Lock()
	for _, r := range ep.got {
		if len(r.query) != 0 {
			t.Errorf("a lifecycle notification went to the notificationUrl: %v", r.query)
		}
	}
	ep.mu.Unlock()
	if a := call(t, http.MethodGet, e.s.URL()+"/v1.0/subscriptions/"+id, e.tok, nil); a.status != 404 {
		t.Errorf("a removed subscription answers %d", a.status)
	}
}

func TestSubscriptions_droppedNotificationsThenMissed(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	id := e.subscribe(t, e.request("me/messages", ep, "created")).str("id")
	e.s.DropNotifications(true)
	m, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "lost"})
	if err != nil {
		t.Fatal(err)
	}
	e.s.WaitNotifications()
	if got := ep.changes(t); len(got) != 0 {
		t.Fatalf("a dropped notification arrived: %v", got)
	}
	e.s.DropNotifications(false)
	e.s.WaitNotifications()
	if got := ep.changes(t); !slices.Equal(got, []string{"lifecycle missed"}) {
		t.Fatalf("after dropping: %v", got)
	}
	var dropped []graphtest.SentNotification
	for _, n := range e.s.Notifications() {
		if n.Dropped {
			dropped = append(dropped, n)
		}
	}
	if len(dropped) != 1 || dropped[0].SubscriptionID != id || dropped[0].ChangeType != "created" || !strings.HasSuffix(dropped[0].Resource, "/messages/"+m.ID) {
		t.Errorf("dropped = %+v", dropped)
	}
}

func TestSubscriptions_retriesFailedDeliveries(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	ep := newEndpoint(t)
	e.subscribe(t, e.request("me/messages", ep, "created"))
	ep.set(func(ep *endpoint) { ep.status = http.StatusServiceUnavailable })
	if _, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "retry"}); err != nil {
		t.Fatal(err)
	}
	e.s.WaitNotifications()
	var attempts []int
	for _, n := range e.s.Notifications() {
		if n.Kind == graphtest.NotificationChange {
			attempts = append(attempts, n.Attempt)
			if n.Status != http.StatusServiceUnavailable {
				t.Errorf("attempt %+v", n)
			}
		}
	}
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("attempts = %v", attempts)
	}
}

func TestSubscriptions_stopCancelsDeliveries(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, tok)
			return
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	body := map[string]any{"changeType": "created", "notificationUrl": slow.URL, "resource": "me/messages",
		"expirationDateTime": e.clock.now().Add(time.Hour).Format(time.RFC3339)}
	if a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, body); a.status != 201 {
		t.Fatalf("create = %d %s", a.status, a.raw)
	}
	for range 3 {
		if _, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "queued"}); err != nil {
			t.Fatal(err)
		}
	}
	<-arrived
	e.s.StopNotifications()
	e.s.WaitNotifications()
	if _, err := e.s.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "after stop"}); err != nil {
		t.Fatal(err)
	}
	var changes int
	for _, n := range e.s.Notifications() {
		if n.Kind == graphtest.NotificationChange {
			changes++
			if n.Err == "" {
				t.Errorf("the cancelled delivery has no error: %+v", n)
			}
		}
	}
	if changes != 1 {
		t.Errorf("%d delivery attempts, want the one cancelled", changes)
	}
}

func TestSubscriptions_httpsEndpointWithTheTestClient(t *testing.T) {
	t.Parallel()
	e := newSubEnv(t)
	tlsHook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, r.URL.Query().Get("validationToken"))
	}))
	defer tlsHook.Close()
	body := map[string]any{"changeType": "created", "notificationUrl": tlsHook.URL + "/hook", "resource": "me/messages",
		"expirationDateTime": e.clock.now().Add(time.Hour).Format(time.RFC3339)}
	if a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, body); a.status != http.StatusBadRequest || a.errCode() != "ValidationError" {
		t.Fatalf("an untrusted certificate: %d %s", a.status, a.raw)
	}
	e.s.SetNotificationClient(tlsHook.Client())
	if a := call(t, http.MethodPost, e.s.URL()+"/v1.0/subscriptions", e.tok, body); a.status != http.StatusCreated {
		t.Fatalf("with the test server's client: %d %s", a.status, a.raw)
	}
}
