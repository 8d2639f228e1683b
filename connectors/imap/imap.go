package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/internal/endpoint"
	"github.com/aurinko-go/aurinko/unified/email"
)

// DefaultServiceType is the serviceType of the connector unless
// Config.ServiceType says otherwise.
const DefaultServiceType = "IMAP"

// TLSMode is how a connection to a server is protected.
type TLSMode int

// The TLS modes. The zero value is TLSImplicit.
const (
	// TLSImplicit starts TLS at connect (IMAP port 993, SMTP
	// submissions port 465).
	TLSImplicit TLSMode = iota
	// TLSStartTLS connects in plain text and upgrades with STARTTLS
	// before anything else (IMAP 143, SMTP submission 587); a server
	// without STARTTLS is refused.
	TLSStartTLS
	// TLSNoneLoopbackOnly sends everything, the password too, in plain
	// text. It is accepted only for a loopback address (a local relay or
	// a test server).
	TLSNoneLoopbackOnly
)

// String returns the mode's name.
func (m TLSMode) String() string {
	switch m {
	case TLSImplicit:
		return "implicit"
	case TLSStartTLS:
		return "starttls"
	case TLSNoneLoopbackOnly:
		return "none"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// ErrNoOAuth is returned by AuthCodeURL, Exchange and Refresh: password
// accounts sign in with SignInWithPassword and have nothing to refresh.
var ErrNoOAuth = errors.New("imap: password accounts have no OAuth flow")

// ContextDialer dials network connections; *net.Dialer is one.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Config configures the connector.
type Config struct {
	// ServiceType is the Aurinko serviceType served. Default "IMAP".
	ServiceType string
	// IMAPAddr is host:port of the IMAP server. Required.
	IMAPAddr string
	// IMAPTLS is how IMAP connections are protected. Default TLSImplicit.
	IMAPTLS TLSMode
	// SMTPAddr is host:port of the SMTP submission server. Required.
	SMTPAddr string
	// SMTPTLS is how SMTP connections are protected. Default TLSImplicit.
	SMTPTLS TLSMode
	// TLSConfig is the base TLS configuration (root CAs, minimum version);
	// ServerName is set per server. Default: the system roots, TLS 1.2 or
	// later.
	TLSConfig *tls.Config
	// AllowUserServer lets users type their own server at sign-in
	// (SignInWithPassword's serverURL); it is kept as the account's
	// ServerURL and used for its calls. Such servers must use TLS. Off,
	// every account uses IMAPAddr and SMTPAddr and a typed server is
	// refused.
	AllowUserServer bool
	// InsecureAllowPrivateUserServers lets users type servers on loopback
	// and private addresses. Leave it off in production: with it, a user
	// can make this server connect to hosts of its own network. Only
	// servers typed by users are checked; IMAPAddr and SMTPAddr are
	// trusted.
	InsecureAllowPrivateUserServers bool
	// Credentials returns the login and password of an account, for
	// Mailbox calls whose email.Account carries no Password (package
	// unified always sets it from the sealed credential, so hosts using the
	// unified API need not set this). Login "" means the account's
	// AuthUserID. An error is returned to the caller wrapped with %w,
	// unchanged.
	Credentials func(ctx context.Context, accountID int64) (login, password string, err error)
	// Dialer opens TCP connections. Default: a net.Dialer with a 30
	// second timeout.
	Dialer ContextDialer
	// Timeout bounds each Mailbox call and sign-in unless the context
	// ends earlier. Default 2 minutes.
	Timeout time.Duration
	// Now is the clock (Date of sent messages, sync windows). Default
	// time.Now.
	Now func() time.Time
	// Logger receives warnings (a sent message that could not be copied
	// to Sent). Default: discard.
	Logger *slog.Logger
}

// Connector is the IMAP/SMTP connector. It is safe for concurrent use.
type Connector struct {
	email.UnimplementedMailbox

	serviceType string
	imap, smtp  server
	tls         *tls.Config
	allowUser   bool
	allowPriv   bool
	creds       func(ctx context.Context, accountID int64) (string, string, error)
	dialer      ContextDialer
	timeout     time.Duration
	now         func() time.Time
	log         *slog.Logger
}

var (
	_ connectors.Connector      = (*Connector)(nil)
	_ connectors.PasswordSignIn = (*Connector)(nil)
	_ email.Mailbox             = (*Connector)(nil)
)

// server is a mail server: its address and TLS mode.
type server struct {
	addr string // host:port
	mode TLSMode
	// public: the server was chosen by a user and may only be reached on
	// a public address (checked on the address actually dialed).
	public bool
}

// New returns a connector for cfg.
func New(cfg Config) (*Connector, error) {
	c := &Connector{
		serviceType: cfg.ServiceType,
		imap:        server{addr: cfg.IMAPAddr, mode: cfg.IMAPTLS},
		smtp:        server{addr: cfg.SMTPAddr, mode: cfg.SMTPTLS},
		tls:         cfg.TLSConfig,
		allowUser:   cfg.AllowUserServer,
		allowPriv:   cfg.InsecureAllowPrivateUserServers,
		creds:       cfg.Credentials,
		dialer:      cfg.Dialer,
		timeout:     cfg.Timeout,
		now:         cfg.Now,
		log:         cfg.Logger,
	}
	if c.serviceType == "" {
		c.serviceType = DefaultServiceType
	}
	for _, s := range []struct {
		name string
		srv  server
	}{{"IMAPAddr", c.imap}, {"SMTPAddr", c.smtp}} {
		if err := checkServer(s.srv); err != nil {
			return nil, fmt.Errorf("imap: %s: %w", s.name, err)
		}
	}
	if c.tls == nil {
		c.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.dialer == nil {
		c.dialer = &net.Dialer{Timeout: 30 * time.Second}
	}
	if c.timeout <= 0 {
		c.timeout = 2 * time.Minute
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// checkServer checks an address and its TLS mode.
func checkServer(s server) error {
	host, port, err := net.SplitHostPort(s.addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("want host:port, got %q", s.addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	switch s.mode {
	case TLSImplicit, TLSStartTLS:
	case TLSNoneLoopbackOnly:
		if !endpoint.IsLoopback(host) {
			return fmt.Errorf("TLS mode none is only allowed for a loopback address, not %q", host)
		}
	default:
		return fmt.Errorf("unknown TLS mode %d", s.mode)
	}
	return nil
}

// ServiceType implements connectors.Connector.
func (c *Connector) ServiceType() string { return c.serviceType }

// NativeScopes implements connectors.Connector. IMAP has no scopes: the
// mail scopes map to nothing, and calendar, contacts and tasks are not
// supported (ErrUnsupportedScope).
func (c *Connector) NativeScopes(unified []connectors.Scope) ([]string, error) {
	for _, s := range unified {
		switch s {
		case connectors.MailRead, connectors.MailReadWrite, connectors.MailSend, connectors.MailDrafts, connectors.MailAll:
		default:
			return nil, fmt.Errorf("imap: %w: %s", connectors.ErrUnsupportedScope, s)
		}
	}
	return []string{}, nil
}

// AuthCodeURL implements connectors.Connector: it always fails with
// ErrNoOAuth.
func (c *Connector) AuthCodeURL(context.Context, connectors.AuthRequest) (string, error) {
	return "", ErrNoOAuth
}

// Exchange implements connectors.Connector: it always fails with
// ErrNoOAuth.
func (c *Connector) Exchange(context.Context, connectors.ExchangeRequest) (*connectors.Grant, error) {
	return nil, ErrNoOAuth
}

// Refresh implements connectors.Connector: it always fails with
// ErrNoOAuth (a password does not expire like a token).
func (c *Connector) Refresh(context.Context, *xoauth2.Token) (*xoauth2.Token, error) {
	return nil, ErrNoOAuth
}

// SignInWithPassword implements connectors.PasswordSignIn: it logs in to
// the IMAP server (AUTHENTICATE PLAIN when offered, else LOGIN) and returns
// the grant. serverURL is "" for the configured server; another server is
// accepted only with Config.AllowUserServer (see parseServerURL). Wrong
// credentials wrap connectors.ErrIdentity.
func (c *Connector) SignInWithPassword(ctx context.Context, login, password, serverURL string) (*connectors.Grant, error) {
	if login == "" || password == "" {
		return nil, fmt.Errorf("imap: %w: login and password are required", connectors.ErrIdentity)
	}
	if len(login) > 320 || strings.ContainsAny(login, "\x00\r\n") || strings.ContainsAny(password, "\x00\r\n") {
		return nil, fmt.Errorf("imap: %w: login or password has characters IMAP cannot carry", connectors.ErrIdentity)
	}
	srv, err := c.servers(serverURL, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	sess, err := c.open(ctx, srv.imap, login, password)
	if err != nil {
		return nil, err
	}
	sess.close()
	id := connectors.Identity{AuthUserID: login, ServiceProvider: c.serviceType, ServerURL: srv.url()}
	if a, err := mail.ParseAddress(login); err == nil && a.Address == login {
		id.Email = login
	}
	return &connectors.Grant{Password: password, Identity: id, Scopes: []string{}}, nil
}

// servers are the IMAP and SMTP servers of an account.
type servers struct {
	imap, smtp server
}

// url returns the ServerURL naming the servers.
func (s servers) url() string {
	u := url.URL{Scheme: "imaps", Host: s.imap.addr}
	switch s.imap.mode {
	case TLSStartTLS:
		u.Scheme = "imap"
	case TLSNoneLoopbackOnly:
		u.Scheme = "imap"
		u.RawQuery = "tls=none"
	}
	sm := url.URL{Scheme: "smtps", Host: s.smtp.addr}
	switch s.smtp.mode {
	case TLSStartTLS:
		sm.Scheme = "smtp"
	case TLSNoneLoopbackOnly:
		sm.Scheme = "smtp"
		sm.RawQuery = "tls=none"
	}
	q := u.Query()
	q.Set("smtp", sm.String())
	u.RawQuery = q.Encode()
	return u.String()
}

// servers returns the servers to use for serverURL ("" for the
// configured ones). typed says the user typed serverURL (sign-in); stored
// ServerURLs of accounts are checked again the same way.
func (c *Connector) servers(serverURL string, typed bool) (servers, error) {
	def := servers{imap: c.imap, smtp: c.smtp}
	if serverURL == "" || (!typed && !c.allowUser) {
		return def, nil
	}
	if !c.allowUser {
		if s, err := parseServerURL(serverURL); err == nil && s == def {
			return def, nil
		}
		return servers{}, fmt.Errorf("imap: this service does not let users choose their server")
	}
	s, err := parseServerURL(serverURL)
	if err != nil {
		return servers{}, err
	}
	if s == def {
		return def, nil
	}
	for _, srv := range []*server{&s.imap, &s.smtp} {
		if srv.mode == TLSNoneLoopbackOnly {
			return servers{}, errors.New("imap: a server you choose must use TLS")
		}
		srv.public = !c.allowPriv
	}
	return s, nil
}

// parseServerURL reads a server as a user types it or as SignInWithPassword
// stores it in Identity.ServerURL:
//
//	mail.example.com                       implicit TLS, port 993
//	imaps://mail.example.com[:993]         implicit TLS
//	imap://mail.example.com[:143]          STARTTLS
//	imap://127.0.0.1:1143?tls=none         plain text (loopback only)
//
// The SMTP server is the query parameter smtp, with the schemes smtps
// (implicit TLS, default port 465) and smtp (STARTTLS, default 587, or
// ?tls=none on loopback); without it, the IMAP host with port 465 for
// imaps and 587 for imap.
func parseServerURL(s string) (servers, error) {
	if len(s) > 1024 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return servers{}, errors.New("imap: malformed server")
	}
	if !strings.Contains(s, "://") {
		s = "imaps://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return servers{}, errors.New("imap: malformed server (want imaps://host[:port])")
	}
	imapSrv, err := serverOf(u, "imaps", "imap", "993", "143")
	if err != nil {
		return servers{}, err
	}
	q := u.Query()
	var smtpSrv server
	if sm := q.Get("smtp"); sm != "" {
		su, err := url.Parse(sm)
		if err != nil || su.Host == "" || su.User != nil || (su.Path != "" && su.Path != "/") || su.Fragment != "" {
			return servers{}, errors.New("imap: malformed smtp server (want smtps://host[:port])")
		}
		if smtpSrv, err = serverOf(su, "smtps", "smtp", "465", "587"); err != nil {
			return servers{}, err
		}
	} else {
		port := "465"
		mode := TLSImplicit
		if imapSrv.mode != TLSImplicit {
			port, mode = "587", imapSrv.mode
		}
		smtpSrv = server{addr: net.JoinHostPort(u.Hostname(), port), mode: mode}
	}
	for _, srv := range []server{imapSrv, smtpSrv} {
		if err := checkServer(srv); err != nil {
			return servers{}, fmt.Errorf("imap: server: %w", err)
		}
	}
	return servers{imap: imapSrv, smtp: smtpSrv}, nil
}

func serverOf(u *url.URL, tlsScheme, plainScheme, tlsPort, plainPort string) (server, error) {
	var srv server
	port := u.Port()
	switch strings.ToLower(u.Scheme) {
	case tlsScheme:
		srv.mode = TLSImplicit
		if port == "" {
			port = tlsPort
		}
	case plainScheme:
		srv.mode = TLSStartTLS
		if u.Query().Get("tls") == "none" {
			srv.mode = TLSNoneLoopbackOnly
		}
		if port == "" {
			port = plainPort
		}
	default:
		return srv, fmt.Errorf("imap: unknown scheme %q (want %s or %s)", u.Scheme, tlsScheme, plainScheme)
	}
	srv.addr = net.JoinHostPort(u.Hostname(), port)
	return srv, nil
}
