package telemetry_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
)

// recorder is a Telemetry over the SDK's in-memory reader and span
// recorder.
type recorder struct {
	tel    *telemetry.Telemetry
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	tel, err := telemetry.New(telemetry.Config{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader)),
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans)),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.tel = tel
	return r
}

// point is one data point of a metric: its attributes and value (a sum's
// value, a gauge's value or a histogram's count).
type point struct {
	attrs attribute.Set
	value int64
}

func (r *recorder) points(t *testing.T, name string) []point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []point
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != telemetry.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out = append(out, point{p.Attributes, p.Value})
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out = append(out, point{p.Attributes, p.Value})
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out = append(out, point{p.Attributes, int64(p.Count)})
				}
			default:
				t.Fatalf("%s: unexpected data %T", name, m.Data)
			}
		}
	}
	return out
}

// value is the value of the point of name whose attributes are exactly
// kv; 0 when there is none.
func (r *recorder) value(t *testing.T, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	want := attribute.NewSet(kv...)
	for _, p := range r.points(t, name) {
		if p.attrs.Equals(&want) {
			return p.value
		}
	}
	return 0
}

func TestTransport_recordsProviderCalls(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-down":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/broken":
			w.WriteHeader(http.StatusBadGateway)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		default:
			if r.Header.Get("Traceparent") != "" {
				t.Error("trace context sent to the provider")
			}
			io.WriteString(w, "{}")
		}
	}))
	defer api.Close()
	rec := newRecorder(t)
	client := &http.Client{Transport: rec.tel.Transport(api.Client().Transport, "Google")}
	parentCtx, parent := rec.tel.StartJob(context.Background(), "test", 1, 1)
	for _, p := range []string{"/users/alice@example.com/messages/m1?q=secret", "/ok", "/slow-down", "/broken", "/missing"} {
		req, _ := http.NewRequestWithContext(parentCtx, http.MethodGet, api.URL+p, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	parent.End(telemetry.OutcomeOK, nil)
	// A call that gets no answer at all.
	dead := &http.Client{Transport: rec.tel.Transport(&http.Transport{}, "Office365")}
	if _, err := dead.Get("http://127.0.0.1:1/"); err == nil {
		t.Fatal("call to a closed port succeeded")
	}

	g := telemetry.KeyConnector.String("Google")
	tests := []struct {
		name string
		kv   []attribute.KeyValue
		want int64
	}{
		{"aurinko.provider.calls", []attribute.KeyValue{g, telemetry.KeyStatusClass.String("2xx")}, 2},
		{"aurinko.provider.calls", []attribute.KeyValue{g, telemetry.KeyStatusClass.String("4xx")}, 2},
		{"aurinko.provider.calls", []attribute.KeyValue{g, telemetry.KeyStatusClass.String("5xx")}, 1},
		{"aurinko.provider.calls", []attribute.KeyValue{telemetry.KeyConnector.String("Office365"), telemetry.KeyStatusClass.String("error")}, 1},
		{"aurinko.provider.call.duration", []attribute.KeyValue{g, telemetry.KeyStatusClass.String("2xx")}, 2},
		{"aurinko.provider.rate_limited", []attribute.KeyValue{g, telemetry.KeyEndpoint.String(telemetry.EndpointAPI), telemetry.KeyStatusClass.String("4xx")}, 1},
	}
	for _, tt := range tests {
		if got := rec.value(t, tt.name, tt.kv...); got != tt.want {
			t.Errorf("%s %v = %d, want %d", tt.name, tt.kv, got, tt.want)
		}
	}

	var clientSpans int
	for _, s := range rec.spans.Ended() {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		clientSpans++
		if s.Name() != "GET" {
			t.Errorf("client span name %q", s.Name())
		}
		for _, kv := range s.Attributes() {
			if v := kv.Value.Emit(); strings.Contains(v, "alice") || strings.Contains(v, "secret") || strings.Contains(v, "/") {
				t.Errorf("client span attribute %s = %q holds the request path", kv.Key, v)
			}
		}
		google := false
		for _, kv := range s.Attributes() {
			google = google || kv == g
		}
		if wantParent := parent0(rec); google && s.Parent().SpanID() != wantParent.SpanID() || !google && s.Parent().IsValid() {
			t.Errorf("client span (Google %v) parent %v", google, s.Parent().SpanID())
		}
	}
	if clientSpans != 6 {
		t.Fatalf("%d client spans, want 6", clientSpans)
	}
}

// parent0 is the span context of the job span the test started first.
func parent0(rec *recorder) trace.SpanContext {
	for _, s := range rec.spans.Ended() {
		if s.Name() == "aurinko.job.run" {
			return s.SpanContext()
		}
	}
	return trace.SpanContext{}
}

func TestMiddleware_namesSpansAfterRoutes(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	inner := http.NewServeMux()
	inner.HandleFunc("GET /v1/email/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !trace.SpanFromContext(r.Context()).SpanContext().IsValid() {
			t.Error("handler runs without the request span")
		}
		io.WriteString(w, "{}")
	})
	inner.HandleFunc("/v1/direct/{path...}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	outer := http.NewServeMux()
	outer.Handle("/", wrapCopy(rec.tel.Routes(inner)))
	outer.HandleFunc("POST /v1/webhooks/push/{serviceType}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	h := rec.tel.Middleware(rec.tel.Routes(outer))

	tests := []struct {
		method, path string
		wantName     string
		wantStatus   int
	}{
		{"GET", "/v1/email/messages/AAMk-alice@example.com", "GET /v1/email/messages/{id}", 200},
		{"PUT", "/v1/direct/gmail/v1/users/me", "PUT /v1/direct/{path...}", 503},
		{"POST", "/v1/webhooks/push/Google", "POST /v1/webhooks/push/{serviceType}", 202},
		{"BREW", "/v1/email/messages/x", "_OTHER /", 405},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		if w.Code != tt.wantStatus {
			t.Fatalf("%s %s: %d", tt.method, tt.path, w.Code)
		}
	}
	ended := rec.spans.Ended()
	if len(ended) != len(tests) {
		t.Fatalf("%d spans, want %d", len(ended), len(tests))
	}
	for i, tt := range tests {
		s := ended[i]
		if s.Name() != tt.wantName || s.SpanKind() != trace.SpanKindServer {
			t.Errorf("span %d = %q (%v), want %q", i, s.Name(), s.SpanKind(), tt.wantName)
		}
		var status int64
		for _, kv := range s.Attributes() {
			if kv.Key == "http.response.status_code" {
				status = kv.Value.AsInt64()
			}
			if strings.Contains(kv.Value.Emit(), "alice") {
				t.Errorf("span %q attribute %s holds the path", s.Name(), kv.Key)
			}
		}
		if status != int64(tt.wantStatus) {
			t.Errorf("span %q status %d, want %d", s.Name(), status, tt.wantStatus)
		}
	}
	if got := rec.value(t, "http.server.request.duration", attribute.String("http.request.method", "GET"),
		attribute.String("http.route", "/v1/email/messages/{id}"), attribute.Int("http.response.status_code", 200)); got != 1 {
		t.Errorf("request duration count = %d", got)
	}
}

// wrapCopy passes a copy of the request on, as middleware that adds to
// the context does.
func wrapCopy(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), struct{}{}, 1)))
	})
}

