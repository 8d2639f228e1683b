package bench

import (
	"context"
	"encoding/gob"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	"github.com/gorilla/sessions"

	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// discardWriter is a ResponseWriter that costs nothing, so a benchmark
// measures the middleware and not a recorder. Its header map is cleared
// before each request, as a fresh response's would be.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// serveLoop sends a copy of r to h b.N times and fails when the handler
// did not see the signed-in user. Each iteration gets its own shallow copy
// of r, as each request a server reads is new: gorilla/sessions caches the
// decoded session in the request it is given, which a shared request would
// turn into a cache hit.
func serveLoop(b *testing.B, h http.Handler, r *http.Request, seen *string) {
	b.Helper()
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		*seen = ""
		req := new(http.Request)
		*req = *r
		h.ServeHTTP(w, req)
	}
	if *seen != "alice" {
		b.Fatalf("handler saw user %q, want alice", *seen)
	}
}

// BenchmarkSessionMiddleware measures one request through each library's
// session middleware to the same trivial handler, which reads the signed-in
// user id. aurinko resolves a bearer session and a cookie session over its
// memstore and SQLite; scs loads its session from its memstore (gob-decoded
// map); gorilla/sessions decodes and verifies its signed cookie (no server
// state). Every session was created before the timer starts.
//
// Sub-benchmarks are named peer=<peer>/impl=peer|aurinko, so that
// `benchstat -col /impl` pairs each peer with aurinko's cookie session over
// memstore; aurinko=<variant> rows have no peer.
func BenchmarkSessionMiddleware(b *testing.B) {
	cases := []struct {
		name string
		run  func(*testing.B)
	}{
		{"peer=scs-memstore/impl=peer", benchSCS},
		{"peer=scs-memstore/impl=aurinko", func(b *testing.B) { benchAurinko(b, "memstore", true) }},
		{"peer=gorilla-cookiestore/impl=peer", benchGorilla},
		{"peer=gorilla-cookiestore/impl=aurinko", func(b *testing.B) { benchAurinko(b, "memstore", true) }},
		{"aurinko=memstore-bearer/impl=aurinko", func(b *testing.B) { benchAurinko(b, "memstore", false) }},
		{"aurinko=sqlite-cookie/impl=aurinko", func(b *testing.B) { benchAurinko(b, "sqlite", true) }},
		{"aurinko=sqlite-bearer/impl=aurinko", func(b *testing.B) { benchAurinko(b, "sqlite", false) }},
	}
	for _, bc := range cases {
		b.Run(bc.name, bc.run)
	}
}

func benchAurinko(b *testing.B, kind string, cookie bool) {
	ctx := context.Background()
	var st store.Store
	switch kind {
	case "memstore":
		st = memstore.New(memstore.Options{})
	case "sqlite":
		s, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		st = s
	}
	if err := st.CreateApp(ctx, store.App{ID: "app"}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateUser(ctx, store.User{ID: "alice", AppID: "app", Email: "alice@example.com"}); err != nil {
		b.Fatal(err)
	}
	m, err := session.New(session.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := m.Create(ctx, "app", "alice", 0)
	if err != nil {
		b.Fatal(err)
	}
	var seen string
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := session.FromContext(r.Context()); ok {
			seen = p.UserID
		}
		_, _ = w.Write([]byte("ok"))
	}))
	r := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
	if cookie {
		r.Header.Set(session.HeaderClientID, "app")
		r.AddCookie(&http.Cookie{Name: m.CookieName("app"), Value: tok})
	} else {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	serveLoop(b, h, r, &seen)
}

func benchSCS(b *testing.B) {
	sm := scs.New()
	sm.Store = scsmem.New()
	// Sign in: one request that puts the user id, to get the cookie.
	signIn := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "userID", "alice")
	}))
	rec := httptest.NewRecorder()
	signIn.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/signin", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("scs set %d cookies, want 1", len(cookies))
	}
	var seen string
	h := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = sm.GetString(r.Context(), "userID")
		_, _ = w.Write([]byte("ok"))
	}))
	r := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
	r.AddCookie(cookies[0])
	serveLoop(b, h, r, &seen)
}

func benchGorilla(b *testing.B) {
	gob.Register("")
	cs := sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef"))
	rec := httptest.NewRecorder()
	signInReq := httptest.NewRequest(http.MethodPost, "/signin", nil)
	s, err := cs.Get(signInReq, "session")
	if err != nil {
		b.Fatal(err)
	}
	s.Values["userID"] = "alice"
	if err := s.Save(signInReq, rec); err != nil {
		b.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("gorilla set %d cookies, want 1", len(cookies))
	}
	var seen string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := cs.Get(r, "session")
		if err == nil {
			seen, _ = s.Values["userID"].(string)
		}
		_, _ = w.Write([]byte("ok"))
	})
	r := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
	r.AddCookie(cookies[0])
	serveLoop(b, h, r, &seen)
}
