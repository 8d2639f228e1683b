package google

// The People API mapping of the unified Contacts API (contacts.Provider),
// for doc.go.
//
// Requests go to Endpoints.PeopleBaseURL (people.googleapis.com) with
// plain net/http, authorized by the account's Client only. Contact ids are
// the part of the resource name after "people/" ("c" and digits); an id of
// another shape is ErrNotFound without a request.
//
// Reading: people.connections.list (personFields = every field mapped,
// pageSize = limit, capped at 1000, kept for the following pages, since
// Google wants every page to repeat the first call's parameters) and
// people.get. A person maps as
// names[0] → name (honorificPrefix/Suffix → prefix/suffix,
// phoneticGivenName/FamilyName → yomi names), nicknames[0] → nickName,
// emailAddresses in Google's order (displayName → name; type home, work or
// other, a custom type as other, none when Google has none), phoneNumbers
// ordered mobile, work, home, then the rest in Google's order (types kept
// when the unified model knows them, googleVoice, custom and untyped as
// other; canonicalForm is left out, as Graph has none), addresses ordered
// work, home, other (streetAddress and extendedAddress on two lines →
// street, region → state, country or else countryCode → country, custom and
// untyped as other), the primary (else first) organization → company
// (title → jobTitle, location → officeLocation), birthdays[0].date →
// "YYYY-MM-DD" or "--MM-DD", biographies[0] → notes (TEXT_HTML as text),
// urls, relations of type manager, assistant and spouse. etag is the
// person's etag; lastModifiedTime the CONTACT source's updateTime; Google
// has no creation time.
//
// Writing: people.createContact, and people.updateContact with
// updatePersonFields = the fields the change sets (a non-nil field
// replaces Google's whole field; an empty value clears it; a name with
// only displayName is written as unstructuredName). The update's etag is
// ifMatch when given, else the current etag read first; Google's 400
// FAILED_PRECONDITION on an etag mismatch is ErrPrecondition (without
// ifMatch, a change racing the read is retried twice with a fresh etag).
// people.deleteContact has no etag: with ifMatch the contact is read first
// and a different etag is ErrPrecondition (a change between that read and
// the delete is not detected).
//
// Sync: the first round is connections.list with requestSyncToken=true,
// page by page; its last page's nextSyncToken is the next round's
// syncToken. A sync round lists the contacts changed since, persons with
// metadata.deleted as Deleted. Google requires every page of a round to
// repeat the first call's parameters, so the cursor keeps the round's page
// size (later limits are ignored until the round ends). An expired token
// (400 FAILED_PRECONDITION with reason EXPIRED_SYNC_TOKEN, seven days after
// the full sync, or 410) is ErrCursorExpired. Google documents a
// propagation delay of several minutes for sync requests: a change may
// show up one round late, never lost.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// peoplePersonFields are the person fields the mapping reads.
const peoplePersonFields = "names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,birthdays,biographies,urls,relations,metadata"

// peopleMaxPageSize is connections.list's largest pageSize.
const peopleMaxPageSize = 1000

// peopleUpdateAttempts is how often an update without ifMatch is tried
// when the contact changes between reading its etag and writing.
const peopleUpdateAttempts = 3

var _ contacts.Provider = (*Connector)(nil)

// --- People API resources (the fields the mapping uses) ---

type peoplePerson struct {
	ResourceName   string            `json:"resourceName,omitempty"`
	ETag           string            `json:"etag,omitempty"`
	Metadata       *peopleMetadata   `json:"metadata,omitempty"`
	Names          []peopleName      `json:"names,omitempty"`
	Nicknames      []peopleValue     `json:"nicknames,omitempty"`
	EmailAddresses []peopleEmail     `json:"emailAddresses,omitempty"`
	PhoneNumbers   []peoplePhone     `json:"phoneNumbers,omitempty"`
	Addresses      []peopleAddress   `json:"addresses,omitempty"`
	Organizations  []peopleOrg       `json:"organizations,omitempty"`
	Birthdays      []peopleBirthday  `json:"birthdays,omitempty"`
	Biographies    []peopleBiography `json:"biographies,omitempty"`
	URLs           []peopleValue     `json:"urls,omitempty"`
	Relations      []peopleRelation  `json:"relations,omitempty"`
}

type peopleMetadata struct {
	Sources []peopleSource `json:"sources,omitempty"`
	Deleted bool           `json:"deleted,omitempty"`
}

