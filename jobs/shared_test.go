package jobs_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop the test schema

	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// TestRun_twoRunnersOnOneSQLiteFile runs two Runners, each with its own
// Store on one SQLite file, as two processes would.
func TestRun_twoRunnersOnOneSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	var stores []store.JobStore
	for range 2 {
		s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	testTwoRunners(t, stores)
}

// TestRun_twoRunnersOnOnePostgresSchema runs two Runners, each with its own
// Store on one PostgreSQL schema, as two server instances would.
func TestRun_twoRunnersOnOnePostgresSchema(t *testing.T) {
	dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("AURINKO_TEST_POSTGRES_URL is unset; set it to a PostgreSQL URL to run this test")
	}
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
	var stores []store.JobStore
	for range 2 {
		s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Schema: schema, MaxConns: 6})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	testTwoRunners(t, stores)
}

// testTwoRunners has one Runner per store work through 200 jobs of 20 keys
// and checks that each job was handled once, that no two jobs of a key ran
// at once, and that each key's jobs ran in the order they were enqueued.
func testTwoRunners(t *testing.T, stores []store.JobStore) {
	const keys, perKey = 20, 10
	var (
		mu      sync.Mutex
		handled = map[int64]int{}
		running = map[string]bool{}
		order   = map[string][]int{}
		fault   error
		all     = make(chan struct{})
	)
	handler := func(ctx context.Context, j store.Job) error {
		var seq int
		if _, err := fmt.Sscan(string(j.Payload), &seq); err != nil {
			return fmt.Errorf("payload %q: %w", j.Payload, jobs.ErrPermanent)
		}
		mu.Lock()
		if running[j.Key] && fault == nil {
			fault = fmt.Errorf("job %d of %s started while another job of it runs", j.ID, j.Key)
		}
		running[j.Key] = true
		mu.Unlock()

		// A round trip to the database while the job runs, so that runs
		// that overlap have time to.
		if _, err := stores[0].GetJob(ctx, j.ID); err != nil {
			return err
		}

		mu.Lock()
		defer mu.Unlock()
		running[j.Key] = false
		handled[j.ID]++
		order[j.Key] = append(order[j.Key], seq)
		if len(handled) == keys*perKey {
			select {
			case <-all:
			default:
				close(all)
			}
		}
		return nil
	}
	runners := make([]*jobs.Runner, len(stores))
	for i, s := range stores {
		r, err := jobs.New(jobs.Config{
			Store:        s,
			Handlers:     map[string]jobs.Handler{"deliver": handler},
			Concurrency:  4,
			PollInterval: 5 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		runners[i] = r
	}
	for seq := range perKey {
		for k := range keys {
			if _, err := runners[k%2].Enqueue(t.Context(), "deliver", fmt.Sprint("sub:", k), []byte(fmt.Sprint(seq)), time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, len(runners))
	for _, r := range runners {
		go func() { done <- r.Run(ctx) }()
	}
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		t.Error("the runners did not handle every job within 2 minutes")
	}
	cancel()
	for range runners {
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if fault != nil {
		t.Error(fault)
	}
	for id, n := range handled {
		if n != 1 {
			t.Errorf("job %d handled %d times, want once", id, n)
		}
	}
	if len(handled) != keys*perKey {
		t.Errorf("%d jobs handled, want %d", len(handled), keys*perKey)
	}
	for k, seqs := range order {
		if !slices.IsSorted(seqs) {
			t.Errorf("jobs of %s ran in order %v, want enqueue order", k, seqs)
		}
	}
	counts, err := stores[0].CountJobs(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if counts != (store.JobCounts{}) {
		t.Errorf("CountJobs after the run = %+v, want every job completed", counts)
	}
}
