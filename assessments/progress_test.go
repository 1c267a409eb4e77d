package assessments

import (
	"strings"
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

func TestSummarize(t *testing.T) {
	e := readyForINJ(t)
	e.observe("PHL-VENI", "", d("2026-03-05"), 4)
	req := e.obsRequest("PHL-VENI", "", d("2026-03-06"))
	req.Steps = e.steps("PHL-VENI", criticalStep(t, e.comp("PHL-VENI")))
	failed, err := NewObservation(e.enr, nurse, req, nil, at(d("2026-03-06")))
	if err != nil {
		t.Fatal(err)
	}
	failed.ID = "obs-failed"
	e.recs.Observations = append(e.recs.Observations, *failed)
	e.recs.Hours = []HoursEntry{
		{ApprenticeID: apprentice.ID, Kind: OJL, Code: "PT-CARE", Minutes: 100 * 60, Status: HoursApproved},
		{ApprenticeID: "app-other", Kind: OJL, Code: "PT-CARE", Minutes: 900 * 60, Status: HoursApproved},
	}

	p := Summarize(e.recs, at(d("2026-03-10")))
	if p.Total != 43 || p.SignedOff != 3 || p.Percent != 6 || p.AsOf != d("2026-03-10") {
		t.Fatalf("overall: %d of %d signed off, %d%%", p.SignedOff, p.Total, p.Percent)
	}
	if p.Hours.OJL.Approved != 100*60 {
		t.Errorf("hours of another apprentice counted: %+v", p.Hours.OJL)
	}
	line := func(code string) CompetencyProgress {
		for _, c := range p.Competencies {
			if c.Code == code {
				return c
			}
		}
		t.Fatalf("no line for %s", code)
		return CompetencyProgress{}
	}

	infect := line("SAF-INFECT")
	if !infect.SignedOff || !infect.Current || infect.SignedOffOn != d("2026-02-02") || infect.SignedOffBy != nurse.Name ||
		infect.ReverificationDue != d("2029-02-02") || len(infect.Missing) != 0 {
		t.Errorf("SAF-INFECT = %+v", infect)
	}

	veni := line("PHL-VENI")
	if veni.SignedOff || veni.Current || veni.Variants[0].Successful != 4 || veni.Variants[0].Required != 10 {
		t.Errorf("PHL-VENI = %+v", veni)
	}
	if veni.LastAttemptOn != d("2026-03-06") || veni.LastAttemptSuccessful {
		t.Errorf("PHL-VENI last attempt = %s %v", veni.LastAttemptOn, veni.LastAttemptSuccessful)
	}
	missing := strings.Join(veni.Missing, "\n")
	for _, want := range []string{"Complete 6 more successful observed performances of Venipuncture", "knowledge test", "signed off"} {
		if !strings.Contains(missing, want) {
			t.Errorf("PHL-VENI missing %q in:\n%s", want, missing)
		}
	}

	inj := line("INJ")
	if inj.SignedOff || !inj.TestPassed || inj.BestScore != 85 || len(inj.Variants) != 3 || inj.Variants[0].Successful != 10 {
		t.Errorf("INJ = %+v", inj)
	}

	// Waived testing is re-verified yearly; within the 30-day window the
	// line carries a "due soon" note.
	e2 := newEnv(t)
	e2.complete("SAF-BBP", d("2026-01-10"))
	e2.complete("LAB-SPEC", d("2026-01-11"))
	for _, v := range []string{"UA", "STREP", "GLUCOSE", "HCG"} {
		e2.observe("LAB-WAIVED", v, d("2026-01-12"), 3)
	}
	e2.testResult("LAB-WAIVED", 90, d("2026-01-12"))
	lw := e2.signReq("LAB-WAIVED", curriculum.InitialSignOff)
	lw.Covered = []string{"WRITTEN-TEST", "QC-MONITORING"}
	so, err := CheckSignOff(lw, nurseSigner, e2.recs, SignOffPolicy{}, at(d("2026-01-12")))
	if err != nil {
		t.Fatal(err)
	}
	so.ID = "so-lw"
	e2.recs.SignOffs = append(e2.recs.SignOffs, *so)
	p2 := Summarize(e2.recs, at(d("2026-12-20")))
	for _, c := range p2.Competencies {
		if c.Code == "LAB-WAIVED" {
			if c.ReverificationDue != d("2027-01-12") || len(c.Notes) == 0 {
				t.Errorf("LAB-WAIVED due %s, notes %v", c.ReverificationDue, c.Notes)
			}
		}
	}
	if Summarize(&Records{}, at(d("2026-03-10"))) != nil {
		t.Error("Summarize without enrollment should be nil")
	}
}

// TestProgressDueFollowsTheFirstCycle: what progress pages and reminders
// show as due is the engine's schedule: the shipped CLIA competency is due
// 6 and 12 months after its initial sign-off, then yearly.
func TestProgressDueFollowsTheFirstCycle(t *testing.T) {
	e := newEnv(t)
	var six []string
	for _, it := range e.comp("LAB-NONWAIVED").Coverage.Items {
		six = append(six, it.Code)
	}
	sign := func(kind curriculum.SignOffKind, day string) {
		e.recs.SignOffs = append(e.recs.SignOffs, SignOff{ID: e.next("so"), EnrollmentID: e.enr.ID, ApprenticeID: apprentice.ID,
			Competency: "LAB-NONWAIVED", Kind: kind, SignedOn: d(day), Covered: six,
			Signature: Signature{SignedAt: at(d(day))}})
	}
	due := func(asOf string) curriculum.Date {
		t.Helper()
		for _, c := range Summarize(e.recs, at(d(asOf))).Competencies {
			if c.Code == "LAB-NONWAIVED" {
				return c.ReverificationDue
			}
		}
		t.Fatal("no LAB-NONWAIVED line")
		return curriculum.Date{}
	}
	sign(curriculum.InitialSignOff, "2026-01-15")
	if got := due("2026-02-01"); got != d("2026-07-15") {
		t.Fatalf("after the initial sign-off: due %s, want 2026-07-15", got)
	}
	sign(curriculum.ReverificationSignOff, "2026-07-10")
	if got := due("2026-07-20"); got != d("2027-01-15") {
		t.Fatalf("after the 6-month re-verification: due %s, want 2027-01-15 (12 months after the initial sign-off)", got)
	}
	sign(curriculum.ReverificationSignOff, "2027-01-12")
	if got := due("2027-02-01"); got != d("2028-01-12") {
		t.Fatalf("after the 12-month re-verification: due %s, want 2028-01-12", got)
	}
}

// TestProgressSaysWhichTrainingHoursAreMissing: the progress page's
// "missing" for a signed-off venipuncture without its 10 hours of
// phlebotomy training is those hours (approved ones only).
func TestProgressSaysWhichTrainingHoursAreMissing(t *testing.T) {
	e := newEnv(t)
	e.complete("SAF-INFECT", d("2026-02-02"))
	e.complete("SAF-BBP", d("2026-02-03"))
	e.complete("PHL-VENI", d("2026-02-10"))
	e.hours(RTI, "PHLEB", d("2026-02-04"), 6*60, HoursApproved)
	e.hours(RTI, "PHLEB", d("2026-02-05"), 4*60, HoursPending)
	missing := func() []string {
		for _, c := range Summarize(e.recs, at(d("2026-02-11"))).Competencies {
			if c.Code == "PHL-VENI" {
				return c.Missing
			}
		}
		return nil
	}
	if got := missing(); len(got) != 1 || got[0] != "Complete 4 more clock hours of training for Venipuncture (Phlebotomy and specimen collection) and have them approved" {
		t.Fatalf("missing %q", got)
	}
	e.hours(RTI, "PHLEB", d("2026-02-06"), 4*60, HoursApproved)
	if got := missing(); len(got) != 0 {
		t.Fatalf("with 10 approved hours, still missing %q", got)
	}
}
