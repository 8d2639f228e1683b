package memstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func cloneSession(sess store.Session) store.Session {
	sess.CreatedAt, sess.LastSeenAt = tm(sess.CreatedAt), tm(sess.LastSeenAt)
	sess.IdleExpiresAt, sess.ExpiresAt = tm(sess.IdleExpiresAt), tm(sess.ExpiresAt)
	return sess
}

// sessionExpired reports whether either of a session's limits has passed.
// A zero limit does not apply.
func sessionExpired(sess store.Session, now time.Time) bool {
	return passed(sess.ExpiresAt, now) || passed(sess.IdleExpiresAt, now)
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if sess.Hash == (store.Hash{}) || sess.AppID == "" || sess.UserID == "" {
		return fail(store.ErrInvalid, "create session: Hash, AppID and UserID are required")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.sessions[sess.Hash]; ok {
		return fail(store.ErrConflict, "create session: hash exists")
	}
	sess = cloneSession(sess)
	sess.CreatedAt = s.orNow(sess.CreatedAt)
	s.sessions[sess.Hash] = sess
	return nil
}

// GetSession returns an unexpired session by hash.
func (s *Store) GetSession(ctx context.Context, h store.Hash) (store.Session, error) {
	if err := s.lock(ctx); err != nil {
		return store.Session{}, err
	}
	defer s.mu.Unlock()
	sess, ok := s.sessions[h]
	if !ok || sessionExpired(sess, s.now()) {
		return store.Session{}, fail(store.ErrNotFound, "get session")
	}
	return sess, nil
}

// TouchSession sets LastSeenAt and moves IdleExpiresAt, never past
// ExpiresAt.
func (s *Store) TouchSession(ctx context.Context, h store.Hash, lastSeen, idleExpiresAt time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	sess, ok := s.sessions[h]
	if !ok || sessionExpired(sess, s.now()) {
		return fail(store.ErrNotFound, "touch session")
	}
	idle := tm(idleExpiresAt)
	if !sess.ExpiresAt.IsZero() && (idle.IsZero() || idle.After(sess.ExpiresAt)) {
		idle = sess.ExpiresAt
	}
	sess.LastSeenAt, sess.IdleExpiresAt = tm(lastSeen), idle
	s.sessions[h] = sess
	return nil
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, h store.Hash) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.sessions[h]; !ok {
		return fail(store.ErrNotFound, "delete session")
	}
	delete(s.sessions, h)
	return nil
}

// DeleteUserSessions removes every session of a user and returns how many
// there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for h, sess := range s.sessions {
		if sess.UserID == userID {
			delete(s.sessions, h)
			n++
		}
	}
	return n, nil
}

// DeleteExpiredSessions removes expired sessions and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for h, sess := range s.sessions {
		if sessionExpired(sess, now) {
			delete(s.sessions, h)
			n++
		}
	}
	return n, nil
}

func cloneCode(c store.Code) store.Code {
	c.Payload = slices.Clone(c.Payload)
	c.CreatedAt, c.ExpiresAt = tm(c.CreatedAt), tm(c.ExpiresAt)
	return c
}

