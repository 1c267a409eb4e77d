package server_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// hrSeen is a row of the HR dashboard's attention list as a user reads it.
type hrSeen struct{ Person, Role, Site, Credential, Label string }

// hrPage is what a user sees on the HR dashboard.
type hrPage struct {
	rows            []hrSeen
	first, last, of int               // "Rows first–last of of"
	sites           map[string]string // site table: site name -> its cells
	people          map[string]int    // site table: site name -> apprentices counted
	prev, next      string
	body            string
}

var (
	hrRowRe     = regexp.MustCompile(`<tr><td><a href="/people/[^"]+/credentials">([^<]*)</a></td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td><span class="status [^"]*">([^<]*)</span></td></tr>`)
	hrCaptionRe = regexp.MustCompile(`<caption>Rows (\d+)–(\d+) of (\d+)</caption>`)
	hrSiteRe    = regexp.MustCompile(`<tr><th scope="row">([^<]+)</th>(.*?)</tr>`)
	hrPeopleRe  = regexp.MustCompile(`\((\d+) of (\d+)\)`)
)

// viewHR fetches an HR dashboard page and reads it.
func viewHR(t *testing.T, c *client, path string) hrPage {
	t.Helper()
	r := c.get(path)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, r.StatusCode, r.body)
	}
	p := hrPage{body: r.body, sites: map[string]string{}, people: map[string]int{}}
	for _, m := range hrRowRe.FindAllStringSubmatch(r.body, -1) {
		u := html.UnescapeString
		p.rows = append(p.rows, hrSeen{u(m[1]), u(m[2]), u(m[3]), u(m[4]), u(m[5])})
	}
	if m := hrCaptionRe.FindStringSubmatch(r.body); m != nil {
		p.first, _ = strconv.Atoi(m[1])
		p.last, _ = strconv.Atoi(m[2])
		p.of, _ = strconv.Atoi(m[3])
	}
	if i := strings.Index(r.body, "</table>"); i > 0 { // the first table is the site table
		for _, m := range hrSiteRe.FindAllStringSubmatch(r.body[:i], -1) {
			name := html.UnescapeString(m[1])
			p.sites[name] = m[2]
			if n := hrPeopleRe.FindStringSubmatch(m[2]); n != nil {
				p.people[name], _ = strconv.Atoi(n[2])
			}
		}
	}
	p.prev = html.UnescapeString(regexpFind(`href="([^"]+)" rel="prev"`, r.body))
	p.next = html.UnescapeString(regexpFind(`href="([^"]+)" rel="next"`, r.body))
	return p
}

// row returns the attention rows of person.
func (p hrPage) row(person string) []hrSeen {
	var out []hrSeen
	for _, r := range p.rows {
		if r.Person == person {
			out = append(out, r)
		}
	}
	return out
}

// siteTable is the site table as shown (names and cells), for comparing
// pages.
func (p hrPage) siteTable() string {
	return p.body[:strings.Index(p.body, "</table>")]
}

// hrFixture adds enrolled apprentices to the demo organisation.
type hrFixture struct {
	t         *testing.T
	e         *env
	svc       *evidence.Service
	versionID string
	admin     string
	preceptor string
	today     curriculum.Date
	n         int
}

func newHRFixture(t *testing.T, e *env, people map[string]*accounts.Person) *hrFixture {
	t.Helper()
	svc := evidence.NewService(e.db, programs.NewStore(e.db))
	svc.Now, svc.Credentials.Now = e.clock.Now, e.clock.Now
	ens, err := svc.Store.Enrollments(t.Context(), evidence.EnrollmentFilter{ApprenticeIDs: []string{people["apprentice@demo.test"].ID}})
	if err != nil || len(ens) == 0 {
		t.Fatalf("demo enrollment: %v", err)
	}
	return &hrFixture{t: t, e: e, svc: svc, versionID: ens[0].VersionID, admin: people["admin@demo.test"].ID,
		preceptor: people["preceptor@demo.test"].ID, today: curriculum.DateOf(e.clock.Now(), e.cfg.Location())}
}

