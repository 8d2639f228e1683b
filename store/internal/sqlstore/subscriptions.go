package sqlstore

import (
	"context"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// subscriptionFields are the columns UpdateSubscription rewrites, in the
// order of subscriptionArgs.
const subscriptionFields = `resource, notification_url, filters, active, fail_since, fail_description,
	provider_id, provider_secret, provider_expires_at, updated_at`

// subscriptionCols are every column; last_delivery_at is written only at
// creation and by MarkDelivered.
const subscriptionCols = `id, app_id, account_id, created_at, last_delivery_at, ` + subscriptionFields

func scanSubscription(r rowScanner) (store.Subscription, error) {
	var x store.Subscription
	var filters list
	var secret blob
	err := r.Scan(&x.ID, &x.AppID, &x.AccountID, ts{&x.CreatedAt}, ts{&x.LastDeliveryAt},
		&x.Resource, &x.NotificationURL, &filters, &x.Active, ts{&x.FailSince}, &x.FailDescription,
		&x.ProviderID, &secret, ts{&x.ProviderExpiresAt}, ts{&x.UpdatedAt})
	x.Filters, x.ProviderSecret = filters.v, secret.b
	return x, err
}

func subscriptionArgs(x store.Subscription) []any {
	return []any{x.Resource, x.NotificationURL, listArg(x.Filters), x.Active, micros(x.FailSince), x.FailDescription,
		x.ProviderID, blobArg(x.ProviderSecret), micros(x.ProviderExpiresAt), micros(x.UpdatedAt)}
}

func (s *Store) checkSubscription(op string, x store.Subscription) error {
	switch {
	case x.Resource == "":
		return s.invalid(op, "empty Resource")
	case x.NotificationURL == "":
		return s.invalid(op, "empty NotificationURL")
	}
	return nil
}

// CreateSubscription implements store.SubscriptionStore. The foreign key to
// accounts turns a missing account into store.ErrNotFound.
func (s *Store) CreateSubscription(ctx context.Context, x store.Subscription) (store.Subscription, error) {
	const op = "create subscription"
	switch {
	case x.AppID == "":
		return store.Subscription{}, s.invalid(op, "empty AppID")
	case x.AccountID == 0:
		return store.Subscription{}, s.invalid(op, "empty AccountID")
	}
	if err := s.checkSubscription(op, x); err != nil {
		return store.Subscription{}, err
	}
	now := s.now()
	x.CreatedAt, x.UpdatedAt = orNow(x.CreatedAt, now), orNow(x.UpdatedAt, now)
	args := append([]any{x.AppID, x.AccountID, micros(x.CreatedAt), micros(x.LastDeliveryAt)}, subscriptionArgs(x)...)
	created, err := scanSubscription(s.queryRow(ctx, s.w, `INSERT INTO subscriptions (`+subscriptionCols[len("id, "):]+`)
VALUES (`+placeholders(len(args))+`) RETURNING `+subscriptionCols, args...))
	if err != nil {
		return store.Subscription{}, s.writeErr(op, err)
	}
	return created, nil
}

// GetSubscription implements store.SubscriptionStore.
func (s *Store) GetSubscription(ctx context.Context, id int64) (store.Subscription, error) {
	return selectOne(ctx, s, "get subscription", scanSubscription,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE id = ?`, id)
}

// UpdateSubscription implements store.SubscriptionStore.
func (s *Store) UpdateSubscription(ctx context.Context, x store.Subscription) error {
	const op = "update subscription"
	if err := s.checkSubscription(op, x); err != nil {
		return err
	}
	x.UpdatedAt = orNow(x.UpdatedAt, s.now())
	return s.writeOne(ctx, op, `UPDATE subscriptions SET `+assignments(subscriptionFields)+` WHERE id = ?`,
		append(subscriptionArgs(x), x.ID)...)
}

// MarkDelivered implements store.SubscriptionStore.
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	return s.writeOne(ctx, "mark subscription delivered",
		`UPDATE subscriptions SET last_delivery_at = ?, fail_since = 0, fail_description = '' WHERE id = ?`, micros(at), id)
}

// DeleteSubscription implements store.SubscriptionStore.
func (s *Store) DeleteSubscription(ctx context.Context, id int64) error {
	return s.writeOne(ctx, "delete subscription", `DELETE FROM subscriptions WHERE id = ?`, id)
}

// ListSubscriptions implements store.SubscriptionStore.
func (s *Store) ListSubscriptions(ctx context.Context, accountID int64, page store.Page) ([]store.Subscription, error) {
	return selectAll(ctx, s, "list subscriptions", scanSubscription,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?`,
		accountID, page.After, store.EffectiveLimit(page.Limit))
}

// ListAppSubscriptions implements store.SubscriptionStore.
func (s *Store) ListAppSubscriptions(ctx context.Context, appID string, page store.Page) ([]store.Subscription, error) {
	return selectAll(ctx, s, "list app subscriptions", scanSubscription,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE app_id = ? AND id > ? ORDER BY id LIMIT ?`,
		appID, page.After, store.EffectiveLimit(page.Limit))
}

// ListSubscriptionsExpiring implements store.SubscriptionStore.
func (s *Store) ListSubscriptionsExpiring(ctx context.Context, before time.Time, limit int) ([]store.Subscription, error) {
	return selectAll(ctx, s, "list expiring subscriptions", scanSubscription, `SELECT `+subscriptionCols+` FROM subscriptions
WHERE active AND provider_expires_at <> 0 AND provider_expires_at < ? ORDER BY provider_expires_at, id LIMIT ?`,
		micros(before), store.EffectiveLimit(limit))
}
