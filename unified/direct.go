package unified

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/telemetry"
)

// Limits of the direct proxy.
const (
	// DefaultMaxRetryWait is the longest Retry-After the proxy waits out
	// itself before retrying an idempotent request; longer ones are passed
	// to the client.
	DefaultMaxRetryWait = 10 * time.Second
	// directRetries bounds the retries of one proxied request.
	directRetries = 2
)

// forwardedRequestHeaders are the only client headers sent upstream. The
// client's Authorization, Cookie and X-Aurinko-* headers never are.
var forwardedRequestHeaders = []string{
	"Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match",
	"If-Modified-Since", "If-Unmodified-Since", "Range", "Prefer", "ConsistencyLevel",
}

// forwardedResponseHeaders are the only provider headers sent back.
var forwardedResponseHeaders = []string{
	"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified",
	"Retry-After", "Cache-Control", "Content-Disposition", "Preference-Applied", "Location",
}

// direct is ANY /direct/{path...}: the account's provider API, with its
// fresh token.
func (h *Handler) direct(w http.ResponseWriter, r *http.Request) {
	p, err := h.account(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.accounts.Account(r.Context(), p.AppID, p.UserID, p.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, ok := h.accounts.Connectors().Get(a.ServiceType)
	if !ok {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "no connector for %s", a.ServiceType))
		return
	}
	baser, ok := c.(connectors.APIBaser)
	if !ok || baser.APIBaseURL(a.ServerURL) == "" {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "%s has no direct API", a.ServiceType))
		return
	}
	target, err := directTargetURL(baser.APIBaseURL(a.ServerURL), h.prefix+"/direct", r.URL)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tok, err := h.accounts.AccessToken(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := context.WithValue(r.Context(), directKey{}, directTarget{url: target, token: tok.AccessToken, serviceType: a.ServiceType})
	if h.tel != nil {
		ctx = telemetry.WithConnector(ctx, a.ServiceType)
	}
	h.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// directKey carries a request's upstream target into the shared proxy.
type directKey struct{}

// directTarget is where a direct request goes and with which token.
type directTarget struct {
	url         *url.URL
	token       string
	serviceType string
}

// newDirectProxy builds the one reverse proxy the direct API uses; each
// request brings its target and token in its context.
func (h *Handler) newDirectProxy() *httputil.ReverseProxy {
	allow := func(names []string) map[string]bool {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			m[http.CanonicalHeaderKey(n)] = true
		}
		return m
	}
	reqAllowed, respAllowed := allow(forwardedRequestHeaders), allow(forwardedResponseHeaders)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			dt, _ := pr.In.Context().Value(directKey{}).(directTarget)
			out := pr.Out
			out.URL = dt.url
			out.Host = dt.url.Host
			// Out.Header is the proxy's copy of the request's headers:
			// keep the allowlisted ones, in place. No X-Forwarded-*: the
			// provider needs nothing about our clients. Let the transport
			// negotiate compression.
			for k := range out.Header {
				if !reqAllowed[k] {
					delete(out.Header, k)
				}
			}
			out.Header["Authorization"] = []string{"Bearer " + dt.token}
		},
		Transport: &retryTransport{base: h.tel.Transport(h.transport, ""), maxWait: h.maxRetryWait, sleep: h.sleep,
			tel: h.tel},
		// FlushInterval 0: ReverseProxy flushes at once anyway for event
		// streams and answers of unknown length, and a known-length body
		// (a large download) is copied through a fixed buffer; flushing
		// after every write would cost a syscall per chunk.
		FlushInterval: 0,
		ModifyResponse: func(resp *http.Response) error {
			for k := range resp.Header {
				if !respAllowed[k] {
					delete(resp.Header, k)
				}
			}
			if resp.Uncompressed {
				resp.Header.Del("Content-Length")
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the client went away
			}
			h.fail(w, r, apierr.Wrap(err, apierr.ProviderUnavailable, "the provider could not be reached"))
		},
	}
}

// directTargetURL maps the request path below prefix onto base. It refuses any
// path that could leave base: dot segments, encoded slashes, backslashes or
// dots, and empty segments.
func directTargetURL(base, prefix string, in *url.URL) (*url.URL, error) {
	b, err := url.Parse(base)
	if err != nil || b.Scheme == "" || b.Host == "" {
		return nil, fmt.Errorf("unified: bad API base URL: %w", err)
	}
	raw := in.EscapedPath()
	rest, ok := strings.CutPrefix(raw, prefix)
	if !ok || rest != "" && !strings.HasPrefix(rest, "/") || !cleanDirectPath(rest) {
		return nil, apierr.New(apierr.InvalidInput, "invalid direct API path")
	}
	out := *b
	out.RawPath = ""
	out.Path = strings.TrimSuffix(b.Path, "/") + rest
	if p, err := url.PathUnescape(out.Path); err == nil {
		out.Path = p
	}
	out.RawPath = strings.TrimSuffix(b.EscapedPath(), "/") + rest
	out.RawQuery = in.RawQuery
	return &out, nil
}

// cleanDirectPath reports whether an escaped path after /direct has no
// encoded slash, backslash, dot or NUL (%2f %5c %2e %00, any case), no
// backslash, and no empty, "." or ".." segment, without allocating: it
// runs on every proxied request.
func cleanDirectPath(rest string) bool {
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			return false
		case '%':
			if i+2 < len(rest) {
				hi, lo := lower(rest[i+1]), lower(rest[i+2])
				if hi == '2' && (lo == 'f' || lo == 'e') || hi == '5' && lo == 'c' || hi == '0' && lo == '0' {
					return false
				}
			}
		}
	}
	if rest == "" {
		return true
	}
	for seg := range strings.SplitSeq(rest[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// retryTransport retries idempotent requests without a body when the
// provider answers 429 or 503 with a Retry-After it can wait out.
type retryTransport struct {
	base    http.RoundTripper
	maxWait time.Duration
	sleep   func(ctx context.Context, d time.Duration) error
	tel     *telemetry.Telemetry
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	idempotent := (req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions ||
		req.Method == http.MethodDelete) && (req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0)
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil || !idempotent || attempt >= directRetries ||
			resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			return resp, err
		}
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok || wait > t.maxWait {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		dt, _ := req.Context().Value(directKey{}).(directTarget)
		t.tel.RateLimitWait(req.Context(), dt.serviceType, telemetry.WaiterDirect, wait)
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// account returns the account principal of a request.
func (h *Handler) account(r *http.Request) (session.Principal, error) {
	if err := session.ErrorFromContext(r.Context()); err != nil {
		return session.Principal{}, err
	}
	p, ok := session.FromContext(r.Context())
	if !ok || p.Kind == session.KindNone {
		return p, apierr.New(apierr.Unauthorized, "unauthorized")
	}
	if p.AccountID == 0 {
		return p, apierr.New(apierr.InvalidInput, "no account selected: send the X-Aurinko-Account-Id header")
	}
	return p, nil
}
