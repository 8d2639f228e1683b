package webhooks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
	"github.com/aurinko-go/aurinko/webhooks"
)

// A process killed in the middle of a webhook delivery. The test binary
// runs itself as a child (crashChildEnv holds its job) that runs the
// delivery queue of a shared SQLite file or PostgreSQL schema, where three
// notifications of one subscription wait; the parent SIGKILLs it during
// the first delivery and then runs the queue with a fresh instance:
//
//   - receiver holding: the app's endpoint has the notification and has
//     not answered yet (the endpoint's handler kills the child);
//   - answered, not completed: the endpoint answered 200 and the child
//     dies before it marks the job done (CompleteJob).
//
// The documented outcome (jobs: a runner that dies loses its jobs to
// other runners after the lease; handlers may run more than once): once
// the dead child's lease passes, the fresh instance delivers the first
// notification again, byte for byte and signed, then the two others, in
// order; nothing is lost and the queue ends empty, with no failed job.

// crashChildEnv names the environment variable that makes a test run as a
// crash child; its value is the child's job as JSON.
const crashChildEnv = "AURINKO_TEST_CRASH_CHILD"

// The kill points of a delivery.
const (
	pointReceiverHolding = "receiver-holding"
	pointBeforeComplete  = "before-complete"
)

func crashKeyring(t testing.TB) *seal.Keyring {
	kr, err := seal.NewKeyring(seal.Key{ID: "crash", Secret: bytes.Repeat([]byte{0x3d}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// crashDB is a database shared by the parent and its children.
type crashDB struct {
	Kind   string // sqlite or postgres
	Path   string // the SQLite file or the PostgreSQL DSN
	Schema string // the PostgreSQL schema
}

func (db crashDB) open(t testing.TB, now func() time.Time) store.Store {
	t.Helper()
	var st store.Store
	var err error
	switch db.Kind {
	case "sqlite":
		st, err = sqlitestore.Open(context.Background(), db.Path, sqlitestore.Options{Now: now})
	case "postgres":
		st, err = pgstore.Open(context.Background(), db.Path, pgstore.Options{Now: now, Schema: db.Schema})
	default:
		err = fmt.Errorf("unknown database kind %q", db.Kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// crashDBKinds are the databases to run against: SQLite, and PostgreSQL
// when AURINKO_TEST_POSTGRES_URL is set (CI sets it).
func crashDBKinds(t *testing.T) []string {
	if os.Getenv("AURINKO_TEST_POSTGRES_URL") == "" {
		t.Log("AURINKO_TEST_POSTGRES_URL is unset: PostgreSQL is not crash-tested here")
		return []string{"sqlite"}
	}
	return []string{"sqlite", "postgres"}
}

// newCrashDB makes a fresh database of kind for one test.
func newCrashDB(t *testing.T, kind string) crashDB {
	if kind == "sqlite" {
		return crashDB{Kind: kind, Path: filepath.Join(t.TempDir(), "crash.db")}
	}
	db := crashDB{Kind: kind, Path: os.Getenv("AURINKO_TEST_POSTGRES_URL"), Schema: fmt.Sprintf("crash_wh_%d", time.Now().UnixNano())}
	t.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, db.Path); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{db.Schema}.Sanitize()+" CASCADE")
			_ = conn.Close(ctx)
		}
	})
	return db
}

// crashChild is a child copy of the test binary. It reports reaching a
// kill point by writing a line on its fd 3 and then blocks reading its
// stdin, which the parent never writes, until it is killed.
type crashChild struct {
	cmd    *exec.Cmd
	points *bufio.Reader
	out    bytes.Buffer
	done   bool
}

// startCrashChild runs test in a child with job as its crashChildEnv.
func startCrashChild(t *testing.T, test string, job any) *crashChild {
	t.Helper()
	raw, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &crashChild{points: bufio.NewReader(pr)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.timeout=5m")
	c.cmd.Env = append(os.Environ(), crashChildEnv+"="+string(raw))
	c.cmd.Stdin = inR
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	c.cmd.ExtraFiles = []*os.File{pw}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	inR.Close()
	t.Cleanup(func() {
		c.kill(t)
		pr.Close()
		inW.Close()
	})
	return c
}

// waitPoint waits for the child to report point.
func (c *crashChild) waitPoint(t *testing.T, point string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, _ := c.points.ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case line := <-got:
		if line != point {
			c.kill(t)
			t.Fatalf("child reported %q, want %q; its output:\n%s", line, point, c.out.String())
		}
	case <-time.After(2 * time.Minute): // a guard against a stuck child, not a wait for time
		c.kill(t)
		t.Fatalf("child did not reach %s; its output:\n%s", point, c.out.String())
	}
}

// kill SIGKILLs the child (once) and waits for it to exit. Only the test
// goroutine calls it.
func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	if c.done {
		return
	}
	c.done = true
	_ = c.cmd.Process.Kill()
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Errorf("child ended with %v, want killed", err)
		return
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child ended with %v, want SIGKILL; its output:\n%s", err, c.out.String())
	}
}

