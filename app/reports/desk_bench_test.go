package reports

import (
	"context"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// BenchmarkDeskPages builds the director's cohort grid of one site (100
// MAs × 43 competencies) and "closest to clearance" for injections over
// ten sites (1,000 MAs), the way they are built now (from the decision
// cache, warm as the reminders leave it) and the way they were built
// before (every record summarised; every step's text written and a
// stable sort), on a generated organisation of the bench's proportions
// (75 observations an MA), on each engine. Page rendering is not
// included. Allocations are the steadier figure on a shared machine:
//
//	SKILLGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench DeskPages -benchmem ./app/reports/
func BenchmarkDeskPages(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			ctx := context.Background()
			today := curriculum.MustParseDate("2026-06-15")
			if _, err := scale.Generate(ctx, d, scale.Options{Sites: 10, MAs: 1000, Preceptors: 60, Observations: 75000, Credentials: 5000, Seed: 2, AsOf: today}); err != nil {
				b.Fatal(err)
			}
			if _, err := d.ExecContext(ctx, "ANALYZE"); err != nil {
				b.Fatal(err)
			}
			now := today.Time(curriculum.DefaultLocation()).Add(13 * time.Hour)
			clock := func() time.Time { return now }
			store := accounts.NewStore(d)
			ev := evidence.NewService(d, programs.NewStore(d))
			ev.Now, ev.Credentials.Now = clock, clock
			s := &Service{DB: d, Accounts: store, Evidence: ev, Clearance: &clearance.Service{Evidence: ev}, Now: clock, Location: curriculum.DefaultLocation()}
			sites, err := store.Sites(ctx)
			if err != nil {
				b.Fatal(err)
			}
			all := make([]string, len(sites))
			for i, st := range sites {
				all[i] = st.ID
			}
			one := CohortFilter{SiteIDs: all, SiteID: all[0], Limit: 400}
			// Warm: everyone decided and cached, as after the reminders.
			var people []string
			if err := d.NewRaw("SELECT DISTINCT apprentice_id FROM enrollments").Scan(ctx, &people); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Clearance.ForPeopleCaching(ctx, people, today); err != nil {
				b.Fatal(err)
			}
			run := func(name string, fn func() (int, error)) {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						n, err := fn()
						if err != nil {
							b.Fatal(err)
						}
						if n < 50 {
							b.Fatalf("%d rows", n)
						}
					}
				})
			}
			run("cohort-site/from-cache", func() (int, error) {
				v, err := s.Cohort(ctx, one)
				return len(v.Rows), err
			})
			run("cohort-site/summaries-before", func() (int, error) {
				f := one
				f.SiteIDs = []string{one.SiteID}
				v, err := s.cohortBySummary(ctx, f)
				return len(v.Rows), err
			})
			run("closest-1000/now", func() (int, error) {
				v, err := s.Closest(ctx, all, "INJECTIONS", today)
				return len(v.Rows), err
			})
			run("closest-1000/before", func() (int, error) {
				v, err := s.closestBefore(ctx, all, "INJECTIONS", today)
				return len(v.Rows), err
			})
		})
	}
}
