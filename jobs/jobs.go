package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/telemetry"
)

// ErrPermanent marks a handler error that no retry can fix (a payload that
// does not decode, a resource that is gone): a handler returns an error
// wrapping it, e.g. fmt.Errorf("decode payload: %w", jobs.ErrPermanent),
// and the job fails at once.
var ErrPermanent = errors.New("jobs: permanent failure")

// Handler does the work of one job. It returns nil when the work is done, an
// error to have the job retried later, or an error wrapping ErrPermanent to
// give up. ctx is canceled when the Runner stops or the job's lease is lost
// (another runner may then run the job); a handler should return soon after.
// A job may run more than once (a runner that dies mid-job loses its lease),
// so handlers should be idempotent.
type Handler func(ctx context.Context, j store.Job) error

// Config configures a Runner. Store and Handlers are required; every other
// field has a default.
type Config struct {
	// Store holds the queue. Required.
	Store store.JobStore
	// Handlers maps each job Kind this Runner runs to its handler. At
	// least one is required. The Runner claims only these kinds.
	Handlers map[string]Handler
	// Concurrency is how many handlers run at once. Zero means 4.
	Concurrency int
	// PollInterval is how long Run waits before looking for due jobs again
	// when it found fewer than it had room for. Zero means 1s.
	PollInterval time.Duration
	// Lease is how long a claim lasts; while a handler runs, the lease is
	// extended every Lease/3. A runner that dies loses its jobs to other
	// runners after at most Lease. Zero means 1m.
	Lease time.Duration
	// MaxAttempts is how many times a job is tried before it fails. Zero
	// means 10.
	MaxAttempts int
	// Backoff is how long to wait before trying a job again after its
	// attempt-th try failed (attempt counts from 1). Nil means exponential
	// from 5s, doubling per attempt, capped at 1h, with jitter when Rand is
	// set: a wait d becomes a uniform value in [d/2, d).
	Backoff func(attempt int) time.Duration
	// Rand is the source of the default Backoff's jitter; nil means no
	// jitter. The Runner serializes its use.
	Rand *rand.Rand
	// Now is the clock retries are scheduled by; nil means time.Now. (The
	// store judges leases and due times with its own clock.)
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	// Run polls and lease extension wait with it; tests replace it. Nil
	// means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger hears of failed jobs, panics and store errors. Nil discards.
	Logger *slog.Logger
	// Telemetry records a span and the outcome of every run, and
	// observes the queue of each kind of Handlers (store CountJobs, read
	// when the metrics are collected, from New on). Nil records nothing.
	Telemetry *telemetry.Telemetry
}

// Runner claims and runs jobs. It is safe for concurrent use; Run runs at
// most once at a time.
type Runner struct {
	cfg     Config
	kinds   []string
	log     *slog.Logger
	running atomic.Bool
	randMu  sync.Mutex
}

// maxErrorLen bounds the handler error kept as a job's LastError.
const maxErrorLen = 1000

// New checks cfg, fills in its defaults and returns a Runner.
func New(cfg Config) (*Runner, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("jobs: new: Store is required")
	case len(cfg.Handlers) == 0:
		return nil, errors.New("jobs: new: no Handlers")
	case cfg.Concurrency < 0, cfg.PollInterval < 0, cfg.Lease < 0, cfg.MaxAttempts < 0:
		return nil, errors.New("jobs: new: Concurrency, PollInterval, Lease and MaxAttempts must not be negative")
	}
	r := &Runner{cfg: cfg}
	r.cfg.Handlers = make(map[string]Handler, len(cfg.Handlers))
	for kind, h := range cfg.Handlers {
		if kind == "" || h == nil {
			return nil, fmt.Errorf("jobs: new: handler %q: empty kind or nil handler", kind)
		}
		r.cfg.Handlers[kind] = h
		r.kinds = append(r.kinds, kind)
	}
	sort.Strings(r.kinds)
	if r.cfg.Concurrency == 0 {
		r.cfg.Concurrency = 4
	}
	if r.cfg.PollInterval == 0 {
		r.cfg.PollInterval = time.Second
	}
	if r.cfg.Lease == 0 {
		r.cfg.Lease = time.Minute
	}
	if r.cfg.Lease/3 <= 0 {
		return nil, fmt.Errorf("jobs: new: Lease %v too short to extend", r.cfg.Lease)
	}
	if r.cfg.MaxAttempts == 0 {
		r.cfg.MaxAttempts = 10
	}
	if r.cfg.Backoff == nil {
		r.cfg.Backoff = r.exponentialBackoff
	}
	if r.cfg.Now == nil {
		r.cfg.Now = time.Now
	}
	if r.cfg.Sleep == nil {
		r.cfg.Sleep = sleep
	}
	r.log = cfg.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if _, err := cfg.Telemetry.ObserveJobQueue(r.kinds, cfg.Store.CountJobs); err != nil {
		return nil, fmt.Errorf("jobs: new: %w", err)
	}
	return r, nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exponentialBackoff is the default Backoff.
