package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
)

// Config configures a generic OpenID Connect connector.
type Config struct {
	// ServiceType is the Aurinko serviceType served, e.g. "Okta". Required.
	ServiceType string
	// Issuer is the provider's issuer URL; discovery reads
	// Issuer + "/.well-known/openid-configuration", and the answer's issuer
	// must equal it exactly. https, or http for a loopback host. Required.
	Issuer string
	// ClientID is the client registered at the provider. Required.
	ClientID string
	// ClientSecret authenticates the client at the token and revocation
	// endpoints; "" for a public client (then PKCE is the only proof).
	ClientSecret string
	// Scopes are always requested. Default ["openid", "email", "profile"];
	// "openid" is added when missing. Add "offline_access" for providers
	// that issue refresh tokens only then.
	Scopes []string
	// ScopeMap maps unified scopes to the provider's scopes. nil means no
	// unified scope is supported (an empty list still is).
	ScopeMap map[connectors.Scope][]string
	// OrgClaim is the id_token (or userinfo) claim holding the
	// organization id, which becomes Identity.AuthOrgID. Default "tid".
	OrgClaim string
	// HTTPClient makes every request of the connector. Default: a client
	// with a 30 second timeout.
	HTTPClient *http.Client
	// Now is the clock for id_token expiry, token expiry and Retry-After.
	// Default time.Now.
	Now func() time.Time
}

// Connector is a connectors.Connector for an OpenID Connect provider. It is
// safe for concurrent use.
type Connector struct {
	serviceType string
	clientID    string
	secret      string
	scopes      []string
	scopeMap    map[connectors.Scope][]string
	orgClaim    string
	client      *http.Client
	now         func() time.Time

	endpoint    xoauth2.Endpoint
	userInfoURL string
	revokeURL   string
	pkce        bool
	verifier    *gooidc.IDTokenVerifier
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Revoker   = (*Connector)(nil)
)

