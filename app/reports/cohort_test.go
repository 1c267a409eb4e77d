package reports

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// TestCohortAndClosestAsBefore: the cohort grid made from the decision
// cache (the marks filed with each person's decisions) is the grid the
// progress summary of every apprentice's records gives
// (assessments.Summarize, as the grid was made before), cell for cell
// and in the same order, on both engines: on the generator's day and on
// two later ones (sign-offs lapse into "!"), with one enrollment on hold,
// whether the cache was filled by deciding (pages, API) or by the
// reminders' ForPeopleCaching, and from the records for enrollments the
// cache does not hold. "Closest to clearance", which now writes only the
// steps it is asked for, ranks and says what it did before.
func TestCohortAndClosestAsBefore(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		if _, err := scale.Generate(ctx, d, scale.Options{Sites: 2, MAs: 30, Preceptors: 4, Observations: 2000, Credentials: 60, Seed: 11, AsOf: today}); err != nil {
			t.Fatal(err)
		}
		now := today.Time(curriculum.DefaultLocation()).Add(13 * time.Hour)
		clock := func() time.Time { return now }
		store := accounts.NewStore(d)
		ev := evidence.NewService(d, programs.NewStore(d))
		ev.Now, ev.Credentials.Now = clock, clock
		// Batches of 7 people: rankings cross batch boundaries.
		s := &Service{DB: d, Accounts: store, Evidence: ev, Clearance: &clearance.Service{Evidence: ev}, Now: clock, Location: curriculum.DefaultLocation(), Batch: 7}
		sites, err := store.Sites(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f := CohortFilter{SiteIDs: make([]string, len(sites))}
		for i, st := range sites {
			f.SiteIDs[i] = st.ID
		}

		// One enrollment on hold from today (a status change on file).
		ens, err := ev.Store.Enrollments(ctx, evidence.EnrollmentFilter{SiteIDs: f.SiteIDs})
		if err != nil {
			t.Fatal(err)
		}
		director, err := store.ByEmail(ctx, scale.DirectorEmail)
		if err != nil {
			t.Fatal(err)
		}
		held := ""
		for _, e := range ens {
			if e.Status == assessments.EnrollmentActive {
				held = e.ID
				break
			}
		}
		if err := ev.ChangeStatus(ctx, held, assessments.Actor{ID: director.ID, Name: director.Name, Director: true}, assessments.EnrollmentOnHold, "leave"); err != nil {
			t.Fatal(err)
		}
		if ens, err = ev.Store.Enrollments(ctx, evidence.EnrollmentFilter{SiteIDs: f.SiteIDs}); err != nil {
			t.Fatal(err)
		}

		kinds, ranked := map[string]int{}, 0
		for _, day := range []curriculum.Date{today, today.AddDays(200), today.AddDays(700)} {
			now = day.Time(curriculum.DefaultLocation()).Add(13 * time.Hour)
			want, err := s.cohortBySummary(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Rows) < 25 {
				t.Fatalf("%s: only %d apprentices in the grid; the generator changed", day, len(want.Rows))
			}
			for _, r := range want.Rows {
				for _, c := range r.Cells {
					kind := c.Text
					if _, err := strconv.Atoi(kind[:1]); err == nil {
						kind = "n/m"
					}
					kinds[kind]++
				}
			}
			compare := func(how string, got *Cohort) {
				t.Helper()
				if !reflect.DeepEqual(got, want) {
					for i := range min(len(got.Rows), len(want.Rows)) {
						if !reflect.DeepEqual(got.Rows[i], want.Rows[i]) {
							t.Fatalf("%s, %s: row %d differs:\ngot  %+v\nwant %+v", day, how, i, got.Rows[i], want.Rows[i])
						}
					}
					t.Fatalf("%s, %s: the grid differs from the summaries' (%d rows, want %d)", day, how, len(got.Rows), len(want.Rows))
				}
			}
			got, err := s.Cohort(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			compare("decided afresh", got)
			if got, err = s.Cohort(ctx, f); err != nil {
				t.Fatal(err)
			}
			compare("from the cache", got)

			// Filled by the reminders' sweep instead.
			filled := &Service{DB: d, Accounts: store, Evidence: ev, Clearance: &clearance.Service{Evidence: ev}, Now: clock, Location: curriculum.DefaultLocation()}
			people := make([]string, len(ens))
			for i, e := range ens {
				people[i] = e.ApprenticeID
			}
			if _, err := filled.Clearance.ForPeopleCaching(ctx, people, day); err != nil {
				t.Fatal(err)
			}
			if got, err = filled.Cohort(ctx, f); err != nil {
				t.Fatal(err)
			}
			compare("after ForPeopleCaching", got)

			// From the records, as for an enrollment the cache lacks.
			current, err := s.InForce(ctx, ens)
			if err != nil {
				t.Fatal(err)
			}
			cached, _, err := s.cohortMarks(ctx, current)
			if err != nil {
				t.Fatal(err)
			}
			fromRecords := map[string][]assessments.Mark{}
			if err := s.marksFromRecords(ctx, current, now, fromRecords); err != nil {
				t.Fatal(err)
			}
			for id, m := range fromRecords {
				if !reflect.DeepEqual(cached[id], m) {
					t.Fatalf("%s, enrollment %s: marks from the records differ from the cached ones:\n%v\n%v", day, id, m, cached[id])
				}
			}
			for _, task := range []string{"INJECTIONS", "VENIPUNCTURE", "VITALS"} {
				ranked += s.sameClosest(t, ctx, f.SiteIDs, task, day)
			}
		}

		// Kept rankings: asked again, the same ranking without making it
		// again; after a write for one apprentice (the hold lifted) or a
		// new name, made again and right at once.
		now = today.Time(curriculum.DefaultLocation()).Add(13 * time.Hour)
		kept, err := s.Closest(ctx, f.SiteIDs, "INJECTIONS", today)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := s.Closest(ctx, f.SiteIDs, "INJECTIONS", today); err != nil || again != kept {
			t.Fatalf("asked again, the ranking was made again (%v)", err)
		}
		if err := ev.ChangeStatus(ctx, held, assessments.Actor{ID: director.ID, Name: director.Name, Director: true}, assessments.EnrollmentActive, "back"); err != nil {
			t.Fatal(err)
		}
		s.sameClosest(t, ctx, f.SiteIDs, "INJECTIONS", today)
		if _, err := d.NewRaw("UPDATE users SET name = ? WHERE id = ?", "Aaron Aardvark", ens[0].ApprenticeID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if got := s.sameClosest(t, ctx, f.SiteIDs, "INJECTIONS", today); got == 0 {
			t.Fatal("nobody ranked")
		}
		if again, _ := s.Closest(ctx, f.SiteIDs, "INJECTIONS", today); again == kept {
			t.Fatal("the ranking kept before the writes was served after them")
		}
		if ranked < 100 {
			t.Fatalf("only %d ranked rows with steps left compared", ranked)
		}
		for _, k := range []string{"✓", "!", "n/m"} {
			if kinds[k] == 0 {
				t.Fatalf("no %q cell in any grid compared (%v): the comparison misses a case", k, kinds)
			}
		}
	})
}

// cohortBySummary is the cohort grid as it was made before the decision
// cache kept marks: every apprentice's records summarised in full
// (assessments.Summarize). The test holds the fast path to it.
func (s *Service) cohortBySummary(ctx context.Context, f CohortFilter) (*Cohort, error) {
	ens, err := s.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{SiteIDs: f.SiteIDs})
	if err != nil {
		return nil, err
	}
	if ens, err = s.InForce(ctx, ens); err != nil {
		return nil, err
	}
	current := slices.DeleteFunc(ens, func(e assessments.Enrollment) bool { return e.Status == assessments.EnrollmentWithdrawn })
	recs, err := s.Evidence.LoadScoped(ctx, current, evidence.DecisionFields)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(current))
	for i, e := range current {
		ids[i] = e.ApprenticeID
	}
	list, err := s.Accounts.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range list {
		names[p.ID] = p.Name
	}
	v := &Cohort{}
	newest := map[string]*assessments.Records{}
	for _, e := range current {
		rec := recs[e.ID]
		prog := rec.Enrollment.Version.Program()
		if n, ok := newest[prog.Code]; !ok || rec.Enrollment.Version.Rules.Version().Number > n.Enrollment.Version.Rules.Version().Number {
			newest[prog.Code] = rec
		}
	}
	for code, rec := range newest {
		v.Programs = append(v.Programs, CohortProgram{Code: code, Title: rec.Enrollment.Version.Program().Title})
	}
	sort.Slice(v.Programs, func(i, j int) bool { return v.Programs[i].Title < v.Programs[j].Title })
	if len(v.Programs) == 0 {
		return v, nil
	}
	v.ProgramCode = v.Programs[0].Code
	if _, ok := newest[f.Program]; ok {
		v.ProgramCode = f.Program
	}
	shown := newest[v.ProgramCode].Enrollment.Version.Program()
	v.Program, v.Competencies = shown.Title, shown.Competencies
	for _, e := range current {
		rec := recs[e.ID]
		if rec.Enrollment.Version.Program().Code != v.ProgramCode {
			continue
		}
		pr := assessments.Summarize(rec, s.now())
		row := CohortRow{Name: names[e.ApprenticeID], EnrollmentID: e.ID, Percent: pr.Percent}
		for _, comp := range v.Competencies {
			cell := CohortCell{Code: comp.Code, Text: "—"}
			for _, cp := range pr.Competencies {
				if cp.Code != comp.Code {
					continue
				}
				done, need := 0, 0
				for _, vp := range cp.Variants {
					done, need = done+min(vp.Successful, vp.Required), need+vp.Required
				}
				switch {
				case cp.Current:
					cell = CohortCell{Code: comp.Code, Text: "✓", Class: "status-ok"}
				case cp.SignedOff:
					cell = CohortCell{Code: comp.Code, Text: "!", Class: "status-warn"}
				case need > 0:
					cell = CohortCell{Code: comp.Code, Text: strconv.Itoa(done) + "/" + strconv.Itoa(need)}
				default:
					cell = CohortCell{Code: comp.Code, Text: "·"}
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	sort.Slice(v.Rows, func(i, j int) bool {
		a, b := v.Rows[i], v.Rows[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.EnrollmentID < b.EnrollmentID
	})
	return v, nil
}

// sameClosest fails t unless Closest ranks as closestBefore does, and
// returns how many rows have steps left.
func (s *Service) sameClosest(t *testing.T, ctx context.Context, siteIDs []string, task string, day curriculum.Date) int {
	t.Helper()
	got, err := s.Closest(ctx, siteIDs, task, day)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.closestBefore(ctx, siteIDs, task, day)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Tasks, want.Tasks) || got.Task != want.Task || got.TaskTitle != want.TaskTitle || len(got.Rows) != len(want.Rows) {
		t.Fatalf("%s, %s: %s %q, %d rows; before: %s %q, %d rows", day, task, got.Task, got.TaskTitle, len(got.Rows), want.Task, want.TaskTitle, len(want.Rows))
	}
	ranked := 0
	for i, g := range got.Rows {
		w := want.Rows[i]
		if g.PersonID != w.PersonID || g.Name != w.Name || g.Site != w.Site || g.Status != w.Status || g.Performances != w.Performances ||
			g.Left() != len(w.Steps) || !slices.Equal(g.Steps(), w.Steps) {
			t.Fatalf("%s, %s, rank %d: %+v %q; before %+v", day, task, i+1, g, g.Steps(), w)
		}
		if g.Left() > 0 {
			ranked++
		}
	}
	return ranked
}

// closestBeforeRow is a row of "closest to clearance" as it was made
// before: every step's text written for every row.
type closestBeforeRow struct {
	PersonID, Name, Site string
	Status               Status
	Steps                []string
	Performances         int
}

// closestBefore is Service.Closest as it was before its rows kept the
// blocking reasons instead of the steps' text, sorted stably. The test
// holds the new one to it.
func (s *Service) closestBefore(ctx context.Context, siteIDs []string, task string, asOf curriculum.Date) (*struct {
	Tasks           []TaskOption
	Task, TaskTitle string
	Rows            []closestBeforeRow
}, error) {
	out := &struct {
		Tasks           []TaskOption
		Task, TaskTitle string
		Rows            []closestBeforeRow
	}{}
	var people []*accounts.Person
	err := s.Accounts.EachSelected(ctx, accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: siteIDs}, 1<<20,
		func(batch []*accounts.Person) error { people = append(people, batch...); return nil })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	res, err := s.Clearance.DecideMany(ctx, ids, asOf)
	if err != nil {
		return nil, err
	}
	sites, err := s.Accounts.Sites(ctx)
	if err != nil {
		return nil, err
	}
	siteNames := map[string]string{}
	for _, st := range sites {
		siteNames[st.ID] = st.Name
	}
	titles := map[string]string{}
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		for _, t := range r.Rules.Version().Program.Tasks {
			if _, seen := titles[t.Code]; !seen {
				titles[t.Code] = t.Title
			}
		}
		d, ok, err := r.Decision(task)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		row := closestBeforeRow{PersonID: p.ID, Name: p.Name, Site: siteNames[r.Enrollment.SiteID],
			Status: Status{Text: d.Status.Label(), Tone: statusTone[d.Status]}}
		for i := range d.Reasons {
			rs := &d.Reasons[i]
			if d.Status == curriculum.Cleared || rs.Effect < curriculum.BlocksIndependent {
				continue
			}
			if step := rs.Step(); step != "" {
				row.Steps = append(row.Steps, step)
			}
			if rs.Code == curriculum.ReasonCountShort {
				row.Performances += max(rs.Need-rs.Have, 0)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	for code, title := range titles {
		out.Tasks = append(out.Tasks, TaskOption{Code: code, Title: title})
	}
	slices.SortFunc(out.Tasks, func(a, b TaskOption) int {
		if c := strings.Compare(a.Title, b.Title); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	if t, ok := titles[task]; ok {
		out.Task, out.TaskTitle = task, t
	}
	slices.SortStableFunc(out.Rows, func(a, b closestBeforeRow) int {
		if c := len(a.Steps) - len(b.Steps); c != 0 {
			return c
		}
		return a.Performances - b.Performances
	})
	return out, nil
}
