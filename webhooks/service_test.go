package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
	"github.com/aurinko-go/aurinko/webhooks"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// receiver is an app's webhook endpoint. It answers validation requests,
// verifies signatures, and records notifications; it can be made to fail.
type receiver struct {
	srv     *httptest.Server
	secret  atomic.Pointer[[]byte]
	down    atomic.Int64 // answer 503 to this many more deliveries
	noEcho  atomic.Bool
	mu      sync.Mutex
	got     []webhooks.Notification
	badSigs int
	now     func() time.Time // the senders' clock, for the timestamp check
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{now: time.Now}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
				http.Error(w, "bad validation request", 400)
				return
			}
			if rc.noEcho.Load() {
				fmt.Fprint(w, "hello")
				return
			}
			fmt.Fprint(w, tok)
			return
		}
		if rc.down.Load() > 0 {
			rc.down.Add(-1)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = webhooks.Verify(*rc.secret.Load(), r.Header, body, rc.now(), 0)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err != nil {
			rc.badSigs++
			http.Error(w, "bad signature", 401)
			return
		}
		var n webhooks.Notification
		_ = json.Unmarshal(body, &n)
		rc.got = append(rc.got, n)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) notifications() []webhooks.Notification {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhooks.Notification(nil), rc.got...)
}

type fixture struct {
	svc     *webhooks.Service
	runner  *jobs.Runner
	store   store.Store
	clock   *clock
	account int64
}

