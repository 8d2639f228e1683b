package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

func cloneAccount(a store.Account) store.Account {
	a.Scopes = slices.Clone(a.Scopes)
	a.NativeScopes = slices.Clone(a.NativeScopes)
	a.AuthObtainedAt, a.CreatedAt, a.UpdatedAt = tm(a.AuthObtainedAt), tm(a.CreatedAt), tm(a.UpdatedAt)
	return a
}

func validAccount(a store.Account) error {
	switch {
	case a.AppID == "":
		return fail(store.ErrInvalid, "account: empty AppID")
	case a.ServiceType == "":
		return fail(store.ErrInvalid, "account: empty ServiceType")
	case !a.Type.Valid():
		return fail(store.ErrInvalid, "account: type %q", a.Type)
	case !a.TokenStatus.Valid():
		return fail(store.ErrInvalid, "account: token status %q", a.TokenStatus)
	}
	return nil
}

// accountConflict reports whether a would break a uniqueness rule with an
// account other than itself.
func (s *Store) accountConflict(a store.Account) error {
	for _, o := range s.accounts {
		if o.ID == a.ID || o.AppID != a.AppID || o.UserID != a.UserID {
			continue
		}
		if a.AuthUserID != "" && o.ServiceType == a.ServiceType && o.AuthUserID == a.AuthUserID {
			return fail(store.ErrConflict, "account %s/%s/%q exists (id %d)", a.ServiceType, a.UserID, a.AuthUserID, o.ID)
		}
		if a.UserID != "" && a.Type == store.AccountPrimary && o.Type == store.AccountPrimary {
			return fail(store.ErrConflict, "user %q has a primary account (id %d)", a.UserID, o.ID)
		}
	}
	return nil
}

// CreateAccount stores a new account and, when tok.Sealed is set, its first
// token.
func (s *Store) CreateAccount(ctx context.Context, a store.Account, tok store.Token) (store.Account, error) {
	if err := validAccount(a); err != nil {
		return store.Account{}, err
	}
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	a.ID = 0
	if err := s.accountConflict(a); err != nil {
		return store.Account{}, err
	}
	a = cloneAccount(a)
	a.ID = s.nextID()
	a.CreatedAt, a.UpdatedAt = s.orNow(a.CreatedAt), s.orNow(a.UpdatedAt)
	s.accounts[a.ID] = a
	if tok.Sealed != nil {
		tok = cloneToken(tok)
		tok.AccountID, tok.Version = a.ID, 1
		s.tokens[a.ID] = tok
	}
	return cloneAccount(a), nil
}

// GetAccount returns an account by ID.
func (s *Store) GetAccount(ctx context.Context, id int64) (store.Account, error) {
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return store.Account{}, fail(store.ErrNotFound, "get account %d", id)
	}
	return cloneAccount(a), nil
}

// FindAccount returns the account of an app and user with the given service
// type and provider user id.
func (s *Store) FindAccount(ctx context.Context, appID, userID, serviceType, authUserID string) (store.Account, error) {
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	var found []store.Account
	for _, a := range s.accounts {
		if a.AppID == appID && a.UserID == userID && a.ServiceType == serviceType && a.AuthUserID == authUserID {
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		return store.Account{}, fail(store.ErrNotFound, "find account %s/%s/%s/%q", appID, userID, serviceType, authUserID)
	}
	// Several only when authUserID is empty: take the oldest.
	return cloneAccount(slices.MinFunc(found, func(a, b store.Account) int { return cmp.Compare(a.ID, b.ID) })), nil
}

// UpdateAccount replaces every field of an account but ID, AppID and
// CreatedAt.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.accounts[a.ID]
	if !ok {
		return fail(store.ErrNotFound, "update account %d", a.ID)
	}
	a.AppID = old.AppID
	if err := validAccount(a); err != nil {
		return err
	}
	if err := s.accountConflict(a); err != nil {
		return err
	}
	a = cloneAccount(a)
	a.CreatedAt, a.UpdatedAt = old.CreatedAt, s.orNow(a.UpdatedAt)
	s.accounts[a.ID] = a
	return nil
}

