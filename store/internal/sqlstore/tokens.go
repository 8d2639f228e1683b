package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

const tokenCols = `id, token_sealed, token_expiry, token_version, token_refreshed_at, token_last_error, token_last_error_at`

func scanToken(r rowScanner) (store.Token, error) {
	var t store.Token
	var sealed blob
	err := r.Scan(&t.AccountID, &sealed, ts{&t.Expiry}, &t.Version, ts{&t.RefreshedAt}, &t.LastError, ts{&t.LastErrorAt})
	t.Sealed = sealed.b
	return t, err
}

// GetToken implements store.TokenStore.
func (s *Store) GetToken(ctx context.Context, accountID int64) (store.Token, error) {
	return selectOne(ctx, s, "get token", scanToken, `SELECT `+tokenCols+` FROM accounts WHERE id = ?`, accountID)
}

// SwapToken implements store.TokenStore as an UPDATE conditioned on the
// version, so of two writers that read one version only one matches.
func (s *Store) SwapToken(ctx context.Context, accountID, oldVersion int64, t store.Token) (int64, error) {
	const op = "swap token"
	var version int64
	err := s.queryRow(ctx, s.w, `UPDATE accounts SET token_sealed = ?, token_expiry = ?, token_version = token_version + 1,
	token_refreshed_at = ?, token_last_error = ?, token_last_error_at = ?
WHERE id = ? AND token_version = ? RETURNING token_version`,
		blobArg(t.Sealed), micros(t.Expiry), micros(t.RefreshedAt), t.LastError, micros(t.LastErrorAt),
		accountID, oldVersion).Scan(&version)
	if err == nil {
		return version, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, s.writeErr(op, err)
	}
	// Nothing matched: a missing account, or a version that moved on.
	var one int
	err = s.queryRow(ctx, s.w, `SELECT 1 FROM accounts WHERE id = ?`, accountID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, s.notFound(op)
	case err != nil:
		return 0, s.wrap(op, err)
	}
	return 0, s.wrap(op, store.ErrConflict)
}

// RecordTokenError implements store.TokenStore.
func (s *Store) RecordTokenError(ctx context.Context, accountID int64, msg string, at time.Time) error {
	return s.writeOne(ctx, "record token error",
		`UPDATE accounts SET token_last_error = ?, token_last_error_at = ? WHERE id = ?`, msg, micros(at), accountID)
}

// ListTokensExpiring implements store.TokenStore.
func (s *Store) ListTokensExpiring(ctx context.Context, before time.Time, limit int) ([]store.Token, error) {
	return selectAll(ctx, s, "list expiring tokens", scanToken, `SELECT `+tokenCols+` FROM accounts
WHERE active AND token_expiry <> 0 AND token_expiry < ? ORDER BY token_expiry, id LIMIT ?`,
		micros(before), store.EffectiveLimit(limit))
}

// ListTokensRefreshedBefore implements store.TokenStore.
func (s *Store) ListTokensRefreshedBefore(ctx context.Context, before time.Time, limit int) ([]store.Token, error) {
	return selectAll(ctx, s, "list idle tokens", scanToken, `SELECT `+tokenCols+` FROM accounts
WHERE active AND token_sealed IS NOT NULL AND token_refreshed_at < ? ORDER BY token_refreshed_at, id LIMIT ?`,
		micros(before), store.EffectiveLimit(limit))
}
