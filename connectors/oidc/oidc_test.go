package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oidc"
	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
)

const (
	clientID     = "aurinko-client"
	clientSecret = "top-secret-value"
	redirectURL  = "https://app.example.com/v1/auth/callback"
)

var (
	alice = oidctest.User{Subject: "alice-sub", Email: "alice@example.com", Name: "Alice", OrgID: "tenant-a"}
	bob   = oidctest.User{Subject: "bob-sub", Email: "bob@example.com", Name: "Bob"}
	epoch = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
)

// recorder is an http.RoundTripper that records the paths it carried, to
// prove the configured client makes every call.
type recorder struct {
	mu    sync.Mutex
	paths []string
	fail  atomic.Bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.fail.Load() {
		return nil, errors.New("simulated network failure")
	}
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.paths)
}

type env struct {
	p   *oidctest.Provider
	c   *oidc.Connector
	rec *recorder
	now *atomic.Int64
}

func newEnv(t *testing.T, mod func(*oidctest.Options), cmod func(*oidc.Config)) *env {
	t.Helper()
	e := &env{rec: &recorder{}, now: &atomic.Int64{}}
	e.now.Store(epoch.Unix())
	clock := func() time.Time { return time.Unix(e.now.Load(), 0) }
	opts := oidctest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []oidctest.User{alice, bob}, Now: clock}
	if mod != nil {
		mod(&opts)
	}
	e.p = oidctest.New(t, opts)
	cfg := oidc.Config{
		ServiceType:  "TestOIDC",
		Issuer:       e.p.URL(),
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Scopes:       []string{"openid", "email", "profile", "offline_access"},
		ScopeMap:     map[connectors.Scope][]string{connectors.MailRead: {"mail.read"}},
		HTTPClient:   &http.Client{Transport: e.rec},
		Now:          clock,
	}
	if cmod != nil {
		cmod(&cfg)
	}
	c, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.c = c
	return e
}

type flow struct {
	state, nonce, verifier, challenge string
}

func newFlow() flow {
	v := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(v))
	return flow{state: rand.Text(), nonce: rand.Text(), verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// authorize sends the browser to the connector's authorization URL and
// returns the callback query.
func (e *env) authorize(t *testing.T, req connectors.AuthRequest) url.Values {
	t.Helper()
	u, err := e.c.AuthCodeURL(context.Background(), req)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func (e *env) signIn(t *testing.T, f flow) (*connectors.Grant, error) {
	t.Helper()
	q := e.authorize(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Nonce: f.nonce, CodeChallenge: f.challenge})
	if q.Get("state") != f.state || q.Get("code") == "" {
		t.Fatalf("callback = %v", q)
	}
	return e.c.Exchange(context.Background(), connectors.ExchangeRequest{
		Code: q.Get("code"), RedirectURL: redirectURL, CodeVerifier: f.verifier, Nonce: f.nonce,
	})
}

func TestCodeFlow_PKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	f := newFlow()
	q := e.authorize(t, connectors.AuthRequest{
		RedirectURL: redirectURL, State: f.state, Nonce: f.nonce, CodeChallenge: f.challenge,
		Scopes: []string{"mail.read"}, LoginHint: bob.Email, ForceConsent: true,
	})
	g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{
		Code: q.Get("code"), RedirectURL: redirectURL, CodeVerifier: f.verifier, Nonce: f.nonce,
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := connectors.Identity{AuthUserID: bob.Subject, Email: bob.Email, Name: bob.Name, ServiceProvider: "TestOIDC"}
	if g.Identity != want {
		t.Errorf("Identity = %+v, want %+v", g.Identity, want)
	}
	if g.Token.AccessToken == "" || g.Token.RefreshToken == "" || !g.Token.Expiry.Equal(epoch.Add(time.Hour)) {
		t.Errorf("Token = access %t refresh %t expiry %v", g.Token.AccessToken != "", g.Token.RefreshToken != "", g.Token.Expiry)
	}
	if !slices.Equal(g.Scopes, []string{"openid", "email", "profile", "offline_access", "mail.read"}) {
		t.Errorf("Scopes = %v", g.Scopes)
	}

	ar := e.p.AuthorizeRequests()
	if len(ar) != 1 {
		t.Fatalf("AuthorizeRequests = %v", ar)
	}
	a := ar[0]
	for k, v := range map[string]string{
		"code_challenge_method": "S256", "code_challenge": f.challenge, "nonce": f.nonce, "state": f.state,
		"login_hint": bob.Email, "prompt": "consent", "scope": "openid email profile offline_access mail.read",
		"client_id": clientID, "redirect_uri": redirectURL, "response_type": "code",
	} {
		if a.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, a.Get(k), v)
		}
	}
	tr := e.p.TokenRequests()
	if len(tr) != 1 || tr[0].Get("code_verifier") != f.verifier || tr[0].Get("grant_type") != "authorization_code" {
		t.Errorf("TokenRequests = %v", tr)
	}
	// The configured client made discovery, JWKS and token calls.
	seen := e.rec.seen()
	for _, path := range []string{"/.well-known/openid-configuration", "/keys", "/token"} {
		if !slices.Contains(seen, path) {
			t.Errorf("configured client never carried %s (saw %v)", path, seen)
		}
	}
	if slices.Contains(seen, "/userinfo") {
		t.Errorf("userinfo asked although the id_token had email and name")
	}
}

