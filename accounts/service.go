package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
)

// Config configures a Service.
type Config struct {
	Store      store.Store          // required
	Keyring    *seal.Keyring        // required
	Connectors *connectors.Registry // may be nil until connectors are registered
	Now        func() time.Time     // default time.Now
	Logger     *slog.Logger         // default: discard
	// Tokens tunes token refresh; zero values take the defaults.
	Tokens TokenConfig
	// Telemetry records token refreshes (outcome, duration, spans) and
	// the token endpoint's rate limits. Nil records nothing.
	Telemetry *telemetry.Telemetry
}

// Service manages apps, users, organizations and accounts. It is safe for
// concurrent use.
type Service struct {
	store      store.Store
	keyring    *seal.Keyring
	connectors *connectors.Registry
	now        func() time.Time
	logger     *slog.Logger
	tokenCfg   TokenConfig
	tokens     tokenState
	tel        *telemetry.Telemetry
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keyring == nil {
		return nil, errors.New("accounts: Store and Keyring are required")
	}
	s := &Service{store: cfg.Store, keyring: cfg.Keyring, connectors: cfg.Connectors, now: cfg.Now, logger: cfg.Logger, tokenCfg: cfg.Tokens,
		tel: cfg.Telemetry}
	s.tokenCfg.fill()
	s.tokens.inflight = map[int64]*refreshCall{}
	s.tokens.cache = map[int64]cachedToken{}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Store returns the underlying store.
func (s *Service) Store() store.Store { return s.store }

// Connectors returns the connector registry.
func (s *Service) Connectors() *connectors.Registry { return s.connectors }

// AppSpec describes an app to register. ClientSecret is plaintext here and
// sealed before it is stored.
type AppSpec struct {
	ClientID     string
	Name         string
	ClientSecret string
	ReturnURLs   []string
	CORSOrigins  []string
}

// minSecretLen is the shortest client secret PutApp accepts.
const minSecretLen = 16

// PutApp registers an app or replaces the registration of an existing one.
func (s *Service) PutApp(ctx context.Context, spec AppSpec) error {
	if spec.ClientID == "" {
		return apierr.New(apierr.InvalidInput, "app needs a clientId")
	}
	if len(spec.ClientSecret) < minSecretLen {
		return apierr.New(apierr.InvalidInput, "app %q: client secret must have at least %d characters", spec.ClientID, minSecretLen)
	}
	sealed, err := s.keyring.Seal([]byte(spec.ClientSecret))
	if err != nil {
		return fmt.Errorf("accounts: seal client secret: %w", err)
	}
	app := store.App{ID: spec.ClientID, Name: spec.Name, ClientSecret: sealed,
		ReturnURLs: slices.Clone(spec.ReturnURLs), CORSOrigins: slices.Clone(spec.CORSOrigins)}
	err = s.store.UpdateApp(ctx, app)
	if errors.Is(err, store.ErrNotFound) {
		err = s.store.CreateApp(ctx, app)
		if errors.Is(err, store.ErrConflict) { // created concurrently
			err = s.store.UpdateApp(ctx, app)
		}
	}
	if err != nil {
		return fmt.Errorf("accounts: put app %q: %w", spec.ClientID, err)
	}
	return nil
}

// App returns a registered app; a missing one is apierr NotFound.
func (s *Service) App(ctx context.Context, clientID string) (store.App, error) {
	app, err := s.store.GetApp(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return store.App{}, apierr.Wrap(err, apierr.NotFound, "unknown clientId")
	}
	if err != nil {
		return store.App{}, fmt.Errorf("accounts: get app: %w", err)
	}
	return app, nil
}

// CheckClientSecret reports whether secret is the app's client secret, in
// constant time.
func (s *Service) CheckClientSecret(app store.App, secret string) bool {
	plain, err := s.keyring.Open(app.ClientSecret)
	if err != nil {
		s.logger.Error("cannot open client secret", "app", app.ID, "error", err)
		return false
	}
	defer clear(plain)
	a := sha256.Sum256(plain)
	b := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// ClientSecret returns the plaintext client secret of an app, for HMAC
// checks. Callers must not log or keep it.
func (s *Service) ClientSecret(app store.App) ([]byte, error) {
	plain, err := s.keyring.Open(app.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("accounts: open client secret: %w", err)
	}
	return plain, nil
}

// PrimaryUserID is the id of the user whose primary account is the given
// provider account. It is stable, so concurrent first sign-ins agree.
func PrimaryUserID(appID, serviceType, authUserID string) string {
	h := sha256.Sum256([]byte("aurinko-user\x00" + appID + "\x00" + serviceType + "\x00" + authUserID))
	h[6] = h[6]&0x0f | 0x50 // UUID-shaped (version 5 layout, SHA-256 based)
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// LinkRequest is the outcome of an OAuth flow to store.
type LinkRequest struct {
	AppID       string
	ServiceType string
	Grant       *connectors.Grant
	// Type is the account's role: primary (sign-in, or a standalone
	// account when UserID is ""), secondary, or daemon.
	Type store.AccountType
	// UserID is the user a secondary account is linked to. For a primary
	// account it must be "" (the user is found or created from the
	// identity); for daemon accounts "".
	UserID string
	// CreateUser makes a primary account a user's sign-in account (the
	// user-session flows); false keeps a primary account standalone.
	CreateUser bool
	// AccountID re-authorizes this existing account (0: find by identity).
	AccountID int64
	// Scopes are the unified scopes requested.
	Scopes []connectors.Scope
}

// LinkResult is what Link stored.
type LinkResult struct {
	Account store.Account
	User    *store.User // the account's user, nil for accounts without one
	Created bool        // a new account was created (else re-authorized)
}

// Link stores the grant of a completed flow: it upserts the organization,
// finds or creates the user for a primary sign-in, creates the account or
// re-authorizes the existing one (keeping its id), and stores the token
// sealed. It is safe against concurrent sign-ins of the same person.
func (s *Service) Link(ctx context.Context, req LinkRequest) (LinkResult, error) {
	g := req.Grant
	if g == nil || g.Identity.AuthUserID == "" {
		return LinkResult{}, apierr.New(apierr.InvalidInput, "the provider returned no usable identity")
	}
	if !req.Type.Valid() {
		return LinkResult{}, apierr.New(apierr.InvalidInput, "bad account type %q", req.Type)
	}
	id := g.Identity
	provider := id.ServiceProvider
	if provider == "" {
		provider = req.ServiceType
	}
	now := s.now().UTC()

	var orgID int64
	if id.AuthOrgID != "" {
		org, err := s.store.UpsertOrganization(ctx, store.Organization{AppID: req.AppID, ServiceProvider: provider,
			XID: id.AuthOrgID, Domain: id.OrgDomain, Name: id.OrgName})
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: organization: %w", err)
		}
		orgID = org.ID
	}

	userID := req.UserID
	var user *store.User
	switch {
	case req.Type == store.AccountPrimary && req.CreateUser:
		if userID != "" {
			return LinkResult{}, apierr.New(apierr.InvalidInput, "a primary sign-in cannot name a user")
		}
		userID = PrimaryUserID(req.AppID, req.ServiceType, id.AuthUserID)
		u, err := s.ensureUser(ctx, store.User{ID: userID, AppID: req.AppID, Email: id.Email, Name: id.Name,
			AuthOrgID: id.AuthOrgID, OrgID: orgID, LastActivity: now})
		if err != nil {
			return LinkResult{}, err
		}
		user = &u
	case req.Type == store.AccountSecondary:
		if userID == "" {
			return LinkResult{}, apierr.New(apierr.Unauthorized, "linking a secondary account needs a signed-in user")
		}
		u, err := s.store.GetUser(ctx, userID)
		if err != nil || u.AppID != req.AppID {
			return LinkResult{}, apierr.New(apierr.Unauthorized, "linking a secondary account needs a signed-in user")
		}
		user = &u
	default:
		userID = ""
	}

	// A grant without a token (an identity-only sign-in, such as a Google
	// id_token from an extension) stores or keeps no credential.
	var sealed store.Sealed
	var expiry time.Time
	switch {
	case g.Password != "":
		// A password account: the credential is the password; there is
		// nothing to refresh.
		c := credential{Password: g.Password}
		if g.Token != nil {
			c.AccessToken, c.RefreshToken, c.TokenType, c.Expiry = g.Token.AccessToken, g.Token.RefreshToken, g.Token.TokenType, g.Token.Expiry
			expiry = g.Token.Expiry
		}
		var err error
		if sealed, err = sealCredential(s.keyring, c); err != nil {
			return LinkResult{}, err
		}
	case g.Token != nil:
		var err error
		if sealed, err = sealToken(s.keyring, g.Token); err != nil {
			return LinkResult{}, err
		}
		expiry = g.Token.Expiry
	}
	scopes := make([]string, len(req.Scopes))
	for i, sc := range req.Scopes {
		scopes[i] = string(sc)
	}
	acct := store.Account{
		AppID: req.AppID, UserID: userID, ServiceType: req.ServiceType, ServiceProvider: provider,
		Type: req.Type, Active: true, TokenStatus: store.TokenActive, Scopes: scopes, NativeScopes: g.Scopes,
		AuthUserID: id.AuthUserID, AuthOrgID: id.AuthOrgID, OrgID: orgID, Email: id.Email, Name: id.Name,
		LoginString: firstNonEmpty(id.Email, id.Name, id.AuthUserID), ServerURL: id.ServerURL, AuthObtainedAt: now,
	}

	existing, err := s.existingAccount(ctx, req, userID)
	if err != nil {
		return LinkResult{}, err
	}
	if existing == nil {
		created, err := s.store.CreateAccount(ctx, acct, store.Token{Sealed: sealed, Expiry: expiry, RefreshedAt: now})
		if errors.Is(err, store.ErrConflict) {
			// Created concurrently by the same person signing in twice:
			// re-authorize what the other flow created.
			existing, err = s.existingAccount(ctx, req, userID)
			if err == nil && existing == nil {
				err = apierr.New(apierr.Conflict, "this %s account is already linked", req.ServiceType)
			}
		}
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: create account: %w", err)
		}
		if existing == nil {
			s.logger.Info("account linked", "app", req.AppID, "account", created.ID, "serviceType", req.ServiceType, "type", req.Type)
			return LinkResult{Account: created, User: user, Created: true}, nil
		}
	}
	if g.Password != "" {
		return s.reauthorizeSealed(ctx, *existing, acct, sealed, expiry, user)
	}
	return s.reauthorize(ctx, *existing, acct, g.Token, user)
}

// reauthorizeSealed replaces an account's profile and whole credential
// (password accounts: nothing of the old credential is kept).
func (s *Service) reauthorizeSealed(ctx context.Context, old, fresh store.Account, sealed store.Sealed, expiry time.Time, user *store.User) (LinkResult, error) {
	fresh.ID, fresh.CreatedAt, fresh.ParentID, fresh.Type = old.ID, old.CreatedAt, old.ParentID, old.Type
	if err := s.store.UpdateAccount(ctx, fresh); err != nil {
		return LinkResult{}, fmt.Errorf("accounts: update account: %w", err)
	}
	for range 5 {
		cur, err := s.store.GetToken(ctx, old.ID)
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: get token: %w", err)
		}
		_, err = s.store.SwapToken(ctx, old.ID, cur.Version, store.Token{Sealed: sealed, Expiry: expiry, RefreshedAt: s.now()})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: store credential: %w", err)
		}
		s.ForgetToken(old.ID)
		a, err := s.store.GetAccount(ctx, old.ID)
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: get account: %w", err)
		}
		return LinkResult{Account: a, User: user}, nil
	}
	return LinkResult{}, apierr.New(apierr.Conflict, "account %d is being updated concurrently; try again", old.ID)
}

