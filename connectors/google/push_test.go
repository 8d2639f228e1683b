package google_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/unified/provider"
)

const (
	pushTopic = "projects/aurinko-test/topics/gmail"
	pushSA    = "gmail-push@aurinko-test.iam.gserviceaccount.com"
)

// pushCall is what one call of HandlePush returned.
type pushCall struct {
	events []provider.PushEvent
	err    error
}

// pushEnv is a connector with Gmail push, alice's account, and the push
// endpoint: an httptest server that serves HandlePush at /push and
// reports every call on calls.
type pushEnv struct {
	*env
	acct  provider.Account
	srv   *httptest.Server
	calls chan pushCall
}

func newPushEnv(t *testing.T, cmod func(*google.Config)) *pushEnv {
	t.Helper()
	return newPushEnvWith(t, nil, cmod)
}

func newPushEnvWith(t *testing.T, gmod func(*googletest.Options), cmod func(*google.Config)) *pushEnv {
	t.Helper()
	e := newEnv(t, gmod, func(c *google.Config) {
		c.PubSubTopic, c.PushServiceAccount = pushTopic, pushSA
		if cmod != nil {
			cmod(c)
		}
	})
	t.Cleanup(e.g.StopPushes)
	g := e.signIn(t, []connectors.Scope{connectors.MailReadWrite}, nil)
	hc := &http.Client{Transport: &xoauth2.Transport{Source: &clockedTokenSource{e: e, tok: g.Token}}, Timeout: 10 * time.Second}
	pe := &pushEnv{env: e, acct: provider.Account{ID: 1, Email: alice.Email, Client: hc}, calls: make(chan pushCall, 64)}
	mux := http.NewServeMux()
	mux.HandleFunc("/push", func(w http.ResponseWriter, r *http.Request) {
		evs, err := pe.c.HandlePush(w, r)
		pe.calls <- pushCall{evs, err}
	})
	pe.srv = httptest.NewServer(mux)
	t.Cleanup(pe.srv.Close)
	if err := e.g.SetPushEndpoint(pushTopic, pe.srv.URL+"/push", "", pushSA); err != nil {
		t.Fatal(err)
	}
	return pe
}

// clockedTokenSource refreshes through the connector when the shared
// clock says the token expired.
type clockedTokenSource struct {
	e   *env
	mu  sync.Mutex
	tok *xoauth2.Token
}

func (s *clockedTokenSource) Token() (*xoauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.e.clock.Now().After(s.tok.Expiry.Add(-time.Minute)) {
		tok, err := s.e.c.Refresh(context.Background(), s.tok)
		if err != nil {
			return nil, err
		}
		s.tok = tok
	}
	return s.tok, nil
}

// nextCall returns the next HandlePush call.
func (e *pushEnv) nextCall(t *testing.T) pushCall {
	t.Helper()
	select {
	case c := <-e.calls:
		return c
	case <-time.After(10 * time.Second): // a guard, not a wait for time
		t.Fatal("HandlePush was not called")
		return pushCall{}
	}
}

// noCalls fails when HandlePush was called and not yet checked.
func (e *pushEnv) noCalls(t *testing.T) {
	t.Helper()
	select {
	case c := <-e.calls:
		t.Fatalf("unexpected HandlePush call: %+v", c)
	default:
	}
}

