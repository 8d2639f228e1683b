package memstore_test

import (
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
	"github.com/aurinko-go/aurinko/store/memstore"
	"github.com/aurinko-go/aurinko/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s := memstore.New(memstore.Options{Now: now})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestNew_nilNowUsesWallClock(t *testing.T) {
	s := memstore.New(memstore.Options{})
	before := time.Now()
	if err := s.CreateApp(t.Context(), store.App{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	app, err := s.GetApp(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if app.CreatedAt.Before(before.Truncate(time.Microsecond)) || app.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %v, want between %v and %v", app.CreatedAt, before, after)
	}
}
