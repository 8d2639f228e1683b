package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func appTests() []test {
	return []test{
		{"CreateGet", testAppCreateGet},
		{"CreateKeepsGivenTimestamps", testAppCreateKeepsGivenTimestamps},
		{"CreateDuplicateIsConflict", testAppCreateDuplicateIsConflict},
		{"CreateWithoutIDIsInvalid", testAppCreateWithoutIDIsInvalid},
		{"Update", testAppUpdate},
		{"Delete", testAppDelete},
		{"MissingIsNotFound", testAppMissingIsNotFound},
		{"List", testAppList},
		{"ListDefaultAndMaxLimit", testAppListDefaultAndMaxLimit},
		{"CallerCannotAliasStoredSlices", testAppCallerCannotAliasStoredSlices},
	}
}

func testAppCreateGet(t *testing.T, e *env) {
	in := newApp("outlook")
	must(t, "CreateApp", e.s.CreateApp(e.ctx, in))
	got, err := e.s.GetApp(e.ctx, "outlook")
	must(t, "GetApp", err)
	want := in
	want.CreatedAt, want.UpdatedAt = e.clock.Now(), e.clock.Now()
	equal(t, "GetApp", got, want)
}

func testAppCreateKeepsGivenTimestamps(t *testing.T, e *env) {
	in := newApp("a")
	in.CreatedAt, in.UpdatedAt = at(-48*time.Hour), at(-time.Hour)
	must(t, "CreateApp", e.s.CreateApp(e.ctx, in))
	got, err := e.s.GetApp(e.ctx, "a")
	must(t, "GetApp", err)
	equal(t, "GetApp", got, in)
}

func testAppCreateDuplicateIsConflict(t *testing.T, e *env) {
	first := e.app(t, "a")
	second := newApp("a")
	second.Name = "other"
	wantErr(t, "CreateApp of an existing ID", e.s.CreateApp(e.ctx, second), store.ErrConflict)
	got, err := e.s.GetApp(e.ctx, "a")
	must(t, "GetApp", err)
	equal(t, "GetApp after the conflict", got, first)
}

func testAppCreateWithoutIDIsInvalid(t *testing.T, e *env) {
	wantErr(t, "CreateApp without ID", e.s.CreateApp(e.ctx, newApp("")), store.ErrInvalid)
	list, err := e.s.ListApps(e.ctx, store.StringPage{})
	must(t, "ListApps", err)
	if len(list) != 0 {
		t.Errorf("ListApps after invalid create = %d apps, want 0", len(list))
	}
}

func testAppUpdate(t *testing.T, e *env) {
	orig := e.app(t, "a")
	e.clock.Advance(time.Hour)
	upd := store.App{
		ID:           "a",
		Name:         "renamed",
		ClientSecret: store.Sealed("rotated"),
		ReturnURLs:   []string{"https://new.example/r1", "https://new.example/r2"},
		CORSOrigins:  nil,
		CreatedAt:    at(-time.Hour * 24 * 365), // ignored
	}
	must(t, "UpdateApp", e.s.UpdateApp(e.ctx, upd))
	got, err := e.s.GetApp(e.ctx, "a")
	must(t, "GetApp", err)
	want := upd
	want.CreatedAt = orig.CreatedAt
	want.UpdatedAt = e.clock.Now()
	equal(t, "GetApp after UpdateApp", got, want)

	// An UpdatedAt the caller gives is kept.
	upd.UpdatedAt = at(3 * time.Hour)
	must(t, "UpdateApp", e.s.UpdateApp(e.ctx, upd))
	got, err = e.s.GetApp(e.ctx, "a")
	must(t, "GetApp", err)
	equalTime(t, "UpdatedAt given to UpdateApp", got.UpdatedAt, at(3*time.Hour))
}

func testAppDelete(t *testing.T, e *env) {
	e.app(t, "a")
	b := e.app(t, "b")
	must(t, "DeleteApp", e.s.DeleteApp(e.ctx, "a"))
	_, err := e.s.GetApp(e.ctx, "a")
	wantErr(t, "GetApp after DeleteApp", err, store.ErrNotFound)
	wantErr(t, "DeleteApp twice", e.s.DeleteApp(e.ctx, "a"), store.ErrNotFound)
	got, err := e.s.GetApp(e.ctx, "b")
	must(t, "GetApp of the other app", err)
	equal(t, "other app", got, b)
}

