package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

const jobCols = `id, kind, key, payload, state, attempt, run_at, lease_token, lease_until, last_error, created_at, updated_at`

func scanJob(r rowScanner) (store.Job, error) {
	var j store.Job
	var payload blob
	var state string
	err := r.Scan(&j.ID, &j.Kind, &j.Key, &payload, &state, &j.Attempt, ts{&j.RunAt},
		&j.LeaseToken, ts{&j.LeaseUntil}, &j.LastError, ts{&j.CreatedAt}, ts{&j.UpdatedAt})
	j.Payload, j.State = payload.b, store.JobState(state)
	return j, err
}

// lockJobKey takes the dialect's lock on a non-empty job Key for the rest of
// tx, when the dialect has one.
func (s *Store) lockJobKey(ctx context.Context, tx *sql.Tx, key string) error {
	if key == "" || s.d.LockJobKey == nil {
		return nil
	}
	return s.d.LockJobKey(ctx, tx, key)
}

// EnqueueJob implements store.JobStore. A job with a Key is inserted under
// the Key's lock (Dialect.LockJobKey), held until commit, so that the jobs of
// one Key commit in the order of their IDs; ClaimJobs relies on it.
func (s *Store) EnqueueJob(ctx context.Context, j store.Job) (store.Job, error) {
	const op = "enqueue job"
	if j.Kind == "" {
		return store.Job{}, s.invalid(op, "empty Kind")
	}
	now := s.now()
	insert := func(q querier) (store.Job, error) {
		return scanJob(s.queryRow(ctx, q, `INSERT INTO jobs (kind, key, payload, state, attempt, run_at, last_error, created_at, updated_at)
VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?) RETURNING `+jobCols,
			j.Kind, j.Key, blobArg(j.Payload), micros(orNow(j.RunAt, now)), j.LastError,
			micros(orNow(j.CreatedAt, now)), micros(orNow(j.UpdatedAt, now))))
	}
	var (
		out store.Job
		err error
	)
	if j.Key == "" || s.d.LockJobKey == nil {
		out, err = insert(s.w)
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.lockJobKey(ctx, tx, j.Key); err != nil {
				return err
			}
			out, err = insert(tx)
			return err
		})
	}
	if err != nil {
		return store.Job{}, s.writeErr(op, err)
	}
	return out, nil
}

