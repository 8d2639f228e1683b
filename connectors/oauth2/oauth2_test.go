package oauth2_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
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
	"github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
)

const (
	clientID     = "crm-client"
	clientSecret = "crm-secret-value"
	redirectURL  = "https://app.example.com/v1/auth/callback"
)

var (
	alice = oidctest.User{Subject: "005xx000001Sv6e", Email: "alice@crm.example.com", Name: "Alice", OrgID: "00Dxx0000001gEH"}
	epoch = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
)

// recorder records the paths the configured client carried.
type recorder struct {
	mu    sync.Mutex
	paths []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
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
	c   *oauth2.Connector
	rec *recorder
	now *atomic.Int64
}

func newEnv(t *testing.T, mod func(*oidctest.Options), cmod func(*oauth2.Config)) *env {
	t.Helper()
	e := &env{rec: &recorder{}, now: &atomic.Int64{}}
	e.now.Store(epoch.Unix())
	clock := func() time.Time { return time.Unix(e.now.Load(), 0) }
	opts := oidctest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []oidctest.User{alice}, Now: clock}
	if mod != nil {
		mod(&opts)
	}
	return e.with(t, oidctest.New(t, opts), cmod)
}

// with returns an env with its own connector on provider p, which may be
// shared by parallel tests that do not use its one-shot switches.
func (e *env) with(t *testing.T, p *oidctest.Provider, cmod func(*oauth2.Config)) *env {
	t.Helper()
	e = &env{p: p, rec: &recorder{}, now: e.now}
	clock := func() time.Time { return time.Unix(e.now.Load(), 0) }
	cfg := oauth2.Config{
		ServiceType:     "TestCRM",
		ClientID:        clientID,
		ClientSecret:    clientSecret,
		AuthURL:         e.p.AuthURL(),
		TokenURL:        e.p.TokenURL(),
		UserInfoURL:     e.p.UserInfoURL(),
		RevokeURL:       e.p.RevokeURL(),
		APIBaseURL:      "https://api.crm.example.com/v2",
		Scopes:          []string{"api", "refresh_token"},
		ScopeMap:        map[connectors.Scope][]string{connectors.ContactsRead: {"contacts.read"}},
		AuthStyle:       xoauth2.AuthStyleInParams,
		PKCE:            true,
		UserInfo:        oauth2.UserInfoFields{Org: "org_id"},
		ExtraAuthParams: url.Values{"access_type": {"offline"}},
		HTTPClient:      &http.Client{Transport: e.rec},
		Now:             clock,
	}
	if cmod != nil {
		cmod(&cfg)
	}
	c, err := oauth2.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.c = c
	return e
}

type flow struct{ state, verifier, challenge string }

func newFlow() flow {
	v := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(v))
	return flow{state: rand.Text(), verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

func (e *env) code(t *testing.T, req connectors.AuthRequest) string {
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
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != req.State {
		t.Fatalf("authorize answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func (e *env) signIn(t *testing.T) *connectors.Grant {
	t.Helper()
	f := newFlow()
	code := e.code(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, CodeChallenge: f.challenge})
	g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: code, RedirectURL: redirectURL, CodeVerifier: f.verifier})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return g
}

