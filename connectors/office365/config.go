package office365

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
)

// Cloud is a Microsoft cloud: the public (global) cloud or a national
// cloud. Each has its own sign-in host and Microsoft Graph host.
type Cloud string

// The clouds a connector can talk to. The zero value is CloudGlobal.
const (
	// CloudGlobal is the public cloud: login.microsoftonline.com and
	// graph.microsoft.com.
	CloudGlobal Cloud = "Global"
	// CloudUSGov is Microsoft Graph for US Government L4 (GCC High):
	// login.microsoftonline.us and graph.microsoft.us.
	CloudUSGov Cloud = "USGov"
	// CloudChina is Microsoft Graph China operated by 21Vianet:
	// login.chinacloudapi.cn and microsoftgraph.chinacloudapi.cn.
	CloudChina Cloud = "China"
)

// Endpoints are where a connector sends its requests: the Microsoft
// identity platform and Microsoft Graph. They are plain data so that tests
// can point a connector at a fake (connectors/office365/graphtest).
type Endpoints struct {
	// LoginBaseURL is the identity platform, without tenant, e.g.
	// "https://login.microsoftonline.com". The authorize, token, JWKS and
	// admin consent endpoints are below {LoginBaseURL}/{tenant}/, and the
	// issuer of v2.0 tokens is {LoginBaseURL}/{tid}/v2.0.
	LoginBaseURL string
	// GraphBaseURL is Microsoft Graph, without API version, e.g.
	// "https://graph.microsoft.com". Requests go to {GraphBaseURL}/v1.0/...
	GraphBaseURL string
}

// cloudInfo is what a connector needs to know of a cloud besides where to
// send requests: the Graph resource identifier its scopes are named after
// and the issuer host of v1.0 access tokens.
type cloudInfo struct {
	endpoints Endpoints
	// graphResource prefixes Graph scopes ("https://graph.microsoft.com/Mail.Read").
	graphResource string
	// v1Issuers are the issuer prefixes of v1.0 access tokens:
	// {prefix}/{tid}/. The signature by the cloud's keys is what binds a
	// token to the cloud; the issuer only has to name the token's tenant.
	v1Issuers []string
}

func (c Cloud) info() (cloudInfo, bool) {
	switch c {
	case "", CloudGlobal:
		return cloudInfo{
			endpoints:     Endpoints{LoginBaseURL: "https://login.microsoftonline.com", GraphBaseURL: "https://graph.microsoft.com"},
			graphResource: "https://graph.microsoft.com",
			v1Issuers:     []string{"https://sts.windows.net"},
		}, true
	case CloudUSGov:
		return cloudInfo{
			endpoints:     Endpoints{LoginBaseURL: "https://login.microsoftonline.us", GraphBaseURL: "https://graph.microsoft.us"},
			graphResource: "https://graph.microsoft.us",
			v1Issuers:     []string{"https://sts.windows.net", "https://login.microsoftonline.us"},
		}, true
	case CloudChina:
		return cloudInfo{
			endpoints:     Endpoints{LoginBaseURL: "https://login.chinacloudapi.cn", GraphBaseURL: "https://microsoftgraph.chinacloudapi.cn"},
			graphResource: "https://microsoftgraph.chinacloudapi.cn",
			v1Issuers:     []string{"https://sts.chinacloudapi.cn"},
		}, true
	}
	return cloudInfo{}, false
}

