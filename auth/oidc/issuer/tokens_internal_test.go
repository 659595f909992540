package issuer

import (
	"fmt"
	"testing"
)

func TestVerifiedJWTsTrustOnlyPublishedKeys(t *testing.T) {
	var v verifiedJWTs
	published := map[string]bool{"k1": true}
	isPublished := func(kid string) bool { return published[kid] }
	key := verifiedKey(1, "h.p.s")
	if _, ok := v.lookup(key, isPublished); ok {
		t.Fatal("a token never verified was found")
	}
	v.remember(key, verifiedJWT{kid: "k1", exp: 42})
	if e, ok := v.lookup(key, isPublished); !ok || e.exp != 42 {
		t.Fatalf("lookup = %+v, %v", e, ok)
	}
	// The same token in another workspace, or another string with the
	// same signature, is not the remembered one.
	for _, other := range [][32]byte{verifiedKey(2, "h.p.s"), verifiedKey(1, "h.P.s")} {
		if _, ok := v.lookup(other, isPublished); ok {
			t.Fatal("a different token matched a remembered one")
		}
	}
	// Once the key is no longer published, the verification is not trusted.
	delete(published, "k1")
	if _, ok := v.lookup(key, isPublished); ok {
		t.Fatal("a token signed by an unpublished key was trusted")
	}
}

func TestVerifiedJWTsAreBounded(t *testing.T) {
	var v verifiedJWTs
	for i := 0; i <= maxVerifiedJWTs; i++ {
		v.remember(verifiedKey(1, fmt.Sprint(i)), verifiedJWT{kid: "k"})
	}
	if n := len(v.m); n > maxVerifiedJWTs {
		t.Fatalf("%d entries, bound %d", n, maxVerifiedJWTs)
	}
	if _, ok := v.lookup(verifiedKey(1, fmt.Sprint(maxVerifiedJWTs)), func(string) bool { return true }); !ok {
		t.Fatal("the newest entry is missing")
	}
}
