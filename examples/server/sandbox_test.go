package main

import (
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestSandbox_signInWithNoConfiguration runs `server -sandbox` with nothing
// else: the Microsoft and Google fakes, the sample app and an in-memory
// store. A user signs
// in through the add-in's dialog flow over HTTP, and no file is written.
func TestSandbox_signInWithNoConfiguration(t *testing.T) {
	t.Parallel()
	base, logs := start(t, []string{"-sandbox"}, nil)

	code, body := get(t, base+"/addin/config.json")
	if code != 200 || !strings.Contains(body, `"clientId":"sandbox-addin"`) || !strings.Contains(body, `"serviceType":"Office365"`) {
		t.Fatalf("config.json = %d %s", code, body)
	}
	if code, body := get(t, base+"/addin/taskpane.html"); code != 200 || !strings.Contains(body, `src="`+sandboxStandin+`"`) {
		t.Fatalf("the sandbox task pane does not load the stand-in: %d", code)
	}
	q := url.Values{"clientId": {sandboxAppID}, "serviceType": {"Office365"}, "accountRole": {"primary"},
		"responseType": {"code"}, "returnUrl": {base + "/addin/callback.html"}, "state": {"s"}}
	jar, _ := cookiejar.New(nil)
	final, _, _ := browserGet(t, jar, base+"/v1/auth/authorizeUser?"+q.Encode())
	if final.Query().Get("status") != "success" {
		t.Fatalf("dialog ended at %s\n%s", final, logs)
	}
	st, out := postJSON(t, base+"/addin/session", "", map[string]string{"code": final.Query().Get("code")})
	ses, _ := out["userSession"].(string)
	if st != 200 || ses == "" {
		t.Fatalf("session: %d %v", st, out)
	}
	st, user := getUser(t, base, ses)
	if st != 200 || user["email"] != sandboxMSUser || user["name"] != sandboxUserName {
		t.Fatalf("/v1/user = %d %v", st, user)
	}
	if !strings.Contains(logs.String(), "sandbox: fake providers running") || !strings.Contains(logs.String(), "store is in memory") {
		t.Fatalf("the log does not say what the sandbox is:\n%s", logs)
	}
	for _, f := range []string{"aurinko.db", "aurinko.key"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("the sandbox wrote %s", f)
		}
	}
}
