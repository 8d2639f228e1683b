package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
)

// Defaults of TokenConfig.
const (
	DefaultRefreshMargin = 5 * time.Minute
	DefaultLockTTL       = time.Minute
	DefaultCacheTTL      = 30 * time.Second
	DefaultMaxAttempts   = 3
	DefaultRetryBase     = 500 * time.Millisecond
	DefaultWaitTimeout   = 2 * time.Minute
)

// TokenConfig tunes the token lifecycle. Zero values take the defaults.
type TokenConfig struct {
	// RefreshMargin: a token that expires within it is refreshed before it
	// is served. Default DefaultRefreshMargin.
	RefreshMargin time.Duration
	// LockTTL is the lease of the per-account refresh lock in the store.
	// It is renewed every LockTTL/3 while a refresh runs, so it outlasts a
	// slow token endpoint; a holder that dies frees the account after at
	// most LockTTL. Default DefaultLockTTL.
	LockTTL time.Duration
	// CacheTTL is how long a valid token is served from memory before the
	// store is read again (to see deactivation or another instance's
	// refresh). Default DefaultCacheTTL.
	CacheTTL time.Duration
	// MaxAttempts bounds the tries of one refresh on transient failures
	// (5xx, 429, network errors). Default DefaultMaxAttempts.
	MaxAttempts int
	// RetryBase is the first backoff; it doubles per attempt, and a
	// provider's Retry-After wins when longer. Default DefaultRetryBase.
	RetryBase time.Duration
	// WaitTimeout bounds how long a caller waits for another instance's
	// refresh before giving up with ProviderUnavailable. Default
	// DefaultWaitTimeout.
	WaitTimeout time.Duration
	// OnTerminal is called once when a refresh fails terminally and the
	// account is deactivated (the user must sign in again). It runs in the
	// refreshing goroutine; it must not block for long.
	OnTerminal func(ctx context.Context, ev TerminalEvent)
	// Sleep waits for d or until ctx is done. Default: a timer. Tests
	// inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
}

// TerminalEvent tells the host that an account lost its grant.
type TerminalEvent struct {
	Account store.Account
	// Reason is the provider's error code and description, without secrets.
	Reason string
}

// tokenState is the in-memory part of the token lifecycle.
type tokenState struct {
	mu       sync.Mutex
	inflight map[int64]*refreshCall
	cache    map[int64]cachedToken
}

type refreshCall struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

type cachedToken struct {
	tok     *oauth2.Token // shared: callers must not modify it
	checked time.Time
}

