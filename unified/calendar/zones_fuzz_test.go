package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzLoadLocation feeds zone names (an event's timezone, a calendar's,
// Graph's Windows names) to LoadLocation. It never panics; a refusal is a
// *FieldError; a name that is neither a Windows name nor a UTC alias opens
// a zone only when it has the shape of an IANA name (no "Local", "..",
// leading "/", backslash, space or NUL: nothing outside the zone
// database); and an accepted zone's canonical name (ZoneName) loads the
// same zone again.
func FuzzLoadLocation(f *testing.F) {
	for _, s := range []string{
		"America/New_York", "Eastern Standard Time", "W. Europe Standard Time", "UTC", "Etc/UTC", "GMT", "Z",
		"Coordinated Universal Time", "Etc/GMT+12", "Asia/Kathmandu", "Local", "", "../../etc/passwd",
		"/usr/share/zoneinfo/UTC", "America/New York", "America/New_York\x00", "America", "zone.tab",
		"posixrules", "./UTC", "America//New_York", `America\New_York`, "UTC ", strings.Repeat("A/", 64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := LoadLocation(name)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "timezone" {
				t.Fatalf("LoadLocation(%q) error %v is not a timezone FieldError", name, err)
			}
			return
		}
		if loc == nil {
			t.Fatalf("LoadLocation(%q) = nil, nil", name)
		}
		iana, windows := windowsToIANA[name]
		switch {
		case loc == time.UTC:
		case windows:
			if loc.String() != iana {
				t.Fatalf("Windows zone %q loaded %q, want %q", name, loc, iana)
			}
		default:
			if name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") ||
				strings.ContainsAny(name, "\\ \x00") || len(name) > 128 {
				t.Fatalf("LoadLocation(%q) opened %q: not an IANA zone name", name, loc)
			}
			if loc.String() != name {
				t.Fatalf("LoadLocation(%q) = %q", name, loc)
			}
		}
		canon := ZoneName(loc)
		again, err := LoadLocation(canon)
		if err != nil || ZoneName(again) != canon {
			t.Fatalf("canonical name %q of %q does not load again: %v, %v", canon, name, again, err)
		}
	})
}
