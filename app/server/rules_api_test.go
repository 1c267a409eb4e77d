package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// TestTrainingHoursThroughTheClearanceAPI: the shipped program requires 10
// clock hours of phlebotomy training for venipuncture (16 CCR 1366.1). Sam
// has none; he logs them for yesterday, his preceptor approves them today,
// and the clearance API counts them from the day worked (a late approval
// counts for the days since), but asked as known before the approval, they
// were only a claim.
func TestTrainingHoursThroughTheClearanceAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, sam := people["preceptor@demo.test"], people["apprentice2@demo.test"]
		_, tok, _ := e.store.CreateToken(t.Context(), priya.ID, "tablet", 24*time.Hour)
		_, samTok, _ := e.store.CreateToken(t.Context(), sam.ID, "phone", 24*time.Hour)
		today := orgToday(e)
		yesterday := today.AddDays(-1)
		const short = "Venipuncture: 0 of 10 clock hours of training approved (Phlebotomy and specimen collection)"
		ask := func(asOf string, knownAt ...time.Time) string {
			t.Helper()
			q := "/api/v1/clearances?person=" + sam.ID + "&task=VENIPUNCTURE&as_of=" + asOf
			for _, k := range knownAt {
				q += "&known_at=" + k.UTC().Format(time.RFC3339)
			}
			r := apiCall(e, "GET", q, tok, "")
			if r.StatusCode != http.StatusOK {
				t.Fatalf("clearance as of %s: %d %s", asOf, r.StatusCode, r.body)
			}
			return r.body
		}
		if got := ask(today.String()); !strings.Contains(got, `"code":"training_hours_short"`) || !strings.Contains(got, short) ||
			!strings.Contains(got, "Complete 10 more clock hours of training for Venipuncture (Phlebotomy and specimen collection) and have them approved") {
			t.Fatalf("before any training: %s", got)
		}

		var ens struct{ Enrollments []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+sam.ID, tok, ""), &ens)
		base := "/api/v1/enrollments/" + ens.Enrollments[0].ID
		if r := apiCall(e, "POST", base+"/hours", samTok, `{"idempotency_key":"rules-hours-0001","kind":"rti","code":"PHLEB","worked_on":"`+yesterday.String()+`","hours":"10","supervisor_id":"`+priya.ID+`"}`); r.StatusCode != http.StatusCreated {
			t.Fatalf("log training hours: %d %s", r.StatusCode, r.body)
		}
		if got := ask(today.String()); !strings.Contains(got, short) {
			t.Fatalf("pending hours counted: %s", got)
		}
		var pend struct{ Hours []struct{ ID, Code string } }
		decode(t, apiCall(e, "GET", "/api/v1/reviews", tok, ""), &pend)
		id := ""
		for _, h := range pend.Hours {
			if h.Code == "PHLEB" {
				id = h.ID
			}
		}
		// (The enrollment store stamps created_at with the real clock, a
		// moment after the test's started: known_at must come after it.)
		e.clock.Advance(5 * time.Minute)
		beforeApproval := e.clock.Now()
		e.clock.Advance(time.Minute)
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+id, tok, `{"decision":"approve"}`); r.StatusCode != http.StatusOK {
			t.Fatalf("approve: %d %s", r.StatusCode, r.body)
		}
		if got := ask(today.String()); strings.Contains(got, "training_hours_short") {
			t.Fatalf("approved today, still short today: %s", got)
		}
		if got := ask(today.AddDays(1).String()); strings.Contains(got, "training_hours_short") {
			t.Fatalf("approved today, short tomorrow: %s", got)
		}
		// Worked yesterday, approved today: counted for yesterday now, and
		// the decision says a late entry changed it; as known before the
		// approval, yesterday it was a claim.
		if got := ask(yesterday.String()); strings.Contains(got, "training_hours_short") {
			t.Fatalf("as of the day worked, asked now: %s", got)
		}
		if got := ask(yesterday.String(), beforeApproval); !strings.Contains(got, short) {
			t.Fatalf("as of the day before the approval, as known before it: %s", got)
		}
	})
}

