package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
)

// Defaults of Config.
const (
	DefaultRetryWindow       = 24 * time.Hour
	DefaultValidationTimeout = 10 * time.Second
	DefaultDeliveryTimeout   = 30 * time.Second
)

// JobKind is the job kind of a delivery.
const JobKind = "webhook.deliver"

// signingSecretKey is the app-scope setting that holds the sealed signing
// secret of an app.
const signingSecretKey = "webhooks.signingSecret"

// Config configures a Service.
type Config struct {
	Store   store.Store   // required
	Keyring *seal.Keyring // required: seals the signing secrets
	// RetryWindow is how long a failing endpoint is retried before the
	// subscription is deactivated. Default DefaultRetryWindow.
	RetryWindow time.Duration
	// ValidationTimeout bounds the notification URL check. Default
	// DefaultValidationTimeout (the Aurinko API's 10 seconds).
	ValidationTimeout time.Duration
	// DeliveryTimeout bounds one delivery attempt. Default
	// DefaultDeliveryTimeout.
	DeliveryTimeout time.Duration
	// AllowInsecureTargets lets notification URLs be plain http and point
	// at loopback or private addresses. DANGEROUS outside development and
	// tests: it lets anyone who can create a subscription make this server
	// send requests into its own network.
	AllowInsecureTargets bool
	// Transport carries validation and delivery requests; the address
	// guard is added on top unless AllowInsecureTargets. Default: a clone
	// of http.DefaultTransport.
	Transport *http.Transport
	Now       func() time.Time
	Logger    *slog.Logger

	// Telemetry counts deliveries (ok, failed), retries and
	// deactivations. Nil records nothing.
	Telemetry *telemetry.Telemetry

	// Feed reads the changes of a subscription's resource by delta sync.
	// Without it, subscriptions are notified only when the host calls
	// Notify. Package aurinko sets it.
	Feed ChangeFeed
	// Push finds the provider push capability of an account's connector;
	// nil polls every subscription. Package aurinko sets it.
	Push PushResolver
	// PollInterval is how often a subscription without provider push is
	// polled. Default DefaultPollInterval.
	PollInterval time.Duration
	// PushPollInterval is how often a subscription with provider push is
	// polled anyway (and its provider subscription renewed when due).
	// Default DefaultPushPollInterval.
	PushPollInterval time.Duration
	// PushLifetime is the expiry asked for a provider subscription.
	// Default DefaultPushLifetime.
	PushLifetime time.Duration
	// RenewBefore: a provider subscription is renewed when it expires
	// within this. Default DefaultRenewBefore; it must exceed
	// PushPollInterval, else it is raised to twice that.
	RenewBefore time.Duration
}

// Service manages subscriptions and delivers notifications.
type Service struct {
	store   store.Store
	keyring *seal.Keyring
	cfg     Config
	client  *http.Client
	now     func() time.Time
	logger  *slog.Logger
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keyring == nil {
		return nil, errors.New("webhooks: Store and Keyring are required")
	}
	if cfg.RetryWindow <= 0 {
		cfg.RetryWindow = DefaultRetryWindow
	}
	if cfg.ValidationTimeout <= 0 {
		cfg.ValidationTimeout = DefaultValidationTimeout
	}
	if cfg.DeliveryTimeout <= 0 {
		cfg.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.PushPollInterval <= 0 {
		cfg.PushPollInterval = DefaultPushPollInterval
	}
	if cfg.PushLifetime <= 0 {
		cfg.PushLifetime = DefaultPushLifetime
	}
	if cfg.RenewBefore <= 0 {
		cfg.RenewBefore = DefaultRenewBefore
	}
	if cfg.RenewBefore <= cfg.PushPollInterval {
		cfg.RenewBefore = 2 * cfg.PushPollInterval
	}
	s := &Service{store: cfg.Store, keyring: cfg.Keyring, cfg: cfg, now: cfg.Now, logger: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	} else {
		tr = tr.Clone()
	}
	tr.Proxy = nil // a proxy would hide the real target from the guard
	if !cfg.AllowInsecureTargets {
		d := &net.Dialer{Timeout: 10 * time.Second, Control: refusePrivate}
		tr.DialContext = d.DialContext
	}
	s.client = &http.Client{
		Transport: tr,
		// Never follow redirects: a 30x to an internal address would
		// bypass the URL check.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, nil
}

// refusePrivate is a dialer Control that refuses loopback, private,
// link-local, unspecified and multicast addresses, after DNS resolution.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("webhooks: refusing to connect to %s: not a public address", host)
	}
	return nil
}

