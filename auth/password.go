package auth

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/aurinko-go/aurinko/connectors"
)

// Limits of the password form.
const (
	maxLogin    = 320
	maxPassword = 1024
	maxServer   = 512
)

var passwordForm = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><title>Sign in to {{.ServiceType}}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.3rem">Sign in to your {{.ServiceType}} mailbox</h1>
{{if .Error}}<p role="alert" style="color:#a00">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}" autocomplete="on">
<input type="hidden" name="state" value="{{.State}}">
<p><label>Login<br><input name="login" type="text" autocomplete="username" required maxlength="320" value="{{.Login}}" style="width:100%"></label></p>
<p><label>Password<br><input name="password" type="password" autocomplete="current-password" required maxlength="1024" style="width:100%"></label></p>
{{if .AskServer}}<p><label>Server (optional)<br><input name="serverUrl" type="text" maxlength="512" value="{{.Server}}" placeholder="imaps://mail.example.com:993" style="width:100%"></label></p>{{end}}
<p><button type="submit">Sign in</button></p>
</form></body></html>
`))

type passwordPage struct {
	ServiceType, Action, State, Login, Server, Error string
	AskServer                                        bool
}

func (h *Handler) renderPasswordForm(w http.ResponseWriter, status int, p passwordPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = passwordForm.Execute(w, p)
}

// passwordFormPage is GET /auth/password?state=...: the sign-in form of a
// password connector (IMAP). The state is not consumed here; the form
// posts it back. serviceType comes from the POST's redeemed flow, so the
// page shows a neutral title until then.
func (h *Handler) passwordFormPage(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state == "" || len(state) > 128 || !strings.HasPrefix(state, "st_") {
		h.page(w, http.StatusBadRequest, "This sign-in link is invalid; start again.")
		return
	}
	h.renderPasswordForm(w, http.StatusOK, passwordPage{ServiceType: "e-mail", Action: h.prefix + "/auth/password", State: state, AskServer: true})
}

// passwordSubmit is POST /auth/password: checks the credentials with the
// connector (a real login), stores the account and finishes the flow like
// the OAuth callback. Wrong credentials show the form again under a fresh
// state; the password is never echoed.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		h.page(w, http.StatusBadRequest, "The sign-in form was malformed.")
		return
	}
	ctx := r.Context()
	f, err := h.redeem(ctx, r, r.PostForm.Get("state"))
	if err != nil {
		if !errors.Is(err, errFlow) {
			h.logger.Error("password: redeem state", "error", err)
		}
		h.page(w, http.StatusBadRequest, errFlow.Error()[len("auth: "):])
		return
	}
	c, ok := h.accounts.Connectors().Get(f.ServiceType)
	ps, isPW := c.(connectors.PasswordSignIn)
	if !ok || !isPW {
		h.finishError(w, r, f, "unsupported serviceType")
		return
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	password := r.PostForm.Get("password")
	server := strings.TrimSpace(r.PostForm.Get("serverUrl"))
	again := func(msg string) {
		state, err := h.saveFlow(ctx, f)
		if err != nil {
			h.logger.Error("password: save flow", "error", err)
			h.finishError(w, r, f, "the server could not continue the sign-in")
			return
		}
		h.renderPasswordForm(w, http.StatusUnauthorized, passwordPage{ServiceType: f.ServiceType, Action: h.prefix + "/auth/password",
			State: state, Login: login, Server: server, Error: msg, AskServer: true})
	}
	if login == "" || password == "" || len(login) > maxLogin || len(password) > maxPassword || len(server) > maxServer {
		again("Enter your login and password.")
		return
	}
	grant, err := ps.SignInWithPassword(ctx, login, password, server)
	if err != nil {
		h.logger.Info("password: sign-in refused", "app", f.AppID, "serviceType", f.ServiceType, "error", err)
		if errors.Is(err, connectors.ErrIdentity) {
			again("The login or password is not correct.")
		} else {
			again("The mail server could not be reached. Check the server and try again.")
		}
		return
	}
	h.complete(w, r, f, grant)
}
