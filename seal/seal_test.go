package seal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko/store"
)

func mustKey(t testing.TB, id string, fill byte) Key {
	t.Helper()
	return Key{ID: id, Secret: bytes.Repeat([]byte{fill}, KeySize)}
}

func mustRing(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

func TestSealOpen_roundTrip(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, mustKey(t, "k1", 1))
	for _, plain := range [][]byte{nil, {}, []byte("refresh-token-123"), bytes.Repeat([]byte{0, 0xff}, 5000)} {
		sealed, err := kr.Seal(plain)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(plain) > 4 && bytes.Contains(sealed, plain) {
			t.Fatalf("sealed value contains the plaintext")
		}
		got, err := kr.Open(sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) || got == nil {
			t.Fatalf("Open = %q, want %q (non-nil)", got, plain)
		}
		if id, _ := KeyID(sealed); id != "k1" {
			t.Fatalf("KeyID = %q, want k1", id)
		}
	}
}

func TestOpenInPlace(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, mustKey(t, "k1", 1))
	sealed, _ := kr.Seal([]byte("refresh-token"))
	got, err := kr.OpenInPlace(bytes.Clone(sealed))
	if err != nil || string(got) != "refresh-token" {
		t.Fatalf("OpenInPlace = %q, %v", got, err)
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	if _, err := kr.OpenInPlace(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("tampered: %v", err)
	}
	for _, in := range [][]byte{nil, {}, sealed[:5], []byte("S1\x02zz" + strings.Repeat("x", 40))} {
		if _, err := kr.OpenInPlace(bytes.Clone(in)); err == nil {
			t.Fatalf("OpenInPlace(%q) succeeded", in)
		}
	}
}

func TestSeal_nonceIsFresh(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, mustKey(t, "k1", 1))
	a, _ := kr.Seal([]byte("same"))
	b, _ := kr.Seal([]byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal: nonce reused")
	}
}

func TestOpen_anyKeyOfRingOpens(t *testing.T) {
	t.Parallel()
	old := mustRing(t, mustKey(t, "old", 1))
	sealedOld, _ := old.Seal([]byte("secret"))
	rotated := mustRing(t, mustKey(t, "new", 2), mustKey(t, "old", 1))
	got, err := rotated.Open(sealedOld)
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open(old) = %q, %v", got, err)
	}
	sealedNew, _ := rotated.Seal([]byte("x"))
	if id, _ := KeyID(sealedNew); id != "new" {
		t.Fatalf("primary seals with %q, want new", id)
	}
	if rotated.PrimaryKeyID() != "new" || strings.Join(rotated.KeyIDs(), ",") != "new,old" {
		t.Fatalf("ids = %v primary %v", rotated.KeyIDs(), rotated.PrimaryKeyID())
	}
}

func TestOpen_rejectsHostileValues(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, mustKey(t, "k1", 1), mustKey(t, "k2", 2))
	good, _ := kr.Seal([]byte("access-token"))
	other := mustRing(t, mustKey(t, "k1", 9)) // same id, different secret
	foreign, _ := other.Seal([]byte("access-token"))
	unknown, _ := mustRing(t, mustKey(t, "zz", 3)).Seal([]byte("x"))
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x01
		return b
	}
	relabel := bytes.Clone(good)
	relabel[4] = '2' // "k1" -> "k2": header is authenticated, so this must fail
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"nil", nil, ErrCorrupt},
		{"empty", []byte{}, ErrCorrupt},
		{"plaintext", []byte("access-token"), ErrCorrupt},
		{"magic only", []byte("S1"), ErrCorrupt},
		{"zero id length", []byte{'S', '1', 0}, ErrCorrupt},
		{"id length past end", []byte{'S', '1', 30, 'k'}, ErrCorrupt},
		{"id length too big", append([]byte{'S', '1', 200}, bytes.Repeat([]byte{'a'}, 200)...), ErrCorrupt},
		{"bad id chars", append([]byte{'S', '1', 2, '/', 0}, make([]byte, 40)...), ErrCorrupt},
		{"truncated to header", good[:5], ErrCorrupt},
		{"truncated mid nonce", good[:10], ErrCorrupt},
		{"truncated tag", good[:len(good)-1], ErrCorrupt},
		{"flipped nonce bit", flip(6), ErrCorrupt},
		{"flipped ciphertext bit", flip(len(good) - 20), ErrCorrupt},
		{"flipped tag bit", flip(len(good) - 1), ErrCorrupt},
		{"relabelled key id", relabel, ErrCorrupt},
		{"same id other secret", foreign, ErrCorrupt},
		{"unknown key id", unknown, ErrUnknownKey},
		{"appended byte", append(bytes.Clone(good), 0), ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kr.Open(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open err = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Fatalf("Open returned data with an error")
			}
			if strings.Contains(err.Error(), "access-token") {
				t.Fatalf("error leaks plaintext: %v", err)
			}
		})
	}
}

