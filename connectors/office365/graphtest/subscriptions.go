package graphtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The change notifications part of the fake: Microsoft Graph v1.0
// subscriptions delivered through webhooks, for delegated tokens (app-only
// tokens answer 400).
//
//   - POST /v1.0/subscriptions {changeType, notificationUrl,
//     lifecycleNotificationUrl, resource, expirationDateTime, clientState,
//     latestSupportedTlsVersion}: 201 with the subscription resource (id,
//     resource, applicationId, changeType, clientState, notificationUrl,
//     lifecycleNotificationUrl, expirationDateTime, creatorId,
//     latestSupportedTlsVersion, includeResourceData ...). Resources:
//     me/messages, me/mailFolders('{name or id}')/messages (also
//     me/mailFolders/{id}/messages), me/events, me/calendars/{id}/events
//     (also calendars('{id}')), me/contacts, me/todo/lists/{id}/tasks, and
//     the users/{id or userPrincipalName}/... forms of the caller's own
//     mailbox (403 for another user's). Permissions as documented:
//     Mail.ReadBasic or Mail.Read (or Mail.ReadWrite), Calendars.Read,
//     Contacts.Read (or their ReadWrite), Tasks.ReadWrite (403
//     ExtensionError without). Before answering, the fake validates
//     notificationUrl and lifecycleNotificationUrl as Graph does: POST
//     {url}?validationToken=... (Content-Type text/plain; charset=utf-8,
//     empty body), expecting 200, text/plain and the token exactly within
//     10 seconds; otherwise 400 ValidationError ("Subscription validation
//     request failed. ..."). URLs must be https, except on loopback hosts.
//     expirationDateTime may be at most 10080 minutes ahead for Outlook
//     messages, events and contacts and 4230 minutes for To Do tasks (400
//     ExtensionError "Subscription expiration can only be N minutes in
//     the future."); one under 45 minutes ahead is set to 45 minutes.
//     clientState is up to 128 characters;
//   - GET /v1.0/subscriptions (the caller's subscriptions, clientState
//     null as Graph hides it), GET, PATCH {expirationDateTime,
//     notificationUrl} and DELETE (204) /v1.0/subscriptions/{id}, POST
//     /v1.0/subscriptions/{id}/reauthorize (204). A subscription that is
//     unknown, expired by the fake's clock, or another user's answers 404
//     ResourceNotFound "The object was not found.";
//   - change notifications: when a subscribed item is created, updated or
//     deleted (over HTTP or with the Seed*/Change*/Delete* helpers), the
//     fake POSTs {"value":[{"id","subscriptionId",
//     "subscriptionExpirationDateTime","changeType","resource",
//     "resourceData":{"@odata.type","@odata.id","@odata.etag","id"},
//     "clientState","tenantId"}]} to notificationUrl, honouring changeType;
//     a message moved out of a subscribed folder is "deleted" there and one
//     moved in is "created". Deliveries go through a queue drained by one
//     goroutine, never under a lock, in order; an answer other than 2xx
//     within 3 seconds is retried twice at once;
//   - lifecycle notifications {"value":[{"subscriptionId",
//     "subscriptionExpirationDateTime","tenantId","clientState",
//     "lifecycleEvent"}]} to lifecycleNotificationUrl: subscriptionRemoved
//     (ExpireSubscription), reauthorizationRequired and missed
//     (SendLifecycle), and missed after DropNotifications(false) for the
//     subscriptions whose notifications were dropped. As documented,
//     subscriptionRemoved and missed exist for Outlook messages, events and
//     contacts only.
//
// Tests read every delivery attempt with Notifications, wait for the queue
// with WaitNotifications, and stop deliveries with StopNotifications.
// Graph's quota of 1000 subscriptions per mailbox, rich notifications
// (includeResourceData, answered 400), throttling of slow endpoints,
// retries spread over four hours and the pause of deliveries after an
// unanswered reauthorizationRequired are not implemented.

// Subscription limits and timeouts, as documented.
const (
	// outlookSubscriptionMax is the longest lifetime of a subscription to
	// Outlook messages, events and contacts (10080 minutes).
	outlookSubscriptionMax = 10080 * time.Minute
	// todoSubscriptionMax is that of To Do tasks (4230 minutes).
	todoSubscriptionMax = 4230 * time.Minute
	// subscriptionMin: an expiry under 45 minutes ahead is raised to it.
	subscriptionMin = 45 * time.Minute
	// maxClientState is the longest clientState.
	maxClientState = 128
	// validationTimeout is how long the endpoint has to answer the
	// validation request.
	validationTimeout = 10 * time.Second
	// notificationTimeout is Graph's HTTP client timeout for deliveries.
	notificationTimeout = 3 * time.Second
	// notificationAttempts bounds the tries of one delivery.
	notificationAttempts = 3
)

// Kinds of SentNotification.
const (
	// NotificationValidation is the validation request of a
	// notificationUrl or lifecycleNotificationUrl.
	NotificationValidation = "validation"
	// NotificationChange is a change notification.
	NotificationChange = "change"
	// NotificationLifecycle is a lifecycle notification.
	NotificationLifecycle = "lifecycle"
)

