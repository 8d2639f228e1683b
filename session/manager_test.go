package session

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

func TestNew_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	st := memstore.New(memstore.Options{})
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no store", Config{}},
		{"negative idle timeout", Config{Store: st, IdleTimeout: -time.Second}},
		{"negative lifetime", Config{Store: st, Lifetime: -time.Second}},
		{"negative touch interval", Config{Store: st, TouchInterval: -time.Second}},
		{"touch interval not below idle timeout", Config{Store: st, IdleTimeout: time.Minute, TouchInterval: time.Minute}},
		{"prefix with a dot", Config{Store: st, CookiePrefix: "a.b"}},
		{"prefix with a semicolon", Config{Store: st, CookiePrefix: "a;b"}},
		{"relative path", Config{Store: st, CookiePath: "v1"}},
		{"path with a semicolon", Config{Store: st, CookiePath: "/v1;Domain=evil.com"}},
		{"bad domain", Config{Store: st, CookieDomain: "evil.com; Secure"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := New(tc.cfg)
			if err == nil || m != nil {
				t.Fatalf("New = %v, %v; want an error", m, err)
			}
			if !strings.HasPrefix(err.Error(), "session: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestNew_defaults(t *testing.T) {
	t.Parallel()
	m, err := New(Config{Store: memstore.New(memstore.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if m.idleTimeout != 14*24*time.Hour || m.lifetime != 90*24*time.Hour || m.touchInterval != time.Minute ||
		m.cookiePrefix != "aurinko_session" || m.cookiePath != "/" || m.cookieDomain != "" || m.insecure || m.partitioned {
		t.Fatalf("defaults: %+v", m)
	}
}

var tokenShape = map[string]*regexp.Regexp{
	"ses_": regexp.MustCompile(`^ses_[A-Za-z0-9_-]{43}$`),
	"acc_": regexp.MustCompile(`^acc_[A-Za-z0-9_-]{43}$`),
}

func TestCreateResolveDestroy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	tok, s, err := f.m.Create(ctx, appX, "alice", f.alice1)
	if err != nil {
		t.Fatal(err)
	}
	if !tokenShape["ses_"].MatchString(tok) {
		t.Fatalf("token %q has the wrong shape", tok)
	}
	now := f.clock.Now()
	want := store.Session{
		Hash: store.HashSecret(tok), AppID: appX, UserID: "alice", AccountID: f.alice1,
		CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(14 * 24 * time.Hour), ExpiresAt: now.Add(90 * 24 * time.Hour),
	}
	if s != want {
		t.Fatalf("Create session =\n%+v, want\n%+v", s, want)
	}
	// The store holds the hash, never the token.
	if stored, err := f.st.Store.GetSession(ctx, store.HashSecret(tok)); err != nil || stored.Hash != want.Hash {
		t.Fatalf("stored session: %+v, %v", stored, err)
	}
	got, err := f.m.Resolve(ctx, tok)
	if err != nil || got != want {
		t.Fatalf("Resolve = %+v, %v; want %+v", got, err, want)
	}
	// A second session is distinct.
	tok2, _, err := f.m.Create(ctx, appX, "alice", 0)
	if err != nil || tok2 == tok {
		t.Fatalf("second Create = %q, %v", tok2, err)
	}
	if err := f.m.Destroy(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Resolve(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Resolve after Destroy: %v, want ErrNotFound", err)
	}
	if err := f.m.Destroy(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Destroy: %v, want ErrNotFound", err)
	}
	if _, err := f.m.Resolve(ctx, tok2); err != nil {
		t.Fatalf("other session gone too: %v", err)
	}
	if err := f.m.Destroy(ctx, "ses_short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Destroy of a malformed token: %v", err)
	}
}

func TestCreate_rejectsMissingFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, tc := range []struct {
		app, user string
		account   int64
	}{{"", "alice", 0}, {appX, "", 0}, {appX, "alice", -1}} {
		if _, _, err := f.m.Create(context.Background(), tc.app, tc.user, tc.account); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Create(%q, %q, %d) = %v, want ErrInvalid", tc.app, tc.user, tc.account, err)
		}
	}
}

func TestResolve_expiry(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		name string
		// steps: advance the clock by each, resolving after each step.
		steps []time.Duration
		// alive is whether the last resolve finds the session.
		alive bool
	}{
		{"fresh", nil, true},
		{"idle just under the timeout", []time.Duration{14*day - time.Second}, true},
		{"idle for the timeout", []time.Duration{14 * day}, false},
		{"idle twice 10 days, touched between", []time.Duration{10 * day, 10 * day}, true},
		{"idle 10 then 15 days", []time.Duration{10 * day, 15 * day}, false},
		// Used every 10 days it lives to its absolute lifetime and no longer.
		{"used until just under the lifetime", repeat(10*day, 8, 10*day-time.Second), true},
		{"used until the lifetime", repeat(10*day, 9), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			ctx := context.Background()
			tok := f.session(t, appX, "alice", 0)
			var err error
			for _, d := range tc.steps {
				f.clock.Advance(d)
				_, err = f.m.Resolve(ctx, tok)
			}
			if len(tc.steps) == 0 {
				_, err = f.m.Resolve(ctx, tok)
			}
			if tc.alive && err != nil {
				t.Fatalf("Resolve: %v, want alive", err)
			}
			if !tc.alive && !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Resolve: %v, want ErrNotFound", err)
			}
		})
	}
}

