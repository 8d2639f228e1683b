package office365_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

const (
	clientID     = "11111111-2222-3333-4444-555555555555"
	clientSecret = "client-secret-value-do-not-log"
	apiAppID     = "api://addin.example.com/11111111-2222-3333-4444-555555555555"
	redirectURL  = "https://app.example.com/v1/auth/callback"
	tenantA      = "aaaaaaaa-0000-0000-0000-00000000000a"
	tenantB      = "bbbbbbbb-0000-0000-0000-00000000000b"
)

var (
	alice = graphtest.User{ObjectID: "a11ce000-0000-0000-0000-000000000001", TenantID: tenantA, UserPrincipalName: "alice@a.example", Mail: "alice.smith@a.example", DisplayName: "Alice Smith"}
	bob   = graphtest.User{ObjectID: "b0b00000-0000-0000-0000-000000000002", TenantID: tenantB, UserPrincipalName: "bob@b.example", DisplayName: "Bob Jones"}
	carol = graphtest.User{ObjectID: "ca201000-0000-0000-0000-000000000003", TenantID: graphtest.ConsumersTenantID, UserPrincipalName: "carol@outlook.example", Mail: "carol@outlook.example", DisplayName: "Carol"}
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

type env struct {
	fake  *graphtest.Server
	c     *office365.Connector
	clock *clock
}

// newEnv starts a fake with alice (tenant A), bob (tenant B) and carol
// (personal account) and a connector pointed at it.
func newEnv(t *testing.T, modCfg func(*office365.Config), modFake func(*graphtest.Options)) env {
	t.Helper()
	ck := &clock{t: time.Now().UTC().Truncate(time.Second)}
	opts := graphtest.Options{
		ClientID: clientID, ClientSecret: clientSecret, APIAppIDURI: apiAppID,
		Users:   []graphtest.User{alice, bob, carol},
		Tenants: []graphtest.Tenant{{ID: tenantA, Domain: "a.example"}},
		Now:     ck.Now,
	}
	if modFake != nil {
		modFake(&opts)
	}
	fake := graphtest.New(t, opts)
	cfg := office365.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: &office365.Endpoints{LoginBaseURL: fake.URL(), GraphBaseURL: fake.URL()},
		SSO:       &office365.SSOConfig{APIAppID: apiAppID, RequiredScope: "access_as_user"},
		Now:       ck.Now,
	}
	if modCfg != nil {
		modCfg(&cfg)
	}
	c, err := office365.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return env{fake: fake, c: c, clock: ck}
}

var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type flow struct{ state, nonce, verifier, challenge string }

func newFlow() flow {
	v := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(v))
	return flow{state: rand.Text(), nonce: rand.Text(), verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// authorize runs the browser step and returns the callback query.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want a redirect", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURL) {
		t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	return loc.Query()
}

// signIn runs a whole code flow, the scopes of unified, and returns the
// exchange's result.
func (e env) signIn(t *testing.T, loginHint string, unified ...connectors.Scope) (*connectors.Grant, error) {
	t.Helper()
	ctx := context.Background()
	f := newFlow()
	scopes, err := e.c.NativeScopes(unified)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.c.AuthCodeURL(ctx, connectors.AuthRequest{RedirectURL: redirectURL, State: f.state, Scopes: scopes, LoginHint: loginHint, Nonce: f.nonce, CodeChallenge: f.challenge})
	if err != nil {
		t.Fatal(err)
	}
	q := authorize(t, u)
	if ce := connectors.CallbackErrorFrom(q); ce != nil {
		return nil, ce
	}
	if q.Get("state") != f.state {
		t.Fatalf("state = %q, want %q", q.Get("state"), f.state)
	}
	return e.c.Exchange(ctx, connectors.ExchangeRequest{Code: q.Get("code"), RedirectURL: redirectURL, CodeVerifier: f.verifier, Nonce: f.nonce})
}

func TestCodeFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	g, err := e.signIn(t, "", connectors.MailRead, connectors.CalendarReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	want := connectors.Identity{AuthUserID: alice.ObjectID, AuthOrgID: tenantA, Email: alice.Mail, Name: alice.DisplayName, OrgDomain: "a.example", ServiceProvider: "Office365"}
	if g.Identity != want {
		t.Errorf("identity = %+v\nwant       %+v", g.Identity, want)
	}
	if g.Token.AccessToken == "" || g.Token.RefreshToken == "" || g.Token.Expiry.Sub(e.clock.Now()) != time.Hour {
		t.Errorf("token = %+v", g.Token)
	}
	for _, s := range []string{"https://graph.microsoft.com/Mail.Read", "https://graph.microsoft.com/Calendars.ReadWrite", "https://graph.microsoft.com/User.Read"} {
		if !slices.Contains(g.Scopes, s) {
			t.Errorf("granted scopes %v lack %s", g.Scopes, s)
		}
	}

	ar := e.fake.AuthorizeRequests()[0]
	for k, v := range map[string]string{"response_type": "code", "response_mode": "query", "code_challenge_method": "S256", "client_id": clientID, "redirect_uri": redirectURL} {
		if ar.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, ar.Get(k), v)
		}
	}
	if ar.Has("prompt") || ar.Get("nonce") == "" || ar.Get("code_challenge") == "" {
		t.Errorf("authorize request = %v", ar)
	}
	scope := strings.Fields(ar.Get("scope"))
	for _, s := range []string{"openid", "profile", "email", "offline_access", "https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/Mail.Read", "https://graph.microsoft.com/Calendars.ReadWrite"} {
		if !slices.Contains(scope, s) {
			t.Errorf("authorize scope %v lacks %s", scope, s)
		}
	}
	tr := e.fake.TokenRequests()
	if len(tr) != 1 || tr[0].Get("grant_type") != "authorization_code" || tr[0].Get("code_verifier") == "" || tr[0].Get("client_id") != clientID || tr[0].Get("tenant") != "common" {
		t.Errorf("token requests = %v", tr)
	}

	// Identity was completed by Graph GET /me, through the SDK.
	gr := e.fake.GraphRequests()
	if len(gr) != 1 {
		t.Fatalf("graph requests = %+v", gr)
	}
	me := gr[0]
	if me.Method != http.MethodGet || me.Path != "/v1.0/me" || me.Query.Get("$select") != "id,displayName,mail,userPrincipalName" {
		t.Errorf("graph request = %s %s %v", me.Method, me.Path, me.Query)
	}
	if got := me.Header.Get("Prefer"); got != `IdType="ImmutableId"` {
		t.Errorf("Prefer = %q", got)
	}
}

func TestCodeFlow_userWithoutMailAndLoginHint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	g, err := e.signIn(t, bob.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	if g.Identity.AuthUserID != bob.ObjectID || g.Identity.Email != bob.UserPrincipalName || g.Identity.AuthOrgID != tenantB {
		t.Errorf("identity = %+v", g.Identity)
	}
	if ar := e.fake.AuthorizeRequests()[0]; ar.Get("login_hint") != bob.UserPrincipalName {
		t.Errorf("login_hint = %q", ar.Get("login_hint"))
	}
}

func TestAuthCodeURL_forceConsentAndDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	raw, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL, State: "s", ForceConsent: true})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if u.Path != "/common/oauth2/v2.0/authorize" || q.Get("prompt") != "consent" || q.Has("code_challenge") || q.Has("login_hint") {
		t.Errorf("AuthCodeURL = %s", raw)
	}
	if !strings.Contains(q.Get("scope"), "offline_access") {
		t.Errorf("default scope = %q", q.Get("scope"))
	}
	if _, err := e.c.AuthCodeURL(context.Background(), connectors.AuthRequest{RedirectURL: redirectURL}); err == nil {
		t.Error("AuthCodeURL without state accepted")
	}
}

func TestMultiTenantIssuerValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tenant     string
		allowed    []string
		user       graphtest.User
		wantErr    error // nil: success
		wantDenied bool  // the fake refuses at authorize
	}{
		{name: "common accepts tenant B", tenant: "common", user: bob},
		{name: "common accepts personal accounts", tenant: "common", user: carol},
		{name: "allowlist refuses tenant B", tenant: "common", allowed: []string{tenantA}, user: bob, wantErr: connectors.ErrIdentity},
		{name: "allowlist accepts tenant A", tenant: "common", allowed: []string{tenantA}, user: alice},
		{name: "organizations", tenant: "organizations", user: bob},
		{name: "single tenant by GUID", tenant: tenantA, user: alice},
		{name: "single tenant by domain", tenant: "a.example", user: alice},
		{name: "single tenant refuses other users at the provider", tenant: tenantA, user: bob, wantDenied: true},
		{name: "consumers", tenant: "consumers", user: carol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *office365.Config) { c.Tenant, c.AllowedTenants = tc.tenant, tc.allowed }, nil)
			if err := e.fake.SetNextUser(tc.user.ObjectID); err != nil {
				t.Fatal(err)
			}
			g, err := e.signIn(t, "")
			switch {
			case tc.wantDenied:
				var ce *connectors.CallbackError
				if !errors.As(err, &ce) || !strings.Contains(ce.Description, "AADSTS50020") {
					t.Fatalf("err = %v, want a callback error AADSTS50020", err)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if g.Identity.AuthUserID != tc.user.ObjectID || g.Identity.AuthOrgID != tc.user.TenantID {
					t.Fatalf("identity = %+v", g.Identity)
				}
				if tc.user.TenantID == graphtest.ConsumersTenantID && g.Identity.OrgDomain != "" {
					t.Errorf("personal account got OrgDomain %q", g.Identity.OrgDomain)
				}
			}
		})
	}
}

// forgedIDToken makes the fake's next token answer carry an id_token with
// the given claims changes, signed with the fake's key.
func forgedIDToken(e env, u graphtest.User, nonce string, change func(map[string]any)) {
	now := e.clock.Now()
	claims := map[string]any{
		"aud": clientID, "iss": e.fake.Issuer(u.TenantID), "tid": u.TenantID, "oid": u.ObjectID, "sub": "pairwise",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": nonce, "ver": "2.0",
		"name": u.DisplayName, "preferred_username": u.UserPrincipalName,
	}
	change(claims)
	body, _ := json.Marshal(map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": "opaque", "id_token": e.fake.MintAccessToken(claims)})
	e.fake.FailNextToken(200, string(body), http.Header{"Content-Type": {"application/json"}})
}

func TestExchange_refusesForgedIDTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    func(*office365.Config)
		change func(map[string]any)
	}{
		{"issuer of another tenant", nil, func(c map[string]any) { c["iss"] = "http://127.0.0.1:1/" + tenantA + "/v2.0"; c["tid"] = tenantB }},
		{"issuer template not filled", nil, func(c map[string]any) { c["iss"] = strings.Replace(c["iss"].(string), bob.TenantID, "{tenantid}", 1) }},
		{"no tid", nil, func(c map[string]any) { delete(c, "tid") }},
		{"tenant not allowed", func(c *office365.Config) { c.AllowedTenants = []string{tenantA} }, func(map[string]any) {}},
		{"another audience", nil, func(c map[string]any) { c["aud"] = "someone-else" }},
		{"expired", nil, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }},
		{"wrong nonce", nil, func(c map[string]any) { c["nonce"] = "other" }},
		{"no oid", nil, func(c map[string]any) { delete(c, "oid") }},
		{"v1 issuer in an id_token", nil, func(c map[string]any) { c["iss"] = "https://sts.windows.net/" + tenantB + "/" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg, nil)
			forgedIDToken(e, bob, "n-1", tc.change)
			_, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: "c", RedirectURL: redirectURL, Nonce: "n-1"})
			if !errors.Is(err, connectors.ErrIdentity) {
				t.Fatalf("err = %v, want ErrIdentity", err)
			}
			if n := len(e.fake.GraphRequests()); n != 0 {
				t.Errorf("Graph called %d times with a refused id_token", n)
			}
		})
	}
}

