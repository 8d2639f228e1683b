package storetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func jobTests() []test {
	return []test{
		{"EnqueueGetListCount", testJobEnqueue},
		{"ClaimWaitsForRunAt", testJobClaimRunAt},
		{"ClaimFiltersKindsAndLimits", testJobClaimKindsLimit},
		{"ClaimOrder", testJobClaimOrder},
		{"KeyOrder", testJobKeyOrder},
		{"ExpiredLeaseIsReclaimed", testJobLeaseExpiry},
		{"ExtendMovesLease", testJobExtend},
		{"ConcurrentClaimersGetEachJobOnce", testJobConcurrentClaims},
		{"ConcurrentClaimersKeepKeyOrder", testJobConcurrentKeyOrder},
		{"RequeueAndDelete", testJobRequeueDelete},
		{"RequeueRefusedBeforeLaterJobsOfKey", testJobRequeueKeyOrder},
		{"Invalid", testJobInvalid},
		{"PayloadKeptByteForByte", testJobPayload},
	}
}

func (e *env) enqueue(t *testing.T, j store.Job) store.Job {
	t.Helper()
	got, err := e.s.EnqueueJob(e.ctx, j)
	must(t, fmt.Sprintf("EnqueueJob(%s/%q)", j.Kind, j.Key), err)
	if got.ID == 0 {
		t.Fatalf("EnqueueJob(%s/%q) returned ID 0", j.Kind, j.Key)
	}
	return got
}

// claim claims jobs and returns them, checking the lease fields.
func (e *env) claim(t *testing.T, kinds []string, limit int, lease time.Duration) []store.Job {
	t.Helper()
	got, err := e.s.ClaimJobs(e.ctx, kinds, limit, lease)
	must(t, "ClaimJobs", err)
	for _, j := range got {
		if j.State != store.JobRunning || j.LeaseToken == "" || j.Attempt < 1 {
			t.Errorf("claimed job %d: State %q, LeaseToken %q, Attempt %d; want running, a token, >= 1", j.ID, j.State, j.LeaseToken, j.Attempt)
		}
		equalTime(t, fmt.Sprintf("claimed job %d LeaseUntil", j.ID), j.LeaseUntil, e.clock.Now().Add(lease))
		equalTime(t, fmt.Sprintf("claimed job %d UpdatedAt", j.ID), j.UpdatedAt, e.clock.Now())
	}
	return got
}

// claimIDs claims jobs and returns their IDs, in the order returned.
func (e *env) claimIDs(t *testing.T, kinds []string, limit int) []int64 {
	t.Helper()
	return ids(e.claim(t, kinds, limit, time.Minute), func(j store.Job) int64 { return j.ID })
}

func (e *env) job(t *testing.T, id int64) store.Job {
	t.Helper()
	j, err := e.s.GetJob(e.ctx, id)
	must(t, fmt.Sprintf("GetJob(%d)", id), err)
	return j
}

func jobID(j store.Job) int64 { return j.ID }

