package sqlstore

import (
	"context"

	"github.com/aurinko-go/aurinko/store"
)

const settingCols = `app_id, scope, owner_id, key, value, updated_at`

func scanSetting(r rowScanner) (store.Setting, error) {
	var x store.Setting
	var scope string
	var value blob
	err := r.Scan(&x.AppID, &scope, &x.OwnerID, &x.Key, &value, ts{&x.UpdatedAt})
	x.Scope, x.Value = store.SettingScope(scope), value.b
	return x, err
}

// GetSetting implements store.SettingStore.
func (s *Store) GetSetting(ctx context.Context, appID string, scope store.SettingScope, ownerID, key string) (store.Setting, error) {
	return selectOne(ctx, s, "get setting", scanSetting,
		`SELECT `+settingCols+` FROM settings WHERE app_id = ? AND scope = ? AND owner_id = ? AND key = ?`,
		appID, string(scope), ownerID, key)
}

// PutSetting implements store.SettingStore.
func (s *Store) PutSetting(ctx context.Context, x store.Setting) error {
	const op = "put setting"
	switch {
	case x.AppID == "":
		return s.invalid(op, "empty AppID")
	case !x.Scope.Valid():
		return s.invalid(op, "unknown scope")
	case x.Key == "":
		return s.invalid(op, "empty Key")
	}
	return s.write(ctx, op, `INSERT INTO settings (`+settingCols+`) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (app_id, scope, owner_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		x.AppID, string(x.Scope), x.OwnerID, x.Key, blobArg(x.Value), micros(orNow(x.UpdatedAt, s.now())))
}

// SwapSetting implements store.SettingStore.
func (s *Store) SwapSetting(ctx context.Context, x store.Setting, old []byte) error {
	const op = "swap setting"
	switch {
	case x.AppID == "":
		return s.invalid(op, "empty AppID")
	case !x.Scope.Valid():
		return s.invalid(op, "unknown scope")
	case x.Key == "":
		return s.invalid(op, "empty Key")
	}
	var n int64
	var err error
	if old == nil {
		n, err = s.exec(ctx, s.w, `INSERT INTO settings (`+settingCols+`) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (app_id, scope, owner_id, key) DO NOTHING`,
			x.AppID, string(x.Scope), x.OwnerID, x.Key, blobArg(x.Value), micros(orNow(x.UpdatedAt, s.now())))
	} else {
		n, err = s.exec(ctx, s.w, `UPDATE settings SET value = ?, updated_at = ?
WHERE app_id = ? AND scope = ? AND owner_id = ? AND key = ? AND value = ?`,
			blobArg(x.Value), micros(orNow(x.UpdatedAt, s.now())), x.AppID, string(x.Scope), x.OwnerID, x.Key, blobArg(old))
	}
	if err != nil {
		return s.writeErr(op, err)
	}
	if n == 0 {
		return s.wrap(op, store.ErrConflict)
	}
	return nil
}

// DeleteSetting implements store.SettingStore.
func (s *Store) DeleteSetting(ctx context.Context, appID string, scope store.SettingScope, ownerID, key string) error {
	return s.writeOne(ctx, "delete setting",
		`DELETE FROM settings WHERE app_id = ? AND scope = ? AND owner_id = ? AND key = ?`, appID, string(scope), ownerID, key)
}

// ListSettings implements store.SettingStore.
func (s *Store) ListSettings(ctx context.Context, appID string, scope store.SettingScope, ownerID string) ([]store.Setting, error) {
	return selectAll(ctx, s, "list settings", scanSetting,
		`SELECT `+settingCols+` FROM settings WHERE app_id = ? AND scope = ? AND owner_id = ? ORDER BY key`,
		appID, string(scope), ownerID)
}
