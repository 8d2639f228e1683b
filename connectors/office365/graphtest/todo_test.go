package graphtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// todoClock is the fixed now of the To Do tests' fakes.
var todoClock = time.Date(2024, 5, 17, 15, 4, 5, 0, time.UTC)

func newTodoServer(t *testing.T) *graphtest.Server {
	return graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{alice, carol},
		Now: func() time.Time { return todoClock }})
}

// dtz returns a dateTimeTimeZone property of an answer as "dateTime zone".
func (a answer) dtz(prop string) string {
	m, _ := a.body[prop].(map[string]any)
	if m == nil {
		return ""
	}
	return m["dateTime"].(string) + " " + m["timeZone"].(string)
}

func TestTodo_defaultListForEveryUser(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	seen := map[string]bool{}
	for _, u := range []graphtest.User{alice, carol} {
		at := pimToken(t, s, u, "Tasks.ReadWrite")
		a := get(t, s.URL()+"/v1.0/me/todo/lists", at)
		lists := a.items()
		if a.status != 200 || len(lists) != 1 {
			t.Fatalf("%s: lists = %d %v", u.DisplayName, a.status, a.body)
		}
		l := lists[0]
		if l["displayName"] != "Tasks" || l["wellknownListName"] != "defaultList" || l["isOwner"] != true || l["isShared"] != false ||
			l["id"] != s.DefaultTodoListID(u.ObjectID) || !strings.HasPrefix(l["@odata.etag"].(string), `W/"`) {
			t.Errorf("%s: default list = %v", u.DisplayName, l)
		}
		seen[l["id"].(string)] = true

		def := s.URL() + "/v1.0/me/todo/lists/" + s.DefaultTodoListID(u.ObjectID)
		if a := pimCall(t, http.MethodPatch, def, at, `{"displayName":"Chores"}`); a.status != 400 || a.errCode() != "invalidRequest" {
			t.Errorf("renaming the built-in list = %d %v", a.status, a.body)
		}
		if a := pimCall(t, http.MethodDelete, def, at, ""); a.status != 400 {
			t.Errorf("deleting the built-in list = %d %v", a.status, a.body)
		}
	}
	if len(seen) != 2 {
		t.Errorf("default lists are shared between users: %v", seen)
	}
	if id := s.DefaultTodoListID("00000000-0000-0000-0000-00000000dead"); id != "" {
		t.Errorf("default list of an unknown user = %q", id)
	}
	if _, err := s.SeedTodoList(alice.ObjectID, graphtest.TodoList{DisplayName: "Tasks 2", WellknownListName: "defaultList"}); err == nil {
		t.Error("seeded a second defaultList")
	}
	flagged, err := s.SeedTodoList(alice.ObjectID, graphtest.TodoList{DisplayName: "Flagged email", WellknownListName: "flaggedEmails"})
	if err != nil {
		t.Fatal(err)
	}
	if ls := s.TodoLists(alice.ObjectID); len(ls) != 2 || ls[0].WellknownListName != "defaultList" || ls[1].ID != flagged.ID {
		t.Errorf("TodoLists = %+v", ls)
	}
}

