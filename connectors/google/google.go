package google

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
	"github.com/aurinko-go/aurinko/unified/calendar"
	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/email"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// ServiceType is the Aurinko serviceType of the connector.
const ServiceType = "Google"

// Google's production endpoints, the defaults of Endpoints.
const (
	DefaultAuthURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	DefaultTokenURL    = "https://oauth2.googleapis.com/token"
	DefaultIssuer      = "https://accounts.google.com"
	DefaultJWKSURL     = "https://www.googleapis.com/oauth2/v3/certs"
	DefaultUserInfoURL = "https://openidconnect.googleapis.com/v1/userinfo"
	DefaultRevokeURL   = "https://oauth2.googleapis.com/revoke"
	DefaultAPIBaseURL  = "https://www.googleapis.com"
	// The root URLs of the Calendar, People and Tasks APIs, as their
	// discovery documents name them (rootUrl); the connector appends the
	// API's paths: calendar/v3/..., v1/people/..., tasks/v1/....
	DefaultCalendarBaseURL = "https://www.googleapis.com"
	DefaultPeopleBaseURL   = "https://people.googleapis.com"
	DefaultTasksBaseURL    = "https://tasks.googleapis.com"
)

// Config configures the Google connector.
type Config struct {
	// ClientID and ClientSecret are the OAuth client of type "Web
	// application" from the Google Cloud console. Both are required.
	ClientID, ClientSecret string
	// HostedDomains, when not empty, restricts sign-in to Google Workspace
	// accounts of these domains: the id_token's hd claim must be one of
	// them (case-insensitive). Consumer accounts (no hd) are then refused.
	HostedDomains []string
	// AllowedAudiences are further OAuth client IDs whose id_tokens
	// SignInWithToken accepts besides ClientID: the client of a Chrome
	// extension or of a Workspace add-on in the same project.
	AllowedAudiences []string
	// ScopeMap maps unified scopes to Google scopes. nil means
	// DefaultScopeMap(); an empty non-nil map supports no unified scope.
	ScopeMap map[connectors.Scope][]string
	// ServiceAccount enables daemon accounts through domain-wide
	// delegation (AppToken, AppTokenFor, DaemonAccountGrant). nil
	// disables them.
	ServiceAccount *ServiceAccount
	// Endpoints overrides Google's endpoints (tests, the example server's
	// sandbox with connectors/google/googletest). nil means Google's;
	// empty fields take the defaults.
	Endpoints *Endpoints
	// HTTPClient makes every request of the connector. Default: a client
	// with a 30 second timeout.
	HTTPClient *http.Client
	// Now is the clock for id_token expiry, token expiry and assertions.
	// Default time.Now.
	Now func() time.Time
	// Logger receives debug events (never tokens). Default: discarded.
	Logger *slog.Logger
	// PubSubTopic enables Gmail push notifications (provider.Pusher):
	// the Cloud Pub/Sub topic, "projects/{project}/topics/{topic}", that
	// Gmail publishes mailbox changes to (users.watch). The host creates
	// it in the OAuth client's project, grants
	// gmail-api-push@system.gserviceaccount.com the Pub/Sub Publisher role
	// on it, and gives it a push subscription to the push endpoint with
	// authentication by PushServiceAccount. Empty disables push: the
	// caller then polls.
	PubSubTopic string
	// PushServiceAccount is the email of the service account the push
	// subscription authenticates as; push requests must carry a Google
	// ID token of it with a verified email. Required with PubSubTopic.
	PushServiceAccount string
	// PushAudience is the audience set on the push subscription, which
	// push ID tokens must carry. Default: the push endpoint's URL, Pub/Sub's
	// own default, taken from the request (https://Host/path?query; http
	// only for a loopback host without TLS). Set it when a proxy in front
	// of the host changes the host name or the path.
	PushAudience string
}

