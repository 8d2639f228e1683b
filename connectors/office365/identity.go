package office365

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

// entraClaims are the claims of Microsoft id_tokens and access tokens the
// connector reads.
type entraClaims struct {
	Issuer            string `json:"iss"`
	ObjectID          string `json:"oid"`
	TenantID          string `json:"tid"`
	Email             string `json:"email"`
	PreferredUsername string `json:"preferred_username"` // v2.0
	UPN               string `json:"upn"`                // v1.0
	UniqueName        string `json:"unique_name"`        // v1.0
	Name              string `json:"name"`
	Scope             string `json:"scp"`
	Version           string `json:"ver"`
}

func (cl entraClaims) email() string {
	for _, v := range []string{cl.Email, cl.PreferredUsername, cl.UPN, cl.UniqueName} {
		if strings.Contains(v, "@") {
			return v
		}
	}
	return ""
}

// tenantIssuer checks the issuer of a verified token against its tid:
// Microsoft's multi-tenant endpoints (common, organizations) sign tokens of
// every tenant with the same keys, so the issuer to expect is only known from
// the token itself. v1.0 access tokens (allowV1) have their own issuer.
func (c *Connector) tenantIssuer(cl entraClaims, allowV1 bool) error {
	if !isGUID(cl.TenantID) {
		return errors.New("no tenant id (tid) in the token")
	}
	v1 := allowV1 && slices.ContainsFunc(c.r.cloud.v1Issuers, func(p string) bool { return cl.Issuer == p+"/"+cl.TenantID+"/" })
	if cl.Issuer != c.Issuer(cl.TenantID) && !v1 {
		return fmt.Errorf("issuer %q is not the one of tenant %s", truncate(cl.Issuer, 100), cl.TenantID)
	}
	if !c.r.tenantAllowed(cl.TenantID) {
		return fmt.Errorf("tenant %s is not allowed", cl.TenantID)
	}
	return nil
}

// identify verifies the id_token of a code exchange and completes the
// identity with Graph GET /me.
func (c *Connector) identify(ctx context.Context, tok *xoauth2.Token, nonce string) (connectors.Identity, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return connectors.Identity{}, fmt.Errorf("office365: the token answer has no id_token: %w", connectors.ErrIdentity)
	}
	keys := &keyFetch{}
	idt, err := c.idTokens.Verify(context.WithValue(gooidc.ClientContext(ctx, c.client), keyFetchKey{}, keys), raw)
	if err != nil {
		if keys.failed {
			return connectors.Identity{}, fmt.Errorf("office365: cannot fetch the signing keys to verify the id_token: %w", bounded(err))
		}
		return connectors.Identity{}, fmt.Errorf("office365: id_token refused: %w: %w", connectors.ErrIdentity, bounded(err))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return connectors.Identity{}, fmt.Errorf("office365: id_token nonce does not match the flow's: %w", connectors.ErrIdentity)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return connectors.Identity{}, fmt.Errorf("office365: id_token at_hash does not match the access token: %w", connectors.ErrIdentity)
		}
	}
	var cl entraClaims
	if err := idt.Claims(&cl); err != nil {
		return connectors.Identity{}, fmt.Errorf("office365: id_token claims: %w: %w", connectors.ErrIdentity, err)
	}
	if err := c.tenantIssuer(cl, false); err != nil {
		c.log.DebugContext(ctx, "office365: id_token refused", "reason", err.Error())
		return connectors.Identity{}, fmt.Errorf("office365: id_token refused: %w: %w", connectors.ErrIdentity, err)
	}
	if cl.ObjectID == "" {
		return connectors.Identity{}, fmt.Errorf("office365: id_token has no oid (request the profile scope): %w", connectors.ErrIdentity)
	}
	id := connectors.Identity{
		AuthUserID:      cl.ObjectID,
		AuthOrgID:       strings.ToLower(cl.TenantID),
		Email:           cl.email(),
		Name:            cl.Name,
		ServiceProvider: ServiceType,
	}
	me, err := c.graph.me(ctx, tok.AccessToken)
	if err != nil {
		// A token Graph refuses is no proof of identity; throttling and
		// outages are not the user's fault and keep their status.
		if ge := (*GraphError)(nil); errors.As(err, &ge) && (ge.Status == http.StatusUnauthorized || ge.Status == http.StatusForbidden) {
			return connectors.Identity{}, fmt.Errorf("%w: %w", err, connectors.ErrIdentity)
		}
		return connectors.Identity{}, err
	}
	if !strings.EqualFold(me.id, cl.ObjectID) {
		return connectors.Identity{}, fmt.Errorf("office365: Graph /me is another user than the id_token's: %w", connectors.ErrIdentity)
	}
	if me.mail != "" {
		id.Email = me.mail
	} else if id.Email == "" && strings.Contains(me.upn, "@") {
		id.Email = me.upn
	}
	if me.displayName != "" {
		id.Name = me.displayName
	}
	if i := strings.LastIndexByte(id.Email, '@'); i >= 0 && cl.TenantID != ConsumersTenantID {
		id.OrgDomain = strings.ToLower(id.Email[i+1:])
	}
	return id, nil
}

// parseTokenAnswer reads a successful token answer (RFC 6749 section 5.1)
// as golang.org/x/oauth2 does: expires_in may be a number or a string, and
// every field is kept in the token's extras.
func parseTokenAnswer(body []byte) (*xoauth2.Token, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, errors.New("token answer is not a JSON object")
	}
	str := func(k string) string { s, _ := raw[k].(string); return s }
	tok := &xoauth2.Token{
		AccessToken:  str("access_token"),
		TokenType:    str("token_type"),
		RefreshToken: str("refresh_token"),
	}
	if tok.AccessToken == "" {
		return nil, errors.New("token answer without access_token")
	}
	switch v := raw["expires_in"].(type) {
	case json.Number:
		tok.ExpiresIn, _ = v.Int64()
	case string:
		tok.ExpiresIn, _ = strconv.ParseInt(v, 10, 64)
	}
	return tok.WithExtra(raw), nil
}

func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
