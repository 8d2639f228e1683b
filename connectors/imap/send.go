package imap

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/unified/email"
)

// MaxRecipients is the most recipients (to, cc and bcc) of one message.
const MaxRecipients = 100

var (
	reXHeader = regexp.MustCompile(`^X-[A-Za-z0-9-]{1,64}$`)
	reMsgIDs  = regexp.MustCompile(`^(\s*<[^<>\s]{1,250}>)*\s*$`)
)

// credentials returns the account's login, password and servers.
// The password comes from acct.Password (set by package unified from the
// sealed credential) or, when that is nil, from Config.Credentials.
func (c *Connector) credentials(ctx context.Context, acct email.Account) (string, string, servers, error) {
	srv, err := c.servers(acct.ServerURL, false)
	if err != nil {
		return "", "", servers{}, err
	}
	var login, password string
	switch {
	case acct.Password != nil:
		password, err = acct.Password(ctx)
	case c.creds != nil:
		login, password, err = c.creds(ctx, acct.ID)
	default:
		return "", "", servers{}, errors.New("imap: no credentials: neither email.Account.Password nor Config.Credentials is set")
	}
	if err != nil {
		return "", "", servers{}, fmt.Errorf("imap: credentials of account %d: %w", acct.ID, err)
	}
	if login == "" {
		login = acct.AuthUserID
	}
	return login, password, srv, nil
}

// SendMessage implements email.Mailbox: SMTP submission (AUTH PLAIN), then
// a copy with \Seen (and the message's keywords) appended to the \Sent
// folder. It returns an error unless the SMTP server accepted the message;
// once it has, a failure to store the copy is only logged.
func (c *Connector) SendMessage(ctx context.Context, acct email.Account, msg email.OutgoingMessage) (email.SendResult, error) {
	for _, k := range msg.Keywords {
		if !validKeyword(k) {
			return email.SendResult{}, invalid(fmt.Sprintf("keyword %q cannot be an IMAP keyword", short(k)), nil)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	login, password, srv, err := c.credentials(ctx, acct)
	if err != nil {
		return email.SendResult{}, err
	}
	fromAddr := acct.Email
	if fromAddr == "" {
		fromAddr = login
	}
	if a, err := mail.ParseAddress(fromAddr); err != nil || a.Address != fromAddr {
		return email.SendResult{}, invalid("the account has no email address to send from", nil)
	}
	from := email.Address{Address: fromAddr}
	if msg.From != nil && (msg.From.Address == "" || strings.EqualFold(msg.From.Address, fromAddr)) {
		from.Name = msg.From.Name
	}
	now := c.now()
	msgID, err := newMessageID(fromAddr)
	if err != nil {
		return email.SendResult{}, err
	}
	wire, err := buildMessage(msg, from, now, msgID, false)
	if err != nil {
		return email.SendResult{}, err
	}
	rcpts, err := recipients(msg)
	if err != nil {
		return email.SendResult{}, err
	}
	if err := c.submit(ctx, srv.smtp, login, password, fromAddr, rcpts, wire); err != nil {
		return email.SendResult{}, err
	}

	// Sent: from here on the message is sent, whatever happens.
	var res email.SendResult
	copyMsg, err := buildMessage(msg, from, now, msgID, true)
	if err == nil {
		res, err = c.appendSent(ctx, srv, login, password, copyMsg, now, msg.Keywords)
	}
	if err != nil {
		c.log.Warn("imap: message sent but not copied to the Sent folder", "account", acct.ID, "error", err)
		return email.SendResult{}, nil
	}
	// The ids cost nothing (APPENDUID, the headers): they are answered
	// whether or not ReturnIDs asks for them, as Gmail and Graph do.
	if res.ID != "" {
		res.ThreadID = threadID(email.Message{InternetMessageID: "<" + msgID + ">", InReplyTo: msg.InReplyTo, References: msg.References})
	}
	return res, nil
}

// recipients returns the envelope recipients, without duplicates.
func recipients(msg email.OutgoingMessage) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]email.Address{msg.To, msg.Cc, msg.Bcc} {
		for _, a := range list {
			if err := checkAddress(a); err != nil {
				return nil, err
			}
			if k := strings.ToLower(a.Address); !seen[k] {
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	if len(out) == 0 {
		return nil, invalid("a message needs at least one recipient", nil)
	}
	if len(out) > MaxRecipients {
		return nil, invalid(fmt.Sprintf("more than %d recipients", MaxRecipients), nil)
	}
	return out, nil
}

func checkAddress(a email.Address) error {
	p, err := mail.ParseAddress(a.Address)
	if err != nil || p.Address != a.Address || strings.ContainsAny(a.Name, "\r\n\x00") {
		return invalid(fmt.Sprintf("invalid address %q", short(a.Address)), nil)
	}
	return nil
}

func newMessageID(from string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("imap: message id: %w", err)
	}
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = from[i+1:]
	}
	return hex.EncodeToString(b[:]) + "@" + domain, nil
}

func mailAddrs(list []email.Address) []*gomail.Address {
	out := make([]*gomail.Address, len(list))
	for i, a := range list {
		out[i] = &gomail.Address{Name: a.Name, Address: a.Address}
	}
	return out
}

// oneLine makes a header value safe: line breaks and NULs become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return ' '
		}
		return r
	}, s)
}

