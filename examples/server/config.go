package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/office365"
)

// config is the server's configuration: the YAML file (see
// aurinko.example.yaml, which documents every key) with the flags applied
// on top. Field names are the YAML keys.
type config struct {
	Listen     string           `yaml:"listen"`
	PublicURL  string           `yaml:"publicUrl"`
	Production bool             `yaml:"production"`
	Sandbox    bool             `yaml:"sandbox"`
	Store      string           `yaml:"store" secret:"true"` // a PostgreSQL URL may hold a password
	Keys       keysConfig       `yaml:"keys"`
	Log        logConfig        `yaml:"log"`
	Apps       []appConfig      `yaml:"apps"`
	Addin      addinConfig      `yaml:"addin"`
	Webhooks   webhooksConfig   `yaml:"webhooks"`
	Admin      adminConfig      `yaml:"admin"`
	Metrics    metricsConfig    `yaml:"metrics"`
	Connectors connectorsConfig `yaml:"connectors"`
}

// keysConfig says where the encryption keys come from. AURINKO_KEYS in the
// environment wins over both.
type keysConfig struct {
	// Values are keys "id:base64", the first seals; usually ${AURINKO_KEY}.
	Values []string `yaml:"values" secret:"true"`
	// File holds one key per line when Values is empty. Outside production
	// a missing file is created with a fresh key.
	File string `yaml:"file"`
}

type logConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

type appConfig struct {
	ClientID     string   `yaml:"clientId"`
	Name         string   `yaml:"name"`
	ClientSecret string   `yaml:"clientSecret" secret:"true"`
	ReturnURLs   []string `yaml:"returnUrls"`
	CORSOrigins  []string `yaml:"corsOrigins"`
}

// addinConfig turns on the Outlook add-in sample under /addin/ for one app.
type addinConfig struct {
	// ClientID names the app (in apps) whose secret the add-in's backend
	// uses to exchange sign-in codes. Empty: no add-in is served.
	ClientID string `yaml:"clientId"`
	// ServiceType is what the sign-in button signs in with, e.g.
	// "Office365". Default: the only connector, or Office365 when several.
	ServiceType string `yaml:"serviceType"`
	// OfficeJSURL is where the add-in's pages load Office.js. Default
	// Microsoft's CDN, which Office requires; tests serve a stand-in.
	OfficeJSURL string `yaml:"officeJsUrl"`
}

// webhooksConfig tunes subscriptions (POST /v1/subscriptions): how their
// changes are watched.
type webhooksConfig struct {
	// PollInterval is how often a subscription is polled by delta sync
	// when the provider does not push its changes: a duration such as
	// "2m" or "30s", at least 1s. Default webhooks.DefaultPollInterval;
	// in the sandbox sandboxPollInterval.
	PollInterval string `yaml:"pollInterval"`
}

// minPollInterval is the shortest webhooks.pollInterval accepted.
const minPollInterval = time.Second

// pollInterval is the validated webhooks.pollInterval; 0 when unset.
func (w webhooksConfig) pollInterval() time.Duration {
	d, _ := time.ParseDuration(w.PollInterval) // validated
	return d
}

type connectorsConfig struct {
	OIDC      []oidcConfig     `yaml:"oidc"`
	OAuth2    []oauth2Config   `yaml:"oauth2"`
	Google    *googleConfig    `yaml:"google"`
	Office365 *office365Config `yaml:"office365"`
	IMAP      *imapConfig      `yaml:"imap"`
}

// imapConfig is a password (IMAP/SMTP) connector: one mail service whose
// users sign in with their login and password on the server's own form.
type imapConfig struct {
	ServiceType string `yaml:"serviceType"` // default IMAP
	IMAPAddr    string `yaml:"imapAddr"`    // host:port, implicit TLS (993)
	SMTPAddr    string `yaml:"smtpAddr"`    // host:port, STARTTLS submission (587)
	// AllowUserServer lets users type their own server at sign-in
	// (TLS only, public addresses only).
	AllowUserServer bool `yaml:"allowUserServer"`
}

type oidcConfig struct {
	ServiceType  string              `yaml:"serviceType"`
	Issuer       string              `yaml:"issuer"`
	ClientID     string              `yaml:"clientId"`
	ClientSecret string              `yaml:"clientSecret" secret:"true"`
	Scopes       []string            `yaml:"scopes"`
	ScopeMap     map[string][]string `yaml:"scopeMap"`
	OrgClaim     string              `yaml:"orgClaim"`
}

