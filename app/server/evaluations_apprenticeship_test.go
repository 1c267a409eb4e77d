package server_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// evalApprentice publishes a copy of the shipped MA program (evaluations
// every 3 months; edit changes it first) under code and enrolls a new
// apprentice, Wade Park, at Jordan's site from start with Priya as
// preceptor. It returns the program version, Wade and the enrollment.
func evalApprentice(t *testing.T, e *env, people map[string]*accounts.Person, code string, start curriculum.Date,
	edit func(*curriculum.Program)) (*programs.StoredVersion, *accounts.Person, assessments.Enrollment) {
	t.Helper()
	ctx := t.Context()
	jordan, dir := people["apprentice@demo.test"], people["director@demo.test"]
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	v.Program.Code, v.Program.Title = code, "MA apprenticeship "+code
	if edit != nil {
		edit(&v.Program)
	}
	if err := v.Publish(e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	sv, err := e.svc.Programs.Create(ctx, v, dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	wade, err := e.store.Create(ctx, accounts.NewPerson{Email: "wade@demo.test", Name: "Wade Park", Roles: []accounts.Role{accounts.RoleApprentice},
		SiteIDs: jordan.SiteIDs, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	en, _, err := e.svc.Evidence.Enroll(ctx, assessments.Enrollment{ApprenticeID: wade.ID, VersionID: sv.ID, SiteID: jordan.SiteIDs[0],
		HireDate: start, StartDate: start, PreceptorIDs: []string{people["preceptor@demo.test"].ID}, Status: assessments.EnrollmentActive,
		IdempotencyKey: code + "-enroll"}, dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	return sv, wade, en
}

// evaluationForm is a complete mentor's evaluation of the shipped form.
// moveToNextVersion publishes a new version of sv's program (unchanged) as
// dir and moves the enrollment old to it from day, returning the new
// enrollment.
func moveToNextVersion(t *testing.T, e *env, dir *accounts.Person, sv *programs.StoredVersion, old assessments.Enrollment, key string,
	day curriculum.Date) assessments.Enrollment {
	t.Helper()
	ctx := t.Context()
	draft, err := e.svc.Programs.StartDraft(ctx, sv.ProgramID, dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.svc.Programs.Publish(ctx, draft.ID, draft.LockVersion, dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := e.svc.Evidence.MoveToVersion(ctx, old.ID, evidence.ActorOf(dir),
		evidence.MoveRequest{IdempotencyKey: key, ToVersionID: v2.ID, EffectiveOn: day})
	if err != nil {
		t.Fatal(err)
	}
	return moved
}

func evaluationForm() url.Values {
	return url.Values{"comments": {"Steady progress."}, "password": {demo.Password}, "rating_CLINICAL-SKILLS": {"3"}, "rating_SAFETY": {"4"},
		"rating_COMMUNICATE": {"3"}, "rating_DOCUMENT": {"2"}, "rating_CONDUCT": {"4"}}
}

// evaluationRows are the evaluations workbook's rows of one apprentice
// as "number due-date status".
func evaluationRows(t *testing.T, c *client, query, person string) []string {
	t.Helper()
	rows, err := openXLSX(t, c.get("/reports/evaluations.xlsx?"+query)).GetRows("Evaluations")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if len(r) > 3 && r[0] == person {
			out = append(out, r[1]+" "+r[2]+" "+r[3])
		}
	}
	return out
}

// A move to a newer program version continues the apprenticeship: on the
// new enrollment, evaluations keep counting from the first start date and
// follow the numbers already signed (the one signed before the move is
// listed there, and the apprentice acknowledges it there); the enrollment
// moved from has none due any more, and the report, the cohort and the API
// list each evaluation once.
func TestEvaluationNumbersContinueAcrossAMove(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		today := orgToday(e)
		start := today.AddMonths(-7) // evaluation 1 due 4 months ago, 2 a month ago, 3 in 2 months
		due := func(n int) curriculum.Date { return start.AddMonths(3 * n) }
		sv, _, old := evalApprentice(t, e, people, "MA-EVAL-MOVE", start, nil)

		priya := e.client()
		priya.login("preceptor@demo.test", demo.Password)
		first := "/enrollments/" + old.ID + "/evaluations/1"
		priya.get(first)
		if r := priya.post(first, evaluationForm()); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("evaluation 1 before the move: %d\n%s", r.StatusCode, r.body)
		}
		// Moved two days later.
		e.clock.Advance(48 * time.Hour)
		today = orgToday(e)
		priya.login("preceptor@demo.test", demo.Password)

		moved := moveToNextVersion(t, e, people["director@demo.test"], sv, old, "eval-move-to-v2", today)

		me := e.client()
		me.login("wade@demo.test", testPassword)
		base := "/enrollments/" + moved.ID + "/evaluations/"
		status := func(c *client, page string) (string, string) {
			body := c.get(page).body
			return regexpFind(`<span class="status[^"]*">([^<]+)</span>`, body), regexpFind(`<p>Due (\d{4}-\d\d-\d\d) ·`, body)
		}
		if st, on := status(me, base+"1"); st != "Awaiting acknowledgement" || on != due(1).String() {
			t.Fatalf("evaluation 1 on the new enrollment: %q due %s, want the one signed before the move (due %s)", st, on, due(1))
		}
		if st, on := status(me, base+"2"); st != "Overdue" || on != due(2).String() {
			t.Fatalf("evaluation 2 on the new enrollment: %q due %s, want overdue since %s (counted from the first start %s)", st, on, due(2), start)
		}
		if r := me.get(base + "3"); r.StatusCode != http.StatusNotFound {
			t.Errorf("evaluation 3 is listed before 2 is done: %d", r.StatusCode)
		}
		if r := me.post(base+"1/acknowledge", url.Values{"password": {testPassword}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledging evaluation 1 on the new enrollment: %d\n%s", r.StatusCode, r.body)
		}
		dana := e.client()
		dana.login("director@demo.test", demo.Password)
		if !strings.Contains(dana.get("/cohort").body, "Evaluation 2 overdue since "+due(2).AddDays(1).String()) {
			t.Error("the cohort does not mark evaluation 2 overdue from the first start")
		}

		// The enrollment moved from: nothing is due there any more.
		priya.get(first)
		if r := priya.get("/enrollments/" + old.ID + "/evaluations/2"); r.StatusCode != http.StatusNotFound {
			t.Errorf("evaluation 2 is still due on the enrollment moved from: %d", r.StatusCode)
		}
		if r := priya.post("/enrollments/"+old.ID+"/evaluations/2", evaluationForm()); r.StatusCode != http.StatusNotFound {
			t.Errorf("evaluation 2 signed on the enrollment moved from: %d", r.StatusCode)
		}
		priya.get(base + "2")
		if r := priya.post(base+"2", evaluationForm()); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("evaluation 2 on the new enrollment: %d\n%s", r.StatusCode, r.body)
		}

		var api struct {
			Evaluations []struct {
				Number int
				DueOn  string `json:"due_on"`
				Status string
			}
		}
		decode(t, me.do("GET", "/api/v1/enrollments/"+moved.ID+"/evaluations", nil, map[string]string{"Accept": "application/json"}), &api)
		var got []string
		for _, x := range api.Evaluations {
			got = append(got, strconv.Itoa(x.Number)+" "+x.DueOn+" "+x.Status)
		}
		want := []string{"1 " + due(1).String() + " completed", "2 " + due(2).String() + " awaiting_acknowledgement", "3 " + due(3).String() + " upcoming"}
		if !slices.Equal(got, want) {
			t.Errorf("the API's evaluations after the move: %q, want %q", got, want)
		}
		if rows := evaluationRows(t, dana, "", "Wade Park"); !slices.Equal(rows, []string{"1 " + due(1).String() + " Completed",
			"2 " + due(2).String() + " Awaiting acknowledgement", "3 " + due(3).String() + " Upcoming"}) {
			t.Errorf("the evaluations report after the move: %q", rows)
		}
		// The day before the move, the old enrollment was the apprenticeship
		// (evaluation 1 signed, not yet acknowledged).
		if rows := evaluationRows(t, dana, "as_of="+today.AddDays(-1).String(), "Wade Park"); !slices.Equal(rows, []string{
			"1 " + due(1).String() + " Awaiting acknowledgement", "2 " + due(2).String() + " Overdue"}) {
			t.Errorf("the evaluations report the day before the move: %q", rows)
		}
	})
}

// An evaluation signed on an enrollment as it is moved to a newer version
// takes no number there: the signer's page was read before the move, but
// the signature is checked again in its own transaction, after the move
// (on PostgreSQL the two wait for each other), so evaluation 1 cannot be
// signed both on the enrollment moved from and on the one moved to.
func TestEvaluationSignedAsTheEnrollmentMovesIsRefused(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		people := withDemo(t, e)
		dir, priya := people["director@demo.test"], people["preceptor@demo.test"]
		sv, _, old := evalApprentice(t, e, people, "MA-EVAL-RACE", orgToday(e).AddMonths(-4), nil)
		// What the preceptor's evaluation page read.
		rec, err := e.svc.Evidence.Enrollment(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		done, err := e.svc.Evaluations.ForEnrollment(ctx, rec.Enrollment)
		if err != nil {
			t.Fatal(err)
		}
		req := assessments.EvaluationRequest{Seq: 1, Comments: "Steady progress.", ApprenticeName: "Wade Park", AuthMethod: "password",
			Ratings: map[string]int{"CLINICAL-SKILLS": 3, "SAFETY": 4, "COMMUNICATE": 3, "DOCUMENT": 2, "CONDUCT": 4}}

		var moved assessments.Enrollment
		if e.db.Engine == db.Postgres {
			// A signature holding the enrollment makes the move wait for it.
			tx, err := e.db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.svc.Evidence.Store.HoldUnmoved(ctx, tx, old.ID); err != nil {
				t.Fatal(err)
			}
			done := make(chan assessments.Enrollment)
			go func() { done <- moveToNextVersion(t, e, dir, sv, old, "eval-race-to-v2", orgToday(e)) }()
			waitForMoveLock(t, e, old.ID)
			_ = tx.Rollback()
			moved = <-done
		} else {
			moved = moveToNextVersion(t, e, dir, sv, old, "eval-race-to-v2", orgToday(e))
		}
		if _, err := e.svc.Evaluations.Complete(ctx, rec.Enrollment, done, evidence.ActorOf(priya), req); !errors.Is(err, evidence.ErrMoved) {
			t.Fatalf("evaluation 1 signed on the enrollment moved from after the move: %v, want it refused as moved", err)
		}
		var n int
		if err := e.db.NewRaw("SELECT COUNT(*) FROM evaluations WHERE apprentice_id = ?", old.ApprenticeID).Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("%d evaluations stored (%v), want none", n, err)
		}
		// Signed where the apprenticeship now is, it is evaluation 1.
		recNew, err := e.svc.Evidence.Enrollment(ctx, moved.ID)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := e.svc.Evaluations.Complete(ctx, recNew.Enrollment, nil, evidence.ActorOf(priya), req)
		if err != nil || ev.Seq != 1 {
			t.Fatalf("evaluation 1 on the enrollment moved to: %v, %v", ev, err)
		}
	})
}

// waitForMoveLock waits until a PostgreSQL session waits for the lock
// that holds enrollment id against a move (at most 10 s).
func waitForMoveLock(t *testing.T, e *env, id string) {
	t.Helper()
	q := `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(?, 0)`
	for range 200 {
		var waiting int
		if err := e.db.NewRaw(q, "enrollment-move:"+id).Scan(t.Context(), &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the move did not wait for the signature holding the enrollment")
}

// The evaluations report as of a past day counts the evaluations due at
// wage steps only for the steps approved by the end of that day: a step
// approved today with an effective date five days ago was not known three
// days ago (nor as known at an instant before its approval).
func TestEvaluationReportAsOfUsesWageStepsApprovedByThen(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := t.Context()
		today := orgToday(e)
		start := today.AddDays(-40)
		_, wade, en := evalApprentice(t, e, people, "MA-EVAL-WAGE", start, func(p *curriculum.Program) {
			p.WageSchedule = []curriculum.WageStep{{Title: "Start", HourlyRate: 17}, {Title: "Step 2", HourlyRate: 18.5, OJLHours: 8}}
			p.Evaluations.AtWageSteps = true
		})
		priya := people["preceptor@demo.test"]
		h, _, err := e.svc.Evidence.LogHours(ctx, records(t, e.svc.Evidence, en.ID), evidence.ActorOf(wade), assessments.HoursRequest{IdempotencyKey: "eval-wage-hours",
			Kind: assessments.OJL, Code: "PT-CARE", WorkedOn: today.AddDays(-10), Minutes: 8 * 60, SupervisorID: priya.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Evidence.ReviewHours(ctx, h.ID, evidence.ActorOf(priya), true, ""); err != nil {
			t.Fatal(err)
		}
		approvedAt := e.clock.Now()
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		page := "/people/" + wade.ID + "/wage"
		hr.get(page)
		stepOn := today.AddDays(-5)
		if r := hr.post(page, url.Values{"step": {"2"}, "effective_on": {stepOn.String()}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("approving step 2 effective %s: %d\n%s", stepOn, r.StatusCode, r.body)
		}
		dana := e.client()
		dana.login("director@demo.test", demo.Password)
		periodic := start.AddMonths(3)
		if rows := evaluationRows(t, dana, "as_of="+today.String(), "Wade Park"); !slices.Equal(rows, []string{"1 " + stepOn.String() + " Overdue"}) {
			t.Fatalf("today, with the step approved: %q, want evaluation 1 due on the step's day %s, overdue", rows, stepOn)
		}
		if rows := evaluationRows(t, dana, "as_of="+today.AddDays(-3).String(), "Wade Park"); !slices.Equal(rows, []string{"1 " + periodic.String() + " Upcoming"}) {
			t.Errorf("three days ago, before the step was approved: %q, want evaluation 1 due %s (the periodic date), upcoming", rows, periodic)
		}
		known := url.Values{"as_of": {today.String()}, "known_at": {approvedAt.Add(-1e9).Format("2006-01-02T15:04:05Z07:00")}}
		if rows := evaluationRows(t, dana, known.Encode(), "Wade Park"); !slices.Equal(rows, []string{"1 " + periodic.String() + " Upcoming"}) {
			t.Errorf("today as known before the approval: %q, want evaluation 1 due %s", rows, periodic)
		}
		if !strings.Contains(dana.get("/reports/evaluations?as_of="+today.AddDays(-3).String()).body, periodic.String()) {
			t.Error("the report page three days ago does not show the periodic due date")
		}
	})
}

// A wage step reached by time counts the months from the apprenticeship's
// start, through a move to a newer program version: moved today, seven
// months after starting, the apprentice is eligible for the step due six
// months after the start, and the first step is in force since the start.
func TestWageMonthsCountFromTheApprenticeshipStartAcrossAMove(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		today := orgToday(e)
		start := today.AddMonths(-7)
		sv, wade, old := evalApprentice(t, e, people, "MA-WAGE-MOVE", start, func(p *curriculum.Program) {
			p.WageSchedule = []curriculum.WageStep{{Title: "Start", HourlyRate: 17}, {Title: "Step 2", HourlyRate: 18.5, MonthsAfterStart: 6}}
		})
		moveToNextVersion(t, e, people["director@demo.test"], sv, old, "wage-months-move", today)
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		page := "/people/" + wade.ID + "/wage"
		if r := hr.get(page); !strings.Contains(r.body, "since "+start.String()) || !strings.Contains(r.body, "Eligible for Step 2") {
			t.Fatalf("after the move: Start not since %s, or Step 2 (6 months after the start) not eligible\n%s", start, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
		if r := hr.post(page, url.Values{"step": {"2"}, "effective_on": {today.String()}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("approving Step 2 after the move: %d\n%s", r.StatusCode, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
	})
}
