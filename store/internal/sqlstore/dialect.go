package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"strconv"
	"strings"
)

// Dialect is what a driver tells sqlstore about its database.
type Dialect struct {
	// Name prefixes every error, e.g. "sqlitestore".
	Name string
	// Migrations holds the schema as numbered files at its root
	// ("0001_init.sql", "0002_….sql"), applied in order.
	Migrations fs.FS
	// DollarPlaceholders is true when the database wants $1, $2, … instead
	// of ?. Queries in sqlstore are written with ?.
	DollarPlaceholders bool
	// IsUniqueViolation reports whether err is a unique or primary key
	// violation.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports whether err is a foreign key violation.
	IsForeignKeyViolation func(err error) bool
	// PrepareMigration, when set, runs first in the migration transaction:
	// it serializes concurrent migrators (PostgreSQL advisory lock) and
	// creates what must exist before schema_migrations (the schema).
	PrepareMigration func(ctx context.Context, tx *sql.Tx) error
	// SkipLocked is true when the database runs concurrent writers
	// (PostgreSQL): ClaimJobs then locks the rows it picks with FOR UPDATE
	// SKIP LOCKED. False means writers are serialized (SQLite).
	SkipLocked bool
	// LockJobKey, when set, takes a lock on a job Key that lasts until tx
	// ends (PostgreSQL: a transaction advisory lock). EnqueueJob and
	// RequeueJob take it so that the jobs of one Key become visible in ID
	// order; see ClaimJobs. Nil when writers are serialized.
	LockJobKey func(ctx context.Context, tx *sql.Tx, key string) error
}

// rebind rewrites the ? placeholders of query for the dialect. Queries in
// this package never contain ? inside string literals.
func (d *Dialect) rebind(query string) string {
	if !d.DollarPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
