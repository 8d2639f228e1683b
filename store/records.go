package store

import (
	"crypto/sha256"
	"time"
)

// Sealed is ciphertext produced by package seal (AES-256-GCM with the key id
// in front). A store saves and returns it byte for byte and never interprets
// it. A nil Sealed means "no secret".
type Sealed []byte

// Hash is the SHA-256 digest of a random bearer secret (session token,
// account access token, one-time code, OAuth state). Stores index records by
// it; the secret itself is never stored.
type Hash [sha256.Size]byte

// HashSecret returns the Hash under which a random secret is stored. The
// secrets it is meant for carry at least 128 bits of entropy, so a plain,
// unsalted SHA-256 is the right tool: a salt would only prevent lookup.
func HashSecret(secret string) Hash { return sha256.Sum256([]byte(secret)) }

// AccountType says what role an account plays for its user.
type AccountType string

// Account types. A user has at most one primary account (the mailbox they
// signed in with), any number of secondary ones (linked mailboxes, CRMs), and
// an app may hold daemon accounts (service accounts with app-only access) that
// belong to no user.
const (
	AccountPrimary   AccountType = "primary"
	AccountSecondary AccountType = "secondary"
	AccountDaemon    AccountType = "daemon"
)

// Valid reports whether t is one of the defined account types.
func (t AccountType) Valid() bool {
	switch t {
	case AccountPrimary, AccountSecondary, AccountDaemon:
		return true
	}
	return false
}

// TokenStatus is the health of an account's provider grant, with the values
// of the Aurinko API.
type TokenStatus string

// Token statuses.
const (
	// TokenActive: the token works (or has not been shown not to).
	TokenActive TokenStatus = "active"
	// TokenInvalid: the provider rejected the token; calls may still be tried.
	TokenInvalid TokenStatus = "invalid"
	// TokenDead: the refresh failed terminally (invalid_grant); the user must
	// sign in again.
	TokenDead TokenStatus = "dead"
)

// Valid reports whether s is one of the defined token statuses.
func (s TokenStatus) Valid() bool {
	switch s {
	case TokenActive, TokenInvalid, TokenDead:
		return true
	}
	return false
}

