package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/assessments"
)

// An evaluation comes due on its day, is reminded, is overdue the day
// after, is signed by the mentor (not the apprentice) and acknowledged by
// the apprentice (not the mentor), and then counts as completed.
func TestEvaluationDueRemindedSignedAndAcknowledged(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		withDemo(t, e)
		jordan := e.client()
		jordan.login("apprentice@demo.test", demo.Password)
		enr := strings.TrimPrefix(jordan.get("/progress").Header.Get("Location"), "/enrollments/")
		rec := records(t, e.svc.Evidence, enr)
		next := assessments.EvaluationsOf(rec.Enrollment, nil, rec.Enrollment.Version.Day(e.clock.Now()))
		due := next[len(next)-1]
		// Noon, organisation time, on a day relative to the due date.
		setDay := func(offset int) {
			want := due.DueOn.AddDays(offset).Time(rec.Enrollment.Version.Location()).Add(12 * time.Hour)
			e.clock.Advance(want.Sub(e.clock.Now()))
		}
		page := "/enrollments/" + enr + "/evaluations/" + strconv.Itoa(due.Seq)
		status := func(c *client) string {
			return regexpFind(`<span class="status[^"]*">([^<]+)</span>`, c.get(page).body)
		}
		reminded := func() string {
			if _, err := e.svc.Reminders.Run(ctx); err != nil {
				t.Fatal(err)
			}
			return jordan.get("/notifications").body
		}

		setDay(-1)
		jordan.login("apprentice@demo.test", demo.Password)
		if s := status(jordan); s != "Due soon" {
			t.Fatalf("the day before: %q", s)
		}
		setDay(0)
		jordan.login("apprentice@demo.test", demo.Password)
		if s := status(jordan); s != "Due today" {
			t.Fatalf("on the day: %q", s)
		}
		if n := reminded(); !strings.Contains(n, "Evaluation "+strconv.Itoa(due.Seq)+" is due "+due.DueOn.String()+" (today)") {
			t.Fatal("no reminder on the due day")
		}
		priya := e.client()
		priya.login("preceptor@demo.test", demo.Password)
		if !strings.Contains(priya.get("/notifications").body, "Jordan Lee: Evaluation "+strconv.Itoa(due.Seq)+" is due") {
			t.Error("the assigned preceptor, who completes the evaluation, is not reminded")
		}
		jordan.get("/notifications")
		link := regexpFind(`(/calendar/[A-Za-z0-9_-]+\.ics)`, jordan.post("/account/calendar", nil).body)
		if feed := e.client().get(link).body; !strings.Contains(feed, "SUMMARY:Evaluation "+strconv.Itoa(due.Seq)+" due") {
			t.Errorf("the calendar feed lacks the evaluation\n%s", feed)
		}
		setDay(1)
		jordan.login("apprentice@demo.test", demo.Password)
		if s := status(jordan); s != "Overdue" {
			t.Fatalf("the day after: %q", s)
		}
		if !strings.Contains(jordan.get("/enrollments/"+enr).body, "Overdue") {
			t.Error("the apprentice's page does not show the overdue evaluation")
		}

		dana := e.client()
		dana.login("director@demo.test", demo.Password)
		if !strings.Contains(dana.get("/cohort").body, "Evaluation "+strconv.Itoa(due.Seq)+" overdue since "+due.DueOn.AddDays(1).String()) {
			t.Error("the cohort does not mark the overdue evaluation")
		}
		if !strings.Contains(dana.get("/reports/evaluations").body, "Overdue") {
			t.Error("the evaluations report does not show the overdue evaluation")
		}
		form := url.Values{"comments": {"Steady progress; <b>keep</b> practising."}, "password": {demo.Password},
			"rating_CLINICAL-SKILLS": {"3"}, "rating_SAFETY": {"9"}, "rating_COMMUNICATE": {"3"}, "rating_DOCUMENT": {"2"}, "rating_CONDUCT": {"4"}}
		if r := jordan.post(page, form); r.StatusCode != http.StatusForbidden {
			t.Fatalf("the apprentice signed as the mentor: %d", r.StatusCode)
		}
		priya.login("preceptor@demo.test", demo.Password)
		priya.get(page)
		form.Del("_csrf") // the apprentice's, set by post
		r := priya.post(page, form)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Steady progress; &lt;b&gt;keep&lt;/b&gt; practising.") ||
			!strings.Contains(r.body, `name="rating_DOCUMENT" value="2" checked`) || !strings.Contains(r.body, "Rate &#34;Patient safety") {
			t.Fatalf("a rating off the scale: %d, the form lost what was typed or the reason\n%s", r.StatusCode, r.body)
		}
		form.Set("rating_SAFETY", "4")
		if r := priya.post(page, form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the mentor's signature: %d\n%s", r.StatusCode, r.body)
		}
		if s := status(jordan); s != "Awaiting acknowledgement" {
			t.Fatalf("after the mentor signs: %q", s)
		}
		if r := priya.post(page+"/acknowledge", url.Values{"password": {demo.Password}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("the mentor acknowledged for the apprentice: %d", r.StatusCode)
		}
		jordan.get(page)
		if r := jordan.post(page+"/acknowledge", url.Values{"password": {"not my password"}}); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("acknowledged with a wrong password: %d", r.StatusCode)
		}
		if r := jordan.post(page+"/acknowledge", url.Values{"password": {demo.Password}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledgement: %d\n%s", r.StatusCode, r.body)
		}
		body := jordan.get(page).body
		if !strings.Contains(body, `<span class="status">Completed</span>`) || !strings.Contains(body, "Priya Raman, RN") || !strings.Contains(body, "I acknowledge that I have read evaluation") {
			t.Fatalf("the completed evaluation does not show both signatures\n%s", body)
		}
		if !strings.Contains(dana.get("/reports/evaluations").body, "Completed") {
			t.Error("the evaluations report does not count the evaluation as completed")
		}
		rows, err := openXLSX(t, dana.get("/reports/evaluations.xlsx")).GetRows("Evaluations")
		if err != nil || !slices.ContainsFunc(rows, func(r []string) bool {
			return len(r) > 4 && r[0] == "Jordan Lee" && r[1] == strconv.Itoa(due.Seq) && r[3] == "Completed" && r[4] == "Priya Raman"
		}) {
			t.Errorf("the workbook lacks Jordan's completed evaluation: %v %v", rows, err)
		}
		// The API lists the same evaluations to the apprentice and the site's
		// staff (404 to another apprentice), validated against openapi.json.
		api := "/api/v1/enrollments/" + enr + "/evaluations"
		type apiEval struct {
			Number                     int
			Status                     string
			Ratings                    []struct{ Item, Label string }
			Signature, Acknowledgement *struct {
				PrintedName string    `json:"printed_name"`
				SignedAt    time.Time `json:"signed_at"`
			}
		}
		for _, c := range []*client{jordan, dana} {
			var got struct{ Evaluations []apiEval }
			decode(t, c.do("GET", api, nil, map[string]string{"Accept": "application/json"}), &got)
			i := slices.IndexFunc(got.Evaluations, func(x apiEval) bool { return x.Number == due.Seq })
			if i < 0 || got.Evaluations[i].Status != "completed" || len(got.Evaluations[i].Ratings) != 5 || got.Evaluations[i].Ratings[0].Label == "" ||
				got.Evaluations[i].Signature == nil || got.Evaluations[i].Signature.PrintedName != "Priya Raman" || got.Evaluations[i].Signature.SignedAt.IsZero() ||
				got.Evaluations[i].Acknowledgement == nil || got.Evaluations[i].Acknowledgement.PrintedName != "Jordan Lee" {
				t.Fatalf("the API's evaluations: %+v", got)
			}
			if last := got.Evaluations[len(got.Evaluations)-1]; last.Number != due.Seq+1 || last.Status != "upcoming" || last.Signature != nil {
				t.Errorf("the API's next evaluation: %+v", last)
			}
		}
		grad := e.client()
		grad.login("graduate@demo.test", demo.Password)
		if r := grad.do("GET", api, nil, map[string]string{"Accept": "application/json"}); r.StatusCode != http.StatusNotFound {
			t.Errorf("another apprentice reads the evaluations: %d", r.StatusCode)
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		if trail := hr.get("/audit").body; !strings.Contains(trail, "Priya Raman signed Jordan Lee&#39;s evaluation "+strconv.Itoa(due.Seq)) ||
			!strings.Contains(trail, "Jordan Lee acknowledged their evaluation") {
			t.Error("the audit trail does not say who signed and acknowledged the evaluation")
		}
		for _, action := range []string{"evaluation.sign", "evaluation.acknowledge"} {
			if ent := audittest.Last(t, e.db, action); ent.EntityType != "evaluation" || ent.EntityID == "" {
				t.Errorf("%s: no audit entry", action)
			}
		}
	})
}