// buildMessage writes the RFC 822 message. bcc adds the Bcc header (for
// the Sent copy only: recipients never see it).
func buildMessage(msg email.OutgoingMessage, from email.Address, date time.Time, msgID string, bcc bool) ([]byte, error) {
	var h gomail.Header
	h.SetDate(date)
	h.SetMessageID(msgID)
	h.SetSubject(oneLine(msg.Subject))
	h.SetAddressList("From", mailAddrs([]email.Address{from}))
	for _, l := range []struct {
		key  string
		list []email.Address
	}{{"To", msg.To}, {"Cc", msg.Cc}, {"Reply-To", msg.ReplyTo}} {
		if len(l.list) == 0 {
			continue
		}
		for _, a := range l.list {
			if err := checkAddress(a); err != nil {
				return nil, err
			}
		}
		h.SetAddressList(l.key, mailAddrs(l.list))
	}
	if bcc && len(msg.Bcc) > 0 {
		h.SetAddressList("Bcc", mailAddrs(msg.Bcc))
	}
	for _, ref := range []struct{ key, val string }{{"In-Reply-To", msg.InReplyTo}, {"References", msg.References}} {
		if ref.val == "" {
			continue
		}
		if !reMsgIDs.MatchString(ref.val) || len(ref.val) > 8000 {
			return nil, invalid(ref.key+" must be a list of <message-id>", nil)
		}
		h.Set(ref.key, strings.Join(strings.Fields(ref.val), " "))
	}
	for _, x := range msg.XHeaders {
		if !reXHeader.MatchString(x.Name) || len(x.Value) > 998 {
			return nil, invalid(fmt.Sprintf("header %q: only X- headers of letters, digits and dashes", short(x.Name)), nil)
		}
		h.Add(x.Name, mime.QEncoding.Encode("utf-8", oneLine(x.Value)))
	}

	var buf bytes.Buffer
	bodyType := msg.BodyType
	if bodyType == email.BodyNone {
		bodyType = email.BodyHTML
	}
	writeBody := func(create func(gomail.InlineHeader) (io.WriteCloser, error)) error {
		parts := []struct{ mt, body string }{{"text/plain", msg.Body}}
		if bodyType == email.BodyHTML {
			parts = []struct{ mt, body string }{{"text/plain", email.HTMLToText(msg.Body)}, {"text/html", msg.Body}}
		}
		for _, p := range parts {
			var ih gomail.InlineHeader
			ih.SetContentType(p.mt, map[string]string{"charset": "utf-8"})
			w, err := create(ih)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, p.body); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		}
		return nil
	}
	if len(msg.Attachments) == 0 {
		if bodyType == email.BodyText {
			h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
			w, err := gomail.CreateSingleInlineWriter(&buf, h)
			if err != nil {
				return nil, fmt.Errorf("imap: build message: %w", err)
			}
			if _, err := io.WriteString(w, msg.Body); err != nil {
				return nil, fmt.Errorf("imap: build message: %w", err)
			}
			if err := w.Close(); err != nil {
				return nil, fmt.Errorf("imap: build message: %w", err)
			}
			return buf.Bytes(), nil
		}
		iw, err := gomail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("imap: build message: %w", err)
		}
		if err := writeBody(iw.CreatePart); err != nil {
			return nil, fmt.Errorf("imap: build message: %w", err)
		}
		if err := iw.Close(); err != nil {
			return nil, fmt.Errorf("imap: build message: %w", err)
		}
		return buf.Bytes(), nil
	}
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("imap: build message: %w", err)
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return nil, fmt.Errorf("imap: build message: %w", err)
	}
	if err := writeBody(iw.CreatePart); err != nil {
		return nil, fmt.Errorf("imap: build message: %w", err)
	}
	if err := iw.Close(); err != nil {
		return nil, fmt.Errorf("imap: build message: %w", err)
	}
	for _, a := range msg.Attachments {
		mt := a.MimeType
		if mt == "" {
			mt = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(mt); err != nil || strings.ContainsAny(mt, "\r\n") {
			return nil, invalid(fmt.Sprintf("attachment %q: bad mimeType", short(a.Name)), nil)
		}
		var ah gomail.AttachmentHeader
		ah.SetContentType(mt, nil)
		ah.SetFilename(oneLine(a.Name))
		if a.Inline {
			ah.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": oneLine(a.Name)}))
		}
		if a.ContentID != "" {
			if strings.ContainsAny(a.ContentID, "<>\r\n\x00 ") || len(a.ContentID) > 250 {
				return nil, invalid("bad contentId", nil)
			}
			ah.Set("Content-Id", "<"+a.ContentID+">")
		}
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, fmt.Errorf("imap: build message: %w", err)
		}
		if _, err := w.Write(a.Content); err != nil {
			return nil, fmt.Errorf("imap: build message: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("imap: build message: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("imap: build message: %w", err)
	}
	return buf.Bytes(), nil
}

// submit sends the message over SMTP. It returns nil only when the
// server accepted the data.
func (c *Connector) submit(ctx context.Context, srv server, login, password, from string, rcpts []string, data []byte) error {
	conn, err := c.dial(ctx, srv)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	host, _, _ := net.SplitHostPort(srv.addr)
	var sc *smtp.Client
	if srv.mode == TLSStartTLS {
		sc, err = smtp.NewClientStartTLS(conn, c.tlsFor(host))
		if err != nil {
			return smtpErr(ctx, "STARTTLS", err)
		}
	} else {
		sc = smtp.NewClient(conn)
	}
	defer sc.Close()
	if err := sc.Hello("localhost"); err != nil {
		return smtpErr(ctx, "EHLO", err)
	}
	if !sc.SupportsAuth(sasl.Plain) {
		return errors.New("imap: the SMTP server does not offer AUTH PLAIN")
	}
	if err := sc.Auth(sasl.NewPlainClient("", login, password)); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && (se.Code == 535 || se.Code == 534) {
			return fmt.Errorf("imap: SMTP login refused: %w: %s", connectors.ErrIdentity, se.Message)
		}
		return smtpErr(ctx, "AUTH", err)
	}
	if max, ok := sc.MaxMessageSize(); ok && max > 0 && len(data) > max {
		return &email.Error{Kind: email.ErrTooLarge, Message: fmt.Sprintf("the message is larger than the SMTP server's limit of %d bytes", max)}
	}
	if err := sc.Mail(from, nil); err != nil {
		return smtpErr(ctx, "MAIL FROM", err)
	}
	for _, r := range rcpts {
		if err := sc.Rcpt(r, nil); err != nil {
			return smtpErr(ctx, "RCPT TO", err)
		}
	}
	w, err := sc.Data()
	if err != nil {
		return smtpErr(ctx, "DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return smtpErr(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr(ctx, "DATA", err)
	}
	_ = sc.Quit()
	return nil
}

// smtpErr classifies an SMTP failure: 4xx is temporary (unavailable), 552
// too large, other 5xx refusals are invalid requests.
func smtpErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("imap: smtp %s: %w", op, context.Cause(ctx))
	}
	wrapped := fmt.Errorf("imap: smtp %s: %w", op, err)
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		switch {
		case se.Code == 552:
			return &email.Error{Kind: email.ErrTooLarge, Message: "the SMTP server refused the message size", Err: wrapped}
		case se.Code >= 400 && se.Code < 500:
			return unavailable("the SMTP server refused for now: "+se.Message, wrapped)
		case se.Code >= 500:
			return invalid("the SMTP server refused: "+se.Message, wrapped)
		}
	}
	return classify(ctx, "smtp "+op, err)
}

