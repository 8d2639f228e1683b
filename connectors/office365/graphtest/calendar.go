package graphtest

// Calendar (calendar*.go): Microsoft Graph v1.0 calendars and events for
// delegated tokens (Calendars.Read, Calendars.ReadWrite), with the
// documented wire shapes:
//
//   - GET /me/calendars ($top, $skip), GET /me/calendar (the default),
//     GET, PATCH, DELETE /me/calendars/{id}, POST /me/calendars (201; 409
//     ErrorFolderExists for a taken name; the default calendar cannot be
//     deleted);
//   - GET /me/events, /me/calendar/events and /me/calendars/{id}/events:
//     single instances and series masters, with $select, $top, $skip
//     (@odata.nextLink), $orderby and a $filter subset (start/dateTime and
//     end/dateTime comparisons, subject eq, contains(subject,..), type eq,
//     iCalUId eq, isAllDay eq, isCancelled eq, categories/any);
//     POST to the same collections (201); GET, PATCH, DELETE
//     /me/events/{id} (also under /me/calendar and /me/calendars/{id}),
//     where PATCH and DELETE honour If-Match against @odata.etag
//     (W/"changeKey") and answer 412 ErrorIrresolvableConflict;
//   - GET /me/calendarView, /me/calendar/calendarView and
//     /me/calendars/{id}/calendarView with the required startDateTime and
//     endDateTime (400 ErrorInvalidParameter without them): series masters
//     expand (rrule-go) into occurrences and exceptions in the series' time
//     zone, so a weekly 09:00 "Eastern Standard Time" series stays at 09:00
//     local across a DST change; cancelled occurrences are left out;
//     GET /me/events/{id}/instances likewise for one series. Occurrence ids
//     are opaque and distinct from the master's; occurrences carry
//     seriesMasterId and originalStart. PATCH on an occurrence makes it an
//     exception; DELETE on one cancels it;
//   - start and end come back in UTC, or in the zone of
//     Prefer: outlook.timezone="..." (Windows or IANA names; unknown ones
//     answer 400 TimeZoneNotSupportedException), with seven fractional
//     digits and no offset; events keep the time zones they were created
//     with (originalStartTimeZone, originalEndTimeZone);
//   - validation as Graph answers it: an unknown time zone (400
//     TimeZoneNotSupportedException), an end before the start, an all-day
//     event not at midnight or a malformed recurrence (400
//     ErrorPropertyValidationFailure), an unknown enum value (400
//     RequestBodyRead);
//   - POST /me/events/{id}/accept, /decline and /tentativelyAccept
//     ({comment, sendResponse}) answer 202 and set responseStatus; the
//     organizer cannot answer (400 ErrorInvalidRequest);
//   - isOnlineMeeting (or an onlineMeetingProvider) on create fills
//     onlineMeeting.joinUrl (a Teams link for teamsForBusiness);
//   - GET /me/calendarView/delta and /me/calendars/{id}/calendarView/delta:
//     Prefer: odata.maxpagesize, @odata.nextLink with $skiptoken, a last page
//     with @odata.deltaLink and $deltatoken; later rounds bring new and
//     changed events, occurrences and exceptions, and removed ones as
//     {"@odata.type","id","@removed":{"reason":"deleted"}}; unknown or
//     expired tokens (ExpireCalendarDeltaTokens) answer 410
//     syncStateNotFound;
//   - POST /me/calendar/getSchedule {schedules, startTime, endTime,
//     availabilityViewInterval}: availabilityView, scheduleItems and
//     workingHours for users of the fake (subject and location only for the
//     caller's own schedule), a freeBusyError for other addresses.
//
// Calendars are seeded with SeedCalendar and SeedEvent (SeedOccurrenceChange
// and CancelOccurrence for exceptions), changed with ChangeEvent and
// DeleteEvent, and read back with Calendars, Events and DefaultCalendarID.
//
// Windows time zone names map to IANA names with the CLDR table of package
// unified/calendar (windowszones.go).

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	// The fake resolves IANA zones without depending on the host's
	// zoneinfo files.
	_ "time/tzdata"
)

