package admin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// principalKey is the context key of the admin principal.
type principalKey struct{}

// principal returns who the request was admitted as: "basic:<user>" or
// "host" (Config.Authorize).
func principal(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

// basicCache remembers the HMAC of the last HTTP Basic credentials that
// passed bcrypt, so that a signed-in browser does not pay bcrypt's cost on
// every request. The key is random per console and never leaves memory.
type basicCache struct {
	key []byte
	mu  sync.Mutex
	ok  []byte
}

func (b *basicCache) digest(user, pass string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(pass))
	return m.Sum(nil)
}

// checkBasic reports whether user and pass are the console's credentials.
// The user name is compared in constant time and bcrypt runs whether or not
// it matched, so timing tells nothing about which half was wrong.
func (c *console) checkBasic(user, pass string) bool {
	d := c.basic.digest(user, pass)
	c.basic.mu.Lock()
	cached := c.basic.ok
	c.basic.mu.Unlock()
	if cached != nil && hmac.Equal(cached, d) {
		return true
	}
	want := sha256.Sum256([]byte(c.username))
	got := sha256.Sum256([]byte(user))
	userOK := subtle.ConstantTimeCompare(want[:], got[:]) == 1
	passOK := bcrypt.CompareHashAndPassword(c.hash, []byte(pass)) == nil
	if userOK && passOK {
		c.basic.mu.Lock()
		c.basic.ok = d
		c.basic.mu.Unlock()
		return true
	}
	return false
}

// authenticate admits requests with the console's own credentials and
// answers 401 to every other, whatever else they carry (an aurinko session
// cookie or bearer token counts for nothing here).
func (c *console) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := ""
		if c.authorize != nil && c.authorize(r) {
			who = "host"
		} else if c.hash != nil {
			if user, pass, ok := r.BasicAuth(); ok && c.checkBasic(user, pass) {
				who = "basic:" + user
			}
		}
		if who == "" {
			if c.hash != nil {
				w.Header().Set("WWW-Authenticate", `Basic realm="aurinko admin", charset="UTF-8"`)
			}
			c.fail(w, r, errUnauthorized())
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, who)))
	})
}

// csrfToken returns a token for the forms of a page: the issue time and an
// HMAC of it and the admin principal under the console's key.
func (c *console) csrfToken(who string) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(c.now().Unix()))
	return base64.RawURLEncoding.EncodeToString(append(ts[:], c.csrfMAC(who, ts[:])...))
}

func (c *console) csrfMAC(who string, ts []byte) []byte {
	m := hmac.New(sha256.New, c.csrfKey)
	m.Write([]byte("aurinko-admin-csrf\x00"))
	m.Write([]byte(who))
	m.Write([]byte{0})
	m.Write(ts)
	return m.Sum(nil)
}

// checkCSRF reports whether tok was issued to who within the TTL.
func (c *console) checkCSRF(who, tok string) bool {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(raw) != 8+sha256.Size {
		return false
	}
	if !hmac.Equal(raw[8:], c.csrfMAC(who, raw[:8])) {
		return false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	age := c.now().Sub(issued)
	return age > -time.Minute && age <= c.csrfTTL
}
