package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko/connectors/oidc/oidctest"
)

const addinSecret = "addin-secret-0123456789"

// startWithOIDC runs the server with one generic OIDC connector ("Okta")
// against the oidctest fake and the add-in app, and returns its base URL
// and the fake. extra is added to the addin section.
func startWithOIDC(t *testing.T, extra string) (string, *oidctest.Provider) {
	t.Helper()
	p := oidctest.New(t, oidctest.Options{ClientID: "okta-client", ClientSecret: "okta-secret", Users: []oidctest.User{
		{Subject: "u-ada", Email: "ada@example.com", Name: "Ada Lovelace"},
		{Subject: "u-work", Email: "ada@work.example", Name: "Ada at work"},
	}})
	dir := t.TempDir()
	cfgFile := writeConfig(t, `
store: sqlite:`+filepath.Join(dir, "a.db")+`
keys: {file: `+filepath.Join(dir, "a.key")+`}
apps:
  - clientId: outlook-addin
    clientSecret: ${ADDIN_SECRET}
addin:
  clientId: outlook-addin
`+extra+`
connectors:
  oidc:
    - serviceType: Okta
      issuer: `+p.URL()+`
      clientId: okta-client
      clientSecret: okta-secret
`)
	base, _ := start(t, []string{"-config", cfgFile}, map[string]string{"ADDIN_SECRET": addinSecret})
	return base, p
}

// browser is a client that follows redirects with its own cookies, as the
// Office dialog window does, and returns the last URL.
func browserGet(t *testing.T, jar http.CookieJar, u string) (*url.URL, int, string) {
	t.Helper()
	c := &http.Client{Jar: jar}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Request.URL, resp.StatusCode, string(b)
}