func TestNewKeyring_rejectsBadKeys(t *testing.T) {
	t.Parallel()
	good := mustKey(t, "k1", 1)
	tests := []struct {
		name string
		keys []Key
		want error
	}{
		{"none", nil, ErrNoKeys},
		{"short secret", []Key{{ID: "k", Secret: make([]byte, 16)}}, ErrBadKey},
		{"long secret", []Key{{ID: "k", Secret: make([]byte, 33)}}, ErrBadKey},
		{"empty id", []Key{{ID: "", Secret: good.Secret}}, ErrBadKey},
		{"id with colon", []Key{{ID: "a:b", Secret: good.Secret}}, ErrBadKey},
		{"id too long", []Key{{ID: strings.Repeat("a", 33), Secret: good.Secret}}, ErrBadKey},
		{"duplicate id", []Key{good, good}, ErrBadKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewKeyring(tc.keys...); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k, err := GenerateKey("2026-11", nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(FormatKey(k))
	if err != nil || back.ID != k.ID || !bytes.Equal(back.Secret, k.Secret) {
		t.Fatalf("ParseKey(FormatKey) = %v, %v", back, err)
	}
	raw := strings.TrimRight(FormatKey(k), "=")
	if _, err := ParseKey(raw); err != nil {
		t.Fatalf("unpadded: %v", err)
	}
	hostile := []string{
		"", "nocolon", ":" + strings.Repeat("A", 44), "id:", "id:!!!!", "id:AAAA",
		"bad id:" + FormatKey(k)[len(k.ID)+1:], "id:" + strings.Repeat("A", 64),
	}
	for _, s := range hostile {
		if _, err := ParseKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q) err = %v, want ErrBadKey", s, err)
		}
	}
}

func TestKey_stringRedactsSecret(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "k1", 'Z')
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, "ZZZZ") || strings.Contains(s, FormatKey(k)[3:]) {
			t.Fatalf("formatted key shows its secret: %s", s)
		}
	}
}

// fakeResealer holds secrets in a slice and applies fn to each, like a store.
type fakeResealer struct{ secrets []store.Sealed }

func (f *fakeResealer) ResealSecrets(ctx context.Context, fn store.ResealFunc) (int, error) {
	n := 0
	for i, s := range f.secrets {
		fresh, ok, err := fn(ctx, s)
		if err != nil {
			return n, err
		}
		if ok {
			f.secrets[i] = fresh
			n++
		}
	}
	return n, nil
}

func TestRotate(t *testing.T) {
	t.Parallel()
	oldRing := mustRing(t, mustKey(t, "old", 1))
	newRing := mustRing(t, mustKey(t, "new", 2), mustKey(t, "old", 1))
	f := &fakeResealer{}
	for i := range 3 {
		s, _ := oldRing.Seal([]byte{byte(i)})
		f.secrets = append(f.secrets, s)
	}
	already, _ := newRing.Seal([]byte{9})
	f.secrets = append(f.secrets, already)

	n, err := Rotate(context.Background(), f, newRing)
	if err != nil || n != 3 {
		t.Fatalf("Rotate = %d, %v; want 3, nil", n, err)
	}
	onlyNew := mustRing(t, mustKey(t, "new", 2))
	for i, s := range f.secrets {
		if id, _ := KeyID(s); id != "new" {
			t.Fatalf("secret %d still under %q", i, id)
		}
		got, err := onlyNew.Open(s)
		want := byte(i)
		if i == 3 {
			want = 9
		}
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("secret %d opens to %v, %v", i, got, err)
		}
	}
	if n, err := Rotate(context.Background(), f, newRing); n != 0 || err != nil {
		t.Fatalf("second Rotate = %d, %v; want 0", n, err)
	}
}

func TestRotate_stopsOnUnreadableSecret(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, mustKey(t, "new", 2))
	stranger, _ := mustRing(t, mustKey(t, "gone", 3)).Seal([]byte("x"))
	f := &fakeResealer{secrets: []store.Sealed{stranger}}
	if _, err := Rotate(context.Background(), f, kr); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func FuzzOpen(f *testing.F) {
	kr := mustRing(f, mustKey(f, "k1", 1))
	good, _ := kr.Seal([]byte("seed"))
	f.Add([]byte(good))
	f.Add([]byte{})
	f.Add([]byte("S1\x02k1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		plain, err := kr.Open(in)
		if err == nil && !bytes.Equal(in, good) {
			// Only values sealed by this key may open; a fuzzer forging
			// a GCM tag would be a real finding.
			if _, err2 := KeyID(in); err2 != nil {
				t.Fatalf("opened a value with a bad header: %q", plain)
			}
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	kr := mustRing(b, mustKey(b, "k1", 1))
	plain := bytes.Repeat([]byte("t"), 1200)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Seal(plain); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	kr := mustRing(b, mustKey(b, "k1", 1))
	sealed, _ := kr.Seal(bytes.Repeat([]byte("t"), 1200))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Open(sealed); err != nil {
			b.Fatal(err)
		}
	}
}
