package office365

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/calendar"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// Microsoft To Do over Graph v1.0: see the comment at the top of
// contacts.go for what is mapped and how.

var _ tasks.Provider = (*Connector)(nil)

// The wellknownListName values of To Do lists.
const (
	wellknownNone    = "none"
	wellknownDefault = "defaultList"
)

// graphTodoList is what the connector reads of a todoTaskList.
type graphTodoList struct {
	ETag              string        `json:"@odata.etag"`
	ID                string        `json:"id"`
	DisplayName       string        `json:"displayName"`
	IsOwner           *bool         `json:"isOwner"`
	IsShared          bool          `json:"isShared"`
	WellknownListName string        `json:"wellknownListName"`
	Removed           *graphRemoved `json:"@removed"`
}

// builtIn reports whether the list is one of To Do's own (Tasks, Flagged
// email), which cannot be renamed or deleted.
func (l graphTodoList) builtIn() bool {
	return l.WellknownListName != "" && l.WellknownListName != wellknownNone
}

func toTaskList(g graphTodoList) tasks.TaskList {
	return tasks.TaskList{ID: g.ID, ETag: g.ETag, Title: g.DisplayName, Owner: g.IsOwner == nil || *g.IsOwner,
		Shared: g.IsShared, DefaultList: g.WellknownListName == wellknownDefault}
}

// graphDateTimeZone is a Graph dateTimeTimeZone: a wall time without
// offset in a Windows or IANA zone.
type graphDateTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// instant reads the value; ok is false when it is malformed.
func (d *graphDateTimeZone) instant() (time.Time, bool) {
	if d == nil || d.DateTime == "" {
		return time.Time{}, false
	}
	loc := time.UTC
	if d.TimeZone != "" {
		l, err := calendar.LoadLocation(d.TimeZone)
		if err != nil {
			return time.Time{}, false
		}
		loc = l
	}
	if t, err := time.Parse(time.RFC3339Nano, d.DateTime); err == nil {
		return t, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", d.DateTime, loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// dueShift is added to a due instant before its UTC date is taken: To Do
// keeps midnight of the due day in the zone the task was written with, and
// answers it in UTC, so midnight in any zone from UTC-11 to UTC+13 lands
// on the right day.
const dueShift = 13 * time.Hour

type graphLinkedResource struct {
	WebURL          string `json:"webUrl"`
	ApplicationName string `json:"applicationName"`
	DisplayName     string `json:"displayName"`
}

// graphTodoTask is what the connector reads of a todoTask.
type graphTodoTask struct {
	ETag                 string                `json:"@odata.etag"`
	ID                   string                `json:"id"`
	Title                string                `json:"title"`
	Body                 *graphBody            `json:"body"`
	Importance           string                `json:"importance"`
	Status               string                `json:"status"`
	Categories           []string              `json:"categories"`
	LastModifiedDateTime *time.Time            `json:"lastModifiedDateTime"`
	DueDateTime          *graphDateTimeZone    `json:"dueDateTime"`
	CompletedDateTime    *graphDateTimeZone    `json:"completedDateTime"`
	LinkedResources      []graphLinkedResource `json:"linkedResources"`
	Removed              *graphRemoved         `json:"@removed"`
}

// toTask maps a todoTask to the unified model.
func toTask(g graphTodoTask) tasks.Task {
	t := tasks.Task{ID: g.ID, ETag: g.ETag, Title: g.Title, LastModifiedTime: g.LastModifiedDateTime,
		Status: g.Status, Importance: g.Importance}
	if t.Status == "" {
		t.Status = tasks.StatusNotStarted
	}
	if t.Importance == "" {
		t.Importance = tasks.ImportanceNormal
	}
	if g.Body != nil {
		t.Notes = g.Body.Content
		if strings.EqualFold(g.Body.ContentType, "html") {
			t.Notes = todoHTMLText(t.Notes)
		}
	}
	if due, ok := g.DueDateTime.instant(); ok {
		d := tasks.DueDate(due.UTC().Add(dueShift))
		t.Due = &d
	}
	if done, ok := g.CompletedDateTime.instant(); ok {
		t.Completed = &done
	}
	if len(g.Categories) > 0 {
		t.Categories = g.Categories
	}
	for _, l := range g.LinkedResources {
		if l.WebURL != "" {
			t.Links = append(t.Links, tasks.Link{Source: l.ApplicationName, Description: l.DisplayName, Link: l.WebURL})
		}
	}
	t.Normalize()
	return t
}

var (
	todoHTMLDrop  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)>`)
	todoHTMLBreak = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])>`)
	todoHTMLTag   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// todoHTMLText is the text of an HTML task body: tags dropped, entities
// decoded, a line break for each <br> and block end, blank runs collapsed.
func todoHTMLText(s string) string {
	s = todoHTMLDrop.ReplaceAllString(s, "")
	s = todoHTMLBreak.ReplaceAllString(s, "\n")
	s = html.UnescapeString(todoHTMLTag.ReplaceAllString(s, ""))
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// todoBody maps a task change to the properties of a todoTask body.
func todoBody(ch tasks.Change) (map[string]any, error) {
	if ch.ParentID != nil && *ch.ParentID != "" {
		return nil, &provider.Error{Kind: provider.ErrUnsupported, Message: "subtasks (parentId) are not supported by Microsoft To Do"}
	}
	b := map[string]any{}
	if ch.Title != nil {
		b["title"] = *ch.Title
	}
	if ch.Notes != nil {
		b["body"] = graphBody{ContentType: "text", Content: *ch.Notes}
	}
	if ch.Status != nil {
		b["status"] = *ch.Status
	}
	if ch.Importance != nil {
		b["importance"] = *ch.Importance
	}
	if ch.Due != nil {
		b["dueDateTime"] = graphDateTimeZone{DateTime: tasks.DueDate(*ch.Due).Format("2006-01-02T15:04:05"), TimeZone: "UTC"}
	}
	return b, nil
}

func (c *Connector) todoListURL(id string, rest ...string) string {
	u := c.graphBase() + "/me/todo/lists/" + url.PathEscape(id)
	for _, r := range rest {
		u += "/" + r
	}
	return u
}

func (c *Connector) todoTaskURL(listID, taskID string) string {
	return c.todoListURL(listID, "tasks", url.PathEscape(taskID))
}

// todoList reads one list; listID may be tasks.DefaultID.
func (c *Connector) todoList(ctx context.Context, acct tasks.Account, listID string) (graphTodoList, error) {
	if listID == tasks.DefaultID {
		return c.defaultTodoList(ctx, acct)
	}
	var g graphTodoList
	err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: c.todoListURL(listID)}, &g)
	return g, err
}

