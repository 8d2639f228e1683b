package google

// The Google Tasks API mapping of the unified Tasks API (tasks.Provider),
// for doc.go.
//
// Requests go to Endpoints.TasksBaseURL (tasks.googleapis.com) with plain
// net/http, authorized by the account's Client only; ids are escaped into
// the paths.
//
// Task lists: tasklists.list (maxResults 100), get, insert, patch and
// delete. The unified "default" list is Google's "@default"; DefaultList
// is true for the list whose id is @default's (one more tasklists.get of
// @default per call, Google marks no list as default). Every list is
// Owner and not Shared.
//
// Tasks: tasks.list with showCompleted, showHidden (tasks cleared from
// the list) and maxResults = limit (at most 100), get (a deleted task is
// ErrNotFound), insert (parentId → the parent parameter: the task comes
// first among its siblings), patch and delete. status needsAction →
// notStarted, completed → completed; writing completed sets status
// completed (Google stamps the completion time), every other status
// writes needsAction and clears completed. Google has no importance:
// tasks read as "normal" and a written importance is ignored. due is a
// date (midnight UTC). A changed parentId moves the task (tasks.move,
// first among its new siblings; "" to the top level); position is
// Google's. Links read as {source: type, description, link}; Google's
// links are read-only.
//
// If-Match: the Tasks API has no conditional requests, so with ifMatch
// the task is read first and a different etag is ErrPrecondition. A change
// made between that read and the write is not detected.
//
// Sync: Google Tasks has no sync token; a round is tasks.list of the list
// with updatedMin, showDeleted, showHidden and showCompleted. The cursor
// carries the list id and the round's start time, read from the
// connector's clock before the round's first request, minus
// tasksSyncMargin, one minute (clock skew between this host and Google,
// and Google's own write latency). The first round lists the live tasks; later rounds
// list the tasks changed since the previous round's start, deleted ones as
// Deleted. Guarantee: a change is reported by the first round that starts
// after it, or again by the next one when it races a round's boundary
// (by up to the margin); it is never lost. Deleting a task deletes its
// subtasks, and each is reported. A cursor whose start is older than
// tasksCursorMaxAge (seven days, our choice) is ErrCursorExpired: Google documents no retention
// for deleted tasks, so a client idle that long starts a new sync. Not
// seen: a task moved to another list by another client disappears from
// its old list without a deletion record.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// tasksSyncMargin is how far before its first request a sync round
// starts.
const tasksSyncMargin = time.Minute

// tasksCursorMaxAge is how old the start of a sync round may be.
const tasksCursorMaxAge = 7 * 24 * time.Hour

// tasksMaxResults is tasks.list's largest maxResults (and what
// tasklists.list is asked for).
const tasksMaxResults = 100

// tasksTimeFormat is how timestamps are written to the Tasks API.
const tasksTimeFormat = "2006-01-02T15:04:05.000Z07:00"

var _ tasks.Provider = (*Connector)(nil)

// gtasksList is a Tasks API task list.
type gtasksList struct {
	ID      string `json:"id"`
	ETag    string `json:"etag"`
	Title   string `json:"title"`
	Updated string `json:"updated"`
}

// gtasksLink is a link of a task.
type gtasksLink struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Link        string `json:"link"`
}

// gtasksTask is a Tasks API task.
type gtasksTask struct {
	ID        string       `json:"id"`
	ETag      string       `json:"etag"`
	Title     string       `json:"title"`
	Updated   string       `json:"updated"`
	Parent    string       `json:"parent"`
	Position  string       `json:"position"`
	Notes     string       `json:"notes"`
	Status    string       `json:"status"`
	Due       string       `json:"due"`
	Completed string       `json:"completed"`
	Deleted   bool         `json:"deleted"`
	Hidden    bool         `json:"hidden"`
	Links     []gtasksLink `json:"links"`
}

type gtasksLists struct {
	Items         []gtasksList `json:"items"`
	NextPageToken string       `json:"nextPageToken"`
}

