package oauth2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
)

// Config configures a generic OAuth2 connector.
type Config struct {
	// ServiceType is the Aurinko serviceType served, e.g. "Salesforce".
	// Required.
	ServiceType string
	// ClientID is the client registered at the provider. Required.
	ClientID string
	// ClientSecret authenticates the client; "" for a public client.
	ClientSecret string
	// AuthURL, TokenURL and UserInfoURL are the authorization, token and
	// userinfo endpoints. Required; https, or http for a loopback host.
	AuthURL, TokenURL, UserInfoURL string
	// RevokeURL is the RFC 7009 revocation endpoint; "" when the provider
	// has none.
	RevokeURL string
	// APIBaseURL is the provider API's base URL for the direct
	// pass-through proxy, unless the account has its own (see
	// Connector.APIBaseURL).
	APIBaseURL string
	// Scopes are always requested.
	Scopes []string
	// ScopeMap maps unified scopes to the provider's scopes. nil means no
	// unified scope is supported (an empty list still is).
	ScopeMap map[connectors.Scope][]string
	// AuthStyle is how the client authenticates at the token endpoint.
	// The zero value, xoauth2.AuthStyleAutoDetect, tries HTTP Basic, then
	// client_secret_post after a failure, and remembers what worked.
	// Revocation uses client_secret_post with AuthStyleInParams, HTTP
	// Basic otherwise.
	AuthStyle xoauth2.AuthStyle
	// PKCE sends the PKCE S256 challenge and verifier.
	PKCE bool
	// UserInfo says where the userinfo answer keeps the identity.
	UserInfo UserInfoFields
	// ExtraAuthParams are added to the authorization URL (e.g.
	// access_type=offline). They cannot replace the parameters the flow
	// sets (state, scope, redirect_uri, PKCE, ...).
	ExtraAuthParams url.Values
	// HTTPClient makes every request of the connector. Default: a client
	// with a 30 second timeout.
	HTTPClient *http.Client
	// Now is the clock for token expiry and Retry-After. Default time.Now.
	Now func() time.Time
}

// UserInfoFields are JSON field names in the userinfo answer. A dotted path
// ("user.id") walks nested objects.
type UserInfoFields struct {
	// ID holds the user's stable id (a string or an integer). Default:
	// "sub", else "id".
	ID string
	// Email holds the email address. Default "email".
	Email string
	// Name holds the display name. Default "name".
	Name string
	// Org holds the organization id (a string or an integer). Default ""
	// (none).
	Org string
}

// reservedAuthParam reports whether the flow sets the authorization
// parameter k, so that Config.ExtraAuthParams cannot.
func reservedAuthParam(k string) bool {
	switch strings.ToLower(k) {
	case "client_id", "response_type", "redirect_uri", "scope", "state",
		"code_challenge", "code_challenge_method", "nonce", "login_hint", "prompt":
		return true
	}
	return false
}

// Connector is a connectors.Connector for a generic OAuth2 provider. It is
// safe for concurrent use.
type Connector struct {
	cfg    Config
	client *http.Client
	now    func() time.Time
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Revoker   = (*Connector)(nil)
	_ connectors.APIBaser  = (*Connector)(nil)
)

