package googletest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const (
	scopeContacts         = "https://www.googleapis.com/auth/contacts"
	scopeContactsReadonly = "https://www.googleapis.com/auth/contacts.readonly"
	peopleConnections     = "/v1/people/me/connections"
)

// steppedClock is a clock a test moves by hand.
type steppedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *steppedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newClockedServer starts a fake whose clock the test moves.
func newClockedServer(t *testing.T) (*googletest.Server, *steppedClock) {
	t.Helper()
	clock := &steppedClock{now: epoch}
	return newServer(t, func(o *googletest.Options) { o.Now = clock.Now }), clock
}

// userToken signs in a user and returns an access token with scope.
func userToken(t *testing.T, s *googletest.Server, email, scope string) string {
	t.Helper()
	if err := s.SetNextUser(email); err != nil {
		t.Fatal(err)
	}
	return gmailToken(t, s, scope)
}

// apiCall sends a request with an optional JSON body and returns the
// status and the raw answer.
func apiCall(t *testing.T, method, u, bearer string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// decodeJSON unmarshals an answer into a T.
func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// googleError is Google's JSON error body.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

// wantGoogleError checks an error answer's HTTP code and rpc status.
func wantGoogleError(t *testing.T, what string, status int, body []byte, wantStatus int, wantRPC string) googleError {
	t.Helper()
	e := decodeJSON[googleError](t, body)
	if status != wantStatus || e.Error.Code != wantStatus || e.Error.Status != wantRPC || e.Error.Message == "" {
		t.Fatalf("%s = %d %s, want %d %s", what, status, body, wantStatus, wantRPC)
	}
	return e
}

// connections is the answer of people.connections.list.
type connections struct {
	Connections   []googletest.Person `json:"connections"`
	NextPageToken string              `json:"nextPageToken"`
	NextSyncToken string              `json:"nextSyncToken"`
	TotalPeople   int                 `json:"totalPeople"`
	TotalItems    int                 `json:"totalItems"`
}

func listConnections(t *testing.T, s *googletest.Server, token string, q url.Values) connections {
	t.Helper()
	status, b := apiCall(t, http.MethodGet, s.APIBaseURL()+peopleConnections+"?"+q.Encode(), token, nil)
	if status != http.StatusOK {
		t.Fatalf("connections.list?%s = %d %s", q.Encode(), status, b)
	}
	return decodeJSON[connections](t, b)
}

func displayNames(ps []googletest.Person) []string {
	var out []string
	for _, p := range ps {
		if len(p.Names) == 0 {
			out = append(out, "<none>")
			continue
		}
		out = append(out, p.Names[0].DisplayName)
	}
	return out
}

var ada = googletest.Person{
	Names:          []googletest.PersonName{{GivenName: "Ada", FamilyName: "Lovelace"}},
	Nicknames:      []googletest.Nickname{{Value: "Countess"}},
	EmailAddresses: []googletest.EmailAddress{{Value: "ada@example.org", Type: "work"}, {Value: "ada@home.example", Type: "home"}},
	PhoneNumbers:   []googletest.PhoneNumber{{Value: "+44 20 7946 0000", Type: "workFax"}, {Value: "555-0100", Type: "Lab"}},
	Addresses: []googletest.PersonAddress{{Type: "home", StreetAddress: "12 St James's Square", City: "London",
		PostalCode: "SW1Y 4JH", Country: "United Kingdom", CountryCode: "GB"}},
	Organizations: []googletest.Organization{{Name: "Analytical Engines Ltd", Title: "Programmer", Department: "R&D"}},
	Birthdays:     []googletest.Birthday{{Date: &googletest.PersonDate{Year: 1815, Month: 12, Day: 10}}},
	Biographies:   []googletest.Biography{{Value: "First programmer."}},
	URLs:          []googletest.PersonURL{{Value: "https://example.org/ada", Type: "homePage"}},
	Relations:     []googletest.Relation{{Person: "Charles Babbage", Type: "friend"}},
}

func TestPeople_requiredParametersAndBadValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, scopeContacts)
	p, err := s.SeedContact("alice@example.com", ada)
	if err != nil {
		t.Fatal(err)
	}
	base := s.APIBaseURL() + "/v1/"
	tests := []struct {
		name, method, path string
		body               any
	}{
		{"connections without personFields", "GET", "people/me/connections", nil},
		{"connections with an unknown field", "GET", "people/me/connections?personFields=names,shoeSize", nil},
		{"connections of someone else", "GET", "people/c123/connections?personFields=names", nil},
		{"pageSize above 1000", "GET", "people/me/connections?personFields=names&pageSize=1001", nil},
		{"negative pageSize", "GET", "people/me/connections?personFields=names&pageSize=-1", nil},
		{"unknown sortOrder", "GET", "people/me/connections?personFields=names&sortOrder=RANDOM", nil},
		{"garbage pageToken", "GET", "people/me/connections?personFields=names&pageToken=xyz", nil},
		{"garbage syncToken", "GET", "people/me/connections?personFields=names&syncToken=xyz", nil},
		{"get without personFields", "GET", p.ResourceName, nil},
		{"get of a malformed name", "GET", "people/xyz?personFields=names", nil},
		{"batchGet without personFields", "GET", "people:batchGet?resourceNames=" + p.ResourceName, nil},
		{"batchGet without names", "GET", "people:batchGet?personFields=names", nil},
		{"update without updatePersonFields", "PATCH", p.ResourceName + ":updateContact", map[string]any{"etag": p.ETag}},
		{"update of a read-only field", "PATCH", p.ResourceName + ":updateContact?updatePersonFields=metadata", map[string]any{"etag": p.ETag}},
		{"update without etag", "PATCH", p.ResourceName + ":updateContact?updatePersonFields=names", map[string]any{}},
		{"update with two names", "PATCH", p.ResourceName + ":updateContact?updatePersonFields=names",
			map[string]any{"etag": p.ETag, "names": []map[string]string{{"givenName": "A"}, {"givenName": "B"}}}},
		{"update memberships to none", "PATCH", p.ResourceName + ":updateContact?updatePersonFields=memberships", map[string]any{"etag": p.ETag}},
		{"create with two birthdays", "POST", "people:createContact",
			map[string]any{"birthdays": []map[string]string{{"text": "a"}, {"text": "b"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, b := apiCall(t, tc.method, base+tc.path, at, tc.body)
			wantGoogleError(t, tc.name, status, b, http.StatusBadRequest, "INVALID_ARGUMENT")
		})
	}
}

func TestPeople_fieldMasks(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, scopeContactsReadonly)
	seeded, err := s.SeedContact("alice@example.com", ada)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fields   string
		wantKeys []string
	}{
		{"names", []string{"etag", "names", "resourceName"}},
		{"emailAddresses,metadata", []string{"emailAddresses", "etag", "metadata", "resourceName"}},
		{"phoneNumbers, person.addresses", []string{"addresses", "etag", "phoneNumbers", "resourceName"}},
		{"photos,genders", []string{"etag", "resourceName"}}, // documented, not kept by the fake
		{"names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,birthdays,biographies,urls,relations,memberships,metadata",
			[]string{"addresses", "biographies", "birthdays", "emailAddresses", "etag", "memberships", "metadata", "names",
				"nicknames", "organizations", "phoneNumbers", "relations", "resourceName", "urls"}},
	}
	for _, tc := range tests {
		t.Run(tc.fields, func(t *testing.T) {
			t.Parallel()
			q := "?personFields=" + url.QueryEscape(tc.fields)
			for _, u := range []string{s.APIBaseURL() + "/v1/" + seeded.ResourceName + q, s.APIBaseURL() + peopleConnections + q} {
				status, b := apiCall(t, "GET", u, at, nil)
				if status != 200 {
					t.Fatalf("GET %s = %d %s", u, status, b)
				}
				obj := decodeJSON[map[string]json.RawMessage](t, b)
				if conns, ok := obj["connections"]; ok {
					obj = decodeJSON[[]map[string]json.RawMessage](t, conns)[0]
				}
				var keys []string
				for k := range obj {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if !slices.Equal(keys, tc.wantKeys) {
					t.Fatalf("GET %s: keys %q, want %q", u, keys, tc.wantKeys)
				}
			}
		})
	}

	status, b := apiCall(t, "GET", s.APIBaseURL()+"/v1/"+seeded.ResourceName+"?personFields=names,emailAddresses,phoneNumbers,addresses,organizations,biographies,urls,relations,memberships,metadata", at, nil)
	p := decodeJSON[googletest.Person](t, b)
	digits := strings.TrimPrefix(p.ResourceName, "people/c")
	n, err := strconv.ParseUint(digits, 10, 64)
	if status != 200 || err != nil || p.ETag == "" || p.ETag != seeded.ETag {
		t.Fatalf("get = %d %s", status, b)
	}
	src := p.Metadata.Sources[0]
	if src.Type != "CONTACT" || src.ID != strconv.FormatUint(n, 16) || src.ETag == "" || src.UpdateTime != "2026-05-06T07:08:09.000Z" ||
		p.Metadata.ObjectType != "PERSON" || p.Metadata.Deleted {
		t.Errorf("metadata = %+v", p.Metadata)
	}
	name := p.Names[0]
	if name.DisplayName != "Ada Lovelace" || name.DisplayNameLastFirst != "Lovelace, Ada" || name.UnstructuredName != "Ada Lovelace" ||
		name.Metadata == nil || !name.Metadata.Primary || name.Metadata.Source.ID != src.ID || name.Metadata.Source.Type != "CONTACT" {
		t.Errorf("name = %+v", name)
	}
	if e := p.EmailAddresses; e[0].FormattedType != "Work" || !e[0].Metadata.Primary || e[1].FormattedType != "Home" || e[1].Metadata.Primary {
		t.Errorf("emails = %+v", e)
	}
	if ph := p.PhoneNumbers; ph[0].CanonicalForm != "+442079460000" || ph[0].FormattedType != "Work Fax" ||
		ph[1].CanonicalForm != "" || ph[1].FormattedType != "Lab" {
		t.Errorf("phones = %+v", ph)
	}
	if a := p.Addresses[0]; a.FormattedValue != "12 St James's Square\nLondon, SW1Y 4JH\nUnited Kingdom" || a.FormattedType != "Home" {
		t.Errorf("address = %+v", a)
	}
	if p.Biographies[0].ContentType != "TEXT_PLAIN" || p.URLs[0].FormattedType != "Home Page" || p.Relations[0].FormattedType != "Friend" ||
		p.Organizations[0].Name != "Analytical Engines Ltd" {
		t.Errorf("biography, url, relation, organization = %+v %+v %+v %+v", p.Biographies, p.URLs, p.Relations, p.Organizations)
	}
	if m := p.Memberships; len(m) != 1 || m[0].ContactGroupMembership.ContactGroupResourceName != "contactGroups/myContacts" {
		t.Errorf("memberships = %+v", m)
	}
}

