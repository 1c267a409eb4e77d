package server_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/demo"
)

// cohortNames lists the apprentices of a cohort page in the order shown.
func cohortNames(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr><th scope="row"><a href="/enrollments/[^"]+">([^<]+)</a>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The director's cohort grid names competencies (codes second), sorts by
// name or progress on the server with plain links, filters by site (only
// the director's own), and every cell is a link to that competency on the
// apprentice's enrollment page (a tap works; no hover needed).
func TestCohortGridSortsFiltersAndLinksCells(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		r := dir.get("/cohort")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("cohort: %d", r.StatusCode)
		}
		for _, want := range []string{`<span class="comp-name">Venipuncture</span> <code>PHL-VENI</code>`, `href="/cohort?sort=progress"`, `aria-sort="ascending"`} {
			if !strings.Contains(r.body, want) {
				t.Fatalf("the cohort page lacks %q", want)
			}
		}
		if got := strings.Join(cohortNames(r.body), ", "); got != "Casey Brooks, Jordan Lee, Riley Nguyen, Sam Carter" {
			t.Fatalf("by name: %s", got)
		}
		jordan := regexpFind(`<a href="(/enrollments/[^"]+)">Jordan Lee</a>`, r.body)
		if !strings.Contains(r.body, `href="`+jordan+`#c-PHL-VENI"`) {
			t.Fatalf("Jordan's venipuncture cell is not a link to it on his enrollment (%s)", jordan)
		}
		// Most progress first.
		r = dir.get("/cohort?sort=progress&dir=desc")
		names := cohortNames(r.body)
		if len(names) != 4 || names[0] != "Jordan Lee" || !strings.Contains(r.body, `aria-sort="descending"`) {
			t.Fatalf("by progress, most first: %v", names)
		}
		percents := regexp.MustCompile(`</a></th><td>(\d+)%</td>`).FindAllStringSubmatch(r.body, -1)
		for i := 1; i < len(percents); i++ {
			if atoi(t, percents[i][1]) > atoi(t, percents[i-1][1]) {
				t.Fatalf("not by progress: %v", percents)
			}
		}
		// One site: Riley and Casey work at Northgate, the others at Riverside (least progress first).
		north := people["graduate@demo.test"].SiteIDs[0]
		r = dir.get("/cohort?site=" + north + "&sort=progress")
		if got := strings.Join(cohortNames(r.body), ", "); got != "Riley Nguyen, Casey Brooks" || !strings.Contains(r.body, `<input type="hidden" name="sort" value="progress">`) {
			t.Fatalf("Northgate: %s", got)
		}
		if r := dir.get("/cohort?site=not-a-site-of-mine"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not one of yours") {
			t.Fatalf("a site that is not the director's: %d", r.StatusCode)
		}
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
