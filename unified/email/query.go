package email

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the query syntax.
const (
	// MaxQueryLength is the longest q accepted, in bytes.
	MaxQueryLength = 1024
	// MaxQueryTerms is the most terms (operators and words) in one q.
	MaxQueryTerms = 32
)

// ErrBadQuery is wrapped by every error of ParseQuery.
var ErrBadQuery = errors.New("email: malformed query")

// Query is a parsed Aurinko search query (the q parameter):
//
//	from:ann@example.com to:bob subject:"quarterly report"
//	after:2024/01/31 before:2024-03-01 is:unread has:attachment free text
//
// Terms are combined with AND. Operators are case-insensitive; a value may
// be quoted to hold spaces. Dates are yyyy/mm/dd, yyyy-mm-dd, mm/dd/yyyy
// (midnight UTC) or Unix seconds; after: is inclusive, before: exclusive.
// is: takes unread or read, has: takes attachment. A word with a colon
// that is not one of these operators ("re:") is free text. Each connector
// maps the query to its provider's native search.
type Query struct {
	From    []string
	To      []string
	Subject []string
	// After and Before bound the received time; zero when absent.
	After, Before time.Time
	// Unread is true for is:unread, false for is:read, nil when absent.
	Unread *bool
	// HasAttachment is has:attachment.
	HasAttachment bool
	// Text are the free-text terms; a quoted phrase is one term.
	Text []string
}

// IsZero reports whether the query matches everything.
func (q Query) IsZero() bool {
	return len(q.From) == 0 && len(q.To) == 0 && len(q.Subject) == 0 && q.After.IsZero() &&
		q.Before.IsZero() && q.Unread == nil && !q.HasAttachment && len(q.Text) == 0
}

// String returns the query in canonical Aurinko syntax; ParseQuery of it
// gives back an equal Query.
func (q Query) String() string {
	var parts []string
	add := func(op string, vals []string) {
		for _, v := range vals {
			parts = append(parts, op+quote(v))
		}
	}
	add("from:", q.From)
	add("to:", q.To)
	add("subject:", q.Subject)
	if !q.After.IsZero() {
		parts = append(parts, "after:"+strconv.FormatInt(q.After.Unix(), 10))
	}
	if !q.Before.IsZero() {
		parts = append(parts, "before:"+strconv.FormatInt(q.Before.Unix(), 10))
	}
	if q.Unread != nil {
		if *q.Unread {
			parts = append(parts, "is:unread")
		} else {
			parts = append(parts, "is:read")
		}
	}
	if q.HasAttachment {
		parts = append(parts, "has:attachment")
	}
	add("", q.Text)
	return strings.Join(parts, " ")
}

func quote(v string) string {
	if strings.ContainsFunc(v, unicode.IsSpace) || strings.Contains(v, ":") {
		return `"` + v + `"`
	}
	return v
}

