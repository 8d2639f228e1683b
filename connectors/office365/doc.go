// Package office365 is the Microsoft 365 connector: sign-in and API access
// with the Microsoft identity platform (v2.0 endpoints) and Microsoft Graph,
// for work and school accounts and personal Microsoft accounts, in the
// public cloud or a national cloud (Config.Cloud).
//
// It implements connectors.Connector and the capabilities:
//
//   - the authorization code flow with PKCE S256, nonce and login_hint at
//     {login}/{tenant}/oauth2/v2.0/authorize and /token (prompt=consent only
//     when asked). The id_token is verified with github.com/coreos/go-oidc/v3
//     against the keys at {login}/{tenant}/discovery/v2.0/keys; since the
//     multi-tenant endpoints (common, organizations) sign every tenant's
//     tokens, the issuer is checked against the token's own tid
//     ({login}/{tid}/v2.0) and the tenant against Config.AllowedTenants.
//     The identity (oid, tid, email, name) is completed by Microsoft Graph
//     GET /me, called with github.com/microsoftgraph/msgraph-sdk-go;
//   - Refresh with refresh token rotation (the old refresh token is kept
//     when an answer carries none); token endpoint errors are
//     *connectors.TokenError keeping the AADSTS code in the description;
//   - connectors.DaemonAuthorizer (admin consent at
//     {login}/{tenant}/v2.0/adminconsent) and connectors.AppTokener (client
//     credentials per tenant) for daemon accounts;
//   - connectors.TokenSignIn for Office add-in and Teams SSO: the Entra
//     access token for the app's API is validated (Config.SSO) and traded
//     for Graph tokens with the on-behalf-of flow;
//   - connectors.APIBaser: Microsoft Graph v1.0 for the direct API proxy.
//
// Microsoft has no token revocation endpoint: Revoke returns an error
// wrapping errors.ErrUnsupported.
//
// msgraph-sdk-go is large (a cold build takes minutes and gigabytes of
// memory); it is imported only by this package, so hosts that do not
// import connectors/office365 never compile it. Tests run the connector
// against the fake in connectors/office365/graphtest, reached through
// Config.Endpoints.
//
//   - email.Mailbox (mail.go) for the unified Email API, with plain HTTP to
//     Graph v1.0 through the account's authorized client: messages with
//     $filter or $search, @odata.nextLink paging, $value raw MIME,
//     sendMail (or draft + send when ids are asked for), PATCH isRead and
//     categories, move to deleteditems/archive, attachments, mail folders
//     and well-known names, and delta sync of the Inbox
//     (/me/mailFolders/inbox/messages/delta; Graph delta is per folder),
//     always with Prefer: IdType="ImmutableId".
//
// It implements calendar.Provider on Graph calendars, calendarView and
// calendarView delta (calendar*.go), contacts.Provider on personal
// contacts (contacts.go) and tasks.Provider on Microsoft To Do (todo.go);
// the head of each file documents its mapping, including what Graph
// cannot store and is therefore refused with ErrUnsupported.
package office365
