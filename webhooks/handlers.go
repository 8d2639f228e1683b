package webhooks

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store"
)

// maxCreateBody bounds the body of POST /subscriptions.
const maxCreateBody = 16 << 10

// subscriptionDTO is the SubscriptionResponse of the Aurinko API.
type subscriptionDTO struct {
	ID              int64      `json:"id"`
	Resource        string     `json:"resource"`
	NotificationURL string     `json:"notificationUrl"`
	Active          bool       `json:"active"`
	FailSince       *time.Time `json:"failSince,omitempty"`
	FailDescription string     `json:"failDescription,omitempty"`
	Filters         []string   `json:"filters"`
}

func toDTO(s store.Subscription) subscriptionDTO {
	d := subscriptionDTO{ID: s.ID, Resource: s.Resource, NotificationURL: s.NotificationURL, Active: s.Active,
		FailDescription: s.FailDescription, Filters: s.Filters}
	if d.Filters == nil {
		d.Filters = []string{}
	}
	if !s.FailSince.IsZero() {
		t := s.FailSince.UTC()
		d.FailSince = &t
	}
	return d
}

// Register adds the subscription endpoints to mux under prefix. The mux
// must be wrapped in the session middleware; every endpoint acts as the
// request's account (account token, or session plus account header).
func (s *Service) Register(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("POST "+prefix+"/subscriptions", s.handleCreate)
	mux.HandleFunc("GET "+prefix+"/subscriptions", s.handleList)
	mux.HandleFunc("GET "+prefix+"/subscriptions/{id}", s.handleGet)
	mux.HandleFunc("DELETE "+prefix+"/subscriptions/{id}", s.handleDelete)
}

// RegisterPush adds the providers' push endpoint, POST
// {prefix}/webhooks/push/{serviceType}, to mux. It must be reachable by the
// providers without a session (the connector authenticates each request)
// and answers within the providers' deadlines: it only queues polls.
func (s *Service) RegisterPush(mux *http.ServeMux, prefix string) {
	if s.cfg.Push != nil {
		mux.HandleFunc("POST "+prefix+"/webhooks/push/{serviceType}", s.handlePush)
	}
}

func (s *Service) principal(w http.ResponseWriter, r *http.Request) (session.Principal, bool) {
	fail := func(err error) (session.Principal, bool) {
		apierr.Write(w, r, s.logger, err)
		return session.Principal{}, false
	}
	if err := session.ErrorFromContext(r.Context()); err != nil {
		return fail(err)
	}
	p, ok := session.FromContext(r.Context())
	if !ok || p.Kind == session.KindNone {
		return fail(apierr.New(apierr.Unauthorized, "unauthorized"))
	}
	if p.AccountID == 0 {
		return fail(apierr.New(apierr.InvalidInput, "no account selected: send the X-Aurinko-Account-Id header"))
	}
	return p, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCreateBody+1))
	if err != nil || len(body) > maxCreateBody {
		apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "body missing or too large"))
		return
	}
	var req CreateRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "body must be {resource, notificationUrl, filters}"))
		return
	}
	sub, err := s.Create(r.Context(), p.AppID, p.AccountID, req)
	if err != nil {
		apierr.Write(w, r, s.logger, err)
		return
	}
	writeJSON(w, http.StatusOK, toDTO(sub))
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, offset := 50, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "limit must be between 1 and 1000"))
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "offset must not be negative"))
			return
		}
		offset = n
	}
	subs, err := s.List(r.Context(), p.AppID, p.AccountID, q.Get("includeInactive") == "true")
	if err != nil {
		apierr.Write(w, r, s.logger, err)
		return
	}
	recs := []subscriptionDTO{}
	for i := offset; i < len(subs) && len(recs) < limit; i++ {
		recs = append(recs, toDTO(subs[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs, "offset": offset, "totalSize": len(subs), "done": offset+len(recs) >= len(subs)})
}

func (s *Service) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "invalid subscription id"))
		return 0, false
	}
	return id, true
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	sub, err := s.Get(r.Context(), p.AppID, p.AccountID, id)
	if err != nil {
		apierr.Write(w, r, s.logger, err)
		return
	}
	writeJSON(w, http.StatusOK, toDTO(sub))
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if err := s.Delete(r.Context(), p.AppID, p.AccountID, id); err != nil {
		apierr.Write(w, r, s.logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Ok"})
}
