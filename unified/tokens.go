package unified

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/unified/email"
)

// The kinds of opaque tokens the unified API hands out. A token of one kind
// is refused where another is expected.
const (
	tokenMessagePage = "email.page"
	tokenFolderPage  = "email.folders"
	tokenSyncUpdated = "email.sync.updated"
	tokenSyncDeleted = "email.sync.deleted"

	tokenCalendarList    = "cal.calendars"
	tokenEventRange      = "cal.range"
	tokenCalSyncUpdated  = "cal.sync.updated"
	tokenCalSyncDeleted  = "cal.sync.deleted"
	tokenContactPage     = "contacts.page"
	tokenContactsUpdated = "contacts.sync.updated"
	tokenContactsDeleted = "contacts.sync.deleted"
	tokenTaskListPage    = "tasks.lists"
	tokenTaskPage        = "tasks.page"
	tokenTasksUpdated    = "tasks.sync.updated"
	tokenTasksDeleted    = "tasks.sync.deleted"
	maxTokenLength       = 16 << 10 // base64 characters
	tokenFormatPrefix    = "a1."
)

// tokenClaims is what a page or delta token carries, sealed with the
// server's keyring (AES-256-GCM): clients can neither read nor change it.
type tokenClaims struct {
	Kind    string `json:"k"`
	Account int64  `json:"a"`
	// Cursor is the connector's cursor.
	Cursor string `json:"c"`
	// Page is true for a pageToken, false for a deltaToken.
	Page bool `json:"p,omitempty"`
	// BodyType and Limit are the list parameters of the first page, kept
	// for the following ones.
	BodyType email.BodyType `json:"b,omitempty"`
	Limit    int            `json:"l,omitempty"`
	// Scope is the calendar or task list a token reads, so that a token
	// of one is refused for another.
	Scope  string `json:"s,omitempty"`
	Issued int64  `json:"t"`
}

// tokens seals and opens the opaque tokens.
type tokens struct {
	keyring *seal.Keyring
	now     func() time.Time
}

// seal refuses a cursor that is not valid UTF-8: JSON would replace its
// bad bytes and the connector would get back another cursor than it made.
func (t tokens) seal(c tokenClaims) (string, error) {
	if !utf8.ValidString(c.Cursor) {
		return "", errors.New("unified: a connector cursor is not valid UTF-8 and cannot be sealed intact")
	}
	c.Issued = t.now().Unix()
	plain, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("unified: encoding a token: %w", err)
	}
	sealed, err := t.keyring.Seal(plain)
	if err != nil {
		return "", fmt.Errorf("unified: sealing a token: %w", err)
	}
	return tokenFormatPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// open returns the claims of a token of kind issued for account. Any
// failure — not base64, tampered, sealed by an unknown key, another kind,
// another account, a page token where a delta token belongs — is the same
// 400, so the answer says nothing about why.
func (t tokens) open(s string, kind string, account int64, page bool, param string) (tokenClaims, error) {
	bad := apierr.New(apierr.InvalidInput, "invalid %s", param)
	if len(s) > maxTokenLength || len(s) <= len(tokenFormatPrefix) || s[:len(tokenFormatPrefix)] != tokenFormatPrefix {
		return tokenClaims{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[len(tokenFormatPrefix):])
	if err != nil {
		return tokenClaims{}, bad
	}
	plain, err := t.keyring.Open(raw)
	if err != nil {
		return tokenClaims{}, apierr.Wrap(err, apierr.InvalidInput, bad.Message)
	}
	var c tokenClaims
	if err := json.Unmarshal(plain, &c); err != nil {
		return tokenClaims{}, bad
	}
	if c.Kind != kind || c.Account != account || c.Page != page || c.Cursor == "" {
		return tokenClaims{}, bad
	}
	return c, nil
}
