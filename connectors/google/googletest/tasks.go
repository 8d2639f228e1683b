package googletest

// Tasks API (tasks.googleapis.com/tasks/v1). For doc.go:
//
//   - tasklists.list (GET /tasks/v1/users/@me/lists; maxResults default
//     and maximum 1000, pageToken), get, insert, patch, update (PUT) and
//     delete (204) on /tasks/v1/users/@me/lists/{tasklist}. Every user has
//     a default list, "My Tasks", first in the list and reachable as
//     "@default" wherever a task list id goes; it cannot be deleted.
//   - tasks.list (GET /tasks/v1/lists/{tasklist}/tasks): completedMin,
//     completedMax, dueMin, dueMax (minimum inclusive, maximum exclusive;
//     tasks without the date are left out), updatedMin, showCompleted
//     (default true), showDeleted and showHidden (default false),
//     maxResults (default 20, at most 100), pageToken; tasks come in
//     outline order (each parent followed by its subtasks, siblings by
//     position). tasks.insert (parent, previous; without previous the
//     task comes first among its siblings), get, patch, update (PUT
//     replaces the writable fields), delete (marks the task and its
//     subtasks deleted, 204), move (parent, previous,
//     destinationTasklist) and clear (hides completed tasks, 204).
//   - Task fields kind, id, etag, title (1024 characters at most),
//     updated, selfLink, parent, position (20 zero-padded digits), notes
//     (8192 at most), status needsAction|completed, due (only the date is
//     kept, served as midnight UTC), completed (set when a task is
//     completed without one, cleared when it is not completed), deleted,
//     hidden, links, webViewLink. Timestamps are RFC 3339 with
//     milliseconds, as Google serves them.
//   - Scopes: tasks for writes, tasks or tasks.readonly for reads.
//
// SeedTaskList and SeedTask add data (a seeded task comes last among its
// siblings); TaskLists and Tasks return it, deleted and hidden tasks
// included.
//
// Not implemented: assigned tasks (assignmentInfo, showAssigned),
// recurring tasks, batch requests, the per-user limits on lists and
// tasks. Undocumented choices: deleting the default list answers 400
// "Invalid Value"; a task list's updated time changes only with the list
// itself.
//
// As with the People API, the Server struct has no field for this
// state: the store is the handler of tasklists.list, found through the
// mux by Server.tasks.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Tasks API scopes.
const (
	scopeTasks         = "https://www.googleapis.com/auth/tasks"
	scopeTasksReadonly = "https://www.googleapis.com/auth/tasks.readonly"
)

// Tasks API limits and names, as documented.
const (
	taskListsPath           = "/tasks/v1/users/@me/lists"
	taskListsDefaultResults = 1000
	taskListsMaxResults     = 1000
	tasksDefaultResults     = 20
	tasksMaxResults         = 100
	taskTitleMax            = 1024
	taskNotesMax            = 8192
	defaultTaskListTitle    = "My Tasks"
	// taskPositionStep spaces the positions of siblings, so that a task
	// fits between two without renumbering.
	taskPositionStep = 1 << 32
)

var (
	tasksReadScopes  = []string{scopeTasks, scopeTasksReadonly}
	tasksWriteScopes = []string{scopeTasks}
)

// TaskList is a Google Tasks task list.
type TaskList struct {
	// ID is the list's id; SeedTaskList generates one when empty.
	ID    string
	Title string
	// Updated is the last modification time; default: the fake's clock.
	Updated time.Time
	// ETag is set by the fake.
	ETag string
}

// Task is a Google Tasks task.
type Task struct {
	// ID is the task's id; SeedTask generates one when empty.
	ID    string
	Title string
	Notes string
	// Status is "needsAction" (default) or "completed".
	Status string
	// Due is the due date; only its date is kept (the time of day is
	// discarded, as the API does).
	Due time.Time
	// Completed is when the task was completed; SeedTask sets it to the
	// fake's clock for a completed task without one.
	Completed time.Time
	Deleted   bool
	// Hidden is set by tasks.clear on completed tasks.
	Hidden bool
	// Parent is the parent task's id; "" for a top-level task.
	Parent string
	// Position orders siblings (20 digits, compared as strings); set by
	// the fake.
	Position string
	// Updated is the last modification time; default: the fake's clock.
	Updated time.Time
	Links   []TaskLink
	// ETag is set by the fake.
	ETag string
}

