package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func subscriptionTests() []test {
	return []test{
		{"CreateGet", testSubscriptionCreateGet},
		{"MissingFieldIsInvalid", testSubscriptionInvalid},
		{"MissingAccountIsNotFound", testSubscriptionMissingAccount},
		{"Update", testSubscriptionUpdate},
		{"MissingIsNotFound", testSubscriptionMissingIsNotFound},
		{"List", testSubscriptionList},
		{"ListExpiring", testSubscriptionListExpiring},
		{"ListApp", testSubscriptionListApp},
		{"MarkDelivered", testSubscriptionMarkDelivered},
	}
}

func newSubscription(acc store.Account, resource string) store.Subscription {
	return store.Subscription{AppID: acc.AppID, AccountID: acc.ID, Resource: resource, NotificationURL: "https://a.example/hook", Active: true}
}

func testSubscriptionCreateGet(t *testing.T, e *env) {
	acc := e.daemon(t)
	in := store.Subscription{
		AppID: "a", AccountID: acc.ID, Resource: "/calendars/primary/events", NotificationURL: "https://a.example/hook?x=1",
		Filters: []string{"isRead eq false", "from eq 'x'"}, Active: true, FailSince: at(-time.Hour), FailDescription: "HTTP 500",
		ProviderID: "graph-sub-1", ProviderSecret: store.Sealed("client-state"), ProviderExpiresAt: at(72 * time.Hour),
		LastDeliveryAt: at(-2 * time.Hour),
	}
	got, err := e.s.CreateSubscription(e.ctx, in)
	must(t, "CreateSubscription", err)
	if got.ID <= 0 {
		t.Fatalf("CreateSubscription ID = %d, want > 0", got.ID)
	}
	want := in
	want.ID, want.CreatedAt, want.UpdatedAt = got.ID, e.clock.Now(), e.clock.Now()
	equal(t, "CreateSubscription result", got, want)
	stored, err := e.s.GetSubscription(e.ctx, got.ID)
	must(t, "GetSubscription", err)
	equal(t, "GetSubscription", stored, want)
}

func testSubscriptionInvalid(t *testing.T, e *env) {
	acc := e.daemon(t)
	for _, c := range []struct {
		name   string
		mutate func(*store.Subscription)
	}{
		{"no AppID", func(s *store.Subscription) { s.AppID = "" }},
		{"no AccountID", func(s *store.Subscription) { s.AccountID = 0 }},
		{"no Resource", func(s *store.Subscription) { s.Resource = "" }},
		{"no NotificationURL", func(s *store.Subscription) { s.NotificationURL = "" }},
	} {
		s := newSubscription(acc, "/email/messages")
		c.mutate(&s)
		_, err := e.s.CreateSubscription(e.ctx, s)
		wantErr(t, "CreateSubscription with "+c.name, err, store.ErrInvalid)
	}
	list, err := e.s.ListSubscriptions(e.ctx, acc.ID, store.Page{})
	must(t, "ListSubscriptions", err)
	if len(list) != 0 {
		t.Errorf("ListSubscriptions after invalid creates = %d, want 0", len(list))
	}
}

func testSubscriptionMissingAccount(t *testing.T, e *env) {
	acc := e.daemon(t)
	missing := acc
	missing.ID += 1000
	_, err := e.s.CreateSubscription(e.ctx, newSubscription(missing, "/email/messages"))
	wantErr(t, "CreateSubscription for a missing account", err, store.ErrNotFound)
}

func testSubscriptionUpdate(t *testing.T, e *env) {
	acc := e.daemon(t)
	other := e.account(t, newAccount("a", "", store.AccountDaemon, "Google", "other"), store.Token{})
	orig, err := e.s.CreateSubscription(e.ctx, newSubscription(acc, "/email/messages"))
	must(t, "CreateSubscription", err)
	e.clock.Advance(time.Hour)
	upd := store.Subscription{
		ID: orig.ID, AppID: "a", AccountID: other.ID, Resource: "/contacts", NotificationURL: "https://b.example/hook",
		Filters: []string{"f"}, Active: false, FailSince: at(30 * time.Minute), FailDescription: "timeout",
		ProviderID: "p-2", ProviderSecret: store.Sealed("s2"), ProviderExpiresAt: at(48 * time.Hour), CreatedAt: at(-1000 * time.Hour),
		LastDeliveryAt: at(time.Hour),
	}
	must(t, "UpdateSubscription", e.s.UpdateSubscription(e.ctx, upd))
	got, err := e.s.GetSubscription(e.ctx, orig.ID)
	must(t, "GetSubscription", err)
	want := upd
	want.AccountID, want.CreatedAt, want.UpdatedAt = acc.ID, orig.CreatedAt, e.clock.Now()
	want.LastDeliveryAt = time.Time{} // only MarkDelivered writes it
	equal(t, "GetSubscription after UpdateSubscription", got, want)
}

