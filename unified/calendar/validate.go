package calendar

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of event fields.
const (
	MaxSubject     = 1024
	MaxDescription = 64 << 10
	MaxLocation    = 1024
	MaxAttendees   = 500
	MaxCategories  = 50
)

// normalizeDateTime checks d and returns it with its dateTime in its own
// zone and the zone's canonical name.
func normalizeDateTime(field string, d DateTime) (DateTime, error) {
	switch {
	case d.DateTime != nil && d.DateOnly != "":
		return d, &FieldError{Field: field, Problem: "has both dateTime and dateOnly"}
	case d.DateTime == nil && d.DateOnly == "":
		return d, &FieldError{Field: field, Problem: "needs dateTime or dateOnly"}
	case d.DateOnly != "":
		if _, err := time.Parse(time.DateOnly, d.DateOnly); err != nil {
			return d, &FieldError{Field: field + ".dateOnly", Problem: "is not a date (YYYY-MM-DD)"}
		}
		if d.TimeZone != "" {
			if _, err := LoadLocation(d.TimeZone); err != nil {
				return d, &FieldError{Field: field + ".timezone", Problem: "is not a known time zone"}
			}
		}
		return DateTime{DateOnly: d.DateOnly}, nil
	}
	t := *d.DateTime
	if t.Year() < 1900 || t.Year() > 2200 {
		return d, &FieldError{Field: field + ".dateTime", Problem: "is out of range"}
	}
	loc := time.UTC
	if d.TimeZone != "" {
		var err error
		if loc, err = LoadLocation(d.TimeZone); err != nil {
			return d, &FieldError{Field: field + ".timezone", Problem: "is not a known time zone"}
		}
	} else if t.Location() != time.UTC {
		// An offset without a zone: keep the instant, in UTC.
		loc = time.UTC
	}
	t = t.In(loc)
	return DateTime{DateTime: &t, TimeZone: ZoneName(loc)}, nil
}

func checkText(field, v string, limit int) error {
	if len(v) > limit {
		return &FieldError{Field: field, Problem: "is too long"}
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return &FieldError{Field: field, Problem: "is not valid text"}
	}
	return nil
}

// Validate checks a change and normalizes its times. create requires
// start and end. The end must not be before the start; both must be
// dates or both times; zones must be known; a recurrence must parse;
// attendees need valid addresses.
func (c *EventChange) Validate(create bool) error {
	if create && (c.Start == nil || c.End == nil) {
		return &FieldError{Field: "start and end", Problem: "are required"}
	}
	for _, f := range []struct {
		name  string
		v     *string
		limit int
	}{{"subject", c.Subject, MaxSubject}, {"description", c.Description, MaxDescription}, {"location", c.Location, MaxLocation}} {
		if f.v != nil {
			if err := checkText(f.name, *f.v, f.limit); err != nil {
				return err
			}
		}
	}
	if c.Start != nil {
		d, err := normalizeDateTime("start", *c.Start)
		if err != nil {
			return err
		}
		c.Start = &d
	}
	if c.End != nil {
		d, err := normalizeDateTime("end", *c.End)
		if err != nil {
			return err
		}
		c.End = &d
	}
	if c.Start != nil && c.End != nil {
		if c.Start.AllDay() != c.End.AllDay() {
			return &FieldError{Field: "start and end", Problem: "must both be dates or both be times"}
		}
		s, _ := c.Start.Instant(time.UTC)
		e, _ := c.End.Instant(time.UTC)
		if e.Before(s) || (c.Start.AllDay() && !e.After(s)) {
			return &FieldError{Field: "end", Problem: "is before start"}
		}
	}
	if c.Recurrence != nil {
		if c.Start == nil {
			return &FieldError{Field: "recurrence", Problem: "needs start in the same change"}
		}
		if err := c.Recurrence.Validate(*c.Start); err != nil {
			return err
		}
	}
	if m := c.MeetingInfo; m != nil {
		if len(m.Attendees) > MaxAttendees {
			return &FieldError{Field: "meetingInfo.attendees", Problem: "has too many entries"}
		}
		for i := range m.Attendees {
			a := &m.Attendees[i]
			if err := checkAddress("meetingInfo.attendees.emailAddress.address", a.EmailAddress.Address); err != nil {
				return err
			}
			if err := checkText("meetingInfo.attendees.emailAddress.name", a.EmailAddress.Name, 256); err != nil {
				return err
			}
			switch a.Type {
			case "":
				a.Type = AttendeeRequired
			case AttendeeRequired, AttendeeOptional, AttendeeResource:
			default:
				return &FieldError{Field: "meetingInfo.attendees.type", Problem: "must be required, optional or resource"}
			}
		}
	}
	if c.ShowAs != nil && !slices.Contains([]string{ShowFree, ShowBusy, ShowTentative, ShowOutOfOffice, ShowUnknown}, *c.ShowAs) {
		return &FieldError{Field: "showAs", Problem: "must be free, busy, tentative, outOfOffice or unknown"}
	}
	if c.Sensitivity != nil && !slices.Contains([]string{SensitivityNormal, SensitivityPrivate, SensitivityPersonal, SensitivityConfidential}, *c.Sensitivity) {
		return &FieldError{Field: "sensitivity", Problem: "must be normal, private, personal or confidential"}
	}
	if c.Categories != nil {
		if len(*c.Categories) > MaxCategories {
			return &FieldError{Field: "categories", Problem: "has too many entries"}
		}
		for _, s := range *c.Categories {
			if err := checkText("categories", s, 255); err != nil {
				return err
			}
		}
	}
	if r := c.Reminder; r != nil {
		for _, o := range r.Overrides {
			if o.Minutes < 0 || o.Minutes > 40320 {
				return &FieldError{Field: "reminder.overrides.minutes", Problem: "must be between 0 and 40320"}
			}
		}
	}
	return nil
}