func testAppMissingIsNotFound(t *testing.T, e *env) {
	e.app(t, "a")
	_, err := e.s.GetApp(e.ctx, "missing")
	wantErr(t, "GetApp", err, store.ErrNotFound)
	wantErr(t, "UpdateApp", e.s.UpdateApp(e.ctx, newApp("missing")), store.ErrNotFound)
	wantErr(t, "DeleteApp", e.s.DeleteApp(e.ctx, "missing"), store.ErrNotFound)
	if _, err := e.s.GetApp(e.ctx, "missing"); err == nil {
		t.Error("UpdateApp of a missing app created it")
	}
}

func testAppList(t *testing.T, e *env) {
	want := []string{"a1", "a2", "b", "c", "c0"}
	for _, id := range []string{"c", "a2", "c0", "a1", "b"} {
		e.app(t, id)
	}
	checkPages(t, "ListApps", want, func(after string, limit int) ([]string, error) {
		list, err := e.s.ListApps(e.ctx, store.StringPage{After: after, Limit: limit})
		return ids(list, func(a store.App) string { return a.ID }), err
	})
	list, err := e.s.ListApps(e.ctx, store.StringPage{After: "b", Limit: 10})
	must(t, "ListApps", err)
	equal(t, "ListApps after b", ids(list, func(a store.App) string { return a.ID }), []string{"c", "c0"})
	if len(list) > 0 {
		equal(t, "ListApps record", list[0], mustGetApp(t, e, "c"))
	}
}

func mustGetApp(t *testing.T, e *env, id string) store.App {
	t.Helper()
	a, err := e.s.GetApp(e.ctx, id)
	must(t, "GetApp "+id, err)
	return a
}

func testAppListDefaultAndMaxLimit(t *testing.T, e *env) {
	n := store.MaxPageLimit + 1
	var all []string
	for i := range n {
		id := fmt.Sprintf("app-%04d", i)
		must(t, "CreateApp", e.s.CreateApp(e.ctx, store.App{ID: id}))
		all = append(all, id)
	}
	for _, limit := range []int{0, -1, 1, store.DefaultPageLimit, store.MaxPageLimit, store.MaxPageLimit + 1, 1 << 30} {
		list, err := e.s.ListApps(e.ctx, store.StringPage{Limit: limit})
		must(t, fmt.Sprintf("ListApps(Limit %d)", limit), err)
		want := store.EffectiveLimit(limit)
		if len(list) != want {
			t.Errorf("ListApps(Limit %d) returned %d apps, want %d", limit, len(list), want)
			continue
		}
		equal(t, fmt.Sprintf("ListApps(Limit %d) ids", limit), ids(list, func(a store.App) string { return a.ID }), all[:want])
	}
}

func testAppCallerCannotAliasStoredSlices(t *testing.T, e *env) {
	in := newApp("a")
	must(t, "CreateApp", e.s.CreateApp(e.ctx, in))
	want := mustGetApp(t, e, "a")
	want.ClientSecret = slices.Clone(want.ClientSecret)
	want.ReturnURLs = slices.Clone(want.ReturnURLs)

	in.ClientSecret[0] ^= 0xff
	in.ReturnURLs[0] = "https://evil.example"
	got := mustGetApp(t, e, "a")
	got.ClientSecret[0] ^= 0xff
	got.ReturnURLs[0] = "https://evil.example"

	equal(t, "GetApp after the caller changed its slices", mustGetApp(t, e, "a"), want)
}

func organizationTests() []test {
	return []test{
		{"UpsertCreatesThenUpdates", testOrgUpsertCreatesThenUpdates},
		{"UpsertKeyIsAppProviderXID", testOrgUpsertKey},
		{"ConcurrentUpsertsGiveOneOrganization", testOrgConcurrentUpserts},
		{"UpsertMissingFieldIsInvalid", testOrgUpsertInvalid},
		{"GetMissingIsNotFound", testOrgGetMissing},
		{"List", testOrgList},
	}
}

