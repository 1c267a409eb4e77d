package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// TestIdempotencyKeyIsScopedToItsRequest: a key answers with the record it
// made only for the same operation on the same target with the same
// content. The signer of one of Jordan's sign-offs posts a sign-off for Sam
// under that sign-off's key (it used to answer 200 with Jordan's sign-off
// and record nothing for Sam); an observation's key is sent again for
// another apprentice and with other content. Each reuse is 422 naming the
// key, shows nothing of the first record and stores nothing; an exact
// retry still answers with the first record.
func TestIdempotencyKeyIsScopedToItsRequest(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		f := newAccessFixture(t, e)
		svc := evidence.NewService(e.db, programs.NewStore(e.db))
		ens, err := svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{f.people["apprentice2@demo.test"].ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Sam's enrollment: %v", err)
		}
		sam, err := svc.Enrollment(ctx, ens[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		jordanRec, err := svc.Enrollment(ctx, f.own["enrollment"])
		if err != nil || len(jordanRec.SignOffs) == 0 {
			t.Fatalf("Jordan has no sign-off in the demo: %v", err)
		}
		so := jordanRec.SignOffs[0]
		var signer string
		for email, p := range f.people {
			if p.ID == so.Signature.SignerID {
				signer = email
			}
		}
		if signer == "" {
			t.Fatal("the signer of Jordan's sign-off is not a demo account")
		}
		c := f.newClient(t, prec, signer)
		jordan := "/api/v1/enrollments/" + f.own["enrollment"]
		reused := func(what string, res response) {
			t.Helper()
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "already used for a different request") ||
				strings.Contains(res.body, so.ID) {
				t.Errorf("%s: %d %.300s, want 422 saying the key was used", what, res.StatusCode, res.body)
			}
		}
		before := snapshot(t, e.db)
		res := f.sendBody(c, prec, "POST", "/api/v1/enrollments/"+sam.Enrollment.ID+"/signoffs", map[string]any{"idempotency_key": so.IdempotencyKey,
			"competency": so.Competency, "kind": string(so.Kind), "covered": so.Covered, "password": demo.Password}, true)
		reused("Jordan's sign-off key on a sign-off for Sam", res)
		if snapshot(t, e.db) != before {
			t.Error("the reused key changed the database")
		}

		// An observation of Jordan, then its key for Sam and with other content.
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).String()
		obs := map[string]any{"idempotency_key": "observe-scope-1", "competency": "SAF-INFECT", "performed_on": today,
			"steps": []map[string]any{}, "comments": "first"}
		comp := sam.Enrollment.Version.Competency("SAF-INFECT")
		steps := []map[string]any{}
		for i := range comp.Checklist {
			steps = append(steps, map[string]any{"index": i, "met": true})
		}
		obs["steps"] = steps
		p := f.clients[prec]
		first := f.sendBody(p, prec, "POST", jordan+"/observations", obs, true)
		if first.StatusCode != http.StatusCreated {
			t.Fatalf("observing Jordan: %d %s", first.StatusCode, first.body)
		}
		id := regexpFind(`"id":"([^"]+)"`, first.body)
		if again := f.sendBody(p, prec, "POST", jordan+"/observations", obs, true); again.StatusCode != http.StatusOK || !strings.Contains(again.body, id) {
			t.Fatalf("an exact retry: %d %s, want 200 with the first record", again.StatusCode, again.body)
		}
		before = snapshot(t, e.db)
		other := map[string]any{}
		for k, v := range obs {
			other[k] = v
		}
		other["comments"] = "something else"
		res = f.sendBody(p, prec, "POST", jordan+"/observations", other, true)
		reused("the observation's key with other content", res)
		res = f.sendBody(p, prec, "POST", "/api/v1/enrollments/"+sam.Enrollment.ID+"/observations", obs, true)
		reused("the observation's key for Sam", res)
		if strings.Contains(res.body, id) {
			t.Error("the reuse shows the first record")
		}
		if snapshot(t, e.db) != before {
			t.Error("a reused key changed the database")
		}

		// A move: its key sent again for Jordan is a retry (even now that
		// the enrollment in force is the one it made), for Sam it is 422.
		progs := programs.NewStore(e.db)
		draft, err := progs.StartDraft(ctx, f.own["program"], "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := progs.Publish(ctx, draft.ID, draft.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		dir := f.newClient(t, dir, "director@demo.test")
		move := url.Values{"key": {"move-scope-1"}, "to": {draft.ID}, "effective_on": {today}}
		for i, want := range []int{http.StatusSeeOther, http.StatusSeeOther} {
			if r := dir.post("/people/"+f.own["person"]+"/move", move); r.StatusCode != want {
				t.Fatalf("moving Jordan, submission %d: %d", i+1, r.StatusCode)
			}
		}
		before = snapshot(t, e.db)
		if r := dir.post("/people/"+f.people["apprentice2@demo.test"].ID+"/move", move); r.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(r.body, "already used for a different request") {
			t.Errorf("Jordan's move key for Sam: %d", r.StatusCode)
		}
		if snapshot(t, e.db) != before {
			t.Error("the reused move key changed the database")
		}
	})
}
