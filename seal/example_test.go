package seal_test

import (
	"bytes"
	"fmt"

	"github.com/aurinko-go/aurinko/seal"
)

func Example() {
	// In production the key comes from configuration: seal.ParseKey("2026-11:BASE64...").
	key := seal.Key{ID: "2026-11", Secret: bytes.Repeat([]byte{7}, seal.KeySize)}
	kr, err := seal.NewKeyring(key)
	if err != nil {
		panic(err)
	}
	sealed, _ := kr.Seal([]byte("refresh-token"))
	id, _ := seal.KeyID(sealed)
	plain, _ := kr.Open(sealed)
	fmt.Println(id, string(plain))
	// Output: 2026-11 refresh-token
}
