package graphtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The contacts part of the fake: Microsoft Graph v1.0 personal contacts
// (Outlook contacts) for delegated tokens with Contacts.Read or
// Contacts.ReadWrite (403 ErrorAccessDenied without; 400 for app-only
// tokens on /me).
//
//   - GET /me/contacts (the default Contacts folder) and
//     /me/contactFolders/{id}/contacts with $select, $top (1..1000, default
//     10), $skip paging in @odata.nextLink, $orderby on string and
//     timestamp properties, and a $filter subset:
//     emailAddresses/any(a:a/address eq '...'), eq/ne and startswith() on
//     string properties, ge/gt/le/lt on createdDateTime and
//     lastModifiedDateTime, joined with "and" (400
//     ErrorInvalidUrlQueryFilter otherwise);
//   - POST /me/contacts and /me/contactFolders/{id}/contacts (201; an empty
//     displayName is composed from givenName, middleName and surname, as in
//     Microsoft's example);
//   - GET, PATCH (200 with the contact) and DELETE (204)
//     /me/contacts/{id}; PATCH and DELETE honour If-Match against
//     @odata.etag (412 ErrorIrresolvableConflict);
//   - GET /me/contactFolders (the folders under the default Contacts
//     folder, which Graph does not list), GET /me/contactFolders/{id}
//     (also the well-known name "contacts"), POST /me/contactFolders;
//   - GET /me/contacts/delta and /me/contactFolders/{id}/contacts/delta
//     with $select, Prefer: odata.maxpagesize (default 10),
//     @odata.nextLink ($skiptoken) and @odata.deltaLink ($deltatoken);
//     later rounds carry changed contacts and
//     {"@odata.type","id","@removed":{"reason":"deleted"}} for deleted
//     ones; after ExpireContactDeltaTokens every token issued before
//     answers 410 SyncStateNotFound.
//
// Contacts carry the documented properties (@odata.etag, id,
// createdDateTime, lastModifiedDateTime, changeKey, categories,
// parentFolderId, birthday, names, yomi names, emailAddresses,
// imAddresses, job properties, phones, homeAddress/businessAddress/
// otherAddress, spouseName, personalNotes, children). A POST or PATCH body
// naming a property the contact type does not have answers 400
// RequestBodyRead, as Graph does; read-only properties are ignored.
// Contacts are seeded with SeedContact and SeedContactFolder and changed
// from the test side with ChangeContact and DeleteContact.

// ContactAddress is a Graph physicalAddress of a contact.
type ContactAddress struct {
	Street, City, State, CountryOrRegion, PostalCode string
}

// Contact is a personal contact of a fake mailbox. Its fields mirror the
// Graph contact resource.
type Contact struct {
	// ID is assigned when empty.
	ID string
	// ParentFolderID is the contact folder; default the user's default
	// Contacts folder.
	ParentFolderID string
	// CreatedDateTime defaults to the fake's now.
	CreatedDateTime time.Time
	// LastModifiedDateTime and ChangeKey are set by the fake.
	LastModifiedDateTime time.Time
	ChangeKey            string
	Categories           []string
	// Birthday is the zero time for none.
	Birthday                                                      time.Time
	FileAs, DisplayName, GivenName, Initials, MiddleName          string
	NickName, Surname, Title, Generation                          string
	YomiGivenName, YomiSurname, YomiCompanyName                   string
	EmailAddresses                                                []Recipient
	IMAddresses                                                   []string
	JobTitle, CompanyName, Department, OfficeLocation, Profession string
	BusinessHomePage, AssistantName, Manager                      string
	HomePhones                                                    []string
	MobilePhone                                                   string
	BusinessPhones                                                []string
	HomeAddress, BusinessAddress, OtherAddress                    ContactAddress
	SpouseName, PersonalNotes                                     string
	Children                                                      []string

	seq   int64 // change number of the last change, for delta and etag
	order int64 // creation order, the default list order
}

// contactStore holds the contacts of every user. It has its own lock; it
// never takes Server.mu while holding it.
type contactStore struct {
	mu     sync.Mutex
	books  map[string]*contactBook // by lower-case oid
	deltas map[string]*pimDeltaRound
}

// contactBook is one user's contacts.
type contactBook struct {
	rootID        string // msgfolderroot, parent of the default folder
	defaultFolder string
	folders       []contactFolder // under the default folder
	contacts      map[string]*Contact
	log           pimLog
}

type contactFolder struct{ id, name string }

func (st *contactStore) bookLocked(oid string) *contactBook {
	oid = strings.ToLower(oid)
	b := st.books[oid]
	if b == nil {
		b = &contactBook{rootID: newGraphID("AQMkADAwATNiZmYAZC1"), defaultFolder: newGraphID("AQMkADAwATM0MDAAMS0"),
			contacts: make(map[string]*Contact)}
		st.books[oid] = b
	}
	return b
}

// folderID resolves a folder id or the well-known name "contacts"; "" when
// unknown.
func (b *contactBook) folderID(idOrName string) string {
	if strings.EqualFold(idOrName, "contacts") || idOrName == b.defaultFolder {
		return b.defaultFolder
	}
	for _, f := range b.folders {
		if f.id == idOrName {
			return f.id
		}
	}
	return ""
}

func (b *contactBook) touch(c *Contact, now time.Time) {
	c.seq = b.log.next()
	c.LastModifiedDateTime = now.UTC().Truncate(time.Second)
	c.ChangeKey = pimChangeKey(c.ID, c.seq)
}

