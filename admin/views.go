package admin

import (
	"slices"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// The view types below are what pages show and the JSON API returns. They
// copy what an operator needs from the store records and leave out every
// secret (sealed tokens, client secrets, job payloads).

// AppView is an app as the console shows it.
type AppView struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ReturnURLs  []string  `json:"returnUrls"`
	CORSOrigins []string  `json:"corsOrigins"`
	Connectors  []string  `json:"connectorsInUse"`
	CreatedAt   time.Time `json:"createdAt"`
}

// UserView is a user as the console shows it.
type UserView struct {
	ID           string    `json:"id"`
	AppID        string    `json:"appId"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	AuthOrgID    string    `json:"authOrgId,omitempty"`
	OrgID        int64     `json:"orgId,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	LastActivity time.Time `json:"lastActivity"`
}

func userView(u store.User) UserView {
	return UserView{ID: u.ID, AppID: u.AppID, Email: u.Email, Name: u.Name, AuthOrgID: u.AuthOrgID, OrgID: u.OrgID,
		CreatedAt: u.CreatedAt, LastActivity: u.LastActivity}
}

// OrgView is an organization as the console shows it.
type OrgView struct {
	ID              int64     `json:"id"`
	AppID           string    `json:"appId"`
	ServiceProvider string    `json:"serviceProvider"`
	XID             string    `json:"xid"`
	Domain          string    `json:"domain,omitempty"`
	Name            string    `json:"name,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
}

func orgView(o store.Organization) OrgView {
	return OrgView{ID: o.ID, AppID: o.AppID, ServiceProvider: o.ServiceProvider, XID: o.XID, Domain: o.Domain, Name: o.Name, CreatedAt: o.CreatedAt}
}

// AccountView is an account as the console shows it.
type AccountView struct {
	ID              int64     `json:"id"`
	AppID           string    `json:"appId"`
	UserID          string    `json:"userId,omitempty"`
	ServiceType     string    `json:"serviceType"`
	ServiceProvider string    `json:"serviceProvider,omitempty"`
	Type            string    `json:"type"`
	Active          bool      `json:"active"`
	TokenStatus     string    `json:"tokenStatus"`
	TokenError      string    `json:"tokenError,omitempty"`
	Scopes          []string  `json:"scopes"`
	NativeScopes    []string  `json:"nativeScopes"`
	Email           string    `json:"email,omitempty"`
	Name            string    `json:"name,omitempty"`
	LoginString     string    `json:"loginString,omitempty"`
	AuthOrgID       string    `json:"authOrgId,omitempty"`
	OrgID           int64     `json:"orgId,omitempty"`
	AuthObtainedAt  time.Time `json:"authObtainedAt"`
	CreatedAt       time.Time `json:"createdAt"`
}

func accountView(a store.Account) AccountView {
	return AccountView{ID: a.ID, AppID: a.AppID, UserID: a.UserID, ServiceType: a.ServiceType, ServiceProvider: a.ServiceProvider,
		Type: string(a.Type), Active: a.Active, TokenStatus: string(a.TokenStatus), TokenError: a.TokenError,
		Scopes: nonNil(a.Scopes), NativeScopes: nonNil(a.NativeScopes), Email: a.Email, Name: a.Name, LoginString: a.LoginString,
		AuthOrgID: a.AuthOrgID, OrgID: a.OrgID, AuthObtainedAt: a.AuthObtainedAt, CreatedAt: a.CreatedAt}
}

// TokenView is the health of an account's stored credential.
type TokenView struct {
	HasCredential bool      `json:"hasCredential"`
	Version       int64     `json:"version"`
	RefreshedAt   time.Time `json:"lastRefreshSuccess"`
	LastError     string    `json:"lastRefreshError,omitempty"`
	LastErrorAt   time.Time `json:"lastRefreshFailure"`
	// Expiry is when the access token expires; it is refreshed on the
	// first use within the refresh margin before it, or by the background
	// refresher.
	Expiry time.Time `json:"nextRefresh"`
}

func tokenView(t store.Token) TokenView {
	return TokenView{HasCredential: t.Sealed != nil, Version: t.Version, RefreshedAt: t.RefreshedAt, LastError: t.LastError,
		LastErrorAt: t.LastErrorAt, Expiry: t.Expiry}
}

// JobView is a background job without its payload.
type JobView struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Key       string    `json:"key,omitempty"`
	State     string    `json:"state"`
	Attempt   int       `json:"attempt"`
	RunAt     time.Time `json:"runAt"`
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func jobView(j store.Job) JobView {
	return JobView{ID: j.ID, Kind: j.Kind, Key: j.Key, State: string(j.State), Attempt: j.Attempt, RunAt: j.RunAt,
		LastError: j.LastError, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
}

// SubscriptionView is a webhook subscription with its delivery queue.
type SubscriptionView struct {
	ID              int64  `json:"id"`
	AppID           string `json:"appId"`
	AccountID       int64  `json:"accountId"`
	Resource        string `json:"resource"`
	NotificationURL string `json:"notificationUrl"`
	Active          bool   `json:"active"`
	// LastDelivery is when a notification was last delivered; zero
	// before the first.
	LastDelivery      time.Time `json:"lastDelivery"`
	FailSince         time.Time `json:"failSince"`
	FailDescription   string    `json:"failDescription,omitempty"`
	ProviderID        string    `json:"providerSubscriptionId,omitempty"`
	ProviderExpiresAt time.Time `json:"providerExpiresAt"`
	CreatedAt         time.Time `json:"createdAt"`
	// Queue counts the deliveries waiting or running (the retry queue).
	Queue int `json:"retryQueue"`
	// Failed are the deliveries that gave up, which can be re-sent.
	Failed []JobView `json:"failedDeliveries"`
}

func subscriptionView(s store.Subscription) SubscriptionView {
	return SubscriptionView{ID: s.ID, AppID: s.AppID, AccountID: s.AccountID, Resource: s.Resource, NotificationURL: s.NotificationURL,
		Active: s.Active, LastDelivery: s.LastDeliveryAt, FailSince: s.FailSince, FailDescription: s.FailDescription,
		ProviderID: s.ProviderID, ProviderExpiresAt: s.ProviderExpiresAt, CreatedAt: s.CreatedAt, Failed: []JobView{}}
}

// UserRow is a user of a list, with their organization and accounts.
type UserRow struct {
	UserView
	Organization *OrgView     `json:"organization,omitempty"`
	Accounts     []AccountRef `json:"accounts"`
}

// AccountRef is an account as a user's row names it.
type AccountRef struct {
	ID          int64  `json:"id"`
	ServiceType string `json:"serviceType"`
	Type        string `json:"type"`
	Active      bool   `json:"active"`
	TokenStatus string `json:"tokenStatus"`
	Email       string `json:"email,omitempty"`
}

// AccountRow is an account of a list, with the health of its token.
type AccountRow struct {
	AccountView
	Token TokenView `json:"token"`
}

// SubscriptionRow is a subscription of a list, with its account's email.
type SubscriptionRow struct {
	SubscriptionView
	AccountEmail string `json:"accountEmail,omitempty"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
