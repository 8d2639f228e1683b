package accounts_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	crm "github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// A process killed in the middle of a token refresh. The test binary runs
// itself as a child (crashChildEnv holds the child's job) that refreshes an
// expired token against a shared SQLite file or PostgreSQL schema; the
// parent SIGKILLs it at a chosen point and then checks what a fresh
// instance finds. The points:
//
//   - answer lost: the provider has rotated the refresh token and is
//     answering when the child dies (the provider's handler kills it);
//   - before persist: the child has the provider's answer (a new access
//     and refresh token) and dies before SwapToken stores it;
//   - after persist: the child dies right after SwapToken, still holding
//     the account's refresh lock.
//
// The documented outcome: the dead child's lock frees itself after
// LockTTL; the new instance then reads the stored token. After persist,
// that is the new token (served without a provider call, and its refresh
// token works later). Otherwise it is the old one: a provider that keeps
// old refresh tokens valid (as Microsoft does) refreshes it and the
// account works; a provider that revoked it on rotation answers
// invalid_grant and the account is marked reauth-required (inactive,
// token status invalid, OnTerminal once, AccessToken answers
// ReauthRequired without calling the provider again). Never a token that
// does not work.

// crashChildEnv names the environment variable that makes a test run as a
// crash child; its value is the child's job as JSON.
const crashChildEnv = "AURINKO_TEST_CRASH_CHILD"

// The kill points of a refresh.
const (
	pointAnswerLost    = "answer-lost"
	pointBeforePersist = "before-persist"
	pointAfterPersist  = "after-persist"
)

