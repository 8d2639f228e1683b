package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// TestAPI_listsWithoutAnyApp: before any app exists every list answers an
// empty page, not an error.
func TestAPI_listsWithoutAnyApp(t *testing.T) {
	t.Parallel()
	st := memstore.New(memstore.Options{})
	reg, err := connectors.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := seal.NewKeyring(testKey(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.New(accounts.Config{Store: st, Keyring: kr, Connectors: reg})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Accounts: acc, Keyring: kr, Username: testUser, PasswordHash: passwordHash(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/users", "/accounts", "/organizations", "/subscriptions"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.SetBasicAuth(testUser, testPassword)
		w := httptest.NewRecorder()
		c.API().ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "[]") {
			t.Errorf("GET %s without apps = %d %s", path, w.Code, w.Body.String())
		}
	}
}
