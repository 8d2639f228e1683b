package session

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	const (
		addin  = "https://addin.example.com"
		bearer = "https://bearer.example.com" // allowed without credentials
	)
	policy := func(r *http.Request, origin string) (bool, bool) {
		if ok, cred := StaticOrigins(true, addin, "http://localhost:3000")(r, origin); ok {
			return ok, cred
		}
		return StaticOrigins(false, bearer)(r, origin)
	}
	type want struct {
		status      int
		allowOrigin string // "" means no CORS headers at all
		credentials bool
		preflight   bool // Allow-Methods/Headers/Max-Age present
		reached     bool // the handler ran
	}
	tests := []struct {
		name    string
		method  string
		origin  []string
		headers []string
		want    want
	}{
		{"no origin", "GET", nil, nil, want{status: 200, reached: true}},
		{"allowed origin", "GET", []string{addin}, nil, want{200, addin, true, false, true}},
		{"allowed origin, POST", "POST", []string{addin}, nil, want{200, addin, true, false, true}},
		{"allowed localhost with port", "GET", []string{"http://localhost:3000"}, nil, want{200, "http://localhost:3000", true, false, true}},
		{"allowed without credentials", "GET", []string{bearer}, nil, want{200, bearer, false, false, true}},
		{"other origin, GET", "GET", []string{"https://evil.example.com"}, nil, want{status: 200, reached: true}},
		{"trailing slash", "GET", []string{addin + "/"}, nil, want{status: 200, reached: true}},
		{"with a path", "GET", []string{addin + "/x"}, nil, want{status: 200, reached: true}},
		{"other port", "GET", []string{addin + ":8443"}, nil, want{status: 200, reached: true}},
		{"explicit default port", "GET", []string{addin + ":443"}, nil, want{status: 200, reached: true}},
		{"other scheme", "GET", []string{"http://addin.example.com"}, nil, want{status: 200, reached: true}},
		{"other localhost port", "GET", []string{"http://localhost:3001"}, nil, want{status: 200, reached: true}},
		{"upper case", "GET", []string{"https://ADDIN.example.com"}, nil, want{status: 200, reached: true}},
		{"null", "GET", []string{"null"}, nil, want{status: 200, reached: true}},
		{"suffix attack", "GET", []string{addin + ".evil.com"}, nil, want{status: 200, reached: true}},
		{"prefix attack", "GET", []string{"https://evil-addin.example.com"}, nil, want{status: 200, reached: true}},
		{"userinfo", "GET", []string{"https://addin.example.com@evil.com"}, nil, want{status: 200, reached: true}},
		{"two origins", "GET", []string{addin, addin}, nil, want{status: 200, reached: true}},
		{"wildcard", "GET", []string{"*"}, nil, want{status: 200, reached: true}},
		{"preflight allowed", "OPTIONS", []string{addin}, []string{"Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization,x-aurinko-accountid"},
			want{204, addin, true, true, false}},
		{"preflight allowed, no credentials", "OPTIONS", []string{bearer}, []string{"Access-Control-Request-Method: GET"}, want{204, bearer, false, true, false}},
		{"preflight disallowed", "OPTIONS", []string{"https://evil.example.com"}, []string{"Access-Control-Request-Method: POST"}, want{status: 403}},
		{"preflight suffix attack", "OPTIONS", []string{addin + ".evil.com"}, []string{"Access-Control-Request-Method: POST"}, want{status: 403}},
		{"preflight null", "OPTIONS", []string{"null"}, []string{"Access-Control-Request-Method: POST"}, want{status: 403}},
		{"plain OPTIONS is not a preflight", "OPTIONS", []string{addin}, nil, want{200, addin, true, false, true}},
		// Writes from foreign pages never reach the handler (CSRF).
		{"cross-site POST from another origin", "POST", []string{"https://evil.example.com"}, []string{"Sec-Fetch-Site: cross-site"}, want{status: 403}},
		{"cross-site POST, no Sec-Fetch-Site", "DELETE", []string{"https://evil.example.com"}, nil, want{status: 403}},
		{"null-origin POST", "POST", []string{"null"}, []string{"Sec-Fetch-Site: cross-site"}, want{status: 403}},
		{"same-origin POST", "POST", []string{"https://api.example.com"}, []string{"Sec-Fetch-Site: same-origin"}, want{status: 200, reached: true}},
		{"same-origin POST, no Sec-Fetch-Site", "POST", []string{"https://api.example.com"}, nil, want{status: 200, reached: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reached := false
			h := CORS(CORSConfig{Origins: policy, MaxAge: 90 * time.Second})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				w.Header().Set("X-Request-Id", "r1")
			}))
			r := httptest.NewRequest(tc.method, "https://api.example.com/v1/user", nil)
			for _, o := range tc.origin {
				r.Header.Add("Origin", o)
			}
			for _, kv := range tc.headers {
				k, v, _ := strings.Cut(kv, ": ")
				r.Header.Add(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			res := rec.Result()
			if res.StatusCode != tc.want.status || reached != tc.want.reached {
				t.Fatalf("status %d, reached %v; want %d, %v", res.StatusCode, reached, tc.want.status, tc.want.reached)
			}
			if !slices.Contains(res.Header.Values("Vary"), "Origin") {
				t.Errorf("Vary = %q", res.Header.Values("Vary"))
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.want.allowOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, tc.want.allowOrigin)
			}
			if got := res.Header.Get("Access-Control-Allow-Credentials"); (got == "true") != tc.want.credentials || (got != "" && got != "true") {
				t.Errorf("Allow-Credentials = %q", got)
			}
			methods, headers, maxAge := res.Header.Get("Access-Control-Allow-Methods"), res.Header.Get("Access-Control-Allow-Headers"), res.Header.Get("Access-Control-Max-Age")
			if tc.want.preflight {
				if methods != "GET, POST, PUT, PATCH, DELETE" || maxAge != "90" {
					t.Errorf("Allow-Methods %q, Max-Age %q", methods, maxAge)
				}
				for _, want := range []string{"Authorization", "Content-Type", "If-Match", "X-Aurinko-Session", "X-Aurinko-Account-Id",
					"X-Aurinko-AccountId", "X-Aurinko-ClientId", "X-Aurinko-Client-Id", "X-Aurinko-Mailbox-Info", "X-Request-Id"} {
					if !slices.Contains(strings.Split(headers, ", "), want) {
						t.Errorf("Allow-Headers %q lacks %s", headers, want)
					}
				}
			} else if methods != "" || headers != "" || maxAge != "" {
				t.Errorf("preflight headers on a non-preflight answer: %q %q %q", methods, headers, maxAge)
			}
			expose := res.Header.Get("Access-Control-Expose-Headers")
			if wantExpose := tc.want.allowOrigin != "" && !tc.want.preflight; (expose == "Retry-After, X-Request-Id") != wantExpose {
				t.Errorf("Expose-Headers = %q", expose)
			}
			if tc.want.allowOrigin == "" {
				for k := range res.Header {
					if strings.HasPrefix(k, "Access-Control-") {
						t.Errorf("CORS header %s on a refused origin", k)
					}
				}
			}
		})
	}
}

