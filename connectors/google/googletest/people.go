package googletest

// People API (people.googleapis.com/v1), contacts only. For doc.go:
//
//   - /v1/people/me/connections (people.connections.list): personFields
//     required (400 INVALID_ARGUMENT without it or with an unknown path);
//     pageSize (default 100, 1..1000, else 400); pageToken (bound to the
//     other parameters of the first call, as documented); sortOrder
//     LAST_MODIFIED_ASCENDING (default), LAST_MODIFIED_DESCENDING,
//     FIRST_NAME_ASCENDING, LAST_NAME_ASCENDING; requestSyncToken and
//     syncToken: nextSyncToken comes on the last page only; a sync answers
//     the contacts changed since the token, deleted ones as a person with
//     metadata.deleted=true; a token older than ExpirePeopleSyncTokens or
//     than 7 days answers 400 FAILED_PRECONDITION with a
//     google.rpc.ErrorInfo detail of reason EXPIRED_SYNC_TOKEN;
//     totalPeople and totalItems;
//   - people.get (GET /v1/people/c<digits>, and people/me for the signed-in
//     user's profile), people.getBatchGet (GET /v1/people:batchGet, up to
//     200 resourceNames), people.createContact (POST
//     /v1/people:createContact), people.updateContact (PATCH
//     /v1/people/c<digits>:updateContact, updatePersonFields required; the
//     body's etag or metadata.sources[].etag must be the current one, else
//     400 FAILED_PRECONDITION reason failedPrecondition),
//     people.deleteContact (DELETE /v1/people/c<digits>:deleteContact, 200
//     {}). personFields of create and update default to all fields.
//   - Person fields names (one at most; displayName, displayNameLastFirst
//     and unstructuredName derived), nicknames, emailAddresses,
//     phoneNumbers (canonicalForm for international numbers),
//     addresses (formattedValue built when not given), organizations,
//     birthdays (one at most), biographies (one at most; contentType
//     TEXT_PLAIN by default), urls, relations, memberships (myContacts by
//     default) and metadata; formattedType for the documented types;
//     field metadata (primary, sourcePrimary, source) on every value.
//     Other documented fields (photos, events, genders ...) are accepted in
//     masks and ignored in bodies.
//   - Scopes: contacts for writes, contacts or contacts.readonly for reads
//     (people/me also accepts the profile and email scopes).
//
// SeedContact, UpdateContact and DeleteContact change a user's contacts as
// another client would (a sync reports the change); Contacts lists them;
// ExpirePeopleSyncTokens expires the sync tokens issued so far.
//
// Not implemented: contact groups, otherContacts, searchContacts,
// batchCreate/Update/DeleteContacts, photos, the sources parameter,
// directory people, the propagation delay of sync requests and the
// additional quota of full syncs.
//
// The Server struct has no field for this state, so the store is the
// handler registered for connections.list and Server.people finds it
// through the mux; a field on Server would replace that lookup.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// People API scopes.
const (
	scopeContacts         = "https://www.googleapis.com/auth/contacts"
	scopeContactsReadonly = "https://www.googleapis.com/auth/contacts.readonly"
)

// People API limits, as documented.
const (
	peopleDefaultPageSize = 100
	peopleMaxPageSize     = 1000
	peopleMaxBatchGet     = 200
	// peopleSyncTokenTTL is how long a sync token lasts ("Sync tokens
	// expire 7 days after the full sync").
	peopleSyncTokenTTL = 7 * 24 * time.Hour
	// connectionsPath is where the People store is registered.
	connectionsPath = "/v1/people/me/connections"
)

var (
	contactsReadScopes  = []string{scopeContacts, scopeContactsReadonly}
	contactsWriteScopes = []string{scopeContacts}
	// profileReadScopes allow people.get of people/me.
	profileReadScopes = []string{scopeContacts, scopeContactsReadonly, scopeUserinfoProfile, scopeUserinfoEmail,
		"https://www.googleapis.com/auth/user.emails.read", "https://www.googleapis.com/auth/directory.readonly"}
	// personFieldPaths are the documented values of personFields.
	personFieldPaths = []string{"addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData",
		"coverPhotos", "emailAddresses", "events", "externalIds", "genders", "imClients", "interests", "locales",
		"locations", "memberships", "metadata", "miscKeywords", "names", "nicknames", "occupations", "organizations",
		"phoneNumbers", "photos", "relations", "sipAddresses", "skills", "urls", "userDefined"}
	// updatePersonFieldPaths are the documented values of updatePersonFields.
	updatePersonFieldPaths = []string{"addresses", "biographies", "birthdays", "calendarUrls", "clientData",
		"emailAddresses", "events", "externalIds", "genders", "imClients", "interests", "locales", "locations",
		"memberships", "miscKeywords", "names", "nicknames", "occupations", "organizations", "phoneNumbers",
		"relations", "sipAddresses", "urls", "userDefined"}
	// connectionSortOrders are the documented values of sortOrder.
	connectionSortOrders = []string{"LAST_MODIFIED_ASCENDING", "LAST_MODIFIED_DESCENDING", "FIRST_NAME_ASCENDING", "LAST_NAME_ASCENDING"}
	// personFieldTypes are the predefined type values of person fields,
	// whose formattedType is the type in words ("homeFax": "Home Fax");
	// a custom type is its own formattedType.
	personFieldTypes = []string{"home", "work", "other", "mobile", "homeFax", "workFax", "otherFax", "pager",
		"workMobile", "workPager", "main", "googleVoice", "school", "blog", "profile", "homePage", "ftp",
		"reservations", "appInstallPage", "spouse", "child", "mother", "father", "parent", "brother", "sister",
		"friend", "relative", "domesticPartner", "manager", "assistant", "referredBy", "partner",
		"maidenName", "initials", "shortName", "alternateName"}
)

