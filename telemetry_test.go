package aurinko_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/telemetry"
	"github.com/aurinko-go/aurinko/webhooks"
)

// otelRecorder holds the SDK's in-memory metric reader and span recorder a
// server reports to.
type otelRecorder struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	mp     *sdkmetric.MeterProvider
	tp     *sdktrace.TracerProvider
}

func newOtelRecorder() *otelRecorder {
	r := &otelRecorder{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	return r
}

func (r *otelRecorder) configure(c *aurinko.Config) { c.MeterProvider, c.TracerProvider = r.mp, r.tp }

// value is the value (a sum, a gauge, or a histogram's count) of the data
// point of metric name whose attributes are exactly kv; 0 when none.
func (r *otelRecorder) value(t *testing.T, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	want := attribute.NewSet(kv...)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						return p.Value
					}
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						return p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						return int64(p.Count)
					}
				}
			}
		}
	}
	return 0
}

// span returns the first ended span named name.
func (r *otelRecorder) span(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var names []string
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			return s
		}
		names = append(names, s.Name())
	}
	t.Fatalf("no span %q among %q", name, names)
	return nil
}

// noSecrets fails when an attribute of any span holds one of the strings.
func (r *otelRecorder) noSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	for _, s := range r.spans.Ended() {
		for _, kv := range s.Attributes() {
			for _, secret := range secrets {
				if strings.Contains(kv.Value.Emit(), secret) || strings.Contains(s.Name(), secret) {
					t.Errorf("span %q attribute %s = %q holds %q", s.Name(), kv.Key, kv.Value.Emit(), secret)
				}
			}
		}
	}
}

// crmProvider is a provider with a token endpoint (refresh_token
// "dead-rt" is revoked) and a REST API.
func crmProvider(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var refreshes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("refresh_token") == "dead-rt" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant","error_description":"revoked"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"fresh-at-%d","token_type":"Bearer","expires_in":3600}`, refreshes.Add(1))
	})
	mux.HandleFunc("/api/slowdown", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer fresh-at-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &refreshes
}

// telemetryEnv is a server with a "Crm" connector, instrumented, with an
// account whose token has expired and one whose grant is revoked.
type telemetryEnv struct {
	srv         *aurinko.Server
	rec         *otelRecorder
	api         *httptest.Server
	live, dead  int64
	tokLive     string
	tokDead     string
	provider    *httptest.Server
	refreshes   *atomic.Int64
	accountMail string
}

func newTelemetryEnv(t *testing.T) *telemetryEnv {
	t.Helper()
	e := &telemetryEnv{rec: newOtelRecorder(), accountMail: "alice@example.com"}
	e.provider, e.refreshes = crmProvider(t)
	crm, err := oauth2.New(oauth2.Config{ServiceType: "Crm", ClientID: "c", ClientSecret: "s",
		AuthURL: e.provider.URL + "/auth", TokenURL: e.provider.URL + "/token", UserInfoURL: e.provider.URL + "/me",
		APIBaseURL: e.provider.URL + "/api", AuthStyle: xoauth2.AuthStyleInParams})
	if err != nil {
		t.Fatal(err)
	}
	cfg := aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t), PublicURL: "https://api.example.com",
		Connectors: []connectors.Connector{crm}, DisableWatching: true, Webhooks: webhooks.Config{AllowInsecureTargets: true}}
	e.rec.configure(&cfg)
	if e.srv, err = aurinko.New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.srv.PutApp(ctx, aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		t.Fatal(err)
	}
	link := func(sub, rt string) (int64, string) {
		res, err := e.srv.Accounts().Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
			Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "stale-at", RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)},
				Identity: connectors.Identity{AuthUserID: sub, Email: sub + "@example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.srv.Sessions().IssueAccountToken(ctx, "app", res.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		return res.Account.ID, tok
	}
	e.live, e.tokLive = link("alice", "live-rt")
	e.dead, e.tokDead = link("bob", "dead-rt")
	mux := http.NewServeMux()
	mux.Handle("/v1/", e.srv.Handler())
	e.api = httptest.NewServer(mux)
	t.Cleanup(e.api.Close)
	return e
}

