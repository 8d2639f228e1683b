package memstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// The store's mutex makes every job method atomic, which is all the Key
// order rule needs here: a claim sees every finished and every unfinished
// job at once.

func cloneJob(j store.Job) store.Job {
	j.Payload = slices.Clone(j.Payload)
	return j
}

// unfinished reports whether j still blocks later jobs of its Key.
func unfinished(j store.Job) bool { return j.State == store.JobQueued || j.State == store.JobRunning }

// EnqueueJob stores a new queued job.
func (s *Store) EnqueueJob(ctx context.Context, j store.Job) (store.Job, error) {
	if j.Kind == "" {
		return store.Job{}, fail(store.ErrInvalid, "enqueue job: empty Kind")
	}
	if err := s.lock(ctx); err != nil {
		return store.Job{}, err
	}
	defer s.mu.Unlock()
	j = cloneJob(j)
	j.ID = s.nextJobID()
	j.State, j.Attempt, j.LeaseToken, j.LeaseUntil = store.JobQueued, 0, "", time.Time{}
	j.RunAt, j.CreatedAt, j.UpdatedAt = s.orNow(j.RunAt), s.orNow(j.CreatedAt), s.orNow(j.UpdatedAt)
	s.jobs[j.ID] = j
	return cloneJob(j), nil
}

func (s *Store) nextJobID() int64 {
	s.lastJobID++
	return s.lastJobID
}

