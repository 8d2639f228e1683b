// Package accounts manages the apps, users, organizations and accounts of
// an aurinko server, and the provider credentials of each account.
//
// It turns the result of an OAuth flow (a connectors.Grant) into stored
// records: Link finds or creates the organization, the user (for a primary
// account), and the account, and stores its token sealed with package seal.
// It enforces who owns what: every lookup by id checks the app and the user,
// so one user never reaches another user's account.
//
// Choices where the Aurinko API is silent:
//   - The user of a primary account has an id derived from the app, the
//     service type and the provider's user id (a UUID-shaped SHA-256), so
//     that two concurrent first sign-ins of one person create one user.
//   - An account linked without a user (the plain account flow) has type
//     primary and no user; daemon accounts have type daemon and no user.
//   - Re-authorizing an account keeps its id; the identity that signs in
//     must be the account's own (same provider user id), else Conflict.
//   - When a provider answers a refresh or re-authorization without a
//     refresh token, the stored one is kept.
//
// Token refresh and its cross-instance locking live in this package too
// (TokenSource).
package accounts
