package aurinko

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/auth"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
	"github.com/aurinko-go/aurinko/unified"
	"github.com/aurinko-go/aurinko/webhooks"
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
	// PublicURL is the server's external base URL as browsers and
	// providers reach it, without the base path, e.g.
	// "https://api.example.com". The OAuth callback registered with every
	// provider is PublicURL + BasePath + "/auth/callback". Required.
	PublicURL string
	// Connectors are the providers users can connect (connectors/google,
	// connectors/office365, connectors/oidc, connectors/oauth2, ...). One
	// per service type.
	Connectors []connectors.Connector
	// Session configures sessions; its Store, Now and Logger are filled
	// from this Config. Zero values take package session's defaults (idle
	// timeout 14 days, lifetime 90 days, Secure SameSite=None cookies).
	Session session.Config
	// DisableCookieSessions makes the server bearer-only: browsers are
	// never allowed to send credentials cross-origin (no
	// Access-Control-Allow-Credentials). Default false: add-ins may use the
	// session cookie that authorizeUser sets.
	DisableCookieSessions bool
	// OriginCacheTTL is how long the allowed CORS origins of all apps are
	// cached. Default 30 seconds.
	OriginCacheTTL time.Duration
	// Tokens tunes the provider-token lifecycle: refresh margin, the
	// cross-instance refresh lock, retries, and OnTerminal, the hook told
	// when an account loses its grant. Zero values take package accounts'
	// defaults.
	Tokens accounts.TokenConfig
	// Refresher tunes the background token refresher that Run starts.
	Refresher accounts.RefresherConfig
	// Webhooks tunes subscriptions and deliveries (retry window, timeouts,
	// AllowInsecureTargets for development, poll intervals); its Store,
	// Keyring, Now and Logger are filled from this Config, and its Feed and
	// Push from the unified API and the connectors: a subscription is
	// watched by delta sync, and through the provider's push (Graph
	// subscriptions, Gmail watch) where the connector has one. Providers
	// push to {PublicURL}{BasePath}/webhooks/push/{serviceType}.
	Webhooks webhooks.Config
	// DisableWatching turns provider watching off: subscriptions are then
	// notified only when the host calls Webhooks().Notify.
	DisableWatching bool
	// Jobs tunes the background job runner that Run starts (concurrency,
	// polling, leases); its Store, Handlers, Now and Logger are filled from
	// this Config. Deliveries are bounded by Webhooks.RetryWindow, so
	// MaxAttempts defaults to 1000 here.
	Jobs jobs.Config

	// MeterProvider receives the server's metrics (token refreshes,
	// provider calls, rate limits, webhook deliveries, job runs and queue
	// depth, session lookups, request durations; see package telemetry).
	// Default: none are recorded. The global provider of package otel is
	// never used.
	MeterProvider metric.MeterProvider
	// TracerProvider receives the server's spans: one per API request
	// (named by its route pattern), with children for provider calls and
	// token refreshes, and one per background job run. Default: none are
	// recorded. The global provider of package otel is never used.
	TracerProvider trace.TracerProvider
}

