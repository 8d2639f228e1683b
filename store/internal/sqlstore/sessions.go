package sqlstore

import (
	"context"
	"math"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// A session, account token or code with a zero expiry time (stored as 0)
// does not expire by that time; one whose expiry is at or before now has
// expired. These fragments take now as their parameters.
const (
	sessionLive    = `(expires_at = 0 OR expires_at > ?) AND (idle_expires_at = 0 OR idle_expires_at > ?)`
	sessionExpired = `(expires_at <> 0 AND expires_at <= ?) OR (idle_expires_at <> 0 AND idle_expires_at <= ?)`
)

const sessionCols = `hash, app_id, user_id, account_id, created_at, last_seen_at, idle_expires_at, expires_at`

func scanSession(r rowScanner) (store.Session, error) {
	var x store.Session
	err := r.Scan(hashDest{&x.Hash}, &x.AppID, &x.UserID, &x.AccountID,
		ts{&x.CreatedAt}, ts{&x.LastSeenAt}, ts{&x.IdleExpiresAt}, ts{&x.ExpiresAt})
	return x, err
}

// CreateSession implements store.SessionStore.
func (s *Store) CreateSession(ctx context.Context, x store.Session) error {
	const op = "create session"
	switch {
	case x.Hash == store.Hash{}:
		return s.invalid(op, "empty Hash")
	case x.AppID == "":
		return s.invalid(op, "empty AppID")
	case x.UserID == "":
		return s.invalid(op, "empty UserID")
	}
	return s.write(ctx, op, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		hashArg(x.Hash), x.AppID, x.UserID, x.AccountID, micros(orNow(x.CreatedAt, s.now())),
		micros(x.LastSeenAt), micros(x.IdleExpiresAt), micros(x.ExpiresAt))
}

// GetSession implements store.SessionStore.
func (s *Store) GetSession(ctx context.Context, h store.Hash) (store.Session, error) {
	now := micros(s.now())
	return selectOne(ctx, s, "get session", scanSession,
		`SELECT `+sessionCols+` FROM sessions WHERE hash = ? AND `+sessionLive, hashArg(h), now, now)
}

// TouchSession implements store.SessionStore. IdleExpiresAt is capped at
// ExpiresAt when that is set.
func (s *Store) TouchSession(ctx context.Context, h store.Hash, lastSeen, idleExpiresAt time.Time) error {
	now, idle := micros(s.now()), micros(idleExpiresAt)
	cmp := idle // what is compared with expires_at: no idle expiry is later than any
	if idle == 0 {
		cmp = math.MaxInt64
	}
	return s.writeOne(ctx, "touch session", `UPDATE sessions SET last_seen_at = ?,
	idle_expires_at = CASE WHEN expires_at <> 0 AND ? > expires_at THEN expires_at ELSE ? END
WHERE hash = ? AND `+sessionLive,
		micros(lastSeen), cmp, idle, hashArg(h), now, now)
}

// DeleteSession implements store.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, h store.Hash) error {
	return s.writeOne(ctx, "delete session", `DELETE FROM sessions WHERE hash = ?`, hashArg(h))
}

// DeleteUserSessions implements store.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, s.wrap("delete user sessions", err)
	}
	return int(n), nil
}

// DeleteExpiredSessions implements store.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int, error) {
	now := micros(s.now())
	n, err := s.exec(ctx, s.w, `DELETE FROM sessions WHERE `+sessionExpired, now, now)
	if err != nil {
		return 0, s.wrap("delete expired sessions", err)
	}
	return int(n), nil
}

const accountTokenCols = `hash, app_id, account_id, created_at, expires_at`

func scanAccountToken(r rowScanner) (store.AccountToken, error) {
	var t store.AccountToken
	err := r.Scan(hashDest{&t.Hash}, &t.AppID, &t.AccountID, ts{&t.CreatedAt}, ts{&t.ExpiresAt})
	return t, err
}

// CreateAccountToken implements store.AccountTokenStore. The foreign key to
// accounts turns a missing account into store.ErrNotFound.
func (s *Store) CreateAccountToken(ctx context.Context, t store.AccountToken) error {
	const op = "create account token"
	switch {
	case t.Hash == store.Hash{}:
		return s.invalid(op, "empty Hash")
	case t.AppID == "":
		return s.invalid(op, "empty AppID")
	case t.AccountID == 0:
		return s.invalid(op, "empty AccountID")
	}
	return s.write(ctx, op, `INSERT INTO account_tokens (`+accountTokenCols+`) VALUES (?, ?, ?, ?, ?)`,
		hashArg(t.Hash), t.AppID, t.AccountID, micros(orNow(t.CreatedAt, s.now())), micros(t.ExpiresAt))
}

// GetAccountToken implements store.AccountTokenStore.
func (s *Store) GetAccountToken(ctx context.Context, h store.Hash) (store.AccountToken, error) {
	return selectOne(ctx, s, "get account token", scanAccountToken,
		`SELECT `+accountTokenCols+` FROM account_tokens WHERE hash = ? AND (expires_at = 0 OR expires_at > ?)`,
		hashArg(h), micros(s.now()))
}

// DeleteAccountToken implements store.AccountTokenStore.
func (s *Store) DeleteAccountToken(ctx context.Context, h store.Hash) error {
	return s.writeOne(ctx, "delete account token", `DELETE FROM account_tokens WHERE hash = ?`, hashArg(h))
}
