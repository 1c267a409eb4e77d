package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Completing an apprenticeship, on both engines with the demo. Casey is
// moved to a small version 2 of the program (HIPAA, which she has signed
// off; 2 on-the-job hours of orientation, which she has not logged; her 10
// hours of phlebotomy instruction; BLS for the task). The completion page
// lists the orientation hours as left and the signed post is refused with
// the same words; a plain status change to completed is refused (page and
// API). Once the hours are approved, a wrong password, a preceptor, and
// another director typing the director's password all fail; the
// director's own password completes it: status completed, dated in the
// status history, the signature stored and audited. Casey's own progress
// page then links the certificate, which names her, the program, the date
// and the signature hash, and verifies publicly, until the signature on record
// is altered: then /verify answers that it is not valid.
func TestCompletionIsTheDirectorsSignature(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		people := withDemo(t, e)
		casey, director := people["graduate@demo.test"], people["director@demo.test"]
		dir, enr := completionVersion(t, e, casey)
		id := strings.TrimPrefix(enr, "/enrollments/")
		status := func() string {
			var s string
			if err := e.db.NewSelect().Table("enrollments").Column("status").Where("id = ?", id).Scan(ctx, &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		sign := func(c *client, pw string) response {
			c.get(enr + "/complete")
			return c.post(enr+"/complete", url.Values{"password": {pw}})
		}

		const left = "On-the-job learning, Orientation and safety: 0 of 2 hours approved"
		if p := dir.get(enr); !strings.Contains(p.body, `href="`+enr+`/complete"`) || strings.Contains(p.body, `<option value="completed"`) {
			t.Fatal("the enrollment page has no completion link, or still offers completed as a plain status")
		}
		if p := dir.get(enr + "/complete"); !strings.Contains(p.body, left) || strings.Contains(p.body, "Every requirement of the program is met") {
			t.Fatalf("the completion page does not list what is left:\n%s", regexpFind(`(?s)(<main.*</main>)`, p.body))
		}
		r := sign(dir, demo.Password)
		if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "cannot be completed yet") || !strings.Contains(r.body, left) {
			t.Fatalf("completion with hours missing: %d\n%s", r.StatusCode, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
		if r := dir.post(enr+"/status", url.Values{"status": {"completed"}}); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "Complete the apprenticeship") {
			t.Fatalf("a plain status change to completed: %d", r.StatusCode)
		}
		_, tok := mustToken(t, e, director.ID)
		if r := apiCall(e, "POST", "/api/v1"+enr+"/status", tok, `{"status":"completed"}`); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "completion_needs_signature") {
			t.Fatalf("API status change to completed: %d %s", r.StatusCode, r.body)
		}

		svc := e.svc.Evidence
		approveOrientation(t, e, id, casey, people["physician@demo.test"])
		if p := dir.get(enr + "/complete"); !strings.Contains(p.body, "Every requirement of the program is met") || strings.Contains(p.body, left) {
			t.Fatal("the completion page does not say everything is met once it is")
		}
		if r := sign(dir, "not the director's password"); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "nothing was signed") {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if r := sign(pc, demo.Password); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a preceptor completing: %d", r.StatusCode)
		}
		if _, err := e.store.Create(ctx, accounts.NewPerson{Email: "dir2@demo.test", Name: "Morgan Diaz", Roles: []accounts.Role{accounts.RoleDirector},
			SiteIDs: casey.SiteIDs, Password: testPassword}); err != nil {
			t.Fatal(err)
		}
		other := e.client()
		other.mustLogin("dir2@demo.test")
		if r := sign(other, demo.Password); r.StatusCode != http.StatusUnauthorized || status() != "active" {
			t.Fatalf("another director typing the director's password: %d, status %s", r.StatusCode, status())
		}
		if n := audittest.Count(t, e.db, evidence.ActionComplete); n != 0 {
			t.Fatalf("%d completions audited before any was signed", n)
		}

		if r := sign(dir, demo.Password); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("completion: %d\n%s", r.StatusCode, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
		done, err := svc.Store.Completion(ctx, id)
		if err != nil || done == nil || status() != "completed" || done.PrintedName != director.Name || assessments.VerifyCompletion(done) != nil {
			t.Fatalf("after completing: status %s, completion %+v, %v", status(), done, err)
		}
		history, err := svc.Store.StatusHistory(ctx, []string{id})
		if err != nil || len(history[id]) == 0 {
			t.Fatal(history, err)
		}
		if last := history[id][len(history[id])-1]; last.Status != assessments.EnrollmentCompleted || !last.At.Equal(done.SignedAt) {
			t.Fatalf("the status history's last change %+v is not the completion at %s", last, done.SignedAt)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionComplete); ent.EntityID != id || ent.Actor != director.ID || !strings.Contains(ent.After, done.Hash) {
			t.Fatalf("audit entry: %+v", ent)
		}

		ap := e.client()
		ap.login("graduate@demo.test", demo.Password)
		page := ap.get(enr)
		if !strings.Contains(page.body, "Apprenticeship completed on "+done.CompletedOn.String()) || !strings.Contains(page.body, `href="`+enr+`/completion.pdf"`) {
			t.Fatal("Casey's progress page does not show the completion and its certificate")
		}
		if p := ap.get("/clearance"); !strings.Contains(p.body, `href="`+enr+`/completion.pdf"`) {
			t.Error("Casey's clearance page does not link her completion certificate")
		}
		text := pdfText(t, ap.get(enr+"/completion.pdf"))
		title := strings.ReplaceAll(records(t, svc, id).Enrollment.Version.Program().Title, " ", "")
		for _, want := range []string{"Certificateofcompletion", "CaseyBrooks", title + ",version2", "Completedon" + done.CompletedOn.String(),
			"SignatureSHA-256", done.Hash, strings.ReplaceAll(director.Name, " ", "")} {
			if !strings.Contains(text, want) {
				t.Errorf("the certificate lacks %q:\n%s", want, text)
			}
		}
		code := verifyLink.FindStringSubmatch(text)
		if code == nil {
			t.Fatal("the certificate has no verification link")
		}
		anon := e.client()
		if v := anon.get("/verify/" + code[1]); v.StatusCode != http.StatusOK || !strings.Contains(v.body, "Valid: this completion certificate") ||
			!strings.Contains(v.body, "Casey Brooks") || !strings.Contains(v.body, done.Hash) {
			t.Fatalf("verification of the completion certificate: %d\n%s", v.StatusCode, regexpFind(`(?s)(<main.*</main>)`, v.body))
		}
		// The signature on record altered after printing (its printed name
		// no longer hashes to it): the same certificate is not valid.
		if _, err := e.db.NewUpdate().Table("enrollment_completions").Set("printed_name = ?", "Someone Else").Where("id = ?", done.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if v := anon.get("/verify/" + code[1]); v.StatusCode != http.StatusOK || !strings.Contains(v.body, "Not valid: the completion this certificate shows does not match the record") ||
			strings.Contains(v.body, "Valid: this completion certificate") {
			t.Fatalf("verification after the record was altered: %d\n%s", v.StatusCode, regexpFind(`(?s)(<main.*</main>)`, v.body))
		}
	})
}

