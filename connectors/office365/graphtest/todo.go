package graphtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// The To Do part of the fake: Microsoft Graph v1.0 Microsoft To Do task
// lists and tasks for delegated tokens with Tasks.Read or Tasks.ReadWrite
// (403 ErrorAccessDenied without; 400 for app-only tokens on /me).
//
//   - GET /me/todo/lists ($top, $skip), POST /me/todo/lists (201), GET,
//     PATCH and DELETE /me/todo/lists/{id}. Every user has the built-in
//     "Tasks" list (wellknownListName defaultList), which cannot be renamed
//     or deleted; a seeded list may be the built-in flaggedEmails list.
//   - GET /me/todo/lists/{id}/tasks with $select, $top, $skip paging in
//     @odata.nextLink, $orderby, and a $filter subset (eq/ne on status,
//     importance, title and isReminderOn, startswith() and contains() on
//     title, ge/gt/le/lt on createdDateTime and lastModifiedDateTime,
//     joined with "and"); POST (201); GET, PATCH (200) and DELETE (204)
//     /me/todo/lists/{id}/tasks/{taskId}, PATCH and DELETE honouring
//     If-Match against @odata.etag (412 ErrorIrresolvableConflict).
//   - GET /me/todo/lists/delta and /me/todo/lists/{id}/tasks/delta with
//     Prefer: odata.maxpagesize or $top (default 10), $skiptoken and
//     $deltatoken links, {"@odata.type","id","@removed":{"reason":"deleted"}}
//     for deleted lists and tasks, and 410 SyncStateNotFound for every
//     token issued before ExpireTodoDeltaTokens.
//
// Tasks carry @odata.etag, id, title, body {content, contentType},
// importance (low, normal, high), status (notStarted, inProgress,
// completed, waitingOnOthers, deferred), isReminderOn, createdDateTime,
// lastModifiedDateTime, bodyLastModifiedDateTime, categories,
// hasAttachments, completedDateTime, dueDateTime, startDateTime,
// reminderDateTime (dateTimeTimeZone, omitted when unset), recurrence
// (stored and echoed) and linkedResources. dateTimeTimeZone values accept
// Windows and IANA zone names and come back in UTC with seven fractional
// digits. dueDateTime and completedDateTime keep the date only, as To Do
// does: midnight of that day in the given zone, returned in UTC (a due
// date of 2020-07-25T16:00 Eastern Standard Time reads
// {"dateTime":"2020-07-25T04:00:00.0000000","timeZone":"UTC"}). Setting
// status to completed sets completedDateTime to today (UTC) unless the
// request gives one; leaving completed clears it. Unknown properties in a
// body answer 400 RequestBodyRead. Lists and tasks are seeded with
// SeedTodoList and SeedTodoTask, changed from the test side with
// ChangeTodoTask and DeleteTodoTask.

// TodoList is a Microsoft To Do task list (todoTaskList).
type TodoList struct {
	// ID is assigned when empty.
	ID          string
	DisplayName string
	// IsShared marks a list shared with other users.
	IsShared bool
	// NotOwner marks a list another user shared with this one (isOwner
	// false).
	NotOwner bool
	// WellknownListName is "none" (the default) or "flaggedEmails";
	// "defaultList" is the built-in Tasks list every user has.
	WellknownListName string

	seq   int64
	order int64
}

// TodoLinkedResource is a linkedResource of a task: an item in another
// application the task came from.
type TodoLinkedResource struct {
	// ID is assigned when empty.
	ID                                               string
	WebURL, ApplicationName, DisplayName, ExternalID string
}

// TodoTask is a Microsoft To Do task (todoTask).
type TodoTask struct {
	// ID is assigned when empty.
	ID    string
	Title string
	// Body is the body content, HTML when BodyIsHTML.
	Body       string
	BodyIsHTML bool
	// Importance is low, normal (the default) or high.
	Importance string
	// Status is notStarted (the default), inProgress, completed,
	// waitingOnOthers or deferred.
	Status         string
	IsReminderOn   bool
	Categories     []string
	HasAttachments bool
	// CreatedDateTime defaults to the fake's now.
	CreatedDateTime time.Time
	// LastModifiedDateTime, BodyLastModifiedDateTime and ChangeKey are set
	// by the fake.
	LastModifiedDateTime     time.Time
	BodyLastModifiedDateTime time.Time
	ChangeKey                string
	// DueDateTime and CompletedDateTime keep their date (in their own
	// location) only; the zero time is none. A completed task without a
	// CompletedDateTime gets today's.
	DueDateTime, CompletedDateTime time.Time
	// StartDateTime and ReminderDateTime are instants; zero is none.
	StartDateTime, ReminderDateTime time.Time
	// Recurrence is the patternedRecurrence JSON, stored and echoed as
	// given; nil for none.
	Recurrence      json.RawMessage
	LinkedResources []TodoLinkedResource

	listID string
	seq    int64
	order  int64
}

// todoStore holds the To Do data of every user. It has its own lock; it
// never takes Server.mu while holding it.
type todoStore struct {
	mu     sync.Mutex
	users  map[string]*todoData // by lower-case oid
	deltas map[string]*pimDeltaRound
}

