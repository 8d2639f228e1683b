package google

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurinko-go/aurinko/unified/provider"
)

// restMaxBody bounds the answers read from the Calendar, People and Tasks
// APIs.
const restMaxBody = 32 << 20

// restCall is one JSON request to a Google REST API (Calendar, People,
// Tasks).
type restCall struct {
	api     string // "calendar", "people" or "tasks", for messages
	op      string // the method's name, for messages
	method  string
	url     string // base + escaped path
	query   url.Values
	body    any    // JSON-encoded when not nil
	ifMatch string // sent as If-Match when not ""
}

// restDo sends call as acct and decodes a 2xx answer into out (when not
// nil). Failures are classified *provider.Error values (see restError).
func (c *Connector) restDo(ctx context.Context, acct provider.Account, call restCall, out any) error {
	if acct.Client == nil {
		return fmt.Errorf("google: %s %s: the account has no HTTP client", call.api, call.op)
	}
	if !restCleanPath(call.url) {
		// An empty, "." or ".." id would name another resource.
		return &provider.Error{Kind: provider.ErrNotFound, Message: call.api + " " + call.op + ": no such item"}
	}
	u := call.url
	if len(call.query) > 0 {
		u += "?" + call.query.Encode()
	}
	var body io.Reader
	if call.body != nil {
		b, err := json.Marshal(call.body)
		if err != nil {
			return fmt.Errorf("google: %s %s: encoding the request: %w", call.api, call.op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, call.method, u, body)
	if err != nil {
		return fmt.Errorf("google: %s %s: %w", call.api, call.op, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if call.ifMatch != "" {
		req.Header.Set("If-Match", call.ifMatch)
	}
	resp, err := acct.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("google: %s %s: %w", call.api, call.op, ctx.Err())
		}
		if isNetworkErr(err) {
			return &provider.Error{Kind: provider.ErrUnavailable, Message: call.api + " " + call.op + ": Google could not be reached",
				Err: fmt.Errorf("google: %s %s: %w", call.api, call.op, err)}
		}
		return fmt.Errorf("google: %s %s: %w", call.api, call.op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, restMaxBody))
	if err != nil {
		return &provider.Error{Kind: provider.ErrUnavailable, Status: resp.StatusCode, Message: call.api + " " + call.op + ": the answer was cut short",
			Err: fmt.Errorf("google: %s %s: %w", call.api, call.op, err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return restError(call.api, call.op, resp, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &provider.Error{Kind: provider.ErrUnavailable, Status: resp.StatusCode, Message: call.api + " " + call.op + ": Google sent a malformed answer",
			Err: fmt.Errorf("google: %s %s: %w", call.api, call.op, err)}
	}
	return nil
}

// restCleanPath reports whether the URL's path has no empty, "." or ".."
// segment.
func restCleanPath(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/")[1:] {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// restErrorBody is the JSON error of the googleapis.com APIs.
type restErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
		Details []struct {
			Type   string `json:"@type"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

// restError classifies an error answer of the Calendar, People and Tasks
// APIs: 404, and 410 with reason deleted (Calendar), not found; 429 and
// 403 rateLimitExceeded / userRateLimitExceeded / quotaExceeded rate
// limited (with Retry-After); 5xx unavailable; 400 FAILED_PRECONDITION
// with the google.rpc.ErrorInfo reason EXPIRED_SYNC_TOKEN, and other 410
// (Calendar's fullSyncRequired), cursor expired; other 400
// FAILED_PRECONDITION, and 412, precondition; other 400 invalid (with
// Google's message); 401 and 403 denied; 409 conflict; 413 too large;
// other 4xx invalid.
func restError(api, op string, resp *http.Response, data []byte) error {
	var ge restErrorBody
	_ = json.Unmarshal(data, &ge)
	reason := ""
	if len(ge.Error.Errors) > 0 {
		reason = ge.Error.Errors[0].Reason
	}
	expired := false
	for _, d := range ge.Error.Details {
		if d.Reason == "EXPIRED_SYNC_TOKEN" {
			expired = true
		}
	}
	cause := fmt.Errorf("google: %s %s: %d %s %s %s", api, op, resp.StatusCode, ge.Error.Status, reason, ge.Error.Message)
	e := &provider.Error{Status: resp.StatusCode, Message: api + " " + op, Err: cause}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound, code == http.StatusGone && reason == "deleted":
		e.Kind = provider.ErrNotFound
	case code == http.StatusTooManyRequests,
		code == http.StatusForbidden && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" || reason == "quotaExceeded"):
		e.Kind = provider.ErrRateLimited
		e.RetryAfter = retryAfter(resp.Header)
	case code >= 500:
		e.Kind = provider.ErrUnavailable
		e.RetryAfter = retryAfter(resp.Header)
	case code == http.StatusGone, code == http.StatusBadRequest && expired:
		e.Kind = provider.ErrCursorExpired
		e.Message += ": the sync token expired: start a new sync"
	case code == http.StatusPreconditionFailed, code == http.StatusBadRequest && ge.Error.Status == "FAILED_PRECONDITION":
		e.Kind = provider.ErrPrecondition
		e.Message += ": the item changed since it was read"
	case code == http.StatusBadRequest:
		e.Kind = provider.ErrInvalid
		if ge.Error.Message != "" {
			e.Message += ": " + ge.Error.Message
		}
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		e.Kind = provider.ErrDenied
	case code == http.StatusConflict:
		e.Kind = provider.ErrConflict
		if ge.Error.Message != "" {
			e.Message += ": " + truncateString(ge.Error.Message, 300)
		}
	case code == http.StatusRequestEntityTooLarge:
		e.Kind = provider.ErrTooLarge
	case code >= 400:
		e.Kind = provider.ErrInvalid
	default:
		e.Kind = provider.ErrUnavailable
	}
	return e
}

// pimCursorError is the error of a cursor this package did not write.
func pimCursorError(err error) error {
	return &provider.Error{Kind: provider.ErrInvalid, Message: "malformed cursor", Err: fmt.Errorf("google: cursor: %w", err)}
}
