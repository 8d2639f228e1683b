package office365_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// unsigned returns claims as a JWT with alg "none".
func unsigned(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

func TestSignInWithToken(t *testing.T) {
	t.Parallel()
	other := graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{alice, bob}})
	tests := []struct {
		name   string
		cfg    func(*office365.Config)
		token  func(e env) string
		wantOK bool
		// wantIdentity: the error wraps ErrIdentity (otherwise another
		// error when wantOK is false).
		wantIdentity bool
	}{
		{name: "valid v2 token for the client id", token: func(e env) string {
			return e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))
		}, wantOK: true},
		{name: "valid v1 token for the API URI", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, apiAppID)
			c["iss"], c["ver"] = "https://sts.windows.net/"+tenantB+"/", "1.0"
			delete(c, "preferred_username")
			c["upn"] = bob.UserPrincipalName
			return e.fake.MintAccessToken(c)
		}, wantOK: true},
		{name: "another audience", token: func(e env) string {
			return e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, "api://evil.example/other"))
		}, wantIdentity: true},
		{name: "tenant not allowed", cfg: func(c *office365.Config) { c.AllowedTenants = []string{tenantA} }, token: func(e env) string {
			return e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))
		}, wantIdentity: true},
		{name: "single-tenant app refuses another tenant", cfg: func(c *office365.Config) { c.Tenant = tenantA }, token: func(e env) string {
			return e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))
		}, wantIdentity: true},
		{name: "tid does not match the issuer", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			c["tid"] = tenantA
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "issuer of another host", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			c["iss"] = "https://login.evil.example/" + tenantB + "/v2.0"
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "expired", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			c["exp"] = e.clock.Now().Add(-time.Second).Unix()
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "not yet valid", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			c["nbf"] = e.clock.Now().Add(time.Hour).Unix()
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "signed by another key", token: func(e env) string {
			return other.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))
		}, wantIdentity: true},
		{name: "payload swapped under a valid signature", token: func(e env) string {
			good := strings.Split(e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID)), ".")
			forged := strings.Split(unsigned(e.fake.AccessTokenClaims(alice.ObjectID, clientID)), ".")
			return good[0] + "." + forged[1] + "." + good[2]
		}, wantIdentity: true},
		{name: "alg none", token: func(e env) string {
			return unsigned(e.fake.AccessTokenClaims(bob.ObjectID, clientID))
		}, wantIdentity: true},
		{name: "no scp", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			delete(c, "scp")
			c["roles"] = []string{"Mail.Read"}
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "other scope", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			c["scp"] = "access_as_admin user_impersonation"
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "no oid", token: func(e env) string {
			c := e.fake.AccessTokenClaims(bob.ObjectID, clientID)
			delete(c, "oid")
			return e.fake.MintAccessToken(c)
		}, wantIdentity: true},
		{name: "not a JWT", token: func(env) string { return "EwBwA8l6BAAUopaque" }, wantIdentity: true},
		{name: "empty", token: func(env) string { return "" }, wantIdentity: true},
		{name: "huge", token: func(env) string { return strings.Repeat("a.", 10000) + "a" }, wantIdentity: true},
		{name: "SSO not configured", cfg: func(c *office365.Config) { c.SSO = nil }, token: func(e env) string {
			return e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg, nil)
			tok := tc.token(e)
			g, err := e.c.SignInWithToken(context.Background(), tok)
			if tc.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				want := connectors.Identity{AuthUserID: bob.ObjectID, AuthOrgID: tenantB, Email: bob.UserPrincipalName, Name: bob.DisplayName, ServiceProvider: "Office365"}
				if g.Identity != want {
					t.Errorf("identity = %+v", g.Identity)
				}
				if g.Token.AccessToken == "" || g.Token.RefreshToken == "" || !strings.Contains(strings.Join(g.Scopes, " "), "https://graph.microsoft.com/Mail.ReadWrite") {
					t.Errorf("grant = %+v %v", g.Token, g.Scopes)
				}
				obo := e.fake.TokenRequests()[0]
				for k, v := range map[string]string{
					"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "requested_token_use": "on_behalf_of",
					"assertion": tok, "scope": "https://graph.microsoft.com/.default offline_access", "tenant": tenantB, "client_id": clientID,
				} {
					if obo.Get(k) != v {
						t.Errorf("OBO request %s = %q, want %q", k, obo.Get(k), v)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("token accepted")
			}
			if errors.Is(err, connectors.ErrIdentity) != tc.wantIdentity {
				t.Fatalf("err = %v; ErrIdentity wanted: %v", err, tc.wantIdentity)
			}
			if !tc.wantIdentity && !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if len(e.fake.TokenRequests()) != 0 {
				t.Error("a refused token reached the on-behalf-of flow")
			}
			if tok != "" && strings.Contains(err.Error(), tok) {
				t.Error("the error contains the token")
			}
		})
	}
}

func TestSignInWithToken_onBehalfOfRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(*graphtest.Server)
		wantCode string
		wantDesc string
	}{
		{"consent required", func(s *graphtest.Server) { s.RequireConsent(bob.ObjectID) }, "invalid_grant", "AADSTS65001"},
		{"MFA required", func(s *graphtest.Server) { s.RequireMFA(bob.ObjectID) }, "interaction_required", "AADSTS50076"},
		{"throttled", func(s *graphtest.Server) {
			s.FailNextToken(429, graphtest.TokenErrorBody("temporarily_unavailable", 50196, "Slow down."), http.Header{"Content-Type": {"application/json"}, "Retry-After": {"3"}})
		}, "temporarily_unavailable", "AADSTS50196"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			tc.setup(e.fake)
			tok := e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, apiAppID))
			_, err := e.c.SignInWithToken(context.Background(), tok)
			var te *connectors.TokenError
			if !errors.As(err, &te) || te.Code != tc.wantCode || !strings.Contains(te.Description, tc.wantDesc) {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, connectors.ErrIdentity) {
				t.Error("an OBO refusal is reported as a bad token")
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), clientSecret) {
				t.Error("the error leaks a secret")
			}
		})
	}
}

func TestSignInWithToken_keys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil, nil)

	// The first verification cannot fetch the keys: not the token's fault.
	e.fake.FailNextJWKS(http.StatusServiceUnavailable)
	tok := e.fake.MintAccessToken(e.fake.AccessTokenClaims(alice.ObjectID, clientID))
	_, err := e.c.SignInWithToken(ctx, tok)
	if err == nil || errors.Is(err, connectors.ErrIdentity) || !strings.Contains(err.Error(), "signing keys") {
		t.Fatalf("JWKS outage: %v", err)
	}
	if _, err := e.c.SignInWithToken(ctx, tok); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	n := e.fake.JWKSCount()

	// Cached keys serve the next token; a rolled key is fetched again.
	if _, err := e.c.SignInWithToken(ctx, e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))); err != nil {
		t.Fatal(err)
	}
	if e.fake.JWKSCount() != n {
		t.Errorf("keys fetched again for a known key id")
	}
	if err := e.fake.RotateSigningKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.SignInWithToken(ctx, e.fake.MintAccessToken(e.fake.AccessTokenClaims(bob.ObjectID, clientID))); err != nil {
		t.Fatalf("token signed with a new key: %v", err)
	}
	if e.fake.JWKSCount() != n+1 {
		t.Errorf("JWKSCount = %d, want %d", e.fake.JWKSCount(), n+1)
	}
}
