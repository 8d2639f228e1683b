// Package graphtest is a FAKE Microsoft identity platform and Microsoft
// Graph, FOR TESTS AND SANDBOX MODE ONLY.
//
// DO NOT USE THIS PACKAGE AGAINST REAL USERS OR DATA. It signs anyone in
// without a password, approves every consent, keeps everything in memory,
// and has switches (SetNextUser, DenyNext, FailNextToken, MintAccessToken,
// RequireConsent ...) that let a caller forge any answer.
//
// NewServer starts it on a loopback httptest server without needing a
// testing.TB (the example server runs it in-process for its sandbox mode);
// New does the same in a test and closes it at cleanup. Point
// office365.Config.Endpoints at URL() for both the login and the Graph base.
//
// It follows Microsoft's documented wire formats for what it implements:
//
//   - OpenID Connect discovery at /{tenant}/v2.0/.well-known/openid-configuration
//     (issuer "{URL}/{tenantid}/v2.0" for common, organizations and
//     consumers, "{URL}/{tid}/v2.0" for one tenant) and the signing keys at
//     /{tenant}/discovery/v2.0/keys (RS256, kid and x5t, rotatable);
//   - /{tenant}/oauth2/v2.0/authorize: the authorization code flow with
//     response_mode=query, PKCE (S256 and plain), nonce, login_hint and
//     prompt, approving at once; tenant restrictions of common,
//     organizations, consumers and single tenants;
//   - /{tenant}/oauth2/v2.0/token: authorization_code (single-use codes,
//     redirect_uri and PKCE checks), refresh_token (a new refresh token on
//     every use), client_credentials ({resource}/.default, tenants whose
//     administrator consented), and the on-behalf-of grant
//     (urn:ietf:params:oauth:grant-type:jwt-bearer with
//     requested_token_use=on_behalf_of and an assertion signed by this fake);
//     client_secret_post or client_secret_basic; errors as
//     {error, error_description "AADSTSnnnnn: ...", error_codes, timestamp,
//     trace_id, correlation_id, error_uri};
//   - /{tenant}/v2.0/adminconsent, redirecting back with tenant,
//     admin_consent=True and state (or error and error_description);
//   - Microsoft Graph GET /v1.0/me with $select and the Prefer header, and
//     Graph errors {"error":{"code","message","innerError":{"date",
//     "request-id","client-request-id"}}}: 401 InvalidAuthenticationToken
//     for a missing, unknown or expired token, 403 without User.Read, 400
//     for app-only tokens and unknown $select properties, and one-shot
//     failures such as 429 with Retry-After (FailNextGraph, ThrottleNext).
//
// Access and refresh tokens it issues are opaque strings, as Microsoft asks
// clients to treat them; id_tokens and minted API tokens are JWTs.
//
// Mail (mail.go): GET /me/messages and /me/mailFolders/{id}/messages with
// $select, $top, $skip paging in @odata.nextLink, a $filter subset and a
// $search KQL subset (refused together, as Graph does); GET, PATCH
// /me/messages/{id}, /$value, /move, /attachments/{id}; POST /me/messages
// (draft), /me/messages/{id}/send and /me/sendMail; /me/mailFolders and
// well-known folder names; /me/mailFolders/{id}/messages/delta with
// $skiptoken and $deltatoken links, @removed items, and 410
// SyncStateNotFound after ExpireDeltaTokens. Mailboxes are seeded with
// SeedMessage and changed with ChangeMessage and DeleteMessage.
//
// Calendar (calendar*.go): calendars, events with If-Match, calendarView
// and instances expanding patterned recurrence in the series' zone
// (Windows or IANA names), exceptions and cancelled occurrences,
// accept/decline/tentativelyAccept, calendarView/delta, getSchedule;
// SeedCalendar, SeedEvent, SeedOccurrenceChange, CancelOccurrence,
// ChangeEvent, DeleteEvent, ExpireCalendarDeltaTokens.
//
// Contacts (contacts.go): personal contacts and contact folders with
// $select/$top/$skip/$filter, If-Match, strict bodies and contacts delta;
// SeedContact, ChangeContact, DeleteContact, ExpireContactDeltaTokens.
//
// Microsoft To Do (todo.go): task lists (the built-in defaultList per
// user) and tasks with If-Match and tasks delta; SeedTodoList,
// SeedTodoTask, ChangeTodoTask, DeleteTodoTask, ExpireTodoDeltaTokens.
//
// The head of each file details what it implements and where it chose
// behaviour Graph does not document. Handle adds routes to the mux,
// Authenticate checks a Graph bearer token and answers the documented 401,
// and WriteError writes Graph's error body.
package graphtest
