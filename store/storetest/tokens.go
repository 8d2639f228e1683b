package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func tokenTests() []test {
	return []test{
		{"AccountWithoutTokenIsVersionZero", testTokenNone},
		{"CreateAccountWithTokenIsVersionOne", testTokenFirst},
		{"MissingAccountIsNotFound", testTokenMissingAccount},
		{"SwapIncrementsVersion", testTokenSwap},
		{"SwapFromVersionZeroStoresFirstToken", testTokenSwapFromZero},
		{"StaleSwapIsConflict", testTokenStaleSwap},
		{"ConcurrentSwapsOneWins", testTokenConcurrentSwaps},
		{"RecordErrorKeepsToken", testTokenRecordError},
		{"ListExpiring", testTokenListExpiring},
		{"ListRefreshedBefore", testTokenListRefreshedBefore},
	}
}

func testTokenNone(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), store.Token{Expiry: at(time.Hour)})
	tok, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	if tok.Version != 0 || tok.Sealed != nil {
		t.Errorf("GetToken of an account without token: Version=%d Sealed=%x, want 0 and nil", tok.Version, tok.Sealed)
	}
}

func testTokenFirst(t *testing.T, e *env) {
	e.app(t, "a")
	in := store.Token{AccountID: 777, Sealed: store.Sealed("sealed-1"), Expiry: at(time.Hour), Version: 42, RefreshedAt: at(-time.Second), LastError: "old", LastErrorAt: at(-time.Hour)}
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), in)
	tok, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	want := in
	want.AccountID, want.Version = acc.ID, 1
	equal(t, "GetToken", tok, want)
}

func testTokenMissingAccount(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), sealedToken("t", at(time.Hour)))
	missing := acc.ID + 1000
	_, err := e.s.GetToken(e.ctx, missing)
	wantErr(t, "GetToken", err, store.ErrNotFound)
	_, err = e.s.SwapToken(e.ctx, missing, 0, sealedToken("t", at(time.Hour)))
	wantErr(t, "SwapToken", err, store.ErrNotFound)
	wantErr(t, "RecordTokenError", e.s.RecordTokenError(e.ctx, missing, "boom", e.clock.Now()), store.ErrNotFound)
}

func testTokenSwap(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), store.Token{Sealed: store.Sealed("v1"), Expiry: at(time.Hour), LastError: "x", LastErrorAt: at(-time.Minute)})
	e.clock.Advance(50 * time.Minute)
	next := store.Token{AccountID: 999, Sealed: store.Sealed("v2"), Expiry: at(2 * time.Hour), Version: 17, RefreshedAt: e.clock.Now()}
	v, err := e.s.SwapToken(e.ctx, acc.ID, 1, next)
	must(t, "SwapToken", err)
	if v != 2 {
		t.Errorf("SwapToken from version 1 = %d, want 2", v)
	}
	got, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	want := next
	want.AccountID, want.Version = acc.ID, 2
	equal(t, "GetToken after SwapToken", got, want)

	// Expiry cleared, error written as given.
	third := store.Token{Sealed: store.Sealed("v3"), LastError: "refresh failed once", LastErrorAt: at(55 * time.Minute)}
	v, err = e.s.SwapToken(e.ctx, acc.ID, 2, third)
	must(t, "SwapToken", err)
	if v != 3 {
		t.Errorf("SwapToken from version 2 = %d, want 3", v)
	}
	got, err = e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	want = third
	want.AccountID, want.Version = acc.ID, 3
	equal(t, "GetToken after second SwapToken", got, want)
}

func testTokenSwapFromZero(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), store.Token{})
	_, err := e.s.SwapToken(e.ctx, acc.ID, 1, sealedToken("never", at(time.Hour)))
	wantErr(t, "SwapToken from version 1 of an account without token", err, store.ErrConflict)
	v, err := e.s.SwapToken(e.ctx, acc.ID, 0, sealedToken("first", at(time.Hour)))
	must(t, "SwapToken from version 0", err)
	if v != 1 {
		t.Errorf("SwapToken from version 0 = %d, want 1", v)
	}
	got, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	equal(t, "GetToken", got, store.Token{AccountID: acc.ID, Sealed: store.Sealed("first"), Expiry: at(time.Hour), Version: 1})
}

