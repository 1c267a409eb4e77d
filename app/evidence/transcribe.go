package evidence

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/assessments"
)

// Transcribe records an observed performance transcribed from a paper
// checklist (assessments.NewTranscribedObservation) in the enrollment rec,
// with its audit entry in the same transaction. Who may transcribe is the
// caller's policy (directors and HR).
func (s *Service) Transcribe(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.TranscriptionRequest) (assessments.Observation, bool, error) {
	enrollmentID := rec.Enrollment.ID
	fp := assessments.Fingerprint(assessments.OpTranscribe, enrollmentID, req)
	var existing observationRow
	if found, err := s.replay(ctx, &existing, "observer_id", by.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.Observation{}, false, err
		}
		return retry(existing.observation(), req.IdempotencyKey, existing.RequestHash, existing.EnrollmentID, fp, enrollmentID)
	}
	if err := s.open(ctx, rec); err != nil {
		return assessments.Observation{}, false, err
	}
	o, err := assessments.NewTranscribedObservation(rec.Enrollment, by, req, s.Now())
	if err != nil {
		return assessments.Observation{}, false, err
	}
	o.RequestHash = fp
	out, again, err := s.Store.AddObservation(ctx, *o)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.EnrollmentID, fp, enrollmentID)
}

// TranscribePaperSignOff records a sign-off signed on paper
// (assessments.NewPaperSignOff) in the enrollment rec, with its audit
// entry in the same transaction. It counts only where the program allows
// paper sign-offs; it is kept either way.
func (s *Service) TranscribePaperSignOff(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.PaperSignOffRequest) (assessments.PaperSignOff, bool, error) {
	enrollmentID := rec.Enrollment.ID
	fp := assessments.Fingerprint(assessments.OpPaperSignOff, enrollmentID, req)
	var existing paperSignOffRow
	if found, err := s.replay(ctx, &existing, "transcribed_by", by.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.PaperSignOff{}, false, err
		}
		return retry(existing.paperSignOff(), req.IdempotencyKey, existing.RequestHash, existing.EnrollmentID, fp, enrollmentID)
	}
	if err := s.open(ctx, rec); err != nil {
		return assessments.PaperSignOff{}, false, err
	}
	p, err := assessments.NewPaperSignOff(rec.Enrollment, by, req, s.Now())
	if err != nil {
		return assessments.PaperSignOff{}, false, err
	}
	p.RequestHash = fp
	out, again, err := s.Store.AddPaperSignOff(ctx, *p)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.EnrollmentID, fp, enrollmentID)
}

// AddPaperSignOff stores a transcribed paper sign-off, its audit entry and
// the webhook events also (clearance.changed) in one transaction (a replay
// under the same key returns the first).
func (s *Store) AddPaperSignOff(ctx context.Context, p assessments.PaperSignOff) (assessments.PaperSignOff, bool, error) {
	setID(&p.ID)
	row := paperSignOffRowOf(&p)
	var existing paperSignOffRow
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{p.ApprenticeID}, func(ctx context.Context) error {
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
			return s.record(ctx, tx, ActionPaperSignOff, "paper_sign_off", p.ID, nil, p)
		})
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "transcribed_by", p.TranscribedBy, p.IdempotencyKey).Scan(ctx)
	})
	if err != nil {
		return p, false, fmt.Errorf("record paper sign-off: %w", err)
	}
	if replayed {
		return existing.paperSignOff(), true, nil
	}
	return p, false, nil
}
