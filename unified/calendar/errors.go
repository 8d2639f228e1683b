package calendar

import "github.com/aurinko-go/aurinko/unified/provider"

// FieldError is a client error in an event, calendar or request field:
// package unified answers it with 400 and its text.
type FieldError struct {
	Field   string
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

// Account is the account a Provider call acts as.
type Account = provider.Account

// Error is a classified failure of a Provider call.
type Error = provider.Error

// The error kinds of Provider calls (those of package provider).
var (
	ErrNotFound      = provider.ErrNotFound
	ErrInvalid       = provider.ErrInvalid
	ErrRateLimited   = provider.ErrRateLimited
	ErrUnavailable   = provider.ErrUnavailable
	ErrCursorExpired = provider.ErrCursorExpired
	ErrDenied        = provider.ErrDenied
	ErrTooLarge      = provider.ErrTooLarge
	ErrConflict      = provider.ErrConflict
	ErrPrecondition  = provider.ErrPrecondition
	ErrUnsupported   = provider.ErrUnsupported
)
