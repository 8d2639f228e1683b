package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeConfig writes a config file into a fresh directory.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "aurinko.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testEnv(m map[string]string) env {
	return env{lookupEnv: mapEnv(m), logOut: io.Discard, now: time.Now}
}

func TestConfig_exampleFileIsValid(t *testing.T) {
	t.Parallel()
	e := testEnv(map[string]string{
		"OUTLOOK_ADDIN_SECRET": "0123456789abcdef-addin", "OKTA_CLIENT_ID": "okta-id", "OKTA_CLIENT_SECRET": "okta-secret",
		"SALESFORCE_CLIENT_ID": "sf-id", "SALESFORCE_CLIENT_SECRET": "sf-secret",
	})
	cfg, err := loadConfig([]string{"-config", "aurinko.example.yaml"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Apps[0].ClientSecret != "0123456789abcdef-addin" || cfg.Connectors.OIDC[0].ClientID != "okta-id" ||
		cfg.Connectors.OAuth2[0].UserInfo.Org != "organization_id" || !cfg.Connectors.OAuth2[0].PKCE ||
		cfg.Connectors.OIDC[0].ScopeMap["Mail.Read"][0] != "mail.read" || cfg.Log.Format != "text" ||
		cfg.Webhooks.pollInterval() != 2*time.Minute {
		t.Fatalf("example not decoded as documented: %+v", cfg)
	}
}

// TestConfig_exampleOffice365SectionIsValid uncomments the office365
// section of the example file, with its add-in SSO settings, and checks
// that it is accepted as documented.
func TestConfig_exampleOffice365SectionIsValid(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("aurinko.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n  # office365:\n")
	if !ok {
		t.Fatal("the example has no commented office365 section")
	}
	block, _, _ := strings.Cut(rest, "\n\n")
	var b strings.Builder
	b.WriteString("connectors:\n  office365:\n")
	for _, line := range strings.Split(block, "\n") {
		l, ok := strings.CutPrefix(line, "  # ")
		if !ok {
			t.Fatalf("not a commented line of the section: %q", line)
		}
		b.WriteString("  " + l + "\n")
	}
	e := testEnv(map[string]string{"MS_CLIENT_ID": "00000000-0000-0000-0000-000000000000", "MS_CLIENT_SECRET": "ms-secret"})
	cfg, err := loadConfig([]string{"-config", writeConfig(t, b.String())}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	o := cfg.Connectors.Office365
	if o == nil || o.SSO.Scope != "access_as_user" || !strings.HasPrefix(o.SSO.APIAppID, "api://") || o.Cloud != "global" {
		t.Fatalf("office365 section not decoded as documented: %+v", o)
	}
}

func TestConfig_envExpansionAndFlags(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, `
listen: 127.0.0.1:9999
publicUrl: ${PUBLIC}
store: sqlite:${DIR}/a.db
production: ${PROD}
apps:
  - clientId: "12345"
    clientSecret: "pa$$word-${SUFFIX}"
`)
	e := testEnv(map[string]string{"PUBLIC": "https://api.example.com", "DIR": "/tmp/x", "PROD": "false", "SUFFIX": "0123456789"})
	cfg, err := loadConfig([]string{"-config", p, "-addr", "127.0.0.1:7000"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://api.example.com" || cfg.Store != "sqlite:/tmp/x/a.db" || cfg.Production {
		t.Fatalf("expansion: %+v", cfg)
	}
	if cfg.Apps[0].ClientID != "12345" || cfg.Apps[0].ClientSecret != "pa$word-0123456789" {
		t.Fatalf("app: %+v", cfg.Apps[0])
	}
	if cfg.Listen != "127.0.0.1:7000" {
		t.Fatalf("flag -addr did not win over the file: %q", cfg.Listen)
	}
	if cfg.Keys.File != "./aurinko.key" || cfg.Log.Level != "info" {
		t.Fatalf("defaults lost: %+v", cfg)
	}
}

// TestConfig_rejects is a table of bad files: each fails with exactly one
// line that names the key path and says what is wrong.
func TestConfig_rejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"return URL scheme", `
apps:
  - clientId: a
    clientSecret: 0123456789abcdef
    returnUrls: [https://ok.example/cb, ftp://x]`, `config: apps[0].returnUrls[1]: "ftp://x" is not an http(s) URL`},
		{"unknown key", "listen: 127.0.0.1:1\nlistne: x\n", `config: listne: unknown key (known: `},
		{"unknown nested key", "apps:\n  - clientId: a\n    clientSecrets: x\n", `config: apps[0].clientSecrets: unknown key`},
		{"unset variable", "apps:\n  - clientId: a\n    clientSecret: ${NOPE_NOT_SET}\n", `config: apps[0].clientSecret: environment variable NOPE_NOT_SET is not set`},
		{"lone dollar", "publicUrl: http://a$b\n", `config: publicUrl: "$" must start ${NAME}; write $$ for a literal $`},
		{"unterminated", "publicUrl: ${X\n", `config: publicUrl: ${ without a closing }`},
		{"imap unknown key", "connectors:\n  imap:\n    host: x\n", `config: connectors.imap.host`},
		{"imap bad address", "connectors:\n  imap:\n    imapAddr: mail.example.com\n    smtpAddr: mail.example.com:587\n", `config: connectors.imap.imapAddr`},
		{"bool", "production: yes\n", `config: production: want true or false, got "yes"`},
		{"list wanted", "apps: {clientId: a}\n", `config: apps: want a list, got a mapping`},
		{"scalar wanted", "listen: [a, b]\n", `config: listen: want a single value, got a list`},
		{"missing client id", "apps:\n  - clientSecret: 0123456789abcdef\n", `config: apps[0].clientId: is required`},
		{"duplicate app", "apps:\n  - {clientId: a, clientSecret: 0123456789abcdef}\n  - {clientId: a, clientSecret: 0123456789abcdef}\n", `config: apps[1].clientId: "a" is already used by apps[0]`},
		{"short secret", "apps:\n  - {clientId: a, clientSecret: short}\n", `config: apps[0].clientSecret: must have at least 16 characters`},
		{"missing secret", "apps:\n  - {clientId: a}\n", `config: apps[0].clientSecret: is required`},
		{"cors origin with path", "apps:\n  - {clientId: a, clientSecret: 0123456789abcdef, corsOrigins: [https://a.example/x]}\n", `config: apps[0].corsOrigins[0]: "https://a.example/x" is not an origin`},
		{"addin app", "addin: {clientId: nobody}\n", `config: addin.clientId: "nobody" is not the clientId of any app in apps`},
		{"listen", "listen: nowhere\n", `config: listen: want host:port`},
		{"public url path", "publicUrl: https://a.example/base\n", `config: publicUrl: "https://a.example/base" must be scheme://host[:port]`},
		{"production http", "production: true\npublicUrl: http://a.example\n", `config: publicUrl: production needs an https public URL`},
		{"production sandbox", "production: true\nsandbox: true\npublicUrl: https://a.example\n", `config: sandbox: cannot be combined with production`},
		{"store", "store: mysql://u:p@h/db\n", `config: store: "mysql:..." is neither sqlite:PATH nor postgres://...`},
		{"empty sqlite", "store: 'sqlite:'\n", `config: store: sqlite: needs a file path`},
		{"log level", "log: {level: loud}\n", `config: log.level: want debug, info, warn or error, got "loud"`},
		{"oidc issuer", "connectors:\n  oidc:\n    - {serviceType: Okta, issuer: okta.example, clientId: x}\n", `config: connectors.oidc[0].issuer: "okta.example" is not an http(s) URL`},
		{"oidc scope map", "connectors:\n  oidc:\n    - serviceType: Okta\n      issuer: https://okta.example\n      clientId: x\n      scopeMap: {Mail.Reed: [a]}\n", `config: connectors.oidc[0].scopeMap.Mail.Reed: not a unified scope`},
		{"duplicate service type", "connectors:\n  oidc:\n    - {serviceType: Okta, issuer: https://a.example, clientId: x}\n  oauth2:\n    - {serviceType: okta, clientId: y, authUrl: https://a.example/a, tokenUrl: https://a.example/t, userInfoUrl: https://a.example/u}\n", `config: connectors.oauth2[0].serviceType: "okta" is already used by connectors.oidc[0].serviceType`},
		{"oauth2 url", "connectors:\n  oauth2:\n    - {serviceType: CRM, clientId: y, authUrl: https://a.example/a, tokenUrl: https://a.example/t}\n", `config: connectors.oauth2[0].userInfoUrl: is required`},
		{"oauth2 auth style", "connectors:\n  oauth2:\n    - {serviceType: CRM, clientId: y, authUrl: https://a.example/a, tokenUrl: https://a.example/t, userInfoUrl: https://a.example/u, authStyle: basic}\n", `config: connectors.oauth2[0].authStyle: want auto, header or params, got "basic"`},
		{"office365 cloud", "connectors:\n  office365: {clientId: x, clientSecret: y, cloud: mars}\n", `config: connectors.office365.cloud: want global, usgov or china, got "mars"`},
		{"office365 endpoints half", "connectors:\n  office365: {clientId: x, clientSecret: y, endpoints: {loginBaseUrl: 'http://127.0.0.1:1'}}\n", `config: connectors.office365.endpoints: needs both loginBaseUrl and graphBaseUrl, or neither`},
		{"office365 endpoints bad", "connectors:\n  office365: {clientId: x, clientSecret: y, endpoints: {loginBaseUrl: 'http://127.0.0.1:1', graphBaseUrl: 'ftp://x'}}\n", `config: connectors.office365.endpoints.graphBaseUrl: want an absolute http(s) base URL, got "ftp://x"`},
		{"google domain", "connectors:\n  google: {clientId: x, clientSecret: y, hostedDomains: [\"http://x\"]}\n", `config: connectors.google.hostedDomains[0]: "http://x" is not a domain name`},
		{"yaml syntax", "apps: [\n", `config: `},
		{"two documents", "listen: a:1\n---\nlisten: b:2\n", `config: the file must hold one YAML document`},
		{"anchor", "listen: &x 1\n", `config: listen: YAML anchors and aliases are not supported`},
		{"key value", "keys: {values: [\"k1:short\"]}\n", `config: keys.values[0]: is not a key of the form id:base64 of 32 bytes`},
		{"poll interval", "webhooks: {pollInterval: soon}\n", `config: webhooks.pollInterval: want a duration such as 2m or 30s, got "soon"`},
		{"poll interval unit", "webhooks: {pollInterval: 30}\n", `config: webhooks.pollInterval: want a duration such as 2m or 30s, got "30"`},
		{"poll interval short", "webhooks: {pollInterval: 500ms}\n", `config: webhooks.pollInterval: must be at least 1s, got "500ms"`},
		{"poll interval negative", "webhooks: {pollInterval: -5s}\n", `config: webhooks.pollInterval: must be at least 1s, got "-5s"`},
		{"webhooks unknown key", "webhooks: {allowInsecureTargets: true}\n", `config: webhooks.allowInsecureTargets: unknown key (known: pollInterval)`},
		{"sso without scope", "connectors:\n  office365: {clientId: x, clientSecret: y, sso: {apiAppId: \"api://a.example/x\"}}\n",
			`config: connectors.office365.sso.scope: is required with connectors.office365.sso.apiAppId`},
		{"sso without app id", "connectors:\n  office365: {clientId: x, clientSecret: y, sso: {scope: access_as_user}}\n",
			`config: connectors.office365.sso.apiAppId: is required with connectors.office365.sso.scope`},
		{"sso app id not a URI", "connectors:\n  office365: {clientId: x, clientSecret: y, sso: {apiAppId: addin.example.com, scope: access_as_user}}\n",
			`config: connectors.office365.sso.apiAppId: "addin.example.com" is not an Application ID URI such as api://`},
		{"sso app id with a query", "connectors:\n  office365: {clientId: x, clientSecret: y, sso: {apiAppId: \"api://a.example/x?y=1\", scope: access_as_user}}\n",
			`config: connectors.office365.sso.apiAppId: "api://a.example/x?y=1" is not an Application ID URI`},
		{"sso full scope", "connectors:\n  office365: {clientId: x, clientSecret: y, sso: {apiAppId: \"api://a.example/x\", scope: \"api://a.example/x/access_as_user\"}}\n",
			`config: connectors.office365.sso.scope: "api://a.example/x/access_as_user" is not a scope name such as access_as_user`},
		{"sso unknown key", "connectors:\n  office365: {clientId: x, clientSecret: y, sso: {audience: api://a.example/x}}\n",
			`config: connectors.office365.sso.audience: unknown key (known: apiAppId, scope)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeConfig(t, tc.yaml)
			_, err := loadConfig([]string{"-config", p}, testEnv(nil))
			if err == nil {
				t.Fatalf("accepted; want %q", tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error = %q\nwant one line starting %q", msg, tc.want)
			}
		})
	}
}

// TestConfig_neverEchoesSecrets feeds bad configurations that carry a
// secret, in the file and through the environment, to the whole server
// start-up and checks that neither the error nor the log shows it.
func TestConfig_neverEchoesSecrets(t *testing.T) {
	t.Parallel()
	const secret = "Sup3rS3cret-Value-42xyz"
	envs := map[string]string{"SECRET": secret, "MIXED": "x" + secret}
	tests := []struct{ name, yaml string }{
		{"short secret", "apps:\n  - {clientId: a, clientSecret: " + secret[:10] + "}\n"},
		{"secret in a bool from env", "production: ${SECRET}\n"},
		{"secret in a url from env", "publicUrl: ${SECRET}\n"},
		{"secret in listen from env", "listen: ${MIXED}\n"},
		{"secret as key", "keys: {values: [\"k1:" + secret + "\"]}\n"},
		{"secret in store", "store: postgresq://user:" + secret + "@h/db\n"},
		{"secret in store from env", "store: ${SECRET}\n"},
		{"secret with a bad dollar", "apps:\n  - {clientId: a, clientSecret: \"" + secret + "$x\"}\n"},
		{"secret with a bad variable", "apps:\n  - {clientId: a, clientSecret: \"${" + secret + "-}\"}\n"},
		{"secret as a mapping", "apps:\n  - {clientId: a, clientSecret: {v: " + secret + "}}\n"},
		{"secret in an unknown key", "apps:\n  - {clientId: a, secret: " + secret + "}\n"},
		{"secret in the cloud", "connectors:\n  office365: {clientId: x, clientSecret: y, cloud: ${SECRET}}\n"},
		{"bad AURINKO_KEYS", "listen: 127.0.0.1:0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeConfig(t, tc.yaml)
			e := map[string]string{}
			for k, v := range envs {
				e[k] = v
			}
			if tc.name == "bad AURINKO_KEYS" {
				e["AURINKO_KEYS"] = "k1:" + secret
			}
			logs := &syncBuffer{}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, []string{"-config", p, "-keyfile", filepath.Join(t.TempDir(), "k")}, mapEnv(e), logs, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), secret[:10]) || strings.Contains(logs.String(), secret[:10]) {
				t.Fatalf("the secret leaked:\nerror: %s\nlogs: %s", err, logs)
			}
		})
	}
}

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	look := mapEnv(map[string]string{"A": "1", "EMPTY": "", "B_2": "two"})
	for in, want := range map[string]string{
		"plain": "plain", "${A}": "1", "x${A}y${B_2}": "x1ytwo", "$$": "$", "$${A}": "${A}", "${EMPTY}": "", "a$$$$b": "a$$b",
	} {
		got, _, err := expandEnv(in, look)
		if err != nil || got != want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"$", "$A", "${", "${}", "${1A}", "${A", "${NOPE}"} {
		if _, _, err := expandEnv(in, look); err == nil {
			t.Errorf("expandEnv(%q) accepted", in)
		}
	}
}

// TestConfig_providerSections starts the server with the Google and
// Office365 sections filled in (no network call is made at start-up) and
// checks that both connectors are registered; a missing service account
// key file stops start-up naming its key.
func TestConfig_providerSections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgFile := writeConfig(t, `
store: sqlite:`+filepath.Join(dir, "a.db")+`
keys: {file: `+filepath.Join(dir, "a.key")+`}
connectors:
  google: {clientId: g.apps.googleusercontent.com, clientSecret: "${G_SECRET}", hostedDomains: [example.com]}
  office365:
    clientId: 11111111-2222-3333-4444-555555555555
    clientSecret: ${MS_SECRET}
    tenant: organizations
    cloud: usgov
    sso: {apiAppId: "api://addin.example.com/11111111-2222-3333-4444-555555555555", scope: access_as_user}
`)
	base, logs := start(t, []string{"-config", cfgFile}, map[string]string{"G_SECRET": "g-secret-value", "MS_SECRET": "ms-secret-value"})
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d", code)
	}
	if !strings.Contains(logs.String(), "connectors=2") {
		t.Fatalf("want two connectors in the start-up line:\n%s", logs)
	}
	if strings.Contains(logs.String(), "secret-value") {
		t.Fatal("a secret is in the log")
	}

	bad := writeConfig(t, `
store: sqlite:`+filepath.Join(dir, "b.db")+`
keys: {file: `+filepath.Join(dir, "a.key")+`}
connectors:
  google: {clientId: g, clientSecret: s, serviceAccountKeyFile: `+filepath.Join(dir, "missing.json")+`, serviceAccountScopes: [x]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, []string{"-config", bad, "-addr", "127.0.0.1:0"}, mapEnv(nil), io.Discard, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "config: connectors.google.serviceAccountKeyFile: ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigError_staysOneLine(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"apps[0].x\ny", "a\r\nb", "k\x1bc", "é"} {
		msg := errAt(path, "is wrong").Error()
		if strings.ContainsAny(msg, "\r\n\x1b") {
			t.Errorf("errAt(%q) = %q spans lines or carries control bytes", path, msg)
		}
	}
	if got := errAt("apps[0].clientId", "is required").Error(); got != "config: apps[0].clientId: is required" {
		t.Errorf("plain path = %q", got)
	}
}
