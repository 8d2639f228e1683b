// Package seal encrypts secrets at rest: provider access and refresh tokens,
// passwords, client secrets, webhook secrets.
//
// A [Keyring] holds one or more 256-bit keys, each with a short id. The first
// key seals; every key opens, so keys can rotate: add a new key in front, run
// [Rotate] (which re-seals every secret of a store under the new key), then
// drop the old key. Sealing is AES-256-GCM with a random 96-bit nonce; the
// key id travels in the clear in front of each ciphertext so the keyring knows
// which key opens it.
//
// Format of a sealed value (all of it is authenticated):
//
//	'S' '1' len(id) id nonce[12] ciphertext||tag[16]
//
// This package does not hash bearer tokens (see store.HashSecret) and does not
// derive keys from passwords: keys are random bytes the host keeps in its
// configuration or secret manager.
package seal
