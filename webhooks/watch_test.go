package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/webhooks"
)

// feed is a ChangeFeed over a list of changes: a cursor is an index into
// it. expired makes the next Read fail as an expired provider cursor.
type feed struct {
	mu       sync.Mutex
	changes  []webhooks.Payload
	expired  bool
	starts   int
	failRead error
}

func (f *feed) add(id, change string) {
	f.mu.Lock()
	f.changes = append(f.changes, webhooks.Payload{ID: id, ChangeType: change})
	f.mu.Unlock()
}

func (f *feed) Start(context.Context, store.Subscription) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	f.expired = false
	return fmt.Sprint(len(f.changes)), nil
}

func (f *feed) Read(_ context.Context, _ store.Subscription, cursor string) ([]webhooks.Payload, string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.expired {
		return nil, "", false, fmt.Errorf("feed: %w", provider.ErrCursorExpired)
	}
	if f.failRead != nil {
		return nil, "", false, f.failRead
	}
	var i int
	if _, err := fmt.Sscan(cursor, &i); err != nil || i > len(f.changes) {
		return nil, "", false, errors.New("feed: bad cursor " + cursor)
	}
	// Two changes per read, to exercise "more".
	j := min(i+2, len(f.changes))
	return slices.Clone(f.changes[i:j]), fmt.Sprint(j), j < len(f.changes), nil
}

// pusher is a provider.Pusher that records calls; its push endpoint
// takes {"sub": id, "state": clientState, "lifecycle": ...} as query
// parameters.
type pusher struct {
	mu          sync.Mutex
	subscribed  []provider.PushRequest
	renewed     []time.Time
	unsubscribe []string
	lost        bool // PushRenew answers ErrNotFound once
	fail        bool // PushSubscribe fails
	now         func() time.Time
	n           int
}

func (p *pusher) PushSubscribe(_ context.Context, _ provider.Account, req provider.PushRequest) (provider.PushSubscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return provider.PushSubscription{}, errors.New("pusher: refused")
	}
	p.subscribed = append(p.subscribed, req)
	p.n++
	return provider.PushSubscription{ID: fmt.Sprint("ps-", p.n), ExpiresAt: p.now().Add(72 * time.Hour)}, nil
}

func (p *pusher) PushRenew(_ context.Context, _ provider.Account, sub provider.PushSubscription, at time.Time) (provider.PushSubscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lost {
		p.lost = false
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrNotFound}
	}
	p.renewed = append(p.renewed, p.now())
	return provider.PushSubscription{ID: sub.ID, ExpiresAt: at}, nil
}

func (p *pusher) PushUnsubscribe(_ context.Context, _ provider.Account, sub provider.PushSubscription) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unsubscribe = append(p.unsubscribe, sub.ID)
	return nil
}

func (p *pusher) HandlePush(w http.ResponseWriter, r *http.Request) ([]provider.PushEvent, error) {
	q := r.URL.Query()
	w.WriteHeader(http.StatusAccepted)
	return []provider.PushEvent{{SubscriptionID: q.Get("sub"), ClientState: q.Get("state"), Lifecycle: q.Get("lifecycle")}}, nil
}

// resolver hands out the pusher for every account.
type resolver struct{ p *pusher }

func (r resolver) ForAccount(context.Context, string, int64) (provider.Pusher, provider.Account, string, bool, error) {
	return r.p, provider.Account{}, "Fake", true, nil
}
func (r resolver) ForServiceType(st string) (provider.Pusher, bool) { return r.p, st == "Fake" }
func (r resolver) PushURL(st string) string                         { return "https://api.example/v1/webhooks/push/" + st }

type watchFixture struct {
	*fixture
	feed   *feed
	pusher *pusher
	rc     *receiver
	sub    store.Subscription
	push   *httptest.Server
}

