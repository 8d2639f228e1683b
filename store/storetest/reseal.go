package storetest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func resealTests() []test {
	return []test{
		{"VisitsEverySealedSecret", testResealVisitsAll},
		{"StopsOnError", testResealStopsOnError},
		{"SkipsSecretReplacedMeanwhile", testResealSkipsReplaced},
	}
}

// sealedWorld stores secrets in every sealed column, plus records without
// secrets, and returns a function that reads every secret back by name.
func (e *env) sealedWorld(t *testing.T) (secrets func() map[string]string, tokenAccount store.Account) {
	t.Helper()
	must(t, "CreateApp", e.s.CreateApp(e.ctx, store.App{ID: "a", ClientSecret: store.Sealed("app-a")}))
	must(t, "CreateApp", e.s.CreateApp(e.ctx, store.App{ID: "b", ClientSecret: store.Sealed("app-b")}))
	must(t, "CreateApp", e.s.CreateApp(e.ctx, store.App{ID: "none"}))
	tok1 := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d1"), sealedToken("tok-1", at(time.Hour)))
	tok2 := e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d2"), sealedToken("tok-2", time.Time{}))
	e.account(t, newAccount("a", "", store.AccountDaemon, "Office365", "d3"), store.Token{})
	sub1, err := e.s.CreateSubscription(e.ctx, store.Subscription{AppID: "a", AccountID: tok1.ID, Resource: "/r", NotificationURL: "https://a.example", ProviderSecret: store.Sealed("sub-1")})
	must(t, "CreateSubscription", err)
	sub2, err := e.s.CreateSubscription(e.ctx, store.Subscription{AppID: "a", AccountID: tok2.ID, Resource: "/r", NotificationURL: "https://a.example"})
	must(t, "CreateSubscription", err)

	return func() map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, id := range []string{"a", "b", "none"} {
			app, err := e.s.GetApp(e.ctx, id)
			must(t, "GetApp", err)
			out["app "+id] = string(app.ClientSecret)
		}
		for name, id := range map[string]int64{"tok1": tok1.ID, "tok2": tok2.ID} {
			tok, err := e.s.GetToken(e.ctx, id)
			must(t, "GetToken", err)
			out[name] = string(tok.Sealed)
			out[name+" version"] = strconv.FormatInt(tok.Version, 10)
		}
		for name, id := range map[string]int64{"sub1": sub1.ID, "sub2": sub2.ID} {
			s, err := e.s.GetSubscription(e.ctx, id)
			must(t, "GetSubscription", err)
			out[name] = string(s.ProviderSecret)
		}
		return out
	}, tok1
}

func testResealVisitsAll(t *testing.T, e *env) {
	secrets, _ := e.sealedWorld(t)
	var mu sync.Mutex
	var seen []string
	n, err := e.s.ResealSecrets(e.ctx, func(_ context.Context, old store.Sealed) (store.Sealed, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(old))
		if string(old) == "app-b" || string(old) == "tok-2" {
			return nil, false, nil // already under the new key
		}
		return store.Sealed("new:" + string(old)), true, nil
	})
	must(t, "ResealSecrets", err)
	slices.Sort(seen)
	equal(t, "secrets given to fn", seen, []string{"app-a", "app-b", "sub-1", "tok-1", "tok-2"})
	if n != 3 {
		t.Errorf("ResealSecrets = %d, want 3", n)
	}
	equal(t, "secrets after ResealSecrets", secrets(), map[string]string{
		"app a": "new:app-a", "app b": "app-b", "app none": "",
		"tok1": "new:tok-1", "tok2": "tok-2", "tok1 version": "1", "tok2 version": "1",
		"sub1": "new:sub-1", "sub2": "",
	})
}

func testResealStopsOnError(t *testing.T, e *env) {
	secrets, _ := e.sealedWorld(t)
	before := secrets()
	errStop := errors.New("key service unavailable")
	calls := 0
	_, err := e.s.ResealSecrets(e.ctx, func(_ context.Context, old store.Sealed) (store.Sealed, bool, error) {
		calls++
		if calls == 3 {
			return nil, false, errStop
		}
		return store.Sealed("new:" + string(old)), true, nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("ResealSecrets: err = %v, want an error wrapping fn's", err)
	}
	if calls != 3 {
		t.Errorf("fn called %d times, want 3 (the walk stops at the error)", calls)
	}
	rewritten := 0
	for name, v := range secrets() {
		switch {
		case v == before[name]:
		case v == "new:"+before[name]:
			rewritten++
		default:
			t.Errorf("%s = %q after a failed ResealSecrets, want %q or %q", name, v, before[name], "new:"+before[name])
		}
	}
	if rewritten != 2 {
		t.Errorf("%d secrets rewritten before fn failed, want 2", rewritten)
	}
}

func testResealSkipsReplaced(t *testing.T, e *env) {
	secrets, acc := e.sealedWorld(t)
	// While fn works on tok-1, a token refresh replaces it. The rewrite of
	// the old ciphertext must not overwrite the refreshed token.
	n, err := e.s.ResealSecrets(e.ctx, func(ctx context.Context, old store.Sealed) (store.Sealed, bool, error) {
		if string(old) == "tok-1" {
			if _, err := e.s.SwapToken(ctx, acc.ID, 1, sealedToken("refreshed", at(2*time.Hour))); err != nil {
				return nil, false, err
			}
		}
		return store.Sealed("new:" + string(old)), true, nil
	})
	must(t, "ResealSecrets", err)
	if n != 4 {
		t.Errorf("ResealSecrets = %d, want 4 (the refreshed token skipped)", n)
	}
	equal(t, "secrets after ResealSecrets", secrets(), map[string]string{
		"app a": "new:app-a", "app b": "new:app-b", "app none": "",
		"tok1": "refreshed", "tok2": "new:tok-2", "tok1 version": "2", "tok2 version": "1",
		"sub1": "new:sub-1", "sub2": "",
	})
}
