package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// Config is what a driver hands to New.
type Config struct {
	// Dialect describes the database. Required.
	Dialect Dialect
	// DB runs every write and every transaction. Required.
	DB *sql.DB
	// ReadDB runs plain reads; nil means DB. SQLite gives a pool of
	// query-only connections here so reads do not queue behind its single
	// writer connection.
	ReadDB *sql.DB
	// Now is the clock every expiry decision uses; nil means time.Now.
	Now func() time.Time
	// Logger is optional.
	Logger *slog.Logger
}

// Store implements store.Store on database/sql. Its methods follow the
// contract documented on store.Store.
type Store struct {
	d     Dialect
	w     *sql.DB
	r     *sql.DB
	clock func() time.Time
	log   *slog.Logger

	// stmts caches prepared statements of the connection pools, so hot
	// queries (a token read per provider call) are parsed once per
	// connection rather than per call. Bounded: queries built with a
	// variable number of arguments stop being cached past maxStmts.
	stmtMu sync.Mutex
	stmts  map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	db    *sql.DB
	query string
}

// maxStmts bounds the statement cache.
const maxStmts = 256

var _ store.Store = (*Store)(nil)

// New returns a Store on the connections of cfg. The schema must already be
// migrated (see Migrate). The Store owns the connections: Close closes them.
func New(cfg Config) *Store {
	s := &Store{d: cfg.Dialect, w: cfg.DB, r: cfg.ReadDB, clock: cfg.Now, log: cfg.Logger}
	if s.r == nil {
		s.r = s.w
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Setup prepares a freshly opened database for New: it connects, migrates
// the schema (see Migrate) and checks that the database can be written to.
// Errors are not prefixed with the driver name; the caller adds context.
func Setup(ctx context.Context, db *sql.DB, d Dialect, log *slog.Logger, now time.Time) error {
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if err := Migrate(ctx, db, d, log, now); err != nil {
		return err
	}
	return checkWritable(ctx, db)
}

// checkWritable runs an UPDATE that matches no row, which still needs write
// access (SQLite takes its write lock, PostgreSQL rejects it in a read-only
// transaction).
func checkWritable(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `UPDATE schema_migrations SET version = version WHERE version < 0`); err != nil {
		return fmt.Errorf("check write access: %w", err)
	}
	return nil
}

// Ping reports whether the database can be reached and written to.
func (s *Store) Ping(ctx context.Context) error {
	if err := checkWritable(ctx, s.w); err != nil {
		return s.wrap("ping", err)
	}
	return nil
}

// Close closes the connections. Calls after Close fail.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		_ = st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if err != nil {
		return s.wrap("close", err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := s.stmt(ctx, q, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.ExecContext(ctx, s.d.rebind(query), args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, q, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.QueryContext(ctx, s.d.rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	if st := s.stmt(ctx, q, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, s.d.rebind(query), args...)
}

// stmt returns the cached prepared statement of query on q when q is one
// of the store's pools (not a transaction), preparing it on first use; nil
// when it cannot (the caller then runs the query unprepared).
func (s *Store) stmt(ctx context.Context, q querier, query string) *sql.Stmt {
	db, ok := q.(*sql.DB)
	if !ok {
		return nil
	}
	k := stmtKey{db, query}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[k]; ok {
		return st
	}
	if s.stmts == nil {
		s.stmts = map[stmtKey]*sql.Stmt{}
	}
	if len(s.stmts) >= maxStmts {
		return nil
	}
	st, err := db.PrepareContext(ctx, s.d.rebind(query))
	if err != nil {
		return nil
	}
	s.stmts[k] = st
	return st
}

// inTx runs fn in a write transaction and commits when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now is the store's clock in UTC at microsecond precision.
func (s *Store) now() time.Time { return norm(s.clock()) }

// wrap prefixes err with the driver name and the operation. Database error
// messages name tables and constraints, never values, so no secret leaks.
func (s *Store) wrap(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
}

// writeErr wraps a failed write, turning uniqueness and foreign key
// violations into store.ErrConflict and store.ErrNotFound.
func (s *Store) writeErr(op string, err error) error {
	switch {
	case s.d.IsUniqueViolation != nil && s.d.IsUniqueViolation(err):
		return s.wrap(op, store.ErrConflict)
	case s.d.IsForeignKeyViolation != nil && s.d.IsForeignKeyViolation(err):
		return s.wrap(op, store.ErrNotFound)
	}
	return s.wrap(op, err)
}

// readErr wraps a failed read, turning sql.ErrNoRows into store.ErrNotFound.
func (s *Store) readErr(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return s.wrap(op, store.ErrNotFound)
	}
	return s.wrap(op, err)
}

func (s *Store) invalid(op, why string) error {
	return fmt.Errorf("%s: %s: %s: %w", s.d.Name, op, why, store.ErrInvalid)
}

func (s *Store) notFound(op string) error { return s.wrap(op, store.ErrNotFound) }

// micros is t as unix microseconds, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros, in UTC.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// norm is t as the store returns it: UTC, microseconds, zero stays zero.
func norm(t time.Time) time.Time { return fromMicros(micros(t)) }

// orNow is t, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return norm(t)
}

// blobArg passes b as a BLOB parameter, NULL when b is nil.
func blobArg(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// blob scans a BLOB column keeping NULL (nil) apart from an empty value.
type blob struct{ b []byte }

// Scan implements sql.Scanner.
func (x *blob) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		x.b = nil
	case []byte:
		x.b = append([]byte{}, v...)
	case string:
		x.b = []byte(v)
	default:
		return fmt.Errorf("cannot scan %T into bytes", src)
	}
	return nil
}

// listArg encodes a string list as JSON text; nil stays null.
func listArg(v []string) string {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen for []string
		panic(err)
	}
	return string(b)
}

