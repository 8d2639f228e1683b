package google

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"

	"github.com/aurinko-go/aurinko/connectors"
)

// idClaims are the claims of a Google id_token the connector reads.
type idClaims struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a boolean, or "true" in old tokens
	Name          string `json:"name"`
	HostedDomain  string `json:"hd"`
	AuthorizedBy  string `json:"azp"`
}

func (cl idClaims) emailVerified() bool {
	switch v := cl.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// verifyIDToken verifies a Google id_token: signature with the JWKS,
// RS256, expiry (go-oidc); then the issuer (either documented form), an
// audience among audiences, the nonce when nonce is not nil (exactly: ""
// means none may be present), at_hash when accessToken is set, a subject
// and the hosted domain restriction. Every failure wraps
// connectors.ErrIdentity.
func (c *Connector) verifyIDToken(ctx context.Context, raw string, audiences []string, nonce *string, accessToken string) (connectors.Identity, error) {
	fail := func(format string, a ...any) (connectors.Identity, error) {
		return connectors.Identity{}, fmt.Errorf("google: id_token refused: "+format+": %w", append(a, connectors.ErrIdentity)...)
	}
	idt, err := c.verifier.Verify(c.clientContext(ctx), raw)
	if err != nil {
		return fail("%v", err)
	}
	if !slices.Contains(c.issuers, idt.Issuer) {
		return fail("issuer %q is not Google's", truncate(idt.Issuer, 80))
	}
	if !slices.ContainsFunc(idt.Audience, func(a string) bool { return slices.Contains(audiences, a) }) {
		return fail("audience is not this application")
	}
	if nonce != nil && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(*nonce)) != 1 {
		return fail("nonce does not match the flow's")
	}
	if accessToken != "" && idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(accessToken); err != nil {
			return fail("at_hash does not match the access token")
		}
	}
	var cl idClaims
	if err := idt.Claims(&cl); err != nil {
		return fail("claims: %v", err)
	}
	if cl.Subject == "" {
		return fail("no sub")
	}
	hd := strings.ToLower(cl.HostedDomain)
	if len(c.domains) > 0 && !slices.Contains(c.domains, hd) {
		if hd == "" {
			return fail("a consumer account, but only Workspace domains are allowed")
		}
		return fail("hosted domain %q is not allowed", truncate(hd, 80))
	}
	id := connectors.Identity{
		AuthUserID:      cl.Subject,
		Name:            cl.Name,
		AuthOrgID:       hd,
		OrgDomain:       hd,
		ServiceProvider: ServiceType,
	}
	if cl.emailVerified() {
		id.Email = cl.Email
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
