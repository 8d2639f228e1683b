package graphtest

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ConsumersTenantID is the tenant of personal Microsoft accounts.
const ConsumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// codeTTL is how long an authorization code stays valid (Microsoft: about
// ten minutes).
const codeTTL = 10 * time.Minute

// User is an account of the fake directory.
type User struct {
	// ObjectID is the user's object id (oid), a GUID. Required, unique.
	ObjectID string
	// TenantID is the user's tenant (tid), a GUID. Required.
	TenantID string
	// UserPrincipalName is the sign-in name (upn, preferred_username).
	UserPrincipalName string
	// Mail is the primary SMTP address; "" for users without a mailbox.
	Mail string
	// DisplayName is the "name" claim and Graph displayName.
	DisplayName string
}

// Tenant is a directory of the fake.
type Tenant struct {
	ID     string // tid, a GUID
	Domain string // a verified domain usable in the authority path; optional
	Name   string
}

// Options configure a Server.
type Options struct {
	// ClientID and ClientSecret are the one app registration the fake
	// knows. Both are required.
	ClientID, ClientSecret string
	// APIAppIDURI is the app's Application ID URI ("api://..."), accepted
	// as audience of on-behalf-of assertions besides ClientID.
	APIAppIDURI string
	// Users of the directory; the first is the default sign-in. When
	// empty, one user in one tenant is created.
	Users []User
	// Tenants lists tenants beyond those of Users (to give one a domain).
	Tenants []Tenant
	// ConsentedTenants have admin-consented the app's application
	// permissions: client credentials tokens are issued only for them.
	// The admin consent endpoint adds to them.
	ConsentedTenants []string
	// ConsentedScopes are the Graph permissions (short names) the app holds
	// by ".default" in on-behalf-of requests. Default: User.Read,
	// Mail.ReadWrite, Mail.Send, Calendars.ReadWrite, Contacts.ReadWrite,
	// Tasks.ReadWrite.
	ConsentedScopes []string
	// RedirectURIs are the registered redirect URIs; empty accepts any
	// absolute http(s) URI.
	RedirectURIs []string
	// RequirePKCE refuses authorization requests without code_challenge.
	RequirePKCE bool
	// RevokeRotatedRefreshTokens invalidates a refresh token once it has
	// been used. Microsoft keeps it valid until it expires; the default
	// does the same.
	RevokeRotatedRefreshTokens bool
	// OmitRefreshTokenOnRefresh makes refresh answers carry no new refresh
	// token.
	OmitRefreshTokenOnRefresh bool
	// AccessTokenTTL is the lifetime of access tokens and id_tokens.
	// Default one hour.
	AccessTokenTTL time.Duration
	// Now is the fake's clock. Default time.Now.
	Now func() time.Time
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	mux  *http.ServeMux
	opts Options

	mu           sync.Mutex
	keys         []*signingKey // last is current
	users        []User
	tenants      map[string]Tenant // by lower-case id
	consented    map[string]bool
	nextUser     string
	deny         *redirectError
	failToken    *rawAnswer
	failGraph    *rawAnswer
	failJWKS     int
	needConsent  map[string]bool
	needMFA      map[string]bool
	codes        map[string]*codeGrant
	access       map[string]*tokenGrant
	refresh      map[string]*tokenGrant
	authReqs     []url.Values
	consentReqs  []url.Values
	tokenReqs    []url.Values
	graphReqs    []GraphRequest
	refreshCount int
	jwksCount    int
	mailboxes    map[string]*mailbox
	// The stores of the calendar, contacts, To Do and subscription
	// parts, created by their route setup.
	cal      *calendarStore
	contactS *contactStore
	todoS    *todoStore
	subs     *subscriptionStore
	deltas   map[string]*deltaState
	sent     []Message
}

type signingKey struct {
	key *rsa.PrivateKey
	kid string
}

type redirectError struct{ code, description string }

type rawAnswer struct {
	status int
	body   string
	header http.Header
}

// codeGrant is an issued authorization code.
type codeGrant struct {
	pathTenant  string
	redirectURI string
	scopes      []string // as requested
	resource    string   // the Graph resource the scopes named
	nonce       string
	challenge   string
	method      string
	user        User
	expires     time.Time
	used        bool
}

// tokenGrant is an issued access or refresh token.
type tokenGrant struct {
	user     *User // nil for app-only tokens
	tenantID string
	scopes   []string // normalized: OIDC scopes and Graph short names
	expires  time.Time
	revoked  bool // refresh tokens of RevokeUser
}

