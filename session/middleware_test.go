package session

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
)

// tokens of a middleware test, by name, so tables can refer to them.
type tokens struct {
	aliceSes   string // alice, app-x, account alice1 chosen at sign-in
	aliceBare  string // alice, app-x, no account chosen
	bobSes     string // bob, app-x
	carolSes   string // carol, app-y
	alice2Acc  string // account token of alice2 (app-x)
	carolAcc   string // account token of carol1 (app-y)
	unknownSes string // well-formed, never issued
	unknownAcc string // well-formed, never issued
	expiredSes string // alice, expired by idleness
}

func newTokens(t *testing.T, f *fixture) tokens {
	t.Helper()
	expired := f.session(t, appX, "alice", 0)
	f.clock.Advance(15 * 24 * time.Hour) // the session above idles out
	tk := tokens{
		aliceSes:   f.session(t, appX, "alice", f.alice1),
		aliceBare:  f.session(t, appX, "alice", 0),
		bobSes:     f.session(t, appX, "bob", f.bob1),
		carolSes:   f.session(t, appY, "carol", f.carol1),
		alice2Acc:  f.accountToken(t, appX, f.alice2),
		carolAcc:   f.accountToken(t, appY, f.carol1),
		unknownSes: newToken(sessionPrefix),
		unknownAcc: newToken(accountPrefix),
		expiredSes: expired,
	}
	return tk
}

// req builds a request: path with query, then header lines "Key: value"
// (repeatable), then cookies "name=value".
func req(target string, headers []string, cookies ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Add(k, v)
	}
	for _, c := range cookies {
		name, value, _ := strings.Cut(c, "=")
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return r
}