// Endpoints are the URLs the connector talks to. Each must be https, or
// http on a loopback host.
type Endpoints struct {
	AuthURL  string // authorization endpoint; default DefaultAuthURL
	TokenURL string // token endpoint; default DefaultTokenURL
	// Issuer is the id_token issuer in its https form; the form without
	// scheme ("accounts.google.com"), which Google also uses, is accepted
	// too. Default DefaultIssuer.
	Issuer      string
	JWKSURL     string // id_token signing keys; default DefaultJWKSURL
	UserInfoURL string // OpenID Connect userinfo; default DefaultUserInfoURL
	RevokeURL   string // token revocation; default DefaultRevokeURL
	APIBaseURL  string // Google APIs, without trailing slash; default DefaultAPIBaseURL
	// CalendarBaseURL, PeopleBaseURL and TasksBaseURL are the root URLs
	// (scheme and host, no API path) of the Calendar API (requests go to
	// CalendarBaseURL + "/calendar/v3/..."), the People API
	// ("/v1/people/...") and the Tasks API ("/tasks/v1/..."). Defaults
	// DefaultCalendarBaseURL, DefaultPeopleBaseURL, DefaultTasksBaseURL.
	CalendarBaseURL string
	PeopleBaseURL   string
	TasksBaseURL    string
}

// Connector is the connectors.Connector for Google accounts (Gmail,
// Google Workspace). It is safe for concurrent use.
type Connector struct {
	// UnimplementedMailbox answers the email.Mailbox methods added later
	// with ErrUnsupported until this connector implements them.
	email.UnimplementedMailbox
	// The Unimplemented* values answer the calendar, contacts and
	// tasks methods this connector does not implement with ErrUnsupported.
	calendar.UnimplementedCalendar
	contacts.UnimplementedContacts
	tasks.UnimplementedTasks

	clientID   string
	secret     string
	domains    []string
	audiences  []string
	scopeMap   map[connectors.Scope][]string
	ep         Endpoints
	issuers    []string
	client     *http.Client
	now        func() time.Time
	logger     *slog.Logger
	verifier   *gooidc.IDTokenVerifier
	sa         *serviceAccount // nil without Config.ServiceAccount
	saSubjects func(ctx context.Context, domain string) (string, error)
	push       pushConfig // Gmail push; zero without Config.PubSubTopic
}

var (
	_ connectors.Connector        = (*Connector)(nil)
	_ connectors.Revoker          = (*Connector)(nil)
	_ connectors.DaemonAuthorizer = (*Connector)(nil)
	_ connectors.AppTokener       = (*Connector)(nil)
	_ connectors.TokenSignIn      = (*Connector)(nil)
	_ connectors.APIBaser         = (*Connector)(nil)
)