// Password returns the password of a password account (IMAP). Callers must
// not log or keep it. An account without one is ReauthRequired.
func (s *Service) Password(ctx context.Context, accountID int64) (string, error) {
	a, err := s.store.GetAccount(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return "", apierr.New(apierr.NotFound, "account %d not found", accountID)
	}
	if err != nil {
		return "", fmt.Errorf("accounts: get account: %w", err)
	}
	if !a.Active || a.TokenStatus != store.TokenActive {
		return "", errReauth(a)
	}
	t, err := s.store.GetToken(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("accounts: get token: %w", err)
	}
	if t.Sealed == nil {
		return "", errReauth(a)
	}
	c, err := openCredential(s.keyring, t.Sealed)
	if err != nil {
		return "", err
	}
	if c.Password == "" {
		return "", errReauth(a)
	}
	return c.Password, nil
}

// existingAccount returns the account a flow re-authorizes: the one named
// by AccountID (checked to be the caller's and the identity's), or the one
// with the same identity; nil when there is none.
func (s *Service) existingAccount(ctx context.Context, req LinkRequest, userID string) (*store.Account, error) {
	id := req.Grant.Identity
	if req.AccountID != 0 {
		a, err := s.store.GetAccount(ctx, req.AccountID)
		if errors.Is(err, store.ErrNotFound) || err == nil && (a.AppID != req.AppID || a.UserID != userID || !strings.EqualFold(a.ServiceType, req.ServiceType)) {
			return nil, apierr.New(apierr.NotFound, "account %d not found", req.AccountID)
		}
		if err != nil {
			return nil, fmt.Errorf("accounts: get account: %w", err)
		}
		if a.AuthUserID != "" && a.AuthUserID != id.AuthUserID {
			return nil, apierr.New(apierr.Conflict, "signed in as a different %s user than account %d", req.ServiceType, a.ID)
		}
		return &a, nil
	}
	a, err := s.store.FindAccount(ctx, req.AppID, userID, req.ServiceType, id.AuthUserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: find account: %w", err)
	}
	return &a, nil
}

