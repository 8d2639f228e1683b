package oidc

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

// maxUserInfoBytes bounds the userinfo answer.
const maxUserInfoBytes = 1 << 20

// claims are the identity claims of an id_token or a userinfo answer.
type claims struct {
	sub, email, name, org string
	emailUnverified       bool // email_verified is present and false
}

// identify verifies the id_token of tok and builds the identity, asking the
// userinfo endpoint for a missing email or name.
func (c *Connector) identify(ctx context.Context, tok *xoauth2.Token, nonce string) (connectors.Identity, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return connectors.Identity{}, fmt.Errorf("oidc: the token answer has no id_token: %w", connectors.ErrIdentity)
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return connectors.Identity{}, fmt.Errorf("oidc: id_token refused: %w: %w", connectors.ErrIdentity, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return connectors.Identity{}, fmt.Errorf("oidc: id_token nonce does not match the flow's: %w", connectors.ErrIdentity)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return connectors.Identity{}, fmt.Errorf("oidc: id_token at_hash does not match the access token: %w", connectors.ErrIdentity)
		}
	}
	var payload json.RawMessage
	if err := idt.Claims(&payload); err != nil {
		return connectors.Identity{}, fmt.Errorf("oidc: id_token claims: %w: %w", connectors.ErrIdentity, err)
	}
	cl, err := parseClaims(payload, c.orgClaim)
	if err != nil {
		return connectors.Identity{}, fmt.Errorf("oidc: id_token claims: %w: %w", connectors.ErrIdentity, err)
	}
	if cl.sub == "" {
		return connectors.Identity{}, fmt.Errorf("oidc: id_token has no sub: %w", connectors.ErrIdentity)
	}
	if cl.emailUnverified {
		cl.email = ""
	}
	if (cl.email == "" || cl.name == "") && c.userInfoURL != "" {
		ui, err := c.userInfo(ctx, tok)
		if err != nil {
			return connectors.Identity{}, err
		}
		// OpenID Connect Core section 5.3.2: the userinfo sub must be the
		// id_token's, or its answer must not be used.
		if ui.sub != cl.sub {
			return connectors.Identity{}, fmt.Errorf("oidc: userinfo sub differs from the id_token's: %w", connectors.ErrIdentity)
		}
		if cl.email == "" && !ui.emailUnverified {
			cl.email = ui.email
		}
		if cl.name == "" {
			cl.name = ui.name
		}
		if cl.org == "" {
			cl.org = ui.org
		}
	}
	return connectors.Identity{
		AuthUserID:      cl.sub,
		AuthOrgID:       cl.org,
		Email:           cl.email,
		Name:            cl.name,
		ServiceProvider: c.serviceType,
	}, nil
}

// userInfo asks the userinfo endpoint (OpenID Connect Core section 5.3)
// with the access token.
func (c *Connector) userInfo(ctx context.Context, tok *xoauth2.Token) (claims, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.userInfoURL, nil)
	if err != nil {
		return claims{}, fmt.Errorf("oidc: userinfo request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return claims{}, fmt.Errorf("oidc: userinfo: %w: %w", connectors.ErrIdentity, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfoBytes+1))
	if err != nil {
		return claims{}, fmt.Errorf("oidc: reading userinfo: %w: %w", connectors.ErrIdentity, err)
	}
	if resp.StatusCode != http.StatusOK {
		return claims{}, fmt.Errorf("oidc: userinfo answered %d: %w", resp.StatusCode, connectors.ErrIdentity)
	}
	if len(body) > maxUserInfoBytes {
		return claims{}, fmt.Errorf("oidc: userinfo answer larger than %d bytes: %w", maxUserInfoBytes, connectors.ErrIdentity)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/jwt" {
		return claims{}, fmt.Errorf("oidc: signed userinfo answers are not supported: %w", connectors.ErrIdentity)
	}
	cl, err := parseClaims(body, c.orgClaim)
	if err != nil {
		return claims{}, fmt.Errorf("oidc: userinfo: %w: %w", connectors.ErrIdentity, err)
	}
	return cl, nil
}

// parseClaims reads sub, email, email_verified, name and the organization
// claim from a JSON object. Strings are taken as is; an organization id may
// also be a number; email_verified may be a boolean or "true"/"false".
func parseClaims(raw []byte, orgClaim string) (claims, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return claims{}, errors.New("not a JSON object")
	}
	if m == nil {
		return claims{}, errors.New("not a JSON object")
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	cl := claims{sub: str("sub"), email: str("email"), name: str("name")}
	switch v := m[orgClaim].(type) {
	case string:
		cl.org = v
	case json.Number:
		cl.org = v.String()
	}
	switch v := m["email_verified"].(type) {
	case bool:
		cl.emailUnverified = !v
	case string:
		cl.emailUnverified = v == "false"
	}
	return cl, nil
}
