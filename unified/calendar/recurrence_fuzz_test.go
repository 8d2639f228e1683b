package calendar

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzStart builds the start of a series from fuzz inputs: a time (RFC
// 3339) or a date, and a zone name.
func fuzzStart(dateTime, dateOnly, zone string) DateTime {
	d := DateTime{DateOnly: dateOnly, TimeZone: zone}
	if t, err := time.Parse(time.RFC3339, dateTime); err == nil {
		d.DateTime = &t
	}
	return d
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && string(x) == string(y)
}

// checkRecurrence checks a Recurrence that NewRecurrence built for start:
// its rules are canonical (they build the same Recurrence again), Rules,
// Validate and SimpleForm agree with it, and its simple form, when it has
// one, converts back to rules whose simple form is the same.
func checkRecurrence(t *testing.T, rec *Recurrence, start DateTime) {
	t.Helper()
	if rec == nil || rec.ICal == nil || len(rec.ICal.Rules) == 0 || !strings.HasPrefix(rec.ICal.Rules[0], "RRULE:") {
		t.Fatalf("recurrence without an RRULE first: %+v", rec)
	}
	again, err := NewRecurrence(rec.ICal.Rules, start)
	if err != nil {
		t.Fatalf("canonical rules %q do not parse again: %v", rec.ICal.Rules, err)
	}
	if !slices.Equal(again.ICal.Rules, rec.ICal.Rules) || !sameJSON(again.Simple, rec.Simple) {
		t.Fatalf("canonical form is not stable:\n%q %s\n%q %s", rec.ICal.Rules, mustJSON(rec.Simple), again.ICal.Rules, mustJSON(again.Simple))
	}
	rules, err := (&Recurrence{ICal: rec.ICal}).Rules(start)
	if err != nil || !slices.Equal(rules, rec.ICal.Rules) {
		t.Fatalf("Rules = %q, %v; want %q", rules, err, rec.ICal.Rules)
	}
	if err := rec.Validate(start); err != nil {
		t.Fatalf("Validate of a built recurrence: %v", err)
	}
	simple, err := (&Recurrence{ICal: rec.ICal}).SimpleForm(start)
	if (err == nil) != (rec.Simple != nil) {
		t.Fatalf("SimpleForm = %+v, %v; NewRecurrence's simple form %+v", simple, err, rec.Simple)
	}
	if rec.Simple == nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("SimpleForm error %v is not a FieldError", err)
		}
		return
	}
	if !sameJSON(simple, rec.Simple) {
		t.Fatalf("SimpleForm = %s, NewRecurrence's = %s", mustJSON(simple), mustJSON(rec.Simple))
	}
	back, err := (&Recurrence{Simple: rec.Simple}).Rules(start)
	if err != nil {
		t.Fatalf("the simple form %s of %q does not convert back: %v", mustJSON(rec.Simple), rec.ICal.Rules, err)
	}
	fromSimple, err := NewRecurrence(back, start)
	if err != nil {
		t.Fatalf("rules %q of the simple form do not parse: %v", back, err)
	}
	if !sameJSON(fromSimple.Simple, rec.Simple) {
		t.Fatalf("simple form not stable through rules %q:\n%s\n%s", back, mustJSON(rec.Simple), mustJSON(fromSimple.Simple))
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// FuzzNewRecurrence feeds RFC 5545 rule lines (as Google stores them and
// clients send them in recurrence.ical.rules) and a series start to
// NewRecurrence. It never panics; a refusal is a *FieldError; an accepted
// rule is canonical and stable (checkRecurrence).
func FuzzNewRecurrence(f *testing.F) {
	for _, s := range []struct{ rules, dateTime, dateOnly, zone string }{
		{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4", "2026-10-19T09:00:00-04:00", "", "America/New_York"},
		{"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,MO;WKST=SU", "2026-10-19T09:00:00Z", "", "Eastern Standard Time"},
		{"RRULE:FREQ=MONTHLY;BYDAY=-1FR\nEXDATE;TZID=America/New_York:20261030T090000", "2026-10-30T09:00:00-04:00", "", "America/New_York"},
		{"RRULE:FREQ=YEARLY;UNTIL=20301224", "", "2026-12-24", ""},
		{"RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=2", "2026-03-10T23:30:00+01:00", "", "Europe/Berlin"},
		{"RRULE:FREQ=DAILY;COUNT=3\nRDATE:20261201T140000Z", "2026-11-30T14:00:00Z", "", "UTC"},
		{"RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "", "2028-02-29", "Australia/Lord_Howe"},
		{"RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20270131T000000Z", "2026-01-31T00:30:00+05:45", "", "Asia/Kathmandu"},
		{"RRULE:FREQ=WEEKLY;BYDAY=+1MO", "2026-03-29T02:30:00+02:00", "", "Europe/Paris"},
		{"rrule:freq=daily;interval=0", "2026-01-01T00:00:00Z", "2026-01-01", "Local"},
		{"EXDATE:20261026T130000Z\nRRULE:FREQ=DAILY;BYHOUR=3", "", "", ""},
	} {
		f.Add(s.rules, s.dateTime, s.dateOnly, s.zone)
	}
	f.Fuzz(func(t *testing.T, rules, dateTime, dateOnly, zone string) {
		start := fuzzStart(dateTime, dateOnly, zone)
		lines := strings.Split(rules, "\n")
		rec, err := NewRecurrence(lines, start)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("NewRecurrence(%q) error %v is not a FieldError", lines, err)
			}
			return
		}
		checkRecurrence(t, rec, start)
	})
}

// FuzzSimpleRecurrence feeds the simple form (Microsoft Graph's
// patternedRecurrence shape, as clients send recurrence.simple) as JSON.
// It never panics; an accepted form converts to rules that NewRecurrence
// accepts, whose result is canonical and stable (checkRecurrence).
func FuzzSimpleRecurrence(f *testing.F) {
	for _, s := range []struct{ simple, dateTime, dateOnly, zone string }{
		{`{"pattern":{"frequency":"weekly","interval":2,"daysOfWeek":["monday","Tuesday"],"weekStart":"sunday"},"range":{"type":"byCount","count":10}}`,
			"2026-10-19T09:00:00-04:00", "", "America/New_York"},
		{`{"pattern":{"frequency":"monthlyRelative","daysOfWeek":["friday"],"instance":"last"},"range":{"type":"byDate","recurrenceEnd":"2027-06-30"}}`,
			"2026-10-30T09:00:00Z", "", "UTC"},
		{`{"pattern":{"frequency":"yearly","dayOfMonth":29,"monthOfYear":2},"range":{"type":"unbounded"}}`, "", "2028-02-29", ""},
		{`{"pattern":{"frequency":"yearlyRelative","daysOfWeek":["sunday","saturday"],"instance":"first","monthOfYear":3},"range":{"type":"noEnd"}}`,
			"2026-03-01T10:00:00+01:00", "", "W. Europe Standard Time"},
		{`{"pattern":{"frequency":"daily","interval":999},"range":{"type":"byDate","recurrenceEnd":"2026-01-01","patternExclusions":[{"dateTime":"2026-01-02T09:00:00Z"},{"dateOnly":"2026-01-03"}]}}`,
			"2026-01-01T09:00:00Z", "", "UTC"},
		{`{"pattern":{"frequency":"monthly","dayOfMonth":31},"range":{"type":"byCount","count":999}}`, "2026-01-31T23:59:59+14:00", "", "Pacific/Kiritimati"},
	} {
		f.Add(s.simple, s.dateTime, s.dateOnly, s.zone)
	}
	f.Fuzz(func(t *testing.T, simple, dateTime, dateOnly, zone string) {
		var s SimpleRecurrence
		if json.Unmarshal([]byte(simple), &s) != nil {
			return
		}
		start := fuzzStart(dateTime, dateOnly, zone)
		rec := &Recurrence{Simple: &s}
		if err := rec.Validate(start); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate(%s) error %v is not a FieldError", simple, err)
			}
			if _, err := rec.Rules(start); err == nil {
				t.Fatalf("Rules accepted %s, which Validate refused", simple)
			}
			return
		}
		rules, err := rec.Rules(start)
		if err != nil {
			t.Fatalf("Rules(%s) after Validate: %v", simple, err)
		}
		built, err := NewRecurrence(rules, start)
		if err != nil {
			t.Fatalf("rules %q of %s do not parse: %v", rules, simple, err)
		}
		checkRecurrence(t, built, start)
	})
}
