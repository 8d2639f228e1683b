package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
)

// maxParam bounds every query parameter of the authorize endpoints.
const maxParam = 2048

// entry is what every authorize endpoint parses first.
type entry struct {
	app       store.App
	returnURL *url.URL
	f         flow
}

// begin validates the app and the return URL. On failure it has answered
// with an error page (never a redirect) and returns false.
func (h *Handler) begin(w http.ResponseWriter, r *http.Request) (entry, bool) {
	q := r.URL.Query()
	for k, vs := range q {
		if len(vs) > 1 || len(vs[0]) > maxParam {
			h.page(w, http.StatusBadRequest, "Parameter "+strconv.Quote(truncate(k, 32))+" is repeated or too long.")
			return entry{}, false
		}
	}
	clientID := q.Get("clientId")
	if clientID == "" {
		h.page(w, http.StatusBadRequest, "clientId is required.")
		return entry{}, false
	}
	app, err := h.accounts.App(r.Context(), clientID)
	if err != nil {
		if apierr.CodeOf(err) == apierr.NotFound {
			h.page(w, http.StatusBadRequest, "Unknown clientId.")
		} else {
			h.logger.Error("authorize: load app", "error", err)
			h.page(w, http.StatusInternalServerError, "The server could not start the sign-in.")
		}
		return entry{}, false
	}
	u, err := MatchReturnURL(q.Get("returnUrl"), app.ReturnURLs)
	if err != nil {
		h.page(w, http.StatusBadRequest, "The returnUrl is missing or not registered for this app.")
		return entry{}, false
	}
	return entry{app: app, returnURL: u, f: flow{AppID: app.ID, ReturnURL: u.String(), ClientState: q.Get("state")}}, true
}

// common parses the parameters shared by the authorize endpoints and starts
// the flow. Errors after the return URL is known go back to it.
func (h *Handler) common(w http.ResponseWriter, r *http.Request, e entry, daemon bool) {
	q := r.URL.Query()
	ctx := r.Context()
	c, ok := h.accounts.Connectors().Get(q.Get("serviceType"))
	if !ok {
		h.finishError(w, r, e.f, "unsupported serviceType")
		return
	}
	e.f.ServiceType = c.ServiceType()
	scopes, err := connectors.ParseScopes(q.Get("scopes"))
	if err != nil {
		h.finishError(w, r, e.f, "invalid scopes")
		return
	}
	for _, s := range scopes {
		e.f.Scopes = append(e.f.Scopes, string(s))
	}
	switch q.Get("ensureScopes") {
	case "", "false":
	case "true":
		e.f.EnsureScopes = true
	default:
		h.finishError(w, r, e.f, "ensureScopes must be true or false")
		return
	}
	native, err := c.NativeScopes(scopes)
	if err != nil {
		h.finishError(w, r, e.f, "a requested scope is not supported by "+e.f.ServiceType)
		return
	}
	for _, n := range connectors.SplitList(q.Get("nativeScopes")) {
		if !containsString(native, n) {
			native = append(native, n)
		}
	}
	if s := q.Get("accountId"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			h.finishError(w, r, e.f, "invalid accountId")
			return
		}
		if _, err := h.accounts.Account(ctx, e.app.ID, e.f.UserID, id); err != nil {
			h.finishError(w, r, e.f, "account not found")
			return
		}
		e.f.AccountID = id
	}
	target, err := h.start(ctx, w, r, e.f, c, native, q.Get("loginHint"), daemon)
	if err != nil {
		h.logger.Error("authorize: start flow", "app", e.app.ID, "serviceType", e.f.ServiceType, "error", err)
		h.finishError(w, r, e.f, "the server could not start the sign-in")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// authorize is GET /auth/authorize: the account flow, or with userAccount
// a user sign-in (primary) or the linking of a secondary account.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	e, ok := h.begin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	e.f.ResponseType = orDefault(q.Get("responseType"), "code")
	if e.f.ResponseType != "code" && e.f.ResponseType != "token" {
		h.finishError(w, r, e.f, "responseType must be code or token")
		return
	}
	e.f.AccountToken = true
	switch q.Get("userAccount") {
	case "":
		e.f.Kind, e.f.Role = "account", string(store.AccountPrimary)
	case "primary":
		e.f.Kind, e.f.Role, e.f.CreateUser = "user", string(store.AccountPrimary), true
	case "secondary":
		e.f.Kind, e.f.Role = "user", string(store.AccountSecondary)
		uid, err := h.linkingUser(r, e.app)
		if err != nil {
			h.finishError(w, r, e.f, err.Error())
			return
		}
		e.f.UserID = uid
	default:
		h.finishError(w, r, e.f, "userAccount must be primary or secondary")
		return
	}
	h.common(w, r, e, false)
}

