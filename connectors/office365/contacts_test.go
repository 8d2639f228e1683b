package office365_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// pimEnv is a connector, the fake and alice's account with the contacts
// and tasks scopes.
type pimEnv struct {
	env
	acct provider.Account
	oid  string
}

func newPIMEnv(t *testing.T) pimEnv {
	t.Helper()
	e := newEnv(t, nil, nil)
	g, err := e.signIn(t, "", connectors.ContactsReadWrite, connectors.TasksReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &xoauth2.Transport{Source: xoauth2.StaticTokenSource(g.Token)}, Timeout: 10 * time.Second}
	return pimEnv{env: e, acct: provider.Account{ID: 1, Email: alice.Mail, AuthUserID: alice.ObjectID, Client: hc}, oid: alice.ObjectID}
}

// requests returns the Graph requests with method since index from.
func (e pimEnv) requests(from int, method string) []graphtest.GraphRequest {
	var out []graphtest.GraphRequest
	for _, r := range e.fake.GraphRequests()[from:] {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// wantKind fails unless err is a *provider.Error of kind.
func wantKind(t *testing.T, err, kind error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) {
		t.Fatalf("error = %v, want a *provider.Error of kind %v", err, kind)
	}
	return pe
}

func asJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// bare drops what the provider assigns (id, etag, timestamps).
func bare(c contacts.Contact) contacts.Contact {
	c.ID, c.ETag, c.CreatedTime, c.LastModifiedTime = "", "", nil, nil
	return c
}

func (e pimEnv) seedContact(t *testing.T, c graphtest.Contact) graphtest.Contact {
	t.Helper()
	stored, err := e.fake.SeedContact(e.oid, c)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func TestContacts_readMapping(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	for _, tc := range []struct {
		name string
		seed graphtest.Contact
		want contacts.Contact
	}{
		{
			name: "every mapped field",
			seed: graphtest.Contact{
				DisplayName: "Dr. Ada K Lovelace", Title: "Dr.", GivenName: "Ada", MiddleName: "K", Surname: "Lovelace", Generation: "Jr.",
				YomiGivenName: "エイダ", YomiSurname: "ラブレス", NickName: "Countess", FileAs: "Lovelace, Ada",
				EmailAddresses: []graphtest.Recipient{{Name: "Ada", Address: "ada@example.com"}, {Address: "ada@home.example"}},
				MobilePhone:    "+1 555 0100", BusinessPhones: []string{"+1 555 0101", "+1 555 0102"}, HomePhones: []string{"+1 555 0103"},
				HomeAddress:     graphtest.ContactAddress{Street: "1 Home St", City: "London", PostalCode: "N1", CountryOrRegion: "UK"},
				BusinessAddress: graphtest.ContactAddress{Street: "2 Work Rd", City: "Cambridge", State: "Cambs", PostalCode: "CB1", CountryOrRegion: "UK"},
				CompanyName:     "Analytical Engines", Department: "R&D", JobTitle: "Programmer", OfficeLocation: "B1",
				Birthday:      time.Date(1815, 12, 10, 11, 59, 0, 0, time.UTC),
				PersonalNotes: "First programmer.\nSecond line.", Categories: []string{"VIP", "Friends"},
				Manager: "Charles Babbage", SpouseName: "William King", AssistantName: "Mary", BusinessHomePage: "https://ada.example/",
				IMAddresses: []string{"ada@im.example"}, Profession: "Mathematician",
			},
			want: contacts.Contact{
				Name: contacts.Name{DisplayName: "Dr. Ada K Lovelace", Prefix: "Dr.", GivenName: "Ada", MiddleName: "K", FamilyName: "Lovelace", Suffix: "Jr.",
					YomiGivenName: "エイダ", YomiFamilyName: "ラブレス"},
				NickName: "Countess", FileAs: "Lovelace, Ada",
				Company:   &contacts.Company{Name: "Analytical Engines", Department: "R&D", JobTitle: "Programmer", OfficeLocation: "B1"},
				Relations: []contacts.Relation{{Name: "Charles Babbage", Type: "manager"}, {Name: "Mary", Type: "assistant"}, {Name: "William King", Type: "spouse"}},
				Birthday:  "1815-12-10", Keywords: []string{"VIP", "Friends"}, Notes: "First programmer.\nSecond line.",
				EmailAddresses: []contacts.EmailAddress{{Address: "ada@example.com", Name: "Ada"}, {Address: "ada@home.example"}},
				PhoneNumbers: []contacts.PhoneNumber{{Number: "+1 555 0100", Type: "mobile"}, {Number: "+1 555 0101", Type: "work"},
					{Number: "+1 555 0102", Type: "work"}, {Number: "+1 555 0103", Type: "home"}},
				Addresses: []contacts.PostalAddress{
					{Street: "2 Work Rd", City: "Cambridge", State: "Cambs", PostalCode: "CB1", Country: "UK", Type: "work"},
					{Street: "1 Home St", City: "London", PostalCode: "N1", Country: "UK", Type: "home"},
				},
				URLs: []contacts.URL{{Href: "https://ada.example/", Type: "work"}},
			},
		},
		{
			name: "birthday without a year, other address only",
			seed: graphtest.Contact{GivenName: "Grace", Surname: "Hopper", Birthday: time.Date(1604, 12, 9, 11, 59, 0, 0, time.UTC),
				OtherAddress: graphtest.ContactAddress{City: "Arlington"}},
			want: contacts.Contact{Name: contacts.Name{DisplayName: "Grace Hopper", GivenName: "Grace", FamilyName: "Hopper"}, Birthday: "--12-09",
				EmailAddresses: []contacts.EmailAddress{}, PhoneNumbers: []contacts.PhoneNumber{},
				Addresses: []contacts.PostalAddress{{City: "Arlington", Type: "other"}}},
		},
		{
			name: "address only",
			seed: graphtest.Contact{EmailAddresses: []graphtest.Recipient{{Address: "x@example.com"}}},
			want: contacts.Contact{EmailAddresses: []contacts.EmailAddress{{Address: "x@example.com"}}, PhoneNumbers: []contacts.PhoneNumber{},
				Addresses: []contacts.PostalAddress{}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored := e.seedContact(t, tc.seed)
			got, err := e.c.GetContact(context.Background(), e.acct, stored.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != stored.ID || got.ETag != `W/"`+stored.ChangeKey+`"` {
				t.Errorf("id, etag = %q, %q; want %q, W/%q", got.ID, got.ETag, stored.ID, stored.ChangeKey)
			}
			if got.CreatedTime == nil || got.LastModifiedTime == nil || !got.LastModifiedTime.Equal(stored.LastModifiedDateTime) {
				t.Errorf("times = %v, %v; want %v", got.CreatedTime, got.LastModifiedTime, stored.LastModifiedDateTime)
			}
			if b := bare(got); !reflect.DeepEqual(b, tc.want) {
				t.Errorf("contact =\n%s\nwant\n%s", asJSON(b), asJSON(tc.want))
			}
		})
	}
}

func TestContacts_listPages(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	var want []string
	for _, n := range []string{"Ann", "Ben", "Cat", "Dan", "Eve"} {
		want = append(want, e.seedContact(t, graphtest.Contact{GivenName: n}).ID)
	}
	var got []string
	page, pages := "", 0
	for {
		p, err := e.c.ListContacts(ctx, e.acct, page, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range p.Contacts {
			got = append(got, c.ID)
		}
		if p.NextPage == "" {
			break
		}
		page = p.NextPage
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("%d pages of %v, want 3 pages of %v", pages, got, want)
	}
	first := e.fake.GraphRequests()
	q := first[len(first)-3].Query
	if q.Get("$top") != "2" || !strings.Contains(q.Get("$select"), "personalNotes") {
		t.Errorf("first page query = %v", q)
	}
	// A client limit beyond the maximum is capped.
	if _, err := e.c.ListContacts(ctx, e.acct, "", 100000); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.GraphRequests()
	if top := reqs[len(reqs)-1].Query.Get("$top"); top != "500" {
		t.Errorf("$top = %s, want 500", top)
	}
}

func ptr[T any](v T) *T { return &v }

func TestContacts_createUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	created, err := e.c.CreateContact(ctx, e.acct, contacts.Change{
		Name:     &contacts.Name{GivenName: "Alan", FamilyName: "Turing", Prefix: "Mr."},
		NickName: ptr("Prof"), Company: &contacts.Company{Name: "NPL", JobTitle: "Scientist"},
		Birthday: ptr("1912-06-23"), Notes: ptr("Enigma"),
		EmailAddresses: &[]contacts.EmailAddress{{Address: "alan@example.com", Name: "Alan", Type: "work"}, {Address: "alan@home.example", Type: "home"}},
		PhoneNumbers:   &[]contacts.PhoneNumber{{Number: "111", Type: "work"}, {Number: "222", Type: "mobile"}, {Number: "333", Type: "home"}, {Number: "444", Type: "work"}},
		Addresses:      &[]contacts.PostalAddress{{Street: "Bletchley Park", City: "Milton Keynes", Type: "work"}, {City: "Wilmslow"}},
		URLs:           &[]contacts.URL{{Href: "https://turing.example/"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stored := e.fake.Contacts(e.oid)
	if len(stored) != 1 || stored[0].ID != created.ID {
		t.Fatalf("stored = %+v", stored)
	}
	s := stored[0]
	if s.GivenName != "Alan" || s.Surname != "Turing" || s.Title != "Mr." || s.DisplayName != "Alan Turing" || s.NickName != "Prof" ||
		s.CompanyName != "NPL" || s.JobTitle != "Scientist" || s.PersonalNotes != "Enigma" ||
		!s.Birthday.Equal(time.Date(1912, 6, 23, 11, 59, 0, 0, time.UTC)) ||
		s.MobilePhone != "222" || !slices.Equal(s.BusinessPhones, []string{"111", "444"}) || !slices.Equal(s.HomePhones, []string{"333"}) ||
		s.BusinessAddress.Street != "Bletchley Park" || s.OtherAddress.City != "Wilmslow" || s.HomeAddress != (graphtest.ContactAddress{}) ||
		s.BusinessHomePage != "https://turing.example/" ||
		!slices.Equal(s.EmailAddresses, []graphtest.Recipient{{Name: "Alan", Address: "alan@example.com"}, {Address: "alan@home.example"}}) {
		t.Errorf("stored contact = %+v", s)
	}
	if created.Birthday != "1912-06-23" || len(created.EmailAddresses) != 2 || created.EmailAddresses[0].Type != "" ||
		!reflect.DeepEqual(created.PhoneNumbers, []contacts.PhoneNumber{{Number: "222", Type: "mobile"}, {Number: "111", Type: "work"}, {Number: "444", Type: "work"}, {Number: "333", Type: "home"}}) {
		t.Errorf("created = %s", asJSON(created))
	}

	// A stale etag is refused; the current one is accepted, also without
	// its W/"..." wrapping.
	e.clock.Advance(time.Minute)
	if err := e.fake.ChangeContact(e.oid, created.ID, func(c *graphtest.Contact) { c.NickName = "Changed in Outlook" }); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{NickName: ptr("x")}, created.ETag)
	if pe := wantKind(t, err, provider.ErrPrecondition); pe.Status != http.StatusPreconditionFailed {
		t.Errorf("status = %d", pe.Status)
	}
	fresh, err := e.c.GetContact(ctx, e.acct, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	bareTag := strings.TrimSuffix(strings.TrimPrefix(fresh.ETag, `W/"`), `"`)
	updated, err := e.c.UpdateContact(ctx, e.acct, created.ID, contacts.Change{
		PhoneNumbers: &[]contacts.PhoneNumber{{Number: "555", Type: "home"}},
		Addresses:    &[]contacts.PostalAddress{},
		Birthday:     ptr("--02-29"),
		URLs:         &[]contacts.URL{},
	}, bareTag)
	if err != nil {
		t.Fatal(err)
	}
	if updated.ETag == fresh.ETag || updated.Birthday != "--02-29" || updated.NickName != "Changed in Outlook" ||
		!reflect.DeepEqual(updated.PhoneNumbers, []contacts.PhoneNumber{{Number: "555", Type: "home"}}) || len(updated.Addresses) != 0 || updated.URLs != nil {
		t.Errorf("updated = %s", asJSON(updated))
	}
	if s := e.fake.Contacts(e.oid)[0]; s.MobilePhone != "" || len(s.BusinessPhones) != 0 || s.BusinessAddress != (graphtest.ContactAddress{}) ||
		s.OtherAddress != (graphtest.ContactAddress{}) || !s.Birthday.Equal(time.Date(1604, 2, 29, 11, 59, 0, 0, time.UTC)) {
		t.Errorf("stored after update = %+v", s)
	}
	if got := e.requests(0, http.MethodPatch); len(got) != 2 || got[1].Header.Get("If-Match") != fresh.ETag {
		t.Errorf("PATCH requests = %+v", got)
	}

	wantKind(t, e.c.DeleteContact(ctx, e.acct, created.ID, fresh.ETag), provider.ErrPrecondition)
	if err := e.c.DeleteContact(ctx, e.acct, created.ID, updated.ETag); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetContact(ctx, e.acct, created.ID)
	wantKind(t, err, provider.ErrNotFound)
	wantKind(t, e.c.DeleteContact(ctx, e.acct, created.ID, ""), provider.ErrNotFound)
}

func TestContacts_changesGraphCannotStore(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	id := e.seedContact(t, graphtest.Contact{GivenName: "Kept"}).ID
	for _, tc := range []struct {
		name string
		ch   contacts.Change
	}{
		{"phone of type other", contacts.Change{PhoneNumbers: &[]contacts.PhoneNumber{{Number: "1", Type: "other"}}}},
		{"fax", contacts.Change{PhoneNumbers: &[]contacts.PhoneNumber{{Number: "1", Type: "workFax"}}}},
		{"phone without type", contacts.Change{PhoneNumbers: &[]contacts.PhoneNumber{{Number: "1"}}}},
		{"two mobiles", contacts.Change{PhoneNumbers: &[]contacts.PhoneNumber{{Number: "1", Type: "mobile"}, {Number: "2", Type: "mobile"}}}},
		{"PO box", contacts.Change{Addresses: &[]contacts.PostalAddress{{POBox: "12", Type: "home"}}}},
		{"two home addresses", contacts.Change{Addresses: &[]contacts.PostalAddress{{City: "A", Type: "home"}, {City: "B", Type: "home"}}}},
		{"untyped and other address", contacts.Change{Addresses: &[]contacts.PostalAddress{{City: "A"}, {City: "B", Type: "other"}}}},
		{"two urls", contacts.Change{URLs: &[]contacts.URL{{Href: "https://a.example"}, {Href: "https://b.example"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.GraphRequests())
			_, err := e.c.UpdateContact(context.Background(), e.acct, id, tc.ch, "")
			wantKind(t, err, provider.ErrUnsupported)
			_, err = e.c.CreateContact(context.Background(), e.acct, tc.ch)
			wantKind(t, err, provider.ErrUnsupported)
			if n := len(e.fake.GraphRequests()) - before; n != 0 {
				t.Errorf("%d requests reached Graph", n)
			}
		})
	}
	_, err := e.c.UpdateContact(context.Background(), e.acct, id, contacts.Change{Birthday: ptr("June 1st")}, "")
	wantKind(t, err, provider.ErrInvalid)
	if len(e.fake.Contacts(e.oid)) != 1 {
		t.Error("a refused create stored a contact")
	}
}

func TestContacts_delta(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	a := e.seedContact(t, graphtest.Contact{GivenName: "A"})
	b := e.seedContact(t, graphtest.Contact{GivenName: "B"})
	e.seedContact(t, graphtest.Contact{GivenName: "C"})
	cursor, err := e.c.ContactsDeltaStart(ctx, e.acct)
	if err != nil {
		t.Fatal(err)
	}
	// The first round returns every contact, in pages of the limit.
	from := len(e.fake.GraphRequests())
	p1, err := e.c.ContactsDeltaChanges(ctx, e.acct, cursor, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Updated) != 2 || p1.NextPage == "" || p1.NextDelta != "" {
		t.Fatalf("page 1 = %+v", p1)
	}
	r := e.requests(from, http.MethodGet)[0]
	if r.Path != "/v1.0/me/contacts/delta" || !strings.Contains(r.Header.Get("Prefer"), "odata.maxpagesize=2") || r.Query.Get("$select") == "" {
		t.Errorf("delta request = %+v", r)
	}
	p2, err := e.c.ContactsDeltaChanges(ctx, e.acct, p1.NextPage, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Updated) != 1 || p2.NextPage != "" || p2.NextDelta == "" || p2.Updated[0].Name.GivenName != "C" {
		t.Fatalf("page 2 = %+v", p2)
	}

	// Changes from Outlook and through the connector come in the next round.
	e.clock.Advance(time.Minute)
	if err := e.fake.ChangeContact(e.oid, a.ID, func(c *graphtest.Contact) { c.Surname = "Changed" }); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.DeleteContact(e.oid, b.ID); err != nil {
		t.Fatal(err)
	}
	d, err := e.c.CreateContact(ctx, e.acct, contacts.Change{Name: &contacts.Name{GivenName: "D"}})
	if err != nil {
		t.Fatal(err)
	}
	p3, err := e.c.ContactsDeltaChanges(ctx, e.acct, p2.NextDelta, 100)
	if err != nil {
		t.Fatal(err)
	}
	var updated []string
	for _, c := range p3.Updated {
		updated = append(updated, c.ID)
	}
	if !slices.Equal(updated, []string{a.ID, d.ID}) || !reflect.DeepEqual(p3.Deleted, []contacts.DeletedContact{{ID: b.ID}}) ||
		p3.NextDelta == "" || p3.Updated[0].Name.FamilyName != "Changed" {
		t.Fatalf("round 2 = %+v", p3)
	}

	// An expired sync state is ErrCursorExpired.
	e.fake.ExpireContactDeltaTokens()
	_, err = e.c.ContactsDeltaChanges(ctx, e.acct, p3.NextDelta, 100)
	if pe := wantKind(t, err, provider.ErrCursorExpired); pe.Status != http.StatusGone {
		t.Errorf("status = %d", pe.Status)
	}
}

// cursorOf builds a cursor as the connector encodes them.
func cursorOf(kind, u string) string {
	b, _ := json.Marshal(map[string]string{"k": kind, "u": u})
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestContacts_hostileCursors(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(other.Close)
	base := e.fake.URL() + "/v1.0"
	for _, tc := range []struct{ name, cursor string }{
		{"not base64", "%%%"},
		{"not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope"))},
		{"another kind", cursorOf("tasksDelta", base+"/me/contacts/delta")},
		{"another host", cursorOf("contactsDelta", other.URL+"/v1.0/me/contacts/delta")},
		{"host as userinfo", cursorOf("contactsDelta", strings.Replace(base, "://", "://evil.example@", 1)+"/me/contacts/delta")},
		{"host prefix", cursorOf("contactsDelta", base+".evil.example/me/contacts/delta")},
		{"outside the version", cursorOf("contactsDelta", e.fake.URL()+"/common/oauth2/v2.0/token")},
		{"dot segments", cursorOf("contactsDelta", base+"/../common/oauth2/v2.0/token")},
		{"escaped dot segments", cursorOf("contactsDelta", base+"/%2e%2e/common/oauth2/v2.0/token")},
		{"another scheme", cursorOf("contactsDelta", strings.Replace(base, "http://", "https://", 1)+"/me/contacts/delta")},
		{"empty URL", cursorOf("contactsDelta", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.GraphRequests())
			_, err := e.c.ContactsDeltaChanges(context.Background(), e.acct, tc.cursor, 10)
			wantKind(t, err, provider.ErrInvalid)
			_, err = e.c.ListContacts(context.Background(), e.acct, tc.cursor, 10)
			wantKind(t, err, provider.ErrInvalid)
			if n := len(e.fake.GraphRequests()) - before; n != 0 {
				t.Errorf("%d requests reached Graph", n)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("the other host got %d requests", hits.Load())
	}
}

func TestContacts_idsAreEscaped(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	for _, id := range []string{"../../me", "a/b", "x?$select=id", "a#b", "AAMk%2F=="} {
		before := len(e.fake.GraphRequests())
		_, err := e.c.GetContact(context.Background(), e.acct, id)
		wantKind(t, err, provider.ErrNotFound)
		reqs := e.fake.GraphRequests()[before:]
		if len(reqs) != 1 || reqs[0].Path != "/v1.0/me/contacts/"+id || len(reqs[0].Query["$select"]) != 1 {
			t.Errorf("id %q: requests %+v", id, reqs)
		}
	}
}

func TestContacts_errorClassification(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	id := e.seedContact(t, graphtest.Contact{GivenName: "Err"}).ID
	for _, tc := range []struct {
		name       string
		status     int
		code       string
		header     http.Header
		kind       error
		retryAfter time.Duration
	}{
		{"404", 404, "ErrorItemNotFound", nil, provider.ErrNotFound, 0},
		{"400 malformed id", 400, "ErrorInvalidIdMalformed", nil, provider.ErrNotFound, 0},
		{"412", 412, "ErrorIrresolvableConflict", nil, provider.ErrPrecondition, 0},
		{"409", 409, "ErrorConflict", nil, provider.ErrConflict, 0},
		{"429 with Retry-After", 429, "TooManyRequests", http.Header{"Retry-After": {"17"}}, provider.ErrRateLimited, 17 * time.Second},
		{"503 with Retry-After", 503, "ServiceUnavailable", http.Header{"Retry-After": {"5"}}, provider.ErrUnavailable, 5 * time.Second},
		{"500", 500, "generalException", nil, provider.ErrUnavailable, 0},
		{"401", 401, "InvalidAuthenticationToken", nil, provider.ErrDenied, 0},
		{"403", 403, "ErrorAccessDenied", nil, provider.ErrDenied, 0},
		{"410", 410, "SyncStateNotFound", nil, provider.ErrCursorExpired, 0},
		{"400 sync state invalid", 400, "SyncStateInvalid", nil, provider.ErrCursorExpired, 0},
		{"413", 413, "ErrorMessageSizeExceeded", nil, provider.ErrTooLarge, 0},
		{"400", 400, "RequestBodyRead", nil, provider.ErrInvalid, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.fake.FailNextGraph(tc.status, tc.code, "failed on purpose", tc.header)
			_, err := e.c.GetContact(context.Background(), e.acct, id)
			pe := wantKind(t, err, tc.kind)
			var ge *office365.GraphError
			if pe.Status != tc.status || pe.RetryAfter != tc.retryAfter || !errors.As(err, &ge) || ge.Code != tc.code {
				t.Errorf("error = %+v (%v)", pe, err)
			}
			if strings.Contains(err.Error(), "Bearer") || strings.Contains(pe.Message, "failed on purpose") {
				t.Errorf("error leaks: %v", err)
			}
		})
	}
}