// sorted returns the contacts in creation order.
func (b *contactBook) sorted() []*Contact {
	out := make([]*Contact, 0, len(b.contacts))
	for _, c := range b.contacts {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// contacts returns the contacts part registered by contactRoutes.
func (s *Server) contacts() *contactStore { return s.contactS }

// SeedContact stores a contact of the user oid and returns it with its id,
// folder, timestamps and change key filled in.
func (s *Server) SeedContact(oid string, c Contact) (Contact, error) {
	if _, ok := s.User(oid); !ok {
		return Contact{}, fmt.Errorf("graphtest: SeedContact: no user %q", oid)
	}
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.bookLocked(oid)
	if c.ParentFolderID == "" {
		c.ParentFolderID = b.defaultFolder
	}
	fid := b.folderID(c.ParentFolderID)
	if fid == "" {
		return Contact{}, fmt.Errorf("graphtest: SeedContact: no contact folder %q", c.ParentFolderID)
	}
	c.ParentFolderID = fid
	if c.ID == "" {
		c.ID = newGraphID("AAMkAGI2THVSAAA")
	}
	if _, dup := b.contacts[c.ID]; dup {
		return Contact{}, fmt.Errorf("graphtest: SeedContact: id %s exists", c.ID)
	}
	if c.CreatedDateTime.IsZero() {
		c.CreatedDateTime = s.opts.Now()
	}
	c.CreatedDateTime = c.CreatedDateTime.UTC().Truncate(time.Second)
	if !c.Birthday.IsZero() {
		c.Birthday = c.Birthday.UTC()
	}
	if c.DisplayName == "" {
		c.DisplayName = strings.Join(strings.Fields(c.GivenName+" "+c.MiddleName+" "+c.Surname), " ")
	}
	cp := cloneContact(c)
	b.touch(&cp, s.opts.Now())
	cp.order = cp.seq
	b.contacts[cp.ID] = &cp
	s.notifyContact(oid, &cp, "created")
	return cloneContact(cp), nil
}

// SeedContactFolder creates a contact folder under the user's default
// Contacts folder and returns its id.
func (s *Server) SeedContactFolder(oid, displayName string) (string, error) {
	if _, ok := s.User(oid); !ok {
		return "", fmt.Errorf("graphtest: SeedContactFolder: no user %q", oid)
	}
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.bookLocked(oid).addFolder(displayName)
}

func (b *contactBook) addFolder(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", errors.New("graphtest: a contact folder needs a displayName")
	}
	for _, f := range b.folders {
		if strings.EqualFold(f.name, name) {
			return "", fmt.Errorf("graphtest: contact folder %q exists", name)
		}
	}
	f := contactFolder{id: newGraphID("AQMkADAwATM0MDAAMS1"), name: name}
	b.folders = append(b.folders, f)
	return f.id, nil
}

// DefaultContactFolderID returns the id of the user's default Contacts
// folder.
func (s *Server) DefaultContactFolderID(oid string) string {
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.bookLocked(oid).defaultFolder
}

// Contacts returns the contacts of the user oid, in creation order.
func (s *Server) Contacts(oid string) []Contact {
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []Contact
	for _, c := range st.bookLocked(oid).sorted() {
		out = append(out, cloneContact(*c))
	}
	return out
}

// ChangeContact applies change to a stored contact (as if edited in
// Outlook) and marks it changed for delta. The id and folder stay.
func (s *Server) ChangeContact(oid, id string, change func(*Contact)) error {
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.bookLocked(oid)
	c := b.contacts[id]
	if c == nil {
		return fmt.Errorf("graphtest: ChangeContact: no contact %s", id)
	}
	cp := cloneContact(*c)
	change(&cp)
	cp.ID, cp.ParentFolderID, cp.seq, cp.order = c.ID, c.ParentFolderID, c.seq, c.order
	b.touch(&cp, s.opts.Now())
	*c = cp
	s.notifyContact(oid, c, "updated")
	return nil
}

// DeleteContact deletes a contact (as if deleted in Outlook); the next
// delta round reports it removed.
func (s *Server) DeleteContact(oid, id string) error {
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.bookLocked(oid)
	c := b.contacts[id]
	if c == nil {
		return fmt.Errorf("graphtest: DeleteContact: no contact %s", id)
	}
	delete(b.contacts, id)
	b.log.remove(id, c.ParentFolderID)
	s.notifyContact(oid, c, "deleted")
	return nil
}

// ExpireContactDeltaTokens makes every contact delta and skip token issued
// so far answer 410 Gone with SyncStateNotFound, as when Exchange drops a
// sync state.
func (s *Server) ExpireContactDeltaTokens() {
	st := s.contacts()
	st.mu.Lock()
	defer st.mu.Unlock()
	clear(st.deltas)
}

func cloneContact(c Contact) Contact {
	c.Categories = slices.Clone(c.Categories)
	c.EmailAddresses = slices.Clone(c.EmailAddresses)
	c.IMAddresses = slices.Clone(c.IMAddresses)
	c.HomePhones = slices.Clone(c.HomePhones)
	c.BusinessPhones = slices.Clone(c.BusinessPhones)
	c.Children = slices.Clone(c.Children)
	return c
}

// contactFields are the contact properties in the documented order: how
// each renders and, for writable ones, how a request body sets it.
var contactFields = []pimField[Contact]{
	{name: "id", get: func(c *Contact) any { return c.ID }},
	{name: "createdDateTime", get: func(c *Contact) any { return c.CreatedDateTime.UTC().Format(time.RFC3339) }},
	{name: "lastModifiedDateTime", get: func(c *Contact) any { return c.LastModifiedDateTime.UTC().Format(time.RFC3339) }},
	{name: "changeKey", get: func(c *Contact) any { return c.ChangeKey }},
	pimStrings("categories", func(c *Contact) *[]string { return &c.Categories }),
	{name: "parentFolderId", get: func(c *Contact) any { return c.ParentFolderID }},
	{name: "birthday", get: func(c *Contact) any {
		if c.Birthday.IsZero() {
			return nil
		}
		return c.Birthday.UTC().Format(time.RFC3339)
	}, set: func(c *Contact, raw json.RawMessage) error { return pimDecodeTimestamp(raw, &c.Birthday) }},
	pimString("fileAs", func(c *Contact) *string { return &c.FileAs }),
	pimString("displayName", func(c *Contact) *string { return &c.DisplayName }),
	pimString("givenName", func(c *Contact) *string { return &c.GivenName }),
	pimString("initials", func(c *Contact) *string { return &c.Initials }),
	pimString("middleName", func(c *Contact) *string { return &c.MiddleName }),
	pimString("nickName", func(c *Contact) *string { return &c.NickName }),
	pimString("surname", func(c *Contact) *string { return &c.Surname }),
	pimString("title", func(c *Contact) *string { return &c.Title }),
	pimString("yomiGivenName", func(c *Contact) *string { return &c.YomiGivenName }),
	pimString("yomiSurname", func(c *Contact) *string { return &c.YomiSurname }),
	pimString("yomiCompanyName", func(c *Contact) *string { return &c.YomiCompanyName }),
	pimString("generation", func(c *Contact) *string { return &c.Generation }),
	pimStrings("imAddresses", func(c *Contact) *[]string { return &c.IMAddresses }),
	pimString("jobTitle", func(c *Contact) *string { return &c.JobTitle }),
	pimString("companyName", func(c *Contact) *string { return &c.CompanyName }),
	pimString("department", func(c *Contact) *string { return &c.Department }),
	pimString("officeLocation", func(c *Contact) *string { return &c.OfficeLocation }),
	pimString("profession", func(c *Contact) *string { return &c.Profession }),
	pimString("businessHomePage", func(c *Contact) *string { return &c.BusinessHomePage }),
	pimString("assistantName", func(c *Contact) *string { return &c.AssistantName }),
	pimString("manager", func(c *Contact) *string { return &c.Manager }),
	pimStrings("homePhones", func(c *Contact) *[]string { return &c.HomePhones }),
	pimString("mobilePhone", func(c *Contact) *string { return &c.MobilePhone }),
	pimStrings("businessPhones", func(c *Contact) *[]string { return &c.BusinessPhones }),
	pimString("spouseName", func(c *Contact) *string { return &c.SpouseName }),
	pimString("personalNotes", func(c *Contact) *string { return &c.PersonalNotes }),
	pimStrings("children", func(c *Contact) *[]string { return &c.Children }),
	{name: "emailAddresses", get: func(c *Contact) any {
		out := []map[string]any{}
		for _, e := range c.EmailAddresses {
			out = append(out, map[string]any{"name": e.Name, "address": e.Address})
		}
		return out
	}, set: func(c *Contact, raw json.RawMessage) error { return decodeContactEmails(raw, &c.EmailAddresses) }},
	contactAddressField("homeAddress", func(c *Contact) *ContactAddress { return &c.HomeAddress }),
	contactAddressField("businessAddress", func(c *Contact) *ContactAddress { return &c.BusinessAddress }),
	contactAddressField("otherAddress", func(c *Contact) *ContactAddress { return &c.OtherAddress }),
}

// contactNavigation are the contact's relationships, which the fake does
// not store.
var contactNavigation = []string{"extensions", "singleValueExtendedProperties", "multiValueExtendedProperties", "photo"}

func contactAddressField(name string, p func(*Contact) *ContactAddress) pimField[Contact] {
	return pimField[Contact]{name: name, get: func(c *Contact) any {
		a := p(c)
		out := map[string]any{}
		for k, v := range map[string]string{"street": a.Street, "city": a.City, "state": a.State,
			"countryOrRegion": a.CountryOrRegion, "postalCode": a.PostalCode} {
			if v != "" {
				out[k] = v
			}
		}
		return out
	}, set: func(c *Contact, raw json.RawMessage) error {
		*p(c) = ContactAddress{}
		if pimIsNull(raw) {
			return nil
		}
		m, err := pimObject(raw, "microsoft.graph.physicalAddress", "street", "city", "state", "countryOrRegion", "postalCode")
		if err != nil {
			return err
		}
		a := p(c)
		for k, dst := range map[string]*string{"street": &a.Street, "city": &a.City, "state": &a.State,
			"countryOrRegion": &a.CountryOrRegion, "postalCode": &a.PostalCode} {
			if v, ok := m[k]; ok {
				if err := pimDecodeString(v, dst); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

func decodeContactEmails(raw json.RawMessage, dst *[]Recipient) error {
	*dst = nil
	if pimIsNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return pimTypeMismatch(raw, "Collection(microsoft.graph.emailAddress)")
	}
	for _, it := range items {
		m, err := pimObject(it, "microsoft.graph.emailAddress", "name", "address")
		if err != nil {
			return err
		}
		var e Recipient
		if err := pimDecodeString(m["name"], &e.Name); err != nil {
			return err
		}
		if err := pimDecodeString(m["address"], &e.Address); err != nil {
			return err
		}
		*dst = append(*dst, e)
	}
	return nil
}

func (s *Server) contactRoutes() {
	st := &contactStore{books: make(map[string]*contactBook), deltas: make(map[string]*pimDeltaRound)}
	s.contactS = st
	handle := func(pattern string, fn func(*contactStore, http.ResponseWriter, *http.Request)) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { fn(st, w, r) })
	}
	handle("GET /v1.0/me/contacts", s.handleListContacts)
	handle("POST /v1.0/me/contacts", s.handleCreateContact)
	handle("GET /v1.0/me/contacts/delta", s.handleContactDelta)
	handle("GET /v1.0/me/contacts/{id}", s.handleGetContact)
	handle("PATCH /v1.0/me/contacts/{id}", s.handlePatchContact)
	handle("DELETE /v1.0/me/contacts/{id}", s.handleDeleteContact)
	// Graph's paths are case-insensitive; the docs spell this one both ways.
	for _, seg := range []string{"contactFolders", "contactfolders"} {
		handle("GET /v1.0/me/"+seg, s.handleListContactFolders)
		handle("POST /v1.0/me/"+seg, s.handleCreateContactFolder)
		handle("GET /v1.0/me/"+seg+"/{fid}", s.handleGetContactFolder)
		handle("GET /v1.0/me/"+seg+"/{fid}/contacts", s.handleListContacts)
		handle("POST /v1.0/me/"+seg+"/{fid}/contacts", s.handleCreateContact)
		handle("GET /v1.0/me/"+seg+"/{fid}/contacts/delta", s.handleContactDelta)
	}
}

var (
	contactReadScopes  = []string{"Contacts.Read", "Contacts.ReadWrite"}
	contactWriteScopes = []string{"Contacts.ReadWrite"}
)

const contactType = "microsoft.graph.contact"

// contactJSON renders a contact with the selected properties (all when
// sel is empty); id and @odata.etag always.
func contactJSON(c *Contact, sel []string) map[string]any {
	return pimRender(c, contactFields, sel, c.ChangeKey)
}

// contactFolderParam resolves the {fid} of the request in b, answering 404
// when it names no folder. Without {fid} it is the default folder.
func contactFolderParam(w http.ResponseWriter, r *http.Request, b *contactBook) (string, bool) {
	fid := r.PathValue("fid")
	if fid == "" {
		return b.defaultFolder, true
	}
	if id := b.folderID(fid); id != "" {
		return id, true
	}
	pimNotFound(w, r)
	return "", false
}

// handleListContacts is GET /me/contacts and
// /me/contactFolders/{id}/contacts.
func (s *Server) handleListContacts(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactReadScopes...)
	if !ok {
		return
	}
	q := r.URL.Query()
	sel, ok := pimSelect(w, r, q.Get("$select"), contactFields, contactType)
	if !ok {
		return
	}
	page, ok := pimPageParams(w, r)
	if !ok {
		return
	}
	match, err := contactFilter(q.Get("$filter"))
	if err != nil {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
		return
	}
	less, ok := pimOrderBy(w, r, q.Get("$orderby"), contactFields, contactType)
	if !ok {
		return
	}
	st.mu.Lock()
	b := st.bookLocked(c.User.ObjectID)
	folder, ok := contactFolderParam(w, r, b)
	if !ok {
		st.mu.Unlock()
		return
	}
	var hits []*Contact
	for _, ct := range b.sorted() {
		if ct.ParentFolderID == folder && match(ct) {
			hits = append(hits, ct)
		}
	}
	if less != nil {
		sort.SliceStable(hits, func(i, j int) bool { return less(hits[i], hits[j]) })
	}
	var items []map[string]any
	for _, i := range page.of(len(hits)) {
		items = append(items, contactJSON(hits[i], sel))
	}
	st.mu.Unlock()
	s.pimWriteCollection(w, r, "users('"+c.User.ObjectID+"')/contacts", items, page, len(hits))
}

// handleGetContact is GET /me/contacts/{id} with $select.
func (s *Server) handleGetContact(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactReadScopes...)
	if !ok {
		return
	}
	sel, ok := pimSelect(w, r, r.URL.Query().Get("$select"), contactFields, contactType)
	if !ok {
		return
	}
	st.mu.Lock()
	ct := st.bookLocked(c.User.ObjectID).contacts[r.PathValue("id")]
	var out map[string]any
	if ct != nil {
		out = contactJSON(ct, sel)
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + c.User.ObjectID + "')/contacts/$entity"
	}
	st.mu.Unlock()
	if out == nil {
		pimNotFound(w, r)
		return
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleCreateContact is POST /me/contacts and
// /me/contactFolders/{id}/contacts: 201 with the contact.
func (s *Server) handleCreateContact(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactWriteScopes...)
	if !ok {
		return
	}
	body, ok := pimReadBody(w, r, contactFields, contactNavigation, contactType)
	if !ok {
		return
	}
	var ct Contact
	if err := pimApply(&ct, body, contactFields); err != nil {
		WriteError(w, r, http.StatusBadRequest, "RequestBodyRead", err.Error())
		return
	}
	st.mu.Lock()
	b := st.bookLocked(c.User.ObjectID)
	folder, ok := contactFolderParam(w, r, b)
	st.mu.Unlock()
	if !ok {
		return
	}
	ct.ParentFolderID = folder
	stored, err := s.SeedContact(c.User.ObjectID, ct)
	if err != nil {
		WriteError(w, r, http.StatusInternalServerError, "generalException", "storing the contact failed")
		return
	}
	out := contactJSON(&stored, nil)
	out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + c.User.ObjectID + "')/contacts/$entity"
	writeGraphJSON(w, r, http.StatusCreated, out)
}

// handlePatchContact is PATCH /me/contacts/{id}: 200 with the contact, 412
// when If-Match names another version.
func (s *Server) handlePatchContact(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactWriteScopes...)
	if !ok {
		return
	}
	body, ok := pimReadBody(w, r, contactFields, contactNavigation, contactType)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.bookLocked(c.User.ObjectID)
	ct := b.contacts[r.PathValue("id")]
	switch {
	case ct == nil:
		pimNotFound(w, r)
		return
	case !pimIfMatch(r, ct.ChangeKey):
		pimConflict(w, r)
		return
	}
	cp := cloneContact(*ct)
	if err := pimApply(&cp, body, contactFields); err != nil {
		WriteError(w, r, http.StatusBadRequest, "RequestBodyRead", err.Error())
		return
	}
	b.touch(&cp, s.opts.Now())
	*ct = cp
	s.notifyContact(c.User.ObjectID, ct, "updated")
	out := contactJSON(ct, nil)
	out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users('" + c.User.ObjectID + "')/contacts/$entity"
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleDeleteContact is DELETE /me/contacts/{id}: 204, 412 when If-Match
// names another version.
func (s *Server) handleDeleteContact(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactWriteScopes...)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.bookLocked(c.User.ObjectID)
	ct := b.contacts[r.PathValue("id")]
	switch {
	case ct == nil:
		pimNotFound(w, r)
	case !pimIfMatch(r, ct.ChangeKey):
		pimConflict(w, r)
	default:
		delete(b.contacts, ct.ID)
		b.log.remove(ct.ID, ct.ParentFolderID)
		s.notifyContact(c.User.ObjectID, ct, "deleted")
		w.WriteHeader(http.StatusNoContent)
	}
}

func contactFolderJSON(b *contactBook, id, name string) map[string]any {
	parent := b.defaultFolder
	if id == b.defaultFolder {
		parent = b.rootID
	}
	return map[string]any{"id": id, "displayName": name, "parentFolderId": parent}
}

// handleListContactFolders is GET /me/contactFolders: the folders under
// the default Contacts folder (Graph does not list the default folder).
func (s *Server) handleListContactFolders(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactReadScopes...)
	if !ok {
		return
	}
	page, ok := pimPageParams(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	b := st.bookLocked(c.User.ObjectID)
	var items []map[string]any
	for _, i := range page.of(len(b.folders)) {
		items = append(items, contactFolderJSON(b, b.folders[i].id, b.folders[i].name))
	}
	n := len(b.folders)
	st.mu.Unlock()
	s.pimWriteCollection(w, r, "users('"+c.User.ObjectID+"')/contactFolders", items, page, n)
}

// handleGetContactFolder is GET /me/contactFolders/{id or "contacts"}.
func (s *Server) handleGetContactFolder(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactReadScopes...)
	if !ok {
		return
	}
	st.mu.Lock()
	b := st.bookLocked(c.User.ObjectID)
	var out map[string]any
	switch id := b.folderID(r.PathValue("fid")); {
	case id == "":
	case id == b.defaultFolder:
		out = contactFolderJSON(b, id, "Contacts")
	default:
		for _, f := range b.folders {
			if f.id == id {
				out = contactFolderJSON(b, id, f.name)
			}
		}
	}
	st.mu.Unlock()
	if out == nil {
		pimNotFound(w, r)
		return
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleCreateContactFolder is POST /me/contactFolders {"displayName"}:
// 201, 409 ErrorFolderExists for a name in use.
func (s *Server) handleCreateContactFolder(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactWriteScopes...)
	if !ok {
		return
	}
	var name string
	folderFields := []pimField[string]{
		pimString("displayName", func(p *string) *string { return p }),
		{name: "id"}, {name: "parentFolderId"},
	}
	body, ok := pimReadBody(w, r, folderFields, []string{"childFolders", "contacts"}, "microsoft.graph.contactFolder")
	if !ok {
		return
	}
	if err := pimApply(&name, body, folderFields); err != nil || strings.TrimSpace(name) == "" {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRequest", "The folder displayName is required.")
		return
	}
	st.mu.Lock()
	b := st.bookLocked(c.User.ObjectID)
	id, err := b.addFolder(name)
	var out map[string]any
	if err == nil {
		out = contactFolderJSON(b, id, name)
	}
	st.mu.Unlock()
	if err != nil {
		WriteError(w, r, http.StatusConflict, "ErrorFolderExists", "A folder with the specified name already exists.")
		return
	}
	writeGraphJSON(w, r, http.StatusCreated, out)
}

// handleContactDelta is GET /me/contacts/delta and
// /me/contactFolders/{id}/contacts/delta.
func (s *Server) handleContactDelta(st *contactStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, contactReadScopes...)
	if !ok {
		return
	}
	oid := c.User.ObjectID
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.bookLocked(oid)
	s.pimServeDelta(w, r, st.deltas, oid, "Collection(contact)", pimDeltaSource{
		start: func() (*pimDeltaRound, bool) {
			folder, ok := contactFolderParam(w, r, b)
			if !ok {
				return nil, false
			}
			sel, ok := pimSelect(w, r, r.URL.Query().Get("$select"), contactFields, contactType)
			if !ok {
				return nil, false
			}
			rd := &pimDeltaRound{oid: oid, scope: folder, seq: b.log.seq, selected: sel}
			for _, ct := range b.sorted() {
				if ct.ParentFolderID == folder {
					rd.items = append(rd.items, contactJSON(ct, sel))
				}
			}
			return rd, true
		},
		since: func(prev *pimDeltaRound) *pimDeltaRound {
			rd := &pimDeltaRound{oid: oid, scope: prev.scope, seq: b.log.seq, selected: prev.selected}
			var changed []*Contact
			for _, ct := range b.contacts {
				if ct.ParentFolderID == prev.scope && ct.seq > prev.seq {
					changed = append(changed, ct)
				}
			}
			sort.Slice(changed, func(i, j int) bool { return changed[i].seq < changed[j].seq })
			for _, ct := range changed {
				rd.items = append(rd.items, contactJSON(ct, prev.selected))
			}
			for _, id := range b.log.removedSince(prev.scope, prev.seq) {
				if cur := b.contacts[id]; cur == nil || cur.ParentFolderID != prev.scope {
					rd.items = append(rd.items, pimRemoved(contactType, id))
				}
			}
			return rd
		},
	})
}

