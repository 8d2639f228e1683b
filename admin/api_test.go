package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
)

// apiPrefix is where the tests mount Console.API, as a host would.
const apiPrefix = "/v1/admin"

// newAPIEnv is newEnv with the JSON API also mounted at apiPrefix.
func newAPIEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	e := newEnv(t, mod)
	e.mux.Handle(apiPrefix+"/", http.StripPrefix(apiPrefix, (&Console{c: e.console}).API()))
	return e
}

// call sends a JSON API request with the admin's credentials, as a script
// would (no Origin, no Sec-Fetch-Site); POSTs say they send JSON.
func (e *env) call(method, path string, out any) int {
	e.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/json")
	}
	resp := e.do(r, true)
	b, _ := io.ReadAll(resp.Body)
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		e.t.Fatalf("%s %s: Content-Type %q: %s", method, path, got, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func accountURL(id int64) string { return apiPrefix + "/accounts/" + strconv.FormatInt(id, 10) }

// TestAPI_refusesEverythingButAdminCredentials: the four refusals (no
// credentials, wrong ones, a user session, an account token) on every kind
// of endpoint of the JSON API, at the host's prefix and under the console.
func TestAPI_refusesEverythingButAdminCredentials(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
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
	refusals := []struct {
		name string
		set  func(r *http.Request)
	}{
		{"no credentials", func(*http.Request) {}},
		{"wrong credentials", func(r *http.Request) { r.SetBasicAuth(testUser, "wrong") }},
		{"user session", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+ses)
			r.AddCookie(&http.Cookie{Name: sm.CookieName(testApp), Value: ses})
		}},
		{"account token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+acc) }},
	}
	id := strconv.FormatInt(e.alice.Account.ID, 10)
	endpoints := []struct{ method, path string }{
		{"GET", apiPrefix + "/accounts"},
		{"GET", apiPrefix + "/accounts/" + id},
		{"GET", apiPrefix + "/subscriptions"},
		{"GET", apiPrefix + "/users"},
		{"POST", apiPrefix + "/accounts/" + id + "/deactivate"},
		{"POST", apiPrefix + "/accounts/" + id + "/refresh"},
		{"POST", apiPrefix + "/jobs/" + strconv.FormatInt(e.failedJob.ID, 10) + "/requeue"},
		{"POST", apiPrefix + "/keys/rotate"},
		{"DELETE", apiPrefix + "/accounts/" + id},
		{"GET", "/admin/api/accounts"},
		{"DELETE", "/admin/api/accounts/" + id},
	}
	for _, rf := range refusals {
		for _, ep := range endpoints {
			t.Run(rf.name+" "+ep.method+" "+ep.path, func(t *testing.T) {
				t.Parallel()
				r := httptest.NewRequest(ep.method, ep.path, strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				rf.set(r)
				resp := e.do(r, false)
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d: %s", resp.StatusCode, b)
				}
				var body struct{ Code, Message string }
				if err := json.Unmarshal(b, &body); err != nil || body.Message == "" {
					t.Fatalf("not a JSON error: %s", b)
				}
				if strings.Contains(string(b), "alice") {
					t.Errorf("refused answer leaks data: %s", b)
				}
			})
		}
	}
	t.Cleanup(func() {
		// Nothing the refused requests asked for happened.
		a, err := e.store.GetAccount(ctx, e.alice.Account.ID)
		if err != nil || !a.Active {
			t.Errorf("account after refused requests: %+v, %v", a, err)
		}
		if e.provider.refresh.Load() != 0 || e.provider.revoked.Load() != 0 {
			t.Errorf("provider called: %d refreshes, %d revocations", e.provider.refresh.Load(), e.provider.revoked.Load())
		}
		if j, _ := e.store.GetJob(ctx, e.failedJob.ID); j.State != store.JobFailed {
			t.Errorf("job requeued: %+v", j)
		}
		if e.console.rotation.snapshot().KeyID != "" {
			t.Error("rotation started")
		}
	})
}

