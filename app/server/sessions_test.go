package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
)

// A skills-lab session: one preceptor records several apprentices on one
// competency from one screen. Each result is its own observation (its own
// steps, the critical-step rule); a refused entry records nothing and
// brings the screen back with what was chosen; a resubmission records
// nothing more; an apprentice out of the preceptor's scope is 404; after
// the save the apprentice who may now be signed off is offered it.
func TestSkillsLabSession(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := context.Background()
		enrollmentOf := func(email string) assessments.Enrollment {
			ens, err := e.svc.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{people[email].ID}})
			if err != nil || len(ens) != 1 {
				t.Fatalf("%s's enrollment: %v", email, err)
			}
			return ens[0]
		}
		jordan, sam, riley := enrollmentOf("apprentice@demo.test"), enrollmentOf("apprentice2@demo.test"), enrollmentOf("apprentice3@demo.test")
		observations := func(en assessments.Enrollment) []assessments.Observation {
			rec, err := e.svc.Evidence.Enrollment(ctx, en.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []assessments.Observation
			for _, o := range rec.Observations {
				if o.Competency == "SAF-EMERG" {
					out = append(out, o)
				}
			}
			return out
		}
		before := len(observations(jordan)) + len(observations(sam))

		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		chooser := pc.get("/sessions/new")
		if chooser.StatusCode != http.StatusOK || !strings.Contains(chooser.body, `value="SAF-EMERG"`) || !strings.Contains(chooser.body, jordan.ID) ||
			!strings.Contains(chooser.body, sam.ID) || strings.Contains(chooser.body, riley.ID) {
			t.Fatalf("the chooser: %d (another site's apprentice must not be offered)", chooser.StatusCode)
		}
		if r := pc.get("/sessions/new?competency=SAF-EMERG&e=" + riley.ID); r.StatusCode != http.StatusNotFound {
			t.Fatalf("a session with another site's apprentice: %d", r.StatusCode)
		}
		screen := pc.get("/sessions/new?competency=SAF-EMERG&e=" + jordan.ID + "&e=" + sam.ID)
		if screen.StatusCode != http.StatusOK || !strings.Contains(screen.body, "Jordan Lee") || !strings.Contains(screen.body, "Sam Carter") {
			t.Fatalf("the recording screen: %d", screen.StatusCode)
		}
		rec, err := e.svc.Evidence.Enrollment(ctx, jordan.ID)
		if err != nil {
			t.Fatal(err)
		}
		critical := -1
		for i, st := range rec.Enrollment.Version.Competency("SAF-EMERG").Checklist {
			if st.Critical && critical < 0 {
				critical = i
			}
		}
		form := formFromPage(t, screen.body)

		// Sam "some steps not met" with none ticked: refused, nothing
		// recorded (not even Jordan's), the choices kept.
		bad := url.Values{}
		for k, vs := range form {
			bad[k] = vs
		}
		bad.Set("r_"+jordan.ID, "all")
		bad.Set("r_"+sam.ID, "except")
		r := pc.post("/sessions", bad)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick the steps that were not met") {
			t.Fatalf("a session with a bad entry: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		if n := len(observations(jordan)) + len(observations(sam)); n != before {
			t.Fatalf("a refused session recorded %d observations", n-before)
		}
		if kept := formFromPage(t, r.body); kept.Get("r_"+jordan.ID) != "all" || kept.Get("r_"+sam.ID) != "except" || kept.Get("key") != form.Get("key") {
			t.Fatalf("the screen came back without the choices: %v", kept)
		}

		// Jordan all met, Sam with a critical step missed.
		good := url.Values{}
		for k, vs := range form {
			good[k] = vs
		}
		good.Set("r_"+jordan.ID, "all")
		good.Set("r_"+sam.ID, "except")
		good.Set("not_"+sam.ID, itoa(critical))
		r = pc.post("/sessions", good)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the session: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		if again := pc.post("/sessions", good); again.StatusCode != http.StatusSeeOther {
			t.Fatalf("the session sent again: %d", again.StatusCode)
		}
		js, ss := observations(jordan), observations(sam)
		if len(js)+len(ss) != before+2 {
			t.Fatalf("%d observations recorded by the session (sent twice), want 2", len(js)+len(ss)-before)
		}
		lastJ, lastS := js[len(js)-1], ss[len(ss)-1]
		if !lastJ.Successful || lastS.Successful || len(lastS.Steps) != len(lastJ.Steps) || lastS.Steps[critical].Met {
			t.Fatalf("Jordan's attempt successful=%v, Sam's successful=%v with step %d met=%v", lastJ.Successful, lastS.Successful, critical, lastS.Steps[critical].Met)
		}
		done := pc.get(r.Header.Get("Location"))
		if !strings.Contains(done.body, "Recorded 2 observations: 1 successful") {
			t.Fatalf("the result of the session:\n%s", regexpFind(`(?s)(<section id="done".*?</section>)`, done.body))
		}

		// A second round makes Jordan ready: "Sign off" is offered for him.
		form = formFromPage(t, pc.get("/sessions/new?competency=SAF-EMERG&e="+jordan.ID+"&e="+sam.ID).body)
		form.Set("r_"+jordan.ID, "all")
		r = pc.post("/sessions", form)
		done = pc.get(r.Header.Get("Location"))
		box := regexpFind(`(?s)(<section id="done".*?</section>)`, done.body)
		if !strings.Contains(box, "/enrollments/"+jordan.ID+"/signoff/SAF-EMERG") || strings.Contains(box, "/enrollments/"+sam.ID+"/signoff/") {
			t.Fatalf("after two rounds the result offers:\n%s", box)
		}
	})
}
