package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	const ours = "https://id.example.com"
	for _, tc := range []struct {
		name, origin, site string
		want               bool
	}{
		{"our origin", ours, "", true},
		{"our origin, fetch metadata too", ours, "same-origin", true},
		{"another origin", "https://evil.example", "", false},
		{"another origin claiming same-origin", "https://evil.example", "same-origin", false},
		{"a form from our no-referrer page (Chromium)", "null", "same-origin", true},
		{"an opaque origin from another site", "null", "cross-site", false},
		{"an opaque origin from a sibling subdomain", "null", "same-site", false},
		{"an opaque origin without fetch metadata", "null", "", false},
		{"an opaque origin typed in the address bar", "null", "none", false},
		{"no browser at all", "", "", true},
		{"no origin, same-origin metadata", "", "same-origin", true},
		{"no origin, typed in the address bar", "", "none", true},
		{"no origin, from another site", "", "cross-site", false},
		{"no origin, from a sibling subdomain", "", "same-site", false},
	} {
		r := httptest.NewRequest("POST", ours+"/t/acme/oauth2/authorize", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if got := SameOrigin(r, ours); got != tc.want {
			t.Errorf("%s: SameOrigin = %v, want %v", tc.name, got, tc.want)
		}
	}
}
