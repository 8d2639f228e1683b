// Package provider holds what every capability of a unified-API connector
// shares: the account a call acts as (Account), the classified errors a
// connector returns (Error and the Err* kinds) and the check of
// client-supplied ids (ValidID).
//
// The capability packages (unified/email, unified/calendar,
// unified/contacts, unified/tasks) re-export these, so a connector written
// against one of them needs no import of this package; package unified
// maps the kinds to HTTP statuses in one place.
//
// It is a leaf package: it imports only the standard library.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Account is the account a capability call acts as. Connectors authorize
// their provider requests with Client or AccessToken and nothing else, so
// that one account can never reach another's data.
type Account struct {
	// ID is the aurinko account id.
	ID int64
	// Email is the account's address.
	Email string
	// AuthUserID is the provider's id of the account's user.
	AuthUserID string
	// ServerURL is the account's server when it has one (IMAP).
	ServerURL string
	// Client authorizes every request with the account's fresh provider
	// token (refreshed, once across instances, by package accounts).
	Client *http.Client
	// AccessToken returns the account's fresh provider access token, for
	// SDKs that take a token rather than a client.
	AccessToken func(ctx context.Context) (string, error)
	// Password returns the account's password, for password accounts
	// (IMAP); it fails with the reauth-required error for OAuth accounts.
	// Connectors must not keep or log it.
	Password func(ctx context.Context) (string, error)
}

// The error kinds of capability calls, for errors.Is. Connectors return
// them inside an *Error; package unified maps each to one HTTP status.
var (
	// ErrNotFound: the provider does not know the item (in this
	// account). 404.
	ErrNotFound = errors.New("provider: not found")
	// ErrInvalid: the provider refused the request as malformed. 400.
	ErrInvalid = errors.New("provider: invalid request")
	// ErrRateLimited: the provider throttles the account. 429 with
	// Error.RetryAfter.
	ErrRateLimited = errors.New("provider: rate limited")
	// ErrUnavailable: the provider failed (5xx) or could not be reached.
	// 503 with Error.RetryAfter when the provider sent one.
	ErrUnavailable = errors.New("provider: unavailable")
	// ErrCursorExpired: a delta cursor is too old for the provider. 410:
	// the client starts a new sync.
	ErrCursorExpired = errors.New("provider: delta cursor expired")
	// ErrTooLarge: an item exceeds a limit. 413.
	ErrTooLarge = errors.New("provider: too large")
	// ErrDenied: the provider refused the account's token or permissions
	// (401 or 403 after a fresh token: consent withdrawn, scope missing).
	// 403.
	ErrDenied = errors.New("provider: denied")
	// ErrConflict: the change conflicts with the item's state at the
	// provider (an organizer answering their own invitation, a duplicate).
	// 409.
	ErrConflict = errors.New("provider: conflict")
	// ErrPrecondition: an If-Match etag no longer matches the item: it
	// changed since the client read it. 412.
	ErrPrecondition = errors.New("provider: precondition failed")
	// ErrUnsupported: the provider cannot do this. 400.
	ErrUnsupported = errors.ErrUnsupported
)

// Error is a classified failure of a capability call. Its Message is safe
// to show to the API client (no tokens, no provider internals beyond the
// provider's error code); Err is the cause, for logs.
type Error struct {
	// Kind is one of the Err* values of this package.
	Kind error
	// Message says what failed, for the client.
	Message string
	// RetryAfter is the provider's Retry-After (429, 503), 0 when none.
	RetryAfter time.Duration
	// Status is the provider's HTTP status, 0 when there was no answer.
	Status int
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	msg := fmt.Sprint(e.Kind)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind and the cause, so errors.Is(err, ErrNotFound)
// and errors.As on the cause both work.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Unsupported is the error of an operation a provider cannot do.
func Unsupported(op string) error {
	return &Error{Kind: ErrUnsupported, Message: op + " is not supported by this provider"}
}

// MaxIDLength is the longest id ValidID accepts.
const MaxIDLength = 1024

// ValidID reports whether id is acceptable as a calendar, event, contact,
// task list or task id from a client: 1 to MaxIDLength characters of
// A-Z a-z 0-9 and - _ = + . @ (the alphabets of Graph, Google and IMAP
// ids; Google calendar ids are addresses), and not "." or "..". Package
// unified refuses anything else with 400 before a connector sees it;
// connectors still escape ids into their URLs.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLength || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_=+.@", c) >= 0) {
			return false
		}
	}
	return true
}