// contactFilter supports emailAddresses/any(a:a/address eq '...'), eq, ne
// and startswith() on string properties, and ge/gt/le/lt on
// createdDateTime and lastModifiedDateTime, joined with "and".
func contactFilter(f string) (func(*Contact) bool, error) {
	var preds []func(*Contact) bool
	if strings.TrimSpace(f) == "" {
		return func(*Contact) bool { return true }, nil
	}
	for _, clause := range splitAnd(f) {
		clause = strings.TrimSpace(clause)
		if rest, ok := strings.CutPrefix(clause, "emailAddresses/any("); ok && strings.HasSuffix(rest, ")") {
			v, lambda, ok := strings.Cut(strings.TrimSuffix(rest, ")"), ":")
			fields := strings.SplitN(strings.TrimSpace(lambda), " ", 3)
			if !ok || len(fields) != 3 || fields[0] != strings.TrimSpace(v)+"/address" || fields[1] != "eq" {
				return nil, fmt.Errorf("unsupported clause %q", clause)
			}
			want, ok := unquoteOData(fields[2])
			if !ok {
				return nil, fmt.Errorf("bad literal in %q", clause)
			}
			preds = append(preds, func(c *Contact) bool {
				return slices.ContainsFunc(c.EmailAddresses, func(e Recipient) bool { return strings.EqualFold(e.Address, want) })
			})
			continue
		}
		p, err := pimPredicate(clause, contactFields, "createdDateTime", "lastModifiedDateTime")
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return func(c *Contact) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}, nil
}

