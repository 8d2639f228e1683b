package session

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzBearerToken checks the Authorization parser: an accepted value has
// the Bearer scheme (any case) and a non-empty token without leading
// spaces, and the token it yields is read back unchanged from a canonical
// "Bearer <token>" header.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{
		"Bearer ses_" + strings.Repeat("A", 43), "bearer acc_x", "BEARER  tok", "Bearer", "Bearer ",
		"Basic YTpi", "Bearer\ttok", "Bearertok", "", " Bearer x", "Bearer a b", "Bearer \x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, ok := bearerToken(v)
		if !ok {
			if tok != "" {
				t.Fatalf("rejected %q but returned token %q", v, tok)
			}
			return
		}
		scheme, _, _ := strings.Cut(v, " ")
		if !strings.EqualFold(scheme, "Bearer") || tok == "" || tok[0] == ' ' || !strings.HasSuffix(v, tok) {
			t.Fatalf("accepted %q as token %q", v, tok)
		}
		if again, ok := bearerToken("Bearer " + tok); !ok || again != tok {
			t.Fatalf("token %q of %q does not round-trip: %q, %v", tok, v, again, ok)
		}
	})
}

// FuzzParseAccountID checks the account-id parser: an accepted value is
// all ASCII digits, names a positive int64 and re-encodes to itself but for
// leading zeros.
func FuzzParseAccountID(f *testing.F) {
	for _, s := range []string{"1", "42", "007", "0", "-1", "+1", " 1", "1 ", "9223372036854775807",
		"9223372036854775808", "99999999999999999999", "1e3", "0x1f", "١٢", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, ok := parseAccountID(v)
		if !ok {
			return
		}
		if n <= 0 || strings.TrimLeft(v, "0") != strconv.FormatInt(n, 10) {
			t.Fatalf("accepted %q as %d", v, n)
		}
	})
}

// FuzzAccountHeader checks the account-id headers in both spellings: a
// named id is what every non-empty value says, an error is returned exactly
// when some value is not an id or two values disagree.
func FuzzAccountHeader(f *testing.F) {
	f.Add("12", "12")
	f.Add("12", "13")
	f.Add("", " 7 ")
	f.Add("x", "")
	f.Add("0", "")
	f.Add(" ", "\t")
	f.Fuzz(func(t *testing.T, a, b string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header[HeaderAccountID] = []string{a}
		r.Header[canonicalAccountID2] = []string{b}
		id, named, err := accountHeader(r)

		var want int64
		var wantNamed, wantErr bool
		for _, v := range []string{a, b} {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			n, ok := parseAccountID(v)
			if !ok || (wantNamed && n != want) {
				wantErr = true
				break
			}
			want, wantNamed = n, true
		}
		switch {
		case wantErr:
			if err == nil || named {
				t.Fatalf("%q, %q: got id %d named %v err %v, want an error", a, b, id, named, err)
			}
		case err != nil || named != wantNamed || id != want:
			t.Fatalf("%q, %q: got id %d named %v err %v, want %d %v", a, b, id, named, err, want, wantNamed)
		}
	})
}

// FuzzMiddleware sends requests with hostile credential headers through the
// middleware over a store holding real sessions. Whatever the headers:
// nothing panics; a value that is not shaped like a token this package
// issues never costs a store lookup; a request resolves to a user only with
// a token that was issued, and to an account only of that user.
func FuzzMiddleware(f *testing.F) {
	fx := newFixture(f, nil)
	alice := fx.session(f, appX, "alice", fx.alice1)
	carol := fx.session(f, appY, "carol", 0)
	acc := fx.accountToken(f, appX, fx.alice2)
	issued := map[string]string{alice: "alice", carol: "carol"}
	accounts := map[int64]string{fx.alice1: "alice", fx.alice2: "alice", fx.bob1: "bob", fx.carol1: "carol"}

	seeds := []struct{ auth, sess, cookie, account, client string }{
		{"Bearer " + alice, "", "", "", ""},
		{"Bearer " + alice, "", "", strconv.FormatInt(fx.alice2, 10), appX},
		{"Bearer " + alice, "", "", strconv.FormatInt(fx.bob1, 10), ""},
		{"bearer " + acc, "", "", "", ""},
		{"", carol, "", "", appY},
		{"", "", "aurinko_session_app-2Dx=" + alice, "", appX},
		{"", "", "aurinko_session_app-2Dy=" + carol + "; aurinko_session_app-2Dx=" + alice, "", ""},
		{"Basic YTpi", "ses_short", "aurinko_session_x=acc_" + strings.Repeat("-", 43), "1", "app-z"},
		{"Bearer ses_" + strings.Repeat("A", 43), " ", "=;;;", "99999999999999999999", "a,b"},
	}
	for _, s := range seeds {
		f.Add(s.auth, s.sess, s.cookie, s.account, s.client)
	}
	f.Fuzz(func(t *testing.T, auth, sess, cookie, account, client string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
		for k, v := range map[string]string{"Authorization": auth, HeaderSession: sess, "Cookie": cookie,
			HeaderAccountID: account, HeaderClientID: client} {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		// Every value the middleware could look up.
		var candidates []string
		if tok, ok := bearerToken(auth); ok {
			candidates = append(candidates, tok)
		}
		candidates = append(candidates, strings.TrimSpace(sess))
		for _, c := range r.Cookies() {
			candidates = append(candidates, c.Value)
		}
		shaped := false
		for _, c := range candidates {
			shaped = shaped || wellFormed(c, sessionPrefix) || wellFormed(c, accountPrefix)
		}

		before := fx.st.gets.Load() + fx.st.tokenGets.Load()
		var got Principal
		var resolved bool
		fx.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, resolved = FromContext(r.Context())
		})).ServeHTTP(httptest.NewRecorder(), r)
		lookups := fx.st.gets.Load() + fx.st.tokenGets.Load() - before

		if !shaped && lookups != 0 {
			t.Fatalf("%d store lookups for credentials %q that no token could match", lookups, candidates)
		}
		if !resolved {
			return
		}
		switch got.Kind {
		case KindUser:
			if issued[got.SessionToken] != got.UserID {
				t.Fatalf("resolved user %q with token %q that was not issued to them", got.UserID, got.SessionToken)
			}
			if got.AccountID != 0 && accounts[got.AccountID] != got.UserID {
				t.Fatalf("user %q acts as account %d of %q", got.UserID, got.AccountID, accounts[got.AccountID])
			}
		case KindAccount:
			if !strings.Contains(auth, acc) || got.AccountID != fx.alice2 {
				t.Fatalf("resolved account %d from %q", got.AccountID, auth)
			}
		}
	})
}