func TestPeople_contactLifecycle(t *testing.T) {
	t.Parallel()
	s, clock := newClockedServer(t)
	at := gmailToken(t, s, scopeContacts)
	ro := gmailToken(t, s, scopeContactsReadonly)
	base := s.APIBaseURL() + "/v1/"
	body := map[string]any{
		"names":          []map[string]string{{"givenName": "Grace", "familyName": "Hopper", "honorificPrefix": "Rear Admiral"}},
		"emailAddresses": []map[string]string{{"value": "grace@navy.example", "type": "work"}},
	}

	if status, b := apiCall(t, "POST", base+"people:createContact", ro, body); status != http.StatusForbidden {
		t.Fatalf("create with contacts.readonly = %d %s", status, b)
	}
	status, b := apiCall(t, "POST", base+"people:createContact?personFields=names", at, body)
	created := decodeJSON[googletest.Person](t, b)
	if status != 200 || !strings.HasPrefix(created.ResourceName, "people/c") || created.ETag == "" || created.EmailAddresses != nil ||
		created.Names[0].DisplayName != "Rear Admiral Grace Hopper" || created.Names[0].DisplayNameLastFirst != "Hopper, Rear Admiral Grace" {
		t.Fatalf("create = %d %s", status, b)
	}
	if all := s.Contacts("alice@example.com"); len(all) != 1 || all[0].EmailAddresses[0].Value != "grace@navy.example" {
		t.Fatalf("Contacts = %+v", all)
	}
	status, b = apiCall(t, "GET", base+created.ResourceName+"?personFields=names,emailAddresses,metadata", ro, nil)
	got := decodeJSON[googletest.Person](t, b)
	if status != 200 || got.ETag != created.ETag || got.EmailAddresses[0].FormattedType != "Work" {
		t.Fatalf("get = %d %s", status, b)
	}

	// An update with the current etag replaces the masked fields only.
	clock.Advance(time.Minute)
	status, b = apiCall(t, "PATCH", base+created.ResourceName+":updateContact?updatePersonFields=names,phoneNumbers", at, map[string]any{
		"etag":           got.ETag,
		"names":          []map[string]string{{"givenName": "Grace", "middleName": "Brewster", "familyName": "Hopper"}},
		"phoneNumbers":   []map[string]string{{"value": "+1 202 555 0147", "type": "mobile"}},
		"emailAddresses": []map[string]string{{"value": "ignored@example.com"}},
	})
	updated := decodeJSON[googletest.Person](t, b)
	if status != 200 || updated.ETag == got.ETag || updated.Names[0].DisplayName != "Grace Brewster Hopper" ||
		updated.PhoneNumbers[0].CanonicalForm != "+12025550147" || updated.EmailAddresses[0].Value != "grace@navy.example" ||
		updated.Metadata.Sources[0].UpdateTime != "2026-05-06T07:09:09.000Z" {
		t.Fatalf("update = %d %s", status, b)
	}

	// The etag read before that update is stale now, in either place.
	for _, stale := range []map[string]any{
		{"etag": got.ETag},
		{"metadata": map[string]any{"sources": []map[string]string{{"type": "CONTACT", "id": got.Metadata.Sources[0].ID, "etag": got.Metadata.Sources[0].ETag}}}},
	} {
		stale["biographies"] = []map[string]string{{"value": "COBOL"}}
		status, b = apiCall(t, "PATCH", base+created.ResourceName+":updateContact?updatePersonFields=biographies", at, stale)
		if e := wantGoogleError(t, "stale update", status, b, 400, "FAILED_PRECONDITION"); e.Error.Errors[0].Reason != "failedPrecondition" {
			t.Fatalf("stale update reason = %s", b)
		}
	}
	// The source etag of the current version is accepted.
	status, b = apiCall(t, "PATCH", base+created.ResourceName+":updateContact?updatePersonFields=biographies&personFields=biographies", at, map[string]any{
		"metadata":    map[string]any{"sources": []map[string]string{{"type": "CONTACT", "etag": updated.Metadata.Sources[0].ETag}}},
		"biographies": []map[string]string{{"value": "<b>COBOL</b>", "contentType": "TEXT_HTML"}},
	})
	if bio := decodeJSON[googletest.Person](t, b); status != 200 || bio.Biographies[0].ContentType != "TEXT_HTML" || bio.Names != nil {
		t.Fatalf("update with the source etag = %d %s", status, b)
	}
	if status, b = apiCall(t, "PATCH", base+created.ResourceName+":updateContact?updatePersonFields=names", ro, map[string]any{"etag": "x"}); status != 403 {
		t.Fatalf("update with contacts.readonly = %d %s", status, b)
	}

	status, b = apiCall(t, "DELETE", base+created.ResourceName+":deleteContact", at, nil)
	if status != 200 || strings.TrimSpace(string(b)) != "{}" {
		t.Fatalf("delete = %d %s", status, b)
	}
	for _, call := range []struct{ method, path string }{
		{"GET", created.ResourceName + "?personFields=names"},
		{"DELETE", created.ResourceName + ":deleteContact"},
		{"PATCH", created.ResourceName + ":updateContact?updatePersonFields=names"},
		{"GET", "people/c42?personFields=names"},
	} {
		status, b = apiCall(t, call.method, base+call.path, at, map[string]any{"etag": updated.ETag})
		wantGoogleError(t, call.method+" "+call.path, status, b, 404, "NOT_FOUND")
	}
	if all := s.Contacts("alice@example.com"); len(all) != 0 {
		t.Fatalf("Contacts after delete = %+v", all)
	}
}