// --- Helpers shared by the contacts and To Do parts. ---

// pimField is a property of a resource: how it renders, and how a request
// body sets it (nil set: read-only, ignored in bodies).
type pimField[T any] struct {
	name string
	get  func(*T) any
	set  func(*T, json.RawMessage) error
}

func pimString[T any](name string, p func(*T) *string) pimField[T] {
	return pimField[T]{name: name, get: func(v *T) any { return nilIfEmpty(*p(v)) },
		set: func(v *T, raw json.RawMessage) error { return pimDecodeString(raw, p(v)) }}
}

func pimStrings[T any](name string, p func(*T) *[]string) pimField[T] {
	return pimField[T]{name: name, get: func(v *T) any { return append([]string{}, *p(v)...) },
		set: func(v *T, raw json.RawMessage) error {
			*p(v) = nil
			if pimIsNull(raw) {
				return nil
			}
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return pimTypeMismatch(raw, "Collection(Edm.String)")
			}
			for _, it := range items {
				var s string
				if err := pimDecodeString(it, &s); err != nil {
					return err
				}
				*p(v) = append(*p(v), s)
			}
			return nil
		}}
}

func pimIsNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

func pimTypeMismatch(raw json.RawMessage, edmType string) error {
	lit := strings.TrimSpace(string(raw))
	if len(lit) > 40 {
		lit = lit[:40] + "..."
	}
	return fmt.Errorf("Cannot convert the literal '%s' to the expected type '%s'.", lit, edmType)
}

