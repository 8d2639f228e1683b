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

func (c *console) audit(ctx context.Context, msg string, args ...any) {
	c.logger.InfoContext(ctx, msg, append([]any{"admin", principal(ctx)}, args...)...)
}

func accountPath(id int64) string { return "/accounts/" + idCursor(id) }

// The actions below are what the forms of the pages and the JSON API both
// do; the wrappers after them only parse and answer.

// deactivateAccount marks an account inactive with an invalid token: it is
// no longer used until its user authorizes it again.
func (c *console) deactivateAccount(ctx context.Context, id int64) error {
	if err := c.store.SetAccountStatus(ctx, id, false, store.TokenInvalid, deactivatedReason); err != nil {
		return fmt.Errorf("admin: deactivate account %d: %w", id, err)
	}
	c.accounts.ForgetToken(id)
	c.audit(ctx, "admin: account deactivated", "account", id)
	return nil
}

// deleteAccount removes an account and returns it as it was.
// accounts.Service.DeleteAccount revokes the grant at the provider when the
// connector can, then removes the account with its token, account tokens
// and subscriptions.
func (c *console) deleteAccount(ctx context.Context, id int64) (store.Account, error) {
	a, err := c.store.GetAccount(ctx, id)
	if err != nil {
		return a, fmt.Errorf("admin: get account %d: %w", id, err)
	}
	if err := c.accounts.DeleteAccount(ctx, a.AppID, "", id); err != nil {
		return a, fmt.Errorf("admin: delete account %d: %w", id, err)
	}
	c.audit(ctx, "admin: account deleted", "account", id, "app", a.AppID)
	return a, nil
}

// refreshAccount refreshes an account's token now, whatever its expiry,
// with accounts.Service.ForceRefresh: under the same store lock as every
// other refresh, keeping the refresh token when the provider sends none,
// and deactivating the account (and calling the host's OnTerminal hook) on
// a terminal error. It reports false for a credential that does not expire
// (a password, a token without expiry), which is left alone: refreshing it
// would ask the provider for a grant that is not there.
func (c *console) refreshAccount(ctx context.Context, id int64) (bool, error) {
	t, err := c.store.GetToken(ctx, id)
	if err != nil {
		return false, fmt.Errorf("admin: get token %d: %w", id, err)
	}
	if t.Sealed == nil || t.Expiry.IsZero() {
		return false, nil
	}
	if err := c.accounts.ForceRefresh(ctx, id); err != nil {
		c.audit(ctx, "admin: forced refresh failed", "account", id, "error", err)
		var ae *apierr.Error
		if errors.As(err, &ae) && ae.Code != apierr.NotFound {
			return false, &httpError{http.StatusBadGateway, "refresh failed: " + ae.Message}
		}
		return false, fmt.Errorf("admin: refresh account %d: %w", id, err)
	}
	c.accounts.ForgetToken(id)
	c.audit(ctx, "admin: token refreshed", "account", id)
	return true, nil
}

// requeueJob queues a failed job again (a webhook delivery is re-sent).
func (c *console) requeueJob(ctx context.Context, id int64) error {
	if err := c.store.RequeueJob(ctx, id); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errConflict("the job is not failed, or a later job of its queue is still waiting: requeue it when those are done")
		}
		return fmt.Errorf("admin: requeue job %d: %w", id, err)
	}
	c.audit(ctx, "admin: job requeued", "job", id)
	return nil
}

// startRotation starts re-sealing every secret under the keyring's
// primary key, in the background.
func (c *console) startRotation(ctx context.Context) error {
	if c.keyring == nil {
		return errConflict("rotation needs Config.Keyring")
	}
	// The rotation outlives the request; it keeps the request's values
	// (request ids for the logs), not its cancellation.
	if !c.rotation.start(context.WithoutCancel(ctx), c, principal(ctx)) {
		return errConflict("a rotation is already running")
	}
	c.audit(ctx, "admin: key rotation started", "key", c.keyring.PrimaryKeyID())
	return nil
}

// Form wrappers: parse the form, act, say where to go.

func (c *console) deactivateForm(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	if err := c.deactivateAccount(r.Context(), id); err != nil {
		return "", "", err
	}
	return accountPath(id), "deactivated", nil
}

