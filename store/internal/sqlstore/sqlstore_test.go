package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		dollar   bool
		in, want string
	}{
		{false, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = ? AND c = ?`},
		{true, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{true, `SELECT 1`, `SELECT 1`},
		{true, `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
	} {
		d := Dialect{DollarPlaceholders: tc.dollar}
		if got := d.rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadMigrations_rejectsBadSets(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for name, tc := range map[string]struct {
		fs   fstest.MapFS
		want string
	}{
		"empty":        {fstest.MapFS{"README.md": file("x")}, "no migrations"},
		"gap":          {fstest.MapFS{"0001_a.sql": file("x"), "0003_c.sql": file("y")}, "expected version 2"},
		"repeat":       {fstest.MapFS{"0001_a.sql": file("x"), "1_b.sql": file("y")}, "expected version 2"},
		"not numbered": {fstest.MapFS{"init.sql": file("x")}, "positive version number"},
		"zero":         {fstest.MapFS{"0000_init.sql": file("x")}, "positive version number"},
	} {
		_, err := loadMigrations(tc.fs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: loadMigrations = %v, want an error containing %q", name, err, tc.want)
		}
	}
	ms, err := loadMigrations(fstest.MapFS{"0002_b.sql": file("two"), "0001_a.sql": file("one"), "notes.txt": file("-")})
	if err != nil || len(ms) != 2 || ms[0].sql != "one" || ms[1].version != 2 {
		t.Errorf("loadMigrations = %+v, %v; want versions 1 and 2 in order", ms, err)
	}
}

func TestMicros_roundTrip(t *testing.T) {
	if got := fromMicros(micros(time.Time{})); !got.IsZero() {
		t.Errorf("zero time came back as %v", got)
	}
	in := time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	got := norm(in)
	if want := time.Date(2031, 3, 4, 4, 6, 7, 123456000, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("norm(%v) = %v, want %v in UTC", in, got, want)
	}
}
