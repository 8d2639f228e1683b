package office365

// Contacts and tasks over Microsoft Graph v1.0 (contacts.go, todo.go).
//
// Personal contacts (contacts.Provider) are the contacts of the user's
// default Contacts folder: GET /me/contacts ($select, $top, paging by
// @odata.nextLink), GET, POST, PATCH and DELETE /me/contacts/{id} (PATCH
// and DELETE send If-Match; 412 is provider.ErrPrecondition), and delta
// sync by GET /me/contacts/delta with $select and Prefer:
// odata.maxpagesize, following @odata.nextLink and @odata.deltaLink;
// items with @removed are deletions; 410 or SyncStateNotFound is
// provider.ErrCursorExpired. The mapping: name from displayName, title,
// givenName, middleName, surname, generation and the yomi names; company
// from companyName, department, jobTitle and officeLocation; relations from
// manager, assistantName and spouseName; keywords from categories; notes
// from personalNotes; urls from businessHomePage (type work); email
// addresses in Graph's order without a type (Graph has none); phones in
// the order mobilePhone, businessPhones, homePhones; addresses in the
// order businessAddress, homeAddress, otherAddress. birthday is the UTC
// date of Graph's timestamp (Exchange stores it at 11:59 UTC and its
// ActiveSync spec says to ignore the time); year 1604, Outlook's year of a
// birthday without a year, reads as "--MM-DD" and is written for one. A
// change Graph cannot store is provider.ErrUnsupported instead of being
// dropped: a phone type other than mobile, work or home, a second mobile
// number, two addresses of one type, a PO box, more than one URL. Email
// address types are dropped (Graph has none).
//
// Microsoft To Do (tasks.Provider, todo.go): GET /me/todo/lists (paging by
// @odata.nextLink; Owner is isOwner, Shared isShared, DefaultList
// wellknownListName defaultList, and the list id alias "default" resolves
// to that list by listing), POST, PATCH and DELETE /me/todo/lists/{id}
// (the built-in lists, wellknownListName other than none, cannot be
// renamed or deleted: provider.ErrConflict), GET /me/todo/lists/{id}/tasks
// ($top, paging), GET, POST, PATCH (If-Match) and DELETE (If-Match)
// /me/todo/lists/{id}/tasks/{taskId}, and delta sync by GET
// /me/todo/lists/{id}/tasks/delta with the same cursor rules as contacts.
// A todoTask maps to title, notes (body content; an HTML body is reduced
// to text), status, importance, due (the day of dueDateTime: the instant
// shifted by 13 hours, so that midnight of the due day in any zone from
// UTC-11 to UTC+13 reads as that day; written as {dateTime:
// "YYYY-MM-DDT00:00:00", timeZone: "UTC"}), completed (completedDateTime),
// categories and links (linkedResources when Graph returns them: webUrl,
// applicationName as source, displayName as description). Graph has no
// subtasks: a change that sets parentId is provider.ErrUnsupported.
//
// Every request carries Prefer: IdType="ImmutableId" (so ids survive moves,
// as with mail), is authorized by the account's client only, escapes ids
// with url.PathEscape, and goes only below the configured Graph base.
// Cursors are base64url JSON of their kind and the Graph URL; a cursor of
// another kind, or whose URL is not below the Graph base, is
// provider.ErrInvalid.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/contacts"
	"github.com/aurinko-go/aurinko/unified/provider"
)

var _ contacts.Provider = (*Connector)(nil)

// pimRequest is one Graph call of the contacts or tasks API.
type pimRequest struct {
	method   string
	url      string // absolute, below the Graph base
	body     any
	ifMatch  string
	pageSize int // Prefer: odata.maxpagesize when > 0
}

// pimDo sends a Graph request of the contacts or tasks API as the account
// and decodes a JSON answer into out (when not nil); see graphDo.
func (c *Connector) pimDo(ctx context.Context, acct provider.Account, r pimRequest, out any) error {
	return c.graphDo(ctx, acct.Client, graphCall{method: r.method, url: r.url, body: r.body, ifMatch: r.ifMatch, pageSize: r.pageSize}, out)
}

// The kinds of cursor the contacts and tasks calls hand out.
const (
	cursorContacts      = "contacts"
	cursorContactsDelta = "contactsDelta"
	cursorTaskLists     = "taskLists"
	cursorTasks         = "tasks"
	cursorTasksDelta    = "tasksDelta"
)

