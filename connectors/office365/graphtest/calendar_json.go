package graphtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// eventView is how a request wants events rendered.
type eventView struct {
	zoneLabel string         // the timeZone of start and end
	zone      *time.Location // start and end are shown in it
	bodyType  string         // "", "text" or "html"
	sel       []string       // $select; nil for every property
}

// preferredZone reads Prefer: outlook.timezone="..."; UTC without it.
func preferredZone(r *http.Request) (string, *time.Location, *graphErr) {
	for _, part := range strings.Split(strings.Join(r.Header.Values("Prefer"), ","), ",") {
		part = strings.TrimSpace(part)
		if len(part) > len("outlook.timezone=") && strings.EqualFold(part[:len("outlook.timezone=")], "outlook.timezone=") {
			name := strings.Trim(part[len("outlook.timezone="):], `"`)
			loc, ok := loadZone(name)
			if !ok {
				return "", nil, timeZoneNotSupported(name)
			}
			return name, loc, nil
		}
	}
	return "UTC", time.UTC, nil
}

// viewOf reads the Prefer headers and $select of an event request.
func viewOf(r *http.Request, allowSelect bool) (eventView, *graphErr) {
	label, loc, ge := preferredZone(r)
	if ge != nil {
		return eventView{}, ge
	}
	v := eventView{zoneLabel: label, zone: loc, bodyType: bodyPreference(r)}
	if sel := r.URL.Query().Get("$select"); sel != "" && allowSelect {
		for _, p := range strings.Split(sel, ",") {
			p = strings.TrimSpace(p)
			i := slices.IndexFunc(eventProperties, func(q string) bool { return strings.EqualFold(p, q) })
			if i < 0 {
				return eventView{}, badRequest("RequestBroker--ParseUri", "Could not find a property named '"+p+"' on type 'microsoft.graph.event'.")
			}
			v.sel = appendNew(v.sel, eventProperties[i])
		}
	}
	return v, nil
}

// writeEventJSON writes v with the Preference-Applied header Graph sends
// for outlook.body-content-type.
func writeEventJSON(w http.ResponseWriter, r *http.Request, v eventView, status int, body any) {
	if v.bodyType != "" {
		w.Header().Set("Preference-Applied", `outlook.body-content-type="`+v.bodyType+`"`)
	}
	writeGraphJSON(w, r, status, body)
}

// eventProperties are the properties of an event, those $select may name.
var eventProperties = []string{"id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "transactionId",
	"originalStartTimeZone", "originalEndTimeZone", "iCalUId", "uid", "reminderMinutesBeforeStart", "isReminderOn",
	"hasAttachments", "subject", "bodyPreview", "importance", "sensitivity", "isAllDay", "isCancelled", "isOrganizer",
	"responseRequested", "seriesMasterId", "showAs", "type", "webLink", "onlineMeetingUrl", "isOnlineMeeting",
	"onlineMeetingProvider", "allowNewTimeProposals", "isDraft", "hideAttendees", "responseStatus", "body", "start", "end",
	"location", "locations", "recurrence", "attendees", "organizer", "onlineMeeting", "originalStart"}

// zeroTime is how Graph writes an unset responseStatus time.
const zeroTime = "0001-01-01T00:00:00Z"

