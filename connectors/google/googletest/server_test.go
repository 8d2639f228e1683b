package googletest_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const (
	clientID     = "1234-web.apps.googleusercontent.com"
	clientSecret = "GOCSPX-test-secret"
	redirectURI  = "https://app.example.com/cb"
	saEmail      = "robot@proj.iam.gserviceaccount.com"
)

var epoch = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func fixedNow() time.Time { return epoch }

var users = []googletest.User{
	{Email: "alice@example.com", Name: "Alice Example", HostedDomain: "example.com", MessagesTotal: 3, ThreadsTotal: 2, HistoryID: 99},
	{Email: "carol@gmail.com", Name: "Carol"},
}

func newServer(t *testing.T, mod func(*googletest.Options)) *googletest.Server {
	t.Helper()
	o := googletest.Options{ClientID: clientID, ClientSecret: clientSecret, RedirectURIs: []string{redirectURI}, Users: users, Now: fixedNow}
	if mod != nil {
		mod(&o)
	}
	return googletest.New(t, o)
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type answer struct {
	status int
	header http.Header
	body   map[string]any
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
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func post(t *testing.T, u string, form url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func get(t *testing.T, u, bearer string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(t, req)
}

func authQuery(kv ...string) url.Values {
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"openid email https://www.googleapis.com/auth/gmail.readonly"}, "state": {"st"}, "access_type": {"offline"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// authorize returns the status and, for a redirect, the callback query.
func authorize(t *testing.T, s *googletest.Server, q url.Values) (int, url.Values) {
	t.Helper()
	resp, err := noRedirects.Get(s.AuthURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, nil
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return resp.StatusCode, loc.Query()
}

func exchange(t *testing.T, s *googletest.Server, code string, kv ...string) answer {
	t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {clientID}, "client_secret": {clientSecret}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return post(t, s.TokenURL(), f)
}

func TestNewServer_withoutTestingTB(t *testing.T) {
	t.Parallel()
	if _, err := googletest.NewServer(googletest.Options{ClientID: clientID}); err == nil || !strings.HasPrefix(err.Error(), "googletest: ") {
		t.Fatalf("NewServer without secret: %v", err)
	}
	if _, err := googletest.NewServer(googletest.Options{ClientID: "a", ClientSecret: "b", Users: []googletest.User{{Email: "x@y"}, {Email: "X@y"}}}); err == nil {
		t.Fatal("duplicate users accepted")
	}
	s, err := googletest.NewServer(googletest.Options{ClientID: clientID, ClientSecret: clientSecret, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := s.Users()
	if len(u) != 1 || u[0].HostedDomain != "example.com" || len(u[0].Subject) != 21 {
		t.Fatalf("default users = %+v", u)
	}
	if a := get(t, s.URL()+"/.well-known/openid-configuration", ""); a.status != 200 || a.str("issuer") != s.Issuer() {
		t.Fatalf("discovery = %d %v", a.status, a.body)
	}
}

func TestDiscoveryAndKeysWithGoOIDC(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(o *googletest.Options) { o.Now = nil })
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Revocation string   `json:"revocation_endpoint"`
		PKCE       []string `json:"code_challenge_methods_supported"`
		Grants     []string `json:"grant_types_supported"`
	}
	if err := p.Claims(&md); err != nil || md.Revocation != s.RevokeURL() || p.Endpoint().AuthURL != s.AuthURL() || p.Endpoint().TokenURL != s.TokenURL() {
		t.Fatalf("discovery: %+v %v", md, err)
	}
	c, _ := s.IDTokenClaims("alice@example.com")
	idt, err := p.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, s.MintIDToken(c))
	if err != nil {
		t.Fatal(err)
	}
	var cl map[string]any
	_ = idt.Claims(&cl)
	if cl["hd"] != "example.com" || cl["email_verified"] != true || cl["azp"] != clientID || cl["name"] != "Alice Example" {
		t.Fatalf("claims = %v", cl)
	}
	if _, ok := s.IDTokenClaims("nobody@example.com"); ok {
		t.Fatal("claims for an unknown user")
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	verifier := xoauth2.GenerateVerifier()
	tests := []struct {
		name       string
		q          url.Values
		before     func(s *googletest.Server)
		wantStatus int    // not 302: an error page, never a redirect
		wantError  string // error in the redirect
		wantScope  string
	}{
		{name: "ok", q: authQuery(), wantStatus: 302, wantScope: "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/gmail.readonly"},
		{name: "unknown client", q: authQuery("client_id", "other"), wantStatus: 401},
		{name: "unregistered redirect_uri", q: authQuery("redirect_uri", "https://evil.example.com/cb"), wantStatus: 400},
		{name: "javascript redirect_uri", q: authQuery("redirect_uri", "javascript:alert(1)"), wantStatus: 400},
		{name: "missing scope", q: authQuery("scope", ""), wantStatus: 400},
		{name: "invalid scope", q: authQuery("scope", "openid admin"), wantStatus: 400},
		{name: "bad access_type", q: authQuery("access_type", "forever"), wantStatus: 400},
		{name: "bad prompt", q: authQuery("prompt", "login"), wantStatus: 400},
		{name: "prompt none with consent", q: authQuery("prompt", "none consent"), wantStatus: 400},
		{name: "bad challenge method", q: authQuery("code_challenge", xoauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method", "S512"), wantStatus: 400},
		{name: "response_type token", q: authQuery("response_type", "token"), wantStatus: 302, wantError: "unsupported_response_type"},
		{name: "denied", q: authQuery(), before: func(s *googletest.Server) { s.DenyNext("access_denied") }, wantStatus: 302, wantError: "access_denied"},
		{name: "prompt none without consent", q: authQuery("prompt", "none"), wantStatus: 302, wantError: "consent_required"},
		{name: "granular consent", q: authQuery(), before: func(s *googletest.Server) { s.GrantOnly() }, wantStatus: 302,
			wantScope: "openid https://www.googleapis.com/auth/userinfo.email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			if tc.before != nil {
				tc.before(s)
			}
			status, back := authorize(t, s, tc.q)
			if status != tc.wantStatus {
				t.Fatalf("status = %d, want %d", status, tc.wantStatus)
			}
			if status != 302 {
				return
			}
			if back.Get("state") != "st" || back.Get("error") != tc.wantError || (tc.wantError != "") == back.Has("code") {
				t.Fatalf("callback = %v", back)
			}
			if tc.wantError == "" && (back.Get("scope") != tc.wantScope || back.Get("hd") != "example.com" || back.Get("prompt") != "consent") {
				t.Fatalf("callback = %v", back)
			}
		})
	}
}

func TestToken_codeErrors(t *testing.T) {
	t.Parallel()
	verifier := xoauth2.GenerateVerifier()
	tests := []struct {
		name       string
		q          url.Values
		request    func(t *testing.T, s *googletest.Server, code string) answer
		wantStatus int
		wantCode   string
		wantDesc   string
	}{
		{name: "ok with PKCE", q: authQuery("code_challenge", xoauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method", "S256"),
			request: func(t *testing.T, s *googletest.Server, code string) answer {
				return exchange(t, s, code, "code_verifier", verifier)
			}, wantStatus: 200},
		{name: "plain PKCE", q: authQuery("code_challenge", verifier),
			request: func(t *testing.T, s *googletest.Server, code string) answer {
				return exchange(t, s, code, "code_verifier", verifier)
			}, wantStatus: 200},
		{name: "basic auth", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
			req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(clientID, clientSecret)
			return do(t, req)
		}, wantStatus: 200},
		{name: "missing verifier", q: authQuery("code_challenge", xoauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method", "S256"),
			request:    func(t *testing.T, s *googletest.Server, code string) answer { return exchange(t, s, code) },
			wantStatus: 400, wantCode: "invalid_grant", wantDesc: "Missing code verifier."},
		{name: "wrong verifier", q: authQuery("code_challenge", xoauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method", "S256"),
			request: func(t *testing.T, s *googletest.Server, code string) answer {
				return exchange(t, s, code, "code_verifier", xoauth2.GenerateVerifier())
			}, wantStatus: 400, wantCode: "invalid_grant", wantDesc: "Invalid code verifier."},
		{name: "wrong secret", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			return exchange(t, s, code, "client_secret", "nope")
		}, wantStatus: 401, wantCode: "invalid_client", wantDesc: "Unauthorized"},
		{name: "unknown client", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			return exchange(t, s, code, "client_id", "other")
		}, wantStatus: 401, wantCode: "invalid_client", wantDesc: "The OAuth client was not found."},
		{name: "malformed code", q: authQuery(), request: func(t *testing.T, s *googletest.Server, _ string) answer { return exchange(t, s, "4/nope") },
			wantStatus: 400, wantCode: "invalid_grant", wantDesc: "Malformed auth code."},
		{name: "reused code", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			exchange(t, s, code)
			return exchange(t, s, code)
		}, wantStatus: 400, wantCode: "invalid_grant", wantDesc: "Bad Request"},
		{name: "redirect_uri mismatch", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			return exchange(t, s, code, "redirect_uri", "https://app.example.com/other")
		}, wantStatus: 400, wantCode: "redirect_uri_mismatch", wantDesc: "Bad Request"},
		{name: "GET", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			return get(t, s.TokenURL()+"?code="+code, "")
		}, wantStatus: 405, wantCode: "invalid_request"},
		{name: "JSON body", q: authQuery(), request: func(t *testing.T, s *googletest.Server, code string) answer {
			req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader(`{"code":"`+code+`"}`))
			req.Header.Set("Content-Type", "application/json")
			return do(t, req)
		}, wantStatus: 400, wantCode: "invalid_request"},
		{name: "unsupported grant", q: authQuery(), request: func(t *testing.T, s *googletest.Server, _ string) answer {
			return post(t, s.TokenURL(), url.Values{"grant_type": {"password"}})
		}, wantStatus: 400, wantCode: "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			_, back := authorize(t, s, tc.q)
			a := tc.request(t, s, back.Get("code"))
			if a.status != tc.wantStatus || a.str("error") != tc.wantCode || (tc.wantDesc != "" && a.str("error_description") != tc.wantDesc) {
				t.Fatalf("answer = %d %v", a.status, a.body)
			}
			if a.status == 200 {
				if !strings.HasPrefix(a.str("access_token"), "ya29.") || !strings.HasPrefix(a.str("refresh_token"), "1//") ||
					a.body["expires_in"] != float64(3599) || a.str("token_type") != "Bearer" || a.str("id_token") == "" || a.str("scope") == "" {
					t.Fatalf("token answer = %v", a.body)
				}
			}
			for _, r := range s.TokenRequests() {
				if r.Has("client_secret") {
					t.Fatal("TokenRequests records the client secret")
				}
			}
		})
	}
}

