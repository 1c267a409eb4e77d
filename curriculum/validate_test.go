package curriculum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidateReportsEveryProblemWithItsPath(t *testing.T) {
	v := testVersion()
	p := &v.Program
	p.Type = TimeBased // now needs a 2,000-hour schedule
	p.Competencies[1].Checklist[1].Text = "  "
	p.Competencies[1].Prerequisites = []string{"SAF-BBP", "SAF-BBP", "NOPE"}
	p.Competencies[0].Prerequisites = []string{"INJ"}
	p.Competencies[2].Prerequisites = []string{"SAF-BBP"}
	p.Competencies[0].Prerequisites = append(p.Competencies[0].Prerequisites, "SAF-BBP")
	p.Competencies[2].Performances = append(p.Competencies[2].Performances, PerformanceRequirement{Variant: "IM", Count: 0})
	p.Competencies[3].Reverification = Reverification{Kind: EveryMonths}
	p.Competencies[4].Coverage.Items = append(p.Competencies[4].Coverage.Items, CLIAElements[0])
	p.Competencies[5].Coverage.Min = 5
	p.Competencies[5].KnowledgeTest = &KnowledgeTest{PassMark: 101}
	p.Competencies[5].SignedOffBy = Authorization{Credentials: []ProfessionalCredential{"Dr"}}
	p.Tasks[0].Credentials = append(p.Tasks[0].Credentials, CredentialRequirement{Credential: "ACLS"})
	p.Tasks[1].Code = p.Tasks[0].Code
	p.Tasks[2].Competencies = nil
	p.Tasks[3].DirectSupervision = "sometimes"

	err := v.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v, want a *ValidationError", err)
	}
	want := []struct{ path, message string }{
		{"program.work_processes", "a time-based program needs a work-process schedule"},
		{"program.competencies[0].prerequisites[1]", "a competency cannot be its own prerequisite"},
		{"program.competencies[1].checklist[1].text", "this text is missing"},
		{"program.competencies[1].prerequisites[1]", `prerequisite "SAF-BBP" is listed more than once`},
		{"program.competencies[1].prerequisites[2]", `prerequisite "NOPE" is not a competency of this program`},
		{"program.competencies[2].performances[3].count", "the number of performances must be 1 or more"},
		{"program.competencies[2].performances[3].variant", `variant "IM" is listed more than once`},
		{"program.competencies[3].reverification.months", "say every how many months"},
		{"program.competencies[4].coverage.items[6].code", `item "DIRECT-OBSERVATION" is listed more than once`},
		{"program.competencies[5].signed_off_by.credentials[0]", `"Dr" is not a known professional credential`},
		{"program.competencies[5].knowledge_test.pass_mark", "between 1 and 100, not 101"},
		{"program.competencies[5].coverage.min", "min must be between 1 and the number of items (4)"},
		{"program.competencies[0].prerequisites", "prerequisites form a cycle: SAF-BBP → INJ → SAF-BBP"},
		{"program.tasks[0].credentials[1].credential", `"ACLS" is not a credential type of this program`},
		{"program.tasks[1].code", `task "VENI" is listed more than once`},
		{"program.tasks[2].competencies", "a task needs at least one competency"},
		{"program.tasks[3].direct_supervision", `not "sometimes"`},
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.String())
	}
	for _, w := range want {
		if !slices.ContainsFunc(ve.Problems, func(p Problem) bool { return p.Path == w.path && strings.Contains(p.Message, w.message) }) {
			t.Errorf("missing problem %s: %s", w.path, w.message)
		}
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ve.Problems), len(want), strings.Join(got, "\n"))
	}
}

func TestValidateHourSchedules(t *testing.T) {
	tests := []struct {
		typ     ApprenticeshipType
		wps     []WorkProcess
		wantErr string
	}{
		{TimeBased, []WorkProcess{{Code: "A", Title: "A", MinHours: 2000, MaxHours: 2000}}, ""},
		{TimeBased, []WorkProcess{{Code: "A", Title: "A", MinHours: 1999, MaxHours: 1999}}, "totals 1999 on-the-job hours"},
		{TimeBased, []WorkProcess{{Code: "A", Title: "A", MinHours: 1000, MaxHours: 2000}}, "needs a fixed number of hours"},
		{Hybrid, []WorkProcess{{Code: "A", Title: "A", MinHours: 1000, MaxHours: 2000}}, ""},
		{Hybrid, []WorkProcess{{Code: "A", Title: "A", MinHours: 1000, MaxHours: 1500}}, "totals 1500"},
		{CompetencyBased, nil, ""},
	}
	for _, tt := range tests {
		v := testVersion()
		v.Program.Type, v.Program.WorkProcesses = tt.typ, tt.wps
		err := v.Validate()
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s %+v: Validate() = %v, want %q", tt.typ, tt.wps, err, tt.wantErr)
		}
	}
}

func TestPublishedVersionIsImmutable(t *testing.T) {
	v := testVersion()
	if err := v.Edit(func(p *Program) error { p.Title = "Renamed"; return nil }); err != nil || v.Program.Title != "Renamed" {
		t.Fatalf("editing a draft: %v, title %q", err, v.Program.Title)
	}
	failed := errors.New("changed my mind")
	if err := v.Edit(func(p *Program) error { p.Title = "Half-done"; return failed }); !errors.Is(err, failed) || v.Program.Title != "Renamed" {
		t.Fatalf("a failed edit must leave the draft unchanged: %v, title %q", err, v.Program.Title)
	}

	broken := v.Clone()
	broken.Program.Tasks[0].Competencies = []string{"NOPE"}
	var ve *ValidationError
	if err := broken.Publish(d("2026-03-14").Time(nil)); !errors.As(err, &ve) || broken.IsPublished() {
		t.Fatalf("publishing an invalid draft: %v", err)
	}

	if err := v.Publish(d("2026-03-14").Time(nil)); err != nil || !v.IsPublished() {
		t.Fatalf("Publish: %v", err)
	}
	if err := v.Edit(func(p *Program) error { p.Title = "Sneaky"; return nil }); !errors.Is(err, ErrPublished) || v.Program.Title != "Renamed" {
		t.Fatalf("editing a published version: %v, title %q", err, v.Program.Title)
	}
	if err := v.Publish(d("2026-03-15").Time(nil)); !errors.Is(err, ErrPublished) {
		t.Fatalf("re-publishing: %v", err)
	}

	next := v.NewDraft()
	if next.Number != 2 || next.IsPublished() || !next.PublishedAt.IsZero() {
		t.Fatalf("new draft = version %d %s", next.Number, next.Status)
	}
	if err := next.Edit(func(p *Program) error { p.Tasks[0].Title = "Changed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if v.Program.Tasks[0].Title == "Changed" {
		t.Fatal("the new draft shares data with the published version")
	}
}

func TestCompileKeepsItsOwnCopy(t *testing.T) {
	v := testVersion()
	rules := mustCompile(t, v)
	v.Program.Competencies[1].Performances[0].Count = 1
	e := veniReady()
	e.Performances = e.Performances[:5]
	got, _ := rules.EvaluateTask(&e, "VENI", d("2026-03-14"))
	if !slices.Contains(got.Messages(), "Venipuncture: 5 of 10 observed performances") {
		t.Fatalf("compiled rules changed with the draft: %q", got.Messages())
	}
	if _, err := rules.EvaluateTask(&e, "NOPE", d("2026-03-14")); err == nil {
		t.Fatal("unknown task accepted")
	}
	v.Program.Tasks[0].Competencies = []string{"NOPE"}
	if _, err := Compile(v); err == nil {
		t.Fatal("compiled an invalid version")
	}
}