func (r *Runner) exponentialBackoff(attempt int) time.Duration {
	const base, limit = 5 * time.Second, time.Hour
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	if r.cfg.Rand != nil {
		r.randMu.Lock()
		f := r.cfg.Rand.Float64()
		r.randMu.Unlock()
		d = d/2 + time.Duration(f*float64(d/2))
	}
	return d
}

// Enqueue queues a job of kind for runAt (zero means now). key orders jobs:
// those with the same non-empty key run one at a time, in the order they
// were enqueued (see store.Job.Key). kind must have a handler in this
// Runner's Config, which catches misspelled kinds where they are made.
func (r *Runner) Enqueue(ctx context.Context, kind, key string, payload []byte, runAt time.Time) (store.Job, error) {
	if _, ok := r.cfg.Handlers[kind]; !ok {
		return store.Job{}, fmt.Errorf("jobs: enqueue: no handler for kind %q", kind)
	}
	j, err := r.cfg.Store.EnqueueJob(ctx, store.Job{Kind: kind, Key: key, Payload: payload, RunAt: runAt})
	if err != nil {
		return store.Job{}, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return j, nil
}

// Run claims and runs jobs until ctx is done, then waits for the handlers
// still running (their ctx is canceled; jobs they leave unfinished are put
// back in the queue) and returns nil. Store errors are logged and retried
// after PollInterval. A second Run while one is running fails at once.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("jobs: run: already running")
	}
	defer r.running.Store(false)
	slots := make(chan struct{}, r.cfg.Concurrency)
	// finished wakes the poll wait when a job ends: the next job of its
	// key may be claimable at once (keyed jobs run one at a time).
	finished := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		// Wait for one free slot, then take every other free one.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		n := 1
	more:
		for n < r.cfg.Concurrency {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		jobs, err := r.claim(ctx, n)
		for range n - len(jobs) {
			<-slots
		}
		if err != nil && ctx.Err() == nil {
			r.log.LogAttrs(ctx, slog.LevelError, "jobs: claim failed", slog.Any("error", err))
		}
		for _, j := range jobs {
			wg.Go(func() {
				defer func() {
					<-slots
					select {
					case finished <- struct{}{}:
					default:
					}
				}()
				if err := r.run(ctx, j); err != nil {
					r.log.LogAttrs(ctx, slog.LevelError, "jobs: recording the outcome of a job failed",
						slog.Int64("job", j.ID), slog.String("kind", j.Kind), slog.Any("error", err))
				}
			})
		}
		if len(jobs) < n {
			// Wait for the poll interval, or less when a job ends.
			wctx, cancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-finished:
					cancel()
				case <-wctx.Done():
				}
			}()
			_ = r.cfg.Sleep(wctx, r.cfg.PollInterval)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
		}
	}
}

// RunOnce claims up to Concurrency due jobs, runs them at once and returns
// when all are done, with how many it ran. Handler failures are recorded on
// the jobs, not returned; the error reports a failed claim, or store errors
// recording outcomes. For tests and hosts that schedule polling themselves.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	jobs, err := r.claim(ctx, r.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { errs[i] = r.run(ctx, j) })
	}
	wg.Wait()
	return len(jobs), errors.Join(errs...)
}

func (r *Runner) claim(ctx context.Context, n int) ([]store.Job, error) {
	jobs, err := r.cfg.Store.ClaimJobs(ctx, r.kinds, n, r.cfg.Lease)
	if err != nil {
		return nil, fmt.Errorf("jobs: claim: %w", err)
	}
	return jobs, nil
}

// run runs the handler of a claimed job, keeping its lease, and records the
// outcome. It returns an error only when the store could not record it;
// a lease lost meanwhile is logged, not returned.
func (r *Runner) run(ctx context.Context, j store.Job) (err error) {
	sctx, op := r.cfg.Telemetry.StartJob(ctx, j.Kind, j.ID, j.Attempt)
	outcome, herr := telemetry.OutcomeFailed, error(nil)
	defer func() { op.End(outcome, herr) }()
	hctx, cancel := context.WithCancel(sctx)
	defer cancel()
	var lost atomic.Bool
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		r.keepLease(hctx, j, func() { lost.Store(true); cancel() })
	}()
	herr = r.call(hctx, j)
	cancel()
	<-kept
	outcome, err = r.finish(sctx, j, herr)
	if errors.Is(err, store.ErrNotFound) {
		// The lease passed and another runner claimed the job (or an
		// operator deleted it): the outcome is theirs to record.
		r.log.LogAttrs(ctx, slog.LevelWarn, "jobs: lost the lease of a job before it finished",
			slog.Int64("job", j.ID), slog.String("kind", j.Kind), slog.Int("attempt", j.Attempt),
			slog.Bool("canceled", lost.Load()))
		return nil
	}
	return err
}