// todoData is one user's lists and tasks. List removals are logged under
// the scope todoListsScope, task removals under their list's id.
type todoData struct {
	lists map[string]*TodoList
	tasks map[string]*TodoTask
	log   pimLog
}

const todoListsScope = "lists"

func (st *todoStore) dataLocked(oid string) *todoData {
	oid = strings.ToLower(oid)
	d := st.users[oid]
	if d == nil {
		d = &todoData{lists: make(map[string]*TodoList), tasks: make(map[string]*TodoTask)}
		def := &TodoList{ID: newGraphID("AAMkADIyAAAAABrJ"), DisplayName: "Tasks", WellknownListName: "defaultList"}
		d.touchList(def)
		def.order = def.seq
		d.lists[def.ID] = def
		st.users[oid] = d
	}
	return d
}

func (d *todoData) touchList(l *TodoList) { l.seq = d.log.next() }

func (d *todoData) touchTask(t *TodoTask, now time.Time) {
	t.seq = d.log.next()
	t.LastModifiedDateTime = now.UTC()
	t.ChangeKey = pimChangeKey(t.ID, t.seq)
}

func (d *todoData) defaultList() *TodoList {
	for _, l := range d.lists {
		if l.WellknownListName == "defaultList" {
			return l
		}
	}
	return nil
}

