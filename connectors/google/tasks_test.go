package google_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

func (e *pimEnv) seedTaskList(t *testing.T, title string) googletest.TaskList {
	t.Helper()
	l, err := e.g.SeedTaskList(alice.Email, googletest.TaskList{Title: title})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (e *pimEnv) seedTask(t *testing.T, listID string, task googletest.Task) googletest.Task {
	t.Helper()
	out, err := e.g.SeedTask(alice.Email, listID, task)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTaskLists(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	work := e.seedTaskList(t, "Work")
	def := e.g.TaskLists(alice.Email)[0]
	at := e.clock.Now()

	page, err := e.c.ListTaskLists(ctx, e.acct, "")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "lists", page, tasks.ListPage{Lists: []tasks.TaskList{
		{ID: def.ID, ETag: def.ETag, Title: "My Tasks", Owner: true, DefaultList: true, LastModifiedTime: &at},
		{ID: work.ID, ETag: work.ETag, Title: "Work", Owner: true, LastModifiedTime: &at},
	}})
	for _, tc := range []struct {
		id          string
		wantID      string
		wantDefault bool
	}{
		{tasks.DefaultID, def.ID, true},
		{def.ID, def.ID, true},
		{work.ID, work.ID, false},
	} {
		l, err := e.c.GetTaskList(ctx, e.acct, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if l.ID != tc.wantID || l.DefaultList != tc.wantDefault || !l.Owner || l.Shared {
			t.Fatalf("GetTaskList(%q) = %+v", tc.id, l)
		}
	}
	_, err = e.c.GetTaskList(ctx, e.acct, "nope")
	wantKind(t, err, provider.ErrNotFound)

	made, err := e.c.CreateTaskList(ctx, e.acct, tasks.ListChange{Title: ptr("Groceries")})
	if err != nil {
		t.Fatal(err)
	}
	if made.Title != "Groceries" || made.DefaultList || made.ID == "" || made.ETag == "" {
		t.Fatalf("created %+v", made)
	}
	ren, err := e.c.UpdateTaskList(ctx, e.acct, made.ID, tasks.ListChange{Title: ptr("Shopping")})
	if err != nil {
		t.Fatal(err)
	}
	if ren.Title != "Shopping" || ren.ID != made.ID || ren.ETag == made.ETag || ren.DefaultList {
		t.Fatalf("renamed %+v", ren)
	}
	renDef, err := e.c.UpdateTaskList(ctx, e.acct, tasks.DefaultID, tasks.ListChange{Title: ptr("Inbox")})
	if err != nil {
		t.Fatal(err)
	}
	if renDef.ID != def.ID || !renDef.DefaultList || renDef.Title != "Inbox" {
		t.Fatalf("renamed default %+v", renDef)
	}
	if err := e.c.DeleteTaskList(ctx, e.acct, made.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.c.DeleteTaskList(ctx, e.acct, made.ID), provider.ErrNotFound)
	// Google keeps the default list.
	wantKind(t, e.c.DeleteTaskList(ctx, e.acct, tasks.DefaultID), provider.ErrInvalid)
	if n := len(e.g.TaskLists(alice.Email)); n != 2 {
		t.Fatalf("%d lists", n)
	}
	_, err = e.c.ListTaskLists(ctx, e.acct, "garbage!")
	wantKind(t, err, provider.ErrInvalid)
}

func TestTasks_mapping(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	done := now.Add(-48 * time.Hour)
	due := time.Date(2026, 5, 20, 15, 30, 0, 0, time.FixedZone("EDT", -4*3600))
	parent := e.seedTask(t, "@default", googletest.Task{Title: "Plan trip", Notes: "Summer", Due: due,
		Links: []googletest.TaskLink{{Type: "email", Description: "Re: trip", Link: "https://mail.google.com/mail/#all/1"}}})
	sub := e.seedTask(t, "@default", googletest.Task{Title: "Book flights", Parent: parent.ID, Status: "completed", Completed: done})
	hidden := e.seedTask(t, "@default", googletest.Task{Title: "Old chore", Status: "completed", Completed: done, Hidden: true})
	e.seedTask(t, "@default", googletest.Task{Title: "Deleted", Deleted: true})

	page, err := e.c.ListTasks(ctx, e.acct, tasks.DefaultID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	dueDay := time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)
	want := []tasks.Task{
		{ID: parent.ID, ETag: parent.ETag, Title: "Plan trip", LastModifiedTime: &now, Position: parent.Position, Notes: "Summer",
			Status: "notStarted", Importance: "normal", Due: &dueDay,
			Links: []tasks.Link{{Source: "email", Description: "Re: trip", Link: "https://mail.google.com/mail/#all/1"}}},
		{ID: sub.ID, ETag: sub.ETag, Title: "Book flights", LastModifiedTime: &now, ParentID: parent.ID, Position: sub.Position,
			Status: "completed", Importance: "normal", Completed: &done},
		{ID: hidden.ID, ETag: hidden.ETag, Title: "Old chore", LastModifiedTime: &now, Position: hidden.Position,
			Status: "completed", Importance: "normal", Completed: &done},
	}
	jsonEqual(t, "tasks", page.Tasks, want)
	got, err := e.c.GetTask(ctx, e.acct, tasks.DefaultID, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "task", got, want[1])
}

func TestListTasks_paging(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	l := e.seedTaskList(t, "Work")
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		want = append(want, e.seedTask(t, l.ID, googletest.Task{Title: n}).ID)
	}
	var got []string
	page, pages := "", 0
	for {
		r, err := e.c.ListTasks(ctx, e.acct, l.ID, page, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, x := range r.Tasks {
			got = append(got, x.ID)
		}
		if page = r.NextPage; page == "" {
			break
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("got %q in %d pages, want %q", got, pages, want)
	}
	_, err := e.c.ListTasks(ctx, e.acct, l.ID, base64.RawURLEncoding.EncodeToString([]byte(`{"p":""}`)), 2)
	wantKind(t, err, provider.ErrInvalid)
	_, err = e.c.ListTasks(ctx, e.acct, "nope", "", 2)
	wantKind(t, err, provider.ErrNotFound)
}

func TestTasks_crud(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	due := time.Date(2026, 6, 1, 23, 0, 0, 0, time.UTC)
	parent, err := e.c.CreateTask(ctx, e.acct, tasks.DefaultID, tasks.Change{Title: ptr("Release"), Notes: ptr("v2"), Due: &due})
	if err != nil {
		t.Fatal(err)
	}
	dueDay := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if parent.Status != tasks.StatusNotStarted || parent.Due == nil || !parent.Due.Equal(dueDay) || parent.Notes != "v2" ||
		parent.Importance != "normal" || parent.Completed != nil {
		t.Fatalf("created %+v", parent)
	}
	child, err := e.c.CreateTask(ctx, e.acct, tasks.DefaultID, tasks.Change{Title: ptr("Changelog"), ParentID: &parent.ID,
		Status: ptr(tasks.StatusCompleted), Importance: ptr(tasks.ImportanceHigh)})
	if err != nil {
		t.Fatal(err)
	}
	if child.ParentID != parent.ID || child.Status != tasks.StatusCompleted || child.Completed == nil || child.Importance != "normal" {
		t.Fatalf("created child %+v", child)
	}

	// Completing sets the completion time; notStarted clears it, and the
	// other statuses, which Google lacks, are needsAction too.
	e.clock.Advance(time.Hour)
	upd, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, parent.ID, tasks.Change{Status: ptr(tasks.StatusCompleted)}, parent.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Status != tasks.StatusCompleted || upd.Completed == nil || !upd.Completed.Equal(e.clock.Now()) || upd.Title != "Release" {
		t.Fatalf("completed %+v", upd)
	}
	for _, st := range []string{tasks.StatusNotStarted, tasks.StatusInProgress} {
		upd, err = e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, parent.ID, tasks.Change{Status: ptr(tasks.StatusCompleted)}, "")
		if err != nil {
			t.Fatal(err)
		}
		upd, err = e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, parent.ID, tasks.Change{Status: &st}, "")
		if err != nil {
			t.Fatal(err)
		}
		if upd.Status != tasks.StatusNotStarted || upd.Completed != nil {
			t.Fatalf("status %s: %+v", st, upd)
		}
	}

	// A stale etag.
	_, err = e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, parent.ID, tasks.Change{Title: ptr("x")}, parent.ETag)
	wantKind(t, err, provider.ErrPrecondition)
	wantKind(t, e.c.DeleteTask(ctx, e.acct, tasks.DefaultID, parent.ID, parent.ETag), provider.ErrPrecondition)
	// An empty change still checks it, and answers the task.
	_, err = e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, parent.ID, tasks.Change{}, parent.ETag)
	wantKind(t, err, provider.ErrPrecondition)
	same, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, parent.ID, tasks.Change{}, upd.ETag)
	if err != nil || same.ETag != upd.ETag {
		t.Fatalf("%+v %v", same, err)
	}

	// parentId moves the task; an unchanged parentId does not.
	moved, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, child.ID, tasks.Change{ParentID: ptr(""), Title: ptr("Changelog!")}, child.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if moved.ParentID != "" || moved.Title != "Changelog!" {
		t.Fatalf("moved %+v", moved)
	}
	back, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, child.ID, tasks.Change{ParentID: &parent.ID}, moved.ETag)
	if err != nil || back.ParentID != parent.ID {
		t.Fatalf("moved back %+v %v", back, err)
	}
	stay, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, child.ID, tasks.Change{ParentID: &parent.ID}, back.ETag)
	if err != nil || stay.ETag != back.ETag {
		t.Fatalf("unchanged parent %+v %v", stay, err)
	}

	// Deleting the parent deletes the subtask too.
	if err := e.c.DeleteTask(ctx, e.acct, tasks.DefaultID, parent.ID, same.ETag); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{parent.ID, child.ID} {
		_, err = e.c.GetTask(ctx, e.acct, tasks.DefaultID, id)
		wantKind(t, err, provider.ErrNotFound)
		_, err = e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, id, tasks.Change{Title: ptr("x")}, "x")
		wantKind(t, err, provider.ErrNotFound)
	}
	page, err := e.c.ListTasks(ctx, e.acct, tasks.DefaultID, "", 0)
	if err != nil || len(page.Tasks) != 0 {
		t.Fatalf("%+v %v", page, err)
	}
	_, err = e.c.CreateTask(ctx, e.acct, "nope", tasks.Change{Title: ptr("x")})
	wantKind(t, err, provider.ErrNotFound)
	_, err = e.c.CreateTask(ctx, e.acct, tasks.DefaultID, tasks.Change{Title: ptr("x"), ParentID: ptr("nope")})
	wantKind(t, err, provider.ErrInvalid)
}

