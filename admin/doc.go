// Package admin is an optional operator console for an aurinko server: the
// apps, users, organizations, accounts, webhook subscriptions and background
// jobs it holds, with the few actions an operator needs (deactivate or delete
// an account, force a token refresh, re-send a failed webhook delivery,
// re-seal every secret under the current encryption key).
//
// [New] returns an http.Handler that the host mounts under a path of its
// choosing, stripping the prefix:
//
//	h, err := admin.New(admin.Config{
//		Accounts:     srv.Accounts(),
//		Keyring:      srv.Keyring(),
//		PasswordHash: os.Getenv("ADMIN_PASSWORD_BCRYPT"),
//		BasePath:     "/admin",
//	})
//	mux.Handle("/admin/", http.StripPrefix("/admin", h))
//
// The console takes the services it needs rather than the root package's
// *aurinko.Server, so that it stays below the root in the import graph
// (no package imports the root).
//
// # Access
//
// The console has its own credentials: HTTP Basic checked against a bcrypt
// hash (Config.PasswordHash), and/or a host-supplied Config.Authorize (an
// SSO proxy header, a client certificate, ...). User sessions and account
// access tokens of the API grant nothing here: the console never looks at
// them. Every state-changing request is a POST that must carry a CSRF token
// (an HMAC of the admin principal and a timestamp under Config.CSRFKey) and
// pass http.CrossOriginProtection. Pages are server-rendered with
// html/template, need no JavaScript, and are served with a strict
// Content-Security-Policy (no scripts at all), X-Frame-Options DENY and
// Referrer-Policy no-referrer.
//
// # Lists, search and paging
//
// Every list pages by id cursor (?after=), so 10,000 accounts page as fast
// as 10: one store call per page. The store has no text search, so a search
// (?q=) scans pages of the list server-side, at most Config.SearchBudget
// records per request; when the budget runs out the page says so and offers
// to continue from where the scan stopped. Large installations will want a
// store method for search (a gap noted for the store). Counting the retry
// queue of a subscription scans the webhook delivery jobs the same way,
// because the store cannot list jobs by Key.
//
// # JSON
//
// The same data is served as JSON under <mount>/api/... (apps, users,
// organizations, accounts, jobs, keys) for scripts, behind the same
// credentials. The JSON API is read-only; actions are HTML forms.
//
// # Forced refresh
//
// accounts.Service refreshes a token only when it is about to expire, and has
// no method to refresh one now. The console therefore builds a second
// accounts.Service over the same store, keyring and connectors whose refresh
// margin outlasts any token, and asks it for the account's token: the refresh
// runs under the same per-account store lock as every other refresh, re-reads
// the token under it, keeps the refresh token when the provider sends none,
// and deactivates the account on a terminal error. Two differences remain
// until accounts.Service grows a ForceRefresh method: the host's
// TokenConfig.OnTerminal hook is not called for a terminal error met here, and
// credentials without an expiry (passwords) are never force-refreshed.
//
// # Key rotation
//
// A keyring is immutable and shared by every service of the server, so the
// console cannot switch keys by itself: the host restarts the server with a
// keyring whose first key is the new one and whose later keys include the
// old ones (see package seal). From then on new secrets are sealed under the
// new key; the console's "Rotate" action re-seals the remaining ones in the
// background (seal.Rotate) and shows how many it has re-sealed so far. Once
// it finishes, the old key can be dropped from the configuration. Progress is
// kept in the memory of the instance that runs the rotation.
package admin
