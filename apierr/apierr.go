package apierr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Code is a domain error code, stable across releases. The values follow the
// Aurinko API where it defines one ("unauthorized", "token.dead").
type Code string

// The domain error codes.
const (
	// NotFound: the record does not exist or is not visible to the caller.
	NotFound Code = "notFound"
	// Unauthorized: no valid session, account token or client credentials.
	Unauthorized Code = "unauthorized"
	// Forbidden: the caller is known but may not do this.
	Forbidden Code = "forbidden"
	// Conflict: the request conflicts with the current state.
	Conflict Code = "conflict"
	// InvalidInput: a parameter or body is malformed or out of range.
	InvalidInput Code = "invalidInput"
	// RateLimited: the provider (or this server) asks the client to slow down.
	RateLimited Code = "rateLimited"
	// ProviderUnavailable: the provider failed or could not be reached.
	ProviderUnavailable Code = "provider.unavailable"
	// ReauthRequired: the account's grant is dead; the user must sign in
	// to the provider again.
	ReauthRequired Code = "token.dead"
	// PreconditionFailed: an If-Match precondition did not hold; the
	// resource changed since the client read it.
	PreconditionFailed Code = "preconditionFailed"
	// Gone: a sync (delta) token the provider no longer honours; the
	// client starts the sync again. The code is the Aurinko API's.
	Gone Code = "syncToken.expired"
	// TooLarge: a request body or an item exceeds a configured size.
	TooLarge Code = "tooLarge"
	// Internal: a fault of this server. The message is always generic.
	Internal Code = "internal"
)

// Status returns the HTTP status for a code; unknown codes are 500.
func Status(c Code) int {
	switch c {
	case NotFound:
		return http.StatusNotFound
	case Unauthorized, ReauthRequired:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case Conflict:
		return http.StatusConflict
	case InvalidInput:
		return http.StatusBadRequest
	case RateLimited:
		return http.StatusTooManyRequests
	case ProviderUnavailable:
		return http.StatusServiceUnavailable
	case PreconditionFailed:
		return http.StatusPreconditionFailed
	case Gone:
		return http.StatusGone
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// Error is an error a client is told about: a code and a message safe to
// show (no tokens, secrets or internals). Err, when set, is the cause; it is
// logged and unwrapped but never sent.
type Error struct {
	Code    Code
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header (whole
	// seconds, rounded up): a provider's 429 or 503 passed through.
	RetryAfter time.Duration
	Err        error
}

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a cause that is kept for logs and errors.Is.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so
// errors.Is(err, &apierr.Error{Code: apierr.NotFound}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// LogValue keeps slog output structured.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("code", string(e.Code)), slog.String("message", e.Message)}
	if e.Err != nil {
		attrs = append(attrs, slog.String("cause", e.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// CodeOf returns the code of the first *Error in err's chain, Internal when
// there is none, and "" for a nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Body is the JSON shape of an error response.
type Body struct {
	Code      Code   `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

// Write sends err as a JSON error response. Errors that are not an *Error
// are logged with their text and sent as a generic internal error; an
// *Error of code Internal is sent with a generic message too. logger may be
// nil (nothing is logged).
func Write(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	body := Body{Code: Internal, Message: "internal error", RequestID: requestID(r)}
	var e *Error
	status := http.StatusInternalServerError
	if errors.As(err, &e) && e.Code != Internal {
		body.Code, body.Message = e.Code, e.Message
		status = Status(e.Code)
		if e.RetryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
			secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
	}
	if logger != nil {
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		ctx := context.Background()
		if r != nil {
			ctx = r.Context()
		}
		logger.Log(ctx, level, "request failed", slog.Int("status", status), slog.String("requestId", body.RequestID), slog.Any("error", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request id: Write answers with it
// and RequestIDFrom reads it (the root's middleware sets one per request).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id of ctx, "" when none.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestID returns the id of a request: the one its context carries, else
// the caller's X-Request-Id when it looks sane (at most 64 printable ASCII
// characters), else a new random UUID.
func RequestID(r *http.Request) string { return requestID(r) }

// requestID returns the request's id (see RequestID).
func requestID(r *http.Request) string {
	if r != nil {
		if id := RequestIDFrom(r.Context()); id != "" {
			return id
		}
		if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && printableASCII(id) {
			return id
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // UUID version 4 layout, as the Aurinko API sends
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
