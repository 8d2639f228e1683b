package googletest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MintIDToken signs claims, exactly as given, as an RS256 JWT with the
// fake's key (header kid, typ JWT): an id_token of another audience, an
// expired one, one of another domain, for sign-in tests. IDTokenClaims
// gives a valid starting point. It panics only if signing fails, which
// cannot happen with the fake's own key.
func (s *Server) MintIDToken(claims map[string]any) string {
	tok, err := s.sign(claims)
	if err != nil {
		panic(fmt.Sprintf("googletest: signing an id_token: %v", err))
	}
	return tok
}

// IDTokenClaims returns the claims of an id_token issued now to the user
// with this email or subject for the fake's client, with the email and
// profile claims and without nonce: what a Chrome extension or a Workspace
// add-on holds. ok is false for an unknown user.
func (s *Server) IDTokenClaims(emailOrSubject string) (claims map[string]any, ok bool) {
	u, ok := s.User(emailOrSubject)
	if !ok {
		return nil, false
	}
	return s.idTokenClaims(u, s.opts.ClientID, "", "", []string{"openid", scopeUserinfoEmail, scopeUserinfoProfile}, s.opts.Now()), true
}

// issuer is the iss of the fake's id_tokens.
func (s *Server) issuer() string {
	if s.opts.ShortIssuer {
		u, _ := url.Parse(s.srv.URL)
		return u.Host
	}
	return s.srv.URL
}

// idTokenClaims follows Google's id_tokens: email claims with the email
// scope, profile claims with the profile scope, hd for Workspace users.
func (s *Server) idTokenClaims(u User, clientID, nonce, accessToken string, scopes []string, now time.Time) map[string]any {
	c := map[string]any{
		"iss": s.issuer(),
		"azp": clientID,
		"aud": clientID,
		"sub": u.Subject,
		"iat": now.Unix(),
		"exp": now.Add(s.opts.AccessTokenTTL).Unix(),
	}
	if u.HostedDomain != "" {
		c["hd"] = u.HostedDomain
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	}
	if slices.Contains(scopes, scopeUserinfoEmail) {
		c["email"] = u.Email
		c["email_verified"] = !u.EmailUnverified
	}
	if slices.Contains(scopes, scopeUserinfoProfile) && u.Name != "" {
		c["name"] = u.Name
		given, family, _ := strings.Cut(u.Name, " ")
		c["given_name"] = given
		if family != "" {
			c["family_name"] = family
		}
		c["picture"] = s.srv.URL + "/photos/" + u.Subject
	}
	return c
}

func (s *Server) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func (s *Server) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
}

// saKey is a registered service account key.
type saKey struct {
	email string
	pub   *rsa.PublicKey
}

// ServiceAccountJSON creates a service account key for the service
// account email (registering the account when new; an account may have
// several keys) and returns the key file as Google issues it: type,
// project_id, private_key_id, private_key (PKCS #8 PEM), client_email,
// client_id, auth_uri, token_uri (the fake's token endpoint), ... The fake
// verifies JWT-bearer assertions signed with it. It panics only if the key
// cannot be generated or encoded, which cannot happen.
func (s *Server) ServiceAccountJSON(email string) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("googletest: generating a service account key: %v", err))
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(fmt.Sprintf("googletest: encoding a service account key: %v", err))
	}
	idBytes := make([]byte, 20)
	_, _ = rand.Read(idBytes)
	keyID := hex.EncodeToString(idBytes)
	s.mu.Lock()
	s.saKeys[keyID] = &saKey{email: email, pub: &key.PublicKey}
	s.mu.Unlock()
	project, _, _ := strings.Cut(strings.TrimSuffix(email[strings.IndexByte(email, '@')+1:], ".iam.gserviceaccount.com"), ".")
	out, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  project,
		"private_key_id":              keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   subjectFor(email),
		"auth_uri":                    s.AuthURL(),
		"token_uri":                   s.TokenURL(),
		"auth_provider_x509_cert_url": s.srv.URL + "/oauth2/v1/certs",
		"client_x509_cert_url":        s.srv.URL + "/robot/v1/metadata/x509/" + url.PathEscape(email),
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("googletest: encoding a key file: %v", err))
	}
	return out
}
