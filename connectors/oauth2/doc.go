// Package oauth2 is a generic OAuth 2.0 connector for services that are not
// OpenID Connect providers: CRMs and business APIs shaped like Salesforce,
// HubSpot or Zoho. A Config names the endpoints, the scopes and where the
// userinfo answer keeps the user's id, email, name and organization.
//
// The authorization code flow (RFC 6749 section 4.1) sends PKCE S256 when
// Config.PKCE is set; the identity comes from the userinfo endpoint called
// with the new access token. Token endpoint failures are
// *connectors.TokenError (use errors.As). The connector revokes grants
// (RFC 7009) when Config.RevokeURL is set and gives the direct pass-through
// proxy its API base URL.
//
// For a provider with OpenID Connect Discovery use connectors/oidc instead:
// it verifies an id_token rather than trusting a userinfo answer. This
// package imports golang.org/x/oauth2 as xoauth2.
package oauth2