func TestTasks_escapedIDs(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	l := e.seedTaskList(t, "Work")
	task := e.seedTask(t, l.ID, googletest.Task{Title: "keep"})
	// Ids are path segments: none reaches another resource.
	for _, id := range []string{"../../users/@me/lists", "a/b", "x?showDeleted=true", "%2e%2e", "@default/tasks", "a#b", ".", "..", ""} {
		_, err := e.c.GetTask(ctx, e.acct, l.ID, id)
		wantKind(t, err, provider.ErrNotFound)
		wantKind(t, e.c.DeleteTask(ctx, e.acct, l.ID, id, ""), provider.ErrNotFound)
		_, err = e.c.GetTaskList(ctx, e.acct, id)
		wantKind(t, err, provider.ErrNotFound)
		wantKind(t, e.c.DeleteTaskList(ctx, e.acct, id), provider.ErrNotFound)
		_, err = e.c.ListTasks(ctx, e.acct, id, "", 10)
		wantKind(t, err, provider.ErrNotFound)
	}
	if got := e.g.Tasks(alice.Email, l.ID); len(got) != 1 || got[0].ID != task.ID || got[0].Deleted {
		t.Fatalf("tasks %+v", got)
	}
	if n := len(e.g.TaskLists(alice.Email)); n != 2 {
		t.Fatalf("%d lists", n)
	}
}