// metadata is what the connector reads from the discovery document besides
// what go-oidc reads.
type metadata struct {
	UserInfoEndpoint              string   `json:"userinfo_endpoint"`
	RevocationEndpoint            string   `json:"revocation_endpoint"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
}

// New validates cfg and runs OpenID Connect discovery at cfg.Issuer with ctx.
func New(ctx context.Context, cfg Config) (*Connector, error) {
	switch {
	case strings.TrimSpace(cfg.ServiceType) == "":
		return nil, errors.New("oidc: Config.ServiceType is required")
	case cfg.ClientID == "":
		return nil, errors.New("oidc: Config.ClientID is required")
	}
	if err := endpoint.Check("oidc", "Config.Issuer", cfg.Issuer); err != nil {
		return nil, err
	}
	c := &Connector{
		serviceType: cfg.ServiceType,
		clientID:    cfg.ClientID,
		secret:      cfg.ClientSecret,
		scopeMap:    cfg.ScopeMap,
		orgClaim:    cfg.OrgClaim,
		client:      cfg.HTTPClient,
		now:         cfg.Now,
	}
	c.scopes = endpoint.MergeScopes([]string{"openid"}, cfg.Scopes)
	if len(cfg.Scopes) == 0 {
		c.scopes = []string{"openid", "email", "profile"}
	}
	if c.orgClaim == "" {
		c.orgClaim = "tid"
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}

	provider, err := gooidc.NewProvider(gooidc.ClientContext(ctx, c.client), cfg.Issuer)
	if err != nil {
		return nil, &discoveryError{issuer: cfg.Issuer, err: err}
	}
	var md metadata
	if err := provider.Claims(&md); err != nil {
		return nil, &discoveryError{issuer: cfg.Issuer, err: err}
	}
	c.endpoint = provider.Endpoint()
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", c.endpoint.AuthURL},
		{"token_endpoint", c.endpoint.TokenURL},
	} {
		if err := endpoint.Check("oidc", e.name, e.url); err != nil {
			return nil, &discoveryError{issuer: cfg.Issuer, err: err}
		}
	}
	for _, e := range []struct{ name, url string }{
		{"userinfo_endpoint", md.UserInfoEndpoint},
		{"revocation_endpoint", md.RevocationEndpoint},
	} {
		if e.url == "" {
			continue
		}
		if err := endpoint.Check("oidc", e.name, e.url); err != nil {
			return nil, &discoveryError{issuer: cfg.Issuer, err: err}
		}
	}
	c.userInfoURL = md.UserInfoEndpoint
	c.revokeURL = md.RevocationEndpoint
	// Providers that do not say may still support PKCE; sending it is
	// harmless. Only a list without S256 turns it off.
	c.pkce = len(md.CodeChallengeMethodsSupported) == 0 || slices.Contains(md.CodeChallengeMethodsSupported, "S256")
	c.endpoint.AuthStyle = authStyle(md.TokenEndpointAuthMethods, c.secret)
	c.verifier = provider.Verifier(&gooidc.Config{ClientID: c.clientID, Now: c.now})
	return c, nil
}

// authStyle picks client_secret_basic, the default of OpenID Connect
// Discovery, unless the provider lists only client_secret_post. Public
// clients send client_id in the form.
func authStyle(methods []string, secret string) xoauth2.AuthStyle {
	if secret == "" {
		return xoauth2.AuthStyleInParams
	}
	if len(methods) == 0 || slices.Contains(methods, "client_secret_basic") || !slices.Contains(methods, "client_secret_post") {
		return xoauth2.AuthStyleInHeader
	}
	return xoauth2.AuthStyleInParams
}

// ServiceType implements connectors.Connector.
func (c *Connector) ServiceType() string { return c.serviceType }

// NativeScopes implements connectors.Connector: the mapped scopes after
// Config.Scopes.
func (c *Connector) NativeScopes(unified []connectors.Scope) ([]string, error) {
	out, err := connectors.MapScopes(unified, c.scopeMap, c.scopes...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return out, nil
}

// AuthCodeURL implements connectors.Connector. It requests Config.Scopes
// and req.Scopes, and sends the nonce, the PKCE S256 challenge, login_hint
// and prompt=consent when req has them.
func (c *Connector) AuthCodeURL(_ context.Context, req connectors.AuthRequest) (string, error) {
	if req.RedirectURL == "" || req.State == "" {
		return "", errors.New("oidc: AuthRequest needs RedirectURL and State")
	}
	conf := c.oauthConfig(req.RedirectURL, endpoint.MergeScopes(c.scopes, req.Scopes))
	var opts []xoauth2.AuthCodeOption
	if req.Nonce != "" {
		opts = append(opts, gooidc.Nonce(req.Nonce))
	}
	if req.CodeChallenge != "" && c.pkce {
		opts = append(opts,
			xoauth2.SetAuthURLParam("code_challenge", req.CodeChallenge),
			xoauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	if req.LoginHint != "" {
		opts = append(opts, xoauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	if req.ForceConsent {
		opts = append(opts, xoauth2.SetAuthURLParam("prompt", "consent"))
	}
	return conf.AuthCodeURL(req.State, opts...), nil
}

// Exchange implements connectors.Connector. The id_token must be present,
// valid for this client and carry req.Nonce (exactly: no nonce when
// req.Nonce is ""); otherwise the error wraps connectors.ErrIdentity.
// Grant.Scopes is the provider's scope answer, nil when it sends none.
func (c *Connector) Exchange(ctx context.Context, req connectors.ExchangeRequest) (*connectors.Grant, error) {
	if req.Code == "" || req.RedirectURL == "" {
		return nil, errors.New("oidc: ExchangeRequest needs Code and RedirectURL")
	}
	ctx = c.clientContext(ctx)
	var opts []xoauth2.AuthCodeOption
	if req.CodeVerifier != "" && c.pkce {
		opts = append(opts, xoauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := c.oauthConfig(req.RedirectURL, nil).Exchange(ctx, req.Code, opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: exchanging the code: %w", oauth2err.From(err, c.now))
	}
	c.setExpiry(tok)
	id, err := c.identify(ctx, tok, req.Nonce)
	if err != nil {
		return nil, err
	}
	var scopes []string
	if s, ok := tok.Extra("scope").(string); ok {
		scopes = connectors.SplitList(s)
	}
	return &connectors.Grant{Token: tok, Identity: id, Scopes: scopes}, nil
}

// Refresh implements connectors.Connector. The result keeps
// tok.RefreshToken when the provider returns none. An id_token in the
// answer is passed on in the token's extras, not verified.
func (c *Connector) Refresh(ctx context.Context, tok *xoauth2.Token) (*xoauth2.Token, error) {
	if tok == nil || tok.RefreshToken == "" {
		return nil, errors.New("oidc: no refresh token to refresh with")
	}
	ctx = c.clientContext(ctx)
	// A token without access token is always refreshed.
	fresh, err := c.oauthConfig("", nil).TokenSource(ctx, &xoauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("oidc: refreshing the token: %w", oauth2err.From(err, c.now))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken
	}
	c.setExpiry(fresh)
	return fresh, nil
}

// CanRevoke reports whether the provider has a revocation endpoint, that
// is whether Revoke can do anything.
func (c *Connector) CanRevoke() bool { return c.revokeURL != "" }

func (c *Connector) oauthConfig(redirectURL string, scopes []string) *xoauth2.Config {
	return &xoauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.secret,
		Endpoint:     c.endpoint,
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

// discoveryError is a failed discovery. Its message names the issuer and
// is bounded: go-oidc puts the answer's body into its errors.
type discoveryError struct {
	issuer string
	err    error
}

func (e *discoveryError) Error() string {
	msg := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, e.err.Error())
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "") + "..."
	}
	return fmt.Sprintf("oidc: discovery of issuer %q failed: %s", e.issuer, msg)
}

func (e *discoveryError) Unwrap() error { return e.err }
