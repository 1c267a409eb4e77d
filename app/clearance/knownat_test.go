package clearance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Two kinds of time: a knowledge test taken on 20 January but entered on
// the 23rd counts for the 20th when asked now (and the decision says a late
// entry changed it), but not when asked as known before the 23rd; through
// the cache too, which must never answer a known_at question with the
// answer of now. A hold recorded at noon is not known at nine.
func TestKnownAtAnswersAsThen(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-01-05")
		w.clk.Set(day("2026-01-20"))
		w.complete("SAF-INFECT", 3)
		w.complete("SAF-BBP", 1)
		beforeEntry := w.clk.Now()
		w.clk.Set(day("2026-01-23"))
		if _, _, err := w.svc.RecordTest(w.ctx, w.records().Enrollment, w.rn, assessments.TestResultRequest{IdempotencyKey: w.nextKey(),
			Competency: "PHL-VENI", Score: 85, TakenOn: day("2026-01-20")}); err != nil {
			t.Fatal(err)
		}
		acc := accounts.NewStore(d)
		person := func() *accounts.Person {
			p, err := acc.ByID(w.ctx, w.apprentice.ID)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		decide := func(asOf string, knownAt time.Time) curriculum.Decision {
			t.Helper()
			dd, err := w.clear.DecideKnownAt(w.ctx, person(), day(asOf), knownAt)
			if err != nil {
				t.Fatal(err)
			}
			dec, ok, err := dd.Decision("VENIPUNCTURE")
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			return dec
		}
		now := decide("2026-01-20", time.Time{}) // fills the cache
		if now.Status != curriculum.DirectSupervision || !slices.ContainsFunc(now.Reasons, func(r curriculum.Reason) bool {
			return r.Code == curriculum.ReasonLateEntry && r.Date == day("2026-01-23")
		}) {
			t.Fatalf("asked now about 20 January: %s %q", now.Status, now.Messages())
		}
		if then := decide("2026-01-20", beforeEntry); then.Status != curriculum.NotCleared {
			t.Fatalf("asked as known before the entry: %s %q", then.Status, then.Messages())
		}
		if after := decide("2026-01-20", w.clk.Now().Add(time.Minute)); after.Status != curriculum.DirectSupervision {
			t.Fatalf("asked as known after the entry: %s %q", after.Status, after.Messages())
		}
		res, err := w.clear.ForPeopleKnownAt(w.ctx, []string{w.apprentice.ID}, day("2026-01-20"), beforeEntry)
		if err != nil {
			t.Fatal(err)
		}
		if dec, _ := res[w.apprentice.ID].Decision("VENIPUNCTURE"); dec.Status != curriculum.NotCleared {
			t.Fatalf("whole records, known before the entry: %s", dec.Status)
		}
		many, err := w.clear.DecideManyKnownAt(w.ctx, []string{w.apprentice.ID}, day("2026-01-20"), beforeEntry, true)
		if err != nil {
			t.Fatal(err)
		}
		if dec, _, _ := many[w.apprentice.ID].Decision("VENIPUNCTURE"); dec.Status != curriculum.NotCleared {
			t.Fatalf("many, known before the entry: %s", dec.Status)
		}

		// On hold from noon on 2 February: at nine that day it was not known.
		w.clk.Set(day("2026-02-02"))
		if err := w.svc.ChangeStatus(w.ctx, w.enrollment, w.director, assessments.EnrollmentOnHold, "leave"); err != nil {
			t.Fatal(err)
		}
		nine := w.clk.Now().Add(-3 * time.Hour)
		if dec := decide("2026-02-02", time.Time{}); dec.Reasons[0].Code != curriculum.ReasonOnHold {
			t.Fatalf("on hold, asked now: %q", dec.Messages())
		}
		if dec := decide("2026-02-02", nine); dec.Status != curriculum.DirectSupervision {
			t.Fatalf("on hold, asked as known at nine: %s %q", dec.Status, dec.Messages())
		}
	})
}
