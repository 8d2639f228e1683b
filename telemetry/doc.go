// Package telemetry holds the OpenTelemetry instruments of an aurinko server:
// the metrics and spans that packages accounts, session, unified, webhooks
// and jobs record, and the HTTP middleware that gives every API request a
// span. It is for operators' dashboards and traces, not for auditing.
//
// The host supplies the providers (aurinko.Config.MeterProvider and
// TracerProvider); without them everything is a no-op. The global providers
// of package otel are never used. A nil *Telemetry is valid and records
// nothing, so packages take one in their Config and use it without checks.
//
// # Metrics
//
// Every instrument is created by New on a meter named [ScopeName]:
//
//	aurinko.token.refreshes               counter    {refresh}   aurinko.connector, aurinko.outcome (ok|transient|terminal)
//	aurinko.token.refresh.duration        histogram  s           aurinko.connector, aurinko.outcome
//	aurinko.provider.calls                counter    {call}      aurinko.connector, aurinko.http.status_class (2xx|3xx|4xx|5xx|error)
//	aurinko.provider.call.duration        histogram  s           aurinko.connector, aurinko.http.status_class
//	aurinko.provider.rate_limited         counter    {response}  aurinko.connector, aurinko.endpoint (api|token), aurinko.http.status_class
//	aurinko.provider.rate_limit.wait      histogram  s           aurinko.connector, aurinko.waiter (direct|refresh)
//	aurinko.webhook.deliveries            counter    {delivery}  aurinko.outcome (ok|failed)
//	aurinko.webhook.delivery.retries      counter    {delivery}  (attempts after the first of one notification)
//	aurinko.webhook.subscriptions.deactivated counter {subscription} aurinko.reason (retry_window)
//	aurinko.jobs.queue                    gauge      {job}       aurinko.job.kind, aurinko.job.state (queued|running|failed)
//	aurinko.jobs.runs                     counter    {run}       aurinko.job.kind, aurinko.outcome (ok|retry|failed)
//	aurinko.jobs.run.duration             histogram  s           aurinko.job.kind, aurinko.outcome
//	aurinko.session.lookups               counter    {lookup}    aurinko.session.kind (session|account_token), aurinko.outcome (hit|miss|expired|error)
//	http.server.request.duration          histogram  s           http.request.method, http.route, http.response.status_code
//
// The queue gauge is observed: the store is asked (store.CountJobs, one
// query per kind) when the reader collects, not on every change. A session
// lookup is "expired" when the store returned a session or account token
// whose expiry the server's clock has passed; stores answer most expired
// tokens as unknown, and those count as "miss". Durations are measured with
// the wall clock, not the injected Config.Now.
//
// # Spans
//
// Middleware starts a server span per incoming request, named after the
// route pattern ("GET /v1/email/messages/{id}"), never after the request
// path, so that no id or address becomes part of a name. Provider calls made
// through Transport are client spans below it ("GET", with
// http.request.method, http.response.status_code, server.address and
// aurinko.connector); token refreshes ("aurinko.token.refresh") and job runs
// ("aurinko.job.run") have spans of their own.
//
// # What is never recorded
//
// No attribute holds a token, a secret, an email address, a URL path or
// query, a header, or message content: attributes are connector names,
// outcomes, status codes, route patterns, host names of provider APIs and
// internal numeric ids (aurinko.account.id, aurinko.job.id) on spans only.
// Metric attributes have bounded values, so that series stay few.
//
// # Provider calls outside the library's clients
//
// Token refreshes go through each connector's own *http.Client, which the
// host builds. They are measured as refreshes; to count them as provider
// calls as well, wrap the connector's transport:
//
//	tel, _ := telemetry.New(telemetry.Config{MeterProvider: mp, TracerProvider: tp})
//	client := &http.Client{Transport: tel.Transport(http.DefaultTransport, "Google")}
package telemetry
