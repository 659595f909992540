package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// ApprovalRule marks a scope or an authorization_details type as needing a
// human's approval for every token that carries it: who may approve, and
// how long a request waits for them.
type ApprovalRule struct {
	// ApproverRole is "" when the person the agent acts for approves;
	// otherwise any member holding at least this role (member, admin or
	// owner) may.
	ApproverRole string `json:"approverRole,omitempty"`
	// WaitMinutes is how long a request waits for a decision (default 10,
	// at most 1440).
	WaitMinutes int `json:"waitMinutes,omitempty"`
}

// Wait is how long a request under r waits for a decision.
func (r ApprovalRule) Wait() time.Duration {
	if r.WaitMinutes == 0 {
		return 10 * time.Minute
	}
	return time.Duration(r.WaitMinutes) * time.Minute
}

// DetailType is one RFC 9396 authorization_details type a workspace knows:
// its fields are described by a JSON Schema, and it may need approval.
type DetailType struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	// Schema is a JSON Schema (draft 2020-12 unless it says otherwise)
	// that every object of this type must satisfy.
	Schema   json.RawMessage `json:"schema"`
	Approval *ApprovalRule   `json:"approval,omitempty"`
}

var detailTypeName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.:/-]{0,99}$`)

// CompileDetailSchema compiles a detail type's JSON Schema. Remote
// references are never fetched.
func CompileDetailSchema(typ string, raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	url := "mandate:detail-type/" + typ
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// refCycle says whether validation failed on a reference cycle in the
// schema rather than on the value.
func refCycle(err error) bool {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return true
	}
	if _, ok := ve.ErrorKind.(*kind.RefCycle); ok {
		return true
	}
	for _, c := range ve.Causes {
		if refCycle(c) {
			return true
		}
	}
	return false
}

// noLoader refuses every remote reference: a schema is self-contained.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema references %q: only self-contained schemas are allowed", url)
}

// DetailType returns the workspace's declaration of typ.
func (s Tenant) DetailType(typ string) (DetailType, bool) {
	for _, d := range s.DetailTypes {
		if d.Type == typ {
			return d, true
		}
	}
	return DetailType{}, false
}

// ScopeApproval is the approval rule of a catalog scope, nil when it needs
// none.
func (s Tenant) ScopeApproval(name string) *ApprovalRule {
	for _, sc := range s.Scopes {
		if sc.Name == name {
			return sc.Approval
		}
	}
	return nil
}

// Approvals are the rules that apply to a request: one per scope and
// detail type that requires approval, keyed "scope:NAME" or "type:NAME".
func (s Tenant) Approvals(scopes []string, detailTypes []string) map[string]ApprovalRule {
	out := map[string]ApprovalRule{}
	for _, sc := range scopes {
		if r := s.ScopeApproval(sc); r != nil {
			out["scope:"+sc] = *r
		}
	}
	for _, t := range detailTypes {
		if d, ok := s.DetailType(t); ok && d.Approval != nil {
			out["type:"+t] = *d.Approval
		}
	}
	return out
}

// ApprovalTypes are the detail types that need approval, for discovery.
func (s Tenant) DetailTypeNames() []string {
	out := make([]string, 0, len(s.DetailTypes))
	for _, d := range s.DetailTypes {
		out = append(out, d.Type)
	}
	return out
}

func validateApproval(what string, r *ApprovalRule) []string {
	if r == nil {
		return nil
	}
	var problems []string
	switch r.ApproverRole {
	case "", "member", "admin", "owner":
	default:
		problems = append(problems, fmt.Sprintf("%s: approverRole must be empty (the person the agent acts for), member, admin or owner", what))
	}
	if r.WaitMinutes < 0 || r.WaitMinutes > 24*60 {
		problems = append(problems, fmt.Sprintf("%s: waitMinutes must be between 1 and 1440 (0 for the default of 10)", what))
	}
	return problems
}

func (s Tenant) validateDetailTypes() []string {
	var problems []string
	if len(s.DetailTypes) > 100 {
		problems = append(problems, "at most 100 detailTypes")
	}
	var seen []string
	for _, d := range s.DetailTypes {
		what := fmt.Sprintf("detail type %q", d.Type)
		if !detailTypeName.MatchString(d.Type) {
			problems = append(problems, what+" must be a letter then letters, digits or _.:/- (at most 100)")
		}
		if slices.Contains(seen, d.Type) {
			problems = append(problems, what+" is listed twice")
		}
		seen = append(seen, d.Type)
		if len(d.Description) > 300 {
			problems = append(problems, what+": the description is longer than 300 characters")
		}
		if len(d.Schema) == 0 {
			problems = append(problems, what+": a JSON Schema of its fields is required")
		} else if len(d.Schema) > 16<<10 {
			problems = append(problems, what+": the schema is longer than 16 KiB")
		} else if sch, err := CompileDetailSchema(d.Type, d.Schema); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			problems = append(problems, fmt.Sprintf("%s: the schema does not compile: %s", what, msg))
		} else if err := sch.Validate(map[string]any{"type": d.Type}); err != nil && refCycle(err) {
			// A schema that cannot judge an object at all would refuse
			// every request; one that merely refuses this bare object is
			// fine.
			problems = append(problems, what+": the schema cannot be used: its references form a cycle")
		}
		problems = append(problems, validateApproval(what, d.Approval)...)
	}
	for _, sc := range s.Scopes {
		problems = append(problems, validateApproval(fmt.Sprintf("scope %q", sc.Name), sc.Approval)...)
	}
	return problems
}

// CheckDetails validates RFC 9396 authorization_details (a JSON array of
// objects, each with a type) against the workspace's declared types: an
// undeclared type, or an object its type's schema refuses, is an error
// that says which and why. It returns the types named, in order.
func (s Tenant) CheckDetails(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("authorization_details must be a JSON array of objects")
	}
	var types []string
	compiled := map[string]*jsonschema.Schema{}
	for n, it := range items {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(it, &head); err != nil || head.Type == "" {
			return nil, fmt.Errorf("authorization_details[%d] needs a type", n)
		}
		d, ok := s.DetailType(head.Type)
		if !ok {
			return nil, fmt.Errorf("authorization_details[%d]: type %q is not one this workspace accepts", n, head.Type)
		}
		sch := compiled[d.Type]
		if sch == nil {
			var err error
			if sch, err = CompileDetailSchema(d.Type, d.Schema); err != nil {
				return nil, fmt.Errorf("authorization_details[%d]: type %q has no usable schema", n, head.Type)
			}
			compiled[d.Type] = sch
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(it))
		if err != nil {
			return nil, fmt.Errorf("authorization_details[%d] is not JSON", n)
		}
		if err := sch.Validate(doc); err != nil {
			var ve *jsonschema.ValidationError
			msg := err.Error()
			if errors.As(err, &ve) {
				msg = detailProblem(ve)
			}
			return nil, fmt.Errorf("authorization_details[%d] (%s): %s", n, head.Type, msg)
		}
		if !slices.Contains(types, head.Type) {
			types = append(types, head.Type)
		}
	}
	return types, nil
}

// detailProblem is the first concrete cause of a validation error, as
// "at /amount: …", without the schema's internal URL.
func detailProblem(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := "/" + strings.Join(ve.InstanceLocation, "/")
	return "at " + loc + ": " + ve.ErrorKind.LocalizedString(printer)
}
