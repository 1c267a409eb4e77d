package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
)

// withDemo seeds the demo organisation (people at different stages) and
// returns its people by email.
//
// An env on a database of its own (see ownEnv) gets demoTemplate's rows
// and starts again on them, on the same clock and settings: seeding took
// seconds per test. Any other env is seeded in place.
func withDemo(t *testing.T, e *env) map[string]*accounts.Person {
	t.Helper()
	if e.raw != nil {
		raw := dbtest.Refill(t, e.raw, demoTemplate)
		fresh := newInstanceWith(t, e.wrap(raw), e.clock, e.settings)
		fresh.raw, fresh.wrap = raw, e.wrap
		sites, err := fresh.store.Sites(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sites {
			if s.Name == eastside {
				fresh.siteID = s.ID
			}
		}
		*e = *fresh
	} else if _, err := demo.Seed(context.Background(), e.db, e.store); err != nil {
		t.Fatal(err)
	}
	out := map[string]*accounts.Person{}
	for _, a := range demo.Accounts {
		out[a.Email] = mustByEmail(t, e, a.Email)
	}
	return out
}

func TestClearanceAPIAndPageAgree(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		c := e.client()
		if r := c.login("apprentice@demo.test", demo.Password); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		api := c.do("GET", "/api/v1/clearances?person="+jordan.ID+"&task=VENIPUNCTURE", nil, map[string]string{"Accept": "application/json"})
		var d struct {
			Task, Status string
			Reasons      []struct{ Code, Message string }
			NextSteps    []string `json:"next_steps"`
		}
		decode(t, api, &d)
		if api.StatusCode != 200 || d.Status != "direct_supervision" || len(d.NextSteps) == 0 {
			t.Fatalf("venipuncture for Jordan: %d %s", api.StatusCode, api.body)
		}
		found := false
		for _, r := range d.Reasons {
			found = found || strings.Contains(r.Message, "8 of 10")
		}
		if !found {
			t.Fatalf("the reasons do not say 8 of 10: %s", api.body)
		}
		page := c.get("/clearance")
		row := regexpFind(`(?s)(<li id="t-VENIPUNCTURE">.*?\n    </li>)`, page.body)
		if !strings.Contains(row, "Direct supervision only") || !strings.Contains(row, "8 of 10") {
			t.Fatalf("the page's venipuncture row disagrees with the API:\n%s", row)
		}
		// Refills: Jordan was signed off recently and is cleared.
		if r := c.do("GET", "/api/v1/clearances?person="+jordan.ID+"&task=REFILLS", nil, nil); !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("refills: %s", r.body)
		}
		// Riley's annual refill re-verification is overdue.
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		riley := people["apprentice3@demo.test"]
		r := hr.do("GET", "/api/v1/clearances?person="+riley.ID+"&task=REFILLS", nil, nil)
		if !strings.Contains(r.body, `"status":"not_cleared"`) || !strings.Contains(strings.ToLower(r.body), "overdue") {
			t.Fatalf("Riley's refills: %s", r.body)
		}
		// As of a year ago Riley was cleared for refills.
		if r := hr.do("GET", "/api/v1/clearances?person="+riley.ID+"&task=REFILLS&as_of="+e.clock.Now().AddDate(-1, 0, 10).Format("2006-01-02"), nil, nil); !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("Riley's refills a year ago: %s", r.body)
		}
	})
}

