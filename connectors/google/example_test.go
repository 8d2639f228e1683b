package google_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

// A host configures the connector with its OAuth client and, for daemon
// accounts, a service account key whose client ID a Workspace
// administrator authorized for domain-wide delegation.
func ExampleNew() {
	key, _ := os.ReadFile("service-account.json") // from your secret store
	c, err := google.New(context.Background(), google.Config{
		ClientID:      "1234-web.apps.googleusercontent.com",
		ClientSecret:  "from-your-secret-store",
		HostedDomains: []string{"example.com"}, // optional: Workspace users of example.com only
		ServiceAccount: &google.ServiceAccount{
			JSON:   key,
			Scopes: []string{google.ScopeGmailModify, google.ScopeCalendar},
		},
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		log.Print(err) // here: no key file next to the example
		return
	}
	_ = c
}

// The sandbox: a fake Google in-process, a user signing in through the
// code flow, and the mailbox read through google.golang.org/api.
func Example_sandbox() {
	ctx := context.Background()
	fake, err := googletest.NewServer(googletest.Options{ClientID: "sandbox-client", ClientSecret: "sandbox-secret"})
	if err != nil {
		panic(err)
	}
	defer fake.Close()
	c, err := google.New(ctx, google.Config{ClientID: "sandbox-client", ClientSecret: "sandbox-secret", Endpoints: fake.Endpoints()})
	if err != nil {
		panic(err)
	}

	native, _ := c.NativeScopes([]connectors.Scope{connectors.MailRead})
	verifier := xoauth2.GenerateVerifier()
	authURL, _ := c.AuthCodeURL(ctx, connectors.AuthRequest{RedirectURL: "https://app.example.com/callback", State: "state-1",
		Scopes: native, Nonce: "nonce-1", CodeChallenge: xoauth2.S256ChallengeFromVerifier(verifier)})
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))

	g, err := c.Exchange(ctx, connectors.ExchangeRequest{Code: callback.Query().Get("code"),
		RedirectURL: "https://app.example.com/callback", CodeVerifier: verifier, Nonce: "nonce-1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Identity.Email, g.Identity.AuthOrgID, "missing:", c.MissingScopes([]connectors.Scope{connectors.MailRead}, g.Scopes))

	p, err := c.GmailProfile(ctx, xoauth2.StaticTokenSource(g.Token))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.EmailAddress, p.MessagesTotal)
	// Output:
	// alice@example.com example.com missing: []
	// alice@example.com 42
}
