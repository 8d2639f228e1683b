package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	crm "github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// clientsPerProc is the number of concurrent clients per GOMAXPROCS in
// BenchmarkDirect.
const clientsPerProc = 4

// providerBackend is a provider's REST API: a small JSON answer to every
// GET under /api/v2/.
func providerBackend(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer provider-at" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"value":[{"id":"1","subject":"hello"},{"id":"2","subject":"world"}]}`, r.URL.Path)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// directServer is an aurinko server whose Crm connector's API base is
// backend, with one linked account and its account access token.
func directServer(b *testing.B, backend string) (http.Handler, string) {
	c, err := crm.New(crm.Config{ServiceType: "Crm", ClientID: "c", ClientSecret: "s",
		AuthURL: backend + "/auth", TokenURL: backend + "/token", UserInfoURL: backend + "/me",
		APIBaseURL: backend + "/api/v2"})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(b),
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{c},
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		b.Fatal(err)
	}
	res, err := srv.Accounts().Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "provider-at", RefreshToken: "provider-rt", Expiry: time.Now().Add(time.Hour)},
			Identity: connectors.Identity{AuthUserID: "crm-1"}}})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := srv.Sessions().IssueAccountToken(ctx, "app", res.Account.ID)
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), tok
}

// BenchmarkDirect sends GETs through aurinko's direct proxy (/v1/direct:
// account token → account → provider token → forward with header
// allowlists) and through a bare httputil.ReverseProxy that only adds the
// provider token, both in front of the same backend, from concurrent
// clients over loopback. Besides ns/op (wall time per request, the inverse
// of throughput) it reports req/s and the p50 and p99 latency of single
// requests. There are clientsPerProc concurrent clients per GOMAXPROCS.
func BenchmarkDirect(b *testing.B) {
	backend := providerBackend(b)
	ours, tok := directServer(b, backend.URL)
	front := httptest.NewServer(ours)
	b.Cleanup(front.Close)

	target, _ := url.Parse(backend.URL)
	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/api/v2" + pr.In.URL.Path
			pr.Out.Header.Set("Authorization", "Bearer provider-at")
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	})
	b.Cleanup(bare.Close)

	cases := []struct {
		name, url, auth string
	}{
		{"peer=ReverseProxy/impl=peer", bare.URL + "/me/messages", "Bearer client-token"},
		{"peer=ReverseProxy/impl=aurinko", front.URL + "/v1/direct/me/messages", "Bearer " + tok},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.Cleanup(client.CloseIdleConnections)
			var mu sync.Mutex
			var all []time.Duration
			b.ReportAllocs()
			b.SetParallelism(clientsPerProc)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, bc.url, nil)
					req.Header.Set("Authorization", bc.auth)
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(t0))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				all = append(all, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			if len(all) == 0 {
				return
			}
			slices.Sort(all)
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-us")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-us")
		})
	}
}
