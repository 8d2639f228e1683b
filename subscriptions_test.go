package aurinko_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/webhooks"
)

func TestSubscriptions_endToEndAndIDOR(t *testing.T) {
	t.Parallel()
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t),
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{ssoConnector{}},
		Webhooks: webhooks.Config{AllowInsecureTargets: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		t.Fatal(err)
	}
	account := func(user string) (int64, string) {
		res, err := srv.Accounts().Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "SsoProvider", Type: store.AccountPrimary,
			Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "x", Expiry: time.Now().Add(time.Hour)}, Identity: connectors.Identity{AuthUserID: user}}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := srv.Sessions().IssueAccountToken(ctx, "app", res.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		return res.Account.ID, tok
	}
	aliceID, alice := account("alice")
	_, bob := account("bob")

	secret, err := srv.Webhooks().SigningSecret(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []webhooks.Notification
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			fmt.Fprint(w, tok)
			return
		}
		body, err := webhooks.VerifyRequest(r, secret, 0)
		if err != nil {
			http.Error(w, "bad signature", 401)
			return
		}
		var n webhooks.Notification
		_ = json.Unmarshal(body, &n)
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
	}))
	defer recv.Close()

	api := httptest.NewServer(srv.Handler())
	defer api.Close()
	call := func(method, path, tok, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, api.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	code, sub := call("POST", "/v1/subscriptions", alice, fmt.Sprintf(`{"resource":"/email/messages","notificationUrl":%q}`, recv.URL))
	if code != 200 || sub["active"] != true {
		t.Fatalf("create = %d %v", code, sub)
	}
	id := fmt.Sprint(sub["id"])
	for _, bad := range []string{`{"resource":"/nope","notificationUrl":"` + recv.URL + `"}`, `{"resource":"/contacts"}`, `not json`, `{"resource":"/contacts","notificationUrl":"` + recv.URL + `","extra":1}`} {
		if code, _ := call("POST", "/v1/subscriptions", alice, bad); code != 400 {
			t.Errorf("create with %s = %d, want 400", bad, code)
		}
	}
	// Bob can neither read nor delete Alice's subscription.
	if code, _ := call("GET", "/v1/subscriptions/"+id, bob, ""); code != 404 {
		t.Fatalf("bob reads alice's subscription: %d", code)
	}
	if code, _ := call("DELETE", "/v1/subscriptions/"+id, bob, ""); code != 404 {
		t.Fatalf("bob deletes alice's subscription: %d", code)
	}
	if code, list := call("GET", "/v1/subscriptions", bob, ""); code != 200 || list["totalSize"].(float64) != 0 {
		t.Fatalf("bob's list = %d %v", code, list)
	}
	if code, list := call("GET", "/v1/subscriptions", alice, ""); code != 200 || list["totalSize"].(float64) != 1 {
		t.Fatalf("alice's list = %d %v", code, list)
	}

	// A change is delivered, signed, by the background runner.
	if n, err := srv.Webhooks().Notify(ctx, aliceID, "/email/messages", []webhooks.Payload{{ID: "m1", ChangeType: "created"}}); err != nil || n != 1 {
		t.Fatalf("Notify = %d, %v", n, err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(got) != 1 || got[0].Payloads[0].ID != "m1" || fmt.Sprint(got[0].Subscription) != id {
		t.Fatalf("delivered %+v", got)
	}
	if code, _ := call("DELETE", "/v1/subscriptions/"+id, alice, ""); code != 200 {
		t.Fatalf("alice deletes = %d", code)
	}
	if code, _ := call("GET", "/v1/subscriptions/"+id, alice, ""); code != 404 {
		t.Fatalf("deleted subscription = %d", code)
	}
}
