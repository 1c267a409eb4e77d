package reports

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/auditsubjects"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
)

// "Whose record" finds the same entries whether they are filed by person
// or not yet: the chain's newest and those waiting for the sealer by
// joining, filed ones from the index, and evidence files (which may be
// uploaded before their credential) always by joining.
func TestWhoseRecordFiledAndNotYet(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		people := accounts.NewStore(d)
		creds := credentials.NewStore(d)
		s := &Service{DB: d, Accounts: people}
		person := func(email, name string) string {
			t.Helper()
			p, err := people.Create(ctx, accounts.NewPerson{Email: email, Name: name, Roles: []accounts.Role{accounts.RoleApprentice}})
			if err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		ana, jo := person("ana@whose.test", "Ana Garcia"), person("jo@whose.test", "Jo Smith")
		hr := person("hr@whose.test", "Helen Ortiz")
		card := func(who, number, fileID string) string {
			t.Helper()
			r, err := creds.Add(ctx, credentials.NewRecord{PersonID: who, TypeCode: "BLS", IssuingBody: "AHA", Number: number,
				IssuedOn: curriculum.MustParseDate("2026-01-10"), ExpiresOn: curriculum.MustParseDate("2028-01-31"), FileID: fileID, RecordedBy: hr})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		// A file uploaded on its own, then the credential it proves.
		file, err := creds.SaveFile(ctx, "bls.pdf", strings.NewReader("%PDF-1.4 card"), hr)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]bool{}
		about := func(entityType, id string) {
			t.Helper()
			rows, _, err := audit.List(ctx, d, audit.Filter{EntityType: entityType, EntityID: id}, 100, 0)
			if err != nil || len(rows) == 0 {
				t.Fatalf("no entry about %s %s: %v", entityType, id, err)
			}
			for _, r := range rows {
				want[r.Seq] = true
			}
		}
		about("person", ana)
		about("credential", card(ana, "A-1", file.ID))
		about("credential_file", file.ID)
		card(jo, "J-1", "")
		whose := func(stage string) {
			t.Helper()
			cond, err := s.AuditSubject(ctx, "garcia")
			if err != nil {
				t.Fatal(err)
			}
			rows, n, err := audit.List(ctx, d, audit.Filter{Conditions: []audit.Condition{cond}}, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got, exp []int64
			for _, r := range rows {
				got = append(got, r.Seq)
			}
			for seq := range want {
				exp = append(exp, seq)
			}
			slices.Sort(got)
			slices.Sort(exp)
			if !slices.Equal(got, exp) || n != len(exp) {
				t.Errorf("%s: whose garcia gives %v (%d counted), want Ana's entries %v", stage, got, n, exp)
			}
		}
		whose("nothing filed")

		filed, err := auditsubjects.File(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if head, _ := audit.Head(ctx, d); filed != int(head.Seq) {
			t.Errorf("filed %d entries, want the whole chain (%d)", filed, head.Seq)
		}
		whose("all filed")
		if again, err := auditsubjects.File(ctx, d); again != 0 || err != nil {
			t.Errorf("filing again looked at %d entries (%v), want none", again, err)
		}

		// Filed entries are answered from the index: an entry filed under
		// Ana is found as hers, whatever its record says.
		stray := audittest.Last(t, d, credentials.ActionAdd) // Jo's
		if _, err := d.NewRaw("INSERT INTO audit_subjects (person_id, seq) VALUES (?, ?)", ana, stray.Seq).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		want[stray.Seq] = true
		whose("an entry planted in the index")
		if _, err := d.NewRaw("DELETE FROM audit_subjects WHERE seq = ?", stray.Seq).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		delete(want, stray.Seq)

		// Newer entries, one chained and one waiting for the sealer.
		about("credential", card(ana, "A-2", ""))
		waiting := audit.Record{Actor: audit.SystemActor, Via: "test", Action: "person.update", EntityType: "person", EntityID: ana, At: stray.At}
		seqs, err := audit.Reserve(ctx, d, 1)
		if err != nil {
			t.Fatal(err)
		}
		waiting.Seq = seqs[0]
		if _, err := d.NewInsert().Model(&waiting).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		want[waiting.Seq] = true
		whose("newer entries not filed")

		// Two instances filing at once file each entry once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = auditsubjects.File(ctx, d) }()
		}
		wg.Wait()
		if err := errs[0]; err != nil || errs[1] != nil {
			t.Fatalf("two filers: %v, %v", err, errs[1])
		}
		whose("newer entries filed")
		if _, err := audit.Seal(ctx, d); err != nil {
			t.Fatal(err)
		}
		if n, err := auditsubjects.File(ctx, d); n != 1 || err != nil {
			t.Errorf("after sealing, filing looked at %d entries (%v), want the one sealed", n, err)
		}
		whose("everything filed")
		var rows, fileRows int
		if err := d.NewRaw("SELECT COUNT(*) FROM audit_subjects WHERE person_id = ?", ana).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if rows != len(want)-1 {
			t.Errorf("%d of Ana's entries filed, want all %d but the evidence file's", rows, len(want)-1)
		}
		if err := d.NewRaw("SELECT COUNT(*) FROM audit_subjects AS f JOIN audit_log AS a ON a.seq = f.seq WHERE a.entity_type = 'credential_file'").Scan(ctx, &fileRows); err != nil || fileRows != 0 {
			t.Errorf("%d evidence-file entries filed (%v), want none", fileRows, err)
		}
	})
}
