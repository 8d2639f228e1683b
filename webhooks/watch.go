package webhooks

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// Defaults of the watch settings of Config.
const (
	// DefaultPollInterval is how often a subscription without a provider
	// push subscription is polled by delta sync.
	DefaultPollInterval = 2 * time.Minute
	// DefaultPushPollInterval is how often a subscription with a provider
	// push subscription is polled anyway, to catch dropped pushes and to
	// renew the push subscription in time.
	DefaultPushPollInterval = 30 * time.Minute
	// DefaultPushLifetime is the expiry asked for a provider subscription
	// (providers may shorten it: Graph allows under 7 days for mail).
	DefaultPushLifetime = 48 * time.Hour
	// DefaultRenewBefore: a provider subscription is renewed when it
	// expires within this.
	DefaultRenewBefore = 24 * time.Hour
	// pollLease bounds one poll; a poll holds the lease while it reads.
	pollLease = 5 * time.Minute
	// maxPollRounds bounds the pages one poll reads before it lets the
	// next poll continue.
	maxPollRounds = 20
)

// PollJobKind is the job kind of a poll of one subscription's changes.
const PollJobKind = "webhook.poll"

// LifecycleMissed is the lifecycleEvent of a notification that tells the
// app changes may have been missed (a delta cursor expired at the
// provider): the app reads the resource again.
const LifecycleMissed = "missed"

// ErrNotWatchable is returned by a ChangeFeed's Start for a resource the
// account's connector cannot read changes of: the subscription is kept,
// and is notified only when the host calls Notify.
var ErrNotWatchable = errors.New("webhooks: the account's connector cannot watch this resource")

// ChangeFeed reads the changes of a subscription's resource by delta sync.
// The host implements it over the unified API (package aurinko does).
type ChangeFeed interface {
	// Start returns a cursor from which Read reports the changes made to
	// the subscription's resource from now on.
	Start(ctx context.Context, sub store.Subscription) (cursor string, err error)
	// Read returns the changes since cursor and the cursor to continue
	// from; more is true when Read has more to report at once. A cursor
	// the provider no longer honours is an error wrapping
	// provider.ErrCursorExpired.
	Read(ctx context.Context, sub store.Subscription, cursor string) (changes []Payload, next string, more bool, err error)
}

// PushResolver finds the provider push capability for a subscription's
// account, or for a connector's service type at the push endpoint.
type PushResolver interface {
	// ForAccount returns the Pusher of the account's connector and the
	// account to act as; ok is false when the connector has no push.
	ForAccount(ctx context.Context, appID string, accountID int64) (p provider.Pusher, acct provider.Account, serviceType string, ok bool, err error)
	// ForServiceType returns the Pusher of a connector.
	ForServiceType(serviceType string) (provider.Pusher, bool)
	// PushURL is the public URL of the push endpoint of a service type.
	PushURL(serviceType string) string
}

// cursorKey is the app-scope setting that keeps a subscription's watch
// state (its delta cursor, sealed, and the id of its poll chain).
func cursorKey(subID int64) string { return "webhooks.watch." + strconv.FormatInt(subID, 10) }

// pushIndexKey is the app-scope setting listing the subscriptions behind
// one provider subscription (Gmail watches a whole mailbox: several app
// subscriptions share it).
func pushIndexKey(serviceType, providerID string) string {
	return "webhooks.push." + serviceType + "." + providerID
}

// watchState is the value of cursorKey.
type watchState struct {
	Cursor []byte `json:"c,omitempty"` // sealed
	Chain  int64  `json:"j,omitempty"` // the periodic poll job that is current
	// ServiceType is the connector of the provider subscription.
	ServiceType string `json:"s,omitempty"`
}

type pollPayload struct {
	Sub      int64 `json:"sub"`
	Periodic bool  `json:"p,omitempty"`
}

func (s *Service) watching() bool { return s.cfg.Feed != nil }

