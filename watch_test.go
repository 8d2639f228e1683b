package aurinko_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/webhooks"
)

// receiver is an app's webhook endpoint that records verified
// notifications and can be switched off.
type receiver struct {
	srv    *httptest.Server
	secret func() []byte
	now    func() time.Time // the server's clock, which signs
	mu     sync.Mutex
	got    []webhooks.Notification
	down   bool
	calls  int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			fmt.Fprint(w, tok)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.calls++
		if rc.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err == nil {
			now := time.Now()
			if rc.now != nil {
				now = rc.now()
			}
			err = webhooks.Verify(rc.secret(), r.Header, body, now, 5*time.Minute)
		}
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n webhooks.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		rc.got = append(rc.got, n)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setDown(down bool) { rc.mu.Lock(); rc.down = down; rc.mu.Unlock() }

func (rc *receiver) notifications() []webhooks.Notification {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// payloadIDs lists "changeType:id" of every payload received, in order.
func (rc *receiver) payloadIDs() []string {
	var out []string
	for _, n := range rc.notifications() {
		for _, p := range n.Payloads {
			out = append(out, p.ChangeType+":"+p.ID)
		}
		if n.LifecycleEvent != "" {
			out = append(out, "lifecycle:"+n.LifecycleEvent)
		}
	}
	return out
}

// waitFor runs the server's background work, advancing the clock by step
// each round, until cond holds or a wall-clock bound passes.
func waitFor(t *testing.T, srv *aurinko.Server, clk *clock, step time.Duration, cond func() bool) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		clk.Advance(step)
		time.Sleep(25 * time.Millisecond)
	}
}