type gtasksTasks struct {
	Items         []gtasksTask `json:"items"`
	NextPageToken string       `json:"nextPageToken"`
}

// tasksListID maps the unified list id to Google's.
func tasksListID(id string) string {
	if id == tasks.DefaultID {
		return "@default"
	}
	return id
}

func (c *Connector) taskListURL(listID string) string {
	return c.ep.TasksBaseURL + "/tasks/v1/users/@me/lists/" + url.PathEscape(tasksListID(listID))
}

func (c *Connector) tasksURL(listID string) string {
	return c.ep.TasksBaseURL + "/tasks/v1/lists/" + url.PathEscape(tasksListID(listID)) + "/tasks"
}

func (c *Connector) taskURL(listID, taskID string) string {
	return c.tasksURL(listID) + "/" + url.PathEscape(taskID)
}

func parseTasksTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return &t
}

func toTaskList(l gtasksList, defaultID string) tasks.TaskList {
	return tasks.TaskList{ID: l.ID, ETag: l.ETag, Title: l.Title, Owner: true, DefaultList: l.ID == defaultID,
		LastModifiedTime: parseTasksTime(l.Updated)}
}

func toTask(t gtasksTask) tasks.Task {
	out := tasks.Task{ID: t.ID, ETag: t.ETag, Title: t.Title, LastModifiedTime: parseTasksTime(t.Updated),
		ParentID: t.Parent, Position: t.Position, Notes: t.Notes, Status: tasks.StatusNotStarted,
		Importance: tasks.ImportanceNormal, Due: parseTasksTime(t.Due), Completed: parseTasksTime(t.Completed)}
	if t.Status == "completed" {
		out.Status = tasks.StatusCompleted
	}
	for _, l := range t.Links {
		out.Links = append(out.Links, tasks.Link{Source: l.Type, Description: l.Description, Link: l.Link})
	}
	out.Normalize()
	return out
}

// --- task lists ---

// getTaskList is tasklists.get.
func (c *Connector) getTaskList(ctx context.Context, acct tasks.Account, listID string) (gtasksList, error) {
	var l gtasksList
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasklists.get", method: http.MethodGet, url: c.taskListURL(listID)}, &l)
	return l, err
}

// defaultTaskListID is the id of the account's default list.
func (c *Connector) defaultTaskListID(ctx context.Context, acct tasks.Account) (string, error) {
	l, err := c.getTaskList(ctx, acct, tasks.DefaultID)
	return l.ID, err
}

// taskListsCursor is the cursor of a task list page.
type taskListsCursor struct {
	Page string `json:"p"`
}

// ListTaskLists implements tasks.Provider with tasklists.list.
func (c *Connector) ListTaskLists(ctx context.Context, acct tasks.Account, page string) (tasks.ListPage, error) {
	q := url.Values{"maxResults": {strconv.Itoa(tasksMaxResults)}}
	if page != "" {
		var cur taskListsCursor
		if err := decodeCursor(page, &cur); err != nil {
			return tasks.ListPage{}, pimCursorError(err)
		}
		if cur.Page == "" {
			return tasks.ListPage{}, pimCursorError(errors.New("no page token"))
		}
		q.Set("pageToken", cur.Page)
	}
	defID, err := c.defaultTaskListID(ctx, acct)
	if err != nil {
		return tasks.ListPage{}, err
	}
	var r gtasksLists
	err = c.restDo(ctx, acct, restCall{api: "tasks", op: "tasklists.list", method: http.MethodGet,
		url: c.ep.TasksBaseURL + "/tasks/v1/users/@me/lists", query: q}, &r)
	if err != nil {
		return tasks.ListPage{}, err
	}
	var out tasks.ListPage
	for _, l := range r.Items {
		out.Lists = append(out.Lists, toTaskList(l, defID))
	}
	if r.NextPageToken != "" {
		out.NextPage = encodeCursor(taskListsCursor{Page: r.NextPageToken})
	}
	return out, nil
}