// Lifecycle events of lifecycle notifications.
const (
	LifecycleReauthorizationRequired = "reauthorizationRequired"
	LifecycleSubscriptionRemoved     = "subscriptionRemoved"
	LifecycleMissed                  = "missed"
)

// Subscription is a change notification subscription of the fake.
type Subscription struct {
	ID                        string
	Resource                  string // as the client gave it
	ChangeType                string // e.g. "created,updated,deleted"
	ClientState               string
	NotificationURL           string
	LifecycleNotificationURL  string
	ExpirationDateTime        time.Time
	CreatorID                 string // the object id of the user
	ApplicationID             string // the client id of the token
	LatestSupportedTLSVersion string
}

// SentNotification is one request the fake made to a subscriber's
// endpoint: a validation request or a delivery attempt.
type SentNotification struct {
	// Kind is NotificationValidation, NotificationChange or
	// NotificationLifecycle.
	Kind string
	// URL is the endpoint (with validationToken for a validation).
	URL string
	// ValidationToken is the token of a validation request.
	ValidationToken string
	// Body is the JSON body of a notification (empty for a validation).
	Body []byte
	// SubscriptionID, ChangeType (of a change), LifecycleEvent (of a
	// lifecycle notification) and Resource (of a change) describe the one
	// notification the body carries.
	SubscriptionID, ChangeType, LifecycleEvent, Resource string
	// Attempt counts the tries of a delivery from 1.
	Attempt int
	// Status is the endpoint's answer, 0 when there was none.
	Status int
	// Err is the transport error, "" when the endpoint answered.
	Err string
	// Dropped marks a change notification DropNotifications swallowed:
	// it was not sent.
	Dropped bool
}

// itemKind is the kind of resource a subscription watches.
type itemKind int

const (
	kindMessage itemKind = iota + 1
	kindEvent
	kindContact
	kindTodoTask
)

// outlook reports whether the kind is an Outlook resource (lifecycle
// events subscriptionRemoved and missed exist for these only).
func (k itemKind) outlook() bool { return k != kindTodoTask }

func (k itemKind) maxLifetime() time.Duration {
	if k == kindTodoTask {
		return todoSubscriptionMax
	}
	return outlookSubscriptionMax
}

// scopes are the permissions that allow subscribing to the kind.
func (k itemKind) scopes() []string {
	switch k {
	case kindMessage:
		return []string{"Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"}
	case kindEvent:
		return []string{"Calendars.Read", "Calendars.ReadWrite"}
	case kindContact:
		return []string{"Contacts.Read", "Contacts.ReadWrite"}
	default:
		return []string{"Tasks.ReadWrite"}
	}
}

// subscription is a stored subscription.
type subscription struct {
	Subscription
	owner     string // lower-case object id of the mailbox user
	tenant    string
	kind      itemKind
	container string // folder, calendar or list id; "" for the whole mailbox
	changes   []string
	missed    bool // a change notification was dropped
}

func (sub *subscription) activeAt(now time.Time) bool { return now.Before(sub.ExpirationDateTime) }

// change is a change of an item of a user's mailbox.
type change struct {
	oid        string
	kind       itemKind
	id, etag   string
	changeType string // created, updated or deleted
	before     string // the item's container before ("" when created)
	after      string // its container after ("" when deleted)
	listID     string // the To Do list of a task
}

// sees returns the change type a subscription is notified of, if any.
func (sub *subscription) sees(ch change) (string, bool) {
	if sub.kind != ch.kind || sub.owner != strings.ToLower(ch.oid) {
		return "", false
	}
	ct := ch.changeType
	if sub.container != "" {
		in, out := ch.after == sub.container, ch.before == sub.container
		switch {
		case in && out:
		case in:
			ct = "created"
		case out:
			ct = "deleted"
		default:
			return "", false
		}
	}
	return ct, slices.Contains(sub.changes, ct)
}

// delivery is a queued notification.
type delivery struct {
	kind, url                              string
	body                                   []byte
	subID, changeType, lifecycle, resource string
}

// subscriptionStore holds the subscriptions and the delivery queue. It has
// its own lock and never takes Server.mu or another part's lock while
// holding it, so the notify functions may be called under those.
type subscriptionStore struct {
	mu       sync.Mutex
	idle     *sync.Cond // signalled when pending drops or the worker stops
	subs     []*subscription
	sent     []SentNotification
	queue    []delivery
	pending  int // queued or in delivery
	running  bool
	dropping bool
	stopped  bool
	ctx      context.Context
	cancel   context.CancelFunc
	client   *http.Client
}

func newSubscriptionStore() *subscriptionStore {
	st := &subscriptionStore{}
	st.idle = sync.NewCond(&st.mu)
	st.ctx, st.cancel = context.WithCancel(context.Background())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	st.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return st
}

// subscriptions returns the store, nil when subscriptionRoutes was not
// called.
func (s *Server) subscriptions() *subscriptionStore { return s.subs }

func (s *Server) subscriptionRoutes() {
	st := newSubscriptionStore()
	s.subs = st
	s.mux.HandleFunc("GET /v1.0/subscriptions", s.handleListSubscriptions)
	s.mux.HandleFunc("POST /v1.0/subscriptions", s.handleCreateSubscription)
	s.mux.HandleFunc("GET /v1.0/subscriptions/{id}", s.handleGetSubscription)
	s.mux.HandleFunc("PATCH /v1.0/subscriptions/{id}", s.handlePatchSubscription)
	s.mux.HandleFunc("DELETE /v1.0/subscriptions/{id}", s.handleDeleteSubscription)
	s.mux.HandleFunc("POST /v1.0/subscriptions/{id}/reauthorize", s.handleReauthorizeSubscription)
}