func TestCORS_maxAgeAndNilPolicy(t *testing.T) {
	t.Parallel()
	preflight := func(cfg CORSConfig) *http.Response {
		r := httptest.NewRequest(http.MethodOptions, "/", nil)
		r.Header.Set("Origin", "https://a.example.com")
		r.Header.Set("Access-Control-Request-Method", "GET")
		rec := httptest.NewRecorder()
		CORS(cfg)(http.NotFoundHandler()).ServeHTTP(rec, r)
		return rec.Result()
	}
	allow := StaticOrigins(false, "https://a.example.com")
	for _, tc := range []struct {
		maxAge time.Duration
		want   string
	}{{0, "600"}, {-1, ""}, {1500 * time.Millisecond, "2"}, {2 * time.Hour, "7200"}} {
		if got := preflight(CORSConfig{Origins: allow, MaxAge: tc.maxAge}).Header.Get("Access-Control-Max-Age"); got != tc.want {
			t.Errorf("MaxAge %v: header %q, want %q", tc.maxAge, got, tc.want)
		}
	}
	if res := preflight(CORSConfig{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("nil policy: status %d", res.StatusCode)
	}
}

func TestCORS_policyNeverSeesMalformedOrigins(t *testing.T) {
	t.Parallel()
	var asked []string
	policy := func(_ *http.Request, origin string) (bool, bool) {
		asked = append(asked, origin)
		return true, true
	}
	h := CORS(CORSConfig{Origins: policy})(http.NotFoundHandler())
	for _, o := range []string{"null", "*", "https://a.example.com/", "https://a.example.com/p", "https://a.example.com?q", "https://a.example.com#f",
		"https://u@a.example.com", "HTTPS://a.example.com", "ftp://a.example.com", "a.example.com", "https://", "https://a.example.com:", "javascript:alert(1)",
		"https://a.example.com\r\nX: y", strings.Repeat("a", 600)} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Origin"] = []string{o}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	if len(asked) != 0 {
		t.Fatalf("policy asked about %q", asked)
	}
}
