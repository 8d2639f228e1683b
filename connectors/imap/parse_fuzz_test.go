package imap

import (
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aurinko-go/aurinko/unified/email"
)

// FuzzParseMessage feeds raw messages, as a server returns them for
// BODY.PEEK[] (anyone can mail anything), to the MIME parsing of
// GetMessage, ListMessages and GetAttachment. It never panics; the
// message maps in every body form; and each attachment it lists has a
// distinct id that GetAttachment accepts (parsePartID) and finds in the
// same message (findPart) with the same name, type and decoded size.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: hi\r\nDate: Sun, 10 Mar 2024 09:00:00 +0000\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n",
		"Subject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nplain\r\n" +
			"--c\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--c--\r\n" +
			"--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
			"--b\r\nContent-Type: image/png\r\nContent-Id: <img1@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n",
		"Content-Type: multipart/related; boundary=\"q\"\r\n\r\n--q\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--q\r\n" +
			"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n???\r\n",
		"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n",
		"Content-Type: text/html; charset=utf-16\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=FF=FE<=00b=00>=00",
		"From: \"unterminated <a@b\r\nTo: ,,,@,\r\nDate: yesterday\r\nX: \x00\xff\r\n\r\n",
		"no header at all",
		"",
	} {
		f.Add([]byte(s), true)
	}
	inbox := folderInfo{name: "INBOX", label: email.LabelInbox}
	f.Fuzz(func(t *testing.T, raw []byte, headers bool) {
		p, err := parseMessage(raw, headers)
		for _, bt := range []email.BodyType{email.BodyNone, email.BodyText, email.BodyHTML} {
			m := toMessage(inbox, 7, &fetched{uid: 3, raw: raw, date: time.Unix(0, 0)}, bt, headers)
			if m.ID == "" || m.FolderID == "" {
				t.Fatalf("message without ids: %+v", m)
			}
		}
		if err != nil {
			return
		}
		_ = p.snippet()
		var ids []string
		for _, a := range p.msg.Attachments {
			if slices.Contains(ids, a.ID) {
				t.Fatalf("attachment id %q listed twice", a.ID)
			}
			ids = append(ids, a.ID)
			path, ok := parsePartID(a.ID)
			if !ok {
				t.Fatalf("listed attachment id %q is refused by GetAttachment", a.ID)
			}
			got, found, err := findPart(raw, path)
			if err != nil || !found {
				t.Fatalf("listed attachment %q not found: %v", a.ID, err)
			}
			if got.Name != a.Name || got.MimeType != a.MimeType || got.Size != a.Size || int64(len(got.Content)) != a.Size ||
				got.Inline != a.Inline || got.ContentID != a.ContentID {
				t.Fatalf("attachment %q: listed %+v, fetched %+v (%d bytes)", a.ID, a, got, len(got.Content))
			}
			if !utf8.ValidString(a.ID) {
				t.Fatalf("attachment id %q", a.ID)
			}
		}
	})
}
