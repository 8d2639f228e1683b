package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func accountTests() []test {
	return []test{
		{"CreateGet", testAccountCreateGet},
		{"CreateMissingFieldIsInvalid", testAccountCreateInvalid},
		{"UniqueByAppUserServiceAuthUserID", testAccountUnique},
		{"EmptyAuthUserIDIsNotUnique", testAccountEmptyAuthUserIDNotUnique},
		{"OnePrimaryPerUser", testAccountOnePrimaryPerUser},
		{"Update", testAccountUpdate},
		{"UpdateKeepsUniqueness", testAccountUpdateUniqueness},
		{"Find", testAccountFind},
		{"SetStatus", testAccountSetStatus},
		{"MissingIsNotFound", testAccountMissingIsNotFound},
		{"ListFilters", testAccountListFilters},
		{"ListPages", testAccountListPages},
		{"ListWithoutAppIDIsInvalid", testAccountListWithoutAppID},
	}
}

func testAccountCreateGet(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	org, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "tid"})
	must(t, "UpsertOrganization", err)
	in := store.Account{
		AppID: "a", UserID: "u1", ServiceType: "Office365", ServiceProvider: "Office365",
		Type: store.AccountPrimary, Active: true, TokenStatus: store.TokenInvalid, TokenError: "expired",
		Scopes: []string{"Mail.Read", "Calendar.ReadWrite"}, NativeScopes: []string{"offline_access", "Mail.Read"},
		AuthUserID: "oid-1", AuthOrgID: "tid", OrgID: org.ID, Email: "ann@contoso.com", Name: "Ann",
		LoginString: "ann@contoso.com", ServerURL: "", Timezone: "Europe/Helsinki", AuthObtainedAt: at(-time.Minute),
	}
	got, err := e.s.CreateAccount(e.ctx, in, store.Token{})
	must(t, "CreateAccount", err)
	if got.ID <= 0 {
		t.Fatalf("CreateAccount ID = %d, want > 0", got.ID)
	}
	want := in
	want.ID = got.ID
	want.CreatedAt, want.UpdatedAt = e.clock.Now(), e.clock.Now()
	equal(t, "CreateAccount result", got, want)
	stored, err := e.s.GetAccount(e.ctx, got.ID)
	must(t, "GetAccount", err)
	equal(t, "GetAccount", stored, want)

	other := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g-1"), store.Token{})
	if other.ID == got.ID {
		t.Errorf("two accounts got the same ID %d", got.ID)
	}
}

func testAccountCreateInvalid(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	valid := newAccount("a", "u1", store.AccountSecondary, "Google", "g1")
	for _, c := range []struct {
		name   string
		mutate func(*store.Account)
	}{
		{"no AppID", func(a *store.Account) { a.AppID = "" }},
		{"no ServiceType", func(a *store.Account) { a.ServiceType = "" }},
		{"no Type", func(a *store.Account) { a.Type = "" }},
		{"unknown Type", func(a *store.Account) { a.Type = "owner" }},
		{"no TokenStatus", func(a *store.Account) { a.TokenStatus = "" }},
		{"unknown TokenStatus", func(a *store.Account) { a.TokenStatus = "fine" }},
	} {
		a := valid
		c.mutate(&a)
		_, err := e.s.CreateAccount(e.ctx, a, sealedToken("tok", at(time.Hour)))
		wantErr(t, "CreateAccount "+c.name, err, store.ErrInvalid)
	}
	list, err := e.s.ListAccounts(e.ctx, store.AccountFilter{AppID: "a"}, store.Page{})
	must(t, "ListAccounts", err)
	if len(list) != 0 {
		t.Errorf("ListAccounts after invalid creates = %d accounts, want 0", len(list))
	}
}