func (s *Service) loadWatch(ctx context.Context, sub store.Subscription) (watchState, []byte, error) {
	set, err := s.store.GetSetting(ctx, sub.AppID, store.SettingsApp, "", cursorKey(sub.ID))
	if errors.Is(err, store.ErrNotFound) {
		return watchState{}, nil, nil
	}
	if err != nil {
		return watchState{}, nil, fmt.Errorf("webhooks: read watch state: %w", err)
	}
	var st watchState
	if err := json.Unmarshal(set.Value, &st); err != nil {
		return watchState{}, set.Value, fmt.Errorf("webhooks: decode watch state: %w", err)
	}
	return st, set.Value, nil
}

// saveWatch writes st if the state is still old (nil: absent).
func (s *Service) saveWatch(ctx context.Context, sub store.Subscription, st watchState, old []byte) ([]byte, error) {
	v, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("webhooks: encode watch state: %w", err)
	}
	set := store.Setting{AppID: sub.AppID, Scope: store.SettingsApp, Key: cursorKey(sub.ID), Value: v}
	if err := s.store.SwapSetting(ctx, set, old); err != nil {
		return nil, fmt.Errorf("webhooks: write watch state: %w", err)
	}
	return v, nil
}

func (s *Service) sealCursor(c string) ([]byte, error) {
	b, err := s.keyring.Seal([]byte(c))
	if err != nil {
		return nil, fmt.Errorf("webhooks: seal cursor: %w", err)
	}
	return b, nil
}

// startWatch begins watching a new subscription: a delta cursor at now,
// then a provider push subscription when the connector has one, then the
// first periodic poll. A failure of the push side leaves the subscription
// polled at PollInterval.
func (s *Service) startWatch(ctx context.Context, sub store.Subscription) (store.Subscription, error) {
	cursor, err := s.cfg.Feed.Start(ctx, sub)
	if err != nil {
		return sub, err
	}
	sealed, err := s.sealCursor(cursor)
	if err != nil {
		return sub, err
	}
	st := watchState{Cursor: sealed}
	interval := s.cfg.PollInterval
	if s.cfg.Push != nil {
		if sub2, stype, err := s.subscribePush(ctx, sub); errors.Is(err, provider.ErrUnsupported) {
			s.logger.Debug("no provider push for this resource; polling", "subscription", sub.ID, "resource", sub.Resource)
		} else if err != nil {
			s.logger.Warn("provider push subscription failed; polling instead", "subscription", sub.ID, "error", err)
		} else if stype != "" {
			sub, st.ServiceType, interval = sub2, stype, s.cfg.PushPollInterval
		}
	}
	j, err := s.store.EnqueueJob(ctx, store.Job{Kind: PollJobKind, Payload: mustJSON(pollPayload{Sub: sub.ID, Periodic: true}), RunAt: s.now().Add(interval)})
	if err != nil {
		return sub, fmt.Errorf("webhooks: queue poll: %w", err)
	}
	st.Chain = j.ID
	if _, err := s.saveWatch(ctx, sub, st, nil); err != nil {
		return sub, err
	}
	return sub, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are marshalled here
	}
	return b
}