func (c *console) deleteForm(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	if r.PostForm.Get("confirm") != "yes" {
		return "", "", errBadRequest("tick the box to confirm the deletion")
	}
	a, err := c.deleteAccount(r.Context(), id)
	if err != nil {
		return "", "", err
	}
	if a.UserID != "" {
		return "/users/" + url.PathEscape(a.UserID), "deleted", nil
	}
	return "/accounts?app=" + url.QueryEscape(a.AppID), "deleted", nil
}

func (c *console) refreshForm(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	refreshed, err := c.refreshAccount(r.Context(), id)
	if err != nil {
		return "", "", err
	}
	if !refreshed {
		return accountPath(id), "unchanged", nil
	}
	return accountPath(id), "refreshed", nil
}

// backPath is where a requeue may return to.
var backPath = regexp.MustCompile(`^/(jobs|subscriptions|accounts/[0-9]+)$`)

func (c *console) requeueForm(r *http.Request) (string, string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", "", err
	}
	if err := c.requeueJob(r.Context(), id); err != nil {
		return "", "", err
	}
	back := r.PostForm.Get("back")
	if !backPath.MatchString(back) {
		back = "/jobs"
	}
	return back, "requeued", nil
}

func (c *console) rotateForm(r *http.Request) (string, string, error) {
	if err := c.startRotation(r.Context()); err != nil {
		return "", "", err
	}
	return "/keys", "rotating", nil
}

// ActionResult is the JSON answer of an action: what was done (one of
// deactivated, deleted, refreshed, unchanged, requeued, rotating), a
// sentence saying so, and the record as it is now.
type ActionResult struct {
	Done     string       `json:"done"`
	Message  string       `json:"message"`
	Account  *AccountView `json:"account,omitempty"`
	Token    *TokenView   `json:"token,omitempty"`
	Job      *JobView     `json:"job,omitempty"`
	Rotation *Rotation    `json:"rotation,omitempty"`
}

// JSON wrappers: act, answer with the record as it is now.

func (c *console) deactivateJSON(r *http.Request) (int, ActionResult, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, ActionResult{}, err
	}
	if err := c.deactivateAccount(r.Context(), id); err != nil {
		return 0, ActionResult{}, err
	}
	a, err := c.store.GetAccount(r.Context(), id)
	if err != nil {
		return 0, ActionResult{}, fmt.Errorf("admin: get account %d: %w", id, err)
	}
	av := accountView(a)
	return http.StatusOK, ActionResult{Done: "deactivated", Account: &av}, nil
}

func (c *console) deleteJSON(r *http.Request) (int, ActionResult, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, ActionResult{}, err
	}
	a, err := c.deleteAccount(r.Context(), id)
	if err != nil {
		return 0, ActionResult{}, err
	}
	av := accountView(a)
	return http.StatusOK, ActionResult{Done: "deleted", Account: &av}, nil
}

func (c *console) refreshJSON(r *http.Request) (int, ActionResult, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, ActionResult{}, err
	}
	refreshed, err := c.refreshAccount(r.Context(), id)
	if err != nil {
		return 0, ActionResult{}, err
	}
	t, err := c.store.GetToken(r.Context(), id)
	if err != nil {
		return 0, ActionResult{}, fmt.Errorf("admin: get token %d: %w", id, err)
	}
	tv := tokenView(t)
	res := ActionResult{Done: "refreshed", Token: &tv}
	if !refreshed {
		res.Done = "unchanged"
	}
	return http.StatusOK, res, nil
}

func (c *console) requeueJSON(r *http.Request) (int, ActionResult, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, ActionResult{}, err
	}
	if err := c.requeueJob(r.Context(), id); err != nil {
		return 0, ActionResult{}, err
	}
	j, err := c.store.GetJob(r.Context(), id)
	if err != nil {
		return 0, ActionResult{}, fmt.Errorf("admin: get job %d: %w", id, err)
	}
	jv := jobView(j)
	return http.StatusOK, ActionResult{Done: "requeued", Job: &jv}, nil
}

func (c *console) rotateJSON(r *http.Request) (int, ActionResult, error) {
	if err := c.startRotation(r.Context()); err != nil {
		return 0, ActionResult{}, err
	}
	rot := c.rotation.snapshot()
	return http.StatusAccepted, ActionResult{Done: "rotating", Rotation: &rot}, nil
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
