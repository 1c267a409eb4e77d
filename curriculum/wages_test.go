package curriculum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func wageProgram(t *testing.T) *Program {
	t.Helper()
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	return &v.Program
}

func TestWageEligibilityBoundaries(t *testing.T) {
	p := wageProgram(t)
	start := MustParseDate("2026-01-15")
	hours := func(minutes int) *Evidence {
		return &Evidence{Hours: []HoursRecord{
			{Kind: OJLHours, Code: "PT-CARE", WorkedOn: start, Minutes: minutes},
			{Kind: RTIHours, Code: "MED-TERM", WorkedOn: start, Minutes: 600 * 60}, // RTI never counts
		}}
	}
	after := MustParseDate("2026-12-01")
	// Step 2: 1,000 OJL hours and 6 months after the start.
	if c := p.WageEligibility(2, hours(1000*60-1), start, after); c.Eligible || !strings.Contains(strings.Join(c.Missing, ";"), "999 h 59 min of 1,000 approved OJL hours") {
		t.Errorf("N−1 minutes: %+v", c)
	}
	if c := p.WageEligibility(2, hours(999*60), start, after); c.Eligible {
		t.Errorf("999 hours: eligible %+v", c)
	}
	if c := p.WageEligibility(2, hours(1000*60), start, after); !c.Eligible || len(c.Missing) != 0 {
		t.Errorf("1,000 hours: %+v", c)
	}
	// Hours worked after the day asked about do not count yet.
	if c := p.WageEligibility(2, hours(1000*60), start, start.AddDays(-1)); c.Eligible {
		t.Errorf("hours counted before they were worked: %+v", c)
	}

	enough := hours(1000 * 60)
	dayOf := MustParseDate("2026-07-15")
	if c := p.WageEligibility(2, enough, start, dayOf.AddDays(-1)); c.Eligible || !strings.Contains(strings.Join(c.Missing, ";"), "reached on 2026-07-15") {
		t.Errorf("day before: %+v", c)
	}
	if c := p.WageEligibility(2, enough, start, dayOf); !c.Eligible {
		t.Errorf("day of: %+v", c)
	}
	if c := p.WageEligibility(1, &Evidence{}, start, start); !c.Eligible {
		t.Errorf("the first step is always met: %+v", c)
	}
	if _, ok := p.NextWageStep(len(p.WageSchedule), enough, start, dayOf); ok {
		t.Error("a next step after the last")
	}
}

func TestWageEligibilityCompetencies(t *testing.T) {
	p := wageProgram(t)
	start := MustParseDate("2026-01-15")
	asOf := MustParseDate("2029-01-01")
	e := &Evidence{Hours: []HoursRecord{{Kind: OJLHours, Code: "PT-CARE", WorkedOn: start, Minutes: 3000 * 60}}}
	// 30 competencies signed off, the named ones among them.
	codes := []string{"PHL-VENI", "INJ", "LAB-WAIVED"}
	for _, c := range p.Competencies {
		if len(codes) < 30 && c.Coverage == nil && !slices.Contains(codes, c.Code) {
			codes = append(codes, c.Code)
		}
	}
	// LAB-WAIVED's sign-off covers two of its four methods.
	waived := SignOff{Competency: "LAB-WAIVED", Kind: InitialSignOff, SignedOn: start,
		Covered: []string{p.Competency("LAB-WAIVED").Coverage.Items[0].Code, p.Competency("LAB-WAIVED").Coverage.Items[1].Code}}
	e.SignOffs = append(e.SignOffs, waived)
	for _, code := range codes[:29] {
		if code != "LAB-WAIVED" {
			e.SignOffs = append(e.SignOffs, SignOff{Competency: code, Kind: InitialSignOff, SignedOn: start})
		}
	}
	// A re-verification is not a sign-off of another competency.
	e.SignOffs = append(e.SignOffs, SignOff{Competency: codes[29], Kind: ReverificationSignOff, SignedOn: start})
	if c := p.WageEligibility(4, e, start, asOf); c.Eligible || !slices.Equal(c.Missing, []string{"29 of 30 competencies signed off"}) {
		t.Fatalf("29 signed off: %+v", c)
	}
	e.SignOffs = append(e.SignOffs, SignOff{Competency: codes[29], Kind: InitialSignOff, SignedOn: start})
	if c := p.WageEligibility(4, e, start, asOf); !c.Eligible {
		t.Fatalf("all met: %+v", c)
	}
	for i := range e.SignOffs {
		if e.SignOffs[i].Competency == "INJ" {
			e.SignOffs[i].RevokedFrom = asOf
		}
	}
	c := p.WageEligibility(4, e, start, asOf)
	if c.Eligible || !strings.Contains(strings.Join(c.Missing, ";"), p.Competency("INJ").Title+" not yet signed off") {
		t.Fatalf("revoked named competency: %+v", c)
	}
	if c := p.WageEligibility(4, e, start, asOf.AddDays(-1)); !c.Eligible {
		t.Fatalf("the day before the revocation: %+v", c)
	}
}

func TestWageScheduleValidation(t *testing.T) {
	p := wageProgram(t)
	if amount, ok := p.WageRate(1); !ok || amount != 15.95 {
		t.Errorf("72.5%% of $22: %v %v", amount, ok)
	}
	if got := p.DescribeWage(0); got != "65% of the journeyworker rate ($14.30 an hour)" {
		t.Errorf("describe: %q", got)
	}
	old := wageProgram(t)
	old.WageSchedule[1].OJLHours = 900
	if d := Diff(old, p); len(d.Program) != 1 || !strings.Contains(d.Program[0].After, "Step 2: 72.5% of the journeyworker rate ($15.95 an hour) after 1,000 approved OJL hours and 6 months after the start") {
		t.Errorf("diff: %+v", d.Program)
	}
	p.Settings.JourneyworkerRate = 0
	p.WageSchedule[0].OJLHours = 10
	p.WageSchedule[2].HourlyRate = 12.345
	p.WageSchedule[3].Competencies = []string{"NOPE", "NOPE"}
	p.WageSchedule = append(p.WageSchedule, WageStep{Title: "Step 5", HourlyRate: 1})
	var ve *ValidationError
	if err := p.Validate(); !errors.As(err, &ve) {
		t.Fatalf("no problems: %v", err)
	}
	got := ve.Error()
	for _, want := range []string{
		"wage_schedule[0]: the first step is the wage at registration",
		"wage_schedule[1].percent: a percentage needs the journeyworker rate",
		"wage_schedule[2]: give either percent",
		"wage_schedule[3].competencies[0]: \"NOPE\" is not one of the program's competencies",
		"wage_schedule[3].competencies[1]: competency \"NOPE\" is listed more than once",
		"wage_schedule[4]: give at least one condition",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	q := wageProgram(t)
	q.WageSchedule[2].Percent = 70
	if err := q.Validate(); err == nil || !strings.Contains(err.Error(), "each step must pay more than the one before ($15.40 after $15.95)") {
		t.Errorf("decreasing wage: %v", err)
	}
}