func pimDecodeString(raw json.RawMessage, dst *string) error {
	*dst = ""
	if raw == nil || pimIsNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return pimTypeMismatch(raw, "Edm.String")
	}
	return nil
}

func pimDecodeBool(raw json.RawMessage, dst *bool) error {
	*dst = false
	if pimIsNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return pimTypeMismatch(raw, "Edm.Boolean")
	}
	return nil
}

func pimDecodeTimestamp(raw json.RawMessage, dst *time.Time) error {
	*dst = time.Time{}
	var s string
	if err := pimDecodeString(raw, &s); err != nil || s == "" {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return pimTypeMismatch(raw, "Edm.DateTimeOffset")
	}
	*dst = t.UTC()
	return nil
}

// pimObject decodes a complex value, refusing properties its type does
// not have (annotations such as @odata.type pass).
func pimObject(raw json.RawMessage, typeName string, props ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, pimTypeMismatch(raw, typeName)
	}
	for k := range m {
		if !strings.HasPrefix(k, "@") && !slices.Contains(props, k) {
			return nil, pimUnknownProperty(k, typeName)
		}
	}
	return m, nil
}

func pimUnknownProperty(name, typeName string) error {
	return fmt.Errorf("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", name, typeName)
}

// pimReadBody reads a POST or PATCH body, answering 400 RequestBodyRead for a
// property the type does not have, and 400 for a relationship the fake
// does not store.
func pimReadBody[T any](w http.ResponseWriter, r *http.Request, fields []pimField[T], navigation []string, typeName string) (map[string]json.RawMessage, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || len(strings.TrimSpace(string(raw))) == 0 {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Empty Payload. JSON content expected.")
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return nil, false
	}
	for k := range m {
		switch {
		case strings.HasPrefix(k, "@"):
		case slices.ContainsFunc(fields, func(f pimField[T]) bool { return f.name == k }):
		case slices.Contains(navigation, k):
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "graphtest: the fake does not store the relationship '"+k+"' of '"+typeName+"'.")
			return nil, false
		default:
			WriteError(w, r, http.StatusBadRequest, "RequestBodyRead", pimUnknownProperty(k, typeName).Error())
			return nil, false
		}
	}
	return m, true
}

