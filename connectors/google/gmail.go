package google

import (
	"context"
	"fmt"
	"net/http"

	xoauth2 "golang.org/x/oauth2"
	gmail "google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
)

// MailboxProfile is a Gmail mailbox's profile (users.getProfile).
type MailboxProfile struct {
	EmailAddress  string
	MessagesTotal int64
	ThreadsTotal  int64
	HistoryID     uint64 // the mailbox's current history record, for delta sync
}

// GmailProfile reads the profile of the mailbox ts authorizes (GET
// gmail/v1/users/me/profile) through google.golang.org/api/gmail/v1, at
// APIBaseURL with the connector's HTTP client. Errors of the API wrap
// *googleapi.Error (its Code, Errors[].Reason and Header, for Retry-After).
func (c *Connector) GmailProfile(ctx context.Context, ts xoauth2.TokenSource) (*MailboxProfile, error) {
	svc, err := c.gmailService(ctx, ts)
	if err != nil {
		return nil, err
	}
	p, err := svc.Users.GetProfile("me").Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("google: gmail users.getProfile: %w", err)
	}
	return &MailboxProfile{EmailAddress: p.EmailAddress, MessagesTotal: p.MessagesTotal,
		ThreadsTotal: p.ThreadsTotal, HistoryID: p.HistoryId}, nil
}

// gmailService returns a Gmail API client that authorizes with ts and
// sends its requests to APIBaseURL through the configured client.
func (c *Connector) gmailService(ctx context.Context, ts xoauth2.TokenSource) (*gmail.Service, error) {
	hc := &http.Client{
		Transport: &xoauth2.Transport{Source: ts, Base: c.client.Transport},
		Timeout:   c.client.Timeout,
	}
	svc, err := gmail.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(c.ep.APIBaseURL+"/"))
	if err != nil {
		return nil, fmt.Errorf("google: gmail client: %w", err)
	}
	return svc, nil
}
