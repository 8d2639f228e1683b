package office365

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/unified/calendar"
	"github.com/aurinko-go/aurinko/unified/provider"
	"github.com/aurinko-go/aurinko/unified/tasks"
)

// Change notifications (push.go): provider.Pusher over Microsoft Graph
// subscriptions delivered through webhooks, with plain HTTP to Graph v1.0
// through the account's authorized client.
//
//   - PushSubscribe: POST /subscriptions with changeType
//     created,updated,deleted, the host's push URL as notificationUrl and
//     lifecycleNotificationUrl, clientState, and expirationDateTime capped
//     below Graph's maximum (10080 minutes for Outlook messages, events
//     and contacts, 4230 for To Do tasks). The unified resources map to
//     /email/messages → me/mailFolders('inbox')/messages (the folder the
//     unified email delta sync reads), /calendars/primary/events →
//     me/events, /calendars/{id}/events → me/calendars/{id}/events,
//     /contacts → me/contacts, /tasklists/{id}/tasks →
//     me/todo/lists/{id}/tasks ("default" is the list with
//     wellknownListName defaultList, found by GET /me/todo/lists). Graph
//     validates the push URL before it answers, so HandlePush must already
//     be served there;
//   - PushRenew: GET /subscriptions/{id} (for the resource, hence the
//     maximum) then PATCH {expirationDateTime}; an unknown subscription is
//     provider.ErrNotFound. PushUnsubscribe: DELETE, where 404 is success;
//   - HandlePush: a POST with ?validationToken= (no body, or text/plain) is
//     answered 200 text/plain with the token, which must be 1 to 1024
//     printable ASCII characters without markup (<>&"'`): Graph never
//     sends those, and the token is echoed unescaped. Any other POST must
//     be a JSON changeNotificationCollection of at most 1 MiB; it is
//     answered 202 Accepted at once, and each value becomes a
//     provider.PushEvent with the subscription id, the clientState (which
//     the caller compares; it is never logged) and the lifecycleEvent
//     (reauthorizationRequired, subscriptionRemoved, missed; a value with
//     another lifecycleEvent is skipped). Malformed requests get 4xx and
//     no events.

var _ provider.Pusher = (*Connector)(nil)

// Limits of subscriptions and of the push endpoint.
const (
	// outlookPushLifetime and todoPushLifetime are Graph's longest
	// subscription lifetimes (10080 and 4230 minutes).
	outlookPushLifetime = 10080 * time.Minute
	todoPushLifetime    = 4230 * time.Minute
	// pushExpiryMargin keeps an asked expiry clear of Graph's maximum
	// despite clock skew and request time.
	pushExpiryMargin = time.Minute
	// maxPushClientState is Graph's longest clientState of a subscription.
	maxPushClientState = 128
	// maxPushBody bounds a notification request's body.
	maxPushBody = 1 << 20
	// maxValidationToken bounds a validation token (Graph's are about 110
	// characters).
	maxValidationToken = 1024
	// maxPushValues bounds the notifications of one request.
	maxPushValues = 1000
	// maxEchoedState bounds a notification's clientState (Graph: 255).
	maxEchoedState = 255
)

// pushChangeTypes are the changes every subscription asks for: unified
// webhooks report creations, updates and deletions alike.
const pushChangeTypes = "created,updated,deleted"

// graphSubscription is the part of Graph's subscription resource the
// connector reads.
type graphSubscription struct {
	ID                 string    `json:"id"`
	Resource           string    `json:"resource"`
	ExpirationDateTime time.Time `json:"expirationDateTime"`
}

// PushSubscribe implements provider.Pusher: POST /subscriptions.
func (c *Connector) PushSubscribe(ctx context.Context, acct provider.Account, req provider.PushRequest) (provider.PushSubscription, error) {
	if err := checkNotificationURL(req.NotificationURL); err != nil {
		return provider.PushSubscription{}, err
	}
	if len([]rune(req.ClientState)) > maxPushClientState {
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrInvalid, Message: "the client state is longer than 128 characters"}
	}
	resource, lifetime, err := c.graphPushResource(ctx, acct, req.Resource)
	if err != nil {
		return provider.PushSubscription{}, err
	}
	body := map[string]any{
		"changeType":               pushChangeTypes,
		"notificationUrl":          req.NotificationURL,
		"lifecycleNotificationUrl": req.NotificationURL,
		"resource":                 resource,
		"expirationDateTime":       c.pushExpiry(req.ExpiresAt, lifetime).Format(time.RFC3339Nano),
	}
	if req.ClientState != "" {
		body["clientState"] = req.ClientState
	}
	var out graphSubscription
	if err := c.pushDo(ctx, acct, http.MethodPost, c.graphBase()+"/subscriptions", body, &out); err != nil {
		return provider.PushSubscription{}, err
	}
	if out.ID == "" {
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrUnavailable, Message: "Microsoft Graph answered without a subscription id",
			Status: http.StatusCreated}
	}
	return provider.PushSubscription{ID: out.ID, ExpiresAt: out.ExpirationDateTime}, nil
}

