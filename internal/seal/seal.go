// Package seal encrypts small secrets at rest (a TOTP secret, a social
// provider's client secret) with AES-256-GCM under a key derived from the
// master secret by HKDF for one purpose. The associated data binds a
// ciphertext to the row it belongs to, so a sealed value copied to another
// row (or another workspace) does not open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Sealer seals and opens values for one purpose.
type Sealer struct{ aead cipher.AEAD }

// ErrOpen is returned for a value that does not open: tampered, copied
// from another row, or sealed under another master secret.
var ErrOpen = errors.New("seal: the value does not open")

// New returns a sealer for purpose (e.g. "mandate totp v1") under
// masterSecret.
func New(masterSecret []byte, purpose string) (*Sealer, error) {
	if len(masterSecret) < 32 {
		return nil, errors.New("seal: the master secret is too short")
	}
	if purpose == "" {
		return nil, errors.New("seal: a purpose is required")
	}
	k, err := hkdf.Key(sha256.New, masterSecret, nil, purpose, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Binding names the row a value belongs to: its workspace, its kind and
// an identity that does not change (a user id, a provider slug).
func Binding(tenantID int, kind, id string) []byte {
	return fmt.Appendf(nil, "%d\x00%s\x00%s", tenantID, kind, id)
}

// Seal encrypts plaintext bound to binding: nonce || ciphertext.
func (s *Sealer) Seal(plaintext, binding []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plaintext, binding), nil
}

// Open decrypts a value Seal made with the same binding.
func (s *Sealer) Open(sealed, binding []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns+s.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], binding)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
