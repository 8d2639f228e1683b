// Package calendar is the model of the unified Calendar API and the
// capability a connector implements to serve it (Provider).
//
// The JSON shapes follow Aurinko's public API (Calendar, Event,
// EventDateTime, Attendee, Recurrence, MeetingInfo, OccurrenceInfo,
// FreeBusySchedule). Times are normalized so that the same event reads the
// same from every provider: a timed start or end is an RFC 3339 dateTime in
// the event's own zone with that instant's offset, and timezone is an IANA
// name (Windows names from Microsoft Graph are mapped by LoadLocation);
// all-day events carry dateOnly with an exclusive end date. Recurrence is
// given as RFC 5545 rules (recurrence.ical.rules) and, when the rule fits
// it, as the simple pattern/range form too; RuleToSimple and SimpleToRule
// convert between them.
//
// It is a leaf package: besides the standard library it imports only
// unified/provider and the RRULE parser it validates rules with.
package calendar
