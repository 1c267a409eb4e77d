package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// instance is a second server on the same database, with its own
// in-process caches: another app instance behind the load balancer.
func (e *env) instance() *env {
	e.t.Helper()
	svc, srv := newServer(e.t, e.db, e.cfg, e.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	other := *e
	other.svc, other.srv = svc, srv
	return &other
}

// Decisions are cached per instance, yet a write committed through one
// instance (or straight to the database) changes what the other answers
// on the very next request.
func TestClearanceCacheSeesWritesFromAnotherInstance(t *testing.T) {
	forEach(t, func(t *testing.T, a *env) {
		people := withDemo(t, a)
		b := a.instance()
		jordan, riley := people["apprentice@demo.test"], people["apprentice3@demo.test"]
		_, hrTok, err := a.store.CreateToken(t.Context(), people["hr@demo.test"].ID, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, rnTok, err := a.store.CreateToken(t.Context(), people["preceptor@demo.test"].ID, "tablet", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ask := func(person, task string) string {
			t.Helper()
			r := apiCall(a, "GET", "/api/v1/clearances?person="+person+"&task="+task, hrTok, "")
			return r.body
		}
		site := func() string {
			t.Helper()
			return apiCall(a, "GET", "/api/v1/clearances?site="+jordan.SiteIDs[0], hrTok, "").body
		}
		if m := site(); !strings.Contains(m, "8 of 10") || site() != m {
			t.Fatalf("site matrix before: %s", m)
		}
		before := ask(jordan.ID, "VENIPUNCTURE")
		if !strings.Contains(before, "8 of 10") || ask(jordan.ID, "VENIPUNCTURE") != before {
			t.Fatalf("venipuncture before: %s", before)
		}

		// Two more venipunctures recorded through instance B.
		ens, err := evidence.NewStore(a.db).Enrollments(t.Context(), evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v %v", ens, err)
		}
		ma, _ := curriculum.MedicalAssistantProgram()
		steps := `[`
		for i := range ma.Program.Competency("PHL-VENI").Checklist {
			if i > 0 {
				steps += ","
			}
			steps += `{"index":` + itoa(i) + `,"met":true}`
		}
		steps += `]`
		today := a.clock.Now().In(a.cfg.Location()).Format("2006-01-02")
		for _, key := range []string{"cache-obs-0001", "cache-obs-0002"} {
			r := apiCall(b, "POST", "/api/v1/enrollments/"+ens[0].ID+"/observations", rnTok,
				`{"idempotency_key":"`+key+`","competency":"PHL-VENI","performed_on":"`+today+`","steps":`+steps+`}`)
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("observation through B: %d %s", r.StatusCode, r.body)
			}
		}
		if m := site(); strings.Contains(m, "8 of 10") || !strings.Contains(m, "Venipuncture: not signed off") {
			t.Fatalf("A's site matrix still shows the decisions from before the observations:\n%s", m)
		}
		if after := ask(jordan.ID, "VENIPUNCTURE"); after == before || strings.Contains(after, "8 of 10") || !strings.Contains(after, "not signed off") {
			t.Fatalf("A still answers from before the observations:\n%s", after)
		}

		// A credential verified straight in the database (an UPDATE).
		emerg := ask(riley.ID, "EMERGENCY")
		if !strings.Contains(emerg, `"status":"not_cleared"`) || !strings.Contains(emerg, "BLS") {
			t.Fatalf("Riley's emergency response before: %s", emerg)
		}
		now := curriculum.DateOf(a.clock.Now(), a.cfg.Location())
		rec, err := credentialsStore(a).Add(t.Context(), newRecord(riley.ID, "BLS", now.AddDays(-1).String(), now.AddMonths(24).EndOfMonth().String()))
		if err != nil {
			t.Fatal(err)
		}
		added := ask(riley.ID, "EMERGENCY")
		if !strings.Contains(added, "not verified yet") {
			t.Fatalf("A still answers from before the card was added:\n%s", added)
		}
		if _, err := credentialsStore(a).Verify(t.Context(), rec.ID, people["hr@demo.test"].ID, "card seen"); err != nil {
			t.Fatal(err)
		}
		if got := ask(riley.ID, "EMERGENCY"); strings.Contains(got, "not verified yet") || strings.Contains(got, "credential_") {
			t.Fatalf("A still answers from before the verification:\n%s", got)
		}

		// Withdrawn through B: A no longer finds an enrollment.
		dir := evidence.ActorOf(people["director@demo.test"])
		svc := evidence.NewService(a.db, programs.NewStore(a.db))
		if err := svc.ChangeStatus(context.Background(), ens[0].ID, dir, assessments.EnrollmentWithdrawn, "left"); err != nil {
			t.Fatal(err)
		}
		if r := apiCall(a, "GET", "/api/v1/clearances?person="+jordan.ID+"&task=VENIPUNCTURE", hrTok, ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("after withdrawal: %d %s", r.StatusCode, r.body)
		}
	})
}

// Every table whose rows can change a decision bumps the person's decision
// stamp when its rows change, whichever code (or hand-written SQL) wrote.
func TestDecisionStampBumpedByEveryRecordTable(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := t.Context()
		stamp := func(id string) int64 {
			t.Helper()
			p, err := e.store.ByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return p.DecisionStamp
		}
		jordan, riley, sam := people["apprentice@demo.test"].ID, people["apprentice3@demo.test"].ID, people["apprentice2@demo.test"].ID
		// Records the demo has none of, written through the services: each
		// insert moves the stamp.
		svc := evidence.NewService(e.db, programs.NewStore(e.db))
		svc.Now = e.clock.Now
		ensOf := func(id string) assessments.Enrollment {
			ens, err := svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{id}})
			if err != nil || len(ens) != 1 {
				t.Fatalf("enrollment: %v %v", ens, err)
			}
			return ens[0]
		}
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
		samActor, rn := evidence.ActorOf(people["apprentice2@demo.test"]), people["preceptor@demo.test"].ID
		for name, write := range map[string]func() error{
			"self-log": func() error {
				_, _, err := svc.LogPerformance(ctx, records(t, svc, ensOf(sam).ID), samActor, assessments.SelfLogRequest{IdempotencyKey: "stamp-log-0001",
					Competency: "VS-VITALS", PerformedOn: today, SupervisorID: rn})
				return err
			},
			"hours": func() error {
				_, _, err := svc.LogHours(ctx, records(t, svc, ensOf(sam).ID), samActor, assessments.HoursRequest{IdempotencyKey: "stamp-hours-0001",
					Kind: assessments.OJL, Code: "ORIENT-SAFETY", WorkedOn: today, Minutes: 120, SupervisorID: rn})
				return err
			},
			"revocation": func() error {
				rec, err := svc.Enrollment(ctx, ensOf(riley).ID)
				if err != nil {
					return err
				}
				_, _, err = svc.Revoke(ctx, rec, rec.SignOffs[0].ID, evidence.ActorOf(people["director@demo.test"]),
					assessments.RevocationRequest{IdempotencyKey: "stamp-revoke-0001", Reason: "signed in error"})
				return err
			},
		} {
			person := sam
			if name == "revocation" {
				person = riley
			}
			before := stamp(person)
			if err := write(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if stamp(person) <= before {
				t.Errorf("%s: a new record left the stamp at %d", name, before)
			}
		}
		for _, tc := range []struct{ table, col, person string }{
			{"enrollments", "apprentice_id", jordan}, {"observations", "apprentice_id", jordan}, {"test_results", "apprentice_id", jordan},
			{"sign_offs", "apprentice_id", jordan}, {"credentials", "person_id", jordan}, {"credentials", "person_id", riley},
			{"self_logs", "apprentice_id", sam}, {"hours_entries", "apprentice_id", sam}, {"revocations", "apprentice_id", riley},
		} {
			person := tc.person
			before, other := stamp(person), stamp(people["graduate@demo.test"].ID)
			res, err := e.db.NewRaw("UPDATE "+tc.table+" SET "+tc.col+" = "+tc.col+" WHERE "+tc.col+" = ?", person).Exec(ctx)
			if err != nil {
				t.Fatalf("%s: %v", tc.table, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("%s: the demo person has no rows to change", tc.table)
			}
			if after := stamp(person); after <= before {
				t.Errorf("%s: changing rows left the stamp at %d", tc.table, after)
			}
			if stamp(people["graduate@demo.test"].ID) != other {
				t.Errorf("%s: someone else's stamp moved", tc.table)
			}
		}
	})
}
