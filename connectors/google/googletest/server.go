package googletest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/google"
)

// Defaults of Options.
const (
	// DefaultAccessTokenTTL is what Google answers in expires_in.
	DefaultAccessTokenTTL = 3599 * time.Second
	// codeTTL is how long an authorization code stays valid.
	codeTTL = time.Minute
)

// User is a Google account that can sign in at the fake.
type User struct {
	// Email is the account's address; required and unique
	// (case-insensitive).
	Email string
	// Subject is the "sub" claim. Default: a 21-digit number derived from
	// Email, like Google's.
	Subject string
	Name    string
	// HostedDomain is the Google Workspace domain ("hd" claim); "" for a
	// consumer account. Only Workspace users can be impersonated by a
	// service account.
	HostedDomain string
	// EmailUnverified makes email_verified false.
	EmailUnverified bool
	// The Gmail mailbox's counters, served by users.getProfile.
	MessagesTotal, ThreadsTotal int64
	HistoryID                   uint64
}

// Options configure a Server.
type Options struct {
	// ClientID and ClientSecret are the one OAuth client the fake knows.
	// Both are required.
	ClientID, ClientSecret string
	// RedirectURIs are the client's authorized redirect URIs, compared
	// exactly. Empty accepts any absolute http or https URI.
	RedirectURIs []string
	// Users can sign in; the first is the default. Empty: one Workspace
	// user, alice@example.com of example.com.
	Users []User
	// DelegatedScopes are the scopes a Workspace administrator authorized
	// for domain-wide delegation of every service account (Admin console,
	// API controls). nil authorizes every scope.
	DelegatedScopes []string
	// AccessTokenTTL is expires_in of access tokens and the lifetime of
	// id_tokens. Default DefaultAccessTokenTTL.
	AccessTokenTTL time.Duration
	// ShortIssuer makes id_tokens carry the issuer without scheme (like
	// Google's "accounts.google.com"), instead of the server URL. Both
	// forms are documented by Google; the discovery document keeps the
	// URL form.
	ShortIssuer bool
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:8089" for a
	// sandbox with a stable URL. Default: a free loopback port.
	Addr string
	// Now is the fake's clock. Default time.Now.
	Now func() time.Time
}

// Server is a running fake Google. Its methods are safe for concurrent
// use.
type Server struct {
	srv *httptest.Server
	mux *http.ServeMux
	// The Calendar, People, Tasks and push parts, created by routes.
	calAPI  *calendarAPI
	peopleS *peopleService
	tasksS  *tasksService
	watchS  *watchStore
	opts    Options
	key     *rsa.PrivateKey
	kid     string

	mu           sync.Mutex
	users        []User
	nextUser     string
	deny         string
	grantOnly    []string
	grantOnlySet bool
	failNext     *rawAnswer
	rateLimit    time.Duration
	rateLimitSet bool
	codes        map[string]*codeGrant
	access       map[string]*grant
	refresh      map[string]*grant
	consents     map[consentKey]*consent
	saKeys       map[string]*saKey // by private_key_id
	authReqs     []url.Values
	tokenReqs    []url.Values
	revokeReqs   []url.Values
	refreshCount int
	mailboxes    map[string]*mailbox // Gmail data by user subject
}

// codeGrant is an issued authorization code and what it grants.
type codeGrant struct {
	grant       *grant // the grant it issues
	redirectURI string
	nonce       string
	challenge   string
	method      string
	offline     bool // issue a refresh token
	expires     time.Time
	used        bool
}

// grant is what access and refresh tokens stand for. Tokens of one
// authorization share it, so revoking one revokes them all.
type grant struct {
	id             string
	clientID       string
	user           *User  // nil for a service account acting as itself
	serviceAccount string // client_email for service account tokens
	scopes         []string
	expires        time.Time // access tokens only
}

type consentKey struct{ clientID, sub string }

// consent is what a user granted a client, across authorizations.
type consent struct {
	scopes  []string
	refresh bool // a refresh token was issued; Google issues one per consent
}