// TestAPI_actionsRefuseBrowserForgery: a cross-site browser request, or a
// POST that is not JSON (a form a page could submit), does nothing even
// with the admin's credentials (which a browser may have cached).
func TestAPI_actionsRefuseBrowserForgery(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	deactivate := accountURL(e.alice.Account.ID) + "/deactivate"
	tests := []struct {
		name   string
		method string
		set    func(r *http.Request)
		want   int
	}{
		{"form post", "POST", func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, http.StatusUnsupportedMediaType},
		{"text post", "POST", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, http.StatusUnsupportedMediaType},
		{"no content type", "POST", func(r *http.Request) {}, http.StatusUnsupportedMediaType},
		{"cross-site fetch", "POST", func(r *http.Request) {
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden},
		{"foreign origin", "POST", func(r *http.Request) {
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Origin", "https://evil.example")
		}, http.StatusForbidden},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, deactivate, strings.NewReader("{}"))
		tt.set(r)
		if resp := e.do(r, true); resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	r := httptest.NewRequest(http.MethodDelete, accountURL(e.alice.Account.ID), nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp := e.do(r, true); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site DELETE: %d", resp.StatusCode)
	}
	if a, _ := e.store.GetAccount(context.Background(), e.alice.Account.ID); !a.Active {
		t.Fatal("a refused request deactivated the account")
	}
}

// TestAPI_actions: the JSON API does what the console's forms do, and
// answers with the record as it is now.
func TestAPI_actions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("deactivate", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		var res ActionResult
		if code := e.call("POST", accountURL(e.alice.Account.ID)+"/deactivate", &res); code != http.StatusOK {
			t.Fatalf("%d %+v", code, res)
		}
		if res.Done != "deactivated" || res.Message != notices["deactivated"] || res.Account == nil || res.Account.Active ||
			res.Account.TokenStatus != string(store.TokenInvalid) {
			t.Fatalf("%+v", res)
		}
		if a, _ := e.store.GetAccount(ctx, e.alice.Account.ID); a.Active {
			t.Fatal("still active")
		}
	})
	t.Run("force refresh", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		e.clock.Advance(10 * time.Minute)
		var res ActionResult
		if code := e.call("POST", accountURL(e.alice.Account.ID)+"/refresh", &res); code != http.StatusOK {
			t.Fatalf("%d %+v", code, res)
		}
		if res.Done != "refreshed" || res.Token == nil || !res.Token.RefreshedAt.Equal(e.clock.Now()) ||
			!res.Token.Expiry.Equal(e.clock.Now().Add(time.Hour)) || e.provider.refresh.Load() != 1 {
			t.Fatalf("%+v, %d refreshes", res, e.provider.refresh.Load())
		}
		var page AccountPage
		e.call("GET", accountURL(e.alice.Account.ID), &page)
		if !page.Token.RefreshedAt.Equal(e.clock.Now()) {
			t.Fatalf("account page shows %v", page.Token.RefreshedAt)
		}
	})
	t.Run("force refresh fails terminally", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		e.provider.failWith = "invalid_grant"
		var res struct{ Code, Message string }
		if code := e.call("POST", accountURL(e.alice.Account.ID)+"/refresh", &res); code != http.StatusBadGateway ||
			!strings.Contains(res.Message, "refresh failed") {
			t.Fatalf("%d %+v", code, res)
		}
	})
	t.Run("requeue", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		var res ActionResult
		path := apiPrefix + "/jobs/" + strconv.FormatInt(e.failedJob.ID, 10) + "/requeue"
		if code := e.call("POST", path, &res); code != http.StatusOK {
			t.Fatalf("%d %+v", code, res)
		}
		if res.Done != "requeued" || res.Job == nil || res.Job.State != string(store.JobQueued) {
			t.Fatalf("%+v", res)
		}
		if code := e.call("POST", path, nil); code != http.StatusConflict {
			t.Fatalf("second requeue: %d", code)
		}
	})
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		var res ActionResult
		if code := e.call("DELETE", accountURL(e.alice.Account.ID), &res); code != http.StatusOK {
			t.Fatalf("%d %+v", code, res)
		}
		if res.Done != "deleted" || res.Account == nil || res.Account.ID != e.alice.Account.ID || e.provider.revoked.Load() != 1 {
			t.Fatalf("%+v, %d revocations", res, e.provider.revoked.Load())
		}
		if code := e.call("GET", accountURL(e.alice.Account.ID), nil); code != http.StatusNotFound {
			t.Fatalf("deleted account: %d", code)
		}
		if code := e.call("DELETE", accountURL(e.alice.Account.ID), nil); code != http.StatusNotFound {
			t.Fatalf("second delete: %d", code)
		}
	})
	t.Run("rotate", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		var res ActionResult
		if code := e.call("POST", apiPrefix+"/keys/rotate", &res); code != http.StatusAccepted {
			t.Fatalf("%d %+v", code, res)
		}
		if res.Done != "rotating" || res.Rotation == nil || res.Rotation.KeyID != "k1" || res.Rotation.StartedBy != "basic:"+testUser {
			t.Fatalf("%+v", res)
		}
		e.console.rotation.wait()
		var keys KeysPage
		e.call("GET", apiPrefix+"/keys", &keys)
		if keys.Rotation.Running || keys.Rotation.FinishedAt.IsZero() || keys.Rotation.Error != "" {
			t.Fatalf("%+v", keys.Rotation)
		}
	})
	t.Run("unknown ids", func(t *testing.T) {
		t.Parallel()
		e := newAPIEnv(t, nil)
		for _, c := range []struct{ method, path string }{
			{"POST", accountURL(987654) + "/deactivate"},
			{"POST", accountURL(987654) + "/refresh"},
			{"DELETE", accountURL(987654)},
			{"POST", apiPrefix + "/jobs/987654/requeue"},
			{"POST", apiPrefix + "/accounts/x/refresh"},
			{"GET", apiPrefix + "/no-such-thing"},
		} {
			if code := e.call(c.method, c.path, nil); code != http.StatusNotFound {
				t.Errorf("%s %s: %d", c.method, c.path, code)
			}
		}
	})
}

