package aurinko_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// mailEnv is a server with the Microsoft 365 connector against graphtest,
// and two signed-in Office365 accounts (Adele and Megan).
type mailEnv struct {
	t        *testing.T
	api      *httptest.Server
	graph    *graphtest.Server
	adele    graphtest.User
	megan    graphtest.User
	tokA     string // account token of Adele's account
	tokB     string // account token of Megan's account
	apiURL   string
	client   *http.Client
	seededAt time.Time
	srv      *aurinko.Server
}

func newMailEnv(t *testing.T) *mailEnv { t.Helper(); return newMailEnvWith(t, nil) }

// newMailEnvWith is newMailEnv with a hook that adjusts the server's
// Config.
func newMailEnvWith(t *testing.T, adjust func(*aurinko.Config)) *mailEnv {
	t.Helper()
	megan := graphtest.User{ObjectID: "00000000-0000-0000-0000-0000000000b2", TenantID: "00000000-0000-0000-0000-00000000c0de",
		UserPrincipalName: "megan@contoso.example", Mail: "megan@contoso.example", DisplayName: "Megan Bowen"}
	adele := graphtest.User{ObjectID: "00000000-0000-0000-0000-0000000000a1", TenantID: "00000000-0000-0000-0000-00000000c0de",
		UserPrincipalName: "adele@contoso.example", Mail: "adele@contoso.example", DisplayName: "Adele Vance"}
	g := graphtest.New(t, graphtest.Options{ClientID: "ms-client", ClientSecret: "ms-secret", Users: []graphtest.User{adele, megan}})
	hc := &http.Client{Timeout: 10 * time.Second}
	ctx := context.Background()
	o365, err := office365.New(ctx, office365.Config{ClientID: "ms-client", ClientSecret: "ms-secret", HTTPClient: hc,
		Endpoints: &office365.Endpoints{LoginBaseURL: g.URL(), GraphBaseURL: g.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewUnstartedServer(nil)
	cfg := aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: testKeyring(t), HTTPClient: hc,
		PublicURL: "https://" + api.Listener.Addr().String(), Connectors: []connectors.Connector{o365}}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := aurinko.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	api.Config.Handler = mux
	api.StartTLS()
	t.Cleanup(api.Close)
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: appID, ClientSecret: appSecret, ReturnURLs: []string{returnURL}}); err != nil {
		t.Fatal(err)
	}
	e := &mailEnv{t: t, api: api, graph: g, adele: adele, megan: megan, apiURL: api.URL + "/v1", client: api.Client(), srv: srv}
	e.tokA = e.signIn(adele)
	e.tokB = e.signIn(megan)
	return e
}

