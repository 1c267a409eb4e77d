package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// TestNobodyManagesOrSignsTheirOwnEnrollment: Jordan, the route table's
// apprentice, is made a program director of his own clinic too. Through
// the pages and the API he may not enroll himself, change the status of,
// move or revoke on his own enrollment, nor observe, test, sign off or
// approve hours on it: each is 403 with a message, and nothing is stored.
// The demo director does the same to Jordan's enrollment (the control).
func TestNobodyManagesOrSignsTheirOwnEnrollment(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		f := newAccessFixture(t, e)
		jordan := f.people["apprentice@demo.test"]
		if _, err := e.db.NewRaw("INSERT INTO user_roles (user_id, role) VALUES (?, 'director')", jordan.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		progs := programs.NewStore(e.db)
		svc := evidence.NewService(e.db, progs)
		rec, err := svc.Enrollment(ctx, f.own["enrollment"])
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.SignOffs) == 0 {
			t.Fatal("Jordan has no sign-off in the demo")
		}
		draft, err := progs.StartDraft(ctx, f.own["program"], "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := progs.Publish(ctx, draft.ID, draft.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).String()
		wp := rec.Enrollment.Version.Program().WorkProcesses[0].Code
		c := f.clients[appr]
		// Hours of his own, waiting for review (he reviews them below).
		hours := f.sendBody(c, appr, "POST", "/api/v1/enrollments/"+f.own["enrollment"]+"/hours",
			map[string]any{"idempotency_key": "own-hours-1", "kind": "ojl", "code": wp, "worked_on": today, "hours": "2"}, true)
		if hours.StatusCode != http.StatusCreated {
			t.Fatalf("logging hours: %d %s", hours.StatusCode, hours.body)
		}
		hoursID := regexpFind(`"id":"([^"]+)"`, hours.body)

		en := "/enrollments/" + url.PathEscape(f.own["enrollment"])
		so := url.PathEscape(rec.SignOffs[0].ID)
		tries := []struct {
			what, method, path string
			body               map[string]any
			api                bool
		}{
			{"enroll himself (API)", "POST", "/api/v1/enrollments", map[string]any{"person_id": jordan.ID, "version_id": draft.ID,
				"site_id": f.site["own"], "hire_date": today, "idempotency_key": "self-enroll-1"}, true},
			{"enroll himself (page)", "POST", "/people/" + jordan.ID + "/enroll", map[string]any{"version_id": draft.ID,
				"site_id": f.site["own"], "start_date": today, "key": "self-enroll-2"}, false},
			{"complete his enrollment (API)", "POST", "/api/v1" + en + "/status", map[string]any{"status": "completed"}, true},
			{"complete his enrollment (page)", "POST", en + "/status", map[string]any{"status": "completed"}, false},
			{"put his enrollment on hold", "POST", "/api/v1" + en + "/status", map[string]any{"status": "on_hold"}, true},
			{"move his enrollment", "POST", "/people/" + jordan.ID + "/move", map[string]any{"key": "self-move-1", "to": draft.ID}, false},
			{"revoke his sign-off (API)", "POST", "/api/v1" + en + "/signoffs/" + so + "/revocations",
				map[string]any{"idempotency_key": "self-revoke-1", "reason": "I would rather not"}, true},
			{"revoke his sign-off (page)", "POST", en + "/signoffs/" + so + "/revoke", map[string]any{"key": "self-revoke-2", "reason": "I would rather not"}, false},
			{"observe himself", "POST", "/api/v1" + en + "/observations", map[string]any{"idempotency_key": "self-observe-1",
				"competency": "VS-VITALS", "performed_on": today}, true},
			{"sign himself off", "POST", "/api/v1" + en + "/signoffs", map[string]any{"idempotency_key": "self-sign-1",
				"competency": "VS-VITALS", "kind": "initial", "password": "skillgate-demo-2026"}, true},
			{"enter his own test score", "POST", en + "/tests/SAF-HIPAA", map[string]any{"key": "self-test-1", "score": "100", "taken_on": today}, false},
			{"approve his own hours", "POST", "/api/v1/reviews/hours/" + hoursID, map[string]any{"decision": "approve", "approve": true, "verify": true}, true},
		}
		before := snapshot(t, e.db)
		for _, try := range tries {
			res := f.sendBody(c, appr, try.method, try.path, try.body, try.api)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "own") && !strings.Contains(res.body, "yourself") {
				t.Errorf("Jordan, director and apprentice, may %s: %d %.300s", try.what, res.StatusCode, res.body)
			}
		}
		if after := snapshot(t, e.db); after != before {
			t.Error("a refused act on one's own enrollment changed the database")
		}
		// The control: another director may change Jordan's status.
		dir := f.newClient(t, dir, "director@demo.test")
		res := f.sendBody(dir, appr, "POST", "/api/v1"+en+"/status", map[string]any{"status": "on_hold"}, true)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the demo director putting Jordan on hold: %d %s", res.StatusCode, res.body)
		}
	})
}