// TestCLIAScheduleThroughTheClearanceAPI: the shipped program assesses
// non-waived testing 6 and 12 months after the initial sign-off, then
// yearly. Casey (the demo's graduate) is signed off today by Dr. Hale; the
// API names the 6-month date, clears her on it and not the day after, and
// after the 6-month re-verification names the 12-month date (counted from
// the initial sign-off, not from the re-verification).
func TestCLIAScheduleThroughTheClearanceAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		casey, hale := people["graduate@demo.test"], people["physician@demo.test"]
		_, tok, _ := e.store.CreateToken(t.Context(), hale.ID, "tablet", 24*time.Hour)
		ctx := t.Context()
		now := e.clock.Now()
		svc := evidence.NewService(e.db, programs.NewStore(e.db))
		svc.Now = func() time.Time { return now }
		var ens struct{ Enrollments []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+casey.ID, tok, ""), &ens)
		enrollment := ens.Enrollments[0].ID
		by := evidence.ActorOf(hale)
		day := func() curriculum.Date { return curriculum.DateOf(now, e.cfg.Location()) }
		n := 0
		key := func() string { n++; return fmt.Sprintf("clia-%04d", n) }
		records := func() *assessments.Records {
			rec, err := svc.Enrollment(ctx, enrollment)
			if err != nil {
				t.Fatal(err)
			}
			return rec
		}
		observe := func(code, variant string, count int) {
			for range count {
				rec := records()
				c := rec.Enrollment.Version.Competency(code)
				steps := make([]assessments.StepResult, len(c.Checklist))
				for j := range steps {
					steps[j] = assessments.StepResult{Index: j, Met: true}
				}
				if _, _, err := svc.Observe(ctx, rec.Enrollment, by, assessments.ObservationRequest{IdempotencyKey: key(), Competency: code, Variant: variant,
					ChecklistVersion: c.ChecklistVersion, PerformedOn: day(), Steps: steps}); err != nil {
					t.Fatalf("observe %s: %v", code, err)
				}
			}
		}
		test := func(code string) {
			if _, _, err := svc.RecordTest(ctx, records().Enrollment, by, assessments.TestResultRequest{IdempotencyKey: key(), Competency: code, Score: 90, TakenOn: day()}); err != nil {
				t.Fatalf("test %s: %v", code, err)
			}
		}
		sign := func(code string, kind curriculum.SignOffKind, covered ...string) {
			if _, _, err := svc.SignOff(ctx, records(), by, assessments.SignOffRequest{IdempotencyKey: key(), Competency: code, Kind: kind,
				ApprenticeName: casey.Name, Covered: covered}); err != nil {
				t.Fatalf("sign off %s (%s): %v", code, kind, err)
			}
		}
		six := []string{"DIRECT-OBSERVATION", "RESULT-REPORTING", "RECORDS-REVIEW", "INSTRUMENT-CHECKS", "BLIND-SAMPLES", "PROBLEM-SOLVING"}
		// The prerequisites, then non-waived testing itself, today.
		observe("LAB-SPEC", "URINE", 3)
		observe("LAB-SPEC", "THROAT", 3)
		sign("LAB-SPEC", curriculum.InitialSignOff)
		for _, v := range []string{"UA", "STREP", "GLUCOSE", "HCG"} {
			observe("LAB-WAIVED", v, 3)
		}
		test("LAB-WAIVED")
		sign("LAB-WAIVED", curriculum.InitialSignOff, "WRITTEN-TEST", "QC-MONITORING")
		observe("LAB-NONWAIVED", "", 5)
		test("LAB-NONWAIVED")
		sign("LAB-NONWAIVED", curriculum.InitialSignOff, six...)

		initialOn := day()
		sixMonths, twelveMonths := initialOn.AddMonths(6), initialOn.AddMonths(12)
		type decision struct {
			Status  string
			Reasons []struct{ Code, Message string }
		}
		ask := func(asOf curriculum.Date) decision {
			t.Helper()
			var d decision
			r := apiCall(e, "GET", "/api/v1/clearances?person="+casey.ID+"&task=POCT-MODERATE&as_of="+asOf.String(), tok, "")
			if r.StatusCode != http.StatusOK {
				t.Fatalf("as of %s: %d %s", asOf, r.StatusCode, r.body)
			}
			decode(t, r, &d)
			return d
		}
		says := func(d decision, code, message string) bool {
			for _, r := range d.Reasons {
				if r.Code == code && (message == "" || r.Message == message) {
					return true
				}
			}
			return false
		}
		next := func(due curriculum.Date) string {
			return "Moderate-complexity (non-waived) testing on the in-office analyser: next re-verification due " + due.String() +
				" (6 and 12 months after the initial sign-off, then every 12 months)"
		}
		if d := ask(initialOn); d.Status != "cleared" || !says(d, "reverification_scheduled", next(sixMonths)) {
			t.Fatalf("signed off today: %+v", d)
		}
		if d := ask(sixMonths.AddDays(-1)); d.Status != "cleared" || !says(d, "reverification_due_soon", "") {
			t.Fatalf("the day before the 6-month date: %+v", d)
		}
		if d := ask(sixMonths); d.Status != "cleared" || !says(d, "reverification_due_soon", "") {
			t.Fatalf("on the 6-month date: %+v", d)
		}
		if d := ask(sixMonths.AddDays(1)); d.Status != "direct_supervision" || !says(d, "reverification_overdue", "") {
			t.Fatalf("the day after the 6-month date: %+v", d)
		}

		// Re-verified ten days before the 6-month date, with a new
		// assessment: the next date is 12 months after the initial
		// sign-off, not 12 months after this one.
		now = sixMonths.AddDays(-10).Time(e.cfg.Location()).Add(14 * time.Hour)
		observe("LAB-NONWAIVED", "", 1)
		test("LAB-NONWAIVED")
		sign("LAB-NONWAIVED", curriculum.ReverificationSignOff, six...)
		if d := ask(sixMonths.AddDays(1)); d.Status != "cleared" || !says(d, "reverification_scheduled", next(twelveMonths)) {
			t.Fatalf("after the 6-month re-verification: %+v", d)
		}
	})
}