type rawAnswer struct {
	status int
	body   string
	header http.Header
}

// NewServer starts a fake Google on a loopback port (or Options.Addr).
// Close it when done; New does that for tests.
func NewServer(opts Options) (*Server, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("googletest: Options.ClientID and Options.ClientSecret are required")
	}
	if len(opts.Users) == 0 {
		opts.Users = []User{{Email: "alice@example.com", Name: "Alice Example", HostedDomain: "example.com",
			MessagesTotal: 42, ThreadsTotal: 17, HistoryID: 123456}}
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("googletest: generating the signing key: %w", err)
	}
	s := &Server{
		opts:     opts,
		key:      key,
		kid:      strings.ToLower(rand.Text()[:16]),
		codes:    make(map[string]*codeGrant),
		access:   make(map[string]*grant),
		refresh:  make(map[string]*grant),
		consents: make(map[consentKey]*consent),
		saKeys:   make(map[string]*saKey),
	}
	for _, u := range opts.Users {
		if err := s.AddUser(u); err != nil {
			return nil, err
		}
	}
	s.mux = s.routes()
	s.srv = httptest.NewUnstartedServer(s.mux)
	if opts.Addr != "" {
		l, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("googletest: listen on %s: %w", opts.Addr, err)
		}
		s.srv.Listener.Close()
		s.srv.Listener = l
	}
	s.srv.Start()
	return s, nil
}

// New starts a fake Google for a test and closes it at the test's end. It
// fails the test when NewServer fails.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.StopPushes()
	s.srv.Close()
}

// URL is the server's base URL; it is also the issuer.
func (s *Server) URL() string { return s.srv.URL }

// Issuer is the issuer of the fake's id_tokens in its URL form.
func (s *Server) Issuer() string { return s.srv.URL }

// AuthURL is the authorization endpoint (Google: accounts.google.com/o/oauth2/v2/auth).
func (s *Server) AuthURL() string { return s.srv.URL + "/o/oauth2/v2/auth" }

// TokenURL is the token endpoint (Google: oauth2.googleapis.com/token).
func (s *Server) TokenURL() string { return s.srv.URL + "/token" }

// RevokeURL is the revocation endpoint (Google: oauth2.googleapis.com/revoke).
func (s *Server) RevokeURL() string { return s.srv.URL + "/revoke" }

// JWKSURL is the id_token signing keys (Google: www.googleapis.com/oauth2/v3/certs).
func (s *Server) JWKSURL() string { return s.srv.URL + "/oauth2/v3/certs" }

// UserInfoURL is the OpenID Connect userinfo endpoint (Google:
// openidconnect.googleapis.com/v1/userinfo).
func (s *Server) UserInfoURL() string { return s.srv.URL + "/v1/userinfo" }

// APIBaseURL is the base of the Google APIs (Google: www.googleapis.com).
func (s *Server) APIBaseURL() string { return s.srv.URL }

// Endpoints returns the connector endpoints that point at the fake, for
// google.Config.Endpoints.
func (s *Server) Endpoints() *google.Endpoints {
	return &google.Endpoints{
		AuthURL: s.AuthURL(), TokenURL: s.TokenURL(), Issuer: s.Issuer(), JWKSURL: s.JWKSURL(),
		UserInfoURL: s.UserInfoURL(), RevokeURL: s.RevokeURL(), APIBaseURL: s.APIBaseURL(),
		CalendarBaseURL: s.URL(), PeopleBaseURL: s.URL(), TasksBaseURL: s.URL(),
	}
}

