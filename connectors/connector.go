package connectors

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Connector is one provider's authorization and identity. Implementations
// are safe for concurrent use. Every method that talks to the provider takes
// a context and uses the *http.Client the connector was configured with.
type Connector interface {
	// ServiceType is the Aurinko serviceType the connector serves, e.g.
	// "Google", "Office365", "Salesforce". Registry lookups ignore case.
	ServiceType() string
	// NativeScopes maps unified scopes to the provider's scopes, adding
	// the scopes the connector always needs (openid, offline_access, ...).
	// A unified scope the provider cannot grant is an error wrapping
	// ErrUnsupportedScope.
	NativeScopes(unified []Scope) ([]string, error)
	// AuthCodeURL returns the provider's authorization URL for a flow.
	AuthCodeURL(ctx context.Context, req AuthRequest) (string, error)
	// Exchange trades the authorization code from the callback for a
	// token and the identity of the account that granted it.
	Exchange(ctx context.Context, req ExchangeRequest) (*Grant, error)
	// Refresh obtains a fresh token with tok.RefreshToken. When the
	// provider returns no new refresh token the result carries the old
	// one. Errors are *TokenError when the provider answered with an OAuth
	// error.
	Refresh(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error)
}

// AuthRequest describes the authorization request to send the browser to.
type AuthRequest struct {
	// RedirectURL is this server's callback URL.
	RedirectURL string
	// State is the opaque, single-use value that comes back in the callback.
	State string
	// Scopes are native scopes, already mapped by NativeScopes and merged
	// with the caller's nativeScopes.
	Scopes []string
	// LoginHint suggests the account to sign in with; "" when none.
	LoginHint string
	// CodeChallenge is the PKCE S256 challenge. Connectors of providers
	// that support PKCE must send it; others ignore it.
	CodeChallenge string
	// Nonce binds an OpenID Connect id_token to this flow; "" for plain
	// OAuth2 connectors.
	Nonce string
	// ForceConsent asks the provider to show consent again (used when no
	// refresh token is stored for the account).
	ForceConsent bool
}

// ExchangeRequest carries what the callback received and what the flow kept.
type ExchangeRequest struct {
	Code         string
	RedirectURL  string
	CodeVerifier string // PKCE verifier matching AuthRequest.CodeChallenge
	Nonce        string // must match the id_token's nonce when there is one
}

// Grant is the result of a successful authorization.
type Grant struct {
	Token    *oauth2.Token
	Identity Identity
	// Scopes are the native scopes the provider granted (its "scope"
	// answer), or the requested ones when it does not say.
	Scopes []string
	// Password is the account's password, for connectors that sign in
	// with one (PasswordSignIn); "" otherwise. Package accounts seals it
	// with the token; it is never logged or returned to a client.
	Password string
}

// Identity is who granted access, in the provider's terms.
type Identity struct {
	AuthUserID      string // stable provider user id (sub, oid, ...); required
	AuthOrgID       string // provider organization (tenant id, Workspace domain); "" when none
	Email           string
	Name            string
	OrgDomain       string
	OrgName         string
	ServiceProvider string // e.g. "Google", "Office365"; defaults to the service type
	ServerURL       string // API base of the account when it differs per account (CRMs, IMAP)
}

// Errors of connectors, for errors.Is.
var (
	// ErrUnsupportedScope: a unified scope the provider cannot grant.
	ErrUnsupportedScope = errors.New("connectors: scope not supported by this provider")
	// ErrIdentity: the provider's identity answer is missing or invalid
	// (bad id_token signature, wrong audience or nonce, no user id).
	ErrIdentity = errors.New("connectors: identity not verified")
)

// TokenError is an OAuth error answer of a token endpoint (RFC 6749
// section 5.2), or an HTTP failure of it, with what a caller needs to decide
// between giving up and trying again.
type TokenError struct {
	// Code is the OAuth "error" value ("invalid_grant", ...); "" when the
	// provider sent none (an HTML error page, a 503).
	Code        string
	Description string
	// Status is the HTTP status of the answer; 0 for a network failure.
	Status int
	// RetryAfter is the provider's Retry-After, when it sent one.
	RetryAfter time.Duration
	Err        error
}

// Error implements error. It never contains a token.
func (e *TokenError) Error() string {
	msg := "connectors: token endpoint"
	if e.Status != 0 {
		msg += fmt.Sprintf(" answered %d", e.Status)
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// Terminal reports whether retrying cannot help: the grant is revoked or the
// client is misconfigured (invalid_grant, invalid_client,
// unauthorized_client). Network errors, 5xx, 429 and answers without an
// OAuth error code are not terminal.
func (e *TokenError) Terminal() bool {
	switch e.Code {
	case "invalid_grant", "invalid_client", "unauthorized_client":
		return true
	}
	return false
}

// CallbackError is an error the provider reported to the callback
// (error=access_denied&error_description=...).
type CallbackError struct {
	Code        string
	Description string
}

// Error implements error.
func (e *CallbackError) Error() string {
	if e.Description != "" {
		return "connectors: provider refused: " + e.Code + ": " + e.Description
	}
	return "connectors: provider refused: " + e.Code
}

// CallbackErrorFrom returns the provider's error in a callback query, or nil.
func CallbackErrorFrom(q url.Values) *CallbackError {
	if code := q.Get("error"); code != "" {
		return &CallbackError{Code: code, Description: q.Get("error_description")}
	}
	return nil
}
