package aurinko

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aurinko-go/aurinko/apierr"
)

// requestIDs gives every request an id (the caller's sane X-Request-Id or
// a new one), answers it in X-Request-Id, and puts it in the request's
// context, where error bodies and log records find it.
func requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := apierr.RequestID(r)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(apierr.WithRequestID(r.Context(), id)))
	})
}

// requestIDHandler adds the requestId of the record's context to every
// record logged with a context (logger.InfoContext(ctx, ...)).
type requestIDHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := apierr.RequestIDFrom(ctx); id != "" && !hasAttr(r, "requestId") {
			r = r.Clone()
			r.AddAttrs(slog.String("requestId", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