// TaskLink is a link of a task (read-only in the API).
type TaskLink struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Link        string `json:"link"`
}

// storedTask is a task as kept: Task plus its sibling position.
type storedTask struct {
	Task
	pos     uint64
	version int
}

// taskList is a task list as kept, with its tasks (any order; the
// outline order comes from Parent and pos).
type taskList struct {
	TaskList
	version   int
	isDefault bool
	tasks     []*storedTask
}

// taskBook is one user's task lists, the default first. Guarded by
// Server.mu.
type taskBook struct {
	subject string
	lists   []*taskList
	n       int // id counter
}

// tasksService is the Tasks API state of a Server, registered by
// tasksRoutes as the tasklists.list handler.
type tasksService struct {
	s     *Server
	books map[string]*taskBook // by user subject; guarded by s.mu
}

// tasksRoutes adds the Tasks API (tasks.googleapis.com/tasks/v1) to mux.
func (s *Server) tasksRoutes(mux *http.ServeMux) {
	ts := &tasksService{s: s, books: make(map[string]*taskBook)}
	s.tasksS = ts
	mux.Handle("GET "+taskListsPath, ts)
	mux.HandleFunc("POST "+taskListsPath, ts.handleListInsert)
	mux.HandleFunc("GET "+taskListsPath+"/{tasklist}", ts.handleListGet)
	mux.HandleFunc("PATCH "+taskListsPath+"/{tasklist}", ts.handleListUpdate)
	mux.HandleFunc("PUT "+taskListsPath+"/{tasklist}", ts.handleListUpdate)
	mux.HandleFunc("DELETE "+taskListsPath+"/{tasklist}", ts.handleListDelete)
	const l = "/tasks/v1/lists/{tasklist}"
	mux.HandleFunc("GET "+l+"/tasks", ts.handleTasksList)
	mux.HandleFunc("POST "+l+"/tasks", ts.handleTaskInsert)
	mux.HandleFunc("GET "+l+"/tasks/{task}", ts.handleTaskGet)
	mux.HandleFunc("PATCH "+l+"/tasks/{task}", ts.handleTaskUpdate)
	mux.HandleFunc("PUT "+l+"/tasks/{task}", ts.handleTaskUpdate)
	mux.HandleFunc("DELETE "+l+"/tasks/{task}", ts.handleTaskDelete)
	mux.HandleFunc("POST "+l+"/tasks/{task}/move", ts.handleTaskMove)
	mux.HandleFunc("POST "+l+"/clear", ts.handleClear)
}

// tasks returns the state registered by tasksRoutes.
func (s *Server) tasks() (*tasksService, error) {
	ts := s.tasksS
	if ts == nil {
		return nil, errors.New("googletest: the Tasks API is not registered")
	}
	return ts, nil
}

// bookLocked returns the user's task lists, creating the default list on
// first use.
func (ts *tasksService) bookLocked(subject string) *taskBook {
	b := ts.books[subject]
	if b == nil {
		b = &taskBook{subject: subject}
		l := &taskList{TaskList: TaskList{ID: b.newIDLocked("list"), Title: defaultTaskListTitle}, isDefault: true}
		ts.stampListLocked(l)
		b.lists = append(b.lists, l)
		ts.books[subject] = b
	}
	return b
}

// newIDLocked makes an opaque id, shaped like Google's (base64 text).
func (b *taskBook) newIDLocked(kind string) string {
	b.n++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", b.subject, kind, b.n))
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d:%d",
		binary.BigEndian.Uint64(sum[:8])%1e19, len(kind), binary.BigEndian.Uint32(sum[8:12])))
}

// listLocked resolves a task list id or "@default".
func (b *taskBook) listLocked(id string) *taskList {
	for _, l := range b.lists {
		if l.ID == id || (id == "@default" && l.isDefault) {
			return l
		}
	}
	return nil
}

