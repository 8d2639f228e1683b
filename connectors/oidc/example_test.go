package oidc_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oidc"
)

// A host configures one connector per OpenID Connect provider and hands
// them to aurinko through a connectors.Registry. Tests use the fake
// provider of connectors/oidc/oidctest as the issuer.
func ExampleNew() {
	ctx := context.Background()
	okta, err := oidc.New(ctx, oidc.Config{
		ServiceType:  "Okta",
		Issuer:       "https://example.okta.com",
		ClientID:     "0oa1example",
		ClientSecret: "from-your-secret-store",
		Scopes:       []string{"openid", "email", "profile", "offline_access"},
		OrgClaim:     "org_id",
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		log.Fatal(err) // discovery failed: the error names the issuer
	}
	reg, err := connectors.NewRegistry(okta)
	if err != nil {
		log.Fatal(err)
	}
	_ = reg
}