type peopleSource struct {
	Type       string `json:"type,omitempty"`
	ID         string `json:"id,omitempty"`
	ETag       string `json:"etag,omitempty"`
	UpdateTime string `json:"updateTime,omitempty"`
}

type peopleFieldMetadata struct {
	Primary bool `json:"primary,omitempty"`
}

type peopleName struct {
	Metadata           *peopleFieldMetadata `json:"metadata,omitempty"`
	DisplayName        string               `json:"displayName,omitempty"`
	UnstructuredName   string               `json:"unstructuredName,omitempty"`
	FamilyName         string               `json:"familyName,omitempty"`
	GivenName          string               `json:"givenName,omitempty"`
	MiddleName         string               `json:"middleName,omitempty"`
	HonorificPrefix    string               `json:"honorificPrefix,omitempty"`
	HonorificSuffix    string               `json:"honorificSuffix,omitempty"`
	PhoneticFamilyName string               `json:"phoneticFamilyName,omitempty"`
	PhoneticGivenName  string               `json:"phoneticGivenName,omitempty"`
}

// peopleValue is a nickname or a URL.
type peopleValue struct {
	Metadata *peopleFieldMetadata `json:"metadata,omitempty"`
	Value    string               `json:"value,omitempty"`
	Type     string               `json:"type,omitempty"`
}

type peopleEmail struct {
	Metadata    *peopleFieldMetadata `json:"metadata,omitempty"`
	Value       string               `json:"value,omitempty"`
	Type        string               `json:"type,omitempty"`
	DisplayName string               `json:"displayName,omitempty"`
}

type peoplePhone struct {
	Metadata *peopleFieldMetadata `json:"metadata,omitempty"`
	Value    string               `json:"value,omitempty"`
	Type     string               `json:"type,omitempty"`
}

type peopleAddress struct {
	Metadata        *peopleFieldMetadata `json:"metadata,omitempty"`
	Type            string               `json:"type,omitempty"`
	PoBox           string               `json:"poBox,omitempty"`
	StreetAddress   string               `json:"streetAddress,omitempty"`
	ExtendedAddress string               `json:"extendedAddress,omitempty"`
	City            string               `json:"city,omitempty"`
	Region          string               `json:"region,omitempty"`
	PostalCode      string               `json:"postalCode,omitempty"`
	Country         string               `json:"country,omitempty"`
	CountryCode     string               `json:"countryCode,omitempty"`
}

type peopleOrg struct {
	Metadata   *peopleFieldMetadata `json:"metadata,omitempty"`
	Name       string               `json:"name,omitempty"`
	Title      string               `json:"title,omitempty"`
	Department string               `json:"department,omitempty"`
	Location   string               `json:"location,omitempty"`
}

type peopleBirthday struct {
	Metadata *peopleFieldMetadata `json:"metadata,omitempty"`
	Date     *peopleDate          `json:"date,omitempty"`
	Text     string               `json:"text,omitempty"`
}

type peopleDate struct {
	Year  int `json:"year,omitempty"`
	Month int `json:"month,omitempty"`
	Day   int `json:"day,omitempty"`
}

type peopleBiography struct {
	Metadata    *peopleFieldMetadata `json:"metadata,omitempty"`
	Value       string               `json:"value,omitempty"`
	ContentType string               `json:"contentType,omitempty"`
}

type peopleRelation struct {
	Person string `json:"person,omitempty"`
	Type   string `json:"type,omitempty"`
}

type peopleConnections struct {
	Connections   []peoplePerson `json:"connections"`
	NextPageToken string         `json:"nextPageToken"`
	NextSyncToken string         `json:"nextSyncToken"`
}

// --- mapping ---

// peoplePhoneTypes are the Google phone types the unified model has under
// the same name; Google's custom types that are unified names are kept too.
var peoplePhoneTypes = []string{"mobile", "work", "home", "other", "workMobile", "main", "homeFax", "workFax",
	"otherFax", "pager", "workPager", "companyMain", "assistant", "callback", "radio", "telex", "tty"}

// phoneRank orders phone numbers: mobile, work, home, then the rest.
func phoneRank(t string) int {
	switch t {
	case contacts.PhoneMobile:
		return 0
	case contacts.PhoneWork:
		return 1
	case contacts.PhoneHome:
		return 2
	}
	return 3
}

// addressRank orders addresses: work, home, other.
func addressRank(t string) int {
	switch t {
	case "work":
		return 0
	case "home":
		return 1
	}
	return 2
}