func (c *TokenConfig) fill() {
	if c.RefreshMargin <= 0 {
		c.RefreshMargin = DefaultRefreshMargin
	}
	if c.LockTTL <= 0 {
		c.LockTTL = DefaultLockTTL
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = DefaultWaitTimeout
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AccessToken returns a valid provider token for an account, refreshing it
// first when it expires within RefreshMargin. It is safe to call from many
// goroutines and many server instances at once: concurrent callers in one
// process share one refresh, and across processes the store's lock lets one
// instance refresh while the others wait for its result.
//
// The returned token is shared with other callers, as with
// oauth2.ReuseTokenSource: it must not be modified.
//
// Errors are *apierr.Error: ReauthRequired when the account's grant is gone,
// ProviderUnavailable or RateLimited (with RetryAfter) when the provider
// fails for now, NotFound for a missing account.
func (s *Service) AccessToken(ctx context.Context, accountID int64) (*oauth2.Token, error) {
	now := s.now()
	s.tokens.mu.Lock()
	if c, ok := s.tokens.cache[accountID]; ok && now.Sub(c.checked) < s.tokenCfg.CacheTTL && s.fresh(c.tok, now) {
		s.tokens.mu.Unlock()
		return c.tok, nil
	}
	call, running := s.tokens.inflight[accountID]
	if !running {
		call = &refreshCall{done: make(chan struct{})}
		s.tokens.inflight[accountID] = call
	}
	s.tokens.mu.Unlock()

	if !running {
		// The leader works on a context that outlives a cancelled
		// caller, so the followers still get a result.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.tokenCfg.WaitTimeout)
		call.tok, call.err = s.fetch(lctx, accountID)
		cancel()
		s.tokens.mu.Lock()
		delete(s.tokens.inflight, accountID)
		if call.err == nil {
			s.tokens.cache[accountID] = cachedToken{tok: call.tok, checked: s.now()}
		} else {
			delete(s.tokens.cache, accountID)
		}
		s.tokens.mu.Unlock()
		close(call.done)
	} else {
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("accounts: waiting for token of account %d: %w", accountID, ctx.Err())
		}
	}
	if call.err != nil {
		return nil, call.err
	}
	return call.tok, nil
}

// ForgetToken drops an account's token from the in-memory cache, so the
// next AccessToken reads the store.
func (s *Service) ForgetToken(accountID int64) {
	s.tokens.mu.Lock()
	delete(s.tokens.cache, accountID)
	s.tokens.mu.Unlock()
}

func (s *Service) fresh(t *oauth2.Token, now time.Time) bool {
	return t.AccessToken != "" && (t.Expiry.IsZero() || t.Expiry.Sub(now) > s.tokenCfg.RefreshMargin)
}

// TokenSource returns an oauth2.TokenSource for an account, backed by
// AccessToken. ctx is used for every store and provider call it makes.
func (s *Service) TokenSource(ctx context.Context, accountID int64) oauth2.TokenSource {
	return tokenSource{ctx: ctx, s: s, id: accountID}
}

type tokenSource struct {
	ctx context.Context
	s   *Service
	id  int64
}

func (ts tokenSource) Token() (*oauth2.Token, error) { return ts.s.AccessToken(ts.ctx, ts.id) }

// HTTPClient returns a client that authorizes every request as the account,
// built on base (the server's client when nil).
func (s *Service) HTTPClient(ctx context.Context, accountID int64, base *http.Client) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	return &http.Client{
		Transport: &oauth2.Transport{Source: s.TokenSource(ctx, accountID), Base: base.Transport},
		Timeout:   base.Timeout,
	}
}

func lockName(accountID int64) string { return "token:" + strconv.FormatInt(accountID, 10) }

// errReauth is the error of an account whose grant is gone.
func errReauth(a store.Account) error {
	return apierr.New(apierr.ReauthRequired, "account %d must be authorized again", a.ID)
}

// fetch returns a fresh token, refreshing under the store lock if needed.
func (s *Service) fetch(ctx context.Context, accountID int64) (*oauth2.Token, error) {
	deadline := s.now().Add(s.tokenCfg.WaitTimeout)
	wait := 25 * time.Millisecond
	for {
		a, _, tok, err := s.load(ctx, accountID)
		if err != nil {
			return nil, err
		}
		if s.fresh(tok, s.now()) {
			return tok, nil
		}
		lease, err := s.store.AcquireLock(ctx, lockName(accountID), s.tokenCfg.LockTTL)
		if err == nil {
			return s.refreshLocked(ctx, a, lease, s.stale)
		}
		if !errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("accounts: lock token of account %d: %w", accountID, err)
		}
		// Another instance refreshes: wait for its result.
		if !s.now().Before(deadline) {
			return nil, apierr.New(apierr.ProviderUnavailable, "the token of account %d is being refreshed elsewhere; try again", accountID)
		}
		if err := s.tokenCfg.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("accounts: waiting for refresh of account %d: %w", accountID, err)
		}
		wait = min(wait*2, time.Second)
	}
}

// load reads an account and its token and refuses accounts without a
// usable grant.
func (s *Service) load(ctx context.Context, accountID int64) (store.Account, store.Token, *oauth2.Token, error) {
	a, err := s.store.GetAccount(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return a, store.Token{}, nil, apierr.New(apierr.NotFound, "account %d not found", accountID)
	}
	if err != nil {
		return a, store.Token{}, nil, fmt.Errorf("accounts: get account: %w", err)
	}
	if !a.Active || a.TokenStatus != store.TokenActive {
		return a, store.Token{}, nil, errReauth(a)
	}
	cur, err := s.store.GetToken(ctx, accountID)
	if err != nil {
		return a, cur, nil, fmt.Errorf("accounts: get token: %w", err)
	}
	if cur.Sealed == nil {
		return a, cur, nil, errReauth(a)
	}
	tok, err := openToken(s.keyring, cur.Sealed)
	if err != nil {
		return a, cur, nil, err
	}
	return a, cur, tok, nil
}

