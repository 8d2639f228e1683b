package google

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/unified/calendar"
)

var _ calendar.Provider = (*Connector)(nil)

// Limits of the Calendar mapping.
const (
	// calListMax is calendarList.list's largest page.
	calListMax = 250
	// calFreeBusyChunk is freebusy.query's largest number of calendars.
	calFreeBusyChunk = 50
	// calInstancesMax bounds the occurrences of a deleted series that a
	// delta page reports.
	calInstancesMax = 2500
	// calMasterConcurrency is how many series masters a page reads at once.
	calMasterConcurrency = 4
)

// calHTTPClient is the client that acts as acct.
func (c *Connector) calHTTPClient(ctx context.Context, acct calendar.Account) (*http.Client, error) {
	if acct.Client != nil {
		return acct.Client, nil
	}
	if acct.AccessToken == nil {
		return nil, errors.New("google: the account has neither Client nor AccessToken")
	}
	return &http.Client{
		Transport: &xoauth2.Transport{Source: accessTokenSource{ctx: ctx, f: acct.AccessToken}, Base: c.client.Transport},
		Timeout:   c.client.Timeout,
	}, nil
}

// calRequest is one Calendar API call.
type calRequest struct {
	op      string // the API method, for errors: "events.list"
	method  string
	path    string // under /calendar/v3, ids already escaped
	query   url.Values
	body    any
	ifMatch string
}

// calCall makes a Calendar API call as acct and decodes a 2xx answer into
// out (nil: the answer is discarded); see restDo, which every REST call of
// the connector goes through.
func (c *Connector) calCall(ctx context.Context, acct calendar.Account, r calRequest, out any) error {
	hc, err := c.calHTTPClient(ctx, acct)
	if err != nil {
		return err
	}
	acct.Client = hc
	return c.restDo(ctx, acct, restCall{api: "calendar", op: r.op, method: r.method, url: c.ep.CalendarBaseURL + "/calendar/v3" + r.path,
		query: r.query, body: r.body, ifMatch: r.ifMatch}, out)
}

// calCursor is the cursor of a calendar list page, an event range page
// and a delta sync.
type calCursor struct {
	// Page is Google's pageToken.
	Page string `json:"p,omitempty"`
	// The delta sync's calendar, window (Unix seconds) and syncToken
	// (empty in the first round).
	Calendar string `json:"c,omitempty"`
	Min      int64  `json:"a,omitempty"`
	Max      int64  `json:"b,omitempty"`
	Sync     string `json:"s,omitempty"`
}

func decodeCalCursor(s string) (calCursor, error) {
	var cur calCursor
	if err := decodeCursor(s, &cur); err != nil {
		return cur, err
	}
	return cur, nil
}

// calPath joins path segments; every second one is an id and is escaped:
// calPath("calendars", id, "events", eventID).
func calPath(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		b.WriteByte('/')
		if i%2 == 1 {
			p = url.PathEscape(p)
		}
		b.WriteString(p)
	}
	return b.String()
}

// --- calendars ---

// gcalReminder is a reminder of an event or a calendar's default.
type gcalReminder struct {
	Method  string `json:"method"`
	Minutes int    `json:"minutes"`
}

// gcalListEntry is a CalendarListEntry (and the fields of a Calendar
// resource it shares).
type gcalListEntry struct {
	ID               string         `json:"id"`
	Summary          string         `json:"summary"`
	SummaryOverride  string         `json:"summaryOverride"`
	Description      string         `json:"description"`
	TimeZone         string         `json:"timeZone"`
	BackgroundColor  string         `json:"backgroundColor"`
	AccessRole       string         `json:"accessRole"`
	Primary          bool           `json:"primary"`
	Deleted          bool           `json:"deleted"`
	DefaultReminders []gcalReminder `json:"defaultReminders"`
}

func (e *gcalListEntry) calendar() calendar.Calendar {
	out := calendar.Calendar{ID: e.ID, Name: e.Summary, Description: e.Description, Color: e.BackgroundColor,
		Primary: e.Primary, MultipleRemindersSupported: true}
	if e.SummaryOverride != "" {
		out.Name = e.SummaryOverride
	}
	if e.TimeZone != "" {
		if loc, err := calendar.LoadLocation(e.TimeZone); err == nil {
			out.TimeZone = calendar.ZoneName(loc)
		}
	}
	switch e.AccessRole {
	case "owner":
		out.AccessRole = calendar.RoleOwner
	case "writer":
		out.AccessRole = calendar.RoleWriter
	case "reader", "freeBusyReader":
		out.AccessRole = calendar.RoleReader
	}
	out.DefaultReminders = reminderMinutes(e.DefaultReminders)
	return out
}

// reminderMinutes lists the distinct minutes of reminders (Google keeps a
// popup and an email reminder at the same time apart; the model does not).
func reminderMinutes(rs []gcalReminder) []calendar.ReminderOverride {
	var out []calendar.ReminderOverride
	seen := map[int]bool{}
	for _, r := range rs {
		if !seen[r.Minutes] {
			seen[r.Minutes] = true
			out = append(out, calendar.ReminderOverride{Minutes: r.Minutes})
		}
	}
	return out
}