// primaryIndex is the index of the value marked primary, else 0.
func primaryIndex[T any](vs []T, meta func(T) *peopleFieldMetadata) int {
	for i, v := range vs {
		if m := meta(v); m != nil && m.Primary {
			return i
		}
	}
	return 0
}

// toContact maps a person (not deleted) to the unified contact.
func toContact(p peoplePerson) contacts.Contact {
	out := contacts.Contact{ID: strings.TrimPrefix(p.ResourceName, "people/"), ETag: p.ETag}
	if p.Metadata != nil {
		for _, s := range p.Metadata.Sources {
			if s.Type != "CONTACT" || s.UpdateTime == "" {
				continue
			}
			if t, err := time.Parse(time.RFC3339Nano, s.UpdateTime); err == nil {
				out.LastModifiedTime = &t
			}
		}
	}
	if len(p.Names) > 0 {
		n := p.Names[primaryIndex(p.Names, func(n peopleName) *peopleFieldMetadata { return n.Metadata })]
		out.Name = contacts.Name{DisplayName: n.DisplayName, Prefix: n.HonorificPrefix, GivenName: n.GivenName,
			MiddleName: n.MiddleName, FamilyName: n.FamilyName, Suffix: n.HonorificSuffix,
			YomiGivenName: n.PhoneticGivenName, YomiFamilyName: n.PhoneticFamilyName}
		if out.Name.DisplayName == "" {
			out.Name.DisplayName = n.UnstructuredName
		}
	}
	if len(p.Nicknames) > 0 {
		out.NickName = p.Nicknames[0].Value
	}
	for _, e := range p.EmailAddresses {
		if e.Value == "" {
			continue
		}
		typ := e.Type
		switch typ {
		case "", "home", "work", "other":
		default:
			typ = "other"
		}
		out.EmailAddresses = append(out.EmailAddresses, contacts.EmailAddress{Address: e.Value, Name: e.DisplayName, Type: typ})
	}
	for _, ph := range p.PhoneNumbers {
		if ph.Value == "" {
			continue
		}
		typ := ph.Type
		if !slices.Contains(peoplePhoneTypes, typ) {
			typ = contacts.PhoneOther
		}
		out.PhoneNumbers = append(out.PhoneNumbers, contacts.PhoneNumber{Number: ph.Value, Type: typ})
	}
	slices.SortStableFunc(out.PhoneNumbers, func(a, b contacts.PhoneNumber) int { return cmp.Compare(phoneRank(a.Type), phoneRank(b.Type)) })
	for _, a := range p.Addresses {
		typ := a.Type
		if typ != "work" && typ != "home" {
			typ = "other"
		}
		street := a.StreetAddress
		if a.ExtendedAddress != "" {
			street = strings.TrimPrefix(street+"\n"+a.ExtendedAddress, "\n")
		}
		country := a.Country
		if country == "" {
			country = a.CountryCode
		}
		pa := contacts.PostalAddress{Street: street, POBox: a.PoBox, City: a.City, State: a.Region, PostalCode: a.PostalCode,
			Country: country, Type: typ}
		if pa == (contacts.PostalAddress{Type: typ}) {
			continue
		}
		out.Addresses = append(out.Addresses, pa)
	}
	slices.SortStableFunc(out.Addresses, func(a, b contacts.PostalAddress) int { return cmp.Compare(addressRank(a.Type), addressRank(b.Type)) })
	if len(p.Organizations) > 0 {
		o := p.Organizations[primaryIndex(p.Organizations, func(o peopleOrg) *peopleFieldMetadata { return o.Metadata })]
		co := contacts.Company{Name: o.Name, Department: o.Department, JobTitle: o.Title, OfficeLocation: o.Location}
		if co != (contacts.Company{}) {
			out.Company = &co
		}
	}
	if len(p.Birthdays) > 0 {
		out.Birthday = birthdayString(p.Birthdays[primaryIndex(p.Birthdays, func(b peopleBirthday) *peopleFieldMetadata { return b.Metadata })])
	}
	if len(p.Biographies) > 0 {
		b := p.Biographies[0]
		out.Notes = b.Value
		if b.ContentType == "TEXT_HTML" {
			out.Notes = htmlToText(b.Value)
		}
	}
	for _, u := range p.URLs {
		if u.Value != "" {
			out.URLs = append(out.URLs, contacts.URL{Href: u.Value, Type: u.Type})
		}
	}
	for _, r := range p.Relations {
		switch r.Type {
		case "manager", "assistant", "spouse":
			if r.Person != "" {
				out.Relations = append(out.Relations, contacts.Relation{Name: r.Person, Type: r.Type})
			}
		}
	}
	out.Normalize()
	return out
}

