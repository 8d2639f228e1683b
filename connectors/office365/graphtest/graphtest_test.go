package graphtest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

const (
	clientID     = "11111111-2222-3333-4444-555555555555"
	clientSecret = "s3cret"
	redirectURI  = "https://app.example.com/cb"
	tenantA      = "aaaaaaaa-0000-0000-0000-00000000000a"
)

var (
	alice = graphtest.User{ObjectID: "a11ce000-0000-0000-0000-000000000001", TenantID: tenantA, UserPrincipalName: "alice@a.example", Mail: "alice@a.example", DisplayName: "Alice Smith"}
	carol = graphtest.User{ObjectID: "ca201000-0000-0000-0000-000000000003", TenantID: graphtest.ConsumersTenantID, UserPrincipalName: "carol@outlook.example", DisplayName: "Carol"}
)

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func newServer(t *testing.T) *graphtest.Server {
	return graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{alice, carol},
		Tenants: []graphtest.Tenant{{ID: tenantA, Domain: "a.example"}}})
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func get(t *testing.T, u string, bearer string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(t, req)
}

func post(t *testing.T, u string, form url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func authorize(t *testing.T, s *graphtest.Server, tenant string, extra url.Values) url.Values {
	t.Helper()
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirectURI}, "state": {"st"},
		"scope": {"openid profile email offline_access https://graph.microsoft.com/User.Read"}}
	for k, v := range extra {
		q[k] = v
	}
	a := get(t, s.URL()+"/"+tenant+"/oauth2/v2.0/authorize?"+q.Encode(), "")
	if a.status != http.StatusFound {
		t.Fatalf("authorize: %d %s", a.status, a.raw)
	}
	loc, _ := url.Parse(a.header.Get("Location"))
	return loc.Query()
}

func redeem(t *testing.T, s *graphtest.Server, code string, extra url.Values) answer {
	t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "client_id": {clientID}, "client_secret": {clientSecret}}
	for k, v := range extra {
		f[k] = v
	}
	return post(t, s.URL()+"/common/oauth2/v2.0/token", f)
}

