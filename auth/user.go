package auth

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
)

// accountDTO is an account as the Aurinko API shows it (EndUserAccountDto
// and ApiAccountOutDto share these fields).
type accountDTO struct {
	ID              int64      `json:"id"`
	ParentID        int64      `json:"parentId,omitempty"`
	ServiceType     string     `json:"serviceType"`
	ServiceProvider string     `json:"serviceProvider,omitempty"`
	Type            string     `json:"type"`
	UserAccountType string     `json:"userAccountType,omitempty"`
	Daemon          bool       `json:"daemon"`
	Active          bool       `json:"active"`
	TokenStatus     string     `json:"tokenStatus"`
	TokenError      string     `json:"tokenError,omitempty"`
	LoginString     string     `json:"loginString,omitempty"`
	Email           string     `json:"email,omitempty"`
	Name            string     `json:"name,omitempty"`
	ServerURL       string     `json:"serverUrl,omitempty"`
	AuthUserID      string     `json:"authUserId,omitempty"`
	AuthOrgID       string     `json:"authOrgId,omitempty"`
	Timezone        string     `json:"timezone,omitempty"`
	UserID          string     `json:"userId,omitempty"`
	Scopes          []string   `json:"scopes"`
	AuthScopes      []string   `json:"authScopes"`
	NativeScopes    []string   `json:"authNativeScopes"`
	AuthObtainedAt  *time.Time `json:"authObtainedAt,omitempty"`
	CreatedAt       *time.Time `json:"createdAt,omitempty"`
	UpdatedAt       *time.Time `json:"updatedAt,omitempty"`
}

func toAccountDTO(a store.Account) accountDTO {
	d := accountDTO{
		ID: a.ID, ParentID: a.ParentID, ServiceType: a.ServiceType, ServiceProvider: a.ServiceProvider,
		Type: string(a.Type), Daemon: a.Type == store.AccountDaemon, Active: a.Active,
		TokenStatus: string(a.TokenStatus), TokenError: a.TokenError, LoginString: a.LoginString,
		Email: a.Email, Name: a.Name, ServerURL: a.ServerURL, AuthUserID: a.AuthUserID, AuthOrgID: a.AuthOrgID,
		Timezone: a.Timezone, UserID: a.UserID, Scopes: nonNil(a.Scopes), AuthScopes: nonNil(a.Scopes),
		NativeScopes:   nonNil(a.NativeScopes),
		AuthObtainedAt: timePtr(a.AuthObtainedAt), CreatedAt: timePtr(a.CreatedAt), UpdatedAt: timePtr(a.UpdatedAt),
	}
	if a.UserID != "" && a.Type != store.AccountDaemon {
		d.UserAccountType = string(a.Type)
	}
	return d
}

