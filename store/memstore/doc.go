// Package memstore is an in-memory store.Store, for tests and single-process
// demos. Data is lost when the process exits, and nothing is shared between
// processes: a server running several instances needs sqlitestore (one
// process) or pgstore (many).
//
// It keeps the same rules as the SQL drivers (times kept to the microsecond
// and returned in UTC, expiry judged with Options.Now) and passes the
// storetest conformance suite. Records are copied on the way in and out, so a
// caller cannot change stored data through a slice it passed or received.
package memstore
