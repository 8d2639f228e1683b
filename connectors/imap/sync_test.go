package imap_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko/connectors/imap"
	"github.com/aurinko-go/aurinko/unified/email"
)

func TestSendMessage_submitsAndCopiesToSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ann, bob := e.account("ann"), e.account("bob")
	res, err := e.c.SendMessage(ctx, ann, email.OutgoingMessage{
		From:        &email.Address{Name: "Ann A.", Address: "ann@example.test"},
		Subject:     "Plans für Freitag",
		Body:        "<p>See <b>attached</b>.</p>",
		To:          []email.Address{{Name: "Bob", Address: "bob@example.test"}},
		Cc:          []email.Address{{Address: "carol@elsewhere.test"}},
		Bcc:         []email.Address{{Address: "cy@example.test"}},
		InReplyTo:   "<lunch-1@example.test>",
		References:  "<a@example.test> <lunch-1@example.test>",
		XHeaders:    []email.Header{{Name: "X-Campaign", Value: "spring"}},
		Attachments: []email.OutgoingAttachment{{Name: "plan.txt", MimeType: "text/plain", Content: []byte("step 1\nstep 2\n")}},
		Keywords:    []string{"Plans"},
		ReturnIDs:   true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The SMTP peer got it, with every recipient in the envelope and no
	// Bcc header.
	out := e.srv.Outbox()
	if len(out) != 1 {
		t.Fatalf("outbox = %d", len(out))
	}
	sent := out[0]
	if sent.Login != "ann@example.test" || sent.From != "ann@example.test" ||
		!slices.Equal(sent.To, []string{"bob@example.test", "carol@elsewhere.test", "cy@example.test"}) {
		t.Fatalf("envelope = %+v", sent)
	}
	if strings.Contains(string(sent.Data), "Bcc:") || !strings.Contains(string(sent.Data), "X-Campaign: spring") {
		t.Fatalf("wire message:\n%s", sent.Data)
	}
	// The copy in Sent: read, with Bcc, keywords, and the returned id.
	if res.ID == "" {
		t.Fatal("no id returned")
	}
	m, err := e.c.GetMessage(ctx, ann, res.ID, email.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Normalize()
	if m.Subject != "Plans für Freitag" || m.From.Name != "Ann A." || len(m.Bcc) != 1 || !slices.Equal(m.SysLabels, []email.SysLabel{email.LabelSent}) ||
		!slices.Equal(m.Keywords, []string{"Plans"}) || !m.HasAttachments || m.Attachments[0].Name != "plan.txt" ||
		!strings.Contains(m.Body, "<b>attached</b>") || m.InReplyTo != "<lunch-1@example.test>" {
		t.Fatalf("sent copy = %+v", m)
	}
	// Delivered to bob, who can read the attachment.
	inbox := listAll(t, e.c, bob, email.ListRequest{})
	if len(inbox) != 1 || inbox[0].Subject != "Plans für Freitag" || len(inbox[0].Bcc) != 0 {
		t.Fatalf("bob's inbox = %+v", inbox)
	}
	// Lists leave attachments out ("attachments" in omitted); a read has them.
	if inbox[0].Attachments != nil || !slices.Contains(inbox[0].Omitted, "attachments") {
		t.Fatalf("listed attachments = %+v, omitted %v", inbox[0].Attachments, inbox[0].Omitted)
	}
	full, err := e.c.GetMessage(ctx, bob, inbox[0].ID, email.GetOptions{})
	if err != nil || len(full.Attachments) != 1 {
		t.Fatalf("bob's copy = %+v, %v", full, err)
	}
	a, err := e.c.GetAttachment(ctx, bob, inbox[0].ID, full.Attachments[0].ID)
	if err != nil || string(a.Content) != "step 1\nstep 2\n" {
		t.Fatalf("attachment = %q, %v", a.Content, err)
	}
	// A text body.
	if _, err := e.c.SendMessage(ctx, ann, email.OutgoingMessage{Subject: "plain", Body: "just text", BodyType: email.BodyText,
		To: []email.Address{{Address: "bob@example.test"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.GetMessage(ctx, bob, listAll(t, e.c, bob, email.ListRequest{})[0].ID, email.GetOptions{BodyType: email.BodyText})
	if err != nil || strings.TrimSpace(got.Body) != "just text" {
		t.Fatalf("text message = %q, %v", got.Body, err)
	}
}

func TestSendMessage_refusesBadInputAndReportsFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ann := e.account("ann")
	to := []email.Address{{Address: "bob@example.test"}}
	bad := []email.OutgoingMessage{
		{Subject: "no recipients"},
		{Subject: "bad address", To: []email.Address{{Address: "bob@example.test\r\nRCPT TO:<x@evil.test>"}}},
		{Subject: "bad name", To: []email.Address{{Name: "Bob\r\nBcc: x@evil.test", Address: "bob@example.test"}}},
		{Subject: "bad header", To: to, XHeaders: []email.Header{{Name: "Bcc", Value: "x@evil.test"}}},
		{Subject: "bad header name", To: to, XHeaders: []email.Header{{Name: "X-A: b\r\nBcc", Value: "x"}}},
		{Subject: "bad in-reply-to", To: to, InReplyTo: "x\r\nBcc: x@evil.test"},
		{Subject: "bad keyword", To: to, Keywords: []string{"two words"}},
	}
	for _, m := range bad {
		if _, err := e.c.SendMessage(ctx, ann, m); !isKind(err, email.ErrInvalid) {
			t.Errorf("%s: %v", m.Subject, err)
		}
	}
	// A subject with a line break cannot add a header.
	if _, err := e.c.SendMessage(ctx, ann, email.OutgoingMessage{Subject: "hi\r\nBcc: x@evil.test", To: to}); err != nil {
		t.Fatal(err)
	}
	out := e.srv.Outbox()
	if len(out) != 1 || strings.Contains(string(out[0].Data), "\r\nBcc:") || slices.Contains(out[0].To, "x@evil.test") {
		t.Fatalf("outbox = %+v", out)
	}
	// An SMTP server that is down: the send fails, nothing is recorded.
	down := newEnv(t, func(cfg *imap.Config) { cfg.SMTPAddr = "127.0.0.1:1" })
	if _, err := down.c.SendMessage(ctx, down.account("ann"), email.OutgoingMessage{Subject: "x", To: to}); !isKind(err, email.ErrUnavailable) {
		t.Fatalf("SMTP down = %v", err)
	}
	if n := len(listAll(t, down.c, down.account("ann"), email.ListRequest{})); n != 0 {
		t.Fatalf("a failed send left %d messages", n)
	}
}

// syncRound reads a whole round of changes page by page.
func syncRound(t *testing.T, c *imap.Connector, acct email.Account, cursor string, limit int) (updated []email.Message, deleted []email.DeletedMessage, next string, pages int) {
	t.Helper()
	for range 100 {
		p, err := c.DeltaChanges(context.Background(), acct, email.DeltaRequest{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatalf("DeltaChanges: %v", err)
		}
		pages++
		if len(p.Updated)+len(p.Deleted) > limit {
			t.Fatalf("page of %d records, limit %d", len(p.Updated)+len(p.Deleted), limit)
		}
		updated = append(updated, p.Updated...)
		deleted = append(deleted, p.Deleted...)
		if p.NextPage == "" {
			if p.NextDelta == "" {
				t.Fatal("last page without NextDelta")
			}
			return updated, deleted, p.NextDelta, pages
		}
		cursor = p.NextPage
	}
	t.Fatal("more than 100 pages")
	return
}

func TestDelta_seesCreatesUpdatesAndDeletesAcrossPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ann := e.account("ann")
	for i, s := range []string{"one", "two", "three", "four"} {
		e.seed(t, "ann", "INBOX", "bob@example.test", s, "body", day.Add(time.Duration(i)*time.Hour))
	}
	e.seed(t, "ann", "Archive", "bob@example.test", "archived", "body", day)
	e.seed(t, "ann", "Trash", "bob@example.test", "trashed", "body", day)
	cursor, err := e.c.DeltaStart(ctx, ann, email.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up, del, next, pages := syncRound(t, e.c, ann, cursor, 2)
	if got := subjects(up); !sameSet(got, []string{"one", "two", "three", "four", "archived"}) || len(del) != 0 || pages != 3 {
		t.Fatalf("first round: updated %q deleted %v in %d pages", got, del, pages)
	}
	byID := map[string]string{}
	for _, m := range up {
		byID[m.Subject] = m.ID
	}
	// Nothing changed: an empty round.
	up, del, next, _ = syncRound(t, e.c, ann, next, 2)
	if len(up)+len(del) != 0 {
		t.Fatalf("idle round: %q %v", subjects(up), del)
	}

	// Changes: a new message, a flag change, a keyword, a delete (trash
	// moves it out of the synced set) and an expunge by another client.
	e.seed(t, "ann", "INBOX", "cy@example.test", "five", "body", day.Add(5*time.Hour))
	f := false
	if err := e.c.UpdateMessage(ctx, ann, byID["two"], email.StatusUpdate{Unread: &f}); err != nil {
		t.Fatal(err)
	}
	kw := []string{"Later"}
	if err := e.c.UpdateMessage(ctx, ann, byID["archived"], email.StatusUpdate{Keywords: &kw}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.TrashMessage(ctx, ann, byID["three"]); err != nil {
		t.Fatal(err)
	}
	other := e.srv.Dial(t, e.srv.User("ann"))
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	four := uidOf(t, byID["four"])
	if err := other.Store(goimap.UIDSetNum(four), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}

	up, del, next, pages = syncRound(t, e.c, ann, next, 1)
	if got := subjects(up); !sameSet(got, []string{"five", "two", "archived"}) {
		t.Fatalf("updated = %q", got)
	}
	for _, m := range up {
		switch m.Subject {
		case "two":
			if slices.Contains(m.SysLabels, email.LabelUnread) {
				t.Fatal("two is still unread")
			}
		case "archived":
			if !slices.Equal(m.Keywords, kw) {
				t.Fatalf("keywords = %v", m.Keywords)
			}
		}
	}
	var gone []string
	for _, d := range del {
		gone = append(gone, d.ID)
	}
	if !sameSet(gone, []string{byID["three"], byID["four"]}) || pages != 5 {
		t.Fatalf("deleted = %v (want three and four) in %d pages", gone, pages)
	}
	// And quiet again.
	if up, del, _, _ = syncRound(t, e.c, ann, next, 10); len(up)+len(del) != 0 {
		t.Fatalf("idle round: %q %v", subjects(up), del)
	}
}

func TestDelta_sinceWindowAndNewFolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ann := e.account("ann")
	e.seed(t, "ann", "INBOX", "bob@example.test", "old", "body", day.AddDate(0, -2, 0))
	e.seed(t, "ann", "INBOX", "bob@example.test", "recent", "body", day)
	cursor, err := e.c.DeltaStart(ctx, ann, email.SyncOptions{Since: day.AddDate(0, 0, -7)})
	if err != nil {
		t.Fatal(err)
	}
	up, _, next, _ := syncRound(t, e.c, ann, cursor, 10)
	if got := subjects(up); !slices.Equal(got, []string{"recent"}) {
		t.Fatalf("first round = %q", got)
	}
	// A folder created later is synced whole; one deleted reports its
	// messages deleted.
	c := e.srv.Dial(t, e.srv.User("ann"))
	if err := c.Create("Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	e.seed(t, "ann", "Projects", "bob@example.test", "project", "body", day)
	up, del, next, _ := syncRound(t, e.c, ann, next, 10)
	if got := subjects(up); !slices.Equal(got, []string{"project"}) || len(del) != 0 {
		t.Fatalf("new folder round = %q %v", got, del)
	}
	if err := c.Delete("Projects").Wait(); err != nil {
		t.Fatal(err)
	}
	up, del, _, _ = syncRound(t, e.c, ann, next, 10)
	if len(up) != 0 || len(del) != 1 || del[0].FolderID != up0Folder(t, "Projects") {
		t.Fatalf("deleted folder round = %q %+v", subjects(up), del)
	}
}

func TestDelta_uidValidityChangeExpiresCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ann := e.account("ann")
	c := e.srv.Dial(t, e.srv.User("ann"))
	if err := c.Create("Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	e.seed(t, "ann", "Projects", "bob@example.test", "project", "body", day)
	cursor, err := e.c.DeltaStart(ctx, ann, email.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, next, _ := syncRound(t, e.c, ann, cursor, 10)
	before := selectValidity(t, e, "Projects")
	// Recreate the folder: a new UIDVALIDITY, the old UIDs mean nothing.
	if err := c.Delete("Projects").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	e.seed(t, "ann", "Projects", "bob@example.test", "project again", "body", day)
	if after := selectValidity(t, e, "Projects"); after == before {
		t.Fatalf("UIDVALIDITY did not change (%d)", after)
	}
	if _, err := e.c.DeltaChanges(ctx, ann, email.DeltaRequest{Cursor: next}); !isKind(err, email.ErrCursorExpired) {
		t.Fatalf("DeltaChanges after reset = %v, want ErrCursorExpired", err)
	}
	// A fresh sync works.
	cursor, err = e.c.DeltaStart(ctx, ann, email.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if up, _, _, _ := syncRound(t, e.c, ann, cursor, 10); !slices.Equal(subjects(up), []string{"project again"}) {
		t.Fatalf("new sync = %q", subjects(up))
	}
}

func selectValidity(t *testing.T, e *env, folder string) uint32 {
	t.Helper()
	c := e.srv.Dial(t, e.srv.User("ann"))
	d, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Logout().Wait()
	return d.UIDValidity
}

// uidOf returns the UID in a message id "<folder>.<uidvalidity>.<uid>".
func uidOf(t *testing.T, id string) goimap.UID {
	t.Helper()
	parts := strings.Split(id, ".")
	var n uint64
	for _, c := range parts[len(parts)-1] {
		n = n*10 + uint64(c-'0')
	}
	return goimap.UID(n)
}

func up0Folder(t *testing.T, name string) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