func postJSON(t *testing.T, u, bearer string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func getUser(t *testing.T, base, bearer string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/user", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestAddin_signInAndLinkWithoutBrowser walks the task pane's flow over
// HTTP: authorizeUser in a "dialog" (its own cookie jar), the callback page
// with a one-time code, the backend's code exchange, /v1/user with the
// bearer session, then a signed secondary-account link in a fresh dialog
// without cookies.
func TestAddin_signInAndLinkWithoutBrowser(t *testing.T) {
	t.Parallel()
	base, provider := startWithOIDC(t, "")

	code, cfg := 0, map[string]any{}
	resp, err := http.Get(base + "/addin/config.json")
	if err != nil {
		t.Fatal(err)
	}
	code = resp.StatusCode
	_ = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if code != 200 || cfg["clientId"] != "outlook-addin" || cfg["serviceType"] != "Okta" || cfg["callbackUrl"] != base+"/addin/callback.html" {
		t.Fatalf("config.json = %d %v", code, cfg)
	}
	if strings.Contains(strings.ToLower(mustJSON(cfg)), "secret") {
		t.Fatalf("config.json mentions a secret: %v", cfg)
	}

	q := url.Values{"clientId": {"outlook-addin"}, "serviceType": {"Okta"}, "accountRole": {"primary"},
		"responseType": {"code"}, "returnUrl": {base + "/addin/callback.html"}, "state": {"st-1"}}
	jar, _ := cookiejar.New(nil)
	final, status, _ := browserGet(t, jar, base+"/v1/auth/authorizeUser?"+q.Encode())
	fq := final.Query()
	if status != 200 || final.Path != "/addin/callback.html" || fq.Get("status") != "success" || fq.Get("state") != "st-1" || fq.Get("code") == "" {
		t.Fatalf("dialog ended at %s (%d)", final, status)
	}

	if st, out := postJSON(t, base+"/addin/session", "", map[string]string{"code": "nope"}); st != 400 {
		t.Fatalf("bad code: %d %v", st, out)
	}
	st, out := postJSON(t, base+"/addin/session", "", map[string]string{"code": fq.Get("code")})
	ses, _ := out["userSession"].(string)
	if st != 200 || !strings.HasPrefix(ses, "ses_") || out["accessToken"] != nil {
		t.Fatalf("session exchange: %d %v", st, out)
	}
	if st, _ := postJSON(t, base+"/addin/session", "", map[string]string{"code": fq.Get("code")}); st != 400 {
		t.Fatalf("a code redeemed twice: %d", st)
	}
	st, user := getUser(t, base, ses)
	if st != 200 || user["email"] != "ada@example.com" || len(user["accounts"].([]any)) != 1 {
		t.Fatalf("/v1/user = %d %v", st, user)
	}

	// Link a secondary account: the backend signs the URL for the
	// session's user; the dialog has no cookies at all.
	if st, _ := postJSON(t, base+"/addin/link", "", map[string]string{"serviceType": "Okta"}); st != 401 {
		t.Fatalf("link without a session: %d", st)
	}
	if st, _ := postJSON(t, base+"/addin/link", ses, map[string]string{"serviceType": "Nope"}); st != 400 {
		t.Fatalf("link with an unknown service: %d", st)
	}
	st, out = postJSON(t, base+"/addin/link", ses, map[string]string{"serviceType": "Okta", "state": "st-2"})
	linkURL, _ := out["url"].(string)
	if st != 200 || !strings.Contains(linkURL, "userSignature=") || !strings.Contains(linkURL, "accountRole=secondary") {
		t.Fatalf("link: %d %v", st, out)
	}
	provider.SetNextUser("u-work")
	jar2, _ := cookiejar.New(nil)
	final, _, _ = browserGet(t, jar2, linkURL)
	if fq := final.Query(); final.Path != "/addin/callback.html" || fq.Get("status") != "success" || fq.Get("state") != "st-2" || fq.Get("code") != "" {
		t.Fatalf("link dialog ended at %s", final)
	}
	_, user = getUser(t, base, ses)
	accts := user["accounts"].([]any)
	if len(accts) != 2 {
		t.Fatalf("accounts after linking: %v", accts)
	}
	types := map[string]string{}
	for _, a := range accts {
		m := a.(map[string]any)
		types[m["email"].(string)] = m["type"].(string)
	}
	if types["ada@example.com"] != "primary" || types["ada@work.example"] != "secondary" {
		t.Fatalf("account types: %v", types)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAddin_servesManifestsForItsHost checks that the manifests and pages
// name the server's own URL and parse.
func TestAddin_servesManifestsForItsHost(t *testing.T) {
	t.Parallel()
	base, _ := startWithOIDC(t, "  officeJsUrl: http://127.0.0.1:1/office-standin.js\n")
	host := strings.TrimPrefix(base, "http://")

	_, body := get(t, base+"/addin/manifest.xml")
	var m struct {
		XMLName xml.Name
		ID      string `xml:"Id"`
		Source  struct {
			Form []struct {
				Desktop struct {
					Source struct {
						Value string `xml:"DefaultValue,attr"`
					} `xml:"SourceLocation"`
				} `xml:"DesktopSettings"`
			} `xml:"Form"`
		} `xml:"FormSettings"`
	}
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("manifest.xml: %v", err)
	}
	if m.XMLName.Local != "OfficeApp" || m.ID == "" || m.Source.Form[0].Desktop.Source.Value != base+"/addin/taskpane.html" {
		t.Fatalf("manifest.xml: %+v", m)
	}
	if strings.Contains(body, "localhost:3000") {
		t.Fatal("manifest.xml still names localhost:3000")
	}

	_, body = get(t, base+"/addin/manifest.json")
	var j struct {
		ManifestVersion string   `json:"manifestVersion"`
		ValidDomains    []string `json:"validDomains"`
		Extensions      []struct {
			Runtimes []struct {
				Code struct {
					Page string `json:"page"`
				} `json:"code"`
			} `json:"runtimes"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if j.ValidDomains[0] != host || j.Extensions[0].Runtimes[0].Code.Page != base+"/addin/taskpane.html" {
		t.Fatalf("manifest.json: %+v", j)
	}

	code, body := get(t, base+"/addin/taskpane.html")
	if code != 200 || !strings.Contains(body, `src="http://127.0.0.1:1/office-standin.js"`) || strings.Contains(body, "appsforoffice") {
		t.Fatalf("taskpane.html: %d\n%s", code, body)
	}
	for _, p := range []string{"/addin/taskpane.js", "/addin/callback.js", "/addin/callback.html", "/addin/assets/icon-80.png"} {
		if code, _ := get(t, base+p); code != 200 {
			t.Errorf("%s = %d", p, code)
		}
	}
	for _, p := range []string{"/addin/nope.html", "/addin/../main.go", "/addin/%2e%2e/x"} {
		if code, _ := get(t, base+p); code != 404 {
			t.Errorf("%s = %d, want 404", p, code)
		}
	}
}