func TestPeople_connectionsPagingAndOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, scopeContactsReadonly)
	var seeded []googletest.Person
	for _, n := range [][2]string{{"Carl", "Zeiss"}, {"Amy", "Young"}, {"Bea", "Xu"}, {"Dan", "Abel"}, {"Eve", "Moss"}} {
		p, err := s.SeedContact("alice@example.com", googletest.Person{Names: []googletest.PersonName{{GivenName: n[0], FamilyName: n[1]}}})
		if err != nil {
			t.Fatal(err)
		}
		seeded = append(seeded, p)
	}
	if _, err := s.UpdateContact("alice@example.com", googletest.Person{ResourceName: seeded[0].ResourceName,
		Names: []googletest.PersonName{{GivenName: "Carl", FamilyName: "Zeiss", HonorificSuffix: "Jr."}}}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		order string
		want  []string
	}{
		{"", []string{"Amy Young", "Bea Xu", "Dan Abel", "Eve Moss", "Carl Zeiss Jr."}},
		{"LAST_MODIFIED_DESCENDING", []string{"Carl Zeiss Jr.", "Eve Moss", "Dan Abel", "Bea Xu", "Amy Young"}},
		{"FIRST_NAME_ASCENDING", []string{"Amy Young", "Bea Xu", "Carl Zeiss Jr.", "Dan Abel", "Eve Moss"}},
		{"LAST_NAME_ASCENDING", []string{"Dan Abel", "Eve Moss", "Bea Xu", "Amy Young", "Carl Zeiss Jr."}},
	} {
		q := url.Values{"personFields": {"names"}, "pageSize": {"2"}, "requestSyncToken": {"true"}}
		if tc.order != "" {
			q.Set("sortOrder", tc.order)
		}
		var names []string
		for page := 1; ; page++ {
			c := listConnections(t, s, at, q)
			names = append(names, displayNames(c.Connections)...)
			if c.TotalItems != 5 || c.TotalPeople != 5 || len(c.Connections) > 2 {
				t.Fatalf("%s page %d: %+v", tc.order, page, c)
			}
			if (c.NextSyncToken != "") != (c.NextPageToken == "") {
				t.Fatalf("%s page %d: nextSyncToken must come with the last page only: %+v", tc.order, page, c)
			}
			if c.NextPageToken == "" {
				if page != 3 {
					t.Fatalf("%s: %d pages", tc.order, page)
				}
				break
			}
			q.Set("pageToken", c.NextPageToken)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("sortOrder %q: %q, want %q", tc.order, names, tc.want)
		}
	}

	// A page token belongs to the parameters of its first call.
	first := listConnections(t, s, at, url.Values{"personFields": {"names"}, "pageSize": {"2"}})
	q := url.Values{"personFields": {"names"}, "pageSize": {"2"}, "sortOrder": {"LAST_NAME_ASCENDING"}, "pageToken": {first.NextPageToken}}
	status, b := apiCall(t, "GET", s.APIBaseURL()+peopleConnections+"?"+q.Encode(), at, nil)
	wantGoogleError(t, "page token with another sortOrder", status, b, 400, "INVALID_ARGUMENT")
	// Without requestSyncToken there is no sync token.
	if all := listConnections(t, s, at, url.Values{"personFields": {"names"}}); all.NextSyncToken != "" || len(all.Connections) != 5 {
		t.Fatalf("plain list = %+v", all)
	}
}