// childReach reports point to the parent and waits to be killed.
func childReach(point string) {
	fmt.Fprintln(os.NewFile(3, "points"), point)
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(3) // the parent closed stdin without killing us
}

// childFail reports a failure of the child to the parent and exits.
func childFail(format string, args ...any) {
	fmt.Fprintf(os.NewFile(3, "points"), "child failed: "+format+"\n", args...)
	os.Exit(2)
}

// deliveryJob is the job of a delivery crash child.
type deliveryJob struct {
	DB    crashDB
	Base  time.Time
	Lease time.Duration
	Point string
}

// completeHook stops the child before it completes a job.
type completeHook struct {
	store.Store
	point string
}

func (h completeHook) CompleteJob(ctx context.Context, id int64, leaseToken string) error {
	if h.point == pointBeforeComplete {
		childReach(pointBeforeComplete)
	}
	return h.Store.CompleteJob(ctx, id, leaseToken)
}

// crashDelivery is a delivery service with its job runner.
func crashDelivery(t testing.TB, st store.Store, now func() time.Time, lease time.Duration) (*webhooks.Service, *jobs.Runner) {
	svc, err := webhooks.New(webhooks.Config{Store: st, Keyring: crashKeyring(t), AllowInsecureTargets: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(jobs.Config{Store: st, Handlers: map[string]jobs.Handler{webhooks.JobKind: svc.Deliver},
		Concurrency: 1, Lease: lease, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return svc, runner
}

// runDeliveryChild runs the queue until it is killed.
func runDeliveryChild(t *testing.T, raw string) {
	var job deliveryJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		childFail("job: %v", err)
	}
	now := func() time.Time { return job.Base }
	st := job.DB.open(t, now)
	_, runner := crashDelivery(t, completeHook{Store: st, point: job.Point}, now, job.Lease)
	for range 10 {
		if _, err := runner.RunOnce(context.Background()); err != nil {
			childFail("RunOnce: %v", err)
		}
	}
	childFail("the queue ran without reaching %s", job.Point)
}

// delivery is one request the app's endpoint received.
type delivery struct {
	body   []byte
	sigErr error
}

func TestCrash_killedMidDelivery(t *testing.T) {
	if raw := os.Getenv(crashChildEnv); raw != "" {
		runDeliveryChild(t, raw)
		return
	}
	t.Parallel()
	for _, kind := range crashDBKinds(t) {
		for _, point := range []string{pointReceiverHolding, pointBeforeComplete} {
			t.Run(kind+"/"+point, func(t *testing.T) {
				testKilledMidDelivery(t, newCrashDB(t, kind), point)
			})
		}
	}
}

func testKilledMidDelivery(t *testing.T, db crashDB, point string) {
	ctx := context.Background()
	const lease = 30 * time.Second
	base := time.Now().UTC().Truncate(time.Second)

	// The app's endpoint: it checks signatures and records every request;
	// when the child is to die holding the first one, it holds its answer
	// until the child is dead.
	var mu sync.Mutex
	var got []delivery
	var secret []byte
	held, killed := make(chan struct{}), make(chan struct{})
	var holdOnce sync.Once
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		err := webhooks.Verify(secret, r.Header, body, base.Add(lease), 0)
		got = append(got, delivery{body: body, sigErr: err})
		first := len(got) == 1
		mu.Unlock()
		if first && point == pointReceiverHolding {
			holdOnce.Do(func() { close(held); <-killed })
		}
	}))
	defer endpoint.Close()

	// The parent queues three notifications of one subscription.
	seedStore := db.open(t, func() time.Time { return base })
	svc, _ := crashDelivery(t, seedStore, func() time.Time { return base }, lease)
	if err := seedStore.CreateApp(ctx, store.App{ID: "app"}); err != nil {
		t.Fatal(err)
	}
	acct, err := seedStore.CreateAccount(ctx, store.Account{AppID: "app", ServiceType: "Office365", Type: store.AccountPrimary,
		Active: true, TokenStatus: store.TokenActive, AuthUserID: "u1"}, store.Token{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := seedStore.CreateSubscription(ctx, store.Subscription{AppID: "app", AccountID: acct.ID, Resource: "/email/messages",
		NotificationURL: endpoint.URL + "/hook", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := svc.SigningSecret(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = s
	mu.Unlock()
	for _, id := range []string{"m1", "m2", "m3"} {
		if n, err := svc.Notify(ctx, acct.ID, "/email/messages", []webhooks.Payload{{ID: id, ChangeType: "created"}}); err != nil || n != 1 {
			t.Fatalf("Notify(%s) = %d, %v", id, n, err)
		}
	}
	seedStore.Close()

	// The child delivers and is killed during the first delivery.
	child := startCrashChild(t, "TestCrash_killedMidDelivery", deliveryJob{DB: db, Base: base, Lease: lease, Point: point})
	if point == pointReceiverHolding {
		select {
		case <-held:
		case <-time.After(2 * time.Minute): // a guard against a stuck child, not a wait for time
			t.Fatalf("the endpoint got nothing; the child's output:\n%s", child.out.String())
		}
	} else {
		child.waitPoint(t, point)
	}
	child.kill(t)
	close(killed)
	mu.Lock()
	before := len(got)
	mu.Unlock()
	if before != 1 {
		t.Fatalf("the endpoint got %d requests before the kill, want 1", before)
	}

	// A fresh instance once the dead child's lease has passed.
	clk := &crashClock{t: base.Add(lease + time.Second)}
	st := db.open(t, clk.Now)
	defer st.Close()
	_, runner := crashDelivery(t, st, clk.Now, lease)
	for range 10 {
		n, err := runner.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	counts, err := st.CountJobs(ctx, webhooks.JobKind)
	if err != nil {
		t.Fatal(err)
	}
	if counts != (store.JobCounts{}) {
		t.Fatalf("jobs left: %+v, want none", counts)
	}
	mu.Lock()
	defer mu.Unlock()
	var ids []string
	for i, d := range got {
		if d.sigErr != nil {
			t.Errorf("request %d: signature: %v", i, d.sigErr)
		}
		var n webhooks.Notification
		if err := json.Unmarshal(d.body, &n); err != nil || n.Subscription != sub.ID || n.AccountID != acct.ID || len(n.Payloads) != 1 {
			t.Fatalf("request %d: %s", i, d.body)
		}
		ids = append(ids, n.Payloads[0].ID)
	}
	if strings.Join(ids, ",") != "m1,m1,m2,m3" {
		t.Fatalf("the endpoint got %v, want m1 (killed), m1 again, m2, m3", ids)
	}
	if !bytes.Equal(got[0].body, got[1].body) {
		t.Fatalf("the repeated delivery differs:\n%s\n%s", got[0].body, got[1].body)
	}
}

// crashClock is a settable clock.
type crashClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *crashClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
