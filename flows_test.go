package aurinko_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/connectors/oidc"
	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// clock is a fake clock shared by the server and the store.
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

const (
	appID     = "addin-app"
	appSecret = "app-secret-0123456789"
	returnURL = "https://addin.example.com/auth/done"
)

// env is a running server with a fake OIDC provider behind two
// connectors: "Office365" (generic OIDC) and "Crm" (generic OAuth2).
type env struct {
	t      *testing.T
	srv    *aurinko.Server
	api    *httptest.Server
	idp    *oidctest.Provider
	clock  *clock
	store  store.Store
	apiURL string
}

// newEnvWith is newEnv on memstore with extra connectors.
func newEnvWith(t *testing.T, extra ...connectors.Connector) *env {
	t.Helper()
	return newEnvExtra(t, "memstore", oidctest.Options{}, extra...)
}

func newEnv(t *testing.T, storeKind string, opts oidctest.Options) *env {
	t.Helper()
	return newEnvExtra(t, storeKind, opts)
}

func newEnvExtra(t *testing.T, storeKind string, opts oidctest.Options, extra ...connectors.Connector) *env {
	t.Helper()
	ck := &clock{t: time.Now().UTC()}
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = "idp-client", "idp-secret"
	}
	if opts.Users == nil {
		opts.Users = []oidctest.User{
			{Subject: "alice", Email: "alice@example.com", Name: "Alice", OrgID: "tenant-a"},
			{Subject: "bob", Email: "bob@example.com", Name: "Bob", OrgID: "tenant-a"},
		}
	}
	opts.Now = ck.Now
	idp := oidctest.New(t, opts)

	var st store.Store
	switch storeKind {
	case "memstore":
		st = memstore.New(memstore.Options{Now: ck.Now})
	case "sqlite":
		s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), sqlitestore.Options{Now: ck.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		st = s
	}

	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second}
	office, err := oidc.New(ctx, oidc.Config{ServiceType: "Office365", Issuer: idp.URL(), ClientID: opts.ClientID,
		ClientSecret: opts.ClientSecret, HTTPClient: hc, Now: ck.Now,
		ScopeMap: map[connectors.Scope][]string{connectors.MailRead: {"mail.read"}, connectors.CalendarRead: {"calendar.read"}}})
	if err != nil {
		t.Fatal(err)
	}
	crm, err := oauth2.New(oauth2.Config{ServiceType: "Crm", ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		AuthURL: idp.AuthURL(), TokenURL: idp.TokenURL(), UserInfoURL: idp.UserInfoURL(), Scopes: []string{"openid", "email"},
		PKCE: true, HTTPClient: hc, Now: ck.Now})
	if err != nil {
		t.Fatal(err)
	}

	api := httptest.NewUnstartedServer(nil)
	srv, err := aurinko.New(aurinko.Config{Store: st, Keyring: testKeyring(t), Now: ck.Now,
		PublicURL: "https://" + api.Listener.Addr().String(), Connectors: append([]connectors.Connector{office, crm}, extra...)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	api.Config.Handler = mux
	api.StartTLS()
	t.Cleanup(api.Close)
	for _, a := range []aurinko.AppSpec{
		{ClientID: appID, ClientSecret: appSecret, ReturnURLs: []string{returnURL}, CORSOrigins: []string{"https://addin.example.com"}},
		{ClientID: "other-app", ClientSecret: "other-secret-0123456789", ReturnURLs: []string{"https://other.example.com/cb"}},
	} {
		if err := srv.PutApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, srv: srv, api: api, idp: idp, clock: ck, store: st, apiURL: api.URL + "/v1"}
}

// browser is a user agent with its own cookies. It follows redirects until
// it reaches a host that is not the API or the provider, and stops there.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := new(http.Client)
	*c = *e.api.Client() // a copy: Client() returns one shared value
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" || req.URL.Host == "other.example.com" || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &browser{e: e, client: c}
}