// SetAccountStatus sets Active, TokenStatus and TokenError at once.
func (s *Store) SetAccountStatus(ctx context.Context, id int64, active bool, status store.TokenStatus, tokenError string) error {
	if !status.Valid() {
		return fail(store.ErrInvalid, "set account status: token status %q", status)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return fail(store.ErrNotFound, "set status of account %d", id)
	}
	a.Active, a.TokenStatus, a.TokenError = active, status, tokenError
	a.UpdatedAt = tm(s.now())
	s.accounts[id] = a
	return nil
}

// DeleteAccount removes an account with its token, account tokens and
// subscriptions.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[id]; !ok {
		return fail(store.ErrNotFound, "delete account %d", id)
	}
	s.deleteAccountLocked(id)
	return nil
}

func (s *Store) deleteAccountLocked(id int64) {
	delete(s.accounts, id)
	delete(s.tokens, id)
	for h, t := range s.accountTokens {
		if t.AccountID == id {
			delete(s.accountTokens, h)
		}
	}
	for subID, sub := range s.subs {
		if sub.AccountID == id {
			delete(s.subs, subID)
		}
	}
}

// ListAccounts returns the accounts that match f, ordered by ID.
func (s *Store) ListAccounts(ctx context.Context, f store.AccountFilter, p store.Page) ([]store.Account, error) {
	if f.AppID == "" {
		return nil, fail(store.ErrInvalid, "list accounts: empty AppID")
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.Account
	for _, a := range s.accounts {
		if a.AppID == f.AppID &&
			(f.UserID == "" || a.UserID == f.UserID) &&
			(f.ServiceType == "" || a.ServiceType == f.ServiceType) &&
			(f.Type == "" || a.Type == f.Type) &&
			(f.OrgID == 0 || a.OrgID == f.OrgID) {
			all = append(all, a)
		}
	}
	out := page(all, func(a store.Account) int64 { return a.ID }, p.After, p.Limit)
	for i := range out {
		out[i] = cloneAccount(out[i])
	}
	return out, nil
}

func cloneToken(t store.Token) store.Token {
	t.Sealed = slices.Clone(t.Sealed)
	t.Expiry, t.RefreshedAt, t.LastErrorAt = tm(t.Expiry), tm(t.RefreshedAt), tm(t.LastErrorAt)
	return t
}

// GetToken returns an account's token; Version 0 when it has none.
func (s *Store) GetToken(ctx context.Context, accountID int64) (store.Token, error) {
	if err := s.lock(ctx); err != nil {
		return store.Token{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountID]; !ok {
		return store.Token{}, fail(store.ErrNotFound, "get token of account %d", accountID)
	}
	t, ok := s.tokens[accountID]
	if !ok {
		return store.Token{AccountID: accountID}, nil
	}
	return cloneToken(t), nil
}

// SwapToken replaces an account's token if its version is oldVersion.
func (s *Store) SwapToken(ctx context.Context, accountID, oldVersion int64, t store.Token) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountID]; !ok {
		return 0, fail(store.ErrNotFound, "swap token of account %d", accountID)
	}
	cur := s.tokens[accountID].Version
	if cur != oldVersion {
		return 0, fail(store.ErrConflict, "swap token of account %d: version is %d, not %d", accountID, cur, oldVersion)
	}
	t = cloneToken(t)
	t.AccountID, t.Version = accountID, oldVersion+1
	s.tokens[accountID] = t
	return t.Version, nil
}

// RecordTokenError records a failed refresh without changing the token.
func (s *Store) RecordTokenError(ctx context.Context, accountID int64, msg string, at time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountID]; !ok {
		return fail(store.ErrNotFound, "record token error of account %d", accountID)
	}
	t := s.tokens[accountID]
	t.AccountID, t.LastError, t.LastErrorAt = accountID, msg, tm(at)
	s.tokens[accountID] = t
	return nil
}

