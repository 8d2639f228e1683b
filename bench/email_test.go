package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	xoauth2 "golang.org/x/oauth2"
	gmail "google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/unified"
)

// listSize is the page size of BenchmarkListMessages.
const listSize = 50

// graphFields is the $select of the Microsoft 365 connector's lists,
// which the direct SDK call asks for too.
var graphFields = []string{"id", "conversationId", "createdDateTime", "lastModifiedDateTime", "sentDateTime",
	"receivedDateTime", "internetMessageId", "subject", "bodyPreview", "from", "toRecipients", "ccRecipients",
	"bccRecipients", "replyTo", "hasAttachments", "isRead", "isDraft", "importance", "flag", "categories",
	"parentFolderId", "webLink"}

// mailBench is an aurinko server with a Google and a Microsoft 365
// account against googletest and graphtest, each mailbox seeded with 60
// messages, and the provider access tokens of both accounts for the
// direct calls.
type mailBench struct {
	srv            *aurinko.Server
	gref, mref     unified.AccountRef
	gtoken, mtoken string
	gfake          *googletest.Server
	mfake          *graphtest.Server
}

// codeFlow runs an authorization code flow against a fake and returns its
// token.
func codeFlow(b *testing.B, conf *xoauth2.Config, hc *http.Client) *xoauth2.Token {
	b.Helper()
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(conf.AuthCodeURL("bench-state", xoauth2.AccessTypeOffline))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		b.Fatalf("authorize = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(context.WithValue(context.Background(), xoauth2.HTTPClient, hc), loc.Query().Get("code"))
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

func newMailBench(b *testing.B) *mailBench {
	b.Helper()
	ctx := context.Background()
	gfake := googletest.New(b, googletest.Options{ClientID: "g-client", ClientSecret: "g-secret", AccessTokenTTL: 24 * time.Hour,
		Users: []googletest.User{{Email: "grace@corp.example", Name: "Grace Hopper"}}})
	adele := graphtest.User{ObjectID: "00000000-0000-0000-0000-0000000000a1", TenantID: "00000000-0000-0000-0000-00000000c0de",
		UserPrincipalName: "adele@contoso.example", Mail: "adele@contoso.example", DisplayName: "Adele Vance"}
	mfake := graphtest.New(b, graphtest.Options{ClientID: "ms-client", ClientSecret: "ms-secret", Users: []graphtest.User{adele}})
	base := time.Now().UTC().Add(-100 * time.Hour).Truncate(time.Second)
	for i := range 60 {
		at := base.Add(time.Duration(i) * time.Hour)
		subject, body := fmt.Sprintf("Report %02d", i), fmt.Sprintf("<p>Numbers of week <b>%d</b> are in.</p>", i)
		if _, err := gfake.Seed("grace@corp.example", googletest.MailMessage{From: "Bob <bob@example.test>",
			To: []string{"Grace Hopper <grace@corp.example>"}, Subject: subject, HTML: body, Date: at}); err != nil {
			b.Fatal(err)
		}
		if _, err := mfake.SeedMessage(adele.ObjectID, graphtest.Message{From: graphtest.Recipient{Name: "Bob", Address: "bob@example.test"},
			To: []graphtest.Recipient{{Name: "Adele Vance", Address: "adele@contoso.example"}}, Subject: subject, Body: body,
			BodyIsHTML: true, ReceivedAt: at}); err != nil {
			b.Fatal(err)
		}
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	g, err := google.New(ctx, google.Config{ClientID: "g-client", ClientSecret: "g-secret", Endpoints: gfake.Endpoints(), HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	m, err := office365.New(ctx, office365.Config{ClientID: "ms-client", ClientSecret: "ms-secret", HTTPClient: hc,
		Endpoints: &office365.Endpoints{LoginBaseURL: mfake.URL(), GraphBaseURL: mfake.URL()}})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(b),
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{g, m}, HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		b.Fatal(err)
	}
	gtok := codeFlow(b, &xoauth2.Config{ClientID: "g-client", ClientSecret: "g-secret", RedirectURL: "https://api.example.com/cb",
		Scopes:   []string{"openid", "email", "https://mail.google.com/"},
		Endpoint: xoauth2.Endpoint{AuthURL: gfake.AuthURL(), TokenURL: gfake.TokenURL()}}, hc)
	if err := mfake.SetNextUser(adele.ObjectID); err != nil {
		b.Fatal(err)
	}
	mtok := codeFlow(b, &xoauth2.Config{ClientID: "ms-client", ClientSecret: "ms-secret", RedirectURL: "https://api.example.com/cb",
		Scopes:   []string{"openid", "offline_access", "https://graph.microsoft.com/Mail.ReadWrite"},
		Endpoint: xoauth2.Endpoint{AuthURL: mfake.URL() + "/common/oauth2/v2.0/authorize", TokenURL: mfake.URL() + "/common/oauth2/v2.0/token"}}, hc)
	link := func(serviceType, user string, tok *xoauth2.Token) unified.AccountRef {
		res, err := srv.Accounts().Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: serviceType, Type: store.AccountPrimary,
			Grant: &connectors.Grant{Token: tok, Identity: connectors.Identity{AuthUserID: user, Email: user}}})
		if err != nil {
			b.Fatal(err)
		}
		return unified.AccountRef{AppID: "app", AccountID: res.Account.ID}
	}
	return &mailBench{srv: srv, gfake: gfake, mfake: mfake, gtoken: gtok.AccessToken, mtoken: mtok.AccessToken,
		gref: link("Google", "grace@corp.example", gtok), mref: link("Office365", adele.ObjectID, mtok)}
}

// staticToken hands the SDK one access token, for the fake's host only.
type staticToken struct {
	token string
	hosts absauth.AllowedHostsValidator
}

func (s staticToken) GetAuthorizationToken(context.Context, *url.URL, map[string]any) (string, error) {
	return s.token, nil
}

func (s staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &s.hosts }

// graphSDK is a msgraph-sdk-go client of the Graph fake with a token.
func graphSDK(b *testing.B, base, token string) *msgraph.GraphServiceClient {
	u, _ := url.Parse(base)
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(staticToken{token: token,
		hosts: absauth.NewAllowedHostsValidator([]string{u.Hostname()})})
	hc := khttp.GetDefaultClient()
	// The SDK addresses /me as /users/me-token-to-replace; Graph's own
	// middleware set (msgraph-sdk-go-core) rewrites it, as here.
	mw := append(khttp.GetDefaultMiddlewares(), khttp.NewUrlReplaceHandler(true, map[string]string{"/users/me-token-to-replace": "/me"}))
	hc.Transport = khttp.NewCustomTransportWithParentTransport(&http.Transport{MaxIdleConnsPerHost: 64}, mw...)
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		b.Fatal(err)
	}
	adapter.SetBaseUrl(base + "/v1.0")
	return msgraph.NewGraphServiceClient(adapter)
}

// BenchmarkListMessages lists the 50 newest messages of a mailbox of 60,
// one op per list, against graphtest and googletest in the same run:
//
//   - peer=msgraph-sdk: msgraph-sdk-go Me().Messages().Get with $top=50,
//     the connector's $select, $filter (trash and junk left out) and
//     $orderby, and the connector's Prefer header (immutable ids); against
//     aurinko=Server.Email().ListMessages (the Go method the HTTP handler
//     calls, no HTTP in front of it) with limit 50 on the Microsoft 365
//     account: the account's token from the store, the same Graph request,
//     the mapping to the unified model, the sealed page token.
//   - peer=gmail-client: google.golang.org/api/gmail/v1
//     Users.Labels.List, Users.Messages.List(maxResults=50) and 50
//     Users.Messages.Get(format=full), 8 at a time — the calls the
//     connector makes, since a Gmail list carries only ids and the label
//     names are needed to map user labels; against the same Go method on
//     the Google account.
func BenchmarkListMessages(b *testing.B) {
	env := newMailBench(b)
	ctx := context.Background()
	sdk := graphSDK(b, env.mfake.URL(), env.mtoken)
	wk := map[string]string{}
	for _, name := range []string{"deleteditems", "junkemail"} {
		f, err := sdk.Me().MailFolders().ByMailFolderId(name).Get(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		wk[name] = *f.GetId()
	}
	// Led by the ordered property, as Graph requires beside $orderby (the
	// connector sends the same).
	filter := "receivedDateTime ge 1900-01-01T00:00:00Z and parentFolderId ne '" + wk["deleteditems"] + "' and parentFolderId ne '" + wk["junkemail"] + "'"
	top := int32(listSize)
	hdr := absHeaders(`IdType="ImmutableId"`)
	gsvc, err := gmail.NewService(ctx, option.WithHTTPClient(&http.Client{Transport: &xoauth2.Transport{
		Source: xoauth2.StaticTokenSource(&xoauth2.Token{AccessToken: env.gtoken}), Base: &http.Transport{MaxIdleConnsPerHost: 64}}}),
		option.WithEndpoint(env.gfake.APIBaseURL()+"/"))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		list func() (int, error)
	}{
		{"peer=msgraph-sdk/impl=peer", func() (int, error) {
			res, err := sdk.Me().Messages().Get(ctx, &users.ItemMessagesRequestBuilderGetRequestConfiguration{
				Headers: hdr,
				QueryParameters: &users.ItemMessagesRequestBuilderGetQueryParameters{Top: &top, Select: graphFields,
					Filter: &filter, Orderby: []string{"receivedDateTime desc"}}})
			if err != nil {
				return 0, err
			}
			return len(res.GetValue()), nil
		}},
		{"peer=msgraph-sdk/impl=aurinko", func() (int, error) {
			p, err := env.srv.Email().ListMessages(ctx, env.mref, unified.MessageList{Limit: listSize})
			return len(p.Records), err
		}},
		{"peer=gmail-client/impl=peer", func() (int, error) {
			if _, err := gsvc.Users.Labels.List("me").Context(ctx).Do(); err != nil {
				return 0, err
			}
			r, err := gsvc.Users.Messages.List("me").MaxResults(listSize).Context(ctx).Do()
			if err != nil {
				return 0, err
			}
			msgs := make([]*gmail.Message, len(r.Messages))
			errs := make([]error, len(r.Messages))
			sem := make(chan struct{}, 8)
			var wg sync.WaitGroup
			for i, m := range r.Messages {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					msgs[i], errs[i] = gsvc.Users.Messages.Get("me", m.Id).Format("full").Context(ctx).Do()
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return 0, err
				}
			}
			return len(msgs), nil
		}},
		{"peer=gmail-client/impl=aurinko", func() (int, error) {
			p, err := env.srv.Email().ListMessages(ctx, env.gref, unified.MessageList{Limit: listSize})
			return len(p.Records), err
		}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := bc.list()
				if err != nil {
					b.Fatal(err)
				}
				if n != listSize {
					b.Fatalf("listed %d messages, want %d", n, listSize)
				}
			}
		})
	}
}

// absHeaders is a Prefer request header for the SDK.
func absHeaders(prefer ...string) *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	h.Add("Prefer", strings.Join(prefer, ", "))
	return h
}
