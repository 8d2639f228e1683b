package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	crm "github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
)

// tokenEndpoint is a fake OAuth2 token endpoint (RFC 6749 section 6) that
// rotates refresh tokens, each working once (as Microsoft's and many CRMs'
// do), and counts the refreshes it performed and the invalid_grant answers
// it gave for reused refresh tokens. A refresh takes delay, as a real
// endpoint's round trip does.
type tokenEndpoint struct {
	srv   *httptest.Server
	delay time.Duration

	mu        sync.Mutex
	used      map[string]bool
	refreshes atomic.Int64
	rejected  atomic.Int64
}

func newTokenEndpoint(b testing.TB, delay time.Duration) *tokenEndpoint {
	te := &tokenEndpoint{used: map[string]bool{}, delay: delay}
	te.srv = httptest.NewServer(http.HandlerFunc(te.serve))
	b.Cleanup(te.srv.Close)
	return te
}

func (te *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	if te.delay > 0 {
		time.Sleep(te.delay)
	}
	w.Header().Set("Content-Type", "application/json")
	old := r.PostForm.Get("refresh_token")
	te.mu.Lock()
	reused := te.used[old]
	te.used[old] = true
	te.mu.Unlock()
	if reused {
		te.rejected.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"refresh token already used"}`)
		return
	}
	n := te.refreshes.Add(1)
	fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600,"refresh_token":"%s.%d"}`, n, old, n)
}

func testKeyring(b testing.TB) *seal.Keyring {
	kr, err := seal.NewKeyring(seal.Key{ID: "bench", Secret: bytes.Repeat([]byte{7}, seal.KeySize)})
	if err != nil {
		b.Fatal(err)
	}
	return kr
}

// crmConnector is the generic OAuth2 connector pointed at te.
func crmConnector(b testing.TB, tokenURL string) connectors.Connector {
	c, err := crm.New(crm.Config{ServiceType: "Crm", ClientID: "cid", ClientSecret: "csecret",
		AuthURL: tokenURL + "/authorize", TokenURL: tokenURL + "/token", UserInfoURL: tokenURL + "/userinfo",
		AuthStyle:  xoauth2.AuthStyleInHeader,
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// newAccounts is an accounts.Service over st whose "Crm" connector refreshes
// at te.
func newAccounts(b testing.TB, st store.Store, te *tokenEndpoint) *accounts.Service {
	reg, err := connectors.NewRegistry(crmConnector(b, te.srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	s, err := accounts.New(accounts.Config{Store: st, Keyring: testKeyring(b), Connectors: reg})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// linkAccount links a Crm account of app "app" whose access token expired a
// minute ago, so that the first AccessToken refreshes it. refresh is the
// refresh token it carries.
func linkAccount(b testing.TB, s *accounts.Service, user, refresh string) int64 {
	ctx := context.Background()
	res, err := s.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "at-0", RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)},
			Identity: connectors.Identity{AuthUserID: user, Email: user + "@example.com"}}})
	if err != nil {
		b.Fatal(err)
	}
	return res.Account.ID
}

func putApp(b testing.TB, s *accounts.Service) {
	if err := s.PutApp(context.Background(), accounts.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef!"}); err != nil {
		b.Fatal(err)
	}
}
