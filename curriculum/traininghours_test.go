package curriculum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// hoursVersion is testVersion with a venipuncture training course and a
// clinic work process, and venipuncture requiring 10 approved hours from
// either.
func hoursVersion() *Version {
	v := testVersion()
	v.Program.RTICourses = []RTICourse{{Code: "PHLEB", Title: "Phlebotomy", Hours: 36}, {Code: "MED-TERM", Title: "Medical terminology", Hours: 36}}
	v.Program.WorkProcesses = []WorkProcess{{Code: "LAB", Title: "Laboratory"}}
	v.Program.Competency("PHL-VENI").TrainingHours = &TrainingHours{Hours: 10, RTICourses: []string{"PHLEB"}, WorkProcesses: []string{"LAB"}}
	return v
}

// rtiHours is an approved entry of minutes worked on worked and approved
// on approved.
func rtiHours(code, worked, approved string, minutes int) HoursRecord {
	return HoursRecord{Kind: RTIHours, Code: code, WorkedOn: d(worked), Minutes: minutes, RecordedOn: d(approved)}
}

func TestTrainingHours(t *testing.T) {
	rules := mustCompile(t, hoursVersion())
	// veniReady is cleared from 2026-03-01 on everything but hours. Here
	// 9.75 hours are approved early; the last quarter hour is worked on
	// 2026-03-10 and approved on 2026-03-12.
	base := func(last HoursRecord) Evidence {
		return with(veniReady(), func(e *Evidence) {
			e.Hours = []HoursRecord{
				rtiHours("PHLEB", "2026-02-02", "2026-02-03", 8*60),
				{Kind: OJLHours, Code: "LAB", WorkedOn: d("2026-02-04"), Minutes: 105, RecordedOn: d("2026-02-04")},
				// Hours of other courses, and OJL hours under an RTI
				// course's code, do not count.
				rtiHours("MED-TERM", "2026-02-05", "2026-02-05", 10*60),
				{Kind: OJLHours, Code: "PHLEB", WorkedOn: d("2026-02-05"), Minutes: 10 * 60, RecordedOn: d("2026-02-05")},
				last,
			}
		})
	}
	quarter := rtiHours("PHLEB", "2026-03-10", "2026-03-12", 15)
	knownBy := func(e Evidence, day string) Evidence { return *e.recordedBy(d(day)) }
	tests := []struct {
		name string
		e    Evidence
		asOf string
		want Status
	}{
		// As known at the end of 11 March, before the approval.
		{"N−1: 9.75 of 10 hours, before the last entry is approved", knownBy(base(quarter), "2026-03-11"), "2026-03-11", DirectSupervision},
		{"N: approval day of the last quarter hour", base(quarter), "2026-03-12", Cleared},
		{"day after approval", base(quarter), "2026-03-13", Cleared},
		// Approved the same day it was worked: counts from that day, not
		// the day before.
		{"day before the work", base(rtiHours("PHLEB", "2026-03-10", "2026-03-10", 15)), "2026-03-09", DirectSupervision},
		{"day of the work", base(rtiHours("PHLEB", "2026-03-10", "2026-03-10", 15)), "2026-03-10", Cleared},
		{"day after the work", base(rtiHours("PHLEB", "2026-03-10", "2026-03-10", 15)), "2026-03-11", Cleared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := rules.EvaluateTask(&tt.e, "VENI", d(tt.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if dec.Status != tt.want {
				t.Fatalf("status %s, want %s; reasons %v", dec.Status, tt.want, dec.Messages())
			}
			short := slices.IndexFunc(dec.Reasons, func(r Reason) bool { return r.Code == ReasonTrainingHoursShort })
			if (tt.want == Cleared) != (short < 0) {
				t.Fatalf("training_hours_short present = %v for %s; reasons %v", short >= 0, tt.want, dec.Messages())
			}
			if short >= 0 {
				r := dec.Reasons[short]
				if r.Effect != BlocksIndependent {
					t.Errorf("effect %s, want blocks_independent: training continues under supervision", r.Effect)
				}
				if want := "Venipuncture: 9.75 of 10 clock hours of training approved (Phlebotomy; Laboratory)"; r.Message() != want {
					t.Errorf("message %q, want %q", r.Message(), want)
				}
				steps := dec.NextSteps()
				if want := "Complete 0.25 more clock hours of training for Venipuncture (Phlebotomy; Laboratory) and have them approved"; !slices.Contains(steps, want) {
					t.Errorf("next steps %q lack %q", steps, want)
				}
			}
		})
	}

	t.Run("without hours the rest still clears nothing more than supervision", func(t *testing.T) {
		e := with(veniReady(), func(e *Evidence) {})
		dec, _ := rules.EvaluateTask(&e, "VENI", d("2026-03-14"))
		if dec.Status != DirectSupervision || !slices.Equal(codesOf(dec), []string{"training_hours_short"}) {
			t.Fatalf("got %s %v", dec.Status, codesOf(dec))
		}
		if !strings.Contains(dec.Reasons[0].Message(), "0 of 10 clock hours") {
			t.Errorf("message %q", dec.Reasons[0].Message())
		}
	})

	t.Run("a program without the rule decides as before", func(t *testing.T) {
		plain := mustCompile(t, testVersion())
		e := veniReady()
		dec, _ := plain.EvaluateTask(&e, "VENI", d("2026-03-14"))
		if dec.Status != Cleared {
			t.Fatalf("got %s %v", dec.Status, dec.Messages())
		}
		if len(plain.HoursCodes()) != 0 {
			t.Errorf("HoursCodes %v, want none: storage must not read hours for it", plain.HoursCodes())
		}
		if got := rules.HoursCodes(); !slices.Equal(got, []string{"LAB", "PHLEB"}) {
			t.Errorf("HoursCodes %v", got)
		}
	})

	t.Run("packs and unpacks", func(t *testing.T) {
		e := base(quarter)
		ds := rules.Evaluate(&e, d("2026-03-11"))
		back, err := rules.Unpack(rules.Pack(ds))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.Index(rules.Tasks(), "VENI")
		if got, want := back[i].Messages(), ds[i].Messages(); !slices.Equal(got, want) {
			t.Fatalf("unpacked %q, want %q", got, want)
		}
	})
}

func TestTrainingHoursValidation(t *testing.T) {
	v := hoursVersion()
	v.Program.Competency("INJ").TrainingHours = &TrainingHours{Hours: 0, RTICourses: []string{"PHARM", "PHLEB", "PHLEB"}, WorkProcesses: []string{"NOPE"}}
	v.Program.Competency("MED-REFILL").TrainingHours = &TrainingHours{Hours: 5}
	wantProblems(t, v.Validate(), []string{
		"program.competencies[2].training_hours.hours: say how many clock hours of training are required (1 or more)",
		`program.competencies[2].training_hours.rti_courses[0]: "PHARM" is not one of the program's RTI courses`,
		`program.competencies[2].training_hours.rti_courses[2]: RTI course "PHLEB" is listed more than once`,
		`program.competencies[2].training_hours.work_processes[0]: "NOPE" is not one of the program's work processes`,
		"program.competencies[3].training_hours: name the RTI courses (rti_courses) or work processes (work_processes) whose approved hours count",
	})
}

func TestTrainingHoursInProgramFile(t *testing.T) {
	v := hoursVersion()
	b, err := ExportProgram(v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "training_hours:") {
		t.Fatalf("export lacks training_hours:\n%s", b)
	}
	back, err := ParseProgram(b)
	if err != nil {
		t.Fatal(err)
	}
	if th := back.Program.Competency("PHL-VENI").TrainingHours; th == nil || th.Hours != 10 || !slices.Equal(th.RTICourses, []string{"PHLEB"}) {
		t.Fatalf("round trip: %+v", th)
	}
	// A misspelt or unknown course is reported at its line and field.
	bad := strings.Replace(string(b), "- PHLEB\n", "- PHLB\n", 1)
	if bad == string(b) {
		t.Fatal("test setup: the course line was not found")
	}
	_, err = ParseProgram([]byte(bad))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line == 0 ||
		!strings.Contains(ve.Problems[0].String(), `training_hours.rti_courses[0]: "PHLB" is not one of the program's RTI courses`) {
		t.Fatalf("got %v", err)
	}
}

func TestDescribeTrainingHours(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	got := DescribeCompetency(&v.Program, v.Program.Competency("PHL-VENI")).TrainingHours
	if want := "10 clock hours of approved training in: Phlebotomy and specimen collection (PHLEB)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := DescribeCompetency(&v.Program, v.Program.Competency("VS-VITALS")).TrainingHours; got != "" {
		t.Fatalf("vital signs need no training hours, described as %q", got)
	}
}
