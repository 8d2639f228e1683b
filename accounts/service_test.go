package accounts

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

func newService(t *testing.T) *Service {
	t.Helper()
	kr, err := seal.NewKeyring(seal.Key{ID: "t", Secret: bytes.Repeat([]byte{3}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: memstore.New(memstore.Options{}), Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutApp(context.Background(), AppSpec{ClientID: "app1", ClientSecret: "0123456789abcdef-secret"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutApp(context.Background(), AppSpec{ClientID: "app2", ClientSecret: "0123456789abcdef-other"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func grant(sub, email, access, refresh string) *connectors.Grant {
	return &connectors.Grant{
		Token:    &oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)},
		Identity: connectors.Identity{AuthUserID: sub, AuthOrgID: "tenant-1", Email: email, Name: "N " + sub},
		Scopes:   []string{"openid", "mail.read"},
	}
}

func TestLink_primarySignInCreatesUserOnceAndKeepsAccountID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	req := LinkRequest{AppID: "app1", ServiceType: "Office365", Type: store.AccountPrimary, CreateUser: true,
		Grant: grant("u-1", "a@example.com", "at-1", "rt-1"), Scopes: []connectors.Scope{connectors.MailRead}}
	first, err := s.Link(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.User == nil || first.Account.UserID != first.User.ID || first.Account.OrgID == 0 {
		t.Fatalf("first link = %+v", first)
	}
	// Second sign-in without a refresh token: same account, old refresh token kept.
	req.Grant = grant("u-1", "a@example.com", "at-2", "")
	second, err := s.Link(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Account.ID != first.Account.ID || second.User.ID != first.User.ID {
		t.Fatalf("re-sign-in created anew: %+v", second)
	}
	tok, meta, err := s.StoredToken(ctx, first.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at-2" || tok.RefreshToken != "rt-1" || meta.Version != 2 {
		t.Fatalf("token = %+v version %d, want at-2/rt-1/2", tok, meta.Version)
	}
	if bytes.Contains(meta.Sealed, []byte("rt-1")) || bytes.Contains(meta.Sealed, []byte("at-2")) {
		t.Fatal("stored token holds plaintext")
	}
}

func TestLink_concurrentFirstSignInsMakeOneUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	var wg sync.WaitGroup
	ids := make(chan int64, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "Google", Type: store.AccountPrimary, CreateUser: true,
				Grant: grant("g-7", "g@example.com", "at", "rt")})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- res.Account.ID
		}()
	}
	wg.Wait()
	close(ids)
	var first int64
	for id := range ids {
		if first == 0 {
			first = id
		}
		if id != first {
			t.Fatalf("two accounts for one person: %d and %d", first, id)
		}
	}
	users, _ := s.store.ListUsers(ctx, "app1", store.StringPage{})
	if len(users) != 1 {
		t.Fatalf("%d users, want 1", len(users))
	}
}

func TestLink_secondaryAndOwnership(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	alice, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "Office365", Type: store.AccountPrimary, CreateUser: true, Grant: grant("alice", "a@x", "a", "r")})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "Office365", Type: store.AccountPrimary, CreateUser: true, Grant: grant("bob", "b@x", "a", "r")})
	if err != nil {
		t.Fatal(err)
	}
	crm, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "Salesforce", Type: store.AccountSecondary, UserID: alice.User.ID, Grant: grant("sf-1", "a@crm", "a", "r")})
	if err != nil {
		t.Fatal(err)
	}
	if crm.Account.UserID != alice.User.ID || crm.Account.Type != store.AccountSecondary {
		t.Fatalf("secondary = %+v", crm.Account)
	}

	tests := []struct {
		name    string
		req     LinkRequest
		want    apierr.Code
		wantErr bool
	}{
		{"secondary without user", LinkRequest{AppID: "app1", ServiceType: "Salesforce", Type: store.AccountSecondary, Grant: grant("sf-2", "", "a", "r")}, apierr.Unauthorized, true},
		{"secondary for another app's user", LinkRequest{AppID: "app2", ServiceType: "Salesforce", Type: store.AccountSecondary, UserID: alice.User.ID, Grant: grant("sf-2", "", "a", "r")}, apierr.Unauthorized, true},
		{"reauth of bob's account by alice", LinkRequest{AppID: "app1", ServiceType: "Salesforce", Type: store.AccountSecondary, UserID: alice.User.ID, AccountID: bob.Account.ID, Grant: grant("bob", "", "a", "r")}, apierr.NotFound, true},
		{"reauth with another identity", LinkRequest{AppID: "app1", ServiceType: "Salesforce", Type: store.AccountSecondary, UserID: alice.User.ID, AccountID: crm.Account.ID, Grant: grant("sf-other", "", "a", "r")}, apierr.Conflict, true},
		{"reauth from another app", LinkRequest{AppID: "app2", ServiceType: "Salesforce", Type: store.AccountPrimary, AccountID: crm.Account.ID, Grant: grant("sf-1", "", "a", "r")}, apierr.NotFound, true},
		{"no identity", LinkRequest{AppID: "app1", ServiceType: "Google", Type: store.AccountPrimary, Grant: grant("", "", "a", "r")}, apierr.InvalidInput, true},
		{"bad type", LinkRequest{AppID: "app1", ServiceType: "Google", Type: "owner", Grant: grant("x", "", "a", "r")}, apierr.InvalidInput, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Link(ctx, tc.req)
			if got := apierr.CodeOf(err); got != tc.want {
				t.Fatalf("Link err = %v (code %q), want code %q", err, got, tc.want)
			}
		})
	}

	// Ownership of reads and deletes.
	if _, err := s.Account(ctx, "app1", bob.User.ID, crm.Account.ID); apierr.CodeOf(err) != apierr.NotFound {
		t.Fatalf("bob reads alice's account: %v", err)
	}
	if _, err := s.Account(ctx, "app2", "", crm.Account.ID); apierr.CodeOf(err) != apierr.NotFound {
		t.Fatalf("app2 reads app1's account: %v", err)
	}
	if err := s.DeleteAccount(ctx, "app1", bob.User.ID, crm.Account.ID); apierr.CodeOf(err) != apierr.NotFound {
		t.Fatalf("bob deletes alice's account: %v", err)
	}
	if _, err := s.Account(ctx, "app1", alice.User.ID, crm.Account.ID); err != nil {
		t.Fatalf("alice's account is gone after bob's failed delete: %v", err)
	}
	if err := s.DeleteAccount(ctx, "app1", alice.User.ID, crm.Account.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.GetAccount(ctx, crm.Account.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account still stored: %v", err)
	}
}

