package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func sessionTests() []test {
	return []test{
		{"CreateGet", testSessionCreateGet},
		{"DuplicateHashIsConflict", testSessionDuplicate},
		{"MissingFieldIsInvalid", testSessionInvalid},
		{"AbsoluteExpiry", testSessionAbsoluteExpiry},
		{"IdleExpiry", testSessionIdleExpiry},
		{"TouchMovesIdleExpiry", testSessionTouch},
		{"TouchNeverPastExpiresAt", testSessionTouchCapped},
		{"TouchExpiredOrMissingIsNotFound", testSessionTouchExpired},
		{"Delete", testSessionDelete},
		{"DeleteUserSessions", testSessionDeleteUserSessions},
		{"DeleteExpiredSessions", testSessionDeleteExpired},
	}
}

// session returns a session of user u of app "a" that is idle-expired in
// idle and expired in abs.
func session(name, u string, idle, abs time.Duration) store.Session {
	return store.Session{Hash: hash(name), AppID: "a", UserID: u, IdleExpiresAt: at(idle), ExpiresAt: at(abs)}
}

func (e *env) sessionUsers(t *testing.T, users ...string) {
	t.Helper()
	e.app(t, "a")
	for _, u := range users {
		e.user(t, "a", u)
	}
}

func testSessionCreateGet(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	acc := e.account(t, newAccount("a", "u1", store.AccountPrimary, "Google", "g1"), store.Token{})
	in := store.Session{Hash: hash("s"), AppID: "a", UserID: "u1", AccountID: acc.ID, LastSeenAt: at(0), IdleExpiresAt: at(30 * time.Minute), ExpiresAt: at(24 * time.Hour)}
	must(t, "CreateSession", e.s.CreateSession(e.ctx, in))
	got, err := e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession", err)
	want := in
	want.CreatedAt = e.clock.Now()
	equal(t, "GetSession", got, want)
	_, err = e.s.GetSession(e.ctx, hash("other"))
	wantErr(t, "GetSession of an unknown hash", err, store.ErrNotFound)
}

func testSessionDuplicate(t *testing.T, e *env) {
	e.sessionUsers(t, "u1", "u2")
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("s", "u1", time.Hour, 2*time.Hour)))
	wantErr(t, "CreateSession of an existing hash", e.s.CreateSession(e.ctx, session("s", "u2", time.Hour, 2*time.Hour)), store.ErrConflict)
	got, err := e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession", err)
	if got.UserID != "u1" {
		t.Errorf("session after the conflict belongs to %q, want u1", got.UserID)
	}
}

func testSessionInvalid(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	for _, c := range []struct {
		name   string
		mutate func(*store.Session)
	}{
		{"zero Hash", func(s *store.Session) { s.Hash = store.Hash{} }},
		{"no AppID", func(s *store.Session) { s.AppID = "" }},
		{"no UserID", func(s *store.Session) { s.UserID = "" }},
	} {
		s := session("s", "u1", time.Hour, 2*time.Hour)
		c.mutate(&s)
		wantErr(t, "CreateSession with "+c.name, e.s.CreateSession(e.ctx, s), store.ErrInvalid)
	}
	_, err := e.s.GetSession(e.ctx, hash("s"))
	wantErr(t, "GetSession after invalid creates", err, store.ErrNotFound)
}

func testSessionAbsoluteExpiry(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	// The idle limit is later than the absolute one: only ExpiresAt counts.
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("s", "u1", 3*time.Hour, time.Hour)))
	e.clock.Advance(59 * time.Minute)
	_, err := e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession a minute before ExpiresAt", err)
	e.clock.Advance(2 * time.Minute)
	_, err = e.s.GetSession(e.ctx, hash("s"))
	wantErr(t, "GetSession a minute after ExpiresAt", err, store.ErrNotFound)
}

func testSessionIdleExpiry(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("s", "u1", 10*time.Minute, 24*time.Hour)))
	e.clock.Advance(9 * time.Minute)
	_, err := e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession a minute before IdleExpiresAt", err)
	e.clock.Advance(2 * time.Minute)
	_, err = e.s.GetSession(e.ctx, hash("s"))
	wantErr(t, "GetSession a minute after IdleExpiresAt", err, store.ErrNotFound)
}

