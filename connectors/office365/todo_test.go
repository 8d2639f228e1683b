package office365_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

func (e pimEnv) seedList(t *testing.T, l graphtest.TodoList) graphtest.TodoList {
	t.Helper()
	stored, err := e.fake.SeedTodoList(e.oid, l)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func (e pimEnv) seedTask(t *testing.T, listID string, task graphtest.TodoTask) graphtest.TodoTask {
	t.Helper()
	stored, err := e.fake.SeedTodoTask(e.oid, listID, task)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestTaskLists(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	defID := e.fake.DefaultTodoListID(e.oid)
	shared := e.seedList(t, graphtest.TodoList{DisplayName: "Shared with me", IsShared: true, NotOwner: true})
	flagged := e.seedList(t, graphtest.TodoList{DisplayName: "Flagged email", WellknownListName: "flaggedEmails"})

	page, err := e.c.ListTaskLists(ctx, e.acct, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range page.Lists {
		page.Lists[i].ETag = ""
	}
	want := []tasks.TaskList{
		{ID: defID, Title: "Tasks", Owner: true, DefaultList: true},
		{ID: shared.ID, Title: "Shared with me", Shared: true},
		{ID: flagged.ID, Title: "Flagged email", Owner: true},
	}
	if !reflect.DeepEqual(page.Lists, want) || page.NextPage != "" {
		t.Fatalf("lists = %s, want %s", asJSON(page), asJSON(want))
	}
	def, err := e.c.GetTaskList(ctx, e.acct, tasks.DefaultID)
	if err != nil || def.ID != defID || !def.DefaultList || def.ETag == "" {
		t.Fatalf("default list = %+v, %v", def, err)
	}

	created, err := e.c.CreateTaskList(ctx, e.acct, tasks.ListChange{Title: ptr("Groceries")})
	if err != nil || created.Title != "Groceries" || !created.Owner || created.DefaultList {
		t.Fatalf("created = %+v, %v", created, err)
	}
	renamed, err := e.c.UpdateTaskList(ctx, e.acct, created.ID, tasks.ListChange{Title: ptr("Food")})
	if err != nil || renamed.Title != "Food" || renamed.ID != created.ID {
		t.Fatalf("renamed = %+v, %v", renamed, err)
	}
	if l := e.fake.TodoLists(e.oid); l[len(l)-1].DisplayName != "Food" {
		t.Errorf("stored lists = %+v", l)
	}
	// Renaming the default list to its own name changes nothing.
	if same, err := e.c.UpdateTaskList(ctx, e.acct, tasks.DefaultID, tasks.ListChange{Title: ptr("Tasks")}); err != nil || same.ID != defID {
		t.Errorf("no-op rename = %+v, %v", same, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		kind error
	}{
		{"rename the default alias", func() error {
			_, err := e.c.UpdateTaskList(ctx, e.acct, tasks.DefaultID, tasks.ListChange{Title: ptr("Mine")})
			return err
		}, provider.ErrConflict},
		{"rename flagged email", func() error {
			_, err := e.c.UpdateTaskList(ctx, e.acct, flagged.ID, tasks.ListChange{Title: ptr("Mine")})
			return err
		}, provider.ErrConflict},
		{"delete the default alias", func() error { return e.c.DeleteTaskList(ctx, e.acct, tasks.DefaultID) }, provider.ErrConflict},
		{"delete the default list by id", func() error { return e.c.DeleteTaskList(ctx, e.acct, defID) }, provider.ErrConflict},
		{"delete flagged email", func() error { return e.c.DeleteTaskList(ctx, e.acct, flagged.ID) }, provider.ErrConflict},
		{"create without a title", func() error {
			_, err := e.c.CreateTaskList(ctx, e.acct, tasks.ListChange{})
			return err
		}, provider.ErrInvalid},
		{"rename an unknown list", func() error {
			_, err := e.c.UpdateTaskList(ctx, e.acct, "AAMkADIyAAAhrbPWnope", tasks.ListChange{Title: ptr("x")})
			return err
		}, provider.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) { wantKind(t, tc.call(), tc.kind) })
	}
	if n := len(e.fake.TodoLists(e.oid)); n != 4 {
		t.Errorf("%d lists after the refusals, want 4", n)
	}
	if err := e.c.DeleteTaskList(ctx, e.acct, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetTaskList(ctx, e.acct, created.ID)
	wantKind(t, err, provider.ErrNotFound)

	// Pages follow Graph's nextLink (the fake's default page is 10).
	for i := range 9 {
		e.seedList(t, graphtest.TodoList{DisplayName: "List " + string(rune('A'+i))})
	}
	var all []string
	cursor, pages := "", 0
	for {
		p, err := e.c.ListTaskLists(ctx, e.acct, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, l := range p.Lists {
			all = append(all, l.ID)
		}
		if cursor = p.NextPage; cursor == "" {
			break
		}
	}
	if pages != 2 || len(all) != 12 || all[0] != defID {
		t.Errorf("%d pages, %d lists", pages, len(all))
	}
	// The default list is found past the first page too.
	if def, err := e.c.GetTaskList(ctx, e.acct, tasks.DefaultID); err != nil || def.ID != defID {
		t.Errorf("default = %+v, %v", def, err)
	}
}

// bareTask drops what the provider assigns.
func bareTask(task tasks.Task) tasks.Task {
	task.ID, task.ETag, task.LastModifiedTime = "", "", nil
	return task
}

func TestTasks_readMapping(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	listID := e.seedList(t, graphtest.TodoList{DisplayName: "Work"}).ID
	day := func(y int, m time.Month, d int) *time.Time { v := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); return &v }
	for _, tc := range []struct {
		name string
		seed graphtest.TodoTask
		want tasks.Task
	}{
		{
			name: "title only: defaults",
			seed: graphtest.TodoTask{Title: "Call Bob"},
			want: tasks.Task{Title: "Call Bob", Status: "notStarted", Importance: "normal"},
		},
		{
			name: "HTML body, categories, links, due in Berlin",
			seed: graphtest.TodoTask{Title: "Review", Body: "<div><p>Read the <b>draft</b> &amp; comment</p><p>Then send</p></div>", BodyIsHTML: true,
				Importance: "high", Status: "inProgress", Categories: []string{"Blue", "Red"},
				DueDateTime:     time.Date(2026, 5, 1, 15, 0, 0, 0, mustZone(t, "Europe/Berlin")),
				LinkedResources: []graphtest.TodoLinkedResource{{WebURL: "https://mail.example/1", ApplicationName: "Outlook", DisplayName: "Mail from Ann"}}},
			want: tasks.Task{Title: "Review", Notes: "Read the draft & comment\nThen send", Status: "inProgress", Importance: "high",
				Due: day(2026, 5, 1), Categories: []string{"Blue", "Red"},
				Links: []tasks.Link{{Source: "Outlook", Description: "Mail from Ann", Link: "https://mail.example/1"}}},
		},
		{
			name: "text body kept as is, due in New York",
			seed: graphtest.TodoTask{Title: "Plan", Body: "  line 1\n\nline 3 ", Importance: "low",
				DueDateTime: time.Date(2026, 11, 1, 23, 30, 0, 0, mustZone(t, "America/New_York"))},
			want: tasks.Task{Title: "Plan", Notes: "  line 1\n\nline 3 ", Status: "notStarted", Importance: "low", Due: day(2026, 11, 1)},
		},
		{
			name: "due in Auckland",
			seed: graphtest.TodoTask{Title: "Kiwi", DueDateTime: time.Date(2026, 7, 4, 0, 0, 0, 0, mustZone(t, "Pacific/Auckland"))},
			want: tasks.Task{Title: "Kiwi", Status: "notStarted", Importance: "normal", Due: day(2026, 7, 4)},
		},
		{
			name: "completed",
			seed: graphtest.TodoTask{Title: "Done", Status: "completed", CompletedDateTime: time.Date(2026, 4, 20, 17, 0, 0, 0, time.UTC)},
			want: tasks.Task{Title: "Done", Status: "completed", Importance: "normal", Completed: day(2026, 4, 20)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored := e.seedTask(t, listID, tc.seed)
			got, err := e.c.GetTask(context.Background(), e.acct, listID, stored.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != stored.ID || got.ETag != `W/"`+stored.ChangeKey+`"` || got.LastModifiedTime == nil {
				t.Errorf("id, etag, modified = %q, %q, %v", got.ID, got.ETag, got.LastModifiedTime)
			}
			if b := bareTask(got); !reflect.DeepEqual(b, tc.want) {
				t.Errorf("task =\n%s\nwant\n%s", asJSON(b), asJSON(tc.want))
			}
		})
	}
}

func TestTasks_createUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	defID := e.fake.DefaultTodoListID(e.oid)
	due := time.Date(2026, 6, 15, 18, 30, 0, 0, mustZone(t, "America/New_York"))
	created, err := e.c.CreateTask(ctx, e.acct, tasks.DefaultID, tasks.Change{Title: ptr("File taxes"), Notes: ptr("Forms <A> & B"),
		Importance: ptr("high"), Due: &due, ParentID: ptr("")})
	if err != nil {
		t.Fatal(err)
	}
	want := tasks.Task{Title: "File taxes", Notes: "Forms <A> & B", Status: "notStarted", Importance: "high",
		Due: ptr(time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))}
	if !reflect.DeepEqual(bareTask(created), want) {
		t.Errorf("created = %s", asJSON(created))
	}
	stored := e.fake.TodoTasks(e.oid, defID)
	if len(stored) != 1 || stored[0].ID != created.ID || stored[0].Body != "Forms <A> & B" || stored[0].BodyIsHTML ||
		!stored[0].DueDateTime.Equal(time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored = %+v", stored)
	}
	if posts := e.requests(0, http.MethodPost); len(posts) != 1 || posts[0].Path != "/v1.0/me/todo/lists/"+defID+"/tasks" {
		t.Errorf("POST requests = %+v", posts)
	}

	e.clock.Advance(10 * time.Minute)
	if err := e.fake.ChangeTodoTask(e.oid, created.ID, func(tk *graphtest.TodoTask) { tk.Title = "File taxes today" }); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.UpdateTask(ctx, e.acct, tasks.DefaultID, created.ID, tasks.Change{Status: ptr("completed")}, created.ETag)
	wantKind(t, err, provider.ErrPrecondition)
	fresh, err := e.c.GetTask(ctx, e.acct, defID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.c.UpdateTask(ctx, e.acct, defID, created.ID, tasks.Change{Status: ptr("completed")}, fresh.ETag)
	if err != nil {
		t.Fatal(err)
	}
	today := tasks.DueDate(e.clock.Now())
	if done.Status != "completed" || done.Completed == nil || !done.Completed.Equal(today) || done.Title != "File taxes today" || done.ETag == fresh.ETag {
		t.Errorf("completed = %s", asJSON(done))
	}

	// Graph has no subtasks: a parent is refused before any request.
	before := len(e.fake.GraphRequests())
	_, err = e.c.UpdateTask(ctx, e.acct, defID, created.ID, tasks.Change{ParentID: ptr("AAMkParent")}, "")
	wantKind(t, err, provider.ErrUnsupported)
	_, err = e.c.CreateTask(ctx, e.acct, defID, tasks.Change{Title: ptr("Sub"), ParentID: ptr("AAMkParent")})
	wantKind(t, err, provider.ErrUnsupported)
	if n := len(e.fake.GraphRequests()) - before; n != 0 {
		t.Errorf("%d requests reached Graph", n)
	}

	wantKind(t, e.c.DeleteTask(ctx, e.acct, defID, created.ID, fresh.ETag), provider.ErrPrecondition)
	other := e.seedList(t, graphtest.TodoList{DisplayName: "Other"})
	_, err = e.c.GetTask(ctx, e.acct, other.ID, created.ID)
	wantKind(t, err, provider.ErrNotFound)
	if err := e.c.DeleteTask(ctx, e.acct, tasks.DefaultID, created.ID, done.ETag); err != nil {
		t.Fatal(err)
	}
	if got := e.requests(0, http.MethodDelete); got[len(got)-1].Header.Get("If-Match") != done.ETag {
		t.Errorf("DELETE If-Match = %q", got[len(got)-1].Header.Get("If-Match"))
	}
	_, err = e.c.GetTask(ctx, e.acct, defID, created.ID)
	wantKind(t, err, provider.ErrNotFound)
}

func TestTasks_listPages(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	listID := e.seedList(t, graphtest.TodoList{DisplayName: "Errands"}).ID
	var want []string
	for i, st := range []string{"notStarted", "completed", "inProgress", "completed", "deferred"} {
		want = append(want, e.seedTask(t, listID, graphtest.TodoTask{Title: "T" + string(rune('0'+i)), Status: st}).ID)
	}
	var got []string
	cursor, pages := "", 0
	for {
		p, err := e.c.ListTasks(context.Background(), e.acct, listID, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tk := range p.Tasks {
			got = append(got, tk.ID)
		}
		if cursor = p.NextPage; cursor == "" {
			break
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("%d pages of %v, want 3 of %v", pages, got, want)
	}
	_, err := e.c.ListTasks(context.Background(), e.acct, "AAMkADIyAAAhrbPWnope", "", 10)
	wantKind(t, err, provider.ErrNotFound)
}

func TestTasks_delta(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	defID := e.fake.DefaultTodoListID(e.oid)
	a := e.seedTask(t, defID, graphtest.TodoTask{Title: "A"})
	b := e.seedTask(t, defID, graphtest.TodoTask{Title: "B"})
	e.seedTask(t, defID, graphtest.TodoTask{Title: "C"})
	e.seedTask(t, e.seedList(t, graphtest.TodoList{DisplayName: "Elsewhere"}).ID, graphtest.TodoTask{Title: "Not in this list"})

	cursor, err := e.c.TasksDeltaStart(ctx, e.acct, tasks.DefaultID)
	if err != nil {
		t.Fatal(err)
	}
	from := len(e.fake.GraphRequests())
	p1, err := e.c.TasksDeltaChanges(ctx, e.acct, cursor, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Updated) != 2 || p1.NextPage == "" || p1.NextDelta != "" {
		t.Fatalf("page 1 = %+v", p1)
	}
	if r := e.requests(from, http.MethodGet)[0]; r.Path != "/v1.0/me/todo/lists/"+defID+"/tasks/delta" ||
		!strings.Contains(r.Header.Get("Prefer"), "odata.maxpagesize=2") {
		t.Errorf("delta request = %+v", r)
	}
	p2, err := e.c.TasksDeltaChanges(ctx, e.acct, p1.NextPage, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Updated) != 1 || p2.NextDelta == "" || p2.NextPage != "" || p2.Updated[0].Title != "C" {
		t.Fatalf("page 2 = %+v", p2)
	}

	e.clock.Advance(10 * time.Minute)
	if err := e.fake.ChangeTodoTask(e.oid, a.ID, func(tk *graphtest.TodoTask) { tk.Status = "completed" }); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteTask(ctx, e.acct, defID, b.ID, ""); err != nil {
		t.Fatal(err)
	}
	p3, err := e.c.TasksDeltaChanges(ctx, e.acct, p2.NextDelta, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p3.Updated) != 1 || p3.Updated[0].ID != a.ID || p3.Updated[0].Status != "completed" ||
		!reflect.DeepEqual(p3.Deleted, []tasks.DeletedTask{{ID: b.ID}}) || p3.NextDelta == "" {
		t.Fatalf("round 2 = %s", asJSON(p3))
	}

	e.fake.ExpireTodoDeltaTokens()
	_, err = e.c.TasksDeltaChanges(ctx, e.acct, p3.NextDelta, 100)
	wantKind(t, err, provider.ErrCursorExpired)

	// Cursors of one kind are refused by the others.
	for _, call := range []func() error{
		func() error {
			_, err := e.c.TasksDeltaChanges(ctx, e.acct, cursorOf("contactsDelta", e.fake.URL()+"/v1.0/me/contacts/delta"), 10)
			return err
		},
		func() error { _, err := e.c.ListTasks(ctx, e.acct, defID, p1.NextPage, 10); return err },
		func() error { _, err := e.c.ListTaskLists(ctx, e.acct, p1.NextPage); return err },
		func() error { _, err := e.c.ContactsDeltaChanges(ctx, e.acct, p1.NextPage, 10); return err },
	} {
		wantKind(t, call(), provider.ErrInvalid)
	}
}

func TestTasks_errors(t *testing.T) {
	t.Parallel()
	e := newPIMEnv(t)
	ctx := context.Background()
	// A failure while resolving the default list is the failure.
	e.fake.ThrottleNext(9)
	_, err := e.c.ListTasks(ctx, e.acct, tasks.DefaultID, "", 10)
	if pe := wantKind(t, err, provider.ErrRateLimited); pe.RetryAfter != 9*time.Second {
		t.Errorf("RetryAfter = %v", pe.RetryAfter)
	}
	// An unknown list: the delta cursor is made, its first read is 404.
	cursor, err := e.c.TasksDeltaStart(ctx, e.acct, "AAMkADIyAAAhrbPWnope")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.TasksDeltaChanges(ctx, e.acct, cursor, 10)
	wantKind(t, err, provider.ErrNotFound)
	e.fake.FailNextGraph(http.StatusServiceUnavailable, "ServiceNotAvailable", "down", http.Header{"Retry-After": {"30"}})
	_, err = e.c.GetTask(ctx, e.acct, e.fake.DefaultTodoListID(e.oid), "AAMkTask")
	if pe := wantKind(t, err, provider.ErrUnavailable); pe.RetryAfter != 30*time.Second || pe.Status != 503 {
		t.Errorf("error = %+v", pe)
	}
	// An account without a client is refused before any request.
	_, err = e.c.GetTaskList(ctx, provider.Account{ID: 2}, "AAMk")
	if err == nil {
		t.Error("no error without a client")
	}
}