func TestPeople_syncTokens(t *testing.T) {
	t.Parallel()
	s, clock := newClockedServer(t)
	at := gmailToken(t, s, scopeContacts)
	var seeded []googletest.Person
	for _, given := range []string{"Keep", "Change", "Drop"} {
		p, err := s.SeedContact("alice@example.com", googletest.Person{Names: []googletest.PersonName{{GivenName: given}}})
		if err != nil {
			t.Fatal(err)
		}
		seeded = append(seeded, p)
	}
	full := listConnections(t, s, at, url.Values{"personFields": {"names,metadata"}, "requestSyncToken": {"true"}})
	if len(full.Connections) != 3 || full.NextSyncToken == "" {
		t.Fatalf("full sync = %+v", full)
	}

	clock.Advance(10 * time.Minute)
	status, b := apiCall(t, "PATCH", s.APIBaseURL()+"/v1/"+seeded[1].ResourceName+":updateContact?updatePersonFields=names", at,
		map[string]any{"etag": seeded[1].ETag, "names": []map[string]string{{"givenName": "Changed"}}})
	if status != 200 {
		t.Fatalf("update = %d %s", status, b)
	}
	if err := s.DeleteContact("alice@example.com", seeded[2].ResourceName); err != nil {
		t.Fatal(err)
	}
	added, err := s.SeedContact("alice@example.com", googletest.Person{Names: []googletest.PersonName{{GivenName: "New"}}})
	if err != nil {
		t.Fatal(err)
	}

	// The changes come over two pages; the sync token with the last.
	q := url.Values{"personFields": {"names,metadata"}, "syncToken": {full.NextSyncToken}, "pageSize": {"2"}}
	p1 := listConnections(t, s, at, q)
	if len(p1.Connections) != 2 || p1.NextPageToken == "" || p1.NextSyncToken != "" {
		t.Fatalf("sync page 1 = %+v", p1)
	}
	q.Set("pageToken", p1.NextPageToken)
	p2 := listConnections(t, s, at, q)
	if len(p2.Connections) != 1 || p2.NextPageToken != "" || p2.NextSyncToken == "" {
		t.Fatalf("sync page 2 = %+v", p2)
	}
	changes := append(p1.Connections, p2.Connections...)
	if changes[0].ResourceName != seeded[1].ResourceName || changes[0].Names[0].DisplayName != "Changed" || changes[0].Metadata.Deleted {
		t.Errorf("updated contact = %+v", changes[0])
	}
	if d := changes[1]; d.ResourceName != seeded[2].ResourceName || d.Metadata == nil || !d.Metadata.Deleted || d.Names != nil || d.ETag == "" {
		t.Errorf("deleted contact = %+v", d)
	}
	if changes[2].ResourceName != added.ResourceName {
		t.Errorf("added contact = %+v", changes[2])
	}

	// Nothing changed since: no connections, a new token.
	quiet := listConnections(t, s, at, url.Values{"personFields": {"names,metadata"}, "syncToken": {p2.NextSyncToken}})
	if len(quiet.Connections) != 0 || quiet.NextSyncToken == "" || quiet.TotalItems != 0 {
		t.Fatalf("quiet sync = %+v", quiet)
	}

	expired := func(what, token string) {
		t.Helper()
		q := url.Values{"personFields": {"names"}, "syncToken": {token}}
		status, b := apiCall(t, "GET", s.APIBaseURL()+peopleConnections+"?"+q.Encode(), at, nil)
		e := wantGoogleError(t, what, status, b, 400, "FAILED_PRECONDITION")
		if len(e.Error.Details) != 1 || e.Error.Details[0]["reason"] != "EXPIRED_SYNC_TOKEN" ||
			e.Error.Details[0]["@type"] != "type.googleapis.com/google.rpc.ErrorInfo" || e.Error.Details[0]["domain"] != "people.googleapis.com" {
			t.Fatalf("%s details = %s", what, b)
		}
	}
	// Tokens last 7 days (access tokens an hour: sign in again).
	clock.Advance(7*24*time.Hour + time.Second)
	at = gmailToken(t, s, scopeContacts)
	expired("a token older than 7 days", quiet.NextSyncToken)
	fresh := listConnections(t, s, at, url.Values{"personFields": {"names"}, "requestSyncToken": {"true"}}).NextSyncToken
	if c := listConnections(t, s, at, url.Values{"personFields": {"names"}, "syncToken": {fresh}}); c.NextSyncToken == "" {
		t.Fatalf("sync with a fresh token = %+v", c)
	}
	s.ExpirePeopleSyncTokens("alice@example.com")
	expired("a token issued before ExpirePeopleSyncTokens", fresh)

	// Another user's token is not a sync token of this user.
	ct := userToken(t, s, "carol@gmail.com", scopeContacts)
	carols := listConnections(t, s, ct, url.Values{"personFields": {"names"}, "requestSyncToken": {"true"}}).NextSyncToken
	q = url.Values{"personFields": {"names"}, "syncToken": {carols}}
	status, b = apiCall(t, "GET", s.APIBaseURL()+peopleConnections+"?"+q.Encode(), at, nil)
	wantGoogleError(t, "another user's sync token", status, b, 400, "INVALID_ARGUMENT")
}

