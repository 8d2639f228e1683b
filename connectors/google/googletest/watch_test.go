package googletest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const (
	pushTopic = "projects/aurinko-test/topics/gmail"
	pushSA    = "push-invoker@aurinko-test.iam.gserviceaccount.com"
)

// receiver is a push endpoint that records what it gets.
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	got    []received
}

type received struct {
	method, auth, ctype string
	body                []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{status: http.StatusNoContent}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{method: r.Method, auth: r.Header.Get("Authorization"), ctype: r.Header.Get("Content-Type"), body: b})
		status := rc.status
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

func (rc *receiver) answer(status int) {
	rc.mu.Lock()
	rc.status = status
	rc.mu.Unlock()
}

// newPushServer is a fake with a push endpoint for pushTopic served by a
// receiver, and alice's token with the Gmail modify scope.
func newPushServer(t *testing.T) (*googletest.Server, *steppedClock, *receiver, string) {
	t.Helper()
	s, clock := newClockedServer(t)
	t.Cleanup(s.StopPushes)
	rc := newReceiver(t)
	if err := s.SetPushEndpoint(pushTopic, rc.srv.URL+"/push", "", pushSA); err != nil {
		t.Fatal(err)
	}
	return s, clock, rc, userToken(t, s, "alice@example.com", "https://www.googleapis.com/auth/gmail.modify")
}

type watchAnswer struct {
	HistoryID  string `json:"historyId"`
	Expiration string `json:"expiration"`
}

func watch(t *testing.T, s *googletest.Server, token string, body map[string]any) watchAnswer {
	t.Helper()
	status, b := apiCall(t, http.MethodPost, s.APIBaseURL()+gmailBase+"/watch", token, body)
	if status != http.StatusOK {
		t.Fatalf("watch = %d %s", status, b)
	}
	return decodeJSON[watchAnswer](t, b)
}

// pushData is the Gmail notification of a push body.
type pushData struct {
	EmailAddress string `json:"emailAddress"`
	HistoryID    uint64 `json:"historyId"`
}

