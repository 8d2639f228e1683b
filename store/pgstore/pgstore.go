package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Schema holds the tables; "" means "public". Open creates it when it
	// is missing and sets search_path to it on every connection.
	Schema string
	// Now is the clock for every expiry decision (codes, sessions, account
	// tokens, lock leases) and for timestamps the store sets. nil means
	// time.Now.
	Now func() time.Time
	// Logger receives schema migration notes. nil discards them.
	Logger *slog.Logger
	// MaxConns caps the connections this Store opens. Zero means 10.
	MaxConns int
}

// Store is a store.Store in a PostgreSQL database. Its methods follow the
// contract documented on store.Store. It is safe for concurrent use, also by
// several processes sharing the database.
// It has every method of store.Store and no others.
type Store struct {
	*sqlStore
}

// sqlStore names the shared implementation so that embedding it does not
// export a field.
type sqlStore = sqlstore.Store

var _ store.Store = (*Store)(nil)

// Open connects to the database of dsn (a postgres:// URL or key=value
// string as pgx accepts; put connect_timeout in it to bound the dial) and
// brings the schema up to date. A database migrated by a newer build fails
// with an error wrapping store.ErrSchemaTooNew. Errors never repeat the
// password of dsn. Close the Store when done.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Schema == "" {
		opts.Schema = "public"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: parse DSN: %w", err)
	}
	schema := pgx.Identifier{opts.Schema}.Sanitize()
	cfg.RuntimeParams["search_path"] = schema
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	d := sqlstore.Dialect{
		Name:                  "pgstore",
		Migrations:            sub,
		DollarPlaceholders:    true,
		IsUniqueViolation:     hasCode("23505"),
		IsForeignKeyViolation: hasCode("23503"),
		PrepareMigration: func(ctx context.Context, tx *sql.Tx) error {
			// Concurrent Opens of one schema migrate one after the other.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey(opts.Schema)); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
			// CREATE SCHEMA IF NOT EXISTS would need CREATE on the
			// database even when the schema exists, so look first.
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`,
				opts.Schema).Scan(&exists); err != nil {
				return fmt.Errorf("look up schema %s: %w", schema, err)
			}
			if !exists {
				if _, err := tx.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
					return fmt.Errorf("create schema %s: %w", schema, err)
				}
			}
			return nil
		},
		SkipLocked: true,
		LockJobKey: func(ctx context.Context, tx *sql.Tx, key string) error {
			// A 64-bit hash of the key: two keys that collide only
			// wait for each other.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('aurinko/jobs key ' || $1, 0))`, key); err != nil {
				return fmt.Errorf("lock job key: %w", err)
			}
			return nil
		},
	}

	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(min(opts.MaxConns, 4))
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlstore.Setup(ctx, db, d, opts.Logger, opts.Now()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("pgstore: open (host %s, database %s, schema %s): %w", cfg.Host, cfg.Database, schema, err)
	}
	return &Store{sqlstore.New(sqlstore.Config{
		Dialect: d,
		DB:      db,
		Now:     opts.Now,
		Logger:  opts.Logger,
	})}, nil
}

// migrationLockKey is the advisory lock key that serializes migrations of
// one schema.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("aurinko/store/pgstore migrate " + schema))
	return int64(h.Sum64())
}

// hasCode returns a classifier for PostgreSQL errors with the SQLSTATE code.
func hasCode(code string) func(error) bool {
	return func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == code
	}
}
