// Package wages keeps each apprentice's progressive wage schedule: the
// step in force (the program version's schedule, curriculum.WageStep),
// what the next step needs, and the approved step changes (table
// wage_steps, owned here) with their effective dates and approvers.
//
// The first step, the wage at registration, is implied from the
// enrollment's start and never stored; every later step is a row written
// with its audit entry in one transaction, and only when the person meets
// the step's conditions on its effective date. The reminders job tells
// directors and HR when someone becomes eligible (app/reminders).
package wages

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// ActionApprove is the audit action of an approved wage step.
const ActionApprove = "wage.step_approve"

// Step is one approved wage step of an enrollment (table wage_steps).
// Title, Percent and HourlyCents are what the program version said the
// step pays when it was approved.
type Step struct {
	bun.BaseModel `bun:"table:wage_steps"`
	ID            string          `bun:"id,pk"`
	PersonID      string          `bun:"person_id"`
	EnrollmentID  string          `bun:"enrollment_id"`
	Step          int             `bun:"step"`
	Title         string          `bun:"title"`
	Percent       float64         `bun:"percent"`
	HourlyCents   int             `bun:"hourly_cents"`
	EffectiveOn   curriculum.Date `bun:"effective_on"`
	ApprovedBy    string          `bun:"approved_by"`
	ApprovedAt    time.Time       `bun:"approved_at"`
}

// Hourly is the step's hourly wage in dollars (0: not known).
func (s *Step) Hourly() float64 { return float64(s.HourlyCents) / 100 }

// Registration is the wage at registration of an enrollment in program p:
// its first step, in force from the start of the apprenticeship (the
// first enrollment's start, through moves: Enrollment.ApprenticeshipStart)
// (RAPIDS' "wage at registration"). False when the program has no wage
// schedule.
func Registration(p *curriculum.Program, e *assessments.Enrollment) (Step, bool) {
	if len(p.WageSchedule) == 0 {
		return Step{}, false
	}
	return stepRow(p, 1, e, e.ApprenticeshipStart()), true
}

func stepRow(p *curriculum.Program, n int, e *assessments.Enrollment, on curriculum.Date) Step {
	ws := &p.WageSchedule[n-1]
	amount, _ := p.WageRate(n - 1)
	return Step{PersonID: e.ApprenticeID, EnrollmentID: e.ID, Step: n, Title: ws.Title, Percent: ws.Percent,
		HourlyCents: int(math.Round(amount * 100)), EffectiveOn: on}
}

// Service reads and records wage steps.
type Service struct {
	DB        *db.DB
	Audit     *audit.Log
	Clearance *clearance.Service
	Now       func() time.Time
	// Location is the organisation's zone, in which "today" is counted.
	Location *time.Location
}

// History returns, by enrollment id, the approved steps of each of the
// enrollments (not the implied first step), lowest step first: the read
// RAPIDS and reports use (with Registration for the first). A move to
// another program version keeps the apprenticeship, so an enrollment's
// history includes the steps approved on the enrollments it was moved
// from (by number; each row keeps its own enrollment id and pay).
func (s *Service) History(ctx context.Context, enrollmentIDs []string) (map[string][]Step, error) {
	prev := map[string][]string{}
	if s.Clearance != nil {
		var err error
		if prev, _, err = s.Clearance.Evidence.Store.Chains(ctx, enrollmentIDs); err != nil {
			return nil, fmt.Errorf("wage steps: %w", err)
		}
	}
	all := append([]string(nil), enrollmentIDs...)
	for _, p := range prev {
		all = append(all, p...)
	}
	var rows []Step
	if err := s.DB.NewSelect().Model(&rows).Where("enrollment_id IN (?)", db.IDs(all)).
		OrderExpr("step, effective_on").Scan(ctx); err != nil {
		return nil, fmt.Errorf("wage steps: %w", db.Translate(err))
	}
	own := map[string][]Step{}
	for _, r := range rows {
		own[r.EnrollmentID] = append(own[r.EnrollmentID], r)
	}
	out := map[string][]Step{}
	for _, id := range enrollmentIDs {
		var h []Step
		for _, e := range append([]string{id}, prev[id]...) {
			h = append(h, own[e]...)
		}
		slices.SortStableFunc(h, func(a, b Step) int { return a.Step - b.Step })
		if len(h) > 0 {
			out[id] = h
		}
	}
	return out, nil
}