func testJobEnqueue(t *testing.T, e *env) {
	in := store.Job{
		ID: 999, Kind: "webhook.deliver", Key: "sub:1", Payload: []byte(`{"n":1}`),
		State: store.JobFailed, Attempt: 7, LeaseToken: "forged", LeaseUntil: at(time.Hour),
		RunAt: at(time.Minute),
	}
	got := e.enqueue(t, in)
	want := in
	want.ID, want.State, want.Attempt, want.LeaseToken, want.LeaseUntil = got.ID, store.JobQueued, 0, "", time.Time{}
	want.CreatedAt, want.UpdatedAt = e.clock.Now(), e.clock.Now()
	equal(t, "EnqueueJob", got, want)
	equal(t, "GetJob", e.job(t, got.ID), want)

	// A zero RunAt is now.
	now := e.enqueue(t, store.Job{Kind: "renew"})
	equalTime(t, "RunAt of a job enqueued without one", now.RunAt, e.clock.Now())

	_, err := e.s.GetJob(e.ctx, now.ID+1000)
	wantErr(t, "GetJob of a missing job", err, store.ErrNotFound)

	// Five more, two of them claimed and one of those failed.
	var all []int64
	all = append(all, got.ID, now.ID)
	for i := range 5 {
		kind := []string{"renew", "webhook.deliver"}[i%2]
		all = append(all, e.enqueue(t, store.Job{Kind: kind}).ID)
	}
	claimed := e.claim(t, []string{"renew"}, 2, time.Minute)
	if len(claimed) != 2 {
		t.Fatalf("ClaimJobs(renew, 2) claimed %d jobs, want 2", len(claimed))
	}
	must(t, "FailJob", e.s.FailJob(e.ctx, claimed[1].ID, claimed[1].LeaseToken, "boom"))

	checkPages(t, "ListJobs(all)", all, func(after int64, limit int) ([]int64, error) {
		js, err := e.s.ListJobs(e.ctx, "", "", store.Page{After: after, Limit: limit})
		return ids(js, jobID), err
	})
	var renews []int64
	for _, id := range all {
		if e.job(t, id).Kind == "renew" {
			renews = append(renews, id)
		}
	}
	checkPages(t, "ListJobs(renew)", renews, func(after int64, limit int) ([]int64, error) {
		js, err := e.s.ListJobs(e.ctx, "renew", "", store.Page{After: after, Limit: limit})
		return ids(js, jobID), err
	})
	failed, err := e.s.ListJobs(e.ctx, "", store.JobFailed, store.Page{})
	must(t, "ListJobs(failed)", err)
	if got := ids(failed, jobID); !slices.Equal(got, []int64{claimed[1].ID}) {
		t.Errorf("ListJobs(failed) = %v, want [%d]", got, claimed[1].ID)
	}
	running, err := e.s.ListJobs(e.ctx, "renew", store.JobRunning, store.Page{})
	must(t, "ListJobs(renew, running)", err)
	if got := ids(running, jobID); !slices.Equal(got, []int64{claimed[0].ID}) {
		t.Errorf("ListJobs(renew, running) = %v, want [%d]", got, claimed[0].ID)
	}
	none, err := e.s.ListJobs(e.ctx, "nothing", "", store.Page{})
	must(t, "ListJobs(unknown kind)", err)
	if len(none) != 0 {
		t.Errorf("ListJobs(unknown kind) = %d jobs, want none", len(none))
	}

	for _, c := range []struct {
		kind string
		want store.JobCounts
	}{
		{"", store.JobCounts{Queued: 5, Running: 1, Failed: 1}},
		{"renew", store.JobCounts{Queued: 2, Running: 1, Failed: 1}},
		{"webhook.deliver", store.JobCounts{Queued: 3}},
		{"nothing", store.JobCounts{}},
	} {
		got, err := e.s.CountJobs(e.ctx, c.kind)
		must(t, "CountJobs", err)
		if got != c.want {
			t.Errorf("CountJobs(%q) = %+v, want %+v", c.kind, got, c.want)
		}
	}
}

func testJobClaimRunAt(t *testing.T, e *env) {
	later := e.enqueue(t, store.Job{Kind: "k", RunAt: at(time.Minute)})
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Fatalf("ClaimJobs before RunAt claimed %v", got)
	}
	e.clock.Advance(time.Minute - time.Microsecond)
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Fatalf("ClaimJobs a microsecond before RunAt claimed %v", got)
	}
	e.clock.Advance(time.Microsecond)
	got := e.claim(t, nil, 10, 30*time.Second)
	if len(got) != 1 {
		t.Fatalf("ClaimJobs at RunAt claimed %d jobs, want 1", len(got))
	}
	want := later
	want.State, want.Attempt, want.LeaseToken = store.JobRunning, 1, got[0].LeaseToken
	want.LeaseUntil, want.UpdatedAt = e.clock.Now().Add(30*time.Second), e.clock.Now()
	equal(t, "claimed job", got[0], want)
	equal(t, "GetJob of the claimed job", e.job(t, later.ID), want)
	// A held job is not claimed again.
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Errorf("ClaimJobs while the only job is held claimed %v", got)
	}
}

