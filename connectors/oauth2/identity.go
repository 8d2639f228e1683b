package oauth2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"unicode/utf8"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

const (
	// maxUserInfoBytes bounds the userinfo answer.
	maxUserInfoBytes = 1 << 20
	// maxIDLength bounds ids (user, organization): they become keys.
	maxIDLength = 256
	// maxTextLength bounds email and name; longer values are dropped.
	maxTextLength = 512
)

// identify asks the userinfo endpoint who owns tok.
func (c *Connector) identify(ctx context.Context, tok *xoauth2.Token) (connectors.Identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.UserInfoURL, nil)
	if err != nil {
		return connectors.Identity{}, fmt.Errorf("oauth2: userinfo request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return connectors.Identity{}, fmt.Errorf("oauth2: userinfo: %w: %w", connectors.ErrIdentity, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfoBytes+1))
	if err != nil {
		return connectors.Identity{}, fmt.Errorf("oauth2: reading userinfo: %w: %w", connectors.ErrIdentity, err)
	}
	if resp.StatusCode != http.StatusOK {
		return connectors.Identity{}, fmt.Errorf("oauth2: userinfo answered %d: %w", resp.StatusCode, connectors.ErrIdentity)
	}
	if len(body) > maxUserInfoBytes {
		return connectors.Identity{}, fmt.Errorf("oauth2: userinfo answer larger than %d bytes: %w", maxUserInfoBytes, connectors.ErrIdentity)
	}
	info, err := decodeObject(body)
	if err != nil {
		return connectors.Identity{}, fmt.Errorf("oauth2: userinfo: %w: %w", connectors.ErrIdentity, err)
	}

	f := c.cfg.UserInfo
	idPaths := []string{"sub", "id"}
	if f.ID != "" {
		idPaths = []string{f.ID}
	}
	var id string
	for _, p := range idPaths {
		v, ok := lookup(info, p)
		if !ok || v == nil {
			continue
		}
		if id, err = idValue(v); err != nil {
			return connectors.Identity{}, fmt.Errorf("oauth2: userinfo field %q: %w: %w", p, connectors.ErrIdentity, err)
		}
		break
	}
	if id == "" {
		return connectors.Identity{}, fmt.Errorf("oauth2: userinfo has no user id (%s): %w", strings.Join(idPaths, " or "), connectors.ErrIdentity)
	}
	out := connectors.Identity{
		AuthUserID:      id,
		Email:           textValue(info, f.Email),
		Name:            textValue(info, f.Name),
		ServiceProvider: c.cfg.ServiceType,
	}
	if f.Org != "" {
		if v, ok := lookup(info, f.Org); ok && v != nil {
			// A malformed organization is left out, not fatal: the
			// user is identified.
			out.AuthOrgID, _ = idValue(v)
		}
	}
	return out, nil
}

// decodeObject decodes exactly one JSON object, keeping numbers exact.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("answer is not JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("answer has data after the JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("answer is not a JSON object")
	}
	return m, nil
}

// lookup walks a dotted path through nested objects.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// idValue accepts a non-empty string or an integer (as JSON numbers often
// are for CRM ids) and returns it as a string.
func idValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		if v == "" || len(v) > maxIDLength || !utf8.ValidString(v) || strings.ContainsFunc(v, isControl) {
			return "", errors.New("not a usable id")
		}
		return v, nil
	case json.Number:
		n, ok := new(big.Int).SetString(v.String(), 10)
		if !ok || len(v.String()) > maxIDLength {
			return "", errors.New("a number that is not an integer id")
		}
		return n.String(), nil
	}
	return "", fmt.Errorf("an id cannot be a %s", jsonKind(v))
}

// textValue returns the string at path, or "" when it is absent, not a
// string, too long or has control characters.
func textValue(m map[string]any, path string) string {
	v, _ := lookup(m, path)
	s, _ := v.(string)
	if len(s) > maxTextLength || !utf8.ValidString(s) || strings.ContainsFunc(s, isControl) {
		return ""
	}
	return strings.TrimSpace(s)
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}
