package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/seal"
)

// minClientSecret is the shortest app client secret the library accepts.
const minClientSecret = 16

// validate checks cfg once the file and the flags are applied, and returns
// the first problem as a *configError. Values that came from the
// environment (fromEnv, by key path) and secrets are never echoed.
func (c *config) validate(fromEnv map[string]bool) error {
	v := validator{fromEnv: fromEnv}
	if err := c.validateOps(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return errAt("listen", "want host:port such as 127.0.0.1:8080, got %s", v.show("listen", c.Listen))
	}
	if c.PublicURL != "" {
		if err := v.baseURL("publicUrl", c.PublicURL); err != nil {
			return err
		}
	}
	if c.Production {
		if c.Sandbox {
			return errAt("sandbox", "cannot be combined with production")
		}
		if !strings.HasPrefix(c.PublicURL, "https://") {
			return errAt("publicUrl", "production needs an https public URL (browsers and providers reach the server there)")
		}
	}
	if err := checkStore(c.Store, c.Production); err != nil {
		return err
	}
	for i, k := range c.Keys.Values {
		if _, err := seal.ParseKey(strings.TrimSpace(k)); err != nil {
			return errAt(fmt.Sprintf("keys.values[%d]", i), "is not a key of the form id:base64 of 32 bytes")
		}
	}
	if len(c.Keys.Values) == 0 && c.Keys.File == "" {
		return errAt("keys.file", "is required when keys.values is empty")
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		return errAt("log.level", "want debug, info, warn or error, got %s", v.show("log.level", c.Log.Level))
	}
	if !oneOf(c.Log.Format, "text", "json") {
		return errAt("log.format", "want text or json, got %s", v.show("log.format", c.Log.Format))
	}
	seen := map[string]string{}
	for i, a := range c.Apps {
		p := fmt.Sprintf("apps[%d]", i)
		if a.ClientID == "" {
			return errAt(p+".clientId", "is required")
		}
		if prev, ok := seen[a.ClientID]; ok {
			return errAt(p+".clientId", "%s is already used by %s", v.show(p+".clientId", a.ClientID), prev)
		}
		seen[a.ClientID] = p
		if a.ClientSecret == "" {
			return errAt(p+".clientSecret", "is required (use ${NAME} to read it from the environment)")
		}
		if len(a.ClientSecret) < minClientSecret {
			return errAt(p+".clientSecret", "must have at least %d characters", minClientSecret)
		}
		for j, u := range a.ReturnURLs {
			if err := v.httpURL(fmt.Sprintf("%s.returnUrls[%d]", p, j), u); err != nil {
				return err
			}
		}
		for j, o := range a.CORSOrigins {
			if err := v.origin(fmt.Sprintf("%s.corsOrigins[%d]", p, j), o); err != nil {
				return err
			}
		}
	}
	if c.Addin.ClientID != "" {
		if _, ok := seen[c.Addin.ClientID]; !ok {
			return errAt("addin.clientId", "%s is not the clientId of any app in apps", v.show("addin.clientId", c.Addin.ClientID))
		}
	}
	if c.Addin.OfficeJSURL != "" {
		if err := v.httpURL("addin.officeJsUrl", c.Addin.OfficeJSURL); err != nil {
			return err
		}
	}
	if raw := c.Webhooks.PollInterval; raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errAt("webhooks.pollInterval", "want a duration such as 2m or 30s, got %s", v.show("webhooks.pollInterval", raw))
		}
		if d < minPollInterval {
			return errAt("webhooks.pollInterval", "must be at least %s, got %s", minPollInterval, v.show("webhooks.pollInterval", raw))
		}
	}
	return c.Connectors.validate(v)
}

