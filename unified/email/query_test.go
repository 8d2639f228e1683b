package email_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/unified/email"
)

func TestParseQuery_readsTheAurinkoSyntax(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in   string
		want email.Query
	}{
		{"", email.Query{}},
		{"   ", email.Query{}},
		{"from:ann@example.com", email.Query{From: []string{"ann@example.com"}}},
		{"FROM:ann to:bob to:carol", email.Query{From: []string{"ann"}, To: []string{"bob", "carol"}}},
		{`subject:"quarterly report" budget`, email.Query{Subject: []string{"quarterly report"}, Text: []string{"budget"}}},
		{"after:01/01/2020 before:2020-02-01", email.Query{After: day(2020, 1, 1), Before: day(2020, 2, 1)}},
		{"after:2020/01/31", email.Query{After: day(2020, 1, 31)}},
		{"after:1577836800", email.Query{After: day(2020, 1, 1)}},
		{"is:unread has:attachment", email.Query{Unread: &yes, HasAttachment: true}},
		{"is:read", email.Query{Unread: &no}},
		{`re: "exact phrase" word`, email.Query{Text: []string{"re:", "exact phrase", "word"}}},
		{`""`, email.Query{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := email.ParseQuery(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want.String() {
				t.Fatalf("ParseQuery(%q) = %q, want %q", tt.in, got.String(), tt.want.String())
			}
		})
	}
}

func TestParseQuery_rejectsHostileInput(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unterminated quote": `subject:"open`,
		"empty operator":     "from:",
		"empty quoted value": `from:""`,
		"bad date":           "after:yesterday",
		"impossible date":    "after:2020/02/31",
		"year out of range":  "after:0001/01/01",
		"after twice":        "after:2020/01/01 after:2020/01/02",
		"inverted range":     "after:2020/02/01 before:2020/01/01",
		"unknown is":         "is:starred",
		"read and unread":    "is:read is:unread",
		"unknown has":        "has:drive",
		"control character":  "from:a\x00b",
		"newline":            "from:a\nsubject:b",
		"invalid utf-8":      "from:\xff\xfe",
		"too long":           strings.Repeat("a", email.MaxQueryLength+1),
		"too many terms":     strings.Repeat("a ", email.MaxQueryTerms+1),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if q, err := email.ParseQuery(in); !errors.Is(err, email.ErrBadQuery) {
				t.Fatalf("ParseQuery(%q) = %+v, %v; want ErrBadQuery", in, q, err)
			}
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"from:a to:b", `subject:"x y" z`, "after:2020/01/01 before:1/2/2021", "is:unread has:attachment", `"`, "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := email.ParseQuery(s)
		if err != nil {
			if !errors.Is(err, email.ErrBadQuery) {
				t.Fatalf("error does not wrap ErrBadQuery: %v", err)
			}
			return
		}
		// The canonical form parses back to itself.
		again, err := email.ParseQuery(q.String())
		if err != nil {
			t.Fatalf("ParseQuery(%q).String() = %q does not parse: %v", s, q.String(), err)
		}
		if again.String() != q.String() {
			t.Fatalf("round trip of %q: %q != %q", s, again.String(), q.String())
		}
	})
}

func TestValidID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"AAMkAGI2TG93AAA=": true, "18c2f3a9b0d1e2f3": true, "a-b_c.d+e": true,
		"": false, ".": false, "..": false, "a/b": false, "a%2Fb": false, "a b": false, "a?b": false,
		strings.Repeat("a", 1025): false,
	} {
		if got := email.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestMessageNormalize(t *testing.T) {
	t.Parallel()
	m := email.Message{
		ReceivedAt: time.Date(2024, 1, 2, 3, 4, 5, 678, time.FixedZone("x", 3600)),
		SysLabels:  []email.SysLabel{email.LabelUnread, email.LabelInbox, email.LabelUnread},
		Keywords:   []string{"b", "a", "b"},
		To:         []email.Address{},
		From:       &email.Address{},
	}
	m.Normalize()
	if m.ReceivedAt.String() != "2024-01-02 02:04:05 +0000 UTC" || m.SysLabels[0] != email.LabelInbox || len(m.SysLabels) != 2 ||
		strings.Join(m.Keywords, ",") != "a,b" || m.To != nil || m.From != nil {
		t.Fatalf("Normalize = %+v", m)
	}
}
