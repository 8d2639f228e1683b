package endpoint

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"https://login.example.com/x", ""},
		{"http://127.0.0.1:8080/x", ""},
		{"http://localhost/x", ""},
		{"http://[::1]:9/x", ""},
		{"", "is required"},
		{"/relative", "not an absolute URL"},
		{"https://user:pw@example.com", "not an absolute URL"},
		{"http://example.com/x", "http only for loopback"},
		{"http://127.0.0.1.evil.example/x", "http only for loopback"},
		{"ftp://example.com", "must use https"},
		{"::", "not an absolute URL"},
	}
	for _, tc := range tests {
		err := Check("x", "TokenURL", tc.in)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x: TokenURL")) {
			t.Errorf("Check(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestMergeScopes(t *testing.T) {
	t.Parallel()
	if got := MergeScopes([]string{"openid", "", "a"}, nil, []string{"a", "b"}); !slices.Equal(got, []string{"openid", "a", "b"}) {
		t.Fatalf("MergeScopes = %v", got)
	}
}