// Person is a People API person (a contact), shaped like the JSON
// resource; SeedContact takes one and the fake serves it. The server sets
// ResourceName ("people/c" and digits), ETag, Metadata and every
// field's Metadata; the derived values (displayName, formattedType,
// canonicalForm ...) are filled in when empty.
type Person struct {
	ResourceName   string          `json:"resourceName,omitempty"`
	ETag           string          `json:"etag,omitempty"`
	Metadata       *PersonMetadata `json:"metadata,omitempty"`
	Names          []PersonName    `json:"names,omitempty"`
	Nicknames      []Nickname      `json:"nicknames,omitempty"`
	EmailAddresses []EmailAddress  `json:"emailAddresses,omitempty"`
	PhoneNumbers   []PhoneNumber   `json:"phoneNumbers,omitempty"`
	Addresses      []PersonAddress `json:"addresses,omitempty"`
	Organizations  []Organization  `json:"organizations,omitempty"`
	Birthdays      []Birthday      `json:"birthdays,omitempty"`
	Biographies    []Biography     `json:"biographies,omitempty"`
	URLs           []PersonURL     `json:"urls,omitempty"`
	Relations      []Relation      `json:"relations,omitempty"`
	Memberships    []Membership    `json:"memberships,omitempty"`
}

// PersonMetadata is the metadata of a person (PersonMetadata).
type PersonMetadata struct {
	Sources []PersonSource `json:"sources,omitempty"`
	// ObjectType is "PERSON" (deprecated by Google, still served).
	ObjectType string `json:"objectType,omitempty"`
	// Deleted marks a contact deleted since the sync token of a sync
	// request.
	Deleted bool `json:"deleted,omitempty"`
}

// PersonSource is a source of a person's data (Source): type CONTACT
// with the contact id (the hex form of the resource name's digits), or
// PROFILE / ACCOUNT for a Google account.
type PersonSource struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	ETag       string `json:"etag,omitempty"`
	UpdateTime string `json:"updateTime,omitempty"` // RFC 3339
}

// FieldMetadata is the metadata of one field value (FieldMetadata).
type FieldMetadata struct {
	Primary       bool          `json:"primary,omitempty"`
	SourcePrimary bool          `json:"sourcePrimary,omitempty"`
	Verified      bool          `json:"verified,omitempty"`
	Source        *PersonSource `json:"source,omitempty"`
}

// PersonName is a person's name (Name). A contact has one at most.
type PersonName struct {
	Metadata             *FieldMetadata `json:"metadata,omitempty"`
	DisplayName          string         `json:"displayName,omitempty"`
	DisplayNameLastFirst string         `json:"displayNameLastFirst,omitempty"`
	UnstructuredName     string         `json:"unstructuredName,omitempty"`
	FamilyName           string         `json:"familyName,omitempty"`
	GivenName            string         `json:"givenName,omitempty"`
	MiddleName           string         `json:"middleName,omitempty"`
	HonorificPrefix      string         `json:"honorificPrefix,omitempty"`
	HonorificSuffix      string         `json:"honorificSuffix,omitempty"`
}

// Nickname is a person's nickname.
type Nickname struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
	Type     string         `json:"type,omitempty"`
}

// EmailAddress is a person's email address; Type is home, work, other
// or custom.
type EmailAddress struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
	DisplayName   string         `json:"displayName,omitempty"`
}

// PhoneNumber is a person's phone number; Type is home, work, mobile,
// homeFax, workFax, otherFax, pager, workMobile, workPager, main,
// googleVoice, other or custom.
type PhoneNumber struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	CanonicalForm string         `json:"canonicalForm,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// PersonAddress is a person's physical address (Address).
type PersonAddress struct {
	Metadata        *FieldMetadata `json:"metadata,omitempty"`
	FormattedValue  string         `json:"formattedValue,omitempty"`
	Type            string         `json:"type,omitempty"`
	FormattedType   string         `json:"formattedType,omitempty"`
	PoBox           string         `json:"poBox,omitempty"`
	StreetAddress   string         `json:"streetAddress,omitempty"`
	ExtendedAddress string         `json:"extendedAddress,omitempty"`
	City            string         `json:"city,omitempty"`
	Region          string         `json:"region,omitempty"`
	PostalCode      string         `json:"postalCode,omitempty"`
	Country         string         `json:"country,omitempty"`
	CountryCode     string         `json:"countryCode,omitempty"`
}

// Organization is a person's past or current organization.
type Organization struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
	Current       bool           `json:"current,omitempty"`
	Name          string         `json:"name,omitempty"`
	Title         string         `json:"title,omitempty"`
	Department    string         `json:"department,omitempty"`
}

// Birthday is a person's birthday. A contact has one at most.
type Birthday struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Date     *PersonDate    `json:"date,omitempty"`
	Text     string         `json:"text,omitempty"`
}

// PersonDate is a whole or partial calendar date (google.type.Date);
// Year 0 is a date without a year.
type PersonDate struct {
	Year  int `json:"year,omitempty"`
	Month int `json:"month,omitempty"`
	Day   int `json:"day,omitempty"`
}

// Biography is a person's short biography. A contact has one at most.
type Biography struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
	// ContentType is TEXT_PLAIN (default) or TEXT_HTML.
	ContentType string `json:"contentType,omitempty"`
}

// PersonURL is a person's associated URL (Url).
type PersonURL struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// Relation is a person's relation to another person.
type Relation struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Person        string         `json:"person,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// Membership is a person's membership in a contact group.
type Membership struct {
	Metadata               *FieldMetadata          `json:"metadata,omitempty"`
	ContactGroupMembership *ContactGroupMembership `json:"contactGroupMembership,omitempty"`
}

// ContactGroupMembership names a contact group ("myContacts",
// "starred" or a user group's id).
type ContactGroupMembership struct {
	ContactGroupID           string `json:"contactGroupId,omitempty"`
	ContactGroupResourceName string `json:"contactGroupResourceName,omitempty"`
}

// fieldValue is a value of a person field with its FieldMetadata.
type fieldValue interface {
	PersonName | Nickname | EmailAddress | PhoneNumber | PersonAddress | Organization |
		Birthday | Biography | PersonURL | Relation | Membership
}