// list scans a JSON text column into a string list.
type list struct{ v []string }

// Scan implements sql.Scanner.
func (x *list) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		x.v = nil
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("cannot scan %T into a string list", src)
	}
	x.v = nil
	if err := json.Unmarshal(b, &x.v); err != nil {
		return fmt.Errorf("decode string list: %w", err)
	}
	return nil
}

// ts scans a BIGINT microsecond column into a time.
type ts struct{ t *time.Time }

// Scan implements sql.Scanner.
func (x ts) Scan(src any) error {
	var v sql.NullInt64
	if err := v.Scan(src); err != nil {
		return err
	}
	*x.t = fromMicros(v.Int64)
	return nil
}

// hashArg passes a hash as a BLOB parameter.
func hashArg(h store.Hash) []byte { return h[:] }

// scanHash scans a BLOB column into a Hash.
type hashDest struct{ h *store.Hash }

// Scan implements sql.Scanner.
func (x hashDest) Scan(src any) error {
	var b blob
	if err := b.Scan(src); err != nil {
		return err
	}
	if len(b.b) != len(x.h) {
		return fmt.Errorf("hash column holds %d bytes, want %d", len(b.b), len(x.h))
	}
	copy(x.h[:], b.b)
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect scans every row of rows with scan.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// selectAll runs a read query on the read connections and scans every row.
func selectAll[T any](ctx context.Context, s *Store, op string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.query(ctx, s.r, query, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out, err := collect(rows, scan)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// selectOne runs a read query expected to return one row; no row is
// store.ErrNotFound.
func selectOne[T any](ctx context.Context, s *Store, op string, scan func(rowScanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(s.queryRow(ctx, s.r, query, args...))
	if err != nil {
		var zero T
		return zero, s.readErr(op, err)
	}
	return v, nil
}

// writeOne runs a write that must touch at least one row; none is
// store.ErrNotFound.
func (s *Store) writeOne(ctx context.Context, op, query string, args ...any) error {
	n, err := s.exec(ctx, s.w, query, args...)
	if err != nil {
		return s.writeErr(op, err)
	}
	if n == 0 {
		return s.notFound(op)
	}
	return nil
}

// write runs a write on the writer connection.
func (s *Store) write(ctx context.Context, op, query string, args ...any) error {
	if _, err := s.exec(ctx, s.w, query, args...); err != nil {
		return s.writeErr(op, err)
	}
	return nil
}