// CreateCode stores a new single-use code.
func (s *Store) CreateCode(ctx context.Context, c store.Code) error {
	if c.Hash == (store.Hash{}) || c.Kind == "" || c.ExpiresAt.IsZero() {
		return fail(store.ErrInvalid, "create code: Hash, Kind and ExpiresAt are required")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.codes[c.Hash]; ok {
		return fail(store.ErrConflict, "create code: hash exists")
	}
	c = cloneCode(c)
	c.CreatedAt = s.orNow(c.CreatedAt)
	s.codes[c.Hash] = c
	return nil
}

// RedeemCode removes and returns the unexpired code of the given hash and
// kind.
func (s *Store) RedeemCode(ctx context.Context, h store.Hash, kind string) (store.Code, error) {
	if err := s.lock(ctx); err != nil {
		return store.Code{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.codes[h]
	if ok && passed(c.ExpiresAt, s.now()) {
		delete(s.codes, h)
		ok = false
	}
	if !ok || c.Kind != kind {
		return store.Code{}, fail(store.ErrNotFound, "redeem %s code", kind)
	}
	delete(s.codes, h)
	return c, nil
}

// DeleteExpiredCodes removes expired codes and returns how many.
func (s *Store) DeleteExpiredCodes(ctx context.Context) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for h, c := range s.codes {
		if passed(c.ExpiresAt, now) {
			delete(s.codes, h)
			n++
		}
	}
	return n, nil
}

// AcquireLock takes the lock name for ttl, or returns ErrLocked.
func (s *Store) AcquireLock(ctx context.Context, name string, ttl time.Duration) (store.Lease, error) {
	if name == "" || ttl <= 0 {
		return store.Lease{}, fail(store.ErrInvalid, "acquire lock %q: need a name and a positive ttl, got %v", name, ttl)
	}
	if err := s.lock(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	now := s.now()
	st := s.locks[name]
	if st.token != "" && !passed(st.expiresAt, now) {
		return store.Lease{}, fail(store.ErrLocked, "acquire lock %q", name)
	}
	st.token, st.expiresAt = rand.Text(), tm(now.Add(ttl))
	st.fence++
	s.locks[name] = st
	return store.Lease{Name: name, Token: st.token, ExpiresAt: st.expiresAt, Fence: st.fence}, nil
}

// heldLocked returns the state of the lock l holds, or ErrNotFound when l no
// longer holds it.
func (s *Store) heldLocked(l store.Lease, op string) (lockState, error) {
	st, ok := s.locks[l.Name]
	if !ok || st.token == "" || st.token != l.Token || passed(st.expiresAt, s.now()) {
		return lockState{}, fail(store.ErrNotFound, "%s lock %q: lease not held", op, l.Name)
	}
	return st, nil
}

// RenewLock extends a held lease to now+ttl.
func (s *Store) RenewLock(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	if ttl <= 0 {
		return store.Lease{}, fail(store.ErrInvalid, "renew lock %q: ttl %v", l.Name, ttl)
	}
	if err := s.lock(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	st, err := s.heldLocked(l, "renew")
	if err != nil {
		return store.Lease{}, err
	}
	st.expiresAt = tm(s.now().Add(ttl))
	s.locks[l.Name] = st
	return store.Lease{Name: l.Name, Token: st.token, ExpiresAt: st.expiresAt, Fence: st.fence}, nil
}

// ReleaseLock frees a held lease.
func (s *Store) ReleaseLock(ctx context.Context, l store.Lease) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	st, err := s.heldLocked(l, "release")
	if err != nil {
		return err
	}
	st.token, st.expiresAt = "", time.Time{}
	s.locks[l.Name] = st
	return nil
}

// secretRef names one sealed column of one record.
type secretRef struct {
	where string // "app", "token" or "subscription"
	appID string
	id    int64
	old   store.Sealed
}

// ResealSecrets calls fn for every sealed secret and writes back what it
// returns, unless the secret changed meanwhile. fn runs without the store's
// lock held, so it may call the store.
func (s *Store) ResealSecrets(ctx context.Context, fn store.ResealFunc) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	var refs []secretRef
	for id, a := range s.apps {
		if a.ClientSecret != nil {
			refs = append(refs, secretRef{where: "app", appID: id, old: slices.Clone(a.ClientSecret)})
		}
	}
	for id, t := range s.tokens {
		if t.Sealed != nil {
			refs = append(refs, secretRef{where: "token", id: id, old: slices.Clone(t.Sealed)})
		}
	}
	for id, sub := range s.subs {
		if sub.ProviderSecret != nil {
			refs = append(refs, secretRef{where: "subscription", id: id, old: slices.Clone(sub.ProviderSecret)})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(refs, func(a, b secretRef) int {
		return cmp.Or(cmp.Compare(a.where, b.where), cmp.Compare(a.appID, b.appID), cmp.Compare(a.id, b.id))
	})

	n := 0
	for _, r := range refs {
		sealed, ok, err := fn(ctx, slices.Clone(r.old))
		if err != nil {
			return n, fmt.Errorf("memstore: reseal %s: %w", r.where, err)
		}
		if !ok {
			continue
		}
		wrote, err := s.swapSecret(ctx, r, slices.Clone(sealed))
		if err != nil {
			return n, err
		}
		if wrote {
			n++
		}
	}
	return n, nil
}

// swapSecret writes sealed where r points if the secret there is still r.old.
func (s *Store) swapSecret(ctx context.Context, r secretRef, sealed store.Sealed) (bool, error) {
	if err := s.lock(ctx); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	switch r.where {
	case "app":
		a, ok := s.apps[r.appID]
		if !ok || !bytes.Equal(a.ClientSecret, r.old) {
			return false, nil
		}
		a.ClientSecret = sealed
		s.apps[r.appID] = a
	case "token":
		t, ok := s.tokens[r.id]
		if !ok || !bytes.Equal(t.Sealed, r.old) {
			return false, nil
		}
		t.Sealed = sealed
		s.tokens[r.id] = t
	case "subscription":
		sub, ok := s.subs[r.id]
		if !ok || !bytes.Equal(sub.ProviderSecret, r.old) {
			return false, nil
		}
		sub.ProviderSecret = sealed
		s.subs[r.id] = sub
	}
	return true, nil
}
