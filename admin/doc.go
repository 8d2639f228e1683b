// Package admin is an optional operator console for an aurinko server: the
// apps, users, organizations, accounts, webhook subscriptions and background
// jobs it holds, with the few actions an operator needs (deactivate or delete
// an account, force a token refresh, re-send a failed webhook delivery,
// re-seal every secret under the current encryption key).
//
// [New] returns a [Console], an http.Handler that the host mounts under a
// path of its choosing, stripping the prefix; its JSON API for scripts
// ([Console.API]) goes under another prefix if the host wants one:
//
//	console, err := admin.New(admin.Config{
//		Accounts:     srv.Accounts(),
//		Keyring:      srv.Keyring(),
//		PasswordHash: os.Getenv("ADMIN_PASSWORD_BCRYPT"),
//		BasePath:     "/admin",
//	})
//	mux.Handle("/admin/", http.StripPrefix("/admin", console))
//	mux.Handle("/v1/admin/", http.StripPrefix("/v1/admin", console.API()))
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
// as 10: one store call per page (plus one keyed read per row for the
// token health of accounts, and one per user for a user's accounts). A
// search (?q=) that is a number finds the record with that id by one keyed
// read. Any other search matches emails, names and ids by substring; the
// store has no text search, so it scans pages of the list server-side, at
// most Config.SearchBudget records per request; when the budget runs out
// the page says so and offers to continue from where the scan stopped.
// Large installations will want a store method for search (a gap noted
// for the store). Counting the retry queue of subscriptions scans the
// webhook delivery jobs the same way (one pass per page), because the
// store cannot list jobs by Key.
//
// The subscriptions list shows each subscription's account, provider side
// (id and expiry), last delivery (store.Subscription.LastDeliveryAt, which
// package webhooks records on every successful delivery), failSince and
// retry queue, with its failed deliveries to re-send; it filters by status
// (active, inactive, failing) and account.
//
// # JSON API
//
// Every page is also JSON, for scripts, behind the same credentials (never
// a user session or an account token), at the same path relative to the
// API's root: [Console.API] alone, mounted where the host chooses, or
// <mount>/api/ of the console (the same handler):
//
//	GET    /                      overview: job queues, keys
//	GET    /apps                  apps: return URLs, origins, connectors in use
//	GET    /users                 users, each with organization and accounts (?app= &q= &after=)
//	GET    /users/{id}            a user, organization and accounts
//	GET    /organizations         organizations (?app= &q= &after=)
//	GET    /organizations/{id}    an organization, its users and accounts
//	GET    /accounts              accounts with serviceType, type, active, tokenStatus, scopes and
//	                              token health (?app= &serviceType= &type= &status= &org= &q= &after=)
//	GET    /accounts/{id}         an account, its token health and subscriptions
//	GET    /subscriptions         subscriptions (?app= &account= &status= &q= &after=)
//	GET    /jobs                  job counts by kind and state, failed jobs (?kind= &q= &after=)
//	GET    /keys                  the keyring and the last rotation
//	POST   /accounts/{id}/deactivate
//	POST   /accounts/{id}/refresh force a token refresh
//	DELETE /accounts/{id}         delete, revoking the grant where the provider allows it
//	POST   /jobs/{id}/requeue     re-send a failed delivery (any failed job)
//	POST   /keys/rotate           start re-sealing (202; progress at GET /keys)
//
// A list answers its rows with next (the cursor of the next page, absent
// at the end), scanned and truncated. An action answers {"done", "message"}
// and the record as it is now (account, token, job or rotation); errors are
// {"code", "message"} with the status. A POST must say Content-Type:
// application/json (a browser cannot send that cross-site without a CORS
// preflight, which is never answered) and every request passes
// http.CrossOriginProtection: the JSON API needs no CSRF token, and a page
// elsewhere cannot drive it with credentials the browser has cached.
//
//	curl -u ops:$PASS https://api.example.com/v1/admin/accounts?q=alice@example.com
//	curl -u ops:$PASS -X POST -H 'Content-Type: application/json' https://api.example.com/v1/admin/accounts/42/refresh
//
// Do not mount it under /v1/am/: there aurinko's own handler serves the
// Aurinko app-management API (GET /v1/am/accounts ...) to apps with their
// client credentials, and a host mux would route those calls here.
//
// # Forced refresh
//
// "Force refresh" calls accounts.Service.ForceRefresh: the refresh runs under
// the same per-account store lock as every other refresh, re-reads the token
// under it, keeps the refresh token when the provider sends none, and on a
// terminal error deactivates the account and calls the host's
// TokenConfig.OnTerminal hook. Credentials without an expiry (passwords)
// are left alone ("unchanged").
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
