package office365

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/aurinko-go/aurinko/connectors"
)

// maxTokenBytes bounds the tokens SignInWithToken parses.
const maxTokenBytes = 16 << 10

// SignInWithToken implements connectors.TokenSignIn for Office add-ins and
// Teams apps. token is an Entra access token for the app's own API (from
// Office.auth.getAccessToken or nested app authentication). It must be an
// RS256 JWT signed with a key of the tenant's JWKS (fetched again when the
// key id is unknown), with aud = SSO.APIAppID or ClientID, iss =
// {login}/{tid}/v2.0 or the v1.0 issuer of tid, an allowed tid, a scp claim
// holding SSO.RequiredScope, an oid, and exp/nbf valid by Config.Now.
// Anything else is an error wrapping connectors.ErrIdentity; when the
// signing keys cannot be fetched the error does not wrap it (try again).
//
// The connector then trades the token for Graph tokens with the OAuth 2.0
// on-behalf-of flow at the user's tenant (scope {graph}/.default
// offline_access: every Graph permission consented to the app). A refusal
// is a *connectors.TokenError carrying Microsoft's code: invalid_grant with
// AADSTS65001 when the user has not consented, interaction_required with
// AADSTS50076/50079 when multi-factor authentication is required; the
// add-in then falls back to the dialog sign-in.
func (c *Connector) SignInWithToken(ctx context.Context, token string) (*connectors.Grant, error) {
	if c.sso == nil {
		return nil, fmt.Errorf("office365: token sign-in is not configured (Config.SSO): %w", errors.ErrUnsupported)
	}
	if token == "" || len(token) > maxTokenBytes || strings.Count(token, ".") != 2 {
		return nil, fmt.Errorf("office365: the sign-in token is not a JWT: %w", connectors.ErrIdentity)
	}
	cl, err := c.verifyAPIToken(ctx, token)
	if err != nil {
		return nil, err
	}
	tok, err := c.postToken(ctx, cl.TenantID, url.Values{
		"grant_type":          {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"requested_token_use": {"on_behalf_of"},
		"assertion":           {token},
		"scope":               {c.r.cloud.graphResource + "/.default offline_access"},
	})
	if err != nil {
		return nil, fmt.Errorf("office365: on-behalf-of token request: %w", err)
	}
	var scopes []string
	if s, ok := tok.Extra("scope").(string); ok {
		scopes = connectors.SplitList(s)
	}
	return &connectors.Grant{
		Token: tok,
		Identity: connectors.Identity{
			AuthUserID:      cl.ObjectID,
			AuthOrgID:       strings.ToLower(cl.TenantID),
			Email:           cl.email(),
			Name:            cl.Name,
			ServiceProvider: ServiceType,
		},
		Scopes: scopes,
	}, nil
}

// verifyAPIToken validates an access token for the app's API.
func (c *Connector) verifyAPIToken(ctx context.Context, token string) (entraClaims, error) {
	keys := &keyFetch{}
	vctx := context.WithValue(gooidc.ClientContext(ctx, c.client), keyFetchKey{}, keys)
	t, err := c.apiToks.Verify(vctx, token)
	if err != nil {
		if keys.failed {
			return entraClaims{}, fmt.Errorf("office365: cannot fetch the signing keys to verify the sign-in token: %w", bounded(err))
		}
		c.log.DebugContext(ctx, "office365: sign-in token refused", "reason", bounded(err).Error())
		return entraClaims{}, fmt.Errorf("office365: sign-in token refused: %w: %w", connectors.ErrIdentity, bounded(err))
	}
	var cl entraClaims
	if err := t.Claims(&cl); err != nil {
		return entraClaims{}, fmt.Errorf("office365: sign-in token claims: %w: %w", connectors.ErrIdentity, err)
	}
	refuse := func(reason string) (entraClaims, error) {
		c.log.DebugContext(ctx, "office365: sign-in token refused", "reason", reason)
		return entraClaims{}, fmt.Errorf("office365: sign-in token refused: %s: %w", reason, connectors.ErrIdentity)
	}
	if !slices.Contains(t.Audience, c.sso.APIAppID) && !slices.Contains(t.Audience, c.clientID) {
		return refuse("audience is not this app's API")
	}
	if err := c.tenantIssuer(cl, true); err != nil {
		return refuse(err.Error())
	}
	if !slices.Contains(strings.Fields(cl.Scope), c.sso.RequiredScope) {
		return refuse(fmt.Sprintf("scope %q missing from scp", c.sso.RequiredScope))
	}
	if !isGUID(cl.ObjectID) {
		return refuse("no user object id (oid)")
	}
	return cl, nil
}

// keyFetchKey is the context key of the keyFetch of one verification.
type keyFetchKey struct{}

// keyFetch records that fetching the JWKS failed during a verification:
// go-oidc reports that only as text.
type keyFetch struct{ failed bool }

// verifyingKeySet is the connector's key set: go-oidc's RemoteKeySet (keys
// cached, fetched again on an unknown key id), noting fetch failures.
type verifyingKeySet struct{ remote *gooidc.RemoteKeySet }

func (k verifyingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil && strings.HasPrefix(err.Error(), "fetching keys") {
		if kf, ok := ctx.Value(keyFetchKey{}).(*keyFetch); ok {
			kf.failed = true
		}
	}
	return payload, err
}

// boundedError bounds the message of a go-oidc error, which can hold the
// body of a JWKS answer.
type boundedError struct{ err error }

func bounded(err error) error { return &boundedError{err: err} }

func (e *boundedError) Error() string { return truncate(e.err.Error(), 200) }
func (e *boundedError) Unwrap() error { return e.err }