func keyring(t testing.TB) *seal.Keyring {
	kr, err := seal.NewKeyring(seal.Key{ID: "w", Secret: bytes.Repeat([]byte{4}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newFixture(t testing.TB, st store.Store, clk *clock, insecure bool) *fixture {
	t.Helper()
	svc, err := webhooks.New(webhooks.Config{Store: st, Keyring: keyring(t), AllowInsecureTargets: insecure, Now: clk.Now,
		RetryWindow: 6 * time.Hour, ValidationTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Deliveries are bounded by the service's RetryWindow, not by a count
	// of attempts.
	runner, err := jobs.New(jobs.Config{Store: st, Handlers: map[string]jobs.Handler{webhooks.JobKind: svc.Deliver}, Now: clk.Now,
		MaxAttempts: 1000, Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, runner: runner, store: st, clock: clk}
}

// seed creates the app and account the subscriptions belong to.
func (f *fixture) seed(t testing.TB) {
	ctx := context.Background()
	if err := f.store.CreateApp(ctx, store.App{ID: "app"}); err != nil && !errors.Is(err, store.ErrConflict) {
		t.Fatal(err)
	}
	a, err := f.store.CreateAccount(ctx, store.Account{AppID: "app", ServiceType: "Office365", Type: store.AccountPrimary,
		Active: true, TokenStatus: store.TokenActive, AuthUserID: fmt.Sprint("u", time.Now().UnixNano())}, store.Token{})
	if err != nil {
		t.Fatal(err)
	}
	f.account = a.ID
}

// drain runs the queue until nothing is due, advancing the clock past
// backoffs, at most rounds times.
func (f *fixture) drain(t testing.TB, rounds int) {
	t.Helper()
	for range rounds {
		n, err := f.runner.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			f.clock.Advance(10 * time.Minute)
		}
	}
}

func TestCreate_validatesNotificationURL(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	f := newFixture(t, memstore.New(memstore.Options{Now: clk.Now}), clk, true)
	f.seed(t)
	rc := newReceiver(t)
	ctx := context.Background()
	tests := []struct {
		name string
		req  webhooks.CreateRequest
		ok   bool
	}{
		{"valid", webhooks.CreateRequest{Resource: "/email/messages", NotificationURL: rc.srv.URL + "/hook"}, true},
		{"calendar events", webhooks.CreateRequest{Resource: "/calendars/primary/events", NotificationURL: rc.srv.URL}, true},
		{"tasks", webhooks.CreateRequest{Resource: "/tasklists/default/tasks", NotificationURL: rc.srv.URL, Filters: []string{"withoutDrafts"}}, true},
		{"unknown resource", webhooks.CreateRequest{Resource: "/admin", NotificationURL: rc.srv.URL}, false},
		{"resource traversal", webhooks.CreateRequest{Resource: "/calendars/../events", NotificationURL: rc.srv.URL}, false},
		{"resource with extra segment", webhooks.CreateRequest{Resource: "/calendars/a/b/events", NotificationURL: rc.srv.URL}, false},
		{"unknown filter", webhooks.CreateRequest{Resource: "/contacts", NotificationURL: rc.srv.URL, Filters: []string{"everything"}}, false},
		{"no URL", webhooks.CreateRequest{Resource: "/contacts"}, false},
		{"not a URL", webhooks.CreateRequest{Resource: "/contacts", NotificationURL: "::"}, false},
		{"ftp", webhooks.CreateRequest{Resource: "/contacts", NotificationURL: "ftp://example.com/x"}, false},
		{"userinfo", webhooks.CreateRequest{Resource: "/contacts", NotificationURL: "http://u:p@" + strings.TrimPrefix(rc.srv.URL, "http://")}, false},
		{"nothing listening", webhooks.CreateRequest{Resource: "/contacts", NotificationURL: "http://127.0.0.1:1/hook"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(ctx, "app", f.account, tc.req)
			if (err == nil) != tc.ok {
				t.Fatalf("Create = %v, want ok %v", err, tc.ok)
			}
			if err != nil && apierr.CodeOf(err) != apierr.InvalidInput {
				t.Fatalf("error code = %s, want invalidInput (400)", apierr.CodeOf(err))
			}
		})
	}
	rc.noEcho.Store(true)
	if _, err := f.svc.Create(ctx, "app", f.account, webhooks.CreateRequest{Resource: "/contacts", NotificationURL: rc.srv.URL}); apierr.CodeOf(err) != apierr.InvalidInput {
		t.Fatalf("endpoint not echoing the token: %v", err)
	}
}

func TestCreate_refusesPrivateTargetsByDefault(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	f := newFixture(t, memstore.New(memstore.Options{Now: clk.Now}), clk, false)
	f.seed(t)
	rc := newReceiver(t)
	tls := httptest.NewTLSServer(rc.srv.Config.Handler)
	defer tls.Close()
	for _, u := range []string{rc.srv.URL, tls.URL, "https://127.0.0.1:1/x", "https://[::1]/x", "https://localhost/x"} {
		if _, err := f.svc.Create(context.Background(), "app", f.account, webhooks.CreateRequest{Resource: "/contacts", NotificationURL: u}); apierr.CodeOf(err) != apierr.InvalidInput {
			t.Errorf("Create(%s) = %v, want 400", u, err)
		}
	}
}

func TestDelivery_signedInOrderAndSurvivesDowntime(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	f := newFixture(t, memstore.New(memstore.Options{Now: clk.Now}), clk, true)
	f.seed(t)
	ctx := context.Background()
	rc := newReceiver(t)
	rc.now = clk.Now
	secret, err := f.svc.SigningSecret(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	rc.secret.Store(&secret)
	sub, err := f.svc.Create(ctx, "app", f.account, webhooks.CreateRequest{Resource: "/email/messages", NotificationURL: rc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc.down.Store(4) // the endpoint is down for the first four attempts
	for i := range 5 {
		if n, err := f.svc.Notify(ctx, f.account, "/email/messages", []webhooks.Payload{{ID: fmt.Sprint("m", i), ChangeType: "created"}}); err != nil || n != 1 {
			t.Fatalf("Notify = %d, %v", n, err)
		}
	}
	// A notification for another resource goes nowhere.
	if n, _ := f.svc.Notify(ctx, f.account, "/contacts", nil); n != 0 {
		t.Fatalf("Notify(/contacts) queued %d", n)
	}
	f.drain(t, 3)
	got, _ := f.svc.Get(ctx, "app", f.account, sub.ID)
	if got.FailSince.IsZero() || !got.Active {
		t.Fatalf("after failures: failSince %v active %v, want set and active", got.FailSince, got.Active)
	}
	f.drain(t, 40)
	ns := rc.notifications()
	var ids []string
	for _, n := range ns {
		if n.Subscription != sub.ID || n.AccountID != f.account || n.Resource != "/email/messages" || len(n.Payloads) != 1 {
			t.Fatalf("notification = %+v", n)
		}
		ids = append(ids, n.Payloads[0].ID)
	}
	if strings.Join(ids, ",") != "m0,m1,m2,m3,m4" {
		t.Fatalf("delivered %v, want m0..m4 once each, in order", ids)
	}
	got, _ = f.svc.Get(ctx, "app", f.account, sub.ID)
	if !got.FailSince.IsZero() || !got.Active {
		t.Fatalf("after recovery: failSince %v active %v", got.FailSince, got.Active)
	}
	if rc.badSigs != 0 {
		t.Fatalf("%d deliveries failed signature verification", rc.badSigs)
	}
}

func TestDelivery_persistentFailureDeactivates(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	f := newFixture(t, memstore.New(memstore.Options{Now: clk.Now}), clk, true)
	f.seed(t)
	ctx := context.Background()
	rc := newReceiver(t)
	rc.now = clk.Now
	secret, _ := f.svc.SigningSecret(ctx, "app")
	rc.secret.Store(&secret)
	sub, err := f.svc.Create(ctx, "app", f.account, webhooks.CreateRequest{Resource: "/contacts", NotificationURL: rc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc.down.Store(1 << 30)
	_, _ = f.svc.Notify(ctx, f.account, "/contacts", []webhooks.Payload{{ID: "c1", ChangeType: "updated"}})
	_, _ = f.svc.Notify(ctx, f.account, "/contacts", []webhooks.Payload{{ID: "c2", ChangeType: "updated"}})
	f.drain(t, 80) // 80 rounds of 10 minutes: past the 6 h retry window
	got, _ := f.svc.Get(ctx, "app", f.account, sub.ID)
	if got.Active || got.FailSince.IsZero() || !strings.Contains(got.FailDescription, "deactivated") {
		t.Fatalf("subscription = active %v failSince %v %q", got.Active, got.FailSince, got.FailDescription)
	}
	counts, err := f.store.CountJobs(ctx, webhooks.JobKind)
	if err != nil || counts.Queued != 0 || counts.Running != 0 {
		t.Fatalf("jobs left = %+v, %v", counts, err)
	}
	// Notifying an inactive subscription queues nothing.
	if n, _ := f.svc.Notify(ctx, f.account, "/contacts", nil); n != 0 {
		t.Fatalf("inactive subscription got %d deliveries", n)
	}
}

// TestDelivery_twoInstancesDeliverOnce shares one database between two
// services and runners.
func TestDelivery_twoInstancesDeliverOnce(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: time.Now()}
			ctx := context.Background()
			var a, b store.Store
			switch kind {
			case "sqlite":
				path := filepath.Join(t.TempDir(), "w.db")
				for _, p := range []*store.Store{&a, &b} {
					s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Now: clk.Now})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					*p = s
				}
			case "postgres":
				dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
				if dsn == "" {
					t.Skip("AURINKO_TEST_POSTGRES_URL is unset: PostgreSQL tests not run")
				}
				schema := fmt.Sprintf("wh_%d", time.Now().UnixNano())
				for _, p := range []*store.Store{&a, &b} {
					s, err := pgstore.Open(ctx, dsn, pgstore.Options{Now: clk.Now, Schema: schema})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					*p = s
				}
				t.Cleanup(func() {
					if c, err := pgx.Connect(ctx, dsn); err == nil {
						_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
						c.Close(ctx)
					}
				})
			}
			fa, fb := newFixture(t, a, clk, true), newFixture(t, b, clk, true)
			fa.seed(t)
			fb.account = fa.account
			rc := newReceiver(t)
			rc.now = clk.Now
			secret, _ := fa.svc.SigningSecret(ctx, "app")
			rc.secret.Store(&secret)
			if _, err := fa.svc.Create(ctx, "app", fa.account, webhooks.CreateRequest{Resource: "/email/messages", NotificationURL: rc.srv.URL}); err != nil {
				t.Fatal(err)
			}
			for i := range 40 {
				if _, err := fb.svc.Notify(ctx, fa.account, "/email/messages", []webhooks.Payload{{ID: fmt.Sprint(i)}}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			deadline := time.Now().Add(30 * time.Second)
			for _, f := range []*fixture{fa, fb} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for len(rc.notifications()) < 40 && time.Now().Before(deadline) {
						if _, err := f.runner.RunOnce(ctx); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			ns := rc.notifications()
			if len(ns) != 40 {
				t.Fatalf("delivered %d notifications, want 40", len(ns))
			}
			for i, n := range ns {
				if n.Payloads[0].ID != fmt.Sprint(i) {
					t.Fatalf("notification %d is %s: out of order or duplicated", i, n.Payloads[0].ID)
				}
			}
		})
	}
}
