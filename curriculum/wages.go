package curriculum

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// WageStep is one step of a registered apprenticeship's progressively
// increasing wage schedule (29 CFR 29.5(b)(5)). The first step is the wage
// at registration and has no conditions; each later step is reached when
// all of its conditions are met, and takes effect when someone approves it.
type WageStep struct {
	Title string `json:"title"`
	// Percent of the journeyworker rate (Settings.JourneyworkerRate), or an
	// HourlyRate in dollars: exactly one of the two.
	Percent    float64 `json:"percent,omitempty"`
	HourlyRate float64 `json:"hourly_rate,omitempty"`
	// Conditions (all that are given must hold):
	// OJLHours approved on-the-job learning hours;
	OJLHours int `json:"ojl_hours,omitempty"`
	// CompetenciesSignedOff, a number of competencies signed off;
	CompetenciesSignedOff int `json:"competencies_signed_off,omitempty"`
	// Competencies, named competencies that must be signed off;
	Competencies []string `json:"competencies,omitempty"`
	// MonthsAfterStart, calendar months since the enrollment's start date
	// (reached on the same day of the month).
	MonthsAfterStart int `json:"months_after_start,omitempty"`
}

// maxWageSteps keeps schedules readable.
const maxWageSteps = 40

func (s *WageStep) hasConditions() bool {
	return s.OJLHours > 0 || s.CompetenciesSignedOff > 0 || len(s.Competencies) > 0 || s.MonthsAfterStart > 0
}

// WageRate returns step i's (0-based) hourly amount in dollars, rounded to
// cents, and false when it cannot be told (a percentage without a
// journeyworker rate, or no such step).
func (p *Program) WageRate(i int) (float64, bool) {
	if i < 0 || i >= len(p.WageSchedule) {
		return 0, false
	}
	s := &p.WageSchedule[i]
	if s.HourlyRate > 0 {
		return s.HourlyRate, true
	}
	if p.Settings.JourneyworkerRate <= 0 {
		return 0, false
	}
	return math.Round(s.Percent*p.Settings.JourneyworkerRate) / 100, true
}

