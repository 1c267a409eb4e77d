package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// A program whose second wage step needs 8 approved OJL hours: with 7 the
// apprentice sees what is missing, HR's approval is refused next to the
// field (the typed date kept), apprentices cannot approve; with 8 the
// reminders job tells the director and HR once, HR approves (recorded,
// audited), and the wage report lists the history. HR of another site
// sees none of it.
func TestWageStepEligibilityApprovalAndHistory(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := t.Context()
		jordan, priya := people["apprentice@demo.test"], people["preceptor@demo.test"]
		today := orgToday(e)

		v, err := curriculum.MedicalAssistantProgram()
		if err != nil {
			t.Fatal(err)
		}
		v.Program.Code, v.Program.Title = "MA-WAGE", "MA apprenticeship with a short wage schedule"
		v.Program.WageSchedule = []curriculum.WageStep{{Title: "Start", HourlyRate: 17}, {Title: "Step 2", HourlyRate: 18.5, OJLHours: 8}}
		v.Program.Evaluations.AtWageSteps = true // and every 3 months
		if err := v.Publish(e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		sv, err := e.svc.Programs.Create(ctx, v, people["director@demo.test"].ID)
		if err != nil {
			t.Fatal(err)
		}
		wade, err := e.store.Create(ctx, accounts.NewPerson{Email: "wade@demo.test", Name: "Wade Park", Roles: []accounts.Role{accounts.RoleApprentice},
			SiteIDs: jordan.SiteIDs, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		start := today.AddDays(-20)
		en, _, err := e.svc.Evidence.Enroll(ctx, assessments.Enrollment{ApprenticeID: wade.ID, VersionID: sv.ID, SiteID: jordan.SiteIDs[0],
			HireDate: start, StartDate: start, PreceptorIDs: []string{priya.ID}, Status: assessments.EnrollmentActive, IdempotencyKey: "wage-enroll"},
			people["director@demo.test"].ID)
		if err != nil {
			t.Fatal(err)
		}
		logHours := func(key string, minutes int, on curriculum.Date) {
			t.Helper()
			h, _, err := e.svc.Evidence.LogHours(ctx, records(t, e.svc.Evidence, en.ID), evidence.ActorOf(wade), assessments.HoursRequest{IdempotencyKey: key,
				Kind: assessments.OJL, Code: "PT-CARE", WorkedOn: on, Minutes: assessments.Minutes(minutes), SupervisorID: priya.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.svc.Evidence.ReviewHours(ctx, h.ID, evidence.ActorOf(priya), true, ""); err != nil {
				t.Fatal(err)
			}
		}
		logHours("wage-hours-1", 7*60, today.AddDays(-2))

		page := "/people/" + wade.ID + "/wage"
		me := e.client()
		me.login("wade@demo.test", testPassword)
		if r := me.get("/enrollments/" + en.ID); !strings.Contains(r.body, "Wage step: Start") || !strings.Contains(r.body, "7 of 8 approved OJL hours") {
			t.Fatalf("the apprentice's page at 7 hours: %d %s", r.StatusCode, r.body)
		}
		me.get(page)
		if r := me.post(page, url.Values{"step": {"2"}, "effective_on": {today.String()}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("an apprentice approving: %d", r.StatusCode)
		}

		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		hr.get(page)
		r := hr.post(page, url.Values{"step": {"2"}, "effective_on": {today.AddDays(-1).String()}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Not eligible for Step 2 on "+today.AddDays(-1).String()+": 7 of 8 approved OJL hours") ||
			!strings.Contains(r.body, `value="`+today.AddDays(-1).String()+`"`) {
			t.Fatalf("approval at 7 hours: %d %s", r.StatusCode, r.body)
		}

		// The eighth hour, worked yesterday: eligible from yesterday on.
		logHours("wage-hours-2", 60, today.AddDays(-1))
		if n, err := e.svc.Reminders.Run(ctx); err != nil || n < 2 {
			t.Fatalf("reminders: %d %v", n, err)
		}
		if n, err := e.svc.Reminders.Run(ctx); err != nil || n != 0 {
			t.Fatalf("reminders again: %d %v", n, err)
		}
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		for _, c := range []*client{dir, hr} {
			if r := c.get("/notifications"); strings.Count(r.body, "Wade Park is eligible for wage step Step 2 ($18.50 an hour)") != 1 {
				t.Fatalf("notification: %s", r.body)
			}
		}
		// A minute later, everything so far on file; a minute after that,
		// the approval.
		e.clock.Advance(time.Minute)
		beforeApproval := e.clock.Now()
		e.clock.Advance(time.Minute)
		if r := hr.post(page, url.Values{"step": {"2"}, "effective_on": {today.AddDays(-1).String()}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve at 8 hours: %d %s", r.StatusCode, r.body)
		}
		// The step's effective date (yesterday) is an evaluation's due date:
		// overdue today, on the page, the cohort and in the reminders.
		eval := "/enrollments/" + en.ID + "/evaluations/1"
		if r := dir.get(eval); regexpFind(`<span class="status[^"]*">([^<]+)</span>`, r.body) != "Overdue" || !strings.Contains(r.body, today.AddDays(-1).String()) {
			t.Fatalf("evaluation 1 after the wage step: %d %s", r.StatusCode, r.body)
		}
		if !strings.Contains(dir.get("/cohort").body, "Evaluation 1 overdue since "+today.String()) {
			t.Error("the cohort does not mark the wage step's evaluation overdue")
		}
		if _, err := e.svc.Reminders.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(me.get("/notifications").body, "Evaluation 1") {
			t.Error("no reminder of the wage step's evaluation")
		}
		if r := hr.get(page); !strings.Contains(r.body, "Wage step: Step 2") || tableRow(r.body, "Step 2", today.AddDays(-1).String(), "Helen Ortiz") == "" {
			t.Fatalf("after approval: %s", r.body)
		}
		var api struct {
			Current struct {
				Step       int
				HourlyRate float64 `json:"hourly_rate"`
			}
			History []struct{ Title string }
		}
		decode(t, hr.do("GET", "/api/v1/people/"+wade.ID+"/wage", nil, map[string]string{"Accept": "application/json"}), &api)
		if api.Current.Step != 2 || api.Current.HourlyRate != 18.5 || len(api.History) != 2 || api.History[0].Title != "Start" {
			t.Fatalf("the API's wage step: %+v", api)
		}
		var audited int
		if err := e.db.NewRaw("SELECT COUNT(*) FROM audit_log WHERE action = 'wage.step_approve' AND entity_id = ?", wade.ID).Scan(ctx, &audited); err != nil || audited != 1 {
			t.Fatalf("audit entries: %d %v", audited, err)
		}
		if r := hr.post(page, url.Values{"step": {"2"}, "effective_on": {today.String()}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "the step already approved") {
			t.Fatalf("approving the same step again: %d", r.StatusCode)
		}

		wadeRows := func(query string) (*excelize.File, string) {
			t.Helper()
			f := openXLSX(t, hr.get("/reports/wages.xlsx"+query))
			rows, err := f.GetRows("Wage steps")
			if err != nil {
				t.Fatal(err)
			}
			var history []string
			for _, row := range rows {
				if row[0] == "Wade Park" {
					row = append(row, make([]string, 12)...) // trailing empty cells are left out
					history = append(history, row[4]+" "+row[8]+" "+row[10])
				}
			}
			return f, strings.Join(history, ", ")
		}
		f, history := wadeRows("")
		if history != "Start  , Step 2 Helen Ortiz yes" {
			t.Fatalf("wage rows of Wade: %q", history)
		}
		// Yesterday, as known now, Step 2 was in force (approved today,
		// effective yesterday: back pay); as known before the approval, the
		// start was, and Step 2 is what comes next.
		yesterday := "?as_of=" + today.AddDays(-1).String()
		if _, history := wadeRows(yesterday); history != "Start  , Step 2 Helen Ortiz yes" {
			t.Errorf("wage rows of Wade yesterday, as known now: %q", history)
		}
		if _, history := wadeRows(yesterday + "&known_at=" + url.QueryEscape(beforeApproval.UTC().Format(time.RFC3339))); history != "Start  yes" {
			t.Errorf("wage rows of Wade yesterday, as known before the approval: %q, want the start in force", history)
		}
		if cell, _ := f.GetCellValue("Wage steps", "H2"); !strings.Contains(cell, "-") && !strings.Contains(cell, "/") {
			t.Fatalf("effective date cell %q is not a date", cell)
		}

		// Moved to a new version of the program: still on Step 2.
		draft, err := e.svc.Programs.StartDraft(ctx, sv.ProgramID, people["director@demo.test"].ID)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := e.svc.Programs.Publish(ctx, draft.ID, draft.LockVersion, people["director@demo.test"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Evidence.MoveToVersion(ctx, en.ID, evidence.ActorOf(people["director@demo.test"]),
			evidence.MoveRequest{IdempotencyKey: "wage-move-to-v2", ToVersionID: v2.ID, EffectiveOn: today}); err != nil {
			t.Fatal(err)
		}
		if r := hr.get(page); !strings.Contains(r.body, "Wage step: Step 2") {
			t.Fatalf("after the move: %s", r.body)
		}

		// HR of another site: neither the page nor the report rows.
		e.person("hr-east@demo.test", accounts.RoleHR)
		other := e.client()
		other.login("hr-east@demo.test", testPassword)
		if r := other.get(page); r.StatusCode != http.StatusNotFound {
			t.Fatalf("another site's HR reads the wage page: %d", r.StatusCode)
		}
		if r := other.get("/reports/wages"); strings.Contains(r.body, "Wade Park") {
			t.Fatal("another site's HR sees Wade's wage history")
		}
	})
}
