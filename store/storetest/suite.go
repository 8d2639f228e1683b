package storetest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// Run runs the conformance suite against the stores that open returns.
// Subtests are grouped by area (Apps, Accounts, Tokens, Locks, Jobs …); each one
// opens its own store with its own Clock, and all of them run in parallel.
// Expiry is driven by advancing the Clock, never by sleeping.
func Run(t *testing.T, open Factory) {
	t.Helper()
	areas := []struct {
		name  string
		tests []test
	}{
		{"Store", storeTests()},
		{"Apps", appTests()},
		{"Organizations", organizationTests()},
		{"Users", userTests()},
		{"Settings", settingTests()},
		{"Accounts", accountTests()},
		{"Cascade", cascadeTests()},
		{"Tokens", tokenTests()},
		{"AccountTokens", accountTokenTests()},
		{"Sessions", sessionTests()},
		{"Codes", codeTests()},
		{"Subscriptions", subscriptionTests()},
		{"Locks", lockTests()},
		{"Jobs", jobTests()},
		{"Reseal", resealTests()},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range a.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newEnv(t, open))
				})
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	run  func(t *testing.T, e *env)
}

// Clock is a fake clock for stores under test: it stands still until Advance
// moves it. It is safe for concurrent use; pass its Now method as the
// store's clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// zone is a non-UTC location: times given to the store are in it, so that the
// suite sees whether the store returns them in UTC.
var zone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// clockStart is where every subtest's Clock starts: not on a microsecond, and
// not in UTC, so that store-set timestamps show truncation and conversion.
var clockStart = time.Date(2031, time.March, 4, 10, 20, 30, 123456789, zone)

// at returns the time d after clockStart; like clockStart it has nanoseconds
// the store must truncate away.
func at(d time.Duration) time.Time { return clockStart.Add(d) }

// env is what a subtest works with: a fresh store and the clock it reads.
type env struct {
	s     store.Store
	clock *Clock
	ctx   context.Context
}

func newEnv(t *testing.T, open Factory) *env {
	t.Helper()
	c := NewClock(clockStart)
	s := open(t, c.Now)
	if s == nil {
		t.Fatal("Factory returned a nil store")
	}
	return &env{s: s, clock: c, ctx: t.Context()}
}

// must stops the subtest when err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr reports an error unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want an error wrapping %q", what, err, target)
	}
}

// equal reports every field in which got differs from want. Times are
// compared as the store must return them: want truncated to the microsecond,
// got in UTC. Nil and empty slices are equal.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	var diffs []string
	diffValue(&diffs, "", reflect.ValueOf(got), reflect.ValueOf(want))
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func diffValue(out *[]string, path string, g, w reflect.Value) {
	if g.Type() != w.Type() {
		*out = append(*out, fmt.Sprintf("%s: type %v, want %v", path, g.Type(), w.Type()))
		return
	}
	if g.Type() == timeType {
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		if msg := diffTime(gt, wt); msg != "" {
			*out = append(*out, path+": "+msg)
		}
		return
	}
	switch g.Kind() {
	case reflect.Struct:
		for i := range g.NumField() {
			diffValue(out, path+"."+g.Type().Field(i).Name, g.Field(i), w.Field(i))
		}
	case reflect.Slice:
		if g.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(g.Bytes(), w.Bytes()) {
				*out = append(*out, fmt.Sprintf("%s: got %x, want %x", path, g.Bytes(), w.Bytes()))
			}
			return
		}
		if g.Len() != w.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d elements %v, want %d %v", path, g.Len(), g.Interface(), w.Len(), w.Interface()))
			return
		}
		for i := range g.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i))
		}
	case reflect.Map:
		keys := map[any]reflect.Value{}
		for _, k := range append(g.MapKeys(), w.MapKeys()...) {
			keys[k.Interface()] = k
		}
		sorted := slices.SortedFunc(maps.Values(keys), func(a, b reflect.Value) int {
			return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
		})
		for _, k := range sorted {
			gv, wv := g.MapIndex(k), w.MapIndex(k)
			p := fmt.Sprintf("%s[%v]", path, k)
			switch {
			case !gv.IsValid():
				*out = append(*out, fmt.Sprintf("%s: missing, want %v", p, wv))
			case !wv.IsValid():
				*out = append(*out, fmt.Sprintf("%s: got %v, want no such key", p, gv))
			default:
				diffValue(out, p, gv, wv)
			}
		}
	default:
		if !g.Equal(w) {
			*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, g.Interface(), w.Interface()))
		}
	}
}