// pimApply sets the writable properties named in body on v, in the
// fields' order; read-only ones are ignored.
func pimApply[T any](v *T, body map[string]json.RawMessage, fields []pimField[T]) error {
	for _, f := range fields {
		if raw, ok := body[f.name]; ok && f.set != nil {
			if err := f.set(v, raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// pimSelect parses $select against the fields of a type.
func pimSelect[T any](w http.ResponseWriter, r *http.Request, v string, fields []pimField[T], typeName string) ([]string, bool) {
	if v == "" {
		return nil, true
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		i := slices.IndexFunc(fields, func(f pimField[T]) bool { return strings.EqualFold(f.name, p) })
		if i < 0 {
			WriteError(w, r, http.StatusBadRequest, "RequestBroker--ParseUri", "Could not find a property named '"+p+"' on type '"+typeName+"'.")
			return nil, false
		}
		out = appendNew(out, fields[i].name)
	}
	return out, true
}

// pimOrderBy parses "$orderby=prop [asc|desc], ..." on properties that render
// as strings or timestamps; nil less keeps the default order.
func pimOrderBy[T any](w http.ResponseWriter, r *http.Request, v string, fields []pimField[T], typeName string) (func(a, b *T) bool, bool) {
	if strings.TrimSpace(v) == "" {
		return nil, true
	}
	type key struct {
		get  func(*T) any
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(v, ",") {
		name, dir, _ := strings.Cut(strings.TrimSpace(part), " ")
		dir = strings.ToLower(strings.TrimSpace(dir))
		i := slices.IndexFunc(fields, func(f pimField[T]) bool { return strings.EqualFold(f.name, name) })
		if i < 0 {
			WriteError(w, r, http.StatusBadRequest, "RequestBroker--ParseUri", "Could not find a property named '"+name+"' on type '"+typeName+"'.")
			return nil, false
		}
		if dir != "" && dir != "asc" && dir != "desc" {
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid $orderby direction '"+dir+"'.")
			return nil, false
		}
		keys = append(keys, key{get: fields[i].get, desc: dir == "desc"})
	}
	str := func(v any) string { s, _ := v.(string); return strings.ToLower(s) }
	return func(a, b *T) bool {
		for _, k := range keys {
			x, y := str(k.get(a)), str(k.get(b))
			if x != y {
				return (x < y) != k.desc
			}
		}
		return false
	}, true
}

// pimPredicate parses one $filter clause: "prop eq|ne 'v'",
// "startswith(prop,'v')", "contains(prop,'v')" on string properties, or
// "prop ge|gt|le|lt <timestamp>" on the named timestamp properties.
func pimPredicate[T any](clause string, fields []pimField[T], timestamps ...string) (func(*T) bool, error) {
	find := func(name string) (pimField[T], bool) {
		i := slices.IndexFunc(fields, func(f pimField[T]) bool { return f.name == name })
		if i < 0 {
			return pimField[T]{}, false
		}
		return fields[i], true
	}
	str := func(v any) string { s, _ := v.(string); return s }
	for _, fn := range []string{"startswith(", "contains("} {
		rest, ok := strings.CutPrefix(clause, fn)
		if !ok || !strings.HasSuffix(rest, ")") {
			continue
		}
		name, lit, _ := strings.Cut(strings.TrimSuffix(rest, ")"), ",")
		f, ok := find(strings.TrimSpace(name))
		v, okLit := unquoteOData(strings.TrimSpace(lit))
		if !ok || !okLit {
			return nil, fmt.Errorf("unsupported clause %q", clause)
		}
		v = strings.ToLower(v)
		if fn == "contains(" {
			return func(x *T) bool { return strings.Contains(strings.ToLower(str(f.get(x))), v) }, nil
		}
		return func(x *T) bool { return strings.HasPrefix(strings.ToLower(str(f.get(x))), v) }, nil
	}
	parts := strings.SplitN(clause, " ", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("cannot parse %q", clause)
	}
	f, ok := find(parts[0])
	if !ok {
		return nil, fmt.Errorf("unknown property in %q", clause)
	}
	op, lit := parts[1], strings.TrimSpace(parts[2])
	if slices.Contains(timestamps, f.name) {
		t, err := time.Parse(time.RFC3339Nano, lit)
		if err != nil {
			return nil, fmt.Errorf("bad timestamp in %q", clause)
		}
		at := func(x *T) time.Time { v, _ := time.Parse(time.RFC3339Nano, str(f.get(x))); return v }
		switch op {
		case "ge":
			return func(x *T) bool { return !at(x).Before(t) }, nil
		case "gt":
			return func(x *T) bool { return at(x).After(t) }, nil
		case "le":
			return func(x *T) bool { return !at(x).After(t) }, nil
		case "lt":
			return func(x *T) bool { return at(x).Before(t) }, nil
		}
		return nil, fmt.Errorf("unsupported operator in %q", clause)
	}
	var want any
	if lit == "true" || lit == "false" {
		want = lit == "true"
	} else if v, ok := unquoteOData(lit); ok {
		want = v
	} else {
		return nil, fmt.Errorf("bad literal in %q", clause)
	}
	eq := func(x *T) bool {
		if s, ok := want.(string); ok {
			return strings.EqualFold(str(f.get(x)), s)
		}
		return f.get(x) == want
	}
	switch op {
	case "eq":
		return eq, nil
	case "ne":
		return func(x *T) bool { return !eq(x) }, nil
	}
	return nil, fmt.Errorf("unsupported operator in %q", clause)
}

// pimPage is the $top/$skip window of a collection request.
type pimPage struct{ top, skip int }

// of returns the indexes of a collection of n items the window covers.
func (p pimPage) of(n int) []int {
	var out []int
	for i := p.skip; i < n && i < p.skip+p.top; i++ {
		out = append(out, i)
	}
	return out
}

// pimPageParams reads $top (1..1000, default 10) and $skip.
func pimPageParams(w http.ResponseWriter, r *http.Request) (pimPage, bool) {
	q := r.URL.Query()
	p := pimPage{top: 10}
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid $top value.")
			return p, false
		}
		p.top = n
	}
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid $skip value.")
			return p, false
		}
		p.skip = n
	}
	return p, true
}

// pimWriteCollection writes {"@odata.context", "value", "@odata.nextLink"}
// for a window of a collection of n items.
func (s *Server) pimWriteCollection(w http.ResponseWriter, r *http.Request, context string, items []map[string]any, p pimPage, n int) {
	if items == nil {
		items = []map[string]any{}
	}
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#" + context, "value": items}
	if p.skip+p.top < n {
		next := cloneValues(r.URL.Query())
		next.Set("$top", strconv.Itoa(p.top))
		next.Set("$skip", strconv.Itoa(p.skip+p.top))
		out["@odata.nextLink"] = s.srv.URL + r.URL.Path + "?" + next.Encode()
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}

func pimNotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
}

// pimConflict answers a failed If-Match as Exchange does.
func pimConflict(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, http.StatusPreconditionFailed, "ErrorIrresolvableConflict",
		"The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.")
}

