package connectors

import (
	"context"

	"golang.org/x/oauth2"
)

// Revoker is implemented by connectors whose provider can revoke a grant.
type Revoker interface {
	// Revoke revokes tok at the provider. Revoking a token the provider no
	// longer knows is not an error.
	Revoke(ctx context.Context, tok *oauth2.Token) error
}

// DaemonAuthorizer is implemented by connectors whose provider has an
// app-only (service account, admin consent) flow. Connectors without it
// authorize daemon accounts with their ordinary code flow.
type DaemonAuthorizer interface {
	// DaemonAuthURL returns where to send an administrator to grant the
	// app access (admin consent), with state and redirect as in AuthRequest.
	DaemonAuthURL(ctx context.Context, req AuthRequest) (string, error)
	// DaemonGrant completes the daemon flow from the callback query and
	// returns an app-only grant.
	DaemonGrant(ctx context.Context, redirectURL string, callback map[string][]string) (*Grant, error)
}

// APIBaser is implemented by connectors that expose the provider's own API
// through the direct pass-through proxy.
type APIBaser interface {
	// APIBaseURL is the provider API's base URL for an account whose
	// Identity.ServerURL is serverURL ("" when not per account).
	APIBaseURL(serverURL string) string
}

// AppTokener is implemented by connectors that obtain app-only tokens
// (OAuth client credentials) for daemon accounts, which have no refresh
// token: the token is acquired again when it expires.
type AppTokener interface {
	// AppToken returns a new app-only token for the organization (tenant)
	// orgID.
	AppToken(ctx context.Context, orgID string) (*oauth2.Token, error)
}

// TokenSignIn is implemented by connectors that sign a user in from a
// token the client already holds, without a redirect: the Microsoft Entra
// access token an Office add-in obtains through nested app authentication
// or Office getAccessToken, or the Google id_token of a Chrome extension or
// Workspace add-on.
type TokenSignIn interface {
	// SignInWithToken validates token (signature by the provider's JWKS,
	// audience = this app, issuer, expiry, required scope) and returns the
	// grant of the signed-in account. Where the provider supports it, the
	// grant holds API tokens obtained on behalf of the user (OAuth 2.0
	// on-behalf-of); they are stored like any account token and never
	// returned to the client. A token that fails validation is an error
	// wrapping ErrIdentity.
	SignInWithToken(ctx context.Context, token string) (*Grant, error)
}

// SubjectAppTokener is implemented by connectors whose daemon accounts act
// as one user of an organization (Google domain-wide delegation): the app
// token is obtained for that subject, the daemon account's AuthUserID.
// accounts prefers it to AppTokener when both exist.
type SubjectAppTokener interface {
	AppTokenFor(ctx context.Context, orgID, subject string) (*oauth2.Token, error)
}

// PasswordSignIn is implemented by connectors whose accounts sign in with a
// login and password (IMAP/SMTP servers). Package auth shows its own form
// for them instead of redirecting to a provider.
type PasswordSignIn interface {
	// SignInWithPassword logs in to the server with the credentials (a
	// real login, not a format check) and returns the grant, with the
	// password in Grant.Password and the server in Identity.ServerURL.
	// serverURL is what the user typed, "" to use the connector's default;
	// connectors that allow no choice refuse any other. Wrong credentials
	// are an error wrapping ErrIdentity; an unreachable server is another
	// error.
	SignInWithPassword(ctx context.Context, login, password, serverURL string) (*Grant, error)
}

// ScopeChecker is implemented by connectors whose providers may grant fewer
// scopes than requested (Google's granular consent). Package auth uses it
// to store what was really granted and, with ensureScopes=true, to fail a
// flow that lacks a requested scope.
type ScopeChecker interface {
	// MissingScopes returns the unified scopes of requested that the
	// native scopes granted do not cover.
	MissingScopes(requested []Scope, granted []string) []Scope
}