func checkAddress(field, addr string) error {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || len(addr) > 320 {
		return &FieldError{Field: field, Problem: "is not an email address"}
	}
	return nil
}

// Validate checks a meeting response.
func (r *ResponseRequest) Validate() error {
	switch r.Response {
	case ResponseAccepted, ResponseTentative, ResponseDeclined:
	default:
		return &FieldError{Field: "response", Problem: "must be accepted, tentative or declined"}
	}
	return checkText("comment", r.Comment, 4096)
}

// Validate checks a free/busy request.
func (r *FreeBusyRequest) Validate() error {
	if r.TimeMin.IsZero() || r.TimeMax.IsZero() {
		return &FieldError{Field: "timeMin and timeMax", Problem: "are required"}
	}
	if !r.TimeMax.After(r.TimeMin) {
		return &FieldError{Field: "timeMax", Problem: "must be after timeMin"}
	}
	if r.TimeMax.Sub(r.TimeMin) > 62*24*time.Hour {
		return &FieldError{Field: "timeMax", Problem: "must be within 62 days of timeMin"}
	}
	if len(r.Emails) == 0 || len(r.Emails) > 100 {
		return &FieldError{Field: "emails", Problem: "must list 1 to 100 addresses"}
	}
	for _, e := range r.Emails {
		if err := checkAddress("emails", e); err != nil {
			return err
		}
	}
	return nil
}

// CheckRange checks a timeMin..timeMax window.
func CheckRange(timeMin, timeMax time.Time) error {
	if timeMin.IsZero() || timeMax.IsZero() {
		return &FieldError{Field: "timeMin and timeMax", Problem: "are required"}
	}
	if !timeMax.After(timeMin) {
		return &FieldError{Field: "timeMax", Problem: "must be after timeMin"}
	}
	if timeMax.Sub(timeMin) > MaxRange {
		return &FieldError{Field: "timeMax", Problem: "is too far from timeMin"}
	}
	return nil
}

// Normalize puts e in the form the API answers: start and end in the
// event's zone with its canonical name, times truncated to seconds,
// collections non-nil where the JSON shape always has them.
func (e *Event) Normalize() {
	for _, d := range []*DateTime{&e.Start, &e.End} {
		if d.DateTime == nil {
			continue
		}
		loc := d.DateTime.Location()
		if d.TimeZone != "" {
			if l, err := LoadLocation(d.TimeZone); err == nil {
				loc = l
			}
		}
		t := d.DateTime.In(loc).Truncate(time.Second)
		d.DateTime, d.TimeZone = &t, ZoneName(loc)
	}
	for _, p := range []**time.Time{&e.CreatedTime, &e.LastModifiedTime} {
		if *p != nil {
			t := (*p).UTC().Truncate(time.Second)
			*p = &t
		}
	}
	if e.RecurrenceType == "" {
		e.RecurrenceType = RecurrenceSingle
	}
	if e.MeetingInfo != nil && e.MeetingInfo.Attendees == nil {
		e.MeetingInfo.Attendees = []Attendee{}
	}
}
