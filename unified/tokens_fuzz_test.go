package unified

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/seal"
)

// fuzzTokenKey seals the committed seed corpus of FuzzOpenToken
// (testdata/fuzz/FuzzOpenToken): its genuine tokens open only with it.
var fuzzTokenKey = bytes.Repeat([]byte{0x5a}, seal.KeySize)

// tokenExpectation is a place that opens a token: the kind, account,
// stream/page and scope it wants, and how it opens it.
type tokenExpectation struct {
	name    string
	kind    string
	account int64
	page    bool
	scope   string
	// unscoped: the place has no scope (email tokens carry none).
	unscoped bool
	// open opens s there as the handlers do, returning the cursor.
	open func(h *Handler, s string) (tokenClaims, error)
}

// tokenExpectations are the ways the handlers open tokens: list page
// tokens with and without a scope (openPage), the email list page token
// (open), and sync streams read from a deltaToken or a pageToken
// (readStream, which also seals the next token).
func tokenExpectations() []tokenExpectation {
	stream := func(kind, scope string, account int64, asPage bool) func(h *Handler, s string) (tokenClaims, error) {
		return func(h *Handler, s string) (tokenClaims, error) {
			var got tokenClaims
			delta, page := s, ""
			if asPage {
				delta, page = "", s
			}
			read := func(cursor string) (deltaRound[string, string], error) {
				got = tokenClaims{Kind: kind, Account: account, Page: asPage, Scope: scope, Cursor: cursor}
				return deltaRound[string, string]{nextDelta: "next-" + cursor}, nil
			}
			pick := func(r deltaRound[string, string]) []string { return r.updated }
			out, err := readStream(context.Background(), h, account, kind, scope, delta, page, read, pick)
			if err == nil && out.NextDeltaToken == "" {
				return got, errors.New("a read stream sealed no next deltaToken")
			}
			return got, err
		}
	}
	return []tokenExpectation{
		{name: "contacts list page", kind: tokenContactPage, account: 7, page: true,
			open: func(h *Handler, s string) (tokenClaims, error) { return h.openPage(s, tokenContactPage, 7, "") }},
		{name: "task list page of list-2", kind: tokenTaskPage, account: 8, page: true, scope: "list-2",
			open: func(h *Handler, s string) (tokenClaims, error) { return h.openPage(s, tokenTaskPage, 8, "list-2") }},
		{name: "email message page", kind: tokenMessagePage, account: 7, page: true, unscoped: true,
			open: func(h *Handler, s string) (tokenClaims, error) {
				return h.tokens.open(s, tokenMessagePage, 7, true, "pageToken")
			}},
		{name: "calendar updated stream of cal-1", kind: tokenCalSyncUpdated, account: 7, scope: "cal-1",
			open: stream(tokenCalSyncUpdated, "cal-1", 7, false)},
		{name: "tasks deleted stream page of list-3", kind: tokenTasksDeleted, account: 9, page: true, scope: "list-3",
			open: stream(tokenTasksDeleted, "list-3", 9, true)},
	}
}

