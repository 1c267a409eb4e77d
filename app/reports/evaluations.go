package reports

import (
	"context"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// EvaluationRow is one periodic evaluation of an apprentice on the as-of
// day: a completed or signed one, or the next one scheduled (upcoming,
// due soon, due or overdue).
type EvaluationRow struct {
	PersonID, Person, EnrollmentID string
	Seq                            int
	DueOn                          curriculum.Date
	Status                         Status
	Mentor, Credential             string
	SignedAt, AcknowledgedAt       time.Time // zero when not signed
}

var evaluationTones = map[assessments.EvaluationStatus]Tone{assessments.EvaluationCompleted: Good, assessments.EvaluationOverdue: Bad,
	assessments.EvaluationDue: Warn, assessments.EvaluationDueSoon: Warn, assessments.EvaluationAwaitingAck: Warn}

// evaluationRows lists, for each apprenticeship covered (the enrollment
// in force on the as-of day, with the evaluations of those it was moved
// from), its evaluations on the as-of day: those signed by then and the
// next one scheduled, due as the wage steps approved by then say.
func (s *Service) evaluationRows(ctx context.Context, q *Query, people []*accounts.Person) ([]EvaluationRow, error) {
	if s.Evaluations == nil {
		return nil, nil
	}
	ids := make([]string, len(people))
	names := map[string]string{}
	for i, p := range people {
		ids[i], names[p.ID] = p.ID, p.Name
	}
	ens, err := s.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: ids, VersionIDs: q.versionIDs()})
	if err != nil {
		return nil, err
	}
	var covered []*assessments.Enrollment
	for i := range ens {
		e := &ens[i]
		if !q.covers(e) || e.StartDate.After(q.AsOf) {
			continue
		}
		if e.Version, err = s.Evidence.Version(ctx, e.VersionID); err != nil { // compiled once per process
			return nil, err
		}
		covered = append(covered, e)
	}
	// Only the wage steps approved by the end of the day (or by known_at,
	// when asked as known earlier) count: a step approved later, even
	// with an earlier effective date, was not known then.
	knownBy := q.AsOf.AddDays(1).Time(s.location()).UTC()
	if !q.KnownAt.IsZero() && q.KnownAt.Before(knownBy) {
		knownBy = q.KnownAt
	}
	done, err := s.Evaluations.LoadKnownBy(ctx, knownBy, covered...)
	if err != nil {
		return nil, err
	}
	enrollmentIDs := make([]string, len(covered))
	for i, e := range covered {
		enrollmentIDs[i] = e.ID
	}
	history, err := s.Evidence.Store.StatusHistory(ctx, enrollmentIDs)
	if err != nil {
		return nil, err
	}
	recorded := func(at time.Time) bool { return q.KnownAt.IsZero() || at.Before(q.KnownAt) }
	var rows []EvaluationRow
	for _, e := range covered {
		if !e.MovedOn.IsZero() && !e.MovedOn.After(q.AsOf) {
			continue // moved on by then: its evaluations are listed with the new enrollment's
		}
		var known []assessments.Evaluation
		for _, ev := range done[e.ID] {
			if ev.SignedOn.After(q.AsOf) || !recorded(ev.Signature.SignedAt) {
				continue
			}
			if ev.Ack != nil && (ev.Ack.SignedOn.After(q.AsOf) || !recorded(ev.Ack.Signature.SignedAt)) {
				ev.Ack = nil
			}
			known = append(known, ev)
		}
		then := *e // the status on the day: evaluations stop being due when it ends
		then.History = history[e.ID]
		then.Status, _ = then.StatusOn(q.AsOf)
		for _, st := range assessments.EvaluationsOf(&then, known, q.AsOf) {
			row := EvaluationRow{PersonID: e.ApprenticeID, Person: names[e.ApprenticeID], EnrollmentID: e.ID, Seq: st.Seq,
				DueOn: st.DueOn, Status: Status{Text: st.Status.Label(), Tone: evaluationTones[st.Status]}}
			if ev := st.Evaluation; ev != nil {
				row.Mentor, row.Credential, row.SignedAt = ev.Signature.PrintedName, string(ev.Signature.Credential), ev.Signature.SignedAt
				if ev.Ack != nil {
					row.AcknowledgedAt = ev.Ack.Signature.SignedAt
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// Evaluations is the periodic evaluations report: completed, awaiting
// the apprentice's acknowledgement, due and overdue.
var Evaluations = &Report[EvaluationRow]{
	AsKnownAt: true,
	Title:     "Periodic evaluations: completed, awaiting acknowledgement, due and overdue", Sheet: "Evaluations",
	Columns: []Column{{Title: "Apprentice", Width: 24}, {Title: "Evaluation", Width: 10}, {Title: "Due on", Width: 12},
		{Title: "Status", Width: 24}, {Title: "Mentor (printed name)", Width: 24}, {Title: "Credential", Width: 10},
		{Title: "Signed at", Width: 24, Zoned: true}, {Title: "Acknowledged at", Width: 24, Zoned: true}},
	rows: (*Service).evaluationRows,
	cells: func(r EvaluationRow) []any {
		return []any{r.Person, r.Seq, r.DueOn, r.Status, r.Mentor, r.Credential, r.SignedAt, r.AcknowledgedAt}
	},
}
