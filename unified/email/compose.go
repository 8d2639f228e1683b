package email

import (
	"slices"
	"strings"
)

// Draft is a draft message as the draft endpoints answer it (the Aurinko
// EmailDraftResponse): its id and, where the provider has one, a link that
// opens it in the provider's web client.
type Draft struct {
	// ID is the draft's id (Graph message id, Gmail draft id, IMAP
	// message id in the drafts folder). It is what the draft endpoints
	// take; an IMAP draft gets a new id on every update.
	ID      string `json:"id"`
	WebLink string `json:"webLink,omitempty"`
}

// ThreadRequest asks for one page of the messages of a conversation.
type ThreadRequest struct {
	// Page is the connector's cursor of the page to read (from
	// MessagePage.NextPage); "" for the first page.
	Page string
	// Limit is the most records to return, 1 to MaxLimit.
	Limit    int
	BodyType BodyType
}

// ReplyPrefix is put before the subject of a reply whose subject was not
// given, unless the subject already starts with it (case-insensitive).
const ReplyPrefix = "Re: "

// ReplySubject is the subject of a reply to a message with subject s.
func ReplySubject(s string) string {
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return s
	}
	return ReplyPrefix + s
}

// ReplyReferences is the References header of a reply to a message with
// the given Message-ID and References (RFC 5322 section 3.6.4): the
// parent's References (or, without them, its In-Reply-To) followed by the
// parent's Message-ID.
func ReplyReferences(parent Message) string {
	refs := strings.Fields(parent.References)
	if irt := strings.Fields(parent.InReplyTo); len(refs) == 0 && len(irt) > 0 {
		refs = irt[:1]
	}
	if id := strings.TrimSpace(parent.InternetMessageID); id != "" && !slices.Contains(refs, id) {
		refs = append(refs, id)
	}
	return strings.Join(refs, " ")
}

// ReplyRecipients returns the recipients of a reply to parent sent by the
// account me: the parent's Reply-To, or else its From; when the parent was
// sent by me, its To. With all (reply all) the parent's other To and Cc
// recipients are added (To to To, Cc to Cc). me and duplicates
// (case-insensitive) are left out; a reply to one's own message keeps me
// when there is no one else.
func ReplyRecipients(parent Message, me string, all bool) (to, cc []Address) {
	seen := map[string]bool{}
	add := func(list *[]Address, as []Address, keepMe bool) {
		for _, a := range as {
			k := strings.ToLower(strings.TrimSpace(a.Address))
			if k == "" || seen[k] || (!keepMe && strings.EqualFold(k, me)) {
				continue
			}
			seen[k] = true
			*list = append(*list, a)
		}
	}
	fromMe := parent.From != nil && strings.EqualFold(parent.From.Address, me)
	switch {
	case len(parent.ReplyTo) > 0 && !fromMe:
		add(&to, parent.ReplyTo, true)
	case fromMe:
		add(&to, parent.To, false)
	case parent.From != nil:
		add(&to, []Address{*parent.From}, true)
	}
	if all {
		add(&to, parent.To, false)
		add(&cc, parent.Cc, false)
	}
	if len(to)+len(cc) == 0 && parent.From != nil {
		add(&to, []Address{*parent.From}, true)
	}
	return to, cc
}
