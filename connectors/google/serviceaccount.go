package google

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
)

// JWTBearerGrantType is the grant type of RFC 7523 section 2.1, with which
// a service account trades a signed assertion for an access token.
const JWTBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// assertionTTL is the lifetime of an assertion: Google accepts at most one
// hour between iat and exp.
const assertionTTL = time.Hour

// ServiceAccount configures daemon accounts through Google Workspace
// domain-wide delegation: a Workspace administrator authorizes the service
// account's client ID for a list of scopes (Admin console, Security, API
// controls, Domain-wide delegation), and the service account can then act
// as any user of that domain.
type ServiceAccount struct {
	// JSON is the service account key file as the Google Cloud console
	// downloads it: {"type": "service_account", "client_email",
	// "private_key" (PEM), "private_key_id", "token_uri", ...}. Required.
	// It is parsed once by New; errors never quote it.
	JSON []byte
	// Scopes are requested by every delegated token. They must be among
	// the scopes the administrator authorized, or Google answers
	// unauthorized_client. Required.
	Scopes []string
	// Subject returns the user that AppToken impersonates in a Workspace
	// domain (the daemon account's AuthOrgID). nil makes AppToken fail;
	// AppTokenFor, which names the user, works without it.
	Subject func(ctx context.Context, domain string) (string, error)
}

// serviceAccount is a parsed key.
type serviceAccount struct {
	email    string
	keyID    string
	key      *rsa.PrivateKey
	tokenURL string
	scopes   []string
}

// keyFile is the documented service account key JSON.
type keyFile struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	TokenURI     string `json:"token_uri"`
}

func parseServiceAccount(cfg *ServiceAccount, defaultTokenURL string) (*serviceAccount, error) {
	var kf keyFile
	if err := json.Unmarshal(cfg.JSON, &kf); err != nil {
		return nil, errors.New("google: ServiceAccount.JSON is not a service account key file (invalid JSON)")
	}
	switch {
	case kf.Type != "service_account":
		return nil, fmt.Errorf("google: ServiceAccount.JSON has type %q, want service_account", truncate(kf.Type, 40))
	case kf.ClientEmail == "" || kf.PrivateKey == "":
		return nil, errors.New("google: ServiceAccount.JSON lacks client_email or private_key")
	case len(cfg.Scopes) == 0:
		return nil, errors.New("google: ServiceAccount.Scopes is required (the scopes authorized for domain-wide delegation)")
	}
	key, err := parseRSAKey(kf.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("google: ServiceAccount.JSON private_key: %w", err)
	}
	sa := &serviceAccount{email: kf.ClientEmail, keyID: kf.PrivateKeyID, key: key, tokenURL: kf.TokenURI,
		scopes: slices.Clone(cfg.Scopes)}
	if sa.tokenURL == "" {
		sa.tokenURL = defaultTokenURL
	}
	if err := endpoint.Check("google", "ServiceAccount token_uri", sa.tokenURL); err != nil {
		return nil, err
	}
	return sa, nil
}