// TestAPI_sameAsTheConsole: the API at the host's prefix and under the
// console's /api/ are one handler.
func TestAPI_sameAsTheConsole(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	for _, p := range []string{"/accounts", "/users?q=bob", "/subscriptions", "/jobs", "/organizations", "/apps", "/"} {
		c1, b1 := e.get(apiPrefix + p)
		c2, b2 := e.get("/admin/api" + p)
		if c1 != http.StatusOK || c1 != c2 || b1 != b2 {
			t.Errorf("%s: %d %s\nvs %d %s", p, c1, b1, c2, b2)
		}
	}
}

// TestAPI_lists: users come with organization and accounts, accounts with
// their token health, and every list searches by email and by id.
func TestAPI_lists(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	var users UsersPage
	e.call("GET", apiPrefix+"/users?q=bob@", &users)
	if len(users.Users) != 1 {
		t.Fatalf("users: %+v", users)
	}
	bob := users.Users[0]
	if bob.Organization == nil || bob.Organization.Name != "Example Ltd" || len(bob.Accounts) != 1 ||
		bob.Accounts[0].ID != e.bob.Account.ID || bob.Accounts[0].ServiceType != serviceType || !bob.Accounts[0].Active {
		t.Fatalf("bob: %+v", bob)
	}
	e.call("GET", apiPrefix+"/users?q="+e.alice.User.ID[:8], &users)
	if len(users.Users) != 1 || users.Users[0].ID != e.alice.User.ID {
		t.Fatalf("user by id: %+v", users.Users)
	}

	var accts AccountsPage
	e.call("GET", apiPrefix+"/accounts?q=alice@example.com", &accts)
	if len(accts.Accounts) != 1 {
		t.Fatalf("accounts: %+v", accts)
	}
	a := accts.Accounts[0]
	if a.ID != e.alice.Account.ID || a.Type != "primary" || !a.Active || a.TokenStatus != "active" || strings.Join(a.Scopes, " ") != "Mail.Read" ||
		!a.Token.HasCredential || !a.Token.Expiry.Equal(e.clock.Now().Add(time.Hour)) || a.Token.RefreshedAt.IsZero() {
		t.Fatalf("alice: %+v", a)
	}
	e.call("GET", apiPrefix+"/accounts?q="+strconv.FormatInt(e.bob.Account.ID, 10), &accts)
	if len(accts.Accounts) == 0 || accts.Accounts[0].ID != e.bob.Account.ID {
		t.Fatalf("account by id: %+v", accts.Accounts)
	}
	for _, secret := range []string{"at-alice", "rt-alice", "0123456789abcdef0123"} {
		if _, body := e.get(apiPrefix + "/accounts"); strings.Contains(body, secret) {
			t.Errorf("account list leaks %q", secret)
		}
	}
}

