package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// discardWriter is a ResponseWriter that costs nothing, so the benchmark
// measures the middleware and not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkMiddleware measures what the middleware adds to a request: with
// no middleware (bare), no credential, a bearer session, a cookie session,
// a bearer session picking an account by header (one more store read) and
// an account token, over memstore and SQLite. The real clock is used, so a
// session is touched (written) at most once a minute: reads dominate, as in
// production.
func BenchmarkMiddleware(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memstore", func(*testing.B) store.Store { return memstore.New(memstore.Options{}) }},
		{"sqlite", func(b *testing.B) store.Store {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		}},
	}
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			st := sc.open(b)
			f := &fixture{}
			seed(b, st, f)
			m, err := New(Config{Store: st})
			if err != nil {
				b.Fatal(err)
			}
			f.m = m
			ses := f.session(b, appX, "alice", f.alice1)
			acc := f.accountToken(b, appX, f.alice2)

			var seenKind Kind
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := FromContext(r.Context())
				seenKind = p.Kind
			})
			cases := []struct {
				name    string
				h       http.Handler
				headers map[string]string
				cookie  bool
				want    Kind
			}{
				{"bare", handler, nil, false, KindNone},
				{"anonymous", m.Middleware(handler), nil, false, KindNone},
				{"bearer_session", m.Middleware(handler), map[string]string{"Authorization": "Bearer " + ses}, false, KindUser},
				{"cookie_session", m.Middleware(handler), map[string]string{HeaderClientID: appX}, true, KindUser},
				{"bearer_session_account_header", m.Middleware(handler),
					map[string]string{"Authorization": "Bearer " + ses, HeaderAccountID: strconv.FormatInt(f.alice2, 10)}, false, KindUser},
				{"account_token", m.Middleware(handler), map[string]string{"Authorization": "Bearer " + acc}, false, KindAccount},
			}
			for _, bc := range cases {
				b.Run(bc.name, func(b *testing.B) {
					r := httptest.NewRequest(http.MethodGet, "/v1/email/messages", nil)
					for k, v := range bc.headers {
						r.Header.Set(k, v)
					}
					if bc.cookie {
						r.AddCookie(&http.Cookie{Name: m.CookieName(appX), Value: ses})
					}
					w := &discardWriter{h: http.Header{}}
					b.ReportAllocs()
					for b.Loop() {
						bc.h.ServeHTTP(w, r)
					}
					if seenKind != bc.want {
						b.Fatalf("principal kind %v, want %v", seenKind, bc.want)
					}
				})
			}
		})
	}
}
