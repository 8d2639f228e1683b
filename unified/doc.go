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
package unified