// --- test-side API ---

// Subscriptions returns the active subscriptions of the user oid, oldest
// first.
func (s *Server) Subscriptions(oid string) []Subscription {
	st := s.subscriptions()
	if st == nil {
		return nil
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []Subscription
	for _, sub := range st.subs {
		if sub.owner == strings.ToLower(oid) && sub.activeAt(now) {
			out = append(out, sub.Subscription)
		}
	}
	return out
}

// Notifications returns every validation request and delivery attempt so
// far, in order.
func (s *Server) Notifications() []SentNotification {
	st := s.subscriptions()
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

// WaitNotifications blocks until every queued notification has been
// delivered (or its attempts have failed).
func (s *Server) WaitNotifications() {
	st := s.subscriptions()
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for st.pending > 0 {
		st.idle.Wait()
	}
}

// StopNotifications cancels the delivery in progress, drops the queued
// ones and sends no more; it returns when the delivery goroutine has
// ended. Close the fake after it (a fake closed without it lets a
// delivery in progress finish within its timeout).
func (s *Server) StopNotifications() {
	st := s.subscriptions()
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stopped = true
	st.pending -= len(st.queue)
	st.queue = nil
	st.cancel()
	for st.running {
		st.idle.Wait()
	}
	st.idle.Broadcast()
	if tr, ok := st.client.Transport.(interface{ CloseIdleConnections() }); ok {
		tr.CloseIdleConnections()
	}
}

// SetNotificationClient sets the HTTP client of validation requests and
// deliveries (for example the client of an httptest TLS server, to trust
// its certificate). Redirects are never followed.
func (s *Server) SetNotificationClient(c *http.Client) {
	st := s.subscriptions()
	if st == nil || c == nil {
		return
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	st.mu.Lock()
	defer st.mu.Unlock()
	st.client = &cp
}

// DropNotifications makes the fake swallow change notifications (recorded
// with Dropped) while drop is true, as when Graph fails to deliver them.
// Turning it off sends a missed lifecycle notification to every Outlook
// subscription that lost one and has a lifecycleNotificationUrl.
func (s *Server) DropNotifications(drop bool) {
	st := s.subscriptions()
	if st == nil {
		return
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.dropping = drop
	if drop {
		return
	}
	for _, sub := range st.subs {
		if sub.missed && sub.activeAt(now) && sub.LifecycleNotificationURL != "" && sub.kind.outlook() {
			st.enqueueLocked(lifecycleDelivery(sub, LifecycleMissed))
		}
		sub.missed = false
	}
}

// ExpireSubscription removes a subscription as Graph does when it ends one
// (the user's password changed, the app lost access). An Outlook
// subscription with a lifecycleNotificationUrl gets a subscriptionRemoved
// lifecycle notification.
func (s *Server) ExpireSubscription(id string) error {
	st := s.subscriptions()
	if st == nil {
		return errors.New("graphtest: ExpireSubscription: subscription routes are not registered")
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	i := slices.IndexFunc(st.subs, func(sub *subscription) bool { return sub.ID == id && sub.activeAt(now) })
	if i < 0 {
		return fmt.Errorf("graphtest: ExpireSubscription: no active subscription %q", id)
	}
	sub := st.subs[i]
	st.subs = slices.Delete(st.subs, i, i+1)
	if sub.LifecycleNotificationURL != "" && sub.kind.outlook() {
		st.enqueueLocked(lifecycleDelivery(sub, LifecycleSubscriptionRemoved))
	}
	return nil
}

// SendLifecycle sends a lifecycle notification of event
// (LifecycleReauthorizationRequired or LifecycleMissed) to the
// lifecycleNotificationUrl of a subscription. Use ExpireSubscription for
// subscriptionRemoved.
func (s *Server) SendLifecycle(id, event string) error {
	st := s.subscriptions()
	if st == nil {
		return errors.New("graphtest: SendLifecycle: subscription routes are not registered")
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	i := slices.IndexFunc(st.subs, func(sub *subscription) bool { return sub.ID == id && sub.activeAt(now) })
	switch {
	case i < 0:
		return fmt.Errorf("graphtest: SendLifecycle: no active subscription %q", id)
	case event != LifecycleReauthorizationRequired && event != LifecycleMissed:
		return fmt.Errorf("graphtest: SendLifecycle: event %q is not %s or %s", event, LifecycleReauthorizationRequired, LifecycleMissed)
	case st.subs[i].LifecycleNotificationURL == "":
		return fmt.Errorf("graphtest: SendLifecycle: subscription %q has no lifecycleNotificationUrl", id)
	case event == LifecycleMissed && !st.subs[i].kind.outlook():
		return errors.New("graphtest: SendLifecycle: Graph sends missed notifications for Outlook resources only")
	}
	st.enqueueLocked(lifecycleDelivery(st.subs[i], event))
	return nil
}

// --- notifications of changes (called by the other parts) ---

// notifyMessage reports a change of a message of the user oid: created,
// updated (before is the folder it was in) or deleted.
func (s *Server) notifyMessage(oid string, m *Message, changeType, before string) {
	ch := change{oid: oid, kind: kindMessage, id: m.ID, changeType: changeType, before: before, after: m.Folder}
	if changeType != "deleted" {
		ch.etag = `W/"` + strconv.FormatInt(m.changeSeq, 10) + `"`
	}
	s.notifyChange(ch)
}

// notifyEvent reports a change of an event (or occurrence) of the user
// oid.
func (s *Server) notifyEvent(oid string, e *Event, changeType string) {
	ch := change{oid: oid, kind: kindEvent, id: e.ID, changeType: changeType, before: e.CalendarID, after: e.CalendarID}
	if changeType != "deleted" {
		ch.etag = etagOf(e)
	}
	s.notifyChange(ch)
}

// notifyContact reports a change of a contact of the user oid.
func (s *Server) notifyContact(oid string, c *Contact, changeType string) {
	ch := change{oid: oid, kind: kindContact, id: c.ID, changeType: changeType, before: c.ParentFolderID, after: c.ParentFolderID}
	if changeType != "deleted" {
		ch.etag = pimETag(c.ChangeKey)
	}
	s.notifyChange(ch)
}

// notifyTodoTask reports a change of a To Do task of the user oid.
func (s *Server) notifyTodoTask(oid string, t *TodoTask, changeType string) {
	ch := change{oid: oid, kind: kindTodoTask, id: t.ID, changeType: changeType, before: t.listID, after: t.listID, listID: t.listID}
	if changeType != "deleted" {
		ch.etag = pimETag(t.ChangeKey)
	}
	s.notifyChange(ch)
}

// notifyChange queues the change notifications of a change. It takes only
// the store's lock.
func (s *Server) notifyChange(ch change) {
	switch ch.changeType {
	case "created":
		ch.before = ""
	case "deleted":
		ch.after = ""
	}
	st := s.subscriptions()
	if st == nil {
		return
	}
	now := s.opts.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, sub := range st.subs {
		if !sub.activeAt(now) {
			continue
		}
		ct, ok := sub.sees(ch)
		if !ok {
			continue
		}
		d := changeDelivery(sub, ch, ct)
		if st.dropping {
			sub.missed = true
			st.sent = append(st.sent, SentNotification{Kind: d.kind, URL: d.url, Body: d.body, SubscriptionID: d.subID,
				ChangeType: d.changeType, Resource: d.resource, Dropped: true})
			continue
		}
		st.enqueueLocked(d)
	}
}

// timestamp formats a time as Graph's subscription timestamps.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// resourcePaths returns the resource, @odata.id and @odata.type of an
// item of the mailbox who ("{oid}@{tid}").
func resourcePaths(who string, ch change) (resource, odataID, odataType string) {
	switch ch.kind {
	case kindMessage:
		return "users/" + who + "/messages/" + ch.id, "Users/" + who + "/Messages/" + ch.id, "#Microsoft.Graph.Message"
	case kindEvent:
		return "users/" + who + "/events/" + ch.id, "Users/" + who + "/Events/" + ch.id, "#Microsoft.Graph.Event"
	case kindContact:
		return "users/" + who + "/contacts/" + ch.id, "Users/" + who + "/Contacts/" + ch.id, "#Microsoft.Graph.Contact"
	default:
		p := "/todo/lists/" + ch.listID + "/tasks/" + ch.id
		return "users/" + who + p, "Users/" + who + p, "#Microsoft.Graph.todoTask"
	}
}

func changeDelivery(sub *subscription, ch change, ct string) delivery {
	res, odataID, odataType := resourcePaths(sub.owner+"@"+sub.tenant, ch)
	data := map[string]any{"@odata.type": odataType, "@odata.id": odataID, "id": ch.id}
	if ch.etag != "" && ct != "deleted" {
		data["@odata.etag"] = ch.etag
	}
	n := map[string]any{
		"id":                             newGraphID("")[:16],
		"subscriptionId":                 sub.ID,
		"subscriptionExpirationDateTime": timestamp(sub.ExpirationDateTime),
		"changeType":                     ct,
		"resource":                       res,
		"resourceData":                   data,
		"clientState":                    nilIfEmpty(sub.ClientState),
		"tenantId":                       sub.tenant,
	}
	body, _ := json.Marshal(map[string]any{"value": []any{n}})
	return delivery{kind: NotificationChange, url: sub.NotificationURL, body: body, subID: sub.ID, changeType: ct, resource: res}
}

func lifecycleDelivery(sub *subscription, event string) delivery {
	n := map[string]any{
		"subscriptionId":                 sub.ID,
		"subscriptionExpirationDateTime": timestamp(sub.ExpirationDateTime),
		"tenantId":                       sub.tenant,
		"clientState":                    nilIfEmpty(sub.ClientState),
		"lifecycleEvent":                 event,
	}
	body, _ := json.Marshal(map[string]any{"value": []any{n}})
	return delivery{kind: NotificationLifecycle, url: sub.LifecycleNotificationURL, body: body, subID: sub.ID, lifecycle: event}
}

// enqueueLocked queues a delivery and starts the worker if it is idle.
func (st *subscriptionStore) enqueueLocked(d delivery) {
	if st.stopped {
		return
	}
	st.queue = append(st.queue, d)
	st.pending++
	if !st.running {
		st.running = true
		go st.deliverAll()
	}
}

// deliverAll is the worker: it delivers the queue in order, without the
// lock, and ends when the queue is empty.
func (st *subscriptionStore) deliverAll() {
	for {
		st.mu.Lock()
		if len(st.queue) == 0 || st.stopped {
			st.running = false
			st.idle.Broadcast()
			st.mu.Unlock()
			return
		}
		d := st.queue[0]
		st.queue = st.queue[1:]
		ctx, client := st.ctx, st.client
		st.mu.Unlock()
		st.deliver(ctx, client, d)
		st.mu.Lock()
		st.pending--
		st.idle.Broadcast()
		st.mu.Unlock()
	}
}

// deliver POSTs one notification, trying again at once after a failure.
func (st *subscriptionStore) deliver(ctx context.Context, client *http.Client, d delivery) {
	for attempt := 1; attempt <= notificationAttempts && ctx.Err() == nil; attempt++ {
		rec := SentNotification{Kind: d.kind, URL: d.url, Body: d.body, SubscriptionID: d.subID, ChangeType: d.changeType,
			LifecycleEvent: d.lifecycle, Resource: d.resource, Attempt: attempt}
		status, err := post(ctx, client, d.url, "application/json; charset=utf-8", d.body, notificationTimeout)
		rec.Status = status
		if err != nil {
			rec.Err = err.Error()
		}
		st.mu.Lock()
		st.sent = append(st.sent, rec)
		st.mu.Unlock()
		if status >= 200 && status < 300 {
			return
		}
	}
}

// post sends a POST and returns the status, draining the answer.
func post(ctx context.Context, client *http.Client, u, contentType string, body []byte, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// --- HTTP ---

// subscriptionCaller authenticates a subscriptions request (delegated
// tokens only).
func (s *Server) subscriptionCaller(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	c, ok := s.Authenticate(w, r)
	if !ok {
		return c, false
	}
	if c.User == nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "The fake supports subscriptions of delegated (user) tokens only.")
		return c, false
	}
	return c, true
}

// subscriptionNotFound answers an unknown subscription.
func subscriptionNotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, http.StatusNotFound, "ResourceNotFound", "The object was not found.")
}

// accessDenied answers a missing permission or another user's mailbox.
func accessDenied(w http.ResponseWriter, r *http.Request, op string) {
	WriteError(w, r, http.StatusForbidden, "ExtensionError",
		"Operation: "+op+"; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]")
}

func (s *Server) subscriptionJSON(sub *subscription, withState bool) map[string]any {
	var state any
	if withState {
		state = nilIfEmpty(sub.ClientState)
	}
	return map[string]any{
		"id":                        sub.ID,
		"resource":                  sub.Resource,
		"applicationId":             sub.ApplicationID,
		"changeType":                sub.ChangeType,
		"clientState":               state,
		"notificationUrl":           sub.NotificationURL,
		"notificationQueryOptions":  nil,
		"lifecycleNotificationUrl":  nilIfEmpty(sub.LifecycleNotificationURL),
		"expirationDateTime":        timestamp(sub.ExpirationDateTime),
		"creatorId":                 sub.CreatorID,
		"includeResourceData":       false,
		"latestSupportedTlsVersion": sub.LatestSupportedTLSVersion,
		"encryptionCertificate":     nil,
		"encryptionCertificateId":   nil,
		"notificationUrlAppId":      nil,
	}
}

// ownedLocked returns the caller's active subscription id, or nil.
func (st *subscriptionStore) ownedLocked(c Caller, id string, now time.Time) *subscription {
	for _, sub := range st.subs {
		if sub.ID == id && sub.owner == strings.ToLower(c.User.ObjectID) && sub.activeAt(now) {
			return sub
		}
	}
	return nil
}

// purgeLocked forgets expired subscriptions (Graph deletes them).
func (st *subscriptionStore) purgeLocked(now time.Time) {
	st.subs = slices.DeleteFunc(st.subs, func(sub *subscription) bool { return !sub.activeAt(now) })
}

// parsedResource is the resource of a subscription request.
type parsedResource struct {
	kind      itemKind
	user      string // "" for me
	container string // as named: folder name or id, calendar id, list id
}

// keyArg reads "name('key')" (or "name" followed by the segment "key").
func keyArg(segs []string, name string) (key string, rest []string, ok bool) {
	if len(segs) == 0 {
		return "", nil, false
	}
	s := segs[0]
	if strings.EqualFold(s, name) && len(segs) > 1 && segs[1] != "" {
		return segs[1], segs[2:], true
	}
	if len(s) > len(name)+4 && strings.EqualFold(s[:len(name)], name) && strings.HasPrefix(s[len(name):], "('") && strings.HasSuffix(s, "')") {
		k := s[len(name)+2 : len(s)-2]
		if strings.Contains(strings.ReplaceAll(k, "''", ""), "'") || k == "" {
			return "", nil, false
		}
		return strings.ReplaceAll(k, "''", "'"), segs[1:], true
	}
	return "", nil, false
}

// parseResource parses the supported resource paths.
func parseResource(res string) (parsedResource, bool) {
	if len(res) > 2048 || strings.ContainsAny(res, "?#") {
		return parsedResource{}, false
	}
	segs := strings.Split(strings.TrimPrefix(res, "/"), "/")
	var p parsedResource
	switch {
	case strings.EqualFold(segs[0], "me"):
		segs = segs[1:]
	case strings.EqualFold(segs[0], "users") && len(segs) > 1 && segs[1] != "":
		p.user, segs = segs[1], segs[2:]
	default:
		return p, false
	}
	is := func(want ...string) bool {
		if len(segs) != len(want) {
			return false
		}
		for i := range want {
			if !strings.EqualFold(segs[i], want[i]) {
				return false
			}
		}
		return true
	}
	switch {
	case is("messages"):
		p.kind = kindMessage
	case is("events"):
		p.kind = kindEvent
	case is("contacts"):
		p.kind = kindContact
	default:
		for _, form := range []struct {
			name string
			kind itemKind
			tail []string
		}{
			{"mailFolders", kindMessage, []string{"messages"}},
			{"calendars", kindEvent, []string{"events"}},
		} {
			if key, rest, ok := keyArg(segs, form.name); ok && slices.EqualFunc(rest, form.tail, strings.EqualFold) {
				p.kind, p.container = form.kind, key
				return p, true
			}
		}
		if len(segs) > 1 && strings.EqualFold(segs[0], "todo") {
			if key, rest, ok := keyArg(segs[1:], "lists"); ok && slices.EqualFunc(rest, []string{"tasks"}, strings.EqualFold) {
				p.kind, p.container = kindTodoTask, key
				return p, true
			}
		}
		return p, false
	}
	return p, true
}

// parseChangeType checks a comma-separated changeType.
func parseChangeType(v string) ([]string, bool) {
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if !slices.Contains([]string{"created", "updated", "deleted"}, part) || slices.Contains(out, part) {
			return nil, false
		}
		out = append(out, part)
	}
	return out, len(out) > 0
}

// parseExpiry reads an expirationDateTime and applies the documented
// bounds: under 45 minutes ahead becomes 45 minutes; beyond the kind's
// maximum is an error.
func parseExpiry(v string, kind itemKind, now time.Time) (time.Time, int, string, string) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, http.StatusBadRequest, "InvalidRequest", "expirationDateTime is not a valid DateTimeOffset."
	}
	max := kind.maxLifetime()
	if t.After(now.Add(max)) {
		return time.Time{}, http.StatusBadRequest, "ExtensionError",
			fmt.Sprintf("Subscription expiration can only be %d minutes in the future.", int(max/time.Minute))
	}
	if t.Before(now.Add(subscriptionMin)) {
		t = now.Add(subscriptionMin)
	}
	return t.UTC(), 0, "", ""
}