func testAccountUnique(t *testing.T, e *env) {
	e.app(t, "a")
	e.app(t, "b")
	e.user(t, "a", "u1")
	e.user(t, "a", "u2")
	e.user(t, "b", "u3")
	first := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), store.Token{})

	dup := newAccount("a", "u1", store.AccountSecondary, "Google", "g1")
	dup.Email = "other@example.com"
	_, err := e.s.CreateAccount(e.ctx, dup, sealedToken("tok", at(time.Hour)))
	wantErr(t, "CreateAccount of an existing (app, user, service, authUserId)", err, store.ErrConflict)
	list, err := e.s.ListAccounts(e.ctx, store.AccountFilter{AppID: "a"}, store.Page{})
	must(t, "ListAccounts", err)
	equal(t, "accounts after the conflict", ids(list, func(a store.Account) int64 { return a.ID }), []int64{first.ID})
	tokens, err := e.s.ListTokensExpiring(e.ctx, at(24*time.Hour), 10)
	must(t, "ListTokensExpiring", err)
	if len(tokens) != 0 {
		t.Errorf("the conflicting CreateAccount stored a token: %+v", tokens)
	}

	// Differing in any one part of the key is a different account.
	for _, c := range []struct {
		name string
		a    store.Account
	}{
		{"other app", newAccount("b", "u3", store.AccountSecondary, "Google", "g1")},
		{"other user", newAccount("a", "u2", store.AccountSecondary, "Google", "g1")},
		{"other service", newAccount("a", "u1", store.AccountSecondary, "Salesforce", "g1")},
		{"other authUserId", newAccount("a", "u1", store.AccountSecondary, "Google", "g2")},
	} {
		if _, err := e.s.CreateAccount(e.ctx, c.a, store.Token{}); err != nil {
			t.Errorf("CreateAccount with %s: %v, want success", c.name, err)
		}
	}
}

func testAccountEmptyAuthUserIDNotUnique(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	first := e.account(t, newAccount("a", "u1", store.AccountSecondary, "IMAP", ""), store.Token{})
	second := e.account(t, newAccount("a", "u1", store.AccountSecondary, "IMAP", ""), store.Token{})
	if first.ID == second.ID {
		t.Errorf("two accounts got the same ID %d", first.ID)
	}
}

func testAccountOnePrimaryPerUser(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	e.user(t, "a", "u2")
	e.account(t, newAccount("a", "u1", store.AccountPrimary, "Office365", "o1"), store.Token{})
	_, err := e.s.CreateAccount(e.ctx, newAccount("a", "u1", store.AccountPrimary, "Google", "g1"), store.Token{})
	wantErr(t, "CreateAccount of a second primary account", err, store.ErrConflict)
	e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), store.Token{})
	e.account(t, newAccount("a", "u2", store.AccountPrimary, "Google", "g2"), store.Token{})
	list, err := e.s.ListAccounts(e.ctx, store.AccountFilter{AppID: "a", UserID: "u1", Type: store.AccountPrimary}, store.Page{})
	must(t, "ListAccounts", err)
	if len(list) != 1 || list[0].ServiceType != "Office365" {
		t.Errorf("primary accounts of u1 = %+v, want the Office365 one only", list)
	}
}

func testAccountUpdate(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	e.user(t, "a", "u2")
	orig := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), sealedToken("tok", at(time.Hour)))
	parent := e.account(t, newAccount("a", "", store.AccountDaemon, "Google", "sa"), store.Token{})
	e.clock.Advance(time.Hour)
	upd := store.Account{
		ID: orig.ID, AppID: "a", UserID: "u2", ParentID: parent.ID, ServiceType: "Google", ServiceProvider: "Google",
		Type: store.AccountPrimary, Active: false, TokenStatus: store.TokenDead, TokenError: "invalid_grant",
		Scopes: []string{"Mail.Read"}, NativeScopes: []string{"https://mail.google.com/"}, AuthUserID: "g1-new",
		AuthOrgID: "example.com", Email: "new@example.com", Name: "New", LoginString: "new", ServerURL: "imap.example.com:993",
		Timezone: "UTC", AuthObtainedAt: at(30 * time.Minute), CreatedAt: at(-1000 * time.Hour),
	}
	must(t, "UpdateAccount", e.s.UpdateAccount(e.ctx, upd))
	got, err := e.s.GetAccount(e.ctx, orig.ID)
	must(t, "GetAccount", err)
	want := upd
	want.CreatedAt, want.UpdatedAt = orig.CreatedAt, e.clock.Now()
	equal(t, "GetAccount after UpdateAccount", got, want)

	tok, err := e.s.GetToken(e.ctx, orig.ID)
	must(t, "GetToken", err)
	equal(t, "token after UpdateAccount", tok, store.Token{AccountID: orig.ID, Sealed: store.Sealed("tok"), Expiry: at(time.Hour), Version: 1})
}

