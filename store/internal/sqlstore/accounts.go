package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/aurinko-go/aurinko/store"
)

// accountFields are the columns UpdateAccount rewrites, in the order of
// accountArgs.
const accountFields = `user_id, parent_id, service_type, service_provider, type, active, token_status, token_error,
	scopes, native_scopes, auth_user_id, auth_org_id, org_id, email, name, login_string, server_url, timezone,
	auth_obtained_at, updated_at`

const accountCols = `id, app_id, created_at, ` + accountFields

func scanAccount(r rowScanner) (store.Account, error) {
	var a store.Account
	var typ, status string
	var scopes, native list
	err := r.Scan(&a.ID, &a.AppID, ts{&a.CreatedAt},
		&a.UserID, &a.ParentID, &a.ServiceType, &a.ServiceProvider, &typ, &a.Active, &status, &a.TokenError,
		&scopes, &native, &a.AuthUserID, &a.AuthOrgID, &a.OrgID, &a.Email, &a.Name, &a.LoginString, &a.ServerURL, &a.Timezone,
		ts{&a.AuthObtainedAt}, ts{&a.UpdatedAt})
	a.Type, a.TokenStatus, a.Scopes, a.NativeScopes = store.AccountType(typ), store.TokenStatus(status), scopes.v, native.v
	return a, err
}

// accountArgs are the parameters for accountFields.
func accountArgs(a store.Account) []any {
	return []any{a.UserID, a.ParentID, a.ServiceType, a.ServiceProvider, string(a.Type), a.Active, string(a.TokenStatus), a.TokenError,
		listArg(a.Scopes), listArg(a.NativeScopes), a.AuthUserID, a.AuthOrgID, a.OrgID, a.Email, a.Name, a.LoginString, a.ServerURL, a.Timezone,
		micros(a.AuthObtainedAt), micros(a.UpdatedAt)}
}

func (s *Store) checkAccount(op string, a store.Account) error {
	switch {
	case a.AppID == "":
		return s.invalid(op, "empty AppID")
	case a.ServiceType == "":
		return s.invalid(op, "empty ServiceType")
	case !a.Type.Valid():
		return s.invalid(op, "unknown account type")
	case !a.TokenStatus.Valid():
		return s.invalid(op, "unknown token status")
	}
	return nil
}

// CreateAccount implements store.AccountStore. The partial unique indexes of
// the schema enforce the uniqueness rules.
func (s *Store) CreateAccount(ctx context.Context, a store.Account, tok store.Token) (store.Account, error) {
	const op = "create account"
	if err := s.checkAccount(op, a); err != nil {
		return store.Account{}, err
	}
	now := s.now()
	a.CreatedAt, a.UpdatedAt = orNow(a.CreatedAt, now), orNow(a.UpdatedAt, now)
	var version int64
	if tok.Sealed != nil {
		version = 1
	} else {
		tok = store.Token{} // no credential, no token facts either
	}
	args := append([]any{a.AppID, micros(a.CreatedAt)}, accountArgs(a)...)
	args = append(args, blobArg(tok.Sealed), micros(tok.Expiry), version, micros(tok.RefreshedAt), tok.LastError, micros(tok.LastErrorAt))
	created, err := scanAccount(s.queryRow(ctx, s.w, `INSERT INTO accounts (app_id, created_at, `+accountFields+`,
	token_sealed, token_expiry, token_version, token_refreshed_at, token_last_error, token_last_error_at)
VALUES (`+placeholders(len(args))+`) RETURNING `+accountCols, args...))
	if err != nil {
		return store.Account{}, s.writeErr(op, err)
	}
	return created, nil
}

// placeholders is n comma-separated ?.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// assignments turns a comma-separated column list into "col = ?, …".
func assignments(cols string) string {
	return strings.ReplaceAll(cols, ",", " = ?,") + " = ?"
}

// GetAccount implements store.AccountStore.
func (s *Store) GetAccount(ctx context.Context, id int64) (store.Account, error) {
	return selectOne(ctx, s, "get account", scanAccount, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id)
}

// FindAccount implements store.AccountStore.
func (s *Store) FindAccount(ctx context.Context, appID, userID, serviceType, authUserID string) (store.Account, error) {
	return selectOne(ctx, s, "find account", scanAccount, `SELECT `+accountCols+` FROM accounts
WHERE app_id = ? AND user_id = ? AND service_type = ? AND auth_user_id = ? ORDER BY id LIMIT 1`,
		appID, userID, serviceType, authUserID)
}

// UpdateAccount implements store.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) error {
	const op = "update account"
	if err := s.checkAccount(op, a); err != nil {
		return err
	}
	a.UpdatedAt = orNow(a.UpdatedAt, s.now())
	return s.writeOne(ctx, op, `UPDATE accounts SET `+assignments(accountFields)+` WHERE id = ?`, append(accountArgs(a), a.ID)...)
}

// SetAccountStatus implements store.AccountStore.
func (s *Store) SetAccountStatus(ctx context.Context, id int64, active bool, status store.TokenStatus, tokenError string) error {
	const op = "set account status"
	if !status.Valid() {
		return s.invalid(op, "unknown token status")
	}
	return s.writeOne(ctx, op, `UPDATE accounts SET active = ?, token_status = ?, token_error = ? WHERE id = ?`,
		active, string(status), tokenError, id)
}

// DeleteAccount implements store.AccountStore: the account, its account
// tokens and subscriptions go in one transaction.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	const op = "delete account"
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM account_tokens WHERE account_id = ?`,
			`DELETE FROM subscriptions WHERE account_id = ?`,
			`DELETE FROM accounts WHERE id = ?`,
		} {
			var err error
			if n, err = s.exec(ctx, tx, q, id); err != nil {
				return err
			}
		}
		if n == 0 {
			return sql.ErrNoRows // rolls back
		}
		return nil
	})
	if err != nil {
		return s.readErr(op, err)
	}
	return nil
}

// ListAccounts implements store.AccountStore.
func (s *Store) ListAccounts(ctx context.Context, f store.AccountFilter, page store.Page) ([]store.Account, error) {
	const op = "list accounts"
	if f.AppID == "" {
		return nil, s.invalid(op, "empty AppID")
	}
	q := `SELECT ` + accountCols + ` FROM accounts WHERE app_id = ? AND id > ?`
	args := []any{f.AppID, page.After}
	if f.UserID != "" {
		q += ` AND user_id = ?`
		args = append(args, f.UserID)
	}
	if f.ServiceType != "" {
		q += ` AND service_type = ?`
		args = append(args, f.ServiceType)
	}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, string(f.Type))
	}
	if f.OrgID != 0 {
		q += ` AND org_id = ?`
		args = append(args, f.OrgID)
	}
	q += ` ORDER BY id LIMIT ?`
	return selectAll(ctx, s, op, scanAccount, q, append(args, store.EffectiveLimit(page.Limit))...)
}
