package auth

import (
	"net/http"
	"strconv"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
)

// Paging of GET /am/accounts.
const (
	amDefaultLimit = 50
	amMaxLimit     = 1000
	amMaxOffset    = 1_000_000
)

// amListAccounts is GET /am/accounts for the app's server (HTTP Basic):
// the app's accounts, filtered by serviceType, userId and userAccount,
// paged with limit and offset (AccountsPage).
func (h *Handler) amListAccounts(w http.ResponseWriter, r *http.Request) {
	app, ok := h.basicApp(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), amDefaultLimit, 1, amMaxLimit)
	if err != nil {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "limit must be between 1 and %d", amMaxLimit))
		return
	}
	offset, err := intParam(q.Get("offset"), 0, 0, amMaxOffset)
	if err != nil {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "offset must be between 0 and %d", amMaxOffset))
		return
	}
	f := store.AccountFilter{AppID: app.ID, ServiceType: q.Get("serviceType"), UserID: q.Get("userId")}
	switch ua := q.Get("userAccount"); ua {
	case "":
	case "primary", "secondary":
		f.Type = store.AccountType(ua)
	default:
		h.fail(w, r, apierr.New(apierr.InvalidInput, "userAccount must be primary or secondary"))
		return
	}
	// The store pages by id; offset paging walks it. Counting walks every
	// match, which is fine for thousands of accounts per app.
	records := []accountDTO{}
	total := 0
	page := store.Page{Limit: store.MaxPageLimit}
	for {
		batch, err := h.store.ListAccounts(r.Context(), f, page)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, a := range batch {
			if total >= offset && len(records) < limit {
				records = append(records, toAccountDTO(a))
			}
			total++
		}
		if len(batch) < page.Limit {
			break
		}
		page.After = batch[len(batch)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"records": records, "offset": offset, "totalSize": total, "done": offset+len(records) >= total,
	})
}

// amGetAccount is GET /am/accounts/{id}.
func (h *Handler) amGetAccount(w http.ResponseWriter, r *http.Request) {
	app, ok := h.basicApp(w, r)
	if !ok {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.accounts.Account(r.Context(), app.ID, "", id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAccountDTO(a))
}

// amDeleteAccount is DELETE /am/accounts/{id}.
func (h *Handler) amDeleteAccount(w http.ResponseWriter, r *http.Request) {
	app, ok := h.basicApp(w, r)
	if !ok {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.accounts.DeleteAccount(r.Context(), app.ID, "", id); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Ok"})
}

func intParam(s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, strconv.ErrRange
	}
	return n, nil
}
