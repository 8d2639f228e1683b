package auth

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// maxReturnURL bounds the length of a return URL.
const maxReturnURL = 2048

// errReturnURL is the one error a rejected return URL gets: the page says
// the URL is not allowed, never why (that would help an attacker probe).
var errReturnURL = errors.New("auth: returnUrl is not allowed for this app")

// MatchReturnURL reports whether candidate is allowed by one of the app's
// registered return URLs, and returns it parsed.
//
// Rules (no open redirect):
//   - Only absolute http and https URLs; the scheme, host and port must equal
//     the registered entry's exactly (host compared without case; a missing
//     port means the scheme's default). Non-ASCII hosts are refused.
//   - No user info (https://allowed@evil), no fragment, no backslashes,
//     control characters or spaces, no encoded slashes or dots (%2f, %5c,
//     %2e) in the path, no "." or ".." segments, no empty segments ("//").
//   - The path must equal the entry's path, or, when the entry ends in "/*",
//     lie below the entry's directory ("https://app.example/auth/*" allows
//     /auth/done and /auth/x/y, not /auth or /authx).
//   - A query is allowed and kept; the server appends its own parameters.
func MatchReturnURL(candidate string, allowed []string) (*url.URL, error) {
	u, ok := parseStrict(candidate)
	if !ok {
		return nil, errReturnURL
	}
	for _, entry := range allowed {
		prefix := strings.HasSuffix(entry, "/*")
		e, ok := parseStrict(strings.TrimSuffix(entry, "*"))
		if !ok || e.RawQuery != "" {
			continue
		}
		if e.Scheme != u.Scheme || e.Hostname() != u.Hostname() || effectivePort(e) != effectivePort(u) {
			continue
		}
		ep, up := pathOf(e), pathOf(u)
		if prefix {
			if strings.HasPrefix(up, ep) && len(up) > len(ep) {
				return u, nil
			}
		} else if up == ep {
			return u, nil
		}
	}
	return nil, errReturnURL
}

// parseStrict parses an absolute http(s) URL that passes the rules above,
// normalizing scheme and host to lower case.
func parseStrict(raw string) (*url.URL, bool) {
	if raw == "" || len(raw) > maxReturnURL {
		return nil, false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' {
			return nil, false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || u.Fragment != "" || u.ForceQuery {
		return nil, false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, "%@") {
		return nil, false
	}
	if port := u.Port(); port != "" {
		if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return nil, false
		}
		u.Host = net.JoinHostPort(host, port)
	} else {
		if strings.HasSuffix(u.Host, ":") {
			return nil, false
		}
		u.Host = host
		if strings.Contains(host, ":") { // IPv6 literal without port
			u.Host = "[" + host + "]"
		}
	}
	lowerRaw := strings.ToLower(u.EscapedPath())
	if strings.Contains(lowerRaw, "%2f") || strings.Contains(lowerRaw, "%5c") || strings.Contains(lowerRaw, "%2e") || strings.Contains(lowerRaw, "%00") {
		return nil, false
	}
	p := u.Path
	if p != "" && !strings.HasPrefix(p, "/") {
		return nil, false
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		if s == "." || s == ".." || s == "" && i > 0 && !last {
			return nil, false
		}
	}
	return u, true
}

func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return strings.TrimLeft(p, "0")
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// withParams returns u with params added to its query.
func withParams(u *url.URL, params url.Values) string {
	v := u.Query()
	for k, vs := range params {
		v.Del(k)
		for _, x := range vs {
			if x != "" {
				v.Add(k, x)
			}
		}
	}
	out := *u
	out.RawQuery = v.Encode()
	return out.String()
}
