package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// scaleAccounts is how many accounts the scale test and benchmark page
// through.
const scaleAccounts = 10000

// sqliteConsole is the JSON API of a console over a SQLite store holding n
// accounts of testApp (with tokens), and the store's read counter.
func sqliteConsole(tb testing.TB, n int) (http.Handler, *countingStore) {
	tb.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC) }
	sq, err := sqlitestore.Open(ctx, filepath.Join(scaleDir(tb), "aurinko.db"), sqlitestore.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sq.Close() })
	st := &countingStore{Store: sq}
	kr, err := seal.NewKeyring(testKey(tb, "k1"))
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := connectors.NewRegistry()
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := accounts.New(accounts.Config{Store: st, Keyring: kr, Connectors: reg, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.PutApp(ctx, accounts.AppSpec{ClientID: testApp, ClientSecret: "0123456789abcdef0123"}); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if _, err := sq.CreateAccount(ctx, store.Account{AppID: testApp, ServiceType: serviceType, Type: store.AccountSecondary,
			Active: true, TokenStatus: store.TokenActive, Email: "user" + strconv.Itoa(i) + "@example.com", Scopes: []string{"Mail.Read"}},
			store.Token{Sealed: store.Sealed("sealed"), Expiry: now().Add(time.Hour), RefreshedAt: now()}); err != nil {
			tb.Fatal(err)
		}
	}
	c, err := New(Config{Accounts: svc, Keyring: kr, Username: testUser, PasswordHash: passwordHash(tb), Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return c.API(), st
}

func getPage(tb testing.TB, h http.Handler, path string, out any) {
	tb.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.SetBasicAuth(testUser, testPassword)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
		tb.Fatal(err)
	}
}

// TestPaging_10000AccountsInSQLite: walking 10,000 accounts in SQLite
// reads one store page of PageSize+1 rows per page and sees each account
// once, in order; a search by id is one keyed read.
func TestPaging_10000AccountsInSQLite(t *testing.T) {
	t.Parallel()
	h, st := sqliteConsole(t, scaleAccounts)
	var last int64
	seen, pages, after := 0, 0, ""
	for {
		st.reset()
		var p AccountsPage
		getPage(t, h, "/accounts?after="+after, &p)
		if c, r := st.calls.Load(), st.rows.Load(); c != 1 || r > DefaultPageSize+1 {
			t.Fatalf("page %d read %d lists, %d rows", pages, c, r)
		}
		for _, a := range p.Accounts {
			if a.ID <= last {
				t.Fatalf("account %d after %d", a.ID, last)
			}
			if !a.Token.HasCredential || a.Token.Expiry.IsZero() {
				t.Fatalf("account %d without its token health: %+v", a.ID, a.Token)
			}
			last = a.ID
			seen++
		}
		pages++
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if seen != scaleAccounts || pages != scaleAccounts/DefaultPageSize {
		t.Fatalf("saw %d accounts on %d pages", seen, pages)
	}

	st.reset()
	var p AccountsPage
	getPage(t, h, "/accounts?q="+strconv.FormatInt(last, 10), &p)
	if len(p.Accounts) != 1 || p.Accounts[0].ID != last || st.calls.Load() != 0 {
		t.Fatalf("search by id: %d lists, %+v", st.calls.Load(), p.Accounts)
	}
	st.reset()
	getPage(t, h, "/accounts?q=user9999@example.com", &p)
	if len(p.Accounts) != 1 || p.Accounts[0].Email != "user9999@example.com" || st.rows.Load() > DefaultSearchBudget {
		t.Fatalf("search by email read %d rows: %+v", st.rows.Load(), p.listInfo)
	}
}

// BenchmarkAccountsPage_sqlite10k measures the JSON API's account pages
// over 10,000 accounts in SQLite: the first page, one in the middle, the
// last, a search by id and a search by email that scans them all.
func BenchmarkAccountsPage_sqlite10k(b *testing.B) {
	h, _ := sqliteConsole(b, scaleAccounts)
	var mid AccountsPage
	getPage(b, h, "/accounts", &mid)
	first := mid.Accounts[0].ID
	for _, bc := range []struct{ name, path string }{
		{"first", "/accounts"},
		{"middle", "/accounts?after=" + strconv.FormatInt(first+scaleAccounts/2, 10)},
		{"last", "/accounts?after=" + strconv.FormatInt(first+scaleAccounts-DefaultPageSize-1, 10)},
		{"search id", "/accounts?q=" + strconv.FormatInt(first+scaleAccounts/2, 10)},
		{"search email", "/accounts?q=user9999@example.com"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				var p AccountsPage
				getPage(b, h, bc.path, &p)
			}
		})
	}
}

// scaleDir is a directory for the scale test's database: in memory
// (/dev/shm) where the system has it, so that seeding 10,000 accounts does
// not wait for 10,000 disk syncs; else a temporary directory.
func scaleDir(tb testing.TB) string {
	tb.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "aurinko-admin-")
		if err == nil {
			tb.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return tb.TempDir()
}
