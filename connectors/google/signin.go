package google

import (
	"context"
	"fmt"

	"github.com/aurinko-go/aurinko/connectors"
)

// maxIDTokenBytes bounds the id_tokens SignInWithToken looks at.
const maxIDTokenBytes = 16 << 10

// SignInWithToken implements connectors.TokenSignIn for the Google
// id_token that a Chrome extension (chrome.identity with an openid scope,
// or Google Identity Services) or a Google Workspace add-on
// (ScriptApp.getIdentityToken, the add-on event's userIdToken) holds. The
// token is validated: RS256 signature by Google's JWKS, issuer
// (accounts.google.com or https://accounts.google.com), audience =
// ClientID or one of AllowedAudiences, expiry, a verified email
// (email_verified), and the HostedDomains restriction. Any failure wraps
// connectors.ErrIdentity.
//
// Google has no on-behalf-of exchange: an id_token cannot be traded for an
// API token. The grant therefore carries the identity only: Grant.Token is
// nil and Grant.Scopes empty. The account it signs in can use the Google
// APIs only after the ordinary code flow (AuthCodeURL, Exchange) has
// granted offline access; until then the auth layer stores no credential
// for it.
func (c *Connector) SignInWithToken(ctx context.Context, token string) (*connectors.Grant, error) {
	if token == "" || len(token) > maxIDTokenBytes {
		return nil, fmt.Errorf("google: id_token missing or too large: %w", connectors.ErrIdentity)
	}
	id, err := c.verifyIDToken(ctx, token, c.audiences, nil, "")
	if err != nil {
		return nil, err
	}
	if id.Email == "" {
		return nil, fmt.Errorf("google: id_token refused: the email is not verified: %w", connectors.ErrIdentity)
	}
	return &connectors.Grant{Identity: id}, nil
}