func decodePush(t *testing.T, body []byte) (map[string]any, pushData) {
	t.Helper()
	var env struct {
		Message      map[string]any `json:"message"`
		Subscription string         `json:"subscription"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("push body %s: %v", body, err)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Message["data"].(string))
	if err != nil {
		t.Fatalf("data: %v", err)
	}
	env.Message["subscription"] = env.Subscription
	return env.Message, decodeJSON[pushData](t, raw)
}

func TestWatch_requestErrors(t *testing.T) {
	t.Parallel()
	s, _, _, token := newPushServer(t)
	if err := s.SetPushEndpoint("projects/aurinko-test/topics/other", "https://push.example.com/x", "", pushSA); err != nil {
		t.Fatal(err)
	}
	readonly := userToken(t, s, "alice@example.com", "https://www.googleapis.com/auth/gmail.send")
	for _, tc := range []struct {
		name       string
		path       string
		token      string
		body       any
		wantStatus int
		wantRPC    string
		wantMsg    string
	}{
		{"no topic", "/watch", token, map[string]any{}, 400, "INVALID_ARGUMENT", "topicName required"},
		{"bare topic name", "/watch", token, map[string]any{"topicName": "gmail"}, 400, "INVALID_ARGUMENT",
			"Invalid topicName does not match projects/SOME_PROJECT/topics/*"},
		{"another project", "/watch", token, map[string]any{"topicName": "projects/someone-else/topics/gmail"}, 400, "INVALID_ARGUMENT",
			"Invalid topicName does not match projects/aurinko-test/topics/*"},
		{"unknown topic", "/watch", token, map[string]any{"topicName": "projects/aurinko-test/topics/nope"}, 404, "NOT_FOUND",
			"Resource not found (resource=nope)."},
		{"unknown label", "/watch", token, map[string]any{"topicName": pushTopic, "labelIds": []string{"Label_99"}}, 400, "INVALID_ARGUMENT",
			"Invalid label: Label_99"},
		{"bad filter behavior", "/watch", token, map[string]any{"topicName": pushTopic, "labelIds": []string{"INBOX"}, "labelFilterBehavior": "sometimes"},
			400, "INVALID_ARGUMENT", ""},
		{"not JSON", "/watch", token, "{", 400, "INVALID_ARGUMENT", "Invalid JSON payload received."},
		{"scope without metadata", "/watch", readonly, map[string]any{"topicName": pushTopic}, 403, "PERMISSION_DENIED", ""},
		{"no token", "/watch", "", map[string]any{"topicName": pushTopic}, 401, "UNAUTHENTICATED", ""},
		{"another user's mailbox", "/../carol@gmail.com/watch", token, map[string]any{"topicName": pushTopic}, 403, "PERMISSION_DENIED", ""},
		{"stop without scope", "/stop", readonly, nil, 403, "PERMISSION_DENIED", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := s.APIBaseURL() + gmailBase + tc.path
			if strings.HasPrefix(tc.path, "/../") {
				u = s.APIBaseURL() + "/gmail/v1/users/" + strings.TrimPrefix(tc.path, "/../")
			}
			status, b := apiCall(t, http.MethodPost, u, tc.token, tc.body)
			e := wantGoogleError(t, tc.name, status, b, tc.wantStatus, tc.wantRPC)
			if tc.wantMsg != "" && e.Error.Message != tc.wantMsg {
				t.Errorf("message = %q, want %q", e.Error.Message, tc.wantMsg)
			}
		})
	}
	if _, ok := s.Watch("alice@example.com"); ok {
		t.Fatal("a refused watch was stored")
	}
}

func TestWatch_answerAndRenewal(t *testing.T) {
	t.Parallel()
	s, clock, _, token := newPushServer(t)
	a := watch(t, s, token, map[string]any{"topicName": pushTopic, "labelIds": []string{"INBOX"}, "labelFilterAction": "EXCLUDE"})
	if want := strconv.FormatUint(s.HistoryID("alice@example.com"), 10); a.HistoryID != want {
		t.Errorf("historyId = %q, want %q", a.HistoryID, want)
	}
	if want := strconv.FormatInt(epoch.Add(7*24*time.Hour).UnixMilli(), 10); a.Expiration != want {
		t.Errorf("expiration = %q, want %q", a.Expiration, want)
	}
	w, ok := s.Watch("alice@example.com")
	if !ok || w.Topic != pushTopic || !slices.Equal(w.LabelIDs, []string{"INBOX"}) || w.LabelFilterBehavior != "exclude" {
		t.Fatalf("watch = %+v %v (labelFilterAction read without labelFilterBehavior)", w, ok)
	}

	clock.Advance(24 * time.Hour)
	token = userToken(t, s, "alice@example.com", "https://www.googleapis.com/auth/gmail.modify") // the old one expired
	a = watch(t, s, token, map[string]any{"topicName": pushTopic, "labelFilterBehavior": "include", "labelFilterAction": "exclude"})
	if want := strconv.FormatInt(epoch.Add(8*24*time.Hour).UnixMilli(), 10); a.Expiration != want {
		t.Errorf("renewed expiration = %q, want %q", a.Expiration, want)
	}
	if w, _ := s.Watch("alice@example.com"); len(w.LabelIDs) != 0 || w.LabelFilterBehavior != "include" {
		t.Errorf("renewal did not replace the watch: %+v", w)
	}

	for range 2 { // stop is idempotent
		if status, b := apiCall(t, http.MethodPost, s.APIBaseURL()+gmailBase+"/stop", token, nil); status != http.StatusNoContent || len(b) != 0 {
			t.Fatalf("stop = %d %q", status, b)
		}
	}
	if _, ok := s.Watch("alice@example.com"); ok {
		t.Fatal("watch kept after stop")
	}
}

func TestWatch_pushRequest(t *testing.T) {
	t.Parallel()
	s, _, rc, token := newPushServer(t)
	watch(t, s, token, map[string]any{"topicName": pushTopic})
	if _, err := s.Seed("alice@example.com", googletest.MailMessage{From: "bob@other.org", Subject: "hi", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	// carol is not watched.
	if _, err := s.Seed("carol@gmail.com", googletest.MailMessage{From: "bob@other.org", Subject: "hi", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	s.WaitPushes()
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("%d pushes, want 1", len(got))
	}
	r := got[0]
	if r.method != http.MethodPost || r.ctype != "application/json" {
		t.Errorf("push %s with Content-Type %q", r.method, r.ctype)
	}
	msg, data := decodePush(t, r.body)
	if data.EmailAddress != "alice@example.com" || data.HistoryID != s.HistoryID("alice@example.com") {
		t.Errorf("data = %+v", data)
	}
	if msg["messageId"] == "" || msg["messageId"] != msg["message_id"] || msg["publishTime"] != "2026-05-06T07:08:09.000Z" ||
		msg["publish_time"] != msg["publishTime"] || msg["subscription"] != "projects/aurinko-test/subscriptions/gmail-push" {
		t.Errorf("message = %v", msg)
	}

	// The token verifies with the fake's published keys.
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	v := oidc.NewVerifier(s.Issuer(), oidc.NewRemoteKeySet(ctx, s.JWKSURL()), &oidc.Config{ClientID: rc.srv.URL + "/push", Now: fixedNow})
	idt, err := v.Verify(ctx, strings.TrimPrefix(r.auth, "Bearer "))
	if err != nil {
		t.Fatalf("push token: %v", err)
	}
	var cl map[string]any
	if err := idt.Claims(&cl); err != nil {
		t.Fatal(err)
	}
	if cl["email"] != pushSA || cl["email_verified"] != true || cl["sub"] == "" || cl["azp"] != cl["sub"] ||
		cl["iat"] != float64(epoch.Unix()) || cl["exp"] != float64(epoch.Add(time.Hour).Unix()) {
		t.Errorf("claims = %v", cl)
	}

	ds := s.Pushes()
	if len(ds) != 1 || !ds[0].Acked() || ds[0].EmailAddress != "alice@example.com" || ds[0].Authorization != r.auth {
		t.Fatalf("deliveries = %+v", ds)
	}

	// After users.stop nothing is published.
	if status, _ := apiCall(t, http.MethodPost, s.APIBaseURL()+gmailBase+"/stop", token, nil); status != http.StatusNoContent {
		t.Fatal("stop failed")
	}
	if _, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "after stop"}); err != nil {
		t.Fatal(err)
	}
	s.WaitPushes()
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d pushes after stop, want 1", n)
	}
}

func TestWatch_labelFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		labels   []string
		behavior string
		want     []string // the changes published, in order
	}{
		{"no filter: every change", nil, "", []string{"inbox", "archived", "read", "archive", "delete"}},
		{"include INBOX", []string{"INBOX"}, "include", []string{"inbox", "read", "archive"}},
		{"INCLUDE spelled as the guide", []string{"INBOX"}, "INCLUDE", []string{"inbox", "read", "archive"}},
		{"exclude INBOX", []string{"INBOX"}, "exclude", []string{"archived", "delete"}},
		{"include UNREAD", []string{"UNREAD"}, "", []string{"inbox", "read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _, _, token := newPushServer(t)
			body := map[string]any{"topicName": pushTopic, "labelIds": tc.labels}
			if tc.behavior != "" {
				body["labelFilterBehavior"] = tc.behavior
			}
			watch(t, s, token, body)
			var published []string
			step := func(name string, f func() error) {
				t.Helper()
				before := len(s.Pushes())
				s.WaitPushes() // nothing is queued between steps
				if err := f(); err != nil {
					t.Fatal(err)
				}
				s.WaitPushes()
				if len(s.Pushes()) > before {
					published = append(published, name)
				}
			}
			var inbox, archived string
			step("inbox", func() error {
				ids, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "in"})
				if err == nil {
					inbox = ids[0]
				}
				return err
			})
			step("archived", func() error {
				ids, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "out", Labels: []string{}})
				if err == nil {
					archived = ids[0]
				}
				return err
			})
			step("read", func() error { return s.ModifyLabels("alice@example.com", inbox, nil, []string{"UNREAD"}) })
			step("archive", func() error { return s.ModifyLabels("alice@example.com", inbox, nil, []string{"INBOX"}) })
			step("delete", func() error { return s.DeleteMessage("alice@example.com", archived) })
			if !slices.Equal(published, tc.want) {
				t.Fatalf("published %q, want %q", published, tc.want)
			}
		})
	}
}

func TestWatch_expiry(t *testing.T) {
	t.Parallel()
	s, clock, rc, token := newPushServer(t)
	watch(t, s, token, map[string]any{"topicName": pushTopic})
	seed := func() {
		t.Helper()
		if _, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "x"}); err != nil {
			t.Fatal(err)
		}
		s.WaitPushes()
	}
	s.ExpireWatch("alice@example.com")
	seed()
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("%d pushes after ExpireWatch", n)
	}
	watch(t, s, token, map[string]any{"topicName": pushTopic})
	seed()
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d pushes after renewal, want 1", n)
	}
	clock.Advance(7 * 24 * time.Hour) // Seed needs no token
	seed()
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d pushes after seven days, want 1", n)
	}
	if w, ok := s.Watch("alice@example.com"); !ok || w.Expiration.After(clock.Now()) {
		t.Fatalf("expired watch = %+v %v", w, ok)
	}
}

func TestWatch_faults(t *testing.T) {
	t.Parallel()
	s, _, rc, token := newPushServer(t)
	watch(t, s, token, map[string]any{"topicName": pushTopic})
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	v := oidc.NewVerifier(s.Issuer(), oidc.NewRemoteKeySet(ctx, s.JWKSURL()), &oidc.Config{ClientID: rc.srv.URL + "/push", Now: fixedNow})
	for _, tc := range []struct {
		fault googletest.PushFault
		check func(auth string, verr error, cl map[string]any) bool
	}{
		{googletest.PushFaultNone, func(a string, err error, _ map[string]any) bool { return err == nil }},
		{googletest.PushFaultNoToken, func(a string, _ error, _ map[string]any) bool { return a == "" }},
		{googletest.PushFaultExpired, func(_ string, err error, _ map[string]any) bool {
			return err != nil && strings.Contains(err.Error(), "expired")
		}},
		{googletest.PushFaultWrongAudience, func(_ string, err error, _ map[string]any) bool {
			return err != nil && strings.Contains(err.Error(), "audience")
		}},
		{googletest.PushFaultForeignKey, func(_ string, err error, _ map[string]any) bool {
			return err != nil && strings.Contains(err.Error(), "signature")
		}},
		{googletest.PushFaultWrongIssuer, func(_ string, err error, _ map[string]any) bool {
			return err != nil && strings.Contains(err.Error(), "different provider")
		}},
		{googletest.PushFaultWrongServiceAccount, func(_ string, err error, cl map[string]any) bool {
			return err == nil && cl["email"] != pushSA
		}},
		{googletest.PushFaultUnverifiedEmail, func(_ string, err error, cl map[string]any) bool {
			return err == nil && cl["email_verified"] == false
		}},
	} {
		s.FaultNextPush(tc.fault)
		if _, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "x"}); err != nil {
			t.Fatal(err)
		}
		s.WaitPushes()
		got := rc.requests()
		auth := got[len(got)-1].auth
		var cl map[string]any
		var verr error
		if auth != "" {
			var idt *oidc.IDToken
			if idt, verr = v.Verify(ctx, strings.TrimPrefix(auth, "Bearer ")); verr == nil {
				_ = idt.Claims(&cl)
			}
		}
		ds := s.Pushes()
		if d := ds[len(ds)-1]; d.Fault != tc.fault || !tc.check(auth, verr, cl) {
			t.Errorf("fault %d: delivery %+v, verify error %v, claims %v", tc.fault, d.Fault, verr, cl)
		}
	}
	// The fault spoils one delivery only.
	if _, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "x"}); err != nil {
		t.Fatal(err)
	}
	s.WaitPushes()
	got := rc.requests()
	if _, err := v.Verify(ctx, strings.TrimPrefix(got[len(got)-1].auth, "Bearer ")); err != nil {
		t.Fatalf("the delivery after a fault: %v", err)
	}
}

func TestSendPush_andNotAcked(t *testing.T) {
	t.Parallel()
	s, _, rc, _ := newPushServer(t)
	body, err := s.PushBody(pushTopic, "Alice@Example.com", 42)
	if err != nil {
		t.Fatal(err)
	}
	if _, data := decodePush(t, body); data.EmailAddress != "Alice@Example.com" || data.HistoryID != 42 {
		t.Fatalf("PushBody data = %+v", data)
	}
	auth, err := s.PushAuthorization(pushTopic, googletest.PushFaultNone)
	if err != nil || !strings.HasPrefix(auth, "Bearer ") {
		t.Fatalf("PushAuthorization = %q, %v", auth, err)
	}
	rc.answer(http.StatusServiceUnavailable)
	d, err := s.SendPush(context.Background(), pushTopic, []byte("not json"), "Bearer x")
	if err != nil || d.Status != http.StatusServiceUnavailable || d.Acked() {
		t.Fatalf("SendPush = %+v, %v", d, err)
	}
	if got := rc.requests(); len(got) != 1 || string(got[0].body) != "not json" || got[0].auth != "Bearer x" {
		t.Fatalf("received %+v", got)
	}
	if _, err := s.SendPush(context.Background(), "projects/aurinko-test/topics/unknown", nil, ""); err == nil {
		t.Fatal("SendPush to an unknown topic succeeded")
	}
	if err := s.SetPushEndpoint("gmail", rc.srv.URL, "", pushSA); err == nil {
		t.Fatal("SetPushEndpoint accepted a bare topic name")
	}
	if err := s.SetPushEndpoint(pushTopic, "/relative", "", pushSA); err == nil {
		t.Fatal("SetPushEndpoint accepted a relative URL")
	}
}

func TestStopPushes_dropsTheQueue(t *testing.T) {
	t.Parallel()
	s, _, _, token := newPushServer(t)
	// An endpoint that holds every request until the test ends it.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	if err := s.SetPushEndpoint(pushTopic, slow.URL, "", pushSA); err != nil {
		t.Fatal(err)
	}
	watch(t, s, token, map[string]any{"topicName": pushTopic})
	for range 3 {
		if _, err := s.Seed("alice@example.com", googletest.MailMessage{Subject: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	s.StopPushes() // cancels the one in flight, drops the others
	s.WaitPushes()
	if ds := s.Pushes(); len(ds) > 1 || (len(ds) == 1 && ds[0].Err == "") {
		t.Fatalf("deliveries after StopPushes = %+v", ds)
	}
	if _, err := s.SendPush(context.Background(), pushTopic, nil, ""); err == nil {
		t.Fatal("SendPush after StopPushes succeeded")
	}
}
