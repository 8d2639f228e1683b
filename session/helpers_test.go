package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore counts the calls the session package makes, and can be
// told to fail them.
type countingStore struct {
	store.Store
	gets, touches, accountGets, tokenGets atomic.Int64
	fail                                  atomic.Bool
}

var errDown = errors.New("database is down")

func (s *countingStore) GetSession(ctx context.Context, h store.Hash) (store.Session, error) {
	s.gets.Add(1)
	if s.fail.Load() {
		return store.Session{}, errDown
	}
	return s.Store.GetSession(ctx, h)
}

func (s *countingStore) TouchSession(ctx context.Context, h store.Hash, lastSeen, idle time.Time) error {
	s.touches.Add(1)
	return s.Store.TouchSession(ctx, h, lastSeen, idle)
}

func (s *countingStore) GetAccount(ctx context.Context, id int64) (store.Account, error) {
	s.accountGets.Add(1)
	if s.fail.Load() {
		return store.Account{}, errDown
	}
	return s.Store.GetAccount(ctx, id)
}

func (s *countingStore) GetAccountToken(ctx context.Context, h store.Hash) (store.AccountToken, error) {
	s.tokenGets.Add(1)
	return s.Store.GetAccountToken(ctx, h)
}

// fixture is a Manager over a memstore holding two apps: app-x with users
// alice (two accounts) and bob (one), app-y with carol (one).
type fixture struct {
	m     *Manager
	st    *countingStore
	clock *fakeClock
	// accounts
	alice1, alice2, bob1, carol1 int64
}

const (
	appX = "app-x"
	appY = "app-y"
)

func newFixture(t testing.TB, mod func(*Config)) *fixture {
	t.Helper()
	clock := newFakeClock()
	f := &fixture{clock: clock, st: &countingStore{Store: memstore.New(memstore.Options{Now: clock.Now})}}
	seed(t, f.st.Store, f)
	cfg := Config{Store: f.st, Now: clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.m = m
	return f
}

// seed stores the apps, users and accounts of a fixture into st.
func seed(t testing.TB, st store.Store, f *fixture) {
	t.Helper()
	ctx := context.Background()
	for _, app := range []string{appX, appY} {
		if err := st.CreateApp(ctx, store.App{ID: app}); err != nil {
			t.Fatal(err)
		}
	}
	users := []struct{ id, app string }{{"alice", appX}, {"bob", appX}, {"carol", appY}}
	for _, u := range users {
		if err := st.CreateUser(ctx, store.User{ID: u.id, AppID: u.app, Email: u.id + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	account := func(app, user string, typ store.AccountType, authUser string) int64 {
		a, err := st.CreateAccount(ctx, store.Account{
			AppID: app, UserID: user, ServiceType: "Google", Type: typ, Active: true,
			TokenStatus: store.TokenActive, AuthUserID: authUser, Email: authUser + "@example.com",
		}, store.Token{})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	f.alice1 = account(appX, "alice", store.AccountPrimary, "alice")
	f.alice2 = account(appX, "alice", store.AccountSecondary, "alice-2")
	f.bob1 = account(appX, "bob", store.AccountPrimary, "bob")
	f.carol1 = account(appY, "carol", store.AccountPrimary, "carol")
}

// session creates a session and fails the test on error.
func (f *fixture) session(t testing.TB, app, user string, account int64) string {
	t.Helper()
	tok, _, err := f.m.Create(context.Background(), app, user, account)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// accountToken issues an account token and fails the test on error.
func (f *fixture) accountToken(t testing.TB, app string, account int64) string {
	t.Helper()
	tok, err := f.m.IssueAccountToken(context.Background(), app, account)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// seen is what the probe handler saw.
type seen struct {
	Called    bool
	Principal Principal
	OK        bool
	Err       error
}

// probe returns a handler recording what Middleware put in the context.
func probe(got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Called = true
		got.Principal, got.OK = FromContext(r.Context())
		got.Err = ErrorFromContext(r.Context())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("secret data of the account"))
	})
}

// serve runs r through Middleware then wrap (nil: none) then the probe.
func (f *fixture) serve(r *http.Request, wrap func(http.Handler) http.Handler) (*httptest.ResponseRecorder, seen) {
	var got seen
	var h http.Handler = probe(&got)
	if wrap != nil {
		h = wrap(h)
	}
	rec := httptest.NewRecorder()
	f.m.Middleware(h).ServeHTTP(rec, r)
	return rec, got
}

// errorBody decodes a JSON error response.
func errorBody(t testing.TB, rec *httptest.ResponseRecorder) apierr.Body {
	t.Helper()
	var b apierr.Body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return b
}
