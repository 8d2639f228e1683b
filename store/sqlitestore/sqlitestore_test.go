package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // for the raw connection that plants a newer schema version

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
	"github.com/aurinko-go/aurinko/store/storetest"
)

func openTemp(t *testing.T, now func() time.Time) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "aurinko.db"), sqlitestore.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// migratedFile returns the path of a database file that Open created and
// Close closed.
func migratedFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aurinko.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return openTemp(t, now) })
}

func TestOpen_twiceIsIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "aurinko.db")
	s1, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.CreateApp(ctx, store.App{ID: "app1"}); err != nil {
		t.Fatal(err)
	}
	// A second Store on the same file, while the first is open.
	s2, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if _, err := s2.GetApp(ctx, "app1"); err != nil {
		t.Fatalf("second Store does not see the first one's app: %v", err)
	}
	for _, s := range []*sqlitestore.Store{s1, s2} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s1.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestOpen_rejectsReadOnlyDatabase(t *testing.T) {
	ctx := t.Context()
	path := migratedFile(t)
	// Tests run as root, which ignores file modes; mode=ro makes SQLite
	// itself open the file read-only, as it does for a file it may not write.
	_, err := sqlitestore.Open(ctx, "file:"+path+"?mode=ro", sqlitestore.Options{})
	if err == nil {
		t.Fatal("Open of a read-only database succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "read-only") || !strings.HasPrefix(err.Error(), "sqlitestore: ") {
		t.Errorf("error %q does not say the database is read-only", err)
	}
}

func TestOpen_rejectsNonSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.db")
	garbage := []byte(strings.Repeat("this is not a database, just text. ", 200))
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err == nil {
		t.Fatal("Open of a garbage file succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "not a SQLite database") {
		t.Errorf("error %q does not say the file is not a database", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(garbage) {
		t.Error("Open changed the garbage file")
	}
}

func TestOpen_rejectsMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "aurinko.db")
	_, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "cannot open database file") {
		t.Errorf("error %q does not say the file cannot be opened", err)
	}
}

func TestOpen_rejectsSchemaNewerThanBuild(t *testing.T) {
	ctx := t.Context()
	path := migratedFile(t)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "999") || !strings.Contains(err.Error(), "version 4,") {
		t.Errorf("error %q does not name both versions", err)
	}
}

// TestConcurrentWriters hammers the single-use and compare-and-swap paths
// with more goroutines than connections: no SQLITE_BUSY may escape.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openTemp(t, func() time.Time { return now })

	h := store.HashSecret("code")
	if err := s.CreateCode(ctx, store.Code{Hash: h, Kind: "auth", ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	acct, err := s.CreateAccount(ctx, store.Account{AppID: "a", ServiceType: "Google", Type: store.AccountDaemon,
		Active: true, TokenStatus: store.TokenActive}, store.Token{Sealed: store.Sealed("v1")})
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	redeemed, swapped := 0, 0
	for range 50 {
		wg.Go(func() {
			_, err := s.RedeemCode(ctx, h, "auth")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				redeemed++
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("RedeemCode: %v", err)
			}
		})
	}
	for range 20 {
		wg.Go(func() {
			_, err := s.SwapToken(ctx, acct.ID, 1, store.Token{Sealed: store.Sealed("v2")})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				swapped++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("SwapToken: %v", err)
			}
		})
	}
	wg.Wait()
	if redeemed != 1 || swapped != 1 {
		t.Errorf("redeemed %d codes, swapped %d tokens; want 1 and 1", redeemed, swapped)
	}
}

// TestTwoStoresOneFile runs writers through two Stores on one file, as two
// processes would: busy_timeout and IMMEDIATE transactions keep SQLITE_BUSY
// from escaping.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "aurinko.db")
	var stores []*sqlitestore.Store
	for range 2 {
		s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	acquired := make([]int, 2)
	for i, s := range stores {
		for range 10 {
			wg.Go(func() {
				for range 20 {
					_, err := s.AcquireLock(ctx, "refresh", time.Hour)
					switch {
					case err == nil:
						acquired[i]++ // only one acquisition ever succeeds
					case !errors.Is(err, store.ErrLocked):
						t.Errorf("AcquireLock: %v", err)
					}
				}
			})
		}
	}
	wg.Wait()
	if got := acquired[0] + acquired[1]; got != 1 {
		t.Errorf("lock acquired %d times, want 1", got)
	}
}

func TestOpen_rejectsCorruptDatabase(t *testing.T) {
	path := migratedFile(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the 100-byte header, scramble the schema table on page 1.
	for i := 100; i < len(b) && i < 4096; i++ {
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err == nil {
		t.Fatal("Open of a corrupt database succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("error %q does not say the database is corrupt", err)
	}
}
