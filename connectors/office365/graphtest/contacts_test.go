package graphtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// pimToken signs user in with the code flow for the Graph permissions
// (short names) and returns the access token.
func pimToken(t *testing.T, s *graphtest.Server, user graphtest.User, perms ...string) string {
	t.Helper()
	if err := s.SetNextUser(user.ObjectID); err != nil {
		t.Fatal(err)
	}
	scope := "openid offline_access"
	for _, p := range perms {
		scope += " https://graph.microsoft.com/" + p
	}
	tok := redeem(t, s, authorize(t, s, "common", url.Values{"scope": {scope}}).Get("code"), nil)
	at := tok.str("access_token")
	if at == "" {
		t.Fatalf("token answer = %v", tok.body)
	}
	return at
}

// pimCall sends a Graph request with a JSON body (when not empty) and
// header pairs.
func pimCall(t *testing.T, method, u, bearer, body string, header ...string) answer {
	t.Helper()
	var req *http.Request
	if body != "" {
		req, _ = http.NewRequest(method, u, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, _ = http.NewRequest(method, u, nil)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

// errCode returns the code of a Graph error body.
func (a answer) errCode() string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (a answer) errMessage() string {
	e, _ := a.body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// items returns the value array of a collection answer.
func (a answer) items() []map[string]any {
	list, _ := a.body["value"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

func TestContacts_crud(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.ReadWrite")
	base := s.URL() + "/v1.0/me/contacts"

	created := pimCall(t, http.MethodPost, base, at, `{"givenName":"Pavel","surname":"Bansky",
		"emailAddresses":[{"address":"pavelb@contoso.com","name":"Pavel Bansky"}],"businessPhones":["+1 732 555 0102"],
		"birthday":"1974-07-22T00:00:00Z","homeAddress":{"city":"Prague","countryOrRegion":"CZ"},"categories":["Friends"]}`)
	if created.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", created.status, created.raw)
	}
	id := created.str("id")
	if id == "" || created.str("displayName") != "Pavel Bansky" || created.str("changeKey") == "" ||
		created.str("@odata.etag") != `W/"`+created.str("changeKey")+`"` || created.str("parentFolderId") != s.DefaultContactFolderID(alice.ObjectID) ||
		created.str("birthday") != "1974-07-22T00:00:00Z" || created.str("createdDateTime") == "" || created.str("lastModifiedDateTime") == "" {
		t.Fatalf("created = %v", created.body)
	}
	for _, prop := range []string{"fileAs", "initials", "middleName", "nickName", "title", "generation", "yomiGivenName", "yomiSurname",
		"yomiCompanyName", "imAddresses", "jobTitle", "companyName", "department", "officeLocation", "profession", "businessHomePage",
		"assistantName", "manager", "homePhones", "mobilePhone", "businessAddress", "otherAddress", "spouseName", "personalNotes", "children"} {
		if _, ok := created.body[prop]; !ok {
			t.Errorf("created contact lacks %s", prop)
		}
	}
	if addr, _ := created.body["homeAddress"].(map[string]any); addr["city"] != "Prague" || addr["countryOrRegion"] != "CZ" {
		t.Errorf("homeAddress = %v", created.body["homeAddress"])
	}

	got := pimCall(t, http.MethodGet, base+"/"+id, at, "")
	mails, _ := got.body["emailAddresses"].([]any)
	if got.status != 200 || len(mails) != 1 || mails[0].(map[string]any)["address"] != "pavelb@contoso.com" {
		t.Fatalf("GET = %d %v", got.status, got.body)
	}

	patched := pimCall(t, http.MethodPatch, base+"/"+id, at, `{"jobTitle":"Engineer","businessPhones":[],"birthday":null}`)
	if patched.status != 200 || patched.str("jobTitle") != "Engineer" || patched.body["birthday"] != nil ||
		len(patched.body["businessPhones"].([]any)) != 0 || patched.str("changeKey") == created.str("changeKey") ||
		patched.str("givenName") != "Pavel" {
		t.Fatalf("PATCH = %d %v", patched.status, patched.body)
	}
	if cs := s.Contacts(alice.ObjectID); len(cs) != 1 || cs[0].JobTitle != "Engineer" || cs[0].ChangeKey != patched.str("changeKey") {
		t.Fatalf("Contacts = %+v", cs)
	}

	if a := pimCall(t, http.MethodDelete, base+"/"+id, at, ""); a.status != http.StatusNoContent || a.raw != "" {
		t.Fatalf("DELETE = %d %s", a.status, a.raw)
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if a := pimCall(t, method, base+"/"+id, at, ""); a.status != 404 || a.errCode() != "ErrorItemNotFound" {
			t.Errorf("%s after delete = %d %v", method, a.status, a.body)
		}
	}
	if a := pimCall(t, http.MethodPatch, base+"/"+id, at, `{"jobTitle":"x"}`); a.status != 404 {
		t.Errorf("PATCH after delete = %d", a.status)
	}
}

func TestContacts_selectAndPaging(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.Read")
	for i := range 23 {
		if _, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Person", Surname: string(rune('A' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	next := s.URL() + "/v1.0/me/contacts?$select=displayName&$top=10"
	pages := 0
	for next != "" {
		a := get(t, next, at)
		if a.status != 200 {
			t.Fatalf("page %d = %d %s", pages, a.status, a.raw)
		}
		for _, c := range a.items() {
			if len(c) != 3 || c["id"] == nil || c["@odata.etag"] == nil || c["displayName"] == nil {
				t.Fatalf("$select=displayName item = %v", c)
			}
			seen[c["id"].(string)] = true
		}
		next = a.str("@odata.nextLink")
		pages++
	}
	if len(seen) != 23 || pages != 3 {
		t.Fatalf("paging saw %d contacts in %d pages", len(seen), pages)
	}
	for _, q := range []string{"$select=displayName,password", "$top=0", "$top=abc", "$skip=-1", "$orderby=shoeSize"} {
		if a := get(t, s.URL()+"/v1.0/me/contacts?"+q, at); a.status != 400 || a.errCode() == "" {
			t.Errorf("%s: %d %v", q, a.status, a.body)
		}
	}
}

func TestContacts_filterAndOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.Read")
	for _, c := range []graphtest.Contact{
		{DisplayName: "Garth Fort", EmailAddresses: []graphtest.Recipient{{Name: "Garth", Address: "garth@contoso.com"}}, CompanyName: "Contoso"},
		{DisplayName: "Megan Bowen", EmailAddresses: []graphtest.Recipient{{Address: "megan@fabrikam.com"}, {Address: "mb@home.example"}}},
		{DisplayName: "Alex Wilber", CompanyName: "Contoso"},
	} {
		if _, err := s.SeedContact(alice.ObjectID, c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"$filter=" + url.QueryEscape("emailAddresses/any(a:a/address eq 'GARTH@contoso.com')"), []string{"Garth Fort"}},
		{"$filter=" + url.QueryEscape("emailAddresses/any(x:x/address eq 'mb@home.example')"), []string{"Megan Bowen"}},
		{"$filter=" + url.QueryEscape("startswith(displayName,'a')"), []string{"Alex Wilber"}},
		{"$filter=" + url.QueryEscape("companyName eq 'Contoso' and startswith(displayName,'G')"), []string{"Garth Fort"}},
		{"$orderby=displayName", []string{"Alex Wilber", "Garth Fort", "Megan Bowen"}},
		{"$orderby=" + url.QueryEscape("displayName desc"), []string{"Megan Bowen", "Garth Fort", "Alex Wilber"}},
		{"", []string{"Garth Fort", "Megan Bowen", "Alex Wilber"}},
	}
	for _, tc := range tests {
		a := get(t, s.URL()+"/v1.0/me/contacts?"+tc.query, at)
		var names []string
		for _, c := range a.items() {
			names = append(names, c["displayName"].(string))
		}
		if a.status != 200 || strings.Join(names, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %d %v, want %v", tc.query, a.status, names, tc.want)
		}
	}
	bad := get(t, s.URL()+"/v1.0/me/contacts?$filter="+url.QueryEscape("emailAddresses/any(a:a/name eq 'Garth')"), at)
	if bad.status != 400 || bad.errCode() != "ErrorInvalidUrlQueryFilter" {
		t.Errorf("filter on emailAddresses name = %d %v", bad.status, bad.body)
	}
}

func TestContacts_ifMatch(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.ReadWrite")
	c, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	u := s.URL() + "/v1.0/me/contacts/" + c.ID
	stale := `W/"` + c.ChangeKey + `"`
	if err := s.ChangeContact(alice.ObjectID, c.ID, func(c *graphtest.Contact) { c.Surname = "Lovelace" }); err != nil {
		t.Fatal(err)
	}
	current := get(t, u, at).str("@odata.etag")
	tests := []struct {
		method, ifMatch string
		status          int
	}{
		{http.MethodPatch, stale, http.StatusPreconditionFailed},
		{http.MethodDelete, stale, http.StatusPreconditionFailed},
		{http.MethodPatch, `W/"somethingElse", ` + current, http.StatusOK},
		{http.MethodPatch, "*", http.StatusOK},
	}
	for _, tc := range tests {
		a := pimCall(t, tc.method, u, at, map[string]string{http.MethodPatch: `{"nickName":"A"}`}[tc.method], "If-Match", tc.ifMatch)
		if a.status != tc.status {
			t.Errorf("%s If-Match %s = %d %v", tc.method, tc.ifMatch, a.status, a.body)
		}
		if tc.status == http.StatusPreconditionFailed && (a.errCode() != "ErrorIrresolvableConflict" || !strings.Contains(a.errMessage(), "change key")) {
			t.Errorf("412 body = %v", a.body)
		}
	}
	now := get(t, u, at).str("@odata.etag")
	if a := pimCall(t, http.MethodDelete, u, at, "", "If-Match", now); a.status != http.StatusNoContent {
		t.Errorf("DELETE with the current etag = %d %v", a.status, a.body)
	}
}

func TestContacts_refusesUnknownProperties(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.ReadWrite")
	c, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, body, code, inMessage string
	}{
		{"unknown property", http.MethodPost, `{"givenName":"A","shoeSize":44}`, "RequestBodyRead", "'shoeSize' does not exist on type 'microsoft.graph.contact'"},
		{"unknown address part", http.MethodPatch, `{"homeAddress":{"zip":"1000"}}`, "RequestBodyRead", "'zip' does not exist on type 'microsoft.graph.physicalAddress'"},
		{"unknown email part", http.MethodPost, `{"emailAddresses":[{"address":"a@b.c","type":"work"}]}`, "RequestBodyRead", "microsoft.graph.emailAddress"},
		{"wrong type", http.MethodPatch, `{"displayName":5}`, "RequestBodyRead", "Edm.String"},
		{"bad birthday", http.MethodPatch, `{"birthday":"yesterday"}`, "RequestBodyRead", "Edm.DateTimeOffset"},
		{"empty body", http.MethodPost, ``, "BadRequest", "Empty Payload"},
		{"not JSON", http.MethodPatch, `{"displayName":`, "BadRequest", "JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := s.URL() + "/v1.0/me/contacts"
			if tc.method == http.MethodPatch {
				u += "/" + c.ID
			}
			a := pimCall(t, tc.method, u, at, tc.body)
			if a.status != 400 || a.errCode() != tc.code || !strings.Contains(a.errMessage(), tc.inMessage) {
				t.Errorf("%d %v", a.status, a.body)
			}
		})
	}
	if cs := s.Contacts(alice.ObjectID); len(cs) != 1 || cs[0].DisplayName != "Ada" || cs[0].ChangeKey != c.ChangeKey {
		t.Errorf("refused requests changed the store: %+v", cs)
	}
	if a := pimCall(t, http.MethodPatch, s.URL()+"/v1.0/me/contacts/"+c.ID, at, `{"id":"other","changeKey":"x","@odata.type":"#microsoft.graph.contact","surname":"L"}`); a.status != 200 || a.str("id") != c.ID {
		t.Errorf("read-only properties and annotations: %d %v", a.status, a.body)
	}
}

func TestContactDelta_roundTrip(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.ReadWrite")
	var ids []string
	for _, n := range []string{"One", "Two", "Three"} {
		c, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: n, PersonalNotes: "notes of " + n})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	folder, err := s.SeedContactFolder(alice.ObjectID, "Suppliers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Elsewhere", ParentFolderID: folder}); err != nil {
		t.Fatal(err)
	}

	// round drains one delta round from u and returns its items and deltaLink.
	round := func(u string) ([]map[string]any, string) {
		t.Helper()
		var all []map[string]any
		for pages := 0; ; pages++ {
			a := pimCall(t, http.MethodGet, u, at, "", "Prefer", "odata.maxpagesize=2")
			if a.status != 200 || a.header.Get("Preference-Applied") != "odata.maxpagesize=2" || len(a.items()) > 2 {
				t.Fatalf("delta page = %d %v %v", a.status, a.header, a.body)
			}
			all = append(all, a.items()...)
			if dl := a.str("@odata.deltaLink"); dl != "" {
				if a.str("@odata.nextLink") != "" || !strings.Contains(dl, "$deltatoken=") {
					t.Fatalf("last page = %v", a.body)
				}
				return all, dl
			}
			u = a.str("@odata.nextLink")
			if !strings.Contains(u, "$skiptoken=") || pages > 10 {
				t.Fatalf("page without links: %v", a.body)
			}
		}
	}
	first, deltaLink := round(s.URL() + "/v1.0/me/contacts/delta?$select=givenName")
	if len(first) != 3 {
		t.Fatalf("initial round = %v", first)
	}
	for _, c := range first {
		if c["givenName"] == nil || c["personalNotes"] != nil {
			t.Errorf("$select=givenName item = %v", c)
		}
	}

	if a := pimCall(t, http.MethodPatch, s.URL()+"/v1.0/me/contacts/"+ids[0], at, `{"givenName":"Uno"}`); a.status != 200 {
		t.Fatal(a.raw)
	}
	if err := s.DeleteContact(alice.ObjectID, ids[1]); err != nil {
		t.Fatal(err)
	}
	added := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/contacts", at, `{"givenName":"Four"}`)
	if _, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "Other folder", ParentFolderID: folder}); err != nil {
		t.Fatal(err)
	}

	second, deltaLink2 := round(deltaLink)
	got := map[string]string{}
	for _, c := range second {
		switch {
		case c["@removed"] != nil:
			if c["@removed"].(map[string]any)["reason"] != "deleted" || len(c) != 3 {
				t.Errorf("removed item = %v", c)
			}
			got[c["id"].(string)] = "removed"
		default:
			if c["personalNotes"] != nil {
				t.Errorf("the round forgot $select: %v", c)
			}
			got[c["id"].(string)], _ = c["givenName"].(string)
		}
	}
	want := map[string]string{ids[0]: "Uno", ids[1]: "removed", added.str("id"): "Four"}
	if len(got) != len(want) || len(second) != 3 {
		t.Fatalf("second round = %v, want %v", second, want)
	}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("second round: %s = %q, want %q", id, got[id], v)
		}
	}

	if third, _ := round(deltaLink2); len(third) != 0 {
		t.Errorf("round without changes = %v", third)
	}
	if inFolder, _ := round(s.URL() + "/v1.0/me/contactFolders/" + folder + "/contacts/delta"); len(inFolder) != 2 {
		t.Errorf("folder round = %v", inFolder)
	}
	if a := get(t, s.URL()+"/v1.0/me/contactFolders/nope/contacts/delta", at); a.status != 404 {
		t.Errorf("delta of an unknown folder = %d", a.status)
	}
}

