package storetest

import (
	"testing"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// Factory opens a fresh, empty store whose clock is now. It is called once
// per subtest, possibly from parallel subtests, and registers its own cleanup
// with t.Cleanup.
type Factory func(t *testing.T, now func() time.Time) store.Store