func TestApps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	app, err := s.App(ctx, "app1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(app.ClientSecret, []byte("secret")) {
		t.Fatal("client secret stored in plaintext")
	}
	if !s.CheckClientSecret(app, "0123456789abcdef-secret") || s.CheckClientSecret(app, "0123456789abcdef-other") || s.CheckClientSecret(app, "") {
		t.Fatal("CheckClientSecret wrong")
	}
	if _, err := s.App(ctx, "nope"); apierr.CodeOf(err) != apierr.NotFound {
		t.Fatalf("unknown app: %v", err)
	}
	for _, bad := range []AppSpec{{ClientID: "", ClientSecret: "0123456789abcdef"}, {ClientID: "x", ClientSecret: "short"}} {
		if err := s.PutApp(ctx, bad); apierr.CodeOf(err) != apierr.InvalidInput {
			t.Errorf("PutApp(%+v) = %v", bad.ClientID, err)
		}
	}
	if PrimaryUserID("a", "Google", "1") == PrimaryUserID("b", "Google", "1") || len(PrimaryUserID("a", "b", "c")) != 36 {
		t.Fatal("PrimaryUserID not app-scoped or not UUID-shaped")
	}
}

func TestStoredToken_returnsTheSealedValueIntact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	res, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "Google", Type: store.AccountPrimary, Grant: grant("x", "", "at", "rt")})
	if err != nil {
		t.Fatal(err)
	}
	_, meta, err := s.StoredToken(ctx, res.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.store.GetToken(ctx, res.Account.ID)
	if err != nil || !bytes.Equal(meta.Sealed, again.Sealed) {
		t.Fatal("StoredToken returned a Sealed value that differs from the store's")
	}
}

func TestLink_passwordAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	g := &connectors.Grant{Password: "imap-Passw0rd!", Identity: connectors.Identity{AuthUserID: "ann@mail.example", Email: "ann@mail.example", ServerURL: "imaps://mail.example:993"}}
	res, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "IMAP", Type: store.AccountPrimary, Grant: g})
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := s.Password(ctx, res.Account.ID); err != nil || pw != "imap-Passw0rd!" {
		t.Fatalf("Password = %q, %v", pw, err)
	}
	raw, _ := s.store.GetToken(ctx, res.Account.ID)
	if bytes.Contains(raw.Sealed, []byte("imap-Passw0rd!")) {
		t.Fatal("password stored in plaintext")
	}
	// A new password replaces the old one on the same account.
	g.Password = "new-Passw0rd!"
	again, err := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "IMAP", Type: store.AccountPrimary, Grant: g})
	if err != nil || again.Account.ID != res.Account.ID {
		t.Fatalf("re-link = %+v, %v", again.Account.ID, err)
	}
	if pw, _ := s.Password(ctx, res.Account.ID); pw != "new-Passw0rd!" {
		t.Fatalf("Password after re-link = %q", pw)
	}
	// OAuth accounts have no password.
	oa, _ := s.Link(ctx, LinkRequest{AppID: "app1", ServiceType: "Google", Type: store.AccountPrimary, Grant: grant("g", "", "at", "rt")})
	if _, err := s.Password(ctx, oa.Account.ID); apierr.CodeOf(err) != apierr.ReauthRequired {
		t.Fatalf("Password of an OAuth account = %v", err)
	}
}
