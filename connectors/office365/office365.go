package office365

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
	"github.com/aurinko-go/aurinko/unified/calendar"
	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/email"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// ServiceType is the Aurinko serviceType of the connector.
const ServiceType = "Office365"

// APIVersion is the Microsoft Graph version the connector uses.
const APIVersion = "v1.0"

// oidcScopes are requested in every code flow, for OpenID Connect sign-in
// and a refresh token; they are not Graph permissions.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// Connector is the Microsoft 365 connector. It is safe for concurrent use.
type Connector struct {
	clientID string
	secret   string
	r        resolved
	scopeMap map[connectors.Scope][]string // full scope URIs
	sso      *SSOConfig
	client   *http.Client
	now      func() time.Time
	log      *slog.Logger

	keys     *gooidc.RemoteKeySet
	idTokens *gooidc.IDTokenVerifier // aud = ClientID, issuer checked by tid
	apiToks  *gooidc.IDTokenVerifier // audience checked by checkSSOClaims
	graph    *graphClient
	folders  folderCache

	email.UnimplementedMailbox
	// The Unimplemented* values answer the calendar, contacts and
	// tasks methods this connector does not implement with ErrUnsupported.
	calendar.UnimplementedCalendar
	contacts.UnimplementedContacts
	tasks.UnimplementedTasks
}

var (
	_ connectors.Connector        = (*Connector)(nil)
	_ connectors.Revoker          = (*Connector)(nil)
	_ connectors.DaemonAuthorizer = (*Connector)(nil)
	_ connectors.AppTokener       = (*Connector)(nil)
	_ connectors.TokenSignIn      = (*Connector)(nil)
	_ connectors.APIBaser         = (*Connector)(nil)
)

