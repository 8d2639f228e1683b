package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/webhooks"
)

const (
	testApp      = "app-1"
	testUser     = "ops"
	testPassword = "correct horse battery staple"
	serviceType  = "Crm"
	evilName     = "<script>alert(1)</script>"
)

// clock is a fake clock shared by the store, the services and the console.
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

// provider is a fake OAuth2 provider: a token endpoint that refreshes and
// a revocation endpoint, counting the calls.
type provider struct {
	srv      *httptest.Server
	refresh  atomic.Int64
	revoked  atomic.Int64
	failWith string // an OAuth error code to answer refreshes with
}

func newProvider(t testing.TB) *provider {
	p := &provider{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"unsupported_grant_type"}`)
			return
		}
		if p.failWith != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q,"error_description":"refresh token revoked"}`, p.failWith)
			return
		}
		n := p.refresh.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at-refreshed-%d","token_type":"Bearer","expires_in":3600}`, n)
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		p.revoked.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// countingStore counts the list calls and rows the console reads.
type countingStore struct {
	store.Store
	calls, rows atomic.Int64
	resealGate  chan struct{}
}

func (s *countingStore) ListAccounts(ctx context.Context, f store.AccountFilter, p store.Page) ([]store.Account, error) {
	out, err := s.Store.ListAccounts(ctx, f, p)
	s.calls.Add(1)
	s.rows.Add(int64(len(out)))
	return out, err
}

func (s *countingStore) ListUsers(ctx context.Context, app string, p store.StringPage) ([]store.User, error) {
	out, err := s.Store.ListUsers(ctx, app, p)
	s.calls.Add(1)
	s.rows.Add(int64(len(out)))
	return out, err
}

// ResealSecrets lets a test hold the walk after each re-sealed secret
// until it receives from resealGate (when set).
func (s *countingStore) ResealSecrets(ctx context.Context, fn store.ResealFunc) (int, error) {
	return s.Store.ResealSecrets(ctx, func(ctx context.Context, old store.Sealed) (store.Sealed, bool, error) {
		out, ok, err := fn(ctx, old)
		if s.resealGate != nil && ok {
			<-s.resealGate
		}
		return out, ok, err
	})
}

func (s *countingStore) reset() { s.calls.Store(0); s.rows.Store(0) }

// env is a console over a seeded memstore.
type env struct {
	t        testing.TB
	clock    *clock
	store    *countingStore
	key      seal.Key
	keyring  *seal.Keyring
	accounts *accounts.Service
	provider *provider
	console  *console
	mux      *http.ServeMux // the host's mux: the console under /admin/
	hash     string

	alice, bob, evil accounts.LinkResult
	sub              store.Subscription
	failedJob        store.Job
}

var (
	hashOnce sync.Once
	hashVal  string
)

// passwordHash is a low-cost bcrypt hash of testPassword, computed once.
func passwordHash(t testing.TB) string {
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		hashVal = string(h)
	})
	return hashVal
}