// Calendar is a calendar of a fake mailbox.
type Calendar struct {
	// ID is assigned when empty.
	ID   string
	Name string
	// Color is a calendarColor (auto, lightBlue, lightGreen ...); default
	// auto.
	Color    string
	HexColor string
	// IsDefault is set by the fake: true for the user's default calendar.
	IsDefault bool
	// AllowedOnlineMeetingProviders default to [teamsForBusiness].
	AllowedOnlineMeetingProviders []string
	// DefaultOnlineMeetingProvider defaults to teamsForBusiness.
	DefaultOnlineMeetingProvider string
	// Owner defaults to the mailbox user.
	Owner     Recipient
	changeKey string
}

// PhysicalAddress is the address of a location.
type PhysicalAddress struct {
	Street, City, State, CountryOrRegion, PostalCode string
}

// Location is where an event takes place.
type Location struct {
	DisplayName string
	// LocationType is a locationType (default, conferenceRoom,
	// homeAddress, businessAddress ...); default "default".
	LocationType string
	Address      *PhysicalAddress
}

// Attendee is an attendee of an event.
type Attendee struct {
	// Type is required (default), optional or resource.
	Type    string
	Name    string
	Address string
	// Response is none (default), organizer, tentativelyAccepted,
	// accepted, declined or notResponded.
	Response     string
	ResponseTime time.Time
}

// OnlineMeeting is the join information of an online meeting.
type OnlineMeeting struct {
	JoinURL      string
	ConferenceID string
	TollNumber   string
}

// RecurrencePattern is Graph's recurrencePattern.
type RecurrencePattern struct {
	// Type is daily, weekly, absoluteMonthly, relativeMonthly,
	// absoluteYearly or relativeYearly.
	Type string
	// Interval defaults to 1.
	Interval   int
	Month      int
	DayOfMonth int
	// DaysOfWeek are lower-case day names ("monday").
	DaysOfWeek []string
	// FirstDayOfWeek defaults to sunday.
	FirstDayOfWeek string
	// Index is first (default), second, third, fourth or last.
	Index string
}

// RecurrenceRange is Graph's recurrenceRange. Dates are "2006-01-02".
type RecurrenceRange struct {
	// Type is endDate, noEnd or numbered.
	Type      string
	StartDate string
	EndDate   string
	// RecurrenceTimeZone defaults to the event's start time zone.
	RecurrenceTimeZone  string
	NumberOfOccurrences int
}

// Recurrence is Graph's patternedRecurrence.
type Recurrence struct {
	Pattern RecurrencePattern
	Range   RecurrenceRange
}