// New validates cfg and returns a connector. It makes no request: signing
// keys are fetched when the first token is verified, and again when a token
// names a key id the connector has not seen (Microsoft rolls keys).
func New(ctx context.Context, cfg Config) (*Connector, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	c := &Connector{
		clientID: cfg.ClientID,
		secret:   cfg.ClientSecret,
		r:        r,
		sso:      cfg.SSO,
		client:   cfg.HTTPClient,
		now:      cfg.Now,
		log:      cfg.Logger,
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	short := cfg.ScopeMap
	if short == nil {
		short = DefaultScopeMap()
	}
	c.scopeMap = make(map[connectors.Scope][]string, len(short))
	for u, names := range short {
		for _, n := range names {
			c.scopeMap[u] = append(c.scopeMap[u], c.graphScope(n))
		}
	}
	// The key set keeps its own context for background fetches; it only
	// carries the HTTP client.
	c.keys = gooidc.NewRemoteKeySet(gooidc.ClientContext(context.WithoutCancel(ctx), c.client), c.JWKSURL())
	ks := verifyingKeySet{remote: c.keys}
	c.idTokens = gooidc.NewVerifier("", ks, &gooidc.Config{
		ClientID:             c.clientID,
		SkipIssuerCheck:      true, // multi-tenant: checked against the token's tid
		SupportedSigningAlgs: []string{gooidc.RS256},
		Now:                  c.now,
	})
	c.apiToks = gooidc.NewVerifier("", ks, &gooidc.Config{
		SkipClientIDCheck:    true, // two accepted audiences: checked by checkSSOClaims
		SkipIssuerCheck:      true,
		SupportedSigningAlgs: []string{gooidc.RS256},
		Now:                  c.now,
	})
	c.graph, err = newGraphClient(c.client, r.endpoints.GraphBaseURL+"/"+APIVersion, c.now)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ServiceType implements connectors.Connector: "Office365".
func (c *Connector) ServiceType() string { return ServiceType }

// graphScope names a Graph permission as a full URI of the cloud's Graph
// resource. Scopes that already are URIs, and the OpenID Connect scopes,
// are left alone.
func (c *Connector) graphScope(name string) string {
	if strings.Contains(name, "://") || slices.Contains(oidcScopes, name) {
		return name
	}
	return c.r.cloud.graphResource + "/" + name
}

// NativeScopes implements connectors.Connector: openid, profile, email,
// offline_access, Graph User.Read (for GET /me) and the mapped Graph
// permissions as full URIs ("https://graph.microsoft.com/Mail.Read").
func (c *Connector) NativeScopes(unified []connectors.Scope) ([]string, error) {
	always := append(slices.Clone(oidcScopes), c.graphScope("User.Read"))
	out, err := connectors.MapScopes(unified, c.scopeMap, always...)
	if err != nil {
		return nil, fmt.Errorf("office365: %w", err)
	}
	return out, nil
}

// AuthURL returns the authorization endpoint of the configured tenant.
func (c *Connector) AuthURL() string { return c.tenantURL(c.r.tenant) + "/oauth2/v2.0/authorize" }

// TokenURL returns the token endpoint of a tenant ("" for the configured one).
func (c *Connector) TokenURL(tenant string) string {
	if tenant == "" {
		tenant = c.r.tenant
	}
	return c.tenantURL(tenant) + "/oauth2/v2.0/token"
}

// JWKSURL returns the signing keys of the configured tenant.
func (c *Connector) JWKSURL() string { return c.tenantURL(c.r.tenant) + "/discovery/v2.0/keys" }

// AdminConsentURL returns the admin consent endpoint of the configured tenant.
func (c *Connector) AdminConsentURL() string { return c.tenantURL(c.r.tenant) + "/v2.0/adminconsent" }

// Issuer returns the issuer of v2.0 tokens of tenant tid.
func (c *Connector) Issuer(tid string) string { return c.tenantURL(tid) + "/v2.0" }

// GraphResource returns the Graph resource identifier of the cloud, which
// prefixes Graph scopes ("https://graph.microsoft.com").
func (c *Connector) GraphResource() string { return c.r.cloud.graphResource }

func (c *Connector) tenantURL(tenant string) string {
	return c.r.endpoints.LoginBaseURL + "/" + url.PathEscape(tenant)
}

// APIBaseURL implements connectors.APIBaser: Microsoft Graph v1.0 of the
// cloud, e.g. "https://graph.microsoft.com/v1.0".
func (c *Connector) APIBaseURL(string) string {
	return c.r.endpoints.GraphBaseURL + "/" + APIVersion
}

// AuthCodeURL implements connectors.Connector: the v2.0 authorize endpoint
// with response_type=code, response_mode=query, the PKCE S256 challenge,
// the nonce, login_hint, and prompt=consent only when req.ForceConsent.
func (c *Connector) AuthCodeURL(_ context.Context, req connectors.AuthRequest) (string, error) {
	if req.RedirectURL == "" || req.State == "" {
		return "", errors.New("office365: AuthRequest needs RedirectURL and State")
	}
	scopes := req.Scopes
	if len(scopes) == 0 {
		scopes, _ = c.NativeScopes(nil)
	}
	opts := []xoauth2.AuthCodeOption{xoauth2.SetAuthURLParam("response_mode", "query")}
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
	if req.ForceConsent {
		opts = append(opts, xoauth2.SetAuthURLParam("prompt", "consent"))
	}
	return c.oauthConfig(req.RedirectURL, scopes).AuthCodeURL(req.State, opts...), nil
}

// Exchange implements connectors.Connector. It redeems the code (with the
// PKCE verifier), verifies the id_token (signature by the tenant's keys,
// aud = ClientID, iss = {login}/{tid}/v2.0, tenant allowed, expiry, nonce)
// and completes the identity with Graph GET /me. A refused id_token wraps
// connectors.ErrIdentity; token endpoint failures are
// *connectors.TokenError; Graph failures are *GraphError.
func (c *Connector) Exchange(ctx context.Context, req connectors.ExchangeRequest) (*connectors.Grant, error) {
	if req.Code == "" || req.RedirectURL == "" {
		return nil, errors.New("office365: ExchangeRequest needs Code and RedirectURL")
	}
	var opts []xoauth2.AuthCodeOption
	if req.CodeVerifier != "" {
		opts = append(opts, xoauth2.VerifierOption(req.CodeVerifier))
	}
	tok, err := c.oauthConfig(req.RedirectURL, nil).Exchange(c.clientContext(ctx), req.Code, opts...)
	if err != nil {
		return nil, fmt.Errorf("office365: exchanging the code: %w", oauth2err.From(err, c.now))
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

// Refresh implements connectors.Connector with golang.org/x/oauth2, which
// sends no scope: Microsoft then issues a token for the scopes the grant
// was made for. Microsoft rotates refresh tokens; when an answer carries
// none the old one is kept. invalid_grant (AADSTS70000, AADSTS50173, AADSTS700082 ... in the
// description) is a terminal *connectors.TokenError.
func (c *Connector) Refresh(ctx context.Context, tok *xoauth2.Token) (*xoauth2.Token, error) {
	if tok == nil || tok.RefreshToken == "" {
		return nil, errors.New("office365: no refresh token to refresh with")
	}
	fresh, err := c.oauthConfig("", nil).TokenSource(c.clientContext(ctx), &xoauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("office365: refreshing the token: %w", oauth2err.From(err, c.now))
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken
	}
	c.setExpiry(fresh)
	return fresh, nil
}

// Revoke implements connectors.Revoker. The Microsoft identity platform has
// no RFC 7009 revocation endpoint (a grant is withdrawn by the user at
// myapps / account.microsoft.com, or by an administrator with Graph
// revokeSignInSessions, which needs more than the user's token), so Revoke
// always returns an error wrapping errors.ErrUnsupported.
func (c *Connector) Revoke(context.Context, *xoauth2.Token) error {
	return fmt.Errorf("office365: the Microsoft identity platform has no token revocation endpoint: %w", errors.ErrUnsupported)
}

func (c *Connector) oauthConfig(redirectURL string, scopes []string) *xoauth2.Config {
	return &xoauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.secret,
		Endpoint: xoauth2.Endpoint{
			AuthURL:   c.AuthURL(),
			TokenURL:  c.TokenURL(""),
			AuthStyle: xoauth2.AuthStyleInParams, // client_secret_post, as MSAL does
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// clientContext carries the configured client to golang.org/x/oauth2.
func (c *Connector) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, xoauth2.HTTPClient, c.client)
}

// setExpiry recomputes Expiry with the connector's clock.
func (c *Connector) setExpiry(tok *xoauth2.Token) {
	if tok.ExpiresIn > 0 {
		tok.Expiry = c.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
}

// maxTokenAnswer bounds the token endpoint answers read by postToken.
const maxTokenAnswer = 1 << 20

// postToken sends a token request that golang.org/x/oauth2 has no call for
// (client credentials for another tenant, the on-behalf-of grant) with
// client_secret_post, and parses the answer like x/oauth2.
func (c *Connector) postToken(ctx context.Context, tenant string, form url.Values) (*xoauth2.Token, error) {
	form.Set("client_id", c.clientID)
	form.Set("client_secret", c.secret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL(tenant), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("office365: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, oauth2err.From(err, c.now)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	if err != nil {
		return nil, oauth2err.From(err, c.now)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, oauth2err.FromAnswer(resp.StatusCode, resp.Header, body, c.now)
	}
	tok, err := parseTokenAnswer(body)
	if err != nil {
		return nil, &connectors.TokenError{Status: resp.StatusCode, Err: err}
	}
	c.setExpiry(tok)
	return tok, nil
}

var (
	_ calendar.Provider = (*Connector)(nil)
	_ contacts.Provider = (*Connector)(nil)
	_ tasks.Provider    = (*Connector)(nil)
)
