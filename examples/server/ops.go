package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/admin"
)

// adminConfig turns on the admin console (package admin) under Path, with
// HTTP Basic credentials of its own (never a user session or an account
// token).
type adminConfig struct {
	// Path is where the console is mounted, e.g. /admin. Empty: no
	// console.
	Path string `yaml:"path"`
	// Username is the HTTP Basic user (default admin).
	Username string `yaml:"username"`
	// PasswordHash is the bcrypt hash of the password (htpasswd -B, or
	// bcrypt.GenerateFromPassword), usually ${AURINKO_ADMIN_PASSWORD_HASH}.
	// Required with Path, except in the sandbox, where the console
	// admits requests from loopback addresses instead.
	PasswordHash string `yaml:"passwordHash" secret:"true"`
}

// metricsConfig turns on a Prometheus scrape endpoint fed by the
// OpenTelemetry Prometheus exporter with the server's metrics (token
// refreshes, provider calls, webhook deliveries, job queue depth, session
// lookups, request durations).
type metricsConfig struct {
	// Path is where the endpoint is served, e.g. /metrics. Empty: no
	// metrics are collected.
	Path string `yaml:"path"`
}

// reservedPaths are the example server's own paths: the console and the
// metrics endpoint may not sit under them.
var reservedPaths = []string{"/v1", "/addin", "/sandbox", "/healthz", "/readyz"}

func checkMountPath(key, p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, " ?#{}%\\") || strings.Contains(p, "..") || len(p) > 64 {
		return errAt(key, "want a path such as /admin (leading /, no trailing /), got %q", p)
	}
	for _, r := range reservedPaths {
		if p == r || strings.HasPrefix(p, r+"/") || strings.HasPrefix(r, p+"/") {
			return errAt(key, "%q overlaps the server's own %s", p, r)
		}
	}
	return nil
}

// validateOps checks the admin and metrics sections.
func (c *config) validateOps() error {
	if err := checkMountPath("admin.path", c.Admin.Path); err != nil {
		return err
	}
	if err := checkMountPath("metrics.path", c.Metrics.Path); err != nil {
		return err
	}
	if c.Admin.Path != "" && c.Admin.Path == c.Metrics.Path {
		return errAt("metrics.path", "is the same as admin.path")
	}
	if h := c.Admin.PasswordHash; h != "" && !(len(h) == 60 && (strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$"))) {
		return errAt("admin.passwordHash", "is not a bcrypt hash (htpasswd -B or bcrypt.GenerateFromPassword)")
	}
	if c.Admin.Path != "" && c.Admin.PasswordHash == "" && !c.Sandbox {
		return errAt("admin.passwordHash", "is required with admin.path (the console has credentials of its own)")
	}
	return nil
}

// newMetrics returns a MeterProvider that feeds a Prometheus registry of
// its own (no global registry) and the scrape handler for it.
func newMetrics() (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// adminAPIPath is where, under the API's base path, the console's JSON API
// is mounted: /v1/am/admin/users, /v1/am/admin/accounts ...
const adminAPIPath = "/am/admin"

// mountAdmin mounts the console at cfg.Path and its JSON API under the
// API's base path at adminAPIPath.
func mountAdmin(mux *http.ServeMux, cfg adminConfig, srv *aurinko.Server, sandbox bool, logger *slog.Logger) error {
	apiBase := srv.BasePath()
	acfg := admin.Config{Accounts: srv.Accounts(), Keyring: srv.Keyring(), Username: cfg.Username, PasswordHash: cfg.PasswordHash,
		BasePath: cfg.Path, Logger: logger}
	if sandbox && cfg.PasswordHash == "" {
		// The sandbox's console answers only this machine.
		acfg.Authorize = func(r *http.Request) bool {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			ip := net.ParseIP(host)
			return err == nil && ip != nil && ip.IsLoopback()
		}
	}
	console, err := admin.New(acfg)
	if err != nil {
		return fmt.Errorf("config: admin: %w", err)
	}
	mux.Handle(cfg.Path+"/", http.StripPrefix(cfg.Path, console))
	mux.Handle(cfg.Path, http.RedirectHandler(cfg.Path+"/", http.StatusSeeOther))
	// The console's JSON API for scripts, with the console's credentials,
	// next to the app-management API (/v1/am/accounts ..., which apps call
	// with their client credentials and the aurinko handler serves).
	mux.Handle(apiBase+adminAPIPath+"/", http.StripPrefix(apiBase+adminAPIPath, console.API()))
	return nil
}