func testAccountUpdateUniqueness(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	a := e.account(t, newAccount("a", "u1", store.AccountPrimary, "Google", "g1"), store.Token{})
	b := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g2"), store.Token{})

	clash := b
	clash.AuthUserID = "g1"
	wantErr(t, "UpdateAccount onto another account's (app, user, service, authUserId)", e.s.UpdateAccount(e.ctx, clash), store.ErrConflict)
	second := b
	second.Type = store.AccountPrimary
	wantErr(t, "UpdateAccount to a second primary account", e.s.UpdateAccount(e.ctx, second), store.ErrConflict)
	got, err := e.s.GetAccount(e.ctx, b.ID)
	must(t, "GetAccount", err)
	equal(t, "account after refused updates", got, b)

	// An account does not conflict with itself.
	a.Name = "renamed"
	must(t, "UpdateAccount of the primary account keeping its key", e.s.UpdateAccount(e.ctx, a))
	// Two accounts may share an empty authUserId.
	b.AuthUserID = ""
	must(t, "UpdateAccount to an empty authUserId", e.s.UpdateAccount(e.ctx, b))
	c := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g3"), store.Token{})
	c.AuthUserID = ""
	must(t, "UpdateAccount to a second empty authUserId", e.s.UpdateAccount(e.ctx, c))
}

func testAccountFind(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	acc := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), store.Token{})
	daemon := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "app-1"), store.Token{})
	got, err := e.s.FindAccount(e.ctx, "a", "u1", "Google", "g1")
	must(t, "FindAccount", err)
	equal(t, "FindAccount", got, acc)
	got, err = e.s.FindAccount(e.ctx, "a", "", "Office365", "app-1")
	must(t, "FindAccount of a daemon account", err)
	equal(t, "FindAccount of a daemon account", got, daemon)
	for _, k := range [][4]string{
		{"b", "u1", "Google", "g1"},
		{"a", "u2", "Google", "g1"},
		{"a", "u1", "Office365", "g1"},
		{"a", "u1", "Google", "g2"},
		{"a", "u1", "Office365", "app-1"},
	} {
		_, err := e.s.FindAccount(e.ctx, k[0], k[1], k[2], k[3])
		wantErr(t, fmt.Sprintf("FindAccount%q", k), err, store.ErrNotFound)
	}
}

func testAccountSetStatus(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	acc := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), sealedToken("tok", at(time.Hour)))
	must(t, "SetAccountStatus", e.s.SetAccountStatus(e.ctx, acc.ID, false, store.TokenDead, "invalid_grant"))
	got, err := e.s.GetAccount(e.ctx, acc.ID)
	must(t, "GetAccount", err)
	if got.Active || got.TokenStatus != store.TokenDead || got.TokenError != "invalid_grant" {
		t.Errorf("after SetAccountStatus: Active=%v TokenStatus=%q TokenError=%q, want false %q %q", got.Active, got.TokenStatus, got.TokenError, store.TokenDead, "invalid_grant")
	}
	if got.Email != acc.Email || got.AuthUserID != acc.AuthUserID || got.Type != acc.Type {
		t.Errorf("SetAccountStatus changed other fields: got %+v, was %+v", got, acc)
	}
	must(t, "SetAccountStatus", e.s.SetAccountStatus(e.ctx, acc.ID, true, store.TokenActive, ""))
	got, err = e.s.GetAccount(e.ctx, acc.ID)
	must(t, "GetAccount", err)
	if !got.Active || got.TokenStatus != store.TokenActive || got.TokenError != "" {
		t.Errorf("after SetAccountStatus: Active=%v TokenStatus=%q TokenError=%q, want true %q \"\"", got.Active, got.TokenStatus, got.TokenError, store.TokenActive)
	}
	tok, err := e.s.GetToken(e.ctx, acc.ID)
	must(t, "GetToken", err)
	if tok.Version != 1 || string(tok.Sealed) != "tok" {
		t.Errorf("SetAccountStatus changed the token: Version=%d Sealed=%q, want 1 %q", tok.Version, tok.Sealed, "tok")
	}
}

