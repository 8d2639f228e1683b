package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// decodeChange decodes a request body as the unified handlers do: one JSON
// value and nothing after it.
func decodeChange(body []byte) (EventChange, bool) {
	var c EventChange
	dec := json.NewDecoder(bytes.NewReader(body))
	if dec.Decode(&c) != nil || dec.More() {
		return c, false
	}
	return c, true
}

// FuzzEventChange feeds event request bodies (POST and PATCH
// /calendars/{id}/events) through JSON decoding to EventChange.Validate.
// It never panics; a refusal is a *FieldError; an accepted change is
// normalized (times carry a known zone by its canonical name, dates none;
// the end is not before the start), validating its JSON again gives the
// same JSON (connectors see a stable form), and a recurrence it carries
// converts to rules (as connectors store it) that make a canonical,
// stable Recurrence.
func FuzzEventChange(f *testing.F) {
	for _, s := range []struct {
		body   string
		create bool
	}{
		{`{"subject":"Standup","start":{"dateTime":"2026-11-02T09:00:00Z","timezone":"Eastern Standard Time"},"end":{"dateTime":"2026-11-02T09:15:00-05:00","timezone":"America/New_York"},` +
			`"recurrence":{"ical":{"rules":["RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR","EXDATE;TZID=America/New_York:20261104T040000"]}},"showAs":"busy"}`, true},
		{`{"start":{"dateOnly":"2026-12-24"},"end":{"dateOnly":"2026-12-26"},"recurrence":{"simple":{"pattern":{"frequency":"yearly","dayOfMonth":24,"monthOfYear":12},"range":{"type":"unbounded"}}}}`, true},
		{`{"subject":"Review","meetingInfo":{"attendees":[{"emailAddress":{"name":"Bob","address":"bob@example.com"},"type":"optional"},{"emailAddress":{"address":"room1@example.com"},"type":"resource"}],"onlineMeeting":true},` +
			`"reminder":{"useDefault":false,"overrides":[{"method":"popup","minutes":10}]},"categories":["Blue"],"sensitivity":"private"}`, false},
		{`{"start":{"dateTime":"2026-03-29T02:30:00+01:00","timezone":"Europe/Paris"},"end":{"dateTime":"2026-03-29T03:30:00+02:00"}}`, true},
		{`{"start":{"dateTime":"2026-01-01T00:00:00Z","dateOnly":"2026-01-01"},"end":{"dateOnly":"2026-01-02"}}`, true},
		{`{"start":{"dateTime":"1899-12-31T23:59:59Z"},"end":{"dateTime":"2201-01-01T00:00:00Z"}}`, false},
		{`{"recurrence":{"ical":{"rules":["RRULE:FREQ=DAILY"]}}}`, false},
		{`{"subject":"a\u0000b"}`, false},
		{`{"subject":"x"} {"subject":"y"}`, false},
		{`{"start":{"dateOnly":"2026-02-30"},"end":{"dateOnly":"2026-03-01"}}`, true},
	} {
		f.Add([]byte(s.body), s.create)
	}
	f.Fuzz(func(t *testing.T, body []byte, create bool) {
		c, ok := decodeChange(body)
		if !ok {
			return
		}
		if err := c.Validate(create); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate error %v is not a FieldError", err)
			}
			return
		}
		if create && (c.Start == nil || c.End == nil) {
			t.Fatal("a create without start and end was accepted")
		}
		for _, d := range []*DateTime{c.Start, c.End} {
			if d == nil {
				continue
			}
			switch {
			case d.AllDay():
				if d.TimeZone != "" {
					t.Fatalf("an all-day date kept the zone %q", d.TimeZone)
				}
			case d.DateTime == nil:
				t.Fatalf("accepted an empty DateTime %+v", d)
			default:
				loc, err := LoadLocation(d.TimeZone)
				if err != nil || ZoneName(loc) != d.TimeZone || d.DateTime.Location().String() != loc.String() {
					t.Fatalf("time %v not in its zone %q (%v)", d.DateTime, d.TimeZone, err)
				}
			}
		}
		if c.Start != nil && c.End != nil {
			s, _ := c.Start.Instant(time.UTC)
			e, _ := c.End.Instant(time.UTC)
			if e.Before(s) || c.Start.AllDay() != c.End.AllDay() {
				t.Fatalf("end %v before start %v accepted", e, s)
			}
		}

		// The normalized change is a fixed point.
		norm, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal the normalized change: %v", err)
		}
		again, ok := decodeChange(norm)
		if !ok {
			t.Fatalf("normalized change %s does not decode", norm)
		}
		if err := again.Validate(create); err != nil {
			t.Fatalf("normalized change %s refused: %v", norm, err)
		}
		if norm2, _ := json.Marshal(again); !bytes.Equal(norm, norm2) {
			t.Fatalf("normalizing is not stable:\n%s\n%s", norm, norm2)
		}

		if c.Recurrence != nil {
			rules, err := c.Recurrence.Rules(*c.Start)
			if err != nil {
				t.Fatalf("a validated recurrence has no rules: %v", err)
			}
			rec, err := NewRecurrence(rules, *c.Start)
			if err != nil {
				t.Fatalf("rules %q of a validated recurrence do not parse: %v", rules, err)
			}
			checkRecurrence(t, rec, *c.Start)
		}
	})
}