// ParseCloud returns the cloud named s, ignoring case: "Global" (or ""),
// "USGov" or "China".
func ParseCloud(s string) (Cloud, error) {
	for _, c := range []Cloud{CloudGlobal, CloudUSGov, CloudChina} {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	if s == "" {
		return CloudGlobal, nil
	}
	return "", fmt.Errorf("office365: unknown cloud %q (want %q, %q or %q)", truncate(s, 32), CloudGlobal, CloudUSGov, CloudChina)
}

// Endpoints returns the cloud's public endpoints. An unknown cloud has
// none (empty strings).
func (c Cloud) Endpoints() Endpoints {
	i, _ := c.info()
	return i.endpoints
}

// SSOConfig enables connectors.TokenSignIn: Office add-ins (Office
// getAccessToken, nested app authentication) and Teams apps hand the server
// an Entra access token issued for the app's own API, which the connector
// validates and trades for Graph tokens with the on-behalf-of flow.
type SSOConfig struct {
	// APIAppID is the audience (aud) the tokens must carry: the
	// Application ID URI of the app's API ("api://addin.example.com/<client
	// id>"), or its client id (a GUID). v1.0 tokens carry the URI and v2.0
	// tokens the client id; tokens whose aud is Config.ClientID are always
	// accepted too, since that is the app that redeems them. Required.
	APIAppID string
	// RequiredScope must be one of the delegated scopes in the token's scp
	// claim, e.g. "access_as_user". Required.
	RequiredScope string
}

// Config configures the Microsoft 365 connector.
type Config struct {
	// ClientID is the application (client) id of the Entra app
	// registration. Required.
	ClientID string
	// ClientSecret authenticates the app at the token endpoint. Required:
	// the on-behalf-of and client credentials flows need a confidential
	// client.
	ClientSecret string
	// Tenant is the authority segment: "common" (work, school and personal
	// accounts; the default), "organizations", "consumers", or one tenant as
	// a GUID or a verified domain ("contoso.onmicrosoft.com").
	Tenant string
	// AllowedTenants, when not empty, lists the tenant ids (tid, GUIDs) whose
	// users may sign in; a token of any other tenant is refused with
	// connectors.ErrIdentity. When empty, Tenant decides: a GUID tenant
	// admits only itself, "consumers" only the Microsoft account tenant,
	// "organizations" any tenant but that one, "common" and domain tenants
	// any tenant (set AllowedTenants to pin a domain tenant's GUID).
	AllowedTenants []string
	// Cloud picks the public cloud (default) or a national cloud. It sets the
	// default Endpoints, the resource of Graph scopes
	// ("https://graph.microsoft.us/Mail.Read") and the v1.0 token issuer.
	Cloud Cloud
	// Endpoints overrides where requests go (a test fake, a proxy). Empty
	// fields take Cloud's. Scopes keep Cloud's resource names.
	Endpoints *Endpoints
	// ScopeMap maps unified scopes to Graph delegated permissions, by short
	// name ("Mail.Read"); they are sent as full URIs of Cloud's Graph
	// resource. Default: DefaultScopeMap().
	ScopeMap map[connectors.Scope][]string
	// SSO enables SignInWithToken; nil disables it (the method then returns
	// an error wrapping errors.ErrUnsupported).
	SSO *SSOConfig
	// HTTPClient makes every request of the connector (token endpoint, JWKS,
	// Graph). Default: a client with a 30 second timeout.
	HTTPClient *http.Client
	// Now is the clock for token expiry and JWT validation. Default time.Now.
	Now func() time.Time
	// Logger receives debug lines about refused tokens; never a token or
	// secret. Default: discard.
	Logger *slog.Logger
}

// DefaultScopeMap returns the default mapping of unified scopes to Graph
// delegated permissions. The caller owns the returned map.
func DefaultScopeMap() map[connectors.Scope][]string {
	return map[connectors.Scope][]string{
		connectors.MailRead:          {"Mail.Read"},
		connectors.MailReadWrite:     {"Mail.ReadWrite"},
		connectors.MailSend:          {"Mail.Send"},
		connectors.MailDrafts:        {"Mail.ReadWrite"},
		connectors.MailAll:           {"Mail.ReadWrite", "Mail.Send"},
		connectors.CalendarRead:      {"Calendars.Read"},
		connectors.CalendarReadWrite: {"Calendars.ReadWrite"},
		connectors.ContactsRead:      {"Contacts.Read"},
		connectors.ContactsReadWrite: {"Contacts.ReadWrite"},
		connectors.TasksRead:         {"Tasks.Read"},
		connectors.TasksReadWrite:    {"Tasks.ReadWrite"},
	}
}

// Well-known tenant values.
const (
	tenantCommon        = "common"
	tenantOrganizations = "organizations"
	tenantConsumers     = "consumers"
	// ConsumersTenantID is the tenant id (tid) of personal Microsoft
	// accounts (Outlook.com, Hotmail).
	ConsumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

var (
	guidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$`)
)

// isGUID reports whether s is a GUID, the form of tenant and object ids.
func isGUID(s string) bool { return guidPattern.MatchString(s) }

// validTenant reports whether s can stand in the authority path.
func validTenant(s string) bool {
	switch s {
	case tenantCommon, tenantOrganizations, tenantConsumers:
		return true
	}
	return isGUID(s) || (len(s) <= 253 && domainPattern.MatchString(s))
}

// resolved is a validated Config with defaults applied.
type resolved struct {
	cloud     cloudInfo
	endpoints Endpoints
	tenant    string
	allowed   []string // lower-case GUIDs; nil = any (see tenantAllowed)
}

func resolve(cfg Config) (resolved, error) {
	var r resolved
	switch {
	case cfg.ClientID == "":
		return r, errors.New("office365: Config.ClientID is required")
	case cfg.ClientSecret == "":
		return r, errors.New("office365: Config.ClientSecret is required")
	}
	ci, ok := cfg.Cloud.info()
	if !ok {
		return r, fmt.Errorf("office365: unknown Config.Cloud %q (want %q, %q or %q)", cfg.Cloud, CloudGlobal, CloudUSGov, CloudChina)
	}
	r.cloud = ci
	r.endpoints = ci.endpoints
	if e := cfg.Endpoints; e != nil {
		if e.LoginBaseURL != "" {
			r.endpoints.LoginBaseURL = e.LoginBaseURL
		}
		if e.GraphBaseURL != "" {
			r.endpoints.GraphBaseURL = e.GraphBaseURL
		}
	}
	r.endpoints.LoginBaseURL = strings.TrimRight(r.endpoints.LoginBaseURL, "/")
	r.endpoints.GraphBaseURL = strings.TrimRight(r.endpoints.GraphBaseURL, "/")
	if err := checkBaseURL("Endpoints.LoginBaseURL", r.endpoints.LoginBaseURL); err != nil {
		return r, err
	}
	if err := checkBaseURL("Endpoints.GraphBaseURL", r.endpoints.GraphBaseURL); err != nil {
		return r, err
	}
	r.tenant = cfg.Tenant
	if r.tenant == "" {
		r.tenant = tenantCommon
	}
	if !validTenant(r.tenant) {
		return r, fmt.Errorf("office365: Config.Tenant %q is not common, organizations, consumers, a GUID or a domain", cfg.Tenant)
	}
	for _, t := range cfg.AllowedTenants {
		if !isGUID(t) {
			return r, fmt.Errorf("office365: Config.AllowedTenants: %q is not a tenant id (GUID)", t)
		}
		r.allowed = append(r.allowed, strings.ToLower(t))
	}
	if cfg.SSO != nil && (cfg.SSO.APIAppID == "" || cfg.SSO.RequiredScope == "") {
		return r, errors.New("office365: Config.SSO needs APIAppID and RequiredScope")
	}
	return r, nil
}

// tenantAllowed applies AllowedTenants, or the default of Config.Tenant.
func (r resolved) tenantAllowed(tid string) bool {
	if !isGUID(tid) {
		return false
	}
	tid = strings.ToLower(tid)
	if len(r.allowed) > 0 {
		return slices.Contains(r.allowed, tid)
	}
	switch {
	case r.tenant == tenantConsumers:
		return tid == ConsumersTenantID
	case r.tenant == tenantOrganizations:
		return tid != ConsumersTenantID
	case isGUID(r.tenant):
		return strings.EqualFold(tid, r.tenant)
	}
	return true
}

// checkBaseURL accepts absolute https URLs without query or user info, and
// http ones for loopback hosts (tests, the sandbox fake).
func checkBaseURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("office365: %s %q is not an absolute base URL", name, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if endpoint.IsLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("office365: %s %q must use https (http only for loopback hosts)", name, raw)
}
