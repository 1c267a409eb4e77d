package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// countingEnv is a test server on d whose every statement qc counts.
func countingEnv(t *testing.T, d *db.DB) (*env, *queryCounter) {
	t.Helper()
	qc := &queryCounter{}
	wrap := func(d *db.DB) *db.DB { return &db.DB{DB: d.WithQueryHook(qc), Engine: d.Engine, Where: d.Where} }
	return ownEnv(newEnv(t, wrap(d)), d, wrap), qc
}

// queryCounter counts the SQL statements the database runs.
type queryCounter struct {
	mu  sync.Mutex
	n   int
	log []string
}

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (q *queryCounter) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n++
	sql := ev.Query
	if len(sql) > 160 {
		sql = sql[:160] + "…"
	}
	q.log = append(q.log, sql)
}

func (q *queryCounter) reset() { q.mu.Lock(); q.n, q.log = 0, nil; q.mu.Unlock() }

func (q *queryCounter) count() (int, []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, append([]string(nil), q.log...)
}

// grower adds apprentices (enrolled, with a credential and evidence),
// preceptors with licences, and sites to the demo organisation, so the same
// pages can be measured with few and with many rows.
type grower struct {
	t         *testing.T
	e         *env
	svc       *evidence.Service
	versionID string
	preceptor assessments.Actor
	hr        string
	admin     *accounts.Person
	sites     []string
	n         int
}

func newGrower(t *testing.T, e *env, people map[string]*accounts.Person) *grower {
	ctx := context.Background()
	svc := evidence.NewService(e.db, programs.NewStore(e.db))
	svc.Now, svc.Credentials.Now = e.clock.Now, e.clock.Now
	ens, err := svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{people["apprentice@demo.test"].ID}})
	if err != nil || len(ens) == 0 {
		t.Fatalf("demo enrollment: %v", err)
	}
	return &grower{t: t, e: e, svc: svc, versionID: ens[0].VersionID, preceptor: evidence.ActorOf(people["preceptor@demo.test"]),
		hr: people["hr@demo.test"].ID, admin: people["admin@demo.test"]}
}

// grow adds sites new sites with perSite apprentices and one preceptor
// each; everyone who sees all sites (HR, director, admin) is given them.
func (g *grower) grow(sites, perSite int, watchers ...*accounts.Person) {
	g.t.Helper()
	ctx := context.Background()
	today := curriculum.DateOf(g.e.clock.Now(), nil)
	for s := 0; s < sites; s++ {
		site, err := g.e.store.CreateSite(ctx, fmt.Sprintf("Grown clinic %d", len(g.sites)+1))
		if err != nil {
			g.t.Fatal(err)
		}
		g.sites = append(g.sites, site.ID)
		for _, w := range watchers {
			if _, err := g.e.db.NewRaw("INSERT INTO user_sites (user_id, site_id) VALUES (?, ?)", w.ID, site.ID).Exec(ctx); err != nil {
				g.t.Fatal(err)
			}
		}
		g.n++
		prec, err := g.e.store.Create(ctx, accounts.NewPerson{Email: fmt.Sprintf("grown-rn%d@test.test", g.n), Name: fmt.Sprintf("Grown RN %d", g.n),
			Credential: "RN", Roles: []accounts.Role{accounts.RolePreceptor}, SiteIDs: []string{site.ID}})
		if err != nil {
			g.t.Fatal(err)
		}
		if _, err := g.svc.Credentials.Add(ctx, newRecord(prec.ID, "RN", today.AddMonths(-12).String(), today.AddMonths(2).String())); err != nil {
			g.t.Fatal(err)
		}
		for i := 0; i < perSite; i++ {
			g.n++
			p, err := g.e.store.Create(ctx, accounts.NewPerson{Email: fmt.Sprintf("grown%d@test.test", g.n), Name: fmt.Sprintf("Grown Apprentice %d", g.n),
				Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site.ID}})
			if err != nil {
				g.t.Fatal(err)
			}
			hire := today.AddMonths(-3)
			e, _, err := g.svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: p.ID, VersionID: g.versionID, SiteID: site.ID, HireDate: hire,
				StartDate: hire, PreceptorIDs: []string{g.preceptor.ID, prec.ID}, IdempotencyKey: fmt.Sprintf("grow-enrol-%04d", g.n)}, g.admin.ID)
			if err != nil {
				g.t.Fatal(err)
			}
			r, err := g.svc.Credentials.Add(ctx, newRecord(p.ID, "BLS", today.AddMonths(-20).String(), today.AddDays(20*(i%3)).EndOfMonth().String()))
			if err != nil {
				g.t.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := g.svc.Credentials.Verify(ctx, r.ID, g.hr, "card seen"); err != nil {
					g.t.Fatal(err)
				}
			}
			if _, _, err := g.svc.Observe(ctx, records(g.t, g.svc, e.ID).Enrollment, g.preceptor, assessments.ObservationRequest{IdempotencyKey: fmt.Sprintf("grow-obs-%d", g.n),
				Competency: "SAF-INFECT", ChecklistVersion: 1, PerformedOn: today.AddDays(-3), Steps: allSteps(g.t, g.svc, e.ID, "SAF-INFECT")}); err != nil {
				g.t.Fatal(err)
			}
			if _, _, err := g.svc.LogPerformance(ctx, records(g.t, g.svc, e.ID), evidence.ActorOf(p), assessments.SelfLogRequest{
				IdempotencyKey: fmt.Sprintf("grow-log-%d", g.n), Competency: "VS-VITALS", PerformedOn: today.AddDays(-1), SupervisorID: g.preceptor.ID}); err != nil {
				g.t.Fatal(err)
			}
		}
	}
}