func TestTodoLists_crud(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	base := s.URL() + "/v1.0/me/todo/lists"
	created := pimCall(t, http.MethodPost, base, at, `{"displayName":"Travel items"}`)
	if created.status != 201 || created.str("displayName") != "Travel items" || created.str("wellknownListName") != "none" ||
		created.body["isOwner"] != true || created.body["isShared"] != false || created.str("@odata.etag") == "" {
		t.Fatalf("POST = %d %v", created.status, created.body)
	}
	one := base + "/" + created.str("id")
	if a := get(t, one, at); a.status != 200 || a.str("displayName") != "Travel items" {
		t.Errorf("GET = %d %v", a.status, a.body)
	}
	renamed := pimCall(t, http.MethodPatch, one, at, `{"displayName":"Vacation Plan"}`, "If-Match", created.str("@odata.etag"))
	if renamed.status != 200 || renamed.str("displayName") != "Vacation Plan" || renamed.str("@odata.etag") == created.str("@odata.etag") {
		t.Errorf("PATCH = %d %v", renamed.status, renamed.body)
	}
	if a := pimCall(t, http.MethodDelete, one, at, "", "If-Match", created.str("@odata.etag")); a.status != 412 || a.errCode() != "ErrorIrresolvableConflict" {
		t.Errorf("DELETE with a stale etag = %d %v", a.status, a.body)
	}
	if _, err := s.SeedTodoTask(alice.ObjectID, created.str("id"), graphtest.TodoTask{Title: "Passport"}); err != nil {
		t.Fatal(err)
	}
	if a := pimCall(t, http.MethodDelete, one, at, ""); a.status != 204 {
		t.Errorf("DELETE = %d %v", a.status, a.body)
	}
	if a := get(t, one, at); a.status != 404 || a.errCode() != "ErrorItemNotFound" {
		t.Errorf("GET after delete = %d %v", a.status, a.body)
	}
	if ts := s.TodoTasks(alice.ObjectID, created.str("id")); len(ts) != 0 {
		t.Errorf("tasks of a deleted list = %+v", ts)
	}
	tests := []struct {
		name, method, url, body, code string
	}{
		{"no displayName", http.MethodPost, base, `{}`, "invalidRequest"},
		{"unknown property", http.MethodPost, base, `{"displayName":"x","color":"blue"}`, "RequestBodyRead"},
		{"empty rename", http.MethodPatch, base + "/" + s.DefaultTodoListID(alice.ObjectID), `{"displayName":""}`, "invalidRequest"},
	}
	for _, tc := range tests {
		if a := pimCall(t, tc.method, tc.url, at, tc.body); a.status != 400 || a.errCode() != tc.code {
			t.Errorf("%s: %d %v", tc.name, a.status, a.body)
		}
	}
}

