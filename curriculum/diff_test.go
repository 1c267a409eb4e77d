package curriculum

import (
	"strconv"
	"strings"
	"testing"
)

// TestDiffSaysWhatChanged: a count raised, a step added, a competency
// added and one removed (with the task that needed it changed), and a
// credential grace period changed read as such, in words; a copy reads as
// no change at all.
func TestDiffSaysWhatChanged(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	old := &v.Program
	if d := Diff(old, &v.Clone().Program); !d.Empty() || d.Count() != 0 {
		t.Fatalf("a copy differs: %+v", d)
	}
	n := &v.Clone().Program
	veni := n.Competency("PHL-VENI")
	veni.Performances[0].Count += 2
	veni.Checklist = append(veni.Checklist, ChecklistStep{Text: "Label the tubes at the bedside", Critical: true})
	// Diff reads programs as they are, valid or not: the last competency
	// goes, a new one comes.
	removed := n.Competencies[len(n.Competencies)-1].Code
	n.Competencies = append(n.Competencies[:len(n.Competencies)-1], Competency{Code: "NEW-ONE", Title: "A new skill", Domain: Clinical})
	task := n.Task("VITALS")
	for i := range task.Credentials {
		if task.Credentials[i].Credential == "BLS" {
			task.Credentials[i].WithinDaysOfHire = 30
		}
	}

	d := Diff(old, n)
	if len(d.Added) != 1 || d.Added[0].Code != "NEW-ONE" || len(d.Removed) != 1 || d.Removed[0].Code != removed {
		t.Fatalf("added %v, removed %v", d.Added, d.Removed)
	}
	if len(d.Changed) != 1 || d.Changed[0].Code != "PHL-VENI" {
		t.Fatalf("changed %+v", d.Changed)
	}
	got := map[string]Change{}
	for _, c := range d.Changed[0].Changes {
		got[c.What] = c
	}
	oldCount := old.Competency("PHL-VENI").Performances[0].Count
	if r := got["Required"]; !strings.Contains(r.Before, strconv.Itoa(oldCount)) || !strings.Contains(r.After, strconv.Itoa(oldCount+2)) {
		t.Errorf("the count: %+v", r)
	}
	if s := got["Checklist steps"]; s.Before != "" || s.After != "“Label the tubes at the bedside (critical)”" {
		t.Errorf("the new step: %+v", s)
	}
	if c := got["Checklist"]; !strings.Contains(c.After, strconv.Itoa(len(veni.Checklist))+" steps") {
		t.Errorf("the checklist: %+v", c)
	}
	// The task whose grace period changed (tasks are compared by code: the
	// one needing the removed competency still names the same code).
	if len(d.TasksChanged) != 1 || d.TasksChanged[0].Code != "VITALS" {
		t.Fatalf("tasks changed: %+v", d.TasksChanged)
	}
	if r := d.TasksChanged[0].Changes[0]; r.What != "Requires" || !strings.HasSuffix(r.Before, "within 90 days of hire)") || !strings.HasSuffix(r.After, "within 30 days of hire)") {
		t.Errorf("the task's requirement: %+v", r)
	}
	if d.Count() != 4 || d.Summary() != "1 competency added, 1 competency removed, 1 competency changed, 1 task changed" {
		t.Errorf("%d changes (%s), want 4", d.Count(), d.Summary())
	}
	// The same prerequisites in another order are no change.
	again := &v.Clone().Program
	for i := range again.Competencies {
		if p := again.Competencies[i].Prerequisites; len(p) > 1 {
			p[0], p[1] = p[1], p[0]
		}
	}
	if d := Diff(old, again); !d.Empty() {
		t.Errorf("reordered prerequisites read as changes: %+v", d.Changed)
	}
	// What an apprentice must now do: the new competency and the raised
	// count, not a retitled one.
	n.Competency("SAF-INFECT").Title = "Infection prevention"
	nr := NewlyRequired(Diff(old, n))
	var codes []string
	for _, c := range nr {
		codes = append(codes, c.Code)
	}
	if strings.Join(codes, ",") != "PHL-VENI,NEW-ONE" && strings.Join(codes, ",") != "NEW-ONE,PHL-VENI" {
		t.Fatalf("newly required: %v", codes)
	}
}

// TestDiffSaysWhatChangedInTheLevelRules: supervision levels by count,
// independent-only requirements, training hours and a first-cycle schedule
// each read as a change.
func TestDiffSaysWhatChangedInTheLevelRules(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	n := &v.Clone().Program
	task := n.Task("VENIPUNCTURE")
	task.IndirectAfter, task.IndependentAfter = 10, 20
	task.Credentials[0].Level = IndependentOnly
	n.Competency("PHL-VENI").IndependentPrerequisites = []string{"SAF-EMERG"}
	n.Competency("PHL-VENI").TrainingHours.Hours = 12
	n.Competency("LAB-NONWAIVED").Reverification.FirstMonths = []int{6}
	d := Diff(&v.Program, n)
	var got []string
	for _, ch := range append(d.Changed, d.TasksChanged...) {
		for _, c := range ch.Changes {
			got = append(got, ch.Code+" "+c.What+": "+c.After)
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"VENIPUNCTURE Indirect supervision: Under indirect supervision (a qualified person available, not watching) after 10 successful observed performances of each competency.",
		"VENIPUNCTURE Independent practice: after 20 successful observed performances of each competency, besides sign-off",
		"VENIPUNCTURE Requires: Basic Life Support (AHA or equivalent) valid (new hires: within 90 days of hire), before independent practice only",
		"PHL-VENI Prerequisites: OSHA bloodborne pathogens (SAF-BBP); Infection control and PPE (SAF-INFECT); for independent practice only: Emergency response within competency (SAF-EMERG)",
		"PHL-VENI Training hours: 12 clock hours of approved training in: Phlebotomy and specimen collection (PHLEB)",
		"LAB-NONWAIVED Re-verification: re-verified 6 months after the initial sign-off, then every 12 months; shown as due 30 days ahead",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the diff lacks %q; it says:\n%s", want, all)
		}
	}
}
