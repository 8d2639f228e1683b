package googletest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Gmail push notifications: users.watch and users.stop, and the Cloud
// Pub/Sub push subscription that delivers what Gmail publishes.
//
//   - POST /gmail/v1/users/{userId}/watch {topicName, labelIds,
//     labelFilterBehavior, labelFilterAction}: 200 {"historyId":
//     "<current>", "expiration": "<epoch ms, 7 days ahead>"}. userId is
//     "me" or the caller's address; the scopes are those of the Gmail API
//     reference (mail.google.com, gmail.modify, gmail.readonly,
//     gmail.metadata). topicName is required (400 "topicName required"),
//     must read projects/{project}/topics/{topic} (400 "Invalid topicName
//     does not match projects/SOME_PROJECT/topics/*"), and must be a topic
//     the fake knows from SetPushEndpoint: a project no endpoint has is
//     400 as above with the known project's id, an unknown topic of a
//     known project is 404 "Resource not found (resource=<topic>).".
//     labelIds must be label ids of the mailbox (400 "Invalid label: X").
//     labelFilterBehavior (which replaces the deprecated labelFilterAction,
//     read only when labelFilterBehavior is absent) is include or exclude,
//     in any case (the reference spells the enum in lower case, the push
//     guide "INCLUDE"); default include. Watching again replaces the
//     mailbox's watch and extends it, as Gmail's renewal does;
//   - POST /gmail/v1/users/{userId}/stop: 204 with an empty body, also
//     when nothing is watched;
//   - a change of a watched mailbox (every history record: messageAdded,
//     messageDeleted, labelAdded, labelRemoved, over the API or with Seed,
//     ModifyLabels, DeleteMessage) publishes {"emailAddress", "historyId"}
//     (historyId as a JSON number, as Gmail sends it; the push guide's
//     example shows a string) to the watch's topic unless the label filter
//     leaves it out or the watch has expired by the fake's clock. A change
//     concerns the message's labels after it and, for labelAdded and
//     labelRemoved, the labels added or removed: include publishes the
//     changes that concern a listed label, exclude those that concern none.
//     No labelIds publishes every change;
//   - the topic's push subscription (SetPushEndpoint) then POSTs the Pub/Sub
//     push request to its endpoint: Content-Type application/json, the
//     body {"message": {"data": base64(JSON), "messageId", "message_id",
//     "publishTime", "publish_time"}, "subscription":
//     "projects/{project}/subscriptions/{topic}-push"} (data in standard
//     base64 with padding, as Pub/Sub encodes bytes in JSON; the push
//     guide says base64url), and "Authorization: Bearer <OIDC ID token>"
//     signed with the fake's key (the one at /oauth2/v3/certs) with iss
//     (the fake's issuer, as for id_tokens), aud (the endpoint's audience,
//     by default its URL), azp and sub (the service account's numeric id),
//     email (the service account), email_verified true, iat and exp (one
//     hour later). The endpoint acknowledges with 102, 200, 201, 202 or
//     204; the fake records every attempt (Pushes) and retries none.
//
// Deliveries go through a queue drained by one goroutine, in order, never
// under the fake's lock, with a 10 second timeout (Pub/Sub's default
// acknowledgement deadline). WaitPushes waits for the queue; StopPushes
// (and Close) end deliveries. FaultNextPush spoils the token of the next delivery;
// PushAuthorization, PushBody and SendPush let a test send any request.
// ExpireWatch ends a watch as its expiration does.
//
// Not implemented: Gmail's limit of one notification per second per
// mailbox (the fake publishes every change), Pub/Sub retries with backoff,
// ordering keys, attributes, dead-letter deliveryAttempt, pull
// subscriptions, and the 403 "Error sending test message to Cloud PubSub
// ...: User not authorized to perform this action." of a topic Gmail may
// not publish to.

