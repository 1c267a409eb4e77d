package curriculum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// levelsVersion adds tasks with supervision levels by count to
// testVersion: venipuncture under direct supervision after 3 successful
// performances, indirect after 10 (its sign-off count), independent after
// 15 plus sign-off; and one whose direct level starts with training.
func levelsVersion() *Version {
	v := testVersion()
	v.Program.Tasks = append(v.Program.Tasks,
		Task{Code: "VENI-LEVELS", Title: "Venipuncture (levels)", Category: Clinical, Competencies: []string{"PHL-VENI"},
			DirectSupervision: DirectAfterPerformances, DirectAfter: 3, IndirectAfter: 10, IndependentAfter: 15},
		Task{Code: "VENI-INDIRECT", Title: "Venipuncture (indirect only)", Category: Clinical, Competencies: []string{"PHL-VENI"},
			IndirectAfter: 6})
	return v
}

func TestSupervisionLevelsByCount(t *testing.T) {
	rules := mustCompile(t, levelsVersion())
	// veniReady's prerequisite, knowledge test and BLS, with n successful
	// venipunctures from 2026-02-01 and, when signed, the sign-off.
	person := func(n int, signed bool) Evidence {
		return with(veniReady(), func(e *Evidence) {
			e.Performances = perfs("PHL-VENI", "", "2026-02-01", n, true)
			e.Performances = append(e.Performances, perfs("PHL-VENI", "", "2026-01-20", 2, false)...) // failures never count
			e.SignOffs = e.SignOffs[:1]                                                               // SAF-BBP only
			if signed {
				e.SignOffs = append(e.SignOffs, initial("PHL-VENI", "2026-02-25"))
			}
		})
	}
	const asOf = "2026-02-26"
	tests := []struct {
		name, task string
		e          Evidence
		want       Status
		reason     string // a reason message that must appear
		step       string // a next step that must appear
	}{
		{"direct N−1", "VENI-LEVELS", person(2, false), NotCleared,
			"Venipuncture: 2 of 3 successful observed performances before direct supervision",
			"Complete 1 more successful observed performance of Venipuncture to practise under direct supervision"},
		{"direct N", "VENI-LEVELS", person(3, false), DirectSupervision,
			"Venipuncture: 3 of 10 successful observed performances for indirect supervision",
			"Complete 7 more successful observed performances of Venipuncture to move to indirect supervision"},
		{"indirect N−1", "VENI-LEVELS", person(9, false), DirectSupervision,
			"Venipuncture: 9 of 10 successful observed performances for indirect supervision",
			"Complete 1 more successful observed performance of Venipuncture to move to indirect supervision"},
		{"indirect N", "VENI-LEVELS", person(10, false), IndirectSupervision,
			"Venipuncture: 10 of 15 successful observed performances for independent practice",
			"Get Venipuncture signed off by an MD, DO, NP, PA, RN or LPN"},
		{"signed off, independent M−1", "VENI-LEVELS", person(14, true), IndirectSupervision,
			"Venipuncture: 14 of 15 successful observed performances for independent practice",
			"Complete 1 more successful observed performance of Venipuncture to practise independently"},
		{"independent M plus sign-off", "VENI-LEVELS", person(15, true), Cleared, "", ""},
		{"M without sign-off stays indirect", "VENI-LEVELS", person(15, false), IndirectSupervision,
			"Venipuncture: not signed off", "Get Venipuncture signed off by an MD, DO, NP, PA, RN or LPN"},
		// The default direct rule (training started), with an indirect level.
		{"training started, indirect N−1", "VENI-INDIRECT", person(5, false), DirectSupervision,
			"Venipuncture: 5 of 6 successful observed performances for indirect supervision", ""},
		{"indirect N", "VENI-INDIRECT", person(6, false), IndirectSupervision, "", ""},
		{"signed off: independent, no count beyond the competency's", "VENI-INDIRECT", person(10, true), Cleared, "", ""},
		// Tasks without the new fields decide as before.
		{"old task: direct with 9", "VENI", person(9, false), DirectSupervision, "", ""},
		{"old task: cleared with 10 and sign-off", "VENI", person(10, true), Cleared, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := rules.EvaluateTask(&tt.e, tt.task, d(asOf))
			if err != nil {
				t.Fatal(err)
			}
			if dec.Status != tt.want {
				t.Fatalf("status %s, want %s; %q", dec.Status, tt.want, dec.Messages())
			}
			if tt.reason != "" && !slices.Contains(dec.Messages(), tt.reason) {
				t.Errorf("messages %q lack %q", dec.Messages(), tt.reason)
			}
			if tt.step != "" && !slices.Contains(dec.NextSteps(), tt.step) {
				t.Errorf("next steps %q lack %q", dec.NextSteps(), tt.step)
			}
			if tt.want == Cleared && len(dec.NextSteps()) != 0 {
				t.Errorf("cleared with next steps %q", dec.NextSteps())
			}
			back, err := rules.Unpack(rules.Pack(rules.Evaluate(&tt.e, d(asOf))))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.Index(rules.Tasks(), tt.task)
			if back[i].Status != dec.Status || back[i].Indirect != dec.Indirect || !slices.Equal(back[i].NextSteps(), dec.NextSteps()) {
				t.Fatalf("unpacked %s %v %q, want %s %v %q", back[i].Status, back[i].Indirect, back[i].NextSteps(), dec.Status, dec.Indirect, dec.NextSteps())
			}
		})
	}

	t.Run("the next level's steps only", func(t *testing.T) {
		e := person(3, false)
		dec, _ := rules.EvaluateTask(&e, "VENI-LEVELS", d(asOf))
		// Under direct supervision the next level is indirect: the steps
		// are its count, not the sign-off or the independent count.
		if steps := dec.NextSteps(); !slices.Equal(steps, []string{"Complete 7 more successful observed performances of Venipuncture to move to indirect supervision"}) {
			t.Fatalf("next steps %q", steps)
		}
	})

	t.Run("JSON and labels", func(t *testing.T) {
		e := person(10, false)
		dec, _ := rules.EvaluateTask(&e, "VENI-LEVELS", d(asOf))
		j := dec.JSON()
		b, err := j.Status.MarshalText()
		if err != nil || string(b) != "indirect_supervision" || dec.Status.Label() != "Indirect supervision" {
			t.Fatalf("status %q %v label %q", b, err, dec.Status.Label())
		}
		var back Status
		if err := back.UnmarshalText(b); err != nil || back != IndirectSupervision {
			t.Fatalf("unmarshal: %v %v", back, err)
		}
		for _, r := range j.Reasons {
			if r.Code == ReasonIndependentCountShort && r.Effect != BlocksIndependent {
				t.Errorf("independent count effect %s", r.Effect)
			}
		}
	})
}

