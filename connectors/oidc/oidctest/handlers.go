package oidctest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxFormBytes bounds the bodies the fake reads.
const maxFormBytes = 64 << 10

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET /keys", p.handleJWKS)
	mux.HandleFunc("GET /authorize", p.handleAuthorize)
	mux.HandleFunc("/token", p.handleToken)
	mux.HandleFunc("/userinfo", p.handleUserInfo)
	mux.HandleFunc("/revoke", p.handleRevoke)
	return mux
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	authMethods := []string{"client_secret_basic", "client_secret_post"}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                     p.URL(),
		"authorization_endpoint":                     p.AuthURL(),
		"token_endpoint":                             p.TokenURL(),
		"userinfo_endpoint":                          p.UserInfoURL(),
		"jwks_uri":                                   p.JWKSURL(),
		"revocation_endpoint":                        p.RevokeURL(),
		"response_types_supported":                   []string{"code"},
		"subject_types_supported":                    []string{"public"},
		"id_token_signing_alg_values_supported":      []string{"RS256"},
		"scopes_supported":                           []string{"openid", "email", "profile", "offline_access"},
		"grant_types_supported":                      []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported":      authMethods,
		"revocation_endpoint_auth_methods_supported": authMethods,
		"code_challenge_methods_supported":           []string{"S256"},
		"claims_supported":                           []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified", "name", "tid"},
	})
}

func (p *Provider) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, p.jwks())
}