func (d *todoData) sortedLists() []*TodoList {
	out := make([]*TodoList, 0, len(d.lists))
	for _, l := range d.lists {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

func (d *todoData) sortedTasks(listID string) []*TodoTask {
	var out []*TodoTask
	for _, t := range d.tasks {
		if t.listID == listID {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// removeList deletes a list and its tasks, logging every removal.
func (d *todoData) removeList(id string) {
	for _, t := range d.sortedTasks(id) {
		delete(d.tasks, t.ID)
		d.log.remove(t.ID, id)
	}
	delete(d.lists, id)
	d.log.remove(id, todoListsScope)
}

// todo returns the To Do part registered by todoRoutes.
func (s *Server) todo() *todoStore { return s.todoS }

// DefaultTodoListID returns the id of the built-in "Tasks" list
// (wellknownListName defaultList) of the user oid; "" for an unknown user.
func (s *Server) DefaultTodoListID(oid string) string {
	if _, ok := s.User(oid); !ok {
		return ""
	}
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.dataLocked(oid).defaultList().ID
}

// SeedTodoList creates a task list of the user oid and returns it with its
// id filled in.
func (s *Server) SeedTodoList(oid string, l TodoList) (TodoList, error) {
	if _, ok := s.User(oid); !ok {
		return TodoList{}, fmt.Errorf("graphtest: SeedTodoList: no user %q", oid)
	}
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(oid)
	switch l.WellknownListName {
	case "":
		l.WellknownListName = "none"
	case "none":
	case "flaggedEmails":
		if slices.ContainsFunc(d.sortedLists(), func(x *TodoList) bool { return x.WellknownListName == "flaggedEmails" }) {
			return TodoList{}, errors.New("graphtest: SeedTodoList: the user has a flaggedEmails list")
		}
	default:
		return TodoList{}, fmt.Errorf("graphtest: SeedTodoList: wellknownListName %q cannot be seeded", l.WellknownListName)
	}
	if strings.TrimSpace(l.DisplayName) == "" {
		return TodoList{}, errors.New("graphtest: SeedTodoList: a list needs a DisplayName")
	}
	if l.ID == "" {
		l.ID = newGraphID("AAMkADIyAAAhrbPW")
	}
	if _, dup := d.lists[l.ID]; dup {
		return TodoList{}, fmt.Errorf("graphtest: SeedTodoList: id %s exists", l.ID)
	}
	cp := l
	d.touchList(&cp)
	cp.order = cp.seq
	d.lists[cp.ID] = &cp
	return cp, nil
}

// TodoLists returns the task lists of the user oid, the built-in Tasks
// list first.
func (s *Server) TodoLists(oid string) []TodoList {
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []TodoList
	for _, l := range st.dataLocked(oid).sortedLists() {
		out = append(out, *l)
	}
	return out
}

// SeedTodoTask stores a task in the list listID of the user oid and
// returns it with its id, defaults and timestamps filled in.
func (s *Server) SeedTodoTask(oid, listID string, t TodoTask) (TodoTask, error) {
	if _, ok := s.User(oid); !ok {
		return TodoTask{}, fmt.Errorf("graphtest: SeedTodoTask: no user %q", oid)
	}
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(oid)
	t.DueDateTime, t.CompletedDateTime = todoDateOnly(t.DueDateTime), todoDateOnly(t.CompletedDateTime)
	stored, err := d.addTask(listID, t, s.opts.Now())
	if err != nil {
		return TodoTask{}, fmt.Errorf("graphtest: SeedTodoTask: %w", err)
	}
	s.notifyTodoTask(oid, d.tasks[stored.ID], "created")
	return stored, nil
}

// addTask stores a new task in a list of d. Its dates are final: the
// caller has kept the date of DueDateTime and CompletedDateTime.
func (d *todoData) addTask(listID string, t TodoTask, now time.Time) (TodoTask, error) {
	if d.lists[listID] == nil {
		return TodoTask{}, fmt.Errorf("no list %q", listID)
	}
	if t.ID == "" {
		t.ID = newGraphID("AAMkADMwNTcyZjQz")
	}
	if _, dup := d.tasks[t.ID]; dup {
		return TodoTask{}, fmt.Errorf("id %s exists", t.ID)
	}
	if err := normalizeTodoTask(&t, now); err != nil {
		return TodoTask{}, err
	}
	if t.CreatedDateTime.IsZero() {
		t.CreatedDateTime = now
	}
	t.CreatedDateTime = t.CreatedDateTime.UTC()
	if t.BodyLastModifiedDateTime.IsZero() {
		t.BodyLastModifiedDateTime = t.CreatedDateTime
	}
	cp := cloneTodoTask(t)
	cp.listID = listID
	d.touchTask(&cp, now)
	cp.order = cp.seq
	d.tasks[cp.ID] = &cp
	return cloneTodoTask(cp), nil
}

// normalizeTodoTask fills the defaults of a task (a completed task without a
// completion date was completed today, UTC) and checks its enumerations.
func normalizeTodoTask(t *TodoTask, now time.Time) error {
	if t.Importance == "" {
		t.Importance = "normal"
	}
	if t.Status == "" {
		t.Status = "notStarted"
	}
	if !slices.Contains(todoImportances, t.Importance) {
		return fmt.Errorf("importance %q is not one of %v", t.Importance, todoImportances)
	}
	if !slices.Contains(todoStatuses, t.Status) {
		return fmt.Errorf("status %q is not one of %v", t.Status, todoStatuses)
	}
	if t.Status == "completed" && t.CompletedDateTime.IsZero() {
		t.CompletedDateTime = todoDateOnly(now.UTC())
	}
	for i := range t.LinkedResources {
		if t.LinkedResources[i].ID == "" {
			t.LinkedResources[i].ID = randomID()
		}
	}
	return nil
}

// todoDateOnly returns midnight of t's day in t's location, in UTC; zero stays
// zero.
func todoDateOnly(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location()).UTC()
}

// TodoTasks returns the tasks of a list of the user oid, in creation
// order.
func (s *Server) TodoTasks(oid, listID string) []TodoTask {
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []TodoTask
	for _, t := range st.dataLocked(oid).sortedTasks(listID) {
		out = append(out, cloneTodoTask(*t))
	}
	return out
}

// ChangeTodoTask applies change to a stored task (as if edited in To Do)
// and marks it changed for delta. The id and list stay.
func (s *Server) ChangeTodoTask(oid, taskID string, change func(*TodoTask)) error {
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(oid)
	t := d.tasks[taskID]
	if t == nil {
		return fmt.Errorf("graphtest: ChangeTodoTask: no task %s", taskID)
	}
	cp := cloneTodoTask(*t)
	change(&cp)
	if !cp.DueDateTime.Equal(t.DueDateTime) {
		cp.DueDateTime = todoDateOnly(cp.DueDateTime)
	}
	if !cp.CompletedDateTime.Equal(t.CompletedDateTime) {
		cp.CompletedDateTime = todoDateOnly(cp.CompletedDateTime)
	}
	if err := normalizeTodoTask(&cp, s.opts.Now()); err != nil {
		return fmt.Errorf("graphtest: ChangeTodoTask: %w", err)
	}
	cp.ID, cp.listID, cp.order = t.ID, t.listID, t.order
	d.touchTask(&cp, s.opts.Now())
	*t = cp
	s.notifyTodoTask(oid, t, "updated")
	return nil
}

// DeleteTodoTask deletes a task (as if deleted in To Do); the next delta
// round of its list reports it removed.
func (s *Server) DeleteTodoTask(oid, taskID string) error {
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(oid)
	t := d.tasks[taskID]
	if t == nil {
		return fmt.Errorf("graphtest: DeleteTodoTask: no task %s", taskID)
	}
	delete(d.tasks, taskID)
	d.log.remove(taskID, t.listID)
	s.notifyTodoTask(oid, t, "deleted")
	return nil
}

// ExpireTodoDeltaTokens makes every To Do delta and skip token issued so
// far (of lists and of tasks) answer 410 Gone with SyncStateNotFound.
func (s *Server) ExpireTodoDeltaTokens() {
	st := s.todo()
	st.mu.Lock()
	defer st.mu.Unlock()
	clear(st.deltas)
}

func cloneTodoTask(t TodoTask) TodoTask {
	t.Categories = slices.Clone(t.Categories)
	t.Recurrence = slices.Clone(t.Recurrence)
	t.LinkedResources = slices.Clone(t.LinkedResources)
	return t
}

var (
	todoImportances = []string{"low", "normal", "high"}
	todoStatuses    = []string{"notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"}
	todoReadScopes  = []string{"Tasks.Read", "Tasks.ReadWrite"}
	todoWriteScopes = []string{"Tasks.ReadWrite"}
)

const (
	todoListType = "microsoft.graph.todoTaskList"
	todoTaskType = "microsoft.graph.todoTask"
	// todoTimeLayout is To Do's timestamp format: UTC, seven fractional
	// digits.
	todoTimeLayout = "2006-01-02T15:04:05.0000000Z"
)

// pimOmitted is what a property renders as when To Do leaves it out of a
// task (an unset dateTimeTimeZone, recurrence or linkedResources).
type pimOmitted struct{}

// todoListFields are the properties of a todoTaskList.
var todoListFields = []pimField[TodoList]{
	{name: "id", get: func(l *TodoList) any { return l.ID }},
	pimString("displayName", func(l *TodoList) *string { return &l.DisplayName }),
	{name: "isOwner", get: func(l *TodoList) any { return !l.NotOwner }},
	{name: "isShared", get: func(l *TodoList) any { return l.IsShared }},
	{name: "wellknownListName", get: func(l *TodoList) any { return l.WellknownListName }},
}

// todoTaskFields are the properties of a todoTask in the documented
// order.
var todoTaskFields = []pimField[TodoTask]{
	{name: "id", get: func(t *TodoTask) any { return t.ID }},
	{name: "body", get: func(t *TodoTask) any {
		ct := "text"
		if t.BodyIsHTML {
			ct = "html"
		}
		return map[string]any{"content": t.Body, "contentType": ct}
	}, set: func(t *TodoTask, raw json.RawMessage) error {
		t.Body, t.BodyIsHTML = "", false
		if pimIsNull(raw) {
			return nil
		}
		m, err := pimObject(raw, "microsoft.graph.itemBody", "content", "contentType")
		if err != nil {
			return err
		}
		var ct string
		if err := pimDecodeString(m["contentType"], &ct); err != nil {
			return err
		}
		switch strings.ToLower(ct) {
		case "", "text":
		case "html":
			t.BodyIsHTML = true
		default:
			return fmt.Errorf("Requested value '%s' was not found.", ct)
		}
		return pimDecodeString(m["content"], &t.Body)
	}},
	pimStrings("categories", func(t *TodoTask) *[]string { return &t.Categories }),
	pimDateTime("completedDateTime", func(t *TodoTask) *time.Time { return &t.CompletedDateTime }, true),
	pimDateTime("dueDateTime", func(t *TodoTask) *time.Time { return &t.DueDateTime }, true),
	{name: "hasAttachments", get: func(t *TodoTask) any { return t.HasAttachments }},
	pimEnum("importance", func(t *TodoTask) *string { return &t.Importance }, todoImportances),
	{name: "isReminderOn", get: func(t *TodoTask) any { return t.IsReminderOn },
		set: func(t *TodoTask, raw json.RawMessage) error { return pimDecodeBool(raw, &t.IsReminderOn) }},
	{name: "recurrence", get: func(t *TodoTask) any {
		if len(t.Recurrence) == 0 {
			return pimOmitted{}
		}
		return t.Recurrence
	}, set: func(t *TodoTask, raw json.RawMessage) error {
		t.Recurrence = nil
		if pimIsNull(raw) {
			return nil
		}
		if _, err := pimObject(raw, "microsoft.graph.patternedRecurrence", "pattern", "range"); err != nil {
			return err
		}
		t.Recurrence = slices.Clone(raw)
		return nil
	}},
	pimDateTime("reminderDateTime", func(t *TodoTask) *time.Time { return &t.ReminderDateTime }, false),
	pimDateTime("startDateTime", func(t *TodoTask) *time.Time { return &t.StartDateTime }, false),
	pimEnum("status", func(t *TodoTask) *string { return &t.Status }, todoStatuses),
	pimString("title", func(t *TodoTask) *string { return &t.Title }),
	{name: "createdDateTime", get: func(t *TodoTask) any { return t.CreatedDateTime.UTC().Format(todoTimeLayout) }},
	{name: "lastModifiedDateTime", get: func(t *TodoTask) any { return t.LastModifiedDateTime.UTC().Format(todoTimeLayout) }},
	{name: "bodyLastModifiedDateTime", get: func(t *TodoTask) any { return t.BodyLastModifiedDateTime.UTC().Format(todoTimeLayout) }},
	{name: "linkedResources", get: func(t *TodoTask) any {
		if len(t.LinkedResources) == 0 {
			return pimOmitted{}
		}
		out := []map[string]any{}
		for _, l := range t.LinkedResources {
			out = append(out, map[string]any{"id": l.ID, "webUrl": nilIfEmpty(l.WebURL), "applicationName": l.ApplicationName,
				"displayName": l.DisplayName, "externalId": nilIfEmpty(l.ExternalID)})
		}
		return out
	}, set: func(t *TodoTask, raw json.RawMessage) error {
		t.LinkedResources = nil
		if pimIsNull(raw) {
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return pimTypeMismatch(raw, "Collection(microsoft.graph.linkedResource)")
		}
		for _, it := range items {
			m, err := pimObject(it, "microsoft.graph.linkedResource", "id", "webUrl", "applicationName", "displayName", "externalId")
			if err != nil {
				return err
			}
			var l TodoLinkedResource
			for k, dst := range map[string]*string{"id": &l.ID, "webUrl": &l.WebURL, "applicationName": &l.ApplicationName,
				"displayName": &l.DisplayName, "externalId": &l.ExternalID} {
				if err := pimDecodeString(m[k], dst); err != nil {
					return err
				}
			}
			t.LinkedResources = append(t.LinkedResources, l)
		}
		return nil
	}},
}

// todoTaskNavigation are the task's relationships the fake does not store.
var todoTaskNavigation = []string{"attachments", "checklistItems", "extensions", "attachmentSessions"}

func pimEnum[T any](name string, p func(*T) *string, values []string) pimField[T] {
	return pimField[T]{name: name, get: func(v *T) any { return *p(v) }, set: func(v *T, raw json.RawMessage) error {
		var s string
		if err := pimDecodeString(raw, &s); err != nil {
			return err
		}
		if !slices.Contains(values, s) {
			return fmt.Errorf("Requested value '%s' was not found.", s)
		}
		*p(v) = s
		return nil
	}}
}

// pimDateTime is a dateTimeTimeZone property, rendered in UTC and left
// out when unset. Date-only ones (keepDate) keep the date in the given zone.
func pimDateTime[T any](name string, p func(*T) *time.Time, keepDate bool) pimField[T] {
	return pimField[T]{name: name, get: func(v *T) any {
		t := *p(v)
		if t.IsZero() {
			return pimOmitted{}
		}
		return map[string]any{"dateTime": t.UTC().Format("2006-01-02T15:04:05.0000000"), "timeZone": "UTC"}
	}, set: func(v *T, raw json.RawMessage) error {
		*p(v) = time.Time{}
		if pimIsNull(raw) {
			return nil
		}
		t, err := todoDecodeDateTime(raw)
		if err != nil {
			return err
		}
		if keepDate {
			t = todoDateOnly(t)
		}
		*p(v) = t.UTC()
		return nil
	}}
}

// todoZoneError is a dateTimeTimeZone whose zone the fake cannot resolve.
type todoZoneError struct{ zone string }

func (e todoZoneError) Error() string {
	return "A valid TimeZone value must be specified. The following TimeZone value is not supported: '" + e.zone + "'."
}

// todoDecodeDateTime reads {"dateTime", "timeZone"}: the wall time in
// a Windows or IANA zone (UTC when the dateTime carries an offset).
func todoDecodeDateTime(raw json.RawMessage) (time.Time, error) {
	m, err := pimObject(raw, "microsoft.graph.dateTimeTimeZone", "dateTime", "timeZone")
	if err != nil {
		return time.Time{}, err
	}
	var wall, zone string
	if err := pimDecodeString(m["dateTime"], &wall); err != nil {
		return time.Time{}, err
	}
	if err := pimDecodeString(m["timeZone"], &zone); err != nil {
		return time.Time{}, err
	}
	loc, err := todoZone(zone)
	if err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, wall); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, wall, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, pimTypeMismatch(m["dateTime"], "Edm.String (dateTime)")
}

// todoZone resolves a Windows or IANA time zone name.
func todoZone(name string) (*time.Location, error) {
	switch {
	case strings.EqualFold(name, "UTC"), strings.EqualFold(name, "Etc/UTC"):
		return time.UTC, nil
	case name == "":
		return nil, todoZoneError{zone: name}
	}
	iana := name
	if v, ok := ianaForWindowsZone(name); ok {
		iana = v
	}
	loc, err := time.LoadLocation(iana)
	if err != nil || iana == "Local" {
		return nil, todoZoneError{zone: name}
	}
	return loc, nil
}

// pimRender renders a resource with the selected properties (all when
// sel is empty), id and @odata.etag always; omitted properties are left
// out unless selected.
func pimRender[T any](v *T, fields []pimField[T], sel []string, changeKey string) map[string]any {
	out := map[string]any{"@odata.etag": pimETag(changeKey)}
	for _, f := range fields {
		chosen := slices.Contains(sel, f.name)
		if len(sel) > 0 && !chosen && f.name != "id" {
			continue
		}
		val := f.get(v)
		if _, skip := val.(pimOmitted); skip {
			if !chosen {
				continue
			}
			val = nil
		}
		out[f.name] = val
	}
	return out
}

func todoListJSON(l *TodoList) map[string]any {
	return pimRender(l, todoListFields, nil, pimChangeKey(l.ID, l.seq))
}

func todoTaskJSON(t *TodoTask, sel []string) map[string]any {
	return pimRender(t, todoTaskFields, sel, t.ChangeKey)
}

func (s *Server) todoRoutes() {
	st := &todoStore{users: make(map[string]*todoData), deltas: make(map[string]*pimDeltaRound)}
	s.todoS = st
	handle := func(pattern string, fn func(*todoStore, http.ResponseWriter, *http.Request)) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { fn(st, w, r) })
	}
	handle("GET /v1.0/me/todo/lists", s.handleListTodoLists)
	handle("POST /v1.0/me/todo/lists", s.handleCreateTodoList)
	handle("GET /v1.0/me/todo/lists/delta", s.handleTodoListDelta)
	handle("GET /v1.0/me/todo/lists/{lid}", s.handleGetTodoList)
	handle("PATCH /v1.0/me/todo/lists/{lid}", s.handlePatchTodoList)
	handle("DELETE /v1.0/me/todo/lists/{lid}", s.handleDeleteTodoList)
	handle("GET /v1.0/me/todo/lists/{lid}/tasks", s.handleListTodoTasks)
	handle("POST /v1.0/me/todo/lists/{lid}/tasks", s.handleCreateTodoTask)
	handle("GET /v1.0/me/todo/lists/{lid}/tasks/delta", s.handleTodoTaskDelta)
	handle("GET /v1.0/me/todo/lists/{lid}/tasks/{tid}", s.handleGetTodoTask)
	handle("PATCH /v1.0/me/todo/lists/{lid}/tasks/{tid}", s.handlePatchTodoTask)
	handle("DELETE /v1.0/me/todo/lists/{lid}/tasks/{tid}", s.handleDeleteTodoTask)
}

// writeTodoInvalid answers a request To Do refuses as invalid.
func writeTodoInvalid(w http.ResponseWriter, r *http.Request, msg string) {
	WriteError(w, r, http.StatusBadRequest, "invalidRequest", msg)
}

// todoBodyError answers a body a property setter refused.
func todoBodyError(w http.ResponseWriter, r *http.Request, err error) {
	var ze todoZoneError
	if errors.As(err, &ze) {
		WriteError(w, r, http.StatusBadRequest, "TimeZoneNotSupportedException", err.Error())
		return
	}
	WriteError(w, r, http.StatusBadRequest, "RequestBodyRead", err.Error())
}

func (s *Server) todoContext(oid, rest string) string {
	return s.srv.URL + "/v1.0/$metadata#users('" + oid + "')/todo/lists" + rest
}

// handleListTodoLists is GET /me/todo/lists.
func (s *Server) handleListTodoLists(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoReadScopes...)
	if !ok {
		return
	}
	page, ok := pimPageParams(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	lists := st.dataLocked(c.User.ObjectID).sortedLists()
	var items []map[string]any
	for _, i := range page.of(len(lists)) {
		items = append(items, todoListJSON(lists[i]))
	}
	st.mu.Unlock()
	s.pimWriteCollection(w, r, "users('"+c.User.ObjectID+"')/todo/lists", items, page, len(lists))
}

// handleCreateTodoList is POST /me/todo/lists {"displayName"}: 201.
func (s *Server) handleCreateTodoList(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoWriteScopes...)
	if !ok {
		return
	}
	body, ok := pimReadBody(w, r, todoListFields, []string{"tasks", "extensions"}, todoListType)
	if !ok {
		return
	}
	var l TodoList
	if err := pimApply(&l, body, todoListFields); err != nil {
		todoBodyError(w, r, err)
		return
	}
	if strings.TrimSpace(l.DisplayName) == "" {
		writeTodoInvalid(w, r, "The displayName of a list is required.")
		return
	}
	stored, err := s.SeedTodoList(c.User.ObjectID, TodoList{DisplayName: l.DisplayName})
	if err != nil {
		WriteError(w, r, http.StatusInternalServerError, "generalException", "storing the list failed")
		return
	}
	out := todoListJSON(&stored)
	out["@odata.context"] = s.todoContext(c.User.ObjectID, "/$entity")
	writeGraphJSON(w, r, http.StatusCreated, out)
}

