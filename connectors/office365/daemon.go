package office365

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
)

// DaemonAuthURL implements connectors.DaemonAuthorizer: the v2.0 admin
// consent endpoint, asking for the app permissions configured on the app
// registration (scope={graph}/.default). With Tenant "common" it uses
// "organizations", since personal accounts have no administrator; Tenant
// "consumers" has no admin consent.
func (c *Connector) DaemonAuthURL(_ context.Context, req connectors.AuthRequest) (string, error) {
	if req.RedirectURL == "" || req.State == "" {
		return "", errors.New("office365: AuthRequest needs RedirectURL and State")
	}
	tenant := c.r.tenant
	switch tenant {
	case tenantConsumers:
		return "", fmt.Errorf("office365: tenant %q has no administrator to consent: %w", tenant, errors.ErrUnsupported)
	case tenantCommon:
		tenant = tenantOrganizations
	}
	q := url.Values{
		"client_id":    {c.clientID},
		"redirect_uri": {req.RedirectURL},
		"state":        {req.State},
		"scope":        {c.r.cloud.graphResource + "/.default"},
	}
	return c.tenantURL(tenant) + "/v2.0/adminconsent?" + q.Encode(), nil
}

// DaemonGrant implements connectors.DaemonAuthorizer. The admin consent
// callback carries tenant, admin_consent=True and state, or error and
// error_description (a *connectors.CallbackError). The tenant must be a
// tenant id that Config allows; the connector then proves the consent by
// getting a client credentials token for that tenant (which fails when the
// app has no service principal there). The grant's identity is the app in
// that tenant: AuthUserID "app:{tid}", AuthOrgID the tid.
//
// The tenant parameter of the callback is not signed: AllowedTenants is
// the way to restrict which organizations can connect daemon accounts.
func (c *Connector) DaemonGrant(ctx context.Context, _ string, callback map[string][]string) (*connectors.Grant, error) {
	q := url.Values(callback)
	if ce := connectors.CallbackErrorFrom(q); ce != nil {
		return nil, ce
	}
	if !strings.EqualFold(q.Get("admin_consent"), "True") {
		return nil, fmt.Errorf("office365: admin consent callback without admin_consent=True: %w", connectors.ErrIdentity)
	}
	tid := strings.ToLower(q.Get("tenant"))
	if !isGUID(tid) {
		return nil, fmt.Errorf("office365: admin consent callback without a tenant id: %w", connectors.ErrIdentity)
	}
	if !c.r.tenantAllowed(tid) {
		return nil, fmt.Errorf("office365: tenant %s is not allowed: %w", tid, connectors.ErrIdentity)
	}
	tok, err := c.AppToken(ctx, tid)
	if err != nil {
		return nil, err
	}
	return &connectors.Grant{
		Token: tok,
		Identity: connectors.Identity{
			AuthUserID:      "app:" + tid,
			AuthOrgID:       tid,
			Name:            "Application access to tenant " + tid,
			ServiceProvider: ServiceType,
		},
		Scopes: []string{c.r.cloud.graphResource + "/.default"},
	}, nil
}

// AppToken implements connectors.AppTokener: an app-only Graph token for
// the tenant orgID (a tenant id or verified domain) with the OAuth client
// credentials grant and scope={graph}/.default. The token has no refresh
// token; it is acquired again when it expires. Failures are
// *connectors.TokenError (AADSTS700016 when the app is not in the tenant).
func (c *Connector) AppToken(ctx context.Context, orgID string) (*xoauth2.Token, error) {
	switch {
	case orgID == tenantCommon, orgID == tenantOrganizations, orgID == tenantConsumers, !validTenant(orgID):
		return nil, fmt.Errorf("office365: app tokens need a tenant id or domain, not %q", truncate(orgID, 64))
	case isGUID(orgID) && !c.r.tenantAllowed(orgID):
		return nil, fmt.Errorf("office365: tenant %s is not allowed: %w", orgID, connectors.ErrIdentity)
	}
	tok, err := c.postToken(ctx, orgID, url.Values{
		"grant_type": {"client_credentials"},
		"scope":      {c.r.cloud.graphResource + "/.default"},
	})
	if err != nil {
		return nil, fmt.Errorf("office365: app token for tenant %s: %w", orgID, err)
	}
	return tok, nil
}