// ClaimJobs implements store.JobStore with one statement:
//
//	WITH picked AS MATERIALIZED (
//		SELECT id FROM jobs j
//		WHERE ((state = 'queued' AND run_at <= now) OR (state = 'running' AND lease_until <= now))
//		  AND kind IN (…)
//		  AND NOT EXISTS (SELECT 1 FROM jobs j2 WHERE j2.key = j.key AND j.key <> ''
//		                  AND j2.id < j.id AND j2.state IN ('queued', 'running'))
//		ORDER BY run_at, id LIMIT n
//		FOR UPDATE SKIP LOCKED)             -- PostgreSQL only
//	UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_token = …, lease_until = …, updated_at = …
//	WHERE id IN (SELECT id FROM picked) RETURNING …
//
// The CTE is MATERIALIZED so that the locking SELECT runs once, whatever
// join the planner picks for IN (a rescanned SKIP LOCKED subquery could
// pick other rows the second time).
//
// Why no two jobs of one Key run at once, nor a later one before an earlier
// one. Call queued and running jobs unfinished, failed and deleted ones
// finished, and the unfinished job of a Key with the smallest ID its head.
// The NOT EXISTS lets only heads be picked. In PostgreSQL (READ COMMITTED)
// the statement judges the rows by one snapshot S taken when it starts; of
// a picked row it then takes the row lock, skipping the row when another
// transaction holds it, and when the row changed after S (a claimer, a
// CompleteJob, FailJob or RetryJob committed meanwhile) it re-checks the
// row's own conditions on its newest version, dropping it unless it is
// still due. The NOT EXISTS is not re-checked on newer data; two facts make
// that safe:
//
//   - F1, finished is final: a job leaves the unfinished set through
//     CompleteJob, FailJob or DeleteJob, and returns only through
//     RequeueJob, which refuses while a later job of its Key is
//     unfinished. (An operator's DeleteJob of a running job finishes it
//     while its claimer may still be at work; the contract says so.)
//   - F2, a Key's jobs appear in ID order: EnqueueJob (and RequeueJob)
//     hold the Key's advisory lock to commit, so a job of a Key is
//     committed before the next job of the Key is given its ID; a snapshot
//     that shows a job of a Key shows every earlier one.
//
// Let a claimer pick J of Key k from snapshot S. By F2 every job of k
// before J is in S, and by the NOT EXISTS each is finished there; J is
// unfinished in S, so by F1 none of them can be requeued while J is
// unfinished: they stay finished, and a claimer that picked one of them
// from an older snapshot finds it gone or failed when it re-checks the row,
// and drops it. A job of k after J is blocked by J in every snapshot until
// J itself is finished: before the claim commits J is queued or running in
// the snapshot, afterwards it is running (held) until its holder completes
// or fails it. Two claimers that both pick J itself are kept apart by the
// row lock: the second skips it while the first holds it, and after the
// first commits finds it running under a live lease, not due. A running job
// whose lease passed is due again and, still unfinished, still blocks the
// jobs after it: it is re-claimed before any of them.
//
// SQLite runs one writer at a time (one writer connection per Store, the
// file's write lock between processes) and the statement reads what it
// writes under that lock, so heads are always current and no row locks are
// needed.
//
// The lease token of each claimed job is 128 random bits, shared by the jobs
// of one claim, followed by the job's ID: distinct for every job and claim,
// and unguessable by any other claimer.
func (s *Store) ClaimJobs(ctx context.Context, kinds []string, limit int, lease time.Duration) ([]store.Job, error) {
	const op = "claim jobs"
	if lease <= 0 {
		return nil, s.invalid(op, "lease not positive")
	}
	now := s.now()
	args := []any{micros(now), micros(now)}
	kindFilter := ""
	if len(kinds) > 0 {
		kindFilter = ` AND kind IN (` + placeholders(len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	lock := ""
	if s.d.SkipLocked {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	args = append(args, store.EffectiveLimit(limit), leaseToken()+".", micros(now.Add(lease)), micros(now))
	rows, err := s.query(ctx, s.w, `WITH picked AS MATERIALIZED (
	SELECT id FROM jobs j
	WHERE ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until <= ?))`+kindFilter+`
	AND NOT EXISTS (SELECT 1 FROM jobs j2 WHERE j2.key = j.key AND j.key <> '' AND j2.id < j.id AND j2.state IN ('queued', 'running'))
	ORDER BY run_at, id LIMIT ?`+lock+`)
UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_token = CAST(? AS TEXT) || CAST(id AS TEXT), lease_until = ?, updated_at = ?
WHERE id IN (SELECT id FROM picked) RETURNING `+jobCols, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	jobs, err := collect(rows, scanJob)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	// RETURNING follows no order.
	slices.SortFunc(jobs, func(a, b store.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
	})
	return jobs, nil
}

// held is the condition on a running job held with a lease token; its
// parameters are the job ID and the token.
const held = `id = ? AND state = 'running' AND lease_token = ? AND lease_token <> ''`

// ExtendJob implements store.JobStore.
func (s *Store) ExtendJob(ctx context.Context, id int64, leaseToken string, lease time.Duration) error {
	const op = "extend job"
	if lease <= 0 {
		return s.invalid(op, "lease not positive")
	}
	now := s.now()
	return s.writeOne(ctx, op, `UPDATE jobs SET lease_until = ?, updated_at = ? WHERE `+held,
		micros(now.Add(lease)), micros(now), id, leaseToken)
}

// CompleteJob implements store.JobStore.
func (s *Store) CompleteJob(ctx context.Context, id int64, leaseToken string) error {
	return s.writeOne(ctx, "complete job", `DELETE FROM jobs WHERE `+held, id, leaseToken)
}

// RetryJob implements store.JobStore.
func (s *Store) RetryJob(ctx context.Context, id int64, leaseToken string, runAt time.Time, lastError string) error {
	now := s.now()
	return s.writeOne(ctx, "retry job", `UPDATE jobs SET state = 'queued', run_at = ?, last_error = ?,
	lease_token = '', lease_until = 0, updated_at = ? WHERE `+held,
		micros(orNow(runAt, now)), lastError, micros(now), id, leaseToken)
}

// FailJob implements store.JobStore.
func (s *Store) FailJob(ctx context.Context, id int64, leaseToken string, lastError string) error {
	return s.writeOne(ctx, "fail job", `UPDATE jobs SET state = 'failed', last_error = ?,
	lease_token = '', lease_until = 0, updated_at = ? WHERE `+held,
		lastError, micros(s.now()), id, leaseToken)
}

// GetJob implements store.JobStore.
func (s *Store) GetJob(ctx context.Context, id int64) (store.Job, error) {
	return selectOne(ctx, s, "get job", scanJob, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id)
}

// ListJobs implements store.JobStore.
func (s *Store) ListJobs(ctx context.Context, kind string, state store.JobState, page store.Page) ([]store.Job, error) {
	var where strings.Builder
	args := []any{page.After}
	where.WriteString(`id > ?`)
	if kind != "" {
		where.WriteString(` AND kind = ?`)
		args = append(args, kind)
	}
	if state != "" {
		where.WriteString(` AND state = ?`)
		args = append(args, string(state))
	}
	args = append(args, store.EffectiveLimit(page.Limit))
	return selectAll(ctx, s, "list jobs", scanJob,
		`SELECT `+jobCols+` FROM jobs WHERE `+where.String()+` ORDER BY id LIMIT ?`, args...)
}

// CountJobs implements store.JobStore.
func (s *Store) CountJobs(ctx context.Context, kind string) (store.JobCounts, error) {
	const op = "count jobs"
	type count struct {
		state string
		n     int
	}
	scan := func(r rowScanner) (count, error) {
		var c count
		err := r.Scan(&c.state, &c.n)
		return c, err
	}
	counts, err := selectAll(ctx, s, op, scan,
		`SELECT state, COUNT(*) FROM jobs WHERE kind = ? OR ? = '' GROUP BY state`, kind, kind)
	if err != nil {
		return store.JobCounts{}, err
	}
	var out store.JobCounts
	for _, c := range counts {
		switch store.JobState(c.state) {
		case store.JobQueued:
			out.Queued = c.n
		case store.JobRunning:
			out.Running = c.n
		case store.JobFailed:
			out.Failed = c.n
		}
	}
	return out, nil
}

// DeleteJob implements store.JobStore.
func (s *Store) DeleteJob(ctx context.Context, id int64) error {
	return s.writeOne(ctx, "delete job", `DELETE FROM jobs WHERE id = ?`, id)
}

// RequeueJob implements store.JobStore. It holds the Key's lock, like
// EnqueueJob, so that no job of the Key is enqueued between its check for
// later unfinished jobs and its commit; see ClaimJobs for why the check
// keeps Key order.
func (s *Store) RequeueJob(ctx context.Context, id int64) error {
	const op = "requeue job"
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var key, state string
		if err := s.queryRow(ctx, tx, `SELECT key, state FROM jobs WHERE id = ?`, id).Scan(&key, &state); err != nil {
			return err
		}
		if state != string(store.JobFailed) {
			return fmt.Errorf("state %s, not failed: %w", state, store.ErrConflict)
		}
		if err := s.lockJobKey(ctx, tx, key); err != nil {
			return err
		}
		now := micros(s.now())
		n, err := s.exec(ctx, tx, `UPDATE jobs SET state = 'queued', attempt = 0, run_at = ?, updated_at = ?
WHERE id = ? AND state = 'failed' AND NOT EXISTS (
	SELECT 1 FROM jobs j2 WHERE j2.key = jobs.key AND jobs.key <> '' AND j2.id > jobs.id AND j2.state IN ('queued', 'running'))`,
			now, now, id)
		switch {
		case err != nil:
			return err
		case n == 1:
			return nil
		}
		// Deleted or requeued by another caller before the Key lock, or a
		// later job of the Key is unfinished.
		if err := s.queryRow(ctx, tx, `SELECT state FROM jobs WHERE id = ?`, id).Scan(&state); err != nil {
			return err
		}
		if state != string(store.JobFailed) {
			return fmt.Errorf("state %s, not failed: %w", state, store.ErrConflict)
		}
		return fmt.Errorf("a later job of its key is still queued or running: %w", store.ErrConflict)
	})
	if err != nil {
		return s.readErr(op, err)
	}
	return nil
}
