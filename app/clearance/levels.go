package clearance

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/curriculum"
)

// Levels is the webhooks.Levels of the service: people's decisions on the
// organisation's day now (in loc), read through the given database or
// transaction, bypassing the decision cache.
func (s *Service) Levels(now func() time.Time, loc *time.Location) webhooks.Levels {
	return func(ctx context.Context, idb bun.IDB, personIDs []string) (map[string][]webhooks.ClearanceData, error) {
		today := Today(now(), loc)
		in := &Service{Evidence: s.Evidence.WithDB(idb), CacheSize: -1}
		res, err := in.evaluate(ctx, personIDs, today, time.Time{}, evidence.DecisionFields, false)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]webhooks.ClearanceData, len(res))
		for p, r := range res {
			for _, d := range r.Decisions {
				out[p] = append(out[p], EventData(p, r.Enrollment.SiteID, d, today))
			}
		}
		return out, nil
	}
}

// EventData is a clearance event's data for decision d (its level as
// After, its lapse day and reasons) on day asOf; Before is the caller's.
func EventData(person, site string, d curriculum.Decision, asOf curriculum.Date) webhooks.ClearanceData {
	out := webhooks.ClearanceData{PersonID: person, SiteID: site, Task: d.Task, AsOf: asOf.String(), After: d.Status.String(),
		LapsesOn: d.LapsesOn.String(), Reasons: []webhooks.ClearanceReason{}}
	for i := range d.Reasons {
		r := &d.Reasons[i]
		out.Reasons = append(out.Reasons, webhooks.ClearanceReason{Code: r.Code.String(), Message: r.Message()})
	}
	return out
}