func TestCodeFlow_PKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	f := newFlow()
	code := e.code(t, connectors.AuthRequest{
		RedirectURL: redirectURL, State: f.state, CodeChallenge: f.challenge, Nonce: "ignored",
		Scopes: []string{"contacts.read"}, LoginHint: alice.Email, ForceConsent: true,
	})
	g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: code, RedirectURL: redirectURL, CodeVerifier: f.verifier})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := connectors.Identity{AuthUserID: alice.Subject, AuthOrgID: alice.OrgID, Email: alice.Email, Name: alice.Name, ServiceProvider: "TestCRM"}
	if g.Identity != want {
		t.Errorf("Identity = %+v, want %+v", g.Identity, want)
	}
	if g.Token.RefreshToken == "" || !g.Token.Expiry.Equal(epoch.Add(time.Hour)) {
		t.Errorf("Token: refresh %t, expiry %v", g.Token.RefreshToken != "", g.Token.Expiry)
	}
	if !slices.Equal(g.Scopes, []string{"api", "refresh_token", "contacts.read"}) {
		t.Errorf("Scopes = %v", g.Scopes)
	}
	a := e.p.AuthorizeRequests()[0]
	for k, v := range map[string]string{
		"code_challenge_method": "S256", "code_challenge": f.challenge, "access_type": "offline",
		"scope": "api refresh_token contacts.read", "login_hint": alice.Email, "prompt": "consent", "nonce": "",
	} {
		if a.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, a.Get(k), v)
		}
	}
	tr := e.p.TokenRequests()[0]
	if tr.Get("code_verifier") != f.verifier || tr.Get("client_id") != clientID {
		t.Errorf("token request = %v, want the verifier and client_secret_post", tr)
	}
	for _, path := range []string{"/token", "/userinfo"} {
		if !slices.Contains(e.rec.seen(), path) {
			t.Errorf("configured client never carried %s", path)
		}
	}
}

func TestCodeFlow_withoutPKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *oauth2.Config) { c.PKCE = false; c.AuthStyle = xoauth2.AuthStyleInHeader })
	f := newFlow()
	code := e.code(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, CodeChallenge: f.challenge})
	if a := e.p.AuthorizeRequests()[0]; a.Has("code_challenge") || a.Has("code_challenge_method") {
		t.Errorf("PKCE sent with Config.PKCE false: %v", a)
	}
	if _, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: code, RedirectURL: redirectURL, CodeVerifier: f.verifier}); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tr := e.p.TokenRequests()[0]; tr.Has("code_verifier") || tr.Has("client_id") {
		t.Errorf("token request = %v, want no verifier and HTTP Basic", tr)
	}
}

func TestExchange_PKCERequiredByProvider(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *oidctest.Options) { o.RequirePKCE = true }, func(c *oauth2.Config) { c.PKCE = false })
	u, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL, State: "s", CodeChallenge: newFlow().challenge})
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if ce := connectors.CallbackErrorFrom(loc.Query()); ce == nil || ce.Code != "invalid_request" {
		t.Fatalf("callback = %v, want invalid_request", loc.Query())
	}
}

