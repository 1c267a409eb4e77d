package curriculum

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExportImportRoundTrip(t *testing.T) {
	shipped, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	published := testVersion()
	published.Program.Settings = Settings{CountUnverifiedCredentials: true, TimeZone: "America/Los_Angeles"}
	published.Program.Competencies[0].SignedOffBy.Preceptors = []string{"user-42"}
	published.Program.Competencies[1].Prerequisites = []string{} // empty, not absent
	published.Program.Competencies[1].Description = "line one\nline two: with a colon, and \"quotes\""
	published.Program.Competencies[1].Checklist[0].Text = "yes" // would read back as a boolean if unquoted
	published.Program.Competencies[1].Checklist[1].Text = "123"
	if err := published.Publish(time.Date(2026, 3, 14, 9, 30, 0, 123, time.FixedZone("EST", -5*3600))); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*Version{"shipped": shipped, "published test program": published} {
		t.Run(name, func(t *testing.T) {
			b, err := ExportProgram(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseProgram(b)
			if err != nil {
				t.Fatalf("re-import: %v\n%s", err, b)
			}
			if !reflect.DeepEqual(got, v) {
				t.Fatalf("round trip changed the version:\n%s", b)
			}
			// The stored form is JSON; it must round-trip exactly too.
			j, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var back Version
			if err := json.Unmarshal(j, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&back, v) {
				t.Fatalf("JSON round trip changed the version:\n%s", j)
			}
		})
	}
}

func TestExportIsReadable(t *testing.T) {
	v, _ := MedicalAssistantProgram()
	b, err := ExportProgram(v)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"# Skillgate program file.",
		"format: skillgate-program/1\n",
		"\n  code: MA-APPR\n",
		"- text: Applies the tourniquet 3–4 inches above the site for no more than 1 minute\n",
		"critical: true",
		"performances: []", // HIPAA: knowledge only, kept as an empty list
	} {
		if !strings.Contains(s, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if strings.Contains(s, "critical: false") || strings.Contains(s, "null") {
		t.Error("export spells out empty values")
	}
}

func TestParseProgramReportsEveryProblem(t *testing.T) {
	const file = `format: skillgate-program/1
number: 1
status: draft
program:
  code: ma apprenticeship
  title: Test
  type: hybrid
  work_processes:
    - {code: CARE, title: Patient care, min_hours: 2000, max_hours: 1500}
  credential_types:
    - {code: BLS, name: Basic Life Support, validity_months: two years}
  competencies:
    - code: PHL-VENI
      title: Venipuncture
      domain: clinical
      checklist_version: 1
      checklist:
        - text: Verify identity
          critcal: true
        - text: ""
      performances: [{count: 10}]
      observed_by: {credentials: [RN, Nurse]}
      signed_off_by: {credentials: [RN]}
      prerequisites: [SAF-BBP]
      recency: 3
  tasks:
    - code: VENI
      title: Venipuncture
      category: clinical
      competencies: [PHL-VENI, PHL-CAP]
      credentials: [{credential: CPR}]
`
	v, err := ParseProgram([]byte(file))
	if v != nil {
		t.Fatal("a malformed file returned a program")
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	want := []Problem{
		{Line: 5, Column: 9, Path: "program.code", Message: `code "ma apprenticeship" must be`},
		{Line: 9, Column: 5, Path: "program.work_processes", Message: "the schedule totals 1500 on-the-job hours; an apprenticeable occupation needs at least 2000"},
		{Line: 9, Column: 69, Path: "program.work_processes[0].max_hours", Message: "a hybrid program needs an hour range"},
		{Line: 11, Column: 62, Path: "program.credential_types[0].validity_months", Message: `expected a whole number, found the value "two years"`},
		{Line: 19, Column: 11, Path: "program.competencies[0].checklist[0].critcal", Message: `unknown field "critcal"; the fields here are: text, critical`},
		{Line: 20, Column: 17, Path: "program.competencies[0].checklist[1].text", Message: "this text is missing"},
		{Line: 22, Column: 39, Path: "program.competencies[0].observed_by.credentials[1]", Message: `"Nurse" is not a known professional credential`},
		{Line: 24, Column: 23, Path: "program.competencies[0].prerequisites[0]", Message: `prerequisite "SAF-BBP" is not a competency of this program`},
		{Line: 25, Column: 16, Path: "program.competencies[0].recency", Message: "expected a set of fields"},
		{Line: 30, Column: 32, Path: "program.tasks[0].competencies[1]", Message: `"PHL-CAP" is not a competency of this program`},
		{Line: 31, Column: 34, Path: "program.tasks[0].credentials[0].credential", Message: `"CPR" is not a credential type of this program`},
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(ve.Problems), len(want), err)
	}
	for i := range min(len(want), len(ve.Problems)) {
		g, w := ve.Problems[i], want[i]
		if g.Line != w.Line || g.Column != w.Column || g.Path != w.Path || !strings.Contains(g.Message, w.Message) {
			t.Errorf("problem %d = %s\n             want %d:%d: %s: %s…", i, g, w.Line, w.Column, w.Path, w.Message)
		}
	}
}

func TestParseProgramRejects(t *testing.T) {
	valid, _ := ExportProgram(testVersion())
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "1:1: the file is empty"},
		{"syntax error", "format: x\n  program: [\n", "the file is not valid YAML"},
		{"not a mapping", "- a\n- b\n", "1:1: a program file is a set of fields"},
		{"missing format", "number: 1\n", "the format line is missing"},
		{"wrong format", "format: skillgate-program/9\n", `unsupported format "skillgate-program/9"`},
		{"two documents", string(valid) + "---\nformat: x\n", "more than one YAML document"},
		{"aliases", "format: skillgate-program/1\nnumber: &n 1\nstatus: draft\n", "anchors and aliases"},
		{"duplicate field", strings.Replace(string(valid), "status: draft\n", "status: draft\nstatus: published\n", 1), `field "status" appears more than once`},
		{"bad date time", strings.Replace(string(valid), "status: draft\n", "status: draft\npublished_at: yesterday\n", 1), "expected a date and time like 2026-03-14T09:30:00Z"},
		{"too big", "format: " + strings.Repeat("x", MaxFileSize), "program files may be at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseProgram([]byte(tt.file))
			if v != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseProgram = %v, %v; want error containing %q", v, err, tt.want)
			}
		})
	}
}

func FuzzParseProgram(f *testing.F) {
	shipped := MedicalAssistantProgramFile()
	f.Add(shipped)
	test, _ := ExportProgram(testVersion())
	f.Add(test)
	f.Add([]byte("format: skillgate-program/1\nnumber: 1\nstatus: draft\nprogram: {code: X, title: T, type: competency-based}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseProgram(data)
		if err != nil {
			if v != nil {
				t.Fatal("returned a program together with an error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		// Whatever parses is valid and survives a round trip.
		if err := v.Validate(); err != nil {
			t.Fatalf("parsed an invalid program: %v", err)
		}
		b, err := ExportProgram(v)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseProgram(b)
		if err != nil {
			t.Fatalf("re-import failed: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(again, v) {
			t.Fatalf("round trip changed the program:\n%s", b)
		}
	})
}
