package reports

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// TestHRUpdatesOnlyWhatAWriteChanged: instance B keeps the dashboard while
// instance A writes credentials (new, verified), enrollment statuses and
// hire dates for random people. After every write B's next view equals a
// dashboard computed from scratch (counts, chart, every row in order), and
// B read only the written people again (it kept who is where); a write to
// people themselves (a name) makes B compute everything again.
func TestHRUpdatesOnlyWhatAWriteChanged(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		if _, err := scale.Generate(ctx, d, scale.Options{Sites: 3, MAs: 40, Preceptors: 6, Observations: 600, Credentials: 90, Seed: 13, AsOf: today}); err != nil {
			t.Fatal(err)
		}
		now := today.Time(curriculum.DefaultLocation()).Add(13 * time.Hour)
		clock := func() time.Time { return now }
		instance := func() *Service {
			ev := evidence.NewService(d, programs.NewStore(d))
			ev.Now, ev.Credentials.Now = clock, clock
			return &Service{DB: d, Accounts: accounts.NewStore(d), Evidence: ev, Clearance: &clearance.Service{Evidence: ev}, Now: clock, Location: curriculum.DefaultLocation()}
		}
		a, b := instance(), instance()
		first, err := b.hrOrganisation(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		same := func(what string) *hrOrg {
			t.Helper()
			got, err := b.hrOrganisation(ctx, today)
			if err != nil {
				t.Fatal(err)
			}
			want, err := instance().computeHR(ctx, today)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.sites, want.sites) {
				t.Fatalf("after %s: sites\n%+v\nwant\n%+v", what, got.sites, want.sites)
			}
			if len(got.rows) != len(want.rows) {
				t.Fatalf("after %s: %d rows, want %d", what, len(got.rows), len(want.rows))
			}
			for i := range got.rows {
				if *got.rows[i] != *want.rows[i] {
					t.Fatalf("after %s: row %d\n%+v\nwant\n%+v", what, i, *got.rows[i], *want.rows[i])
				}
			}
			// And what readers see: B's views from its kept dashboard equal
			// a fresh instance's, for the whole organisation, one site,
			// a status and role, and a month of the chart.
			fresh := instance()
			for _, f := range []HRFilter{{PerPage: 50, Page: 1}, {Site: want.sites[1].id, PerPage: 5, Page: 2},
				{Sites: []string{want.sites[0].id}, Status: "missing", Role: "apprentice", PerPage: 10, Page: 1}, {Month: 2, PerPage: 50, Page: 1}} {
				seen, err := b.HR(ctx, today, f)
				if err != nil {
					t.Fatal(err)
				}
				wantSeen, err := fresh.HR(ctx, today, f)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(seen, wantSeen) {
					t.Fatalf("after %s: view %+v\n%+v\nwant\n%+v", what, f, seen, wantSeen)
				}
			}
			return got
		}
		apprentices, err := a.Accounts.Members(ctx, accounts.RoleApprentice, nil)
		if err != nil {
			t.Fatal(err)
		}
		precs, err := a.Accounts.Members(ctx, accounts.RolePreceptor, nil)
		if err != nil {
			t.Fatal(err)
		}
		ens, err := a.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		director := assessments.Actor{ID: precs[0].ID, Name: "Director", Director: true}
		rng := rand.New(rand.NewPCG(13, 24))
		var unverified []string
		for round := range 24 {
			var what string
			switch round % 5 {
			case 0, 1: // a new card, expiring within the chart's year or already expired
				p := apprentices[rng.IntN(len(apprentices))]
				typ := []string{"BLS", "CMA", "TB"}[rng.IntN(3)]
				if round%5 == 1 {
					p = precs[rng.IntN(len(precs))]
					typ = p.Credential
				}
				rec, err := a.Evidence.Credentials.Add(ctx, credentials.NewRecord{PersonID: p.ID, TypeCode: typ, Number: "N-" + p.ID[:6],
					IssuedOn: today.AddDays(-700), ExpiresOn: today.AddDays(rng.IntN(400) - 30), RecordedBy: precs[0].ID})
				if err != nil {
					t.Fatalf("add %s for %s: %v", typ, p.Name, err)
				}
				unverified = append(unverified, rec.ID)
				what = "a new " + typ + " card"
			case 2: // verified
				if len(unverified) == 0 {
					continue
				}
				id := unverified[0]
				unverified = unverified[1:]
				if _, err := a.Evidence.Credentials.Verify(ctx, id, precs[0].ID, "source"); err != nil {
					t.Fatalf("verify: %v", err)
				}
				what = "a verification"
			case 3: // an enrollment on hold, or active again
				e := ens[rng.IntN(len(ens))]
				to := []assessments.EnrollmentStatus{assessments.EnrollmentOnHold, assessments.EnrollmentActive, assessments.EnrollmentWithdrawn}[rng.IntN(3)]
				if err := a.Evidence.ChangeStatus(ctx, e.ID, director, to, "test"); err != nil {
					continue // not allowed from its status: try another round
				}
				what = "an enrollment " + string(to)
			case 4: // a hire date moves the grace periods
				p := apprentices[rng.IntN(len(apprentices))]
				if err := a.Accounts.SetHireDate(ctx, p.ID, today.AddDays(-rng.IntN(120)).String(), "test"); err != nil {
					t.Fatalf("hire date: %v", err)
				}
				what = "a hire date"
			}
			if got := same(what); got.people != first.people {
				t.Fatalf("after %s: B read everyone again", what)
			}
		}
		if _, err := d.NewRaw("UPDATE users SET name = 'Aaron Renamed' WHERE id = ?", apprentices[len(apprentices)-1].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if got := same("a new name"); got.people == first.people {
			t.Fatal("after a new name, B kept who is where")
		}
	})
}