// stale is the on-demand refresh condition: the token is not fresh.
func (s *Service) stale(_ store.Token, tok *oauth2.Token) bool { return !s.fresh(tok, s.now()) }

// refreshLocked refreshes while holding the account's lease, if need says
// so for the token as re-read under the lease.
func (s *Service) refreshLocked(ctx context.Context, a store.Account, lease store.Lease, need func(store.Token, *oauth2.Token) bool) (*oauth2.Token, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var renewWG sync.WaitGroup
	renewWG.Add(1)
	go func() { // keep the lease while the provider is slow
		defer renewWG.Done()
		l := lease
		for {
			if err := s.tokenCfg.Sleep(ctx, s.tokenCfg.LockTTL/3); err != nil {
				return
			}
			nl, err := s.store.RenewLock(ctx, l, s.tokenCfg.LockTTL)
			if err != nil {
				return
			}
			l = nl
			lease = nl
		}
	}()
	defer func() {
		cancel()
		renewWG.Wait()
		// Release on a fresh context: the caller's may be done.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		if err := s.store.ReleaseLock(rctx, lease); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.logger.Warn("release token lock", "account", a.ID, "error", err)
		}
	}()

	// Re-read under the lock: another instance may have refreshed.
	a, cur, tok, err := s.load(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if !need(cur, tok) {
		return tok, nil
	}
	c, ok := s.connectors.Get(a.ServiceType)
	if !ok {
		return nil, apierr.New(apierr.ProviderUnavailable, "no connector for service type %s", a.ServiceType)
	}
	// A context of its own: the lease goroutine above reads ctx.
	rctx, op := s.tel.StartRefresh(ctx, a.ServiceType, a.ID)
	fresh, err := s.refreshAttempts(rctx, c, a, cur, tok)
	op.End(refreshOutcome(err), err)
	return fresh, err
}

// refreshOutcome classifies the result of a refresh for telemetry: a lost
// grant is terminal, any other failure transient.
func refreshOutcome(err error) string {
	switch {
	case err == nil:
		return telemetry.OutcomeOK
	case apierr.CodeOf(err) == apierr.ReauthRequired:
		return telemetry.OutcomeTerminal
	}
	return telemetry.OutcomeTransient
}

// refreshAttempts asks the provider for a fresh token, retrying transient
// failures, and stores it.
func (s *Service) refreshAttempts(ctx context.Context, c connectors.Connector, a store.Account, cur store.Token, tok *oauth2.Token) (*oauth2.Token, error) {
	var lastErr error
	for attempt := 0; attempt < s.tokenCfg.MaxAttempts; attempt++ {
		fresh, err := s.refreshOnce(ctx, c, a, tok)
		if err == nil {
			if fresh.RefreshToken == "" {
				fresh.RefreshToken = tok.RefreshToken
			}
			sealed, err := sealToken(s.keyring, fresh)
			if err != nil {
				return nil, err
			}
			_, err = s.store.SwapToken(ctx, a.ID, cur.Version, store.Token{Sealed: sealed, Expiry: fresh.Expiry, RefreshedAt: s.now()})
			if errors.Is(err, store.ErrConflict) {
				// Our lease expired and someone else stored a newer
				// token; theirs wins.
				_, _, other, err := s.load(ctx, a.ID)
				if err != nil {
					return nil, err
				}
				return other, nil
			}
			if err != nil {
				return nil, fmt.Errorf("accounts: store refreshed token: %w", err)
			}
			s.logger.Debug("token refreshed", "account", a.ID)
			return fresh, nil
		}
		lastErr = err
		var te *connectors.TokenError
		if errors.As(err, &te) && te.Terminal() {
			return s.terminal(ctx, a, cur, te)
		}
		msg := "refresh failed: " + err.Error()
		if rerr := s.store.RecordTokenError(ctx, a.ID, truncateMsg(msg), s.now()); rerr != nil {
			s.logger.Warn("record token error", "account", a.ID, "error", rerr)
		}
		if attempt+1 == s.tokenCfg.MaxAttempts {
			break
		}
		if te != nil && (te.Status == http.StatusTooManyRequests || te.RetryAfter > 0) {
			s.tel.RateLimited(ctx, a.ServiceType, telemetry.EndpointToken, te.Status)
		}
		backoff := s.tokenCfg.RetryBase << attempt
		providerWait := te != nil && te.RetryAfter > backoff
		if providerWait {
			backoff = te.RetryAfter
		}
		if backoff > s.tokenCfg.LockTTL {
			break // the provider asks for more time than we hold the lock
		}
		if err := s.tokenCfg.Sleep(ctx, backoff); err != nil {
			return nil, fmt.Errorf("accounts: refresh of account %d: %w", a.ID, err)
		}
		if providerWait {
			s.tel.RateLimitWait(ctx, a.ServiceType, telemetry.WaiterRefresh, backoff)
		}
	}
	return nil, transientError(a.ID, lastErr)
}

