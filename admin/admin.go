package admin

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/webhooks"
)

// Defaults of Config.
const (
	DefaultUsername     = "admin"
	DefaultPageSize     = 50
	DefaultSearchBudget = 10000
	// DefaultCSRFTTL is how long a CSRF token of a rendered form is
	// accepted.
	DefaultCSRFTTL = 12 * time.Hour
)

// Config configures the console. Accounts and at least one of PasswordHash
// and Authorize are required.
type Config struct {
	// Accounts is the server's account service (srv.Accounts()); the
	// console reads the store and the connector registry through it.
	// Required.
	Accounts *accounts.Service
	// Keyring is the server's keyring (srv.Keyring()). It enables
	// re-sealing every secret under its first key; nil disables it.
	// (Forcing a token refresh goes through Accounts and needs no keyring
	// here.)
	// It must be the keyring the server runs with: re-sealing under a key
	// the server does not hold would make every secret unreadable.
	Keyring *seal.Keyring

	// Username is the HTTP Basic user name. Default DefaultUsername.
	Username string
	// PasswordHash is the bcrypt hash of the HTTP Basic password (as
	// written by bcrypt.GenerateFromPassword or htpasswd -B). "" disables
	// HTTP Basic.
	PasswordHash string
	// Authorize, when set, admits a request the host has authenticated in
	// its own way (an SSO proxy, a client certificate). It is asked first;
	// when it returns false, HTTP Basic is tried. It must not admit
	// requests on the strength of an aurinko user session or account
	// token.
	Authorize func(r *http.Request) bool

	// BasePath is the path under which the browser sees the console,
	// e.g. "/admin": links and redirects are built from it. "" derives it
	// from each request (the part of the request URI that
	// http.StripPrefix removed). It must start with "/" and not end with
	// "/".
	BasePath string
	// CSRFKey signs the CSRF tokens of forms; at least 32 bytes. Default:
	// random per New, so a form rendered by one instance is refused by
	// another: set it when several instances serve the console behind one
	// name.
	CSRFKey []byte
	// CSRFTTL is how long a rendered form can be submitted. Default
	// DefaultCSRFTTL.
	CSRFTTL time.Duration

	// PageSize is the number of rows of a list page. Default
	// DefaultPageSize; at most store.MaxPageLimit-1.
	PageSize int
	// SearchBudget bounds the records a search scans per request.
	// Default DefaultSearchBudget.
	SearchBudget int
	// JobKinds are the job kinds whose queue counts the jobs page shows,
	// besides webhooks.JobKind.
	JobKinds []string

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives an audit line per action (with the admin principal)
	// and errors. Default: discard.
	Logger *slog.Logger
}

//go:embed templates/*.html static/*
var files embed.FS

// console is the admin handler.
type console struct {
	store    store.Store
	accounts *accounts.Service
	keyring  *seal.Keyring
	now      func() time.Time
	logger   *slog.Logger

	basePath  string
	pageSize  int
	budget    int
	jobKinds  []string
	csrfKey   []byte
	csrfTTL   time.Duration
	username  string
	hash      []byte
	authorize func(*http.Request) bool
	basic     basicCache

	pages    map[string]*template.Template
	static   fs.FS
	rotation rotation
	handler  http.Handler // pages, and the JSON API under /api
	api      http.Handler // the JSON API alone
}

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("admin: invalid config")

// Console is the admin console. It serves its HTML pages, and its JSON API
// under /api/ (ServeHTTP); API gives the JSON API alone, to mount under a
// prefix of the host's choice. Both ask for the same credentials and share
// their state (a key rotation started from one shows in the other).
type Console struct {
	c *console
}

// New checks cfg and returns the console.
func New(cfg Config) (*Console, error) {
	c, err := newConsole(cfg)
	if err != nil {
		return nil, err
	}
	return &Console{c: c}, nil
}

// ServeHTTP serves the console: pages at /, the JSON API at /api/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.c.handler.ServeHTTP(w, r) }

// API returns the JSON API for scripts alone: the endpoints the console
// serves under /api/, at the root of the returned handler. The host mounts
// it with http.StripPrefix under a path of its choosing:
//
//	mux.Handle("/v1/admin/", http.StripPrefix("/v1/admin", console.API()))
//
// Not under /v1/am/: that is the Aurinko app-management API, which
// aurinko's own handler serves to apps with their client credentials.
func (c *Console) API() http.Handler { return c.c.api }

