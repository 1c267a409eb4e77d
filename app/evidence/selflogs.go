package evidence

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
)

// LogPerformance records an apprentice's "I performed this under
// supervision of X" in the enrollment rec (as loaded by Enrollment); it
// counts once X verifies it.
func (s *Service) LogPerformance(ctx context.Context, rec *assessments.Records, apprentice assessments.Actor, req assessments.SelfLogRequest) (assessments.SelfLog, bool, error) {
	enrollmentID := rec.Enrollment.ID
	fp := assessments.Fingerprint(assessments.OpSelfLog, enrollmentID, req)
	var existing selfLogRow
	if found, err := s.replay(ctx, &existing, "apprentice_id", apprentice.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.SelfLog{}, false, err
		}
		return retry(existing.selfLog(), req.IdempotencyKey, existing.RequestHash, existing.EnrollmentID, fp, enrollmentID)
	}
	if err := s.open(ctx, rec.Enrollment.ID); err != nil {
		return assessments.SelfLog{}, false, err
	}
	if req.SiteID == "" {
		req.SiteID = rec.Enrollment.SiteID
	}
	l, err := assessments.NewSelfLog(rec.Enrollment, apprentice, req, s.Now())
	if err != nil {
		return assessments.SelfLog{}, false, err
	}
	l.RequestHash = fp
	out, again, err := s.Store.AddSelfLog(ctx, *l)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.EnrollmentID, fp, enrollmentID)
}

// LogHours records OJL or RTI hours for approval in the enrollment rec (as
// loaded by Enrollment).
func (s *Service) LogHours(ctx context.Context, rec *assessments.Records, apprentice assessments.Actor, req assessments.HoursRequest) (assessments.HoursEntry, bool, error) {
	enrollmentID := rec.Enrollment.ID
	fp := assessments.Fingerprint(assessments.OpLogHours, enrollmentID, req)
	var existing hoursRow
	if found, err := s.replay(ctx, &existing, "apprentice_id", apprentice.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.HoursEntry{}, false, err
		}
		return retry(existing.entry(), req.IdempotencyKey, existing.RequestHash, existing.EnrollmentID, fp, enrollmentID)
	}
	if err := s.open(ctx, rec.Enrollment.ID); err != nil {
		return assessments.HoursEntry{}, false, err
	}
	var sameDay []assessments.HoursEntry
	for _, h := range rec.Hours {
		if h.WorkedOn == req.WorkedOn {
			sameDay = append(sameDay, h)
		}
	}
	h, err := assessments.NewHoursEntry(rec.Enrollment, apprentice, req, sameDay, s.Now())
	if err != nil {
		return assessments.HoursEntry{}, false, err
	}
	h.RequestHash = fp
	out, again, err := s.Store.AddHours(ctx, *h)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.EnrollmentID, fp, enrollmentID)
}

// Pending lists self-logs waiting for a supervisor and hours waiting for
// approval that the person may review: self-logs naming them, hours of
// apprentices assigned to them (or naming them); directors see all hours
// of the enrollments given.
type Pending struct {
	SelfLogs []assessments.SelfLog
	Hours    []assessments.HoursEntry
}

// PendingFor returns what reviewer may review among the enrollments.
func (s *Service) PendingFor(ctx context.Context, reviewer assessments.Actor, ens []assessments.Enrollment) (Pending, error) {
	var out Pending
	var logs []selfLogRow
	if err := s.Store.DB.NewSelect().Model(&logs).Where("supervisor_id = ? AND status = 'pending'", reviewer.ID).Order("logged_at").Scan(ctx); err != nil {
		return out, db.Translate(err)
	}
	for i := range logs {
		out.SelfLogs = append(out.SelfLogs, logs[i].selfLog())
	}
	if len(ens) == 0 {
		return out, nil
	}
	ids := make([]string, len(ens))
	for i, e := range ens {
		ids[i] = e.ID
	}
	var hours []hoursRow
	q := s.Store.DB.NewSelect().Model(&hours).Where("status = 'pending'").Where("enrollment_id IN (?)", bun.List(ids)).Order("worked_on")
	if !reviewer.Director {
		q.Where("(supervisor_id IS NULL OR supervisor_id = ?)", reviewer.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return out, db.Translate(err)
	}
	for i := range hours {
		out.Hours = append(out.Hours, hours[i].entry())
	}
	return out, nil
}

// ReviewSelfLog verifies (reason empty and verify true) or rejects a
// pending self-log; only the named supervisor may.
func (s *Service) ReviewSelfLog(ctx context.Context, id string, by assessments.Actor, verify bool, reason string) error {
	var row selfLogRow
	if err := s.Store.DB.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return db.Translate(err)
	}
	l := row.selfLog()
	rec, err := s.Enrollment(ctx, l.EnrollmentID)
	if err != nil {
		return err
	}
	if verify {
		err = l.Verify(rec.Enrollment, by, s.Now())
	} else {
		err = l.Reject(rec.Enrollment, by, reason, s.Now())
	}
	if err != nil {
		return err
	}
	return s.Store.ReviewSelfLog(ctx, l)
}

// ReviewHours approves or rejects a pending hours entry.
func (s *Service) ReviewHours(ctx context.Context, id string, by assessments.Actor, approve bool, reason string) error {
	var row hoursRow
	if err := s.Store.DB.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return db.Translate(err)
	}
	h := row.entry()
	e, err := s.Head(ctx, h.EnrollmentID) // enough to date a message in the program's zone
	if err != nil {
		return err
	}
	if approve {
		err = h.Approve(e, by, s.Now())
	} else {
		err = h.Reject(e, by, reason, s.Now())
	}
	if err != nil {
		return err
	}
	return s.Store.ReviewHours(ctx, h)
}
