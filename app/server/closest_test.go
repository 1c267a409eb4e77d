package server_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// closestRow is one row of the closest-to-clearance page as a director
// reads it.
type closestRow struct {
	name  string
	left  int
	steps string
}

var closestRowRE = regexp.MustCompile(`(?s)<tr><td>\d+</td><th scope="row"><a href="/people/[^"]+/clearance">([^<]+)</a></th>.*?<td>(\d+)</td><td>(.*?)</td></tr>`)

func closestRows(body string) []closestRow {
	var out []closestRow
	for _, m := range closestRowRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		out = append(out, closestRow{name: m[1], left: n, steps: m[3]})
	}
	return out
}

// TestClosestToClearanceRanksTheDirectorsCohort: two new apprentices of
// the director's site differ only in a verified BLS card; the one with it
// has one step fewer and ranks first although her name sorts last. The
// other site's apprentices never appear, and the workbook holds the same
// rows in the same order.
func TestClosestToClearanceRanksTheDirectorsCohort(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		people := withDemo(t, e)
		g := newGrower(t, e, people)
		// A director of Riverside only: Northgate's apprentices are not hers.
		site := people["apprentice@demo.test"].SiteIDs[0]
		if _, err := e.store.Create(ctx, accounts.NewPerson{Email: "riverside-director@closest.test", Name: "Rita Riverside",
			Roles: []accounts.Role{accounts.RoleDirector}, SiteIDs: []string{site}, Password: demo.Password, DemoPassword: true}); err != nil {
			t.Fatal(err)
		}
		today := curriculum.DateOf(e.clock.Now(), nil)
		enrol := func(name string) *accounts.Person {
			p, err := e.store.Create(ctx, accounts.NewPerson{Email: strings.ToLower(strings.Fields(name)[0]) + "@closest.test", Name: name,
				Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site}})
			if err != nil {
				t.Fatal(err)
			}
			hire := today.AddMonths(-6) // past BLS's 90 days of grace
			if _, _, err := g.svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: p.ID, VersionID: g.versionID, SiteID: site, HireDate: hire,
				StartDate: hire, PreceptorIDs: []string{g.preceptor.ID}, IdempotencyKey: "closest-" + p.ID}, g.admin.ID); err != nil {
				t.Fatal(err)
			}
			return p
		}
		enrol("Aaron Early")
		zoe := enrol("Zoe Late")
		r, err := g.svc.Credentials.Add(ctx, newRecord(zoe.ID, "BLS", today.AddMonths(-2).String(), today.AddMonths(20).String()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.svc.Credentials.Verify(ctx, r.ID, g.hr, "card seen"); err != nil {
			t.Fatal(err)
		}

		c := e.client()
		if r := c.login("riverside-director@closest.test", demo.Password); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		picker := c.get("/cohort/closest")
		if picker.StatusCode != http.StatusOK || !strings.Contains(picker.body, `<option value="INJECTIONS">Intramuscular, subcutaneous and intradermal injections</option>`) ||
			!strings.Contains(picker.body, `href="/cohort/closest?task=INJECTIONS"`) {
			t.Fatalf("the picker does not offer injections by name: %d\n%s", picker.StatusCode, picker.body)
		}
		page := c.get("/cohort/closest?task=INJECTIONS")
		if page.StatusCode != http.StatusOK {
			t.Fatalf("closest: %d\n%s", page.StatusCode, page.body)
		}
		rows := closestRows(page.body)
		var names []string
		for i, row := range rows {
			names = append(names, row.name)
			if i > 0 && row.left < rows[i-1].left {
				t.Fatalf("row %d (%s, %d left) ranks after %s with %d left", i, row.name, row.left, rows[i-1].name, rows[i-1].left)
			}
		}
		for _, who := range []string{"Riley Nguyen", "Casey Brooks"} { // Northgate: not the director's
			if strings.Contains(page.body, who) {
				t.Fatalf("%s of another site appears: %v", who, names)
			}
		}
		for _, who := range []string{"Jordan Lee", "Sam Carter", "Aaron Early", "Zoe Late"} {
			if !slices.Contains(names, who) {
				t.Fatalf("%s of the director's site is missing: %v", who, names)
			}
		}
		a, z := slices.Index(names, "Aaron Early"), slices.Index(names, "Zoe Late")
		if z > a || rows[z].left != rows[a].left-1 {
			t.Fatalf("Zoe (BLS on file) should rank before Aaron with one step fewer: %+v", rows)
		}
		if !strings.Contains(rows[a].steps, "BLS") || strings.Contains(rows[z].steps, "BLS") ||
			!strings.Contains(rows[a].steps, "more successful observed performances") {
			t.Fatalf("the steps left do not name what is missing:\nAaron: %s\nZoe: %s", rows[a].steps, rows[z].steps)
		}

		f := openXLSX(t, c.get("/cohort/closest.xlsx?task=INJECTIONS"))
		sheet, err := f.GetRows("Closest to clearance")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, row := range sheet[1:] {
			got = append(got, row[1])
			if row[0] != strconv.Itoa(i+1) || row[4] != strconv.Itoa(rows[i].left) {
				t.Fatalf("workbook row %d disagrees with the page: %v vs %+v", i+1, row, rows[i])
			}
		}
		if !slices.Equal(got, names) {
			t.Fatalf("the workbook's rows differ from the page's:\n%v\n%v", got, names)
		}

		bad := c.get("/cohort/closest?task=NOPE")
		if bad.StatusCode != http.StatusBadRequest || !strings.Contains(bad.body, "No program of your cohort has a task with the code “NOPE”") {
			t.Fatalf("an unknown task: %d\n%s", bad.StatusCode, bad.body)
		}
		if r := c.get("/cohort/closest.xlsx"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("a workbook without a task: %d", r.StatusCode)
		}
	})
}

