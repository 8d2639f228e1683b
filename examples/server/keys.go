package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/seal"
)

// loadKeys returns the keyring from, in this order: the AURINKO_KEYS
// variable ("id:base64,id:base64", first seals), keys.values, or
// keys.file. Outside production a missing key file is created with a fresh
// key and the log says so; in production a missing key is an error, so a
// misconfigured server never writes secrets it cannot read back.
func loadKeys(c *config, lookupEnv func(string) (string, bool), now func() time.Time, logger *slog.Logger) (*seal.Keyring, error) {
	if env, ok := lookupEnv("AURINKO_KEYS"); ok && env != "" {
		return parseKeys(strings.Split(env, ","), "AURINKO_KEYS")
	}
	if len(c.Keys.Values) > 0 {
		return parseKeys(c.Keys.Values, "keys.values")
	}
	if c.Store == memoryStore {
		// Nothing sealed outlives the process: a throwaway key will do.
		key, err := seal.GenerateKey("memory", nil)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		logger.Info("using a throwaway encryption key: the store is in memory")
		return seal.NewKeyring(key)
	}
	data, err := os.ReadFile(c.Keys.File)
	switch {
	case err == nil:
		return parseKeys(strings.Split(string(data), "\n"), c.Keys.File)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("keys: %w", err)
	case c.Production:
		return nil, fmt.Errorf("keys: no AURINKO_KEYS, no keys.values and no key file %s; production never generates a key", c.Keys.File)
	}
	key, err := seal.GenerateKey("local-"+now().UTC().Format("20060102"), nil)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	f, err := os.OpenFile(c.Keys.File, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keys: create %s: %w", c.Keys.File, err)
	}
	if _, err := fmt.Fprintln(f, seal.FormatKey(key)); err != nil {
		f.Close()
		return nil, fmt.Errorf("keys: write %s: %w", c.Keys.File, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("keys: write %s: %w", c.Keys.File, err)
	}
	logger.Warn("generated a new encryption key for local development; keep this file: secrets sealed with it cannot be read without it",
		"file", c.Keys.File, "keyId", key.ID)
	return seal.NewKeyring(key)
}

// parseKeys parses one key per item; empty items and # comments are
// skipped. Errors name the source, never the key.
func parseKeys(lines []string, source string) (*seal.Keyring, error) {
	var keys []seal.Key
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := seal.ParseKey(line)
		if err != nil {
			return nil, fmt.Errorf("keys: %s: item %d is not a key of the form id:base64 of 32 bytes", source, i+1)
		}
		keys = append(keys, k)
	}
	kr, err := seal.NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", source, err)
	}
	return kr, nil
}
