package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/aurinko-go/aurinko/store"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/aurinko-go/aurinko"

// Attribute keys of aurinko's own attributes (the HTTP ones are OpenTelemetry
// semantic conventions).
const (
	KeyConnector   = attribute.Key("aurinko.connector")
	KeyOutcome     = attribute.Key("aurinko.outcome")
	KeyStatusClass = attribute.Key("aurinko.http.status_class")
	KeyEndpoint    = attribute.Key("aurinko.endpoint")
	KeyWaiter      = attribute.Key("aurinko.waiter")
	KeyReason      = attribute.Key("aurinko.reason")
	KeyJobKind     = attribute.Key("aurinko.job.kind")
	KeyJobState    = attribute.Key("aurinko.job.state")
	KeyJobID       = attribute.Key("aurinko.job.id")
	KeyJobAttempt  = attribute.Key("aurinko.job.attempt")
	KeyAccountID   = attribute.Key("aurinko.account.id")
	KeySessionKind = attribute.Key("aurinko.session.kind")
)

// Values of KeyOutcome.
const (
	OutcomeOK        = "ok"        // refresh, delivery, job run
	OutcomeTransient = "transient" // refresh failed for now; the grant is kept
	OutcomeTerminal  = "terminal"  // refresh refused for good; the account is deactivated
	OutcomeFailed    = "failed"    // delivery failed; job gave up
	OutcomeRetry     = "retry"     // job run failed and will run again
	OutcomeHit       = "hit"       // session lookup found a live session or token
	OutcomeMiss      = "miss"      // unknown or malformed token
	OutcomeExpired   = "expired"   // known token past its expiry
	OutcomeError     = "error"     // the store failed
)

// Values of KeyEndpoint and KeyWaiter.
const (
	EndpointAPI   = "api"     // a provider's data API
	EndpointToken = "token"   // a provider's token endpoint
	WaiterDirect  = "direct"  // the direct proxy waited out a Retry-After
	WaiterRefresh = "refresh" // a token refresh waited out a Retry-After
)

// Values of KeySessionKind.
const (
	SessionKindSession      = "session"
	SessionKindAccountToken = "account_token"
)

// Config names the providers. A nil provider is OpenTelemetry's no-op one;
// the global providers of package otel are never used.
type Config struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Telemetry records aurinko's metrics and spans. It is safe for concurrent
// use. A nil *Telemetry records nothing: every method may be called on it.
type Telemetry struct {
	tracer trace.Tracer
	meter  metric.Meter

	refreshes        metric.Int64Counter
	refreshDuration  metric.Float64Histogram
	providerCalls    metric.Int64Counter
	providerDuration metric.Float64Histogram
	rateLimited      metric.Int64Counter
	rateLimitWait    metric.Float64Histogram
	deliveries       metric.Int64Counter
	deliveryRetries  metric.Int64Counter
	deactivated      metric.Int64Counter
	jobQueue         metric.Int64ObservableGauge
	jobRuns          metric.Int64Counter
	jobDuration      metric.Float64Histogram
	sessionLookups   metric.Int64Counter
	requestDuration  metric.Float64Histogram
}