func TestContactDelta_expiredTokens(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.Read")
	for range 3 {
		if _, err := s.SeedContact(alice.ObjectID, graphtest.Contact{GivenName: "X"}); err != nil {
			t.Fatal(err)
		}
	}
	first := pimCall(t, http.MethodGet, s.URL()+"/v1.0/me/contacts/delta", at, "", "Prefer", "odata.maxpagesize=2")
	next := first.str("@odata.nextLink")
	last := get(t, next, at)
	deltaLink := last.str("@odata.deltaLink")
	if next == "" || deltaLink == "" {
		t.Fatalf("links: %v %v", first.body, last.body)
	}
	s.ExpireContactDeltaTokens()
	for name, u := range map[string]string{"nextLink": next, "deltaLink": deltaLink, "made-up token": s.URL() + "/v1.0/me/contacts/delta?$deltatoken=nope"} {
		if a := get(t, u, at); a.status != http.StatusGone || a.errCode() != "SyncStateNotFound" {
			t.Errorf("%s after expiry = %d %v", name, a.status, a.body)
		}
	}
	if a := get(t, s.URL()+"/v1.0/me/contacts/delta", at); a.status != 200 || len(a.items()) != 3 {
		t.Errorf("full resync = %d %v", a.status, a.body)
	}
}

