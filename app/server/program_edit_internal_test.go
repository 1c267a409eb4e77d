package server

import (
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

// A validation problem shows next to the field that sets it: the recency
// rule's months beside the recency field, not the re-verification's, and
// a problem no field sets in the form's general message.
func TestProblemFieldsNameTheFieldThatSetsIt(t *testing.T) {
	got := problemFields([]curriculum.Problem{
		{Path: "program.competencies[3].recency.months", Message: "recency"},
		{Path: "program.competencies[3].reverification.months", Message: "reverify"},
		{Path: "program.competencies[3].checklist[2].text", Message: "step"},
		{Path: "program.settings.unheard_of", Message: "general"},
	})
	want := map[string]string{"recency_months": "recency", "reverify_months": "reverify", "step_text": "step", "": "general"}
	for field, msg := range want {
		if got[field] != msg {
			t.Errorf("field %q: got %q, want %q (all: %v)", field, got[field], msg, got)
		}
	}
}
