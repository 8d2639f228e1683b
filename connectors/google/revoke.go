package google

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
)

// Revoke implements connectors.Revoker with Google's revocation endpoint
// (https://oauth2.googleapis.com/revoke): it revokes tok's refresh token,
// which ends the whole grant, or its access token when there is no refresh
// token (Google then revokes the refresh token of that grant too). The
// token travels in the form body, which Google accepts as well as the
// ?token= query, so that it stays out of URL logs. A token Google no longer
// knows (400 invalid_token: "Token expired or revoked") is not an error.
// Other failures are *connectors.TokenError.
func (c *Connector) Revoke(ctx context.Context, tok *xoauth2.Token) error {
	if tok == nil {
		return nil
	}
	t := tok.RefreshToken
	if t == "" {
		t = tok.AccessToken
	}
	if t == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ep.RevokeURL, strings.NewReader(url.Values{"token": {t}}.Encode()))
	if err != nil {
		return fmt.Errorf("google: revocation request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("google: revoking: %w", oauth2err.From(err, c.now))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	te := oauth2err.FromAnswer(resp.StatusCode, resp.Header, body, c.now)
	if resp.StatusCode == http.StatusBadRequest && te.Code == "invalid_token" {
		return nil
	}
	return fmt.Errorf("google: revoking: %w", te)
}