// subscribePush creates the provider subscription of sub. It returns the
// service type ("" when the connector has no push).
func (s *Service) subscribePush(ctx context.Context, sub store.Subscription) (store.Subscription, string, error) {
	p, acct, stype, ok, err := s.cfg.Push.ForAccount(ctx, sub.AppID, sub.AccountID)
	if err != nil || !ok {
		return sub, "", err
	}
	state := make([]byte, 24)
	if _, err := rand.Read(state); err != nil {
		return sub, "", fmt.Errorf("webhooks: client state: %w", err)
	}
	clientState := hex.EncodeToString(state)
	ps, err := p.PushSubscribe(ctx, acct, provider.PushRequest{Resource: sub.Resource, NotificationURL: s.cfg.Push.PushURL(stype),
		ClientState: clientState, ExpiresAt: s.now().Add(s.cfg.PushLifetime)})
	if err != nil {
		return sub, "", err
	}
	sealed, err := s.keyring.Seal([]byte(clientState))
	if err != nil {
		return sub, "", fmt.Errorf("webhooks: seal client state: %w", err)
	}
	sub, err = s.updateSub(ctx, sub.ID, func(sub *store.Subscription) {
		sub.ProviderID, sub.ProviderSecret, sub.ProviderExpiresAt = ps.ID, sealed, ps.ExpiresAt
	})
	if err != nil {
		return sub, "", fmt.Errorf("webhooks: record provider subscription: %w", err)
	}
	if err := s.indexPush(ctx, sub.AppID, stype, ps.ID, sub.ID, true); err != nil {
		return sub, "", err
	}
	return sub, stype, nil
}

// indexPush adds (or removes) a subscription to the list behind a provider
// subscription id, by compare-and-swap.
func (s *Service) indexPush(ctx context.Context, appID, stype, providerID string, subID int64, add bool) error {
	key := pushIndexKey(stype, providerID)
	for range 20 {
		var ids []int64
		var old []byte
		set, err := s.store.GetSetting(ctx, appID, store.SettingsApp, "", key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("webhooks: read push index: %w", err)
		default:
			old = set.Value
			_ = json.Unmarshal(set.Value, &ids)
		}
		ids = slices.DeleteFunc(ids, func(id int64) bool { return id == subID })
		if add {
			ids = append(ids, subID)
		}
		if len(ids) == 0 {
			if old == nil {
				return nil
			}
			err = s.store.DeleteSetting(ctx, appID, store.SettingsApp, "", key)
			if err == nil || errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return fmt.Errorf("webhooks: write push index: %w", err)
		}
		err = s.store.SwapSetting(ctx, store.Setting{AppID: appID, Scope: store.SettingsApp, Key: key, Value: mustJSON(ids)}, old)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("webhooks: write push index: %w", err)
		}
	}
	return errors.New("webhooks: push index kept changing")
}

// stopWatch undoes startWatch for a deleted subscription.
func (s *Service) stopWatch(ctx context.Context, sub store.Subscription) {
	st, _, err := s.loadWatch(ctx, sub)
	if err != nil {
		s.logger.Warn("read watch state", "subscription", sub.ID, "error", err)
	}
	if err := s.store.DeleteSetting(ctx, sub.AppID, store.SettingsApp, "", cursorKey(sub.ID)); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.logger.Warn("delete watch state", "subscription", sub.ID, "error", err)
	}
	if sub.ProviderID == "" || st.ServiceType == "" || s.cfg.Push == nil {
		return
	}
	if err := s.indexPush(ctx, sub.AppID, st.ServiceType, sub.ProviderID, sub.ID, false); err != nil {
		s.logger.Warn("update push index", "subscription", sub.ID, "error", err)
	}
	// Another subscription may share the provider subscription (a Gmail
	// watch covers the mailbox): keep it while one does.
	if others, err := s.pushSubscribers(ctx, sub.AppID, st.ServiceType, sub.ProviderID); err == nil && len(others) > 0 {
		return
	}
	p, acct, _, ok, err := s.cfg.Push.ForAccount(ctx, sub.AppID, sub.AccountID)
	if err != nil || !ok {
		return
	}
	if err := p.PushUnsubscribe(ctx, acct, provider.PushSubscription{ID: sub.ProviderID, ExpiresAt: sub.ProviderExpiresAt}); err != nil {
		s.logger.Warn("provider unsubscribe failed", "subscription", sub.ID, "error", err)
	}
}