// authorize walks a flow from an authorize endpoint and returns the
// response that did not redirect inside the API/provider loop.
func (b *browser) authorize(endpoint string, params url.Values) *http.Response {
	b.e.t.Helper()
	resp, err := b.client.Get(b.e.apiURL + "/auth/" + endpoint + "?" + params.Encode())
	if err != nil {
		b.e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// finalParams returns the query of the redirect to the return URL.
func finalParams(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303 to the return URL", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != returnURL {
		t.Fatalf("redirect to %q, want %s", resp.Header.Get("Location"), returnURL)
	}
	return loc.Query()
}

func (b *browser) do(method, path string, hdr map[string]string) (int, map[string]any) {
	b.e.t.Helper()
	req, _ := http.NewRequest(method, b.e.apiURL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out
}

// exchange calls POST /auth/token/{code} as the app's server.
func (e *env) exchange(code, clientID, secret string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.apiURL+"/auth/token/"+url.PathEscape(code), nil)
	req.SetBasicAuth(clientID, secret)
	resp, err := e.api.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
		e.t.Fatal("401 without WWW-Authenticate")
	}
	return resp.StatusCode, out
}

func flowParams(kv ...string) url.Values {
	v := url.Values{"clientId": {appID}, "returnUrl": {returnURL}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

var storeKinds = []string{"memstore", "sqlite"}

func TestFlow_accountCodeFlow(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind, oidctest.Options{RequirePKCE: true})
			b := e.browser()
			q := finalParams(t, b.authorize("authorize", flowParams("serviceType", "Office365", "scopes", "Mail.Read Calendar.Read", "responseType", "code", "state", "client-state-1")))
			if q.Get("status") != "success" || q.Get("state") != "client-state-1" || q.Get("code") == "" {
				t.Fatalf("return params = %v", q)
			}
			seen := e.idp.AuthorizeRequests()
			last := seen[len(seen)-1]
			if last.Get("code_challenge_method") != "S256" || last.Get("code_challenge") == "" || last.Get("nonce") == "" {
				t.Fatalf("provider saw no PKCE/nonce: %v", last)
			}
			if !strings.Contains(last.Get("scope"), "mail.read") || !strings.Contains(last.Get("scope"), "calendar.read") {
				t.Fatalf("scope = %q", last.Get("scope"))
			}
			if last.Get("state") == "client-state-1" {
				t.Fatal("the client's state was sent to the provider instead of our own")
			}

			// Wrong secret, unknown client, no auth: 401 and the code survives.
			for _, c := range [][2]string{{appID, "wrong-secret-0123456789"}, {"nope", appSecret}, {"other-app", "other-secret-0123456789"}} {
				if c[0] == "other-app" {
					continue
				}
				if code, _ := e.exchange(q.Get("code"), c[0], c[1]); code != 401 {
					t.Fatalf("exchange with %s/%s = %d, want 401", c[0], c[1][:4], code)
				}
			}
			status, out := e.exchange(q.Get("code"), appID, appSecret)
			if status != 200 {
				t.Fatalf("exchange = %d %v", status, out)
			}
			tok, _ := out["accessToken"].(string)
			if tok == "" || out["accountId"] == nil || out["userSession"] != nil {
				t.Fatalf("exchange body = %v", out)
			}
			if status, _ := e.exchange(q.Get("code"), appID, appSecret); status != 400 {
				t.Fatalf("second exchange of a code = %d, want 400", status)
			}
			status, acct := e.browser().do("GET", "/account", bearer(tok))
			if status != 200 || acct["serviceType"] != "Office365" || acct["email"] != "alice@example.com" || acct["authOrgId"] != "tenant-a" {
				t.Fatalf("GET /account = %d %v", status, acct)
			}
			// The account token is revoked by DELETE /account/token.
			if status, _ := e.browser().do("DELETE", "/account/token", bearer(tok)); status != 200 {
				t.Fatalf("DELETE /account/token = %d", status)
			}
			if status, _ := e.browser().do("GET", "/account", bearer(tok)); status != 401 {
				t.Fatalf("GET /account after revoke = %d, want 401", status)
			}
		})
	}
}