// userInfoServer answers every userinfo request with body and status.
func userInfoServer(t *testing.T, status int, contentType string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") {
			http.Error(w, "no bearer token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/me"
}

func TestUserInfo_answers(t *testing.T) {
	t.Parallel()
	shared := newEnv(t, nil, nil)
	huge := []byte(`{"id":"1","pad":"` + strings.Repeat("a", 1<<20) + `"}`)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		fields      oauth2.UserInfoFields
		want        connectors.Identity // zero: ErrIdentity expected
	}{
		{name: "sub", body: `{"sub":"u1","email":"a@b.c","name":"A"}`, want: connectors.Identity{AuthUserID: "u1", Email: "a@b.c", Name: "A"}},
		{name: "id when no sub", body: `{"id":"u2","email":"a@b.c"}`, want: connectors.Identity{AuthUserID: "u2", Email: "a@b.c"}},
		{name: "sub wins over id", body: `{"id":"u2","sub":"u1"}`, want: connectors.Identity{AuthUserID: "u1"}},
		{name: "id as number", body: `{"id":12345678901234567890,"email":"a@b.c"}`, want: connectors.Identity{AuthUserID: "12345678901234567890", Email: "a@b.c"}},
		{
			name:   "dotted paths (HubSpot-like)",
			body:   `{"user":{"id":42,"mail":"h@s.io","profile":{"display":"H"}},"hub_id":9876}`,
			fields: oauth2.UserInfoFields{ID: "user.id", Email: "user.mail", Name: "user.profile.display", Org: "hub_id"},
			want:   connectors.Identity{AuthUserID: "42", AuthOrgID: "9876", Email: "h@s.io", Name: "H"},
		},
		{
			name:   "Salesforce shape",
			body:   `{"user_id":"005xx","organization_id":"00Dxx","email":"s@f.com","name":"S F","urls":{"rest":"x"}}`,
			fields: oauth2.UserInfoFields{ID: "user_id", Org: "organization_id"},
			want:   connectors.Identity{AuthUserID: "005xx", AuthOrgID: "00Dxx", Email: "s@f.com", Name: "S F"},
		},
		{name: "email of the wrong type is dropped", body: `{"sub":"u1","email":["a@b.c"],"name":{"x":1}}`, want: connectors.Identity{AuthUserID: "u1"}},
		{name: "malformed org is dropped", body: `{"sub":"u1","org":true}`, fields: oauth2.UserInfoFields{Org: "org"}, want: connectors.Identity{AuthUserID: "u1"}},
		{name: "not JSON", contentType: "text/html", body: `<html>Sign in</html>`},
		{name: "JSON array", body: `[{"sub":"u1"}]`},
		{name: "JSON null", body: `null`},
		{name: "JSON string", body: `"u1"`},
		{name: "trailing data", body: `{"sub":"u1"} {"sub":"u2"}`},
		{name: "empty body", body: ``},
		{name: "missing id", body: `{"email":"a@b.c"}`},
		{name: "empty id", body: `{"sub":""}`},
		{name: "null id", body: `{"sub":null}`},
		{name: "id as float", body: `{"id":1.5}`},
		{name: "id as exponent", body: `{"id":1e3}`},
		{name: "id as boolean", body: `{"id":true}`},
		{name: "id as object", body: `{"id":{"value":"u1"}}`},
		{name: "id with control characters", body: `{"sub":"u1\n\u0000"}`},
		{name: "id too long", body: `{"sub":"` + strings.Repeat("x", 300) + `"}`},
		{name: "dotted path through a string", body: `{"user":"u1"}`, fields: oauth2.UserInfoFields{ID: "user.id"}},
		{name: "401", status: 401, body: `{"error":"invalid_token"}`},
		{name: "500 HTML", status: 500, contentType: "text/html", body: `<html>oops</html>`},
		{name: "huge", body: string(huge)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, ct := tc.status, tc.contentType
			if status == 0 {
				status = 200
			}
			if ct == "" {
				ct = "application/json"
			}
			ui := userInfoServer(t, status, ct, []byte(tc.body))
			e := shared.with(t, shared.p, func(c *oauth2.Config) { c.UserInfoURL = ui; c.UserInfo = tc.fields })
			f := newFlow()
			code := e.code(t, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, CodeChallenge: f.challenge})
			g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: code, RedirectURL: redirectURL, CodeVerifier: f.verifier})
			if tc.want == (connectors.Identity{}) {
				if !errors.Is(err, connectors.ErrIdentity) || !strings.HasPrefix(err.Error(), "oauth2: ") {
					t.Fatalf("Exchange = %+v, %v; want ErrIdentity", g, err)
				}
				if len(err.Error()) > 300 || strings.Contains(err.Error(), "Sign in") || strings.Contains(err.Error(), "at-") {
					t.Errorf("error leaks the answer or the token: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			want := tc.want
			want.ServiceProvider = "TestCRM"
			if g.Identity != want {
				t.Fatalf("Identity = %+v, want %+v", g.Identity, want)
			}
		})
	}
}