func testOrgUpsertCreatesThenUpdates(t *testing.T, e *env) {
	e.app(t, "a")
	in := store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "tid-1", Domain: "contoso.com", Name: "Contoso"}
	first, err := e.s.UpsertOrganization(e.ctx, in)
	must(t, "UpsertOrganization", err)
	if first.ID <= 0 {
		t.Fatalf("UpsertOrganization ID = %d, want > 0", first.ID)
	}
	want := in
	want.ID, want.CreatedAt = first.ID, e.clock.Now()
	equal(t, "UpsertOrganization (create)", first, want)
	got, err := e.s.GetOrganization(e.ctx, first.ID)
	must(t, "GetOrganization", err)
	equal(t, "GetOrganization", got, want)

	e.clock.Advance(time.Minute)
	upd, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "tid-1", Domain: "contoso.onmicrosoft.com", Name: "Contoso Ltd"})
	must(t, "UpsertOrganization (update)", err)
	want.Domain, want.Name = "contoso.onmicrosoft.com", "Contoso Ltd"
	equal(t, "UpsertOrganization (update)", upd, want)

	// Empty Domain and Name leave the stored ones alone.
	same, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "tid-1"})
	must(t, "UpsertOrganization (no changes)", err)
	equal(t, "UpsertOrganization (empty Domain, Name)", same, want)
	got, err = e.s.GetOrganization(e.ctx, first.ID)
	must(t, "GetOrganization", err)
	equal(t, "GetOrganization after upserts", got, want)
}

func testOrgUpsertKey(t *testing.T, e *env) {
	e.app(t, "a")
	e.app(t, "b")
	base := store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "x"}
	first, err := e.s.UpsertOrganization(e.ctx, base)
	must(t, "UpsertOrganization", err)
	seen := map[int64]string{first.ID: "base"}
	for _, c := range []struct {
		name string
		org  store.Organization
	}{
		{"other app", store.Organization{AppID: "b", ServiceProvider: "Office365", XID: "x"}},
		{"other provider", store.Organization{AppID: "a", ServiceProvider: "Google", XID: "x"}},
		{"other xid", store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "y"}},
	} {
		got, err := e.s.UpsertOrganization(e.ctx, c.org)
		must(t, "UpsertOrganization "+c.name, err)
		if prev, dup := seen[got.ID]; dup {
			t.Errorf("UpsertOrganization %s returned ID %d, already used by %s", c.name, got.ID, prev)
		}
		seen[got.ID] = c.name
	}
}

func testOrgConcurrentUpserts(t *testing.T, e *env) {
	e.app(t, "a")
	const n = 20
	got := make([]int64, n)
	errs := concurrently(n, func(i int) error {
		o, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Google", XID: "example.com", Name: fmt.Sprint("n", i)})
		got[i] = o.ID
		return err
	})
	for i, err := range errs {
		must(t, fmt.Sprintf("UpsertOrganization #%d", i), err)
		if got[i] != got[0] {
			t.Errorf("UpsertOrganization #%d ID = %d, #0 got %d: want one organization", i, got[i], got[0])
		}
	}
	list, err := e.s.ListOrganizations(e.ctx, "a", store.Page{})
	must(t, "ListOrganizations", err)
	if len(list) != 1 {
		t.Errorf("ListOrganizations after %d concurrent upserts of one key = %d organizations, want 1", n, len(list))
	}
}

func testOrgUpsertInvalid(t *testing.T, e *env) {
	e.app(t, "a")
	for _, c := range []struct {
		name string
		org  store.Organization
	}{
		{"no AppID", store.Organization{ServiceProvider: "Google", XID: "x"}},
		{"no ServiceProvider", store.Organization{AppID: "a", XID: "x"}},
		{"no XID", store.Organization{AppID: "a", ServiceProvider: "Google"}},
	} {
		_, err := e.s.UpsertOrganization(e.ctx, c.org)
		wantErr(t, "UpsertOrganization "+c.name, err, store.ErrInvalid)
	}
	list, err := e.s.ListOrganizations(e.ctx, "a", store.Page{})
	must(t, "ListOrganizations", err)
	if len(list) != 0 {
		t.Errorf("ListOrganizations after invalid upserts = %d, want 0", len(list))
	}
}

func testOrgGetMissing(t *testing.T, e *env) {
	_, err := e.s.GetOrganization(e.ctx, 424242)
	wantErr(t, "GetOrganization", err, store.ErrNotFound)
}

func testOrgList(t *testing.T, e *env) {
	e.app(t, "a")
	e.app(t, "b")
	var want []int64
	for i := range 5 {
		o, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Google", XID: strconv.Itoa(i)})
		must(t, "UpsertOrganization", err)
		want = append(want, o.ID)
		_, err = e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "b", ServiceProvider: "Google", XID: strconv.Itoa(i)})
		must(t, "UpsertOrganization", err)
	}
	slices.Sort(want)
	checkPages(t, "ListOrganizations", want, func(after int64, limit int) ([]int64, error) {
		list, err := e.s.ListOrganizations(e.ctx, "a", store.Page{After: after, Limit: limit})
		return ids(list, func(o store.Organization) int64 { return o.ID }), err
	})
	list, err := e.s.ListOrganizations(e.ctx, "none", store.Page{})
	must(t, "ListOrganizations of an app without organizations", err)
	if len(list) != 0 {
		t.Errorf("ListOrganizations of an app without organizations = %d, want 0", len(list))
	}
}

