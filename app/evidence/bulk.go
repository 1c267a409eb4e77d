package evidence

import (
	"context"
	"fmt"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
)

// BulkEnrollment is an enrollment with every record on file, ids set, for
// InsertRecords.
type BulkEnrollment struct {
	Records *assessments.Records
	// CreatedAt and CreatedBy say when and by whom the enrollment was made.
	CreatedAt time.Time
	CreatedBy string
}

// InsertRecords writes enrollments, their preceptors and their evidence
// (observations, self-logs, tests, sign-offs, revocations, hours) through
// a bulk loader, for skillgate seed --scale. Records are written as given:
// the caller made them with the assessments rules (NewObservation,
// CheckSignOff...), so they are what the pages would have stored.
// Sign-offs are numbered per competency in the order given.
func InsertRecords(ctx context.Context, l db.Inserter, batch []BulkEnrollment) error {
	var (
		ens   []enrollmentRow
		precs []preceptorRow
		obs   []observationRow
		logs  []selfLogRow
		tests []testRow
		sos   []signOffRow
		revs  []revocationRow
		hours []hoursRow
	)
	for _, b := range batch {
		r := b.Records
		e := r.Enrollment
		if e == nil || e.ID == "" {
			return fmt.Errorf("insert records: an enrollment without an id")
		}
		ens = append(ens, enrollmentRow{ID: e.ID, ApprenticeID: e.ApprenticeID, VersionID: e.VersionID, SiteID: e.SiteID,
			HireDate: e.HireDate, StartDate: e.StartDate, Status: string(e.Status), CreatedAt: b.CreatedAt.UTC(),
			CreatedBy: nullable(b.CreatedBy), IdempotencyKey: e.IdempotencyKey})
		for _, p := range e.PreceptorIDs {
			precs = append(precs, preceptorRow{EnrollmentID: e.ID, PreceptorID: p})
		}
		for i := range r.Observations {
			obs = append(obs, *observationRowOf(&r.Observations[i]))
		}
		for i := range r.SelfLogs {
			logs = append(logs, *selfLogRowOf(&r.SelfLogs[i]))
		}
		for i := range r.Tests {
			t := &r.Tests[i]
			tests = append(tests, testRow{ID: t.ID, EnrollmentID: t.EnrollmentID, ApprenticeID: t.ApprenticeID, Competency: t.Competency,
				Score: t.Score, PassMark: t.PassMark, TakenOn: t.TakenOn, RecordedBy: t.RecordedBy, RecordedAt: t.RecordedAt.UTC(),
				IdempotencyKey: t.IdempotencyKey})
		}
		seq := map[string]int{}
		for i := range r.SignOffs {
			row := signOffRowOf(&r.SignOffs[i])
			seq[row.Competency]++
			row.Seq = seq[row.Competency]
			sos = append(sos, *row)
		}
		for i := range r.Revocations {
			v := &r.Revocations[i]
			revs = append(revs, revocationRow{ID: v.ID, SignOffID: v.SignOffID, EnrollmentID: v.EnrollmentID, ApprenticeID: v.ApprenticeID,
				Competency: v.Competency, EffectiveOn: v.EffectiveOn, Reason: v.Reason, RevokedBy: v.RevokedBy, RevokerName: v.RevokerName,
				RecordedAt: v.RecordedAt.UTC(), IdempotencyKey: v.IdempotencyKey})
		}
		for i := range r.Hours {
			hours = append(hours, *hoursRowOf(&r.Hours[i]))
		}
	}
	// Parents before children, for the foreign keys.
	for _, rows := range []any{&ens, &precs, &obs, &logs, &tests, &sos, &revs, &hours} {
		if _, err := l.Insert(ctx, rows); err != nil {
			return err
		}
	}
	return nil
}
