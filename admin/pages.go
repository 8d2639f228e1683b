package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/webhooks"
)

// maxApps is how many apps the app selector offers.
const maxApps = 100

// query returns the trimmed search of a request, lower-cased.
func query(r *http.Request) (raw, lower string) {
	raw = strings.TrimSpace(r.URL.Query().Get("q"))
	return raw, strings.ToLower(raw)
}

func idCursor(id int64) string { return strconv.FormatInt(id, 10) }

func afterID(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("after")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errBadRequest("after must be a record id")
	}
	return n, nil
}

func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotFound("no such record")
	}
	return n, nil
}

// appChoice is the app a list is about and the apps to choose from.
type appChoice struct {
	App  string   `json:"app"`
	Apps []string `json:"-"`
}

// chooseApp returns the app named by ?app=, or the first app.
func (c *console) chooseApp(r *http.Request) (appChoice, error) {
	apps, err := c.store.ListApps(r.Context(), store.StringPage{Limit: maxApps})
	if err != nil {
		return appChoice{}, fmt.Errorf("admin: list apps: %w", err)
	}
	ch := appChoice{App: r.URL.Query().Get("app")}
	for _, a := range apps {
		ch.Apps = append(ch.Apps, a.ID)
	}
	if ch.App == "" && len(apps) > 0 {
		ch.App = apps[0].ID
	}
	return ch, nil
}

// Overview is the data of the start page.
type Overview struct {
	Apps       int         `json:"apps"`
	Jobs       []JobCounts `json:"jobs"`
	PrimaryKey string      `json:"primaryKey,omitempty"`
	Rotation   Rotation    `json:"rotation"`
}

func (c *console) overview(r *http.Request) (string, any, error) {
	apps, err := c.store.ListApps(r.Context(), store.StringPage{Limit: maxApps})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list apps: %w", err)
	}
	counts, err := c.jobCounts(r.Context())
	if err != nil {
		return "", nil, err
	}
	o := Overview{Apps: len(apps), Jobs: counts, Rotation: c.rotation.snapshot()}
	if c.keyring != nil {
		o.PrimaryKey = c.keyring.PrimaryKeyID()
	}
	return "Overview", o, nil
}

// AppsPage lists apps.
type AppsPage struct {
	listInfo
	Configured []string  `json:"configuredConnectors"`
	Apps       []AppView `json:"apps"`
}

func (c *console) apps(r *http.Request) (string, any, error) {
	ctx := r.Context()
	raw, q := query(r)
	var match func(store.App) bool
	if q != "" {
		match = func(a store.App) bool { return contains(q, a.ID, a.Name) }
	}
	list, info, err := scan(ctx, r.URL.Query().Get("after"), c.pageSize, c.budget,
		func(ctx context.Context, after string, limit int) ([]store.App, error) {
			return c.store.ListApps(ctx, store.StringPage{After: after, Limit: limit})
		}, func(a store.App) string { return a.ID }, match, func(s string) string { return s })
	if err != nil {
		return "", nil, fmt.Errorf("admin: list apps: %w", err)
	}
	info.Q, info.After = raw, r.URL.Query().Get("after")
	p := AppsPage{listInfo: info, Configured: c.accounts.Connectors().ServiceTypes(), Apps: []AppView{}}
	for _, a := range list {
		v := AppView{ID: a.ID, Name: a.Name, ReturnURLs: nonNil(a.ReturnURLs), CORSOrigins: nonNil(a.CORSOrigins), Connectors: []string{}, CreatedAt: a.CreatedAt}
		// A connector is in use by an app when it holds an account of
		// that service type: one store read of one row per connector.
		for _, st := range p.Configured {
			accts, err := c.store.ListAccounts(ctx, store.AccountFilter{AppID: a.ID, ServiceType: st}, store.Page{Limit: 1})
			if err != nil {
				return "", nil, fmt.Errorf("admin: list accounts: %w", err)
			}
			if len(accts) > 0 {
				v.Connectors = append(v.Connectors, st)
			}
		}
		p.Apps = append(p.Apps, v)
	}
	return "Apps", p, nil
}

// UsersPage lists the users of an app, each with their organization and
// accounts.
type UsersPage struct {
	appChoice
	listInfo
	Users []UserRow `json:"users"`
}