// App is a client application registered with the server: an add-in, an
// extension, or the host's own backend. Its ID is the clientId of the API.
type App struct {
	ID           string // clientId; required, unique
	Name         string
	ClientSecret Sealed // sealed client secret; used for HTTP Basic and HMAC userSignature
	// ReturnURLs are the allowed return URLs, matched by package auth.
	ReturnURLs []string
	// CORSOrigins are the exact origins allowed to call the API from a browser.
	CORSOrigins []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Organization is a tenant on a provider (a Microsoft 365 tenant, a Google
// Workspace domain) that users of an app belong to.
type Organization struct {
	ID              int64  // assigned by the store
	AppID           string // required
	ServiceProvider string // e.g. "Office365", "Google"; required
	XID             string // the provider's id for it (tid, hosted domain); required
	Domain          string
	Name            string
	CreatedAt       time.Time
}

// User is an end user of an app: the person signed in with their primary
// account.
type User struct {
	ID           string // random id chosen by the caller; required, unique
	AppID        string // required
	Email        string
	Name         string
	AuthOrgID    string // provider organization id of the primary account
	OrgID        int64  // Organization.ID, 0 when none
	CreatedAt    time.Time
	LastActivity time.Time
}

// Account is a grant to one provider account (a mailbox, a CRM user, a
// service account) held for an app and, unless it is a daemon account, for a
// user.
type Account struct {
	ID              int64  // assigned by the store
	AppID           string // required
	UserID          string // "" for accounts that belong to no user (daemon, standalone)
	ParentID        int64  // daemon account this one was derived from, 0 when none
	ServiceType     string // e.g. "Google", "Office365", "IMAP"; required
	ServiceProvider string
	Type            AccountType // required
	Active          bool
	TokenStatus     TokenStatus // required
	TokenError      string      // last terminal error, without secrets
	Scopes          []string    // unified scopes granted (Mail.Read, ...)
	NativeScopes    []string    // provider scopes granted
	AuthUserID      string      // the provider's id of the account's user; "" allowed
	AuthOrgID       string      // the provider's id of the organization
	OrgID           int64       // Organization.ID, 0 when none
	Email           string
	Name            string
	LoginString     string
	ServerURL       string // IMAP/EWS server, empty for cloud providers
	Timezone        string
	AuthObtainedAt  time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Token is the sealed provider credential of an account (OAuth token set or
// password) with the facts the refresher needs in the clear.
type Token struct {
	AccountID int64
	// Sealed holds the credential; nil when the account has none.
	Sealed Sealed
	// Expiry is when the access token inside expires; zero when it does not.
	Expiry time.Time
	// Version starts at 1 when a token is first stored and grows by one with
	// every successful SwapToken. Zero means the account has no token yet.
	Version     int64
	RefreshedAt time.Time // last successful refresh
	// LastError is the last refresh failure, without secrets; "" after success.
	LastError   string
	LastErrorAt time.Time
}

// Session is a signed-in user's server-side session. The client holds the
// random session token; the store holds its hash.
type Session struct {
	Hash      Hash   // SHA-256 of the session token; required, unique
	AppID     string // required
	UserID    string // required
	AccountID int64  // account chosen at sign-in, 0 when none
	CreatedAt time.Time
	// LastSeenAt is updated by TouchSession.
	LastSeenAt time.Time
	// IdleExpiresAt moves forward with TouchSession; ExpiresAt never moves.
	// A session is expired when either has passed.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// AccountToken is a bearer token that acts as one account (issued by the
// token exchange or responseType=token). It expires only when ExpiresAt is
// set and has passed, or when it is deleted.
type AccountToken struct {
	Hash      Hash   // required, unique
	AppID     string // required
	AccountID int64  // required
	CreatedAt time.Time
	ExpiresAt time.Time // zero: no expiry
}

// Code is a short-lived, single-use secret with a payload: an authorization
// code handed to a client, or the OAuth state of a flow in progress.
type Code struct {
	Hash  Hash   // required, unique
	Kind  string // what the code is for, e.g. "auth" or "state"; required
	AppID string
	// Payload is opaque to the store. Callers seal any secret inside it.
	Payload   []byte
	CreatedAt time.Time
	ExpiresAt time.Time // required
}

// SettingScope says who a setting belongs to.
type SettingScope string

// Setting scopes.
const (
	SettingsApp  SettingScope = "app"  // OwnerID is ""
	SettingsOrg  SettingScope = "org"  // OwnerID is the Organization.ID in decimal
	SettingsUser SettingScope = "user" // OwnerID is the User.ID
)

// Valid reports whether s is one of the defined setting scopes.
func (s SettingScope) Valid() bool {
	switch s {
	case SettingsApp, SettingsOrg, SettingsUser:
		return true
	}
	return false
}

// Setting is one key of add-in configuration. Value is JSON chosen by the
// app; the store does not parse it.
type Setting struct {
	AppID     string       // required
	Scope     SettingScope // required
	OwnerID   string
	Key       string // required
	Value     []byte
	UpdatedAt time.Time
}

// Subscription is an app's request to be told about changes to a resource of
// an account (webhook), with the state of its provider-side subscription.
type Subscription struct {
	ID              int64  // assigned by the store
	AppID           string // required
	AccountID       int64  // required
	Resource        string // e.g. "/email/messages"; required
	NotificationURL string // required
	Filters         []string
	Active          bool
	FailSince       time.Time // zero while deliveries succeed
	FailDescription string
	// ProviderID is the provider's id for its side of the subscription
	// (Graph subscription id, Gmail watch history id), "" when none.
	ProviderID string
	// ProviderSecret is sealed (Graph clientState, push verification data).
	ProviderSecret    Sealed
	ProviderExpiresAt time.Time
	// LastDeliveryAt is when a notification was last delivered (the
	// app's endpoint answered 2xx); zero before the first. Only
	// MarkDelivered changes it; UpdateSubscription keeps it.
	LastDeliveryAt time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Lease is a held lock. Token identifies this acquisition: renew and
// release succeed only with the token that acquired the lease, so a holder
// whose lease expired and was taken over cannot release the new holder's.
type Lease struct {
	Name      string
	Token     string
	ExpiresAt time.Time
	// Fence grows with every acquisition of the same name; a resource
	// written under a lease can reject writes carrying a smaller fence.
	Fence int64
}

// Page asks for one page of a list ordered by id: records with an id greater
// than After, at most Limit of them. Limit <= 0 means the store's default
// (100); stores cap Limit at 1000.
type Page struct {
	After int64
	Limit int
}

// StringPage is Page for records with string ids.
type StringPage struct {
	After string
	Limit int
}

// DefaultPageLimit and MaxPageLimit bound list sizes.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// EffectiveLimit returns the limit a store applies for a requested limit.
func EffectiveLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageLimit
	case limit > MaxPageLimit:
		return MaxPageLimit
	}
	return limit
}