func TestRefreshAndRevoke(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	_, back := authorize(t, s, authQuery())
	a := exchange(t, s, back.Get("code"))
	rt := a.str("refresh_token")
	refresh := func(kv ...string) answer {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}, "client_secret": {clientSecret}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return post(t, s.TokenURL(), f)
	}
	r := refresh()
	if r.status != 200 || r.str("refresh_token") != "" || r.str("access_token") == a.str("access_token") || r.str("id_token") == "" {
		t.Fatalf("refresh = %d %v", r.status, r.body)
	}
	if w := refresh("scope", "openid https://mail.google.com/"); w.str("error") != "invalid_scope" {
		t.Fatalf("wider scope = %v", w.body)
	}
	// A second authorization without prompt=consent gets no refresh token.
	_, back = authorize(t, s, authQuery())
	if again := exchange(t, s, back.Get("code")); again.status != 200 || again.str("refresh_token") != "" {
		t.Fatalf("second consent = %v", again.body)
	}
	if v := post(t, s.RevokeURL()+"?token="+url.QueryEscape(rt), nil); v.status != 200 {
		t.Fatalf("revoke with query token = %d %v", v.status, v.body)
	}
	if v := post(t, s.RevokeURL(), url.Values{"token": {rt}}); v.status != 400 || v.str("error") != "invalid_token" {
		t.Fatalf("revoke again = %d %v", v.status, v.body)
	}
	if r := refresh(); r.status != 400 || r.str("error") != "invalid_grant" || r.str("error_description") != "Token has been expired or revoked." {
		t.Fatalf("refresh after revoke = %d %v", r.status, r.body)
	}
	if ui := get(t, s.UserInfoURL(), a.str("access_token")); ui.status != 401 {
		t.Fatalf("userinfo with a revoked grant's token = %d", ui.status)
	}
	if n := s.RefreshCount(); n != 3 {
		t.Errorf("RefreshCount = %d", n)
	}
}

func TestUserInfoAndGmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	_, back := authorize(t, s, authQuery())
	at := exchange(t, s, back.Get("code")).str("access_token")
	ui := get(t, s.UserInfoURL(), at)
	if ui.status != 200 || ui.str("email") != "alice@example.com" || ui.body["email_verified"] != true || ui.str("hd") != "example.com" || ui.body["name"] != nil {
		t.Fatalf("userinfo (no profile scope) = %v", ui.body)
	}
	if bad := get(t, s.UserInfoURL(), "ya29.nope"); bad.status != 401 || bad.str("error") != "invalid_request" || !strings.HasPrefix(bad.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("userinfo with a bad token = %d %v", bad.status, bad.body)
	}
	p := get(t, s.APIBaseURL()+"/gmail/v1/users/me/profile", at)
	if p.status != 200 || p.str("emailAddress") != "alice@example.com" || p.body["messagesTotal"] != float64(3) || p.str("historyId") != "99" {
		t.Fatalf("profile = %v", p.body)
	}
	if p := get(t, s.APIBaseURL()+"/gmail/v1/users/ALICE@example.com/profile", at); p.status != 200 {
		t.Fatalf("profile by address = %d", p.status)
	}
	if p := get(t, s.APIBaseURL()+"/gmail/v1/users/bob@example.com/profile", at); p.status != 403 {
		t.Fatalf("someone else's profile = %d", p.status)
	}
	s.RateLimitNext(1500 * time.Millisecond)
	rl := get(t, s.APIBaseURL()+"/gmail/v1/users/me/profile", at)
	e, _ := rl.body["error"].(map[string]any)
	if rl.status != 429 || rl.header.Get("Retry-After") != "2" || e["status"] != "RESOURCE_EXHAUSTED" || e["code"] != float64(429) {
		t.Fatalf("rate limited = %d %v %v", rl.status, rl.header, rl.body)
	}
	un := get(t, s.APIBaseURL()+"/gmail/v1/users/me/profile", "")
	e, _ = un.body["error"].(map[string]any)
	errs, _ := e["errors"].([]any)
	if un.status != 401 || e["status"] != "UNAUTHENTICATED" || len(errs) != 1 || errs[0].(map[string]any)["reason"] != "authError" {
		t.Fatalf("no token = %d %v", un.status, un.body)
	}
}

