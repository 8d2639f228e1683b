package aurinko_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// ssoConnector accepts provider tokens of the form "valid:<user>" and, for
// "noapi:<user>", signs in without an API token (as Google id_tokens do).
// The real validation is tested in the office365 and google packages.
type ssoConnector struct{}

func (ssoConnector) ServiceType() string                               { return "SsoProvider" }
func (ssoConnector) NativeScopes([]connectors.Scope) ([]string, error) { return nil, nil }
func (ssoConnector) AuthCodeURL(context.Context, connectors.AuthRequest) (string, error) {
	return "", fmt.Errorf("not used")
}
func (ssoConnector) Exchange(context.Context, connectors.ExchangeRequest) (*connectors.Grant, error) {
	return nil, fmt.Errorf("not used")
}
func (ssoConnector) Refresh(context.Context, *xoauth2.Token) (*xoauth2.Token, error) {
	return nil, fmt.Errorf("not used")
}
func (ssoConnector) SignInWithToken(_ context.Context, token string) (*connectors.Grant, error) {
	kind, user, _ := strings.Cut(token, ":")
	g := &connectors.Grant{Identity: connectors.Identity{AuthUserID: user, Email: user + "@example.com", AuthOrgID: "t1"}}
	switch kind {
	case "valid":
		g.Token = &xoauth2.Token{AccessToken: "graph-at-" + user, RefreshToken: "graph-rt", Expiry: time.Now().Add(time.Hour)}
		return g, nil
	case "noapi":
		return g, nil
	case "consent":
		return nil, &connectors.TokenError{Code: "invalid_grant", Description: "AADSTS65001: consent required", Status: 400}
	case "down":
		return nil, &connectors.TokenError{Status: 503}
	}
	return nil, fmt.Errorf("%w: bad token", connectors.ErrIdentity)
}

func TestSSO(t *testing.T) {
	t.Parallel()
	st := memstore.New(memstore.Options{})
	srv, err := aurinko.New(aurinko.Config{Store: st, Keyring: testKeyring(t), PublicURL: "https://api.example.com",
		Connectors: []connectors.Connector{ssoConnector{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.PutApp(context.Background(), aurinko.AppSpec{ClientID: "app", ClientSecret: "0123456789abcdef-x"}); err != nil {
		t.Fatal(err)
	}
	call := func(query, auth string, hdr map[string]string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/auth/sso?"+query, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	client := map[string]string{"X-Aurinko-ClientId": "app"}
	tests := []struct {
		name  string
		query string
		auth  string
		hdr   map[string]string
		want  int
	}{
		{"valid", "serviceType=SsoProvider", "Bearer valid:alice", client, 200},
		{"valid, client in query, lowercase scheme", "serviceType=SsoProvider&clientId=app", "bearer valid:alice", nil, 200},
		{"identity only", "serviceType=SsoProvider", "Bearer noapi:carol", client, 200},
		{"bad token", "serviceType=SsoProvider", "Bearer forged:alice", client, 401},
		{"consent required", "serviceType=SsoProvider", "Bearer consent:alice", client, 403},
		{"provider down", "serviceType=SsoProvider", "Bearer down:alice", client, 503},
		{"no token", "serviceType=SsoProvider", "", client, 401},
		{"basic scheme", "serviceType=SsoProvider", "Basic dmFsaWQ6YWxpY2U=", client, 401},
		{"huge token", "serviceType=SsoProvider", "Bearer valid:" + strings.Repeat("a", 20000), client, 401},
		{"unknown app", "serviceType=SsoProvider", "Bearer valid:alice", map[string]string{"X-Aurinko-ClientId": "nope"}, 401},
		{"no app", "serviceType=SsoProvider", "Bearer valid:alice", nil, 401},
		{"unknown provider", "serviceType=Nope", "Bearer valid:alice", client, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(tc.query, tc.auth, tc.hdr)
			if code != tc.want {
				t.Fatalf("status = %d %s, want %d", code, body, tc.want)
			}
			if strings.Contains(body, "graph-at") || strings.Contains(body, "graph-rt") {
				t.Fatalf("provider token leaked to the client: %s", body)
			}
			if code == 200 && !strings.Contains(body, `"userSession":"ses_`) {
				t.Fatalf("no session in %s", body)
			}
		})
	}
	// The session works, and the same person signing in again gets the same user.
	_, b1 := call("serviceType=SsoProvider", "Bearer valid:dave", client)
	_, b2 := call("serviceType=SsoProvider", "Bearer valid:dave", client)
	uid := func(b string) string {
		_, r, _ := strings.Cut(b, `"userId":"`)
		u, _, _ := strings.Cut(r, `"`)
		return u
	}
	if uid(b1) == "" || uid(b1) != uid(b2) {
		t.Fatalf("two sign-ins of one person gave users %q and %q", uid(b1), uid(b2))
	}
	_, rest, _ := strings.Cut(b1, `"userSession":"`)
	sess, _, _ := strings.Cut(rest, `"`)
	req := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
	req.Header.Set("Authorization", "Bearer "+sess)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "dave@example.com") {
		t.Fatalf("GET /user with the SSO session = %d %s", rec.Code, rec.Body.String())
	}
}
