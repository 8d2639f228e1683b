// Package contacts is the model of the unified Contacts API and the
// capability a connector implements to serve it (Provider). The JSON shape
// follows Aurinko's Contact. It is a leaf package.
package contacts

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aurinko-go/aurinko/unified/provider"
)

// Page sizes of the contact list.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// Name is a contact's name.
type Name struct {
	DisplayName    string `json:"displayName,omitempty"`
	Prefix         string `json:"prefix,omitempty"`
	GivenName      string `json:"givenName,omitempty"`
	MiddleName     string `json:"middleName,omitempty"`
	FamilyName     string `json:"familyName,omitempty"`
	Suffix         string `json:"suffix,omitempty"`
	YomiGivenName  string `json:"yomiGivenName,omitempty"`
	YomiFamilyName string `json:"yomiFamilyName,omitempty"`
}

// Company is where a contact works.
type Company struct {
	Name           string `json:"name,omitempty"`
	OfficeLocation string `json:"officeLocation,omitempty"`
	Department     string `json:"department,omitempty"`
	JobTitle       string `json:"jobTitle,omitempty"`
}

// EmailAddress is one address of a contact; Type is work, home or other
// ("" when the provider has none).
type EmailAddress struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
	Type    string `json:"type,omitempty"`
}

// The phone number types.
const (
	PhoneWork   = "work"
	PhoneHome   = "home"
	PhoneOther  = "other"
	PhoneMobile = "mobile"
)

// PhoneNumber is one number of a contact; Type is work, home, mobile,
// other, or another of Aurinko's ContactPhoneNumber types.
type PhoneNumber struct {
	Number        string `json:"number"`
	Type          string `json:"type,omitempty"`
	CanonicalForm string `json:"canonicalForm,omitempty"`
}