// Push timing and limits.
const (
	// watchLifetime is how long a watch lasts unless renewed.
	watchLifetime = 7 * 24 * time.Hour
	// pushTimeout is Pub/Sub's default acknowledgement deadline.
	pushTimeout = 10 * time.Second
	// pushTokenTTL is the lifetime of push ID tokens.
	pushTokenTTL = time.Hour
	// firstPubSubMessageID is the first Pub/Sub messageId of a server.
	firstPubSubMessageID = 2070443601311540
)

// topicRE is a Pub/Sub topic name (projects/{project}/topics/{topic}).
var topicRE = regexp.MustCompile(`^projects/([a-z][a-z0-9-]{4,28}[a-z0-9])/topics/([A-Za-z][A-Za-z0-9\-_.~+%]{2,254})$`)

// PushFault spoils the ID token of a push request, for tests of the
// endpoint's authentication.
type PushFault int

// The faults of FaultNextPush and PushAuthorization.
const (
	// PushFaultNone is a valid token.
	PushFaultNone PushFault = iota
	// PushFaultNoToken sends no Authorization header.
	PushFaultNoToken
	// PushFaultExpired sends a token that expired an hour ago.
	PushFaultExpired
	// PushFaultWrongAudience sends a token for another endpoint.
	PushFaultWrongAudience
	// PushFaultWrongServiceAccount sends a token of another service
	// account.
	PushFaultWrongServiceAccount
	// PushFaultUnverifiedEmail sends email_verified false.
	PushFaultUnverifiedEmail
	// PushFaultForeignKey signs the token with a key the fake does not
	// publish (with the kid of its own key).
	PushFaultForeignKey
	// PushFaultWrongIssuer sends a token of another issuer.
	PushFaultWrongIssuer
)

// PushEndpoint is a Pub/Sub push subscription of a topic, as the host
// configures it in the Google Cloud console.
type PushEndpoint struct {
	// Topic is projects/{project}/topics/{topic}.
	Topic string
	// Subscription is projects/{project}/subscriptions/{topic}-push.
	Subscription string
	// URL is the push endpoint.
	URL string
	// Audience is the aud of the push ID tokens (default URL).
	Audience string
	// ServiceAccount is the email of the service account the ID tokens
	// name.
	ServiceAccount string
}

// MailWatch is the push notification watch of a mailbox.
type MailWatch struct {
	// Topic is the watch's topicName.
	Topic string
	// LabelIDs and LabelFilterBehavior ("include" or "exclude") are the
	// label filter; no LabelIDs publishes every change.
	LabelIDs            []string
	LabelFilterBehavior string
	// HistoryID is the mailbox's historyId when the watch was (re)made.
	HistoryID uint64
	// Expiration is when Gmail stops publishing.
	Expiration time.Time
}

// PushDelivery is one push request the fake sent.
type PushDelivery struct {
	// Topic, Subscription and URL name the push subscription.
	Topic, Subscription, URL string
	// Body is the request body; Authorization its header ("" for none).
	Body          []byte
	Authorization string
	// EmailAddress and HistoryID are the Gmail notification it carried
	// (empty for SendPush).
	EmailAddress string
	HistoryID    uint64
	// Fault is the spoiled token of FaultNextPush, PushFaultNone otherwise.
	Fault PushFault
	// Status is the endpoint's answer, 0 when there was none.
	Status int
	// Err is the transport error, "" when the endpoint answered.
	Err string
}

// Acked reports whether the endpoint acknowledged the push (102, 200,
// 201, 202 or 204, as Pub/Sub counts).
func (d PushDelivery) Acked() bool {
	switch d.Status {
	case http.StatusProcessing, http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent:
		return true
	}
	return false
}

// mailWatch is a stored watch.
type mailWatch struct {
	MailWatch
	email string
}

// concerns reports whether the watch's label filter publishes r.
func (mw *mailWatch) concerns(r historyRecord) bool {
	if len(mw.LabelIDs) == 0 {
		return true
	}
	touched := slices.ContainsFunc(mw.LabelIDs, func(l string) bool {
		return slices.Contains(r.labels, l) || slices.Contains(r.changed, l)
	})
	if mw.LabelFilterBehavior == "exclude" {
		return !touched
	}
	return touched
}

