package googletest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Principal is who an access token acts as.
type Principal struct {
	// User is the signed-in or impersonated user; nil for a service
	// account acting as itself.
	User *User
	// ServiceAccount is the service account's email for tokens of the
	// JWT-bearer grant (impersonating User, or itself), "" otherwise.
	ServiceAccount string
	// Scopes are the token's scopes, with email and profile in their URI
	// form.
	Scopes []string
}

// APIError is one entry of the "errors" list of a Google API error.
type APIError struct {
	Domain  string `json:"domain"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// WriteError writes a Google API error (the JSON error format of the
// googleapis.com APIs):
//
//	{"error": {"code": 403, "message": "...", "errors": [{"domain", "reason", "message"}], "status": "PERMISSION_DENIED"}}
//
// status is derived from code as Google does (UNAUTHENTICATED for 401,
// RESOURCE_EXHAUSTED for 429, ...).
func WriteError(w http.ResponseWriter, code int, reason, message string) {
	domain := "global"
	if reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" {
		domain = "usageLimits"
	}
	writeJSON(w, code, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"errors":  []APIError{{Domain: domain, Reason: reason, Message: message}},
		"status":  rpcStatus(code),
	}})
}

func rpcStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusPreconditionFailed:
		return "FAILED_PRECONDITION"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	}
	return "INTERNAL"
}

// Authorize checks a Google API request: a live Bearer access token
// holding at least one of anyOf (none: any token). It writes Google's
// error answer and returns false otherwise: 429 when RateLimitNext is
// pending, 401 authError for a missing, unknown or expired token, 403
// insufficientPermissions for missing scopes. Handlers added to Mux use it.
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request, anyOf ...string) (Principal, bool) {
	if s.rateLimited(w) {
		return Principal{}, false
	}
	g := s.bearer(r)
	if g == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		WriteError(w, http.StatusUnauthorized, "authError",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return Principal{}, false
	}
	if len(anyOf) > 0 && !slices.ContainsFunc(anyOf, func(sc string) bool { return slices.Contains(g.scopes, sc) }) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="`+strings.Join(anyOf, " ")+`"`)
		WriteError(w, http.StatusForbidden, "insufficientPermissions", "Request had insufficient authentication scopes.")
		return Principal{}, false
	}
	return Principal{User: g.user, ServiceAccount: g.serviceAccount, Scopes: g.scopes}, true
}

// rateLimited answers 429 once after RateLimitNext.
func (s *Server) rateLimited(w http.ResponseWriter) bool {
	s.mu.Lock()
	d, set := s.rateLimit, s.rateLimitSet
	s.rateLimit, s.rateLimitSet = 0, false
	s.mu.Unlock()
	if !set {
		return false
	}
	w.Header().Set("Retry-After", retryAfterSeconds(d))
	WriteError(w, http.StatusTooManyRequests, "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).")
	return true
}

// gmailReadScopes allow users.getProfile.
var gmailReadScopes = []string{
	"https://mail.google.com/",
	"https://www.googleapis.com/auth/gmail.modify",
	"https://www.googleapis.com/auth/gmail.readonly",
	"https://www.googleapis.com/auth/gmail.compose",
	"https://www.googleapis.com/auth/gmail.metadata",
}

// handleGmailProfile is Gmail's users.getProfile.
func (s *Server) handleGmailProfile(w http.ResponseWriter, r *http.Request) {
	p, ok := s.Authorize(w, r, gmailReadScopes...)
	if !ok {
		return
	}
	if p.User == nil {
		// A service account without a user to impersonate has no mailbox.
		WriteError(w, http.StatusBadRequest, "failedPrecondition", "Precondition check failed.")
		return
	}
	if id := r.PathValue("userId"); id != "me" && !strings.EqualFold(id, p.User.Email) {
		WriteError(w, http.StatusForbidden, "forbidden", "Delegation denied for "+p.User.Email)
		return
	}
	// The current counters; a mailbox's historyId is never 0 (Gmail's
	// start at large values), so the mailbox is made on first use here too.
	s.mu.Lock()
	u := s.userLocked(p.User.Subject)
	if u == nil {
		s.mu.Unlock()
		notFound(w)
		return
	}
	history := s.mailboxLocked(u).historyID
	email, messages, threads := u.Email, u.MessagesTotal, u.ThreadsTotal
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"emailAddress":  email,
		"messagesTotal": messages,
		"threadsTotal":  threads,
		"historyId":     strconv.FormatUint(history, 10),
	})
}
