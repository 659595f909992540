package tenants_test

import (
	"strings"
	"testing"

	"github.com/mandatehq/mandate/tenants"
)

func TestNormalizeEmail(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"ann@acme.test", "ann@acme.test", true},
		{"  Ann@ACME.Test ", "ann@acme.test", true},
		{"ann+billing@acme.test", "ann+billing@acme.test", true},
		{"root@localhost", "root@localhost", true},
		{"ann", "", false},
		{"ann@", "", false},
		{"@acme.test", "", false},
		{"Ann <ann@acme.test>", "", false},
		{"ann@acme", "", false},
		{"a b@acme.test", "", false},
		{"ann@acme.test\r\nBcc: x@y.test", "", false},
		{strings.Repeat("a", 320) + "@acme.test", "", false},
	}
	for _, tc := range cases {
		got, err := tenants.NormalizeEmail(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ann@acme.test", "ANN@ACME.TEST", "a@b", "\x00@x.y", "\"quoted\"@acme.test", "ann@[127.0.0.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := tenants.NormalizeEmail(in)
		if err != nil {
			return
		}
		if got != strings.ToLower(got) || strings.TrimSpace(got) != got || len(got) > 320 {
			t.Fatalf("NormalizeEmail(%q) = %q: not normalised", in, got)
		}
		again, err := tenants.NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, got, again, err)
		}
		if strings.ContainsAny(got, "\r\n\x00 <>") {
			t.Fatalf("NormalizeEmail(%q) accepted %q", in, got)
		}
	})
}

func TestValidateSlug(t *testing.T) {
	for slug, ok := range map[string]bool{
		"acme": true, "a": true, "acme-corp": true, "a1": true,
		"": false, "-acme": false, "acme-": false, "Acme": false, "ac me": false, "acme_corp": false,
		strings.Repeat("a", 63): true, strings.Repeat("a", 64): false, "admin": false, "well-known": false,
	} {
		if err := tenants.ValidateSlug(slug); (err == nil) != ok {
			t.Errorf("ValidateSlug(%q) = %v, want ok=%v", slug, err, ok)
		}
	}
}