// checkEndpointURL refuses a URL Graph would not call: not absolute
// https (http is allowed on loopback hosts, where tests listen).
func checkEndpointURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if strings.EqualFold(host, "localhost") {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// validationFailed is Graph's answer to a failed validation.
type validationFailed struct{ message string }

// validateEndpoint runs the validation handshake with an endpoint.
func (s *Server) validateEndpoint(st *subscriptionStore, endpoint string) *validationFailed {
	token := "Validation: Testing client application reachability for subscription Request-Id: " + randomID()
	u, err := url.Parse(endpoint)
	if err != nil {
		return &validationFailed{"Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request."}
	}
	q := u.Query()
	q.Set("validationToken", token)
	u.RawQuery = q.Encode()
	st.mu.Lock()
	ctx, client := st.ctx, st.client
	st.mu.Unlock()
	rec := SentNotification{Kind: NotificationValidation, URL: u.String(), ValidationToken: token, Attempt: 1}
	ctx, cancel := context.WithTimeout(ctx, validationTimeout)
	defer cancel()
	var fail *validationFailed
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	if err == nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			rec.Status = resp.StatusCode
			ct := strings.ToLower(strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0]))
			switch {
			case resp.StatusCode != http.StatusOK:
				fail = &validationFailed{"Subscription validation request failed. HTTP status code is '" + statusName(resp.StatusCode) +
					"'. Notification endpoint must respond with 200 OK to validation request."}
			case ct != "text/plain" || string(body) != token:
				fail = &validationFailed{"Subscription validation request failed. Response must exactly match validationToken query parameter."}
			}
		}
	}
	if err != nil {
		rec.Err = err.Error()
		fail = &validationFailed{"Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request."}
		if errors.Is(err, context.DeadlineExceeded) {
			fail = &validationFailed{"Subscription validation request timed out."}
		}
	}
	st.mu.Lock()
	st.sent = append(st.sent, rec)
	st.mu.Unlock()
	return fail
}