// durationBuckets are the histogram bounds of every duration, in seconds
// (those the HTTP semantic conventions recommend).
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// New creates the instruments on cfg's providers.
func New(cfg Config) (*Telemetry, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	t := &Telemetry{tracer: tp.Tracer(ScopeName), meter: mp.Meter(ScopeName)}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := t.meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := t.meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		errs = append(errs, err)
		return h
	}
	t.refreshes = counter("aurinko.token.refreshes", "{refresh}", "Provider token refreshes, by connector and outcome.")
	t.refreshDuration = seconds("aurinko.token.refresh.duration", "Duration of token refreshes, retries included.")
	t.providerCalls = counter("aurinko.provider.calls", "{call}", "HTTP calls to provider APIs, by connector and status class.")
	t.providerDuration = seconds("aurinko.provider.call.duration", "Duration of HTTP calls to provider APIs, until the response headers.")
	t.rateLimited = counter("aurinko.provider.rate_limited", "{response}", "Provider answers that asked to slow down (429, or a Retry-After).")
	t.rateLimitWait = seconds("aurinko.provider.rate_limit.wait", "Time spent waiting out a provider's Retry-After.")
	t.deliveries = counter("aurinko.webhook.deliveries", "{delivery}", "Webhook delivery attempts, by outcome.")
	t.deliveryRetries = counter("aurinko.webhook.delivery.retries", "{delivery}", "Webhook delivery attempts after the first of a notification.")
	t.deactivated = counter("aurinko.webhook.subscriptions.deactivated", "{subscription}", "Subscriptions deactivated because deliveries kept failing.")
	t.jobRuns = counter("aurinko.jobs.runs", "{run}", "Background job runs, by kind and outcome.")
	t.jobDuration = seconds("aurinko.jobs.run.duration", "Duration of background job runs.")
	t.sessionLookups = counter("aurinko.session.lookups", "{lookup}", "Session and account token lookups, by outcome.")
	var err error
	t.requestDuration, err = t.meter.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	errs = append(errs, err)
	t.jobQueue, err = t.meter.Int64ObservableGauge("aurinko.jobs.queue", metric.WithUnit("{job}"),
		metric.WithDescription("Background jobs in the store, by kind and state, read at collection time."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("telemetry: create instruments: %w", err)
	}
	return t, nil
}

// Op is an operation in progress (a token refresh, a job run): a span and
// the start of its duration. A nil *Op ends without recording.
type Op struct {
	span    trace.Span
	start   time.Time
	count   metric.Int64Counter
	dur     metric.Float64Histogram
	attrs   []attribute.KeyValue // of the metrics, besides the outcome
	ctx     context.Context
	outcome attribute.Key
}

// End ends the operation with outcome (one of the Outcome constants). A
// non-nil err marks the span as failed; its text is not recorded, since
// provider answers may quote what they were sent.
func (o *Op) End(outcome string, err error) {
	if o == nil {
		return
	}
	attrs := append(o.attrs[:len(o.attrs):len(o.attrs)], o.outcome.String(outcome))
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	o.count.Add(o.ctx, 1, set)
	o.dur.Record(o.ctx, time.Since(o.start).Seconds(), set)
	o.span.SetAttributes(o.outcome.String(outcome))
	if err != nil {
		o.span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err, outcome)))
		o.span.SetStatus(codes.Error, outcome)
	}
	o.span.End()
}

// errorType is the error.type of a span: a timeout or cancellation, else
// fallback.
func errorType(err error, fallback string) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return fallback
}

// StartRefresh starts a token refresh of an account of connector. The
// caller ends it with the outcome: OutcomeOK, OutcomeTransient or
// OutcomeTerminal.
func (t *Telemetry) StartRefresh(ctx context.Context, connector string, accountID int64) (context.Context, *Op) {
	if t == nil {
		return ctx, nil
	}
	ctx, span := t.tracer.Start(ctx, "aurinko.token.refresh", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(KeyConnector.String(connector), KeyAccountID.Int64(accountID)))
	return ctx, &Op{span: span, start: time.Now(), count: t.refreshes, dur: t.refreshDuration,
		attrs: []attribute.KeyValue{KeyConnector.String(connector)}, ctx: ctx, outcome: KeyOutcome}
}

// StartJob starts the run of a background job. The caller ends it with
// OutcomeOK, OutcomeRetry or OutcomeFailed.
func (t *Telemetry) StartJob(ctx context.Context, kind string, id int64, attempt int) (context.Context, *Op) {
	if t == nil {
		return ctx, nil
	}
	ctx, span := t.tracer.Start(ctx, "aurinko.job.run", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(KeyJobKind.String(kind), KeyJobID.Int64(id), KeyJobAttempt.Int(attempt)))
	return ctx, &Op{span: span, start: time.Now(), count: t.jobRuns, dur: t.jobDuration,
		attrs: []attribute.KeyValue{KeyJobKind.String(kind)}, ctx: ctx, outcome: KeyOutcome}
}

