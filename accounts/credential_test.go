package accounts

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // raw baseline queries
	"golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

func TestCredential_roundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []credential{
		{},
		{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", Expiry: time.Unix(1700000000, 123).UTC()},
		{Password: "p\x00w\xff", AccessToken: strings.Repeat("x", 5000)},
	} {
		var got credential
		if err := got.unmarshal(c.marshal()); err != nil || got != c {
			t.Fatalf("round trip of %+v = %+v, %v", c, got, err)
		}
	}
}

func TestCredential_rejectsMalformed(t *testing.T) {
	t.Parallel()
	good := (&credential{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now()}).marshal()
	huge := []byte{credentialV1}
	huge = binary.AppendUvarint(huge, 1<<40)
	tests := map[string][]byte{
		"empty":          {},
		"wrong version":  append([]byte{9}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), 0),
		"length too big": huge,
		"bad varint":     {credentialV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"only version":   {credentialV1},
	}
	for name, in := range tests {
		var c credential
		if err := c.unmarshal(in); !errors.Is(err, errCredential) {
			t.Errorf("%s: err = %v, want errCredential", name, err)
		}
	}
}

func FuzzCredential(f *testing.F) {
	f.Add((&credential{AccessToken: "a", RefreshToken: "b", Expiry: time.Now()}).marshal())
	f.Add([]byte{credentialV1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		var c credential
		if c.unmarshal(in) == nil {
			var again credential
			if err := again.unmarshal(c.marshal()); err != nil || again != c {
				t.Fatalf("decoded %q but its re-encoding does not round-trip", in)
			}
		}
	})
}

// BenchmarkTokenStore measures per driver what every provider call costs
// at the storage layer: reading an account's token and unsealing it, and
// sealing and writing a refreshed one; next to the driver's plain read and,
// for SQL drivers, a bare SELECT of the same row.
func BenchmarkTokenStore(b *testing.B) {
	ctx := context.Background()
	type driver struct {
		name string
		st   store.Store
		raw  *sql.DB
		q    string
	}
	var drivers []driver
	drivers = append(drivers, driver{name: "memstore", st: memstore.New(memstore.Options{})})

	path := filepath.Join(b.TempDir(), "bench.db")
	sq, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sq.Close()
	sqRaw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer sqRaw.Close()
	drivers = append(drivers, driver{"sqlite", sq, sqRaw, `SELECT token_sealed, token_expiry, token_version FROM accounts WHERE id = ?`})

	if dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL"); dsn != "" {
		schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
		pg, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
		if err != nil {
			b.Fatal(err)
		}
		defer pg.Close()
		pgRaw, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			_, _ = pgRaw.Exec(`DROP SCHEMA IF EXISTS ` + pgx.Identifier{schema}.Sanitize() + ` CASCADE`)
			pgRaw.Close()
		}()
		drivers = append(drivers, driver{"postgres", pg, pgRaw, `SELECT token_sealed, token_expiry, token_version FROM ` + pgx.Identifier{schema}.Sanitize() + `.accounts WHERE id = $1`})
	}

	kr, err := seal.NewKeyring(seal.Key{ID: "bench", Secret: bytes.Repeat([]byte{5}, seal.KeySize)})
	if err != nil {
		b.Fatal(err)
	}
	// Realistic sizes: Microsoft access tokens are JWTs of 1.5 to 2.5 KB;
	// Google's are about 200 bytes with a 100-byte refresh token.
	large := &oauth2.Token{AccessToken: strings.Repeat("a", 1800), RefreshToken: strings.Repeat("r", 700), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	small := &oauth2.Token{AccessToken: strings.Repeat("a", 200), RefreshToken: strings.Repeat("r", 100), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	b.Run("memstore/small/read+unseal", func(b *testing.B) {
		st := memstore.New(memstore.Options{})
		sealed, _ := sealToken(kr, small)
		_ = st.CreateApp(ctx, store.App{ID: "bench"})
		a, _ := st.CreateAccount(ctx, store.Account{AppID: "bench", ServiceType: "Google", Type: store.AccountPrimary,
			Active: true, TokenStatus: store.TokenActive, AuthUserID: "u"}, store.Token{Sealed: sealed, Expiry: small.Expiry})
		b.ReportAllocs()
		for b.Loop() {
			t, err := st.GetToken(ctx, a.ID)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := openToken(kr, t.Sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
	tok := large
	for _, d := range drivers {
		sealed, err := sealToken(kr, tok)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.st.CreateApp(ctx, store.App{ID: "bench"}); err != nil {
			b.Fatal(err)
		}
		a, err := d.st.CreateAccount(ctx, store.Account{AppID: "bench", ServiceType: "Office365", Type: store.AccountPrimary,
			Active: true, TokenStatus: store.TokenActive, AuthUserID: "u"}, store.Token{Sealed: sealed, Expiry: tok.Expiry})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(d.name+"/read", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.st.GetToken(ctx, a.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/read+unseal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t, err := d.st.GetToken(ctx, a.ID)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := openToken(kr, t.Sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/seal+write", func(b *testing.B) {
			t, err := d.st.GetToken(ctx, a.ID)
			if err != nil {
				b.Fatal(err)
			}
			version := t.Version
			b.ReportAllocs()
			for b.Loop() {
				s, err := sealToken(kr, tok)
				if err != nil {
					b.Fatal(err)
				}
				if version, err = d.st.SwapToken(ctx, a.ID, version, store.Token{Sealed: s, Expiry: tok.Expiry}); err != nil {
					b.Fatal(err)
				}
			}
		})
		if d.raw != nil {
			stmt, err := d.raw.Prepare(d.q)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(d.name+"/plain-select", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var s []byte
					var e, v int64
					if err := stmt.QueryRowContext(ctx, a.ID).Scan(&s, &e, &v); err != nil {
						b.Fatal(err)
					}
				}
			})
			stmt.Close()
		}
	}
}
