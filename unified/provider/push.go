package provider

import (
	"context"
	"net/http"
	"time"
)

// Pusher is the capability of a connector whose provider pushes change
// notifications (Microsoft Graph subscriptions, Gmail watch via Pub/Sub).
// Package webhooks uses it to keep a provider-side subscription behind
// each app subscription, and polls by delta sync where a connector has
// none. A push only says that something changed: webhooks then reads the
// changes by delta sync, so a notification the provider drops is caught
// by the next poll.
type Pusher interface {
	// PushSubscribe asks the provider to notify req.NotificationURL of
	// changes to req.Resource of acct. The provider may validate the URL
	// (Graph's validationToken handshake) before it answers, so the push
	// endpoint must already be served.
	PushSubscribe(ctx context.Context, acct Account, req PushRequest) (PushSubscription, error)
	// PushRenew extends a provider subscription to about expiresAt. A
	// subscription the provider no longer knows is ErrNotFound: the caller
	// subscribes again.
	PushRenew(ctx context.Context, acct Account, sub PushSubscription, expiresAt time.Time) (PushSubscription, error)
	// PushUnsubscribe ends a provider subscription; one the provider no
	// longer knows is not an error.
	PushUnsubscribe(ctx context.Context, acct Account, sub PushSubscription) error
	// HandlePush serves a request of the provider at the push endpoint: it
	// answers validation handshakes itself, authenticates the request as
	// the provider documents (a JWT for Pub/Sub push; Graph notifications
	// carry the clientState the caller checks), writes the answer the
	// provider expects (within 3 seconds: callers queue work, never do it
	// inline) and returns the events the request carried.
	HandlePush(w http.ResponseWriter, r *http.Request) ([]PushEvent, error)
}

// PushRequest asks for a provider subscription.
type PushRequest struct {
	// Resource is the unified resource: /email/messages,
	// /calendars/{id}/events, /contacts or /tasklists/{id}/tasks.
	Resource string
	// NotificationURL is where the provider sends notifications (the
	// host's push endpoint for this connector).
	NotificationURL string
	// ClientState is a secret the provider echoes in every notification
	// (Graph clientState), up to 128 characters.
	ClientState string
	// ExpiresAt is the requested expiry; the provider may shorten it.
	ExpiresAt time.Time
}

// PushSubscription is a provider-side subscription.
type PushSubscription struct {
	// ID is the provider's id (Graph subscription id; for Gmail, which
	// watches a whole mailbox, the mailbox address).
	ID string
	// ExpiresAt is when the provider ends it unless renewed.
	ExpiresAt time.Time
}

// Lifecycle events of a PushEvent (Graph lifecycle notifications).
const (
	// LifecycleReauthorizationRequired: renew the subscription now.
	LifecycleReauthorizationRequired = "reauthorizationRequired"
	// LifecycleSubscriptionRemoved: subscribe again.
	LifecycleSubscriptionRemoved = "subscriptionRemoved"
	// LifecycleMissed: notifications were dropped; read by delta now.
	LifecycleMissed = "missed"
)

// PushEvent is one notification of a push request.
type PushEvent struct {
	// SubscriptionID is the provider subscription it belongs to ("" when
	// the provider names the mailbox instead).
	SubscriptionID string
	// ClientState is the secret the provider echoed; the caller compares
	// it with the one it gave, in constant time.
	ClientState string
	// AccountEmail is the mailbox the event is about when the provider
	// names it (Gmail), "" otherwise.
	AccountEmail string
	// Lifecycle is one of the Lifecycle* values, "" for a change.
	Lifecycle string
}