// TestIndirectSupervisionThroughTheClearanceAPI: a director publishes a
// version whose venipuncture has an indirect level after 8 successful
// performances and independence after 12 plus sign-off, and moves Jordan
// (8 successful venipunctures, knowledge test passed) to it. The API and the
// clearance page show the new level and say which count moves him on.
func TestIndirectSupervisionThroughTheClearanceAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		ctx := t.Context()
		dir := publishAndMove(t, e, func(p *curriculum.Program) {
			task := p.Task("VENIPUNCTURE")
			task.IndirectAfter, task.IndependentAfter = 8, 12
		}, jordan.ID)
		_, tok, _ := e.store.CreateToken(ctx, people["hr@demo.test"].ID, "ehr", 24*time.Hour)
		var d struct {
			Status    string
			Reasons   []struct{ Code, Effect, Message string }
			NextSteps []string `json:"next_steps"`
		}
		r := apiCall(e, "GET", "/api/v1/clearances?person="+jordan.ID+"&task=VENIPUNCTURE", tok, "")
		decode(t, r, &d)
		if d.Status != "indirect_supervision" {
			t.Fatalf("status: %s", r.body)
		}
		found := false
		for _, rs := range d.Reasons {
			if rs.Code == "independent_count_short" && rs.Effect == "blocks_independent" &&
				rs.Message == "Venipuncture: 8 of 12 successful observed performances for independent practice" {
				found = true
			}
		}
		want := "Complete 4 more successful observed performances of Venipuncture to practise independently"
		if !found || !slices.Contains(d.NextSteps, want) {
			t.Fatalf("reasons and steps: %s", r.body)
		}
		if row := rowOf(dir.get("/people/"+jordan.ID+"/clearance").body, "Venipuncture"); !strings.Contains(row, "Indirect supervision") || !strings.Contains(row, "status-warn") {
			t.Fatalf("the page's venipuncture row:\n%s", row)
		}
	})
}

