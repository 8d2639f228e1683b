package googletest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	maxFormBytes         = 64 << 10
	jwtBearerGrantType   = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	scopeUserinfoEmail   = "https://www.googleapis.com/auth/userinfo.email"
	scopeUserinfoProfile = "https://www.googleapis.com/auth/userinfo.profile"
	// assertionMaxTTL and clockSkew bound a JWT-bearer assertion's iat and
	// exp, as Google does.
	assertionMaxTTL = time.Hour
	clockSkew       = 5 * time.Minute
	errShortLived   = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the assertion and use a clock with skew to account for clock differences between systems."
	errDelegation   = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /oauth2/v3/certs", s.handleJWKS)
	mux.HandleFunc("GET /o/oauth2/v2/auth", s.handleAuthorize)
	mux.HandleFunc("/token", s.handleToken)
	mux.HandleFunc("/revoke", s.handleRevoke)
	mux.HandleFunc("/v1/userinfo", s.handleUserInfo)
	mux.HandleFunc("/oauth2/v3/userinfo", s.handleUserInfo)
	mux.HandleFunc("GET /gmail/v1/users/{userId}/profile", s.handleGmailProfile)
	s.gmailRoutes(mux)
	s.peopleRoutes(mux)
	s.tasksRoutes(mux)
	s.calendarRoutes(mux)
	s.watchRoutes(mux)
	return mux
}

// handleDiscovery serves the discovery document, shaped like
// https://accounts.google.com/.well-known/openid-configuration. Its issuer
// is always the URL form, as Google's is, even with Options.ShortIssuer.
func (s *Server) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.srv.URL,
		"authorization_endpoint":                s.AuthURL(),
		"token_endpoint":                        s.TokenURL(),
		"userinfo_endpoint":                     s.UserInfoURL(),
		"revocation_endpoint":                   s.RevokeURL(),
		"jwks_uri":                              s.JWKSURL(),
		"response_types_supported":              []string{"code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token", "none"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"claims_supported":                      []string{"aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "name", "picture", "sub"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code", jwtBearerGrantType},
	})
}

func (s *Server) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.jwks())
}

// errorPage is what Google shows instead of redirecting when the client
// or the redirect URI is wrong ("Error 400: redirect_uri_mismatch").
func errorPage(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!doctype html><title>Error " + strconv.Itoa(status) + ": " + html.EscapeString(code) +
		"</title><h1>Access blocked: authorization error</h1><p>Error " + strconv.Itoa(status) + ": " +
		html.EscapeString(code) + "</p><p>" + html.EscapeString(detail) + "</p>"))
}

// handleAuthorize is Google's authorization endpoint for web server
// applications. It approves at once: no login, no consent page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.authReqs = append(s.authReqs, cloneValues(q))
	s.mu.Unlock()

	if !equal(q.Get("client_id"), s.opts.ClientID) {
		errorPage(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	ru, err := url.Parse(redirectURI)
	if redirectURI == "" || err != nil || !ru.IsAbs() || ru.Host == "" || ru.Fragment != "" ||
		(ru.Scheme != "https" && ru.Scheme != "http") ||
		(len(s.opts.RedirectURIs) > 0 && !slices.Contains(s.opts.RedirectURIs, redirectURI)) {
		errorPage(w, http.StatusBadRequest, "redirect_uri_mismatch", "The redirect URI in the request does not match the ones authorized for the OAuth client.")
		return
	}
	state := q.Get("state")
	back := func(params url.Values) { redirectBack(w, r, ru, state, params) }
	scopes := normalizeScopes(strings.Fields(q.Get("scope")))
	switch {
	case len(scopes) == 0:
		errorPage(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: scope")
		return
	case slices.ContainsFunc(scopes, func(sc string) bool { return !knownScope(sc) }):
		errorPage(w, http.StatusBadRequest, "invalid_scope", "Some requested scopes were invalid.")
		return
	}
	accessType := q.Get("access_type")
	if accessType != "" && accessType != "online" && accessType != "offline" {
		errorPage(w, http.StatusBadRequest, "invalid_request", "Invalid access_type: "+accessType)
		return
	}
	prompts := strings.Fields(q.Get("prompt"))
	for _, p := range prompts {
		if (p != "none" && p != "consent" && p != "select_account") || (p == "none" && len(prompts) > 1) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "Invalid prompt: "+q.Get("prompt"))
			return
		}
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" {
		if method == "" {
			method = "plain"
		}
		if (method != "S256" && method != "plain") || !validPKCEValue(challenge) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "Invalid code_challenge or code_challenge_method.")
			return
		}
	} else if method != "" {
		errorPage(w, http.StatusBadRequest, "invalid_request", "code_challenge_method without code_challenge.")
		return
	}

	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if deny := s.deny; deny != "" {
		s.deny = ""
		back(url.Values{"error": {deny}})
		return
	}
	u := s.pickUserLocked(q.Get("login_hint"))
	key := consentKey{clientID: s.opts.ClientID, sub: u.Subject}
	prior := s.consents[key]
	if slices.Contains(prompts, "none") && (prior == nil || !containsAll(prior.scopes, scopes)) {
		back(url.Values{"error": {"consent_required"}})
		return
	}
	granted := scopes
	if s.grantOnlySet {
		granted = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool {
			return !isSignInScope(sc) && !slices.Contains(normalizeScopes(s.grantOnly), sc)
		})
		s.grantOnly, s.grantOnlySet = nil, false
	}
	if q.Get("include_granted_scopes") == "true" && prior != nil {
		granted = union(prior.scopes, granted)
	}
	showConsent := prior == nil || !containsAll(prior.scopes, scopes) || slices.Contains(prompts, "consent")
	// Google issues a refresh token for offline access at the first
	// consent, and again only when consent is asked for explicitly.
	offline := accessType == "offline" && (prior == nil || !prior.refresh || slices.Contains(prompts, "consent"))
	if prior == nil {
		prior = &consent{}
		s.consents[key] = prior
	}
	prior.scopes = union(prior.scopes, granted)
	prior.refresh = prior.refresh || offline

	code := "4/0" + rand.Text() + rand.Text()
	uc := u
	s.codes[code] = &codeGrant{
		grant:       &grant{id: rand.Text(), clientID: s.opts.ClientID, user: &uc, scopes: granted},
		redirectURI: redirectURI,
		nonce:       q.Get("nonce"),
		challenge:   challenge,
		method:      method,
		offline:     offline,
		expires:     now.Add(codeTTL),
	}
	params := url.Values{"code": {code}, "scope": {strings.Join(granted, " ")}, "authuser": {"0"}}
	if u.HostedDomain != "" {
		params.Set("hd", u.HostedDomain)
	}
	if showConsent {
		params.Set("prompt", "consent")
	} else {
		params.Set("prompt", "none")
	}
	back(params)
}