func (v *PersonName) fieldMeta() **FieldMetadata    { return &v.Metadata }
func (v *Nickname) fieldMeta() **FieldMetadata      { return &v.Metadata }
func (v *EmailAddress) fieldMeta() **FieldMetadata  { return &v.Metadata }
func (v *PhoneNumber) fieldMeta() **FieldMetadata   { return &v.Metadata }
func (v *PersonAddress) fieldMeta() **FieldMetadata { return &v.Metadata }
func (v *Organization) fieldMeta() **FieldMetadata  { return &v.Metadata }
func (v *Birthday) fieldMeta() **FieldMetadata      { return &v.Metadata }
func (v *Biography) fieldMeta() **FieldMetadata     { return &v.Metadata }
func (v *PersonURL) fieldMeta() **FieldMetadata     { return &v.Metadata }
func (v *Relation) fieldMeta() **FieldMetadata      { return &v.Metadata }
func (v *Membership) fieldMeta() **FieldMetadata    { return &v.Metadata }

// setFieldMetadata gives every value the contact's source; the first
// value the client marked primary (else the first) is primary.
func setFieldMetadata[T fieldValue, P interface {
	*T
	fieldMeta() **FieldMetadata
}](values []T, src PersonSource) {
	primary := 0
	for i := range values {
		if m := *P(&values[i]).fieldMeta(); m != nil && m.Primary {
			primary = i
			break
		}
	}
	for i := range values {
		*P(&values[i]).fieldMeta() = &FieldMetadata{Primary: i == primary, SourcePrimary: i == primary,
			Source: &PersonSource{Type: src.Type, ID: src.ID}}
	}
}

// contact is a stored contact. p is replaced, never changed in place, so
// that a copy taken under the lock may be read after it.
type contact struct {
	id      uint64 // the digits of the resource name; hex is the source id
	p       Person
	version int
	seq     uint64 // the book's change sequence at the last change
	deleted bool
}

func (c *contact) resourceName() string { return "people/c" + strconv.FormatUint(c.id, 10) }
func (c *contact) sourceID() string     { return strconv.FormatUint(c.id, 16) }

// personETag and sourceETag are opaque etags that change with every
// change, shaped like Google's ("%Eg..." and "#...").
func (c *contact) personETag() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "person/%d/%d", c.id, c.version))
	return "%" + base64.StdEncoding.EncodeToString(sum[:18])
}

func (c *contact) sourceETag() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "source/%d/%d", c.id, c.version))
	return "#" + base64.StdEncoding.EncodeToString(sum[:9])
}

// view is the contact as served with these person fields; a deleted
// contact is its resource name, etag and metadata.deleted.
func (c *contact) view(fields map[string]bool) Person {
	if c.deleted {
		return Person{ResourceName: c.resourceName(), ETag: c.personETag(), Metadata: &PersonMetadata{
			Sources: []PersonSource{{Type: "CONTACT", ID: c.sourceID()}}, ObjectType: "PERSON", Deleted: true}}
	}
	return maskPerson(c.p, fields)
}

// contactBook is one user's contacts. Guarded by Server.mu.
type contactBook struct {
	contacts []*contact // creation order, deleted ones included
	byID     map[uint64]*contact
	seq      uint64 // bumped by every change
	gen      int    // bumped by ExpirePeopleSyncTokens
	n        int    // id counter
}

// peopleService is the People API state of a Server, registered by
// peopleRoutes as the connections.list handler.
type peopleService struct {
	s     *Server
	books map[string]*contactBook // by user subject; guarded by s.mu
}

// peopleRoutes adds the People API (people.googleapis.com/v1) to mux.
func (s *Server) peopleRoutes(mux *http.ServeMux) {
	ps := &peopleService{s: s, books: make(map[string]*contactBook)}
	s.peopleS = ps
	mux.Handle("GET /v1/people/{id}/connections", ps)
	mux.HandleFunc("POST /v1/people:createContact", ps.handleCreate)
	mux.HandleFunc("GET /v1/people:batchGet", ps.handleBatchGet)
	mux.HandleFunc("/v1/people/{id}", ps.handlePerson)
}

// people returns the state registered by peopleRoutes.
func (s *Server) people() (*peopleService, error) {
	ps := s.peopleS
	if ps == nil {
		return nil, errors.New("googletest: the People API is not registered")
	}
	return ps, nil
}

func (ps *peopleService) bookLocked(subject string) *contactBook {
	b := ps.books[subject]
	if b == nil {
		b = &contactBook{byID: make(map[uint64]*contact)}
		ps.books[subject] = b
	}
	return b
}

// newIDLocked derives a new contact id (19 or 20 digits, like Google's)
// from the user and a counter.
func (b *contactBook) newIDLocked(subject string) uint64 {
	for {
		b.n++
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/contact/%d", subject, b.n))
		id := binary.BigEndian.Uint64(sum[:8]) | 1<<62
		if b.byID[id] == nil {
			return id
		}
	}
}

// stampLocked records a change of c with its new data p: a new version
// and etag, the book's next sequence, the source's updateTime.
func (ps *peopleService) stampLocked(b *contactBook, c *contact, p Person) {
	c.version++
	b.seq++
	c.seq = b.seq
	p.ResourceName = c.resourceName()
	p.ETag = c.personETag()
	p.Metadata = &PersonMetadata{ObjectType: "PERSON", Sources: []PersonSource{{Type: "CONTACT", ID: c.sourceID(),
		ETag: c.sourceETag(), UpdateTime: peopleTime(ps.s.opts.Now())}}}
	c.p = p
}

// createLocked adds a contact; resourceName may name it ("people/c"
// and digits), else an id is generated.
func (ps *peopleService) createLocked(b *contactBook, subject string, p Person, resourceName string) (*contact, error) {
	var id uint64
	if resourceName != "" {
		n, ok := contactID(strings.TrimPrefix(resourceName, "people/"))
		if !ok || !strings.HasPrefix(resourceName, "people/") {
			return nil, fmt.Errorf("resource name %q is not people/c followed by digits", resourceName)
		}
		if b.byID[n] != nil {
			return nil, fmt.Errorf("contact %s already exists", resourceName)
		}
		id = n
	} else {
		id = b.newIDLocked(subject)
	}
	c := &contact{id: id}
	p = clonePerson(p)
	if len(p.Memberships) == 0 {
		p.Memberships = []Membership{{ContactGroupMembership: &ContactGroupMembership{ContactGroupID: "myContacts"}}}
	}
	if err := normalizePerson(&p, PersonSource{Type: "CONTACT", ID: c.sourceID()}); err != nil {
		return nil, err
	}
	b.contacts = append(b.contacts, c)
	b.byID[id] = c
	ps.stampLocked(b, c, p)
	return c, nil
}

