package oauth2_test

import (
	"log"
	"net/url"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oauth2"
)

// A Salesforce-shaped CRM: the identity comes from the userinfo endpoint,
// and each account's API lives at the instance_url of its token answer.
func ExampleNew() {
	sf, err := oauth2.New(oauth2.Config{
		ServiceType:  "Salesforce",
		ClientID:     "3MVG9example",
		ClientSecret: "from-your-secret-store",
		AuthURL:      "https://login.salesforce.com/services/oauth2/authorize",
		TokenURL:     "https://login.salesforce.com/services/oauth2/token",
		UserInfoURL:  "https://login.salesforce.com/services/oauth2/userinfo",
		RevokeURL:    "https://login.salesforce.com/services/oauth2/revoke",
		Scopes:       []string{"api", "refresh_token"},
		ScopeMap: map[connectors.Scope][]string{
			connectors.ContactsRead:      {"api"},
			connectors.ContactsReadWrite: {"api"},
		},
		AuthStyle:       xoauth2.AuthStyleInParams,
		PKCE:            true,
		UserInfo:        oauth2.UserInfoFields{ID: "user_id", Org: "organization_id"},
		ExtraAuthParams: url.Values{"display": {"popup"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = sf.APIBaseURL("https://acme.my.salesforce.com") // the account's Identity.ServerURL
}