type oauth2Config struct {
	ServiceType     string              `yaml:"serviceType"`
	ClientID        string              `yaml:"clientId"`
	ClientSecret    string              `yaml:"clientSecret" secret:"true"`
	AuthURL         string              `yaml:"authUrl"`
	TokenURL        string              `yaml:"tokenUrl"`
	UserInfoURL     string              `yaml:"userInfoUrl"`
	RevokeURL       string              `yaml:"revokeUrl"`
	APIBaseURL      string              `yaml:"apiBaseUrl"`
	Scopes          []string            `yaml:"scopes"`
	ScopeMap        map[string][]string `yaml:"scopeMap"`
	AuthStyle       string              `yaml:"authStyle"` // auto, header, params
	PKCE            bool                `yaml:"pkce"`
	UserInfo        userInfoConfig      `yaml:"userInfo"`
	ExtraAuthParams map[string]string   `yaml:"extraAuthParams"`
}

type userInfoConfig struct {
	ID    string `yaml:"id"`
	Email string `yaml:"email"`
	Name  string `yaml:"name"`
	Org   string `yaml:"org"`
}

type googleConfig struct {
	ClientID              string   `yaml:"clientId"`
	ClientSecret          string   `yaml:"clientSecret" secret:"true"`
	HostedDomains         []string `yaml:"hostedDomains"`
	ServiceAccountKeyFile string   `yaml:"serviceAccountKeyFile"`
	ServiceAccountScopes  []string `yaml:"serviceAccountScopes"`

	endpoints *google.Endpoints // the sandbox's fake; nil: Google's
}

type office365Config struct {
	ClientID     string    `yaml:"clientId"`
	ClientSecret string    `yaml:"clientSecret" secret:"true"`
	Tenant       string    `yaml:"tenant"`
	Cloud        string    `yaml:"cloud"` // global, usgov, china
	SSO          ssoConfig `yaml:"sso"`
	// Endpoints override the cloud's login and Graph hosts: a private
	// gateway, or another instance's sandbox fakes (several instances on
	// one database in sandbox tests). Both or neither.
	Endpoints office365EndpointsConfig `yaml:"endpoints"`

	endpoints *office365.Endpoints // the sandbox's fake; nil: the cloud's
}

type office365EndpointsConfig struct {
	LoginBaseURL string `yaml:"loginBaseUrl"`
	GraphBaseURL string `yaml:"graphBaseUrl"`
}

type ssoConfig struct {
	APIAppID string `yaml:"apiAppId"`
	Scope    string `yaml:"scope"`
}

// defaultConfig is what the server runs with when nothing is configured.
func defaultConfig() config {
	return config{
		Listen: "127.0.0.1:8080",
		Store:  "sqlite:./aurinko.db",
		Keys:   keysConfig{File: "./aurinko.key"},
		Log:    logConfig{Level: "info", Format: "text"},
	}
}

// configError is a configuration problem: one line naming the key path and
// what is wrong, never a secret value.
type configError struct {
	path string
	msg  string
	err  error // the cause, when there is one
}

// Unwrap returns the cause.
func (e *configError) Unwrap() error { return e.err }

func (e *configError) Error() string {
	if e.path == "" {
		return "config: " + e.msg
	}
	return "config: " + printablePath(e.path) + ": " + e.msg
}

// printablePath quotes a key path that holds anything but printable ASCII
// (a quoted YAML key may hold a newline), so an error stays one line.
func printablePath(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			return strconv.Quote(p)
		}
	}
	return p
}

func errAt(path, format string, args ...any) error {
	return &configError{path: path, msg: fmt.Sprintf(format, args...)}
}

// errCause is errAt for an error with a cause, which it wraps.
func errCause(path string, err error) error {
	return &configError{path: path, msg: err.Error(), err: err}
}

