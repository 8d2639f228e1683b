package office365

// Calendar (calendar*.go): calendar.Provider over Microsoft Graph v1.0 as
// plain HTTP with the account's authorized client, like the mail calls.
//
//   - Calendars: GET /me/calendars ($top, @odata.nextLink paging),
//     GET /me/calendar for the "primary" alias and /me/calendars/{id},
//     POST /me/calendars, PATCH /me/calendars/{id} ("primary" is resolved
//     with GET /me/calendar first). Primary is isDefaultCalendar; the
//     access role is owner when canEdit and the owner is the account (or
//     the calendar is the default one), writer when canEdit, reader
//     otherwise. Color reads hexColor, else color (not "auto"); writes
//     take Graph's calendarColor names only (hexColor is read-only).
//     Graph calendars have no description or time zone: those fields of
//     a CalendarChange are ignored.
//   - Events: calendarView (startDateTime, endDateTime, $top, $orderby
//     start/dateTime, $select) under /me/calendar or /me/calendars/{id};
//     GET, POST, PATCH, DELETE of events under the same base; accept,
//     tentativelyAccept and decline ({comment, sendResponse}); POST
//     /me/calendar/getSchedule for free/busy. Every request sends Prefer:
//     IdType="ImmutableId", outlook.timezone="UTC" and
//     outlook.body-content-type="text"; PATCH and DELETE send If-Match
//     when the client gave an etag.
//   - Times: Graph answers in UTC; the connector puts each instant in the
//     event's own zone (originalStartTimeZone / originalEndTimeZone, then
//     the recurrence's zone, then UTC), Windows names mapped to IANA with
//     calendar.LoadLocation. All-day events read as dates with the
//     exclusive end (midnight in the answer's zone, else in the event's
//     zone); they are written at midnight UTC with isAllDay. Timed events
//     are written in their IANA zone, which Graph accepts.
//   - Recurrence: patternedRecurrence <-> calendar.SimpleRecurrence, then
//     calendar.NewRecurrence so both forms are canonical. Graph has no
//     pattern exclusions: on create or update, each PatternExclusion is
//     removed afterwards by deleting that occurrence (found with GET
//     /me/events/{id}/instances). Reading a master yields no exclusions
//     (Graph does not list cancelled occurrences on the master).
//   - Occurrences: type occurrence -> regular, exception -> modified,
//     with seriesMasterId and originalStart (in the series' zone).
//     ICalUID is uid (the same for a series and all its occurrences),
//     else iCalUId.
//   - Delta: GET /me/calendarView/delta (default calendar) or
//     /me/calendars/{id}/calendarView/delta with startDateTime and
//     endDateTime, Prefer: odata.maxpagesize; @odata.nextLink and
//     @odata.deltaLink are the cursors; @removed items are deletions; 410
//     or syncStateNotFound is calendar.ErrCursorExpired. Graph's delta
//     returns occurrences with only id, type, seriesMasterId, start and
//     end (a documented gap, microsoft-graph-docs issues 7632 and 22197):
//     the connector completes them from their series master (one GET per
//     series and page) and fetches any other item that comes without a
//     subject with GET /me/events/{id}.
//   - Errors: 404 (and ErrorItemNotFound, ErrorInvalidIdMalformed)
//     ErrNotFound, 412 (and 409 ErrorIrresolvableConflict to an If-Match)
//     ErrPrecondition, other 409 ErrConflict, 400 ErrorInvalidRequest to
//     an answer ErrConflict (the organizer answering their own meeting),
//     429 ErrRateLimited and 5xx ErrUnavailable with Retry-After, 401 and
//     403 ErrDenied, other 4xx ErrInvalid with Graph's error code.
//   - Cursors are base64url JSON {kind, URL, calendar id}; a URL is
//     followed only when it is on the connector's Graph base URL (scheme,
//     host, version), below /me/ or /users/, with the path of its kind
//     and no dot segments; a link in a Graph answer that fails this is
//     ErrUnavailable and is not handed out. No request goes to a path
//     with an empty, "." or ".." segment (such an id is ErrInvalid).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aurinko-go/aurinko/unified/calendar"
)

var _ calendar.Provider = (*Connector)(nil)

// calCall is one Graph request of the calendar API.
type calCall struct {
	method   string
	url      string // absolute, below the Graph base
	body     any
	ifMatch  string
	pageSize int  // Prefer: odata.maxpagesize when > 0
	respond  bool // an accept/decline: 400 ErrorInvalidRequest is a conflict
}

// calDo sends a Graph request of the calendar API as the account (times
// in UTC, bodies as text) and decodes a JSON answer into out (when not
// nil); see graphDo.
func (c *Connector) calDo(ctx context.Context, acct calendar.Account, r calCall, out any) error {
	return c.graphDo(ctx, acct.Client, graphCall{method: r.method, url: r.url, body: r.body, ifMatch: r.ifMatch, pageSize: r.pageSize,
		respond: r.respond, prefer: []string{`outlook.timezone="UTC"`, `outlook.body-content-type="text"`}, what: "calendar"}, out)
}

