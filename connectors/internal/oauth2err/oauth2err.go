// Package oauth2err turns the failures of an OAuth token or revocation
// endpoint into *connectors.TokenError: the RFC 6749 section 5.2 error code
// and description, the HTTP status, and Retry-After. It is shared by the
// generic connectors (connectors/oidc, connectors/oauth2) and is not an API.
//
// The errors it builds never contain the answer's body, only its media type
// and size, so that nothing a provider echoes (or a token) reaches a log.
package oauth2err

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

const (
	maxCode        = 64
	maxDescription = 512
	// maxRetryAfter bounds Retry-After so that a hostile value cannot
	// overflow time.Duration.
	maxRetryAfter = 30 * 24 * time.Hour
)

// From converts an error of golang.org/x/oauth2 (Config.Exchange,
// TokenSource.Token) into a *connectors.TokenError: an OAuth error answer
// (*xoauth2.RetrieveError) keeps its code, description, status and
// Retry-After; anything else (a network failure, a cancelled context, an
// answer without access_token) gets Status 0 and wraps the cause. nil stays
// nil, and a *connectors.TokenError is returned as is.
func From(err error, now func() time.Time) error {
	if err == nil {
		return nil
	}
	var te *connectors.TokenError
	if errors.As(err, &te) {
		return err
	}
	var re *xoauth2.RetrieveError
	if errors.As(err, &re) {
		out := &connectors.TokenError{
			Code:        clean(re.ErrorCode, maxCode),
			Description: clean(re.ErrorDescription, maxDescription),
			Err:         &answerError{cause: re, size: len(re.Body)},
		}
		if re.Response != nil {
			out.Status = re.Response.StatusCode
			out.RetryAfter = RetryAfter(re.Response.Header, now)
			out.Err.(*answerError).mediaType = mediaType(re.Response.Header)
		}
		return out
	}
	return &connectors.TokenError{Err: err}
}

// FromAnswer converts a failed answer of an endpoint that speaks RFC 6749
// section 5.2 errors (a token or RFC 7009 revocation endpoint) into a
// *connectors.TokenError. The body may be JSON, form-encoded or anything
// else (then Code is "").
func FromAnswer(status int, header http.Header, body []byte, now func() time.Time) *connectors.TokenError {
	code, desc := parseError(header, body)
	return &connectors.TokenError{
		Code:        clean(code, maxCode),
		Description: clean(desc, maxDescription),
		Status:      status,
		RetryAfter:  RetryAfter(header, now),
		Err:         &answerError{mediaType: mediaType(header), size: len(body)},
	}
}

// RetryAfter parses a Retry-After header (RFC 9110 section 10.2.3):
// delay-seconds or an HTTP-date, relative to now (time.Now when nil). It is
// 0 when the header is absent, malformed or in the past.
func RetryAfter(h http.Header, now func() time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if now == nil {
		now = time.Now
	}
	d := at.Sub(now())
	if d <= 0 {
		return 0
	}
	return min(d.Round(time.Second), maxRetryAfter)
}

func parseError(h http.Header, body []byte) (code, desc string) {
	switch mediaType(h) {
	case "application/x-www-form-urlencoded", "text/plain":
		if v, err := url.ParseQuery(string(body)); err == nil {
			return v.Get("error"), v.Get("error_description")
		}
		return "", ""
	}
	var e struct {
		Error            any `json:"error"`
		ErrorDescription any `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	code, _ = e.Error.(string)
	desc, _ = e.ErrorDescription.(string)
	return code, desc
}

func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// clean bounds a provider-sent string and drops control characters, so it
// can go into logs.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}

// answerError describes a failed answer without its body. It unwraps to
// the *xoauth2.RetrieveError when there is one.
type answerError struct {
	cause     error
	mediaType string
	size      int
}

func (e *answerError) Error() string {
	mt := e.mediaType
	if mt == "" {
		mt = "no content type"
	}
	return fmt.Sprintf("answer of %d bytes (%s)", e.size, mt)
}

func (e *answerError) Unwrap() error { return e.cause }