// handleAuthorize approves at once (RFC 6749 section 4.1.1). Errors about
// the client or the redirect URI are shown to the user, never redirected
// (section 4.1.2.1); the others go back to the redirect URI.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.authReqs = append(p.authReqs, cloneValues(q))
	p.mu.Unlock()

	if q.Get("client_id") == "" || !equal(q.Get("client_id"), p.opts.ClientID) {
		http.Error(w, "oidctest: unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	ru, err := url.Parse(redirectURI)
	if redirectURI == "" || err != nil || !ru.IsAbs() || ru.Host == "" || ru.Fragment != "" ||
		(ru.Scheme != "https" && ru.Scheme != "http") {
		http.Error(w, "oidctest: missing or invalid redirect_uri", http.StatusBadRequest)
		return
	}
	state := q.Get("state")

	p.mu.Lock()
	deny := p.deny
	p.deny = nil
	p.mu.Unlock()
	if deny != nil {
		redirectBack(w, r, ru, state, url.Values{"error": {deny.code}, "error_description": {deny.description}})
		return
	}
	if q.Get("response_type") != "code" {
		redirectBack(w, r, ru, state, oauthError("unsupported_response_type", "only response_type=code is supported"))
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge != "" && method != "S256":
		redirectBack(w, r, ru, state, oauthError("invalid_request", "code_challenge_method must be S256"))
		return
	case challenge != "" && !validPKCEValue(challenge):
		redirectBack(w, r, ru, state, oauthError("invalid_request", "malformed code_challenge"))
		return
	case challenge == "" && method != "":
		redirectBack(w, r, ru, state, oauthError("invalid_request", "code_challenge_method without code_challenge"))
		return
	case challenge == "" && p.opts.RequirePKCE:
		redirectBack(w, r, ru, state, oauthError("invalid_request", "code_challenge required (PKCE)"))
		return
	}

	p.mu.Lock()
	user := p.pickUserLocked(q.Get("login_hint"))
	code := rand.Text()
	p.codes[code] = &codeGrant{
		grantID:     rand.Text(),
		clientID:    q.Get("client_id"),
		redirectURI: redirectURI,
		scope:       strings.Join(strings.Fields(q.Get("scope")), " "),
		nonce:       q.Get("nonce"),
		challenge:   challenge,
		user:        user,
		expires:     p.opts.Now().Add(codeTTL),
	}
	p.mu.Unlock()
	redirectBack(w, r, ru, state, url.Values{"code": {code}})
}

// pickUserLocked consumes SetNextUser, else matches login_hint with an
// email, else returns the first user.
func (p *Provider) pickUserLocked(loginHint string) User {
	if p.nextUser != "" {
		subject := p.nextUser
		p.nextUser = ""
		if u, ok := p.userBySubject(subject); ok {
			return u
		}
	}
	if loginHint != "" {
		for _, u := range p.opts.Users {
			if u.Email != "" && strings.EqualFold(u.Email, loginHint) {
				return u
			}
		}
	}
	return p.opts.Users[0]
}

func redirectBack(w http.ResponseWriter, r *http.Request, ru *url.URL, state string, params url.Values) {
	u := *ru
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// tokenAnswer is what the token endpoint writes.
type tokenAnswer struct {
	status int
	body   map[string]any
	header http.Header
}

func oauthError(code, description string) url.Values {
	return url.Values{"error": {code}, "error_description": {description}}
}

func errorAnswer(status int, code, description string) tokenAnswer {
	return tokenAnswer{status: status, body: map[string]any{"error": code, "error_description": description}}
}

func invalidClient() tokenAnswer {
	a := errorAnswer(http.StatusUnauthorized, "invalid_client", "client authentication failed")
	a.header = http.Header{"Www-Authenticate": {`Basic realm="oidctest"`}}
	return a
}

// handleToken is the token endpoint of RFC 6749 sections 4.1.3 and 6.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	form, ans, ok := readForm(w, r)
	if !ok {
		writeAnswer(w, ans)
		return
	}
	recorded := cloneValues(form)
	recorded.Del("client_secret")
	p.mu.Lock()
	p.tokenReqs = append(p.tokenReqs, recorded)
	if form.Get("grant_type") == "refresh_token" {
		p.refreshCount++
	}
	fail := p.failNext
	p.failNext = nil
	p.mu.Unlock()
	if fail != nil {
		for k, v := range fail.header {
			w.Header()[k] = v
		}
		w.WriteHeader(fail.status)
		_, _ = w.Write([]byte(fail.body))
		return
	}

	clientID, ans, ok := p.authenticateClient(r, form)
	if !ok {
		writeAnswer(w, ans)
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		ans = p.exchangeCode(clientID, form)
	case "refresh_token":
		ans = p.refreshToken(clientID, form)
	case "":
		ans = errorAnswer(http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		ans = errorAnswer(http.StatusBadRequest, "unsupported_grant_type", "grant_type "+strconv.Quote(gt)+" is not supported")
	}
	writeAnswer(w, ans)
}

// readForm reads an application/x-www-form-urlencoded POST body, refusing
// repeated parameters (RFC 6749 section 3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, tokenAnswer, bool) {
	if r.Method != http.MethodPost {
		a := errorAnswer(http.StatusMethodNotAllowed, "invalid_request", "only POST is allowed")
		a.header = http.Header{"Allow": {http.MethodPost}}
		return nil, a, false
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, errorAnswer(http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"), false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errorAnswer(http.StatusBadRequest, "invalid_request", "malformed form body"), false
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, errorAnswer(http.StatusBadRequest, "invalid_request", "parameter "+strconv.Quote(k)+" repeated"), false
		}
	}
	return r.PostForm, tokenAnswer{}, true
}

// authenticateClient accepts client_secret_basic (with the form-urlencoding
// of RFC 6749 section 2.3.1) or client_secret_post, not both at once.
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (string, tokenAnswer, bool) {
	user, pass, basic := r.BasicAuth()
	var id, secret string
	switch {
	case basic && form.Has("client_secret"):
		return "", errorAnswer(http.StatusBadRequest, "invalid_request", "more than one client authentication method"), false
	case basic:
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return "", invalidClient(), false
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return "", invalidClient(), false
		}
	default:
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" || secret == "" || !equal(id, p.opts.ClientID) || !equal(secret, p.opts.ClientSecret) {
		return "", invalidClient(), false
	}
	return id, tokenAnswer{}, true
}

func (p *Provider) exchangeCode(clientID string, form url.Values) tokenAnswer {
	now := p.opts.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.codes[form.Get("code")]
	switch {
	case g == nil:
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "unknown authorization code")
	case g.used:
		// RFC 6749 section 4.1.2: a reused code revokes what it issued.
		p.revokeGrantLocked(g.grantID)
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "authorization code already used")
	}
	g.used = true
	switch {
	case now.After(g.expires):
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "authorization code expired")
	case g.clientID != clientID:
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "authorization code issued to another client")
	case form.Get("redirect_uri") != g.redirectURI:
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
	}
	verifier := form.Get("code_verifier")
	switch {
	case g.challenge == "" && verifier != "":
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "code_verifier sent but the authorization request had no code_challenge")
	case g.challenge != "" && verifier == "":
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "code_verifier required")
	case g.challenge != "" && (!validPKCEValue(verifier) || !equal(s256(verifier), g.challenge)):
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
	}
	return p.issueLocked(g.grantID, clientID, g.user, g.scope, g.nonce, true, now)
}