func (s *Service) pushSubscribers(ctx context.Context, appID, stype, providerID string) ([]int64, error) {
	set, err := s.store.GetSetting(ctx, appID, store.SettingsApp, "", pushIndexKey(stype, providerID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []int64
	if err := json.Unmarshal(set.Value, &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// Poll is the jobs.Handler of PollJobKind: it reads a subscription's
// changes since its cursor and queues their delivery. Periodic polls also
// renew the provider subscription and schedule the next poll; polls
// triggered by a push do neither.
func (s *Service) Poll(ctx context.Context, j store.Job) error {
	var p pollPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("%w: webhooks: bad poll payload: %w", jobs.ErrPermanent, err)
	}
	sub, err := s.store.GetSubscription(ctx, p.Sub)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted: the chain ends
	}
	if err != nil {
		return fmt.Errorf("webhooks: get subscription: %w", err)
	}
	if !sub.Active || !s.watching() {
		return nil
	}
	st, raw, err := s.loadWatch(ctx, sub)
	if err != nil {
		return err
	}
	if p.Periodic && st.Chain != 0 && st.Chain != j.ID {
		return nil // a stale chain (its successor was already queued)
	}
	lease, err := s.store.AcquireLock(ctx, "webhook.poll:"+strconv.FormatInt(sub.ID, 10), pollLease)
	if errors.Is(err, store.ErrLocked) {
		if p.Periodic {
			return s.nextPoll(ctx, sub, st, raw)
		}
		return errors.New("webhooks: a poll of this subscription is running; retry")
	}
	if err != nil {
		return fmt.Errorf("webhooks: poll lock: %w", err)
	}
	defer func() {
		if err := s.store.ReleaseLock(context.WithoutCancel(ctx), lease); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.logger.Warn("release poll lock", "subscription", sub.ID, "error", err)
		}
	}()
	st, raw, err = s.loadWatch(ctx, sub) // as of now, under the lock
	if err != nil {
		return err
	}
	perr := s.pollOnce(ctx, sub, &st, &raw)
	if perr != nil {
		s.logger.Warn("poll failed", "subscription", sub.ID, "error", perr)
	}
	if p.Periodic {
		if st.ServiceType != "" {
			sub = s.renewPush(ctx, sub)
		}
		return s.nextPoll(ctx, sub, st, raw)
	}
	return perr
}

// pollOnce reads up to maxPollRounds of changes and queues them.
func (s *Service) pollOnce(ctx context.Context, sub store.Subscription, st *watchState, raw *[]byte) error {
	save := func(cursor string) error {
		sealed, err := s.sealCursor(cursor)
		if err != nil {
			return err
		}
		st.Cursor = sealed
		v, err := s.saveWatch(ctx, sub, *st, *raw)
		if err != nil {
			return err
		}
		*raw = v
		return nil
	}
	if st.Cursor == nil {
		cursor, err := s.cfg.Feed.Start(ctx, sub)
		if err != nil {
			return err
		}
		return save(cursor)
	}
	plain, err := s.keyring.Open(st.Cursor)
	if err != nil {
		// A cursor sealed with a key since removed: start again, and tell
		// the app it may have missed changes.
		return s.restart(ctx, sub, save)
	}
	cursor := string(plain)
	for range maxPollRounds {
		changes, next, more, err := s.cfg.Feed.Read(ctx, sub, cursor)
		if errors.Is(err, provider.ErrCursorExpired) {
			return s.restart(ctx, sub, save)
		}
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			if err := s.enqueue(ctx, sub, Notification{Subscription: sub.ID, Resource: sub.Resource, AccountID: sub.AccountID, Payloads: changes}); err != nil {
				return err
			}
		}
		if err := save(next); err != nil {
			return err
		}
		cursor = next
		if !more {
			return nil
		}
	}
	return nil
}

func (s *Service) restart(ctx context.Context, sub store.Subscription, save func(string) error) error {
	cursor, err := s.cfg.Feed.Start(ctx, sub)
	if err != nil {
		return err
	}
	if err := save(cursor); err != nil {
		return err
	}
	return s.enqueue(ctx, sub, Notification{Subscription: sub.ID, Resource: sub.Resource, AccountID: sub.AccountID, LifecycleEvent: LifecycleMissed})
}