func TestMiddleware_flushesThrough(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	h := rec.tel.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !w.Flushed {
		t.Fatal("not flushed")
	}
}

func TestCounters(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx := context.Background()
	tel := rec.tel
	_, op := tel.StartRefresh(ctx, "Google", 7)
	op.End(telemetry.OutcomeOK, nil)
	_, op = tel.StartRefresh(ctx, "Google", 7)
	op.End(telemetry.OutcomeTerminal, errors.New("invalid_grant"))
	_, op = tel.StartJob(ctx, "webhook.deliver", 3, 2)
	op.End(telemetry.OutcomeRetry, context.DeadlineExceeded)
	tel.Delivery(ctx, true, 1)
	tel.Delivery(ctx, false, 2)
	tel.Delivery(ctx, true, 3)
	tel.SubscriptionDeactivated(ctx, "retry_window")
	tel.SessionLookup(ctx, telemetry.SessionKindSession, telemetry.OutcomeHit)
	tel.SessionLookup(ctx, telemetry.SessionKindAccountToken, telemetry.OutcomeMiss)
	tel.RateLimited(ctx, "Google", telemetry.EndpointToken, 429)
	tel.RateLimitWait(ctx, "Google", telemetry.WaiterDirect, 2*time.Second)

	g := telemetry.KeyConnector.String("Google")
	tests := []struct {
		name string
		kv   []attribute.KeyValue
		want int64
	}{
		{"aurinko.token.refreshes", []attribute.KeyValue{g, telemetry.KeyOutcome.String("ok")}, 1},
		{"aurinko.token.refreshes", []attribute.KeyValue{g, telemetry.KeyOutcome.String("terminal")}, 1},
		{"aurinko.token.refresh.duration", []attribute.KeyValue{g, telemetry.KeyOutcome.String("ok")}, 1},
		{"aurinko.jobs.runs", []attribute.KeyValue{telemetry.KeyJobKind.String("webhook.deliver"), telemetry.KeyOutcome.String("retry")}, 1},
		{"aurinko.webhook.deliveries", []attribute.KeyValue{telemetry.KeyOutcome.String("ok")}, 2},
		{"aurinko.webhook.deliveries", []attribute.KeyValue{telemetry.KeyOutcome.String("failed")}, 1},
		{"aurinko.webhook.delivery.retries", nil, 2},
		{"aurinko.webhook.subscriptions.deactivated", []attribute.KeyValue{telemetry.KeyReason.String("retry_window")}, 1},
		{"aurinko.session.lookups", []attribute.KeyValue{telemetry.KeySessionKind.String("session"), telemetry.KeyOutcome.String("hit")}, 1},
		{"aurinko.session.lookups", []attribute.KeyValue{telemetry.KeySessionKind.String("account_token"), telemetry.KeyOutcome.String("miss")}, 1},
		{"aurinko.provider.rate_limited", []attribute.KeyValue{g, telemetry.KeyEndpoint.String("token"), telemetry.KeyStatusClass.String("4xx")}, 1},
		{"aurinko.provider.rate_limit.wait", []attribute.KeyValue{g, telemetry.KeyWaiter.String("direct")}, 1},
	}
	for _, tt := range tests {
		if got := rec.value(t, tt.name, tt.kv...); got != tt.want {
			t.Errorf("%s %v = %d, want %d", tt.name, tt.kv, got, tt.want)
		}
	}
	var names []string
	for _, s := range rec.spans.Ended() {
		names = append(names, s.Name())
		if s.Name() == "aurinko.job.run" {
			var errType string
			for _, kv := range s.Attributes() {
				if kv.Key == "error.type" {
					errType = kv.Value.AsString()
				}
			}
			if errType != "timeout" {
				t.Errorf("job span error.type %q", errType)
			}
		}
	}
	if strings.Join(names, ",") != "aurinko.token.refresh,aurinko.token.refresh,aurinko.job.run" {
		t.Errorf("spans %v", names)
	}
}

