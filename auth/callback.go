package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
)

// callback is GET /auth/callback, where providers send the browser back.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	w.Header().Set("Cache-Control", "no-store")
	f, err := h.redeem(ctx, r, q.Get("state"))
	if err != nil {
		if !errors.Is(err, errFlow) {
			h.logger.Error("callback: redeem state", "error", err)
		}
		h.page(w, http.StatusBadRequest, errFlow.Error()[len("auth: "):])
		return
	}
	if pe := connectors.CallbackErrorFrom(q); pe != nil {
		details := pe.Code
		if pe.Description != "" {
			details += ": " + truncate(pe.Description, 200)
		}
		h.finishError(w, r, f, details)
		return
	}
	c, ok := h.accounts.Connectors().Get(f.ServiceType)
	if !ok {
		h.finishError(w, r, f, "unsupported serviceType")
		return
	}
	grant, err := h.exchange(ctx, c, f, q)
	if err != nil {
		h.logger.Warn("callback: exchange failed", "app", f.AppID, "serviceType", f.ServiceType, "error", err)
		h.finishError(w, r, f, "the provider did not complete the sign-in")
		return
	}
	h.complete(w, r, f, grant)
}

// complete stores the grant of a finished flow and redirects to the
// flow's return URL.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, f flow, grant *connectors.Grant) {
	ctx := r.Context()
	if grant.Scopes == nil {
		// The provider did not say what it granted: RFC 6749 section 5.1
		// says it then granted what was requested.
		grant.Scopes = f.Native
	}
	scopes := make([]connectors.Scope, len(f.Scopes))
	for i, s := range f.Scopes {
		scopes[i] = connectors.Scope(s)
	}
	if c, ok := h.accounts.Connectors().Get(f.ServiceType); ok {
		if sc, ok := c.(connectors.ScopeChecker); ok {
			if missing := sc.MissingScopes(scopes, grant.Scopes); len(missing) > 0 {
				if f.EnsureScopes {
					names := make([]string, len(missing))
					for i, m := range missing {
						names[i] = string(m)
					}
					h.finishError(w, r, f, "scopes not granted: "+strings.Join(names, " "))
					return
				}
				// Store what the account really allows.
				kept := scopes[:0]
				for _, s := range scopes {
					if !slices.Contains(missing, s) {
						kept = append(kept, s)
					}
				}
				scopes = kept
			}
		}
	}
	res, err := h.accounts.Link(ctx, accounts.LinkRequest{
		AppID: f.AppID, ServiceType: f.ServiceType, Grant: grant, Type: store.AccountType(f.Role),
		UserID: f.UserID, CreateUser: f.CreateUser, AccountID: f.AccountID, Scopes: scopes,
	})
	if err != nil {
		h.logger.Warn("callback: link account", "app", f.AppID, "error", err)
		details := "the account could not be saved"
		if code := apierr.CodeOf(err); code != apierr.Internal {
			var ae *apierr.Error
			if errors.As(err, &ae) {
				details = ae.Message
			}
		}
		h.finishError(w, r, f, details)
		return
	}
	params := url.Values{"status": {"success"}}
	if err := h.respond(ctx, w, r, f, res, params); err != nil {
		h.logger.Error("callback: respond", "app", f.AppID, "error", err)
		h.finishError(w, r, f, "the server could not finish the sign-in")
		return
	}
	h.finish(w, r, f, params)
}

func (h *Handler) exchange(ctx context.Context, c connectors.Connector, f flow, q url.Values) (*connectors.Grant, error) {
	if f.Kind == "daemon" {
		if da, ok := c.(connectors.DaemonAuthorizer); ok {
			return da.DaemonGrant(ctx, h.CallbackURL(), q)
		}
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return nil, errors.New("auth: callback without code")
	}
	return c.Exchange(ctx, connectors.ExchangeRequest{Code: code, RedirectURL: h.CallbackURL(), CodeVerifier: f.Verifier, Nonce: f.Nonce})
}

