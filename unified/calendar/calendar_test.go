package calendar

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestLoadLocation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"America/New_York", "America/New_York", true},
		{"Eastern Standard Time", "America/New_York", true},
		{"W. Europe Standard Time", "Europe/Berlin", true},
		{"UTC", "UTC", true},
		{"Etc/UTC", "UTC", true},
		{"GMT", "UTC", true},
		{"", "", false},
		{"Local", "", false},
		{"Mars/Olympus_Mons", "", false},
		{"../../etc/passwd", "", false},
		{"/usr/share/zoneinfo/UTC", "", false},
		{"America/New York", "", false},
		{"America/New_York\x00", "", false},
		{strings.Repeat("A", 200), "", false},
	} {
		loc, err := LoadLocation(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("LoadLocation(%q) error = %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if tc.ok && ZoneName(loc) != tc.want {
			t.Errorf("LoadLocation(%q) = %s, want %s", tc.name, ZoneName(loc), tc.want)
		}
	}
	if WindowsZone("America/New_York") != "Eastern Standard Time" || WindowsZone("UTC") != "UTC" || WindowsZone("Nowhere/Else") != "" {
		t.Error("WindowsZone mapping is wrong")
	}
}

func TestRecurrenceRoundTrip(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	start := At(time.Date(2026, 10, 19, 9, 0, 0, 0, ny), ny)
	allDay := OnDate("2026-12-24")
	for _, tc := range []struct {
		name      string
		rules     []string
		start     DateTime
		wantRules []string
		simple    string // JSON of the pattern and range type, "" when none
	}{
		{"weekly count", []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"}, start,
			[]string{"RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"}, `{"frequency":"weekly","interval":1,"daysOfWeek":["monday"]}|byCount|4`},
		{"weekly implied day", []string{"RRULE:FREQ=WEEKLY;COUNT=2"}, start,
			[]string{"RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=MO"}, `{"frequency":"weekly","interval":1,"daysOfWeek":["monday"]}|byCount|2`},
		{"daily until", []string{"RRULE:FREQ=DAILY;UNTIL=20261031T235959Z"}, start,
			[]string{"RRULE:FREQ=DAILY;UNTIL=20261031T235959Z"}, `{"frequency":"daily","interval":1}|byDate|0`},
		{"biweekly sunday start", []string{"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,MO;WKST=SU"}, start,
			[]string{"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;WKST=SU"}, `{"frequency":"weekly","interval":2,"daysOfWeek":["monday","tuesday"],"weekStart":"sunday"}|unbounded|0`},
		{"monthly relative", []string{"RRULE:FREQ=MONTHLY;BYDAY=-1FR"}, start,
			[]string{"RRULE:FREQ=MONTHLY;BYDAY=-1FR"}, `{"frequency":"monthlyRelative","interval":1,"daysOfWeek":["friday"],"instance":"last"}|unbounded|0`},
		{"yearly", []string{"RRULE:FREQ=YEARLY"}, allDay,
			[]string{"RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24"}, `{"frequency":"yearly","interval":1,"dayOfMonth":24,"monthOfYear":12}|unbounded|0`},
		{"exdate", []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4", "EXDATE;TZID=America/New_York:20261026T090000"}, start,
			[]string{"RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO", "EXDATE:20261026T130000Z"}, `{"frequency":"weekly","interval":1,"daysOfWeek":["monday"]}|byCount|4`},
		{"rdate has no simple form", []string{"RRULE:FREQ=DAILY;COUNT=3", "RDATE:20261201T140000Z"}, start,
			[]string{"RRULE:FREQ=DAILY;COUNT=3", "RDATE:20261201T140000Z"}, ""},
		{"byyearday has no simple form", []string{"RRULE:FREQ=YEARLY;BYYEARDAY=100"}, start,
			[]string{"RRULE:FREQ=YEARLY;BYYEARDAY=100"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := NewRecurrence(tc.rules, tc.start)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.ICal.Rules, tc.wantRules) {
				t.Fatalf("rules = %q, want %q", rec.ICal.Rules, tc.wantRules)
			}
			if tc.simple == "" {
				if rec.Simple != nil {
					t.Fatalf("simple = %+v, want none", rec.Simple)
				}
				if _, err := rec.SimpleForm(tc.start); err == nil {
					t.Fatal("SimpleForm succeeded for a rule without a simple form")
				}
				return
			}
			if rec.Simple == nil {
				t.Fatal("no simple form")
			}
			p, _ := json.Marshal(rec.Simple.Pattern)
			got := string(p) + "|" + rec.Simple.Range.Type + "|" + itoa(rec.Simple.Range.Count)
			if got != tc.simple {
				t.Fatalf("simple = %s, want %s", got, tc.simple)
			}
			// The simple form converts back to the same rules.
			back, err := (&Recurrence{Simple: rec.Simple}).Rules(tc.start)
			if err != nil {
				t.Fatal(err)
			}
			if back[0] != tc.wantRules[0] && !strings.Contains(tc.wantRules[0], "UNTIL") {
				t.Fatalf("simple → rules = %q, want %q", back, tc.wantRules)
			}
			again, err := NewRecurrence(back, tc.start)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, again.Simple, rec.Simple) {
				t.Fatalf("simple form not stable: %+v vs %+v", again.Simple, rec.Simple)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestRecurrenceHostile(t *testing.T) {
	t.Parallel()
	start := At(time.Date(2026, 10, 19, 9, 0, 0, 0, time.UTC), time.UTC)
	for _, rules := range [][]string{
		nil,
		{""},
		{"RRULE:"},
		{"RRULE:FREQ=SOMETIMES"},
		{"RRULE:FREQ=WEEKLY;BYDAY=XX"},
		{"RRULE:FREQ=WEEKLY;COUNT=abc"},
		{"RRULE:FREQ=DAILY;BYMONTHDAY=40"},
		{"RRULE:FREQ=HOURLY"},
		{"RRULE:FREQ=DAILY;BYHOUR=3"},
		{"RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"},
		{"EXDATE:20261026T130000Z"},
		{"RRULE:FREQ=DAILY", "EXDATE:notadate"},
		{"RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY"},
		{"RRULE:FREQ=DAILY\r\nATTENDEE:x"},
		{"X-CUSTOM:1"},
		{strings.Repeat("RRULE:FREQ=DAILY;", 200)},
	} {
		if _, err := NewRecurrence(rules, start); err == nil {
			t.Errorf("NewRecurrence(%q) succeeded", rules)
		} else if fe := (*FieldError)(nil); !errors.As(err, &fe) {
			t.Errorf("NewRecurrence(%q) error %v is not a FieldError", rules, err)
		}
	}
	for _, s := range []SimpleRecurrence{
		{Pattern: Pattern{Frequency: "fortnightly"}},
		{Pattern: Pattern{Frequency: FreqWeekly}},
		{Pattern: Pattern{Frequency: FreqWeekly, DaysOfWeek: []string{"funday"}}},
		{Pattern: Pattern{Frequency: FreqWeekly, DaysOfWeek: []string{"monday"}, WeekStart: "friday"}},
		{Pattern: Pattern{Frequency: FreqMonthly, DayOfMonth: 32}},
		{Pattern: Pattern{Frequency: FreqYearly, DayOfMonth: 1, MonthOfYear: 13}},
		{Pattern: Pattern{Frequency: FreqMonthlyRelative, DaysOfWeek: []string{"monday"}, Instance: "fifth"}},
		{Pattern: Pattern{Frequency: FreqDaily, Interval: -1}},
		{Pattern: Pattern{Frequency: FreqDaily}, Range: Range{Type: RangeByCount}},
		{Pattern: Pattern{Frequency: FreqDaily}, Range: Range{Type: RangeByDate, RecurrenceEnd: "tomorrow"}},
		{Pattern: Pattern{Frequency: FreqDaily}, Range: Range{Type: "forever"}},
	} {
		if err := (&Recurrence{Simple: &s}).Validate(start); err == nil {
			t.Errorf("Validate(%+v) succeeded", s)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestEventChangeValidate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	ok := func() EventChange {
		return EventChange{Subject: ptr("x"), Start: &DateTime{DateTime: &t0, TimeZone: "Eastern Standard Time"}, End: &DateTime{DateTime: &t1, TimeZone: "America/New_York"}}
	}
	c := ok()
	if err := c.Validate(true); err != nil {
		t.Fatal(err)
	}
	if c.Start.TimeZone != "America/New_York" || c.Start.DateTime.Hour() != 4 {
		t.Fatalf("start not normalized: %+v %v", c.Start, c.Start.DateTime)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*EventChange)
		field  string
	}{
		{"missing start", func(c *EventChange) { c.Start = nil }, "start and end"},
		{"end before start", func(c *EventChange) { c.End = &DateTime{DateTime: ptr(t0.Add(-time.Minute))} }, "end"},
		{"mixed kinds", func(c *EventChange) { c.End = &DateTime{DateOnly: "2026-11-03"} }, "start and end"},
		{"both set", func(c *EventChange) { c.Start.DateOnly = "2026-11-02" }, "start"},
		{"neither set", func(c *EventChange) { c.Start = &DateTime{} }, "start"},
		{"bad date", func(c *EventChange) {
			c.Start, c.End = &DateTime{DateOnly: "2026-02-30"}, &DateTime{DateOnly: "2026-03-01"}
		}, "start.dateOnly"},
		{"all-day empty", func(c *EventChange) {
			c.Start, c.End = &DateTime{DateOnly: "2026-03-01"}, &DateTime{DateOnly: "2026-03-01"}
		}, "end"},
		{"unknown zone", func(c *EventChange) { c.Start.TimeZone = "Atlantis/Central" }, "start.timezone"},
		{"year 10000", func(c *EventChange) { c.Start.DateTime = ptr(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) }, "start.dateTime"},
		{"bad rrule", func(c *EventChange) {
			c.Recurrence = &Recurrence{ICal: &ICalRecurrence{Rules: []string{"RRULE:FREQ=NEVER"}}}
		}, "recurrence.ical.rules"},
		{"bad attendee", func(c *EventChange) {
			c.MeetingInfo = &MeetingInfo{Attendees: []Attendee{{EmailAddress: EmailAddress{Address: "Bob <bob@example.com>"}}}}
		}, "meetingInfo.attendees.emailAddress.address"},
		{"attendee type", func(c *EventChange) {
			c.MeetingInfo = &MeetingInfo{Attendees: []Attendee{{EmailAddress: EmailAddress{Address: "bob@example.com"}, Type: "vip"}}}
		}, "meetingInfo.attendees.type"},
		{"showAs", func(c *EventChange) { c.ShowAs = ptr("away") }, "showAs"},
		{"subject nul", func(c *EventChange) { c.Subject = ptr("a\x00b") }, "subject"},
		{"subject invalid utf8", func(c *EventChange) { c.Subject = ptr("a\xffb") }, "subject"},
		{"subject too long", func(c *EventChange) { c.Subject = ptr(strings.Repeat("a", MaxSubject+1)) }, "subject"},
		{"reminder", func(c *EventChange) { c.Reminder = &Reminder{Overrides: []ReminderOverride{{Minutes: -5}}} }, "reminder.overrides.minutes"},
	} {
		c := ok()
		tc.mutate(&c)
		err := c.Validate(true)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: error = %v, want a FieldError on %s", tc.name, err, tc.field)
		}
	}
	// A patch may carry neither start nor end.
	if err := (&EventChange{Subject: ptr("y")}).Validate(false); err != nil {
		t.Fatal(err)
	}
}

func TestEventNormalizeDST(t *testing.T) {
	t.Parallel()
	// 09:00 New York before and after the 2026-11-01 change, given in UTC.
	for _, tc := range []struct {
		utc  time.Time
		want string
	}{
		{time.Date(2026, 10, 26, 13, 0, 0, 0, time.UTC), "2026-10-26T09:00:00-04:00"},
		{time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC), "2026-11-02T09:00:00-05:00"},
	} {
		e := Event{Start: DateTime{DateTime: &tc.utc, TimeZone: "Eastern Standard Time"}, End: DateTime{DateOnly: ""}}
		e.Normalize()
		b, _ := json.Marshal(e.Start)
		if want := `{"dateTime":"` + tc.want + `","timezone":"America/New_York"}`; string(b) != want {
			t.Errorf("start = %s, want %s", b, want)
		}
		if e.RecurrenceType != RecurrenceSingle {
			t.Errorf("recurrenceType = %q", e.RecurrenceType)
		}
	}
}

func TestFreeBusyValidate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, r := range []FreeBusyRequest{
		{},
		{TimeMin: t0, TimeMax: t0, Emails: []string{"a@example.com"}},
		{TimeMin: t0, TimeMax: t0.Add(100 * 24 * time.Hour), Emails: []string{"a@example.com"}},
		{TimeMin: t0, TimeMax: t0.Add(time.Hour)},
		{TimeMin: t0, TimeMax: t0.Add(time.Hour), Emails: []string{"not an address"}},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("Validate(%+v) succeeded", r)
		}
	}
	if err := (&FreeBusyRequest{TimeMin: t0, TimeMax: t0.Add(time.Hour), Emails: []string{"a@example.com"}}).Validate(); err != nil {
		t.Fatal(err)
	}
}