// birthdayString is a birthday as "YYYY-MM-DD" or "--MM-DD"; "" when
// Google has no date of it.
func birthdayString(b peopleBirthday) string {
	if d := b.Date; d != nil && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= 31 {
		if d.Year > 0 {
			return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
		}
		return fmt.Sprintf("--%02d-%02d", d.Month, d.Day)
	}
	if _, err := time.Parse(time.DateOnly, b.Text); err == nil {
		return b.Text
	}
	return ""
}

// parseBirthday reads "YYYY-MM-DD" or "--MM-DD".
func parseBirthday(s string) (*peopleDate, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return &peopleDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}, true
	}
	if t, err := time.Parse("--01-02", s); err == nil {
		return &peopleDate{Month: int(t.Month()), Day: t.Day()}, true
	}
	return nil, false
}

// fromChange builds the person a change writes and the updatePersonFields
// it sets, in a fixed order.
func fromChange(ch contacts.Change) (peoplePerson, []string, error) {
	var p peoplePerson
	var fields []string
	// A field in the mask and empty in the body is cleared: "all updated
	// fields will be replaced".
	set := func(f string) { fields = append(fields, f) }
	if n := ch.Name; n != nil {
		set("names")
		gn := peopleName{GivenName: n.GivenName, MiddleName: n.MiddleName, FamilyName: n.FamilyName,
			HonorificPrefix: n.Prefix, HonorificSuffix: n.Suffix, PhoneticGivenName: n.YomiGivenName,
			PhoneticFamilyName: n.YomiFamilyName}
		if gn == (peopleName{}) {
			gn.UnstructuredName = n.DisplayName
		}
		if gn != (peopleName{}) {
			p.Names = []peopleName{gn}
		}
	}
	if ch.NickName != nil {
		set("nicknames")
		if *ch.NickName != "" {
			p.Nicknames = []peopleValue{{Value: *ch.NickName}}
		}
	}
	if l := ch.EmailAddresses; l != nil {
		set("emailAddresses")
		for _, e := range *l {
			p.EmailAddresses = append(p.EmailAddresses, peopleEmail{Value: e.Address, DisplayName: e.Name, Type: e.Type})
		}
	}
	if l := ch.PhoneNumbers; l != nil {
		set("phoneNumbers")
		for _, ph := range *l {
			p.PhoneNumbers = append(p.PhoneNumbers, peoplePhone{Value: ph.Number, Type: ph.Type})
		}
	}
	if l := ch.Addresses; l != nil {
		set("addresses")
		for _, a := range *l {
			p.Addresses = append(p.Addresses, peopleAddress{Type: a.Type, PoBox: a.POBox, StreetAddress: a.Street,
				City: a.City, Region: a.State, PostalCode: a.PostalCode, Country: a.Country})
		}
	}
	if co := ch.Company; co != nil {
		set("organizations")
		if *co != (contacts.Company{}) {
			p.Organizations = []peopleOrg{{Name: co.Name, Title: co.JobTitle, Department: co.Department, Location: co.OfficeLocation}}
		}
	}
	if ch.Birthday != nil {
		set("birthdays")
		if *ch.Birthday != "" {
			d, ok := parseBirthday(*ch.Birthday)
			if !ok {
				return p, nil, &provider.Error{Kind: provider.ErrInvalid, Message: "birthday must be YYYY-MM-DD or --MM-DD"}
			}
			p.Birthdays = []peopleBirthday{{Date: d}}
		}
	}
	if ch.Notes != nil {
		set("biographies")
		if *ch.Notes != "" {
			p.Biographies = []peopleBiography{{Value: *ch.Notes, ContentType: "TEXT_PLAIN"}}
		}
	}
	if l := ch.URLs; l != nil {
		set("urls")
		for _, u := range *l {
			p.URLs = append(p.URLs, peopleValue{Value: u.Href, Type: u.Type})
		}
	}
	return p, fields, nil
}

// contactPath is the escaped resource path of a contact id, or an
// ErrNotFound for an id that is not a contact's ("c" and digits).
func (c *Connector) contactPath(id string) (string, error) {
	digits, ok := strings.CutPrefix(id, "c")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", &provider.Error{Kind: provider.ErrNotFound, Message: "no such contact"}
	}
	return c.ep.PeopleBaseURL + "/v1/people/" + url.PathEscape(id), nil
}

// --- cursors ---

