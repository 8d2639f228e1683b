package unified

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
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
}

// Handler serves the unified API endpoints.
type Handler struct {
	accounts     *accounts.Service
	transport    http.RoundTripper
	maxRetryWait time.Duration
	sleep        func(ctx context.Context, d time.Duration) error
	logger       *slog.Logger
	prefix       string
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Accounts == nil {
		return nil, errors.New("unified: Accounts is required")
	}
	h := &Handler{accounts: cfg.Accounts, transport: cfg.Transport, maxRetryWait: cfg.MaxRetryWait, sleep: cfg.Sleep, logger: cfg.Logger}
	if h.transport == nil {
		h.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
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
	return h, nil
}

// Register adds the endpoints to mux under prefix (e.g. "/v1"). The mux
// must be wrapped in the session middleware.
func (h *Handler) Register(mux *http.ServeMux, prefix string) {
	h.prefix = prefix
	mux.HandleFunc(prefix+"/direct/{path...}", h.direct)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	apierr.Write(w, r, h.logger, err)
}
