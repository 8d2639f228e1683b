package oidctest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// SignIDToken signs claims, exactly as given, as an RS256 JWT with the
// provider's key (header kid and typ JWT), so tests can forge id_tokens:
// another audience, an expired one, a missing nonce. Serve it with
// FailNextToken. IDTokenClaims gives a valid starting point.
func (p *Provider) SignIDToken(claims map[string]any) string {
	p.t.Helper()
	tok, err := p.sign(claims)
	if err != nil {
		p.t.Fatalf("oidctest: signing an id_token: %v", err)
	}
	return tok
}

// IDTokenClaims returns the claims the provider would put into an id_token
// issued now to the user with this subject for its client, without nonce
// and at_hash. An unknown subject fails the test.
func (p *Provider) IDTokenClaims(subject string) map[string]any {
	p.t.Helper()
	u, ok := p.userBySubject(subject)
	if !ok {
		p.t.Fatalf("oidctest: IDTokenClaims(%q): no such user", subject)
	}
	return p.idTokenClaims(u, p.opts.ClientID, "", "", p.opts.Now())
}

func (p *Provider) idTokenClaims(u User, clientID, nonce, accessToken string, now time.Time) map[string]any {
	c := map[string]any{
		"iss":       p.srv.URL,
		"sub":       u.Subject,
		"aud":       clientID,
		"iat":       now.Unix(),
		"exp":       now.Add(p.opts.AccessTokenTTL).Unix(),
		"auth_time": now.Unix(),
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	if accessToken != "" {
		c["at_hash"] = accessTokenHash(accessToken)
	}
	if p.opts.MinimalIDTokens {
		return c
	}
	if u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = true
	}
	if u.Name != "" {
		c["name"] = u.Name
	}
	if u.OrgID != "" {
		c["tid"] = u.OrgID
	}
	return c
}

func (p *Provider) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: p.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid),
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

func (p *Provider) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key:       &p.key.PublicKey,
		KeyID:     p.kid,
		Algorithm: string(jose.RS256),
		Use:       "sig",
	}}}
}

// accessTokenHash is the at_hash of OpenID Connect Core section 3.1.3.6 for
// RS256: the left half of the SHA-256 of the access token, base64url.
func accessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// s256 is the PKCE S256 transform of RFC 7636 section 4.2.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validPKCEValue reports whether s is a well-formed code_verifier or S256
// code_challenge: 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636
// section 4.1).
func validPKCEValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9',
			r == '-', r == '.', r == '_', r == '~':
		default:
			return false
		}
	}
	return true
}