// nextPoll queues the next periodic poll and makes it the current chain.
func (s *Service) nextPoll(ctx context.Context, sub store.Subscription, st watchState, raw []byte) error {
	interval := s.cfg.PollInterval
	if st.ServiceType != "" && sub.ProviderID != "" {
		interval = s.cfg.PushPollInterval
	}
	j, err := s.store.EnqueueJob(ctx, store.Job{Kind: PollJobKind, Payload: mustJSON(pollPayload{Sub: sub.ID, Periodic: true}), RunAt: s.now().Add(interval)})
	if err != nil {
		return fmt.Errorf("webhooks: queue poll: %w", err)
	}
	st.Chain = j.ID
	if _, err := s.saveWatch(ctx, sub, st, raw); err != nil {
		// Another writer changed the state meanwhile: both chains run
		// until one finds it is not current.
		s.logger.Warn("record poll chain", "subscription", sub.ID, "error", err)
	}
	return nil
}

// renewPush renews the provider subscription when it expires within
// RenewBefore, and subscribes again when the provider lost it.
func (s *Service) renewPush(ctx context.Context, sub store.Subscription) store.Subscription {
	if sub.ProviderID == "" || sub.ProviderExpiresAt.Sub(s.now()) > s.cfg.RenewBefore {
		return sub
	}
	p, acct, _, ok, err := s.cfg.Push.ForAccount(ctx, sub.AppID, sub.AccountID)
	if err != nil || !ok {
		return sub
	}
	ps, err := p.PushRenew(ctx, acct, provider.PushSubscription{ID: sub.ProviderID, ExpiresAt: sub.ProviderExpiresAt}, s.now().Add(s.cfg.PushLifetime))
	if errors.Is(err, provider.ErrNotFound) {
		return s.resubscribe(ctx, sub)
	}
	if err != nil {
		s.logger.Warn("provider subscription renewal failed", "subscription", sub.ID, "error", err)
		return sub
	}
	if sub2, err := s.updateSub(ctx, sub.ID, func(sub *store.Subscription) { sub.ProviderExpiresAt = ps.ExpiresAt }); err != nil {
		s.logger.Warn("record renewal", "subscription", sub.ID, "error", err)
	} else {
		sub = sub2
	}
	s.logger.Info("provider subscription renewed", "subscription", sub.ID, "expires", ps.ExpiresAt)
	return sub
}

// resubscribe replaces a provider subscription the provider removed.
func (s *Service) resubscribe(ctx context.Context, sub store.Subscription) store.Subscription {
	st, _, _ := s.loadWatch(ctx, sub)
	if st.ServiceType != "" {
		_ = s.indexPush(ctx, sub.AppID, st.ServiceType, sub.ProviderID, sub.ID, false)
	}
	sub2, _, err := s.subscribePush(ctx, sub)
	if err != nil {
		s.logger.Warn("provider subscription lost and not recreated; polling", "subscription", sub.ID, "error", err)
		if sub2, err := s.updateSub(ctx, sub.ID, func(sub *store.Subscription) {
			sub.ProviderID, sub.ProviderSecret, sub.ProviderExpiresAt = "", nil, time.Time{}
		}); err == nil {
			sub = sub2
		}
		return sub
	}
	return sub2
}

// trigger queues an immediate poll of a subscription.
func (s *Service) trigger(ctx context.Context, subID int64) error {
	_, err := s.store.EnqueueJob(ctx, store.Job{Kind: PollJobKind, Payload: mustJSON(pollPayload{Sub: subID}), RunAt: s.now()})
	if err != nil {
		return fmt.Errorf("webhooks: queue poll: %w", err)
	}
	return nil
}

