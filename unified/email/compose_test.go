package email_test

import (
	"fmt"
	"testing"

	"github.com/aurinko-go/aurinko/unified/email"
)

func TestReplySubject_addsOnePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Lunch", "Re: Lunch"},
		{"Re: Lunch", "Re: Lunch"},
		{"RE: Lunch", "RE: Lunch"},
		{"re:Lunch", "re:Lunch"},
		{"", "Re: "},
		{"Fwd: Lunch", "Re: Fwd: Lunch"},
	}
	for _, tt := range tests {
		if got := email.ReplySubject(tt.in); got != tt.want {
			t.Errorf("ReplySubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReplyReferences_chainsTheParent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		parent email.Message
		want   string
	}{
		{email.Message{InternetMessageID: "<a@x>"}, "<a@x>"},
		{email.Message{InternetMessageID: "<b@x>", InReplyTo: "<a@x>"}, "<a@x> <b@x>"},
		{email.Message{InternetMessageID: "<c@x>", InReplyTo: "<b@x>", References: "<a@x>  <b@x>"}, "<a@x> <b@x> <c@x>"},
		{email.Message{InternetMessageID: "<b@x>", References: "<a@x> <b@x>"}, "<a@x> <b@x>"},
		{email.Message{InReplyTo: "   "}, ""},
		{email.Message{}, ""},
	}
	for _, tt := range tests {
		if got := email.ReplyReferences(tt.parent); got != tt.want {
			t.Errorf("ReplyReferences(%+v) = %q, want %q", tt.parent, got, tt.want)
		}
	}
}

func TestReplyRecipients_replyAndReplyAll(t *testing.T) {
	t.Parallel()
	me := "me@x.test"
	bob, carol, dan := email.Address{Name: "Bob", Address: "bob@x.test"}, email.Address{Address: "carol@x.test"}, email.Address{Address: "dan@x.test"}
	mine := email.Address{Name: "Me", Address: "ME@x.test"}
	tests := []struct {
		name   string
		parent email.Message
		all    bool
		to, cc string
	}{
		{"reply to the sender", email.Message{From: &bob, To: []email.Address{mine, carol}, Cc: []email.Address{dan}}, false, "[{Bob bob@x.test}]", "[]"},
		{"reply all", email.Message{From: &bob, To: []email.Address{mine, carol}, Cc: []email.Address{dan, mine}}, true,
			"[{Bob bob@x.test} { carol@x.test}]", "[{ dan@x.test}]"},
		{"reply-to wins", email.Message{From: &bob, ReplyTo: []email.Address{carol}}, false, "[{ carol@x.test}]", "[]"},
		{"own message goes to its recipients", email.Message{From: &mine, To: []email.Address{bob}, Cc: []email.Address{carol}}, false,
			"[{Bob bob@x.test}]", "[]"},
		{"own message, reply all", email.Message{From: &mine, To: []email.Address{bob}, Cc: []email.Address{carol}}, true,
			"[{Bob bob@x.test}]", "[{ carol@x.test}]"},
		{"note to self", email.Message{From: &mine, To: []email.Address{mine}}, true, "[{Me ME@x.test}]", "[]"},
		{"duplicates once", email.Message{From: &bob, To: []email.Address{bob, {Address: "BOB@x.test"}}, Cc: []email.Address{bob}}, true,
			"[{Bob bob@x.test}]", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			to, cc := email.ReplyRecipients(tt.parent, me, tt.all)
			if got := fmt.Sprint(to); got != tt.to {
				t.Errorf("to = %s, want %s", got, tt.to)
			}
			if got := fmt.Sprint(cc); got != tt.cc {
				t.Errorf("cc = %s, want %s", got, tt.cc)
			}
		})
	}
}

func TestBodyAs_sameConversionsForEveryProvider(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		bt              email.BodyType
		text, html, out string
	}{
		{"html as is", email.BodyHTML, "x", "<p>x</p>", "<p>x</p>"},
		{"text as html", email.BodyHTML, "a < b\r\nc\r\n", "", "<pre>a &lt; b\r\nc</pre>"},
		{"text as is, trailing breaks dropped", email.BodyText, "a\nb\n\n", "<p>x</p>", "a\nb"},
		{"html as text", email.BodyText, "", "<html><head><title>t</title><style>p{}</style></head><body><p>Hello <b>you</b>,</p>" +
			"<div>line&nbsp;two<br/>three</div><!-- c --><script>x()</script><ul><li>one</li><li>two</li></ul></body></html>",
			"Hello you,\nline two\nthree\none\ntwo"},
		{"nothing", email.BodyNone, "a", "<p>b</p>", ""},
		{"empty", email.BodyHTML, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := email.BodyAs(tt.bt, tt.text, tt.html); got != tt.out {
				t.Errorf("BodyAs = %q, want %q", got, tt.out)
			}
		})
	}
}