func testTokenStaleSwap(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), sealedToken("v1", at(time.Hour)))
	// Two refreshers read version 1; the first writes.
	_, err := e.s.SwapToken(e.ctx, acc.ID, 1, sealedToken("winner", at(2*time.Hour)))
	must(t, "SwapToken", err)
	want, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)

	for _, old := range []int64{1, 0, 3, -1} {
		_, err := e.s.SwapToken(e.ctx, acc.ID, old, store.Token{Sealed: store.Sealed("loser"), Expiry: at(3 * time.Hour), LastError: "x"})
		wantErr(t, fmt.Sprintf("SwapToken from version %d when the token is at 2", old), err, store.ErrConflict)
	}
	got, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	equal(t, "token after stale writes", got, want)
}

func testTokenConcurrentSwaps(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), sealedToken("v1", at(time.Hour)))
	const n = 20
	versions := make([]int64, n)
	errs := concurrently(n, func(i int) error {
		v, err := e.s.SwapToken(e.ctx, acc.ID, 1, sealedToken(fmt.Sprint("writer-", i), at(2*time.Hour)))
		versions[i] = v
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("SwapToken writers %d and %d both won", winner, i)
			}
			winner = i
			if versions[i] != 2 {
				t.Errorf("winning SwapToken returned version %d, want 2", versions[i])
			}
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("losing SwapToken #%d: err = %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent SwapToken calls won", n)
	}
	got, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	equal(t, "token after concurrent swaps", got, store.Token{AccountID: acc.ID, Sealed: store.Sealed(fmt.Sprint("writer-", winner)), Expiry: at(2 * time.Hour), Version: 2})
}

func testTokenRecordError(t *testing.T, e *env) {
	e.app(t, "a")
	acc := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), store.Token{Sealed: store.Sealed("v1"), Expiry: at(time.Hour), RefreshedAt: at(-time.Hour)})
	e.clock.Advance(time.Minute)
	must(t, "RecordTokenError", e.s.RecordTokenError(e.ctx, acc.ID, "provider returned 503", at(time.Minute)))
	got, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	want := store.Token{AccountID: acc.ID, Sealed: store.Sealed("v1"), Expiry: at(time.Hour), Version: 1, RefreshedAt: at(-time.Hour), LastError: "provider returned 503", LastErrorAt: at(time.Minute)}
	equal(t, "token after RecordTokenError", got, want)
	// The version did not move: a swap from version 1 still wins.
	v, err := e.s.SwapToken(e.ctx, acc.ID, 1, sealedToken("v2", at(2*time.Hour)))
	must(t, "SwapToken after RecordTokenError", err)
	if v != 2 {
		t.Errorf("SwapToken after RecordTokenError = %d, want 2", v)
	}
}

