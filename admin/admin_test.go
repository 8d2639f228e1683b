package admin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/webhooks"
)

func TestNew_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no accounts", Config{PasswordHash: e.hash}},
		{"no credentials", Config{Accounts: e.accounts}},
		{"hash not bcrypt", Config{Accounts: e.accounts, PasswordHash: "secret"}},
		{"relative base path", Config{Accounts: e.accounts, PasswordHash: e.hash, BasePath: "admin"}},
		{"base path ends with slash", Config{Accounts: e.accounts, PasswordHash: e.hash, BasePath: "/admin/"}},
		{"short CSRF key", Config{Accounts: e.accounts, PasswordHash: e.hash, CSRFKey: []byte("short")}},
		{"huge page", Config{Accounts: e.accounts, PasswordHash: e.hash, PageSize: store.MaxPageLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), "admin: ") {
				t.Fatalf("New: %v, want an admin: error", err)
			}
		})
	}
}

// TestAuth_refusesEverythingButAdminCredentials: user sessions and account
// tokens of the API, valid as they are, open nothing here.
func TestAuth_refusesEverythingButAdminCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	sm, err := session.New(session.Config{Store: e.store, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ses, _, err := sm.Create(ctx, testApp, e.alice.User.ID, e.alice.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := sm.IssueAccountToken(ctx, testApp, e.alice.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The credentials are live: the API's middleware accepts them.
	if _, err := sm.Resolve(ctx, ses); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.ResolveAccountToken(ctx, acc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		set  func(r *http.Request)
		want int
	}{
		{"no credentials", func(*http.Request) {}, http.StatusUnauthorized},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth(testUser, "wrong") }, http.StatusUnauthorized},
		{"wrong user", func(r *http.Request) { r.SetBasicAuth("admin", testPassword) }, http.StatusUnauthorized},
		{"empty password", func(r *http.Request) { r.SetBasicAuth(testUser, "") }, http.StatusUnauthorized},
		{"session bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+ses) }, http.StatusUnauthorized},
		{"session header", func(r *http.Request) { r.Header.Set("X-Aurinko-Session", ses) }, http.StatusUnauthorized},
		{"session cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sm.CookieName(testApp), Value: ses}) }, http.StatusUnauthorized},
		{"account token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+acc) }, http.StatusUnauthorized},
		{"session as basic password", func(r *http.Request) { r.SetBasicAuth(testUser, ses) }, http.StatusUnauthorized},
		{"admin", func(r *http.Request) { r.SetBasicAuth(testUser, testPassword) }, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/admin/", "/admin/users", "/admin/api/accounts", "/admin/static/admin.css"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				t.Parallel()
				r := httptest.NewRequest(http.MethodGet, path, nil)
				tt.set(r)
				resp := e.do(r, false)
				if resp.StatusCode != tt.want {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
				}
				if tt.want == http.StatusUnauthorized {
					if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
						t.Errorf("WWW-Authenticate = %q", got)
					}
					b, _ := io.ReadAll(resp.Body)
					if strings.Contains(string(b), "alice") {
						t.Errorf("refused answer leaks data: %s", b)
					}
				}
			})
		}
	}
	// A session's POST with a valid CSRF token is refused too.
	r := httptest.NewRequest(http.MethodPost, "/admin/accounts/"+strconv.FormatInt(e.alice.Account.ID, 10)+"/deactivate",
		strings.NewReader(url.Values{"csrf": {e.csrf()}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+ses)
	if resp := e.do(r, false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session POST: %d", resp.StatusCode)
	}
	if a, _ := e.store.GetAccount(ctx, e.alice.Account.ID); !a.Active {
		t.Fatal("account deactivated by a refused request")
	}
}

func TestAuth_hostAuthorize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.PasswordHash = ""
		c.Authorize = func(r *http.Request) bool { return r.Header.Get("X-Test-Admin") == "yes" }
	})
	tests := []struct {
		name   string
		header string
		basic  bool
		want   int
	}{
		{"authorized by host", "yes", false, http.StatusOK},
		{"not authorized", "", false, http.StatusUnauthorized},
		{"basic is off without a hash", "", true, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/admin/accounts", nil)
			if tt.header != "" {
				r.Header.Set("X-Test-Admin", tt.header)
			}
			if tt.basic {
				r.SetBasicAuth(testUser, testPassword)
			}
			resp := e.do(r, false)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != "" {
				t.Error("Basic challenge sent though Basic is off")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, creds := range []bool{true, false} {
		resp := e.do(httptest.NewRequest(http.MethodGet, "/admin/users", nil), creds)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("creds=%v: CSP %q lacks %q", creds, csp, want)
			}
		}
		if strings.Contains(csp, "script-src") {
			t.Errorf("CSP allows scripts: %q", csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("creds=%v: headers %v", creds, h)
		}
	}
}

func TestCSRF_refusesBadTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id := e.alice.Account.ID
	path := "/admin/accounts/" + strconv.FormatInt(id, 10) + "/deactivate"
	old := e.console.csrfToken("basic:" + testUser) // ages past the TTL below
	tests := []struct {
		name   string
		req    func() *http.Request
		before func()
		want   int
	}{
		{"missing", func() *http.Request { return formReq(path, url.Values{}) }, nil, http.StatusForbidden},
		{"wrong", func() *http.Request { return formReq(path, url.Values{"csrf": {flipMAC(e.csrf())}}) }, nil, http.StatusForbidden},
		{"non-canonical base64", func() *http.Request { return formReq(path, url.Values{"csrf": {nonCanonical(e.csrf())}}) }, nil, http.StatusForbidden},
		{"garbage", func() *http.Request { return formReq(path, url.Values{"csrf": {"<x>"}}) }, nil, http.StatusForbidden},
		{"other principal", func() *http.Request { return formReq(path, url.Values{"csrf": {e.console.csrfToken("host")}}) }, nil, http.StatusForbidden},
		{"in the query only", func() *http.Request {
			r := formReq(path+"?csrf="+url.QueryEscape(e.csrf()), url.Values{})
			return r
		}, nil, http.StatusForbidden},
		{"cross-site with a valid token", func() *http.Request {
			r := formReq(path, url.Values{"csrf": {e.csrf()}})
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}, nil, http.StatusForbidden},
		{"GET", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, path+"?csrf="+url.QueryEscape(e.csrf()), nil)
		}, nil, http.StatusNotFound},
		{"expired", func() *http.Request { return formReq(path, url.Values{"csrf": {old}}) }, func() { e.clock.Advance(DefaultCSRFTTL + time.Minute) }, http.StatusForbidden},
	}
	for _, tt := range tests { // sequential: "expired" moves the clock
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			resp := e.do(tt.req(), true)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if a, _ := e.store.GetAccount(context.Background(), id); !a.Active {
				t.Fatal("account deactivated by a refused request")
			}
		})
	}
	if resp := e.post(path, e.csrf(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid token: %d", resp.StatusCode)
	}
}

