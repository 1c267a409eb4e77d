package evidence

import (
	"context"
	"slices"

	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// clearanceChanges returns the clearance.changed events a write causes:
// for every task of the person's program whose level as of today differs
// between their records as the clearance service decides on them (the
// enrollment in force, with the hire date and holds it carries) and the
// same records with the write applied. It is computed before the write and
// emitted in the write's transaction, so the event exists exactly when the
// change committed. It is empty when no endpoint subscribes, when there is
// no ClearanceRecords, or when rec is not the enrollment in force today (a
// write to another enrollment does not change today's levels).
//
// Records committed by others between this read and the write are not in
// "before"; the levels are of the moment the writer read.
func (s *Service) clearanceChanges(ctx context.Context, rec *assessments.Records, apply func(r *assessments.Records)) ([]webhooks.Event, error) {
	if s.ClearanceRecords == nil || s.Store.Outbox == nil {
		return nil, nil
	}
	if want, err := s.Store.Outbox.Wants(ctx, s.Store.DB, webhooks.ClearanceChanged); err != nil || !want {
		return nil, err
	}
	today := curriculum.DateOf(s.Now(), rec.Enrollment.Version.Location())
	base, err := s.ClearanceRecords(ctx, rec.Enrollment.ApprenticeID, today)
	if err != nil || base == nil || base.Enrollment.ID != rec.Enrollment.ID {
		return nil, err
	}
	rules := base.Enrollment.Version.Rules
	before := rules.Evaluate(assessments.BuildEvidence(base), today)
	next := *base
	apply(&next)
	after := rules.Evaluate(assessments.BuildEvidence(&next), today)
	var out []webhooks.Event
	for _, a := range after {
		i := slices.IndexFunc(before, func(b curriculum.Decision) bool { return b.Task == a.Task })
		if i < 0 || before[i].Status == a.Status {
			continue
		}
		d := webhooks.ClearanceData{PersonID: rec.Enrollment.ApprenticeID, SiteID: rec.Enrollment.SiteID, Task: a.Task, AsOf: today.String(),
			Before: before[i].Status.String(), After: a.Status.String(), LapsesOn: a.LapsesOn.String(), Reasons: []webhooks.ClearanceReason{}}
		for j := range a.Reasons {
			r := &a.Reasons[j]
			d.Reasons = append(d.Reasons, webhooks.ClearanceReason{Code: r.Code.String(), Message: r.Message()})
		}
		out = append(out, webhooks.Event{Type: webhooks.ClearanceChanged, SiteIDs: []string{rec.Enrollment.SiteID}, Data: d})
	}
	return out, nil
}