func TestFlow_tokenFlowAndReauthorizationKeepsID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	b := e.browser()
	q := finalParams(t, b.authorize("authorize", flowParams("serviceType", "Office365", "responseType", "token")))
	tok := q.Get("accessToken")
	id := q.Get("accountId")
	if q.Get("status") != "success" || tok == "" || id == "" {
		t.Fatalf("token flow params = %v", q)
	}
	// Re-authorize the same account: same id.
	e.idp.SetNextUser("alice")
	q2 := finalParams(t, b.authorize("authorize", flowParams("serviceType", "Office365", "responseType", "token", "accountId", id)))
	if q2.Get("status") != "success" || q2.Get("accountId") != id {
		t.Fatalf("re-authorization = %v, want same account %s", q2, id)
	}
	// Re-authorizing it while signed in as someone else fails and changes nothing.
	e.idp.SetNextUser("bob")
	q3 := finalParams(t, b.authorize("authorize", flowParams("serviceType", "Office365", "responseType", "token", "accountId", id)))
	if q3.Get("status") != "error" || q3.Get("accessToken") != "" {
		t.Fatalf("re-authorization as another user = %v", q3)
	}
	status, acct := e.browser().do("GET", "/account", bearer(tok))
	if status != 200 || acct["email"] != "alice@example.com" {
		t.Fatalf("account after failed takeover = %d %v", status, acct)
	}
}

func TestFlow_userSignInSecondaryAccountAndLogout(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind, oidctest.Options{})
			b := e.browser()
			if status, _ := b.do("GET", "/user", nil); status != 401 {
				t.Fatalf("GET /user before sign-in = %d, want 401", status)
			}
			q := finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary", "scopes", "Mail.Read")))
			if q.Get("status") != "success" || q.Get("code") != "" {
				t.Fatalf("primary sign-in params = %v", q)
			}
			status, user := b.do("GET", "/user", nil)
			if status != 200 || user["email"] != "alice@example.com" {
				t.Fatalf("GET /user = %d %v", status, user)
			}
			// Link a CRM as a secondary account with the session cookie.
			e.idp.SetNextUser("bob")
			q = finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Crm", "accountRole", "secondary", "responseType", "none")))
			if q.Get("status") != "success" {
				t.Fatalf("secondary link params = %v", q)
			}
			_, user = b.do("GET", "/user", nil)
			accts, _ := user["accounts"].([]any)
			if len(accts) != 2 {
				t.Fatalf("accounts = %v, want 2", user["accounts"])
			}
			types := []string{}
			for _, a := range accts {
				m := a.(map[string]any)
				types = append(types, m["serviceType"].(string)+":"+m["type"].(string))
			}
			if strings.Join(types, ",") != "Office365:primary,Crm:secondary" {
				t.Fatalf("account types = %v", types)
			}
			crmID := strconv.FormatFloat(accts[1].(map[string]any)["id"].(float64), 'f', 0, 64)
			if status, _ := b.do("GET", "/user/accounts/"+crmID, nil); status != 200 {
				t.Fatalf("GET own account = %d", status)
			}
			// The account header picks the account for /account.
			if status, acct := b.do("GET", "/account", map[string]string{"x-aurinko-accountid": crmID}); status != 200 || acct["serviceType"] != "Crm" {
				t.Fatalf("GET /account with header = %d %v", status, acct)
			}
			if status, _ := b.do("DELETE", "/user/accounts/"+crmID, nil); status != 200 {
				t.Fatalf("DELETE own secondary = %d", status)
			}
			if status, _ := b.do("POST", "/user/logout", nil); status != 200 {
				t.Fatalf("logout = %d", status)
			}
			if status, _ := b.do("GET", "/user", nil); status != 401 {
				t.Fatalf("GET /user after logout = %d, want 401", status)
			}
		})
	}
}

