package curriculum

import (
	"slices"
	"strings"
	"testing"
)

// levelVersion is testVersion where injections need BLS before
// independent practice only, and bloodborne pathogens (SAF-BBP) as an
// independent-only prerequisite; venipuncture keeps BLS at every level.
func levelVersion() *Version {
	v := testVersion()
	inject := v.Program.Task("INJECT")
	inject.Credentials = []CredentialRequirement{{Credential: "BLS", Level: IndependentOnly}}
	v.Program.Competency("INJ").IndependentPrerequisites = []string{"SAF-BBP"}
	return v
}

func TestRequirementsPerLevel(t *testing.T) {
	rules := mustCompile(t, levelVersion())
	// Injections: 10 of each variant and a sign-off on 2026-03-01; BLS
	// valid through 2026-10-31; bloodborne pathogens signed 2026-01-10
	// (re-verified yearly: due 2027-01-10).
	ready := func() Evidence {
		e := bbpCurrent("2026-01-10")
		e.HireDate = d("2025-01-05")
		e.Credentials = []CredentialRecord{bls("2024-10-09", "2026-10-01")}
		for _, v := range []string{"IM", "SUBQ", "ID"} {
			e.Performances = append(e.Performances, perfs("INJ", v, "2026-02-01", 10, true)...)
		}
		e.SignOffs = append(e.SignOffs, initial("INJ", "2026-03-01"))
		return e
	}
	noBBP := func() Evidence {
		return with(ready(), func(e *Evidence) {
			e.SignOffs = slices.DeleteFunc(e.SignOffs, func(s SignOff) bool { return s.Competency == "SAF-BBP" })
		})
	}
	tests := []struct {
		name    string
		e       Evidence
		asOf    string
		want    Status
		reason  string
		effect  Effect
		lapses  string
		nextHas string
	}{
		{"BLS expiry day: cleared", ready(), "2026-10-31", Cleared, "BLS expires 2026-10-31 (today)", Info, "2026-11-01", ""},
		{"day after BLS expiry: direct supervision, not nothing", ready(), "2026-11-01", DirectSupervision,
			"BLS expired 2026-10-31 (needed for independent practice)", BlocksIndependent, "",
			"Renew BLS and have HR record and verify the new card"},
		{"BLS never on file: direct supervision", with(ready(), func(e *Evidence) { e.Credentials = nil }), "2026-03-02", DirectSupervision,
			"BLS missing (needed for independent practice)", BlocksIndependent, "", "Obtain BLS and have HR record and verify it"},
		{"independent-only prerequisite missing: direct supervision", noBBP(), "2026-03-02", DirectSupervision,
			"Prerequisite Bloodborne pathogens is not signed off and current (needed for independent practice)", BlocksIndependent, "",
			"Get prerequisite Bloodborne pathogens signed off and current first"},
		// The prerequisite lapses: due 2027-01-10, in time on the day, not after.
		{"prerequisite due day", with(ready(), func(e *Evidence) { e.Credentials = []CredentialRecord{bls("2026-06-01", "2028-06-01")} }),
			"2027-01-10", Cleared, "Bloodborne pathogens: re-verification due 2027-01-10 (today)", Info, "2027-01-11", ""},
		{"prerequisite day after due", with(ready(), func(e *Evidence) { e.Credentials = []CredentialRecord{bls("2026-06-01", "2028-06-01")} }),
			"2027-01-11", DirectSupervision, "Prerequisite Bloodborne pathogens is not signed off and current (needed for independent practice)",
			BlocksIndependent, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := rules.EvaluateTask(&tt.e, "INJECT", d(tt.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if dec.Status != tt.want {
				t.Fatalf("status %s, want %s; %q", dec.Status, tt.want, dec.Messages())
			}
			i := slices.IndexFunc(dec.Reasons, func(r Reason) bool { return r.Message() == tt.reason })
			if i < 0 || dec.Reasons[i].Effect != tt.effect {
				t.Fatalf("no reason %q with effect %s in %q", tt.reason, tt.effect, dec.Messages())
			}
			if got := dec.LapsesOn.String(); tt.lapses != "" && got != tt.lapses {
				t.Errorf("lapses on %s, want %s", got, tt.lapses)
			}
			if tt.want == DirectSupervision && !dec.LapsesOn.IsZero() {
				t.Errorf("direct supervision lapses on %s; an independent-only requirement cannot end it", dec.LapsesOn)
			}
			if tt.nextHas != "" && !slices.Contains(dec.NextSteps(), tt.nextHas) {
				t.Errorf("next steps %q lack %q", dec.NextSteps(), tt.nextHas)
			}
		})
	}

	t.Run("every level is still the default", func(t *testing.T) {
		e := with(veniReady(), func(e *Evidence) {
			e.Credentials = []CredentialRecord{bls("2024-10-09", "2026-10-01")}
			e.Performances = perfs("PHL-VENI", "", "2026-10-01", 10, true)
		})
		dec, _ := rules.EvaluateTask(&e, "VENI", d("2026-11-01"))
		if dec.Status != NotCleared || dec.Reasons[0].Effect != BlocksSupervised || strings.Contains(dec.Reasons[0].Message(), "independent") {
			t.Fatalf("venipuncture without BLS: %s %q", dec.Status, dec.Messages())
		}
	})
}

func TestRequirementLevelValidation(t *testing.T) {
	v := levelVersion()
	v.Program.Task("VENI").Credentials[0].Level = "supervised"
	v.Program.Competency("LAB-CLIA").IndependentPrerequisites = []string{"LAB-CLIA", "NOPE", "LAB-WAIVED", "LAB-WAIVED"}
	v.Program.Competency("LAB-WAIVED").IndependentPrerequisites = []string{"LAB-CLIA"}
	v.Program.Competency("PHL-VENI").IndependentPrerequisites = []string{"SAF-BBP"}
	wantProblems(t, v.Validate(), []string{
		"program.competencies[1].independent_prerequisites[0]: \"SAF-BBP\" is already a prerequisite at every level (prerequisites); list it in one of the two",
		"program.competencies[4].independent_prerequisites[0]: a competency cannot be its own prerequisite",
		"program.competencies[4].independent_prerequisites[1]: prerequisite \"NOPE\" is not a competency of this program",
		"program.competencies[4].independent_prerequisites[3]: prerequisite \"LAB-WAIVED\" is listed more than once",
		"program.competencies[4].prerequisites: prerequisites form a cycle: LAB-CLIA → LAB-WAIVED → LAB-CLIA",
		"program.tasks[0].credentials[0].level: level must be all (every level, the default) or independent (independent practice only), not \"supervised\"",
	})

	// Through a file: both fields round-trip.
	b, err := ExportProgram(levelVersion())
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseProgram(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Program.Task("INJECT").Credentials[0].Level != IndependentOnly || !slices.Equal(back.Program.Competency("INJ").IndependentPrerequisites, []string{"SAF-BBP"}) {
		t.Fatalf("round trip lost the levels:\n%s", b)
	}
	tr := DescribeTask(&back.Program, back.Program.Task("INJECT"))
	if !slices.Contains(tr.Needs, "Basic Life Support valid, before independent practice only") {
		t.Errorf("needs %q", tr.Needs)
	}
	if cr := DescribeCompetency(&back.Program, back.Program.Competency("INJ")); cr.Prerequisites != "for independent practice only: Bloodborne pathogens (SAF-BBP)" {
		t.Errorf("prerequisites %q", cr.Prerequisites)
	}
}