func testSubscriptionMissingIsNotFound(t *testing.T, e *env) {
	acc := e.daemon(t)
	s, err := e.s.CreateSubscription(e.ctx, newSubscription(acc, "/email/messages"))
	must(t, "CreateSubscription", err)
	missing := s
	missing.ID += 1000
	_, err = e.s.GetSubscription(e.ctx, missing.ID)
	wantErr(t, "GetSubscription", err, store.ErrNotFound)
	wantErr(t, "UpdateSubscription", e.s.UpdateSubscription(e.ctx, missing), store.ErrNotFound)
	wantErr(t, "DeleteSubscription", e.s.DeleteSubscription(e.ctx, missing.ID), store.ErrNotFound)
	must(t, "DeleteSubscription", e.s.DeleteSubscription(e.ctx, s.ID))
	_, err = e.s.GetSubscription(e.ctx, s.ID)
	wantErr(t, "GetSubscription after DeleteSubscription", err, store.ErrNotFound)
	wantErr(t, "DeleteSubscription twice", e.s.DeleteSubscription(e.ctx, s.ID), store.ErrNotFound)
}

func testSubscriptionList(t *testing.T, e *env) {
	acc := e.daemon(t)
	other := e.account(t, newAccount("a", "", store.AccountDaemon, "Google", "other"), store.Token{})
	var want []int64
	for i := range 5 {
		s, err := e.s.CreateSubscription(e.ctx, newSubscription(acc, fmt.Sprint("/r", i)))
		must(t, "CreateSubscription", err)
		want = append(want, s.ID)
		_, err = e.s.CreateSubscription(e.ctx, newSubscription(other, fmt.Sprint("/r", i)))
		must(t, "CreateSubscription", err)
	}
	slices.Sort(want)
	checkPages(t, "ListSubscriptions", want, func(after int64, limit int) ([]int64, error) {
		list, err := e.s.ListSubscriptions(e.ctx, acc.ID, store.Page{After: after, Limit: limit})
		return ids(list, func(s store.Subscription) int64 { return s.ID }), err
	})
	list, err := e.s.ListSubscriptions(e.ctx, acc.ID, store.Page{Limit: 1})
	must(t, "ListSubscriptions", err)
	if len(list) == 1 {
		got, err := e.s.GetSubscription(e.ctx, list[0].ID)
		must(t, "GetSubscription", err)
		equal(t, "ListSubscriptions record", list[0], got)
	}
}

func testSubscriptionListExpiring(t *testing.T, e *env) {
	acc := e.daemon(t)
	mk := func(name string, expires time.Time, active bool) store.Subscription {
		s := newSubscription(acc, name)
		s.ProviderExpiresAt, s.Active = expires, active
		got, err := e.s.CreateSubscription(e.ctx, s)
		must(t, "CreateSubscription", err)
		return got
	}
	late := mk("late", at(50*time.Minute), true)
	tieB := mk("tieB", at(20*time.Minute), true)
	early := mk("early", at(10*time.Minute), true)
	tieA := mk("tieA", at(20*time.Minute), true)
	past := mk("past", at(-time.Minute), true)
	mk("atCutoff", at(time.Hour), true)
	mk("after", at(2*time.Hour), true)
	mk("none", time.Time{}, true)
	mk("inactive", at(5*time.Minute), false)

	first, second := tieB, tieA
	if tieA.ID < tieB.ID {
		first, second = tieA, tieB
	}
	order := []string{past.Resource, early.Resource, first.Resource, second.Resource, late.Resource}
	cutoff := at(time.Hour).Truncate(time.Microsecond)
	for _, limit := range []int{100, 5, 2, 1} {
		list, err := e.s.ListSubscriptionsExpiring(e.ctx, cutoff, limit)
		must(t, fmt.Sprintf("ListSubscriptionsExpiring(limit %d)", limit), err)
		got := ids(list, func(s store.Subscription) string { return s.Resource })
		equal(t, fmt.Sprintf("ListSubscriptionsExpiring(limit %d)", limit), got, order[:min(limit, len(order))])
	}
	list, err := e.s.ListSubscriptionsExpiring(e.ctx, cutoff, 1)
	must(t, "ListSubscriptionsExpiring", err)
	equal(t, "ListSubscriptionsExpiring record", list, []store.Subscription{past})
}