func TestPeople_meAndBatchGet(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, scopeContactsReadonly)
	p, err := s.SeedContact("alice@example.com", ada)
	if err != nil {
		t.Fatal(err)
	}
	status, b := apiCall(t, "GET", s.APIBaseURL()+"/v1/people/me?personFields=names,emailAddresses", at, nil)
	me := decodeJSON[googletest.Person](t, b)
	u, _ := s.User("alice@example.com")
	if status != 200 || me.ResourceName != "people/"+u.Subject || me.Names[0].DisplayName != "Alice Example" ||
		me.EmailAddresses[0].Value != "alice@example.com" || !me.EmailAddresses[0].Metadata.Verified {
		t.Fatalf("people/me = %d %s", status, b)
	}

	q := url.Values{"personFields": {"names"}, "resourceNames": {p.ResourceName, "people/c123", "people/me"}}
	status, b = apiCall(t, "GET", s.APIBaseURL()+"/v1/people:batchGet?"+q.Encode(), at, nil)
	batch := decodeJSON[struct {
		Responses []struct {
			HTTPStatusCode        int               `json:"httpStatusCode"`
			Person                googletest.Person `json:"person"`
			RequestedResourceName string            `json:"requestedResourceName"`
		} `json:"responses"`
	}](t, b)
	r := batch.Responses
	if status != 200 || len(r) != 3 || r[0].HTTPStatusCode != 200 || r[0].Person.Names[0].DisplayName != "Ada Lovelace" ||
		r[1].HTTPStatusCode != 404 || r[1].RequestedResourceName != "people/c123" || r[2].Person.ResourceName != me.ResourceName {
		t.Fatalf("batchGet = %d %s", status, b)
	}
}