func TestTodoTasks_crud(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	list := s.DefaultTodoListID(alice.ObjectID)
	base := s.URL() + "/v1.0/me/todo/lists/" + list + "/tasks"

	created := pimCall(t, http.MethodPost, base, at, `{"title":"A new task","categories":["Important"],
		"body":{"content":"<b>Do</b> it","contentType":"html"},
		"linkedResources":[{"webUrl":"http://microsoft.com","applicationName":"Microsoft","displayName":"Microsoft"}]}`)
	if created.status != 201 {
		t.Fatalf("POST = %d %s", created.status, created.raw)
	}
	body, _ := created.body["body"].(map[string]any)
	links, _ := created.body["linkedResources"].([]any)
	if created.str("title") != "A new task" || created.str("importance") != "normal" || created.str("status") != "notStarted" ||
		created.body["isReminderOn"] != false || created.body["hasAttachments"] != false || body["contentType"] != "html" ||
		created.str("createdDateTime") != "2024-05-17T15:04:05.0000000Z" || created.str("bodyLastModifiedDateTime") == "" ||
		created.str("lastModifiedDateTime") == "" || !strings.HasPrefix(created.str("@odata.etag"), `W/"`) ||
		len(links) != 1 || links[0].(map[string]any)["id"] == "" {
		t.Fatalf("created = %v", created.body)
	}
	for _, unset := range []string{"dueDateTime", "completedDateTime", "startDateTime", "reminderDateTime", "recurrence"} {
		if _, ok := created.body[unset]; ok {
			t.Errorf("unset %s is present: %v", unset, created.body[unset])
		}
	}
	one := base + "/" + created.str("id")
	patched := pimCall(t, http.MethodPatch, one, at, `{"importance":"high","isReminderOn":true,
		"reminderDateTime":{"dateTime":"2024-05-20T09:30:00","timeZone":"Pacific Standard Time"},
		"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"]},"range":{"type":"noEnd","startDate":"2024-05-20"}}}`)
	rec, _ := patched.body["recurrence"].(map[string]any)
	if patched.status != 200 || patched.str("importance") != "high" || patched.body["isReminderOn"] != true ||
		patched.dtz("reminderDateTime") != "2024-05-20T16:30:00.0000000 UTC" || rec["pattern"] == nil || patched.str("title") != "A new task" {
		t.Fatalf("PATCH = %d %v", patched.status, patched.body)
	}
	got := get(t, one+"?$select=title,dueDateTime", at)
	if got.status != 200 || len(got.body) != 5 || got.str("title") != "A new task" || got.body["dueDateTime"] != nil || got.str("id") == "" {
		t.Errorf("GET $select = %d %v", got.status, got.body)
	}
	if ts := s.TodoTasks(alice.ObjectID, list); len(ts) != 1 || ts[0].Importance != "high" || !ts[0].BodyIsHTML || ts[0].ChangeKey == "" {
		t.Errorf("TodoTasks = %+v", ts)
	}
	other, err := s.SeedTodoList(alice.ObjectID, graphtest.TodoList{DisplayName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	if a := get(t, s.URL()+"/v1.0/me/todo/lists/"+other.ID+"/tasks/"+created.str("id"), at); a.status != 404 {
		t.Errorf("task through another list = %d", a.status)
	}
	if a := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/todo/lists/nope/tasks", at, `{"title":"x"}`); a.status != 404 {
		t.Errorf("POST into an unknown list = %d", a.status)
	}
	if a := pimCall(t, http.MethodDelete, one, at, ""); a.status != 204 {
		t.Fatalf("DELETE = %d %v", a.status, a.body)
	}
	for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		if a := pimCall(t, method, one, at, map[string]string{http.MethodPatch: `{"title":"x"}`}[method]); a.status != 404 || a.errCode() != "ErrorItemNotFound" {
			t.Errorf("%s after delete = %d %v", method, a.status, a.body)
		}
	}
}

func TestTodoTasks_dateOnlyDueDateTime(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	base := s.URL() + "/v1.0/me/todo/lists/" + s.DefaultTodoListID(alice.ObjectID) + "/tasks"
	tests := []struct {
		dateTime, zone, want string
	}{
		{"2020-07-25T16:00:00", "Eastern Standard Time", "2020-07-25T04:00:00.0000000 UTC"},
		{"2024-03-10T23:30:00", "W. Europe Standard Time", "2024-03-09T23:00:00.0000000 UTC"},
		{"2024-01-01T10:00:00.0000000", "UTC", "2024-01-01T00:00:00.0000000 UTC"},
		{"2024-06-01T05:00:00", "Asia/Tokyo", "2024-05-31T15:00:00.0000000 UTC"},
	}
	for _, tc := range tests {
		a := pimCall(t, http.MethodPost, base, at, `{"title":"due","dueDateTime":{"dateTime":"`+tc.dateTime+`","timeZone":"`+tc.zone+`"}}`)
		if a.status != 201 || a.dtz("dueDateTime") != tc.want {
			t.Errorf("%s %s: %d %s, want %s", tc.dateTime, tc.zone, a.status, a.dtz("dueDateTime"), tc.want)
			continue
		}
		// Later changes keep the stored due date.
		if p := pimCall(t, http.MethodPatch, base+"/"+a.str("id"), at, `{"title":"renamed"}`); p.dtz("dueDateTime") != tc.want {
			t.Errorf("%s after PATCH = %s", tc.zone, p.dtz("dueDateTime"))
		}
	}
	seeded, err := s.SeedTodoTask(alice.ObjectID, s.DefaultTodoListID(alice.ObjectID), graphtest.TodoTask{Title: "seeded",
		DueDateTime: time.Date(2024, 7, 4, 18, 0, 0, 0, time.FixedZone("EDT", -4*3600))})
	if err != nil || !seeded.DueDateTime.Equal(time.Date(2024, 7, 4, 4, 0, 0, 0, time.UTC)) {
		t.Errorf("seeded due date = %v, %v", seeded.DueDateTime, err)
	}
	if a := pimCall(t, http.MethodPost, base, at, `{"title":"x","dueDateTime":{"dateTime":"2024-01-01T00:00:00","timeZone":"Mars Standard Time"}}`); a.status != 400 || a.errCode() != "TimeZoneNotSupportedException" {
		t.Errorf("unknown zone = %d %v", a.status, a.body)
	}
}

