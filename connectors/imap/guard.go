package imap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// Guarding the IMAP client against a server's bytes (guard.go).
//
// go-imap v2.0.0-beta.8 parses capability data with a loop that skips
// spaces, and its space test also answers true, without reading, before
// a "(" (a space is optional before a parenthesized list). So a server
// that sends "(" after a space in a CAPABILITY response or response code
// makes the client's reader spin forever on buffered bytes: no read is
// made, so neither the call's deadline nor closing the connection stops
// it, the call never returns and a CPU stays busy. guardConn ends the
// stream with an error at such a "(" (capability names are atoms, which
// cannot hold one), so the client fails with an error instead.
//
// To see the bytes the client parses, the guard must sit above TLS; with
// STARTTLS the upgrade is therefore made here (startTLS) rather than by
// go-imap, and the client gets a greeting of its own over the protected
// connection.

// errCapabilityParen is the error of a stream the guard ends.
var errCapabilityParen = errors.New(`imap: the server sent "(" in capability data`)

// guardConn passes a server's bytes through, tracking lines and literals,
// and fails the read that would deliver a "(" inside capability data: a
// line starting "* CAPABILITY", or a "[CAPABILITY" response code up to
// its "]".
type guardConn struct {
	net.Conn
	// prefix is served before the connection's own bytes (a greeting).
	prefix []byte

	mu      sync.Mutex
	err     error
	literal int64 // bytes of a literal still to pass
	lineLen int
	head    [len("* CAPABILITY")]byte // the start of the line
	tail    [24]byte                  // the last bytes of the line
	inCaps  int                       // 0, capsToEOL or capsToBracket
}

const (
	capsToEOL = iota + 1
	capsToBracket
)

func (g *guardConn) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return 0, g.err
	}
	var n int
	var err error
	if len(g.prefix) > 0 {
		n = copy(p, g.prefix)
		g.prefix = g.prefix[n:]
	} else {
		n, err = g.Conn.Read(p)
	}
	for i := 0; i < n; i++ {
		if !g.scan(p[i]) {
			g.err = errCapabilityParen
			if i == 0 {
				return 0, g.err
			}
			return i, nil // the next read returns the error
		}
	}
	return n, err
}

// scan takes one byte of the stream and reports whether it may pass.
func (g *guardConn) scan(b byte) bool {
	if g.literal > 0 {
		g.literal--
		return true
	}
	if g.inCaps != 0 && b == '(' {
		return false
	}
	if b == '\n' {
		if dataLine(g.head[:min(g.lineLen, len(g.head))]) {
			g.literal = literalAfter(g.tail[len(g.tail)-min(g.lineLen, len(g.tail)):])
		}
		g.lineLen, g.inCaps = 0, 0
		return true
	}
	if g.inCaps == capsToBracket && b == ']' {
		g.inCaps = 0
	}
	if g.lineLen < len(g.head) {
		g.head[g.lineLen] = b
	}
	copy(g.tail[:], g.tail[1:])
	g.tail[len(g.tail)-1] = b
	g.lineLen++
	if g.lineLen == len(g.head) && bytes.EqualFold(g.head[:], []byte("* CAPABILITY")) {
		g.inCaps = capsToEOL
	}
	if g.inCaps == 0 && g.lineLen >= len("[CAPABILITY") &&
		bytes.EqualFold(g.tail[len(g.tail)-len("[CAPABILITY"):], []byte("[CAPABILITY")) {
		g.inCaps = capsToBracket
	}
	return true
}

// dataLine reports whether a line, by its start, is untagged data, the
// only kind of server line that announces a literal at its end: in a
// status response ("* OK", "* NO", "* BAD", "* BYE", "* PREAUTH", every
// tagged one) and a continuation request ("+") the end is text, and a
// "{n}" there is not a literal.
func dataLine(head []byte) bool {
	if len(head) < 2 || head[0] != '*' || head[1] != ' ' {
		return false
	}
	word := head[2:]
	if i := bytes.IndexAny(word, " [\r"); i >= 0 {
		word = word[:i]
	}
	for _, status := range []string{"OK", "NO", "BAD", "BYE", "PREAUTH"} {
		if bytes.EqualFold(word, []byte(status)) {
			return false
		}
	}
	return true
}

// literalAfter returns the size of the literal a line announces when it
// ends with {n} (before its CR), 0 otherwise. tail holds the line's last
// bytes, in order.
func literalAfter(tail []byte) int64 {
	tail = bytes.TrimSuffix(tail, []byte("\r"))
	if !bytes.HasSuffix(tail, []byte("}")) {
		return 0
	}
	open := bytes.LastIndexByte(tail, '{')
	if open < 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(tail[open+1:len(tail)-1]), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Limits of the STARTTLS exchange made before the client starts.
const (
	maxStartTLSLine  = 8 << 10
	maxStartTLSLines = 64
)

// startTLS upgrades a plaintext connection with STARTTLS (RFC 9051
// section 6.2.1): it reads the greeting (a PREAUTH greeting is refused, as
// the server could not then be authenticated), sends STARTTLS, waits for
// its OK and shakes hands. Bytes the server sends after the OK before the
// handshake are refused (they would be read as if protected). The caller
// closes conn on failure.
func startTLS(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	r := bufio.NewReaderSize(conn, 512)
	readLine := func() (string, error) {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			var rest []byte
			rest, err = readBounded(r, maxStartTLSLine)
			line = append(append([]byte(nil), line...), rest...)
		}
		if err != nil {
			return "", err
		}
		return string(bytes.TrimRight(line, "\r\n")), nil
	}
	greeting, err := readLine()
	if err != nil {
		return nil, fmt.Errorf("imap: greeting: %w", err)
	}
	switch {
	case hasPrefixFold(greeting, "* PREAUTH"):
		return nil, errors.New("imap: the server sent PREAUTH on an unencrypted connection")
	case !hasPrefixFold(greeting, "* OK"):
		return nil, fmt.Errorf("imap: greeting: the server did not greet with OK: %.100q", greeting)
	}
	if _, err := io.WriteString(conn, "S1 STARTTLS\r\n"); err != nil {
		return nil, fmt.Errorf("imap: STARTTLS: %w", err)
	}
	for i := 0; ; i++ {
		if i == maxStartTLSLines {
			return nil, errors.New("imap: STARTTLS: no answer")
		}
		line, err := readLine()
		if err != nil {
			return nil, fmt.Errorf("imap: STARTTLS: %w", err)
		}
		if hasPrefixFold(line, "S1 OK") {
			break
		}
		if hasPrefixFold(line, "S1 ") {
			return nil, fmt.Errorf("imap: STARTTLS refused: %.100q", line)
		}
	}
	if r.Buffered() > 0 {
		return nil, errors.New("imap: STARTTLS: the server sent data before the TLS handshake")
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("imap: TLS after STARTTLS: %w", err)
	}
	return tc, nil
}

// readBounded reads up to and including the next LF, failing beyond max
// bytes.
func readBounded(r *bufio.Reader, max int) ([]byte, error) {
	var out []byte
	for len(out) <= max {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		if b == '\n' {
			return out, nil
		}
	}
	return nil, errors.New("line too long")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && bytes.EqualFold([]byte(s[:len(prefix)]), []byte(prefix))
}

// startTLSGreeting is the greeting the client reads once startTLS has
// upgraded the connection (capabilities must be asked again after it).
const startTLSGreeting = "* OK TLS established\r\n"