func TestExchange_identity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mod     func(*oidctest.Options)
		cmod    func(*oidc.Config)
		want    connectors.Identity
		wantUI  bool
		wantErr bool
	}{
		{
			name: "org claim tid",
			want: connectors.Identity{AuthUserID: alice.Subject, AuthOrgID: alice.OrgID, Email: alice.Email, Name: alice.Name, ServiceProvider: "TestOIDC"},
		},
		{
			name: "org claim configured and absent",
			cmod: func(c *oidc.Config) { c.OrgClaim = "org_id" },
			want: connectors.Identity{AuthUserID: alice.Subject, Email: alice.Email, Name: alice.Name, ServiceProvider: "TestOIDC"},
		},
		{
			name:   "minimal id_token completed by userinfo",
			mod:    func(o *oidctest.Options) { o.MinimalIDTokens = true },
			cmod:   func(c *oidc.Config) { c.OrgClaim = "org_id" },
			want:   connectors.Identity{AuthUserID: alice.Subject, AuthOrgID: alice.OrgID, Email: alice.Email, Name: alice.Name, ServiceProvider: "TestOIDC"},
			wantUI: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.mod, tc.cmod)
			g, err := e.signIn(t, newFlow())
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if g.Identity != tc.want {
				t.Errorf("Identity = %+v, want %+v", g.Identity, tc.want)
			}
			if got := slices.Contains(e.rec.seen(), "/userinfo"); got != tc.wantUI {
				t.Errorf("userinfo called = %v, want %v", got, tc.wantUI)
			}
		})
	}
}

// forged answers a token request with this id_token.
func forged(e *env, idToken string) {
	body, _ := json.Marshal(map[string]any{
		"access_token": "at-forged", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
	})
	e.p.FailNextToken(http.StatusOK, string(body), http.Header{"Content-Type": {"application/json"}})
}

