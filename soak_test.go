//go:build soak

package aurinko_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/webhooks"
)

// Soak size: sign-ins (each a full browser flow through the fake identity
// provider plus the code exchange), GET /v1/user calls and webhook
// deliveries: 4,500 operations, about 5,300 HTTP requests (a sign-in is
// authorize, the provider's authorize, the callback and the exchange).
const (
	soakSignIns    = 200
	soakUserCalls  = 4000
	soakDeliveries = 300
	// soakHeapSlack is how much more live heap than the baseline the
	// servers may keep: the sessions, users and delivered jobs they stored.
	soakHeapSlack = 32 << 20
	// soakGoroutineSlack is how many more goroutines than the baseline may
	// remain once the clients' idle connections are closed.
	soakGoroutineSlack = 5
)

// liveHeap collects garbage and returns the live heap and the number of
// goroutines.
func liveHeap() (heap uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, runtime.NumGoroutine()
}

// TestSoak_signInsUserCallsAndWebhooks runs a fixed number of sign-ins,
// GET /v1/user calls and signed webhook deliveries through running servers
// and checks that goroutines and the live heap come back to their baseline
// afterwards (no leaked goroutine per request, no per-request cache that
// grows without bound). It is built only with -tags soak and CI runs it
// alone, in a step of its own: goroutines and heap are process-wide, so
// parallel tests would blur the measure (and it takes 10 to 40 s).
func TestSoak_signInsUserCallsAndWebhooks(t *testing.T) {
	start := time.Now()
	e := newEnv(t, "memstore", oidctest.Options{})

	// A second server delivers webhooks to a local receiver.
	hooks, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t),
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{ssoConnector{}},
		Webhooks: webhooks.Config{AllowInsecureTargets: true},
		// Deliveries of one subscription go out in order; a short poll
		// keeps the soak from waiting a second per delivery.
		Jobs: jobs.Config{PollInterval: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := hooks.PutApp(ctx, aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		t.Fatal(err)
	}
	res, err := hooks.Accounts().Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "SsoProvider", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "x", Expiry: time.Now().Add(time.Hour)}, Identity: connectors.Identity{AuthUserID: "alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	accTok, err := hooks.Sessions().IssueAccountToken(ctx, "app", res.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := hooks.Webhooks().SigningSecret(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	var delivered, badSignatures atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			fmt.Fprint(w, tok)
			return
		}
		if _, err := webhooks.VerifyRequest(r, secret, 0); err != nil {
			badSignatures.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		delivered.Add(1)
	}))
	defer recv.Close()
	hooksAPI := httptest.NewServer(hooks.Handler())
	defer hooksAPI.Close()
	hookClient := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, hooksAPI.URL+"/v1/subscriptions",
		strings.NewReader(fmt.Sprintf(`{"resource":"/email/messages","notificationUrl":%q}`, recv.URL)))
	req.Header.Set("Authorization", "Bearer "+accTok)
	resp, err := hookClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("create subscription: %v %v", resp, err)
	}
	resp.Body.Close()

	signIn := func() string {
		q := finalParams(t, e.browser().authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary", "responseType", "code")))
		status, out := e.exchange(q.Get("code"), appID, appSecret)
		sess, _ := out["userSession"].(string)
		if status != http.StatusOK || sess == "" {
			t.Fatalf("exchange = %d %v", status, out)
		}
		return sess
	}
	waitDelivered := func(n int64) {
		deadline := time.Now().Add(30 * time.Second)
		for delivered.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d webhooks delivered after 30 s", delivered.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- hooks.Run(runCtx) }()

	// Warm up every path once, so pools, caches and lazily started
	// goroutines are part of the baseline.
	client := e.browser()
	sess := signIn()
	if status, _ := client.do(http.MethodGet, "/user", bearer(sess)); status != http.StatusOK {
		t.Fatalf("GET /user = %d", status)
	}
	if _, err := hooks.Webhooks().Notify(ctx, res.Account.ID, "/email/messages", []webhooks.Payload{{ID: "warm", ChangeType: "created"}}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(1)
	heap0, g0 := liveHeap()

	// The soak: interleaved sign-ins, user calls and deliveries.
	requests, notified := 0, int64(0)
	for i := range soakUserCalls {
		if i%(soakUserCalls/soakSignIns) == 0 {
			sess = signIn()
			requests++
		}
		if i%(soakUserCalls/soakDeliveries) == 0 && notified < soakDeliveries {
			if _, err := hooks.Webhooks().Notify(ctx, res.Account.ID, "/email/messages",
				[]webhooks.Payload{{ID: fmt.Sprintf("m%d", i), ChangeType: "created"}}); err != nil {
				t.Fatal(err)
			}
			notified++
		}
		if status, user := client.do(http.MethodGet, "/user", bearer(sess)); status != http.StatusOK || user["email"] != "alice@example.com" {
			t.Fatalf("GET /user = %d %v", status, user)
		}
		requests++
	}
	waitDelivered(1 + notified)
	requests += int(notified)
	if badSignatures.Load() != 0 {
		t.Fatalf("%d deliveries with a bad signature", badSignatures.Load())
	}

	// Let go of what the clients hold, then compare with the baseline.
	stopRun()
	if err := <-runDone; err != nil {
		t.Fatalf("Run = %v", err)
	}
	e.api.Client().CloseIdleConnections()
	client.client.CloseIdleConnections()
	hookClient.CloseIdleConnections()
	var heap1 uint64
	var g1 int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		heap1, g1 = liveHeap()
		if g1 <= g0+soakGoroutineSlack || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("soak: %d operations (%d sign-ins, %d GET /v1/user, %d webhooks) in %s; goroutines %d -> %d, live heap %.1f MiB -> %.1f MiB",
		requests, soakSignIns, soakUserCalls, notified, time.Since(start).Round(time.Millisecond), g0, g1,
		float64(heap0)/(1<<20), float64(heap1)/(1<<20))
	if g1 > g0+soakGoroutineSlack {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d -> %d after the soak:\n%s", g0, g1, buf[:runtime.Stack(buf, true)])
	}
	if heap1 > heap0+soakHeapSlack {
		t.Fatalf("live heap %d -> %d bytes after the soak", heap0, heap1)
	}
}