// contactsCursor is the cursor of a contact list page (Page) or of a sync
// round: the first (Full) or one from Sync, at page Page, with the round's
// page size.
type contactsCursor struct {
	Full bool   `json:"f,omitempty"`
	Sync string `json:"s,omitempty"`
	Page string `json:"p,omitempty"`
	Size int    `json:"n,omitempty"`
}

func decodeContactsCursor(s string) (contactsCursor, error) {
	var cur contactsCursor
	if err := decodeCursor(s, &cur); err != nil {
		return cur, pimCursorError(err)
	}
	if cur.Size < 0 || cur.Size > peopleMaxPageSize {
		return cur, pimCursorError(errors.New("page size out of range"))
	}
	return cur, nil
}

func peoplePageSize(limit int) int {
	if limit <= 0 {
		limit = contacts.DefaultLimit
	}
	return min(limit, peopleMaxPageSize)
}

// --- contacts.Provider ---

// connections is one people.connections.list call.
func (c *Connector) connections(ctx context.Context, acct contacts.Account, q url.Values) (peopleConnections, error) {
	q.Set("personFields", peoplePersonFields)
	var r peopleConnections
	err := c.restDo(ctx, acct, restCall{api: "people", op: "connections.list", method: http.MethodGet,
		url: c.ep.PeopleBaseURL + "/v1/people/me/connections", query: q}, &r)
	return r, err
}

// ListContacts implements contacts.Provider with people.connections.list
// (Google's default order, least recently changed first).
func (c *Connector) ListContacts(ctx context.Context, acct contacts.Account, page string, limit int) (contacts.Page, error) {
	cur := contactsCursor{Size: peoplePageSize(limit)}
	if page != "" {
		var err error
		if cur, err = decodeContactsCursor(page); err != nil {
			return contacts.Page{}, err
		}
		if cur.Page == "" || cur.Full || cur.Sync != "" {
			return contacts.Page{}, pimCursorError(errors.New("not a list cursor"))
		}
	}
	q := url.Values{"pageSize": {strconv.Itoa(cur.Size)}}
	if cur.Page != "" {
		q.Set("pageToken", cur.Page)
	}
	r, err := c.connections(ctx, acct, q)
	if err != nil {
		return contacts.Page{}, err
	}
	var out contacts.Page
	for _, p := range r.Connections {
		if p.Metadata == nil || !p.Metadata.Deleted {
			out.Contacts = append(out.Contacts, toContact(p))
		}
	}
	if r.NextPageToken != "" {
		out.NextPage = encodeCursor(contactsCursor{Page: r.NextPageToken, Size: cur.Size})
	}
	return out, nil
}

// getPerson is people.get with every mapped field.
func (c *Connector) getPerson(ctx context.Context, acct contacts.Account, path string) (peoplePerson, error) {
	var p peoplePerson
	err := c.restDo(ctx, acct, restCall{api: "people", op: "people.get", method: http.MethodGet, url: path,
		query: url.Values{"personFields": {peoplePersonFields}}}, &p)
	return p, err
}

// GetContact implements contacts.Provider with people.get.
func (c *Connector) GetContact(ctx context.Context, acct contacts.Account, id string) (contacts.Contact, error) {
	path, err := c.contactPath(id)
	if err != nil {
		return contacts.Contact{}, err
	}
	p, err := c.getPerson(ctx, acct, path)
	if err != nil {
		return contacts.Contact{}, err
	}
	return toContact(p), nil
}

// CreateContact implements contacts.Provider with people.createContact.
func (c *Connector) CreateContact(ctx context.Context, acct contacts.Account, ch contacts.Change) (contacts.Contact, error) {
	body, _, err := fromChange(ch)
	if err != nil {
		return contacts.Contact{}, err
	}
	var p peoplePerson
	err = c.restDo(ctx, acct, restCall{api: "people", op: "people.createContact", method: http.MethodPost,
		url: c.ep.PeopleBaseURL + "/v1/people:createContact", query: url.Values{"personFields": {peoplePersonFields}}, body: body}, &p)
	if err != nil {
		return contacts.Contact{}, err
	}
	return toContact(p), nil
}