// TestNavigationClearancesAndReports: the main navigation's "Clearances"
// leads every role to a page with clearances on it (staff who are not
// enrolled to the report of who may do what, not "X is not enrolled"),
// and directors find the reports and the closest-to-clearance ranking in
// it.
func TestNavigationClearancesAndReports(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		navLink := regexp.MustCompile(`<a href="([^"]+)"[^>]*>Clearances</a>`)
		for who, want := range map[string]string{"director@demo.test": "/reports/clearances", "hr@demo.test": "/reports/clearances",
			"preceptor@demo.test": "/reports/clearances", "admin@demo.test": "/reports/clearances", "apprentice@demo.test": "/clearance"} {
			c := e.client()
			if r := c.login(who, demo.Password); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("login %s: %d", who, r.StatusCode)
			}
			home := c.get("/")
			m := navLink.FindStringSubmatch(home.body)
			if m == nil || m[1] != want {
				t.Fatalf("%s: the Clearances item leads to %v, want %s", who, m, want)
			}
			page := c.get(m[1])
			if page.StatusCode != http.StatusOK || strings.Contains(page.body, "not enrolled") || !strings.Contains(page.body, "Venipuncture") {
				t.Fatalf("%s: %s answers %d:\n%s", who, m[1], page.StatusCode, page.body)
			}
		}
		c := e.client()
		if r := c.login("director@demo.test", demo.Password); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		home := c.get("/")
		if !strings.Contains(home.body, `<a href="/reports">Reports</a>`) || !strings.Contains(home.body, `<a href="/cohort/closest">Closest to clearance</a>`) {
			t.Fatalf("the director's navigation lacks Reports or Closest to clearance:\n%s", home.body)
		}
		idx := c.get("/reports")
		for _, want := range []string{`href="/cohort/closest"`, `href="/reports/clearances"`, `href="/reports/progress"`, `href="/reports/hours"`} {
			if idx.StatusCode != http.StatusOK || !strings.Contains(idx.body, want) {
				t.Fatalf("the reports index lacks %s: %d\n%s", want, idx.StatusCode, idx.body)
			}
		}
	})
}
