package google

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	gmail "google.golang.org/api/gmail/v1"

	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
	"github.com/aurinko-go/aurinko/unified/provider"
)

// Gmail push notifications (push.go): provider.Pusher over Gmail's
// users.watch, delivered by a Cloud Pub/Sub push subscription. Enabled by
// Config.PubSubTopic; without it PushSubscribe answers
// provider.ErrUnsupported (the caller polls) and HandlePush 404.
//
//   - PushSubscribe: for /email/messages only (other resources are
//     provider.ErrUnsupported, which the caller polls): POST
//     gmail/v1/users/me/watch {topicName} without labelIds, so that every
//     change of the mailbox is published: the unified email delta covers
//     every message outside spam and trash (archived and sent mail, label
//     changes, moves to spam or trash, which it reports as deletions), so
//     a filter on INBOX would miss changes it reports. The subscription id
//     is the mailbox address in lower case (a Gmail watch covers the whole
//     mailbox, shared by every subscription of it); its expiry is Gmail's
//     expiration (seven days). Gmail's errors are classified as for the
//     Email API (a topic Gmail may not publish to is 403, left
//     unclassified);
//   - PushRenew: users.watch again, Gmail's documented renewal (an
//     existing watch is replaced and extended). PushUnsubscribe:
//     users.stop (also without PubSubTopic, to end a watch made before);
//     404 is success;
//   - HandlePush: POST only (405), authenticated before the body is read:
//     "Authorization: Bearer <Google-signed OIDC ID token>" verified with
//     the keys at Endpoints.JWKSURL (RS256, expiry), issuer
//     https://accounts.google.com or accounts.google.com (Endpoints.Issuer
//     in its two forms), aud = Config.PushAudience or the request's own URL
//     (Pub/Sub's default audience is the push endpoint), any failure 401;
//     email = Config.PushServiceAccount (case-insensitive) with
//     email_verified true, else 403. Then the body, application/json of at
//     most 64 KiB (413): the Pub/Sub push envelope {"message": {"data",
//     "messageId", "publishTime", "attributes", ...}, "subscription"}
//     whose data is base64 (standard or URL alphabet, padded or not) of
//     Gmail's JSON {"emailAddress", "historyId"} (a number or a string);
//     anything else is 400 (Pub/Sub redelivers it until it expires). A
//     valid push is answered 204 at once and is one provider.PushEvent
//     with AccountEmail, the address in lower case. The historyId is not
//     used: the caller reads the changes by delta sync.

var _ provider.Pusher = (*Connector)(nil)

// Limits of the push endpoint.
const (
	// pushResource is the one unified resource Gmail pushes.
	pushResource = "/email/messages"
	// maxPushBody bounds a push request's body; Gmail's are under 1 KiB.
	maxPushBody = 64 << 10
	// maxPushToken bounds the bearer token of a push request.
	maxPushToken = 8 << 10
	// maxAddress bounds an address (RFC 5321 path limit).
	maxAddress = 254
)

// pubSubTopic is a Pub/Sub topic name.
var pubSubTopic = regexp.MustCompile(`^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/topics/[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$`)

// pushConfig is the Gmail push part of Config.
type pushConfig struct {
	topic, serviceAccount, audience string
}

func newPushConfig(cfg Config) (pushConfig, error) {
	p := pushConfig{topic: strings.TrimSpace(cfg.PubSubTopic), serviceAccount: strings.TrimSpace(cfg.PushServiceAccount),
		audience: strings.TrimSpace(cfg.PushAudience)}
	if p.topic == "" {
		if p.serviceAccount != "" || p.audience != "" {
			return pushConfig{}, errors.New("google: Config.PushServiceAccount and Config.PushAudience need Config.PubSubTopic")
		}
		return pushConfig{}, nil
	}
	if !pubSubTopic.MatchString(p.topic) {
		return pushConfig{}, fmt.Errorf("google: Config.PubSubTopic %q is not projects/{project}/topics/{topic}", truncate(p.topic, 300))
	}
	if !validAddress(p.serviceAccount) {
		return pushConfig{}, errors.New("google: Config.PushServiceAccount (the email of the push subscription's service account) is required with Config.PubSubTopic")
	}
	return p, nil
}