// GraphRequest is a request the Graph endpoints received.
type GraphRequest struct {
	Method string
	Path   string
	Query  url.Values
	// Header without Authorization.
	Header http.Header
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidRE.MatchString(s) }

// defaultUser is the user of a Server whose Options have no Users.
var defaultUser = User{
	ObjectID:          "00000000-0000-0000-0000-0000000000a1",
	TenantID:          "00000000-0000-0000-0000-00000000c0de",
	UserPrincipalName: "adele@contoso.example",
	Mail:              "adele@contoso.example",
	DisplayName:       "Adele Vance",
}

// NewServer validates opts and starts a fake on a loopback port. Close it
// when done.
func NewServer(opts Options) (*Server, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("graphtest: Options.ClientID and Options.ClientSecret are required")
	}
	if len(opts.Users) == 0 {
		opts.Users = []User{defaultUser}
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.ConsentedScopes) == 0 {
		opts.ConsentedScopes = []string{"User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Contacts.ReadWrite", "Tasks.ReadWrite"}
	}
	s := &Server{
		opts:        opts,
		tenants:     make(map[string]Tenant),
		consented:   make(map[string]bool),
		needConsent: make(map[string]bool),
		needMFA:     make(map[string]bool),
		codes:       make(map[string]*codeGrant),
		access:      make(map[string]*tokenGrant),
		refresh:     make(map[string]*tokenGrant),
	}
	for _, t := range opts.Tenants {
		if !isGUID(t.ID) {
			return nil, fmt.Errorf("graphtest: tenant id %q is not a GUID", t.ID)
		}
		s.tenants[strings.ToLower(t.ID)] = t
	}
	for _, u := range opts.Users {
		if err := s.addUserLocked(u); err != nil {
			return nil, err
		}
	}
	for _, t := range opts.ConsentedTenants {
		s.consented[strings.ToLower(t)] = true
	}
	if err := s.addKeyLocked(); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.routes()
	s.srv = httptest.NewServer(s.mux)
	return s, nil
}

// New starts a fake for a test and closes it at the test's cleanup. It
// fails the test when opts are invalid.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.StopNotifications()
	s.srv.Close()
}

// URL is the base URL of both the identity platform and Graph (use it as
// office365.Endpoints LoginBaseURL and GraphBaseURL).
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Handle adds a route to the fake's mux, with the patterns of
// http.ServeMux: later work adds Graph endpoints ("GET /v1.0/me/messages")
// this way, using Authenticate and WriteError.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Issuer returns the issuer of the fake's v2.0 tokens of tenant tid.
func (s *Server) Issuer(tid string) string { return s.srv.URL + "/" + tid + "/v2.0" }

// AddUser adds a user (and its tenant) to the directory.
func (s *Server) AddUser(u User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUserLocked(u)
}

func (s *Server) addUserLocked(u User) error {
	if !isGUID(u.ObjectID) || !isGUID(u.TenantID) {
		return fmt.Errorf("graphtest: user %q needs GUID ObjectID and TenantID", u.ObjectID)
	}
	if _, ok := s.userLocked(u.ObjectID); ok {
		return fmt.Errorf("graphtest: user %s already exists", u.ObjectID)
	}
	u.ObjectID, u.TenantID = strings.ToLower(u.ObjectID), strings.ToLower(u.TenantID)
	s.users = append(s.users, u)
	if _, ok := s.tenants[u.TenantID]; !ok {
		s.tenants[u.TenantID] = Tenant{ID: u.TenantID}
	}
	return nil
}

// Users returns the directory's users, the default first.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.users)
}

// User returns the user with this object id.
func (s *Server) User(oid string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userLocked(oid)
}

func (s *Server) userLocked(oid string) (User, bool) {
	for _, u := range s.users {
		if strings.EqualFold(u.ObjectID, oid) {
			return u, true
		}
	}
	return User{}, false
}

// SetNextUser makes the next successful authorize or admin consent request
// sign in this user (by object id). Without it, the user whose UPN or mail
// matches login_hint signs in, else the first user the tenant admits.
func (s *Server) SetNextUser(oid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.userLocked(oid); !ok {
		return fmt.Errorf("graphtest: SetNextUser(%q): no such user", oid)
	}
	s.nextUser = strings.ToLower(oid)
	return nil
}