// todoListLocked looks up the {lid} of the request, answering 404 when the
// user has no such list.
func todoListLocked(w http.ResponseWriter, r *http.Request, d *todoData) (*TodoList, bool) {
	l := d.lists[r.PathValue("lid")]
	if l == nil {
		pimNotFound(w, r)
		return nil, false
	}
	return l, true
}

// handleGetTodoList is GET /me/todo/lists/{id}.
func (s *Server) handleGetTodoList(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoReadScopes...)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if l, ok := todoListLocked(w, r, st.dataLocked(c.User.ObjectID)); ok {
		out := todoListJSON(l)
		out["@odata.context"] = s.todoContext(c.User.ObjectID, "/$entity")
		writeGraphJSON(w, r, http.StatusOK, out)
	}
}

// handlePatchTodoList is PATCH /me/todo/lists/{id} {"displayName"}; the
// built-in lists cannot be renamed.
func (s *Server) handlePatchTodoList(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoWriteScopes...)
	if !ok {
		return
	}
	body, ok := pimReadBody(w, r, todoListFields, []string{"tasks", "extensions"}, todoListType)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(c.User.ObjectID)
	l, ok := todoListLocked(w, r, d)
	switch {
	case !ok:
		return
	case !pimIfMatch(r, pimChangeKey(l.ID, l.seq)):
		pimConflict(w, r)
		return
	}
	cp := *l
	if err := pimApply(&cp, body, todoListFields); err != nil {
		todoBodyError(w, r, err)
		return
	}
	switch {
	case cp.DisplayName != l.DisplayName && l.WellknownListName != "none":
		writeTodoInvalid(w, r, "A built-in list cannot be renamed.")
		return
	case strings.TrimSpace(cp.DisplayName) == "":
		writeTodoInvalid(w, r, "The displayName of a list is required.")
		return
	}
	d.touchList(&cp)
	*l = cp
	out := todoListJSON(l)
	out["@odata.context"] = s.todoContext(c.User.ObjectID, "/$entity")
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleDeleteTodoList is DELETE /me/todo/lists/{id}: 204 and its tasks
// go with it; the built-in lists cannot be deleted.
func (s *Server) handleDeleteTodoList(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoWriteScopes...)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(c.User.ObjectID)
	l, ok := todoListLocked(w, r, d)
	switch {
	case !ok:
	case !pimIfMatch(r, pimChangeKey(l.ID, l.seq)):
		pimConflict(w, r)
	case l.WellknownListName != "none":
		writeTodoInvalid(w, r, "A built-in list cannot be deleted.")
	default:
		d.removeList(l.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleTodoListDelta is GET /me/todo/lists/delta.
func (s *Server) handleTodoListDelta(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoReadScopes...)
	if !ok {
		return
	}
	oid := c.User.ObjectID
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(oid)
	s.pimServeDelta(w, r, st.deltas, oid, "Collection(todoTaskList)", pimDeltaSource{
		start: func() (*pimDeltaRound, bool) {
			rd := &pimDeltaRound{oid: oid, scope: todoListsScope, seq: d.log.seq}
			for _, l := range d.sortedLists() {
				rd.items = append(rd.items, todoListJSON(l))
			}
			return rd, true
		},
		since: func(prev *pimDeltaRound) *pimDeltaRound {
			rd := &pimDeltaRound{oid: oid, scope: todoListsScope, seq: d.log.seq}
			lists := d.sortedLists()
			sort.SliceStable(lists, func(i, j int) bool { return lists[i].seq < lists[j].seq })
			for _, l := range lists {
				if l.seq > prev.seq {
					rd.items = append(rd.items, todoListJSON(l))
				}
			}
			for _, id := range d.log.removedSince(todoListsScope, prev.seq) {
				if d.lists[id] == nil {
					rd.items = append(rd.items, pimRemoved(todoListType, id))
				}
			}
			return rd
		},
	})
}

func pimRemoved(typeName, id string) map[string]any {
	return map[string]any{"@odata.type": "#" + typeName, "id": id, "@removed": map[string]any{"reason": "deleted"}}
}

// todoTaskFilter supports the pimPredicate clauses on the task's
// properties, with createdDateTime and lastModifiedDateTime as timestamps.
func todoTaskFilter(f string) (func(*TodoTask) bool, error) {
	var preds []func(*TodoTask) bool
	if strings.TrimSpace(f) != "" {
		for _, clause := range splitAnd(f) {
			p, err := pimPredicate(strings.TrimSpace(clause), todoTaskFields, "createdDateTime", "lastModifiedDateTime")
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
	}
	return func(t *TodoTask) bool {
		for _, p := range preds {
			if !p(t) {
				return false
			}
		}
		return true
	}, nil
}

// handleListTodoTasks is GET /me/todo/lists/{id}/tasks.
func (s *Server) handleListTodoTasks(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoReadScopes...)
	if !ok {
		return
	}
	q := r.URL.Query()
	sel, ok := pimSelect(w, r, q.Get("$select"), todoTaskFields, todoTaskType)
	if !ok {
		return
	}
	page, ok := pimPageParams(w, r)
	if !ok {
		return
	}
	match, err := todoTaskFilter(q.Get("$filter"))
	if err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
		return
	}
	less, ok := pimOrderBy(w, r, q.Get("$orderby"), todoTaskFields, todoTaskType)
	if !ok {
		return
	}
	st.mu.Lock()
	d := st.dataLocked(c.User.ObjectID)
	l, ok := todoListLocked(w, r, d)
	if !ok {
		st.mu.Unlock()
		return
	}
	var hits []*TodoTask
	for _, t := range d.sortedTasks(l.ID) {
		if match(t) {
			hits = append(hits, t)
		}
	}
	if less != nil {
		sort.SliceStable(hits, func(i, j int) bool { return less(hits[i], hits[j]) })
	}
	var items []map[string]any
	for _, i := range page.of(len(hits)) {
		items = append(items, todoTaskJSON(hits[i], sel))
	}
	st.mu.Unlock()
	s.pimWriteCollection(w, r, "users('"+c.User.ObjectID+"')/todo/lists('"+l.ID+"')/tasks", items, page, len(hits))
}

