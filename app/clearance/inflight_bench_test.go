package clearance_test

import (
	"context"
	"sync"
	"testing"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// BenchmarkConcurrentDeciders: a cold DecideMany over a cohort alone, and
// two at once on the same service (the start-up run and a first view),
// which share one read; statements/op counts what reached the database.
func BenchmarkConcurrentDeciders(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			ctx := context.Background()
			today := curriculum.MustParseDate("2026-06-15")
			d := dbtest.New(b, dialect)
			if _, err := scale.Generate(ctx, d, scale.Options{Sites: 2, MAs: 200, Preceptors: 10, Observations: 12000, Credentials: 400, Seed: 3, AsOf: today}); err != nil {
				b.Fatal(err)
			}
			var ids []string
			if err := d.NewRaw("SELECT DISTINCT apprentice_id FROM enrollments ORDER BY apprentice_id").Scan(ctx, &ids); err != nil {
				b.Fatal(err)
			}
			hook := &countingHook{}
			hooked := &db.DB{DB: d.WithQueryHook(hook), Engine: d.Engine, Where: d.Where}
			ev := evidence.NewService(hooked, programs.NewStore(hooked))
			for _, deciders := range []int{1, 2} {
				b.Run(map[int]string{1: "one", 2: "two"}[deciders], func(b *testing.B) {
					hook.n.Store(0)
					for b.Loop() {
						svc := &clearance.Service{Evidence: ev}
						var wg sync.WaitGroup
						for range deciders {
							wg.Go(func() {
								if _, err := svc.DecideMany(ctx, ids, today); err != nil {
									b.Error(err)
								}
							})
						}
						wg.Wait()
					}
					b.ReportMetric(float64(hook.n.Load())/float64(b.N), "statements/op")
				})
			}
		})
	}
}
