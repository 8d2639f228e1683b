package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	xoauth2 "golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	crm "github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// tokenEndpoint is a fake OAuth2 token endpoint (RFC 6749 section 6) that
// rotates refresh tokens: each refresh token works once, as with Microsoft
// and many CRMs. It counts the refreshes it performed.
type tokenEndpoint struct {
	srv *httptest.Server

	mu      sync.Mutex
	valid   map[string]bool // refresh tokens that work, each once
	n       int             // refreshes performed
	delay   time.Duration
	script  []scripted // answers to give before behaving normally
	omitRT  bool       // answer without refresh_token
	seenBad int        // invalid_grant answers given
}

type scripted struct {
	status int
	body   string
	header http.Header
}

func newTokenEndpoint(t testing.TB) *tokenEndpoint {
	te := &tokenEndpoint{valid: map[string]bool{"rt-0": true}}
	te.srv = httptest.NewServer(http.HandlerFunc(te.serve))
	t.Cleanup(te.srv.Close)
	return te
}

func (te *tokenEndpoint) refreshes() int { te.mu.Lock(); defer te.mu.Unlock(); return te.n }

func (te *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") == "client_credentials" {
		te.mu.Lock()
		te.n++
		n := te.n
		te.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"app-at-%d","token_type":"Bearer","expires_in":3599}`, n)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, 400)
		return
	}
	te.mu.Lock()
	delay := te.delay
	if len(te.script) > 0 {
		s := te.script[0]
		te.script = te.script[1:]
		te.mu.Unlock()
		for k, v := range s.header {
			w.Header()[k] = v
		}
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
		return
	}
	te.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return // the client went away before we processed the request
		}
	}
	te.mu.Lock()
	defer te.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	old := r.PostForm.Get("refresh_token")
	if !te.valid[old] {
		te.seenBad++
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"refresh token already used"}`)
		return
	}
	te.n++
	next := fmt.Sprintf("rt-%d", te.n)
	rt := `,"refresh_token":"` + next + `"`
	if te.omitRT {
		rt = ""
	} else {
		delete(te.valid, old)
		te.valid[next] = true
	}
	fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600%s}`, te.n, rt)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func keyring(t testing.TB) *seal.Keyring {
	kr, err := seal.NewKeyring(seal.Key{ID: "t", Secret: bytes.Repeat([]byte{9}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func connector(t testing.TB, te *tokenEndpoint) connectors.Connector {
	c, err := crm.New(crm.Config{ServiceType: "Crm", ClientID: "cid", ClientSecret: "csecret",
		AuthURL: te.srv.URL + "/authorize", TokenURL: te.srv.URL + "/token", UserInfoURL: te.srv.URL + "/userinfo",
		// A fixed style: auto-detection retries a failed request with the
		// other style, which would consume two scripted answers.
		AuthStyle:  xoauth2.AuthStyleInHeader,
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSvc(t testing.TB, st store.Store, te *tokenEndpoint, clk *fakeClock, tc accounts.TokenConfig) *accounts.Service {
	reg, err := connectors.NewRegistry(connector(t, te))
	if err != nil {
		t.Fatal(err)
	}
	s, err := accounts.New(accounts.Config{Store: st, Keyring: keyring(t), Connectors: reg, Now: clk.Now, Tokens: tc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seedAccount stores an account whose access token expired a minute ago.
func seedAccount(t testing.TB, s *accounts.Service, clk *fakeClock) int64 {
	ctx := context.Background()
	if err := s.PutApp(ctx, accounts.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef!"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: clk.Now().Add(-time.Minute)},
			Identity: connectors.Identity{AuthUserID: "u1", Email: "u1@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Account.ID
}

func TestAccessToken_thousandCallersOneRefresh(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{})
	id := seedAccount(t, s, clk)

	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := s.AccessToken(context.Background(), id)
			if err != nil || tok.AccessToken != "at-1" {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := te.refreshes(); n != 1 || bad.Load() != 0 {
		t.Fatalf("refreshes = %d, callers without at-1 = %d; want 1 and 0", n, bad.Load())
	}
	_, stored, _ := s.StoredToken(context.Background(), id)
	tok, _, _ := s.StoredToken(context.Background(), id)
	if tok.RefreshToken != "rt-1" || stored.Version != 2 {
		t.Fatalf("stored token = %q version %d, want rt-1 version 2", tok.RefreshToken, stored.Version)
	}
}

// openShared opens n handles on one database of the given kind.
func openShared(t *testing.T, kind string, n int, now func() time.Time) []store.Store {
	t.Helper()
	ctx := context.Background()
	var out []store.Store
	switch kind {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "shared.db")
		for range n {
			s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			out = append(out, s)
		}
	case "postgres":
		dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
		if dsn == "" {
			t.Skip("AURINKO_TEST_POSTGRES_URL is unset: PostgreSQL tests not run")
		}
		schema := fmt.Sprintf("tok_%d", time.Now().UnixNano())
		for range n {
			s, err := pgstore.Open(ctx, dsn, pgstore.Options{Now: now, Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			out = append(out, s)
		}
		t.Cleanup(func() {
			if conn, err := pgx.Connect(ctx, dsn); err == nil {
				_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
				conn.Close(ctx)
			}
		})
	}
	return out
}

func TestAccessToken_instancesShareOneRefresh(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, delay := range []time.Duration{0, 3 * time.Second} {
			t.Run(fmt.Sprintf("%s/delay=%s", kind, delay), func(t *testing.T) {
				t.Parallel()
				te := newTokenEndpoint(t)
				te.delay = delay
				clk := &fakeClock{t: time.Now()}
				stores := openShared(t, kind, 4, clk.Now)
				var svcs []*accounts.Service
				for _, st := range stores {
					svcs = append(svcs, newSvc(t, st, te, clk, accounts.TokenConfig{}))
				}
				id := seedAccount(t, svcs[0], clk)

				start := time.Now()
				var wg sync.WaitGroup
				var errs sync.Map
				var got sync.Map
				for i, s := range svcs {
					for range 250 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							tok, err := s.AccessToken(context.Background(), id)
							if err != nil {
								errs.Store(err.Error(), i)
								return
							}
							got.Store(tok.AccessToken, true)
						}()
					}
				}
				wg.Wait()
				errs.Range(func(k, v any) bool { t.Errorf("instance %v: %v", v, k); return true })
				tokens := 0
				got.Range(func(k, _ any) bool { tokens++; return true })
				te.mu.Lock()
				n, bad := te.n, te.seenBad
				te.mu.Unlock()
				if n != 1 || bad != 0 || tokens != 1 {
					t.Fatalf("refreshes = %d, invalid_grant answers = %d, distinct tokens served = %d; want 1, 0, 1", n, bad, tokens)
				}
				t.Logf("storm: %s, 4 instances x 250 callers, endpoint delay %s: %d provider refresh, %d invalid_grant, all callers served in %s",
					kind, delay, n, bad, time.Since(start).Round(time.Millisecond))
				tok, _, err := svcs[3].StoredToken(context.Background(), id)
				if err != nil || tok.RefreshToken != "rt-1" {
					t.Fatalf("stored refresh token = %v, %v; want rt-1", tok, err)
				}
			})
		}
	}
}

func TestAccessToken_deadHolderDoesNotBlock(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	st := memstore.New(memstore.Options{Now: clk.Now})
	s := newSvc(t, st, te, clk, accounts.TokenConfig{LockTTL: 10 * time.Second})
	id := seedAccount(t, s, clk)
	// A holder takes the lock and dies: never renews, never releases.
	if _, err := st.AcquireLock(context.Background(), fmt.Sprintf("token:%d", id), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		tok, err := s.AccessToken(context.Background(), id)
		if err == nil && tok.AccessToken != "at-1" {
			err = fmt.Errorf("got %q", tok.AccessToken)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("AccessToken returned while the lease was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	clk.Advance(11 * time.Second) // the dead holder's lease expires
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("deadlock: the caller never refreshed after the lease expired")
	}
	if te.refreshes() != 1 {
		t.Fatalf("refreshes = %d, want 1", te.refreshes())
	}
}

func TestAccessToken_classifiesFailures(t *testing.T) {
	t.Parallel()
	html := http.Header{"Content-Type": {"text/html"}}
	jsonH := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name       string
		script     []scripted
		closeSrv   bool
		wantCode   apierr.Code
		wantActive bool
		wantHook   int
		wantToken  string
	}{
		{"invalid_grant", []scripted{{400, `{"error":"invalid_grant","error_description":"revoked"}`, jsonH}}, false, apierr.ReauthRequired, false, 1, ""},
		{"invalid_client", []scripted{{401, `{"error":"invalid_client"}`, jsonH}}, false, apierr.ReauthRequired, false, 1, ""},
		{"unauthorized_client", []scripted{{400, `{"error":"unauthorized_client"}`, jsonH}}, false, apierr.ReauthRequired, false, 1, ""},
		{"500 html three times", []scripted{{500, "<html>oops</html>", html}, {500, "<html>oops</html>", html}, {500, "<html>oops</html>", html}}, false, apierr.ProviderUnavailable, true, 0, ""},
		{"503 then ok", []scripted{{503, "down", nil}}, false, "", true, 0, "at-1"},
		{"429 with Retry-After", []scripted{{429, `{"error":"slow_down"}`, http.Header{"Retry-After": {"120"}, "Content-Type": {"application/json"}}}}, false, apierr.RateLimited, true, 0, ""},
		{"garbage 200", []scripted{{200, "not json at all", nil}, {200, "{", jsonH}, {200, "<html>", html}}, false, apierr.ProviderUnavailable, true, 0, ""},
		{"400 html page", []scripted{{400, "<html>bad gateway</html>", html}, {400, "<html/>", html}, {400, "<html/>", html}}, false, apierr.ProviderUnavailable, true, 0, ""},
		{"network error", nil, true, apierr.ProviderUnavailable, true, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := newTokenEndpoint(t)
			te.script = tc.script
			clk := &fakeClock{t: time.Now()}
			var hooks atomic.Int32
			var slept []time.Duration
			var sleptMu sync.Mutex
			s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{
				OnTerminal: func(ctx context.Context, ev accounts.TerminalEvent) {
					hooks.Add(1)
					if ev.Account.Active || ev.Reason == "" {
						t.Errorf("event = %+v", ev)
					}
				},
				Sleep: func(ctx context.Context, d time.Duration) error {
					sleptMu.Lock()
					slept = append(slept, d)
					sleptMu.Unlock()
					return ctx.Err()
				},
			})
			id := seedAccount(t, s, clk)
			if tc.closeSrv {
				te.srv.Close()
			}
			tok, err := s.AccessToken(context.Background(), id)
			if got := apierr.CodeOf(err); got != tc.wantCode {
				t.Fatalf("err = %v (code %q), want code %q", err, got, tc.wantCode)
			}
			if tc.wantToken != "" && (tok == nil || tok.AccessToken != tc.wantToken) {
				t.Fatalf("token = %v, want %s", tok, tc.wantToken)
			}
			a, _ := s.Store().GetAccount(context.Background(), id)
			if a.Active != tc.wantActive {
				t.Fatalf("account active = %v, want %v (status %s)", a.Active, tc.wantActive, a.TokenStatus)
			}
			if !tc.wantActive && (a.TokenStatus != store.TokenInvalid || a.TokenError == "") {
				t.Fatalf("terminal account status = %q error %q", a.TokenStatus, a.TokenError)
			}
			if tc.wantCode == apierr.RateLimited {
				var ae *apierr.Error
				if !errors.As(err, &ae) || ae.RetryAfter != 120*time.Second {
					t.Fatalf("RetryAfter not passed through: %+v", ae)
				}
			}
			if tc.wantActive && tc.wantCode != "" {
				st, _ := s.Store().GetToken(context.Background(), id)
				if st.LastError == "" || strings.Contains(st.LastError, "rt-0") {
					t.Fatalf("token LastError = %q", st.LastError)
				}
			}
			// A second call after a terminal failure does not call the
			// provider again and does not fire the hook again.
			before := te.refreshes()
			_, err2 := s.AccessToken(context.Background(), id)
			if !tc.wantActive && (apierr.CodeOf(err2) != apierr.ReauthRequired || te.refreshes() != before) {
				t.Fatalf("after terminal: err %v, refreshes %d -> %d", err2, before, te.refreshes())
			}
			if int(hooks.Load()) != tc.wantHook {
				t.Fatalf("hook fired %d times, want %d", hooks.Load(), tc.wantHook)
			}
		})
	}
}

func TestAccessToken_keepsRefreshTokenWhenOmitted(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	te.omitRT = true
	clk := &fakeClock{t: time.Now()}
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{})
	id := seedAccount(t, s, clk)
	if _, err := s.AccessToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := s.StoredToken(context.Background(), id)
	if tok.AccessToken != "at-1" || tok.RefreshToken != "rt-0" {
		t.Fatalf("stored = %q/%q, want at-1/rt-0", tok.AccessToken, tok.RefreshToken)
	}
}

func TestAccessToken_servesValidTokenWithoutProvider(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{})
	id := seedAccount(t, s, clk)
	if _, err := s.AccessToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if tok, err := s.AccessToken(context.Background(), id); err != nil || tok.AccessToken != "at-1" {
			t.Fatalf("%v %v", tok, err)
		}
	}
	// Within the margin (5 min before expiry) it refreshes again.
	clk.Advance(56 * time.Minute)
	if tok, err := s.AccessToken(context.Background(), id); err != nil || tok.AccessToken != "at-2" {
		t.Fatalf("near expiry: %v %v", tok, err)
	}
	if te.refreshes() != 2 {
		t.Fatalf("refreshes = %d, want 2", te.refreshes())
	}
}

func BenchmarkTokenHotPath(b *testing.B) {
	te := newTokenEndpoint(b)
	clk := &fakeClock{t: time.Now()}
	s := newSvc(b, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{})
	id := seedAccount(b, s, clk)
	ctx := context.Background()
	if _, err := s.AccessToken(ctx, id); err != nil {
		b.Fatal(err)
	}
	b.Run("aurinko/memstore", func(b *testing.B) {
		ts := s.TokenSource(ctx, id)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
		ts := xoauth2.ReuseTokenSource(nil, xoauth2.StaticTokenSource(&xoauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// appConnector adds client-credentials app tokens (connectors.AppTokener)
// to the generic connector, as the Microsoft connector does for daemons.
type appConnector struct {
	connectors.Connector
	tokenURL string
	orgs     chan string
}

func (c appConnector) AppToken(ctx context.Context, orgID string) (*xoauth2.Token, error) {
	c.orgs <- orgID
	cc := clientcredentials.Config{ClientID: "cid", ClientSecret: "csecret", TokenURL: c.tokenURL, AuthStyle: xoauth2.AuthStyleInHeader}
	return cc.Token(ctx)
}

func TestAccessToken_daemonReacquiresAppToken(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	orgs := make(chan string, 10)
	reg, err := connectors.NewRegistry(appConnector{Connector: connector(t, te), tokenURL: te.srv.URL + "/token", orgs: orgs})
	if err != nil {
		t.Fatal(err)
	}
	s, err := accounts.New(accounts.Config{Store: memstore.New(memstore.Options{Now: clk.Now}), Keyring: keyring(t), Connectors: reg, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PutApp(ctx, accounts.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef!"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountDaemon,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "app-at-0", Expiry: clk.Now().Add(time.Hour)},
			Identity: connectors.Identity{AuthUserID: "app:tenant-9", AuthOrgID: "tenant-9"}}})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := s.AccessToken(ctx, res.Account.ID); err != nil || tok.AccessToken != "app-at-0" {
		t.Fatalf("valid app token = %v, %v", tok, err)
	}
	clk.Advance(58 * time.Minute)
	tok, err := s.AccessToken(ctx, res.Account.ID)
	if err != nil || tok.AccessToken != "app-at-1" || tok.RefreshToken != "" {
		t.Fatalf("re-acquired app token = %+v, %v", tok, err)
	}
	if got := <-orgs; got != "tenant-9" {
		t.Fatalf("AppToken asked for org %q, want tenant-9", got)
	}
}

// TestAccessToken_leaseRenewedDuringSlowRefresh runs on the real clock: the
// lease (300 ms) is shorter than the token endpoint (1.5 s), so only its
// renewal keeps a second instance from refreshing with the same, rotating
// refresh token.
func TestAccessToken_leaseRenewedDuringSlowRefresh(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	te.delay = 1500 * time.Millisecond
	clk := &realClock{}
	st := memstore.New(memstore.Options{})
	cfg := accounts.TokenConfig{LockTTL: 300 * time.Millisecond}
	a := newSvcClock(t, st, te, clk.Now, cfg)
	b := newSvcClock(t, st, te, clk.Now, cfg)
	id := seedAccountAt(t, a, time.Now())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, s := range []*accounts.Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(100 * time.Millisecond) // let the first instance take the lease
			}
			tok, err := s.AccessToken(context.Background(), id)
			if err == nil && tok.AccessToken != "at-1" {
				err = fmt.Errorf("instance %d got %q", i, tok.AccessToken)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	te.mu.Lock()
	defer te.mu.Unlock()
	if te.n != 1 || te.seenBad != 0 {
		t.Fatalf("refreshes = %d, invalid_grant = %d; want 1 and 0", te.n, te.seenBad)
	}
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func newSvcClock(t testing.TB, st store.Store, te *tokenEndpoint, now func() time.Time, tc accounts.TokenConfig) *accounts.Service {
	reg, err := connectors.NewRegistry(connector(t, te))
	if err != nil {
		t.Fatal(err)
	}
	s, err := accounts.New(accounts.Config{Store: st, Keyring: keyring(t), Connectors: reg, Now: now, Tokens: tc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seedAccountAt(t testing.TB, s *accounts.Service, now time.Time) int64 {
	clk := &fakeClock{t: now}
	return seedAccount(t, s, clk)
}

// subjectConnector acts as one user of the organization, as Google's
// domain-wide delegation does.
type subjectConnector struct {
	appConnector
	subjects chan string
}

func (c subjectConnector) AppTokenFor(ctx context.Context, orgID, subject string) (*xoauth2.Token, error) {
	c.subjects <- orgID + "/" + subject
	return c.appConnector.AppToken(ctx, orgID)
}

func TestAccessToken_daemonActsAsItsSubject(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	subjects := make(chan string, 10)
	c := subjectConnector{appConnector: appConnector{Connector: connector(t, te), tokenURL: te.srv.URL + "/token", orgs: make(chan string, 10)}, subjects: subjects}
	reg, _ := connectors.NewRegistry(c)
	s, err := accounts.New(accounts.Config{Store: memstore.New(memstore.Options{Now: clk.Now}), Keyring: keyring(t), Connectors: reg, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = s.PutApp(ctx, accounts.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef!"})
	res, err := s.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountDaemon,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "x", Expiry: clk.Now().Add(-time.Minute)},
			Identity: connectors.Identity{AuthUserID: "ann@corp.example", AuthOrgID: "corp.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccessToken(ctx, res.Account.ID); err != nil {
		t.Fatal(err)
	}
	if got := <-subjects; got != "corp.example/ann@corp.example" {
		t.Fatalf("AppTokenFor(%s), want corp.example/ann@corp.example", got)
	}
}
