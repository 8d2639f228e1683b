package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/store"
)

// Code kinds used in the store.
const (
	kindState = "auth.state" // a flow in progress; hash of the state sent to the provider
	kindCode  = "auth.code"  // a one-time code handed to returnUrl
)

// flowCookie binds a flow to the browser that started it.
const flowCookie = "aurinko_flow"

// flow is everything a flow keeps between authorize and callback. It is
// stored sealed (it holds the PKCE verifier).
type flow struct {
	Kind         string   `json:"kind"` // "account", "user", "daemon"
	AppID        string   `json:"app"`
	ServiceType  string   `json:"st"`
	ReturnURL    string   `json:"ret"`
	ClientState  string   `json:"cs,omitempty"`
	ResponseType string   `json:"rt"`
	Role         string   `json:"role"` // primary | secondary | daemon
	CreateUser   bool     `json:"cu,omitempty"`
	UserID       string   `json:"uid,omitempty"`
	AccountID    int64    `json:"aid,omitempty"`
	Scopes       []string `json:"sc,omitempty"`
	Native       []string `json:"ns,omitempty"` // native scopes requested
	EnsureScopes bool     `json:"es,omitempty"` // fail when a requested scope was not granted`
	Verifier     string   `json:"v"`
	Nonce        string   `json:"n"`
	Binding      []byte   `json:"b"` // SHA-256 of the flow cookie value
	// AccountToken: the flow may hand out an account access token
	// (authorize, authorizeDaemon); authorizeUser hands out sessions only.
	AccountToken bool `json:"at,omitempty"`
}

// oneTimeCode is the payload of a code handed to returnUrl.
type oneTimeCode struct {
	AccountID   int64  `json:"aid"`
	UserID      string `json:"uid,omitempty"`
	Session     bool   `json:"ses,omitempty"` // exchange creates a user session
	AccessToken bool   `json:"at,omitempty"`  // exchange issues an account access token
}

func randomToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // the platform is broken; never continue with weak tokens
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// browserBinding returns the flow cookie's value, setting a new cookie
// when the browser has none (so parallel flows in one browser share it).
func (h *Handler) browserBinding(w http.ResponseWriter, r *http.Request) []byte {
	if c, err := r.Cookie(flowCookie); err == nil && len(c.Value) == 43 {
		if _, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			sum := sha256.Sum256([]byte(c.Value))
			return sum[:]
		}
	}
	v := randomToken("")
	http.SetCookie(w, &http.Cookie{
		Name: flowCookie, Value: v, Path: h.flowPaths, MaxAge: int(h.stateTTL / time.Second),
		HttpOnly: true, Secure: !h.insecure, SameSite: http.SameSiteLaxMode,
	})
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}

func (h *Handler) checkBinding(r *http.Request, want []byte) bool {
	c, err := r.Cookie(flowCookie)
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(c.Value))
	return subtle.ConstantTimeCompare(sum[:], want) == 1
}

// start stores the flow and returns the provider URL to redirect to.
func (h *Handler) start(ctx context.Context, w http.ResponseWriter, r *http.Request, f flow, c connectors.Connector, native []string, loginHint string, daemon bool) (string, error) {
	f.Native = native
	f.Verifier = oauth2.GenerateVerifier()
	f.Nonce = randomToken("")
	f.Binding = h.browserBinding(w, r)
	state, err := h.saveFlow(ctx, f)
	if err != nil {
		return "", err
	}
	req := connectors.AuthRequest{
		RedirectURL: h.CallbackURL(), State: state, Scopes: native, LoginHint: loginHint,
		CodeChallenge: oauth2.S256ChallengeFromVerifier(f.Verifier), Nonce: f.Nonce,
	}
	if f.AccountID != 0 {
		// Re-authorization: ask for consent again only when no refresh
		// token is stored, so the provider issues one.
		if tok, _, err := h.accounts.StoredToken(ctx, f.AccountID); err != nil || tok.RefreshToken == "" {
			req.ForceConsent = true
		}
	}
	if _, ok := c.(connectors.PasswordSignIn); ok {
		// No provider to redirect to: our own sign-in form.
		return h.public.String() + "/auth/password?" + url.Values{"state": {state}}.Encode(), nil
	}
	if daemon {
		if da, ok := c.(connectors.DaemonAuthorizer); ok {
			return da.DaemonAuthURL(ctx, req)
		}
	}
	return c.AuthCodeURL(ctx, req)
}

