// Command server is a runnable aurinko backend built only from the module's
// public API, the way a host application would write it.
//
// It opens a store (SQLite by default, PostgreSQL for several instances),
// loads or creates the encryption keys, mounts the API under /v1 and serves
// /healthz (the process is up) and /readyz (the store answers).
//
//	go run ./examples/server                          # ./aurinko.db, ./aurinko.key
//	go run ./examples/server -store postgres://user@host/db -production
//
// Keys come from AURINKO_KEYS ("id:base64,id:base64", first seals) or from
// the key file. Outside -production a missing key file is created with a new
// random key, and the server says so in its log; with -production a missing
// key is an error, so a misconfigured server never writes secrets it cannot
// read back.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// options are the server's flags.
type options struct {
	addr       string
	storeURL   string
	keyFile    string
	production bool
	publicURL  string
}

func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.storeURL, "store", "sqlite:./aurinko.db", "store: sqlite:PATH or postgres://...")
	fs.StringVar(&o.keyFile, "keyfile", "./aurinko.key", "file with encryption keys, one id:base64 per line, first seals (ignored when AURINKO_KEYS is set)")
	fs.StringVar(&o.publicURL, "public-url", "", "external base URL of this server (default http://ADDR); the OAuth callback is PUBLIC-URL/v1/auth/callback")
	fs.BoolVar(&o.production, "production", false, "refuse to generate a key; require AURINKO_KEYS or an existing key file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, nil
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. ready, when not nil, is called with the listen address once
// the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, logOut io.Writer, ready func(addr string)) error {
	o, err := parseFlags(args, logOut)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))

	kr, err := loadKeys(o, getenv, logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, o.storeURL, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	public := o.publicURL
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	cfg := aurinko.Config{Store: st, Keyring: kr, Logger: logger, PublicURL: public}
	if strings.HasPrefix(public, "http://") {
		if o.production {
			return fmt.Errorf("-production needs an https -public-url, got %s", public)
		}
		cfg.Session.InsecureCookies = true
		logger.Warn("serving plain http: cookies are sent without Secure; for local development only", "publicUrl", public)
	}
	srv, err := aurinko.New(cfg)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(srv.BasePath()+"/", srv.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := srv.Ready(pctx); err != nil {
			logger.Warn("not ready", "error", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})

	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("serving", "addr", ln.Addr().String(), "api", srv.BasePath(), "store", storeKind(o.storeURL))
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func storeKind(u string) string {
	kind, _, _ := strings.Cut(u, ":")
	return kind
}

// openStore opens the store named by u: "sqlite:PATH" or a PostgreSQL URL.
func openStore(ctx context.Context, u string, logger *slog.Logger) (store.Store, error) {
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(u, "sqlite:")
		if path == "" {
			return nil, errors.New("store: sqlite: needs a file path, e.g. sqlite:./aurinko.db")
		}
		return sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: logger})
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return pgstore.Open(ctx, u, pgstore.Options{Logger: logger})
	}
	return nil, fmt.Errorf("store: %q is neither sqlite:PATH nor postgres://...", storeKind(u)+":...")
}

// loadKeys reads the keyring from AURINKO_KEYS or the key file, creating the
// key file with a fresh key outside production.
func loadKeys(o options, getenv func(string) string, logger *slog.Logger) (*seal.Keyring, error) {
	if env := getenv("AURINKO_KEYS"); env != "" {
		return parseKeys(strings.Split(env, ","), "AURINKO_KEYS")
	}
	data, err := os.ReadFile(o.keyFile)
	switch {
	case err == nil:
		return parseKeys(strings.Split(string(data), "\n"), o.keyFile)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("keys: %w", err)
	case o.production:
		return nil, fmt.Errorf("keys: no AURINKO_KEYS and no key file %s; -production never generates a key", o.keyFile)
	}
	key, err := seal.GenerateKey("local-"+time.Now().UTC().Format("20060102"), nil)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(o.keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keys: create %s: %w", o.keyFile, err)
	}
	if _, err := fmt.Fprintln(f, seal.FormatKey(key)); err != nil {
		f.Close()
		return nil, fmt.Errorf("keys: write %s: %w", o.keyFile, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("keys: write %s: %w", o.keyFile, err)
	}
	logger.Warn("generated a new encryption key for local development; keep this file: secrets sealed with it cannot be read without it",
		"file", o.keyFile, "keyId", key.ID)
	return seal.NewKeyring(key)
}

func parseKeys(lines []string, source string) (*seal.Keyring, error) {
	var keys []seal.Key
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := seal.ParseKey(line)
		if err != nil {
			return nil, fmt.Errorf("keys: %s: %w", source, err)
		}
		keys = append(keys, k)
	}
	kr, err := seal.NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", source, err)
	}
	return kr, nil
}
