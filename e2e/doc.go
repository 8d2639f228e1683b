// Package e2e holds end-to-end tests of the whole server with the real
// provider connectors (Google, Microsoft 365) against their fakes. It has
// no code of its own: the tests live here, apart from the root package, so
// that the root's tests do not compile the provider SDKs.
package e2e
