package graphtest

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// graphErr is a Graph error answer.
type graphErr struct {
	status        int
	code, message string
}

func (e *graphErr) write(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, e.status, e.code, e.message)
}

func badRequest(code, message string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, code: code, message: message}
}

// validationFailure is Graph's answer to an event that fails Exchange's
// validation (end before start, all-day not at midnight, a bad recurrence).
func validationFailure() *graphErr {
	return badRequest("ErrorPropertyValidationFailure", "At least one property failed validation.")
}

func timeZoneNotSupported(name string) *graphErr {
	return badRequest("TimeZoneNotSupportedException", "A valid TimeZone value must be specified. The following TimeZone value is not supported: '"+name+"'.")
}

func enumNotFound(v string) *graphErr {
	return badRequest("RequestBodyRead", "Requested value '"+v+"' was not found.")
}

// loadZone resolves a Windows time zone name or an IANA name.
func loadZone(name string) (*time.Location, bool) {
	switch name {
	case "UTC", "Etc/UTC", "tzone://Microsoft/Utc":
		return time.UTC, true
	case "", "Local":
		return nil, false
	}
	if iana, ok := ianaForWindowsZone(name); ok {
		name = iana
	}
	if strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// graphDateTime is the dateTime of Graph's dateTimeTimeZone: seven
// fractional digits, no offset.
const graphDateTime = "2006-01-02T15:04:05.0000000"

// parseLocalDateTime reads the dateTime of a dateTimeTimeZone in loc. An
// offset, when present, wins.
func parseLocalDateTime(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.In(loc), true
	}
	return time.Time{}, false
}

var (
	importanceValues     = []string{"low", "normal", "high"}
	sensitivityValues    = []string{"normal", "personal", "private", "confidential"}
	showAsValues         = []string{"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"}
	attendeeTypeValues   = []string{"required", "optional", "resource"}
	providerValues       = []string{"unknown", "teamsForBusiness", "skypeForBusiness", "skypeForConsumer"}
	patternTypeValues    = []string{"daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"}
	rangeTypeValues      = []string{"endDate", "noEnd", "numbered"}
	weekIndexValues      = []string{"first", "second", "third", "fourth", "last"}
	calendarColorValues  = []string{"auto", "lightBlue", "lightGreen", "lightOrange", "lightGray", "lightYellow", "lightTeal", "lightPink", "lightBrown", "lightRed", "maxColor"}
	dayOfWeekValues      = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
	rruleWeekdays        = []rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}
	weekIndexSetPosition = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
)

// checkEnum returns the canonical spelling of v among values (Graph
// compares enum members case-insensitively).
func checkEnum(v string, values []string) (string, *graphErr) {
	i := slices.IndexFunc(values, func(x string) bool { return strings.EqualFold(x, v) })
	if i < 0 {
		return "", enumNotFound(v)
	}
	return values[i], nil
}

// validateEvent checks an event as Exchange does on save.
func validateEvent(e *Event) *graphErr {
	for _, tz := range []string{e.TimeZone, e.EndTimeZone} {
		if _, ok := loadZone(tz); !ok {
			return timeZoneNotSupported(tz)
		}
	}
	if e.End.Before(e.Start) {
		return validationFailure()
	}
	if e.IsAllDay {
		loc, _ := loadZone(e.TimeZone)
		if e.TimeZone != e.EndTimeZone || !atMidnight(e.Start.In(loc)) || !atMidnight(e.End.In(loc)) || !e.End.After(e.Start) {
			return validationFailure()
		}
	}
	for _, pair := range []struct {
		v      string
		values []string
	}{{e.Importance, importanceValues}, {e.Sensitivity, sensitivityValues}, {e.ShowAs, showAsValues}} {
		if _, ge := checkEnum(pair.v, pair.values); ge != nil {
			return ge
		}
	}
	if e.Recurrence != nil {
		if _, ok := loadZone(e.Recurrence.Range.RecurrenceTimeZone); !ok {
			return timeZoneNotSupported(e.Recurrence.Range.RecurrenceTimeZone)
		}
		if _, _, err := buildRule(e); err != nil {
			return err
		}
	}
	return nil
}

func atMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// buildRule turns a series master's patternedRecurrence into an RRULE
// whose start is the event's local start time on range.startDate, in the
// recurrence time zone.
func buildRule(e *Event) (*rrule.RRule, *time.Location, *graphErr) {
	rec := e.Recurrence
	p, rg := rec.Pattern, rec.Range
	loc, ok := loadZone(rg.RecurrenceTimeZone)
	if !ok {
		return nil, nil, timeZoneNotSupported(rg.RecurrenceTimeZone)
	}
	if _, ge := checkEnum(p.Type, patternTypeValues); ge != nil {
		return nil, nil, ge
	}
	if _, ge := checkEnum(rg.Type, rangeTypeValues); ge != nil {
		return nil, nil, ge
	}
	day, err := time.ParseInLocation(time.DateOnly, rg.StartDate, loc)
	if err != nil || p.Interval < 1 || p.Interval > 999 {
		return nil, nil, validationFailure()
	}
	local := e.Start.In(loc)
	opt := rrule.ROption{
		Dtstart:  time.Date(day.Year(), day.Month(), day.Day(), local.Hour(), local.Minute(), local.Second(), 0, loc),
		Interval: p.Interval,
	}
	wkst, ge := checkEnum(p.FirstDayOfWeek, dayOfWeekValues)
	if ge != nil {
		return nil, nil, ge
	}
	opt.Wkst = rruleWeekdays[slices.Index(dayOfWeekValues, wkst)]
	var days []rrule.Weekday
	for _, d := range p.DaysOfWeek {
		c, ge := checkEnum(d, dayOfWeekValues)
		if ge != nil {
			return nil, nil, ge
		}
		days = append(days, rruleWeekdays[slices.Index(dayOfWeekValues, c)])
	}
	setPos := func() ([]int, bool) {
		idx, ge := checkEnum(p.Index, weekIndexValues)
		if ge != nil {
			return nil, false
		}
		return []int{weekIndexSetPosition[idx]}, true
	}
	switch strings.ToLower(p.Type) {
	case "daily":
		opt.Freq = rrule.DAILY
	case "weekly":
		if len(days) == 0 {
			return nil, nil, validationFailure()
		}
		opt.Freq, opt.Byweekday = rrule.WEEKLY, days
	case "absolutemonthly":
		if p.DayOfMonth < 1 || p.DayOfMonth > 31 {
			return nil, nil, validationFailure()
		}
		opt.Freq, opt.Bymonthday = rrule.MONTHLY, []int{p.DayOfMonth}
	case "relativemonthly":
		pos, ok := setPos()
		if len(days) == 0 || !ok {
			return nil, nil, validationFailure()
		}
		opt.Freq, opt.Byweekday, opt.Bysetpos = rrule.MONTHLY, days, pos
	case "absoluteyearly":
		if p.Month < 1 || p.Month > 12 || p.DayOfMonth < 1 || p.DayOfMonth > 31 {
			return nil, nil, validationFailure()
		}
		opt.Freq, opt.Bymonth, opt.Bymonthday = rrule.YEARLY, []int{p.Month}, []int{p.DayOfMonth}
	case "relativeyearly":
		pos, ok := setPos()
		if p.Month < 1 || p.Month > 12 || len(days) == 0 || !ok {
			return nil, nil, validationFailure()
		}
		opt.Freq, opt.Bymonth, opt.Byweekday, opt.Bysetpos = rrule.YEARLY, []int{p.Month}, days, pos
	}
	switch strings.ToLower(rg.Type) {
	case "numbered":
		if rg.NumberOfOccurrences < 1 {
			return nil, nil, validationFailure()
		}
		opt.Count = rg.NumberOfOccurrences
	case "enddate":
		end, err := time.ParseInLocation(time.DateOnly, rg.EndDate, loc)
		if err != nil || end.Before(day) {
			return nil, nil, validationFailure()
		}
		opt.Until = time.Date(end.Year(), end.Month(), end.Day(), 23, 59, 59, 0, loc)
	}
	rule, err := rrule.NewRRule(opt)
	if err != nil {
		return nil, nil, validationFailure()
	}
	return rule, loc, nil
}

// occurrenceAt builds the occurrence of a series starting at start.
func (ce *calEvent) occurrenceAt(start time.Time) Event {
	m := &ce.ev
	occ := cloneEvent(*m)
	occ.ID = occurrenceID(m.ID, start)
	occ.Type = "occurrence"
	occ.SeriesMasterID = m.ID
	occ.OriginalStart = start.UTC()
	occ.Start = start
	occ.End = start.Add(m.End.Sub(m.Start))
	occ.Recurrence = nil
	occ.ICalUID = occurrenceICalUID(m.ICalUID, start)
	occ.uid = m.ICalUID
	return occ
}

// instanceAt returns the occurrence or exception whose original start is
// originalStart; false when the series has none there or it is cancelled.
func (ce *calEvent) instanceAt(originalStart time.Time) (Event, bool) {
	if o := ce.overrides[originalStart.Unix()]; o != nil {
		if o.cancelled {
			return Event{}, false
		}
		return o.ev, true
	}
	rule, _, ge := buildRule(&ce.ev)
	if ge != nil {
		return Event{}, false
	}
	if hits := rule.Between(originalStart, originalStart, true); len(hits) == 0 || !hits[0].Equal(originalStart) {
		return Event{}, false
	}
	return ce.occurrenceAt(originalStart), true
}

// overlaps reports whether [start, end) meets the window [from, to); an
// event of no duration meets it when it starts inside.
func overlaps(start, end, from, to time.Time) bool {
	if !start.Before(to) {
		return false
	}
	if end.Equal(start) {
		return !start.Before(from)
	}
	return end.After(from)
}

// instances returns the single instance, or the occurrences and
// exceptions of a series, that overlap [from, to), earliest first.
func (ce *calEvent) instances(from, to time.Time) []Event {
	if ce.ev.Recurrence == nil {
		if overlaps(ce.ev.Start, ce.ev.End, from, to) {
			return []Event{ce.ev}
		}
		return nil
	}
	rule, _, ge := buildRule(&ce.ev)
	if ge != nil {
		return nil
	}
	dur := ce.ev.End.Sub(ce.ev.Start)
	var out []Event
	for _, start := range rule.Between(from.Add(-dur), to, true) {
		if ce.overrides[start.Unix()] != nil {
			continue
		}
		if overlaps(start, start.Add(dur), from, to) {
			out = append(out, ce.occurrenceAt(start))
		}
	}
	for _, o := range ce.overrides {
		if !o.cancelled && overlaps(o.ev.Start, o.ev.End, from, to) {
			out = append(out, o.ev)
		}
	}
	sortByStart(out)
	return out
}