func allSteps(t *testing.T, svc *evidence.Service, enrollmentID, code string) []assessments.StepResult {
	rec, err := svc.Enrollment(context.Background(), enrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Enrollment.Version.Competency(code)
	steps := make([]assessments.StepResult, len(c.Checklist))
	for j := range c.Checklist {
		steps[j] = assessments.StepResult{Index: j, Met: true}
	}
	return steps
}

// TestQueriesPerPageDoNotGrowWithRows: every list page and each role's
// home page runs the same number of SQL statements whether it shows a
// handful of people and sites or many times more (no query per row).
func TestQueriesPerPageDoNotGrowWithRows(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, qc := countingEnv(t, d)
		people := withDemo(t, e)
		g := newGrower(t, e, people)
		watchers := []*accounts.Person{people["hr@demo.test"], people["director@demo.test"], people["admin@demo.test"]}
		g.grow(1, 2, watchers...)

		type page struct{ who, path string }
		site0 := people["apprentice@demo.test"].SiteIDs[0]
		pages := []page{
			{"admin@demo.test", "/"}, {"admin@demo.test", "/admin/people"}, {"admin@demo.test", "/hr"},
			{"director@demo.test", "/"}, {"director@demo.test", "/cohort"},
			{"director@demo.test", "/cohort/closest?task=INJECTIONS"},
			{"director@demo.test", "/api/v1/clearances?site=" + g.sites[0]},
			{"preceptor@demo.test", "/"}, {"preceptor@demo.test", "/review"}, {"preceptor@demo.test", "/review?q=grown"}, {"preceptor@demo.test", "/sessions/new"},
			{"hr@demo.test", "/"}, {"hr@demo.test", "/hr"}, {"hr@demo.test", "/api/v1/people"},
			{"hr@demo.test", "/people"}, {"hr@demo.test", "/people?q=grown&sort=sites&dir=desc"}, {"preceptor@demo.test", "/people"},
			{"hr@demo.test", "/audit"}, {"hr@demo.test", "/audit?whose=grown"}, {"hr@demo.test", "/audit?actor=" + url.QueryEscape("Priya Raman")},
			{"apprentice@demo.test", "/"}, {"apprentice@demo.test", "/clearance"},
		}
		for _, r := range []string{"certifications", "clearances", "signoffs", "progress", "hours", "evaluations"} {
			pages = append(pages, page{"hr@demo.test", "/reports/" + r}, page{"preceptor@demo.test", "/reports/" + r})
		}
		pages = append(pages, page{"hr@demo.test", "/reports/clearances?site=" + site0})
		clients := map[string]*client{}
		for _, p := range pages {
			if clients[p.who] == nil {
				clients[p.who] = e.client()
				if r := clients[p.who].login(p.who, demo.Password); r.StatusCode != http.StatusSeeOther {
					t.Fatalf("login %s: %d", p.who, r.StatusCode)
				}
			}
		}
		measure := func() (map[page]int, map[page][]string) {
			counts, logs := map[page]int{}, map[page][]string{}
			for _, p := range pages {
				c := clients[p.who]
				c.get(p.path) // warm: session touch, cached program versions
				qc.reset()
				r := c.get(p.path)
				if r.StatusCode != http.StatusOK {
					t.Fatalf("%s as %s: %d\n%s", p.path, p.who, r.StatusCode, r.body)
				}
				counts[p], logs[p] = qc.count()
			}
			return counts, logs
		}
		small, _ := measure()
		g.grow(3, 6, watchers...) // 4 grown sites, 20 more apprentices
		large, logs := measure()
		var bad []string
		for _, p := range pages {
			if large[p] > small[p] {
				sort.Strings(logs[p])
				bad = append(bad, fmt.Sprintf("%s as %s: %d queries with few rows, %d with more:\n  %s", p.path, p.who, small[p], large[p],
					strings.Join(logs[p], "\n  ")))
			}
		}
		// The directory is one statement per page, whatever it shows (the
		// session's read and the filter lists aside).
		for _, p := range pages {
			if strings.HasPrefix(p.path, "/people") {
				directory := 0
				for _, q := range logs[p] {
					if strings.HasPrefix(q, "SELECT u.id, u.name, u.email, u.credential") {
						directory++
					}
				}
				if directory != 1 {
					bad = append(bad, fmt.Sprintf("%s as %s: %d directory statements, want 1", p.path, p.who, directory))
				}
				// The unsearched directory's total is kept while nobody
				// is added, removed or moved: a second view counts nobody.
				if p.path == "/people" && p.who == "hr@demo.test" {
					for _, q := range logs[p] {
						if strings.HasPrefix(q, "SELECT count(*) FROM users") {
							bad = append(bad, fmt.Sprintf("%s as %s: counted again though nobody changed: %s", p.path, p.who, q))
						}
					}
				}
			}
		}
		if len(bad) > 0 {
			t.Fatalf("query count grows with the rows shown:\n%s", strings.Join(bad, "\n"))
		}
		for _, p := range pages {
			t.Logf("%-45s %-22s %d queries", p.path, p.who, large[p])
		}
	})
}

