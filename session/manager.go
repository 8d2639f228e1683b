package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
)

// Defaults of [Config].
const (
	DefaultIdleTimeout   = 14 * 24 * time.Hour
	DefaultLifetime      = 90 * 24 * time.Hour
	DefaultTouchInterval = time.Minute
	DefaultCookiePrefix  = "aurinko_session"
	DefaultCookiePath    = "/"
)

// Token prefixes. A token is its prefix followed by 32 random bytes in
// unpadded base64url (43 characters).
const (
	sessionPrefix = "ses_"
	accountPrefix = "acc_"
	randomBytes   = 32
	tokenLen      = 4 + 43 // len(prefix) + base64.RawURLEncoding.EncodedLen(randomBytes)
)

// Config configures a [Manager]. Only Store is required; every zero field
// takes the default its comment names.
type Config struct {
	// Store keeps sessions and account tokens and is asked for accounts
	// named by the account-id header. Required.
	Store store.Store
	// Now is the clock. Default time.Now. The store has a clock of its own
	// (its Options.Now); a session is expired when either says so.
	Now func() time.Time
	// IdleTimeout: a session unused this long expires. Default 14 days.
	// Idle expiry is judged to within TouchInterval (see there).
	IdleTimeout time.Duration
	// Lifetime is the absolute lifetime of a session, counted from its
	// creation and never extended. Default 90 days.
	Lifetime time.Duration
	// TouchInterval is how often, at most, a session's LastSeenAt and
	// IdleExpiresAt are written back: a busy session costs one store write
	// per interval, not one per request. The price is that a session may
	// idle-expire up to TouchInterval before IdleTimeout of real idleness.
	// Default 1 minute; it must be shorter than IdleTimeout.
	TouchInterval time.Duration
	// CookiePrefix starts the name of every session cookie: the cookie of
	// app X is named CookiePrefix + "_" + X, where every byte of X outside
	// [A-Za-z0-9_] ('-' included) is written as '-' and two upper-case hex
	// digits, so that distinct apps never share a cookie. Only
	// [A-Za-z0-9_-] are allowed in the prefix. Default "aurinko_session".
	CookiePrefix string
	// CookiePath is the Path attribute of session cookies. Default "/".
	CookiePath string
	// CookieDomain is the Domain attribute. Default "": host-only cookies,
	// which is what you want unless several subdomains share sessions.
	CookieDomain string
	// CookiePartitioned adds the Partitioned attribute (CHIPS), which lets
	// an add-in running in a third-party iframe keep its cookie in browsers
	// that otherwise block third-party cookies. Ignored with
	// InsecureCookies, as browsers require Secure with it.
	CookiePartitioned bool
	// InsecureCookies is DANGEROUS and meant for local development over
	// plain http only: cookies are sent without Secure and with
	// SameSite=Lax (so they are not sent from third-party iframes). The
	// default, false, gives HttpOnly; Secure; SameSite=None.
	InsecureCookies bool
	// Logger receives store failures and other faults; never a token.
	// Default: discard.
	Logger *slog.Logger
	// Telemetry counts session and account token lookups (hit, miss,
	// expired, error). Nil records nothing.
	Telemetry *telemetry.Telemetry
}

// Manager issues, resolves and revokes sessions and account access tokens,
// sets their cookies, and resolves the caller of each request
// ([Manager.Middleware]). It is safe for concurrent use; create it with
// [New].
type Manager struct {
	store         store.Store
	now           func() time.Time
	idleTimeout   time.Duration
	lifetime      time.Duration
	touchInterval time.Duration
	cookiePrefix  string
	cookiePath    string
	cookieDomain  string
	partitioned   bool
	insecure      bool
	logger        *slog.Logger
	tel           *telemetry.Telemetry
}