// DenyNext makes the next authorize or admin consent request redirect back
// with error and error_description, as when the user declines consent
// ("access_denied", "AADSTS65004: User declined to consent to access the app.").
func (s *Server) DenyNext(errCode, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = &redirectError{code: errCode, description: description}
}

// FailNextToken makes the next token request get this raw answer instead of
// being processed (see TokenErrorBody for Microsoft's error shape). The
// request is still recorded.
func (s *Server) FailNextToken(status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failToken = &rawAnswer{status: status, body: body, header: header.Clone()}
}

// FailNextGraph makes the next Graph request answer status with Graph's
// error body of code and message, and header (e.g. Retry-After).
func (s *Server) FailNextGraph(status int, code, message string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failGraph = &rawAnswer{status: status, body: code + "\x00" + message, header: header.Clone()}
}

// ThrottleNext makes the next Graph request answer 429 TooManyRequests with
// Retry-After: seconds, as Graph throttling does.
func (s *Server) ThrottleNext(seconds int) {
	s.FailNextGraph(http.StatusTooManyRequests, "TooManyRequests", "Too many requests. Please retry after the time in the Retry-After header.",
		http.Header{"Retry-After": {fmt.Sprint(seconds)}})
}

// FailNextJWKS makes the next request for the signing keys answer status.
func (s *Server) FailNextJWKS(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failJWKS = status
}

// RequireConsent makes on-behalf-of requests for this user fail with
// invalid_grant AADSTS65001 (suberror consent_required), as when the user
// has not consented to the app, until the user signs in with the code flow.
func (s *Server) RequireConsent(oid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.needConsent[strings.ToLower(oid)] = true
}

// RequireMFA makes on-behalf-of requests for this user fail with
// interaction_required AADSTS50076 and a claims challenge.
func (s *Server) RequireMFA(oid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.needMFA[strings.ToLower(oid)] = true
}

// ConsentTenant records an administrator's consent for a tenant, so that
// client credentials tokens are issued for it.
func (s *Server) ConsentTenant(tid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consented[strings.ToLower(tid)] = true
}

// RevokeUser revokes every token of the user (as an administrator's
// revokeSignInSessions does): refreshing fails with invalid_grant
// AADSTS50173 and Graph answers 401. New sign-ins work again.
func (s *Server) RevokeUser(oid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oid = strings.ToLower(oid)
	for _, g := range s.refresh {
		if g.user != nil && g.user.ObjectID == oid {
			g.revoked = true
		}
	}
	for k, g := range s.access {
		if g.user != nil && g.user.ObjectID == oid {
			delete(s.access, k)
		}
	}
}

// AuthorizeRequests returns the query of every authorize request, in order.
func (s *Server) AuthorizeRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.authReqs)
}

// AdminConsentRequests returns the query of every admin consent request.
func (s *Server) AdminConsentRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.consentReqs)
}

// TokenRequests returns the form of every token request, in order, without
// client_secret, and with "tenant" set to the authority path segment.
func (s *Server) TokenRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.tokenReqs)
}

// GraphRequests returns every Graph request, in order.
func (s *Server) GraphRequests() []GraphRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GraphRequest, len(s.graphReqs))
	for i, r := range s.graphReqs {
		out[i] = GraphRequest{Method: r.Method, Path: r.Path, Query: cloneValues(r.Query), Header: r.Header.Clone()}
	}
	return out
}

// RefreshCount returns how many refresh_token requests reached the token
// endpoint, whatever their outcome.
func (s *Server) RefreshCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshCount
}

// JWKSCount returns how many times the signing keys were requested.
func (s *Server) JWKSCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jwksCount
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.handleDiscovery)
	s.mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.handleJWKS)
	s.mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	s.mux.HandleFunc("/{tenant}/oauth2/v2.0/token", s.handleToken)
	s.mux.HandleFunc("GET /{tenant}/v2.0/adminconsent", s.handleAdminConsent)
	s.mux.HandleFunc("GET /v1.0/me", s.handleMe)
	s.mailRoutes()
	s.calendarRoutes()
	s.contactRoutes()
	s.todoRoutes()
	s.subscriptionRoutes()
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func cloneAll(vs []url.Values) []url.Values {
	out := make([]url.Values, len(vs))
	for i, v := range vs {
		out[i] = cloneValues(v)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vv := range v {
		out[k] = slices.Clone(vv)
	}
	return out
}