func TestFlow_userCodeGivesBearerSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	q := finalParams(t, e.browser().authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary", "responseType", "code")))
	status, out := e.exchange(q.Get("code"), appID, appSecret)
	sess, _ := out["userSession"].(string)
	if status != 200 || sess == "" || out["userId"] == "" || out["accessToken"] != nil {
		t.Fatalf("exchange = %d %v", status, out)
	}
	// A fresh client (an add-in without cookies) uses the session as bearer
	// or in X-Aurinko-Session.
	for _, h := range []map[string]string{bearer(sess), {"X-Aurinko-Session": sess}} {
		if status, user := e.browser().do("GET", "/user", h); status != 200 || user["email"] != "alice@example.com" {
			t.Fatalf("GET /user with %v = %d %v", h, status, user)
		}
	}
}

func TestFlow_daemon(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	q := finalParams(t, e.browser().authorize("authorizeDaemon", flowParams("serviceType", "Office365", "responseType", "token")))
	status, acct := e.browser().do("GET", "/account", bearer(q.Get("accessToken")))
	if status != 200 || acct["type"] != "daemon" || acct["daemon"] != true || acct["userId"] != nil {
		t.Fatalf("daemon account = %d %v", status, acct)
	}
}

func TestFlow_providerDeniedReachesReturnURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	e.idp.DenyNext("access_denied", "The user said no")
	q := finalParams(t, e.browser().authorize("authorize", flowParams("serviceType", "Office365", "state", "s1")))
	if q.Get("status") != "error" || !strings.HasPrefix(q.Get("details"), "access_denied") || q.Get("state") != "s1" || q.Get("code") != "" {
		t.Fatalf("denied params = %v", q)
	}
}

func TestFlow_refusesBadReturnURLWithPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	for _, ru := range []string{"", "https://evil.example.com/auth/done", "//evil.example.com", "https://addin.example.com.evil.com/auth/done",
		"javascript:alert(1)", "https://addin.example.com@evil.com/auth/done", "https://addin.example.com/auth/done/../../x", "https://addin.example.com%2f@evil.com/"} {
		v := flowParams("serviceType", "Office365")
		v.Set("returnUrl", ru)
		resp := e.browser().authorize("authorize", v)
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("returnUrl %q: status %d location %q", ru, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Another app's return URL with this app's clientId.
	v := flowParams("serviceType", "Office365")
	v.Set("returnUrl", "https://other.example.com/cb")
	if resp := e.browser().authorize("authorize", v); resp.StatusCode != 400 {
		t.Errorf("other app's return URL: %d", resp.StatusCode)
	}
	// Unknown client id.
	v = flowParams("serviceType", "Office365")
	v.Set("clientId", "unknown")
	if resp := e.browser().authorize("authorize", v); resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("unknown clientId: %d", resp.StatusCode)
	}
}

