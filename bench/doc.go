// Package bench compares aurinko with the libraries a developer would
// otherwise pick (alexedwards/scs, gorilla/sessions, golang.org/x/oauth2,
// net/http/httputil) in one `go test -bench` run, so that the figures in
// RESULTS.md come from the same machine, the same handler and the same
// moment. It is a module of its own: the library never depends on the
// peers. Run ./run.sh for the table of ratios.
package bench
