package aurinko

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
)

// DefaultBasePath is where Handler serves the API unless Config.BasePath says
// otherwise.
const DefaultBasePath = "/v1"

// DefaultHTTPTimeout bounds every call to a provider made with the default
// HTTP client.
const DefaultHTTPTimeout = 30 * time.Second

// Config configures a Server. Store and Keyring are required; every other
// field has a documented default.
type Config struct {
	// Store keeps apps, users, accounts, tokens and sessions. Required.
	// Use sqlitestore for one process and pgstore for several.
	Store store.Store
	// Keyring seals provider tokens, passwords and client secrets at rest.
	// Required: New refuses to start without one.
	Keyring *seal.Keyring
	// Logger receives the library's logs. Default: logs are discarded.
	// No token or secret is ever logged.
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// HTTPClient makes every outgoing call (token endpoints, provider
	// APIs). Default: a client with a DefaultHTTPTimeout timeout; never
	// http.DefaultClient.
	HTTPClient *http.Client
	// BasePath is the prefix of the API paths. Default: DefaultBasePath.
	// It must start with "/" and not end with "/".
	BasePath string
}

// Server is the wired backend. Create it with New; it is safe for
// concurrent use.
type Server struct {
	store    store.Store
	keyring  *seal.Keyring
	logger   *slog.Logger
	now      func() time.Time
	client   *http.Client
	basePath string
}

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("aurinko: invalid config")

// New checks cfg, fills in defaults and returns a Server. It makes no network
// call and starts no goroutine.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	}
	if cfg.Keyring == nil {
		return nil, fmt.Errorf("%w: Keyring is required: secrets are sealed at rest (see package seal)", ErrConfig)
	}
	s := &Server{
		store:    cfg.Store,
		keyring:  cfg.Keyring,
		logger:   cfg.Logger,
		now:      cfg.Now,
		client:   cfg.HTTPClient,
		basePath: cfg.BasePath,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if s.basePath == "" {
		s.basePath = DefaultBasePath
	}
	if !strings.HasPrefix(s.basePath, "/") || strings.HasSuffix(s.basePath, "/") || strings.ContainsAny(s.basePath, " ?#{}") {
		return nil, fmt.Errorf("%w: BasePath %q must start with / and not end with /", ErrConfig, s.basePath)
	}
	return s, nil
}

// Store returns the store the server was configured with.
func (s *Server) Store() store.Store { return s.store }

// Keyring returns the keyring that seals secrets.
func (s *Server) Keyring() *seal.Keyring { return s.keyring }

// BasePath returns the prefix under which Handler serves the API.
func (s *Server) BasePath() string { return s.basePath }

// Ready reports whether the server can serve: its store answers. Hosts
// call it from a readiness probe.
func (s *Server) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("aurinko: store not ready: %w", err)
	}
	return nil
}

// Handler returns the HTTP API. Mount it on the host's mux at the base path:
//
//	mux.Handle("/v1/", srv.Handler())
//
// Paths it does not serve answer 404 with a JSON error body.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, r, s.logger, apierr.New(apierr.NotFound, "no such endpoint"))
	})
	return mux
}
