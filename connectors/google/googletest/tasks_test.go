package googletest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const (
	scopeTasks         = "https://www.googleapis.com/auth/tasks"
	scopeTasksReadonly = "https://www.googleapis.com/auth/tasks.readonly"
)

// wireTask is a task as the Tasks API serves it.
type wireTask struct {
	Kind        string                `json:"kind"`
	ID          string                `json:"id"`
	ETag        string                `json:"etag"`
	Title       string                `json:"title"`
	Updated     string                `json:"updated"`
	SelfLink    string                `json:"selfLink"`
	Parent      string                `json:"parent"`
	Position    string                `json:"position"`
	Notes       string                `json:"notes"`
	Status      string                `json:"status"`
	Due         string                `json:"due"`
	Completed   string                `json:"completed"`
	Deleted     bool                  `json:"deleted"`
	Hidden      bool                  `json:"hidden"`
	Links       []googletest.TaskLink `json:"links"`
	WebViewLink string                `json:"webViewLink"`
}

// wireTaskList is a task list as the Tasks API serves it.
type wireTaskList struct {
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	ETag     string `json:"etag"`
	Title    string `json:"title"`
	Updated  string `json:"updated"`
	SelfLink string `json:"selfLink"`
}

// tasksPage is the answer of tasks.list and tasklists.list.
type tasksPage[T any] struct {
	Kind          string `json:"kind"`
	ETag          string `json:"etag"`
	NextPageToken string `json:"nextPageToken"`
	Items         []T    `json:"items"`
}

// tasksCall sends a Tasks API request (path under /tasks/v1) and decodes
// a 200 answer into T; other statuses are returned with a zero T.
func tasksCall[T any](t *testing.T, s *googletest.Server, method, path, token string, body any) (int, T) {
	t.Helper()
	status, b := apiCall(t, method, s.APIBaseURL()+"/tasks/v1/"+path, token, body)
	var v T
	if status == http.StatusOK {
		v = decodeJSON[T](t, b)
	}
	return status, v
}

func titles(ts []wireTask) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Title)
	}
	return out
}

var position = regexp.MustCompile(`^[0-9]{20}$`)

func TestTasks_taskLists(t *testing.T) {
	t.Parallel()
	s, clock := newClockedServer(t)
	at := gmailToken(t, s, scopeTasks)
	ro := gmailToken(t, s, scopeTasksReadonly)

	status, lists := tasksCall[tasksPage[wireTaskList]](t, s, "GET", "users/@me/lists", ro, nil)
	if status != 200 || lists.Kind != "tasks#taskLists" || lists.ETag == "" || len(lists.Items) != 1 {
		t.Fatalf("lists = %d %+v", status, lists)
	}
	def := lists.Items[0]
	if def.Kind != "tasks#taskList" || def.Title != "My Tasks" || def.Updated != "2026-05-06T07:08:09.000Z" ||
		def.SelfLink != s.APIBaseURL()+"/tasks/v1/users/@me/lists/"+def.ID || def.ETag == "" {
		t.Fatalf("default list = %+v", def)
	}
	if status, got := tasksCall[wireTaskList](t, s, "GET", "users/@me/lists/@default", ro, nil); status != 200 || got != def {
		t.Fatalf("@default = %d %+v", status, got)
	}

	if status, _ := tasksCall[wireTaskList](t, s, "POST", "users/@me/lists", ro, map[string]string{"title": "Work"}); status != 403 {
		t.Fatalf("insert with tasks.readonly = %d", status)
	}
	clock.Advance(time.Minute)
	status, work := tasksCall[wireTaskList](t, s, "POST", "users/@me/lists", at, map[string]string{"title": "Work"})
	if status != 200 || work.Title != "Work" || work.ID == "" || work.ID == def.ID || work.Updated != "2026-05-06T07:09:09.000Z" {
		t.Fatalf("insert = %d %+v", status, work)
	}
	status, patched := tasksCall[wireTaskList](t, s, "PATCH", "users/@me/lists/"+work.ID, at, map[string]string{})
	if status != 200 || patched.Title != "Work" || patched.ETag == work.ETag {
		t.Fatalf("empty patch = %d %+v", status, patched)
	}
	status, put := tasksCall[wireTaskList](t, s, "PUT", "users/@me/lists/"+work.ID, at, map[string]string{"title": "Office"})
	if status != 200 || put.Title != "Office" {
		t.Fatalf("update = %d %+v", status, put)
	}
	if _, err := s.SeedTaskList("alice@example.com", googletest.TaskList{Title: "Home"}); err != nil {
		t.Fatal(err)
	}

	// Paging: one list per page, default first.
	var names []string
	q := url.Values{"maxResults": {"1"}}
	for range 4 {
		status, page := tasksCall[tasksPage[wireTaskList]](t, s, "GET", "users/@me/lists?"+q.Encode(), ro, nil)
		if status != 200 || len(page.Items) != 1 {
			t.Fatalf("page = %d %+v", status, page)
		}
		names = append(names, page.Items[0].Title)
		if page.NextPageToken == "" {
			break
		}
		q.Set("pageToken", page.NextPageToken)
	}
	if !slices.Equal(names, []string{"My Tasks", "Office", "Home"}) {
		t.Fatalf("paged lists = %q", names)
	}

	if status, b := apiCall(t, "DELETE", s.APIBaseURL()+"/tasks/v1/users/@me/lists/"+work.ID, at, nil); status != 204 || len(b) != 0 {
		t.Fatalf("delete = %d %s", status, b)
	}
	status, b := apiCall(t, "GET", s.APIBaseURL()+"/tasks/v1/users/@me/lists/"+work.ID, ro, nil)
	wantGoogleError(t, "get of a deleted list", status, b, 404, "NOT_FOUND")
	status, b = apiCall(t, "GET", s.APIBaseURL()+"/tasks/v1/lists/"+work.ID+"/tasks", ro, nil)
	wantGoogleError(t, "tasks of a deleted list", status, b, 404, "NOT_FOUND")
	status, b = apiCall(t, "DELETE", s.APIBaseURL()+"/tasks/v1/users/@me/lists/@default", at, nil)
	wantGoogleError(t, "delete of the default list", status, b, 400, "INVALID_ARGUMENT")
	if got := s.TaskLists("alice@example.com"); len(got) != 2 || got[0].ID != def.ID || got[1].Title != "Home" {
		t.Fatalf("TaskLists = %+v", got)
	}
}

