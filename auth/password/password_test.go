package password_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/password"
)

// cheap keeps the tests fast; Default is what production uses.
var cheap = password.Params{MemoryKiB: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashAndVerify(t *testing.T) {
	h, err := password.Hash("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not carry its parameters", h)
	}
	if err := password.Verify("correct horse battery", h); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := password.Verify("correct horse batterx", h); err != password.ErrMismatch {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := password.Hash("correct horse battery", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	// Unicode normalisation: the same password typed two ways.
	composed, decomposed := "caf\u00e9-password", "cafe\u0301-password"
	hu, _ := password.Hash(composed, cheap)
	if err := password.Verify(decomposed, hu); err != nil {
		t.Fatalf("normalised forms differ: %v", err)
	}
}

func TestDefaultsFollowOWASP(t *testing.T) {
	d := password.Default
	if d.MemoryKiB < 19*1024 || d.Time < 2 || d.Threads < 1 {
		t.Fatalf("default parameters %+v are weaker than OWASP's argon2id minimum", d)
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		pw, email string
		ok        bool
	}{
		{"12345678", "", false}, // common
		{"nk4-ws9-qp2", "", true},
		{"1234567", "", false},
		{"ann@acme.test", "ann@acme.test", false},
		{strings.Repeat("x", 64), "", true},
		{strings.Repeat("x", 257), "", false},
		{"päßwörd!", "", true},
	}
	for _, tc := range cases {
		if err := password.Check(tc.pw, tc.email); (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
}

func FuzzVerify(f *testing.F) {
	good, _ := password.Hash("pw", cheap)
	for _, s := range []string{good, "", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$$", "$argon2i$v=19$m=64,t=1,p=1$YWJj$YWJj"} {
		f.Add(s)
	}
	costly := regexp.MustCompile(`m=0*[0-9]{5,}|t=0*[0-9]{2,}`)
	f.Fuzz(func(t *testing.T, encoded string) {
		// Garbage must be refused without a panic; large but legal costs
		// are skipped only to keep the fuzzer fast.
		if costly.MatchString(encoded) {
			return
		}
		if err := password.Verify("pw", encoded); err == nil && encoded != good {
			if !strings.HasPrefix(encoded, "$argon2id$") {
				t.Fatalf("Verify accepted %q", encoded)
			}
		}
	})
}

func TestCommonPasswordsAreRefused(t *testing.T) {
	if n := password.BlocklistSize(); n < 30000 {
		t.Fatalf("blocklist has %d passwords, want at least 30,000", n)
	}
	for _, pw := range []string{"password", "PASSWORD1", "12345678", "iloveyou", "sunshine1"} {
		if password.IsCommon(pw) && password.Check(pw, "") == nil {
			t.Errorf("%q is common but accepted", pw)
		}
	}
	for _, pw := range []string{"password", "12345678", "qwertyuiop"} {
		if !password.IsCommon(pw) {
			t.Errorf("%q not on the blocklist", pw)
		}
	}
	if password.IsCommon("correct horse battery staple 42") {
		t.Error("a passphrase is on the blocklist")
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := password.Hash("correct horse battery", cheap)
	if password.NeedsRehash(h, cheap) {
		t.Fatal("same parameters need a rehash")
	}
	stronger := cheap
	stronger.Time = 2
	if !password.NeedsRehash(h, stronger) {
		t.Fatal("changed parameters need no rehash")
	}
	if !password.NeedsRehash("garbage", cheap) {
		t.Fatal("an unreadable hash needs no rehash")
	}
	if password.VerifyDummy("x", cheap) != password.ErrMismatch {
		t.Fatal("the dummy verification succeeded")
	}
}