// withDefault maps l, asking for the default list's id unless listID is
// the alias.
func (c *Connector) withDefault(ctx context.Context, acct tasks.Account, listID string, l gtasksList) (tasks.TaskList, error) {
	defID := l.ID
	if listID != tasks.DefaultID && listID != "@default" {
		var err error
		if defID, err = c.defaultTaskListID(ctx, acct); err != nil {
			return tasks.TaskList{}, err
		}
	}
	return toTaskList(l, defID), nil
}

// GetTaskList implements tasks.Provider with tasklists.get.
func (c *Connector) GetTaskList(ctx context.Context, acct tasks.Account, listID string) (tasks.TaskList, error) {
	l, err := c.getTaskList(ctx, acct, listID)
	if err != nil {
		return tasks.TaskList{}, err
	}
	return c.withDefault(ctx, acct, listID, l)
}

// CreateTaskList implements tasks.Provider with tasklists.insert.
func (c *Connector) CreateTaskList(ctx context.Context, acct tasks.Account, ch tasks.ListChange) (tasks.TaskList, error) {
	body := map[string]any{}
	if ch.Title != nil {
		body["title"] = *ch.Title
	}
	var l gtasksList
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasklists.insert", method: http.MethodPost,
		url: c.ep.TasksBaseURL + "/tasks/v1/users/@me/lists", body: body}, &l)
	if err != nil {
		return tasks.TaskList{}, err
	}
	return toTaskList(l, ""), nil
}

// UpdateTaskList implements tasks.Provider with tasklists.patch.
func (c *Connector) UpdateTaskList(ctx context.Context, acct tasks.Account, listID string, ch tasks.ListChange) (tasks.TaskList, error) {
	body := map[string]any{}
	if ch.Title != nil {
		body["title"] = *ch.Title
	}
	var l gtasksList
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasklists.patch", method: http.MethodPatch,
		url: c.taskListURL(listID), body: body}, &l)
	if err != nil {
		return tasks.TaskList{}, err
	}
	return c.withDefault(ctx, acct, listID, l)
}

// DeleteTaskList implements tasks.Provider with tasklists.delete.
func (c *Connector) DeleteTaskList(ctx context.Context, acct tasks.Account, listID string) error {
	return c.restDo(ctx, acct, restCall{api: "tasks", op: "tasklists.delete", method: http.MethodDelete,
		url: c.taskListURL(listID)}, nil)
}

// --- tasks ---

// tasksPageCursor is the cursor of a task page.
type tasksPageCursor struct {
	Page string `json:"p"`
}

func tasksPageSize(limit int) int {
	if limit <= 0 {
		limit = tasks.DefaultLimit
	}
	return min(limit, tasksMaxResults)
}

// ListTasks implements tasks.Provider with tasks.list, completed and
// hidden tasks included, in Google's order (each task followed by its
// subtasks).
func (c *Connector) ListTasks(ctx context.Context, acct tasks.Account, listID, page string, limit int) (tasks.Page, error) {
	q := url.Values{"showCompleted": {"true"}, "showHidden": {"true"}, "maxResults": {strconv.Itoa(tasksPageSize(limit))}}
	if page != "" {
		var cur tasksPageCursor
		if err := decodeCursor(page, &cur); err != nil {
			return tasks.Page{}, pimCursorError(err)
		}
		if cur.Page == "" {
			return tasks.Page{}, pimCursorError(errors.New("no page token"))
		}
		q.Set("pageToken", cur.Page)
	}
	var r gtasksTasks
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.list", method: http.MethodGet, url: c.tasksURL(listID), query: q}, &r)
	if err != nil {
		return tasks.Page{}, err
	}
	var out tasks.Page
	for _, t := range r.Items {
		if !t.Deleted {
			out.Tasks = append(out.Tasks, toTask(t))
		}
	}
	if r.NextPageToken != "" {
		out.NextPage = encodeCursor(tasksPageCursor{Page: r.NextPageToken})
	}
	return out, nil
}

