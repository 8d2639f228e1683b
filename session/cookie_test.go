package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCookieName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct{ app, want string }{
		{"app", "aurinko_session_app"},
		{"App_42", "aurinko_session_App_42"},
		{"my-app.x", "aurinko_session_my-2Dapp-2Ex"},
		{"a b;c=d", "aurinko_session_a-20b-3Bc-3Dd"},
		{"é", "aurinko_session_-C3-A9"},
		{"", "aurinko_session_"},
	}
	names := map[string]string{}
	for _, tc := range tests {
		got := f.m.CookieName(tc.app)
		if got != tc.want {
			t.Errorf("CookieName(%q) = %q, want %q", tc.app, got, tc.want)
		}
		if tc.app != "" {
			if err := (&http.Cookie{Name: got, Value: "v"}).Valid(); err != nil {
				t.Errorf("CookieName(%q) = %q is not a valid cookie name: %v", tc.app, got, err)
			}
		}
		names[got] = tc.app
	}
	// One-to-one: ids that an escape could confuse stay apart.
	for _, pair := range [][2]string{{"a-2D", "a-"}, {"a.b", "a-2Eb"}, {"a_b", "a-5Fb"}} {
		if f.m.CookieName(pair[0]) == f.m.CookieName(pair[1]) {
			t.Errorf("CookieName(%q) == CookieName(%q)", pair[0], pair[1])
		}
	}
	m := newFixture(t, func(c *Config) { c.CookiePrefix = "__Host-sid" }).m
	if got := m.CookieName("x"); got != "__Host-sid_x" {
		t.Errorf("custom prefix: %q", got)
	}
}

func TestSetCookie_attributes(t *testing.T) {
	t.Parallel()
	const lifetime = 90 * 24 * 60 * 60
	tests := []struct {
		name string
		cfg  func(*Config)
		// want holds attributes that must be in the Set-Cookie header;
		// wantNot those that must not.
		want, wantNot []string
		sameSite      http.SameSite
		secure        bool
		path, domain  string
	}{
		{
			name: "defaults", want: []string{"HttpOnly", "Secure", "SameSite=None", "Path=/"},
			wantNot: []string{"Partitioned", "Domain="}, sameSite: http.SameSiteNoneMode, secure: true, path: "/",
		},
		{
			name: "partitioned", cfg: func(c *Config) { c.CookiePartitioned = true },
			want: []string{"HttpOnly", "Secure", "SameSite=None", "Partitioned"}, sameSite: http.SameSiteNoneMode, secure: true, path: "/",
		},
		{
			name: "path and domain", cfg: func(c *Config) { c.CookiePath, c.CookieDomain = "/v1", "api.example.com" },
			want: []string{"Path=/v1", "Domain=api.example.com", "Secure"}, sameSite: http.SameSiteNoneMode, secure: true, path: "/v1", domain: "api.example.com",
		},
		{
			name: "insecure", cfg: func(c *Config) { c.InsecureCookies = true },
			want: []string{"HttpOnly", "SameSite=Lax"}, wantNot: []string{"Secure", "SameSite=None", "Partitioned"}, sameSite: http.SameSiteLaxMode, path: "/",
		},
		{
			name: "insecure drops partitioned", cfg: func(c *Config) { c.InsecureCookies, c.CookiePartitioned = true, true },
			want: []string{"HttpOnly", "SameSite=Lax"}, wantNot: []string{"Secure", "Partitioned"}, sameSite: http.SameSiteLaxMode, path: "/",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.cfg)
			tok, s, err := f.m.Create(context.Background(), appX, "alice", 0)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			f.m.SetCookie(rec, appX, tok, s)
			raw := rec.Header().Values("Set-Cookie")
			if len(raw) != 1 {
				t.Fatalf("Set-Cookie = %q", raw)
			}
			c, err := http.ParseSetCookie(raw[0])
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != "aurinko_session_app-2Dx" || c.Value != tok || !c.HttpOnly || c.Secure != tc.secure || c.SameSite != tc.sameSite ||
				c.Path != tc.path || c.Domain != tc.domain || c.MaxAge != lifetime || !c.Expires.Equal(s.ExpiresAt) {
				t.Fatalf("cookie %+v from %q", c, raw[0])
			}
			attrs := strings.Split(raw[0], "; ")
			for _, w := range tc.want {
				if !hasAttr(attrs, w) {
					t.Errorf("Set-Cookie %q lacks %q", raw[0], w)
				}
			}
			for _, w := range tc.wantNot {
				if hasAttr(attrs, w) {
					t.Errorf("Set-Cookie %q has %q", raw[0], w)
				}
			}
			if !hasAttr(attrs, "Max-Age="+strconv.Itoa(lifetime)) {
				t.Errorf("Set-Cookie %q: wrong Max-Age", raw[0])
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
		})
	}
}

func hasAttr(attrs []string, want string) bool {
	for _, a := range attrs {
		if a == want || strings.HasSuffix(want, "=") && strings.HasPrefix(a, want) {
			return true
		}
	}
	return false
}

func TestSetCookie_maxAgeCountsFromNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok, s, err := f.m.Create(context.Background(), appX, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(89*24*time.Hour + 500*time.Millisecond)
	rec := httptest.NewRecorder()
	f.m.SetCookie(rec, appX, tok, s)
	c, err := http.ParseSetCookie(rec.Header().Get("Set-Cookie"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxAge != 24*60*60 { // 86399.5 s rounded up
		t.Fatalf("Max-Age = %d", c.MaxAge)
	}
	// An expired session clears the cookie instead.
	f.clock.Advance(24 * time.Hour)
	rec = httptest.NewRecorder()
	f.m.SetCookie(rec, appX, tok, s)
	if got := rec.Header().Get("Set-Cookie"); strings.Contains(got, tok) || !strings.Contains(got, "Max-Age=0") {
		t.Fatalf("Set-Cookie for an expired session: %q", got)
	}
}

func TestSetCookie_refusesMalformedToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, s, err := f.m.Create(context.Background(), appX, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", "ses_x", "ses_" + strings.Repeat("a", 42) + ";", "acc_" + strings.Repeat("a", 43)} {
		rec := httptest.NewRecorder()
		f.m.SetCookie(rec, appX, tok, s)
		if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
			t.Errorf("SetCookie(%q) sent %q", tok, got)
		}
	}
}

func TestClearCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.CookiePartitioned = true; c.CookiePath = "/v1" })
	rec := httptest.NewRecorder()
	f.m.ClearCookie(rec, appX)
	raw := rec.Header().Get("Set-Cookie")
	c, err := http.ParseSetCookie(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The attributes must match the ones the cookie was set with, or the
	// browser keeps the original (a partitioned cookie is a different one).
	if c.Name != "aurinko_session_app-2Dx" || c.Value != "" || c.MaxAge != -1 || c.Path != "/v1" || !c.Secure || !c.Partitioned ||
		c.SameSite != http.SameSiteNoneMode || !strings.Contains(raw, "Max-Age=0") {
		t.Fatalf("clearing cookie %+v from %q", c, raw)
	}
}
