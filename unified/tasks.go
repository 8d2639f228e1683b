package unified

import (
	"context"
	"net/http"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// Tasks is the unified Tasks API as Go methods; the HTTP handlers call
// them. Get it from Handler.Tasks. It checks ids, tokens and changes like
// Calendar; "default" is the account's default task list.
type Tasks struct {
	h *Handler
}

// Tasks returns the Go API of the unified tasks endpoints.
func (h *Handler) Tasks() *Tasks { return &Tasks{h: h} }

// TaskListsPage is a page of task lists.
type TaskListsPage struct {
	NextPageToken string           `json:"nextPageToken,omitempty"`
	Length        int              `json:"length"`
	Records       []tasks.TaskList `json:"records"`
}

// TasksPage is a page of tasks.
type TasksPage struct {
	NextPageToken string       `json:"nextPageToken,omitempty"`
	Length        int          `json:"length"`
	Records       []tasks.Task `json:"records"`
}

func (t *Tasks) provider(ctx context.Context, ref AccountRef) (tasks.Provider, tasks.Account, error) {
	return capability[tasks.Provider](ctx, t.h, ref, "tasks")
}

func normalizedTasks(ts []tasks.Task) []tasks.Task {
	if ts == nil {
		return []tasks.Task{}
	}
	for i := range ts {
		ts[i].Normalize()
	}
	return ts
}

func normalizeList(l *tasks.TaskList) {
	if l.LastModifiedTime != nil {
		v := l.LastModifiedTime.UTC().Truncate(1e9)
		l.LastModifiedTime = &v
	}
}

// ListTaskLists returns a page of the account's task lists.
func (t *Tasks) ListTaskLists(ctx context.Context, ref AccountRef, pageToken string) (TaskListsPage, error) {
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return TaskListsPage{}, err
	}
	cursor := ""
	if pageToken != "" {
		c, err := t.h.openPage(pageToken, tokenTaskListPage, acct.ID, "")
		if err != nil {
			return TaskListsPage{}, err
		}
		cursor = c.Cursor
	}
	page, err := p.ListTaskLists(ctx, acct, cursor)
	if err != nil {
		return TaskListsPage{}, providerError(err)
	}
	out := TaskListsPage{Records: page.Lists, Length: len(page.Lists)}
	if out.Records == nil {
		out.Records = []tasks.TaskList{}
	}
	for i := range out.Records {
		normalizeList(&out.Records[i])
	}
	out.NextPageToken, err = t.h.pageToken(tokenTaskListPage, acct.ID, "", page.NextPage, 0)
	return out, err
}

// GetTaskList returns one list.
func (t *Tasks) GetTaskList(ctx context.Context, ref AccountRef, listID string) (tasks.TaskList, error) {
	if err := checkItemID("task list", listID); err != nil {
		return tasks.TaskList{}, err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return tasks.TaskList{}, err
	}
	l, err := p.GetTaskList(ctx, acct, listID)
	normalizeList(&l)
	return l, providerError(err)
}

// CreateTaskList creates a list.
func (t *Tasks) CreateTaskList(ctx context.Context, ref AccountRef, ch tasks.ListChange) (tasks.TaskList, error) {
	if err := ch.Validate(); err != nil {
		return tasks.TaskList{}, providerError(err)
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return tasks.TaskList{}, err
	}
	l, err := p.CreateTaskList(ctx, acct, ch)
	normalizeList(&l)
	return l, providerError(err)
}

// UpdateTaskList renames a list.
func (t *Tasks) UpdateTaskList(ctx context.Context, ref AccountRef, listID string, ch tasks.ListChange) (tasks.TaskList, error) {
	if err := checkItemID("task list", listID); err != nil {
		return tasks.TaskList{}, err
	}
	if err := ch.Validate(); err != nil {
		return tasks.TaskList{}, providerError(err)
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return tasks.TaskList{}, err
	}
	l, err := p.UpdateTaskList(ctx, acct, listID, ch)
	normalizeList(&l)
	return l, providerError(err)
}

// DeleteTaskList deletes a list with its tasks.
func (t *Tasks) DeleteTaskList(ctx context.Context, ref AccountRef, listID string) error {
	if err := checkItemID("task list", listID); err != nil {
		return err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return err
	}
	return providerError(p.DeleteTaskList(ctx, acct, listID))
}

