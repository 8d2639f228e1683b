package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
)

// Settings documents: one JSON object per user (PATCH /user/settings) and
// per organization (read by its users at GET /org/settings, written by the
// app's server at PATCH /am/organizations/{id}/settings). Every answer
// carries an ETag; a PATCH with If-Match is applied only if the document
// is unchanged since (else 412), and a PATCH without it is merged into the
// current document atomically (compare-and-swap in the store, retried).

// settingsKey is the setting under which a settings document is kept.
const settingsKey = "settings"

// maxSettingsBody bounds a settings document and a patch.
const maxSettingsBody = 64 << 10

func etagOf(doc []byte) string {
	sum := sha256.Sum256(doc)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// readSettings returns the document (nil when none was saved).
func (h *Handler) readSettings(ctx context.Context, appID string, scope store.SettingScope, owner string) ([]byte, error) {
	s, err := h.store.GetSetting(ctx, appID, scope, owner, settingsKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.Value, nil
}

func (h *Handler) writeSettingsDoc(w http.ResponseWriter, doc []byte) {
	if doc == nil {
		doc = []byte("{}")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("ETag", etagOf(doc))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(doc)
}

// patchSettings merges the request body (RFC 7396 JSON merge patch) into
// a settings document, honouring If-Match.
func (h *Handler) patchSettings(w http.ResponseWriter, r *http.Request, appID string, scope store.SettingScope, owner string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSettingsBody+1))
	if err != nil || len(body) > maxSettingsBody {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "settings body missing or larger than %d bytes", maxSettingsBody))
		return
	}
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "settings body must be a JSON object"))
		return
	}
	ifMatch := r.Header.Get("If-Match")
	for range 8 {
		cur, err := h.readSettings(r.Context(), appID, scope, owner)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if ifMatch != "" && ifMatch != "*" && ifMatch != etagOf(orEmptyDoc(cur)) {
			h.fail(w, r, apierr.New(apierr.PreconditionFailed, "the settings changed since they were read"))
			return
		}
		doc := map[string]any{}
		if cur != nil {
			if err := json.Unmarshal(cur, &doc); err != nil || doc == nil {
				doc = map[string]any{}
			}
		}
		mergePatch(doc, patch)
		out, err := json.Marshal(doc)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(out) > maxSettingsBody {
			h.fail(w, r, apierr.New(apierr.InvalidInput, "settings document would exceed %d bytes", maxSettingsBody))
			return
		}
		err = h.store.SwapSetting(r.Context(), store.Setting{AppID: appID, Scope: scope, OwnerID: owner, Key: settingsKey, Value: out}, cur)
		if errors.Is(err, store.ErrConflict) {
			if ifMatch != "" && ifMatch != "*" {
				h.fail(w, r, apierr.New(apierr.PreconditionFailed, "the settings changed since they were read"))
				return
			}
			continue // a concurrent writer: merge into its result
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.writeSettingsDoc(w, out)
		return
	}
	h.fail(w, r, apierr.New(apierr.Conflict, "the settings are being changed concurrently; try again"))
}

func orEmptyDoc(doc []byte) []byte {
	if doc == nil {
		return []byte("{}")
	}
	return doc
}

// mergePatch applies an RFC 7396 JSON merge patch to doc.
func mergePatch(doc, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(doc, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			dm, ok := doc[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
			}
			mergePatch(dm, pm)
			doc[k] = dm
			continue
		}
		doc[k] = v
	}
}

// getUserSettings is GET /user/settings: the user's document ({} when none).
func (h *Handler) getUserSettings(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	doc, err := h.readSettings(r.Context(), p.AppID, store.SettingsUser, p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeSettingsDoc(w, doc)
}

// patchUserSettings is PATCH /user/settings.
func (h *Handler) patchUserSettings(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	h.patchSettings(w, r, p.AppID, store.SettingsUser, p.UserID)
}

// getOrgSettings is GET /org/settings: the document of the signed-in
// user's organization (404 when the user has none).
func (h *Handler) getOrgSettings(w http.ResponseWriter, r *http.Request) {
	p, ok := h.userPrincipal(w, r)
	if !ok {
		return
	}
	u, err := h.accounts.User(r.Context(), p.AppID, p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if u.OrgID == 0 {
		h.fail(w, r, apierr.New(apierr.NotFound, "the user belongs to no organization"))
		return
	}
	doc, err := h.readSettings(r.Context(), p.AppID, store.SettingsOrg, strconv.FormatInt(u.OrgID, 10))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeSettingsDoc(w, doc)
}

// amOrg authenticates the app and checks the organization is the app's.
func (h *Handler) amOrg(w http.ResponseWriter, r *http.Request) (store.App, string, bool) {
	app, ok := h.basicApp(w, r)
	if !ok {
		return app, "", false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, apierr.New(apierr.InvalidInput, "invalid organization id"))
		return app, "", false
	}
	org, err := h.store.GetOrganization(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && org.AppID != app.ID {
		h.fail(w, r, apierr.New(apierr.NotFound, "organization %d not found", id))
		return app, "", false
	}
	if err != nil {
		h.fail(w, r, err)
		return app, "", false
	}
	return app, strconv.FormatInt(id, 10), true
}

// amGetOrgSettings is GET /am/organizations/{id}/settings.
func (h *Handler) amGetOrgSettings(w http.ResponseWriter, r *http.Request) {
	app, owner, ok := h.amOrg(w, r)
	if !ok {
		return
	}
	doc, err := h.readSettings(r.Context(), app.ID, store.SettingsOrg, owner)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeSettingsDoc(w, doc)
}

// amPatchOrgSettings is PATCH /am/organizations/{id}/settings.
func (h *Handler) amPatchOrgSettings(w http.ResponseWriter, r *http.Request) {
	app, owner, ok := h.amOrg(w, r)
	if !ok {
		return
	}
	h.patchSettings(w, r, app.ID, store.SettingsOrg, owner)
}
