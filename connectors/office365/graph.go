package office365

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/aurinko-go/aurinko/connectors/internal/oauth2err"
)

// The Graph client is github.com/microsoftgraph/msgraph-sdk-go, used through
// its users package (GET /me and everything below it) rather than its root
// GraphServiceClient: the root package compiles every Graph API area
// (device management, education, ...), about 130 more packages. The request
// adapter is built here, without the SDK's package-level serializer
// registries, and with a middleware pipeline of our own: no retry handler
// (retries and Retry-After belong to accounts.TokenSource, which holds the
// refresh lock), only the /users/me-token-to-replace -> /me rewrite the SDK's
// Me builder relies on, and a recorder of the answer's status and headers.

// GraphError is a failed answer of Microsoft Graph: the HTTP status, the
// Graph error code and message of the documented body
// {"error":{"code","message","innerError":{"request-id",...}}}, and the
// Retry-After of a 429 or 503. Its message never contains a token.
type GraphError struct {
	Status     int
	Code       string // e.g. "InvalidAuthenticationToken", "TooManyRequests"
	Message    string
	RequestID  string        // Graph's request-id, for support tickets
	RetryAfter time.Duration // 0 when the answer has none
	Err        error         // the SDK's error, when there is one
}

// Error implements error.
func (e *GraphError) Error() string {
	msg := fmt.Sprintf("office365: Microsoft Graph answered %d", e.Status)
	if e.Status == 0 {
		msg = "office365: Microsoft Graph request failed"
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		msg += " [request-id " + e.RequestID + "]"
	}
	if e.Status == 0 && e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the SDK's (or the network's) error.
func (e *GraphError) Unwrap() error { return e.Err }

// Temporary reports whether trying again later can help: 429, 502, 503,
// 504 and network failures.
func (e *GraphError) Temporary() bool {
	switch e.Status {
	case 0, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// graphClient calls Microsoft Graph with a token carried by the context.
type graphClient struct {
	adapter *khttp.NetHttpRequestAdapter
	now     func() time.Time
}

type ctxKey int

const (
	tokenKey ctxKey = iota
	answerKey
)

// answer is the status and headers of the last Graph answer of a call.
type answer struct {
	status int
	header http.Header
}

func newGraphClient(base *http.Client, baseURL string, now func() time.Time) (*graphClient, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("office365: Graph base URL: %w", err)
	}
	parent := base.Transport
	if parent == nil {
		parent = http.DefaultTransport
	}
	client := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent,
			khttp.NewUrlReplaceHandler(true, map[string]string{"/users/me-token-to-replace": "/me"}),
			recorder{},
		),
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonParseNodeFactory()
	write := absser.NewSerializationWriterFactoryRegistry()
	write.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonSerializationWriterFactory()
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(contextToken{
		scheme: u.Scheme, host: strings.ToLower(u.Host),
		hosts: absauth.NewAllowedHostsValidator([]string{u.Hostname()}),
	})
	adapter, err := khttp.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, parse, write, client)
	if err != nil {
		return nil, fmt.Errorf("office365: Graph request adapter: %w", err)
	}
	adapter.SetBaseUrl(strings.TrimRight(baseURL, "/"))
	return &graphClient{adapter: adapter, now: now}, nil
}

// contextToken hands the SDK the access token of the call, and only for the
// Graph origin (scheme, host and port).
type contextToken struct {
	scheme, host string
	hosts        absauth.AllowedHostsValidator
}

func (t contextToken) GetAuthorizationToken(ctx context.Context, u *url.URL, _ map[string]any) (string, error) {
	if u == nil || u.Scheme != t.scheme || strings.ToLower(u.Host) != t.host {
		return "", errors.New("office365: refusing to send a Graph token outside the Graph base URL")
	}
	tok, _ := ctx.Value(tokenKey).(string)
	if tok == "" {
		return "", errors.New("office365: no access token for the Graph request")
	}
	return tok, nil
}

func (t contextToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &t.hosts }

// recorder is the last middleware: it keeps the answer's status and
// headers for GraphError, whatever the SDK makes of the body.
type recorder struct{}

func (recorder) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	resp, err := p.Next(req, i)
	if a, ok := req.Context().Value(answerKey).(*answer); ok && resp != nil {
		a.status, a.header = resp.StatusCode, resp.Header.Clone()
	}
	return resp, err
}

// call prepares a context for one Graph call with the access token.
func (g *graphClient) call(ctx context.Context, accessToken string) (context.Context, *answer) {
	a := &answer{}
	ctx = context.WithValue(ctx, tokenKey, accessToken)
	return context.WithValue(ctx, answerKey, a), a
}

// graphError turns an SDK error into a *GraphError.
func (g *graphClient) graphError(err error, a *answer) *GraphError {
	ge := &GraphError{Status: a.status, Err: err}
	if a.header != nil {
		ge.RequestID = truncate(a.header.Get("request-id"), 64)
		if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
			ge.RetryAfter = oauth2err.RetryAfter(a.header, g.now)
		}
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		if me := oe.GetErrorEscaped(); me != nil {
			ge.Code = truncate(deref(me.GetCode()), 64)
			ge.Message = truncate(deref(me.GetMessage()), 300)
			if inner := me.GetInnerError(); inner != nil && ge.RequestID == "" {
				ge.RequestID = truncate(deref(inner.GetRequestId()), 64)
			}
		}
	}
	var ae *abs.ApiError
	if ge.Status == 0 && errors.As(err, &ae) {
		ge.Status = ae.ResponseStatusCode
	}
	return ge
}

// profile is what the connector reads of GET /me.
type profile struct {
	id, displayName, mail, upn string
}

// me reads the signed-in user: GET /v1.0/me?$select=id,displayName,mail,
// userPrincipalName with Prefer: IdType="ImmutableId".
func (g *graphClient) me(ctx context.Context, accessToken string) (profile, error) {
	ctx, a := g.call(ctx, accessToken)
	headers := abs.NewRequestHeaders()
	headers.Add("Prefer", `IdType="ImmutableId"`)
	cfg := &users.UserItemRequestBuilderGetRequestConfiguration{
		Headers:         headers,
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "mail", "userPrincipalName"}},
	}
	// The SDK's GraphServiceClient.Me() is this builder with the
	// placeholder user id that the URL replace middleware turns into /me.
	me := users.NewUserItemRequestBuilderInternal(map[string]string{
		"baseurl":   g.adapter.GetBaseUrl(),
		"user%2Did": "me-token-to-replace",
	}, g.adapter)
	u, err := me.Get(ctx, cfg)
	if err != nil {
		return profile{}, fmt.Errorf("office365: reading the user with Graph GET /me: %w", g.graphError(err, a))
	}
	if u == nil || deref(u.GetId()) == "" {
		return profile{}, fmt.Errorf("office365: Graph GET /me answered without an id: %w", &GraphError{Status: a.status, Message: "no user id in the answer"})
	}
	return profile{
		id:          deref(u.GetId()),
		displayName: deref(u.GetDisplayName()),
		mail:        deref(u.GetMail()),
		upn:         deref(u.GetUserPrincipalName()),
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
