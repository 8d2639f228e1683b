package store

import (
	"context"
	"time"
)

// Store is everything aurinko keeps. Implementations are safe for concurrent
// use by many goroutines; pgstore is also safe for many processes sharing one
// database. Unless a method says otherwise:
//
//   - a missing record is reported as an error wrapping ErrNotFound;
//   - a write that would break a uniqueness rule wraps ErrConflict and writes
//     nothing;
//   - a record missing a required field wraps ErrInvalid and writes nothing;
//   - each method is atomic: it either happens whole or not at all;
//   - expiry is judged with the store's clock (Options.Now of the driver);
//   - timestamps the caller leaves zero (CreatedAt, UpdatedAt) are set by the
//     store; times are kept to the microsecond and returned in UTC.
type Store interface {
	AppStore
	OrganizationStore
	UserStore
	AccountStore
	TokenStore
	SessionStore
	AccountTokenStore
	CodeStore
	SettingStore
	SubscriptionStore
	LockStore
	JobStore
	Resealer

	// Ping reports whether the store can be reached and written to.
	Ping(ctx context.Context) error
	// Close releases the store's resources. Calls after Close fail.
	Close() error
}

// AppStore holds the registered client applications.
type AppStore interface {
	// CreateApp stores a new app. An existing ID is ErrConflict.
	CreateApp(ctx context.Context, app App) error
	// GetApp returns the app with the given ID.
	GetApp(ctx context.Context, id string) (App, error)
	// UpdateApp replaces every field of an existing app but ID and
	// CreatedAt. A missing app is ErrNotFound.
	UpdateApp(ctx context.Context, app App) error
	// DeleteApp removes an app. A missing app is ErrNotFound. Records that
	// belong to the app are not removed; callers delete them first.
	DeleteApp(ctx context.Context, id string) error
	// ListApps returns apps ordered by ID, after page.After.
	ListApps(ctx context.Context, page StringPage) ([]App, error)
}

// OrganizationStore holds provider organizations.
type OrganizationStore interface {
	// UpsertOrganization finds the organization with the same AppID,
	// ServiceProvider and XID, updates its Domain and Name when they are
	// given (non-empty), and returns it; or creates it when there is none.
	// Atomic: concurrent calls for one key return one organization.
	UpsertOrganization(ctx context.Context, org Organization) (Organization, error)
	// GetOrganization returns an organization by ID.
	GetOrganization(ctx context.Context, id int64) (Organization, error)
	// ListOrganizations returns an app's organizations ordered by ID.
	ListOrganizations(ctx context.Context, appID string, page Page) ([]Organization, error)
}

// UserStore holds end users.
type UserStore interface {
	// CreateUser stores a new user. An existing ID is ErrConflict.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns a user by ID.
	GetUser(ctx context.Context, id string) (User, error)
	// UpdateUser replaces every field of a user but ID, AppID and
	// CreatedAt. A missing user is ErrNotFound.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser removes a user, their sessions and settings, and every
	// account that belongs to them (with tokens and account tokens), in one
	// transaction. A missing user is ErrNotFound.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers returns an app's users ordered by ID.
	ListUsers(ctx context.Context, appID string, page StringPage) ([]User, error)
}

// AccountFilter selects accounts in ListAccounts. Empty fields match all.
type AccountFilter struct {
	AppID       string // required
	UserID      string
	ServiceType string
	Type        AccountType
	OrgID       int64
}

// AccountStore holds accounts.
type AccountStore interface {
	// CreateAccount stores a new account and, when tok.Sealed is not nil,
	// its first token (Version 1), and returns the account with its ID.
	// Accounts are unique by (AppID, UserID, ServiceType, AuthUserID) when
	// AuthUserID is not empty: a second one is ErrConflict. A user has at
	// most one primary account: a second is ErrConflict.
	CreateAccount(ctx context.Context, a Account, tok Token) (Account, error)
	// GetAccount returns an account by ID.
	GetAccount(ctx context.Context, id int64) (Account, error)
	// FindAccount returns the account of an app and user with the given
	// service type and provider user id.
	FindAccount(ctx context.Context, appID, userID, serviceType, authUserID string) (Account, error)
	// UpdateAccount replaces every field of an account but ID, AppID and
	// CreatedAt (the token is untouched). Uniqueness rules as for
	// CreateAccount. A missing account is ErrNotFound.
	UpdateAccount(ctx context.Context, a Account) error
	// SetAccountStatus sets Active, TokenStatus and TokenError at once.
	SetAccountStatus(ctx context.Context, id int64, active bool, status TokenStatus, tokenError string) error
	// DeleteAccount removes an account with its token, account tokens and
	// subscriptions, in one transaction. A missing account is ErrNotFound.
	DeleteAccount(ctx context.Context, id int64) error
	// ListAccounts returns the accounts that match f, ordered by ID.
	ListAccounts(ctx context.Context, f AccountFilter, page Page) ([]Account, error)
}

