package session

import (
	"net/http"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// CookieName returns the name of the session cookie of an app:
// CookiePrefix + "_" + appID, with every byte of appID outside [A-Za-z0-9_]
// written as '-' and two upper-case hex digits ("my-app.x" becomes
// "my-2Dapp-2Ex"). The mapping is one-to-one, so two apps never share a
// cookie.
func (m *Manager) CookieName(appID string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(m.cookiePrefix) + 1 + len(appID))
	b.WriteString(m.cookiePrefix)
	b.WriteByte('_')
	for i := 0; i < len(appID); i++ {
		c := appID[i]
		if plainCookieByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('-')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

func plainCookieByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// cookie returns the session cookie of appID with every attribute but its
// value and lifetime.
func (m *Manager) cookie(appID string) *http.Cookie {
	c := &http.Cookie{
		Name:        m.CookieName(appID),
		Path:        m.cookiePath,
		Domain:      m.cookieDomain,
		HttpOnly:    true,
		Secure:      !m.insecure,
		SameSite:    http.SameSiteNoneMode,
		Partitioned: m.partitioned,
	}
	if m.insecure {
		c.SameSite = http.SameSiteLaxMode
	}
	return c
}

// SetCookie sends the session cookie of appID holding token, to expire with
// the session's absolute ExpiresAt (Expires and Max-Age); idle expiry is
// judged by the server. For a session already past ExpiresAt (or with none)
// the cookie is cleared instead. The response also gets "Cache-Control: no-store"
// unless it has a Cache-Control already. A token that this package could
// not have issued is not sent (and the fault is logged, without the token).
func (m *Manager) SetCookie(w http.ResponseWriter, appID, token string, s store.Session) {
	if !wellFormed(token, sessionPrefix) {
		m.logger.Error("session: SetCookie called with a malformed session token; no cookie sent")
		return
	}
	c := m.cookie(appID)
	c.Value = token
	maxAge := s.ExpiresAt.Sub(m.now())
	if maxAge <= 0 {
		m.ClearCookie(w, appID)
		return
	}
	c.Expires = s.ExpiresAt.UTC()
	c.MaxAge = int((maxAge + time.Second - 1) / time.Second)
	http.SetCookie(w, c)
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
}

// ClearCookie tells the browser to delete the session cookie of appID
// (sign-out). It does not end the session; call [Manager.Destroy] too.
func (m *Manager) ClearCookie(w http.ResponseWriter, appID string) {
	c := m.cookie(appID)
	c.MaxAge = -1
	c.Expires = time.Unix(1, 0).UTC()
	http.SetCookie(w, c)
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
}