// ListCalendars implements calendar.Provider with calendarList.list.
func (c *Connector) ListCalendars(ctx context.Context, acct calendar.Account, page string) (calendar.CalendarPage, error) {
	q := url.Values{"maxResults": {fmt.Sprint(calListMax)}}
	if page != "" {
		cur, err := decodeCalCursor(page)
		if err != nil {
			return calendar.CalendarPage{}, err
		}
		if cur.Page == "" {
			return calendar.CalendarPage{}, &calendar.Error{Kind: calendar.ErrInvalid, Message: "malformed cursor"}
		}
		q.Set("pageToken", cur.Page)
	}
	var ans struct {
		Items         []gcalListEntry `json:"items"`
		NextPageToken string          `json:"nextPageToken"`
	}
	if err := c.calCall(ctx, acct, calRequest{op: "calendarList.list", method: http.MethodGet, path: "/users/me/calendarList", query: q}, &ans); err != nil {
		return calendar.CalendarPage{}, err
	}
	out := calendar.CalendarPage{Calendars: make([]calendar.Calendar, 0, len(ans.Items))}
	for i := range ans.Items {
		if !ans.Items[i].Deleted {
			out.Calendars = append(out.Calendars, ans.Items[i].calendar())
		}
	}
	if ans.NextPageToken != "" {
		out.NextPage = encodeCursor(calCursor{Page: ans.NextPageToken})
	}
	return out, nil
}

// GetCalendar implements calendar.Provider with calendarList.get.
func (c *Connector) GetCalendar(ctx context.Context, acct calendar.Account, calendarID string) (calendar.Calendar, error) {
	e, err := c.calendarListEntry(ctx, acct, calendarID)
	if err != nil {
		return calendar.Calendar{}, err
	}
	return e.calendar(), nil
}

func (c *Connector) calendarListEntry(ctx context.Context, acct calendar.Account, calendarID string) (*gcalListEntry, error) {
	var e gcalListEntry
	err := c.calCall(ctx, acct, calRequest{op: "calendarList.get", method: http.MethodGet,
		path: calPath("users", "me", "calendarList", calendarID)}, &e)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// CreateCalendar implements calendar.Provider with calendars.insert, then
// calendarList.patch for the color (or calendarList.get).
func (c *Connector) CreateCalendar(ctx context.Context, acct calendar.Account, ch calendar.CalendarChange) (calendar.Calendar, error) {
	body := calendarBody(ch)
	if body["summary"] == nil {
		return calendar.Calendar{}, &calendar.Error{Kind: calendar.ErrInvalid, Message: "a calendar needs a name"}
	}
	var created gcalListEntry
	if err := c.calCall(ctx, acct, calRequest{op: "calendars.insert", method: http.MethodPost, path: "/calendars", body: body}, &created); err != nil {
		return calendar.Calendar{}, err
	}
	return c.finishCalendar(ctx, acct, created.ID, ch.Color)
}

// UpdateCalendar implements calendar.Provider with calendars.patch (name,
// description, time zone) and calendarList.patch (color).
func (c *Connector) UpdateCalendar(ctx context.Context, acct calendar.Account, calendarID string, ch calendar.CalendarChange) (calendar.Calendar, error) {
	if body := calendarBody(ch); len(body) > 0 {
		var updated gcalListEntry
		if err := c.calCall(ctx, acct, calRequest{op: "calendars.patch", method: http.MethodPatch,
			path: calPath("calendars", calendarID), body: body}, &updated); err != nil {
			return calendar.Calendar{}, err
		}
		calendarID = updated.ID
	}
	return c.finishCalendar(ctx, acct, calendarID, ch.Color)
}

// finishCalendar sets the color of a calendar list entry when color is
// set and returns the entry.
func (c *Connector) finishCalendar(ctx context.Context, acct calendar.Account, calendarID string, color *string) (calendar.Calendar, error) {
	if color == nil {
		return c.GetCalendar(ctx, acct, calendarID)
	}
	var e gcalListEntry
	err := c.calCall(ctx, acct, calRequest{op: "calendarList.patch", method: http.MethodPatch,
		path: calPath("users", "me", "calendarList", calendarID), query: url.Values{"colorRgbFormat": {"true"}},
		body: map[string]any{"backgroundColor": *color, "foregroundColor": "#000000"}}, &e)
	if err != nil {
		return calendar.Calendar{}, err
	}
	return e.calendar(), nil
}

// calendarBody is the calendars.insert/patch body of a change.
func calendarBody(ch calendar.CalendarChange) map[string]any {
	body := map[string]any{}
	if ch.Name != nil {
		body["summary"] = *ch.Name
	}
	if ch.Description != nil {
		body["description"] = *ch.Description
	}
	if ch.TimeZone != nil {
		tz := *ch.TimeZone
		if loc, err := calendar.LoadLocation(tz); err == nil {
			tz = calendar.ZoneName(loc)
		}
		body["timeZone"] = tz
	}
	return body
}

// calendarZone reads a calendar's time zone (calendars.get), for events
// whose times name none.
func (c *Connector) calendarZone(ctx context.Context, acct calendar.Account, calendarID string) (*time.Location, error) {
	var cal gcalListEntry
	if err := c.calCall(ctx, acct, calRequest{op: "calendars.get", method: http.MethodGet, path: calPath("calendars", calendarID)}, &cal); err != nil {
		return nil, err
	}
	loc, err := calendar.LoadLocation(cal.TimeZone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// newRequestID is a conference createRequest's requestId.
func newRequestID() string { return strings.ToLower(rand.Text()) }