func testTokenListExpiring(t *testing.T, e *env) {
	e.app(t, "a")
	mk := func(name string, tok store.Token) store.Account {
		return e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", name), tok)
	}
	// Created so that id order and expiry order differ.
	late := mk("late", sealedToken("late", at(50*time.Minute)))
	tieB := mk("tieB", sealedToken("tieB", at(20*time.Minute)))
	early := mk("early", sealedToken("early", at(10*time.Minute)))
	tieA := mk("tieA", sealedToken("tieA", at(20*time.Minute)))
	expired := mk("expired", sealedToken("expired", at(-10*time.Minute)))
	mk("atCutoff", sealedToken("atCutoff", at(time.Hour)))
	mk("after", sealedToken("after", at(2*time.Hour)))
	mk("noExpiry", sealedToken("noExpiry", time.Time{}))
	mk("noToken", store.Token{Expiry: at(time.Minute)})
	inactive := mk("inactive", sealedToken("inactive", at(5*time.Minute)))
	must(t, "SetAccountStatus", e.s.SetAccountStatus(e.ctx, inactive.ID, false, store.TokenDead, "invalid_grant"))

	first, second := tieB, tieA
	if tieA.ID < tieB.ID {
		first, second = tieA, tieB
	}
	wantOrder := []store.Account{expired, early, first, second, late}
	// Exactly the "atCutoff" expiry as stored: "before" excludes it.
	cutoff := at(time.Hour).Truncate(time.Microsecond)

	for _, limit := range []int{100, 5, 3, 1} {
		toks, err := e.s.ListTokensExpiring(e.ctx, cutoff, limit)
		must(t, fmt.Sprintf("ListTokensExpiring(limit %d)", limit), err)
		var want []string
		for _, a := range wantOrder[:min(limit, len(wantOrder))] {
			want = append(want, a.AuthUserID)
		}
		var got []string
		for _, tok := range toks {
			acc, err := e.s.GetAccount(e.ctx, tok.AccountID)
			must(t, "GetAccount", err)
			got = append(got, acc.AuthUserID)
			if string(tok.Sealed) != acc.AuthUserID || tok.Version != 1 {
				t.Errorf("ListTokensExpiring: token of %s has Sealed=%q Version=%d, want %q 1", acc.AuthUserID, tok.Sealed, tok.Version, acc.AuthUserID)
			}
		}
		equal(t, fmt.Sprintf("ListTokensExpiring(before the atCutoff expiry, limit %d)", limit), got, want)
	}

	toks, err := e.s.ListTokensExpiring(e.ctx, at(-time.Hour), 10)
	must(t, "ListTokensExpiring", err)
	if len(toks) != 0 {
		t.Errorf("ListTokensExpiring before every expiry = %d tokens, want 0", len(toks))
	}
	toks, err = e.s.ListTokensExpiring(e.ctx, at(10*time.Minute).Add(time.Microsecond), 10)
	must(t, "ListTokensExpiring", err)
	if len(toks) != 2 || toks[0].AccountID != expired.ID || toks[1].AccountID != early.ID {
		t.Errorf("ListTokensExpiring just after the early expiry = %+v, want the expired and early tokens", toks)
	}
}

func accountTokenTests() []test {
	return []test{
		{"CreateGet", testAccountTokenCreateGet},
		{"Expiry", testAccountTokenExpiry},
		{"DuplicateHashIsConflict", testAccountTokenDuplicate},
		{"MissingAccountIsNotFound", testAccountTokenMissingAccount},
		{"MissingFieldIsInvalid", testAccountTokenInvalid},
		{"Delete", testAccountTokenDelete},
	}
}

func (e *env) daemon(t *testing.T) store.Account {
	t.Helper()
	e.app(t, "a")
	return e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d"), store.Token{})
}

func testAccountTokenCreateGet(t *testing.T, e *env) {
	acc := e.daemon(t)
	in := store.AccountToken{Hash: hash("t1"), AppID: "a", AccountID: acc.ID, ExpiresAt: at(time.Hour)}
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, in))
	got, err := e.s.GetAccountToken(e.ctx, hash("t1"))
	must(t, "GetAccountToken", err)
	want := in
	want.CreatedAt = e.clock.Now()
	equal(t, "GetAccountToken", got, want)
	_, err = e.s.GetAccountToken(e.ctx, hash("t2"))
	wantErr(t, "GetAccountToken of an unknown hash", err, store.ErrNotFound)
}

func testAccountTokenExpiry(t *testing.T, e *env) {
	acc := e.daemon(t)
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("short"), AppID: "a", AccountID: acc.ID, ExpiresAt: at(time.Hour)}))
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("forever"), AppID: "a", AccountID: acc.ID}))
	e.clock.Advance(59 * time.Minute)
	_, err := e.s.GetAccountToken(e.ctx, hash("short"))
	must(t, "GetAccountToken a minute before expiry", err)
	e.clock.Advance(2 * time.Minute)
	_, err = e.s.GetAccountToken(e.ctx, hash("short"))
	wantErr(t, "GetAccountToken a minute after expiry", err, store.ErrNotFound)
	e.clock.Advance(10 * 365 * 24 * time.Hour)
	_, err = e.s.GetAccountToken(e.ctx, hash("forever"))
	must(t, "GetAccountToken without ExpiresAt ten years later", err)
}

func testAccountTokenDuplicate(t *testing.T, e *env) {
	acc := e.daemon(t)
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("t"), AppID: "a", AccountID: acc.ID, ExpiresAt: at(time.Hour)}))
	err := e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("t"), AppID: "a", AccountID: acc.ID, ExpiresAt: at(2 * time.Hour)})
	wantErr(t, "CreateAccountToken of an existing hash", err, store.ErrConflict)
	got, err := e.s.GetAccountToken(e.ctx, hash("t"))
	must(t, "GetAccountToken", err)
	equalTime(t, "ExpiresAt after the conflict", got.ExpiresAt, at(time.Hour))
}