// apprentice creates an apprentice at site, enrolled since hired days ago,
// with no credential on file (so past the 90-day grace their BLS is
// missing).
func (f *hrFixture) apprentice(name, site string, hired int) *accounts.Person {
	f.t.Helper()
	f.n++
	ctx := f.t.Context()
	p, err := f.e.store.Create(ctx, accounts.NewPerson{Email: fmt.Sprintf("hr-fixture-%d@test.test", f.n), Name: name,
		Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site}})
	if err != nil {
		f.t.Fatal(err)
	}
	hire := f.today.AddDays(-hired)
	if _, _, err := f.svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: p.ID, VersionID: f.versionID, SiteID: site, HireDate: hire,
		StartDate: hire, PreceptorIDs: []string{f.preceptor}, IdempotencyKey: fmt.Sprintf("hr-fixture-enrol-%04d", f.n)}, f.admin); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// The attention list is paged 50 rows at a time, in rank-then-name order,
// with "Rows 1–50 of N" and previous/next links that keep the filters;
// the site table and the totals summarise everything on every page.
func TestHRDashboardPagesTheAttentionList(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		f := newHRFixture(t, e, people)
		riverside := people["apprentice@demo.test"].SiteIDs[0]
		const added = 61
		var names []string
		for i := 1; i <= added; i++ {
			names = append(names, fmt.Sprintf("Paged Apprentice %03d", i))
			f.apprentice(names[i-1], riverside, 400)
		}
		hr := e.client()
		hr.mustLoginAs("hr@demo.test")

		all := viewHR(t, hr, "/hr")
		if len(all.rows) != 50 || all.first != 1 || all.last != 50 || all.of <= added {
			t.Fatalf("first page: %d rows, rows %d–%d of %d; want 50 rows, 1–50 of more than %d", len(all.rows), all.first, all.last, all.of, added)
		}
		if all.prev != "" || all.next != "/hr?page=2" {
			t.Fatalf("first page links: prev %q, next %q", all.prev, all.next)
		}

		// Filtered: the links keep both filters, and the two pages hold
		// every missing apprentice once, in name order.
		first := viewHR(t, hr, "/hr?status=missing&role=apprentice")
		if len(first.rows) != 50 || first.first != 1 || first.last != 50 || first.of < added {
			t.Fatalf("filtered first page: %d rows, %d–%d of %d", len(first.rows), first.first, first.last, first.of)
		}
		if first.next != "/hr?page=2&role=apprentice&status=missing" {
			t.Fatalf("next link loses the filters: %q", first.next)
		}
		second := viewHR(t, hr, first.next)
		if len(second.rows) != first.of-50 || second.first != 51 || second.last != first.of || second.of != first.of {
			t.Fatalf("second page: %d rows, %d–%d of %d; want %d rows, 51–%d", len(second.rows), second.first, second.last, second.of, first.of-50, first.of)
		}
		if second.next != "" || second.prev != "/hr?page=1&role=apprentice&status=missing" {
			t.Fatalf("second page links: prev %q, next %q", second.prev, second.next)
		}
		var seen []string
		for _, r := range append(first.rows, second.rows...) {
			if r.Role != "Apprentice" || r.Label != "Missing" {
				t.Fatalf("filtered to missing apprentices, shows %+v", r)
			}
			seen = append(seen, r.Person)
		}
		if !slices.IsSorted(seen) {
			t.Fatalf("rows are not in name order across the pages: %v", seen)
		}
		for _, n := range names {
			if c := slices.Index(seen, n); c < 0 || slices.Contains(seen[c+1:], n) {
				t.Fatalf("%s is not on exactly one of the two pages", n)
			}
		}
		// The summary is of everything, whichever page.
		if first.siteTable() != second.siteTable() || first.siteTable() != all.siteTable() {
			t.Fatal("the site table changes with the page or the filters")
		}
		if all.people["Riverside Family Medicine"] < added || all.people["All sites"] < added+1 {
			t.Fatalf("site table counts: %v", all.people)
		}

		// A page past the end shows the last page; a page that is not a
		// number shows the first (as the reports do).
		if p := viewHR(t, hr, "/hr?status=missing&role=apprentice&page=99"); p.first != 51 || len(p.rows) != first.of-50 {
			t.Fatalf("page 99: rows %d–%d", p.first, p.last)
		}
		for _, bad := range []string{"0", "-1", "x", "1e9"} {
			if p := viewHR(t, hr, "/hr?status=missing&role=apprentice&page="+bad); p.first != 1 || len(p.rows) != 50 {
				t.Fatalf("page=%s: rows %d–%d", bad, p.first, p.last)
			}
		}
		// Nothing matching: the empty state, no table, no pager.
		empty := viewHR(t, hr, "/hr?status=unverified&role=preceptor")
		if len(empty.rows) != 0 || empty.of != 0 || empty.next != "" || !strings.Contains(empty.body, "Nothing needing attention matches these filters.") {
			t.Fatalf("empty state: %d rows, of %d, next %q", len(empty.rows), empty.of, empty.next)
		}
	})
}

