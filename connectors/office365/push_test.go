package office365_test

import (
	"context"
	"errors"
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
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// pushEnv is a connector, the fake, alice's account and a push endpoint
// that serves the connector's HandlePush and records what it returned.
type pushEnv struct {
	env
	acct provider.Account
	hook *httptest.Server

	mu    sync.Mutex
	calls []pushCall
}

type pushCall struct {
	events []provider.PushEvent
	err    error
}

var pushScopes = []connectors.Scope{connectors.MailRead, connectors.CalendarRead, connectors.ContactsRead, connectors.TasksReadWrite}

func newPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	e := newEnv(t, nil, nil)
	t.Cleanup(e.fake.StopNotifications)
	pe := &pushEnv{env: e, acct: pushAccount(t, e, pushScopes...)}
	pe.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evs, err := e.c.HandlePush(w, r)
		pe.mu.Lock()
		pe.calls = append(pe.calls, pushCall{events: evs, err: err})
		pe.mu.Unlock()
	}))
	t.Cleanup(pe.hook.Close)
	return pe
}

// pushAccount signs alice in with scopes and returns her account.
func pushAccount(t *testing.T, e env, scopes ...connectors.Scope) provider.Account {
	t.Helper()
	g, err := e.signIn(t, "", scopes...)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &xoauth2.Transport{Source: xoauth2.StaticTokenSource(g.Token)}, Timeout: 15 * time.Second}
	return provider.Account{ID: 1, Email: alice.Mail, AuthUserID: alice.ObjectID, Client: hc}
}

// events returns the events HandlePush returned since call number from,
// after the fake delivered everything queued, and the number of calls.
func (e *pushEnv) events(t *testing.T, from int) ([]provider.PushEvent, int) {
	t.Helper()
	e.fake.WaitNotifications()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []provider.PushEvent
	for _, c := range e.calls[from:] {
		if c.err != nil {
			t.Errorf("HandlePush refused a request of the fake: %v", c.err)
		}
		out = append(out, c.events...)
	}
	return out, len(e.calls)
}

func (e *pushEnv) subscribe(t *testing.T, resource, state string, expires time.Time) provider.PushSubscription {
	t.Helper()
	sub, err := e.c.PushSubscribe(context.Background(), e.acct, provider.PushRequest{Resource: resource, NotificationURL: e.hook.URL + "/v1/webhooks/push/Office365",
		ClientState: state, ExpiresAt: expires})
	if err != nil {
		t.Fatalf("PushSubscribe(%s): %v", resource, err)
	}
	return sub
}

// pushKind fails unless err is a *provider.Error of kind.
func pushKind(t *testing.T, err, kind error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) {
		t.Fatalf("error = %v, want a *provider.Error of kind %v", err, kind)
	}
	return pe
}