// ForPeople returns every approved step of the people's enrollments,
// by person, then effective date and step: the history export's rows.
func (s *Service) ForPeople(ctx context.Context, personIDs []string) ([]Step, error) {
	var rows []Step
	if err := s.DB.NewSelect().Model(&rows).Where("person_id IN (?)", db.IDs(personIDs)).
		OrderExpr("person_id, effective_on, step").Scan(ctx); err != nil {
		return nil, fmt.Errorf("wage steps: %w", db.Translate(err))
	}
	return rows, nil
}

// Status is where a person stands on their program's wage schedule.
type Status struct {
	PersonID   string
	Enrollment *assessments.Enrollment
	Program    *curriculum.Program
	AsOf       curriculum.Date
	// Current is the step in force on AsOf (the implied first step, with
	// EffectiveOn the enrollment's start, when none was approved).
	Current Step
	// Next is the next step's check on AsOf; nil on the last step.
	Next *curriculum.WageCheck
	// History is the approved steps, lowest first.
	History []Step
}

// Scheduled reports whether the person's program has a wage schedule.
func (st *Status) Scheduled() bool { return len(st.Program.WageSchedule) > 0 }

// Wage says what step n (1-based) pays.
func (st *Status) Wage(n int) string { return st.Program.DescribeWage(n - 1) }

// Rate is step n's hourly amount ("$14.30 an hour"), or its full
// description when the amount cannot be told (a percentage without a
// journeyworker rate): the one-line summary's form.
func (st *Status) Rate(n int) string {
	if amount, ok := st.Program.WageRate(n - 1); ok {
		return fmt.Sprintf("$%.2f an hour", amount)
	}
	return st.Wage(n)
}

// Title is step n's title.
func (st *Status) Title(n int) string {
	if n < 1 || n > len(st.Program.WageSchedule) {
		return ""
	}
	return st.Program.WageSchedule[n-1].Title
}

// Steps lists the schedule's step numbers after the current one (the
// form's choices).
func (st *Status) Steps() []int {
	var out []int
	for n := st.Current.Step + 1; n <= len(st.Program.WageSchedule); n++ {
		out = append(out, n)
	}
	return out
}

// StatusOf is the person's status from their clearance result (the
// enrollment in force on its day, and its records) and the enrollment's
// approved steps.
func StatusOf(r *clearance.Result, approved []Step) *Status {
	p := r.Program()
	st := &Status{PersonID: r.PersonID, Enrollment: r.Enrollment, Program: p, AsOf: r.AsOf, History: approved}
	if len(p.WageSchedule) == 0 {
		return st
	}
	start := r.Enrollment.ApprenticeshipStart() // a move continues the apprenticeship
	st.Current = stepRow(p, 1, r.Enrollment, start)
	for _, a := range approved {
		if a.Step > st.Current.Step && !a.EffectiveOn.After(r.AsOf) {
			st.Current = a
		}
	}
	if c, ok := p.NextWageStep(st.Current.Step, assessments.BuildEvidence(r.Records), start, r.AsOf); ok {
		st.Next = &c
	}
	return st
}

// Today is the organisation's calendar day now.
func (s *Service) Today() curriculum.Date { return curriculum.DateOf(s.Now(), s.Location) }

// For is a person's status today; clearance.ErrNotEnrolled when they have
// no enrollment in force.
func (s *Service) For(ctx context.Context, personID string) (*Status, error) {
	r, err := s.Clearance.For(ctx, personID, s.Today())
	if err != nil {
		return nil, err
	}
	h, err := s.History(ctx, []string{r.Enrollment.ID})
	if err != nil {
		return nil, err
	}
	return StatusOf(r, h[r.Enrollment.ID]), nil
}

