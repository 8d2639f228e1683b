// Package dovecottest runs a private Dovecot IMAP server and an in-process
// SMTP submission server on loopback, for tests only. It is not a fake:
// Dovecot is the real server from Debian's dovecot-imapd package, started
// from a configuration written into a temporary directory, so tests meet
// the IMAP protocol as a production mailbox speaks it.
//
// FOR TESTS ONLY. Never import it from production code.
//
// Start(t) does everything: it generates a self-signed certificate for
// 127.0.0.1 and localhost, writes a dovecot.conf (passwd-file users, maildir
// under the temporary directory, the special-use folders Drafts, Sent,
// Trash, Junk and Archive), runs `dovecot -F -c <conf>` as a child process
// listening on free loopback ports (one implicit-TLS port and one STARTTLS
// port, on which loopback plaintext login is also allowed), waits until it
// greets, and stops it when the test ends. No system service is involved.
//
// The SMTP server (github.com/emersion/go-smtp) offers STARTTLS with the
// same certificate, requires AUTH PLAIN with a test user's password and an
// envelope sender equal to the login, records every message it accepts
// (Server.Outbox) and delivers a copy to the INBOX of each recipient that is
// a test user, through IMAP APPEND. It does not write the sender's Sent
// folder: mail clients (and connectors/imap) append their own copy, as they
// do with most submission servers.
//
// Locally, a machine without the dovecot binary skips the test with one
// line; with CI=true in the environment a missing binary fails the test,
// so CI never silently runs without the real server. Install it with
// `apt-get install dovecot-imapd` (.ci/run does).
package dovecottest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// User is a test user: its login is its email address.
type User struct {
	Login    string
	Password string
}

// The users every server has.
var defaultUsers = []User{
	{Login: "ann@example.test", Password: "ann-Passw0rd!"},
	{Login: "bob@example.test", Password: "bob-Passw0rd!"},
	{Login: "cy@example.test", Password: "cy-Passw0rd!"},
}

// Server is a running Dovecot and SMTP server.
type Server struct {
	// IMAPSAddr is host:port of the implicit-TLS IMAP listener.
	IMAPSAddr string
	// IMAPAddr is host:port of the IMAP listener with STARTTLS (plaintext
	// login is allowed too: Dovecot trusts loopback connections).
	IMAPAddr string
	// SMTPAddr is host:port of the SMTP submission server (STARTTLS,
	// AUTH PLAIN).
	SMTPAddr string
	// Users are the test users (ann, bob, cy @example.test).
	Users []User
	// Dir is the temporary directory holding the configuration, the
	// maildirs and dovecot.log.
	Dir string

	roots *x509.CertPool

	mu     sync.Mutex
	outbox []SentMessage
}

// SentMessage is a message the SMTP server accepted.
type SentMessage struct {
	// Login is the authenticated user.
	Login string
	From  string
	To    []string
	Data  []byte
}

// Start starts a private Dovecot and SMTP server for the test and stops
// them when it ends. See the package doc for what it needs.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := findDovecot()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("dovecottest: the dovecot binary is missing (CI must install dovecot-imapd)")
		}
		t.Skip("dovecottest: dovecot not installed (apt-get install dovecot-imapd); skipping")
	}
	dir, err := os.MkdirTemp("", "dovecot")
	if err != nil {
		t.Fatalf("dovecottest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("dovecottest: %v", err)
	}
	s := &Server{Dir: dir, Users: slices.Clone(defaultUsers)}
	certPEM, keyPEM, cert, err := selfSigned()
	if err != nil {
		t.Fatalf("dovecottest: certificate: %v", err)
	}
	s.roots = x509.NewCertPool()
	s.roots.AddCert(cert.Leaf)
	for name, data := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatalf("dovecottest: %v", err)
		}
	}
	var lastErr error
	for range 3 { // free ports can be taken between probing and binding
		if lastErr = s.startDovecot(t, bin); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("dovecottest: %v", lastErr)
	}
	s.startSMTP(t, cert)
	return s
}

func findDovecot() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// TLSConfig returns a client TLS configuration that trusts the server's
// self-signed certificate (valid for 127.0.0.1 and localhost).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// RootCAs returns the pool holding the server's certificate.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// User returns the test user whose login starts with name ("ann", "bob",
// "cy").
func (s *Server) User(name string) User {
	for _, u := range s.Users {
		if strings.HasPrefix(u.Login, name+"@") {
			return u
		}
	}
	panic("dovecottest: no user " + name)
}

// Outbox returns the messages the SMTP server accepted so far.
func (s *Server) Outbox() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.outbox)
}

