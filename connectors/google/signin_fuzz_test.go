package google_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

// The ways FuzzSignInWithIDToken builds an id_token from its input.
const (
	idFuzzRaw       = iota // the input is the whole token
	idFuzzPayload          // the input replaces the payload under a genuine header and signature
	idFuzzHeader           // the input replaces the header of a genuine payload and signature
	idFuzzSignature        // the input replaces the signature of a genuine header and payload
	idFuzzSigned           // the input is the claims JSON, signed by the fake's key
	idFuzzModes
)

// extensionAudience is a further client id whose id_tokens are accepted
// (a Chrome extension's).
const extensionAudience = "ext-fuzz.apps.googleusercontent.com"

// FuzzSignInWithIDToken feeds Google id_tokens (from a Chrome extension or
// a Workspace add-on) to SignInWithToken. It never panics; a refusal wraps
// connectors.ErrIdentity and does not echo the token. A token whose signed
// content is not exactly a genuine token's is refused. Claims signed by
// Google's key (the fifth mode) are accepted only when iss is Google's (URL
// or host form), aud holds the client id or an allowed audience, exp is in
// the future, sub is set and email_verified is true (or "true"); the
// identity is then sub with that email, and never a token or scopes.
func FuzzSignInWithIDToken(f *testing.F) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	clk := func() time.Time { return now }
	g := googletest.New(f, googletest.Options{ClientID: clientID, ClientSecret: clientSecret, RedirectURIs: []string{redirectURL},
		Users: []googletest.User{alice, bob, carol, dave}, Now: clk})
	c, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoints: g.Endpoints(),
		AllowedAudiences: []string{extensionAudience}, HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: clk})
	if err != nil {
		f.Fatal(err)
	}
	genuineClaims, _ := g.IDTokenClaims(alice.Email)
	genuine := g.MintIDToken(genuineClaims)
	parts := strings.Split(genuine, ".")
	claimsJSON, _ := json.Marshal(genuineClaims)
	u, _ := url.Parse(g.Issuer())
	issuers := []string{g.Issuer(), u.Host}

	for _, s := range []struct {
		in   string
		mode uint8
	}{
		{genuine, idFuzzRaw},
		{"not.a.jwt", idFuzzRaw},
		{strings.Repeat("a", 100), idFuzzRaw},
		{parts[1], idFuzzPayload},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)), idFuzzHeader},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"../../jwks","jku":"https://evil.example/keys"}`)), idFuzzHeader},
		{parts[2][:len(parts[2])-1], idFuzzSignature},
		{string(claimsJSON), idFuzzSigned},
		{`{"iss":"` + u.Host + `","aud":["x","` + extensionAudience + `"],"sub":"1","email":"x@example.com","email_verified":"true","exp":1e10}`, idFuzzSigned},
		{`{"iss":"` + g.Issuer() + `","aud":"` + clientID + `","sub":"","email":"x@example.com","email_verified":true,"exp":1e10}`, idFuzzSigned},
		{`{"iss":"https://accounts.google.com.evil.example","aud":"` + clientID + `","sub":"2","email_verified":1,"exp":1e10}`, idFuzzSigned},
	} {
		f.Add(s.in, s.mode)
	}

	f.Fuzz(func(t *testing.T, in string, mode uint8) {
		var tok string
		var claims map[string]any
		switch mode % idFuzzModes {
		case idFuzzRaw:
			tok = in
		case idFuzzPayload:
			tok = parts[0] + "." + in + "." + parts[2]
		case idFuzzHeader:
			tok = in + "." + parts[1] + "." + parts[2]
		case idFuzzSignature:
			tok = parts[0] + "." + parts[1] + "." + in
		case idFuzzSigned:
			if json.Unmarshal([]byte(in), &claims) != nil || claims == nil {
				return
			}
			tok = g.MintIDToken(claims)
		}
		grant, err := c.SignInWithToken(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, connectors.ErrIdentity) {
				t.Fatalf("refused without ErrIdentity: %v", err)
			}
			if len(tok) > 8 && strings.Contains(err.Error(), tok) {
				t.Fatal("the error echoes the token")
			}
			return
		}
		if claims == nil {
			i := strings.LastIndexByte(tok, '.')
			sig, errSig := base64.RawURLEncoding.DecodeString(tok[i+1:])
			want, _ := base64.RawURLEncoding.DecodeString(parts[2])
			if tok[:i] != parts[0]+"."+parts[1] || errSig != nil || string(sig) != string(want) {
				t.Fatalf("accepted a token that is not the genuine one: %q", tok)
			}
			_ = json.Unmarshal(claimsJSON, &claims)
		}
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
		exp, _ := claims["exp"].(float64)
		verified := claims["email_verified"] == true || claims["email_verified"] == "true"
		switch {
		case !slices.Contains(issuers, str("iss")):
			t.Fatalf("accepted iss %q", str("iss"))
		case !slices.Contains(aud, clientID) && !slices.Contains(aud, extensionAudience):
			t.Fatalf("accepted aud %v", claims["aud"])
		case exp <= float64(now.Unix()):
			t.Fatalf("accepted exp %v at %d", claims["exp"], now.Unix())
		case str("sub") == "" || !verified || str("email") == "":
			t.Fatalf("accepted sub %q email %q email_verified %v", str("sub"), str("email"), claims["email_verified"])
		case grant == nil || grant.Identity.AuthUserID != str("sub") || grant.Identity.Email != str("email") || grant.Token != nil || len(grant.Scopes) != 0:
			t.Fatalf("grant %+v for claims %v", grant, claims)
		}
	})
}