func (p *Provider) refreshToken(clientID string, form url.Values) tokenAnswer {
	now := p.opts.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := form.Get("refresh_token")
	g := p.refresh[rt]
	if rt == "" || g == nil {
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "unknown, expired or revoked refresh token")
	}
	if g.clientID != clientID {
		return errorAnswer(http.StatusBadRequest, "invalid_grant", "refresh token issued to another client")
	}
	scope := g.scope
	if form.Has("scope") {
		granted := strings.Fields(g.scope)
		for _, s := range strings.Fields(form.Get("scope")) {
			if !slices.Contains(granted, s) {
				return errorAnswer(http.StatusBadRequest, "invalid_scope", "scope exceeds the original grant")
			}
		}
		scope = strings.Join(strings.Fields(form.Get("scope")), " ")
	}
	rotate := p.opts.RotateRefreshTokens
	if rotate {
		delete(p.refresh, rt)
	}
	return p.issueLocked(g.grantID, clientID, g.user, scope, "", rotate, now)
}

// issueLocked issues an access token, a refresh token when withRefresh
// (and refresh tokens are on), and an id_token when scope has openid.
func (p *Provider) issueLocked(grantID, clientID string, u User, scope, nonce string, withRefresh bool, now time.Time) tokenAnswer {
	ttl := p.opts.AccessTokenTTL
	at := "at-" + rand.Text()
	p.access[at] = &tokenGrant{grantID: grantID, clientID: clientID, user: u, scope: scope, expires: now.Add(ttl)}
	body := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int64(ttl / time.Second),
	}
	if scope != "" {
		body["scope"] = scope
	}
	if withRefresh && !p.opts.NoRefreshTokens {
		rt := "rt-" + rand.Text()
		p.refresh[rt] = &tokenGrant{grantID: grantID, clientID: clientID, user: u, scope: scope}
		body["refresh_token"] = rt
	}
	if slices.Contains(strings.Fields(scope), "openid") {
		idt, err := p.sign(p.idTokenClaims(u, clientID, nonce, at, now))
		if err != nil {
			return errorAnswer(http.StatusInternalServerError, "server_error", "signing the id_token failed")
		}
		body["id_token"] = idt
	}
	return tokenAnswer{status: http.StatusOK, body: body}
}

func (p *Provider) revokeGrantLocked(grantID string) {
	for tok, g := range p.access {
		if g.grantID == grantID {
			delete(p.access, tok)
		}
	}
	for tok, g := range p.refresh {
		if g.grantID == grantID {
			delete(p.refresh, tok)
		}
	}
}

// handleUserInfo is the userinfo endpoint (OpenID Connect Core section
// 5.3) with a Bearer access token (RFC 6750 section 2.1). It answers every
// claim of the user, whatever the scope.
func (p *Provider) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oidctest"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_request", "error_description": "Bearer access token required"})
		return
	}
	now := p.opts.Now()
	p.mu.Lock()
	g := p.access[tok]
	p.mu.Unlock()
	if g == nil || now.After(g.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oidctest", error="invalid_token", error_description="unknown, expired or revoked access token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token", "error_description": "unknown, expired or revoked access token"})
		return
	}
	info := map[string]any{"sub": g.user.Subject}
	if g.user.Email != "" {
		info["email"] = g.user.Email
		info["email_verified"] = true
	}
	if g.user.Name != "" {
		info["name"] = g.user.Name
	}
	if g.user.OrgID != "" {
		info["org_id"] = g.user.OrgID
	}
	writeJSON(w, http.StatusOK, info)
}

// handleRevoke is the revocation endpoint of RFC 7009. Revoking a refresh
// token also revokes the access tokens of its grant (section 2.1); unknown
// tokens are not an error (section 2.2).
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	form, ans, ok := readForm(w, r)
	if !ok {
		writeAnswer(w, ans)
		return
	}
	recorded := cloneValues(form)
	recorded.Del("client_secret")
	p.mu.Lock()
	p.revokeReqs = append(p.revokeReqs, recorded)
	p.mu.Unlock()
	clientID, ans, ok := p.authenticateClient(r, form)
	if !ok {
		writeAnswer(w, ans)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeAnswer(w, errorAnswer(http.StatusBadRequest, "invalid_request", "token is required"))
		return
	}
	p.mu.Lock()
	if g := p.refresh[tok]; g != nil && g.clientID == clientID {
		p.revokeGrantLocked(g.grantID)
	}
	if g := p.access[tok]; g != nil && g.clientID == clientID {
		delete(p.access, tok)
	}
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func writeAnswer(w http.ResponseWriter, a tokenAnswer) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, a.status, a.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, fmt.Sprintf("oidctest: encoding the answer: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// equal compares secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