func testAccountMissingIsNotFound(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	acc := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), store.Token{})
	missing := acc.ID + 1000
	_, err := e.s.GetAccount(e.ctx, missing)
	wantErr(t, "GetAccount", err, store.ErrNotFound)
	_, err = e.s.FindAccount(e.ctx, "a", "u1", "Google", "nope")
	wantErr(t, "FindAccount", err, store.ErrNotFound)
	upd := acc
	upd.ID = missing
	upd.AuthUserID = "g9"
	wantErr(t, "UpdateAccount", e.s.UpdateAccount(e.ctx, upd), store.ErrNotFound)
	wantErr(t, "SetAccountStatus", e.s.SetAccountStatus(e.ctx, missing, false, store.TokenDead, "x"), store.ErrNotFound)
	wantErr(t, "DeleteAccount", e.s.DeleteAccount(e.ctx, missing), store.ErrNotFound)
	_, err = e.s.GetAccount(e.ctx, missing)
	wantErr(t, "GetAccount after UpdateAccount of a missing account", err, store.ErrNotFound)
}

func testAccountListFilters(t *testing.T, e *env) {
	e.app(t, "a")
	e.app(t, "b")
	e.user(t, "a", "u1")
	e.user(t, "a", "u2")
	e.user(t, "b", "u3")
	org, err := e.s.UpsertOrganization(e.ctx, store.Organization{AppID: "a", ServiceProvider: "Office365", XID: "tid"})
	must(t, "UpsertOrganization", err)
	withOrg := func(a store.Account) store.Account { a.OrgID = org.ID; return a }

	u1Primary := e.account(t, withOrg(newAccount("a", "u1", store.AccountPrimary, "Office365", "o1")), store.Token{})
	u1Google := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), store.Token{})
	u1Sales := e.account(t, newAccount("a", "u1", store.AccountSecondary, "Salesforce", "s1"), store.Token{})
	u2Primary := e.account(t, newAccount("a", "u2", store.AccountPrimary, "Google", "g2"), store.Token{})
	daemon := e.account(t, withOrg(newAccount("a", "", store.AccountDaemon, "Office365", "app")), store.Token{})
	e.account(t, newAccount("b", "u3", store.AccountPrimary, "Google", "g3"), store.Token{})

	sorted := func(accs ...store.Account) []int64 {
		out := ids(accs, func(a store.Account) int64 { return a.ID })
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		name string
		f    store.AccountFilter
		want []int64
	}{
		{"app", store.AccountFilter{AppID: "a"}, sorted(u1Primary, u1Google, u1Sales, u2Primary, daemon)},
		{"user", store.AccountFilter{AppID: "a", UserID: "u1"}, sorted(u1Primary, u1Google, u1Sales)},
		{"service type", store.AccountFilter{AppID: "a", ServiceType: "Google"}, sorted(u1Google, u2Primary)},
		{"type", store.AccountFilter{AppID: "a", Type: store.AccountPrimary}, sorted(u1Primary, u2Primary)},
		{"daemon type", store.AccountFilter{AppID: "a", Type: store.AccountDaemon}, sorted(daemon)},
		{"org", store.AccountFilter{AppID: "a", OrgID: org.ID}, sorted(u1Primary, daemon)},
		{"user and type", store.AccountFilter{AppID: "a", UserID: "u1", Type: store.AccountSecondary}, sorted(u1Google, u1Sales)},
		{"user and service type", store.AccountFilter{AppID: "a", UserID: "u1", ServiceType: "Salesforce"}, sorted(u1Sales)},
		{"no match", store.AccountFilter{AppID: "a", UserID: "u2", ServiceType: "Salesforce"}, nil},
		{"other app's user", store.AccountFilter{AppID: "a", UserID: "u3"}, nil},
		{"app without accounts", store.AccountFilter{AppID: "none"}, nil},
	} {
		list, err := e.s.ListAccounts(e.ctx, c.f, store.Page{})
		must(t, "ListAccounts "+c.name, err)
		equal(t, "ListAccounts "+c.name, ids(list, func(a store.Account) int64 { return a.ID }), c.want)
	}
	list, err := e.s.ListAccounts(e.ctx, store.AccountFilter{AppID: "a", UserID: "u1", Type: store.AccountPrimary}, store.Page{})
	must(t, "ListAccounts", err)
	equal(t, "ListAccounts records", list, []store.Account{u1Primary})
}

