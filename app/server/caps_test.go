package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/demo"
)

// TestCohortGridAsksForASiteAboveItsCap: with the grid's cap lowered
// below the demo director's 4 apprentices, /cohort shows no grid and says
// how many there are and to choose a site; one site (2 apprentices) still
// shows its grid, and a cohort exactly at the cap shows all of it.
func TestCohortGridAsksForASiteAboveItsCap(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)

		e.srv.SetPageCaps(3, 100)
		r := dir.get("/cohort")
		if r.StatusCode != http.StatusOK || len(cohortNames(r.body)) != 0 ||
			!strings.Contains(r.body, "4 apprentices are enrolled at your sites: too many for one grid. Choose a site above") {
			t.Fatalf("above the cap, the page should ask for a site (%d, grid %v):\n%s", r.StatusCode, cohortNames(r.body), r.body)
		}
		north := people["graduate@demo.test"].SiteIDs[0]
		r = dir.get("/cohort?site=" + north)
		if got := strings.Join(cohortNames(r.body), ", "); got != "Casey Brooks, Riley Nguyen" || strings.Contains(r.body, "too many for one grid") {
			t.Fatalf("one site under the cap: %s", got)
		}

		e.srv.SetPageCaps(4, 100)
		r = dir.get("/cohort")
		if got := len(cohortNames(r.body)); got != 4 || strings.Contains(r.body, "too many for one grid") {
			t.Fatalf("at the cap the grid shows everyone: %d rows", got)
		}
	})
}

// TestClosestListsItsCapAndTheWorkbookEveryone: with the page's cap
// lowered to 2, "closest to clearance" for the demo director's 4
// apprentices lists exactly the 2 closest and says the .xlsx holds all 4;
// the workbook has the 4, the page's 2 first. At the cap the page lists
// everyone and says nothing of more.
func TestClosestListsItsCapAndTheWorkbookEveryone(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)

		e.srv.SetPageCaps(400, 2)
		page := dir.get("/cohort/closest?task=INJECTIONS")
		rows := closestRows(page.body)
		if page.StatusCode != http.StatusOK || len(rows) != 2 ||
			!strings.Contains(page.body, "The 2 closest of 4 apprentices, as of") || !strings.Contains(page.body, "The .xlsx holds all 4.") {
			t.Fatalf("above the cap the page lists the 2 closest and says so (%d, %d rows):\n%s", page.StatusCode, len(rows), page.body)
		}
		sheet, err := openXLSX(t, dir.get("/cohort/closest.xlsx?task=INJECTIONS")).GetRows("Closest to clearance")
		if err != nil {
			t.Fatal(err)
		}
		if len(sheet) != 1+4 {
			t.Fatalf("the workbook should hold all 4 apprentices: %d rows", len(sheet)-1)
		}
		for i, row := range rows {
			if sheet[1+i][1] != row.name {
				t.Fatalf("workbook row %d is %s, the page's %s", i+1, sheet[1+i][1], row.name)
			}
		}

		e.srv.SetPageCaps(400, 4)
		page = dir.get("/cohort/closest?task=INJECTIONS")
		if got := len(closestRows(page.body)); got != 4 || strings.Contains(page.body, "closest of") ||
			!strings.Contains(page.body, "4 apprentices, as of") {
			t.Fatalf("at the cap the page lists all 4: %d rows", got)
		}
	})
}
