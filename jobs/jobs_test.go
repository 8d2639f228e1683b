package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/jobs"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/storetest"
)

var start = time.Date(2031, time.March, 4, 10, 20, 30, 0, time.UTC)

// fixture is a memstore on a fake clock.
type fixture struct {
	s     *memstore.Store
	clock *storetest.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := storetest.NewClock(start)
	s := memstore.New(memstore.Options{Now: c.Now})
	t.Cleanup(func() { _ = s.Close() })
	return &fixture{s: s, clock: c}
}

// runner returns a Runner on the fixture's store and clock whose Sleep
// waits for ctx only: nothing in these tests waits on a timer.
func (f *fixture) runner(t *testing.T, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = f.s
	}
	cfg.Now = f.clock.Now
	if cfg.Sleep == nil {
		cfg.Sleep = func(ctx context.Context, _ time.Duration) error {
			<-ctx.Done()
			return ctx.Err()
		}
	}
	r, err := jobs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) job(t *testing.T, id int64) store.Job {
	t.Helper()
	j, err := f.s.GetJob(t.Context(), id)
	if err != nil {
		t.Fatalf("GetJob(%d): %v", id, err)
	}
	return j
}

func runOnce(t *testing.T, r *jobs.Runner, want int) {
	t.Helper()
	n, err := r.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if n != want {
		t.Fatalf("RunOnce ran %d jobs, want %d", n, want)
	}
}

func TestNew_rejectsBadConfig(t *testing.T) {
	s := memstore.New(memstore.Options{})
	ok := map[string]jobs.Handler{"k": func(context.Context, store.Job) error { return nil }}
	for name, cfg := range map[string]jobs.Config{
		"no store":         {Handlers: ok},
		"no handlers":      {Store: s},
		"nil handler":      {Store: s, Handlers: map[string]jobs.Handler{"k": nil}},
		"empty kind":       {Store: s, Handlers: map[string]jobs.Handler{"": ok["k"]}},
		"negative lease":   {Store: s, Handlers: ok, Lease: -time.Second},
		"tiny lease":       {Store: s, Handlers: ok, Lease: 2},
		"negative workers": {Store: s, Handlers: ok, Concurrency: -1},
	} {
		if _, err := jobs.New(cfg); err == nil || !strings.HasPrefix(err.Error(), "jobs: ") {
			t.Errorf("%s: New = %v, want an error prefixed jobs:", name, err)
		}
	}
}

