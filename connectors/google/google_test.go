package google_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const (
	clientID     = "1234-web.apps.googleusercontent.com"
	clientSecret = "GOCSPX-test-secret"
	redirectURL  = "https://app.example.com/v1/auth/callback"
)

// clock is a settable clock shared by the fake and the connector.
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

var (
	alice = googletest.User{Email: "alice@example.com", Name: "Alice Example", HostedDomain: "example.com",
		MessagesTotal: 42, ThreadsTotal: 17, HistoryID: 987654}
	bob   = googletest.User{Email: "bob@other.org", Name: "Bob Other", HostedDomain: "other.org"}
	carol = googletest.User{Email: "carol@gmail.com", Name: "Carol Consumer"}
	dave  = googletest.User{Email: "dave@example.com", Name: "Dave", HostedDomain: "example.com", EmailUnverified: true}
)

type env struct {
	g     *googletest.Server
	c     *google.Connector
	clock *clock
}

func newEnv(t *testing.T, mod func(*googletest.Options), cmod func(*google.Config)) *env {
	t.Helper()
	ck := &clock{t: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	opts := googletest.Options{ClientID: clientID, ClientSecret: clientSecret, RedirectURIs: []string{redirectURL},
		Users: []googletest.User{alice, bob, carol, dave}, Now: ck.Now}
	if mod != nil {
		mod(&opts)
	}
	g := googletest.New(t, opts)
	cfg := google.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoints: g.Endpoints(),
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: ck.Now}
	if cmod != nil {
		cmod(&cfg)
	}
	c, err := google.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{g: g, c: c, clock: ck}
}

// flow is the state the auth layer keeps for one sign-in.
type flow struct{ state, nonce, verifier, challenge string }

func newFlow() flow {
	v := xoauth2.GenerateVerifier()
	return flow{state: "st-" + v[:10], nonce: "n-" + v[10:20], verifier: v, challenge: xoauth2.S256ChallengeFromVerifier(v)}
}

