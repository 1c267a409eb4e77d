package clearance_test

import (
	"errors"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Status is decided as of the asked day, through the cache too: decisions
// cached for days before a hold or a withdrawal was recorded are not
// served after it, and the days before it keep their answers.
func TestStatusHistoryAsOfTheDayThroughTheCache(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-01-05")
		acc := accounts.NewStore(d)
		person := func() *accounts.Person {
			t.Helper()
			p, err := acc.ByID(w.ctx, w.apprentice.ID)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		decide := func(on string) ([]curriculum.Decision, error) {
			t.Helper()
			dd, err := w.clear.Decide(w.ctx, person(), day(on))
			if err != nil {
				return nil, err
			}
			return dd.Decisions()
		}
		days := []string{"2026-02-01", "2026-02-09", "2026-02-10", "2026-02-15", "2026-02-19", "2026-02-20", "2026-02-28", "2026-03-01", "2026-03-02"}
		for _, on := range days { // all cached before any change
			if _, err := decide(on); err != nil {
				t.Fatalf("%s before any change: %v", on, err)
			}
		}
		change := func(on string, to assessments.EnrollmentStatus) {
			t.Helper()
			w.clk.Set(day(on))
			if err := w.svc.ChangeStatus(w.ctx, w.enrollment, w.director, to, "test"); err != nil {
				t.Fatalf("%s: %v", to, err)
			}
		}
		change("2026-02-10", assessments.EnrollmentOnHold)
		change("2026-02-20", assessments.EnrollmentActive)
		change("2026-03-01", assessments.EnrollmentWithdrawn)

		for _, on := range days {
			ds, err := decide(on)
			switch on {
			case "2026-03-01", "2026-03-02":
				if !errors.Is(err, clearance.ErrNotEnrolled) {
					t.Errorf("%s, withdrawn on 2026-03-01: %v", on, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", on, err)
			}
			held := on >= "2026-02-10" && on < "2026-02-20"
			for _, dec := range ds {
				isHold := len(dec.Reasons) == 1 && dec.Reasons[0].Code == curriculum.ReasonOnHold && dec.Reasons[0].Date == day("2026-02-10")
				if held != isHold || (held && dec.Status != curriculum.NotCleared) {
					t.Fatalf("%s %s (on hold: %v): %+v", on, dec.Task, held, dec)
				}
			}
			// The whole-record path (pages, reports) and the decision
			// fields (cache, exports) agree.
			w.status("VENIPUNCTURE", on)
		}
		res, err := w.clear.ForPeople(w.ctx, []string{w.apprentice.ID}, day("2026-02-28"))
		if err != nil || res[w.apprentice.ID] == nil {
			t.Fatalf("ForPeople the day before the withdrawal: %v %v", res, err)
		}
		st, err := w.clear.Standings(w.ctx, []string{w.apprentice.ID}, day("2026-02-28"))
		if err != nil || st[w.apprentice.ID] == nil {
			t.Fatalf("Standings the day before the withdrawal: %v %v", st, err)
		}
		if st, _ := w.clear.Standings(w.ctx, []string{w.apprentice.ID}, day("2026-03-01")); st[w.apprentice.ID] != nil {
			t.Fatal("Standings on the withdrawal day still has the enrollment")
		}
	})
}
