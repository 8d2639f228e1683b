package unified

import (
	"context"
	"net/http"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/unified/contacts"
)

// Contacts is the unified Contacts API as Go methods; the HTTP handlers
// call them. Get it from Handler.Contacts. It checks ids, tokens and
// changes like Calendar.
type Contacts struct {
	h *Handler
}

// Contacts returns the Go API of the unified contacts endpoints.
func (h *Handler) Contacts() *Contacts { return &Contacts{h: h} }

// ContactsPage is a page of contacts.
type ContactsPage struct {
	NextPageToken string             `json:"nextPageToken,omitempty"`
	Length        int                `json:"length"`
	Records       []contacts.Contact `json:"records"`
}

func (c *Contacts) provider(ctx context.Context, ref AccountRef) (contacts.Provider, contacts.Account, error) {
	return capability[contacts.Provider](ctx, c.h, ref, "contacts")
}

func normalizedContacts(cs []contacts.Contact) []contacts.Contact {
	if cs == nil {
		return []contacts.Contact{}
	}
	for i := range cs {
		cs[i].Normalize()
	}
	return cs
}

// ListContacts returns a page of the account's contacts.
func (c *Contacts) ListContacts(ctx context.Context, ref AccountRef, pageToken string, limit int) (ContactsPage, error) {
	if limit < 0 {
		return ContactsPage{}, apierr.New(apierr.InvalidInput, "limit must be positive")
	}
	limit = min(limit, contacts.MaxLimit)
	if limit == 0 {
		limit = contacts.DefaultLimit
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return ContactsPage{}, err
	}
	cursor := ""
	if pageToken != "" {
		t, err := c.h.openPage(pageToken, tokenContactPage, acct.ID, "")
		if err != nil {
			return ContactsPage{}, err
		}
		cursor, limit = t.Cursor, t.Limit
	}
	page, err := p.ListContacts(ctx, acct, cursor, limit)
	if err != nil {
		return ContactsPage{}, providerError(err)
	}
	out := ContactsPage{Records: normalizedContacts(page.Contacts), Length: len(page.Contacts)}
	out.NextPageToken, err = c.h.pageToken(tokenContactPage, acct.ID, "", page.NextPage, limit)
	return out, err
}

// GetContact returns one contact.
func (c *Contacts) GetContact(ctx context.Context, ref AccountRef, id string) (contacts.Contact, error) {
	if err := checkItemID("contact", id); err != nil {
		return contacts.Contact{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return contacts.Contact{}, err
	}
	ct, err := p.GetContact(ctx, acct, id)
	ct.Normalize()
	return ct, providerError(err)
}

// CreateContact creates a contact.
func (c *Contacts) CreateContact(ctx context.Context, ref AccountRef, ch contacts.Change) (contacts.Contact, error) {
	if err := ch.Validate(true); err != nil {
		return contacts.Contact{}, providerError(err)
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return contacts.Contact{}, err
	}
	ct, err := p.CreateContact(ctx, acct, ch)
	ct.Normalize()
	return ct, providerError(err)
}

// UpdateContact patches a contact; a stale ifMatch is 412.
func (c *Contacts) UpdateContact(ctx context.Context, ref AccountRef, id string, ch contacts.Change, ifMatch string) (contacts.Contact, error) {
	if err := checkItemID("contact", id); err != nil {
		return contacts.Contact{}, err
	}
	if err := ch.Validate(false); err != nil {
		return contacts.Contact{}, providerError(err)
	}
	if err := checkETag(ifMatch); err != nil {
		return contacts.Contact{}, err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return contacts.Contact{}, err
	}
	ct, err := p.UpdateContact(ctx, acct, id, ch, ifMatch)
	ct.Normalize()
	return ct, providerError(err)
}

// DeleteContact deletes a contact.
func (c *Contacts) DeleteContact(ctx context.Context, ref AccountRef, id, ifMatch string) error {
	if err := checkItemID("contact", id); err != nil {
		return err
	}
	if err := checkETag(ifMatch); err != nil {
		return err
	}
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return err
	}
	return providerError(p.DeleteContact(ctx, acct, id, ifMatch))
}

// StartSync begins a delta sync of the account's contacts.
func (c *Contacts) StartSync(ctx context.Context, ref AccountRef) (SyncStatus, error) {
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return SyncStatus{}, err
	}
	cursor, err := p.ContactsDeltaStart(ctx, acct)
	if err != nil {
		return SyncStatus{}, providerError(err)
	}
	return startStreams(c.h, acct.ID, tokenContactsUpdated, tokenContactsDeleted, "", cursor)
}