func TestNewServer_withoutTestingTB(t *testing.T) {
	t.Parallel()
	if _, err := graphtest.NewServer(graphtest.Options{}); err == nil || !strings.HasPrefix(err.Error(), "graphtest: ") {
		t.Fatalf("NewServer without a client: %v", err)
	}
	s, err := graphtest.NewServer(graphtest.Options{ClientID: clientID, ClientSecret: clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if users := s.Users(); len(users) != 1 || users[0].ObjectID == "" {
		t.Fatalf("default users = %+v", users)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for tenant, wantIssuer := range map[string]string{
		"common":        s.URL() + "/{tenantid}/v2.0",
		"organizations": s.URL() + "/{tenantid}/v2.0",
		"consumers":     s.URL() + "/" + graphtest.ConsumersTenantID + "/v2.0",
		tenantA:         s.URL() + "/" + tenantA + "/v2.0",
		"a.example":     s.URL() + "/" + tenantA + "/v2.0",
	} {
		a := get(t, s.URL()+"/"+tenant+"/v2.0/.well-known/openid-configuration", "")
		if a.status != 200 || a.str("issuer") != wantIssuer || a.str("jwks_uri") != s.URL()+"/"+tenant+"/discovery/v2.0/keys" ||
			a.str("token_endpoint") != s.URL()+"/"+tenant+"/oauth2/v2.0/token" {
			t.Errorf("%s: discovery = %d %v", tenant, a.status, a.body)
		}
	}
	a := get(t, s.URL()+"/nowhere.example/v2.0/.well-known/openid-configuration", "")
	if a.status != 400 || !strings.Contains(a.str("error_description"), "AADSTS90002") {
		t.Errorf("unknown tenant: %d %v", a.status, a.body)
	}
	keys := get(t, s.URL()+"/common/discovery/v2.0/keys", "")
	list, _ := keys.body["keys"].([]any)
	if len(list) != 1 {
		t.Fatalf("keys = %v", keys.body)
	}
	k := list[0].(map[string]any)
	for _, f := range []string{"kty", "use", "kid", "x5t", "n", "e", "issuer"} {
		if k[f] == nil {
			t.Errorf("key lacks %s", f)
		}
	}
}

func TestTokenErrorShape(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := redeem(t, s, "no-such-code", nil)
	if a.status != 400 || a.str("error") != "invalid_grant" || a.header.Get("Cache-Control") == "" {
		t.Fatalf("answer = %d %v", a.status, a.body)
	}
	for _, f := range []string{"error_description", "timestamp", "trace_id", "correlation_id", "error_uri"} {
		if a.str(f) == "" {
			t.Errorf("no %s in %v", f, a.body)
		}
	}
	codes, _ := a.body["error_codes"].([]any)
	if len(codes) != 1 || !strings.HasPrefix(a.str("error_description"), "AADSTS") {
		t.Errorf("error_codes = %v, description = %q", a.body["error_codes"], a.str("error_description"))
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(graphtest.TokenErrorBody("invalid_grant", 65001, "Consent.")), &parsed); err != nil || parsed["error"] != "invalid_grant" {
		t.Fatalf("TokenErrorBody = %v, %v", parsed, err)
	}
}

func TestTokenEndpoint_refusals(t *testing.T) {
	t.Parallel()
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	tests := []struct {
		name   string
		run    func(t *testing.T, s *graphtest.Server) answer
		status int
		code   string
		aadsts string
	}{
		{"code reused", func(t *testing.T, s *graphtest.Server) answer {
			code := authorize(t, s, "common", nil).Get("code")
			redeem(t, s, code, nil)
			return redeem(t, s, code, nil)
		}, 400, "invalid_grant", "AADSTS54005"},
		{"PKCE mismatch", func(t *testing.T, s *graphtest.Server) answer {
			code := authorize(t, s, "common", url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}).Get("code")
			return redeem(t, s, code, url.Values{"code_verifier": {strings.Repeat("w", 50)}})
		}, 400, "invalid_grant", "AADSTS501481"},
		{"wrong secret", func(t *testing.T, s *graphtest.Server) answer {
			code := authorize(t, s, "common", nil).Get("code")
			return redeem(t, s, code, url.Values{"client_secret": {"nope"}})
		}, 401, "invalid_client", "AADSTS7000215"},
		{"client credentials at common", func(t *testing.T, s *graphtest.Server) answer {
			return post(t, s.URL()+"/common/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
		}, 400, "invalid_request", "AADSTS50059"},
		{"client credentials without .default", func(t *testing.T, s *graphtest.Server) answer {
			return post(t, s.URL()+"/"+tenantA+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "scope": {"https://graph.microsoft.com/Mail.Read"}})
		}, 400, "invalid_scope", "AADSTS1002012"},
		{"unknown grant type", func(t *testing.T, s *graphtest.Server) answer {
			return post(t, s.URL()+"/common/oauth2/v2.0/token", url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret}})
		}, 400, "unsupported_grant_type", "AADSTS70003"},
		{"OBO with a garbage assertion", func(t *testing.T, s *graphtest.Server) answer {
			return post(t, s.URL()+"/common/oauth2/v2.0/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "requested_token_use": {"on_behalf_of"},
				"assertion": {"x.y.z"}, "client_id": {clientID}, "client_secret": {clientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
		}, 400, "invalid_grant", "AADSTS50027"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := tc.run(t, newServer(t))
			if a.status != tc.status || a.str("error") != tc.code || !strings.HasPrefix(a.str("error_description"), tc.aadsts+":") {
				t.Fatalf("answer = %d %v", a.status, a.body)
			}
		})
	}
}

func TestAuthorize_errorPagesAndTenants(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	base := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirectURI}, "scope": {"openid"}}
	with := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		q.Set(k, v)
		return q.Encode()
	}
	for name, u := range map[string]string{
		"unknown client": s.URL() + "/common/oauth2/v2.0/authorize?" + with("client_id", "other"),
		"bad redirect":   s.URL() + "/common/oauth2/v2.0/authorize?" + with("redirect_uri", "javascript:alert(1)"),
		"unknown tenant": s.URL() + "/nowhere.example/oauth2/v2.0/authorize?" + base.Encode(),
	} {
		if a := get(t, u, ""); a.status != 400 || !strings.Contains(a.raw, "AADSTS") {
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		}
	}
	// consumers admits only personal accounts; organizations only work ones.
	if err := s.SetNextUser(alice.ObjectID); err != nil {
		t.Fatal(err)
	}
	if q := authorize(t, s, "consumers", nil); !strings.Contains(q.Get("error_description"), "AADSTS50020") || q.Get("state") != "st" {
		t.Errorf("consumers with a work account: %v", q)
	}
	if q := authorize(t, s, "organizations", url.Values{"login_hint": {carol.UserPrincipalName}}); q.Get("code") == "" {
		t.Errorf("organizations: %v", q)
	}
	s.DenyNext("access_denied", "AADSTS65004: User declined to consent to access the app.")
	if q := authorize(t, s, "common", nil); q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Errorf("denied: %v", q)
	}
}