// DescribeWage says what step i (0-based) pays, e.g. "60% of the
// journeyworker rate ($14.70 an hour)" or "$18.00 an hour".
func (p *Program) DescribeWage(i int) string {
	if i < 0 || i >= len(p.WageSchedule) {
		return ""
	}
	s := &p.WageSchedule[i]
	amount, ok := p.WageRate(i)
	switch {
	case s.Percent > 0 && ok:
		return fmt.Sprintf("%s%% of the journeyworker rate ($%.2f an hour)", formatNumber(s.Percent), amount)
	case s.Percent > 0:
		return fmt.Sprintf("%s%% of the journeyworker rate", formatNumber(s.Percent))
	}
	return fmt.Sprintf("$%.2f an hour", amount)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// WageCheck is whether a person meets a wage step's conditions on a day.
type WageCheck struct {
	// Step is the step's number (1 = the first).
	Step     int
	Eligible bool
	// Missing says, for each condition not met, what is still needed
	// ("1,999 of 2,000 approved OJL hours"); empty when Eligible.
	Missing []string
	// Needs describes every condition of the step, met or not.
	Needs []string
}

// WageEligibility checks step number n (1-based) of the program's wage
// schedule against a person's evidence on asOf: approved OJL hours worked
// by then, competencies with an initial sign-off in force then (not
// revoked; paper ones only where the competency allows them), and the
// months since the enrollment started. The first step is always met.
func (p *Program) WageEligibility(n int, e *Evidence, start, asOf Date) WageCheck {
	c := WageCheck{Step: n}
	if n < 1 || n > len(p.WageSchedule) {
		c.Missing = []string{fmt.Sprintf("the program has no wage step %d", n)}
		return c
	}
	s := &p.WageSchedule[n-1]
	if s.OJLHours > 0 {
		minutes := 0
		for i := range e.Hours {
			h := &e.Hours[i]
			if h.Kind == OJLHours && known(h.WorkedOn, asOf) {
				minutes += h.Minutes
			}
		}
		c.Needs = append(c.Needs, fmt.Sprintf("%s approved OJL hours", groupThousands(s.OJLHours)))
		if minutes < s.OJLHours*60 {
			c.Missing = append(c.Missing, fmt.Sprintf("%s of %s approved OJL hours", formatMinutes(minutes), groupThousands(s.OJLHours)))
		}
	}
	if s.CompetenciesSignedOff > 0 || len(s.Competencies) > 0 {
		done := p.signedOff(e, asOf)
		if s.CompetenciesSignedOff > 0 {
			c.Needs = append(c.Needs, fmt.Sprintf("%d competencies signed off", s.CompetenciesSignedOff))
			if len(done) < s.CompetenciesSignedOff {
				c.Missing = append(c.Missing, fmt.Sprintf("%d of %d competencies signed off", len(done), s.CompetenciesSignedOff))
			}
		}
		for _, code := range s.Competencies {
			title := code
			if comp := p.Competency(code); comp != nil {
				title = comp.Title
			}
			c.Needs = append(c.Needs, title+" signed off")
			if !done[code] {
				c.Missing = append(c.Missing, title+" not yet signed off")
			}
		}
	}
	if s.MonthsAfterStart > 0 {
		due := start.AddMonths(s.MonthsAfterStart)
		c.Needs = append(c.Needs, fmt.Sprintf("%d months after the start (%s)", s.MonthsAfterStart, due))
		if asOf.Before(due) {
			c.Missing = append(c.Missing, fmt.Sprintf("%d months after the start: reached on %s", s.MonthsAfterStart, due))
		}
	}
	c.Eligible = len(c.Missing) == 0
	return c
}

// signedOff returns the competencies with an initial sign-off that counts
// on asOf.
func (p *Program) signedOff(e *Evidence, asOf Date) map[string]bool {
	out := map[string]bool{}
	for i := range e.SignOffs {
		so := &e.SignOffs[i]
		if so.Kind != InitialSignOff || !known(so.SignedOn, asOf) {
			continue
		}
		comp := p.Competency(so.Competency)
		if comp == nil || so.Paper && !comp.AllowsPaperSignOffs() || !covers(comp.Coverage, so.Covered) {
			continue
		}
		if revoked, _ := so.revocation(asOf, Date{}); revoked {
			continue
		}
		out[so.Competency] = true
	}
	return out
}

// NextWageStep returns the check of the step after current (1-based; 0
// means no step recorded yet, so the first), or false when current is the
// last step or there is no schedule.
func (p *Program) NextWageStep(current int, e *Evidence, start, asOf Date) (WageCheck, bool) {
	if current >= len(p.WageSchedule) {
		return WageCheck{}, false
	}
	return p.WageEligibility(current+1, e, start, asOf), true
}

func groupThousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func formatMinutes(m int) string {
	h := groupThousands(m / 60)
	if m%60 == 0 {
		return h
	}
	return fmt.Sprintf("%s h %d min", h, m%60)
}

func (p *Program) validateWages(ps *problems, path string) {
	if p.Settings.JourneyworkerRate < 0 {
		ps.add(path+".settings.journeyworker_rate", "the journeyworker rate cannot be negative")
	}
	if len(p.WageSchedule) > maxWageSteps {
		ps.add(path+".wage_schedule", "a wage schedule may have at most %d steps", maxWageSteps)
	}
	prev := 0.0
	for i := range p.WageSchedule {
		s := &p.WageSchedule[i]
		sp := fmt.Sprintf("%s.wage_schedule[%d]", path, i)
		checkText(ps, sp+".title", s.Title)
		switch {
		case s.Percent < 0 || s.HourlyRate < 0:
			ps.add(sp, "a wage cannot be negative")
		case (s.Percent > 0) == (s.HourlyRate > 0):
			ps.add(sp, "give either percent (of the journeyworker rate) or hourly_rate, not both or neither")
		case s.Percent > 100:
			ps.add(sp+".percent", "a step cannot pay more than 100%% of the journeyworker rate")
		case s.Percent > 0 && p.Settings.JourneyworkerRate <= 0:
			ps.add(sp+".percent", "a percentage needs the journeyworker rate (settings.journeyworker_rate)")
		case s.HourlyRate > 0 && math.Abs(s.HourlyRate*100-math.Round(s.HourlyRate*100)) > 1e-6:
			ps.add(sp+".hourly_rate", "give the hourly rate in dollars and cents, like 18.50")
		default:
			amount, _ := p.WageRate(i)
			if i > 0 && amount <= prev {
				ps.add(sp, "each step must pay more than the one before ($%.2f after $%.2f)", amount, prev)
			}
			prev = amount
		}
		if s.OJLHours < 0 || s.CompetenciesSignedOff < 0 || s.MonthsAfterStart < 0 {
			ps.add(sp, "hours, competency counts and months cannot be negative")
		}
		if s.CompetenciesSignedOff > len(p.Competencies) {
			ps.add(sp+".competencies_signed_off", "the program has only %d competencies", len(p.Competencies))
		}
		if i == 0 && s.hasConditions() {
			ps.add(sp, "the first step is the wage at registration and has no conditions")
		}
		if i > 0 && !s.hasConditions() {
			ps.add(sp, "give at least one condition (ojl_hours, competencies_signed_off, competencies or months_after_start)")
		}
		seen := map[string]int{}
		for j, code := range s.Competencies {
			cp := fmt.Sprintf("%s.competencies[%d]", sp, j)
			if p.Competency(code) == nil {
				ps.add(cp, "%q is not one of the program's competencies", code)
			}
			checkUnique(ps, seen, cp, code, "competency")
		}
	}
}

// DescribeWageSchedule says the whole schedule in one line, for version
// differences and program pages: "Start: 65% of the journeyworker rate
// ($14.30 an hour); Step 2: ... after 1,000 approved OJL hours and 6
// months after the start".
func (p *Program) DescribeWageSchedule() string {
	var parts []string
	for i := range p.WageSchedule {
		s := &p.WageSchedule[i]
		line := s.Title + ": " + p.DescribeWage(i)
		if needs := s.describeConditions(p); needs != "" {
			line += " after " + needs
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, "; ")
}

func (s *WageStep) describeConditions(p *Program) string {
	var needs []string
	if s.OJLHours > 0 {
		needs = append(needs, groupThousands(s.OJLHours)+" approved OJL hours")
	}
	if s.CompetenciesSignedOff > 0 {
		needs = append(needs, fmt.Sprintf("%d competencies signed off", s.CompetenciesSignedOff))
	}
	for _, code := range s.Competencies {
		title := code
		if c := p.Competency(code); c != nil {
			title = c.Title
		}
		needs = append(needs, title+" signed off")
	}
	if s.MonthsAfterStart > 0 {
		needs = append(needs, fmt.Sprintf("%d months after the start", s.MonthsAfterStart))
	}
	return strings.Join(needs, " and ")
}

// DescribeWageConditions says what step i (0-based) needs ("" for none).
func (p *Program) DescribeWageConditions(i int) string {
	if i < 0 || i >= len(p.WageSchedule) {
		return ""
	}
	return p.WageSchedule[i].describeConditions(p)
}
