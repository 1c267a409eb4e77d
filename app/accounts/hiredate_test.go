package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// HR corrects a hire date with a reason: the person's date changes, the
// history keeps the old one with who, when and why, the trail has one
// entry; a bad date or a missing reason changes nothing and names the
// field.
func TestHireDateHistory(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		hr := mustCreate(t, s, "hr@example.test", accounts.RoleHR)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: hr.ID, Via: "session"})
		p, err := s.Create(ctx, accounts.NewPerson{Email: "ma@example.test", Name: "Maya", HireDate: "2026-01-05",
			Roles: []accounts.Role{accounts.RoleApprentice}})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		n := audittest.Total(t, d)
		for _, bad := range []struct{ date, reason, field string }{
			{"5 Jan", "offer letter", "hire_date"},
			{"2026-01-12", "  ", "reason"},
			{"2026-01-05", "offer letter", "hire_date"},
		} {
			err := s.SetHireDate(ctx, p.ID, bad.date, bad.reason)
			if e := errkind.As(err); e == nil || e.Fields[bad.field] == "" {
				t.Errorf("SetHireDate(%q, %q) = %v, want a message for %s", bad.date, bad.reason, err, bad.field)
			}
		}
		if got := audittest.Total(t, d); got != n {
			t.Fatalf("refused changes left %d entries", got-n)
		}
		if err := s.SetHireDate(ctx, p.ID, "2026-01-12", "offer letter says the 12th"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ByID(ctx, p.ID); got.HireDate != "2026-01-12" {
			t.Errorf("hire date now %q, want 2026-01-12", got.HireDate)
		}
		h, err := s.HireDateHistory(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].HireDate != "2026-01-05" || h[0].Reason != accounts.ReasonCreated ||
			h[1].HireDate != "2026-01-12" || h[1].Reason != "offer letter says the 12th" || h[1].ChangedBy != hr.ID || !h[1].ChangedAt.Equal(clk.Now()) {
			t.Errorf("history %+v", h)
		}
		e := audittest.Last(t, d, accounts.ActionHireDate)
		if e.EntityID != p.ID || e.Actor != hr.ID || audittest.Value(t, e.Before)["hire_date"] != "2026-01-05" ||
			audittest.Value(t, e.After)["reason"] != "offer letter says the 12th" {
			t.Errorf("audit entry %+v", e)
		}
		if got := audittest.Total(t, d); got != n+1 {
			t.Errorf("%d entries, want 1", got-n)
		}
		// The engine's feed: the date in force for each person asked, in one
		// call; a person without one is absent.
		dates, err := accounts.HireDates(ctx, d, []string{p.ID, hr.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(dates) != 1 || dates[p.ID] != curriculum.MustParseDate("2026-01-12") {
			t.Errorf("hire dates %v", dates)
		}
	})
}

// A hire date that comes with imported people starts their history with
// the reason "import".
func TestImportedHireDateStartsHistory(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		id := accounts.NewID()
		if err := accounts.InsertPeople(ctx, db.Batches{IDB: d}, []accounts.Person{{ID: id, Email: "new@example.test", Name: "New", HireDate: "2025-11-03",
			Roles: []accounts.Role{accounts.RoleApprentice}, CreatedAt: time.Now()}}, ""); err != nil {
			t.Fatal(err)
		}
		h, err := s.HireDateHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].HireDate != "2025-11-03" || h[0].Reason != accounts.ReasonImport {
			t.Errorf("history %+v", h)
		}
	})
}