func testAccountListPages(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	e.user(t, "a", "u2")
	var want []int64
	for i := range 5 {
		want = append(want, e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", fmt.Sprint("g", i)), store.Token{}).ID)
		e.account(t, newAccount("a", "u2", store.AccountSecondary, "Google", fmt.Sprint("g", i)), store.Token{})
	}
	slices.Sort(want)
	checkPages(t, "ListAccounts", want, func(after int64, limit int) ([]int64, error) {
		list, err := e.s.ListAccounts(e.ctx, store.AccountFilter{AppID: "a", UserID: "u1"}, store.Page{After: after, Limit: limit})
		return ids(list, func(a store.Account) int64 { return a.ID }), err
	})
}

func testAccountListWithoutAppID(t *testing.T, e *env) {
	e.app(t, "a")
	e.user(t, "a", "u1")
	e.account(t, newAccount("a", "u1", store.AccountSecondary, "Google", "g1"), store.Token{})
	_, err := e.s.ListAccounts(e.ctx, store.AccountFilter{UserID: "u1"}, store.Page{})
	wantErr(t, "ListAccounts without AppID", err, store.ErrInvalid)
}

func cascadeTests() []test {
	return []test{
		{"DeleteUser", testDeleteUserCascades},
		{"DeleteAccount", testDeleteAccountCascades},
	}
}

// world is a small store population that the cascade tests delete from: two
// users of one app, each with accounts, tokens, account tokens, sessions,
// settings and subscriptions, plus a daemon account.
type world struct {
	u1Accounts, u2Accounts []store.Account
	daemon                 store.Account
	subs                   map[int64]store.Subscription // by account ID
}

func (e *env) world(t *testing.T) world {
	t.Helper()
	e.app(t, "a")
	var w world
	w.subs = map[int64]store.Subscription{}
	for _, u := range []string{"u1", "u2"} {
		e.user(t, "a", u)
		accs := []store.Account{
			e.account(t, newAccount("a", u, store.AccountPrimary, "Office365", u+"-o"), sealedToken(u+"-o-tok", at(time.Hour))),
			e.account(t, newAccount("a", u, store.AccountSecondary, "Google", u+"-g"), sealedToken(u+"-g-tok", at(2*time.Hour))),
		}
		for _, acc := range accs {
			e.accountExtras(t, acc)
			w.subs[acc.ID] = e.subscriptionOf(t, acc)
		}
		must(t, "CreateSession", e.s.CreateSession(e.ctx, store.Session{Hash: hash("session-" + u), AppID: "a", UserID: u, AccountID: accs[0].ID, IdleExpiresAt: at(time.Hour), ExpiresAt: at(24 * time.Hour)}))
		must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsUser, OwnerID: u, Key: "k", Value: []byte(`1`)}))
		if u == "u1" {
			w.u1Accounts = accs
		} else {
			w.u2Accounts = accs
		}
	}
	w.daemon = e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "daemon"), sealedToken("daemon-tok", at(3*time.Hour)))
	e.accountExtras(t, w.daemon)
	w.subs[w.daemon.ID] = e.subscriptionOf(t, w.daemon)
	must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsApp, Key: "k", Value: []byte(`1`)}))
	return w
}

func (e *env) accountExtras(t *testing.T, acc store.Account) {
	t.Helper()
	must(t, "CreateAccountToken", e.s.CreateAccountToken(e.ctx, store.AccountToken{Hash: hash(fmt.Sprint("at-", acc.ID)), AppID: acc.AppID, AccountID: acc.ID}))
}

func (e *env) subscriptionOf(t *testing.T, acc store.Account) store.Subscription {
	t.Helper()
	s, err := e.s.CreateSubscription(e.ctx, store.Subscription{
		AppID: acc.AppID, AccountID: acc.ID, Resource: "/email/messages", NotificationURL: "https://a.example/hook",
		Active: true, ProviderSecret: store.Sealed(fmt.Sprint("sub-secret-", acc.ID)), ProviderExpiresAt: at(time.Hour),
	})
	must(t, "CreateSubscription", err)
	return s
}