// statusName is the .NET name of a status ("NotFound").
func statusName(code int) string {
	if t := http.StatusText(code); t != "" {
		return strings.NewReplacer(" ", "", "-", "").Replace(t)
	}
	return fmt.Sprint(code)
}

// resolveContainer checks that the folder, calendar or list of a resource
// exists and returns its id ("" for the whole mailbox); false when it does
// not. It takes the other parts' locks, so the caller holds none.
func (s *Server) resolveContainer(oid string, p parsedResource) (string, bool) {
	if p.container == "" {
		return "", true
	}
	switch p.kind {
	case kindMessage:
		id := s.FolderID(oid, p.container)
		return id, id != ""
	case kindEvent:
		for _, c := range s.Calendars(oid) {
			if c.ID == p.container {
				return c.ID, true
			}
		}
	case kindTodoTask:
		for _, l := range s.TodoLists(oid) {
			if l.ID == p.container {
				return l.ID, true
			}
		}
	}
	return "", false
}

// handleCreateSubscription is POST /v1.0/subscriptions.
func (s *Server) handleCreateSubscription(w http.ResponseWriter, r *http.Request) {
	c, ok := s.subscriptionCaller(w, r)
	if !ok {
		return
	}
	st := s.subscriptions()
	var in struct {
		ChangeType                string  `json:"changeType"`
		NotificationURL           string  `json:"notificationUrl"`
		LifecycleNotificationURL  string  `json:"lifecycleNotificationUrl"`
		Resource                  string  `json:"resource"`
		ExpirationDateTime        string  `json:"expirationDateTime"`
		ClientState               *string `json:"clientState"`
		LatestSupportedTLSVersion string  `json:"latestSupportedTlsVersion"`
		IncludeResourceData       bool    `json:"includeResourceData"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return
	}
	invalid := func(msg string) { WriteError(w, r, http.StatusBadRequest, "InvalidRequest", msg) }
	for _, req := range []struct{ name, v string }{
		{"changeType", in.ChangeType}, {"notificationUrl", in.NotificationURL}, {"resource", in.Resource}, {"expirationDateTime", in.ExpirationDateTime},
	} {
		if strings.TrimSpace(req.v) == "" {
			invalid(req.name + " is a required property for subscription creation.")
			return
		}
	}
	changes, ok := parseChangeType(in.ChangeType)
	if !ok {
		invalid("The changeType '" + in.ChangeType + "' is not supported: use created, updated and deleted, separated by commas.")
		return
	}
	p, ok := parseResource(in.Resource)
	if !ok {
		invalid("Resource '" + in.Resource + "' is not supported.")
		return
	}
	oid := strings.ToLower(c.User.ObjectID)
	if p.user != "" && !strings.EqualFold(p.user, oid) && !strings.EqualFold(p.user, c.User.UserPrincipalName) {
		accessDenied(w, r, "Create")
		return
	}
	if !c.HasScope(p.kind.scopes()...) {
		accessDenied(w, r, "Create")
		return
	}
	state := ""
	if in.ClientState != nil {
		state = *in.ClientState
	}
	switch tls := in.LatestSupportedTLSVersion; {
	case len([]rune(state)) > maxClientState:
		invalid("clientState must be at most 128 characters long.")
		return
	case in.IncludeResourceData:
		invalid("includeResourceData requires an encryptionCertificate; the fake sends no resource data.")
		return
	case tls != "" && !slices.Contains([]string{"v1_0", "v1_1", "v1_2", "v1_3"}, tls):
		invalid("latestSupportedTlsVersion '" + tls + "' is not one of v1_0, v1_1, v1_2, v1_3.")
		return
	case !checkEndpointURL(in.NotificationURL) || in.LifecycleNotificationURL != "" && !checkEndpointURL(in.LifecycleNotificationURL):
		WriteError(w, r, http.StatusBadRequest, "ValidationError", "Subscription validation request failed. The notification URL must be an absolute HTTPS URL.")
		return
	}
	if in.LatestSupportedTLSVersion == "" {
		in.LatestSupportedTLSVersion = "v1_2"
	}
	now := s.opts.Now()
	exp, status, code, msg := parseExpiry(in.ExpirationDateTime, p.kind, now)
	if status != 0 {
		WriteError(w, r, status, code, msg)
		return
	}
	container, ok := s.resolveContainer(oid, p)
	if !ok {
		WriteError(w, r, http.StatusNotFound, "ExtensionError",
			"Operation: Create; Exception: [Status Code: NotFound; Reason: The specified object was not found in the store.]")
		return
	}
	for _, u := range []string{in.NotificationURL, in.LifecycleNotificationURL} {
		if u == "" {
			continue
		}
		if fail := s.validateEndpoint(st, u); fail != nil {
			WriteError(w, r, http.StatusBadRequest, "ValidationError", fail.message)
			return
		}
	}
	sub := &subscription{
		Subscription: Subscription{ID: randomID(), Resource: in.Resource, ChangeType: strings.Join(changes, ","), ClientState: state,
			NotificationURL: in.NotificationURL, LifecycleNotificationURL: in.LifecycleNotificationURL, ExpirationDateTime: exp,
			CreatorID: oid, ApplicationID: s.opts.ClientID, LatestSupportedTLSVersion: in.LatestSupportedTLSVersion},
		owner: oid, tenant: strings.ToLower(c.User.TenantID), kind: p.kind, container: container, changes: changes,
	}
	st.mu.Lock()
	st.purgeLocked(now)
	st.subs = append(st.subs, sub)
	out := s.subscriptionJSON(sub, true)
	st.mu.Unlock()
	out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#subscriptions/$entity"
	writeGraphJSON(w, r, http.StatusCreated, out)
}

// handleListSubscriptions is GET /v1.0/subscriptions: the caller's
// subscriptions, clientState hidden.
func (s *Server) handleListSubscriptions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.subscriptionCaller(w, r)
	if !ok {
		return
	}
	st := s.subscriptions()
	now := s.opts.Now()
	st.mu.Lock()
	st.purgeLocked(now)
	value := []map[string]any{}
	for _, sub := range st.subs {
		if sub.owner == strings.ToLower(c.User.ObjectID) && c.HasScope(sub.kind.scopes()...) {
			value = append(value, s.subscriptionJSON(sub, false))
		}
	}
	st.mu.Unlock()
	writeGraphJSON(w, r, http.StatusOK, map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#subscriptions", "value": value})
}

// handleGetSubscription is GET /v1.0/subscriptions/{id}; other collections
// get the mux's 404 (see subscriptionRoutes).
func (s *Server) handleGetSubscription(w http.ResponseWriter, r *http.Request) {
	c, ok := s.subscriptionCaller(w, r)
	if !ok {
		return
	}
	st := s.subscriptions()
	st.mu.Lock()
	sub := st.ownedLocked(c, r.PathValue("id"), s.opts.Now())
	var out map[string]any
	if sub != nil && c.HasScope(sub.kind.scopes()...) {
		out = s.subscriptionJSON(sub, true)
	}
	st.mu.Unlock()
	switch {
	case sub == nil:
		subscriptionNotFound(w, r)
	case out == nil:
		accessDenied(w, r, "Read")
	default:
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#subscriptions/$entity"
		writeGraphJSON(w, r, http.StatusOK, out)
	}
}

// handlePatchSubscription is PATCH /v1.0/subscriptions/{id}
// {expirationDateTime, notificationUrl}: 200 with the subscription.
func (s *Server) handlePatchSubscription(w http.ResponseWriter, r *http.Request) {
	c, ok := s.subscriptionCaller(w, r)
	if !ok {
		return
	}
	var in struct {
		ExpirationDateTime string `json:"expirationDateTime"`
		NotificationURL    string `json:"notificationUrl"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return
	}
	st := s.subscriptions()
	id := r.PathValue("id")
	now := s.opts.Now()
	st.mu.Lock()
	sub := st.ownedLocked(c, id, now)
	var kind itemKind
	if sub != nil {
		kind = sub.kind
	}
	st.mu.Unlock()
	switch {
	case sub == nil:
		subscriptionNotFound(w, r)
		return
	case !c.HasScope(kind.scopes()...):
		accessDenied(w, r, "Update")
		return
	case in.ExpirationDateTime == "" && in.NotificationURL == "":
		WriteError(w, r, http.StatusBadRequest, "InvalidRequest", "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.")
		return
	}
	var exp time.Time
	if in.ExpirationDateTime != "" {
		var status int
		var code, msg string
		if exp, status, code, msg = parseExpiry(in.ExpirationDateTime, kind, now); status != 0 {
			WriteError(w, r, status, code, msg)
			return
		}
	}
	if in.NotificationURL != "" {
		if !checkEndpointURL(in.NotificationURL) {
			WriteError(w, r, http.StatusBadRequest, "ValidationError", "Subscription validation request failed. The notification URL must be an absolute HTTPS URL.")
			return
		}
		if fail := s.validateEndpoint(st, in.NotificationURL); fail != nil {
			WriteError(w, r, http.StatusBadRequest, "ValidationError", fail.message)
			return
		}
	}
	st.mu.Lock()
	sub = st.ownedLocked(c, id, now)
	var out map[string]any
	if sub != nil {
		if !exp.IsZero() {
			sub.ExpirationDateTime = exp
		}
		if in.NotificationURL != "" {
			sub.NotificationURL = in.NotificationURL
		}
		out = s.subscriptionJSON(sub, true)
	}
	st.mu.Unlock()
	if sub == nil {
		subscriptionNotFound(w, r)
		return
	}
	out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#subscriptions/$entity"
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleDeleteSubscription is DELETE /v1.0/subscriptions/{id}: 204.
func (s *Server) handleDeleteSubscription(w http.ResponseWriter, r *http.Request) {
	c, ok := s.subscriptionCaller(w, r)
	if !ok {
		return
	}
	st := s.subscriptions()
	st.mu.Lock()
	sub := st.ownedLocked(c, r.PathValue("id"), s.opts.Now())
	allowed := sub != nil && c.HasScope(sub.kind.scopes()...)
	if allowed {
		st.subs = slices.DeleteFunc(st.subs, func(x *subscription) bool { return x == sub })
	}
	st.mu.Unlock()
	switch {
	case sub == nil:
		subscriptionNotFound(w, r)
	case !allowed:
		accessDenied(w, r, "Delete")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleReauthorizeSubscription is POST
// /v1.0/subscriptions/{id}/reauthorize: 204.
func (s *Server) handleReauthorizeSubscription(w http.ResponseWriter, r *http.Request) {
	c, ok := s.subscriptionCaller(w, r)
	if !ok {
		return
	}
	st := s.subscriptions()
	st.mu.Lock()
	sub := st.ownedLocked(c, r.PathValue("id"), s.opts.Now())
	allowed := sub != nil && c.HasScope(sub.kind.scopes()...)
	st.mu.Unlock()
	switch {
	case sub == nil:
		subscriptionNotFound(w, r)
	case !allowed:
		accessDenied(w, r, "Reauthorize")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