func (c *console) users(r *http.Request) (string, any, error) {
	ch, err := c.chooseApp(r)
	if err != nil {
		return "", nil, err
	}
	raw, q := query(r)
	p := UsersPage{appChoice: ch, Users: []UserRow{}}
	if ch.App == "" {
		return "Users", p, nil // no app yet: nothing to list
	}
	list, info, err := c.scanUsers(r, ch.App, func(u store.User) bool {
		return q == "" || contains(q, u.Email, u.Name, u.ID)
	}, q == "")
	if err != nil {
		return "", nil, err
	}
	info.Q = raw
	p.listInfo = info
	// One store read per user for the accounts, one per organization.
	orgs := map[int64]*OrgView{}
	for _, u := range list {
		row := UserRow{UserView: userView(u), Accounts: []AccountRef{}}
		if u.OrgID != 0 {
			ov, seen := orgs[u.OrgID]
			if !seen {
				if o, err := c.store.GetOrganization(r.Context(), u.OrgID); err == nil {
					v := orgView(o)
					ov = &v
				}
				orgs[u.OrgID] = ov
			}
			row.Organization = ov
		}
		accts, err := c.store.ListAccounts(r.Context(), store.AccountFilter{AppID: u.AppID, UserID: u.ID}, store.Page{Limit: store.MaxPageLimit})
		if err != nil {
			return "", nil, fmt.Errorf("admin: list accounts: %w", err)
		}
		for _, a := range accts {
			row.Accounts = append(row.Accounts, AccountRef{ID: a.ID, ServiceType: a.ServiceType, Type: string(a.Type), Active: a.Active,
				TokenStatus: string(a.TokenStatus), Email: a.Email})
		}
		p.Users = append(p.Users, row)
	}
	return "Users", p, nil
}

// scanUsers pages the users of app; all says match selects everything.
func (c *console) scanUsers(r *http.Request, app string, match func(store.User) bool, all bool) ([]store.User, listInfo, error) {
	after := r.URL.Query().Get("after")
	if all {
		match = nil
	}
	list, info, err := scan(r.Context(), after, c.pageSize, c.budget,
		func(ctx context.Context, after string, limit int) ([]store.User, error) {
			return c.store.ListUsers(ctx, app, store.StringPage{After: after, Limit: limit})
		}, func(u store.User) string { return u.ID }, match, func(s string) string { return s })
	if err != nil {
		return nil, info, fmt.Errorf("admin: list users: %w", err)
	}
	info.After = after
	return list, info, nil
}

// UserPage is one user with their organization and accounts.
type UserPage struct {
	User         UserView      `json:"user"`
	Organization *OrgView      `json:"organization,omitempty"`
	Accounts     []AccountView `json:"accounts"`
}

func (c *console) user(r *http.Request) (string, any, error) {
	ctx := r.Context()
	u, err := c.store.GetUser(ctx, r.PathValue("id"))
	if err != nil {
		return "", nil, fmt.Errorf("admin: get user: %w", err)
	}
	p := UserPage{User: userView(u), Accounts: []AccountView{}}
	if u.OrgID != 0 {
		if o, err := c.store.GetOrganization(ctx, u.OrgID); err == nil {
			ov := orgView(o)
			p.Organization = &ov
		}
	}
	accts, err := c.store.ListAccounts(ctx, store.AccountFilter{AppID: u.AppID, UserID: u.ID}, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list accounts: %w", err)
	}
	for _, a := range accts {
		p.Accounts = append(p.Accounts, accountView(a))
	}
	return "User " + firstNonEmpty(u.Email, u.Name, u.ID), p, nil
}

// OrgsPage lists the organizations of an app.
type OrgsPage struct {
	appChoice
	listInfo
	Organizations []OrgView `json:"organizations"`
}