func TestContacts_permissionsAndIsolation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aliceRW := pimToken(t, s, alice, "Contacts.ReadWrite")
	aliceRead := pimToken(t, s, alice, "Contacts.Read")
	aliceMail := pimToken(t, s, alice, "Mail.Read")
	carolRW := pimToken(t, s, carol, "Contacts.ReadWrite")
	c, err := s.SeedContact(alice.ObjectID, graphtest.Contact{DisplayName: "Alice's friend"})
	if err != nil {
		t.Fatal(err)
	}
	aliceDelta := get(t, s.URL()+"/v1.0/me/contacts/delta", aliceRW).str("@odata.deltaLink")
	one := s.URL() + "/v1.0/me/contacts/" + c.ID
	tests := []struct {
		name, method, url, bearer, body string
		status                          int
	}{
		{"no contacts permission", http.MethodGet, s.URL() + "/v1.0/me/contacts", aliceMail, "", 403},
		{"read-only POST", http.MethodPost, s.URL() + "/v1.0/me/contacts", aliceRead, `{"givenName":"x"}`, 403},
		{"read-only PATCH", http.MethodPatch, one, aliceRead, `{"givenName":"x"}`, 403},
		{"read-only DELETE", http.MethodDelete, one, aliceRead, "", 403},
		{"no token", http.MethodGet, one, "", "", 401},
		{"other user GET", http.MethodGet, one, carolRW, "", 404},
		{"other user PATCH", http.MethodPatch, one, carolRW, `{"givenName":"x"}`, 404},
		{"other user DELETE", http.MethodDelete, one, carolRW, "", 404},
		{"other user's delta token", http.MethodGet, aliceDelta, carolRW, "", 410},
	}
	for _, tc := range tests {
		if a := pimCall(t, tc.method, tc.url, tc.bearer, tc.body); a.status != tc.status {
			t.Errorf("%s: %d %v", tc.name, a.status, a.body)
		}
	}
	if a := get(t, s.URL()+"/v1.0/me/contacts", carolRW); a.status != 200 || len(a.items()) != 0 {
		t.Errorf("carol's list = %d %v", a.status, a.body)
	}
	if a := get(t, s.URL()+"/v1.0/me/contacts/delta", carolRW); a.status != 200 || len(a.items()) != 0 {
		t.Errorf("carol's delta = %d %v", a.status, a.body)
	}
	if cs := s.Contacts(alice.ObjectID); len(cs) != 1 || cs[0].DisplayName != "Alice's friend" {
		t.Errorf("alice's contacts = %+v", cs)
	}
}

