package sqlstore

import (
	"context"

	"github.com/aurinko-go/aurinko/store"
)

const appCols = `id, name, client_secret, return_urls, cors_origins, created_at, updated_at`

func scanApp(r rowScanner) (store.App, error) {
	var a store.App
	var secret blob
	var returnURLs, origins list
	err := r.Scan(&a.ID, &a.Name, &secret, &returnURLs, &origins, ts{&a.CreatedAt}, ts{&a.UpdatedAt})
	a.ClientSecret, a.ReturnURLs, a.CORSOrigins = secret.b, returnURLs.v, origins.v
	return a, err
}

// CreateApp implements store.AppStore.
func (s *Store) CreateApp(ctx context.Context, app store.App) error {
	const op = "create app"
	if app.ID == "" {
		return s.invalid(op, "empty ID")
	}
	now := s.now()
	return s.write(ctx, op, `INSERT INTO apps (`+appCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		app.ID, app.Name, blobArg(app.ClientSecret), listArg(app.ReturnURLs), listArg(app.CORSOrigins),
		micros(orNow(app.CreatedAt, now)), micros(orNow(app.UpdatedAt, now)))
}

// GetApp implements store.AppStore.
func (s *Store) GetApp(ctx context.Context, id string) (store.App, error) {
	return selectOne(ctx, s, "get app", scanApp, `SELECT `+appCols+` FROM apps WHERE id = ?`, id)
}

// UpdateApp implements store.AppStore.
func (s *Store) UpdateApp(ctx context.Context, app store.App) error {
	return s.writeOne(ctx, "update app", `UPDATE apps SET name = ?, client_secret = ?, return_urls = ?, cors_origins = ?, updated_at = ? WHERE id = ?`,
		app.Name, blobArg(app.ClientSecret), listArg(app.ReturnURLs), listArg(app.CORSOrigins),
		micros(orNow(app.UpdatedAt, s.now())), app.ID)
}

// DeleteApp implements store.AppStore.
func (s *Store) DeleteApp(ctx context.Context, id string) error {
	return s.writeOne(ctx, "delete app", `DELETE FROM apps WHERE id = ?`, id)
}

// ListApps implements store.AppStore.
func (s *Store) ListApps(ctx context.Context, page store.StringPage) ([]store.App, error) {
	return selectAll(ctx, s, "list apps", scanApp,
		`SELECT `+appCols+` FROM apps WHERE id > ? ORDER BY id LIMIT ?`,
		page.After, store.EffectiveLimit(page.Limit))
}
