package sqlstore

import (
	"context"

	"github.com/aurinko-go/aurinko/store"
)

// resealBatch is how many secrets ResealSecrets reads at a time.
const resealBatch = 100

// ResealSecrets implements store.Resealer. It reads each sealed column in
// batches ordered by key, calls fn outside any transaction, and writes with
// UPDATE … WHERE key = ? AND col = old, so a secret replaced meanwhile is
// skipped. Token versions are left alone.
func (s *Store) ResealSecrets(ctx context.Context, fn store.ResealFunc) (int, error) {
	const op = "reseal secrets"
	rewritten := 0
	for _, c := range []struct {
		table, key, col string
		first           any // sorts before every key
	}{
		{"apps", "id", "client_secret", ""},
		{"accounts", "id", "token_sealed", int64(0)},
		{"subscriptions", "id", "provider_secret", int64(0)},
	} {
		after := c.first
		for {
			type item struct {
				key    any
				sealed []byte
			}
			items, err := selectAll(ctx, s, op, func(r rowScanner) (item, error) {
				var it item
				var b blob
				err := r.Scan(&it.key, &b)
				it.sealed = b.b
				return it, err
			}, `SELECT `+c.key+`, `+c.col+` FROM `+c.table+` WHERE `+c.col+` IS NOT NULL AND `+c.key+` > ? ORDER BY `+c.key+` LIMIT ?`,
				after, resealBatch)
			if err != nil {
				return rewritten, err
			}
			for _, it := range items {
				after = it.key
				fresh, ok, err := fn(ctx, store.Sealed(it.sealed))
				if err != nil {
					return rewritten, s.wrap(op, err)
				}
				if !ok {
					continue
				}
				n, err := s.exec(ctx, s.w, `UPDATE `+c.table+` SET `+c.col+` = ? WHERE `+c.key+` = ? AND `+c.col+` = ?`,
					blobArg(fresh), it.key, it.sealed)
				if err != nil {
					return rewritten, s.wrap(op, err)
				}
				rewritten += int(n)
			}
			if len(items) < resealBatch {
				break
			}
		}
	}
	return rewritten, nil
}
