package aurinko_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// providerAPI is a stand-in for a provider's REST API behind the direct
// proxy. It records what reached it.
type providerAPI struct {
	srv     *httptest.Server
	hits    atomic.Int64
	flaky   atomic.Int64
	lastReq atomic.Pointer[http.Request]
}

func newProviderAPI(t testing.TB) *providerAPI {
	p := &providerAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v2/", func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		p.lastReq.Store(r.Clone(context.Background()))
		rest := strings.TrimPrefix(r.URL.Path, "/api/v2")
		switch {
		case rest == "/big":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(50<<20))
			buf := make([]byte, 64<<10)
			for sent := 0; sent < 50<<20; sent += len(buf) {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		case rest == "/upload":
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, `{"received":%d}`, n)
		case rest == "/flaky":
			if p.flaky.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			fmt.Fprint(w, `{"ok":true}`)
		case rest == "/slowdown":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		case rest == "/missing":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":"ErrorItemNotFound","message":"not found"}}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Set-Cookie", "provider=secret")
			w.Header().Set("X-Internal-Trace", "leak")
			fmt.Fprintf(w, `{"path":%q,"query":%q}`, r.URL.EscapedPath(), r.URL.RawQuery)
		}
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// directEnv is a server whose "Crm" connector's API base is a providerAPI,
// with one account and its access token.
func directEnv(t testing.TB) (*aurinko.Server, *providerAPI, string) {
	t.Helper()
	api := newProviderAPI(t)
	crm, err := oauth2.New(oauth2.Config{ServiceType: "Crm", ClientID: "c", ClientSecret: "s",
		AuthURL: api.srv.URL + "/auth", TokenURL: api.srv.URL + "/token", UserInfoURL: api.srv.URL + "/me",
		APIBaseURL: api.srv.URL + "/api/v2"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t),
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{crm}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		t.Fatal(err)
	}
	res, err := srv.Accounts().Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Crm", Type: store.AccountPrimary,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: "provider-at", RefreshToken: "provider-rt", Expiry: time.Now().Add(time.Hour)},
			Identity: connectors.Identity{AuthUserID: "crm-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.Sessions().IssueAccountToken(ctx, "app", res.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	return srv, api, tok
}

// rawGet sends a request line as written, so the mux sees paths the http
// client would clean first.
func rawRequest(t *testing.T, base, method, target, tok string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", method, target, tok)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDirect_forwardsWithTokenAndAllowlistedHeaders(t *testing.T) {
	t.Parallel()
	srv, api, tok := directEnv(t)
	front := httptest.NewServer(srv.Handler())
	defer front.Close()

	req, _ := http.NewRequest("GET", front.URL+"/v1/direct/me/messages?$top=5&$select=subject", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Cookie", "aurinko_session_app=ses_x")
	req.Header.Set("X-Aurinko-Session", "ses_y")
	req.Header.Set("Prefer", `IdType="ImmutableId"`)
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"path":"/api/v2/me/messages"`) || !strings.Contains(string(body), `$top=5`) {
		t.Fatalf("proxied = %d %s", resp.StatusCode, body)
	}
	in := api.lastReq.Load()
	if got := in.Header.Get("Authorization"); got != "Bearer provider-at" {
		t.Fatalf("upstream Authorization = %q", got)
	}
	for _, h := range []string{"Cookie", "X-Aurinko-Session", "X-Forwarded-For"} {
		if in.Header.Get(h) != "" {
			t.Errorf("upstream got our %s header", h)
		}
	}
	if in.Header.Get("Prefer") == "" {
		t.Error("allowlisted Prefer header not forwarded")
	}
	if resp.Header.Get("Set-Cookie") != "" || resp.Header.Get("X-Internal-Trace") != "" {
		t.Errorf("provider headers outside the allowlist reached the client: %v", resp.Header)
	}
	if resp.Header.Get("ETag") != `"v1"` {
		t.Errorf("ETag not passed through: %v", resp.Header)
	}
}

func TestDirect_refusesPathsLeavingTheBase(t *testing.T) {
	t.Parallel()
	srv, api, tok := directEnv(t)
	front := httptest.NewServer(srv.Handler())
	defer front.Close()
	for _, p := range []string{
		"/v1/direct/../../admin", "/v1/direct/%2e%2e/admin", "/v1/direct/a/..%2fadmin", "/v1/direct/a/%2E%2E/b",
		"/v1/direct/a%2fb", "/v1/direct/a%5c..%5cb", "/v1/direct//evil.example.com/x", "/v1/direct/a/./b",
		"/v1/direct/a/%00", "/v1/direct/a\\..\\b",
	} {
		code, body := rawRequest(t, front.URL, "GET", p, tok)
		if code < 300 || code == 404 && strings.Contains(body, "/api/v2") {
			t.Errorf("GET %s = %d %s", p, code, body)
		}
	}
	if n := api.hits.Load(); n != 0 {
		t.Fatalf("the provider was reached %d times by escaping paths", n)
	}
}

func TestDirect_statusRetryAndAuth(t *testing.T) {
	t.Parallel()
	srv, api, tok := directEnv(t)
	front := httptest.NewServer(srv.Handler())
	defer front.Close()
	do := func(method, path, bearer string) (*http.Response, string) {
		req, _ := http.NewRequest(method, front.URL+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := do("GET", "/v1/direct/missing", tok); resp.StatusCode != 404 || !strings.Contains(body, "ErrorItemNotFound") {
		t.Fatalf("provider 404 = %d %s", resp.StatusCode, body)
	}
	if resp, _ := do("GET", "/v1/direct/flaky", tok); resp.StatusCode != 200 || api.flaky.Load() != 2 {
		t.Fatalf("GET after a 429 with Retry-After 1 = %d after %d calls, want 200 after 2", resp.StatusCode, api.flaky.Load())
	}
	if resp, _ := do("GET", "/v1/direct/slowdown", tok); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3600" {
		t.Fatalf("long Retry-After = %d %q, want 429 passed through", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	api.flaky.Store(0)
	if resp, _ := do("POST", "/v1/direct/flaky", tok); resp.StatusCode != 429 {
		t.Fatalf("POST retried: %d", resp.StatusCode)
	}
	if resp, _ := do("GET", "/v1/direct/x", ""); resp.StatusCode != 401 {
		t.Fatalf("no credentials = %d", resp.StatusCode)
	}
	if resp, _ := do("GET", "/v1/direct/x", "acc_"+strings.Repeat("A", 43)); resp.StatusCode != 401 {
		t.Fatalf("unknown account token = %d", resp.StatusCode)
	}
}

// TestDirect_streamsLargeBodiesInBoundedMemory is not parallel: it reads
// the process's allocation counter.
func TestDirect_streamsLargeBodiesInBoundedMemory(t *testing.T) {
	srv, _, tok := directEnv(t)
	front := httptest.NewServer(srv.Handler())
	defer front.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest("GET", front.URL+"/v1/direct/big", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != 50<<20 {
		t.Fatalf("downloaded %d bytes, %v; want %d", n, err, 50<<20)
	}
	// Upload 50 MB through the proxy as well.
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 64<<10)
		for sent := 0; sent < 50<<20; sent += len(buf) {
			if _, err := pw.Write(buf); err != nil {
				return
			}
		}
		pw.Close()
	}()
	up, _ := http.NewRequest("POST", front.URL+"/v1/direct/upload", pr)
	up.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(up)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), fmt.Sprintf(`"received":%d`, 50<<20)) {
		t.Fatalf("upload answer = %s", b)
	}
	runtime.ReadMemStats(&after)
	// 200 MB passed through four copies (backend, proxy both ways, client);
	// streaming keeps allocations far below one body.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 24<<20 {
		t.Fatalf("allocated %d MB to move 2x50 MB: the proxy buffers bodies", grew>>20)
	}
}

// BenchmarkDirect compares the direct proxy with a bare
// httputil.ReverseProxy to the same backend, in one run.
func BenchmarkDirect(b *testing.B) {
	srv, api, tok := directEnv(b)
	front := httptest.NewServer(srv.Handler())
	defer front.Close()
	bare := httptest.NewServer(newBareProxy(api.srv.URL))
	defer bare.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	run := func(b *testing.B, url string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	b.Run("aurinko-direct", func(b *testing.B) { run(b, front.URL+"/v1/direct/me") })
	b.Run("httputil.ReverseProxy", func(b *testing.B) { run(b, bare.URL+"/api/v2/me") })
}

func newBareProxy(target string) http.Handler {
	u, _ := url.Parse(target)
	return httputil.NewSingleHostReverseProxy(u)
}
