// Package endpoint holds the checks every connector makes of the provider
// URLs it is configured with, and the scope-list merge they share.
package endpoint

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check accepts an absolute https URL without user info, or an http one
// for a loopback host (tests, local development, the sandbox). Errors start
// with prefix (the connector's package name) and name the setting.
func Check(prefix, name, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s: %s is required", prefix, name)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("%s: %s %q is not an absolute URL", prefix, name, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s: %s %q must use https (http only for loopback hosts)", prefix, name, raw)
	}
	return fmt.Errorf("%s: %s %q must use https", prefix, name, raw)
}

// MergeScopes joins scope lists, dropping empty entries and duplicates and
// keeping the first order.
func MergeScopes(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
