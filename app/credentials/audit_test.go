package credentials_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// Adding, verifying, uploading a file and applying an import each leave
// entries in the change's transaction; refused input leaves none.
func TestCredentialChangesAreAudited(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		im, hr := org(t, d)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: hr.ID, Via: "session"})
		p := person(t, d, "ma@clinic.example")

		f, err := s.SaveFile(ctx, "card.png", bytes.NewReader(pngBytes(t)), hr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, credentials.ActionFileUpload); e.EntityID != f.ID || e.Actor != hr.ID || !strings.Contains(e.After, f.SHA256) {
			t.Fatalf("file entry %+v", e)
		}
		rec, err := s.Add(ctx, credentials.NewRecord{PersonID: p.ID, TypeCode: "BLS", IssuingBody: "AHA", Number: "B-1",
			IssuedOn: day("2026-01-10"), ExpiresOn: day("2028-01-31"), FileID: f.ID, RecordedBy: hr.ID})
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, credentials.ActionAdd); e.EntityID != rec.ID || !strings.Contains(e.After, p.ID) || !strings.Contains(e.After, "B-1") {
			t.Fatalf("add entry %+v", e)
		}
		n := audittest.Total(t, d)
		if _, err := s.Add(ctx, credentials.NewRecord{PersonID: p.ID, TypeCode: "", IssuedOn: day("2026-01-10")}); !errors.Is(err, credentials.ErrInvalid) {
			t.Fatalf("invalid record: %v", err)
		}
		if _, err := s.Add(ctx, credentials.NewRecord{PersonID: "nobody", TypeCode: "BLS", IssuedOn: day("2026-01-10")}); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown person: %v", err)
		}
		if audittest.Total(t, d) != n {
			t.Fatal("refused records were audited")
		}
		if _, err := s.Verify(ctx, rec.ID, hr.ID, "checked the AHA eCard site"); err != nil {
			t.Fatal(err)
		}
		e := audittest.Last(t, d, credentials.ActionVerify)
		if e.EntityID != rec.ID || !strings.Contains(e.Before, `"verified_at":null`) || !strings.Contains(e.After, "eCard") {
			t.Fatalf("verify entry %+v", e)
		}
		if _, err := s.Verify(ctx, rec.ID, hr.ID, "again"); !errors.Is(err, credentials.ErrAlreadyVerified) || audittest.Count(t, d, credentials.ActionVerify) != 1 {
			t.Fatalf("second verify: %v", err)
		}

		data := csvBytes(t, header,
			[]string{"E1", "Ana Diaz", "ana@clinic.example", "apprentice", "Main Street", "", "BLS", "AHA", "B1", "2026-01-10", "01/2028", "yes", ""},
			[]string{"E2", "Rita Nurse", "rita@clinic.example", "preceptor", "Main Street", "rn", "", "", "", "", "", "", ""},
		)
		pv, err := im.Preview(ctx, "staff.csv", bytes.NewReader(data))
		if err != nil || !pv.OK() {
			t.Fatalf("preview: %v %v", err, pv.Problems)
		}
		before := audittest.Count(t, d, "person.create")
		if _, err := im.Apply(ctx, pv, hr.ID); err != nil {
			t.Fatal(err)
		}
		if got := audittest.Count(t, d, "person.create") - before; got != 2 {
			t.Fatalf("import created 2 people; %d person.create entries", got)
		}
		e = audittest.Last(t, d, credentials.ActionImportApply)
		if e.EntityID != "staff.csv" || e.Actor != hr.ID || !strings.Contains(e.After, `"people_created":2`) || !strings.Contains(e.After, `"credentials_created":1`) {
			t.Fatalf("import entry %+v", e)
		}
		if e := audittest.Last(t, d, credentials.ActionAdd); !strings.Contains(e.After, `"import":"staff.csv"`) {
			t.Fatalf("imported credential entry %+v", e)
		}
		audittest.Intact(t, d)
	})
}
