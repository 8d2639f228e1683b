package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
)

// Defaults of Config.
const (
	DefaultStateTTL         = 15 * time.Minute
	DefaultCodeTTL          = 5 * time.Minute
	DefaultSignatureMaxSkew = 5 * time.Minute
)

// Config configures the auth and user endpoints.
type Config struct {
	Accounts *accounts.Service // required
	Sessions *session.Manager  // required
	Keyring  *seal.Keyring     // required: seals the PKCE verifier inside the stored flow state
	// PublicURL is the external URL of the API prefix as browsers and
	// providers reach it, e.g. "https://api.example.com/v1". The provider
	// callback is PublicURL + "/auth/callback"; register that URL with
	// each provider. Required.
	PublicURL string
	// StateTTL bounds how long a user may take at the provider.
	// Default DefaultStateTTL.
	StateTTL time.Duration
	// CodeTTL bounds the life of the one-time code handed to returnUrl.
	// Default DefaultCodeTTL.
	CodeTTL time.Duration
	// SignatureMaxSkew is how far the timestamp of a userSignature may be
	// from now. Default DefaultSignatureMaxSkew.
	SignatureMaxSkew time.Duration
	// InsecureCookies drops the Secure attribute of the flow cookie, for
	// local development over plain http only.
	InsecureCookies bool
	Now             func() time.Time // default time.Now
	Logger          *slog.Logger     // default: discard
}

// Handler serves the /auth, /user, /account and /am endpoints.
type Handler struct {
	accounts  *accounts.Service
	store     store.Store
	sessions  *session.Manager
	keyring   *seal.Keyring
	public    *url.URL
	prefix    string // path of PublicURL, e.g. "/v1"
	stateTTL  time.Duration
	codeTTL   time.Duration
	maxSkew   time.Duration
	insecure  bool
	now       func() time.Time
	logger    *slog.Logger
	flowPaths string
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Accounts == nil || cfg.Sessions == nil || cfg.Keyring == nil {
		return nil, errors.New("auth: Accounts, Sessions and Keyring are required")
	}
	pu, err := url.Parse(cfg.PublicURL)
	if err != nil || pu.Host == "" || pu.Scheme != "https" && pu.Scheme != "http" || pu.RawQuery != "" || pu.Fragment != "" {
		return nil, fmt.Errorf("auth: PublicURL %q must be an absolute http(s) URL without query", cfg.PublicURL)
	}
	pu.Path = strings.TrimSuffix(pu.Path, "/")
	h := &Handler{
		accounts: cfg.Accounts, store: cfg.Accounts.Store(), sessions: cfg.Sessions, keyring: cfg.Keyring,
		public: pu, prefix: pu.Path, stateTTL: cfg.StateTTL, codeTTL: cfg.CodeTTL, maxSkew: cfg.SignatureMaxSkew,
		insecure: cfg.InsecureCookies, now: cfg.Now, logger: cfg.Logger,
	}
	if h.stateTTL <= 0 {
		h.stateTTL = DefaultStateTTL
	}
	if h.codeTTL <= 0 {
		h.codeTTL = DefaultCodeTTL
	}
	if h.maxSkew <= 0 {
		h.maxSkew = DefaultSignatureMaxSkew
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	h.flowPaths = h.prefix + "/auth/"
	return h, nil
}

// CallbackURL is the redirect URI to register with every provider.
func (h *Handler) CallbackURL() string { return h.public.String() + "/auth/callback" }

// Register adds the endpoints to mux under prefix (e.g. "/v1"). The mux
// must be wrapped in the session middleware (session.Manager.Middleware).
func (h *Handler) Register(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/auth/authorize", h.authorize)
	mux.HandleFunc("GET "+prefix+"/auth/authorizeUser", h.authorizeUser)
	mux.HandleFunc("GET "+prefix+"/auth/authorizeDaemon", h.authorizeDaemon)
	mux.HandleFunc("GET "+prefix+"/auth/callback", h.callback)
	mux.HandleFunc("POST "+prefix+"/auth/token/{code}", h.token)
	mux.HandleFunc("POST "+prefix+"/auth/sso", h.sso)
	mux.HandleFunc("GET "+prefix+"/auth/password", h.passwordFormPage)
	mux.HandleFunc("POST "+prefix+"/auth/password", h.passwordSubmit)
	mux.HandleFunc("GET "+prefix+"/auth/token/{code}", h.token) // deprecated in the Aurinko API; kept for old clients

	mux.HandleFunc("GET "+prefix+"/user", h.getUser)
	mux.HandleFunc("GET "+prefix+"/user/accounts", h.listUserAccounts)
	mux.HandleFunc("GET "+prefix+"/user/accounts/{id}", h.getUserAccount)
	mux.HandleFunc("DELETE "+prefix+"/user/accounts/{id}", h.deleteUserAccount)
	mux.HandleFunc("PATCH "+prefix+"/user/settings", h.patchUserSettings)
	mux.HandleFunc("GET "+prefix+"/user/settings", h.getUserSettings)
	mux.HandleFunc("POST "+prefix+"/user/logout", h.logout)
	mux.HandleFunc("GET "+prefix+"/org/settings", h.getOrgSettings)

	mux.HandleFunc("GET "+prefix+"/account", h.getAccount)
	mux.HandleFunc("DELETE "+prefix+"/account", h.deleteAccount)
	mux.HandleFunc("DELETE "+prefix+"/account/token", h.deleteAccountToken)

	mux.HandleFunc("GET "+prefix+"/am/accounts", h.amListAccounts)
	mux.HandleFunc("GET "+prefix+"/am/accounts/{id}", h.amGetAccount)
	mux.HandleFunc("DELETE "+prefix+"/am/accounts/{id}", h.amDeleteAccount)
	mux.HandleFunc("GET "+prefix+"/am/organizations/{id}/settings", h.amGetOrgSettings)
	mux.HandleFunc("PATCH "+prefix+"/am/organizations/{id}/settings", h.amPatchOrgSettings)
}

// fail writes an API error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	apierr.Write(w, r, h.logger, err)
}
