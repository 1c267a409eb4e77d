package evidence

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The hand-written reader of the steps column agrees with encoding/json on
// what this package writes, and falls back to it for anything else.
func TestParseStepsMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`[]`, `[{"index":0,"met":true}]`, `[{"index":0,"met":true},{"index":1,"met":false},{"index":12,"met":true}]`,
		`[ {"index": 3, "met": true} ]`, `[{"met":true,"index":2}]`, `null`, `[{"index":1,"met":true,"note":"x"}]`,
	} {
		var want []stepJSON
		_ = json.Unmarshal([]byte(s), &want)
		got := parseSteps(s)
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("parseSteps(%s) = %v, want %v", s, got, want)
		}
	}
	steps := []stepJSON{{0, true}, {1, false}, {2, true}}
	b, _ := json.Marshal(steps)
	if got := parseSteps(string(b)); !reflect.DeepEqual(got, steps) {
		t.Errorf("round trip of %s: %v", b, got)
	}
}