// appendSent stores the copy in the \Sent folder and returns its ids.
func (c *Connector) appendSent(ctx context.Context, srv servers, login, password string, data []byte, date time.Time, keywords []string) (email.SendResult, error) {
	s, err := c.open(ctx, srv.imap, login, password)
	if err != nil {
		return email.SendResult{}, err
	}
	defer s.close()
	fs, err := s.folders(ctx)
	if err != nil {
		return email.SendResult{}, err
	}
	sent, ok := special(fs, email.LabelSent, false)
	if !ok {
		return email.SendResult{}, errors.New("imap: the mailbox has no Sent folder")
	}
	flags := []imap.Flag{imap.FlagSeen}
	for _, k := range keywords {
		flags = append(flags, imap.Flag(k))
	}
	cmd := s.c.Append(sent.name, int64(len(data)), &imap.AppendOptions{Flags: flags, Time: date})
	if _, err := cmd.Write(data); err != nil {
		return email.SendResult{}, classify(ctx, "append", err)
	}
	if err := cmd.Close(); err != nil {
		return email.SendResult{}, classify(ctx, "append", err)
	}
	res, err := cmd.Wait()
	if err != nil {
		return email.SendResult{}, classify(ctx, "append", err)
	}
	if res.UID == 0 || res.UIDValidity == 0 {
		return email.SendResult{}, nil
	}
	return email.SendResult{ID: msgRef{folder: sent.name, validity: res.UIDValidity, uid: res.UID}.id()}, nil
}
