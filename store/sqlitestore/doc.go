// Package sqlitestore is the embedded default store.Store: SQLite in one
// file, through the pure-Go driver modernc.org/sqlite (no cgo).
//
// It suits one server process (several goroutines, and a command-line tool
// now and then on the same file). Several server instances sharing one
// database want package pgstore instead.
//
// The database runs in WAL mode (synchronous stays FULL, so a committed
// token refresh survives power loss) with foreign keys on. Writes and
// transactions go through a single connection, so writers in this process
// queue in Go instead of contending for SQLite's lock; transactions begin
// IMMEDIATE and every connection waits busy_timeout for a lock held by
// another process. Reads use a separate pool of query-only connections,
// which WAL lets run alongside the writer.
//
// The schema is migrated on Open from migrations embedded in the binary.
package sqlitestore
