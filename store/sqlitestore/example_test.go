package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/sqlitestore"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "aurinko-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "aurinko.db"), sqlitestore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	if err := s.CreateApp(ctx, store.App{ID: "outlook-addin", Name: "Outlook add-in"}); err != nil {
		fmt.Println(err)
		return
	}
	app, err := s.GetApp(ctx, "outlook-addin")
	fmt.Println(app.Name, err)

	_, err = s.GetApp(ctx, "nope")
	fmt.Println(errors.Is(err, store.ErrNotFound))
	// Output:
	// Outlook add-in <nil>
	// true
}