func testAccountTokenMissingAccount(t *testing.T, e *env) {
	acc := e.daemon(t)
	err := e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("t"), AppID: "a", AccountID: acc.ID + 1000})
	wantErr(t, "CreateAccountToken for a missing account", err, store.ErrNotFound)
	_, err = e.s.GetAccountToken(e.ctx, hash("t"))
	wantErr(t, "GetAccountToken after the failed create", err, store.ErrNotFound)
}

func testAccountTokenInvalid(t *testing.T, e *env) {
	acc := e.daemon(t)
	for _, c := range []struct {
		name string
		tok  store.AccountToken
	}{
		{"zero Hash", store.AccountToken{AppID: "a", AccountID: acc.ID}},
		{"no AppID", store.AccountToken{Hash: hash("t"), AccountID: acc.ID}},
		{"no AccountID", store.AccountToken{Hash: hash("t"), AppID: "a"}},
	} {
		wantErr(t, "CreateAccountToken with "+c.name, e.s.CreateAccountToken(e.ctx, c.tok), store.ErrInvalid)
	}
}

func testAccountTokenDelete(t *testing.T, e *env) {
	acc := e.daemon(t)
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("t1"), AppID: "a", AccountID: acc.ID}))
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash("t2"), AppID: "a", AccountID: acc.ID}))
	must(t, "DeleteAccountToken", e.s.DeleteAccountToken(e.ctx, hash("t1")))
	_, err := e.s.GetAccountToken(e.ctx, hash("t1"))
	wantErr(t, "GetAccountToken after DeleteAccountToken", err, store.ErrNotFound)
	wantErr(t, "DeleteAccountToken twice", e.s.DeleteAccountToken(e.ctx, hash("t1")), store.ErrNotFound)
	_, err = e.s.GetAccountToken(e.ctx, hash("t2"))
	must(t, "GetAccountToken of the other token", err)
}

func testTokenListRefreshedBefore(t *testing.T, e *env) {
	e.app(t, "a")
	mk := func(name string, refreshed time.Time) store.Account {
		tok := sealedToken(name, at(time.Hour))
		tok.RefreshedAt = refreshed
		return e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", name), tok)
	}
	// Created so that id order and refresh order differ.
	recent := mk("recent", at(-time.Hour))
	old := mk("old", at(-30*24*time.Hour))
	never := mk("never", time.Time{})
	older := mk("older", at(-60*24*time.Hour))
	e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "bare"), store.Token{})
	inactive := mk("inactive", at(-90*24*time.Hour))
	must(t, "SetAccountStatus", e.s.SetAccountStatus(e.ctx, inactive.ID, false, store.TokenInvalid, "invalid_grant"))

	ids := func(toks []store.Token) []int64 {
		out := []int64{}
		for _, tk := range toks {
			out = append(out, tk.AccountID)
		}
		return out
	}
	toks, err := e.s.ListTokensRefreshedBefore(e.ctx, at(-7*24*time.Hour), 10)
	must(t, "ListTokensRefreshedBefore", err)
	// Zero RefreshedAt first, then the oldest; "bare" has no credential.
	got := ids(toks)
	if len(got) != 3 || got[0] != never.ID || got[1] != older.ID || got[2] != old.ID {
		t.Errorf("ListTokensRefreshedBefore(7 days ago) = %v, want [never(%d) ... older(%d) old(%d)]", got, never.ID, older.ID, old.ID)
	}
	for _, id := range got {
		if id == recent.ID || id == inactive.ID {
			t.Errorf("ListTokensRefreshedBefore listed account %d (recent or inactive)", id)
		}
	}
	toks, err = e.s.ListTokensRefreshedBefore(e.ctx, at(-7*24*time.Hour), 1)
	must(t, "ListTokensRefreshedBefore(limit 1)", err)
	if len(toks) != 1 || toks[0].AccountID != never.ID {
		t.Errorf("ListTokensRefreshedBefore(limit 1) = %v, want [%d]", ids(toks), never.ID)
	}
	if string(toks[0].Sealed) != "never" || toks[0].Version != 1 {
		t.Errorf("token = %q v%d", toks[0].Sealed, toks[0].Version)
	}
}
