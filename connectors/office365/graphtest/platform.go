package graphtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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

var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// graphResources are the resource identifiers of Microsoft Graph in each
// cloud, and Graph's application id.
var graphResources = []string{
	"https://graph.microsoft.com", "https://graph.microsoft.us", "https://dod-graph.microsoft.us",
	"https://microsoftgraph.chinacloudapi.cn", "00000003-0000-0000-c000-000000000000",
}

// parseScopes splits a scope parameter into OIDC scopes and Graph
// permission short names (".default" included), and returns the Graph
// resource named (default the global one). A scope of another resource is
// an error.
func parseScopes(raw string) (scopes []string, resource string, bad string) {
	resource = graphResources[0]
	for _, sc := range strings.Fields(raw) {
		if slices.Contains(oidcScopes, sc) {
			scopes = appendNew(scopes, sc)
			continue
		}
		name := sc
		if i := strings.LastIndexByte(sc, '/'); i >= 0 {
			res := sc[:i]
			if !slices.ContainsFunc(graphResources, func(r string) bool { return strings.EqualFold(r, res) }) {
				return nil, "", sc
			}
			resource, name = res, sc[i+1:]
		}
		if name == "" || strings.ContainsAny(name, ":/") {
			return nil, "", sc
		}
		scopes = appendNew(scopes, name)
	}
	return scopes, resource, ""
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// graphScopes returns the Graph permissions of a scope list.
func graphScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if !slices.Contains(oidcScopes, s) && s != ".default" {
			out = append(out, s)
		}
	}
	return out
}

// scopeAnswer is the scope field of a token answer: OIDC scopes but
// offline_access, and Graph permissions as full URIs.
func scopeAnswer(scopes []string, resource string) string {
	var out []string
	for _, s := range scopes {
		switch {
		case s == "offline_access":
		case slices.Contains(oidcScopes, s):
			out = append(out, s)
		default:
			out = append(out, resource+"/"+s)
		}
	}
	return strings.Join(out, " ")
}