func (c *console) organizations(r *http.Request) (string, any, error) {
	ch, err := c.chooseApp(r)
	if err != nil {
		return "", nil, err
	}
	if ch.App == "" {
		return "Organizations", OrgsPage{appChoice: ch, Organizations: []OrgView{}}, nil // no app yet
	}
	after, err := afterID(r)
	if err != nil {
		return "", nil, err
	}
	raw, q := query(r)
	var match func(store.Organization) bool
	if q != "" {
		match = func(o store.Organization) bool {
			return contains(q, o.Name, o.Domain, o.XID, o.ServiceProvider, idCursor(o.ID))
		}
	}
	list, info, err := find(r.Context(), q, after, c.pageSize, c.budget,
		func(ctx context.Context, after int64, limit int) ([]store.Organization, error) {
			return c.store.ListOrganizations(ctx, ch.App, store.Page{After: after, Limit: limit})
		}, func(o store.Organization) int64 { return o.ID }, match,
		func(ctx context.Context, id int64) (store.Organization, bool, error) {
			o, err := c.store.GetOrganization(ctx, id)
			return o, o.AppID == ch.App, err
		})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list organizations: %w", err)
	}
	info.Q, info.After = raw, r.URL.Query().Get("after")
	p := OrgsPage{appChoice: ch, listInfo: info, Organizations: []OrgView{}}
	for _, o := range list {
		p.Organizations = append(p.Organizations, orgView(o))
	}
	return "Organizations", p, nil
}

// OrgPage is one organization with its users (paged by a bounded scan,
// since the store cannot list users by organization) and its first
// accounts.
type OrgPage struct {
	Organization OrgView       `json:"organization"`
	Users        []UserView    `json:"users"`
	UserList     listInfo      `json:"userList"`
	Accounts     []AccountView `json:"accounts"`
	MoreAccounts bool          `json:"moreAccounts"`
}

func (c *console) organization(r *http.Request) (string, any, error) {
	id, err := pathID(r)
	if err != nil {
		return "", nil, err
	}
	ctx := r.Context()
	o, err := c.store.GetOrganization(ctx, id)
	if err != nil {
		return "", nil, fmt.Errorf("admin: get organization: %w", err)
	}
	p := OrgPage{Organization: orgView(o), Users: []UserView{}, Accounts: []AccountView{}}
	users, info, err := c.scanUsers(r, o.AppID, func(u store.User) bool { return u.OrgID == o.ID }, false)
	if err != nil {
		return "", nil, err
	}
	p.UserList = info
	for _, u := range users {
		p.Users = append(p.Users, userView(u))
	}
	accts, err := c.store.ListAccounts(ctx, store.AccountFilter{AppID: o.AppID, OrgID: o.ID}, store.Page{Limit: c.pageSize + 1})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list accounts: %w", err)
	}
	if len(accts) > c.pageSize {
		accts, p.MoreAccounts = accts[:c.pageSize], true
	}
	for _, a := range accts {
		p.Accounts = append(p.Accounts, accountView(a))
	}
	return "Organization " + firstNonEmpty(o.Name, o.Domain, o.XID), p, nil
}

// AccountsPage lists the accounts of an app.
type AccountsPage struct {
	appChoice
	listInfo
	ServiceType string       `json:"serviceType,omitempty"`
	Type        string       `json:"type,omitempty"`
	Status      string       `json:"status,omitempty"`
	OrgID       int64        `json:"orgId,omitempty"`
	ServiceList []string     `json:"-"`
	Accounts    []AccountRow `json:"accounts"`
}

// accountStatuses are the values of the status filter.
var accountStatuses = map[string]func(store.Account) bool{
	"active":   func(a store.Account) bool { return a.Active && a.TokenStatus == store.TokenActive },
	"inactive": func(a store.Account) bool { return !a.Active },
	"invalid":  func(a store.Account) bool { return a.TokenStatus == store.TokenInvalid },
	"dead":     func(a store.Account) bool { return a.TokenStatus == store.TokenDead },
}

