package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	outlookaddin "github.com/aurinko-go/aurinko/examples/outlook-addin"
)

// officeToken asks the sandbox for the stand-in's Office token.
func officeToken(t *testing.T, base string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+sandboxOfficeTokenPath, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

// ssoSignIn posts an add-in token to POST /v1/auth/sso as the task pane
// does.
func ssoSignIn(t *testing.T, base, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/auth/sso?clientId="+sandboxAppID+"&serviceType=Office365", http.NoBody)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// jwtClaims decodes the payload of a JWT without verifying it.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSandbox_officeTokenSignsInWithoutAPopup gets the token the stand-in's
// Office.auth.getAccessToken returns, checks that it is what Entra issues
// to Office for the sample add-in's API, and trades it at POST
// /v1/auth/sso for a session that reads the sample user's mail: the
// connector validated it and obtained Graph tokens on her behalf. The
// endpoint takes JSON only, and no token reaches the log.
func TestSandbox_officeTokenSignsInWithoutAPopup(t *testing.T) {
	t.Parallel()
	base, logs := start(t, []string{"-sandbox"}, nil)
	host := strings.TrimPrefix(base, "http://")

	var cfg struct {
		ClientID string `json:"clientId"`
		SSO      struct {
			ServiceType string   `json:"serviceType"`
			ClientID    string   `json:"clientId"`
			Resource    string   `json:"resource"`
			Scopes      []string `json:"scopes"`
		} `json:"sso"`
	}
	if _, body := get(t, base+"/addin/config.json"); json.Unmarshal([]byte(body), &cfg) != nil {
		t.Fatalf("config.json: %s", body)
	}
	apiAppID := "api://" + host + "/" + sandboxMSClient
	if cfg.SSO.ServiceType != "Office365" || cfg.SSO.ClientID != sandboxMSClient || cfg.SSO.Resource != apiAppID ||
		len(cfg.SSO.Scopes) != 1 || cfg.SSO.Scopes[0] != apiAppID+"/access_as_user" {
		t.Fatalf("config.json sso = %+v", cfg.SSO)
	}

	// JSON only.
	resp, err := http.Post(base+sandboxOfficeTokenPath, "application/x-www-form-urlencoded", strings.NewReader("a=b"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a form post = %d, want 400", resp.StatusCode)
	}

	code, h, out := officeToken(t, base)
	tok, _ := out["accessToken"].(string)
	if code != 200 || tok == "" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("office token: %d %v %v", code, h, out)
	}
	c := jwtClaims(t, tok)
	for k, want := range map[string]any{"aud": sandboxMSClient, "scp": "access_as_user", "tid": sandboxTenantID,
		"oid": sandboxMSObjectID, "azp": graphtest.OfficeClientID, "ver": "2.0", "preferred_username": sandboxMSUser} {
		if c[k] != want {
			t.Errorf("claim %s = %v, want %v", k, c[k], want)
		}
	}

	if code, out := ssoSignIn(t, base, "eyJhbGciOiJub25lIn0.eyJzY3AiOiJ4In0."); code != 401 {
		t.Fatalf("an unsigned token: %d %v", code, out)
	}
	code, out = ssoSignIn(t, base, tok)
	ses, _ := out["userSession"].(string)
	acct, _ := out["accountId"].(float64)
	if code != 200 || !strings.HasPrefix(ses, "ses_") || acct <= 0 {
		t.Fatalf("POST /v1/auth/sso = %d %v", code, out)
	}
	if st, user := getUser(t, base, ses); st != 200 || user["email"] != sandboxMSUser || user["name"] != sandboxUserName {
		t.Fatalf("/v1/user = %d %v", st, user)
	}
	st, msgs := apiGet(t, base, ses, int64(acct), "/email/messages?limit=5")
	if recs, _ := msgs["records"].([]any); st != 200 || !slices.Contains(subjects(recs, "subject"), "Bernoulli numbers: the table") {
		t.Fatalf("mail after SSO = %d %v", st, msgs)
	}
	if strings.Contains(logs.String(), tok[:20]) || strings.Contains(logs.String(), "eyJ") {
		t.Fatalf("a token is in the log:\n%s", logs)
	}
}

// webAppInfo is a manifest's WebApplicationInfo, from either manifest.
type webAppInfo struct{ ID, Resource string }

func manifestSSO(t *testing.T, base string) (fromXML, fromJSON *webAppInfo) {
	t.Helper()
	_, body := get(t, base+"/addin/manifest.xml")
	var m struct {
		VersionOverrides struct {
			WebApplicationInfo *struct {
				ID       string   `xml:"Id"`
				Resource string   `xml:"Resource"`
				Scopes   []string `xml:"Scopes>Scope"`
			} `xml:"WebApplicationInfo"`
		} `xml:"VersionOverrides"`
	}
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("manifest.xml: %v\n%s", err, body)
	}
	if strings.Contains(body, outlookaddin.SSOClientIDPlaceholder) {
		t.Errorf("manifest.xml still holds the placeholder client id")
	}
	if w := m.VersionOverrides.WebApplicationInfo; w != nil {
		fromXML = &webAppInfo{ID: w.ID, Resource: w.Resource}
		if !slices.Contains(w.Scopes, "Mail.Read") {
			t.Errorf("manifest.xml scopes: %v", w.Scopes)
		}
	}
	_, body = get(t, base+"/addin/manifest.json")
	var j struct {
		ManifestVersion    string `json:"manifestVersion"`
		WebApplicationInfo *struct {
			ID       string `json:"id"`
			Resource string `json:"resource"`
		} `json:"webApplicationInfo"`
		Extensions []any `json:"extensions"`
	}
	if err := json.Unmarshal([]byte(body), &j); err != nil || j.ManifestVersion == "" || len(j.Extensions) != 1 {
		t.Fatalf("manifest.json: %v\n%s", err, body)
	}
	if strings.Contains(body, outlookaddin.SSOClientIDPlaceholder) {
		t.Errorf("manifest.json still holds the placeholder client id")
	}
	if w := j.WebApplicationInfo; w != nil {
		fromJSON = &webAppInfo{ID: w.ID, Resource: w.Resource}
	}
	return fromXML, fromJSON
}

// TestAddin_manifestsCarryTheSSOApp checks the manifests' WebApplicationInfo:
// the sandbox serves its Office365 connector's client id and Application
// ID URI in both; a server without add-in SSO leaves the element out, and
// its task pane is told of no SSO.
func TestAddin_manifestsCarryTheSSOApp(t *testing.T) {
	t.Parallel()
	t.Run("sandbox", func(t *testing.T) {
		t.Parallel()
		base, _ := start(t, []string{"-sandbox"}, nil)
		want := webAppInfo{ID: sandboxMSClient, Resource: "api://" + strings.TrimPrefix(base, "http://") + "/" + sandboxMSClient}
		x, j := manifestSSO(t, base)
		if x == nil || *x != want || j == nil || *j != want {
			t.Fatalf("WebApplicationInfo: xml %+v, json %+v; want %+v", x, j, want)
		}
	})
	t.Run("without sso", func(t *testing.T) {
		t.Parallel()
		base, _ := startWithOIDC(t, "")
		if x, j := manifestSSO(t, base); x != nil || j != nil {
			t.Fatalf("WebApplicationInfo without SSO: xml %+v, json %+v", x, j)
		}
		if _, body := get(t, base+"/addin/config.json"); strings.Contains(body, `"sso"`) {
			t.Fatalf("config.json offers SSO: %s", body)
		}
	})
}

func TestAddinSSO_manifestEscapesValues(t *testing.T) {
	t.Parallel()
	s := &addinSSO{clientID: `11111111-2222-3333-4444-555555555555`, apiAppID: `api://a.example/x"<&`}
	doc := "<Resource>" + outlookaddin.SSOResourcePlaceholder + "</Resource><Id>" + outlookaddin.SSOClientIDPlaceholder + "</Id>"
	got, err := s.manifest(".xml", doc)
	if want := "<Resource>api://a.example/x&#34;&lt;&amp;</Resource><Id>11111111-2222-3333-4444-555555555555</Id>"; err != nil || got != want {
		t.Errorf("xml = %q, %v; want %q", got, err, want)
	}
	got, err = s.manifest(".json", `{"resource": "`+outlookaddin.SSOResourcePlaceholder+`"}`)
	if want := `{"resource": "api://a.example/x\"\u003c\u0026"}`; err != nil || got != want {
		t.Errorf("json = %q, %v; want %q", got, err, want)
	}
}

func TestWithoutJSONMember(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"middle", "{\n  \"a\": 1,\n  \"w\": {\"id\": \"x\"},\n  \"b\": [2]\n}\n", "{\n  \"a\": 1,\n  \"b\": [2]\n}\n"},
		{"last", "{\"a\": 1, \"w\": {}}", "{\"a\": 1}"},
		{"first", "{\n  \"w\": {\"w\": 1},\n  \"a\": 1\n}", "{\n  \"a\": 1\n}"},
		{"only", "{\"w\": 1}", "{}"},
		{"absent", "{\"a\": {\"w\": 1}}", "{\"a\": {\"w\": 1}}"},
		{"nested only", "{\"a\": {\"w\": 1}, \"b\": \"w\"}", "{\"a\": {\"w\": 1}, \"b\": \"w\"}"},
	}
	for _, tc := range tests {
		got, err := withoutJSONMember(tc.in, "w")
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
			continue
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%s: %q is not JSON", tc.name, got)
		}
	}
	for _, bad := range []string{"[1]", "{\"a\": ", "nope"} {
		if _, err := withoutJSONMember(bad, "w"); err == nil {
			t.Errorf("withoutJSONMember(%q) accepted", bad)
		}
	}
}

func TestWithoutXMLElement(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"indented", "<a>\n  <b/>\n  <W>\n    <Id>x</Id>\n  </W>\n</a>\n", "<a>\n  <b/>\n</a>\n"},
		{"inline", "<a><W>x</W><b/></a>", "<a><b/></a>"},
		{"absent", "<a><b/></a>", "<a><b/></a>"},
	}
	for _, tc := range tests {
		if got, err := withoutXMLElement(tc.in, "W"); err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := withoutXMLElement("<a><W>x</a>", "W"); err == nil {
		t.Error("an unclosed element was accepted")
	}
}