// Approve records that the person moves to wage step (its number, as
// typed) from effective (YYYY-MM-DD), approved by the actor of ctx, with
// its audit entry in the same transaction. visible says whether the
// caller may see the enrollment in force that day (otherwise the answer
// is clearance.ErrNotEnrolled, as for one they are not in).
//
// Mistakes name their field: step (not a later step of the schedule, or
// the person does not meet its conditions on the effective date, saying
// what is missing) and effective_on (not a date, in the future, before the
// enrollment or the step in force).
func (s *Service) Approve(ctx context.Context, personID, step, effective string, visible func(*assessments.Enrollment) bool) (*Step, error) {
	today := s.Today()
	on, err := curriculum.ParseDate(strings.TrimSpace(effective))
	if err != nil {
		return nil, errkind.BadFields(map[string]string{"effective_on": "Give the effective date as YYYY-MM-DD."})
	}
	if on.After(today) {
		return nil, errkind.WithFields(errkind.Invalid, "The effective date is in the future.",
			map[string]string{"effective_on": "The effective date cannot be after today (" + today.String() + "): approve the step on or after the day it takes effect."})
	}
	n, err := strconv.Atoi(strings.TrimSpace(step))
	if err != nil {
		return nil, errkind.BadFields(map[string]string{"step": "Choose a wage step."})
	}
	r, err := s.Clearance.For(ctx, personID, on)
	if errors.Is(err, clearance.ErrNotEnrolled) || err == nil && !visible(r.Enrollment) {
		return nil, errkind.WithFields(errkind.Invalid, "The person is not enrolled on the effective date.",
			map[string]string{"effective_on": "The person is not enrolled in a program on " + on.String() + "."})
	}
	if err != nil {
		return nil, err
	}
	p := r.Program()
	if len(p.WageSchedule) == 0 {
		return nil, errkind.New(errkind.Invalid, "The person's program version has no wage schedule.")
	}
	h, err := s.History(ctx, []string{r.Enrollment.ID})
	if err != nil {
		return nil, err
	}
	st := StatusOf(r, h[r.Enrollment.ID])
	last := st.Current
	for _, a := range st.History {
		if a.Step > last.Step {
			last = a
		}
	}
	switch {
	case n <= last.Step || n > len(p.WageSchedule):
		return nil, errkind.WithFields(errkind.Invalid, "That is not a later wage step.", map[string]string{
			"step": fmt.Sprintf("Choose a step after %s (step %d), the step already approved.", last.Title, last.Step)})
	case on.Before(last.EffectiveOn):
		return nil, errkind.WithFields(errkind.Invalid, "The effective date is before the step in force.", map[string]string{
			"effective_on": fmt.Sprintf("The effective date cannot be before %s, when %s took effect.", last.EffectiveOn, last.Title)})
	}
	check := p.WageEligibility(n, assessments.BuildEvidence(r.Records), r.Enrollment.ApprenticeshipStart(), on)
	if !check.Eligible {
		return nil, errkind.WithFields(errkind.Invalid, "The person is not eligible for that wage step.", map[string]string{
			"step": fmt.Sprintf("Not eligible for %s on %s: %s.", p.WageSchedule[n-1].Title, on, strings.Join(check.Missing, "; "))})
	}
	row := stepRow(p, n, r.Enrollment, on)
	row.ID, row.ApprovedAt, row.ApprovedBy = uuid.Must(uuid.NewV7()).String(), s.Now().UTC().Truncate(time.Microsecond), audit.Unattributed
	if a, ok := audit.ActorFrom(ctx); ok {
		row.ApprovedBy = a.ID
	}
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionApprove, EntityType: "person", EntityID: personID,
			Before: map[string]any{"step": last.Step, "title": last.Title},
			After: map[string]any{"step": n, "title": row.Title, "wage": p.DescribeWage(n - 1), "effective_on": on.String(),
				"enrollment_id": r.Enrollment.ID}})
	})
	if errors.Is(err, db.ErrConflict) {
		return nil, errkind.WithFields(errkind.Conflict, "This step was approved by someone else a moment ago.",
			map[string]string{"step": "Someone else approved this step a moment ago; reload the page."})
	}
	if err != nil {
		return nil, err
	}
	return &row, nil
}
