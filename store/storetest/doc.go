// Package storetest is the conformance suite that every store.Store
// implementation must pass: the drivers of this module and any third-party
// store. Call Run from a test of the driver:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
//			s, err := mystore.Open(..., mystore.Options{Now: now})
//			if err != nil { t.Fatal(err) }
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
package storetest