// defaultTodoList finds the list with wellknownListName defaultList by
// listing (Graph has no alias for it).
func (c *Connector) defaultTodoList(ctx context.Context, acct tasks.Account) (graphTodoList, error) {
	u := c.graphBase() + "/me/todo/lists"
	for range 100 {
		var res graphCollection[graphTodoList]
		if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: u}, &res); err != nil {
			return graphTodoList{}, err
		}
		for _, l := range res.Value {
			if l.WellknownListName == wellknownDefault {
				return l, nil
			}
		}
		if res.NextLink == "" {
			break
		}
		u = res.NextLink
	}
	return graphTodoList{}, &provider.Error{Kind: provider.ErrNotFound, Message: "the account has no default task list"}
}

// todoListID resolves tasks.DefaultID; other ids are used as they are.
func (c *Connector) todoListID(ctx context.Context, acct tasks.Account, listID string) (string, error) {
	if listID != tasks.DefaultID {
		return listID, nil
	}
	l, err := c.defaultTodoList(ctx, acct)
	return l.ID, err
}

// ListTaskLists implements tasks.Provider: GET /me/todo/lists, the next
// page being Graph's @odata.nextLink.
func (c *Connector) ListTaskLists(ctx context.Context, acct tasks.Account, page string) (tasks.ListPage, error) {
	u := c.graphBase() + "/me/todo/lists"
	if page != "" {
		var err error
		if u, err = c.decodeCursor(cursorTaskLists, page); err != nil {
			return tasks.ListPage{}, err
		}
	}
	var res graphCollection[graphTodoList]
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: u}, &res); err != nil {
		return tasks.ListPage{}, err
	}
	out := tasks.ListPage{Lists: make([]tasks.TaskList, 0, len(res.Value)), NextPage: encodeCursor(cursorTaskLists, res.NextLink)}
	for _, l := range res.Value {
		out.Lists = append(out.Lists, toTaskList(l))
	}
	return out, nil
}