// New checks cfg, fills in its defaults and returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("session: config: Store is required")
	}
	m := &Manager{
		store:         cfg.Store,
		now:           cfg.Now,
		idleTimeout:   orDefault(cfg.IdleTimeout, DefaultIdleTimeout),
		lifetime:      orDefault(cfg.Lifetime, DefaultLifetime),
		touchInterval: orDefault(cfg.TouchInterval, DefaultTouchInterval),
		cookiePrefix:  cfg.CookiePrefix,
		cookiePath:    cfg.CookiePath,
		cookieDomain:  cfg.CookieDomain,
		partitioned:   cfg.CookiePartitioned && !cfg.InsecureCookies,
		insecure:      cfg.InsecureCookies,
		logger:        cfg.Logger,
		tel:           cfg.Telemetry,
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.cookiePrefix == "" {
		m.cookiePrefix = DefaultCookiePrefix
	}
	if m.cookiePath == "" {
		m.cookiePath = DefaultCookiePath
	}
	switch {
	case m.idleTimeout < 0 || m.lifetime < 0 || m.touchInterval < 0:
		return nil, errors.New("session: config: IdleTimeout, Lifetime and TouchInterval must not be negative")
	case m.touchInterval >= m.idleTimeout:
		return nil, fmt.Errorf("session: config: TouchInterval (%s) must be shorter than IdleTimeout (%s)", m.touchInterval, m.idleTimeout)
	}
	for i := 0; i < len(m.cookiePrefix); i++ {
		if !plainCookieByte(m.cookiePrefix[i]) && m.cookiePrefix[i] != '-' {
			return nil, fmt.Errorf("session: config: CookiePrefix %q: only [A-Za-z0-9_-] are allowed", m.cookiePrefix)
		}
	}
	if !strings.HasPrefix(m.cookiePath, "/") || strings.ContainsFunc(m.cookiePath, func(r rune) bool { return r == ';' || r < 0x20 || r >= 0x7f }) {
		return nil, fmt.Errorf("session: config: CookiePath %q must start with '/' and hold printable ASCII without ';'", m.cookiePath)
	}
	if m.cookieDomain != "" {
		if err := m.cookie("x").Valid(); err != nil {
			return nil, fmt.Errorf("session: config: CookieDomain %q: %w", m.cookieDomain, err)
		}
	}
	return m, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// newToken returns prefix followed by 32 random bytes in base64url.
func newToken(prefix string) string {
	var b [randomBytes]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// wellFormed reports whether tok looks like a token this package issued with
// prefix. Anything else is refused before it costs a store lookup.
func wellFormed(tok, prefix string) bool {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, prefix) {
		return false
	}
	for i := len(prefix); i < len(tok); i++ {
		c := tok[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// errMalformed is the cause of the ErrNotFound returned for a token that is
// not one this package could have issued.
func errMalformed(op string) error {
	return fmt.Errorf("session: %s: malformed token: %w", op, store.ErrNotFound)
}

// storeTime is t as stores keep it: to the microsecond, in UTC.
func storeTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// Create starts a session of userID in appID, with accountID (0 for none)
// as its account, and returns the new session token and record. The token
// is shown to the caller only here; the store keeps its hash.
func (m *Manager) Create(ctx context.Context, appID, userID string, accountID int64) (string, store.Session, error) {
	if appID == "" || userID == "" || accountID < 0 {
		return "", store.Session{}, fmt.Errorf("session: create: app id and user id are required and account id must not be negative: %w", store.ErrInvalid)
	}
	now := storeTime(m.now())
	expires := now.Add(m.lifetime)
	tok := newToken(sessionPrefix)
	s := store.Session{
		Hash:          store.HashSecret(tok),
		AppID:         appID,
		UserID:        userID,
		AccountID:     accountID,
		CreatedAt:     now,
		LastSeenAt:    now,
		IdleExpiresAt: minTime(now.Add(m.idleTimeout), expires),
		ExpiresAt:     expires,
	}
	if err := m.store.CreateSession(ctx, s); err != nil {
		return "", store.Session{}, fmt.Errorf("session: create: %w", err)
	}
	return tok, s, nil
}

// Rotate replaces the session of oldToken (when there is one; a missing,
// expired or malformed old token is not an error) by a new session, so that
// a token known before sign-in is worthless after it (no session fixation).
// Call it whenever the privilege of a session changes: sign-in, switch of
// user or account.
func (m *Manager) Rotate(ctx context.Context, oldToken, appID, userID string, accountID int64) (string, store.Session, error) {
	if oldToken != "" {
		if err := m.Destroy(ctx, oldToken); err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", store.Session{}, fmt.Errorf("session: rotate: %w", err)
		}
	}
	return m.Create(ctx, appID, userID, accountID)
}

// Resolve returns the live session of token. A malformed, unknown or expired
// token is an error wrapping store.ErrNotFound; other errors are store
// failures. When the session was last touched TouchInterval or more ago,
// Resolve writes its new LastSeenAt and IdleExpiresAt (never past ExpiresAt)
// and returns the record with them.
func (m *Manager) Resolve(ctx context.Context, token string) (store.Session, error) {
	s, err := m.resolve(ctx, token)
	m.tel.SessionLookup(ctx, telemetry.SessionKindSession, lookupOutcome(err))
	return s, err
}

// errExpired is in the chain of the error of a token the store returned but
// whose expiry this Manager's clock has passed.
var errExpired = errors.New("expired")

// lookupOutcome classifies the result of a lookup for telemetry. The store
// itself answers most expired tokens as unknown: those count as misses.
func lookupOutcome(err error) string {
	switch {
	case err == nil:
		return telemetry.OutcomeHit
	case errors.Is(err, errExpired):
		return telemetry.OutcomeExpired
	case errors.Is(err, store.ErrNotFound):
		return telemetry.OutcomeMiss
	}
	return telemetry.OutcomeError
}

func (m *Manager) resolve(ctx context.Context, token string) (store.Session, error) {
	if !wellFormed(token, sessionPrefix) {
		return store.Session{}, errMalformed("resolve")
	}
	h := store.HashSecret(token)
	s, err := m.store.GetSession(ctx, h)
	if err != nil {
		return store.Session{}, fmt.Errorf("session: resolve: %w", err)
	}
	now := m.now()
	if !now.Before(s.ExpiresAt) || !now.Before(s.IdleExpiresAt) {
		return store.Session{}, fmt.Errorf("session: resolve: %w: %w", errExpired, store.ErrNotFound)
	}
	if now.Sub(s.LastSeenAt) < m.touchInterval {
		return s, nil
	}
	lastSeen := storeTime(now)
	idle := minTime(lastSeen.Add(m.idleTimeout), s.ExpiresAt)
	switch err := m.store.TouchSession(ctx, h, lastSeen, idle); {
	case err == nil:
		s.LastSeenAt, s.IdleExpiresAt = lastSeen, idle
	case errors.Is(err, store.ErrNotFound):
		// Destroyed or expired between the read and the write.
		return store.Session{}, fmt.Errorf("session: resolve: touch: %w", err)
	default:
		// The session was read and is valid; a failed touch only
		// shortens its idle life, so the request goes on.
		m.logger.WarnContext(ctx, "session: touch failed", slog.String("user", s.UserID), slog.Any("error", err))
	}
	return s, nil
}

// Destroy ends the session of token. A malformed or unknown token is an
// error wrapping store.ErrNotFound, which callers signing out may ignore.
func (m *Manager) Destroy(ctx context.Context, token string) error {
	if !wellFormed(token, sessionPrefix) {
		return errMalformed("destroy")
	}
	if err := m.store.DeleteSession(ctx, store.HashSecret(token)); err != nil {
		return fmt.Errorf("session: destroy: %w", err)
	}
	return nil
}

// DestroyUser ends every session of a user ("sign out everywhere") and
// returns how many there were. Account tokens are not affected.
func (m *Manager) DestroyUser(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, fmt.Errorf("session: destroy user: empty user id: %w", store.ErrInvalid)
	}
	n, err := m.store.DeleteUserSessions(ctx, userID)
	if err != nil {
		return n, fmt.Errorf("session: destroy user: %w", err)
	}
	return n, nil
}

// IssueAccountToken returns a new account access token that acts as
// account accountID of appID until it is revoked. The account must exist
// and belong to appID (else an error wrapping store.ErrNotFound).
func (m *Manager) IssueAccountToken(ctx context.Context, appID string, accountID int64) (string, error) {
	if appID == "" || accountID <= 0 {
		return "", fmt.Errorf("session: issue account token: app id and a positive account id are required: %w", store.ErrInvalid)
	}
	a, err := m.store.GetAccount(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("session: issue account token: %w", err)
	}
	if a.AppID != appID {
		return "", fmt.Errorf("session: issue account token: account %d is not of app %q: %w", accountID, appID, store.ErrNotFound)
	}
	tok := newToken(accountPrefix)
	t := store.AccountToken{
		Hash:      store.HashSecret(tok),
		AppID:     appID,
		AccountID: accountID,
		CreatedAt: storeTime(m.now()),
	}
	if err := m.store.CreateAccountToken(ctx, t); err != nil {
		return "", fmt.Errorf("session: issue account token: %w", err)
	}
	return tok, nil
}

// ResolveAccountToken returns the record of an account access token. A
// malformed, unknown, revoked or expired token is an error wrapping
// store.ErrNotFound.
func (m *Manager) ResolveAccountToken(ctx context.Context, token string) (store.AccountToken, error) {
	t, err := m.resolveAccountToken(ctx, token)
	m.tel.SessionLookup(ctx, telemetry.SessionKindAccountToken, lookupOutcome(err))
	return t, err
}

func (m *Manager) resolveAccountToken(ctx context.Context, token string) (store.AccountToken, error) {
	if !wellFormed(token, accountPrefix) {
		return store.AccountToken{}, errMalformed("resolve account token")
	}
	t, err := m.store.GetAccountToken(ctx, store.HashSecret(token))
	if err != nil {
		return store.AccountToken{}, fmt.Errorf("session: resolve account token: %w", err)
	}
	if !t.ExpiresAt.IsZero() && !m.now().Before(t.ExpiresAt) {
		return store.AccountToken{}, fmt.Errorf("session: resolve account token: %w: %w", errExpired, store.ErrNotFound)
	}
	return t, nil
}

// RevokeAccountToken deletes an account access token. A malformed or
// unknown token is an error wrapping store.ErrNotFound.
func (m *Manager) RevokeAccountToken(ctx context.Context, token string) error {
	if !wellFormed(token, accountPrefix) {
		return errMalformed("revoke account token")
	}
	if err := m.store.DeleteAccountToken(ctx, store.HashSecret(token)); err != nil {
		return fmt.Errorf("session: revoke account token: %w", err)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
