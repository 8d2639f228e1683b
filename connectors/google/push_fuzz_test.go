package google_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
)

// How FuzzHandlePush authorizes its request.
const (
	pushAuthGenuine = iota // a valid ID token of the push service account
	pushAuthRaw            // the input is the whole Authorization header
	pushAuthSigned         // the input is the claims JSON, signed by Google's key
	pushAuthModes
)

// fuzzPushURL is the push endpoint and the audience of its ID tokens.
const fuzzPushURL = "https://app.example.com/v1/push/Google"

// FuzzHandlePush feeds Pub/Sub push requests to the Gmail push endpoint:
// an Authorization header (a genuine ID token, any string, or any claims
// signed by Google's key), a Content-Type and a body. HandlePush never
// panics and answers one of 204, 400, 401, 403, 413, 415; a refusal
// carries no events and echoes nothing of the request. It accepts only
// requests authenticated as documented (issuer Google's, audience the
// push endpoint, email the push service account, verified, not expired)
// whose body is a push envelope with base64 data of a Gmail notification:
// the one event is that emailAddress in lower case.
func FuzzHandlePush(f *testing.F) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	clk := func() time.Time { return now }
	g := googletest.New(f, googletest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []googletest.User{alice}, Now: clk})
	f.Cleanup(g.StopPushes)
	c, err := google.New(context.Background(), google.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoints: g.Endpoints(),
		PubSubTopic: pushTopic, PushServiceAccount: pushSA, PushAudience: fuzzPushURL,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: clk})
	if err != nil {
		f.Fatal(err)
	}
	if err := g.SetPushEndpoint(pushTopic, fuzzPushURL, "", pushSA); err != nil {
		f.Fatal(err)
	}
	genuine, err := g.PushAuthorization(pushTopic, googletest.PushFaultNone)
	if err != nil {
		f.Fatal(err)
	}
	body, err := g.PushBody(pushTopic, alice.Email, 918273)
	if err != nil {
		f.Fatal(err)
	}
	u, _ := url.Parse(g.Issuer())
	issuers := []string{g.Issuer(), u.Host}
	claims := `{"iss":"` + g.Issuer() + `","aud":"` + fuzzPushURL + `","email":"` + strings.ToUpper(pushSA) + `","email_verified":true,"sub":"1","exp":1e10}`
	data := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, s := range []struct {
		mode              uint8
		auth, contentType string
		body              string
	}{
		{pushAuthGenuine, "", "application/json", string(body)},
		{pushAuthGenuine, "", "", `{"message":{"data":"` + base64.RawURLEncoding.EncodeToString([]byte(`{"emailAddress":"Ann@Example.COM","historyId":"12"}`)) + `"}}`},
		{pushAuthGenuine, "", "application/json", `{"message":{"data":"` + data(`{"emailAddress":"a@b","historyId":-1}`) + `"},"subscription":"x"}`},
		{pushAuthGenuine, "", "application/json", `{"message":{"data":"` + data(`{"emailAddress":"no-at-sign"}`) + `"}}`},
		{pushAuthGenuine, "", "text/plain", string(body)},
		{pushAuthGenuine, "", "application/json", `{"message":{"data":"!!!"}}`},
		{pushAuthGenuine, "", "application/json", `{"message":{}} []`},
		{pushAuthRaw, genuine, "application/json", string(body)},
		{pushAuthRaw, "bearer  " + strings.TrimPrefix(genuine, "Bearer "), "application/json", string(body)},
		{pushAuthRaw, "Basic Zm9vOmJhcg==", "application/json", string(body)},
		{pushAuthRaw, "", "application/json", string(body)},
		{pushAuthSigned, claims, "application/json", string(body)},
		{pushAuthSigned, strings.Replace(claims, `"email_verified":true`, `"email_verified":"false"`, 1), "application/json", string(body)},
		{pushAuthSigned, strings.Replace(claims, fuzzPushURL, fuzzPushURL+"/", 1), "application/json", string(body)},
	} {
		f.Add(s.mode, s.auth, s.contentType, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, mode uint8, auth, contentType string, body []byte) {
		var signed map[string]any
		header := genuine
		switch mode % pushAuthModes {
		case pushAuthRaw:
			header = auth
		case pushAuthSigned:
			if json.Unmarshal([]byte(auth), &signed) != nil || signed == nil {
				return
			}
			header = "Bearer " + g.MintIDToken(signed)
		}
		r := httptest.NewRequest(http.MethodPost, fuzzPushURL, bytes.NewReader(body))
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		events, err := c.HandlePush(w, r)
		if !slices.Contains([]int{204, 400, 401, 403, 413, 415}, w.Code) {
			t.Fatalf("status %d", w.Code)
		}
		if err != nil || w.Code != 204 {
			if err == nil || events != nil || w.Code == 204 {
				t.Fatalf("refusal with status %d, events %v, err %v", w.Code, events, err)
			}
			if got := w.Body.String(); got != http.StatusText(w.Code)+"\n" {
				t.Fatalf("a refusal answered %q", got)
			}
			return
		}

		// Authenticated as documented?
		switch mode % pushAuthModes {
		case pushAuthRaw:
			scheme, tok, _ := strings.Cut(auth, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) != strings.TrimPrefix(genuine, "Bearer ") {
				t.Fatalf("accepted the Authorization header %q", auth)
			}
		case pushAuthSigned:
			str := func(k string) string { s, _ := signed[k].(string); return s }
			var aud []string
			switch v := signed["aud"].(type) {
			case string:
				aud = []string{v}
			case []any:
				for _, a := range v {
					if s, ok := a.(string); ok {
						aud = append(aud, s)
					}
				}
			}
			exp, _ := signed["exp"].(float64)
			verified := signed["email_verified"] == true || signed["email_verified"] == "true"
			if !slices.Contains(issuers, str("iss")) || !slices.Contains(aud, fuzzPushURL) || !strings.EqualFold(str("email"), pushSA) ||
				!verified || exp <= float64(now.Unix()) {
				t.Fatalf("accepted a push token with claims %v", signed)
			}
		}

		// The event is the body's mailbox.
		var env struct {
			Message struct {
				Data string `json:"data"`
			} `json:"message"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("accepted a body that is not JSON: %v", err)
		}
		var raw []byte
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(env.Message.Data); err == nil {
				raw = b
				break
			}
		}
		var n struct {
			EmailAddress string `json:"emailAddress"`
		}
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Fatalf("accepted data %q that is not JSON", raw)
		}
		if len(events) != 1 || events[0].AccountEmail != strings.ToLower(n.EmailAddress) || !strings.Contains(n.EmailAddress, "@") ||
			len(n.EmailAddress) > 254 || events[0].SubscriptionID != "" || events[0].Lifecycle != "" {
			t.Fatalf("events %+v for the notification %q", events, raw)
		}
	})
}
