package admin

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
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
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium chromium-driver)")
	}
	t.Skip("chromium not installed: browser test not run (apt-get install chromium chromium-driver)")
	return ""
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
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestBrowser_findUserAndForceRefresh signs in to the console with HTTP
// Basic, searches a seeded user by email, opens her account, forces a token
// refresh against the fake token endpoint and sees the new refresh time.
// The screenshot lands in testdata/out (ignored by git).
func TestBrowser_findUserAndForceRefresh(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	e := newEnv(t, nil)
	srv := httptest.NewServer(e.mux)
	t.Cleanup(srv.Close)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword))
	// Every request of the page carries the admin's credentials, as a
	// browser does once the user has answered the Basic prompt.
	signIn := chromedp.Action[chromedp.Void](func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
		return chromedp.Void{}, err
	})
	aliceLink := chromedp.Search(`//a[text()="alice@example.com"]`)
	err := chromedp.Do(ctx,
		signIn,
		chromedp.Navigate(srv.URL+"/admin/"),
		chromedp.Click(chromedp.Search(`//nav/a[text()="Users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="q"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "alice@example.com"),
		chromedp.Submit(chromedp.CSS(`input[name="q"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.listinfo`)),
		chromedp.WaitVisible(aliceLink),
		chromedp.Click(aliceLink),
		chromedp.WaitVisible(chromedp.ID("user-email")),
		chromedp.Click(chromedp.Search(`//table//a[contains(@href, "/admin/accounts/")]`)),
		chromedp.WaitVisible(chromedp.ID("refreshed-at")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, pageState(ctx))
	}
	before := text(t, ctx, "refreshed-at")
	e.clock.Advance(15 * time.Minute)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("force-refresh")), chromedp.WaitVisible(chromedp.CSS("p.notice"))); err != nil {
		t.Fatalf("force refresh: %v\n%s", err, pageState(ctx))
	}
	notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("p.notice")))
	after, status := text(t, ctx, "refreshed-at"), text(t, ctx, "token-status")
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
	} else {
		p := filepath.Join(out, "admin-account.png")
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Error(err)
		}
		t.Logf("screenshot: %s", p)
	}
	if before != "2031-03-04 10:00:00 UTC" || after != "2031-03-04 10:15:00 UTC" || before == after {
		t.Fatalf("refresh time before %q, after %q", before, after)
	}
	if !strings.Contains(notice, "Token refreshed") || strings.TrimSpace(status) != "active" {
		t.Fatalf("notice %q, status %q", notice, status)
	}
	if n := e.provider.refresh.Load(); n != 1 {
		t.Fatalf("token endpoint called %d times", n)
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

// pageState describes the page for a failure message.
func pageState(ctx context.Context) string {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(c, chromedp.Location())
	body, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return fmt.Sprintf("page %s:\n%s", loc, body)
}
