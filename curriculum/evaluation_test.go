package curriculum

import (
	"errors"
	"strings"
	"testing"
)

func TestEvaluationScheduleDueDates(t *testing.T) {
	s := &EvaluationSchedule{EveryMonths: 3}
	start := MustParseDate("2026-01-15")
	for n, want := range map[int]string{1: "2026-04-15", 2: "2026-07-15", 4: "2027-01-15"} {
		if got := s.DueOn(start, n); got.String() != want {
			t.Errorf("evaluation %d due %s, want %s", n, got, want)
		}
	}
}

func TestEvaluationScheduleBoundaries(t *testing.T) {
	ok := func() *EvaluationSchedule {
		return &EvaluationSchedule{EveryMonths: 3, DueWindowDays: 14,
			Scale: []RatingLevel{{1, "Below"}, {2, "Meets"}}, Items: []EvaluationItem{{"SKILLS", "Clinical skills"}}}
	}
	for _, tc := range []struct {
		name, path string // path "" = valid
		edit       func(s *EvaluationSchedule)
	}{
		{"shipped-like", "", func(*EvaluationSchedule) {}},
		{"every 1 month", "", func(s *EvaluationSchedule) { s.EveryMonths, s.DueWindowDays = 1, 27 }},
		{"window 28 days in 1 month", "due_window_days", func(s *EvaluationSchedule) { s.EveryMonths, s.DueWindowDays = 1, 28 }},
		{"every 0 months", "every_months", func(s *EvaluationSchedule) { s.EveryMonths = 0 }},
		{"every 24 months", "", func(s *EvaluationSchedule) { s.EveryMonths = 24 }},
		{"every 25 months", "every_months", func(s *EvaluationSchedule) { s.EveryMonths = 25 }},
		{"one level", "scale", func(s *EvaluationSchedule) { s.Scale = s.Scale[:1] }},
		{"levels out of order", "scale[1].value", func(s *EvaluationSchedule) { s.Scale[1].Value = 1 }},
		{"blank label", "scale[0].label", func(s *EvaluationSchedule) { s.Scale[0].Label = " " }},
		{"no items", "items", func(s *EvaluationSchedule) { s.Items = nil }},
		{"item twice", "items[1].code", func(s *EvaluationSchedule) { s.Items = append(s.Items, s.Items[0]) }},
		{"bad code", "items[0].code", func(s *EvaluationSchedule) { s.Items[0].Code = "skills" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := testVersion()
			v.Program.Evaluations = ok()
			tc.edit(v.Program.Evaluations)
			err := v.Validate()
			var ve *ValidationError
			switch {
			case tc.path == "" && err != nil:
				t.Fatalf("valid schedule refused: %v", err)
			case tc.path == "":
			case !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "program.evaluations."+tc.path:
				t.Fatalf("got %v, want one problem at program.evaluations.%s", err, tc.path)
			}
		})
	}
}

func TestParseProgramReportsEvaluationProblems(t *testing.T) {
	v, _ := MedicalAssistantProgram()
	if e := v.Program.Evaluations; e == nil || e.EveryMonths != 3 || len(e.Scale) != 4 || len(e.Items) != 5 || !e.CommentsRequired {
		t.Fatalf("shipped evaluations = %+v", v.Program.Evaluations)
	}
	b := strings.Replace(string(MedicalAssistantProgramFile()), "    every_months: 3\n", "    every_month: 3\n", 1)
	_, err := ParseProgram([]byte(b))
	if err == nil || !strings.Contains(err.Error(), `program.evaluations.every_month: unknown field "every_month"`) {
		t.Fatalf("misspelt field: %v", err)
	}
}

func TestVersionDiffNamesEvaluationChanges(t *testing.T) {
	v, _ := MedicalAssistantProgram()
	next := v.Program.Clone()
	next.Evaluations.EveryMonths = 6
	d := Diff(&v.Program, &next)
	var got string
	for _, c := range d.Program {
		if c.What == "Periodic evaluations" {
			got = c.Before + " → " + c.After
		}
	}
	if !strings.HasPrefix(got, "every 3 months from the start, due soon 14 days before; scale 1 Needs improvement") ||
		!strings.Contains(got, " → every 6 months from the start") {
		t.Fatalf("diff: %q", got)
	}
}