func TestPeople_otherUsersNeverReachThisUsersContacts(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, err := s.SeedContact("alice@example.com", ada)
	if err != nil {
		t.Fatal(err)
	}
	carol := userToken(t, s, "carol@gmail.com", scopeContacts)
	if c := listConnections(t, s, carol, url.Values{"personFields": {"names"}}); len(c.Connections) != 0 || c.TotalItems != 0 {
		t.Fatalf("carol's connections = %+v", c)
	}
	base := s.APIBaseURL() + "/v1/"
	for _, call := range []struct {
		method, path string
	}{
		{"GET", p.ResourceName + "?personFields=names"},
		{"PATCH", p.ResourceName + ":updateContact?updatePersonFields=names"},
		{"DELETE", p.ResourceName + ":deleteContact"},
	} {
		status, b := apiCall(t, call.method, base+call.path, carol, map[string]any{"etag": p.ETag, "names": []map[string]string{{"givenName": "Mallory"}}})
		wantGoogleError(t, "carol: "+call.method+" "+call.path, status, b, 404, "NOT_FOUND")
	}
	status, b := apiCall(t, "GET", base+"people:batchGet?personFields=names&resourceNames="+p.ResourceName, carol, nil)
	if status != 200 || !strings.Contains(string(b), `"httpStatusCode":404`) || strings.Contains(string(b), "Lovelace") {
		t.Fatalf("carol's batchGet = %d %s", status, b)
	}
	if all := s.Contacts("alice@example.com"); len(all) != 1 || all[0].ETag != p.ETag {
		t.Fatalf("alice's contacts after carol's attempts = %+v", all)
	}
	if status, b := apiCall(t, "GET", base+peopleConnections[len("/v1/"):]+"?personFields=names", "ya29.unknown", nil); status != 401 {
		t.Fatalf("unknown token = %d %s", status, b)
	}
	gmailOnly := gmailToken(t, s, "https://www.googleapis.com/auth/gmail.readonly")
	status, b = apiCall(t, "GET", base+p.ResourceName+"?personFields=names", gmailOnly, nil)
	wantGoogleError(t, "a token without contacts scopes", status, b, 403, "PERMISSION_DENIED")
}