func testJobClaimKindsLimit(t *testing.T, e *env) {
	var a, b, c []int64
	for range 3 {
		a = append(a, e.enqueue(t, store.Job{Kind: "a"}).ID)
		b = append(b, e.enqueue(t, store.Job{Kind: "b"}).ID)
		c = append(c, e.enqueue(t, store.Job{Kind: "c"}).ID)
	}
	if got := e.claimIDs(t, []string{"b"}, 2); !slices.Equal(got, b[:2]) {
		t.Errorf("ClaimJobs([b], 2) = %v, want %v", got, b[:2])
	}
	if got := e.claimIDs(t, []string{"nothing"}, 10); len(got) != 0 {
		t.Errorf("ClaimJobs([nothing]) = %v, want none", got)
	}
	got := e.claimIDs(t, []string{"a", "b"}, 10)
	if want := []int64{a[0], a[1], a[2], b[2]}; !slices.Equal(got, want) {
		t.Errorf("ClaimJobs([a b], 10) = %v, want %v", got, want)
	}
	if got := e.claimIDs(t, nil, 1); !slices.Equal(got, c[:1]) {
		t.Errorf("ClaimJobs(all kinds, 1) = %v, want %v", got, c[:1])
	}
	if got := e.claimIDs(t, []string{}, 0); !slices.Equal(got, c[1:]) {
		t.Errorf("ClaimJobs(all kinds, default limit) = %v, want %v", got, c[1:])
	}
}

func testJobClaimOrder(t *testing.T, e *env) {
	// Enqueued in an order that is neither RunAt nor ID order.
	j3 := e.enqueue(t, store.Job{Kind: "k", RunAt: at(-time.Minute)})
	j1 := e.enqueue(t, store.Job{Kind: "k", RunAt: at(-time.Hour)})
	j4 := e.enqueue(t, store.Job{Kind: "k", RunAt: at(-time.Minute)})
	j2 := e.enqueue(t, store.Job{Kind: "k", RunAt: at(-30 * time.Minute)})
	e.enqueue(t, store.Job{Kind: "k", RunAt: at(time.Second)}) // not due
	if got, want := e.claimIDs(t, nil, 3), []int64{j1.ID, j2.ID, j3.ID}; !slices.Equal(got, want) {
		t.Errorf("ClaimJobs(3) = %v, want %v (RunAt, then ID)", got, want)
	}
	if got, want := e.claimIDs(t, nil, 3), []int64{j4.ID}; !slices.Equal(got, want) {
		t.Errorf("second ClaimJobs(3) = %v, want %v", got, want)
	}
}

func testJobKeyOrder(t *testing.T, e *env) {
	var k []store.Job
	for i := range 4 {
		k = append(k, e.enqueue(t, store.Job{Kind: "deliver", Key: "sub:1", Payload: []byte{byte(i)}}))
	}
	other := e.enqueue(t, store.Job{Kind: "deliver", Key: "sub:2"})
	free := e.enqueue(t, store.Job{Kind: "deliver"})

	got := e.claim(t, nil, 10, time.Minute)
	if want := []int64{k[0].ID, other.ID, free.ID}; !slices.Equal(ids(got, jobID), want) {
		t.Fatalf("ClaimJobs = %v, want %v: only the first job of each key", ids(got, jobID), want)
	}
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Fatalf("ClaimJobs while the first job of the key runs = %v, want none", got)
	}
	for _, j := range got[1:] {
		must(t, "CompleteJob", e.s.CompleteJob(e.ctx, j.ID, j.LeaseToken))
	}

	must(t, "CompleteJob first", e.s.CompleteJob(e.ctx, got[0].ID, got[0].LeaseToken))
	_, err := e.s.GetJob(e.ctx, k[0].ID)
	wantErr(t, "GetJob of a completed job", err, store.ErrNotFound)
	second := e.claim(t, nil, 10, time.Minute)
	if want := []int64{k[1].ID}; !slices.Equal(ids(second, jobID), want) {
		t.Fatalf("ClaimJobs after CompleteJob = %v, want %v", ids(second, jobID), want)
	}

	must(t, "FailJob second", e.s.FailJob(e.ctx, second[0].ID, second[0].LeaseToken, "gave up"))
	failed := e.job(t, k[1].ID)
	if failed.State != store.JobFailed || failed.LastError != "gave up" || failed.LeaseToken != "" || !failed.LeaseUntil.IsZero() {
		t.Errorf("failed job: State %q LastError %q LeaseToken %q LeaseUntil %v; want failed, the error, no lease",
			failed.State, failed.LastError, failed.LeaseToken, failed.LeaseUntil)
	}
	third := e.claim(t, nil, 10, time.Minute)
	if want := []int64{k[2].ID}; !slices.Equal(ids(third, jobID), want) {
		t.Fatalf("ClaimJobs after FailJob = %v, want %v", ids(third, jobID), want)
	}

	must(t, "RetryJob third", e.s.RetryJob(e.ctx, third[0].ID, third[0].LeaseToken, at(time.Hour), "try later"))
	retried := e.job(t, k[2].ID)
	want := third[0]
	want.State, want.RunAt, want.LastError, want.LeaseToken, want.LeaseUntil = store.JobQueued, at(time.Hour), "try later", "", time.Time{}
	equal(t, "retried job", retried, want)
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Fatalf("ClaimJobs while the retried job waits = %v, want none: it still blocks its key", got)
	}
	e.clock.Advance(time.Hour)
	again := e.claim(t, nil, 10, time.Minute)
	if len(again) != 1 || again[0].ID != k[2].ID || again[0].Attempt != 2 {
		t.Fatalf("ClaimJobs after the retry time = %+v, want job %d at Attempt 2", again, k[2].ID)
	}
	must(t, "CompleteJob third", e.s.CompleteJob(e.ctx, again[0].ID, again[0].LeaseToken))
	if got, want := e.claimIDs(t, nil, 10), []int64{k[3].ID}; !slices.Equal(got, want) {
		t.Errorf("ClaimJobs after the third completed = %v, want %v", got, want)
	}
}

