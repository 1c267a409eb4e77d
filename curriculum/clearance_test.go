package curriculum

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

var d = MustParseDate

// testVersion is a small program exercising every rule kind.
func testVersion() *Version {
	clinical := Authorization{Credentials: []ProfessionalCredential{MD, DO, NP, PA, RN, LPN}}
	steps := func() []ChecklistStep {
		return []ChecklistStep{{Text: "Verify identity with two identifiers", Critical: true}, {Text: "Explain the procedure"}}
	}
	return &Version{Number: 1, Status: Draft, Program: Program{
		Code: "TEST", Title: "Test program", Type: CompetencyBased,
		CredentialTypes: []CredentialType{
			{Code: "BLS", Name: "Basic Life Support", ValidityMonths: 24, ValidThroughEndOfMonth: true},
			{Code: "CMA", Name: "Certified Medical Assistant", ValidityMonths: 60},
		},
		Competencies: []Competency{
			{Code: "SAF-BBP", Title: "Bloodborne pathogens", Domain: Safety, SignedOffBy: clinical,
				KnowledgeTest:  &KnowledgeTest{PassMark: 80},
				Reverification: Reverification{Kind: EveryMonths, Months: 12, DueWindowDays: 30}},
			{Code: "PHL-VENI", Title: "Venipuncture", Domain: Clinical, Checklist: steps(), ChecklistVersion: 1,
				Performances: []PerformanceRequirement{{Count: 10}}, ObservedBy: clinical, SignedOffBy: clinical,
				Prerequisites: []string{"SAF-BBP"}, Recency: &Recency{Months: 3}, KnowledgeTest: &KnowledgeTest{PassMark: 80},
				Reverification: Reverification{Kind: JointCommission, DueWindowDays: 60}},
			{Code: "INJ", Title: "Injections", Domain: Clinical, Checklist: steps(), ChecklistVersion: 1,
				Performances: []PerformanceRequirement{{Variant: "IM", Count: 10}, {Variant: "SUBQ", Count: 10}, {Variant: "ID", Count: 10}},
				ObservedBy:   clinical, SignedOffBy: clinical},
			{Code: "MED-REFILL", Title: "Prescription refills", Domain: Administrative, Checklist: steps(), ChecklistVersion: 1,
				Performances: []PerformanceRequirement{{Count: 1}}, ObservedBy: clinical, SignedOffBy: clinical,
				Reverification: Reverification{Kind: EveryMonths, Months: 12, DueWindowDays: 30}},
			{Code: "LAB-CLIA", Title: "Moderate-complexity testing", Domain: Laboratory, SignedOffBy: clinical,
				Reverification: Reverification{Kind: CLIA, DueWindowDays: 30},
				Coverage:       &Coverage{Mode: CoverAll, Items: CLIAElements}},
			{Code: "LAB-WAIVED", Title: "Waived testing", Domain: Laboratory, SignedOffBy: clinical,
				Reverification: Reverification{Kind: EveryMonths, Months: 12},
				Coverage:       &Coverage{Mode: CoverAny, Min: 2, Items: WaivedTestingMethods}},
		},
		Tasks: []Task{
			{Code: "VENI", Title: "Venipuncture", Category: Clinical, Competencies: []string{"PHL-VENI"},
				Credentials: []CredentialRequirement{{Credential: "BLS", WithinDaysOfHire: 90}}},
			{Code: "INJECT", Title: "Injections", Category: Clinical, Competencies: []string{"INJ"},
				Credentials: []CredentialRequirement{{Credential: "BLS"}}},
			{Code: "REFILL", Title: "Pend refills", Category: Clinical, Competencies: []string{"MED-REFILL"}, DirectSupervision: DirectNever},
			{Code: "CLIA", Title: "Analyser testing", Category: Laboratory, Competencies: []string{"LAB-CLIA"}},
			{Code: "WAIVED", Title: "Waived tests", Category: Laboratory, Competencies: []string{"LAB-WAIVED"}},
			{Code: "VENI-KT", Title: "Venipuncture (theory first)", Category: Clinical, Competencies: []string{"PHL-VENI"},
				DirectSupervision: DirectAfterKnowledgeTest},
			{Code: "VENI-PRE", Title: "Venipuncture (prerequisites only)", Category: Clinical, Competencies: []string{"PHL-VENI"},
				DirectSupervision: DirectAfterPrerequisites},
		},
	}}
}

