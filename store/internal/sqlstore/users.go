package sqlstore

import (
	"context"
	"database/sql"

	"github.com/aurinko-go/aurinko/store"
)

const userCols = `id, app_id, email, name, auth_org_id, org_id, created_at, last_activity`

func scanUser(r rowScanner) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.AppID, &u.Email, &u.Name, &u.AuthOrgID, &u.OrgID, ts{&u.CreatedAt}, ts{&u.LastActivity})
	return u, err
}

// CreateUser implements store.UserStore.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	const op = "create user"
	switch {
	case u.ID == "":
		return s.invalid(op, "empty ID")
	case u.AppID == "":
		return s.invalid(op, "empty AppID")
	}
	return s.write(ctx, op, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.AppID, u.Email, u.Name, u.AuthOrgID, u.OrgID,
		micros(orNow(u.CreatedAt, s.now())), micros(u.LastActivity))
}

// GetUser implements store.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	return selectOne(ctx, s, "get user", scanUser, `SELECT `+userCols+` FROM users WHERE id = ?`, id)
}

// UpdateUser implements store.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	return s.writeOne(ctx, "update user",
		`UPDATE users SET email = ?, name = ?, auth_org_id = ?, org_id = ?, last_activity = ? WHERE id = ?`,
		u.Email, u.Name, u.AuthOrgID, u.OrgID, micros(u.LastActivity), u.ID)
}

// DeleteUser implements store.UserStore: the user, their sessions, their
// user-scoped settings and their accounts (with tokens, account tokens and
// subscriptions) go in one transaction.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	const op = "delete user"
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var appID string
		if err := s.queryRow(ctx, tx, `SELECT app_id FROM users WHERE id = ?`, id).Scan(&appID); err != nil {
			return err
		}
		for _, q := range []struct {
			query string
			args  []any
		}{
			{`DELETE FROM sessions WHERE user_id = ?`, []any{id}},
			{`DELETE FROM settings WHERE app_id = ? AND scope = ? AND owner_id = ?`, []any{appID, string(store.SettingsUser), id}},
			{`DELETE FROM account_tokens WHERE account_id IN (SELECT id FROM accounts WHERE user_id = ?)`, []any{id}},
			{`DELETE FROM subscriptions WHERE account_id IN (SELECT id FROM accounts WHERE user_id = ?)`, []any{id}},
			{`DELETE FROM accounts WHERE user_id = ?`, []any{id}},
			{`DELETE FROM users WHERE id = ?`, []any{id}},
		} {
			if _, err := s.exec(ctx, tx, q.query, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.readErr(op, err)
	}
	return nil
}

// ListUsers implements store.UserStore.
func (s *Store) ListUsers(ctx context.Context, appID string, page store.StringPage) ([]store.User, error) {
	return selectAll(ctx, s, "list users", scanUser,
		`SELECT `+userCols+` FROM users WHERE app_id = ? AND id > ? ORDER BY id LIMIT ?`,
		appID, page.After, store.EffectiveLimit(page.Limit))
}
