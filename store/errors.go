package store

import "errors"

// Errors returned by every Store implementation. Drivers wrap them with
// context (fmt.Errorf("sqlitestore: ...: %w", store.ErrNotFound)); callers test
// with errors.Is.
var (
	// ErrNotFound means the record does not exist, has expired, or (for
	// single-use records) has already been used.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness rule would be broken by the write, or
	// a compare-and-swap lost because the record changed since it was read.
	ErrConflict = errors.New("store: conflict")
	// ErrLocked means a lock is held by another holder and has not expired.
	ErrLocked = errors.New("store: locked")
	// ErrInvalid means the record given to the store is malformed (a
	// required field is empty, a value is out of range). Nothing was written.
	ErrInvalid = errors.New("store: invalid record")
	// ErrSchemaTooNew means the database was migrated by a newer version of
	// this module than the one running; the driver refuses to open it rather
	// than risk writing rows a newer schema does not expect.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this build supports")
)