func TestTodoTasks_completionSetsCompletedDateTime(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	list := s.DefaultTodoListID(alice.ObjectID)
	task, err := s.SeedTodoTask(alice.ObjectID, list, graphtest.TodoTask{Title: "Ship it"})
	if err != nil {
		t.Fatal(err)
	}
	one := s.URL() + "/v1.0/me/todo/lists/" + list + "/tasks/" + task.ID
	done := pimCall(t, http.MethodPatch, one, at, `{"status":"completed"}`)
	if done.status != 200 || done.str("status") != "completed" || done.dtz("completedDateTime") != "2024-05-17T00:00:00.0000000 UTC" {
		t.Fatalf("completing = %d %v", done.status, done.body)
	}
	again := pimCall(t, http.MethodPatch, one, at, `{"title":"Shipped"}`)
	if again.dtz("completedDateTime") != done.dtz("completedDateTime") {
		t.Errorf("a later change moved completedDateTime: %v", again.body)
	}
	reopened := pimCall(t, http.MethodPatch, one, at, `{"status":"inProgress"}`)
	if _, ok := reopened.body["completedDateTime"]; reopened.status != 200 || ok {
		t.Errorf("reopening = %d %v", reopened.status, reopened.body)
	}
	given := pimCall(t, http.MethodPatch, one, at, `{"status":"completed","completedDateTime":{"dateTime":"2024-05-01T12:00:00","timeZone":"UTC"}}`)
	if given.dtz("completedDateTime") != "2024-05-01T00:00:00.0000000 UTC" {
		t.Errorf("given completedDateTime = %v", given.body)
	}
	seeded, err := s.SeedTodoTask(alice.ObjectID, list, graphtest.TodoTask{Title: "Old", Status: "completed"})
	if err != nil || !seeded.CompletedDateTime.Equal(time.Date(2024, 5, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("seeded completed task = %+v, %v", seeded, err)
	}
}

func TestTodoTasks_ifMatchAndRefusals(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	list := s.DefaultTodoListID(alice.ObjectID)
	task, err := s.SeedTodoTask(alice.ObjectID, list, graphtest.TodoTask{Title: "Original"})
	if err != nil {
		t.Fatal(err)
	}
	one := s.URL() + "/v1.0/me/todo/lists/" + list + "/tasks/" + task.ID
	stale := `W/"` + task.ChangeKey + `"`
	if err := s.ChangeTodoTask(alice.ObjectID, task.ID, func(t *graphtest.TodoTask) { t.Title = "Changed in To Do" }); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodPatch, http.MethodDelete} {
		a := pimCall(t, method, one, at, map[string]string{http.MethodPatch: `{"title":"mine"}`}[method], "If-Match", stale)
		if a.status != http.StatusPreconditionFailed || a.errCode() != "ErrorIrresolvableConflict" {
			t.Errorf("%s with a stale etag = %d %v", method, a.status, a.body)
		}
	}
	current := get(t, one, at).str("@odata.etag")
	if a := pimCall(t, http.MethodPatch, one, at, `{"title":"mine"}`, "If-Match", current); a.status != 200 || a.str("title") != "mine" {
		t.Errorf("PATCH with the current etag = %d %v", a.status, a.body)
	}

	tests := []struct {
		name, body, code, inMessage string
	}{
		{"unknown property", `{"title":"x","priority":1}`, "RequestBodyRead", "'priority' does not exist on type 'microsoft.graph.todoTask'"},
		{"bad importance", `{"importance":"urgent"}`, "RequestBodyRead", "'urgent'"},
		{"bad status", `{"status":"done"}`, "RequestBodyRead", "'done'"},
		{"bad body type", `{"body":{"content":"x","contentType":"rtf"}}`, "RequestBodyRead", "'rtf'"},
		{"unknown body part", `{"body":{"content":"x","format":"md"}}`, "RequestBodyRead", "microsoft.graph.itemBody"},
		{"unknown dateTimeTimeZone part", `{"dueDateTime":{"date":"2024-01-01","timeZone":"UTC"}}`, "RequestBodyRead", "microsoft.graph.dateTimeTimeZone"},
		{"bad dateTime", `{"dueDateTime":{"dateTime":"soon","timeZone":"UTC"}}`, "RequestBodyRead", "soon"},
		{"wrong type", `{"isReminderOn":"yes"}`, "RequestBodyRead", "Edm.Boolean"},
		{"unstored relationship", `{"checklistItems":[{"displayName":"a"}]}`, "BadRequest", "checklistItems"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{http.MethodPost, http.MethodPatch} {
				u := s.URL() + "/v1.0/me/todo/lists/" + list + "/tasks"
				if method == http.MethodPatch {
					u = one
				}
				if a := pimCall(t, method, u, at, tc.body); a.status != 400 || a.errCode() != tc.code || !strings.Contains(a.errMessage(), tc.inMessage) {
					t.Errorf("%s: %d %v", method, a.status, a.body)
				}
			}
		})
	}
	if ts := s.TodoTasks(alice.ObjectID, list); len(ts) != 1 || ts[0].Title != "mine" {
		t.Errorf("refused requests changed the list: %+v", ts)
	}
}

