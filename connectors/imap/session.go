package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/unified/email"
)

// session is one logged-in IMAP connection, used by one call.
type session struct {
	c        *imapclient.Client
	stop     func() bool
	selected string
	readOnly bool
}

// tlsFor returns the TLS configuration for host.
func (c *Connector) tlsFor(host string) *tls.Config {
	cfg := c.tls.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

// dial connects to srv (TLS handshake included for implicit TLS). A
// server chosen by a user is reached only on a public address: the name is
// resolved once, checked, and the checked address is dialed.
func (c *Connector) dial(ctx context.Context, srv server) (net.Conn, error) {
	host, port, err := net.SplitHostPort(srv.addr)
	if err != nil {
		return nil, fmt.Errorf("imap: server address: %w", err)
	}
	target := srv.addr
	if srv.public {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, unavailable("the mail server's name does not resolve", fmt.Errorf("imap: resolve %s: %w", host, err))
		}
		var ok netip.Addr
		for _, ip := range ips {
			if ip = ip.Unmap(); publicIP(ip) {
				ok = ip
				break
			}
		}
		if !ok.IsValid() {
			return nil, fmt.Errorf("imap: the mail server %q is not on a public address", host)
		}
		target = net.JoinHostPort(ok.String(), port)
	}
	conn, err := c.dialer.DialContext(ctx, "tcp", target)
	if err != nil {
		return nil, unavailable("the mail server could not be reached", fmt.Errorf("imap: dial %s: %w", srv.addr, err))
	}
	if srv.mode == TLSImplicit {
		tc := tls.Client(conn, c.tlsFor(host))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("imap: TLS with %s: %w", srv.addr, err)
		}
		return tc, nil
	}
	return conn, nil
}

func publicIP(ip netip.Addr) bool {
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
}

// open connects to the IMAP server and logs in. Wrong credentials wrap
// connectors.ErrIdentity. The connection closes when ctx ends.
func (c *Connector) open(ctx context.Context, srv server, login, password string) (*session, error) {
	conn, err := c.dial(ctx, srv)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(srv.addr)
	opts := &imapclient.Options{
		TLSConfig:   c.tlsFor(host),
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
	}
	s := &session{stop: context.AfterFunc(ctx, func() { conn.Close() })}
	// The client reads through guardConn (see guard.go), above TLS: with
	// STARTTLS the upgrade is made here and the client greeted anew.
	guarded := &guardConn{Conn: conn}
	if srv.mode == TLSStartTLS {
		tc, err := startTLS(ctx, conn, opts.TLSConfig)
		if err != nil {
			s.stop()
			conn.Close()
			return nil, classify(ctx, "STARTTLS", err)
		}
		guarded = &guardConn{Conn: tc, prefix: []byte(startTLSGreeting)}
	}
	s.c = imapclient.New(guarded, opts)
	if err := s.c.WaitGreeting(); err != nil {
		s.close()
		return nil, classify(ctx, "greeting", err)
	}
	if err := s.login(login, password); err != nil {
		s.close()
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			// The server's text, never the credentials.
			return nil, fmt.Errorf("imap: login refused: %w: %s", connectors.ErrIdentity, ie.Text)
		}
		return nil, classify(ctx, "login", err)
	}
	return s, nil
}

func (s *session) login(login, password string) error {
	caps := s.c.Caps()
	if caps.Has(imap.AuthCap(sasl.Plain)) {
		return s.c.Authenticate(sasl.NewPlainClient("", login, password))
	}
	if caps.Has(imap.CapLoginDisabled) {
		return errors.New("imap: the server allows neither AUTHENTICATE PLAIN nor LOGIN")
	}
	return s.c.Login(login, password).Wait()
}

// close logs out (briefly) and closes the connection.
func (s *session) close() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.c.Logout().Wait()
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	s.c.Close()
	s.stop()
}

// account opens a session for acct, with its credentials and servers.
func (c *Connector) account(ctx context.Context, acct email.Account) (*session, servers, error) {
	login, password, srv, err := c.credentials(ctx, acct)
	if err != nil {
		return nil, servers{}, err
	}
	s, err := c.open(ctx, srv.imap, login, password)
	if err != nil {
		return nil, servers{}, err
	}
	return s, srv, nil
}

// selectFolder selects (or, read-only, examines) a folder, checking its
// UIDVALIDITY when validity is not 0. An unknown folder or another
// UIDVALIDITY is email.ErrNotFound.
func (s *session) selectFolder(ctx context.Context, name string, validity uint32, readOnly bool) (*imap.SelectData, error) {
	opts := &imap.SelectOptions{ReadOnly: readOnly}
	if s.c.Caps().Has(imap.CapCondStore) {
		opts.CondStore = true
	}
	data, err := s.c.Select(name, opts).Wait()
	if err != nil {
		s.selected = ""
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			return nil, notFound("no such folder", fmt.Errorf("imap: select: %w", err))
		}
		return nil, classify(ctx, "select", err)
	}
	s.selected, s.readOnly = name, readOnly
	if validity != 0 && data.UIDValidity != validity {
		return nil, notFound("no such message (the folder was reset)", nil)
	}
	return data, nil
}

// --- errors ---

func notFound(msg string, err error) error {
	return &email.Error{Kind: email.ErrNotFound, Message: msg, Err: err}
}

func invalid(msg string, err error) error {
	return &email.Error{Kind: email.ErrInvalid, Message: msg, Err: err}
}

func unavailable(msg string, err error) error {
	return &email.Error{Kind: email.ErrUnavailable, Message: msg, Err: err}
}

// classify maps an error of an IMAP command to an *email.Error where a
// kind fits: NONEXISTENT and TRYCREATE are not found, UNAVAILABLE,
// SERVERBUG and network failures are unavailable, BAD and CLIENTBUG are
// invalid, LIMIT is rate limited, OVERQUOTA and TOOBIG are too large. The
// end of ctx is returned as ctx's error.
func classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("imap: %s: %w", op, context.Cause(ctx))
	}
	wrapped := fmt.Errorf("imap: %s: %w", op, err)
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch ie.Code {
		case imap.ResponseCodeNonExistent, imap.ResponseCodeTryCreate:
			return notFound("not found", wrapped)
		case imap.ResponseCodeUnavailable, imap.ResponseCodeServerBug:
			return unavailable("the mail server failed: "+ie.Text, wrapped)
		case imap.ResponseCodeLimit:
			return &email.Error{Kind: email.ErrRateLimited, Message: "the mail server limits this account", Err: wrapped}
		case imap.ResponseCodeOverQuota, imap.ResponseCodeTooBig:
			return &email.Error{Kind: email.ErrTooLarge, Message: "over the mail server's limit", Err: wrapped}
		case imap.ResponseCodeClientBug, imap.ResponseCodeBadCharset, imap.ResponseCodeParse:
			return invalid("the mail server refused the request: "+ie.Text, wrapped)
		}
		if ie.Type == imap.StatusResponseTypeBad {
			return invalid("the mail server refused the request: "+ie.Text, wrapped)
		}
		if ie.Type == imap.StatusResponseTypeBye {
			return unavailable("the mail server closed the connection", wrapped)
		}
		return wrapped
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, os.ErrDeadlineExceeded) {
		return unavailable("the mail server could not be reached", wrapped)
	}
	return wrapped
}