func (c *console) accountList(r *http.Request) (string, any, error) {
	ch, err := c.chooseApp(r)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(r)
	if err != nil {
		return "", nil, err
	}
	qv := r.URL.Query()
	raw, q := query(r)
	p := AccountsPage{appChoice: ch, ServiceType: qv.Get("serviceType"), Type: qv.Get("type"), Status: qv.Get("status"),
		ServiceList: c.accounts.Connectors().ServiceTypes(), Accounts: []AccountRow{}}
	if ch.App == "" {
		return "Accounts", p, nil // no app yet: nothing to list
	}
	if p.Type != "" && !store.AccountType(p.Type).Valid() {
		return "", nil, errBadRequest("type must be primary, secondary or daemon")
	}
	status, ok := accountStatuses[p.Status]
	if p.Status != "" && !ok {
		return "", nil, errBadRequest("status must be active, inactive, invalid or dead")
	}
	if s := qv.Get("org"); s != "" {
		if p.OrgID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return "", nil, errBadRequest("org must be an organization id")
		}
	}
	f := store.AccountFilter{AppID: ch.App, ServiceType: p.ServiceType, Type: store.AccountType(p.Type), OrgID: p.OrgID}
	var match func(store.Account) bool
	if q != "" || status != nil {
		match = func(a store.Account) bool {
			return (status == nil || status(a)) &&
				(q == "" || contains(q, a.Email, a.Name, a.LoginString, a.UserID, a.AuthUserID, idCursor(a.ID)))
		}
	}
	list, info, err := find(r.Context(), q, after, c.pageSize, c.budget,
		func(ctx context.Context, after int64, limit int) ([]store.Account, error) {
			return c.store.ListAccounts(ctx, f, store.Page{After: after, Limit: limit})
		}, func(a store.Account) int64 { return a.ID }, match,
		func(ctx context.Context, id int64) (store.Account, bool, error) {
			a, err := c.store.GetAccount(ctx, id)
			return a, a.AppID == f.AppID && (f.ServiceType == "" || strings.EqualFold(a.ServiceType, f.ServiceType)) &&
				(f.Type == "" || a.Type == f.Type) && (f.OrgID == 0 || a.OrgID == f.OrgID) && (status == nil || status(a)), err
		})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list accounts: %w", err)
	}
	info.Q, info.After = raw, qv.Get("after")
	p.listInfo = info
	// The token health of each row: one keyed read per row.
	for _, a := range list {
		t, err := c.store.GetToken(r.Context(), a.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) { // deleted meanwhile: an empty token
			return "", nil, fmt.Errorf("admin: get token: %w", err)
		}
		p.Accounts = append(p.Accounts, AccountRow{AccountView: accountView(a), Token: tokenView(t)})
	}
	return "Accounts", p, nil
}

// AccountPage is one account with its token health and subscriptions.
type AccountPage struct {
	Account       AccountView        `json:"account"`
	Token         TokenView          `json:"token"`
	User          *UserView          `json:"user,omitempty"`
	Organization  *OrgView           `json:"organization,omitempty"`
	Subscriptions []SubscriptionView `json:"subscriptions"`
	// QueueScanned is how many delivery jobs were read to count the
	// queues; QueueTruncated means the budget ran out, so the counts are
	// lower bounds.
	QueueScanned   int  `json:"queueScanned"`
	QueueTruncated bool `json:"queueTruncated,omitempty"`
	CanRefresh     bool `json:"canForceRefresh"`
}

func (c *console) account(r *http.Request) (string, any, error) {
	id, err := pathID(r)
	if err != nil {
		return "", nil, err
	}
	ctx := r.Context()
	a, err := c.store.GetAccount(ctx, id)
	if err != nil {
		return "", nil, fmt.Errorf("admin: get account: %w", err)
	}
	t, err := c.store.GetToken(ctx, id)
	if err != nil {
		return "", nil, fmt.Errorf("admin: get token: %w", err)
	}
	p := AccountPage{Account: accountView(a), Token: tokenView(t), Subscriptions: []SubscriptionView{},
		CanRefresh: t.Sealed != nil && !t.Expiry.IsZero() && a.Active}
	if a.UserID != "" {
		if u, err := c.store.GetUser(ctx, a.UserID); err == nil {
			uv := userView(u)
			p.User = &uv
		}
	}
	if a.OrgID != 0 {
		if o, err := c.store.GetOrganization(ctx, a.OrgID); err == nil {
			ov := orgView(o)
			p.Organization = &ov
		}
	}
	subs, err := c.store.ListSubscriptions(ctx, id, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list subscriptions: %w", err)
	}
	for _, s := range subs {
		p.Subscriptions = append(p.Subscriptions, subscriptionView(s))
	}
	views := make([]*SubscriptionView, len(p.Subscriptions))
	for i := range p.Subscriptions {
		views[i] = &p.Subscriptions[i]
	}
	if p.QueueScanned, p.QueueTruncated, err = c.countQueues(ctx, views); err != nil {
		return "", nil, err
	}
	return "Account " + firstNonEmpty(a.Email, a.Name, idCursor(a.ID)), p, nil
}

