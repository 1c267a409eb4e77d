package clearance_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// TestDecisionFieldsDecideAsWholeRecords generates a small organisation
// (observations, corrections, self-logs of every status, tests, sign-offs,
// credentials) and checks, for everyone on several days, that deciding
// from the few fields DecisionFields reads gives exactly the decisions made
// from whole records, on both engines.
func TestDecisionFieldsDecideAsWholeRecords(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		ids, svc, _ := generated(t, d, scale.Options{Sites: 2, MAs: 40, Preceptors: 6, Observations: 2500, Credentials: 150, Seed: 3, AsOf: today})
		if len(ids) < 30 {
			t.Fatalf("only %d people enrolled; the generator changed", len(ids))
		}
		compared := 0
		for _, asOf := range []curriculum.Date{today, today.AddDays(-90), today.AddDays(-400), today.AddDays(60)} {
			whole, err := svc.ForPeople(ctx, ids, asOf)
			if err != nil {
				t.Fatal(err)
			}
			narrow, err := clearance.DecideFromFields(svc, ctx, ids, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if len(whole) != len(narrow) {
				t.Fatalf("%s: %d people decided from whole records, %d from decision fields", asOf, len(whole), len(narrow))
			}
			for id, w := range whole {
				n := narrow[id]
				if n == nil {
					t.Fatalf("%s, person %s: not decided from the decision fields", asOf, id)
				}
				got, err := n.Decisions()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(w.Decisions, got) {
					t.Fatalf("%s, person %s: decisions differ:\nwhole:  %+v\nfields: %+v", asOf, id, w.Decisions, got)
				}
				if n.Enrollment.ID != w.Enrollment.ID {
					t.Fatalf("%s, person %s: enrollment %s, want %s", asOf, id, n.Enrollment.ID, w.Enrollment.ID)
				}
				compared += len(w.Decisions)
			}
		}
		if compared < 1000 {
			t.Fatalf("compared only %d decisions", compared)
		}

		// The observations themselves: the fields decisions read are the
		// same whichever way they were read (times to the nanosecond).
		ens, err := svc.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		whole, err := svc.Evidence.Store.RecordsScoped(ctx, ens, evidence.AllFields)
		if err != nil {
			t.Fatal(err)
		}
		narrow, err := svc.Evidence.Store.RecordsScoped(ctx, ens, evidence.DecisionFields)
		if err != nil {
			t.Fatal(err)
		}
		observations := 0
		for id, w := range whole {
			n := narrow[id]
			if len(n.Observations) != len(w.Observations) {
				t.Fatalf("enrollment %s: %d observations read for decisions, %d whole", id, len(n.Observations), len(w.Observations))
			}
			for i, wo := range w.Observations {
				no := n.Observations[i]
				if no.ID != wo.ID || no.EnrollmentID != wo.EnrollmentID || no.ApprenticeID != wo.ApprenticeID || no.Competency != wo.Competency ||
					no.Variant != wo.Variant || no.PerformedOn != wo.PerformedOn || no.Successful != wo.Successful ||
					no.Supersedes != wo.Supersedes || !no.RecordedAt.Equal(wo.RecordedAt) {
					t.Fatalf("observation %s read for decisions:\n%+v\nwhole:\n%+v", wo.ID, no, wo)
				}
				observations++
			}
		}
		if observations < 2000 {
			t.Fatalf("compared only %d observations", observations)
		}
		signOffs := 0
		for id, w := range whole {
			n := narrow[id]
			if len(n.SignOffs) != len(w.SignOffs) {
				t.Fatalf("enrollment %s: %d sign-offs read for decisions, %d whole", id, len(n.SignOffs), len(w.SignOffs))
			}
			for i, ws := range w.SignOffs {
				ns := n.SignOffs[i]
				if ns.ID != ws.ID || ns.EnrollmentID != ws.EnrollmentID || ns.ApprenticeID != ws.ApprenticeID || ns.Competency != ws.Competency ||
					ns.Kind != ws.Kind || ns.SignedOn != ws.SignedOn || !reflect.DeepEqual(ns.Covered, ws.Covered) ||
					!ns.Signature.SignedAt.Equal(ws.Signature.SignedAt) {
					t.Fatalf("sign-off %s read for decisions:\n%+v\nwhole:\n%+v", ws.ID, ns, ws)
				}
				signOffs++
			}
		}
		if signOffs < 100 {
			t.Fatalf("compared only %d sign-offs", signOffs)
		}
	})
}

