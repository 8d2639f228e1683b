package oauth2err

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzFromAnswer feeds token-endpoint answers of any content type, body
// and Retry-After to FromAnswer. The result always keeps the status and
// the body's size, never carries the body itself, holds a code and a
// description that are bounded, valid UTF-8 and free of control characters
// (they go into logs), and a Retry-After within [0, 30 days]. A well-formed
// RFC 6749 answer (JSON or form) with a clean code keeps that code exactly.
func FuzzFromAnswer(f *testing.F) {
	seeds := []struct {
		status      int
		contentType string
		retryAfter  string
		body        string
	}{
		{400, "application/json", "", `{"error":"invalid_grant","error_description":"revoked"}`},
		{400, "application/json; charset=utf-8", "", `{"error":7,"error_description":["x"]}`},
		{401, "application/x-www-form-urlencoded", "", "error=invalid_client&error_description=bad+secret"},
		{400, "text/plain", "", "error=invalid_request"},
		{429, "application/json", "120", `{"error":"slow_down"}`},
		{503, "text/html", "Wed, 21 Oct 2015 07:28:00 GMT", "<html>down</html>"},
		{503, "", "99999999999", ""},
		{500, "application/json", "-1", `{"error":"a\u0000b\nc","error_description":"` + strings.Repeat("é", 400) + `"}`},
		{400, "multipart/form-data; boundary=", "1e3", "%zz&error"},
	}
	for _, s := range seeds {
		f.Add(s.status, s.contentType, s.retryAfter, []byte(s.body))
	}
	now := func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter string, body []byte) {
		h := http.Header{}
		if contentType != "" {
			h["Content-Type"] = []string{contentType}
		}
		if retryAfter != "" {
			h["Retry-After"] = []string{retryAfter}
		}
		te := FromAnswer(status, h, body, now)
		if te == nil || te.Status != status {
			t.Fatalf("FromAnswer = %+v, want status %d", te, status)
		}
		for _, s := range []struct {
			what  string
			v     string
			limit int
		}{{"code", te.Code, maxCode}, {"description", te.Description, maxDescription}} {
			if len(s.v) > s.limit+len("...") || !utf8.ValidString(s.v) ||
				strings.ContainsFunc(s.v, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
				t.Fatalf("%s %q is not clean and bounded", s.what, s.v)
			}
		}
		if te.RetryAfter < 0 || te.RetryAfter > maxRetryAfter {
			t.Fatalf("RetryAfter = %v", te.RetryAfter)
		}
		// The message names the size and the content type, never the body
		// (a body that happens to be text of the content type itself, as
		// the fuzzer found, is not a leak).
		if msg := te.Err.Error(); !strings.Contains(msg, "answer of "+strconv.Itoa(len(body))+" bytes") ||
			(len(body) > 8 && strings.Contains(msg, string(body)) &&
				!strings.Contains(strings.ToLower(h.Get("Content-Type")), strings.ToLower(string(body)))) {
			t.Fatalf("Err = %q, want the size and not the body", msg)
		}

		// A well-formed answer carrying this input's code keeps it.
		code := te.Code
		if code == "" || code != clean(code, maxCode) || len(code) > maxCode {
			return
		}
		js, _ := json.Marshal(map[string]string{"error": code})
		if got := FromAnswer(400, http.Header{"Content-Type": {"application/json"}}, js, now); got.Code != code {
			t.Fatalf("JSON error %q read as %q", code, got.Code)
		}
		form := url.Values{"error": {code}}.Encode()
		if got := FromAnswer(400, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(form), now); got.Code != code {
			t.Fatalf("form error %q read as %q", code, got.Code)
		}
	})
}
