package aurinko_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/memstore"
)

func Example() {
	// A real server opens sqlitestore or pgstore and reads its key from
	// configuration; see examples/server.
	key := seal.Key{ID: "k1", Secret: bytes.Repeat([]byte{42}, seal.KeySize)}
	kr, _ := seal.NewKeyring(key)
	srv, err := aurinko.New(aurinko.Config{Store: memstore.New(memstore.Options{}), Keyring: kr, PublicURL: "https://api.example.com"})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle(srv.BasePath()+"/", srv.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/unknown", nil))
	fmt.Println(rec.Code)
	// Output: 404
}