func (cc *connectorsConfig) validate(v validator) error {
	types := map[string]string{}
	claim := func(p, st string) error {
		if strings.TrimSpace(st) == "" {
			return errAt(p, "is required")
		}
		if prev, ok := types[strings.ToLower(st)]; ok {
			return errAt(p, "%s is already used by %s", v.show(p, st), prev)
		}
		types[strings.ToLower(st)] = p
		return nil
	}
	if cc.Google != nil {
		types["google"] = "connectors.google"
	}
	if cc.Office365 != nil {
		types["office365"] = "connectors.office365"
	}
	if m := cc.IMAP; m != nil {
		st := m.ServiceType
		if st == "" {
			st = "IMAP"
		}
		if err := claim("connectors.imap.serviceType", st); err != nil {
			return err
		}
		for _, f := range []struct{ path, addr string }{{"connectors.imap.imapAddr", m.IMAPAddr}, {"connectors.imap.smtpAddr", m.SMTPAddr}} {
			host, port, err := net.SplitHostPort(f.addr)
			if err != nil || host == "" || port == "" || strings.ContainsAny(f.addr, "/@ ") {
				return errAt(f.path, "%s is not host:port", v.show(f.path, f.addr))
			}
		}
	}
	for i, o := range cc.OIDC {
		p := fmt.Sprintf("connectors.oidc[%d]", i)
		if err := claim(p+".serviceType", o.ServiceType); err != nil {
			return err
		}
		if err := v.httpURL(p+".issuer", o.Issuer); err != nil {
			return err
		}
		if o.ClientID == "" {
			return errAt(p+".clientId", "is required")
		}
		if err := checkScopeMap(p+".scopeMap", o.ScopeMap); err != nil {
			return err
		}
	}
	for i, o := range cc.OAuth2 {
		p := fmt.Sprintf("connectors.oauth2[%d]", i)
		if err := claim(p+".serviceType", o.ServiceType); err != nil {
			return err
		}
		if o.ClientID == "" {
			return errAt(p+".clientId", "is required")
		}
		for _, u := range []struct {
			key, val string
			required bool
		}{{"authUrl", o.AuthURL, true}, {"tokenUrl", o.TokenURL, true}, {"userInfoUrl", o.UserInfoURL, true},
			{"revokeUrl", o.RevokeURL, false}, {"apiBaseUrl", o.APIBaseURL, false}} {
			if u.val == "" && !u.required {
				continue
			}
			if err := v.httpURL(p+"."+u.key, u.val); err != nil {
				return err
			}
		}
		if o.AuthStyle != "" && !oneOf(o.AuthStyle, "auto", "header", "params") {
			return errAt(p+".authStyle", "want auto, header or params, got %s", v.show(p+".authStyle", o.AuthStyle))
		}
		if err := checkScopeMap(p+".scopeMap", o.ScopeMap); err != nil {
			return err
		}
	}
	if g := cc.Google; g != nil {
		if g.ClientID == "" {
			return errAt("connectors.google.clientId", "is required")
		}
		if g.ClientSecret == "" {
			return errAt("connectors.google.clientSecret", "is required (use ${NAME} to read it from the environment)")
		}
		for i, d := range g.HostedDomains {
			p := fmt.Sprintf("connectors.google.hostedDomains[%d]", i)
			if d == "" || strings.ContainsAny(d, "/:@ ") || !strings.Contains(d, ".") {
				return errAt(p, "%s is not a domain name such as example.com", v.show(p, d))
			}
		}
		if (g.ServiceAccountKeyFile == "") != (len(g.ServiceAccountScopes) == 0) {
			return errAt("connectors.google.serviceAccountScopes", "serviceAccountKeyFile and serviceAccountScopes go together: set both or neither")
		}
	}
	if o := cc.Office365; o != nil {
		if o.ClientID == "" {
			return errAt("connectors.office365.clientId", "is required")
		}
		if o.ClientSecret == "" {
			return errAt("connectors.office365.clientSecret", "is required (use ${NAME} to read it from the environment)")
		}
		if o.Cloud != "" && !oneOf(o.Cloud, "global", "usgov", "china") {
			return errAt("connectors.office365.cloud", "want global, usgov or china, got %s", v.show("connectors.office365.cloud", o.Cloud))
		}
		if e := o.Endpoints; (e.LoginBaseURL == "") != (e.GraphBaseURL == "") {
			return errAt("connectors.office365.endpoints", "needs both loginBaseUrl and graphBaseUrl, or neither")
		}
		for _, kv := range [][2]string{{"loginBaseUrl", o.Endpoints.LoginBaseURL}, {"graphBaseUrl", o.Endpoints.GraphBaseURL}} {
			key, raw := kv[0], kv[1]
			if raw == "" {
				continue
			}
			if u, err := url.Parse(raw); err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
				(u.Scheme != "https" && u.Scheme != "http") {
				return errAt("connectors.office365.endpoints."+key, "want an absolute http(s) base URL, got %s", v.show("connectors.office365.endpoints."+key, raw))
			}
		}
		if err := o.SSO.validate(v, "connectors.office365.sso"); err != nil {
			return err
		}
	}
	return nil
}

