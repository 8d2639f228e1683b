package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// migration is one numbered schema file.
type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations reads the numbered .sql files at the root of fsys, in
// version order. Versions must start at 1 and have no gaps or repeats.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive version number", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != int64(i+1) {
			return nil, fmt.Errorf("migration %q: expected version %d", m.name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

// Migrate brings the schema of db up to the newest migration of d, in one
// transaction, recording each applied version in schema_migrations. It is
// idempotent. A database whose recorded version is newer than the newest
// migration known fails with an error wrapping store.ErrSchemaTooNew. now
// stamps the applied rows; log (optional) hears of each migration applied.
// Errors are not prefixed with the driver name; the caller adds context.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, log *slog.Logger, now time.Time) error {
	ms, err := loadMigrations(d.Migrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	latest := ms[len(ms)-1].version

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	if d.PrepareMigration != nil {
		if err := d.PrepareMigration(ctx, tx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT NOT NULL PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than version %d, the newest this build knows: %w",
			current, latest, store.ErrSchemaTooNew)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
			m.version, micros(now)); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", m.version, err)
		}
		if log != nil {
			log.LogAttrs(ctx, slog.LevelInfo, "applied schema migration",
				slog.String("store", d.Name), slog.Int64("version", m.version), slog.String("file", m.name))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