// UpdateContact implements contacts.Provider with people.updateContact.
func (c *Connector) UpdateContact(ctx context.Context, acct contacts.Account, id string, ch contacts.Change, ifMatch string) (contacts.Contact, error) {
	path, err := c.contactPath(id)
	if err != nil {
		return contacts.Contact{}, err
	}
	body, fields, err := fromChange(ch)
	if err != nil {
		return contacts.Contact{}, err
	}
	if len(fields) == 0 {
		p, err := c.getPerson(ctx, acct, path)
		if err != nil {
			return contacts.Contact{}, err
		}
		if ifMatch != "" && p.ETag != ifMatch {
			return contacts.Contact{}, contactPrecondition()
		}
		return toContact(p), nil
	}
	q := url.Values{"updatePersonFields": {strings.Join(fields, ",")}, "personFields": {peoplePersonFields}}
	for attempt := 1; ; attempt++ {
		body.ETag = ifMatch
		if body.ETag == "" {
			cur, err := c.getPerson(ctx, acct, path)
			if err != nil {
				return contacts.Contact{}, err
			}
			body.ETag = cur.ETag
		}
		var p peoplePerson
		err := c.restDo(ctx, acct, restCall{api: "people", op: "people.updateContact", method: http.MethodPatch,
			url: path + ":updateContact", query: q, body: body}, &p)
		if err == nil {
			return toContact(p), nil
		}
		if ifMatch != "" || attempt >= peopleUpdateAttempts || !errors.Is(err, provider.ErrPrecondition) {
			return contacts.Contact{}, err
		}
	}
}

func contactPrecondition() error {
	return &provider.Error{Kind: provider.ErrPrecondition, Status: http.StatusPreconditionFailed,
		Message: "the contact changed since it was read"}
}

// DeleteContact implements contacts.Provider with people.deleteContact,
// reading the contact first to compare ifMatch with its etag.
func (c *Connector) DeleteContact(ctx context.Context, acct contacts.Account, id, ifMatch string) error {
	path, err := c.contactPath(id)
	if err != nil {
		return err
	}
	if ifMatch != "" {
		var p peoplePerson
		err := c.restDo(ctx, acct, restCall{api: "people", op: "people.get", method: http.MethodGet, url: path,
			query: url.Values{"personFields": {"metadata"}}}, &p)
		if err != nil {
			return err
		}
		if p.ETag != ifMatch {
			return contactPrecondition()
		}
	}
	return c.restDo(ctx, acct, restCall{api: "people", op: "people.deleteContact", method: http.MethodDelete,
		url: path + ":deleteContact"}, nil)
}

// ContactsDeltaStart implements contacts.Provider. It makes no request:
// the first round lists every contact and asks for the sync token.
func (c *Connector) ContactsDeltaStart(context.Context, contacts.Account) (string, error) {
	return encodeCursor(contactsCursor{Full: true}), nil
}

// ContactsDeltaChanges implements contacts.Provider (see the sync notes
// above).
func (c *Connector) ContactsDeltaChanges(ctx context.Context, acct contacts.Account, cursor string, limit int) (contacts.DeltaPage, error) {
	cur, err := decodeContactsCursor(cursor)
	if err != nil {
		return contacts.DeltaPage{}, err
	}
	if cur.Full == (cur.Sync != "") {
		return contacts.DeltaPage{}, pimCursorError(errors.New("not a sync cursor"))
	}
	if cur.Size == 0 {
		cur.Size = peoplePageSize(limit)
	}
	q := url.Values{"pageSize": {strconv.Itoa(cur.Size)}, "requestSyncToken": {"true"}}
	if cur.Sync != "" {
		q.Set("syncToken", cur.Sync)
	}
	if cur.Page != "" {
		q.Set("pageToken", cur.Page)
	}
	r, err := c.connections(ctx, acct, q)
	if err != nil {
		return contacts.DeltaPage{}, err
	}
	var out contacts.DeltaPage
	for _, p := range r.Connections {
		if p.Metadata != nil && p.Metadata.Deleted {
			out.Deleted = append(out.Deleted, contacts.DeletedContact{ID: strings.TrimPrefix(p.ResourceName, "people/")})
			continue
		}
		out.Updated = append(out.Updated, toContact(p))
	}
	switch {
	case r.NextPageToken != "":
		cur.Page = r.NextPageToken
		out.NextPage = encodeCursor(cur)
	case r.NextSyncToken != "":
		out.NextDelta = encodeCursor(contactsCursor{Sync: r.NextSyncToken})
	default:
		return contacts.DeltaPage{}, &provider.Error{Kind: provider.ErrUnavailable, Message: "people connections.list: Google sent no sync token",
			Err: errors.New("google: people connections.list: the last page has no nextSyncToken")}
	}
	return out, nil
}

// truncateString cuts s to at most n bytes.
func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
