package aurinko_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

func testKeyring(t testing.TB) *seal.Keyring {
	t.Helper()
	kr, err := seal.NewKeyring(seal.Key{ID: "test", Secret: bytes.Repeat([]byte{1}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestNew_rejectsIncompleteConfig(t *testing.T) {
	t.Parallel()
	st := memstore.New(memstore.Options{})
	kr := testKeyring(t)
	tests := []struct {
		name string
		cfg  aurinko.Config
	}{
		{"no store", aurinko.Config{Keyring: kr, PublicURL: "https://a.example"}},
		{"no public URL", aurinko.Config{Store: st, Keyring: kr}},
		{"no keyring", aurinko.Config{Store: st, PublicURL: "https://a.example"}},
		{"base path without slash", aurinko.Config{Store: st, Keyring: kr, PublicURL: "https://a.example", BasePath: "v1"}},
		{"base path with trailing slash", aurinko.Config{Store: st, Keyring: kr, PublicURL: "https://a.example", BasePath: "/v1/"}},
		{"base path with pattern", aurinko.Config{Store: st, Keyring: kr, PublicURL: "https://a.example", BasePath: "/{x}"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := aurinko.New(tc.cfg); !errors.Is(err, aurinko.ErrConfig) {
				t.Fatalf("New err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestNew_defaults(t *testing.T) {
	t.Parallel()
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t), PublicURL: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if srv.BasePath() != "/v1" {
		t.Fatalf("BasePath = %q", srv.BasePath())
	}
	if err := srv.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func TestHandler_unknownPathIsJSON404(t *testing.T) {
	t.Parallel()
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t), PublicURL: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/nope", nil))
	var body struct{ Code, Message string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 404 || body.Code != string(aurinko.NotFound) {
		t.Fatalf("got %d %+v", rec.Code, body)
	}
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	want := map[aurinko.ErrorCode]int{
		aurinko.NotFound: 404, aurinko.Unauthorized: 401, aurinko.Forbidden: 403, aurinko.Conflict: 409,
		aurinko.InvalidInput: 400, aurinko.RateLimited: 429, aurinko.ProviderUnavailable: 503,
		aurinko.ReauthRequired: 401, aurinko.Internal: 500, aurinko.PreconditionFailed: 412, aurinko.Gone: 410, aurinko.TooLarge: 413,
	}
	for code, status := range want {
		if got := aurinko.HTTPStatus(code); got != status {
			t.Errorf("HTTPStatus(%s) = %d, want %d", code, got, status)
		}
	}
}