// diffTime describes how a time returned by the store differs from the time
// want given to (or expected from) it, or returns "".
func diffTime(got, want time.Time) string {
	if want.IsZero() {
		if !got.IsZero() {
			return fmt.Sprintf("got %s, want the zero time", got.Format(time.RFC3339Nano))
		}
		return ""
	}
	want = want.Truncate(time.Microsecond).UTC()
	switch {
	case !got.Equal(want):
		return fmt.Sprintf("got %s, want %s (kept to the microsecond)", got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	case got.Location() != time.UTC:
		return fmt.Sprintf("got location %v, want UTC", got.Location())
	}
	return ""
}

// equalTime reports an error unless got is want as the store keeps it.
func equalTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if msg := diffTime(got, want); msg != "" {
		t.Errorf("%s: %s", what, msg)
	}
}

// checkPages walks a list two records at a time from the start and checks
// that each page holds the next ids of want (sorted) and that the walk ends.
func checkPages[K cmp.Ordered](t *testing.T, what string, want []K, list func(after K, limit int) ([]K, error)) {
	t.Helper()
	var after K
	for i := 0; ; i += 2 {
		ids, err := list(after, 2)
		must(t, fmt.Sprintf("%s: page after %v", what, after), err)
		wantPage := want[min(i, len(want)):min(i+2, len(want))]
		if !slices.Equal(ids, wantPage) {
			t.Fatalf("%s: page after %v = %v, want %v (all: %v)", what, after, ids, wantPage, want)
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
	}
	all, err := list(*new(K), 0)
	must(t, what+": limit 0", err)
	if !slices.Equal(all, want) {
		t.Errorf("%s: limit 0 (default) = %v, want %v", what, all, want)
	}
}

// ids returns the keys of records, in order.
func ids[R any, K any](records []R, key func(R) K) []K {
	out := make([]K, len(records))
	for i, r := range records {
		out[i] = key(r)
	}
	return out
}

// concurrently runs fn(i) for i in [0, n) in n goroutines released at once,
// and returns their errors by i.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// hash returns a distinct, non-zero Hash for name.
func hash(name string) store.Hash { return store.HashSecret("storetest:" + name) }

// odd returns bytes a store must keep byte for byte: NUL, 0xff, bytes that
// are not UTF-8, quotes and backslashes. Each call returns a fresh slice.
func odd() []byte {
	return []byte{0x00, 0xff, 0x00, 0x80, 0xfe, '"', '\\', '\'', 0x01, 0x7f, 0xc3, 0x28}
}

// Fixtures. Each creates a record through the store, stops the subtest when
// that fails, and returns the record as the store holds it.

func newApp(id string) store.App {
	return store.App{
		ID:           id,
		Name:         "App " + id,
		ClientSecret: store.Sealed("secret-" + id),
		ReturnURLs:   []string{"https://" + id + ".example/return"},
		CORSOrigins:  []string{"https://" + id + ".example"},
	}
}

func (e *env) app(t *testing.T, id string) store.App {
	t.Helper()
	must(t, "CreateApp "+id, e.s.CreateApp(e.ctx, newApp(id)))
	a, err := e.s.GetApp(e.ctx, id)
	must(t, "GetApp "+id, err)
	return a
}

func newUser(appID, id string) store.User {
	return store.User{ID: id, AppID: appID, Email: id + "@example.com", Name: "User " + id}
}

func (e *env) user(t *testing.T, appID, id string) store.User {
	t.Helper()
	must(t, "CreateUser "+id, e.s.CreateUser(e.ctx, newUser(appID, id)))
	u, err := e.s.GetUser(e.ctx, id)
	must(t, "GetUser "+id, err)
	return u
}

func newAccount(appID, userID string, typ store.AccountType, serviceType, authUserID string) store.Account {
	return store.Account{
		AppID:       appID,
		UserID:      userID,
		ServiceType: serviceType,
		Type:        typ,
		Active:      true,
		TokenStatus: store.TokenActive,
		AuthUserID:  authUserID,
		Email:       authUserID + "@example.com",
	}
}

func (e *env) account(t *testing.T, a store.Account, tok store.Token) store.Account {
	t.Helper()
	got, err := e.s.CreateAccount(e.ctx, a, tok)
	must(t, fmt.Sprintf("CreateAccount(%s/%s/%s/%q)", a.AppID, a.UserID, a.ServiceType, a.AuthUserID), err)
	return got
}

// sealedToken returns a token holding secret, expiring at expiry.
func sealedToken(secret string, expiry time.Time) store.Token {
	return store.Token{Sealed: store.Sealed(secret), Expiry: expiry}
}
