// Package google is the connector for Google accounts: Gmail and Google
// Workspace users, signed in with Google's OAuth 2.0 web server flow and
// OpenID Connect, and Workspace daemon accounts through a service account
// with domain-wide delegation.
//
// What it does:
//
//   - the code flow (AuthCodeURL, Exchange): access_type=offline,
//     include_granted_scopes=true, PKCE S256, nonce, login_hint, and
//     prompt=consent only when the auth layer forces consent (Google issues
//     a refresh token at the first consent only). The id_token is verified
//     with github.com/coreos/go-oidc/v3 against Google's keys: signature,
//     issuer (accounts.google.com or https://accounts.google.com), audience
//     = ClientID, expiry, nonce, at_hash, and Config.HostedDomains. The
//     identity is AuthUserID = sub, Email (only when email_verified), Name,
//     and AuthOrgID = OrgDomain = hd, the Workspace domain ("" for consumer
//     accounts);
//   - granted scopes: a user may untick scopes on Google's consent screen.
//     Exchange succeeds with what was granted, in Grant.Scopes;
//     Connector.MissingScopes tells which requested unified scopes the
//     grant does not allow, so that the auth layer can show it;
//   - Refresh with golang.org/x/oauth2 (the refresh token is kept: Google
//     does not rotate it) and Revoke at Google's revocation endpoint;
//     token endpoint failures are *connectors.TokenError, and
//     invalid_grant is terminal;
//   - SignInWithToken (connectors.TokenSignIn) for the id_token of a
//     Chrome extension or Workspace add-on. Google has no on-behalf-of
//     exchange, so that grant carries the identity and no API token;
//   - daemon accounts (connectors.AppTokener, plus AppTokenFor and
//     DaemonAccountGrant) through a service account with domain-wide
//     delegation, using the JWT-bearer grant (RFC 7523). A Google daemon
//     account stands for one Workspace user that the service account acts
//     as: AuthUserID = Email = that user's address, AuthOrgID = its
//     domain. Google has no admin-consent redirect (an administrator
//     authorizes the service account's client ID in the Admin console),
//     so DaemonAuthURL fails with errors.ErrUnsupported and the host
//     creates daemon accounts with DaemonAccountGrant;
//   - APIBaseURL (https://www.googleapis.com) for the direct API, and
//     GmailProfile, which reads users.getProfile through
//     google.golang.org/api/gmail/v1: the SDK for the data APIs lives in
//     this package only, so a host that does not import it never compiles
//     it.
//
// Every request goes through Config.HTTPClient; Config.Endpoints points the
// connector at connectors/google/googletest in tests and sandboxes.
//
// The connector implements email.Mailbox (package unified/email) on the
// Gmail API; mail.go documents the mapping of labels to folders, sysLabels
// and keywords, status updates, attachment ids and delta sync through
// Gmail history. It implements calendar.Provider on the Calendar API
// (below), contacts.Provider on the People API (contacts.go) and
// tasks.Provider on the Tasks API (tasks.go); the head of each file
// documents its mapping.
//
// # Calendar
//
// The connector implements calendar.Provider over the Calendar API v3
// (REST and JSON with the account's client, at
// Endpoints.CalendarBaseURL + "/calendar/v3"). The calendar id alias
// "primary" is Google's own "primary".
//
//   - Calendars: ListCalendars is calendarList.list (maxResults 250,
//     pageToken), GetCalendar calendarList.get; CreateCalendar is
//     calendars.insert and UpdateCalendar calendars.patch (name →
//     summary, description, timeZone); the color is the calendar list
//     entry's backgroundColor, written with calendarList.patch
//     (colorRgbFormat=true). Name is the entry's summaryOverride when set.
//     accessRole freeBusyReader reads as reader.
//   - ListEventRange is events.list with singleEvents=true,
//     orderBy=startTime, timeMin/timeMax, maxResults=Limit and pageToken:
//     single events and occurrences, never series masters or cancelled
//     occurrences. GetEvent is events.get; a cancelled event is
//     ErrNotFound unless the account is an attendee (not the organizer):
//     then it reads with meetingInfo.canceled.
//   - Times: a timed start is the instant in the event's start.timeZone
//     (else the calendar's timeZone), the end in end.timeZone (else the
//     start's zone), originalStartTime likewise; all-day events are dates
//     with Google's exclusive end date. A series master carries
//     calendar.NewRecurrence(recurrence, start); lines NewRecurrence
//     cannot read (EXRULE) leave Recurrence nil.
//   - Occurrences (recurringEventId set) are "modified" when they differ
//     from their series master, read with events.get once per series and
//     call: start moved from originalStartTime, another duration,
//     summary, description, location, status, transparency, visibility
//     or guest list (addresses, optional, resource; not responses).
//     Google keeps no "exception" flag on an instance, and a stored
//     exception whose fields equal the master's reads the same as a
//     regular occurrence anyway. Without a readable master only a moved
//     start counts.
//   - Organizer is organizer{email, displayName}. meetingInfo is set only
//     when attendees other than the organizer exist; they are listed
//     without the organizer, type resource/optional/required, response
//     needsAction → noResponse; meetingInfo.response is the self
//     attendee's answer (accepted for the organizer). hangoutLink or a
//     hangoutsMeet conferenceData is onlineMeetingProvider hangoutsMeet
//     with its video, phone, sip and "more" entry points.
//   - description is text: an HTML description (as Calendar's web UI
//     writes) is converted. transparency opaque → busy, transparent →
//     free; visibility default/public → normal, private, confidential.
//     categories do not exist at Google: read as none, ignored on write.
//   - CreateEvent is events.insert, UpdateEvent events.patch and
//     DeleteEvent events.delete, each with sendUpdates=all (Google's
//     default sends no invitations; Graph sends them) and If-Match when
//     the client gave an etag (412 → ErrPrecondition). showAs free is
//     transparent and anything else opaque; sensitivity normal is
//     visibility default and personal is private. MeetingInfo replaces
//     the guest list, keeping the answers of guests who stay and the
//     organizer's own entry. MeetingInfo.OnlineMeeting adds a Google Meet
//     conference (conferenceData.createRequest, conferenceDataVersion=1).
//   - RespondEvent reads the event, sets the self attendee's
//     responseStatus (and comment) and patches attendees with its etag
//     as If-Match (retried on 412), sendUpdates=all or none by Notify. The
//     organizer answering is ErrConflict, as is an account not invited.
//   - FreeBusy is freebusy.query in chunks of 50 addresses; each busy
//     period has status busy; a calendar error is the schedule's Error
//     (its reason, e.g. notFound).
//   - Delta sync follows Google's "Synchronize resources efficiently": the
//     first round is events.list with singleEvents=true and the window as
//     timeMin/timeMax, paged, whose last page's nextSyncToken starts the
//     next round; the next rounds send syncToken with singleEvents=true
//     and without timeMin/timeMax (Google refuses them with a sync token)
//     and read every change of the calendar, so the connector filters to
//     the window itself: a changed event overlapping the window is
//     Updated; a single event outside it is Deleted (it may have moved
//     out); an occurrence outside it is Deleted when its original slot
//     overlaps the window, else skipped (so that a changed series does
//     not report its whole expansion). A cancelled event is Deleted; when
//     it is not an occurrence it may be a series, whose occurrences in
//     the window (events.instances with showDeleted=true) are Deleted
//     too. 410 (fullSyncRequired) is ErrCursorExpired.
//   - Errors: 400 ErrInvalid (with Google's message), 401 and 403
//     ErrDenied (403 rateLimitExceeded, userRateLimitExceeded and
//     quotaExceeded are ErrRateLimited), 404 and 410 deleted ErrNotFound,
//     409 ErrConflict, 410 otherwise ErrCursorExpired, 412
//     ErrPrecondition, 413 ErrTooLarge, 429 ErrRateLimited and 5xx
//     ErrUnavailable with Retry-After, network failures ErrUnavailable.
package google