// ListTokensExpiring returns tokens of active accounts expiring before
// before, soonest first.
func (s *Store) ListTokensExpiring(ctx context.Context, before time.Time, limit int) ([]store.Token, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Token{}
	for id, t := range s.tokens {
		if t.Sealed != nil && !t.Expiry.IsZero() && t.Expiry.Before(before) && s.accounts[id].Active {
			out = append(out, cloneToken(t))
		}
	}
	slices.SortFunc(out, func(a, b store.Token) int {
		return cmp.Or(a.Expiry.Compare(b.Expiry), cmp.Compare(a.AccountID, b.AccountID))
	})
	return out[:min(len(out), store.EffectiveLimit(limit))], nil
}

// ListTokensRefreshedBefore returns tokens of active accounts last
// refreshed before before, least recently refreshed first.
func (s *Store) ListTokensRefreshedBefore(ctx context.Context, before time.Time, limit int) ([]store.Token, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Token{}
	for id, t := range s.tokens {
		if t.Sealed != nil && t.RefreshedAt.Before(before) && s.accounts[id].Active {
			out = append(out, cloneToken(t))
		}
	}
	slices.SortFunc(out, func(a, b store.Token) int {
		return cmp.Or(a.RefreshedAt.Compare(b.RefreshedAt), cmp.Compare(a.AccountID, b.AccountID))
	})
	return out[:min(len(out), store.EffectiveLimit(limit))], nil
}

// CreateAccountToken stores a new bearer token for an existing account.
func (s *Store) CreateAccountToken(ctx context.Context, t store.AccountToken) error {
	if t.Hash == (store.Hash{}) || t.AppID == "" || t.AccountID == 0 {
		return fail(store.ErrInvalid, "create account token: Hash, AppID and AccountID are required")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[t.AccountID]; !ok {
		return fail(store.ErrNotFound, "create account token: account %d", t.AccountID)
	}
	if _, ok := s.accountTokens[t.Hash]; ok {
		return fail(store.ErrConflict, "create account token: hash exists")
	}
	t.CreatedAt, t.ExpiresAt = s.orNow(t.CreatedAt), tm(t.ExpiresAt)
	s.accountTokens[t.Hash] = t
	return nil
}

// GetAccountToken returns an unexpired account token by hash.
func (s *Store) GetAccountToken(ctx context.Context, h store.Hash) (store.AccountToken, error) {
	if err := s.lock(ctx); err != nil {
		return store.AccountToken{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.accountTokens[h]
	if !ok || passed(t.ExpiresAt, s.now()) {
		return store.AccountToken{}, fail(store.ErrNotFound, "get account token")
	}
	return t, nil
}

// DeleteAccountToken removes one account token.
func (s *Store) DeleteAccountToken(ctx context.Context, h store.Hash) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.accountTokens[h]; !ok {
		return fail(store.ErrNotFound, "delete account token")
	}
	delete(s.accountTokens, h)
	return nil
}

func cloneSubscription(sub store.Subscription) store.Subscription {
	sub.Filters = slices.Clone(sub.Filters)
	sub.ProviderSecret = slices.Clone(sub.ProviderSecret)
	sub.FailSince, sub.ProviderExpiresAt, sub.LastDeliveryAt = tm(sub.FailSince), tm(sub.ProviderExpiresAt), tm(sub.LastDeliveryAt)
	sub.CreatedAt, sub.UpdatedAt = tm(sub.CreatedAt), tm(sub.UpdatedAt)
	return sub
}

// CreateSubscription stores a new subscription for an existing account.
func (s *Store) CreateSubscription(ctx context.Context, sub store.Subscription) (store.Subscription, error) {
	if sub.AppID == "" || sub.AccountID == 0 || sub.Resource == "" || sub.NotificationURL == "" {
		return store.Subscription{}, fail(store.ErrInvalid, "create subscription: AppID, AccountID, Resource and NotificationURL are required")
	}
	if err := s.lock(ctx); err != nil {
		return store.Subscription{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[sub.AccountID]; !ok {
		return store.Subscription{}, fail(store.ErrNotFound, "create subscription: account %d", sub.AccountID)
	}
	sub = cloneSubscription(sub)
	sub.ID = s.nextID()
	sub.CreatedAt, sub.UpdatedAt = s.orNow(sub.CreatedAt), s.orNow(sub.UpdatedAt)
	s.subs[sub.ID] = sub
	return cloneSubscription(sub), nil
}

// GetSubscription returns a subscription by ID.
func (s *Store) GetSubscription(ctx context.Context, id int64) (store.Subscription, error) {
	if err := s.lock(ctx); err != nil {
		return store.Subscription{}, err
	}
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return store.Subscription{}, fail(store.ErrNotFound, "get subscription %d", id)
	}
	return cloneSubscription(sub), nil
}

// UpdateSubscription replaces every field but ID, AppID, AccountID,
// CreatedAt and LastDeliveryAt.
func (s *Store) UpdateSubscription(ctx context.Context, sub store.Subscription) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.subs[sub.ID]
	if !ok {
		return fail(store.ErrNotFound, "update subscription %d", sub.ID)
	}
	if sub.Resource == "" || sub.NotificationURL == "" {
		return fail(store.ErrInvalid, "update subscription %d: Resource and NotificationURL are required", sub.ID)
	}
	sub = cloneSubscription(sub)
	sub.AppID, sub.AccountID, sub.CreatedAt, sub.LastDeliveryAt = old.AppID, old.AccountID, old.CreatedAt, old.LastDeliveryAt
	sub.UpdatedAt = s.orNow(sub.UpdatedAt)
	s.subs[sub.ID] = sub
	return nil
}

// MarkDelivered sets LastDeliveryAt and clears FailSince and
// FailDescription, nothing else.
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return fail(store.ErrNotFound, "mark subscription %d delivered", id)
	}
	sub.LastDeliveryAt, sub.FailSince, sub.FailDescription = tm(at), time.Time{}, ""
	s.subs[id] = sub
	return nil
}

