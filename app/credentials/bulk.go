package credentials

import (
	"context"
	"fmt"

	"github.com/skillgate/skillgate/app/db"
)

// InsertRecords writes complete records (ids, recording and verification
// included) through a bulk loader, for skillgate seed --scale. Records are
// written as given; the caller has made them valid.
func InsertRecords(ctx context.Context, l db.Inserter, recs []Record) error {
	rows := make([]recordRow, len(recs))
	for i := range recs {
		r := &recs[i]
		if r.ID == "" || r.PersonID == "" || r.TypeCode == "" {
			return fmt.Errorf("insert credentials: record %d needs an id, a person and a type", i)
		}
		rows[i] = recordRow{ID: r.ID, PersonID: r.PersonID, TypeCode: r.TypeCode, IssuingBody: r.IssuingBody,
			Number: r.Number, IssuedOn: r.IssuedOn, ExpiresOn: r.ExpiresOn, ValidThroughMonth: r.ValidThroughMonth,
			RecordedAt: r.RecordedAt.UTC(), RecordedBy: r.RecordedBy, VerifiedAt: utcPtr(r.VerifiedAt), VerifiedBy: r.VerifiedBy,
			VerificationMethod: r.VerificationMethod, FileID: r.FileID, Notes: r.Notes}
	}
	_, err := l.Insert(ctx, &rows)
	return err
}