// Mux is the server's router. Add handlers for further Google APIs to it
// (Gmail messages, Calendar, People, Tasks), authorized with Authorize.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// AddUser adds a user who can sign in. An empty or duplicate Email is an
// error.
func (s *Server) AddUser(u User) error {
	if u.Email == "" || !strings.Contains(u.Email, "@") {
		return fmt.Errorf("googletest: user email %q is not an address", u.Email)
	}
	if u.Subject == "" {
		u.Subject = subjectFor(u.Email)
	}
	u.HostedDomain = strings.ToLower(u.HostedDomain)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.users {
		if strings.EqualFold(o.Email, u.Email) || o.Subject == u.Subject {
			return fmt.Errorf("googletest: user %q already exists", u.Email)
		}
	}
	s.users = append(s.users, u)
	return nil
}

// User returns the user with this email (case-insensitive) or subject.
func (s *Server) User(emailOrSubject string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return User{}, false
	}
	return *u, true
}

// Users returns every user, the default first.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.users)
}

func (s *Server) userLocked(emailOrSubject string) *User {
	for i := range s.users {
		if strings.EqualFold(s.users[i].Email, emailOrSubject) || s.users[i].Subject == emailOrSubject {
			return &s.users[i]
		}
	}
	return nil
}

// subjectFor derives a stable 21-digit subject from an email.
func subjectFor(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	n := binary.BigEndian.Uint64(sum[:8]) % 1e17
	return "1" + fmt.Sprintf("%020d", n)
}

// SetNextUser makes the next authorization sign in the user with this
// email or subject, whatever login_hint says. Without it, the user whose
// email or subject matches login_hint signs in, else the first user.
func (s *Server) SetNextUser(emailOrSubject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userLocked(emailOrSubject) == nil {
		return fmt.Errorf("googletest: SetNextUser(%q): no such user", emailOrSubject)
	}
	s.nextUser = emailOrSubject
	return nil
}

// DenyNext makes the next authorization redirect back with this error
// (Google sends "access_denied" when the user cancels the consent screen).
func (s *Server) DenyNext(errCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = errCode
}

// GrantOnly makes the next authorization grant only these of the
// requested scopes, as when the user unticks the others on Google's
// granular consent screen. The sign-in scopes (openid, email, profile)
// cannot be unticked and are always granted when requested.
func (s *Server) GrantOnly(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grantOnly = slices.Clone(scopes)
	s.grantOnlySet = true
}

// FailNextToken makes the next token request get this raw answer instead
// of being processed (a 503 page, a 429 with Retry-After, a forged
// id_token). The request is still recorded.
func (s *Server) FailNextToken(status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = &rawAnswer{status: status, body: body, header: header.Clone()}
}

// RateLimitNext makes the next Google API request (userinfo, Gmail, any
// handler that calls Authorize) fail with 429, Retry-After in seconds and
// Google's RESOURCE_EXHAUSTED error body.
func (s *Server) RateLimitNext(retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = retryAfter
	s.rateLimitSet = true
}

// RevokeUser revokes every token of the user and forgets the user's
// consents, as when the user removes the app at myaccount.google.com:
// refresh then fails with invalid_grant, API calls with 401.
func (s *Server) RevokeUser(emailOrSubject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(emailOrSubject)
	if u == nil {
		return
	}
	sub := u.Subject
	for _, m := range []map[string]*grant{s.access, s.refresh} {
		for k, g := range m {
			if g.user != nil && g.user.Subject == sub {
				delete(m, k)
			}
		}
	}
	for k := range s.consents {
		if k.sub == sub {
			delete(s.consents, k)
		}
	}
}

// ExpireAccessTokens makes every issued access token expired, so that
// API calls answer 401 until the client refreshes.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.access {
		delete(s.access, k)
	}
}

// AuthorizeRequests returns the query of every authorization request, in
// order.
func (s *Server) AuthorizeRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.authReqs)
}

// TokenRequests returns the form of every token request, in order,
// without client_secret.
func (s *Server) TokenRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.tokenReqs)
}

// RevokeRequests returns the parameters of every revocation request (query
// and form), in order.
func (s *Server) RevokeRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.revokeReqs)
}

// RefreshCount is how many grant_type=refresh_token requests arrived,
// whatever their outcome.
func (s *Server) RefreshCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshCount
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

func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