func testSubscriptionListApp(t *testing.T, e *env) {
	acc := e.daemon(t)
	e.app(t, "b")
	other := e.account(t, newAccount("b", "", store.AccountDaemon, "Google", "other"), store.Token{})
	var want []int64
	for i := range 5 {
		s, err := e.s.CreateSubscription(e.ctx, newSubscription(acc, fmt.Sprint("/r", i)))
		must(t, "CreateSubscription", err)
		want = append(want, s.ID)
		_, err = e.s.CreateSubscription(e.ctx, newSubscription(other, fmt.Sprint("/r", i)))
		must(t, "CreateSubscription", err)
	}
	slices.Sort(want)
	checkPages(t, "ListAppSubscriptions", want, func(after int64, limit int) ([]int64, error) {
		list, err := e.s.ListAppSubscriptions(e.ctx, "a", store.Page{After: after, Limit: limit})
		return ids(list, func(s store.Subscription) int64 { return s.ID }), err
	})
	list, err := e.s.ListAppSubscriptions(e.ctx, "a", store.Page{Limit: 1})
	must(t, "ListAppSubscriptions", err)
	if len(list) == 1 {
		got, err := e.s.GetSubscription(e.ctx, list[0].ID)
		must(t, "GetSubscription", err)
		equal(t, "ListAppSubscriptions record", list[0], got)
	}
	none, err := e.s.ListAppSubscriptions(e.ctx, "no-such-app", store.Page{})
	must(t, "ListAppSubscriptions of an unknown app", err)
	if len(none) != 0 {
		t.Errorf("ListAppSubscriptions of an unknown app = %d records", len(none))
	}
}

func testSubscriptionMarkDelivered(t *testing.T, e *env) {
	acc := e.daemon(t)
	in := newSubscription(acc, "/email/messages")
	in.FailSince, in.FailDescription, in.ProviderID, in.ProviderExpiresAt = at(-time.Hour), "HTTP 503", "p-1", at(time.Hour)
	orig, err := e.s.CreateSubscription(e.ctx, in)
	must(t, "CreateSubscription", err)
	e.clock.Advance(time.Minute)
	delivered := at(time.Minute + 1500*time.Microsecond)
	must(t, "MarkDelivered", e.s.MarkDelivered(e.ctx, orig.ID, delivered))
	got, err := e.s.GetSubscription(e.ctx, orig.ID)
	must(t, "GetSubscription", err)
	want := orig
	want.LastDeliveryAt, want.FailSince, want.FailDescription = delivered.Truncate(time.Microsecond), time.Time{}, ""
	equal(t, "GetSubscription after MarkDelivered", got, want)

	// An update written from an older read keeps the delivery time.
	stale := orig
	stale.ProviderID = "p-2"
	must(t, "UpdateSubscription", e.s.UpdateSubscription(e.ctx, stale))
	got, err = e.s.GetSubscription(e.ctx, orig.ID)
	must(t, "GetSubscription", err)
	if !got.LastDeliveryAt.Equal(want.LastDeliveryAt) || got.ProviderID != "p-2" {
		t.Errorf("after UpdateSubscription: LastDeliveryAt %v, ProviderID %q; want %v, p-2", got.LastDeliveryAt, got.ProviderID, want.LastDeliveryAt)
	}
	wantErr(t, "MarkDelivered of a missing subscription", e.s.MarkDelivered(e.ctx, orig.ID+1000, delivered), store.ErrNotFound)
}