// tenantKind resolves the authority path segment: "multi" for common,
// organizations and consumers, else the tenant id of a known tenant (by id
// or domain). ok is false for an unknown tenant.
func (s *Server) resolveTenant(seg string) (tid string, ok bool) {
	switch strings.ToLower(seg) {
	case "common", "organizations", "consumers":
		return "", true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, found := s.tenants[strings.ToLower(seg)]; found {
		return t.ID, true
	}
	for _, t := range s.tenants {
		if t.Domain != "" && strings.EqualFold(t.Domain, seg) {
			return strings.ToLower(t.ID), true
		}
	}
	return "", false
}

// admits reports whether a user may sign in at the authority segment.
func admits(seg, tid string, u User) bool {
	switch strings.ToLower(seg) {
	case "common":
		return true
	case "organizations":
		return u.TenantID != ConsumersTenantID
	case "consumers":
		return u.TenantID == ConsumersTenantID
	}
	return strings.EqualFold(u.TenantID, tid)
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	tid, ok := s.resolveTenant(seg)
	if !ok {
		writeTokenError(w, s.opts.Now(), s.srv.URL, tokenErr{status: 400, code: "invalid_tenant", aadsts: 90002, desc: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", seg)})
		return
	}
	issuerTenant := tid
	if tid == "" {
		issuerTenant = "{tenantid}"
		if strings.EqualFold(seg, "consumers") {
			issuerTenant = ConsumersTenantID
		}
	}
	base := s.srv.URL + "/" + url.PathEscape(seg)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                s.srv.URL + "/" + issuerTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"tenant_region_scope":                   nil,
		"cloud_instance_name":                   "graphtest.invalid",
		"code_challenge_methods_supported":      []string{"plain", "S256"},
	})
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.jwksCount++
	fail := s.failJWKS
	s.failJWKS = 0
	s.mu.Unlock()
	if fail != 0 {
		http.Error(w, "graphtest: signing keys unavailable", fail)
		return
	}
	if _, ok := s.resolveTenant(r.PathValue("tenant")); !ok {
		writeTokenError(w, s.opts.Now(), s.srv.URL, tokenErr{status: 400, code: "invalid_tenant", aadsts: 90002, desc: "Tenant not found."})
		return
	}
	writeJSON(w, http.StatusOK, s.jwks())
}

// errorPage is what Microsoft shows instead of redirecting when the client
// or redirect URI cannot be trusted.
func errorPage(w http.ResponseWriter, aadsts int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<html><body><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS%d: %s</p></body></html>", aadsts, htmlEscape(msg))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// checkClientAndRedirect validates client_id and redirect_uri of a browser
// request; on failure it has written the error page.
func (s *Server) checkClientAndRedirect(w http.ResponseWriter, q url.Values) (*url.URL, bool) {
	if !equal(q.Get("client_id"), s.opts.ClientID) {
		errorPage(w, 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", q.Get("client_id")))
		return nil, false
	}
	raw := q.Get("redirect_uri")
	ru, err := url.Parse(raw)
	if raw == "" || err != nil || !ru.IsAbs() || ru.Host == "" || ru.Fragment != "" || (ru.Scheme != "https" && ru.Scheme != "http") ||
		(len(s.opts.RedirectURIs) > 0 && !slices.Contains(s.opts.RedirectURIs, raw)) {
		errorPage(w, 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", raw, s.opts.ClientID))
		return nil, false
	}
	return ru, true
}

// pickUserLocked consumes SetNextUser, else matches login_hint, else takes
// the first user the authority admits.
func (s *Server) pickUserLocked(seg, tid, loginHint string) (User, bool) {
	if s.nextUser != "" {
		oid := s.nextUser
		s.nextUser = ""
		u, ok := s.userLocked(oid)
		return u, ok && admits(seg, tid, u)
	}
	if loginHint != "" {
		for _, u := range s.users {
			if (strings.EqualFold(u.UserPrincipalName, loginHint) || strings.EqualFold(u.Mail, loginHint)) && admits(seg, tid, u) {
				return u, true
			}
		}
	}
	for _, u := range s.users {
		if admits(seg, tid, u) {
			return u, true
		}
	}
	return User{}, false
}

// handleAuthorize is the v2.0 authorize endpoint; it consents at once.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.authReqs = append(s.authReqs, cloneValues(q))
	s.mu.Unlock()
	ru, ok := s.checkClientAndRedirect(w, q)
	if !ok {
		return
	}
	seg := r.PathValue("tenant")
	tid, ok := s.resolveTenant(seg)
	if !ok {
		errorPage(w, 90002, fmt.Sprintf("Tenant '%s' not found.", seg))
		return
	}
	state := q.Get("state")
	back := func(params url.Values) { redirectBack(w, r, ru, state, params) }
	s.mu.Lock()
	deny := s.deny
	s.deny = nil
	s.mu.Unlock()
	if deny != nil {
		back(url.Values{"error": {deny.code}, "error_description": {deny.description}})
		return
	}
	if q.Get("response_type") != "code" {
		back(aadError("unsupported_response_type", 700054, "response_type '"+q.Get("response_type")+"' is not enabled for the application."))
		return
	}
	if m := q.Get("response_mode"); m != "" && m != "query" {
		back(aadError("invalid_request", 900144, "The fake supports response_mode=query only."))
		return
	}
	scopes, resource, bad := parseScopes(q.Get("scope"))
	if bad != "" || len(scopes) == 0 {
		back(aadError("invalid_scope", 70011, fmt.Sprintf("The provided value for the input parameter 'scope' isn't valid. The scope '%s' isn't valid.", bad)))
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if method == "" && challenge != "" {
		method = "plain"
	}
	switch {
	case challenge != "" && method != "S256" && method != "plain":
		back(aadError("invalid_request", 501491, "Invalid code_challenge_method."))
		return
	case challenge != "" && !validPKCE(challenge):
		back(aadError("invalid_request", 501491, "Invalid size of Code_Challenge parameter."))
		return
	case challenge == "" && s.opts.RequirePKCE:
		back(aadError("invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption."))
		return
	}
	s.mu.Lock()
	u, ok := s.pickUserLocked(seg, tid, q.Get("login_hint"))
	if !ok {
		s.mu.Unlock()
		back(aadError("invalid_request", 50020, "User account from identity provider does not exist in tenant and cannot access the application in that tenant."))
		return
	}
	delete(s.needConsent, u.ObjectID) // the code flow is the consent step
	code := "0.graphtest." + rand.Text()
	s.codes[code] = &codeGrant{
		pathTenant:  strings.ToLower(seg),
		redirectURI: q.Get("redirect_uri"),
		scopes:      scopes,
		resource:    resource,
		nonce:       q.Get("nonce"),
		challenge:   challenge,
		method:      method,
		user:        u,
		expires:     s.opts.Now().Add(codeTTL),
	}
	s.mu.Unlock()
	back(url.Values{"code": {code}, "session_state": {randomID()}})
}

// handleAdminConsent is the v2.0 admin consent endpoint: the signed-in
// administrator (SetNextUser, else the first user the authority admits)
// consents for the tenant at once.
func (s *Server) handleAdminConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.consentReqs = append(s.consentReqs, cloneValues(q))
	s.mu.Unlock()
	ru, ok := s.checkClientAndRedirect(w, q)
	if !ok {
		return
	}
	seg := r.PathValue("tenant")
	tid, ok := s.resolveTenant(seg)
	if !ok || strings.EqualFold(seg, "common") || strings.EqualFold(seg, "consumers") {
		errorPage(w, 90002, fmt.Sprintf("Tenant '%s' cannot grant admin consent.", seg))
		return
	}
	state := q.Get("state")
	s.mu.Lock()
	deny := s.deny
	s.deny = nil
	s.mu.Unlock()
	if deny != nil {
		redirectBack(w, r, ru, state, url.Values{"error": {deny.code}, "error_description": {deny.description}})
		return
	}
	if _, res, bad := parseScopes(q.Get("scope")); bad != "" || !strings.HasSuffix(q.Get("scope"), "/.default") || res == "" {
		redirectBack(w, r, ru, state, aadError("invalid_request", 70011, "The provided value for the input parameter 'scope' isn't valid. Admin consent needs a {resource}/.default scope."))
		return
	}
	s.mu.Lock()
	u, ok := s.pickUserLocked("organizations", tid, "")
	if ok && tid != "" && u.TenantID != tid {
		ok = false
	}
	if ok {
		s.consented[u.TenantID] = true
	}
	s.mu.Unlock()
	if !ok {
		redirectBack(w, r, ru, state, aadError("invalid_request", 50020, "User account from identity provider does not exist in tenant."))
		return
	}
	redirectBack(w, r, ru, state, url.Values{"tenant": {u.TenantID}, "admin_consent": {"True"}, "scope": {q.Get("scope")}})
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

// aadError is an error of a redirect back: error and an AADSTS description.
func aadError(code string, aadsts int, desc string) url.Values {
	return url.Values{"error": {code}, "error_description": {fmt.Sprintf("AADSTS%d: %s", aadsts, desc)}}
}

// tokenErr is an error answer of the token endpoint.
type tokenErr struct {
	status   int
	code     string
	aadsts   int
	desc     string
	suberror string
	claims   string
	header   http.Header
}

// TokenErrorBody returns the JSON body of a token endpoint error in
// Microsoft's shape, for FailNextToken: error, error_description
// ("AADSTS{aadsts}: {description}" with trace and correlation ids and a
// timestamp), error_codes, timestamp, trace_id, correlation_id, error_uri.
func TokenErrorBody(errCode string, aadsts int, description string) string {
	b, _ := json.Marshal(tokenErrorFields(tokenErr{code: errCode, aadsts: aadsts, desc: description}, time.Now(), "https://login.microsoftonline.com"))
	return string(b)
}

func tokenErrorFields(e tokenErr, now time.Time, base string) map[string]any {
	trace, corr := randomID(), randomID()
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	body := map[string]any{
		"error": e.code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			e.aadsts, e.desc, trace, corr, ts),
		"error_codes":    []int{e.aadsts},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("%s/error?code=%d", base, e.aadsts),
	}
	if e.suberror != "" {
		body["suberror"] = e.suberror
	}
	if e.claims != "" {
		body["claims"] = e.claims
	}
	return body
}

func writeTokenError(w http.ResponseWriter, now time.Time, base string, e tokenErr) {
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, e.status, tokenErrorFields(e, now, base))
}

func invalidGrant(aadsts int, desc string) *tokenErr {
	return &tokenErr{status: 400, code: "invalid_grant", aadsts: aadsts, desc: desc}
}

func invalidRequest(aadsts int, desc string) *tokenErr {
	return &tokenErr{status: 400, code: "invalid_request", aadsts: aadsts, desc: desc}
}

// handleToken is the v2.0 token endpoint.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	fail := func(e *tokenErr) { writeTokenError(w, now, s.srv.URL, *e) }
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(&tokenErr{status: 405, code: "invalid_request", aadsts: 900561, desc: "The endpoint only accepts POST requests."})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		fail(invalidRequest(900144, "The request body must contain the following parameter: 'grant_type'."))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		fail(invalidRequest(900144, "Malformed request body."))
		return
	}
	form := r.PostForm
	seg := r.PathValue("tenant")
	recorded := cloneValues(form)
	recorded.Del("client_secret")
	recorded.Set("tenant", seg)
	s.mu.Lock()
	s.tokenReqs = append(s.tokenReqs, recorded)
	if form.Get("grant_type") == "refresh_token" {
		s.refreshCount++
	}
	raw := s.failToken
	s.failToken = nil
	s.mu.Unlock()
	if raw != nil {
		for k, v := range raw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(raw.status)
		_, _ = w.Write([]byte(raw.body))
		return
	}
	for k, v := range form {
		if len(v) > 1 {
			fail(invalidRequest(90015, "Requested query string is too long or a parameter ('"+k+"') is repeated."))
			return
		}
	}
	tid, ok := s.resolveTenant(seg)
	if !ok {
		fail(&tokenErr{status: 400, code: "invalid_request", aadsts: 90002, desc: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", seg)})
		return
	}
	if e := s.authenticateClient(r, form); e != nil {
		fail(e)
		return
	}
	var body map[string]any
	var e *tokenErr
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		body, e = s.redeemCode(seg, tid, form, now)
	case "refresh_token":
		body, e = s.redeemRefresh(form, now)
	case "client_credentials":
		body, e = s.clientCredentials(seg, tid, form, now)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		body, e = s.onBehalfOf(seg, tid, form, now)
	case "":
		e = invalidRequest(900144, "The request body must contain the following parameter: 'grant_type'.")
	default:
		e = &tokenErr{status: 400, code: "unsupported_grant_type", aadsts: 70003, desc: "The app requested an unsupported grant type '" + gt + "'."}
	}
	if e != nil {
		fail(e)
		return
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, body)
}

// authenticateClient accepts client_secret_post or client_secret_basic.
func (s *Server) authenticateClient(r *http.Request, form url.Values) *tokenErr {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		if form.Has("client_secret") {
			return invalidRequest(7000218, "Only one client authentication method may be used.")
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(u)
		secret, err2 = url.QueryUnescape(p)
		if err1 != nil || err2 != nil {
			return &tokenErr{status: 401, code: "invalid_client", aadsts: 7000215, desc: "Invalid client secret provided."}
		}
	}
	switch {
	case id == "":
		return invalidRequest(900144, "The request body must contain the following parameter: 'client_id'.")
	case !equal(id, s.opts.ClientID):
		return &tokenErr{status: 400, code: "unauthorized_client", aadsts: 700016, desc: fmt.Sprintf("Application with identifier '%s' was not found in the directory.", id)}
	case secret == "":
		return &tokenErr{status: 401, code: "invalid_client", aadsts: 7000218, desc: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	case !equal(secret, s.opts.ClientSecret):
		return &tokenErr{status: 401, code: "invalid_client", aadsts: 7000215, desc: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."}
	}
	return nil
}

func (s *Server) redeemCode(seg, tid string, form url.Values, now time.Time) (map[string]any, *tokenErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.codes[form.Get("code")]
	switch {
	case g == nil:
		return nil, invalidGrant(9002313, "Invalid request. Request is malformed or invalid.")
	case g.used:
		return nil, invalidGrant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	}
	g.used = true
	switch {
	case now.After(g.expires):
		return nil, invalidGrant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	case form.Get("redirect_uri") != g.redirectURI:
		return nil, invalidGrant(50148, "The redirect_uri does not match the one of the authorization request.")
	case !strings.EqualFold(seg, g.pathTenant) && !strings.EqualFold(tid, g.user.TenantID):
		return nil, invalidGrant(50148, "The code was issued for another authority.")
	}
	verifier := form.Get("code_verifier")
	switch {
	case g.challenge == "" && verifier != "":
		return nil, invalidGrant(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	case g.challenge != "" && verifier == "":
		return nil, invalidRequest(9002325, "Proof Key for Code Exchange is required: code_verifier is missing.")
	case g.challenge != "" && (!validPKCE(verifier) || !equal(pkceTransform(verifier, g.method), g.challenge)):
		return nil, invalidGrant(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	}
	u := g.user
	return s.issueLocked(&u, u.TenantID, g.scopes, g.resource, g.nonce, now), nil
}

func (s *Server) redeemRefresh(form url.Values, now time.Time) (map[string]any, *tokenErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := form.Get("refresh_token")
	g := s.refresh[rt]
	if g == nil || g.user == nil {
		return nil, invalidGrant(9002313, "Invalid request. Request is malformed or invalid.")
	}
	if g.revoked {
		return nil, invalidGrant(50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.")
	}
	scopes := g.scopes
	resource := graphResources[0]
	if raw := form.Get("scope"); raw != "" {
		asked, res, bad := parseScopes(raw)
		if bad != "" {
			return nil, &tokenErr{status: 400, code: "invalid_scope", aadsts: 70011, desc: "The provided value for the input parameter 'scope' isn't valid."}
		}
		resource = res
		scopes = nil
		for _, sc := range asked {
			switch {
			case sc == ".default":
				for _, have := range g.scopes {
					scopes = appendNew(scopes, have)
				}
			case slices.Contains(g.scopes, sc):
				scopes = appendNew(scopes, sc)
			default:
				return nil, &tokenErr{status: 400, code: "invalid_grant", aadsts: 65001, suberror: "consent_required",
					desc: fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s'. Send an interactive authorization request for this user and resource.", s.opts.ClientID)}
			}
		}
	}
	if s.opts.RevokeRotatedRefreshTokens {
		delete(s.refresh, rt)
	}
	body := s.issueLocked(g.user, g.tenantID, scopes, resource, "", now)
	if s.opts.OmitRefreshTokenOnRefresh {
		if rt, ok := body["refresh_token"].(string); ok {
			delete(s.refresh, rt)
			delete(body, "refresh_token")
		}
	}
	return body, nil
}

func (s *Server) clientCredentials(seg, tid string, form url.Values, now time.Time) (map[string]any, *tokenErr) {
	if tid == "" {
		return nil, invalidRequest(50059, "No tenant-identifying information found in either the request or implied by any provided credentials. Use a tenant-specific endpoint for client credentials.")
	}
	raw := form.Get("scope")
	_, resource, bad := parseScopes(raw)
	if bad != "" || len(strings.Fields(raw)) != 1 || !strings.HasSuffix(raw, "/.default") {
		return nil, &tokenErr{status: 400, code: "invalid_scope", aadsts: 1002012,
			desc: fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", raw)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.consented[tid] {
		return nil, &tokenErr{status: 400, code: "unauthorized_client", aadsts: 700016,
			desc: fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", s.opts.ClientID, seg)}
	}
	return s.issueLocked(nil, tid, []string{".default"}, resource, "", now), nil
}

func (s *Server) onBehalfOf(seg, tid string, form url.Values, now time.Time) (map[string]any, *tokenErr) {
	if form.Get("requested_token_use") != "on_behalf_of" {
		return nil, invalidRequest(50034, "requested_token_use must be on_behalf_of.")
	}
	a, err := s.verifyAssertion(form.Get("assertion"), now)
	if err != nil {
		aadsts, desc, _ := strings.Cut(strings.TrimPrefix(err.Error(), "AADSTS"), ": ")
		n, _ := strconv.Atoi(aadsts)
		return nil, invalidGrant(n, desc)
	}
	scopes, resource, bad := parseScopes(form.Get("scope"))
	if bad != "" || len(graphScopes(scopes)) == 0 && !slices.Contains(scopes, ".default") {
		return nil, &tokenErr{status: 400, code: "invalid_scope", aadsts: 70011, desc: "The provided value for the input parameter 'scope' isn't valid."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userLocked(a.ObjectID)
	switch {
	case !ok || !strings.EqualFold(u.TenantID, a.TenantID):
		return nil, invalidGrant(50034, "The user account does not exist in the directory.")
	case tid != "" && !strings.EqualFold(tid, u.TenantID):
		return nil, invalidGrant(50020, "User account from identity provider does not exist in tenant.")
	case s.needMFA[u.ObjectID]:
		return nil, &tokenErr{status: 400, code: "interaction_required", aadsts: 50076, suberror: "basic_action",
			desc:   "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
			claims: `{"access_token":{"capolids":{"essential":true,"values":["` + randomID() + `"]}}}`}
	case s.needConsent[u.ObjectID]:
		return nil, &tokenErr{status: 400, code: "invalid_grant", aadsts: 65001, suberror: "consent_required",
			desc: fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s'. Send an interactive authorization request for this user and resource.", s.opts.ClientID)}
	}
	var granted []string
	for _, sc := range scopes {
		switch {
		case sc == ".default":
			for _, c := range s.opts.ConsentedScopes {
				granted = appendNew(granted, c)
			}
		case slices.Contains(oidcScopes, sc):
			granted = appendNew(granted, sc)
		case slices.Contains(s.opts.ConsentedScopes, sc):
			granted = appendNew(granted, sc)
		default:
			return nil, &tokenErr{status: 400, code: "invalid_grant", aadsts: 65001, suberror: "consent_required",
				desc: fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s'. Send an interactive authorization request for this user and resource.", s.opts.ClientID)}
		}
	}
	return s.issueLocked(&u, u.TenantID, granted, resource, "", now), nil
}

// issueLocked issues access, refresh (with offline_access) and id tokens
// (with openid); a nil user is an app-only token.
func (s *Server) issueLocked(u *User, tid string, scopes []string, resource, nonce string, now time.Time) map[string]any {
	ttl := s.opts.AccessTokenTTL
	at := "graphtest-at-" + rand.Text() + rand.Text()
	g := &tokenGrant{user: u, tenantID: tid, scopes: slices.Clone(scopes), expires: now.Add(ttl)}
	s.access[at] = g
	secs := int64(ttl / time.Second)
	body := map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   at,
	}
	if u == nil {
		return body
	}
	body["scope"] = scopeAnswer(scopes, resource)
	if slices.Contains(scopes, "offline_access") {
		rt := "0.graphtest-rt." + rand.Text() + rand.Text()
		s.refresh[rt] = &tokenGrant{user: u, tenantID: tid, scopes: slices.Clone(scopes)}
		body["refresh_token"] = rt
	}
	if slices.Contains(scopes, "openid") {
		claims := map[string]any{
			"aud": s.opts.ClientID,
			"iss": s.Issuer(u.TenantID),
			"iat": now.Unix(),
			"nbf": now.Unix(),
			"exp": now.Add(ttl).Unix(),
			"sub": pairwiseSubject(u.ObjectID, s.opts.ClientID),
			"tid": u.TenantID,
			"ver": "2.0",
			"rh":  "0.graphtest.",
			"uti": strings.ReplaceAll(randomID(), "-", "")[:22],
		}
		if slices.Contains(scopes, "profile") {
			claims["oid"] = u.ObjectID
			claims["name"] = u.DisplayName
			claims["preferred_username"] = u.UserPrincipalName
		}
		if slices.Contains(scopes, "email") && u.Mail != "" {
			claims["email"] = u.Mail
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		claims["at_hash"] = accessTokenHash(at)
		if idt, err := signWith(s.keys[len(s.keys)-1], claims); err == nil {
			body["id_token"] = idt
		}
	}
	return body
}

// pkceTransform applies a PKCE method to a verifier (RFC 7636 section 4.2).
func pkceTransform(verifier, method string) string {
	if method == "plain" {
		return verifier
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validPKCE reports whether s is 43 to 128 characters of [A-Za-z0-9-._~].
func validPKCE(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_', r == '~':
		default:
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "graphtest: encoding the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// equal compares secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