// A director edits a draft's evaluation schedule and form; a bad value
// comes back with what was typed, next to its field.
func TestEditEvaluationSchedule(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := withProgram(t, e)
		e.person("dir@example.test", accounts.RoleDirector)
		c := e.client()
		c.mustLogin("dir@example.test")
		c.get("/programs/" + id + "/v/1")
		c.post("/programs/"+id+"/drafts", nil)
		page := c.get("/programs/" + id + "/v/2/evaluations/edit")
		if page.StatusCode != 200 || !strings.Contains(page.body, "3 = Meets expectations\n") || !strings.Contains(page.body, "SAFETY: Patient safety and infection control\n") {
			t.Fatalf("edit page: %d, without the shipped schedule\n%s", page.StatusCode, page.body)
		}
		form := url.Values{"lock": {regexpFind(`name="lock" value="(\d+)"`, page.body)}, "every_months": {"6"}, "due_window": {"200"},
			"scale": {"1 = Below\n2 = Meets\n"}, "items": {"skills: Clinical skills\nTEAM: Teamwork\n"}, "comments_required": {"1"}, "at_wage_steps": {"1"}}
		r := c.post("/programs/"+id+"/v/2/evaluations", form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "shorter than the interval") || !strings.Contains(r.body, "TEAM: Teamwork") {
			t.Fatalf("a window longer than the interval: %d\n%s", r.StatusCode, r.body)
		}
		form.Set("due_window", "14")
		if r := c.post("/programs/"+id+"/v/2/evaluations", form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", r.StatusCode, r.body)
		}
		v := c.get("/programs/" + id + "/v/2").body
		if !strings.Contains(v, "every 6 months from the start and at each wage step") || !strings.Contains(v, "Teamwork <code>TEAM</code>") || !strings.Contains(v, "Clinical skills <code>SKILLS</code>") {
			t.Fatalf("the version page does not show the new schedule\n%s", v)
		}
	})
}