// reauthorize refreshes an existing account's profile and token.
func (s *Service) reauthorize(ctx context.Context, old, fresh store.Account, tok *oauth2.Token, user *store.User) (LinkResult, error) {
	fresh.ID, fresh.CreatedAt, fresh.ParentID = old.ID, old.CreatedAt, old.ParentID
	if fresh.Type != old.Type {
		fresh.Type = old.Type // a re-authorization never changes the role
	}
	if fresh.Timezone == "" {
		fresh.Timezone = old.Timezone
	}
	if err := s.store.UpdateAccount(ctx, fresh); err != nil {
		return LinkResult{}, fmt.Errorf("accounts: update account: %w", err)
	}
	if tok == nil {
		a, err := s.store.GetAccount(ctx, old.ID)
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: get account: %w", err)
		}
		return LinkResult{Account: a, User: user}, nil
	}
	// Keep the stored refresh token when the provider sent none.
	for range 5 {
		cur, err := s.store.GetToken(ctx, old.ID)
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: get token: %w", err)
		}
		t := *tok
		if t.RefreshToken == "" && cur.Sealed != nil {
			if prev, err := openToken(s.keyring, cur.Sealed); err == nil {
				t.RefreshToken = prev.RefreshToken
			}
		}
		sealed, err := sealToken(s.keyring, &t)
		if err != nil {
			return LinkResult{}, err
		}
		_, err = s.store.SwapToken(ctx, old.ID, cur.Version, store.Token{Sealed: sealed, Expiry: t.Expiry, RefreshedAt: s.now()})
		if errors.Is(err, store.ErrConflict) {
			continue // a refresh raced us; read again
		}
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: store token: %w", err)
		}
		s.ForgetToken(old.ID)
		s.logger.Info("account re-authorized", "app", fresh.AppID, "account", fresh.ID, "serviceType", fresh.ServiceType)
		a, err := s.store.GetAccount(ctx, old.ID)
		if err != nil {
			return LinkResult{}, fmt.Errorf("accounts: get account: %w", err)
		}
		return LinkResult{Account: a, User: user}, nil
	}
	return LinkResult{}, apierr.New(apierr.Conflict, "account %d is being updated concurrently; try again", old.ID)
}