func testJobLeaseExpiry(t *testing.T, e *env) {
	first := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	second := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	old := e.claim(t, nil, 10, time.Minute)
	if len(old) != 1 || old[0].ID != first.ID {
		t.Fatalf("ClaimJobs = %v, want [%d]", ids(old, jobID), first.ID)
	}
	e.clock.Advance(time.Minute - time.Microsecond)
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Fatalf("ClaimJobs inside the lease = %v, want none", got)
	}
	e.clock.Advance(time.Microsecond) // the claimer died
	cur := e.claim(t, nil, 10, time.Minute)
	if len(cur) != 1 || cur[0].ID != first.ID {
		t.Fatalf("ClaimJobs after the lease passed = %v, want [%d] (the expired job still blocks %d)",
			ids(cur, jobID), first.ID, second.ID)
	}
	if cur[0].Attempt != 2 || cur[0].LeaseToken == old[0].LeaseToken {
		t.Errorf("re-claimed job: Attempt %d, token %q (old %q); want 2 and a new token", cur[0].Attempt, cur[0].LeaseToken, old[0].LeaseToken)
	}
	before := e.job(t, first.ID)
	tok := old[0].LeaseToken
	wantErr(t, "CompleteJob with the old token", e.s.CompleteJob(e.ctx, first.ID, tok), store.ErrNotFound)
	wantErr(t, "RetryJob with the old token", e.s.RetryJob(e.ctx, first.ID, tok, at(time.Hour), "x"), store.ErrNotFound)
	wantErr(t, "FailJob with the old token", e.s.FailJob(e.ctx, first.ID, tok, "x"), store.ErrNotFound)
	wantErr(t, "ExtendJob with the old token", e.s.ExtendJob(e.ctx, first.ID, tok, time.Hour), store.ErrNotFound)
	wantErr(t, "CompleteJob with no token", e.s.CompleteJob(e.ctx, first.ID, ""), store.ErrNotFound)
	wantErr(t, "CompleteJob of a missing job", e.s.CompleteJob(e.ctx, second.ID+1000, cur[0].LeaseToken), store.ErrNotFound)
	equal(t, "job after the old holder's calls", e.job(t, first.ID), before)

	must(t, "CompleteJob by the new holder", e.s.CompleteJob(e.ctx, first.ID, cur[0].LeaseToken))
	wantErr(t, "CompleteJob twice", e.s.CompleteJob(e.ctx, first.ID, cur[0].LeaseToken), store.ErrNotFound)
	if got := e.claimIDs(t, nil, 10); !slices.Equal(got, []int64{second.ID}) {
		t.Errorf("ClaimJobs after completion = %v, want [%d]", got, second.ID)
	}
}

