// Package session keeps signed-in users and says who is calling.
//
// A [Manager] issues and resolves two kinds of bearer secrets, both random
// (256 bits) and stored only as their SHA-256 hash:
//
//   - session tokens ("ses_…"): a signed-in user of one app, with an idle
//     timeout and an absolute lifetime; sent as a cookie, as
//     "Authorization: Bearer", or as the X-Aurinko-Session header (add-ins
//     run in iframes where third-party cookies are often blocked);
//   - account access tokens ("acc_…"): act as one account, without expiry,
//     until revoked.
//
// [Manager.Middleware] reads the credential of each request and puts a
// [Principal] in the request context; it never rejects a request itself.
// [Manager.RequireUser], [Manager.RequireAccount] and [Manager.RequireAny]
// answer the requests that lack what a handler needs, with the JSON errors
// of package apierr. [CORS] lets the browser origins of add-ins call the API.
//
// This package does not sign users in (package auth does) and does not know
// what an account may do with its provider (packages accounts and unified).
package session