func TestExchange_refusesBadIDToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// prepare may forge the token answer; it returns the nonce the
		// exchange presents ("" keeps the flow's).
		prepare func(e *env, f flow) string
	}{
		{"nonce mismatch", func(e *env, f flow) string { return "another-nonce" }},
		{"nonce missing from the exchange", func(e *env, f flow) string { return "-" }},
		{"wrong audience", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["aud"], c["nonce"] = "someone-else", f.nonce
			forged(e, e.p.SignIDToken(c))
			return ""
		}},
		{"wrong issuer", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["iss"], c["nonce"] = "https://evil.example.com", f.nonce
			forged(e, e.p.SignIDToken(c))
			return ""
		}},
		{"expired", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["exp"], c["nonce"] = epoch.Add(-time.Minute).Unix(), f.nonce
			forged(e, e.p.SignIDToken(c))
			return ""
		}},
		{"tampered payload", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["nonce"] = f.nonce
			parts := strings.Split(e.p.SignIDToken(c), ".")
			c["sub"] = bob.Subject
			payload, _ := json.Marshal(c)
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			forged(e, strings.Join(parts, "."))
			return ""
		}},
		{"unsigned (alg none)", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["nonce"] = f.nonce
			payload, _ := json.Marshal(c)
			forged(e, base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))+"."+base64.RawURLEncoding.EncodeToString(payload)+".")
			return ""
		}},
		{"at_hash mismatch", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["nonce"], c["at_hash"] = f.nonce, "AAAAAAAAAAAAAAAAAAAAAA"
			forged(e, e.p.SignIDToken(c))
			return ""
		}},
		{"no sub", func(e *env, f flow) string {
			c := e.p.IDTokenClaims(alice.Subject)
			c["nonce"] = f.nonce
			delete(c, "sub")
			forged(e, e.p.SignIDToken(c))
			return ""
		}},
		{"no id_token", func(e *env, f flow) string {
			e.p.FailNextToken(http.StatusOK, `{"access_token":"at-x","token_type":"Bearer"}`, http.Header{"Content-Type": {"application/json"}})
			return ""
		}},
		{"garbage id_token", func(e *env, f flow) string {
			forged(e, "not.a.jwt")
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			f := newFlow()
			q := e.authorize(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Nonce: f.nonce, CodeChallenge: f.challenge})
			nonce := f.nonce
			switch n := tc.prepare(e, f); n {
			case "":
			case "-":
				nonce = ""
			default:
				nonce = n
			}
			g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{
				Code: q.Get("code"), RedirectURL: redirectURL, CodeVerifier: f.verifier, Nonce: nonce,
			})
			t.Log(err)
			if !errors.Is(err, connectors.ErrIdentity) {
				t.Fatalf("Exchange = %+v, %v; want ErrIdentity", g, err)
			}
			if !strings.HasPrefix(err.Error(), "oidc: ") {
				t.Errorf("error %q lacks the oidc: prefix", err)
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		rotate bool
	}{{"provider omits the refresh token", false}, {"provider rotates", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *oidctest.Options) { o.RotateRefreshTokens = tc.rotate }, nil)
			g, err := e.signIn(t, newFlow())
			if err != nil {
				t.Fatal(err)
			}
			e.now.Add(600)
			tok, err := e.c.Refresh(context.Background(), g.Token)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if tok.AccessToken == "" || tok.AccessToken == g.Token.AccessToken || !tok.Expiry.Equal(epoch.Add(600*time.Second+time.Hour)) {
				t.Errorf("refreshed token: new access %t, expiry %v", tok.AccessToken != g.Token.AccessToken, tok.Expiry)
			}
			if rotated := tok.RefreshToken != g.Token.RefreshToken; rotated != tc.rotate || tok.RefreshToken == "" {
				t.Fatalf("refresh token rotated = %v, want %v", rotated, tc.rotate)
			}
			// The kept (or the new) refresh token keeps working.
			if _, err := e.c.Refresh(context.Background(), tok); err != nil {
				t.Fatalf("second Refresh: %v", err)
			}
			if tc.rotate {
				_, err := e.c.Refresh(context.Background(), g.Token)
				var te *connectors.TokenError
				if !errors.As(err, &te) || te.Code != "invalid_grant" {
					t.Fatalf("old refresh token after rotation: %v", err)
				}
			}
			if tr := e.p.TokenRequests(); tr[1].Get("grant_type") != "refresh_token" || tr[1].Get("refresh_token") != g.Token.RefreshToken {
				t.Errorf("refresh request = %v", tr[1])
			}
		})
	}
}