func testJobExtend(t *testing.T, e *env) {
	e.enqueue(t, store.Job{Kind: "k"})
	held := e.claim(t, nil, 1, time.Minute)[0]
	e.clock.Advance(50 * time.Second)
	must(t, "ExtendJob", e.s.ExtendJob(e.ctx, held.ID, held.LeaseToken, 2*time.Minute))
	got := e.job(t, held.ID)
	equalTime(t, "LeaseUntil after ExtendJob", got.LeaseUntil, e.clock.Now().Add(2*time.Minute))
	equalTime(t, "UpdatedAt after ExtendJob", got.UpdatedAt, e.clock.Now())
	if got.Attempt != 1 || got.LeaseToken != held.LeaseToken || got.State != store.JobRunning {
		t.Errorf("ExtendJob changed Attempt %d, token or State %q", got.Attempt, got.State)
	}
	e.clock.Advance(time.Minute) // past the first lease, inside the extended one
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Errorf("ClaimJobs inside an extended lease = %v, want none", got)
	}
	wantErr(t, "ExtendJob with another token", e.s.ExtendJob(e.ctx, held.ID, held.LeaseToken+"x", time.Minute), store.ErrNotFound)
	wantErr(t, "ExtendJob of a missing job", e.s.ExtendJob(e.ctx, held.ID+1000, held.LeaseToken, time.Minute), store.ErrNotFound)
	// A lease that passed but was not claimed again is still held.
	e.clock.Advance(2 * time.Minute)
	must(t, "ExtendJob of a passed lease not claimed again", e.s.ExtendJob(e.ctx, held.ID, held.LeaseToken, time.Minute))
	if got := e.claimIDs(t, nil, 10); len(got) != 0 {
		t.Errorf("ClaimJobs after the late ExtendJob = %v, want none", got)
	}
	must(t, "CompleteJob", e.s.CompleteJob(e.ctx, held.ID, held.LeaseToken))
	wantErr(t, "ExtendJob of a completed job", e.s.ExtendJob(e.ctx, held.ID, held.LeaseToken, time.Minute), store.ErrNotFound)
}

func testJobConcurrentClaims(t *testing.T, e *env) {
	const jobs, claimers = 50, 20
	for range jobs {
		e.enqueue(t, store.Job{Kind: "k"})
	}
	claimed := make([][]store.Job, claimers)
	errs := concurrently(claimers, func(i int) error {
		for {
			got, err := e.s.ClaimJobs(e.ctx, nil, 3, time.Minute)
			if err != nil {
				return err
			}
			if len(got) == 0 {
				return nil
			}
			claimed[i] = append(claimed[i], got...)
		}
	})
	seen := map[int64]int{}
	tokens := map[string]bool{}
	for i, err := range errs {
		must(t, fmt.Sprintf("claimer %d", i), err)
		for _, j := range claimed[i] {
			seen[j.ID]++
			if tokens[j.LeaseToken] {
				t.Errorf("lease token %q handed out twice", j.LeaseToken)
			}
			tokens[j.LeaseToken] = true
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %d claimed %d times, want once", id, n)
		}
	}
	if len(seen) != jobs {
		t.Errorf("%d distinct jobs claimed, want %d", len(seen), jobs)
	}
	counts, err := e.s.CountJobs(e.ctx, "")
	must(t, "CountJobs", err)
	if counts != (store.JobCounts{Running: jobs}) {
		t.Errorf("CountJobs = %+v, want %d running", counts, jobs)
	}
}

