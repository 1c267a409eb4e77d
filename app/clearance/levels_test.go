package clearance_test

import (
	"reflect"
	"testing"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/webhooks"
)

// The levels a write's clearance.changed compares start from memory: with
// the person's decision cached under the stamp the database holds, Levels
// reads only that stamp and answers as deciding afresh does. After a write
// (its stamp moved) it decides through the database, seeing the write;
// and so it does for a person not decided before.
func TestLevelsBeforeAWriteFromMemory(t *testing.T) {
	for _, memory := range []string{"decision cache", "evidence snapshots"} {
		t.Run(memory, func(t *testing.T) { levelsFromMemory(t, memory) })
	}
}

func levelsFromMemory(t *testing.T, memory string) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-03-02")
		if memory == "evidence snapshots" {
			w.clear = &clearance.Service{Evidence: w.svc, CacheSize: -1}
		}
		w.complete("SAF-INFECT", 3)
		w.complete("SAF-BBP", 1)
		ids := []string{w.apprentice.ID}
		fresh := (&clearance.Service{Evidence: w.svc, CacheSize: -1, SnapshotSize: -1}).Levels(w.clk.Now, nil)
		levels := w.clear.Levels(w.clk.Now, nil)
		hook := &countingHook{}
		counted := d.WithQueryHook(hook)
		ask := func(name string, wantMemory bool) map[string][]webhooks.ClearanceData {
			t.Helper()
			hook.n.Store(0)
			got, err := levels(w.ctx, counted, ids)
			if err != nil {
				t.Fatal(err)
			}
			n := hook.n.Load()
			want, err := fresh(w.ctx, d, ids)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || len(got[w.apprentice.ID]) == 0 {
				t.Fatalf("%s, %s: levels %+v, deciding afresh %+v", memory, name, got, want)
			}
			if fromMemory := n == 1; fromMemory != wantMemory {
				t.Fatalf("%s, %s: %d statements (from memory: %v, want %v)", memory, name, n, fromMemory, wantMemory)
			}
			return got
		}
		ask("never decided", false)
		if _, err := w.clear.DecideMany(w.ctx, ids, clearance.Today(w.clk.Now(), nil)); err != nil {
			t.Fatal(err)
		}
		before := ask("decided", true)
		w.test("PHL-VENI", 85) // venipuncture under direct supervision
		if after := ask("after a write", false); reflect.DeepEqual(after, before) {
			t.Errorf("%s: the venipuncture test changed no level: %+v", memory, after)
		}
	})
}