// signIn runs the account token flow for a user and returns the token.
func (e *mailEnv) signIn(u graphtest.User) string {
	e.t.Helper()
	if err := e.graph.SetNextUser(u.ObjectID); err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := *e.api.Client()
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	v := url.Values{"clientId": {appID}, "returnUrl": {returnURL}, "serviceType": {"Office365"}, "responseType": {"token"},
		"scopes": {"Mail.ReadWrite Mail.Send"}}
	resp, err := c.Get(e.apiURL + "/auth/authorize?" + v.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok := loc.Query().Get("accessToken")
	if tok == "" {
		e.t.Fatalf("sign-in of %s: %d %s", u.Mail, resp.StatusCode, resp.Header.Get("Location"))
	}
	return tok
}

// call sends a request with an account token and decodes a JSON answer.
func (e *mailEnv) call(tok, method, path string, body any, out any) (int, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.apiURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(raw)
		} else if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type page struct {
	Records        []map[string]any `json:"records"`
	NextPageToken  string           `json:"nextPageToken"`
	NextDeltaToken string           `json:"nextDeltaToken"`
	Length         int              `json:"length"`
	Code           string           `json:"code"`
}

// seed puts n messages into Adele's inbox, one hour apart, newest last.
func (e *mailEnv) seed(n int) []graphtest.Message {
	e.t.Helper()
	base := time.Now().UTC().Add(-time.Duration(n+1) * time.Hour).Truncate(time.Second)
	var out []graphtest.Message
	for i := range n {
		m := graphtest.Message{Subject: fmt.Sprintf("Report %02d", i), Body: fmt.Sprintf("<p>Body <b>%d</b></p>", i), BodyIsHTML: true,
			From: graphtest.Recipient{Name: "Ann", Address: fmt.Sprintf("ann%d@example.com", i%3)},
			To:   []graphtest.Recipient{{Name: "Adele Vance", Address: "adele@contoso.example"}}, ReceivedAt: base.Add(time.Duration(i) * time.Hour),
			IsRead: i%2 == 0}
		if i == 1 {
			m.Attachments = []graphtest.Attachment{{Name: "a.txt", ContentType: "text/plain", Content: []byte("hello attachment")}}
		}
		s, err := e.graph.SeedMessage(e.adele.ObjectID, m)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestEmail_listPagesAndFilters(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	seeded := e.seed(7)
	var got []string
	path := "/email/messages?limit=3"
	for pages := 0; ; pages++ {
		var p page
		if status, _ := e.call(e.tokA, "GET", path, nil, &p); status != 200 {
			t.Fatalf("list = %d %+v", status, p)
		}
		for _, r := range p.Records {
			got = append(got, r["subject"].(string))
			if r["body"] != nil || !strings.Contains(fmt.Sprint(r["omitted"]), "body") {
				t.Fatalf("list without bodyType has a body: %v", r)
			}
		}
		if p.NextPageToken == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		path = "/email/messages?pageToken=" + url.QueryEscape(p.NextPageToken)
	}
	if len(got) != 7 || got[0] != "Report 06" || got[6] != "Report 00" {
		t.Fatalf("listed %v", got)
	}

	tests := []struct {
		q    string
		want int
	}{
		{"is:unread", 3},
		{"from:ann1@example.com", 2},
		{"has:attachment", 1},
		{`subject:"Report 05"`, 1},
		{"after:" + seeded[5].ReceivedAt.Format("2006/01/02"), -1},
		{"Body", 7},
		{"to:adele@contoso.example is:unread", 3},
	}
	for _, tt := range tests {
		var p page
		if status, _ := e.call(e.tokA, "GET", "/email/messages?bodyType=text&q="+url.QueryEscape(tt.q), nil, &p); status != 200 {
			t.Fatalf("q=%q: %d %+v", tt.q, status, p)
		}
		if tt.want >= 0 && p.Length != tt.want {
			t.Errorf("q=%q: %d records, want %d", tt.q, p.Length, tt.want)
		}
		for _, r := range p.Records {
			if b, _ := r["body"].(string); strings.Contains(b, "<") {
				t.Errorf("bodyType=text gave %q", b)
			}
		}
	}
}

func TestEmail_getRawAttachmentStatusTrashFolders(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	seeded := e.seed(3)
	id := seeded[1].ID
	var m map[string]any
	if status, _ := e.call(e.tokA, "GET", "/email/messages/"+id, nil, &m); status != 200 {
		t.Fatalf("get = %d %v", status, m)
	}
	atts, _ := m["attachments"].([]any)
	if m["subject"] != "Report 01" || !strings.Contains(m["body"].(string), "<b>1</b>") || len(atts) != 1 ||
		m["from"].(map[string]any)["address"] != "ann1@example.com" || !strings.Contains(fmt.Sprint(m["sysLabels"]), "inbox") {
		t.Fatalf("message = %v", m)
	}
	var text map[string]any
	e.call(e.tokA, "GET", "/email/messages/"+id+"?bodyType=text", nil, &text)
	if text["body"] != "Body 1" {
		t.Fatalf("text body = %q", text["body"])
	}
	var raw string
	if status, hdr := e.call(e.tokA, "GET", "/email/messages/"+id+"/raw", nil, &raw); status != 200 || !strings.Contains(raw, "Subject: Report 01") ||
		hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("raw = %d %q", status, raw)
	}
	attID := atts[0].(map[string]any)["id"].(string)
	var att map[string]any
	if status, _ := e.call(e.tokA, "GET", "/email/messages/"+id+"/attachments/"+attID, nil, &att); status != 200 {
		t.Fatalf("attachment = %d %v", status, att)
	}
	if c, _ := base64.StdEncoding.DecodeString(att["content"].(string)); string(c) != "hello attachment" {
		t.Fatalf("attachment content = %v", att)
	}

	var ok map[string]any
	if status, _ := e.call(e.tokA, "POST", "/email/messages/"+id+"/status", map[string]any{"unread": false, "keywords": []string{"Blue", "Red"}}, &ok); status != 200 || ok["status"] != "Ok" {
		t.Fatalf("status = %d %v", status, ok)
	}
	e.call(e.tokA, "GET", "/email/messages/"+id, nil, &m)
	if strings.Contains(fmt.Sprint(m["sysLabels"]), "unread") || fmt.Sprint(m["keywords"]) != "[Blue Red]" {
		t.Fatalf("after status: %v %v", m["sysLabels"], m["keywords"])
	}

	if status, _ := e.call(e.tokA, "DELETE", "/email/messages/"+id, nil, &ok); status != 200 {
		t.Fatalf("delete = %d", status)
	}
	e.call(e.tokA, "GET", "/email/messages/"+id, nil, &m)
	if !strings.Contains(fmt.Sprint(m["sysLabels"]), "trash") {
		t.Fatalf("deleted message labels %v", m["sysLabels"])
	}
	var p page
	e.call(e.tokA, "GET", "/email/messages", nil, &p)
	if p.Length != 2 {
		t.Fatalf("trash is listed by default: %d", p.Length)
	}
	e.call(e.tokA, "GET", "/email/messages?includeTrashAndJunk=true", nil, &p)
	if p.Length != 3 {
		t.Fatalf("includeTrashAndJunk lists %d", p.Length)
	}

	var wk map[string]string
	if status, _ := e.call(e.tokA, "GET", "/email/folders/wellKnown", nil, &wk); status != 200 || wk["sent"] != e.graph.FolderID(e.adele.ObjectID, "sentitems") || wk["archive"] == "" {
		t.Fatalf("wellKnown = %d %v", status, wk)
	}
	var folders struct {
		Records []map[string]any `json:"records"`
	}
	if status, _ := e.call(e.tokA, "GET", "/email/folders", nil, &folders); status != 200 || len(folders.Records) != 6 {
		t.Fatalf("folders = %d %v", status, folders)
	}
	e.call(e.tokA, "GET", "/email/folders/"+wk["trash"]+"/messages", nil, &p)
	if p.Length != 1 || p.Records[0]["id"] != id {
		t.Fatalf("trash folder lists %+v", p)
	}
}

func TestEmail_send(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	msg := map[string]any{"subject": "Lunch", "body": "How about <b>lunch</b>?", "to": []map[string]string{{"address": "partner@example.com", "name": "P"}},
		"attachments": []map[string]any{{"name": "menu.txt", "mimeType": "text/plain", "content": base64.StdEncoding.EncodeToString([]byte("soup"))}}}
	var res map[string]any
	if status, _ := e.call(e.tokA, "POST", "/email/messages?returnIds=true", msg, &res); status != 201 || res["status"] != "Ok" || res["id"] == "" {
		t.Fatalf("send = %d %v", status, res)
	}
	var m map[string]any
	if status, _ := e.call(e.tokA, "GET", "/email/messages/"+res["id"].(string), nil, &m); status != 200 || !strings.Contains(fmt.Sprint(m["sysLabels"]), "sent") {
		t.Fatalf("sent message = %d %v", status, m)
	}
	if status, _ := e.call(e.tokA, "POST", "/email/messages", msg, &res); status != 201 {
		t.Fatalf("sendMail = %d %v", status, res)
	}
	if n := len(e.graph.Sent()); n != 2 {
		t.Fatalf("the fake sent %d", n)
	}
	// A failed send is never reported as sent.
	e.graph.FailNextGraph(503, "ServiceUnavailable", "down", http.Header{"Retry-After": {"7"}})
	if status, hdr := e.call(e.tokA, "POST", "/email/messages", msg, &res); status != 503 || hdr.Get("Retry-After") != "7" {
		t.Fatalf("failed send = %d %v", status, res)
	}
}

func TestEmail_syncSeesCreatesUpdatesDeletesAcrossPages(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	seeded := e.seed(5)
	var st map[string]any
	if status, _ := e.call(e.tokA, "POST", "/email/sync?daysWithin=2", nil, &st); status != 200 || st["ready"] != true {
		t.Fatalf("sync start = %d %v", status, st)
	}
	drain := func(path, param, tok string) ([]map[string]any, string) {
		var all []map[string]any
		q := param + "=" + url.QueryEscape(tok)
		for range 20 {
			var p page
			if status, _ := e.call(e.tokA, "GET", path+"?"+q, nil, &p); status != 200 {
				t.Fatalf("%s = %d %+v", path, status, p)
			}
			all = append(all, p.Records...)
			if p.NextDeltaToken != "" {
				return all, p.NextDeltaToken
			}
			q = "pageToken=" + url.QueryEscape(p.NextPageToken)
		}
		t.Fatal("sync does not end")
		return nil, ""
	}
	ups, nextUp := drain("/email/sync/updated", "deltaToken", st["syncUpdatedToken"].(string))
	if len(ups) != 5 {
		t.Fatalf("first round: %d updated", len(ups))
	}
	dels, nextDel := drain("/email/sync/deleted", "deltaToken", st["syncDeletedToken"].(string))
	if len(dels) != 0 {
		t.Fatalf("first round: %d deleted", len(dels))
	}
	// Changes: one new, one read, one trashed, one destroyed.
	extra, _ := e.graph.SeedMessage(e.adele.ObjectID, graphtest.Message{Subject: "New one", From: graphtest.Recipient{Address: "x@example.com"}})
	e.call(e.tokA, "POST", "/email/messages/"+seeded[1].ID+"/status", map[string]any{"unread": true}, nil)
	e.call(e.tokA, "DELETE", "/email/messages/"+seeded[2].ID, nil, nil)
	if err := e.graph.DeleteMessage(e.adele.ObjectID, seeded[3].ID); err != nil {
		t.Fatal(err)
	}
	ups, _ = drain("/email/sync/updated", "deltaToken", nextUp)
	ids := map[string]bool{}
	for _, r := range ups {
		ids[r["id"].(string)] = true
	}
	if len(ups) != 2 || !ids[extra.ID] || !ids[seeded[1].ID] {
		t.Fatalf("second round updated %v", ids)
	}
	dels, _ = drain("/email/sync/deleted", "deltaToken", nextDel)
	ids = map[string]bool{}
	for _, r := range dels {
		ids[r["id"].(string)] = true
	}
	if len(dels) != 2 || !ids[seeded[2].ID] || !ids[seeded[3].ID] {
		t.Fatalf("second round deleted %v", dels)
	}

	// An expired provider sync state is 410: start again.
	e.graph.ExpireDeltaTokens()
	var p page
	if status, _ := e.call(e.tokA, "GET", "/email/sync/updated?deltaToken="+url.QueryEscape(nextUp), nil, &p); status != 410 || p.Code != "syncToken.expired" {
		t.Fatalf("expired delta token = %d %+v", status, p)
	}
}

func TestEmail_oneAccountNeverReadsAnother(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	seeded := e.seed(2)
	id := seeded[1].ID
	var body map[string]any
	for _, c := range []struct{ method, path string }{
		{"GET", "/email/messages/" + id},
		{"GET", "/email/messages/" + id + "/raw"},
		{"DELETE", "/email/messages/" + id},
		{"GET", "/email/messages/" + id + "/attachments/" + seeded[1].Attachments[0].ID},
	} {
		if status, _ := e.call(e.tokB, c.method, c.path, nil, &body); status != 404 {
			t.Errorf("Megan %s %s = %d, want 404", c.method, c.path, status)
		}
	}
	if status, _ := e.call(e.tokB, "POST", "/email/messages/"+id+"/status", map[string]any{"unread": true}, &body); status != 404 {
		t.Errorf("Megan updates Adele's message: %d", status)
	}
	var p page
	e.call(e.tokB, "GET", "/email/messages", nil, &p)
	if p.Length != 0 {
		t.Fatalf("Megan lists %d messages", p.Length)
	}
	// Tokens are bound to the account.
	var pa page
	e.call(e.tokA, "GET", "/email/messages?limit=1", nil, &pa)
	var st map[string]any
	e.call(e.tokA, "POST", "/email/sync", nil, &st)
	for _, path := range []string{
		"/email/messages?pageToken=" + url.QueryEscape(pa.NextPageToken),
		"/email/sync/updated?deltaToken=" + url.QueryEscape(st["syncUpdatedToken"].(string)),
	} {
		if status, _ := e.call(e.tokB, "GET", path, nil, &body); status != 400 {
			t.Errorf("Megan uses Adele's token %s = %d, want 400", path, status)
		}
	}
}

func TestEmail_badInput(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	seeded := e.seed(2)
	var pa page
	e.call(e.tokA, "GET", "/email/messages?limit=1", nil, &pa)
	var st map[string]any
	e.call(e.tokA, "POST", "/email/sync", nil, &st)
	tampered := []byte(pa.NextPageToken)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"unknown id", "GET", "/email/messages/AAkALgAAunknown=", nil, 404},
		{"id with a slash", "GET", "/email/messages/a%2F..%2Fb", nil, 400},
		{"id with a space", "GET", "/email/messages/a%20b", nil, 400},
		{"id with a query", "GET", "/email/messages/a%3F%24value", nil, 400},
		{"malformed q", "GET", "/email/messages?q=" + url.QueryEscape(`subject:"open`), nil, 400},
		{"bad date", "GET", "/email/messages?q=after:tomorrow", nil, 400},
		{"bad limit", "GET", "/email/messages?limit=-3", nil, 400},
		{"bad bodyType", "GET", "/email/messages?bodyType=rtf", nil, 400},
		{"garbage pageToken", "GET", "/email/messages?pageToken=xyz", nil, 400},
		{"tampered pageToken", "GET", "/email/messages?pageToken=" + url.QueryEscape(string(tampered)), nil, 400},
		{"page token as delta token", "GET", "/email/sync/updated?deltaToken=" + url.QueryEscape(pa.NextPageToken), nil, 400},
		{"updated token on deleted", "GET", "/email/sync/deleted?deltaToken=" + url.QueryEscape(st["syncUpdatedToken"].(string)), nil, 400},
		{"no token", "GET", "/email/sync/updated", nil, 400},
		{"send without recipient", "POST", "/email/messages", map[string]any{"subject": "x"}, 400},
		{"header injection", "POST", "/email/messages", map[string]any{"subject": "x\r\nBcc: evil@example.com", "to": []map[string]string{{"address": "a@example.com"}}}, 400},
		{"bad address", "POST", "/email/messages", map[string]any{"to": []map[string]string{{"address": "not an address"}}}, 400},
		{"empty status", "POST", "/email/messages/" + seeded[0].ID + "/status", map[string]any{}, 400},
	}
	for _, tt := range tests {
		var body map[string]any
		if status, _ := e.call(e.tokA, tt.method, tt.path, tt.body, &body); status != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, status, body, tt.want)
		}
	}
	// Provider throttling and outages pass through with Retry-After.
	e.graph.ThrottleNext(9)
	var body map[string]any
	if status, hdr := e.call(e.tokA, "GET", "/email/messages/"+seeded[0].ID, nil, &body); status != 429 || hdr.Get("Retry-After") != "9" {
		t.Fatalf("throttled = %d %q", status, hdr.Get("Retry-After"))
	}
	e.graph.FailNextGraph(503, "ServiceUnavailable", "down", http.Header{"Retry-After": {"4"}})
	if status, hdr := e.call(e.tokA, "GET", "/email/messages", nil, &body); status != 503 || hdr.Get("Retry-After") != "4" {
		t.Fatalf("outage = %d %q", status, hdr.Get("Retry-After"))
	}
	// No session: 401.
	if status, _ := e.call("nope", "GET", "/email/messages", nil, &body); status != 401 {
		t.Fatalf("no credentials = %d", status)
	}
}

