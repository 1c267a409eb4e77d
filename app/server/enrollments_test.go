package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
)

func TestPreceptorObservesAndSignsOff(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		r := pc.get("/api/v1/clearances?person=" + jordan.ID + "&task=VENIPUNCTURE")
		if !strings.Contains(r.body, `"status":"direct_supervision"`) {
			t.Fatalf("before: %s", r.body)
		}
		prog := pc.get("/progress")
		if prog.StatusCode != http.StatusNotFound {
			t.Fatalf("a preceptor without enrollment on /progress: %d", prog.StatusCode)
		}
		// Find Jordan's enrollment from the clearance page.
		page := pc.get("/people/" + jordan.ID + "/clearance")
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, page.body)
		if enr == "" {
			t.Fatal("no link to the progress page")
		}
		progress := pc.get(enr)
		if !strings.Contains(progress.body, "8 of 10") || !strings.Contains(progress.body, "Signature checked") {
			t.Fatalf("progress page: %d", progress.StatusCode)
		}

		form := pc.get(enr + "/observe/PHL-VENI")
		if form.StatusCode != 200 || !strings.Contains(form.body, "patient-identifying") {
			t.Fatalf("observation form: %d", form.StatusCode)
		}
		answers := func(failCritical bool) url.Values {
			f := formFromPage(t, form.body)
			v := url.Values{"key": {f.Get("key")}, "performed_on": {f.Get("performed_on")}}
			steps := strings.Count(form.body, `value="met"`)
			for i := 0; i < steps; i++ {
				v.Set("step_"+itoa(i), "met")
			}
			if failCritical {
				for i := 0; i < steps; i++ {
					v.Set("step_"+itoa(i), "not")
				}
			}
			return v
		}
		r = pc.post(enr+"/observe/PHL-VENI", answers(true))
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=unsuccessful") {
			t.Fatalf("observation with a critical step missed: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, r.body))
		}
		// The same form sent twice records once.
		again := pc.post(enr+"/observe/PHL-VENI", answers(true))
		if again.StatusCode != http.StatusSeeOther {
			t.Fatalf("resubmission: %d", again.StatusCode)
		}
		// Not eligible yet: no "Sign off", and the card says what is missing.
		if p := pc.get(enr); strings.Contains(p.body, `/signoff/PHL-VENI"`) || !strings.Contains(p.body, "2 more observed performances") {
			t.Fatalf("at 8 of 10 the card offers a sign-off or does not say what is missing:\n%s", regexpFind(`(?s)(<section class="card competency" id="c-PHL-VENI">.*?</section>)`, p.body))
		}
		if p := pc.get(enr + "/signoff/PHL-VENI"); strings.Contains(p.body, `name="password"`) || !strings.Contains(p.body, "2 more observed performances") {
			t.Fatal("the sign-off page offers the signature at 8 of 10, or does not say why not")
		}
		for i := 0; i < 2; i++ {
			form = pc.get(enr + "/observe/PHL-VENI")
			r := pc.post(enr+"/observe/PHL-VENI", answers(false))
			if !strings.Contains(r.Header.Get("Location"), "done=saved") {
				t.Fatalf("successful observation: %d %s", r.StatusCode, r.body)
			}
			if i == 1 {
				// The confirmation is in the card, with the next actions.
				done := pc.get(r.Header.Get("Location"))
				box := regexpFind(`(?s)(<div id="done".*?</div>)`, done.body)
				if !strings.Contains(box, "Observation saved: successful.") || !strings.Contains(box, "Record another") || !strings.Contains(box, "Sign off now") {
					t.Fatalf("after the tenth observation the confirmation box is %q", box)
				}
			}
		}
		p := pc.get(enr)
		if !strings.Contains(p.body, "10 of 10") || !strings.Contains(p.body, "Performances that count (10)") {
			t.Fatal("the progress page does not show 10 of 10 with its 10 records (the unsuccessful and repeated ones must not count)")
		}
		if !strings.Contains(p.body, `/signoff/PHL-VENI"`) {
			t.Fatal("at 10 of 10 the card offers no sign-off")
		}
		readySection := func() string {
			return regexpFind(`(?s)(<section class="card" aria-labelledby="h-ready">.*?</section>)`, pc.get("/review?q=jordan").body)
		}
		if q := readySection(); !strings.Contains(q, "Jordan Lee") || !strings.Contains(q, "Venipuncture") || !strings.Contains(q, enr+"/signoff/PHL-VENI") {
			t.Fatalf("the queue does not list venipuncture ready for sign-off:\n%s", q)
		}
		// The API's review list is the same queue.
		if r := pc.get("/api/v1/reviews"); !strings.Contains(r.body, `"sign_offs_ready":[{"enrollment_id":"`+strings.TrimPrefix(enr, "/enrollments/")+`","apprentice":"Jordan Lee","code":"PHL-VENI"`) {
			t.Fatalf("the API's review list does not list venipuncture ready: %s", r.body)
		}

		sign := pc.get(enr + "/signoff/PHL-VENI")
		if !strings.Contains(sign.body, "I attest that Jordan Lee demonstrated competency in") {
			t.Fatalf("sign-off page lacks the meaning: %d", sign.StatusCode)
		}
		key := formValue(sign.body, "key")
		bad := pc.post(enr+"/signoff/PHL-VENI", url.Values{"key": {key}, "kind": {"initial"}, "password": {"not my password at all"}})
		if bad.StatusCode != http.StatusUnauthorized || !strings.Contains(bad.body, "nothing was signed") {
			t.Fatalf("wrong password: %d", bad.StatusCode)
		}
		oldSession := pc.cookies["sg_session"]
		ok := pc.post(enr+"/signoff/PHL-VENI", url.Values{"key": {key}, "kind": {"initial"}, "password": {demo.Password}})
		if ok.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-off: %d\n%s", ok.StatusCode, regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, ok.body))
		}
		if pc.cookies["sg_session"] == oldSession {
			t.Error("the session id was not replaced after signing")
		}
		r = pc.get("/api/v1/clearances?person=" + jordan.ID + "&task=VENIPUNCTURE")
		if !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("after sign-off: %s", r.body)
		}
		p = pc.get(enr)
		if !strings.Contains(p.body, "Priya Raman, RN") {
			t.Fatal("the signature is not shown with printed name and credential")
		}
		if q := readySection(); strings.Contains(q, "PHL-VENI") {
			t.Fatalf("venipuncture is still listed ready after the sign-off:\n%s", q)
		}
		// Signed: no "Re-verify" until the window opens, and the date is said.
		card := regexpFind(`(?s)(<section class="card competency" id="c-PHL-VENI">.*?</section>)`, p.body)
		if strings.Contains(card, "/signoff/PHL-VENI") || !strings.Contains(card, "Re-verification not due until") || !strings.Contains(card, "Performances that count (10)") {
			t.Fatalf("after signing, the card:\n%s", card)
		}

		// The apprentice sees the page but may not record; another site's
		// preceptor may not see the enrollment at all.
		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		if r := ap.get("/progress"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("apprentice /progress: %d", r.StatusCode)
		}
		if r := ap.get(enr + "/observe/PHL-VENI"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("apprentice opening the observation form: %d", r.StatusCode)
		}
		riley := people["apprentice3@demo.test"]
		rp := e.client()
		rp.login("hr@demo.test", demo.Password)
		rileyEnr := regexpFind(`href="(/enrollments/[^"]+)"`, rp.get("/people/"+riley.ID+"/clearance").body)
		if r := pc.get(rileyEnr); r.StatusCode != http.StatusNotFound {
			t.Fatalf("preceptor reading another site's enrollment: %d", r.StatusCode)
		}
	})
}