// GetTaskList implements tasks.Provider: GET /me/todo/lists/{id}.
func (c *Connector) GetTaskList(ctx context.Context, acct tasks.Account, listID string) (tasks.TaskList, error) {
	l, err := c.todoList(ctx, acct, listID)
	if err != nil {
		return tasks.TaskList{}, err
	}
	return toTaskList(l), nil
}

func listTitle(ch tasks.ListChange) (string, error) {
	if ch.Title == nil || strings.TrimSpace(*ch.Title) == "" {
		return "", &provider.Error{Kind: provider.ErrInvalid, Message: "a task list needs a title"}
	}
	return *ch.Title, nil
}

// CreateTaskList implements tasks.Provider: POST /me/todo/lists.
func (c *Connector) CreateTaskList(ctx context.Context, acct tasks.Account, ch tasks.ListChange) (tasks.TaskList, error) {
	title, err := listTitle(ch)
	if err != nil {
		return tasks.TaskList{}, err
	}
	var g graphTodoList
	err = c.pimDo(ctx, acct, pimRequest{method: http.MethodPost, url: c.graphBase() + "/me/todo/lists", body: map[string]string{"displayName": title}}, &g)
	if err != nil {
		return tasks.TaskList{}, err
	}
	return toTaskList(g), nil
}

// UpdateTaskList implements tasks.Provider: PATCH /me/todo/lists/{id}
// with the new displayName; a built-in list is provider.ErrConflict.
func (c *Connector) UpdateTaskList(ctx context.Context, acct tasks.Account, listID string, ch tasks.ListChange) (tasks.TaskList, error) {
	title, err := listTitle(ch)
	if err != nil {
		return tasks.TaskList{}, err
	}
	l, err := c.todoList(ctx, acct, listID)
	if err != nil {
		return tasks.TaskList{}, err
	}
	if l.builtIn() {
		if l.DisplayName == title {
			return toTaskList(l), nil
		}
		return tasks.TaskList{}, &provider.Error{Kind: provider.ErrConflict, Message: "a built-in Microsoft To Do list cannot be renamed"}
	}
	var g graphTodoList
	err = c.pimDo(ctx, acct, pimRequest{method: http.MethodPatch, url: c.todoListURL(l.ID), body: map[string]string{"displayName": title}}, &g)
	if err != nil {
		return tasks.TaskList{}, err
	}
	return toTaskList(g), nil
}

// DeleteTaskList implements tasks.Provider: DELETE /me/todo/lists/{id}
// (its tasks go with it); the default list and the other built-in lists
// are provider.ErrConflict.
func (c *Connector) DeleteTaskList(ctx context.Context, acct tasks.Account, listID string) error {
	l, err := c.todoList(ctx, acct, listID)
	if err != nil {
		return err
	}
	if l.builtIn() {
		return &provider.Error{Kind: provider.ErrConflict, Message: "a built-in Microsoft To Do list cannot be deleted"}
	}
	return c.pimDo(ctx, acct, pimRequest{method: http.MethodDelete, url: c.todoListURL(l.ID)}, nil)
}

// ListTasks implements tasks.Provider: GET /me/todo/lists/{id}/tasks with
// $top=limit (completed tasks included), the next page being Graph's
// @odata.nextLink.
func (c *Connector) ListTasks(ctx context.Context, acct tasks.Account, listID, page string, limit int) (tasks.Page, error) {
	var u string
	if page != "" {
		var err error
		if u, err = c.decodeCursor(cursorTasks, page); err != nil {
			return tasks.Page{}, err
		}
	} else {
		id, err := c.todoListID(ctx, acct, listID)
		if err != nil {
			return tasks.Page{}, err
		}
		u = c.todoListURL(id, "tasks") + "?" + url.Values{"$top": {strconv.Itoa(pageLimit(limit, tasks.DefaultLimit, tasks.MaxLimit))}}.Encode()
	}
	var res graphCollection[graphTodoTask]
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: u}, &res); err != nil {
		return tasks.Page{}, err
	}
	out := tasks.Page{Tasks: make([]tasks.Task, 0, len(res.Value)), NextPage: encodeCursor(cursorTasks, res.NextLink)}
	for _, g := range res.Value {
		out.Tasks = append(out.Tasks, toTask(g))
	}
	return out, nil
}