func mustCompile(t testing.TB, v *Version) *Rules {
	t.Helper()
	r, err := Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// evidence builders, to keep the tables readable.

func perfs(comp, variant, from string, n int, ok bool) []Performance {
	out := make([]Performance, n)
	for i := range out {
		out[i] = Performance{ID: comp + variant + from + string(rune('a'+i)), Competency: comp, Variant: variant,
			PerformedOn: d(from).AddDays(i), Successful: ok}
	}
	return out
}

func initial(comp, on string, covered ...string) SignOff {
	return SignOff{ID: comp + "-" + on, Competency: comp, Kind: InitialSignOff, SignedOn: d(on), Covered: covered}
}

func reverif(comp, on string, covered ...string) SignOff {
	so := initial(comp, on, covered...)
	so.Kind = ReverificationSignOff
	return so
}

func bls(issued, expires string) CredentialRecord {
	return CredentialRecord{ID: "bls-" + issued, Type: "BLS", IssuedOn: d(issued), ExpiresOn: d(expires), Verified: true}
}

func codesOf(ds Decision) []string {
	var out []string
	for i := range ds.Reasons {
		out = append(out, ds.Reasons[i].Code.String())
	}
	return out
}

// bbpCurrent is a current bloodborne-pathogens prerequisite.
func bbpCurrent(signed string) Evidence {
	return Evidence{
		KnowledgeTests: []KnowledgeResult{{Competency: "SAF-BBP", Score: 90, TakenOn: d(signed)}},
		SignOffs:       []SignOff{initial("SAF-BBP", signed)},
	}
}

// veniReady is evidence making VENI cleared from 2026-03-01 (hired
// 2026-01-05, BLS valid through 2027-10-31, last draw 2026-02-28).
func veniReady() Evidence {
	e := bbpCurrent("2026-01-10")
	e.PersonID = "ma-1"
	e.HireDate = d("2026-01-05")
	e.Credentials = []CredentialRecord{bls("2025-10-02", "2027-10-02")}
	e.Performances = perfs("PHL-VENI", "", "2026-02-19", 10, true)
	e.KnowledgeTests = append(e.KnowledgeTests, KnowledgeResult{Competency: "PHL-VENI", Score: 85, TakenOn: d("2026-02-01")})
	e.SignOffs = append(e.SignOffs, initial("PHL-VENI", "2026-03-01"))
	return e
}

// renewBBP re-verifies the bloodborne-pathogens prerequisite on day, so
// that tests far in the future are not about it.
func renewBBP(e *Evidence, day string) {
	e.SignOffs = append(e.SignOffs, reverif("SAF-BBP", day))
}

func with(e Evidence, f func(*Evidence)) Evidence {
	e.Credentials = slices.Clone(e.Credentials)
	e.Performances = slices.Clone(e.Performances)
	e.KnowledgeTests = slices.Clone(e.KnowledgeTests)
	e.SignOffs = slices.Clone(e.SignOffs)
	e.Hours = slices.Clone(e.Hours)
	f(&e)
	return e
}

func TestEvaluate(t *testing.T) {
	rules := mustCompile(t, testVersion())
	allSix := []string{"DIRECT-OBSERVATION", "RESULT-REPORTING", "RECORDS-REVIEW", "INSTRUMENT-CHECKS", "BLIND-SAMPLES", "PROBLEM-SOLVING"}
	tests := []struct {
		name     string
		task     string
		e        Evidence
		asOf     string
		want     Status
		codes    []string // exactly these reason codes, in order
		message  string   // a reason message that must appear
		step     string   // a next step that must appear
		lapsesOn string
		// knownBy: evaluate only the records entered by the end of this
		// day (what app/clearance gives for known_at).
		knownBy string
	}{
		{
			name: "cleared venipuncture", task: "VENI", e: veniReady(), asOf: "2026-03-14",
			want: Cleared, codes: nil,
			// Recency: last draw 2026-02-28 + 3 months = 2026-05-28, lapses the day after.
			lapsesOn: "2026-05-29",
		},
		{
			name: "nothing on file: not cleared, in BLS grace", task: "VENI",
			e: Evidence{HireDate: d("2026-10-22")}, asOf: "2026-11-01", want: NotCleared,
			codes:   []string{"credential_in_grace", "prerequisite_not_current", "count_short", "knowledge_test_missing", "signoff_missing", "training_not_started"},
			message: "BLS missing, within grace until 2027-01-20",
			step:    "Get prerequisite Bloodborne pathogens signed off and current first",
		},
		// BLS grace: hired 2026-10-22; day 90 is 2027-01-20 (still in grace), day 91 is not.
		{
			name: "grace day 89 in grace", task: "VENI", asOf: "2027-01-19", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.HireDate = d("2026-10-22")
				e.Credentials = nil
				e.Performances = perfs("PHL-VENI", "", "2027-01-01", 10, true)
				renewBBP(e, "2026-12-01")
			}),
			codes: []string{"credential_in_grace"}, message: "BLS missing, within grace until 2027-01-20", lapsesOn: "2027-01-21",
		},
		{
			name: "grace day 90 still in grace", task: "VENI", asOf: "2027-01-20", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.HireDate = d("2026-10-22")
				e.Credentials = nil
				e.Performances = perfs("PHL-VENI", "", "2027-01-01", 10, true)
				renewBBP(e, "2026-12-01")
			}),
			codes: []string{"credential_in_grace"}, message: "BLS missing, within grace until 2027-01-20", lapsesOn: "2027-01-21",
		},
		{
			name: "grace day 91 missing", task: "VENI", asOf: "2027-01-21", want: NotCleared,
			e: with(veniReady(), func(e *Evidence) {
				e.HireDate = d("2026-10-22")
				e.Credentials = nil
				e.Performances = perfs("PHL-VENI", "", "2027-01-01", 10, true)
				renewBBP(e, "2026-12-01")
			}),
			codes: []string{"credential_missing"}, message: "BLS missing (the grace period after hire ended 2027-01-20)",
			step: "Obtain BLS and have HR record and verify it",
		},
		// Expiry: a card printed 2026-10 is valid through 2026-10-31.
		{
			name: "BLS expiry day still valid (end of month)", task: "VENI", asOf: "2026-10-31", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.Credentials = []CredentialRecord{bls("2024-10-09", "2026-10-01")}
				e.Performances = perfs("PHL-VENI", "", "2026-10-01", 10, true)
			}),
			codes: []string{"credential_expiring"}, message: "BLS expires 2026-10-31 (today)", lapsesOn: "2026-11-01",
		},
		{
			name: "BLS day after expiry", task: "VENI", asOf: "2026-11-01", want: NotCleared,
			e: with(veniReady(), func(e *Evidence) {
				e.Credentials = []CredentialRecord{bls("2024-10-09", "2026-10-01")}
				e.Performances = perfs("PHL-VENI", "", "2026-10-01", 10, true)
			}),
			codes: []string{"credential_expired"}, message: "BLS expired 2026-10-31",
			step: "Renew BLS and have HR record and verify the new card",
		},
		{
			name: "BLS renewal: newest valid record wins", task: "VENI", asOf: "2026-11-01", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.Credentials = []CredentialRecord{bls("2024-10-09", "2026-10-01"), bls("2026-10-20", "2028-10-01")}
				e.Performances = perfs("PHL-VENI", "", "2026-10-01", 10, true)
			}),
			// Recency (last draw 2026-10-10) and the yearly BBP re-verification
			// (due 2027-01-10) both end on 2027-01-10; the new card runs to 2028-10-31.
			codes: nil, lapsesOn: "2027-01-11",
		},
		{
			name: "unverified BLS does not count", task: "INJECT", asOf: "2026-03-14", want: NotCleared,
			e:     Evidence{Credentials: []CredentialRecord{{Type: "BLS", IssuedOn: d("2026-01-01")}}},
			codes: []string{"credential_unverified", "count_short", "count_short", "count_short", "signoff_missing", "training_not_started"},
			step:  "Have HR verify the BLS record",
		},
		// Evidence recorded after the as-of day is ignored.
		{
			name: "sign-off recorded after as-of, known then: not yet", task: "VENI", asOf: "2026-03-14", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RecordedOn = d("2026-03-15")
			}),
			knownBy: "2026-03-14",
			codes:   []string{"signoff_missing"}, step: "Get Venipuncture signed off by an MD, DO, NP, PA, RN or LPN",
		},
		{
			name: "sign-off recorded after as-of, known now: counted, said so", task: "VENI", asOf: "2026-03-14", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RecordedOn = d("2026-03-15")
			}),
			codes: []string{"late_entry"}, message: "Counted from a record entered on 2026-03-15, after this day (before it was entered the answer was: Direct supervision only)",
		},
		{
			name: "performances recorded after as-of, known then: not yet", task: "VENI", asOf: "2026-03-14", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				for i := 6; i < 10; i++ {
					e.Performances[i].RecordedOn = d("2026-03-20")
				}
			}),
			knownBy: "2026-03-14",
			codes:   []string{"count_short"}, message: "Venipuncture: 6 of 10 observed performances",
			step: "Complete 4 more successful observed performances of Venipuncture",
		},
		{
			// Entered on two days: the answer changed with the second.
			name: "performances recorded after as-of, known now: dated by the entry that changed it", task: "VENI", asOf: "2026-03-14", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				for i := 6; i < 10; i++ {
					e.Performances[i].RecordedOn = d("2026-03-18")
				}
				e.Performances[9].RecordedOn = d("2026-03-20")
			}),
			codes: []string{"late_entry"}, message: "Counted from a record entered on 2026-03-20",
		},
		// Revocation counts from its effective day, once recorded.
		{
			name: "revocation before its effective day", task: "VENI", asOf: "2026-03-14", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RevokedFrom, e.SignOffs[1].RevocationRecordedOn = d("2026-03-20"), d("2026-03-12")
			}),
			codes: nil, lapsesOn: "2026-03-20",
		},
		{
			name: "revocation on its effective day", task: "VENI", asOf: "2026-03-20", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RevokedFrom, e.SignOffs[1].RevocationRecordedOn = d("2026-03-20"), d("2026-03-12")
			}),
			codes: []string{"signoff_revoked"}, message: "Venipuncture: sign-off revoked from 2026-03-20",
		},
		{
			name: "back-dated revocation not yet recorded", task: "VENI", asOf: "2026-03-14", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RevokedFrom, e.SignOffs[1].RevocationRecordedOn = d("2026-03-05"), d("2026-03-16")
			}),
			knownBy: "2026-03-14",
			codes:   nil, lapsesOn: "2026-05-29",
		},
		{
			name: "back-dated revocation, known now", task: "VENI", asOf: "2026-03-14", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RevokedFrom, e.SignOffs[1].RevocationRecordedOn = d("2026-03-05"), d("2026-03-16")
			}),
			codes: []string{"signoff_revoked", "late_entry"}, message: "Changed by a record entered on 2026-03-16",
		},
		{
			name: "back-dated revocation once recorded", task: "VENI", asOf: "2026-03-16", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs[1].RevokedFrom, e.SignOffs[1].RevocationRecordedOn = d("2026-03-05"), d("2026-03-16")
			}),
			codes: []string{"signoff_revoked"},
		},
		// Superseded performances: a correction turns a success into a failure.
		{
			name: "superseded performance before correction recorded", task: "VENI", asOf: "2026-03-14", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = append(e.Performances, Performance{ID: "fix", Competency: "PHL-VENI", Supersedes: e.Performances[0].ID,
					PerformedOn: e.Performances[0].PerformedOn, RecordedOn: d("2026-03-15")})
			}),
			knownBy:  "2026-03-14",
			lapsesOn: "2026-05-29",
		},
		{
			name: "superseded performance after correction recorded", task: "VENI", asOf: "2026-03-15", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = append(e.Performances, Performance{ID: "fix", Competency: "PHL-VENI", Supersedes: e.Performances[0].ID,
					PerformedOn: e.Performances[0].PerformedOn, RecordedOn: d("2026-03-15")})
			}),
			codes: []string{"count_short"}, message: "Venipuncture: 9 of 10 observed performances",
		},
		// Variants are counted separately.
		{
			name: "9 of 10 IM but 10 SUBQ and ID", task: "INJECT", asOf: "2026-03-14", want: DirectSupervision,
			e: Evidence{
				Credentials:  []CredentialRecord{bls("2025-06-01", "2027-06-01")},
				Performances: slices.Concat(perfs("INJ", "IM", "2026-02-01", 9, true), perfs("INJ", "IM", "2026-02-11", 3, false), perfs("INJ", "SUBQ", "2026-02-01", 10, true), perfs("INJ", "ID", "2026-02-01", 10, true)),
				SignOffs:     []SignOff{initial("INJ", "2026-03-01")},
			},
			codes: []string{"count_short"}, message: "Injections (IM): 9 of 10 observed performances",
			step: "Complete 1 more successful observed performance of Injections (IM)",
		},
		{
			name: "all variants complete", task: "INJECT", asOf: "2026-03-14", want: Cleared,
			e: Evidence{
				Credentials:  []CredentialRecord{bls("2025-06-01", "2027-06-01")},
				Performances: slices.Concat(perfs("INJ", "IM", "2026-02-01", 10, true), perfs("INJ", "SUBQ", "2026-02-01", 10, true), perfs("INJ", "ID", "2026-02-01", 10, true)),
				SignOffs:     []SignOff{initial("INJ", "2026-03-01")},
			},
			codes: nil, lapsesOn: "2027-07-01", // BLS card of 2027-06 is valid through 2027-06-30
		},
		// Prerequisites.
		{
			name: "prerequisite not current blocks supervision", task: "VENI", asOf: "2026-03-14", want: NotCleared,
			e: with(veniReady(), func(e *Evidence) {
				e.SignOffs = e.SignOffs[1:]
			}),
			codes: []string{"prerequisite_not_current"}, message: "Prerequisite Bloodborne pathogens is not signed off and current",
		},
		// Knowledge test: below and at the pass mark.
		{
			name: "knowledge test below pass mark", task: "VENI", asOf: "2026-03-14", want: NotCleared,
			e: with(veniReady(), func(e *Evidence) {
				e.KnowledgeTests[0].Score = 79.5
			}),
			codes: []string{"prerequisite_not_current"},
		},
		{
			name: "knowledge test at pass mark", task: "VENI", asOf: "2026-03-14", want: Cleared,
			e: with(veniReady(), func(e *Evidence) {
				e.KnowledgeTests[0].Score = 80
			}),
			lapsesOn: "2026-05-29",
		},
		{
			name: "knowledge-test rule: theory missing blocks supervision", task: "VENI-KT", asOf: "2026-03-14", want: NotCleared,
			e: with(veniReady(), func(e *Evidence) {
				e.KnowledgeTests = e.KnowledgeTests[:1]
				e.SignOffs = e.SignOffs[:1]
			}),
			codes: []string{"knowledge_test_missing", "signoff_missing"},
			step:  "Pass the Venipuncture knowledge test (80% or more)",
		},
		{
			name: "knowledge-test rule: theory passed allows supervision before any performance", task: "VENI-KT", asOf: "2026-03-14", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = nil
				e.SignOffs = e.SignOffs[:1]
			}),
			codes: []string{"count_short", "signoff_missing"},
		},
		{
			name: "training-started rule: theory alone is not enough", task: "VENI", asOf: "2026-03-14", want: NotCleared,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = nil
				e.SignOffs = e.SignOffs[:1]
			}),
			codes: []string{"count_short", "signoff_missing", "training_not_started"},
			step:  "Start training in Venipuncture: perform it once under observation",
		},
		{
			name: "prerequisites rule: supervised before theory or practice", task: "VENI-PRE", asOf: "2026-03-14", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = nil
				e.KnowledgeTests = e.KnowledgeTests[:1]
				e.SignOffs = e.SignOffs[:1]
			}),
			codes: []string{"count_short", "knowledge_test_missing", "signoff_missing"},
		},
		// Re-verification.
		{
			name: "refill re-verification due soon", task: "REFILL", asOf: "2027-02-20", want: Cleared,
			e:     Evidence{Performances: perfs("MED-REFILL", "", "2026-02-20", 1, true), SignOffs: []SignOff{initial("MED-REFILL", "2026-03-01")}},
			codes: []string{"reverification_due_soon"}, message: "Prescription refills: re-verification due 2027-03-01 (in 9 days)", lapsesOn: "2027-03-02",
		},
		{
			name: "refill re-verification due day", task: "REFILL", asOf: "2027-03-01", want: Cleared,
			e:     Evidence{Performances: perfs("MED-REFILL", "", "2026-02-20", 1, true), SignOffs: []SignOff{initial("MED-REFILL", "2026-03-01")}},
			codes: []string{"reverification_due_soon"}, lapsesOn: "2027-03-02",
		},
		{
			name: "refill re-verification overdue, no supervised level", task: "REFILL", asOf: "2027-03-02", want: NotCleared,
			e:     Evidence{Performances: perfs("MED-REFILL", "", "2026-02-20", 1, true), SignOffs: []SignOff{initial("MED-REFILL", "2026-03-01")}},
			codes: []string{"reverification_overdue"}, message: "Prescription refills: re-verification was due 2027-03-01, overdue",
			step: "Complete the Prescription refills re-verification with an MD, DO, NP, PA, RN or LPN",
		},
		{
			name: "refill renewed", task: "REFILL", asOf: "2027-03-10", want: Cleared,
			e: Evidence{Performances: perfs("MED-REFILL", "", "2026-02-20", 1, true),
				SignOffs: []SignOff{initial("MED-REFILL", "2026-03-01"), reverif("MED-REFILL", "2027-02-25")}},
			lapsesOn: "2028-02-26",
		},
		// CLIA: first due 6 months after initial, then 12 months after each re-verification.
		{
			name: "CLIA first due 6 months after initial", task: "CLIA", asOf: "2026-08-10", want: Cleared,
			e:     Evidence{SignOffs: []SignOff{initial("LAB-CLIA", "2026-02-28", allSix...)}},
			codes: []string{"reverification_due_soon"}, message: "re-verification due 2026-08-28 (in 18 days)", lapsesOn: "2026-08-29",
		},
		{
			name: "CLIA overdue the day after", task: "CLIA", asOf: "2026-08-29", want: DirectSupervision,
			e:     Evidence{SignOffs: []SignOff{initial("LAB-CLIA", "2026-02-28", allSix...)}},
			codes: []string{"reverification_overdue"},
		},
		{
			name: "CLIA renewed then 12 months", task: "CLIA", asOf: "2027-08-01", want: Cleared,
			e:     Evidence{SignOffs: []SignOff{initial("LAB-CLIA", "2026-02-28", allSix...), reverif("LAB-CLIA", "2026-08-20", allSix...)}},
			codes: []string{"reverification_due_soon"}, message: "re-verification due 2027-08-20 (in 19 days)", lapsesOn: "2027-08-21",
		},
		{
			name: "CLIA sign-off covering 5 of 6 elements does not count", task: "CLIA", asOf: "2026-03-14", want: DirectSupervision,
			e:     Evidence{SignOffs: []SignOff{initial("LAB-CLIA", "2026-02-28", allSix[:5]...)}},
			codes: []string{"coverage_incomplete"}, message: "does not cover: assessment of problem-solving skills",
		},
		{
			name: "CLIA re-verification missing an element leaves it overdue", task: "CLIA", asOf: "2026-09-01", want: DirectSupervision,
			e:     Evidence{SignOffs: []SignOff{initial("LAB-CLIA", "2026-02-28", allSix...), reverif("LAB-CLIA", "2026-08-20", allSix[1:]...)}},
			codes: []string{"reverification_overdue", "coverage_incomplete"}, message: "re-verification was due 2026-08-28, overdue",
		},
		// Waived testing: any 2 of 4 methods.
		{
			name: "waived: 2 of 4 methods", task: "WAIVED", asOf: "2026-03-14", want: Cleared,
			e:        Evidence{SignOffs: []SignOff{initial("LAB-WAIVED", "2026-03-01", "BLIND-SPECIMEN", "WRITTEN-TEST")}},
			lapsesOn: "2027-03-02",
		},
		{
			name: "waived: 1 of 4 methods", task: "WAIVED", asOf: "2026-03-14", want: DirectSupervision,
			e:     Evidence{SignOffs: []SignOff{initial("LAB-WAIVED", "2026-03-01", "WRITTEN-TEST", "NOT-A-METHOD")}},
			codes: []string{"coverage_incomplete"}, message: "covers 1 of the 2 required assessment methods",
		},
		// Recency: last successful draw 2026-02-28 → current through 2026-05-28.
		{
			name: "recency just inside", task: "VENI", asOf: "2026-05-28", want: Cleared,
			e: veniReady(), lapsesOn: "2026-05-29",
		},
		{
			name: "recency just outside", task: "VENI", asOf: "2026-05-29", want: DirectSupervision,
			e:     veniReady(),
			codes: []string{"recency_lapsed"}, message: "Venipuncture: last successful performance 2026-02-28; it must be performed at least every 3 months",
			step: "Perform Venipuncture successfully under observation",
		},
		{
			name: "failed attempt does not renew recency", task: "VENI", asOf: "2026-05-29", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = append(e.Performances, perfs("PHL-VENI", "", "2026-05-01", 1, false)...)
			}),
			codes: []string{"recency_lapsed"},
		},
		// Direct supervision level.
		{
			name: "training started gives direct supervision", task: "VENI", asOf: "2026-03-14", want: DirectSupervision,
			e: with(veniReady(), func(e *Evidence) {
				e.Performances = perfs("PHL-VENI", "", "2026-03-01", 1, false)
				e.SignOffs = e.SignOffs[:1]
			}),
			codes: []string{"count_short", "signoff_missing"}, message: "Venipuncture: 0 of 10 observed performances",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &tt.e
			if tt.knownBy != "" {
				e = e.recordedBy(d(tt.knownBy))
			}
			got, err := rules.EvaluateTask(e, tt.task, d(tt.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want {
				t.Errorf("status = %s, want %s; reasons: %q", got.Status, tt.want, got.Messages())
			}
			if tt.codes != nil || tt.want == Cleared {
				if codes := codesOf(got); !slices.Equal(codes, tt.codes) {
					t.Errorf("reason codes = %q, want %q; messages %q", codes, tt.codes, got.Messages())
				}
			}
			if tt.message != "" && !slices.ContainsFunc(got.Messages(), func(m string) bool { return strings.Contains(m, tt.message) }) {
				t.Errorf("no reason contains %q; got %q", tt.message, got.Messages())
			}
			if tt.step != "" && !slices.Contains(got.NextSteps(), tt.step) {
				t.Errorf("next steps %q do not include %q", got.NextSteps(), tt.step)
			}
			if tt.lapsesOn != "" && got.LapsesOn.String() != tt.lapsesOn {
				t.Errorf("lapses on %s, want %s", got.LapsesOn, tt.lapsesOn)
			}
		})
	}
}

