// Package oidctest is a FAKE OpenID Connect / OAuth2 provider FOR TESTS ONLY.
//
// DO NOT USE THIS PACKAGE OUTSIDE OF TESTS. It signs in anyone without a
// password, keeps everything in memory, and exposes switches (SetNextUser,
// DenyNext, FailNextToken, SignIDToken) that let a test forge any answer.
//
// New starts an httptest server that speaks the real wire formats, so that
// connectors are tested against what a provider actually sends:
//
//   - OpenID Connect Discovery at /.well-known/openid-configuration;
//   - a JSON Web Key Set with one RSA 2048 key, generated per provider;
//     id_tokens are RS256 JWTs signed with github.com/go-jose/go-jose/v4;
//   - an authorization endpoint (GET) that approves at once and redirects
//     back with code and state, or with an error (RFC 6749 section 4.1.2);
//   - a token endpoint (RFC 6749 sections 4.1.3, 5 and 6): form POST, client
//     authentication by HTTP Basic or client_secret_post, PKCE S256 (RFC
//     7636), single-use codes valid one minute, redirect_uri bound to the
//     code, refresh tokens optionally rotated, errors as JSON
//     {error, error_description};
//   - a userinfo endpoint (OpenID Connect Core section 5.3) taking a Bearer
//     access token;
//   - a revocation endpoint (RFC 7009).
//
// The provider records what it was sent (AuthorizeRequests, TokenRequests,
// without the client secret) so tests can assert on PKCE, nonce, scope and
// prompt parameters.
package oidctest
