package memstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// Options configure a Store.
type Options struct {
	// Now is the store's clock: it judges expiry and stamps the times a
	// caller leaves zero. Nil means time.Now.
	Now func() time.Time
}

// Store is an in-memory store.Store. It is safe for concurrent use by many
// goroutines of one process. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	mu            sync.Mutex
	closed        bool
	apps          map[string]store.App
	orgs          map[int64]store.Organization
	users         map[string]store.User
	accounts      map[int64]store.Account
	tokens        map[int64]store.Token // by account ID
	sessions      map[store.Hash]store.Session
	accountTokens map[store.Hash]store.AccountToken
	codes         map[store.Hash]store.Code
	settings      map[settingKey]store.Setting
	subs          map[int64]store.Subscription
	locks         map[string]lockState
	jobs          map[int64]store.Job
	lastID        int64 // organizations, accounts and subscriptions draw ids from it
	lastJobID     int64
}

var _ store.Store = (*Store)(nil)

type settingKey struct {
	appID   string
	scope   store.SettingScope
	ownerID string
	key     string
}

// lockState is a lock name's state. A free name keeps its fence so that the
// next acquisition still gets a larger one.
type lockState struct {
	token     string // "" when free
	expiresAt time.Time
	fence     int64
}

// New returns an empty Store.
func New(opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:           now,
		apps:          map[string]store.App{},
		orgs:          map[int64]store.Organization{},
		users:         map[string]store.User{},
		accounts:      map[int64]store.Account{},
		tokens:        map[int64]store.Token{},
		sessions:      map[store.Hash]store.Session{},
		accountTokens: map[store.Hash]store.AccountToken{},
		codes:         map[store.Hash]store.Code{},
		settings:      map[settingKey]store.Setting{},
		subs:          map[int64]store.Subscription{},
		locks:         map[string]lockState{},
		jobs:          map[int64]store.Job{},
	}
}

var errClosed = errors.New("memstore: store is closed")

// lock takes the store's mutex, unless ctx is done or the store is closed.
// On success the caller must unlock s.mu.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	return nil
}

// fail returns an error wrapping kind, with what the store was doing.
func fail(kind error, format string, args ...any) error {
	return fmt.Errorf("memstore: %s: %w", fmt.Sprintf(format, args...), kind)
}

// tm returns t as the store keeps it: to the microsecond, in UTC.
func tm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// orNow returns tm(t), or the store's now when t is zero.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return tm(s.now())
	}
	return tm(t)
}

// passed reports whether the moment t, when set, has come at now.
func passed(t, now time.Time) bool { return !t.IsZero() && !now.Before(t) }

func (s *Store) nextID() int64 {
	s.lastID++
	return s.lastID
}