func userTests() []test {
	return []test{
		{"CreateGet", testUserCreateGet},
		{"CreateDuplicateIsConflict", testUserCreateDuplicateIsConflict},
		{"CreateMissingFieldIsInvalid", testUserCreateInvalid},
		{"Update", testUserUpdate},
		{"MissingIsNotFound", testUserMissingIsNotFound},
		{"List", testUserList},
	}
}

func testUserCreateGet(t *testing.T, e *env) {
	e.app(t, "a")
	org, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "tid"})
	must(t, "UpsertOrganization", err)
	in := store.User{ID: "u1", AppID: "a", Email: "ann@example.com", Name: "Ann", AuthOrgID: "tid", OrgID: org.ID, LastActivity: at(-time.Minute)}
	must(t, "CreateUser", e.s.CreateUser(e.ctx, in))
	got, err := e.s.GetUser(e.ctx, "u1")
	must(t, "GetUser", err)
	want := in
	want.CreatedAt = e.clock.Now()
	equal(t, "GetUser", got, want)
}

func testUserCreateDuplicateIsConflict(t *testing.T, e *env) {
	e.app(t, "a")
	first := e.user(t, "a", "u1")
	dup := newUser("a", "u1")
	dup.Name = "someone else"
	wantErr(t, "CreateUser of an existing ID", e.s.CreateUser(e.ctx, dup), store.ErrConflict)
	got, err := e.s.GetUser(e.ctx, "u1")
	must(t, "GetUser", err)
	equal(t, "GetUser after the conflict", got, first)
}

func testUserCreateInvalid(t *testing.T, e *env) {
	e.app(t, "a")
	wantErr(t, "CreateUser without ID", e.s.CreateUser(e.ctx, newUser("a", "")), store.ErrInvalid)
	wantErr(t, "CreateUser without AppID", e.s.CreateUser(e.ctx, newUser("", "u1")), store.ErrInvalid)
	_, err := e.s.GetUser(e.ctx, "u1")
	wantErr(t, "GetUser after invalid create", err, store.ErrNotFound)
}

func testUserUpdate(t *testing.T, e *env) {
	e.app(t, "a")
	orig := e.user(t, "a", "u1")
	e.clock.Advance(time.Hour)
	upd := store.User{ID: "u1", AppID: "a", Email: "new@example.com", Name: "New", AuthOrgID: "tid-2", OrgID: 0, LastActivity: e.clock.Now(), CreatedAt: at(-1000 * time.Hour)}
	must(t, "UpdateUser", e.s.UpdateUser(e.ctx, upd))
	got, err := e.s.GetUser(e.ctx, "u1")
	must(t, "GetUser", err)
	want := upd
	want.CreatedAt = orig.CreatedAt
	equal(t, "GetUser after UpdateUser", got, want)
}

func testUserMissingIsNotFound(t *testing.T, e *env) {
	e.app(t, "a")
	_, err := e.s.GetUser(e.ctx, "missing")
	wantErr(t, "GetUser", err, store.ErrNotFound)
	wantErr(t, "UpdateUser", e.s.UpdateUser(e.ctx, newUser("a", "missing")), store.ErrNotFound)
	wantErr(t, "DeleteUser", e.s.DeleteUser(e.ctx, "missing"), store.ErrNotFound)
	_, err = e.s.GetUser(e.ctx, "missing")
	wantErr(t, "GetUser after UpdateUser of a missing user", err, store.ErrNotFound)
}

func testUserList(t *testing.T, e *env) {
	e.app(t, "a")
	e.app(t, "b")
	for _, id := range []string{"u3", "u1", "u5", "u2", "u4"} {
		e.user(t, "a", id)
	}
	e.user(t, "b", "u0")
	e.user(t, "b", "u9")
	checkPages(t, "ListUsers", []string{"u1", "u2", "u3", "u4", "u5"}, func(after string, limit int) ([]string, error) {
		list, err := e.s.ListUsers(e.ctx, "a", store.StringPage{After: after, Limit: limit})
		return ids(list, func(u store.User) string { return u.ID }), err
	})
	list, err := e.s.ListUsers(e.ctx, "b", store.StringPage{})
	must(t, "ListUsers", err)
	equal(t, "ListUsers of app b", list, []store.User{mustGetUser(t, e, "u0"), mustGetUser(t, e, "u9")})
}

