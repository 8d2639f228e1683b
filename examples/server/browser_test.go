package main

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	outlookaddin "github.com/aurinko-go/aurinko/examples/outlook-addin"
)

// chromiumPath finds the system Chromium (Debian's chromium package). When
// it is missing the test fails under CI=true and is skipped elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if p := "/usr/bin/chromium"; fileExists(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium chromium-driver)")
	}
	t.Skip("chromium not installed: browser test not run (apt-get install chromium chromium-driver)")
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// artifactDir is where the browser test leaves its screenshots:
// testdata/out (ignored by git).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts a headless Chromium with a fresh profile that can
// reach nothing but loopback addresses.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions"),
		// Any host but loopback fails to resolve: the test never leaves
		// the machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(420, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// officeStandin serves the add-in's Office.js stand-in
// (examples/outlook-addin/static/dev/office-standin.js) from the test, on
// loopback, and returns its URL.
func officeStandin(t *testing.T) string {
	t.Helper()
	js, err := fs.ReadFile(outlookaddin.Files(), "dev/office-standin.js")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(js)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/office.js"
}

// TestBrowser_sandboxTaskPaneSignsIn starts the example server in sandbox
// mode (the Microsoft and Google fakes in-process, the sample app), loads
// the task pane in headless Chromium with the Office.js stand-in served by
// the test, clicks "Sign in", lets the dialog run the flow and checks that
// the pane shows the sandbox user and her Microsoft 365 mailbox as the
// primary account, her recent mail and today's seeded events; clicks
// "Watch my inbox", has a sample message delivered and sees the webhook
// notification arrive; then links her Gmail account as a secondary
// account and reloads. Screenshots land in testdata/out.
func TestBrowser_sandboxTaskPaneSignsIn(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	cfgFile := writeConfig(t, "addin: {officeJsUrl: \""+officeStandin(t)+"\"}\n")
	base, _ := start(t, []string{"-sandbox", "-config", cfgFile}, nil)

	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/addin/taskpane.html"),
		chromedp.WaitVisible(chromedp.ID("sign-in")),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("signed-in")),
		chromedp.WaitNotPresent(chromedp.ID("office-dialog")),
	)
	if err != nil {
		t.Fatalf("sign-in in the browser: %v\n%s", err, pageState(ctx))
	}
	email := text(t, ctx, "user-email")
	accounts := text(t, ctx, "accounts")
	if email != sandboxMSUser || !strings.Contains(accounts, sandboxMSUser+" · Office365") || !strings.Contains(accounts, "primary") {
		t.Fatalf("task pane shows email %q, accounts %q", email, accounts)
	}
	if name := text(t, ctx, "user-name"); name != sandboxUserName {
		t.Errorf("task pane shows name %q", name)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById("mail").textContent.includes("…")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("mail placeholder: %v", err)
	}
	// Recent mail comes from the unified email API over the sandbox's
	// Microsoft fake.
	if mail := text(t, ctx, "mail"); !strings.Contains(mail, "Bernoulli numbers: the table") || !strings.Contains(mail, "charles@analytical-engines.example") {
		t.Errorf("mail list shows %q", mail)
	}

	// Today: the sandbox's agenda for today, read from the calendar range
	// from local midnight to midnight (the browser and the server share
	// the machine's zone), all-day first; tomorrow's lecture is not listed.
	poll(t, ctx, "today's events", `document.querySelectorAll("#events li.event").length >= 4`, 20*time.Second)
	events := text(t, ctx, "events")
	for _, want := range []string{"all day", "Working from Ockham Park", "09:30–10:15", "Analytical Engine design review",
		"13:00–14:00", "Lunch with Mary Somerville", "16:00–16:30", "Notes review with Charles"} {
		if !strings.Contains(events, want) {
			t.Errorf("today's events lack %q:\n%s", want, events)
		}
	}
	if strings.Contains(events, "Royal Institution") || strings.Index(events, "all day") > strings.Index(events, "09:30") {
		t.Errorf("today's events:\n%s", events)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#events a.join[href^='https://']").length`)); err != nil || n != 1 {
		t.Errorf("Teams join links = %d, %v; want 1", n, err)
	}
	screenshot(t, ctx, "taskpane-signed-in.png")

	// Webhooks: subscribe to the inbox with the sandbox's sample receiver,
	// have a message arrive, and see its verified notification in the pane
	// (the subscription is watched by delta sync and Graph's push).
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("watch"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the subscription", `document.getElementById("watch-status").textContent.startsWith("Watching")`, 20*time.Second)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("send-sample")), chromedp.Click(chromedp.ID("send-sample"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the webhook notification", `Array.from(document.querySelectorAll("#notifications li.notification")).some((li) => li.textContent.includes("1 change (updated) in /email/messages"))`, 60*time.Second)
	poll(t, ctx, "the new message in recent mail", `document.getElementById("mail").textContent.includes("The Engine's store: a question")`, 20*time.Second)
	screenshot(t, ctx, "taskpane-webhook.png")

	// Link a secondary account through the signed URL from the backend.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("link-service"), "Google"), chromedp.Click(chromedp.ID("link"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#accounts li").length === 2`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("linking in the browser: %v\n%s", err, pageState(ctx))
	}
	if accounts := text(t, ctx, "accounts"); !strings.Contains(accounts, sandboxGoogleUser+" · Google") || !strings.Contains(accounts, "secondary") {
		t.Fatalf("accounts after linking: %q", accounts)
	}
	screenshot(t, ctx, "taskpane-linked.png")

	// A reload keeps the session (localStorage) and shows the user again.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("signed-in"))); err != nil {
		t.Fatalf("after reload: %v\n%s", err, pageState(ctx))
	}
	if email := text(t, ctx, "user-email"); email != sandboxMSUser {
		t.Fatalf("after reload the pane shows %q", email)
	}
}

