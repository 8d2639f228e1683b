package graphtest

import "github.com/aurinko-go/aurinko/unified/calendar"

// ianaForWindowsZone returns the IANA name of a Windows time zone name
// (CLDR's territory "001" mapping, kept in package unified/calendar).
func ianaForWindowsZone(windows string) (string, bool) { return calendar.IANAZone(windows) }

// windowsZoneForIANA returns the Windows time zone name of an IANA name.
func windowsZoneForIANA(iana string) (string, bool) {
	w := calendar.WindowsZone(iana)
	return w, w != ""
}
