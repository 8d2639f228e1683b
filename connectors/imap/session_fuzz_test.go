package imap_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/connectors/imap"
	"github.com/aurinko-go/aurinko/unified/email"
)

// The fuzzed IMAP server's script: answers separated by scriptSep, the
// first one the greeting, each next one the answer to the next command
// line, with scriptTag replaced by that command's tag.
const (
	scriptSep = "\n--\n"
	scriptTag = "$T"
	// fuzzPassword is the account's password in FuzzServerAnswers.
	fuzzPassword = "fuzz-Passw0rd!"
	// fuzzCursor is the cursor DeltaStart returns (a first round of
	// every message).
	fuzzCursor = "eyJpIjp0cnVlLCJmIjpudWxsfQ"
	// maxScriptLiteral bounds a literal the script server reads.
	maxScriptLiteral = 1 << 20
	// commandWait is how long the script server waits for a command.
	commandWait = 100 * time.Millisecond
)

// pipeDialer connects the connector to a scripted server over net.Pipe
// (no network), one server goroutine per connection.
type pipeDialer struct {
	script  [][]byte
	servers sync.WaitGroup
}

func (d *pipeDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	client, srv := net.Pipe()
	d.servers.Go(func() { serveScript(srv, d.script) })
	return client, nil
}

// serveScript plays script on conn: the greeting, then one answer per
// command line (a synchronizing literal {n} gets a "+" continuation and is
// read as part of its command), then closes the connection. It closes it
// too when no command comes within commandWait (the client waits for the
// rest of a cut answer).
func serveScript(conn net.Conn, script [][]byte) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	if _, err := conn.Write(script[0]); err != nil {
		return
	}
	for _, answer := range script[1:] {
		// A client that sends no command waits for the rest of an answer
		// the script cut short: end the connection, as a server would.
		_ = conn.SetReadDeadline(time.Now().Add(commandWait))
		line, err := readCommand(conn, r)
		if err != nil {
			return
		}
		tag, _, _ := strings.Cut(line, " ")
		if _, err := conn.Write(bytes.ReplaceAll(answer, []byte(scriptTag), []byte(tag))); err != nil {
			return
		}
	}
}

// readCommand reads one command line with its literals.
func readCommand(conn net.Conn, r *bufio.Reader) (string, error) {
	var cmd strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		cmd.WriteString(line)
		body := strings.TrimRight(line, "\r\n")
		open := strings.LastIndexByte(body, '{')
		if open < 0 || !strings.HasSuffix(body, "}") {
			return cmd.String(), nil
		}
		spec := body[open+1 : len(body)-1]
		sync := !strings.HasSuffix(spec, "+")
		n, err := strconv.Atoi(strings.TrimSuffix(spec, "+"))
		if err != nil || n < 0 || n > maxScriptLiteral {
			return cmd.String(), nil
		}
		if sync {
			if _, err := io.WriteString(conn, "+ go ahead\r\n"); err != nil {
				return "", err
			}
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(r, lit); err != nil {
			return "", err
		}
		cmd.Write(lit)
	}
}