func (s *Service) ensureUser(ctx context.Context, u store.User) (store.User, error) {
	cur, err := s.store.GetUser(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		err = s.store.CreateUser(ctx, u)
		if err == nil {
			return s.store.GetUser(ctx, u.ID)
		}
		if !errors.Is(err, store.ErrConflict) {
			return store.User{}, fmt.Errorf("accounts: create user: %w", err)
		}
		cur, err = s.store.GetUser(ctx, u.ID)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("accounts: get user: %w", err)
	}
	cur.Email = firstNonEmpty(u.Email, cur.Email)
	cur.Name = firstNonEmpty(u.Name, cur.Name)
	cur.AuthOrgID = firstNonEmpty(u.AuthOrgID, cur.AuthOrgID)
	if u.OrgID != 0 {
		cur.OrgID = u.OrgID
	}
	cur.LastActivity = u.LastActivity
	if err := s.store.UpdateUser(ctx, cur); err != nil {
		return store.User{}, fmt.Errorf("accounts: update user: %w", err)
	}
	return cur, nil
}

// User returns a user of an app; another app's user is NotFound.
func (s *Service) User(ctx context.Context, appID, userID string) (store.User, error) {
	u, err := s.store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.AppID != appID {
		return store.User{}, apierr.New(apierr.NotFound, "user not found")
	}
	if err != nil {
		return store.User{}, fmt.Errorf("accounts: get user: %w", err)
	}
	return u, nil
}

