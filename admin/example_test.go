package admin_test

import (
	"log"
	"net/http"
	"os"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/admin"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

// The host mounts the console under a path of its choosing, next to the
// API, with its own credentials, and its JSON API where scripts reach it.
func ExampleNew() {
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		log.Fatal(err)
	}
	kr, err := seal.NewKeyring(key)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr, PublicURL: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	console, err := admin.New(admin.Config{
		Accounts: srv.Accounts(),
		Keyring:  srv.Keyring(),
		// htpasswd -nbB ops 'a long passphrase' | cut -d: -f2
		PasswordHash: os.Getenv("ADMIN_PASSWORD_BCRYPT"),
		Authorize: func(r *http.Request) bool {
			// e.g. a client certificate checked by the TLS config
			return r.TLS != nil && len(r.TLS.VerifiedChains) > 0
		},
		BasePath: "/admin",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	mux.Handle("/admin/", http.StripPrefix("/admin", console))
	// The same data and actions as JSON for scripts, with the same
	// credentials (not under /v1/am/, the Aurinko app-management API).
	mux.Handle("/v1/admin/", http.StripPrefix("/v1/admin", console.API()))
	_ = http.ListenAndServe // http.ListenAndServe(":8080", mux)
}