func (e *pushEnv) subscribe(t *testing.T) provider.PushSubscription {
	t.Helper()
	sub, err := e.c.PushSubscribe(context.Background(), e.acct, provider.PushRequest{Resource: "/email/messages",
		NotificationURL: e.srv.URL + "/push", ClientState: "ignored-by-gmail", ExpiresAt: e.clock.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// change seeds a message into alice's mailbox and waits for the pushes.
func (e *pushEnv) change(t *testing.T, m googletest.MailMessage) string {
	t.Helper()
	ids, err := e.g.Seed(alice.Email, m)
	if err != nil {
		t.Fatal(err)
	}
	e.g.WaitPushes()
	return ids[0]
}

func TestPush_subscribeNotifyStop(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, nil)
	e.acct.Email = "Alice@Example.com" // as the account was stored
	sub := e.subscribe(t)
	if want := e.clock.Now().Add(7 * 24 * time.Hour); sub.ID != "alice@example.com" || !sub.ExpiresAt.Equal(want) {
		t.Fatalf("subscription = %+v, want alice@example.com until %v", sub, want)
	}
	w, ok := e.g.Watch(alice.Email)
	if !ok || w.Topic != pushTopic || len(w.LabelIDs) != 0 {
		t.Fatalf("watch = %+v %v: want the topic and no label filter", w, ok)
	}

	// A new message in the inbox, and a change of an archived one: the
	// delta reports both, so both are pushed.
	e.change(t, googletest.MailMessage{From: "bob@other.org", Subject: "hello", Text: "hi"})
	archived := e.change(t, googletest.MailMessage{From: "bob@other.org", Subject: "old", Labels: []string{}})
	if err := e.g.ModifyLabels(alice.Email, archived, []string{"STARRED"}, nil); err != nil {
		t.Fatal(err)
	}
	e.g.WaitPushes()
	for range 3 {
		c := e.nextCall(t)
		if c.err != nil || len(c.events) != 1 || c.events[0] != (provider.PushEvent{AccountEmail: "alice@example.com"}) {
			t.Fatalf("HandlePush = %+v, %v", c.events, c.err)
		}
	}
	for _, d := range e.g.Pushes() {
		if d.Status != http.StatusNoContent {
			t.Errorf("push answered %d, want 204", d.Status)
		}
	}

	for range 2 { // unsubscribing twice is fine
		if err := e.c.PushUnsubscribe(context.Background(), e.acct, sub); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := e.g.Watch(alice.Email); ok {
		t.Fatal("the watch outlived PushUnsubscribe")
	}
	e.change(t, googletest.MailMessage{Subject: "after stop"})
	e.noCalls(t)
}

func TestPush_renew(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, nil)
	e.subscribe(t)
	e.g.ExpireWatch(alice.Email)
	e.change(t, googletest.MailMessage{Subject: "while expired"})
	e.noCalls(t)

	e.clock.Advance(3 * time.Hour) // the access token is refreshed
	sub, err := e.c.PushRenew(context.Background(), e.acct, provider.PushSubscription{ID: "alice@example.com"}, e.clock.Now().Add(48*time.Hour))
	if want := e.clock.Now().Add(7 * 24 * time.Hour); err != nil || sub.ID != "alice@example.com" || !sub.ExpiresAt.Equal(want) {
		t.Fatalf("PushRenew = %+v, %v; want expiry %v", sub, err, want)
	}
	e.change(t, googletest.MailMessage{Subject: "after renewal"})
	if c := e.nextCall(t); c.err != nil || len(c.events) != 1 {
		t.Fatalf("HandlePush = %+v, %v", c.events, c.err)
	}
}

func TestPush_unsupported(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, nil)
	for _, res := range []string{"/calendars/primary/events", "/contacts", "/tasklists/x/tasks", "/email/messages/x"} {
		_, err := e.c.PushSubscribe(context.Background(), e.acct, provider.PushRequest{Resource: res, NotificationURL: e.srv.URL + "/push"})
		if pe, ok := errors.AsType[*provider.Error](err); !ok || !errors.Is(err, provider.ErrUnsupported) {
			t.Errorf("PushSubscribe(%s) = %v (%+v), want a *provider.Error of ErrUnsupported", res, err, pe)
		}
	}
	if _, ok := e.g.Watch(alice.Email); ok {
		t.Fatal("an unsupported resource was watched")
	}

	// Without a topic, push is off: subscribe and renew are unsupported,
	// the endpoint is not found, unsubscribe still stops a watch.
	off, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: e.g.Endpoints(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.subscribe(t)
	if _, err := off.PushSubscribe(context.Background(), e.acct, provider.PushRequest{Resource: "/email/messages"}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("PushSubscribe without a topic = %v", err)
	}
	if _, err := off.PushRenew(context.Background(), e.acct, provider.PushSubscription{ID: alice.Email}, time.Time{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("PushRenew without a topic = %v", err)
	}
	rec := httptest.NewRecorder()
	if evs, err := off.HandlePush(rec, httptest.NewRequest(http.MethodPost, "/push", strings.NewReader("{}"))); err == nil || evs != nil || rec.Code != http.StatusNotFound {
		t.Errorf("HandlePush without a topic = %d %v %v", rec.Code, evs, err)
	}
	if err := off.PushUnsubscribe(context.Background(), e.acct, provider.PushSubscription{ID: alice.Email}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.g.Watch(alice.Email); ok {
		t.Fatal("PushUnsubscribe without a topic left the watch")
	}
}

func TestNew_pushConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                string
		topic, sa, audience string
		wantErr             bool
	}{
		{"push off", "", "", "", false},
		{"push on", pushTopic, pushSA, "", false},
		{"with an audience", pushTopic, pushSA, "https://app.example.com/push", false},
		{"topic without service account", pushTopic, "", "", true},
		{"service account is not an email", pushTopic, "gmail-push", "", true},
		{"service account without topic", "", pushSA, "", true},
		{"audience without topic", "", "", "https://app.example.com/push", true},
		{"bare topic name", "gmail", pushSA, "", true},
		{"subscription instead of topic", "projects/aurinko-test/subscriptions/gmail", pushSA, "", true},
		{"topic with a slash", "projects/aurinko-test/topics/a/b", pushSA, "", true},
	} {
		_, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret,
			PubSubTopic: tc.topic, PushServiceAccount: tc.sa, PushAudience: tc.audience})
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: New = %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
}

func TestHandlePush_hostile(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, nil)
	ctx := context.Background()
	auth := func(f googletest.PushFault) string {
		a, err := e.g.PushAuthorization(pushTopic, f)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	good := auth(googletest.PushFaultNone)
	body, err := e.g.PushBody(pushTopic, "alice@example.com", 42)
	if err != nil {
		t.Fatal(err)
	}
	envelope := func(data string) []byte {
		return []byte(`{"message":{"data":"` + data + `","messageId":"1","publishTime":"2026-05-06T07:08:09.000Z"},"subscription":"projects/aurinko-test/subscriptions/gmail-push"}`)
	}
	b64 := base64.StdEncoding.EncodeToString
	huge := []byte(`{"message":{"data":"` + b64([]byte(`{"emailAddress":"alice@example.com","historyId":1}`)) +
		`","attributes":{"pad":"` + strings.Repeat("a", 70<<10) + `"}}}`)

	for _, tc := range []struct {
		name       string
		auth       string
		body       []byte
		wantStatus int
		wantEmail  string // "" when refused
	}{
		{"valid", good, body, 204, "alice@example.com"},
		{"historyId as a string, as the guide shows", good, envelope(b64([]byte(`{"emailAddress":"Alice@Example.com","historyId":"9876543210"}`))), 204, "alice@example.com"},
		{"base64url without padding", good, envelope(base64.RawURLEncoding.EncodeToString([]byte(`{"emailAddress":"bob@other.org"}`))), 204, "bob@other.org"},
		{"no token", "", body, 401, ""},
		{"not a bearer token", "Basic " + b64([]byte("a:b")), body, 401, ""},
		{"garbage token", "Bearer not.a.jwt", body, 401, ""},
		{"expired token", auth(googletest.PushFaultExpired), body, 401, ""},
		{"wrong audience", auth(googletest.PushFaultWrongAudience), body, 401, ""},
		{"signed by another key", auth(googletest.PushFaultForeignKey), body, 401, ""},
		{"another issuer", auth(googletest.PushFaultWrongIssuer), body, 401, ""},
		{"another service account", auth(googletest.PushFaultWrongServiceAccount), body, 403, ""},
		{"unverified email", auth(googletest.PushFaultUnverifiedEmail), body, 403, ""},
		{"a sign-in id_token of the user", "Bearer " + e.userIDToken(t), body, 401, ""},
		{"not JSON", good, []byte("hello"), 400, ""},
		{"JSON but not an envelope", good, []byte(`[1,2]`), 400, ""},
		{"no message", good, []byte(`{"subscription":"x"}`), 400, ""},
		{"empty data", good, envelope(""), 400, ""},
		{"bad base64", good, envelope("%%%not-base64%%%"), 400, ""},
		{"data not JSON", good, envelope(b64([]byte("hello"))), 400, ""},
		{"data without emailAddress", good, envelope(b64([]byte(`{"historyId":1}`))), 400, ""},
		{"emailAddress not an address", good, envelope(b64([]byte(`{"emailAddress":"<script>@x"}`))), 400, ""},
		{"historyId not a number", good, envelope(b64([]byte(`{"emailAddress":"alice@example.com","historyId":"12a"}`))), 400, ""},
		{"trailing data", good, append(body, []byte(`{}`)...), 400, ""},
		{"huge body", good, huge, 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.g.SendPush(ctx, pushTopic, tc.body, tc.auth)
			if err != nil {
				t.Fatal(err)
			}
			c := e.nextCall(t)
			if d.Status != tc.wantStatus {
				t.Errorf("status = %d, want %d (%v)", d.Status, tc.wantStatus, c.err)
			}
			if tc.wantEmail == "" {
				if c.err == nil || len(c.events) != 0 {
					t.Errorf("refused push returned %+v, %v", c.events, c.err)
				}
				return
			}
			if c.err != nil || len(c.events) != 1 || c.events[0].AccountEmail != tc.wantEmail || c.events[0].SubscriptionID != "" {
				t.Errorf("HandlePush = %+v, %v", c.events, c.err)
			}
		})
	}

	// Other methods and media types.
	for _, tc := range []struct {
		method, ctype string
		want          int
	}{
		{http.MethodGet, "", http.StatusMethodNotAllowed},
		{http.MethodPut, "application/json", http.StatusMethodNotAllowed},
		{http.MethodPost, "text/plain", http.StatusUnsupportedMediaType},
	} {
		req, _ := http.NewRequest(tc.method, e.srv.URL+"/push", strings.NewReader(string(body)))
		req.Header.Set("Authorization", good)
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := e.nextCall(t); resp.StatusCode != tc.want || c.err == nil || c.events != nil {
			t.Errorf("%s %s = %d (%v), want %d", tc.method, tc.ctype, resp.StatusCode, c.err, tc.want)
		}
	}
}

