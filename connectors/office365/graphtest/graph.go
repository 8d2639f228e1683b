package graphtest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// graphAppID is the application id of Microsoft Graph, in WWW-Authenticate.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// Caller is who a Graph request acts as.
type Caller struct {
	// User is the signed-in user; nil for an app-only (client
	// credentials) token.
	User *User
	// TenantID is the tenant the token was issued in.
	TenantID string
	// Scopes are the delegated permissions (short names) of a user token,
	// or [".default"] for an app-only token.
	Scopes []string
}

// HasScope reports whether the caller's token holds one of names.
func (c Caller) HasScope(names ...string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return slices.Contains(c.Scopes, n) })
}

// WriteError writes Graph's error body
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
// with status, and the request-id and client-request-id headers. A 401
// also gets Graph's WWW-Authenticate challenge.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	reqID := w.Header().Get("request-id")
	if reqID == "" {
		reqID = randomID()
		w.Header().Set("request-id", reqID)
	}
	clientReqID := r.Header.Get("client-request-id")
	if clientReqID == "" {
		clientReqID = reqID
	}
	w.Header().Set("client-request-id", clientReqID)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="`+graphAppID+`"`)
	}
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"innerError": map[string]any{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        reqID,
			"client-request-id": clientReqID,
		},
	}})
}

// Authenticate records a Graph request, answers a pending FailNextGraph,
// and checks its bearer token. When it returns false it has written the
// answer (401 InvalidAuthenticationToken for a missing, unknown, revoked
// or expired token). Handlers added with Handle call it first.
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	h := r.Header.Clone()
	h.Del("Authorization")
	s.mu.Lock()
	s.graphReqs = append(s.graphReqs, GraphRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: h})
	fail := s.failGraph
	s.failGraph = nil
	s.mu.Unlock()
	w.Header().Set("request-id", randomID())
	if fail != nil {
		for k, v := range fail.header {
			w.Header()[k] = v
		}
		code, msg, _ := strings.Cut(fail.body, "\x00")
		WriteError(w, r, fail.status, code, msg)
		return Caller{}, false
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		WriteError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return Caller{}, false
	}
	s.mu.Lock()
	g := s.access[strings.TrimSpace(tok)]
	s.mu.Unlock()
	switch {
	case g == nil:
		WriteError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return Caller{}, false
	case !s.opts.Now().Before(g.expires):
		WriteError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		return Caller{}, false
	}
	c := Caller{TenantID: g.tenantID, Scopes: slices.Clone(g.scopes)}
	if g.user != nil {
		u := *g.user
		c.User = &u
	}
	return c, true
}

// userProperties are the properties GET /me returns by default, in
// Graph's order, and those $select may name.
var (
	defaultUserProperties = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	selectableProperties  = append(slices.Clone(defaultUserProperties), "accountEnabled", "companyName", "department", "mailNickname", "otherMails", "proxyAddresses", "userType")
)

// handleMe is GET /v1.0/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	c, ok := s.Authenticate(w, r)
	if !ok {
		return
	}
	if c.User == nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
		return
	}
	if !c.HasScope("User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All") {
		WriteError(w, r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	props := defaultUserProperties
	context := "users/$entity"
	if sel := r.URL.Query().Get("$select"); sel != "" {
		props = nil
		for _, p := range strings.Split(sel, ",") {
			p = strings.TrimSpace(p)
			i := slices.IndexFunc(selectableProperties, func(q string) bool { return strings.EqualFold(p, q) })
			if i < 0 {
				WriteError(w, r, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '"+p+"' on type 'microsoft.graph.user'.")
				return
			}
			props = appendNew(props, selectableProperties[i])
		}
		context = "users(" + strings.Join(props, ",") + ")/$entity"
	}
	u := c.User
	given, surname, _ := strings.Cut(u.DisplayName, " ")
	all := map[string]any{
		"businessPhones":    []string{},
		"displayName":       u.DisplayName,
		"givenName":         given,
		"jobTitle":          nil,
		"mail":              nilIfEmpty(u.Mail),
		"mobilePhone":       nil,
		"officeLocation":    nil,
		"preferredLanguage": "en-US",
		"surname":           surname,
		"userPrincipalName": u.UserPrincipalName,
		"id":                u.ObjectID,
		"accountEnabled":    true,
		"companyName":       nil,
		"department":        nil,
		"mailNickname":      strings.SplitN(u.UserPrincipalName, "@", 2)[0],
		"otherMails":        []string{},
		"proxyAddresses":    []string{},
		"userType":          "Member",
	}
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#" + context}
	for _, p := range props {
		out[p] = all[p]
	}
	if strings.Contains(r.Header.Get("Prefer"), `IdType="ImmutableId"`) {
		w.Header().Set("Preference-Applied", `IdType="ImmutableId"`)
	}
	if id := r.Header.Get("client-request-id"); id != "" {
		w.Header().Set("client-request-id", id)
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	writeJSON(w, http.StatusOK, out)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