// Event is an event of a fake calendar: a single instance or a series
// master as seeded and listed, or an occurrence or exception as the fake
// expands it.
type Event struct {
	// ID is assigned when empty.
	ID string
	// CalendarID is set by the fake.
	CalendarID string
	// Type is set by the fake: singleInstance, seriesMaster, occurrence or
	// exception.
	Type string
	// SeriesMasterID and OriginalStart are set on occurrences and
	// exceptions.
	SeriesMasterID string
	OriginalStart  time.Time

	Subject    string
	Body       string
	BodyIsHTML bool
	// Start and End are instants; TimeZone (a Windows name such as
	// "Eastern Standard Time" or an IANA name; default "UTC") is the zone
	// the event was created in, in which a series recurs. EndTimeZone
	// defaults to TimeZone. An all-day event starts and ends at midnight
	// in its zone.
	Start, End  time.Time
	TimeZone    string
	EndTimeZone string
	IsAllDay    bool
	Location    Location
	// Locations default to [Location] when Location has a name.
	Locations []Location
	Attendees []Attendee
	// Organizer defaults to the mailbox user.
	Organizer  Recipient
	Categories []string
	// Importance is low, normal (default) or high.
	Importance string
	// Sensitivity is normal (default), personal, private or confidential.
	Sensitivity string
	// ShowAs is free, tentative, busy (default), oof, workingElsewhere or
	// unknown.
	ShowAs string
	// IsReminderOn, ReminderMinutesBeforeStart and ResponseRequested are
	// stored as seeded; POST defaults them to true, 15 and true as Graph
	// does.
	IsReminderOn               bool
	ReminderMinutesBeforeStart int
	ResponseRequested          bool
	// ResponseStatus is the mailbox user's response; default organizer
	// when the user organizes the event, else notResponded.
	ResponseStatus string
	ResponseTime   time.Time
	// IsCancelled marks a meeting the organizer cancelled.
	IsCancelled bool
	// IsOnlineMeeting with OnlineMeetingProvider teamsForBusiness (the
	// default) gets an OnlineMeeting with a Teams join URL when it has
	// none.
	IsOnlineMeeting       bool
	OnlineMeetingProvider string
	OnlineMeeting         *OnlineMeeting
	Recurrence            *Recurrence
	// ICalUID is assigned when empty.
	ICalUID string
	// CreatedAt defaults to now.
	CreatedAt time.Time

	changeKey    string
	lastModified time.Time
	uid          string // the series' iCalUId
}

// calEvent is a stored single instance or series master with the
// occurrences it overrides.
type calEvent struct {
	ev        Event
	overrides map[int64]*occOverride // by original start (Unix seconds)
}

// occOverride is a cancelled occurrence or an exception.
type occOverride struct {
	cancelled bool
	ev        Event
}

// userCalendars is one user's calendars.
type userCalendars struct {
	calendars []*Calendar // the default first
	events    map[string]*calEvent
}

// calendarStore holds every user's calendars and the delta rounds.
type calendarStore struct {
	users  map[string]*userCalendars
	deltas map[string]*calDelta
}

// calStore returns the server's calendar store, nil when calendarRoutes
// was not called.
func (s *Server) calStore() *calendarStore { return s.cal }

var errNoCalendarRoutes = errors.New("graphtest: calendar routes are not registered")

// calendarsLocked returns (creating, with a default calendar) the user's
// calendars.
func (s *Server) calendarsLocked(cs *calendarStore, u User) *userCalendars {
	oid := strings.ToLower(u.ObjectID)
	uc := cs.users[oid]
	if uc == nil {
		uc = &userCalendars{events: make(map[string]*calEvent)}
		def := &Calendar{ID: newGraphID("AAMkAGCal"), Name: "Calendar", IsDefault: true}
		fillCalendar(def, u)
		uc.calendars = append(uc.calendars, def)
		cs.users[oid] = uc
	}
	return uc
}

func userAddress(u User) string {
	if u.Mail != "" {
		return u.Mail
	}
	return u.UserPrincipalName
}

func fillCalendar(c *Calendar, u User) {
	if c.Color == "" {
		c.Color = "auto"
	}
	if c.AllowedOnlineMeetingProviders == nil {
		c.AllowedOnlineMeetingProviders = []string{"teamsForBusiness"}
	}
	if c.DefaultOnlineMeetingProvider == "" {
		c.DefaultOnlineMeetingProvider = "teamsForBusiness"
	}
	if c.Owner.Address == "" {
		c.Owner = Recipient{Name: u.DisplayName, Address: userAddress(u)}
	}
	c.changeKey = newChangeKey()
}

