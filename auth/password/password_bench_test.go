package password_test

import (
	"testing"

	"github.com/mandatehq/mandate/auth/password"
)

// BenchmarkArgon2idVerify is the raw cost of checking one password with
// the production parameters: the floor under every password sign-in.
func BenchmarkArgon2idVerify(b *testing.B) {
	h, err := password.Hash("a long and unusual passphrase", password.Default)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	// As many in flight as BenchmarkPasswordSignIn (auth/signin), so the two
	// rates compare.
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := password.Verify("a long and unusual passphrase", h); err != nil {
				b.Fatal(err)
			}
		}
	})
}
