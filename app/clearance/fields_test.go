package clearance_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/scale"
	"github.com/skillgate/skillgate/curriculum"
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
		if _, err := scale.Generate(ctx, d, scale.Options{Sites: 2, MAs: 40, Preceptors: 6, Observations: 2500, Credentials: 150, Seed: 3, AsOf: today}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		if err := d.NewRaw("SELECT DISTINCT apprentice_id FROM enrollments ORDER BY apprentice_id").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		if len(ids) < 30 {
			t.Fatalf("only %d people enrolled; the generator changed", len(ids))
		}
		svc := &clearance.Service{Evidence: evidence.NewService(d, programs.NewStore(d))}
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
	})
}