// userDTO is the EndUserDto of the Aurinko API.
type userDTO struct {
	ID           string       `json:"id"`
	ClientID     string       `json:"clientId"`
	Email        string       `json:"email,omitempty"`
	Name         string       `json:"name,omitempty"`
	AuthOrgID    string       `json:"authOrgId,omitempty"`
	CreatedAt    *time.Time   `json:"createdAt,omitempty"`
	LastActivity *time.Time   `json:"lastActivity,omitempty"`
	Accounts     []accountDTO `json:"accounts"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// userPrincipal returns the signed-in user of the request, or answers 401.
func (h *Handler) userPrincipal(w http.ResponseWriter, r *http.Request) (session.Principal, bool) {
	if err := session.ErrorFromContext(r.Context()); err != nil {
		h.fail(w, r, err)
		return session.Principal{}, false
	}
	p, ok := session.FromContext(r.Context())
	if !ok || p.Kind != session.KindUser {
		h.fail(w, r, apierr.New(apierr.Unauthorized, "unauthorized"))
		return session.Principal{}, false
	}
	return p, true
}

// accountPrincipal returns the account the request acts as: an account
// token's account, or a session's account chosen by the account header.
func (h *Handler) accountPrincipal(w http.ResponseWriter, r *http.Request) (session.Principal, bool) {
	if err := session.ErrorFromContext(r.Context()); err != nil {
		h.fail(w, r, err)
		return session.Principal{}, false
	}
	p, ok := session.FromContext(r.Context())
	if !ok || p.Kind == session.KindNone {
		h.fail(w, r, apierr.New(apierr.Unauthorized, "unauthorized"))
		return session.Principal{}, false
	}
	if p.AccountID == 0 {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "no account selected: send the X-Aurinko-Account-Id header"))
		return session.Principal{}, false
	}
	return p, true
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apierr.New(apierr.InvalidInput, "invalid account id")
	}
	return id, nil
}

// getUser is GET /user.
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	u, err := h.accounts.User(r.Context(), p.AppID, p.UserID)
	if err != nil {
		h.fail(w, r, apierr.New(apierr.Unauthorized, "unauthorized"))
		return
	}
	accts, err := h.accounts.UserAccounts(r.Context(), p.AppID, p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := userDTO{ID: u.ID, ClientID: u.AppID, Email: u.Email, Name: u.Name, AuthOrgID: u.AuthOrgID,
		CreatedAt: timePtr(u.CreatedAt), LastActivity: timePtr(u.LastActivity), Accounts: []accountDTO{}}
	for _, a := range accts {
		out.Accounts = append(out.Accounts, toAccountDTO(a))
	}
	writeJSON(w, http.StatusOK, out)
}

// listUserAccounts is GET /user/accounts (EndUserAccountsPage).
func (h *Handler) listUserAccounts(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	accts, err := h.accounts.UserAccounts(r.Context(), p.AppID, p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	recs := make([]accountDTO, 0, len(accts))
	for _, a := range accts {
		recs = append(recs, toAccountDTO(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs, "length": len(recs)})
}

// getUserAccount is GET /user/accounts/{id}.
func (h *Handler) getUserAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.accounts.Account(r.Context(), p.AppID, p.UserID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAccountDTO(a))
}

// deleteUserAccount is DELETE /user/accounts/{id}. The primary account is
// the user's identity and cannot be deleted this way (409).
func (h *Handler) deleteUserAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.accounts.Account(r.Context(), p.AppID, p.UserID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if a.Type == store.AccountPrimary {
		h.fail(w, r, apierr.New(apierr.Conflict, "the primary account is the user's sign-in and cannot be removed"))
		return
	}
	if err := h.accounts.DeleteAccount(r.Context(), p.AppID, p.UserID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Ok"})
}

// logout is POST /user/logout: the session ends and its cookie is cleared.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	if err := h.sessions.Destroy(r.Context(), p.SessionToken); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	h.sessions.ClearCookie(w, p.AppID)
	writeJSON(w, http.StatusOK, map[string]string{"status": "Ok"})
}

// getAccount is GET /account: the account the request acts as.
func (h *Handler) getAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := h.accountPrincipal(w, r)
	if !ok {
		return
	}
	a, err := h.accounts.Account(r.Context(), p.AppID, p.UserID, p.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAccountDTO(a))
}

// deleteAccount is DELETE /account: removes the account the request acts
// as, revoking the provider grant where possible.
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := h.accountPrincipal(w, r)
	if !ok {
		return
	}
	a, err := h.accounts.Account(r.Context(), p.AppID, p.UserID, p.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Kind == session.KindUser && a.Type == store.AccountPrimary {
		h.fail(w, r, apierr.New(apierr.Conflict, "the primary account is the user's sign-in and cannot be removed"))
		return
	}
	if err := h.accounts.DeleteAccount(r.Context(), p.AppID, p.UserID, p.AccountID); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Ok"})
}

// deleteAccountToken is DELETE /account/token: revokes the account access
// token the request was made with.
func (h *Handler) deleteAccountToken(w http.ResponseWriter, r *http.Request) {
	p, ok := h.accountPrincipal(w, r)
	if !ok {
		return
	}
	if p.Kind != session.KindAccount {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "this request was not made with an account access token"))
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := h.sessions.RevokeAccountToken(r.Context(), strings.TrimSpace(tok)); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Ok"})
}