// respond does what the flow's responseType asks for and fills params.
func (h *Handler) respond(ctx context.Context, w http.ResponseWriter, r *http.Request, f flow, res accounts.LinkResult, params url.Values) error {
	userID := ""
	if res.User != nil {
		userID = res.User.ID
	}
	// A primary sign-in that asks for a cookie (authorizeUser with
	// responseType=cookie, or authorize with userAccount=primary) starts a
	// new session in this browser, replacing whatever session it had: no
	// session fixation.
	if f.CreateUser && (f.ResponseType == "cookie" || f.AccountToken) {
		old := ""
		if p, ok := session.FromContext(ctx); ok && p.Kind == session.KindUser && p.Via == "cookie" {
			old = p.SessionToken
		}
		token, s, err := h.sessions.Rotate(ctx, old, f.AppID, userID, res.Account.ID)
		if err != nil {
			return err
		}
		h.sessions.SetCookie(w, f.AppID, token, s)
	}
	switch f.ResponseType {
	case "code":
		code, err := h.issueCode(ctx, f.AppID, oneTimeCode{
			AccountID: res.Account.ID, UserID: userID, Session: f.CreateUser, AccessToken: f.AccountToken,
		})
		if err != nil {
			return err
		}
		params.Set("code", code)
	case "token":
		tok, err := h.sessions.IssueAccountToken(ctx, f.AppID, res.Account.ID)
		if err != nil {
			return err
		}
		params.Set("accessToken", tok)
		params.Set("accountId", strconv.FormatInt(res.Account.ID, 10))
	case "cookie", "none":
	}
	return nil
}

// tokenResponse is the AccountSaveResult of the Aurinko API.
type tokenResponse struct {
	AccountID   int64  `json:"accountId"`
	AccessToken string `json:"accessToken,omitempty"`
	UserID      string `json:"userId,omitempty"`
	UserSession string `json:"userSession,omitempty"`
}

// token is POST /auth/token/{code}: the app's server exchanges a one-time
// code for an account access token and, for user sign-ins, a user session
// token. HTTP Basic clientId:clientSecret.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	app, ok := h.basicApp(w, r)
	if !ok {
		return
	}
	code := r.PathValue("code")
	bad := apierr.New(apierr.InvalidInput, "invalid, expired or already used code")
	if code == "" || len(code) > 128 {
		h.fail(w, r, bad)
		return
	}
	c, err := h.store.RedeemCode(ctx, store.HashSecret(code), kindCode)
	if errors.Is(err, store.ErrNotFound) || err == nil && c.AppID != app.ID {
		h.fail(w, r, bad)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p oneTimeCode
	if err := json.Unmarshal(c.Payload, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	out := tokenResponse{AccountID: p.AccountID, UserID: p.UserID}
	if p.AccessToken {
		if out.AccessToken, err = h.sessions.IssueAccountToken(ctx, app.ID, p.AccountID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if p.Session {
		tok, _, err := h.sessions.Create(ctx, app.ID, p.UserID, p.AccountID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out.UserSession = tok
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// basicApp authenticates the app by HTTP Basic clientId:clientSecret. Any
// failure is the same 401, with no hint which part was wrong.
func (h *Handler) basicApp(w http.ResponseWriter, r *http.Request) (store.App, bool) {
	unauthorized := func() {
		w.Header().Set("WWW-Authenticate", `Basic realm="aurinko", charset="UTF-8"`)
		h.fail(w, r, apierr.New(apierr.Unauthorized, "invalid client credentials"))
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" || len(id) > 256 || len(secret) > 1024 {
		unauthorized()
		return store.App{}, false
	}
	app, err := h.accounts.App(r.Context(), id)
	if err != nil {
		if apierr.CodeOf(err) != apierr.NotFound {
			h.fail(w, r, err)
			return store.App{}, false
		}
		unauthorized()
		return store.App{}, false
	}
	if !h.accounts.CheckClientSecret(app, secret) {
		unauthorized()
		return store.App{}, false
	}
	return app, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