// PushRenew implements provider.Pusher: GET /subscriptions/{id} for the
// resource's maximum lifetime, then PATCH {expirationDateTime}.
func (c *Connector) PushRenew(ctx context.Context, acct provider.Account, sub provider.PushSubscription, expiresAt time.Time) (provider.PushSubscription, error) {
	if !provider.ValidID(sub.ID) {
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrNotFound, Message: "not a Microsoft Graph subscription id"}
	}
	u := c.graphBase() + "/subscriptions/" + url.PathEscape(sub.ID)
	var cur graphSubscription
	if err := c.pushDo(ctx, acct, http.MethodGet, u, nil, &cur); err != nil {
		return provider.PushSubscription{}, err
	}
	lifetime := outlookPushLifetime
	if strings.Contains(strings.ToLower(cur.Resource), "/todo/") {
		lifetime = todoPushLifetime
	}
	var out graphSubscription
	body := map[string]any{"expirationDateTime": c.pushExpiry(expiresAt, lifetime).Format(time.RFC3339Nano)}
	if err := c.pushDo(ctx, acct, http.MethodPatch, u, body, &out); err != nil {
		return provider.PushSubscription{}, err
	}
	if out.ID == "" {
		out.ID = sub.ID
	}
	return provider.PushSubscription{ID: out.ID, ExpiresAt: out.ExpirationDateTime}, nil
}

// PushUnsubscribe implements provider.Pusher: DELETE /subscriptions/{id}; a
// subscription Graph does not know is already gone.
func (c *Connector) PushUnsubscribe(ctx context.Context, acct provider.Account, sub provider.PushSubscription) error {
	if !provider.ValidID(sub.ID) {
		return nil
	}
	err := c.pushDo(ctx, acct, http.MethodDelete, c.graphBase()+"/subscriptions/"+url.PathEscape(sub.ID), nil, nil)
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	return err
}

// pushExpiry is the expiry to ask for: asked, but no later than the
// resource's maximum (the maximum when asked is zero).
func (c *Connector) pushExpiry(asked time.Time, lifetime time.Duration) time.Time {
	limit := c.now().Add(lifetime - pushExpiryMargin)
	if asked.IsZero() || asked.After(limit) {
		return limit.UTC()
	}
	return asked.UTC()
}

// checkNotificationURL refuses a push URL Graph could not call back.
func checkNotificationURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return &provider.Error{Kind: provider.ErrInvalid, Message: "the notification URL must be an absolute https (or http) URL"}
	}
	return nil
}

// graphPushResource maps a unified resource to the Graph subscription
// resource and its maximum lifetime.
func (c *Connector) graphPushResource(ctx context.Context, acct provider.Account, resource string) (string, time.Duration, error) {
	unsupported := &provider.Error{Kind: provider.ErrUnsupported, Message: "Microsoft Graph cannot push changes of this resource"}
	switch resource {
	case "/email/messages":
		return "me/mailFolders('" + deltaFolder + "')/messages", outlookPushLifetime, nil
	case "/contacts":
		return "me/contacts", outlookPushLifetime, nil
	}
	segs := strings.Split(resource, "/")
	if len(segs) != 4 || segs[0] != "" || !provider.ValidID(segs[2]) {
		return "", 0, unsupported
	}
	switch {
	case segs[1] == "calendars" && segs[3] == "events":
		if segs[2] == calendar.PrimaryID {
			return "me/events", outlookPushLifetime, nil
		}
		return "me/calendars/" + url.PathEscape(segs[2]) + "/events", outlookPushLifetime, nil
	case segs[1] == "tasklists" && segs[3] == "tasks":
		id := segs[2]
		if id == tasks.DefaultID {
			var err error
			if id, err = c.defaultTaskListID(ctx, acct); err != nil {
				return "", 0, err
			}
		}
		return "me/todo/lists/" + url.PathEscape(id) + "/tasks", todoPushLifetime, nil
	}
	return "", 0, unsupported
}