func (c *Contacts) read(ctx context.Context, p contacts.Provider, acct contacts.Account) func(string) (deltaRound[contacts.Contact, contacts.DeletedContact], error) {
	return func(cursor string) (deltaRound[contacts.Contact, contacts.DeletedContact], error) {
		page, err := p.ContactsDeltaChanges(ctx, acct, cursor, contacts.MaxLimit)
		return deltaRound[contacts.Contact, contacts.DeletedContact]{updated: page.Updated, deleted: page.Deleted, nextPage: page.NextPage, nextDelta: page.NextDelta}, err
	}
}

// SyncUpdated returns a page of contacts created or changed since the
// deltaToken (or continues with a pageToken).
func (c *Contacts) SyncUpdated(ctx context.Context, ref AccountRef, deltaToken, pageToken string) (SyncPage[contacts.Contact], error) {
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return SyncPage[contacts.Contact]{}, err
	}
	return readStream(ctx, c.h, acct.ID, tokenContactsUpdated, "", deltaToken, pageToken, c.read(ctx, p, acct),
		func(r deltaRound[contacts.Contact, contacts.DeletedContact]) []contacts.Contact {
			return normalizedContacts(r.updated)
		})
}

// SyncDeleted returns a page of the ids of contacts deleted since the
// deltaToken.
func (c *Contacts) SyncDeleted(ctx context.Context, ref AccountRef, deltaToken, pageToken string) (SyncPage[contacts.DeletedContact], error) {
	p, acct, err := c.provider(ctx, ref)
	if err != nil {
		return SyncPage[contacts.DeletedContact]{}, err
	}
	return readStream(ctx, c.h, acct.ID, tokenContactsDeleted, "", deltaToken, pageToken, c.read(ctx, p, acct),
		func(r deltaRound[contacts.Contact, contacts.DeletedContact]) []contacts.DeletedContact {
			return r.deleted
		})
}

func (h *Handler) registerContacts(mux *http.ServeMux, prefix string) {
	p := prefix + "/contacts"
	mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (ContactsPage, error) {
			limit, err := queryInt(r, "limit")
			if err != nil {
				return ContactsPage{}, err
			}
			return h.Contacts().ListContacts(r.Context(), ref, r.URL.Query().Get("pageToken"), limit)
		})
	})
	mux.HandleFunc("POST "+p, func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusCreated, func(ref AccountRef) (contacts.Contact, error) {
			ch, err := body[contacts.Change](h, w, r, maxEventBody)
			if err != nil {
				return contacts.Contact{}, err
			}
			return h.Contacts().CreateContact(r.Context(), ref, ch)
		})
	})
	mux.HandleFunc("GET "+p+"/{contId}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (contacts.Contact, error) {
			return h.Contacts().GetContact(r.Context(), ref, r.PathValue("contId"))
		})
	})
	mux.HandleFunc("PATCH "+p+"/{contId}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (contacts.Contact, error) {
			ch, err := body[contacts.Change](h, w, r, maxEventBody)
			if err != nil {
				return contacts.Contact{}, err
			}
			return h.Contacts().UpdateContact(r.Context(), ref, r.PathValue("contId"), ch, r.Header.Get("If-Match"))
		})
	})
	mux.HandleFunc("DELETE "+p+"/{contId}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
			return okResponse{Status: "Ok"}, h.Contacts().DeleteContact(r.Context(), ref, r.PathValue("contId"), r.Header.Get("If-Match"))
		})
	})
	mux.HandleFunc("POST "+p+"/sync", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncStatus, error) { return h.Contacts().StartSync(r.Context(), ref) })
	})
	mux.HandleFunc("GET "+p+"/sync/updated", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncPage[contacts.Contact], error) {
			return h.Contacts().SyncUpdated(r.Context(), ref, r.URL.Query().Get("deltaToken"), r.URL.Query().Get("pageToken"))
		})
	})
	mux.HandleFunc("GET "+p+"/sync/deleted", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncPage[contacts.DeletedContact], error) {
			return h.Contacts().SyncDeleted(r.Context(), ref, r.URL.Query().Get("deltaToken"), r.URL.Query().Get("pageToken"))
		})
	})
}