// FuzzOpenToken checks the unified page and delta tokens, which clients
// send back verbatim. Opening never panics, and refuses with invalidInput
// anything but a token sealed by the server's keyring for exactly the
// kind, account, page/delta role and scope (calendar or list) where it is
// used:
//   - raw is any client string: where it opens, the claims are exactly the
//     place's, and the same string sealed by another key does not open;
//   - claims built from the other inputs, sealed by the keyring, open
//     where (and only where) they match the place, with the cursor intact
//     (a cursor that is not UTF-8, which JSON would alter, is not
//     sealed); sealed by another key, or with any bit of the sealed bytes
//     flipped, they open nowhere.
func FuzzOpenToken(f *testing.F) {
	ringA, err := seal.NewKeyring(seal.Key{ID: "fz", Secret: fuzzTokenKey})
	if err != nil {
		f.Fatal(err)
	}
	// Another secret under the same key id: only the GCM tag tells them
	// apart.
	ringB, err := seal.NewKeyring(seal.Key{ID: "fz", Secret: bytes.Repeat([]byte{0xa5}, seal.KeySize)})
	if err != nil {
		f.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	h := &Handler{tokens: tokens{keyring: ringA, now: now}}
	other := &Handler{tokens: tokens{keyring: ringB, now: now}}

	genuine, _ := h.tokens.seal(tokenClaims{Kind: tokenCalSyncUpdated, Account: 7, Scope: "cal-1", Cursor: "c1"})
	foreign, _ := other.tokens.seal(tokenClaims{Kind: tokenCalSyncUpdated, Account: 7, Scope: "cal-1", Cursor: "c1"})
	for _, s := range []struct {
		raw, kind   string
		account     int64
		page        bool
		scope, curs string
		flip        uint16
	}{
		{genuine, tokenCalSyncUpdated, 7, false, "cal-1", "c1", 0},
		{foreign, tokenContactPage, 7, true, "", "p2", 3},
		{"", tokenMessagePage, 7, true, "", "x", 1},
		{"a1.", tokenTaskPage, 8, true, "list-2", "", 2},
		{"a1.!!!!", tokenTasksDeleted, 9, true, "list-3", "cur", 9},
		{"a1." + strings.Repeat("A", 64), tokenTasksDeleted, 9, false, "list-3", "cur", 40},
		{"a2." + genuine[3:], tokenCalSyncUpdated, 7, false, "cal-2", "c1", 7},
		{genuine + "=", tokenCalSyncUpdated, 8, false, "cal-1", "c1", 70},
	} {
		f.Add(s.raw, s.kind, s.account, s.page, s.scope, s.curs, s.flip)
	}

	places := tokenExpectations()
	refused := func(t *testing.T, what, place string, err error) {
		t.Helper()
		var ae *apierr.Error
		if err == nil {
			t.Fatalf("%s opened at %s", what, place)
		}
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidInput {
			t.Fatalf("%s at %s: err = %v, want invalidInput", what, place, err)
		}
	}
	f.Fuzz(func(t *testing.T, raw, kind string, account int64, page bool, scope, cursor string, flip uint16) {
		// 1. Any client string.
		for _, p := range places {
			c, err := p.open(h, raw)
			if err != nil {
				refused(t, "raw token", p.name, err)
				continue
			}
			if c.Kind != p.kind || c.Account != p.account || c.Page != p.page || (c.Scope != p.scope && !p.unscoped) || c.Cursor == "" {
				t.Fatalf("raw %q opened at %s with claims %+v", raw, p.name, c)
			}
			_, err = p.open(other, raw)
			refused(t, "a token that opens with the server's key", p.name+" with another key", err)
		}

		// 2. Claims sealed by the keyring, by another key, and tampered.
		claims := tokenClaims{Kind: kind, Account: account, Page: page, Scope: scope, Cursor: cursor}
		sealed, err := h.tokens.seal(claims)
		if !utf8.ValidString(cursor) {
			// JSON would change the cursor: sealing refuses it.
			if err == nil {
				t.Fatalf("sealed the cursor %q, which cannot come back intact", cursor)
			}
			return
		}
		if err != nil {
			t.Fatalf("seal %+v: %v", claims, err)
		}
		stranger, err := other.tokens.seal(claims)
		if err != nil {
			t.Fatal(err)
		}
		body, err := base64.RawURLEncoding.DecodeString(sealed[len(tokenFormatPrefix):])
		if err != nil {
			t.Fatalf("sealed token %q is not base64url: %v", sealed, err)
		}
		body[int(flip)%len(body)] ^= 1 << (flip >> 13)
		tampered := tokenFormatPrefix + base64.RawURLEncoding.EncodeToString(body)
		for _, p := range places {
			want := kind == p.kind && account == p.account && page == p.page && (scope == p.scope || p.unscoped) && cursor != "" &&
				len(sealed) <= maxTokenLength
			c, err := p.open(h, sealed)
			if (err == nil) != want {
				t.Fatalf("claims %+v sealed by the keyring, opened at %s: err = %v, want success %v", claims, p.name, err, want)
			}
			if err == nil && c.Cursor != cursor {
				t.Fatalf("cursor %q came back as %q", cursor, c.Cursor)
			} else if err != nil {
				refused(t, "a token of other claims", p.name, err)
			}
			_, err = p.open(h, stranger)
			refused(t, "a token sealed by another key", p.name, err)
			_, err = p.open(h, tampered)
			refused(t, "a tampered token", p.name, err)
		}
	})
}