// PostalAddress is one address of a contact; Type is work, home or other.
type PostalAddress struct {
	Street     string `json:"street,omitempty"`
	POBox      string `json:"poBox,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
	Type       string `json:"type,omitempty"`
}

// URL is a web address of a contact.
type URL struct {
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

// Relation is a related person: manager, assistant or spouse.
type Relation struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Contact is a personal contact of the account.
type Contact struct {
	ID               string     `json:"id"`
	ETag             string     `json:"etag,omitempty"`
	CreatedTime      *time.Time `json:"createdTime,omitempty"`
	LastModifiedTime *time.Time `json:"lastModifiedTime,omitempty"`

	Name      Name       `json:"name"`
	NickName  string     `json:"nickName,omitempty"`
	FileAs    string     `json:"fileAs,omitempty"`
	Company   *Company   `json:"company,omitempty"`
	Relations []Relation `json:"relations,omitempty"`
	// Birthday is "YYYY-MM-DD" (or "--MM-DD" without a year).
	Birthday       string          `json:"birthday,omitempty"`
	Keywords       []string        `json:"keywords,omitempty"`
	Notes          string          `json:"notes,omitempty"`
	EmailAddresses []EmailAddress  `json:"emailAddresses"`
	PhoneNumbers   []PhoneNumber   `json:"phoneNumbers"`
	Addresses      []PostalAddress `json:"addresses"`
	URLs           []URL           `json:"urls,omitempty"`
}

// Normalize puts c in the form the API answers.
func (c *Contact) Normalize() {
	for _, p := range []**time.Time{&c.CreatedTime, &c.LastModifiedTime} {
		if *p != nil {
			t := (*p).UTC().Truncate(time.Second)
			*p = &t
		}
	}
	if c.EmailAddresses == nil {
		c.EmailAddresses = []EmailAddress{}
	}
	if c.PhoneNumbers == nil {
		c.PhoneNumbers = []PhoneNumber{}
	}
	if c.Addresses == nil {
		c.Addresses = []PostalAddress{}
	}
}

// Change creates or patches a contact: nil fields are left as they are; a
// non-nil list replaces the whole list.
type Change struct {
	Name           *Name            `json:"name,omitempty"`
	NickName       *string          `json:"nickName,omitempty"`
	Company        *Company         `json:"company,omitempty"`
	Birthday       *string          `json:"birthday,omitempty"`
	Notes          *string          `json:"notes,omitempty"`
	EmailAddresses *[]EmailAddress  `json:"emailAddresses,omitempty"`
	PhoneNumbers   *[]PhoneNumber   `json:"phoneNumbers,omitempty"`
	Addresses      *[]PostalAddress `json:"addresses,omitempty"`
	URLs           *[]URL           `json:"urls,omitempty"`
}

// FieldError is a client error in a contact field (400).
type FieldError struct{ Field, Problem string }

// Error implements error.
func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

func text(field, v string, limit int) error {
	if len(v) > limit {
		return &FieldError{field, "is too long"}
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return &FieldError{field, "is not valid text"}
	}
	return nil
}

// Validate checks a change; create requires a name or an address.
func (c *Change) Validate(create bool) error {
	if create && c.Name == nil && (c.EmailAddresses == nil || len(*c.EmailAddresses) == 0) {
		return &FieldError{"name", "or an email address is required"}
	}
	if n := c.Name; n != nil {
		for _, f := range []string{n.DisplayName, n.Prefix, n.GivenName, n.MiddleName, n.FamilyName, n.Suffix, n.YomiGivenName, n.YomiFamilyName} {
			if err := text("name", f, 256); err != nil {
				return err
			}
		}
	}
	for _, s := range []*string{c.NickName, c.Birthday} {
		if s != nil {
			if err := text("nickName", *s, 256); err != nil {
				return err
			}
		}
	}
	if c.Birthday != nil && *c.Birthday != "" {
		b := *c.Birthday
		if _, err := time.Parse(time.DateOnly, b); err != nil {
			if _, err2 := time.Parse("--01-02", b); err2 != nil {
				return &FieldError{"birthday", "must be YYYY-MM-DD or --MM-DD"}
			}
		}
	}
	if c.Notes != nil {
		if err := text("notes", *c.Notes, 64<<10); err != nil {
			return err
		}
	}
	if co := c.Company; co != nil {
		for _, f := range []string{co.Name, co.OfficeLocation, co.Department, co.JobTitle} {
			if err := text("company", f, 256); err != nil {
				return err
			}
		}
	}
	if l := c.EmailAddresses; l != nil {
		if len(*l) > 50 {
			return &FieldError{"emailAddresses", "has too many entries"}
		}
		for _, e := range *l {
			a, err := mail.ParseAddress(e.Address)
			if err != nil || a.Address != e.Address {
				return &FieldError{"emailAddresses.address", "is not an email address"}
			}
			if err := oneOf("emailAddresses.type", e.Type, "work", "home", "other"); err != nil {
				return err
			}
		}
	}
	if l := c.PhoneNumbers; l != nil {
		if len(*l) > 50 {
			return &FieldError{"phoneNumbers", "has too many entries"}
		}
		for _, p := range *l {
			if p.Number == "" {
				return &FieldError{"phoneNumbers.number", "is required"}
			}
			if err := text("phoneNumbers.number", p.Number, 64); err != nil {
				return err
			}
			if err := oneOf("phoneNumbers.type", p.Type, "work", "home", "other", "mobile", "workMobile", "main", "companyMain", "assistant", "workFax", "homeFax", "otherFax", "callback", "pager", "workPager", "radio", "telex", "tty"); err != nil {
				return err
			}
		}
	}
	if l := c.Addresses; l != nil {
		if len(*l) > 20 {
			return &FieldError{"addresses", "has too many entries"}
		}
		for _, a := range *l {
			for _, f := range []string{a.Street, a.POBox, a.City, a.State, a.PostalCode, a.Country} {
				if err := text("addresses", f, 1024); err != nil {
					return err
				}
			}
			if err := oneOf("addresses.type", a.Type, "work", "home", "other"); err != nil {
				return err
			}
		}
	}
	if l := c.URLs; l != nil {
		for _, u := range *l {
			if err := text("urls.href", u.Href, 2048); err != nil {
				return err
			}
		}
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return &FieldError{field, "must be one of " + strings.Join(allowed, ", ")}
}

// Page is one page of contacts.
type Page struct {
	Contacts []Contact
	NextPage string
}

// DeletedContact is an entry of the deleted stream of a sync.
type DeletedContact struct {
	ID string `json:"id"`
}

// DeltaPage is one page of contact changes.
type DeltaPage struct {
	Updated   []Contact
	Deleted   []DeletedContact
	NextPage  string
	NextDelta string
}

// Account is the account a Provider call acts as.
type Account = provider.Account

// Provider is the contacts capability of a connector. The contract of
// calendar.Provider holds (act only as acct, classified *provider.Error
// errors, opaque cursors sealed by package unified, ids escaped).
// Implementations embed UnimplementedContacts.
type Provider interface {
	// ListContacts returns one page of the account's contacts.
	ListContacts(ctx context.Context, acct Account, page string, limit int) (Page, error)
	GetContact(ctx context.Context, acct Account, id string) (Contact, error)
	CreateContact(ctx context.Context, acct Account, c Change) (Contact, error)
	// UpdateContact patches a contact; a non-empty ifMatch must equal the
	// contact's etag (ErrPrecondition otherwise).
	UpdateContact(ctx context.Context, acct Account, id string, c Change, ifMatch string) (Contact, error)
	DeleteContact(ctx context.Context, acct Account, id, ifMatch string) error
	// ContactsDeltaStart begins a delta sync; its first round returns every
	// contact as Updated.
	ContactsDeltaStart(ctx context.Context, acct Account) (string, error)
	// ContactsDeltaChanges reads one page of changes; an expired cursor is
	// provider.ErrCursorExpired.
	ContactsDeltaChanges(ctx context.Context, acct Account, cursor string, limit int) (DeltaPage, error)

	contactsProvider()
}

// UnimplementedContacts answers every Provider method with ErrUnsupported.
type UnimplementedContacts struct{}

func (UnimplementedContacts) contactsProvider() {}

// ListContacts implements Provider.
func (UnimplementedContacts) ListContacts(context.Context, Account, string, int) (Page, error) {
	return Page{}, provider.Unsupported("listing contacts")
}

// GetContact implements Provider.
func (UnimplementedContacts) GetContact(context.Context, Account, string) (Contact, error) {
	return Contact{}, provider.Unsupported("reading a contact")
}

// CreateContact implements Provider.
func (UnimplementedContacts) CreateContact(context.Context, Account, Change) (Contact, error) {
	return Contact{}, provider.Unsupported("creating a contact")
}

// UpdateContact implements Provider.
func (UnimplementedContacts) UpdateContact(context.Context, Account, string, Change, string) (Contact, error) {
	return Contact{}, provider.Unsupported("updating a contact")
}

// DeleteContact implements Provider.
func (UnimplementedContacts) DeleteContact(context.Context, Account, string, string) error {
	return provider.Unsupported("deleting a contact")
}

// ContactsDeltaStart implements Provider.
func (UnimplementedContacts) ContactsDeltaStart(context.Context, Account) (string, error) {
	return "", provider.Unsupported("contacts sync")
}

// ContactsDeltaChanges implements Provider.
func (UnimplementedContacts) ContactsDeltaChanges(context.Context, Account, string, int) (DeltaPage, error) {
	return DeltaPage{}, provider.Unsupported("contacts sync")
}
