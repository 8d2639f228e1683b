package googletest

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Calendar is a calendar of a user's calendar list, as the fake holds it:
// the Calendar resource (ID to ConferenceProperties) and the user's
// calendarList entry (SummaryOverride to DefaultReminders). Seed it with
// SeedCalendar.
type Calendar struct {
	// ID is the calendar id: the user's address for the primary
	// calendar, else "…@group.calendar.google.com" (generated when empty).
	ID          string `json:"id,omitempty"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	Location    string `json:"location,omitempty"`
	// TimeZone is an IANA zone name; default: the primary calendar's
	// (UTC for the primary itself).
	TimeZone             string                `json:"timeZone,omitempty"`
	ConferenceProperties *ConferenceProperties `json:"conferenceProperties,omitempty"`

	SummaryOverride  string          `json:"summaryOverride,omitempty"`
	ColorID          string          `json:"colorId,omitempty"`
	BackgroundColor  string          `json:"backgroundColor,omitempty"`
	ForegroundColor  string          `json:"foregroundColor,omitempty"`
	Hidden           bool            `json:"hidden,omitempty"`
	Selected         bool            `json:"selected,omitempty"`
	DefaultReminders []EventReminder `json:"defaultReminders,omitempty"`

	// Primary and ETag are set by the fake.
	Primary bool   `json:"primary,omitempty"`
	ETag    string `json:"etag,omitempty"`
}

// ConferenceProperties are a calendar's conferencing properties.
type ConferenceProperties struct {
	AllowedConferenceSolutionTypes []string `json:"allowedConferenceSolutionTypes,omitempty"`
}

// Event is an event as the Calendar API's Event resource describes it;
// the JSON field names are Google's. SeedEvent stores one; Events and
// Event return copies. Kind, created and updated are added on the wire.
type Event struct {
	// ID is the event id (base32hex: a-v and 0-9, 5 to 1024 characters);
	// generated when empty. An exception's id is the series id, "_" and
	// the original start ("20261026T130000Z" UTC, or "20261026" all-day).
	ID       string `json:"id,omitempty"`
	ETag     string `json:"etag,omitempty"`
	Status   string `json:"status,omitempty"` // confirmed (default), tentative, cancelled
	HTMLLink string `json:"htmlLink,omitempty"`
	// Created and Updated default to the fake's clock.
	Created     time.Time `json:"-"`
	Updated     time.Time `json:"-"`
	Summary     string    `json:"summary,omitempty"`
	Description string    `json:"description,omitempty"`
	Location    string    `json:"location,omitempty"`
	ColorID     string    `json:"colorId,omitempty"`
	// Creator and Organizer default to the calendar's owner (the
	// organizer of an event on a secondary calendar is that calendar).
	Creator            *EventPerson   `json:"creator,omitempty"`
	Organizer          *EventPerson   `json:"organizer,omitempty"`
	Start              *EventDateTime `json:"start,omitempty"`
	End                *EventDateTime `json:"end,omitempty"`
	EndTimeUnspecified bool           `json:"endTimeUnspecified,omitempty"`
	// Recurrence holds RRULE, EXRULE, RDATE and EXDATE lines (RFC 5545).
	Recurrence []string `json:"recurrence,omitempty"`
	// RecurringEventID and OriginalStartTime make the event an instance
	// (an exception when stored) of that series.
	RecurringEventID        string              `json:"recurringEventId,omitempty"`
	OriginalStartTime       *EventDateTime      `json:"originalStartTime,omitempty"`
	Transparency            string              `json:"transparency,omitempty"` // opaque (default), transparent
	Visibility              string              `json:"visibility,omitempty"`
	ICalUID                 string              `json:"iCalUID,omitempty"`
	Sequence                int64               `json:"sequence"`
	Attendees               []EventAttendee     `json:"attendees,omitempty"`
	AttendeesOmitted        bool                `json:"attendeesOmitted,omitempty"`
	ExtendedProperties      *ExtendedProperties `json:"extendedProperties,omitempty"`
	HangoutLink             string              `json:"hangoutLink,omitempty"`
	ConferenceData          *ConferenceData     `json:"conferenceData,omitempty"`
	AnyoneCanAddSelf        bool                `json:"anyoneCanAddSelf,omitempty"`
	GuestsCanInviteOthers   *bool               `json:"guestsCanInviteOthers,omitempty"`
	GuestsCanModify         bool                `json:"guestsCanModify,omitempty"`
	GuestsCanSeeOtherGuests *bool               `json:"guestsCanSeeOtherGuests,omitempty"`
	PrivateCopy             bool                `json:"privateCopy,omitempty"`
	Locked                  bool                `json:"locked,omitempty"`
	Reminders               *EventReminders     `json:"reminders,omitempty"`
	Source                  *EventSource        `json:"source,omitempty"`
	EventType               string              `json:"eventType,omitempty"` // default, outOfOffice, focusTime, workingLocation

	changed uint64 // the store's change number of the last write
	ord     uint64 // insertion order
}

// EventDateTime is an event's start, end or original start: Date
// ("2026-10-19") for an all-day event, whose end date is exclusive, else
// DateTime (RFC 3339; without an offset it is read in TimeZone). TimeZone
// is an IANA name, required for a recurring series: its recurrence is
// expanded in that zone.
type EventDateTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// EventPerson is an event's creator or organizer. Self is computed.
type EventPerson struct {
	ID          string `json:"id,omitempty"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Self        bool   `json:"self,omitempty"`
}