func TestExchange_serverURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, extra, want string
	}{
		{"Salesforce instance_url", `"instance_url":"https://acme.my.salesforce.com/"`, "https://acme.my.salesforce.com"},
		{"Zoho api_domain", `"api_domain":"https://www.zohoapis.eu"`, "https://www.zohoapis.eu"},
		{"insecure instance_url ignored", `"instance_url":"http://evil.example.com"`, ""},
		{"not a string", `"instance_url":42`, ""},
		{"none", `"x":1`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ui := userInfoServer(t, 200, "application/json", []byte(`{"user_id":"u1"}`))
			e := newEnv(t, nil, func(c *oauth2.Config) { c.UserInfoURL = ui; c.UserInfo.ID = "user_id" })
			e.p.FailNextToken(200, `{"access_token":"at-sf","token_type":"Bearer","refresh_token":"rt-sf",`+tc.extra+`}`, http.Header{"Content-Type": {"application/json"}})
			g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: "c", RedirectURL: redirectURL})
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if g.Identity.ServerURL != tc.want {
				t.Fatalf("ServerURL = %q, want %q", g.Identity.ServerURL, tc.want)
			}
			if g.Scopes != nil {
				t.Errorf("Scopes = %v, want nil when the provider sends none", g.Scopes)
			}
			wantBase := tc.want
			if wantBase == "" {
				wantBase = "https://api.crm.example.com/v2"
			}
			if got := e.c.APIBaseURL(g.Identity.ServerURL); got != wantBase {
				t.Errorf("APIBaseURL = %q, want %q", got, wantBase)
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
			g := e.signIn(t)
			e.now.Add(120)
			tok, err := e.c.Refresh(context.Background(), g.Token)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if tok.AccessToken == g.Token.AccessToken || !tok.Expiry.Equal(epoch.Add(120*time.Second+time.Hour)) {
				t.Errorf("refreshed: new access %t, expiry %v", tok.AccessToken != g.Token.AccessToken, tok.Expiry)
			}
			if rotated := tok.RefreshToken != g.Token.RefreshToken; rotated != tc.rotate || tok.RefreshToken == "" {
				t.Fatalf("rotated = %v, want %v", rotated, tc.rotate)
			}
			if _, err := e.c.Refresh(context.Background(), tok); err != nil {
				t.Fatalf("refreshing with the stored refresh token: %v", err)
			}
			if n := e.p.RefreshCount(); n != 2 {
				t.Errorf("RefreshCount = %d, want 2", n)
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
		{"revoked user", func(e *env) { e.p.RevokeUser(alice.Subject) }, "invalid_grant", 400, 0, true},
		{"503 HTML page", func(e *env) {
			e.p.FailNextToken(503, "<html><body>Service Unavailable</body></html>", http.Header{"Content-Type": {"text/html"}})
		}, "", 503, 0, false},
		{"429 with Retry-After", func(e *env) {
			e.p.FailNextToken(429, "Too Many Requests", http.Header{"Content-Type": {"text/plain"}, "Retry-After": {"17"}})
		}, "", 429, 17 * time.Second, false},
		{"429 with a Retry-After date", func(e *env) {
			e.p.FailNextToken(429, "", http.Header{"Retry-After": {epoch.Add(time.Minute).Format(http.TimeFormat)}})
		}, "", 429, time.Minute, false},
		{"invalid_client", func(e *env) {
			e.p.FailNextToken(401, `{"error":"invalid_client","error_description":"bad secret"}`, http.Header{"Content-Type": {"application/json"}})
		}, "invalid_client", 401, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			g := e.signIn(t)
			tc.prepare(e)
			_, err := e.c.Refresh(context.Background(), g.Token)
			var te *connectors.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Refresh err = %T %v", err, err)
			}
			if te.Code != tc.wantCode || te.Status != tc.wantStatus || te.RetryAfter != tc.wantRetry || te.Terminal() != tc.wantTerminal {
				t.Fatalf("TokenError = %+v terminal %v", te, te.Terminal())
			}
			for _, secret := range []string{g.Token.RefreshToken, clientSecret, "Service Unavailable"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
}

func TestNew_validation(t *testing.T) {
	t.Parallel()
	base := oauth2.Config{
		ServiceType: "CRM", ClientID: "id", ClientSecret: "secret",
		AuthURL: "https://crm.example.com/oauth/authorize", TokenURL: "https://crm.example.com/oauth/token",
		UserInfoURL: "https://crm.example.com/oauth/userinfo",
	}
	tests := []struct {
		name    string
		mod     func(*oauth2.Config)
		wantErr string // "" means valid
	}{
		{"valid", func(c *oauth2.Config) {}, ""},
		{"loopback http", func(c *oauth2.Config) {
			c.TokenURL = "http://127.0.0.1:8080/token"
			c.AuthURL = "http://localhost/auth"
		}, ""},
		{"IPv6 loopback http", func(c *oauth2.Config) { c.TokenURL = "http://[::1]:8080/token" }, ""},
		{"no service type", func(c *oauth2.Config) { c.ServiceType = " " }, "ServiceType is required"},
		{"no client id", func(c *oauth2.Config) { c.ClientID = "" }, "ClientID is required"},
		{"no auth URL", func(c *oauth2.Config) { c.AuthURL = "" }, "AuthURL is required"},
		{"no token URL", func(c *oauth2.Config) { c.TokenURL = "" }, "TokenURL is required"},
		{"no userinfo URL", func(c *oauth2.Config) { c.UserInfoURL = "" }, "UserInfoURL is required"},
		{"relative token URL", func(c *oauth2.Config) { c.TokenURL = "/oauth/token" }, "not an absolute URL"},
		{"http token URL", func(c *oauth2.Config) { c.TokenURL = "http://crm.example.com/token" }, "must use https"},
		{"http lookalike loopback", func(c *oauth2.Config) { c.TokenURL = "http://127.0.0.1.evil.com/token" }, "must use https"},
		{"ftp revoke URL", func(c *oauth2.Config) { c.RevokeURL = "ftp://crm.example.com/revoke" }, "must use https"},
		{"credentials in URL", func(c *oauth2.Config) { c.APIBaseURL = "https://user:pw@crm.example.com" }, "not an absolute URL"},
		{"reserved extra param", func(c *oauth2.Config) { c.ExtraAuthParams = url.Values{"State": {"x"}} }, `cannot set "State"`},
		{"unknown auth style", func(c *oauth2.Config) { c.AuthStyle = 7 }, "AuthStyle"},
	}
	for _, tc := range tests {
		cfg := base
		tc.mod(&cfg)
		c, err := oauth2.New(cfg)
		if tc.wantErr == "" {
			if err != nil || c == nil {
				t.Errorf("%s: New = %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "oauth2: ") {
			t.Errorf("%s: New err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	g := e.signIn(t)
	if !e.c.CanRevoke() {
		t.Fatal("CanRevoke = false")
	}
	if err := e.c.Revoke(context.Background(), g.Token); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	rr := e.p.RevokeRequests()
	if len(rr) != 1 || rr[0].Get("token_type_hint") != "refresh_token" || rr[0].Get("client_id") != clientID {
		t.Fatalf("RevokeRequests = %v", rr)
	}
	_, err := e.c.Refresh(context.Background(), g.Token)
	var te *connectors.TokenError
	if !errors.As(err, &te) || !te.Terminal() {
		t.Fatalf("Refresh after Revoke: %v", err)
	}
	if err := e.c.Revoke(context.Background(), &xoauth2.Token{AccessToken: "at-unknown"}); err != nil {
		t.Fatalf("revoking an unknown access token: %v", err)
	}

	basic := newEnv(t, nil, func(c *oauth2.Config) { c.AuthStyle = xoauth2.AuthStyleInHeader; c.ClientSecret = "wrong" })
	err = basic.c.Revoke(context.Background(), &xoauth2.Token{RefreshToken: "rt"})
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.Status != 401 || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("Revoke with a wrong secret: %v", err)
	}
	if rr := basic.p.RevokeRequests(); len(rr) != 1 || rr[0].Has("client_id") {
		t.Errorf("HTTP Basic revocation sent the client in the form: %v", rr)
	}

	none := newEnv(t, nil, func(c *oauth2.Config) { c.RevokeURL = "" })
	if none.c.CanRevoke() {
		t.Error("CanRevoke = true without RevokeURL")
	}
	if err := none.c.Revoke(context.Background(), g.Token); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Revoke without RevokeURL = %v", err)
	}
}

func TestNativeScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	got, err := e.c.NativeScopes([]connectors.Scope{connectors.ContactsRead})
	if err != nil || !slices.Equal(got, []string{"api", "refresh_token", "contacts.read"}) {
		t.Errorf("NativeScopes = %v, %v", got, err)
	}
	if _, err := e.c.NativeScopes([]connectors.Scope{connectors.MailRead}); !errors.Is(err, connectors.ErrUnsupportedScope) {
		t.Errorf("unmapped scope: %v", err)
	}
	if e.c.ServiceType() != "TestCRM" {
		t.Errorf("ServiceType = %q", e.c.ServiceType())
	}
	if _, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL}); err == nil {
		t.Error("AuthCodeURL without state succeeded")
	}
}