// noNetwork fails the test on any request.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no network in this test")
}

func TestNationalClouds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cloud        office365.Cloud
		login, graph string
	}{
		{"", "https://login.microsoftonline.com", "https://graph.microsoft.com"},
		{office365.CloudGlobal, "https://login.microsoftonline.com", "https://graph.microsoft.com"},
		{office365.CloudUSGov, "https://login.microsoftonline.us", "https://graph.microsoft.us"},
		{office365.CloudChina, "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"},
	}
	for _, tc := range tests {
		t.Run(string(tc.cloud), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, err := office365.New(ctx, office365.Config{ClientID: clientID, ClientSecret: clientSecret, Cloud: tc.cloud, Tenant: tenantA,
				HTTPClient: &http.Client{Transport: noNetwork{t}}})
			if err != nil {
				t.Fatal(err)
			}
			if ep := tc.cloud.Endpoints(); ep.LoginBaseURL != tc.login || ep.GraphBaseURL != tc.graph {
				t.Errorf("Endpoints() = %+v", ep)
			}
			for got, want := range map[string]string{
				c.AuthURL():         tc.login + "/" + tenantA + "/oauth2/v2.0/authorize",
				c.TokenURL(""):      tc.login + "/" + tenantA + "/oauth2/v2.0/token",
				c.TokenURL(tenantB): tc.login + "/" + tenantB + "/oauth2/v2.0/token",
				c.JWKSURL():         tc.login + "/" + tenantA + "/discovery/v2.0/keys",
				c.AdminConsentURL(): tc.login + "/" + tenantA + "/v2.0/adminconsent",
				c.Issuer(tenantB):   tc.login + "/" + tenantB + "/v2.0",
				c.APIBaseURL(""):    tc.graph + "/v1.0",
				c.GraphResource():   tc.graph,
			} {
				if got != want {
					t.Errorf("got %q, want %q", got, want)
				}
			}
			scopes, err := c.NativeScopes([]connectors.Scope{connectors.MailAll, connectors.TasksRead})
			if err != nil {
				t.Fatal(err)
			}
			wantScopes := []string{"openid", "profile", "email", "offline_access", tc.graph + "/User.Read", tc.graph + "/Mail.ReadWrite", tc.graph + "/Mail.Send", tc.graph + "/Tasks.Read"}
			if !slices.Equal(scopes, wantScopes) {
				t.Errorf("NativeScopes = %v\nwant %v", scopes, wantScopes)
			}
			authURL, _ := c.AuthCodeURL(ctx, connectors.AuthRequest{RedirectURL: redirectURL, State: "st", Scopes: scopes})
			if !strings.HasPrefix(authURL, tc.login+"/"+tenantA+"/oauth2/v2.0/authorize?") {
				t.Errorf("AuthCodeURL = %s", authURL)
			}
			daemonURL, err := c.DaemonAuthURL(ctx, connectors.AuthRequest{RedirectURL: redirectURL, State: "st"})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(daemonURL)
			if u.Scheme+"://"+u.Host != tc.login || u.Path != "/"+tenantA+"/v2.0/adminconsent" || u.Query().Get("scope") != tc.graph+"/.default" {
				t.Errorf("DaemonAuthURL = %s", daemonURL)
			}
		})
	}
}