func TestTodoTasks_filterSelectAndPaging(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.Read")
	list := s.DefaultTodoListID(alice.ObjectID)
	for i := range 12 {
		status := "notStarted"
		if i%3 == 0 {
			status = "completed"
		}
		if _, err := s.SeedTodoTask(alice.ObjectID, list, graphtest.TodoTask{Title: "Task " + string(rune('a'+i)), Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	open := 0
	next := s.URL() + "/v1.0/me/todo/lists/" + list + "/tasks?" + url.Values{"$filter": {"status ne 'completed'"}, "$top": {"5"}, "$select": {"title,status"}}.Encode()
	for pages := 0; next != ""; pages++ {
		a := get(t, next, at)
		if a.status != 200 || pages > 3 {
			t.Fatalf("page = %d %v", a.status, a.body)
		}
		for _, task := range a.items() {
			if task["status"] == "completed" || len(task) != 4 {
				t.Errorf("filtered, selected item = %v", task)
			}
			open++
		}
		next = a.str("@odata.nextLink")
	}
	if open != 8 {
		t.Errorf("open tasks = %d, want 8", open)
	}
	tests := []struct {
		query string
		n     int
		first string
	}{
		{"$filter=" + url.QueryEscape("status eq 'completed'"), 4, "Task a"},
		{"$filter=" + url.QueryEscape("startswith(title,'task b')"), 1, "Task b"},
		{"$orderby=" + url.QueryEscape("title desc") + "&$top=1", 1, "Task l"},
		{"$filter=" + url.QueryEscape("lastModifiedDateTime ge 2024-05-17T00:00:00Z and importance eq 'normal'"), 10, "Task a"},
	}
	for _, tc := range tests {
		a := get(t, s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks?"+tc.query, at)
		items := a.items()
		if a.status != 200 || len(items) != tc.n || items[0]["title"] != tc.first {
			t.Errorf("%s: %d %d items %v", tc.query, a.status, len(items), a.body)
		}
	}
	if a := get(t, s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks?$filter="+url.QueryEscape("size gt 3"), at); a.status != 400 {
		t.Errorf("unsupported filter = %d", a.status)
	}
	if a := get(t, s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks?$select=title,size", at); a.status != 400 {
		t.Errorf("unknown $select = %d", a.status)
	}
}

// todoRound drains a delta round from u in pages of 2 and returns its
// items and deltaLink.
func todoRound(t *testing.T, u, bearer string) ([]map[string]any, string) {
	t.Helper()
	var all []map[string]any
	for pages := 0; pages < 20; pages++ {
		a := pimCall(t, http.MethodGet, u, bearer, "", "Prefer", "odata.maxpagesize=2")
		if a.status != 200 || len(a.items()) > 2 {
			t.Fatalf("delta page = %d %v", a.status, a.body)
		}
		all = append(all, a.items()...)
		if dl := a.str("@odata.deltaLink"); dl != "" {
			return all, dl
		}
		if u = a.str("@odata.nextLink"); !strings.Contains(u, "$skiptoken=") {
			t.Fatalf("page without links: %v", a.body)
		}
	}
	t.Fatal("delta round does not end")
	return nil, ""
}

func TestTodoDelta_tasksRoundTrip(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	list := s.DefaultTodoListID(alice.ObjectID)
	var ids []string
	for _, title := range []string{"one", "two", "three"} {
		task, err := s.SeedTodoTask(alice.ObjectID, list, graphtest.TodoTask{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	deltaURL := s.URL() + "/v1.0/me/todo/lists/" + list + "/tasks/delta"
	first, link := todoRound(t, deltaURL, at)
	if len(first) != 3 {
		t.Fatalf("initial round = %v", first)
	}
	if a := pimCall(t, http.MethodPatch, s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks/"+ids[0], at, `{"status":"completed"}`); a.status != 200 {
		t.Fatal(a.raw)
	}
	if err := s.DeleteTodoTask(alice.ObjectID, ids[1]); err != nil {
		t.Fatal(err)
	}
	added := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks", at, `{"title":"four"}`)

	second, link2 := todoRound(t, link, at)
	got := map[string]string{}
	for _, it := range second {
		if rm, ok := it["@removed"].(map[string]any); ok {
			if rm["reason"] != "deleted" {
				t.Errorf("removed = %v", it)
			}
			got[it["id"].(string)] = "removed"
			continue
		}
		got[it["id"].(string)] = it["title"].(string) + "/" + it["status"].(string)
	}
	want := map[string]string{ids[0]: "one/completed", ids[1]: "removed", added.str("id"): "four/notStarted"}
	if len(second) != 3 || len(got) != 3 {
		t.Fatalf("second round = %v", second)
	}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("second round: %s = %q, want %q", id, got[id], v)
		}
	}
	if third, _ := todoRound(t, link2, at); len(third) != 0 {
		t.Errorf("round without changes = %v", third)
	}

	s.ExpireTodoDeltaTokens()
	if a := get(t, link2, at); a.status != http.StatusGone || a.errCode() != "SyncStateNotFound" {
		t.Errorf("expired task delta token = %d %v", a.status, a.body)
	}
	if a := get(t, deltaURL, at); a.status != 200 || len(a.items()) != 3 {
		t.Errorf("full resync = %d %v", a.status, a.body)
	}
	if a := get(t, s.URL()+"/v1.0/me/todo/lists/nope/tasks/delta", at); a.status != 404 {
		t.Errorf("delta of an unknown list = %d", a.status)
	}
}

func TestTodoDelta_lists(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	at := pimToken(t, s, alice, "Tasks.ReadWrite")
	gone, err := s.SeedTodoList(alice.ObjectID, graphtest.TodoList{DisplayName: "Soon gone"})
	if err != nil {
		t.Fatal(err)
	}
	first, link := todoRound(t, s.URL()+"/v1.0/me/todo/lists/delta", at)
	if len(first) != 2 || first[0]["wellknownListName"] != "defaultList" {
		t.Fatalf("initial round = %v", first)
	}
	created := pimCall(t, http.MethodPost, s.URL()+"/v1.0/me/todo/lists", at, `{"displayName":"New"}`)
	if a := pimCall(t, http.MethodDelete, s.URL()+"/v1.0/me/todo/lists/"+gone.ID, at, ""); a.status != 204 {
		t.Fatal(a.raw)
	}
	second, link2 := todoRound(t, link, at)
	if len(second) != 2 || second[0]["id"] != created.str("id") || second[1]["id"] != gone.ID || second[1]["@removed"] == nil {
		t.Errorf("second round = %v", second)
	}
	s.ExpireTodoDeltaTokens()
	if a := get(t, link2, at); a.status != http.StatusGone || a.errCode() != "SyncStateNotFound" {
		t.Errorf("expired list delta token = %d %v", a.status, a.body)
	}
}

func TestTodo_permissionsAndIsolation(t *testing.T) {
	t.Parallel()
	s := newTodoServer(t)
	aliceRW := pimToken(t, s, alice, "Tasks.ReadWrite")
	aliceRead := pimToken(t, s, alice, "Tasks.Read")
	aliceMail := pimToken(t, s, alice, "Mail.Read")
	carolRW := pimToken(t, s, carol, "Tasks.ReadWrite")
	list := s.DefaultTodoListID(alice.ObjectID)
	task, err := s.SeedTodoTask(alice.ObjectID, list, graphtest.TodoTask{Title: "Alice's secret"})
	if err != nil {
		t.Fatal(err)
	}
	_, aliceDelta := todoRound(t, s.URL()+"/v1.0/me/todo/lists/"+list+"/tasks/delta", aliceRW)
	lists := s.URL() + "/v1.0/me/todo/lists"
	one := lists + "/" + list + "/tasks/" + task.ID
	tests := []struct {
		name, method, url, bearer, body string
		status                          int
	}{
		{"no tasks permission", http.MethodGet, lists, aliceMail, "", 403},
		{"read-only create list", http.MethodPost, lists, aliceRead, `{"displayName":"x"}`, 403},
		{"read-only create task", http.MethodPost, lists + "/" + list + "/tasks", aliceRead, `{"title":"x"}`, 403},
		{"read-only PATCH", http.MethodPatch, one, aliceRead, `{"title":"x"}`, 403},
		{"read-only DELETE", http.MethodDelete, one, aliceRead, "", 403},
		{"no token", http.MethodGet, one, "", "", 401},
		{"other user's list", http.MethodGet, lists + "/" + list, carolRW, "", 404},
		{"other user's tasks", http.MethodGet, lists + "/" + list + "/tasks", carolRW, "", 404},
		{"other user's task", http.MethodGet, one, carolRW, "", 404},
		{"other user PATCH", http.MethodPatch, one, carolRW, `{"title":"x"}`, 404},
		{"other user DELETE", http.MethodDelete, one, carolRW, "", 404},
		{"other user POST", http.MethodPost, lists + "/" + list + "/tasks", carolRW, `{"title":"x"}`, 404},
		{"other user's delta token", http.MethodGet, aliceDelta, carolRW, "", 410},
	}
	for _, tc := range tests {
		if a := pimCall(t, tc.method, tc.url, tc.bearer, tc.body); a.status != tc.status {
			t.Errorf("%s: %d %v", tc.name, a.status, a.body)
		}
	}
	if a := get(t, lists, carolRW); len(a.items()) != 1 || a.items()[0]["id"] == list {
		t.Errorf("carol's lists = %v", a.body)
	}
	if ts := s.TodoTasks(alice.ObjectID, list); len(ts) != 1 || ts[0].Title != "Alice's secret" {
		t.Errorf("alice's tasks = %+v", ts)
	}
}
