package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
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

// A director raises a count in a draft and sees it as a change with the
// apprentices it would affect; once published, the cohort moves at once
// after a preview: all of them or, when one cannot move, none; each move
// is audited, and sending the confirmation again moves nobody twice.
func TestCohortMovesAtOnceAllOrNothing(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := context.Background()
		st := programs.NewStore(e.db)
		list, _ := st.List(ctx)
		prog := list[0]
		draft, err := st.StartDraft(ctx, prog.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		edited := draft.Version.Clone()
		if err := edited.Edit(func(p *curriculum.Program) error { p.Competency("PHL-VENI").Performances[0].Count = 12; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDraft(ctx, draft.ID, draft.LockVersion, edited); err != nil {
			t.Fatal(err)
		}
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		page := dir.get("/programs/" + prog.ID + "/v/2")
		changes := regexpFind(`(?s)(<section class="card" id="changes".*?</section>)`, page.body)
		for _, want := range []string{"Changes from version 1", "1 change: 1 competency changed.", "Venipuncture", "10 successful observed performances", "12 successful observed performances"} {
			if !strings.Contains(changes, want) {
				t.Fatalf("the draft's changes lack %q:\n%s", want, changes)
			}
		}
		affected := regexpFind(`(?s)(<section class="card" id="affected".*?</section>)`, page.body)
		if !strings.Contains(affected, "4 apprentices on older versions") || !strings.Contains(affected, "Jordan Lee") || strings.Contains(affected, "/move") {
			t.Fatalf("who the draft would affect:\n%s", affected)
		}
		cur, _ := st.Version(ctx, prog.ID, 2)
		if _, err := st.Publish(ctx, cur.ID, cur.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		// One apprentice's move page says what is newly required of him.
		one := dir.get("/people/" + people["apprentice@demo.test"].ID + "/move")
		newly := regexpFind(`(?s)(<h2>Newly required in version 2</h2>.*?)<form`, one.body)
		if !strings.Contains(newly, "Venipuncture") || !strings.Contains(newly, "12 successful observed performances") {
			t.Fatalf("Jordan's move page, newly required:\n%s", newly)
		}
		preview := dir.get("/programs/" + prog.ID + "/v/2/move")
		if preview.StatusCode != http.StatusOK || !strings.Contains(preview.body, "4 apprentices at your sites will move") || !strings.Contains(preview.body, "What changes from version 1") {
			t.Fatalf("preview: %d %s", preview.StatusCode, regexpFind(`(?s)<main[^>]*>(.*?)</main>`, preview.body))
		}
		form := formFromPage(t, preview.body)
		if len(form["enrollment"]) != 4 {
			t.Fatalf("the form names %d enrollments", len(form["enrollment"]))
		}
		// A day before some of the enrollments started: nobody moves.
		ens, err := e.svc.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{IDs: form["enrollment"]})
		if err != nil {
			t.Fatal(err)
		}
		latest := ens[0].StartDate
		for _, en := range ens {
			if en.StartDate.After(latest) {
				latest = en.StartDate
			}
		}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("effective_on", latest.AddDays(-1).String())
		r := dir.post("/programs/"+prog.ID+"/v/2/move", bad)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `aria-invalid="true"`) || !strings.Contains(r.body, `value="`+latest.AddDays(-1).String()+`"`) {
			t.Fatalf("a date before a start: %d", r.StatusCode)
		}
		if n := audittest.Count(t, e.db, evidence.ActionMove); n != 0 {
			t.Fatalf("%d moves recorded after a refused cohort move", n)
		}
		// Inside the transaction: one enrollment of the batch already moved
		// (here by hand) undoes the others.
		_, err = e.svc.Evidence.MoveAll(ctx, append(form["enrollment"], form["enrollment"][0]), evidence.ActorOf(people["director@demo.test"]),
			evidence.MoveRequest{IdempotencyKey: "cohort-twice-00000001", ToVersionID: cur.ID})
		if err == nil || audittest.Count(t, e.db, evidence.ActionMove) != 0 {
			t.Fatalf("a batch naming one enrollment twice: %v, %d moves kept", err, audittest.Count(t, e.db, evidence.ActionMove))
		}

		r = dir.post("/programs/"+prog.ID+"/v/2/move", form)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d %s", r.StatusCode, regexpFind(`(?s)<main[^>]*>(.*?)</main>`, r.body))
		}
		if n := audittest.Count(t, e.db, evidence.ActionMove); n != 4 {
			t.Fatalf("%d moves audited, want 4", n)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionMove); ent.Actor != people["director@demo.test"].ID || !strings.Contains(ent.After, `"number":2`) {
			t.Fatalf("move entry %+v", ent)
		}
		// The same confirmation again: nobody moves twice.
		if r := dir.post("/programs/"+prog.ID+"/v/2/move", form); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusConflict {
			t.Fatalf("again: %d", r.StatusCode)
		}
		if n := audittest.Count(t, e.db, evidence.ActionMove); n != 4 {
			t.Fatalf("%d moves after the confirmation was sent again", n)
		}
		if page := dir.get("/programs/" + prog.ID + "/v/2"); strings.Contains(page.body, `id="affected"`) {
			t.Fatal("the version still lists apprentices on older versions")
		}
		if r := dir.get("/api/v1/clearances?person=" + people["apprentice@demo.test"].ID); !strings.Contains(r.body, `"version":2`) {
			t.Fatalf("Jordan after the move: %.200s", r.body)
		}
	})
}
