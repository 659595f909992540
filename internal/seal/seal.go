// Package seal encrypts small secrets at rest (a TOTP secret, a social
// provider's client secret) with AES-256-GCM under a key derived from the
// master secret by HKDF for one purpose. The associated data binds a
// ciphertext to the row it belongs to, so a sealed value copied to another
// row (or another workspace) does not open.
//
// A sealer may know several master secrets (a ring, during a master
// rotation): it seals under the first and opens under any, the first
// tried first. Reseal moves a value sealed under an older one to the
// current one.
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
type Sealer struct{ aeads []cipher.AEAD } // the current master's first

// ErrOpen is returned for a value that does not open: tampered, copied
// from another row, or sealed under another master secret.
var ErrOpen = errors.New("seal: the value does not open")

// New returns a sealer for purpose (e.g. "mandate totp v1") under
// masterSecret.
func New(masterSecret []byte, purpose string) (*Sealer, error) {
	return NewRing([][]byte{masterSecret}, purpose)
}

// NewRing returns a sealer for purpose that seals under secrets[0] (the
// current master secret) and opens under any of secrets (the current one
// and previous ones still configured during a rotation).
func NewRing(secrets [][]byte, purpose string) (*Sealer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("seal: a master secret is required")
	}
	if purpose == "" {
		return nil, errors.New("seal: a purpose is required")
	}
	s := &Sealer{}
	for _, m := range secrets {
		if len(m) < 32 {
			return nil, errors.New("seal: the master secret is too short")
		}
		k, err := hkdf.Key(sha256.New, m, nil, purpose, 32)
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
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Ring is a list of master secrets, the current one first. nil entries
// and blanks are dropped.
func Ring(current []byte, previous ...[]byte) [][]byte {
	out := [][]byte{current}
	for _, p := range previous {
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Binding names the row a value belongs to: its workspace, its kind and
// an identity that does not change (a user id, a provider slug).
func Binding(tenantID int, kind, id string) []byte {
	return fmt.Appendf(nil, "%d\x00%s\x00%s", tenantID, kind, id)
}

// Seal encrypts plaintext bound to binding under the current master:
// nonce || ciphertext.
func (s *Sealer) Seal(plaintext, binding []byte) ([]byte, error) {
	a := s.aeads[0]
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plaintext)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return a.Seal(nonce, nonce, plaintext, binding), nil
}

// Open decrypts a value Seal made with the same binding, under any master
// of the ring.
func (s *Sealer) Open(sealed, binding []byte) ([]byte, error) {
	out, _, err := s.open(sealed, binding)
	return out, err
}

// open also says which master opened the value (0: the current one).
func (s *Sealer) open(sealed, binding []byte) ([]byte, int, error) {
	for n, a := range s.aeads {
		ns := a.NonceSize()
		if len(sealed) < ns+a.Overhead() {
			return nil, 0, ErrOpen
		}
		if out, err := a.Open(nil, sealed[:ns], sealed[ns:], binding); err == nil {
			return out, n, nil
		}
	}
	return nil, 0, ErrOpen
}

// Reseal returns sealed re-sealed under the current master when it was
// sealed under a previous one (changed true), or sealed itself when it is
// already under the current master (changed false).
func (s *Sealer) Reseal(sealed, binding []byte) (out []byte, changed bool, err error) {
	plain, n, err := s.open(sealed, binding)
	if err != nil {
		return nil, false, err
	}
	if n == 0 {
		return sealed, false, nil
	}
	out, err = s.Seal(plain, binding)
	clear(plain)
	return out, err == nil, err
}