// New validates cfg and returns the connector. It makes no request: the
// signing keys are fetched when the first id_token is verified. ctx is
// not kept.
func New(_ context.Context, cfg Config) (*Connector, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("google: Config.ClientID and Config.ClientSecret are required")
	}
	c := &Connector{
		clientID:  cfg.ClientID,
		secret:    cfg.ClientSecret,
		audiences: append([]string{cfg.ClientID}, cfg.AllowedAudiences...),
		scopeMap:  cfg.ScopeMap,
		client:    cfg.HTTPClient,
		now:       cfg.Now,
		logger:    cfg.Logger,
	}
	for _, d := range cfg.HostedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || strings.ContainsAny(d, "@/ ") {
			return nil, fmt.Errorf("google: Config.HostedDomains has an invalid domain %q", d)
		}
		c.domains = append(c.domains, d)
	}
	if c.scopeMap == nil {
		c.scopeMap = DefaultScopeMap()
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.ep = Endpoints{
		AuthURL: DefaultAuthURL, TokenURL: DefaultTokenURL, Issuer: DefaultIssuer, JWKSURL: DefaultJWKSURL,
		UserInfoURL: DefaultUserInfoURL, RevokeURL: DefaultRevokeURL, APIBaseURL: DefaultAPIBaseURL,
		CalendarBaseURL: DefaultCalendarBaseURL, PeopleBaseURL: DefaultPeopleBaseURL, TasksBaseURL: DefaultTasksBaseURL,
	}
	if e := cfg.Endpoints; e != nil {
		for _, f := range []struct {
			dst *string
			v   string
		}{
			{&c.ep.AuthURL, e.AuthURL}, {&c.ep.TokenURL, e.TokenURL}, {&c.ep.Issuer, e.Issuer},
			{&c.ep.JWKSURL, e.JWKSURL}, {&c.ep.UserInfoURL, e.UserInfoURL}, {&c.ep.RevokeURL, e.RevokeURL},
			{&c.ep.APIBaseURL, e.APIBaseURL}, {&c.ep.CalendarBaseURL, e.CalendarBaseURL},
			{&c.ep.PeopleBaseURL, e.PeopleBaseURL}, {&c.ep.TasksBaseURL, e.TasksBaseURL},
		} {
			if f.v != "" {
				*f.dst = f.v
			}
		}
	}
	for _, u := range []*string{&c.ep.APIBaseURL, &c.ep.CalendarBaseURL, &c.ep.PeopleBaseURL, &c.ep.TasksBaseURL} {
		*u = strings.TrimRight(*u, "/")
	}
	for _, e := range []struct{ name, url string }{
		{"AuthURL", c.ep.AuthURL}, {"TokenURL", c.ep.TokenURL}, {"Issuer", c.ep.Issuer}, {"JWKSURL", c.ep.JWKSURL},
		{"UserInfoURL", c.ep.UserInfoURL}, {"RevokeURL", c.ep.RevokeURL}, {"APIBaseURL", c.ep.APIBaseURL},
		{"CalendarBaseURL", c.ep.CalendarBaseURL}, {"PeopleBaseURL", c.ep.PeopleBaseURL}, {"TasksBaseURL", c.ep.TasksBaseURL},
	} {
		if err := endpoint.Check("google", "Endpoints."+e.name, e.url); err != nil {
			return nil, err
		}
	}
	iss, _ := url.Parse(c.ep.Issuer)
	c.issuers = []string{c.ep.Issuer, iss.Host}

	keys := gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), c.client), c.ep.JWKSURL)
	// Issuer (two forms) and audience (several clients) are checked by
	// verifyIDToken; go-oidc checks the signature, algorithm and expiry.
	c.verifier = gooidc.NewVerifier(c.ep.Issuer, keys, &gooidc.Config{
		SkipClientIDCheck:    true,
		SkipIssuerCheck:      true,
		SupportedSigningAlgs: []string{gooidc.RS256},
		Now:                  c.now,
	})

	push, err := newPushConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.push = push
	if cfg.ServiceAccount != nil {
		sa, err := parseServiceAccount(cfg.ServiceAccount, c.ep.TokenURL)
		if err != nil {
			return nil, err
		}
		c.sa = sa
		c.saSubjects = cfg.ServiceAccount.Subject
	}
	return c, nil
}

// ServiceType implements connectors.Connector: "Google".
func (c *Connector) ServiceType() string { return ServiceType }

// NativeScopes implements connectors.Connector: openid, email and profile,
// then the mapped scopes.
func (c *Connector) NativeScopes(unified []connectors.Scope) ([]string, error) {
	out, err := connectors.MapScopes(unified, c.scopeMap, signInScopes...)
	if err != nil {
		return nil, fmt.Errorf("google: %w", err)
	}
	return out, nil
}