// authorizeUser is GET /auth/authorizeUser: user sign-in with a session
// cookie or code (accountRole=primary), or linking a secondary account.
func (h *Handler) authorizeUser(w http.ResponseWriter, r *http.Request) {
	e, ok := h.begin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	e.f.Kind = "user"
	e.f.ResponseType = orDefault(q.Get("responseType"), "cookie")
	switch e.f.ResponseType {
	case "cookie", "code", "none":
	default:
		h.finishError(w, r, e.f, "responseType must be cookie, code or none")
		return
	}
	switch q.Get("accountRole") {
	case "primary":
		e.f.Role, e.f.CreateUser = string(store.AccountPrimary), true
	case "secondary":
		e.f.Role = string(store.AccountSecondary)
		uid, err := h.linkingUser(r, e.app)
		if err != nil {
			h.finishError(w, r, e.f, err.Error())
			return
		}
		e.f.UserID = uid
	default:
		h.finishError(w, r, e.f, "accountRole must be primary or secondary")
		return
	}
	h.common(w, r, e, false)
}

// authorizeDaemon is GET /auth/authorizeDaemon: a service account with
// app-only access (admin consent where the provider has it).
func (h *Handler) authorizeDaemon(w http.ResponseWriter, r *http.Request) {
	e, ok := h.begin(w, r)
	if !ok {
		return
	}
	e.f.Kind, e.f.Role, e.f.AccountToken = "daemon", string(store.AccountDaemon), true
	e.f.ResponseType = orDefault(r.URL.Query().Get("responseType"), "code")
	if e.f.ResponseType != "code" && e.f.ResponseType != "token" {
		h.finishError(w, r, e.f, "responseType must be code or token")
		return
	}
	h.common(w, r, e, true)
}

// errNoUser is what a secondary-account flow without a user is told.
var errNoUser = errors.New("linking a secondary account needs a signed-in user or a valid userSignature")

// linkingUser returns the user a secondary account is linked to: the
// session's user, or the user named by userId + timestamp + userSignature.
func (h *Handler) linkingUser(r *http.Request, app store.App) (string, error) {
	q := r.URL.Query()
	if q.Get("userId") != "" || q.Get("userSignature") != "" {
		uid, err := h.verifyUserSignature(app, q.Get("userId"), q.Get("timestamp"), q.Get("userSignature"))
		if err != nil {
			return "", errNoUser
		}
		if _, err := h.accounts.User(r.Context(), app.ID, uid); err != nil {
			return "", errNoUser
		}
		return uid, nil
	}
	if p, ok := session.FromContext(r.Context()); ok && p.Kind == session.KindUser && p.AppID == app.ID {
		return p.UserID, nil
	}
	return "", errNoUser
}

// verifyUserSignature checks hex/base64/base64url(HMAC-SHA256(clientSecret,
// userId + timestamp)) with timestamp in seconds within SignatureMaxSkew.
func (h *Handler) verifyUserSignature(app store.App, userID, ts, sig string) (string, error) {
	if userID == "" || ts == "" || sig == "" {
		return "", errNoUser
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errNoUser
	}
	if d := h.now().Sub(time.Unix(secs, 0)); d > h.maxSkew || d < -h.maxSkew {
		return "", errNoUser
	}
	got, ok := decodeSignature(sig)
	if !ok {
		return "", errNoUser
	}
	secret, err := h.accounts.ClientSecret(app)
	if err != nil {
		return "", errNoUser
	}
	defer clear(secret)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(userID + ts))
	if !hmac.Equal(mac.Sum(nil), got) {
		return "", errNoUser
	}
	return userID, nil
}

// decodeSignature accepts the encodings the Aurinko API names: hex, base64
// and base64 web (URL) format, padded or not.
func decodeSignature(s string) ([]byte, bool) {
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == sha256.Size {
			return b, true
		}
	}
	return nil, false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
