package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

const returnURL = "https://addin.example.com/done"

// googleEnv runs the server with the Google connector against its fake.
func googleEnv(t *testing.T) (*googletest.Server, string, *http.Client) {
	t.Helper()
	fake := googletest.New(t, googletest.Options{ClientID: "g-client", ClientSecret: "g-secret",
		Users: []googletest.User{{Email: "grace@corp.example", Name: "Grace", HostedDomain: "corp.example"},
			{Email: "hopper@corp.example", Name: "Hopper", HostedDomain: "corp.example"}}})
	ctx := context.Background()
	c, err := google.New(ctx, google.Config{ClientID: "g-client", ClientSecret: "g-secret", Endpoints: fake.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := seal.NewKeyring(seal.Key{ID: "e2e", Secret: bytes.Repeat([]byte{8}, seal.KeySize)})
	api := httptest.NewUnstartedServer(nil)
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr,
		PublicURL: "https://" + api.Listener.Addr().String(), Connectors: []connectors.Connector{c}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	api.Config.Handler = mux
	api.StartTLS()
	t.Cleanup(api.Close)
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "addin", ClientSecret: "addin-secret-0123456789", ReturnURLs: []string{returnURL}}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := new(http.Client)
	*client = *api.Client()
	client.Jar = jar
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return fake, api.URL + "/v1", client
}

func walk(t *testing.T, c *http.Client, u string) url.Values {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), returnURL) {
		t.Fatalf("flow ended at %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// TestGoogle_signInAndGranularConsent signs in through the real Google
// connector and its fake, with the user unticking a scope at Google's
// granular consent screen.
func TestGoogle_signInAndGranularConsent(t *testing.T) {
	t.Parallel()
	fake, api, client := googleEnv(t)
	auth := func(extra string) url.Values {
		return walk(t, client, api+"/auth/authorizeUser?clientId=addin&serviceType=Google&accountRole=primary&responseType=cookie"+
			"&scopes=Mail.Read+Calendar.Read&returnUrl="+url.QueryEscape(returnURL)+extra)
	}
	// Everything granted.
	if q := auth(""); q.Get("status") != "success" {
		t.Fatalf("full consent = %v", q)
	}
	user := func() map[string]any {
		resp, err := client.Get(api + "/user")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var u map[string]any
		_ = json.Unmarshal(b, &u)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /user = %d %s", resp.StatusCode, b)
		}
		return u
	}
	acct := user()["accounts"].([]any)[0].(map[string]any)
	if acct["email"] != "grace@corp.example" || acct["authOrgId"] != "corp.example" || len(acct["scopes"].([]any)) != 2 {
		t.Fatalf("account = %v", acct)
	}
	// Another user unticks the calendar (a user who granted it before would
	// get it back: include_granted_scopes): with ensureScopes the flow fails
	// and says which scope is missing.
	if err := fake.SetNextUser("hopper@corp.example"); err != nil {
		t.Fatal(err)
	}
	fake.GrantOnly("openid", "email", "profile", "https://www.googleapis.com/auth/gmail.readonly")
	if q := auth("&ensureScopes=true"); q.Get("status") != "error" || !strings.Contains(q.Get("details"), "Calendar.Read") {
		t.Fatalf("partial consent with ensureScopes = %v", q)
	}
	// Without it the sign-in succeeds and the account keeps only what was
	// granted.
	if err := fake.SetNextUser("hopper@corp.example"); err != nil {
		t.Fatal(err)
	}
	fake.GrantOnly("openid", "email", "profile", "https://www.googleapis.com/auth/gmail.readonly")
	if q := auth(""); q.Get("status") != "success" {
		t.Fatalf("partial consent = %v", q)
	}
	acct = user()["accounts"].([]any)[0].(map[string]any)
	if s := acct["scopes"].([]any); len(s) != 1 || s[0] != "Mail.Read" {
		t.Fatalf("scopes after partial consent = %v, want [Mail.Read]", s)
	}
}