// browser follows nothing: it stops at the redirect to redirect_uri.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize sends the browser to the connector's authorization URL and
// returns the callback query at redirect_uri.
func (e *env) authorize(t *testing.T, f flow, unified []connectors.Scope, mod func(*connectors.AuthRequest)) url.Values {
	t.Helper()
	native, err := e.c.NativeScopes(unified)
	if err != nil {
		t.Fatal(err)
	}
	req := connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Scopes: native, Nonce: f.nonce, CodeChallenge: f.challenge}
	if mod != nil {
		mod(&req)
	}
	u, err := e.c.AuthCodeURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURL+"?") {
		t.Fatalf("redirected to %q", resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != f.state {
		t.Fatalf("state = %q", loc.Query().Get("state"))
	}
	return loc.Query()
}

func (e *env) signIn(t *testing.T, unified []connectors.Scope, mod func(*connectors.AuthRequest)) *connectors.Grant {
	t.Helper()
	f := newFlow()
	q := e.authorize(t, f, unified, mod)
	g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: q.Get("code"), RedirectURL: redirectURL,
		CodeVerifier: f.verifier, Nonce: f.nonce})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCodeFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		before       int // earlier sign-ins of the same user
		force        bool
		loginHint    string
		wantUser     googletest.User
		wantPrompt   string
		wantRefresh  bool
		wantIdentity connectors.Identity
	}{
		{name: "first consent", wantUser: alice, wantRefresh: true},
		{name: "again without consent: no refresh token", before: 1, wantUser: alice},
		{name: "forced consent: a new refresh token", before: 1, force: true, wantUser: alice, wantPrompt: "consent", wantRefresh: true},
		{name: "login_hint picks the user", loginHint: bob.Email, wantUser: bob, wantRefresh: true},
		{name: "consumer account", loginHint: carol.Email, wantUser: carol, wantRefresh: true},
		{name: "unverified email is dropped", loginHint: dave.Email, wantUser: dave, wantRefresh: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			scopes := []connectors.Scope{connectors.MailRead, connectors.CalendarReadWrite}
			for range tc.before {
				e.signIn(t, scopes, nil)
			}
			f := newFlow()
			q := e.authorize(t, f, scopes, func(r *connectors.AuthRequest) { r.ForceConsent = tc.force; r.LoginHint = tc.loginHint })
			ar := e.g.AuthorizeRequests()
			sent := ar[len(ar)-1]
			for k, want := range map[string]string{
				"access_type": "offline", "include_granted_scopes": "true", "response_type": "code",
				"code_challenge": f.challenge, "code_challenge_method": "S256", "nonce": f.nonce,
				"client_id": clientID, "redirect_uri": redirectURL, "prompt": tc.wantPrompt, "login_hint": tc.loginHint,
			} {
				if got := sent.Get(k); got != want {
					t.Errorf("authorize %s = %q, want %q", k, got, want)
				}
			}
			if sent.Has("prompt") != (tc.wantPrompt != "") {
				t.Errorf("prompt sent = %v", sent.Has("prompt"))
			}
			wantScope := "openid email profile " + google.ScopeGmailReadonly + " " + google.ScopeCalendar
			if sent.Get("scope") != wantScope {
				t.Errorf("scope = %q, want %q", sent.Get("scope"), wantScope)
			}

			g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: q.Get("code"), RedirectURL: redirectURL,
				CodeVerifier: f.verifier, Nonce: f.nonce})
			if err != nil {
				t.Fatal(err)
			}
			tr := e.g.TokenRequests()
			if last := tr[len(tr)-1]; last.Get("code_verifier") != f.verifier || last.Get("grant_type") != "authorization_code" {
				t.Errorf("token request = %v", last)
			}
			u, _ := e.g.User(tc.wantUser.Email)
			want := connectors.Identity{AuthUserID: u.Subject, Email: u.Email, Name: u.Name, AuthOrgID: u.HostedDomain,
				OrgDomain: u.HostedDomain, ServiceProvider: "Google"}
			if u.EmailUnverified {
				want.Email = ""
			}
			if g.Identity != want {
				t.Errorf("identity = %+v, want %+v", g.Identity, want)
			}
			if (g.Token.RefreshToken != "") != tc.wantRefresh {
				t.Errorf("refresh token present = %v, want %v", g.Token.RefreshToken != "", tc.wantRefresh)
			}
			if g.Token.AccessToken == "" || !g.Token.Expiry.Equal(e.clock.Now().Add(3599*time.Second)) {
				t.Errorf("token = %v expiry %v", g.Token.AccessToken != "", g.Token.Expiry)
			}
			if m := e.c.MissingScopes(scopes, g.Scopes); m != nil {
				t.Errorf("MissingScopes = %v with scopes %v", m, g.Scopes)
			}
		})
	}
}

func TestAuthCodeURL_hostedDomainHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		domains []string
		want    string
	}{{nil, ""}, {[]string{"Example.com"}, "example.com"}, {[]string{"example.com", "other.org"}, ""}} {
		e := newEnv(t, nil, func(c *google.Config) { c.HostedDomains = tc.domains })
		u, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL, State: "s"})
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(u)
		if got := pu.Query().Get("hd"); got != tc.want {
			t.Errorf("HostedDomains %v: hd = %q, want %q", tc.domains, got, tc.want)
		}
	}
	e := newEnv(t, nil, nil)
	if _, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL}); err == nil {
		t.Error("AuthCodeURL without state succeeded")
	}
}

// tokenAnswer is a token endpoint answer carrying idToken.
func tokenAnswer(idToken string) string {
	b, _ := json.Marshal(map[string]any{"access_token": "ya29.forged", "expires_in": 3599, "token_type": "Bearer",
		"scope": "openid https://www.googleapis.com/auth/userinfo.email", "id_token": idToken})
	return string(b)
}