// userIDToken is an id_token of alice for the OAuth client: signed by
// Google, but not a push token of the service account for the endpoint.
func (e *pushEnv) userIDToken(t *testing.T) string {
	t.Helper()
	claims, ok := e.g.IDTokenClaims(alice.Email)
	if !ok {
		t.Fatal("no alice")
	}
	return e.g.MintIDToken(claims)
}

func TestHandlePush_asyncFault(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, nil)
	e.subscribe(t)
	e.g.FaultNextPush(googletest.PushFaultWrongAudience)
	e.change(t, googletest.MailMessage{Subject: "spoiled"})
	if c := e.nextCall(t); c.err == nil || c.events != nil {
		t.Fatalf("a push with a wrong audience was accepted: %+v", c.events)
	}
	if ds := e.g.Pushes(); len(ds) != 1 || ds[0].Status != http.StatusUnauthorized || ds[0].Acked() {
		t.Fatalf("deliveries = %+v", ds)
	}
}

func TestHandlePush_configuredAudience(t *testing.T) {
	t.Parallel()
	const aud = "https://app.example.com/v1/webhooks/push/Google"
	e := newPushEnv(t, func(c *google.Config) { c.PushAudience = aud })
	body, err := e.g.PushBody(pushTopic, "alice@example.com", 1)
	if err != nil {
		t.Fatal(err)
	}
	// The subscription's audience is still the endpoint URL: refused.
	if d, _ := e.g.SendPush(context.Background(), pushTopic, body, e.authFor(t)); d.Status != http.StatusUnauthorized {
		t.Errorf("token for the URL = %d, want 401", d.Status)
	}
	e.nextCall(t)
	if err := e.g.SetPushEndpoint(pushTopic, e.srv.URL+"/push", aud, pushSA); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.g.SendPush(context.Background(), pushTopic, body, e.authFor(t)); d.Status != http.StatusNoContent {
		t.Errorf("token for the configured audience = %d, want 204", d.Status)
	}
	if c := e.nextCall(t); c.err != nil || len(c.events) != 1 {
		t.Errorf("HandlePush = %+v, %v", c.events, c.err)
	}
}

func (e *pushEnv) authFor(t *testing.T) string {
	t.Helper()
	a, err := e.g.PushAuthorization(pushTopic, googletest.PushFaultNone)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestHandlePush_shortIssuer(t *testing.T) {
	t.Parallel()
	// Google's tokens name the issuer with or without the scheme.
	e := newPushEnvWith(t, func(o *googletest.Options) { o.ShortIssuer = true }, nil)
	e.subscribe(t)
	e.change(t, googletest.MailMessage{Subject: "x"})
	if c := e.nextCall(t); c.err != nil || len(c.events) != 1 {
		t.Fatalf("HandlePush = %+v, %v", c.events, c.err)
	}
}