// The kinds of calendar cursors.
const (
	calCursorCalendars = "calendars"
	calCursorRange     = "range"
	calCursorDelta     = "delta"
)

// calCursor is the state behind a cursor the connector hands out: a
// Graph URL to GET next (a first request, an @odata.nextLink or an
// @odata.deltaLink) and the calendar id the client asked for.
type calCursor struct {
	Kind     string `json:"k"`
	URL      string `json:"u"`
	Calendar string `json:"c,omitempty"`
}

func (cur calCursor) encode() string {
	b, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(b)
}

// maxCalCursor bounds an encoded cursor (Graph links are a few hundred
// characters; delta tokens can be long).
const maxCalCursor = 16 << 10

// calBadCursor is the error of a cursor the connector did not issue.
func calBadCursor(why string) error {
	return &calendar.Error{Kind: calendar.ErrInvalid, Message: "invalid cursor", Err: errors.New("office365: calendar cursor: " + why)}
}

// decodeCalCursor reads a cursor of the given kind and checks its URL with
// checkGraphURL.
func (c *Connector) decodeCalCursor(s, kind string) (calCursor, error) {
	var cur calCursor
	if len(s) > maxCalCursor {
		return cur, calBadCursor("too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cur, calBadCursor("not base64url")
	}
	if err := json.Unmarshal(raw, &cur); err != nil {
		return cur, calBadCursor("not JSON")
	}
	if cur.Kind != kind {
		return cur, calBadCursor("of another kind")
	}
	if err := c.checkGraphURL(cur.URL, kind); err != nil {
		return cur, err
	}
	return cur, nil
}

// checkGraphURL accepts a URL on the Graph base (scheme, host, port, the
// version path) below /me/ or /users/, whose path ends as the cursor
// kind's does.
func (c *Connector) checkGraphURL(raw, kind string) error {
	base, err := url.Parse(c.graphBase())
	if err != nil {
		return calBadCursor("no Graph base URL")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return calBadCursor("not a URL")
	}
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return calBadCursor("not on the Graph host")
	}
	rawPath := strings.ToLower(u.EscapedPath())
	// Graph writes some links with the user's id (/users('{id}')/...).
	under := strings.HasPrefix(u.Path, base.Path+"/me/") || strings.HasPrefix(u.Path, base.Path+"/users/") || strings.HasPrefix(u.Path, base.Path+"/users(")
	dots := slices.ContainsFunc(strings.Split(u.Path, "/"), func(seg string) bool { return seg == "." || seg == ".." })
	if !under || dots || strings.Contains(u.Path, "\\") ||
		strings.Contains(rawPath, "%2f") || strings.Contains(rawPath, "%2e") || strings.Contains(rawPath, "%5c") {
		return calBadCursor("not a calendar path")
	}
	var suffixes []string
	switch kind {
	case calCursorCalendars:
		suffixes = []string{"/me/calendars"}
	case calCursorRange:
		suffixes = []string{"/calendarView"}
	case calCursorDelta:
		suffixes = []string{"/calendarView/delta"}
	}
	if !slices.ContainsFunc(suffixes, func(s string) bool { return strings.HasSuffix(u.Path, s) }) {
		return calBadCursor("not a " + kind + " path")
	}
	return nil
}

// linkCursor turns a paging or delta link of a Graph answer into a
// cursor ("" for none). A link off the Graph base URL is Graph's fault:
// ErrUnavailable, and the link is not handed out.
func (c *Connector) linkCursor(kind, link, calendarID string) (string, error) {
	if link == "" {
		return "", nil
	}
	if err := c.checkGraphURL(link, kind); err != nil {
		return "", &calendar.Error{Kind: calendar.ErrUnavailable, Message: "Microsoft Graph sent a link outside its base URL",
			Err: fmt.Errorf("office365: refusing a Graph link: %w", err)}
	}
	return calCursor{Kind: kind, URL: link, Calendar: calendarID}.encode(), nil
}

// calendarBase is the Graph path of a calendar: /me/calendar for the
// primary alias, /me/calendars/{id} otherwise.
func (c *Connector) calendarBase(calendarID string) string {
	if calendarID == "" || calendarID == calendar.PrimaryID {
		return c.graphBase() + "/me/calendar"
	}
	return c.graphBase() + "/me/calendars/" + url.PathEscape(calendarID)
}