// ListTasks returns a page of a list's tasks.
func (t *Tasks) ListTasks(ctx context.Context, ref AccountRef, listID, pageToken string, limit int) (TasksPage, error) {
	if err := checkItemID("task list", listID); err != nil {
		return TasksPage{}, err
	}
	if limit < 0 {
		return TasksPage{}, apierr.New(apierr.InvalidInput, "limit must be positive")
	}
	limit = min(limit, tasks.MaxLimit)
	if limit == 0 {
		limit = tasks.DefaultLimit
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return TasksPage{}, err
	}
	cursor := ""
	if pageToken != "" {
		c, err := t.h.openPage(pageToken, tokenTaskPage, acct.ID, listID)
		if err != nil {
			return TasksPage{}, err
		}
		cursor, limit = c.Cursor, c.Limit
	}
	page, err := p.ListTasks(ctx, acct, listID, cursor, limit)
	if err != nil {
		return TasksPage{}, providerError(err)
	}
	out := TasksPage{Records: normalizedTasks(page.Tasks), Length: len(page.Tasks)}
	out.NextPageToken, err = t.h.pageToken(tokenTaskPage, acct.ID, listID, page.NextPage, limit)
	return out, err
}

// GetTask returns one task.
func (t *Tasks) GetTask(ctx context.Context, ref AccountRef, listID, taskID string) (tasks.Task, error) {
	if err := checkItemID("task list", listID); err != nil {
		return tasks.Task{}, err
	}
	if err := checkItemID("task", taskID); err != nil {
		return tasks.Task{}, err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return tasks.Task{}, err
	}
	task, err := p.GetTask(ctx, acct, listID, taskID)
	task.Normalize()
	return task, providerError(err)
}

// CreateTask creates a task in a list.
func (t *Tasks) CreateTask(ctx context.Context, ref AccountRef, listID string, ch tasks.Change) (tasks.Task, error) {
	if err := checkItemID("task list", listID); err != nil {
		return tasks.Task{}, err
	}
	if err := ch.Validate(true); err != nil {
		return tasks.Task{}, providerError(err)
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return tasks.Task{}, err
	}
	task, err := p.CreateTask(ctx, acct, listID, ch)
	task.Normalize()
	return task, providerError(err)
}

// UpdateTask patches a task; a stale ifMatch is 412.
func (t *Tasks) UpdateTask(ctx context.Context, ref AccountRef, listID, taskID string, ch tasks.Change, ifMatch string) (tasks.Task, error) {
	if err := checkItemID("task list", listID); err != nil {
		return tasks.Task{}, err
	}
	if err := checkItemID("task", taskID); err != nil {
		return tasks.Task{}, err
	}
	if err := ch.Validate(false); err != nil {
		return tasks.Task{}, providerError(err)
	}
	if err := checkETag(ifMatch); err != nil {
		return tasks.Task{}, err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return tasks.Task{}, err
	}
	task, err := p.UpdateTask(ctx, acct, listID, taskID, ch, ifMatch)
	task.Normalize()
	return task, providerError(err)
}

// DeleteTask deletes a task.
func (t *Tasks) DeleteTask(ctx context.Context, ref AccountRef, listID, taskID, ifMatch string) error {
	if err := checkItemID("task list", listID); err != nil {
		return err
	}
	if err := checkItemID("task", taskID); err != nil {
		return err
	}
	if err := checkETag(ifMatch); err != nil {
		return err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return err
	}
	return providerError(p.DeleteTask(ctx, acct, listID, taskID, ifMatch))
}

// StartSync begins a delta sync of a list.
func (t *Tasks) StartSync(ctx context.Context, ref AccountRef, listID string) (SyncStatus, error) {
	if err := checkItemID("task list", listID); err != nil {
		return SyncStatus{}, err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return SyncStatus{}, err
	}
	cursor, err := p.TasksDeltaStart(ctx, acct, listID)
	if err != nil {
		return SyncStatus{}, providerError(err)
	}
	return startStreams(t.h, acct.ID, tokenTasksUpdated, tokenTasksDeleted, listID, cursor)
}

func (t *Tasks) read(ctx context.Context, p tasks.Provider, acct tasks.Account) func(string) (deltaRound[tasks.Task, tasks.DeletedTask], error) {
	return func(cursor string) (deltaRound[tasks.Task, tasks.DeletedTask], error) {
		page, err := p.TasksDeltaChanges(ctx, acct, cursor, tasks.MaxLimit)
		return deltaRound[tasks.Task, tasks.DeletedTask]{updated: page.Updated, deleted: page.Deleted, nextPage: page.NextPage, nextDelta: page.NextDelta}, err
	}
}

// SyncUpdated returns a page of tasks created or changed since the
// deltaToken (or continues with a pageToken).
func (t *Tasks) SyncUpdated(ctx context.Context, ref AccountRef, listID, deltaToken, pageToken string) (SyncPage[tasks.Task], error) {
	if err := checkItemID("task list", listID); err != nil {
		return SyncPage[tasks.Task]{}, err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return SyncPage[tasks.Task]{}, err
	}
	return readStream(ctx, t.h, acct.ID, tokenTasksUpdated, listID, deltaToken, pageToken, t.read(ctx, p, acct),
		func(r deltaRound[tasks.Task, tasks.DeletedTask]) []tasks.Task { return normalizedTasks(r.updated) })
}

