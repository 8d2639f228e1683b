package unified

import (
	"net/http"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/unified/calendar"
)

// maxEventBody bounds the JSON body of an event create or patch.
const maxEventBody = 1 << 20

func (h *Handler) registerCalendar(mux *http.ServeMux, prefix string) {
	p := prefix + "/calendars"
	mux.HandleFunc("GET "+p, h.listCalendars)
	mux.HandleFunc("POST "+p, h.createCalendar)
	mux.HandleFunc("POST "+p+"/freeBusy", h.freeBusy)
	mux.HandleFunc("GET "+p+"/{calendarId}", h.getCalendar)
	mux.HandleFunc("PATCH "+p+"/{calendarId}", h.updateCalendar)
	mux.HandleFunc("GET "+p+"/{calendarId}/events/range", h.eventRange)
	mux.HandleFunc("POST "+p+"/{calendarId}/events", h.createEvent)
	mux.HandleFunc("GET "+p+"/{calendarId}/events/{eventId}", h.getEvent)
	mux.HandleFunc("PATCH "+p+"/{calendarId}/events/{eventId}", h.updateEvent)
	mux.HandleFunc("DELETE "+p+"/{calendarId}/events/{eventId}", h.deleteEvent)
	mux.HandleFunc("PUT "+p+"/{calendarId}/events/{eventId}/response", h.respondEvent)
	mux.HandleFunc("POST "+p+"/{calendarId}/sync", h.calendarSync)
	mux.HandleFunc("GET "+p+"/{calendarId}/sync/updated", h.calendarSyncUpdated)
	mux.HandleFunc("GET "+p+"/{calendarId}/sync/deleted", h.calendarSyncDeleted)
}

// serve runs f with the request's account and writes its result (or
// error) as JSON with status.
func serve[T any](h *Handler, w http.ResponseWriter, r *http.Request, status int, f func(ref AccountRef) (T, error)) {
	ref, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := f(ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, status, v)
}

// body decodes a JSON request body into a new T.
func body[T any](h *Handler, w http.ResponseWriter, r *http.Request, limit int64) (T, error) {
	var v T
	err := h.decode(w, r, limit, &v)
	return v, err
}

func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, apierr.New(apierr.InvalidInput, "%s is required", name)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apierr.New(apierr.InvalidInput, "%s must be an RFC 3339 time with an offset", name)
	}
	return t, nil
}

func (h *Handler) listCalendars(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (CalendarsPage, error) {
		return h.Calendar().ListCalendars(r.Context(), ref, r.URL.Query().Get("pageToken"))
	})
}

func (h *Handler) createCalendar(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusCreated, func(ref AccountRef) (calendar.Calendar, error) {
		ch, err := body[calendar.CalendarChange](h, w, r, maxStatusBody)
		if err != nil {
			return calendar.Calendar{}, err
		}
		return h.Calendar().CreateCalendar(r.Context(), ref, ch)
	})
}

func (h *Handler) getCalendar(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (calendar.Calendar, error) {
		return h.Calendar().GetCalendar(r.Context(), ref, r.PathValue("calendarId"))
	})
}

func (h *Handler) updateCalendar(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (calendar.Calendar, error) {
		ch, err := body[calendar.CalendarChange](h, w, r, maxStatusBody)
		if err != nil {
			return calendar.Calendar{}, err
		}
		return h.Calendar().UpdateCalendar(r.Context(), ref, r.PathValue("calendarId"), ch)
	})
}

func (h *Handler) eventRange(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (EventsPage, error) {
		q := EventRange{PageToken: r.URL.Query().Get("pageToken")}
		var err error
		if q.TimeMin, err = queryTime(r, "timeMin"); err != nil {
			return EventsPage{}, err
		}
		if q.TimeMax, err = queryTime(r, "timeMax"); err != nil {
			return EventsPage{}, err
		}
		if q.Limit, err = queryInt(r, "limit"); err != nil {
			return EventsPage{}, err
		}
		return h.Calendar().ListEventRange(r.Context(), ref, r.PathValue("calendarId"), q)
	})
}

func (h *Handler) createEvent(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusCreated, func(ref AccountRef) (calendar.Event, error) {
		ch, err := body[calendar.EventChange](h, w, r, maxEventBody)
		if err != nil {
			return calendar.Event{}, err
		}
		return h.Calendar().CreateEvent(r.Context(), ref, r.PathValue("calendarId"), ch)
	})
}

func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (calendar.Event, error) {
		return h.Calendar().GetEvent(r.Context(), ref, r.PathValue("calendarId"), r.PathValue("eventId"))
	})
}

func (h *Handler) updateEvent(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (calendar.Event, error) {
		ch, err := body[calendar.EventChange](h, w, r, maxEventBody)
		if err != nil {
			return calendar.Event{}, err
		}
		return h.Calendar().UpdateEvent(r.Context(), ref, r.PathValue("calendarId"), r.PathValue("eventId"), ch, r.Header.Get("If-Match"))
	})
}

func (h *Handler) deleteEvent(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
		err := h.Calendar().DeleteEvent(r.Context(), ref, r.PathValue("calendarId"), r.PathValue("eventId"), r.Header.Get("If-Match"))
		return okResponse{Status: "Ok"}, err
	})
}

func (h *Handler) respondEvent(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
		resp, err := body[calendar.ResponseRequest](h, w, r, maxStatusBody)
		if err != nil {
			return okResponse{}, err
		}
		resp.Notify = true
		if v := r.URL.Query().Get("notifyAttendees"); v != "" {
			if resp.Notify, err = queryBool(r, "notifyAttendees"); err != nil {
				return okResponse{}, err
			}
		}
		return okResponse{Status: "Ok"}, h.Calendar().RespondEvent(r.Context(), ref, r.PathValue("calendarId"), r.PathValue("eventId"), resp)
	})
}

func (h *Handler) freeBusy(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (FreeBusyPage, error) {
		req, err := body[calendar.FreeBusyRequest](h, w, r, maxStatusBody)
		if err != nil {
			return FreeBusyPage{}, err
		}
		return h.Calendar().FreeBusy(r.Context(), ref, req)
	})
}

func (h *Handler) calendarSync(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncStatus, error) {
		tmin, err := queryTime(r, "timeMin")
		if err != nil {
			return SyncStatus{}, err
		}
		tmax, err := queryTime(r, "timeMax")
		if err != nil {
			return SyncStatus{}, err
		}
		return h.Calendar().StartSync(r.Context(), ref, r.PathValue("calendarId"), tmin, tmax)
	})
}

func (h *Handler) calendarSyncUpdated(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncPage[calendar.Event], error) {
		q := r.URL.Query()
		return h.Calendar().SyncUpdated(r.Context(), ref, r.PathValue("calendarId"), q.Get("deltaToken"), q.Get("pageToken"))
	})
}

func (h *Handler) calendarSyncDeleted(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncPage[calendar.DeletedEvent], error) {
		q := r.URL.Query()
		return h.Calendar().SyncDeleted(r.Context(), ref, r.PathValue("calendarId"), q.Get("deltaToken"), q.Get("pageToken"))
	})
}
