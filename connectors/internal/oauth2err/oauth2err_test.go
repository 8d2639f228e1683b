package oauth2err

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func fixedNow() time.Time { return epoch }

func retrieveError(status int, header http.Header, body, code, desc string) *xoauth2.RetrieveError {
	return &xoauth2.RetrieveError{
		Response:         &http.Response{StatusCode: status, Status: http.StatusText(status), Header: header},
		Body:             []byte(body),
		ErrorCode:        code,
		ErrorDescription: desc,
	}
}

func TestFrom(t *testing.T) {
	t.Parallel()
	html := "<html><body>secret-looking-body rt-123</body></html>"
	tests := []struct {
		name         string
		err          error
		wantCode     string
		wantDesc     string
		wantStatus   int
		wantRetry    time.Duration
		wantTerminal bool
	}{
		{
			name:     "invalid_grant",
			err:      retrieveError(400, http.Header{"Content-Type": {"application/json"}}, `{"error":"invalid_grant"}`, "invalid_grant", "Token has been expired or revoked."),
			wantCode: "invalid_grant", wantDesc: "Token has been expired or revoked.", wantStatus: 400, wantTerminal: true,
		},
		{
			name:     "invalid_client wrapped by fmt",
			err:      fmt.Errorf("outer: %w", retrieveError(401, http.Header{}, `{}`, "invalid_client", "")),
			wantCode: "invalid_client", wantStatus: 401, wantTerminal: true,
		},
		{
			name:       "503 HTML page",
			err:        retrieveError(503, http.Header{"Content-Type": {"text/html"}}, html, "", ""),
			wantStatus: 503,
		},
		{
			name:       "429 with Retry-After seconds",
			err:        retrieveError(429, http.Header{"Retry-After": {"120"}}, "slow down", "", ""),
			wantStatus: 429, wantRetry: 2 * time.Minute,
		},
		{
			name:       "429 with Retry-After date",
			err:        retrieveError(429, http.Header{"Retry-After": {epoch.Add(90 * time.Second).Format(http.TimeFormat)}}, "", "", ""),
			wantStatus: 429, wantRetry: 90 * time.Second,
		},
		{
			name:       "Retry-After in the past",
			err:        retrieveError(503, http.Header{"Retry-After": {epoch.Add(-time.Hour).Format(http.TimeFormat)}}, "", "", ""),
			wantStatus: 503,
		},
		{
			name:       "Retry-After garbage",
			err:        retrieveError(503, http.Header{"Retry-After": {"-5"}}, "", "", ""),
			wantStatus: 503,
		},
		{
			name:       "Retry-After huge",
			err:        retrieveError(503, http.Header{"Retry-After": {"4294967295"}}, "", "", ""),
			wantStatus: 503, wantRetry: maxRetryAfter,
		},
		{
			name:     "control characters and length",
			err:      retrieveError(400, http.Header{}, "", "invalid_request\r\nX-Injected: 1", strings.Repeat("é", 600)),
			wantCode: "invalid_requestX-Injected: 1", wantDesc: strings.Repeat("é", maxDescription/2) + "...", wantStatus: 400,
		},
		{
			name: "network failure",
			err:  errors.New("dial tcp 127.0.0.1:1: connect: connection refused"),
		},
		{
			name: "cancelled",
			err:  fmt.Errorf("Post: %w", context.Canceled),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := From(tc.err, fixedNow)
			var te *connectors.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("From = %T %v, want *connectors.TokenError", err, err)
			}
			if te.Code != tc.wantCode || te.Description != tc.wantDesc || te.Status != tc.wantStatus || te.RetryAfter != tc.wantRetry {
				t.Fatalf("From = %+v", te)
			}
			if te.Terminal() != tc.wantTerminal {
				t.Errorf("Terminal() = %v", te.Terminal())
			}
			if !errors.Is(err, tc.err) {
				var re *xoauth2.RetrieveError
				if !errors.As(tc.err, &re) || !errors.As(err, &re) {
					t.Errorf("the cause is lost: %v", err)
				}
			}
			if strings.Contains(err.Error(), "secret-looking-body") || strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error message leaks the body or control characters: %q", err.Error())
			}
		})
	}
	if From(nil, fixedNow) != nil {
		t.Error("From(nil) != nil")
	}
	te := &connectors.TokenError{Code: "invalid_grant"}
	if From(te, fixedNow) != error(te) {
		t.Error("a TokenError is not returned as is")
	}
}

func TestFromAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		wantCode, wantDesc      string
	}{
		{"JSON", "application/json;charset=UTF-8", `{"error":"unsupported_token_type","error_description":"nope"}`, "unsupported_token_type", "nope"},
		{"JSON without content type", "", `{"error":"invalid_client"}`, "invalid_client", ""},
		{"form", "application/x-www-form-urlencoded", "error=invalid_request&error_description=bad", "invalid_request", "bad"},
		{"HTML", "text/html", "<html>oops</html>", "", ""},
		{"error object", "application/json", `{"error":{"code":"x"}}`, "", ""},
		{"empty", "", "", "", ""},
	}
	for _, tc := range tests {
		h := http.Header{"Retry-After": {"7"}}
		if tc.contentType != "" {
			h.Set("Content-Type", tc.contentType)
		}
		te := FromAnswer(400, h, []byte(tc.body), nil)
		if te.Code != tc.wantCode || te.Description != tc.wantDesc || te.Status != 400 || te.RetryAfter != 7*time.Second {
			t.Errorf("%s: FromAnswer = %+v", tc.name, te)
		}
		if strings.Contains(te.Error(), "oops") {
			t.Errorf("%s: error leaks the body: %v", tc.name, te)
		}
	}
}
