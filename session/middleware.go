package session

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
)

// Header names read by Middleware. Incoming header names are matched
// case-insensitively (net/http canonicalizes them), so "x-aurinko-accountid"
// is the same header as X-Aurinko-AccountId.
const (
	HeaderSession    = "X-Aurinko-Session"
	HeaderAccountID  = "X-Aurinko-Account-Id" // the spelling of the OpenAPI spec
	HeaderAccountID2 = "X-Aurinko-AccountId"  // the spelling of the docs
	HeaderClientID   = "X-Aurinko-ClientId"
	HeaderClientID2  = "X-Aurinko-Client-Id"
	queryClientID    = "clientId"
	// The canonical forms (net/http's spelling of incoming header names);
	// looking them up directly spares an allocation per request.
	canonicalAccountID2 = "X-Aurinko-Accountid"
	canonicalClientID   = "X-Aurinko-Clientid"
	maxCookiesToTry     = 5
	maxAccountIDDigit   = 19 // digits of the largest int64
)

// Middleware resolves the credential of each request and puts the
// [Principal] in the request context ([FromContext]). It never rejects a
// request: handlers, or the Require* middleware, decide what an anonymous
// caller may do.
//
// Credentials are read in this order, and the first one present decides
// (a present credential that fails leaves the request anonymous; later
// sources are not tried, so one request never mixes two identities):
//
//  1. Authorization: Bearer (scheme case-insensitive): "ses_…" is a session
//     token, "acc_…" an account access token; any other bearer value and
//     any other scheme (Basic client credentials) is not ours and is
//     skipped. Two Authorization headers make the request anonymous.
//  2. X-Aurinko-Session: a session token.
//  3. Session cookies. When the request names its app (X-Aurinko-ClientId,
//     X-Aurinko-Client-Id or the clientId query parameter) only that app's
//     cookie; otherwise every cookie whose name starts with CookiePrefix+"_",
//     in request order, the first that resolves winning. At most 5 cookies
//     are tried.
//
// A token is checked for shape before it costs a store lookup. When the
// request names an app, a credential of another app is ignored (anonymous).
//
// The account-id header (X-Aurinko-Account-Id or X-Aurinko-AccountId, any
// case) is looked at only when a credential resolved. A session uses it to
// pick one of its user's accounts: the account must exist and have the
// session's app and user. An account token may only name its own account.
// Otherwise the request becomes anonymous and carries an error for
// [ErrorFromContext]: 404 notFound for an account that is missing or not
// the caller's (never saying which), 400 invalidInput for a value that is
// not one positive decimal int64. Requests that name two different apps get
// 400 too, and a store failure 500. The Require* middleware answer with
// that error; handlers that do not use them see an anonymous caller, so the
// fault can never lead to another account's data. Recording instead of
// answering keeps public endpoints under the same middleware working for
// clients that send a stale header.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := m.authenticate(r)
		if p.Kind == KindNone && err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			p = Principal{}
		}
		ctx := context.WithValue(r.Context(), contextKey{}, requestState{p: p, err: err})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequireUser lets through requests of a signed-in user (KindUser). It
// answers 401 unauthorized to anonymous requests, 403 forbidden to account
// tokens, and the recorded error ([ErrorFromContext]) when there is one.
// Use it under [Manager.Middleware].
func (m *Manager) RequireUser(next http.Handler) http.Handler {
	return m.require(next, func(p Principal) error {
		if p.Kind != KindUser {
			return apierr.New(apierr.Forbidden, "this endpoint needs a user session, not an account token")
		}
		return nil
	})
}

// RequireAccount lets through requests that act as an account: account
// tokens, and sessions with an account (from the account-id header or
// chosen at sign-in). It answers 401 to anonymous requests, 400
// invalidInput to sessions without an account, and the recorded error when
// there is one.
func (m *Manager) RequireAccount(next http.Handler) http.Handler {
	return m.require(next, func(p Principal) error {
		if p.AccountID <= 0 {
			return apierr.New(apierr.InvalidInput, "no account selected: send the "+HeaderAccountID+" header")
		}
		return nil
	})
}

// RequireAny lets through every request with a principal (user or
// account). It answers 401 to anonymous requests and the recorded error
// when there is one.
func (m *Manager) RequireAny(next http.Handler) http.Handler {
	return m.require(next, func(Principal) error { return nil })
}

