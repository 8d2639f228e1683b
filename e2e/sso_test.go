package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

const (
	clientID     = "11111111-2222-3333-4444-555555555555"
	clientSecret = "graph-client-secret"
	apiAppID     = "api://addin.example.com/11111111-2222-3333-4444-555555555555"
	tenant       = "aaaaaaaa-0000-0000-0000-000000000001"
	oid          = "bbbbbbbb-0000-0000-0000-000000000001"
)

// TestSSO_office365AddinTokenSignsIn sends an add-in's Entra token (minted
// by the Microsoft fake) to POST /v1/auth/sso: the server validates it,
// obtains Graph tokens on behalf of the user, and answers with a session.
func TestSSO_office365AddinTokenSignsIn(t *testing.T) {
	t.Parallel()
	fake := graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, APIAppIDURI: apiAppID,
		Users: []graphtest.User{{ObjectID: oid, TenantID: tenant, UserPrincipalName: "ada@contoso.example", Mail: "ada@contoso.example", DisplayName: "Ada"}}})
	ctx := context.Background()
	c, err := office365.New(ctx, office365.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: &office365.Endpoints{LoginBaseURL: fake.URL(), GraphBaseURL: fake.URL()},
		SSO:       &office365.SSOConfig{APIAppID: apiAppID, RequiredScope: "access_as_user"}})
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := seal.NewKeyring(seal.Key{ID: "e2e", Secret: bytes.Repeat([]byte{8}, seal.KeySize)})
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr,
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{c}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "addin", ClientSecret: "addin-secret-0123456789"}); err != nil {
		t.Fatal(err)
	}
	call := func(tok string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/v1/auth/sso?serviceType=Office365", nil)
		req.Header.Set("X-Aurinko-ClientId", "addin")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	valid := fake.AccessTokenClaims(oid, apiAppID)
	mutate := func(k string, v any) string {
		c := map[string]any{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		c[k] = v
		return fake.MintAccessToken(c)
	}
	tests := []struct {
		name string
		tok  string
		want int
	}{
		{"wrong audience", mutate("aud", "api://someone-else"), 401},
		{"wrong tenant in issuer", mutate("iss", fake.Issuer("cccccccc-0000-0000-0000-000000000009")), 401},
		{"expired", mutate("exp", time.Now().Add(-time.Hour).Unix()), 401},
		{"missing scope", mutate("scp", "Mail.Read"), 401},
		{"bad signature", fake.MintAccessToken(valid)[:len(fake.MintAccessToken(valid))-4] + "AAAA", 401},
		{"not a JWT", "garbage", 401},
		{"valid", fake.MintAccessToken(valid), 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(tc.tok)
			if code != tc.want {
				t.Fatalf("status = %d %v, want %d", code, out, tc.want)
			}
			if code != 200 {
				return
			}
			sess, _ := out["userSession"].(string)
			req := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
			req.Header.Set("Authorization", "Bearer "+sess)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ada@contoso.example") {
				t.Fatalf("GET /v1/user = %d %s", rec.Code, rec.Body.String())
			}
			// The on-behalf-of Graph token is stored for the account and
			// refreshed like any other; the client never sees it.
			id := int64(out["accountId"].(float64))
			tok, err := srv.Accounts().AccessToken(ctx, id)
			if err != nil || tok.AccessToken == "" || strings.Contains(rec.Body.String(), tok.AccessToken) {
				t.Fatalf("stored Graph token = %v, %v", tok, err)
			}
		})
	}
}