func TestCredentialStatus(t *testing.T) {
	rules := mustCompile(t, testVersion())
	blsReq := CredentialRequirement{Credential: "BLS", WithinDaysOfHire: 90}
	hire := d("2026-10-22")
	tests := []struct {
		name    string
		records []CredentialRecord
		req     CredentialRequirement
		asOf    string
		want    CredentialStatusKind
		within  int
		expires string
		grace   string
		record  string // ID of the record the status is based on
	}{
		{name: "valid, far from expiry", records: []CredentialRecord{bls("2026-01-15", "2028-01-15")}, asOf: "2026-11-01",
			want: CredentialValid, expires: "2028-01-31", record: "bls-2026-01-15"},
		{name: "91 days left is not expiring", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2026-11-01",
			want: CredentialValid, expires: "2027-01-31"},
		{name: "90 days left", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2026-11-02",
			want: CredentialExpiring, within: 90},
		{name: "60 days left", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2026-12-02",
			want: CredentialExpiring, within: 60},
		{name: "61 days left", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2026-12-01",
			want: CredentialExpiring, within: 90},
		{name: "30 days left", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2027-01-01",
			want: CredentialExpiring, within: 30},
		{name: "expiry day", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2027-01-31",
			want: CredentialExpiring, within: 30},
		{name: "day after expiry", records: []CredentialRecord{bls("2025-01-15", "2027-01-31")}, asOf: "2027-02-01",
			want: CredentialExpired, expires: "2027-01-31", record: "bls-2025-01-15"},
		{name: "validity from issue date, leap month end", records: []CredentialRecord{{ID: "x", Type: "BLS", IssuedOn: d("2026-02-03"), Verified: true}},
			asOf: "2028-02-29", want: CredentialExpiring, within: 30, expires: "2028-02-29"},
		{name: "validity from issue date, day after leap month end", records: []CredentialRecord{{ID: "x", Type: "BLS", IssuedOn: d("2026-02-03"), Verified: true}},
			asOf: "2028-03-01", want: CredentialExpired, expires: "2028-02-29"},
		{name: "renewal wins over the old card", records: []CredentialRecord{bls("2024-11-01", "2026-11-01"), bls("2026-10-15", "2028-10-15")},
			asOf: "2026-11-02", want: CredentialValid, expires: "2028-10-31", record: "bls-2026-10-15"},
		// Entered late, the renewal counts from its issue day once given;
		// verified only on 5 December, it is not verified on the 1st.
		{name: "renewal recorded and verified after as-of", records: []CredentialRecord{bls("2024-11-01", "2026-11-01"),
			{ID: "new", Type: "BLS", IssuedOn: d("2026-10-15"), ExpiresOn: d("2028-10-15"), Verified: true, VerifiedOn: d("2026-12-05"), RecordedOn: d("2026-12-05")}},
			req: CredentialRequirement{Credential: "BLS"}, asOf: "2026-12-01", want: CredentialUnverified, record: "new"},
		{name: "missing, grace day 0", req: blsReq, asOf: "2026-10-22", want: CredentialMissingInGrace, grace: "2027-01-20"},
		{name: "missing, grace day 90", req: blsReq, asOf: "2027-01-20", want: CredentialMissingInGrace, grace: "2027-01-20"},
		{name: "missing, day 91", req: blsReq, asOf: "2027-01-21", want: CredentialMissing, grace: "2027-01-20"},
		{name: "missing without grace", req: CredentialRequirement{Credential: "BLS"}, asOf: "2026-10-22", want: CredentialMissing},
		{name: "unverified, out of grace", records: []CredentialRecord{{ID: "u", Type: "BLS", IssuedOn: d("2026-10-01")}},
			req: CredentialRequirement{Credential: "BLS"}, asOf: "2026-11-01", want: CredentialUnverified, record: "u"},
		{name: "other types ignored", records: []CredentialRecord{{ID: "c", Type: "CMA", IssuedOn: d("2026-10-01"), Verified: true}},
			req: CredentialRequirement{Credential: "BLS"}, asOf: "2026-11-01", want: CredentialMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Credential == "" {
				req = blsReq
			}
			got := rules.CredentialStatus(req, tt.records, hire, d(tt.asOf))
			if got.Status != tt.want || got.Within != tt.within {
				t.Fatalf("status = %s (within %d), want %s (within %d)", got.Status, got.Within, tt.want, tt.within)
			}
			if tt.expires != "" && got.Expires.String() != tt.expires {
				t.Errorf("expires = %s, want %s", got.Expires, tt.expires)
			}
			if tt.grace != "" && got.GraceUntil.String() != tt.grace {
				t.Errorf("grace until = %s, want %s", got.GraceUntil, tt.grace)
			}
			if tt.record != "" && (got.Record == nil || got.Record.ID != tt.record) {
				t.Errorf("based on %+v, want record %s", got.Record, tt.record)
			}
		})
	}
}