// page returns the items with a key after after, ordered by key, at most
// store.EffectiveLimit(limit) of them.
func page[T any, K cmp.Ordered](items []T, key func(T) K, after K, limit int) []T {
	slices.SortFunc(items, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	out := []T{}
	for _, it := range items {
		if key(it) <= after {
			continue
		}
		if len(out) == store.EffectiveLimit(limit) {
			break
		}
		out = append(out, it)
	}
	return out
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close drops every record. Calls after Close, Close included, fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.closed = true
	s.apps, s.orgs, s.users, s.accounts, s.tokens = nil, nil, nil, nil, nil
	s.sessions, s.accountTokens, s.codes, s.settings, s.subs, s.locks = nil, nil, nil, nil, nil, nil
	s.jobs = nil
	return nil
}

func cloneApp(a store.App) store.App {
	a.ClientSecret = slices.Clone(a.ClientSecret)
	a.ReturnURLs = slices.Clone(a.ReturnURLs)
	a.CORSOrigins = slices.Clone(a.CORSOrigins)
	a.CreatedAt, a.UpdatedAt = tm(a.CreatedAt), tm(a.UpdatedAt)
	return a
}

// CreateApp stores a new app.
func (s *Store) CreateApp(ctx context.Context, app store.App) error {
	if app.ID == "" {
		return fail(store.ErrInvalid, "create app: empty ID")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.apps[app.ID]; ok {
		return fail(store.ErrConflict, "create app %q", app.ID)
	}
	app = cloneApp(app)
	app.CreatedAt, app.UpdatedAt = s.orNow(app.CreatedAt), s.orNow(app.UpdatedAt)
	s.apps[app.ID] = app
	return nil
}

// GetApp returns an app by ID.
func (s *Store) GetApp(ctx context.Context, id string) (store.App, error) {
	if err := s.lock(ctx); err != nil {
		return store.App{}, err
	}
	defer s.mu.Unlock()
	a, ok := s.apps[id]
	if !ok {
		return store.App{}, fail(store.ErrNotFound, "get app %q", id)
	}
	return cloneApp(a), nil
}

// UpdateApp replaces every field of an app but ID and CreatedAt.
func (s *Store) UpdateApp(ctx context.Context, app store.App) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.apps[app.ID]
	if !ok {
		return fail(store.ErrNotFound, "update app %q", app.ID)
	}
	app = cloneApp(app)
	app.CreatedAt, app.UpdatedAt = old.CreatedAt, s.orNow(app.UpdatedAt)
	s.apps[app.ID] = app
	return nil
}

// DeleteApp removes an app.
func (s *Store) DeleteApp(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.apps[id]; !ok {
		return fail(store.ErrNotFound, "delete app %q", id)
	}
	delete(s.apps, id)
	return nil
}

// ListApps returns apps ordered by ID.
func (s *Store) ListApps(ctx context.Context, p store.StringPage) ([]store.App, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.App
	for _, a := range s.apps {
		all = append(all, a)
	}
	out := page(all, func(a store.App) string { return a.ID }, p.After, p.Limit)
	for i := range out {
		out[i] = cloneApp(out[i])
	}
	return out, nil
}

// UpsertOrganization finds or creates the organization of (AppID,
// ServiceProvider, XID).
func (s *Store) UpsertOrganization(ctx context.Context, org store.Organization) (store.Organization, error) {
	if org.AppID == "" || org.ServiceProvider == "" || org.XID == "" {
		return store.Organization{}, fail(store.ErrInvalid, "upsert organization: AppID, ServiceProvider and XID are required")
	}
	if err := s.lock(ctx); err != nil {
		return store.Organization{}, err
	}
	defer s.mu.Unlock()
	for id, o := range s.orgs {
		if o.AppID == org.AppID && o.ServiceProvider == org.ServiceProvider && o.XID == org.XID {
			if org.Domain != "" {
				o.Domain = org.Domain
			}
			if org.Name != "" {
				o.Name = org.Name
			}
			s.orgs[id] = o
			return o, nil
		}
	}
	org.ID = s.nextID()
	org.CreatedAt = s.orNow(org.CreatedAt)
	s.orgs[org.ID] = org
	return org, nil
}

// GetOrganization returns an organization by ID.
func (s *Store) GetOrganization(ctx context.Context, id int64) (store.Organization, error) {
	if err := s.lock(ctx); err != nil {
		return store.Organization{}, err
	}
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return store.Organization{}, fail(store.ErrNotFound, "get organization %d", id)
	}
	return o, nil
}

// ListOrganizations returns an app's organizations ordered by ID.
func (s *Store) ListOrganizations(ctx context.Context, appID string, p store.Page) ([]store.Organization, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.Organization
	for _, o := range s.orgs {
		if o.AppID == appID {
			all = append(all, o)
		}
	}
	return page(all, func(o store.Organization) int64 { return o.ID }, p.After, p.Limit), nil
}

func cloneUser(u store.User) store.User {
	u.CreatedAt, u.LastActivity = tm(u.CreatedAt), tm(u.LastActivity)
	return u
}

// CreateUser stores a new user.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.ID == "" || u.AppID == "" {
		return fail(store.ErrInvalid, "create user: ID and AppID are required")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; ok {
		return fail(store.ErrConflict, "create user %q", u.ID)
	}
	u = cloneUser(u)
	u.CreatedAt = s.orNow(u.CreatedAt)
	s.users[u.ID] = u
	return nil
}

// GetUser returns a user by ID.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	if err := s.lock(ctx); err != nil {
		return store.User{}, err
	}
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.User{}, fail(store.ErrNotFound, "get user %q", id)
	}
	return u, nil
}

