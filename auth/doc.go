// Package auth serves the sign-in flows and the user and account endpoints
// of the aurinko API: /auth/authorize, /auth/authorizeUser,
// /auth/authorizeDaemon, /auth/callback, /auth/token/{code}, /user...,
// /account..., /am/accounts....
//
// A flow starts at an authorize endpoint. The app (clientId) and its return
// URL are checked first (exact match, see MatchReturnURL); failures there get
// an HTML error page, never a redirect. The flow is then stored under a
// random, single-use state (its PKCE verifier sealed), bound to the browser
// by an HttpOnly cookie, and the browser goes to the provider with PKCE S256
// and, for OpenID Connect providers, a nonce. The provider returns to
// /auth/callback, which redeems the state once, checks the browser binding,
// exchanges the code, stores the account (package accounts) and redirects to
// the return URL with status=success|error, the client's state, and:
//
//   - responseType=code: code, a one-time code (5 minutes) that the app's
//     server exchanges at POST /auth/token/{code} with HTTP Basic
//     clientId:clientSecret for {accountId, accessToken, userId, userSession};
//   - responseType=token: accessToken and accountId in the query string, as
//     the Aurinko API does (the client should remove them from its URL);
//   - responseType=cookie (user sign-in): a session cookie;
//   - on error: details, a short message safe to show.
//
// Choices where the Aurinko API is silent: authorize with userAccount=primary
// both sets a session cookie and honours responseType; a secondary account is
// linked to the user of the session in the request, or to the user named by
// userId + timestamp + userSignature (HMAC-SHA256 of userId+timestamp keyed
// with the client secret, hex or base64, timestamp within 5 minutes); the
// primary account cannot be deleted through /user/accounts (409).
package auth