// withRoundTrips runs check on both engines with a count of the round
// trips to the database and its reset: statements on SQLite, messages
// sent through a proxy on PostgreSQL (prepared statements bypass bun's
// hooks there).
func withRoundTrips(t *testing.T, check func(t *testing.T, e *env, trips func() int64, reset func())) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		d := dbtest.New(t, db.SQLite)
		e, qc := countingEnv(t, d)
		check(t, e, func() int64 { n, _ := qc.count(); return int64(n) }, qc.reset)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		d, px := proxiedPostgres(t)
		e := newEnv(t, d)
		check(t, e, px.sends.Load, func() { px.sends.Store(0) })
	})
}

// TestCachedClearanceCheckIsOneRoundTrip: an EHR's clearance check for a
// person whose records have not changed costs one round trip to the
// database, reading the token, its owner and the person (with their
// decision stamp) together; the decisions come from the cache. On SQLite
// bun's hooks count the statements; on PostgreSQL, where the read is a
// prepared statement bun does not see, a proxy counts what goes on the
// wire.
func TestCachedClearanceCheckIsOneRoundTrip(t *testing.T) {
	check := func(t *testing.T, e *env, trips func() int64, reset func()) {
		people := withDemo(t, e)
		_, tok, err := e.store.CreateToken(t.Context(), people["hr@demo.test"].ID, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/clearances?person=" + people["apprentice@demo.test"].ID + "&task=VENIPUNCTURE"
		first := apiCall(e, "GET", path, tok, "") // decides, and notes the token's first use
		if first.StatusCode != http.StatusOK {
			t.Fatalf("first check: %d %s", first.StatusCode, first.body)
		}
		for i := 0; i < 3; i++ {
			reset()
			again := apiCall(e, "GET", path, tok, "")
			if again.StatusCode != http.StatusOK || again.body != first.body {
				t.Fatalf("check again: %d %s, want the first answer %s", again.StatusCode, again.body, first.body)
			}
			if n := trips(); n != 1 {
				t.Fatalf("a cached clearance check took %d round trips, want 1", n)
			}
		}
	}
	withRoundTrips(t, check)
}

// TestEvidencePostsReadTheEnrollmentOnce: a sign-off (also one refused)
// and a revocation posted through the pages read the enrollment with its
// records once, to authorise the request, and the evidence service works
// on that copy instead of reading it again (the write re-checks in its
// transaction what a concurrent change could break). An observation and a
// test result depend on no record so far and read none (most of what such
// a write cost); a correction reads them once, to find what it corrects.
// Loads are counted by their read of self-logs, which only a full load of
// an enrollment makes in these requests.
func TestEvidencePostsReadTheEnrollmentOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, qc := countingEnv(t, d)
		people := withDemo(t, e)
		ens, err := e.svc.Evidence.Store.Enrollments(context.Background(), evidence.EnrollmentFilter{ApprenticeIDs: []string{people["apprentice@demo.test"].ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v, %v", ens, err)
		}
		enr := "/enrollments/" + ens[0].ID
		pc, dc := e.client(), e.client()
		pc.login("preceptor@demo.test", demo.Password)
		dc.login("director@demo.test", demo.Password)
		post := func(name string, c *client, path string, form url.Values, status, wantLoads int) {
			t.Helper()
			qc.reset()
			r := c.post(path, form)
			n, log := qc.count()
			loads := enrollmentLoads(log)
			if r.StatusCode != status || loads != wantLoads {
				t.Fatalf("%s: %d (want %d) %s, %d statements, %d loads of the enrollment (want %d):\n  %s", name, r.StatusCode, status, regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, r.body), n, loads, wantLoads, strings.Join(log, "\n  "))
			}
			t.Logf("%-22s %d statements", name, n)
		}
		// The form a preceptor opens before each observation reads no
		// records either; the form of a correction reads them once.
		get := func(name, path string, wantLoads int) response {
			t.Helper()
			qc.reset()
			r := pc.get(path)
			_, log := qc.count()
			loads := enrollmentLoads(log)
			if r.StatusCode != http.StatusOK || loads != wantLoads {
				t.Fatalf("%s: %d, %d loads of the enrollment (want %d)", name, r.StatusCode, loads, wantLoads)
			}
			return r
		}
		form := get("observation form", enr+"/observe/PHL-VENI", 0)
		steps := strings.Count(form.body, `value="met"`)
		observation := func(key string) url.Values {
			v := url.Values{"key": {key}, "performed_on": {formFromPage(t, form.body).Get("performed_on")}}
			for j := 0; j < steps; j++ {
				v.Set("step_"+itoa(j), "met")
			}
			return v
		}
		for i, key := range []string{"count-obs-0001", "count-obs-0002"} {
			post("observation "+itoa(i+1), pc, enr+"/observe/PHL-VENI", observation(key), http.StatusSeeOther, 0)
		}
		var first string
		for _, o := range records(t, e.svc.Evidence, ens[0].ID).Observations {
			if o.IdempotencyKey == "count-obs-0001" {
				first = o.ID
			}
		}
		if f := get("correction form", enr+"/observe/PHL-VENI?correct="+first, 1); formFromPage(t, f.body).Get("supersedes") != first {
			t.Fatalf("the correction form does not name the record it corrects (%s)", first)
		}
		fix := observation("count-obs-0003")
		fix.Set("supersedes", first)
		fix.Set("correction_reason", "wrong arm recorded")
		post("correction", pc, enr+"/observe/PHL-VENI", fix, http.StatusSeeOther, 1)
		post("test result", pc, enr+"/tests/SAF-BBP", url.Values{"key": {"count-test-0001"}, "score": {"90"}, "taken_on": {formFromPage(t, form.body).Get("performed_on")}}, http.StatusSeeOther, 0)
		// Not ready: no observation of the competency at all.
		post("refused sign-off", pc, enr+"/signoff/SAF-BBP", url.Values{"key": {"count-sign-0000"}, "kind": {"initial"}, "password": {demo.Password}}, http.StatusConflict, 1)
		post("sign-off", pc, enr+"/signoff/PHL-VENI", url.Values{"key": {"count-sign-0001"}, "kind": {"initial"}, "password": {demo.Password}}, http.StatusSeeOther, 1)
		rec := records(t, e.svc.Evidence, ens[0].ID)
		var so string
		for _, s := range rec.SignOffs {
			if s.Competency == "PHL-VENI" {
				so = s.ID
			}
		}
		post("revocation", dc, enr+"/signoffs/"+so+"/revoke", url.Values{"key": {"count-revoke-0001"}, "reason": {"signed in error"}}, http.StatusSeeOther, 1)
	})
}

// enrollmentLoads counts the full loads of an enrollment among the
// statements of log: their read of self-logs, which nothing else in these
// requests makes.
func enrollmentLoads(log []string) int {
	n := 0
	for _, q := range log {
		if strings.HasPrefix(q, `SELECT "self_log_row".`) {
			n++
		}
	}
	return n
}

// TestCallerIsOneRoundTrip: a browser's request reads its session and the
// person logged in (roles, sites) in one statement; with the CSRF token's
// read, a page that needs nothing else (the login page, which sends
// someone logged in home) is two round trips.
func TestCallerIsOneRoundTrip(t *testing.T) {
	check := func(t *testing.T, e *env, trips func() int64, reset func()) {
		withDemo(t, e)
		c := e.client()
		c.login("preceptor@demo.test", demo.Password)
		for i := 0; i < 3; i++ {
			reset()
			r := c.get("/login")
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("the login page, logged in: %d, want 303 home", r.StatusCode)
			}
			if n := trips(); n != 2 {
				t.Fatalf("a logged-in request took %d round trips for its caller and CSRF token, want 2", n)
			}
		}
	}
	withRoundTrips(t, check)
}
