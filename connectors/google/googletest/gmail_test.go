package googletest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

const gmailBase = "/gmail/v1/users/me"

func gmailToken(t *testing.T, s *googletest.Server, scope string) string {
	t.Helper()
	_, back := authorize(t, s, authQuery("scope", "openid email "+scope))
	return exchange(t, s, back.Get("code")).str("access_token")
}

func sendJSON(t *testing.T, method, u, bearer string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	return do(t, req)
}

func TestGmail_wireShapes(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	at := gmailToken(t, s, "https://www.googleapis.com/auth/gmail.modify")
	ids, err := s.Seed("alice@example.com",
		googletest.MailMessage{From: "Bob <bob@other.org>", To: []string{"alice@example.com"}, Subject: "Héllo", Text: "plain & simple",
			HTML: "<p>rich</p>", Date: epoch.Add(-time.Hour),
			Attachments: []googletest.MailAttachment{{Filename: "a.txt", ContentType: "text/plain", Data: []byte("file body")}}},
		googletest.MailMessage{From: "carol@gmail.com", To: []string{"alice@example.com"}, Subject: "second", Text: "x", Labels: []string{"Work"}})
	if err != nil {
		t.Fatal(err)
	}
	base := s.APIBaseURL() + gmailBase

	full := get(t, base+"/messages/"+ids[0], at)
	if full.status != 200 || full.str("snippet") != "plain &amp; simple" || full.str("threadId") != ids[0] ||
		full.str("internalDate") != "1778047689000" || full.str("historyId") == "" {
		t.Fatalf("full = %d %v", full.status, full.body)
	}
	p := full.body["payload"].(map[string]any)
	parts := p["parts"].([]any)
	alt := parts[0].(map[string]any)
	att := parts[1].(map[string]any)
	html := alt["parts"].([]any)[1].(map[string]any)
	if p["mimeType"] != "multipart/mixed" || p["partId"] != "" || alt["mimeType"] != "multipart/alternative" || alt["partId"] != "0" ||
		html["partId"] != "0.1" || att["filename"] != "a.txt" || att["body"].(map[string]any)["attachmentId"] == nil {
		t.Fatalf("payload tree = %v", p)
	}
	data, _ := base64.URLEncoding.DecodeString(html["body"].(map[string]any)["data"].(string))
	if string(data) != "<p>rich</p>" {
		t.Fatalf("html data = %q", data)
	}
	aid := att["body"].(map[string]any)["attachmentId"].(string)
	a := get(t, base+"/messages/"+ids[0]+"/attachments/"+aid, at)
	if d, _ := base64.URLEncoding.DecodeString(a.str("data")); a.status != 200 || string(d) != "file body" || a.body["size"] != float64(9) {
		t.Fatalf("attachment = %d %v", a.status, a.body)
	}

	for format, check := range map[string]func(answer) bool{
		"minimal":  func(a answer) bool { return a.body["payload"] == nil && a.body["labelIds"] != nil },
		"metadata": func(a answer) bool { return a.body["payload"].(map[string]any)["parts"] == nil },
		"raw": func(a answer) bool {
			raw, err := base64.URLEncoding.DecodeString(a.str("raw"))
			return err == nil && bytes.Contains(raw, []byte("Subject: =?utf-8?q?H=C3=A9llo?=")) && a.body["payload"] == nil
		},
	} {
		if a := get(t, base+"/messages/"+ids[0]+"?format="+format, at); a.status != 200 || !check(a) {
			t.Errorf("format=%s: %v", format, a.body)
		}
	}

	list := get(t, base+"/messages?maxResults=1&q="+url.QueryEscape("from:bob@other.org OR label:work"), at)
	if list.status != 200 || list.body["resultSizeEstimate"] != float64(2) || list.str("nextPageToken") == "" || len(list.body["messages"].([]any)) != 1 {
		t.Fatalf("list = %v", list.body)
	}
	labels := get(t, base+"/labels", at)
	var names []string
	for _, l := range labels.body["labels"].([]any) {
		names = append(names, l.(map[string]any)["id"].(string))
	}
	for _, want := range []string{"INBOX", "SENT", "DRAFT", "TRASH", "SPAM", "UNREAD", "STARRED", "IMPORTANT", "Label_1"} {
		if !slices.Contains(names, want) {
			t.Fatalf("labels = %q", names)
		}
	}

	start := s.HistoryID("alice@example.com")
	mod := sendJSON(t, "POST", base+"/messages/"+ids[0]+"/modify", at, map[string]any{"removeLabelIds": []string{"UNREAD"}, "addLabelIds": []string{"STARRED"}})
	if mod.status != 200 || slices.Contains(mod.body["labelIds"].([]any), "UNREAD") {
		t.Fatalf("modify = %v", mod.body)
	}
	if bad := sendJSON(t, "POST", base+"/messages/"+ids[0]+"/modify", at, map[string]any{"addLabelIds": []string{"Nope"}}); bad.status != 400 {
		t.Fatalf("unknown label = %d", bad.status)
	}
	if tr := sendJSON(t, "POST", base+"/messages/"+ids[1]+"/trash", at, nil); tr.status != 200 {
		t.Fatalf("trash = %d", tr.status)
	}
	h := get(t, base+"/history?startHistoryId="+itoa(start), at)
	var kinds []string
	for _, r := range h.body["history"].([]any) {
		for k := range r.(map[string]any) {
			if k != "id" && k != "messages" {
				kinds = append(kinds, k)
			}
		}
	}
	if !slices.Equal(kinds, []string{"labelsAdded", "labelsRemoved", "labelsAdded"}) || h.str("historyId") != itoa(s.HistoryID("alice@example.com")) {
		t.Fatalf("history = %v", h.body)
	}
	only := get(t, base+"/history?historyTypes=labelAdded&maxResults=1&startHistoryId="+itoa(start), at)
	if len(only.body["history"].([]any)) != 1 || only.str("nextPageToken") == "" {
		t.Fatalf("filtered history = %v", only.body)
	}
	s.ExpireHistory("alice@example.com")
	if old := get(t, base+"/history?startHistoryId="+itoa(start), at); old.status != 404 || old.body["error"].(map[string]any)["status"] != "NOT_FOUND" {
		t.Fatalf("expired history = %d %v", old.status, old.body)
	}

	th := get(t, base+"/threads/"+ids[0], at)
	if th.status != 200 || len(th.body["messages"].([]any)) != 1 {
		t.Fatalf("thread = %v", th.body)
	}
	raw := "To: carol@gmail.com\r\nSubject: hi\r\n\r\nbody"
	sent := sendJSON(t, "POST", base+"/messages/send", at, map[string]string{"raw": base64.RawURLEncoding.EncodeToString([]byte(raw))})
	if sent.status != 200 || sent.str("id") == "" || !slices.Equal(sent.body["labelIds"].([]any), []any{"SENT"}) {
		t.Fatalf("send = %d %v", sent.status, sent.body)
	}
	if m, _ := s.Message("alice@example.com", sent.str("id")); !strings.Contains(string(m.Raw), "From: \"Alice Example\" <alice@example.com>") ||
		!strings.Contains(string(m.Raw), "Message-ID: <") {
		t.Fatalf("sent raw = %s", m.Raw)
	}
	if norcpt := sendJSON(t, "POST", base+"/messages/send", at, map[string]string{"raw": base64.URLEncoding.EncodeToString([]byte("Subject: x\r\n\r\ny"))}); norcpt.status != 400 {
		t.Fatalf("send without recipient = %d", norcpt.status)
	}

	for _, u := range []string{"/messages/abcdef", "/messages/abcdef/attachments/x", "/threads/abcdef"} {
		if a := get(t, base+u, at); a.status != 404 || a.body["error"].(map[string]any)["code"] != float64(404) {
			t.Errorf("%s = %d %v", u, a.status, a.body)
		}
	}
	if a := get(t, base+"/messages/"+ids[0], "ya29.unknown"); a.status != 401 {
		t.Errorf("unknown token = %d", a.status)
	}
	ro := gmailToken(t, s, "https://www.googleapis.com/auth/gmail.readonly")
	if a := sendJSON(t, "POST", base+"/messages/"+ids[0]+"/trash", ro, nil); a.status != 403 {
		t.Errorf("trash with readonly = %d", a.status)
	}
	s.RateLimitNext(2 * time.Second)
	if a := get(t, base+"/messages", at); a.status != 429 || a.header.Get("Retry-After") != "2" {
		t.Errorf("rate limited = %d %v", a.status, a.header)
	}
	if p := get(t, s.APIBaseURL()+gmailBase+"/profile", at); p.str("historyId") != itoa(s.HistoryID("alice@example.com")) {
		t.Errorf("profile historyId = %v", p.body)
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
