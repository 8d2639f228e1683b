package imap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the usual charsets of text parts and headers
	gomail "github.com/emersion/go-message/mail"

	"github.com/aurinko-go/aurinko/unified/email"
)

// maxParseParts bounds the MIME parts walked in one message.
const maxParseParts = 1000

// maxPartNumber is the largest part number an attachment id may hold
// (parsePartID).
const maxPartNumber = 9999

// parsedMessage is what the MIME parser finds in a message.
type parsedMessage struct {
	msg        email.Message // header fields and attachments
	text, html string
}

// leaf is a non-multipart MIME part with its IMAP part path.
type leaf struct {
	path   []int
	entity *message.Entity
}

// walkLeaves calls visit for each non-multipart part, with IMAP part
// numbering: the body of a single-part message is part 1, the parts of a
// multipart are numbered from 1 below their parent. A message/rfc822 part
// is a leaf. Parts beyond maxParseParts, below maxPartDepth or numbered
// above maxPartNumber are ignored: an attachment id could not name them.
func walkLeaves(e *message.Entity, visit func(leaf) error) error {
	count := 0
	var walk func(e *message.Entity, path []int) error
	walk = func(e *message.Entity, path []int) error {
		mr := e.MultipartReader()
		if mr == nil {
			if len(path) == 0 {
				path = []int{1}
			}
			count++
			if count > maxParseParts {
				return nil
			}
			return visit(leaf{path: path, entity: e})
		}
		if len(path) == maxPartDepth {
			return nil
		}
		for i := 1; i <= maxPartNumber; i++ {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				// A broken tail: keep what was read.
				return nil
			}
			if err := walk(p, append(append([]int(nil), path...), i)); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(e, nil)
}

// readEntity parses raw, accepting unknown charsets and encodings (their
// parts are kept as they are).
func readEntity(raw []byte) (*message.Entity, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("imap: parse message: %w", err)
	}
	return e, nil
}

// attachmentInfo reports whether a leaf is an attachment (a disposition of
// attachment, a file name, or a non-text part) and describes it.
func attachmentInfo(l leaf) (email.Attachment, bool) {
	h := l.entity.Header
	mt, ctParams, _ := h.ContentType()
	disp, dParams, _ := h.ContentDisposition()
	name := dParams["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	cid := strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>")
	isText := mt == "text/plain" || mt == "text/html" || mt == ""
	if disp != "attachment" && name == "" && isText {
		return email.Attachment{}, false
	}
	if mt == "" {
		mt = "text/plain"
	}
	return email.Attachment{
		ID:        partID(l.path),
		Name:      name,
		MimeType:  mt,
		ContentID: cid,
		Inline:    disp == "inline" || (disp == "" && cid != ""),
	}, true
}

// parseMessage reads a raw message: headers, text and HTML bodies and
// attachments (with their decoded size, without content).
func parseMessage(raw []byte, headers bool) (parsedMessage, error) {
	var p parsedMessage
	e, err := readEntity(raw)
	if err != nil {
		return p, err
	}
	h := gomail.Header{Header: e.Header}
	m := &p.msg
	if s, err := h.Subject(); err == nil {
		m.Subject = s
	} else {
		m.Subject = h.Get("Subject")
	}
	m.InternetMessageID = strings.TrimSpace(h.Get("Message-Id"))
	m.InReplyTo = strings.TrimSpace(h.Get("In-Reply-To"))
	m.References = strings.Join(strings.Fields(h.Get("References")), " ")
	if d, err := h.Date(); err == nil && !d.IsZero() {
		m.SentAt = d.UTC()
	}
	if from := addresses(h, "From"); len(from) > 0 {
		m.From = &from[0]
	}
	m.To, m.Cc, m.Bcc, m.ReplyTo = addresses(h, "To"), addresses(h, "Cc"), addresses(h, "Bcc"), addresses(h, "Reply-To")
	if headers {
		fields := e.Header.Fields()
		for fields.Next() {
			v, err := fields.Text()
			if err != nil {
				v = fields.Value()
			}
			m.InternetHeaders = append(m.InternetHeaders, email.Header{Name: fields.Key(), Value: v})
		}
	}
	err = walkLeaves(e, func(l leaf) error {
		if a, ok := attachmentInfo(l); ok {
			n, _ := io.Copy(io.Discard, l.entity.Body)
			a.Size = n
			m.Attachments = append(m.Attachments, a)
			if !a.Inline {
				m.HasAttachments = true
			}
			return nil
		}
		mt, _, _ := l.entity.Header.ContentType()
		body, _ := io.ReadAll(l.entity.Body)
		switch {
		case (mt == "text/plain" || mt == "") && p.text == "":
			p.text = string(body)
		case mt == "text/html" && p.html == "":
			p.html = string(body)
		}
		return nil
	})
	return p, err
}

// findPart returns the attachment at path with its decoded content.
func findPart(raw []byte, path []int) (email.Attachment, bool, error) {
	e, err := readEntity(raw)
	if err != nil {
		return email.Attachment{}, false, err
	}
	var out email.Attachment
	found := false
	errStop := errors.New("stop")
	err = walkLeaves(e, func(l leaf) error {
		if !equalPath(l.path, path) {
			return nil
		}
		a, ok := attachmentInfo(l)
		if !ok {
			return errStop
		}
		// A broken tail (a truncated part, bad encoding): keep what was
		// read, as parseMessage does when it lists the part and its size.
		b, _ := io.ReadAll(l.entity.Body)
		a.Content, a.Size = b, int64(len(b))
		out, found = a, true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return out, false, err
	}
	return out, found, nil
}

func equalPath(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func addresses(h gomail.Header, key string) []email.Address {
	list, err := h.AddressList(key)
	if err != nil {
		return nil
	}
	out := make([]email.Address, 0, len(list))
	for _, a := range list {
		out = append(out, email.Address{Name: a.Name, Address: a.Address})
	}
	return out
}

// body returns the body in the asked form.
func (p parsedMessage) body(bt email.BodyType) string { return email.BodyAs(bt, p.text, p.html) }

// snippet is the plain-text preview source.
func (p parsedMessage) snippet() string {
	if p.text != "" {
		return strings.TrimSpace(p.text)
	}
	return email.HTMLToText(p.html)
}
