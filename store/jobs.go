package store

import (
	"context"
	"time"
)

// JobState is where a background job is in its life.
type JobState string

// Job states. Completed jobs are removed; failed ones are kept for
// inspection until DeleteJob.
const (
	JobQueued  JobState = "queued"  // waiting for RunAt
	JobRunning JobState = "running" // claimed; LeaseUntil bounds the claim
	JobFailed  JobState = "failed"  // gave up; kept for the operator
)

// Job is a unit of background work (a webhook delivery, a subscription
// renewal, a resync) that any instance sharing the store may run.
type Job struct {
	ID   int64  // assigned by the store
	Kind string // what to do, e.g. "webhook.deliver"; required
	// Key orders jobs: of the unfinished jobs (queued or running) with the
	// same non-empty Key, only the oldest (smallest ID) can be claimed, so
	// they run one at a time, in order. "" means no ordering. Jobs of one
	// Key enqueued concurrently are ordered as the store assigns their IDs.
	Key     string
	Payload []byte // opaque to the store; callers seal secrets inside it
	State   JobState
	// Attempt counts claims: 1 while the first run is in progress.
	Attempt    int
	RunAt      time.Time // not claimed before; zero at enqueue means now
	LeaseToken string    // set while running; required to finish the job
	LeaseUntil time.Time // a running job whose lease passed can be claimed again
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// JobCounts is the number of jobs of a kind in each state.
type JobCounts struct {
	Queued, Running, Failed int
}

// JobStore is a durable queue of background jobs with leases, safe for many
// processes sharing the store: every job is run by one claimer at a time,
// and a claimer that dies loses its claim when the lease passes.
type JobStore interface {
	// EnqueueJob stores a new queued job and returns it with its ID,
	// State queued and Attempt 0 (the ID, State, Attempt and lease fields
	// given are ignored; a zero RunAt is now). Kind is required
	// (ErrInvalid).
	EnqueueJob(ctx context.Context, j Job) (Job, error)
	// ClaimJobs claims up to limit due jobs of the given kinds (all kinds
	// when kinds is empty): queued jobs whose RunAt has come, and running
	// jobs whose lease has passed; respecting Key order (see Job.Key);
	// oldest RunAt first, then smallest ID. Each claimed job gets State
	// running, Attempt+1, a fresh random LeaseToken and LeaseUntil =
	// now+lease. Atomic: concurrent claimers never get the same job, nor
	// two jobs of one Key. lease must be positive (ErrInvalid); limit is
	// capped as EffectiveLimit caps page limits.
	ClaimJobs(ctx context.Context, kinds []string, limit int, lease time.Duration) ([]Job, error)
	// ExtendJob moves the lease of a running job to now+lease. A job not
	// held with leaseToken (finished, or its lease passed and it was
	// claimed again) is ErrNotFound. A lease that passed but was not
	// claimed again is still held. lease must be positive (ErrInvalid).
	ExtendJob(ctx context.Context, id int64, leaseToken string, lease time.Duration) error
	// CompleteJob removes a running job held with leaseToken; otherwise
	// ErrNotFound (nothing changes).
	CompleteJob(ctx context.Context, id int64, leaseToken string) error
	// RetryJob puts a running job held with leaseToken back in the queue
	// for runAt, recording lastError; otherwise ErrNotFound.
	RetryJob(ctx context.Context, id int64, leaseToken string, runAt time.Time, lastError string) error
	// FailJob marks a running job held with leaseToken failed, recording
	// lastError; otherwise ErrNotFound. A failed job no longer blocks later
	// jobs of its Key.
	FailJob(ctx context.Context, id int64, leaseToken string, lastError string) error
	// GetJob returns a job by ID.
	GetJob(ctx context.Context, id int64) (Job, error)
	// ListJobs returns jobs of a kind ("" for all) in a state ("" for all),
	// ordered by ID.
	ListJobs(ctx context.Context, kind string, state JobState, page Page) ([]Job, error)
	// CountJobs counts the jobs of a kind ("" for all) by state.
	CountJobs(ctx context.Context, kind string) (JobCounts, error)
	// DeleteJob removes a job in any state (an operator's cleanup of a
	// failed job). A missing job is ErrNotFound. Deleting a running job
	// does not stop its claimer (whose CompleteJob then fails) but lets
	// the next job of its Key be claimed at once.
	DeleteJob(ctx context.Context, id int64) error
	// RequeueJob puts a failed job back in the queue for now with Attempt
	// reset to 0 (an operator's "retry"), keeping LastError. A job that is
	// not failed is ErrConflict; a missing one ErrNotFound. So is a job
	// whose Key has a later job still queued or running (ErrConflict):
	// the requeued job would have to run before it, out of the order in
	// which the later one may already have started; requeue it once the
	// later jobs are done.
	RequeueJob(ctx context.Context, id int64) error
}
