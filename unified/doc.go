// Package unified is the provider-neutral API of aurinko: one set of
// endpoints for mail, calendars, contacts and tasks whatever the account's
// provider, and the direct pass-through to each provider's own API.
//
// Today it serves the direct API, ANY /v1/direct/{native path}: the request
// goes to the account's provider API base URL (Graph, Gmail, a CRM's API)
// with the account's fresh token. Only an allowlist of headers crosses in
// each direction (never the client's Authorization, cookies or X-Aurinko-*
// headers), bodies stream both ways, provider statuses pass through, and
// idempotent requests without a body are retried on 429 and 503 when the
// provider's Retry-After is short (DefaultMaxRetryWait). The path can never
// leave the base URL: dot segments and encoded slashes, dots or backslashes
// are refused with 400.
//
// It serves the unified Email API under /v1/email (messages: list with the
// Aurinko query syntax, get, raw, send, status, trash, attachments;
// folders and wellKnown; delta sync with /sync, /sync/updated and
// /sync/deleted) on top of the email.Mailbox capability of the account's
// connector (package unified/email). The same operations are Go methods on
// Email (Handler.Email). Page and delta tokens are sealed with the server's
// keyring and bound to the account: clients cannot read or alter them, and
// a token of one account is refused (400) for another. An expired provider
// sync state answers 410 syncToken.expired; an attachment over
// Config.MaxAttachmentSize answers 413.
package unified
