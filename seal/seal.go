package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aurinko-go/aurinko/store"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

const (
	magic0    = 'S'
	magic1    = '1'
	nonceSize = 12
	tagSize   = 16
	maxIDLen  = 32
)

// Errors of this package, for errors.Is.
var (
	// ErrNoKeys means a keyring was built without keys.
	ErrNoKeys = errors.New("seal: no keys configured")
	// ErrUnknownKey means a sealed value names a key id the keyring lacks.
	ErrUnknownKey = errors.New("seal: unknown key id")
	// ErrCorrupt means a sealed value is truncated, malformed, or fails
	// authentication (tampered, or sealed by another key of the same id).
	ErrCorrupt = errors.New("seal: corrupt ciphertext")
	// ErrBadKey means a key or key id is malformed.
	ErrBadKey = errors.New("seal: bad key")
)

// Key is one AES-256 key with its id.
type Key struct {
	// ID names the key inside every value it seals: 1 to 32 characters of
	// A-Z a-z 0-9 . _ -. It is not secret.
	ID string
	// Secret is the key itself, exactly KeySize random bytes.
	Secret []byte
}

// String hides the secret, so a Key can be logged by accident without harm.
func (k Key) String() string { return "seal.Key{ID:" + k.ID + ", Secret:<redacted>}" }

// GoString hides the secret from %#v.
func (k Key) GoString() string { return k.String() }

// GenerateKey returns a new random key with the given id, reading randomness
// from r (crypto/rand.Reader when nil).
func GenerateKey(id string, r io.Reader) (Key, error) {
	if err := validID(id); err != nil {
		return Key{}, err
	}
	if r == nil {
		r = rand.Reader
	}
	secret := make([]byte, KeySize)
	if _, err := io.ReadFull(r, secret); err != nil {
		return Key{}, fmt.Errorf("seal: generate key: %w", err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// ParseKey reads a key written as "id:base64" (standard or URL alphabet,
// padded or not), the form FormatKey writes and configuration files hold.
func ParseKey(s string) (Key, error) {
	id, b64, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Key{}, fmt.Errorf("%w: want \"id:base64\"", ErrBadKey)
	}
	if err := validID(id); err != nil {
		return Key{}, err
	}
	var secret []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if secret, err = enc.DecodeString(b64); err == nil {
			break
		}
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q is not base64", ErrBadKey, id)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("%w: key %q has %d bytes, want %d", ErrBadKey, id, len(secret), KeySize)
	}
	return Key{ID: id, Secret: secret}, nil
}

// FormatKey writes k as "id:base64", the form ParseKey reads.
func FormatKey(k Key) string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret) }

func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%w: key id must have 1 to %d characters", ErrBadKey, maxIDLen)
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: key id %q may hold only A-Z a-z 0-9 . _ -", ErrBadKey, id)
		}
	}
	return nil
}

// Keyring seals with its first key and opens with any of its keys. It is
// safe for concurrent use and immutable once built.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
	ids     []string
	rand    io.Reader
}

// NewKeyring builds a keyring. The first key seals; all of them open. Key
// ids must be distinct. With no keys it returns ErrNoKeys: a server that
// holds secrets must not start without a key.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	kr := &Keyring{primary: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys)), rand: rand.Reader}
	for _, k := range keys {
		if err := validID(k.ID); err != nil {
			return nil, err
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("%w: key %q has %d bytes, want %d", ErrBadKey, k.ID, len(k.Secret), KeySize)
		}
		if _, dup := kr.aeads[k.ID]; dup {
			return nil, fmt.Errorf("%w: key id %q appears twice", ErrBadKey, k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		kr.aeads[k.ID] = aead
		kr.ids = append(kr.ids, k.ID)
	}
	return kr, nil
}

// PrimaryKeyID returns the id of the key that seals.
func (kr *Keyring) PrimaryKeyID() string { return kr.primary }

// KeyIDs returns the ids of every key, the primary first.
func (kr *Keyring) KeyIDs() []string { return append([]string(nil), kr.ids...) }

// Seal encrypts plaintext under the primary key. A nil or empty plaintext
// still seals (to a value that opens to an empty slice).
func (kr *Keyring) Seal(plaintext []byte) (store.Sealed, error) {
	aead := kr.aeads[kr.primary]
	id := kr.primary
	header := len(id) + 3
	out := make([]byte, header+nonceSize, header+nonceSize+len(plaintext)+tagSize)
	out[0], out[1], out[2] = magic0, magic1, byte(len(id))
	copy(out[3:], id)
	nonce := out[header : header+nonceSize]
	if _, err := io.ReadFull(kr.rand, nonce); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w", err)
	}
	// The header (magic and key id) is authenticated as associated data, so
	// relabelling a value with another key id fails to open.
	return aead.Seal(out, nonce, plaintext, out[:header]), nil
}