// PushSubscribe implements provider.Pusher: users.watch of acct's mailbox
// for /email/messages. See the notes of push.go.
func (c *Connector) PushSubscribe(ctx context.Context, acct provider.Account, req provider.PushRequest) (provider.PushSubscription, error) {
	if c.push.topic == "" {
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrUnsupported,
			Message: "Gmail push notifications are not configured (google.Config.PubSubTopic)"}
	}
	if req.Resource != pushResource {
		return provider.PushSubscription{}, provider.Unsupported("push notifications of " + truncate(req.Resource, 100))
	}
	return c.watch(ctx, acct)
}

// PushRenew implements provider.Pusher: users.watch again, which replaces
// the mailbox's watch and extends it to Gmail's seven days (expiresAt is
// not Gmail's to choose).
func (c *Connector) PushRenew(ctx context.Context, acct provider.Account, _ provider.PushSubscription, _ time.Time) (provider.PushSubscription, error) {
	if c.push.topic == "" {
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrUnsupported,
			Message: "Gmail push notifications are not configured (google.Config.PubSubTopic)"}
	}
	return c.watch(ctx, acct)
}

// PushUnsubscribe implements provider.Pusher: users.stop. A mailbox that
// is not watched is not an error.
func (c *Connector) PushUnsubscribe(ctx context.Context, acct provider.Account, _ provider.PushSubscription) error {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return err
	}
	if err := svc.Users.Stop("me").Context(ctx).Do(); err != nil {
		err = mailErr("users.stop", err)
		if errors.Is(err, provider.ErrNotFound) {
			return nil
		}
		return err
	}
	return nil
}

// watch makes or renews the watch of acct's mailbox.
func (c *Connector) watch(ctx context.Context, acct provider.Account) (provider.PushSubscription, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return provider.PushSubscription{}, err
	}
	resp, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: c.push.topic}).Context(ctx).Do()
	if err != nil {
		return provider.PushSubscription{}, mailErr("users.watch", err)
	}
	addr := acct.Email
	if addr == "" {
		p, err := svc.Users.GetProfile("me").Context(ctx).Do()
		if err != nil {
			return provider.PushSubscription{}, mailErr("users.getProfile", err)
		}
		addr = p.EmailAddress
	}
	if resp.Expiration <= 0 {
		return provider.PushSubscription{}, &provider.Error{Kind: provider.ErrUnavailable, Message: "gmail users.watch answered no expiration"}
	}
	c.logger.Debug("google: gmail watch", "account", acct.ID, "expires", time.UnixMilli(resp.Expiration).UTC())
	return provider.PushSubscription{ID: strings.ToLower(addr), ExpiresAt: time.UnixMilli(resp.Expiration).UTC()}, nil
}

// errPushRefused is the cause of every refused push request; the reason
// is added without anything the request carried.
var errPushRefused = errors.New("google: push request refused")

// refusePush answers a refused push request and returns its error.
func refusePush(w http.ResponseWriter, status int, reason string) error {
	http.Error(w, http.StatusText(status), status)
	return fmt.Errorf("%w: %s", errPushRefused, reason)
}

// HandlePush implements provider.Pusher for Pub/Sub's push requests of
// Gmail notifications. See the notes of push.go.
func (c *Connector) HandlePush(w http.ResponseWriter, r *http.Request) ([]provider.PushEvent, error) {
	if c.push.topic == "" {
		return nil, refusePush(w, http.StatusNotFound, "Gmail push is not configured")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, refusePush(w, http.StatusMethodNotAllowed, "not a POST")
	}
	if status, err := c.authenticatePush(r); err != nil {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		return nil, refusePush(w, status, err.Error())
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !strings.EqualFold(mt, "application/json") {
			return nil, refusePush(w, http.StatusUnsupportedMediaType, "a body that is not JSON")
		}
	}
	addr, status, reason := readPushBody(w, r)
	if status != 0 {
		return nil, refusePush(w, status, reason)
	}
	w.WriteHeader(http.StatusNoContent)
	return []provider.PushEvent{{AccountEmail: addr}}, nil
}