// DeleteSubscription removes a subscription.
func (s *Store) DeleteSubscription(ctx context.Context, id int64) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.subs[id]; !ok {
		return fail(store.ErrNotFound, "delete subscription %d", id)
	}
	delete(s.subs, id)
	return nil
}

// ListSubscriptions returns an account's subscriptions ordered by ID.
func (s *Store) ListSubscriptions(ctx context.Context, accountID int64, p store.Page) ([]store.Subscription, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.Subscription
	for _, sub := range s.subs {
		if sub.AccountID == accountID {
			all = append(all, sub)
		}
	}
	out := page(all, func(sub store.Subscription) int64 { return sub.ID }, p.After, p.Limit)
	for i := range out {
		out[i] = cloneSubscription(out[i])
	}
	return out, nil
}

// ListAppSubscriptions returns an app's subscriptions ordered by ID.
func (s *Store) ListAppSubscriptions(ctx context.Context, appID string, p store.Page) ([]store.Subscription, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.Subscription
	for _, sub := range s.subs {
		if sub.AppID == appID {
			all = append(all, sub)
		}
	}
	out := page(all, func(sub store.Subscription) int64 { return sub.ID }, p.After, p.Limit)
	for i := range out {
		out[i] = cloneSubscription(out[i])
	}
	return out, nil
}

// ListSubscriptionsExpiring returns active subscriptions whose provider side
// expires before before, soonest first.
func (s *Store) ListSubscriptionsExpiring(ctx context.Context, before time.Time, limit int) ([]store.Subscription, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Subscription{}
	for _, sub := range s.subs {
		if sub.Active && !sub.ProviderExpiresAt.IsZero() && sub.ProviderExpiresAt.Before(before) {
			out = append(out, cloneSubscription(sub))
		}
	}
	slices.SortFunc(out, func(a, b store.Subscription) int {
		return cmp.Or(a.ProviderExpiresAt.Compare(b.ProviderExpiresAt), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), store.EffectiveLimit(limit))], nil
}