// EventAttendee is an attendee. Organizer and Self are computed;
// ResponseStatus is needsAction (default), declined, tentative or
// accepted.
type EventAttendee struct {
	ID               string `json:"id,omitempty"`
	Email            string `json:"email,omitempty"`
	DisplayName      string `json:"displayName,omitempty"`
	Organizer        bool   `json:"organizer,omitempty"`
	Self             bool   `json:"self,omitempty"`
	Resource         bool   `json:"resource,omitempty"`
	Optional         bool   `json:"optional,omitempty"`
	ResponseStatus   string `json:"responseStatus,omitempty"`
	Comment          string `json:"comment,omitempty"`
	AdditionalGuests int    `json:"additionalGuests,omitempty"`
}

// EventReminders are an event's reminders: the calendar's defaults, or
// up to five overrides.
type EventReminders struct {
	UseDefault bool            `json:"useDefault"`
	Overrides  []EventReminder `json:"overrides,omitempty"`
}

// EventReminder is one reminder: method email or popup, minutes before
// the start (0 to 40320).
type EventReminder struct {
	Method  string `json:"method"`
	Minutes int    `json:"minutes"`
}

// ExtendedProperties are an event's private and shared properties.
type ExtendedProperties struct {
	Private map[string]string `json:"private,omitempty"`
	Shared  map[string]string `json:"shared,omitempty"`
}

// EventSource is the page or message an event was created from.
type EventSource struct {
	URL   string `json:"url,omitempty"`
	Title string `json:"title,omitempty"`
}

// ConferenceData is an event's conference (Google Meet). With a
// CreateRequest, SeedEvent and events.insert with conferenceDataVersion=1
// create the conference.
type ConferenceData struct {
	ConferenceID       string                   `json:"conferenceId,omitempty"`
	ConferenceSolution *ConferenceSolution      `json:"conferenceSolution,omitempty"`
	CreateRequest      *CreateConferenceRequest `json:"createRequest,omitempty"`
	EntryPoints        []EntryPoint             `json:"entryPoints,omitempty"`
	Notes              string                   `json:"notes,omitempty"`
	Signature          string                   `json:"signature,omitempty"`
}

// ConferenceSolution is the conference product, e.g. Google Meet.
type ConferenceSolution struct {
	Key     ConferenceSolutionKey `json:"key"`
	Name    string                `json:"name,omitempty"`
	IconURI string                `json:"iconUri,omitempty"`
}

