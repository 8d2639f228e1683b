// Package tasks is the model of the unified Tasks API and the capability a
// connector implements to serve it (Provider). The JSON shapes follow
// Aurinko's TaskList and Task. It is a leaf package.
package tasks

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aurinko-go/aurinko/unified/provider"
)

// Page sizes of task lists.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// DefaultID is the task list id alias of the account's default list.
const DefaultID = "default"

// TaskList is a list of tasks.
type TaskList struct {
	ID               string     `json:"id"`
	ETag             string     `json:"etag,omitempty"`
	Title            string     `json:"title"`
	Owner            bool       `json:"owner"`
	Shared           bool       `json:"shared"`
	DefaultList      bool       `json:"defaultList"`
	LastModifiedTime *time.Time `json:"lastModifiedTime,omitempty"`
}

// The task statuses.
const (
	StatusNotStarted      = "notStarted"
	StatusInProgress      = "inProgress"
	StatusCompleted       = "completed"
	StatusWaitingOnOthers = "waitingOnOthers"
	StatusDeferred        = "deferred"
)

// The task importances.
const (
	ImportanceLow    = "low"
	ImportanceNormal = "normal"
	ImportanceHigh   = "high"
)

// Link is a link attached to a task.
type Link struct {
	Source      string `json:"source,omitempty"`
	Description string `json:"description,omitempty"`
	Link        string `json:"link"`
}

// Task is one task. Due is a date: providers keep only the day, so it
// reads as midnight UTC of the due date.
type Task struct {
	ID               string     `json:"id"`
	ETag             string     `json:"etag,omitempty"`
	Title            string     `json:"title"`
	LastModifiedTime *time.Time `json:"lastModifiedTime,omitempty"`
	ParentID         string     `json:"parentId,omitempty"`
	Position         string     `json:"position,omitempty"`
	Notes            string     `json:"notes,omitempty"`
	Status           string     `json:"status"`
	Importance       string     `json:"importance,omitempty"`
	Due              *time.Time `json:"due,omitempty"`
	Completed        *time.Time `json:"completed,omitempty"`
	Links            []Link     `json:"links,omitempty"`
	Categories       []string   `json:"categories,omitempty"`
}

// Normalize puts t in the form the API answers.
func (t *Task) Normalize() {
	for _, p := range []**time.Time{&t.LastModifiedTime, &t.Completed} {
		if *p != nil {
			v := (*p).UTC().Truncate(time.Second)
			*p = &v
		}
	}
	if t.Due != nil {
		d := DueDate(*t.Due)
		t.Due = &d
	}
}

// DueDate is the due time as the API answers it: midnight UTC of the date.
func DueDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ListChange creates or renames a task list.
type ListChange struct {
	Title *string `json:"title,omitempty"`
}

// Change creates or patches a task: nil fields are left as they are.
type Change struct {
	Title      *string    `json:"title,omitempty"`
	Notes      *string    `json:"notes,omitempty"`
	Status     *string    `json:"status,omitempty"`
	Importance *string    `json:"importance,omitempty"`
	Due        *time.Time `json:"due,omitempty"`
	ParentID   *string    `json:"parentId,omitempty"`
}

// FieldError is a client error in a task field (400).
type FieldError struct{ Field, Problem string }

// Error implements error.
func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

func text(field, v string, limit int) error {
	if len(v) > limit {
		return &FieldError{field, "is too long"}
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return &FieldError{field, "is not valid text"}
	}
	return nil
}

// Validate checks a list change.
func (c *ListChange) Validate() error {
	if c.Title == nil || strings.TrimSpace(*c.Title) == "" {
		return &FieldError{"title", "is required"}
	}
	return text("title", *c.Title, 1024)
}

// Validate checks a task change; create requires a title.
func (c *Change) Validate(create bool) error {
	if create && (c.Title == nil || strings.TrimSpace(*c.Title) == "") {
		return &FieldError{"title", "is required"}
	}
	if c.Title != nil {
		if err := text("title", *c.Title, 1024); err != nil {
			return err
		}
	}
	if c.Notes != nil {
		if err := text("notes", *c.Notes, 8192); err != nil {
			return err
		}
	}
	if c.Status != nil {
		switch *c.Status {
		case StatusNotStarted, StatusInProgress, StatusCompleted, StatusWaitingOnOthers, StatusDeferred:
		default:
			return &FieldError{"status", "must be notStarted, inProgress, completed, waitingOnOthers or deferred"}
		}
	}
	if c.Importance != nil {
		switch *c.Importance {
		case ImportanceLow, ImportanceNormal, ImportanceHigh:
		default:
			return &FieldError{"importance", "must be low, normal or high"}
		}
	}
	if c.Due != nil && (c.Due.Year() < 1900 || c.Due.Year() > 2200) {
		return &FieldError{"due", "is out of range"}
	}
	if c.ParentID != nil && *c.ParentID != "" && !provider.ValidID(*c.ParentID) {
		return &FieldError{"parentId", "is not a valid id"}
	}
	return nil
}

