package assessments

import (
	"slices"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

func readinessOf(t *testing.T, e *env, code string, day curriculum.Date) Readiness {
	t.Helper()
	r, ok := SignOffReadiness(e.recs, code, at(day))
	if !ok {
		t.Fatalf("no readiness for %s", code)
	}
	return r
}

func wantMissing(t *testing.T, r Readiness, want ...string) {
	t.Helper()
	got := strings.Join(r.Missing, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: missing = %q, want it to say %q", r.Code, r.Missing, w)
		}
	}
}

func TestReadinessInitialSaysWhatIsMissing(t *testing.T) {
	e := newEnv(t)
	day := d("2026-03-10")
	r := readinessOf(t, e, "PHL-VENI", day)
	if r.Ready || r.Kind != curriculum.InitialSignOff {
		t.Fatalf("venipuncture with nothing on file: %+v", r)
	}
	wantMissing(t, r, "10 more observed performances", "signed off and current first", "knowledge test has not been taken")
	if r.Short != 10 || r.OnlyObservations {
		t.Fatalf("venipuncture needs more than observations: %+v", r)
	}

	e = readyForINJ(t)
	if r := readinessOf(t, e, "INJ", day); !r.Ready || len(r.Missing) != 0 || r.Kind != curriculum.InitialSignOff {
		t.Fatalf("INJ with everything on file: %+v", r)
	}
	// Two intramuscular injections fewer: exactly what is short, per variant.
	dropped := 0
	e.recs.Observations = slices.DeleteFunc(e.recs.Observations, func(o Observation) bool {
		if o.Competency == "INJ" && o.Variant == "IM" && dropped < 2 {
			dropped++
			return true
		}
		return false
	})
	r = readinessOf(t, e, "INJ", day)
	if r.Ready || len(r.Missing) != 1 || r.Short != 2 || !r.OnlyObservations {
		t.Fatalf("INJ two short: %+v", r)
	}
	wantMissing(t, r, "2 more observed performances (intramuscular)")
	// One short: singular.
	e.observe("INJ", "IM", day, 1)
	wantMissing(t, readinessOf(t, e, "INJ", day), "1 more observed performance (intramuscular)")
}

// An unsuccessful attempt (a critical step missed) does not count.
func TestReadinessIgnoresUnsuccessfulAttempts(t *testing.T) {
	e := newEnv(t)
	day := d("2026-03-10")
	c := e.comp("SAF-EMERG")
	crit := slices.IndexFunc(c.Checklist, func(s curriculum.ChecklistStep) bool { return s.Critical })
	if crit < 0 {
		t.Fatal("SAF-EMERG has no critical step")
	}
	req := e.obsRequest("SAF-EMERG", "", day)
	req.Steps = e.steps("SAF-EMERG", crit)
	o, err := NewObservation(e.enr, nurse, req, nil, at(day))
	if err != nil {
		t.Fatal(err)
	}
	o.ID = "obs-failed"
	e.recs.Observations = append(e.recs.Observations, *o)
	e.observe("SAF-EMERG", "", day, 1)
	r := readinessOf(t, e, "SAF-EMERG", day)
	if r.Ready {
		t.Fatalf("one success and one failure of two required: %+v", r)
	}
	wantMissing(t, r, "1 more observed performance")
}

func TestReadinessReverificationWindow(t *testing.T) {
	e := newEnv(t)
	e.complete("SAF-INFECT", d("2026-02-02")) // Joint Commission: due in 36 months, offered 60 days ahead
	r := readinessOf(t, e, "SAF-INFECT", d("2026-02-02"))
	if r.Ready || r.Kind != curriculum.ReverificationSignOff || r.DueOn != d("2029-02-02") || r.OpensOn != d("2028-12-04") {
		t.Fatalf("right after signing: %+v", r)
	}
	wantMissing(t, r, "Re-verification not due until Feb 2, 2029")
	if len(r.Missing) != 1 {
		t.Errorf("before the window only the date is listed: %q", r.Missing)
	}

	// In the window, with nothing new since the sign-off.
	r = readinessOf(t, e, "SAF-INFECT", d("2028-12-10"))
	if r.Ready {
		t.Fatalf("in the window with no new performance: %+v", r)
	}
	wantMissing(t, r, "1 successful observed performance since the last sign-off on Feb 2, 2026")

	e.observe("SAF-INFECT", "", d("2028-12-09"), 1)
	e.testResult("SAF-INFECT", 90, d("2028-12-09"))
	r = readinessOf(t, e, "SAF-INFECT", d("2028-12-10"))
	if !r.Ready || r.Overdue {
		t.Fatalf("in the window with a new performance and test: %+v", r)
	}
	if r := readinessOf(t, e, "SAF-INFECT", d("2029-02-03")); !r.Ready || !r.Overdue {
		t.Fatalf("past the due date: %+v", r)
	}
	renewed := signerWith(nurse, curriculum.CredentialRecord{ID: "lic-rn-2", Type: "RN", IssuedOn: d("2027-06-01"), ExpiresOn: d("2030-06-30"), Verified: true})
	so, err := CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), renewed, e.recs, SignOffPolicy{}, at(d("2028-12-10")))
	if err != nil {
		t.Fatal(err)
	}
	so.ID = "so-reverified"
	e.recs.SignOffs = append(e.recs.SignOffs, *so)
	if r := readinessOf(t, e, "SAF-INFECT", d("2028-12-10")); r.Ready || r.DueOn != d("2031-12-10") {
		t.Fatalf("right after re-verifying: %+v", r)
	}
}