func testKey(t testing.TB, id string) seal.Key {
	k, err := seal.GenerateKey(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newEnv seeds an app with three users (one named evilName), an
// organization, a subscription and a failed delivery, and builds a console.
func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC)}, provider: newProvider(t), hash: passwordHash(t)}
	e.store = &countingStore{Store: memstore.New(memstore.Options{Now: e.clock.Now})}
	e.key = testKey(t, "k1")
	kr, err := seal.NewKeyring(e.key)
	if err != nil {
		t.Fatal(err)
	}
	e.keyring = kr
	conn, err := oauth2.New(oauth2.Config{ServiceType: serviceType, ClientID: "crm-client", ClientSecret: "crm-secret",
		AuthURL: e.provider.srv.URL + "/authorize", TokenURL: e.provider.srv.URL + "/token", UserInfoURL: e.provider.srv.URL + "/userinfo",
		RevokeURL: e.provider.srv.URL + "/revoke", AuthStyle: xoauth2.AuthStyleInParams,
		HTTPClient: e.provider.srv.Client(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := connectors.NewRegistry(conn)
	if err != nil {
		t.Fatal(err)
	}
	e.accounts, err = accounts.New(accounts.Config{Store: e.store, Keyring: kr, Connectors: reg, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.seed()
	cfg := Config{Accounts: e.accounts, Keyring: kr, Username: testUser, PasswordHash: e.hash, Now: e.clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	e.console, err = newConsole(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.mux.Handle("/admin/", http.StripPrefix("/admin", e.console.handler))
	return e
}

func (e *env) seed() {
	t, ctx := e.t, context.Background()
	if err := e.accounts.PutApp(ctx, accounts.AppSpec{ClientID: testApp, Name: "Mail add-in", ClientSecret: "0123456789abcdef0123",
		ReturnURLs: []string{"https://addin.example.com/done"}, CORSOrigins: []string{"https://addin.example.com"}}); err != nil {
		t.Fatal(err)
	}
	link := func(sub, email, name string) accounts.LinkResult {
		res, err := e.accounts.Link(ctx, accounts.LinkRequest{AppID: testApp, ServiceType: serviceType, Type: store.AccountPrimary, CreateUser: true,
			Grant: &connectors.Grant{
				Token:    &xoauth2.Token{AccessToken: "at-" + sub, RefreshToken: "rt-" + sub, TokenType: "Bearer", Expiry: e.clock.Now().Add(time.Hour)},
				Identity: connectors.Identity{AuthUserID: sub, AuthOrgID: "tenant-a", Email: email, Name: name, OrgDomain: "example.com", OrgName: "Example Ltd"},
				Scopes:   []string{"crm.read", "crm.write"},
			},
			Scopes: []connectors.Scope{"Mail.Read"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	e.alice = link("alice", "alice@example.com", "Alice Example")
	e.bob = link("bob", "bob@example.com", "Bob Example")
	e.evil = link("mallory", "mallory@example.com", evilName)

	var err error
	e.sub, err = e.store.CreateSubscription(ctx, store.Subscription{AppID: testApp, AccountID: e.alice.Account.ID, Resource: "/email/messages",
		NotificationURL: "https://hooks.example.com/aurinko", Active: true, FailSince: e.clock.Now().Add(-time.Hour), FailDescription: "endpoint answered 503"})
	if err != nil {
		t.Fatal(err)
	}
	key := webhookKey(e.sub.ID)
	// One delivery that failed, then nothing pending, so it can be
	// requeued; and one other subscription's job in the queue.
	j, err := e.store.EnqueueJob(ctx, store.Job{Kind: webhooks.JobKind, Key: key, Payload: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := e.store.ClaimJobs(ctx, []string{webhooks.JobKind}, 1, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].ID != j.ID {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := e.store.FailJob(ctx, j.ID, claimed[0].LeaseToken, "endpoint answered 503"); err != nil {
		t.Fatal(err)
	}
	e.failedJob, _ = e.store.GetJob(ctx, j.ID)
	if _, err := e.store.EnqueueJob(ctx, store.Job{Kind: webhooks.JobKind, Key: "webhook:999999", Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
}

// do sends a request to the host's mux with the admin's credentials
// (unless the request already has an Authorization header or creds is
// false) and returns the response.
func (e *env) do(r *http.Request, creds bool) *http.Response {
	if creds && r.Header.Get("Authorization") == "" {
		r.SetBasicAuth(testUser, testPassword)
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w.Result()
}

func (e *env) get(path string) (int, string) {
	resp := e.do(httptest.NewRequest(http.MethodGet, path, nil), true)
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) getJSON(path string, v any) {
	e.t.Helper()
	code, body := e.get(path)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		e.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// post submits a form with the given CSRF token ("" for none) as a
// same-origin browser would.
func (e *env) post(path, csrf string, form url.Values) *http.Response {
	if form == nil {
		form = url.Values{}
	}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(r, true)
}

// csrf returns a valid token for the Basic admin.
func (e *env) csrf() string { return e.console.csrfToken("basic:" + testUser) }
