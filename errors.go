package aurinko

import "github.com/aurinko-go/aurinko/apierr"

// Error is a domain error: a code a client can act on and a message safe to
// show. It is package apierr's type, re-exported here.
type Error = apierr.Error

// ErrorCode is a domain error code.
type ErrorCode = apierr.Code

// The domain error codes, and the HTTP statuses the API answers them with.
const (
	NotFound            = apierr.NotFound            // 404
	Unauthorized        = apierr.Unauthorized        // 401
	Forbidden           = apierr.Forbidden           // 403
	Conflict            = apierr.Conflict            // 409
	InvalidInput        = apierr.InvalidInput        // 400
	RateLimited         = apierr.RateLimited         // 429, with Retry-After
	ProviderUnavailable = apierr.ProviderUnavailable // 503, with Retry-After when known
	ReauthRequired      = apierr.ReauthRequired      // 401, code "token.dead"
	PreconditionFailed  = apierr.PreconditionFailed  // 412
	Gone                = apierr.Gone                // 410, code "syncToken.expired"
	TooLarge            = apierr.TooLarge            // 413
	Internal            = apierr.Internal            // 500
)

// ErrorCodeOf returns the domain code of err: the code of the first *Error
// in its chain, Internal for any other error, "" for nil.
func ErrorCodeOf(err error) ErrorCode { return apierr.CodeOf(err) }

// HTTPStatus returns the HTTP status the API answers a code with.
func HTTPStatus(code ErrorCode) int { return apierr.Status(code) }
