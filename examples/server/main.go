// Command server is a runnable aurinko backend built only from the module's
// public API, the way a host application would write it.
//
// It reads one YAML file (-config, documented in aurinko.example.yaml) or
// flags for the basics, opens a store (SQLite by default, PostgreSQL for
// several instances), loads or creates the encryption keys, registers the
// apps and connectors, mounts the API under /v1 and serves /healthz (the
// process is up) and /readyz (the store answers).
//
//	go run ./examples/server                                   # ./aurinko.db, ./aurinko.key
//	go run ./examples/server -config examples/server/aurinko.example.yaml
//	go run ./examples/server -store postgres://user@host/db -production -public-url https://api.example.com
//
// Secrets stay out of the file: write ${NAME} and the value comes from the
// environment ($$ is a literal $). Keys come from AURINKO_KEYS ("id:base64,
// id:base64", the first seals), keys.values or the key file. Outside
// production a missing key file is created with a new random key, and the
// server says so in its log; in production a missing key is an error.
//
// Every bad setting stops start-up with one line naming the key, such as
//
//	config: apps[0].returnUrls[1]: "ftp://x" is not an http(s) URL
//
// and no secret is ever printed.
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
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aurinko-go/aurinko"
	outlookaddin "github.com/aurinko-go/aurinko/examples/outlook-addin"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, oneLine(err.Error()))
		os.Exit(1)
	}
}

// env is what the server reads from its surroundings, injected so that
// tests run many servers side by side.
type env struct {
	lookupEnv func(string) (string, bool)
	logOut    io.Writer
	now       func() time.Time
}

// loadConfig parses the flags, reads the -config file when given, applies
// the flags that were set on top of it and validates the result.
func loadConfig(args []string, e env) (*config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(e.logOut)
	file := fs.String("config", "", "YAML configuration file (see examples/server/aurinko.example.yaml)")
	fs.StringVar(&cfg.Listen, "addr", cfg.Listen, "listen address (listen)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "external base URL of this server, default http://ADDR (publicUrl)")
	fs.StringVar(&cfg.Store, "store", cfg.Store, "store: sqlite:PATH or postgres://... (store)")
	fs.StringVar(&cfg.Keys.File, "keyfile", cfg.Keys.File, "file with encryption keys, one id:base64 per line, first seals (keys.file)")
	fs.BoolVar(&cfg.Production, "production", false, "refuse to generate keys or serve plain http (production)")
	fs.BoolVar(&cfg.Sandbox, "sandbox", false, "run with in-process fake Google and Microsoft providers and a sample app (sandbox)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	fromEnv := map[string]bool{}
	if *file != "" {
		// Read the file into a fresh default config, then apply the flags
		// that were set explicitly: flags win over the file.
		flagged := cfg
		cfg = defaultConfig()
		f, err := os.Open(*file)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		err = decodeConfig(f, &cfg, e.lookupEnv, fromEnv)
		f.Close()
		if err != nil {
			return nil, err
		}
		fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "addr":
				cfg.Listen, fromEnv["listen"] = flagged.Listen, false
			case "public-url":
				cfg.PublicURL, fromEnv["publicUrl"] = flagged.PublicURL, false
			case "store":
				cfg.Store = flagged.Store
			case "keyfile":
				cfg.Keys.File, fromEnv["keys.file"] = flagged.Keys.File, false
			case "production":
				cfg.Production = flagged.Production
			case "sandbox":
				cfg.Sandbox = flagged.Sandbox
			}
		})
	}
	if err := cfg.validate(fromEnv); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func newLogger(c logConfig, out io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. ready, when not nil, is called with the listen address once
// the server accepts connections.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), logOut io.Writer, ready func(addr string)) error {
	e := env{lookupEnv: lookupEnv, logOut: logOut, now: time.Now}
	cfg, err := loadConfig(args, e)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, e, ready)
}

