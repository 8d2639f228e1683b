package telemetry

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// connectorKey carries the connector of a provider call in a request's
// context.
type connectorKey struct{}

// WithConnector names the connector (service type) of the provider calls
// made with ctx, for a Transport shared by several connectors (the direct
// proxy). It wins over the Transport's own label.
func WithConnector(ctx context.Context, connector string) context.Context {
	return context.WithValue(ctx, connectorKey{}, connector)
}

// Transport returns base wrapped so that every request it carries is
// recorded as a call to connector's provider: a client span (child of the
// request's span), aurinko.provider.calls and its duration, and
// aurinko.provider.rate_limited for answers that ask to slow down. A nil
// Telemetry returns base. The span ends when the response headers arrive.
// Nothing is added to the request: trace context is not sent to providers.
func (t *Telemetry) Transport(base http.RoundTripper, connector string) http.RoundTripper {
	if t == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, base: base, connector: connector}
}

type transport struct {
	t         *Telemetry
	base      http.RoundTripper
	connector string
}

// RoundTrip implements http.RoundTripper.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	connector := tr.connector
	if c, ok := req.Context().Value(connectorKey{}).(string); ok && c != "" {
		connector = c
	}
	method := knownMethod(req.Method)
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method), KeyConnector.String(connector)}
	if host := req.URL.Hostname(); host != "" && net.ParseIP(host) == nil {
		attrs = append(attrs, semconv.ServerAddressKey.String(host))
	}
	ctx, span := tr.t.tracer.Start(req.Context(), method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	start := time.Now()
	resp, err := tr.base.RoundTrip(req.WithContext(ctx))
	elapsed := time.Since(start).Seconds()
	status := 0
	if err == nil {
		status = resp.StatusCode
		span.SetAttributes(semconv.HTTPResponseStatusCodeKey.Int(status))
	}
	class := statusClass(status)
	switch {
	case err != nil:
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err, "network")))
		span.SetStatus(codes.Error, "no answer")
	case status >= 500:
		span.SetStatus(codes.Error, class)
	}
	span.End()
	set := metric.WithAttributes(KeyConnector.String(connector), KeyStatusClass.String(class))
	tr.t.providerCalls.Add(ctx, 1, set)
	tr.t.providerDuration.Record(ctx, elapsed, set)
	if err == nil && (status == http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "") {
		tr.t.RateLimited(ctx, connector, EndpointAPI, status)
	}
	return resp, err
}

// knownMethod is method when it is a standard HTTP method, else "_OTHER"
// (as the semantic conventions say), so that a client cannot create
// spans and series of its choosing.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "_OTHER"
}

// routeKey carries the route of an incoming request from the mux that
// matched it back to Middleware.
type routeKey struct{}

type route struct{ pattern string }

// Routes wraps an http.ServeMux (or anything that sets
// http.Request.Pattern) so that Middleware learns the pattern that
// matched: the innermost mux of the request names its span. A nil
// Telemetry returns mux.
func (t *Telemetry) Routes(mux http.Handler) http.Handler {
	if t == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if rt, ok := r.Context().Value(routeKey{}).(*route); ok && rt.pattern == "" {
			rt.pattern = r.Pattern
		}
	})
}

// Middleware gives every request a server span and records
// http.server.request.duration. The span is named after the route pattern
// that a mux wrapped in Routes matched ("GET /v1/email/messages/{id}"),
// never after the path. A nil Telemetry returns next.
func (t *Telemetry) Middleware(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := knownMethod(r.Method)
		rt := &route{}
		ctx := context.WithValue(r.Context(), routeKey{}, rt)
		ctx, span := t.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method)))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			// A panic still ends the span (as a 500) before it goes on.
			if p := recover(); p != nil {
				sw.status = http.StatusInternalServerError
				t.endRequest(ctx, span, method, rt.pattern, sw.statusCode(), start)
				panic(p)
			}
			t.endRequest(ctx, span, method, rt.pattern, sw.statusCode(), start)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func (t *Telemetry) endRequest(ctx context.Context, span trace.Span, method, pattern string, status int, start time.Time) {
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method), semconv.HTTPResponseStatusCodeKey.Int(status)}
	if r := routeOf(pattern); r != "" {
		attrs = append(attrs, semconv.HTTPRouteKey.String(r))
		span.SetName(method + " " + r)
	}
	span.SetAttributes(attrs...)
	if status >= 500 {
		span.SetStatus(codes.Error, statusClass(status))
	}
	span.End()
	t.requestDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
}

// routeOf is the path part of a ServeMux pattern ("GET api.example.com/v1/x"
// → "/v1/x"); "" for none.
func routeOf(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimLeft(p, " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // drop a host
	}
	return pattern
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush() //nolint:errcheck // as http.Flusher: no error to report
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
