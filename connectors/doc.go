// Package connectors defines what aurinko needs from a provider (Google,
// Microsoft 365, IMAP, a CRM, any OAuth2 or OIDC service): the Connector
// interface, optional capabilities discovered by type assertion, the unified
// scopes, and a Registry the host builds from the connectors it imports.
//
// Each provider lives in its own subpackage (connectors/oidc,
// connectors/oauth2, connectors/google, ...), so that a host compiles only the
// SDKs of the providers it uses. There is no global registry: the host passes
// connectors to aurinko.Config.
package connectors