func TestPeople_seedingErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, err := s.SeedContact("alice@example.com", googletest.Person{ResourceName: "people/c12345", Names: []googletest.PersonName{{UnstructuredName: "Jean Paul Sartre"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Names[0]; p.ResourceName != "people/c12345" || p.Metadata.Sources[0].ID != "3039" || n.GivenName != "Jean" ||
		n.MiddleName != "Paul" || n.FamilyName != "Sartre" || n.DisplayNameLastFirst != "Sartre, Jean Paul" {
		t.Fatalf("seeded = %+v", p)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"unknown user", func() error { _, err := s.SeedContact("nobody@example.com", ada); return err }},
		{"taken resource name", func() error {
			_, err := s.SeedContact("alice@example.com", googletest.Person{ResourceName: "people/c12345"})
			return err
		}},
		{"malformed resource name", func() error {
			_, err := s.SeedContact("alice@example.com", googletest.Person{ResourceName: "people/12345"})
			return err
		}},
		{"two names", func() error {
			_, err := s.SeedContact("alice@example.com", googletest.Person{Names: []googletest.PersonName{{GivenName: "a"}, {GivenName: "b"}}})
			return err
		}},
		{"update of an unknown contact", func() error {
			_, err := s.UpdateContact("alice@example.com", googletest.Person{ResourceName: "people/c1"})
			return err
		}},
		{"delete of an unknown contact", func() error { return s.DeleteContact("alice@example.com", "people/c1") }},
	}
	for _, tc := range tests {
		if err := tc.call(); err == nil || !strings.HasPrefix(err.Error(), "googletest: ") {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}
