package sqlstore

import (
	"context"

	"github.com/aurinko-go/aurinko/store"
)

const orgCols = `id, app_id, service_provider, xid, domain, name, created_at`

func scanOrg(r rowScanner) (store.Organization, error) {
	var o store.Organization
	err := r.Scan(&o.ID, &o.AppID, &o.ServiceProvider, &o.XID, &o.Domain, &o.Name, ts{&o.CreatedAt})
	return o, err
}

// UpsertOrganization implements store.OrganizationStore. One INSERT … ON
// CONFLICT statement, so concurrent callers for one key get one row.
func (s *Store) UpsertOrganization(ctx context.Context, org store.Organization) (store.Organization, error) {
	const op = "upsert organization"
	switch {
	case org.AppID == "":
		return store.Organization{}, s.invalid(op, "empty AppID")
	case org.ServiceProvider == "":
		return store.Organization{}, s.invalid(op, "empty ServiceProvider")
	case org.XID == "":
		return store.Organization{}, s.invalid(op, "empty XID")
	}
	o, err := scanOrg(s.queryRow(ctx, s.w, `INSERT INTO organizations (app_id, service_provider, xid, domain, name, created_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (app_id, service_provider, xid) DO UPDATE SET
	domain = CASE WHEN excluded.domain <> '' THEN excluded.domain ELSE organizations.domain END,
	name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE organizations.name END
RETURNING `+orgCols,
		org.AppID, org.ServiceProvider, org.XID, org.Domain, org.Name, micros(orNow(org.CreatedAt, s.now()))))
	if err != nil {
		return store.Organization{}, s.writeErr(op, err)
	}
	return o, nil
}

// GetOrganization implements store.OrganizationStore.
func (s *Store) GetOrganization(ctx context.Context, id int64) (store.Organization, error) {
	return selectOne(ctx, s, "get organization", scanOrg, `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id)
}

// ListOrganizations implements store.OrganizationStore.
func (s *Store) ListOrganizations(ctx context.Context, appID string, page store.Page) ([]store.Organization, error) {
	return selectAll(ctx, s, "list organizations", scanOrg,
		`SELECT `+orgCols+` FROM organizations WHERE app_id = ? AND id > ? ORDER BY id LIMIT ?`,
		appID, page.After, store.EffectiveLimit(page.Limit))
}