func TestExchange_idTokenChecks(t *testing.T) {
	t.Parallel()
	other := googletest.New(t, googletest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []googletest.User{alice}})
	tests := []struct {
		name     string
		opts     func(*googletest.Options)
		cfg      func(*google.Config)
		claims   func(c map[string]any, g *googletest.Server)
		sign     func(e *env, c map[string]any) string
		nonce    string
		wantErr  bool
		wantMail string
	}{
		{name: "valid", wantMail: alice.Email},
		{name: "short issuer form", opts: func(o *googletest.Options) { o.ShortIssuer = true }, wantMail: alice.Email},
		{name: "wrong audience", claims: func(c map[string]any, _ *googletest.Server) { c["aud"] = "someone-else.apps.googleusercontent.com" }, wantErr: true},
		{name: "extra audience is not for the code flow", cfg: func(c *google.Config) { c.AllowedAudiences = []string{"ext-client"} },
			claims: func(c map[string]any, _ *googletest.Server) { c["aud"] = "ext-client" }, wantErr: true},
		{name: "wrong issuer", claims: func(c map[string]any, _ *googletest.Server) { c["iss"] = "https://evil.example.com" }, wantErr: true},
		{name: "expired", claims: func(c map[string]any, _ *googletest.Server) {
			c["exp"] = time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC).Unix()
		}, wantErr: true},
		{name: "bad signature", sign: func(_ *env, c map[string]any) string { return other.MintIDToken(c) }, wantErr: true},
		{name: "alg none", sign: func(_ *env, c map[string]any) string {
			b, _ := json.Marshal(c)
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString(b) + "."
		}, wantErr: true},
		{name: "nonce mismatch", nonce: "other-nonce", wantErr: true},
		{name: "nonce missing", claims: func(c map[string]any, _ *googletest.Server) { delete(c, "nonce") }, wantErr: true},
		{name: "no sub", claims: func(c map[string]any, _ *googletest.Server) { delete(c, "sub") }, wantErr: true},
		{name: "hd allowed", cfg: func(c *google.Config) { c.HostedDomains = []string{"EXAMPLE.com"} }, wantMail: alice.Email},
		{name: "hd not allowed", cfg: func(c *google.Config) { c.HostedDomains = []string{"other.org"} }, wantErr: true},
		{name: "consumer account with HostedDomains", cfg: func(c *google.Config) { c.HostedDomains = []string{"example.com"} },
			claims: func(c map[string]any, _ *googletest.Server) { delete(c, "hd") }, wantErr: true},
		{name: "unverified email is dropped", claims: func(c map[string]any, _ *googletest.Server) { c["email_verified"] = false }},
		{name: "email_verified as string", claims: func(c map[string]any, _ *googletest.Server) { c["email_verified"] = "true" }, wantMail: alice.Email},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts, tc.cfg)
			c, _ := e.g.IDTokenClaims(alice.Email)
			c["nonce"] = "the-nonce"
			if tc.claims != nil {
				tc.claims(c, e.g)
			}
			raw := e.g.MintIDToken(c)
			if tc.sign != nil {
				raw = tc.sign(e, c)
			}
			e.g.FailNextToken(http.StatusOK, tokenAnswer(raw), http.Header{"Content-Type": {"application/json"}})
			nonce := "the-nonce"
			if tc.nonce != "" {
				nonce = tc.nonce
			}
			g, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: "4/any", RedirectURL: redirectURL, Nonce: nonce})
			if tc.wantErr {
				if !errors.Is(err, connectors.ErrIdentity) {
					t.Fatalf("err = %v, want ErrIdentity", err)
				}
				if strings.Contains(err.Error(), raw) {
					t.Error("the error quotes the id_token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Identity.Email != tc.wantMail || g.Identity.AuthOrgID != "example.com" {
				t.Errorf("identity = %+v", g.Identity)
			}
		})
	}
}

func TestExchange_grantedFewerScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	requested := []connectors.Scope{connectors.MailRead, connectors.CalendarRead, connectors.TasksReadWrite}
	e.g.GrantOnly(google.ScopeCalendarRead)
	g := e.signIn(t, requested, nil)
	if slices.Contains(g.Scopes, google.ScopeGmailReadonly) || !slices.Contains(g.Scopes, google.ScopeCalendarRead) {
		t.Fatalf("Grant.Scopes = %v", g.Scopes)
	}
	if m := e.c.MissingScopes(requested, g.Scopes); !slices.Equal(m, []connectors.Scope{connectors.MailRead, connectors.TasksReadWrite}) {
		t.Fatalf("MissingScopes = %v", m)
	}
	// Incremental authorization: the next grant includes what was
	// granted before (include_granted_scopes=true).
	g2 := e.signIn(t, []connectors.Scope{connectors.MailRead}, nil)
	if m := e.c.MissingScopes([]connectors.Scope{connectors.MailRead, connectors.CalendarRead}, g2.Scopes); m != nil {
		t.Fatalf("after incremental consent MissingScopes = %v (scopes %v)", m, g2.Scopes)
	}
}

func TestMissingScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *google.Config) {
		c.ScopeMap = google.DefaultScopeMap()
		delete(c.ScopeMap, connectors.TasksRead)
	})
	tests := []struct {
		name      string
		requested []connectors.Scope
		granted   []string
		want      []connectors.Scope
	}{
		{"all granted", []connectors.Scope{connectors.MailRead}, []string{"openid", google.ScopeGmailReadonly}, nil},
		{"none granted", []connectors.Scope{connectors.MailRead, connectors.MailSend}, []string{"openid"}, []connectors.Scope{connectors.MailRead, connectors.MailSend}},
		{"full mail allows all mail", []connectors.Scope{connectors.MailRead, connectors.MailReadWrite, connectors.MailSend, connectors.MailDrafts}, []string{google.ScopeMailFull}, nil},
		{"modify allows send and drafts", []connectors.Scope{connectors.MailSend, connectors.MailDrafts, connectors.MailAll}, []string{google.ScopeGmailModify}, []connectors.Scope{connectors.MailAll}},
		{"readonly does not allow write", []connectors.Scope{connectors.CalendarReadWrite, connectors.CalendarRead}, []string{google.ScopeCalendarRead}, []connectors.Scope{connectors.CalendarReadWrite}},
		{"write allows read", []connectors.Scope{connectors.ContactsRead, connectors.TasksReadWrite}, []string{google.ScopeContacts, google.ScopeTasks}, nil},
		{"one space-separated string", []connectors.Scope{connectors.MailSend}, []string{"openid " + google.ScopeGmailSend}, nil},
		{"unmapped scope is missing", []connectors.Scope{connectors.TasksRead}, []string{google.ScopeTasks}, []connectors.Scope{connectors.TasksRead}},
	}
	for _, tc := range tests {
		if got := e.c.MissingScopes(tc.requested, tc.granted); !slices.Equal(got, tc.want) {
			t.Errorf("%s: MissingScopes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	g := e.signIn(t, []connectors.Scope{connectors.MailRead}, nil)
	e.clock.Advance(time.Hour)
	fresh, err := e.c.Refresh(context.Background(), g.Token)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken != g.Token.RefreshToken || fresh.AccessToken == g.Token.AccessToken ||
		!fresh.Expiry.Equal(e.clock.Now().Add(3599*time.Second)) {
		t.Fatalf("refreshed = same refresh %v, new access %v, expiry %v", fresh.RefreshToken == g.Token.RefreshToken,
			fresh.AccessToken != g.Token.AccessToken, fresh.Expiry)
	}
	if e.g.RefreshCount() != 1 {
		t.Errorf("RefreshCount = %d", e.g.RefreshCount())
	}

	e.g.FailNextToken(http.StatusServiceUnavailable, "<html>busy</html>", http.Header{"Content-Type": {"text/html"}, "Retry-After": {"30"}})
	_, err = e.c.Refresh(context.Background(), g.Token)
	var te *connectors.TokenError
	if !errors.As(err, &te) || te.Terminal() || te.Status != 503 || te.RetryAfter != 30*time.Second {
		t.Fatalf("503: err = %v", err)
	}

	e.g.RevokeUser(alice.Email)
	_, err = e.c.Refresh(context.Background(), g.Token)
	if !errors.As(err, &te) || !te.Terminal() || te.Code != "invalid_grant" || te.Description != "Token has been expired or revoked." {
		t.Fatalf("after revocation: err = %v", err)
	}
	if strings.Contains(err.Error(), g.Token.RefreshToken) {
		t.Error("the error quotes the refresh token")
	}
	if _, err := e.c.Refresh(context.Background(), &xoauth2.Token{AccessToken: "x"}); err == nil {
		t.Error("Refresh without refresh token succeeded")
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tok  func(g *connectors.Grant) *xoauth2.Token
	}{
		{"refresh token", func(g *connectors.Grant) *xoauth2.Token { return g.Token }},
		{"access token only", func(g *connectors.Grant) *xoauth2.Token { return &xoauth2.Token{AccessToken: g.Token.AccessToken} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			g := e.signIn(t, []connectors.Scope{connectors.MailRead}, nil)
			if err := e.c.Revoke(context.Background(), tc.tok(g)); err != nil {
				t.Fatal(err)
			}
			rr := e.g.RevokeRequests()
			if len(rr) != 1 || rr[0].Get("token") == "" {
				t.Fatalf("RevokeRequests = %d", len(rr))
			}
			var te *connectors.TokenError
			if _, err := e.c.Refresh(context.Background(), g.Token); !errors.As(err, &te) || !te.Terminal() {
				t.Fatalf("refresh after revoke: %v", err)
			}
			// Revoking what Google no longer knows is not an error.
			if err := e.c.Revoke(context.Background(), g.Token); err != nil {
				t.Fatalf("second revoke: %v", err)
			}
			// The consent went with the grant: the next sign-in gets a
			// refresh token again without forcing consent.
			if g2 := e.signIn(t, []connectors.Scope{connectors.MailRead}, nil); g2.Token.RefreshToken == "" {
				t.Error("no refresh token after the grant was revoked")
			}
		})
	}
	e := newEnv(t, nil, nil)
	if err := e.c.Revoke(context.Background(), nil); err != nil {
		t.Errorf("Revoke(nil) = %v", err)
	}
}

func TestSignInWithToken(t *testing.T) {
	t.Parallel()
	other := googletest.New(t, googletest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []googletest.User{alice}})
	tests := []struct {
		name    string
		opts    func(*googletest.Options)
		cfg     func(*google.Config)
		user    string
		claims  func(c map[string]any)
		raw     func(e *env, c map[string]any) string
		wantErr bool
	}{
		{name: "valid", user: alice.Email},
		{name: "short issuer", opts: func(o *googletest.Options) { o.ShortIssuer = true }, user: alice.Email},
		{name: "extension audience allowed", cfg: func(c *google.Config) { c.AllowedAudiences = []string{"ext.apps.googleusercontent.com"} },
			user: alice.Email, claims: func(c map[string]any) { c["aud"] = "ext.apps.googleusercontent.com" }},
		{name: "other audience", user: alice.Email, claims: func(c map[string]any) { c["aud"] = "ext.apps.googleusercontent.com" }, wantErr: true},
		{name: "audience list with ours", user: alice.Email, claims: func(c map[string]any) { c["aud"] = []string{"x", clientID} }},
		{name: "wrong issuer", user: alice.Email, claims: func(c map[string]any) { c["iss"] = "accounts.example.com" }, wantErr: true},
		{name: "expired", user: alice.Email, claims: func(c map[string]any) { c["exp"] = time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC).Unix() }, wantErr: true},
		{name: "bad signature", user: alice.Email, raw: func(_ *env, c map[string]any) string { return other.MintIDToken(c) }, wantErr: true},
		{name: "tampered payload", user: alice.Email, raw: func(e *env, c map[string]any) string {
			parts := strings.Split(e.g.MintIDToken(c), ".")
			c["sub"] = "someone-else"
			b, _ := json.Marshal(c)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		}, wantErr: true},
		{name: "unverified email", user: dave.Email, wantErr: true},
		{name: "no email claim", user: alice.Email, claims: func(c map[string]any) { delete(c, "email"); delete(c, "email_verified") }, wantErr: true},
		{name: "hd allowed", cfg: func(c *google.Config) { c.HostedDomains = []string{"example.com"} }, user: alice.Email},
		{name: "hd not allowed", cfg: func(c *google.Config) { c.HostedDomains = []string{"example.com"} }, user: bob.Email, wantErr: true},
		{name: "consumer with HostedDomains", cfg: func(c *google.Config) { c.HostedDomains = []string{"example.com"} }, user: carol.Email, wantErr: true},
		{name: "consumer without restriction", user: carol.Email},
		{name: "garbage", user: alice.Email, raw: func(*env, map[string]any) string { return "not.a.jwt" }, wantErr: true},
		{name: "empty", user: alice.Email, raw: func(*env, map[string]any) string { return "" }, wantErr: true},
		{name: "huge", user: alice.Email, raw: func(*env, map[string]any) string { return strings.Repeat("a", 20000) }, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts, tc.cfg)
			c, ok := e.g.IDTokenClaims(tc.user)
			if !ok {
				t.Fatalf("no user %s", tc.user)
			}
			if tc.claims != nil {
				tc.claims(c)
			}
			raw := e.g.MintIDToken(c)
			if tc.raw != nil {
				raw = tc.raw(e, c)
			}
			g, err := e.c.SignInWithToken(context.Background(), raw)
			if tc.wantErr {
				if !errors.Is(err, connectors.ErrIdentity) {
					t.Fatalf("err = %v, want ErrIdentity", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, _ := e.g.User(tc.user)
			want := connectors.Identity{AuthUserID: u.Subject, Email: u.Email, Name: u.Name, AuthOrgID: u.HostedDomain,
				OrgDomain: u.HostedDomain, ServiceProvider: "Google"}
			if g.Identity != want || g.Token != nil || len(g.Scopes) != 0 {
				t.Fatalf("grant = %+v, want identity %+v and no token", g, want)
			}
		})
	}
}

const saEmail = "aurinko-daemon@my-project.iam.gserviceaccount.com"

// assertionClaims decodes the claims of the last JWT-bearer request.
func assertionClaims(t *testing.T, g *googletest.Server) map[string]any {
	t.Helper()
	tr := g.TokenRequests()
	last := tr[len(tr)-1]
	if last.Get("grant_type") != google.JWTBearerGrantType {
		t.Fatalf("last token request = %v", last.Get("grant_type"))
	}
	parts := strings.Split(last.Get("assertion"), ".")
	if len(parts) != 3 {
		t.Fatalf("assertion has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServiceAccount(t *testing.T) {
	t.Parallel()
	scopes := []string{google.ScopeGmailReadonly, google.ScopeCalendar}
	withSA := func(subject func(context.Context, string) (string, error)) func(e *googletest.Server, c *google.Config) {
		return func(e *googletest.Server, c *google.Config) {
			c.ServiceAccount = &google.ServiceAccount{JSON: e.ServiceAccountJSON(saEmail), Scopes: scopes, Subject: subject}
		}
	}
	tests := []struct {
		name      string
		opts      func(*googletest.Options)
		sa        func(e *googletest.Server, c *google.Config)
		call      func(c *google.Connector) (*xoauth2.Token, error)
		wantSub   string
		wantCode  string // a *connectors.TokenError code
		wantErrIs error
		wantErr   bool
	}{
		{name: "AppTokenFor impersonates", sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", alice.Email)
			},
			wantSub: alice.Email},
		{name: "AppToken asks Subject", sa: withSA(func(_ context.Context, d string) (string, error) { return "alice@" + d, nil }),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppToken(context.Background(), "example.com")
			},
			wantSub: alice.Email},
		{name: "AppToken without Subject", sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppToken(context.Background(), "example.com")
			},
			wantErr: true},
		{name: "Subject fails", sa: withSA(func(context.Context, string) (string, error) { return "", errors.New("no such tenant") }),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppToken(context.Background(), "example.com")
			},
			wantErr: true},
		{name: "user outside the domain", sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", bob.Email)
			},
			wantErr: true},
		{name: "not an email", sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", "example.com")
			},
			wantErr: true},
		{name: "unknown user", sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", "nobody@example.com")
			},
			wantCode: "invalid_grant"},
		{name: "consumer account cannot be impersonated", sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "gmail.com", carol.Email)
			},
			wantCode: "unauthorized_client"},
		{name: "scopes not authorized by the admin", opts: func(o *googletest.Options) { o.DelegatedScopes = []string{google.ScopeGmailReadonly} },
			sa: withSA(nil),
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", alice.Email)
			},
			wantCode: "unauthorized_client"},
		{name: "key not registered at Google", sa: func(_ *googletest.Server, c *google.Config) {
			other := googletest.New(t, googletest.Options{ClientID: "x", ClientSecret: "y"})
			key := other.ServiceAccountJSON(saEmail)
			// The key file names the fake under test as token_uri.
			var kf map[string]any
			_ = json.Unmarshal(key, &kf)
			kf["token_uri"] = c.Endpoints.TokenURL
			key, _ = json.Marshal(kf)
			c.ServiceAccount = &google.ServiceAccount{JSON: key, Scopes: scopes}
		},
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", alice.Email)
			},
			wantCode: "invalid_grant"},
		{name: "no service account", sa: func(*googletest.Server, *google.Config) {},
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppToken(context.Background(), "example.com")
			},
			wantErrIs: errors.ErrUnsupported},
		{name: "HostedDomains restrict impersonation", sa: func(e *googletest.Server, c *google.Config) {
			withSA(nil)(e, c)
			c.HostedDomains = []string{"other.org"}
		},
			call: func(c *google.Connector) (*xoauth2.Token, error) {
				return c.AppTokenFor(context.Background(), "example.com", alice.Email)
			},
			wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fake *googletest.Server
			e := newEnv(t, func(o *googletest.Options) {
				if tc.opts != nil {
					tc.opts(o)
				}
			}, nil)
			fake = e.g
			cfg := google.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoints: fake.Endpoints(), Now: e.clock.Now}
			tc.sa(fake, &cfg)
			c, err := google.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := tc.call(c)
			switch {
			case tc.wantCode != "":
				var te *connectors.TokenError
				if !errors.As(err, &te) || te.Code != tc.wantCode || !te.Terminal() {
					t.Fatalf("err = %v, want TokenError %s", err, tc.wantCode)
				}
				return
			case tc.wantErrIs != nil:
				if !errors.Is(err, tc.wantErrIs) {
					t.Fatalf("err = %v, want %v", err, tc.wantErrIs)
				}
				return
			case tc.wantErr:
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.RefreshToken != "" || !tok.Expiry.Equal(e.clock.Now().Add(3599*time.Second)) {
				t.Fatalf("token: access %v refresh %v expiry %v", tok.AccessToken != "", tok.RefreshToken != "", tok.Expiry)
			}
			ac := assertionClaims(t, fake)
			now := e.clock.Now().Unix()
			if ac["iss"] != saEmail || ac["aud"] != fake.TokenURL() || ac["sub"] != tc.wantSub ||
				ac["scope"] != strings.Join(scopes, " ") || ac["iat"] != float64(now) || ac["exp"] != float64(now+3600) {
				t.Fatalf("assertion claims = %v", ac)
			}
			p, err := c.GmailProfile(context.Background(), xoauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatal(err)
			}
			if p.EmailAddress != tc.wantSub {
				t.Fatalf("impersonated mailbox = %q", p.EmailAddress)
			}
		})
	}
}

func TestDaemonAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	key := e.g.ServiceAccountJSON(saEmail)
	c, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoints: e.g.Endpoints(),
		Now: e.clock.Now, ServiceAccount: &google.ServiceAccount{JSON: key, Scopes: []string{google.ScopeGmailModify}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.ServiceAccountEmail() != saEmail {
		t.Errorf("ServiceAccountEmail = %q", c.ServiceAccountEmail())
	}
	g, err := c.DaemonAccountGrant(context.Background(), "Alice@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := connectors.Identity{AuthUserID: alice.Email, Email: alice.Email, AuthOrgID: "example.com", OrgDomain: "example.com", ServiceProvider: "Google"}
	if g.Identity != want || g.Token == nil || g.Token.RefreshToken != "" || !slices.Equal(g.Scopes, []string{google.ScopeGmailModify}) {
		t.Fatalf("grant = %+v", g)
	}
	if _, err := c.DaemonAccountGrant(context.Background(), carol.Email); err == nil {
		t.Error("a consumer account became a daemon account")
	}
	if _, err := c.DaemonAuthURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL, State: "s"}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("DaemonAuthURL err = %v", err)
	}
	if _, err := c.DaemonGrant(context.Background(), redirectURL, url.Values{"code": {"x"}}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("DaemonGrant err = %v", err)
	}
}

func TestGmailProfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	g := e.signIn(t, []connectors.Scope{connectors.MailRead}, nil)
	ts := xoauth2.StaticTokenSource(g.Token)
	p, err := e.c.GmailProfile(context.Background(), ts)
	if err != nil {
		t.Fatal(err)
	}
	if *p != (google.MailboxProfile{EmailAddress: alice.Email, MessagesTotal: 42, ThreadsTotal: 17, HistoryID: 987654}) {
		t.Fatalf("profile = %+v", p)
	}

	e.g.RateLimitNext(90 * time.Second)
	_, err = e.c.GmailProfile(context.Background(), ts)
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 429 || ge.Header.Get("Retry-After") != "90" || len(ge.Errors) != 1 || ge.Errors[0].Reason != "rateLimitExceeded" {
		t.Fatalf("rate limited: %v", err)
	}

	noMail := e.signIn(t, []connectors.Scope{connectors.CalendarRead}, func(r *connectors.AuthRequest) { r.LoginHint = bob.Email })
	_, err = e.c.GmailProfile(context.Background(), xoauth2.StaticTokenSource(noMail.Token))
	if !errors.As(err, &ge) || ge.Code != 403 || ge.Errors[0].Reason != "insufficientPermissions" {
		t.Fatalf("without a Gmail scope: %v", err)
	}

	e.clock.Advance(time.Hour)
	_, err = e.c.GmailProfile(context.Background(), ts)
	if !errors.As(err, &ge) || ge.Code != 401 || ge.Errors[0].Reason != "authError" {
		t.Fatalf("expired token: %v", err)
	}
	if strings.Contains(err.Error(), g.Token.AccessToken) {
		t.Error("the error quotes the access token")
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	good := e.g.ServiceAccountJSON(saEmail)
	tests := []struct {
		name string
		cfg  google.Config
	}{
		{"no client", google.Config{ClientSecret: "s"}},
		{"no secret", google.Config{ClientID: "c"}},
		{"http endpoint", google.Config{ClientID: "c", ClientSecret: "s", Endpoints: &google.Endpoints{TokenURL: "http://oauth.example.com/token"}}},
		{"relative endpoint", google.Config{ClientID: "c", ClientSecret: "s", Endpoints: &google.Endpoints{AuthURL: "/auth"}}},
		{"bad domain", google.Config{ClientID: "c", ClientSecret: "s", HostedDomains: []string{"a@b.com"}}},
		{"key not JSON", google.Config{ClientID: "c", ClientSecret: "s", ServiceAccount: &google.ServiceAccount{JSON: []byte("-----BEGIN"), Scopes: []string{"x"}}}},
		{"key of another type", google.Config{ClientID: "c", ClientSecret: "s", ServiceAccount: &google.ServiceAccount{JSON: []byte(`{"type":"authorized_user"}`), Scopes: []string{"x"}}}},
		{"key without private key", google.Config{ClientID: "c", ClientSecret: "s", ServiceAccount: &google.ServiceAccount{JSON: []byte(`{"type":"service_account","client_email":"a@b"}`), Scopes: []string{"x"}}}},
		{"bad PEM", google.Config{ClientID: "c", ClientSecret: "s", ServiceAccount: &google.ServiceAccount{JSON: []byte(`{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`), Scopes: []string{"x"}}}},
		{"no scopes", google.Config{ClientID: "c", ClientSecret: "s", ServiceAccount: &google.ServiceAccount{JSON: good}}},
	}
	for _, tc := range tests {
		if _, err := google.New(context.Background(), tc.cfg); err == nil || !strings.HasPrefix(err.Error(), "google: ") {
			t.Errorf("%s: err = %v", tc.name, err)
		} else if strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%s: the error quotes the key: %v", tc.name, err)
		}
	}
	c, err := google.New(context.Background(), google.Config{ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ServiceType() != "Google" || c.APIBaseURL("") != "https://www.googleapis.com" {
		t.Errorf("ServiceType %q APIBaseURL %q", c.ServiceType(), c.APIBaseURL(""))
	}
	if _, err := c.NativeScopes([]connectors.Scope{"Mail.Everything"}); !errors.Is(err, connectors.ErrUnsupportedScope) {
		t.Errorf("NativeScopes of an unknown scope: %v", err)
	}
	all, err := c.NativeScopes(connectors.AllScopes)
	if err != nil || len(all) != 3+len(connectors.AllScopes) {
		t.Errorf("NativeScopes(all) = %v, %v", all, err)
	}
}
