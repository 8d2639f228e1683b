// Package pgstore is the store.Store for PostgreSQL, through
// github.com/jackc/pgx/v5: the store for several server instances sharing
// one database.
//
// Every atomic operation of the contract is one statement or one
// transaction at PostgreSQL's default READ COMMITTED isolation, so any
// number of processes may use the same database: codes are redeemed with
// DELETE … RETURNING, tokens swapped with UPDATE … WHERE version = $n, locks
// taken with INSERT … ON CONFLICT DO UPDATE … WHERE expired. Expiry is judged
// with the clock of Options.Now passed as a parameter, never the server's
// now().
//
// Open migrates the schema from migrations embedded in the binary, under a
// transaction-scoped advisory lock so concurrent processes migrate once.
// Options.Schema puts the tables in a schema of their own (created when
// missing), selected through search_path on every connection.
package pgstore
