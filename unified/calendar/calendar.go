package calendar

import (
	"time"
)

// Defaults and bounds of the Calendar API.
const (
	// DefaultLimit is the page size of an event range.
	DefaultLimit = 100
	// MaxLimit is the largest page size.
	MaxLimit = 500
	// MaxRange is the widest timeMin..timeMax window of a range or a sync.
	MaxRange = 5 * 366 * 24 * time.Hour
)

// PrimaryID is the calendar id alias of the account's default calendar.
const PrimaryID = "primary"

// Calendar is one calendar of the account.
type Calendar struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Color       string `json:"color,omitempty"`
	// TimeZone is the calendar's IANA time zone, when the provider has one.
	TimeZone string `json:"timezone,omitempty"`
	// AccessRole is owner, writer or reader.
	AccessRole                 string             `json:"accessRole,omitempty"`
	Primary                    bool               `json:"primary"`
	MultipleRemindersSupported bool               `json:"multipleRemindersSupported"`
	DefaultReminders           []ReminderOverride `json:"defaultReminders,omitempty"`
}

// The access roles of a Calendar.
const (
	RoleOwner  = "owner"
	RoleWriter = "writer"
	RoleReader = "reader"
)

// CalendarChange creates or updates a calendar: nil fields are left as
// they are (on create, to the provider's default).
type CalendarChange struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Color       *string `json:"color,omitempty"`
	TimeZone    *string `json:"timezone,omitempty"`
}

// DateTime is the start or end of an event. Exactly one of DateTime and
// DateOnly is set.
type DateTime struct {
	// DateTime is the instant, in the location of TimeZone.
	DateTime *time.Time `json:"dateTime,omitempty"`
	// DateOnly is the date of an all-day event, "2006-01-02". The end date
	// of an all-day event is exclusive.
	DateOnly string `json:"dateOnly,omitempty"`
	// TimeZone is an IANA zone name ("" for all-day events).
	TimeZone string `json:"timezone,omitempty"`
}

// At returns the DateTime of t in loc with loc's name as TimeZone.
func At(t time.Time, loc *time.Location) DateTime {
	t = t.In(loc)
	name := loc.String()
	if name == "Local" {
		name = ""
	}
	return DateTime{DateTime: &t, TimeZone: name}
}

// OnDate returns the all-day DateTime of a date.
func OnDate(d string) DateTime { return DateTime{DateOnly: d} }

// IsZero reports whether neither DateTime nor DateOnly is set.
func (d DateTime) IsZero() bool { return d.DateTime == nil && d.DateOnly == "" }

// AllDay reports whether d is a date.
func (d DateTime) AllDay() bool { return d.DateTime == nil && d.DateOnly != "" }

// Instant returns the instant of d: a date is midnight in loc.
func (d DateTime) Instant(loc *time.Location) (time.Time, error) {
	if d.DateTime != nil {
		return *d.DateTime, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, d.DateOnly, loc)
	if err != nil {
		return time.Time{}, &FieldError{Field: "dateOnly", Problem: "is not a date (YYYY-MM-DD)"}
	}
	return t, nil
}

// EmailAddress is a person's name and address.
type EmailAddress struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Organizer is who organizes an event.
type Organizer struct {
	EmailAddress EmailAddress `json:"emailAddress"`
}

// The attendee types.
const (
	AttendeeRequired = "required"
	AttendeeOptional = "optional"
	AttendeeResource = "resource"
)

// The meeting responses (MeetingResponseType).
const (
	ResponseNone      = "noResponse"
	ResponseAccepted  = "accepted"
	ResponseTentative = "tentative"
	ResponseDeclined  = "declined"
)

// Attendee is a participant of a meeting.
type Attendee struct {
	EmailAddress EmailAddress `json:"emailAddress"`
	// Type is required (default), optional or resource.
	Type string `json:"type,omitempty"`
	// Response is one of the Response* values (read only).
	Response string `json:"response,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// OnlineMeetingDetails are the join details of an online meeting.
type OnlineMeetingDetails struct {
	URL        string `json:"url,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Pin        string `json:"pin,omitempty"`
	RegionCode string `json:"regionCode,omitempty"`
	SIP        string `json:"sip,omitempty"`
	InfoURL    string `json:"infoUrl,omitempty"`
}

// MeetingInfo is what makes an event a meeting.
type MeetingInfo struct {
	// Canceled is true when the organizer cancelled the meeting.
	Canceled  bool       `json:"canceled"`
	Attendees []Attendee `json:"attendees"`
	// Response is the account's own answer (Response* values).
	Response string `json:"response,omitempty"`
	// OnlineMeeting asks for an online meeting on create (write only).
	OnlineMeeting bool `json:"onlineMeeting,omitempty"`
	// OnlineMeetingProvider is e.g. teamsForBusiness or hangoutsMeet.
	OnlineMeetingProvider string                `json:"onlineMeetingProvider,omitempty"`
	OnlineMeetingDetails  *OnlineMeetingDetails `json:"onlineMeetingDetails,omitempty"`
}

// ReminderOverride is one reminder, minutes before the start.
type ReminderOverride struct {
	Minutes int `json:"minutes"`
}

// Reminder are an event's reminders.
type Reminder struct {
	UseDefault bool               `json:"useDefault"`
	Overrides  []ReminderOverride `json:"overrides,omitempty"`
}

// The recurrence types of an Event.
const (
	RecurrenceSingle     = "single"
	RecurrenceMaster     = "master"
	RecurrenceOccurrence = "occurrence"
)