// SigningSecret returns the app's signing secret, creating it on first
// use. Apps verify deliveries with it (Verify).
func (s *Service) SigningSecret(ctx context.Context, appID string) ([]byte, error) {
	set, err := s.store.GetSetting(ctx, appID, store.SettingsApp, "", signingSecretKey)
	if err == nil {
		plain, err := s.keyring.Open(set.Value)
		if err != nil {
			return nil, fmt.Errorf("webhooks: open signing secret: %w", err)
		}
		return plain, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("webhooks: get signing secret: %w", err)
	}
	return s.RotateSigningSecret(ctx, appID)
}

// RotateSigningSecret replaces the app's signing secret with a new random
// one and returns it.
func (s *Service) RotateSigningSecret(ctx context.Context, appID string) ([]byte, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("webhooks: new signing secret: %w", err)
	}
	hexed := []byte(fmt.Sprintf("%x", secret))
	sealed, err := s.keyring.Seal(hexed)
	if err != nil {
		return nil, fmt.Errorf("webhooks: seal signing secret: %w", err)
	}
	if err := s.store.PutSetting(ctx, store.Setting{AppID: appID, Scope: store.SettingsApp, Key: signingSecretKey, Value: sealed}); err != nil {
		return nil, fmt.Errorf("webhooks: store signing secret: %w", err)
	}
	return hexed, nil
}

// CreateRequest is the body of POST /subscriptions.
type CreateRequest struct {
	Resource        string   `json:"resource"`
	NotificationURL string   `json:"notificationUrl"`
	Filters         []string `json:"filters,omitempty"`
}

// knownFilters are the DataConsumerFilter values of the Aurinko API.
var knownFilters = map[string]bool{"withoutDrafts": true}

// ValidResource reports whether r is a resource apps may subscribe to.
func ValidResource(r string) bool {
	switch r {
	case "/email/messages", "/contacts":
		return true
	}
	parts := strings.Split(r, "/")
	// "", "calendars", id, "events"  or  "", "tasklists", id, "tasks"
	if len(parts) != 4 || parts[0] != "" || parts[2] == "" || parts[2] == "." || parts[2] == ".." || len(parts[2]) > 512 || strings.ContainsAny(parts[2], "?#%\\") {
		return false
	}
	return parts[1] == "calendars" && parts[3] == "events" || parts[1] == "tasklists" && parts[3] == "tasks"
}

// Create validates the request and the notification URL (the challenge
// handshake) and stores an active subscription for the account.
func (s *Service) Create(ctx context.Context, appID string, accountID int64, req CreateRequest) (store.Subscription, error) {
	if !ValidResource(req.Resource) {
		return store.Subscription{}, apierr.New(apierr.InvalidInput, "unsupported resource")
	}
	for _, f := range req.Filters {
		if !knownFilters[f] {
			return store.Subscription{}, apierr.New(apierr.InvalidInput, "unknown filter %q", truncate(f, 40))
		}
	}
	u, err := s.checkURL(req.NotificationURL)
	if err != nil {
		return store.Subscription{}, err
	}
	if err := s.validate(ctx, u); err != nil {
		return store.Subscription{}, err
	}
	sub, err := s.store.CreateSubscription(ctx, store.Subscription{AppID: appID, AccountID: accountID, Resource: req.Resource,
		NotificationURL: u.String(), Filters: req.Filters, Active: true})
	if err != nil {
		return store.Subscription{}, fmt.Errorf("webhooks: create subscription: %w", err)
	}
	if s.watching() {
		sub2, err := s.startWatch(ctx, sub)
		switch {
		case errors.Is(err, ErrNotWatchable):
			s.logger.Info("subscription not watched: the connector cannot read its changes", "subscription", sub.ID, "resource", sub.Resource)
		case err != nil:
			// Without a cursor the subscription would never be notified:
			// undo it rather than answer success.
			if derr := s.store.DeleteSubscription(context.WithoutCancel(ctx), sub.ID); derr != nil && !errors.Is(derr, store.ErrNotFound) {
				s.logger.Warn("undo subscription", "subscription", sub.ID, "error", derr)
			}
			s.stopWatch(context.WithoutCancel(ctx), sub2)
			return store.Subscription{}, fmt.Errorf("webhooks: start watching %s: %w", sub.Resource, err)
		default:
			sub = sub2
		}
	}
	s.logger.Info("subscription created", "app", appID, "account", accountID, "subscription", sub.ID, "resource", sub.Resource)
	return sub, nil
}

