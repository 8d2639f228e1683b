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
// Gmail history. It is not yet a client of the Calendar, People or Tasks
// data.
package google
