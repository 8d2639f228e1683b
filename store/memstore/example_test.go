package memstore_test

import (
	"context"
	"fmt"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	defer s.Close()

	err := s.CreateApp(ctx, store.App{ID: "outlook-addin", Name: "Outlook add-in"})
	if err != nil {
		fmt.Println(err)
		return
	}
	app, err := s.GetApp(ctx, "outlook-addin")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(app.ID, app.Name)

	_, err = s.GetApp(ctx, "missing")
	fmt.Println(err)
	// Output:
	// outlook-addin Outlook add-in
	// memstore: get app "missing": store: not found
}
