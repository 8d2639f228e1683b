package aurinko_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/store/memstore"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestRequestIDs: every answer carries X-Request-Id (the caller's when it
// is sane, else a new one), error bodies repeat it, and the log line of a
// failed request carries it; hostile ids are replaced.
func TestRequestIDs(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t), PublicURL: "https://api.example.com",
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sent string
		keep bool
	}{
		{"req-123", true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"has space", false},
		{"bad\x7f", false},
	} {
		r := httptest.NewRequest("GET", "/v1/nope", nil)
		if tc.sent != "" {
			r.Header["X-Request-Id"] = []string{tc.sent}
		}
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		id := w.Header().Get("X-Request-Id")
		if w.Code != http.StatusNotFound || id == "" || (tc.keep && id != tc.sent) || (!tc.keep && id == tc.sent) {
			t.Errorf("sent %q: status %d, X-Request-Id %q", tc.sent, w.Code, id)
		}
		if !strings.Contains(w.Body.String(), `"requestId":"`+id+`"`) {
			t.Errorf("sent %q: body %s lacks the id %q", tc.sent, w.Body.String(), id)
		}
		if strings.Count(logs.String(), `"requestId":"`+id+`"`) != 1 || strings.Contains(logs.String(), `"requestId":"`+id+`","requestId"`) {
			t.Errorf("sent %q: no log line with requestId %q in %s", tc.sent, id, logs.String())
		}
	}
}
