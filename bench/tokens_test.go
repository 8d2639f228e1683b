package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// BenchmarkTokenHotPath measures Token() of a token source whose access
// token is valid: aurinko's accounts.TokenSource (which has to stay correct
// across instances sharing a database) against oauth2.ReuseTokenSource
// (which only caches in memory).
func BenchmarkTokenHotPath(b *testing.B) {
	te := newTokenEndpoint(b, 0)
	s := newAccounts(b, memstore.New(memstore.Options{}), te)
	putApp(b, s)
	id := linkAccount(b, s, "u1", "rt-hot")
	ctx := context.Background()
	if _, err := s.AccessToken(ctx, id); err != nil {
		b.Fatal(err)
	}
	sources := []struct {
		name string
		ts   xoauth2.TokenSource
	}{
		{"impl=aurinko", s.TokenSource(ctx, id)},
		{"impl=peer", xoauth2.ReuseTokenSource(nil, xoauth2.StaticTokenSource(&xoauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}))},
	}
	for _, sc := range sources {
		b.Run("peer=ReuseTokenSource/serial/"+sc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sc.ts.Token(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("peer=ReuseTokenSource/parallel/"+sc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := sc.ts.Token(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// Storm size: 1,000 callers spread over 4 instances.
const (
	stormInstances = 4
	stormCallers   = 1000
	// stormDelay is how long the fake token endpoint takes to refresh: the
	// window in which the other callers pile up.
	stormDelay = 20 * time.Millisecond
)

// BenchmarkRefreshStorm sends 1,000 concurrent callers, spread over 4
// server instances sharing one database, at an account whose access token
// has expired; the token endpoint rotates refresh tokens (each works once).
// One op is one storm, until every caller has a token. It reports the
// provider refreshes per storm (must be 1: the benchmark fails otherwise)
// and the invalid_grant answers (must be 0), and, for aurinko, fails when
// any caller got an error.
//
// The peer is what an application without a shared lock does: each
// instance has its own oauth2.ReuseTokenSource over the refresh token it
// read from the database. Each instance refreshes once, the provider
// accepts the first and answers invalid_grant to the other three, which a
// real application would turn into "please sign in again". Its row pairs
// it with aurinko on PostgreSQL; aurinko=sqlite is four handles on one
// SQLite file.
func BenchmarkRefreshStorm(b *testing.B) {
	b.Run("peer=ReuseTokenSource/impl=peer", benchStormReuse)
	b.Run("peer=ReuseTokenSource/impl=aurinko", func(b *testing.B) { benchStormAurinko(b, "postgres") })
	b.Run("aurinko=sqlite/impl=aurinko", func(b *testing.B) { benchStormAurinko(b, "sqlite") })
}

// openInstances opens stormInstances handles on one database.
func openInstances(b *testing.B, kind string) []store.Store {
	ctx := context.Background()
	var out []store.Store
	switch kind {
	case "sqlite":
		path := filepath.Join(b.TempDir(), "storm.db")
		for range stormInstances {
			s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			out = append(out, s)
		}
	case "postgres":
		dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
		if dsn == "" {
			b.Skip("AURINKO_TEST_POSTGRES_URL is unset: the PostgreSQL storm is not run")
		}
		schema := fmt.Sprintf("bench_storm_%d", time.Now().UnixNano())
		b.Cleanup(func() {
			if conn, err := pgx.Connect(ctx, dsn); err == nil {
				_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
				_ = conn.Close(ctx)
			}
		})
		for range stormInstances {
			s, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			out = append(out, s)
		}
	}
	return out
}

func benchStormAurinko(b *testing.B, kind string) {
	te := newTokenEndpoint(b, stormDelay)
	var svcs []*accounts.Service
	for _, st := range openInstances(b, kind) {
		svcs = append(svcs, newAccounts(b, st, te))
	}
	putApp(b, svcs[0])
	var refreshes, rejected int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := linkAccount(b, svcs[0], fmt.Sprintf("storm-%d", i), fmt.Sprintf("rt-%d", i))
		before, beforeRej := te.refreshes.Load(), te.rejected.Load()
		b.StartTimer()

		var wg sync.WaitGroup
		var failed atomic.Int64
		var firstErr atomic.Value
		for c := range stormCallers {
			s := svcs[c%len(svcs)]
			wg.Go(func() {
				if _, err := s.AccessToken(context.Background(), id); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			})
		}
		wg.Wait()

		b.StopTimer()
		n, rej := te.refreshes.Load()-before, te.rejected.Load()-beforeRej
		if failed.Load() != 0 || n != 1 || rej != 0 {
			b.Fatalf("storm %d: %d provider refreshes, %d invalid_grant, %d callers failed (first: %v); want 1, 0, 0",
				i, n, rej, failed.Load(), firstErr.Load())
		}
		refreshes += n
		rejected += rej
		b.StartTimer()
	}
	b.ReportMetric(float64(refreshes)/float64(b.N), "refreshes/storm")
	b.ReportMetric(float64(rejected)/float64(b.N), "invalid_grant/storm")
}

func benchStormReuse(b *testing.B) {
	te := newTokenEndpoint(b, stormDelay)
	cfg := &xoauth2.Config{ClientID: "cid", ClientSecret: "csecret",
		Endpoint: xoauth2.Endpoint{TokenURL: te.srv.URL + "/token", AuthStyle: xoauth2.AuthStyleInHeader}}
	var refreshes, rejected, failed int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before, beforeRej := te.refreshes.Load(), te.rejected.Load()
		expired := &xoauth2.Token{AccessToken: "at-0", RefreshToken: fmt.Sprintf("reuse-%d", i), Expiry: time.Now().Add(-time.Minute)}
		var instances []xoauth2.TokenSource
		for range stormInstances {
			instances = append(instances, cfg.TokenSource(context.Background(), expired))
		}
		b.StartTimer()

		var wg sync.WaitGroup
		var bad atomic.Int64
		for c := range stormCallers {
			ts := instances[c%len(instances)]
			wg.Go(func() {
				if _, err := ts.Token(); err != nil {
					bad.Add(1)
				}
			})
		}
		wg.Wait()

		b.StopTimer()
		refreshes += te.refreshes.Load() - before
		rejected += te.rejected.Load() - beforeRej
		failed += bad.Load()
		b.StartTimer()
	}
	b.ReportMetric(float64(refreshes)/float64(b.N), "refreshes/storm")
	b.ReportMetric(float64(rejected)/float64(b.N), "invalid_grant/storm")
	b.ReportMetric(float64(failed)/float64(b.N), "failed-callers/storm")
}
