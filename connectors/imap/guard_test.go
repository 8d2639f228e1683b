package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// streamConn is a net.Conn reading from a fixed stream in small chunks.
type streamConn struct {
	net.Conn
	r     io.Reader
	chunk int
}

func (c *streamConn) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.chunk)]) }

func TestGuardConn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stream string
		wantErr      bool
	}{
		{"greeting with capabilities", "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n", false},
		{"paren after a capability code", "* OK [CAPABILITY IMAP4rev1 (x)] ready\r\n", true},
		{"paren in a capability line", "* capability IMAP4rev1 (\r\n", true},
		{"paren in a tagged answer's code", "A1 OK [CAPABILITY X (] done\r\n", true},
		{"paren in text after the code", "* OK [CAPABILITY IMAP4rev1] ready (really)\r\n", false},
		{"paren on the next line", "* CAPABILITY IMAP4rev1\r\n* LIST (\\HasNoChildren) \"/\" INBOX\r\n", false},
		{"capability text inside a literal", "* 1 FETCH (BODY[] {30}\r\n* CAPABILITY IMAP4rev1 (x)\r\n\r\n)\r\n", false},
		{"after a literal, checked again", "* 1 FETCH (BODY[] {2}\r\nab)\r\n* CAPABILITY (\r\n", true},
		{"bare LF ends a line", "* CAPABILITY IMAP4rev1\n(\r\n", false},
		{"no literal after status text", "* OK hi {14}\r\n* CAPABILITY (\r\n", true},
		{"no literal after tagged text", "A1 NO [ALERT] x {13}\r\n[CAPABILITY (]\r\n", true},
		{"no literal after a continuation", "+ {14}\r\n* CAPABILITY (\r\n", true},
		{"a literal in a LIST answer", "* LIST () \"/\" {14}\r\n* CAPABILITY (\r\n", false},
	} {
		for _, chunk := range []int{1, 7, 4096} {
			g := &guardConn{Conn: &streamConn{r: strings.NewReader(tc.stream), chunk: chunk}}
			got, err := io.ReadAll(g)
			if tc.wantErr != errors.Is(err, errCapabilityParen) || (!tc.wantErr && string(got) != tc.stream) {
				t.Errorf("%s (chunks of %d): read %q, %v", tc.name, chunk, got, err)
			}
			if tc.wantErr && (!strings.HasPrefix(tc.stream, string(got)) || tc.stream[len(got)] != '(') {
				t.Errorf("%s: the stream did not stop right before the paren: %q", tc.name, got)
			}
		}
	}
}

// TestStartTLS_refusals plays servers that must not get a STARTTLS
// upgrade.
func TestStartTLS_refusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		answers []string // the greeting, then after the STARTTLS command
		want    string
	}{
		{"PREAUTH greeting", []string{"* PREAUTH hello\r\n"}, "PREAUTH"},
		{"BYE greeting", []string{"* BYE busy\r\n"}, "did not greet with OK"},
		{"refused", []string{"* OK hi\r\n", "* OK still here\r\nS1 NO not now\r\n"}, "refused"},
		{"data injected after the OK", []string{"* OK hi\r\n", "S1 OK go\r\n* CAPABILITY IMAP4rev1\r\n"}, "before the TLS handshake"},
		{"closed", []string{"* OK hi\r\n", ""}, "STARTTLS"},
		{"endless line", []string{strings.Repeat("x", 3*maxStartTLSLine)}, "greeting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, srv := net.Pipe()
			go func() {
				defer srv.Close()
				r := bufio.NewReader(srv)
				for i, a := range tc.answers {
					if i > 0 {
						if _, err := r.ReadString('\n'); err != nil {
							return
						}
					}
					if _, err := io.WriteString(srv, a); err != nil {
						return
					}
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := startTLS(ctx, client, &tls.Config{ServerName: "imap.example"})
			client.Close()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