// pimCursor is the content of a cursor: its kind and the Graph URL to GET.
type pimCursor struct {
	Kind string `json:"k"`
	URL  string `json:"u"`
}

// encodeCursor returns the cursor of a Graph URL ("" for none).
func encodeCursor(kind, u string) string {
	if u == "" {
		return ""
	}
	b, _ := json.Marshal(pimCursor{Kind: kind, URL: u})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the Graph URL of a cursor of kind, or ErrInvalid.
func (c *Connector) decodeCursor(kind, s string) (string, error) {
	bad := func(why string) error {
		return &provider.Error{Kind: provider.ErrInvalid, Message: "invalid cursor", Err: errors.New("office365: cursor: " + why)}
	}
	if len(s) > 16<<10 {
		return "", bad("too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", bad("not base64url")
	}
	var cur pimCursor
	if err := json.Unmarshal(raw, &cur); err != nil {
		return "", bad("not JSON")
	}
	if cur.Kind != kind {
		return "", bad("of kind " + strconv.Quote(truncate(cur.Kind, 32)) + ", want " + kind)
	}
	if !c.underGraph(cur.URL) {
		return "", bad("URL outside Microsoft Graph")
	}
	return cur.URL, nil
}

// pageLimit bounds a page size to 1..max, def when not positive.
func pageLimit(limit, def, max int) int {
	switch {
	case limit <= 0:
		return def
	case limit > max:
		return max
	}
	return limit
}

// graphRemoved is the @removed annotation of a delta item.
type graphRemoved struct {
	Reason string `json:"reason"`
}

// graphEmail is a Graph emailAddress.
type graphEmail struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// graphPhysicalAddress is a Graph physicalAddress. Writes send every
// field, so an address replaces the old one whole.
type graphPhysicalAddress struct {
	Street          string `json:"street"`
	City            string `json:"city"`
	State           string `json:"state"`
	CountryOrRegion string `json:"countryOrRegion"`
	PostalCode      string `json:"postalCode"`
}

func (a *graphPhysicalAddress) empty() bool {
	return a == nil || *a == graphPhysicalAddress{}
}

// graphContact is what the connector reads of a Graph contact.
type graphContact struct {
	ETag                 string                `json:"@odata.etag"`
	ID                   string                `json:"id"`
	CreatedDateTime      *time.Time            `json:"createdDateTime"`
	LastModifiedDateTime *time.Time            `json:"lastModifiedDateTime"`
	ChangeKey            string                `json:"changeKey"`
	Categories           []string              `json:"categories"`
	Birthday             *time.Time            `json:"birthday"`
	FileAs               string                `json:"fileAs"`
	DisplayName          string                `json:"displayName"`
	GivenName            string                `json:"givenName"`
	MiddleName           string                `json:"middleName"`
	NickName             string                `json:"nickName"`
	Surname              string                `json:"surname"`
	Title                string                `json:"title"`
	Generation           string                `json:"generation"`
	YomiGivenName        string                `json:"yomiGivenName"`
	YomiSurname          string                `json:"yomiSurname"`
	EmailAddresses       []graphEmail          `json:"emailAddresses"`
	JobTitle             string                `json:"jobTitle"`
	CompanyName          string                `json:"companyName"`
	Department           string                `json:"department"`
	OfficeLocation       string                `json:"officeLocation"`
	BusinessHomePage     string                `json:"businessHomePage"`
	AssistantName        string                `json:"assistantName"`
	Manager              string                `json:"manager"`
	SpouseName           string                `json:"spouseName"`
	MobilePhone          string                `json:"mobilePhone"`
	BusinessPhones       []string              `json:"businessPhones"`
	HomePhones           []string              `json:"homePhones"`
	BusinessAddress      *graphPhysicalAddress `json:"businessAddress"`
	HomeAddress          *graphPhysicalAddress `json:"homeAddress"`
	OtherAddress         *graphPhysicalAddress `json:"otherAddress"`
	PersonalNotes        string                `json:"personalNotes"`
	Removed              *graphRemoved         `json:"@removed"`
}

// contactFields are the contact properties the connector reads ($select).
var contactFields = []string{"id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "birthday", "fileAs",
	"displayName", "givenName", "middleName", "nickName", "surname", "title", "generation", "yomiGivenName", "yomiSurname",
	"emailAddresses", "jobTitle", "companyName", "department", "officeLocation", "businessHomePage", "assistantName", "manager",
	"spouseName", "mobilePhone", "businessPhones", "homePhones", "businessAddress", "homeAddress", "otherAddress", "personalNotes"}

// yearlessBirthday is the year Outlook stores for a birthday without one.
const yearlessBirthday = 1604

// toContact maps a Graph contact to the unified model.
func toContact(g graphContact) contacts.Contact {
	ct := contacts.Contact{
		ID: g.ID, ETag: g.ETag, CreatedTime: g.CreatedDateTime, LastModifiedTime: g.LastModifiedDateTime,
		Name: contacts.Name{DisplayName: g.DisplayName, Prefix: g.Title, GivenName: g.GivenName, MiddleName: g.MiddleName,
			FamilyName: g.Surname, Suffix: g.Generation, YomiGivenName: g.YomiGivenName, YomiFamilyName: g.YomiSurname},
		NickName: g.NickName, FileAs: g.FileAs, Notes: g.PersonalNotes,
	}
	if len(g.Categories) > 0 {
		ct.Keywords = g.Categories
	}
	if ct.ETag == "" && g.ChangeKey != "" {
		ct.ETag = graphETag(g.ChangeKey)
	}
	if g.CompanyName != "" || g.Department != "" || g.JobTitle != "" || g.OfficeLocation != "" {
		ct.Company = &contacts.Company{Name: g.CompanyName, Department: g.Department, JobTitle: g.JobTitle, OfficeLocation: g.OfficeLocation}
	}
	for _, r := range []contacts.Relation{{Name: g.Manager, Type: "manager"}, {Name: g.AssistantName, Type: "assistant"}, {Name: g.SpouseName, Type: "spouse"}} {
		if r.Name != "" {
			ct.Relations = append(ct.Relations, r)
		}
	}
	if g.Birthday != nil && !g.Birthday.IsZero() {
		b := g.Birthday.UTC()
		if b.Year() == yearlessBirthday {
			ct.Birthday = b.Format("--01-02")
		} else {
			ct.Birthday = b.Format(time.DateOnly)
		}
	}
	for _, e := range g.EmailAddresses {
		if e.Address != "" {
			ct.EmailAddresses = append(ct.EmailAddresses, contacts.EmailAddress{Address: e.Address, Name: e.Name})
		}
	}
	if g.MobilePhone != "" {
		ct.PhoneNumbers = append(ct.PhoneNumbers, contacts.PhoneNumber{Number: g.MobilePhone, Type: contacts.PhoneMobile})
	}
	for _, list := range []struct {
		numbers []string
		typ     string
	}{{g.BusinessPhones, contacts.PhoneWork}, {g.HomePhones, contacts.PhoneHome}} {
		for _, n := range list.numbers {
			if n != "" {
				ct.PhoneNumbers = append(ct.PhoneNumbers, contacts.PhoneNumber{Number: n, Type: list.typ})
			}
		}
	}
	for _, a := range []struct {
		addr *graphPhysicalAddress
		typ  string
	}{{g.BusinessAddress, "work"}, {g.HomeAddress, "home"}, {g.OtherAddress, "other"}} {
		if !a.addr.empty() {
			ct.Addresses = append(ct.Addresses, contacts.PostalAddress{Street: a.addr.Street, City: a.addr.City, State: a.addr.State,
				PostalCode: a.addr.PostalCode, Country: a.addr.CountryOrRegion, Type: a.typ})
		}
	}
	if g.BusinessHomePage != "" {
		ct.URLs = []contacts.URL{{Href: g.BusinessHomePage, Type: "work"}}
	}
	ct.Normalize()
	return ct
}

// unsupportedChange is the error of a change Graph cannot store.
func unsupportedChange(what string) error {
	return &provider.Error{Kind: provider.ErrUnsupported, Message: what + " is not supported by Microsoft 365 contacts"}
}

// contactBody maps a change to the properties of a Graph contact body.
// Every property of a changed field is sent, so a field replaces the old
// value whole (a list that no longer has a home phone clears homePhones).
func contactBody(ch contacts.Change) (map[string]any, error) {
	b := map[string]any{}
	if n := ch.Name; n != nil {
		b["displayName"], b["title"], b["givenName"], b["middleName"] = n.DisplayName, n.Prefix, n.GivenName, n.MiddleName
		b["surname"], b["generation"], b["yomiGivenName"], b["yomiSurname"] = n.FamilyName, n.Suffix, n.YomiGivenName, n.YomiFamilyName
	}
	if ch.NickName != nil {
		b["nickName"] = *ch.NickName
	}
	if co := ch.Company; co != nil {
		b["companyName"], b["department"], b["jobTitle"], b["officeLocation"] = co.Name, co.Department, co.JobTitle, co.OfficeLocation
	}
	if ch.Notes != nil {
		b["personalNotes"] = *ch.Notes
	}
	if ch.Birthday != nil {
		v, err := graphBirthday(*ch.Birthday)
		if err != nil {
			return nil, err
		}
		b["birthday"] = v
	}
	if l := ch.EmailAddresses; l != nil {
		emails := []graphEmail{}
		for _, e := range *l {
			emails = append(emails, graphEmail{Name: e.Name, Address: e.Address})
		}
		b["emailAddresses"] = emails
	}
	if l := ch.PhoneNumbers; l != nil {
		var mobile any
		business, home := []string{}, []string{}
		for _, p := range *l {
			switch p.Type {
			case contacts.PhoneMobile:
				if mobile != nil {
					return nil, unsupportedChange("more than one mobile number")
				}
				mobile = p.Number
			case contacts.PhoneWork:
				business = append(business, p.Number)
			case contacts.PhoneHome:
				home = append(home, p.Number)
			case "":
				return nil, unsupportedChange("a phone number without a type (mobile, work or home)")
			default:
				return nil, unsupportedChange("the phone number type " + strconv.Quote(p.Type))
			}
		}
		b["mobilePhone"], b["businessPhones"], b["homePhones"] = mobile, business, home
	}
	if l := ch.Addresses; l != nil {
		addrs := map[string]graphPhysicalAddress{"businessAddress": {}, "homeAddress": {}, "otherAddress": {}}
		seen := map[string]bool{}
		for _, a := range *l {
			if a.POBox != "" {
				return nil, unsupportedChange("a PO box")
			}
			prop := map[string]string{"work": "businessAddress", "home": "homeAddress", "other": "otherAddress", "": "otherAddress"}[a.Type]
			if prop == "" {
				return nil, unsupportedChange("the address type " + strconv.Quote(a.Type))
			}
			if seen[prop] {
				return nil, unsupportedChange("more than one address of a type")
			}
			seen[prop] = true
			addrs[prop] = graphPhysicalAddress{Street: a.Street, City: a.City, State: a.State, CountryOrRegion: a.Country, PostalCode: a.PostalCode}
		}
		for k, v := range addrs {
			b[k] = v
		}
	}
	if l := ch.URLs; l != nil {
		switch len(*l) {
		case 0:
			b["businessHomePage"] = nil
		case 1:
			b["businessHomePage"] = (*l)[0].Href
		default:
			return nil, unsupportedChange("more than one URL")
		}
	}
	return b, nil
}

// graphBirthday is the Graph birthday of "YYYY-MM-DD" or "--MM-DD" (nil
// for ""): 11:59 UTC of the day, as Exchange stores birthdays.
func graphBirthday(v string) (any, error) {
	if v == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		md, err2 := time.Parse("--01-02", v)
		if err2 != nil {
			return nil, &provider.Error{Kind: provider.ErrInvalid, Message: "birthday must be YYYY-MM-DD or --MM-DD"}
		}
		d = time.Date(yearlessBirthday, md.Month(), md.Day(), 0, 0, 0, 0, time.UTC)
	}
	return d.Add(11*time.Hour + 59*time.Minute).Format(time.RFC3339), nil
}

func (c *Connector) contactURL(id string) string {
	return c.graphBase() + "/me/contacts/" + url.PathEscape(id)
}

// ListContacts implements contacts.Provider: GET /me/contacts with
// $select and $top=limit; the next page is Graph's @odata.nextLink.
func (c *Connector) ListContacts(ctx context.Context, acct contacts.Account, page string, limit int) (contacts.Page, error) {
	u := c.graphBase() + "/me/contacts?" + url.Values{
		"$select": {strings.Join(contactFields, ",")},
		"$top":    {strconv.Itoa(pageLimit(limit, contacts.DefaultLimit, contacts.MaxLimit))},
	}.Encode()
	if page != "" {
		var err error
		if u, err = c.decodeCursor(cursorContacts, page); err != nil {
			return contacts.Page{}, err
		}
	}
	var res graphCollection[graphContact]
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: u}, &res); err != nil {
		return contacts.Page{}, err
	}
	out := contacts.Page{Contacts: make([]contacts.Contact, 0, len(res.Value)), NextPage: encodeCursor(cursorContacts, res.NextLink)}
	for _, g := range res.Value {
		out.Contacts = append(out.Contacts, toContact(g))
	}
	return out, nil
}

