package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
)

// Defaults of RefresherConfig.
const (
	DefaultRefreshInterval = time.Minute
	DefaultIdleAfter       = 14 * 24 * time.Hour
	DefaultRefreshBatch    = 100
)

// RefresherConfig tunes the background refresher. Zero values take the
// defaults.
type RefresherConfig struct {
	// Interval between passes. Default DefaultRefreshInterval.
	Interval time.Duration
	// Ahead, when positive, refreshes every active grant whose access
	// token expires within Ahead, so background work always finds a valid
	// token. It costs one provider call per account per token lifetime
	// (about one an hour with Google and Microsoft), so it is off by
	// default: callers are served by the on-demand refresh of AccessToken.
	Ahead time.Duration
	// IdleAfter refreshes grants that were not refreshed for this long, so
	// that providers do not expire them for inactivity (Microsoft refresh
	// tokens lapse after 90 idle days, Google's after six months unused).
	// Default DefaultIdleAfter; negative disables.
	IdleAfter time.Duration
	// Batch bounds the accounts looked at per pass and kind. Default
	// DefaultRefreshBatch.
	Batch int
}

func (c *RefresherConfig) fill() {
	if c.Interval <= 0 {
		c.Interval = DefaultRefreshInterval
	}
	if c.IdleAfter == 0 {
		c.IdleAfter = DefaultIdleAfter
	}
	if c.Batch <= 0 {
		c.Batch = DefaultRefreshBatch
	}
}

// PassResult counts what one refresher pass did.
type PassResult struct {
	Refreshed int // grants refreshed by this instance
	Skipped   int // held by another instance, or no longer needing it
	Failed    int // transient failures (left for the next pass) and terminal ones (account deactivated)
}

// RunRefresher refreshes grants in the background until ctx is done, then
// returns nil. Several instances sharing a store may run it at once: each
// grant is refreshed by the one instance that takes its lock, and the
// others skip it. The host starts it (go svc.RunRefresher(ctx, cfg)) and
// stops it by cancelling ctx.
func (s *Service) RunRefresher(ctx context.Context, cfg RefresherConfig) error {
	cfg.fill()
	for {
		res, err := s.RefreshPass(ctx, cfg)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("refresher pass failed", "error", err)
		} else if res.Refreshed+res.Failed > 0 {
			s.logger.Info("refresher pass", "refreshed", res.Refreshed, "skipped", res.Skipped, "failed", res.Failed)
		}
		if err := s.tokenCfg.Sleep(ctx, cfg.Interval); err != nil {
			return nil
		}
	}
}

// RefreshPass runs one pass of the refresher: the grants expiring within
// cfg.Ahead (when set) and the grants idle for cfg.IdleAfter.
func (s *Service) RefreshPass(ctx context.Context, cfg RefresherConfig) (PassResult, error) {
	cfg.fill()
	var res PassResult
	now := s.now()
	if cfg.Ahead > 0 {
		until := now.Add(cfg.Ahead)
		toks, err := s.store.ListTokensExpiring(ctx, until, cfg.Batch)
		if err != nil {
			return res, fmt.Errorf("accounts: list expiring tokens: %w", err)
		}
		s.pass(ctx, toks, &res, func(_ store.Token, tok *oauth2.Token) bool {
			return !tok.Expiry.IsZero() && tok.Expiry.Before(until)
		})
	}
	if cfg.IdleAfter > 0 {
		cutoff := now.Add(-cfg.IdleAfter)
		toks, err := s.store.ListTokensRefreshedBefore(ctx, cutoff, cfg.Batch)
		if err != nil {
			return res, fmt.Errorf("accounts: list idle tokens: %w", err)
		}
		s.pass(ctx, toks, &res, func(cur store.Token, _ *oauth2.Token) bool {
			return cur.RefreshedAt.Before(cutoff)
		})
	}
	return res, ctx.Err()
}

func (s *Service) pass(ctx context.Context, toks []store.Token, res *PassResult, need func(store.Token, *oauth2.Token) bool) {
	for _, t := range toks {
		if ctx.Err() != nil {
			return
		}
		a, err := s.store.GetAccount(ctx, t.AccountID)
		if err != nil {
			res.Skipped++
			continue
		}
		lease, err := s.store.AcquireLock(ctx, lockName(a.ID), s.tokenCfg.LockTTL)
		if errors.Is(err, store.ErrLocked) {
			res.Skipped++ // another instance (or an on-demand refresh) has it
			continue
		}
		if err != nil {
			res.Failed++
			s.logger.Warn("refresher: lock", "account", a.ID, "error", err)
			continue
		}
		done := false
		_, err = s.refreshLocked(ctx, a, lease, func(cur store.Token, tok *oauth2.Token) bool {
			done = need(cur, tok)
			return done
		})
		switch {
		case err != nil:
			res.Failed++
			if apierr.CodeOf(err) != apierr.ReauthRequired {
				s.logger.Warn("refresher: refresh failed", "account", a.ID, "error", err)
			}
		case done:
			res.Refreshed++
			s.ForgetToken(a.ID)
		default:
			res.Skipped++
		}
	}
}

// ForceRefresh refreshes an account's grant now, whatever its expiry (an
// operator's action): under the same store lease as every refresh, keeping
// the refresh token when the provider sends none, and on a terminal error
// deactivating the account and calling OnTerminal. An account whose
// credential cannot be refreshed (a password, a token without refresh token
// that is not a daemon's) is InvalidInput; one being refreshed elsewhere at
// this moment is Conflict.
func (s *Service) ForceRefresh(ctx context.Context, accountID int64) error {
	a, _, tok, err := s.load(ctx, accountID)
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" && a.Type != store.AccountDaemon {
		return apierr.New(apierr.InvalidInput, "account %d has nothing to refresh", accountID)
	}
	lease, err := s.store.AcquireLock(ctx, lockName(accountID), s.tokenCfg.LockTTL)
	if errors.Is(err, store.ErrLocked) {
		return apierr.New(apierr.Conflict, "account %d is being refreshed right now; try again", accountID)
	}
	if err != nil {
		return fmt.Errorf("accounts: lock token of account %d: %w", accountID, err)
	}
	_, err = s.refreshLocked(ctx, a, lease, func(store.Token, *oauth2.Token) bool { return true })
	s.ForgetToken(accountID)
	return err
}