func TestPush_subscribeAndReceiveMail(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	now := e.clock.Now()
	sub := e.subscribe(t, "/email/messages", "state-of-mail", now.Add(48*time.Hour))
	if sub.ID == "" || !sub.ExpiresAt.Equal(now.Add(48*time.Hour)) {
		t.Fatalf("subscription = %+v", sub)
	}
	subs := e.fake.Subscriptions(alice.ObjectID)
	if len(subs) != 1 {
		t.Fatalf("fake subscriptions = %+v", subs)
	}
	got := subs[0]
	hookURL := e.hook.URL + "/v1/webhooks/push/Office365"
	if got.ID != sub.ID || got.Resource != "me/mailFolders('inbox')/messages" || got.ChangeType != "created,updated,deleted" ||
		got.NotificationURL != hookURL || got.LifecycleNotificationURL != hookURL || got.ClientState != "state-of-mail" {
		t.Errorf("fake subscription = %+v", got)
	}
	evs, n := e.events(t, 0)
	if n != 2 || len(evs) != 0 {
		t.Fatalf("the validation handshakes made %d calls and %d events", n, len(evs))
	}

	m, err := e.fake.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "push me"})
	if err != nil {
		t.Fatal(err)
	}
	evs, n = e.events(t, n)
	want := []provider.PushEvent{{SubscriptionID: sub.ID, ClientState: "state-of-mail"}}
	if !slices.Equal(evs, want) {
		t.Fatalf("events = %+v, want %+v", evs, want)
	}
	if err := e.fake.ChangeMessage(alice.ObjectID, m.ID, func(m *graphtest.Message) { m.IsRead = true }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.SeedMessage(alice.ObjectID, graphtest.Message{Subject: "sent", Folder: "sentitems"}); err != nil {
		t.Fatal(err)
	}
	if evs, _ = e.events(t, n); !slices.Equal(evs, want) {
		t.Errorf("after an update and a message outside the inbox: %+v, want one event", evs)
	}
	for _, s := range e.fake.Notifications() {
		if s.Kind == graphtest.NotificationChange && s.Status != http.StatusAccepted {
			t.Errorf("the push endpoint answered %d to a notification, want 202", s.Status)
		}
		if s.Kind == graphtest.NotificationValidation && s.Status != http.StatusOK {
			t.Errorf("the push endpoint answered %d to a validation, want 200", s.Status)
		}
	}
}