func TestMiddleware_credentialSources(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	cx, cy := f.m.CookieName(appX), f.m.CookieName(appY)
	tests := []struct {
		name    string
		r       *http.Request
		want    Principal // SessionToken is checked separately
		wantTok string
	}{
		{"no credential", req("/", nil), Principal{}, ""},
		{"bearer session", req("/", []string{"Authorization: Bearer " + tk.aliceSes}),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaBearer}, tk.aliceSes},
		{"lower-case bearer scheme", req("/", []string{"Authorization: bearer " + tk.aliceSes}),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaBearer}, tk.aliceSes},
		{"bearer session without account", req("/", []string{"Authorization: Bearer " + tk.aliceBare}),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", Via: ViaBearer}, tk.aliceBare},
		{"bearer account token", req("/", []string{"Authorization: Bearer " + tk.alice2Acc}),
			Principal{Kind: KindAccount, AppID: appX, AccountID: f.alice2, Via: ViaBearer}, ""},
		{"session header", req("/", []string{"X-Aurinko-Session: " + tk.bobSes}),
			Principal{Kind: KindUser, AppID: appX, UserID: "bob", AccountID: f.bob1, Via: ViaHeader}, tk.bobSes},
		{"session header, lower case name", req("/", []string{"x-aurinko-session: " + tk.bobSes}),
			Principal{Kind: KindUser, AppID: appX, UserID: "bob", AccountID: f.bob1, Via: ViaHeader}, tk.bobSes},
		{"cookie, no app named", req("/", nil, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaCookie}, tk.aliceSes},
		{"cookie, app named by X-Aurinko-ClientId", req("/", []string{"X-Aurinko-ClientId: " + appY}, cx+"="+tk.aliceSes, cy+"="+tk.carolSes),
			Principal{Kind: KindUser, AppID: appY, UserID: "carol", AccountID: f.carol1, Via: ViaCookie}, tk.carolSes},
		{"cookie, app named by x-aurinko-clientid", req("/", []string{"x-aurinko-clientid: " + appY}, cx+"="+tk.aliceSes, cy+"="+tk.carolSes),
			Principal{Kind: KindUser, AppID: appY, UserID: "carol", AccountID: f.carol1, Via: ViaCookie}, tk.carolSes},
		{"cookie, app named by X-Aurinko-Client-Id", req("/", []string{"X-Aurinko-Client-Id: " + appX}, cy+"="+tk.carolSes, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaCookie}, tk.aliceSes},
		{"cookie, app named by clientId query", req("/?clientId="+appY, nil, cx+"="+tk.aliceSes, cy+"="+tk.carolSes),
			Principal{Kind: KindUser, AppID: appY, UserID: "carol", AccountID: f.carol1, Via: ViaCookie}, tk.carolSes},
		{"cookie, named app has none", req("/?clientId="+appY, nil, cx+"="+tk.aliceSes), Principal{}, ""},
		{"cookie, no app named, first dead one skipped", req("/", nil, cx+"="+tk.expiredSes, cy+"="+tk.carolSes),
			Principal{Kind: KindUser, AppID: appY, UserID: "carol", AccountID: f.carol1, Via: ViaCookie}, tk.carolSes},
		{"cookie, named app, shadowing cookie of the same name skipped", req("/?clientId="+appX, nil, cx+"="+tk.unknownSes, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaCookie}, tk.aliceSes},
		{"cookie of another prefix ignored", req("/", nil, "other_app-2Dx="+tk.aliceSes), Principal{}, ""},
		{"bearer wins over header and cookie", req("/", []string{"Authorization: Bearer " + tk.bobSes, "X-Aurinko-Session: " + tk.aliceSes}, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "bob", AccountID: f.bob1, Via: ViaBearer}, tk.bobSes},
		{"header wins over cookie", req("/", []string{"X-Aurinko-Session: " + tk.bobSes}, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "bob", AccountID: f.bob1, Via: ViaHeader}, tk.bobSes},
		{"Basic auth is not ours: cookie used", req("/", []string{"Authorization: Basic YXBwLXg6c2VjcmV0"}, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaCookie}, tk.aliceSes},
		{"foreign bearer (an SSO JWT) is not ours: cookie used", req("/", []string{"Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig"}, cx+"="+tk.aliceSes),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaCookie}, tk.aliceSes},
		{"dead bearer session does not fall back to the cookie", req("/", []string{"Authorization: Bearer " + tk.expiredSes}, cx+"="+tk.aliceSes), Principal{}, ""},
		{"unknown session header does not fall back to the cookie", req("/", []string{"X-Aurinko-Session: " + tk.unknownSes}, cx+"="+tk.aliceSes), Principal{}, ""},
		{"expired session", req("/", []string{"Authorization: Bearer " + tk.expiredSes}), Principal{}, ""},
		{"unknown account token", req("/", []string{"Authorization: Bearer " + tk.unknownAcc}), Principal{}, ""},
		// A session of app X presented for app Y is nobody.
		{"session of X with ClientId of Y", req("/", []string{"Authorization: Bearer " + tk.aliceSes, "X-Aurinko-ClientId: " + appY}), Principal{}, ""},
		{"session of X with Client-Id of Y", req("/", []string{"X-Aurinko-Session: " + tk.aliceSes, "X-Aurinko-Client-Id: " + appY}), Principal{}, ""},
		{"session of X with clientId query of Y", req("/?clientId="+appY, []string{"Authorization: Bearer " + tk.aliceSes}), Principal{}, ""},
		{"X's cookie value under Y's cookie name, Y named", req("/?clientId="+appY, nil, cy+"="+tk.aliceSes), Principal{}, ""},
		{"account token of Y with ClientId of X", req("/", []string{"Authorization: Bearer " + tk.carolAcc, "X-Aurinko-ClientId: " + appX}), Principal{}, ""},
		{"session of X with ClientId of X", req("/", []string{"Authorization: Bearer " + tk.aliceSes, "X-Aurinko-ClientId: " + appX}),
			Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: f.alice1, Via: ViaBearer}, tk.aliceSes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := f.serve(tc.r, nil)
			if !got.Called || got.Err != nil {
				t.Fatalf("handler called %v, error %v", got.Called, got.Err)
			}
			if got.OK != (tc.want.Kind != KindNone) {
				t.Fatalf("FromContext ok = %v for %v", got.OK, got.Principal)
			}
			if got.Principal.SessionToken != tc.wantTok {
				t.Errorf("SessionToken is not the request's token")
			}
			got.Principal.SessionToken = ""
			if got.Principal != tc.want {
				t.Fatalf("principal = %v, want %v", got.Principal, tc.want)
			}
		})
	}
}

