package calendar

import "context"

// Provider is the calendar capability of a connector: package unified
// finds it by type assertion on the registered connectors.Connector.
//
// The contract of email.Mailbox holds here too: a call acts only as acct
// (authorizing with acct.Client or acct.AccessToken), ids from the client
// are escaped into provider URLs (unified has already refused ids outside
// provider.ValidID), errors are classified with *Error (ErrNotFound,
// ErrRateLimited, ErrUnavailable, ErrCursorExpired, ErrInvalid, ErrDenied,
// ErrConflict, ErrPrecondition), cursors are strings only the connector
// reads and package unified seals them before a client sees them.
//
// calendarID is a provider calendar id or PrimaryID. Events returned are
// in the normalized form described in the package documentation (use At,
// OnDate, LoadLocation and NewRecurrence); package unified calls
// Event.Normalize on them.
//
// Implementations embed UnimplementedCalendar, so that methods added later
// answer ErrUnsupported instead of breaking the build.
type Provider interface {
	// ListCalendars returns one page of the account's calendars.
	ListCalendars(ctx context.Context, acct Account, page string) (CalendarPage, error)
	// GetCalendar returns one calendar.
	GetCalendar(ctx context.Context, acct Account, calendarID string) (Calendar, error)
	// CreateCalendar creates a secondary calendar.
	CreateCalendar(ctx context.Context, acct Account, c CalendarChange) (Calendar, error)
	// UpdateCalendar changes a calendar's name, description or color.
	UpdateCalendar(ctx context.Context, acct Account, calendarID string, c CalendarChange) (Calendar, error)

	// ListEventRange returns the single events and occurrences of a
	// calendar overlapping [req.TimeMin, req.TimeMax), ordered by start.
	ListEventRange(ctx context.Context, acct Account, req RangeRequest) (EventPage, error)
	// GetEvent returns one event (a single event, a series master or an
	// occurrence).
	GetEvent(ctx context.Context, acct Account, calendarID, eventID string) (Event, error)
	// CreateEvent creates an event (validated by package unified) and
	// returns it as stored.
	CreateEvent(ctx context.Context, acct Account, calendarID string, e EventChange) (Event, error)
	// UpdateEvent patches an event; ifMatch, when not "", is the etag the
	// client read: the provider refuses the change (ErrPrecondition) when
	// the event changed since.
	UpdateEvent(ctx context.Context, acct Account, calendarID, eventID string, e EventChange, ifMatch string) (Event, error)
	// DeleteEvent deletes an event (or cancels one occurrence), with the
	// same ifMatch as UpdateEvent.
	DeleteEvent(ctx context.Context, acct Account, calendarID, eventID, ifMatch string) error
	// RespondEvent answers an invitation as the account.
	RespondEvent(ctx context.Context, acct Account, calendarID, eventID string, r ResponseRequest) error
	// FreeBusy returns the busy times of people.
	FreeBusy(ctx context.Context, acct Account, req FreeBusyRequest) ([]FreeBusySchedule, error)

	// CalendarDeltaStart begins a delta sync of a calendar and returns the
	// cursor of its first round, which reads the events in the window as
	// Updated, page by page, then NextDelta.
	CalendarDeltaStart(ctx context.Context, acct Account, opts SyncOptions) (string, error)
	// CalendarDeltaChanges reads one page of changes. A cursor the
	// provider no longer honours (Google 410 fullSyncRequired, Graph
	// syncStateNotFound) is ErrCursorExpired.
	CalendarDeltaChanges(ctx context.Context, acct Account, req DeltaRequest) (DeltaPage, error)

	calendarProvider()
}

// CalendarPage is one page of calendars.
type CalendarPage struct {
	Calendars []Calendar
	NextPage  string
}

// UnimplementedCalendar answers every Provider method with ErrUnsupported.
type UnimplementedCalendar struct{}

func (UnimplementedCalendar) calendarProvider() {}

func unsupported(op string) error {
	return &Error{Kind: ErrUnsupported, Message: op + " is not supported by this provider"}
}

// ListCalendars implements Provider.
func (UnimplementedCalendar) ListCalendars(context.Context, Account, string) (CalendarPage, error) {
	return CalendarPage{}, unsupported("listing calendars")
}

// GetCalendar implements Provider.
func (UnimplementedCalendar) GetCalendar(context.Context, Account, string) (Calendar, error) {
	return Calendar{}, unsupported("reading a calendar")
}

// CreateCalendar implements Provider.
func (UnimplementedCalendar) CreateCalendar(context.Context, Account, CalendarChange) (Calendar, error) {
	return Calendar{}, unsupported("creating a calendar")
}

// UpdateCalendar implements Provider.
func (UnimplementedCalendar) UpdateCalendar(context.Context, Account, string, CalendarChange) (Calendar, error) {
	return Calendar{}, unsupported("updating a calendar")
}

// ListEventRange implements Provider.
func (UnimplementedCalendar) ListEventRange(context.Context, Account, RangeRequest) (EventPage, error) {
	return EventPage{}, unsupported("listing events")
}

// GetEvent implements Provider.
func (UnimplementedCalendar) GetEvent(context.Context, Account, string, string) (Event, error) {
	return Event{}, unsupported("reading an event")
}

// CreateEvent implements Provider.
func (UnimplementedCalendar) CreateEvent(context.Context, Account, string, EventChange) (Event, error) {
	return Event{}, unsupported("creating an event")
}

// UpdateEvent implements Provider.
func (UnimplementedCalendar) UpdateEvent(context.Context, Account, string, string, EventChange, string) (Event, error) {
	return Event{}, unsupported("updating an event")
}

// DeleteEvent implements Provider.
func (UnimplementedCalendar) DeleteEvent(context.Context, Account, string, string, string) error {
	return unsupported("deleting an event")
}

// RespondEvent implements Provider.
func (UnimplementedCalendar) RespondEvent(context.Context, Account, string, string, ResponseRequest) error {
	return unsupported("answering an invitation")
}

// FreeBusy implements Provider.
func (UnimplementedCalendar) FreeBusy(context.Context, Account, FreeBusyRequest) ([]FreeBusySchedule, error) {
	return nil, unsupported("free/busy")
}

// CalendarDeltaStart implements Provider.
func (UnimplementedCalendar) CalendarDeltaStart(context.Context, Account, SyncOptions) (string, error) {
	return "", unsupported("calendar sync")
}

// CalendarDeltaChanges implements Provider.
func (UnimplementedCalendar) CalendarDeltaChanges(context.Context, Account, DeltaRequest) (DeltaPage, error) {
	return DeltaPage{}, unsupported("calendar sync")
}
