package assessments

import (
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// goldenSignOff is a fixed sign-off whose canonical form and hash must never
// change: stored signatures are verified against them for years.
func goldenSignOff() *SignOff {
	return &SignOff{
		ID:           "so-ignored-by-hash",
		EnrollmentID: "0192f3a4-0000-7000-8000-000000000001",
		ApprenticeID: "0192f3a4-0000-7000-8000-000000000002",
		VersionID:    "0192f3a4-0000-7000-8000-000000000003",
		Competency:   "LAB-WAIVED",
		Kind:         curriculum.InitialSignOff,
		SignedOn:     curriculum.MustParseDate("2026-03-14"),
		Covered:      []string{"WRITTEN-TEST", "BLIND-SPECIMEN"},
		Signature: Signature{
			SignerID:         "0192f3a4-0000-7000-8000-000000000004",
			PrintedName:      "Rita Nguyen, RN",
			Credential:       curriculum.RN,
			SignedAt:         time.Date(2026, 3, 14, 13, 30, 5, 123456789, time.UTC),
			TimeZone:         "America/New_York",
			Meaning:          "I attest that Ana Álvarez demonstrated competency in CLIA-waived point-of-care testing with QC and logs per checklist version 2",
			PerformanceIDs:   []string{"0192f3a4-0000-7000-8000-00000000000b", "0192f3a4-0000-7000-8000-00000000000a"},
			TestResultID:     "0192f3a4-0000-7000-8000-00000000000c",
			ChecklistVersion: 2,
		},
		IdempotencyKey: "ignored-by-hash",
	}
}

const goldenCanonical = `skillgate-signature/1
enrollment_id=36:0192f3a4-0000-7000-8000-000000000001
apprentice_id=36:0192f3a4-0000-7000-8000-000000000002
version_id=36:0192f3a4-0000-7000-8000-000000000003
competency=10:LAB-WAIVED
kind=7:initial
signed_on=10:2026-03-14
covered=27:BLIND-SPECIMEN,WRITTEN-TEST
signer_id=36:0192f3a4-0000-7000-8000-000000000004
printed_name=15:Rita Nguyen, RN
credential=2:RN
signed_at=27:2026-03-14T13:30:05.123456Z
time_zone=16:America/New_York
meaning=128:I attest that Ana Álvarez demonstrated competency in CLIA-waived point-of-care testing with QC and logs per checklist version 2
checklist_version=1:2
performances=73:0192f3a4-0000-7000-8000-00000000000a,0192f3a4-0000-7000-8000-00000000000b
knowledge_test=36:0192f3a4-0000-7000-8000-00000000000c
`

const goldenHash = "9e1fd810479c2edaa4b193a270f6a3d41198ebb6819fe9bbba7cadf711bfbc3b"

func TestSignatureGolden(t *testing.T) {
	so := goldenSignOff()
	if got := string(CanonicalSignature(so)); got != goldenCanonical {
		t.Errorf("canonical form changed:\n%s\nwant:\n%s", got, goldenCanonical)
	}
	if got := SignatureHash(so); got != goldenHash {
		t.Errorf("SignatureHash = %s, want %s", got, goldenHash)
	}
	// Fields outside the content, and list order, do not matter.
	so.ID, so.IdempotencyKey = "other", "other-key"
	so.Covered = []string{"BLIND-SPECIMEN", "WRITTEN-TEST"}
	so.Signature.PerformanceIDs = []string{so.Signature.PerformanceIDs[1], so.Signature.PerformanceIDs[0]}
	so.Signature.SignedAt = so.Signature.SignedAt.In(time.FixedZone("EDT", -4*3600))
	if got := SignatureHash(so); got != goldenHash {
		t.Errorf("hash depends on id, key, list order or zone: %s", got)
	}
}

func TestSignatureHashDetectsChanges(t *testing.T) {
	base := SignatureHash(goldenSignOff())
	changes := map[string]func(*SignOff){
		"apprentice":        func(s *SignOff) { s.ApprenticeID = "0192f3a4-0000-7000-8000-000000000009" },
		"enrollment":        func(s *SignOff) { s.EnrollmentID += "x" },
		"competency":        func(s *SignOff) { s.Competency = "LAB-SPEC" },
		"kind":              func(s *SignOff) { s.Kind = curriculum.ReverificationSignOff },
		"signed on":         func(s *SignOff) { s.SignedOn = s.SignedOn.AddDays(1) },
		"covered":           func(s *SignOff) { s.Covered = s.Covered[:1] },
		"signer":            func(s *SignOff) { s.Signature.SignerID = "someone-else" },
		"printed name":      func(s *SignOff) { s.Signature.PrintedName = "Rita Nguyen" },
		"credential":        func(s *SignOff) { s.Signature.Credential = curriculum.LPN },
		"time":              func(s *SignOff) { s.Signature.SignedAt = s.Signature.SignedAt.Add(time.Microsecond) },
		"zone":              func(s *SignOff) { s.Signature.TimeZone = "America/Chicago" },
		"meaning":           func(s *SignOff) { s.Signature.Meaning = strings.Replace(s.Signature.Meaning, "Ana", "Ann", 1) },
		"checklist version": func(s *SignOff) { s.Signature.ChecklistVersion = 3 },
		"evidence moved":    func(s *SignOff) { s.Signature.PerformanceIDs[0] = "0192f3a4-0000-7000-8000-00000000000d" },
		"evidence added":    func(s *SignOff) { s.Signature.PerformanceIDs = append(s.Signature.PerformanceIDs, "x") },
		"test":              func(s *SignOff) { s.Signature.TestResultID = "" },
		// Length prefixes keep field boundaries: moving text between
		// adjacent fields changes the hash.
		"boundary": func(s *SignOff) {
			s.Signature.SignerID += "\nprinted_name=15:Rita Nguyen, RN"
			s.Signature.PrintedName = ""
		},
	}
	for name, change := range changes {
		so := goldenSignOff()
		change(so)
		if SignatureHash(so) == base {
			t.Errorf("%s: hash unchanged", name)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	e := readyForINJ(t)
	so, err := CheckSignOff(e.signReq("INJ", curriculum.InitialSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-10")))
	if err != nil {
		t.Fatal(err)
	}
	// What storage would load back through the sign-off's evidence links.
	linked := func() SignedEvidence {
		var ev SignedEvidence
		for _, o := range e.recs.Observations {
			for _, id := range so.Signature.PerformanceIDs {
				if o.ID == id {
					ev.Observations = append(ev.Observations, o)
				}
			}
		}
		for _, r := range e.recs.Tests {
			if r.ID == so.Signature.TestResultID {
				ev.Test = &r
			}
		}
		return ev
	}
	wantErr(t, VerifySignature(so, linked()), nil)

	otherVenipuncture := e.observe("PHL-VENI", "", d("2026-03-02"), 1)[0]
	otherIM := e.observe("INJ", "IM", d("2026-03-09"), 1)[0]
	tests := map[string]func(*SignOff, *SignedEvidence){
		"evidence moved to another performance": func(_ *SignOff, ev *SignedEvidence) { ev.Observations[0] = *otherIM },
		"evidence of another competency": func(_ *SignOff, ev *SignedEvidence) {
			ev.Observations[0] = *otherVenipuncture
		},
		"evidence removed":    func(_ *SignOff, ev *SignedEvidence) { ev.Observations = ev.Observations[1:] },
		"evidence added":      func(_ *SignOff, ev *SignedEvidence) { ev.Observations = append(ev.Observations, *otherIM) },
		"test unlinked":       func(_ *SignOff, ev *SignedEvidence) { ev.Test = nil },
		"meaning changed":     func(s *SignOff, _ *SignedEvidence) { s.Signature.Meaning += "." },
		"time changed":        func(s *SignOff, _ *SignedEvidence) { s.Signature.SignedAt = s.Signature.SignedAt.Add(-time.Hour) },
		"moved to apprentice": func(s *SignOff, _ *SignedEvidence) { s.ApprenticeID = "app-2" },
		"signer changed":      func(s *SignOff, _ *SignedEvidence) { s.Signature.SignerID = physician.ID },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			s := *so
			s.Signature.PerformanceIDs = append([]string(nil), so.Signature.PerformanceIDs...)
			ev := linked()
			change(&s, &ev)
			wantErr(t, VerifySignature(&s, ev), ErrSignatureMismatch)
		})
	}
}