func (e *telemetryEnv) get(t *testing.T, tok, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.api.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.api.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestTelemetry_directCallRefreshesAndCallsTheProvider: a request through
// the direct API refreshes the expired token and calls the provider; both
// are recorded as metrics and as children of the request's span, which is
// named by its route. No token, email or path reaches an attribute.
func TestTelemetry_directCallRefreshesAndCallsTheProvider(t *testing.T) {
	t.Parallel()
	e := newTelemetryEnv(t)
	if code := e.get(t, e.tokLive, "/v1/direct/records/alice@example.com"); code != http.StatusOK {
		t.Fatalf("direct call = %d", code)
	}
	if code := e.get(t, e.tokLive, "/v1/direct/slowdown"); code != http.StatusTooManyRequests {
		t.Fatalf("slowdown = %d", code)
	}
	if code := e.get(t, e.tokDead, "/v1/direct/records/1"); code != http.StatusUnauthorized {
		t.Fatalf("revoked grant = %d", code)
	}
	if code := e.get(t, "acc_not-a-token", "/v1/direct/records/1"); code != http.StatusUnauthorized {
		t.Fatalf("bad token = %d", code)
	}
	if e.refreshes.Load() != 1 {
		t.Fatalf("%d refreshes at the provider", e.refreshes.Load())
	}

	crm := telemetry.KeyConnector.String("Crm")
	tests := []struct {
		name string
		kv   []attribute.KeyValue
		want int64
	}{
		{"aurinko.token.refreshes", []attribute.KeyValue{crm, telemetry.KeyOutcome.String("ok")}, 1},
		{"aurinko.token.refreshes", []attribute.KeyValue{crm, telemetry.KeyOutcome.String("terminal")}, 1},
		{"aurinko.token.refresh.duration", []attribute.KeyValue{crm, telemetry.KeyOutcome.String("ok")}, 1},
		{"aurinko.provider.calls", []attribute.KeyValue{crm, telemetry.KeyStatusClass.String("2xx")}, 1},
		{"aurinko.provider.calls", []attribute.KeyValue{crm, telemetry.KeyStatusClass.String("4xx")}, 1},
		{"aurinko.provider.call.duration", []attribute.KeyValue{crm, telemetry.KeyStatusClass.String("2xx")}, 1},
		{"aurinko.provider.rate_limited", []attribute.KeyValue{crm, telemetry.KeyEndpoint.String("api"), telemetry.KeyStatusClass.String("4xx")}, 1},
		{"aurinko.session.lookups", []attribute.KeyValue{telemetry.KeySessionKind.String("account_token"), telemetry.KeyOutcome.String("hit")}, 3},
		{"aurinko.session.lookups", []attribute.KeyValue{telemetry.KeySessionKind.String("account_token"), telemetry.KeyOutcome.String("miss")}, 1},
		{"http.server.request.duration", []attribute.KeyValue{attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/v1/direct/{path...}"), attribute.Int("http.response.status_code", 200)}, 1},
	}
	for _, tt := range tests {
		if got := e.rec.value(t, tt.name, tt.kv...); got != tt.want {
			t.Errorf("%s %v = %d, want %d", tt.name, tt.kv, got, tt.want)
		}
	}
	if a, _ := e.srv.Store().GetAccount(context.Background(), e.dead); a.Active {
		t.Error("the revoked account is still active")
	}

	server := e.rec.span(t, "GET /v1/direct/{path...}")
	refresh := e.rec.span(t, "aurinko.token.refresh")
	call := e.rec.span(t, "GET")
	if server.SpanKind() != trace.SpanKindServer || call.SpanKind() != trace.SpanKindClient {
		t.Errorf("kinds: server %v, call %v", server.SpanKind(), call.SpanKind())
	}
	for _, child := range []sdktrace.ReadOnlySpan{refresh, call} {
		if child.Parent().SpanID() != server.SpanContext().SpanID() || child.SpanContext().TraceID() != server.SpanContext().TraceID() {
			t.Errorf("%s is not a child of the request span", child.Name())
		}
	}
	e.rec.noSecrets(t, "stale-at", "fresh-at", "live-rt", "dead-rt", e.tokLive, e.tokDead, "alice", "records", "0123456789abcdef")
}

// TestTelemetry_mailCallsThroughTheUnifiedClient: the unified email API's
// calls to Microsoft Graph are provider calls of the Office365 connector,
// children of the request span.
func TestTelemetry_mailCallsThroughTheUnifiedClient(t *testing.T) {
	t.Parallel()
	rec := newOtelRecorder()
	e := newMailEnvWith(t, rec.configure)
	e.seed(2)
	var p page
	if code, _ := e.call(e.tokA, http.MethodGet, "/email/messages?limit=5", nil, &p); code != http.StatusOK || len(p.Records) != 2 {
		t.Fatalf("list = %d %+v", code, p)
	}
	o365 := telemetry.KeyConnector.String("Office365")
	if n := rec.value(t, "aurinko.provider.calls", o365, telemetry.KeyStatusClass.String("2xx")); n < 1 {
		t.Fatalf("provider calls = %d", n)
	}
	server := rec.span(t, "GET /v1/email/messages")
	var children int
	for _, s := range rec.spans.Ended() {
		if s.SpanKind() == trace.SpanKindClient && s.Parent().SpanID() == server.SpanContext().SpanID() {
			children++
		}
	}
	if children == 0 {
		t.Fatal("no provider call below the request span")
	}
	rec.noSecrets(t, "adele", "contoso", "Report", e.tokA)
}

// TestTelemetry_webhookDelivery: a notification delivered by a job runner
// counts as a delivery and a job run (with its span); a failing endpoint
// counts as a failed delivery, and its retry as a retry; the queue gauge
// reads the store. The subscription keeps its last delivery time through
// failures and loses failSince on the next success.
func TestTelemetry_webhookDelivery(t *testing.T) {
	t.Parallel()
	e := newTelemetryEnv(t)
	ctx := context.Background()
	var fail atomic.Bool
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got.Add(1)
	}))
	defer recv.Close()
	sub, err := e.srv.Store().CreateSubscription(ctx, store.Subscription{AppID: "app", AccountID: e.live, Resource: "/email/messages",
		NotificationURL: recv.URL, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() store.Subscription {
		t.Helper()
		s, err := e.srv.Store().GetSubscription(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tel, err := telemetry.New(telemetry.Config{MeterProvider: e.rec.mp, TracerProvider: e.rec.tp})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(jobs.Config{Store: e.srv.Store(), Handlers: map[string]jobs.Handler{webhooks.JobKind: e.srv.Webhooks().Deliver},
		Backoff: func(int) time.Duration { return 0 }, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	notify := func() {
		t.Helper()
		if n, err := e.srv.Webhooks().Notify(ctx, e.live, "/email/messages", []webhooks.Payload{{ID: "m1", ChangeType: "created"}}); err != nil || n != 1 {
			t.Fatalf("notify = %d, %v", n, err)
		}
	}
	kind := telemetry.KeyJobKind.String(webhooks.JobKind)
	queued := func() int64 {
		return e.rec.value(t, "aurinko.jobs.queue", kind, telemetry.KeyJobState.String("queued"))
	}

	notify()
	if q := queued(); q != 1 {
		t.Fatalf("queue before the run = %d, want 1", q)
	}
	if n, err := runner.RunOnce(ctx); err != nil || n != 1 || got.Load() != 1 {
		t.Fatalf("run = %d, %v; delivered %d", n, err, got.Load())
	}
	first := stored().LastDeliveryAt
	if first.IsZero() {
		t.Fatal("the delivery time was not recorded")
	}
	fail.Store(true)
	notify()
	if n, err := runner.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("failing run = %d, %v", n, err)
	}
	if s := stored(); s.FailSince.IsZero() || !s.LastDeliveryAt.Equal(first) {
		t.Fatalf("after a failure: failSince %v, last delivery %v (was %v)", s.FailSince, s.LastDeliveryAt, first)
	}
	if q := queued(); q != 1 {
		t.Fatalf("queue after a failed delivery = %d, want 1 (its retry)", q)
	}
	fail.Store(false)
	if n, err := runner.RunOnce(ctx); err != nil || n != 1 || got.Load() != 2 {
		t.Fatalf("retry = %d, %v; delivered %d", n, err, got.Load())
	}
	if s := stored(); !s.FailSince.IsZero() || s.FailDescription != "" || s.LastDeliveryAt.Before(first) {
		t.Fatalf("after the retry: failSince %v %q, last delivery %v", s.FailSince, s.FailDescription, s.LastDeliveryAt)
	}

	tests := []struct {
		name string
		kv   []attribute.KeyValue
		want int64
	}{
		{"aurinko.webhook.deliveries", []attribute.KeyValue{telemetry.KeyOutcome.String("ok")}, 2},
		{"aurinko.webhook.deliveries", []attribute.KeyValue{telemetry.KeyOutcome.String("failed")}, 1},
		{"aurinko.webhook.delivery.retries", nil, 1},
		{"aurinko.jobs.runs", []attribute.KeyValue{kind, telemetry.KeyOutcome.String("ok")}, 2},
		{"aurinko.jobs.runs", []attribute.KeyValue{kind, telemetry.KeyOutcome.String("retry")}, 1},
		{"aurinko.jobs.queue", []attribute.KeyValue{kind, telemetry.KeyJobState.String("queued")}, 0},
	}
	for _, tt := range tests {
		if got := e.rec.value(t, tt.name, tt.kv...); got != tt.want {
			t.Errorf("%s %v = %d, want %d", tt.name, tt.kv, got, tt.want)
		}
	}
	job := e.rec.span(t, "aurinko.job.run")
	if job.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("job span kind %v", job.SpanKind())
	}
	e.rec.noSecrets(t, recv.URL, "127.0.0.1")
}