func testJobConcurrentKeyOrder(t *testing.T, e *env) {
	const keys, perKey, claimers = 5, 10, 10
	for i := range keys * perKey {
		e.enqueue(t, store.Job{Kind: "k", Key: fmt.Sprint("key", i%keys)})
	}
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	var (
		mu      sync.Mutex
		running = map[string]int64{} // key → the job of it being run
		order   = map[string][]int64{}
		done    atomic.Int64
	)
	errs := concurrently(claimers, func(int) error {
		for done.Load() < keys*perKey {
			got, err := e.s.ClaimJobs(ctx, nil, 2, time.Minute)
			if err != nil {
				return err
			}
			if len(got) == 0 {
				runtime.Gosched()
				continue
			}
			for _, j := range got {
				mu.Lock()
				if other, ok := running[j.Key]; ok {
					mu.Unlock()
					return fmt.Errorf("job %d of %s claimed while job %d of it runs", j.ID, j.Key, other)
				}
				running[j.Key] = j.ID
				order[j.Key] = append(order[j.Key], j.ID)
				mu.Unlock()
			}
			for _, j := range got {
				// Cleared before the job is finished: a claim of the
				// key's next job can only follow it.
				mu.Lock()
				delete(running, j.Key)
				mu.Unlock()
				if err := e.s.CompleteJob(ctx, j.ID, j.LeaseToken); err != nil {
					return err
				}
				done.Add(1)
			}
		}
		return nil
	})
	for i, err := range errs {
		must(t, fmt.Sprintf("claimer %d", i), err)
	}
	for k, got := range order {
		if !slices.IsSorted(got) || len(got) != perKey {
			t.Errorf("jobs of %s claimed in order %v, want %d jobs in ID order", k, got, perKey)
		}
	}
	if len(order) != keys {
		t.Errorf("jobs of %d keys claimed, want %d", len(order), keys)
	}
}

func testJobRequeueDelete(t *testing.T, e *env) {
	j := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	wantErr(t, "RequeueJob of a queued job", e.s.RequeueJob(e.ctx, j.ID), store.ErrConflict)
	c := e.claim(t, nil, 1, time.Minute)[0]
	wantErr(t, "RequeueJob of a running job", e.s.RequeueJob(e.ctx, j.ID), store.ErrConflict)
	must(t, "FailJob", e.s.FailJob(e.ctx, c.ID, c.LeaseToken, "boom"))
	e.clock.Advance(time.Hour)
	must(t, "RequeueJob", e.s.RequeueJob(e.ctx, j.ID))
	got := e.job(t, j.ID)
	want := j
	want.RunAt, want.UpdatedAt, want.LastError = e.clock.Now(), e.clock.Now(), "boom"
	equal(t, "requeued job", got, want)
	wantErr(t, "RequeueJob twice", e.s.RequeueJob(e.ctx, j.ID), store.ErrConflict)
	wantErr(t, "RequeueJob of a missing job", e.s.RequeueJob(e.ctx, j.ID+1000), store.ErrNotFound)

	// Requeued, it is first of its key again.
	later := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	again := e.claim(t, nil, 10, time.Minute)
	if len(again) != 1 || again[0].ID != j.ID || again[0].Attempt != 1 {
		t.Fatalf("ClaimJobs after RequeueJob = %+v, want job %d at Attempt 1", again, j.ID)
	}

	// DeleteJob removes a job in any state.
	must(t, "DeleteJob of a running job", e.s.DeleteJob(e.ctx, j.ID))
	wantErr(t, "CompleteJob of a deleted job", e.s.CompleteJob(e.ctx, j.ID, again[0].LeaseToken), store.ErrNotFound)
	must(t, "DeleteJob of a queued job", e.s.DeleteJob(e.ctx, later.ID))
	f := e.enqueue(t, store.Job{Kind: "k"})
	fc := e.claim(t, nil, 1, time.Minute)[0]
	must(t, "FailJob", e.s.FailJob(e.ctx, fc.ID, fc.LeaseToken, "boom"))
	must(t, "DeleteJob of a failed job", e.s.DeleteJob(e.ctx, f.ID))
	for _, id := range []int64{j.ID, later.ID, f.ID} {
		_, err := e.s.GetJob(e.ctx, id)
		wantErr(t, "GetJob of a deleted job", err, store.ErrNotFound)
	}
	wantErr(t, "DeleteJob twice", e.s.DeleteJob(e.ctx, f.ID), store.ErrNotFound)
	counts, err := e.s.CountJobs(e.ctx, "")
	must(t, "CountJobs", err)
	if counts != (store.JobCounts{}) {
		t.Errorf("CountJobs after deleting every job = %+v, want zeros", counts)
	}
}

