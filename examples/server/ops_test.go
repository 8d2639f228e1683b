package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestServer_adminConsoleAndMetrics: a config with admin and metrics
// serves the console behind its own credentials and a Prometheus endpoint
// with the server's metrics.
func TestServer_adminConsoleAndMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("console-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "aurinko.yaml")
	if err := os.WriteFile(cfgPath, []byte(`
store: sqlite:`+filepath.Join(dir, "a.db")+`
keys:
  file: `+filepath.Join(dir, "keys")+`
admin:
  path: /ops/admin
  passwordHash: ${ADMIN_HASH}
metrics:
  path: /ops/metrics
`), 0o600); err != nil {
		t.Fatal(err)
	}
	base, logs := start(t, []string{"-config", cfgPath}, map[string]string{"ADMIN_HASH": string(hash)})
	// Some traffic for the metrics.
	if code, _ := get(t, base+"/v1/user"); code != http.StatusUnauthorized {
		t.Fatalf("GET /v1/user = %d", code)
	}
	code, body := get(t, base+"/ops/metrics")
	if code != 200 || !strings.Contains(body, "http_server_request_duration") || !strings.Contains(body, "aurinko_jobs_queue") {
		t.Fatalf("metrics = %d:\n%.2000s", code, body)
	}
	// The console: refused without, with wrong, and with a user's bearer
	// credentials; admitted with its own.
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"none", func(*http.Request) {}, 401},
		{"wrong", func(r *http.Request) { r.SetBasicAuth("admin", "nope") }, 401},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ses_whatever") }, 401},
		{"right", func(r *http.Request) { r.SetBasicAuth("admin", "console-secret") }, 200},
	} {
		req, _ := http.NewRequest("GET", base+"/ops/admin/", nil)
		tc.set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("console with %s credentials = %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	// The JSON API for scripts under /v1/am/admin, with the same
	// credentials; the app-management API next to it is untouched.
	for _, tc := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"admin", "nope", 401}, {"admin", "console-secret", 200}} {
		req, _ := http.NewRequest("GET", base+"/v1/am/admin/accounts", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /v1/am/admin/accounts as %q = %d, want %d\n%s", tc.user, resp.StatusCode, tc.want, logs.String())
		}
	}
	if code, body := get(t, base+"/v1/am/accounts"); code != http.StatusUnauthorized || !strings.Contains(body, `"code"`) {
		t.Errorf("the app-management API = %d %s, want its own 401", code, body)
	}
	if strings.Contains(logs.String(), "console-secret") || strings.Contains(logs.String(), string(hash)) {
		t.Fatal("the console's credentials reached the log")
	}
}

func TestConfig_opsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  config
		want string
	}{
		{config{Admin: adminConfig{Path: "admin"}}, "admin.path"},
		{config{Admin: adminConfig{Path: "/admin/"}}, "admin.path"},
		{config{Admin: adminConfig{Path: "/v1/admin", PasswordHash: "x"}}, "admin.path"},
		{config{Admin: adminConfig{Path: "/a/../b"}}, "admin.path"},
		{config{Admin: adminConfig{Path: "/admin"}}, "admin.passwordHash"},
		{config{Admin: adminConfig{Path: "/admin", PasswordHash: "plaintext"}}, "admin.passwordHash"},
		{config{Metrics: metricsConfig{Path: "/healthz"}}, "metrics.path"},
		{config{Admin: adminConfig{Path: "/ops", PasswordHash: "$2a$04$" + strings.Repeat("a", 53)}, Metrics: metricsConfig{Path: "/ops"}}, "metrics.path"},
	} {
		err := tc.cfg.validateOps()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("validateOps(%+v) = %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
	ok := config{Sandbox: true, Admin: adminConfig{Path: "/admin"}, Metrics: metricsConfig{Path: "/metrics"}}
	if err := ok.validateOps(); err != nil {
		t.Errorf("sandbox console without a hash: %v", err)
	}
}