func TestMiddleware_hostileCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	cx := f.m.CookieName(appX)
	long := "ses_" + strings.Repeat("A", 10<<10)
	tests := []struct {
		name    string
		headers []string
		cookies []string
	}{
		{"empty bearer", []string{"Authorization: Bearer "}, nil},
		{"Bearer without token", []string{"Authorization: Bearer"}, nil},
		{"bare prefix", []string{"Authorization: Bearer ses_"}, nil},
		{"account prefix only", []string{"Authorization: Bearer acc_"}, nil},
		{"10 KB token", []string{"Authorization: Bearer " + long}, nil},
		{"10 KB session header", []string{"X-Aurinko-Session: " + long}, nil},
		{"10 KB cookie", nil, []string{cx + "=" + long}},
		{"not base64url", []string{"Authorization: Bearer ses_" + strings.Repeat("*", 43)}, nil},
		{"standard base64 alphabet", []string{"Authorization: Bearer ses_" + strings.Repeat("+/", 21) + "="}, nil},
		{"token with a space inside", []string{"Authorization: Bearer " + tk.aliceSes[:20] + " " + tk.aliceSes[20:]}, nil},
		{"token and trailing garbage", []string{"Authorization: Bearer " + tk.aliceSes + " x"}, nil},
		{"two Authorization headers, both valid", []string{"Authorization: Bearer " + tk.aliceSes, "Authorization: Bearer " + tk.bobSes}, nil},
		{"two Authorization headers, valid after junk", []string{"Authorization: Bearer junk", "Authorization: Bearer " + tk.aliceSes}, nil},
		{"two session headers", []string{"X-Aurinko-Session: " + tk.aliceSes, "X-Aurinko-Session: " + tk.bobSes}, nil},
		{"account token in the session header", []string{"X-Aurinko-Session: " + tk.alice2Acc}, nil},
		{"account token as cookie", nil, []string{cx + "=" + tk.alice2Acc}},
		{"token without prefix", []string{"Authorization: Bearer " + tk.aliceSes[4:]}, nil},
		{"upper-case prefix", []string{"Authorization: Bearer SES_" + tk.aliceSes[4:]}, nil},
		{"prefix spoof", []string{"Authorization: Bearer ses_acc_" + tk.alice2Acc[4:43]}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, got := f.serve(req("/", tc.headers, tc.cookies...), f.m.RequireAny)
			if got.Called || rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, handler called %v (principal %v)", rec.Code, got.Called, got.Principal)
			}
			if b := errorBody(t, rec); b.Code != apierr.Unauthorized {
				t.Fatalf("body %+v", b)
			}
			if strings.Contains(rec.Body.String(), "ses_") || strings.Contains(rec.Body.String(), "acc_") {
				t.Fatalf("response echoes a token: %s", rec.Body.String())
			}
		})
	}
}

func TestMiddleware_malformedTokensCostNoLookup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, h := range []string{"Bearer ses_", "Bearer ses_" + strings.Repeat("A", 10<<10), "Bearer ses_" + strings.Repeat("*", 43), "Bearer acc_x y"} {
		f.serve(req("/", []string{"Authorization: " + h}), nil)
	}
	if n := f.st.gets.Load() + f.st.tokenGets.Load(); n != 0 {
		t.Fatalf("%d store lookups", n)
	}
}

func TestMiddleware_triesAtMostFiveCookies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	var cookies []string
	for i := range 6 {
		cookies = append(cookies, f.m.CookieName("junk"+strconv.Itoa(i))+"="+newToken(sessionPrefix))
	}
	cookies = append(cookies, f.m.CookieName(appX)+"="+tk.aliceSes)
	before := f.st.gets.Load()
	_, got := f.serve(req("/", nil, cookies...), nil)
	if got.OK {
		t.Fatalf("the 7th cookie was tried: %v", got.Principal)
	}
	if n := f.st.gets.Load() - before; n != 5 {
		t.Fatalf("%d session lookups, want 5", n)
	}
}