func TestSupervisionLevelValidation(t *testing.T) {
	v := levelsVersion()
	add := func(t Task) {
		t.Title, t.Category, t.Competencies = "Task "+t.Code, Clinical, []string{"PHL-VENI"}
		v.Program.Tasks = append(v.Program.Tasks, t)
	}
	add(Task{Code: "A", DirectSupervision: DirectAfterPerformances})
	add(Task{Code: "B", DirectAfter: 3})
	add(Task{Code: "C", DirectSupervision: DirectNever, IndirectAfter: 5})
	add(Task{Code: "D", DirectSupervision: DirectAfterPerformances, DirectAfter: 5, IndirectAfter: 5})
	add(Task{Code: "E", IndirectAfter: 10, IndependentAfter: 8})
	add(Task{Code: "F", IndirectAfter: -1, IndependentAfter: -2})
	wantProblems(t, v.Validate(), []string{
		"program.tasks[9].direct_after: say after how many successful observed performances direct supervision starts (1 or more)",
		"program.tasks[10].direct_after: direct_after is only used with direct_supervision: performances",
		"program.tasks[11].indirect_after: a task without supervised practice (direct_supervision: never) has no indirect level",
		"program.tasks[12].indirect_after: indirect supervision (5 performances) must need more than direct supervision (5)",
		"program.tasks[13].independent_after: independent practice (8 performances) cannot need fewer than indirect supervision (10)",
		"program.tasks[14].indirect_after: the number of performances cannot be negative",
		"program.tasks[14].independent_after: the number of performances cannot be negative",
	})
	var ve *ValidationError

	// Through a file: the fields round-trip, and a problem names its line.
	v = levelsVersion()
	b, err := ExportProgram(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseProgram(b)
	if err != nil {
		t.Fatal(err)
	}
	if task := back.Program.Task("VENI-LEVELS"); task.DirectSupervision != DirectAfterPerformances || task.DirectAfter != 3 || task.IndirectAfter != 10 || task.IndependentAfter != 15 {
		t.Fatalf("round trip: %+v", task)
	}
	bad := strings.Replace(string(b), "indirect_after: 10", "indirect_after: 2", 1)
	_, err = ParseProgram([]byte(bad))
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line == 0 ||
		!strings.Contains(ve.Problems[0].String(), "indirect_after: indirect supervision (2 performances) must need more than direct supervision (3)") {
		t.Fatalf("got %v", err)
	}
}

func TestDescribeSupervisionLevels(t *testing.T) {
	v := levelsVersion()
	tr := DescribeTask(&v.Program, v.Program.Task("VENI-LEVELS"))
	if want := "Under direct supervision after 3 successful observed performances of each competency, with credentials and prerequisites in order."; tr.Direct != want {
		t.Errorf("direct %q", tr.Direct)
	}
	if want := "Under indirect supervision (a qualified person available, not watching) after 10 successful observed performances of each competency."; tr.Indirect != want {
		t.Errorf("indirect %q", tr.Indirect)
	}
	if !slices.Contains(tr.Needs, "15 successful observed performances of each competency") {
		t.Errorf("needs %q", tr.Needs)
	}
	if tr := DescribeTask(&v.Program, v.Program.Task("VENI")); tr.Indirect != "" {
		t.Errorf("a task without the level describes one: %q", tr.Indirect)
	}
}

// wantProblems fails unless err is a *ValidationError listing exactly want
// (each as Problem.String), in order.
func wantProblems(t *testing.T, err error, want []string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want problems", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
