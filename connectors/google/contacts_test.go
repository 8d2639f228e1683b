package google_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// pimEnv is a connector, the fake and alice's account with the contacts
// and tasks scopes.
type pimEnv struct {
	*env
	acct provider.Account
}

func newPIMEnv(t *testing.T) *pimEnv {
	t.Helper()
	e := newEnv(t, nil, nil)
	g := e.signIn(t, []connectors.Scope{connectors.ContactsReadWrite, connectors.TasksReadWrite}, nil)
	ts := &refreshingSource{e: e, tok: g.Token}
	hc := &http.Client{Transport: &xoauth2.Transport{Source: ts}, Timeout: 10 * time.Second}
	return &pimEnv{env: e, acct: provider.Account{ID: 1, Email: alice.Email, Client: hc}}
}

// refreshingSource refreshes the token through the connector when the
// shared clock says it expired, so tests can move the clock by hours.
type refreshingSource struct {
	e   *env
	mu  sync.Mutex
	tok *xoauth2.Token
}

func (s *refreshingSource) Token() (*xoauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tok.Expiry.IsZero() && s.e.clock.Now().After(s.tok.Expiry.Add(-time.Minute)) {
		tok, err := s.e.c.Refresh(context.Background(), s.tok)
		if err != nil {
			return nil, err
		}
		s.tok = tok
	}
	return s.tok, nil
}

