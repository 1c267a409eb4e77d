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
// organisation's day now (in loc), as stand in the database or transaction
// idb. A person whose decision stamp, read through idb, is the one their
// cached decision or evidence snapshot carries is answered from memory:
// the stamp moves with every write that can change a decision, and a
// write's own stamp is not filed anywhere before it commits. So the levels
// before a write (webhooks.Outbox.Changing) usually cost one query, and
// those after it are decided through idb, seeing the write.
func (s *Service) Levels(now func() time.Time, loc *time.Location) webhooks.Levels {
	return func(ctx context.Context, idb bun.IDB, personIDs []string) (map[string][]webhooks.ClearanceData, error) {
		today := Today(now(), loc)
		out := make(map[string][]webhooks.ClearanceData, len(personIDs))
		add := func(p, site string, ds []curriculum.Decision) {
			for _, d := range ds {
				out[p] = append(out[p], EventData(p, site, d, today))
			}
		}
		in := &Service{Evidence: s.Evidence.WithDB(idb), CacheSize: -1}
		stamps, err := in.Evidence.Store.DecisionStamps(ctx, personIDs)
		if err != nil {
			return nil, err
		}
		var missing []string
		for _, p := range personIDs {
			d, ok, err := s.remembered(p, stamps[p], today)
			switch {
			case err != nil:
				return nil, err
			case !ok:
				missing = append(missing, p)
			case d != nil:
				ds, err := d.Decisions()
				if err != nil {
					return nil, err
				}
				add(p, d.Enrollment.SiteID, ds)
			}
		}
		res, err := in.evaluate(ctx, missing, today, time.Time{}, evidence.DecisionFields, false)
		if err != nil {
			return nil, err
		}
		for p, r := range res {
			add(p, r.Enrollment.SiteID, r.Decisions)
		}
		return out, nil
	}
}

// remembered is p's decision on day from the decision cache or p's
// evidence snapshot, when either carries stamp; a nil Decided with true:
// not enrolled that day. False: neither does.
func (s *Service) remembered(p string, stamp int64, day curriculum.Date) (*Decided, bool, error) {
	if e, ok := s.cache.get(cacheKey{p, day}); ok && e.stamp == stamp {
		return e.decided, true, nil
	}
	if sn, ok := s.snaps.get(p); ok && sn.stamp == stamp {
		return s.fromSnapshot(sn, p, day)
	}
	return nil, false, nil
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