// GetTask implements tasks.Provider: GET /me/todo/lists/{id}/tasks/{taskId}.
func (c *Connector) GetTask(ctx context.Context, acct tasks.Account, listID, taskID string) (tasks.Task, error) {
	id, err := c.todoListID(ctx, acct, listID)
	if err != nil {
		return tasks.Task{}, err
	}
	var g graphTodoTask
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodGet, url: c.todoTaskURL(id, taskID)}, &g); err != nil {
		return tasks.Task{}, err
	}
	return toTask(g), nil
}

// CreateTask implements tasks.Provider: POST /me/todo/lists/{id}/tasks.
func (c *Connector) CreateTask(ctx context.Context, acct tasks.Account, listID string, ch tasks.Change) (tasks.Task, error) {
	body, err := todoBody(ch)
	if err != nil {
		return tasks.Task{}, err
	}
	id, err := c.todoListID(ctx, acct, listID)
	if err != nil {
		return tasks.Task{}, err
	}
	var g graphTodoTask
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodPost, url: c.todoListURL(id, "tasks"), body: body}, &g); err != nil {
		return tasks.Task{}, err
	}
	return toTask(g), nil
}

// UpdateTask implements tasks.Provider: PATCH
// /me/todo/lists/{id}/tasks/{taskId} with If-Match when ifMatch is set.
func (c *Connector) UpdateTask(ctx context.Context, acct tasks.Account, listID, taskID string, ch tasks.Change, ifMatch string) (tasks.Task, error) {
	body, err := todoBody(ch)
	if err != nil {
		return tasks.Task{}, err
	}
	id, err := c.todoListID(ctx, acct, listID)
	if err != nil {
		return tasks.Task{}, err
	}
	var g graphTodoTask
	if err := c.pimDo(ctx, acct, pimRequest{method: http.MethodPatch, url: c.todoTaskURL(id, taskID), body: body, ifMatch: ifMatch}, &g); err != nil {
		return tasks.Task{}, err
	}
	return toTask(g), nil
}

// DeleteTask implements tasks.Provider: DELETE
// /me/todo/lists/{id}/tasks/{taskId} with If-Match when ifMatch is set.
func (c *Connector) DeleteTask(ctx context.Context, acct tasks.Account, listID, taskID, ifMatch string) error {
	id, err := c.todoListID(ctx, acct, listID)
	if err != nil {
		return err
	}
	return c.pimDo(ctx, acct, pimRequest{method: http.MethodDelete, url: c.todoTaskURL(id, taskID), ifMatch: ifMatch}, nil)
}

// TasksDeltaStart implements tasks.Provider: the cursor is the initial
// request GET /me/todo/lists/{id}/tasks/delta; no call is made yet (but
// the "default" alias is resolved), and its first round returns every
// task of the list.
func (c *Connector) TasksDeltaStart(ctx context.Context, acct tasks.Account, listID string) (string, error) {
	id, err := c.todoListID(ctx, acct, listID)
	if err != nil {
		return "", err
	}
	return encodeCursor(cursorTasksDelta, c.todoListURL(id, "tasks", "delta")), nil
}

// TasksDeltaChanges implements tasks.Provider: GET of the cursor's URL
// (the initial request, an @odata.nextLink or an @odata.deltaLink) with
// Prefer: odata.maxpagesize=limit. Items with @removed are Deleted; 410 or
// SyncStateNotFound is provider.ErrCursorExpired.
func (c *Connector) TasksDeltaChanges(ctx context.Context, acct tasks.Account, cursor string, limit int) (tasks.DeltaPage, error) {
	u, err := c.decodeCursor(cursorTasksDelta, cursor)
	if err != nil {
		return tasks.DeltaPage{}, err
	}
	var res graphCollection[graphTodoTask]
	req := pimRequest{method: http.MethodGet, url: u, pageSize: pageLimit(limit, tasks.DefaultLimit, tasks.MaxLimit)}
	if err := c.pimDo(ctx, acct, req, &res); err != nil {
		return tasks.DeltaPage{}, err
	}
	out := tasks.DeltaPage{NextPage: encodeCursor(cursorTasksDelta, res.NextLink)}
	if out.NextPage == "" {
		out.NextDelta = encodeCursor(cursorTasksDelta, res.DeltaLink)
	}
	for _, g := range res.Value {
		if g.Removed != nil {
			out.Deleted = append(out.Deleted, tasks.DeletedTask{ID: g.ID})
			continue
		}
		out.Updated = append(out.Updated, toTask(g))
	}
	return out, nil
}
