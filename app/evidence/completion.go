package evidence

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// ActionComplete is the audit action of a director's completion signature.
const ActionComplete = "enrollment.complete"

// completionRow is a completion signature (table enrollment_completions).
type completionRow struct {
	bun.BaseModel  `bun:"table:enrollment_completions"`
	ID             string    `bun:"id,pk"`
	EnrollmentID   string    `bun:"enrollment_id"`
	StatusChangeID string    `bun:"status_change_id"`
	ApprenticeID   string    `bun:"apprentice_id"`
	VersionID      string    `bun:"version_id"`
	CompletedOn    string    `bun:"completed_on"`
	SignerID       string    `bun:"signer_id"`
	PrintedName    string    `bun:"printed_name"`
	Credential     string    `bun:"credential"`
	SignedAt       time.Time `bun:"signed_at"`
	TimeZone       string    `bun:"time_zone"`
	Meaning        string    `bun:"meaning"`
	Hash           string    `bun:"hash"`
	AuthMethod     string    `bun:"auth_method"`
}

func (r *completionRow) completion() *assessments.Completion {
	on, _ := curriculum.ParseDate(r.CompletedOn)
	return &assessments.Completion{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, VersionID: r.VersionID,
		CompletedOn: on, SignerID: r.SignerID, PrintedName: r.PrintedName, Credential: curriculum.ProfessionalCredential(r.Credential),
		SignedAt: r.SignedAt.UTC(), TimeZone: r.TimeZone, Meaning: r.Meaning, Hash: r.Hash, AuthMethod: r.AuthMethod}
}

// Complete records a director's completion of the apprenticeship rec (as
// loaded by Enrollment) once assessments.CheckCompletion allows it: in
// one transaction, the enrollment's status changes to completed (a row in
// enrollment_status_changes, dated the signing instant, as every status
// change is), the signature is stored, and both are audited. The caller
// must have re-authenticated the signer just before. The update is
// conditional on the enrollment still being active, so a concurrent
// status change or completion makes this one a conflict.
func (s *Service) Complete(ctx context.Context, rec *assessments.Records, signer assessments.Actor, req assessments.CompletionRequest) (*assessments.Completion, error) {
	if err := s.open(ctx, rec.Enrollment.ID); err != nil {
		return nil, err
	}
	c, err := assessments.CheckCompletion(req, signer, rec, s.Now())
	if err != nil {
		return nil, err
	}
	e := *rec.Enrollment
	if err := e.Complete(); err != nil {
		return nil, err
	}
	c.ID = newID()
	row := &completionRow{ID: c.ID, EnrollmentID: c.EnrollmentID, StatusChangeID: newID(), ApprenticeID: c.ApprenticeID, VersionID: c.VersionID,
		CompletedOn: c.CompletedOn.String(), SignerID: c.SignerID, PrintedName: c.PrintedName, Credential: string(c.Credential),
		SignedAt: c.SignedAt, TimeZone: c.TimeZone, Meaning: c.Meaning, Hash: c.Hash, AuthMethod: c.AuthMethod}
	err = s.Store.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Like any status change, under the outbox's before/after levels
		// (a completed enrollment keeps its clearances: nothing is sent
		// unless a level changes).
		return s.Store.Outbox.Changing(ctx, tx, []string{e.ApprenticeID}, func(ctx context.Context) error {
			return s.Store.complete(ctx, tx, c, row)
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// complete writes a completion in tx: the conditional status update, the
// status change, the signature and the audit entry.
func (s *Store) complete(ctx context.Context, tx bun.Tx, c *assessments.Completion, row *completionRow) error {
	enrollmentID := c.EnrollmentID
	res, err := tx.NewUpdate().Model((*enrollmentRow)(nil)).Set("status = ?", string(assessments.EnrollmentCompleted)).
		Where("id = ? AND status = ?", enrollmentID, string(assessments.EnrollmentActive)).Exec(ctx)
	if err != nil {
		return db.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrConflict.With("Someone else changed this enrollment's status a moment ago, so nothing was signed. Reload the page to see its status.")
	}
	if _, err := tx.NewInsert().Model(&statusRow{ID: row.StatusChangeID, EnrollmentID: enrollmentID, Status: string(assessments.EnrollmentCompleted),
		ChangedAt: c.SignedAt, ChangedBy: nullable(c.SignerID), Reason: "Completion signed by " + c.PrintedName}).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	return s.record(ctx, tx, ActionComplete, "enrollment", enrollmentID, map[string]any{"status": assessments.EnrollmentActive},
		map[string]any{"status": assessments.EnrollmentCompleted, "completed_on": c.CompletedOn, "completion_id": c.ID,
			"printed_name": c.PrintedName, "meaning": c.Meaning, "signature_sha256": c.Hash, "auth_method": c.AuthMethod})
}

// Completion returns the completion signature of an enrollment, or nil if
// it was not completed by one.
func (s *Store) Completion(ctx context.Context, enrollmentID string) (*assessments.Completion, error) {
	m, err := s.Completions(ctx, []string{enrollmentID})
	return m[enrollmentID], err
}

// Completions returns the completion signatures of the enrollments that
// have one, by enrollment id (one query).
func (s *Store) Completions(ctx context.Context, enrollmentIDs []string) (map[string]*assessments.Completion, error) {
	out := map[string]*assessments.Completion{}
	if len(enrollmentIDs) == 0 {
		return out, nil
	}
	var rows []completionRow
	if err := s.DB.NewSelect().Model(&rows).Where("enrollment_id IN (?)", db.IDs(enrollmentIDs)).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	for i := range rows {
		out[rows[i].EnrollmentID] = rows[i].completion()
	}
	return out, nil
}