func mustGetUser(t *testing.T, e *env, id string) store.User {
	t.Helper()
	u, err := e.s.GetUser(e.ctx, id)
	must(t, "GetUser "+id, err)
	return u
}

func settingTests() []test {
	return []test{
		{"PutGetReplace", testSettingPutGetReplace},
		{"KeyedByAppScopeOwnerKey", testSettingKeyed},
		{"ListOrderedByKey", testSettingList},
		{"Delete", testSettingDelete},
		{"MissingFieldIsInvalid", testSettingInvalid},
		{"SwapIsOptimistic", testSettingSwap},
		{"ConcurrentSwapsOneWins", testSettingSwapConcurrent},
	}
}

func testSettingSwap(t *testing.T, e *env) {
	e.app(t, "a")
	mk := func(v string) store.Setting {
		return store.Setting{AppID: "a", Scope: store.SettingsOrg, OwnerID: "9", Key: "cfg", Value: []byte(v)}
	}
	must(t, "SwapSetting (create)", e.s.SwapSetting(e.ctx, mk(`{"v":1}`), nil))
	wantErr(t, "SwapSetting create of an existing setting", e.s.SwapSetting(e.ctx, mk(`{"v":9}`), nil), store.ErrConflict)
	wantErr(t, "SwapSetting from a stale value", e.s.SwapSetting(e.ctx, mk(`{"v":9}`), []byte(`{"v":0}`)), store.ErrConflict)
	must(t, "SwapSetting from the current value", e.s.SwapSetting(e.ctx, mk(`{"v":2}`), []byte(`{"v":1}`)))
	got, err := e.s.GetSetting(e.ctx, "a", store.SettingsOrg, "9", "cfg")
	must(t, "GetSetting", err)
	if string(got.Value) != `{"v":2}` {
		t.Errorf("value after swaps = %s, want {\"v\":2}", got.Value)
	}
	wantErr(t, "SwapSetting of a missing setting from a value",
		e.s.SwapSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsOrg, OwnerID: "9", Key: "other", Value: []byte(`1`)}, []byte(`0`)), store.ErrConflict)
	wantErr(t, "SwapSetting without key", e.s.SwapSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsOrg}, nil), store.ErrInvalid)
}

func testSettingSwapConcurrent(t *testing.T, e *env) {
	e.app(t, "a")
	base := store.Setting{AppID: "a", Scope: store.SettingsUser, OwnerID: "u", Key: "k", Value: []byte(`0`)}
	must(t, "PutSetting", e.s.PutSetting(e.ctx, base))
	var wg sync.WaitGroup
	var wins atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := base
			next.Value = []byte(fmt.Sprint(i + 1))
			err := e.s.SwapSetting(e.ctx, next, []byte(`0`))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("SwapSetting: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent swaps from one value won, want 1", wins.Load())
	}
}

func testSettingPutGetReplace(t *testing.T, e *env) {
	e.app(t, "a")
	in := store.Setting{AppID: "a", Scope: store.SettingsUser, OwnerID: "u1", Key: "theme", Value: []byte(`{"dark":true}`)}
	must(t, "PutSetting", e.s.PutSetting(e.ctx, in))
	got, err := e.s.GetSetting(e.ctx, "a", store.SettingsUser, "u1", "theme")
	must(t, "GetSetting", err)
	want := in
	want.UpdatedAt = e.clock.Now()
	equal(t, "GetSetting", got, want)

	e.clock.Advance(time.Minute)
	in.Value = []byte(`{"dark":false}`)
	must(t, "PutSetting (replace)", e.s.PutSetting(e.ctx, in))
	got, err = e.s.GetSetting(e.ctx, "a", store.SettingsUser, "u1", "theme")
	must(t, "GetSetting", err)
	want = in
	want.UpdatedAt = e.clock.Now()
	equal(t, "GetSetting after replace", got, want)

	_, err = e.s.GetSetting(e.ctx, "a", store.SettingsUser, "u1", "missing")
	wantErr(t, "GetSetting of a missing key", err, store.ErrNotFound)
}

