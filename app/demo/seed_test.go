package demo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
)

// TestDemoShowsEverything: the demo has approved and pending hours for its
// apprentices, employee ids and hire dates for its staff and apprentices; seeding again
// changes nothing, and a database with other data is refused.
func TestDemoShowsEverything(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		store := accounts.NewStore(d)
		if ok, err := demo.Seed(ctx, d, store); err != nil || !ok {
			t.Fatalf("seed: %v %v", ok, err)
		}
		count := func(q string) int {
			var n int
			if err := d.NewRaw(q).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		approved, pending := count("SELECT COUNT(*) FROM hours_entries WHERE status = 'approved'"), count("SELECT COUNT(*) FROM hours_entries WHERE status = 'pending'")
		if approved < 10 || pending < 3 {
			t.Fatalf("demo hours: %d approved, %d pending", approved, pending)
		}
		hr, err := store.ByEmail(ctx, "hr@demo.test")
		if err != nil || hr.EmployeeID == "" || hr.HireDate == "" {
			t.Fatalf("HR's employee id and hire date: %+v %v", hr, err)
		}
		// Apprentices' hire dates are on file for the person (the clearance
		// engine's grace periods count from them), each with its history.
		for _, a := range demo.Accounts {
			if a.Roles[0] != accounts.RoleApprentice {
				continue
			}
			p, err := store.ByEmail(ctx, a.Email)
			if err != nil {
				t.Fatal(err)
			}
			hist, err := store.HireDateHistory(ctx, p.ID)
			if err != nil || p.HireDate == "" || len(hist) != 1 || hist[0].HireDate != p.HireDate || hist[0].Reason != demo.ReasonHireDate {
				t.Fatalf("%s's hire date on file: %q, history %+v %v", a.Email, p.HireDate, hist, err)
			}
			var enrolled string
			if err := d.NewRaw("SELECT hire_date FROM enrollments WHERE apprentice_id = ?", p.ID).Scan(ctx, &enrolled); err != nil || enrolled != p.HireDate {
				t.Fatalf("%s: person hired %s, enrollment says %q %v", a.Email, p.HireDate, enrolled, err)
			}
		}
		people := count("SELECT COUNT(*) FROM users")
		if ok, err := demo.Seed(ctx, d, store); err != nil || ok || count("SELECT COUNT(*) FROM users") != people ||
			count("SELECT COUNT(*) FROM hours_entries") != approved+pending {
			t.Fatalf("seeding again: %v %v", ok, err)
		}
		other := dbtest.New(t, d.Engine)
		if _, err := accounts.NewStore(other).Create(ctx, accounts.NewPerson{Email: "real@clinic.example", Name: "Real Person",
			Roles: []accounts.Role{accounts.RoleHR}}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Seed(ctx, other, accounts.NewStore(other)); !errors.Is(err, demo.ErrNotDemo) {
			t.Fatalf("seeding a database with real data: %v", err)
		}
	})
}
