package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzDecodeSignature checks the userSignature decoder. Whatever the input,
// an accepted signature is exactly one SHA-256 MAC long. And any 32 bytes
// (the first 32 of the input) are accepted in each encoding the Aurinko API
// names (hex in either case, base64 and base64url, padded or not) and
// decode to those bytes, so a client's correct signature is never refused
// for its encoding.
func FuzzDecodeSignature(f *testing.F) {
	mac := bytes.Repeat([]byte{0xfb}, sha256.Size)
	for _, s := range []string{
		hex.EncodeToString(mac), strings.ToUpper(hex.EncodeToString(mac)),
		base64.StdEncoding.EncodeToString(mac), base64.RawStdEncoding.EncodeToString(mac),
		base64.URLEncoding.EncodeToString(mac), base64.RawURLEncoding.EncodeToString(mac),
		"", "zz", strings.Repeat("g", 64), strings.Repeat("A", 44), base64.StdEncoding.EncodeToString(mac[:31]),
		base64.StdEncoding.EncodeToString(append(mac, 1)), "+/+/" + strings.Repeat("=", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := decodeSignature(s); ok != (got != nil) || (ok && len(got) != sha256.Size) {
			t.Fatalf("decodeSignature(%q) = %x (%d bytes), %v", s, got, len(got), ok)
		}
		if len(s) < sha256.Size {
			return
		}
		want := []byte(s[:sha256.Size])
		encodings := []string{
			hex.EncodeToString(want), strings.ToUpper(hex.EncodeToString(want)),
			base64.StdEncoding.EncodeToString(want), base64.RawStdEncoding.EncodeToString(want),
			base64.URLEncoding.EncodeToString(want), base64.RawURLEncoding.EncodeToString(want),
		}
		for _, enc := range encodings {
			if got, ok := decodeSignature(enc); !ok || !bytes.Equal(got, want) {
				t.Fatalf("decodeSignature(%q) = %x, %v; want %x", enc, got, ok, want)
			}
		}
	})
}