// todoTaskLocked looks up the {lid} and {tid} of the request, answering
// 404 when the task is not in that list of the user.
func todoTaskLocked(w http.ResponseWriter, r *http.Request, d *todoData) (*TodoTask, bool) {
	t := d.tasks[r.PathValue("tid")]
	if t == nil || t.listID != r.PathValue("lid") {
		pimNotFound(w, r)
		return nil, false
	}
	return t, true
}

// handleGetTodoTask is GET /me/todo/lists/{id}/tasks/{taskId} with
// $select.
func (s *Server) handleGetTodoTask(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoReadScopes...)
	if !ok {
		return
	}
	sel, ok := pimSelect(w, r, r.URL.Query().Get("$select"), todoTaskFields, todoTaskType)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if t, ok := todoTaskLocked(w, r, st.dataLocked(c.User.ObjectID)); ok {
		out := todoTaskJSON(t, sel)
		out["@odata.context"] = s.todoContext(c.User.ObjectID, "('"+t.listID+"')/tasks/$entity")
		writeGraphJSON(w, r, http.StatusOK, out)
	}
}

// handleCreateTodoTask is POST /me/todo/lists/{id}/tasks: 201 with the
// task.
func (s *Server) handleCreateTodoTask(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoWriteScopes...)
	if !ok {
		return
	}
	body, ok := pimReadBody(w, r, todoTaskFields, todoTaskNavigation, todoTaskType)
	if !ok {
		return
	}
	var t TodoTask
	if err := pimApply(&t, body, todoTaskFields); err != nil {
		todoBodyError(w, r, err)
		return
	}
	st.mu.Lock()
	d := st.dataLocked(c.User.ObjectID)
	stored, err := d.addTask(r.PathValue("lid"), t, s.opts.Now())
	if err == nil {
		s.notifyTodoTask(c.User.ObjectID, d.tasks[stored.ID], "created")
	}
	st.mu.Unlock()
	if err != nil {
		pimNotFound(w, r)
		return
	}
	out := todoTaskJSON(&stored, nil)
	out["@odata.context"] = s.todoContext(c.User.ObjectID, "('"+r.PathValue("lid")+"')/tasks/$entity")
	writeGraphJSON(w, r, http.StatusCreated, out)
}