func TestObserveJobQueue_readsAtCollection(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	calls := 0
	counts := map[string]store.JobCounts{"webhook.deliver": {Queued: 4, Running: 1, Failed: 2}}
	stop, err := rec.tel.ObserveJobQueue([]string{"webhook.deliver", "broken"}, func(_ context.Context, kind string) (store.JobCounts, error) {
		calls++
		if kind == "broken" {
			return store.JobCounts{}, errors.New("store down")
		}
		return counts[kind], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Fatal("counted before collection")
	}
	k := telemetry.KeyJobKind.String("webhook.deliver")
	for state, want := range map[string]int64{"queued": 4, "running": 1, "failed": 2} {
		if got := rec.value(t, "aurinko.jobs.queue", k, telemetry.KeyJobState.String(state)); got != want {
			t.Errorf("%s = %d, want %d", state, got, want)
		}
	}
	counts["webhook.deliver"] = store.JobCounts{Queued: 9}
	if got := rec.value(t, "aurinko.jobs.queue", k, telemetry.KeyJobState.String("queued")); got != 9 {
		t.Errorf("queued after change = %d, want 9", got)
	}
	for _, p := range rec.points(t, "aurinko.jobs.queue") {
		if v, _ := p.attrs.Value(telemetry.KeyJobKind); v.AsString() == "broken" {
			t.Error("a failed count was reported")
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	before := calls
	rec.points(t, "aurinko.jobs.queue")
	if calls != before {
		t.Error("observed after stop")
	}
}

// TestNil_recordsNothing: a nil Telemetry (no providers configured in the
// packages) is safe everywhere.
func TestNil_recordsNothing(t *testing.T) {
	t.Parallel()
	var tel *telemetry.Telemetry
	ctx := context.Background()
	_, op := tel.StartRefresh(ctx, "Google", 1)
	op.End(telemetry.OutcomeOK, nil)
	_, op = tel.StartJob(ctx, "k", 1, 1)
	op.End(telemetry.OutcomeOK, nil)
	tel.Delivery(ctx, true, 1)
	tel.SubscriptionDeactivated(ctx, "x")
	tel.SessionLookup(ctx, "session", "hit")
	tel.RateLimited(ctx, "G", "api", 429)
	tel.RateLimitWait(ctx, "G", "direct", time.Second)
	if stop, err := tel.ObserveJobQueue([]string{"k"}, nil); err != nil || stop() != nil {
		t.Fatal(err)
	}
	base := http.DefaultTransport
	if tel.Transport(base, "G") != base {
		t.Error("Transport wrapped")
	}
	h := http.NotFoundHandler()
	if tel.Middleware(h) == nil || tel.Routes(h) == nil {
		t.Error("nil handler")
	}
	// With no providers, New gives no-op instruments.
	noop, err := telemetry.New(telemetry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, op = noop.StartRefresh(ctx, "G", 1)
	op.End(telemetry.OutcomeOK, nil)
}
