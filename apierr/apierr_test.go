package apierr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	secret := errors.New("dial tcp 10.0.0.1: password=hunter2")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   Code
		wantMsg    string
		wantRetry  string
	}{
		{"not found", New(NotFound, "account %d not found", 7), 404, NotFound, "account 7 not found", ""},
		{"wrapped", fmt.Errorf("unified: list: %w", New(Forbidden, "nope")), 403, Forbidden, "nope", ""},
		{"unauthorized", New(Unauthorized, "unauthorized"), 401, Unauthorized, "unauthorized", ""},
		{"reauth", New(ReauthRequired, "sign in again"), 401, ReauthRequired, "sign in again", ""},
		{"conflict", New(Conflict, "exists"), 409, Conflict, "exists", ""},
		{"invalid", New(InvalidInput, "bad limit"), 400, InvalidInput, "bad limit", ""},
		{"rate limited", &Error{Code: RateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, RateLimited, "slow down", "2"},
		{"unavailable", &Error{Code: ProviderUnavailable, Message: "down", RetryAfter: 30 * time.Second}, 503, ProviderUnavailable, "down", "30"},
		{"retry ignored on 404", &Error{Code: NotFound, Message: "x", RetryAfter: time.Second}, 404, NotFound, "x", ""},
		{"plain error hidden", secret, 500, Internal, "internal error", ""},
		{"internal message hidden", Wrap(secret, Internal, "password=hunter2"), 500, Internal, "internal error", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
			Write(rec, req, slog.New(slog.NewTextHandler(&logs, nil)), tc.err)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.wantRetry {
				t.Fatalf("Retry-After = %q, want %q", got, tc.wantRetry)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type = %q", ct)
			}
			var b Body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if b.Code != tc.wantCode || b.Message != tc.wantMsg || len(b.RequestID) != 36 {
				t.Fatalf("body = %+v", b)
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Fatalf("response leaks the cause: %s", rec.Body.String())
			}
			if !strings.Contains(logs.String(), b.RequestID) {
				t.Fatalf("log lacks the request id: %s", logs.String())
			}
		})
	}
}

func TestWrite_requestIDFromHeader(t *testing.T) {
	t.Parallel()
	for in, keep := range map[string]bool{"abc-123": true, "has space": false, strings.Repeat("a", 65): false, "new\nline": false} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Request-Id", in)
		Write(rec, req, nil, New(NotFound, "x"))
		var b Body
		_ = json.Unmarshal(rec.Body.Bytes(), &b)
		if (b.RequestID == in) != keep {
			t.Errorf("X-Request-Id %q: requestId = %q, keep = %v", in, b.RequestID, keep)
		}
	}
}

func TestCodeOfAndIs(t *testing.T) {
	t.Parallel()
	cause := errors.New("cause")
	err := fmt.Errorf("outer: %w", Wrap(cause, Conflict, "stale"))
	if CodeOf(err) != Conflict || CodeOf(cause) != Internal || CodeOf(nil) != "" {
		t.Fatalf("CodeOf wrong: %v %v %v", CodeOf(err), CodeOf(cause), CodeOf(nil))
	}
	if !errors.Is(err, cause) || !errors.Is(err, &Error{Code: Conflict}) || errors.Is(err, &Error{Code: NotFound}) {
		t.Fatal("errors.Is chain broken")
	}
	if Status("nonsense") != 500 {
		t.Fatal("unknown code must be 500")
	}
}
