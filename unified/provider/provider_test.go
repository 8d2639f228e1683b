package provider

import (
	"errors"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"AAMkAGI2TGuLAAA=", true},
		{"alice@example.com", true},
		{"c1234567890", true},
		{"abc_20261102T140000Z", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a?b", false},
		{"a#b", false},
		{"a%2Fb", false},
		{"a b", false},
		{"a\x00b", false},
		{"é", false},
		{strings.Repeat("a", MaxIDLength), true},
		{strings.Repeat("a", MaxIDLength+1), false},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	t.Parallel()
	cause := errors.New("boom")
	err := error(&Error{Kind: ErrPrecondition, Message: "etag mismatch", Status: 412, Err: cause})
	if !errors.Is(err, ErrPrecondition) || !errors.Is(err, cause) {
		t.Fatalf("errors.Is failed for %v", err)
	}
	if got := err.Error(); got != "provider: precondition failed: etag mismatch: boom" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(Unsupported("x"), errors.ErrUnsupported) {
		t.Fatal("Unsupported is not ErrUnsupported")
	}
}