// TokenStore holds the sealed provider credential of each account, with a
// compare-and-swap update so that of two writers that read the same version
// only one succeeds.
type TokenStore interface {
	// GetToken returns an account's token. An account that exists but has
	// no token returns a Token with Version 0 and nil Sealed; a missing
	// account is ErrNotFound.
	GetToken(ctx context.Context, accountID int64) (Token, error)
	// SwapToken replaces the token of an account if its current Version
	// equals oldVersion, and returns the new version (oldVersion+1).
	// RefreshedAt, LastError and LastErrorAt are written as given. When the
	// version differs the write is lost: ErrConflict, nothing written.
	SwapToken(ctx context.Context, accountID, oldVersion int64, t Token) (int64, error)
	// RecordTokenError records a failed refresh (message without secrets)
	// without changing the token or its version.
	RecordTokenError(ctx context.Context, accountID int64, msg string, at time.Time) error
	// ListTokensExpiring returns tokens of active accounts whose Expiry is
	// set and before t, ordered by Expiry (then account id), at most limit.
	ListTokensExpiring(ctx context.Context, before time.Time, limit int) ([]Token, error)
	// ListTokensRefreshedBefore returns tokens of active accounts that
	// have a credential (Sealed not nil) and whose RefreshedAt is before t
	// (a zero RefreshedAt counts as before any t), ordered by RefreshedAt
	// (then account id), at most limit (store.EffectiveLimit): the idle
	// grants a refresher touches so providers do not expire them.
	ListTokensRefreshedBefore(ctx context.Context, before time.Time, limit int) ([]Token, error)
}

// SessionStore holds user sessions.
type SessionStore interface {
	// CreateSession stores a new session. An existing Hash is ErrConflict.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with the given hash. A session whose
	// ExpiresAt or IdleExpiresAt has passed is ErrNotFound.
	GetSession(ctx context.Context, h Hash) (Session, error)
	// TouchSession sets LastSeenAt and moves IdleExpiresAt (never past
	// ExpiresAt). An expired or missing session is ErrNotFound.
	TouchSession(ctx context.Context, h Hash, lastSeen, idleExpiresAt time.Time) error
	// DeleteSession removes a session. A missing session is ErrNotFound.
	DeleteSession(ctx context.Context, h Hash) error
	// DeleteUserSessions removes every session of a user and returns how
	// many there were.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// DeleteExpiredSessions removes sessions expired at the store's now and
	// returns how many.
	DeleteExpiredSessions(ctx context.Context) (int, error)
}

// AccountTokenStore holds bearer tokens that act as one account.
type AccountTokenStore interface {
	// CreateAccountToken stores a new token for an existing account (a
	// missing account is ErrNotFound). An existing Hash is ErrConflict.
	CreateAccountToken(ctx context.Context, t AccountToken) error
	// GetAccountToken returns a token by hash; an expired one is ErrNotFound.
	GetAccountToken(ctx context.Context, h Hash) (AccountToken, error)
	// DeleteAccountToken removes one token. A missing one is ErrNotFound.
	DeleteAccountToken(ctx context.Context, h Hash) error
}

// CodeStore holds single-use codes and OAuth state.
type CodeStore interface {
	// CreateCode stores a new code. An existing Hash is ErrConflict; a zero
	// ExpiresAt is ErrInvalid.
	CreateCode(ctx context.Context, c Code) error
	// RedeemCode removes the code of the given hash and kind and returns it,
	// atomically: of any number of concurrent redeemers exactly one gets the
	// code and the others get ErrNotFound. An expired code, a code of
	// another kind, or one already redeemed is ErrNotFound (and an expired
	// code is removed).
	RedeemCode(ctx context.Context, h Hash, kind string) (Code, error)
	// DeleteExpiredCodes removes codes expired at the store's now and
	// returns how many.
	DeleteExpiredCodes(ctx context.Context) (int, error)
}

