package office365

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// graphCall is one Graph REST request of the unified API (mail, calendar,
// contacts, To Do, subscriptions); every capability sends its requests
// through graphSend, so that a token goes only below the Graph base and
// every failure is classified the same way.
type graphCall struct {
	method string
	url    string // absolute, below the Graph base
	body   any
	// ifMatch is sent as If-Match (in Graph's W/"..." form).
	ifMatch string
	// pageSize asks for odata.maxpagesize when > 0.
	pageSize int
	// prefer are Prefer preferences besides IdType="ImmutableId"
	// (outlook.timezone, outlook.body-content-type).
	prefer []string
	// respond marks an accept/decline: Graph's 400 ErrorInvalidRequest to
	// it is the organizer answering their own meeting, a conflict.
	respond bool
	// noImmutableID leaves out Prefer: IdType="ImmutableId" (the
	// subscription calls, which have no item ids).
	noImmutableID bool
	// what names the data in error messages: "mailbox", "calendar" ...
	what string
}

// graphSend sends c as the account and returns a successful answer (the
// caller closes its body) or a classified *provider.Error.
func (c *Connector) graphSend(ctx context.Context, client *http.Client, r graphCall) (*http.Response, error) {
	if client == nil {
		return nil, errors.New("office365: the account has no HTTP client")
	}
	if !c.underGraph(r.url) {
		return nil, &provider.Error{Kind: provider.ErrInvalid, Message: "invalid cursor or id",
			Err: errors.New("office365: refusing a URL outside Microsoft Graph or with an empty or dot path segment")}
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("office365: encoding the Graph request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, fmt.Errorf("office365: Graph request: %w", err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	var prefer []string
	if !r.noImmutableID {
		prefer = append(prefer, `IdType="ImmutableId"`)
	}
	prefer = append(prefer, r.prefer...)
	if r.pageSize > 0 {
		prefer = append(prefer, "odata.maxpagesize="+strconv.Itoa(r.pageSize))
	}
	if len(prefer) > 0 {
		req.Header.Set("Prefer", strings.Join(prefer, ", "))
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", graphETag(r.ifMatch))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &provider.Error{Kind: provider.ErrUnavailable, Message: "Microsoft Graph could not be reached",
			Err: fmt.Errorf("office365: %s %s: %w", r.method, graphPath(r.url), err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, c.graphFailure(r, resp, raw)
}

// graphDo is graphSend that decodes a JSON answer into out (when out is
// not nil and the answer has a body).
func (c *Connector) graphDo(ctx context.Context, client *http.Client, r graphCall, out any) error {
	resp, err := c.graphSend(ctx, client, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxGraphAnswer)).Decode(out); err != nil {
		return &provider.Error{Kind: provider.ErrUnavailable, Message: "Microsoft Graph sent an answer that is not JSON", Status: resp.StatusCode,
			Err: fmt.Errorf("office365: decoding the Graph answer to %s %s: %w", r.method, graphPath(r.url), err)}
	}
	return nil
}

// graphFailure classifies a failed Graph answer.
func (c *Connector) graphFailure(r graphCall, resp *http.Response, raw []byte) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	ge := &GraphError{Status: resp.StatusCode, Code: truncate(body.Error.Code, 64), Message: truncate(body.Error.Message, 300),
		RequestID: truncate(resp.Header.Get("request-id"), 64)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		ge.RetryAfter = oauth2err.RetryAfter(resp.Header, c.now)
	}
	what := r.what
	if what == "" {
		what = "account"
	}
	e := &provider.Error{Status: resp.StatusCode, RetryAfter: ge.RetryAfter, Err: fmt.Errorf("office365: %s %s: %w", r.method, graphPath(r.url), ge)}
	code := strings.ToLower(ge.Code)
	withCode := func(msg string) string {
		if ge.Code != "" {
			return msg + " (" + ge.Code + ")"
		}
		return msg
	}
	switch st := resp.StatusCode; {
	case st == http.StatusGone || strings.Contains(code, "syncstatenotfound") || strings.Contains(code, "syncstateinvalid") ||
		strings.Contains(code, "resyncrequired"):
		e.Kind, e.Message = provider.ErrCursorExpired, "the sync state expired; start a new sync"
	case st == http.StatusNotFound || code == "errorinvalididmalformed" || code == "erroritemnotfound":
		e.Kind, e.Message = provider.ErrNotFound, "not found"
	case st == http.StatusPreconditionFailed || (st == http.StatusConflict && r.ifMatch != "" && code == "errorirresolvableconflict"):
		e.Kind, e.Message = provider.ErrPrecondition, "the item changed since it was read"
	case st == http.StatusConflict:
		e.Kind, e.Message = provider.ErrConflict, withCode("the change conflicts with the "+what+"'s state")
	case st == http.StatusBadRequest && r.respond && code == "errorinvalidrequest":
		e.Kind, e.Message = provider.ErrConflict, "the invitation cannot be answered (the account organizes the meeting)"
	case st == http.StatusTooManyRequests:
		e.Kind, e.Message = provider.ErrRateLimited, "Microsoft Graph is throttling this "+what
	case st >= 500:
		e.Kind, e.Message = provider.ErrUnavailable, "Microsoft Graph is unavailable"
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		e.Kind, e.Message = provider.ErrDenied, "Microsoft Graph denied access to the "+what
	case st == http.StatusRequestEntityTooLarge:
		e.Kind, e.Message = provider.ErrTooLarge, "the item is too large for Microsoft Graph"
	case code == "validationerror":
		e.Kind, e.Message = provider.ErrInvalid, "Microsoft Graph could not validate the notification URL (ValidationError)"
	default:
		e.Kind, e.Message = provider.ErrInvalid, withCode("Microsoft Graph refused the request")
	}
	return e
}

// graphPath is the URL path for error messages (no query: it may hold a
// delta token).
func graphPath(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return "?"
}

// underGraph reports whether u is a URL below the Graph base (same scheme,
// host and port, path below the version), the only place a token may go,
// with no empty or dot segment, escaped or not: an empty, "." or ".." id
// would name another resource (the collection, the calendar itself) once
// a server normalizes the path.
func (c *Connector) underGraph(u string) bool {
	base, err := url.Parse(c.graphBase())
	if err != nil {
		return false
	}
	p, err := url.Parse(u)
	if err != nil || p.User != nil || p.Fragment != "" || p.Opaque != "" {
		return false
	}
	if !strings.EqualFold(p.Scheme, base.Scheme) || !strings.EqualFold(p.Host, base.Host) || !strings.HasPrefix(u, c.graphBase()+"/") {
		return false
	}
	segs := strings.Split(strings.TrimPrefix(p.EscapedPath(), base.EscapedPath()+"/"), "/")
	for _, seg := range segs {
		if v, err := url.PathUnescape(seg); err != nil || v == "" || v == "." || v == ".." {
			return false
		}
	}
	return true
}

// graphETag puts an etag in the form Graph issues (W/"..."), so a client
// that dropped the quotes still matches.
func graphETag(v string) string {
	if strings.Contains(v, `"`) || v == "*" {
		return v
	}
	return `W/"` + v + `"`
}