// ConferenceSolutionKey names a solution type: hangoutsMeet, addOn ...
type ConferenceSolutionKey struct {
	Type string `json:"type"`
}

// CreateConferenceRequest asks for a new conference.
type CreateConferenceRequest struct {
	RequestID             string                   `json:"requestId,omitempty"`
	ConferenceSolutionKey *ConferenceSolutionKey   `json:"conferenceSolutionKey,omitempty"`
	Status                *ConferenceRequestStatus `json:"status,omitempty"`
}

// ConferenceRequestStatus is pending, success or failure.
type ConferenceRequestStatus struct {
	StatusCode string `json:"statusCode"`
}

// EntryPoint is one way to join a conference (video, phone, sip, more).
type EntryPoint struct {
	EntryPointType string `json:"entryPointType,omitempty"`
	URI            string `json:"uri,omitempty"`
	Label          string `json:"label,omitempty"`
	Pin            string `json:"pin,omitempty"`
	AccessCode     string `json:"accessCode,omitempty"`
	MeetingCode    string `json:"meetingCode,omitempty"`
	Passcode       string `json:"passcode,omitempty"`
	Password       string `json:"password,omitempty"`
	RegionCode     string `json:"regionCode,omitempty"`
}

// calStore is one user's (or service account's) calendars. Guarded by
// Server.mu.
type calStore struct {
	email string // the owner's address: the primary calendar's id
	name  string
	seq   uint64 // the last change number
	n     int    // id counter
	cals  []*calEntry
}

// calEntry is one calendar and its events.
type calEntry struct {
	cal     Calendar
	loc     *time.Location
	deleted bool
	changed uint64
	updated time.Time
	events  map[string]*Event
	order   []string // event ids in insertion order
}

// calendarAPI is the fake's Calendar API: the handler of /calendar/v3/
// and every user's calendar data (guarded by Server.mu). Server methods
// find it through the mux, where calendarRoutes registered it.
type calendarAPI struct {
	s      *Server
	mux    *http.ServeMux
	stores map[string]*calStore // by user subject, or "sa:" and a service account's address
	epoch  int                  // bumped by ExpireSyncTokens
}

// calendarRoutes adds the Calendar API (www.googleapis.com/calendar/v3)
// to mux, as one subtree handler that routes inside.
func (s *Server) calendarRoutes(mux *http.ServeMux) {
	api := &calendarAPI{s: s, mux: http.NewServeMux(), stores: make(map[string]*calStore)}
	api.routes()
	s.calAPI = api
	mux.Handle("/calendar/v3/", api)
}

// ServeHTTP routes a Calendar API request.
func (api *calendarAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) { api.mux.ServeHTTP(w, r) }

// calendarAPI returns the server's Calendar API.
func (s *Server) calendarAPI() (*calendarAPI, error) {
	api := s.calAPI
	if api == nil {
		return nil, errors.New("googletest: the Calendar API is not mounted")
	}
	return api, nil
}

// userStoreLocked returns the calendars of the user with this email or
// subject.
func (s *Server) userStoreLocked(api *calendarAPI, emailOrSubject string) (*calStore, error) {
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return nil, fmt.Errorf("googletest: no such user %q", emailOrSubject)
	}
	return api.storeLocked(u.Subject, u.Email, u.Name), nil
}

// storeLocked returns the store by key, creating it with its primary
// calendar on first use.
func (api *calendarAPI) storeLocked(key, email, name string) *calStore {
	st := api.stores[key]
	if st == nil {
		st = &calStore{email: email, name: name}
		now := api.s.opts.Now()
		primary := &calEntry{
			cal: Calendar{
				ID: email, Summary: email, TimeZone: "UTC", Primary: true, Selected: true,
				ColorID: "14", BackgroundColor: "#9fe1e7", ForegroundColor: "#000000",
				DefaultReminders:     []EventReminder{{Method: "popup", Minutes: 10}},
				ConferenceProperties: &ConferenceProperties{AllowedConferenceSolutionTypes: []string{"hangoutsMeet"}},
			},
			loc: time.UTC, updated: now, events: make(map[string]*Event),
		}
		st.touchCalendar(primary, now)
		st.cals = append(st.cals, primary)
		api.stores[key] = st
	}
	return st
}