// Open decrypts a value sealed by any key of the keyring. A value that is
// truncated or altered is ErrCorrupt; one sealed under a key id the keyring
// lacks is ErrUnknownKey. The error names the key id, never the contents.
func (kr *Keyring) Open(sealed store.Sealed) ([]byte, error) {
	id, err := KeyID(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	header := len(id) + 3
	if len(sealed) < header+nonceSize+tagSize {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrCorrupt, len(sealed))
	}
	nonce := sealed[header : header+nonceSize]
	plain, err := aead.Open(nil, nonce, sealed[header+nonceSize:], sealed[:header])
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed for key %q", ErrCorrupt, id)
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}

// OpenInPlace is Open without allocating: it decrypts into sealed's own
// memory, which it overwrites, and returns a slice of it. Use it only on a
// buffer the caller owns and drops afterwards (a value just read from the
// store); on failure the buffer is left unusable as well.
func (kr *Keyring) OpenInPlace(sealed store.Sealed) ([]byte, error) {
	id, err := KeyID(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	header := len(id) + 3
	if len(sealed) < header+nonceSize+tagSize {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrCorrupt, len(sealed))
	}
	nonce := sealed[header : header+nonceSize]
	body := sealed[header+nonceSize:]
	plain, err := aead.Open(body[:0], nonce, body, sealed[:header])
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed for key %q", ErrCorrupt, id)
	}
	return plain, nil
}

// KeyID returns the id of the key that sealed a value, without opening it.
func KeyID(sealed store.Sealed) (string, error) {
	if len(sealed) < 3 || sealed[0] != magic0 || sealed[1] != magic1 {
		return "", fmt.Errorf("%w: not a sealed value", ErrCorrupt)
	}
	n := int(sealed[2])
	if n == 0 || n > maxIDLen || len(sealed) < 3+n {
		return "", fmt.Errorf("%w: bad key id length", ErrCorrupt)
	}
	id := string(sealed[3 : 3+n])
	if validID(id) != nil {
		return "", fmt.Errorf("%w: bad key id", ErrCorrupt)
	}
	return id, nil
}

// Reseal is a store.ResealFunc: it opens a value sealed under a key other
// than the primary and seals it again under the primary. Values already under
// the primary key are left alone (false). A value that cannot be opened stops
// the walk with an error: rotation must not silently skip a secret it would
// later be unable to read.
func (kr *Keyring) Reseal(_ context.Context, old store.Sealed) (store.Sealed, bool, error) {
	id, err := KeyID(old)
	if err != nil {
		return nil, false, err
	}
	if id == kr.primary {
		return nil, false, nil
	}
	plain, err := kr.Open(old)
	if err != nil {
		return nil, false, err
	}
	fresh, err := kr.Seal(plain)
	clear(plain)
	if err != nil {
		return nil, false, err
	}
	return fresh, true, nil
}

// Rotate re-seals every secret of a store that is not under the keyring's
// primary key, and returns how many it re-sealed. It is safe to run while
// the server serves requests and to run again after an interruption.
func Rotate(ctx context.Context, r store.Resealer, kr *Keyring) (int, error) {
	n, err := r.ResealSecrets(ctx, kr.Reseal)
	if err != nil {
		return n, fmt.Errorf("seal: rotate to key %q: %w", kr.primary, err)
	}
	return n, nil
}