// TestEmail_replyConversationAndDraftsOnGraph checks the reply, the
// conversation and the draft endpoints over HTTP against graphtest: what
// reaches Graph, the threading headers, the scoping of page tokens and the
// refusals.
func TestEmail_replyConversationAndDraftsOnGraph(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	seeded := e.seed(3)
	parent := seeded[2]
	if err := e.graph.ChangeMessage(e.adele.ObjectID, seeded[1].ID, func(m *graphtest.Message) {
		m.ConversationID = parent.ConversationID
		m.Cc = []graphtest.Recipient{{Name: "Carol", Address: "carol@example.com"}}
	}); err != nil {
		t.Fatal(err)
	}

	// Reply all: recipients from the parent, threaded by Graph.
	var sent map[string]any
	if status, _ := e.call(e.tokA, "POST", "/email/messages/"+url.PathEscape(seeded[1].ID)+"/reply?replyAll=true&bodyType=text",
		map[string]any{"body": "Noted."}, &sent); status != 200 || sent["status"] != "Ok" || sent["threadId"] != parent.ConversationID {
		t.Fatalf("reply = %d %v", status, sent)
	}
	out := e.graph.Sent()
	last := out[len(out)-1]
	if last.Subject != "Re: Report 01" || len(last.To) != 1 || last.To[0].Address != "ann1@example.com" || len(last.Cc) != 1 ||
		last.Headers["In-Reply-To"] != seeded[1].InternetMsgID || last.ConversationID != parent.ConversationID || last.Body != "Noted." {
		t.Fatalf("sent reply = %+v", last)
	}
	// A send whose inReplyTo names a message of the mailbox is a reply.
	if status, _ := e.call(e.tokA, "POST", "/email/messages?bodyType=text", map[string]any{"subject": "Re: Report 00", "body": "ok",
		"to": []any{map[string]any{"address": "ann0@example.com"}}, "inReplyTo": seeded[0].InternetMsgID}, nil); status != 201 {
		t.Fatalf("send = %d", status)
	}
	out = e.graph.Sent()
	if last := out[len(out)-1]; last.Headers["In-Reply-To"] != seeded[0].InternetMsgID || last.ConversationID != seeded[0].ConversationID {
		t.Fatalf("sent answer = %+v", last)
	}

	// The conversation, oldest first, in pages whose token is bound to it.
	var p page
	if status, _ := e.call(e.tokA, "GET", "/email/conversations/"+url.PathEscape(parent.ConversationID)+"?limit=1", nil, &p); status != 200 ||
		len(p.Records) != 1 || p.Records[0]["subject"] != "Report 01" || p.NextPageToken == "" {
		t.Fatalf("conversation = %d %+v", status, p)
	}
	tok := url.QueryEscape(p.NextPageToken)
	if status, _ := e.call(e.tokA, "GET", "/email/conversations/"+url.PathEscape(seeded[0].ConversationID)+"?pageToken="+tok, nil, nil); status != 400 {
		t.Fatalf("a page token of another conversation = %d, want 400", status)
	}
	if status, _ := e.call(e.tokA, "GET", "/email/messages?pageToken="+tok, nil, nil); status != 400 {
		t.Fatalf("a conversation token for the message list = %d, want 400", status)
	}
	var rest []string
	for p.NextPageToken != "" {
		next := url.QueryEscape(p.NextPageToken)
		p = page{}
		if status, _ := e.call(e.tokA, "GET", "/email/conversations/"+url.PathEscape(parent.ConversationID)+"?pageToken="+next, nil, &p); status != 200 {
			t.Fatalf("conversation page = %d %+v", status, p)
		}
		for _, r := range p.Records {
			rest = append(rest, r["subject"].(string))
		}
	}
	if strings.Join(rest, "|") != "Report 02|Re: Report 01" {
		t.Fatalf("rest of the conversation = %v", rest)
	}

	// Drafts.
	var d map[string]any
	if status, _ := e.call(e.tokA, "POST", "/email/drafts?bodyType=text", map[string]any{"subject": "Plan", "body": "tbd",
		"attachments": []any{map[string]any{"name": "a.txt", "content": base64.StdEncoding.EncodeToString([]byte("A"))}}}, &d); status != 200 || d["id"] == "" {
		t.Fatalf("create draft = %d %v", status, d)
	}
	id := url.PathEscape(d["id"].(string))
	if status, _ := e.call(e.tokA, "POST", "/email/drafts/"+id+"/send", nil, nil); status != 400 {
		t.Fatalf("send of a draft without recipients = %d, want 400", status)
	}
	if status, _ := e.call(e.tokA, "PUT", "/email/drafts/"+id+"?bodyType=text", map[string]any{"subject": "Plan v2", "body": "done",
		"to":          []any{map[string]any{"address": "bob@example.com"}},
		"attachments": []any{map[string]any{"name": "b.txt", "content": base64.StdEncoding.EncodeToString([]byte("B"))}}}, nil); status != 200 {
		t.Fatalf("update draft = %d", status)
	}
	var dm struct {
		ID      string
		Message struct {
			Subject     string
			Body        string
			SysLabels   []string
			Attachments []struct{ Name string }
		}
	}
	if status, _ := e.call(e.tokA, "GET", "/email/drafts/"+id+"?bodyType=text", nil, &dm); status != 200 || dm.Message.Subject != "Plan v2" ||
		dm.Message.Body != "done" || len(dm.Message.Attachments) != 1 || dm.Message.Attachments[0].Name != "b.txt" ||
		strings.Join(dm.Message.SysLabels, ",") != "draft" {
		t.Fatalf("draft = %d %+v", status, dm)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/email/drafts/" + id + "/send?sendTime=2030-01-01T00:00:00Z", nil, 400},
		{"POST", "/email/drafts", map[string]any{"subject": "x", "to": []any{map[string]any{"address": "not an address"}}}, 400},
		{"POST", "/email/drafts", map[string]any{"subject": "a\r\nBcc: evil@example.com"}, 400},
		{"PUT", "/email/drafts/" + url.PathEscape(seeded[0].ID), map[string]any{"subject": "x"}, 404},
		{"GET", "/email/drafts/" + url.PathEscape(seeded[0].ID), nil, 404},
		{"DELETE", "/email/drafts/" + url.PathEscape(seeded[0].ID), nil, 404},
		{"GET", "/email/drafts/a%20b", nil, 400},
		{"POST", "/email/messages/AAkALgAAnothere=/reply", map[string]any{"body": "x"}, 404},
		{"POST", "/email/messages/" + url.PathEscape(seeded[0].ID) + "/reply", map[string]any{"body": "x", "to": []any{map[string]any{"address": "a@b@c"}}}, 400},
		{"GET", "/email/conversations/AAQkADnothere=", nil, 404},
		{"GET", "/email/conversations/a%20b", nil, 400},
	} {
		if status, _ := e.call(e.tokA, tc.method, tc.path, tc.body, nil); status != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, status, tc.want)
		}
	}
	var res map[string]any
	if status, _ := e.call(e.tokA, "POST", "/email/drafts/"+id+"/send", nil, &res); status != 200 || res["status"] != "Ok" {
		t.Fatalf("send draft = %d %v", status, res)
	}
	if out := e.graph.Sent(); out[len(out)-1].Subject != "Plan v2" {
		t.Fatalf("sent = %+v", out[len(out)-1])
	}
	if status, _ := e.call(e.tokA, "GET", "/email/drafts/"+id, nil, nil); status != 404 {
		t.Fatalf("a sent draft reads %d, want 404", status)
	}
	// Megan cannot touch Adele's drafts.
	if status, _ := e.call(e.tokA, "POST", "/email/drafts", map[string]any{"subject": "mine"}, &d); status != 200 {
		t.Fatal(status)
	}
	if status, _ := e.call(e.tokB, "DELETE", "/email/drafts/"+url.PathEscape(d["id"].(string)), nil, nil); status != 404 {
		t.Fatalf("another account's draft = %d, want 404", status)
	}
	if status, _ := e.call(e.tokA, "DELETE", "/email/drafts/"+url.PathEscape(d["id"].(string)), nil, nil); status != 200 {
		t.Fatalf("delete draft = %d", status)
	}
}