func TestRefresh_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		prepare      func(e *env)
		wantCode     string
		wantStatus   int
		wantRetry    time.Duration
		wantTerminal bool
	}{
		{
			name:     "revoked user",
			prepare:  func(e *env) { e.p.RevokeUser(alice.Subject) },
			wantCode: "invalid_grant", wantStatus: 400, wantTerminal: true,
		},
		{
			name: "503 HTML page",
			prepare: func(e *env) {
				e.p.FailNextToken(503, "<html><body><h1>Service Unavailable</h1></body></html>", http.Header{"Content-Type": {"text/html; charset=utf-8"}})
			},
			wantStatus: 503,
		},
		{
			name: "429 with Retry-After",
			prepare: func(e *env) {
				e.p.FailNextToken(429, `{"error":"slow_down"}`, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"30"}})
			},
			wantCode: "slow_down", wantStatus: 429, wantRetry: 30 * time.Second,
		},
		{
			name: "garbage with 200",
			prepare: func(e *env) {
				e.p.FailNextToken(200, "\x00\x01garbage", http.Header{"Content-Type": {"application/json"}})
			},
		},
		{
			name:    "network failure",
			prepare: func(e *env) { e.rec.fail.Store(true) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			g, err := e.signIn(t, newFlow())
			if err != nil {
				t.Fatal(err)
			}
			tc.prepare(e)
			_, err = e.c.Refresh(context.Background(), g.Token)
			t.Log(err)
			var te *connectors.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Refresh err = %T %v, want *connectors.TokenError", err, err)
			}
			if te.Code != tc.wantCode || te.Status != tc.wantStatus || te.RetryAfter != tc.wantRetry || te.Terminal() != tc.wantTerminal {
				t.Fatalf("TokenError = %+v terminal %v", te, te.Terminal())
			}
			for _, secret := range []string{g.Token.RefreshToken, g.Token.AccessToken, clientSecret, "Service Unavailable"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
	e := newEnv(t, nil, nil)
	if _, err := e.c.Refresh(context.Background(), &xoauth2.Token{AccessToken: "x"}); err == nil {
		t.Error("Refresh without a refresh token succeeded")
	}
}

func TestExchange_tokenErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	f := newFlow()
	q := e.authorize(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Nonce: f.nonce, CodeChallenge: f.challenge})
	req := connectors.ExchangeRequest{Code: q.Get("code"), RedirectURL: redirectURL, CodeVerifier: f.verifier, Nonce: f.nonce}
	if _, err := e.c.Exchange(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Exchange(context.Background(), req)
	var te *connectors.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || !te.Terminal() {
		t.Fatalf("reused code: %v", err)
	}

	wrongVerifier := newFlow()
	q = e.authorize(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Nonce: f.nonce, CodeChallenge: f.challenge})
	_, err = e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: q.Get("code"), RedirectURL: redirectURL, CodeVerifier: wrongVerifier.verifier, Nonce: f.nonce})
	if !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Fatalf("wrong verifier: %v", err)
	}
}