// getTask is tasks.get; a deleted task is ErrNotFound.
func (c *Connector) getTask(ctx context.Context, acct tasks.Account, listID, taskID string) (gtasksTask, error) {
	var t gtasksTask
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.get", method: http.MethodGet, url: c.taskURL(listID, taskID)}, &t)
	if err == nil && t.Deleted {
		err = &provider.Error{Kind: provider.ErrNotFound, Status: http.StatusNotFound, Message: "tasks tasks.get: the task was deleted"}
	}
	return t, err
}

// GetTask implements tasks.Provider with tasks.get.
func (c *Connector) GetTask(ctx context.Context, acct tasks.Account, listID, taskID string) (tasks.Task, error) {
	t, err := c.getTask(ctx, acct, listID, taskID)
	if err != nil {
		return tasks.Task{}, err
	}
	return toTask(t), nil
}

// taskBody is the Tasks API body of a change (without parentId, which is
// a parameter). patch clears the completion time of a task that is not
// completed.
func taskBody(ch tasks.Change, patch bool) map[string]any {
	body := map[string]any{}
	if ch.Title != nil {
		body["title"] = *ch.Title
	}
	if ch.Notes != nil {
		body["notes"] = *ch.Notes
	}
	if ch.Status != nil {
		if *ch.Status == tasks.StatusCompleted {
			body["status"] = "completed"
		} else {
			body["status"] = "needsAction"
			if patch {
				body["completed"] = nil
			}
		}
	}
	if ch.Due != nil {
		body["due"] = tasks.DueDate(*ch.Due).Format(tasksTimeFormat)
	}
	return body
}

// CreateTask implements tasks.Provider with tasks.insert.
func (c *Connector) CreateTask(ctx context.Context, acct tasks.Account, listID string, ch tasks.Change) (tasks.Task, error) {
	q := url.Values{}
	if ch.ParentID != nil && *ch.ParentID != "" {
		q.Set("parent", *ch.ParentID)
	}
	var t gtasksTask
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.insert", method: http.MethodPost, url: c.tasksURL(listID),
		query: q, body: taskBody(ch, false)}, &t)
	if err != nil {
		return tasks.Task{}, err
	}
	return toTask(t), nil
}

func taskPrecondition() error {
	return &provider.Error{Kind: provider.ErrPrecondition, Status: http.StatusPreconditionFailed,
		Message: "the task changed since it was read"}
}

// UpdateTask implements tasks.Provider with tasks.patch, and tasks.move
// when parentId changes. With ifMatch (or a parentId) the task is read
// first.
func (c *Connector) UpdateTask(ctx context.Context, acct tasks.Account, listID, taskID string, ch tasks.Change, ifMatch string) (tasks.Task, error) {
	var cur *gtasksTask
	if ifMatch != "" || ch.ParentID != nil {
		t, err := c.getTask(ctx, acct, listID, taskID)
		if err != nil {
			return tasks.Task{}, err
		}
		if ifMatch != "" && t.ETag != ifMatch {
			return tasks.Task{}, taskPrecondition()
		}
		cur = &t
	}
	body := taskBody(ch, true)
	move := ch.ParentID != nil && *ch.ParentID != cur.Parent
	if len(body) == 0 && !move {
		if cur == nil {
			t, err := c.getTask(ctx, acct, listID, taskID)
			if err != nil {
				return tasks.Task{}, err
			}
			cur = &t
		}
		return toTask(*cur), nil
	}
	var out gtasksTask
	if len(body) > 0 {
		err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.patch", method: http.MethodPatch,
			url: c.taskURL(listID, taskID), body: body}, &out)
		if err != nil {
			return tasks.Task{}, err
		}
	}
	if move {
		q := url.Values{}
		if *ch.ParentID != "" {
			q.Set("parent", *ch.ParentID)
		}
		var moved gtasksTask // a fresh value: absent fields (parent) stay empty
		err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.move", method: http.MethodPost,
			url: c.taskURL(listID, taskID) + "/move", query: q}, &moved)
		if err != nil {
			return tasks.Task{}, err
		}
		out = moved
	}
	return toTask(out), nil
}

