// Package apierr holds the domain error codes of the aurinko API and the one
// place that maps them to HTTP statuses and writes them as JSON.
//
// Go methods anywhere in the module return an *Error (or wrap one) to say
// what went wrong in terms a client can act on; HTTP handlers call Write,
// which picks the status, adds Retry-After when known, and writes
// {"code": ..., "message": ..., "requestId": ...}. Errors that are not an
// *Error become "internal" with a generic message: their text may name
// internals and is logged, never sent.
//
// The root package re-exports these names (aurinko.Error, aurinko.NotFound,
// ...); this package exists so that lower packages can use them without
// importing the root.
package apierr
