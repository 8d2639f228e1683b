package google

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	gmail "google.golang.org/api/gmail/v1"

	"github.com/aurinko-go/aurinko/unified/email"
)

// SendMessage implements email.Mailbox: it builds the RFC 822 message
// (BuildMIME) and sends it with users.messages.send. A reply (InReplyTo
// set) joins the thread of the message it answers, found with the search
// rfc822msgid:, as Gmail requires threadId for that. Keywords are applied
// after the send; failing to apply them does not make the send fail (it
// is logged).
func (c *Connector) SendMessage(ctx context.Context, acct email.Account, msg email.OutgoingMessage) (email.SendResult, error) {
	svc, err := c.mailService(ctx, acct)
	if err != nil {
		return email.SendResult{}, err
	}
	thread, err := c.threadOfParent(ctx, svc, msg.InReplyTo)
	if err != nil {
		return email.SendResult{}, err
	}
	return c.send(ctx, acct, svc, msg, thread)
}

// threadOfParent returns the thread of the message whose Message-ID is
// inReplyTo (rfc822msgid: search, spam and trash included), or "".
func (c *Connector) threadOfParent(ctx context.Context, svc *gmail.Service, inReplyTo string) (string, error) {
	if f := strings.Fields(inReplyTo); len(f) > 0 {
		inReplyTo = f[0]
	}
	if inReplyTo == "" {
		return "", nil
	}
	r, err := svc.Users.Messages.List("me").Q("rfc822msgid:" + gmailQuote(strings.Trim(inReplyTo, "<> "))).
		IncludeSpamTrash(true).MaxResults(1).Context(ctx).Do()
	if err != nil {
		return "", mailErr("users.messages.list", err)
	}
	if len(r.Messages) > 0 {
		return r.Messages[0].ThreadId, nil
	}
	return "", nil
}

// send builds msg and sends it with users.messages.send in thread (when
// not "").
func (c *Connector) send(ctx context.Context, acct email.Account, svc *gmail.Service, msg email.OutgoingMessage, thread string) (email.SendResult, error) {
	raw, err := BuildMIME(acct.Email, msg, c.now())
	if err != nil {
		return email.SendResult{}, err
	}
	if len(raw) > maxSendSize {
		return email.SendResult{}, &email.Error{Kind: email.ErrTooLarge, Message: "the message is larger than Gmail's 35 MB"}
	}
	req := &gmail.Message{Raw: base64.URLEncoding.EncodeToString(raw), ThreadId: thread}
	sent, err := svc.Users.Messages.Send("me", req).Context(ctx).Do()
	if err != nil {
		return email.SendResult{}, mailErr("users.messages.send", err)
	}
	if sent.Id == "" {
		return email.SendResult{}, &email.Error{Kind: email.ErrUnavailable, Message: "gmail did not confirm the send"}
	}
	if len(msg.Keywords) > 0 {
		kw := msg.Keywords
		if err := c.UpdateMessage(ctx, acct, sent.Id, email.StatusUpdate{Keywords: &kw}); err != nil {
			c.logger.WarnContext(ctx, "google: labelling a sent message failed", "err", err)
		}
	}
	return email.SendResult{ID: sent.Id, ThreadID: sent.ThreadId}, nil
}

// BuildMIME writes msg as an RFC 822 message from the account's address
// from: From is always the account (with msg.From's name when msg.From is
// the account), Date is now, Message-ID is new. The body is text/plain or
// text/html as msg.BodyType says (html by default), quoted-printable;
// inline attachments (ContentID or Inline) go with an HTML body into
// multipart/related, the others into multipart/mixed, base64. Header
// values with line breaks and X-headers not named X-... are refused
// (email.ErrInvalid), so that no input can add a header.
func BuildMIME(from string, msg email.OutgoingMessage, now time.Time) ([]byte, error) {
	if len(msg.To)+len(msg.Cc)+len(msg.Bcc) == 0 {
		return nil, &email.Error{Kind: email.ErrInvalid, Message: "a message needs a recipient", Err: errors.New("google: a message needs a recipient")}
	}
	return buildMIME(from, msg, now)
}