func TestSelfLogAndHoursReview(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya := people["preceptor@demo.test"]
		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		r := ap.get("/progress")
		enr := r.Header.Get("Location")
		page := ap.get(enr)
		if !strings.Contains(page.body, "Log a performance for verification") {
			t.Fatal("the apprentice's page has no self-log form")
		}
		f := formFromPage(t, page.body)
		today := f.Get("performed_on")
		keys := regexpAll(`name="key" value="([^"]+)"`, page.body)
		if r := ap.post(enr+"/selflogs", url.Values{"key": {keys[0]}, "competency": {"PHL-VENI"}, "performed_on": {today}, "supervisor": {priya.ID}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("self-log: %d %s", r.StatusCode, r.body)
		}
		if r := ap.post(enr+"/hours", url.Values{"key": {keys[1]}, "code": {"ojl:PT-CARE"}, "worked_on": {today}, "hours": {"7:30"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("hours: %d %s", r.StatusCode, r.body)
		}
		if r := ap.post(enr+"/hours", url.Values{"key": {"form-another-key-1"}, "code": {"ojl:PT-CARE"}, "worked_on": {today}, "hours": {"25"}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("25 hours in a day: %d", r.StatusCode)
		}

		// Another preceptor cannot verify a self-log naming Priya.
		md := e.client()
		md.login("physician@demo.test", demo.Password)
		mdQueue := regexpFind(`(?s)(<section class="card" aria-labelledby="h-selflogs">.*?</section>)`, md.get("/review").body)
		if mdQueue == "" || strings.Contains(mdQueue, "Venipuncture") || strings.Contains(mdQueue, "PHL-VENI") {
			t.Fatal("the self-log shows in another preceptor's queue")
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if home := pc.get("/"); !strings.Contains(home.body, `<p class="figure">2</p>`) || !strings.Contains(home.body, "Jordan Lee:") {
			t.Fatal("the preceptor's home does not show 2 items waiting and the assigned apprentice")
		}
		q := pc.get("/review")
		logID := regexpFind(`action="/review/selflogs/([^"]+)"`, q.body)
		hoursID := regexpFind(`action="/review/hours/([^"]+)"`, q.body)
		if logID == "" || hoursID == "" {
			t.Fatalf("queue: %s", q.body)
		}
		if r := md.post("/review/selflogs/"+logID, url.Values{"decision": {"approve"}}); r.StatusCode != http.StatusNotFound {
			t.Fatalf("another preceptor verifying: %d", r.StatusCode)
		}
		if r := pc.post("/review/hours/"+hoursID, url.Values{"decision": {"reject"}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("rejection without a reason: %d", r.StatusCode)
		}
		if r := pc.post("/review/selflogs/"+logID, url.Values{"decision": {"approve"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("verify: %d %s", r.StatusCode, r.body)
		}
		if r := pc.post("/review/hours/"+hoursID, url.Values{"decision": {"approve"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve hours: %d", r.StatusCode)
		}
		if r := pc.post("/review/selflogs/"+logID, url.Values{"decision": {"approve"}}); r.StatusCode != http.StatusNotFound {
			t.Fatalf("verifying twice: %d", r.StatusCode)
		}
		after := ap.get(enr)
		if !strings.Contains(after.body, "9 of 10") || !strings.Contains(after.body, "On-the-job learning: 7.5 of") {
			t.Fatalf("the verified self-log or approved hours do not count:\n%s", regexpFind(`(?s)(<section class="card">\s*<h2>Competencies signed off.*?</section>)`, after.body))
		}
	})
}

func regexpAll(pattern, s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestDirectorCohortAndRevocation(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		casey := people["graduate@demo.test"]
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		cohort := dir.get("/cohort")
		for _, want := range []string{"Jordan Lee", "Sam Carter", "Riley Nguyen", "Casey Brooks", "8/10", "✓"} {
			if !strings.Contains(cohort.body, want) {
				t.Fatalf("cohort overview lacks %q", want)
			}
		}
		if r := dir.get("/api/v1/clearances?person=" + casey.ID + "&task=VENIPUNCTURE"); !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("Casey before revocation: %s", r.body)
		}
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, dir.get("/people/"+casey.ID+"/clearance").body)
		page := dir.get(enr)
		action := regexpFind(`action="(/enrollments/[^"]+/signoffs/[^"]+/revoke)"`, regexpFind(`(?s)(id="c-PHL-VENI".*?</section>)`, page.body))
		if action == "" {
			t.Fatal("no revoke form on the venipuncture sign-off")
		}
		if r := dir.post(action, url.Values{"key": {"form-revoke-000001"}, "reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("revocation without a reason: %d", r.StatusCode)
		}
		if r := dir.post(action, url.Values{"key": {"form-revoke-000002"}, "reason": {"incident review"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.body)
		}
		if r := dir.get("/api/v1/clearances?person=" + casey.ID + "&task=VENIPUNCTURE"); strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("Casey after revocation: %s", r.body)
		}
		if p := dir.get(enr); !strings.Contains(p.body, "Revoked from") || !strings.Contains(p.body, "incident review") {
			t.Fatal("the revocation is not shown with the original signature")
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if r := pc.post(action, url.Values{"key": {"form-revoke-000003"}, "reason": {"x"}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a preceptor revoking: %d", r.StatusCode)
		}
	})
}

func TestEnrollTestScoreAndCorrection(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		newbie, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "new@demo.test", Name: "Nia New", Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: jordan.SiteIDs})
		if err != nil {
			t.Fatal(err)
		}
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		page := dir.get("/people/" + newbie.ID + "/clearance")
		if !strings.Contains(page.body, "Enroll Nia New") {
			t.Fatal("no enrollment form for a director")
		}
		f := formFromPage(t, regexpFind(`(?s)(<form method="post" action="/people/[^"]+/enroll".*?</form>)`, page.body))
		if f.Has("hire_date") {
			t.Fatal("the enrollment form asks for a hire date; it is the person's (HR's record)")
		}
		f.Set("start_date", "2026-13-01")
		if r := dir.post("/people/"+newbie.ID+"/enroll", f); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("impossible start date: %d", r.StatusCode)
		}
		f.Set("start_date", e.clock.Now().In(e.cfg.Location()).Format("2006-01-02"))
		f.Add("preceptor_ids", people["preceptor@demo.test"].ID)
		if r := dir.post("/people/"+newbie.ID+"/enroll", f); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("enroll: %d %s", r.StatusCode, r.body)
		}
		if r := dir.post("/people/"+newbie.ID+"/enroll", f); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("enroll replay: %d", r.StatusCode)
		}
		if r := dir.get("/api/v1/enrollments?person=" + newbie.ID); strings.Count(r.body, `"apprentice_id"`) != 1 {
			t.Fatalf("a resubmitted enrollment form enrolled twice: %s", r.body)
		}
		if r := dir.get("/api/v1/clearances?person=" + newbie.ID + "&task=VENIPUNCTURE"); !strings.Contains(r.body, `"status":"not_cleared"`) {
			t.Fatalf("new enrollment: %s", r.body)
		}

		// A preceptor corrects one of Jordan's observations; both stay visible.
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, pc.get("/people/"+jordan.ID+"/clearance").body)
		prog := pc.get(enr)
		correct := htmlUnescape(regexpFind(`href="([^"]+/observe/PHL-VENI\?correct=[^"]+)"`, prog.body))
		if correct == "" {
			t.Fatal("no correction link")
		}
		form := pc.get(correct)
		cf := formFromPage(t, form.body)
		if cf.Get("supersedes") == "" {
			t.Fatal("the correction form does not name the record it corrects")
		}
		if r := pc.post(enr+"/observe/PHL-VENI", cf); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a correction without a reason: %d", r.StatusCode)
		}
		for k := range cf {
			if strings.HasPrefix(k, "step_") {
				cf.Set(k, "not")
			}
		}
		cf.Set("correction_reason", "scored on the wrong apprentice's sheet")
		if r := pc.post(enr+"/observe/PHL-VENI", cf); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction: %d %s", r.StatusCode, regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, r.body))
		}
		after := pc.get(enr)
		if !strings.Contains(after.body, "Corrected by a later record") || !strings.Contains(after.body, "scored on the wrong apprentice") || !strings.Contains(after.body, "7 of 10") {
			t.Fatal("the correction is not shown next to the original, or still counts the original")
		}
		// A test score.
		tk := regexpFind(`name="key" value="([^"]+-PHL-VENI)"`, after.body)
		tests := audittest.Count(t, e.db, evidence.ActionTest)
		if r := pc.post(enr+"/tests/PHL-VENI", url.Values{"key": {tk}, "score": {"120"}, "taken_on": {e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a score of 120: %d", r.StatusCode)
		}
		if audittest.Count(t, e.db, evidence.ActionTest) != tests {
			t.Fatal("a refused test score was audited")
		}
		if r := pc.post(enr+"/tests/PHL-VENI", url.Values{"key": {tk}, "score": {"95"}, "taken_on": {e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("test score: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionTest); ent.Via != "session" || !strings.Contains(ent.After, `"score":95`) || ent.EntityType != "test" {
			t.Fatalf("test score entry %+v", ent)
		}
		if !strings.Contains(pc.get(enr).body, "best score 95%") {
			t.Fatal("the new best score is not shown")
		}
	})
}

func TestApprenticeHomeShowsTodayAndWhatIsDue(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		c := e.client()
		c.login("apprentice3@demo.test", demo.Password)
		home := c.get("/")
		// Riley's BLS expired and three re-verifications are overdue: the
		// next steps say so, first.
		for _, want := range []string{"Your next steps", "Basic Life Support (AHA or equivalent) expired", "re-verification overdue since", "Today you may perform", "Your progress"} {
			if !strings.Contains(home.body, want) {
				t.Errorf("Riley's home lacks %q", want)
			}
		}
		_, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "fresh@demo.test", Name: "Fresh Face", Roles: []accounts.Role{accounts.RoleApprentice}, Password: "a long enough demo passphrase"})
		if err != nil {
			t.Fatal(err)
		}
		f := e.client()
		f.login("fresh@demo.test", "a long enough demo passphrase")
		if !strings.Contains(f.get("/").body, "not enrolled in a program yet") {
			t.Error("an apprentice without enrollment is not told so")
		}
	})
}

