package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
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
	// sandboxSSOScope is the scope the sample add-in's API exposes, which
	// the Office tokens of the sandbox carry in scp (see ssoConfig).
	sandboxSSOScope = "access_as_user"
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

// sandboxPollInterval is the sandbox's default webhooks.pollInterval: a
// change shows up in a few seconds even where the provider push is lost.
const sandboxPollInterval = 5 * time.Second

// sandbox runs the provider fakes in-process (googletest and graphtest,
// started with NewServer: no testing.TB). Close stops them.
type sandbox struct {
	google *googletest.Server
	graph  *graphtest.Server
	now    func() time.Time
	logger *slog.Logger
	sent   atomic.Int64 // sample messages delivered by POST /sandbox/mail
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
// anyone in without a password), seeds them for today (by now, in the
// server's local zone) and rewrites cfg to use them: the Google and
// Office365 connectors point at the fakes' endpoints, a sample app with a
// random secret is registered for the add-in, and unless the store was
// chosen the data lives in memory with a throwaway key.
func startSandbox(cfg *config, logger *slog.Logger, now func() time.Time) (*sandbox, error) {
	sb := &sandbox{now: now, logger: logger}
	g, err := googletest.NewServer(googletest.Options{
		ClientID: sandboxGoogleClient, ClientSecret: sandboxGoogleSecret, Now: now,
		Users: []googletest.User{{
			Email: sandboxGoogleUser, Name: sandboxUserName, MessagesTotal: 1843, ThreadsTotal: 612, HistoryID: 918273,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the Google fake: %w", err)
	}
	sb.google = g
	ms, err := graphtest.NewServer(graphtest.Options{
		ClientID: sandboxMSClient, ClientSecret: sandboxMSSecret, Now: now,
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
	zone, loc := localZone()
	if err := seedMicrosoft(ms, now(), zone, loc); err != nil {
		sb.Close()
		return nil, err
	}
	if err := seedGoogle(g, now(), zone, loc); err != nil {
		sb.Close()
		return nil, err
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
	// The operations side: the admin console (loopback only unless a
	// password hash is configured) and the Prometheus endpoint.
	if cfg.Admin.Path == "" {
		cfg.Admin.Path = "/admin"
	}
	if cfg.Metrics.Path == "" {
		cfg.Metrics.Path = "/metrics"
	}
	if cfg.Store == defaultConfig().Store {
		cfg.Store = memoryStore
	}
	if cfg.Webhooks.PollInterval == "" {
		cfg.Webhooks.PollInterval = sandboxPollInterval.String()
	}
	logger.Info("sandbox: fake providers running; they sign anyone in without a password, for local development only",
		"microsoft", ms.URL(), "google", g.URL(), "user", sandboxUserName, "mailbox", sandboxMSUser, "gmail", sandboxGoogleUser,
		"today", now().In(loc).Format(time.DateOnly), "zone", zone)
	return sb, nil
}

// ssoConfig is the add-in SSO section of the sandbox's Office365
// connector, once the server's public URL is known: the sample app's API
// is api://{public host}/{client id}, as Microsoft names an add-in's API,
// with the scope access_as_user. The Office tokens of the stand-in
// (POST /sandbox/office-token) are v2.0 tokens, whose aud is the client id,
// which the connector accepts as well.
func (s *sandbox) ssoConfig(public string) ssoConfig {
	host := strings.TrimPrefix(strings.TrimPrefix(public, "https://"), "http://")
	return ssoConfig{APIAppID: "api://" + host + "/" + sandboxMSClient, Scope: sandboxSSOScope}
}

func hasApp(apps []appConfig, id string) bool {
	for _, a := range apps {
		if a.ClientID == id {
			return true
		}
	}
	return false
}

// localZone returns the IANA name of the server's local time zone and the
// zone: TZ when it names one, else the target of /etc/localtime, else
// /etc/timezone; UTC when none names a zone Go can load. The fakes need
// the name (a calendar's zone travels as a name).
func localZone() (string, *time.Location) {
	var names []string
	if n := time.Local.String(); n != "Local" {
		names = append(names, n) // TZ was set
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, n, ok := strings.Cut(target, "zoneinfo/"); ok {
			names = append(names, n)
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		names = append(names, strings.TrimSpace(string(b)))
	}
	for _, n := range names {
		if loc, err := time.LoadLocation(n); err == nil && n != "" {
			return n, loc
		}
	}
	return "UTC", time.UTC
}

// dayClock gives times of the day of now in loc, days after it.
type dayClock struct {
	y   int
	m   time.Month
	d   int
	loc *time.Location
}

func newDayClock(now time.Time, loc *time.Location) dayClock {
	y, m, d := now.In(loc).Date()
	return dayClock{y: y, m: m, d: d, loc: loc}
}

// at is hh:mm on the day days after today (time.Date normalizes, so a
// DST change is respected).
func (c dayClock) at(days, hh, mm int) time.Time {
	return time.Date(c.y, c.m, c.d+days, hh, mm, 0, 0, c.loc)
}

// date is the date days after today as midnight UTC, the form of a date
// without a time (a Google task's due date).
func (c dayClock) date(days int) time.Time {
	return time.Date(c.y, c.m, c.d+days, 0, 0, 0, 0, time.UTC)
}

// seedMicrosoft fills Ada's Microsoft 365 mailbox: a small inbox, today's
// agenda (a Teams meeting with two attendees at 09:30, lunch at 13:00, an
// all-day event and a weekly series with an occurrence this afternoon),
// a lecture tomorrow, a handful of contacts and To Do tasks, one
// completed. Times are in zone (loc), computed from now.
func seedMicrosoft(ms *graphtest.Server, now time.Time, zone string, loc *time.Location) error {
	oid := sandboxMSObjectID
	day := newDayClock(now, loc)
	charles := graphtest.Recipient{Name: "Charles Babbage", Address: "charles@" + sandboxDomain}
	mary := graphtest.Recipient{Name: "Mary Somerville", Address: "mary@royal-society.example"}
	// The inbox, for the task pane's "recent mail".
	for i, m := range []graphtest.Message{
		{Subject: "Notes on the Analytical Engine", Body: "Draft of note G attached for your review.",
			From: charles, ReceivedAt: now.Add(-25 * time.Minute)},
		{Subject: "Bernoulli numbers: the table", Body: "<p>The table for note G, as discussed.</p>", BodyIsHTML: true,
			From: mary, ReceivedAt: now.Add(-2 * time.Hour)},
		{Subject: "Punched cards from Lyon", Body: "The Jacquard cards arrive on Thursday.", IsRead: true,
			From: graphtest.Recipient{Name: "Joseph Jacquard", Address: "joseph@lyon-looms.example"}, ReceivedAt: now.Add(-20 * time.Hour)},
	} {
		m.To = []graphtest.Recipient{{Name: sandboxUserName, Address: sandboxMSUser}}
		if _, err := ms.SeedMessage(oid, m); err != nil {
			return fmt.Errorf("sandbox: seed message %d: %w", i, err)
		}
	}

	// The calendar.
	weekday := strings.ToLower(day.at(0, 0, 0).Weekday().String())
	for _, ev := range []graphtest.Event{
		{Subject: "Analytical Engine design review", Body: "Agenda: the store, the mill, and note G.",
			Start: day.at(0, 9, 30), End: day.at(0, 10, 15), TimeZone: zone,
			Location:        graphtest.Location{DisplayName: "Microsoft Teams Meeting"},
			IsOnlineMeeting: true, OnlineMeetingProvider: "teamsForBusiness",
			Attendees: []graphtest.Attendee{{Name: charles.Name, Address: charles.Address, Response: "accepted"},
				{Name: mary.Name, Address: mary.Address, Type: "optional", Response: "tentativelyAccepted"}}},
		{Subject: "Lunch with Mary Somerville", Start: day.at(0, 13, 0), End: day.at(0, 14, 0), TimeZone: zone,
			Location: graphtest.Location{DisplayName: "The Athenaeum, Pall Mall"}},
		{Subject: "Working from Ockham Park", IsAllDay: true, ShowAs: "workingElsewhere",
			Start: day.at(0, 0, 0), End: day.at(1, 0, 0), TimeZone: zone},
		{Subject: "Notes review with Charles", Start: day.at(-14, 16, 0), End: day.at(-14, 16, 30), TimeZone: zone,
			Recurrence: &graphtest.Recurrence{
				Pattern: graphtest.RecurrencePattern{Type: "weekly", Interval: 1, DaysOfWeek: []string{weekday}},
				Range:   graphtest.RecurrenceRange{Type: "noEnd", StartDate: day.at(-14, 0, 0).Format(time.DateOnly), RecurrenceTimeZone: zone}}},
		{Subject: "Royal Institution lecture: electromagnetism", Start: day.at(1, 19, 0), End: day.at(1, 20, 30), TimeZone: zone,
			Location: graphtest.Location{DisplayName: "Royal Institution, Albemarle Street"}, ShowAs: "tentative"},
	} {
		if _, err := ms.SeedEvent(oid, "", ev); err != nil {
			return fmt.Errorf("sandbox: seed event %q: %w", ev.Subject, err)
		}
	}

	// The contacts.
	contact := func(given, surname, address, company, title string) graphtest.Contact {
		name := given + " " + surname
		return graphtest.Contact{GivenName: given, Surname: surname, DisplayName: name,
			EmailAddresses: []graphtest.Recipient{{Name: name, Address: address}}, CompanyName: company, JobTitle: title}
	}
	babbage := contact("Charles", "Babbage", charles.Address, "Analytical Engines Ltd", "Inventor")
	babbage.BusinessPhones = []string{"+44 20 7946 0182"}
	somerville := contact("Mary", "Somerville", mary.Address, "Royal Society", "Mathematician")
	somerville.MobilePhone = "+44 7700 900180"
	for _, c := range []graphtest.Contact{babbage, somerville,
		contact("Augustus", "De Morgan", "augustus@ucl.example", "University College London", "Professor of Mathematics"),
		contact("Michael", "Faraday", "michael@royal-institution.example", "Royal Institution", "Fullerian Professor of Chemistry"),
		contact("Joseph Marie", "Jacquard", "joseph@lyon-looms.example", "Lyon Looms", "Weaver"),
	} {
		if _, err := ms.SeedContact(oid, c); err != nil {
			return fmt.Errorf("sandbox: seed contact %q: %w", c.DisplayName, err)
		}
	}

	// To Do.
	list := ms.DefaultTodoListID(oid)
	if list == "" {
		return fmt.Errorf("sandbox: the Microsoft fake has no default To Do list")
	}
	for _, t := range []graphtest.TodoTask{
		{Title: "Finish note G on the Bernoulli numbers", Importance: "high", DueDateTime: day.at(2, 0, 0),
			Body: "The table of the computation, and the diagram."},
		{Title: "Reply to Charles about the store", DueDateTime: day.at(0, 0, 0)},
		{Title: "Read Menabrea's paper in French", Status: "inProgress"},
		{Title: "Order punched cards from Lyon", Status: "completed", CompletedDateTime: day.at(-1, 0, 0)},
	} {
		if _, err := ms.SeedTodoTask(oid, list, t); err != nil {
			return fmt.Errorf("sandbox: seed task %q: %w", t.Title, err)
		}
	}
	return nil
}

// seedGoogle gives Ada's personal Gmail account (the secondary one) a
// little data: an evening event today, a contact and a task.
func seedGoogle(g *googletest.Server, now time.Time, zone string, loc *time.Location) error {
	user := sandboxGoogleUser
	day := newDayClock(now, loc)
	if _, err := g.SeedCalendar(user, googletest.Calendar{ID: "primary", TimeZone: zone}); err != nil {
		return fmt.Errorf("sandbox: seed the Google calendar: %w", err)
	}
	dt := func(t time.Time) *googletest.EventDateTime {
		return &googletest.EventDateTime{DateTime: t.Format(time.RFC3339), TimeZone: zone}
	}
	if _, err := g.SeedEvent(user, "primary", googletest.Event{Summary: "Piano lesson", Location: "Ockham Park",
		Start: dt(day.at(0, 18, 0)), End: dt(day.at(0, 19, 0))}); err != nil {
		return fmt.Errorf("sandbox: seed the Google event: %w", err)
	}
	if _, err := g.SeedContact(user, googletest.Person{
		Names:          []googletest.PersonName{{GivenName: "Annabella", FamilyName: "Milbanke"}},
		EmailAddresses: []googletest.EmailAddress{{Value: "annabella@kirkby-mallory.example", Type: "home"}},
		PhoneNumbers:   []googletest.PhoneNumber{{Value: "+44 20 7946 0816", Type: "home"}},
	}); err != nil {
		return fmt.Errorf("sandbox: seed the Google contact: %w", err)
	}
	if _, err := g.SeedTask(user, "@default", googletest.Task{Title: "Buy a new notebook for the notes", Due: day.date(1)}); err != nil {
		return fmt.Errorf("sandbox: seed the Google task: %w", err)
	}
	return nil
}
