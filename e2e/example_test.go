package e2e_test

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/aurinko-go/aurinko"
	"github.com/aurinko-go/aurinko/connectors"
	"github.com/aurinko-go/aurinko/connectors/google"
	"github.com/aurinko-go/aurinko/seal"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
	"github.com/aurinko-go/aurinko/webhooks"
)

// Example_quickStart is the README's quick start, kept compiling here.
func Example_quickStart() {
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, "aurinko.db", sqlitestore.Options{}) // pgstore for many instances
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	key, err := seal.ParseKey(os.Getenv("AURINKO_KEY")) // "id:base64 of 32 random bytes"
	if err != nil {
		log.Fatal(err)
	}
	kr, _ := seal.NewKeyring(key) // more keys after the first: rotation
	google, err := google.New(ctx, google.Config{ClientID: "...", ClientSecret: os.Getenv("GOOGLE_SECRET")})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := aurinko.New(aurinko.Config{Store: st, Keyring: kr, Logger: slog.Default(),
		PublicURL: "https://api.example.com", Connectors: []connectors.Connector{google}})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.PutApp(ctx, aurinko.AppSpec{ClientID: "my-addin", ClientSecret: os.Getenv("APP_SECRET"),
		ReturnURLs: []string{"https://addin.example.com/auth/done"}, CORSOrigins: []string{"https://addin.example.com"}})
	go srv.Run(ctx) // background work: token refresh, webhook deliveries
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler()) // register srv.CallbackURL() with each provider
	log.Fatal(http.ListenAndServe(":8080", mux))
}

// Example_verifyWebhook is the README's webhook receiver, kept compiling
// here.
func Example_verifyWebhook() {
	var srv *aurinko.Server // the server of the quick start
	ctx := context.Background()
	secret, _ := srv.Webhooks().SigningSecret(ctx, "my-addin") // give this to the app once
	http.HandleFunc("/hooks/aurinko", func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("validationToken"); v != "" { // subscription handshake
			io.WriteString(w, v)
			return
		}
		body, err := webhooks.VerifyRequest(r, secret, 0) // X-Aurinko-Signature, 5-minute tolerance
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		_ = body // {"subscription":…, "resource":…, "accountId":…, "payloads":[…]}
	})
}