func newWatchFixture(t *testing.T, withPush bool) *watchFixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	st := memstore.New(memstore.Options{Now: clk.Now})
	fd := &feed{}
	p := &pusher{now: clk.Now}
	cfg := webhooks.Config{Store: st, Keyring: keyring(t), AllowInsecureTargets: true, Now: clk.Now, Feed: fd,
		PollInterval: time.Minute, PushPollInterval: 30 * time.Minute, PushLifetime: 72 * time.Hour, RenewBefore: 24 * time.Hour}
	if withPush {
		cfg.Push = resolver{p}
	}
	svc, err := webhooks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(jobs.Config{Store: st, Now: clk.Now, MaxAttempts: 1000,
		Handlers: map[string]jobs.Handler{webhooks.JobKind: svc.Deliver, webhooks.PollJobKind: svc.Poll},
		Backoff:  func(int) time.Duration { return time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	f := &watchFixture{fixture: &fixture{svc: svc, runner: runner, store: st, clock: clk}, feed: fd, pusher: p}
	f.seed(t)
	f.rc = newReceiver(t)
	f.rc.now = clk.Now
	secret, err := svc.SigningSecret(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	f.rc.secret.Store(&secret)
	mux := http.NewServeMux()
	svc.RegisterPush(mux, "/v1")
	f.push = httptest.NewServer(mux)
	t.Cleanup(f.push.Close)
	f.feed.add("old", "updated") // before the subscription: never notified
	f.sub, err = svc.Create(context.Background(), "app", f.account, webhooks.CreateRequest{Resource: "/email/messages", NotificationURL: f.rc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// run runs due jobs until none is due (the clock does not move).
func (f *watchFixture) run(t *testing.T) {
	t.Helper()
	for range 100 {
		n, err := f.runner.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("jobs kept coming")
}

func (f *watchFixture) ids() []string {
	var out []string
	for _, n := range f.rc.notifications() {
		for _, p := range n.Payloads {
			out = append(out, p.ChangeType+":"+p.ID)
		}
		if n.LifecycleEvent != "" {
			out = append(out, "lifecycle:"+n.LifecycleEvent)
		}
	}
	return out
}

func TestWatch_pollsDeliverChangesInOrderAcrossRounds(t *testing.T) {
	t.Parallel()
	f := newWatchFixture(t, false)
	f.run(t)
	if got := f.ids(); len(got) != 0 {
		t.Fatalf("delivered before any change: %v", got)
	}
	for i := range 5 {
		f.feed.add(fmt.Sprint("m", i), "updated")
	}
	f.feed.add("m0", "deleted")
	f.clock.Advance(time.Minute)
	f.run(t)
	want := []string{"updated:m0", "updated:m1", "updated:m2", "updated:m3", "updated:m4", "deleted:m0"}
	if got := f.ids(); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	// One chain of periodic polls: after many intervals there is still
	// exactly one queued poll.
	for range 10 {
		f.clock.Advance(time.Minute)
		f.run(t)
	}
	js, err := f.store.ListJobs(context.Background(), webhooks.PollJobKind, store.JobQueued, store.Page{Limit: 10})
	if err != nil || len(js) != 1 {
		t.Fatalf("queued polls = %d %v, want 1", len(js), err)
	}
	// A provider cursor that expired: the app is told it may have missed
	// changes, and watching goes on from a new cursor.
	f.feed.mu.Lock()
	f.feed.expired = true
	f.feed.mu.Unlock()
	f.clock.Advance(time.Minute)
	f.run(t)
	f.feed.add("m9", "updated")
	f.clock.Advance(time.Minute)
	f.run(t)
	if got := f.ids(); !slices.Equal(got[len(want):], []string{"lifecycle:missed", "updated:m9"}) {
		t.Fatalf("after expiry: %v", got)
	}
	// Deleting the subscription ends the chain and its state.
	if err := f.svc.Delete(context.Background(), "app", f.account, f.sub.ID); err != nil {
		t.Fatal(err)
	}
	f.feed.add("m10", "updated")
	f.clock.Advance(time.Minute)
	f.run(t)
	if js, _ := f.store.ListJobs(context.Background(), webhooks.PollJobKind, store.JobQueued, store.Page{Limit: 10}); len(js) != 0 {
		t.Fatalf("polls left after delete: %d", len(js))
	}
	if n := len(f.ids()); n != len(want)+2 {
		t.Fatalf("delivered after delete: %v", f.ids())
	}
	if sets, _ := f.store.ListSettings(context.Background(), "app", store.SettingsApp, ""); slices.ContainsFunc(sets, func(s store.Setting) bool {
		return strings.HasPrefix(s.Key, "webhooks.watch.")
	}) {
		t.Fatal("watch state left after delete")
	}
}

func TestWatch_providerReadFailureKeepsTheChain(t *testing.T) {
	t.Parallel()
	f := newWatchFixture(t, false)
	f.feed.mu.Lock()
	f.feed.failRead = &provider.Error{Kind: provider.ErrUnavailable}
	f.feed.mu.Unlock()
	f.feed.add("a", "updated")
	for range 3 {
		f.clock.Advance(time.Minute)
		f.run(t)
	}
	f.feed.mu.Lock()
	f.feed.failRead = nil
	f.feed.mu.Unlock()
	f.clock.Advance(time.Minute)
	f.run(t)
	if got := f.ids(); !slices.Equal(got, []string{"updated:a"}) {
		t.Fatalf("after the provider came back: %v", got)
	}
}

func TestWatch_pushSubscriptionRenewedBeforeExpiryAndRecreated(t *testing.T) {
	t.Parallel()
	f := newWatchFixture(t, true)
	ctx := context.Background()
	sub, err := f.store.GetSubscription(ctx, f.sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sub.ProviderID != "ps-1" || len(f.pusher.subscribed) != 1 || f.pusher.subscribed[0].ClientState == "" ||
		f.pusher.subscribed[0].NotificationURL != "https://api.example/v1/webhooks/push/Fake" {
		t.Fatalf("provider subscription = %+v, requests %+v", sub, f.pusher.subscribed)
	}
	state := f.pusher.subscribed[0].ClientState
	// A push with the right client state triggers a read at once.
	f.feed.add("p1", "updated")
	resp, err := http.Post(f.push.URL+"/v1/webhooks/push/Fake?sub=ps-1&state="+state, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f.run(t)
	if got := f.ids(); !slices.Equal(got, []string{"updated:p1"}) {
		t.Fatalf("after a push: %v", got)
	}
	// A forged one does not; nor does an unknown service type, nor an id
	// no provider issues (too long, or with control bytes).
	f.feed.add("p2", "updated")
	for _, u := range []string{"/v1/webhooks/push/Fake?sub=" + strings.Repeat("x", 400) + "&state=" + state,
		"/v1/webhooks/push/Fake?sub=ps-1%0A&state=" + state, "/v1/webhooks/push/Fake?sub=ps-1&state=forged", "/v1/webhooks/push/Fake?sub=ps-9&state=" + state, "/v1/webhooks/push/Other?sub=ps-1&state=" + state} {
		resp, err := http.Post(f.push.URL+u, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	f.run(t)
	if got := f.ids(); len(got) != 1 {
		t.Fatalf("a forged push triggered a read: %v", got)
	}
	// Renewal: the provider subscription expires 72 h after it was made;
	// it is renewed once it is within RenewBefore (24 h), by a periodic
	// poll, well before it expires.
	expires := sub.ProviderExpiresAt
	for f.clock.Now().Before(expires) {
		f.clock.Advance(30 * time.Minute)
		f.run(t)
		if len(f.pusher.renewed) > 0 {
			break
		}
	}
	if len(f.pusher.renewed) == 0 {
		t.Fatal("not renewed before expiry")
	}
	if left := expires.Sub(f.pusher.renewed[0]); left > 24*time.Hour || left < 23*time.Hour {
		t.Fatalf("renewed %v before expiry, want within the last 24 h and not at the last minute", left)
	}
	sub, _ = f.store.GetSubscription(ctx, f.sub.ID)
	if !sub.ProviderExpiresAt.After(expires) {
		t.Fatalf("expiry not extended: %v", sub.ProviderExpiresAt)
	}
	// The provider lost it: subscribed again, with a new client state.
	f.pusher.mu.Lock()
	f.pusher.lost = true
	f.pusher.mu.Unlock()
	resp, err = http.Post(f.push.URL+"/v1/webhooks/push/Fake?sub=ps-1&state="+state+"&lifecycle="+provider.LifecycleReauthorizationRequired, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f.run(t)
	sub, _ = f.store.GetSubscription(ctx, f.sub.ID)
	if sub.ProviderID != "ps-2" || len(f.pusher.subscribed) != 2 || f.pusher.subscribed[1].ClientState == state {
		t.Fatalf("after the provider lost it: %+v %+v", sub, f.pusher.subscribed)
	}
	// Deleting unsubscribes at the provider.
	if err := f.svc.Delete(ctx, "app", f.account, f.sub.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.pusher.unsubscribe, []string{"ps-2"}) {
		t.Fatalf("unsubscribed %v", f.pusher.unsubscribe)
	}
}

func TestWatch_pushFailureFallsBackToPolling(t *testing.T) {
	t.Parallel()
	f := newWatchFixtureFailingPush(t)
	sub, _ := f.store.GetSubscription(context.Background(), f.sub.ID)
	if sub.ProviderID != "" {
		t.Fatalf("provider id %q after a failed push subscription", sub.ProviderID)
	}
	f.feed.add("x", "updated")
	f.clock.Advance(time.Minute) // the polling interval, not the push one
	f.run(t)
	if got := f.ids(); !slices.Equal(got, []string{"updated:x"}) {
		t.Fatalf("polling after a failed push subscription: %v", got)
	}
}

// newWatchFixtureFailingPush is a fixture whose pusher refuses to
// subscribe.
func newWatchFixtureFailingPush(t *testing.T) *watchFixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	st := memstore.New(memstore.Options{Now: clk.Now})
	fd := &feed{}
	p := &pusher{now: clk.Now, fail: true}
	svc, err := webhooks.New(webhooks.Config{Store: st, Keyring: keyring(t), AllowInsecureTargets: true, Now: clk.Now, Feed: fd, Push: resolver{p},
		PollInterval: time.Minute, PushPollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(jobs.Config{Store: st, Now: clk.Now,
		Handlers: map[string]jobs.Handler{webhooks.JobKind: svc.Deliver, webhooks.PollJobKind: svc.Poll}})
	if err != nil {
		t.Fatal(err)
	}
	f := &watchFixture{fixture: &fixture{svc: svc, runner: runner, store: st, clock: clk}, feed: fd, pusher: p}
	f.seed(t)
	f.rc = newReceiver(t)
	f.rc.now = clk.Now
	secret, _ := svc.SigningSecret(context.Background(), "app")
	f.rc.secret.Store(&secret)
	if f.sub, err = svc.Create(context.Background(), "app", f.account, webhooks.CreateRequest{Resource: "/email/messages", NotificationURL: f.rc.srv.URL}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWatch_unwatchableResourceIsKeptForNotify(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	st := memstore.New(memstore.Options{Now: clk.Now})
	svc, err := webhooks.New(webhooks.Config{Store: st, Keyring: keyring(t), AllowInsecureTargets: true, Now: clk.Now, Feed: unwatchable{}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, store: st, clock: clk}
	f.seed(t)
	rc := newReceiver(t)
	sub, err := svc.Create(context.Background(), "app", f.account, webhooks.CreateRequest{Resource: "/contacts", NotificationURL: rc.srv.URL})
	if err != nil || !sub.Active {
		t.Fatalf("Create = %+v, %v", sub, err)
	}
	// A feed that fails otherwise fails the creation, and leaves nothing.
	svc2, _ := webhooks.New(webhooks.Config{Store: st, Keyring: keyring(t), AllowInsecureTargets: true, Now: clk.Now, Feed: broken{}})
	if _, err := svc2.Create(context.Background(), "app", f.account, webhooks.CreateRequest{Resource: "/contacts", NotificationURL: rc.srv.URL}); err == nil {
		t.Fatal("Create succeeded with a failing feed")
	}
	subs, _ := st.ListSubscriptions(context.Background(), f.account, store.Page{Limit: 10})
	if len(subs) != 1 {
		t.Fatalf("subscriptions = %d, want 1 (the failed one undone)", len(subs))
	}
}

type unwatchable struct{}

func (unwatchable) Start(context.Context, store.Subscription) (string, error) {
	return "", fmt.Errorf("no contacts API: %w", webhooks.ErrNotWatchable)
}
func (unwatchable) Read(context.Context, store.Subscription, string) ([]webhooks.Payload, string, bool, error) {
	return nil, "", false, errors.New("unreachable")
}

type broken struct{}

func (broken) Start(context.Context, store.Subscription) (string, error) {
	return "", &provider.Error{Kind: provider.ErrUnavailable}
}
func (broken) Read(context.Context, store.Subscription, string) ([]webhooks.Payload, string, bool, error) {
	return nil, "", false, errors.New("unreachable")
}
