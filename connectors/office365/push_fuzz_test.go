package office365_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/office365"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// FuzzHandlePush feeds requests to the Graph push endpoint: any query
// (the validationToken handshake), Content-Type and body (a
// changeNotificationCollection, or anything). HandlePush never panics and
// answers one of 200 (handshake), 202 (notifications), 400, 405, 413, 415.
// A handshake answer is exactly the token, as text/plain, and only for a
// token of 1 to 1024 printable characters without markup; it yields no
// events. Accepted notifications (202) become at most 1000 events, one per
// value with a known lifecycleEvent (or none), each with a valid
// subscription id of at most 256 bytes, a clientState of at most 255, and
// exactly the body's values. A refusal carries no events and echoes
// nothing of the request.
func FuzzHandlePush(f *testing.F) {
	now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	fake := graphtest.New(f, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{alice},
		Now: func() time.Time { return now }})
	c, err := office365.New(context.Background(), office365.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoints: &office365.Endpoints{LoginBaseURL: fake.URL(), GraphBaseURL: fake.URL()}, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ query, contentType, body string }{
		{"validationToken=Validation%3A+Testing+client+application+reachability+for+subscription+Request-Id%3A+1", "text/plain; charset=utf-8", ""},
		{"validationToken=%3Cscript%3E", "", ""},
		{"validationToken=a&validationToken=b", "text/plain", ""},
		{"validationToken=", "", "body"},
		{"", "application/json", `{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","subscriptionExpirationDateTime":"2026-04-03T11:00:00Z",` +
			`"changeType":"created","resource":"Users/a/Messages/AAMk","clientState":"secretClientValue","tenantId":"t",` +
			`"resourceData":{"@odata.type":"#Microsoft.Graph.Message","id":"AAMk"}}]}`},
		{"", "application/json; charset=utf-8", `{"value":[{"subscriptionId":"s-1","lifecycleEvent":"reauthorizationRequired","clientState":null},` +
			`{"subscriptionId":"s-2","lifecycleEvent":"somethingNew"},{"subscriptionId":"s-3","lifecycleEvent":"missed","clientState":"x"}]}`},
		{"", "", `{"value":[]}`},
		{"", "application/json", `{"value":[{"subscriptionId":"../x"}]}`},
		{"", "text/html", `<html>`},
		{"", "application/json", `{"value":[{"subscriptionId":"s"}]} {"value":[]}`},
		{"x=1", "application/json", `{"value":null}`},
	} {
		f.Add(s.query, s.contentType, []byte(s.body))
	}
	known := []string{"", provider.LifecycleReauthorizationRequired, provider.LifecycleSubscriptionRemoved, provider.LifecycleMissed}
	f.Fuzz(func(t *testing.T, query, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "https://app.example.com/v1/push/Office365", bytes.NewReader(body))
		r.URL.RawQuery = query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		events, err := c.HandlePush(w, r)
		status := w.Code
		if !slices.Contains([]int{200, 202, 400, 405, 413, 415}, status) {
			t.Fatalf("status %d", status)
		}
		if err != nil || status >= 400 {
			if err == nil || events != nil || status < 400 {
				t.Fatalf("refusal with status %d, events %v, err %v", status, events, err)
			}
			if got := w.Body.String(); got != http.StatusText(status)+"\n" {
				t.Fatalf("a refusal answered %q", got)
			}
			return
		}
		if tokens, ok := r.URL.Query()["validationToken"]; ok {
			tok := tokens[0]
			if status != 200 || events != nil || w.Body.String() != tok || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
				t.Fatalf("handshake answered %d %q (%s) with %d events for token %q", status, w.Body.String(), w.Header().Get("Content-Type"), len(events), tok)
			}
			if len(tokens) != 1 || tok == "" || len(tok) > 1024 || strings.ContainsFunc(tok, func(r rune) bool {
				return r < 0x20 || r > 0x7e || strings.ContainsRune("<>&\"'`", r)
			}) {
				t.Fatalf("echoed the token %q", tok)
			}
			return
		}
		if status != 202 || w.Body.Len() != 0 || len(events) > 1000 {
			t.Fatalf("notifications answered %d %q with %d events", status, w.Body.String(), len(events))
		}
		var coll struct {
			Value []struct {
				SubscriptionID string  `json:"subscriptionId"`
				ClientState    *string `json:"clientState"`
				LifecycleEvent string  `json:"lifecycleEvent"`
			} `json:"value"`
		}
		if err := json.Unmarshal(body, &coll); err != nil {
			t.Fatalf("accepted a body that is not JSON: %v", err)
		}
		var want []provider.PushEvent
		for _, v := range coll.Value {
			if !slices.Contains(known, v.LifecycleEvent) {
				continue
			}
			state := ""
			if v.ClientState != nil {
				state = *v.ClientState
			}
			want = append(want, provider.PushEvent{SubscriptionID: v.SubscriptionID, ClientState: state, Lifecycle: v.LifecycleEvent})
		}
		if len(want) != len(events) {
			t.Fatalf("events %+v, want %+v", events, want)
		}
		for i, ev := range events {
			if ev != want[i] || !provider.ValidID(ev.SubscriptionID) || len(ev.SubscriptionID) > 256 || len(ev.ClientState) > 255 {
				t.Fatalf("event %d = %+v, want %+v", i, ev, want[i])
			}
		}
	})
}