// pimChangeKey makes an Exchange-like change key for a version of an item.
func pimChangeKey(id string, seq int64) string {
	sum := sha256.Sum256([]byte(id + "\x00" + strconv.FormatInt(seq, 10)))
	return "EQAAABYAAAD" + base64.StdEncoding.EncodeToString(sum[:15])
}

func pimETag(changeKey string) string { return `W/"` + changeKey + `"` }

// pimIfMatch reports whether the request's If-Match (absent, "*", or a list
// of etags) admits the item's current change key.
func pimIfMatch(r *http.Request, changeKey string) bool {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return true
	}
	for _, tag := range strings.Split(v, ",") {
		tag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(tag), "W/"), `"`)
		if tag == changeKey {
			return true
		}
	}
	return false
}

// pimLog numbers one user's changes (for delta rounds and etags) and keeps
// the removals.
type pimLog struct {
	seq     int64
	removed []pimTombstone
}

type pimTombstone struct {
	id, scope string
	seq       int64
}

func (l *pimLog) next() int64 { l.seq++; return l.seq }

func (l *pimLog) remove(id, scope string) {
	l.removed = append(l.removed, pimTombstone{id: id, scope: scope, seq: l.next()})
}

// removedSince returns the ids removed from scope after seq, in order.
func (l *pimLog) removedSince(scope string, seq int64) []string {
	var out []string
	for _, t := range l.removed {
		if t.scope == scope && t.seq > seq && !slices.Contains(out, t.id) {
			out = append(out, t.id)
		}
	}
	return out
}