func testSessionTouch(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	in := session("s", "u1", 10*time.Minute, 24*time.Hour)
	must(t, "CreateSession", e.s.CreateSession(e.ctx, in))
	e.clock.Advance(8 * time.Minute)
	must(t, "TouchSession", e.s.TouchSession(e.ctx, hash("s"), at(8*time.Minute), at(18*time.Minute)))
	got, err := e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession", err)
	want := in
	want.CreatedAt, want.LastSeenAt, want.IdleExpiresAt = at(0), at(8*time.Minute), at(18*time.Minute)
	equal(t, "GetSession after TouchSession", got, want)

	e.clock.Advance(9 * time.Minute) // past the first idle limit, before the new one
	_, err = e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession after the first idle limit, before the moved one", err)
	e.clock.Advance(2 * time.Minute)
	_, err = e.s.GetSession(e.ctx, hash("s"))
	wantErr(t, "GetSession after the moved idle limit", err, store.ErrNotFound)
}

func testSessionTouchCapped(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("s", "u1", 10*time.Minute, time.Hour)))
	e.clock.Advance(5 * time.Minute)
	must(t, "TouchSession", e.s.TouchSession(e.ctx, hash("s"), at(5*time.Minute), at(3*time.Hour)))
	got, err := e.s.GetSession(e.ctx, hash("s"))
	must(t, "GetSession", err)
	equalTime(t, "IdleExpiresAt after TouchSession past ExpiresAt", got.IdleExpiresAt, at(time.Hour))
	equalTime(t, "ExpiresAt after TouchSession", got.ExpiresAt, at(time.Hour))
	e.clock.Advance(56 * time.Minute)
	_, err = e.s.GetSession(e.ctx, hash("s"))
	wantErr(t, "GetSession after ExpiresAt of a touched session", err, store.ErrNotFound)
}

func testSessionTouchExpired(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("idle", "u1", 10*time.Minute, time.Hour)))
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("abs", "u1", 2*time.Hour, time.Hour)))
	wantErr(t, "TouchSession of a missing session", e.s.TouchSession(e.ctx, hash("missing"), at(0), at(time.Hour)), store.ErrNotFound)
	e.clock.Advance(11 * time.Minute)
	wantErr(t, "TouchSession of an idle-expired session", e.s.TouchSession(e.ctx, hash("idle"), at(11*time.Minute), at(30*time.Minute)), store.ErrNotFound)
	_, err := e.s.GetSession(e.ctx, hash("idle"))
	wantErr(t, "GetSession of an idle-expired session after TouchSession", err, store.ErrNotFound)
	e.clock.Advance(50 * time.Minute)
	wantErr(t, "TouchSession of an expired session", e.s.TouchSession(e.ctx, hash("abs"), at(61*time.Minute), at(90*time.Minute)), store.ErrNotFound)
}

func testSessionDelete(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("s1", "u1", time.Hour, time.Hour)))
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("s2", "u1", time.Hour, time.Hour)))
	must(t, "DeleteSession", e.s.DeleteSession(e.ctx, hash("s1")))
	_, err := e.s.GetSession(e.ctx, hash("s1"))
	wantErr(t, "GetSession after DeleteSession", err, store.ErrNotFound)
	wantErr(t, "DeleteSession twice", e.s.DeleteSession(e.ctx, hash("s1")), store.ErrNotFound)
	_, err = e.s.GetSession(e.ctx, hash("s2"))
	must(t, "GetSession of the other session", err)
}

func testSessionDeleteUserSessions(t *testing.T, e *env) {
	e.sessionUsers(t, "u1", "u2", "u3")
	for i := range 3 {
		must(t, "CreateSession", e.s.CreateSession(e.ctx, session(fmt.Sprint("u1-", i), "u1", time.Hour, time.Hour)))
	}
	must(t, "CreateSession", e.s.CreateSession(e.ctx, session("u2", "u2", time.Hour, time.Hour)))
	n, err := e.s.DeleteUserSessions(e.ctx, "u1")
	must(t, "DeleteUserSessions", err)
	if n != 3 {
		t.Errorf("DeleteUserSessions = %d, want 3", n)
	}
	for i := range 3 {
		_, err := e.s.GetSession(e.ctx, hash(fmt.Sprint("u1-", i)))
		wantErr(t, "GetSession after DeleteUserSessions", err, store.ErrNotFound)
	}
	_, err = e.s.GetSession(e.ctx, hash("u2"))
	must(t, "GetSession of another user", err)
	n, err = e.s.DeleteUserSessions(e.ctx, "u1")
	must(t, "DeleteUserSessions again", err)
	if n != 0 {
		t.Errorf("DeleteUserSessions again = %d, want 0", n)
	}
	n, err = e.s.DeleteUserSessions(e.ctx, "u3")
	must(t, "DeleteUserSessions of a user without sessions", err)
	if n != 0 {
		t.Errorf("DeleteUserSessions of a user without sessions = %d, want 0", n)
	}
}