// parseRSAKey reads a PEM "PRIVATE KEY" (PKCS #8, what Google issues) or
// "RSA PRIVATE KEY" (PKCS #1).
func parseRSAKey(p string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a PKCS #8 or PKCS #1 private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// ServiceAccountEmail returns the service account's client_email, "" when
// Config.ServiceAccount is nil.
func (c *Connector) ServiceAccountEmail() string {
	if c.sa == nil {
		return ""
	}
	return c.sa.email
}

// AppToken implements connectors.AppTokener for daemon accounts: orgID is
// the Workspace domain (the daemon account's AuthOrgID), and the token
// impersonates the user ServiceAccount.Subject returns for it; see
// AppTokenFor. Without ServiceAccount the error wraps
// errors.ErrUnsupported; without ServiceAccount.Subject AppToken fails,
// because the connector cannot know which user of the domain to act as.
func (c *Connector) AppToken(ctx context.Context, orgID string) (*xoauth2.Token, error) {
	if c.sa == nil {
		return nil, fmt.Errorf("google: app tokens need Config.ServiceAccount: %w", errors.ErrUnsupported)
	}
	if c.saSubjects == nil {
		return nil, errors.New("google: AppToken needs ServiceAccount.Subject to choose the user to impersonate; use AppTokenFor")
	}
	subject, err := c.saSubjects(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("google: the user to impersonate in %q: %w", truncate(orgID, 80), err)
	}
	return c.AppTokenFor(ctx, orgID, subject)
}

var _ connectors.SubjectAppTokener = (*Connector)(nil)

// AppTokenFor returns an access token with which the service account acts
// as the Workspace user subject (an email address) of the domain orgID,
// through domain-wide delegation: a JWT-bearer grant (RFC 7523) whose
// assertion, signed with the service account key, carries iss =
// client_email, scope = ServiceAccount.Scopes, aud = token_uri, iat, exp
// (one hour) and sub = subject. subject must be in domain orgID (and in
// HostedDomains when set). The token has no refresh token: call again
// when it expires. Google's refusals are *connectors.TokenError:
// unauthorized_client when the administrator has not authorized the client
// ID for these scopes, invalid_grant for an unknown user.
func (c *Connector) AppTokenFor(ctx context.Context, orgID, subject string) (*xoauth2.Token, error) {
	if c.sa == nil {
		return nil, fmt.Errorf("google: app tokens need Config.ServiceAccount: %w", errors.ErrUnsupported)
	}
	domain, err := c.subjectDomain(subject)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(domain, orgID) {
		return nil, fmt.Errorf("google: user %q is not in domain %q", truncate(subject, 80), truncate(orgID, 80))
	}
	return c.jwtBearer(ctx, subject)
}

// subjectDomain checks that subject is an email address of an allowed
// domain and returns the domain in lower case.
func (c *Connector) subjectDomain(subject string) (string, error) {
	at := strings.LastIndexByte(subject, '@')
	if at <= 0 || at == len(subject)-1 || strings.ContainsAny(subject, " \t\r\n/") || len(subject) > 320 {
		return "", fmt.Errorf("google: %q is not a user's email address", truncate(subject, 80))
	}
	domain := strings.ToLower(subject[at+1:])
	if len(c.domains) > 0 && !slices.Contains(c.domains, domain) {
		return "", fmt.Errorf("google: domain %q is not in Config.HostedDomains", truncate(domain, 80))
	}
	return domain, nil
}

// DaemonAccountGrant returns the grant of a daemon account acting as the
// Workspace user subject: an app token from AppTokenFor (which proves that
// the domain's administrator authorized the delegation), and the identity
// AuthUserID = Email = the user's address (lower case), AuthOrgID =
// OrgDomain = its domain. When ServiceAccount.Scopes include a Gmail
// scope, the mailbox address is confirmed with GmailProfile. The host
// stores the grant as a daemon account (accounts.Service.Link with type
// daemon); that is how a Google daemon account is made, since Google has
// no admin-consent redirect (see DaemonAuthURL).
func (c *Connector) DaemonAccountGrant(ctx context.Context, subject string) (*connectors.Grant, error) {
	if c.sa == nil {
		return nil, fmt.Errorf("google: daemon accounts need Config.ServiceAccount: %w", errors.ErrUnsupported)
	}
	domain, err := c.subjectDomain(subject)
	if err != nil {
		return nil, err
	}
	tok, err := c.AppTokenFor(ctx, domain, subject)
	if err != nil {
		return nil, err
	}
	email := strings.ToLower(subject)
	if slices.ContainsFunc(c.sa.scopes, isGmailScope) {
		p, err := c.GmailProfile(ctx, xoauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(p.EmailAddress, subject) {
			return nil, fmt.Errorf("google: the mailbox of %q answers as another address: %w", truncate(subject, 80), connectors.ErrIdentity)
		}
	}
	return &connectors.Grant{
		Token: tok,
		Identity: connectors.Identity{AuthUserID: email, Email: email, AuthOrgID: domain, OrgDomain: domain,
			ServiceProvider: ServiceType},
		Scopes: slices.Clone(c.sa.scopes),
	}, nil
}

func isGmailScope(s string) bool {
	return s == ScopeMailFull || strings.HasPrefix(s, "https://www.googleapis.com/auth/gmail.")
}

// DaemonAuthURL implements connectors.DaemonAuthorizer. Google has no
// admin-consent redirect: a Workspace administrator authorizes the service
// account's client ID for its scopes in the Admin console (Security, API
// controls, Domain-wide delegation), outside any OAuth flow. DaemonAuthURL
// therefore always fails with an error wrapping errors.ErrUnsupported, so
// that the auth layer answers authorizeDaemon for Google with "not
// supported"; the host creates daemon accounts with DaemonAccountGrant.
// (A sign-in by "an administrator" would not help: any user of the domain
// could complete it, and none of them may grant the whole domain.)
func (c *Connector) DaemonAuthURL(context.Context, connectors.AuthRequest) (string, error) {
	return "", c.noDaemonFlow()
}

// DaemonGrant implements connectors.DaemonAuthorizer; it always fails like
// DaemonAuthURL.
func (c *Connector) DaemonGrant(context.Context, string, map[string][]string) (*connectors.Grant, error) {
	return nil, c.noDaemonFlow()
}

func (c *Connector) noDaemonFlow() error {
	return fmt.Errorf("google: there is no admin-consent flow: a Workspace administrator authorizes client ID of the service account in the Admin console (domain-wide delegation), and the server creates daemon accounts with DaemonAccountGrant: %w", errors.ErrUnsupported)
}

// jwtBearer makes the JWT-bearer grant for subject ("" for the service
// account itself).
func (c *Connector) jwtBearer(ctx context.Context, subject string) (*xoauth2.Token, error) {
	assertion, err := c.sa.assertion(c.now(), subject)
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {JWTBearerGrantType}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sa.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("google: service account token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("google: service account token: %w", oauth2err.From(err, c.now))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("google: service account token: %w", oauth2err.From(err, c.now))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("google: service account token: %w", oauth2err.FromAnswer(resp.StatusCode, resp.Header, body, c.now))
	}
	var ans struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		return nil, fmt.Errorf("google: service account token: %w", &connectors.TokenError{Status: resp.StatusCode,
			Err: errors.New("answer without access_token")})
	}
	tok := &xoauth2.Token{AccessToken: ans.AccessToken, TokenType: ans.TokenType, ExpiresIn: ans.ExpiresIn}
	c.setExpiry(tok)
	return tok, nil
}

// assertion signs the RS256 JWT of a JWT-bearer grant.
func (sa *serviceAccount) assertion(now time.Time, subject string) (string, error) {
	claims := map[string]any{
		"iss":   sa.email,
		"scope": strings.Join(sa.scopes, " "),
		"aud":   sa.tokenURL,
		"iat":   now.Unix(),
		"exp":   now.Add(assertionTTL).Unix(),
	}
	if subject != "" {
		claims["sub"] = subject
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("google: assertion: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if sa.keyID != "" {
		opts = opts.WithHeader("kid", sa.keyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: sa.key}, opts)
	if err != nil {
		return "", fmt.Errorf("google: assertion signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("google: signing the assertion: %w", err)
	}
	return jws.CompactSerialize()
}
