package assessments

import (
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

func TestEvaluationComesDueAndIsSignedByBoth(t *testing.T) {
	e := newEnv(t) // started 2026-01-05: evaluation 1 due 2026-04-05, window 14 days
	for day, want := range map[string]EvaluationStatus{"2026-03-21": EvaluationUpcoming, "2026-03-22": EvaluationDueSoon,
		"2026-04-04": EvaluationDueSoon, "2026-04-05": EvaluationDue, "2026-04-06": EvaluationOverdue} {
		if got := EvaluationsOf(e.enr, nil, d(day)); len(got) != 1 || got[0].Seq != 1 || got[0].DueOn != d("2026-04-05") || got[0].Status != want {
			t.Errorf("on %s: %+v, want evaluation 1 due 2026-04-05 %s", day, got, want)
		}
	}
	ratings := map[string]int{"CLINICAL-SKILLS": 3, "SAFETY": 4, "COMMUNICATE": 3, "DOCUMENT": 2, "CONDUCT": 4}
	req := EvaluationRequest{Seq: 1, Ratings: ratings, Comments: "Steady progress.", ApprenticeName: apprentice.Name}
	_, err := CheckEvaluation(req, apprentice, e.enr, nil, at(d("2026-04-05")))
	wantErr(t, err, ErrSelfSignOff)
	_, err = CheckEvaluation(req, nurse, e.enr, nil, at(d("2026-03-21")))
	wantErr(t, err, ErrFutureDate)
	bad := req
	bad.Ratings = map[string]int{"CLINICAL-SKILLS": 3, "SAFETY": 5}
	_, err = CheckEvaluation(bad, nurse, e.enr, nil, at(d("2026-04-05")))
	wantErr(t, err, ErrMissingField)
	if f := err.(*Error).Field; f != "rating_SAFETY" {
		t.Errorf("a rating off the scale is reported on %q", f)
	}
	ev, err := CheckEvaluation(req, nurse, e.enr, nil, at(d("2026-04-06")))
	wantErr(t, err, nil)
	ev.ID = "ev-1"
	if ev.Signature.Hash != EvaluationHash(ev) || len(ev.Signature.Hash) != 64 {
		t.Fatal("the signature hash does not bind the evaluation")
	}
	changed := *ev
	changed.Comments = "Excellent."
	if EvaluationHash(&changed) == ev.Signature.Hash {
		t.Error("changing the comments keeps the hash")
	}
	done := []Evaluation{*ev}
	if got := EvaluationsOf(e.enr, done, d("2026-04-06")); got[0].Status != EvaluationAwaitingAck || got[1].Seq != 2 || got[1].DueOn != d("2026-07-05") {
		t.Errorf("after the mentor signs: %+v", got)
	}
	_, err = CheckEvaluation(req, nurse, e.enr, done, at(d("2026-04-07")))
	wantErr(t, err, ErrAlreadySignedOff)

	_, err = CheckAcknowledgement(ev, nurse, e.pv.Location(), "password", at(d("2026-04-07")))
	wantErr(t, err, ErrNotYourEnrollment)
	ack, err := CheckAcknowledgement(ev, apprentice, e.pv.Location(), "password", at(d("2026-04-07")))
	wantErr(t, err, nil)
	if ack.Signature.Hash != AcknowledgementHash(ack, ev.Signature.Hash) || ack.Signature.Hash == AcknowledgementHash(ack, EvaluationHash(&changed)) {
		t.Error("the acknowledgement's hash does not bind it to the evaluation")
	}
	done[0].Ack = ack
	if got := EvaluationsOf(e.enr, done, d("2026-04-07")); got[0].Status != EvaluationCompleted {
		t.Errorf("after both sign: %+v", got[0])
	}
	_, err = CheckAcknowledgement(&done[0], apprentice, e.pv.Location(), "password", at(d("2026-04-08")))
	wantErr(t, err, ErrAlreadyReviewed)
}

func TestEvaluationIsDueAtAWageStep(t *testing.T) {
	e := newEnv(t) // evaluation 1 due 2026-04-05, then every 3 months, window 14 days
	sched := e.pv.Program().Evaluations
	sched.AtWageSteps = true
	t.Cleanup(func() { sched.AtWageSteps = false })
	e.enr.WageStepsOn = []curriculum.Date{d("2026-05-20")}
	done := []Evaluation{{Seq: 1, DueOn: d("2026-04-05"), Ack: &Acknowledgement{}}}
	for day, want := range map[string]EvaluationStatus{"2026-05-05": EvaluationUpcoming, "2026-05-19": EvaluationDueSoon,
		"2026-05-20": EvaluationDue, "2026-05-21": EvaluationOverdue} {
		if got := EvaluationsOf(e.enr, done, d(day)); len(got) != 2 || got[1].Seq != 2 || got[1].DueOn != d("2026-05-20") || got[1].Status != want {
			t.Errorf("on %s: %+v, want evaluation 2 due 2026-05-20 (the wage step) %s", day, got, want)
		}
	}
	ratings := map[string]int{"CLINICAL-SKILLS": 3, "SAFETY": 4, "COMMUNICATE": 3, "DOCUMENT": 2, "CONDUCT": 4}
	ev, err := CheckEvaluation(EvaluationRequest{Seq: 2, Ratings: ratings, Comments: "At step 2."}, nurse, e.enr, done, at(d("2026-05-20")))
	wantErr(t, err, nil)
	if ev.DueOn != d("2026-05-20") {
		t.Errorf("evaluation 2 stored due %s", ev.DueOn)
	}
	if got := EvaluationsOf(e.enr, append(done, *ev), d("2026-05-21")); got[2].DueOn != d("2026-07-05") {
		t.Errorf("after the step's evaluation the next is due %s, want the periodic 2026-07-05", got[2].DueOn)
	}
}

// After a move to a newer program version the apprenticeship goes on: the
// new enrollment (started on the move's day) counts evaluations from the
// first one's start and follows the numbers signed before; the enrollment
// moved from has none due any more and refuses a signature. An
// apprenticeship that is not active (completed, on hold) has none due.
func TestEvaluationsContinueAcrossAMoveAndEndWithTheApprenticeship(t *testing.T) {
	e := newEnv(t) // started 2026-01-05: evaluation 1 due 2026-04-05, every 3 months
	ratings := map[string]int{"CLINICAL-SKILLS": 3, "SAFETY": 4, "COMMUNICATE": 3, "DOCUMENT": 2, "CONDUCT": 4}
	req := EvaluationRequest{Seq: 1, Ratings: ratings, Comments: "Steady progress."}
	first, err := CheckEvaluation(req, nurse, e.enr, nil, at(d("2026-04-06")))
	wantErr(t, err, nil)
	done := []Evaluation{*first}

	moved := *e.enr
	moved.ID, moved.StartDate, moved.Began = "enr-2", d("2026-05-10"), e.enr.StartDate
	got := EvaluationsOf(&moved, done, d("2026-07-06"))
	if len(got) != 2 || got[0].Evaluation == nil || got[0].Seq != 1 || got[1].Seq != 2 || got[1].DueOn != d("2026-07-05") || got[1].Status != EvaluationOverdue {
		t.Fatalf("after the move: %+v, want evaluation 1 kept and 2 due 2026-07-05 (from the first start), overdue", got)
	}
	req.Seq = 2
	ev, err := CheckEvaluation(req, nurse, &moved, done, at(d("2026-07-06")))
	wantErr(t, err, nil)
	if ev.EnrollmentID != "enr-2" || ev.DueOn != d("2026-07-05") {
		t.Errorf("evaluation 2 after the move: on %s due %s", ev.EnrollmentID, ev.DueOn)
	}

	old := *e.enr
	old.MovedOn = d("2026-05-10")
	if got := EvaluationsOf(&old, done, d("2026-05-09")); len(got) != 2 {
		t.Errorf("the day before the move the old enrollment has the next one due: %+v", got)
	}
	if got := EvaluationsOf(&old, done, d("2026-07-06")); len(got) != 1 {
		t.Errorf("the enrollment moved from still lists one due: %+v", got)
	}
	_, err = CheckEvaluation(req, nurse, &old, done, at(d("2026-07-06")))
	wantErr(t, err, ErrEnrollmentInactive)

	for _, st := range []EnrollmentStatus{EnrollmentCompleted, EnrollmentOnHold} {
		ended := *e.enr
		ended.Status = st
		if got := EvaluationsOf(&ended, done, d("2026-07-06")); len(got) != 1 {
			t.Errorf("%s: an evaluation is still due: %+v", st, got)
		}
		_, err = CheckEvaluation(req, nurse, &ended, done, at(d("2026-07-06")))
		wantErr(t, err, ErrEnrollmentInactive)
	}
}