func (uc *userCalendars) calendar(id string) *Calendar {
	for _, c := range uc.calendars {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func newChangeKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// newICalUID returns an Exchange-style global object id with a zero
// instance date.
func newICalUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "040000008200E00074C5B7101A82E00800000000" + strings.ToUpper(hex.EncodeToString(b))
}

// occurrenceICalUID puts the occurrence's date into the series' id, as
// Exchange does, so that each occurrence has its own iCalUId.
func occurrenceICalUID(series string, originalStart time.Time) string {
	if len(series) < 40 {
		return series
	}
	y, m, d := originalStart.UTC().Date()
	return series[:32] + fmt.Sprintf("%04X%02X%02X", y, int(m), d) + series[40:]
}

// occurrence ids are the master id and the original start, encoded.
const occurrencePrefix = "AAMkAGOcc"

func occurrenceID(masterID string, originalStart time.Time) string {
	return occurrencePrefix + base64.RawURLEncoding.EncodeToString([]byte(masterID+"|"+originalStart.UTC().Format("20060102T150405Z")))
}

func parseOccurrenceID(id string) (masterID string, originalStart time.Time, ok bool) {
	rest, ok := strings.CutPrefix(id, occurrencePrefix)
	if !ok {
		return "", time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return "", time.Time{}, false
	}
	i := strings.LastIndexByte(string(raw), '|')
	if i < 0 {
		return "", time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", string(raw[i+1:]))
	if err != nil {
		return "", time.Time{}, false
	}
	return string(raw[:i]), t, true
}

// cloneEvent copies an event with its slices.
func cloneEvent(e Event) Event {
	e.Locations = slices.Clone(e.Locations)
	e.Attendees = slices.Clone(e.Attendees)
	e.Categories = slices.Clone(e.Categories)
	if e.Location.Address != nil {
		a := *e.Location.Address
		e.Location.Address = &a
	}
	if e.OnlineMeeting != nil {
		m := *e.OnlineMeeting
		e.OnlineMeeting = &m
	}
	if e.Recurrence != nil {
		r := *e.Recurrence
		r.Pattern.DaysOfWeek = slices.Clone(r.Pattern.DaysOfWeek)
		e.Recurrence = &r
	}
	return e
}

func cloneCalendar(c Calendar) Calendar {
	c.AllowedOnlineMeetingProviders = slices.Clone(c.AllowedOnlineMeetingProviders)
	return c
}

// isOrganizer reports whether the mailbox user organizes the event.
func isOrganizer(u User, e *Event) bool {
	a := e.Organizer.Address
	return a == "" || strings.EqualFold(a, u.Mail) || strings.EqualFold(a, u.UserPrincipalName)
}

// fillEvent applies the defaults of a new event.
func (s *Server) fillEvent(u User, e *Event) {
	now := s.opts.Now().UTC()
	if e.ID == "" {
		e.ID = newGraphID("AAMkAGEvt")
	}
	if e.TimeZone == "" {
		e.TimeZone = "UTC"
	}
	if e.EndTimeZone == "" {
		e.EndTimeZone = e.TimeZone
	}
	if e.Importance == "" {
		e.Importance = "normal"
	}
	if e.Sensitivity == "" {
		e.Sensitivity = "normal"
	}
	if e.ShowAs == "" {
		e.ShowAs = "busy"
	}
	if e.Organizer.Address == "" {
		e.Organizer = Recipient{Name: u.DisplayName, Address: userAddress(u)}
	}
	if e.ResponseStatus == "" {
		e.ResponseStatus = "notResponded"
		if isOrganizer(u, e) {
			e.ResponseStatus = "organizer"
		}
	}
	if e.Location.LocationType == "" {
		e.Location.LocationType = "default"
	}
	if e.Locations == nil && e.Location.DisplayName != "" {
		e.Locations = []Location{e.Location}
	}
	for i := range e.Attendees {
		if e.Attendees[i].Type == "" {
			e.Attendees[i].Type = "required"
		}
		if e.Attendees[i].Response == "" {
			e.Attendees[i].Response = "none"
		}
	}
	if e.Recurrence != nil {
		fillRecurrence(e.Recurrence, e)
	}
	s.fillOnlineMeeting(u, e)
	if e.ICalUID == "" {
		e.ICalUID = newICalUID()
	}
	e.uid = e.ICalUID
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	e.CreatedAt = e.CreatedAt.UTC()
	e.Type = "singleInstance"
	if e.Recurrence != nil {
		e.Type = "seriesMaster"
	}
	e.SeriesMasterID, e.OriginalStart = "", time.Time{}
	touchEvent(e, now)
}

func touchEvent(e *Event, now time.Time) {
	e.changeKey = newChangeKey()
	e.lastModified = now.UTC()
}

// fillRecurrence applies Graph's recurrence defaults.
func fillRecurrence(r *Recurrence, e *Event) {
	if r.Pattern.Interval == 0 {
		r.Pattern.Interval = 1
	}
	if r.Pattern.FirstDayOfWeek == "" {
		r.Pattern.FirstDayOfWeek = "sunday"
	}
	if r.Pattern.Index == "" {
		r.Pattern.Index = "first"
	}
	if r.Pattern.DaysOfWeek == nil {
		r.Pattern.DaysOfWeek = []string{}
	}
	if r.Range.RecurrenceTimeZone == "" {
		r.Range.RecurrenceTimeZone = e.TimeZone
	}
	if r.Range.StartDate == "" {
		if loc, ok := loadZone(r.Range.RecurrenceTimeZone); ok {
			r.Range.StartDate = e.Start.In(loc).Format(time.DateOnly)
		}
	}
	if r.Range.EndDate == "" {
		r.Range.EndDate = "0001-01-01"
	}
}

// fillOnlineMeeting turns an event with isOnlineMeeting or a provider
// into an online meeting, as Graph initializes onlineMeeting.
func (s *Server) fillOnlineMeeting(u User, e *Event) {
	provider := e.OnlineMeetingProvider
	if !e.IsOnlineMeeting && (provider == "" || provider == "unknown") {
		if provider == "" {
			e.OnlineMeetingProvider = "unknown"
		}
		return
	}
	if provider == "" || provider == "unknown" {
		provider = "teamsForBusiness"
	}
	e.IsOnlineMeeting, e.OnlineMeetingProvider = true, provider
	if e.OnlineMeeting != nil {
		return
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	n := make([]byte, 4)
	_, _ = rand.Read(n)
	conf := fmt.Sprintf("%09d", (uint32(n[0])<<24|uint32(n[1])<<16|uint32(n[2])<<8|uint32(n[3]))%1000000000)
	switch provider {
	case "teamsForBusiness":
		ctx := url.QueryEscape(`{"Tid":"` + u.TenantID + `","Oid":"` + u.ObjectID + `"}`)
		e.OnlineMeeting = &OnlineMeeting{JoinURL: "https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + base64.RawURLEncoding.EncodeToString(b) +
			"%40thread.v2/0?context=" + ctx, ConferenceID: conf}
	default:
		e.OnlineMeeting = &OnlineMeeting{JoinURL: "https://join.skype.com/" + base64.RawURLEncoding.EncodeToString(b), ConferenceID: conf}
	}
}

// seedUser resolves the user and store of a seeding call.
func (s *Server) seedUserLocked(fn, oid string) (*calendarStore, User, error) {
	cs := s.calStore()
	if cs == nil {
		return nil, User{}, errNoCalendarRoutes
	}
	u, ok := s.userLocked(oid)
	if !ok {
		return nil, User{}, fmt.Errorf("graphtest: %s: no user %q", fn, oid)
	}
	return cs, u, nil
}

// SeedCalendar adds a calendar (not the default one, which every user
// has) to the user oid and returns it with its id filled in.
func (s *Server) SeedCalendar(oid string, c Calendar) (Calendar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("SeedCalendar", oid)
	if err != nil {
		return Calendar{}, err
	}
	uc := s.calendarsLocked(cs, u)
	if c.Name == "" {
		return Calendar{}, errors.New("graphtest: SeedCalendar: a calendar needs a Name")
	}
	if c.ID == "" {
		c.ID = newGraphID("AAMkAGCal")
	}
	for _, o := range uc.calendars {
		if o.ID == c.ID || strings.EqualFold(o.Name, c.Name) {
			return Calendar{}, fmt.Errorf("graphtest: SeedCalendar: calendar %q exists", c.Name)
		}
	}
	c.IsDefault = false
	fillCalendar(&c, u)
	stored := cloneCalendar(c)
	uc.calendars = append(uc.calendars, &stored)
	return cloneCalendar(stored), nil
}

// Calendars returns the user's calendars, the default first.
func (s *Server) Calendars(oid string) []Calendar {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("Calendars", oid)
	if err != nil {
		return nil
	}
	var out []Calendar
	for _, c := range s.calendarsLocked(cs, u).calendars {
		out = append(out, cloneCalendar(*c))
	}
	return out
}

// DefaultCalendarID returns the id of the user's default calendar; "" for
// an unknown user.
func (s *Server) DefaultCalendarID(oid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("DefaultCalendarID", oid)
	if err != nil {
		return ""
	}
	return s.calendarsLocked(cs, u).calendars[0].ID
}

// SeedEvent stores a single event or (with Recurrence) a series master in
// the calendar calendarID ("" for the default calendar) of the user oid
// and returns it with its ids and defaults filled in. It checks what Graph
// checks on create (time zones, end after start, all-day at midnight, the
// recurrence).
func (s *Server) SeedEvent(oid, calendarID string, e Event) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("SeedEvent", oid)
	if err != nil {
		return Event{}, err
	}
	uc := s.calendarsLocked(cs, u)
	cal := uc.calendars[0]
	if calendarID != "" {
		if cal = uc.calendar(calendarID); cal == nil {
			return Event{}, fmt.Errorf("graphtest: SeedEvent: no calendar %q", calendarID)
		}
	}
	e = cloneEvent(e)
	if e.ID != "" && uc.events[e.ID] != nil {
		return Event{}, fmt.Errorf("graphtest: SeedEvent: id %s exists", e.ID)
	}
	e.CalendarID = cal.ID
	s.fillEvent(u, &e)
	if ge := validateEvent(&e); ge != nil {
		return Event{}, fmt.Errorf("graphtest: SeedEvent: %s: %s", ge.code, ge.message)
	}
	uc.events[e.ID] = &calEvent{ev: e}
	s.notifyEvent(oid, &e, "created")
	return cloneEvent(e), nil
}

// SeedOccurrenceChange makes the occurrence of the series masterID that
// starts at originalStart an exception: change gets the occurrence (or the
// exception so far) and may move, retitle or otherwise change it. It
// returns the exception.
func (s *Server) SeedOccurrenceChange(oid, masterID string, originalStart time.Time, change func(*Event)) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("SeedOccurrenceChange", oid)
	if err != nil {
		return Event{}, err
	}
	uc := s.calendarsLocked(cs, u)
	ce, occ, err := occurrenceOf(uc, masterID, originalStart)
	if err != nil {
		return Event{}, fmt.Errorf("graphtest: SeedOccurrenceChange: %w", err)
	}
	ex := cloneEvent(occ)
	change(&ex)
	ex.ID, ex.Type, ex.SeriesMasterID, ex.OriginalStart, ex.Recurrence = occ.ID, "exception", masterID, occ.OriginalStart, nil
	if ge := validateEvent(&ex); ge != nil {
		return Event{}, fmt.Errorf("graphtest: SeedOccurrenceChange: %s: %s", ge.code, ge.message)
	}
	touchEvent(&ex, s.opts.Now())
	ce.setOverride(occ.OriginalStart, &occOverride{ev: ex})
	s.notifyEvent(oid, &ex, "updated")
	return cloneEvent(ex), nil
}

// CancelOccurrence cancels the occurrence of the series masterID that
// starts at originalStart, as deleting it in Outlook does.
func (s *Server) CancelOccurrence(oid, masterID string, originalStart time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("CancelOccurrence", oid)
	if err != nil {
		return err
	}
	ce, occ, err := occurrenceOf(s.calendarsLocked(cs, u), masterID, originalStart)
	if err != nil {
		return fmt.Errorf("graphtest: CancelOccurrence: %w", err)
	}
	ce.setOverride(occ.OriginalStart, &occOverride{cancelled: true})
	s.notifyEvent(oid, &occ, "deleted")
	return nil
}

// ChangeEvent applies change to a stored single event or series master
// (as if changed in Outlook) and marks it changed for delta.
func (s *Server) ChangeEvent(oid, id string, change func(*Event)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("ChangeEvent", oid)
	if err != nil {
		return err
	}
	ce := s.calendarsLocked(cs, u).events[id]
	if ce == nil {
		return fmt.Errorf("graphtest: ChangeEvent: no event %s", id)
	}
	ev := cloneEvent(ce.ev)
	change(&ev)
	ev.ID, ev.CalendarID = ce.ev.ID, ce.ev.CalendarID
	if ev.Recurrence != nil {
		fillRecurrence(ev.Recurrence, &ev)
		ev.Type = "seriesMaster"
	} else {
		ev.Type = "singleInstance"
	}
	if ge := validateEvent(&ev); ge != nil {
		return fmt.Errorf("graphtest: ChangeEvent: %s: %s", ge.code, ge.message)
	}
	touchEvent(&ev, s.opts.Now())
	ce.ev = ev
	s.notifyEvent(oid, &ev, "updated")
	return nil
}

// DeleteEvent deletes a stored single event or series master (with its
// occurrences).
func (s *Server) DeleteEvent(oid, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("DeleteEvent", oid)
	if err != nil {
		return err
	}
	uc := s.calendarsLocked(cs, u)
	if uc.events[id] == nil {
		return fmt.Errorf("graphtest: DeleteEvent: no event %s", id)
	}
	s.notifyEvent(oid, &uc.events[id].ev, "deleted")
	delete(uc.events, id)
	return nil
}

// Events returns the single events and series masters of a calendar of
// the user ("" for every calendar), earliest start first.
func (s *Server) Events(oid, calendarID string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, u, err := s.seedUserLocked("Events", oid)
	if err != nil {
		return nil
	}
	var out []Event
	for _, ce := range s.calendarsLocked(cs, u).events {
		if calendarID == "" || ce.ev.CalendarID == calendarID {
			out = append(out, cloneEvent(ce.ev))
		}
	}
	sortByStart(out)
	return out
}

// ExpireCalendarDeltaTokens makes every calendar view delta and skip token
// issued so far answer 410 Gone with syncStateNotFound, as when Exchange
// drops a sync state.
func (s *Server) ExpireCalendarDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := s.calStore(); cs != nil {
		cs.deltas = make(map[string]*calDelta)
	}
}

func sortByStart(es []Event) {
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].Start.Equal(es[j].Start) {
			return es[i].Start.Before(es[j].Start)
		}
		return es[i].ID < es[j].ID
	})
}

func (ce *calEvent) setOverride(originalStart time.Time, o *occOverride) {
	if ce.overrides == nil {
		ce.overrides = make(map[int64]*occOverride)
	}
	ce.overrides[originalStart.Unix()] = o
}

// occurrenceOf finds the occurrence (or exception) of a series that
// starts at originalStart.
func occurrenceOf(uc *userCalendars, masterID string, originalStart time.Time) (*calEvent, Event, error) {
	ce := uc.events[masterID]
	if ce == nil || ce.ev.Recurrence == nil {
		return nil, Event{}, fmt.Errorf("no series master %s", masterID)
	}
	occ, ok := ce.instanceAt(originalStart)
	if !ok {
		return nil, Event{}, fmt.Errorf("series %s has no occurrence at %s", masterID, originalStart.UTC().Format(time.RFC3339))
	}
	return ce, occ, nil
}
