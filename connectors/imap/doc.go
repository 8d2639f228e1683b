// Package imap is the connector for mail servers reached with IMAP and SMTP
// (serviceType "IMAP"): password sign-in (connectors.PasswordSignIn) and the
// unified Email API (email.Mailbox), with github.com/emersion/go-imap/v2
// and github.com/emersion/go-smtp.
//
// It has no OAuth flow: AuthCodeURL, Exchange and Refresh answer
// ErrNoOAuth. Accounts sign in with a login and password; the connector
// checks them with a real LOGIN and returns them in connectors.Grant, which
// package accounts seals. Every Mailbox call gets the password again from
// email.Account.Password (package unified fills it from the sealed
// credential; Config.Credentials is the fallback for direct Go use),
// opens one IMAP connection for the call, logs in and logs out; nothing is
// pooled or cached, and passwords never appear in errors or logs.
//
// Servers. Config names the IMAP and SMTP servers. With
// Config.AllowUserServer the user may type another server at sign-in; it is
// kept as the account's ServerURL (see ParseServerURL) and must use TLS.
//
// Ids. IMAP names a message by folder, UIDVALIDITY and UID. A message id is
// "<folder>.<uidvalidity>.<uid>", the folder being the base64url (no
// padding) of its UTF-8 name: only the characters email.ValidID allows,
// decoded and checked before any use, and the folder name is always sent
// as an IMAP quoted string or literal, never spliced into a command. A
// folder id is the base64url of its name. An attachment id is the MIME part
// path ("2", "1.3"). A message moved to another folder gets a new id; an id
// whose UIDVALIDITY is no longer the folder's is not found.
//
// Lists are newest first: within a folder by UID (arrival order), across
// folders merged by internal date; a page cursor keeps, per folder, the UID
// below which the next page starts. The Aurinko query maps to IMAP SEARCH:
// from:, to:, subject: → FROM, TO, SUBJECT; after:/before: → SINCE/BEFORE
// on the internal date (day precision on the server, then exact on the
// client); is:unread/is:read → UNSEEN/SEEN; free text → TEXT.
// has:attachment is approximated by a Content-Type header containing
// "multipart/mixed", as IMAP cannot search for attachments.
//
// Folders map to sysLabels by their SPECIAL-USE attribute (or, without it,
// by the usual names): INBOX → inbox, \Sent → sent, \Drafts → draft,
// \Trash → trash, \Junk → junk. Flags: no \Seen → unread, \Flagged →
// flagged, $Important → important; other keywords that are not system
// keywords ($Forwarded, $MDNSent, $Junk, ...) are the message's keywords.
// Keywords set through UpdateMessage must be IMAP atoms (no spaces).
// archived=true moves the message to the \Archive folder, false back to
// INBOX. TrashMessage moves to the \Trash folder (MOVE, or COPY + \Deleted +
// UID EXPUNGE without the MOVE extension).
//
// Sending builds the MIME message, submits it over SMTP (AUTH PLAIN, with
// implicit TLS or STARTTLS) and then appends a copy with \Seen to the
// \Sent folder. Once the SMTP server has accepted the message the send is
// reported as done even if the copy to Sent fails (that is logged), so that
// a client never sends twice.
//
// Delta sync covers every selectable folder but \Trash, \Junk and the
// virtual \All and \Flagged ones. Its cursor keeps, per folder, the
// UIDVALIDITY, the HIGHESTMODSEQ (CONDSTORE, which Dovecot has), the UIDNEXT
// and the set of UIDs known at the end of the last round (as UID ranges).
// A round reports as Updated the messages above the old UIDNEXT and those
// whose MODSEQ grew (flag changes; without CONDSTORE only new messages),
// and as Deleted the known UIDs that are gone; a folder whose UIDVALIDITY
// changed makes the cursor expire (email.ErrCursorExpired).
//
// It is not an MTA, does not keep connections open between calls and does
// not push (no IDLE).
package imap