// pimDeltaRound is a delta round of the contacts or To Do part: for a
// $skiptoken the items still to serve, for a $deltatoken (paging false)
// the change number the next round continues after.
type pimDeltaRound struct {
	oid, scope string
	seq        int64
	selected   []string
	paging     bool
	items      []map[string]any
	offset     int
}

// pimDeltaSource builds the rounds of one delta collection. Both run with
// the part's lock held.
type pimDeltaSource struct {
	// start builds an initial round from the request, or answers an error
	// and returns false.
	start func() (*pimDeltaRound, bool)
	// since builds the round after prev: the items changed and removed
	// since prev.seq.
	since func(prev *pimDeltaRound) *pimDeltaRound
}

// pimServeDelta answers a delta request: an initial round, a $skiptoken page
// or a $deltatoken round, in pages of Prefer: odata.maxpagesize or $top
// (default 10), with @odata.nextLink or @odata.deltaLink. Unknown, expired
// or another user's tokens answer 410 SyncStateNotFound. The caller holds
// the part's lock.
func (s *Server) pimServeDelta(w http.ResponseWriter, r *http.Request, tokens map[string]*pimDeltaRound, oid, context string, src pimDeltaSource) {
	q := r.URL.Query()
	size, preferred := maxPageSize(r), maxPageSize(r) > 0
	if n, err := strconv.Atoi(q.Get("$top")); !preferred && err == nil && n > 0 {
		size = n
	} else if !preferred {
		size = 10
	}
	gone := func() {
		WriteError(w, r, http.StatusGone, "SyncStateNotFound", "The sync state generation is not found. Please do a full sync.")
	}
	var rd *pimDeltaRound
	switch skip, delta := q.Get("$skiptoken"), q.Get("$deltatoken"); {
	case skip != "":
		prev := tokens[skip]
		if prev == nil || prev.oid != oid || !prev.paging {
			gone()
			return
		}
		cp := *prev
		rd = &cp
	case delta != "":
		prev := tokens[delta]
		if prev == nil || prev.oid != oid || prev.paging {
			gone()
			return
		}
		rd = src.since(prev)
	default:
		var ok bool
		if rd, ok = src.start(); !ok {
			return
		}
	}
	end := min(rd.offset+size, len(rd.items))
	page := rd.items[rd.offset:end]
	if page == nil {
		page = []map[string]any{}
	}
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#" + context, "value": page}
	base := s.srv.URL + r.URL.Path + "?"
	tok := newGraphID("")
	if end < len(rd.items) {
		next := *rd
		next.offset, next.paging = end, true
		tokens[tok] = &next
		out["@odata.nextLink"] = base + "$skiptoken=" + url.QueryEscape(tok)
	} else {
		tokens[tok] = &pimDeltaRound{oid: rd.oid, scope: rd.scope, seq: rd.seq, selected: rd.selected}
		out["@odata.deltaLink"] = base + "$deltatoken=" + url.QueryEscape(tok)
	}
	if preferred {
		w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	}
	writeGraphJSON(w, r, http.StatusOK, out)
}