func (s *Service) checkURL(raw string) (*url.URL, error) {
	bad := apierr.New(apierr.InvalidInput, "notificationUrl must be an absolute https URL")
	if raw == "" || len(raw) > 2048 {
		return nil, bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, bad
	}
	if u.Scheme != "https" && !(s.cfg.AllowInsecureTargets && u.Scheme == "http") {
		return nil, bad
	}
	return u, nil
}

// validate runs the validationToken handshake against u.
func (s *Service) validate(ctx context.Context, u *url.URL) error {
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return fmt.Errorf("webhooks: validation token: %w", err)
	}
	challenge := fmt.Sprintf("%x", token)
	target := *u
	q := target.Query()
	q.Set("validationToken", challenge)
	target.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ValidationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), nil)
	if err != nil {
		return apierr.New(apierr.InvalidInput, "notificationUrl is not a valid URL")
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		s.logger.Info("notification URL validation failed", "host", u.Host, "error", err)
		return apierr.New(apierr.InvalidInput, "notificationUrl did not answer the validation request")
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(challenge)) {
		return apierr.New(apierr.InvalidInput, "notificationUrl did not echo the validationToken with 200 OK")
	}
	return nil
}

// Get returns a subscription of the account.
func (s *Service) Get(ctx context.Context, appID string, accountID, id int64) (store.Subscription, error) {
	sub, err := s.store.GetSubscription(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (sub.AppID != appID || sub.AccountID != accountID) {
		return store.Subscription{}, apierr.New(apierr.NotFound, "subscription %d not found", id)
	}
	if err != nil {
		return store.Subscription{}, fmt.Errorf("webhooks: get subscription: %w", err)
	}
	return sub, nil
}

// List returns the account's subscriptions.
func (s *Service) List(ctx context.Context, appID string, accountID int64, includeInactive bool) ([]store.Subscription, error) {
	var out []store.Subscription
	page := store.Page{Limit: store.MaxPageLimit}
	for {
		batch, err := s.store.ListSubscriptions(ctx, accountID, page)
		if err != nil {
			return nil, fmt.Errorf("webhooks: list subscriptions: %w", err)
		}
		for _, sub := range batch {
			if sub.AppID == appID && (includeInactive || sub.Active) {
				out = append(out, sub)
			}
		}
		if len(batch) < page.Limit {
			return out, nil
		}
		page.After = batch[len(batch)-1].ID
	}
}

// Delete removes a subscription of the account. Pending deliveries of it
// are dropped when they come up.
func (s *Service) Delete(ctx context.Context, appID string, accountID, id int64) error {
	sub, err := s.Get(ctx, appID, accountID, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSubscription(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("webhooks: delete subscription: %w", err)
	}
	if s.watching() {
		s.stopWatch(ctx, sub)
	}
	return nil
}

// Payload is one changed item of a notification.
type Payload struct {
	ID         string         `json:"id"`
	ChangeType string         `json:"changeType"` // created, updated, deleted
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Notification is the JSON document delivered to the app.
type Notification struct {
	Subscription   int64     `json:"subscription"`
	Resource       string    `json:"resource"`
	AccountID      int64     `json:"accountId"`
	Payloads       []Payload `json:"payloads,omitempty"`
	LifecycleEvent string    `json:"lifecycleEvent,omitempty"` // "active" or "error"
	Error          string    `json:"error,omitempty"`
}

// delivery is the job payload of one delivery.
type delivery struct {
	Subscription int64           `json:"sub"`
	Body         json.RawMessage `json:"body"`
}

// Notify queues a notification of changes to resource of an account for
// every active subscription of the account to that resource. It returns
// how many deliveries it queued. Connectors' change feeds (provider
// webhooks, delta polling) call it; hosts may too.
func (s *Service) Notify(ctx context.Context, accountID int64, resource string, payloads []Payload) (int, error) {
	subs, err := s.store.ListSubscriptions(ctx, accountID, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return 0, fmt.Errorf("webhooks: list subscriptions: %w", err)
	}
	n := 0
	for _, sub := range subs {
		if !sub.Active || sub.Resource != resource {
			continue
		}
		if err := s.enqueue(ctx, sub, Notification{Subscription: sub.ID, Resource: sub.Resource, AccountID: accountID, Payloads: payloads}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) enqueue(ctx context.Context, sub store.Subscription, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("webhooks: encode notification: %w", err)
	}
	payload, err := json.Marshal(delivery{Subscription: sub.ID, Body: body})
	if err != nil {
		return fmt.Errorf("webhooks: encode delivery: %w", err)
	}
	_, err = s.store.EnqueueJob(ctx, store.Job{Kind: JobKind, Key: "webhook:" + strconv.FormatInt(sub.ID, 10), Payload: payload, RunAt: s.now()})
	if err != nil {
		return fmt.Errorf("webhooks: queue delivery: %w", err)
	}
	return nil
}

// Deliver is the jobs.Handler of JobKind: it sends one notification,
// signed, and records the outcome on the subscription.
func (s *Service) Deliver(ctx context.Context, j store.Job) error {
	var d delivery
	if err := json.Unmarshal(j.Payload, &d); err != nil {
		return fmt.Errorf("%w: webhooks: bad delivery payload: %w", jobs.ErrPermanent, err)
	}
	sub, err := s.store.GetSubscription(ctx, d.Subscription)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile: nothing to deliver
	}
	if err != nil {
		return fmt.Errorf("webhooks: get subscription: %w", err)
	}
	if !sub.Active {
		return nil
	}
	derr := s.send(ctx, sub, d.Body)
	s.cfg.Telemetry.Delivery(ctx, derr == nil, j.Attempt)
	now := s.now()
	if derr == nil {
		// One narrow write: the delivery time, and failSince cleared;
		// the renewals of watch.go may be updating the other fields.
		if err := s.store.MarkDelivered(ctx, sub.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.logger.Warn("record delivery", "subscription", sub.ID, "error", err)
		}
		return nil
	}
	sub, err = s.updateSub(ctx, sub.ID, func(sub *store.Subscription) {
		if sub.FailSince.IsZero() {
			sub.FailSince = now
		}
		sub.FailDescription = truncate(derr.Error(), 300)
		if now.Sub(sub.FailSince) >= s.cfg.RetryWindow && sub.Active {
			sub.Active = false
			sub.FailDescription = "deactivated after failing for " + s.cfg.RetryWindow.String() + ": " + sub.FailDescription
			s.logger.Warn("subscription deactivated", "subscription", sub.ID, "error", derr)
			s.cfg.Telemetry.SubscriptionDeactivated(ctx, "retry_window")
		}
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		s.logger.Warn("record delivery failure", "subscription", sub.ID, "error", err)
		return derr
	}
	if !sub.Active {
		return fmt.Errorf("%w: %w", jobs.ErrPermanent, derr)
	}
	return derr
}

// updateSub applies change to the subscription as stored now and writes
// it back, so that a writer of other fields (deliveries record failures,
// the watch renews provider subscriptions) does not undo another's write
// made since it read the subscription. (Two writers within the same
// moment can still race; each writes only its own fields.)
func (s *Service) updateSub(ctx context.Context, id int64, change func(*store.Subscription)) (store.Subscription, error) {
	sub, err := s.store.GetSubscription(ctx, id)
	if err != nil {
		return sub, err
	}
	change(&sub)
	return sub, s.store.UpdateSubscription(ctx, sub)
}

// send POSTs a signed notification.
func (s *Service) send(ctx context.Context, sub store.Subscription, body []byte) error {
	secret, err := s.SigningSecret(ctx, sub.AppID)
	if err != nil {
		return err
	}
	ts := s.now().Unix()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.NotificationURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhooks: bad notification URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhooks: deliver: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhooks: endpoint answered %d", resp.StatusCode)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
