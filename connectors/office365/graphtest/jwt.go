package graphtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// OfficeClientID is the client id of Office clients that request add-in
// SSO tokens (the azp of tokens from Office.auth.getAccessToken).
const OfficeClientID = "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e"

func (s *Server) addKeyLocked() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("graphtest: generating a signing key: %w", err)
	}
	sum := sha1.Sum(key.PublicKey.N.Bytes())
	s.keys = append(s.keys, &signingKey{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:])})
	return nil
}

// RotateSigningKey makes a new key sign every token from now on. The old
// keys stay published, as Microsoft publishes several: a verifier must
// fetch the key set again when it meets the new key id.
func (s *Server) RotateSigningKey() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addKeyLocked()
}

// MintAccessToken signs claims, exactly as given, as an RS256 JWT with the
// fake's current key (header typ JWT and kid), for tests of add-in SSO:
// start from AccessTokenClaims and change what the test needs. The
// on-behalf-of grant of the fake accepts such tokens. It panics when claims
// cannot be encoded as JSON.
func (s *Server) MintAccessToken(claims map[string]any) string {
	tok, err := s.sign(claims)
	if err != nil {
		panic("graphtest: MintAccessToken: " + err.Error())
	}
	return tok
}

// AccessTokenClaims returns the claims of a valid v2.0 access token that
// Office would obtain for the app's API (aud) on behalf of the user oid:
// iss {URL}/{tid}/v2.0, oid, tid, sub, preferred_username, name,
// scp "access_as_user", azp of Office, ver "2.0", valid for
// Options.AccessTokenTTL from now. It returns nil for an unknown user.
func (s *Server) AccessTokenClaims(oid, aud string) map[string]any {
	u, ok := s.User(oid)
	if !ok {
		return nil
	}
	now := s.opts.Now()
	return map[string]any{
		"aud":                aud,
		"iss":                s.Issuer(u.TenantID),
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(s.opts.AccessTokenTTL).Unix(),
		"azp":                OfficeClientID,
		"azpacr":             "0",
		"name":               u.DisplayName,
		"oid":                u.ObjectID,
		"preferred_username": u.UserPrincipalName,
		"scp":                "access_as_user",
		"sub":                pairwiseSubject(u.ObjectID, aud),
		"tid":                u.TenantID,
		"uti":                strings.ReplaceAll(randomID(), "-", "")[:22],
		"ver":                "2.0",
	}
}

func (s *Server) sign(claims map[string]any) (string, error) {
	s.mu.Lock()
	k := s.keys[len(s.keys)-1]
	s.mu.Unlock()
	return signWith(k, claims)
}

func signWith(k *signingKey, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: k.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid),
	)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// jwks is the published key set, in Microsoft's shape (kty, use, kid, x5t,
// n, e, issuer).
func (s *Server) jwks() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]any, 0, len(s.keys))
	for _, k := range s.keys {
		pub := &k.key.PublicKey
		keys = append(keys, map[string]any{
			"kty":    "RSA",
			"use":    "sig",
			"kid":    k.kid,
			"x5t":    k.kid,
			"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e":      base64.RawURLEncoding.EncodeToString([]byte{1, 0, 1}),
			"issuer": s.srv.URL + "/{tenantid}/v2.0",
		})
	}
	return map[string]any{"keys": keys}
}

// assertion is a verified on-behalf-of assertion.
type assertion struct {
	Audience []string `json:"-"`
	Aud      any      `json:"aud"`
	Issuer   string   `json:"iss"`
	ObjectID string   `json:"oid"`
	TenantID string   `json:"tid"`
	Scope    string   `json:"scp"`
	Expiry   int64    `json:"exp"`
	NotBef   int64    `json:"nbf"`
}

var (
	errBadSignature = errors.New("AADSTS50013: Assertion failed signature validation. [Reason - The key was not found.]")
	errLifetime     = errors.New("AADSTS500133: Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.")
)

// verifyAssertion checks the signature (any published key), lifetime and
// audience of an on-behalf-of assertion.
func (s *Server) verifyAssertion(raw string, now time.Time) (assertion, error) {
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return assertion{}, errors.New("AADSTS50027: JWT token is invalid or malformed.")
	}
	s.mu.Lock()
	keys := slices.Clone(s.keys)
	s.mu.Unlock()
	var payload []byte
	for _, k := range keys {
		if p, err := jws.Verify(&k.key.PublicKey); err == nil {
			payload = p
			break
		}
	}
	if payload == nil {
		return assertion{}, errBadSignature
	}
	var a assertion
	if err := json.Unmarshal(payload, &a); err != nil {
		return assertion{}, errors.New("AADSTS50027: JWT token is invalid or malformed.")
	}
	switch v := a.Aud.(type) {
	case string:
		a.Audience = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				a.Audience = append(a.Audience, s)
			}
		}
	}
	if a.Expiry == 0 || !now.Before(time.Unix(a.Expiry, 0)) || (a.NotBef != 0 && now.Add(5*time.Minute).Before(time.Unix(a.NotBef, 0))) {
		return assertion{}, errLifetime
	}
	if !slices.Contains(a.Audience, s.opts.ClientID) && (s.opts.APIAppIDURI == "" || !slices.Contains(a.Audience, s.opts.APIAppIDURI)) {
		return assertion{}, errors.New("AADSTS500131: Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was not the expected value.")
	}
	if a.Issuer != s.Issuer(a.TenantID) && a.Issuer != "https://sts.windows.net/"+a.TenantID+"/" {
		return assertion{}, errors.New("AADSTS50013: Assertion failed signature validation. [Reason - The provided issuer is not valid.]")
	}
	return a, nil
}

// pairwiseSubject is the sub claim: a per-app identifier of the user.
func pairwiseSubject(oid, app string) string {
	sum := sha256.Sum256([]byte(oid + "|" + app))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

// accessTokenHash is the at_hash of an id_token (OpenID Connect Core
// section 3.1.3.6) for RS256.
func accessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
