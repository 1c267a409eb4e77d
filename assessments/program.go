package assessments

import (
	"fmt"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// ProgramVersion is a compiled, published program version as this package
// uses it: the clearance rules, the organisation's time zone, and a second
// compiled view that answers "is this one competency current?". Build one
// per stored version with NewProgramVersion and cache it beside the compiled
// rules: it is immutable and safe for concurrent use.
type ProgramVersion struct {
	// ID is the storage id of the version.
	ID    string
	Rules *curriculum.Rules

	loc *time.Location
	// perCompetency has one synthetic task per competency (same code, no
	// credentials, no supervised level), so that Evaluate on it says for each
	// competency whether it and all its prerequisites are current, with the
	// engine's own reasons. curriculum has no per-competency query; this
	// keeps a single source of truth for "current" instead of re-implementing
	// the engine here.
	perCompetency *curriculum.Rules
	taskIndex     map[string]int
}

// NewProgramVersion prepares compiled rules for recording evidence. It
// returns an error (not an *Error: this is a set-up fault, not user input)
// if rules is nil or its time zone cannot be loaded.
func NewProgramVersion(id string, rules *curriculum.Rules) (*ProgramVersion, error) {
	if rules == nil {
		return nil, fmt.Errorf("assessments: program version %q has no compiled rules", id)
	}
	v := rules.Version()
	loc, err := v.Program.Settings.Location()
	if err != nil {
		return nil, fmt.Errorf("assessments: program version %q: %w", id, err)
	}
	d := v.Clone()
	d.Program.Tasks = make([]curriculum.Task, 0, len(d.Program.Competencies))
	for _, c := range d.Program.Competencies {
		d.Program.Tasks = append(d.Program.Tasks, curriculum.Task{
			Code:              c.Code,
			Title:             c.Title,
			Category:          c.Domain,
			Competencies:      []string{c.Code},
			DirectSupervision: curriculum.DirectNever,
		})
	}
	per, err := curriculum.Compile(d)
	if err != nil {
		return nil, fmt.Errorf("assessments: program version %q: per-competency rules: %w", id, err)
	}
	idx := make(map[string]int, len(d.Program.Tasks))
	for i, code := range per.Tasks() {
		idx[code] = i
	}
	return &ProgramVersion{ID: id, Rules: rules, loc: loc, perCompetency: per, taskIndex: idx}, nil
}

// Program returns the program content (read-only).
func (p *ProgramVersion) Program() *curriculum.Program { return &p.Rules.Version().Program }

// Published reports whether the version is published, and so immutable.
func (p *ProgramVersion) Published() bool { return p.Rules.Version().IsPublished() }

// Location returns the organisation's time zone.
func (p *ProgramVersion) Location() *time.Location { return p.loc }

// Day returns the organisation's calendar day of the instant t.
func (p *ProgramVersion) Day(t time.Time) curriculum.Date { return curriculum.DateOf(t, p.loc) }

// Competency returns the competency with the given code, or nil.
func (p *ProgramVersion) Competency(code string) *curriculum.Competency {
	return p.Program().Competency(code)
}

// CompetencyStanding is whether one competency, with all its transitive
// prerequisites, is current for a person on a day, in the engine's words.
type CompetencyStanding struct {
	Competency string
	// Current: the competency and every prerequisite are current.
	Current bool
	// Decision is the engine's decision for a task consisting of this
	// competency alone: its Reasons, NextSteps and LapsesOn.
	Decision curriculum.Decision
}

// Standings evaluates every competency of the version for the person whose
// evidence is e, as of asOf, in program order.
func (p *ProgramVersion) Standings(e *curriculum.Evidence, asOf curriculum.Date) []CompetencyStanding {
	ds := p.perCompetency.Evaluate(e, asOf)
	out := make([]CompetencyStanding, len(ds))
	for i, d := range ds {
		out[i] = CompetencyStanding{Competency: d.Task, Current: d.Status == curriculum.Cleared, Decision: d}
	}
	return out
}

// Standing is Standings for one competency; ok is false if the version has
// no such competency.
func (p *ProgramVersion) Standing(e *curriculum.Evidence, code string, asOf curriculum.Date) (CompetencyStanding, bool) {
	if _, ok := p.taskIndex[code]; !ok {
		return CompetencyStanding{}, false
	}
	d, err := p.perCompetency.EvaluateTask(e, code, asOf)
	if err != nil {
		return CompetencyStanding{}, false
	}
	return CompetencyStanding{Competency: code, Current: d.Status == curriculum.Cleared, Decision: d}, true
}
