package office365

import (
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/calendar"
)

// graphDateTimeTZ is Graph's dateTimeTimeZone: a local date and time
// ("2006-01-02T15:04:05.0000000", no offset) and a Windows or IANA zone.
type graphDateTimeTZ struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type graphRecurrencePattern struct {
	Type           string   `json:"type"`
	Interval       int      `json:"interval"`
	Month          int      `json:"month,omitempty"`
	DayOfMonth     int      `json:"dayOfMonth,omitempty"`
	DaysOfWeek     []string `json:"daysOfWeek,omitempty"`
	FirstDayOfWeek string   `json:"firstDayOfWeek,omitempty"`
	Index          string   `json:"index,omitempty"`
}

type graphRecurrenceRange struct {
	Type                string `json:"type"`
	StartDate           string `json:"startDate"`
	EndDate             string `json:"endDate,omitempty"`
	RecurrenceTimeZone  string `json:"recurrenceTimeZone,omitempty"`
	NumberOfOccurrences int    `json:"numberOfOccurrences,omitempty"`
}

// graphRecurrence is Graph's patternedRecurrence.
type graphRecurrence struct {
	Pattern graphRecurrencePattern `json:"pattern"`
	Range   graphRecurrenceRange   `json:"range"`
}

type graphEventAttendee struct {
	Type   string `json:"type"`
	Status *struct {
		Response string `json:"response"`
	} `json:"status,omitempty"`
	EmailAddress struct {
		Name    string `json:"name,omitempty"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

// graphEvent is the event resource as the connector reads it. Subject is
// a pointer: calendar view delta leaves it out of occurrences.
type graphEvent struct {
	ETag                       string     `json:"@odata.etag"`
	ID                         string     `json:"id"`
	CreatedDateTime            *time.Time `json:"createdDateTime"`
	LastModifiedDateTime       *time.Time `json:"lastModifiedDateTime"`
	Categories                 []string   `json:"categories"`
	OriginalStartTimeZone      string     `json:"originalStartTimeZone"`
	OriginalEndTimeZone        string     `json:"originalEndTimeZone"`
	ICalUID                    string     `json:"iCalUId"`
	UID                        string     `json:"uid"`
	ReminderMinutesBeforeStart int        `json:"reminderMinutesBeforeStart"`
	IsReminderOn               bool       `json:"isReminderOn"`
	Subject                    *string    `json:"subject"`
	Body                       *graphBody `json:"body"`
	Sensitivity                string     `json:"sensitivity"`
	IsAllDay                   bool       `json:"isAllDay"`
	IsCancelled                bool       `json:"isCancelled"`
	IsOrganizer                bool       `json:"isOrganizer"`
	SeriesMasterID             string     `json:"seriesMasterId"`
	ShowAs                     string     `json:"showAs"`
	Type                       string     `json:"type"`
	WebLink                    string     `json:"webLink"`
	IsOnlineMeeting            bool       `json:"isOnlineMeeting"`
	OnlineMeetingProvider      string     `json:"onlineMeetingProvider"`
	ResponseStatus             *struct {
		Response string `json:"response"`
	} `json:"responseStatus"`
	Start    *graphDateTimeTZ `json:"start"`
	End      *graphDateTimeTZ `json:"end"`
	Location *struct {
		DisplayName string `json:"displayName"`
	} `json:"location"`
	Recurrence    *graphRecurrence     `json:"recurrence"`
	Attendees     []graphEventAttendee `json:"attendees"`
	Organizer     *graphRecipient      `json:"organizer"`
	OnlineMeeting *struct {
		JoinURL string `json:"joinUrl"`
	} `json:"onlineMeeting"`
	OnlineMeetingURL string     `json:"onlineMeetingUrl"`
	OriginalStart    *time.Time `json:"originalStart"`
	Removed          *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

// eventFields are the event properties the connector reads ($select).
var eventFields = []string{"id", "createdDateTime", "lastModifiedDateTime", "categories", "originalStartTimeZone",
	"originalEndTimeZone", "iCalUId", "uid", "reminderMinutesBeforeStart", "isReminderOn", "subject", "body", "sensitivity",
	"isAllDay", "isCancelled", "isOrganizer", "seriesMasterId", "showAs", "type", "webLink", "isOnlineMeeting",
	"onlineMeetingProvider", "responseStatus", "start", "end", "location", "recurrence", "attendees", "organizer",
	"onlineMeeting", "onlineMeetingUrl", "originalStart"}

// loadGraphZone resolves a Graph time zone name (Windows or IANA).
func loadGraphZone(name string) (*time.Location, bool) {
	if strings.HasPrefix(strings.ToLower(name), "tzone://microsoft/utc") {
		return time.UTC, true
	}
	loc, err := calendar.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// parseGraphDateTime reads a dateTimeTimeZone as an instant.
func parseGraphDateTime(d *graphDateTimeTZ) (t time.Time, loc *time.Location, ok bool) {
	if d == nil || d.DateTime == "" {
		return time.Time{}, nil, false
	}
	loc = time.UTC
	if d.TimeZone != "" {
		if loc, ok = loadGraphZone(d.TimeZone); !ok {
			return time.Time{}, nil, false
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, d.DateTime, loc); err == nil {
			return t, loc, true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, d.DateTime); err == nil {
		return t.In(loc), loc, true
	}
	return time.Time{}, nil, false
}

// zones returns the event's start and end zones: originalStartTimeZone
// and originalEndTimeZone, else the recurrence's zone, else UTC.
func (g *graphEvent) zones() (start, end *time.Location) {
	start = time.UTC
	if loc, ok := loadGraphZone(g.OriginalStartTimeZone); ok {
		start = loc
	} else if g.Recurrence != nil {
		if loc, ok := loadGraphZone(g.Recurrence.Range.RecurrenceTimeZone); ok {
			start = loc
		}
	}
	end = start
	if loc, ok := loadGraphZone(g.OriginalEndTimeZone); ok {
		end = loc
	}
	return start, end
}

// toDateTime maps a Graph start or end in the event's zone loc.
func toDateTime(d *graphDateTimeTZ, loc *time.Location, allDay bool) calendar.DateTime {
	t, answerLoc, ok := parseGraphDateTime(d)
	if !ok {
		return calendar.DateTime{}
	}
	if !allDay {
		return calendar.At(t, loc)
	}
	// An all-day event is midnight to midnight in its zone; Graph may
	// give it floating (midnight in the answer's zone) or as the instant.
	if local := t.In(answerLoc); local.Hour() == 0 && local.Minute() == 0 && local.Second() == 0 {
		return calendar.OnDate(local.Format(time.DateOnly))
	}
	return calendar.OnDate(t.In(loc).Format(time.DateOnly))
}

// Graph's recurrence pattern types and the unified frequencies.
var graphPatternTypes = map[string]string{
	"daily": calendar.FreqDaily, "weekly": calendar.FreqWeekly, "absoluteMonthly": calendar.FreqMonthly,
	"relativeMonthly": calendar.FreqMonthlyRelative, "absoluteYearly": calendar.FreqYearly, "relativeYearly": calendar.FreqYearlyRelative,
}

func graphPatternType(freq string) string {
	for g, f := range graphPatternTypes {
		if f == freq {
			return g
		}
	}
	return ""
}

// simpleFromGraph converts a patternedRecurrence to the simple form.
func simpleFromGraph(r *graphRecurrence) (*calendar.SimpleRecurrence, bool) {
	var freq string
	for g, f := range graphPatternTypes {
		if strings.EqualFold(g, r.Pattern.Type) {
			freq = f
		}
	}
	if freq == "" {
		return nil, false
	}
	p := calendar.Pattern{Frequency: freq, Interval: max(r.Pattern.Interval, 1)}
	for _, d := range r.Pattern.DaysOfWeek {
		p.DaysOfWeek = append(p.DaysOfWeek, strings.ToLower(d))
	}
	switch ws := strings.ToLower(r.Pattern.FirstDayOfWeek); ws {
	case "monday", "sunday":
		p.WeekStart = ws
	}
	switch freq {
	case calendar.FreqDaily:
		p.DaysOfWeek = nil
	case calendar.FreqMonthly:
		p.DayOfMonth, p.DaysOfWeek = r.Pattern.DayOfMonth, nil
	case calendar.FreqYearly:
		p.DayOfMonth, p.MonthOfYear, p.DaysOfWeek = r.Pattern.DayOfMonth, r.Pattern.Month, nil
	case calendar.FreqMonthlyRelative:
		p.Instance = strings.ToLower(r.Pattern.Index)
	case calendar.FreqYearlyRelative:
		p.Instance, p.MonthOfYear = strings.ToLower(r.Pattern.Index), r.Pattern.Month
	}
	rg := calendar.Range{Type: calendar.RangeUnbounded}
	switch strings.ToLower(r.Range.Type) {
	case "numbered":
		rg.Type, rg.Count = calendar.RangeByCount, r.Range.NumberOfOccurrences
	case "enddate":
		rg.Type, rg.RecurrenceEnd = calendar.RangeByDate, r.Range.EndDate
	}
	return &calendar.SimpleRecurrence{Pattern: p, Range: rg}, true
}

// recurrenceFromGraph returns the canonical Recurrence of a series master
// starting at start; nil when Graph's pattern cannot be read.
func recurrenceFromGraph(r *graphRecurrence, start calendar.DateTime) *calendar.Recurrence {
	s, ok := simpleFromGraph(r)
	if !ok || start.IsZero() {
		return nil
	}
	lines, err := (&calendar.Recurrence{Simple: s}).Rules(start)
	if err != nil {
		return nil
	}
	rec, err := calendar.NewRecurrence(lines, start)
	if err != nil {
		return nil
	}
	return rec
}

// graphRecurrenceFrom converts a recurrence to a patternedRecurrence for
// a series starting at start, with the starts of the occurrences to
// remove afterwards (Graph has no pattern exclusions).
func graphRecurrenceFrom(rec *calendar.Recurrence, start calendar.DateTime) (*graphRecurrence, []calendar.DateTime, error) {
	s, err := rec.SimpleForm(start)
	if err != nil {
		return nil, nil, err
	}
	p := s.Pattern
	out := &graphRecurrence{Pattern: graphRecurrencePattern{Type: graphPatternType(p.Frequency), Interval: max(p.Interval, 1)}}
	switch p.Frequency {
	case calendar.FreqWeekly:
		out.Pattern.DaysOfWeek = p.DaysOfWeek
		// RFC 5545 weeks start on Monday unless WKST says otherwise;
		// Graph's default is Sunday.
		out.Pattern.FirstDayOfWeek = "monday"
		if p.WeekStart != "" {
			out.Pattern.FirstDayOfWeek = p.WeekStart
		}
	case calendar.FreqMonthly:
		out.Pattern.DayOfMonth = p.DayOfMonth
	case calendar.FreqYearly:
		out.Pattern.DayOfMonth, out.Pattern.Month = p.DayOfMonth, p.MonthOfYear
	case calendar.FreqMonthlyRelative, calendar.FreqYearlyRelative:
		out.Pattern.DaysOfWeek, out.Pattern.Index, out.Pattern.Month = p.DaysOfWeek, p.Instance, p.MonthOfYear
		if out.Pattern.Index == "" {
			out.Pattern.Index = "first"
		}
	}
	if start.AllDay() {
		out.Range.StartDate, out.Range.RecurrenceTimeZone = start.DateOnly, "UTC"
	} else {
		loc := start.DateTime.Location()
		if start.TimeZone != "" {
			if l, err := calendar.LoadLocation(start.TimeZone); err == nil {
				loc = l
			}
		}
		zone := calendar.ZoneName(loc)
		out.Range.StartDate = start.DateTime.In(loc).Format(time.DateOnly)
		out.Range.RecurrenceTimeZone = zone
		if w := calendar.WindowsZone(zone); w != "" {
			out.Range.RecurrenceTimeZone = w
		}
	}
	switch s.Range.Type {
	case calendar.RangeByCount:
		out.Range.Type, out.Range.NumberOfOccurrences = "numbered", s.Range.Count
	case calendar.RangeByDate:
		out.Range.Type, out.Range.EndDate = "endDate", s.Range.RecurrenceEnd
	default:
		out.Range.Type = "noEnd"
	}
	return out, s.Range.PatternExclusions, nil
}

// graphResponses maps Graph's responseType to the unified responses.
func graphResponse(r string) string {
	switch strings.ToLower(r) {
	case "accepted", "organizer":
		return calendar.ResponseAccepted
	case "tentativelyaccepted":
		return calendar.ResponseTentative
	case "declined":
		return calendar.ResponseDeclined
	}
	return calendar.ResponseNone
}

func graphShowAs(s string) string {
	switch strings.ToLower(s) {
	case "free":
		return calendar.ShowFree
	case "tentative":
		return calendar.ShowTentative
	case "busy", "workingelsewhere":
		return calendar.ShowBusy
	case "oof":
		return calendar.ShowOutOfOffice
	case "":
		return ""
	}
	return calendar.ShowUnknown
}

// toEvent maps a Graph event of the calendar calendarID (as the client
// named it) to the unified model.
func toEvent(g *graphEvent, calendarID string) calendar.Event {
	startLoc, endLoc := g.zones()
	e := calendar.Event{
		ID: g.ID, ETag: g.ETag, CalendarID: calendarID,
		CreatedTime: g.CreatedDateTime, LastModifiedTime: g.LastModifiedDateTime,
		Start: toDateTime(g.Start, startLoc, g.IsAllDay), End: toDateTime(g.End, endLoc, g.IsAllDay),
		ICalUID: g.UID, ShowAs: graphShowAs(g.ShowAs), Sensitivity: strings.ToLower(g.Sensitivity),
		HTMLLink: g.WebLink, RecurrenceType: calendar.RecurrenceSingle,
	}
	if e.ICalUID == "" {
		e.ICalUID = g.ICalUID
	}
	if g.Subject != nil {
		e.Subject = *g.Subject
	}
	if g.Body != nil {
		e.Description = g.Body.Content
	}
	if g.Location != nil {
		e.Location = g.Location.DisplayName
	}
	if len(g.Categories) > 0 {
		e.Categories = g.Categories
	}
	if g.IsReminderOn {
		e.Reminder = &calendar.Reminder{Overrides: []calendar.ReminderOverride{{Minutes: g.ReminderMinutesBeforeStart}}}
	} else {
		e.Reminder = &calendar.Reminder{}
	}
	var organizer string
	if g.Organizer != nil && g.Organizer.EmailAddress.Address != "" {
		organizer = g.Organizer.EmailAddress.Address
		e.Organizer = &calendar.Organizer{EmailAddress: calendar.EmailAddress{Name: g.Organizer.EmailAddress.Name, Address: organizer}}
	}
	var attendees []calendar.Attendee
	for _, a := range g.Attendees {
		if a.EmailAddress.Address == "" || strings.EqualFold(a.EmailAddress.Address, organizer) {
			continue
		}
		at := calendar.Attendee{EmailAddress: calendar.EmailAddress{Name: a.EmailAddress.Name, Address: a.EmailAddress.Address},
			Type: calendar.AttendeeRequired, Response: calendar.ResponseNone}
		switch strings.ToLower(a.Type) {
		case "optional":
			at.Type = calendar.AttendeeOptional
		case "resource":
			at.Type = calendar.AttendeeResource
		}
		if a.Status != nil {
			at.Response = graphResponse(a.Status.Response)
		}
		attendees = append(attendees, at)
	}
	if len(attendees) > 0 {
		m := &calendar.MeetingInfo{Canceled: g.IsCancelled, Attendees: attendees, Response: calendar.ResponseNone}
		switch {
		case g.IsOrganizer:
			m.Response = calendar.ResponseAccepted
		case g.ResponseStatus != nil:
			m.Response = graphResponse(g.ResponseStatus.Response)
		}
		join := g.OnlineMeetingURL
		if g.OnlineMeeting != nil && g.OnlineMeeting.JoinURL != "" {
			join = g.OnlineMeeting.JoinURL
		}
		if join != "" {
			m.OnlineMeetingProvider = "teamsForBusiness"
			if p := g.OnlineMeetingProvider; p != "" && !strings.EqualFold(p, "unknown") {
				m.OnlineMeetingProvider = p
			}
			m.OnlineMeetingDetails = &calendar.OnlineMeetingDetails{URL: join}
		}
		e.MeetingInfo = m
	}
	switch strings.ToLower(g.Type) {
	case "seriesmaster":
		e.RecurrenceType = calendar.RecurrenceMaster
		if g.Recurrence != nil {
			e.Recurrence = recurrenceFromGraph(g.Recurrence, e.Start)
		}
	case "occurrence", "exception":
		e.RecurrenceType = calendar.RecurrenceOccurrence
		info := &calendar.OccurrenceInfo{Type: calendar.OccurrenceRegular, MasterID: g.SeriesMasterID, OriginalStart: e.Start}
		if strings.EqualFold(g.Type, "exception") {
			info.Type = calendar.OccurrenceModified
		}
		if g.OriginalStart != nil && !g.OriginalStart.IsZero() {
			if g.IsAllDay {
				info.OriginalStart = calendar.OnDate(g.OriginalStart.In(startLoc).Format(time.DateOnly))
			} else {
				info.OriginalStart = calendar.At(*g.OriginalStart, startLoc)
			}
		}
		e.OccurrenceInfo = info
	}
	return e
}

// graphDateTimeOf writes a unified start or end: a time in its IANA zone,
// a date at midnight UTC.
func graphDateTimeOf(d calendar.DateTime) graphDateTimeTZ {
	if d.AllDay() {
		return graphDateTimeTZ{DateTime: d.DateOnly + "T00:00:00", TimeZone: "UTC"}
	}
	loc := time.UTC
	if d.TimeZone != "" {
		if l, err := calendar.LoadLocation(d.TimeZone); err == nil {
			loc = l
		}
	} else if d.DateTime != nil {
		loc = d.DateTime.Location()
	}
	return graphDateTimeTZ{DateTime: d.DateTime.In(loc).Format("2006-01-02T15:04:05"), TimeZone: calendar.ZoneName(loc)}
}

func graphShowAsOf(s string) string {
	switch s {
	case calendar.ShowOutOfOffice:
		return "oof"
	}
	return s
}

// eventInput is the Graph body of a create (all given fields) or a patch
// (the non-nil fields), and the occurrences to remove afterwards.
func eventInput(ch calendar.EventChange) (map[string]any, []calendar.DateTime, error) {
	in := map[string]any{}
	if ch.Subject != nil {
		in["subject"] = *ch.Subject
	}
	if ch.Description != nil {
		in["body"] = graphBody{ContentType: "text", Content: *ch.Description}
	}
	if ch.Location != nil {
		in["location"] = map[string]string{"displayName": *ch.Location}
	}
	if ch.Start != nil {
		in["start"] = graphDateTimeOf(*ch.Start)
		in["isAllDay"] = ch.Start.AllDay()
	}
	if ch.End != nil {
		in["end"] = graphDateTimeOf(*ch.End)
		in["isAllDay"] = ch.End.AllDay()
	}
	if m := ch.MeetingInfo; m != nil {
		atts := make([]graphEventAttendee, 0, len(m.Attendees))
		for _, a := range m.Attendees {
			var ga graphEventAttendee
			ga.Type = a.Type
			if ga.Type == "" {
				ga.Type = calendar.AttendeeRequired
			}
			ga.EmailAddress.Name, ga.EmailAddress.Address = a.EmailAddress.Name, a.EmailAddress.Address
			atts = append(atts, ga)
		}
		in["attendees"] = atts
		if m.OnlineMeeting {
			in["isOnlineMeeting"] = true
			in["onlineMeetingProvider"] = "teamsForBusiness"
		}
	}
	var exclusions []calendar.DateTime
	if ch.Recurrence != nil {
		if ch.Start == nil {
			return nil, nil, &calendar.FieldError{Field: "recurrence", Problem: "needs start in the same change"}
		}
		rec, ex, err := graphRecurrenceFrom(ch.Recurrence, *ch.Start)
		if err != nil {
			return nil, nil, err
		}
		in["recurrence"], exclusions = rec, ex
	}
	if r := ch.Reminder; r != nil {
		switch {
		case len(r.Overrides) > 0:
			in["isReminderOn"], in["reminderMinutesBeforeStart"] = true, r.Overrides[0].Minutes
		case r.UseDefault:
			in["isReminderOn"] = true
		default:
			in["isReminderOn"] = false
		}
	}
	if ch.ShowAs != nil {
		in["showAs"] = graphShowAsOf(*ch.ShowAs)
	}
	if ch.Sensitivity != nil {
		in["sensitivity"] = *ch.Sensitivity
	}
	if ch.Categories != nil {
		in["categories"] = append([]string{}, (*ch.Categories)...)
	}
	return in, exclusions, nil
}
