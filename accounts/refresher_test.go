package accounts_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// seedMany links n accounts whose refresh tokens the endpoint accepts.
func seedMany(t *testing.T, s *accounts.Service, te *tokenEndpoint, clk *fakeClock, n int, expiry time.Duration) []int64 {
	t.Helper()
	ctx := context.Background()
	if err := s.PutApp(ctx, accounts.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef!"}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		rt := fmt.Sprintf("rt-seed-%d", i)
		te.mu.Lock()
		te.valid[rt] = true
		te.mu.Unlock()
		res, err := s.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
			Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "at-seed", RefreshToken: rt, Expiry: clk.Now().Add(expiry)},
				Identity: connectors.Identity{AuthUserID: fmt.Sprintf("u%d", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Account.ID)
	}
	return ids
}

func TestRefresher_touchesIdleGrantsOnce(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{})
	seedMany(t, s, te, clk, 3, time.Hour)
	ctx := context.Background()
	cfg := accounts.RefresherConfig{IdleAfter: 14 * 24 * time.Hour}

	if res, err := s.RefreshPass(ctx, cfg); err != nil || res.Refreshed != 0 {
		t.Fatalf("pass on fresh grants = %+v, %v; want nothing refreshed", res, err)
	}
	clk.Advance(15 * 24 * time.Hour)
	if res, err := s.RefreshPass(ctx, cfg); err != nil || res.Refreshed != 3 || res.Failed != 0 {
		t.Fatalf("pass on idle grants = %+v, %v; want 3 refreshed", res, err)
	}
	if res, _ := s.RefreshPass(ctx, cfg); res.Refreshed != 0 {
		t.Fatalf("second pass = %+v, want nothing refreshed", res)
	}
	if te.refreshes() != 3 {
		t.Fatalf("provider refreshes = %d, want 3", te.refreshes())
	}
}

func TestRefresher_aheadOfExpiry(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{})
	ids := seedMany(t, s, te, clk, 2, 8*time.Minute)
	res, err := s.RefreshPass(context.Background(), accounts.RefresherConfig{Ahead: 10 * time.Minute, IdleAfter: -1})
	if err != nil || res.Refreshed != 2 {
		t.Fatalf("pass = %+v, %v; want 2 refreshed", res, err)
	}
	for _, id := range ids {
		tok, _, _ := s.StoredToken(context.Background(), id)
		if !tok.Expiry.After(clk.Now().Add(30 * time.Minute)) {
			t.Fatalf("account %d still expires at %v", id, tok.Expiry)
		}
	}
	// Off by default: a zero Ahead refreshes nothing ahead of expiry.
	clk.Advance(55 * time.Minute)
	if res, _ := s.RefreshPass(context.Background(), accounts.RefresherConfig{IdleAfter: -1}); res.Refreshed != 0 {
		t.Fatalf("default pass refreshed %d ahead of expiry", res.Refreshed)
	}
}

func TestRefresher_instancesRefreshEachGrantOnce(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			te := newTokenEndpoint(t)
			clk := &fakeClock{t: time.Now()}
			stores := openShared(t, kind, 3, clk.Now)
			var svcs []*accounts.Service
			for _, st := range stores {
				svcs = append(svcs, newSvc(t, st, te, clk, accounts.TokenConfig{}))
			}
			seedMany(t, svcs[0], te, clk, 30, time.Hour)
			clk.Advance(20 * 24 * time.Hour)
			var wg sync.WaitGroup
			var refreshed, failed atomic.Int64
			for _, s := range svcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := s.RefreshPass(context.Background(), accounts.RefresherConfig{})
					if err != nil {
						t.Error(err)
					}
					refreshed.Add(int64(res.Refreshed))
					failed.Add(int64(res.Failed))
				}()
			}
			wg.Wait()
			te.mu.Lock()
			n, bad := te.n, te.seenBad
			te.mu.Unlock()
			if refreshed.Load() != 30 || n != 30 || bad != 0 || failed.Load() != 0 {
				t.Fatalf("refreshed by instances = %d, provider refreshes = %d, invalid_grant = %d, failed = %d; want 30, 30, 0, 0",
					refreshed.Load(), n, bad, failed.Load())
			}
		})
	}
}

func TestRefresher_terminalDeactivatesAndRunStops(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	var hooks atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	passes := make(chan struct{}, 10)
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{
		OnTerminal: func(context.Context, accounts.TerminalEvent) { hooks.Add(1) },
		Sleep: func(c context.Context, d time.Duration) error {
			if d == time.Hour { // the refresher's interval: count passes
				passes <- struct{}{}
				if len(passes) >= 2 {
					cancel()
				}
			}
			return c.Err()
		},
	})
	ids := seedMany(t, s, te, clk, 1, time.Hour)
	te.mu.Lock()
	te.valid = map[string]bool{} // the grant was revoked at the provider
	te.mu.Unlock()
	clk.Advance(30 * 24 * time.Hour)
	done := make(chan error, 1)
	go func() { done <- s.RunRefresher(ctx, accounts.RefresherConfig{Interval: time.Hour}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunRefresher = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunRefresher did not stop after its context was cancelled")
	}
	a, _ := s.Store().GetAccount(context.Background(), ids[0])
	if a.Active || a.TokenStatus != store.TokenInvalid || hooks.Load() != 1 {
		t.Fatalf("account = active %v status %s; hook fired %d times; want inactive, invalid, 1", a.Active, a.TokenStatus, hooks.Load())
	}
}

func TestForceRefresh(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t)
	clk := &fakeClock{t: time.Now()}
	var hooks atomic.Int32
	s := newSvc(t, memstore.New(memstore.Options{Now: clk.Now}), te, clk, accounts.TokenConfig{
		OnTerminal: func(context.Context, accounts.TerminalEvent) { hooks.Add(1) }})
	ids := seedMany(t, s, te, clk, 2, time.Hour)
	ctx := context.Background()
	clk.Advance(time.Second)
	if err := s.ForceRefresh(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if te.refreshes() != 1 {
		t.Fatalf("refreshes = %d, want 1 (a valid token refreshed on demand)", te.refreshes())
	}
	if tok, _ := s.AccessToken(ctx, ids[0]); tok.AccessToken != "at-1" {
		t.Fatalf("token after ForceRefresh = %q", tok.AccessToken)
	}
	// Held elsewhere → Conflict, nothing called.
	l, err := s.Store().AcquireLock(ctx, fmt.Sprintf("token:%d", ids[1]), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ForceRefresh(ctx, ids[1]); apierr.CodeOf(err) != apierr.Conflict {
		t.Fatalf("locked: %v", err)
	}
	_ = s.Store().ReleaseLock(ctx, l)
	// Terminal → deactivated, hook once.
	te.mu.Lock()
	te.valid = map[string]bool{}
	te.mu.Unlock()
	if err := s.ForceRefresh(ctx, ids[1]); apierr.CodeOf(err) != apierr.ReauthRequired || hooks.Load() != 1 {
		t.Fatalf("terminal: %v, hooks %d", err, hooks.Load())
	}
	// A password account has nothing to refresh.
	pw, err := s.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Password: "p4ss-word", Identity: connectors.Identity{AuthUserID: "imap-user"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ForceRefresh(ctx, pw.Account.ID); apierr.CodeOf(err) != apierr.InvalidInput {
		t.Fatalf("password account: %v", err)
	}
}