func TestPush_resourcesAndExpiry(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	ctx := context.Background()
	team, err := e.fake.SeedCalendar(alice.ObjectID, graphtest.Calendar{Name: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.fake.SeedTodoList(alice.ObjectID, graphtest.TodoList{DisplayName: "Errands"})
	if err != nil {
		t.Fatal(err)
	}
	defaultList := e.fake.DefaultTodoListID(alice.ObjectID)
	now := e.clock.Now()
	start := now.Add(24 * time.Hour)
	outlookMax, todoMax := now.Add(10079*time.Minute), now.Add(4229*time.Minute)
	for _, tc := range []struct {
		resource, graph string
		asked, want     time.Time
		change          func() error
	}{
		{"/calendars/primary/events", "me/events", time.Time{}, outlookMax, func() error {
			_, err := e.fake.SeedEvent(alice.ObjectID, "", graphtest.Event{Subject: "Standup", Start: start, End: start.Add(time.Hour)})
			return err
		}},
		{"/calendars/" + team.ID + "/events", "me/calendars/" + team.ID + "/events", now.Add(30 * 24 * time.Hour), outlookMax, func() error {
			_, err := e.fake.SeedEvent(alice.ObjectID, team.ID, graphtest.Event{Subject: "Team", Start: start, End: start.Add(time.Hour)})
			return err
		}},
		{"/contacts", "me/contacts", now.Add(2 * time.Hour), now.Add(2 * time.Hour), func() error {
			_, err := e.fake.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Dana"})
			return err
		}},
		{"/tasklists/default/tasks", "me/todo/lists/" + defaultList + "/tasks", now.Add(7 * 24 * time.Hour), todoMax, func() error {
			_, err := e.fake.SeedTodoTask(alice.ObjectID, defaultList, graphtest.TodoTask{Title: "Milk"})
			return err
		}},
		{"/tasklists/" + other.ID + "/tasks", "me/todo/lists/" + other.ID + "/tasks", time.Time{}, todoMax, func() error {
			_, err := e.fake.SeedTodoTask(alice.ObjectID, other.ID, graphtest.TodoTask{Title: "Post office"})
			return err
		}},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			_, from := e.events(t, 0)
			sub := e.subscribe(t, tc.resource, "s", tc.asked)
			if !sub.ExpiresAt.Equal(tc.want) {
				t.Errorf("ExpiresAt = %v, want %v", sub.ExpiresAt, tc.want)
			}
			subs := e.fake.Subscriptions(alice.ObjectID)
			if len(subs) != 1 || subs[0].Resource != tc.graph {
				t.Fatalf("fake subscriptions = %+v, want resource %s", subs, tc.graph)
			}
			_, from = e.events(t, from)
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			if evs, _ := e.events(t, from); !slices.Equal(evs, []provider.PushEvent{{SubscriptionID: sub.ID, ClientState: "s"}}) {
				t.Errorf("events = %+v", evs)
			}
			if err := e.c.PushUnsubscribe(ctx, e.acct, sub); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPush_refusedRequests(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	ctx := context.Background()
	hook := e.hook.URL + "/push"
	for _, tc := range []struct {
		name string
		req  provider.PushRequest
		kind error
	}{
		{"drafts", provider.PushRequest{Resource: "/email/drafts", NotificationURL: hook}, provider.ErrUnsupported},
		{"no resource", provider.PushRequest{NotificationURL: hook}, provider.ErrUnsupported},
		{"one contact", provider.PushRequest{Resource: "/contacts/abc", NotificationURL: hook}, provider.ErrUnsupported},
		{"empty calendar id", provider.PushRequest{Resource: "/calendars//events", NotificationURL: hook}, provider.ErrUnsupported},
		{"dot-dot calendar", provider.PushRequest{Resource: "/calendars/../events", NotificationURL: hook}, provider.ErrUnsupported},
		{"calendar id with a quote", provider.PushRequest{Resource: "/calendars/a'b/events", NotificationURL: hook}, provider.ErrUnsupported},
		{"one task", provider.PushRequest{Resource: "/tasklists/x/tasks/y", NotificationURL: hook}, provider.ErrUnsupported},
		{"relative URL", provider.PushRequest{Resource: "/contacts", NotificationURL: "/push"}, provider.ErrInvalid},
		{"javascript URL", provider.PushRequest{Resource: "/contacts", NotificationURL: "javascript:alert(1)"}, provider.ErrInvalid},
		{"URL with credentials", provider.PushRequest{Resource: "/contacts", NotificationURL: "https://u:p@example.com/push"}, provider.ErrInvalid},
		{"long client state", provider.PushRequest{Resource: "/contacts", NotificationURL: hook, ClientState: strings.Repeat("s", 129)}, provider.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.PushSubscribe(ctx, e.acct, tc.req)
			pushKind(t, err, tc.kind)
		})
	}
	for _, r := range e.fake.GraphRequests() {
		if strings.HasPrefix(r.Path, "/v1.0/subscriptions") {
			t.Errorf("a refused request reached Graph: %s %s", r.Method, r.Path)
		}
	}
}

func TestPush_graphErrors(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	ctx := context.Background()
	req := provider.PushRequest{Resource: "/email/messages", NotificationURL: e.hook.URL, ClientState: "s"}

	e.fake.ThrottleNext(9)
	pe := pushKind(t, pushSubscribeErr(ctx, e, e.acct, req), provider.ErrRateLimited)
	if pe.RetryAfter != 9*time.Second {
		t.Errorf("RetryAfter = %v", pe.RetryAfter)
	}
	e.fake.FailNextGraph(http.StatusServiceUnavailable, "ServiceUnavailable", "down", nil)
	pushKind(t, pushSubscribeErr(ctx, e, e.acct, req), provider.ErrUnavailable)

	mailOnly := pushAccount(t, e.env, connectors.MailRead)
	pushKind(t, pushSubscribeErr(ctx, e, mailOnly, provider.PushRequest{Resource: "/contacts", NotificationURL: e.hook.URL}), provider.ErrDenied)

	deaf := httptest.NewServer(http.NotFoundHandler())
	defer deaf.Close()
	pe = pushKind(t, pushSubscribeErr(ctx, e, e.acct, provider.PushRequest{Resource: "/email/messages", NotificationURL: deaf.URL}), provider.ErrInvalid)
	if pe.Status != http.StatusBadRequest || !strings.Contains(pe.Message, "ValidationError") {
		t.Errorf("validation failure = %+v", pe)
	}
	pushKind(t, pushSubscribeErr(ctx, e, e.acct, provider.PushRequest{Resource: "/tasklists/nope/tasks", NotificationURL: e.hook.URL}), provider.ErrNotFound)
	if subs := e.fake.Subscriptions(alice.ObjectID); len(subs) != 0 {
		t.Errorf("subscriptions were created: %+v", subs)
	}
}

func pushSubscribeErr(ctx context.Context, e *pushEnv, acct provider.Account, req provider.PushRequest) error {
	_, err := e.c.PushSubscribe(ctx, acct, req)
	return err
}

func TestPush_renew(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	mail := e.subscribe(t, "/email/messages", "s", now.Add(time.Hour))
	todo := e.subscribe(t, "/tasklists/default/tasks", "s", now.Add(time.Hour))
	for _, tc := range []struct {
		name  string
		sub   provider.PushSubscription
		asked time.Time
		want  time.Time
	}{
		{"mail", mail, now.Add(5 * 24 * time.Hour), now.Add(5 * 24 * time.Hour)},
		{"mail beyond the maximum", mail, now.Add(30 * 24 * time.Hour), now.Add(10079 * time.Minute)},
		{"tasks beyond the maximum", todo, now.Add(5 * 24 * time.Hour), now.Add(4229 * time.Minute)},
	} {
		got, err := e.c.PushRenew(ctx, e.acct, tc.sub, tc.asked)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.ID != tc.sub.ID || !got.ExpiresAt.Equal(tc.want) {
			t.Errorf("%s: renewed = %+v, want expiry %v", tc.name, got, tc.want)
		}
	}
	for _, s := range e.fake.Subscriptions(alice.ObjectID) {
		if s.ID == mail.ID && !s.ExpirationDateTime.Equal(now.Add(10079*time.Minute)) {
			t.Errorf("the fake's expiry = %v", s.ExpirationDateTime)
		}
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "a/b", ""} {
		_, err := e.c.PushRenew(ctx, e.acct, provider.PushSubscription{ID: id}, now.Add(time.Hour))
		pushKind(t, err, provider.ErrNotFound)
	}
	if err := e.fake.ExpireSubscription(mail.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.PushRenew(ctx, e.acct, mail, now.Add(time.Hour))
	pushKind(t, err, provider.ErrNotFound)
	e.clock.Advance(2 * time.Hour) // past todo's first expiry, renewed above
	if _, err := e.c.PushRenew(ctx, pushAccount(t, e.env, pushScopes...), todo, e.clock.Now().Add(time.Hour)); err != nil {
		t.Errorf("renewing the renewed subscription: %v", err)
	}
}

func TestPush_unsubscribe(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	ctx := context.Background()
	sub := e.subscribe(t, "/contacts", "s", time.Time{})
	if err := e.c.PushUnsubscribe(ctx, e.acct, sub); err != nil {
		t.Fatal(err)
	}
	if subs := e.fake.Subscriptions(alice.ObjectID); len(subs) != 0 {
		t.Fatalf("still subscribed: %+v", subs)
	}
	for _, s := range []provider.PushSubscription{sub, {ID: "a/b"}, {}} {
		if err := e.c.PushUnsubscribe(ctx, e.acct, s); err != nil {
			t.Errorf("PushUnsubscribe(%q) of an unknown subscription = %v", s.ID, err)
		}
	}
	e.fake.ThrottleNext(2)
	pushKind(t, e.c.PushUnsubscribe(ctx, e.acct, sub), provider.ErrRateLimited)
}

func TestPush_lifecycleEvents(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t)
	sub := e.subscribe(t, "/calendars/primary/events", "life", time.Time{})
	_, from := e.events(t, 0)
	for _, ev := range []string{graphtest.LifecycleReauthorizationRequired, graphtest.LifecycleMissed} {
		if err := e.fake.SendLifecycle(sub.ID, ev); err != nil {
			t.Fatal(err)
		}
	}
	e.fake.DropNotifications(true)
	start := e.clock.Now().Add(time.Hour)
	if _, err := e.fake.SeedEvent(alice.ObjectID, "", graphtest.Event{Subject: "dropped", Start: start, End: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.fake.DropNotifications(false)
	if err := e.fake.ExpireSubscription(sub.ID); err != nil {
		t.Fatal(err)
	}
	evs, _ := e.events(t, from)
	var want []provider.PushEvent
	for _, l := range []string{provider.LifecycleReauthorizationRequired, provider.LifecycleMissed, provider.LifecycleMissed, provider.LifecycleSubscriptionRemoved} {
		want = append(want, provider.PushEvent{SubscriptionID: sub.ID, ClientState: "life", Lifecycle: l})
	}
	if !slices.Equal(evs, want) {
		t.Errorf("events = %+v, want %+v", evs, want)
	}
}

func TestHandlePush_validation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	for _, tc := range []struct{ name, token, contentType string }{
		{"as Graph sends it", "Validation: Testing client application reachability for subscription Request-Id: 877cb92e-a60b-483b-8a39-79aa5f64f5a3", "text/plain; charset=utf-8"},
		{"without a content type", "opaque+token/with=symbols", ""},
		{"longest", strings.Repeat("t", 1024), "text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/push?validationToken="+url.QueryEscape(tc.token), nil)
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			evs, err := e.c.HandlePush(w, r)
			if err != nil || evs != nil {
				t.Fatalf("HandlePush = %v, %v", evs, err)
			}
			if w.Code != http.StatusOK || w.Body.String() != tc.token || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") ||
				w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("answer = %d %q %v", w.Code, w.Body.String(), w.Header())
			}
		})
	}
}

func TestHandlePush_notificationBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	body := `{"value":[
		{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","subscriptionExpirationDateTime":"2025-03-12T09:00:00Z","changeType":"created",
		 "resource":"users/x/messages/y","resourceData":{"@odata.type":"#Microsoft.Graph.Message","id":"y"},"clientState":"one","tenantId":"t"},
		{"subscriptionId":"8f105c7d-2dc5-4530-97cd-4e7ae6534c07","clientState":null,"lifecycleEvent":"missed"},
		{"subscriptionId":"9f105c7d-2dc5-4530-97cd-4e7ae6534c07","clientState":"three","lifecycleEvent":"somethingNew"}]}`
	r := httptest.NewRequest(http.MethodPost, "/push", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	w := httptest.NewRecorder()
	evs, err := e.c.HandlePush(w, r)
	if err != nil || w.Code != http.StatusAccepted {
		t.Fatalf("HandlePush = %d, %v", w.Code, err)
	}
	want := []provider.PushEvent{
		{SubscriptionID: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07", ClientState: "one"},
		{SubscriptionID: "8f105c7d-2dc5-4530-97cd-4e7ae6534c07", Lifecycle: provider.LifecycleMissed},
	}
	if !slices.Equal(evs, want) {
		t.Errorf("events = %+v, want %+v (the unknown lifecycle event skipped)", evs, want)
	}
}

func TestHandlePush_hostileRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	const sub = "7f105c7d-2dc5-4530-97cd-4e7ae6534c07"
	valid := `{"value":[{"subscriptionId":"` + sub + `","clientState":"topsecret"}]}`
	for _, tc := range []struct {
		name, method, query, contentType, body string
		status                                 int
	}{
		{"GET", http.MethodGet, "", "", "", http.StatusMethodNotAllowed},
		{"validation GET", http.MethodGet, "validationToken=abc", "", "", http.StatusMethodNotAllowed},
		{"token with markup", http.MethodPost, "validationToken=" + url.QueryEscape("<script>alert(1)</script>"), "text/plain", "", http.StatusBadRequest},
		{"token with an ampersand", http.MethodPost, "validationToken=" + url.QueryEscape("a&b"), "", "", http.StatusBadRequest},
		{"token with a quote", http.MethodPost, "validationToken=" + url.QueryEscape(`a"onload="x`), "", "", http.StatusBadRequest},
		{"token with a newline", http.MethodPost, "validationToken=" + url.QueryEscape("a\r\nSet-Cookie: x=1"), "", "", http.StatusBadRequest},
		{"token with non-ASCII", http.MethodPost, "validationToken=" + url.QueryEscape("jeton-é"), "", "", http.StatusBadRequest},
		{"very long token", http.MethodPost, "validationToken=" + strings.Repeat("a", 1025), "", "", http.StatusBadRequest},
		{"empty token", http.MethodPost, "validationToken=", "", "", http.StatusBadRequest},
		{"two tokens", http.MethodPost, "validationToken=a&validationToken=b", "", "", http.StatusBadRequest},
		{"validation as JSON", http.MethodPost, "validationToken=abc", "application/json", `{}`, http.StatusUnsupportedMediaType},
		{"validation with a big body", http.MethodPost, "validationToken=abc", "text/plain", strings.Repeat("x", 2000), http.StatusRequestEntityTooLarge},
		{"not JSON", http.MethodPost, "", "application/json", "value=1", http.StatusBadRequest},
		{"HTML", http.MethodPost, "", "text/html", valid, http.StatusUnsupportedMediaType},
		{"bad content type", http.MethodPost, "", "application/json; charset", valid, http.StatusUnsupportedMediaType},
		{"empty body", http.MethodPost, "", "application/json", "", http.StatusBadRequest},
		{"no value", http.MethodPost, "", "application/json", `{"clientState":"topsecret"}`, http.StatusBadRequest},
		{"null value", http.MethodPost, "", "application/json", `{"value":null}`, http.StatusBadRequest},
		{"empty value", http.MethodPost, "", "application/json", `{"value":[]}`, http.StatusBadRequest},
		{"value not an array", http.MethodPost, "", "application/json", `{"value":"topsecret"}`, http.StatusBadRequest},
		{"numeric subscription id", http.MethodPost, "", "application/json", `{"value":[{"subscriptionId":5,"clientState":"topsecret"}]}`, http.StatusBadRequest},
		{"object client state", http.MethodPost, "", "application/json", `{"value":[{"subscriptionId":"` + sub + `","clientState":{"a":"topsecret"}}]}`, http.StatusBadRequest},
		{"no subscription id", http.MethodPost, "", "application/json", `{"value":[{"clientState":"topsecret"}]}`, http.StatusBadRequest},
		{"subscription id with a slash", http.MethodPost, "", "application/json", `{"value":[{"subscriptionId":"a/b","clientState":"topsecret"}]}`, http.StatusBadRequest},
		{"long client state", http.MethodPost, "", "application/json", `{"value":[{"subscriptionId":"` + sub + `","clientState":"` + strings.Repeat("s", 256) + `"}]}`, http.StatusBadRequest},
		{"trailing data", http.MethodPost, "", "application/json", valid + `{"value":[]}`, http.StatusBadRequest},
		{"array at the top", http.MethodPost, "", "application/json", `[` + valid + `]`, http.StatusBadRequest},
		{"huge", http.MethodPost, "", "application/json", `{"value":[{"subscriptionId":"` + sub + `","clientState":"topsecret","pad":"` + strings.Repeat("x", 2<<20) + `"}]}`, http.StatusRequestEntityTooLarge},
		{"huge after a valid value", http.MethodPost, "", "application/json", valid + strings.Repeat(" ", 2<<20) + "1", http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/push"
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := httptest.NewRequest(tc.method, target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			evs, err := e.c.HandlePush(w, r)
			if w.Code != tc.status || evs != nil || err == nil {
				t.Fatalf("HandlePush = %d, %v, %v; want %d, no events and an error", w.Code, evs, err, tc.status)
			}
			for _, leak := range []string{"topsecret", "<script", "Set-Cookie"} {
				if strings.Contains(w.Body.String(), leak) || strings.Contains(err.Error(), leak) {
					t.Errorf("the answer or error repeats %q: %q / %v", leak, w.Body.String(), err)
				}
			}
		})
	}
}
