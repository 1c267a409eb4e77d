package curriculum

import (
	"strings"
	"testing"
)

// TestDescribeInWords: every competency and task of the shipped program
// reads as words a director can check, with prerequisites and needs named
// by title.
func TestDescribeInWords(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	p := &v.Program
	for i := range p.Competencies {
		c := &p.Competencies[i]
		d := DescribeCompetency(p, c)
		if d.C != c || d.Required == "" || d.ObservedBy == "" || d.SignedOffBy == "" {
			t.Errorf("%s: %+v", c.Code, d)
		}
		for _, code := range c.Prerequisites {
			if pc := p.Competency(code); pc != nil && !strings.Contains(d.Prerequisites, pc.Title+" ("+code+")") {
				t.Errorf("%s: prerequisites %q do not name %s by title", c.Code, d.Prerequisites, code)
			}
		}
	}
	for i := range p.Tasks {
		task := &p.Tasks[i]
		d := DescribeTask(p, task)
		if d.T != task || d.Direct == "" || len(d.Needs) != len(task.Competencies)+len(task.Credentials) {
			t.Errorf("%s: %+v", task.Code, d)
		}
	}
	if got := describeAuth(Authorization{}); !strings.HasPrefix(got, "nobody") {
		t.Errorf("an empty authorization reads %q", got)
	}
}

// TestHasStepIsStepNotEmpty: HasStep agrees with Step for every reason
// code, and for codes past the last.
func TestHasStepIsStepNotEmpty(t *testing.T) {
	for code := ReasonCode(0); int(code) <= len(reasonNames)+1; code++ {
		for _, rs := range []Reason{{Code: code, Effect: BlocksIndependent, Have: 1, Need: 3}, {Code: code, Effect: Info}} {
			if got, want := rs.HasStep(), rs.Step() != ""; got != want {
				t.Errorf("%s: HasStep %v, Step %q", code, got, rs.Step())
			}
		}
	}
}
