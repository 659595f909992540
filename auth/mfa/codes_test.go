package mfa

import (
	"strings"
	"testing"
	"time"
)

// How typed codes are read: the table is the rule.
func TestTypedCodesAreRead(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"123456", "123456", true},
		{" 123 456 ", "123456", true},
		{"123-456", "123456", true},
		{"12345", "", false},
		{"1234567", "", false},
		{"12345a", "", false},
		{"١٢٣٤٥٦", "", false}, // other scripts' digits are not ASCII digits
		{"", "", false},
	} {
		got, ok := normalizeCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("normalizeCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"ABCDE-FGHIJ", "ABCDEFGHIJ", true},
		{"abcde fghij", "ABCDEFGHIJ", true},
		{"ABCDEFGHIJ", "ABCDEFGHIJ", true},
		{"AB0DE-F1GH8", "ABODEFIGHB", true}, // digits typed for look-alike letters
		{"ABCDE-FGHI", "", false},
		{"ABCDE-FGHIJK", "", false},
		{"ABCDE-FGHI9", "", false}, // 9 is in no group of base32
		{"ABCDE_FGHIJ", "", false},
		{"", "", false},
	} {
		got, ok := normalizeRecoveryCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("normalizeRecoveryCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// A new code reads back as itself, and its hash depends on its owner.
func TestRecoveryCodesRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c, err := newRecoveryCode()
		if err != nil {
			t.Fatal(err)
		}
		n, ok := normalizeRecoveryCode(c)
		if !ok || n != strings.ReplaceAll(c, "-", "") || seen[n] {
			t.Fatalf("code %q reads as %q, %v (seen %v)", c, n, ok, seen[n])
		}
		seen[n] = true
		if hashRecoveryCode(1, n) == hashRecoveryCode(2, n) {
			t.Fatal("two people's identical codes hash alike")
		}
	}
}

// The step a code matches: its own, within one step either way.
func TestMatchStep(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Unix(1_800_000_000, 0)
	for off := int64(-3); off <= 3; off++ {
		c, err := CodeAt(secret, now.Add(time.Duration(off)*30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		st, ok := matchStep(secret, c, now)
		want := off >= -1 && off <= 1
		if ok != want || (ok && st != StepAt(now)+off) {
			t.Errorf("code of step %+d: matched step %d, %v; want %v", off, st-StepAt(now), ok, want)
		}
	}
}

func FuzzCodeParsers(f *testing.F) {
	for _, s := range []string{"123456", "ABCDE-FGHIJ", " 12 34 56", "ab0de f1gh8", "\x00\xff", strings.Repeat("9", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if c, ok := normalizeCode(in); ok {
			if again, ok2 := normalizeCode(c); !ok2 || again != c || len(c) != 6 {
				t.Fatalf("normalizeCode(%q) = %q is not a fixed point", in, c)
			}
		}
		if c, ok := normalizeRecoveryCode(in); ok {
			if again, ok2 := normalizeRecoveryCode(c); !ok2 || again != c || len(c) != codeLen {
				t.Fatalf("normalizeRecoveryCode(%q) = %q is not a fixed point", in, c)
			}
		}
	})
}
