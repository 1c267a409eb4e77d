package curriculum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// cliaSchedule is CLIA's "twice in the first year, then yearly" as a
// program writes it.
var cliaSchedule = Reverification{Kind: EveryMonths, Months: 12, FirstMonths: []int{6, 12}, DueWindowDays: 30}

func TestNextDue(t *testing.T) {
	const initialOn = "2026-01-15" // first-cycle dates 2026-07-15 and 2027-01-15
	tests := []struct {
		name string
		r    Reverification
		last string // latest counting sign-off; initialOn when none after it
		want string
	}{
		{"first cycle: 6 months after the initial sign-off", cliaSchedule, initialOn, "2026-07-15"},
		{"re-verified on time: 12 months after the initial sign-off", cliaSchedule, "2026-07-15", "2027-01-15"},
		{"re-verified the day its window opens (30 days before)", cliaSchedule, "2026-06-15", "2027-01-15"},
		{"re-verified the day before the window opens: the 6-month one is still due", cliaSchedule, "2026-06-14", "2026-07-15"},
		{"re-verified late, before the 12-month window", cliaSchedule, "2026-09-01", "2027-01-15"},
		{"12-month one done on its window's first day", cliaSchedule, "2026-12-16", "2027-12-16"},
		{"12-month one a day before its window: still due", cliaSchedule, "2026-12-15", "2027-01-15"},
		{"12-month one on time: then yearly", cliaSchedule, "2027-01-15", "2028-01-15"},
		{"one very late re-verification completes both", cliaSchedule, "2027-02-01", "2028-02-01"},
		{"yearly after the first cycle", cliaSchedule, "2028-01-10", "2029-01-10"},
		{"no window: early by a day does not count", Reverification{Kind: EveryMonths, Months: 12, FirstMonths: []int{6}}, "2026-07-14", "2026-07-15"},
		{"no window: on the day counts", Reverification{Kind: EveryMonths, Months: 12, FirstMonths: []int{6}}, "2026-07-15", "2027-07-15"},
		// Existing kinds keep their meaning.
		{"every-months", Reverification{Kind: EveryMonths, Months: 12}, initialOn, "2027-01-15"},
		{"every-months after a re-verification", Reverification{Kind: EveryMonths, Months: 12}, "2026-11-02", "2027-11-02"},
		{"legacy clia: 6 months after the initial", Reverification{Kind: CLIA}, initialOn, "2026-07-15"},
		{"legacy clia: 12 after each re-verification, even an early one", Reverification{Kind: CLIA}, "2026-03-01", "2027-03-01"},
		{"joint commission", Reverification{Kind: JointCommission}, "2026-03-01", "2029-03-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.NextDue(d(initialOn), d(tt.last)); got != d(tt.want) {
				t.Fatalf("NextDue(%s, %s) = %s, want %s", initialOn, tt.last, got, tt.want)
			}
		})
	}
	if got := (Reverification{}).NextDue(d(initialOn), d(initialOn)); !got.IsZero() {
		t.Errorf("no schedule: due %s", got)
	}
}

