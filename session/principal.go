package session

import (
	"context"
	"fmt"
	"log/slog"
)

// Kind says what sort of credential a caller presented.
type Kind int

// Kinds of principal.
const (
	// KindNone: anonymous; no credential, or one that did not resolve.
	KindNone Kind = iota
	// KindUser: a signed-in user, by session token (cookie, bearer or
	// X-Aurinko-Session header).
	KindUser
	// KindAccount: an account access token, acting as one account.
	KindAccount
)

// String returns "none", "user" or "account".
func (k Kind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindUser:
		return "user"
	case KindAccount:
		return "account"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// How a credential came with the request: [Principal.Via].
const (
	ViaCookie = "cookie" // the app's session cookie
	ViaBearer = "bearer" // Authorization: Bearer
	ViaHeader = "header" // X-Aurinko-Session
)

// Principal is who is calling. Its String, GoString and LogValue leave
// SessionToken out, so printing or logging a Principal never leaks it.
type Principal struct {
	Kind  Kind
	AppID string
	// UserID is the signed-in user (KindUser only).
	UserID string
	// AccountID is the account the request acts as. KindAccount: the
	// token's account. KindUser: the account named by the account-id header
	// (verified to belong to the user and app), else the session's
	// account, else 0.
	AccountID int64
	// SessionToken is the raw session token of a KindUser principal, as the
	// request carried it (sign-out needs it). Never log or send it.
	SessionToken string
	// Via is how the credential came: ViaCookie, ViaBearer or ViaHeader.
	Via string
}

// String describes p without its session token.
func (p Principal) String() string {
	return fmt.Sprintf("{Kind:%s AppID:%q UserID:%q AccountID:%d Via:%q}", p.Kind, p.AppID, p.UserID, p.AccountID, p.Via)
}

// GoString is String, so that %#v does not print the token either.
func (p Principal) GoString() string { return "session.Principal" + p.String() }

// LogValue logs p without its session token.
func (p Principal) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", p.Kind.String()),
		slog.String("appId", p.AppID),
		slog.String("userId", p.UserID),
		slog.Int64("accountId", p.AccountID),
		slog.String("via", p.Via),
	)
}

// contextKey is the key of the request state in a context. Its type is
// unexported, so no other package can read or overwrite the value; it is one
// key for the package (not per Manager) because FromContext is a function.
type contextKey struct{}

// requestState is what Middleware learned about a request.
type requestState struct {
	p   Principal
	err error // an *apierr.Error for Require* to answer; p is then anonymous
}

// NewContext returns ctx carrying p, as Middleware would put it. It is meant
// for tests and for hosts that authenticate callers their own way.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, contextKey{}, requestState{p: p})
}

// FromContext returns the principal Middleware (or NewContext) put in ctx.
// ok is false for anonymous requests: no credential, a credential that did
// not resolve, or a request error recorded by Middleware (see
// [ErrorFromContext]).
func FromContext(ctx context.Context) (p Principal, ok bool) {
	st, _ := ctx.Value(contextKey{}).(requestState)
	if st.err != nil || st.p.Kind == KindNone {
		return Principal{}, false
	}
	return st.p, true
}

// ErrorFromContext returns the error Middleware recorded for a request that
// presented a valid credential but asked for something it may not have
// (an account-id header that is malformed, names another user's account,
// or differs from an account token's account), named two different apps, or
// met a store failure. It is an *apierr.Error, ready for apierr.Write; nil
// when there was none. Such a request is anonymous for [FromContext].
func ErrorFromContext(ctx context.Context) error {
	st, _ := ctx.Value(contextKey{}).(requestState)
	return st.err
}