// RateLimited counts a provider answer that asked to slow down (a 429, or
// any status with a Retry-After). endpoint is EndpointAPI or
// EndpointToken.
func (t *Telemetry) RateLimited(ctx context.Context, connector, endpoint string, status int) {
	if t == nil {
		return
	}
	t.rateLimited.Add(ctx, 1, metric.WithAttributes(KeyConnector.String(connector), KeyEndpoint.String(endpoint),
		KeyStatusClass.String(statusClass(status))))
}

// RateLimitWait records time spent waiting out a provider's Retry-After;
// waiter is WaiterDirect or WaiterRefresh.
func (t *Telemetry) RateLimitWait(ctx context.Context, connector, waiter string, d time.Duration) {
	if t == nil {
		return
	}
	t.rateLimitWait.Record(ctx, d.Seconds(), metric.WithAttributes(KeyConnector.String(connector), KeyWaiter.String(waiter)))
}

// Delivery records one webhook delivery attempt; attempt counts from 1, so
// an attempt above 1 is also a retry.
func (t *Telemetry) Delivery(ctx context.Context, ok bool, attempt int) {
	if t == nil {
		return
	}
	outcome := OutcomeOK
	if !ok {
		outcome = OutcomeFailed
	}
	t.deliveries.Add(ctx, 1, metric.WithAttributes(KeyOutcome.String(outcome)))
	if attempt > 1 {
		t.deliveryRetries.Add(ctx, 1)
	}
}

// SubscriptionDeactivated counts a subscription deactivated for reason
// (a fixed word such as "retry_window").
func (t *Telemetry) SubscriptionDeactivated(ctx context.Context, reason string) {
	if t == nil {
		return
	}
	t.deactivated.Add(ctx, 1, metric.WithAttributes(KeyReason.String(reason)))
}

// SessionLookup counts one lookup of a session (SessionKindSession) or an
// account token (SessionKindAccountToken) with its outcome: OutcomeHit,
// OutcomeMiss, OutcomeExpired or OutcomeError.
func (t *Telemetry) SessionLookup(ctx context.Context, kind, outcome string) {
	if t == nil {
		return
	}
	t.sessionLookups.Add(ctx, 1, metric.WithAttributes(KeySessionKind.String(kind), KeyOutcome.String(outcome)))
}

// JobCounter counts the jobs of a kind, as store.JobStore.CountJobs does.
type JobCounter func(ctx context.Context, kind string) (store.JobCounts, error)

// ObserveJobQueue has the aurinko.jobs.queue gauge report the jobs of each
// kind by state, asking count at every collection. A kind whose count
// fails is left out of that collection. The returned func stops the
// observation.
func (t *Telemetry) ObserveJobQueue(kinds []string, count JobCounter) (stop func() error, err error) {
	if t == nil || len(kinds) == 0 {
		return func() error { return nil }, nil
	}
	kinds = append([]string(nil), kinds...)
	reg, err := t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		for _, k := range kinds {
			n, err := count(ctx, k)
			if err != nil {
				continue
			}
			kind := KeyJobKind.String(k)
			o.ObserveInt64(t.jobQueue, int64(n.Queued), metric.WithAttributes(kind, KeyJobState.String(string(store.JobQueued))))
			o.ObserveInt64(t.jobQueue, int64(n.Running), metric.WithAttributes(kind, KeyJobState.String(string(store.JobRunning))))
			o.ObserveInt64(t.jobQueue, int64(n.Failed), metric.WithAttributes(kind, KeyJobState.String(string(store.JobFailed))))
		}
		return nil
	}, t.jobQueue)
	if err != nil {
		return nil, fmt.Errorf("telemetry: observe job queue: %w", err)
	}
	return reg.Unregister, nil
}

// statusClass is "2xx" for 200..299 and so on; "error" for no answer.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "error"
	}
	return string(rune('0'+status/100)) + "xx"
}