func TestUnverifiedCredentialsCountWhenProgramSaysSo(t *testing.T) {
	v := testVersion()
	v.Program.Settings.CountUnverifiedCredentials = true
	rules := mustCompile(t, v)
	got := rules.CredentialStatus(CredentialRequirement{Credential: "BLS"},
		[]CredentialRecord{{Type: "BLS", IssuedOn: d("2026-01-01")}}, Date{}, d("2026-03-01"))
	if got.Status != CredentialValid || got.Expires.String() != "2028-01-31" {
		t.Fatalf("got %s until %s, want valid until 2028-01-31", got.Status, got.Expires)
	}
}

func TestEvaluateAllTasksIsIndependentPerPerson(t *testing.T) {
	rules := mustCompile(t, testVersion())
	ready := veniReady()
	first := rules.Evaluate(&ready, d("2026-03-14"))
	if len(first) != len(rules.Tasks()) || first[0].Task != "VENI" || first[0].Status != Cleared {
		t.Fatalf("first evaluation: %+v", first[0])
	}
	inject := first[1]
	wantMsgs := inject.Messages()
	// Evaluating someone else must not disturb the earlier decisions.
	empty := Evidence{}
	second := rules.Evaluate(&empty, d("2026-03-14"))
	if second[0].Status != NotCleared {
		t.Fatalf("empty evidence cleared: %+v", second[0])
	}
	if !slices.Equal(first[1].Messages(), wantMsgs) {
		t.Fatalf("earlier decision changed: %q vs %q", first[1].Messages(), wantMsgs)
	}
	// And the same question has the same answer.
	again := rules.Evaluate(&ready, d("2026-03-14"))
	for i := range first {
		if first[i].Status != again[i].Status || !slices.Equal(first[i].Messages(), again[i].Messages()) || first[i].LapsesOn != again[i].LapsesOn {
			t.Fatalf("task %s: different answers for the same evidence", first[i].Task)
		}
	}
}

