package accounts_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	xoauth2 "golang.org/x/oauth2"
	_ "modernc.org/sqlite" // the driver sqlitestore uses, to read raw rows

	"github.com/aurinko-go/aurinko/accounts"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

// Secrets written through the library; none may appear in a raw row.
const (
	plainClientSecret = "client-secret-PLAINTEXT-1"
	plainAccess       = "access-token-PLAINTEXT-2"
	plainRefresh      = "refresh-token-PLAINTEXT-3"
)

// writeSecrets stores an app, an account with a token, a session and an
// account token, and returns the bearer secrets handed to clients.
func writeSecrets(t *testing.T, st store.Store) []string {
	t.Helper()
	ctx := context.Background()
	svc, err := accounts.New(accounts.Config{Store: st, Keyring: keyring(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PutApp(ctx, accounts.AppSpec{ClientID: "app", ClientSecret: plainClientSecret}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Link(ctx, accounts.LinkRequest{AppID: "app", ServiceType: "Google", Type: store.AccountPrimary, CreateUser: true,
		Grant: &connectors.Grant{Token: &xoauth2.Token{AccessToken: plainAccess, RefreshToken: plainRefresh, Expiry: time.Now().Add(time.Hour)},
			Identity: connectors.Identity{AuthUserID: "sub-1", Email: "a@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := session.New(session.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	sessTok, _, err := sm.Create(ctx, "app", res.User.ID, res.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	acctTok, err := sm.IssueAccountToken(ctx, "app", res.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	return []string{sessTok, acctTok}
}

// assertNoPlaintext fails when any of the secrets occurs in dump, raw or
// hex-encoded (PostgreSQL shows bytea as hex).
func assertNoPlaintext(t *testing.T, dump []byte, secrets []string) {
	t.Helper()
	if len(dump) < 200 {
		t.Fatalf("raw dump is suspiciously small (%d bytes): the test reads nothing", len(dump))
	}
	for _, s := range append([]string{plainClientSecret, plainAccess, plainRefresh}, secrets...) {
		if bytes.Contains(dump, []byte(s)) || bytes.Contains(bytes.ToLower(dump), []byte(hex.EncodeToString([]byte(s)))) {
			t.Errorf("secret %.12s... found in a raw row", s)
		}
	}
}

func TestAtRest_sqliteRowsHoldNoPlaintext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rest.db")
	st, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := writeSecrets(t, st)
	st.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	var dump bytes.Buffer
	for _, n := range names {
		rows, err := db.Query(`SELECT * FROM "` + n + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					dump.Write(b)
				} else {
					fmt.Fprint(&dump, v)
				}
				dump.WriteByte('|')
			}
		}
		rows.Close()
	}
	// The file itself too (WAL checkpointed on close), in case a value
	// lives outside the tables read above.
	raw, _ := os.ReadFile(path)
	dump.Write(raw)
	assertNoPlaintext(t, dump.Bytes(), secrets)
}

func TestAtRest_postgresRowsHoldNoPlaintext(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("AURINKO_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("AURINKO_TEST_POSTGRES_URL is unset: PostgreSQL tests not run")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("atrest_%d", time.Now().UnixNano())
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	secrets := writeSecrets(t, st)
	st.Close()

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	defer conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	for _, n := range names {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s.%s AS t`, pgx.Identifier{schema}.Sanitize(), pgx.Identifier{n}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			dump.WriteString(s)
			dump.WriteByte('\n')
		}
	}
	assertNoPlaintext(t, dump.Bytes(), secrets)
}