func (e *pimEnv) seedContact(t *testing.T, p googletest.Person) googletest.Person {
	t.Helper()
	out, err := e.g.SeedContact(alice.Email, p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonEqual fails the test when got and want differ as JSON.
func jsonEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Fatalf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

// wantKind fails the test unless err is a *provider.Error of kind.
func wantKind(t *testing.T, err, kind error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) || !errors.Is(err, kind) {
		t.Fatalf("err = %v (%T), want kind %v", err, err, kind)
	}
	return pe
}

func ptr[T any](v T) *T { return &v }

func contactID(p googletest.Person) string { return strings.TrimPrefix(p.ResourceName, "people/") }

func TestGetContact_mapping(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	full := e.seedContact(t, googletest.Person{
		Names: []googletest.PersonName{{GivenName: "Robert", MiddleName: "J.", FamilyName: "Other",
			HonorificPrefix: "Dr.", HonorificSuffix: "Jr."}},
		Nicknames: []googletest.Nickname{{Value: "Bob"}},
		EmailAddresses: []googletest.EmailAddress{
			{Value: "bob@other.org", Type: "work", DisplayName: "Bob at work"},
			{Value: "bob@home.example"},
			{Value: "bob@club.example", Type: "club"},
		},
		PhoneNumbers: []googletest.PhoneNumber{
			{Value: "+1 212 555 0100", Type: "home"},
			{Value: "555-0101", Type: "googleVoice"},
			{Value: "+1 917 555 0102", Type: "mobile"},
			{Value: "555-0103", Type: "car"},
			{Value: "+1 212 555 0104", Type: "work"},
			{Value: "555-0105", Type: "workFax"},
		},
		Addresses: []googletest.PersonAddress{
			{Type: "home", StreetAddress: "1 Home St", City: "Brooklyn", Region: "NY", PostalCode: "11201", Country: "USA"},
			{Type: "vacation", StreetAddress: "9 Beach Rd", City: "Montauk", CountryCode: "US"},
			{Type: "work", StreetAddress: "200 Park Ave", ExtendedAddress: "Floor 12", PoBox: "PO 7", City: "New York",
				Region: "NY", PostalCode: "10166", Country: "USA"},
		},
		Organizations: []googletest.Organization{{Name: "Other Org", Title: "CTO", Department: "R&D"}},
		Birthdays:     []googletest.Birthday{{Date: &googletest.PersonDate{Month: 2, Day: 29}}},
		Biographies:   []googletest.Biography{{Value: "<p>Met at <b>GopherCon</b></p><p>Likes tea &amp; cake</p>", ContentType: "TEXT_HTML"}},
		URLs:          []googletest.PersonURL{{Value: "https://bob.example", Type: "blog"}},
		Relations: []googletest.Relation{{Person: "Alice", Type: "manager"}, {Person: "Sam", Type: "friend"},
			{Person: "Pat", Type: "spouse"}},
	})
	minimal := e.seedContact(t, googletest.Person{
		Names:     []googletest.PersonName{{UnstructuredName: "Carol"}},
		Birthdays: []googletest.Birthday{{Date: &googletest.PersonDate{Year: 1990, Month: 7, Day: 4}}},
	})
	updated := e.clock.Now()

	tests := []struct {
		name string
		p    googletest.Person
		want contacts.Contact
	}{
		{"every mapped field", full, contacts.Contact{
			ID:   contactID(full),
			Name: contacts.Name{DisplayName: "Dr. Robert J. Other Jr.", Prefix: "Dr.", GivenName: "Robert", MiddleName: "J.", FamilyName: "Other", Suffix: "Jr."},
			// Google's phone types: mobile, work, home first, then the rest
			// in Google's order; types the model lacks read as other.
			NickName:  "Bob",
			Company:   &contacts.Company{Name: "Other Org", Department: "R&D", JobTitle: "CTO"},
			Relations: []contacts.Relation{{Name: "Alice", Type: "manager"}, {Name: "Pat", Type: "spouse"}},
			Birthday:  "--02-29",
			Notes:     "Met at GopherCon\nLikes tea & cake",
			EmailAddresses: []contacts.EmailAddress{{Address: "bob@other.org", Name: "Bob at work", Type: "work"},
				{Address: "bob@home.example"}, {Address: "bob@club.example", Type: "other"}},
			PhoneNumbers: []contacts.PhoneNumber{{Number: "+1 917 555 0102", Type: "mobile"}, {Number: "+1 212 555 0104", Type: "work"},
				{Number: "+1 212 555 0100", Type: "home"}, {Number: "555-0101", Type: "other"}, {Number: "555-0103", Type: "other"},
				{Number: "555-0105", Type: "workFax"}},
			Addresses: []contacts.PostalAddress{
				{Street: "200 Park Ave\nFloor 12", POBox: "PO 7", City: "New York", State: "NY", PostalCode: "10166", Country: "USA", Type: "work"},
				{Street: "1 Home St", City: "Brooklyn", State: "NY", PostalCode: "11201", Country: "USA", Type: "home"},
				{Street: "9 Beach Rd", City: "Montauk", Country: "US", Type: "other"},
			},
			URLs: []contacts.URL{{Href: "https://bob.example", Type: "blog"}},
		}},
		{"name only, birthday with year", minimal, contacts.Contact{
			ID:       contactID(minimal),
			Name:     contacts.Name{DisplayName: "Carol", GivenName: "Carol"},
			Birthday: "1990-07-04",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.c.GetContact(ctx, e.acct, tc.want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ETag != tc.p.ETag || got.ETag == "" {
				t.Errorf("etag = %q, want %q", got.ETag, tc.p.ETag)
			}
			if got.LastModifiedTime == nil || !got.LastModifiedTime.Equal(updated) {
				t.Errorf("lastModifiedTime = %v, want %v", got.LastModifiedTime, updated)
			}
			got.ETag, got.LastModifiedTime = "", nil
			tc.want.Normalize()
			jsonEqual(t, "contact", got, tc.want)
		})
	}
}

func TestListContacts_paging(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	var want []string
	for _, n := range []string{"Ann", "Ben", "Cid", "Dee", "Eve"} {
		want = append(want, contactID(e.seedContact(t, googletest.Person{Names: []googletest.PersonName{{GivenName: n}}})))
	}
	p := e.seedContact(t, googletest.Person{Names: []googletest.PersonName{{GivenName: "Gone"}}})
	if err := e.g.DeleteContact(alice.Email, p.ResourceName); err != nil {
		t.Fatal(err)
	}
	var got []string
	page, pages := "", 0
	for {
		r, err := e.c.ListContacts(ctx, e.acct, page, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(r.Contacts) > 2 {
			t.Fatalf("page of %d contacts with limit 2", len(r.Contacts))
		}
		for _, c := range r.Contacts {
			got = append(got, c.ID)
		}
		if page = r.NextPage; page == "" {
			break
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("got %q in %d pages, want %q in 3", got, pages, want)
	}
}

func TestContacts_crud(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	created, err := e.c.CreateContact(ctx, e.acct, contacts.Change{
		Name:           &contacts.Name{GivenName: "Dana", FamilyName: "Scully", YomiGivenName: "DAY-na"},
		NickName:       ptr("Starbuck"),
		Company:        &contacts.Company{Name: "FBI", JobTitle: "Agent", Department: "X-Files", OfficeLocation: "Basement"},
		Birthday:       ptr("1964-02-23"),
		Notes:          ptr("Skeptic"),
		EmailAddresses: &[]contacts.EmailAddress{{Address: "dana@fbi.example", Type: "work"}, {Address: "dana@home.example", Name: "Dana"}},
		PhoneNumbers:   &[]contacts.PhoneNumber{{Number: "555-0001", Type: "home"}, {Number: "555-0002", Type: "mobile"}, {Number: "555-0003", Type: "assistant"}},
		Addresses:      &[]contacts.PostalAddress{{Street: "935 Pennsylvania Ave", City: "Washington", State: "DC", Type: "work"}},
		URLs:           &[]contacts.URL{{Href: "https://fbi.example/scully"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stored := e.g.Contacts(alice.Email)
	if len(stored) != 1 || stored[0].Names[0].GivenName != "Dana" || stored[0].Names[0].DisplayName != "Dana Scully" ||
		stored[0].Biographies[0].ContentType != "TEXT_PLAIN" || stored[0].Organizations[0].Name != "FBI" {
		t.Fatalf("stored %+v", stored)
	}
	want := contacts.Contact{ID: created.ID, ETag: created.ETag, LastModifiedTime: created.LastModifiedTime,
		Name:     contacts.Name{DisplayName: "Dana Scully", GivenName: "Dana", FamilyName: "Scully"},
		NickName: "Starbuck", Birthday: "1964-02-23", Notes: "Skeptic",
		// The fake keeps no organization location and no phonetic names;
		// the Person fields it stores are all that reads back.
		Company:        &contacts.Company{Name: "FBI", JobTitle: "Agent", Department: "X-Files"},
		EmailAddresses: []contacts.EmailAddress{{Address: "dana@fbi.example", Type: "work"}, {Address: "dana@home.example", Name: "Dana"}},
		PhoneNumbers:   []contacts.PhoneNumber{{Number: "555-0002", Type: "mobile"}, {Number: "555-0001", Type: "home"}, {Number: "555-0003", Type: "assistant"}},
		Addresses:      []contacts.PostalAddress{{Street: "935 Pennsylvania Ave", City: "Washington", State: "DC", Type: "work"}},
		URLs:           []contacts.URL{{Href: "https://fbi.example/scully"}},
	}
	jsonEqual(t, "created", created, want)
	got, err := e.c.GetContact(ctx, e.acct, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "read back", got, want)

	// Another client changes the contact: the client's etag is stale.
	p := stored[0]
	p.Nicknames = []googletest.Nickname{{Value: "Scully"}}
	if _, err := e.g.UpdateContact(alice.Email, p); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{Notes: ptr("Believer")}, created.ETag)
	wantKind(t, err, provider.ErrPrecondition)
	err = e.c.DeleteContact(ctx, e.acct, created.ID, created.ETag)
	wantKind(t, err, provider.ErrPrecondition)

	// With the current etag, and clearing fields with empty values.
	cur, err := e.c.GetContact(ctx, e.acct, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	upd, err := e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{Notes: ptr(""), Company: &contacts.Company{},
		PhoneNumbers: &[]contacts.PhoneNumber{{Number: "555-0009", Type: "work"}}, Name: &contacts.Name{DisplayName: "D. K. Scully"}}, cur.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Notes != "" || upd.Company != nil || len(upd.PhoneNumbers) != 1 || upd.PhoneNumbers[0].Number != "555-0009" ||
		upd.NickName != "Scully" || upd.Birthday != "1964-02-23" || upd.Name.GivenName != "D." || upd.Name.FamilyName != "Scully" ||
		upd.ETag == cur.ETag {
		t.Fatalf("updated %+v", upd)
	}
	// Without ifMatch the current etag is read first.
	upd2, err := e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{Birthday: ptr("--12-25")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if upd2.Birthday != "--12-25" || upd2.Notes != "" {
		t.Fatalf("updated %+v", upd2)
	}
	// A change that sets nothing still checks the etag.
	if _, err := e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{}, upd.ETag); !errors.Is(err, provider.ErrPrecondition) {
		t.Fatalf("empty change with a stale etag: %v", err)
	}
	if same, err := e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{}, upd2.ETag); err != nil || same.ETag != upd2.ETag {
		t.Fatalf("empty change: %+v, %v", same, err)
	}
	_, err = e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{Birthday: ptr("12/25")}, "")
	wantKind(t, err, provider.ErrInvalid)

	if err := e.c.DeleteContact(ctx, e.acct, created.ID, upd2.ETag); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetContact(ctx, e.acct, created.ID)
	wantKind(t, err, provider.ErrNotFound)
	wantKind(t, e.c.DeleteContact(ctx, e.acct, created.ID, ""), provider.ErrNotFound)
	_, err = e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{Notes: ptr("x")}, "")
	wantKind(t, err, provider.ErrNotFound)
	if n := len(e.g.Contacts(alice.Email)); n != 0 {
		t.Fatalf("%d contacts left", n)
	}
}

// drainContacts reads a sync round to its end: the ids updated and
// deleted, and the next round's cursor.
func drainContacts(t *testing.T, e *pimEnv, cursor string, limit int) (updated, deleted []string, next string, pages int) {
	t.Helper()
	for {
		p, err := e.c.ContactsDeltaChanges(context.Background(), e.acct, cursor, limit)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range p.Updated {
			updated = append(updated, c.ID)
		}
		for _, d := range p.Deleted {
			deleted = append(deleted, d.ID)
		}
		if p.NextPage == "" {
			if p.NextDelta == "" {
				t.Fatal("a round ended without NextDelta")
			}
			return updated, deleted, p.NextDelta, pages
		}
		cursor = p.NextPage
	}
}

func TestContactsDelta(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	var ids []string
	var people []googletest.Person
	for _, n := range []string{"Ann", "Ben", "Cid"} {
		p := e.seedContact(t, googletest.Person{Names: []googletest.PersonName{{GivenName: n}}})
		people = append(people, p)
		ids = append(ids, contactID(p))
	}
	start, err := e.c.ContactsDeltaStart(ctx, e.acct)
	if err != nil {
		t.Fatal(err)
	}
	updated, deleted, next, pages := drainContacts(t, e, start, 2)
	if !slices.Equal(updated, ids) || deleted != nil || pages != 2 {
		t.Fatalf("first round: updated %q deleted %q in %d pages", updated, deleted, pages)
	}
	// Nothing changed.
	if updated, deleted, _, _ := drainContacts(t, e, next, 2); updated != nil || deleted != nil {
		t.Fatalf("quiet round: updated %q deleted %q", updated, deleted)
	}

	// Changes by another client and by the connector.
	people[0].Nicknames = []googletest.Nickname{{Value: "Annie"}}
	if _, err := e.g.UpdateContact(alice.Email, people[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.g.DeleteContact(alice.Email, people[1].ResourceName); err != nil {
		t.Fatal(err)
	}
	made, err := e.c.CreateContact(ctx, e.acct, contacts.Change{Name: &contacts.Name{GivenName: "Dee"}})
	if err != nil {
		t.Fatal(err)
	}
	updated, deleted, next2, _ := drainContacts(t, e, next, 10)
	if !slices.Equal(updated, []string{ids[0], made.ID}) || !slices.Equal(deleted, []string{ids[1]}) {
		t.Fatalf("second round: updated %q deleted %q", updated, deleted)
	}

	// Google expires sync tokens (seven days): the cursor expires.
	e.g.ExpirePeopleSyncTokens(alice.Email)
	_, err = e.c.ContactsDeltaChanges(ctx, e.acct, next2, 10)
	pe := wantKind(t, err, provider.ErrCursorExpired)
	if pe.Status != http.StatusBadRequest {
		t.Fatalf("status %d", pe.Status)
	}
	// A new sync starts over.
	start, _ = e.c.ContactsDeltaStart(ctx, e.acct)
	// (Google's order: least recently changed first.)
	if updated, _, _, _ := drainContacts(t, e, start, 10); !slices.Equal(updated, []string{ids[2], ids[0], made.ID}) {
		t.Fatalf("new sync: %q", updated)
	}
}

func TestContacts_hostileInputs(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	e.seedContact(t, googletest.Person{Names: []googletest.PersonName{{GivenName: "Ann"}}})
	e.seedContact(t, googletest.Person{Names: []googletest.PersonName{{GivenName: "Ben"}}})
	list, err := e.c.ListContacts(ctx, e.acct, "", 1)
	if err != nil || list.NextPage == "" {
		t.Fatalf("%+v %v", list, err)
	}
	start, _ := e.c.ContactsDeltaStart(ctx, e.acct)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	t.Run("ids that are not contacts", func(t *testing.T) {
		for _, id := range []string{"me", "c", "c12x", "123", "c1/../../me", "c1:deleteContact", "people", "C123"} {
			_, err := e.c.GetContact(ctx, e.acct, id)
			wantKind(t, err, provider.ErrNotFound)
			wantKind(t, e.c.DeleteContact(ctx, e.acct, id, ""), provider.ErrNotFound)
			_, err = e.c.UpdateContact(ctx, e.acct, id, contacts.Change{Notes: ptr("x")}, "")
			wantKind(t, err, provider.ErrNotFound)
		}
		if n := len(e.g.Contacts(alice.Email)); n != 2 {
			t.Fatalf("%d contacts", n)
		}
	})
	t.Run("unknown contact", func(t *testing.T) {
		_, err := e.c.GetContact(ctx, e.acct, "c1234567890")
		wantKind(t, err, provider.ErrNotFound)
	})
	for _, tc := range []struct {
		name, cursor string
		list         bool
	}{
		{"list: garbage", "%%%", true},
		{"list: not JSON", b64("nope"), true},
		{"list: a sync cursor", start, true},
		{"list: no page token", b64(`{"n":5}`), true},
		{"list: page size out of range", b64(`{"p":"x","n":5000}`), true},
		{"sync: garbage", "!!", false},
		{"sync: a list cursor", list.NextPage, false},
		{"sync: both full and token", b64(`{"f":true,"s":"tok"}`), false},
		{"sync: empty", b64(`{}`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.list {
				_, err = e.c.ListContacts(ctx, e.acct, tc.cursor, 10)
			} else {
				_, err = e.c.ContactsDeltaChanges(ctx, e.acct, tc.cursor, 10)
			}
			wantKind(t, err, provider.ErrInvalid)
		})
	}
	t.Run("forged page token", func(t *testing.T) {
		// A cursor of ours around a token Google did not issue: Google's
		// 400 is ErrInvalid.
		_, err := e.c.ListContacts(ctx, e.acct, b64(`{"p":"forged","n":1}`), 10)
		wantKind(t, err, provider.ErrInvalid)
	})
	t.Run("forged sync token", func(t *testing.T) {
		_, err := e.c.ContactsDeltaChanges(ctx, e.acct, b64(`{"s":"forged"}`), 10)
		wantKind(t, err, provider.ErrInvalid)
	})
}

func TestContacts_rateLimitAndScopes(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	e.g.RateLimitNext(7 * time.Second)
	_, err := e.c.ListContacts(ctx, e.acct, "", 10)
	pe := wantKind(t, err, provider.ErrRateLimited)
	if pe.RetryAfter != 7*time.Second || pe.Status != http.StatusTooManyRequests {
		t.Fatalf("%+v", pe)
	}
	// A token without the contacts scope (bob, who granted nothing
	// before: Google adds earlier grants to a new one).
	if err := e.g.SetNextUser(bob.Email); err != nil {
		t.Fatal(err)
	}
	g := e.signIn(t, []connectors.Scope{connectors.TasksRead}, nil)
	ro := provider.Account{ID: 2, Email: bob.Email, Client: &http.Client{Transport: &xoauth2.Transport{Source: xoauth2.StaticTokenSource(g.Token)}}}
	_, err = e.c.ListContacts(ctx, ro, "", 10)
	wantKind(t, err, provider.ErrDenied)
	_, err = e.c.CreateContact(ctx, provider.Account{ID: 3}, contacts.Change{Name: &contacts.Name{GivenName: "X"}})
	if err == nil {
		t.Fatal("an account without a client made a request")
	}
}

// stubGoogle is a Google API that answers every request with the set
// canned answer, recording the requests.
type stubGoogle struct {
	mu     sync.Mutex
	status int
	header http.Header
	body   string
	reqs   []stubRequest
	// patch, when set, answers PATCH requests instead.
	patch *stubRequest
}

// stubRequest is a request stubGoogle received.
type stubRequest struct {
	Method string
	URL    *url.URL
	Body   string
}

func newStubGoogle(t *testing.T) (*stubGoogle, *google.Connector, provider.Account) {
	t.Helper()
	s := &stubGoogle{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, stubRequest{Method: r.Method, URL: r.URL, Body: string(b)})
		status, header, body := s.status, s.header, s.body
		if s.patch != nil && r.Method == http.MethodPatch {
			status, body = 400, s.patch.Body
		}
		s.mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: &google.Endpoints{PeopleBaseURL: srv.URL, TasksBaseURL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, provider.Account{ID: 1, Client: srv.Client()}
}

func (s *stubGoogle) requests() []stubRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func (s *stubGoogle) answer(status int, header http.Header, body string) {
	s.mu.Lock()
	s.status, s.header, s.body = status, header, body
	s.mu.Unlock()
}

// googleError is a Google JSON error body.
func googleError(code int, status, reason, message string, details ...map[string]any) string {
	e := map[string]any{"code": code, "message": message, "status": status,
		"errors": []map[string]string{{"domain": "global", "reason": reason, "message": message}}}
	if len(details) > 0 {
		e["details"] = details
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

func TestPIMErrors_classification(t *testing.T) {
	t.Parallel()
	s, c, acct := newStubGoogle(t)
	ctx := context.Background()
	expired := map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "EXPIRED_SYNC_TOKEN", "domain": "people.googleapis.com"}
	sync, _ := c.ContactsDeltaStart(ctx, acct)
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		want       error
		retryAfter time.Duration
		message    string
	}{
		{"404", 404, nil, googleError(404, "NOT_FOUND", "notFound", "Requested entity was not found."), provider.ErrNotFound, 0, ""},
		{"412", 412, nil, googleError(412, "FAILED_PRECONDITION", "conditionNotMet", "Precondition Failed"), provider.ErrPrecondition, 0, ""},
		{"400 failed precondition (etag)", 400, nil, googleError(400, "FAILED_PRECONDITION", "failedPrecondition", "Request person.etag is different"), provider.ErrPrecondition, 0, ""},
		{"400 expired sync token", 400, nil, googleError(400, "FAILED_PRECONDITION", "failedPrecondition", "Sync token is expired.", expired), provider.ErrCursorExpired, 0, ""},
		{"410", 410, nil, googleError(410, "ABORTED", "gone", "Gone"), provider.ErrCursorExpired, 0, ""},
		{"429 with Retry-After", 429, http.Header{"Retry-After": {"12"}}, googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "Quota"), provider.ErrRateLimited, 12 * time.Second, ""},
		{"403 userRateLimitExceeded", 403, nil, googleError(403, "PERMISSION_DENIED", "userRateLimitExceeded", "Slow down"), provider.ErrRateLimited, 0, ""},
		{"500", 500, nil, googleError(500, "INTERNAL", "backendError", "Backend Error"), provider.ErrUnavailable, 0, ""},
		{"503 with Retry-After", 503, http.Header{"Retry-After": {"30"}}, googleError(503, "UNAVAILABLE", "backendError", "Unavailable"), provider.ErrUnavailable, 30 * time.Second, ""},
		{"502 without a JSON body", 502, nil, "<html>Bad Gateway</html>", provider.ErrUnavailable, 0, ""},
		{"400 invalid", 400, nil, googleError(400, "INVALID_ARGUMENT", "badRequest", "Invalid personFields mask path"), provider.ErrInvalid, 0, "Invalid personFields mask path"},
		{"401", 401, nil, googleError(401, "UNAUTHENTICATED", "authError", "Request had invalid authentication credentials."), provider.ErrDenied, 0, ""},
		{"403 scopes", 403, nil, googleError(403, "PERMISSION_DENIED", "insufficientPermissions", "Request had insufficient authentication scopes."), provider.ErrDenied, 0, ""},
		{"409", 409, nil, googleError(409, "ABORTED", "conflict", "Conflict"), provider.ErrConflict, 0, ""},
		{"200 with a malformed body", 200, nil, `{"connections": 5}`, provider.ErrUnavailable, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.answer(tc.status, tc.header, tc.body)
			_, err := c.ContactsDeltaChanges(ctx, acct, sync, 10)
			pe := wantKind(t, err, tc.want)
			if pe.Status != tc.status || pe.RetryAfter != tc.retryAfter {
				t.Fatalf("status %d retryAfter %v", pe.Status, pe.RetryAfter)
			}
			if !strings.Contains(pe.Message, tc.message) {
				t.Fatalf("message %q", pe.Message)
			}
			if strings.Contains(err.Error(), "Bearer") {
				t.Fatalf("error mentions the token: %v", err)
			}
		})
	}
	t.Run("Google unreachable", func(t *testing.T) {
		c2, err := google.New(ctx, google.Config{ClientID: clientID, ClientSecret: clientSecret,
			Endpoints: &google.Endpoints{PeopleBaseURL: "http://127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c2.ListContacts(ctx, acct, "", 10)
		wantKind(t, err, provider.ErrUnavailable)
	})
}

func TestContacts_requestShapes(t *testing.T) {
	t.Parallel()
	s, c, acct := newStubGoogle(t)
	ctx := context.Background()
	s.answer(200, nil, `{"connections":[{"resourceName":"people/c1","etag":"%E1"}],"nextPageToken":"PT"}`)
	page, err := c.ListContacts(ctx, acct, "", 2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListContacts(ctx, acct, page.NextPage, 7); err != nil {
		t.Fatal(err)
	}
	s.answer(200, nil, `{"resourceName":"people/c1","etag":"%E1"}`)
	if _, err := c.UpdateContact(ctx, acct, "c1", contacts.Change{Notes: ptr(""), Name: &contacts.Name{DisplayName: "Just A Name"}}, "%E0"); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	q0, q1, q2 := reqs[0].URL.Query(), reqs[1].URL.Query(), reqs[2].URL.Query()
	// The page size is capped at Google's 1000 and kept for the next page,
	// as Google requires every page to repeat the first call's parameters.
	if reqs[0].URL.Path != "/v1/people/me/connections" || q0.Get("pageSize") != "1000" || q1.Get("pageSize") != "1000" ||
		q1.Get("pageToken") != "PT" || q0.Get("personFields") != q1.Get("personFields") {
		t.Fatalf("list requests %v, %v", reqs[0].URL, reqs[1].URL)
	}
	for _, f := range []string{"names", "nicknames", "emailAddresses", "phoneNumbers", "addresses", "organizations", "birthdays", "biographies", "urls", "relations", "metadata"} {
		if !slices.Contains(strings.Split(q0.Get("personFields"), ","), f) {
			t.Errorf("personFields lacks %s", f)
		}
	}
	if reqs[2].Method != http.MethodPatch || reqs[2].URL.Path != "/v1/people/c1:updateContact" ||
		q2.Get("updatePersonFields") != "names,biographies" {
		t.Fatalf("update request %s %v", reqs[2].Method, reqs[2].URL)
	}
	// ifMatch is the body's etag (no read first); a name with only a
	// display name is Google's unstructuredName; cleared notes are an
	// absent field named in updatePersonFields.
	jsonEqual(t, "update body", json.RawMessage(reqs[2].Body),
		json.RawMessage(`{"etag":"%E0","names":[{"unstructuredName":"Just A Name"}]}`))
}

func TestUpdateContact_retriesARacingChange(t *testing.T) {
	t.Parallel()
	s, c, acct := newStubGoogle(t)
	ctx := context.Background()
	s.answer(200, nil, `{"resourceName":"people/c1","etag":"%E1"}`)
	s.mu.Lock()
	s.patch = &stubRequest{Body: googleError(400, "FAILED_PRECONDITION", "failedPrecondition", "Request person.etag is different")}
	s.mu.Unlock()
	// Without ifMatch: read the etag and write, three times, then give up.
	_, err := c.UpdateContact(ctx, acct, "c1", contacts.Change{Notes: ptr("x")}, "")
	wantKind(t, err, provider.ErrPrecondition)
	var methods []string
	for _, r := range s.requests() {
		methods = append(methods, r.Method)
	}
	if want := []string{"GET", "PATCH", "GET", "PATCH", "GET", "PATCH"}; !slices.Equal(methods, want) {
		t.Fatalf("requests %q, want %q", methods, want)
	}
	// With ifMatch: one attempt, no read.
	_, err = c.UpdateContact(ctx, acct, "c1", contacts.Change{Notes: ptr("x")}, "%E0")
	wantKind(t, err, provider.ErrPrecondition)
	if n := len(s.requests()); n != 7 {
		t.Fatalf("%d requests", n)
	}
}
