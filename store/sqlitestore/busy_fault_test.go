package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// TestBusy_twoHandlesHammerOneFile has two handles on one file (SQLite
// locks them against each other as it would two processes) write users
// concurrently. With a busy timeout long enough every write succeeds; with
// a 1 ms timeout some writes may fail, but only with an error that says the
// database is locked, and in every case what a handle acknowledged is
// there, on both handles, and what failed is not there at all.
func TestBusy_twoHandlesHammerOneFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		busyTimeout time.Duration
		mayFail     bool
	}{
		{"busy_timeout=5s", 5 * time.Second, false},
		{"busy_timeout=1ms", time.Millisecond, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			path := filepath.Join(t.TempDir(), "busy.db")
			var handles []*sqlitestore.Store
			for range 2 {
				h, err := sqlitestore.Open(ctx, path, sqlitestore.Options{BusyTimeout: tc.busyTimeout})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = h.Close() })
				handles = append(handles, h)
			}
			if err := handles[0].CreateApp(ctx, store.App{ID: "app"}); err != nil {
				t.Fatal(err)
			}

			const writers, writes = 8, 40
			var mu sync.Mutex
			acked := map[string]bool{}
			var failed []string
			var wg sync.WaitGroup
			for w := range writers {
				h := handles[w%2]
				wg.Go(func() {
					for i := range writes {
						id := fmt.Sprintf("u-%d-%d", w, i)
						err := h.CreateUser(ctx, store.User{ID: id, AppID: "app", Email: id + "@example.com"})
						mu.Lock()
						if err == nil {
							acked[id] = true
						} else {
							failed = append(failed, id)
							if msg := strings.ToLower(err.Error()); !strings.Contains(msg, "locked") && !strings.Contains(msg, "busy") {
								t.Errorf("write %s failed with an unclear error: %v", id, err)
							}
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if !tc.mayFail && len(failed) != 0 {
				t.Fatalf("%d writes failed with a 5 s busy timeout", len(failed))
			}
			t.Logf("%d writes acknowledged, %d refused as busy", len(acked), len(failed))
			for _, h := range handles {
				for id := range acked {
					if u, err := h.GetUser(ctx, id); err != nil || u.Email != id+"@example.com" {
						t.Fatalf("acknowledged user %s lost: %+v, %v", id, u, err)
					}
				}
				for _, id := range failed {
					if _, err := h.GetUser(ctx, id); !errors.Is(err, store.ErrNotFound) {
						t.Fatalf("refused user %s is there anyway (err %v)", id, err)
					}
				}
			}
		})
	}
}