// ClaimJobs claims up to limit due jobs of the given kinds, in Key order.
func (s *Store) ClaimJobs(ctx context.Context, kinds []string, limit int, lease time.Duration) ([]store.Job, error) {
	if lease <= 0 {
		return nil, fail(store.ErrInvalid, "claim jobs: lease %v not positive", lease)
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	now := tm(s.now())
	// The head of each Key: its unfinished job with the smallest ID.
	head := map[string]int64{}
	for id, j := range s.jobs {
		if j.Key != "" && unfinished(j) {
			if h, ok := head[j.Key]; !ok || id < h {
				head[j.Key] = id
			}
		}
	}
	var due []store.Job
	for id, j := range s.jobs {
		switch {
		case len(kinds) > 0 && !slices.Contains(kinds, j.Kind): // not asked for
		case j.Key != "" && head[j.Key] != id: // waits for an earlier job of its key
		case j.State == store.JobQueued && passed(j.RunAt, now),
			j.State == store.JobRunning && passed(j.LeaseUntil, now):
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b store.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
	})
	due = due[:min(len(due), store.EffectiveLimit(limit))]
	out := make([]store.Job, len(due))
	for i, j := range due {
		j.State, j.Attempt = store.JobRunning, j.Attempt+1
		j.LeaseToken, j.LeaseUntil, j.UpdatedAt = rand.Text(), tm(now.Add(lease)), now
		s.jobs[j.ID] = j
		out[i] = cloneJob(j)
	}
	return out, nil
}

// heldJobLocked returns the running job id held with leaseToken, or
// ErrNotFound.
func (s *Store) heldJobLocked(op string, id int64, leaseToken string) (store.Job, error) {
	j, ok := s.jobs[id]
	if !ok || j.State != store.JobRunning || j.LeaseToken == "" || j.LeaseToken != leaseToken {
		return store.Job{}, fail(store.ErrNotFound, "%s job %d: not held with this lease", op, id)
	}
	return j, nil
}

// ExtendJob moves the lease of a held job to now+lease.
func (s *Store) ExtendJob(ctx context.Context, id int64, leaseToken string, lease time.Duration) error {
	if lease <= 0 {
		return fail(store.ErrInvalid, "extend job %d: lease %v not positive", id, lease)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	j, err := s.heldJobLocked("extend", id, leaseToken)
	if err != nil {
		return err
	}
	now := tm(s.now())
	j.LeaseUntil, j.UpdatedAt = tm(now.Add(lease)), now
	s.jobs[id] = j
	return nil
}

// CompleteJob removes a held job.
func (s *Store) CompleteJob(ctx context.Context, id int64, leaseToken string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, err := s.heldJobLocked("complete", id, leaseToken); err != nil {
		return err
	}
	delete(s.jobs, id)
	return nil
}

// RetryJob puts a held job back in the queue for runAt.
func (s *Store) RetryJob(ctx context.Context, id int64, leaseToken string, runAt time.Time, lastError string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	j, err := s.heldJobLocked("retry", id, leaseToken)
	if err != nil {
		return err
	}
	j.State, j.RunAt, j.LastError = store.JobQueued, s.orNow(runAt), lastError
	j.LeaseToken, j.LeaseUntil, j.UpdatedAt = "", time.Time{}, tm(s.now())
	s.jobs[id] = j
	return nil
}

// FailJob marks a held job failed.
func (s *Store) FailJob(ctx context.Context, id int64, leaseToken string, lastError string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	j, err := s.heldJobLocked("fail", id, leaseToken)
	if err != nil {
		return err
	}
	j.State, j.LastError = store.JobFailed, lastError
	j.LeaseToken, j.LeaseUntil, j.UpdatedAt = "", time.Time{}, tm(s.now())
	s.jobs[id] = j
	return nil
}

// GetJob returns a job by ID.
func (s *Store) GetJob(ctx context.Context, id int64) (store.Job, error) {
	if err := s.lock(ctx); err != nil {
		return store.Job{}, err
	}
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return store.Job{}, fail(store.ErrNotFound, "get job %d", id)
	}
	return cloneJob(j), nil
}

// ListJobs returns jobs of a kind and state ("" for all), ordered by ID.
func (s *Store) ListJobs(ctx context.Context, kind string, state store.JobState, p store.Page) ([]store.Job, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.Job
	for _, j := range s.jobs {
		if (kind == "" || j.Kind == kind) && (state == "" || j.State == state) {
			all = append(all, j)
		}
	}
	out := page(all, func(j store.Job) int64 { return j.ID }, p.After, p.Limit)
	for i := range out {
		out[i] = cloneJob(out[i])
	}
	return out, nil
}

// CountJobs counts the jobs of a kind ("" for all) by state.
func (s *Store) CountJobs(ctx context.Context, kind string) (store.JobCounts, error) {
	if err := s.lock(ctx); err != nil {
		return store.JobCounts{}, err
	}
	defer s.mu.Unlock()
	var c store.JobCounts
	for _, j := range s.jobs {
		if kind != "" && j.Kind != kind {
			continue
		}
		switch j.State {
		case store.JobQueued:
			c.Queued++
		case store.JobRunning:
			c.Running++
		case store.JobFailed:
			c.Failed++
		}
	}
	return c, nil
}

// DeleteJob removes a job in any state.
func (s *Store) DeleteJob(ctx context.Context, id int64) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.jobs[id]; !ok {
		return fail(store.ErrNotFound, "delete job %d", id)
	}
	delete(s.jobs, id)
	return nil
}

// RequeueJob puts a failed job back in the queue for now.
func (s *Store) RequeueJob(ctx context.Context, id int64) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	switch {
	case !ok:
		return fail(store.ErrNotFound, "requeue job %d", id)
	case j.State != store.JobFailed:
		return fail(store.ErrConflict, "requeue job %d: state %s, not failed", id, j.State)
	}
	if j.Key != "" {
		for other, o := range s.jobs {
			if o.Key == j.Key && other > id && unfinished(o) {
				return fail(store.ErrConflict, "requeue job %d: job %d of its key is still %s", id, other, o.State)
			}
		}
	}
	now := tm(s.now())
	j.State, j.Attempt, j.RunAt, j.UpdatedAt = store.JobQueued, 0, now, now
	s.jobs[id] = j
	return nil
}