func TestGraphMe(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := redeem(t, s, authorize(t, s, "common", nil).Get("code"), nil)
	at := tok.str("access_token")
	if at == "" || tok.str("refresh_token") == "" || tok.str("id_token") == "" || !strings.Contains(tok.str("scope"), "https://graph.microsoft.com/User.Read") {
		t.Fatalf("token answer = %v", tok.body)
	}

	me := get(t, s.URL()+"/v1.0/me", at)
	if me.status != 200 || me.str("id") != alice.ObjectID || me.str("userPrincipalName") != alice.UserPrincipalName || me.body["businessPhones"] == nil ||
		!strings.HasSuffix(me.str("@odata.context"), "/v1.0/$metadata#users/$entity") || me.header.Get("request-id") == "" {
		t.Fatalf("GET /me = %d %v", me.status, me.body)
	}
	sel := get(t, s.URL()+"/v1.0/me?$select=id,mail", at)
	if sel.status != 200 || len(sel.body) != 3 || sel.str("mail") != alice.Mail {
		t.Errorf("$select = %v", sel.body)
	}
	if bad := get(t, s.URL()+"/v1.0/me?$select=id,password", at); bad.status != 400 {
		t.Errorf("$select of an unknown property = %d", bad.status)
	}

	for name, bearer := range map[string]string{"no token": "", "unknown token": "nope"} {
		a := get(t, s.URL()+"/v1.0/me", bearer)
		e, _ := a.body["error"].(map[string]any)
		inner, _ := e["innerError"].(map[string]any)
		if a.status != 401 || e["code"] != "InvalidAuthenticationToken" || e["message"] == "" || inner["request-id"] == nil || inner["date"] == nil ||
			!strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %v %v", name, a.status, a.body, a.header)
		}
	}

	s.ThrottleNext(9)
	if a := get(t, s.URL()+"/v1.0/me", at); a.status != 429 || a.header.Get("Retry-After") != "9" {
		t.Errorf("throttled: %d %v", a.status, a.header)
	}
	if a := get(t, s.URL()+"/v1.0/me", at); a.status != 200 {
		t.Errorf("after throttling: %d", a.status)
	}

	s.RevokeUser(alice.ObjectID)
	if a := get(t, s.URL()+"/v1.0/me", at); a.status != 401 {
		t.Errorf("revoked: %d", a.status)
	}
}

func TestGraphMe_appOnlyToken(t *testing.T) {
	t.Parallel()
	s := graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{alice}, ConsentedTenants: []string{tenantA}})
	a := post(t, s.URL()+"/"+tenantA+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	if a.status != 200 || a.body["refresh_token"] != nil || a.body["id_token"] != nil {
		t.Fatalf("client credentials: %d %v", a.status, a.body)
	}
	if me := get(t, s.URL()+"/v1.0/me", a.str("access_token")); me.status != 400 {
		t.Errorf("/me with an app token = %d", me.status)
	}
}

// Later work adds Graph endpoints to the fake with Handle and Authenticate.
func TestHandle_extension(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Handle("GET /v1.0/me/people", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.Authenticate(w, r)
		if !ok {
			return
		}
		if !c.HasScope("Calendars.Read") {
			graphtest.WriteError(w, r, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	at := redeem(t, s, authorize(t, s, "common", nil).Get("code"), nil).str("access_token")
	if a := get(t, s.URL()+"/v1.0/me/people", at); a.status != 403 {
		t.Errorf("without Calendars.Read: %d", a.status)
	}
	if a := get(t, s.URL()+"/v1.0/me/people", ""); a.status != 401 {
		t.Errorf("without a token: %d", a.status)
	}
	if n := len(s.GraphRequests()); n != 2 {
		t.Errorf("GraphRequests = %d", n)
	}
}
