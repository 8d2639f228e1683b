package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// The sandbox's sample app and provider clients. The provider fakes know
// only these clients; none of it is a real credential.
const (
	sandboxAppID        = "sandbox-addin"
	sandboxGoogleClient = "sandbox-google-client.apps.googleusercontent.com"
	sandboxGoogleSecret = "sandbox-google-secret"
	sandboxMSClient     = "5a4d1a0e-0000-4000-8000-5a4db0c5e11a"
	sandboxMSSecret     = "sandbox-microsoft-secret"
	// sandboxStandin is served by the add-in package: the task pane runs in
	// a plain browser tab in the sandbox.
	sandboxStandin = "/addin/dev/office-standin.js"
)

// The believable person who signs in at the fakes: a work mailbox in a
// Microsoft 365 tenant (the add-in's primary account) and a personal Gmail
// address to link as a secondary account.
const (
	sandboxUserName   = "Ada Lovelace"
	sandboxDomain     = "analytical-engines.example"
	sandboxMSUser     = "ada@" + sandboxDomain
	sandboxMSObjectID = "0a1d4a0e-1815-4c1e-8b6e-ada000001815"
	sandboxTenantID   = "a5a1e7ee-1843-4e0a-9a11-a5a1e7ee1843"
	sandboxGoogleUser = "ada.lovelace@gmail.example"
)

// sandbox runs the provider fakes in-process (googletest and graphtest,
// started with NewServer: no testing.TB). Close stops them.
type sandbox struct {
	google *googletest.Server
	graph  *graphtest.Server
}

// Close stops the fakes.
func (s *sandbox) Close() {
	if s.google != nil {
		s.google.Close()
	}
	if s.graph != nil {
		s.graph.Close()
	}
}

// startSandbox starts the fakes (FOR LOCAL DEVELOPMENT ONLY: they sign
// anyone in without a password) and rewrites cfg to use them: the Google
// and Office365 connectors point at the fakes' endpoints, a sample app with a random
// secret is registered for the add-in, and unless the store was chosen the
// data lives in memory with a throwaway key.
func startSandbox(cfg *config, logger *slog.Logger) (*sandbox, error) {
	sb := &sandbox{}
	g, err := googletest.NewServer(googletest.Options{
		ClientID: sandboxGoogleClient, ClientSecret: sandboxGoogleSecret,
		Users: []googletest.User{{
			Email: sandboxGoogleUser, Name: sandboxUserName, MessagesTotal: 1843, ThreadsTotal: 612, HistoryID: 918273,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the Google fake: %w", err)
	}
	sb.google = g
	ms, err := graphtest.NewServer(graphtest.Options{
		ClientID: sandboxMSClient, ClientSecret: sandboxMSSecret,
		Tenants: []graphtest.Tenant{{ID: sandboxTenantID, Domain: sandboxDomain, Name: "Analytical Engines Ltd"}},
		Users: []graphtest.User{{
			ObjectID: sandboxMSObjectID, TenantID: sandboxTenantID, UserPrincipalName: sandboxMSUser,
			Mail: sandboxMSUser, DisplayName: sandboxUserName,
		}},
	})
	if err != nil {
		sb.Close()
		return nil, fmt.Errorf("sandbox: start the Microsoft fake: %w", err)
	}
	sb.graph = ms
	// A small believable inbox for the task pane's "recent mail".
	day := time.Now().UTC().Truncate(24 * time.Hour)
	for i, m := range []graphtest.Message{
		{Subject: "Notes on the Analytical Engine", Body: "Draft of note G attached for your review.",
			From: graphtest.Recipient{Name: "Charles Babbage", Address: "charles@analytical-engines.example"}, ReceivedAt: day.Add(9 * time.Hour)},
		{Subject: "Bernoulli numbers: the table", Body: "<p>The table for note G, as discussed.</p>", BodyIsHTML: true,
			From: graphtest.Recipient{Name: "Mary Somerville", Address: "mary@royal-society.example"}, ReceivedAt: day.Add(10 * time.Hour)},
		{Subject: "Punched cards from Lyon", Body: "The Jacquard cards arrive on Thursday.", IsRead: true,
			From: graphtest.Recipient{Name: "Joseph Jacquard", Address: "joseph@lyon-looms.example"}, ReceivedAt: day.Add(-20 * time.Hour)},
	} {
		m.To = []graphtest.Recipient{{Name: sandboxUserName, Address: sandboxMSUser}}
		if _, err := ms.SeedMessage(sandboxMSObjectID, m); err != nil {
			sb.Close()
			return nil, fmt.Errorf("sandbox: seed message %d: %w", i, err)
		}
	}
	if cfg.Connectors.Google != nil || cfg.Connectors.Office365 != nil {
		logger.Warn("sandbox: the google and office365 sections are replaced by the fakes")
	}
	cfg.Connectors.Google = &googleConfig{ClientID: sandboxGoogleClient, ClientSecret: sandboxGoogleSecret, endpoints: g.Endpoints()}
	cfg.Connectors.Office365 = &office365Config{ClientID: sandboxMSClient, ClientSecret: sandboxMSSecret,
		endpoints: &office365.Endpoints{LoginBaseURL: ms.URL(), GraphBaseURL: ms.URL()}}

	if !hasApp(cfg.Apps, sandboxAppID) {
		cfg.Apps = append(cfg.Apps, appConfig{ClientID: sandboxAppID, Name: "Sandbox Outlook add-in", ClientSecret: rand.Text()})
	}
	if cfg.Addin.ClientID == "" {
		cfg.Addin.ClientID = sandboxAppID
	}
	if cfg.Addin.OfficeJSURL == "" {
		cfg.Addin.OfficeJSURL = sandboxStandin
	}
	if cfg.Store == defaultConfig().Store {
		cfg.Store = memoryStore
	}
	logger.Info("sandbox: fake providers running; they sign anyone in without a password, for local development only",
		"microsoft", ms.URL(), "google", g.URL(), "user", sandboxUserName, "mailbox", sandboxMSUser, "gmail", sandboxGoogleUser)
	return sb, nil
}

func hasApp(apps []appConfig, id string) bool {
	for _, a := range apps {
		if a.ClientID == id {
			return true
		}
	}
	return false
}
