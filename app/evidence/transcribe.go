package evidence

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
)

// Historical evidence transcribed from paper by directors and HR (who may
// is the caller's policy): each write stores the record, its audit entry,
// the clearance.changed events it causes and the scanned page sent with
// it (scan, nil for none; see Upload) in one transaction.

// Transcribe records an observed performance transcribed from a paper
// checklist (assessments.NewTranscribedObservation) in the enrollment rec.
func (s *Service) Transcribe(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.TranscriptionRequest, scan *Upload) (assessments.Observation, bool, error) {
	fp := assessments.Fingerprint(assessments.OpTranscribe, rec.Enrollment.ID, req)
	return transcribe(ctx, s, rec, observations, by.ID, req.IdempotencyKey, fp, scan, func() (*assessments.Observation, error) {
		return assessments.NewTranscribedObservation(rec.Enrollment, by, req, s.Now())
	})
}

// TranscribeSelfLog records a self-logged performance verified on paper
// (assessments.NewTranscribedSelfLog) in the enrollment rec.
func (s *Service) TranscribeSelfLog(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.PaperSelfLogRequest, scan *Upload) (assessments.SelfLog, bool, error) {
	fp := assessments.Fingerprint(assessments.OpTranscribeSelfLog, rec.Enrollment.ID, req)
	return transcribe(ctx, s, rec, selfLogs, by.ID, req.IdempotencyKey, fp, scan, func() (*assessments.SelfLog, error) {
		return assessments.NewTranscribedSelfLog(rec.Enrollment, by, req, s.Now())
	})
}

// TranscribeHours records hours approved on paper
// (assessments.NewTranscribedHours) in the enrollment rec.
func (s *Service) TranscribeHours(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.PaperHoursRequest, scan *Upload) (assessments.HoursEntry, bool, error) {
	fp := assessments.Fingerprint(assessments.OpTranscribeHours, rec.Enrollment.ID, req)
	return transcribe(ctx, s, rec, hours, by.ID, req.IdempotencyKey, fp, scan, func() (*assessments.HoursEntry, error) {
		return assessments.NewTranscribedHours(rec.Enrollment, by, req, s.Now())
	})
}

// TranscribeTest records a knowledge test graded on paper
// (assessments.NewTranscribedTest) in the enrollment rec.
func (s *Service) TranscribeTest(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.PaperTestRequest, scan *Upload) (assessments.TestResult, bool, error) {
	fp := assessments.Fingerprint(assessments.OpTranscribeTest, rec.Enrollment.ID, req)
	return transcribe(ctx, s, rec, tests, by.ID, req.IdempotencyKey, fp, scan, func() (*assessments.TestResult, error) {
		return assessments.NewTranscribedTest(rec.Enrollment, by, req, s.Now())
	})
}

// TranscribePaperSignOff records a sign-off signed on paper
// (assessments.NewPaperSignOff) in the enrollment rec. It counts only
// where the program allows paper sign-offs; it is kept either way.
func (s *Service) TranscribePaperSignOff(ctx context.Context, rec *assessments.Records, by assessments.Actor, req assessments.PaperSignOffRequest, scan *Upload) (assessments.PaperSignOff, bool, error) {
	fp := assessments.Fingerprint(assessments.OpPaperSignOff, rec.Enrollment.ID, req)
	return transcribe(ctx, s, rec, paperSignOffs, by.ID, req.IdempotencyKey, fp, scan, func() (*assessments.PaperSignOff, error) {
		return assessments.NewPaperSignOff(rec.Enrollment, by, req, s.Now())
	})
}

// transcribe is write with the scanned page read and checked first (a
// refused file stores nothing) and stored with the record. Transcribed
// records are looked up under the transcriber's key.
func transcribe[T, R any](ctx context.Context, s *Service, rec *assessments.Records, kindOf func(*Store) kind[T, R], by, key, fp string, up *Upload, build func() (*T, error)) (T, bool, error) {
	scan, err := readScan(up)
	if err != nil {
		var zero T
		return zero, false, err
	}
	k := kindOf(s.Store.withScan(scan))
	k.col = "transcribed_by"
	return write(ctx, s, rec.Enrollment, k, by, key, fp, build)
}

func selfLogs(st *Store) kind[assessments.SelfLog, selfLogRow] {
	return kind[assessments.SelfLog, selfLogRow]{col: "apprentice_id", of: (*selfLogRow).selfLog,
		ref: func(l *assessments.SelfLog) (*string, string) { return &l.RequestHash, l.EnrollmentID },
		add: st.AddSelfLog}
}