// The occurrence types of OccurrenceInfo.
const (
	OccurrenceRegular  = "regular"
	OccurrenceModified = "modified"
	OccurrenceDeleted  = "deleted"
)

// OccurrenceInfo places an occurrence in its series.
type OccurrenceInfo struct {
	// Type is regular, modified (an exception) or deleted.
	Type string `json:"type"`
	// MasterID is the id of the series' master event.
	MasterID string `json:"masterId"`
	// OriginalStart is where the rule put the occurrence.
	OriginalStart DateTime `json:"originalStart"`
}

// The ShowAs values.
const (
	ShowFree        = "free"
	ShowBusy        = "busy"
	ShowTentative   = "tentative"
	ShowOutOfOffice = "outOfOffice"
	ShowUnknown     = "unknown"
)

// The Sensitivity values.
const (
	SensitivityNormal       = "normal"
	SensitivityPrivate      = "private"
	SensitivityPersonal     = "personal"
	SensitivityConfidential = "confidential"
)

// Event is a calendar event: a single event, the master of a recurring
// series or one occurrence of it.
type Event struct {
	ID         string `json:"id"`
	ETag       string `json:"etag,omitempty"`
	CalendarID string `json:"calendarId"`

	CreatedTime      *time.Time `json:"createdTime,omitempty"`
	LastModifiedTime *time.Time `json:"lastModifiedTime,omitempty"`

	Subject     string `json:"subject"`
	Description string `json:"description,omitempty"`
	Location    string `json:"location,omitempty"`

	Start DateTime `json:"start"`
	End   DateTime `json:"end"`

	Organizer   *Organizer   `json:"organizer,omitempty"`
	MeetingInfo *MeetingInfo `json:"meetingInfo,omitempty"`

	// RecurrenceType is single, master or occurrence.
	RecurrenceType string          `json:"recurrenceType"`
	Recurrence     *Recurrence     `json:"recurrence,omitempty"`
	OccurrenceInfo *OccurrenceInfo `json:"occurrenceInfo,omitempty"`

	Reminder *Reminder `json:"reminder,omitempty"`

	// ICalUID is the iCalendar UID, shared by every occurrence of a
	// series and by the copies in attendees' calendars.
	ICalUID string `json:"iCalUid,omitempty"`

	ShowAs      string   `json:"showAs,omitempty"`
	Sensitivity string   `json:"sensitivity,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	HTMLLink    string   `json:"htmlLink,omitempty"`
}

// EventChange creates (all required fields set) or patches an event: nil
// fields are left as they are.
type EventChange struct {
	Subject     *string   `json:"subject,omitempty"`
	Description *string   `json:"description,omitempty"`
	Location    *string   `json:"location,omitempty"`
	Start       *DateTime `json:"start,omitempty"`
	End         *DateTime `json:"end,omitempty"`
	// MeetingInfo replaces the attendees (and asks for an online meeting
	// when OnlineMeeting is set).
	MeetingInfo *MeetingInfo `json:"meetingInfo,omitempty"`
	Recurrence  *Recurrence  `json:"recurrence,omitempty"`
	Reminder    *Reminder    `json:"reminder,omitempty"`
	ShowAs      *string      `json:"showAs,omitempty"`
	Sensitivity *string      `json:"sensitivity,omitempty"`
	Categories  *[]string    `json:"categories,omitempty"`
}

// DeletedEvent is an entry of the deleted stream of a sync.
type DeletedEvent struct {
	ID string `json:"id"`
}

// RangeRequest asks for the events of a calendar that overlap
// [TimeMin, TimeMax): single events and occurrences, series expanded.
type RangeRequest struct {
	CalendarID       string
	TimeMin, TimeMax time.Time
	// Page is the connector's cursor from EventPage.NextPage; "" for the
	// first page.
	Page string
	// Limit is the page size the connector aims for, 1 to MaxLimit.
	Limit int
}

// EventPage is one page of events.
type EventPage struct {
	Events   []Event
	NextPage string
}

// SyncOptions start a delta sync of a calendar: its events (expanded) that
// overlap [TimeMin, TimeMax).
type SyncOptions struct {
	CalendarID       string
	TimeMin, TimeMax time.Time
}

// DeltaRequest reads one page of changes from a cursor.
type DeltaRequest struct {
	// Cursor is from Provider.CalendarDeltaStart, DeltaPage.NextPage or
	// DeltaPage.NextDelta.
	Cursor string
	// Limit is the page size the connector aims for.
	Limit int
}

// DeltaPage is one page of changes.
type DeltaPage struct {
	Updated []Event
	Deleted []DeletedEvent
	// NextPage continues this round; "" on the last page.
	NextPage string
	// NextDelta is set on the last page: the cursor of the next round.
	NextDelta string
}

// ResponseRequest answers a meeting invitation.
type ResponseRequest struct {
	// Response is accepted, tentative or declined.
	Response string `json:"response"`
	Comment  string `json:"comment,omitempty"`
	// Notify sends the answer to the organizer (default true).
	Notify bool `json:"-"`
}

// FreeBusyRequest asks for the busy times of people in [TimeMin, TimeMax).
type FreeBusyRequest struct {
	TimeMin time.Time `json:"timeMin"`
	TimeMax time.Time `json:"timeMax"`
	Emails  []string  `json:"emails"`
}

// FreeBusyItem is one busy (or tentative, out of office) interval.
type FreeBusyItem struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Status string    `json:"status"`
}

// FreeBusySchedule is the availability of one person.
type FreeBusySchedule struct {
	Email string         `json:"email"`
	Items []FreeBusyItem `json:"items"`
	// Error says why the schedule could not be read ("" on success).
	Error string `json:"error,omitempty"`
}