// pushJob is a queued delivery.
type pushJob struct {
	ep        PushEndpoint
	email     string
	historyID uint64
	messageID string
	published time.Time
}

// watchStore holds the push endpoints, the watches and the delivery
// queue. It has its own lock and never takes Server.mu while holding it,
// so notifyWatchLocked may be called under Server.mu.
type watchStore struct {
	mu        sync.Mutex
	idle      *sync.Cond              // signalled when pending drops or the worker stops
	endpoints map[string]PushEndpoint // by topic
	watches   map[string]*mailWatch   // by user subject
	sent      []PushDelivery
	queue     []pushJob
	pending   int // queued or in delivery
	running   bool
	stopped   bool
	fault     PushFault
	seq       int64
	ctx       context.Context // cancelled by StopPushes
	cancel    context.CancelFunc
	transport *http.Transport
}

func newWatchStore() *watchStore {
	ctx, cancel := context.WithCancel(context.Background())
	st := &watchStore{endpoints: map[string]PushEndpoint{}, watches: map[string]*mailWatch{}, ctx: ctx, cancel: cancel,
		transport: &http.Transport{}}
	st.idle = sync.NewCond(&st.mu)
	return st
}

// watchStore returns the server's store, nil before the first
// SetPushEndpoint.
func (s *Server) watchStore() *watchStore { return s.watchS }

// ensureWatchStore adds the store and the users.watch and users.stop
// routes to the mux once.
func (s *Server) ensureWatchStore() *watchStore { return s.watchS }

// watchRoutes adds the push store and Gmail's users.watch and users.stop
// to mux.
func (s *Server) watchRoutes(mux *http.ServeMux) {
	s.watchS = newWatchStore()
	mux.HandleFunc("POST /gmail/v1/users/{userId}/watch", s.handleWatch)
	mux.HandleFunc("POST /gmail/v1/users/{userId}/stop", s.handleStop)
}

// --- test-side API ---

// SetPushEndpoint makes topic (projects/{project}/topics/{topic}) a topic
// Gmail may publish to, with a push subscription that POSTs to endpoint
// with ID tokens of serviceAccountEmail for audience ("" means endpoint,
// as Pub/Sub's default). Setting a topic again replaces its subscription.
// It also enables users.watch and users.stop.
func (s *Server) SetPushEndpoint(topic, endpoint, audience, serviceAccountEmail string) error {
	m := topicRE.FindStringSubmatch(topic)
	if m == nil {
		return fmt.Errorf("googletest: SetPushEndpoint: topic %q is not projects/{project}/topics/{topic}", topic)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("googletest: SetPushEndpoint: endpoint %q is not an absolute http(s) URL", endpoint)
	}
	if !strings.Contains(serviceAccountEmail, "@") {
		return fmt.Errorf("googletest: SetPushEndpoint: service account %q is not an email", serviceAccountEmail)
	}
	if audience == "" {
		audience = endpoint
	}
	st := s.ensureWatchStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.endpoints[topic] = PushEndpoint{Topic: topic, Subscription: "projects/" + m[1] + "/subscriptions/" + m[2] + "-push",
		URL: endpoint, Audience: audience, ServiceAccount: serviceAccountEmail}
	return nil
}