func hours(st *Store) kind[assessments.HoursEntry, hoursRow] {
	return kind[assessments.HoursEntry, hoursRow]{col: "apprentice_id", of: (*hoursRow).entry,
		ref: func(h *assessments.HoursEntry) (*string, string) { return &h.RequestHash, h.EnrollmentID },
		add: st.AddHours}
}

func paperSignOffs(st *Store) kind[assessments.PaperSignOff, paperSignOffRow] {
	return kind[assessments.PaperSignOff, paperSignOffRow]{col: "transcribed_by", of: (*paperSignOffRow).paperSignOff,
		ref: func(p *assessments.PaperSignOff) (*string, string) { return &p.RequestHash, p.EnrollmentID },
		add: st.AddPaperSignOff}
}

// AddPaperSignOff stores a transcribed paper sign-off with its audit
// entry, its scan (withScan) and the clearance.changed events it causes in
// one transaction (a replay under the same key returns the first).
func (s *Store) AddPaperSignOff(ctx context.Context, p assessments.PaperSignOff) (assessments.PaperSignOff, bool, error) {
	setID(&p.ID)
	row := paperSignOffRowOf(&p)
	var existing paperSignOffRow
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.addRecord(ctx, tx, p.ApprenticeID, row, ActionPaperSignOff, "paper_sign_off", p.ID, p, p.EnrollmentID, p.TranscribedBy)
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

// RevokePaper records a director's revocation of a paper sign-off of the
// enrollment rec (assessments.RevokePaper), as Revoke does for electronic
// ones: a paper sign-off is revoked at most once, which the write checks.
func (s *Service) RevokePaper(ctx context.Context, rec *assessments.Records, paperID string, by assessments.Actor, req assessments.RevocationRequest) (assessments.Revocation, bool, error) {
	fp := assessments.Fingerprint(assessments.OpRevokePaper, paperID, req)
	var existing paperRevocationRow
	again := func() (assessments.Revocation, bool, error) {
		return retry(existing.revocation(), req.IdempotencyKey, existing.RequestHash, existing.PaperSignOffID, fp, paperID)
	}
	if found, err := s.replay(ctx, &existing, "revoked_by", by.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.Revocation{}, false, err
		}
		return again()
	}
	i := slices.IndexFunc(rec.PaperSignOffs, func(p assessments.PaperSignOff) bool { return p.ID == paperID })
	if i < 0 {
		return assessments.Revocation{}, false, db.ErrNotFound
	}
	r, err := assessments.RevokePaper(&rec.PaperSignOffs[i], rec.Revocations, by, req, rec.Enrollment.Version.Location(), s.Now())
	if err != nil {
		if found, rerr := s.replay(ctx, &existing, "revoked_by", by.ID, req.IdempotencyKey); rerr == nil && found {
			return again() // see replay
		}
		return assessments.Revocation{}, false, err
	}
	r.RequestHash = fp
	out, replayed, err := s.Store.AddPaperRevocation(ctx, *r)
	if err != nil || !replayed {
		return out, replayed, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.SignOffID, fp, paperID)
}

// AddPaperRevocation stores the revocation of a paper sign-off, filed in
// the audit trail under the paper sign-off, with the clearance.changed
// events it causes; a paper sign-off is revoked at most once.
func (s *Store) AddPaperRevocation(ctx context.Context, r assessments.Revocation) (assessments.Revocation, bool, error) {
	setID(&r.ID)
	row := &paperRevocationRow{ID: r.ID, PaperSignOffID: r.SignOffID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID,
		Competency: r.Competency, EffectiveOn: r.EffectiveOn, Reason: r.Reason, RevokedBy: r.RevokedBy, RevokerName: r.RevokerName,
		RecordedAt: r.RecordedAt.UTC(), IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
	var existing paperRevocationRow
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{r.ApprenticeID}, func(ctx context.Context) error {
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
			return s.record(ctx, tx, ActionRevokePaper, "paper_sign_off", r.SignOffID, nil, r)
		})
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "revoked_by", r.RevokedBy, r.IdempotencyKey).Scan(ctx)
	})
	switch {
	case errors.Is(err, db.ErrConflict):
		return r, false, assessments.ErrAlreadyRevoked
	case err != nil:
		return r, false, fmt.Errorf("record revocation of a paper sign-off: %w", err)
	case replayed:
		return existing.revocation(), true, nil
	}
	return r, false, nil
}
