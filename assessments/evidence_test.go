package assessments

import (
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// TestBuildEvidenceDrivesClearance follows an apprentice from not cleared
// to direct supervision to cleared for venipuncture as evidence arrives,
// through the real clearance engine, and checks that as-of queries keep
// earlier answers.
func TestBuildEvidenceDrivesClearance(t *testing.T) {
	e := newEnv(t)
	decide := func(asOf string) curriculum.Decision {
		t.Helper()
		dec, err := e.pv.Rules.EvaluateTask(BuildEvidence(e.recs), "VENIPUNCTURE", d(asOf))
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	expect := func(asOf string, want curriculum.Status) {
		t.Helper()
		if dec := decide(asOf); dec.Status != want {
			t.Fatalf("as of %s: %s, want %s; reasons: %v", asOf, dec.Status, want, dec.Messages())
		}
	}

	expect("2026-02-01", curriculum.NotCleared)

	// Prerequisites signed off: still not cleared, because venipuncture
	// allows direct supervision only after its knowledge test.
	e.complete("SAF-INFECT", d("2026-02-02"))
	e.complete("SAF-BBP", d("2026-02-03"))
	expect("2026-02-03", curriculum.NotCleared)

	e.testResult("PHL-VENI", 92, d("2026-02-10"))
	expect("2026-02-10", curriculum.DirectSupervision)
	expect("2026-02-09", curriculum.NotCleared) // as of the day before the test

	// Ten venipunctures, one with a critical step missed (does not count).
	e.observe("PHL-VENI", "", d("2026-02-16"), 9)
	req := e.obsRequest("PHL-VENI", "", d("2026-02-17"))
	req.Steps = e.steps("PHL-VENI", criticalStep(t, e.comp("PHL-VENI")))
	failed, err := NewObservation(e.enr, nurse, req, nil, at(d("2026-02-17")))
	if err != nil || failed.Successful {
		t.Fatalf("failed attempt: %v %+v", err, failed)
	}
	failed.ID = "obs-failed"
	e.recs.Observations = append(e.recs.Observations, *failed)
	_, err = CheckSignOff(e.signReq("PHL-VENI", curriculum.InitialSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-02-17")))
	wantErr(t, err, ErrCountShort)

	e.observe("PHL-VENI", "", d("2026-02-18"), 1)
	so := e.signOff("PHL-VENI", curriculum.InitialSignOff, d("2026-02-18"))
	if len(so.Signature.PerformanceIDs) != 10 {
		t.Fatalf("sign-off rests on %d performances", len(so.Signature.PerformanceIDs))
	}
	// Signed off, but the 10 clock hours of phlebotomy training (16 CCR
	// 1366.1) are not approved yet: 8 approved, 2 pending, 4 rejected.
	e.hours(RTI, "PHLEB", d("2026-02-05"), 8*60, HoursApproved)
	pending := e.hours(RTI, "PHLEB", d("2026-02-06"), 2*60, HoursPending)
	e.hours(RTI, "PHLEB", d("2026-02-07"), 4*60, HoursRejected)
	if dec := decide("2026-02-18"); dec.Status != curriculum.DirectSupervision ||
		len(dec.Reasons) != 2 || dec.Reasons[1].Message() != "Venipuncture: 8 of 10 clock hours of training approved (Phlebotomy and specimen collection)" {
		t.Fatalf("before the hours are approved: %s %v", dec.Status, dec.Messages())
	}
	// Approved on the 18th: cleared from that day, not the day before.
	if err := e.recs.Hours[pending].Approve(e.enr, nurse, at(d("2026-02-18"))); err != nil {
		t.Fatal(err)
	}
	expect("2026-02-17", curriculum.DirectSupervision)
	dec := decide("2026-02-18")
	if dec.Status != curriculum.Cleared {
		t.Fatalf("after sign-off: %s %v", dec.Status, dec.Messages())
	}
	// BLS is still within its 90-day grace after hire (2026-01-02), and
	// the 3-month recency rule runs from the last venipuncture.
	if dec.LapsesOn != d("2026-04-03") {
		t.Errorf("LapsesOn = %s, want 2026-04-03 (day after BLS grace)", dec.LapsesOn)
	}
	e.recs.Credentials = append(e.recs.Credentials, curriculum.CredentialRecord{ID: "bls-app", Type: "BLS", IssuedOn: d("2026-02-20"), Verified: true, RecordedOn: d("2026-02-20")})
	if dec := decide("2026-04-10"); dec.Status != curriculum.Cleared {
		t.Errorf("with BLS on file: %s %v", dec.Status, dec.Messages())
	}

	// A correction recorded on 2026-03-02 turns one counted venipuncture
	// into a failure: the count is short and the apprentice is back under
	// direct supervision, on the days before it too (records count from
	// the day they happened; what was known on 1 March is app/clearance's
	// known_at, which gives only the records entered by then).
	var target Observation
	for _, o := range e.recs.Observations {
		if o.Competency == "PHL-VENI" && o.Successful {
			target = o
			break
		}
	}
	fixReq := e.obsRequest("PHL-VENI", "", target.PerformedOn)
	fixReq.Steps = e.steps("PHL-VENI", criticalStep(t, e.comp("PHL-VENI")))
	fixReq.Supersedes, fixReq.CorrectionReason = target.ID, "Patient identification was not done; recorded as met by mistake."
	fix, err := NewObservation(e.enr, nurse, fixReq, e.recs.Observations, at(d("2026-03-02")))
	if err != nil {
		t.Fatal(err)
	}
	fix.ID = "obs-fix"
	e.recs.Observations = append(e.recs.Observations, *fix)
	expect("2026-03-01", curriculum.DirectSupervision)
	expect("2026-03-02", curriculum.DirectSupervision)
}

func TestBuildEvidenceMapping(t *testing.T) {
	e := newEnv(t)
	// Recorded at 23:30 in New York on 14 March = 03:30 UTC on 15 March:
	// evidence from the organisation's 14 March.
	late := time.Date(2026, 3, 15, 3, 30, 0, 0, time.UTC)
	e.recs.Observations = []Observation{
		{ID: "o1", ApprenticeID: apprentice.ID, Competency: "INJ", Variant: "IM", PerformedOn: d("2026-03-14"), Successful: true, RecordedAt: late},
		{ID: "o2", ApprenticeID: apprentice.ID, Competency: "INJ", Variant: "IM", PerformedOn: d("2026-03-14"), RecordedAt: late, Supersedes: "o1"},
		{ID: "o3", ApprenticeID: "app-other", Competency: "INJ", Variant: "IM", PerformedOn: d("2026-03-14"), Successful: true, RecordedAt: late},
	}
	e.recs.Tests = []TestResult{{ID: "t1", ApprenticeID: apprentice.ID, Competency: "INJ", Score: 81.5, TakenOn: d("2026-03-13"), RecordedAt: late}}
	e.recs.SignOffs = []SignOff{{ID: "s1", ApprenticeID: apprentice.ID, Competency: "SAF-BBP", Kind: curriculum.InitialSignOff,
		SignedOn: d("2026-03-14"), Covered: []string{"X"}, Signature: Signature{SignedAt: late}}}
	e.recs.Credentials = []curriculum.CredentialRecord{{ID: "c1", Type: "BLS"}}
	ev := BuildEvidence(e.recs)
	if ev.PersonID != apprentice.ID || ev.HireDate != d("2026-01-02") || len(ev.Credentials) != 1 {
		t.Fatalf("person: %+v", ev)
	}
	if len(ev.Performances) != 2 {
		t.Fatalf("another apprentice's record leaked in: %+v", ev.Performances)
	}
	p := ev.Performances[1]
	if p.RecordedOn != d("2026-03-14") || p.Supersedes != "o1" || p.Successful {
		t.Errorf("performance = %+v", p)
	}
	if k := ev.KnowledgeTests[0]; k.Score != 81.5 || k.RecordedOn != d("2026-03-14") || k.TakenOn != d("2026-03-13") {
		t.Errorf("test = %+v", k)
	}
	if s := ev.SignOffs[0]; s.RecordedOn != d("2026-03-14") || s.Kind != curriculum.InitialSignOff || len(s.Covered) != 1 || !s.RevokedFrom.IsZero() {
		t.Errorf("sign-off = %+v", s)
	}
	if BuildEvidence(&Records{}) != nil || BuildEvidence(nil) != nil {
		t.Error("BuildEvidence without an enrollment should be nil")
	}
}