// principalStoreLocked returns the store of a request's principal.
func (api *calendarAPI) principalStoreLocked(p Principal) *calStore {
	if p.User == nil {
		return api.storeLocked("sa:"+p.ServiceAccount, p.ServiceAccount, "")
	}
	if u := api.s.userLocked(p.User.Subject); u != nil {
		return api.storeLocked(u.Subject, u.Email, u.Name)
	}
	return api.storeLocked(p.User.Subject, p.User.Email, p.User.Name)
}

func (st *calStore) bump() uint64 {
	st.seq++
	return st.seq
}

// etagOf renders a change number as a quoted etag shaped like Google's.
func etagOf(seq uint64) string {
	return fmt.Sprintf(`"%d"`, 3_100_000_000_000_000+seq*1000)
}

func (st *calStore) touchCalendar(c *calEntry, now time.Time) {
	c.changed = st.bump()
	c.cal.ETag = etagOf(c.changed)
	c.updated = now
}

// calendarLocked resolves a calendar id ("primary" or an id,
// case-insensitive); nil when unknown or deleted.
func (st *calStore) calendarLocked(id string) *calEntry {
	if id == "primary" {
		id = st.email
	}
	for _, c := range st.cals {
		if strings.EqualFold(c.cal.ID, id) && !c.deleted {
			return c
		}
	}
	return nil
}