// defaultTaskListID finds the To Do list with wellknownListName
// defaultList (Graph has no alias for it).
func (c *Connector) defaultTaskListID(ctx context.Context, acct provider.Account) (string, error) {
	u := c.graphBase() + "/me/todo/lists"
	for range 100 {
		var page struct {
			Value []struct {
				ID                string `json:"id"`
				WellknownListName string `json:"wellknownListName"`
			} `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := c.pushDo(ctx, acct, http.MethodGet, u, nil, &page); err != nil {
			return "", err
		}
		for _, l := range page.Value {
			if l.WellknownListName == "defaultList" && provider.ValidID(l.ID) {
				return l.ID, nil
			}
		}
		if page.NextLink == "" {
			break
		}
		u = page.NextLink
	}
	return "", &provider.Error{Kind: provider.ErrNotFound, Message: "the account has no default task list"}
}

// pushDo sends a Graph request of the subscription calls as the account
// and decodes a JSON answer into out (when not nil); see graphDo.
func (c *Connector) pushDo(ctx context.Context, acct provider.Account, method, u string, body, out any) error {
	return c.graphDo(ctx, acct.Client, graphCall{method: method, url: u, body: body, noImmutableID: true, what: "subscription"}, out)
}

// errPushRefused is the cause of every refused push request; the reason
// is added without anything the request carried.
var errPushRefused = errors.New("office365: push request refused")

// refusePush answers a refused push request and returns its error.
func refusePush(w http.ResponseWriter, status int, reason string) error {
	http.Error(w, http.StatusText(status), status)
	return fmt.Errorf("%w: %s", errPushRefused, reason)
}

// HandlePush implements provider.Pusher for Graph's POSTs to the push
// endpoint: validation handshakes and notification collections.
func (c *Connector) HandlePush(w http.ResponseWriter, r *http.Request) ([]provider.PushEvent, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, refusePush(w, http.StatusMethodNotAllowed, "not a POST")
	}
	if tokens, ok := r.URL.Query()["validationToken"]; ok {
		return nil, answerValidation(w, r, tokens)
	}
	return readNotifications(w, r)
}

// mediaType returns the lower-case media type of a request ("" for none).
func mediaType(r *http.Request) (string, bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return strings.ToLower(mt), err == nil
}

// answerValidation echoes a validation token as Graph expects: 200,
// text/plain, the token as it is. Tokens that are not plain printable
// ASCII, or hold markup, are refused instead of escaped.
func answerValidation(w http.ResponseWriter, r *http.Request, tokens []string) error {
	if mt, ok := mediaType(r); !ok || (mt != "" && mt != "text/plain") {
		return refusePush(w, http.StatusUnsupportedMediaType, "a validation request that is not text/plain")
	}
	if len(tokens) != 1 || tokens[0] == "" || len(tokens[0]) > maxValidationToken {
		return refusePush(w, http.StatusBadRequest, "a missing, repeated or oversized validation token")
	}
	tok := tokens[0]
	for i := 0; i < len(tok); i++ {
		if b := tok[i]; b < 0x20 || b > 0x7e || strings.IndexByte("<>&\"'`", b) >= 0 {
			return refusePush(w, http.StatusBadRequest, "a validation token with characters Graph never sends")
		}
	}
	n, err := io.Copy(io.Discard, io.LimitReader(r.Body, maxValidationToken+1))
	if err != nil || n > maxValidationToken {
		return refusePush(w, http.StatusRequestEntityTooLarge, "a validation request with a body")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, tok)
	return nil
}

// graphNotification is one value of a changeNotificationCollection, with
// the properties the connector reads.
type graphNotification struct {
	SubscriptionID string  `json:"subscriptionId"`
	ClientState    *string `json:"clientState"`
	LifecycleEvent string  `json:"lifecycleEvent"`
}

// readNotifications parses a notification collection, answers 202 at
// once and returns its events.
func readNotifications(w http.ResponseWriter, r *http.Request) ([]provider.PushEvent, error) {
	if mt, ok := mediaType(r); !ok || (mt != "" && mt != "application/json") {
		return nil, refusePush(w, http.StatusUnsupportedMediaType, "a notification that is not JSON")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPushBody))
	var body struct {
		Value *[]graphNotification `json:"value"`
	}
	if err := dec.Decode(&body); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, refusePush(w, http.StatusRequestEntityTooLarge, "a notification body over 1 MiB")
		}
		return nil, refusePush(w, http.StatusBadRequest, "a body that is not a notification collection")
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, refusePush(w, http.StatusRequestEntityTooLarge, "a notification body over 1 MiB")
		}
		return nil, refusePush(w, http.StatusBadRequest, "data after the notification collection")
	}
	if body.Value == nil || len(*body.Value) == 0 || len(*body.Value) > maxPushValues {
		return nil, refusePush(w, http.StatusBadRequest, "a notification collection without values")
	}
	events := make([]provider.PushEvent, 0, len(*body.Value))
	for _, n := range *body.Value {
		if !provider.ValidID(n.SubscriptionID) || len(n.SubscriptionID) > 256 {
			return nil, refusePush(w, http.StatusBadRequest, "a notification without a valid subscriptionId")
		}
		state := ""
		if n.ClientState != nil {
			state = *n.ClientState
		}
		if len(state) > maxEchoedState {
			return nil, refusePush(w, http.StatusBadRequest, "a notification with an oversized clientState")
		}
		switch n.LifecycleEvent {
		case "", provider.LifecycleReauthorizationRequired, provider.LifecycleSubscriptionRemoved, provider.LifecycleMissed:
		default:
			continue // a lifecycle event this connector does not know
		}
		events = append(events, provider.PushEvent{SubscriptionID: n.SubscriptionID, ClientState: state, Lifecycle: n.LifecycleEvent})
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	_ = http.NewResponseController(w).Flush()
	return events, nil
}
