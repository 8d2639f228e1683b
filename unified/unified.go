package unified

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"time"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/telemetry"
)

// Config configures the unified API handlers.
type Config struct {
	Accounts *accounts.Service // required
	// Transport carries the calls to providers. Default:
	// http.DefaultTransport's settings in a transport of its own.
	Transport http.RoundTripper
	// MaxRetryWait is the longest provider Retry-After the direct proxy
	// waits out before retrying an idempotent request. Default
	// DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Sleep waits; tests inject a fake. Default: a timer.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
	// Keyring seals the page and delta tokens of the email API, so that
	// clients can neither read nor alter them and a token of one account
	// is refused for another. Required.
	Keyring *seal.Keyring
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// HTTPClient is the base of the clients that call providers for the
	// email API (the account's token is added per request). Default: a
	// client on Transport with a 30 second timeout.
	HTTPClient *http.Client
	// MaxAttachmentSize is the largest attachment the email API returns;
	// larger ones answer 413. Default DefaultMaxAttachmentSize.
	MaxAttachmentSize int64
	// MaxSendSize bounds the JSON body of a send. Default
	// DefaultMaxSendSize.
	MaxSendSize int64
	// Telemetry records every call to a provider (a client span, counts
	// and durations by connector and status class) and the direct
	// proxy's rate-limit waits. Nil records nothing.
	Telemetry *telemetry.Telemetry
}

// Handler serves the unified API endpoints.
type Handler struct {
	accounts     *accounts.Service
	transport    http.RoundTripper
	maxRetryWait time.Duration
	sleep        func(ctx context.Context, d time.Duration) error
	logger       *slog.Logger
	prefix       string
	proxy        *httputil.ReverseProxy

	tokens        tokens
	now           func() time.Time
	client        *http.Client
	maxAttachment int64
	maxSend       int64
	tel           *telemetry.Telemetry
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Accounts == nil {
		return nil, errors.New("unified: Accounts is required")
	}
	if cfg.Keyring == nil {
		return nil, errors.New("unified: Keyring is required (it seals page and delta tokens)")
	}
	h := &Handler{accounts: cfg.Accounts, transport: cfg.Transport, maxRetryWait: cfg.MaxRetryWait, sleep: cfg.Sleep, logger: cfg.Logger,
		now: cfg.Now, client: cfg.HTTPClient, maxAttachment: cfg.MaxAttachmentSize, maxSend: cfg.MaxSendSize,
		tel: cfg.Telemetry}
	if h.transport == nil {
		h.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.client == nil {
		h.client = &http.Client{Transport: h.transport, Timeout: 30 * time.Second}
	}
	if h.maxAttachment <= 0 {
		h.maxAttachment = DefaultMaxAttachmentSize
	}
	if h.maxSend <= 0 {
		h.maxSend = DefaultMaxSendSize
	}
	h.tokens = tokens{keyring: cfg.Keyring, now: h.now}
	if h.maxRetryWait <= 0 {
		h.maxRetryWait = DefaultMaxRetryWait
	}
	if h.sleep == nil {
		h.sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	h.proxy = h.newDirectProxy()
	return h, nil
}

// Register adds the endpoints to mux under prefix (e.g. "/v1"). The mux
// must be wrapped in the session middleware.
func (h *Handler) Register(mux *http.ServeMux, prefix string) {
	h.prefix = prefix
	mux.HandleFunc(prefix+"/direct/{path...}", h.direct)
	h.registerEmail(mux, prefix)
	h.registerCalendar(mux, prefix)
	h.registerContacts(mux, prefix)
	h.registerTasks(mux, prefix)
}

// providerClient is the base client of calls to serviceType's provider:
// h.client, its transport recorded by telemetry.
func (h *Handler) providerClient(serviceType string) *http.Client {
	if h.tel == nil {
		return h.client
	}
	c := *h.client
	c.Transport = h.tel.Transport(h.client.Transport, serviceType)
	return &c
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	apierr.Write(w, r, h.logger, err)
}
