package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpensOnlyWhereItWasSealed(t *testing.T) {
	master := bytes.Repeat([]byte{7}, 32)
	s, err := New(master, "mandate test v1")
	if err != nil {
		t.Fatal(err)
	}
	b := Binding(1, "totp", "42")
	sealed, err := s.Seal([]byte("JBSWY3DPEHPK3PXP"), b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("the plaintext is visible in the sealed value")
	}
	got, err := s.Open(sealed, b)
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open = %q, %v", got, err)
	}
	again, _ := s.Seal([]byte("JBSWY3DPEHPK3PXP"), b)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	other, _ := New(master, "mandate other v1")
	otherMaster, _ := New(bytes.Repeat([]byte{8}, 32), "mandate test v1")
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another row":     func() ([]byte, error) { return s.Open(sealed, Binding(1, "totp", "43")) },
		"another tenant":  func() ([]byte, error) { return s.Open(sealed, Binding(2, "totp", "42")) },
		"another kind":    func() ([]byte, error) { return s.Open(sealed, Binding(1, "idp", "42")) },
		"another purpose": func() ([]byte, error) { return other.Open(sealed, b) },
		"another master":  func() ([]byte, error) { return otherMaster.Open(sealed, b) },
		"tampered":        func() ([]byte, error) { return s.Open(tampered, b) },
		"truncated":       func() ([]byte, error) { return s.Open(sealed[:5], b) },
	} {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	if _, err := New(master[:16], "x"); err == nil {
		t.Error("a short master secret was accepted")
	}
}

func TestRingSealsUnderTheFirstAndOpensUnderAny(t *testing.T) {
	oldM, newM := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, _ := New(oldM, "p")
	ring, err := NewRing([][]byte{newM, oldM}, "p")
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := New(newM, "p")
	b := Binding(1, "k", "1")
	sealed, _ := old.Seal([]byte("v"), b)
	if got, err := ring.Open(sealed, b); err != nil || string(got) != "v" {
		t.Fatalf("ring open of an old value = %q, %v", got, err)
	}
	if _, err := cur.Open(sealed, b); !errors.Is(err, ErrOpen) {
		t.Fatal("the new master alone opened an old value")
	}
	moved, changed, err := ring.Reseal(sealed, b)
	if err != nil || !changed {
		t.Fatalf("reseal = %v, %v", changed, err)
	}
	if got, err := cur.Open(moved, b); err != nil || string(got) != "v" {
		t.Fatalf("open of a resealed value under the new master = %q, %v", got, err)
	}
	if same, changed, err := ring.Reseal(moved, b); err != nil || changed || !bytes.Equal(same, moved) {
		t.Fatalf("reseal of a current value changed it: %v, %v", changed, err)
	}
	fresh, _ := ring.Seal([]byte("w"), b)
	if _, err := old.Open(fresh, b); !errors.Is(err, ErrOpen) {
		t.Fatal("a ring sealed under a previous master")
	}
	if _, _, err := ring.Reseal(fresh[:3], b); !errors.Is(err, ErrOpen) {
		t.Fatalf("reseal of garbage: %v", err)
	}
	if _, err := NewRing(nil, "p"); err == nil {
		t.Fatal("an empty ring was accepted")
	}
	if _, err := NewRing([][]byte{newM, oldM[:8]}, "p"); err == nil {
		t.Fatal("a short previous secret was accepted")
	}
}
