package assessments

import (
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

// TestMarksAreTheSummary: Marks says of every competency what Summarize
// does (current, signed off, performances counted capped per requirement,
// and required), on days before, during and long after the training,
// with the cases a grid can get wrong: more performances than asked, a
// failed one, a correction, a revoked sign-off, a sign-off short of its
// coverage and a re-verification without an initial sign-off.
func TestMarksAreTheSummary(t *testing.T) {
	e := readyForINJ(t)
	e.observe("PHL-VENI", "", d("2026-03-05"), 12) // 10 asked
	failed := e.observe("PHL-VENI", "", d("2026-03-06"), 1)[0]
	failed.Successful = false
	e.recs.Observations[len(e.recs.Observations)-1] = *failed
	// One of INJ's ten IM performances corrected as failed.
	fix := e.obsRequest("INJ", "IM", d("2026-03-02"))
	fix.Steps = e.steps("INJ", criticalStep(t, e.comp("INJ")))
	for _, ob := range e.recs.Observations {
		if ob.Competency == "INJ" && ob.Variant == "IM" {
			fix.Supersedes = ob.ID
			break
		}
	}
	fix.CorrectionReason = "recorded as met by mistake"
	o, err := NewObservation(e.enr, nurse, fix, e.recs.Observations, at(d("2026-03-07")))
	if err != nil {
		t.Fatal(err)
	}
	o.ID = "obs-fix"
	e.recs.Observations = append(e.recs.Observations, *o)

	bbp := e.recs.SignOffs[1]
	if bbp.Competency != "SAF-BBP" {
		t.Fatalf("sign-off %+v, want SAF-BBP's", bbp)
	}
	rv, err := Revoke(&bbp, nil, director, RevocationRequest{IdempotencyKey: e.next("key"), Reason: "Retraining required.", EffectiveOn: d("2026-03-08")},
		e.pv.Location(), at(d("2026-03-08")))
	if err != nil {
		t.Fatal(err)
	}
	rv.ID = "rev-1"
	e.recs.Revocations = append(e.recs.Revocations, *rv)

	// LAB-WAIVED signed off without its coverage; INJ re-verified without
	// an initial sign-off. Neither counts as signed off.
	short := e.recs.SignOffs[0]
	short.ID, short.Competency, short.Covered = "so-short", "LAB-WAIVED", nil
	reverified := e.recs.SignOffs[0]
	reverified.ID, reverified.Competency, reverified.Kind = "so-reverified", "INJ", curriculum.ReverificationSignOff
	e.recs.SignOffs = append(e.recs.SignOffs, short, reverified)

	checked := 0
	for _, day := range []string{"2026-01-20", "2026-02-03", "2026-03-06", "2026-03-10", "2027-06-01", "2031-01-01"} {
		p := Summarize(e.recs, at(d(day)))
		got := Marks(e.pv, BuildEvidence(e.recs), d(day))
		if len(got) != len(p.Competencies) {
			t.Fatalf("%s: %d marks for %d competencies", day, len(got), len(p.Competencies))
		}
		for i, cp := range p.Competencies {
			want := Mark{SignedOff: cp.SignedOff, Current: cp.Current}
			for _, v := range cp.Variants {
				want.Done += uint16(min(v.Successful, v.Required))
				want.Need += uint16(v.Required)
			}
			if got[i] != want {
				t.Errorf("%s, %s: mark %+v, the summary says %+v", day, cp.Code, got[i], want)
			}
			if want.SignedOff || want.Current || want.Done > 0 {
				checked++
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d marks with something on file compared", checked)
	}
}