// completionVersion moves Casey to the small version 2 of
// TestCompletionIsTheDirectorsSignature (all met but 2 hours of
// orientation), as the director, whose client it returns with Casey's
// enrollment page.
func completionVersion(t *testing.T, e *env, casey *accounts.Person) (*client, string) {
	t.Helper()
	dir := publishAndMove(t, e, func(p *curriculum.Program) {
		hipaa, task, course := *p.Competency("SAF-HIPAA"), *p.Task("HIPAA"), p.RTICourses[0]
		for _, c := range p.RTICourses {
			if c.Code == "PHLEB" {
				course = c
			}
		}
		task.Credentials = []curriculum.CredentialRequirement{{Credential: "BLS"}}
		course.Hours = 10
		p.Type = curriculum.CompetencyBased
		p.Competencies, p.Tasks, p.RTICourses = []curriculum.Competency{hipaa}, []curriculum.Task{task}, []curriculum.RTICourse{course}
		p.WorkProcesses = []curriculum.WorkProcess{{Code: "ORIENT-SAFETY", Title: "Orientation and safety", MinHours: 2, MaxHours: 4}}
		p.WageSchedule, p.Evaluations = nil, nil // they name competencies left out
	}, casey.ID)
	return dir, regexpFind(`href="(/enrollments/[^"]+)"`, dir.get("/people/"+casey.ID+"/clearance").body)
}

// approveOrientation logs Casey's 2 hours of orientation on enrollment id,
// approved by physician: then every requirement is met.
func approveOrientation(t *testing.T, e *env, id string, casey, physician *accounts.Person) {
	t.Helper()
	ctx, svc, md := t.Context(), e.svc.Evidence, evidence.ActorOf(physician)
	h, _, err := svc.LogHours(ctx, records(t, svc, id), evidence.ActorOf(casey), assessments.HoursRequest{IdempotencyKey: "orient-hours-1",
		Kind: assessments.OJL, Code: "ORIENT-SAFETY", WorkedOn: curriculum.DateOf(e.clock.Now(), e.cfg.Location()),
		Minutes: 2 * assessments.MinutesPerHour, SupervisorID: md.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ReviewHours(ctx, h.ID, md, true, ""); err != nil {
		t.Fatal(err)
	}
}
