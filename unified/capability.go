package unified

import (
	"context"
	"errors"
	"fmt"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/unified/calendar"
	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// ErrNoCapability is in the chain of the error of a call on an account
// whose connector does not implement the API (400 over HTTP).
var ErrNoCapability = errors.New("unified: the account's connector does not implement this API")

// capability resolves ref to its account (of the app, and of the user
// when ref names one) and finds the capability T on the account's
// connector; what names the API for the error when the connector has
// none.
func capability[T any](ctx context.Context, h *Handler, ref AccountRef, what string) (T, provider.Account, error) {
	var zero T
	a, err := h.accounts.Account(ctx, ref.AppID, ref.UserID, ref.AccountID)
	if err != nil {
		return zero, provider.Account{}, err
	}
	c, ok := h.accounts.Connectors().Get(a.ServiceType)
	if !ok {
		return zero, provider.Account{}, apierr.New(apierr.InvalidInput, "no connector for %s", a.ServiceType)
	}
	capa, ok := c.(T)
	if !ok {
		return zero, provider.Account{}, apierr.Wrap(ErrNoCapability, apierr.InvalidInput, fmt.Sprintf("%s accounts have no %s API", a.ServiceType, what))
	}
	id := a.ID
	return capa, provider.Account{
		ID:         a.ID,
		Email:      a.Email,
		AuthUserID: a.AuthUserID,
		ServerURL:  a.ServerURL,
		Client:     h.accounts.HTTPClient(ctx, id, h.providerClient(a.ServiceType)),
		AccessToken: func(ctx context.Context) (string, error) {
			tok, err := h.accounts.AccessToken(ctx, id)
			if err != nil {
				return "", err
			}
			return tok.AccessToken, nil
		},
		Password: func(ctx context.Context) (string, error) { return h.accounts.Password(ctx, id) },
	}, nil
}

// fieldError returns the text of a model package's field error in err's
// chain, "" when there is none.
func fieldError(err error) string {
	var ce *calendar.FieldError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	var ke *contacts.FieldError
	if errors.As(err, &ke) {
		return ke.Error()
	}
	var te *tasks.FieldError
	if errors.As(err, &te) {
		return te.Error()
	}
	return ""
}

// checkItemID refuses an id a client sends that no provider would issue.
func checkItemID(kind, id string) error {
	if !provider.ValidID(id) {
		return apierr.New(apierr.InvalidInput, "invalid %s id", kind)
	}
	return nil
}

// deltaRound is one page of a sync stream as a capability returns it.
type deltaRound[U, D any] struct {
	updated             []U
	deleted             []D
	nextPage, nextDelta string
}

// SyncPage is a page of a sync stream (updated items or deleted ids).
type SyncPage[T any] struct {
	NextPageToken  string `json:"nextPageToken,omitempty"`
	NextDeltaToken string `json:"nextDeltaToken,omitempty"`
	Length         int    `json:"length"`
	Records        []T    `json:"records"`
}

// readStream reads one page of a sync stream of kind from a deltaToken or
// a pageToken (exactly one), scoped to scope (a calendar or list id), and
// seals the token that continues it.
func readStream[U, D any, R any](ctx context.Context, h *Handler, acctID int64, kind, scope, deltaToken, pageToken string,
	read func(cursor string) (deltaRound[U, D], error), pick func(deltaRound[U, D]) []R) (SyncPage[R], error) {
	if (deltaToken == "") == (pageToken == "") {
		return SyncPage[R]{}, apierr.New(apierr.InvalidInput, "send either deltaToken or pageToken")
	}
	var c tokenClaims
	var err error
	if pageToken != "" {
		c, err = h.tokens.open(pageToken, kind, acctID, true, "pageToken")
	} else {
		c, err = h.tokens.open(deltaToken, kind, acctID, false, "deltaToken")
	}
	if err != nil {
		return SyncPage[R]{}, err
	}
	if c.Scope != scope {
		return SyncPage[R]{}, apierr.New(apierr.InvalidInput, "the token belongs to another calendar or list")
	}
	round, err := read(c.Cursor)
	if err != nil {
		return SyncPage[R]{}, providerError(err)
	}
	out := SyncPage[R]{Records: pick(round)}
	if out.Records == nil {
		out.Records = []R{}
	}
	out.Length = len(out.Records)
	c.Page = round.nextPage != ""
	if c.Page {
		c.Cursor = round.nextPage
		out.NextPageToken, err = h.tokens.seal(c)
		return out, err
	}
	if round.nextDelta == "" {
		return SyncPage[R]{}, apierr.New(apierr.ProviderUnavailable, "the provider ended a sync page without a cursor")
	}
	c.Cursor = round.nextDelta
	out.NextDeltaToken, err = h.tokens.seal(c)
	return out, err
}

// startStreams seals the two tokens of a new sync.
func startStreams(h *Handler, acctID int64, updatedKind, deletedKind, scope, cursor string) (SyncStatus, error) {
	var st SyncStatus
	var err error
	if st.SyncUpdatedToken, err = h.tokens.seal(tokenClaims{Kind: updatedKind, Account: acctID, Cursor: cursor, Scope: scope}); err != nil {
		return SyncStatus{}, err
	}
	if st.SyncDeletedToken, err = h.tokens.seal(tokenClaims{Kind: deletedKind, Account: acctID, Cursor: cursor, Scope: scope}); err != nil {
		return SyncStatus{}, err
	}
	st.Ready = true
	return st, nil
}

// pageToken seals a list cursor of kind for scope, "" for none.
func (h *Handler) pageToken(kind string, acctID int64, scope, cursor string, limit int) (string, error) {
	if cursor == "" {
		return "", nil
	}
	return h.tokens.seal(tokenClaims{Kind: kind, Account: acctID, Cursor: cursor, Page: true, Scope: scope, Limit: limit})
}

// openPage opens a list page token of kind for scope.
func (h *Handler) openPage(token, kind string, acctID int64, scope string) (tokenClaims, error) {
	c, err := h.tokens.open(token, kind, acctID, true, "pageToken")
	if err != nil {
		return c, err
	}
	if c.Scope != scope {
		return tokenClaims{}, apierr.New(apierr.InvalidInput, "the pageToken belongs to another calendar or list")
	}
	return c, nil
}

// Resolve returns the connector of ref's account and the account as
// capabilities act on it (its client adds the account's fresh token).
// Packages that drive capabilities outside an HTTP request (webhooks'
// provider subscriptions) use it.
func (h *Handler) Resolve(ctx context.Context, ref AccountRef) (connectors.Connector, provider.Account, error) {
	return capability[connectors.Connector](ctx, h, ref, "connector")
}