// SettingStore holds add-in configuration by app, scope, owner and key.
type SettingStore interface {
	// GetSetting returns one setting.
	GetSetting(ctx context.Context, appID string, scope SettingScope, ownerID, key string) (Setting, error)
	// PutSetting creates or replaces one setting.
	PutSetting(ctx context.Context, s Setting) error
	// SwapSetting writes s only if the setting is as the caller last read
	// it: with old nil, only when it does not exist yet; otherwise only
	// when its current Value equals old byte for byte. Otherwise it is
	// ErrConflict and nothing is written (optimistic concurrency).
	SwapSetting(ctx context.Context, s Setting, old []byte) error
	// DeleteSetting removes one setting. A missing setting is ErrNotFound.
	DeleteSetting(ctx context.Context, appID string, scope SettingScope, ownerID, key string) error
	// ListSettings returns every setting of an owner, ordered by key.
	ListSettings(ctx context.Context, appID string, scope SettingScope, ownerID string) ([]Setting, error)
}

// SubscriptionStore holds webhook subscriptions.
type SubscriptionStore interface {
	// CreateSubscription stores a new subscription for an existing account
	// (a missing account is ErrNotFound) and returns it with its ID.
	CreateSubscription(ctx context.Context, s Subscription) (Subscription, error)
	// GetSubscription returns a subscription by ID.
	GetSubscription(ctx context.Context, id int64) (Subscription, error)
	// UpdateSubscription replaces every field but ID, AppID, AccountID,
	// CreatedAt and LastDeliveryAt. A missing subscription is ErrNotFound.
	UpdateSubscription(ctx context.Context, s Subscription) error
	// MarkDelivered records a successful delivery: it sets LastDeliveryAt
	// to at and clears FailSince and FailDescription, and changes nothing
	// else (UpdatedAt included), so that it never undoes a concurrent
	// update of the other fields. A missing subscription is ErrNotFound.
	MarkDelivered(ctx context.Context, id int64, at time.Time) error
	// DeleteSubscription removes a subscription. A missing one is ErrNotFound.
	DeleteSubscription(ctx context.Context, id int64) error
	// ListSubscriptions returns an account's subscriptions ordered by ID.
	ListSubscriptions(ctx context.Context, accountID int64, page Page) ([]Subscription, error)
	// ListAppSubscriptions returns an app's subscriptions ordered by ID.
	ListAppSubscriptions(ctx context.Context, appID string, page Page) ([]Subscription, error)
	// ListSubscriptionsExpiring returns active subscriptions whose
	// ProviderExpiresAt is set and before t, ordered by it, at most limit.
	ListSubscriptionsExpiring(ctx context.Context, before time.Time, limit int) ([]Subscription, error)
}

// LockStore is an exclusive lock with a lease, shared by every process that
// uses the same store: the primitive behind "one refresh per account across
// instances".
type LockStore interface {
	// AcquireLock takes the lock name for ttl. It succeeds when the lock is
	// free or its lease has expired (a holder that died does not block the
	// name forever); otherwise it returns ErrLocked at once, without
	// waiting. Of concurrent callers at most one succeeds. ttl must be
	// positive (ErrInvalid).
	AcquireLock(ctx context.Context, name string, ttl time.Duration) (Lease, error)
	// RenewLock extends a held lease to now+ttl and returns it. A lease that
	// expired or was taken over is ErrNotFound (the caller lost the lock).
	RenewLock(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLock frees a held lease. Releasing a lease that is no longer
	// held (expired or taken over) is ErrNotFound and does not disturb the
	// current holder.
	ReleaseLock(ctx context.Context, l Lease) error
}

// ResealFunc is given every sealed secret of a store in turn. It returns the
// secret sealed anew and true, or false to leave the secret as it is.
type ResealFunc func(ctx context.Context, old Sealed) (Sealed, bool, error)

// Resealer lets the key rotation of package seal reach every sealed column.
type Resealer interface {
	// ResealSecrets calls fn for every non-nil sealed secret in the store
	// (app client secrets, account tokens, subscription provider secrets)
	// and writes back what fn returns when it returns true. Each write is a
	// compare-and-swap on the old ciphertext, so a secret replaced
	// concurrently (a token refresh) is skipped, not overwritten; token
	// versions are not changed. It returns how many secrets it rewrote. An
	// error from fn stops the walk; secrets rewritten before it stay
	// rewritten (each rewrite is a valid, complete ciphertext).
	ResealSecrets(ctx context.Context, fn ResealFunc) (int, error)
}