func TestTasks_taskLifecycle(t *testing.T) {
	t.Parallel()
	s, clock := newClockedServer(t)
	at := gmailToken(t, s, scopeTasks)
	ro := gmailToken(t, s, scopeTasksReadonly)
	insert := func(title, query string, body map[string]any) wireTask {
		t.Helper()
		if body == nil {
			body = map[string]any{}
		}
		body["title"] = title
		status, task := tasksCall[wireTask](t, s, "POST", "lists/@default/tasks"+query, at, body)
		if status != 200 {
			t.Fatalf("insert %s%s = %d", title, query, status)
		}
		return task
	}

	if status, _ := tasksCall[wireTask](t, s, "POST", "lists/@default/tasks", ro, map[string]any{"title": "x"}); status != 403 {
		t.Fatalf("insert with tasks.readonly = %d", status)
	}
	report := insert("Report", "", map[string]any{"notes": "Q2 numbers", "due": "2026-05-20T23:30:00-07:00"})
	lists := s.TaskLists("alice@example.com")
	if report.Kind != "tasks#task" || report.Status != "needsAction" || report.Completed != "" || report.Due != "2026-05-20T00:00:00.000Z" ||
		report.Notes != "Q2 numbers" || !position.MatchString(report.Position) || report.Parent != "" || report.ETag == "" ||
		report.Updated != "2026-05-06T07:08:09.000Z" || report.SelfLink != s.APIBaseURL()+"/tasks/v1/lists/"+lists[0].ID+"/tasks/"+report.ID ||
		report.WebViewLink == "" {
		t.Fatalf("inserted = %+v", report)
	}
	first := insert("Coffee", "", nil) // no previous: first among siblings
	third := insert("Review", "?previous="+report.ID, nil)
	child := insert("Charts", "?parent="+report.ID, nil)
	if !(first.Position < report.Position && report.Position < third.Position) || child.Parent != report.ID {
		t.Fatalf("positions: %s %s %s, child %+v", first.Position, report.Position, third.Position, child)
	}
	status, page := tasksCall[tasksPage[wireTask]](t, s, "GET", "lists/@default/tasks", ro, nil)
	if status != 200 || page.Kind != "tasks#tasks" || !slices.Equal(titles(page.Items), []string{"Coffee", "Report", "Charts", "Review"}) {
		t.Fatalf("outline = %d %q", status, titles(page.Items))
	}

	// Completing sets completed; uncompleting clears it.
	clock.Advance(time.Minute)
	status, done := tasksCall[wireTask](t, s, "PATCH", "lists/@default/tasks/"+first.ID, at, map[string]any{"status": "completed"})
	if status != 200 || done.Completed != "2026-05-06T07:09:09.000Z" || done.Updated != done.Completed || done.Title != "Coffee" || done.ETag == first.ETag {
		t.Fatalf("complete = %d %+v", status, done)
	}
	status, undone := tasksCall[wireTask](t, s, "PATCH", "lists/@default/tasks/"+first.ID, at, map[string]any{"status": "needsAction"})
	if status != 200 || undone.Completed != "" || undone.Status != "needsAction" {
		t.Fatalf("uncomplete = %d %+v", status, undone)
	}
	// PUT replaces: absent notes and due are cleared; null clears in a patch.
	status, put := tasksCall[wireTask](t, s, "PUT", "lists/@default/tasks/"+report.ID, at, map[string]any{"title": "Report v2"})
	if status != 200 || put.Notes != "" || put.Due != "" || put.Title != "Report v2" || put.Position != report.Position {
		t.Fatalf("update = %d %+v", status, put)
	}
	status, nulled := tasksCall[wireTask](t, s, "PATCH", "lists/@default/tasks/"+third.ID, at, map[string]any{"due": "2026-06-01T00:00:00Z"})
	if status != 200 || nulled.Due != "2026-06-01T00:00:00.000Z" {
		t.Fatalf("patch due = %d %+v", status, nulled)
	}
	if status, nulled = tasksCall[wireTask](t, s, "PATCH", "lists/@default/tasks/"+third.ID, at, map[string]any{"due": nil}); status != 200 || nulled.Due != "" {
		t.Fatalf("patch due null = %d %+v", status, nulled)
	}

	// Move the subtask to the top level after Review, then to another list.
	status, moved := tasksCall[wireTask](t, s, "POST", "lists/@default/tasks/"+child.ID+"/move?previous="+third.ID, at, nil)
	if status != 200 || moved.Parent != "" || moved.Position <= third.Position {
		t.Fatalf("move = %d %+v", status, moved)
	}
	other, err := s.SeedTaskList("alice@example.com", googletest.TaskList{Title: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	status, moved = tasksCall[wireTask](t, s, "POST", "lists/@default/tasks/"+child.ID+"/move?destinationTasklist="+other.ID, at, nil)
	if status != 200 || !strings.Contains(moved.SelfLink, "/lists/"+other.ID+"/tasks/") {
		t.Fatalf("move to another list = %d %+v", status, moved)
	}
	if got := s.Tasks("alice@example.com", other.ID); len(got) != 1 || got[0].ID != child.ID {
		t.Fatalf("Tasks(other) = %+v", got)
	}

	// Delete marks the task and its subtasks deleted.
	sub := insert("Appendix", "?parent="+third.ID, nil)
	if status, b := apiCall(t, "DELETE", s.APIBaseURL()+"/tasks/v1/lists/@default/tasks/"+third.ID, at, nil); status != 204 || len(b) != 0 {
		t.Fatalf("delete = %d %s", status, b)
	}
	for _, id := range []string{third.ID, sub.ID} {
		if status, got := tasksCall[wireTask](t, s, "GET", "lists/@default/tasks/"+id, ro, nil); status != 200 || !got.Deleted {
			t.Fatalf("get deleted %s = %d %+v", id, status, got)
		}
	}
	// Clear hides the completed tasks.
	tasksCall[wireTask](t, s, "PATCH", "lists/@default/tasks/"+first.ID, at, map[string]any{"status": "completed"})
	if status, b := apiCall(t, "POST", s.APIBaseURL()+"/tasks/v1/lists/@default/clear", at, nil); status != 204 {
		t.Fatalf("clear = %d %s", status, b)
	}
	if status, got := tasksCall[wireTask](t, s, "GET", "lists/@default/tasks/"+first.ID, ro, nil); status != 200 || !got.Hidden {
		t.Fatalf("cleared task = %d %+v", status, got)
	}
	if _, page = tasksCall[tasksPage[wireTask]](t, s, "GET", "lists/@default/tasks", ro, nil); !slices.Equal(titles(page.Items), []string{"Report v2"}) {
		t.Fatalf("after delete and clear = %q", titles(page.Items))
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"bad status", "PATCH", "lists/@default/tasks/" + report.ID, map[string]any{"status": "done"}, 400},
		{"bad due", "PATCH", "lists/@default/tasks/" + report.ID, map[string]any{"due": "tomorrow"}, 400},
		{"title too long", "POST", "lists/@default/tasks", map[string]any{"title": strings.Repeat("x", 1025)}, 400},
		{"unknown parent", "POST", "lists/@default/tasks?parent=nope", map[string]any{"title": "x"}, 400},
		{"previous under another parent", "POST", "lists/@default/tasks?parent=" + report.ID + "&previous=" + first.ID, map[string]any{"title": "x"}, 400},
		{"move under itself", "POST", "lists/@default/tasks/" + report.ID + "/move?parent=" + report.ID, nil, 400},
		{"deleted parent", "POST", "lists/@default/tasks?parent=" + third.ID, map[string]any{"title": "x"}, 400},
		{"bad JSON", "POST", "lists/@default/tasks", "not an object", 400},
		{"unknown task", "GET", "lists/@default/tasks/nope", nil, 404},
		{"unknown list", "POST", "lists/nope/tasks", map[string]any{"title": "x"}, 404},
		{"move to an unknown list", "POST", "lists/@default/tasks/" + report.ID + "/move?destinationTasklist=nope", nil, 404},
	} {
		status, b := apiCall(t, tc.method, s.APIBaseURL()+"/tasks/v1/"+tc.path, at, tc.body)
		rpc := map[int]string{400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[tc.want]
		wantGoogleError(t, tc.name, status, b, tc.want, rpc)
	}
}

func TestTasks_listFilters(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, scopeTasksReadonly)
	day := func(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }
	for _, task := range []googletest.Task{
		{Title: "due-10", Due: day(10).Add(17 * time.Hour), Updated: day(1)},
		{Title: "due-20", Due: day(20), Updated: day(2)},
		{Title: "done", Status: "completed", Completed: day(5).Add(10 * time.Hour), Updated: day(5)},
		{Title: "hidden", Status: "completed", Completed: day(3), Hidden: true, Updated: day(3)},
		{Title: "deleted", Deleted: true, Updated: day(6)},
		{Title: "no-due", Updated: day(4)},
	} {
		if _, err := s.SeedTask("alice@example.com", "@default", task); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Tasks("alice@example.com", "@default"); got[0].Due != day(10) || got[2].Status != "completed" {
		t.Fatalf("seeded = %+v", got)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"due-10", "due-20", "done", "no-due"}},
		{"showCompleted=false", []string{"due-10", "due-20", "no-due"}},
		{"showDeleted=true", []string{"due-10", "due-20", "done", "deleted", "no-due"}},
		{"showHidden=true", []string{"due-10", "due-20", "done", "hidden", "no-due"}},
		{"showHidden=true&showCompleted=false", []string{"due-10", "due-20", "no-due"}},
		{"dueMin=2026-05-15T00:00:00Z", []string{"due-20"}},
		{"dueMax=2026-05-15T00:00:00Z", []string{"due-10"}},
		{"dueMin=2026-05-10T00:00:00Z&dueMax=2026-05-20T00:00:00Z", []string{"due-10"}},
		{"completedMin=2026-05-05T00:00:00Z&showHidden=true", []string{"done"}},
		{"completedMax=2026-05-05T00:00:00Z&showHidden=true", []string{"hidden"}},
		{"updatedMin=2026-05-04T00:00:00Z", []string{"done", "no-due"}},
		{"updatedMin=2026-05-04T00:00:00Z&showDeleted=true&showHidden=true", []string{"done", "deleted", "no-due"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			status, page := tasksCall[tasksPage[wireTask]](t, s, "GET", "lists/@default/tasks?"+tc.query, at, nil)
			if got := titles(page.Items); status != 200 || !slices.Equal(got, tc.want) {
				t.Fatalf("tasks?%s = %d %q, want %q", tc.query, status, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"dueMin=tomorrow", "showDeleted=maybe", "maxResults=-1", "pageToken=xyz"} {
		status, b := apiCall(t, "GET", s.APIBaseURL()+"/tasks/v1/lists/@default/tasks?"+bad, at, nil)
		wantGoogleError(t, bad, status, b, 400, "INVALID_ARGUMENT")
	}
}

func TestTasks_paging(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, scopeTasksReadonly)
	var want []string
	for i := range 105 {
		title := fmt.Sprintf("task %03d", i)
		want = append(want, title)
		if _, err := s.SeedTask("alice@example.com", "@default", googletest.Task{Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		maxResults string
		wantPages  []int
	}{
		{"", []int{20, 20, 20, 20, 20, 5}},
		{"0", []int{20, 20, 20, 20, 20, 5}},
		{"50", []int{50, 50, 5}},
		{"500", []int{100, 5}}, // at most 100
	}
	for _, tc := range tests {
		t.Run("maxResults="+tc.maxResults, func(t *testing.T) {
			t.Parallel()
			q := url.Values{}
			if tc.maxResults != "" {
				q.Set("maxResults", tc.maxResults)
			}
			var got []string
			var sizes []int
			for {
				status, page := tasksCall[tasksPage[wireTask]](t, s, "GET", "lists/@default/tasks?"+q.Encode(), at, nil)
				if status != 200 {
					t.Fatalf("page = %d", status)
				}
				got = append(got, titles(page.Items)...)
				sizes = append(sizes, len(page.Items))
				if page.NextPageToken == "" {
					break
				}
				q.Set("pageToken", page.NextPageToken)
			}
			if !slices.Equal(sizes, tc.wantPages) || !slices.Equal(got, want) {
				t.Fatalf("pages %v, want %v; %d tasks in order: %v", sizes, tc.wantPages, len(got), slices.Equal(got, want))
			}
		})
	}
}

func TestTasks_otherUsersNeverReachThisUsersTasks(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	list, err := s.SeedTaskList("alice@example.com", googletest.TaskList{Title: "Secret"})
	if err != nil {
		t.Fatal(err)
	}
	task, err := s.SeedTask("alice@example.com", list.ID, googletest.Task{Title: "alice's task", Notes: "private"})
	if err != nil {
		t.Fatal(err)
	}
	aliceDefault := s.TaskLists("alice@example.com")[0]
	carol := userToken(t, s, "carol@gmail.com", scopeTasks)

	status, lists := tasksCall[tasksPage[wireTaskList]](t, s, "GET", "users/@me/lists", carol, nil)
	if status != 200 || len(lists.Items) != 1 || lists.Items[0].ID == aliceDefault.ID {
		t.Fatalf("carol's lists = %d %+v", status, lists)
	}
	for _, call := range []struct{ method, path string }{
		{"GET", "users/@me/lists/" + list.ID},
		{"PATCH", "users/@me/lists/" + list.ID},
		{"DELETE", "users/@me/lists/" + list.ID},
		{"GET", "lists/" + list.ID + "/tasks"},
		{"POST", "lists/" + list.ID + "/tasks"},
		{"GET", "lists/" + list.ID + "/tasks/" + task.ID},
		{"GET", "lists/@default/tasks/" + task.ID},
		{"PATCH", "lists/@default/tasks/" + task.ID},
		{"DELETE", "lists/@default/tasks/" + task.ID},
		{"POST", "lists/@default/tasks/" + task.ID + "/move"},
		{"POST", "lists/" + list.ID + "/clear"},
	} {
		status, b := apiCall(t, call.method, s.APIBaseURL()+"/tasks/v1/"+call.path, carol, map[string]any{"title": "Mallory"})
		wantGoogleError(t, "carol: "+call.method+" "+call.path, status, b, 404, "NOT_FOUND")
	}
	if got := s.Tasks("alice@example.com", list.ID); len(got) != 1 || got[0].Title != "alice's task" || got[0].Deleted || got[0].ETag != task.ETag {
		t.Fatalf("alice's tasks after carol's attempts = %+v", got)
	}
	status, b := apiCall(t, "GET", s.APIBaseURL()+"/tasks/v1/users/@me/lists", gmailToken(t, s, "https://www.googleapis.com/auth/gmail.readonly"), nil)
	wantGoogleError(t, "a token without tasks scopes", status, b, 403, "PERMISSION_DENIED")
}

func TestTasks_seedingErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	parent, err := s.SeedTask("alice@example.com", "@default", googletest.Task{ID: "p1", Title: "parent", Status: "completed"})
	if err != nil {
		t.Fatal(err)
	}
	if parent.Completed != epoch || parent.ETag == "" || !position.MatchString(parent.Position) {
		t.Fatalf("seeded = %+v", parent)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"unknown user", func() error { _, err := s.SeedTaskList("nobody@example.com", googletest.TaskList{}); return err }},
		{"taken list id", func() error {
			_, err := s.SeedTaskList("alice@example.com", googletest.TaskList{ID: "@default"})
			return err
		}},
		{"unknown list", func() error { _, err := s.SeedTask("alice@example.com", "nope", googletest.Task{}); return err }},
		{"taken task id", func() error {
			_, err := s.SeedTask("alice@example.com", "@default", googletest.Task{ID: "p1"})
			return err
		}},
		{"unknown parent", func() error {
			_, err := s.SeedTask("alice@example.com", "@default", googletest.Task{Parent: "nope"})
			return err
		}},
		{"bad status", func() error {
			_, err := s.SeedTask("alice@example.com", "@default", googletest.Task{Status: "done"})
			return err
		}},
	}
	for _, tc := range tests {
		if err := tc.call(); err == nil || !strings.HasPrefix(err.Error(), "googletest: ") {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}