// TestMiddleware_accountHeader covers the account-id header in each
// spelling and the IDOR cases: a caller never acts as an account that is
// not theirs, and cannot tell a missing account from another user's.
func TestMiddleware_accountHeader(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	bearer := func(tok string) string { return "Authorization: Bearer " + tok }
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	tests := []struct {
		name     string
		headers  []string
		status   int
		code     apierr.Code
		wantAcct int64 // when status is 200
	}{
		{"spec spelling", []string{bearer(tk.aliceSes), "X-Aurinko-Account-Id: " + id(f.alice2)}, 200, "", f.alice2},
		{"docs spelling", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: " + id(f.alice2)}, 200, "", f.alice2},
		{"lower case", []string{bearer(tk.aliceSes), "x-aurinko-account-id: " + id(f.alice2)}, 200, "", f.alice2},
		{"both spellings agreeing", []string{bearer(tk.aliceSes), "X-Aurinko-Account-Id: " + id(f.alice2), "X-Aurinko-AccountId: " + id(f.alice2)}, 200, "", f.alice2},
		{"own account chosen at sign-in", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: " + id(f.alice1)}, 200, "", f.alice1},
		{"session without account picks one", []string{bearer(tk.aliceBare), "X-Aurinko-AccountId: " + id(f.alice2)}, 200, "", f.alice2},
		{"no header: the session's account", []string{bearer(tk.aliceSes)}, 200, "", f.alice1},
		{"empty header: the session's account", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: "}, 200, "", f.alice1},
		{"surrounding spaces", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId:  " + id(f.alice2) + " "}, 200, "", f.alice2},
		// IDOR: every foreign or missing account is the same 404.
		{"user A names user B's account", []string{bearer(tk.aliceSes), "X-Aurinko-Account-Id: " + id(f.bob1)}, 404, apierr.NotFound, 0},
		{"user B names user A's account", []string{bearer(tk.bobSes), "X-Aurinko-AccountId: " + id(f.alice2)}, 404, apierr.NotFound, 0},
		{"account of another app", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: " + id(f.carol1)}, 404, apierr.NotFound, 0},
		{"app Y user names app X account", []string{bearer(tk.carolSes), "X-Aurinko-AccountId: " + id(f.alice1)}, 404, apierr.NotFound, 0},
		{"missing account", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: 999999"}, 404, apierr.NotFound, 0},
		{"own and foreign in two spellings", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: " + id(f.alice1), "X-Aurinko-Account-Id: " + id(f.bob1)}, 400, apierr.InvalidInput, 0},
		{"cookie session names B's account", []string{"Cookie: " + f.m.CookieName(appX) + "=" + tk.aliceSes, "X-Aurinko-AccountId: " + id(f.bob1)}, 404, apierr.NotFound, 0},
		{"header session names B's account", []string{"X-Aurinko-Session: " + tk.aliceSes, "X-Aurinko-AccountId: " + id(f.bob1)}, 404, apierr.NotFound, 0},
		// Account tokens act as their account only.
		{"account token, own id", []string{bearer(tk.alice2Acc), "X-Aurinko-AccountId: " + id(f.alice2)}, 200, "", f.alice2},
		{"account token, another account of the same user", []string{bearer(tk.alice2Acc), "X-Aurinko-AccountId: " + id(f.alice1)}, 404, apierr.NotFound, 0},
		{"account token, another user's account", []string{bearer(tk.alice2Acc), "X-Aurinko-Account-Id: " + id(f.bob1)}, 404, apierr.NotFound, 0},
		{"account token, missing account", []string{bearer(tk.alice2Acc), "X-Aurinko-Account-Id: 999999"}, 404, apierr.NotFound, 0},
		{"account token, malformed id", []string{bearer(tk.alice2Acc), "X-Aurinko-Account-Id: x"}, 400, apierr.InvalidInput, 0},
		// Malformed values.
		{"letters", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: abc"}, 400, apierr.InvalidInput, 0},
		{"zero", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: 0"}, 400, apierr.InvalidInput, 0},
		{"negative", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: -" + id(f.alice1)}, 400, apierr.InvalidInput, 0},
		{"plus sign", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: +" + id(f.alice1)}, 400, apierr.InvalidInput, 0},
		{"hex", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: 0x1"}, 400, apierr.InvalidInput, 0},
		{"list", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: " + id(f.alice1) + "," + id(f.alice2)}, 400, apierr.InvalidInput, 0},
		{"overflow", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: 9223372036854775808"}, 400, apierr.InvalidInput, 0},
		{"float", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: 1.0"}, 400, apierr.InvalidInput, 0},
		{"two values of one header", []string{bearer(tk.aliceSes), "X-Aurinko-AccountId: " + id(f.alice1), "X-Aurinko-AccountId: " + id(f.alice2)}, 400, apierr.InvalidInput, 0},
		// Without a valid credential the header is not even looked at.
		{"anonymous with a header", []string{"X-Aurinko-AccountId: " + id(f.alice1)}, 401, apierr.Unauthorized, 0},
		{"anonymous with a bad header", []string{"X-Aurinko-AccountId: abc"}, 401, apierr.Unauthorized, 0},
		{"dead session with B's account", []string{bearer(tk.expiredSes), "X-Aurinko-AccountId: " + id(f.bob1)}, 401, apierr.Unauthorized, 0},
		// Two different apps named.
		{"conflicting client ids", []string{bearer(tk.aliceSes), "X-Aurinko-ClientId: " + appX, "X-Aurinko-Client-Id: " + appY}, 400, apierr.InvalidInput, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, got := f.serve(req("/", tc.headers), f.m.RequireAny)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != http.StatusOK {
				if got.Called || strings.Contains(rec.Body.String(), "secret data") {
					t.Fatal("handler ran")
				}
				if b := errorBody(t, rec); b.Code != tc.code || strings.Contains(b.Message, "bob") || strings.Contains(b.Message, "@") {
					t.Fatalf("body %+v", b)
				}
				return
			}
			if !got.OK || got.Principal.AccountID != tc.wantAcct {
				t.Fatalf("principal %v, want account %d", got.Principal, tc.wantAcct)
			}
		})
	}
}

// TestMiddleware_accountHeaderErrorsRecorded checks what a handler sees
// when it is mounted without Require*: nobody, and the recorded error.
func TestMiddleware_accountHeaderErrorsRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	rec, got := f.serve(req("/", []string{"Authorization: Bearer " + tk.aliceSes, "X-Aurinko-AccountId: " + strconv.FormatInt(f.bob1, 10)}), nil)
	if rec.Code != http.StatusOK || !got.Called {
		t.Fatalf("Middleware alone must not answer: %d", rec.Code)
	}
	if got.OK || got.Principal != (Principal{}) {
		t.Fatalf("FromContext = %v, %v; want anonymous", got.Principal, got.OK)
	}
	if apierr.CodeOf(got.Err) != apierr.NotFound {
		t.Fatalf("ErrorFromContext = %v", got.Err)
	}
}

// TestMiddleware_missingAndForeignAccountLookAlike: the 404 for another
// user's account and for a missing one are the same bytes but the request id.
func TestMiddleware_missingAndForeignAccountLookAlike(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	body := func(account string) string {
		r := req("/", []string{"Authorization: Bearer " + tk.aliceSes, "X-Aurinko-AccountId: " + account, "X-Request-Id: fixed"})
		rec, _ := f.serve(r, f.m.RequireAny)
		return fmt.Sprint(rec.Code, rec.Header(), rec.Body)
	}
	if foreign, missing := body(strconv.FormatInt(f.bob1, 10)), body("424242"); foreign != missing {
		t.Fatalf("foreign: %s\nmissing: %s", foreign, missing)
	}
}

// TestMiddleware_lowerCaseHeadersOnTheWire sends raw HTTP/1.1 with
// lower-case header names, as some clients do, through the server parser.
func TestMiddleware_lowerCaseHeadersOnTheWire(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	for _, name := range []string{"x-aurinko-accountid", "x-aurinko-account-id", "X-AURINKO-ACCOUNTID", "X-Aurinko-AccountId"} {
		raw := "GET /v1/email/messages HTTP/1.1\r\nHost: api.example.com\r\n" +
			"authorization: Bearer " + tk.aliceSes + "\r\n" +
			"x-aurinko-clientid: " + appX + "\r\n" +
			name + ": " + strconv.FormatInt(f.alice2, 10) + "\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		_, got := f.serve(r, f.m.RequireAccount)
		if !got.OK || got.Principal.AccountID != f.alice2 {
			t.Errorf("%s: principal %v", name, got.Principal)
		}
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tk := newTokens(t, f)
	bearer := func(tok string) []string { return []string{"Authorization: Bearer " + tok} }
	type mw = func(http.Handler) http.Handler
	tests := []struct {
		name    string
		require mw
		headers []string
		status  int
		code    apierr.Code
	}{
		{"user: session", f.m.RequireUser, bearer(tk.aliceBare), 200, ""},
		{"user: account token", f.m.RequireUser, bearer(tk.alice2Acc), 403, apierr.Forbidden},
		{"user: anonymous", f.m.RequireUser, nil, 401, apierr.Unauthorized},
		{"account: account token", f.m.RequireAccount, bearer(tk.alice2Acc), 200, ""},
		{"account: session with account", f.m.RequireAccount, bearer(tk.aliceSes), 200, ""},
		{"account: session without account", f.m.RequireAccount, bearer(tk.aliceBare), 400, apierr.InvalidInput},
		{"account: session without account, header", f.m.RequireAccount, append(bearer(tk.aliceBare), "X-Aurinko-Account-Id: "+strconv.FormatInt(f.alice1, 10)), 200, ""},
		{"account: anonymous", f.m.RequireAccount, nil, 401, apierr.Unauthorized},
		{"any: session", f.m.RequireAny, bearer(tk.aliceBare), 200, ""},
		{"any: account token", f.m.RequireAny, bearer(tk.alice2Acc), 200, ""},
		{"any: anonymous", f.m.RequireAny, nil, 401, apierr.Unauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, got := f.serve(req("/", tc.headers), tc.require)
			if rec.Code != tc.status || got.Called != (tc.status == 200) {
				t.Fatalf("status %d, called %v", rec.Code, got.Called)
			}
			if tc.status != 200 {
				if b := errorBody(t, rec); b.Code != tc.code {
					t.Fatalf("body %+v", b)
				}
			}
		})
	}
}

func TestMiddleware_storeFailureIs500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	f := newFixture(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	tok := f.session(t, appX, "alice", f.alice1)
	f.st.fail.Store(true)
	rec, got := f.serve(req("/", []string{"Authorization: Bearer " + tok}), f.m.RequireAny)
	if rec.Code != http.StatusInternalServerError || got.Called {
		t.Fatalf("status %d, called %v", rec.Code, got.Called)
	}
	if b := errorBody(t, rec); b.Code != apierr.Internal || b.Message != "internal error" {
		t.Fatalf("body %+v", b)
	}
	if !strings.Contains(logs.String(), "database is down") || strings.Contains(logs.String(), tok[4:]) {
		t.Fatalf("logs: %s", logs.String())
	}
}

func TestPrincipal_neverPrintsToken(t *testing.T) {
	t.Parallel()
	tok := newToken(sessionPrefix)
	p := Principal{Kind: KindUser, AppID: appX, UserID: "alice", AccountID: 7, SessionToken: tok, Via: ViaCookie}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("who", "principal", p)
	for _, s := range []string{fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s", p, p, p, p), logs.String()} {
		if strings.Contains(s, tok[4:]) {
			t.Fatalf("token printed: %s", s)
		}
		if !strings.Contains(s, "alice") {
			t.Fatalf("principal not printed: %s", s)
		}
	}
}

func TestNewContext(t *testing.T) {
	t.Parallel()
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("empty context has a principal")
	}
	p := Principal{Kind: KindAccount, AppID: appX, AccountID: 3, Via: ViaBearer}
	got, ok := FromContext(NewContext(context.Background(), p))
	if !ok || got != p {
		t.Fatalf("FromContext = %v, %v", got, ok)
	}
	if _, ok := FromContext(NewContext(context.Background(), Principal{})); ok {
		t.Fatal("KindNone principal reported as present")
	}
	if ErrorFromContext(NewContext(context.Background(), p)) != nil {
		t.Fatal("NewContext recorded an error")
	}
	if k := Kind(9).String(); k != "Kind(9)" || KindUser.String() != "user" {
		t.Fatalf("Kind strings: %s %s", k, KindUser)
	}
}
