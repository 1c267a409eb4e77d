package curriculum

import (
	"errors"
	"strings"
	"testing"
)

func TestEvaluationScheduleDueDates(t *testing.T) {
	s := &EvaluationSchedule{EveryMonths: 3}
	start := MustParseDate("2026-01-15")
	var last Date
	for n, want := range []string{"2026-04-15", "2026-07-15", "2026-10-15", "2027-01-15"} {
		if last = s.DueAfter(start, nil, last); last.String() != want {
			t.Errorf("evaluation %d due %s, want %s", n+1, last, want)
		}
	}
	// At wage steps: a step's date comes between the periodic ones; one on
	// a periodic date is that evaluation; one before the last due is covered.
	steps := []Date{MustParseDate("2026-05-20"), MustParseDate("2026-07-15"), MustParseDate("2026-02-01")}
	if got := s.DueAfter(start, steps, MustParseDate("2026-04-15")); got.String() != "2026-07-15" {
		t.Errorf("without at_wage_steps the step counts: due %s", got)
	}
	s.AtWageSteps = true
	last = MustParseDate("2026-04-15")
	for _, want := range []string{"2026-05-20", "2026-07-15", "2026-10-15"} {
		if last = s.DueAfter(start, steps, last); last.String() != want {
			t.Errorf("at wage steps: due %s, want %s", last, want)
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
		{"at wage steps without a wage schedule", "at_wage_steps", func(s *EvaluationSchedule) { s.AtWageSteps = true }},
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
	stepped, err := ParseProgram([]byte(strings.Replace(string(MedicalAssistantProgramFile()), "    comments_required: true\n", "    comments_required: true\n    at_wage_steps: true\n", 1)))
	if err != nil || !stepped.Program.Evaluations.AtWageSteps {
		t.Fatalf("at_wage_steps: %v", err)
	}
	out, err := ExportProgram(stepped)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ParseProgram(out); err != nil || !again.Program.Evaluations.AtWageSteps {
		t.Fatalf("at_wage_steps lost in the export: %v", err)
	}
	b := strings.Replace(string(MedicalAssistantProgramFile()), "    every_months: 3\n", "    every_month: 3\n", 1)
	_, err = ParseProgram([]byte(b))
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
