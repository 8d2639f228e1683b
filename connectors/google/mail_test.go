package google_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/connectors/google/googletest"
	"github.com/aurinko-go/aurinko/unified/email"
)

// mailEnv is a connector, the fake and alice's account with the Gmail
// modify and send scopes.
type mailEnv struct {
	*env
	acct email.Account
}

func newMailEnv(t *testing.T) *mailEnv {
	t.Helper()
	e := newEnv(t, nil, nil)
	g := e.signIn(t, []connectors.Scope{connectors.MailReadWrite, connectors.MailSend}, nil)
	hc := &http.Client{Transport: &xoauth2.Transport{Source: xoauth2.StaticTokenSource(g.Token)}, Timeout: 10 * time.Second}
	return &mailEnv{env: e, acct: email.Account{ID: 1, Email: alice.Email, Client: hc}}
}

func (e *mailEnv) seed(t *testing.T, msgs ...googletest.MailMessage) []string {
	t.Helper()
	ids, err := e.g.Seed(alice.Email, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

var day0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

// mailbox is a small mailbox of alice, oldest first.
func mailbox() []googletest.MailMessage {
	return []googletest.MailMessage{
		{From: "Bob Other <bob@other.org>", To: []string{"Alice Example <alice@example.com>"}, Subject: "Quarterly report",
			Text: "Numbers are up.\nSee attached.", HTML: "<p>Numbers are <b>up</b>.</p>", Date: day0,
			Attachments: []googletest.MailAttachment{{Filename: "q1.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 fake")}}},
		{From: "Carol <carol@gmail.com>", To: []string{"alice@example.com"}, Cc: []string{"bob@other.org"}, Subject: "Lunch?",
			Text: "Tacos at noon?", Date: day0.Add(24 * time.Hour), Labels: []string{"INBOX"}},
		{From: "alice@example.com", To: []string{"bob@other.org"}, Subject: "Re: Quarterly report", HTML: "<div>Great &amp; thanks</div>",
			Date: day0.Add(48 * time.Hour), Labels: []string{"SENT"}, InReplyTo: "<placeholder@x>"},
		{From: "News <news@shop.example>", To: []string{"alice@example.com"}, Subject: "Sale", Text: "50% off", Date: day0.Add(72 * time.Hour),
			Labels: []string{"SPAM", "UNREAD"}},
		{From: "Dan <dan@example.com>", To: []string{"alice@example.com"}, Subject: "Logo", HTML: `<p>Our logo: <img src="cid:logo1"></p>`,
			Date: day0.Add(96 * time.Hour), Labels: []string{"Projects/Acme", "STARRED"},
			Attachments: []googletest.MailAttachment{{Filename: "logo.png", ContentType: "image/png", Data: []byte("\x89PNG..."), ContentID: "logo1"}}},
	}
}

func subjects(ms []email.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

func TestListMessages_queries(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	e.seed(t, mailbox()...)
	ctx := context.Background()
	for _, tc := range []struct {
		name, q string
		folder  string
		trash   bool
		want    []string
	}{
		{"everything but spam and trash, newest first", "", "", false, []string{"Logo", "Re: Quarterly report", "Lunch?", "Quarterly report"}},
		{"with junk", "", "", true, []string{"Logo", "Sale", "Re: Quarterly report", "Lunch?", "Quarterly report"}},
		{"from address", "from:bob@other.org", "", false, []string{"Quarterly report"}},
		{"from name", "from:carol", "", false, []string{"Lunch?"}},
		{"to includes cc", "to:bob@other.org", "", false, []string{"Re: Quarterly report", "Lunch?"}},
		{"subject phrase", `subject:"quarterly report"`, "", false, []string{"Re: Quarterly report", "Quarterly report"}},
		{"unread", "is:unread", "", false, []string{"Quarterly report"}},
		{"read", "is:read", "", false, []string{"Logo", "Re: Quarterly report", "Lunch?"}},
		{"attachment", "has:attachment", "", false, []string{"Logo", "Quarterly report"}},
		{"after date (inclusive, UTC)", "after:2026/04/02", "", false, []string{"Logo", "Re: Quarterly report", "Lunch?"}},
		{"before epoch", "before:1775120401", "", false, []string{"Lunch?", "Quarterly report"}},
		{"free text in body", "tacos", "", false, []string{"Lunch?"}},
		{"free text phrase", `"numbers are up"`, "", false, []string{"Quarterly report"}},
		{"folder inbox", "", "INBOX", false, []string{"Lunch?", "Quarterly report"}},
		{"folder sent", "", "SENT", false, []string{"Re: Quarterly report"}},
		{"folder junk", "", "SPAM", false, []string{"Sale"}},
		{"archive pseudo-folder", "", google.ArchiveFolderID, false, []string{"Logo"}},
		// Hostile values stay values: no operator, OR, negation or group.
		{"OR is a word", "from:carol OR from:bob", "", false, nil},
		{"negation is a word", `"-tacos"`, "", false, []string{"Lunch?"}},
		{"operator inside a value", `subject:"x in:spam"`, "", false, nil},
		{"group inside a value", `from:"(bob OR carol)"`, "", false, nil},
		{"quote injection", `from:bob"OR"carol`, "", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := email.ParseQuery(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			page, err := e.c.ListMessages(ctx, e.acct, email.ListRequest{Query: q, FolderID: tc.folder, Limit: 50, IncludeTrashAndJunk: tc.trash})
			if err != nil {
				t.Fatal(err)
			}
			if got := subjects(page.Records); !slices.Equal(got, tc.want) {
				t.Fatalf("q=%q: got %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

func TestGmailQuery(t *testing.T) {
	t.Parallel()
	unread, read := true, false
	for _, tc := range []struct {
		q    string
		want string
	}{
		{"", ""},
		{"from:ann@example.com to:bob", `from:"ann@example.com" to:"bob"`},
		{`subject:"quarterly report" is:unread has:attachment`, `subject:"quarterly report" is:unread has:attachment`},
		{"is:read", "is:read"},
		{"after:2024/01/31 before:2024-03-01", "after:1706659200 before:1709251200"},
		{"after:1700000000", "after:1700000000"},
		{"hello world", `"hello" "world"`},
		{`"a phrase"`, `"a phrase"`},
		{"OR -x (y) {z}", `"OR" "-x" "(y)" "{z}"`},
		{`from:"a\"b"`, `from:"a\ b"`},
		{"label:secret in:spam", `"label:secret" "in:spam"`},
	} {
		q, err := email.ParseQuery(tc.q)
		if err != nil {
			// the Aurinko parser refuses it: nothing reaches Gmail
			continue
		}
		if got := google.GmailQuery(q); got != tc.want {
			t.Errorf("GmailQuery(%q) = %s, want %s", tc.q, got, tc.want)
		}
	}
	got := google.GmailQuery(email.Query{Unread: &unread, Text: []string{"a\"b", "\x00", " "}})
	if got != `is:unread "a b"` {
		t.Errorf("hostile text = %s", got)
	}
	if got := google.GmailQuery(email.Query{Unread: &read}); got != "is:read" {
		t.Errorf("read = %s", got)
	}
}

func TestListMessages_paging(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	var msgs []googletest.MailMessage
	for i := range 7 {
		msgs = append(msgs, googletest.MailMessage{From: "bob@other.org", To: []string{alice.Email}, Subject: "m" + string(rune('0'+i)),
			Text: "x", Date: day0.Add(time.Duration(i) * time.Hour)})
	}
	e.seed(t, msgs...)
	ctx := context.Background()
	var got []string
	req := email.ListRequest{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		page, err := e.c.ListMessages(ctx, e.acct, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) > 3 {
			t.Fatalf("page of %d", len(page.Records))
		}
		for _, m := range page.Records {
			if m.Body != "" || !slices.Equal(slices.Sorted(slices.Values(m.Omitted)), []string{"body", "internetHeaders"}) || m.Attachments != nil || m.InternetHeaders != nil {
				t.Fatalf("list without bodyType: %+v", m)
			}
		}
		got = append(got, subjects(page.Records)...)
		if page.NextPage == "" {
			break
		}
		req = email.ListRequest{Page: page.NextPage, Limit: 3}
	}
	if want := []string{"m6", "m5", "m4", "m3", "m2", "m1", "m0"}; !slices.Equal(got, want) {
		t.Fatalf("pages = %q", got)
	}
	if _, err := e.c.ListMessages(ctx, e.acct, email.ListRequest{Page: "!!", Limit: 3}); !errors.Is(err, email.ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestGetMessage(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	ids := e.seed(t, mailbox()...)
	ctx := context.Background()

	m, err := e.c.GetMessage(ctx, e.acct, ids[0], email.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "<p>Numbers are <b>up</b>.</p>" || m.Subject != "Quarterly report" || !m.HasAttachments ||
		m.From == nil || *m.From != (email.Address{Name: "Bob Other", Address: "bob@other.org"}) ||
		!slices.Equal(m.To, []email.Address{{Name: "Alice Example", Address: "alice@example.com"}}) ||
		!m.ReceivedAt.Equal(day0) || !m.SentAt.Equal(day0) || m.InternetMessageID != "<"+ids[0]+"@mail.gmail.com>" ||
		m.FolderID != "INBOX" || !slices.Equal(m.SysLabels, []email.SysLabel{email.LabelInbox, email.LabelUnread}) ||
		m.BodySnippet != "Numbers are up. See attached." || len(m.InternetHeaders) == 0 || m.ThreadID != ids[0] {
		t.Fatalf("html message = %+v", m)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "q1.pdf" || m.Attachments[0].MimeType != "application/pdf" ||
		m.Attachments[0].Size != int64(len("%PDF-1.4 fake")) || m.Attachments[0].Inline || m.Attachments[0].Content != nil {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	text, err := e.c.GetMessage(ctx, e.acct, ids[0], email.GetOptions{BodyType: email.BodyText})
	if err != nil || text.Body != "Numbers are up.\r\nSee attached." {
		t.Fatalf("text body = %q, %v", text.Body, err)
	}
	// A text-only message read as HTML, an HTML-only one read as text.
	if m, _ := e.c.GetMessage(ctx, e.acct, ids[1], email.GetOptions{}); m.Body != "<pre>Tacos at noon?</pre>" {
		t.Fatalf("text as html = %q", m.Body)
	}
	if m, _ := e.c.GetMessage(ctx, e.acct, ids[2], email.GetOptions{BodyType: email.BodyText}); m.Body != "Great & thanks" || m.FolderID != "SENT" {
		t.Fatalf("html as text = %q (folder %s)", m.Body, m.FolderID)
	}
	logo, err := e.c.GetMessage(ctx, e.acct, ids[4], email.GetOptions{LoadInlines: true})
	if err != nil || logo.HasAttachments || len(logo.Attachments) != 1 || !logo.Attachments[0].Inline ||
		logo.Attachments[0].ContentID != "logo1" || string(logo.Attachments[0].Content) != "\x89PNG..." ||
		!slices.Equal(logo.Keywords, []string{"Projects/Acme"}) || logo.FolderID != google.ArchiveFolderID ||
		!slices.Equal(logo.SysLabels, []email.SysLabel{email.LabelFlagged}) {
		t.Fatalf("inline = %+v, %v", logo, err)
	}

	for _, id := range []string{"ffff0000", "deadbeef00"} {
		if _, err := e.c.GetMessage(ctx, e.acct, id, email.GetOptions{}); !errors.Is(err, email.ErrNotFound) {
			t.Fatalf("unknown id %s: %v", id, err)
		}
	}
}

func TestRawMessageAndAttachment(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	ids := e.seed(t, mailbox()...)
	ctx := context.Background()
	rc, err := e.c.RawMessage(ctx, e.acct, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	stored, _ := e.g.Message(alice.Email, ids[0])
	if string(raw) != string(stored.Raw) || !strings.Contains(string(raw), "Subject: Quarterly report") {
		t.Fatalf("raw differs from the stored message")
	}
	m, _ := e.c.GetMessage(ctx, e.acct, ids[0], email.GetOptions{})
	a, err := e.c.GetAttachment(ctx, e.acct, ids[0], m.Attachments[0].ID)
	if err != nil || string(a.Content) != "%PDF-1.4 fake" || a.Name != "q1.pdf" || a.Size != 13 {
		t.Fatalf("attachment = %+v, %v", a, err)
	}
	for _, tc := range []struct{ msg, att string }{{ids[0], "9"}, {ids[0], "0"}, {"abcdef12", "1"}} {
		if _, err := e.c.GetAttachment(ctx, e.acct, tc.msg, tc.att); !errors.Is(err, email.ErrNotFound) {
			t.Fatalf("attachment %s/%s: %v", tc.msg, tc.att, err)
		}
	}
	if _, err := e.c.RawMessage(ctx, e.acct, "abcdef12"); !errors.Is(err, email.ErrNotFound) {
		t.Fatalf("raw of unknown: %v", err)
	}
}

func TestSendMessage(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	ids := e.seed(t, mailbox()...)
	ctx := context.Background()
	orig, _ := e.c.GetMessage(ctx, e.acct, ids[0], email.GetOptions{})
	res, err := e.c.SendMessage(ctx, e.acct, email.OutgoingMessage{
		From:    &email.Address{Name: "Alice E.", Address: "alice@example.com"},
		Subject: "Re: Quarterly report — ünïcode", Body: "<p>Thanks!</p>",
		To: []email.Address{{Name: "Bob", Address: "bob@other.org"}}, Bcc: []email.Address{{Address: "carol@gmail.com"}},
		InReplyTo: orig.InternetMessageID, References: orig.InternetMessageID,
		XHeaders:    []email.Header{{Name: "X-Tracking", Value: "42"}},
		Attachments: []email.OutgoingAttachment{{Name: "notes.txt", MimeType: "text/plain", Content: []byte("hello")}},
		Keywords:    []string{"Follow up"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID == "" || res.ThreadID != orig.ThreadID {
		t.Fatalf("send result = %+v (thread of the original %s)", res, orig.ThreadID)
	}
	sent, err := e.c.GetMessage(ctx, e.acct, res.ID, email.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Subject != "Re: Quarterly report — ünïcode" || sent.Body != "<p>Thanks!</p>" || sent.FolderID != "SENT" ||
		*sent.From != (email.Address{Name: "Alice E.", Address: "alice@example.com"}) ||
		!slices.Equal(sent.Bcc, []email.Address{{Address: "carol@gmail.com"}}) || sent.InReplyTo != orig.InternetMessageID ||
		len(sent.Attachments) != 1 || sent.Attachments[0].Name != "notes.txt" || !slices.Equal(sent.Keywords, []string{"Follow up"}) {
		t.Fatalf("sent = %+v", sent)
	}
	// carol, a user of the fake, received it without the Bcc header.
	stored, ok := e.g.Message("carol@gmail.com", res.ID)
	if !ok || strings.Contains(string(stored.Raw), "Bcc:") || !slices.Equal(stored.LabelIDs, []string{"INBOX", "UNREAD"}) {
		t.Fatalf("carol's copy = %v %q", ok, stored.LabelIDs)
	}

	for name, bad := range map[string]email.OutgoingMessage{
		"no recipient":       {Subject: "x", Body: "y"},
		"bad address":        {To: []email.Address{{Address: "bob@other.org>, eve@evil.example"}}},
		"non-X header":       {To: []email.Address{{Address: "bob@other.org"}}, XHeaders: []email.Header{{Name: "Bcc", Value: "eve@evil.example"}}},
		"x header injection": {To: []email.Address{{Address: "bob@other.org"}}, XHeaders: []email.Header{{Name: "X-A: b\r\nBcc", Value: "v"}}},
		"attachment name":    {To: []email.Address{{Address: "bob@other.org"}}, Attachments: []email.OutgoingAttachment{{Name: "a\r\nb"}}},
		"attachment type":    {To: []email.Address{{Address: "bob@other.org"}}, Attachments: []email.OutgoingAttachment{{Name: "a", MimeType: "text/plain; x=\"\r\n"}}},
	} {
		if _, err := e.c.SendMessage(ctx, e.acct, bad); !errors.Is(err, email.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A send the provider refuses is not reported as sent.
	e.g.RateLimitNext(3 * time.Second)
	if res, err := e.c.SendMessage(ctx, e.acct, email.OutgoingMessage{To: []email.Address{{Address: "bob@other.org"}}, Body: "x"}); err == nil || res.ID != "" {
		t.Fatalf("rate-limited send = %+v, %v", res, err)
	}
}

func TestBuildMIME_textAndInline(t *testing.T) {
	t.Parallel()
	raw, err := google.BuildMIME("alice@example.com", email.OutgoingMessage{
		From: &email.Address{Name: "Mallory", Address: "mallory@evil.example"}, BodyType: email.BodyText, Body: "line1\nline2",
		To: []email.Address{{Address: "bob@other.org"}},
	}, day0)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if !strings.Contains(s, "From: <alice@example.com>\r\n") || strings.Contains(s, "mallory") ||
		!strings.Contains(s, "Content-Type: text/plain") || !strings.Contains(s, "line1\r\nline2") ||
		!strings.Contains(s, "Date: Wed, 01 Apr 2026 09:00:00 +0000") {
		t.Fatalf("mime = %s", s)
	}
	// A line break in the subject is encoded, never a new header.
	raw, err = google.BuildMIME("alice@example.com", email.OutgoingMessage{Subject: "x\r\nBcc: eve@evil.example", To: []email.Address{{Address: "bob@other.org"}}}, day0)
	if err != nil || strings.Contains(string(raw), "\r\nBcc:") {
		t.Fatalf("subject injection: %v\n%s", err, raw)
	}
	raw, err = google.BuildMIME("alice@example.com", email.OutgoingMessage{Body: `<img src="cid:c1">`, To: []email.Address{{Address: "bob@other.org"}},
		Attachments: []email.OutgoingAttachment{{Name: "i.png", MimeType: "image/png", ContentID: "c1", Content: []byte("png")},
			{Name: "f.bin", Content: []byte("bin")}}}, day0)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(raw); !strings.Contains(s, "multipart/mixed") || !strings.Contains(s, "multipart/related") ||
		!strings.Contains(s, "Content-Id: <c1>") || !strings.Contains(s, `Content-Disposition: inline; filename=i.png`) {
		t.Fatalf("mime = %s", s)
	}
}

func TestUpdateAndTrash(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	ids := e.seed(t, mailbox()...)
	ctx := context.Background()
	yes, no := true, false
	kw := []string{"Projects/Acme", "Urgent"}
	if err := e.c.UpdateMessage(ctx, e.acct, ids[0], email.StatusUpdate{Unread: &no, Archived: &yes, Keywords: &kw}); err != nil {
		t.Fatal(err)
	}
	m, _ := e.g.Message(alice.Email, ids[0])
	if slices.Contains(m.LabelIDs, "UNREAD") || slices.Contains(m.LabelIDs, "INBOX") || len(m.LabelIDs) != 2 {
		t.Fatalf("labels after update = %q", m.LabelIDs)
	}
	got, _ := e.c.GetMessage(ctx, e.acct, ids[0], email.GetOptions{})
	if !slices.Equal(slices.Sorted(slices.Values(got.Keywords)), kw) || got.FolderID != google.ArchiveFolderID || len(got.SysLabels) != 0 {
		t.Fatalf("after update = %+v", got)
	}
	empty := []string{}
	if err := e.c.UpdateMessage(ctx, e.acct, ids[0], email.StatusUpdate{Unread: &yes, Archived: &no, Keywords: &empty}); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.g.Message(alice.Email, ids[0]); !slices.Equal(m.LabelIDs, []string{"UNREAD", "INBOX"}) {
		t.Fatalf("labels after undo = %q", m.LabelIDs)
	}
	for _, upd := range []email.StatusUpdate{{Unread: &yes}, {}} {
		if err := e.c.UpdateMessage(ctx, e.acct, "abcdef12", upd); !errors.Is(err, email.ErrNotFound) {
			t.Fatalf("update unknown: %v", err)
		}
	}

	if err := e.c.TrashMessage(ctx, e.acct, ids[1]); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.g.Message(alice.Email, ids[1]); !slices.Equal(m.LabelIDs, []string{"TRASH"}) {
		t.Fatalf("trashed labels = %q", m.LabelIDs)
	}
	if err := e.c.TrashMessage(ctx, e.acct, "abcdef12"); !errors.Is(err, email.ErrNotFound) {
		t.Fatalf("trash unknown: %v", err)
	}
}

func TestFolders(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	e.seed(t, mailbox()...)
	ctx := context.Background()
	if _, err := e.g.AddLabel(alice.Email, "Projects"); err != nil {
		t.Fatal(err)
	}
	page, err := e.c.ListFolders(ctx, e.acct, "")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]email.Folder{}
	var names []string
	for _, f := range page.Records {
		byID[f.ID] = f
		names = append(names, f.Name)
	}
	want := []string{"Inbox", "Sent", "Drafts", "Trash", "Spam", "Starred", "Important", "Archive", "Projects", "Acme"}
	if !slices.Equal(names, want) || page.NextPage != "" {
		t.Fatalf("folders = %q", names)
	}
	if f := byID["SPAM"]; f.SysLabel != email.LabelJunk || !f.IsFolder {
		t.Fatalf("spam = %+v", f)
	}
	acme := page.Records[len(page.Records)-1]
	if acme.FullName != "Projects/Acme" || acme.ParentID != byID[page.Records[len(page.Records)-2].ID].ID || acme.IsFolder || !acme.IsLabel {
		t.Fatalf("nested label = %+v", acme)
	}
	wk, err := e.c.WellKnownFolders(ctx, e.acct)
	if err != nil || wk != (email.WellKnownFolders{Archive: "ARCHIVE", Sent: "SENT", Inbox: "INBOX", Drafts: "DRAFT", Trash: "TRASH", Junk: "SPAM"}) {
		t.Fatalf("well-known = %+v %v", wk, err)
	}
	// Messages of a label folder.
	lp, err := e.c.ListMessages(ctx, e.acct, email.ListRequest{FolderID: acme.ID, Limit: 10})
	if err != nil || !slices.Equal(subjects(lp.Records), []string{"Logo"}) {
		t.Fatalf("label folder = %q %v", subjects(lp.Records), err)
	}
}

// drain reads a delta round to its end.
func drain(t *testing.T, e *mailEnv, cursor string, limit int) (updated []string, deleted []string, next string, pages int) {
	t.Helper()
	for {
		pages++
		if pages > 50 {
			t.Fatal("too many pages")
		}
		p, err := e.c.DeltaChanges(context.Background(), e.acct, email.DeltaRequest{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		updated = append(updated, subjects(p.Updated)...)
		for _, d := range p.Deleted {
			deleted = append(deleted, d.ID)
		}
		if p.NextPage == "" {
			if p.NextDelta == "" {
				t.Fatal("last page without NextDelta")
			}
			return updated, deleted, p.NextDelta, pages
		}
		if p.NextDelta != "" {
			t.Fatal("NextDelta before the last page")
		}
		cursor = p.NextPage
	}
}

func TestDelta(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	ids := e.seed(t, mailbox()...)
	ctx := context.Background()
	start, err := e.c.DeltaStart(ctx, e.acct, email.SyncOptions{Since: day0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	up, del, next, pages := drain(t, e, start, 2)
	if !slices.Equal(up, []string{"Logo", "Re: Quarterly report", "Lunch?"}) || len(del) != 0 || pages != 2 {
		t.Fatalf("first round = %q %q in %d pages", up, del, pages)
	}
	// Nothing changed: an empty round.
	up, del, next, _ = drain(t, e, next, 2)
	if len(up)+len(del) != 0 {
		t.Fatalf("quiet round = %q %q", up, del)
	}

	// Creates, label changes, trash and a permanent delete.
	newIDs := e.seed(t, googletest.MailMessage{From: "eve@else.org", To: []string{alice.Email}, Subject: "New 1", Text: "a"},
		googletest.MailMessage{From: "eve@else.org", To: []string{alice.Email}, Subject: "New 2", Text: "b"})
	yes := true
	if err := e.c.UpdateMessage(ctx, e.acct, ids[1], email.StatusUpdate{Archived: &yes}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.TrashMessage(ctx, e.acct, ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := e.g.DeleteMessage(alice.Email, ids[4]); err != nil {
		t.Fatal(err)
	}
	// Added then deleted before the sync: reported as deleted only.
	if err := e.g.DeleteMessage(alice.Email, newIDs[1]); err != nil {
		t.Fatal(err)
	}
	up, del, next, pages = drain(t, e, next, 2)
	slices.Sort(del)
	del = slices.Compact(del) // a message added on one page and deleted on the next is reported twice
	wantDel := []string{ids[2], ids[4], newIDs[1]}
	slices.Sort(wantDel)
	if !slices.Equal(up, []string{"New 1", "Lunch?"}) || !slices.Equal(del, wantDel) || pages < 2 {
		t.Fatalf("changes = %q deleted %q in %d pages", up, del, pages)
	}
	if up, del, _, _ := drain(t, e, next, 2); len(up)+len(del) != 0 {
		t.Fatalf("after the changes = %q %q", up, del)
	}

	// Expired history: the cursor is refused as expired.
	e.seed(t, googletest.MailMessage{Subject: "later", Text: "c"})
	e.g.ExpireHistory(alice.Email)
	_, err = e.c.DeltaChanges(ctx, e.acct, email.DeltaRequest{Cursor: next})
	var ee *email.Error
	if !errors.Is(err, email.ErrCursorExpired) || !errors.As(err, &ee) || ee.Status != 404 {
		t.Fatalf("expired history: %v", err)
	}
	if _, err := e.c.DeltaChanges(ctx, e.acct, email.DeltaRequest{Cursor: "e30"}); !errors.Is(err, email.ErrInvalid) {
		t.Fatalf("empty cursor: %v", err)
	}
}

func TestMailErrors(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	ids := e.seed(t, mailbox()...)
	ctx := context.Background()
	e.g.RateLimitNext(90 * time.Second)
	_, err := e.c.ListMessages(ctx, e.acct, email.ListRequest{Limit: 5})
	var ee *email.Error
	if !errors.Is(err, email.ErrRateLimited) || !errors.As(err, &ee) || ee.RetryAfter != 90*time.Second || ee.Status != 429 {
		t.Fatalf("429: %#v", err)
	}
	e.g.RateLimitNext(time.Second)
	if _, err := e.c.GetMessage(ctx, e.acct, ids[0], email.GetOptions{}); !errors.Is(err, email.ErrRateLimited) {
		t.Fatalf("429 on get: %v", err)
	}
	e.g.RateLimitNext(time.Second)
	if _, err := e.c.DeltaStart(ctx, e.acct, email.SyncOptions{}); !errors.Is(err, email.ErrRateLimited) {
		t.Fatalf("429 on delta start: %v", err)
	}
	if _, err := e.c.ListMessages(ctx, e.acct, email.ListRequest{FolderID: "Label_999", Limit: 5}); err != nil {
		// The fake (like Gmail) lists nothing for an unknown label id.
		t.Fatalf("unknown label: %v", err)
	}
}

func TestListMessages_listShape(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	e.seed(t, mailbox()...)
	page, err := e.c.ListMessages(context.Background(), e.acct, email.ListRequest{Limit: 10, BodyType: email.BodyHTML})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Records {
		want := []string{"internetHeaders"}
		if m.HasAttachments {
			want = []string{"attachments", "internetHeaders"}
		}
		if m.Body == "" || m.Attachments != nil || !slices.Equal(m.Omitted, want) {
			t.Fatalf("%s: body %q, attachments %v, omitted %q", m.Subject, m.Body, m.Attachments, m.Omitted)
		}
	}
}