// Watch returns the watch of the mailbox of the user with this email or
// subject, also an expired one, until users.stop.
func (s *Server) Watch(emailOrSubject string) (MailWatch, bool) {
	u, ok := s.User(emailOrSubject)
	st := s.watchStore()
	if !ok || st == nil {
		return MailWatch{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	mw := st.watches[u.Subject]
	if mw == nil {
		return MailWatch{}, false
	}
	out := mw.MailWatch
	out.LabelIDs = slices.Clone(out.LabelIDs)
	return out, true
}

// ExpireWatch makes the mailbox's watch expire now, as if it had not been
// renewed for seven days: Gmail publishes nothing more until watch is
// called again.
func (s *Server) ExpireWatch(emailOrSubject string) {
	u, ok := s.User(emailOrSubject)
	st := s.watchStore()
	if !ok || st == nil {
		return
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	if mw := st.watches[u.Subject]; mw != nil {
		mw.Expiration = now
	}
}

// FaultNextPush spoils the ID token of the next queued delivery.
func (s *Server) FaultNextPush(f PushFault) {
	st := s.ensureWatchStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.fault = f
}

// Pushes returns every push request sent so far, in order.
func (s *Server) Pushes() []PushDelivery {
	st := s.watchStore()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	out := slices.Clone(st.sent)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// WaitPushes waits until every queued delivery was sent (or StopPushes
// dropped it).
func (s *Server) WaitPushes() {
	st := s.watchStore()
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for st.pending > 0 {
		st.idle.Wait()
	}
}

// StopPushes ends push deliveries: the one in flight is cancelled, the
// queued ones are dropped, and none are sent afterwards. It returns when
// the delivery goroutine has stopped. Call it before Close.
func (s *Server) StopPushes() {
	st := s.watchStore()
	if st == nil {
		return
	}
	st.mu.Lock()
	st.stopped = true
	st.pending -= len(st.queue)
	st.queue = nil
	st.cancel()
	for st.running {
		st.idle.Wait()
	}
	st.idle.Broadcast()
	st.mu.Unlock()
	st.transport.CloseIdleConnections()
}

// PushBody returns the body of a push request of topic's subscription
// that carries the Gmail notification {emailAddress, historyId}, as the
// fake sends it.
func (s *Server) PushBody(topic, emailAddress string, historyID uint64) ([]byte, error) {
	st := s.watchStore()
	if st == nil {
		return nil, fmt.Errorf("googletest: PushBody: no push endpoint for %q", topic)
	}
	st.mu.Lock()
	ep, ok := st.endpoints[topic]
	id := st.nextMessageIDLocked()
	st.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("googletest: PushBody: no push endpoint for %q", topic)
	}
	return pushBody(pushJob{ep: ep, email: emailAddress, historyID: historyID, messageID: id, published: s.opts.Now()})
}

// PushAuthorization returns the Authorization header of a push request of
// topic's subscription minted now, spoiled by f ("" for PushFaultNoToken).
func (s *Server) PushAuthorization(topic string, f PushFault) (string, error) {
	st := s.watchStore()
	if st == nil {
		return "", fmt.Errorf("googletest: PushAuthorization: no push endpoint for %q", topic)
	}
	st.mu.Lock()
	ep, ok := st.endpoints[topic]
	st.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("googletest: PushAuthorization: no push endpoint for %q", topic)
	}
	return s.pushAuthorization(ep, f)
}

// SendPush sends one push request with this body and Authorization header
// ("" for none) to topic's endpoint at once, records it and returns it.
func (s *Server) SendPush(ctx context.Context, topic string, body []byte, authorization string) (PushDelivery, error) {
	st := s.watchStore()
	if st == nil {
		return PushDelivery{}, fmt.Errorf("googletest: SendPush: no push endpoint for %q", topic)
	}
	st.mu.Lock()
	ep, ok := st.endpoints[topic]
	stopped := st.stopped
	st.mu.Unlock()
	if !ok {
		return PushDelivery{}, fmt.Errorf("googletest: SendPush: no push endpoint for %q", topic)
	}
	if stopped {
		return PushDelivery{}, errors.New("googletest: SendPush: pushes are stopped")
	}
	d := st.post(ctx, ep, body, authorization)
	st.mu.Lock()
	st.sent = append(st.sent, d)
	st.mu.Unlock()
	return d, nil
}

// --- Gmail side ---

// notifyWatchLocked publishes a history record of u's mailbox to the
// mailbox's watch, if any. The caller holds s.mu.
func (s *Server) notifyWatchLocked(u *User, r historyRecord) {
	st := s.watchStore()
	if st == nil {
		return
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	mw := st.watches[u.Subject]
	if mw == nil || st.stopped || !now.Before(mw.Expiration) || !mw.concerns(r) {
		return
	}
	ep, ok := st.endpoints[mw.Topic]
	if !ok {
		return
	}
	st.queue = append(st.queue, pushJob{ep: ep, email: mw.email, historyID: r.id, messageID: st.nextMessageIDLocked(), published: now})
	st.pending++
	if !st.running {
		st.running = true
		go s.drainPushes(st)
	}
}

func (st *watchStore) nextMessageIDLocked() string {
	st.seq++
	return strconv.FormatInt(firstPubSubMessageID+st.seq, 10)
}

// handleWatch is users.watch.
func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailMetadataScopes)
	if !ok {
		return
	}
	var req struct {
		TopicName           string   `json:"topicName"`
		LabelIDs            []string `json:"labelIds"`
		LabelFilterBehavior string   `json:"labelFilterBehavior"`
		LabelFilterAction   string   `json:"labelFilterAction"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		badRequest(w, "Invalid JSON payload received.")
		return
	}
	behavior := req.LabelFilterBehavior
	if behavior == "" {
		behavior = req.LabelFilterAction
	}
	switch strings.ToLower(behavior) {
	case "", "include":
		behavior = "include"
	case "exclude":
		behavior = "exclude"
	default:
		badRequest(w, fmt.Sprintf("Invalid value at 'label_filter_behavior' (type.googleapis.com/google.apps.gmail.v1.WatchRequest.LabelFilterAction), %q", behavior))
		return
	}
	if req.TopicName == "" {
		badRequest(w, "topicName required")
		return
	}
	m := topicRE.FindStringSubmatch(req.TopicName)
	if m == nil {
		badRequest(w, "Invalid topicName does not match projects/SOME_PROJECT/topics/*")
		return
	}
	st := s.watchStore() // not nil: the route exists
	st.mu.Lock()
	_, known := st.endpoints[req.TopicName]
	project := ""
	for topic := range st.endpoints {
		if pm := topicRE.FindStringSubmatch(topic); pm != nil && (project == "" || pm[1] == m[1]) {
			project = pm[1]
		}
	}
	st.mu.Unlock()
	if project == "" {
		project = "SOME_PROJECT"
	}
	switch {
	case project != m[1]:
		badRequest(w, "Invalid topicName does not match projects/"+project+"/topics/*")
		return
	case !known:
		WriteError(w, http.StatusNotFound, "notFound", "Resource not found (resource="+m[2]+").")
		return
	}

	u, mb := s.lockedBox(p)
	var labels []string
	for _, l := range req.LabelIDs {
		if !mb.isLabelID(l) {
			s.mu.Unlock()
			badRequest(w, errInvalidLabel(l).Error())
			return
		}
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	now := s.opts.Now()
	mw := &mailWatch{email: u.Email, MailWatch: MailWatch{Topic: req.TopicName, LabelIDs: labels, LabelFilterBehavior: behavior,
		HistoryID: mb.historyID, Expiration: now.Add(watchLifetime).Truncate(time.Millisecond)}}
	// Under s.mu, so that no change falls between the historyId answered
	// and the watch.
	st.mu.Lock()
	st.watches[u.Subject] = mw
	st.mu.Unlock()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"historyId":  strconv.FormatUint(mw.HistoryID, 10),
		"expiration": strconv.FormatInt(mw.Expiration.UnixMilli(), 10),
	})
}

// handleStop is users.stop.
func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	p, ok := s.gmailUser(w, r, gmailMetadataScopes)
	if !ok {
		return
	}
	if st := s.watchStore(); st != nil {
		st.mu.Lock()
		delete(st.watches, p.User.Subject)
		st.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- Pub/Sub side ---

// pushEnvelope is the body of a Pub/Sub push request.
type pushEnvelope struct {
	Message struct {
		Data           string `json:"data"`
		MessageID      string `json:"messageId"`
		MessageIDSnake string `json:"message_id"`
		PublishTime    string `json:"publishTime"`
		PublishSnake   string `json:"publish_time"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

func pushBody(j pushJob) ([]byte, error) {
	data, err := json.Marshal(struct {
		EmailAddress string `json:"emailAddress"`
		HistoryID    uint64 `json:"historyId"`
	}{j.email, j.historyID})
	if err != nil {
		return nil, err
	}
	var env pushEnvelope
	env.Message.Data = base64.StdEncoding.EncodeToString(data)
	env.Message.MessageID, env.Message.MessageIDSnake = j.messageID, j.messageID
	ts := j.published.UTC().Format("2006-01-02T15:04:05.000Z")
	env.Message.PublishTime, env.Message.PublishSnake = ts, ts
	env.Subscription = j.ep.Subscription
	return json.Marshal(env)
}

// pushAuthorization mints the Authorization header of a push request.
func (s *Server) pushAuthorization(ep PushEndpoint, f PushFault) (string, error) {
	if f == PushFaultNoToken {
		return "", nil
	}
	now := s.opts.Now()
	c := map[string]any{
		"iss":            s.issuer(),
		"aud":            ep.Audience,
		"azp":            subjectFor(ep.ServiceAccount),
		"sub":            subjectFor(ep.ServiceAccount),
		"email":          ep.ServiceAccount,
		"email_verified": true,
		"iat":            now.Unix(),
		"exp":            now.Add(pushTokenTTL).Unix(),
	}
	switch f {
	case PushFaultExpired:
		c["iat"], c["exp"] = now.Add(-2*pushTokenTTL).Unix(), now.Add(-pushTokenTTL).Unix()
	case PushFaultWrongAudience:
		c["aud"] = "https://push.attacker.example/gmail"
	case PushFaultWrongServiceAccount:
		other := "intruder@another-project.iam.gserviceaccount.com"
		c["email"], c["sub"], c["azp"] = other, subjectFor(other), subjectFor(other)
	case PushFaultUnverifiedEmail:
		c["email_verified"] = false
	case PushFaultWrongIssuer:
		c["iss"] = "https://issuer.attacker.example"
	}
	var tok string
	var err error
	if f == PushFaultForeignKey {
		tok, err = s.signForeign(c)
	} else {
		tok, err = s.sign(c)
	}
	if err != nil {
		return "", fmt.Errorf("googletest: signing a push token: %w", err)
	}
	return "Bearer " + tok, nil
}

// signForeign signs claims with a new key under the kid of the fake's.
func (s *Server) signForeign(claims map[string]any) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// drainPushes delivers the queue until it is empty or stopped.
func (s *Server) drainPushes(st *watchStore) {
	for {
		st.mu.Lock()
		if st.stopped || len(st.queue) == 0 {
			st.running = false
			st.idle.Broadcast()
			st.mu.Unlock()
			return
		}
		j := st.queue[0]
		st.queue = st.queue[1:]
		fault := st.fault
		st.fault = PushFaultNone
		st.mu.Unlock()

		d := PushDelivery{Topic: j.ep.Topic, Subscription: j.ep.Subscription, URL: j.ep.URL, EmailAddress: j.email,
			HistoryID: j.historyID, Fault: fault}
		body, err := pushBody(j)
		auth := ""
		if err == nil {
			auth, err = s.pushAuthorization(j.ep, fault)
		}
		if err != nil {
			d.Err = err.Error()
		} else {
			sent := st.post(st.ctx, j.ep, body, auth)
			d.Body, d.Authorization, d.Status, d.Err = sent.Body, sent.Authorization, sent.Status, sent.Err
		}
		st.mu.Lock()
		st.sent = append(st.sent, d)
		if st.pending > 0 {
			st.pending--
		}
		st.idle.Broadcast()
		st.mu.Unlock()
	}
}

// post sends one push request.
func (st *watchStore) post(ctx context.Context, ep PushEndpoint, body []byte, authorization string) PushDelivery {
	d := PushDelivery{Topic: ep.Topic, Subscription: ep.Subscription, URL: ep.URL, Body: body, Authorization: authorization}
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	client := &http.Client{Transport: st.transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}