// keepLease extends the job's lease every Lease/3 until ctx is done. When
// the store says the lease is no longer held, it calls lost and stops.
func (r *Runner) keepLease(ctx context.Context, j store.Job, lost func()) {
	for r.cfg.Sleep(ctx, r.cfg.Lease/3) == nil {
		err := r.cfg.Store.ExtendJob(ctx, j.ID, j.LeaseToken, r.cfg.Lease)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			lost()
			return
		case ctx.Err() == nil:
			// Try again at the next tick; the lease has room for it.
			r.log.LogAttrs(ctx, slog.LevelWarn, "jobs: extending a lease failed",
				slog.Int64("job", j.ID), slog.String("kind", j.Kind), slog.Any("error", err))
		}
	}
}

// call runs the job's handler, turning a panic into an error.
func (r *Runner) call(ctx context.Context, j store.Job) (err error) {
	h := r.cfg.Handlers[j.Kind]
	if h == nil { // ClaimJobs returned a kind not asked for
		return fmt.Errorf("jobs: no handler for kind %q: %w", j.Kind, ErrPermanent)
	}
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if pe, ok := p.(error); ok {
			err = fmt.Errorf("jobs: handler panicked: %w", pe)
		} else {
			err = fmt.Errorf("jobs: handler panicked: %v", p)
		}
		r.log.LogAttrs(ctx, slog.LevelError, "jobs: handler panicked",
			slog.Int64("job", j.ID), slog.String("kind", j.Kind), slog.Int("attempt", j.Attempt), slog.Any("error", err))
	}()
	return h(ctx, j)
}

// finish records the outcome of a job's run: done, to be retried, or failed,
// and returns it as a telemetry outcome. Store calls outlive ctx, so that a
// stopping Runner still puts its jobs back, but are bounded by Lease.
func (r *Runner) finish(ctx context.Context, j store.Job, herr error) (string, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Lease)
	defer cancel()
	attrs := func(extra ...slog.Attr) []slog.Attr {
		return append([]slog.Attr{slog.Int64("job", j.ID), slog.String("kind", j.Kind), slog.Int("attempt", j.Attempt)}, extra...)
	}
	var err error
	outcome := telemetry.OutcomeRetry
	switch {
	case herr == nil:
		outcome = telemetry.OutcomeOK
		err = r.cfg.Store.CompleteJob(sctx, j.ID, j.LeaseToken)
	case ctx.Err() != nil && !errors.Is(herr, ErrPermanent):
		// The Runner is stopping: not the job's fault, so back in the
		// queue at once, for any runner.
		msg := lastError(fmt.Errorf("interrupted: runner stopped: %w", herr))
		err = r.cfg.Store.RetryJob(sctx, j.ID, j.LeaseToken, r.cfg.Now(), msg)
	case errors.Is(herr, ErrPermanent) || j.Attempt >= r.cfg.MaxAttempts:
		outcome = telemetry.OutcomeFailed
		r.log.LogAttrs(ctx, slog.LevelError, "jobs: job failed", attrs(
			slog.Bool("permanent", errors.Is(herr, ErrPermanent)), slog.Any("error", herr))...)
		err = r.cfg.Store.FailJob(sctx, j.ID, j.LeaseToken, lastError(herr))
	default:
		wait := r.cfg.Backoff(j.Attempt)
		r.log.LogAttrs(ctx, slog.LevelWarn, "jobs: job will be retried", attrs(
			slog.Duration("in", wait), slog.Any("error", herr))...)
		err = r.cfg.Store.RetryJob(sctx, j.ID, j.LeaseToken, r.cfg.Now().Add(wait), lastError(herr))
	}
	if err != nil {
		return outcome, fmt.Errorf("jobs: job %d: %w", j.ID, err)
	}
	return outcome, nil
}

// lastError is err's message as kept on the job: at most maxErrorLen bytes,
// cut on a character boundary.
func lastError(err error) string {
	msg := err.Error()
	if len(msg) <= maxErrorLen {
		return msg
	}
	cut := maxErrorLen
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}