// FuzzServerAnswers lets a scripted IMAP server answer the connector's
// commands with arbitrary bytes (the mail server of a user's own choosing
// is not trusted), for each call that reads server answers: sign-in,
// folders, well-known folders, a list page, one message, an attachment, a
// delta round. The call never panics, returns (the server closes the
// connection when its script ends; a call still running 20 s later is a
// hang), bounds a list page by its limit, and never puts the password in
// its error unless the server itself sent it.
func FuzzServerAnswers(f *testing.F) {
	for _, s := range []struct {
		script string
		call   uint8
	}{
		{"* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN] ready\r\n" + scriptSep +
			"$T OK [CAPABILITY IMAP4rev1 CONDSTORE SPECIAL-USE MOVE UIDPLUS] Logged in\r\n" + scriptSep +
			"* BYE\r\n$T OK Logout\r\n", 0},
		{"* OK ready\r\n" + scriptSep + "$T NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", 0},
		{"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR SPECIAL-USE] hi\r\n" + scriptSep + "$T OK in\r\n" + scriptSep +
			"* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n* LIST (\\Noselect \\HasChildren) \"/\" {3}\r\nA/B\r\n" +
			"* LIST (\\HasNoChildren \\Trash) \"/\" \"Deleted \\\"Items\\\"\"\r\n$T OK List completed\r\n", 1},
		{"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] hi\r\n" + scriptSep + "$T OK in\r\n" + scriptSep +
			"* LIST () \"/\" INBOX\r\n$T OK\r\n" + scriptSep +
			"* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 3] x\r\n$T OK [READ-ONLY] Examine\r\n" + scriptSep +
			"* ESEARCH (TAG \"$T\") UID ALL 1:2\r\n* SEARCH 1 2\r\n$T OK\r\n" + scriptSep +
			"* 1 FETCH (UID 1 FLAGS (\\Seen $Forwarded) INTERNALDATE \"10-Mar-2024 09:00:00 +0000\" BODY[] {45}\r\nSubject: one\r\nContent-Type: text/plain\r\n\r\nhi\r\n)\r\n" +
			"* 2 FETCH (UID 2 FLAGS () INTERNALDATE \"31-Feb-2024 25:00:00 +9999\" BODY[] NIL)\r\n$T OK\r\n", 2},
		{"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR CONDSTORE] hi\r\n" + scriptSep + "$T OK in\r\n" + scriptSep +
			"* LIST () \".\" INBOX\r\n$T OK\r\n" + scriptSep +
			"* OK [UIDVALIDITY 1] x\r\n* OK [HIGHESTMODSEQ 9] x\r\n$T OK\r\n" + scriptSep +
			"* 1 FETCH (UID 1 MODSEQ (7) FLAGS () INTERNALDATE \"10-Mar-2024 09:00:00 +0000\" BODY[] {78}\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nt\r\n--b\r\nContent-Type: a/b\r\n\r\nx\r\n--b--\r\n)\r\n$T OK\r\n", 3},
		{"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR CONDSTORE] hi\r\n" + scriptSep + "$T OK in\r\n" + scriptSep +
			"* LIST () \"/\" INBOX\r\n$T OK\r\n" + scriptSep +
			"* 4294967295 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 0] x\r\n* OK [HIGHESTMODSEQ 18446744073709551615] x\r\n$T OK\r\n" + scriptSep +
			"* ESEARCH (TAG \"$T\") UID ALL 1:4294967295\r\n$T OK\r\n", 6},
		{"* PREAUTH already in\r\n", 5},
		{"* BYE go away\r\n", 4},
		{"garbage\r\n" + scriptSep + "* 99999999999999999999 EXISTS\r\n" + scriptSep + "$T OK {999999999}\r\n", 1},
	} {
		f.Add([]byte(s.script), s.call)
	}
	const calls = 7
	f.Fuzz(func(t *testing.T, script []byte, call uint8) {
		d := &pipeDialer{script: bytes.Split(script, []byte(scriptSep))}
		c, err := imap.New(imap.Config{
			IMAPAddr: "127.0.0.1:143", IMAPTLS: imap.TLSNoneLoopbackOnly,
			SMTPAddr: "127.0.0.1:587", SMTPTLS: imap.TLSNoneLoopbackOnly,
			Dialer: d, Timeout: time.Minute,
			Now: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) },
		})
		if err != nil {
			t.Fatal(err)
		}
		acct := email.Account{ID: 1, Email: "ann@example.test", AuthUserID: "ann@example.test",
			Password: func(context.Context) (string, error) { return fuzzPassword, nil }}
		ctx := context.Background()
		result := make(chan error, 1)
		go func() {
			var err error
			switch call % calls {
			case 0:
				_, err = c.SignInWithPassword(ctx, acct.Email, fuzzPassword, "")
			case 1:
				_, err = c.ListFolders(ctx, acct, "")
			case 2:
				var page email.MessagePage
				page, err = c.ListMessages(ctx, acct, email.ListRequest{Limit: 2, BodyType: email.BodyText})
				if err == nil && len(page.Records) > 2 {
					err = errors.New("a page of limit 2 has " + strconv.Itoa(len(page.Records)) + " messages")
				}
			case 3:
				_, err = c.GetMessage(ctx, acct, "SU5CT1g.1.1", email.GetOptions{BodyType: email.BodyHTML, LoadInlines: true})
			case 4:
				_, err = c.WellKnownFolders(ctx, acct)
			case 5:
				_, err = c.GetAttachment(ctx, acct, "SU5CT1g.1.4", "2")
			case 6:
				_, err = c.DeltaChanges(ctx, acct, email.DeltaRequest{Cursor: fuzzCursor, Limit: 3})
			}
			result <- err
		}()
		select {
		case err = <-result:
		case <-time.After(20 * time.Second):
			t.Fatalf("call %d still running 20 s after the script", call%calls)
		}
		if err != nil && strings.Contains(err.Error(), "a page of limit") {
			t.Fatal(err)
		}
		if err != nil && strings.Contains(err.Error(), fuzzPassword) && !bytes.Contains(script, []byte(fuzzPassword)) {
			t.Fatalf("the error shows the password: %v", err)
		}
		ended := make(chan struct{})
		go func() { d.servers.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(20 * time.Second):
			t.Fatal("the scripted server did not end")
		}
	})
}
