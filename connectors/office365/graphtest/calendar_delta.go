package graphtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// calDelta is a server-side calendar view delta round: the items still to
// serve, and what the client holds once it has them all.
type calDelta struct {
	oid, calID string
	from, to   time.Time
	items      []calDeltaItem
	offset     int
	next       map[string]string // instance id -> changeKey after the round
}

type calDeltaItem struct {
	id      string
	removed bool
	ev      Event
}

// newCalDeltaRound compares the calendar view with what the client holds
// (known: instance id -> changeKey; nil for an initial round).
func newCalDeltaRound(uc *userCalendars, oid, calID string, from, to time.Time, known map[string]string) *calDelta {
	st := &calDelta{oid: oid, calID: calID, from: from, to: to, next: make(map[string]string)}
	for _, ev := range viewInstances(uc, calID, from, to) {
		st.next[ev.ID] = ev.changeKey
		if ck, ok := known[ev.ID]; !ok || ck != ev.changeKey {
			st.items = append(st.items, calDeltaItem{id: ev.ID, ev: ev})
		}
	}
	var gone []string
	for id := range known {
		if _, ok := st.next[id]; !ok {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		st.items = append(st.items, calDeltaItem{id: id, removed: true})
	}
	return st
}

// handleCalendarDelta is GET /me/calendarView/delta (and under a
// calendar): an initial round with startDateTime and endDateTime,
// $skiptoken pages and $deltatoken rounds. Pages hold odata.maxpagesize
// items (default 10). Unknown or expired tokens answer 410
// syncStateNotFound.
func (s *Server) handleCalendarDelta(w http.ResponseWriter, r *http.Request) {
	u, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	v, ge := viewOf(r, false)
	if ge != nil {
		ge.write(w, r)
		return
	}
	q := r.URL.Query()
	size := maxPageSize(r)
	if size <= 0 {
		size = 10
	}
	gone := &graphErr{status: http.StatusGone, code: "syncStateNotFound",
		message: "The sync state generation is not found. The delta token is expired and data must be synchronized again."}
	s.mu.Lock()
	defer s.mu.Unlock()
	uc := s.calendarsLocked(cs, u)
	var st *calDelta
	switch {
	case q.Get("$skiptoken") != "":
		st = cs.deltas[q.Get("$skiptoken")]
		if st == nil || st.oid != u.ObjectID {
			gone.write(w, r)
			return
		}
	case q.Get("$deltatoken") != "":
		prev := cs.deltas[q.Get("$deltatoken")]
		if prev == nil || prev.oid != u.ObjectID {
			gone.write(w, r)
			return
		}
		st = newCalDeltaRound(uc, prev.oid, prev.calID, prev.from, prev.to, prev.next)
	default:
		from, to, ge := parseWindow(q)
		if ge != nil {
			ge.write(w, r)
			return
		}
		cal, ge := calendarOf(uc, r)
		if ge != nil {
			ge.write(w, r)
			return
		}
		st = newCalDeltaRound(uc, u.ObjectID, cal.ID, from, to, nil)
	}
	end := min(st.offset+size, len(st.items))
	page := []map[string]any{}
	for _, it := range st.items[st.offset:end] {
		if it.removed {
			page = append(page, map[string]any{"@odata.type": "#microsoft.graph.event", "id": it.id, "@removed": map[string]any{"reason": "deleted"}})
			continue
		}
		page = append(page, s.eventJSON(u, &it.ev, v))
	}
	out := map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#Collection(event)", "value": page}
	base := s.srv.URL + r.URL.Path + "?"
	tok := newGraphID("")
	if end < len(st.items) {
		next := *st
		next.offset = end
		cs.deltas[tok] = &next
		out["@odata.nextLink"] = base + "$skiptoken=" + url.QueryEscape(tok)
	} else {
		cs.deltas[tok] = &calDelta{oid: st.oid, calID: st.calID, from: st.from, to: st.to, next: st.next}
		out["@odata.deltaLink"] = base + "$deltatoken=" + url.QueryEscape(tok)
	}
	writeEventJSON(w, r, v, http.StatusOK, out)
}

// freeBusyRank orders showAs values by how busy they make a slot, and
// availabilityDigit is their digit in availabilityView.
var (
	freeBusyRank      = map[string]int{"free": 0, "unknown": 0, "workingElsewhere": 1, "tentative": 2, "busy": 3, "oof": 4}
	availabilityDigit = map[string]byte{"free": '0', "unknown": '0', "tentative": '1', "busy": '2', "oof": '3', "workingElsewhere": '4'}
)

// handleGetSchedule is POST /me/calendar/getSchedule: free/busy of users
// of the fake from their default calendars.
func (s *Server) handleGetSchedule(w http.ResponseWriter, r *http.Request) {
	caller, cs, ok := s.calendarCaller(w, r, false)
	if !ok {
		return
	}
	label, loc, ge := preferredZone(r)
	if ge != nil {
		ge.write(w, r)
		return
	}
	v := eventView{zoneLabel: label, zone: loc}
	var body struct {
		Schedules                []string          `json:"schedules"`
		StartTime                *dateTimeTimeZone `json:"startTime"`
		EndTime                  *dateTimeTimeZone `json:"endTime"`
		AvailabilityViewInterval *int              `json:"availabilityViewInterval"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		badJSON().write(w, r)
		return
	}
	if len(body.Schedules) == 0 || body.StartTime == nil || body.EndTime == nil {
		badRequest("ErrorInvalidParameter", "The parameters schedules, startTime and endTime are required.").write(w, r)
		return
	}
	interval := 30
	if body.AvailabilityViewInterval != nil {
		interval = *body.AvailabilityViewInterval
	}
	if interval < 5 || interval > 1440 {
		badRequest("ErrorInvalidParameter", "The availabilityViewInterval must be between 5 and 1440 minutes.").write(w, r)
		return
	}
	from, _, ge := parseDateTimeTimeZone(body.StartTime)
	if ge != nil {
		ge.write(w, r)
		return
	}
	to, _, ge := parseDateTimeTimeZone(body.EndTime)
	if ge != nil {
		ge.write(w, r)
		return
	}
	if !to.After(from) {
		badRequest("ErrorInvalidTimeInterval", "The time interval is invalid: the end time must be after the start time.").write(w, r)
		return
	}
	s.mu.Lock()
	var value []map[string]any
	for _, addr := range body.Schedules {
		value = append(value, s.scheduleLocked(cs, caller, addr, from, to, time.Duration(interval)*time.Minute, v))
	}
	s.mu.Unlock()
	writeGraphJSON(w, r, http.StatusOK, map[string]any{
		"@odata.context": s.srv.URL + "/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)", "value": value})
}

// scheduleLocked builds the scheduleInformation of one address.
func (s *Server) scheduleLocked(cs *calendarStore, caller User, addr string, from, to time.Time, slot time.Duration, v eventView) map[string]any {
	var owner *User
	for i, u := range s.users {
		if strings.EqualFold(u.Mail, addr) || strings.EqualFold(u.UserPrincipalName, addr) {
			owner = &s.users[i]
			break
		}
	}
	if owner == nil {
		return map[string]any{"scheduleId": addr, "availabilityView": "", "scheduleItems": []any{}, "error": map[string]any{
			"message": "The recipient '" + addr + "' could not be resolved.", "responseCode": "ErrorMailRecipientNotFound"}}
	}
	uc := s.calendarsLocked(cs, *owner)
	own := strings.EqualFold(owner.ObjectID, caller.ObjectID)
	var busy []Event
	for _, ev := range viewInstances(uc, uc.calendars[0].ID, from, to) {
		if ev.IsCancelled || ev.ResponseStatus == "declined" || freeBusyRank[ev.ShowAs] == 0 {
			continue
		}
		busy = append(busy, ev)
	}
	items := []map[string]any{}
	for i := range busy {
		ev := &busy[i]
		item := map[string]any{"isPrivate": ev.Sensitivity == "private", "status": ev.ShowAs,
			"start": dateTimeTimeZoneJSON(ev.Start, v), "end": dateTimeTimeZoneJSON(ev.End, v)}
		if own && ev.Sensitivity != "private" {
			item["subject"] = ev.Subject
			item["location"] = ev.Location.DisplayName
		}
		items = append(items, item)
	}
	var view []byte
	for t := from; t.Before(to); t = t.Add(slot) {
		status := "free"
		for i := range busy {
			if overlaps(busy[i].Start, busy[i].End, t, t.Add(slot)) && freeBusyRank[busy[i].ShowAs] > freeBusyRank[status] {
				status = busy[i].ShowAs
			}
		}
		view = append(view, availabilityDigit[status])
	}
	workZone := "UTC"
	if name, ok := windowsZoneForIANA("Etc/UTC"); ok {
		workZone = name
	}
	return map[string]any{"scheduleId": addr, "availabilityView": string(view), "scheduleItems": items,
		"workingHours": map[string]any{"daysOfWeek": []string{"monday", "tuesday", "wednesday", "thursday", "friday"},
			"startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000", "timeZone": map[string]any{"name": workZone}}}
}
