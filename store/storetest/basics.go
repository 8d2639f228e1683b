package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func storeTests() []test {
	return []test{
		{"Ping", testPing},
		{"CallsAfterCloseFail", testCallsAfterCloseFail},
		{"TimesKeptToMicrosecondInUTC", testTimesKeptToMicrosecondInUTC},
		{"BytesKeptByteForByte", testBytesKeptByteForByte},
	}
}

func testPing(t *testing.T, e *env) {
	must(t, "Ping", e.s.Ping(e.ctx))
}

func testCallsAfterCloseFail(t *testing.T, e *env) {
	e.app(t, "a")
	must(t, "Close", e.s.Close())
	if err := e.s.Ping(e.ctx); err == nil {
		t.Error("Ping after Close: err = nil, want an error")
	}
	if _, err := e.s.GetApp(e.ctx, "a"); err == nil {
		t.Error("GetApp after Close: err = nil, want an error")
	}
	if err := e.s.CreateApp(e.ctx, newApp("b")); err == nil {
		t.Error("CreateApp after Close: err = nil, want an error")
	}
}

func testTimesKeptToMicrosecondInUTC(t *testing.T, e *env) {
	// Spelled out once here; every other comparison of the suite checks the
	// same rule through equal.
	in := time.Date(2030, time.July, 8, 23, 59, 58, 987654321, zone)
	want := time.Date(2030, time.July, 8, 18, 29, 58, 987654000, time.UTC)

	app := newApp("a")
	app.CreatedAt, app.UpdatedAt = in, in
	must(t, "CreateApp", e.s.CreateApp(e.ctx, app))
	got, err := e.s.GetApp(e.ctx, "a")
	must(t, "GetApp", err)
	for name, ts := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
		if !ts.Equal(want) || ts.Nanosecond() != 987654000 {
			t.Errorf("App.%s = %s, want %s", name, ts.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
		if ts.Location() != time.UTC {
			t.Errorf("App.%s location = %v, want UTC", name, ts.Location())
		}
	}

	// Timestamps left zero are set from the store's clock, kept the same way.
	must(t, "CreateApp", e.s.CreateApp(e.ctx, newApp("b")))
	got, err = e.s.GetApp(e.ctx, "b")
	must(t, "GetApp", err)
	wantNow := time.Date(2031, time.March, 4, 4, 50, 30, 123456000, time.UTC)
	for name, ts := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
		if !ts.Equal(wantNow) || ts.Location() != time.UTC {
			t.Errorf("App.%s set by the store = %s (%v), want %s in UTC", name, ts.Format(time.RFC3339Nano), ts.Location(), wantNow.Format(time.RFC3339Nano))
		}
	}
}

func testBytesKeptByteForByte(t *testing.T, e *env) {
	app := newApp("a")
	app.ClientSecret = store.Sealed(odd())
	must(t, "CreateApp", e.s.CreateApp(e.ctx, app))
	u := e.user(t, "a", "u")
	acc := e.account(t, newAccount("a", u.ID, store.AccountPrimary, "Google", "g1"), store.Token{Sealed: store.Sealed(odd())})
	sub, err := e.s.CreateSubscription(e.ctx, store.Subscription{
		AppID: "a", AccountID: acc.ID, Resource: "/email/messages",
		NotificationURL: "https://a.example/hook", ProviderSecret: store.Sealed(odd()),
	})
	must(t, "CreateSubscription", err)
	must(t, "CreateCode", e.s.CreateCode(e.ctx, store.Code{Hash: hash("c"), Kind: "auth", AppID: "a", Payload: odd(), ExpiresAt: at(time.Minute)}))
	must(t, "PutSetting", e.s.PutSetting(e.ctx, store.Setting{AppID: "a", Scope: store.SettingsApp, Key: "k", Value: odd()}))

	cases := []struct {
		name string
		get  func(context.Context) ([]byte, error)
	}{
		{"App.ClientSecret", func(ctx context.Context) ([]byte, error) {
			a, err := e.s.GetApp(ctx, "a")
			return a.ClientSecret, err
		}},
		{"Token.Sealed", func(ctx context.Context) ([]byte, error) {
			tok, err := e.s.GetToken(ctx, acc.ID)
			return tok.Sealed, err
		}},
		{"Subscription.ProviderSecret", func(ctx context.Context) ([]byte, error) {
			s, err := e.s.GetSubscription(ctx, sub.ID)
			return s.ProviderSecret, err
		}},
		{"Code.Payload", func(ctx context.Context) ([]byte, error) {
			c, err := e.s.RedeemCode(ctx, hash("c"), "auth")
			return c.Payload, err
		}},
		{"Setting.Value", func(ctx context.Context) ([]byte, error) {
			s, err := e.s.GetSetting(ctx, "a", store.SettingsApp, "", "k")
			return s.Value, err
		}},
	}
	for _, c := range cases {
		got, err := c.get(e.ctx)
		must(t, c.name, err)
		equal(t, c.name, got, odd())
	}
}