func newConsole(cfg Config) (*console, error) {
	if cfg.Accounts == nil {
		return nil, fmt.Errorf("%w: Accounts is required", ErrConfig)
	}
	if cfg.PasswordHash == "" && cfg.Authorize == nil {
		return nil, fmt.Errorf("%w: PasswordHash or Authorize is required: the console needs its own credentials", ErrConfig)
	}
	c := &console{
		store: cfg.Accounts.Store(), accounts: cfg.Accounts, keyring: cfg.Keyring,
		now: cfg.Now, logger: cfg.Logger, basePath: cfg.BasePath,
		pageSize: cfg.PageSize, budget: cfg.SearchBudget, csrfTTL: cfg.CSRFTTL,
		username: cfg.Username, authorize: cfg.Authorize,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.basePath != "" && (!strings.HasPrefix(c.basePath, "/") || strings.HasSuffix(c.basePath, "/") || strings.ContainsAny(c.basePath, " ?#\"'<>\\")) {
		return nil, fmt.Errorf("%w: BasePath %q must start with / and not end with /", ErrConfig, c.basePath)
	}
	if c.pageSize <= 0 {
		c.pageSize = DefaultPageSize
	}
	if c.pageSize >= store.MaxPageLimit {
		return nil, fmt.Errorf("%w: PageSize must be below %d", ErrConfig, store.MaxPageLimit)
	}
	if c.budget <= 0 {
		c.budget = DefaultSearchBudget
	}
	if c.csrfTTL <= 0 {
		c.csrfTTL = DefaultCSRFTTL
	}
	if c.username == "" {
		c.username = DefaultUsername
	}
	if cfg.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(cfg.PasswordHash)); err != nil {
			return nil, fmt.Errorf("%w: PasswordHash is not a bcrypt hash: %w", ErrConfig, err)
		}
		c.hash = []byte(cfg.PasswordHash)
	}
	switch {
	case cfg.CSRFKey == nil:
		c.csrfKey = make([]byte, 32)
		rand.Read(c.csrfKey)
	case len(cfg.CSRFKey) < 32:
		return nil, fmt.Errorf("%w: CSRFKey must have at least 32 bytes", ErrConfig)
	default:
		c.csrfKey = append([]byte(nil), cfg.CSRFKey...)
	}
	c.basic.key = make([]byte, 32)
	rand.Read(c.basic.key)
	c.jobKinds = []string{webhooks.JobKind}
	for _, k := range cfg.JobKinds {
		if k != "" && k != webhooks.JobKind {
			c.jobKinds = append(c.jobKinds, k)
		}
	}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if c.static, err = fs.Sub(files, "static"); err != nil {
		return nil, fmt.Errorf("admin: static files: %w", err)
	}
	c.routes()
	return c, nil
}

// routes builds the handlers of the pages and of the JSON API: each is
// security headers, then credentials, then the cross-origin check, then
// its mux. c.handler serves the API under /api/ too.
func (c *console) routes() {
	pages, api := http.NewServeMux(), http.NewServeMux()
	c.page(pages, api, "/{$}", "overview", c.overview)
	c.page(pages, api, "/apps", "apps", c.apps)
	c.page(pages, api, "/users", "users", c.users)
	c.page(pages, api, "/users/{id}", "user", c.user)
	c.page(pages, api, "/organizations", "organizations", c.organizations)
	c.page(pages, api, "/organizations/{id}", "organization", c.organization)
	c.page(pages, api, "/accounts", "accounts", c.accountList)
	c.page(pages, api, "/accounts/{id}", "account", c.account)
	c.page(pages, api, "/subscriptions", "subscriptions", c.subscriptionList)
	c.page(pages, api, "/jobs", "jobs", c.jobs)
	c.page(pages, api, "/keys", "keys", c.keys)

	c.action(pages, "/accounts/{id}/deactivate", c.deactivateForm)
	c.action(pages, "/accounts/{id}/delete", c.deleteForm)
	c.action(pages, "/accounts/{id}/refresh", c.refreshForm)
	c.action(pages, "/jobs/{id}/requeue", c.requeueForm)
	c.action(pages, "/keys/rotate", c.rotateForm)

	c.apiAction(api, "POST /accounts/{id}/deactivate", c.deactivateJSON)
	c.apiAction(api, "DELETE /accounts/{id}", c.deleteJSON)
	c.apiAction(api, "POST /accounts/{id}/refresh", c.refreshJSON)
	c.apiAction(api, "POST /jobs/{id}/requeue", c.requeueJSON)
	c.apiAction(api, "POST /keys/rotate", c.rotateJSON)

	pages.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(c.static)))
	notFound := func(w http.ResponseWriter, r *http.Request) { c.fail(w, r, errNotFound("no such page")) }
	pages.HandleFunc("/", notFound)
	api.HandleFunc("/", notFound)
	cop := http.NewCrossOriginProtection()
	c.api = markAPI(c.secure(c.authenticate(cop.Handler(api))))
	root := http.NewServeMux()
	root.Handle("/api/", http.StripPrefix("/api", c.api))
	root.Handle("/", c.secure(c.authenticate(cop.Handler(pages))))
	c.handler = root
}

// secure sets the response headers every answer carries.
func (c *console) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// base returns the path prefix of the console as the browser sees it.
func (c *console) base(r *http.Request) string {
	if c.basePath != "" {
		return c.basePath
	}
	// http.StripPrefix leaves RequestURI alone: what it removed is the
	// part of RequestURI's path before r.URL's path.
	full, _, _ := strings.Cut(r.RequestURI, "?")
	if p, ok := strings.CutSuffix(full, r.URL.EscapedPath()); ok && strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\"'<>\\ ") {
		return strings.TrimSuffix(p, "/")
	}
	return ""
}
