package credentials_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// The import's hire_date column sets a new person's hire date and
// corrects an existing person's, each recorded with the reason "import";
// the same date again changes nothing, and a month alone is refused.
func TestImportSetsHireDates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		im, hr := org(t, d)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: hr.ID, Via: "import"})
		as := accounts.NewStore(d)
		old, err := as.Create(ctx, accounts.NewPerson{Email: "old@clinic.example", Name: "Olga Old", EmployeeID: "E0", HireDate: "2025-01-06",
			Roles: []accounts.Role{accounts.RoleApprentice}})
		if err != nil {
			t.Fatal(err)
		}
		head := []string{"employee_id", "name", "email", "role", "site", "hire_date"}
		bad := csvBytes(t, head, []string{"E0", "", "", "", "", "01/2025"})
		if p, err := im.Preview(ctx, "hires.csv", bytes.NewReader(bad)); err != nil || !hasProblem(p, 2, "hire_date", "needs a day") {
			t.Fatalf("a month alone: %v %+v", err, p)
		}
		data := csvBytes(t, head,
			[]string{"E0", "", "", "", "", "01/13/2025"},
			[]string{"E1", "Ana Diaz", "ana@clinic.example", "apprentice", "Main Street", "2026-02-02"},
		)
		p, err := im.Preview(ctx, "hires.csv", bytes.NewReader(data))
		if err != nil || !p.OK() {
			t.Fatalf("preview: %v %+v", err, p)
		}
		if !p.People[0].ChangesHireDate || p.People[0].HireDate != "2025-01-13" {
			t.Fatalf("Olga's row: %+v", p.People[0])
		}
		if _, err := im.Apply(ctx, p, hr.ID); err != nil {
			t.Fatal(err)
		}
		h, err := as.HireDateHistory(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[1].HireDate != "2025-01-13" || h[1].Reason != accounts.ReasonImport || h[1].ChangedBy != hr.ID {
			t.Fatalf("Olga's history: %+v", h)
		}
		ana, err := as.ByEmail(ctx, "ana@clinic.example")
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := as.HireDateHistory(ctx, ana.ID); ana.HireDate != "2026-02-02" || len(h) != 1 || h[0].Reason != accounts.ReasonImport {
			t.Fatalf("Ana: %q %+v", ana.HireDate, h)
		}
		// The same file again: nothing to record.
		p2, err := im.Preview(ctx, "hires.csv", bytes.NewReader(data))
		if err != nil || !p2.OK() || p2.People[0].ChangesHireDate {
			t.Fatalf("re-import preview: %v %+v", err, p2)
		}
		if _, err := im.Apply(ctx, p2, hr.ID); err != nil {
			t.Fatal(err)
		}
		if h, _ := as.HireDateHistory(ctx, old.ID); len(h) != 2 {
			t.Fatalf("a re-import changed the history: %+v", h)
		}
	})
}
