package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
)

// TestPeopleDirectory: staff find people within their sites by name,
// email and (HR, admins) employee id, filter by role, site, program and
// enrollment status, sort by a column; only HR and admins see employee ids
// and hire dates; people not yet enrolled are listed.
func TestPeopleDirectory(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		northgate := people["graduate@demo.test"].SiteIDs[0]
		// An imported-style person: no enrollment, no login yet.
		if _, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "new.ma@demo.test", Name: "Noor Haddad", EmployeeID: "E3001",
			HireDate: "2026-11-02", Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{people["apprentice@demo.test"].SiteIDs[0]}}); err != nil {
			t.Fatal(err)
		}
		as := func(email string) *client {
			c := e.client()
			if r := c.login(email, demo.Password); r.StatusCode != 303 {
				t.Fatalf("login %s: %d", email, r.StatusCode)
			}
			return c
		}
		hr, dir, prec := as("hr@demo.test"), as("director@demo.test"), as("preceptor@demo.test")
		find := func(c *client, query string) string {
			t.Helper()
			r := c.get("/people?" + query)
			if r.StatusCode != 200 {
				t.Fatalf("/people?%s: %d\n%s", query, r.StatusCode, r.body)
			}
			return r.body
		}

		if b := find(hr, "q=noor"); !strings.Contains(b, "Noor Haddad") || !strings.Contains(b, "Not enrolled") ||
			!strings.Contains(b, "E3001") || !strings.Contains(b, "2026-11-02") || strings.Contains(b, "Jordan Lee") {
			t.Errorf("HR searching by name: the imported, not enrolled person with id and hire date should be the only row:\n%s", b)
		}
		if b := find(hr, "q=e2001"); !strings.Contains(b, "Jordan Lee") || strings.Contains(b, "Noor Haddad") {
			t.Errorf("HR searching by employee id finds the wrong people:\n%s", b)
		}
		if b := find(hr, "q="+url.QueryEscape("HR@DEMO")); !strings.Contains(b, "Helen Ortiz") {
			t.Errorf("HR searching by email (any case) does not find Helen")
		}
		if b := find(hr, "status=not_enrolled&role=apprentice"); !strings.Contains(b, "Noor Haddad") || strings.Contains(b, "Jordan Lee") {
			t.Errorf("the not-enrolled filter is wrong:\n%s", b)
		}
		if b := find(hr, "status=active&role=apprentice"); !strings.Contains(b, "Jordan Lee") || strings.Contains(b, "Noor Haddad") {
			t.Errorf("the active filter is wrong:\n%s", b)
		}
		if b := find(hr, "site="+northgate); !strings.Contains(b, "Casey Brooks") || strings.Contains(b, "Jordan Lee") {
			t.Errorf("the site filter is wrong:\n%s", b)
		}
		asc, desc := find(hr, "sort=name"), find(hr, "sort=name&dir=desc")
		if strings.Index(asc, "Alex Morgan") > strings.Index(asc, "Sam Carter") || strings.Index(desc, "Alex Morgan") < strings.Index(desc, "Sam Carter") {
			t.Errorf("sorting by name does not order the rows")
		}
		if !strings.Contains(asc, `aria-sort="ascending"`) || !strings.Contains(desc, `aria-sort="descending"`) {
			t.Errorf("the sorted column does not say so (aria-sort)")
		}
		// Sorting by what the enrollment holds: not-enrolled people last,
		// each row still with its roles, sites and program.
		for _, sort := range []string{"program", "status", "hire_date"} {
			b := find(hr, "sort="+sort)
			if !strings.Contains(b, "Jordan Lee") || !strings.Contains(b, "Medical Assistant") || !strings.Contains(b, "Riverside Family Medicine") ||
				(sort != "hire_date" && strings.Index(b, "Noor Haddad") < strings.Index(b, "Jordan Lee")) {
				t.Errorf("sorting by %s: rows missing or a not-enrolled person first:\n%s", sort, b)
			}
		}

		// A director sees the same people but no employee ids or hire
		// dates, and cannot find anyone by employee id.
		if b := find(dir, "q=noor"); !strings.Contains(b, "Noor Haddad") || strings.Contains(b, "E3001") || strings.Contains(b, "2026-11-02") ||
			strings.Contains(b, "Employee id") {
			t.Errorf("a director sees employee ids or hire dates:\n%s", b)
		}
		if b := find(dir, "q=e2001"); strings.Contains(b, "Jordan Lee") {
			t.Errorf("a director found someone by an employee id they may not see")
		}
		// A preceptor of Riverside sees its apprentices, not staff.
		b := find(prec, "")
		if !strings.Contains(b, "Jordan Lee") || strings.Contains(b, "Helen Ortiz") || strings.Contains(b, "Casey Brooks") {
			t.Errorf("a preceptor's directory is not their apprentices:\n%s", b)
		}
		// Staff of one site only see that site's people.
		rita := e.person("rita.hr@demo.test", accounts.RoleHR)
		if _, err := e.db.NewRaw("INSERT INTO user_sites (user_id, site_id) VALUES (?, ?)", rita.ID, northgate).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.mustLogin("rita.hr@demo.test")
		if b := find(c, "q=e"); strings.Contains(b, "Jordan Lee") || !strings.Contains(b, "Casey Brooks") {
			t.Errorf("HR of Northgate sees Riverside's people:\n%s", b)
		}
		// The header's search box is on every staff page and leads here.
		if h := hr.get("/"); !strings.Contains(h.body, `action="/people"`) {
			t.Errorf("the header has no people search for HR")
		}
		ap := as("apprentice@demo.test")
		if h := ap.get("/"); strings.Contains(h.body, `action="/people"`) {
			t.Errorf("an apprentice is offered the people search")
		}
		if r := ap.get("/people"); r.StatusCode != 403 {
			t.Errorf("an apprentice on /people: %d", r.StatusCode)
		}
		if r := hr.get("/people?status=paused"); r.StatusCode != 400 || !strings.Contains(r.body, "no enrollment status") {
			t.Errorf("an unknown status: %d", r.StatusCode)
		}
	})
}
