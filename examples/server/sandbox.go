package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

// The sandbox's sample app and provider clients. The provider fakes know
// only these clients; none of it is a real credential.
const (
	sandboxAppID        = "sandbox-addin"
	sandboxGoogleClient = "sandbox-google-client.apps.googleusercontent.com"
	sandboxGoogleSecret = "sandbox-google-secret"
	// sandboxStandin is served by the add-in package: the task pane runs in
	// a plain browser tab in the sandbox.
	sandboxStandin = "/addin/dev/office-standin.js"
)

// The believable person who signs in at the fakes.
const (
	sandboxUserName   = "Ada Lovelace"
	sandboxDomain     = "analytical-engines.example"
	sandboxGoogleUser = "ada@" + sandboxDomain
)

// sandbox runs the provider fakes in-process. Close stops them.
type sandbox struct {
	google *googletest.Server
}

// Close stops the fakes.
func (s *sandbox) Close() {
	if s.google != nil {
		s.google.Close()
	}
}

// startSandbox starts the fakes (FOR LOCAL DEVELOPMENT ONLY: they sign
// anyone in without a password) and rewrites cfg to use them: the Google
// connector points at the fake's endpoints, a sample app with a random
// secret is registered for the add-in, and unless the store was chosen the
// data lives in memory with a throwaway key.
func startSandbox(cfg *config, logger *slog.Logger) (*sandbox, error) {
	sb := &sandbox{}
	g, err := googletest.NewServer(googletest.Options{
		ClientID: sandboxGoogleClient, ClientSecret: sandboxGoogleSecret,
		Users: []googletest.User{{
			Email: sandboxGoogleUser, Name: sandboxUserName, HostedDomain: sandboxDomain,
			MessagesTotal: 1843, ThreadsTotal: 612, HistoryID: 918273,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the Google fake: %w", err)
	}
	sb.google = g
	if cfg.Connectors.Google != nil || cfg.Connectors.Office365 != nil {
		logger.Warn("sandbox: the google and office365 sections are replaced by the fakes")
	}
	cfg.Connectors.Google = &googleConfig{ClientID: sandboxGoogleClient, ClientSecret: sandboxGoogleSecret, endpoints: g.Endpoints()}

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
		"google", g.URL(), "user", sandboxUserName, "email", sandboxGoogleUser)
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
