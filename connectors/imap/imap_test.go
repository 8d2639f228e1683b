package imap_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/imap"
	"github.com/aurinko-go/aurinko/connectors/imap/dovecottest"
	"github.com/aurinko-go/aurinko/unified/email"
)

// env is a Dovecot server with a connector whose accounts 1, 2, 3 are ann,
// bob and cy.
type env struct {
	srv *dovecottest.Server
	c   *imap.Connector
}

func newEnv(t *testing.T, mutate ...func(*imap.Config)) *env {
	t.Helper()
	srv := dovecottest.Start(t)
	cfg := imap.Config{
		IMAPAddr:  srv.IMAPSAddr,
		SMTPAddr:  srv.SMTPAddr,
		SMTPTLS:   imap.TLSStartTLS,
		TLSConfig: srv.TLSConfig(),
		Credentials: func(_ context.Context, id int64) (string, string, error) {
			if id < 1 || int(id) > len(srv.Users) {
				return "", "", fmt.Errorf("no account %d", id)
			}
			u := srv.Users[id-1]
			return u.Login, u.Password, nil
		},
		Now: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := imap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, c: c}
}

func (e *env) account(name string) email.Account {
	for i, u := range e.srv.Users {
		if strings.HasPrefix(u.Login, name+"@") {
			return email.Account{ID: int64(i + 1), Email: u.Login, AuthUserID: u.Login}
		}
	}
	panic("no user " + name)
}

var day = time.Date(2024, 3, 10, 9, 0, 0, 0, time.UTC)

// seed appends a simple text message and returns nothing: tests find
// messages by listing.
func (e *env) seed(t *testing.T, user, folder, from, subject, body string, at time.Time, flags ...goimap.Flag) {
	t.Helper()
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d.%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		from, e.srv.User(user).Login, subject, at.Format(time.RFC1123Z), at.UnixNano(), strings.ReplaceAll(subject, " ", "-")+"@example.test", body)
	e.srv.Append(t, e.srv.User(user), folder, []byte(raw), flags, at)
}

func listAll(t *testing.T, c *imap.Connector, acct email.Account, req email.ListRequest) []email.Message {
	t.Helper()
	ctx := context.Background()
	var out []email.Message
	for range 50 {
		page, err := c.ListMessages(ctx, acct, req)
		if err != nil {
			t.Fatalf("ListMessages(%+v): %v", req, err)
		}
		out = append(out, page.Records...)
		if page.NextPage == "" {
			return out
		}
		req.Page = page.NextPage
	}
	t.Fatal("more than 50 pages")
	return nil
}

