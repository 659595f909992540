package issuer

import (
	"strings"
	"testing"
)

// A run id is 1-128 characters of [A-Za-z0-9._:-]: the table is the rule.
func TestRunIDs(t *testing.T) {
	for id, ok := range map[string]bool{
		"run-1":                  true,
		"a":                      true,
		"Planner.run:2024_11-25": true,
		strings.Repeat("r", 128): true,
		"":                       false,
		strings.Repeat("r", 129): false,
		"has space":              false,
		"a/b":                    false,
		"é":                      false,
		"run\n":                  false,
		"run%2F":                 false,
		"<script>":               false,
		"\x00":                   false,
	} {
		if got := validRunID(id); got != ok {
			t.Errorf("validRunID(%q) = %v, want %v", id, got, ok)
		}
	}
}

// FuzzRunID: whatever validRunID accepts is short and plain ASCII.
func FuzzRunID(f *testing.F) {
	for _, s := range []string{"run-1", "", "a/b", strings.Repeat("x", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validRunID(s) {
			return
		}
		if len(s) == 0 || len(s) > maxRunID || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != "" {
			t.Fatalf("accepted %q", s)
		}
	})
}