func serve(ctx context.Context, cfg *config, e env, ready func(addr string)) error {
	logger := newLogger(cfg.Log, e.logOut)
	var sb *sandbox
	if cfg.Sandbox {
		var err error
		if sb, err = startSandbox(cfg, logger, e.now); err != nil {
			return err
		}
		defer sb.Close()
	}
	kr, err := loadKeys(cfg, e.lookupEnv, e.now, logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	public := strings.TrimSuffix(cfg.PublicURL, "/")
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	client := &http.Client{Timeout: aurinko.DefaultHTTPTimeout}
	if sb != nil && cfg.Connectors.Office365 != nil {
		cfg.Connectors.Office365.SSO = sb.ssoConfig(public)
	}

	conns, err := buildConnectors(ctx, cfg.Connectors, client, e.now, logger)
	if err != nil {
		return err
	}
	acfg := aurinko.Config{Store: st, Keyring: kr, Logger: logger, PublicURL: public, Connectors: conns,
		HTTPClient: client, Now: e.now}
	if strings.HasPrefix(public, "http://") {
		acfg.Session.InsecureCookies = true
		logger.Warn("serving plain http: cookies are sent without Secure; for local development only", "publicUrl", public)
	}
	acfg.Webhooks.PollInterval = cfg.Webhooks.pollInterval()
	var metricsHandler http.Handler
	if cfg.Metrics.Path != "" {
		mp, h, err := newMetrics()
		if err != nil {
			return err
		}
		defer func() { _ = mp.Shutdown(context.WithoutCancel(ctx)) }()
		acfg.MeterProvider, metricsHandler = mp, h
	}
	if sb != nil {
		// The sample receiver is this server itself, on loopback.
		acfg.Webhooks.AllowInsecureTargets = true
		logger.Warn("sandbox: webhook notification URLs may be plain http and point at loopback or private addresses; never do this outside local development",
			"pollInterval", acfg.Webhooks.PollInterval)
	}
	srv, err := aurinko.New(acfg)
	if err != nil {
		return err
	}
	var addin *addinBackend
	if cfg.Addin.ClientID != "" {
		st, err := pickServiceType(cfg.Addin.ServiceType, srv.Connectors().ServiceTypes())
		if err != nil {
			return err
		}
		addin = &addinBackend{
			clientID: cfg.Addin.ClientID, serviceType: st, serviceTypes: srv.Connectors().ServiceTypes(),
			publicURL: public, basePath: srv.BasePath(), officeJS: cfg.Addin.OfficeJSURL, apiURL: loopbackURL(ln.Addr()),
			client: client, sessions: srv.Sessions(), now: e.now, logger: logger, files: outlookaddin.Files(),
			sandbox: sb != nil, sso: newAddinSSO(cfg.Connectors.Office365),
		}
		if addin.officeJS == "" {
			addin.officeJS = outlookaddin.OfficeJSURL
		}
	}
	for i, a := range cfg.Apps {
		spec := aurinko.AppSpec{ClientID: a.ClientID, Name: a.Name, ClientSecret: a.ClientSecret,
			ReturnURLs: slices.Clone(a.ReturnURLs), CORSOrigins: a.CORSOrigins}
		if addin != nil && a.ClientID == addin.clientID {
			addin.secret = a.ClientSecret
			if !slices.Contains(spec.ReturnURLs, addin.callbackURL()) {
				spec.ReturnURLs = append(spec.ReturnURLs, addin.callbackURL())
			}
		}
		if err := srv.PutApp(ctx, spec); err != nil {
			return fmt.Errorf("config: apps[%d]: %w", i, err)
		}
	}

	mux := http.NewServeMux()
	mux.Handle(srv.BasePath()+"/", srv.Handler())
	if sb != nil {
		sb.register(mux, srv.Webhooks(), cfg.Addin.ClientID)
		logger.Info("sandbox: sample webhook receiver; subscribe with it as notificationUrl, POST the mail endpoint to make a change",
			"notificationUrl", public+sandboxInboxPath, "mail", public+sandboxMailPath, "app", cfg.Addin.ClientID)
		logger.Info("sandbox: add-in SSO tokens for the Office.js stand-in (open the task pane with ?sso=on)",
			"officeToken", public+sandboxOfficeTokenPath, "apiAppId", cfg.Connectors.Office365.SSO.APIAppID)
	}
	if addin != nil {
		addin.register(mux)
		logger.Info("serving the Outlook add-in sample", "taskpane", public+"/addin/taskpane.html",
			"manifest", public+"/addin/manifest.xml", "app", addin.clientID, "serviceType", addin.serviceType,
			"sso", addin.sso != nil)
	}
	if cfg.Admin.Path != "" {
		if err := mountAdmin(mux, cfg.Admin, srv, sb != nil, logger); err != nil {
			return err
		}
		logger.Info("admin console", "url", public+cfg.Admin.Path+"/", "loopbackOnly", sb != nil && cfg.Admin.PasswordHash == "")
	}
	if metricsHandler != nil {
		mux.Handle("GET "+cfg.Metrics.Path, metricsHandler)
		logger.Info("Prometheus metrics", "url", public+cfg.Metrics.Path)
	}
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
	// The background work (token refresher) runs until shutdown.
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	bgDone := make(chan error, 1)
	go func() { bgDone <- srv.Run(bgCtx) }()
	defer func() { stopBG(); <-bgDone }()

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("serving", "addr", ln.Addr().String(), "publicUrl", public, "api", srv.BasePath(),
		"store", storeKind(cfg.Store), "apps", len(cfg.Apps), "connectors", len(conns), "callbackUrl", srv.CallbackURL())
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

// loopbackURL is the http URL at which this process reaches its own
// listener.
func loopbackURL(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	return "http://" + a.String()
}

func storeKind(u string) string {
	kind, _, _ := strings.Cut(u, ":")
	return kind
}

// openStore opens the store named by u: "sqlite:PATH", "memory:" or a
// PostgreSQL URL (checked by validate).
func openStore(ctx context.Context, u string, logger *slog.Logger) (store.Store, error) {
	if u == memoryStore {
		logger.Warn("the store is in memory: everything is lost when the server stops")
		return memstore.New(memstore.Options{}), nil
	}
	if path, ok := strings.CutPrefix(u, "sqlite:"); ok {
		st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return st, nil
	}
	st, err := pgstore.Open(ctx, u, pgstore.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	return st, nil
}