func TestParseCloud(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]office365.Cloud{"": office365.CloudGlobal, "global": office365.CloudGlobal, "USGOV": office365.CloudUSGov, "china": office365.CloudChina} {
		if got, err := office365.ParseCloud(in); err != nil || got != want {
			t.Errorf("ParseCloud(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := office365.ParseCloud("mars"); err == nil {
		t.Error("ParseCloud(mars) succeeded")
	}
}

func TestNew_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	ok := office365.Config{ClientID: clientID, ClientSecret: clientSecret}
	tests := []struct {
		name string
		mod  func(*office365.Config)
		want string
	}{
		{"no client id", func(c *office365.Config) { c.ClientID = "" }, "ClientID"},
		{"no secret", func(c *office365.Config) { c.ClientSecret = "" }, "ClientSecret"},
		{"unknown cloud", func(c *office365.Config) { c.Cloud = "Mars" }, "Cloud"},
		{"tenant with a slash", func(c *office365.Config) { c.Tenant = "common/../x" }, "Tenant"},
		{"allowed tenant not a GUID", func(c *office365.Config) { c.AllowedTenants = []string{"contoso.com"} }, "AllowedTenants"},
		{"http login host", func(c *office365.Config) {
			c.Endpoints = &office365.Endpoints{LoginBaseURL: "http://login.example.com"}
		}, "https"},
		{"relative graph URL", func(c *office365.Config) { c.Endpoints = &office365.Endpoints{GraphBaseURL: "/graph"} }, "GraphBaseURL"},
		{"SSO without scope", func(c *office365.Config) { c.SSO = &office365.SSOConfig{APIAppID: apiAppID} }, "SSO"},
	}
	for _, tc := range tests {
		cfg := ok
		tc.mod(&cfg)
		_, err := office365.New(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "office365: ") {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), clientSecret) {
			t.Errorf("%s: error leaks the secret", tc.name)
		}
	}
	if c, err := office365.New(context.Background(), ok); err != nil || c.ServiceType() != "Office365" {
		t.Fatalf("New(minimal) = %v", err)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fake        func(*graphtest.Options)
		wantRotated bool
	}{
		{"rotated", nil, true},
		{"rotated and old revoked", func(o *graphtest.Options) { o.RevokeRotatedRefreshTokens = true }, true},
		{"omitted keeps the old one", func(o *graphtest.Options) { o.OmitRefreshTokenOnRefresh = true }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, tc.fake)
			ctx := context.Background()
			g, err := e.signIn(t, "", connectors.MailRead)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(30 * time.Minute)
			fresh, err := e.c.Refresh(ctx, g.Token)
			if err != nil {
				t.Fatal(err)
			}
			if fresh.AccessToken == g.Token.AccessToken || fresh.Expiry.Sub(e.clock.Now()) != time.Hour {
				t.Errorf("refreshed token = %+v", fresh)
			}
			if rotated := fresh.RefreshToken != g.Token.RefreshToken; rotated != tc.wantRotated || fresh.RefreshToken == "" {
				t.Errorf("refresh token rotated = %v, want %v", rotated, tc.wantRotated)
			}
			last := e.fake.TokenRequests()[1]
			if last.Get("grant_type") != "refresh_token" || last.Get("refresh_token") != g.Token.RefreshToken || last.Get("client_id") != clientID {
				t.Errorf("refresh request = %v", last)
			}
			again, err := e.c.Refresh(ctx, fresh)
			if err != nil {
				t.Fatal(err)
			}

			e.fake.RevokeUser(alice.ObjectID)
			_, err = e.c.Refresh(ctx, again)
			var te *connectors.TokenError
			if !errors.As(err, &te) || te.Code != "invalid_grant" || !te.Terminal() || !strings.Contains(te.Description, "AADSTS50173") || te.Status != 400 {
				t.Fatalf("refresh after revocation: %v", err)
			}
			if strings.Contains(err.Error(), again.RefreshToken) || strings.Contains(err.Error(), clientSecret) {
				t.Errorf("error leaks a secret: %v", err)
			}
			if n := e.fake.RefreshCount(); n != 3 {
				t.Errorf("RefreshCount = %d", n)
			}
		})
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		body         string
		header       http.Header
		wantCode     string
		wantInDesc   string
		wantTerminal bool
		wantRetry    time.Duration
	}{
		{"expired code", 400, graphtest.TokenErrorBody("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity."),
			http.Header{"Content-Type": {"application/json; charset=utf-8"}}, "invalid_grant", "AADSTS70008", true, 0},
		{"bad secret", 401, graphtest.TokenErrorBody("invalid_client", 7000215, "Invalid client secret provided."),
			http.Header{"Content-Type": {"application/json"}}, "invalid_client", "AADSTS7000215", true, 0},
		{"throttled", 429, graphtest.TokenErrorBody("temporarily_unavailable", 50196, "The server terminated an operation because it encountered a client request loop."),
			http.Header{"Content-Type": {"application/json"}, "Retry-After": {"30"}}, "temporarily_unavailable", "AADSTS50196", false, 30 * time.Second},
		{"outage page", 503, "<html>Service Unavailable</html>", http.Header{"Content-Type": {"text/html"}}, "", "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			e.fake.FailNextToken(tc.status, tc.body, tc.header)
			_, err := e.c.Exchange(context.Background(), connectors.ExchangeRequest{Code: "c", RedirectURL: redirectURL})
			var te *connectors.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *connectors.TokenError", err)
			}
			if te.Status != tc.status || te.Code != tc.wantCode || !strings.Contains(te.Description, tc.wantInDesc) || te.Terminal() != tc.wantTerminal || te.RetryAfter != tc.wantRetry {
				t.Fatalf("TokenError = %+v", te)
			}
		})
	}
}

func TestGraphMeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fail         func(*graphtest.Server)
		wantStatus   int
		wantCode     string
		wantRetry    time.Duration
		wantIdentity bool
	}{
		{"429 with Retry-After", func(s *graphtest.Server) { s.ThrottleNext(7) }, 429, "TooManyRequests", 7 * time.Second, false},
		{"503 with Retry-After", func(s *graphtest.Server) {
			s.FailNextGraph(503, "serviceNotAvailable", "Service is unavailable.", http.Header{"Retry-After": {"12"}})
		}, 503, "serviceNotAvailable", 12 * time.Second, false},
		{"401 InvalidAuthenticationToken", func(s *graphtest.Server) {
			s.FailNextGraph(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", nil)
		}, 401, "InvalidAuthenticationToken", 0, true},
		{"403", func(s *graphtest.Server) {
			s.FailNextGraph(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", nil)
		}, 403, "Authorization_RequestDenied", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			tc.fail(e.fake)
			_, err := e.signIn(t, "")
			var ge *office365.GraphError
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *office365.GraphError", err)
			}
			if ge.Status != tc.wantStatus || ge.Code != tc.wantCode || ge.RetryAfter != tc.wantRetry || ge.RequestID == "" || ge.Message == "" {
				t.Fatalf("GraphError = %+v", ge)
			}
			if errors.Is(err, connectors.ErrIdentity) != tc.wantIdentity {
				t.Errorf("errors.Is(ErrIdentity) = %v", !tc.wantIdentity)
			}
			if ge.Temporary() == tc.wantIdentity {
				t.Errorf("Temporary() = %v", ge.Temporary())
			}
			if !strings.HasPrefix(err.Error(), "office365: ") {
				t.Errorf("error = %q", err)
			}
			// The next sign-in is not affected: failures are one-shot.
			if _, err := e.signIn(t, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDaemon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	if err := e.fake.SetNextUser(bob.ObjectID); err != nil {
		t.Fatal(err)
	}
	raw, err := e.c.DaemonAuthURL(ctx, connectors.AuthRequest{RedirectURL: redirectURL, State: "st-daemon", Scopes: []string{"ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(raw); u.Path != "/organizations/v2.0/adminconsent" {
		t.Errorf("DaemonAuthURL = %s", raw)
	}
	cb := authorize(t, raw)
	if cb.Get("admin_consent") != "True" || cb.Get("tenant") != tenantB || cb.Get("state") != "st-daemon" {
		t.Fatalf("admin consent callback = %v", cb)
	}
	g, err := e.c.DaemonGrant(ctx, redirectURL, cb)
	if err != nil {
		t.Fatal(err)
	}
	if g.Identity.AuthUserID != "app:"+tenantB || g.Identity.AuthOrgID != tenantB || g.Token.AccessToken == "" || g.Token.RefreshToken != "" {
		t.Errorf("daemon grant = %+v %+v", g.Identity, g.Token)
	}
	tr := e.fake.TokenRequests()
	if len(tr) != 1 || tr[0].Get("grant_type") != "client_credentials" || tr[0].Get("scope") != "https://graph.microsoft.com/.default" || tr[0].Get("tenant") != tenantB {
		t.Errorf("token requests = %v", tr)
	}
	e.clock.Advance(2 * time.Hour)
	tok, err := e.c.AppToken(ctx, tenantB)
	if err != nil || tok.AccessToken == "" || tok.Expiry.Sub(e.clock.Now()) != time.Hour {
		t.Fatalf("AppToken = %+v, %v", tok, err)
	}
}

func TestDaemon_refusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		cfg   func(*office365.Config)
		cb    url.Values
		check func(t *testing.T, err error)
	}{
		{"admin declined", nil, url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: User declined to consent to access the app."}, "state": {"s"}},
			func(t *testing.T, err error) {
				var ce *connectors.CallbackError
				if !errors.As(err, &ce) || ce.Code != "access_denied" {
					t.Fatalf("err = %v", err)
				}
			}},
		{"no admin_consent", nil, url.Values{"tenant": {tenantA}, "state": {"s"}}, isIdentityErr},
		{"tenant not a GUID", nil, url.Values{"tenant": {"../common"}, "admin_consent": {"True"}}, isIdentityErr},
		{"tenant not allowed", func(c *office365.Config) { c.AllowedTenants = []string{tenantB} }, url.Values{"tenant": {tenantA}, "admin_consent": {"True"}}, isIdentityErr},
		{"app not consented in the tenant", nil, url.Values{"tenant": {tenantA}, "admin_consent": {"True"}},
			func(t *testing.T, err error) {
				var te *connectors.TokenError
				if !errors.As(err, &te) || te.Code != "unauthorized_client" || !strings.Contains(te.Description, "AADSTS700016") {
					t.Fatalf("err = %v", err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg, nil)
			_, err := e.c.DaemonGrant(ctx, redirectURL, tc.cb)
			tc.check(t, err)
		})
	}
}

func isIdentityErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, connectors.ErrIdentity) {
		t.Fatalf("err = %v, want ErrIdentity", err)
	}
}

func TestAppToken_refusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *office365.Config) { c.AllowedTenants = []string{tenantA, tenantB} }, func(o *graphtest.Options) { o.ConsentedTenants = []string{tenantA} })
	ctx := context.Background()
	if _, err := e.c.AppToken(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.AppToken(ctx, "a.example"); err != nil {
		t.Fatalf("AppToken by domain: %v", err)
	}
	for _, org := range []string{"", "common", "organizations", "x/y", graphtest.ConsumersTenantID} {
		if _, err := e.c.AppToken(ctx, org); err == nil {
			t.Errorf("AppToken(%q) succeeded", org)
		}
	}
	var te *connectors.TokenError
	if _, err := e.c.AppToken(ctx, tenantB); !errors.As(err, &te) || te.Code != "unauthorized_client" {
		t.Errorf("AppToken of an unconsented tenant: %v", err)
	}
}

func TestRevokeUnsupported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	if err := e.c.Revoke(context.Background(), nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Revoke = %v", err)
	}
	var _ connectors.Revoker = e.c
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	var grants []*connectors.Grant
	for range 4 {
		g, err := e.signIn(t, "")
		if err != nil {
			t.Fatal(err)
		}
		grants = append(grants, g)
	}
	var wg sync.WaitGroup
	for _, g := range grants {
		wg.Go(func() {
			if _, err := e.c.Refresh(context.Background(), g.Token); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := e.c.SignInWithToken(context.Background(), e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