func testSessionDeleteExpired(t *testing.T, e *env) {
	e.sessionUsers(t, "u1")
	for _, s := range []store.Session{
		session("idle", "u1", 5*time.Minute, time.Hour),
		session("abs", "u1", 2*time.Hour, 10*time.Minute),
		session("live", "u1", 30*time.Minute, time.Hour),
		session("later", "u1", 50*time.Minute, 2*time.Hour),
	} {
		must(t, "CreateSession", e.s.CreateSession(e.ctx, s))
	}
	n, err := e.s.DeleteExpiredSessions(e.ctx)
	must(t, "DeleteExpiredSessions", err)
	if n != 0 {
		t.Errorf("DeleteExpiredSessions before any expiry = %d, want 0", n)
	}
	e.clock.Advance(15 * time.Minute)
	n, err = e.s.DeleteExpiredSessions(e.ctx)
	must(t, "DeleteExpiredSessions", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, want 2 (one idle-expired, one expired)", n)
	}
	n, err = e.s.DeleteExpiredSessions(e.ctx)
	must(t, "DeleteExpiredSessions again", err)
	if n != 0 {
		t.Errorf("DeleteExpiredSessions again = %d, want 0", n)
	}
	// The expired ones are gone even when the clock goes back.
	e.clock.Advance(-15 * time.Minute)
	for _, name := range []string{"idle", "abs"} {
		_, err := e.s.GetSession(e.ctx, hash(name))
		wantErr(t, "GetSession of a deleted expired session", err, store.ErrNotFound)
	}
	for _, name := range []string{"live", "later"} {
		_, err := e.s.GetSession(e.ctx, hash(name))
		must(t, "GetSession of a live session", err)
	}
}

func codeTests() []test {
	return []test{
		{"CreateRedeem", testCodeCreateRedeem},
		{"RedeemIsSingleUse", testCodeSingleUse},
		{"WrongKindIsNotFound", testCodeWrongKind},
		{"ExpiredIsNotFoundAndRemoved", testCodeExpired},
		{"ConcurrentRedeemsOneWins", testCodeConcurrentRedeems},
		{"DuplicateHashIsConflict", testCodeDuplicate},
		{"MissingFieldIsInvalid", testCodeInvalid},
		{"DeleteExpiredCodes", testCodeDeleteExpired},
	}
}

func code(name, kind string, expires time.Duration) store.Code {
	return store.Code{Hash: hash(name), Kind: kind, AppID: "a", Payload: []byte(`{"code":"` + name + `"}`), ExpiresAt: at(expires)}
}

func testCodeCreateRedeem(t *testing.T, e *env) {
	in := code("c", "auth", time.Minute)
	must(t, "CreateCode", e.s.CreateCode(e.ctx, in))
	e.clock.Advance(30 * time.Second)
	got, err := e.s.RedeemCode(e.ctx, hash("c"), "auth")
	must(t, "RedeemCode", err)
	want := in
	want.CreatedAt = at(0)
	equal(t, "RedeemCode", got, want)
	_, err = e.s.RedeemCode(e.ctx, hash("unknown"), "auth")
	wantErr(t, "RedeemCode of an unknown hash", err, store.ErrNotFound)
}

func testCodeSingleUse(t *testing.T, e *env) {
	must(t, "CreateCode", e.s.CreateCode(e.ctx, code("c", "state", time.Minute)))
	must(t, "CreateCode", e.s.CreateCode(e.ctx, code("d", "state", time.Minute)))
	_, err := e.s.RedeemCode(e.ctx, hash("c"), "state")
	must(t, "RedeemCode", err)
	_, err = e.s.RedeemCode(e.ctx, hash("c"), "state")
	wantErr(t, "RedeemCode twice", err, store.ErrNotFound)
	got, err := e.s.RedeemCode(e.ctx, hash("d"), "state")
	must(t, "RedeemCode of the other code", err)
	if got.Hash != hash("d") {
		t.Errorf("RedeemCode returned hash %x, want %x", got.Hash, hash("d"))
	}
}