// decodeConfig reads YAML from r into cfg (whose fields keep their values
// where the file is silent). Scalars get ${NAME} expanded from lookupEnv
// ($$ is a literal $). Unknown keys, wrong kinds and unset variables are
// errors naming the key path. fromEnv receives the paths whose value came
// from the environment, so that later messages never echo them.
func decodeConfig(r io.Reader, cfg *config, lookupEnv func(string) (string, bool), fromEnv map[string]bool) error {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return fmt.Errorf("config: read: %w", err)
	}
	if len(data) > 1<<20 {
		return errAt("", "file is larger than 1 MiB")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: defaults
		}
		return errAt("", "%s", oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errAt("", "the file must hold one YAML document")
	}
	if len(doc.Content) == 0 {
		return nil
	}
	w := &walker{lookupEnv: lookupEnv, fromEnv: fromEnv}
	root := doc.Content[0]
	if err := w.walk(root, reflect.TypeFor[config](), "", false); err != nil {
		return err
	}
	if err := root.Decode(cfg); err != nil {
		// walk checked every kind, so this is not expected; yaml's own
		// message may quote a value, so it is not repeated.
		return errAt("", "the file does not have the expected shape (see aurinko.example.yaml)")
	}
	return nil
}

// walker checks a YAML tree against the config types before decoding, so
// that every error names its key path, and expands environment variables.
type walker struct {
	lookupEnv func(string) (string, bool)
	fromEnv   map[string]bool
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, secret bool) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return errAt(path, "YAML anchors and aliases are not supported")
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // an empty value keeps the default
	}
	switch t.Kind() {
	case reflect.Pointer:
		return w.walk(n, t.Elem(), path, secret)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return errAt(path, "want a mapping of keys, got %s", kindName(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			f, ok := fieldByKey(t, k.Value)
			if !ok {
				return errAt(p, "unknown key (known: %s)", strings.Join(keysOf(t), ", "))
			}
			if msg := f.Tag.Get("unsupported"); msg != "" {
				return errAt(p, "%s", msg)
			}
			if err := w.walk(v, f.Type, p, secret || f.Tag.Get("secret") == "true"); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return errAt(path, "want a list, got %s", kindName(n))
		}
		for i, c := range n.Content {
			if err := w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), secret); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return errAt(path, "want a mapping, got %s", kindName(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return errAt(path, "keys must be strings")
			}
			k.Tag = "!!str"
			if err := w.walk(v, t.Elem(), join(path, k.Value), secret); err != nil {
				return err
			}
		}
		return nil
	case reflect.Interface:
		return nil // only the unsupported sections are of this type
	}
	if n.Kind != yaml.ScalarNode {
		return errAt(path, "want a single value, got %s", kindName(n))
	}
	v, usedEnv, err := expandEnv(n.Value, w.lookupEnv)
	if err != nil {
		return errAt(path, "%s", err.Error())
	}
	if usedEnv {
		w.fromEnv[path] = true
	}
	n.Value, n.Style = v, 0
	switch t.Kind() {
	case reflect.String:
		n.Tag = "!!str"
	case reflect.Bool:
		switch strings.ToLower(v) {
		case "true", "false":
			n.Value, n.Tag = strings.ToLower(v), "!!bool"
		default:
			return errAt(path, "want true or false%s", echo(v, secret || usedEnv))
		}
	case reflect.Int, reflect.Int64:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return errAt(path, "want a whole number%s", echo(v, secret || usedEnv))
		}
		n.Tag = "!!int"
	default:
		return errAt(path, "unsupported field type %s", t)
	}
	return nil
}

// echo shows a rejected value unless it may be a secret.
func echo(v string, hide bool) string {
	if hide {
		return ""
	}
	return ", got " + quote(v)
}

func quote(v string) string {
	if len(v) > 80 {
		v = strings.ToValidUTF8(v[:80], "") + "..."
	}
	return strconv.Quote(v)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func keysOf(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("unsupported") == "" {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// expandEnv replaces ${NAME} with the variable's value and $$ with $. An
// unset variable, a $ not followed by { or $, and an unterminated ${ are
// errors that name the variable but never a value.
func expandEnv(s string, lookup func(string) (string, bool)) (string, bool, error) {
	if !strings.Contains(s, "$") {
		return s, false, nil
	}
	var b strings.Builder
	used := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			return "", false, errors.New(`"$" must start ${NAME}; write $$ for a literal $`)
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", false, errors.New("${ without a closing }")
		}
		name := s[i+2 : i+2+end]
		if !validEnvName(name) {
			return "", false, errors.New("${...} must hold a variable name (letters, digits, _)")
		}
		v, ok := lookup(name)
		if !ok {
			return "", false, fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(v)
		used = true
		i += 2 + end
	}
	return b.String(), used, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