// DeleteTask implements tasks.Provider with tasks.delete, reading the
// task first to compare ifMatch with its etag.
func (c *Connector) DeleteTask(ctx context.Context, acct tasks.Account, listID, taskID, ifMatch string) error {
	if ifMatch != "" {
		t, err := c.getTask(ctx, acct, listID, taskID)
		if err != nil {
			return err
		}
		if t.ETag != ifMatch {
			return taskPrecondition()
		}
	}
	return c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.delete", method: http.MethodDelete, url: c.taskURL(listID, taskID)}, nil)
}

// --- sync ---

// tasksSyncCursor is the cursor of a tasks sync round: the list, the
// updatedMin of the round (zero in the first round), the start of the
// round (the next round's Since, set at its first request) and Google's
// page token.
type tasksSyncCursor struct {
	List  string    `json:"l"`
	Since time.Time `json:"s,omitzero"`
	Start time.Time `json:"t,omitzero"`
	Page  string    `json:"p,omitempty"`
}

// TasksDeltaStart implements tasks.Provider: it checks the list
// (tasklists.get, which also resolves "default") and returns the cursor
// of the first round.
func (c *Connector) TasksDeltaStart(ctx context.Context, acct tasks.Account, listID string) (string, error) {
	l, err := c.getTaskList(ctx, acct, listID)
	if err != nil {
		return "", err
	}
	return encodeCursor(tasksSyncCursor{List: l.ID}), nil
}

// TasksDeltaChanges implements tasks.Provider (see the sync notes above).
func (c *Connector) TasksDeltaChanges(ctx context.Context, acct tasks.Account, cursor string, limit int) (tasks.DeltaPage, error) {
	var cur tasksSyncCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return tasks.DeltaPage{}, pimCursorError(err)
	}
	if !provider.ValidID(cur.List) || (cur.Page != "") != !cur.Start.IsZero() {
		return tasks.DeltaPage{}, pimCursorError(errors.New("not a tasks sync cursor"))
	}
	now := c.now()
	if !cur.Since.IsZero() && now.Sub(cur.Since) > tasksCursorMaxAge {
		return tasks.DeltaPage{}, &provider.Error{Kind: provider.ErrCursorExpired, Status: http.StatusGone,
			Message: "the tasks sync cursor is too old: start a new sync"}
	}
	if cur.Page == "" {
		cur.Start = now.Add(-tasksSyncMargin).UTC()
	}
	q := url.Values{"showCompleted": {"true"}, "showHidden": {"true"}, "maxResults": {strconv.Itoa(tasksPageSize(limit))}}
	if !cur.Since.IsZero() {
		q.Set("updatedMin", cur.Since.UTC().Format(tasksTimeFormat))
		q.Set("showDeleted", "true")
	}
	if cur.Page != "" {
		q.Set("pageToken", cur.Page)
	}
	var r gtasksTasks
	err := c.restDo(ctx, acct, restCall{api: "tasks", op: "tasks.list", method: http.MethodGet, url: c.tasksURL(cur.List), query: q}, &r)
	if err != nil {
		return tasks.DeltaPage{}, err
	}
	var out tasks.DeltaPage
	for _, t := range r.Items {
		if t.Deleted {
			out.Deleted = append(out.Deleted, tasks.DeletedTask{ID: t.ID})
			continue
		}
		out.Updated = append(out.Updated, toTask(t))
	}
	if r.NextPageToken != "" {
		cur.Page = r.NextPageToken
		out.NextPage = encodeCursor(cur)
	} else {
		out.NextDelta = encodeCursor(tasksSyncCursor{List: cur.List, Since: cur.Start})
	}
	return out, nil
}