// graphCalendar is the calendar resource as the connector reads it.
type graphCalendar struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Color             string `json:"color"`
	HexColor          string `json:"hexColor"`
	IsDefaultCalendar bool   `json:"isDefaultCalendar"`
	CanEdit           bool   `json:"canEdit"`
	Owner             *struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"owner"`
}

// toCalendar maps a Graph calendar of acct.
func toCalendar(acct calendar.Account, g graphCalendar) calendar.Calendar {
	out := calendar.Calendar{ID: g.ID, Name: g.Name, Primary: g.IsDefaultCalendar, AccessRole: calendar.RoleReader}
	switch {
	case g.HexColor != "":
		out.Color = g.HexColor
	case g.Color != "" && !strings.EqualFold(g.Color, "auto"):
		out.Color = g.Color
	}
	if g.CanEdit {
		out.AccessRole = calendar.RoleWriter
		own := g.IsDefaultCalendar || g.Owner == nil || g.Owner.Address == "" ||
			(acct.Email != "" && strings.EqualFold(g.Owner.Address, acct.Email))
		if own {
			out.AccessRole = calendar.RoleOwner
		}
	}
	return out
}

// ListCalendars implements calendar.Provider: GET /me/calendars, paged by
// @odata.nextLink.
func (c *Connector) ListCalendars(ctx context.Context, acct calendar.Account, page string) (calendar.CalendarPage, error) {
	u := c.graphBase() + "/me/calendars?" + url.Values{"$top": {"100"}}.Encode()
	if page != "" {
		cur, err := c.decodeCalCursor(page, calCursorCalendars)
		if err != nil {
			return calendar.CalendarPage{}, err
		}
		u = cur.URL
	}
	var res graphCollection[graphCalendar]
	if err := c.calDo(ctx, acct, calCall{method: http.MethodGet, url: u}, &res); err != nil {
		return calendar.CalendarPage{}, err
	}
	out := calendar.CalendarPage{Calendars: make([]calendar.Calendar, 0, len(res.Value))}
	for _, g := range res.Value {
		out.Calendars = append(out.Calendars, toCalendar(acct, g))
	}
	var err error
	if out.NextPage, err = c.linkCursor(calCursorCalendars, res.NextLink, ""); err != nil {
		return calendar.CalendarPage{}, err
	}
	return out, nil
}

// GetCalendar implements calendar.Provider: GET /me/calendar ("primary")
// or /me/calendars/{id}.
func (c *Connector) GetCalendar(ctx context.Context, acct calendar.Account, calendarID string) (calendar.Calendar, error) {
	var g graphCalendar
	if err := c.calDo(ctx, acct, calCall{method: http.MethodGet, url: c.calendarBase(calendarID)}, &g); err != nil {
		return calendar.Calendar{}, err
	}
	return toCalendar(acct, g), nil
}

// calendarColors are Graph's calendarColor values, the colors a calendar
// can be given.
var calendarColors = []string{"auto", "lightBlue", "lightGreen", "lightOrange", "lightGray", "lightYellow", "lightTeal",
	"lightPink", "lightBrown", "lightRed", "maxColor"}

// calendarInput is the body of a calendar create or update.
func calendarInput(ch calendar.CalendarChange) (map[string]any, error) {
	in := map[string]any{}
	if ch.Name != nil {
		if strings.TrimSpace(*ch.Name) == "" {
			return nil, &calendar.FieldError{Field: "name", Problem: "is empty"}
		}
		in["name"] = *ch.Name
	}
	if ch.Color != nil && *ch.Color != "" {
		i := slices.IndexFunc(calendarColors, func(s string) bool { return strings.EqualFold(s, *ch.Color) })
		if i < 0 {
			return nil, &calendar.FieldError{Field: "color", Problem: "must be one of Microsoft's calendar colors (" + strings.Join(calendarColors, ", ") + ")"}
		}
		in["color"] = calendarColors[i]
	}
	return in, nil
}

// CreateCalendar implements calendar.Provider: POST /me/calendars {name,
// color}. A name in use is ErrConflict (409 ErrorFolderExists).
func (c *Connector) CreateCalendar(ctx context.Context, acct calendar.Account, ch calendar.CalendarChange) (calendar.Calendar, error) {
	if ch.Name == nil {
		return calendar.Calendar{}, &calendar.FieldError{Field: "name", Problem: "is required"}
	}
	in, err := calendarInput(ch)
	if err != nil {
		return calendar.Calendar{}, err
	}
	var g graphCalendar
	if err := c.calDo(ctx, acct, calCall{method: http.MethodPost, url: c.graphBase() + "/me/calendars", body: in}, &g); err != nil {
		return calendar.Calendar{}, err
	}
	return toCalendar(acct, g), nil
}

// UpdateCalendar implements calendar.Provider: PATCH /me/calendars/{id}
// with name and color ("primary" is first resolved with GET
// /me/calendar).
func (c *Connector) UpdateCalendar(ctx context.Context, acct calendar.Account, calendarID string, ch calendar.CalendarChange) (calendar.Calendar, error) {
	in, err := calendarInput(ch)
	if err != nil {
		return calendar.Calendar{}, err
	}
	if calendarID == "" || calendarID == calendar.PrimaryID {
		cal, err := c.GetCalendar(ctx, acct, calendar.PrimaryID)
		if err != nil {
			return calendar.Calendar{}, err
		}
		if len(in) == 0 {
			return cal, nil
		}
		calendarID = cal.ID
	}
	if len(in) == 0 {
		return c.GetCalendar(ctx, acct, calendarID)
	}
	var g graphCalendar
	if err := c.calDo(ctx, acct, calCall{method: http.MethodPatch, url: c.calendarBase(calendarID), body: in}, &g); err != nil {
		return calendar.Calendar{}, err
	}
	return toCalendar(acct, g), nil
}
