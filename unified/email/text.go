package email

import (
	"html"
	"regexp"
	"strings"
)

// The body conversions every connector uses when the provider does not
// have the body in the asked form, so that the same message reads the same
// whatever its provider: a text body asked as HTML is TextToHTML of it, an
// HTML body asked as text is HTMLToText of it.

// TextToHTML returns a plain-text body as HTML: escaped, in a <pre>
// element, so that its line breaks and spacing show as written.
func TextToHTML(text string) string {
	if text == "" {
		return ""
	}
	return "<pre>" + html.EscapeString(text) + "</pre>"
}

var (
	reDropBlocks = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>`)
	reComments   = regexp.MustCompile(`(?s)<!--.*?-->`)
	reBreaks     = regexp.MustCompile(`(?i)<(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/pre|/table|hr)\b[^>]*>`)
	reTags       = regexp.MustCompile(`(?s)<[^>]*>`)
)

// HTMLToText returns the text of an HTML body: scripts, styles, the head
// and comments dropped; a line break for each <br>, <hr> and block end
// (paragraph, div, list item, table row, heading, quote, pre, table);
// other tags removed; entities decoded; each line's whitespace collapsed
// and blank lines dropped.
func HTMLToText(s string) string {
	if s == "" {
		return ""
	}
	s = reComments.ReplaceAllString(s, "")
	s = reDropBlocks.ReplaceAllString(s, "")
	s = reBreaks.ReplaceAllString(s, "\n")
	s = reTags.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// BodyAs returns a message body in the asked form from the provider's text
// and HTML versions (either may be ""): HTML prefers the HTML version,
// else TextToHTML of the text; text prefers the text version, else
// HTMLToText of the HTML. The text version's trailing line breaks (a MIME
// body ends with one) are dropped first. BodyNone returns "".
func BodyAs(bt BodyType, text, htmlBody string) string {
	text = strings.TrimRight(text, "\r\n")
	switch bt {
	case BodyHTML:
		if htmlBody != "" {
			return htmlBody
		}
		return TextToHTML(text)
	case BodyText:
		if text != "" {
			return text
		}
		return HTMLToText(htmlBody)
	}
	return ""
}