// crashKeyring is the keyring of parent and children.
func crashKeyring(t testing.TB) *seal.Keyring {
	kr, err := seal.NewKeyring(seal.Key{ID: "crash", Secret: bytes.Repeat([]byte{0x2c}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// crashDB is a database shared by the parent and its children.
type crashDB struct {
	Kind   string // sqlite or postgres
	Path   string // the SQLite file or the PostgreSQL DSN
	Schema string // the PostgreSQL schema
}

func (db crashDB) open(t testing.TB, now func() time.Time) store.Store {
	t.Helper()
	var st store.Store
	var err error
	switch db.Kind {
	case "sqlite":
		st, err = sqlitestore.Open(context.Background(), db.Path, sqlitestore.Options{Now: now})
	case "postgres":
		st, err = pgstore.Open(context.Background(), db.Path, pgstore.Options{Now: now, Schema: db.Schema})
	default:
		err = fmt.Errorf("unknown database kind %q", db.Kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// crashDBs returns the databases to run against: a SQLite file, and a
// PostgreSQL schema when AURINKO_TEST_POSTGRES_URL is set (CI sets it).
func crashDBs(t *testing.T) []crashDB {
	dbs := []crashDB{{Kind: "sqlite", Path: filepath.Join(t.TempDir(), "crash.db")}}
	dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Log("AURINKO_TEST_POSTGRES_URL is unset: PostgreSQL is not crash-tested here")
		return dbs
	}
	schema := fmt.Sprintf("crash_acc_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = conn.Close(ctx)
		}
	})
	return append(dbs, crashDB{Kind: "postgres", Path: dsn, Schema: schema})
}

// crashChild is a child copy of the test binary. It reports reaching a
// kill point by writing a line on its fd 3 and then blocks reading its
// stdin, which the parent never writes, until it is killed.
type crashChild struct {
	cmd    *exec.Cmd
	points *bufio.Reader
	hold   *os.File
	out    bytes.Buffer
	done   chan struct{}
}

// startCrashChild runs test in a child with job as its crashChildEnv.
func startCrashChild(t *testing.T, test string, job any) *crashChild {
	t.Helper()
	raw, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &crashChild{points: bufio.NewReader(pr), hold: inW, done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.timeout=5m")
	c.cmd.Env = append(os.Environ(), crashChildEnv+"="+string(raw))
	c.cmd.Stdin = inR
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	c.cmd.ExtraFiles = []*os.File{pw}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	inR.Close()
	t.Cleanup(func() {
		c.kill(t)
		pr.Close()
		inW.Close()
	})
	return c
}

// waitPoint waits for the child to report point.
func (c *crashChild) waitPoint(t *testing.T, point string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, _ := c.points.ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case line := <-got:
		if line != point {
			c.kill(t)
			t.Fatalf("child reported %q, want %q; its output:\n%s", line, point, c.out.String())
		}
	case <-time.After(2 * time.Minute): // a guard against a stuck child, not a wait for time
		c.kill(t)
		t.Fatalf("child did not reach %s; its output:\n%s", point, c.out.String())
	}
}

// kill SIGKILLs the child (once) and waits for it to exit.
func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
		return
	default:
	}
	defer close(c.done)
	_ = c.cmd.Process.Kill()
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Errorf("child ended with %v, want killed", err)
		return
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child ended with %v, want SIGKILL; its output:\n%s", err, c.out.String())
	}
}

// childReach reports point to the parent and waits to be killed.
func childReach(point string) {
	points := os.NewFile(3, "points")
	fmt.Fprintln(points, point)
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(3) // the parent closed stdin without killing us
}

// childFail reports a failure of the child to the parent and exits.
func childFail(format string, args ...any) {
	points := os.NewFile(3, "points")
	fmt.Fprintf(points, "child failed: "+format+"\n", args...)
	os.Exit(2)
}

// rotatingEndpoint is a provider token endpoint that rotates refresh
// tokens: each refresh answers a new one; with revokeRotated the used
// one stops working. onRefresh, when set, runs after a rotation and
// before the answer is written.
type rotatingEndpoint struct {
	srv           *httptest.Server
	revokeRotated bool

	mu        sync.Mutex
	valid     map[string]bool
	issued    map[string]bool // access tokens issued
	refreshes int
	refused   int
	onRefresh func()
}

func newRotatingEndpoint(t *testing.T, revokeRotated bool) *rotatingEndpoint {
	e := &rotatingEndpoint{revokeRotated: revokeRotated, valid: map[string]bool{"rt-0": true}, issued: map[string]bool{"at-0": true}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *rotatingEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/me" { // a provider API call with the access token
		e.mu.Lock()
		ok := e.issued[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		e.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"id":"u1"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	old := r.PostForm.Get("refresh_token")
	w.Header().Set("Content-Type", "application/json")
	if !e.valid[old] {
		e.refused++
		e.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"AADSTS70008: the refresh token was revoked"}`)
		return
	}
	e.refreshes++
	at, rt := fmt.Sprintf("at-%d", e.refreshes), fmt.Sprintf("rt-%d", e.refreshes)
	e.valid[rt], e.issued[at] = true, true
	if e.revokeRotated {
		delete(e.valid, old)
	}
	hook := e.onRefresh
	e.mu.Unlock()
	if hook != nil {
		hook()
	}
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600,"refresh_token":%q}`, at, rt)
}

// setOnRefresh sets the hook run after a rotation.
func (e *rotatingEndpoint) setOnRefresh(f func()) {
	e.mu.Lock()
	e.onRefresh = f
	e.mu.Unlock()
}

func (e *rotatingEndpoint) counts() (refreshes, refused int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refreshes, e.refused
}

// apiWorks calls the provider's API with tok.
func (e *rotatingEndpoint) apiWorks(tok string) bool {
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// crashService is an accounts.Service over st with the CRM connector of
// tokenURL.
func crashService(t testing.TB, st store.Store, tokenURL string, now func() time.Time, tc accounts.TokenConfig) *accounts.Service {
	c, err := crm.New(crm.Config{ServiceType: "Crm", ClientID: "cid", ClientSecret: "csecret",
		AuthURL: tokenURL + "/authorize", TokenURL: tokenURL + "/token", UserInfoURL: tokenURL + "/userinfo",
		AuthStyle: xoauth2.AuthStyleInHeader, HTTPClient: &http.Client{Timeout: 30 * time.Second}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := connectors.NewRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := accounts.New(accounts.Config{Store: st, Keyring: crashKeyring(t), Connectors: reg, Now: now, Tokens: tc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refreshJob is the job of a refresh crash child.
type refreshJob struct {
	DB       crashDB
	TokenURL string
	Account  int64
	Base     time.Time
	LockTTL  time.Duration
	Point    string
}

// swapHook stops the child at a kill point around SwapToken.
type swapHook struct {
	store.Store
	point string
}

func (h swapHook) SwapToken(ctx context.Context, accountID, oldVersion int64, t store.Token) (int64, error) {
	if h.point == pointBeforePersist {
		childReach(pointBeforePersist)
	}
	v, err := h.Store.SwapToken(ctx, accountID, oldVersion, t)
	if err == nil && h.point == pointAfterPersist {
		childReach(pointAfterPersist)
	}
	return v, err
}

// runRefreshChild refreshes the account's expired token as the job says.
func runRefreshChild(t *testing.T, raw string) {
	var job refreshJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		childFail("job: %v", err)
	}
	now := func() time.Time { return job.Base }
	st := job.DB.open(t, now)
	s := crashService(t, swapHook{Store: st, point: job.Point}, job.TokenURL, now, accounts.TokenConfig{LockTTL: job.LockTTL})
	tok, err := s.AccessToken(context.Background(), job.Account)
	childFail("AccessToken returned %v, %v instead of stopping at %s", tok, err, job.Point)
}

func TestCrash_killedMidRefresh(t *testing.T) {
	if raw := os.Getenv(crashChildEnv); raw != "" {
		runRefreshChild(t, raw)
		return
	}
	t.Parallel()
	const lockTTL = 20 * time.Second
	for _, db := range crashDBs(t) {
		for _, point := range []string{pointAnswerLost, pointBeforePersist, pointAfterPersist} {
			for _, revoke := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/revokeRotated=%v", db.Kind, point, revoke)
				t.Run(name, func(t *testing.T) {
					db := db
					if db.Kind == "sqlite" {
						db.Path = filepath.Join(t.TempDir(), "crash.db")
					} else {
						db.Schema = fmt.Sprintf("%s_%d", db.Schema, time.Now().UnixNano()%1e9)
						t.Cleanup(func() { dropSchema(db) })
					}
					testKilledMidRefresh(t, db, point, revoke, lockTTL)
				})
			}
		}
	}
}

func dropSchema(db crashDB) {
	ctx := context.Background()
	if conn, err := pgx.Connect(ctx, db.Path); err == nil {
		_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{db.Schema}.Sanitize()+" CASCADE")
		_ = conn.Close(ctx)
	}
}

func testKilledMidRefresh(t *testing.T, db crashDB, point string, revokeRotated bool, lockTTL time.Duration) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second)
	provider := newRotatingEndpoint(t, revokeRotated)

	// The parent seeds an account whose access token expired.
	seedStore := db.open(t, func() time.Time { return base })
	seeder := crashService(t, seedStore, provider.srv.URL, func() time.Time { return base }, accounts.TokenConfig{})
	if err := seeder.PutApp(ctx, accounts.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef!"}); err != nil {
		t.Fatal(err)
	}
	res, err := seeder.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: base.Add(-time.Minute)},
			Identity: connectors.Identity{AuthUserID: "u1", Email: "u1@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Account.ID
	seedStore.Close()

	// The child refreshes and is killed at point. When the answer is to
	// be lost, the provider's handler holds its answer until the child
	// is dead.
	answered, killed := make(chan struct{}), make(chan struct{})
	job := refreshJob{DB: db, TokenURL: provider.srv.URL, Account: id, Base: base, LockTTL: lockTTL, Point: point}
	if point == pointAnswerLost {
		job.Point = ""
		var once sync.Once
		provider.setOnRefresh(func() { once.Do(func() { close(answered); <-killed }) })
	}
	child := startCrashChild(t, "TestCrash_killedMidRefresh", job)
	if point == pointAnswerLost {
		select {
		case <-answered:
		case <-time.After(2 * time.Minute): // a guard against a stuck child, not a wait for time
			t.Fatalf("the child did not refresh; its output:\n%s", child.out.String())
		}
	} else {
		child.waitPoint(t, point)
	}
	child.kill(t)
	close(killed)
	provider.setOnRefresh(nil)
	if n, _ := provider.counts(); n != 1 {
		t.Fatalf("the provider rotated %d times before the kill, want 1", n)
	}

	// A fresh instance on the same database. Waiting for the dead child's
	// lock advances the shared clock, so its lease passes without real
	// waiting; the lease renewal of a refresh waits for the refresh to end.
	clk := &fakeClock{t: base.Add(time.Second)}
	st := db.open(t, clk.Now)
	defer st.Close()
	var mu sync.Mutex
	var terminal []accounts.TerminalEvent
	lockWaits := 0
	s := crashService(t, st, provider.srv.URL, clk.Now, accounts.TokenConfig{LockTTL: lockTTL,
		OnTerminal: func(_ context.Context, ev accounts.TerminalEvent) {
			mu.Lock()
			terminal = append(terminal, ev)
			mu.Unlock()
		},
		Sleep: func(ctx context.Context, d time.Duration) error {
			if d >= lockTTL/3 { // the lease renewal of a running refresh
				<-ctx.Done()
				return ctx.Err()
			}
			mu.Lock()
			lockWaits++
			mu.Unlock()
			clk.Advance(d)
			return ctx.Err()
		}})
	tok, err := s.AccessToken(ctx, id)
	acct, gerr := st.GetAccount(ctx, id)
	if gerr != nil {
		t.Fatal(gerr)
	}
	refreshes, refused := provider.counts()
	mu.Lock()
	waits, events := lockWaits, len(terminal)
	mu.Unlock()
	if point != pointAfterPersist && waits == 0 {
		t.Error("the fresh instance did not wait for the dead child's lock")
	}
	switch {
	case point == pointAfterPersist:
		// The new token was stored: served as it is, without the lock.
		if err != nil || tok.AccessToken != "at-1" || refreshes != 1 || waits != 0 || !provider.apiWorks(tok.AccessToken) {
			t.Fatalf("after persist: token %v, %v; %d refreshes, %d lock waits; want at-1, 1 refresh, no wait", tok, err, refreshes, waits)
		}
		// Its refresh token is the live one: the next refresh works.
		clk.Advance(2 * time.Hour)
		s.ForgetToken(id)
		tok, err = s.AccessToken(ctx, id)
		if err != nil || tok.AccessToken != "at-2" || !provider.apiWorks(tok.AccessToken) {
			t.Fatalf("refresh after the crash: %v, %v", tok, err)
		}
	case revokeRotated:
		// The rotated token died with the child: reauth required, said
		// once, and the provider is not asked again.
		if apierr.CodeOf(err) != apierr.ReauthRequired || refused != 1 || refreshes != 1 {
			t.Fatalf("token %v, err %v; provider refreshes %d, refusals %d; want ReauthRequired after one refusal", tok, err, refreshes, refused)
		}
		if acct.Active || acct.TokenStatus != store.TokenInvalid || !strings.Contains(acct.TokenError, "invalid_grant") {
			t.Fatalf("account after the refusal: active %v, status %q, error %q; want inactive, invalid, invalid_grant",
				acct.Active, acct.TokenStatus, acct.TokenError)
		}
		if events != 1 {
			t.Fatalf("OnTerminal called %d times, want 1", events)
		}
		s.ForgetToken(id)
		if _, err := s.AccessToken(ctx, id); apierr.CodeOf(err) != apierr.ReauthRequired {
			t.Fatalf("a second call: %v, want ReauthRequired", err)
		}
		if _, again := provider.counts(); again != 1 {
			t.Fatal("a reauth-required account called the provider again")
		}
	default:
		// The old refresh token still works: refreshed once the dead
		// child's lease passed.
		if err != nil || tok.AccessToken != "at-2" || refreshes != 2 || !provider.apiWorks(tok.AccessToken) {
			t.Fatalf("token %v, %v; %d refreshes; want at-2 from a second refresh", tok, err, refreshes)
		}
		if !acct.Active || acct.TokenStatus != store.TokenActive || events != 0 {
			t.Fatalf("account: active %v, status %q, %d terminal events", acct.Active, acct.TokenStatus, events)
		}
	}
}