func repeat(d time.Duration, n int, tail ...time.Duration) []time.Duration {
	out := make([]time.Duration, 0, n+len(tail))
	for range n {
		out = append(out, d)
	}
	return append(out, tail...)
}

func TestResolve_touchNeverPastLifetime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok, s0, err := f.m.Create(context.Background(), appX, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	var s store.Session
	for range 8 { // used every 10 days, 80 days in all
		f.clock.Advance(10 * 24 * time.Hour)
		if s, err = f.m.Resolve(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if !s.IdleExpiresAt.Equal(s0.ExpiresAt) || !s.ExpiresAt.Equal(s0.ExpiresAt) {
		t.Fatalf("IdleExpiresAt %v, ExpiresAt %v; want both %v", s.IdleExpiresAt, s.ExpiresAt, s0.ExpiresAt)
	}
}

func TestResolve_touchIntervalCoalescesWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []time.Duration // clock advance before each burst of 50 resolves
		want  int64           // TouchSession calls in all
	}{
		{"within the first minute", []time.Duration{0, 10 * time.Second, 49 * time.Second}, 0},
		{"at the interval", []time.Duration{time.Minute}, 1},
		{"just under the interval twice", []time.Duration{59 * time.Second, 59 * time.Second}, 1},
		{"ten intervals", repeat(time.Minute, 10), 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			ctx := context.Background()
			tok := f.session(t, appX, "alice", 0)
			var last store.Session
			for _, d := range tc.steps {
				f.clock.Advance(d)
				for range 50 {
					s, err := f.m.Resolve(ctx, tok)
					if err != nil {
						t.Fatal(err)
					}
					last = s
				}
			}
			if got := f.st.touches.Load(); got != tc.want {
				t.Fatalf("TouchSession calls = %d, want %d", got, tc.want)
			}
			stored, err := f.st.Store.GetSession(ctx, store.HashSecret(tok))
			if err != nil {
				t.Fatal(err)
			}
			if stored.LastSeenAt != last.LastSeenAt || stored.IdleExpiresAt != last.IdleExpiresAt {
				t.Fatalf("Resolve returned %v/%v, store holds %v/%v", last.LastSeenAt, last.IdleExpiresAt, stored.LastSeenAt, stored.IdleExpiresAt)
			}
			if tc.want > 0 && !stored.IdleExpiresAt.Equal(f.clock.Now().Add(14*24*time.Hour).Add(-timeSinceTouch(tc.steps))) {
				t.Fatalf("IdleExpiresAt = %v", stored.IdleExpiresAt)
			}
		})
	}
}

// timeSinceTouch is how long ago the last touch was, for steps of which
// every touch happened at a step of at least a minute since the previous.
func timeSinceTouch(steps []time.Duration) time.Duration {
	var since time.Duration
	for _, d := range steps {
		since += d
		if since >= time.Minute {
			since = 0
		}
	}
	return since
}

func TestRotate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  func(t testing.TB, f *fixture) string
	}{
		{"live old session", func(t testing.TB, f *fixture) string { return f.session(t, appX, "alice", 0) }},
		{"old session of another user", func(t testing.TB, f *fixture) string { return f.session(t, appX, "bob", f.bob1) }},
		{"no old token", func(testing.TB, *fixture) string { return "" }},
		{"unknown old token", func(testing.TB, *fixture) string { return newToken(sessionPrefix) }},
		{"malformed old token", func(testing.TB, *fixture) string { return "ses_x" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			ctx := context.Background()
			old := tc.old(t, f)
			tok, s, err := f.m.Rotate(ctx, old, appX, "alice", f.alice1)
			if err != nil {
				t.Fatal(err)
			}
			if tok == old || s.UserID != "alice" || s.AccountID != f.alice1 {
				t.Fatalf("Rotate = %q, %+v", tok, s)
			}
			if _, err := f.m.Resolve(ctx, tok); err != nil {
				t.Fatalf("new session: %v", err)
			}
			if _, err := f.m.Resolve(ctx, old); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("old session still resolves: %v", err)
			}
		})
	}
}

func TestDestroyUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	a1, a2 := f.session(t, appX, "alice", 0), f.session(t, appX, "alice", f.alice1)
	b := f.session(t, appX, "bob", 0)
	n, err := f.m.DestroyUser(ctx, "alice")
	if err != nil || n != 2 {
		t.Fatalf("DestroyUser = %d, %v; want 2", n, err)
	}
	for _, tok := range []string{a1, a2} {
		if _, err := f.m.Resolve(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("alice's session survives: %v", err)
		}
	}
	if _, err := f.m.Resolve(ctx, b); err != nil {
		t.Fatalf("bob's session gone: %v", err)
	}
	if _, err := f.m.DestroyUser(ctx, ""); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("DestroyUser(\"\") = %v", err)
	}
}

func TestAccountTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	tok := f.accountToken(t, appX, f.alice2)
	if !tokenShape["acc_"].MatchString(tok) {
		t.Fatalf("token %q has the wrong shape", tok)
	}
	at, err := f.m.ResolveAccountToken(ctx, tok)
	if err != nil || at.AppID != appX || at.AccountID != f.alice2 || at.Hash != store.HashSecret(tok) || !at.ExpiresAt.IsZero() {
		t.Fatalf("ResolveAccountToken = %+v, %v", at, err)
	}
	// Does not expire by time.
	f.clock.Advance(10 * 365 * 24 * time.Hour)
	if _, err := f.m.ResolveAccountToken(ctx, tok); err != nil {
		t.Fatalf("after ten years: %v", err)
	}
	// A session token is not an account token and the other way round.
	ses := f.session(t, appX, "alice", 0)
	if _, err := f.m.ResolveAccountToken(ctx, ses); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session token as account token: %v", err)
	}
	if _, err := f.m.Resolve(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account token as session token: %v", err)
	}
	if err := f.m.RevokeAccountToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.ResolveAccountToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked token resolves: %v", err)
	}
	if err := f.m.RevokeAccountToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second revoke: %v", err)
	}

	for _, tc := range []struct {
		name    string
		app     string
		account int64
		want    error
	}{
		{"account of another app", appY, f.alice1, store.ErrNotFound},
		{"missing account", appX, 9999, store.ErrNotFound},
		{"no app", "", f.alice1, store.ErrInvalid},
		{"zero account", appX, 0, store.ErrInvalid},
	} {
		if _, err := f.m.IssueAccountToken(ctx, tc.app, tc.account); !errors.Is(err, tc.want) {
			t.Errorf("%s: IssueAccountToken = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestMalformedTokensNeverReachTheStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	valid := newToken(sessionPrefix)
	for _, tok := range []string{
		"", "ses_", "acc_", "ses_" + strings.Repeat("A", 42), "ses_" + strings.Repeat("A", 44),
		"ses_" + strings.Repeat("A", 10<<10), "ses_" + strings.Repeat("+", 43), "ses_" + strings.Repeat("=", 43),
		valid[:20] + " " + valid[21:], "SES_" + valid[4:], "xyz_" + valid[4:], valid[:46] + "\x00",
	} {
		if _, err := f.m.Resolve(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Resolve(%.20q) = %v", tok, err)
		}
		if _, err := f.m.ResolveAccountToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ResolveAccountToken(%.20q) = %v", tok, err)
		}
	}
	if n := f.st.gets.Load() + f.st.tokenGets.Load(); n != 0 {
		t.Fatalf("%d store lookups for malformed tokens", n)
	}
}

func TestErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	tok := f.session(t, appX, "alice", 0)
	f.st.fail.Store(true)
	_, err := f.m.Resolve(ctx, tok)
	if !errors.Is(err, errDown) || strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), tok[4:]) {
		t.Fatalf("Resolve error %q", err)
	}
	f.st.fail.Store(false)
	unknown := newToken(sessionPrefix)
	for _, err := range []error{
		func() error { _, err := f.m.Resolve(ctx, unknown); return err }(),
		f.m.Destroy(ctx, unknown),
		f.m.RevokeAccountToken(ctx, "acc_"+unknown[4:]),
	} {
		if err == nil || strings.Contains(err.Error(), unknown[4:]) || !strings.HasPrefix(err.Error(), "session: ") {
			t.Errorf("error %q", err)
		}
	}
}
