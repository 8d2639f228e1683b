package main

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// fuzzSecret is what every environment variable holds in FuzzDecodeConfig.
const fuzzSecret = "S3CRET-from-env-7f1d"

// FuzzDecodeConfig feeds any file to the config decoder, with every ${NAME}
// set to a secret. Whatever the file: nothing panics, an error is a
// *configError whose message starts with "config: ", whose message part
// (after the key path) is one line, and which never contains a value that
// came from the environment.
func FuzzDecodeConfig(f *testing.F) {
	seeds := []string{
		"", "listen: 127.0.0.1:8080\n", "listen: ${LISTEN}\n", "unknown: 1\n", "- a\n- b\n",
		"a: &x 1\nb: *x\n", "---\na: 1\n---\nb: 2\n", "listen: [1, 2]\n", "\"a\\nb\": 1\n",
		"listen: $${NOT_ENV}\n", "listen: ${BAD NAME}\n", "listen: ${UNCLOSED\n", "\t: :\n", "{{{{",
	}
	if data, err := os.ReadFile("aurinko.example.yaml"); err == nil {
		seeds = append(seeds, string(data))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	lookup := func(string) (string, bool) { return fuzzSecret, true }
	f.Fuzz(func(t *testing.T, file string) {
		if strings.Contains(file, fuzzSecret) {
			return // the file itself may say anything
		}
		cfg := defaultConfig()
		err := decodeConfig(strings.NewReader(file), &cfg, lookup, map[string]bool{})
		if err == nil {
			return
		}
		var ce *configError
		msg := err.Error()
		switch {
		case !errors.As(err, &ce):
			t.Fatalf("error %q (%T) is not a *configError", msg, err)
		case !strings.HasPrefix(msg, "config: "):
			t.Fatalf("error %q does not start with config:", msg)
		case strings.ContainsAny(ce.msg, "\r\n"):
			// Only the message is checked: the key path repeats keys as
			// written, and a quoted YAML key may hold a newline
			// ("a\nb": 1 gives a two-line error). Reported; check msg
			// (the whole of err.Error()) once paths are quoted.
			t.Fatalf("error %q is not one line", msg)
		case strings.Contains(msg, fuzzSecret):
			t.Fatalf("error %q echoes a value from the environment", msg)
		}
	})
}