// GetContact implements contacts.Provider: GET /me/contacts/{id}.
func (c *Connector) GetContact(ctx context.Context, acct contacts.Account, id string) (contacts.Contact, error) {
	var g graphContact
	u := c.contactURL(id) + "?" + url.Values{"$select": {strings.Join(contactFields, ",")}}.Encode()
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: u}, &g); err != nil {
		return contacts.Contact{}, err
	}
	return toContact(g), nil
}

// CreateContact implements contacts.Provider: POST /me/contacts (the
// default Contacts folder).
func (c *Connector) CreateContact(ctx context.Context, acct contacts.Account, ch contacts.Change) (contacts.Contact, error) {
	body, err := contactBody(ch)
	if err != nil {
		return contacts.Contact{}, err
	}
	var g graphContact
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodPost, url: c.graphBase() + "/me/contacts", body: body}, &g); err != nil {
		return contacts.Contact{}, err
	}
	return toContact(g), nil
}

// UpdateContact implements contacts.Provider: PATCH /me/contacts/{id}
// with If-Match when ifMatch is set.
func (c *Connector) UpdateContact(ctx context.Context, acct contacts.Account, id string, ch contacts.Change, ifMatch string) (contacts.Contact, error) {
	body, err := contactBody(ch)
	if err != nil {
		return contacts.Contact{}, err
	}
	var g graphContact
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodPatch, url: c.contactURL(id), body: body, ifMatch: ifMatch}, &g); err != nil {
		return contacts.Contact{}, err
	}
	return toContact(g), nil
}

