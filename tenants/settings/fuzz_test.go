package settings_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/tenants/settings"
)

// refundSchema is the reference scenario's refund type.
const refundSchema = `{"type":"object","required":["invoice","amount","currency"],"additionalProperties":false,
 "properties":{"type":{"const":"refund"},"invoice":{"type":"string","pattern":"^INV-[0-9]+$"},
 "amount":{"type":"string","pattern":"^[0-9]+\\.[0-9]{2}$"},"currency":{"enum":["EUR","USD"]}}}`

// FuzzCheckDetails checks arbitrary authorization_details against a
// workspace with the refund type and a second type whose schema is
// fuzzed too (the refund's when it does not compile). Whatever arrives,
// CheckDetails does not panic; what it accepts is a JSON array whose
// every object has a declared type, and the types it returns are those,
// each once, in order.
func FuzzCheckDetails(f *testing.F) {
	for _, s := range []struct{ details, schema string }{
		{`[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"}]`, `{"type":"object"}`},
		{`[{"type":"refund","invoice":"INV-1","amount":42,"currency":"EUR"}]`, `{}`},
		{`[{"type":"transfer","to":"x"},{"type":"refund"}]`, `{"type":"object","required":["to"],"properties":{"to":{"type":"string","maxLength":3}}}`},
		{`[{"type":"transfer","n":1e400}]`, `{"properties":{"n":{"type":"number","multipleOf":0.01}}}`},
		{`[{"type":"transfer","a":[[[[[]]]]]}]`, `{"$defs":{"a":{"items":{"$ref":"#/$defs/a"}}},"properties":{"a":{"$ref":"#/$defs/a"}}}`},
		{`[{"type":"transfer"}]`, `{"$ref":"https://example.com/schema.json"}`},
		{`[{"type":"transfer","s":"\u0000\ud800"}]`, `{"properties":{"s":{"pattern":"^(a+)+$","format":"email"}}}`},
		{`[{"type":"transfer"}]`, `{"allOf":[{"$ref":"#"}]}`},
		{`[{"type":""}]`, `true`},
		{`[{"type":1}]`, `false`},
		{`[]`, `{}`},
		{`{}`, `{}`},
		{`[null]`, `{}`},
		{`[{"type":"refund"`, `{`},
		{`"refund"`, `[]`},
		{``, ``},
	} {
		f.Add(s.details, s.schema)
	}
	f.Fuzz(func(t *testing.T, details, schema string) {
		second := json.RawMessage(schema)
		if _, err := settings.CompileDetailSchema("transfer", second); err != nil {
			second = json.RawMessage(refundSchema)
		}
		ws := settings.Tenant{DetailTypes: []settings.DetailType{
			{Type: "refund", Description: "One refund", Schema: json.RawMessage(refundSchema)},
			{Type: "transfer", Description: "Fuzzed", Schema: second},
		}}
		types, err := ws.CheckDetails(json.RawMessage(details))
		if err != nil {
			if types != nil {
				t.Fatalf("an error with types %v", types)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "authorization_details") {
				t.Fatalf("the error does not say what is wrong: %q", msg)
			}
			return
		}
		var items []map[string]json.RawMessage
		if json.Unmarshal([]byte(details), &items) != nil {
			t.Fatalf("accepted what is not an array of objects: %q", details)
		}
		var want []string
		for _, it := range items {
			var typ string
			if json.Unmarshal(it["type"], &typ) != nil || (typ != "refund" && typ != "transfer") {
				t.Fatalf("accepted an object of type %s: %q", it["type"], details)
			}
			if !slices.Contains(want, typ) {
				want = append(want, typ)
			}
		}
		if !slices.Equal(types, want) {
			t.Fatalf("types %v, want %v for %q", types, want, details)
		}
	})
}