// TestAPI_subscriptions: the list shows each subscription's provider side,
// last delivery, failure and retry queue, searches by the account's email
// and by id, filters by status and account, and pages.
func TestAPI_subscriptions(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(c *Config) { c.PageSize = 2 })
	ctx := context.Background()
	bobSub, err := e.store.CreateSubscription(ctx, store.Subscription{AppID: testApp, AccountID: e.bob.Account.ID, Resource: "/contacts",
		NotificationURL: "https://hooks.example.com/bob", Active: true, ProviderID: "graph-sub-7", ProviderExpiresAt: e.clock.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	delivered := e.clock.Now().Add(-5 * time.Minute)
	if err := e.store.MarkDelivered(ctx, bobSub.ID, delivered); err != nil {
		t.Fatal(err)
	}
	third, err := e.store.CreateSubscription(ctx, store.Subscription{AppID: testApp, AccountID: e.evil.Account.ID, Resource: "/email/messages",
		NotificationURL: "https://hooks.example.com/m", Active: false, FailDescription: "deactivated"})
	if err != nil {
		t.Fatal(err)
	}

	var p SubscriptionsPage
	e.call("GET", apiPrefix+"/subscriptions", &p)
	if len(p.Subscriptions) != 2 || p.Next == "" || p.Subscriptions[0].ID != e.sub.ID || p.Subscriptions[1].ID != bobSub.ID {
		t.Fatalf("first page: %+v", p)
	}
	alice, bob := p.Subscriptions[0], p.Subscriptions[1]
	if alice.AccountEmail != "alice@example.com" || alice.FailSince.IsZero() || alice.Queue != 0 || len(alice.Failed) != 1 ||
		alice.Failed[0].ID != e.failedJob.ID || !alice.LastDelivery.IsZero() {
		t.Fatalf("alice's: %+v", alice)
	}
	if bob.AccountEmail != "bob@example.com" || !bob.LastDelivery.Equal(delivered) || bob.ProviderID != "graph-sub-7" ||
		!bob.ProviderExpiresAt.Equal(e.clock.Now().Add(48*time.Hour)) || !bob.FailSince.IsZero() {
		t.Fatalf("bob's: %+v", bob)
	}
	var p2 SubscriptionsPage
	e.call("GET", apiPrefix+"/subscriptions?after="+p.Next, &p2)
	if len(p2.Subscriptions) != 1 || p2.Subscriptions[0].ID != third.ID || p2.Next != "" {
		t.Fatalf("second page: %+v", p2)
	}

	tests := []struct {
		query string
		want  []int64
	}{
		{"q=bob@example", []int64{bobSub.ID}},
		{"q=" + strconv.FormatInt(third.ID, 10), []int64{third.ID}},
		{"q=hooks.example.com/bob", []int64{bobSub.ID}},
		{"status=failing", []int64{e.sub.ID}},
		{"status=inactive", []int64{third.ID}},
		{"account=" + strconv.FormatInt(e.bob.Account.ID, 10), []int64{bobSub.ID}},
		{"q=nobody@", nil},
	}
	for _, tt := range tests {
		var got SubscriptionsPage
		if code := e.call("GET", apiPrefix+"/subscriptions?"+tt.query, &got); code != http.StatusOK {
			t.Fatalf("%s: %d", tt.query, code)
		}
		var ids []int64
		for _, s := range got.Subscriptions {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("%s: %v, want %v", tt.query, ids, tt.want)
		}
	}
	for _, bad := range []string{"status=sleeping", "account=x", "account=987654", "after=-1"} {
		if code := e.call("GET", apiPrefix+"/subscriptions?"+bad, nil); code != http.StatusBadRequest && code != http.StatusNotFound {
			t.Errorf("%s: %d", bad, code)
		}
	}
	// The HTML page shows the same.
	if code, body := e.get("/admin/subscriptions"); code != http.StatusOK || !strings.Contains(body, "bob@example.com") ||
		!strings.Contains(body, "graph-sub-7") || !strings.Contains(body, "2031-03-04 09:55:00 UTC") {
		t.Fatalf("page: %d %s", code, body)
	}
}