// deleteLocked makes c a deleted contact, which syncs report.
func (ps *peopleService) deleteLocked(b *contactBook, c *contact) {
	ps.stampLocked(b, c, Person{})
	c.deleted = true
}

// contactID parses "c" followed by digits, the id part of a contact's
// resource name.
func contactID(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, "c")
	if !ok || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// clonePerson deep-copies p.
func clonePerson(p Person) Person {
	b, err := json.Marshal(p)
	if err != nil {
		return p
	}
	var c Person
	_ = json.Unmarshal(b, &c)
	return c
}

// normalizePerson checks the singleton fields and fills in the field
// metadata and the derived values.
func normalizePerson(p *Person, src PersonSource) error {
	for name, n := range map[string]int{"names": len(p.Names), "birthdays": len(p.Birthdays), "biographies": len(p.Biographies)} {
		if n > 1 {
			return fmt.Errorf("%s is a singleton field and can have only one value", name)
		}
	}
	for i := range p.Names {
		deriveName(&p.Names[i])
	}
	for i := range p.EmailAddresses {
		e := &p.EmailAddresses[i]
		e.FormattedType = formattedType(e.Type)
	}
	for i := range p.PhoneNumbers {
		ph := &p.PhoneNumbers[i]
		ph.FormattedType = formattedType(ph.Type)
		if ph.CanonicalForm == "" {
			ph.CanonicalForm = canonicalPhone(ph.Value)
		}
	}
	for i := range p.Addresses {
		a := &p.Addresses[i]
		a.FormattedType = formattedType(a.Type)
		if a.FormattedValue == "" {
			a.FormattedValue = formatPersonAddress(*a)
		}
	}
	for i := range p.Organizations {
		o := &p.Organizations[i]
		o.FormattedType = formattedType(o.Type)
	}
	for i := range p.Biographies {
		if p.Biographies[i].ContentType == "" {
			p.Biographies[i].ContentType = "TEXT_PLAIN"
		}
		if ct := p.Biographies[i].ContentType; ct != "TEXT_PLAIN" && ct != "TEXT_HTML" {
			return fmt.Errorf("invalid biographies.contentType %q", ct)
		}
	}
	for i := range p.URLs {
		u := &p.URLs[i]
		u.FormattedType = formattedType(u.Type)
	}
	for i := range p.Relations {
		rel := &p.Relations[i]
		rel.FormattedType = formattedType(rel.Type)
	}
	for i := range p.Memberships {
		g := p.Memberships[i].ContactGroupMembership
		if g == nil {
			return errors.New("a membership must be a contactGroupMembership")
		}
		if g.ContactGroupID == "" {
			g.ContactGroupID = strings.TrimPrefix(g.ContactGroupResourceName, "contactGroups/")
		}
		if g.ContactGroupID == "" {
			return errors.New("a contactGroupMembership needs contactGroupResourceName")
		}
		g.ContactGroupResourceName = "contactGroups/" + g.ContactGroupID
	}
	setFieldMetadata(p.Names, src)
	setFieldMetadata(p.Nicknames, src)
	setFieldMetadata(p.EmailAddresses, src)
	setFieldMetadata(p.PhoneNumbers, src)
	setFieldMetadata(p.Addresses, src)
	setFieldMetadata(p.Organizations, src)
	setFieldMetadata(p.Birthdays, src)
	setFieldMetadata(p.Biographies, src)
	setFieldMetadata(p.URLs, src)
	setFieldMetadata(p.Relations, src)
	setFieldMetadata(p.Memberships, src)
	return nil
}

// deriveName fills in the read-only forms of a name: displayName and
// displayNameLastFirst from the structured parts (which an
// unstructuredName alone is split into), unstructuredName from
// displayName.
func deriveName(n *PersonName) {
	if n.GivenName == "" && n.FamilyName == "" && n.MiddleName == "" && n.UnstructuredName != "" {
		parts := strings.Fields(n.UnstructuredName)
		n.GivenName = parts[0]
		if len(parts) > 1 {
			n.FamilyName = parts[len(parts)-1]
			n.MiddleName = strings.Join(parts[1:len(parts)-1], " ")
		}
	}
	join := func(parts ...string) string {
		return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " ")
	}
	if first := join(n.HonorificPrefix, n.GivenName, n.MiddleName); first != "" || n.FamilyName != "" {
		n.DisplayName = join(first, n.FamilyName, n.HonorificSuffix)
		switch {
		case n.FamilyName == "":
			n.DisplayNameLastFirst = n.DisplayName
		case first == "":
			n.DisplayNameLastFirst = join(n.FamilyName, n.HonorificSuffix)
		default:
			n.DisplayNameLastFirst = n.FamilyName + ", " + first
			if n.HonorificSuffix != "" {
				n.DisplayNameLastFirst += ", " + n.HonorificSuffix
			}
		}
	}
	if n.UnstructuredName == "" {
		n.UnstructuredName = n.DisplayName
	}
}

// formattedType is the type in the viewer's words: a predefined type
// spelled out ("workFax": "Work Fax"), a custom type as it is.
func formattedType(typ string) string {
	if typ == "" {
		return ""
	}
	if !slices.Contains(personFieldTypes, typ) {
		return typ
	}
	var b strings.Builder
	for i, r := range typ {
		switch {
		case i == 0:
			b.WriteString(strings.ToUpper(string(r)))
		case r >= 'A' && r <= 'Z':
			b.WriteString(" " + string(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// canonicalPhone is the ITU-T E.164 form of an international number
// ("+" and digits); numbers without a country code get none, as the fake
// knows no viewer region.
func canonicalPhone(v string) string {
	if !strings.HasPrefix(strings.TrimSpace(v), "+") {
		return ""
	}
	var digits strings.Builder
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune(" +-().", r):
		default:
			return ""
		}
	}
	if n := digits.Len(); n < 7 || n > 15 {
		return ""
	}
	return "+" + digits.String()
}

// formatPersonAddress builds an address's formattedValue from its parts.
func formatPersonAddress(a PersonAddress) string {
	var lines []string
	for _, l := range []string{a.StreetAddress, a.ExtendedAddress, a.PoBox} {
		if l != "" {
			lines = append(lines, l)
		}
	}
	locality := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{a.Region, a.PostalCode},
		func(s string) bool { return s == "" }), " "))
	switch {
	case a.City != "" && locality != "":
		lines = append(lines, a.City+", "+locality)
	case a.City != "" || locality != "":
		lines = append(lines, a.City+locality)
	}
	if a.Country != "" {
		lines = append(lines, a.Country)
	} else if a.CountryCode != "" {
		lines = append(lines, a.CountryCode)
	}
	return strings.Join(lines, "\n")
}

