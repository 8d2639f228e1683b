package dovecottest_test

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/aurinko-go/aurinko/connectors/imap/dovecottest"
)

func TestStart_appendsAndLists(t *testing.T) {
	t.Parallel()
	s := dovecottest.Start(t)
	ann := s.User("ann")
	uid := s.Append(t, ann, "INBOX", []byte("From: bob@example.test\r\nSubject: hi\r\n\r\nhello\r\n"), []imap.Flag{imap.FlagSeen}, time.Now())
	if uid == 0 {
		t.Fatal("no APPENDUID")
	}
	c := s.Dial(t, ann)
	boxes, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 6 {
		t.Fatalf("folders = %d, want 6", len(boxes))
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Fatalf("select = %+v, %v", sel, err)
	}
}
