package session

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
)

// DefaultCORSMaxAge is how long browsers may cache a preflight answer when
// CORSConfig.MaxAge is zero.
const DefaultCORSMaxAge = 10 * time.Minute

// What preflight answers allow, and what responses expose.
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, X-Aurinko-Session, X-Aurinko-Account-Id, X-Aurinko-AccountId, X-Aurinko-ClientId, X-Aurinko-Client-Id, X-Aurinko-Mailbox-Info, X-Request-Id"
	corsExposeHeaders = "Retry-After, X-Request-Id"
)

// OriginPolicy decides whether a browser origin may call the API. origin is
// the request's Origin header, already checked to be a well-formed
// "scheme://host[:port]" (http or https, lower case, no path, never
// "null"); compare it as a whole string with the allowed origins, never by
// prefix, suffix or pattern. allowed lets the origin read responses;
// credentials (cookie mode) also lets the browser send its cookies. r is
// the request (a preflight carries no custom headers, but its URL does);
// a policy that looks origins up in a store answers false when the lookup
// fails.
type OriginPolicy func(r *http.Request, origin string) (allowed, credentials bool)

// StaticOrigins returns an OriginPolicy allowing exactly the given origins,
// written as browsers send them ("https://addin.example.com",
// "http://localhost:3000": lower case, no trailing slash, no default port),
// with credentials as given.
func StaticOrigins(credentials bool, origins ...string) OriginPolicy {
	set := make(map[string]struct{}, len(origins))
	for _, o := range origins {
		set[o] = struct{}{}
	}
	return func(_ *http.Request, origin string) (bool, bool) {
		_, ok := set[origin]
		return ok, ok && credentials
	}
}

// CORSConfig configures [CORS].
type CORSConfig struct {
	// Origins decides which origins are allowed. Nil allows none.
	Origins OriginPolicy
	// MaxAge is how long a browser may cache a preflight answer
	// (Access-Control-Max-Age, whole seconds). Zero means
	// DefaultCORSMaxAge (10 minutes); negative sends no Max-Age (browsers
	// then cache for 5 seconds).
	MaxAge time.Duration
}

// CORS returns middleware that lets the allowed browser origins of add-ins
// call the API.
//
//   - Origins match exactly (the policy compares whole strings); "null" and
//     malformed origins are refused without asking the policy.
//   - Every response gets "Vary: Origin", as it depends on it.
//   - A preflight (OPTIONS with Origin and Access-Control-Request-Method)
//     from an allowed origin is answered 204 with the allowed methods
//     (GET, POST, PUT, PATCH, DELETE), request headers (Authorization,
//     Content-Type, If-Match and the X-Aurinko-… headers, X-Request-Id) and
//     Max-Age; from any other origin 403, without CORS headers.
//   - Other requests from an allowed origin get Access-Control-Allow-Origin
//     and Expose-Headers (Retry-After, X-Request-Id), plus
//     Access-Control-Allow-Credentials: true when the policy says
//     credentials. Requests from other origins get no CORS headers, so
//     the browser keeps the response from the page.
//   - A cross-origin request with an unsafe method (POST, PUT, PATCH,
//     DELETE …) from an origin that is not allowed is refused with 403
//     before it reaches the handler (http.CrossOriginProtection decides
//     what is cross-origin): session cookies are SameSite=None, so without
//     this a foreign page could make a signed-in browser send writes (CSRF).
//     Requests without Origin (servers, curl) and same-origin requests pass.
func CORS(cfg CORSConfig) func(http.Handler) http.Handler {
	policy := cfg.Origins
	if policy == nil {
		policy = func(*http.Request, string) (bool, bool) { return false, false }
	}
	maxAge := ""
	switch {
	case cfg.MaxAge == 0:
		maxAge = strconv.Itoa(int(DefaultCORSMaxAge / time.Second))
	case cfg.MaxAge > 0:
		maxAge = strconv.FormatInt(int64((cfg.MaxAge+time.Second-1)/time.Second), 10)
	}
	csrf := http.NewCrossOriginProtection()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Add("Vary", "Origin")
			origins := r.Header.Values("Origin")
			if len(origins) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			allowed, credentials := false, false
			if len(origins) == 1 && wellFormedOrigin(origins[0]) {
				allowed, credentials = policy(r, origins[0])
			}
			if !allowed {
				if preflight {
					apierr.Write(w, r, nil, apierr.New(apierr.Forbidden, "origin not allowed"))
					return
				}
				if err := csrf.Check(r); err != nil {
					apierr.Write(w, r, nil, apierr.New(apierr.Forbidden, "cross-origin request from an origin that is not allowed"))
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			h.Set("Access-Control-Allow-Origin", origins[0])
			if credentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			if preflight {
				h.Set("Access-Control-Allow-Methods", corsAllowMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				if maxAge != "" {
					h.Set("Access-Control-Max-Age", maxAge)
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			next.ServeHTTP(w, r)
		})
	}
}

// wellFormedOrigin reports whether o is an origin as browsers serialize
// it: "http" or "https", "://", a lower-case host and an optional port,
// nothing else. "null" (sandboxed frames, file: pages, redirects) is not.
func wellFormedOrigin(o string) bool {
	if len(o) > 512 || o != strings.ToLower(o) {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Opaque != "" || u.ForceQuery || u.Fragment != "" {
		return false
	}
	return o == u.Scheme+"://"+u.Host && !strings.HasSuffix(u.Host, ":")
}