// poll waits until the JavaScript expression cond is true, at most
// timeout, and fails the test with the page's state otherwise.
func poll(t *testing.T, ctx context.Context, what, cond string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(timeout))); err != nil {
		t.Fatalf("waiting for %s: %v\n%s", what, err, pageState(ctx))
	}
}

// text returns the visible text of the element with this id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("text of #%s: %v", id, err)
	}
	return s
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	p := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}

// pageState describes the page for a failure message.
func pageState(ctx context.Context) string {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(c, chromedp.Location())
	body, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return fmt.Sprintf("page %s:\n%s", loc, body)
}

// standinCalls is what the Office.js stand-in counted (window.officeStandin).
type standinCalls struct {
	Dialogs        int `json:"dialogs"`
	GetAccessToken int `json:"getAccessToken"`
	NestedAppAuth  int `json:"nestedAppAuth"`
}

// TestBrowser_sandboxTaskPaneSSO loads the task pane in headless Chromium
// with the stand-in's single sign-on switched by ?sso=: when the host
// gives a token (Office.auth.getAccessToken, or nested app authentication
// through the window.aurinkoNestedAppAuth plug-in point), the pane signs
// the sandbox user in with no dialog and shows her name and recent mail;
// when getAccessToken fails with a 13xxx code, or the server refuses the
// token, it offers the dialog sign-in button without an error, and the
// button still signs in. No token reaches the page, its storage or the
// server's log. The cases share one browser and server, one after the
// other, with the pane's storage cleared between them.
func TestBrowser_sandboxTaskPaneSSO(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	cfgFile := writeConfig(t, "addin: {officeJsUrl: \""+officeStandin(t)+"\"}\n")
	base, logs := start(t, []string{"-sandbox", "-config", cfgFile}, nil)

	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	tests := []struct {
		name, mode string
		signedIn   bool
		want       standinCalls
	}{
		{"getAccessToken signs in without a dialog", "on", true, standinCalls{GetAccessToken: 1}},
		{"nested app authentication signs in without a dialog", "naa", true, standinCalls{NestedAppAuth: 1}},
		{"getAccessToken fails with 13001: the dialog button", "13001", false, standinCalls{GetAccessToken: 1}},
		{"the server refuses the token: the dialog button", "refused", false, standinCalls{GetAccessToken: 1}},
		{"no SSO in the host: the dialog button", "off", false, standinCalls{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/addin/taskpane.html?sso="+tc.mode)); err != nil {
				t.Fatal(err)
			}
			// Either section shows once the pane has decided.
			poll(t, ctx, "the pane to start", `!document.getElementById("signed-in").hidden || !document.getElementById("signed-out").hidden`, 20*time.Second)
			calls, err := chromedp.Run(ctx, chromedp.Evaluate[standinCalls](`window.officeStandin`))
			if err != nil {
				t.Fatal(err)
			}
			if calls != tc.want {
				t.Errorf("the pane called the stand-in %+v, want %+v", calls, tc.want)
			}
			signedIn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("signed-in").hidden`))
			if err != nil {
				t.Fatal(err)
			}
			if signedIn != tc.signedIn {
				t.Fatalf("signed in = %v, want %v\n%s", signedIn, tc.signedIn, pageState(ctx))
			}
			if tc.signedIn {
				if name := text(t, ctx, "user-name"); name != sandboxUserName {
					t.Errorf("task pane shows name %q", name)
				}
				poll(t, ctx, "recent mail", `document.getElementById("mail").textContent.includes("Bernoulli numbers: the table")`, 20*time.Second)
				screenshot(t, ctx, "taskpane-sso-"+tc.mode+".png")
			} else {
				errShown, err := chromedp.Run(ctx, chromedp.Evaluate[string](
					`(document.getElementById("error").hidden ? "" : document.getElementById("error").textContent) + document.getElementById("status").textContent`))
				if err != nil || errShown != "" {
					t.Errorf("the fallback shows %q (%v); want nothing but the button", errShown, err)
				}
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("sign-in"))); err != nil {
					t.Fatal(err)
				}
			}
			// Nothing on the page or in its storage looks like a JWT.
			leak, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
				`document.body.innerHTML.includes("eyJ") || Object.keys(localStorage).some((k) => localStorage.getItem(k).includes("eyJ")) || Object.keys(sessionStorage).some((k) => sessionStorage.getItem(k).includes("eyJ"))`))
			if err != nil || leak {
				t.Errorf("a token is on the page or in its storage (%v)", err)
			}
			if tc.mode == "13001" {
				// The fallback button runs the dialog flow.
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("signed-in")),
					chromedp.WaitNotPresent(chromedp.ID("office-dialog"))); err != nil {
					t.Fatalf("dialog sign-in after the fallback: %v\n%s", err, pageState(ctx))
				}
				if email := text(t, ctx, "user-email"); email != sandboxMSUser {
					t.Errorf("after the dialog the pane shows %q", email)
				}
			}
			// Sign out (no SSO again on this page) and forget the session.
			if signedIn || tc.mode == "13001" {
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in"))); err != nil {
					t.Fatalf("sign out: %v\n%s", err, pageState(ctx))
				}
			}
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`localStorage.clear(), sessionStorage.clear(), true`)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if !strings.Contains(logs.String(), "sso: token refused") {
		t.Errorf("the server did not refuse the unsigned token:\n%s", logs)
	}
	if strings.Contains(logs.String(), "eyJ") {
		t.Errorf("a token is in the server's log")
	}
}