func TestMuxIsExtensible(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.Mux().HandleFunc("GET /calendar/v3/users/me/calendarList", func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.Authorize(w, r, "https://www.googleapis.com/auth/calendar.readonly")
		if !ok {
			return
		}
		_, _ = io.WriteString(w, `{"kind":"calendar#calendarList","owner":"`+p.User.Email+`"}`)
	})
	_, back := authorize(t, s, authQuery())
	at := exchange(t, s, back.Get("code")).str("access_token")
	if a := get(t, s.APIBaseURL()+"/calendar/v3/users/me/calendarList", at); a.status != 403 {
		t.Fatalf("without the calendar scope = %d", a.status)
	}
}

// assertion signs claims with the service account key file's key.
func assertion(t *testing.T, keyFile []byte, claims map[string]any, kid string) string {
	t.Helper()
	var kf struct {
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
	}
	if err := json.Unmarshal(keyFile, &kf); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(kf.PrivateKey))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if kid == "" {
		kid = kf.PrivateKeyID
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.(*rsa.PrivateKey)}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func TestJWTBearer(t *testing.T) {
	t.Parallel()
	const gmail = "https://www.googleapis.com/auth/gmail.readonly"
	tests := []struct {
		name       string
		opts       func(*googletest.Options)
		claims     func(c map[string]any, s *googletest.Server)
		raw        func(t *testing.T, s *googletest.Server, key []byte, c map[string]any) string
		wantStatus int
		wantCode   string
		wantGmail  int // status of users.getProfile with the token
	}{
		{name: "impersonation", wantStatus: 200, wantGmail: 200},
		{name: "the service account itself", claims: func(c map[string]any, _ *googletest.Server) { delete(c, "sub") }, wantStatus: 200, wantGmail: 400},
		{name: "wrong audience", claims: func(c map[string]any, _ *googletest.Server) { c["aud"] = "https://oauth2.googleapis.com/token" }, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "expired", claims: func(c map[string]any, _ *googletest.Server) {
			c["iat"], c["exp"] = epoch.Add(-2*time.Hour).Unix(), epoch.Add(-time.Hour).Unix()
		}, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "longer than an hour", claims: func(c map[string]any, _ *googletest.Server) { c["exp"] = epoch.Add(2 * time.Hour).Unix() }, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "issued in the future", claims: func(c map[string]any, _ *googletest.Server) {
			c["iat"], c["exp"] = epoch.Add(time.Hour).Unix(), epoch.Add(90*time.Minute).Unix()
		}, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "no scope", claims: func(c map[string]any, _ *googletest.Server) { delete(c, "scope") }, wantStatus: 400, wantCode: "invalid_scope"},
		{name: "unknown issuer", claims: func(c map[string]any, _ *googletest.Server) { c["iss"] = "other@proj.iam.gserviceaccount.com" }, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "unknown user", claims: func(c map[string]any, _ *googletest.Server) { c["sub"] = "nobody@example.com" }, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "consumer user", claims: func(c map[string]any, _ *googletest.Server) { c["sub"] = "carol@gmail.com" }, wantStatus: 401, wantCode: "unauthorized_client"},
		{name: "scope not delegated", opts: func(o *googletest.Options) { o.DelegatedScopes = []string{"https://www.googleapis.com/auth/calendar"} },
			wantStatus: 401, wantCode: "unauthorized_client"},
		{name: "scope delegated", opts: func(o *googletest.Options) { o.DelegatedScopes = []string{gmail} }, wantStatus: 200, wantGmail: 200},
		{name: "signed by another key", raw: func(t *testing.T, s *googletest.Server, key []byte, c map[string]any) string {
			other := s.ServiceAccountJSON("other@proj.iam.gserviceaccount.com")
			var kf map[string]string
			_ = json.Unmarshal(key, &kf)
			return assertion(t, other, c, kf["private_key_id"])
		}, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "tampered", raw: func(t *testing.T, _ *googletest.Server, key []byte, c map[string]any) string {
			parts := strings.Split(assertion(t, key, c, ""), ".")
			return parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		}, wantStatus: 400, wantCode: "invalid_grant"},
		{name: "alg none", raw: func(*testing.T, *googletest.Server, []byte, map[string]any) string {
			return "eyJhbGciOiJub25lIn0.eyJpc3MiOiJyb2JvdEBwcm9qLmlhbS5nc2VydmljZWFjY291bnQuY29tIn0."
		}, wantStatus: 400, wantCode: "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.opts)
			key := s.ServiceAccountJSON(saEmail)
			c := map[string]any{"iss": saEmail, "scope": gmail, "aud": s.TokenURL(), "sub": "alice@example.com",
				"iat": epoch.Unix(), "exp": epoch.Add(time.Hour).Unix()}
			if tc.claims != nil {
				tc.claims(c, s)
			}
			raw := assertion(t, key, c, "")
			if tc.raw != nil {
				raw = tc.raw(t, s, key, c)
			}
			a := post(t, s.TokenURL(), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {raw}})
			if a.status != tc.wantStatus || a.str("error") != tc.wantCode {
				t.Fatalf("answer = %d %v", a.status, a.body)
			}
			if a.status != 200 {
				if a.str("error_description") == "" {
					t.Error("no error_description")
				}
				return
			}
			if a.str("refresh_token") != "" || a.str("token_type") != "Bearer" || a.body["expires_in"] != float64(3599) {
				t.Fatalf("answer = %v", a.body)
			}
			if p := get(t, s.APIBaseURL()+"/gmail/v1/users/me/profile", a.str("access_token")); p.status != tc.wantGmail {
				t.Fatalf("gmail with the token = %d %v", p.status, p.body)
			}
		})
	}
}

func TestServiceAccountJSONShape(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	var kf map[string]string
	if err := json.Unmarshal(s.ServiceAccountJSON(saEmail), &kf); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "project_id", "private_key_id", "private_key", "client_email", "client_id", "auth_uri", "token_uri"} {
		if kf[k] == "" {
			t.Errorf("key file lacks %s", k)
		}
	}
	if kf["type"] != "service_account" || kf["token_uri"] != s.TokenURL() || kf["project_id"] != "proj" || !strings.HasPrefix(kf["private_key"], "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("key file = %v", kf)
	}
}

func TestShortIssuer(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(o *googletest.Options) { o.ShortIssuer = true })
	if _, err := oidc.NewProvider(context.Background(), s.URL()); err != nil {
		t.Fatalf("discovery with ShortIssuer: %v", err)
	}
	c, _ := s.IDTokenClaims("alice@example.com")
	if iss := c["iss"].(string); strings.Contains(iss, "://") || !strings.HasSuffix(s.URL(), iss) {
		t.Fatalf("iss = %q", iss)
	}
}
