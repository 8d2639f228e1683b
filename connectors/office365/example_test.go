package office365_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// A host configures the connector with its Entra app registration. Tests
// and the sandbox point it at the graphtest fake through Endpoints.
func ExampleNew() {
	ctx := context.Background()
	c, err := office365.New(ctx, office365.Config{
		ClientID:       "11111111-2222-3333-4444-555555555555",
		ClientSecret:   "from-your-secret-store",
		Tenant:         "common",
		AllowedTenants: nil, // any work, school or personal account
		SSO:            &office365.SSOConfig{APIAppID: "api://addin.example.com/11111111-2222-3333-4444-555555555555", RequiredScope: "access_as_user"},
		HTTPClient:     &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := connectors.NewRegistry(c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reg.ServiceTypes(), c.APIBaseURL(""))
	// Output: [Office365] https://graph.microsoft.com/v1.0
}

// The code flow against the fake: the browser step is a GET that the fake
// approves at once with a redirect.
func ExampleConnector_Exchange() {
	ctx := context.Background()
	fake, err := graphtest.NewServer(graphtest.Options{ClientID: "app-id", ClientSecret: "app-secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	c, err := office365.New(ctx, office365.Config{
		ClientID: "app-id", ClientSecret: "app-secret",
		Endpoints: &office365.Endpoints{LoginBaseURL: fake.URL(), GraphBaseURL: fake.URL()},
	})
	if err != nil {
		log.Fatal(err)
	}
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	scopes, _ := c.NativeScopes([]connectors.Scope{connectors.MailRead})
	authURL, _ := c.AuthCodeURL(ctx, connectors.AuthRequest{
		RedirectURL: "https://app.example.com/callback", State: "state-1", Nonce: "nonce-1", Scopes: scopes,
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	})
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))
	g, err := c.Exchange(ctx, connectors.ExchangeRequest{
		Code: callback.Query().Get("code"), RedirectURL: "https://app.example.com/callback",
		CodeVerifier: verifier, Nonce: "nonce-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Identity.Email, g.Identity.Name)
	// Output: adele@contoso.example Adele Vance
}