func TestPrerequisiteDueSoonIsShownAndLapsesDirectSupervision(t *testing.T) {
	rules := mustCompile(t, testVersion())
	// BBP signed 2026-01-10, due 2027-01-10; on 2026-12-20 it is due soon.
	// Venipuncture training started but not finished: direct supervision,
	// which lapses when the prerequisite does.
	e := with(veniReady(), func(e *Evidence) {
		e.Credentials = []CredentialRecord{bls("2026-01-01", "2028-01-01")}
		e.Performances = perfs("PHL-VENI", "", "2026-12-01", 3, true)
		e.SignOffs = e.SignOffs[:1]
	})
	got, _ := rules.EvaluateTask(&e, "VENI", d("2026-12-20"))
	if got.Status != DirectSupervision {
		t.Fatalf("status %s: %q", got.Status, got.Messages())
	}
	if got.LapsesOn.String() != "2027-01-11" {
		t.Errorf("lapses on %s, want 2027-01-11 (day after the prerequisite's due date)", got.LapsesOn)
	}
	if !slices.Contains(codesOf(got), "reverification_due_soon") {
		t.Errorf("prerequisite due-soon warning missing: %q", got.Messages())
	}
	if steps := got.NextSteps(); len(steps) != 2 || steps[0] != "Complete 7 more successful observed performances of Venipuncture" {
		t.Errorf("next steps = %q", steps)
	}
}

