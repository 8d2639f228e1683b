// Package sqlstore is the SQL implementation of store.Store shared by the
// sqlitestore and pgstore drivers. It speaks database/sql and leaves what
// differs between databases (placeholders, schema, error classification,
// migration locking) to a [Dialect] supplied by the driver.
//
// It is internal: hosts use the drivers, which open and configure the
// connections and hand them to [New]. Times are kept as BIGINT unix
// microseconds (0 for the zero time), sealed secrets and payloads as
// BLOB/BYTEA, string lists as JSON text, hashes as BLOB/BYTEA keys.
package sqlstore
