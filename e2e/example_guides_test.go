package e2e_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/pgstore"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
	"github.com/aurinko-go/aurinko/unified"
	"github.com/aurinko-go/aurinko/webhooks"
)

// The README's guides, one Example each, kept compiling here. They need
// providers and a network, so they have no Output and are not run; the
// README test checks that every Go snippet of the README is in one of
// these bodies.

// Example_pickAStore is the README's store guide: SQLite in a file for one
// process, PostgreSQL for several.
func Example_pickAStore() {
	ctx := context.Background()
	var st store.Store
	var err error
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		// postgres://user:password@host:5432/db; the schema is created or
		// migrated at Open.
		st, err = pgstore.Open(ctx, dsn, pgstore.Options{Logger: slog.Default()})
	} else {
		// One file, pure Go (no cgo), created when missing.
		st, err = sqlitestore.Open(ctx, "aurinko.db", sqlitestore.Options{Logger: slog.Default()})
	}
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
}

// Example_addConnectors is the README's connector guide: Google and
// Microsoft 365 side by side.
func Example_addConnectors() {
	ctx := context.Background()
	var st store.Store   // the store of the store guide
	var kr *seal.Keyring // the keyring of the quick start
	g, err := google.New(ctx, google.Config{
		ClientID:     os.Getenv("GOOGLE_CLIENT_ID"), // a Web application OAuth client
		ClientSecret: os.Getenv("GOOGLE_CLIENT_SECRET"),
	})
	if err != nil {
		log.Fatal(err)
	}
	ms, err := office365.New(ctx, office365.Config{
		ClientID:     os.Getenv("MS_CLIENT_ID"), // an Entra app registration
		ClientSecret: os.Getenv("MS_CLIENT_SECRET"),
		Tenant:       "common", // or "organizations", or your tenant's id
	})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := aurinko.New(aurinko.Config{Store: st, Keyring: kr, PublicURL: "https://api.example.com",
		Connectors: []connectors.Connector{g, ms}})
	if err != nil {
		log.Fatal(err)
	}
	// Register this redirect URI with both providers:
	fmt.Println(srv.CallbackURL()) // https://api.example.com/v1/auth/callback
}

// Example_recentMail is the README's unified email guide: the unread
// messages of an account, from Go.
func Example_recentMail() {
	var srv *aurinko.Server // the server of the quick start
	ctx := context.Background()
	// An account of the app; UserID names its user when the call is made
	// for a signed-in user (see the calendar guide).
	ref := unified.AccountRef{AppID: "my-addin", AccountID: 42}
	page, err := srv.Email().ListMessages(ctx, ref, unified.MessageList{Q: "is:unread", Limit: 10})
	if err != nil {
		log.Fatal(err) // an *apierr.Error: its Code says what went wrong
	}
	for _, m := range page.Records {
		from := ""
		if m.From != nil {
			from = m.From.Address
		}
		fmt.Println(m.ReceivedAt.Format(time.DateTime), from, m.Subject)
	}
	// page.NextPageToken, when not empty, continues in MessageList{PageToken: ...}.
}

// Example_calendarToday is the README's unified calendar guide: an
// endpoint of the host's own that lists the caller's events of today.
func Example_calendarToday() {
	var srv *aurinko.Server // the server of the quick start
	mux := http.NewServeMux()
	today := func(w http.ResponseWriter, r *http.Request) {
		p, _ := session.FromContext(r.Context()) // RequireAccount below made sure there is one
		ref := unified.AccountRef{AppID: p.AppID, UserID: p.UserID, AccountID: p.AccountID}
		now := time.Now()
		start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		page, err := srv.Calendar().ListEventRange(r.Context(), ref, "primary",
			unified.EventRange{TimeMin: start, TimeMax: start.AddDate(0, 0, 1)})
		if err != nil {
			apierr.Write(w, r, nil, err) // {"code", "message"} with the fitting status
			return
		}
		for _, ev := range page.Records { // single events and occurrences, by start
			if ev.Start.DateOnly != "" {
				fmt.Fprintf(w, "all day      %s\n", ev.Subject)
				continue
			}
			fmt.Fprintf(w, "%s–%s  %s\n", ev.Start.DateTime.Local().Format("15:04"), ev.End.DateTime.Local().Format("15:04"), ev.Subject)
		}
	}
	// As under /v1: the session (cookie or bearer) names the user, the
	// X-Aurinko-Account-Id header one of the user's accounts.
	sessions := srv.Sessions()
	mux.Handle("GET /today", sessions.Middleware(sessions.RequireAccount(http.HandlerFunc(today))))
}

// Example_subscribe is the README's webhook guide: a subscription to an
// account's primary calendar, made from Go.
func Example_subscribe() {
	var srv *aurinko.Server // the server of the quick start
	ctx := context.Background()
	// The URL must answer the validationToken handshake first (see below).
	sub, err := srv.Webhooks().Create(ctx, "my-addin", 42, webhooks.CreateRequest{
		Resource:        "/calendars/primary/events", // or /email/messages, /contacts, /tasklists/default/tasks
		NotificationURL: "https://addin.example.com/hooks/aurinko",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("subscription", sub.ID)
}

// Example_severalInstances is the README's guide to several instances
// behind a load balancer, sharing one PostgreSQL database.
func Example_severalInstances() {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Options{MaxConns: 20})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	// Every instance has the same keys: "id:base64,id:base64", the first seals.
	var keys []seal.Key
	for _, s := range strings.Split(os.Getenv("AURINKO_KEYS"), ",") {
		k, err := seal.ParseKey(strings.TrimSpace(s))
		if err != nil {
			log.Fatal(err)
		}
		keys = append(keys, k)
	}
	kr, err := seal.NewKeyring(keys...)
	if err != nil {
		log.Fatal(err)
	}
	var conns []connectors.Connector // as in the connector guide
	srv, err := aurinko.New(aurinko.Config{Store: st, Keyring: kr, Logger: slog.Default(),
		PublicURL:  "https://api.example.com", // the load balancer's URL, the same for all
		Connectors: conns,
		Webhooks:   webhooks.Config{PollInterval: time.Minute}})
	if err != nil {
		log.Fatal(err)
	}
	// On every instance: each job (deliveries, polls) runs once, each
	// token is refreshed once, whichever instance takes it.
	go srv.Run(ctx)
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.Ready(r.Context()); err != nil { // the database answers
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	})
	log.Fatal(http.ListenAndServe(":8080", mux))
}