func TestEnrollmentStatusChanges(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		sam := people["apprentice2@demo.test"]
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, dir.get("/people/"+sam.ID+"/clearance").body)
		dir.get(enr)
		if r := dir.post(enr+"/status", url.Values{"status": {"on_hold"}, "reason": {"leave"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("on hold: %d %s", r.StatusCode, r.body)
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		form := pc.get(enr + "/observe/SAF-INFECT")
		f := formFromPage(t, form.body)
		for i := 0; i < strings.Count(form.body, `value="met"`); i++ {
			f.Set("step_"+itoa(i), "met")
		}
		if r := pc.post(enr+"/observe/SAF-INFECT", f); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "on hold") {
			t.Fatalf("observation while on hold: %d", r.StatusCode)
		}
		if r := dir.post(enr+"/status", url.Values{"status": {"withdrawn"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", r.StatusCode)
		}
		if r := dir.post(enr+"/status", url.Values{"status": {"active"}}); r.StatusCode != http.StatusConflict {
			t.Fatalf("reactivating a withdrawn enrollment: %d", r.StatusCode)
		}
		if r := pc.post(enr+"/status", url.Values{"status": {"active"}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a preceptor changing status: %d", r.StatusCode)
		}
	})
}

// "All steps met" with exceptions: every step is stored with its own
// answer, a flagged non-critical step leaves the attempt successful and a
// flagged critical one makes it unsuccessful.
func TestChecklistAllMetWithExceptions(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ens, err := e.svc.Evidence.Store.Enrollments(context.Background(), evidence.EnrollmentFilter{ApprenticeIDs: []string{people["apprentice@demo.test"].ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v", err)
		}
		enr := "/enrollments/" + ens[0].ID
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		rec, err := e.svc.Evidence.Enrollment(context.Background(), ens[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		steps := rec.Enrollment.Version.Competency("PHL-VENI").Checklist
		critical, plain := -1, -1
		for i, st := range steps {
			if st.Critical && critical < 0 {
				critical = i
			}
			if !st.Critical && plain < 0 {
				plain = i
			}
		}
		send := func(flag int) string {
			form := formFromPage(t, pc.get(enr+"/observe/PHL-VENI").body)
			v := url.Values{"key": {form.Get("key")}, "performed_on": {form.Get("performed_on")}, "all_met": {"1"}, "step_" + itoa(flag): {"not"}}
			r := pc.post(enr+"/observe/PHL-VENI", v)
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("all met but step %d: %d %s", flag, r.StatusCode, r.body)
			}
			return r.Header.Get("Location")
		}
		if loc := send(plain); !strings.Contains(loc, "done=saved") {
			t.Fatalf("a non-critical exception: %s", loc)
		}
		if loc := send(critical); !strings.Contains(loc, "done=unsuccessful") {
			t.Fatalf("a critical exception: %s", loc)
		}
		rec, err = e.svc.Evidence.Enrollment(context.Background(), ens[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		last := rec.Observations[len(rec.Observations)-2:]
		for k, flag := range []int{plain, critical} {
			o := last[k]
			if len(o.Steps) != len(steps) {
				t.Fatalf("observation %d stored %d of %d steps", k, len(o.Steps), len(steps))
			}
			for _, st := range o.Steps {
				if st.Met != (st.Index != flag) {
					t.Errorf("observation %d: step %d stored met=%v", k, st.Index, st.Met)
				}
			}
		}
	})
}
