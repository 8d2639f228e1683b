// Package email is the provider-neutral model of the unified Email API and
// the capability a connector implements to serve it.
//
// It holds the wire types (Message, Address, Attachment, Folder, the
// outgoing message and the status update) with the JSON names of the
// Aurinko API, the parsed Aurinko query syntax (ParseQuery), and Mailbox:
// the interface a connector (connectors/google, connectors/office365, ...)
// implements, discovered by type assertion on the connector. Package
// unified serves the HTTP endpoints and the Go methods on top of it; it
// pages, seals cursors into opaque tamper-proof tokens and maps errors to
// HTTP statuses.
//
// It is a leaf: it imports only the standard library, so that connectors
// can import it without importing package unified (which imports them).
//
// It is not an HTTP layer, does not store anything and does not know any
// provider.
package email