// handlePatchTodoTask is PATCH /me/todo/lists/{id}/tasks/{taskId}: 200
// with the task, 412 when If-Match names another version. Completing a
// task sets completedDateTime; reopening it clears it.
func (s *Server) handlePatchTodoTask(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoWriteScopes...)
	if !ok {
		return
	}
	body, ok := pimReadBody(w, r, todoTaskFields, todoTaskNavigation, todoTaskType)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(c.User.ObjectID)
	t, ok := todoTaskLocked(w, r, d)
	switch {
	case !ok:
		return
	case !pimIfMatch(r, t.ChangeKey):
		pimConflict(w, r)
		return
	}
	cp := cloneTodoTask(*t)
	if err := pimApply(&cp, body, todoTaskFields); err != nil {
		todoBodyError(w, r, err)
		return
	}
	now := s.opts.Now()
	if _, given := body["completedDateTime"]; !given {
		switch {
		case cp.Status == "completed" && t.Status != "completed":
			cp.CompletedDateTime = todoDateOnly(now.UTC())
		case cp.Status != "completed":
			cp.CompletedDateTime = time.Time{}
		}
	}
	if _, ok := body["body"]; ok {
		cp.BodyLastModifiedDateTime = now.UTC()
	}
	if err := normalizeTodoTask(&cp, now); err != nil {
		writeTodoInvalid(w, r, err.Error())
		return
	}
	d.touchTask(&cp, now)
	*t = cp
	s.notifyTodoTask(c.User.ObjectID, t, "updated")
	out := todoTaskJSON(t, nil)
	out["@odata.context"] = s.todoContext(c.User.ObjectID, "('"+t.listID+"')/tasks/$entity")
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleDeleteTodoTask is DELETE /me/todo/lists/{id}/tasks/{taskId}: 204,
// 412 when If-Match names another version.
func (s *Server) handleDeleteTodoTask(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoWriteScopes...)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(c.User.ObjectID)
	t, ok := todoTaskLocked(w, r, d)
	switch {
	case !ok:
	case !pimIfMatch(r, t.ChangeKey):
		pimConflict(w, r)
	default:
		delete(d.tasks, t.ID)
		d.log.remove(t.ID, t.listID)
		s.notifyTodoTask(c.User.ObjectID, t, "deleted")
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleTodoTaskDelta is GET /me/todo/lists/{id}/tasks/delta.
func (s *Server) handleTodoTaskDelta(st *todoStore, w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, todoReadScopes...)
	if !ok {
		return
	}
	oid := c.User.ObjectID
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dataLocked(oid)
	s.pimServeDelta(w, r, st.deltas, oid, "Collection(todoTask)", pimDeltaSource{
		start: func() (*pimDeltaRound, bool) {
			l, ok := todoListLocked(w, r, d)
			if !ok {
				return nil, false
			}
			sel, ok := pimSelect(w, r, r.URL.Query().Get("$select"), todoTaskFields, todoTaskType)
			if !ok {
				return nil, false
			}
			rd := &pimDeltaRound{oid: oid, scope: l.ID, seq: d.log.seq, selected: sel}
			for _, t := range d.sortedTasks(l.ID) {
				rd.items = append(rd.items, todoTaskJSON(t, sel))
			}
			return rd, true
		},
		since: func(prev *pimDeltaRound) *pimDeltaRound {
			rd := &pimDeltaRound{oid: oid, scope: prev.scope, seq: d.log.seq, selected: prev.selected}
			tasks := d.sortedTasks(prev.scope)
			sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].seq < tasks[j].seq })
			for _, t := range tasks {
				if t.seq > prev.seq {
					rd.items = append(rd.items, todoTaskJSON(t, prev.selected))
				}
			}
			for _, id := range d.log.removedSince(prev.scope, prev.seq) {
				if cur := d.tasks[id]; cur == nil || cur.listID != prev.scope {
					rd.items = append(rd.items, pimRemoved(todoTaskType, id))
				}
			}
			return rd
		},
	})
}
