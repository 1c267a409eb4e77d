package reports

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
)

// TestHRTakesTheReadersShare: from one organisation-wide computation (in
// the cache under the current stamp), each reader gets the sites they may
// see, summed; the status and role filters; and one page of the attention
// list, a page past the end giving the last one.
func TestHRTakesTheReadersShare(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		stamp, err := db.ChangeStamp(ctx, d, db.ScopeCredentials)
		if err != nil {
			t.Fatal(err)
		}
		today := curriculum.NewDate(2026, time.November, 23)
		entry := func(site, person, key string, preceptor bool) *hrEntry {
			return &hrEntry{HRRow: HRRow{Person: person, Site: site}, site: int(site[0] - 'a'), key: key, preceptor: preceptor}
		}
		s := &Service{DB: d}
		// Already in display order, as computeHR leaves it.
		s.hr.put(&hrOrg{today: today, stamp: stamp, sites: []hrOrgSite{
			{id: "a", counts: HRSite{Name: "A", People: 4, Compliant: 3, Expired: 1}, months: [12]int{1, 0, 2}},
			{id: "b", counts: HRSite{Name: "B", People: 5, Compliant: 0, Missing: 5}, months: [12]int{7}},
			{id: "c", counts: HRSite{Name: "C", People: 2, Compliant: 1, Exp30: 1}, months: [12]int{0, 1}},
		}, rows: []*hrEntry{
			entry("a", "Ann", "expired", false), entry("b", "Bob", "missing", false), entry("a", "Cy", "30", true),
			entry("c", "Di", "30", false), entry("c", "Ed", "60", false), entry("a", "Flo", "90", false),
		}})

		got, err := s.HR(ctx, today, HRFilter{Sites: []string{"c", "a"}, PerPage: 50, Page: 1})
		if err != nil {
			t.Fatal(err)
		}
		if names := siteNames(got.Sites); !slices.Equal(names, []string{"A", "C"}) {
			t.Fatalf("sites %v, want A and C", names)
		}
		if want := (HRSite{Name: "All sites", People: 6, Compliant: 4, Percent: 66, Expired: 1, Exp30: 1}); got.Total != want {
			t.Fatalf("total %+v, want %+v", got.Total, want)
		}
		if want := [12]int{1, 1, 2}; got.Months != want {
			t.Fatalf("months %v, want %v", got.Months, want)
		}
		if p := people(got.Rows); !slices.Equal(p, []string{"Ann", "Cy", "Di", "Ed", "Flo"}) || got.Matching != 5 || got.First != 1 || got.Last != 5 {
			t.Fatalf("rows %v (%d-%d of %d), want everyone of A and C", p, got.First, got.Last, got.Matching)
		}

		// One site's rows; a site the reader may not see, or no site at
		// all, has none (its counts stay in the table).
		for site, want := range map[string][]string{"c": {"Di", "Ed"}, "b": nil, "nowhere": nil} {
			got, err = s.HR(ctx, today, HRFilter{Sites: []string{"c", "a"}, Site: site, PerPage: 50, Page: 1})
			if err != nil {
				t.Fatal(err)
			}
			if p := people(got.Rows); !slices.Equal(p, want) || got.Matching != len(want) || len(got.Sites) != 2 {
				t.Fatalf("site %s: rows %v of %d, %d sites; want %v", site, p, got.Matching, len(got.Sites), want)
			}
		}

		// Within 60 days includes within 30; apprentices only; pages of 1.
		got, err = s.HR(ctx, today, HRFilter{Status: "60", Role: "apprentice", PerPage: 1, Page: 99})
		if err != nil {
			t.Fatal(err)
		}
		if p := people(got.Rows); !slices.Equal(p, []string{"Ed"}) || got.Matching != 2 || got.Page != 2 || got.First != 2 || got.Last != 2 {
			t.Fatalf("rows %v (page %d, %d-%d of %d), want Ed alone on page 2 of 2", p, got.Page, got.First, got.Last, got.Matching)
		}
		if len(got.Sites) != 3 {
			t.Fatalf("%d sites for a reader of every site, want 3", len(got.Sites))
		}

		// No sites: nothing, and page 1.
		got, err = s.HR(ctx, today, HRFilter{Sites: []string{}, Status: "missing", PerPage: 10, Page: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Sites) != 0 || len(got.Rows) != 0 || got.Matching != 0 || got.Page != 1 || got.First != 0 || got.Total.People != 0 {
			t.Fatalf("a reader of no site sees %+v", got)
		}
	})
}

func siteNames(sites []HRSite) []string {
	var out []string
	for _, s := range sites {
		out = append(out, s.Name)
	}
	return out
}

func people(rows []HRRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Person)
	}
	return out
}