// Server is the wired backend. Create it with New; it is safe for
// concurrent use.
type Server struct {
	store     store.Store
	keyring   *seal.Keyring
	logger    *slog.Logger
	now       func() time.Time
	client    *http.Client
	basePath  string
	publicURL string
	refresh   accounts.RefresherConfig

	connectors *connectors.Registry
	accounts   *accounts.Service
	sessions   *session.Manager
	auth       *auth.Handler
	unified    *unified.Handler
	webhooks   *webhooks.Service
	jobs       *jobs.Runner
	tel        *telemetry.Telemetry
	origins    *originCache
	cookies    bool
	handler    http.Handler
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
	} else {
		// Records logged with a request's context carry its requestId.
		s.logger = slog.New(requestIDHandler{s.logger.Handler()})
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
	if cfg.PublicURL == "" {
		return nil, fmt.Errorf("%w: PublicURL is required (the OAuth callback is built from it)", ErrConfig)
	}
	s.publicURL = cfg.PublicURL
	var err error
	if cfg.MeterProvider != nil || cfg.TracerProvider != nil {
		if s.tel, err = telemetry.New(telemetry.Config{MeterProvider: cfg.MeterProvider, TracerProvider: cfg.TracerProvider}); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if s.connectors, err = connectors.NewRegistry(cfg.Connectors...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.refresh = cfg.Refresher
	if s.accounts, err = accounts.New(accounts.Config{Store: s.store, Keyring: s.keyring, Connectors: s.connectors,
		Now: s.now, Logger: s.logger, Tokens: cfg.Tokens, Telemetry: s.tel}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	sc := cfg.Session
	sc.Store, sc.Now, sc.Logger, sc.Telemetry = s.store, s.now, s.logger, s.tel
	if s.sessions, err = session.New(sc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s.auth, err = auth.New(auth.Config{Accounts: s.accounts, Sessions: s.sessions, Keyring: s.keyring,
		PublicURL: strings.TrimSuffix(cfg.PublicURL, "/") + s.basePath, InsecureCookies: sc.InsecureCookies,
		Now: s.now, Logger: s.logger}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s.unified, err = unified.New(unified.Config{Accounts: s.accounts, Transport: s.client.Transport, Logger: s.logger,
		Keyring: s.keyring, Now: s.now, HTTPClient: s.client, Telemetry: s.tel}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	wc := cfg.Webhooks
	wc.Store, wc.Keyring, wc.Now, wc.Logger, wc.Telemetry = s.store, s.keyring, s.now, s.logger, s.tel
	if wc.Feed == nil && !cfg.DisableWatching {
		wc.Feed = feed{u: s.unified, now: s.now}
	}
	if wc.Push == nil && !cfg.DisableWatching {
		wc.Push = pushes{s: s}
	}
	if s.webhooks, err = webhooks.New(wc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	jc := cfg.Jobs
	jc.Store, jc.Now, jc.Logger, jc.Telemetry = s.store, s.now, s.logger, s.tel
	jc.Handlers = map[string]jobs.Handler{webhooks.JobKind: s.webhooks.Deliver, webhooks.PollJobKind: s.webhooks.Poll}
	if jc.MaxAttempts == 0 {
		jc.MaxAttempts = 1000
	}
	if s.jobs, err = jobs.New(jc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	ttl := cfg.OriginCacheTTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	s.cookies = !cfg.DisableCookieSessions
	s.origins = &originCache{store: s.store, ttl: ttl, now: s.now, logger: s.logger}
	s.handler = s.buildHandler()
	return s, nil
}

// Run does the server's background work until ctx is done, then returns
// nil: the job runner (webhook deliveries) and the token refresher (idle
// grants, and grants about to expire when Config.Refresher.Ahead is set).
// Several instances sharing a store may each run it: every job runs once
// and every grant is refreshed by one of them.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- s.jobs.Run(ctx) }()
	go func() { errc <- s.accounts.RunRefresher(ctx, s.refresh) }()
	return errors.Join(<-errc, <-errc)
}

// Webhooks returns the subscription and delivery service: Notify queues
// notifications, SigningSecret gives an app's secret.
func (s *Server) Webhooks() *webhooks.Service { return s.webhooks }

// Email is the unified Email API as Go methods (what the /v1/email
// endpoints call): a host reads and sends mail for an account without
// HTTP. Calls name the account with a unified.AccountRef.
func (s *Server) Email() *unified.Email { return s.unified.Email() }

// Calendar is the unified Calendar API as Go methods (/v1/calendars).
func (s *Server) Calendar() *unified.Calendar { return s.unified.Calendar() }

// Contacts is the unified Contacts API as Go methods (/v1/contacts).
func (s *Server) Contacts() *unified.Contacts { return s.unified.Contacts() }

// Tasks is the unified Tasks API as Go methods (/v1/tasklists).
func (s *Server) Tasks() *unified.Tasks { return s.unified.Tasks() }

// Accounts returns the account service: apps, users, accounts, tokens.
func (s *Server) Accounts() *accounts.Service { return s.accounts }

// Sessions returns the session manager.
func (s *Server) Sessions() *session.Manager { return s.sessions }

// Connectors returns the registry of the configured connectors.
func (s *Server) Connectors() *connectors.Registry { return s.connectors }

// CallbackURL is the OAuth redirect URI to register with every provider.
func (s *Server) CallbackURL() string { return s.auth.CallbackURL() }

// AppSpec describes a client application: its clientId, its client secret
// (sealed before it is stored), its allowed return URLs (matched exactly,
// see auth.MatchReturnURL) and the browser origins allowed to call the API.
type AppSpec = accounts.AppSpec

// PutApp registers an app or replaces its registration.
func (s *Server) PutApp(ctx context.Context, spec AppSpec) error {
	if err := s.accounts.PutApp(ctx, spec); err != nil {
		return err
	}
	s.origins.invalidate()
	return nil
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
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	s.auth.Register(mux, s.basePath)
	s.unified.Register(mux, s.basePath)
	s.webhooks.Register(mux, s.basePath)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, r, s.logger, apierr.New(apierr.NotFound, "no such endpoint"))
	})
	cors := session.CORS(session.CORSConfig{Origins: func(r *http.Request, origin string) (bool, bool) {
		ok := s.origins.allowed(r.Context(), origin)
		return ok, ok && s.cookies
	}})
	api := cors(s.sessions.Middleware(s.tel.Routes(mux)))
	// The providers' push endpoint is outside the session middleware:
	// providers authenticate as the connector checks (a Pub/Sub push
	// carries Google's JWT as its bearer token, which is no session).
	// A prefix check, not a second mux, keeps the hot path to one route
	// lookup.
	push := http.NewServeMux()
	s.webhooks.RegisterPush(push, s.basePath)
	push.Handle("/", api) // other methods, or no push configured: the API's JSON 404
	pushPrefix := s.basePath + "/webhooks/push/"
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, pushPrefix) {
			push.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
	// Every request gets a span named by the route that matched.
	return requestIDs(s.tel.Middleware(s.tel.Routes(outer)))
}