// authenticatePush verifies the push request's ID token. It returns the
// status to answer on failure: 401 for a missing or invalid token, 403
// for a valid one of another service account or without a verified email.
func (c *Connector) authenticatePush(r *http.Request) (int, error) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return http.StatusUnauthorized, errors.New("no bearer token")
	}
	if len(raw) > maxPushToken {
		return http.StatusUnauthorized, errors.New("an oversized bearer token")
	}
	idt, err := c.verifier.Verify(c.clientContext(r.Context()), raw)
	if err != nil {
		return http.StatusUnauthorized, fmt.Errorf("ID token: %w", err)
	}
	if !slices.Contains(c.issuers, idt.Issuer) {
		return http.StatusUnauthorized, fmt.Errorf("ID token issuer %q is not Google's", truncate(idt.Issuer, 80))
	}
	aud := c.push.audience
	if aud == "" {
		aud = requestURL(r)
	}
	if !slices.Contains(idt.Audience, aud) {
		return http.StatusUnauthorized, errors.New("ID token audience is not this push endpoint")
	}
	var cl idClaims
	if err := idt.Claims(&cl); err != nil {
		return http.StatusUnauthorized, fmt.Errorf("ID token claims: %w", err)
	}
	if !strings.EqualFold(cl.Email, c.push.serviceAccount) {
		return http.StatusForbidden, errors.New("ID token of another service account")
	}
	if !cl.emailVerified() {
		return http.StatusForbidden, errors.New("ID token without a verified email")
	}
	return 0, nil
}

// requestURL is the absolute URL the request was sent to: https, or http
// for a loopback host reached without TLS (Pub/Sub pushes to https only).
func requestURL(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	scheme := "https"
	if r.TLS == nil && endpoint.IsLoopback(strings.Trim(host, "[]")) {
		scheme = "http"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// readPushBody reads a Pub/Sub push envelope of a Gmail notification and
// returns the mailbox address in lower case, or the status and reason to
// refuse it with.
func readPushBody(w http.ResponseWriter, r *http.Request) (addr string, status int, reason string) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPushBody))
	var env struct {
		Message *struct {
			Data string `json:"data"`
		} `json:"message"`
		Subscription string `json:"subscription"`
	}
	tooLarge := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	if err := dec.Decode(&env); err != nil {
		if tooLarge(err) {
			return "", http.StatusRequestEntityTooLarge, "a body over 64 KiB"
		}
		return "", http.StatusBadRequest, "a body that is not a push envelope"
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		if tooLarge(err) {
			return "", http.StatusRequestEntityTooLarge, "a body over 64 KiB"
		}
		return "", http.StatusBadRequest, "data after the push envelope"
	}
	if env.Message == nil || env.Message.Data == "" {
		return "", http.StatusBadRequest, "a push envelope without message data"
	}
	data, ok := decodeBase64(env.Message.Data)
	if !ok {
		return "", http.StatusBadRequest, "message data that is not base64"
	}
	var n struct {
		EmailAddress string          `json:"emailAddress"`
		HistoryID    json.RawMessage `json:"historyId"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		return "", http.StatusBadRequest, "message data that is not a Gmail notification"
	}
	if !validAddress(n.EmailAddress) {
		return "", http.StatusBadRequest, "a Gmail notification without a valid emailAddress"
	}
	if len(n.HistoryID) > 0 && !validHistoryID(n.HistoryID) {
		return "", http.StatusBadRequest, "a Gmail notification with an invalid historyId"
	}
	return strings.ToLower(n.EmailAddress), 0, ""
}

// decodeBase64 decodes Pub/Sub's standard base64, or the base64url the
// Gmail guide names, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// validHistoryID accepts a JSON number or string of decimal digits.
func validHistoryID(raw json.RawMessage) bool {
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return false
		}
	}
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validAddress accepts local@domain of printable ASCII without spaces,
// quotes or angle brackets, up to maxAddress characters.
func validAddress(a string) bool {
	if a == "" || len(a) > maxAddress {
		return false
	}
	local, domain, ok := strings.Cut(a, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	for i := 0; i < len(a); i++ {
		if b := a[i]; b <= 0x20 || b >= 0x7f || strings.IndexByte(`"<>(),;:\[]`, b) >= 0 {
			return false
		}
	}
	return true
}
