// Package webhooks lets apps subscribe to changes of an account's data and
// delivers the notifications, signed, to the app's endpoint, even while the
// user is away and the app's endpoint is down for a while.
//
// Subscriptions follow the Aurinko API: POST /v1/subscriptions {resource,
// notificationUrl, filters} validates the notification URL first (a POST to
// it with ?validationToken=X, text/plain, that must answer 200 with X in the
// body within 10 seconds) and fails with 400 otherwise; GET lists and reads
// them; DELETE removes one. Resources are /email/messages,
// /calendars/{id|primary}/events, /contacts and /tasklists/{id|default}/tasks.
//
// Every notification is a JSON document {subscription, resource, accountId,
// payloads:[{id, changeType, attributes}], lifecycleEvent, error} sent as a
// POST with X-Aurinko-Request-Timestamp (Unix seconds) and X-Aurinko-Signature
// = hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + body). The
// signing secret is one per app (SigningSecret). Apps verify with Verify.
//
// Deliveries are jobs in the store's queue (package jobs), one ordered queue
// per subscription: notifications of a subscription arrive in order, each
// once the endpoint answers 2xx. A failing endpoint is retried with
// exponential backoff; the subscription records failSince, and after
// RetryWindow of failures it is deactivated and its pending notifications
// are dropped (failDescription says why). Nothing is lost while the endpoint
// is down for less than RetryWindow.
//
// Changes are found by the service itself when Config.Feed is set (package
// aurinko sets it to the unified API's delta sync): every subscription
// keeps a sealed delta cursor and a chain of poll jobs (PollJobKind) that
// read what changed since and queue it for delivery, at PollInterval. Where
// the account's connector has provider push (provider.Pusher: Microsoft
// Graph subscriptions, Gmail watch via Pub/Sub), the service also keeps a
// provider subscription behind the app's: the provider's notifications,
// received at {prefix}/webhooks/push/{serviceType} (RegisterPush) and
// checked by the connector (Graph's clientState, compared in constant time
// here; Pub/Sub's ID token), trigger an immediate read, and the periodic
// poll (PushPollInterval) renews the provider subscription within
// RenewBefore of its expiry, subscribes again when the provider lost it,
// and catches changes whose push was lost. A cursor the provider no longer
// honours restarts the watch and tells the app with lifecycleEvent
// "missed". Delivery is at least once: a process killed between queueing a
// notification and saving its cursor sends that batch again.
//
// Outgoing requests (validation and delivery) go only to https URLs and
// never to loopback, private or link-local addresses unless the host allows
// it (Config.AllowInsecureTargets, for development and tests): the server
// must not become a proxy into its own network.
package webhooks
