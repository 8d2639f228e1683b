package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Now is the clock for every expiry decision (codes, sessions, account
	// tokens, lock leases) and for timestamps the store sets. nil means
	// time.Now.
	Now func() time.Time
	// Logger receives schema migration notes. nil discards them.
	Logger *slog.Logger
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing with SQLITE_BUSY. Zero means 5 seconds.
	BusyTimeout time.Duration
	// MaxReaders caps the pool of read-only connections. Zero means
	// max(4, GOMAXPROCS).
	MaxReaders int
}

// Store is a store.Store in a SQLite file. Its methods follow the contract
// documented on store.Store. It is safe for concurrent use.
// It has every method of store.Store and no others.
type Store struct {
	*sqlStore
}

// sqlStore names the shared implementation so that embedding it does not
// export a field.
type sqlStore = sqlstore.Store

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path and brings
// its schema up to date. path is a file name, or a SQLite "file:" URI whose
// query parameters (mode=ro, vfs=…) are passed on. A database migrated by a
// newer build fails with an error wrapping store.ErrSchemaTooNew; a file that
// is not a SQLite database, a read-only database or an unreachable path
// fail with an error saying so. Close the Store when done.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlitestore: open: empty path")
	}
	if strings.HasPrefix(path, ":memory:") || strings.Contains(path, "mode=memory") {
		return nil, fmt.Errorf("sqlitestore: open %s: in-memory databases are not supported (each connection would see its own); use a file", path)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxReaders <= 0 {
		opts.MaxReaders = max(4, runtime.GOMAXPROCS(0))
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	d := sqlstore.Dialect{
		Name:                  "sqlitestore",
		Migrations:            sub,
		IsUniqueViolation:     hasCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
		IsForeignKeyViolation: hasCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
	}

	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	writer, err := sql.Open("sqlite", dsn(path, url.Values{
		"_txlock": {"immediate"},
		"_pragma": {"busy_timeout(" + busy + ")", "foreign_keys(1)", "journal_mode(WAL)"},
	}))
	if err != nil {
		return nil, openErr(path, err)
	}
	// One writer connection: writers in this process queue for it in Go
	// rather than meeting SQLITE_BUSY; busy_timeout covers other processes.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := sqlstore.Setup(ctx, writer, d, opts.Logger, opts.Now()); err != nil {
		_ = writer.Close()
		return nil, openErr(path, err)
	}

	reader, err := sql.Open("sqlite", dsn(path, url.Values{
		"_pragma": {"busy_timeout(" + busy + ")", "foreign_keys(1)", "query_only(1)"},
	}))
	if err != nil {
		_ = writer.Close()
		return nil, openErr(path, err)
	}
	reader.SetMaxOpenConns(opts.MaxReaders)
	reader.SetMaxIdleConns(opts.MaxReaders)
	if err := reader.PingContext(ctx); err != nil {
		_ = writer.Close()
		_ = reader.Close()
		return nil, openErr(path, err)
	}
	return &Store{sqlstore.New(sqlstore.Config{
		Dialect: d,
		DB:      writer,
		ReadDB:  reader,
		Now:     opts.Now,
		Logger:  opts.Logger,
	})}, nil
}

// dsn is the modernc.org/sqlite data source name for path with params.
func dsn(path string, params url.Values) string {
	base := path
	if !strings.HasPrefix(path, "file:") {
		// A plain file name becomes a URI; escape what a URI would read
		// as query, fragment or escape.
		base = "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + params.Encode()
}

// hasCode returns a classifier for SQLite errors with one of the extended
// result codes.
func hasCode(codes ...int) func(error) bool {
	return func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		for _, c := range codes {
			if se.Code() == c {
				return true
			}
		}
		return false
	}
}

// openErr says in words what went wrong opening path.
func openErr(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		what := ""
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_READONLY:
			what = "database is read-only"
		case sqlite3.SQLITE_NOTADB:
			what = "file is not a SQLite database"
		case sqlite3.SQLITE_CORRUPT:
			what = "database file is corrupt"
		case sqlite3.SQLITE_CANTOPEN:
			what = "cannot open database file (missing directory or no permission?)"
		case sqlite3.SQLITE_BUSY:
			what = "database is locked by another process"
		case sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
			what = "permission denied"
		}
		if what != "" {
			return fmt.Errorf("sqlitestore: open %s: %s: %w", path, what, err)
		}
	}
	return fmt.Errorf("sqlitestore: open %s: %w", path, err)
}