func testJobRequeueKeyOrder(t *testing.T, e *env) {
	first := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	second := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	e.enqueue(t, store.Job{Kind: "k", Key: "other"})
	c := e.claim(t, []string{"k"}, 10, time.Minute)
	must(t, "FailJob first", e.s.FailJob(e.ctx, c[0].ID, c[0].LeaseToken, "boom"))
	must(t, "CompleteJob other", e.s.CompleteJob(e.ctx, c[1].ID, c[1].LeaseToken))

	// The second job of the key is queued, then running: requeuing the
	// first would put it before a job that may already run.
	wantErr(t, "RequeueJob before a queued later job of its key", e.s.RequeueJob(e.ctx, first.ID), store.ErrConflict)
	sc := e.claim(t, nil, 10, time.Minute)
	if len(sc) != 1 || sc[0].ID != second.ID {
		t.Fatalf("ClaimJobs = %v, want [%d]", ids(sc, jobID), second.ID)
	}
	wantErr(t, "RequeueJob before a running later job of its key", e.s.RequeueJob(e.ctx, first.ID), store.ErrConflict)
	if got := e.job(t, first.ID); got.State != store.JobFailed {
		t.Errorf("refused RequeueJob left State %q, want failed", got.State)
	}
	// Once the later job is done, the failed one can be requeued; jobs
	// enqueued after that wait for it.
	must(t, "CompleteJob second", e.s.CompleteJob(e.ctx, sc[0].ID, sc[0].LeaseToken))
	must(t, "RequeueJob after the later job finished", e.s.RequeueJob(e.ctx, first.ID))
	third := e.enqueue(t, store.Job{Kind: "k", Key: "key"})
	if got := e.claimIDs(t, nil, 10); !slices.Equal(got, []int64{first.ID}) {
		t.Errorf("ClaimJobs = %v, want [%d] (the requeued job before %d)", got, first.ID, third.ID)
	}
}

func testJobInvalid(t *testing.T, e *env) {
	_, err := e.s.EnqueueJob(e.ctx, store.Job{Key: "k", Payload: []byte("x")})
	wantErr(t, "EnqueueJob without Kind", err, store.ErrInvalid)
	e.enqueue(t, store.Job{Kind: "k"})
	for _, lease := range []time.Duration{0, -time.Second} {
		_, err := e.s.ClaimJobs(e.ctx, nil, 10, lease)
		wantErr(t, fmt.Sprintf("ClaimJobs(lease %v)", lease), err, store.ErrInvalid)
	}
	counts, err := e.s.CountJobs(e.ctx, "")
	must(t, "CountJobs", err)
	if counts != (store.JobCounts{Queued: 1}) {
		t.Errorf("CountJobs after refused calls = %+v, want one queued job", counts)
	}
	held := e.claim(t, nil, 10, time.Minute)[0]
	for _, lease := range []time.Duration{0, -time.Second} {
		wantErr(t, fmt.Sprintf("ExtendJob(lease %v)", lease), e.s.ExtendJob(e.ctx, held.ID, held.LeaseToken, lease), store.ErrInvalid)
	}
	equal(t, "job after refused ExtendJob", e.job(t, held.ID), held)
}

func testJobPayload(t *testing.T, e *env) {
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"odd bytes", odd()},
		{"nil", nil},
		{"empty", []byte{}},
	} {
		in := slices.Clone(c.in)
		j := e.enqueue(t, store.Job{Kind: "k", Payload: in})
		if len(in) > 0 {
			in[0] ^= 0xff // the store keeps its own copy
		}
		check := func(what string, got []byte) {
			t.Helper()
			equal(t, c.name+" payload "+what, got, c.in)
			if (got == nil) != (c.in == nil) {
				t.Errorf("%s payload %s: nil %v, want nil %v", c.name, what, got == nil, c.in == nil)
			}
		}
		check("from EnqueueJob", j.Payload)
		check("from GetJob", e.job(t, j.ID).Payload)
		claimed := e.claim(t, nil, 1, time.Minute)
		if len(claimed) != 1 {
			t.Fatalf("ClaimJobs claimed %d jobs, want 1", len(claimed))
		}
		check("from ClaimJobs", claimed[0].Payload)
		list, err := e.s.ListJobs(e.ctx, "k", store.JobRunning, store.Page{})
		must(t, "ListJobs", err)
		check("from ListJobs", list[0].Payload)
		must(t, "CompleteJob", e.s.CompleteJob(e.ctx, claimed[0].ID, claimed[0].LeaseToken))
	}
}
