package sqlstore

import (
	"context"

	"github.com/aurinko-go/aurinko/store"
)

const codeCols = `hash, kind, app_id, payload, created_at, expires_at`

func scanCode(r rowScanner) (store.Code, error) {
	var c store.Code
	var payload blob
	err := r.Scan(hashDest{&c.Hash}, &c.Kind, &c.AppID, &payload, ts{&c.CreatedAt}, ts{&c.ExpiresAt})
	c.Payload = payload.b
	return c, err
}

// CreateCode implements store.CodeStore.
func (s *Store) CreateCode(ctx context.Context, c store.Code) error {
	const op = "create code"
	switch {
	case c.Hash == store.Hash{}:
		return s.invalid(op, "empty Hash")
	case c.Kind == "":
		return s.invalid(op, "empty Kind")
	case c.ExpiresAt.IsZero():
		return s.invalid(op, "zero ExpiresAt")
	}
	return s.write(ctx, op, `INSERT INTO codes (`+codeCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		hashArg(c.Hash), c.Kind, c.AppID, blobArg(c.Payload), micros(orNow(c.CreatedAt, s.now())), micros(c.ExpiresAt))
}

// RedeemCode implements store.CodeStore with one DELETE … RETURNING: the
// database hands the row to exactly one of concurrent redeemers. An expired
// code is deleted all the same and reported as not found.
func (s *Store) RedeemCode(ctx context.Context, h store.Hash, kind string) (store.Code, error) {
	const op = "redeem code"
	now := s.now()
	c, err := scanCode(s.queryRow(ctx, s.w, `DELETE FROM codes WHERE hash = ? AND kind = ? RETURNING `+codeCols, hashArg(h), kind))
	if err != nil {
		return store.Code{}, s.readErr(op, err)
	}
	if !now.Before(c.ExpiresAt) {
		return store.Code{}, s.notFound(op)
	}
	return c, nil
}

// DeleteExpiredCodes implements store.CodeStore.
func (s *Store) DeleteExpiredCodes(ctx context.Context) (int, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM codes WHERE expires_at <= ?`, micros(s.now()))
	if err != nil {
		return 0, s.wrap("delete expired codes", err)
	}
	return int(n), nil
}
