package aurinko_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

// mailConnector stands in for a password connector (the real IMAP one is
// tested against Dovecot in its package).
type mailConnector struct{}

func (mailConnector) ServiceType() string                               { return "Mail" }
func (mailConnector) NativeScopes([]connectors.Scope) ([]string, error) { return nil, nil }
func (mailConnector) AuthCodeURL(context.Context, connectors.AuthRequest) (string, error) {
	return "", fmt.Errorf("password accounts have no OAuth flow")
}
func (mailConnector) Exchange(context.Context, connectors.ExchangeRequest) (*connectors.Grant, error) {
	return nil, fmt.Errorf("password accounts have no OAuth flow")
}
func (mailConnector) Refresh(context.Context, *xoauth2.Token) (*xoauth2.Token, error) {
	return nil, fmt.Errorf("nothing to refresh")
}
func (mailConnector) SignInWithPassword(_ context.Context, login, password, server string) (*connectors.Grant, error) {
	switch {
	case server == "unreachable.example":
		return nil, fmt.Errorf("dial: connection refused")
	case login != "ann@mail.example" || password != "right-Passw0rd":
		return nil, fmt.Errorf("%w: LOGIN failed", connectors.ErrIdentity)
	}
	return &connectors.Grant{Password: password, Identity: connectors.Identity{AuthUserID: login, Email: login, ServerURL: "imaps://mail.example:993"}}, nil
}

var stateInForm = regexp.MustCompile(`name="state" value="(st_[A-Za-z0-9_-]+)"`)

func TestFlow_passwordSignIn(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, mailConnector{})
	b := e.browser()
	resp := b.authorize("authorizeUser", flowParams("serviceType", "Mail", "accountRole", "primary", "responseType", "code", "state", "cs"))
	// The browser followed the redirect to our form.
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(resp.Request.URL.Path, "/auth/password") {
		t.Fatalf("authorize led to %d %s", resp.StatusCode, resp.Request.URL)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("password form can be framed: %v", resp.Header)
	}
	state := resp.Request.URL.Query().Get("state")
	post := func(state, login, password, server string) (*http.Response, string) {
		form := url.Values{"state": {state}, "login": {login}, "password": {password}, "serverUrl": {server}}
		r, err := b.client.PostForm(e.apiURL+"/auth/password", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		return r, string(body)
	}
	// Wrong password: the form again, a fresh state, no echo of the password.
	r, body := post(state, "ann@mail.example", "wrong-Passw0rd", "")
	if r.StatusCode != 401 || !strings.Contains(body, "not correct") || strings.Contains(body, "wrong-Passw0rd") {
		t.Fatalf("wrong password = %d %s", r.StatusCode, body)
	}
	m := stateInForm.FindStringSubmatch(body)
	if m == nil || m[1] == state {
		t.Fatalf("no fresh state in the form: %s", body)
	}
	// The first state was consumed.
	if r, _ := post(state, "ann@mail.example", "right-Passw0rd", ""); r.StatusCode != 400 {
		t.Fatalf("reused state = %d, want 400", r.StatusCode)
	}
	// Server unreachable: the form again with another message.
	r, body = post(m[1], "ann@mail.example", "right-Passw0rd", "unreachable.example")
	if r.StatusCode != 401 || !strings.Contains(body, "could not be reached") {
		t.Fatalf("unreachable server = %d %s", r.StatusCode, body)
	}
	m = stateInForm.FindStringSubmatch(body)
	// Another browser cannot use this browser's state.
	other := e.browser()
	form := url.Values{"state": {m[1]}, "login": {"ann@mail.example"}, "password": {"right-Passw0rd"}}
	if r, err := other.client.PostForm(e.apiURL+"/auth/password", form); err != nil || r.StatusCode != 400 {
		t.Fatalf("state from another browser = %v %v", r.StatusCode, err)
	}
}

func TestFlow_passwordSignInCompletes(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, mailConnector{})
	b := e.browser()
	resp := b.authorize("authorizeUser", flowParams("serviceType", "Mail", "accountRole", "primary", "responseType", "code", "state", "cs"))
	state := resp.Request.URL.Query().Get("state")
	form := url.Values{"state": {state}, "login": {"ann@mail.example"}, "password": {"right-Passw0rd"}}
	r, err := b.client.PostForm(e.apiURL+"/auth/password", form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	q := finalParams(t, r)
	if q.Get("status") != "success" || q.Get("state") != "cs" {
		t.Fatalf("final params = %v", q)
	}
	status, out := e.exchange(q.Get("code"), appID, appSecret)
	sess, _ := out["userSession"].(string)
	if status != 200 || sess == "" {
		t.Fatalf("exchange = %d %v", status, out)
	}
	status, user := e.browser().do("GET", "/user", bearer(sess))
	if status != 200 || user["email"] != "ann@mail.example" {
		t.Fatalf("GET /user = %d %v", status, user)
	}
	id := int64(user["accounts"].([]any)[0].(map[string]any)["id"].(float64))
	if pw, err := e.srv.Accounts().Password(context.Background(), id); err != nil || pw != "right-Passw0rd" {
		t.Fatalf("stored password = %q, %v", pw, err)
	}
}
