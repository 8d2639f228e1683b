package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// mapEnv is a lookupEnv over m.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// start runs the server until the test ends and returns its base URL.
func start(t *testing.T, args []string, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), mapEnv(env), logs, func(a string) { addrc <- a })
	}()
	select {
	case addr := <-addrc:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run returned %v after shutdown", err)
			}
		})
		return "http://" + addr, logs
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start in 30s")
	}
	return "", nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServer_sqliteDefaultGeneratesKeyOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "aurinko.key")
	args := []string{"-store", "sqlite:" + filepath.Join(dir, "aurinko.db"), "-keyfile", keyFile}
	base, logs := start(t, args, nil)

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	if code, body := get(t, base+"/v1/nothing-here"); code != 404 || !strings.Contains(body, `"code":"notFound"`) {
		t.Fatalf("/v1/nothing-here = %d %q", code, body)
	}
	if !strings.Contains(logs.String(), "generated a new encryption key") {
		t.Fatalf("no log line about the generated key:\n%s", logs.String())
	}
	key1, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), strings.TrimSpace(string(key1))[10:]) {
		t.Fatal("the key itself appears in the log")
	}
	st, _ := os.Stat(keyFile)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", st.Mode().Perm())
	}

	// A second run (another instance on the same files) reuses the key.
	base2, logs2 := start(t, args, nil)
	if code, _ := get(t, base2+"/readyz"); code != 200 {
		t.Fatalf("second instance not ready: %d", code)
	}
	key2, _ := os.ReadFile(keyFile)
	if !bytes.Equal(key1, key2) || strings.Contains(logs2.String(), "generated a new") {
		t.Fatal("second run generated another key")
	}
}

func TestServer_refusesBadSetup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "a.db")
	badKeyFile := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(badKeyFile, []byte("k1:tooshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"production without key", []string{"-production", "-public-url", "https://api.example.com", "-store", db, "-keyfile", filepath.Join(dir, "missing.key")}, nil, "production never generates a key"},
		{"bad AURINKO_KEYS", []string{"-store", db}, map[string]string{"AURINKO_KEYS": "nope"}, "AURINKO_KEYS"},
		{"bad key file", []string{"-store", db, "-keyfile", badKeyFile}, nil, "bad.key"},
		{"unknown store", []string{"-store", "mysql://x", "-keyfile", filepath.Join(dir, "k1")}, nil, "neither sqlite"},
		{"empty sqlite path", []string{"-store", "sqlite:", "-keyfile", filepath.Join(dir, "k2")}, nil, "needs a file path"},
		{"stray argument", []string{"extra"}, nil, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), mapEnv(tc.env), io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestServer_postgres(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("AURINKO_TEST_POSTGRES_URL is unset: PostgreSQL tests not run")
	}
	key := "k1:" + strings.Repeat("A", 43) + "="
	base, _ := start(t, []string{"-store", dsn, "-production", "-public-url", "https://api.example.com"}, map[string]string{"AURINKO_KEYS": key})
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %q", code, body)
	}
}