func TestRunOnce_runsHandlersAndCompletesJobs(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	got := map[string][]string{}
	handler := func(ctx context.Context, j store.Job) error {
		mu.Lock()
		defer mu.Unlock()
		got[j.Kind] = append(got[j.Kind], string(j.Payload))
		return nil
	}
	r := f.runner(t, jobs.Config{Handlers: map[string]jobs.Handler{"a": handler, "b": handler}})
	ctx := t.Context()
	for _, e := range []struct{ kind, payload string }{{"a", "1"}, {"b", "2"}} {
		if _, err := r.Enqueue(ctx, e.kind, "", []byte(e.payload), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	later, err := r.Enqueue(ctx, "a", "", []byte("later"), start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Enqueue(ctx, "unknown", "", nil, time.Time{}); err == nil {
		t.Error("Enqueue of a kind without handler: err = nil")
	}
	// A kind this runner has no handler for is left alone.
	other, err := f.s.EnqueueJob(ctx, store.Job{Kind: "other"})
	if err != nil {
		t.Fatal(err)
	}

	runOnce(t, r, 2)
	if want := map[string][]string{"a": {"1"}, "b": {"2"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("handlers saw %v, want %v", got, want)
	}
	runOnce(t, r, 0)
	f.clock.Advance(time.Minute)
	runOnce(t, r, 1)
	if _, err := f.s.GetJob(ctx, later.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJob of a completed job: err = %v, want ErrNotFound", err)
	}
	if j := f.job(t, other.ID); j.State != store.JobQueued {
		t.Errorf("job of another kind: State %q, want queued", j.State)
	}
}

func TestRunOnce_retriesWithBackoffThenFails(t *testing.T) {
	f := newFixture(t)
	calls := 0
	r := f.runner(t, jobs.Config{
		MaxAttempts: 3,
		Handlers: map[string]jobs.Handler{"k": func(ctx context.Context, j store.Job) error {
			calls++
			if j.Attempt != calls {
				t.Errorf("handler call %d saw Attempt %d", calls, j.Attempt)
			}
			return fmt.Errorf("provider said 503 (call %d)", calls)
		}},
	})
	j, err := r.Enqueue(t.Context(), "k", "", nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, wait := range []time.Duration{5 * time.Second, 10 * time.Second} {
		runOnce(t, r, 1)
		got := f.job(t, j.ID)
		if got.State != store.JobQueued || got.Attempt != attempt+1 || !got.RunAt.Equal(f.clock.Now().Add(wait)) {
			t.Fatalf("after try %d: State %q Attempt %d RunAt %v; want queued, %d, now+%v",
				attempt+1, got.State, got.Attempt, got.RunAt, attempt+1, wait)
		}
		if want := fmt.Sprintf("provider said 503 (call %d)", attempt+1); got.LastError != want {
			t.Errorf("LastError = %q, want %q", got.LastError, want)
		}
		f.clock.Advance(wait - time.Microsecond)
		runOnce(t, r, 0) // not due yet
		f.clock.Advance(time.Microsecond)
	}
	runOnce(t, r, 1)
	got := f.job(t, j.ID)
	if got.State != store.JobFailed || got.Attempt != 3 || got.LastError != "provider said 503 (call 3)" {
		t.Errorf("after MaxAttempts: State %q Attempt %d LastError %q; want failed, 3, the last error", got.State, got.Attempt, got.LastError)
	}
}

func TestBackoff_defaultIsExponentialCappedWithJitter(t *testing.T) {
	for _, c := range []struct {
		name   string
		rnd    *rand.Rand
		lo, hi []time.Duration // by attempt 1, 2, 3, 12, 13
	}{
		{"no jitter", nil,
			[]time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, time.Hour, time.Hour},
			[]time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, time.Hour, time.Hour}},
		{"jitter", rand.New(rand.NewPCG(1, 2)),
			[]time.Duration{2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Minute, 30 * time.Minute},
			[]time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, time.Hour, time.Hour}},
	} {
		f := newFixture(t)
		r := f.runner(t, jobs.Config{
			Rand: c.rnd, MaxAttempts: 100,
			Handlers: map[string]jobs.Handler{"k": func(context.Context, store.Job) error { return errors.New("again") }},
		})
		j, err := r.Enqueue(t.Context(), "k", "", nil, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for attempt := 1; attempt <= 13; attempt++ {
			runOnce(t, r, 1)
			wait := f.job(t, j.ID).RunAt.Sub(f.clock.Now())
			if attempt <= 3 || attempt >= 12 {
				if wait < c.lo[i] || wait > c.hi[i] || (c.rnd != nil && wait == c.hi[i]) {
					t.Errorf("%s: wait after try %d = %v, want in [%v, %v]", c.name, attempt, wait, c.lo[i], c.hi[i])
				}
				i++
			}
			f.clock.Advance(wait)
		}
	}
}

func TestRunOnce_customBackoff(t *testing.T) {
	f := newFixture(t)
	r := f.runner(t, jobs.Config{
		Backoff:  func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute },
		Handlers: map[string]jobs.Handler{"k": func(context.Context, store.Job) error { return errors.New("no") }},
	})
	j, _ := r.Enqueue(t.Context(), "k", "", nil, time.Time{})
	runOnce(t, r, 1)
	if got := f.job(t, j.ID).RunAt; !got.Equal(start.Add(time.Minute)) {
		t.Errorf("RunAt = %v, want now + Backoff(1)", got)
	}
}

func TestRunOnce_permanentErrorFailsAtOnce(t *testing.T) {
	f := newFixture(t)
	r := f.runner(t, jobs.Config{Handlers: map[string]jobs.Handler{"k": func(context.Context, store.Job) error {
		return fmt.Errorf("decode payload: %w", jobs.ErrPermanent)
	}}})
	j, _ := r.Enqueue(t.Context(), "k", "", []byte("garbage"), time.Time{})
	runOnce(t, r, 1)
	got := f.job(t, j.ID)
	if got.State != store.JobFailed || got.Attempt != 1 || !strings.Contains(got.LastError, "decode payload") {
		t.Errorf("State %q Attempt %d LastError %q; want failed at attempt 1 with the error", got.State, got.Attempt, got.LastError)
	}
}

func TestRunOnce_recoversPanic(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	ran := 0
	r := f.runner(t, jobs.Config{
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
		Handlers: map[string]jobs.Handler{
			"boom": func(context.Context, store.Job) error { panic("nil map write") },
			"fine": func(context.Context, store.Job) error { mu.Lock(); ran++; mu.Unlock(); return nil },
		},
	})
	boom, _ := r.Enqueue(t.Context(), "boom", "", nil, time.Time{})
	r.Enqueue(t.Context(), "fine", "", nil, time.Time{})
	runOnce(t, r, 2)
	got := f.job(t, boom.ID)
	if got.State != store.JobQueued || !strings.Contains(got.LastError, "panicked: nil map write") {
		t.Errorf("panicking job: State %q LastError %q; want queued for a retry with the panic", got.State, got.LastError)
	}
	if ran != 1 {
		t.Errorf("the other handler ran %d times, want 1", ran)
	}
	if !strings.Contains(logs.String(), "handler panicked") {
		t.Errorf("log %q does not report the panic", logs.String())
	}
	if strings.Contains(logs.String(), "goroutine ") {
		t.Errorf("log %q holds a stack trace", logs.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// extendSpy reports each ExtendJob call.
type extendSpy struct {
	store.JobStore
	extended chan error
}

func (s *extendSpy) ExtendJob(ctx context.Context, id int64, token string, lease time.Duration) error {
	err := s.JobStore.ExtendJob(ctx, id, token, lease)
	s.extended <- err
	return err
}

func TestRunOnce_extendsLeaseWhileHandlerRuns(t *testing.T) {
	f := newFixture(t)
	spy := &extendSpy{JobStore: f.s, extended: make(chan error)}
	tick := make(chan time.Duration)
	started, release := make(chan store.Job), make(chan struct{})
	r := f.runner(t, jobs.Config{
		Store: spy,
		Lease: 30 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case tick <- d:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		Handlers: map[string]jobs.Handler{"slow": func(ctx context.Context, j store.Job) error {
			started <- j
			<-release
			return nil
		}},
	})
	j, _ := r.Enqueue(t.Context(), "slow", "", nil, time.Time{})
	done := make(chan error)
	go func() { _, err := r.RunOnce(t.Context()); done <- err }()
	claimed := <-started
	for i := range 3 {
		f.clock.Advance(10 * time.Second)
		if d := <-tick; d != 10*time.Second {
			t.Errorf("lease extension waited %v, want Lease/3", d)
		}
		if err := <-spy.extended; err != nil {
			t.Fatalf("ExtendJob #%d: %v", i+1, err)
		}
		got := f.job(t, j.ID)
		if !got.LeaseUntil.Equal(f.clock.Now().Add(30*time.Second)) || got.LeaseToken != claimed.LeaseToken {
			t.Errorf("after extension %d: LeaseUntil %v, want now+30s with the same token", i+1, got.LeaseUntil)
		}
	}
	// 30s have passed since the claim, yet the job is still held.
	if n, err := f.s.ClaimJobs(t.Context(), nil, 10, time.Minute); err != nil || len(n) != 0 {
		t.Errorf("ClaimJobs while the lease is kept = %v, %v; want none", n, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.GetJob(t.Context(), j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJob after the slow handler finished: err = %v, want ErrNotFound", err)
	}
}

func TestRunOnce_lostLeaseCancelsHandler(t *testing.T) {
	f := newFixture(t)
	tick := make(chan struct{})
	started := make(chan struct{})
	r := f.runner(t, jobs.Config{
		Lease: 30 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-tick:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		Handlers: map[string]jobs.Handler{"slow": func(ctx context.Context, j store.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}},
	})
	j, _ := r.Enqueue(t.Context(), "slow", "", nil, time.Time{})
	done := make(chan error)
	go func() { _, err := r.RunOnce(t.Context()); done <- err }()
	<-started
	// The lease passes unextended and another runner takes the job over.
	f.clock.Advance(31 * time.Second)
	other, err := f.s.ClaimJobs(t.Context(), nil, 1, time.Minute)
	if err != nil || len(other) != 1 {
		t.Fatalf("ClaimJobs by another runner = %v, %v", other, err)
	}
	tick <- struct{}{}
	if err := <-done; err != nil {
		t.Errorf("RunOnce after losing the lease: %v, want nil (the job is the other runner's)", err)
	}
	if got := f.job(t, j.ID); got.State != store.JobRunning || got.LeaseToken != other[0].LeaseToken || got.Attempt != 2 {
		t.Errorf("job after the first runner gave up: %+v, want it untouched, held by the other runner", got)
	}
}

func TestRun_stopsOnCancelAndRequeuesUnfinishedJobs(t *testing.T) {
	f := newFixture(t)
	started := make(chan struct{})
	r := f.runner(t, jobs.Config{Handlers: map[string]jobs.Handler{"slow": func(ctx context.Context, j store.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}}})
	j, _ := r.Enqueue(t.Context(), "slow", "", nil, time.Time{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	<-started
	if err := r.Run(ctx); err == nil {
		t.Error("a second Run while one runs: err = nil")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	got := f.job(t, j.ID)
	if got.State != store.JobQueued || !got.RunAt.Equal(f.clock.Now()) || !strings.Contains(got.LastError, "interrupted") {
		t.Errorf("job after Run stopped: State %q RunAt %v LastError %q; want queued for now, interrupted", got.State, got.RunAt, got.LastError)
	}
}

// TestRun_keyedBacklogDoesNotWaitForPolls: jobs of one key run one at a
// time, so each becomes claimable only when the previous ends; Run must
// claim it then, not at the next poll (an hour away here).
func TestRun_keyedBacklogDoesNotWaitForPolls(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var order []string
	r, err := jobs.New(jobs.Config{Store: s, PollInterval: time.Hour, Handlers: map[string]jobs.Handler{"k": func(_ context.Context, j store.Job) error {
		mu.Lock()
		order = append(order, string(j.Payload))
		mu.Unlock()
		return nil
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := r.Enqueue(ctx, "k", "sub:1", []byte(fmt.Sprint(i)), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(order)
		mu.Unlock()
		if n == 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(order) != 20 {
		t.Fatalf("ran %d of 20 keyed jobs before the deadline: Run waits for polls between them", len(order))
	}
	for i, p := range order {
		if p != fmt.Sprint(i) {
			t.Fatalf("order = %v", order)
		}
	}
}
