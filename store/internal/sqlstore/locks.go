package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// A lock row stays after release (token '' and expires_at 0) so that its
// fence keeps growing across acquisitions.

// AcquireLock implements store.LockStore with one INSERT … ON CONFLICT DO
// UPDATE that only takes over an expired lease; the database serializes
// concurrent callers on the row, so at most one gets it.
func (s *Store) AcquireLock(ctx context.Context, name string, ttl time.Duration) (store.Lease, error) {
	const op = "acquire lock"
	switch {
	case name == "":
		return store.Lease{}, s.invalid(op, "empty name")
	case ttl <= 0:
		return store.Lease{}, s.invalid(op, "ttl not positive")
	}
	now := s.now()
	l := store.Lease{Name: name, Token: leaseToken(), ExpiresAt: norm(now.Add(ttl))}
	err := s.queryRow(ctx, s.w, `INSERT INTO locks (name, token, expires_at, fence) VALUES (?, ?, ?, 1)
ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at, fence = locks.fence + 1
WHERE locks.expires_at <= ?
RETURNING fence`, name, l.Token, micros(l.ExpiresAt), micros(now)).Scan(&l.Fence)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Lease{}, s.wrap(op, store.ErrLocked)
	case err != nil:
		return store.Lease{}, s.wrap(op, err)
	}
	return l, nil
}

// RenewLock implements store.LockStore.
func (s *Store) RenewLock(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	const op = "renew lock"
	if ttl <= 0 {
		return store.Lease{}, s.invalid(op, "ttl not positive")
	}
	now := s.now()
	l.ExpiresAt = norm(now.Add(ttl))
	err := s.queryRow(ctx, s.w, `UPDATE locks SET expires_at = ? WHERE name = ? AND token = ? AND token <> '' AND expires_at > ?
RETURNING fence`, micros(l.ExpiresAt), l.Name, l.Token, micros(now)).Scan(&l.Fence)
	if err != nil {
		return store.Lease{}, s.readErr(op, err)
	}
	return l, nil
}

// ReleaseLock implements store.LockStore.
func (s *Store) ReleaseLock(ctx context.Context, l store.Lease) error {
	return s.writeOne(ctx, "release lock",
		`UPDATE locks SET token = '', expires_at = 0 WHERE name = ? AND token = ? AND token <> '' AND expires_at > ?`,
		l.Name, l.Token, micros(s.now()))
}

// leaseToken is 128 random bits in hex.
func leaseToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	return hex.EncodeToString(b[:])
}
