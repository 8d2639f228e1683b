package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/imap"
	"github.com/aurinko-go/aurinko/connectors/imap/dovecottest"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// TestIMAP_passwordSignInAndMail signs in to a real Dovecot through the
// server's password form and reads and sends mail through the unified API:
// the password travels sealed in the store and reaches the connector only
// through email.Account.Password.
func TestIMAP_passwordSignInAndMail(t *testing.T) {
	t.Parallel()
	dv := dovecottest.Start(t)
	ann := dv.User("ann")
	dv.Append(t, ann, "INBOX", []byte("From: Bob <bob@example.test>\r\nTo: ann@example.test\r\nSubject: Quarterly numbers\r\n"+
		"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nMessage-ID: <q1@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"), nil, time.Now())

	ctx := context.Background()
	c, err := imap.New(imap.Config{IMAPAddr: dv.IMAPSAddr, SMTPAddr: dv.SMTPAddr, SMTPTLS: imap.TLSStartTLS, TLSConfig: dv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := seal.NewKeyring(seal.Key{ID: "e2e", Secret: bytes.Repeat([]byte{8}, seal.KeySize)})
	api := httptest.NewUnstartedServer(nil)
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr,
		PublicURL: "https://" + api.Listener.Addr().String(), Connectors: []connectors.Connector{c}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	api.Config.Handler = mux
	api.StartTLS()
	defer api.Close()
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "addin", ClientSecret: "addin-secret-0123456789", ReturnURLs: []string{returnURL}}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := new(http.Client)
	*client = *api.Client()
	client.Jar = jar
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	base := api.URL + "/v1"
	resp, err := client.Get(base + "/auth/authorizeUser?clientId=addin&serviceType=IMAP&accountRole=primary&responseType=cookie&returnUrl=" + url.QueryEscape(returnURL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	state := resp.Request.URL.Query().Get("state")
	post := func(pw string) *http.Response {
		r, err := client.PostForm(base+"/auth/password", url.Values{"state": {state}, "login": {ann.Login}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == http.StatusUnauthorized {
			if i := strings.Index(string(body), `name="state" value="`); i >= 0 {
				rest := string(body)[i+len(`name="state" value="`):]
				state = rest[:strings.Index(rest, `"`)]
			}
		}
		return r
	}
	if r := post("not-the-password"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d", r.StatusCode)
	}
	if r := post(ann.Password); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "status=success") {
		t.Fatalf("sign-in = %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	get := func(path string, out any) int {
		r, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		_ = json.NewDecoder(r.Body).Decode(out)
		return r.StatusCode
	}
	var user struct {
		Email    string
		Accounts []struct{ ID int64 }
	}
	if code := get("/user", &user); code != 200 || user.Email != ann.Login || len(user.Accounts) != 1 {
		t.Fatalf("GET /user = %d %+v", code, user)
	}
	hdr := func(req *http.Request) *http.Request {
		req.Header.Set("X-Aurinko-Account-Id", strings.TrimSpace(jsonNumber(user.Accounts[0].ID)))
		return req
	}
	req, _ := http.NewRequest("GET", base+"/email/messages?q="+url.QueryEscape("subject:Quarterly"), nil)
	r, err := client.Do(hdr(req))
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Records []struct {
			Subject string
			From    struct{ Address string }
		}
	}
	_ = json.NewDecoder(r.Body).Decode(&page)
	r.Body.Close()
	if r.StatusCode != 200 || len(page.Records) != 1 || page.Records[0].Subject != "Quarterly numbers" || page.Records[0].From.Address != "bob@example.test" {
		t.Fatalf("GET /email/messages = %d %+v", r.StatusCode, page)
	}
	// Send through SMTP with the sealed password.
	body := `{"subject":"Re: Quarterly numbers","to":[{"address":"bob@example.test"}],"body":"Thanks!","bodyType":"text"}`
	req, _ = http.NewRequest("POST", base+"/email/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	r, err = client.Do(hdr(req))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusCreated || len(dv.Outbox()) != 1 || dv.Outbox()[0].Login != ann.Login {
		t.Fatalf("send = %d, outbox %d", r.StatusCode, len(dv.Outbox()))
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