func (c *client) mustLoginAs(email string) {
	c.e.t.Helper()
	if r := c.login(email, demo.Password); r.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: %d\n%s", email, r.StatusCode, r.body)
	}
}

// The dashboard is cached per instance, yet every write it depends on,
// made through either instance's pages or API or straight through a store
// or SQL, shows on the very next request to both instances; so does a new
// day.
func TestHRDashboardSeesEveryWriteOnEveryInstance(t *testing.T) {
	forEach(t, func(t *testing.T, a *env) {
		people := withDemo(t, a)
		b := a.instance()
		ctx := t.Context()
		onA := a.client()
		onA.mustLoginAs("hr@demo.test")
		onB := *onA // the same browser, sent to B by the load balancer
		onB.e = b
		_, tok, err := a.store.CreateToken(ctx, people["hr@demo.test"].ID, "hris", 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// check loads the dashboard on both instances (filling both caches)
		// and checks what each shows.
		check := func(what string, ok func(p hrPage) bool) {
			t.Helper()
			for name, c := range map[string]*client{"A": onA, "B": &onB} {
				if p := viewHR(t, c, "/hr"); !ok(p) {
					t.Fatalf("%s: instance %s shows\n%+v\n%v", what, name, p.rows, p.people)
				}
			}
		}
		label := func(p hrPage, person string) string {
			if rs := p.row(person); len(rs) == 1 {
				return rs[0].Label
			}
			return ""
		}
		before := viewHR(t, onA, "/hr")
		check("before", func(p hrPage) bool {
			return strings.HasPrefix(label(p, "Riley Nguyen"), "Expired") && strings.HasPrefix(label(p, "Jordan Lee"), "Expiring in") &&
				strings.HasPrefix(label(p, "Sam Carter"), "Missing, within grace")
		})

		// A new day: the cache is for one day only.
		jordanBefore := label(before, "Jordan Lee")
		a.clock.Advance(24 * time.Hour)
		onA.mustLoginAs("hr@demo.test") // the session ran out overnight
		onB.cookies = onA.cookies
		check("the next day", func(p hrPage) bool {
			l := label(p, "Jordan Lee")
			return strings.HasPrefix(l, "Expiring in") && l != jordanBefore
		})

		// A renewed card added through B's API: on file, not verified yet.
		riley := people["apprentice3@demo.test"]
		today := curriculum.DateOf(a.clock.Now(), a.cfg.Location())
		r := apiCall(b, "POST", "/api/v1/people/"+riley.ID+"/credentials", tok, `{"type":"BLS","issued_on":"`+today.AddDays(-1).String()+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("add through B: %d %s", r.StatusCode, r.body)
		}
		check("card added through B", func(p hrPage) bool { return label(p, "Riley Nguyen") == "On file, not verified yet" })

		// Verified straight through the store: Riley needs nothing now.
		recs, err := credentialsStore(a).ForPeople(ctx, []string{riley.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[riley.ID] {
			if !rec.Verified() {
				if _, err := credentialsStore(a).Verify(ctx, rec.ID, people["hr@demo.test"].ID, "card seen"); err != nil {
					t.Fatal(err)
				}
			}
		}
		check("card verified through the store", func(p hrPage) bool { return len(p.row("Riley Nguyen")) == 0 })

		// Jordan's enrollment withdrawn: off the list and out of the count.
		riverside := before.people["Riverside Family Medicine"]
		ens, err := evidence.NewStore(a.db).Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{people["apprentice@demo.test"].ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v %v", ens, err)
		}
		svc := evidence.NewService(a.db, programs.NewStore(a.db))
		if err := svc.ChangeStatus(ctx, ens[0].ID, evidence.ActorOf(people["director@demo.test"]), assessments.EnrollmentWithdrawn, "left"); err != nil {
			t.Fatal(err)
		}
		check("enrollment withdrawn", func(p hrPage) bool {
			return len(p.row("Jordan Lee")) == 0 && p.people["Riverside Family Medicine"] == riverside-1
		})

		// Sam moves to the other clinic (in SQL: no page does that yet).
		sam := people["apprentice2@demo.test"]
		northgate := riley.SiteIDs[0]
		if _, err := a.db.NewRaw("UPDATE user_sites SET site_id = ? WHERE user_id = ?", northgate, sam.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("site changed", func(p hrPage) bool {
			rs := p.row("Sam Carter")
			return len(rs) == 1 && rs[0].Site == "Northgate Pediatrics"
		})

		// And is renamed.
		if _, err := a.db.NewRaw("UPDATE users SET name = 'Samantha Carter' WHERE id = ?", sam.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("name changed", func(p hrPage) bool { return len(p.row("Sam Carter")) == 0 && len(p.row("Samantha Carter")) == 1 })
	})
}

// Every table the dashboard is computed from moves the change stamp when
// its rows change, whichever code (or hand-written SQL) wrote; logins and
// password changes do not.
func TestHRStampBumpedByEveryTable(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := t.Context()
		f := newHRFixture(t, e, people)
		stamp := func() int64 {
			t.Helper()
			v, err := db.ChangeStamp(ctx, e.db, db.ScopeCredentials)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		exec := func(q string, args ...any) func() error {
			return func() error {
				res, err := e.db.NewRaw(q, args...).Exec(ctx)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return fmt.Errorf("no row changed")
				}
				return nil
			}
		}
		now := e.clock.Now()
		jordan, helen := people["apprentice@demo.test"], people["hr@demo.test"]
		ens, err := f.svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v %v", ens, err)
		}
		site, err := e.store.CreateSite(ctx, "Stamp Clinic")
		if err != nil {
			t.Fatal(err)
		}
		var cred string
		login := func(pw string) func() error {
			return func() error { e.client().login("hr@demo.test", pw); return nil }
		}
		for _, w := range []struct {
			name  string
			write func() error
			bump  bool
		}{
			{"sites insert", func() error { _, err := e.store.CreateSite(ctx, "Another Clinic"); return err }, true},
			{"sites update", exec("UPDATE sites SET name = 'Stamp Clinic West' WHERE id = ?", site.ID), true},
			{"users insert", exec("INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('stamp-u', 'stamp@test.test', 'Stamp Person', ?, ?)", now, now), true},
			{"users update name", exec("UPDATE users SET name = 'Stamp Renamed' WHERE id = 'stamp-u'"), true},
			{"users update licence type", exec("UPDATE users SET credential = 'LPN' WHERE id = 'stamp-u'"), true},
			{"users disabled", func() error { return e.store.SetDisabled(ctx, "stamp-u", true) }, true},
			{"users enabled", func() error { return e.store.SetDisabled(ctx, "stamp-u", false) }, true},
			{"users failed-login bookkeeping", exec("UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = ?, locked_until = ? WHERE id = 'stamp-u'", now, now), false},
			{"users password", exec("UPDATE users SET password_hash = 'x', must_change_password = TRUE, updated_at = ? WHERE id = 'stamp-u'", now), false},
			{"failed login", login("wrong password"), false},
			{"login", login(demo.Password), false},
			{"password change", func() error { return e.store.SetPassword(ctx, helen.ID, "a brand new passphrase for helen") }, false},
			{"user_roles insert", exec("INSERT INTO user_roles (user_id, role) VALUES ('stamp-u', 'apprentice')"), true},
			{"user_roles update", exec("UPDATE user_roles SET role = 'preceptor' WHERE user_id = 'stamp-u'"), true},
			{"user_sites insert", exec("INSERT INTO user_sites (user_id, site_id) VALUES ('stamp-u', ?)", site.ID), true},
			{"user_sites update", exec("UPDATE user_sites SET site_id = ? WHERE user_id = 'stamp-u'", jordan.SiteIDs[0]), true},
			{"credentials insert", func() error {
				r, err := credentialsStore(e).Add(ctx, newRecord("stamp-u", "LPN", "2025-01-01", "2027-01-31"))
				cred = r.ID
				return err
			}, true},
			{"credentials update", func() error { _, err := credentialsStore(e).Verify(ctx, cred, helen.ID, "board lookup"); return err }, true},
			{"enrollments insert", exec(`INSERT INTO enrollments (id, apprentice_id, version_id, site_id, hire_date, start_date, status, created_at, idempotency_key)
				VALUES ('stamp-e', ?, ?, ?, '2026-01-05', '2026-01-05', 'active', ?, 'stamp-e')`, jordan.ID, f.versionID, jordan.SiteIDs[0], now), true},
			{"enrollments update", exec("UPDATE enrollments SET status = 'withdrawn' WHERE id = 'stamp-e'"), true},
			{"enrollment_moves insert", exec(`INSERT INTO enrollment_moves (id, from_enrollment_id, to_enrollment_id, effective_on, moved_by, moved_at, idempotency_key)
				VALUES ('stamp-m', ?, 'stamp-e', '2026-01-05', ?, ?, 'stamp-m')`, ens[0].ID, f.admin, now), true},
			{"enrollment_moves update", exec("UPDATE enrollment_moves SET effective_on = '2026-01-06' WHERE id = 'stamp-m'"), true},
			{"enrollment_moves delete", exec("DELETE FROM enrollment_moves WHERE id = 'stamp-m'"), true},
			{"enrollments delete", exec("DELETE FROM enrollments WHERE id = 'stamp-e'"), true},
			{"credentials delete", func() error { return exec("DELETE FROM credentials WHERE id = ?", cred)() }, true},
			{"user_sites delete", exec("DELETE FROM user_sites WHERE user_id = 'stamp-u'"), true},
			{"user_roles delete", exec("DELETE FROM user_roles WHERE user_id = 'stamp-u'"), true},
			{"users delete", exec("DELETE FROM users WHERE id = 'stamp-u'"), true},
			{"sites delete", exec("DELETE FROM sites WHERE id = ?", site.ID), true},
		} {
			before := stamp()
			if err := w.write(); err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			switch after := stamp(); {
			case w.bump && after <= before:
				t.Errorf("%s left the stamp at %d", w.name, after)
			case !w.bump && after != before:
				t.Errorf("%s moved the stamp from %d to %d", w.name, before, after)
			}
		}
	})
}

// The cache holds every site, and every request keeps only the sites its
// user may see: an HR user of one clinic, served from what an admin's
// request computed, sees that clinic's rows and counts and nothing else.
func TestHRDashboardSiteHRSeesOnlyTheirSites(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, qc := countingEnv(t, d)
		people := withDemo(t, e)
		f := newHRFixture(t, e, people)
		ctx := t.Context()
		lake, err := e.store.CreateSite(ctx, "Lakeside Clinic")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Create(ctx, accounts.NewPerson{Email: "lake-hr@demo.test", Name: "Lee Lakeside", Roles: []accounts.Role{accounts.RoleHR},
			SiteIDs: []string{lake.ID}, Password: demo.Password, DemoPassword: true}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			f.apprentice(fmt.Sprintf("Lake Apprentice %d", i), lake.ID, 400)
		}
		admin, lakeHR := e.client(), e.client()
		admin.mustLoginAs("admin@demo.test")
		lakeHR.mustLoginAs("lake-hr@demo.test")

		all := viewHR(t, admin, "/hr")
		for _, who := range []string{"Riley Nguyen", "Jordan Lee", "Lake Apprentice 1"} {
			if len(all.row(who)) == 0 {
				t.Fatalf("the admin does not see %s", who)
			}
		}
		qc.reset()
		for _, path := range []string{"/hr", "/hr?status=missing", "/hr?role=apprentice&page=2"} {
			p := viewHR(t, lakeHR, path)
			if len(p.rows) != 3 || p.of != 3 {
				t.Fatalf("%s: %d rows of %d, want the 3 at Lakeside:\n%+v", path, len(p.rows), p.of, p.rows)
			}
			for _, r := range p.rows {
				if r.Site != "Lakeside Clinic" || !strings.HasPrefix(r.Person, "Lake Apprentice") {
					t.Fatalf("%s: Lakeside's HR sees %+v", path, r)
				}
			}
			if len(p.sites) != 2 || p.people["Lakeside Clinic"] != 3 || p.people["All sites"] != 3 ||
				!strings.Contains(p.sites["All sites"], `">3</a></td>`) { // the missing count, a link to its list
				t.Fatalf("%s: site table %v", path, p.sites)
			}
			for _, other := range []string{"Riley Nguyen", "Jordan Lee", "Riverside", "Northgate", "Eastside"} {
				if strings.Contains(p.body, other) {
					t.Fatalf("%s: Lakeside's HR sees %q", path, other)
				}
			}
		}
		// Served from the admin's computation, not computed again (which
		// would have passed without the cache).
		_, log := qc.count()
		for _, q := range log {
			if strings.Contains(q, `"enrollment_row"`) {
				t.Fatalf("Lakeside's HR's requests read enrollments; the cache was not used:\n%s", strings.Join(log, "\n"))
			}
		}
		if again := viewHR(t, admin, "/hr"); again.of != all.of || again.siteTable() != all.siteTable() {
			t.Fatal("the admin's view changed after a one-site request")
		}
	})
}