// generated fills d with a small organisation and returns its enrolled
// people and a clearance service whose statements hook counts.
func generated(t *testing.T, d *db.DB, o scale.Options) ([]string, *clearance.Service, *countingHook) {
	t.Helper()
	ctx := context.Background()
	if _, err := scale.Generate(ctx, d, o); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := d.NewRaw("SELECT DISTINCT apprentice_id FROM enrollments ORDER BY apprentice_id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	hook := &countingHook{}
	hooked := &db.DB{DB: d.WithQueryHook(hook), Engine: d.Engine, Where: d.Where}
	return ids, &clearance.Service{Evidence: evidence.NewService(hooked, programs.NewStore(hooked))}, hook
}

// countingHook counts the statements run; before, when set (before the
// statements it should see start), is called ahead of each.
type countingHook struct {
	n      atomic.Int64
	before func(query string)
}

func (h *countingHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if h.before != nil {
		h.before(e.Query)
	}
	return ctx
}
func (h *countingHook) AfterQuery(context.Context, *bun.QueryEvent) { h.n.Add(1) }

// TestForPeopleCachingWarmsTheCache: after a job decided for everyone with
// ForPeopleCaching, deciding for them again reads only their stamps, and
// gives the same decisions; a person written for since is decided afresh.
func TestForPeopleCachingWarmsTheCache(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		ids, svc, hook := generated(t, d, scale.Options{Sites: 1, MAs: 15, Preceptors: 3, Observations: 600, Credentials: 40, Seed: 5, AsOf: today})
		whole, err := svc.ForPeopleCaching(ctx, ids, today)
		if err != nil {
			t.Fatal(err)
		}
		check := func(want int64) map[string]*clearance.Decided {
			t.Helper()
			hook.n.Store(0)
			got, err := svc.DecideMany(ctx, ids, today)
			if err != nil {
				t.Fatal(err)
			}
			if n := hook.n.Load(); (want == 1) != (n == 1) {
				t.Fatalf("deciding again ran %d statements (want %s)", n, map[bool]string{true: "only the stamps", false: "more than the stamps"}[want == 1])
			}
			for id, w := range whole {
				ds, err := got[id].Decisions()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(ds, w.Decisions) {
					t.Fatalf("person %s: cached decisions differ from those the job made", id)
				}
			}
			return got
		}
		check(1)
		// A credential edited straight in the database bumps one stamp.
		if _, err := d.NewRaw("UPDATE credentials SET person_id = person_id WHERE person_id = ?", ids[0]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check(2)
		check(1)
	})
}

// TestDecideManyReadOnlyLeavesTheCacheAlone: an export's sweep decides
// without filing anything (the next ask decides again), yet serves what
// is already cached.
func TestDecideManyReadOnlyLeavesTheCacheAlone(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		ids, svc, hook := generated(t, d, scale.Options{Sites: 1, MAs: 10, Preceptors: 2, Observations: 300, Credentials: 20, Seed: 7, AsOf: today})
		statements := func(decide func(context.Context, []string, curriculum.Date) (map[string]*clearance.Decided, error)) int64 {
			t.Helper()
			hook.n.Store(0)
			got, err := decide(ctx, ids, today)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ids) {
				t.Fatalf("decided for %d of %d people", len(got), len(ids))
			}
			return hook.n.Load()
		}
		if n := statements(svc.DecideManyReadOnly); n == 1 {
			t.Fatal("an empty cache answered")
		}
		if n := statements(svc.DecideManyReadOnly); n == 1 {
			t.Fatal("the read-only sweep filled the cache")
		}
		statements(svc.DecideMany)
		if n := statements(svc.DecideManyReadOnly); n != 1 {
			t.Fatalf("the read-only sweep ran %d statements with everyone cached, want 1 (the stamps)", n)
		}
	})
}