func TestNew_errors(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t, oidctest.Options{ClientID: clientID, ClientSecret: clientSecret})
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>"+strings.Repeat("x", 10000)+"</html>")
	}))
	t.Cleanup(html.Close)
	var plainHTTP *httptest.Server
	plainHTTP = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"issuer":"`+plainHTTP.URL+`","authorization_endpoint":"http://idp.example.com/auth","token_endpoint":"https://idp.example.com/token","jwks_uri":"https://idp.example.com/keys"}`)
	}))
	t.Cleanup(plainHTTP.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	base := oidc.Config{ServiceType: "X", Issuer: p.URL(), ClientID: clientID, ClientSecret: clientSecret}
	tests := []struct {
		name    string
		mod     func(*oidc.Config)
		wantErr string
	}{
		{"no service type", func(c *oidc.Config) { c.ServiceType = "" }, "ServiceType is required"},
		{"no client id", func(c *oidc.Config) { c.ClientID = "" }, "ClientID is required"},
		{"no issuer", func(c *oidc.Config) { c.Issuer = "" }, "Issuer is required"},
		{"relative issuer", func(c *oidc.Config) { c.Issuer = "/issuer" }, "not an absolute URL"},
		{"http issuer", func(c *oidc.Config) { c.Issuer = "http://idp.example.com" }, "must use https"},
		{"discovery 404", func(c *oidc.Config) { c.Issuer = notFound.URL }, "discovery of issuer"},
		{"discovery HTML", func(c *oidc.Config) { c.Issuer = html.URL }, "discovery of issuer"},
		{"issuer mismatch", func(c *oidc.Config) { c.Issuer = p.URL() + "/" }, "discovery of issuer"},
		{"unreachable", func(c *oidc.Config) { c.Issuer = closed.URL }, "discovery of issuer"},
		{"insecure endpoint", func(c *oidc.Config) { c.Issuer = plainHTTP.URL }, "authorization_endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			tc.mod(&cfg)
			c, err := oidc.New(context.Background(), cfg)
			t.Log(err)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "oidc: ") {
				t.Fatalf("New = %v, %v; want an error containing %q", c, err, tc.wantErr)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestNativeScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	got, err := e.c.NativeScopes([]connectors.Scope{connectors.MailRead})
	if err != nil || !slices.Equal(got, []string{"openid", "email", "profile", "offline_access", "mail.read"}) {
		t.Errorf("NativeScopes = %v, %v", got, err)
	}
	if _, err := e.c.NativeScopes([]connectors.Scope{connectors.CalendarRead}); !errors.Is(err, connectors.ErrUnsupportedScope) {
		t.Errorf("unmapped scope: %v", err)
	}

	plain := newEnv(t, nil, func(c *oidc.Config) { c.Scopes, c.ScopeMap = nil, nil })
	if got, err := plain.c.NativeScopes(nil); err != nil || !slices.Equal(got, []string{"openid", "email", "profile"}) {
		t.Errorf("default scopes = %v, %v", got, err)
	}
	if _, err := plain.c.NativeScopes([]connectors.Scope{connectors.MailRead}); !errors.Is(err, connectors.ErrUnsupportedScope) {
		t.Errorf("nil ScopeMap: %v", err)
	}
	if plain.c.ServiceType() != "TestOIDC" {
		t.Errorf("ServiceType = %q", plain.c.ServiceType())
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *oidc.Config) { c.Scopes = []string{"email"} })
	tests := []struct {
		name    string
		req     connectors.AuthRequest
		want    map[string]string // "" means absent
		wantErr bool
	}{
		{
			name: "minimal",
			req:  connectors.AuthRequest{RedirectURL: redirectURL, State: "s1"},
			want: map[string]string{"state": "s1", "scope": "openid email", "nonce": "", "code_challenge": "", "code_challenge_method": "", "prompt": "", "login_hint": ""},
		},
		{
			name: "everything",
			req:  connectors.AuthRequest{RedirectURL: redirectURL, State: "s2", Scopes: []string{"email", "x"}, Nonce: "n", CodeChallenge: "c", LoginHint: "a@b.c", ForceConsent: true},
			want: map[string]string{"scope": "openid email x", "nonce": "n", "code_challenge": "c", "code_challenge_method": "S256", "prompt": "consent", "login_hint": "a@b.c"},
		},
		{name: "no state", req: connectors.AuthRequest{RedirectURL: redirectURL}, wantErr: true},
		{name: "no redirect", req: connectors.AuthRequest{State: "s"}, wantErr: true},
	}
	for _, tc := range tests {
		raw, err := e.c.AuthCodeURL(context.Background(), tc.req)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		u, perr := url.Parse(raw)
		if err != nil || perr != nil || !strings.HasPrefix(raw, e.p.AuthURL()+"?") {
			t.Fatalf("%s: AuthCodeURL = %q, %v", tc.name, raw, err)
		}
		for k, v := range tc.want {
			if got := u.Query().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got, v)
			}
		}
	}
}

// rewrittenDiscovery serves the fake's discovery document changed by mod,
// under its own issuer URL.
func rewrittenDiscovery(t *testing.T, p *oidctest.Provider, mod func(map[string]any)) string {
	t.Helper()
	resp, err := http.Get(p.URL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := make(map[string]any, len(doc))
		for k, v := range doc {
			d[k] = v
		}
		d["issuer"] = srv.URL
		mod(d)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(d)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	g, err := e.signIn(t, newFlow())
	if err != nil {
		t.Fatal(err)
	}
	if !e.c.CanRevoke() {
		t.Fatal("CanRevoke = false with a revocation_endpoint")
	}
	if err := e.c.Revoke(context.Background(), g.Token); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	rr := e.p.RevokeRequests()
	if len(rr) != 1 || rr[0].Get("token") != g.Token.RefreshToken || rr[0].Get("token_type_hint") != "refresh_token" {
		t.Fatalf("RevokeRequests = %v", rr)
	}
	if !slices.Contains(e.rec.seen(), "/revoke") {
		t.Error("revocation did not use the configured client")
	}
	_, err = e.c.Refresh(context.Background(), g.Token)
	var te *connectors.TokenError
	if !errors.As(err, &te) || !te.Terminal() {
		t.Fatalf("Refresh after Revoke: %v", err)
	}
	if err := e.c.Revoke(context.Background(), g.Token); err != nil {
		t.Fatalf("revoking again: %v", err)
	}

	wrong := newEnv(t, nil, func(c *oidc.Config) { c.ClientSecret = "wrong" })
	err = wrong.c.Revoke(context.Background(), &xoauth2.Token{RefreshToken: "rt"})
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.Status != 401 {
		t.Fatalf("Revoke with a wrong secret: %v", err)
	}

	issuer := rewrittenDiscovery(t, e.p, func(d map[string]any) { delete(d, "revocation_endpoint") })
	c, err := oidc.New(context.Background(), oidc.Config{ServiceType: "X", Issuer: issuer, ClientID: clientID, ClientSecret: clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	if c.CanRevoke() {
		t.Error("CanRevoke = true without a revocation_endpoint")
	}
	if err := c.Revoke(context.Background(), g.Token); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Revoke without endpoint = %v, want errors.ErrUnsupported", err)
	}
}

func TestAuthStyleAndPKCEFromDiscovery(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t, oidctest.Options{ClientID: clientID, ClientSecret: clientSecret})
	issuer := rewrittenDiscovery(t, p, func(d map[string]any) {
		d["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
		d["code_challenge_methods_supported"] = []string{"plain"}
	})
	c, err := oidc.New(context.Background(), oidc.Config{ServiceType: "X", Issuer: issuer, ClientID: clientID, ClientSecret: clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow()
	raw, err := c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, CodeChallenge: f.challenge})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(raw); u.Query().Has("code_challenge") {
		t.Errorf("PKCE sent to a provider without S256: %s", raw)
	}
	// The id_token's issuer is the fake's, so the identity fails; the
	// token request shows the client authentication used.
	_, _ = c.Exchange(context.Background(), connectors.ExchangeRequest{Code: "whatever", RedirectURL: redirectURL, CodeVerifier: f.verifier})
	tr := p.TokenRequests()
	if len(tr) != 1 || tr[0].Get("client_id") != clientID || tr[0].Has("code_verifier") {
		t.Fatalf("token request = %v, want client_secret_post and no verifier", tr)
	}
}

func TestConcurrentSignIns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			f := newFlow()
			u, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Nonce: f.nonce, CodeChallenge: f.challenge})
			if err != nil {
				t.Error(err)
				return
			}
			browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := browser.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: loc.Query().Get("code"), RedirectURL: redirectURL, CodeVerifier: f.verifier, Nonce: f.nonce})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := e.c.Refresh(context.Background(), g.Token); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
