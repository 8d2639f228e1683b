package pgstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for test setup

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/storetest"
)

const dsnEnv = "AURINKO_TEST_POSTGRES_URL"

// testDSN returns the DSN of the test server or skips the test.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skip(dsnEnv + " is unset; set it to a PostgreSQL URL to run the pgstore tests")
	}
	return dsn
}

// freshSchema returns the name of a new random schema that is dropped when
// the test ends.
func freshSchema(t *testing.T, dsn string) string {
	t.Helper()
	schema := "aurinko_test_" + strings.ToLower(rand.Text()[:16])
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA IF EXISTS ` + pgx.Identifier{schema}.Sanitize() + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func open(t *testing.T, dsn, schema string, now func() time.Time) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Schema: schema, Now: now, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return open(t, dsn, freshSchema(t, dsn), now)
	})
}

func TestOpen_concurrentOpensMigrateOnce(t *testing.T) {
	dsn := testDSN(t)
	schema := freshSchema(t, dsn)
	var wg sync.WaitGroup
	stores := make([]*pgstore.Store, 5)
	for i := range stores {
		wg.Go(func() {
			s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Schema: schema, MaxConns: 2})
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		}
	}
	if t.Failed() {
		return
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	q := `SELECT count(*) FROM ` + pgx.Identifier{schema, "schema_migrations"}.Sanitize()
	if err := db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", n, len(files))
	}
}

func TestOpen_rejectsSchemaNewerThanBuild(t *testing.T) {
	dsn := testDSN(t)
	schema := freshSchema(t, dsn)
	s := open(t, dsn, schema, nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `INSERT INTO ` + pgx.Identifier{schema, "schema_migrations"}.Sanitize() + ` (version, applied_at) VALUES (999, 0)`
	if _, err := db.ExecContext(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	_, err = pgstore.Open(t.Context(), dsn, pgstore.Options{Schema: schema})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "999") || !strings.Contains(err.Error(), "version 4,") {
		t.Errorf("error %q does not name both versions", err)
	}
}

func TestOpen_rejectsUnreachableServer(t *testing.T) {
	// A port that was free a moment ago: nothing listens on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	dsn := fmt.Sprintf("postgres://aurinko:s3cret-password@%s/aurinko?sslmode=disable&connect_timeout=2", addr)
	_, err = pgstore.Open(ctx, dsn, pgstore.Options{})
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	t.Log(err)
	if time.Since(start) > 5*time.Second {
		t.Errorf("Open took %v to fail", time.Since(start))
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "pgstore: open") || !strings.Contains(msg, "connect") {
		t.Errorf("error %q does not say the connection failed", msg)
	}
	if strings.Contains(msg, "s3cret-password") {
		t.Errorf("error %q leaks the password", msg)
	}
}

func TestOpen_rejectsBadDSN(t *testing.T) {
	_, err := pgstore.Open(t.Context(), "postgres://u:s3cret-password@127.0.0.1:notaport/db", pgstore.Options{})
	if err == nil {
		t.Fatal("Open with a malformed DSN succeeded")
	}
	t.Log(err)
	if strings.Contains(err.Error(), "s3cret-password") {
		t.Errorf("error %q leaks the password", err)
	}
}

// TestTwoStoresOneSchema runs writers through two Stores sharing a schema, as
// two server instances would.
func TestTwoStoresOneSchema(t *testing.T) {
	dsn := testDSN(t)
	schema := freshSchema(t, dsn)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, b := open(t, dsn, schema, clock), open(t, dsn, schema, clock)
	ctx := t.Context()

	h := store.HashSecret("code")
	if err := a.CreateCode(ctx, store.Code{Hash: h, Kind: "auth", ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	acct, err := a.CreateAccount(ctx, store.Account{AppID: "app", ServiceType: "Google", Type: store.AccountDaemon,
		Active: true, TokenStatus: store.TokenActive}, store.Token{Sealed: store.Sealed("v1")})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	redeemed, swapped, locked := 0, 0, 0
	for i := range 50 {
		s := []*pgstore.Store{a, b}[i%2]
		wg.Go(func() {
			_, rerr := s.RedeemCode(ctx, h, "auth")
			_, serr := s.SwapToken(ctx, acct.ID, 1, store.Token{Sealed: store.Sealed("v2")})
			_, lerr := s.AcquireLock(ctx, "refresh", time.Minute)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range []struct {
				err  error
				lost error
				won  *int
			}{{rerr, store.ErrNotFound, &redeemed}, {serr, store.ErrConflict, &swapped}, {lerr, store.ErrLocked, &locked}} {
				switch {
				case r.err == nil:
					*r.won++
				case !errors.Is(r.err, r.lost):
					t.Error(r.err)
				}
			}
		})
	}
	wg.Wait()
	if redeemed != 1 || swapped != 1 || locked != 1 {
		t.Errorf("redeemed %d, swapped %d, locked %d; want 1 each", redeemed, swapped, locked)
	}
}
