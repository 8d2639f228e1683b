package webhooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The headers of a signed delivery.
const (
	HeaderSignature = "X-Aurinko-Signature"
	HeaderTimestamp = "X-Aurinko-Request-Timestamp"
)

// DefaultTolerance is how far Verify lets a delivery's timestamp be from
// now: it bounds replays of a captured delivery.
const DefaultTolerance = 5 * time.Minute

// maxBody bounds the body VerifyRequest reads.
const maxBody = 8 << 20

// ErrSignature is wrapped by every verification failure.
var ErrSignature = errors.New("webhooks: signature not valid")

// Sign returns the X-Aurinko-Signature of body sent at timestamp (Unix
// seconds): hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body).
func Sign(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + strconv.FormatInt(timestamp, 10) + ":"))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks the signature headers of a delivery against its raw body.
// tolerance <= 0 means DefaultTolerance.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsRaw := h.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil || len(tsRaw) > 12 {
		return fmt.Errorf("%w: missing or malformed %s", ErrSignature, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside the %s tolerance", ErrSignature, tolerance)
	}
	got, err := hex.DecodeString(h.Get(HeaderSignature))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: missing or malformed %s", ErrSignature, HeaderSignature)
	}
	want, _ := hex.DecodeString(Sign(secret, ts, body))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: mismatch", ErrSignature)
	}
	return nil
}

// VerifyRequest reads r's body (at most 8 MiB), verifies it, and returns it,
// with r.Body replaced so a handler can read it again. It is the helper an
// app's webhook endpoint calls first:
//
//	body, err := webhooks.VerifyRequest(r, secret, 0)
//	if err != nil { http.Error(w, "bad signature", http.StatusUnauthorized); return }
func VerifyRequest(r *http.Request, secret []byte, tolerance time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("webhooks: read body: %w", err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrSignature, maxBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := Verify(secret, r.Header, body, time.Now(), tolerance); err != nil {
		return nil, err
	}
	return body, nil
}
