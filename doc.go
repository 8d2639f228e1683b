// Package aurinko is the backend of an Outlook add-in (or a Gmail extension,
// a Teams app, a Google Workspace add-on) as a library: OAuth flows, users and
// sessions, linked accounts with sealed, refreshed tokens, and one API for
// mail, calendars, contacts and tasks across providers, mounted on the host's
// own http.ServeMux and kept in the host's own database.
//
// New wires the pieces from a Config; Server.Handler serves the HTTP API
// under /v1, with paths and JSON shapes that follow the public Aurinko API, so
// client code written for it works against this server by changing its base
// URL.
//
// The root package imports no provider SDK: the host picks connectors and a
// store driver by importing them, as with database/sql drivers.
package aurinko
