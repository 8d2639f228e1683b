package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/connectors/imap"
	"github.com/aurinko-go/aurinko/connectors/imap/dovecottest"
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// mailbox is one provider's account in the cross-provider email test.
type mailbox struct {
	name string
	tok  string
	// me are the replacements that mask the account's own address and
	// name.
	me []string
	// myName is the account's display name.
	myName string
	// bogus is a well-formed id the provider does not know.
	bogus string
}

// emailEnv is one server with the Google, Microsoft 365 and IMAP
// connectors against the Gmail fake, the Graph fake and a real Dovecot,
// and an account token for one user of each.
type emailEnv struct {
	t      *testing.T
	api    string
	client *http.Client
	gfake  *googletest.Server
	mfake  *graphtest.Server
	dv     *dovecottest.Server
	boxes  []*mailbox
	adele  graphtest.User
}

func newEmailEnv(t *testing.T) *emailEnv {
	t.Helper()
	dv := dovecottest.Start(t)
	gfake := googletest.New(t, googletest.Options{ClientID: "g-client", ClientSecret: "g-secret",
		Users: []googletest.User{{Email: "grace@corp.example", Name: "Grace Hopper", HostedDomain: "corp.example"}}})
	adele := graphtest.User{ObjectID: "00000000-0000-0000-0000-0000000000a1", TenantID: "00000000-0000-0000-0000-00000000c0de",
		UserPrincipalName: "adele@contoso.example", Mail: "adele@contoso.example", DisplayName: "Adele Vance"}
	mfake := graphtest.New(t, graphtest.Options{ClientID: "ms-client", ClientSecret: "ms-secret", Users: []graphtest.User{adele}})
	ctx := context.Background()
	hc := &http.Client{Timeout: 20 * time.Second}
	g, err := google.New(ctx, google.Config{ClientID: "g-client", ClientSecret: "g-secret", Endpoints: gfake.Endpoints(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	m, err := office365.New(ctx, office365.Config{ClientID: "ms-client", ClientSecret: "ms-secret", HTTPClient: hc,
		Endpoints: &office365.Endpoints{LoginBaseURL: mfake.URL(), GraphBaseURL: mfake.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	im, err := imap.New(imap.Config{IMAPAddr: dv.IMAPSAddr, SMTPAddr: dv.SMTPAddr, SMTPTLS: imap.TLSStartTLS, TLSConfig: dv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := seal.NewKeyring(seal.Key{ID: "e2e", Secret: bytes.Repeat([]byte{7}, seal.KeySize)})
	api := httptest.NewUnstartedServer(nil)
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr, HTTPClient: hc,
		PublicURL: "https://" + api.Listener.Addr().String(), Connectors: []connectors.Connector{g, m, im}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	api.Config.Handler = mux
	api.StartTLS()
	t.Cleanup(api.Close)
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "addin", ClientSecret: "addin-secret-0123456789", ReturnURLs: []string{returnURL}}); err != nil {
		t.Fatal(err)
	}
	e := &emailEnv{t: t, api: api.URL + "/v1", client: api.Client(), gfake: gfake, mfake: mfake, dv: dv, adele: adele}
	pe := &pimEnv{t: t, api: e.api, client: e.client}
	scopes := "Mail.ReadWrite Mail.Send"
	gtok := pe.tokenWith("Google", scopes, func() error { return gfake.SetNextUser("grace@corp.example") })
	mtok := pe.tokenWith("Office365", scopes, func() error { return mfake.SetNextUser(adele.ObjectID) })
	e.boxes = []*mailbox{
		{name: "google", tok: gtok, me: []string{"grace@corp.example", "<me>", "Grace Hopper", "<My Name>"}, myName: "Grace Hopper",
			bogus: "18deadbeefdeadbe"},
		{name: "microsoft", tok: mtok, me: []string{"adele@contoso.example", "<me>", "Adele Vance", "<My Name>"}, myName: "Adele Vance",
			bogus: "AAkALgAAbogusbogusbogus="},
		{name: "imap", tok: e.imapToken(), me: []string{"ann@example.test", "<me>", "Ann Example", "<My Name>"}, myName: "Ann Example",
			bogus: "SU5CT1g.1.999999"},
	}
	return e
}

// tokenWith is token with the scopes to ask for.
func (e *pimEnv) tokenWith(serviceType, scopes string, next func() error) string {
	e.t.Helper()
	if err := next(); err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := *e.client
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	q := walk(e.t, &c, e.api+"/auth/authorize?"+url.Values{"clientId": {"addin"}, "serviceType": {serviceType}, "responseType": {"token"},
		"scopes": {scopes}, "returnUrl": {returnURL}}.Encode())
	if q.Get("status") != "success" || q.Get("accessToken") == "" {
		e.t.Fatalf("%s sign-in = %v", serviceType, q)
	}
	return q.Get("accessToken")
}

// imapToken signs ann in through the password form of the account token
// flow and returns the account token.
func (e *emailEnv) imapToken() string {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := *e.client
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(e.api + "/auth/authorize?" + url.Values{"clientId": {"addin"}, "serviceType": {"IMAP"}, "responseType": {"token"},
		"scopes": {"Mail.ReadWrite Mail.Send"}, "returnUrl": {returnURL}}.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	state := resp.Request.URL.Query().Get("state")
	ann := e.dv.User("ann")
	resp, err = c.PostForm(e.api+"/auth/password", url.Values{"state": {state}, "login": {ann.Login}, "password": {ann.Password}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("accessToken") == "" {
		e.t.Fatalf("IMAP sign-in = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("accessToken")
}

// call sends a request as the account of tok and returns the status and
// the raw answer.
func (e *emailEnv) call(tok, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.api+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// must is call that fails the test unless the status is want, and decodes
// the JSON answer.
func (e *emailEnv) must(want int, b *mailbox, method, path string, body any) map[string]any {
	e.t.Helper()
	status, raw := e.call(b.tok, method, path, body)
	if status != want {
		e.t.Fatalf("%s: %s %s = %d %s, want %d", b.name, method, path, status, raw, want)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s: %s %s: %s", b.name, method, path, raw)
		}
	}
	return out
}

// mailMask is the JSON of v with what differs by nature between providers
// replaced (ids, thread and folder ids, links, provider timestamps,
// internet headers, and the extra keys), keys sorted, the account's own
// address and name masked.
func mailMask(t *testing.T, v any, me []string, extra ...string) string {
	t.Helper()
	var walkv func(any) any
	walkv = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, val := range x {
				switch {
				case k == "createdTime" || k == "lastModifiedTime" || k == "internetHeaders" || k == "webLink":
				case k == "id" || k == "threadId" || k == "folderId" || slices.Contains(extra, k):
					if val != nil && val != "" {
						out[k] = "<" + k + ">"
					}
				default:
					out[k] = walkv(val)
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i := range x {
				out[i] = walkv(x[i])
			}
			return out
		}
		return v
	}
	b, err := json.MarshalIndent(walkv(v), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(me); i += 2 {
		s = strings.ReplaceAll(s, me[i], me[i+1])
	}
	return s
}

// sameMail fails unless every provider's answer reads the same once
// masked; answers are by mailbox, in e.boxes order.
func (e *emailEnv) sameMail(what string, answers []any, extra ...string) {
	e.t.Helper()
	first := mailMask(e.t, answers[0], e.boxes[0].me, extra...)
	for i := 1; i < len(answers); i++ {
		if got := mailMask(e.t, answers[i], e.boxes[i].me, extra...); got != first {
			e.t.Errorf("%s differs between %s and %s:\n%s", what, e.boxes[0].name, e.boxes[i].name, lineDiff(first, got))
		}
	}
}

// seeded mailbox: the same five messages in each provider's own terms.
//
//	q1  Bob → me, Cc Carol, "Quarterly numbers", HTML, unread, inbox
//	q2  Carol → me, Cc Bob, "Re: Quarterly numbers", text, a CSV attachment,
//	    read, inbox, In-Reply-To and References <q1@example.test>
//	l3  Dan → me, "Lunch?", text, read, flagged, keyword Project, inbox
//	a4  me → Bob, "Agenda", HTML, read, sent
//	s5  Eve → me, "Win a prize", text, unread, junk
var (
	q1HTML = "<p>Hello team,</p>\n<p>The numbers are <b>up</b> again</p>"
	q2Text = "Great news!\nThanks, Bob."
	l3Text = "Lunch at noon on Friday?"
	a4HTML = "<div>1. Numbers</div>\n<div>2. Plans</div>"
	s5Text = "Click here"
	csv    = []byte("quarter,total\nQ1,42\n")
)

func (e *emailEnv) seedMail() {
	t := e.t
	base := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }

	// Gmail.
	grace := "Grace Hopper <grace@corp.example>"
	if _, err := e.gfake.Seed("grace@corp.example",
		googletest.MailMessage{From: grace, To: []string{"Bob <bob@example.test>"}, Subject: "Agenda", HTML: a4HTML,
			MessageID: "<a4@example.test>", Date: at(0), Labels: []string{"SENT"}},
		googletest.MailMessage{From: "Bob <bob@example.test>", To: []string{grace}, Cc: []string{"Carol <carol@example.test>"},
			Subject: "Quarterly numbers", HTML: q1HTML, MessageID: "<q1@example.test>", Date: at(1)},
		googletest.MailMessage{From: "Carol <carol@example.test>", To: []string{grace}, Cc: []string{"Bob <bob@example.test>"},
			Subject: "Re: Quarterly numbers", Text: q2Text, MessageID: "<q2@example.test>", InReplyTo: "<q1@example.test>",
			References: "<q1@example.test>", Date: at(2), Labels: []string{"INBOX"},
			Attachments: []googletest.MailAttachment{{Filename: "numbers.csv", ContentType: "text/csv", Data: csv}}},
		googletest.MailMessage{From: "Dan <dan@example.test>", To: []string{grace}, Subject: "Lunch?", Text: l3Text,
			MessageID: "<l3@example.test>", Date: at(3), Labels: []string{"INBOX", "STARRED", "Project"}},
		googletest.MailMessage{From: "Eve <eve@example.test>", To: []string{grace}, Subject: "Win a prize", Text: s5Text,
			MessageID: "<s5@example.test>", Date: at(4), Labels: []string{"SPAM", "UNREAD"}},
	); err != nil {
		t.Fatal(err)
	}

	// Graph.
	me := graphtest.Recipient{Name: "Adele Vance", Address: "adele@contoso.example"}
	bob, carol := graphtest.Recipient{Name: "Bob", Address: "bob@example.test"}, graphtest.Recipient{Name: "Carol", Address: "carol@example.test"}
	thread := "AAQkADquarterly="
	for _, m := range []graphtest.Message{
		{Folder: "sentitems", From: me, To: []graphtest.Recipient{bob}, Subject: "Agenda", Body: a4HTML, BodyIsHTML: true,
			InternetMsgID: "<a4@example.test>", ReceivedAt: at(0), IsRead: true},
		{From: bob, To: []graphtest.Recipient{me}, Cc: []graphtest.Recipient{carol}, Subject: "Quarterly numbers", Body: q1HTML,
			BodyIsHTML: true, InternetMsgID: "<q1@example.test>", ReceivedAt: at(1), ConversationID: thread},
		{From: carol, To: []graphtest.Recipient{me}, Cc: []graphtest.Recipient{bob}, Subject: "Re: Quarterly numbers", Body: q2Text,
			InternetMsgID: "<q2@example.test>", ReceivedAt: at(2), IsRead: true, ConversationID: thread,
			Headers:     map[string]string{"In-Reply-To": "<q1@example.test>", "References": "<q1@example.test>"},
			Attachments: []graphtest.Attachment{{Name: "numbers.csv", ContentType: "text/csv", Content: csv}}},
		{From: graphtest.Recipient{Name: "Dan", Address: "dan@example.test"}, To: []graphtest.Recipient{me}, Subject: "Lunch?",
			Body: l3Text, InternetMsgID: "<l3@example.test>", ReceivedAt: at(3), IsRead: true, Flagged: true, Categories: []string{"Project"}},
		{Folder: "junkemail", From: graphtest.Recipient{Name: "Eve", Address: "eve@example.test"}, To: []graphtest.Recipient{me},
			Subject: "Win a prize", Body: s5Text, InternetMsgID: "<s5@example.test>", ReceivedAt: at(4)},
	} {
		if _, err := e.mfake.SeedMessage(e.adele.ObjectID, m); err != nil {
			t.Fatal(err)
		}
	}

	// Dovecot.
	ann := e.dv.User("ann")
	annAddr := "Ann Example <ann@example.test>"
	raw := func(from, to, cc, subject, id, extra, ctype, body string, date time.Time) []byte {
		h := "From: " + from + "\r\nTo: " + to + "\r\n"
		if cc != "" {
			h += "Cc: " + cc + "\r\n"
		}
		h += "Subject: " + subject + "\r\nDate: " + date.Format(time.RFC1123Z) + "\r\nMessage-ID: " + id + "\r\n" + extra +
			"MIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\n\r\n"
		return []byte(h + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n")
	}
	dvAppend := func(folder string, data []byte, flags []string, date time.Time) {
		var fl []goimap.Flag
		for _, f := range flags {
			fl = append(fl, goimap.Flag(f))
		}
		e.dv.Append(t, ann, folder, data, fl, date)
	}
	dvAppend("Sent", raw(annAddr, "Bob <bob@example.test>", "", "Agenda", "<a4@example.test>", "", "text/html; charset=utf-8", a4HTML, at(0)),
		[]string{`\Seen`}, at(0))
	dvAppend("INBOX", raw("Bob <bob@example.test>", annAddr, "Carol <carol@example.test>", "Quarterly numbers", "<q1@example.test>", "",
		"text/html; charset=utf-8", q1HTML, at(1)), nil, at(1))
	q2 := "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(q2Text, "\n", "\r\n") + "\r\n" +
		"--b1\r\nContent-Type: text/csv; name=\"numbers.csv\"\r\nContent-Disposition: attachment; filename=\"numbers.csv\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(csv) + "\r\n--b1--"
	dvAppend("INBOX", raw("Carol <carol@example.test>", annAddr, "Bob <bob@example.test>", "Re: Quarterly numbers", "<q2@example.test>",
		"In-Reply-To: <q1@example.test>\r\nReferences: <q1@example.test>\r\n", `multipart/mixed; boundary="b1"`, q2, at(2)),
		[]string{`\Seen`}, at(2))
	dvAppend("INBOX", raw("Dan <dan@example.test>", annAddr, "", "Lunch?", "<l3@example.test>", "", "text/plain; charset=utf-8", l3Text, at(3)),
		[]string{`\Seen`, `\Flagged`, "Project"}, at(3))
	dvAppend("Junk", raw("Eve <eve@example.test>", annAddr, "", "Win a prize", "<s5@example.test>", "", "text/plain; charset=utf-8", s5Text, at(4)),
		nil, at(4))
}

// list reads every page of a message list.
func (e *emailEnv) list(b *mailbox, path string) []any {
	e.t.Helper()
	var out []any
	endpoint, _, _ := strings.Cut(path, "?")
	next := path
	for range 20 {
		p := e.must(200, b, "GET", next, nil)
		recs, _ := p["records"].([]any)
		out = append(out, recs...)
		tok, _ := p["nextPageToken"].(string)
		if tok == "" {
			return out
		}
		next = endpoint + "?pageToken=" + url.QueryEscape(tok)
	}
	e.t.Fatalf("%s: %s does not end", b.name, path)
	return nil
}

// bySubject sorts records by subject, then receivedAt.
func bySubject(recs []any) []any {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i].(map[string]any), recs[j].(map[string]any)
		return fmt.Sprint(a["subject"], a["receivedAt"]) < fmt.Sprint(b["subject"], b["receivedAt"])
	})
	return recs
}

// find returns the record with the subject.
func find(t *testing.T, recs []any, subject string) map[string]any {
	t.Helper()
	for _, r := range recs {
		if m := r.(map[string]any); m["subject"] == subject {
			return m
		}
	}
	t.Fatalf("no message %q in %d records", subject, len(recs))
	return nil
}

// TestEmail_sameJSONFromGmailGraphAndIMAP seeds the same mailbox into the
// Gmail fake, the Graph fake and Dovecot and reads it through every email
// endpoint, expecting the same JSON from all three once what differs by
// nature is masked; then it replies, works drafts and changes messages on
// all three and reads the results the same way.
func TestEmail_sameJSONFromGmailGraphAndIMAP(t *testing.T) {
	t.Parallel()
	e := newEmailEnv(t)
	e.seedMail()
	each := func(f func(b *mailbox) any) []any {
		out := make([]any, len(e.boxes))
		for i, b := range e.boxes {
			out[i] = f(b)
		}
		return out
	}
	ids := map[string]map[string]string{} // box → subject → id
	for _, b := range e.boxes {
		ids[b.name] = map[string]string{}
		for _, r := range e.list(b, "/email/messages?includeTrashAndJunk=true&limit=2") {
			m := r.(map[string]any)
			ids[b.name][m["subject"].(string)] = m["id"].(string)
		}
	}

	// Lists: whole mailbox (newest first, in pages), with bodies, queries.
	for _, path := range []string{
		"/email/messages?limit=2",
		"/email/messages?bodyType=text",
		"/email/messages?bodyType=html&includeTrashAndJunk=true",
		"/email/messages?q=" + url.QueryEscape("from:bob@example.test"),
		"/email/messages?q=" + url.QueryEscape("is:unread"),
		"/email/messages?q=" + url.QueryEscape("has:attachment"),
		"/email/messages?q=" + url.QueryEscape("subject:Quarterly"),
		"/email/messages?q=" + url.QueryEscape("lunch"),
	} {
		e.sameMail("GET "+path, each(func(b *mailbox) any { return e.list(b, path) }))
	}

	// Single reads, both body types, attachments, raw.
	for _, subject := range []string{"Quarterly numbers", "Re: Quarterly numbers", "Lunch?", "Agenda"} {
		for _, bt := range []string{"html", "text"} {
			e.sameMail("GET "+subject+" "+bt, each(func(b *mailbox) any {
				return e.must(200, b, "GET", "/email/messages/"+url.PathEscape(ids[b.name][subject])+"?bodyType="+bt, nil)
			}))
		}
	}
	e.sameMail("attachment", each(func(b *mailbox) any {
		m := e.must(200, b, "GET", "/email/messages/"+url.PathEscape(ids[b.name]["Re: Quarterly numbers"]), nil)
		att := m["attachments"].([]any)[0].(map[string]any)
		return e.must(200, b, "GET", "/email/messages/"+url.PathEscape(ids[b.name]["Re: Quarterly numbers"])+"/attachments/"+
			url.PathEscape(att["id"].(string)), nil)
	}))
	for _, b := range e.boxes {
		status, raw := e.call(b.tok, "GET", "/email/messages/"+url.PathEscape(ids[b.name]["Lunch?"])+"/raw", nil)
		if status != 200 || !bytes.Contains(raw, []byte("Subject: Lunch?")) || !bytes.Contains(raw, []byte("Lunch at noon on Friday?")) {
			t.Errorf("%s: raw = %d %q", b.name, status, raw)
		}
		if status, _ := e.call(b.tok, "GET", "/email/messages/"+b.bogus, nil); status != 404 {
			t.Errorf("%s: unknown message = %d, want 404", b.name, status)
		}
	}

	// Folders: the system folders and the well-known ones.
	e.sameMail("system folders", each(func(b *mailbox) any {
		var sys []string
		for _, f := range e.must(200, b, "GET", "/email/folders", nil)["records"].([]any) {
			if l, _ := f.(map[string]any)["sysLabel"].(string); l != "" {
				sys = append(sys, l)
			}
		}
		sort.Strings(sys)
		return sys
	}))
	wk := each(func(b *mailbox) any { return e.must(200, b, "GET", "/email/folders/wellKnown", nil) })
	e.sameMail("well-known folders", wk, "archive", "sent", "inbox", "drafts", "trash", "junk")
	e.sameMail("sent folder", each(func(b *mailbox) any {
		sent := wk[slices.Index(e.boxes, b)].(map[string]any)["sent"].(string)
		return e.list(b, "/email/folders/"+url.PathEscape(sent)+"/messages?bodyType=html")
	}))

	// Conversation: the two messages of the quarterly thread, oldest
	// first, under the threadId of both.
	threads := map[string]string{}
	e.sameMail("conversation", each(func(b *mailbox) any {
		q1 := e.must(200, b, "GET", "/email/messages/"+url.PathEscape(ids[b.name]["Quarterly numbers"]), nil)
		q2 := e.must(200, b, "GET", "/email/messages/"+url.PathEscape(ids[b.name]["Re: Quarterly numbers"]), nil)
		if q1["threadId"] == nil || q1["threadId"] != q2["threadId"] {
			t.Errorf("%s: thread ids %v and %v", b.name, q1["threadId"], q2["threadId"])
		}
		threads[b.name] = q1["threadId"].(string)
		return e.list(b, "/email/conversations/"+url.PathEscape(threads[b.name])+"?bodyType=text&limit=1")
	}))

	// Sync: the first round of the inbox messages.
	e.sameMail("sync updated (inbox)", each(func(b *mailbox) any {
		st := e.must(200, b, "POST", "/email/sync?daysWithin=7&bodyType=text", nil)
		var inbox []any
		tok := "deltaToken=" + url.QueryEscape(st["syncUpdatedToken"].(string))
		for range 20 {
			p := e.must(200, b, "GET", "/email/sync/updated?"+tok, nil)
			for _, r := range p["records"].([]any) {
				if slices.Contains(r.(map[string]any)["sysLabels"].([]any), any("inbox")) {
					inbox = append(inbox, r)
				}
			}
			if p["nextPageToken"] == nil {
				break
			}
			tok = "pageToken=" + url.QueryEscape(p["nextPageToken"].(string))
		}
		return bySubject(inbox)
	}))

	// Reply all (text): recipients from the parent, threaded.
	e.sameMail("reply", each(func(b *mailbox) any {
		return e.must(200, b, "POST", "/email/messages/"+url.PathEscape(ids[b.name]["Quarterly numbers"])+"/reply?bodyType=text&replyAll=true",
			map[string]any{"body": "Thanks, all.", "from": map[string]any{"name": b.myName, "address": b.me[0]}})
	}))
	e.sameMail("conversation after the reply", each(func(b *mailbox) any {
		return e.list(b, "/email/conversations/"+url.PathEscape(threads[b.name])+"?bodyType=text")
	}), "receivedAt", "sentAt", "internetMessageId")

	// Drafts: create, read, update, send; create and delete.
	draft := func(b *mailbox, subject string, cc bool) map[string]any {
		d := map[string]any{"subject": subject, "body": "See you <b>there</b>", "from": map[string]any{"name": b.myName, "address": b.me[0]},
			"to": []any{map[string]any{"name": "Bob", "address": "bob@example.test"}}}
		if cc {
			d["cc"] = []any{map[string]any{"name": "Carol", "address": "carol@example.test"}}
		}
		return d
	}
	drafts := map[string]string{}
	e.sameMail("draft created", each(func(b *mailbox) any {
		d := e.must(200, b, "POST", "/email/drafts?bodyType=html", draft(b, "Offsite", false))
		drafts[b.name] = d["id"].(string)
		return e.must(200, b, "GET", "/email/drafts/"+url.PathEscape(drafts[b.name])+"?bodyType=html", nil)
	}), "receivedAt", "sentAt", "internetMessageId")
	e.sameMail("draft updated", each(func(b *mailbox) any {
		d := e.must(200, b, "PUT", "/email/drafts/"+url.PathEscape(drafts[b.name])+"?bodyType=html", draft(b, "Offsite (v2)", true))
		drafts[b.name] = d["id"].(string)
		return e.must(200, b, "GET", "/email/drafts/"+url.PathEscape(drafts[b.name])+"?bodyType=text", nil)
	}), "receivedAt", "sentAt", "internetMessageId")
	e.sameMail("draft sent", each(func(b *mailbox) any {
		out := e.must(200, b, "POST", "/email/drafts/"+url.PathEscape(drafts[b.name])+"/send", nil)
		if status, _ := e.call(b.tok, "GET", "/email/drafts/"+url.PathEscape(drafts[b.name]), nil); status != 404 {
			t.Errorf("%s: a sent draft reads %d, want 404", b.name, status)
		}
		return map[string]any{"status": out["status"]}
	}))
	e.sameMail("sent folder after the sends", each(func(b *mailbox) any {
		sent := wk[slices.Index(e.boxes, b)].(map[string]any)["sent"].(string)
		return bySubject(e.list(b, "/email/folders/"+url.PathEscape(sent)+"/messages?bodyType=text"))
	}), "receivedAt", "sentAt", "internetMessageId")
	for _, b := range e.boxes {
		d := e.must(200, b, "POST", "/email/drafts", map[string]any{"subject": "Scratch", "body": "tbd"})
		e.must(200, b, "DELETE", "/email/drafts/"+url.PathEscape(d["id"].(string)), nil)
		for _, tc := range []struct{ method, path string }{
			{"GET", "/email/drafts/" + url.PathEscape(d["id"].(string))},
			{"DELETE", "/email/drafts/" + url.PathEscape(d["id"].(string))},
			{"GET", "/email/drafts/" + url.PathEscape(ids[b.name]["Lunch?"])},
			{"POST", "/email/drafts/" + url.PathEscape(ids[b.name]["Lunch?"]) + "/send"},
			{"DELETE", "/email/drafts/" + url.PathEscape(ids[b.name]["Lunch?"])},
			{"GET", "/email/conversations/" + b.bogus},
		} {
			if status, raw := e.call(b.tok, tc.method, tc.path, nil); status != 404 {
				t.Errorf("%s: %s %s = %d %s, want 404", b.name, tc.method, tc.path, status, raw)
			}
		}
	}

	// Status and trash.
	e.sameMail("status", each(func(b *mailbox) any {
		e.must(200, b, "POST", "/email/messages/"+url.PathEscape(ids[b.name]["Lunch?"])+"/status", map[string]any{"unread": true})
		return e.must(200, b, "GET", "/email/messages/"+url.PathEscape(ids[b.name]["Lunch?"])+"?bodyType=text", nil)
	}))
	e.sameMail("trash", each(func(b *mailbox) any {
		e.must(200, b, "DELETE", "/email/messages/"+url.PathEscape(ids[b.name]["Lunch?"]), nil)
		return find(t, e.list(b, "/email/messages?includeTrashAndJunk=true"), "Lunch?")["sysLabels"]
	}))
}

// lineDiff shows the lines around the first difference of a and b.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	i := 0
	for i < len(al) && i < len(bl) && al[i] == bl[i] {
		i++
	}
	from := max(0, i-12)
	cut := func(l []string) string { return strings.Join(l[from:min(len(l), i+8)], "\n") }
	return fmt.Sprintf("first difference at line %d\n--- first\n%s\n--- other\n%s", i+1, cut(al), cut(bl))
}
