package apitest_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/skillgate/skillgate/app/api/apitest"
)

// TestDocumentDescribesEveryAnswer checks what answer validation cannot:
// every documented answer with content (none: no body, which Check
// enforces) has a JSON schema, every object in it lists its required
// properties, and the alternatives of every oneOf are told apart by a
// required property the others do not have.
func TestDocumentDescribesEveryAnswer(t *testing.T) {
	v, err := apitest.New()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[*openapi3.Schema]bool{}
	for path, item := range v.Doc().Paths.Map() {
		for method, op := range item.Operations() {
			for code, r := range op.Responses.Map() {
				where := fmt.Sprintf("%s %s %s", method, path, code)
				if len(r.Value.Content) == 0 {
					// No body: answer validation refuses one.
					continue
				}
				if code == "204" {
					t.Errorf("%s: a 204 has no body", where)
					continue
				}
				c := r.Value.Content.Get("application/json")
				if c == nil || c.Schema == nil {
					t.Errorf("%s: no JSON schema", where)
					continue
				}
				for _, msg := range described(c.Schema.Value, seen) {
					t.Errorf("%s: %s", where, msg)
				}
			}
		}
	}
}

// described lists what s (and what it holds) leaves undescribed.
func described(s *openapi3.Schema, seen map[*openapi3.Schema]bool) []string {
	if s == nil || seen[s] {
		return nil
	}
	seen[s] = true
	var out []string
	// "version" (curriculum/FORMAT.md) and the document itself are free-form.
	if s.Type.Is("object") && len(s.Properties) > 0 && len(s.Required) == 0 {
		out = append(out, fmt.Sprintf("an object with properties %v lists none as required", slices.Sorted(maps.Keys(s.Properties))))
	}
	for i, a := range s.OneOf {
		for j, b := range s.OneOf {
			if i != j && !slices.ContainsFunc(a.Value.Required, func(p string) bool { return b.Value.Properties[p] == nil }) {
				out = append(out, fmt.Sprintf("oneOf alternative %d requires no property that alternative %d lacks: an answer may match both", i, j))
			}
		}
	}
	for _, p := range s.Properties {
		out = append(out, described(p.Value, seen)...)
	}
	if s.Items != nil {
		out = append(out, described(s.Items.Value, seen)...)
	}
	for _, l := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, x := range l {
			out = append(out, described(x.Value, seen)...)
		}
	}
	return out
}
