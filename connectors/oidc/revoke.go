package oidc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
)

// Revoke implements connectors.Revoker with the provider's RFC 7009
// revocation endpoint: it revokes tok's refresh token (which revokes the
// grant), or its access token when it has no refresh token. A token the
// provider does not know is not an error. Without a revocation endpoint in
// the discovery document (see CanRevoke) the error wraps
// errors.ErrUnsupported. Provider failures are *connectors.TokenError.
func (c *Connector) Revoke(ctx context.Context, tok *xoauth2.Token) error {
	if c.revokeURL == "" {
		return fmt.Errorf("oidc: the provider has no revocation endpoint: %w", errors.ErrUnsupported)
	}
	if tok == nil {
		return nil
	}
	form := url.Values{}
	switch {
	case tok.RefreshToken != "":
		form.Set("token", tok.RefreshToken)
		form.Set("token_type_hint", "refresh_token")
	case tok.AccessToken != "":
		form.Set("token", tok.AccessToken)
		form.Set("token_type_hint", "access_token")
	default:
		return nil
	}
	if c.endpoint.AuthStyle == xoauth2.AuthStyleInParams {
		form.Set("client_id", c.clientID)
		if c.secret != "" {
			form.Set("client_secret", c.secret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.revokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("oidc: revocation request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.endpoint.AuthStyle != xoauth2.AuthStyleInParams {
		req.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(c.secret))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("oidc: revoking: %w", oauth2err.From(err, c.now))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return fmt.Errorf("oidc: revoking: %w", oauth2err.FromAnswer(resp.StatusCode, resp.Header, body, c.now))
}