// A competency without a schedule has nothing more to sign once signed off.
func TestReadinessNothingAfterFinalSignOff(t *testing.T) {
	e := newEnv(t)
	e.complete("SAF-INFECT", d("2026-02-02"))
	for _, r := range ReadinessOf(e.recs, at(d("2026-02-03"))) {
		if r.Code == "SAF-INFECT" && (r.Kind != curriculum.ReverificationSignOff || r.Ready) {
			t.Fatalf("SAF-INFECT: %+v", r)
		}
	}
}

// Ready means the sign-off goes through: whenever the readiness says a
// competency may be signed, CheckSignOff by an authorised signer accepts
// it (coverage chosen in full); and an initial sign-off it calls not ready
// is refused.
func TestReadinessAgreesWithCheckSignOff(t *testing.T) {
	e := readyForINJ(t)
	e.observe("PHL-VENI", "", d("2026-03-04"), 10)
	e.observe("VS-VITALS", "", d("2026-03-04"), 3) // 2 short
	e.testResult("PHL-VENI", 60, d("2026-03-04"))  // below the pass mark
	signer := signerWith(nurse, curriculum.CredentialRecord{ID: "lic-rn-9", Type: "RN", IssuedOn: d("2024-06-01"), ExpiresOn: d("2030-06-30"), Verified: true})
	e.observe("SAF-INFECT", "", d("2028-12-01"), 1)
	for _, day := range []curriculum.Date{d("2026-03-10"), d("2028-12-20")} {
		ready := 0
		for _, r := range ReadinessOf(e.recs, at(day)) {
			if r.Kind == "" {
				continue
			}
			c := e.comp(r.Code)
			if !c.MaySignOff(nurse.ID, nurseSigner.creds()...) {
				continue
			}
			req := e.signReq(r.Code, r.Kind)
			if c.Coverage != nil {
				for _, it := range c.Coverage.Items {
					req.Covered = append(req.Covered, it.Code)
				}
			}
			_, err := CheckSignOff(req, signer, e.recs, SignOffPolicy{}, at(day))
			if r.Ready {
				ready++
				if err != nil {
					t.Errorf("%s on %s: ready, but signing fails: %v", r.Code, day, err)
				}
			} else if r.Kind == curriculum.InitialSignOff && err == nil {
				t.Errorf("%s on %s: not ready (%q), but signing succeeds", r.Code, day, r.Missing)
			}
		}
		if ready == 0 {
			t.Fatalf("nothing ready on %s", day)
		}
	}
}

func TestReadinessOnHoldEnrollment(t *testing.T) {
	e := readyForINJ(t)
	e.enr.Status = EnrollmentOnHold
	r := readinessOf(t, e, "INJ", d("2026-03-10"))
	if r.Ready {
		t.Fatalf("on hold: %+v", r)
	}
	wantMissing(t, r, "on hold")
}

// The records a page lists under a competency as counted are the ones its
// counts are made of: verified self-logs included, unsuccessful and
// corrected attempts and pending self-logs not.
func TestProgressCountedAgreesWithCounts(t *testing.T) {
	e := newEnv(t)
	day := d("2026-03-10")
	obs := e.observe("PHL-VENI", "", day, 9)
	fix := e.obsRequest("PHL-VENI", "", day)
	fix.Supersedes, fix.CorrectionReason = obs[0].ID, "wrong date"
	fix.Steps = e.steps("PHL-VENI", slices.IndexFunc(e.comp("PHL-VENI").Checklist, func(s curriculum.ChecklistStep) bool { return s.Critical }))
	o, err := NewObservation(e.enr, nurse, fix, e.recs.Observations, at(day))
	if err != nil {
		t.Fatal(err)
	}
	o.ID = "obs-fix"
	e.recs.Observations = append(e.recs.Observations, *o)
	e.recs.SelfLogs = append(e.recs.SelfLogs,
		SelfLog{ID: "log-ok", ApprenticeID: apprentice.ID, Competency: "PHL-VENI", PerformedOn: day, Status: SelfLogVerified, ReviewedAt: at(day)},
		SelfLog{ID: "log-pending", ApprenticeID: apprentice.ID, Competency: "PHL-VENI", PerformedOn: day, Status: SelfLogPending})
	for _, cp := range Summarize(e.recs, at(day)).Competencies {
		n := 0
		for _, v := range cp.Variants {
			n += v.Successful
		}
		if n != len(cp.Counted) {
			t.Errorf("%s: counts say %d, list holds %d", cp.Code, n, len(cp.Counted))
		}
		if cp.Code == "PHL-VENI" {
			if n != 9 || !slices.Contains(cp.Counted, "log-ok") || slices.Contains(cp.Counted, obs[0].ID) || slices.Contains(cp.Counted, "obs-fix") {
				t.Errorf("venipuncture counted %d: %v", n, cp.Counted)
			}
		}
	}
}