func TestContactFolders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := pimToken(t, s, alice, "Contacts.ReadWrite")
	def := s.DefaultContactFolderID(alice.ObjectID)
	if a := get(t, s.URL()+"/v1.0/me/contactFolders", at); a.status != 200 || len(a.items()) != 0 {
		t.Fatalf("folders of a new mailbox = %d %v", a.status, a.body)
	}
	if a := get(t, s.URL()+"/v1.0/me/contactFolders/contacts", at); a.status != 200 || a.str("id") != def || a.str("displayName") != "Contacts" {
		t.Fatalf("well-known contacts folder = %d %v", a.status, a.body)
	}
	created := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/contactFolders", at, `{"displayName":"Family"}`)
	if created.status != 201 || created.str("parentFolderId") != def || created.str("id") == "" {
		t.Fatalf("POST folder = %d %v", created.status, created.body)
	}
	if a := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/contactFolders", at, `{"displayName":"family"}`); a.status != 409 || a.errCode() != "ErrorFolderExists" {
		t.Errorf("duplicate folder = %d %v", a.status, a.body)
	}
	fid := created.str("id")
	inFolder := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/contactFolders/"+fid+"/contacts", at, `{"displayName":"Grandma"}`)
	if inFolder.status != 201 || inFolder.str("parentFolderId") != fid {
		t.Fatalf("POST into folder = %d %v", inFolder.status, inFolder.body)
	}
	if a := get(t, s.URL()+"/v1.0/me/contactfolders/"+fid+"/contacts", at); a.status != 200 || len(a.items()) != 1 {
		t.Errorf("folder contacts = %d %v", a.status, a.body)
	}
	if a := get(t, s.URL()+"/v1.0/me/contacts", at); a.status != 200 || len(a.items()) != 0 {
		t.Errorf("/me/contacts lists the default folder only: %v", a.body)
	}
	if a := get(t, s.URL()+"/v1.0/me/contacts/"+inFolder.str("id"), at); a.status != 200 {
		t.Errorf("GET a contact of another folder = %d", a.status)
	}
	if a := get(t, s.URL()+"/v1.0/me/contactFolders", at); len(a.items()) != 1 {
		t.Errorf("folders = %v", a.body)
	}
	if _, err := s.SeedContact(alice.ObjectID, graphtest.Contact{ParentFolderID: "nope"}); err == nil {
		t.Error("SeedContact into an unknown folder succeeded")
	}
	if _, err := s.SeedContact("00000000-0000-0000-0000-00000000dead", graphtest.Contact{}); err == nil {
		t.Error("SeedContact for an unknown user succeeded")
	}
}
