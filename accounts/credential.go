package accounts

import (
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
)

// credential is what an account's sealed token holds.
type credential struct {
	AccessToken  string    `json:"at,omitempty"`
	RefreshToken string    `json:"rt,omitempty"`
	TokenType    string    `json:"tt,omitempty"`
	Expiry       time.Time `json:"exp,omitzero"`
	Password     string    `json:"pw,omitempty"`
}

func sealToken(kr *seal.Keyring, tok *oauth2.Token) (store.Sealed, error) {
	c := credential{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, Expiry: tok.Expiry.UTC()}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("accounts: encode token: %w", err)
	}
	s, err := kr.Seal(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("accounts: seal token: %w", err)
	}
	return s, nil
}

func openToken(kr *seal.Keyring, s store.Sealed) (*oauth2.Token, error) {
	b, err := kr.Open(s)
	if err != nil {
		return nil, fmt.Errorf("accounts: open token: %w", err)
	}
	defer clear(b)
	var c credential
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("accounts: decode token: %w", err)
	}
	return &oauth2.Token{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, TokenType: c.TokenType, Expiry: c.Expiry}, nil
}