// maskPerson keeps the fields named in fields; resourceName and etag are
// always served.
func maskPerson(p Person, fields map[string]bool) Person {
	out := Person{ResourceName: p.ResourceName, ETag: p.ETag}
	if fields["metadata"] {
		out.Metadata = p.Metadata
	}
	if fields["names"] {
		out.Names = p.Names
	}
	if fields["nicknames"] {
		out.Nicknames = p.Nicknames
	}
	if fields["emailAddresses"] {
		out.EmailAddresses = p.EmailAddresses
	}
	if fields["phoneNumbers"] {
		out.PhoneNumbers = p.PhoneNumbers
	}
	if fields["addresses"] {
		out.Addresses = p.Addresses
	}
	if fields["organizations"] {
		out.Organizations = p.Organizations
	}
	if fields["birthdays"] {
		out.Birthdays = p.Birthdays
	}
	if fields["biographies"] {
		out.Biographies = p.Biographies
	}
	if fields["urls"] {
		out.URLs = p.URLs
	}
	if fields["relations"] {
		out.Relations = p.Relations
	}
	if fields["memberships"] {
		out.Memberships = p.Memberships
	}
	return out
}

// applyPersonFields replaces the fields named in fields of dst with
// those of src (updateContact: "All updated fields will be replaced").
func applyPersonFields(dst *Person, src Person, fields map[string]bool) {
	if fields["names"] {
		dst.Names = src.Names
	}
	if fields["nicknames"] {
		dst.Nicknames = src.Nicknames
	}
	if fields["emailAddresses"] {
		dst.EmailAddresses = src.EmailAddresses
	}
	if fields["phoneNumbers"] {
		dst.PhoneNumbers = src.PhoneNumbers
	}
	if fields["addresses"] {
		dst.Addresses = src.Addresses
	}
	if fields["organizations"] {
		dst.Organizations = src.Organizations
	}
	if fields["birthdays"] {
		dst.Birthdays = src.Birthdays
	}
	if fields["biographies"] {
		dst.Biographies = src.Biographies
	}
	if fields["urls"] {
		dst.URLs = src.URLs
	}
	if fields["relations"] {
		dst.Relations = src.Relations
	}
	if fields["memberships"] {
		dst.Memberships = src.Memberships
	}
}

// personFieldSet is the mask of every person field.
func personFieldSet(paths []string) map[string]bool {
	m := make(map[string]bool, len(paths))
	for _, p := range paths {
		m[p] = true
	}
	return m
}

// peopleTime formats a timestamp as the People API does (RFC 3339 UTC,
// milliseconds).
func peopleTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeStatusError writes Google's JSON error with an explicit
// google.rpc status (WriteError derives it from the HTTP code) and
// google.rpc details.
func writeStatusError(w http.ResponseWriter, code int, status, reason, message string, details ...map[string]any) {
	e := map[string]any{
		"code":    code,
		"message": message,
		"errors":  []APIError{{Domain: "global", Reason: reason, Message: message}},
		"status":  status,
	}
	if len(details) > 0 {
		e["details"] = details
	}
	writeJSON(w, code, map[string]any{"error": e})
}

func peopleBadRequest(w http.ResponseWriter, msg string) {
	writeStatusError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "badRequest", msg)
}

func peopleFailedPrecondition(w http.ResponseWriter, msg string, details ...map[string]any) {
	writeStatusError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "failedPrecondition", msg, details...)
}

// authorize checks the token, which must act as a user: a service
// account acting as itself has no contacts.
func (ps *peopleService) authorize(w http.ResponseWriter, r *http.Request, scopes []string) (Principal, bool) {
	p, ok := ps.s.Authorize(w, r, scopes...)
	if !ok {
		return p, false
	}
	if p.User == nil {
		peopleFailedPrecondition(w, "Precondition check failed.")
		return p, false
	}
	return p, true
}

// personFieldMask reads a person field mask ("names,emailAddresses"). An empty
// one is every field, or a 400 when required.
func personFieldMask(w http.ResponseWriter, r *http.Request, param string, required bool, valid []string) (map[string]bool, bool) {
	v := r.URL.Query().Get(param)
	if strings.TrimSpace(v) == "" {
		if required {
			peopleBadRequest(w, param+" mask is required. Please specify one or more valid paths. "+
				"Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.")
			return nil, false
		}
		return personFieldSet(valid), true
	}
	m := make(map[string]bool)
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimPrefix(strings.TrimSpace(f), "person.")
		if !slices.Contains(valid, f) {
			peopleBadRequest(w, fmt.Sprintf("Invalid %s mask path: %q. Valid paths are documented at "+
				"https://developers.google.com/people/api/rest/v1/people/get.", param, f))
			return nil, false
		}
		m[f] = true
	}
	return m, true
}

// decodePerson reads a Person request body; unknown fields (person fields
// the fake does not keep) are ignored.
func decodePerson(w http.ResponseWriter, r *http.Request) (Person, bool) {
	var p Person
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&p); err != nil {
		peopleBadRequest(w, "Invalid JSON payload received.")
		return p, false
	}
	return p, true
}

// peopleSyncToken is the content of a People sync token.
type peopleSyncToken struct {
	subject string
	gen     int
	seq     uint64
	issued  time.Time
}

func (t peopleSyncToken) String() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "ps1:%s:%d:%d:%d", t.subject, t.gen, t.seq, t.issued.Unix()))
}

func parseSyncToken(s string) (peopleSyncToken, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(b), ":")
	if err != nil || len(parts) != 5 || parts[0] != "ps1" {
		return peopleSyncToken{}, false
	}
	gen, err1 := strconv.Atoi(parts[2])
	seq, err2 := strconv.ParseUint(parts[3], 10, 64)
	issued, err3 := strconv.ParseInt(parts[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return peopleSyncToken{}, false
	}
	return peopleSyncToken{subject: parts[1], gen: gen, seq: seq, issued: time.Unix(issued, 0)}, true
}