// buildMIME is BuildMIME without the recipient check, for drafts.
func buildMIME(from string, msg email.OutgoingMessage, now time.Time) ([]byte, error) {
	invalid := func(format string, args ...any) error {
		m := fmt.Sprintf(format, args...)
		return &email.Error{Kind: email.ErrInvalid, Message: m, Err: errors.New("google: " + m)}
	}
	fromAddr := &mail.Address{Address: from}
	if msg.From != nil && strings.EqualFold(msg.From.Address, from) {
		fromAddr.Name = msg.From.Name
	}
	var b bytes.Buffer
	hdr := func(name, value string) error {
		if strings.ContainsAny(value, "\r\n\x00") {
			return invalid("the %s header has a line break", name)
		}
		b.WriteString(name + ": " + value + "\r\n")
		return nil
	}
	addrs := func(name string, list []email.Address) error {
		if len(list) == 0 {
			return nil
		}
		out := make([]string, 0, len(list))
		for _, a := range list {
			if _, err := mail.ParseAddress(a.Address); err != nil || strings.ContainsAny(a.Address, "<>,\r\n ") {
				return invalid("%s: %q is not an email address", name, short(a.Address))
			}
			out = append(out, (&mail.Address{Name: a.Name, Address: a.Address}).String())
		}
		return hdr(name, strings.Join(out, ", "))
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	domain := "mail.gmail.com"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	steps := []func() error{
		func() error { return hdr("MIME-Version", "1.0") },
		func() error { return hdr("Date", now.Format(time.RFC1123Z)) },
		func() error {
			return hdr("Message-ID", "<"+base64.RawURLEncoding.EncodeToString(rnd[:])+"@"+domain+">")
		},
		func() error { return hdr("Subject", mime.QEncoding.Encode("utf-8", msg.Subject)) },
		func() error { return hdr("From", fromAddr.String()) },
		func() error { return addrs("To", msg.To) },
		func() error { return addrs("Cc", msg.Cc) },
		func() error { return addrs("Bcc", msg.Bcc) },
		func() error { return addrs("Reply-To", msg.ReplyTo) },
		func() error {
			if msg.InReplyTo == "" {
				return nil
			}
			return hdr("In-Reply-To", msg.InReplyTo)
		},
		func() error {
			if msg.References == "" {
				return nil
			}
			return hdr("References", msg.References)
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	for _, h := range msg.XHeaders {
		if !strings.HasPrefix(strings.ToLower(h.Name), "x-") || strings.ContainsFunc(h.Name, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || r == ':'
		}) {
			return nil, invalid("%q is not an X- header name", short(h.Name))
		}
		if err := hdr(h.Name, mime.QEncoding.Encode("utf-8", h.Value)); err != nil {
			return nil, err
		}
	}

	type part struct {
		header textproto.MIMEHeader
		body   []byte
	}
	ctype := "text/html"
	if msg.BodyType == email.BodyText {
		ctype = "text/plain"
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	_, _ = w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(msg.Body, "\r\n", "\n"), "\n", "\r\n")))
	_ = w.Close()
	body := part{textproto.MIMEHeader{"Content-Type": {ctype + `; charset="UTF-8"`}, "Content-Transfer-Encoding": {"quoted-printable"}}, qp.Bytes()}
	multi := func(sub string, parts []part) (part, error) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range parts {
			pw, err := mw.CreatePart(p.header)
			if err != nil {
				return part{}, err
			}
			if _, err := pw.Write(p.body); err != nil {
				return part{}, err
			}
		}
		if err := mw.Close(); err != nil {
			return part{}, err
		}
		return part{textproto.MIMEHeader{"Content-Type": {"multipart/" + sub + `; boundary="` + mw.Boundary() + `"`}}, buf.Bytes()}, nil
	}
	var inline, attached []part
	for _, a := range msg.Attachments {
		if strings.TrimSpace(a.Name) == "" || strings.ContainsAny(a.Name+a.ContentID, "\r\n\x00") || strings.ContainsAny(a.ContentID, "<>") {
			return nil, invalid("an attachment needs a name without line breaks")
		}
		mt := a.MimeType
		if mt == "" {
			mt = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(mt); err != nil || strings.Contains(mt, ";") {
			return nil, invalid("attachment %q: %q is not a MIME type", short(a.Name), short(mt))
		}
		isInline := (a.Inline || a.ContentID != "") && ctype == "text/html"
		disp := "attachment"
		if isInline {
			disp = "inline"
		}
		h := textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(mt, map[string]string{"name": a.Name})},
			"Content-Disposition":       {mime.FormatMediaType(disp, map[string]string{"filename": a.Name})},
			"Content-Transfer-Encoding": {"base64"},
		}
		if a.ContentID != "" {
			h.Set("Content-ID", "<"+a.ContentID+">")
		}
		enc := base64.StdEncoding.EncodeToString(a.Content)
		var lines bytes.Buffer
		for len(enc) > 76 {
			lines.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		lines.WriteString(enc)
		p := part{h, lines.Bytes()}
		if isInline {
			inline = append(inline, p)
		} else {
			attached = append(attached, p)
		}
	}
	var err error
	if len(inline) > 0 {
		if body, err = multi("related", append([]part{body}, inline...)); err != nil {
			return nil, fmt.Errorf("google: building the message: %w", err)
		}
	}
	if len(attached) > 0 {
		if body, err = multi("mixed", append([]part{body}, attached...)); err != nil {
			return nil, fmt.Errorf("google: building the message: %w", err)
		}
	}
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding"} {
		if v := body.header.Get(k); v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	b.Write(body.body)
	return b.Bytes(), nil
}

func short(s string) string {
	if r := []rune(s); len(r) > 32 {
		return string(r[:32]) + "…"
	}
	return s
}
