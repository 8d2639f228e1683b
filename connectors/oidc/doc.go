// Package oidc is a generic OpenID Connect connector: any provider with
// OpenID Connect Discovery (Okta, Auth0, Keycloak, Zitadel, Microsoft
// Entra ID, ...) becomes a connectors.Connector from its issuer URL and a
// client registration.
//
// New runs discovery once. The authorization code flow sends PKCE S256,
// a nonce, login_hint and prompt=consent as asked; Exchange verifies the
// id_token (signature with the provider's JWKS, issuer, audience, expiry,
// nonce, at_hash) with github.com/coreos/go-oidc/v3 and reads the identity
// from its claims, completed by the userinfo endpoint when email or name
// are missing. Token endpoint failures are *connectors.TokenError (use
// errors.As). The connector also revokes grants (RFC 7009) when the
// provider has a revocation endpoint.
//
// Every request (discovery, JWKS, token, userinfo, revocation) goes through
// Config.HTTPClient.
//
// It is not an API client for the provider's data, and it does not verify
// id_tokens that arrive anywhere but from the token endpoint.
package oidc
