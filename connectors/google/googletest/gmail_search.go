package googletest

import (
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// pst is the zone Gmail reads YYYY/MM/DD dates of a query in ("midnight
// PST"); epoch seconds avoid it.
var pst = time.FixedZone("PST", -8*3600)

// searchDoc is what a query is matched against.
type searchDoc struct {
	from, to, cc, bcc, subject, body, msgID string
	filenames                               []string
	labels                                  []string // ids
	labelNames                              []string // names of user labels, lowercase, spaces as -
	date                                    time.Time
	attachments                             bool
}

func (s *Server) docLocked(mb *mailbox, m *StoredMessage) searchDoc {
	hs, _ := splitMessage(m.Raw)
	_, leaves := payloadTree(m.ID, m.Raw)
	dec := func(v string) string {
		if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
			return d
		}
		return v
	}
	d := searchDoc{from: dec(hs.get("From")), to: dec(hs.get("To")), cc: dec(hs.get("Cc")), bcc: dec(hs.get("Bcc")),
		subject: dec(hs.get("Subject")), msgID: hs.get("Message-ID"), labels: m.LabelIDs, date: m.InternalDate}
	var body strings.Builder
	for _, l := range leaves {
		if l.filename != "" {
			d.filenames = append(d.filenames, l.filename)
			d.attachments = true
			continue
		}
		if strings.HasPrefix(l.mimeType, "text/") {
			t := string(l.data)
			if l.mimeType == "text/html" {
				t = tagRE.ReplaceAllString(t, " ")
			}
			body.WriteString(t + " ")
		}
	}
	d.body = body.String()
	for _, l := range mb.userLabels {
		if containsStr(m.LabelIDs, l.ID) {
			d.labelNames = append(d.labelNames, labelKey(l.Name))
		}
	}
	return d
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// labelKey normalizes a label name as Gmail's label: operator compares
// it: case-insensitive, spaces and slashes as dashes.
func labelKey(name string) string {
	return strings.NewReplacer(" ", "-", "/", "-").Replace(strings.ToLower(name))
}

// words splits text into lowercase words, as Gmail's search tokenizes.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// hasPhrase reports whether the words of phrase occur in order in text.
func hasPhrase(text, phrase string) bool {
	tw, pw := words(text), words(phrase)
	if len(pw) == 0 {
		return true
	}
	for i := 0; i+len(pw) <= len(tw); i++ {
		ok := true
		for j := range pw {
			if tw[i+j] != pw[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// query is a parsed Gmail search query.
type query interface {
	match(d *searchDoc) bool
}

type andQ []query
type orQ []query
type notQ struct{ q query }
type termQ struct{ op, value string }

func (q andQ) match(d *searchDoc) bool {
	for _, x := range q {
		if !x.match(d) {
			return false
		}
	}
	return true
}

func (q orQ) match(d *searchDoc) bool {
	for _, x := range q {
		if x.match(d) {
			return true
		}
	}
	return false
}

func (q notQ) match(d *searchDoc) bool { return !q.q.match(d) }

func (t termQ) match(d *searchDoc) bool {
	v := t.value
	switch t.op {
	case "from":
		return matchAddr(d.from, v)
	case "to":
		return matchAddr(d.to, v) || matchAddr(d.cc, v) || matchAddr(d.bcc, v)
	case "cc":
		return matchAddr(d.cc, v)
	case "bcc":
		return matchAddr(d.bcc, v)
	case "subject":
		return hasPhrase(d.subject, v)
	case "rfc822msgid":
		return strings.Trim(d.msgID, "<>") == strings.Trim(v, "<>")
	case "filename":
		for _, f := range d.filenames {
			if strings.EqualFold(f, v) || hasPhrase(f, v) || strings.HasSuffix(strings.ToLower(f), "."+strings.ToLower(v)) {
				return true
			}
		}
		return false
	case "has":
		switch strings.ToLower(v) {
		case "attachment":
			return d.attachments
		case "userlabels":
			return len(d.labelNames) > 0
		case "nouserlabels":
			return len(d.labelNames) == 0
		}
		return false
	case "is":
		switch strings.ToLower(v) {
		case "unread":
			return containsStr(d.labels, "UNREAD")
		case "read":
			return !containsStr(d.labels, "UNREAD")
		case "starred":
			return containsStr(d.labels, "STARRED")
		case "important":
			return containsStr(d.labels, "IMPORTANT")
		}
		return false
	case "in", "label":
		return d.hasLabel(v)
	case "category":
		return containsStr(d.labels, "CATEGORY_"+strings.ToUpper(v))
	case "after", "newer", "before", "older":
		tm, ok := parseQueryDate(v)
		if !ok {
			return false
		}
		if t.op == "after" || t.op == "newer" {
			return !d.date.Before(tm)
		}
		return d.date.Before(tm)
	case "":
		all := strings.Join([]string{d.from, d.to, d.cc, d.subject, d.body, strings.Join(d.filenames, " ")}, " ")
		return hasPhrase(all, v)
	}
	// Gmail reads an unknown operator as text.
	return hasPhrase(d.subject+" "+d.body, t.op+" "+v)
}

func (d *searchDoc) hasLabel(v string) bool {
	switch k := labelKey(v); k {
	case "anywhere":
		return true
	case "inbox", "sent", "trash", "spam", "starred", "important", "unread":
		return containsStr(d.labels, strings.ToUpper(k))
	case "chat", "chats":
		return containsStr(d.labels, "CHAT")
	case "draft", "drafts":
		return containsStr(d.labels, "DRAFT")
	default:
		if containsStr(d.labels, strings.ToUpper(k)) {
			return true
		}
		return containsStr(d.labelNames, k)
	}
}

// matchAddr matches an address header against an address or a name.
func matchAddr(header, v string) bool {
	if header == "" {
		return false
	}
	if strings.Contains(v, "@") {
		list, err := mail.ParseAddressList(header)
		if err == nil {
			for _, a := range list {
				if strings.EqualFold(a.Address, v) {
					return true
				}
			}
		}
		if strings.HasPrefix(v, "@") || strings.HasSuffix(v, "@") {
			return strings.Contains(strings.ToLower(header), strings.ToLower(v))
		}
		return false
	}
	return hasPhrase(header, v)
}

// parseQueryDate reads YYYY/MM/DD (midnight PST), YYYY-MM-DD,
// MM/DD/YYYY or epoch seconds.
func parseQueryDate(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && len(v) >= 5 {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{"2006/1/2", "2006-1-2", "1/2/2006"} {
		if t, err := time.ParseInLocation(layout, v, pst); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseQuery parses Gmail's search syntax: terms (implicitly ANDed),
// "quoted phrases", op:value and op:"quoted value", -negation, OR,
// {a b} (any of), and (grouping).
func parseQuery(q string) query {
	p := &queryParser{toks: tokenize(q)}
	return p.expr("")
}

type queryParser struct {
	toks []string
	pos  int
}

func (p *queryParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

// expr reads terms until end (")" or "}" or end of input).
func (p *queryParser) expr(end string) query {
	var terms andQ
	for p.pos < len(p.toks) {
		if t := p.peek(); t == ")" || t == "}" {
			if t == end {
				p.pos++
				break
			}
			p.pos++ // stray closer: ignored, as Gmail does
			continue
		}
		x := p.unary()
		for p.peek() == "OR" {
			p.pos++
			if p.pos >= len(p.toks) {
				break
			}
			y := p.unary()
			if o, ok := x.(orQ); ok {
				x = append(o, y)
			} else {
				x = orQ{x, y}
			}
		}
		terms = append(terms, x)
	}
	if end == "}" {
		return orQ(terms)
	}
	return terms
}

func (p *queryParser) unary() query {
	t := p.peek()
	p.pos++
	switch {
	case t == "(":
		return p.expr(")")
	case t == "{":
		return p.expr("}")
	case strings.HasPrefix(t, "-") && len(t) > 1:
		p.toks[p.pos-1] = t[1:]
		p.pos--
		return notQ{p.unary()}
	}
	if op, v, ok := strings.Cut(t, ":"); ok && op != "" && !strings.HasPrefix(op, `"`) {
		op = strings.ToLower(op)
		if v == "" && (p.peek() == "(" || p.peek() == "{") {
			// op:(a b): every term under the operator.
			open := p.peek()
			p.pos++
			var vals andQ
			for p.pos < len(p.toks) && p.peek() != ")" && p.peek() != "}" {
				vals = append(vals, termQ{op, unquote(p.peek())})
				p.pos++
			}
			p.pos++
			if open == "{" {
				return orQ(vals)
			}
			return vals
		}
		return termQ{op, unquote(v)}
	}
	return termQ{"", unquote(t)}
}

func unquote(s string) string {
	if len(s) >= 2 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
		return s[1 : len(s)-1]
	}
	return strings.Trim(s, `"`)
}

// tokenize splits a query into terms, keeping quoted strings (also after
// "op:") and the characters ( ) { } as tokens.
func tokenize(q string) []string {
	var toks []string
	var cur strings.Builder
	inQuote := false
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range q {
		switch {
		case r == '"':
			cur.WriteRune(r)
			inQuote = !inQuote
			if !inQuote {
				flush()
			}
		case inQuote:
			cur.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		case r == '(' || r == ')' || r == '{' || r == '}':
			flush() // "op:(" keeps "op:" as its own token
			toks = append(toks, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}
