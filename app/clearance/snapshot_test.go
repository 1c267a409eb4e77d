package clearance_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// TestPastDaysFromSnapshotsAsUncached: after the start-up job decided
// today for everyone (filing their evidence snapshots), questions about
// random people on random days of the past year and a bit are answered
// with no statement beyond the stamps, and every answer (decisions,
// marks, the enrollment in force) equals the uncached engine's from whole
// records (the enrollment kept without the key and hash of the request
// that created it). A write for one person makes exactly that person read
// again.
func TestPastDaysFromSnapshotsAsUncached(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		ids, svc, hook := generated(t, d, scale.Options{Sites: 2, MAs: 30, Preceptors: 4, Observations: 1800, Credentials: 100, Seed: 11, AsOf: today})
		if _, err := svc.ForPeopleCaching(ctx, ids, today); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(11, 24))
		// ask decides for one person on one day through the caches and
		// compares with the uncached engine; it returns the statements run.
		ask := func(id string, on curriculum.Date) int64 {
			t.Helper()
			hook.n.Store(0)
			got, err := svc.DecideMany(ctx, []string{id}, on)
			if err != nil {
				t.Fatal(err)
			}
			n := hook.n.Load()
			whole, err := svc.ForPeople(ctx, []string{id}, on)
			if err != nil {
				t.Fatal(err)
			}
			narrow, err := clearance.DecideFromFields(svc, ctx, []string{id}, on)
			if err != nil {
				t.Fatal(err)
			}
			w, g := whole[id], got[id]
			if (w == nil) != (g == nil) {
				t.Fatalf("%s on %s: enrolled %v uncached, %v from the snapshot", id, on, w != nil, g != nil)
			}
			if w == nil {
				return n
			}
			ds, err := g.Decisions()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ds, w.Decisions) {
				t.Fatalf("%s on %s: decisions differ:\nsnapshot: %+v\nuncached: %+v", id, on, ds, w.Decisions)
			}
			if !reflect.DeepEqual(g.Marks(), narrow[id].Marks()) {
				t.Fatalf("%s on %s: marks differ:\nsnapshot: %+v\nuncached: %+v", id, on, g.Marks(), narrow[id].Marks())
			}
			// The enrollment kept is the database's (Version, hire date
			// in force, Began) but for what only creating it again reads.
			want := *w.Enrollment
			if want.IdempotencyKey == "" {
				t.Fatalf("%s: the generator's enrollments have no idempotency key; the comparison proves less", want.ID)
			}
			want.IdempotencyKey, want.RequestHash = "", ""
			if !reflect.DeepEqual(*g.Enrollment, want) {
				t.Fatalf("%s on %s: enrollment\n%+v\nwant\n%+v", id, on, *g.Enrollment, want)
			}
			return n
		}
		enrolled := 0
		for range 150 {
			id, on := ids[rng.IntN(len(ids))], today.AddDays(-rng.IntN(420))
			if n := ask(id, on); n != 1 {
				t.Fatalf("%s on %s ran %d statements; want only the stamps", id, on, n)
			}
			if r, _ := svc.ForPeople(ctx, []string{id}, on); r[id] != nil {
				enrolled++
			}
		}
		if enrolled < 60 {
			t.Fatalf("only %d of 150 asks found an enrollment in force; the generator changed", enrolled)
		}

		// A credential edited straight in the database bumps one stamp:
		// that person is read again once, the others are not.
		if _, err := d.NewRaw("UPDATE credentials SET issued_on = issued_on WHERE person_id = ?", ids[0]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		past := today.AddDays(-30)
		if n := ask(ids[0], past); n == 1 {
			t.Fatal("the written person was answered from the snapshot of before the write")
		}
		if n := ask(ids[0], past.AddDays(-1)); n != 1 {
			t.Fatalf("the written person's next day ran %d statements; want only the stamps", n)
		}
		for _, id := range ids[1:] {
			if n := ask(id, past.AddDays(-2)); n != 1 {
				t.Fatalf("%s, not written, ran %d statements", id, n)
			}
		}
	})
}