// ParseQuery parses the q parameter. An empty q is the zero Query. Errors
// wrap ErrBadQuery and say what is wrong without echoing more than a short
// piece of the input.
func ParseQuery(s string) (Query, error) {
	var q Query
	if len(s) > MaxQueryLength {
		return q, fmt.Errorf("%w: longer than %d bytes", ErrBadQuery, MaxQueryLength)
	}
	if !utf8.ValidString(s) {
		return q, fmt.Errorf("%w: not UTF-8", ErrBadQuery)
	}
	for _, r := range s {
		if r != ' ' && r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return q, fmt.Errorf("%w: control character", ErrBadQuery)
		}
	}
	terms, err := tokenize(s)
	if err != nil {
		return q, err
	}
	if len(terms) > MaxQueryTerms {
		return q, fmt.Errorf("%w: more than %d terms", ErrBadQuery, MaxQueryTerms)
	}
	for _, t := range terms {
		if t.op == "" {
			q.Text = append(q.Text, t.val)
			continue
		}
		if t.val == "" {
			return q, fmt.Errorf("%w: %s: needs a value", ErrBadQuery, t.op)
		}
		switch t.op {
		case "from":
			q.From = append(q.From, t.val)
		case "to":
			q.To = append(q.To, t.val)
		case "subject":
			q.Subject = append(q.Subject, t.val)
		case "after", "before":
			d, err := parseDate(t.val)
			if err != nil {
				return q, fmt.Errorf("%w: %s:%s: %w", ErrBadQuery, t.op, short(t.val), err)
			}
			if t.op == "after" {
				if !q.After.IsZero() {
					return q, fmt.Errorf("%w: after: given twice", ErrBadQuery)
				}
				q.After = d
			} else {
				if !q.Before.IsZero() {
					return q, fmt.Errorf("%w: before: given twice", ErrBadQuery)
				}
				q.Before = d
			}
		case "is":
			var unread bool
			switch strings.ToLower(t.val) {
			case "unread":
				unread = true
			case "read":
			default:
				return q, fmt.Errorf("%w: is:%s: want is:unread or is:read", ErrBadQuery, short(t.val))
			}
			if q.Unread != nil && *q.Unread != unread {
				return q, fmt.Errorf("%w: is:unread and is:read together", ErrBadQuery)
			}
			q.Unread = &unread
		case "has":
			if !strings.EqualFold(t.val, "attachment") {
				return q, fmt.Errorf("%w: has:%s: want has:attachment", ErrBadQuery, short(t.val))
			}
			q.HasAttachment = true
		}
	}
	if !q.After.IsZero() && !q.Before.IsZero() && !q.After.Before(q.Before) {
		return q, fmt.Errorf("%w: after: is not before before:", ErrBadQuery)
	}
	return q, nil
}

type term struct{ op, val string }

var operators = map[string]bool{"from": true, "to": true, "subject": true, "after": true, "before": true, "is": true, "has": true}

// tokenize splits on white space outside double quotes. A term is
// op:value (value possibly quoted) or a word or "a phrase".
func tokenize(s string) ([]term, error) {
	var out []term
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		start := i
		var b strings.Builder
		quoted := false
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			if s[i] == '"' {
				end := strings.IndexByte(s[i+1:], '"')
				if end < 0 {
					return nil, fmt.Errorf("%w: unterminated quote", ErrBadQuery)
				}
				b.WriteString(s[i+1 : i+1+end])
				i += end + 2
				quoted = true
				continue
			}
			b.WriteByte(s[i])
			i++
		}
		raw := s[start:i]
		word := b.String()
		if op, _, ok := strings.Cut(raw, ":"); ok && operators[strings.ToLower(op)] {
			_, v, _ := strings.Cut(word, ":")
			out = append(out, term{op: strings.ToLower(op), val: strings.TrimSpace(v)})
			continue
		}
		if quoted && strings.TrimSpace(word) == "" {
			continue // "" is no term
		}
		out = append(out, term{val: word})
	}
}

// parseDate reads yyyy/mm/dd, yyyy-mm-dd, mm/dd/yyyy or Unix seconds.
func parseDate(v string) (time.Time, error) {
	// 12 digits reach past 9999-12-31, the last date the other forms take,
	// so every parsed date prints (String) as something that parses back.
	if len(v) <= 12 && strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("not a date: %w", err)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{"2006/01/02", "2006-01-02", "01/02/2006", "2006/1/2", "1/2/2006"} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				return time.Time{}, errors.New("year out of range")
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date (want yyyy/mm/dd, yyyy-mm-dd, mm/dd/yyyy or Unix seconds)")
}

func short(s string) string {
	if r := []rune(s); len(r) > 32 {
		return string(r[:32]) + "…"
	}
	return s
}

// MaxIDLength is the longest id ValidID accepts.
const MaxIDLength = 1024

// ValidID reports whether id is acceptable as a message, attachment, folder
// or thread id from a client: 1 to MaxIDLength characters of A-Z a-z 0-9
// and - _ = + . (the alphabets of Graph, Gmail and IMAP ids), and not "." or
// "..". Package unified refuses anything else with 400 before a connector
// sees it, so an id can never add a path segment or a query to a provider
// URL.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLength || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_=+.", c) >= 0) {
			return false
		}
	}
	return true
}