// pickUserLocked consumes SetNextUser, else matches login_hint (an email
// or a sub), else returns the first user.
func (s *Server) pickUserLocked(loginHint string) User {
	if s.nextUser != "" {
		next := s.nextUser
		s.nextUser = ""
		if u := s.userLocked(next); u != nil {
			return *u
		}
	}
	if loginHint != "" {
		if u := s.userLocked(loginHint); u != nil {
			return *u
		}
	}
	return s.users[0]
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

// answer is a JSON answer of the token or revocation endpoint.
type answer struct {
	status int
	body   map[string]any
	header http.Header
}

func oauthError(status int, code, description string) answer {
	return answer{status: status, body: map[string]any{"error": code, "error_description": description}}
}

// handleToken is Google's token endpoint: authorization_code,
// refresh_token and the JWT-bearer grant of service accounts.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	form, ans, ok := readForm(w, r)
	if !ok {
		writeAnswer(w, ans)
		return
	}
	recorded := cloneValues(form)
	recorded.Del("client_secret")
	s.mu.Lock()
	s.tokenReqs = append(s.tokenReqs, recorded)
	if form.Get("grant_type") == "refresh_token" {
		s.refreshCount++
	}
	fail := s.failNext
	s.failNext = nil
	s.mu.Unlock()
	if fail != nil {
		for k, v := range fail.header {
			w.Header()[k] = v
		}
		w.WriteHeader(fail.status)
		_, _ = w.Write([]byte(fail.body))
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code", "refresh_token":
		if ans, ok := s.authenticateClient(r, form); !ok {
			writeAnswer(w, ans)
			return
		}
		if gt == "authorization_code" {
			writeAnswer(w, s.exchangeCode(form))
		} else {
			writeAnswer(w, s.refreshToken(form))
		}
	case jwtBearerGrantType:
		writeAnswer(w, s.jwtBearer(form))
	case "":
		writeAnswer(w, oauthError(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "))
	default:
		writeAnswer(w, oauthError(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt))
	}
}

// readForm reads an application/x-www-form-urlencoded POST body.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, answer, bool) {
	if r.Method != http.MethodPost {
		a := oauthError(http.StatusMethodNotAllowed, "invalid_request", "Only POST is supported.")
		a.header = http.Header{"Allow": {http.MethodPost}}
		return nil, a, false
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, oauthError(http.StatusBadRequest, "invalid_request", "Invalid Content-Type, expected application/x-www-form-urlencoded."), false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, oauthError(http.StatusBadRequest, "invalid_request", "Malformed request body."), false
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, oauthError(http.StatusBadRequest, "invalid_request", "Duplicate parameter: "+k), false
		}
	}
	return r.PostForm, answer{}, true
}