// When the dashboard is computed (the cache missed), it still takes the
// same number of queries however many people and sites there are.
func TestHRDashboardComputeQueriesDoNotGrowWithRows(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, qc := countingEnv(t, d)
		people := withDemo(t, e)
		g := newGrower(t, e, people)
		watchers := []*accounts.Person{people["hr@demo.test"], people["admin@demo.test"]}
		g.grow(1, 2, watchers...)
		hr := e.client()
		hr.mustLoginAs("hr@demo.test")
		// measure counts the queries of a request that must compute: a
		// write that changes nothing shown moves the stamp first.
		measure := func() (int, []string) {
			t.Helper()
			hr.get("/hr") // warm: session touch, cached program versions
			if _, err := e.db.NewRaw("UPDATE sites SET name = name").Exec(t.Context()); err != nil {
				t.Fatal(err)
			}
			qc.reset()
			if r := hr.get("/hr"); r.StatusCode != http.StatusOK {
				t.Fatalf("/hr: %d", r.StatusCode)
			}
			return qc.count()
		}
		small, _ := measure()
		g.grow(3, 6, watchers...)
		large, log := measure()
		if large > small {
			t.Fatalf("computing /hr took %d queries with few rows, %d with more:\n  %s", small, large, strings.Join(log, "\n  "))
		}
		var computed bool
		for _, q := range log {
			computed = computed || strings.Contains(q, `"enrollment_row"`)
		}
		if !computed {
			t.Fatalf("the measured request did not compute the dashboard:\n  %s", strings.Join(log, "\n  "))
		}
	})
}