// Changed queues an immediate poll of every active subscription of the
// account to resource (every resource when resource is ""): a host that
// learns of a change another way (its own push channel) calls it.
func (s *Service) Changed(ctx context.Context, accountID int64, resource string) error {
	subs, err := s.store.ListSubscriptions(ctx, accountID, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return fmt.Errorf("webhooks: list subscriptions: %w", err)
	}
	for _, sub := range subs {
		if sub.Active && (resource == "" || sub.Resource == resource) {
			if err := s.trigger(ctx, sub.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// handlePush serves POST {prefix}/webhooks/push/{serviceType}: a provider's
// notification. The connector authenticates and answers the request; each
// event then queues a poll of the subscriptions behind it (after checking
// the client state the provider echoed) or, for lifecycle events, renews
// or recreates the provider subscription at the next poll.
func (s *Service) handlePush(w http.ResponseWriter, r *http.Request) {
	stype := r.PathValue("serviceType")
	p, ok := s.cfg.Push.ForServiceType(stype)
	if !ok {
		apierr.Write(w, r, s.logger, apierr.New(apierr.NotFound, "no such endpoint"))
		return
	}
	events, err := p.HandlePush(w, r)
	if err != nil {
		s.logger.Info("push refused", "serviceType", stype, "error", err)
		return
	}
	// The provider has its answer (Graph wants one within 3 seconds):
	// send it before queueing the reads.
	_ = http.NewResponseController(w).Flush()
	ctx := context.WithoutCancel(r.Context())
	for _, ev := range events {
		if err := s.dispatch(ctx, stype, ev); err != nil {
			s.logger.Warn("push not dispatched", "serviceType", stype, "error", err)
		}
	}
}

func (s *Service) dispatch(ctx context.Context, stype string, ev provider.PushEvent) error {
	providerID := ev.SubscriptionID
	if providerID == "" {
		providerID = ev.AccountEmail
	}
	if !plausibleProviderID(providerID) {
		// Graph notifications are not authenticated before the client
		// state check: an id no provider issues costs no store lookups.
		return nil
	}
	// The push names no app: look in every app's index, page by page.
	var apps []store.App
	for page := (store.StringPage{Limit: store.MaxPageLimit}); ; {
		batch, err := s.store.ListApps(ctx, page)
		if err != nil {
			return err
		}
		apps = append(apps, batch...)
		if len(batch) < page.Limit {
			break
		}
		page.After = batch[len(batch)-1].ID
	}
	for _, app := range apps {
		ids, err := s.pushSubscribers(ctx, app.ID, stype, providerID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			sub, err := s.store.GetSubscription(ctx, id)
			if err != nil || !sub.Active || sub.ProviderID != providerID {
				continue
			}
			if ev.SubscriptionID != "" && !s.clientStateMatches(sub, ev.ClientState) {
				s.logger.Warn("push with a wrong clientState ignored", "subscription", sub.ID)
				continue
			}
			switch ev.Lifecycle {
			case provider.LifecycleReauthorizationRequired:
				if sub2, err := s.updateSub(ctx, sub.ID, func(sub *store.Subscription) { sub.ProviderExpiresAt = s.now() }); err == nil {
					s.renewPush(ctx, sub2) // due now
				}
			case provider.LifecycleSubscriptionRemoved:
				s.resubscribe(ctx, sub)
			}
			if err := s.trigger(ctx, sub.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) clientStateMatches(sub store.Subscription, got string) bool {
	want, err := s.keyring.Open(sub.ProviderSecret)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(want, []byte(got)) == 1
}

// maxProviderIDLength bounds a provider subscription id or mailbox address
// read from a push (Graph's are GUIDs, Gmail's addresses).
const maxProviderIDLength = 320

// plausibleProviderID reports whether id could be a provider subscription
// id or a mailbox address: 1 to maxProviderIDLength printable ASCII
// characters.
func plausibleProviderID(id string) bool {
	if id == "" || len(id) > maxProviderIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= 0x20 || id[i] >= 0x7f {
			return false
		}
	}
	return true
}