func testCodeWrongKind(t *testing.T, e *env) {
	must(t, "CreateCode", e.s.CreateCode(e.ctx, code("c", "auth", time.Minute)))
	_, err := e.s.RedeemCode(e.ctx, hash("c"), "state")
	wantErr(t, "RedeemCode of another kind", err, store.ErrNotFound)
	// The failed attempt did not use the code up.
	got, err := e.s.RedeemCode(e.ctx, hash("c"), "auth")
	must(t, "RedeemCode of the right kind after a wrong one", err)
	if got.Kind != "auth" {
		t.Errorf("RedeemCode Kind = %q, want auth", got.Kind)
	}
}

func testCodeExpired(t *testing.T, e *env) {
	must(t, "CreateCode", e.s.CreateCode(e.ctx, code("c", "auth", time.Minute)))
	must(t, "CreateCode", e.s.CreateCode(e.ctx, code("d", "auth", time.Minute)))
	e.clock.Advance(2 * time.Minute)
	_, err := e.s.RedeemCode(e.ctx, hash("c"), "auth")
	wantErr(t, "RedeemCode of an expired code", err, store.ErrNotFound)
	// RedeemCode removed c; DeleteExpiredCodes finds only d.
	n, err := e.s.DeleteExpiredCodes(e.ctx)
	must(t, "DeleteExpiredCodes", err)
	if n != 1 {
		t.Errorf("DeleteExpiredCodes after an expired code was redeemed = %d, want 1", n)
	}
}

func testCodeConcurrentRedeems(t *testing.T, e *env) {
	in := code("c", "auth", time.Minute)
	in.Payload = odd()
	must(t, "CreateCode", e.s.CreateCode(e.ctx, in))
	const n = 50
	codes := make([]store.Code, n)
	errs := concurrently(n, func(i int) error {
		c, err := e.s.RedeemCode(e.ctx, hash("c"), "auth")
		codes[i] = c
		return err
	})
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			equal(t, "winning RedeemCode", codes[i].Payload, odd())
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("RedeemCode #%d: err = %v, want ErrNotFound", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent RedeemCode calls got the code, want exactly 1", winners, n)
	}
}

func testCodeDuplicate(t *testing.T, e *env) {
	must(t, "CreateCode", e.s.CreateCode(e.ctx, code("c", "auth", time.Minute)))
	dup := code("c", "state", 5*time.Minute)
	wantErr(t, "CreateCode of an existing hash", e.s.CreateCode(e.ctx, dup), store.ErrConflict)
	_, err := e.s.RedeemCode(e.ctx, hash("c"), "state")
	wantErr(t, "RedeemCode of the refused duplicate", err, store.ErrNotFound)
	_, err = e.s.RedeemCode(e.ctx, hash("c"), "auth")
	must(t, "RedeemCode of the first code", err)
}

func testCodeInvalid(t *testing.T, e *env) {
	for _, c := range []struct {
		name   string
		mutate func(*store.Code)
	}{
		{"zero Hash", func(c *store.Code) { c.Hash = store.Hash{} }},
		{"no Kind", func(c *store.Code) { c.Kind = "" }},
		{"zero ExpiresAt", func(c *store.Code) { c.ExpiresAt = time.Time{} }},
	} {
		in := code("c", "auth", time.Minute)
		c.mutate(&in)
		wantErr(t, "CreateCode with "+c.name, e.s.CreateCode(e.ctx, in), store.ErrInvalid)
	}
	_, err := e.s.RedeemCode(e.ctx, hash("c"), "auth")
	wantErr(t, "RedeemCode after invalid creates", err, store.ErrNotFound)
}

func testCodeDeleteExpired(t *testing.T, e *env) {
	for _, c := range []store.Code{
		code("c1", "auth", time.Minute),
		code("c2", "state", 2*time.Minute),
		code("c3", "auth", 10*time.Minute),
	} {
		must(t, "CreateCode", e.s.CreateCode(e.ctx, c))
	}
	n, err := e.s.DeleteExpiredCodes(e.ctx)
	must(t, "DeleteExpiredCodes", err)
	if n != 0 {
		t.Errorf("DeleteExpiredCodes before any expiry = %d, want 0", n)
	}
	e.clock.Advance(5 * time.Minute)
	n, err = e.s.DeleteExpiredCodes(e.ctx)
	must(t, "DeleteExpiredCodes", err)
	if n != 2 {
		t.Errorf("DeleteExpiredCodes = %d, want 2", n)
	}
	e.clock.Advance(-5 * time.Minute)
	_, err = e.s.RedeemCode(e.ctx, hash("c1"), "auth")
	wantErr(t, "RedeemCode of a deleted expired code", err, store.ErrNotFound)
	_, err = e.s.RedeemCode(e.ctx, hash("c3"), "auth")
	must(t, "RedeemCode of the live code", err)
}
