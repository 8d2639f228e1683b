package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// uuidV4 is the shape of a request id the server makes up.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// FuzzRequestID sends any X-Request-Id through Write. The error body is
// always valid JSON whose requestId is the caller's id when it is 1 to 64
// printable ASCII bytes without spaces (echoed exactly), and a fresh UUID
// v4 otherwise, so that no control character, newline or oversized value
// of the caller reaches the body or the logs.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc-123", "0b9e7a3c-1d2e-4f5a-8b6c-7d8e9f0a1b2c", strings.Repeat("x", 64),
		strings.Repeat("x", 65), "a b", "a\nb", "a\r\nSet-Cookie: x=y", "é", "\x00", "\x7f", `"},{"code":"x`, "<script>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["X-Request-Id"] = []string{id}
		w := httptest.NewRecorder()
		Write(w, r, nil, New(NotFound, "no such thing"))

		var body Body
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
		}
		if body.Code != NotFound || w.Code != http.StatusNotFound {
			t.Fatalf("status %d code %q", w.Code, body.Code)
		}
		sane := id != "" && len(id) <= 64 && !strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f })
		switch {
		case sane && body.RequestID != id:
			t.Fatalf("request id %q was not echoed: %q", id, body.RequestID)
		case !sane && !uuidV4.MatchString(body.RequestID):
			t.Fatalf("request id %q answered with %q, want a fresh UUID", id, body.RequestID)
		}
	})
}

// FuzzWriteMessage checks that whatever message an error carries, the body
// is valid JSON and an internal error's message never reaches it.
func FuzzWriteMessage(f *testing.F) {
	f.Add("plain", true)
	f.Add("secret token at-123\n\x00\xff", false)
	f.Fuzz(func(t *testing.T, msg string, internal bool) {
		var err error = New(InvalidInput, "%s", msg)
		if internal {
			err = errors.New(msg)
		}
		w := httptest.NewRecorder()
		Write(w, httptest.NewRequest(http.MethodGet, "/", nil), nil, err)
		var body Body
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
		}
		if internal && (body.Code != Internal || body.Message != "internal error") {
			t.Fatalf("internal error leaked: %+v", body)
		}
	})
}