func (s *Service) refreshOnce(ctx context.Context, c connectors.Connector, a store.Account, tok *oauth2.Token) (*oauth2.Token, error) {
	if tok.RefreshToken == "" {
		if st, ok := c.(connectors.SubjectAppTokener); ok && a.Type == store.AccountDaemon {
			return st.AppTokenFor(ctx, a.AuthOrgID, a.AuthUserID)
		}
		if at, ok := c.(connectors.AppTokener); ok && a.Type == store.AccountDaemon {
			return at.AppToken(ctx, a.AuthOrgID)
		}
		return nil, &connectors.TokenError{Code: "invalid_grant", Description: "no refresh token stored"}
	}
	return c.Refresh(ctx, tok)
}

// terminal handles a terminal refresh error: unless the store shows that
// another instance refreshed meanwhile (a lost race), the account is
// deactivated and the host told.
func (s *Service) terminal(ctx context.Context, a store.Account, cur store.Token, te *connectors.TokenError) (*oauth2.Token, error) {
	// Under the lock no one else should have refreshed, but a lease that
	// expired during a slow call can let another instance in: trust its
	// newer token over our invalid_grant.
	if again, err := s.store.GetToken(ctx, a.ID); err == nil && again.Version != cur.Version && again.Sealed != nil {
		if tok, err := openToken(s.keyring, again.Sealed); err == nil && s.fresh(tok, s.now()) {
			return tok, nil
		}
	}
	reason := te.Code
	if te.Description != "" {
		reason += ": " + te.Description
	}
	reason = truncateMsg(reason)
	if err := s.store.SetAccountStatus(ctx, a.ID, false, store.TokenInvalid, reason); err != nil {
		return nil, fmt.Errorf("accounts: deactivate account %d: %w", a.ID, err)
	}
	s.logger.Warn("account grant lost; deactivated", "account", a.ID, "serviceType", a.ServiceType, "reason", reason)
	a.Active, a.TokenStatus, a.TokenError = false, store.TokenInvalid, reason
	if s.tokenCfg.OnTerminal != nil {
		s.tokenCfg.OnTerminal(ctx, TerminalEvent{Account: a, Reason: reason})
	}
	return nil, errReauth(a)
}

func transientError(accountID int64, err error) error {
	e := &apierr.Error{Code: apierr.ProviderUnavailable, Message: fmt.Sprintf("the provider did not refresh the token of account %d; try again later", accountID), Err: err}
	var te *connectors.TokenError
	if errors.As(err, &te) {
		e.RetryAfter = te.RetryAfter
		if te.Status == http.StatusTooManyRequests {
			e.Code = apierr.RateLimited
		}
	}
	return e
}

func truncateMsg(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