// validate checks the add-in SSO settings: both or neither; apiAppId is
// the Application ID URI that the manifests name as Resource, scope the
// bare scope name that tokens carry in scp.
func (s ssoConfig) validate(v validator, p string) error {
	switch {
	case s.APIAppID == "" && s.Scope == "":
		return nil
	case s.APIAppID == "":
		return errAt(p+".apiAppId", "is required with %s.scope: the Application ID URI of the add-in's API, e.g. api://addin.example.com/<client id>", p)
	case s.Scope == "":
		return errAt(p+".scope", "is required with %s.apiAppId: the scope the API exposes, e.g. access_as_user", p)
	}
	u, err := url.Parse(s.APIAppID)
	if err != nil || (u.Scheme != "api" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" ||
		u.Fragment != "" || strings.ContainsAny(s.APIAppID, " \t\"'<>&") || strings.HasSuffix(s.APIAppID, "/") {
		return errAt(p+".apiAppId", "%s is not an Application ID URI such as api://addin.example.com/<client id>", v.show(p+".apiAppId", s.APIAppID))
	}
	if !validScopeName(s.Scope) {
		return errAt(p+".scope", "%s is not a scope name such as access_as_user (the name alone, as tokens carry it in scp, without api://...)",
			v.show(p+".scope", s.Scope))
	}
	return nil
}

// validScopeName reports whether s is a bare delegated scope name:
// letters, digits, '.', '_' and '-', at most 120 characters.
func validScopeName(s string) bool {
	if s == "" || len(s) > 120 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// validator formats rejected values.
type validator struct{ fromEnv map[string]bool }

// show quotes v, unless it came from the environment.
func (v validator) show(path, val string) string {
	if v.fromEnv[path] {
		return "the value from the environment"
	}
	return quote(val)
}

// httpURL checks an absolute http or https URL without user info or
// fragment.
func (v validator) httpURL(path, raw string) error {
	if raw == "" {
		return errAt(path, "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errAt(path, "%s is not an http(s) URL", v.show(path, raw))
	}
	return nil
}

// baseURL checks a server's base URL: http(s), no path, query or fragment.
func (v validator) baseURL(path, raw string) error {
	if err := v.httpURL(path, raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return errAt(path, "%s must be scheme://host[:port] without a path or query", v.show(path, raw))
	}
	return nil
}

// origin checks a browser origin: scheme://host[:port], nothing else.
func (v validator) origin(path, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "/") {
		return errAt(path, "%s is not an origin such as https://addin.example.com", v.show(path, raw))
	}
	return nil
}

// memoryStore is the store value of an in-memory store (the sandbox's
// default): nothing survives a restart.
const memoryStore = "memory:"

func checkStore(s string, production bool) error {
	switch {
	case s == memoryStore:
		if production {
			return errAt("store", "memory: keeps nothing across restarts; production needs sqlite:PATH or postgres://...")
		}
		return nil
	case strings.HasPrefix(s, "sqlite:"):
		if strings.TrimPrefix(s, "sqlite:") == "" {
			return errAt("store", "sqlite: needs a file path, e.g. sqlite:./aurinko.db")
		}
		return nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return nil
	}
	// The value may be a DSN with a password: at most its scheme is shown.
	if kind, _, ok := strings.Cut(s, ":"); ok && len(kind) <= 16 && kind != "" && strings.Trim(strings.ToLower(kind), "abcdefghijklmnopqrstuvwxyz0123456789+.-") == "" {
		return errAt("store", "%s is neither sqlite:PATH nor postgres://... (nor memory:)", quote(kind+":..."))
	}
	return errAt("store", "the value is neither sqlite:PATH nor postgres://... (nor memory:)")
}

func checkScopeMap(path string, m map[string][]string) error {
	for k := range m {
		if !connectors.Scope(k).Valid() {
			return errAt(path+"."+k, "not a unified scope (one of %s)", scopeNames())
		}
	}
	return nil
}

func scopeNames() string {
	names := make([]string, len(connectors.AllScopes))
	for i, s := range connectors.AllScopes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
