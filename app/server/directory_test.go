package server_test

import (
	"fmt"
	"net/url"
	"strconv"
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

// TestPeopleDirectoryTotals: the total the directory shows ("People 1–25
// of N") is the same on every page and sort, and follows every change to
// whom the reader may see, including the ones made behind Skillgate's back
// (the total of an unsearched directory is kept between views): a person
// added, taken out of the reader's sites, given or relieved of a role; a
// search counts people by their current email.
func TestPeopleDirectoryTotals(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := t.Context()
		riverside := people["apprentice@demo.test"].SiteIDs[0]
		add := func(i int) *accounts.Person {
			p, err := e.store.Create(ctx, accounts.NewPerson{Email: fmt.Sprintf("counted%02d@demo.test", i), Name: fmt.Sprintf("Counted Person %02d", i),
				Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{riverside}})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		for i := 0; i < 30; i++ { // more than one page
			add(i)
		}
		exec := func(sql string, args ...any) {
			t.Helper()
			if _, err := e.db.NewRaw(sql, args...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		hr := e.client()
		hr.mustLoginAs("hr@demo.test")
		total := func(query string) int {
			t.Helper()
			r := hr.get("/people?" + query)
			if r.StatusCode != 200 {
				t.Fatalf("/people?%s: %d\n%s", query, r.StatusCode, r.body)
			}
			n, err := strconv.Atoi(regexpFind(`<caption>People \d+–\d+ of (\d+)</caption>`, r.body))
			if err != nil {
				t.Fatalf("/people?%s shows no total:\n%s", query, r.body)
			}
			return n
		}
		want := func(query string, n int) {
			t.Helper()
			if got := total(query); got != n {
				t.Errorf("/people?%s: of %d, want %d", query, got, n)
			}
		}
		all, apprentices, inRiverside, preceptors := total(""), total("role=apprentice"), total("site="+riverside), total("role=preceptor")
		if all < 30+len(people)/2 {
			t.Fatalf("HR sees %d people, fewer than those added", all)
		}
		for _, q := range []string{"", "page=2", "sort=email&dir=desc", "sort=sites&page=2"} {
			want(q, all)
		}

		p := add(30)
		want("", all+1)
		want("page=2", all+1)
		want("role=apprentice", apprentices+1)
		want("site="+riverside, inRiverside+1)

		exec("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", p.ID, string(accounts.RolePreceptor))
		want("role=preceptor", preceptors+1)
		exec("DELETE FROM user_roles WHERE user_id = ? AND role = ?", p.ID, string(accounts.RolePreceptor))
		want("role=preceptor", preceptors)

		exec("DELETE FROM user_sites WHERE user_id = ?", p.ID)
		want("", all)
		want("site="+riverside, inRiverside)
		want("role=apprentice", apprentices)

		// A search is counted afresh: an email changed behind Skillgate's
		// back is found at once.
		exec("INSERT INTO user_sites (user_id, site_id) VALUES (?, ?)", p.ID, riverside)
		want("q=counted", 31)
		byEmail := total("q=" + url.QueryEscape("@demo.test"))
		exec("UPDATE users SET email = ? WHERE id = ?", "renamed.mailbox@elsewhere.test", p.ID)
		want("q=renamed.mailbox", 1)
		want("q="+url.QueryEscape("@demo.test"), byEmail-1)
		want("", all+1)
	})
}
