package accounts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
)

// credential is what an account's sealed token holds.
type credential struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	Expiry       time.Time
	Password     string
}

// credentialV1 starts the binary encoding of a credential: a version byte,
// then access token, refresh token and token type as uvarint-length-prefixed
// strings, the expiry as a varint of Unix nanoseconds (0: none), and the
// password. It is read on every provider call, so it is a compact binary
// form rather than JSON (decoding is about 100 ns instead of microseconds).
const credentialV1 = 1

// maxCredentialField bounds each field when decoding.
const maxCredentialField = 1 << 20

var errCredential = errors.New("accounts: malformed credential")

func (c *credential) marshal() []byte {
	n := 1 + 5*binary.MaxVarintLen64 + len(c.AccessToken) + len(c.RefreshToken) + len(c.TokenType) + len(c.Password)
	b := make([]byte, 0, n)
	b = append(b, credentialV1)
	for _, s := range []string{c.AccessToken, c.RefreshToken, c.TokenType} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	var exp int64
	if !c.Expiry.IsZero() {
		exp = c.Expiry.UnixNano()
	}
	b = binary.AppendVarint(b, exp)
	b = binary.AppendUvarint(b, uint64(len(c.Password)))
	return append(b, c.Password...)
}

func (c *credential) unmarshal(b []byte) error {
	if len(b) == 0 || b[0] != credentialV1 {
		return errCredential
	}
	b = b[1:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > maxCredentialField || uint64(len(b)-k) < n {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	var ok bool
	if c.AccessToken, ok = str(); !ok {
		return errCredential
	}
	if c.RefreshToken, ok = str(); !ok {
		return errCredential
	}
	if c.TokenType, ok = str(); !ok {
		return errCredential
	}
	exp, k := binary.Varint(b)
	if k <= 0 {
		return errCredential
	}
	b = b[k:]
	c.Expiry = time.Time{}
	if exp != 0 {
		c.Expiry = time.Unix(0, exp).UTC()
	}
	if c.Password, ok = str(); !ok || len(b) != 0 {
		return errCredential
	}
	return nil
}

func sealToken(kr *seal.Keyring, tok *oauth2.Token) (store.Sealed, error) {
	return sealCredential(kr, credential{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, Expiry: tok.Expiry})
}

func sealCredential(kr *seal.Keyring, c credential) (store.Sealed, error) {
	b := c.marshal()
	s, err := kr.Seal(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("accounts: seal token: %w", err)
	}
	return s, nil
}

// openToken opens a token read from the store. It decrypts in place: s
// must be the caller's own copy (stores return fresh slices) and is
// destroyed.
func openToken(kr *seal.Keyring, s store.Sealed) (*oauth2.Token, error) {
	b, err := kr.OpenInPlace(s)
	if err != nil {
		return nil, fmt.Errorf("accounts: open token: %w", err)
	}
	defer clear(b)
	var c credential
	if err := c.unmarshal(b); err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, TokenType: c.TokenType, Expiry: c.Expiry}, nil
}

// openCredential opens a credential in place (see openToken).
func openCredential(kr *seal.Keyring, s store.Sealed) (credential, error) {
	b, err := kr.OpenInPlace(s)
	if err != nil {
		return credential{}, fmt.Errorf("accounts: open credential: %w", err)
	}
	defer clear(b)
	var c credential
	if err := c.unmarshal(b); err != nil {
		return credential{}, err
	}
	return c, nil
}