// UpdateUser replaces every field of a user but ID, AppID and CreatedAt.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.users[u.ID]
	if !ok {
		return fail(store.ErrNotFound, "update user %q", u.ID)
	}
	u = cloneUser(u)
	u.AppID, u.CreatedAt = old.AppID, old.CreatedAt
	s.users[u.ID] = u
	return nil
}

// DeleteUser removes a user with their sessions, settings and accounts.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return fail(store.ErrNotFound, "delete user %q", id)
	}
	for h, sess := range s.sessions {
		if sess.UserID == id {
			delete(s.sessions, h)
		}
	}
	for k := range s.settings {
		if k.appID == u.AppID && k.scope == store.SettingsUser && k.ownerID == id {
			delete(s.settings, k)
		}
	}
	for accID, a := range s.accounts {
		if a.AppID == u.AppID && a.UserID == id {
			s.deleteAccountLocked(accID)
		}
	}
	delete(s.users, id)
	return nil
}

// ListUsers returns an app's users ordered by ID.
func (s *Store) ListUsers(ctx context.Context, appID string, p store.StringPage) ([]store.User, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.User
	for _, u := range s.users {
		if u.AppID == appID {
			all = append(all, u)
		}
	}
	return page(all, func(u store.User) string { return u.ID }, p.After, p.Limit), nil
}

func cloneSetting(st store.Setting) store.Setting {
	st.Value = slices.Clone(st.Value)
	st.UpdatedAt = tm(st.UpdatedAt)
	return st
}

// GetSetting returns one setting.
func (s *Store) GetSetting(ctx context.Context, appID string, scope store.SettingScope, ownerID, key string) (store.Setting, error) {
	if err := s.lock(ctx); err != nil {
		return store.Setting{}, err
	}
	defer s.mu.Unlock()
	st, ok := s.settings[settingKey{appID, scope, ownerID, key}]
	if !ok {
		return store.Setting{}, fail(store.ErrNotFound, "get setting %s/%s/%q/%q", appID, scope, ownerID, key)
	}
	return cloneSetting(st), nil
}

// PutSetting creates or replaces one setting.
func (s *Store) PutSetting(ctx context.Context, st store.Setting) error {
	if st.AppID == "" || !st.Scope.Valid() || st.Key == "" {
		return fail(store.ErrInvalid, "put setting: AppID, a valid Scope and Key are required")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	st = cloneSetting(st)
	st.UpdatedAt = s.orNow(st.UpdatedAt)
	s.settings[settingKey{st.AppID, st.Scope, st.OwnerID, st.Key}] = st
	return nil
}

// SwapSetting writes a setting only if it is as the caller last read it.
func (s *Store) SwapSetting(ctx context.Context, st store.Setting, old []byte) error {
	if st.AppID == "" || !st.Scope.Valid() || st.Key == "" {
		return fail(store.ErrInvalid, "swap setting: AppID, a valid Scope and Key are required")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := settingKey{st.AppID, st.Scope, st.OwnerID, st.Key}
	cur, ok := s.settings[k]
	if old == nil && ok || old != nil && (!ok || !bytes.Equal(cur.Value, old)) {
		return fail(store.ErrConflict, "swap setting %s/%s/%q/%q: changed since read", st.AppID, st.Scope, st.OwnerID, st.Key)
	}
	st = cloneSetting(st)
	st.UpdatedAt = s.orNow(st.UpdatedAt)
	s.settings[k] = st
	return nil
}

// DeleteSetting removes one setting.
func (s *Store) DeleteSetting(ctx context.Context, appID string, scope store.SettingScope, ownerID, key string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := settingKey{appID, scope, ownerID, key}
	if _, ok := s.settings[k]; !ok {
		return fail(store.ErrNotFound, "delete setting %s/%s/%q/%q", appID, scope, ownerID, key)
	}
	delete(s.settings, k)
	return nil
}

// ListSettings returns every setting of an owner, ordered by key.
func (s *Store) ListSettings(ctx context.Context, appID string, scope store.SettingScope, ownerID string) ([]store.Setting, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Setting{}
	for k, st := range s.settings {
		if k.appID == appID && k.scope == scope && k.ownerID == ownerID {
			out = append(out, cloneSetting(st))
		}
	}
	slices.SortFunc(out, func(a, b store.Setting) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}