func TestDecisionJSON(t *testing.T) {
	rules := mustCompile(t, testVersion())
	e := Evidence{HireDate: d("2026-10-22")}
	got, _ := rules.EvaluateTask(&e, "VENI", d("2026-11-01"))
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"status":"not_cleared"`,
		`{"code":"credential_in_grace","effect":"info","credential":"BLS","date":"2027-01-20","message":"BLS missing, within grace until 2027-01-20"}`,
		`"code":"training_not_started","effect":"blocks_supervised","competency":"PHL-VENI"`,
		`"next_steps":["Get prerequisite Bloodborne pathogens signed off and current first","Start training in Venipuncture: perform it once under observation"]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

func TestDescribeSigners(t *testing.T) {
	tests := []struct {
		a    Authorization
		want string
	}{
		{Authorization{Credentials: []ProfessionalCredential{MD, DO, NP, PA, RN, LPN}}, "an MD, DO, NP, PA, RN or LPN"},
		{Authorization{Credentials: []ProfessionalCredential{DO}}, "a DO"},
		{Authorization{Credentials: []ProfessionalCredential{RN}, Preceptors: []string{"u1"}}, "an RN or a named preceptor"},
		{Authorization{Preceptors: []string{"u1"}}, "a named preceptor"},
	}
	for _, tt := range tests {
		if got := describeSigners(tt.a); got != tt.want {
			t.Errorf("describeSigners(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestEvaluateConcurrently(t *testing.T) {
	rules := mustCompile(t, testVersion())
	ready, empty := veniReady(), Evidence{}
	want := rules.Evaluate(&ready, d("2026-03-14"))
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			for range 200 {
				e := &ready
				if g%2 == 1 {
					e = &empty
				}
				got := rules.Evaluate(e, d("2026-03-14"))
				if g%2 == 0 && (got[0].Status != want[0].Status || !slices.Equal(got[1].Messages(), want[1].Messages())) {
					errs <- "different answer under concurrency"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if msg := <-errs; msg != "" {
			t.Fatal(msg)
		}
	}
}
