package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/webhooks"
)

// TestWatch_gmailPushToDelivery: a subscription to Gmail mail is backed by
// a Gmail watch; a new message makes the fake Gmail publish to Pub/Sub,
// whose push (an ID token of the push service account) reaches the
// server's push endpoint, which reads the change by delta and delivers a
// signed notification to the app. Polling is an hour away, so only the
// push can explain the delivery.
func TestWatch_gmailPushToDelivery(t *testing.T) {
	t.Parallel()
	const (
		topic = "projects/addin-project/topics/gmail"
		sa    = "gmail-push@addin-project.iam.gserviceaccount.example"
	)
	fake := googletest.New(t, googletest.Options{ClientID: "g-client", ClientSecret: "g-secret",
		Users: []googletest.User{{Email: "grace@corp.example", Name: "Grace", HostedDomain: "corp.example"}}})
	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second}
	g, err := google.New(ctx, google.Config{ClientID: "g-client", ClientSecret: "g-secret", Endpoints: fake.Endpoints(), HTTPClient: hc,
		PubSubTopic: topic, PushServiceAccount: sa})
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := seal.NewKeyring(seal.Key{ID: "e2e", Secret: bytes.Repeat([]byte{7}, seal.KeySize)})
	api := httptest.NewUnstartedServer(nil)
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr, HTTPClient: hc,
		PublicURL: "http://" + api.Listener.Addr().String(), Connectors: []connectors.Connector{g},
		Session:  session.Config{InsecureCookies: true},
		Webhooks: webhooks.Config{AllowInsecureTargets: true, PollInterval: time.Hour, PushPollInterval: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	api.Config.Handler = mux
	api.Start()
	t.Cleanup(api.Close)
	pushURL := api.URL + "/v1/webhooks/push/Google"
	if err := fake.SetPushEndpoint(topic, pushURL, pushURL, sa); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutApp(ctx, aurinko.AppSpec{ClientID: "addin", ClientSecret: "addin-secret-0123456789", ReturnURLs: []string{returnURL}}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "addin.example.com" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	q := walk(t, c, api.URL+"/v1/auth/authorize?"+url.Values{"clientId": {"addin"}, "serviceType": {"Google"}, "responseType": {"token"},
		"scopes": {"Mail.Read"}, "returnUrl": {returnURL}}.Encode())
	tok := q.Get("accessToken")
	if tok == "" {
		t.Fatalf("sign-in = %v", q)
	}

	secret, err := srv.Webhooks().SigningSecret(ctx, "addin")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("validationToken"); v != "" {
			fmt.Fprint(w, v)
			return
		}
		body, err := webhooks.VerifyRequest(r, secret, 0)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n webhooks.Notification
		_ = json.Unmarshal(body, &n)
		mu.Lock()
		for _, p := range n.Payloads {
			got = append(got, p.ChangeType+":"+p.ID)
		}
		mu.Unlock()
	}))
	t.Cleanup(recv.Close)
	b, _ := json.Marshal(map[string]any{"resource": "/email/messages", "notificationUrl": recv.URL})
	req, _ := http.NewRequest("POST", api.URL+"/v1/subscriptions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("create subscription = %d %s", resp.StatusCode, raw)
	}
	if w, ok := fake.Watch("grace@corp.example"); !ok || w.Topic != topic {
		t.Fatalf("Gmail watch after the subscription = %+v %v", w, ok)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	ids, err := fake.Seed("grace@corp.example", googletest.MailMessage{From: "Ann <ann@example.com>", To: []string{"grace@corp.example"},
		Subject: "Pushed", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(got, "updated:"+ids[0]) {
		t.Fatalf("delivered %v, want updated:%s", got, ids[0])
	}
	acked := 0
	for _, p := range fake.Pushes() {
		if p.Acked() {
			acked++
		}
	}
	if acked == 0 {
		t.Fatalf("no push acknowledged by the server: %+v", fake.Pushes())
	}
}
