package calendar

//go:generate go run gen_windowszones.go

import (
	"strings"
	"time"
)

// LoadLocation returns the location of a time zone name: an IANA name
// ("America/New_York") or a Windows name as Microsoft Graph uses them
// ("Eastern Standard Time", mapped through CLDR's windowsZones table).
// "UTC", "GMT", "Etc/UTC" and "Etc/GMT" are all time.UTC. An unknown name
// is a *FieldError.
//
// It reads the system's zone database through time.LoadLocation; a host
// whose image has none (a scratch container) imports time/tzdata.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || len(name) > 128 {
		return nil, &FieldError{Field: "timezone", Problem: "is not a known time zone"}
	}
	switch name {
	case "UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z", "Coordinated Universal Time", "Greenwich Mean Time":
		return time.UTC, nil
	}
	if iana, ok := windowsToIANA[name]; ok {
		name = iana
	}
	if name == "Etc/UTC" {
		return time.UTC, nil
	}
	// time.LoadLocation also opens names like "Local" or paths under the
	// zone directory; accept only the shape of IANA names.
	if name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\ \x00") {
		return nil, &FieldError{Field: "timezone", Problem: "is not a known time zone"}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &FieldError{Field: "timezone", Problem: "is not a known time zone"}
	}
	return loc, nil
}

// ZoneName returns the canonical name of a zone for the API: the IANA
// name, "UTC" for UTC.
func ZoneName(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return loc.String()
}

// WindowsZone returns the Windows name of an IANA zone ("" when CLDR maps
// none), for providers that store Windows names.
func WindowsZone(iana string) string {
	if iana == "UTC" {
		return "UTC"
	}
	return ianaToWindows[iana]
}

// IANAZone returns the IANA zone CLDR maps a Windows time zone name to
// (its "001" territory), such as "America/New_York" for "Eastern Standard
// Time". Names match exactly, as Windows compares them.
func IANAZone(windows string) (string, bool) {
	iana, ok := windowsToIANA[windows]
	return iana, ok
}
