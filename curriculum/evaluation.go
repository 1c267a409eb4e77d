package curriculum

import (
	"fmt"
	"strings"
)

// Limits of an evaluation schedule.
const (
	MaxEvaluationMonths = 24 // the longest interval between evaluations
	MaxEvaluationItems  = 50
	MaxRatingLevels     = 10
)

// EvaluationSchedule is a program's periodic evaluation of each
// apprentice's progress (a sponsor's record under 29 CFR 29.5(b)(6)):
// when evaluations fall due and the form the mentor completes.
type EvaluationSchedule struct {
	// EveryMonths: evaluation n is due n × EveryMonths months after the
	// enrollment's start date.
	EveryMonths int `json:"every_months"`
	// DueWindowDays: the evaluation shows as "due soon" this many days
	// before its due date; it is overdue from the day after.
	DueWindowDays int `json:"due_window_days,omitempty"`
	// Scale is the rating scale, lowest first.
	Scale []RatingLevel `json:"scale"`
	// Items are what the mentor rates, each on Scale.
	Items []EvaluationItem `json:"items"`
	// CommentsRequired: the mentor must write comments.
	CommentsRequired bool `json:"comments_required,omitempty"`
	// AtWageSteps: an evaluation is also due on the effective date of each
	// approved wage step (the program must have a wage schedule).
	AtWageSteps bool `json:"at_wage_steps,omitempty"`
}

// RatingLevel is one point of a rating scale.
type RatingLevel struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

// EvaluationItem is one rated line of the evaluation form.
type EvaluationItem struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// DueAfter returns the due date of the evaluation that follows one due on
// last (the zero Date: the first evaluation) for an enrollment that
// started on start and whose approved wage steps take effect on steps:
// the earliest of start + n × EveryMonths months (n = 1, 2, ...) and,
// with AtWageSteps, the steps' dates that comes after last. A step on the
// day of a periodic evaluation is that one evaluation; a step dated on or
// before an evaluation already due is covered by it. It is the one source
// of due dates: pages, reminders, reports and the signing rule all use it.
func (s *EvaluationSchedule) DueAfter(start Date, steps []Date, last Date) Date {
	due := start.AddMonths(s.EveryMonths)
	for n := 2; !due.After(last); n++ {
		due = start.AddMonths(n * s.EveryMonths)
	}
	if s.AtWageSteps {
		for _, d := range steps {
			if d.After(last) && d.Before(due) {
				due = d
			}
		}
	}
	return due
}

// Level returns the scale level with the given value, or nil.
func (s *EvaluationSchedule) Level(value int) *RatingLevel {
	for i := range s.Scale {
		if s.Scale[i].Value == value {
			return &s.Scale[i]
		}
	}
	return nil
}

func (s *EvaluationSchedule) validate(ps *problems, path string) {
	if s.EveryMonths < 1 || s.EveryMonths > MaxEvaluationMonths {
		ps.add(path+".every_months", "evaluations are due every 1 to %d months, not %d", MaxEvaluationMonths, s.EveryMonths)
	}
	// The shortest interval (every_months of 28-day Februaries) must hold
	// the window, or one evaluation would be due soon before the last.
	if s.DueWindowDays < 0 || (s.EveryMonths >= 1 && s.DueWindowDays >= s.EveryMonths*28) {
		ps.add(path+".due_window_days", "the due window is 0 or more days and shorter than the interval between evaluations")
	}
	if len(s.Scale) < 2 || len(s.Scale) > MaxRatingLevels {
		ps.add(path+".scale", "a rating scale has 2 to %d levels", MaxRatingLevels)
	}
	for i, l := range s.Scale {
		lp := fmt.Sprintf("%s.scale[%d]", path, i)
		checkText(ps, lp+".label", l.Label)
		if i > 0 && l.Value <= s.Scale[i-1].Value {
			ps.add(lp+".value", "list the levels lowest first: %d does not come after %d", l.Value, s.Scale[i-1].Value)
		}
	}
	if len(s.Items) < 1 || len(s.Items) > MaxEvaluationItems {
		ps.add(path+".items", "an evaluation form rates 1 to %d items", MaxEvaluationItems)
	}
	seen := map[string]int{}
	for i, it := range s.Items {
		ip := fmt.Sprintf("%s.items[%d]", path, i)
		checkCodeUnique(ps, seen, ip+".code", it.Code, "evaluation item")
		checkText(ps, ip+".text", it.Text)
	}
}

// Describe says the schedule in words: "every 3 months from the start".
func (s *EvaluationSchedule) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "every %d month", s.EveryMonths)
	if s.EveryMonths != 1 {
		b.WriteString("s")
	}
	b.WriteString(" from the start")
	if s.AtWageSteps {
		b.WriteString(" and at each wage step")
	}
	return b.String()
}

// DescribeEvaluations says the program's evaluation schedule and form in
// one line, for version diffs ("" when it has none).
func (p *Program) DescribeEvaluations() string {
	e := p.Evaluations
	if e == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(e.Describe())
	if e.DueWindowDays > 0 {
		fmt.Fprintf(&b, ", due soon %d days before", e.DueWindowDays)
	}
	b.WriteString("; scale")
	for i, l := range e.Scale {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %d %s", l.Value, l.Label)
	}
	b.WriteString("; rates")
	for i, it := range e.Items {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" " + it.Text)
	}
	if e.CommentsRequired {
		b.WriteString("; comments required")
	}
	return b.String()
}
