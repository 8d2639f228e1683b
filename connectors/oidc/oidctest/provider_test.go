package oidctest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
)

const (
	clientID     = "client-123"
	clientSecret = "s3cret/with+odd&chars"
	redirectURI  = "https://app.example.com/v1/auth/callback"
)

var (
	alice = oidctest.User{Subject: "alice-sub", Email: "alice@example.com", Name: "Alice", OrgID: "tenant-a"}
	bob   = oidctest.User{Subject: "bob-sub", Email: "bob@example.com", Name: "Bob"}
)

func newProvider(t *testing.T, mod func(*oidctest.Options)) *oidctest.Provider {
	t.Helper()
	opts := oidctest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []oidctest.User{alice, bob}}
	if mod != nil {
		mod(&opts)
	}
	return oidctest.New(t, opts)
}

// noRedirects is a client that returns redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func pkcePair() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text() // 52 characters
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authQuery(extra ...string) url.Values {
	q := url.Values{
		"client_id":     {clientID},
		"response_type": {"code"},
		"redirect_uri":  {redirectURI},
		"scope":         {"openid email profile"},
		"state":         {"state-xyz"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q
}

// authorize sends an authorize request and returns the status and the
// redirect's query.
func authorize(t *testing.T, p *oidctest.Provider, q url.Values) (int, url.Values) {
	t.Helper()
	resp, err := noRedirects.Get(p.AuthURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, nil
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("redirected to %q, want %q", got, redirectURI)
	}
	return resp.StatusCode, loc.Query()
}

func codeFor(t *testing.T, p *oidctest.Provider, q url.Values) string {
	t.Helper()
	status, back := authorize(t, p, q)
	if status != http.StatusFound || back.Get("code") == "" {
		t.Fatalf("authorize: status %d, back %v", status, back)
	}
	if back.Get("state") != q.Get("state") {
		t.Fatalf("state = %q, want %q", back.Get("state"), q.Get("state"))
	}
	return back.Get("code")
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// postForm posts form to url; basic selects client_secret_basic, else
// client_secret_post. An empty secret sends no client authentication.
func postForm(t *testing.T, endpoint string, form url.Values, basic bool, secret string) answer {
	t.Helper()
	a, err := postFormErr(endpoint, form, basic, secret)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func postFormErr(endpoint string, form url.Values, basic bool, secret string) (answer, error) {
	form = cloneForm(form)
	if !basic && secret != "" {
		form.Set("client_id", clientID)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic && secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	return doErr(req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	a, err := doErr(req)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func doErr(req *http.Request) (answer, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.body); err != nil {
			return a, fmt.Errorf("answer %d is not JSON: %w: %s", resp.StatusCode, err, b)
		}
	}
	return a, nil
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vv := range v {
		out[k] = append([]string(nil), vv...)
	}
	return out
}

func exchangeForm(code, verifier string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return f
}

func TestDiscoveryAndJWKS(t *testing.T) {
	t.Parallel()
	p := newProvider(t, nil)
	a := do(t, mustGet(t, p.URL()+"/.well-known/openid-configuration"))
	if a.status != http.StatusOK {
		t.Fatalf("discovery status %d", a.status)
	}
	want := map[string]string{
		"issuer":                 p.URL(),
		"authorization_endpoint": p.AuthURL(),
		"token_endpoint":         p.TokenURL(),
		"userinfo_endpoint":      p.UserInfoURL(),
		"jwks_uri":               p.JWKSURL(),
		"revocation_endpoint":    p.RevokeURL(),
	}
	for k, v := range want {
		if a.str(k) != v {
			t.Errorf("discovery %s = %q, want %q", k, a.str(k), v)
		}
	}
	if m, _ := a.body["code_challenge_methods_supported"].([]any); len(m) != 1 || m[0] != "S256" {
		t.Errorf("code_challenge_methods_supported = %v, want [S256]", a.body["code_challenge_methods_supported"])
	}

	resp, err := http.Get(p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 || k.Algorithm != "RS256" || k.Use != "sig" || k.KeyID == "" || !k.IsPublic() {
		t.Fatalf("JWKS key = %+v, want a public RSA 2048 RS256 signing key with a kid", k)
	}
}

func mustGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestCodeFlow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		basic bool
		pkce  bool
	}{
		{"basic auth with PKCE", true, true},
		{"client_secret_post with PKCE", false, true},
		{"basic auth without PKCE", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, nil)
			verifier, challenge := pkcePair()
			q := authQuery("nonce", "nonce-1")
			if tc.pkce {
				q.Set("code_challenge", challenge)
				q.Set("code_challenge_method", "S256")
			} else {
				verifier = ""
			}
			code := codeFor(t, p, q)
			a := postForm(t, p.TokenURL(), exchangeForm(code, verifier), tc.basic, clientSecret)
			if a.status != http.StatusOK {
				t.Fatalf("token status %d: %v", a.status, a.body)
			}
			if a.str("token_type") != "Bearer" || a.str("access_token") == "" || a.str("refresh_token") == "" ||
				a.body["expires_in"] != float64(3600) || a.str("scope") != "openid email profile" {
				t.Fatalf("token answer = %v", a.body)
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", a.header.Get("Cache-Control"))
			}

			// The id_token verifies with go-oidc against discovery and JWKS.
			ctx := context.Background()
			op, err := oidc.NewProvider(ctx, p.URL())
			if err != nil {
				t.Fatal(err)
			}
			idt, err := op.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, a.str("id_token"))
			if err != nil {
				t.Fatalf("verify id_token: %v", err)
			}
			if err := idt.VerifyAccessToken(a.str("access_token")); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var claims struct {
				Email string `json:"email"`
				Name  string `json:"name"`
				TID   string `json:"tid"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if idt.Subject != alice.Subject || idt.Nonce != "nonce-1" || claims.Email != alice.Email ||
				claims.Name != alice.Name || claims.TID != alice.OrgID {
				t.Errorf("id_token = sub %q nonce %q %+v", idt.Subject, idt.Nonce, claims)
			}

			// The access token works at userinfo.
			req := mustGet(t, p.UserInfoURL())
			req.Header.Set("Authorization", "Bearer "+a.str("access_token"))
			ui := do(t, req)
			if ui.status != http.StatusOK || ui.str("sub") != alice.Subject || ui.str("email") != alice.Email ||
				ui.str("name") != alice.Name || ui.str("org_id") != alice.OrgID {
				t.Errorf("userinfo = %d %v", ui.status, ui.body)
			}

			// What the fake saw.
			ar := p.AuthorizeRequests()
			if len(ar) != 1 || ar[0].Get("nonce") != "nonce-1" {
				t.Errorf("AuthorizeRequests = %v", ar)
			}
			if tc.pkce && (ar[0].Get("code_challenge_method") != "S256" || ar[0].Get("code_challenge") != challenge) {
				t.Errorf("authorize PKCE params = %v", ar[0])
			}
			tr := p.TokenRequests()
			if len(tr) != 1 || tr[0].Has("client_secret") || tr[0].Get("code_verifier") != verifier {
				t.Errorf("TokenRequests = %v", tr)
			}
		})
	}
}

func TestToken_rejects(t *testing.T) {
	t.Parallel()
	type setup struct {
		p        *oidctest.Provider
		code     string
		verifier string
	}
	tests := []struct {
		name       string
		mod        func(*oidctest.Options)
		pkce       bool
		request    func(t *testing.T, s setup) answer
		wantStatus int
		wantCode   string
		keepsCode  bool // the request did not present the authorization code
	}{
		{
			name: "wrong client secret (basic)",
			request: func(t *testing.T, s setup) answer {
				return postForm(t, s.p.TokenURL(), exchangeForm(s.code, ""), true, "wrong")
			},
			wantStatus: 401, wantCode: "invalid_client",
		},
		{
			name: "wrong client secret (post)",
			request: func(t *testing.T, s setup) answer {
				return postForm(t, s.p.TokenURL(), exchangeForm(s.code, ""), false, "wrong")
			},
			wantStatus: 401, wantCode: "invalid_client",
		},
		{
			name: "no client authentication",
			request: func(t *testing.T, s setup) answer {
				f := exchangeForm(s.code, "")
				f.Set("client_id", clientID)
				return postForm(t, s.p.TokenURL(), f, false, "")
			},
			wantStatus: 401, wantCode: "invalid_client",
		},
		{
			name: "two client authentication methods",
			request: func(t *testing.T, s setup) answer {
				f := exchangeForm(s.code, "")
				f.Set("client_secret", clientSecret)
				return postForm(t, s.p.TokenURL(), f, true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_request",
		},
		{
			name: "reused code",
			request: func(t *testing.T, s setup) answer {
				if a := postForm(t, s.p.TokenURL(), exchangeForm(s.code, ""), true, clientSecret); a.status != 200 {
					t.Fatalf("first exchange: %d %v", a.status, a.body)
				}
				return postForm(t, s.p.TokenURL(), exchangeForm(s.code, ""), true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant",
		},
		{
			name: "unknown code",
			request: func(t *testing.T, s setup) answer {
				return postForm(t, s.p.TokenURL(), exchangeForm("nope", ""), true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant", keepsCode: true,
		},
		{
			name: "wrong PKCE verifier",
			pkce: true,
			request: func(t *testing.T, s setup) answer {
				other, _ := pkcePair()
				return postForm(t, s.p.TokenURL(), exchangeForm(s.code, other), true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant",
		},
		{
			name: "missing PKCE verifier",
			pkce: true,
			request: func(t *testing.T, s setup) answer {
				return postForm(t, s.p.TokenURL(), exchangeForm(s.code, ""), true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant",
		},
		{
			name: "verifier without challenge (PKCE downgrade)",
			request: func(t *testing.T, s setup) answer {
				v, _ := pkcePair()
				return postForm(t, s.p.TokenURL(), exchangeForm(s.code, v), true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant",
		},
		{
			name: "mismatched redirect_uri",
			request: func(t *testing.T, s setup) answer {
				f := exchangeForm(s.code, "")
				f.Set("redirect_uri", "https://evil.example.com/v1/auth/callback")
				return postForm(t, s.p.TokenURL(), f, true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant",
		},
		{
			name: "missing redirect_uri",
			request: func(t *testing.T, s setup) answer {
				f := exchangeForm(s.code, "")
				f.Del("redirect_uri")
				return postForm(t, s.p.TokenURL(), f, true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant",
		},
		{
			name: "unsupported grant type",
			request: func(t *testing.T, s setup) answer {
				return postForm(t, s.p.TokenURL(), url.Values{"grant_type": {"password"}}, true, clientSecret)
			},
			wantStatus: 400, wantCode: "unsupported_grant_type",
		},
		{
			name: "repeated parameter",
			request: func(t *testing.T, s setup) answer {
				f := exchangeForm(s.code, "")
				f.Add("code", "other")
				return postForm(t, s.p.TokenURL(), f, true, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_request",
		},
		{
			name: "JSON body",
			request: func(t *testing.T, s setup) answer {
				req, _ := http.NewRequest(http.MethodPost, s.p.TokenURL(), strings.NewReader(`{"grant_type":"authorization_code"}`))
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(clientID, clientSecret)
				return do(t, req)
			},
			wantStatus: 400, wantCode: "invalid_request",
		},
		{
			name: "GET",
			request: func(t *testing.T, s setup) answer {
				return do(t, mustGet(t, s.p.TokenURL()+"?"+exchangeForm(s.code, "").Encode()))
			},
			wantStatus: 405, wantCode: "invalid_request",
		},
		{
			name: "refresh with an unknown refresh token",
			request: func(t *testing.T, s setup) answer {
				f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-nope"}}
				return postForm(t, s.p.TokenURL(), f, false, clientSecret)
			},
			wantStatus: 400, wantCode: "invalid_grant", keepsCode: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, tc.mod)
			q := authQuery()
			var verifier string
			if tc.pkce {
				var challenge string
				verifier, challenge = pkcePair()
				q.Set("code_challenge", challenge)
				q.Set("code_challenge_method", "S256")
			}
			s := setup{p: p, code: codeFor(t, p, q), verifier: verifier}
			a := tc.request(t, s)
			if a.status != tc.wantStatus || a.str("error") != tc.wantCode {
				t.Fatalf("answer = %d %v, want %d %s", a.status, a.body, tc.wantStatus, tc.wantCode)
			}
			if a.str("error_description") == "" {
				t.Errorf("no error_description in %v", a.body)
			}
			if tc.wantStatus == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			// A failed exchange burns the code: the right request fails too.
			if tc.wantCode == "invalid_grant" && !tc.keepsCode {
				if a := postForm(t, p.TokenURL(), exchangeForm(s.code, s.verifier), true, clientSecret); a.status != 400 {
					t.Errorf("code still usable after a failed exchange: %d", a.status)
				}
			}
		})
	}
}

func TestToken_expiredCode(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	p := newProvider(t, func(o *oidctest.Options) { o.Now = func() time.Time { return time.Unix(now.Load(), 0) } })
	code := codeFor(t, p, authQuery())
	now.Add(61)
	a := postForm(t, p.TokenURL(), exchangeForm(code, ""), true, clientSecret)
	if a.status != 400 || a.str("error") != "invalid_grant" {
		t.Fatalf("expired code: %d %v", a.status, a.body)
	}
}

func TestToken_reusedCodeRevokesItsTokens(t *testing.T) {
	t.Parallel()
	p := newProvider(t, nil)
	code := codeFor(t, p, authQuery())
	first := postForm(t, p.TokenURL(), exchangeForm(code, ""), true, clientSecret)
	if first.status != 200 {
		t.Fatalf("exchange: %d %v", first.status, first.body)
	}
	postForm(t, p.TokenURL(), exchangeForm(code, ""), true, clientSecret)
	a := postForm(t, p.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}}, true, clientSecret)
	if a.status != 400 || a.str("error") != "invalid_grant" {
		t.Fatalf("refresh after code reuse: %d %v", a.status, a.body)
	}
}

func TestAuthorize_errors(t *testing.T) {
	t.Parallel()
	_, challenge := pkcePair()
	tests := []struct {
		name       string
		mod        func(*oidctest.Options)
		deny       bool
		q          url.Values
		wantStatus int    // 400: shown to the user, not redirected
		wantError  string // error in the redirect
	}{
		{name: "unknown client", q: authQuery("client_id", "other"), wantStatus: 400},
		{name: "missing client", q: authQuery("client_id", ""), wantStatus: 400},
		{name: "missing redirect_uri", q: authQuery("redirect_uri", ""), wantStatus: 400},
		{name: "relative redirect_uri", q: authQuery("redirect_uri", "/callback"), wantStatus: 400},
		{name: "javascript redirect_uri", q: authQuery("redirect_uri", "javascript:alert(1)"), wantStatus: 400},
		{name: "response_type token", q: authQuery("response_type", "token"), wantStatus: 302, wantError: "unsupported_response_type"},
		{name: "plain PKCE", q: authQuery("code_challenge", challenge, "code_challenge_method", "plain"), wantStatus: 302, wantError: "invalid_request"},
		{name: "challenge without method", q: authQuery("code_challenge", challenge), wantStatus: 302, wantError: "invalid_request"},
		{name: "short challenge", q: authQuery("code_challenge", "abc", "code_challenge_method", "S256"), wantStatus: 302, wantError: "invalid_request"},
		{name: "PKCE required", mod: func(o *oidctest.Options) { o.RequirePKCE = true }, q: authQuery(), wantStatus: 302, wantError: "invalid_request"},
		{name: "denied", deny: true, q: authQuery(), wantStatus: 302, wantError: "access_denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, tc.mod)
			if tc.deny {
				p.DenyNext("access_denied", "The user said no")
			}
			status, back := authorize(t, p, tc.q)
			if status != tc.wantStatus {
				t.Fatalf("status = %d, want %d", status, tc.wantStatus)
			}
			if status != 302 {
				return
			}
			if back.Get("error") != tc.wantError || back.Get("code") != "" || back.Get("state") != "state-xyz" || back.Get("error_description") == "" {
				t.Fatalf("redirect query = %v, want error %s with state", back, tc.wantError)
			}
			if tc.deny && back.Get("error_description") != "The user said no" {
				t.Errorf("error_description = %q", back.Get("error_description"))
			}
			// Deny is one-shot; PKCE-required refuses again.
			_, again := authorize(t, p, authQuery())
			if (again.Get("code") != "") != (tc.mod == nil) {
				t.Errorf("second authorize = %v", again)
			}
		})
	}
}

func TestAuthorize_userSelection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		next     string
		hint     string
		wantUser oidctest.User
	}{
		{"default is the first user", "", "", alice},
		{"login_hint picks by email", "", "BOB@example.com", bob},
		{"unknown login_hint falls back", "", "carol@example.com", alice},
		{"SetNextUser wins over login_hint", bob.Subject, alice.Email, bob},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, nil)
			if tc.next != "" {
				p.SetNextUser(tc.next)
			}
			q := authQuery()
			if tc.hint != "" {
				q.Set("login_hint", tc.hint)
			}
			a := postForm(t, p.TokenURL(), exchangeForm(codeFor(t, p, q), ""), true, clientSecret)
			req := mustGet(t, p.UserInfoURL())
			req.Header.Set("Authorization", "Bearer "+a.str("access_token"))
			if ui := do(t, req); ui.str("sub") != tc.wantUser.Subject {
				t.Fatalf("signed in %v, want %s", ui.body, tc.wantUser.Subject)
			}
			if tc.next != "" { // one-shot
				a := postForm(t, p.TokenURL(), exchangeForm(codeFor(t, p, authQuery()), ""), true, clientSecret)
				req := mustGet(t, p.UserInfoURL())
				req.Header.Set("Authorization", "Bearer "+a.str("access_token"))
				if ui := do(t, req); ui.str("sub") != alice.Subject {
					t.Fatalf("after SetNextUser signed in %v, want the default", ui.body)
				}
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		mod         func(*oidctest.Options)
		wantRefresh bool // a refresh token in the code exchange
		wantRotated bool
	}{
		{"kept", nil, true, false},
		{"rotated", func(o *oidctest.Options) { o.RotateRefreshTokens = true }, true, true},
		{"none", func(o *oidctest.Options) { o.NoRefreshTokens = true }, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, tc.mod)
			first := postForm(t, p.TokenURL(), exchangeForm(codeFor(t, p, authQuery()), ""), true, clientSecret)
			rt := first.str("refresh_token")
			if (rt != "") != tc.wantRefresh {
				t.Fatalf("refresh_token in exchange = %q", rt)
			}
			if !tc.wantRefresh {
				return
			}
			refresh := func(rt string) answer {
				return postForm(t, p.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, false, clientSecret)
			}
			a := refresh(rt)
			if a.status != 200 || a.str("access_token") == "" || a.str("access_token") == first.str("access_token") || a.str("id_token") == "" {
				t.Fatalf("refresh = %d %v", a.status, a.body)
			}
			if tc.wantRotated {
				if a.str("refresh_token") == "" || a.str("refresh_token") == rt {
					t.Fatalf("rotated refresh_token = %q", a.str("refresh_token"))
				}
				if old := refresh(rt); old.status != 400 || old.str("error") != "invalid_grant" {
					t.Fatalf("old refresh token after rotation: %d %v", old.status, old.body)
				}
				rt = a.str("refresh_token")
			} else if a.str("refresh_token") != "" {
				t.Fatalf("refresh answer has a refresh_token without rotation: %v", a.body)
			}
			again := refresh(rt)
			if again.status != 200 {
				t.Fatalf("refresh again: %d %v", again.status, again.body)
			}
			if tc.wantRotated {
				rt = again.str("refresh_token")
			}
			if wide := postForm(t, p.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid admin"}}, true, clientSecret); wide.str("error") != "invalid_scope" {
				t.Fatalf("refresh with a wider scope: %d %v", wide.status, wide.body)
			}

			p.RevokeUser(alice.Subject)
			revoked := refresh(rt)
			if revoked.status != 400 || revoked.str("error") != "invalid_grant" {
				t.Fatalf("refresh after RevokeUser: %d %v", revoked.status, revoked.body)
			}
			want := 4
			if tc.wantRotated {
				want = 5 // the refused old refresh token counts too
			}
			if n := p.RefreshCount(); n != want {
				t.Errorf("RefreshCount = %d, want %d", n, want)
			}
		})
	}
}

func TestFailNextToken(t *testing.T) {
	t.Parallel()
	p := newProvider(t, nil)
	code := codeFor(t, p, authQuery())
	p.FailNextToken(http.StatusServiceUnavailable, "<html><body>Down for maintenance</body></html>",
		http.Header{"Content-Type": {"text/html"}, "Retry-After": {"120"}})
	a := postForm(t, p.TokenURL(), exchangeForm(code, ""), true, clientSecret)
	if a.status != 503 || a.header.Get("Retry-After") != "120" || a.header.Get("Content-Type") != "text/html" {
		t.Fatalf("failed answer = %d %v", a.status, a.header)
	}
	// One-shot, and the code was not consumed.
	if a := postForm(t, p.TokenURL(), exchangeForm(code, ""), true, clientSecret); a.status != 200 {
		t.Fatalf("next answer = %d %v", a.status, a.body)
	}
	if n := len(p.TokenRequests()); n != 2 {
		t.Errorf("TokenRequests has %d entries, want 2", n)
	}
}

func TestUserInfo_rejects(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	p := newProvider(t, func(o *oidctest.Options) { o.Now = func() time.Time { return time.Unix(now.Load(), 0) } })
	a := postForm(t, p.TokenURL(), exchangeForm(codeFor(t, p, authQuery()), ""), true, clientSecret)
	at := a.str("access_token")
	for _, tc := range []struct {
		name, auth string
		advance    int64
		wantStatus int
	}{
		{"valid", "Bearer " + at, 0, 200},
		{"lower-case scheme", "bearer " + at, 0, 200},
		{"no header", "", 0, 401},
		{"basic", "Basic " + at, 0, 401},
		{"unknown token", "Bearer at-nope", 0, 401},
		{"expired", "Bearer " + at, 3601, 401},
	} {
		now.Add(tc.advance)
		req := mustGet(t, p.UserInfoURL())
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		got := do(t, req)
		if got.status != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.name, got.status, tc.wantStatus)
		}
		if got.status == 401 && !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, got.header.Get("WWW-Authenticate"))
		}
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	p := newProvider(t, nil)
	a := postForm(t, p.TokenURL(), exchangeForm(codeFor(t, p, authQuery()), ""), true, clientSecret)
	if r := postForm(t, p.RevokeURL(), url.Values{"token": {a.str("refresh_token")}, "token_type_hint": {"refresh_token"}}, true, "wrong"); r.status != 401 {
		t.Fatalf("revoke with a wrong secret: %d", r.status)
	}
	if r := postForm(t, p.RevokeURL(), url.Values{"token": {a.str("refresh_token")}, "token_type_hint": {"refresh_token"}}, false, clientSecret); r.status != 200 {
		t.Fatalf("revoke: %d %v", r.status, r.body)
	}
	if r := postForm(t, p.RevokeURL(), url.Values{"token": {"unknown"}}, true, clientSecret); r.status != 200 {
		t.Fatalf("revoking an unknown token: %d %v", r.status, r.body)
	}
	if r := postForm(t, p.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.str("refresh_token")}}, true, clientSecret); r.str("error") != "invalid_grant" {
		t.Fatalf("refresh after revocation: %d %v", r.status, r.body)
	}
	req := mustGet(t, p.UserInfoURL())
	req.Header.Set("Authorization", "Bearer "+a.str("access_token"))
	if ui := do(t, req); ui.status != 401 {
		t.Fatalf("access token of a revoked grant: %d", ui.status)
	}
	rr := p.RevokeRequests()
	if len(rr) != 3 || rr[1].Get("token_type_hint") != "refresh_token" || slices.ContainsFunc(rr, func(v url.Values) bool { return v.Has("client_secret") }) {
		t.Fatalf("RevokeRequests = %v", rr)
	}
}

func TestSignIDToken(t *testing.T) {
	t.Parallel()
	p := newProvider(t, nil)
	ctx := context.Background()
	op, err := oidc.NewProvider(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	v := op.Verifier(&oidc.Config{ClientID: clientID})
	good := p.IDTokenClaims(bob.Subject)
	if _, err := v.Verify(ctx, p.SignIDToken(good)); err != nil {
		t.Fatalf("IDTokenClaims signed: %v", err)
	}
	bad := p.IDTokenClaims(bob.Subject)
	bad["aud"] = "someone-else"
	if _, err := v.Verify(ctx, p.SignIDToken(bad)); err == nil {
		t.Fatal("wrong audience verified")
	}
}

func TestConcurrentFlows(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(o *oidctest.Options) { o.RotateRefreshTokens = true })
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			verifier, challenge := pkcePair()
			q := authQuery("code_challenge", challenge, "code_challenge_method", "S256", "state", rand.Text())
			resp, err := noRedirects.Get(p.AuthURL() + "?" + q.Encode())
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			a, err := postFormErr(p.TokenURL(), exchangeForm(loc.Query().Get("code"), verifier), true, clientSecret)
			if err != nil || a.status != 200 {
				t.Errorf("exchange: %v %d %v", err, a.status, a.body)
				return
			}
			r, err := postFormErr(p.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.str("refresh_token")}}, false, clientSecret)
			if err != nil || r.status != 200 {
				t.Errorf("refresh: %v %d %v", err, r.status, r.body)
			}
			_ = p.TokenRequests()
			_ = p.AuthorizeRequests()
		})
	}
	wg.Wait()
	if n := p.RefreshCount(); n != 16 {
		t.Errorf("RefreshCount = %d, want 16", n)
	}
}
