package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/imap"
	"github.com/aurinko-go/aurinko/connectors/oauth2"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/oidc"
)

// buildConnectors creates the configured connectors. Generic OIDC
// connectors run discovery, so this needs the network (or the sandbox).
func buildConnectors(ctx context.Context, cc connectorsConfig, client *http.Client, now func() time.Time, logger *slog.Logger) ([]connectors.Connector, error) {
	var out []connectors.Connector
	for i, o := range cc.OIDC {
		c, err := oidc.New(ctx, oidc.Config{
			ServiceType: o.ServiceType, Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			Scopes: o.Scopes, ScopeMap: scopeMap(o.ScopeMap), OrgClaim: o.OrgClaim, HTTPClient: client, Now: now,
		})
		if err != nil {
			return nil, fmt.Errorf("config: connectors.oidc[%d]: %w", i, err)
		}
		out = append(out, c)
	}
	for i, o := range cc.OAuth2 {
		extra := url.Values{}
		for k, v := range o.ExtraAuthParams {
			extra.Set(k, v)
		}
		style := xoauth2.AuthStyleAutoDetect
		switch o.AuthStyle {
		case "header":
			style = xoauth2.AuthStyleInHeader
		case "params":
			style = xoauth2.AuthStyleInParams
		}
		c, err := oauth2.New(oauth2.Config{
			ServiceType: o.ServiceType, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			AuthURL: o.AuthURL, TokenURL: o.TokenURL, UserInfoURL: o.UserInfoURL, RevokeURL: o.RevokeURL,
			APIBaseURL: o.APIBaseURL, Scopes: o.Scopes, ScopeMap: scopeMap(o.ScopeMap), AuthStyle: style, PKCE: o.PKCE,
			UserInfo:        oauth2.UserInfoFields{ID: o.UserInfo.ID, Email: o.UserInfo.Email, Name: o.UserInfo.Name, Org: o.UserInfo.Org},
			ExtraAuthParams: extra, HTTPClient: client, Now: now,
		})
		if err != nil {
			return nil, fmt.Errorf("config: connectors.oauth2[%d]: %w", i, err)
		}
		out = append(out, c)
	}
	if g := cc.Google; g != nil {
		gc := google.Config{ClientID: g.ClientID, ClientSecret: g.ClientSecret, HostedDomains: g.HostedDomains,
			Endpoints: g.endpoints, HTTPClient: client, Now: now, Logger: logger}
		if g.ServiceAccountKeyFile != "" {
			data, err := os.ReadFile(g.ServiceAccountKeyFile)
			if err != nil {
				return nil, errCause("connectors.google.serviceAccountKeyFile", err)
			}
			gc.ServiceAccount = &google.ServiceAccount{JSON: data, Scopes: g.ServiceAccountScopes}
		}
		c, err := google.New(ctx, gc)
		if err != nil {
			return nil, fmt.Errorf("config: connectors.google: %w", err)
		}
		out = append(out, c)
	}
	if o := cc.Office365; o != nil {
		oc := office365.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Tenant: o.Tenant,
			Cloud: cloudOf(o.Cloud), Endpoints: o.endpoints, HTTPClient: client, Now: now, Logger: logger}
		if oc.Endpoints == nil && o.Endpoints.LoginBaseURL != "" {
			oc.Endpoints = &office365.Endpoints{LoginBaseURL: o.Endpoints.LoginBaseURL, GraphBaseURL: o.Endpoints.GraphBaseURL}
		}
		if o.SSO.APIAppID != "" {
			oc.SSO = &office365.SSOConfig{APIAppID: o.SSO.APIAppID, RequiredScope: o.SSO.Scope}
		}
		c, err := office365.New(ctx, oc)
		if err != nil {
			return nil, fmt.Errorf("config: connectors.office365: %w", err)
		}
		out = append(out, c)
	}
	if m := cc.IMAP; m != nil {
		c, err := imap.New(imap.Config{ServiceType: m.ServiceType, IMAPAddr: m.IMAPAddr, SMTPAddr: m.SMTPAddr,
			SMTPTLS: imap.TLSStartTLS, AllowUserServer: m.AllowUserServer, Now: now, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("config: connectors.imap: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// cloudOf maps the config's cloud names (validated) to office365's.
func cloudOf(name string) office365.Cloud {
	switch name {
	case "usgov":
		return office365.CloudUSGov
	case "china":
		return office365.CloudChina
	}
	return office365.CloudGlobal
}

// scopeMap converts a validated scope map.
func scopeMap(m map[string][]string) map[connectors.Scope][]string {
	if m == nil {
		return nil
	}
	out := make(map[connectors.Scope][]string, len(m))
	for k, v := range m {
		out[connectors.Scope(k)] = v
	}
	return out
}