// HR finds everyone whose BLS expires this month in one click from the
// dashboard ("BLS: N expiring this month"), the chart's bars lead to
// their month's list, and each count of the site table leads to the list
// it counts.
func TestHRDashboardThisMonthAndLinks(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		f := newHRFixture(t, e, people)
		riverside := people["apprentice@demo.test"].SiteIDs[0]
		soon := f.apprentice("Mona Thismonth", riverside, 30)
		later := f.apprentice("Nate Nextmonth", riverside, 30)
		store := credentialsStore(e)
		for _, c := range []struct {
			who     *accounts.Person
			expires curriculum.Date
		}{{soon, f.today.EndOfMonth()}, {later, f.today.EndOfMonth().AddDays(1).EndOfMonth()}} {
			r, err := store.Add(t.Context(), newRecord(c.who.ID, "BLS", f.today.AddMonths(-23).String(), c.expires.String()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Verify(t.Context(), r.ID, people["hr@demo.test"].ID, "card seen"); err != nil {
				t.Fatal(err)
			}
		}
		hr := e.client()
		hr.mustLoginAs("hr@demo.test")
		dash := viewHR(t, hr, "/hr")
		link := html.UnescapeString(regexpFind(`<a href="([^"]+)">BLS: \d+ expiring this month</a>`, dash.body))
		if link == "" {
			t.Fatalf("no BLS-this-month link on the dashboard")
		}
		list := viewHR(t, hr, link)
		if len(list.row("Mona Thismonth")) != 1 || len(list.row("Nate Nextmonth")) != 0 {
			t.Fatalf("BLS this month lists %+v", list.rows)
		}
		n, _ := strconv.Atoi(regexpFind(`>BLS: (\d+) expiring this month</a>`, dash.body))
		if n != list.of || n == 0 {
			t.Fatalf("the dashboard says %d BLS expire this month, the list has %d", n, list.of)
		}
		for _, r := range list.rows {
			if r.Credential != "BLS" {
				t.Fatalf("the BLS list shows %+v", r)
			}
		}
		// The chart: the bar of next month lists Nate.
		next := f.today.EndOfMonth().AddDays(1)
		bar := fmt.Sprintf("/hr?month=%04d-%02d", next.Year(), int(next.Month()))
		if !strings.Contains(dash.body, `<a href="`+bar+`#list"`) {
			t.Fatalf("no bar links to %s", bar)
		}
		if p := viewHR(t, hr, bar); len(p.row("Nate Nextmonth")) != 1 || len(p.row("Mona Thismonth")) != 0 {
			t.Fatalf("next month's bar lists %+v", p.rows)
		}
		// The site table's missing count for Riverside leads to as many rows.
		missing := html.UnescapeString(regexpFind(`<a href="(/hr\?site=[^"]*status=missing[^"]*)"`, dash.body))
		if missing == "" {
			missing = html.UnescapeString(regexpFind(`<a href="(/hr\?[^"]*status=missing[^"]*site=[^"]*)"`, dash.body))
		}
		if missing == "" {
			t.Fatalf("the site table's counts are not links")
		}
		got := viewHR(t, hr, missing)
		want, _ := strconv.Atoi(regexpFind(`aria-label="(\d+) missing, Northgate Pediatrics"`, dash.body))
		if !strings.Contains(missing, people["graduate@demo.test"].SiteIDs[0]) {
			want, _ = strconv.Atoi(regexpFind(`aria-label="(\d+) missing, Riverside Family Medicine"`, dash.body))
		}
		if got.of != want {
			t.Fatalf("%s lists %d rows, the table says %d", missing, got.of, want)
		}
		if r := hr.get("/hr?month=1999-01"); r.StatusCode != 400 || !strings.Contains(r.body, "next 12 months") {
			t.Fatalf("a month outside the chart: %d", r.StatusCode)
		}
	})
}