// AuthCodeURL implements connectors.Connector with Google's web server
// flow: access_type=offline (a refresh token), include_granted_scopes=true
// (incremental authorization), PKCE S256, the nonce, login_hint, hd when
// HostedDomains names exactly one domain, and prompt=consent only when
// req.ForceConsent: Google issues a refresh token at the first consent
// only, so re-consent is asked just when none is stored.
func (c *Connector) AuthCodeURL(_ context.Context, req connectors.AuthRequest) (string, error) {
	if req.RedirectURL == "" || req.State == "" {
		return "", errors.New("google: AuthRequest needs RedirectURL and State")
	}
	conf := c.oauthConfig(req.RedirectURL, endpoint.MergeScopes(signInScopes, req.Scopes))
	opts := []xoauth2.AuthCodeOption{
		xoauth2.AccessTypeOffline,
		xoauth2.SetAuthURLParam("include_granted_scopes", "true"),
	}
	if req.Nonce != "" {
		opts = append(opts, gooidc.Nonce(req.Nonce))
	}
	if req.CodeChallenge != "" {
		opts = append(opts,
			xoauth2.SetAuthURLParam("code_challenge", req.CodeChallenge),
			xoauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	if req.LoginHint != "" {
		opts = append(opts, xoauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	if len(c.domains) == 1 {
		opts = append(opts, xoauth2.SetAuthURLParam("hd", c.domains[0]))
	}
	if req.ForceConsent {
		opts = append(opts, xoauth2.SetAuthURLParam("prompt", "consent"))
	}
	return conf.AuthCodeURL(req.State, opts...), nil
}

// Exchange implements connectors.Connector. The id_token must be present
// and valid (signature, issuer, audience = ClientID, expiry, nonce equal to
// req.Nonce, at_hash, hd in HostedDomains); otherwise the error wraps
// connectors.ErrIdentity. Token endpoint failures are
// *connectors.TokenError.
//
// Grant.Scopes is what Google granted (its "scope" answer), which may be
// less than requested when the user unticked scopes: see MissingScopes.
// Grant.Token.RefreshToken is empty when Google issued none (a user who
// consented before, without ForceConsent).
func (c *Connector) Exchange(ctx context.Context, req connectors.ExchangeRequest) (*connectors.Grant, error) {
	if req.Code == "" || req.RedirectURL == "" {
		return nil, errors.New("google: ExchangeRequest needs Code and RedirectURL")
	}
	var opts []xoauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, xoauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := c.oauthConfig(req.RedirectURL, nil).Exchange(c.clientContext(ctx), req.Code, opts...)
	if err != nil {
		return nil, fmt.Errorf("google: exchanging the code: %w", oauth2err.From(err, c.now))
	}
	c.setExpiry(tok)
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("google: the token answer has no id_token: %w", connectors.ErrIdentity)
	}
	id, err := c.verifyIDToken(ctx, raw, []string{c.clientID}, &req.Nonce, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	var scopes []string
	if s, ok := tok.Extra("scope").(string); ok {
		scopes = connectors.SplitList(s)
	}
	c.logger.Debug("google: code exchanged", "sub", id.AuthUserID, "hd", id.AuthOrgID,
		"refreshToken", tok.RefreshToken != "", "scopes", len(scopes))
	return &connectors.Grant{Token: tok, Identity: id, Scopes: scopes}, nil
}

// Refresh implements connectors.Connector. Google does not rotate refresh
// tokens: the result keeps tok.RefreshToken unless Google sends a new one.
// A revoked or expired grant is a *connectors.TokenError with Code
// "invalid_grant" ("Token has been expired or revoked."), which is
// terminal.
func (c *Connector) Refresh(ctx context.Context, tok *xoauth2.Token) (*xoauth2.Token, error) {
	if tok == nil || tok.RefreshToken == "" {
		return nil, errors.New("google: no refresh token to refresh with")
	}
	fresh, err := c.oauthConfig("", nil).TokenSource(c.clientContext(ctx), &xoauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("google: refreshing the token: %w", oauth2err.From(err, c.now))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken
	}
	c.setExpiry(fresh)
	return fresh, nil
}

// APIBaseURL implements connectors.APIBaser: https://www.googleapis.com,
// or Endpoints.APIBaseURL. serverURL is ignored.
func (c *Connector) APIBaseURL(string) string { return c.ep.APIBaseURL }

func (c *Connector) oauthConfig(redirectURL string, scopes []string) *xoauth2.Config {
	return &xoauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.secret,
		Endpoint:     xoauth2.Endpoint{AuthURL: c.ep.AuthURL, TokenURL: c.ep.TokenURL, AuthStyle: xoauth2.AuthStyleInParams},
		RedirectURL:  redirectURL,
		Scopes:       scopes,
	}
}

// clientContext carries the configured client to golang.org/x/oauth2 and
// go-oidc, which take it only from a context.
func (c *Connector) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, xoauth2.HTTPClient, c.client)
}

// setExpiry recomputes Expiry with the connector's clock.
func (c *Connector) setExpiry(tok *xoauth2.Token) {
	if tok.ExpiresIn > 0 {
		tok.Expiry = c.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
}
