package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func lockTests() []test {
	return []test{
		{"AcquireIsExclusive", testLockExclusive},
		{"ConcurrentAcquiresOneWins", testLockConcurrent},
		{"ExpiredLeaseIsTakenOver", testLockTakeover},
		{"RenewExtendsLease", testLockRenew},
		{"ExpiredLeaseCannotBeRenewedOrReleased", testLockExpiredNotTakenOver},
		{"ReleaseThenAcquire", testLockRelease},
		{"NonPositiveTTLIsInvalid", testLockInvalidTTL},
	}
}

func (e *env) acquire(t *testing.T, name string, ttl time.Duration) store.Lease {
	t.Helper()
	l, err := e.s.AcquireLock(e.ctx, name, ttl)
	must(t, "AcquireLock "+name, err)
	if l.Name != name || l.Token == "" {
		t.Errorf("AcquireLock(%q) = Name %q Token %q, want the name and a token", name, l.Name, l.Token)
	}
	equalTime(t, "Lease.ExpiresAt", l.ExpiresAt, e.clock.Now().Add(ttl))
	return l
}

func testLockExclusive(t *testing.T, e *env) {
	e.acquire(t, "refresh:1", time.Minute)
	_, err := e.s.AcquireLock(e.ctx, "refresh:1", time.Minute)
	wantErr(t, "AcquireLock of a held name", err, store.ErrLocked)
	e.clock.Advance(59 * time.Second)
	_, err = e.s.AcquireLock(e.ctx, "refresh:1", time.Minute)
	wantErr(t, "AcquireLock of a held name a second before its lease ends", err, store.ErrLocked)
	e.acquire(t, "refresh:2", time.Minute)
}

func testLockConcurrent(t *testing.T, e *env) {
	const n = 20
	leases := make([]store.Lease, n)
	errs := concurrently(n, func(i int) error {
		l, err := e.s.AcquireLock(e.ctx, "refresh:1", time.Minute)
		leases[i] = l
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("AcquireLock callers %d and %d both got the lock", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrLocked):
			t.Errorf("AcquireLock #%d: err = %v, want ErrLocked", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent AcquireLock calls got the lock", n)
	}
	must(t, "ReleaseLock by the winner", e.s.ReleaseLock(e.ctx, leases[winner]))
}

func testLockTakeover(t *testing.T, e *env) {
	old := e.acquire(t, "refresh:1", time.Minute)
	e.clock.Advance(61 * time.Second) // the old holder died
	cur := e.acquire(t, "refresh:1", time.Minute)
	if cur.Fence <= old.Fence {
		t.Errorf("Fence after takeover = %d, want > %d", cur.Fence, old.Fence)
	}
	if cur.Token == old.Token {
		t.Errorf("takeover reused the old lease's token %q", cur.Token)
	}

	_, err := e.s.RenewLock(e.ctx, old, time.Minute)
	wantErr(t, "RenewLock by the old holder", err, store.ErrNotFound)
	wantErr(t, "ReleaseLock by the old holder", e.s.ReleaseLock(e.ctx, old), store.ErrNotFound)

	// The new holder still holds the lock.
	_, err = e.s.AcquireLock(e.ctx, "refresh:1", time.Minute)
	wantErr(t, "AcquireLock after the old holder's release", err, store.ErrLocked)
	renewed, err := e.s.RenewLock(e.ctx, cur, 2*time.Minute)
	must(t, "RenewLock by the new holder", err)
	if renewed.Token != cur.Token || renewed.Fence != cur.Fence || renewed.Name != cur.Name {
		t.Errorf("RenewLock = %+v, want the same name, token and fence as %+v", renewed, cur)
	}
	must(t, "ReleaseLock by the new holder", e.s.ReleaseLock(e.ctx, renewed))
}

func testLockRenew(t *testing.T, e *env) {
	l := e.acquire(t, "job", time.Minute)
	e.clock.Advance(50 * time.Second)
	renewed, err := e.s.RenewLock(e.ctx, l, 5*time.Minute)
	must(t, "RenewLock", err)
	equalTime(t, "ExpiresAt after RenewLock", renewed.ExpiresAt, e.clock.Now().Add(5*time.Minute))
	if renewed.Fence != l.Fence {
		t.Errorf("RenewLock Fence = %d, want %d (unchanged)", renewed.Fence, l.Fence)
	}
	e.clock.Advance(4 * time.Minute) // past the first lease, inside the renewed one
	_, err = e.s.AcquireLock(e.ctx, "job", time.Minute)
	wantErr(t, "AcquireLock inside a renewed lease", err, store.ErrLocked)
	// Renewing with the lease as first returned (older ExpiresAt) still works:
	// the token identifies the holder.
	_, err = e.s.RenewLock(e.ctx, l, time.Minute)
	must(t, "RenewLock with the first Lease value", err)
	e.clock.Advance(61 * time.Second)
	next := e.acquire(t, "job", time.Minute)
	if next.Fence <= l.Fence {
		t.Errorf("Fence after the renewed lease expired = %d, want > %d", next.Fence, l.Fence)
	}
}

func testLockExpiredNotTakenOver(t *testing.T, e *env) {
	a := e.acquire(t, "a", time.Minute)
	b := e.acquire(t, "b", time.Minute)
	e.clock.Advance(2 * time.Minute)
	_, err := e.s.RenewLock(e.ctx, a, time.Minute)
	wantErr(t, "RenewLock of an expired lease", err, store.ErrNotFound)
	wantErr(t, "ReleaseLock of an expired lease", e.s.ReleaseLock(e.ctx, b), store.ErrNotFound)
	e.acquire(t, "a", time.Minute)
	e.acquire(t, "b", time.Minute)
}

func testLockRelease(t *testing.T, e *env) {
	fences := map[int64]bool{}
	var last int64
	for i := range 3 {
		l := e.acquire(t, "job", time.Hour)
		if i > 0 && l.Fence <= last {
			t.Errorf("Fence of acquisition %d = %d, want > %d", i, l.Fence, last)
		}
		if fences[l.Fence] {
			t.Errorf("Fence %d handed out twice", l.Fence)
		}
		fences[l.Fence], last = true, l.Fence
		must(t, fmt.Sprintf("ReleaseLock #%d", i), e.s.ReleaseLock(e.ctx, l))
		wantErr(t, "ReleaseLock twice", e.s.ReleaseLock(e.ctx, l), store.ErrNotFound)
		_, err := e.s.RenewLock(e.ctx, l, time.Minute)
		wantErr(t, "RenewLock after ReleaseLock", err, store.ErrNotFound)
	}
}

func testLockInvalidTTL(t *testing.T, e *env) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := e.s.AcquireLock(e.ctx, "job", ttl)
		wantErr(t, fmt.Sprintf("AcquireLock(ttl %v)", ttl), err, store.ErrInvalid)
	}
	// The refused calls took nothing.
	e.acquire(t, "job", time.Minute)
}