// connectionsPage is the content of a connections.list page token: where
// the page starts, the sequence the listing was taken at, and a digest of
// the parameters, which must match the first call's.
type connectionsPage struct {
	offset int
	asOf   uint64
	params string
}

func (p connectionsPage) String() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "pc1:%d:%d:%s", p.offset, p.asOf, p.params))
}

func parseConnectionsPage(s string) (connectionsPage, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(b), ":")
	if err != nil || len(parts) != 4 || parts[0] != "pc1" {
		return connectionsPage{}, false
	}
	off, err1 := strconv.Atoi(parts[1])
	asOf, err2 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil || off < 0 {
		return connectionsPage{}, false
	}
	return connectionsPage{offset: off, asOf: asOf, params: parts[3]}, true
}

// ServeHTTP is people.connections.list.
func (ps *peopleService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := ps.authorize(w, r, contactsReadScopes)
	if !ok {
		return
	}
	subject := p.User.Subject
	q := r.URL.Query()
	if id := r.PathValue("id"); id != "me" {
		peopleBadRequest(w, "Resource name \"people/"+id+"\" is not valid: only people/me is.")
		return
	}
	fields, ok := personFieldMask(w, r, "personFields", true, personFieldPaths)
	if !ok {
		return
	}
	size := peopleDefaultPageSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > peopleMaxPageSize {
			peopleBadRequest(w, "Invalid pageSize: "+v+". Valid values are between 1 and 1000, inclusive.")
			return
		}
		if n > 0 {
			size = n
		}
	}
	order := q.Get("sortOrder")
	if order == "" {
		order = connectionSortOrders[0]
	}
	if !slices.Contains(connectionSortOrders, order) {
		peopleBadRequest(w, fmt.Sprintf("Invalid value at 'sort_order' (type.googleapis.com/google.people.v1.ListConnectionsRequest.SortOrder), %q", order))
		return
	}
	requestSync := false
	if v := q.Get("requestSyncToken"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			peopleBadRequest(w, fmt.Sprintf("Invalid value at 'request_sync_token' (TYPE_BOOL), %q", v))
			return
		}
		requestSync = b
	}
	rawSync := q.Get("syncToken")
	digest := sha256.Sum256([]byte(strings.Join([]string{q.Get("personFields"), order, rawSync, strconv.FormatBool(requestSync)}, "\x00")))
	params := base64.RawURLEncoding.EncodeToString(digest[:9])

	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	b := ps.bookLocked(subject)
	now := ps.s.opts.Now()
	var since uint64
	if rawSync != "" {
		st, ok := parseSyncToken(rawSync)
		if !ok || st.subject != subject {
			peopleBadRequest(w, "Request contains an invalid argument.")
			return
		}
		if st.gen != b.gen || now.Sub(st.issued) > peopleSyncTokenTTL {
			peopleFailedPrecondition(w, "Sync token is expired. Clear local cache and retry call without the sync token.",
				map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "EXPIRED_SYNC_TOKEN", "domain": "people.googleapis.com"})
			return
		}
		since = st.seq
	}
	page := connectionsPage{asOf: b.seq, params: params}
	if v := q.Get("pageToken"); v != "" {
		pt, ok := parseConnectionsPage(v)
		if !ok || pt.params != params || pt.asOf > b.seq {
			peopleBadRequest(w, "Request contains an invalid argument.")
			return
		}
		page = pt
	}
	var hits []*contact
	for _, c := range b.contacts {
		switch {
		case rawSync != "":
			if c.seq > since && c.seq <= page.asOf {
				hits = append(hits, c)
			}
		case !c.deleted:
			hits = append(hits, c)
		}
	}
	sortContacts(hits, order)
	out := map[string]any{"totalPeople": len(hits), "totalItems": len(hits)}
	start := min(page.offset, len(hits))
	end := min(start+size, len(hits))
	var conns []Person
	for _, c := range hits[start:end] {
		conns = append(conns, c.view(fields))
	}
	if conns != nil {
		out["connections"] = conns
	}
	if end < len(hits) {
		out["nextPageToken"] = connectionsPage{offset: end, asOf: page.asOf, params: params}.String()
	} else if rawSync != "" || requestSync {
		out["nextSyncToken"] = peopleSyncToken{subject: subject, gen: b.gen, seq: page.asOf, issued: now}.String()
	}
	writeJSON(w, http.StatusOK, out)
}