// TestFirstCycleScheduleInTheEngine: the CLIA task, with day before / day
// of / day after each due date.
func TestFirstCycleScheduleInTheEngine(t *testing.T) {
	v := testVersion()
	v.Program.Competency("LAB-CLIA").Reverification = cliaSchedule
	rules := mustCompile(t, v)
	six := []string{"DIRECT-OBSERVATION", "RESULT-REPORTING", "RECORDS-REVIEW", "INSTRUMENT-CHECKS", "BLIND-SAMPLES", "PROBLEM-SOLVING"}
	person := func(reverified ...string) Evidence {
		e := Evidence{SignOffs: []SignOff{initial("LAB-CLIA", "2026-01-15", six...)}}
		for _, day := range reverified {
			e.SignOffs = append(e.SignOffs, reverif("LAB-CLIA", day, six...))
		}
		return e
	}
	tests := []struct {
		name  string
		e     Evidence
		asOf  string
		want  Status
		codes []string
		msg   string
	}{
		{"before the 6-month window", person(), "2026-06-14", Cleared, []string{"reverification_scheduled"},
			"Moderate-complexity testing: next re-verification due 2026-07-15 (6 and 12 months after the initial sign-off, then every 12 months)"},
		{"6-month window opens", person(), "2026-06-15", Cleared, []string{"reverification_due_soon"},
			"Moderate-complexity testing: re-verification due 2026-07-15 (in 30 days)"},
		{"day before the 6-month date", person(), "2026-07-14", Cleared, []string{"reverification_due_soon"}, ""},
		{"6-month date", person(), "2026-07-15", Cleared, []string{"reverification_due_soon"},
			"Moderate-complexity testing: re-verification due 2026-07-15 (today)"},
		{"day after the 6-month date", person(), "2026-07-16", DirectSupervision, []string{"reverification_overdue"},
			"Moderate-complexity testing: re-verification was due 2026-07-15, overdue"},
		{"re-verified at 6 months: the 12-month date is named", person("2026-07-10"), "2026-07-10", Cleared, []string{"reverification_scheduled"},
			"Moderate-complexity testing: next re-verification due 2027-01-15 (6 and 12 months after the initial sign-off, then every 12 months)"},
		{"day before the 12-month date", person("2026-07-10"), "2027-01-14", Cleared, []string{"reverification_due_soon"}, ""},
		{"12-month date", person("2026-07-10"), "2027-01-15", Cleared, []string{"reverification_due_soon"}, ""},
		{"day after the 12-month date", person("2026-07-10"), "2027-01-16", DirectSupervision, []string{"reverification_overdue"},
			"Moderate-complexity testing: re-verification was due 2027-01-15, overdue"},
		{"two in a row at 6 months do not skip the 12-month one", person("2026-07-10", "2026-07-11"), "2027-01-16", DirectSupervision, []string{"reverification_overdue"}, ""},
		{"then yearly: day before", person("2026-07-10", "2027-01-10"), "2028-01-09", Cleared, []string{"reverification_due_soon"}, ""},
		{"then yearly: due date", person("2026-07-10", "2027-01-10"), "2028-01-10", Cleared, []string{"reverification_due_soon"}, ""},
		{"then yearly: day after", person("2026-07-10", "2027-01-10"), "2028-01-11", DirectSupervision, []string{"reverification_overdue"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := rules.EvaluateTask(&tt.e, "CLIA", d(tt.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if dec.Status != tt.want || !slices.Equal(codesOf(dec), tt.codes) {
				t.Fatalf("%s %v, want %s %v; %q", dec.Status, codesOf(dec), tt.want, tt.codes, dec.Messages())
			}
			if tt.msg != "" && !slices.Contains(dec.Messages(), tt.msg) {
				t.Fatalf("messages %q lack %q", dec.Messages(), tt.msg)
			}
			back, err := rules.Unpack(rules.Pack(rules.Evaluate(&tt.e, d(tt.asOf))))
			if err != nil {
				t.Fatal(err)
			}
			if i := slices.Index(rules.Tasks(), "CLIA"); !slices.Equal(back[i].Messages(), dec.Messages()) {
				t.Fatalf("unpacked %q", back[i].Messages())
			}
		})
	}
}

func TestFirstCycleValidation(t *testing.T) {
	v := testVersion()
	v.Program.Competency("LAB-CLIA").Reverification = Reverification{Kind: EveryMonths, Months: 12, FirstMonths: []int{6, 6, 0}, DueWindowDays: 30}
	v.Program.Competency("LAB-WAIVED").Reverification = Reverification{Kind: JointCommission, FirstMonths: []int{6}}
	v.Program.Competency("MED-REFILL").Reverification = Reverification{Kind: EveryMonths, Months: 12, FirstMonths: []int{1, 3}, DueWindowDays: 30}
	wantProblems(t, v.Validate(), []string{
		"program.competencies[3].reverification.due_window_days: a due window of 30 days is longer than the 1-month interval",
		"program.competencies[4].reverification.first_months[1]: list the months in increasing order: 6 does not come after 6",
		"program.competencies[4].reverification.first_months[2]: each first re-verification is 1 or more months after the initial sign-off, not 0",
		"program.competencies[5].reverification.first_months: first_months is only used with kind every-months (the repeating interval after them)",
	})
	var ve *ValidationError

	// In a file, the problem names its line and field.
	v = testVersion()
	v.Program.Competency("LAB-CLIA").Reverification = cliaSchedule
	b, err := ExportProgram(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseProgram(b)
	if err != nil {
		t.Fatal(err)
	}
	if r := back.Program.Competency("LAB-CLIA").Reverification; !slices.Equal(r.FirstMonths, []int{6, 12}) || r.Months != 12 {
		t.Fatalf("round trip: %+v", r)
	}
	bad := strings.Replace(string(b), "- 12\n", "- 5\n", 1)
	if bad == string(b) {
		t.Fatalf("test setup: no first_months line in\n%s", b)
	}
	_, err = ParseProgram([]byte(bad))
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line == 0 ||
		!strings.Contains(ve.Problems[0].String(), "reverification.first_months[1]: list the months in increasing order: 5 does not come after 6") {
		t.Fatalf("got %v", err)
	}
}

func TestDescribeFirstCycle(t *testing.T) {
	if got, want := describeReverification(cliaSchedule), "re-verified 6 and 12 months after the initial sign-off, then every 12 months; shown as due 30 days ahead"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	r := Reverification{Kind: EveryMonths, Months: 24, FirstMonths: []int{3, 6, 12}}
	if got, want := describeReverification(r), "re-verified 3, 6 and 12 months after the initial sign-off, then every 24 months"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
