package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// codeTTL is how long an authorization code stays valid. RFC 6749 section
// 4.1.2 recommends at most ten minutes; real providers use about one.
const codeTTL = time.Minute

// User is an account that can sign in at the fake provider.
type User struct {
	Subject string // the "sub" claim; required and unique
	Email   string
	Name    string
	// OrgID is the user's organization (tenant). It is emitted as the
	// id_token claim "tid" and as "org_id" in the userinfo answer; both are
	// left out when it is empty.
	OrgID string
}

// Options configure a Provider.
type Options struct {
	// ClientID and ClientSecret are the one client the provider knows.
	// Both are required.
	ClientID, ClientSecret string
	// Users can sign in; the first is the default. When empty, one user
	// {Subject: "user-1", Email: "user1@example.com", Name: "Test User"}
	// is used.
	Users []User
	// RequirePKCE refuses authorization requests without a code_challenge.
	RequirePKCE bool
	// NoRefreshTokens makes token answers omit refresh_token.
	NoRefreshTokens bool
	// RotateRefreshTokens makes every refresh return a new refresh token
	// and invalidate the old one.
	RotateRefreshTokens bool
	// MinimalIDTokens makes id_tokens carry only the required claims (iss,
	// sub, aud, exp, iat, nonce, at_hash), as some providers do when an
	// access token is issued: email, name and organization are then only
	// in the userinfo answer.
	MinimalIDTokens bool
	// AccessTokenTTL is the lifetime of access tokens and id_tokens
	// (expires_in). Default 1h.
	AccessTokenTTL time.Duration
	// Now is the provider's clock. Default time.Now.
	Now func() time.Time
}

// Provider is a running fake OpenID Connect provider. Its methods are safe
// for concurrent use.
type Provider struct {
	t    testing.TB
	srv  *httptest.Server
	opts Options
	key  *rsa.PrivateKey
	kid  string

	mu           sync.Mutex
	nextUser     string
	deny         *redirectError
	failNext     *rawAnswer
	codes        map[string]*codeGrant
	access       map[string]*tokenGrant
	refresh      map[string]*tokenGrant
	authReqs     []url.Values
	tokenReqs    []url.Values
	revokeReqs   []url.Values
	refreshCount int
}

// codeGrant is an issued authorization code and what it was issued for.
type codeGrant struct {
	grantID     string
	clientID    string
	redirectURI string
	scope       string
	nonce       string
	challenge   string // PKCE S256 challenge; "" when none was sent
	user        User
	expires     time.Time
	used        bool
}

// tokenGrant is an access or refresh token. Tokens issued from the same
// authorization code share a grantID, so that revoking one grant (a reused
// code, a revoked refresh token) revokes them all.
type tokenGrant struct {
	grantID  string
	clientID string
	user     User
	scope    string
	expires  time.Time // zero for refresh tokens
}

type redirectError struct{ code, description string }

type rawAnswer struct {
	status int
	body   string
	header http.Header
}

// New starts a fake provider and registers t.Cleanup to close it. It fails
// the test when ClientID or ClientSecret is empty.
func New(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.ClientID == "" || opts.ClientSecret == "" {
		t.Fatalf("oidctest: Options.ClientID and Options.ClientSecret are required")
	}
	if len(opts.Users) == 0 {
		opts.Users = []User{{Subject: "user-1", Email: "user1@example.com", Name: "Test User"}}
	}
	seen := make(map[string]bool, len(opts.Users))
	for _, u := range opts.Users {
		if u.Subject == "" || seen[u.Subject] {
			t.Fatalf("oidctest: every user needs a unique, non-empty Subject (got %q)", u.Subject)
		}
		seen[u.Subject] = true
	}
	opts.Users = append([]User(nil), opts.Users...)
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: generating the signing key: %v", err)
	}
	p := &Provider{
		t:       t,
		opts:    opts,
		key:     key,
		kid:     rand.Text()[:12],
		codes:   make(map[string]*codeGrant),
		access:  make(map[string]*tokenGrant),
		refresh: make(map[string]*tokenGrant),
	}
	p.srv = httptest.NewServer(p.routes())
	t.Cleanup(p.srv.Close)
	return p
}

// URL returns the issuer URL, which is the httptest server's URL.
func (p *Provider) URL() string { return p.srv.URL }

// AuthURL returns the authorization endpoint.
func (p *Provider) AuthURL() string { return p.srv.URL + "/authorize" }

// TokenURL returns the token endpoint.
func (p *Provider) TokenURL() string { return p.srv.URL + "/token" }

// UserInfoURL returns the userinfo endpoint.
func (p *Provider) UserInfoURL() string { return p.srv.URL + "/userinfo" }

// RevokeURL returns the RFC 7009 revocation endpoint.
func (p *Provider) RevokeURL() string { return p.srv.URL + "/revoke" }

// JWKSURL returns the JSON Web Key Set endpoint.
func (p *Provider) JWKSURL() string { return p.srv.URL + "/keys" }

// SetNextUser makes the next successful authorize request sign in the user
// with this subject. Without it, the user whose email matches login_hint
// signs in, else the first user. An unknown subject fails the test.
func (p *Provider) SetNextUser(subject string) {
	if _, ok := p.userBySubject(subject); !ok {
		p.t.Errorf("oidctest: SetNextUser(%q): no such user", subject)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextUser = subject
}

// DenyNext makes the next authorize request (with a valid client_id and
// redirect_uri) redirect back with error=errCode, error_description and
// state instead of a code, as when the user refuses consent
// ("access_denied").
func (p *Provider) DenyNext(errCode, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = &redirectError{code: errCode, description: description}
}

// FailNextToken makes the next token request get this raw answer instead
// of being processed: a 500 HTML page, a 429 with Retry-After, garbage, or
// a 200 JSON answer carrying a forged id_token (see SignIDToken). The
// request is still recorded by TokenRequests and RefreshCount.
func (p *Provider) FailNextToken(status int, body string, header http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = &rawAnswer{status: status, body: body, header: header.Clone()}
}

// RevokeUser revokes every access and refresh token of the user with this
// subject, as when the user withdraws consent or an administrator disables
// the account: refreshing then fails with invalid_grant and userinfo with
// 401. The user can still sign in again.
func (p *Provider) RevokeUser(subject string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for tok, g := range p.refresh {
		if g.user.Subject == subject {
			delete(p.refresh, tok)
		}
	}
	for tok, g := range p.access {
		if g.user.Subject == subject {
			delete(p.access, tok)
		}
	}
}

// AuthorizeRequests returns the query of every authorize request seen, in
// order.
func (p *Provider) AuthorizeRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneAll(p.authReqs)
}

// TokenRequests returns the form of every token request seen, in order,
// without client_secret.
func (p *Provider) TokenRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneAll(p.tokenReqs)
}

// RevokeRequests returns the form of every revocation request seen, in
// order, without client_secret.
func (p *Provider) RevokeRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneAll(p.revokeReqs)
}

// RefreshCount returns how many token requests with
// grant_type=refresh_token reached the provider, whatever their outcome.
func (p *Provider) RefreshCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshCount
}

func (p *Provider) userBySubject(subject string) (User, bool) {
	for _, u := range p.opts.Users {
		if u.Subject == subject {
			return u, true
		}
	}
	return User{}, false
}

func cloneAll(vs []url.Values) []url.Values {
	out := make([]url.Values, len(vs))
	for i, v := range vs {
		out[i] = cloneValues(v)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vv := range v {
		out[k] = append([]string(nil), vv...)
	}
	return out
}