func graphTimestamp(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

func responseTime(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format(time.RFC3339)
}

func dateTimeTimeZoneJSON(t time.Time, v eventView) map[string]any {
	return map[string]any{"dateTime": t.In(v.zone).Format(graphDateTime), "timeZone": v.zoneLabel}
}

func emailAddressJSON(r Recipient) map[string]any {
	return map[string]any{"emailAddress": map[string]any{"name": r.Name, "address": r.Address}}
}

func locationJSON(l Location) map[string]any {
	if l.DisplayName == "" && l.Address == nil {
		return map[string]any{"displayName": "", "locationType": "default", "uniqueIdType": "unknown",
			"address": map[string]any{}, "coordinates": map[string]any{}}
	}
	typ := l.LocationType
	if typ == "" {
		typ = "default"
	}
	out := map[string]any{"displayName": l.DisplayName, "locationType": typ, "uniqueId": l.DisplayName, "uniqueIdType": "private"}
	if a := l.Address; a != nil {
		out["address"] = map[string]any{"street": a.Street, "city": a.City, "state": a.State,
			"countryOrRegion": a.CountryOrRegion, "postalCode": a.PostalCode}
	}
	return out
}

func recurrenceJSON(rec *Recurrence) any {
	if rec == nil {
		return nil
	}
	p, rg := rec.Pattern, rec.Range
	return map[string]any{
		"pattern": map[string]any{"type": p.Type, "interval": p.Interval, "month": p.Month, "dayOfMonth": p.DayOfMonth,
			"daysOfWeek": append([]string{}, p.DaysOfWeek...), "firstDayOfWeek": p.FirstDayOfWeek, "index": p.Index},
		"range": map[string]any{"type": rg.Type, "startDate": rg.StartDate, "endDate": rg.EndDate,
			"recurrenceTimeZone": rg.RecurrenceTimeZone, "numberOfOccurrences": rg.NumberOfOccurrences},
	}
}

func etagOf(e *Event) string { return `W/"` + e.changeKey + `"` }

// eventJSON renders an event of the mailbox of u as Graph does.
func (s *Server) eventJSON(u User, e *Event, v eventView) map[string]any {
	body, ct := e.Body, "text"
	if e.BodyIsHTML {
		ct = "html"
	}
	switch {
	case (v.bodyType == "" || v.bodyType == "html") && !e.BodyIsHTML:
		body, ct = "<html><body><pre>"+htmlEscape(e.Body)+"</pre></body></html>", "html"
	case v.bodyType == "text" && e.BodyIsHTML:
		body, ct = stripTags(e.Body), "text"
	}
	locs := []map[string]any{}
	for _, l := range e.Locations {
		locs = append(locs, locationJSON(l))
	}
	atts := []map[string]any{}
	for _, a := range e.Attendees {
		atts = append(atts, map[string]any{"type": a.Type,
			"status":       map[string]any{"response": a.Response, "time": responseTime(a.ResponseTime)},
			"emailAddress": map[string]any{"name": a.Name, "address": a.Address}})
	}
	var online any
	if m := e.OnlineMeeting; m != nil {
		online = map[string]any{"joinUrl": m.JoinURL, "conferenceId": nilIfEmpty(m.ConferenceID), "tollNumber": nilIfEmpty(m.TollNumber),
			"tollFreeNumbers": nil, "quickDial": nil, "phones": []any{}}
	}
	var onlineURL any
	if e.OnlineMeeting != nil && e.OnlineMeetingProvider != "teamsForBusiness" {
		onlineURL = e.OnlineMeeting.JoinURL
	}
	all := map[string]any{
		"id": e.ID, "createdDateTime": graphTimestamp(e.CreatedAt), "lastModifiedDateTime": graphTimestamp(e.lastModified),
		"changeKey": e.changeKey, "categories": append([]string{}, e.Categories...), "transactionId": nil,
		"originalStartTimeZone": e.TimeZone, "originalEndTimeZone": e.EndTimeZone, "iCalUId": e.ICalUID, "uid": e.uid,
		"reminderMinutesBeforeStart": e.ReminderMinutesBeforeStart, "isReminderOn": e.IsReminderOn, "hasAttachments": false,
		"subject": e.Subject, "bodyPreview": preview(stripTags(e.Body)), "importance": e.Importance, "sensitivity": e.Sensitivity,
		"isAllDay": e.IsAllDay, "isCancelled": e.IsCancelled, "isOrganizer": isOrganizer(u, e),
		"responseRequested": e.ResponseRequested, "seriesMasterId": nilIfEmpty(e.SeriesMasterID), "showAs": e.ShowAs,
		"type": e.Type, "webLink": s.srv.URL + "/owa/?itemid=" + url.QueryEscape(e.ID) + "&exvsurl=1&path=/calendar/item",
		"onlineMeetingUrl": onlineURL, "isOnlineMeeting": e.IsOnlineMeeting, "onlineMeetingProvider": e.OnlineMeetingProvider,
		"allowNewTimeProposals": true, "isDraft": false, "hideAttendees": false,
		"responseStatus": map[string]any{"response": e.ResponseStatus, "time": responseTime(e.ResponseTime)},
		"body":           map[string]any{"contentType": ct, "content": body},
		"start":          dateTimeTimeZoneJSON(e.Start, v), "end": dateTimeTimeZoneJSON(e.End, v),
		"location": locationJSON(e.Location), "locations": locs, "recurrence": recurrenceJSON(e.Recurrence),
		"attendees": atts, "organizer": emailAddressJSON(e.Organizer), "onlineMeeting": online,
	}
	if !e.OriginalStart.IsZero() {
		all["originalStart"] = e.OriginalStart.UTC().Format(time.RFC3339)
	}
	out := map[string]any{"@odata.etag": etagOf(e)}
	if v.sel == nil {
		for k, val := range all {
			out[k] = val
		}
		return out
	}
	for _, p := range v.sel {
		if val, ok := all[p]; ok {
			out[p] = val
		}
	}
	out["id"] = e.ID
	return out
}

// calendarJSON renders a calendar.
func calendarJSON(c *Calendar) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "color": c.Color, "hexColor": c.HexColor, "isDefaultCalendar": c.IsDefault,
		"changeKey": c.changeKey, "canShare": true, "canViewPrivateItems": true, "canEdit": true,
		"allowedOnlineMeetingProviders": append([]string{}, c.AllowedOnlineMeetingProviders...),
		"defaultOnlineMeetingProvider":  c.DefaultOnlineMeetingProvider, "isTallyingResponses": true,
		"isRemovable": !c.IsDefault, "owner": map[string]any{"name": c.Owner.Name, "address": c.Owner.Address},
	}
}