// ListPage is one page of task lists.
type ListPage struct {
	Lists    []TaskList
	NextPage string
}

// Page is one page of tasks.
type Page struct {
	Tasks    []Task
	NextPage string
}

// DeletedTask is an entry of the deleted stream of a sync.
type DeletedTask struct {
	ID string `json:"id"`
}

// DeltaPage is one page of task changes.
type DeltaPage struct {
	Updated   []Task
	Deleted   []DeletedTask
	NextPage  string
	NextDelta string
}

// Account is the account a Provider call acts as.
type Account = provider.Account

// Provider is the tasks capability of a connector. The contract of
// calendar.Provider holds. listID is a provider list id or DefaultID.
// Implementations embed UnimplementedTasks.
type Provider interface {
	ListTaskLists(ctx context.Context, acct Account, page string) (ListPage, error)
	GetTaskList(ctx context.Context, acct Account, listID string) (TaskList, error)
	CreateTaskList(ctx context.Context, acct Account, c ListChange) (TaskList, error)
	UpdateTaskList(ctx context.Context, acct Account, listID string, c ListChange) (TaskList, error)
	DeleteTaskList(ctx context.Context, acct Account, listID string) error
	// ListTasks returns one page of the list's tasks, completed ones
	// included.
	ListTasks(ctx context.Context, acct Account, listID, page string, limit int) (Page, error)
	GetTask(ctx context.Context, acct Account, listID, taskID string) (Task, error)
	CreateTask(ctx context.Context, acct Account, listID string, c Change) (Task, error)
	// UpdateTask patches a task; a non-empty ifMatch must equal its etag.
	UpdateTask(ctx context.Context, acct Account, listID, taskID string, c Change, ifMatch string) (Task, error)
	DeleteTask(ctx context.Context, acct Account, listID, taskID, ifMatch string) error
	// TasksDeltaStart begins a delta sync of a list.
	TasksDeltaStart(ctx context.Context, acct Account, listID string) (string, error)
	// TasksDeltaChanges reads one page of changes; an expired cursor is
	// provider.ErrCursorExpired.
	TasksDeltaChanges(ctx context.Context, acct Account, cursor string, limit int) (DeltaPage, error)

	tasksProvider()
}

// UnimplementedTasks answers every Provider method with ErrUnsupported.
type UnimplementedTasks struct{}

func (UnimplementedTasks) tasksProvider() {}

// ListTaskLists implements Provider.
func (UnimplementedTasks) ListTaskLists(context.Context, Account, string) (ListPage, error) {
	return ListPage{}, provider.Unsupported("listing task lists")
}

// GetTaskList implements Provider.
func (UnimplementedTasks) GetTaskList(context.Context, Account, string) (TaskList, error) {
	return TaskList{}, provider.Unsupported("reading a task list")
}

// CreateTaskList implements Provider.
func (UnimplementedTasks) CreateTaskList(context.Context, Account, ListChange) (TaskList, error) {
	return TaskList{}, provider.Unsupported("creating a task list")
}

// UpdateTaskList implements Provider.
func (UnimplementedTasks) UpdateTaskList(context.Context, Account, string, ListChange) (TaskList, error) {
	return TaskList{}, provider.Unsupported("updating a task list")
}

// DeleteTaskList implements Provider.
func (UnimplementedTasks) DeleteTaskList(context.Context, Account, string) error {
	return provider.Unsupported("deleting a task list")
}

// ListTasks implements Provider.
func (UnimplementedTasks) ListTasks(context.Context, Account, string, string, int) (Page, error) {
	return Page{}, provider.Unsupported("listing tasks")
}

// GetTask implements Provider.
func (UnimplementedTasks) GetTask(context.Context, Account, string, string) (Task, error) {
	return Task{}, provider.Unsupported("reading a task")
}

// CreateTask implements Provider.
func (UnimplementedTasks) CreateTask(context.Context, Account, string, Change) (Task, error) {
	return Task{}, provider.Unsupported("creating a task")
}

// UpdateTask implements Provider.
func (UnimplementedTasks) UpdateTask(context.Context, Account, string, string, Change, string) (Task, error) {
	return Task{}, provider.Unsupported("updating a task")
}

// DeleteTask implements Provider.
func (UnimplementedTasks) DeleteTask(context.Context, Account, string, string, string) error {
	return provider.Unsupported("deleting a task")
}

// TasksDeltaStart implements Provider.
func (UnimplementedTasks) TasksDeltaStart(context.Context, Account, string) (string, error) {
	return "", provider.Unsupported("tasks sync")
}

// TasksDeltaChanges implements Provider.
func (UnimplementedTasks) TasksDeltaChanges(context.Context, Account, string, int) (DeltaPage, error) {
	return DeltaPage{}, provider.Unsupported("tasks sync")
}
