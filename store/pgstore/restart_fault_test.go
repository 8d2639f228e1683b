//go:build pgrestart

package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
)

// TestRestart_serverRecoversAndLosesNothing restarts the PostgreSQL server
// under a live store while a writer keeps creating users and sessions. The
// store (its pool) must recover without being reopened, every write it
// acknowledged before, during or after the restart must be there, and the
// sessions made before the restart must still resolve.
//
// It restarts the server every other test uses, so it is built only with
// -tags pgrestart and CI runs it in a step of its own, after the main run.
func TestRestart_serverRecoversAndLosesNothing(t *testing.T) {
	dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Fatal("AURINKO_TEST_POSTGRES_URL is unset: the restart test needs the server it restarts")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	schema := fmt.Sprintf("restart_%d", time.Now().UnixNano())
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Close()
		if conn, err := pgx.Connect(context.Background(), dsn); err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = conn.Close(context.Background())
		}
	})
	m, err := session.New(session.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateApp(ctx, store.App{ID: "app"}); err != nil {
		t.Fatal(err)
	}

	// The writer creates a user and a session per step until told to stop,
	// recording what was acknowledged. Failures while the server is down
	// are expected and counted.
	var mu sync.Mutex
	acked := map[string]string{} // user id -> session token
	failures := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("u-%d", i)
			wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
			err := st.CreateUser(wctx, store.User{ID: id, AppID: "app", Email: id + "@example.com"})
			var tok string
			if err == nil {
				tok, _, err = m.Create(wctx, "app", id, 0)
			}
			wcancel()
			mu.Lock()
			if err == nil {
				acked[id] = tok
			} else {
				failures++
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()

	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	if before == 0 {
		t.Fatal("nothing was written before the restart")
	}
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) != 1 {
		t.Fatalf("want one PostgreSQL version in /etc/postgresql: %v %v", versions, err)
	}
	restart := exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", versions[0].Name(), "main", "restart")
	if out, err := restart.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctlcluster restart: %v: %s", err, out)
	}
	// The server is up again when pg_isready says so.
	deadline := time.Now().Add(30 * time.Second)
	for exec.CommandContext(ctx, "pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatal("PostgreSQL did not come back within 30 s of the restart")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The same store, not reopened, must write again.
	recovered := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n > before+20 {
			recovered = true
			break
		}
	}
	close(stop)
	<-done
	if !recovered {
		t.Fatalf("the store did not recover after the restart (%d acknowledged before, %d failures)", before, failures)
	}

	mu.Lock()
	defer mu.Unlock()
	for id, tok := range acked {
		if u, err := st.GetUser(ctx, id); err != nil || u.Email != id+"@example.com" {
			t.Fatalf("acknowledged user %s lost: %+v, %v", id, u, err)
		}
		if s, err := m.Resolve(ctx, tok); err != nil || s.UserID != id {
			t.Fatalf("acknowledged session of %s does not resolve: %+v, %v", id, s, err)
		}
	}
	t.Logf("restart: %d writes acknowledged (%d before the restart), %d failed while the server was down; none lost",
		len(acked), before, failures)
	if out, err := exec.CommandContext(ctx, "psql", dsn, "-Atc", "select 1").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Fatalf("PostgreSQL is not serving after the test: %v %s", err, out)
	}
}