func TestClearanceAccessAndBadInput(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan, riley := people["apprentice@demo.test"], people["apprentice3@demo.test"]
		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		// An apprentice sees only their own clearances; another's id is 404.
		for _, path := range []string{"/api/v1/clearances?person=" + riley.ID, "/people/" + riley.ID + "/clearance"} {
			if r := ap.get(path); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, riley.Name) {
				t.Fatalf("apprentice reading another apprentice (%s): %d", path, r.StatusCode)
			}
		}
		// A preceptor of site 1 sees Jordan (site 1) but not Riley (site 2).
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if r := pc.get("/people/" + jordan.ID + "/clearance"); r.StatusCode != 200 || !strings.Contains(r.body, "Jordan Lee") {
			t.Fatalf("preceptor reading Jordan: %d", r.StatusCode)
		}
		if r := pc.get("/api/v1/clearances?person=" + riley.ID); r.StatusCode != http.StatusNotFound {
			t.Fatalf("preceptor reading another site's apprentice: %d", r.StatusCode)
		}
		// Site matrix for HR.
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		r := hr.get("/api/v1/clearances?site=" + jordan.SiteIDs[0])
		if r.StatusCode != 200 || !strings.Contains(r.body, "Jordan Lee") || !strings.Contains(r.body, "Sam Carter") || strings.Contains(r.body, "Riley") {
			t.Fatalf("site matrix: %d %s", r.StatusCode, r.body[:min(300, len(r.body))])
		}
		if r := pc.get("/api/v1/clearances?site=" + riley.SiteIDs[0]); r.StatusCode != http.StatusNotFound {
			t.Fatalf("preceptor reading another site's matrix: %d", r.StatusCode)
		}
		// Bad input is a clear 400.
		for _, q := range []string{"as_of=2026-02-30&person=" + jordan.ID, "as_of=yesterday&person=" + jordan.ID, "", "person=x&site=y"} {
			r := hr.do("GET", "/api/v1/clearances?"+q, nil, map[string]string{"Accept": "application/json"})
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, `"fields"`) {
				t.Errorf("?%s: %d %s", q, r.StatusCode, r.body)
			}
		}
		if r := hr.get("/api/v1/clearances?person=" + jordan.ID + "&task=NO-SUCH"); r.StatusCode != http.StatusNotFound {
			t.Errorf("unknown task: %d", r.StatusCode)
		}
		// A person with no enrollment.
		admin := people["admin@demo.test"]
		ad := e.client()
		ad.login("admin@demo.test", demo.Password)
		if r := ad.get("/api/v1/clearances?person=" + admin.ID); r.StatusCode != http.StatusNotFound || !strings.Contains(r.body, "not enrolled") {
			t.Errorf("not enrolled: %d %s", r.StatusCode, r.body)
		}
	})
}

func TestDirectorMovesApprenticeToNewVersion(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		st := programs.NewStore(e.db)
		list, _ := st.List(context.Background())
		draft, err := st.StartDraft(context.Background(), list[0].ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(context.Background(), draft.ID, draft.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if r := pc.get("/people/" + jordan.ID + "/move"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("preceptor opening the move page: %d", r.StatusCode)
		}
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		if r := dir.get("/people/" + jordan.ID + "/clearance"); !strings.Contains(r.body, "Version 2 of this program is published") {
			t.Fatal("the director is not told a newer version exists")
		}
		page := dir.get("/people/" + jordan.ID + "/move")
		if page.StatusCode != 200 || !strings.Contains(page.body, "Everything on file still counts in version 2") {
			t.Fatalf("move preview: %d", page.StatusCode)
		}
		form := formFromPage(t, page.body)
		r := dir.post("/people/"+jordan.ID+"/move", form)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d\n%s", r.StatusCode, r.body)
		}
		ent := audittest.Last(t, e.db, evidence.ActionMove)
		if ent.Actor != people["director@demo.test"].ID || !strings.Contains(ent.Before, `"number":1`) || !strings.Contains(ent.After, `"number":2`) {
			t.Fatalf("move entry %+v", ent)
		}
		// Submitting the same form again changes nothing more.
		if r := dir.post("/people/"+jordan.ID+"/move", form); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusConflict {
			t.Fatalf("second submission: %d", r.StatusCode)
		}
		if n := audittest.Count(t, e.db, evidence.ActionMove); n != 1 {
			t.Fatalf("%d move entries after a resubmission; want 1", n)
		}
		api := dir.get("/api/v1/clearances?person=" + jordan.ID)
		if !strings.Contains(api.body, `"version":2`) {
			t.Fatalf("after the move: %s", api.body[:min(200, len(api.body))])
		}
		if r := dir.get("/api/v1/clearances?person=" + jordan.ID + "&task=REFILLS"); !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("the refill sign-off did not carry over: %s", r.body)
		}

		// The old enrollment is marked superseded and read-only; preceptors
		// see Jordan once, in the enrollment in force.
		ens, err := e.svc.Evidence.Store.Enrollments(context.Background(), evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
		if err != nil || len(ens) != 2 {
			t.Fatalf("Jordan's enrollments after the move: %d %v", len(ens), err)
		}
		old := pc.get("/enrollments/" + ens[0].ID)
		if !strings.Contains(old.body, "Superseded") || strings.Contains(old.body, "Record an observation") || strings.Contains(old.body, "/signoff/") ||
			!strings.Contains(old.body, `href="/enrollments/`+ens[1].ID+`"`) {
			t.Fatal("the superseded enrollment is not marked read-only with a link to the current one")
		}
		for _, path := range []string{"/", "/review"} {
			body := pc.get(path).body
			if path == "/review" {
				body = regexpFind(`(?s)(<section class="card" aria-labelledby="h-apprentices">.*?</section>)`, body)
			}
			if n := strings.Count(body, ">Jordan Lee"); n != 1 || strings.Contains(body, ens[0].ID) {
				t.Fatalf("%s lists Jordan %d times (or links the superseded enrollment)", path, n)
			}
		}
	})
}