// callbackURL starts a flow in b and returns the callback URL the provider
// would send the browser to, without following it.
func (b *browser) callbackURL(t *testing.T) string {
	t.Helper()
	c := *b.client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/auth/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(b.e.apiURL + "/auth/authorize?" + flowParams("serviceType", "Office365").Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 || !strings.Contains(resp.Header.Get("Location"), "/auth/callback") {
		t.Fatalf("no redirect to the callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp.Header.Get("Location")
}

func (b *browser) get(u string) *http.Response {
	resp, err := b.client.Get(u)
	if err != nil {
		b.e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestFlow_stateIsSingleUseBoundAndExpiring(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})

	t.Run("replayed", func(t *testing.T) {
		b := e.browser()
		cb := b.callbackURL(t)
		if q := finalParams(t, b.get(cb)); q.Get("status") != "success" {
			t.Fatalf("first callback = %v", q)
		}
		if resp := b.get(cb); resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Fatalf("replayed callback = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("other browser", func(t *testing.T) {
		cb := e.browser().callbackURL(t)
		if resp := e.browser().get(cb); resp.StatusCode != 400 {
			t.Fatalf("callback in another browser = %d", resp.StatusCode)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		b := e.browser()
		u, _ := url.Parse(b.callbackURL(t))
		q := u.Query()
		q.Set("state", q.Get("state")+"x")
		u.RawQuery = q.Encode()
		if resp := b.get(u.String()); resp.StatusCode != 400 {
			t.Fatalf("tampered state = %d", resp.StatusCode)
		}
		q.Del("state")
		u.RawQuery = q.Encode()
		if resp := b.get(u.String()); resp.StatusCode != 400 {
			t.Fatalf("missing state = %d", resp.StatusCode)
		}
	})
	t.Run("expired", func(t *testing.T) {
		b := e.browser()
		cb := b.callbackURL(t)
		e.clock.Advance(16 * time.Minute)
		if resp := b.get(cb); resp.StatusCode != 400 {
			t.Fatalf("expired state = %d", resp.StatusCode)
		}
	})
}

func TestFlow_codeExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	q := finalParams(t, e.browser().authorize("authorize", flowParams("serviceType", "Office365")))
	e.clock.Advance(6 * time.Minute)
	if status, _ := e.exchange(q.Get("code"), appID, appSecret); status != 400 {
		t.Fatalf("expired code exchange = %d, want 400", status)
	}
}

// TestIDOR signs in two users and checks that nothing of one is reachable
// with the other's session, account token, or app credentials.
func TestIDOR(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	signIn := func(user string) (*browser, string, string) {
		b := e.browser()
		e.idp.SetNextUser(user)
		finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary")))
		_, u := b.do("GET", "/user", nil)
		accts := u["accounts"].([]any)
		id := strconv.FormatFloat(accts[0].(map[string]any)["id"].(float64), 'f', 0, 64)
		e.idp.SetNextUser(user)
		q := finalParams(t, b.authorize("authorize", flowParams("serviceType", "Crm", "responseType", "token")))
		return b, id, q.Get("accessToken")
	}
	alice, aliceAcct, aliceTok := signIn("alice")
	bob, bobAcct, _ := signIn("bob")
	if aliceAcct == bobAcct {
		t.Fatal("one account for two users")
	}
	tests := []struct {
		name   string
		b      *browser
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"bob reads alice's account", bob, "GET", "/user/accounts/" + aliceAcct, nil, 404},
		{"bob deletes alice's account", bob, "DELETE", "/user/accounts/" + aliceAcct, nil, 404},
		{"bob selects alice's account", bob, "GET", "/account", map[string]string{"X-Aurinko-Account-Id": aliceAcct}, 404},
		{"bob deletes via header", bob, "DELETE", "/account", map[string]string{"X-Aurinko-AccountId": aliceAcct}, 404},
		{"alice's token names bob's account", e.browser(), "GET", "/account", map[string]string{"Authorization": "Bearer " + aliceTok, "X-Aurinko-Account-Id": bobAcct}, 404},
		{"malformed account header", bob, "GET", "/account", map[string]string{"X-Aurinko-Account-Id": "1 OR 1=1"}, 400},
		{"no credentials", e.browser(), "GET", "/account", nil, 401},
		{"garbage bearer", e.browser(), "GET", "/user", bearer("ses_AAAA"), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := tc.b.do(tc.method, tc.path, tc.hdr); status != tc.want {
				t.Fatalf("%s %s = %d %v, want %d", tc.method, tc.path, status, body, tc.want)
			}
		})
	}
	// Nothing of alice's was lost.
	if status, _ := alice.do("GET", "/user/accounts/"+aliceAcct, nil); status != 200 {
		t.Fatalf("alice lost her account: %d", status)
	}
	// App credentials reach only the app's own accounts.
	amGet := func(id, client, secret string) int {
		req, _ := http.NewRequest("GET", e.apiURL+"/am/accounts/"+id, nil)
		req.SetBasicAuth(client, secret)
		resp, err := e.api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := amGet(aliceAcct, appID, appSecret); got != 200 {
		t.Fatalf("/am own account = %d", got)
	}
	if got := amGet(aliceAcct, "other-app", "other-secret-0123456789"); got != 404 {
		t.Fatalf("/am other app's account = %d, want 404", got)
	}
	if got := amGet(aliceAcct, appID, "bad-secret-000000000"); got != 401 {
		t.Fatalf("/am bad secret = %d, want 401", got)
	}
}

func TestAM_listPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{Users: []oidctest.User{{Subject: "u1", Email: "1@x"}, {Subject: "u2", Email: "2@x"}, {Subject: "u3", Email: "3@x"}}})
	for _, u := range []string{"u1", "u2", "u3"} {
		e.idp.SetNextUser(u)
		finalParams(t, e.browser().authorize("authorize", flowParams("serviceType", "Office365")))
	}
	req, _ := http.NewRequest("GET", e.apiURL+"/am/accounts?limit=2&offset=1", nil)
	req.SetBasicAuth(appID, appSecret)
	resp, err := e.api.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Records   []map[string]any
		TotalSize int
		Offset    int
		Done      bool
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 2 || page.TotalSize != 3 || page.Offset != 1 || !page.Done || page.Records[0]["email"] != "2@x" {
		t.Fatalf("page = %+v", page)
	}
	for _, bad := range []string{"limit=0", "limit=abc", "offset=-1", "userAccount=owner"} {
		req, _ := http.NewRequest("GET", e.apiURL+"/am/accounts?"+bad, nil)
		req.SetBasicAuth(appID, appSecret)
		resp, err := e.api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("/am/accounts?%s = %d, want 400", bad, resp.StatusCode)
		}
	}
}

func TestUserSettingsPatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	b := e.browser()
	finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary")))
	patch := func(body string) (int, string) {
		req, _ := http.NewRequest("PATCH", e.apiURL+"/user/settings", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(out))
	}
	if code, out := patch(`{"workHours":{"timezone":"Europe/Helsinki"},"theme":"dark"}`); code != 200 || out != `{"theme":"dark","workHours":{"timezone":"Europe/Helsinki"}}` {
		t.Fatalf("patch 1 = %d %s", code, out)
	}
	if code, out := patch(`{"theme":null}`); code != 200 || out != `{"workHours":{"timezone":"Europe/Helsinki"}}` {
		t.Fatalf("patch 2 = %d %s", code, out)
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{`, `null`, strings.Repeat(" ", 70000) + "{}"} {
		if code, _ := patch(bad); code != 400 {
			t.Errorf("patch %.20q = %d, want 400", bad, code)
		}
	}
	// Nothing was lost by the bad patches.
	if code, out := patch(`{}`); code != 200 || out != `{"workHours":{"timezone":"Europe/Helsinki"}}` {
		t.Fatalf("after bad patches = %d %s", code, out)
	}
}

func TestCORS_appOrigins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", e.apiURL+"/user", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization,x-aurinko-account-id")
		resp, err := e.api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ok := pre("https://addin.example.com")
	if ok.StatusCode != 204 || ok.Header.Get("Access-Control-Allow-Origin") != "https://addin.example.com" || ok.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed preflight = %d %v", ok.StatusCode, ok.Header)
	}
	for _, o := range []string{"https://evil.example.com", "https://addin.example.com.evil.com", "null", "http://addin.example.com"} {
		if resp := pre(o); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s = %d %q", o, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

func TestFlow_secondaryBySignatureWithoutCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	b := e.browser()
	finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary")))
	_, user := b.do("GET", "/user", nil)
	userID := user["id"].(string)

	sign := func(uid string, ts int64, secret string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(uid + strconv.FormatInt(ts, 10)))
		return hex.EncodeToString(mac.Sum(nil))
	}
	now := e.clock.Now().Unix()
	tests := []struct {
		name   string
		uid    string
		ts     int64
		sig    string
		wantOK bool
	}{
		{"valid hex", userID, now, sign(userID, now, appSecret), true},
		{"valid base64url", userID, now, base64.RawURLEncoding.EncodeToString(mustHex(sign(userID, now, appSecret))), true},
		{"wrong secret", userID, now, sign(userID, now, "other-secret-0123456789"), false},
		{"other user id", "someone-else", now, sign("someone-else", now, appSecret), false},
		{"signature of another user", userID, now, sign("someone-else", now, appSecret), false},
		{"too old", userID, now - 600, sign(userID, now-600, appSecret), false},
		{"from the future", userID, now + 600, sign(userID, now+600, appSecret), false},
		{"garbage", userID, now, "zzzz", false},
		{"empty", userID, now, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.idp.SetNextUser("bob")
			fresh := e.browser() // no session cookie
			q := finalParams(t, fresh.authorize("authorizeUser", flowParams("serviceType", "Crm", "accountRole", "secondary", "responseType", "none",
				"userId", tc.uid, "timestamp", strconv.FormatInt(tc.ts, 10), "userSignature", tc.sig)))
			if got := q.Get("status") == "success"; got != tc.wantOK {
				t.Fatalf("status = %v, want success %v", q, tc.wantOK)
			}
		})
	}
	_, user = b.do("GET", "/user", nil)
	// Two signed links of one CRM identity: the second re-authorizes the
	// first, so the user has the primary and one CRM account.
	if n := len(user["accounts"].([]any)); n != 2 {
		t.Fatalf("user has %d accounts, want 2", n)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestFlow_signInRotatesSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	b := e.browser()
	finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary")))
	u, _ := url.Parse(e.apiURL)
	first := b.client.Jar.Cookies(u)
	if len(first) == 0 {
		t.Fatal("no session cookie after sign-in")
	}
	// Sign in again in the same browser: a new session, the old one dead.
	finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary")))
	var oldTok string
	for _, c := range first {
		if strings.HasPrefix(c.Name, "aurinko_session") {
			oldTok = c.Value
		}
	}
	if oldTok == "" {
		t.Fatalf("cookies = %v", first)
	}
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Value == oldTok {
			t.Fatal("the session token did not change on sign-in")
		}
	}
	if status, _ := e.browser().do("GET", "/user", bearer(oldTok)); status != 401 {
		t.Fatalf("old session after a new sign-in = %d, want 401", status)
	}
	if status, _ := b.do("GET", "/user", nil); status != 200 {
		t.Fatalf("new session = %d", status)
	}
}

func TestFlow_authorizeUserAccountPrimarySetsCookieAndCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	b := e.browser()
	q := finalParams(t, b.authorize("authorize", flowParams("serviceType", "Office365", "userAccount", "primary", "responseType", "code")))
	if status, _ := b.do("GET", "/user", nil); status != 200 {
		t.Fatalf("GET /user after userAccount=primary = %d, want a session cookie", status)
	}
	status, out := e.exchange(q.Get("code"), appID, appSecret)
	if status != 200 || out["accessToken"] == nil || out["userSession"] == nil || out["userId"] == nil {
		t.Fatalf("exchange = %d %v", status, out)
	}
	// Secondary via userAccount needs a user: a fresh browser is refused.
	q = finalParams(t, e.browser().authorize("authorize", flowParams("serviceType", "Crm", "userAccount", "secondary")))
	if q.Get("status") != "error" {
		t.Fatalf("secondary without a user = %v", q)
	}
}

func TestAM_deleteIsScopedToApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	q := finalParams(t, e.browser().authorize("authorize", flowParams("serviceType", "Office365", "responseType", "token")))
	id := q.Get("accountId")
	del := func(client, secret string) int {
		req, _ := http.NewRequest("DELETE", e.apiURL+"/am/accounts/"+id, nil)
		req.SetBasicAuth(client, secret)
		resp, err := e.api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := del("other-app", "other-secret-0123456789"); got != 404 {
		t.Fatalf("other app deletes = %d, want 404", got)
	}
	if status, _ := e.browser().do("GET", "/account", bearer(q.Get("accessToken"))); status != 200 {
		t.Fatalf("account gone after a refused delete: %d", status)
	}
	if got := del(appID, appSecret); got != 200 {
		t.Fatalf("own delete = %d", got)
	}
	if status, _ := e.browser().do("GET", "/account", bearer(q.Get("accessToken"))); status != 401 {
		t.Fatalf("token of a deleted account = %d, want 401", status)
	}
}

func TestSettings_etagsAndOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "memstore", oidctest.Options{})
	b := e.browser()
	finalParams(t, b.authorize("authorizeUser", flowParams("serviceType", "Office365", "accountRole", "primary")))
	send := func(method, path, body string, hdr map[string]string, basic bool) (int, string, string) {
		req, _ := http.NewRequest(method, e.apiURL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		c := b.client
		if basic {
			req.SetBasicAuth(appID, appSecret)
			c = e.api.Client()
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("ETag"), strings.TrimSpace(string(out))
	}
	code, etag0, body := send("GET", "/user/settings", "", nil, false)
	if code != 200 || body != "{}" || etag0 == "" {
		t.Fatalf("empty settings = %d %q %s", code, etag0, body)
	}
	code, etag1, _ := send("PATCH", "/user/settings", `{"a":1}`, map[string]string{"If-Match": etag0}, false)
	if code != 200 || etag1 == etag0 {
		t.Fatalf("patch with the current ETag = %d %q", code, etag1)
	}
	if code, _, _ := send("PATCH", "/user/settings", `{"a":2}`, map[string]string{"If-Match": etag0}, false); code != 412 {
		t.Fatalf("patch with a stale ETag = %d, want 412", code)
	}
	if _, _, body := send("GET", "/user/settings", "", nil, false); body != `{"a":1}` {
		t.Fatalf("settings after a refused patch = %s", body)
	}
	// Concurrent patches without If-Match all land (merged, none lost).
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, _ := send("PATCH", "/user/settings", fmt.Sprintf(`{"k%d":%d}`, i, i), nil, false); code != 200 {
				t.Errorf("concurrent patch %d = %d", i, code)
			}
		}()
	}
	wg.Wait()
	_, _, body = send("GET", "/user/settings", "", nil, false)
	var doc map[string]any
	_ = json.Unmarshal([]byte(body), &doc)
	if len(doc) != 11 {
		t.Fatalf("after 10 concurrent patches the document has %d keys, want 11: %s", len(doc), body)
	}

	// Organization settings: written by the app's server, read by users.
	orgs, err := e.store.ListOrganizations(context.Background(), appID, store.Page{})
	if err != nil || len(orgs) != 1 {
		t.Fatalf("organizations = %v, %v", orgs, err)
	}
	orgPath := fmt.Sprintf("/am/organizations/%d/settings", orgs[0].ID)
	if code, _, _ := send("PATCH", orgPath, `{"crmUrl":"https://crm.example.com"}`, nil, true); code != 200 {
		t.Fatalf("app patches org settings = %d", code)
	}
	if code, _, body := send("GET", "/org/settings", "", nil, false); code != 200 || body != `{"crmUrl":"https://crm.example.com"}` {
		t.Fatalf("user reads org settings = %d %s", code, body)
	}
	if code, _, _ := send("PATCH", "/org/settings", `{"x":1}`, nil, false); code != 405 && code != 404 {
		t.Fatalf("a user patching org settings = %d, want refused", code)
	}
	// Another app cannot reach this organization.
	req, _ := http.NewRequest("GET", e.apiURL+orgPath, nil)
	req.SetBasicAuth("other-app", "other-secret-0123456789")
	resp, err := e.api.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("other app reads org settings = %d, want 404", resp.StatusCode)
	}
}
