package office365_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// The ways FuzzSignInWithToken builds a token from its input.
const (
	ssoFuzzRaw       = iota // the input is the whole token
	ssoFuzzPayload          // the input replaces the payload under a genuine header and signature
	ssoFuzzHeader           // the input replaces the header of a genuine payload and signature
	ssoFuzzSignature        // the input replaces the signature of a genuine header and payload
	ssoFuzzSigned           // the input is the claims JSON, signed by the fake's key
	ssoFuzzModes
)

var guidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// FuzzSignInWithToken feeds add-in SSO tokens to SignInWithToken. It never
// panics; a refusal wraps connectors.ErrIdentity and never reaches the
// on-behalf-of exchange nor echoes the token. A token whose signed content
// is not exactly a genuine token's (any change to a genuine header,
// payload or signature, or any string at all) is refused. Claims signed by
// the tenant's key (the fifth mode) are accepted only when they meet the
// documented rules: aud is the API or the client id, iss is the tenant's
// v2.0 or v1.0 issuer of a GUID tid, scp holds access_as_user, oid is a
// GUID, exp is in the future; the identity is then oid in tid.
func FuzzSignInWithToken(f *testing.F) {
	now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	fake := graphtest.New(f, graphtest.Options{
		ClientID: clientID, ClientSecret: clientSecret, APIAppIDURI: apiAppID,
		Users:   []graphtest.User{alice, bob, carol},
		Tenants: []graphtest.Tenant{{ID: tenantA, Domain: "a.example"}},
		Now:     clk,
	})
	c, err := office365.New(context.Background(), office365.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: &office365.Endpoints{LoginBaseURL: fake.URL(), GraphBaseURL: fake.URL()},
		SSO:       &office365.SSOConfig{APIAppID: apiAppID, RequiredScope: "access_as_user"},
		Now:       clk,
	})
	if err != nil {
		f.Fatal(err)
	}
	genuineClaims := fake.AccessTokenClaims(bob.ObjectID, apiAppID)
	genuineClaims["uti"] = "fuzzfuzzfuzzfuzzfuzzfu" // stable across runs
	genuine := fake.MintAccessToken(genuineClaims)
	parts := strings.Split(genuine, ".")
	claimsJSON, _ := json.Marshal(genuineClaims)

	for _, s := range []struct {
		in   string
		mode uint8
	}{
		{genuine, ssoFuzzRaw},
		{unsigned(genuineClaims), ssoFuzzRaw},
		{"a.b.c", ssoFuzzRaw},
		{"..", ssoFuzzRaw},
		{parts[1], ssoFuzzPayload},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)), ssoFuzzHeader},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"x"}`)), ssoFuzzHeader},
		{parts[2] + "A", ssoFuzzSignature},
		{"", ssoFuzzSignature},
		{string(claimsJSON), ssoFuzzSigned},
		{`{"aud":["x","` + clientID + `"],"iss":"https://sts.windows.net/` + tenantA + `/","tid":"` + tenantA +
			`","oid":"` + alice.ObjectID + `","scp":"access_as_user","exp":1775041200}`, ssoFuzzSigned},
		{`{"aud":"` + apiAppID + `","iss":"` + fake.Issuer(tenantB) + `","tid":"` + tenantB + `","oid":"x","scp":"access_as_user other","exp":1e10}`, ssoFuzzSigned},
	} {
		f.Add(s.in, s.mode)
	}

	f.Fuzz(func(t *testing.T, in string, mode uint8) {
		var tok string
		var claims map[string]any
		switch mode % ssoFuzzModes {
		case ssoFuzzRaw:
			tok = in
		case ssoFuzzPayload:
			tok = parts[0] + "." + in + "." + parts[2]
		case ssoFuzzHeader:
			tok = in + "." + parts[1] + "." + parts[2]
		case ssoFuzzSignature:
			tok = parts[0] + "." + parts[1] + "." + in
		case ssoFuzzSigned:
			if json.Unmarshal([]byte(in), &claims) != nil || claims == nil {
				return
			}
			tok = fake.MintAccessToken(claims)
		}
		before := len(fake.TokenRequests())
		g, err := c.SignInWithToken(context.Background(), tok)
		reached := len(fake.TokenRequests()) > before // the token passed verification
		if !reached {
			if err == nil || !errors.Is(err, connectors.ErrIdentity) {
				t.Fatalf("refused without ErrIdentity, or accepted without the exchange: %v", err)
			}
			if len(tok) > 8 && strings.Contains(err.Error(), tok) {
				t.Fatal("the error echoes the token")
			}
			return
		}
		if err != nil && errors.Is(err, connectors.ErrIdentity) {
			t.Fatalf("a token refused as a bad identity reached the on-behalf-of exchange: %v", err)
		}
		if claims == nil {
			// Only the genuine signed content may pass.
			i := strings.LastIndexByte(tok, '.')
			sig, errSig := base64.RawURLEncoding.DecodeString(tok[i+1:])
			want, _ := base64.RawURLEncoding.DecodeString(parts[2])
			if tok[:i] != parts[0]+"."+parts[1] || errSig != nil || string(sig) != string(want) {
				t.Fatalf("accepted a token that is not the genuine one: %q", tok)
			}
			_ = json.Unmarshal(claimsJSON, &claims)
		}
		checkAcceptedSSOClaims(t, fake, claims, g, err, now)
	})
}

// checkAcceptedSSOClaims fails unless claims meet the rules of an SSO token
// that passed verification and, when the exchange succeeded (err nil), g
// is its identity.
func checkAcceptedSSOClaims(t *testing.T, fake *graphtest.Server, claims map[string]any, g *connectors.Grant, err error, now time.Time) {
	t.Helper()
	str := func(k string) string { s, _ := claims[k].(string); return s }
	var aud []string
	switch v := claims["aud"].(type) {
	case string:
		aud = []string{v}
	case []any:
		for _, a := range v {
			if s, ok := a.(string); ok {
				aud = append(aud, s)
			}
		}
	}
	tid, oid := str("tid"), str("oid")
	exp, _ := claims["exp"].(float64)
	switch {
	case !slices.Contains(aud, apiAppID) && !slices.Contains(aud, clientID):
		t.Fatalf("accepted audience %v", claims["aud"])
	case !guidShape.MatchString(tid) || (str("iss") != fake.Issuer(tid) && str("iss") != "https://sts.windows.net/"+tid+"/"):
		t.Fatalf("accepted issuer %q of tenant %q", str("iss"), tid)
	case !slices.Contains(strings.Fields(str("scp")), "access_as_user"):
		t.Fatalf("accepted scp %q", str("scp"))
	case !guidShape.MatchString(oid):
		t.Fatalf("accepted oid %q", oid)
	case exp <= float64(now.Unix()):
		t.Fatalf("accepted exp %v at %d", claims["exp"], now.Unix())
	case err == nil && (g == nil || g.Identity.AuthUserID != oid || g.Identity.AuthOrgID != strings.ToLower(tid)):
		t.Fatalf("identity %+v for oid %q tid %q", g, oid, tid)
	}
}