// flipMAC changes one character inside the MAC part of a token.
func flipMAC(tok string) string {
	const i = 30
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// nonCanonical sets the unused low bits of the last character, which a lax
// decoder ignores.
func nonCanonical(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[i|1])
}

func formReq(path string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

func TestTemplateInjection_escaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, path := range []string{
		"/admin/users",
		"/admin/users?q=" + url.QueryEscape(evilName),
		"/admin/users/" + url.PathEscape(e.evil.User.ID),
		"/admin/accounts/" + strconv.FormatInt(e.evil.Account.ID, 10),
		"/admin/accounts?q=" + url.QueryEscape(`"><script>alert(2)</script>`),
	} {
		code, body := e.get(path)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", path, code)
		}
		if strings.Contains(body, "<script") {
			t.Errorf("%s: unescaped script in page", path)
		}
		if path != "/admin/accounts/"+strconv.FormatInt(e.evil.Account.ID, 10) && !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: escaped name missing", path)
		}
	}
}

func TestPages_renderSeededData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice, evil := strconv.FormatInt(e.alice.Account.ID, 10), e.evil.User.ID
	org := strconv.FormatInt(e.alice.Account.OrgID, 10)
	tests := []struct {
		path string
		want []string
	}{
		{"/admin/", []string{"1 app(s)", webhooks.JobKind, "k1"}},
		{"/admin/apps", []string{testApp, "https://addin.example.com/done", "https://addin.example.com", serviceType}},
		{"/admin/apps?q=mail", []string{testApp}},
		{"/admin/users", []string{"alice@example.com", "bob@example.com", "mallory@example.com"}},
		{"/admin/users?q=BOB", []string{"bob@example.com"}},
		{"/admin/users/" + url.PathEscape(e.alice.User.ID), []string{"alice@example.com", "Example Ltd", "/admin/accounts/" + alice}},
		{"/admin/organizations", []string{"Example Ltd", "example.com", "tenant-a"}},
		{"/admin/organizations?q=example", []string{"Example Ltd"}},
		{"/admin/organizations/" + org, []string{"alice@example.com", "bob@example.com", "/admin/accounts/" + alice}},
		{"/admin/accounts", []string{"alice@example.com", "bob@example.com", serviceType, "primary"}},
		{"/admin/accounts?status=active&serviceType=Crm&type=primary", []string{"alice@example.com"}},
		{"/admin/accounts/" + alice, []string{"alice@example.com", "Mail.Read", "crm.read", "2031-03-04 10:00:00 UTC", "2031-03-04 11:00:00 UTC",
			"/email/messages", "endpoint answered 503", "Force token refresh", "Re-send", "name=\"csrf\""}},
		{"/admin/jobs", []string{webhooks.JobKind, "endpoint answered 503", "webhook:" + strconv.FormatInt(e.sub.ID, 10)}},
		{"/admin/keys", []string{"k1", "Re-seal"}},
		{"/admin/static/admin.css", []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			code, body := e.get(tt.path)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	t.Run("users search excludes", func(t *testing.T) {
		t.Parallel()
		_, body := e.get("/admin/users?q=bob")
		if strings.Contains(body, "alice@example.com") {
			t.Error("search shows a user who does not match")
		}
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{"/admin/accounts/999999", "/admin/users/nobody", "/admin/organizations/424242", "/admin/nope", "/admin/api/accounts/12345678"} {
			if code, _ := e.get(p); code != http.StatusNotFound {
				t.Errorf("%s: %d", p, code)
			}
		}
	})
	_ = evil
}

func TestJSON_sameData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var users UsersPage
	e.getJSON("/admin/api/users?q=alice", &users)
	if len(users.Users) != 1 || users.Users[0].Email != "alice@example.com" || users.App != testApp {
		t.Fatalf("users: %+v", users)
	}
	var acct AccountPage
	e.getJSON("/admin/api/accounts/"+strconv.FormatInt(e.alice.Account.ID, 10), &acct)
	if acct.Account.ServiceType != serviceType || !acct.Token.HasCredential || acct.Token.Expiry.IsZero() ||
		len(acct.Subscriptions) != 1 || acct.Subscriptions[0].Queue != 0 || len(acct.Subscriptions[0].Failed) != 1 {
		t.Fatalf("account: %+v", acct)
	}
	var jobs JobsPage
	e.getJSON("/admin/api/jobs", &jobs)
	if len(jobs.Failed) != 1 || jobs.Counts[0].Kind != webhooks.JobKind || jobs.Counts[0].Queued != 1 || jobs.Counts[0].Failed != 1 {
		t.Fatalf("jobs: %+v", jobs)
	}
	var apps AppsPage
	e.getJSON("/admin/api/apps", &apps)
	if len(apps.Apps) != 1 || len(apps.Apps[0].Connectors) != 1 {
		t.Fatalf("apps: %+v", apps)
	}
	code, body := e.get("/admin/api/accounts?after=x")
	if code != http.StatusBadRequest || !strings.Contains(body, `"message"`) {
		t.Fatalf("bad cursor: %d %s", code, body)
	}
	for _, secret := range []string{"at-alice", "rt-alice", "0123456789abcdef0123"} {
		for _, p := range []string{"/admin/api/accounts/" + strconv.FormatInt(e.alice.Account.ID, 10), "/admin/api/apps", "/admin/api/jobs"} {
			if _, body := e.get(p); strings.Contains(body, secret) {
				t.Errorf("%s leaks a secret", p)
			}
		}
	}
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base, mount, want string
	}{
		{"derived from StripPrefix", "", "/admin", `href="/admin/users"`},
		{"derived, deeper mount", "", "/ops/console", `href="/ops/console/users"`},
		{"configured", "/behind/proxy", "/admin", `href="/behind/proxy/users"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.BasePath = tt.base })
			mux := http.NewServeMux()
			mux.Handle(tt.mount+"/", http.StripPrefix(tt.mount, e.console.handler))
			r := httptest.NewRequest(http.MethodGet, tt.mount+"/", nil)
			r.SetBasicAuth(testUser, testPassword)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("%d, want %s in %s", w.Code, tt.want, w.Body.String())
			}
		})
	}
}

// TestPaging_boundedOver2500Accounts: every page is one store read of at
// most PageSize+1 rows, and walking the pages visits every account once.
func TestPaging_boundedOver2500Accounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SearchBudget = 1000 })
	ctx := context.Background()
	const n = 2500
	for i := range n {
		if _, err := e.store.CreateAccount(ctx, store.Account{AppID: testApp, ServiceType: serviceType, Type: store.AccountSecondary,
			Active: true, TokenStatus: store.TokenActive, Email: "bulk" + strconv.Itoa(i) + "@example.com"}, store.Token{}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	after, pages := "", 0
	for {
		e.store.reset()
		var p AccountsPage
		e.getJSON("/admin/api/accounts?after="+after, &p)
		if c, r := e.store.calls.Load(), e.store.rows.Load(); c != 1 || r > DefaultPageSize+1 {
			t.Fatalf("page %d read %d lists, %d rows", pages, c, r)
		}
		for _, a := range p.Accounts {
			if seen[a.ID] {
				t.Fatalf("account %d on two pages", a.ID)
			}
			seen[a.ID] = true
		}
		pages++
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if len(seen) != n+3 || pages != (n+3+DefaultPageSize-1)/DefaultPageSize {
		t.Fatalf("saw %d accounts on %d pages", len(seen), pages)
	}

	// A search reads at most the budget and says where to continue.
	e.store.reset()
	var p AccountsPage
	e.getJSON("/admin/api/accounts?q=bulk2499@", &p)
	if r := e.store.rows.Load(); r > 1000 || !p.Truncated || p.Next == "" || len(p.Accounts) != 0 {
		t.Fatalf("search read %d rows: %+v", r, p.listInfo)
	}
	for p.Next != "" && len(p.Accounts) == 0 {
		e.store.reset()
		next := p.Next
		p = AccountsPage{}
		e.getJSON("/admin/api/accounts?q=bulk2499@&after="+next, &p)
		if r := e.store.rows.Load(); r > 1000 {
			t.Fatalf("search page read %d rows", r)
		}
	}
	if len(p.Accounts) != 1 || p.Accounts[0].Email != "bulk2499@example.com" {
		t.Fatalf("search did not find the account: %+v", p)
	}
}

func TestActions_changeTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	id := func(e *env) string { return strconv.FormatInt(e.alice.Account.ID, 10) }

	t.Run("deactivate", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		resp := e.post("/admin/accounts/"+id(e)+"/deactivate", e.csrf(), nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/accounts/"+id(e)+"?done=deactivated" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		a, _ := e.store.GetAccount(ctx, e.alice.Account.ID)
		if a.Active || a.TokenStatus != store.TokenInvalid || a.TokenError != deactivatedReason {
			t.Fatalf("account %+v", a)
		}
		if _, body := e.get("/admin/accounts/" + id(e) + "?done=deactivated"); !strings.Contains(body, notices["deactivated"]) {
			t.Error("no notice")
		}
	})
	t.Run("delete revokes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		if resp := e.post("/admin/accounts/"+id(e)+"/delete", e.csrf(), nil); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("unconfirmed delete: %d", resp.StatusCode)
		}
		resp := e.post("/admin/accounts/"+id(e)+"/delete", e.csrf(), url.Values{"confirm": {"yes"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/users/") {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, err := e.store.GetAccount(ctx, e.alice.Account.ID); err == nil {
			t.Fatal("account still there")
		}
		if e.provider.revoked.Load() != 1 {
			t.Fatalf("revocations: %d", e.provider.revoked.Load())
		}
	})
	t.Run("force refresh", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		before, _ := e.store.GetToken(ctx, e.alice.Account.ID)
		e.clock.Advance(10 * time.Minute) // the token is valid for 50 more minutes
		resp := e.post("/admin/accounts/"+id(e)+"/refresh", e.csrf(), nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "done=refreshed") {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		after, _ := e.store.GetToken(ctx, e.alice.Account.ID)
		if e.provider.refresh.Load() != 1 || after.Version != before.Version+1 || !after.RefreshedAt.Equal(e.clock.Now()) ||
			!after.Expiry.Equal(e.clock.Now().Add(time.Hour)) {
			t.Fatalf("refreshes %d, token before %+v after %+v", e.provider.refresh.Load(), before, after)
		}
		// The server's service serves the new token, keeping the
		// refresh token.
		tok, err := e.accounts.AccessToken(ctx, e.alice.Account.ID)
		if err != nil || tok.AccessToken != "at-refreshed-1" || tok.RefreshToken != "rt-alice" {
			t.Fatalf("token %+v %v", tok, err)
		}
		if _, body := e.get("/admin/accounts/" + id(e)); !strings.Contains(body, "2031-03-04 10:10:00 UTC") {
			t.Error("page does not show the new refresh time")
		}
	})
	t.Run("force refresh failure", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		e.provider.failWith = "invalid_grant"
		resp := e.post("/admin/accounts/"+id(e)+"/refresh", e.csrf(), nil)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("%d", resp.StatusCode)
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), "refresh failed") || strings.Contains(string(b), "rt-alice") {
			t.Fatalf("body %s", b)
		}
		if a, _ := e.store.GetAccount(ctx, e.alice.Account.ID); a.Active {
			t.Fatal("terminal refresh error left the account active")
		}
	})
	t.Run("requeue", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		jid := strconv.FormatInt(e.failedJob.ID, 10)
		resp := e.post("/admin/jobs/"+jid+"/requeue", e.csrf(), url.Values{"back": {"/accounts/" + id(e)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/accounts/"+id(e)+"?done=requeued" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		j, _ := e.store.GetJob(ctx, e.failedJob.ID)
		if j.State != store.JobQueued || j.Attempt != 0 {
			t.Fatalf("job %+v", j)
		}
		var p AccountPage
		e.getJSON("/admin/api/accounts/"+id(e), &p)
		if p.Subscriptions[0].Queue != 1 || len(p.Subscriptions[0].Failed) != 0 {
			t.Fatalf("subscription %+v", p.Subscriptions[0])
		}
		// Not failed any more: conflict.
		if resp := e.post("/admin/jobs/"+jid+"/requeue", e.csrf(), nil); resp.StatusCode != http.StatusConflict {
			t.Fatalf("second requeue: %d", resp.StatusCode)
		}
	})
	t.Run("requeue refuses foreign back paths", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		resp := e.post("/admin/jobs/"+strconv.FormatInt(e.failedJob.ID, 10)+"/requeue", e.csrf(), url.Values{"back": {"//evil.example/x"}})
		if resp.Header.Get("Location") != "/admin/jobs?done=requeued" {
			t.Fatalf("Location %s", resp.Header.Get("Location"))
		}
	})
}

// TestRotate_resealsUnderTheNewKey: the host restarted with [k2, k1]; the
// console re-seals what is still under k1 and reports the count.
func TestRotate_resealsUnderTheNewKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	kr2, err := seal.NewKeyring(testKey(t, "k2"), e.key)
	if err != nil {
		t.Fatal(err)
	}
	// Same store, the new keyring, a new console (as after a restart).
	c, err := newConsole(Config{Accounts: e.accounts, Keyring: kr2, Username: testUser, PasswordHash: e.hash, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", c.handler))
	e.mux, e.console = mux, c

	census := func() map[string]int {
		m := map[string]int{}
		if _, err := e.store.ResealSecrets(ctx, func(_ context.Context, old store.Sealed) (store.Sealed, bool, error) {
			id, err := seal.KeyID(old)
			m[id]++
			return nil, false, err
		}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := census()
	if before["k1"] != 4 { // one client secret, three tokens
		t.Fatalf("before: %v", before)
	}
	resp := e.post("/admin/keys/rotate", e.csrf(), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d", resp.StatusCode)
	}
	c.rotation.wait()
	var p KeysPage
	e.getJSON("/admin/api/keys", &p)
	if p.Rotation.Running || p.Rotation.Resealed != 4 || p.Rotation.Error != "" || p.Rotation.KeyID != "k2" || p.Primary != "k2" {
		t.Fatalf("keys page %+v", p)
	}
	if after := census(); after["k2"] != 4 || after["k1"] != 0 {
		t.Fatalf("after: %v", after)
	}
	if _, body := e.get("/admin/keys"); !strings.Contains(body, "re-sealed 4 secrets") {
		t.Error("page does not show the result")
	}
}

// TestRotate_showsProgress holds the walk after each secret and watches
// the count grow on the page; a second rotation is refused meanwhile.
func TestRotate_showsProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	kr2, err := seal.NewKeyring(testKey(t, "k2"), e.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newConsole(Config{Accounts: e.accounts, Keyring: kr2, Username: testUser, PasswordHash: e.hash, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.mux.Handle("/admin/", http.StripPrefix("/admin", c.handler))
	e.console = c
	gate := make(chan struct{})
	e.store.resealGate = gate
	if resp := e.post("/admin/keys/rotate", e.csrf(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d", resp.StatusCode)
	}
	// The walk counts a secret, then waits at the gate: while it waits
	// the count is exact.
	for want := int64(1); want <= 4; want++ {
		deadline := time.Now().Add(5 * time.Second)
		for c.rotation.snapshot().Resealed < want {
			if time.Now().After(deadline) {
				t.Fatalf("progress stuck at %d, want %d", c.rotation.snapshot().Resealed, want)
			}
			time.Sleep(time.Millisecond)
		}
		if r := c.rotation.snapshot(); !r.Running || r.Resealed != want {
			t.Fatalf("rotation %+v, want running with %d", r, want)
		}
		if want == 2 {
			if _, body := e.get("/admin/keys"); !strings.Contains(body, "2 secrets re-sealed so far") {
				t.Errorf("page does not show progress: %s", body)
			}
			if resp := e.post("/admin/keys/rotate", e.csrf(), nil); resp.StatusCode != http.StatusConflict {
				t.Fatalf("second rotation: %d", resp.StatusCode)
			}
		}
		gate <- struct{}{}
	}
	c.rotation.wait()
	if r := c.rotation.snapshot(); r.Running || r.Resealed != 4 || r.Error != "" {
		t.Fatalf("rotation %+v", r)
	}
}

func TestForceRefresh_edgeCases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("without a keyring", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *Config) { c.Keyring = nil })
		id := strconv.FormatInt(e.alice.Account.ID, 10)
		// Forcing a refresh needs no keyring of the console's own
		// (accounts.Service.ForceRefresh); rotating keys does.
		if resp := e.post("/admin/accounts/"+id+"/refresh", e.csrf(), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("refresh: %d", resp.StatusCode)
		}
		if resp := e.post("/admin/keys/rotate", e.csrf(), nil); resp.StatusCode != http.StatusConflict {
			t.Fatalf("rotate: %d", resp.StatusCode)
		}
		for _, p := range []string{"/admin/", "/admin/keys"} {
			if code, body := e.get(p); code != http.StatusOK || strings.Contains(body, "Force token refresh") {
				t.Errorf("%s: %d", p, code)
			}
		}
	})
	t.Run("token without expiry is left alone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		a, err := e.store.CreateAccount(ctx, store.Account{AppID: testApp, ServiceType: serviceType, Type: store.AccountSecondary,
			Active: true, TokenStatus: store.TokenActive}, store.Token{Sealed: store.Sealed("opaque")})
		if err != nil {
			t.Fatal(err)
		}
		resp := e.post("/admin/accounts/"+strconv.FormatInt(a.ID, 10)+"/refresh", e.csrf(), nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "done=unchanged") {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if e.provider.refresh.Load() != 0 {
			t.Fatal("token endpoint called")
		}
		if got, _ := e.store.GetAccount(ctx, a.ID); !got.Active {
			t.Fatal("account deactivated")
		}
	})
	t.Run("missing account", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		if resp := e.post("/admin/accounts/987654/refresh", e.csrf(), nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%d", resp.StatusCode)
		}
		if resp := e.post("/admin/accounts/987654/deactivate", e.csrf(), nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("deactivate: %d", resp.StatusCode)
		}
	})
}