// newID derives a stable id in base32hex (Calendar's event id alphabet).
func (st *calStore) newID(kind string) string {
	st.n++
	sum := sha256.Sum256([]byte(st.email + "/" + kind + "/" + fmt.Sprint(st.n)))
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// addCalendarLocked creates a secondary calendar.
func (st *calStore) addCalendarLocked(c Calendar, now time.Time) (*calEntry, *calErr) {
	if strings.TrimSpace(c.Summary) == "" {
		return nil, errRequired("Missing title.")
	}
	if c.ID == "" {
		sum := sha256.Sum256([]byte(st.email + "/calendar/" + fmt.Sprint(st.n+1)))
		st.n++
		c.ID = "c_" + hex.EncodeToString(sum[:16]) + "@group.calendar.google.com"
	}
	for _, o := range st.cals {
		if strings.EqualFold(o.cal.ID, c.ID) {
			return nil, &calErr{code: http.StatusConflict, reason: "duplicate", msg: "The requested identifier already exists."}
		}
	}
	if c.TimeZone == "" {
		c.TimeZone = st.cals[0].cal.TimeZone
	}
	loc, ok := loadZone(c.TimeZone)
	if !ok {
		return nil, errInvalid("Invalid time zone definition.")
	}
	c.Primary = false
	if c.ColorID == "" && c.BackgroundColor == "" {
		c.ColorID, c.BackgroundColor, c.ForegroundColor = "1", "#ac725e", "#000000"
	}
	if c.ConferenceProperties == nil {
		c.ConferenceProperties = &ConferenceProperties{AllowedConferenceSolutionTypes: []string{"hangoutsMeet"}}
	}
	c.Selected = true
	e := &calEntry{cal: c, loc: loc, events: make(map[string]*Event)}
	st.touchCalendar(e, now)
	st.cals = append(st.cals, e)
	return e, nil
}

// SeedCalendar adds a secondary calendar to the calendar list of the
// user with this email or subject and returns it as stored. An ID of
// "primary" or the user's address changes the primary calendar instead
// (its non-zero fields: e.g. TimeZone).
func (s *Server) SeedCalendar(emailOrSubject string, c Calendar) (Calendar, error) {
	api, err := s.calendarAPI()
	if err != nil {
		return Calendar{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.userStoreLocked(api, emailOrSubject)
	if err != nil {
		return Calendar{}, err
	}
	now := s.opts.Now()
	if c.ID == "primary" || strings.EqualFold(c.ID, st.email) {
		p := st.cals[0]
		merged := p.cal
		b, _ := json.Marshal(c)
		_ = json.Unmarshal(b, &merged)
		merged.ID, merged.Primary = p.cal.ID, true
		loc, ok := loadZone(merged.TimeZone)
		if !ok {
			return Calendar{}, fmt.Errorf("googletest: SeedCalendar: unknown time zone %q", merged.TimeZone)
		}
		p.cal, p.loc = merged, loc
		st.touchCalendar(p, now)
		return p.cal, nil
	}
	e, cerr := st.addCalendarLocked(c, now)
	if cerr != nil {
		return Calendar{}, fmt.Errorf("googletest: SeedCalendar: %s", cerr.msg)
	}
	return e.cal, nil
}

// Calendars returns the calendars of the user with this email or
// subject, the primary first (deleted ones left out).
func (s *Server) Calendars(emailOrSubject string) []Calendar {
	api, err := s.calendarAPI()
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.userStoreLocked(api, emailOrSubject)
	if err != nil {
		return nil
	}
	var out []Calendar
	for _, c := range st.cals {
		if !c.deleted {
			out = append(out, c.cal)
		}
	}
	return out
}

// SeedEvent adds an event to a calendar ("" or "primary": the primary)
// of the user with this email or subject, validated as events.insert
// does, and returns it as stored. An event with RecurringEventID and
// OriginalStartTime is an exception of that series: the occurrence with
// the event's non-zero fields applied (moved, retitled ...), or with
// Status "cancelled" a cancelled occurrence. A ConferenceData with a
// CreateRequest gets a Google Meet conference; a HangoutLink alone gets
// conference data for that link.
func (s *Server) SeedEvent(emailOrSubject, calendarID string, e Event) (Event, error) {
	api, err := s.calendarAPI()
	if err != nil {
		return Event{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.userStoreLocked(api, emailOrSubject)
	if err != nil {
		return Event{}, err
	}
	if calendarID == "" {
		calendarID = "primary"
	}
	c := st.calendarLocked(calendarID)
	if c == nil {
		return Event{}, fmt.Errorf("googletest: SeedEvent: no calendar %q", calendarID)
	}
	now := s.opts.Now()
	var stored *Event
	var cerr *calErr
	if e.RecurringEventID != "" {
		stored, cerr = st.seedExceptionLocked(c, e, now)
	} else {
		stored, cerr = st.insertEventLocked(c, &e, 1, true, now)
	}
	if cerr != nil {
		return Event{}, fmt.Errorf("googletest: SeedEvent: %s", cerr.msg)
	}
	return *stored.clone(), nil
}

// seedExceptionLocked stores an exception: the occurrence of the series
// with e's non-zero fields applied.
func (st *calStore) seedExceptionLocked(c *calEntry, e Event, now time.Time) (*Event, *calErr) {
	if e.OriginalStartTime == nil {
		return nil, errRequired("Missing originalStartTime.")
	}
	master := c.events[e.RecurringEventID]
	if master == nil || len(master.Recurrence) == 0 {
		return nil, errNotFound()
	}
	sr, cerr := parseSeries(master, c.loc)
	if cerr != nil {
		return nil, cerr
	}
	orig, cerr := sr.parseOriginal(e.OriginalStartTime)
	if cerr != nil {
		return nil, cerr
	}
	id := master.ID + "_" + sr.suffix(orig)
	if !sr.isOccurrence(orig) {
		return nil, errNotFound()
	}
	if c.events[id] != nil {
		return nil, &calErr{code: http.StatusConflict, reason: "duplicate", msg: "The requested identifier already exists."}
	}
	base := sr.instance(master, orig)
	overlay, _ := json.Marshal(e)
	var patch map[string]json.RawMessage
	_ = json.Unmarshal(overlay, &patch)
	delete(patch, "sequence")
	delete(patch, "id")
	delete(patch, "recurringEventId")
	delete(patch, "originalStartTime")
	next, cerr := mergeEvent(base, patch)
	if cerr != nil {
		return nil, cerr
	}
	next.Created, next.Updated = e.Created, e.Updated
	return st.storeInstanceLocked(c, master, base, next, 1, now)
}

// Events returns copies of the events stored on a calendar ("" or
// "primary": the primary) of the user with this email or subject, in
// insertion order: single events, series and their exceptions, deleted
// ones (status cancelled) included. Series are not expanded.
func (s *Server) Events(emailOrSubject, calendarID string) []Event {
	api, err := s.calendarAPI()
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.userStoreLocked(api, emailOrSubject)
	if err != nil {
		return nil
	}
	if calendarID == "" {
		calendarID = "primary"
	}
	c := st.calendarLocked(calendarID)
	if c == nil {
		return nil
	}
	out := make([]Event, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, *c.events[id].clone())
	}
	return out
}

// Event returns a copy of one stored event (a single event, a series or
// an exception) by id.
func (s *Server) Event(emailOrSubject, calendarID, eventID string) (Event, bool) {
	for _, e := range s.Events(emailOrSubject, calendarID) {
		if e.ID == eventID {
			return e, true
		}
	}
	return Event{}, false
}

// ExpireSyncTokens invalidates every sync token issued so far (events
// and calendar lists of all users): a list with one answers 410 GONE
// fullSyncRequired, as Google does when a client must sync again in full.
func (s *Server) ExpireSyncTokens() {
	api, err := s.calendarAPI()
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	api.epoch++
}

// clone deep-copies an event.
func (e *Event) clone() *Event {
	b, _ := json.Marshal(e)
	c := &Event{}
	_ = json.Unmarshal(b, c)
	c.Created, c.Updated, c.changed, c.ord = e.Created, e.Updated, e.changed, e.ord
	return c
}

// calErr is a Calendar API error answer.
type calErr struct {
	code                  int
	domain, reason, msg   string
	locationType, locName string
}

func (e *calErr) Error() string { return e.msg }

func errInvalid(msg string) *calErr {
	return &calErr{code: http.StatusBadRequest, reason: "invalid", msg: msg}
}

func errRequired(msg string) *calErr {
	return &calErr{code: http.StatusBadRequest, reason: "required", msg: msg}
}

func errBadRequest() *calErr {
	return &calErr{code: http.StatusBadRequest, reason: "badRequest", msg: "Bad Request"}
}

func errNotFound() *calErr {
	return &calErr{code: http.StatusNotFound, reason: "notFound", msg: "Not Found"}
}

func errTimeRangeEmpty(location string) *calErr {
	e := &calErr{code: http.StatusBadRequest, domain: "calendar", reason: "timeRangeEmpty", msg: "The specified time range is empty."}
	if location != "" {
		e.locationType, e.locName = "parameter", location
	}
	return e
}

// writeCalError writes a Calendar API error in the format of Google's
// Calendar errors guide (domain global unless given, optional
// locationType and location).
func writeCalError(w http.ResponseWriter, e *calErr) {
	domain := e.domain
	if domain == "" {
		domain = "global"
	}
	item := map[string]any{"domain": domain, "reason": e.reason, "message": e.msg}
	if e.locationType != "" {
		item["locationType"], item["location"] = e.locationType, e.locName
	}
	writeJSON(w, e.code, map[string]any{"error": map[string]any{
		"errors": []any{item}, "code": e.code, "message": e.msg,
	}})
}

func loadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

var validEventTypes = []string{"default", "outOfOffice", "focusTime", "workingLocation"}

var responseStatuses = []string{"needsAction", "declined", "tentative", "accepted"}

func validEnum(v string, allowed ...string) bool { return v == "" || slices.Contains(allowed, v) }
