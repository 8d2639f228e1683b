package imap_test

import (
	"context"
	"log"

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors/imap"
)

// A host wires the connector's credentials to the sealed passwords of
// package accounts: the login is the account's AuthUserID (returned as ""
// here, which the connector fills in).
func ExampleNew() {
	var svc *accounts.Service // the host's accounts service
	c, err := imap.New(imap.Config{
		IMAPAddr: "imap.example.com:993",                            // implicit TLS
		SMTPAddr: "smtp.example.com:587", SMTPTLS: imap.TLSStartTLS, // submission
		// Only for calling the connector directly from Go: through the
		// unified API, email.Account.Password carries the password.
		Credentials: func(ctx context.Context, accountID int64) (string, string, error) {
			pw, err := svc.Password(ctx, accountID)
			return "", pw, err
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = c // register it with the host's connectors
}