// TestWatch_graphMailByDeltaPolling: a subscription to Adele's mail is
// watched by delta sync; a new message and a deletion in her mailbox reach
// the app's endpoint as signed notifications, in order, once each, also
// across an outage of the endpoint; Megan's mail never does.
func TestWatch_graphMailByDeltaPolling(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newMailEnvWith(t, func(c *aurinko.Config) {
		c.Now = clk.Now
		c.Store = memstore.New(memstore.Options{Now: clk.Now})
		c.Webhooks = webhooks.Config{AllowInsecureTargets: true, PollInterval: time.Minute}
		c.Jobs.PollInterval = 10 * time.Millisecond
		c.Jobs.Backoff = func(int) time.Duration { return time.Second }
	})
	e.seed(2) // old mail: never notified
	rc := newReceiver(t)
	rc.now = clk.Now
	ctx := context.Background()
	rc.secret = func() []byte {
		s, err := e.srv.Webhooks().SigningSecret(ctx, appID)
		if err != nil {
			t.Error(err)
		}
		return s
	}
	var sub map[string]any
	if status, _ := e.call(e.tokA, "POST", "/subscriptions", map[string]any{"resource": "/email/messages", "notificationUrl": rc.srv.URL}, &sub); status != 200 {
		t.Fatalf("create = %d %v", status, sub)
	}
	var subB map[string]any
	if status, _ := e.call(e.tokB, "POST", "/subscriptions", map[string]any{"resource": "/email/messages", "notificationUrl": rc.srv.URL + "/megan"}, &subB); status != 200 {
		t.Fatalf("create B = %d %v", status, subB)
	}
	m, err := e.graph.SeedMessage(e.adele.ObjectID, graphtest.Message{Subject: "New", Body: "hi", From: graphtest.Recipient{Address: "ann@example.com"},
		To: []graphtest.Recipient{{Address: "adele@contoso.example"}}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.srv, clk, 20*time.Second, func() bool { return len(rc.payloadIDs()) >= 1 })
	if got := rc.payloadIDs(); len(got) != 1 || got[0] != "updated:"+m.ID {
		t.Fatalf("after the new message: %v", got)
	}
	// The endpoint goes down; the message is deleted and another arrives;
	// once it is back, both changes arrive, in order, once.
	rc.setDown(true)
	if err := e.graph.DeleteMessage(e.adele.ObjectID, m.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.srv, clk, 20*time.Second, func() bool { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.calls >= 3 })
	m2, err := e.graph.SeedMessage(e.adele.ObjectID, graphtest.Message{Subject: "Later", Body: "x", From: graphtest.Recipient{Address: "ann@example.com"},
		To: []graphtest.Recipient{{Address: "adele@contoso.example"}}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.srv, clk, 20*time.Second, func() bool { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.calls >= 5 })
	rc.setDown(false)
	waitFor(t, e.srv, clk, 20*time.Second, func() bool { return len(rc.payloadIDs()) >= 3 })
	waitFor(t, e.srv, clk, 20*time.Second, func() bool { return true }) // one more round: nothing new
	want := []string{"updated:" + m.ID, "deleted:" + m.ID, "updated:" + m2.ID}
	if got := rc.payloadIDs(); !slices.Equal(got, want) {
		t.Fatalf("payloads = %v, want %v", got, want)
	}
	for _, n := range rc.notifications() {
		if fmt.Sprint(n.Subscription) != fmt.Sprint(sub["id"]) {
			t.Fatalf("Megan's subscription was notified of Adele's mail: %+v", n)
		}
	}
	// Deleting the subscription ends the polling: later changes are not
	// delivered.
	if status, _ := e.call(e.tokA, "DELETE", fmt.Sprintf("/subscriptions/%v", sub["id"]), nil, nil); status != 200 {
		t.Fatalf("delete = %d", status)
	}
	if _, err := e.graph.SeedMessage(e.adele.ObjectID, graphtest.Message{Subject: "After", Body: "x", From: graphtest.Recipient{Address: "ann@example.com"},
		To: []graphtest.Recipient{{Address: "adele@contoso.example"}}, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rounds := 0
	waitFor(t, e.srv, clk, 20*time.Second, func() bool { rounds++; return rounds > 20 })
	if got := rc.payloadIDs(); len(got) != 3 {
		t.Fatalf("delivered after delete: %v", got)
	}
}

// TestWatch_graphPushTriggersADeltaRead: with a Graph subscription behind
// the app's subscription, a new message reaches the app at once, without
// waiting for a poll (the clock never moves); deleting the app's
// subscription deletes Graph's.
func TestWatch_graphPushTriggersADeltaRead(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	var e *mailEnv
	e = newMailEnvWith(t, func(c *aurinko.Config) {
		c.Now = clk.Now
		c.Store = memstore.New(memstore.Options{Now: clk.Now})
		c.Webhooks = webhooks.Config{AllowInsecureTargets: true, PollInterval: time.Hour, PushPollInterval: time.Hour}
		c.Jobs.PollInterval = 10 * time.Millisecond
	})
	e.graph.SetNotificationClient(e.api.Client()) // trust the API's test certificate
	rc := newReceiver(t)
	rc.now = clk.Now
	ctx := context.Background()
	rc.secret = func() []byte { s, _ := e.srv.Webhooks().SigningSecret(ctx, appID); return s }
	var sub map[string]any
	if status, _ := e.call(e.tokA, "POST", "/subscriptions", map[string]any{"resource": "/email/messages", "notificationUrl": rc.srv.URL}, &sub); status != 200 {
		t.Fatalf("create = %d %v", status, sub)
	}
	subs := e.graph.Subscriptions(e.adele.ObjectID)
	if len(subs) != 1 {
		t.Fatalf("Graph subscriptions after create = %+v, want 1", subs)
	}
	m, err := e.graph.SeedMessage(e.adele.ObjectID, graphtest.Message{Subject: "Pushed", Body: "x", From: graphtest.Recipient{Address: "ann@example.com"},
		To: []graphtest.Recipient{{Address: "adele@contoso.example"}}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e.graph.WaitNotifications()
	waitFor(t, e.srv, clk, 0, func() bool { return len(rc.payloadIDs()) >= 1 })
	if got := rc.payloadIDs(); len(got) != 1 || got[0] != "updated:"+m.ID {
		t.Fatalf("payloads = %v", got)
	}
	// A push with a forged clientState does not trigger a read: a change
	// Graph does not announce waits for the periodic poll.
	e.graph.DropNotifications(true)
	m2, err := e.graph.SeedMessage(e.adele.ObjectID, graphtest.Message{Subject: "Quiet", Body: "x", From: graphtest.Recipient{Address: "ann@example.com"},
		To: []graphtest.Recipient{{Address: "adele@contoso.example"}}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	forged := fmt.Sprintf(`{"value":[{"subscriptionId":%q,"clientState":"forged","changeType":"created","resource":"x","tenantId":"t"}]}`, subs[0].ID)
	if code := e.callRaw("", "POST", "/webhooks/push/Office365", forged, map[string]string{"Content-Type": "application/json"}, nil); code != 202 {
		t.Fatalf("forged push = %d", code)
	}
	rounds := 0
	waitFor(t, e.srv, clk, 0, func() bool { rounds++; return rounds > 20 })
	if got := rc.payloadIDs(); len(got) != 1 {
		t.Fatalf("a forged push triggered a read: %v", got)
	}
	waitFor(t, e.srv, clk, 20*time.Minute, func() bool { return len(rc.payloadIDs()) >= 2 })
	if got := rc.payloadIDs(); got[1] != "updated:"+m2.ID {
		t.Fatalf("payloads after the periodic poll = %v", got)
	}
	e.graph.DropNotifications(false)
	if status, _ := e.call(e.tokA, "DELETE", fmt.Sprintf("/subscriptions/%v", sub["id"]), nil, nil); status != 200 {
		t.Fatalf("delete = %d", status)
	}
	if subs := e.graph.Subscriptions(e.adele.ObjectID); len(subs) != 0 {
		t.Fatalf("Graph subscriptions after delete = %+v", subs)
	}
}