// countQueues fills in the retry queue and the failed deliveries of subs.
// The store cannot list jobs by Key, so it scans the delivery jobs (one
// pass for all of subs), within the search budget; truncated says the
// budget ran out and the counts are lower bounds.
func (c *console) countQueues(ctx context.Context, subs []*SubscriptionView) (scanned int, truncated bool, err error) {
	if len(subs) == 0 {
		return 0, false, nil
	}
	byKey := make(map[string]*SubscriptionView, len(subs))
	for _, s := range subs {
		byKey[webhookKey(s.ID)] = s
	}
	var after int64
	for scanned < c.budget {
		limit := min(store.MaxPageLimit, c.budget-scanned)
		jobs, err := c.store.ListJobs(ctx, webhooks.JobKind, "", store.Page{After: after, Limit: limit})
		if err != nil {
			return scanned, false, fmt.Errorf("admin: list jobs: %w", err)
		}
		for _, j := range jobs {
			scanned++
			after = j.ID
			s, ok := byKey[j.Key]
			if !ok {
				continue
			}
			if j.State == store.JobFailed {
				s.Failed = append(s.Failed, jobView(j))
			} else {
				s.Queue++
			}
		}
		if len(jobs) < limit {
			return scanned, false, nil
		}
	}
	return scanned, true, nil
}

// SubscriptionsPage lists the webhook subscriptions of an app (or of one
// account of it), with their provider side, last delivery, failure and
// retry queue.
type SubscriptionsPage struct {
	appChoice
	listInfo
	AccountID     int64             `json:"accountId,omitempty"`
	Status        string            `json:"status,omitempty"`
	Subscriptions []SubscriptionRow `json:"subscriptions"`
	// QueueScanned and QueueTruncated: as in AccountPage.
	QueueScanned   int  `json:"queueScanned"`
	QueueTruncated bool `json:"queueTruncated,omitempty"`
}

// subscriptionStatuses are the values of the status filter.
var subscriptionStatuses = map[string]func(store.Subscription) bool{
	"active":   func(s store.Subscription) bool { return s.Active },
	"inactive": func(s store.Subscription) bool { return !s.Active },
	"failing":  func(s store.Subscription) bool { return s.Active && !s.FailSince.IsZero() },
}

func (c *console) subscriptionList(r *http.Request) (string, any, error) {
	ctx := r.Context()
	ch, err := c.chooseApp(r)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(r)
	if err != nil {
		return "", nil, err
	}
	qv := r.URL.Query()
	raw, q := query(r)
	p := SubscriptionsPage{appChoice: ch, Status: qv.Get("status"), Subscriptions: []SubscriptionRow{}}
	if ch.App == "" {
		return "Subscriptions", p, nil // no app yet: nothing to list
	}
	status, ok := subscriptionStatuses[p.Status]
	if p.Status != "" && !ok {
		return "", nil, errBadRequest("status must be active, inactive or failing")
	}
	if s := qv.Get("account"); s != "" {
		if p.AccountID, err = strconv.ParseInt(s, 10, 64); err != nil || p.AccountID <= 0 {
			return "", nil, errBadRequest("account must be an account id")
		}
		// The account names its app.
		a, err := c.store.GetAccount(ctx, p.AccountID)
		if err != nil {
			return "", nil, fmt.Errorf("admin: get account: %w", err)
		}
		p.App = a.AppID
	}
	// Account emails, read once per account per request: for the search
	// and for the rows.
	emails := map[int64]string{}
	email := func(id int64) string {
		e, ok := emails[id]
		if !ok {
			if a, err := c.store.GetAccount(ctx, id); err == nil {
				e = a.Email
			}
			emails[id] = e
		}
		return e
	}
	var match func(store.Subscription) bool
	if q != "" || status != nil {
		match = func(s store.Subscription) bool {
			return (status == nil || status(s)) && (q == "" ||
				contains(q, idCursor(s.ID), s.Resource, s.NotificationURL, s.ProviderID, idCursor(s.AccountID)) ||
				contains(q, email(s.AccountID)))
		}
	}
	fetch := func(ctx context.Context, after int64, limit int) ([]store.Subscription, error) {
		if p.AccountID != 0 {
			return c.store.ListSubscriptions(ctx, p.AccountID, store.Page{After: after, Limit: limit})
		}
		return c.store.ListAppSubscriptions(ctx, p.App, store.Page{After: after, Limit: limit})
	}
	list, info, err := find(ctx, q, after, c.pageSize, c.budget, fetch, func(s store.Subscription) int64 { return s.ID }, match,
		func(ctx context.Context, id int64) (store.Subscription, bool, error) {
			s, err := c.store.GetSubscription(ctx, id)
			return s, s.AppID == p.App && (p.AccountID == 0 || s.AccountID == p.AccountID) && (status == nil || status(s)), err
		})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list subscriptions: %w", err)
	}
	info.Q, info.After = raw, qv.Get("after")
	p.listInfo = info
	for _, s := range list {
		p.Subscriptions = append(p.Subscriptions, SubscriptionRow{SubscriptionView: subscriptionView(s), AccountEmail: email(s.AccountID)})
	}
	views := make([]*SubscriptionView, len(p.Subscriptions))
	for i := range p.Subscriptions {
		views[i] = &p.Subscriptions[i].SubscriptionView
	}
	if p.QueueScanned, p.QueueTruncated, err = c.countQueues(ctx, views); err != nil {
		return "", nil, err
	}
	return "Subscriptions", p, nil
}