// saveFlow stores f sealed under a new random state and returns the state.
func (h *Handler) saveFlow(ctx context.Context, f flow) (string, error) {
	payload, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("auth: encode flow: %w", err)
	}
	sealed, err := h.keyring.Seal(payload)
	if err != nil {
		return "", fmt.Errorf("auth: seal flow: %w", err)
	}
	state := randomToken("st_")
	now := h.now()
	if err := h.store.CreateCode(ctx, store.Code{Hash: store.HashSecret(state), Kind: kindState, AppID: f.AppID,
		Payload: sealed, CreatedAt: now, ExpiresAt: now.Add(h.stateTTL)}); err != nil {
		return "", fmt.Errorf("auth: store flow: %w", err)
	}
	return state, nil
}

// errFlow is returned for a state that is unknown, used, expired, or
// presented by another browser.
var errFlow = errors.New("auth: this sign-in link is invalid, expired or was already used; start again")

// redeem takes the flow of a state, once.
func (h *Handler) redeem(ctx context.Context, r *http.Request, state string) (flow, error) {
	if state == "" || len(state) > 128 {
		return flow{}, errFlow
	}
	c, err := h.store.RedeemCode(ctx, store.HashSecret(state), kindState)
	if errors.Is(err, store.ErrNotFound) {
		return flow{}, errFlow
	}
	if err != nil {
		return flow{}, fmt.Errorf("auth: redeem state: %w", err)
	}
	plain, err := h.keyring.Open(c.Payload)
	if err != nil {
		return flow{}, fmt.Errorf("auth: open flow: %w", err)
	}
	defer clear(plain)
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil {
		return flow{}, fmt.Errorf("auth: decode flow: %w", err)
	}
	if !h.checkBinding(r, f.Binding) {
		return flow{}, errFlow
	}
	return f, nil
}

// issueCode stores a one-time code for returnUrl and returns it.
func (h *Handler) issueCode(ctx context.Context, appID string, p oneTimeCode) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("auth: encode code: %w", err)
	}
	code := randomToken("code_")
	now := h.now()
	if err := h.store.CreateCode(ctx, store.Code{Hash: store.HashSecret(code), Kind: kindCode, AppID: appID,
		Payload: b, CreatedAt: now, ExpiresAt: now.Add(h.codeTTL)}); err != nil {
		return "", fmt.Errorf("auth: store code: %w", err)
	}
	return code, nil
}

// finish redirects the browser to the flow's return URL with params.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, f flow, params url.Values) {
	u, err := url.Parse(f.ReturnURL) // validated when the flow started
	if err != nil {
		h.page(w, http.StatusBadRequest, "The return address of this sign-in is invalid.")
		return
	}
	if f.ClientState != "" {
		params.Set("state", f.ClientState)
	}
	http.Redirect(w, r, withParams(u, params), http.StatusSeeOther)
}

// finishError redirects to the return URL with status=error.
func (h *Handler) finishError(w http.ResponseWriter, r *http.Request, f flow, details string) {
	h.finish(w, r, f, url.Values{"status": {"error"}, "details": {details}})
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><title>Sign-in failed</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem">
<h1>Sign-in failed</h1><p>{{.}}</p></body></html>
`))

// page answers with a small HTML error page: for errors where redirecting
// would be unsafe (unknown app, return URL not allowed, bad state).
func (h *Handler) page(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, msg)
}
