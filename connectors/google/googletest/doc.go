// Package googletest is a FAKE Google (OAuth 2.0, OpenID Connect and the
// beginnings of the Google APIs) FOR TESTS AND THE EXAMPLE SERVER'S
// SANDBOX ONLY.
//
// DO NOT USE IT AGAINST REAL USERS OR DATA. It signs anyone in without a
// password, approves every consent at once, keeps everything in memory,
// and exposes switches (SetNextUser, DenyNext, GrantOnly, FailNextToken,
// RateLimitNext, MintIDToken) with which a test forges any answer.
//
// NewServer starts it on a loopback port (or Options.Addr) and works
// without a testing.TB, so a sandbox can run it in-process; New wraps it
// for tests. It follows Google's documented wire formats, at Google's
// paths, all on one host (Endpoints gives google.Config.Endpoints):
//
//   - /.well-known/openid-configuration, shaped like Google's discovery
//     document, and the signing keys at /oauth2/v3/certs (one RSA key per
//     server; id_tokens are RS256 with iss, azp, aud, sub, hd, email,
//     email_verified, name, picture, nonce, at_hash);
//   - /o/oauth2/v2/auth, the web server flow: client and redirect URI
//     errors as an error page (never a redirect), scope required, email
//     and profile granted as their userinfo.* URIs, access_type,
//     prompt (none, consent, select_account), include_granted_scopes,
//     PKCE (S256 and plain), login_hint, nonce; the callback carries code,
//     scope, authuser, hd, prompt and state. A refresh token is issued for
//     access_type=offline at a user's first consent and again only with
//     prompt=consent, as Google does;
//   - /token: authorization_code, refresh_token (refresh tokens are not
//     rotated; a revoked one answers invalid_grant "Token has been expired
//     or revoked.") and the service account JWT-bearer grant (RFC 7523):
//     the assertion's RS256 signature is checked with the key issued by
//     ServiceAccountJSON, iss, aud = the token endpoint, iat/exp (at most
//     one hour), scope, and sub (a Workspace user; the scopes must be in
//     Options.DelegatedScopes, else unauthorized_client);
//   - /revoke, with the token in the body or the query (400 invalid_token
//     for an unknown one); revoking ends the grant and the consent;
//   - /v1/userinfo (openidconnect.googleapis.com) and /oauth2/v3/userinfo;
//   - /gmail/v1/users/{userId}/profile (Gmail users.getProfile) and the
//     Gmail API over an in-memory mailbox per user: users.messages.list
//     (q in Gmail's search syntax: from:, to:, cc:, bcc:, subject:,
//     after:/before: as yyyy/mm/dd midnight PST or epoch seconds,
//     is:unread/read/starred/important, has:attachment, in:, label:,
//     filename:, rfc822msgid:, free text and "phrases", -negation, OR, {}
//     and (); labelIds, includeSpamTrash, maxResults, pageToken),
//     users.messages.get (format full|metadata|minimal|raw, Gmail's payload
//     tree with base64url bodies), send (raw RFC 822; From, Date and
//     Message-ID set as Gmail does; delivered to recipients who are users
//     of the fake), modify, trash, untrash, delete, attachments.get,
//     users.labels.list and create, users.history.list (historyTypes,
//     labelId, paging; 404 for a startHistoryId older than ExpireHistory
//     allows) and users.threads.get. Seed builds MIME messages from
//     MailMessage values; every change bumps the historyId (with gaps, as
//     Gmail's) and records history.
//
// Google API errors use Google's JSON error format (WriteError): 401
// authError for unknown or expired tokens, 403 insufficientPermissions,
// 429 rateLimitExceeded with Retry-After after RateLimitNext.
//
// Not implemented yet: Gmail drafts, threads.list, batch requests and
// media uploads (/upload/gmail/...), the device flow. Mux and Authorize
// are exported so that those endpoints can be added next to these.
//
// Besides Gmail the fake serves the Calendar API (below), the People API
// for contacts (people.go: connections.list with sync tokens, get,
// batchGet, createContact, updateContact with etag checks,
// deleteContact; SeedContact, UpdateContact, DeleteContact,
// ExpirePeopleSyncTokens) and the Tasks API (tasks.go: task lists and
// tasks with updatedMin, showDeleted, showHidden, move and clear;
// SeedTaskList, SeedTask). The head of each file details what it
// implements and where it chose behaviour Google does not document.
//
// # Calendar
//
//   - the Google Calendar API v3 at /calendar/v3 over an in-memory store per
//     user (scopes calendar, calendar.readonly, calendar.events,
//     calendar.events.readonly; 401/403/429 as for Gmail; errors in the
//     format of Calendar's errors guide): calendarList.list (maxResults,
//     pageToken, showDeleted, showHidden, minAccessRole, syncToken) and
//     calendarList.get; calendars.get, insert, patch, update and delete
//     ("primary" is the user's address; the primary cannot be deleted);
//     events.list (timeMin/timeMax as RFC 3339 with offset, singleEvents
//     expanding series with rrule-go in the series' time zone so local
//     times hold across DST, exceptions applied, orderBy=startTime|updated,
//     maxResults up to 2500, pageToken, showDeleted, updatedMin, iCalUID,
//     q, eventTypes, private/sharedExtendedProperty, timeZone,
//     maxAttendees, syncToken with nextSyncToken on the last page only,
//     410 fullSyncRequired after ExpireSyncTokens), events.get
//     (If-None-Match 304), insert (client ids, 409 duplicate,
//     conferenceDataVersion=1 with createRequest makes a Meet link),
//     patch and update (patch merges objects; If-Match 412
//     conditionNotMet; on an instance id they store an exception), delete
//     (204, then 410 deleted; on an instance id it cancels that
//     occurrence, on a series its exceptions too), events.instances; and
//     freeBusy (opaque events and instances not cancelled nor declined,
//     merged and clipped; errors notFound for calendars the user does not
//     own). Validation answers timeRangeEmpty, invalid time zone, invalid
//     recurrence rule, missing start/end, mixed date/dateTime, bad ids and
//     attendees. Every write bumps the event's etag and updated, and its
//     sequence unless only attendee responses changed. SeedCalendar,
//     SeedEvent (also exceptions and cancelled occurrences), Calendars,
//     Events, Event and ExpireSyncTokens drive it from Go.
//
// The fake's own choices where Google documents none: a series without
// timeMax expands to at most 1000 instances; an ordered listing (orderBy)
// carries no nextSyncToken; deleted events stay as cancelled tombstones.
// Not implemented: acl, colors, settings, calendarList insert/patch/
// update/delete, calendars.clear, events.import/move/quickAdd/watch,
// channels, attachments, invitations delivered to other users' calendars,
// free/busy of other users' calendars, updatedMinTooLongAgo.
package googletest
