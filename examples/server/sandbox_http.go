package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
	"github.com/aurinko-go/aurinko/webhooks"
)

// The sandbox's own endpoints, mounted only in sandbox mode.
const (
	// sandboxInboxPath is the sample webhook receiver: POST receives
	// notifications, GET lists the verified ones.
	sandboxInboxPath = "/sandbox/webhooks/inbox"
	// sandboxMailPath delivers a sample message to the sample user's
	// Microsoft 365 inbox, so that a subscription has something to report.
	sandboxMailPath = "/sandbox/mail"
	// sandboxOfficeTokenPath gives the Office.js stand-in the token that
	// Office.auth.getAccessToken returns inside Outlook.
	sandboxOfficeTokenPath = "/sandbox/office-token"
)

// inboxSize is how many verified notifications the sample receiver keeps.
const inboxSize = 50

// webhookInbox is the sandbox's sample webhook receiver: what an app's
// notification endpoint does, in a few lines. It answers the
// validationToken handshake of POST /v1/subscriptions, verifies the
// X-Aurinko-Signature of every delivery with the app's signing secret
// (webhooks.VerifyRequest), refuses what does not verify, and keeps the
// last inboxSize verified notifications in memory for GET.
type webhookInbox struct {
	// secret returns the app's signing secret
	// (Server.Webhooks().SigningSecret); it is read for every delivery, so
	// a rotation takes effect at once.
	secret func(context.Context) ([]byte, error)
	now    func() time.Time
	logger *slog.Logger

	mu   sync.Mutex
	seq  int64
	kept []receivedNotification // oldest first
}

// receivedNotification is a verified notification as GET lists it.
type receivedNotification struct {
	// Seq numbers the notifications as they arrived, from 1.
	Seq          int64                 `json:"seq"`
	ReceivedAt   time.Time             `json:"receivedAt"`
	Notification webhooks.Notification `json:"notification"`
}

// receive is POST sandboxInboxPath.
func (in *webhookInbox) receive(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("validationToken"); v != "" { // the subscription handshake
		if len(v) > 512 {
			http.Error(w, "validationToken too long", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		io.WriteString(w, v)
		return
	}
	secret, err := in.secret(r.Context())
	if err != nil {
		in.logger.Error("sandbox: webhook receiver: signing secret", "error", err)
		http.Error(w, "signing secret unavailable", http.StatusInternalServerError)
		return
	}
	body, err := webhooks.VerifyRequest(r, secret, 0)
	if err != nil {
		in.logger.Warn("sandbox: webhook receiver: refused a delivery that does not verify", "error", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var n webhooks.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, "not a notification", http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	in.seq++
	in.kept = append(in.kept, receivedNotification{Seq: in.seq, ReceivedAt: in.now().UTC(), Notification: n})
	if len(in.kept) > inboxSize {
		in.kept = slices.Delete(in.kept, 0, len(in.kept)-inboxSize)
	}
	in.mu.Unlock()
	in.logger.Info("sandbox: webhook notification verified", "subscription", n.Subscription, "resource", n.Resource,
		"account", n.AccountID, "changes", len(n.Payloads), "lifecycleEvent", n.LifecycleEvent)
	w.WriteHeader(http.StatusNoContent)
}

// list is GET sandboxInboxPath: {"length", "records"}, newest first.
func (in *webhookInbox) list(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	recs := slices.Clone(in.kept)
	in.mu.Unlock()
	slices.Reverse(recs)
	if recs == nil {
		recs = []receivedNotification{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"length": len(recs), "records": recs})
}

// sampleMessages are what POST sandboxMailPath delivers, in turn.
var sampleMessages = []graphtest.Message{
	{Subject: "The Engine's store: a question", Body: "How many variables should the store hold? A thousand?",
		From: graphtest.Recipient{Name: "Charles Babbage", Address: "charles@" + sandboxDomain}},
	{Subject: "Tea on Saturday?", Body: "Do come to tea on Saturday; Mr Faraday will be there.",
		From: graphtest.Recipient{Name: "Mary Somerville", Address: "mary@royal-society.example"}},
	{Subject: "Your questions on the calculus", Body: "I have your letter and will answer at length this week.",
		From: graphtest.Recipient{Name: "Augustus De Morgan", Address: "augustus@ucl.example"}},
}

// deliverMail is POST sandboxMailPath: a new sample message arrives in the
// sample user's Microsoft 365 inbox; it answers 201 {"id", "subject"}. It
// takes JSON only, so that a page on another site cannot call it without
// a CORS preflight, which it never grants.
func (s *sandbox) deliverMail(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "send Content-Type: application/json"))
		return
	}
	n := s.sent.Add(1)
	m := sampleMessages[int((n-1)%int64(len(sampleMessages)))]
	m.To = []graphtest.Recipient{{Name: sandboxUserName, Address: sandboxMSUser}}
	m.ReceivedAt = s.now()
	if n > int64(len(sampleMessages)) {
		m.Subject = fmt.Sprintf("%s (%d)", m.Subject, n)
	}
	got, err := s.graph.SeedMessage(sandboxMSObjectID, m)
	if err != nil {
		apierr.Write(w, r, s.logger, fmt.Errorf("sandbox: deliver a sample message: %w", err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": got.ID, "subject": got.Subject})
}

// officeToken is POST sandboxOfficeTokenPath: the access token that
// Office.auth.getAccessToken (or nested app authentication) hands the
// add-in inside Outlook, for the sandbox's Office.js stand-in. It is what
// Entra issues to Office for the add-in's API on behalf of the signed-in
// Office user, the sample user: a v2.0 access token signed by the
// Microsoft fake, aud the sample app's client id, scp access_as_user, her
// oid and tid, azp Office, valid for an hour. It answers 200
// {"accessToken"} with Cache-Control: no-store, and takes JSON only, so
// that a page on another site cannot call it without a CORS preflight,
// which it never grants. The token is never logged.
func (s *sandbox) officeToken(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		apierr.Write(w, r, s.logger, apierr.New(apierr.InvalidInput, "send Content-Type: application/json"))
		return
	}
	claims := s.graph.AccessTokenClaims(sandboxMSObjectID, sandboxMSClient)
	if claims == nil {
		apierr.Write(w, r, s.logger, fmt.Errorf("sandbox: the Microsoft fake has no sample user"))
		return
	}
	claims["scp"] = sandboxSSOScope
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"accessToken": s.graph.MintAccessToken(claims)})
}

// register mounts the sandbox's endpoints: the sample webhook receiver,
// verifying with the signing secret of the app appID, the sample mail
// delivery and the stand-in's Office tokens.
func (s *sandbox) register(mux *http.ServeMux, hooks *webhooks.Service, appID string) {
	in := &webhookInbox{
		secret: func(ctx context.Context) ([]byte, error) { return hooks.SigningSecret(ctx, appID) },
		now:    s.now, logger: s.logger,
	}
	mux.HandleFunc("POST "+sandboxInboxPath, in.receive)
	mux.HandleFunc("GET "+sandboxInboxPath, in.list)
	mux.HandleFunc("POST "+sandboxMailPath, s.deliverMail)
	mux.HandleFunc("POST "+sandboxOfficeTokenPath, s.officeToken)
}