func (l *taskList) taskLocked(id string) *storedTask {
	for _, t := range l.tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// hasTaskLocked reports whether any list of the book has a task with
// this id (ids are unique per user).
func (b *taskBook) hasTaskLocked(id string) bool {
	return slices.ContainsFunc(b.lists, func(l *taskList) bool { return l.taskLocked(id) != nil })
}

// siblingsLocked returns the tasks under parent ("" for the top level),
// by position, without skip.
func (l *taskList) siblingsLocked(parent string, skip *storedTask) []*storedTask {
	var sib []*storedTask
	for _, t := range l.tasks {
		if t.Parent == parent && t != skip {
			sib = append(sib, t)
		}
	}
	slices.SortFunc(sib, func(a, b *storedTask) int { return compareUint(a.pos, b.pos) })
	return sib
}

// placeLocked gives t a position under parent right after previous
// (first when previous is nil; last when last is set), renumbering the
// siblings when no position is left between two.
func (l *taskList) placeLocked(t *storedTask, parent string, previous *storedTask, last bool) {
	t.Parent = parent
	sib := l.siblingsLocked(parent, t)
	for range 2 {
		i := 0
		switch {
		case last:
			i = len(sib)
		case previous != nil:
			i = slices.Index(sib, previous) + 1
		}
		var lo, hi uint64
		if i > 0 {
			lo = sib[i-1].pos
		}
		if i < len(sib) {
			hi = sib[i].pos
		} else {
			hi = lo + 2*taskPositionStep
		}
		if hi-lo >= 2 {
			t.pos = lo + (hi-lo)/2
			t.Position = fmt.Sprintf("%020d", t.pos)
			return
		}
		for j, s := range sib {
			s.pos = uint64(j+1) * taskPositionStep
			s.Position = fmt.Sprintf("%020d", s.pos)
		}
	}
}

// outlineLocked returns the list's tasks in outline order: each task
// followed by its subtasks, siblings by position. Tasks whose parent is
// gone count as top level.
func (l *taskList) outlineLocked() []*storedTask {
	children := map[string][]*storedTask{}
	for _, t := range l.tasks {
		p := t.Parent
		if p != "" && l.taskLocked(p) == nil {
			p = ""
		}
		children[p] = append(children[p], t)
	}
	var out []*storedTask
	seen := map[*storedTask]bool{}
	var walk func(parent string)
	walk = func(parent string) {
		kids := children[parent]
		slices.SortFunc(kids, func(a, b *storedTask) int { return compareUint(a.pos, b.pos) })
		for _, t := range kids {
			if seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
			walk(t.ID)
		}
	}
	walk("")
	return out
}

// descendantsLocked returns the subtasks of t, recursively.
func (l *taskList) descendantsLocked(t *storedTask) []*storedTask {
	var out []*storedTask
	for _, c := range l.tasks {
		if c.Parent == t.ID && c != t {
			out = append(out, c)
			out = append(out, l.descendantsLocked(c)...)
		}
	}
	return out
}

// stampLocked records a change of t: new etag and updated time.
func (ts *tasksService) stampLocked(t *storedTask) {
	t.version++
	t.Updated = ts.s.opts.Now()
	t.ETag = tasksETag(t.ID, t.version)
}

func (ts *tasksService) stampListLocked(l *taskList) {
	l.version++
	l.Updated = ts.s.opts.Now()
	l.ETag = tasksETag(l.ID, l.version)
}

// tasksETag is an opaque, quoted etag like the Tasks API's.
func tasksETag(id string, version int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", id, version))
	return `"` + base64.RawStdEncoding.EncodeToString([]byte(strconv.FormatInt(int64(int32(binary.BigEndian.Uint32(sum[:4]))), 10))) + `"`
}

// tasksTime formats a timestamp as the Tasks API does.
func tasksTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// taskDueDate keeps the date of a due timestamp as written, as midnight UTC.
func taskDueDate(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (ts *tasksService) listJSON(l *taskList) map[string]any {
	return map[string]any{
		"kind":     "tasks#taskList",
		"id":       l.ID,
		"etag":     l.ETag,
		"title":    l.Title,
		"updated":  tasksTime(l.Updated),
		"selfLink": ts.s.srv.URL + taskListsPath + "/" + l.ID,
	}
}

func (ts *tasksService) taskJSON(l *taskList, t *storedTask) map[string]any {
	out := map[string]any{
		"kind":        "tasks#task",
		"id":          t.ID,
		"etag":        t.ETag,
		"title":       t.Title,
		"updated":     tasksTime(t.Updated),
		"selfLink":    ts.s.srv.URL + "/tasks/v1/lists/" + l.ID + "/tasks/" + t.ID,
		"position":    t.Position,
		"status":      t.Status,
		"webViewLink": "https://tasks.google.com/task/" + t.ID,
	}
	if t.Parent != "" {
		out["parent"] = t.Parent
	}
	if t.Notes != "" {
		out["notes"] = t.Notes
	}
	if !t.Due.IsZero() {
		out["due"] = tasksTime(t.Due)
	}
	if !t.Completed.IsZero() {
		out["completed"] = tasksTime(t.Completed)
	}
	if t.Deleted {
		out["deleted"] = true
	}
	if t.Hidden {
		out["hidden"] = true
	}
	if len(t.Links) > 0 {
		out["links"] = slices.Clone(t.Links)
	}
	return out
}

// tasksCollectionETag is the etag of a list answer.
func tasksCollectionETag(etags []string) string {
	sum := sha256.Sum256([]byte(strings.Join(etags, ",")))
	return `"` + base64.RawStdEncoding.EncodeToString(sum[:9]) + `"`
}

// tasksInvalidValue is the Tasks API's answer to a bad parameter or field.
func tasksInvalidValue(w http.ResponseWriter) {
	WriteError(w, http.StatusBadRequest, "invalid", "Invalid Value")
}

// authorize checks the token, which must act as a user (a service
// account acting as itself has no tasks), and returns the user's subject.
func (ts *tasksService) authorize(w http.ResponseWriter, r *http.Request, scopes []string) (string, bool) {
	p, ok := ts.s.Authorize(w, r, scopes...)
	if !ok {
		return "", false
	}
	if p.User == nil {
		WriteError(w, http.StatusBadRequest, "failedPrecondition", "Precondition check failed.")
		return "", false
	}
	return p.User.Subject, true
}

// lockedBook locks s.mu and returns the user's task lists; the caller
// unlocks.
func (ts *tasksService) lockedBook(subject string) *taskBook {
	ts.s.mu.Lock()
	return ts.bookLocked(subject)
}

// tasksQuery holds the parsed parameters of tasks.list.
type tasksQuery struct {
	completedMin, completedMax, dueMin, dueMax, updatedMin time.Time
	showCompleted, showDeleted, showHidden                 bool
}

func (q tasksQuery) match(t *storedTask) bool {
	within := func(v, lo, hi time.Time) bool {
		if lo.IsZero() && hi.IsZero() {
			return true
		}
		return !v.IsZero() && (lo.IsZero() || !v.Before(lo)) && (hi.IsZero() || v.Before(hi))
	}
	switch {
	case t.Status == "completed" && !q.showCompleted, t.Deleted && !q.showDeleted, t.Hidden && !q.showHidden:
		return false
	case !q.updatedMin.IsZero() && t.Updated.Before(q.updatedMin):
		return false
	}
	return within(t.Completed, q.completedMin, q.completedMax) && within(t.Due, q.dueMin, q.dueMax)
}

// parseTasksQuery reads the filters of tasks.list.
func parseTasksQuery(v url.Values) (tasksQuery, error) {
	q := tasksQuery{showCompleted: true}
	for name, dst := range map[string]*time.Time{"completedMin": &q.completedMin, "completedMax": &q.completedMax,
		"dueMin": &q.dueMin, "dueMax": &q.dueMax, "updatedMin": &q.updatedMin} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return q, fmt.Errorf("%s: %w", name, err)
			}
			*dst = t
		}
	}
	for name, dst := range map[string]*bool{"showCompleted": &q.showCompleted, "showDeleted": &q.showDeleted, "showHidden": &q.showHidden} {
		if s := v.Get(name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return q, fmt.Errorf("%s: %w", name, err)
			}
			*dst = b
		}
	}
	return q, nil
}