// UserAccounts returns every account of a user, ordered by id.
func (s *Service) UserAccounts(ctx context.Context, appID, userID string) ([]store.Account, error) {
	var all []store.Account
	page := store.Page{Limit: store.MaxPageLimit}
	for {
		batch, err := s.store.ListAccounts(ctx, store.AccountFilter{AppID: appID, UserID: userID}, page)
		if err != nil {
			return nil, fmt.Errorf("accounts: list accounts: %w", err)
		}
		all = append(all, batch...)
		if len(batch) < page.Limit {
			return all, nil
		}
		page.After = batch[len(batch)-1].ID
	}
}

// Account returns an account of an app. When userID is not "", the account
// must also belong to that user. Anything else is NotFound: the caller learns
// nothing about accounts that are not theirs.
func (s *Service) Account(ctx context.Context, appID, userID string, id int64) (store.Account, error) {
	a, err := s.store.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (a.AppID != appID || userID != "" && a.UserID != userID) {
		return store.Account{}, apierr.New(apierr.NotFound, "account %d not found", id)
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("accounts: get account: %w", err)
	}
	return a, nil
}

// DeleteAccount removes an account (after the same ownership check as
// Account), revoking its grant at the provider when the connector can; a
// failed revocation is logged and does not keep the account.
func (s *Service) DeleteAccount(ctx context.Context, appID, userID string, id int64) error {
	a, err := s.Account(ctx, appID, userID, id)
	if err != nil {
		return err
	}
	s.revoke(ctx, a)
	if err := s.store.DeleteAccount(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierr.New(apierr.NotFound, "account %d not found", id)
		}
		return fmt.Errorf("accounts: delete account: %w", err)
	}
	s.ForgetToken(id)
	s.logger.Info("account deleted", "app", appID, "account", id)
	return nil
}

func (s *Service) revoke(ctx context.Context, a store.Account) {
	c, ok := s.connectors.Get(a.ServiceType)
	if !ok {
		return
	}
	rv, ok := c.(connectors.Revoker)
	if !ok {
		return
	}
	t, err := s.store.GetToken(ctx, a.ID)
	if err != nil || t.Sealed == nil {
		return
	}
	tok, err := openToken(s.keyring, t.Sealed)
	if err != nil {
		s.logger.Warn("cannot open token to revoke it", "account", a.ID, "error", err)
		return
	}
	if err := rv.Revoke(ctx, tok); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		s.logger.Warn("provider revocation failed", "account", a.ID, "error", err)
	}
}

// StoredToken returns the stored provider token of an account as it is,
// without refreshing it; most callers want AccessToken.
func (s *Service) StoredToken(ctx context.Context, accountID int64) (*oauth2.Token, store.Token, error) {
	t, err := s.store.GetToken(ctx, accountID)
	if err != nil {
		return nil, store.Token{}, fmt.Errorf("accounts: get token: %w", err)
	}
	if t.Sealed == nil {
		return nil, t, apierr.New(apierr.ReauthRequired, "account %d has no credentials", accountID)
	}
	tok, err := openToken(s.keyring, bytes.Clone(t.Sealed)) // t goes back to the caller intact
	if err != nil {
		return nil, t, err
	}
	return tok, t, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