// Log returns Dovecot's log so far (for failure messages).
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) startDovecot(t testing.TB, bin string) error {
	imapPort, err := freePort()
	if err != nil {
		return err
	}
	imapsPort, err := freePort()
	if err != nil {
		return err
	}
	dir := s.Dir
	var passwd strings.Builder
	for _, u := range s.Users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s::::::\n", u.Login, u.Password)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd.String()), 0o644); err != nil {
		return err
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	// Dovecot never gives mail access as root: as root the mail processes
	// run as nobody, and the login/internal processes as the package's
	// dovecot and dovenull users; as another user, everything runs as
	// that user.
	var users string
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 65534, 65534
		if err := os.Chown(home, uid, gid); err != nil {
			return err
		}
	} else {
		me, err := user.Current()
		if err != nil {
			return err
		}
		users = fmt.Sprintf("default_internal_user = %s\ndefault_login_user = %s\ndefault_internal_group = %s\n",
			me.Username, me.Username, groupName(gid))
	}
	conf := fmt.Sprintf(confTemplate, dir, users, uid, gid, home, imapPort, imapsPort)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dovecot: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			// Only the process group this helper created.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	s.IMAPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(imapPort))
	s.IMAPSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(imapsPort))
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("dovecot exited: %v: %s%s", err, out.String(), s.Log())
		default:
		}
		if err := s.greets(); err == nil {
			break
		} else if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("dovecot did not greet on %s: %v: %s", s.IMAPSAddr, err, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	return nil
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}

// greets reports whether the implicit-TLS listener answers with a
// greeting.
func (s *Server) greets() error {
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: s.TLSConfig(), Dialer: &net.Dialer{Timeout: time.Second}})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.WaitGreeting()
}

const confTemplate = `# written by dovecottest
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
%[2]s
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
  default_fields = uid=%[3]d gid=%[4]d home=%[5]s/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[6]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[7]d
    ssl = yes
  }
}
# No auth penalty for repeated failures (tests try bad passwords).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
}
`

// selfSigned makes a self-signed ECDSA certificate for 127.0.0.1 and
// localhost, valid for a day.
func selfSigned() (certPEM, keyPEM []byte, cert tls.Certificate, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, cert, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, nil, cert, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "dovecottest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, cert, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, cert, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, cert, err
	}
	cert.Leaf, err = x509.ParseCertificate(der)
	return certPEM, keyPEM, cert, err
}

// Dial returns an IMAP client logged in as u over implicit TLS, closed
// when the test ends.
func (s *Server) Dial(t testing.TB, u User) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		t.Fatalf("dovecottest: dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(u.Login, u.Password).Wait(); err != nil {
		t.Fatalf("dovecottest: login %s: %v", u.Login, err)
	}
	return c
}

// Append stores a raw RFC 822 message in u's folder with the flags and
// internal date (zero: now) and returns its UID.
func (s *Server) Append(t testing.TB, u User, folder string, raw []byte, flags []imap.Flag, date time.Time) imap.UID {
	t.Helper()
	c := s.Dial(t, u)
	uid, err := appendMessage(c, folder, raw, flags, date)
	if err != nil {
		t.Fatalf("dovecottest: append to %s: %v", folder, err)
	}
	_ = c.Logout().Wait()
	return uid
}

func appendMessage(c *imapclient.Client, folder string, raw []byte, flags []imap.Flag, date time.Time) (imap.UID, error) {
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: date})
	if _, err := cmd.Write(raw); err != nil {
		return 0, err
	}
	if err := cmd.Close(); err != nil {
		return 0, err
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, err
	}
	return data.UID, nil
}

// --- SMTP ---

func (s *Server) startSMTP(t testing.TB, cert tls.Certificate) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dovecottest: smtp listen: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = discardLogger{}
	s.SMTPAddr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// smtpSession is one SMTP connection: AUTH PLAIN against the test users,
// then transactions.
type smtpSession struct {
	s     *Server
	login string
	from  string
	to    []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return errors.New("invalid identity")
		}
		for _, u := range ss.s.Users {
			if u.Login == username && u.Password == password {
				ss.login = username
				return nil
			}
		}
		return smtp.ErrAuthFailed
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.login == "" {
		return errAuthRequired
	}
	if !strings.EqualFold(from, ss.login) {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address not owned by the user"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.login == "" {
		return errAuthRequired
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	if ss.login == "" {
		return errAuthRequired
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := SentMessage{Login: ss.login, From: ss.from, To: slices.Clone(ss.to), Data: data}
	// Deliver to the local recipients, as an MTA would.
	for _, rcpt := range msg.To {
		for _, u := range ss.s.Users {
			if !strings.EqualFold(u.Login, rcpt) {
				continue
			}
			if err := ss.s.deliver(u, data); err != nil {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "delivery failed"}
			}
		}
	}
	ss.s.mu.Lock()
	ss.s.outbox = append(ss.s.outbox, msg)
	ss.s.mu.Unlock()
	return nil
}

func (s *Server) deliver(u User, data []byte) error {
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(u.Login, u.Password).Wait(); err != nil {
		return err
	}
	if _, err := appendMessage(c, "INBOX", data, nil, time.Time{}); err != nil {
		return err
	}
	return c.Logout().Wait()
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }
