package signin

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.test","password":"x"}`, `email=a%40b.test&password=x`, `{}`, `[]`, `{"others":true}`, `%zz`, ``} {
		f.Add(s, "application/json")
		f.Add(s, "application/x-www-form-urlencoded")
	}
	f.Fuzz(func(t *testing.T, body, ct string) {
		r := httptest.NewRequest("POST", "/t/acme/auth/signin", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		got, err := decodeForm(r)
		if err != nil {
			if got != (form{}) {
				t.Fatalf("error with a partly filled form: %+v", got)
			}
			return
		}
		if len(body) > maxForm && got != (form{}) {
			t.Fatal("an oversized body was decoded")
		}
	})
}