// checkAccount checks that an account and its token, account token and
// subscription are still there (present) or are all gone.
func (e *env) checkAccount(t *testing.T, w world, acc store.Account, present bool) {
	t.Helper()
	check := func(what string, err error) {
		t.Helper()
		if present {
			must(t, what+" of a kept account", err)
		} else {
			wantErr(t, what+" of a deleted account", err, store.ErrNotFound)
		}
	}
	_, err := e.s.GetAccount(e.ctx, acc.ID)
	check(fmt.Sprintf("GetAccount(%d)", acc.ID), err)
	_, err = e.s.GetToken(e.ctx, acc.ID)
	check(fmt.Sprintf("GetToken(%d)", acc.ID), err)
	_, err = e.s.GetAccountToken(e.ctx, hash(fmt.Sprint("at-", acc.ID)))
	check(fmt.Sprintf("GetAccountToken of account %d", acc.ID), err)
	_, err = e.s.GetSubscription(e.ctx, w.subs[acc.ID].ID)
	check(fmt.Sprintf("GetSubscription of account %d", acc.ID), err)
}

// tokenAccounts returns the ids of accounts whose token ListTokensExpiring
// still reports.
func (e *env) tokenAccounts(t *testing.T) []int64 {
	t.Helper()
	toks, err := e.s.ListTokensExpiring(e.ctx, at(100*time.Hour), 100)
	must(t, "ListTokensExpiring", err)
	out := ids(toks, func(tok store.Token) int64 { return tok.AccountID })
	slices.Sort(out)
	return out
}

func testDeleteUserCascades(t *testing.T, e *env) {
	w := e.world(t)
	must(t, "DeleteUser", e.s.DeleteUser(e.ctx, "u1"))
	_, err := e.s.GetUser(e.ctx, "u1")
	wantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
	_, err = e.s.GetSession(e.ctx, hash("session-u1"))
	wantErr(t, "GetSession of a deleted user", err, store.ErrNotFound)
	_, err = e.s.GetSetting(e.ctx, "a", store.SettingsUser, "u1", "k")
	wantErr(t, "GetSetting of a deleted user", err, store.ErrNotFound)
	for _, acc := range w.u1Accounts {
		e.checkAccount(t, w, acc, false)
	}

	// Everything else is untouched.
	_, err = e.s.GetUser(e.ctx, "u2")
	must(t, "GetUser of the other user", err)
	_, err = e.s.GetSession(e.ctx, hash("session-u2"))
	must(t, "GetSession of the other user", err)
	_, err = e.s.GetSetting(e.ctx, "a", store.SettingsUser, "u2", "k")
	must(t, "GetSetting of the other user", err)
	_, err = e.s.GetSetting(e.ctx, "a", store.SettingsApp, "", "k")
	must(t, "GetSetting of the app", err)
	for _, acc := range append(slices.Clone(w.u2Accounts), w.daemon) {
		e.checkAccount(t, w, acc, true)
	}
	want := []int64{w.u2Accounts[0].ID, w.u2Accounts[1].ID, w.daemon.ID}
	slices.Sort(want)
	equal(t, "accounts with tokens after DeleteUser", e.tokenAccounts(t), want)
}

func testDeleteAccountCascades(t *testing.T, e *env) {
	w := e.world(t)
	gone := w.u1Accounts[1]
	must(t, "DeleteAccount", e.s.DeleteAccount(e.ctx, gone.ID))
	e.checkAccount(t, w, gone, false)
	wantErr(t, "DeleteAccount twice", e.s.DeleteAccount(e.ctx, gone.ID), store.ErrNotFound)
	e.checkAccount(t, w, w.u1Accounts[0], true)
	e.checkAccount(t, w, w.daemon, true)
	// Listing the subscriptions of a missing account may be ErrNotFound or
	// an empty list; it must not show the deleted ones.
	subs, err := e.s.ListSubscriptions(e.ctx, gone.ID, store.Page{})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListSubscriptions of a deleted account: %v", err)
	}
	if len(subs) != 0 {
		t.Errorf("ListSubscriptions of a deleted account = %d, want 0", len(subs))
	}
	_, err = e.s.GetUser(e.ctx, "u1")
	must(t, "GetUser of the deleted account's user", err)
	_, err = e.s.GetSession(e.ctx, hash("session-u1"))
	must(t, "GetSession of the deleted account's user", err)
	want := []int64{w.u1Accounts[0].ID, w.u2Accounts[0].ID, w.u2Accounts[1].ID, w.daemon.ID}
	slices.Sort(want)
	equal(t, "accounts with tokens after DeleteAccount", e.tokenAccounts(t), want)
}