// startDraft starts a draft of the demo program.
func startDraft(t *testing.T, e *env) (*programs.Store, *programs.StoredVersion) {
	t.Helper()
	st := programs.NewStore(e.db)
	list, err := st.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	draft, err := st.StartDraft(t.Context(), list[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	return st, draft
}

// publishAndMove publishes version 2 of the demo program, changed by edit,
// and has the director move each person to it; it returns the director's
// client.
func publishAndMove(t *testing.T, e *env, edit func(*curriculum.Program), personIDs ...string) *client {
	t.Helper()
	ctx := t.Context()
	st, draft := startDraft(t, e)
	if err := draft.Version.Edit(func(p *curriculum.Program) error { edit(p); return nil }); err != nil {
		t.Fatal(err)
	}
	saved, err := st.SaveDraft(ctx, draft.ID, draft.LockVersion, draft.Version)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Publish(ctx, saved.ID, saved.LockVersion, ""); err != nil {
		t.Fatal(err)
	}
	dir := e.client()
	dir.login("director@demo.test", demo.Password)
	for _, id := range personIDs {
		if r := dir.post("/people/"+id+"/move", formFromPage(t, dir.get("/people/"+id+"/move").body)); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("move %s: %d", id, r.StatusCode)
		}
	}
	return dir
}

// TestIndependentOnlyBLSThroughTheClearanceAPI: an employer requires BLS
// "before independent patient care". Riley's BLS expired last month and
// his emergency-response competency is current: with BLS at every level
// (the shipped program) he is not cleared at all; in a version that
// requires it for independent practice only, the API puts him under direct
// supervision and says renewing BLS moves him on.
func TestIndependentOnlyBLSThroughTheClearanceAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		riley := people["apprentice3@demo.test"]
		_, tok, _ := e.store.CreateToken(t.Context(), people["hr@demo.test"].ID, "ehr", 24*time.Hour)
		type decision struct {
			Status    string
			Reasons   []struct{ Code, Effect, Message string }
			NextSteps []string `json:"next_steps"`
		}
		ask := func() (decision, string) {
			var d decision
			r := apiCall(e, "GET", "/api/v1/clearances?person="+riley.ID+"&task=EMERGENCY", tok, "")
			decode(t, r, &d)
			return d, r.body
		}
		if d, body := ask(); d.Status != "not_cleared" || d.Reasons[0].Code != "credential_expired" || d.Reasons[0].Effect != "blocks_supervised" {
			t.Fatalf("BLS at every level: %s", body)
		}
		publishAndMove(t, e, func(p *curriculum.Program) {
			p.Task("EMERGENCY").Credentials[0].Level = curriculum.IndependentOnly
		}, riley.ID)
		d, body := ask()
		if d.Status != "direct_supervision" || d.Reasons[0].Code != "credential_expired" || d.Reasons[0].Effect != "blocks_independent" ||
			!strings.HasSuffix(d.Reasons[0].Message, "(needed for independent practice)") ||
			!slices.Equal(d.NextSteps, []string{"Renew BLS and have HR record and verify the new card"}) {
			t.Fatalf("BLS for independent practice only: %s", body)
		}
	})
}