// authenticateClient accepts client_secret_post and client_secret_basic.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (answer, bool) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		if form.Has("client_secret") {
			return oauthError(http.StatusBadRequest, "invalid_request", "Multiple client authentication methods."), false
		}
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
	}
	switch {
	case !equal(id, s.opts.ClientID):
		return oauthError(http.StatusUnauthorized, "invalid_client", "The OAuth client was not found."), false
	case !equal(secret, s.opts.ClientSecret):
		return oauthError(http.StatusUnauthorized, "invalid_client", "Unauthorized"), false
	}
	return answer{}, true
}

func (s *Server) exchangeCode(form url.Values) answer {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cg := s.codes[form.Get("code")]
	switch {
	case cg == nil:
		return oauthError(http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
	case cg.used:
		s.revokeGrantLocked(cg.grant.id)
		return oauthError(http.StatusBadRequest, "invalid_grant", "Bad Request")
	}
	cg.used = true
	switch {
	case now.After(cg.expires):
		return oauthError(http.StatusBadRequest, "invalid_grant", "Bad Request")
	case form.Get("redirect_uri") != cg.redirectURI:
		return oauthError(http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
	}
	if cg.challenge != "" {
		v := form.Get("code_verifier")
		if v == "" {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Missing code verifier.")
		}
		want := v
		if cg.method == "S256" {
			want = s256(v)
		}
		if !validPKCEValue(v) || !equal(want, cg.challenge) {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
		}
	}
	g := cg.grant
	body := s.issueAccessLocked(g, now)
	if cg.offline {
		rt := "1//0" + rand.Text() + rand.Text()
		s.refresh[rt] = g
		body["refresh_token"] = rt
	}
	if slices.Contains(g.scopes, "openid") {
		idt, err := s.sign(s.idTokenClaims(*g.user, g.clientID, cg.nonce, body["access_token"].(string), g.scopes, now))
		if err != nil {
			return oauthError(http.StatusInternalServerError, "internal_failure", "signing failed")
		}
		body["id_token"] = idt
	}
	return answer{status: http.StatusOK, body: body}
}

// issueAccessLocked issues an access token of grant g and returns the
// token answer without refresh_token and id_token.
func (s *Server) issueAccessLocked(g *grant, now time.Time) map[string]any {
	at := "ya29." + rand.Text() + rand.Text()
	ag := *g
	ag.expires = now.Add(s.opts.AccessTokenTTL)
	s.access[at] = &ag
	body := map[string]any{
		"access_token": at,
		"expires_in":   int64(s.opts.AccessTokenTTL / time.Second),
		"token_type":   "Bearer",
	}
	if len(g.scopes) > 0 {
		body["scope"] = strings.Join(g.scopes, " ")
	}
	return body
}

func (s *Server) refreshToken(form url.Values) answer {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.refresh[form.Get("refresh_token")]
	if g == nil {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
	}
	scoped := g
	if sc := form.Get("scope"); sc != "" {
		want := normalizeScopes(strings.Fields(sc))
		if !containsAll(g.scopes, want) {
			return oauthError(http.StatusBadRequest, "invalid_scope", "Some requested scopes were invalid.")
		}
		narrowed := *g
		narrowed.scopes = want
		scoped = &narrowed
	}
	body := s.issueAccessLocked(scoped, now)
	if slices.Contains(scoped.scopes, "openid") {
		idt, err := s.sign(s.idTokenClaims(*g.user, g.clientID, "", body["access_token"].(string), scoped.scopes, now))
		if err != nil {
			return oauthError(http.StatusInternalServerError, "internal_failure", "signing failed")
		}
		body["id_token"] = idt
	}
	return answer{status: http.StatusOK, body: body}
}

// jwtBearer is the service account grant (RFC 7523 section 2.1) as Google
// documents it for server-to-server applications.
func (s *Server) jwtBearer(form url.Values) answer {
	now := s.opts.Now()
	raw := form.Get("assertion")
	if raw == "" {
		return oauthError(http.StatusBadRequest, "invalid_request", "Missing required parameter: assertion")
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Sub   string `json:"sub"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid JWT: the claim set is not a JSON object.")
	}
	kid := jws.Signatures[0].Header.KeyID
	s.mu.Lock()
	var keys []*saKey
	for id, k := range s.saKeys {
		if k.email == claims.Iss && (kid == "" || kid == id) {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	if len(keys) == 0 {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid grant: account not found")
	}
	verified := slices.ContainsFunc(keys, func(k *saKey) bool {
		_, err := jws.Verify(k.pub)
		return err == nil
	})
	switch {
	case !verified:
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
	case claims.Aud != s.TokenURL():
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid JWT: Failed audience check. The right audience is "+s.TokenURL())
	case claims.Iat == 0 || claims.Exp == 0 || claims.Exp <= claims.Iat ||
		time.Duration(claims.Exp-claims.Iat)*time.Second > assertionMaxTTL ||
		time.Unix(claims.Iat, 0).After(now.Add(clockSkew)) || !time.Unix(claims.Exp, 0).After(now.Add(-clockSkew)):
		return oauthError(http.StatusBadRequest, "invalid_grant", errShortLived)
	case strings.TrimSpace(claims.Scope) == "":
		return oauthError(http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
	}
	scopes := normalizeScopes(strings.Fields(claims.Scope))
	g := &grant{id: rand.Text(), serviceAccount: claims.Iss, scopes: scopes}
	s.mu.Lock()
	defer s.mu.Unlock()
	if claims.Sub != "" {
		u := s.userLocked(claims.Sub)
		if u == nil || !strings.EqualFold(u.Email, claims.Sub) {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
		}
		if u.HostedDomain == "" || (s.opts.DelegatedScopes != nil && !containsAll(normalizeScopes(s.opts.DelegatedScopes), scopes)) {
			return oauthError(http.StatusUnauthorized, "unauthorized_client", errDelegation)
		}
		uc := *u
		g.user = &uc
	}
	body := s.issueAccessLocked(g, now)
	delete(body, "scope") // Google's service account answers carry no scope
	return answer{status: http.StatusOK, body: body}
}

// handleRevoke is Google's revocation endpoint: the token comes in the
// form body or the query. Revoking either token of a grant revokes the
// grant and the user's consent.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeAnswer(w, oauthError(http.StatusMethodNotAllowed, "invalid_request", "Only POST is supported."))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeAnswer(w, oauthError(http.StatusBadRequest, "invalid_request", "Malformed request body."))
		return
	}
	tok := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeReqs = append(s.revokeReqs, cloneValues(r.Form))
	g := s.refresh[tok]
	if g == nil {
		if a := s.access[tok]; a != nil && s.opts.Now().Before(a.expires) {
			g = a
		}
	}
	if tok == "" || g == nil {
		writeAnswer(w, oauthError(http.StatusBadRequest, "invalid_token", "Token expired or revoked"))
		return
	}
	s.revokeGrantLocked(g.id)
	if g.user != nil {
		delete(s.consents, consentKey{clientID: g.clientID, sub: g.user.Subject})
	}
	writeAnswer(w, answer{status: http.StatusOK, body: map[string]any{}})
}

func (s *Server) revokeGrantLocked(id string) {
	for _, m := range []map[string]*grant{s.access, s.refresh} {
		for k, g := range m {
			if g.id == id {
				delete(m, k)
			}
		}
	}
}

// handleUserInfo is the OpenID Connect userinfo endpoint. Its errors are
// the OAuth kind, not the Google API kind.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if s.rateLimited(w) {
		return
	}
	g := s.bearer(r)
	if g == nil || g.user == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeAnswer(w, oauthError(http.StatusUnauthorized, "invalid_request", "Invalid Credentials"))
		return
	}
	u := g.user
	body := map[string]any{"sub": u.Subject}
	if slices.Contains(g.scopes, scopeUserinfoEmail) {
		body["email"] = u.Email
		body["email_verified"] = !u.EmailUnverified
	}
	if slices.Contains(g.scopes, scopeUserinfoProfile) && u.Name != "" {
		body["name"] = u.Name
		given, family, _ := strings.Cut(u.Name, " ")
		body["given_name"] = given
		if family != "" {
			body["family_name"] = family
		}
		body["picture"] = s.srv.URL + "/photos/" + u.Subject
	}
	if u.HostedDomain != "" {
		body["hd"] = u.HostedDomain
	}
	writeJSON(w, http.StatusOK, body)
}

// bearer returns a copy of the live grant of the request's access token,
// or nil.
func (s *Server) bearer(r *http.Request) *grant {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.access[tok]
	if g == nil || !s.opts.Now().Before(g.expires) {
		return nil
	}
	c := *g
	return &c
}

func writeAnswer(w http.ResponseWriter, a answer) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, a.status, a.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Scope helpers.

func normalizeScopes(in []string) []string {
	var out []string
	for _, sc := range in {
		switch sc {
		case "email":
			sc = scopeUserinfoEmail
		case "profile":
			sc = scopeUserinfoProfile
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

func isSignInScope(sc string) bool {
	return sc == "openid" || sc == scopeUserinfoEmail || sc == scopeUserinfoProfile
}

// knownScope accepts the sign-in scopes and Google API scope URIs.
func knownScope(sc string) bool {
	return isSignInScope(sc) || sc == "https://mail.google.com/" ||
		(strings.HasPrefix(sc, "https://www.googleapis.com/auth/") && len(sc) > len("https://www.googleapis.com/auth/"))
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validPKCEValue: 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636).
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_', r == '~':
		default:
			return false
		}
	}
	return true
}
