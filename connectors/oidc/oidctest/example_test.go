package oidctest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oidc"
	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
)

// exampleTB is the smallest testing.TB an example can hand to New. In a
// test, pass the *testing.T instead.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (e *exampleTB) Helper()                         {}
func (e *exampleTB) Cleanup(f func())                { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) Fatalf(format string, a ...any)  { panic(fmt.Sprintf(format, a...)) }
func (e *exampleTB) Errorf(format string, a ...any)  { panic(fmt.Sprintf(format, a...)) }
func (e *exampleTB) Logf(format string, args ...any) {}
func (e *exampleTB) close() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// A connector signs a user in at the fake provider: the browser step is a
// GET that the fake approves at once with a redirect.
func Example() {
	t := &exampleTB{} // in a test: t *testing.T
	defer t.close()
	ctx := context.Background()

	p := oidctest.New(t, oidctest.Options{
		ClientID:     "my-client",
		ClientSecret: "my-secret",
		Users:        []oidctest.User{{Subject: "u-1", Email: "ann@example.com", Name: "Ann", OrgID: "org-1"}},
		RequirePKCE:  true,
	})
	c, err := oidc.New(ctx, oidc.Config{ServiceType: "Example", Issuer: p.URL(), ClientID: "my-client", ClientSecret: "my-secret"})
	if err != nil {
		panic(err)
	}

	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	authURL, _ := c.AuthCodeURL(ctx, connectors.AuthRequest{
		RedirectURL:   "https://app.example.com/callback",
		State:         "state-1",
		Nonce:         "nonce-1",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	})
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))

	g, err := c.Exchange(ctx, connectors.ExchangeRequest{
		Code:         callback.Query().Get("code"),
		RedirectURL:  "https://app.example.com/callback",
		CodeVerifier: verifier,
		Nonce:        "nonce-1",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Identity.AuthUserID, g.Identity.Email, g.Identity.AuthOrgID)
	fmt.Println("PKCE method seen by the provider:", p.AuthorizeRequests()[0].Get("code_challenge_method"))
	// Output:
	// u-1 ann@example.com org-1
	// PKCE method seen by the provider: S256
}