func (m *Manager) require(next http.Handler, check func(Principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := ErrorFromContext(r.Context()); err != nil {
			apierr.Write(w, r, m.logger, err)
			return
		}
		p, ok := FromContext(r.Context())
		if !ok {
			apierr.Write(w, r, m.logger, apierr.New(apierr.Unauthorized, "unauthorized"))
			return
		}
		if err := check(p); err != nil {
			apierr.Write(w, r, m.logger, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate finds the caller of r. A zero Principal with a nil error is
// an anonymous request; a non-nil error is an *apierr.Error to record.
func (m *Manager) authenticate(r *http.Request) (Principal, error) {
	appID, err := namedApp(r)
	if err != nil {
		return Principal{}, err
	}
	ctx := r.Context()

	if auth := r.Header.Values("Authorization"); len(auth) > 1 {
		return Principal{}, nil
	} else if len(auth) == 1 {
		if tok, ok := bearerToken(auth[0]); ok {
			switch {
			case strings.HasPrefix(tok, sessionPrefix):
				p, _, err := m.fromSession(ctx, r, tok, ViaBearer, appID)
				return p, err
			case strings.HasPrefix(tok, accountPrefix):
				return m.fromAccountToken(ctx, r, tok, appID)
			}
		}
	}

	if vals := r.Header.Values(HeaderSession); len(vals) > 1 {
		return Principal{}, nil
	} else if len(vals) == 1 && vals[0] != "" {
		p, _, err := m.fromSession(ctx, r, strings.TrimSpace(vals[0]), ViaHeader, appID)
		return p, err
	}

	match := func(name string) bool { return strings.HasPrefix(name, m.cookiePrefix+"_") }
	if appID != "" {
		want := m.CookieName(appID)
		match = func(name string) bool { return name == want }
	}
	tried := 0
	for _, c := range r.Cookies() {
		if !match(c.Name) || c.Value == "" {
			continue
		}
		if tried == maxCookiesToTry {
			break
		}
		tried++
		p, resolved, err := m.fromSession(ctx, r, c.Value, ViaCookie, appID)
		if resolved || err != nil {
			return p, err
		}
	}
	return Principal{}, nil
}

// fromSession resolves a session token. resolved is false when the token
// does not name a live session of the named app; err is a request error for
// a session that resolved (bad account header) or a store failure.
func (m *Manager) fromSession(ctx context.Context, r *http.Request, tok, via, appID string) (p Principal, resolved bool, err error) {
	s, err := m.Resolve(ctx, tok)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, m.storeFault(ctx, err)
	}
	if appID != "" && s.AppID != appID {
		return Principal{}, false, nil
	}
	p = Principal{Kind: KindUser, AppID: s.AppID, UserID: s.UserID, AccountID: s.AccountID, SessionToken: tok, Via: via}
	id, named, err := accountHeader(r)
	if err != nil || !named {
		return p, true, err
	}
	a, err := m.store.GetAccount(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Principal{}, true, errAccountNotFound()
	case err != nil:
		return Principal{}, true, m.storeFault(ctx, err)
	case a.AppID != s.AppID || a.UserID != s.UserID:
		return Principal{}, true, errAccountNotFound()
	}
	p.AccountID = a.ID
	return p, true, nil
}

// fromAccountToken resolves an account access token.
func (m *Manager) fromAccountToken(ctx context.Context, r *http.Request, tok, appID string) (Principal, error) {
	t, err := m.ResolveAccountToken(ctx, tok)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, nil
	}
	if err != nil {
		return Principal{}, m.storeFault(ctx, err)
	}
	if appID != "" && t.AppID != appID {
		return Principal{}, nil
	}
	id, named, err := accountHeader(r)
	if err != nil {
		return Principal{}, err
	}
	if named && id != t.AccountID {
		return Principal{}, errAccountNotFound()
	}
	return Principal{Kind: KindAccount, AppID: t.AppID, AccountID: t.AccountID, Via: ViaBearer}, nil
}

func (m *Manager) storeFault(ctx context.Context, err error) error {
	m.logger.ErrorContext(ctx, "session: store failure while authenticating", "error", err)
	return apierr.Wrap(err, apierr.Internal, "internal error")
}

func errAccountNotFound() error { return apierr.New(apierr.NotFound, "account not found") }

// bearerToken returns the token of an "Authorization: Bearer <token>"
// value. The scheme is case-insensitive (RFC 9110, 11.1); the token is what
// follows the single space, and must not be empty.
func bearerToken(v string) (string, bool) {
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimLeft(tok, " ")
	return tok, tok != ""
}

// namedApp returns the app the request names, "" when none. Names given in
// several places must agree.
func namedApp(r *http.Request) (string, error) {
	var app string
	add := func(vals []string) error {
		for _, v := range vals {
			v = strings.TrimSpace(v)
			switch {
			case v == "" || v == app:
			case app == "":
				app = v
			default:
				return apierr.New(apierr.InvalidInput, "the request names two different client ids")
			}
		}
		return nil
	}
	if err := add(r.Header.Values(canonicalClientID)); err != nil {
		return "", err
	}
	if err := add(r.Header.Values(HeaderClientID2)); err != nil {
		return "", err
	}
	if strings.Contains(r.URL.RawQuery, queryClientID) {
		if err := add(r.URL.Query()[queryClientID]); err != nil {
			return "", err
		}
	}
	return app, nil
}

// accountHeader returns the account id of the account-id headers, in any
// of their spellings; named is false when there is none (empty values do
// not count). Several values must agree.
func accountHeader(r *http.Request) (id int64, named bool, err error) {
	for _, key := range [...]string{HeaderAccountID, canonicalAccountID2} {
		for _, v := range r.Header.Values(key) {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			n, ok := parseAccountID(v)
			if !ok || (named && n != id) {
				return 0, false, apierr.New(apierr.InvalidInput, "the account id header must hold one positive integer")
			}
			id, named = n, true
		}
	}
	return id, named, nil
}

// parseAccountID accepts decimal digits only (no sign, no spaces) that make
// a positive int64.
func parseAccountID(v string) (int64, bool) {
	if len(v) == 0 || len(v) > maxAccountIDDigit {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}