// sortContacts orders contacts as sortOrder says; ties (and contacts
// without the name part) by last change.
func sortContacts(cs []*contact, order string) {
	nameKey := func(c *contact, family bool) string {
		if len(c.p.Names) == 0 {
			return ""
		}
		n := c.p.Names[0]
		k := n.GivenName
		if family {
			k = n.FamilyName
		}
		if k == "" {
			k = n.DisplayName
		}
		return strings.ToLower(k)
	}
	slices.SortStableFunc(cs, func(a, b *contact) int {
		switch order {
		case "LAST_MODIFIED_DESCENDING":
			return -compareUint(a.seq, b.seq)
		case "FIRST_NAME_ASCENDING", "LAST_NAME_ASCENDING":
			family := order == "LAST_NAME_ASCENDING"
			ka, kb := nameKey(a, family), nameKey(b, family)
			if (ka == "") != (kb == "") { // without a name: last
				if ka == "" {
					return 1
				}
				return -1
			}
			if c := strings.Compare(ka, kb); c != 0 {
				return c
			}
		}
		return compareUint(a.seq, b.seq)
	})
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// handlePerson serves /v1/people/{id}: people.get, and the custom
// methods :updateContact and :deleteContact.
func (ps *peopleService) handlePerson(w http.ResponseWriter, r *http.Request) {
	name, verb, _ := strings.Cut(r.PathValue("id"), ":")
	switch {
	case verb == "" && r.Method == http.MethodGet:
		ps.handleGet(w, r, name)
	case verb == "updateContact" && r.Method == http.MethodPatch:
		ps.handleUpdate(w, r, name)
	case verb == "deleteContact" && r.Method == http.MethodDelete:
		ps.handleDelete(w, r, name)
	default:
		notFound(w)
	}
}

// profileLocked is the signed-in user's own person (people/me).
func (ps *peopleService) profileLocked(subject string) Person {
	u := ps.s.userLocked(subject)
	if u == nil {
		u = &User{Subject: subject}
	}
	sum := sha256.Sum256([]byte("profile/" + u.Subject + "/" + u.Email + "/" + u.Name))
	p := Person{ResourceName: "people/" + u.Subject, ETag: "%" + base64.StdEncoding.EncodeToString(sum[:18]),
		Metadata: &PersonMetadata{ObjectType: "PERSON", Sources: []PersonSource{{Type: "PROFILE", ID: u.Subject,
			ETag: "#" + base64.StdEncoding.EncodeToString(sum[18:27])}}}}
	src := &PersonSource{Type: "PROFILE", ID: u.Subject}
	if u.Name != "" {
		n := PersonName{UnstructuredName: u.Name, Metadata: &FieldMetadata{Primary: true, SourcePrimary: true, Source: src}}
		deriveName(&n)
		p.Names = []PersonName{n}
	}
	if u.Email != "" {
		p.EmailAddresses = []EmailAddress{{Value: u.Email, Metadata: &FieldMetadata{Primary: true, SourcePrimary: true,
			Verified: !u.EmailUnverified, Source: &PersonSource{Type: "ACCOUNT", ID: u.Subject}}}}
	}
	return p
}

// lookupLocked resolves a resource name to a served person: people/me,
// or a contact (not deleted). status is 400 for a malformed name, 404 for
// an unknown one.
func (ps *peopleService) lookupLocked(subject, resourceName string, fields map[string]bool) (Person, int) {
	name, ok := strings.CutPrefix(resourceName, "people/")
	if !ok {
		return Person{}, http.StatusBadRequest
	}
	if name == "me" {
		return maskPerson(ps.profileLocked(subject), fields), http.StatusOK
	}
	id, ok := contactID(name)
	if !ok {
		if strings.TrimLeft(name, "0123456789") == "" && name != "" {
			return Person{}, http.StatusNotFound // an account id: no profile here
		}
		return Person{}, http.StatusBadRequest
	}
	c := ps.bookLocked(subject).byID[id]
	if c == nil || c.deleted {
		return Person{}, http.StatusNotFound
	}
	return c.view(fields), http.StatusOK
}

// handleGet is people.get.
func (ps *peopleService) handleGet(w http.ResponseWriter, r *http.Request, name string) {
	scopes := contactsReadScopes
	if name == "me" {
		scopes = profileReadScopes
	}
	pr, ok := ps.authorize(w, r, scopes)
	if !ok {
		return
	}
	subject := pr.User.Subject
	fields, ok := personFieldMask(w, r, "personFields", true, personFieldPaths)
	if !ok {
		return
	}
	ps.s.mu.Lock()
	p, status := ps.lookupLocked(subject, "people/"+name, fields)
	ps.s.mu.Unlock()
	switch status {
	case http.StatusOK:
		writeJSON(w, http.StatusOK, p)
	case http.StatusNotFound:
		notFound(w)
	default:
		peopleBadRequest(w, "Resource name \"people/"+name+"\" is not a valid person resource name.")
	}
}

// handleBatchGet is people.getBatchGet.
func (ps *peopleService) handleBatchGet(w http.ResponseWriter, r *http.Request) {
	p, ok := ps.authorize(w, r, profileReadScopes)
	if !ok {
		return
	}
	subject := p.User.Subject
	fields, ok := personFieldMask(w, r, "personFields", true, personFieldPaths)
	if !ok {
		return
	}
	names := r.URL.Query()["resourceNames"]
	if len(names) == 0 || len(names) > peopleMaxBatchGet {
		peopleBadRequest(w, "resourceNames must contain between 1 and 200 resource names.")
		return
	}
	contactsOK := slices.ContainsFunc(contactsReadScopes, func(sc string) bool { return slices.Contains(p.Scopes, sc) })
	var responses []map[string]any
	ps.s.mu.Lock()
	for _, n := range names {
		resp := map[string]any{"requestedResourceName": n}
		person, status := ps.lookupLocked(subject, n, fields)
		if status == http.StatusOK && n != "people/me" && !contactsOK {
			status = http.StatusForbidden
		}
		resp["httpStatusCode"] = status
		switch status {
		case http.StatusOK:
			resp["person"] = person
			resp["status"] = map[string]any{}
		case http.StatusNotFound:
			resp["status"] = map[string]any{"code": 5, "message": "Requested entity was not found."}
		case http.StatusForbidden:
			resp["status"] = map[string]any{"code": 7, "message": "Request had insufficient authentication scopes."}
		default:
			resp["status"] = map[string]any{"code": 3, "message": "Resource name \"" + n + "\" is not a valid person resource name."}
		}
		responses = append(responses, resp)
	}
	ps.s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"responses": responses})
}