// TestProgramFormsKeepAndEditTheLevelRules: the draft editor shows a
// CLIA first cycle, training hours, supervision counts and independent-only
// credentials; saving a form unchanged keeps them, and each can be changed
// from its form.
func TestProgramFormsKeepAndEditTheLevelRules(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		ctx := t.Context()
		st, draft := startDraft(t, e)
		base := fmt.Sprintf("/programs/%s/v/%d", draft.ProgramID, draft.Number)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		saved := func() *curriculum.Program {
			v, err := st.VersionByID(ctx, draft.ID)
			if err != nil {
				t.Fatal(err)
			}
			return &v.Version.Program
		}

		// Unchanged forms keep what they show.
		for _, code := range []string{"LAB-NONWAIVED", "PHL-VENI"} {
			page := dir.get(base + "/competencies/" + code + "/edit")
			if code == "LAB-NONWAIVED" && !strings.Contains(page.body, `name="first_months" type="text" inputmode="numeric" value="6, 12"`) {
				t.Fatalf("the CLIA first cycle is not in the form")
			}
			if r := dir.post(base+"/competencies/"+code, formFromPage(t, page.body)); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("save %s unchanged: %d", code, r.StatusCode)
			}
		}
		p := saved()
		if r := p.Competency("LAB-NONWAIVED").Reverification; !slices.Equal(r.FirstMonths, []int{6, 12}) || r.Months != 12 {
			t.Fatalf("saving unchanged lost the first cycle: %+v", r)
		}
		if th := p.Competency("PHL-VENI").TrainingHours; th == nil || th.Hours != 10 || !slices.Equal(th.RTICourses, []string{"PHLEB"}) {
			t.Fatalf("saving unchanged lost the training hours: %+v", th)
		}

		// Changes through the forms.
		f := formFromPage(t, dir.get(base+"/competencies/PHL-VENI/edit").body)
		f.Set("training_hours", "12")
		f.Add("independent_prerequisites", "SAF-EMERG")
		f.Set("paper_sign_offs", curriculum.PaperAllowed)
		if r := dir.post(base+"/competencies/PHL-VENI", f); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save PHL-VENI: %d", r.StatusCode)
		}
		f = formFromPage(t, dir.get(base+"/tasks/VENIPUNCTURE/edit").body)
		f.Set("indirect_after", "8")
		f.Set("independent_after", "12")
		f.Set("level_BLS", "independent")
		if r := dir.post(base+"/tasks/VENIPUNCTURE", f); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save VENIPUNCTURE: %d", r.StatusCode)
		}
		p = saved()
		if c := p.Competency("PHL-VENI"); c.TrainingHours.Hours != 12 || !slices.Equal(c.IndependentPrerequisites, []string{"SAF-EMERG"}) || !c.AllowsPaperSignOffs() {
			t.Fatalf("PHL-VENI after the form: %+v %v, paper sign-offs %q", c.TrainingHours, c.IndependentPrerequisites, c.PaperSignOffs)
		}
		// Paper sign-offs: shown as chosen, kept by an unchanged save, and
		// turned off again.
		f = formFromPage(t, dir.get(base+"/competencies/PHL-VENI/edit").body)
		if f.Get("paper_sign_offs") != curriculum.PaperAllowed {
			t.Fatalf("the form shows paper sign-offs as %q", f.Get("paper_sign_offs"))
		}
		if r := dir.post(base+"/competencies/PHL-VENI", f); r.StatusCode != http.StatusSeeOther || !saved().Competency("PHL-VENI").AllowsPaperSignOffs() {
			t.Fatalf("saving unchanged: %d, paper sign-offs %q", r.StatusCode, saved().Competency("PHL-VENI").PaperSignOffs)
		}
		f = formFromPage(t, dir.get(base+"/competencies/PHL-VENI/edit").body)
		f.Set("paper_sign_offs", "")
		if r := dir.post(base+"/competencies/PHL-VENI", f); r.StatusCode != http.StatusSeeOther || saved().Competency("PHL-VENI").AllowsPaperSignOffs() {
			t.Fatalf("turning paper sign-offs off: %d", r.StatusCode)
		}
		task := p.Task("VENIPUNCTURE")
		if task.IndirectAfter != 8 || task.IndependentAfter != 12 || task.Credentials[0].Level != curriculum.IndependentOnly || task.Credentials[0].WithinDaysOfHire != 90 {
			t.Fatalf("VENIPUNCTURE after the form: %+v", task)
		}
		if page := dir.get(base); !strings.Contains(page.body, "Under indirect supervision (a qualified person available, not watching) after 8 successful observed performances") {
			t.Fatal("the draft page does not describe the indirect level")
		}
	})
}