// DeleteContact implements contacts.Provider: DELETE /me/contacts/{id}
// with If-Match when ifMatch is set.
func (c *Connector) DeleteContact(ctx context.Context, acct contacts.Account, id, ifMatch string) error {
	return c.pimDo(ctx, acct, pimRequest{method: http.MethodDelete, url: c.contactURL(id), ifMatch: ifMatch}, nil)
}

// ContactsDeltaStart implements contacts.Provider: the cursor is the
// initial request GET /me/contacts/delta with $select; no call is made
// yet, and its first round returns every contact.
func (c *Connector) ContactsDeltaStart(context.Context, contacts.Account) (string, error) {
	u := c.graphBase() + "/me/contacts/delta?" + url.Values{"$select": {strings.Join(contactFields, ",")}}.Encode()
	return encodeCursor(cursorContactsDelta, u), nil
}

// ContactsDeltaChanges implements contacts.Provider: GET of the cursor's
// URL (the initial request, an @odata.nextLink or an @odata.deltaLink)
// with Prefer: odata.maxpagesize=limit. Items with @removed are Deleted;
// 410 or SyncStateNotFound is provider.ErrCursorExpired.
func (c *Connector) ContactsDeltaChanges(ctx context.Context, acct contacts.Account, cursor string, limit int) (contacts.DeltaPage, error) {
	u, err := c.decodeCursor(cursorContactsDelta, cursor)
	if err != nil {
		return contacts.DeltaPage{}, err
	}
	var res graphCollection[graphContact]
	req := pimRequest{method: http.MethodGet, url: u, pageSize: pageLimit(limit, contacts.DefaultLimit, contacts.MaxLimit)}
	if err := c.pimDo(ctx, acct, req, &res); err != nil {
		return contacts.DeltaPage{}, err
	}
	out := contacts.DeltaPage{NextPage: encodeCursor(cursorContactsDelta, res.NextLink)}
	if out.NextPage == "" {
		out.NextDelta = encodeCursor(cursorContactsDelta, res.DeltaLink)
	}
	for _, g := range res.Value {
		if g.Removed != nil {
			out.Deleted = append(out.Deleted, contacts.DeletedContact{ID: g.ID})
			continue
		}
		out.Updated = append(out.Updated, toContact(g))
	}
	return out, nil
}