// webhookKey is the job Key of a subscription's deliveries (package
// webhooks orders them per subscription).
func webhookKey(subscriptionID int64) string { return "webhook:" + idCursor(subscriptionID) }

// JobCounts is the queue of one job kind.
type JobCounts struct {
	Kind    string `json:"kind"` // "" for all kinds
	Queued  int    `json:"queued"`
	Running int    `json:"running"`
	Failed  int    `json:"failed"`
}

func (c *console) jobCounts(ctx context.Context) ([]JobCounts, error) {
	out := make([]JobCounts, 0, len(c.jobKinds)+1)
	for _, k := range append(slices.Clone(c.jobKinds), "") {
		n, err := c.store.CountJobs(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("admin: count jobs: %w", err)
		}
		out = append(out, JobCounts{Kind: k, Queued: n.Queued, Running: n.Running, Failed: n.Failed})
	}
	return out, nil
}

// JobsPage shows the queues and the failed jobs.
type JobsPage struct {
	listInfo
	Kind   string      `json:"kind,omitempty"`
	Kinds  []string    `json:"-"`
	Counts []JobCounts `json:"counts"`
	Failed []JobView   `json:"failed"`
}

func (c *console) jobs(r *http.Request) (string, any, error) {
	ctx := r.Context()
	after, err := afterID(r)
	if err != nil {
		return "", nil, err
	}
	counts, err := c.jobCounts(ctx)
	if err != nil {
		return "", nil, err
	}
	raw, q := query(r)
	p := JobsPage{Kind: r.URL.Query().Get("kind"), Kinds: c.jobKinds, Counts: counts, Failed: []JobView{}}
	var match func(store.Job) bool
	if q != "" {
		match = func(j store.Job) bool { return contains(q, j.Kind, j.Key, j.LastError, idCursor(j.ID)) }
	}
	list, info, err := find(ctx, q, after, c.pageSize, c.budget,
		func(ctx context.Context, after int64, limit int) ([]store.Job, error) {
			return c.store.ListJobs(ctx, p.Kind, store.JobFailed, store.Page{After: after, Limit: limit})
		}, func(j store.Job) int64 { return j.ID }, match,
		func(ctx context.Context, id int64) (store.Job, bool, error) {
			j, err := c.store.GetJob(ctx, id)
			return j, j.State == store.JobFailed && (p.Kind == "" || j.Kind == p.Kind), err
		})
	if err != nil {
		return "", nil, fmt.Errorf("admin: list jobs: %w", err)
	}
	info.Q, info.After = raw, r.URL.Query().Get("after")
	p.listInfo = info
	for _, j := range list {
		p.Failed = append(p.Failed, jobView(j))
	}
	return "Background jobs", p, nil
}

// KeysPage shows the keyring and the state of a rotation.
type KeysPage struct {
	Enabled  bool     `json:"enabled"`
	Primary  string   `json:"primaryKey,omitempty"`
	KeyIDs   []string `json:"keyIds"`
	Rotation Rotation `json:"rotation"`
}

func (c *console) keys(*http.Request) (string, any, error) {
	p := KeysPage{KeyIDs: []string{}, Rotation: c.rotation.snapshot()}
	if c.keyring != nil {
		p.Enabled, p.Primary, p.KeyIDs = true, c.keyring.PrimaryKeyID(), c.keyring.KeyIDs()
	}
	return "Encryption keys", p, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