// SyncDeleted returns a page of the ids of tasks deleted since the
// deltaToken.
func (t *Tasks) SyncDeleted(ctx context.Context, ref AccountRef, listID, deltaToken, pageToken string) (SyncPage[tasks.DeletedTask], error) {
	if err := checkItemID("task list", listID); err != nil {
		return SyncPage[tasks.DeletedTask]{}, err
	}
	p, acct, err := t.provider(ctx, ref)
	if err != nil {
		return SyncPage[tasks.DeletedTask]{}, err
	}
	return readStream(ctx, t.h, acct.ID, tokenTasksDeleted, listID, deltaToken, pageToken, t.read(ctx, p, acct),
		func(r deltaRound[tasks.Task, tasks.DeletedTask]) []tasks.DeletedTask { return r.deleted })
}

func (h *Handler) registerTasks(mux *http.ServeMux, prefix string) {
	p := prefix + "/tasklists"
	mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (TaskListsPage, error) {
			return h.Tasks().ListTaskLists(r.Context(), ref, r.URL.Query().Get("pageToken"))
		})
	})
	mux.HandleFunc("POST "+p, func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusCreated, func(ref AccountRef) (tasks.TaskList, error) {
			ch, err := body[tasks.ListChange](h, w, r, maxStatusBody)
			if err != nil {
				return tasks.TaskList{}, err
			}
			return h.Tasks().CreateTaskList(r.Context(), ref, ch)
		})
	})
	mux.HandleFunc("GET "+p+"/{taskListId}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (tasks.TaskList, error) {
			return h.Tasks().GetTaskList(r.Context(), ref, r.PathValue("taskListId"))
		})
	})
	mux.HandleFunc("PATCH "+p+"/{taskListId}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (tasks.TaskList, error) {
			ch, err := body[tasks.ListChange](h, w, r, maxStatusBody)
			if err != nil {
				return tasks.TaskList{}, err
			}
			return h.Tasks().UpdateTaskList(r.Context(), ref, r.PathValue("taskListId"), ch)
		})
	})
	mux.HandleFunc("DELETE "+p+"/{taskListId}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
			return okResponse{Status: "Ok"}, h.Tasks().DeleteTaskList(r.Context(), ref, r.PathValue("taskListId"))
		})
	})
	mux.HandleFunc("GET "+p+"/{taskListId}/tasks", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (TasksPage, error) {
			limit, err := queryInt(r, "limit")
			if err != nil {
				return TasksPage{}, err
			}
			return h.Tasks().ListTasks(r.Context(), ref, r.PathValue("taskListId"), r.URL.Query().Get("pageToken"), limit)
		})
	})
	mux.HandleFunc("POST "+p+"/{taskListId}/tasks", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusCreated, func(ref AccountRef) (tasks.Task, error) {
			ch, err := body[tasks.Change](h, w, r, maxStatusBody)
			if err != nil {
				return tasks.Task{}, err
			}
			return h.Tasks().CreateTask(r.Context(), ref, r.PathValue("taskListId"), ch)
		})
	})
	mux.HandleFunc("GET "+p+"/{taskListId}/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (tasks.Task, error) {
			return h.Tasks().GetTask(r.Context(), ref, r.PathValue("taskListId"), r.PathValue("id"))
		})
	})
	mux.HandleFunc("PATCH "+p+"/{taskListId}/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (tasks.Task, error) {
			ch, err := body[tasks.Change](h, w, r, maxStatusBody)
			if err != nil {
				return tasks.Task{}, err
			}
			return h.Tasks().UpdateTask(r.Context(), ref, r.PathValue("taskListId"), r.PathValue("id"), ch, r.Header.Get("If-Match"))
		})
	})
	mux.HandleFunc("DELETE "+p+"/{taskListId}/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
			return okResponse{Status: "Ok"}, h.Tasks().DeleteTask(r.Context(), ref, r.PathValue("taskListId"), r.PathValue("id"), r.Header.Get("If-Match"))
		})
	})
	mux.HandleFunc("POST "+p+"/{taskListId}/sync", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncStatus, error) {
			return h.Tasks().StartSync(r.Context(), ref, r.PathValue("taskListId"))
		})
	})
	mux.HandleFunc("GET "+p+"/{taskListId}/sync/updated", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncPage[tasks.Task], error) {
			q := r.URL.Query()
			return h.Tasks().SyncUpdated(r.Context(), ref, r.PathValue("taskListId"), q.Get("deltaToken"), q.Get("pageToken"))
		})
	})
	mux.HandleFunc("GET "+p+"/{taskListId}/sync/deleted", func(w http.ResponseWriter, r *http.Request) {
		serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncPage[tasks.DeletedTask], error) {
			q := r.URL.Query()
			return h.Tasks().SyncDeleted(r.Context(), ref, r.PathValue("taskListId"), q.Get("deltaToken"), q.Get("pageToken"))
		})
	})
}
