package webhooks

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignMatchesTheDocumentedBaseString(t *testing.T) {
	t.Parallel()
	// Computed independently: printf 'v0:1700000000:{"a":1}' | openssl dgst -sha256 -hmac secret
	got := Sign([]byte("secret"), 1700000000, []byte(`{"a":1}`))
	if want := "7d06e4dcbb54167f0033658ac8c45abe35b1fa257ff38a448e290762b595f902"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if got != Sign([]byte("secret"), 1700000000, []byte(`{"a":1}`)) || got == Sign([]byte("secret"), 1700000001, []byte(`{"a":1}`)) {
		t.Fatal("signature not deterministic or ignores the timestamp")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("signing-secret")
	now := time.Unix(1700000000, 0)
	body := []byte(`{"subscription":1}`)
	good := func() http.Header {
		h := http.Header{}
		h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderSignature, Sign(secret, now.Unix(), body))
		return h
	}
	tests := []struct {
		name   string
		mutate func(h http.Header) ([]byte, []byte)
		ok     bool
	}{
		{"valid", func(h http.Header) ([]byte, []byte) { return secret, body }, true},
		{"upper-case hex", func(h http.Header) ([]byte, []byte) {
			h.Set(HeaderSignature, strings.ToUpper(h.Get(HeaderSignature)))
			return secret, body
		}, true},
		{"other secret", func(h http.Header) ([]byte, []byte) { return []byte("other"), body }, false},
		{"body changed", func(h http.Header) ([]byte, []byte) { return secret, []byte(`{"subscription":2}`) }, false},
		{"timestamp changed", func(h http.Header) ([]byte, []byte) {
			h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()-1, 10))
			return secret, body
		}, false},
		{"too old", func(h http.Header) ([]byte, []byte) {
			old := now.Add(-10 * time.Minute).Unix()
			h.Set(HeaderTimestamp, strconv.FormatInt(old, 10))
			h.Set(HeaderSignature, Sign(secret, old, body))
			return secret, body
		}, false},
		{"from the future", func(h http.Header) ([]byte, []byte) {
			f := now.Add(10 * time.Minute).Unix()
			h.Set(HeaderTimestamp, strconv.FormatInt(f, 10))
			h.Set(HeaderSignature, Sign(secret, f, body))
			return secret, body
		}, false},
		{"no signature", func(h http.Header) ([]byte, []byte) { h.Del(HeaderSignature); return secret, body }, false},
		{"no timestamp", func(h http.Header) ([]byte, []byte) { h.Del(HeaderTimestamp); return secret, body }, false},
		{"garbage timestamp", func(h http.Header) ([]byte, []byte) { h.Set(HeaderTimestamp, "1e9"); return secret, body }, false},
		{"huge timestamp", func(h http.Header) ([]byte, []byte) {
			h.Set(HeaderTimestamp, strings.Repeat("9", 40))
			return secret, body
		}, false},
		{"short signature", func(h http.Header) ([]byte, []byte) { h.Set(HeaderSignature, "abcd"); return secret, body }, false},
		{"non-hex signature", func(h http.Header) ([]byte, []byte) {
			h.Set(HeaderSignature, strings.Repeat("zz", 32))
			return secret, body
		}, false},
		{"v1 prefix", func(h http.Header) ([]byte, []byte) {
			h.Set(HeaderSignature, "v0="+h.Get(HeaderSignature))
			return secret, body
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := good()
			sec, b := tc.mutate(h)
			err := Verify(sec, h, b, now, 0)
			if (err == nil) != tc.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrSignature) {
				t.Fatalf("error %v does not wrap ErrSignature", err)
			}
		})
	}
}

func TestVerifyRequest_keepsBodyAndRefusesHuge(t *testing.T) {
	t.Parallel()
	secret := []byte("s")
	body := `{"x":1}`
	ts := time.Now().Unix()
	r := httptest.NewRequest("POST", "/hook", strings.NewReader(body))
	r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(HeaderSignature, Sign(secret, ts, []byte(body)))
	got, err := VerifyRequest(r, secret, 0)
	if err != nil || string(got) != body {
		t.Fatalf("VerifyRequest = %q, %v", got, err)
	}
	again := make([]byte, 100)
	n, _ := r.Body.Read(again)
	if string(again[:n]) != body {
		t.Fatal("body not readable after VerifyRequest")
	}
	big := httptest.NewRequest("POST", "/hook", strings.NewReader(strings.Repeat("a", maxBody+10)))
	if _, err := VerifyRequest(big, secret, 0); !errors.Is(err, ErrSignature) {
		t.Fatalf("huge body: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("1700000000", "00", []byte("{}"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if Verify([]byte("k"), h, body, time.Unix(1700000000, 0), 0) == nil {
			n, _ := strconv.ParseInt(ts, 10, 64)
			if Sign([]byte("k"), n, body) != strings.ToLower(sig) {
				t.Fatalf("accepted a forged signature %q", sig)
			}
		}
	})
}