// drainTasks reads a tasks sync round to its end.
func drainTasks(t *testing.T, e *pimEnv, cursor string, limit int) (updated, deleted []string, next string, pages int) {
	t.Helper()
	for {
		p, err := e.c.TasksDeltaChanges(context.Background(), e.acct, cursor, limit)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, x := range p.Updated {
			updated = append(updated, x.Title)
		}
		for _, d := range p.Deleted {
			deleted = append(deleted, d.ID)
		}
		if p.NextPage == "" {
			if p.NextDelta == "" {
				t.Fatal("a round ended without NextDelta")
			}
			return updated, deleted, p.NextDelta, pages
		}
		cursor = p.NextPage
	}
}

func TestTasksDelta(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	a := e.seedTask(t, "@default", googletest.Task{Title: "a"})
	b := e.seedTask(t, "@default", googletest.Task{Title: "b", Status: "completed"})
	e.seedTask(t, "@default", googletest.Task{Title: "c", Hidden: true, Status: "completed"})
	e.seedTask(t, "@default", googletest.Task{Title: "gone", Deleted: true})
	other := e.seedTaskList(t, "Other")
	e.seedTask(t, other.ID, googletest.Task{Title: "elsewhere"})

	start, err := e.c.TasksDeltaStart(ctx, e.acct, tasks.DefaultID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.TasksDeltaStart(ctx, e.acct, "nope")
	wantKind(t, err, provider.ErrNotFound)

	// The first round: every live task of the list, page by page.
	e.clock.Advance(10 * time.Minute)
	updated, deleted, next, pages := drainTasks(t, e, start, 2)
	if !slices.Equal(updated, []string{"a", "b", "c"}) || deleted != nil || pages != 2 {
		t.Fatalf("first round: %q %q in %d pages", updated, deleted, pages)
	}
	// Nothing changed since.
	e.clock.Advance(10 * time.Minute)
	updated, deleted, next, _ = drainTasks(t, e, next, 2)
	if updated != nil || deleted != nil {
		t.Fatalf("quiet round: %q %q", updated, deleted)
	}

	// Changes: an update, a delete, a new task.
	e.clock.Advance(10 * time.Minute)
	if _, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, a.ID, tasks.Change{Title: ptr("a2")}, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteTask(ctx, e.acct, tasks.DefaultID, b.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreateTask(ctx, e.acct, tasks.DefaultID, tasks.Change{Title: ptr("d")}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	updated, deleted, next, _ = drainTasks(t, e, next, 100)
	slices.Sort(updated)
	if !slices.Equal(updated, []string{"a2", "d"}) || !slices.Equal(deleted, []string{b.ID}) {
		t.Fatalf("changes: %q %q", updated, deleted)
	}

	// A change racing the round's start (within the margin before it) is
	// seen by that round and again by the next: never lost.
	e.clock.Advance(10 * time.Minute)
	if _, err := e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, a.ID, tasks.Change{Title: ptr("a3")}, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	updated, _, next, _ = drainTasks(t, e, next, 100)
	if !slices.Equal(updated, []string{"a3"}) {
		t.Fatalf("racing round: %q", updated)
	}
	e.clock.Advance(10 * time.Minute)
	updated, _, next, _ = drainTasks(t, e, next, 100)
	if !slices.Equal(updated, []string{"a3"}) {
		t.Fatalf("round after the race: %q", updated)
	}
	e.clock.Advance(10 * time.Minute)
	if updated, deleted, _, _ := drainTasks(t, e, next, 100); updated != nil || deleted != nil {
		t.Fatalf("quiet again: %q %q", updated, deleted)
	}

	// A cursor idle for more than seven days expires.
	e.clock.Advance(8 * 24 * time.Hour)
	_, err = e.c.TasksDeltaChanges(ctx, e.acct, next, 100)
	wantKind(t, err, provider.ErrCursorExpired)

	// Hostile cursors.
	b64 := func(v any) string {
		j, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(j)
	}
	for _, bad := range []string{"", "!!", b64("x"), b64(map[string]any{}), b64(map[string]any{"l": "../x"}),
		b64(map[string]any{"l": "L", "p": "tok"}), b64(map[string]any{"l": "L", "t": "2026-01-01T00:00:00Z"})} {
		_, err := e.c.TasksDeltaChanges(ctx, e.acct, bad, 10)
		wantKind(t, err, provider.ErrInvalid)
	}
}

func TestTasks_errors(t *testing.T) {
	t.Parallel()
	s, c, acct := newStubGoogle(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   error
	}{
		{"404", 404, nil, googleError(404, "NOT_FOUND", "notFound", "Not Found"), provider.ErrNotFound},
		{"400", 400, nil, googleError(400, "INVALID_ARGUMENT", "invalid", "Invalid Value"), provider.ErrInvalid},
		{"429", 429, http.Header{"Retry-After": {"3"}}, googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "Quota"), provider.ErrRateLimited},
		{"503", 503, nil, googleError(503, "UNAVAILABLE", "backendError", "Backend Error"), provider.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.answer(tc.status, tc.header, tc.body)
			_, err := c.GetTask(ctx, acct, tasks.DefaultID, "t1")
			wantKind(t, err, tc.want)
		})
	}
	t.Run("request shapes", func(t *testing.T) {
		s.answer(200, nil, `{"id":"t1","etag":"\"e\"","title":"x","status":"needsAction"}`)
		due := time.Date(2026, 7, 4, 18, 0, 0, 0, time.FixedZone("", -7*3600))
		if _, err := c.UpdateTask(ctx, acct, tasks.DefaultID, "t1", tasks.Change{Status: ptr(tasks.StatusNotStarted), Due: &due,
			Importance: ptr(tasks.ImportanceHigh)}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListTasks(ctx, acct, "L1", "", 1000); err != nil {
			t.Fatal(err)
		}
		reqs := s.requests()
		patch, list := reqs[len(reqs)-2], reqs[len(reqs)-1]
		if patch.Method != http.MethodPatch || patch.URL.Path != "/tasks/v1/lists/@default/tasks/t1" {
			t.Fatalf("%s %v", patch.Method, patch.URL)
		}
		// The due date is the date as written; no importance (Google has
		// none); notStarted clears the completion time.
		jsonEqual(t, "patch body", json.RawMessage(patch.Body),
			json.RawMessage(`{"completed":null,"due":"2026-07-04T00:00:00.000Z","status":"needsAction"}`))
		q := list.URL.Query()
		if list.URL.Path != "/tasks/v1/lists/L1/tasks" || q.Get("maxResults") != "100" || q.Get("showCompleted") != "true" ||
			q.Get("showHidden") != "true" || q.Has("showDeleted") {
			t.Fatalf("list %v", list.URL)
		}
	})
	t.Run("sync request", func(t *testing.T) {
		s.answer(200, nil, `{"id":"L1","etag":"\"e\"","title":"x"}`)
		cur, err := c.TasksDeltaStart(ctx, acct, "L1")
		if err != nil {
			t.Fatal(err)
		}
		s.answer(200, nil, `{"items":[]}`)
		p, err := c.TasksDeltaChanges(ctx, acct, cur, 0)
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		if _, err := c.TasksDeltaChanges(ctx, acct, p.NextDelta, 0); err != nil {
			t.Fatal(err)
		}
		reqs := s.requests()
		first, second := reqs[len(reqs)-2].URL.Query(), reqs[len(reqs)-1].URL.Query()
		if first.Has("updatedMin") || first.Has("showDeleted") {
			t.Fatalf("first round %v", first)
		}
		min, err := time.Parse(time.RFC3339, second.Get("updatedMin"))
		if err != nil || second.Get("showDeleted") != "true" || second.Get("showHidden") != "true" || min.After(before.Add(-time.Minute)) {
			t.Fatalf("second round %v (%v)", second, err)
		}
	})
}
