// Package store defines the records aurinko keeps and the storage interfaces
// that hold them.
//
// The interfaces state their contract in their doc comments: which errors a
// method returns (a missing record is [ErrNotFound], never a nil record and a
// nil error), what is atomic, and how expiry is judged. Every driver must pass
// the conformance suite in package storetest; the drivers shipped with the
// module are memstore (tests and single-process demos), sqlitestore (the
// embedded default, pure Go) and pgstore (PostgreSQL, for several server
// instances sharing one database).
//
// A store never sees a plaintext secret. Fields of type [Sealed] hold
// ciphertext produced by package seal; the store saves and returns those bytes
// unchanged. Session tokens, account access tokens, one-time codes and OAuth
// state are stored only as hashes ([Hash]).
//
// This package holds types and contracts only; it performs no I/O.
package store
