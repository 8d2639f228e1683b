package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
)

// deactivatedReason is the TokenError of an account an operator deactivated.
const deactivatedReason = "deactivated by an administrator"

func (c *console) audit(r *http.Request, msg string, args ...any) {
	c.logger.InfoContext(r.Context(), msg, append([]any{"admin", principal(r.Context())}, args...)...)
}

func accountPath(id int64) string { return "/accounts/" + idCursor(id) }

func (c *console) deactivate(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	if err := c.store.SetAccountStatus(r.Context(), id, false, store.TokenInvalid, deactivatedReason); err != nil {
		return "", "", fmt.Errorf("admin: deactivate account %d: %w", id, err)
	}
	c.accounts.ForgetToken(id)
	c.audit(r, "admin: account deactivated", "account", id)
	return accountPath(id), "deactivated", nil
}

func (c *console) deleteAccount(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	if r.PostForm.Get("confirm") != "yes" {
		return "", "", errBadRequest("tick the box to confirm the deletion")
	}
	ctx := r.Context()
	a, err := c.store.GetAccount(ctx, id)
	if err != nil {
		return "", "", fmt.Errorf("admin: get account %d: %w", id, err)
	}
	// DeleteAccount revokes the grant at the provider when the connector
	// can, then removes the account with its token, account tokens and
	// subscriptions.
	if err := c.accounts.DeleteAccount(ctx, a.AppID, "", id); err != nil {
		return "", "", fmt.Errorf("admin: delete account %d: %w", id, err)
	}
	c.audit(r, "admin: account deleted", "account", id, "app", a.AppID)
	if a.UserID != "" {
		return "/users/" + url.PathEscape(a.UserID), "deleted", nil
	}
	return "/accounts?app=" + url.QueryEscape(a.AppID), "deleted", nil
}

// forceRefresh refreshes an account's token now, whatever its expiry,
// with accounts.Service.ForceRefresh: under the same store lock as every
// other refresh, keeping the refresh token when the provider sends none,
// and deactivating the account (and calling the host's OnTerminal hook) on
// a terminal error.
func (c *console) forceRefresh(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	ctx := r.Context()
	t, err := c.store.GetToken(ctx, id)
	if err != nil {
		return "", "", fmt.Errorf("admin: get token %d: %w", id, err)
	}
	if t.Sealed == nil || t.Expiry.IsZero() {
		// Nothing to refresh (a password, a token without expiry):
		// refreshing would ask the provider for a grant that is not
		// there.
		return accountPath(id), "unchanged", nil
	}
	if err := c.accounts.ForceRefresh(ctx, id); err != nil {
		c.audit(r, "admin: forced refresh failed", "account", id, "error", err)
		var ae *apierr.Error
		if errors.As(err, &ae) && ae.Code != apierr.NotFound {
			return "", "", &httpError{http.StatusBadGateway, "refresh failed: " + ae.Message}
		}
		return "", "", fmt.Errorf("admin: refresh account %d: %w", id, err)
	}
	c.accounts.ForgetToken(id)
	c.audit(r, "admin: token refreshed", "account", id)
	return accountPath(id), "refreshed", nil
}

// backPath is where a requeue may return to.
var backPath = regexp.MustCompile(`^/(jobs|accounts/[0-9]+)$`)

func (c *console) requeue(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	if err := c.store.RequeueJob(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", "", errConflict("the job is not failed, or a later job of its queue is still waiting: requeue it when those are done")
		}
		return "", "", fmt.Errorf("admin: requeue job %d: %w", id, err)
	}
	c.audit(r, "admin: job requeued", "job", id)
	back := r.PostForm.Get("back")
	if !backPath.MatchString(back) {
		back = "/jobs"
	}
	return back, "requeued", nil
}

func (c *console) rotate(r *http.Request) (string, string, error) {
	if c.keyring == nil {
		return "", "", errConflict("rotation needs Config.Keyring")
	}
	// The rotation outlives the request; it keeps the request's values
	// (request ids for the logs), not its cancellation.
	ctx := context.WithoutCancel(r.Context())
	if !c.rotation.start(ctx, c, principal(r.Context())) {
		return "", "", errConflict("a rotation is already running")
	}
	c.audit(r, "admin: key rotation started", "key", c.keyring.PrimaryKeyID())
	return "/keys", "rotating", nil
}

// Rotation is the state of the last re-sealing started by this console.
type Rotation struct {
	Running    bool      `json:"running"`
	KeyID      string    `json:"keyId,omitempty"`
	StartedBy  string    `json:"startedBy,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Resealed counts the secrets re-sealed so far (exact once finished).
	Resealed int64  `json:"resealed"`
	Error    string `json:"error,omitempty"`
}

// rotation runs at most one re-sealing at a time.
type rotation struct {
	mu       sync.Mutex
	state    Rotation
	resealed atomic.Int64
	done     chan struct{} // closed when the running rotation ends
}

func (rt *rotation) snapshot() Rotation {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.state
	if s.Running {
		s.Resealed = rt.resealed.Load()
	}
	return s
}

// wait blocks until no rotation runs.
func (rt *rotation) wait() {
	rt.mu.Lock()
	done := rt.done
	rt.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (rt *rotation) start(ctx context.Context, c *console, who string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.state.Running {
		return false
	}
	rt.resealed.Store(0)
	rt.state = Rotation{Running: true, KeyID: c.keyring.PrimaryKeyID(), StartedBy: who, StartedAt: c.now()}
	done := make(chan struct{})
	rt.done = done
	go func() {
		defer close(done)
		n, err := seal.Rotate(ctx, countingResealer{r: c.store, n: &rt.resealed}, c.keyring)
		rt.mu.Lock()
		rt.state.Running, rt.state.FinishedAt, rt.state.Resealed = false, c.now(), int64(n)
		if err != nil {
			rt.state.Error = err.Error() // names key ids, never secrets
		}
		rt.mu.Unlock()
		if err != nil {
			c.logger.ErrorContext(ctx, "admin: key rotation failed", "resealed", n, "error", err)
			return
		}
		c.logger.InfoContext(ctx, "admin: key rotation finished", "resealed", n, "key", c.keyring.PrimaryKeyID())
	}()
	return true
}

// countingResealer counts the secrets the rotation re-seals as it goes.
type countingResealer struct {
	r store.Resealer
	n *atomic.Int64
}

func (cr countingResealer) ResealSecrets(ctx context.Context, fn store.ResealFunc) (int, error) {
	return cr.r.ResealSecrets(ctx, func(ctx context.Context, old store.Sealed) (store.Sealed, bool, error) {
		s, ok, err := fn(ctx, old)
		if ok && err == nil {
			cr.n.Add(1)
		}
		return s, ok, err
	})
}
