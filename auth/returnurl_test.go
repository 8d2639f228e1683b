package auth

import (
	"strings"
	"testing"
)

func TestMatchReturnURL(t *testing.T) {
	t.Parallel()
	allowed := []string{
		"https://app.example.com/auth/done",
		"https://addin.example.com/cb/*",
		"http://localhost:3000/callback",
		"https://APP2.example.com:8443/x",
		"not a url",
		"https://q.example.com/p?x=1", // entries with a query never match
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"https://app.example.com/auth/done", true},
		{"https://app.example.com/auth/done?x=1&y=2", true},
		{"https://APP.Example.COM/auth/done", true},
		{"HTTPS://app.example.com/auth/done", true},
		{"https://app.example.com:443/auth/done", true},
		{"https://addin.example.com/cb/x", true},
		{"https://addin.example.com/cb/x/y.html", true},
		{"http://localhost:3000/callback", true},
		{"https://app2.example.com:8443/x", true},
		// hostile
		{"", false},
		{"https://app.example.com/auth/done/", false},
		{"https://app.example.com/auth/don", false},
		{"https://app.example.com/auth/done2", false},
		{"https://app.example.com/AUTH/done", false},
		{"http://app.example.com/auth/done", false},
		{"https://app.example.com:444/auth/done", false},
		{"https://app.example.com.evil.com/auth/done", false},
		{"https://evil.com/auth/done", false},
		{"https://evil.com?https://app.example.com/auth/done", false},
		{"//evil.com/auth/done", false},
		{"//app.example.com/auth/done", false},
		{"/auth/done", false},
		{"javascript:alert(1)//app.example.com/auth/done", false},
		{"JavaScript://app.example.com/auth/done", false},
		{"data:text/html,hi", false},
		{"https://app.example.com@evil.com/auth/done", false},
		{"https://evil.com@app.example.com/auth/done", false},
		{"https://user:pw@app.example.com/auth/done", false},
		{"https://app.example.com/auth/done#frag", false},
		{"https://app.example.com/auth/done#", false},
		{"https://app.example.com/auth/done?", false},
		{"https://app.example.com\\@evil.com/auth/done", false},
		{"https://app.example.com/auth/done\\..\\x", false},
		{"https://app.example.com/auth%2fdone", false},
		{"https://app.example.com/auth%2Fdone", false},
		{"https://addin.example.com/cb/..%2fx", false},
		{"https://addin.example.com/cb/%2e%2e/x", false},
		{"https://addin.example.com/cb/../admin", false},
		{"https://addin.example.com/cb/./x", false},
		{"https://addin.example.com/cb//evil.com", false},
		{"https://addin.example.com/cb", false},
		{"https://addin.example.com/cb/", false},
		{"https://addin.example.com/cbx", false},
		{"https://app.example.com/auth/done\n", false},
		{"https://app.example.com/auth/done\x00", false},
		{"https://app.example.com /auth/done", false},
		{"https://app.exаmple.com/auth/done", false}, // Cyrillic a
		{"https://app.example.com%2eevil.com/auth/done", false},
		{"https://app.example.com:/auth/done", false},
		{"https://app.example.com:+443/auth/done", false},
		{"https://app.example.com:99999999/auth/done", false},
		{"ftp://app.example.com/auth/done", false},
		{"not a url", false},
		{"https://q.example.com/p?x=1", false},
		{"https://" + strings.Repeat("a", 2100) + ".com/", false},
	}
	for _, tc := range tests {
		u, err := MatchReturnURL(tc.in, allowed)
		if got := err == nil; got != tc.want {
			t.Errorf("MatchReturnURL(%q) allowed = %v, want %v (url %v)", tc.in, got, tc.want, u)
		}
	}
}

func FuzzMatchReturnURL(f *testing.F) {
	allowed := []string{"https://app.example.com/auth/done", "https://addin.example.com/cb/*"}
	for _, s := range []string{"https://app.example.com/auth/done", "https://addin.example.com/cb/x", "//evil", "https://a@b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := MatchReturnURL(in, allowed)
		if err != nil {
			return
		}
		h := u.Hostname()
		if h != "app.example.com" && h != "addin.example.com" || u.Scheme != "https" || u.User != nil || u.Fragment != "" {
			t.Fatalf("accepted %q as %v", in, u)
		}
		if h == "addin.example.com" && !strings.HasPrefix(u.Path, "/cb/") || h == "app.example.com" && u.Path != "/auth/done" {
			t.Fatalf("accepted %q with path %q", in, u.Path)
		}
	})
}
