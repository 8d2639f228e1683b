package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/store"
)

// maxSSOToken bounds the provider token accepted by the SSO endpoint.
const maxSSOToken = 16 << 10

// sso is POST /auth/sso: sign-in without a popup for add-ins that already
// hold a provider token (a Microsoft Entra access token from nested app
// authentication or Office getAccessToken, a Google id_token from a Chrome
// extension). The request names its app (X-Aurinko-ClientId header or
// clientId query) and the provider (serviceType query, the connector must
// implement connectors.TokenSignIn), and carries the provider token as
// "Authorization: Bearer". The answer is {userId, accountId, userSession}:
// a bearer session for the user whose primary account is the token's
// account. Provider tokens obtained on the user's behalf are stored, never
// returned. A provider without on-behalf-of exchange (Google) signs the user
// in without API access: the account then needs the authorize flow before
// mail or calendar calls work (they answer ReauthRequired until then).
func (h *Handler) sso(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	clientID := r.URL.Query().Get("clientId")
	for _, name := range []string{"X-Aurinko-ClientId", "X-Aurinko-Client-Id"} {
		if v := r.Header.Get(name); v != "" {
			clientID = v
		}
	}
	app, err := h.accounts.App(ctx, clientID)
	if err != nil {
		if apierr.CodeOf(err) == apierr.NotFound {
			err = apierr.New(apierr.Unauthorized, "unknown clientId")
		}
		h.fail(w, r, err)
		return
	}
	c, ok := h.accounts.Connectors().Get(r.URL.Query().Get("serviceType"))
	if !ok {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "unsupported serviceType"))
		return
	}
	signer, ok := c.(connectors.TokenSignIn)
	if !ok {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "%s does not support token sign-in", c.ServiceType()))
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > maxSSOToken {
		h.fail(w, r, apierr.New(apierr.Unauthorized, "send the provider token as Authorization: Bearer"))
		return
	}
	grant, err := signer.SignInWithToken(ctx, token)
	if err != nil {
		h.logger.Info("sso: token refused", "app", app.ID, "serviceType", c.ServiceType(), "error", err)
		var te *connectors.TokenError
		switch {
		case errors.Is(err, connectors.ErrIdentity):
			h.fail(w, r, apierr.New(apierr.Unauthorized, "the provider token is not valid for this app"))
		case errors.As(err, &te) && !te.Terminal() && te.Code != "interaction_required" && te.Code != "invalid_grant":
			h.fail(w, r, apierr.Wrap(err, apierr.ProviderUnavailable, "the provider did not answer; try again"))
		default:
			h.fail(w, r, apierr.New(apierr.Forbidden, "the provider refused access on the user's behalf (consent may be required)"))
		}
		return
	}
	res, err := h.accounts.Link(ctx, accounts.LinkRequest{AppID: app.ID, ServiceType: c.ServiceType(), Grant: grant,
		Type: store.AccountPrimary, CreateUser: true})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tok, _, err := h.sessions.Create(ctx, app.ID, res.User.ID, res.Account.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse{AccountID: res.Account.ID, UserID: res.User.ID, UserSession: tok})
}