func testSettingKeyed(t *testing.T, e *env) {
	e.app(t, "a")
	e.app(t, "b")
	settings := []store.Setting{
		{AppID: "a", Scope: store.SettingsApp, OwnerID: "", Key: "k", Value: []byte(`1`)},
		{AppID: "a", Scope: store.SettingsOrg, OwnerID: "7", Key: "k", Value: []byte(`2`)},
		{AppID: "a", Scope: store.SettingsUser, OwnerID: "7", Key: "k", Value: []byte(`3`)},
		{AppID: "a", Scope: store.SettingsUser, OwnerID: "u2", Key: "k", Value: []byte(`4`)},
		{AppID: "b", Scope: store.SettingsApp, OwnerID: "", Key: "k", Value: []byte(`5`)},
		{AppID: "a", Scope: store.SettingsApp, OwnerID: "", Key: "K", Value: []byte(`6`)},
	}
	for _, s := range settings {
		must(t, "PutSetting", e.s.PutSetting(e.ctx, s))
	}
	for _, s := range settings {
		got, err := e.s.GetSetting(e.ctx, s.AppID, s.Scope, s.OwnerID, s.Key)
		must(t, "GetSetting", err)
		want := s
		want.UpdatedAt = e.clock.Now()
		equal(t, fmt.Sprintf("GetSetting(%s, %s, %q, %s)", s.AppID, s.Scope, s.OwnerID, s.Key), got, want)
	}
}

func testSettingList(t *testing.T, e *env) {
	e.app(t, "a")
	for _, k := range []string{"zeta", "alpha", "Mid", "beta"} {
		must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsOrg, OwnerID: "1", Key: k, Value: []byte(`"` + k + `"`)}))
	}
	must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsOrg, OwnerID: "2", Key: "other", Value: []byte(`0`)}))
	must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsApp, Key: "app", Value: []byte(`0`)}))
	list, err := e.s.ListSettings(e.ctx, "a", store.SettingsOrg, "1")
	must(t, "ListSettings", err)
	var want []store.Setting
	for _, k := range []string{"Mid", "alpha", "beta", "zeta"} {
		want = append(want, store.Setting{AppID: "a", Scope: store.SettingsOrg, OwnerID: "1", Key: k, Value: []byte(`"` + k + `"`), UpdatedAt: e.clock.Now()})
	}
	equal(t, "ListSettings", list, want)

	list, err = e.s.ListSettings(e.ctx, "a", store.SettingsUser, "nobody")
	must(t, "ListSettings of an owner without settings", err)
	if len(list) != 0 {
		t.Errorf("ListSettings of an owner without settings = %d, want 0", len(list))
	}
}

func testSettingDelete(t *testing.T, e *env) {
	e.app(t, "a")
	must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsApp, Key: "k1", Value: []byte(`1`)}))
	must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsApp, Key: "k2", Value: []byte(`2`)}))
	must(t, "DeleteSetting", e.s.DeleteSetting(e.ctx, "a", store.SettingsApp, "", "k1"))
	_, err := e.s.GetSetting(e.ctx, "a", store.SettingsApp, "", "k1")
	wantErr(t, "GetSetting after DeleteSetting", err, store.ErrNotFound)
	wantErr(t, "DeleteSetting twice", e.s.DeleteSetting(e.ctx, "a", store.SettingsApp, "", "k1"), store.ErrNotFound)
	if _, err := e.s.GetSetting(e.ctx, "a", store.SettingsApp, "", "k2"); err != nil {
		t.Errorf("GetSetting of the other key after DeleteSetting: %v", err)
	}
}

func testSettingInvalid(t *testing.T, e *env) {
	e.app(t, "a")
	for _, c := range []struct {
		name string
		s    store.Setting
	}{
		{"no AppID", store.Setting{Scope: store.SettingsApp, Key: "k"}},
		{"no Scope", store.Setting{AppID: "a", Key: "k"}},
		{"unknown Scope", store.Setting{AppID: "a", Scope: "tenant", Key: "k"}},
		{"no Key", store.Setting{AppID: "a", Scope: store.SettingsApp}},
	} {
		wantErr(t, "PutSetting "+c.name, e.s.PutSetting(e.ctx, c.s), store.ErrInvalid)
	}
	list, err := e.s.ListSettings(e.ctx, "a", store.SettingsApp, "")
	must(t, "ListSettings", err)
	if len(list) != 0 {
		t.Errorf("ListSettings after invalid puts = %d, want 0", len(list))
	}
}