// handleCreate is people.createContact.
func (ps *peopleService) handleCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := ps.authorize(w, r, contactsWriteScopes)
	if !ok {
		return
	}
	subject := p.User.Subject
	fields, ok := personFieldMask(w, r, "personFields", false, personFieldPaths)
	if !ok {
		return
	}
	body, ok := decodePerson(w, r)
	if !ok {
		return
	}
	ps.s.mu.Lock()
	c, err := ps.createLocked(ps.bookLocked(subject), subject, body, "")
	var out Person
	if err == nil {
		out = c.view(fields)
	}
	ps.s.mu.Unlock()
	if err != nil {
		peopleBadRequest(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleUpdate is people.updateContact.
func (ps *peopleService) handleUpdate(w http.ResponseWriter, r *http.Request, name string) {
	p, ok := ps.authorize(w, r, contactsWriteScopes)
	if !ok {
		return
	}
	subject := p.User.Subject
	update, ok := personFieldMask(w, r, "updatePersonFields", true, updatePersonFieldPaths)
	if !ok {
		return
	}
	fields, ok := personFieldMask(w, r, "personFields", false, personFieldPaths)
	if !ok {
		return
	}
	body, ok := decodePerson(w, r)
	if !ok {
		return
	}
	id, ok := contactID(name)
	if !ok {
		peopleBadRequest(w, "Resource name \"people/"+name+"\" is not a valid contact person resource name.")
		return
	}
	if update["memberships"] && !slices.ContainsFunc(body.Memberships, func(m Membership) bool { return m.ContactGroupMembership != nil }) {
		peopleBadRequest(w, "memberships are being updated but no contact group membership is specified.")
		return
	}
	var srcETag string
	if body.Metadata != nil {
		for _, src := range body.Metadata.Sources {
			if src.Type == "CONTACT" && src.ETag != "" {
				srcETag = src.ETag
			}
		}
	}

	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	b := ps.bookLocked(subject)
	c := b.byID[id]
	if c == nil || c.deleted {
		notFound(w)
		return
	}
	switch {
	case srcETag != "" && srcETag != c.sourceETag():
		peopleFailedPrecondition(w, "Request person.metadata.sources.etag is different than the current person.metadata.sources.etag. Clear local cache and get the latest person.")
		return
	case srcETag == "" && body.ETag == "":
		peopleBadRequest(w, "Request must set person.etag or person.metadata.sources.etag for the source that is being updated.")
		return
	case srcETag == "" && body.ETag != c.p.ETag:
		peopleFailedPrecondition(w, "Request person.etag is different than the current person.etag. Clear local cache and get the latest person.")
		return
	}
	np := clonePerson(c.p)
	applyPersonFields(&np, clonePerson(body), update)
	if err := normalizePerson(&np, PersonSource{Type: "CONTACT", ID: c.sourceID()}); err != nil {
		peopleBadRequest(w, err.Error())
		return
	}
	ps.stampLocked(b, c, np)
	writeJSON(w, http.StatusOK, c.view(fields))
}

// handleDelete is people.deleteContact: 200 with an empty object.
func (ps *peopleService) handleDelete(w http.ResponseWriter, r *http.Request, name string) {
	p, ok := ps.authorize(w, r, contactsWriteScopes)
	if !ok {
		return
	}
	subject := p.User.Subject
	id, ok := contactID(name)
	if !ok {
		peopleBadRequest(w, "Resource name \"people/"+name+"\" is not a valid contact person resource name.")
		return
	}
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	b := ps.bookLocked(subject)
	c := b.byID[id]
	if c == nil || c.deleted {
		notFound(w)
		return
	}
	ps.deleteLocked(b, c)
	writeJSON(w, http.StatusOK, map[string]any{})
}

// lockedBook locks s.mu and returns the People state and the book of the
// user with this email or subject; the caller unlocks unless err is set.
func (s *Server) lockedBook(fn, emailOrSubject string) (*peopleService, *contactBook, string, error) {
	ps, err := s.people()
	if err != nil {
		return nil, nil, "", err
	}
	s.mu.Lock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		s.mu.Unlock()
		return nil, nil, "", fmt.Errorf("googletest: %s(%q): no such user", fn, emailOrSubject)
	}
	return ps, ps.bookLocked(u.Subject), u.Subject, nil
}

// SeedContact adds a contact to the user with this email or subject, as
// createContact would, and returns it as stored (every field). An empty
// ResourceName gets a new one; otherwise it must be "people/c" followed
// by digits and unused. Names, birthdays and biographies take one value
// at most.
func (s *Server) SeedContact(emailOrSubject string, p Person) (Person, error) {
	ps, b, subject, err := s.lockedBook("SeedContact", emailOrSubject)
	if err != nil {
		return Person{}, err
	}
	defer s.mu.Unlock()
	c, err := ps.createLocked(b, subject, p, p.ResourceName)
	if err != nil {
		return Person{}, fmt.Errorf("googletest: SeedContact: %w", err)
	}
	return clonePerson(c.p), nil
}

// UpdateContact replaces the data of the contact p.ResourceName names,
// as another client would: the etag changes and the next sync reports
// the contact. It returns the contact as stored.
func (s *Server) UpdateContact(emailOrSubject string, p Person) (Person, error) {
	ps, b, _, err := s.lockedBook("UpdateContact", emailOrSubject)
	if err != nil {
		return Person{}, err
	}
	defer s.mu.Unlock()
	id, _ := contactID(strings.TrimPrefix(p.ResourceName, "people/"))
	c := b.byID[id]
	if c == nil || c.deleted {
		return Person{}, fmt.Errorf("googletest: UpdateContact: no contact %q", p.ResourceName)
	}
	p = clonePerson(p)
	if err := normalizePerson(&p, PersonSource{Type: "CONTACT", ID: c.sourceID()}); err != nil {
		return Person{}, fmt.Errorf("googletest: UpdateContact: %w", err)
	}
	ps.stampLocked(b, c, p)
	return clonePerson(c.p), nil
}

// DeleteContact deletes a contact as another client would; the next
// sync reports it with metadata.deleted.
func (s *Server) DeleteContact(emailOrSubject, resourceName string) error {
	ps, b, _, err := s.lockedBook("DeleteContact", emailOrSubject)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	id, _ := contactID(strings.TrimPrefix(resourceName, "people/"))
	c := b.byID[id]
	if c == nil || c.deleted {
		return fmt.Errorf("googletest: DeleteContact: no contact %q", resourceName)
	}
	ps.deleteLocked(b, c)
	return nil
}

// Contacts returns the user's contacts as stored (every field), in the
// order they were created, without deleted ones.
func (s *Server) Contacts(emailOrSubject string) []Person {
	_, b, _, err := s.lockedBook("Contacts", emailOrSubject)
	if err != nil {
		return nil
	}
	defer s.mu.Unlock()
	var out []Person
	for _, c := range b.contacts {
		if !c.deleted {
			out = append(out, clonePerson(c.p))
		}
	}
	return out
}

// ExpirePeopleSyncTokens expires every connections.list sync token issued
// to the user so far: a sync with one answers 400 FAILED_PRECONDITION
// with reason EXPIRED_SYNC_TOKEN, as when Google's 7 days have passed.
func (s *Server) ExpirePeopleSyncTokens(emailOrSubject string) {
	_, b, _, err := s.lockedBook("ExpirePeopleSyncTokens", emailOrSubject)
	if err != nil {
		return
	}
	defer s.mu.Unlock()
	b.gen++
}