// tasksResultLimit reads maxResults: the default when absent or 0, at most
// the maximum.
func tasksResultLimit(v string, def, max int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	if n == 0 {
		return def, true
	}
	return min(n, max), true
}

// ServeHTTP is tasklists.list.
func (ts *tasksService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksReadScopes)
	if !ok {
		return
	}
	limit, ok := tasksResultLimit(r.URL.Query().Get("maxResults"), taskListsDefaultResults, taskListsMaxResults)
	if !ok {
		tasksInvalidValue(w)
		return
	}
	offset, ok := readPageToken(w, r, "tl")
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	var items []map[string]any
	var etags []string
	for i, l := range b.lists {
		etags = append(etags, l.ETag)
		if i >= offset && i < offset+limit {
			items = append(items, ts.listJSON(l))
		}
	}
	n := len(b.lists)
	ts.s.mu.Unlock()
	out := map[string]any{"kind": "tasks#taskLists", "etag": tasksCollectionETag(etags)}
	if items != nil {
		out["items"] = items
	}
	if offset+limit < n {
		out["nextPageToken"] = pageToken("tl", offset+limit)
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeTaskBody reads a JSON object body, keeping which fields are
// present (patch semantics).
func decodeTaskBody(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&m); err != nil {
		badRequest(w, "Invalid JSON payload received.")
		return nil, false
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	return m, true
}

// taskStringField reads a string field of a body: present reports whether it
// was there; null is "".
func taskStringField(body map[string]json.RawMessage, name string) (v string, present bool, err error) {
	raw, ok := body[name]
	if !ok {
		return "", false, nil
	}
	if string(raw) == "null" {
		return "", true, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, fmt.Errorf("%s: %w", name, err)
	}
	return v, true, nil
}

// applyListFields sets the title of a list from a body; replace (PUT)
// clears it when absent.
func applyListFields(l *TaskList, body map[string]json.RawMessage, replace bool) error {
	title, ok, err := taskStringField(body, "title")
	if err != nil {
		return err
	}
	if ok || replace {
		if utf8.RuneCountInString(title) > taskTitleMax {
			return errors.New("title too long")
		}
		l.Title = title
	}
	return nil
}

// handleListInsert is tasklists.insert.
func (ts *tasksService) handleListInsert(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	body, ok := decodeTaskBody(w, r)
	if !ok {
		return
	}
	var l TaskList
	if applyListFields(&l, body, true) != nil {
		tasksInvalidValue(w)
		return
	}
	b := ts.lockedBook(subject)
	tl := &taskList{TaskList: l}
	tl.ID = b.newIDLocked("list")
	ts.stampListLocked(tl)
	b.lists = append(b.lists, tl)
	out := ts.listJSON(tl)
	ts.s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// handleListGet is tasklists.get.
func (ts *tasksService) handleListGet(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksReadScopes)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	l := b.listLocked(r.PathValue("tasklist"))
	var out map[string]any
	if l != nil {
		out = ts.listJSON(l)
	}
	ts.s.mu.Unlock()
	if l == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleListUpdate is tasklists.patch (PATCH) and tasklists.update (PUT).
func (ts *tasksService) handleListUpdate(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	body, ok := decodeTaskBody(w, r)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l := b.listLocked(r.PathValue("tasklist"))
	if l == nil {
		notFound(w)
		return
	}
	next := l.TaskList
	if applyListFields(&next, body, r.Method == http.MethodPut) != nil {
		tasksInvalidValue(w)
		return
	}
	l.TaskList = next
	ts.stampListLocked(l)
	writeJSON(w, http.StatusOK, ts.listJSON(l))
}

// handleListDelete is tasklists.delete: the list and its tasks go, 204.
func (ts *tasksService) handleListDelete(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l := b.listLocked(r.PathValue("tasklist"))
	switch {
	case l == nil:
		notFound(w)
	case l.isDefault:
		tasksInvalidValue(w)
	default:
		b.lists = slices.DeleteFunc(b.lists, func(x *taskList) bool { return x == l })
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleTasksList is tasks.list.
func (ts *tasksService) handleTasksList(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksReadScopes)
	if !ok {
		return
	}
	q, err := parseTasksQuery(r.URL.Query())
	if err != nil {
		tasksInvalidValue(w)
		return
	}
	limit, ok := tasksResultLimit(r.URL.Query().Get("maxResults"), tasksDefaultResults, tasksMaxResults)
	if !ok {
		tasksInvalidValue(w)
		return
	}
	offset, ok := readPageToken(w, r, "tk")
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	l := b.listLocked(r.PathValue("tasklist"))
	if l == nil {
		ts.s.mu.Unlock()
		notFound(w)
		return
	}
	var hits []*storedTask
	for _, t := range l.outlineLocked() {
		if q.match(t) {
			hits = append(hits, t)
		}
	}
	var items []map[string]any
	var etags []string
	for i, t := range hits {
		etags = append(etags, t.ETag)
		if i >= offset && i < offset+limit {
			items = append(items, ts.taskJSON(l, t))
		}
	}
	ts.s.mu.Unlock()
	out := map[string]any{"kind": "tasks#tasks", "etag": tasksCollectionETag(etags)}
	if items != nil {
		out["items"] = items
	}
	if offset+limit < len(hits) {
		out["nextPageToken"] = pageToken("tk", offset+limit)
	}
	writeJSON(w, http.StatusOK, out)
}

// applyTaskFields sets the writable fields of a task from a body: title,
// notes, status, due, completed, deleted. replace (PUT, insert) resets
// the absent ones. Completing a task without a completion time sets it
// (keeping an earlier one); a task that is not completed has none and is
// not hidden.
func applyTaskFields(t *Task, body map[string]json.RawMessage, replace bool, now time.Time) error {
	prevCompleted := t.Completed
	for _, f := range []struct {
		name string
		dst  *string
		max  int
	}{{"title", &t.Title, taskTitleMax}, {"notes", &t.Notes, taskNotesMax}, {"status", &t.Status, 0}} {
		v, ok, err := taskStringField(body, f.name)
		if err != nil {
			return err
		}
		if ok || replace {
			if f.max > 0 && utf8.RuneCountInString(v) > f.max {
				return fmt.Errorf("%s longer than %d characters", f.name, f.max)
			}
			*f.dst = v
		}
	}
	if t.Status == "" {
		t.Status = "needsAction"
	}
	if t.Status != "needsAction" && t.Status != "completed" {
		return fmt.Errorf("invalid status %q", t.Status)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"due", &t.Due}, {"completed", &t.Completed}} {
		v, ok, err := taskStringField(body, f.name)
		if err != nil {
			return err
		}
		if !ok && !replace {
			continue
		}
		var tm time.Time
		if v != "" {
			if tm, err = time.Parse(time.RFC3339, v); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
		*f.dst = tm
	}
	t.Due = taskDueDate(t.Due)
	if raw, ok := body["deleted"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &t.Deleted); err != nil {
			return fmt.Errorf("deleted: %w", err)
		}
	} else if replace {
		t.Deleted = false
	}
	switch {
	case t.Status != "completed":
		t.Completed, t.Hidden = time.Time{}, false
	case t.Completed.IsZero() && !prevCompleted.IsZero():
		t.Completed = prevCompleted
	case t.Completed.IsZero():
		t.Completed = now
	}
	return nil
}

// findTask resolves the list and task of a tasks request; it answers 404
// and returns nil when either is missing.
func findTask(w http.ResponseWriter, r *http.Request, b *taskBook) (*taskList, *storedTask) {
	l := b.listLocked(r.PathValue("tasklist"))
	var t *storedTask
	if l != nil {
		t = l.taskLocked(r.PathValue("task"))
	}
	if t == nil {
		notFound(w)
		return nil, nil
	}
	return l, t
}

// handleTaskInsert is tasks.insert: the new task goes under parent,
// right after previous (first among its siblings without previous).
func (ts *tasksService) handleTaskInsert(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	body, ok := decodeTaskBody(w, r)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l := b.listLocked(r.PathValue("tasklist"))
	if l == nil {
		notFound(w)
		return
	}
	t := &storedTask{}
	if applyTaskFields(&t.Task, body, true, ts.s.opts.Now()) != nil {
		tasksInvalidValue(w)
		return
	}
	parent, previous, ok := taskPlacement(l, r.URL.Query(), nil)
	if !ok {
		tasksInvalidValue(w)
		return
	}
	t.ID = b.newIDLocked("task")
	l.placeLocked(t, parent, previous, false)
	ts.stampLocked(t)
	l.tasks = append(l.tasks, t)
	writeJSON(w, http.StatusOK, ts.taskJSON(l, t))
}

// taskPlacement checks the parent and previous parameters of insert and
// move against list l: both must be live tasks of l, previous a child of
// parent, and neither t nor one of its subtasks.
func taskPlacement(l *taskList, q url.Values, t *storedTask) (parent string, previous *storedTask, ok bool) {
	var moving []*storedTask
	if t != nil {
		moving = append(l.descendantsLocked(t), t)
	}
	parent = q.Get("parent")
	if parent != "" {
		p := l.taskLocked(parent)
		if p == nil || p.Deleted || slices.Contains(moving, p) {
			return "", nil, false
		}
	}
	if id := q.Get("previous"); id != "" {
		previous = l.taskLocked(id)
		if previous == nil || previous.Deleted || previous.Parent != parent || slices.Contains(moving, previous) {
			return "", nil, false
		}
	}
	return parent, previous, true
}

// handleTaskGet is tasks.get; a deleted task is served with
// deleted=true.
func (ts *tasksService) handleTaskGet(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksReadScopes)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l, t := findTask(w, r, b)
	if t != nil {
		writeJSON(w, http.StatusOK, ts.taskJSON(l, t))
	}
}

// handleTaskUpdate is tasks.patch (PATCH) and tasks.update (PUT).
func (ts *tasksService) handleTaskUpdate(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	body, ok := decodeTaskBody(w, r)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l, t := findTask(w, r, b)
	if t == nil {
		return
	}
	next := t.Task
	if applyTaskFields(&next, body, r.Method == http.MethodPut, ts.s.opts.Now()) != nil {
		tasksInvalidValue(w)
		return
	}
	t.Task = next
	ts.stampLocked(t)
	writeJSON(w, http.StatusOK, ts.taskJSON(l, t))
}

// handleTaskDelete is tasks.delete: the task and its subtasks are marked
// deleted (tasks.list shows them with showDeleted), 204.
func (ts *tasksService) handleTaskDelete(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l, t := findTask(w, r, b)
	if t == nil {
		return
	}
	for _, x := range append(l.descendantsLocked(t), t) {
		if !x.Deleted {
			x.Deleted = true
			ts.stampLocked(x)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleTaskMove is tasks.move: parent, previous and
// destinationTasklist; subtasks move with their parent.
func (ts *tasksService) handleTaskMove(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l, t := findTask(w, r, b)
	if t == nil {
		return
	}
	q := r.URL.Query()
	dest := l
	if id := q.Get("destinationTasklist"); id != "" {
		if dest = b.listLocked(id); dest == nil {
			notFound(w)
			return
		}
	}
	parent, previous, ok := taskPlacement(dest, q, t)
	if !ok {
		tasksInvalidValue(w)
		return
	}
	if dest != l {
		moving := append(l.descendantsLocked(t), t)
		l.tasks = slices.DeleteFunc(l.tasks, func(x *storedTask) bool { return slices.Contains(moving, x) })
		dest.tasks = append(dest.tasks, moving...)
	}
	dest.placeLocked(t, parent, previous, false)
	ts.stampLocked(t)
	writeJSON(w, http.StatusOK, ts.taskJSON(dest, t))
}

// handleClear is tasks.clear: completed tasks become hidden, 204.
func (ts *tasksService) handleClear(w http.ResponseWriter, r *http.Request) {
	subject, ok := ts.authorize(w, r, tasksWriteScopes)
	if !ok {
		return
	}
	b := ts.lockedBook(subject)
	defer ts.s.mu.Unlock()
	l := b.listLocked(r.PathValue("tasklist"))
	if l == nil {
		notFound(w)
		return
	}
	for _, t := range l.tasks {
		if t.Status == "completed" && !t.Deleted && !t.Hidden {
			t.Hidden = true
			ts.stampLocked(t)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// lockedTaskBook locks s.mu and returns the Tasks state and the task
// lists of the user with this email or subject; the caller unlocks
// unless err is set.
func (s *Server) lockedTaskBook(fn, emailOrSubject string) (*tasksService, *taskBook, error) {
	ts, err := s.tasks()
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		s.mu.Unlock()
		return nil, nil, fmt.Errorf("googletest: %s(%q): no such user", fn, emailOrSubject)
	}
	return ts, ts.bookLocked(u.Subject), nil
}

// SeedTaskList adds a task list for the user with this email or subject
// and returns it as stored. An empty ID gets a new one; a zero Updated is
// the fake's clock.
func (s *Server) SeedTaskList(emailOrSubject string, l TaskList) (TaskList, error) {
	ts, b, err := s.lockedTaskBook("SeedTaskList", emailOrSubject)
	if err != nil {
		return TaskList{}, err
	}
	defer s.mu.Unlock()
	if l.ID == "" {
		l.ID = b.newIDLocked("list")
	}
	if l.ID == "@default" || b.listLocked(l.ID) != nil {
		return TaskList{}, fmt.Errorf("googletest: SeedTaskList: list id %q is taken", l.ID)
	}
	updated := l.Updated
	tl := &taskList{TaskList: l}
	ts.stampListLocked(tl)
	if !updated.IsZero() {
		tl.Updated = updated
	}
	b.lists = append(b.lists, tl)
	return tl.TaskList, nil
}

// SeedTask adds a task to the user's list listID (an id or "@default"),
// last among its siblings (under t.Parent, which must be a task of the
// list, or at the top level), and returns it as stored. An empty ID gets
// a new one; Status defaults to needsAction; a completed task gets the
// fake's clock as Completed when it has none; only the date of Due is
// kept; a zero Updated is the fake's clock.
func (s *Server) SeedTask(emailOrSubject, listID string, t Task) (Task, error) {
	ts, b, err := s.lockedTaskBook("SeedTask", emailOrSubject)
	if err != nil {
		return Task{}, err
	}
	defer s.mu.Unlock()
	l := b.listLocked(listID)
	if l == nil {
		return Task{}, fmt.Errorf("googletest: SeedTask: no task list %q", listID)
	}
	if t.ID == "" {
		t.ID = b.newIDLocked("task")
	}
	if b.hasTaskLocked(t.ID) {
		return Task{}, fmt.Errorf("googletest: SeedTask: task id %q is taken", t.ID)
	}
	if t.Parent != "" && l.taskLocked(t.Parent) == nil {
		return Task{}, fmt.Errorf("googletest: SeedTask: no parent task %q in the list", t.Parent)
	}
	switch t.Status {
	case "":
		t.Status = "needsAction"
	case "needsAction", "completed":
	default:
		return Task{}, fmt.Errorf("googletest: SeedTask: invalid status %q", t.Status)
	}
	if t.Status == "completed" && t.Completed.IsZero() {
		t.Completed = s.opts.Now()
	}
	if t.Status != "completed" {
		t.Completed = time.Time{}
	}
	t.Due = taskDueDate(t.Due)
	t.Links = slices.Clone(t.Links)
	updated := t.Updated
	st := &storedTask{Task: t}
	l.placeLocked(st, t.Parent, nil, true)
	ts.stampLocked(st)
	if !updated.IsZero() {
		st.Updated = updated
	}
	l.tasks = append(l.tasks, st)
	return cloneTask(st.Task), nil
}

func cloneTask(t Task) Task {
	t.Links = slices.Clone(t.Links)
	return t
}

// TaskLists returns the user's task lists, the default one first.
func (s *Server) TaskLists(emailOrSubject string) []TaskList {
	_, b, err := s.lockedTaskBook("TaskLists", emailOrSubject)
	if err != nil {
		return nil
	}
	defer s.mu.Unlock()
	var out []TaskList
	for _, l := range b.lists {
		out = append(out, l.TaskList)
	}
	return out
}

// Tasks returns every task of the user's list listID (an id or
// "@default"), deleted and hidden ones included, in outline order (each
// task followed by its subtasks).
func (s *Server) Tasks(emailOrSubject, listID string) []Task {
	_, b, err := s.lockedTaskBook("Tasks", emailOrSubject)
	if err != nil {
		return nil
	}
	defer s.mu.Unlock()
	l := b.listLocked(listID)
	if l == nil {
		return nil
	}
	var out []Task
	for _, t := range l.outlineLocked() {
		out = append(out, cloneTask(t.Task))
	}
	return out
}
