package session_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aurinko-go/aurinko/session"
	"github.com/aurinko-go/aurinko/store/memstore"
)

func ExampleManager() {
	ctx := context.Background()
	m, err := session.New(session.Config{Store: memstore.New(memstore.Options{})})
	if err != nil {
		fmt.Println(err)
		return
	}

	// After sign-in (package auth does this): start a session and send
	// its cookie. The token goes to the client and nowhere else.
	token, s, err := m.Create(ctx, "outlook-addin", "user-1", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	signIn := httptest.NewRecorder()
	m.SetCookie(signIn, "outlook-addin", token, s)
	cookie := signIn.Result().Cookies()[0]
	fmt.Println("cookie:", cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteNoneMode)

	// Every API request goes through Middleware; handlers that need a
	// signed-in user sit behind RequireUser.
	api := m.Middleware(m.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := session.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s via %s", p.UserID, p.Via)
	})))

	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/v1/user", nil), // anonymous
		func() *http.Request { // an add-in in an iframe, bearer mode
			r := httptest.NewRequest(http.MethodGet, "/v1/user", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			return r
		}(),
		func() *http.Request { // a browser with the cookie
			r := httptest.NewRequest(http.MethodGet, "/v1/user?clientId=outlook-addin", nil)
			r.AddCookie(cookie)
			return r
		}(),
	} {
		r.Header.Set("X-Request-Id", "req-1")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}

	// Sign-out.
	fmt.Println(m.Destroy(ctx, token))
	// Output:
	// cookie: aurinko_session_outlook-2Daddin true true true
	// 401 {"code":"unauthorized","message":"unauthorized","requestId":"req-1"}
	// 200 hello user-1 via bearer
	// 200 hello user-1 via cookie
	// <nil>
}