// New validates cfg and returns the connector. It makes no request.
func New(cfg Config) (*Connector, error) {
	switch {
	case strings.TrimSpace(cfg.ServiceType) == "":
		return nil, errors.New("oauth2: Config.ServiceType is required")
	case cfg.ClientID == "":
		return nil, errors.New("oauth2: Config.ClientID is required")
	}
	for _, e := range []struct {
		name, url string
		required  bool
	}{
		{"Config.AuthURL", cfg.AuthURL, true},
		{"Config.TokenURL", cfg.TokenURL, true},
		{"Config.UserInfoURL", cfg.UserInfoURL, true},
		{"Config.RevokeURL", cfg.RevokeURL, false},
		{"Config.APIBaseURL", cfg.APIBaseURL, false},
	} {
		if e.url == "" && !e.required {
			continue
		}
		if err := endpoint.Check("oauth2", e.name, e.url); err != nil {
			return nil, err
		}
	}
	for k := range cfg.ExtraAuthParams {
		if reservedAuthParam(k) {
			return nil, fmt.Errorf("oauth2: Config.ExtraAuthParams cannot set %q", k)
		}
	}
	switch cfg.AuthStyle {
	case xoauth2.AuthStyleAutoDetect, xoauth2.AuthStyleInHeader, xoauth2.AuthStyleInParams:
	default:
		return nil, fmt.Errorf("oauth2: unknown Config.AuthStyle %d", cfg.AuthStyle)
	}
	cfg.Scopes = endpoint.MergeScopes(cfg.Scopes)
	cfg.ExtraAuthParams = cloneValues(cfg.ExtraAuthParams)
	if cfg.UserInfo.Email == "" {
		cfg.UserInfo.Email = "email"
	}
	if cfg.UserInfo.Name == "" {
		cfg.UserInfo.Name = "name"
	}
	c := &Connector{cfg: cfg, client: cfg.HTTPClient, now: cfg.Now}
	if c.client == nil {
		c.client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// ServiceType implements connectors.Connector.
func (c *Connector) ServiceType() string { return c.cfg.ServiceType }

// NativeScopes implements connectors.Connector: the mapped scopes after
// Config.Scopes.
func (c *Connector) NativeScopes(unified []connectors.Scope) ([]string, error) {
	out, err := connectors.MapScopes(unified, c.cfg.ScopeMap, c.cfg.Scopes...)
	if err != nil {
		return nil, fmt.Errorf("oauth2: %w", err)
	}
	return out, nil
}

// AuthCodeURL implements connectors.Connector. It requests Config.Scopes
// and req.Scopes, adds Config.ExtraAuthParams, the PKCE S256 challenge
// (with Config.PKCE), login_hint and prompt=consent as req asks. The nonce
// is not sent: there is no id_token to carry it back.
func (c *Connector) AuthCodeURL(_ context.Context, req connectors.AuthRequest) (string, error) {
	if req.RedirectURL == "" || req.State == "" {
		return "", errors.New("oauth2: AuthRequest needs RedirectURL and State")
	}
	conf := c.oauthConfig(req.RedirectURL, endpoint.MergeScopes(c.cfg.Scopes, req.Scopes))
	var opts []xoauth2.AuthCodeOption
	for k, vs := range c.cfg.ExtraAuthParams {
		if len(vs) > 0 {
			opts = append(opts, xoauth2.SetAuthURLParam(k, vs[0]))
		}
	}
	if c.cfg.PKCE && req.CodeChallenge != "" {
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

// Exchange implements connectors.Connector. The identity comes from the
// userinfo endpoint; an answer without a usable id is an error wrapping
// connectors.ErrIdentity. Identity.ServerURL is the token answer's
// instance_url (Salesforce) or api_domain (Zoho) when it is a valid URL.
// Grant.Scopes is the provider's scope answer, nil when it sends none.
func (c *Connector) Exchange(ctx context.Context, req connectors.ExchangeRequest) (*connectors.Grant, error) {
	if req.Code == "" || req.RedirectURL == "" {
		return nil, errors.New("oauth2: ExchangeRequest needs Code and RedirectURL")
	}
	var opts []xoauth2.AuthCodeOption
	if c.cfg.PKCE && req.CodeVerifier != "" {
		opts = append(opts, xoauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := c.oauthConfig(req.RedirectURL, nil).Exchange(c.clientContext(ctx), req.Code, opts...)
	if err != nil {
		return nil, fmt.Errorf("oauth2: exchanging the code: %w", oauth2err.From(err, c.now))
	}
	c.setExpiry(tok)
	id, err := c.identify(ctx, tok)
	if err != nil {
		return nil, err
	}
	for _, key := range []string{"instance_url", "api_domain"} {
		if s, ok := tok.Extra(key).(string); ok && endpoint.Check("oauth2", key, s) == nil {
			id.ServerURL = strings.TrimSuffix(s, "/")
			break
		}
	}
	var scopes []string
	if s, ok := tok.Extra("scope").(string); ok {
		scopes = connectors.SplitList(s)
	}
	return &connectors.Grant{Token: tok, Identity: id, Scopes: scopes}, nil
}

// Refresh implements connectors.Connector. The result keeps
// tok.RefreshToken when the provider returns none.
func (c *Connector) Refresh(ctx context.Context, tok *xoauth2.Token) (*xoauth2.Token, error) {
	if tok == nil || tok.RefreshToken == "" {
		return nil, errors.New("oauth2: no refresh token to refresh with")
	}
	// A token without access token is always refreshed.
	src := c.oauthConfig("", nil).TokenSource(c.clientContext(ctx), &xoauth2.Token{RefreshToken: tok.RefreshToken})
	fresh, err := src.Token()
	if err != nil {
		return nil, fmt.Errorf("oauth2: refreshing the token: %w", oauth2err.From(err, c.now))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken
	}
	c.setExpiry(fresh)
	return fresh, nil
}

// APIBaseURL implements connectors.APIBaser: the account's own server URL
// (Identity.ServerURL) when it has one, else Config.APIBaseURL.
func (c *Connector) APIBaseURL(serverURL string) string {
	if serverURL != "" {
		return serverURL
	}
	return c.cfg.APIBaseURL
}

// CanRevoke reports whether Config.RevokeURL is set, that is whether
// Revoke can do anything.
func (c *Connector) CanRevoke() bool { return c.cfg.RevokeURL != "" }

func (c *Connector) oauthConfig(redirectURL string, scopes []string) *xoauth2.Config {
	return &xoauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		Endpoint: xoauth2.Endpoint{
			AuthURL:   c.cfg.AuthURL,
			TokenURL:  c.cfg.TokenURL,
			AuthStyle: c.cfg.AuthStyle,
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// clientContext carries the configured client to golang.org/x/oauth2,
// which takes it only from a context.
func (c *Connector) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, xoauth2.HTTPClient, c.client)
}

// setExpiry recomputes Expiry with the connector's clock.
func (c *Connector) setExpiry(tok *xoauth2.Token) {
	if tok.ExpiresIn > 0 {
		tok.Expiry = c.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vv := range v {
		out[k] = slices.Clone(vv)
	}
	return out
}