func subjects(ms []email.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

func isKind(err, kind error) bool { return errors.Is(err, kind) }

func TestSignInWithPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cST, err := imap.New(imap.Config{IMAPAddr: e.srv.IMAPAddr, IMAPTLS: imap.TLSStartTLS, SMTPAddr: e.srv.SMTPAddr, TLSConfig: e.srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	cPlain, err := imap.New(imap.Config{IMAPAddr: e.srv.IMAPAddr, IMAPTLS: imap.TLSNoneLoopbackOnly, SMTPAddr: e.srv.SMTPAddr, TLSConfig: e.srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	cUser, err := imap.New(imap.Config{IMAPAddr: "mail.invalid:993", SMTPAddr: "mail.invalid:465", TLSConfig: e.srv.TLSConfig(), AllowUserServer: true})
	if err != nil {
		t.Fatal(err)
	}
	cUserPriv, err := imap.New(imap.Config{IMAPAddr: "mail.invalid:993", SMTPAddr: "mail.invalid:465", TLSConfig: e.srv.TLSConfig(), AllowUserServer: true, InsecureAllowPrivateUserServers: true})
	if err != nil {
		t.Fatal(err)
	}
	ann := e.srv.User("ann")
	tests := []struct {
		name        string
		c           *imap.Connector
		login, pass string
		server      string
		wantErr     bool
		wantIdent   bool // error wraps ErrIdentity
	}{
		{name: "implicit TLS", c: e.c, login: ann.Login, pass: ann.Password},
		{name: "STARTTLS", c: cST, login: ann.Login, pass: ann.Password},
		{name: "plain on loopback", c: cPlain, login: ann.Login, pass: ann.Password},
		{name: "wrong password", c: e.c, login: ann.Login, pass: "wrong-Passw0rd", wantErr: true, wantIdent: true},
		{name: "unknown user", c: e.c, login: "nobody@example.test", pass: ann.Password, wantErr: true, wantIdent: true},
		{name: "empty password", c: e.c, login: ann.Login, pass: "", wantErr: true, wantIdent: true},
		{name: "CRLF in login", c: e.c, login: ann.Login + "\r\nA1 LOGOUT", pass: ann.Password, wantErr: true, wantIdent: true},
		{name: "typed server refused", c: e.c, login: ann.Login, pass: ann.Password, server: "imaps://evil.example", wantErr: true},
		{name: "typed private server refused", c: cUser, login: ann.Login, pass: ann.Password, server: "imaps://" + e.srv.IMAPSAddr, wantErr: true},
		{name: "typed plaintext server refused", c: cUserPriv, login: ann.Login, pass: ann.Password, server: "imap://" + e.srv.IMAPAddr + "?tls=none", wantErr: true},
		{name: "typed server allowed", c: cUserPriv, login: ann.Login, pass: ann.Password, server: "imaps://" + e.srv.IMAPSAddr + "?smtp=smtp://" + e.srv.SMTPAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.c.SignInWithPassword(context.Background(), tt.login, tt.pass, tt.server)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("signed in: %+v", g)
				}
				if got := errors.Is(err, connectors.ErrIdentity); got != tt.wantIdent {
					t.Fatalf("err = %v; wraps ErrIdentity = %v, want %v", err, got, tt.wantIdent)
				}
				if tt.pass != "" && strings.Contains(err.Error(), tt.pass) {
					t.Fatalf("the password is in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Password != tt.pass || g.Identity.AuthUserID != tt.login || g.Identity.Email != tt.login || g.Identity.ServerURL == "" || g.Token != nil {
				t.Fatalf("grant = %+v", g)
			}
			if tt.server != "" && !strings.Contains(g.Identity.ServerURL, e.srv.IMAPSAddr) {
				t.Fatalf("ServerURL = %q", g.Identity.ServerURL)
			}
		})
	}
}

func TestConnector_hasNoOAuthFlow(t *testing.T) {
	t.Parallel()
	c, err := imap.New(imap.Config{IMAPAddr: "mail.example:993", SMTPAddr: "mail.example:465"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ServiceType() != "IMAP" {
		t.Fatalf("ServiceType = %q", c.ServiceType())
	}
	if _, err := c.AuthCodeURL(context.Background(), connectors.AuthRequest{}); !errors.Is(err, imap.ErrNoOAuth) {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	if _, err := c.Exchange(context.Background(), connectors.ExchangeRequest{}); !errors.Is(err, imap.ErrNoOAuth) {
		t.Fatalf("Exchange: %v", err)
	}
	if _, err := c.Refresh(context.Background(), nil); !errors.Is(err, imap.ErrNoOAuth) {
		t.Fatalf("Refresh: %v", err)
	}
	if s, err := c.NativeScopes([]connectors.Scope{connectors.MailRead, connectors.MailSend, connectors.MailAll}); err != nil || len(s) != 0 {
		t.Fatalf("NativeScopes(mail) = %v, %v", s, err)
	}
	for _, sc := range []connectors.Scope{connectors.CalendarRead, connectors.ContactsReadWrite, connectors.TasksRead} {
		if _, err := c.NativeScopes([]connectors.Scope{sc}); !errors.Is(err, connectors.ErrUnsupportedScope) {
			t.Fatalf("NativeScopes(%s) = %v", sc, err)
		}
	}
}

func TestNew_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []imap.Config{
		{IMAPAddr: "mail.example", SMTPAddr: "mail.example:465"},
		{IMAPAddr: "mail.example:993", SMTPAddr: ""},
		{IMAPAddr: "mail.example:143", IMAPTLS: imap.TLSNoneLoopbackOnly, SMTPAddr: "mail.example:465"},
		{IMAPAddr: "10.0.0.1:143", IMAPTLS: imap.TLSNoneLoopbackOnly, SMTPAddr: "mail.example:465"},
		{IMAPAddr: "mail.example:993", SMTPAddr: "mail.example:25", SMTPTLS: imap.TLSNoneLoopbackOnly},
		{IMAPAddr: "mail.example:99999", SMTPAddr: "mail.example:465"},
	} {
		if _, err := imap.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestListMessages_queries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "ann", "INBOX", "Bob <bob@example.test>", "quarterly report", "numbers inside", day, goimap.FlagSeen)
	e.seed(t, "ann", "INBOX", "Cy <cy@example.test>", "lunch", "pizza on friday", day.AddDate(0, 0, 1))
	e.seed(t, "ann", "INBOX", "bob@example.test", "re: lunch", "yes, pizza", day.AddDate(0, 0, 2))
	e.seed(t, "ann", "Archive", "cy@example.test", "old invoice", "pay me", day.AddDate(0, 0, -20), goimap.FlagSeen)
	e.seed(t, "ann", "Trash", "bob@example.test", "deleted pizza", "gone", day.AddDate(0, 0, 3))
	e.srv.Append(t, e.srv.User("ann"), "INBOX", multipartMessage(), []goimap.Flag{goimap.FlagSeen}, day.AddDate(0, 0, 4))
	acct := e.account("ann")
	tests := []struct {
		q     string
		trash bool
		want  []string
	}{
		{q: "", want: []string{"Report with attachment", "re: lunch", "lunch", "quarterly report", "old invoice"}},
		{q: "", trash: true, want: []string{"Report with attachment", "deleted pizza", "re: lunch", "lunch", "quarterly report", "old invoice"}},
		{q: "from:bob@example.test", want: []string{"Report with attachment", "re: lunch", "quarterly report"}},
		{q: "from:Cy", want: []string{"lunch", "old invoice"}},
		{q: "to:ann@example.test subject:lunch", want: []string{"re: lunch", "lunch"}},
		{q: `subject:"quarterly report"`, want: []string{"quarterly report"}},
		{q: "is:unread", want: []string{"re: lunch", "lunch"}},
		{q: "is:read", want: []string{"Report with attachment", "quarterly report", "old invoice"}},
		{q: "pizza", want: []string{"re: lunch", "lunch"}},
		{q: "pizza", trash: true, want: []string{"deleted pizza", "re: lunch", "lunch"}},
		{q: "after:2024/03/11", want: []string{"Report with attachment", "re: lunch", "lunch"}},
		{q: "after:2024-03-11 before:2024-03-12", want: []string{"lunch"}},
		{q: fmt.Sprintf("before:%d", day.Unix()+1), want: []string{"quarterly report", "old invoice"}},
		{q: "has:attachment", want: []string{"Report with attachment"}},
		{q: `subject:"a \" b"`, want: nil},
		{q: "nothing-matches-this", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, err := email.ParseQuery(tt.q)
			if err != nil {
				// "a \" b" is not valid Aurinko syntax; use the raw term.
				q = email.Query{Subject: []string{`a " b`}}
			}
			got := subjects(listAll(t, e.c, acct, email.ListRequest{Query: q, Limit: 2, IncludeTrashAndJunk: tt.trash}))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("q=%q: got %q, want %q", tt.q, got, tt.want)
			}
		})
	}
}

func TestListMessages_pagesNewestFirstWithoutDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []string
	for i := range 9 {
		folder := "INBOX"
		if i%3 == 0 {
			folder = "Archive"
		}
		subj := fmt.Sprintf("message %d", i)
		e.seed(t, "ann", folder, "bob@example.test", subj, "body", day.Add(time.Duration(i)*time.Hour))
		want = append([]string{subj}, want...)
	}
	acct := e.account("ann")
	for _, limit := range []int{1, 2, 4, 20} {
		got := listAll(t, e.c, acct, email.ListRequest{Limit: limit})
		if !slices.Equal(subjects(got), want) {
			t.Fatalf("limit %d: %q", limit, subjects(got))
		}
		ids := map[string]bool{}
		for _, m := range got {
			if ids[m.ID] || !email.ValidID(m.ID) || !email.ValidID(m.FolderID) {
				t.Fatalf("bad or repeated id %q", m.ID)
			}
			ids[m.ID] = true
			if m.Body != "" || !slices.Contains(m.Omitted, "body") || m.BodySnippet != "body" {
				t.Fatalf("list record = %+v", m)
			}
		}
	}
	// One folder.
	wk, err := e.c.WellKnownFolders(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	got := listAll(t, e.c, acct, email.ListRequest{FolderID: wk.Archive, Limit: 2, BodyType: email.BodyText})
	if !slices.Equal(subjects(got), []string{"message 6", "message 3", "message 0"}) || strings.TrimSpace(got[0].Body) != "body" {
		t.Fatalf("archive = %q", subjects(got))
	}
	// Unknown folder.
	if _, err := e.c.ListMessages(context.Background(), acct, email.ListRequest{FolderID: "Tm9wZQ"}); !isKind(err, email.ErrNotFound) {
		t.Fatalf("unknown folder: %v", err)
	}
}

// multipartMessage has a text and an HTML alternative, a PDF attachment
// and an inline image.
func multipartMessage() []byte {
	return []byte(strings.ReplaceAll(`From: Bob <bob@example.test>
To: Ann <ann@example.test>, cy@example.test
Cc: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.test>
Reply-To: reply@example.test
Subject: =?utf-8?q?Report_with_attachment?=
Date: Thu, 14 Mar 2024 09:00:00 +0100
Message-ID: <report-1@example.test>
In-Reply-To: <lunch-1@example.test>
References: <a@example.test>   <lunch-1@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, see the report.
--inner
Content-Type: text/html; charset=utf-8

<p>Gr&uuml;&szlig;e, see the <b>report</b>.<img src="cid:logo@x"></p>
--inner--
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCg==
--outer
Content-Type: image/png
Content-Disposition: inline
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer--
`, "\n", "\r\n"))
}

func TestGetMessage_multipartWithAttachments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	raw := multipartMessage()
	e.srv.Append(t, e.srv.User("ann"), "INBOX", raw, []goimap.Flag{"$Forwarded", "Project-X", goimap.FlagFlagged}, day)
	acct := e.account("ann")
	ctx := context.Background()
	list := listAll(t, e.c, acct, email.ListRequest{})
	if len(list) != 1 {
		t.Fatalf("list = %d", len(list))
	}
	id := list[0].ID
	m, err := e.c.GetMessage(ctx, acct, id, email.GetOptions{LoadInlines: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Normalize()
	if m.Subject != "Report with attachment" || m.From == nil || m.From.Name != "Bob" || m.From.Address != "bob@example.test" {
		t.Fatalf("subject/from = %q %+v", m.Subject, m.From)
	}
	if len(m.To) != 2 || m.To[0].Name != "Ann" || len(m.Cc) != 1 || m.Cc[0].Name != "Jürgen" || len(m.ReplyTo) != 1 {
		t.Fatalf("to/cc/replyTo = %+v %+v %+v", m.To, m.Cc, m.ReplyTo)
	}
	if m.InternetMessageID != "<report-1@example.test>" || m.InReplyTo != "<lunch-1@example.test>" || m.References != "<a@example.test> <lunch-1@example.test>" {
		t.Fatalf("ids = %q %q %q", m.InternetMessageID, m.InReplyTo, m.References)
	}
	if !m.SentAt.Equal(time.Date(2024, 3, 14, 8, 0, 0, 0, time.UTC)) || !m.ReceivedAt.Equal(day) {
		t.Fatalf("times = %v %v", m.SentAt, m.ReceivedAt)
	}
	if !strings.Contains(m.Body, "<b>report</b>") || !strings.HasPrefix(m.BodySnippet, "Grüße, see the report.") {
		t.Fatalf("body = %q snippet = %q", m.Body, m.BodySnippet)
	}
	if !slices.Equal(m.SysLabels, []email.SysLabel{email.LabelInbox, email.LabelUnread, email.LabelFlagged}) || !slices.Equal(m.Keywords, []string{"Project-X"}) {
		t.Fatalf("labels = %v keywords = %v", m.SysLabels, m.Keywords)
	}
	if !m.HasAttachments || len(m.Attachments) != 2 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	pdf, img := m.Attachments[0], m.Attachments[1]
	if pdf.Name != "report.pdf" || pdf.MimeType != "application/pdf" || pdf.Inline || pdf.Size != 19 || pdf.Content != nil {
		t.Fatalf("pdf = %+v", pdf)
	}
	if !img.Inline || img.ContentID != "logo@x" || img.MimeType != "image/png" || !bytes.Equal(img.Content, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("inline image = %+v", img)
	}
	if len(m.InternetHeaders) < 10 || m.ThreadID == "" || slices.Contains(m.Omitted, "threadId") {
		t.Fatalf("headers = %d omitted = %v", len(m.InternetHeaders), m.Omitted)
	}
	// Text body.
	mt, err := e.c.GetMessage(ctx, acct, id, email.GetOptions{BodyType: email.BodyText})
	if err != nil || mt.Body != "Grüße, see the report." {
		t.Fatalf("text body = %q, %v", mt.Body, err)
	}
	// Attachment content.
	a, err := e.c.GetAttachment(ctx, acct, id, pdf.ID)
	if err != nil || string(a.Content) != "%PDF-1.4\n%äüöß\n" || a.Name != "report.pdf" {
		t.Fatalf("GetAttachment = %+v, %v", a, err)
	}
	for _, bad := range []string{"1", "9", "2.1", "0", "1..2", "01"} {
		if _, err := e.c.GetAttachment(ctx, acct, id, bad); !isKind(err, email.ErrNotFound) {
			t.Errorf("GetAttachment(%q) = %v", bad, err)
		}
	}
	// Raw: the bytes as stored.
	rc, err := e.c.RawMessage(ctx, acct, id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, raw) {
		t.Fatalf("raw differs:\n%s", got)
	}
	// Reading did not mark it read.
	again, _ := e.c.GetMessage(ctx, acct, id, email.GetOptions{})
	if !slices.Contains(again.SysLabels, email.LabelUnread) {
		t.Fatal("GetMessage marked the message read")
	}
}

func TestHostileIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "ann", "INBOX", "bob@example.test", "hello", "body", day)
	acct := e.account("ann")
	ctx := context.Background()
	list := listAll(t, e.c, acct, email.ListRequest{})
	good := list[0].ID
	parts := strings.Split(good, ".")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	ids := []string{
		"", ".", "..", "a", "a.b", "a.b.c", "a.b.c.d",
		parts[0] + "." + parts[1], // no uid
		parts[0] + "." + parts[1] + ".0",
		parts[0] + "." + parts[1] + ".01",
		parts[0] + "." + parts[1] + ".4294967296",
		parts[0] + "." + parts[1] + ".-1",
		parts[0] + ".0." + parts[2],
		parts[0] + "." + parts[1] + "1." + parts[2], // another UIDVALIDITY
		parts[0] + "." + parts[1] + ".999",          // unknown uid
		parts[0] + "=." + parts[1] + "." + parts[2],
		"SU5CT1G." + parts[1] + "." + parts[2], // non-canonical base64 of INBOX
		b64("INBOX\r\nA1 LOGOUT") + "." + parts[1] + "." + parts[2],
		b64(`INBOX" "Trash`) + "." + parts[1] + "." + parts[2],
		b64("Nope") + "." + parts[1] + "." + parts[2],
		b64("\xff\xfe") + "." + parts[1] + "." + parts[2],
		b64("*") + "." + parts[1] + "." + parts[2],
		strings.Repeat("A", 2000) + ".1.1",
	}
	for _, id := range ids {
		if _, err := e.c.GetMessage(ctx, acct, id, email.GetOptions{}); !isKind(err, email.ErrNotFound) {
			t.Errorf("GetMessage(%q) = %v, want not found", id, err)
		}
		if err := e.c.TrashMessage(ctx, acct, id); !isKind(err, email.ErrNotFound) {
			t.Errorf("TrashMessage(%q) = %v, want not found", id, err)
		}
		if err := e.c.UpdateMessage(ctx, acct, id, email.StatusUpdate{Unread: new(bool)}); !isKind(err, email.ErrNotFound) {
			t.Errorf("UpdateMessage(%q) = %v, want not found", id, err)
		}
	}
	// The good one still works and nothing was moved.
	if _, err := e.c.GetMessage(ctx, acct, good, email.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"", "Tm9wZQ", "SU5CT1G", b64("INBOX\r\n")} {
		if _, err := e.c.ListMessages(ctx, acct, email.ListRequest{FolderID: f + "x="}); !isKind(err, email.ErrNotFound) {
			t.Errorf("ListMessages(folder %q) = %v", f+"x=", err)
		}
	}
	if _, err := e.c.ListMessages(ctx, acct, email.ListRequest{Page: "not-a-cursor"}); !isKind(err, email.ErrInvalid) {
		t.Errorf("bad page cursor = %v", err)
	}
	if _, err := e.c.DeltaChanges(ctx, acct, email.DeltaRequest{Cursor: "not-a-cursor"}); !isKind(err, email.ErrInvalid) {
		t.Errorf("bad delta cursor = %v", err)
	}
}

func TestUpdateMessage_flagsKeywordsArchive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "ann", "INBOX", "bob@example.test", "hello", "body", day, "Old-Label", "$MDNSent")
	acct := e.account("ann")
	ctx := context.Background()
	get := func(id string) email.Message {
		t.Helper()
		m, err := e.c.GetMessage(ctx, acct, id, email.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m.Normalize()
		return m
	}
	id := listAll(t, e.c, acct, email.ListRequest{})[0].ID
	if m := get(id); !slices.Contains(m.SysLabels, email.LabelUnread) || !slices.Equal(m.Keywords, []string{"Old-Label"}) {
		t.Fatalf("before = %v %v", m.SysLabels, m.Keywords)
	}
	f, tr := false, true
	kw := []string{"Blue", "Project-X"}
	if err := e.c.UpdateMessage(ctx, acct, id, email.StatusUpdate{Unread: &f, Keywords: &kw}); err != nil {
		t.Fatal(err)
	}
	if m := get(id); slices.Contains(m.SysLabels, email.LabelUnread) || !slices.Equal(m.Keywords, kw) {
		t.Fatalf("after = %v %v", m.SysLabels, m.Keywords)
	}
	if err := e.c.UpdateMessage(ctx, acct, id, email.StatusUpdate{Unread: &tr}); err != nil {
		t.Fatal(err)
	}
	if m := get(id); !slices.Contains(m.SysLabels, email.LabelUnread) {
		t.Fatalf("unread again = %v", m.SysLabels)
	}
	for _, bad := range []string{"two words", `\Seen`, "a(b", "", "ünïcode", "$Junk"} {
		kws := []string{bad}
		if err := e.c.UpdateMessage(ctx, acct, id, email.StatusUpdate{Keywords: &kws}); !isKind(err, email.ErrInvalid) {
			t.Errorf("keyword %q: %v", bad, err)
		}
	}
	// Archive: the message moves (and gets a new id).
	if err := e.c.UpdateMessage(ctx, acct, id, email.StatusUpdate{Archived: &tr}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetMessage(ctx, acct, id, email.GetOptions{}); !isKind(err, email.ErrNotFound) {
		t.Fatalf("old id after archive: %v", err)
	}
	wk, _ := e.c.WellKnownFolders(ctx, acct)
	arch := listAll(t, e.c, acct, email.ListRequest{FolderID: wk.Archive})
	if len(arch) != 1 || arch[0].FolderID != wk.Archive || !slices.Equal(arch[0].Keywords, kw) {
		t.Fatalf("archive = %+v", arch)
	}
	if err := e.c.UpdateMessage(ctx, acct, arch[0].ID, email.StatusUpdate{Archived: &f}); err != nil {
		t.Fatal(err)
	}
	if in := listAll(t, e.c, acct, email.ListRequest{FolderID: wk.Inbox}); len(in) != 1 {
		t.Fatalf("inbox after unarchive = %d", len(in))
	}
}

func TestTrashMessage_movesToTrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "ann", "INBOX", "bob@example.test", "to trash", "body", day)
	acct := e.account("ann")
	ctx := context.Background()
	id := listAll(t, e.c, acct, email.ListRequest{})[0].ID
	if err := e.c.TrashMessage(ctx, acct, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetMessage(ctx, acct, id, email.GetOptions{}); !isKind(err, email.ErrNotFound) {
		t.Fatalf("old id: %v", err)
	}
	if got := listAll(t, e.c, acct, email.ListRequest{}); len(got) != 0 {
		t.Fatalf("still listed: %q", subjects(got))
	}
	all := listAll(t, e.c, acct, email.ListRequest{IncludeTrashAndJunk: true})
	if len(all) != 1 || !slices.Contains(all[0].SysLabels, email.LabelTrash) {
		t.Fatalf("trash = %+v", all)
	}
	// Trashing what is in the trash leaves it there.
	if err := e.c.TrashMessage(ctx, acct, all[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetMessage(ctx, acct, all[0].ID, email.GetOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestFolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acct := e.account("ann")
	ctx := context.Background()
	c := e.srv.Dial(t, e.srv.User("ann"))
	for _, name := range []string{"Projects", "Projects/2024", "Ünïcode & more"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.c.ListFolders(ctx, acct, "")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]email.Folder{}
	for _, f := range page.Records {
		if !email.ValidID(f.ID) || !f.IsFolder {
			t.Fatalf("folder %+v", f)
		}
		byName[f.FullName] = f
	}
	if len(byName) != 9 {
		t.Fatalf("folders = %+v", page.Records)
	}
	if page.Records[0].FullName != "INBOX" || byName["INBOX"].SysLabel != email.LabelInbox || byName["Sent"].SysLabel != email.LabelSent ||
		byName["Trash"].SysLabel != email.LabelTrash || byName["Junk"].SysLabel != email.LabelJunk || byName["Drafts"].SysLabel != email.LabelDraft {
		t.Fatalf("labels = %+v", byName)
	}
	if sub := byName["Projects/2024"]; sub.Name != "2024" || sub.ParentID != byName["Projects"].ID {
		t.Fatalf("sub folder = %+v", sub)
	}
	wk, err := e.c.WellKnownFolders(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	want := email.WellKnownFolders{Inbox: byName["INBOX"].ID, Sent: byName["Sent"].ID, Drafts: byName["Drafts"].ID,
		Trash: byName["Trash"].ID, Junk: byName["Junk"].ID, Archive: byName["Archive"].ID}
	if wk != want {
		t.Fatalf("well-known = %+v, want %+v", wk, want)
	}
	// A folder with a non-ASCII name is listed by id.
	e.seed(t, "ann", "Ünïcode & more", "bob@example.test", "unicode folder", "body", day)
	got := listAll(t, e.c, acct, email.ListRequest{FolderID: byName["Ünïcode & more"].ID})
	if len(got) != 1 || got[0].FolderID != byName["Ünïcode & more"].ID {
		t.Fatalf("unicode folder = %+v", got)
	}
	if _, err := e.c.ListFolders(ctx, acct, "more"); !isKind(err, email.ErrInvalid) {
		t.Fatalf("folder page: %v", err)
	}
}

func TestMailbox_credentialErrorsPassThrough(t *testing.T) {
	t.Parallel()
	errReauth := errors.New("reauth required")
	e := newEnv(t, func(cfg *imap.Config) {
		cfg.Credentials = func(_ context.Context, id int64) (string, string, error) {
			if id == 9 {
				return "", "", errReauth
			}
			return "ann@example.test", "stale-Passw0rd", nil
		}
	})
	ctx := context.Background()
	if _, err := e.c.ListMessages(ctx, email.Account{ID: 9}, email.ListRequest{}); !errors.Is(err, errReauth) {
		t.Fatalf("credentials error = %v", err)
	}
	_, err := e.c.ListMessages(ctx, email.Account{ID: 1}, email.ListRequest{})
	if !errors.Is(err, connectors.ErrIdentity) || strings.Contains(err.Error(), "stale-Passw0rd") {
		t.Fatalf("stale password = %v", err)
	}
}
