package curriculum

import (
	"slices"
	"strings"
	"testing"
)

func TestMedicalAssistantProgramIsValid(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	p := &v.Program
	if p.Type != Hybrid || p.Code != "MA-APPR" || v.Status != Draft || v.Number != 1 {
		t.Errorf("program %s type %s version %d %s", p.Code, p.Type, v.Number, v.Status)
	}
	if _, err := Compile(v); err != nil {
		t.Fatal(err)
	}
	// Each call returns its own copy.
	again, _ := MedicalAssistantProgram()
	again.Program.Tasks[0].Title = "changed"
	if v.Program.Tasks[0].Title == "changed" {
		t.Error("MedicalAssistantProgram returned shared data")
	}
}

// domainTasks is DOMAIN.md's "Tasks an MA may be cleared for", item by
// item, with the task that covers it and a word its title or description
// must contain.
var domainTasks = []struct{ item, task, word string }{
	// Clinical
	{"vital signs: BP", "VITALS", "BP"},
	{"vital signs: temperature", "VITALS", "temperature"},
	{"vital signs: pulse", "VITALS", "pulse"},
	{"vital signs: respiration", "VITALS", "respiration"},
	{"vital signs: height", "VITALS", "height"},
	{"vital signs: weight", "VITALS", "weight"},
	{"vital signs: pediatric length", "VITALS", "pediatric length"},
	{"vital signs: head circumference", "VITALS", "head circumference"},
	{"vital signs: orthostatic vitals", "VITALS", "orthostatic"},
	{"vital signs: pulse oximetry", "VITALS", "pulse oximetry"},
	{"vital signs: peak flow", "VITALS", "peak flow"},
	{"hearing and vision screening", "SCREENING", "hearing and vision"},
	{"venipuncture", "VENIPUNCTURE", "venipuncture"},
	{"capillary (skin) puncture", "CAPILLARY", "capillary"},
	{"specimen collection and processing (urine, throat swab)", "SPECIMENS", "throat swab"},
	{"CLIA-waived POCT: urinalysis", "POCT-WAIVED", "urinalysis"},
	{"CLIA-waived POCT: rapid strep", "POCT-WAIVED", "rapid strep"},
	{"CLIA-waived POCT: blood glucose", "POCT-WAIVED", "blood glucose"},
	{"CLIA-waived POCT: urine pregnancy", "POCT-WAIVED", "urine pregnancy"},
	{"CLIA-waived POCT with QC and logs", "POCT-WAIVED", "QC and logs"},
	{"12-lead EKG", "EKG", "12-lead EKG"},
	{"spirometry", "SPIROMETRY", "spirometry"},
	{"intramuscular, subcutaneous and intradermal injections", "INJECTIONS", "intramuscular, subcutaneous and intradermal"},
	{"immunizations", "IMMUNIZE", "immunizations"},
	{"skin tests (PPD)", "SKIN-TESTS", "PPD"},
	{"medication administration (oral, inhaled)", "MEDICATIONS", "oral, inhaled"},
	{"pending prescription refills", "REFILLS", "prescription refills"},
	{"medication reconciliation", "MED-RECONCILE", "medication reconciliation"},
	{"wound care and dressing changes", "WOUND-CARE", "dressing changes"},
	{"suture and staple removal", "SUTURE-REMOVAL", "suture and staple"},
	{"ear irrigation", "EAR-IRRIGATION", "ear irrigation"},
	{"hot/cold compress", "COMPRESS", "hot and cold compress"},
	{"DME splints/orthoglass", "SPLINTING", "orthoglass"},
	{"assisting with pelvic exams", "PROCEDURE-ASSIST", "pelvic exams"},
	{"assisting with minor procedures (sterile field, passing instruments)", "PROCEDURE-ASSIST", "sterile field, passing instruments"},
	{"oxygen delivery checks", "OXYGEN", "oxygen delivery"},
	{"autoclave sterilization and spore testing", "AUTOCLAVE", "spore testing"},
	{"refrigerator/freezer temperature monitoring", "COLD-CHAIN", "temperature monitoring"},
	{"gait-training instruction", "GAIT-TRAINING", "gait-training"},
	// Administrative
	{"scheduling", "SCHEDULING", "scheduling"},
	{"check-in/out", "CHECK-IN-OUT", "check-in"},
	{"insurance verification", "INSURANCE", "insurance verification"},
	{"prior authorization", "INSURANCE", "prior authorization"},
	{"referrals", "REFERRALS", "referrals"},
	{"EHR documentation", "EHR-NOTES", "EHR documentation"},
	{"in-basket messages", "IN-BASKET", "in-basket"},
	{"normal-result letters and call-backs", "RESULT-LETTERS", "normal-result letters and call-backs"},
	{"ICD-10/CPT coding support", "CODING", "ICD-10 and CPT"},
	{"supply inventory", "SUPPLIES", "supply inventory"},
	// Safety and conduct
	{"infection control and PPE", "INFECTION-CTRL", "infection control and PPE"},
	{"HIPAA", "HIPAA", "HIPAA"},
	{"OSHA bloodborne pathogens", "BBP", "bloodborne pathogens"},
	{"emergency response within competency", "EMERGENCY", "emergency response"},
}

func TestMedicalAssistantProgramCoversEveryDomainTask(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range domainTasks {
		task := v.Program.Task(dt.task)
		if task == nil {
			t.Errorf("%s: task %s missing", dt.item, dt.task)
			continue
		}
		text := strings.ToLower(task.Title + " " + task.Description)
		if !strings.Contains(text, strings.ToLower(dt.word)) {
			t.Errorf("%s: task %s (%q) does not mention %q", dt.item, dt.task, task.Title, dt.word)
		}
	}
}

func TestMedicalAssistantProgramNumbers(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	p := &v.Program

	// Colorado schedule: 4,000 hours at the top of the range.
	maxTotal, minTotal := 0, 0
	for _, w := range p.WorkProcesses {
		maxTotal += w.MaxHours
		minTotal += w.MinHours
	}
	if maxTotal != 4000 || minTotal < MinOJLHours {
		t.Errorf("work processes total %d–%d hours, want up to 4000 and at least %d", minTotal, maxTotal, MinOJLHours)
	}
	if wp := p.WorkProcesses[3]; wp.Code != "PT-CARE" || wp.MaxHours != 2000 {
		t.Errorf("patient care work process = %+v, want 2000 hours", wp)
	}
	perYear := map[int]int{}
	for _, c := range p.RTICourses {
		perYear[c.Year] += c.Hours
	}
	if perYear[1] != 144 || perYear[2] != 144 {
		t.Errorf("RTI hours per year = %v, want 144 each", perYear)
	}

	// California minimum counts.
	counts := func(code string) map[string]int {
		out := map[string]int{}
		for _, pr := range p.Competency(code).Performances {
			out[pr.Variant] = pr.Count
		}
		return out
	}
	for code, want := range map[string]map[string]int{
		"INJ":      {"IM": 10, "SUBQ": 10, "ID": 10},
		"MED-PPD":  {"": 10},
		"PHL-VENI": {"": 10},
		"PHL-CAP":  {"": 10},
	} {
		if got := counts(code); !mapsEqual(got, want) {
			t.Errorf("%s counts = %v, want %v", code, got, want)
		}
	}

	// California training hours: 10 clock hours in venipuncture and skin
	// puncture, and 10 in injections and skin tests.
	for code, course := range map[string]string{"PHL-VENI": "PHLEB", "PHL-CAP": "PHLEB", "INJ": "PHARM-INJ", "MED-PPD": "PHARM-INJ"} {
		th := p.Competency(code).TrainingHours
		if th == nil || th.Hours != 10 || !slices.Equal(th.RTICourses, []string{course}) || len(th.WorkProcesses) != 0 {
			t.Errorf("%s training hours = %+v, want 10 from %s", code, th, course)
		}
	}

	// Re-verification rules.
	refill := p.Competency("MED-REFILL")
	if refill.Reverification.Kind != EveryMonths || refill.Reverification.Months != 12 {
		t.Errorf("refills re-verification = %+v, want every 12 months", refill.Reverification)
	}
	if !slices.Equal(refill.SignedOffBy.Credentials, []ProfessionalCredential{MD, DO, NP, PA, RN, LPN}) {
		t.Errorf("refill signers = %v, want licensed physician, advanced practitioner or licensed nurse", refill.SignedOffBy.Credentials)
	}
	if p.Task("REFILLS").DirectSupervision != DirectNever {
		t.Error("refills should have no supervised level")
	}
	clia := p.Competency("LAB-NONWAIVED")
	if r := clia.Reverification; r.Kind != EveryMonths || r.Months != 12 || !slices.Equal(r.FirstMonths, []int{6, 12}) || clia.Coverage == nil || clia.Coverage.Mode != CoverAll || !slices.Equal(clia.Coverage.Items, CLIAElements) {
		t.Errorf("non-waived testing: %+v coverage %+v, want 6 and 12 months after the initial sign-off, then every 12 months, with all six elements", clia.Reverification, clia.Coverage)
	}
	waived := p.Competency("LAB-WAIVED")
	if waived.Reverification.Months != 12 || waived.Coverage == nil || waived.Coverage.Mode != CoverAny || waived.Coverage.Min != 2 || !slices.Equal(waived.Coverage.Items, WaivedTestingMethods) {
		t.Errorf("waived testing: %+v coverage %+v, want yearly, any 2 of 4 methods", waived.Reverification, waived.Coverage)
	}
	if r := p.Competency("PHL-VENI"); r.Reverification.Kind != JointCommission || r.Recency == nil || r.Recency.Months != 3 {
		t.Errorf("venipuncture: %+v recency %+v, want Joint Commission and every 3 months", r.Reverification, r.Recency)
	}
	for _, c := range p.Competencies {
		for _, cred := range c.SignedOffBy.Credentials {
			if c.Domain != Administrative && c.Code != "SAF-HIPAA" && (cred == CMA || cred == RMA || cred == CCMA) {
				t.Errorf("%s may be signed off by %s; clinical sign-off needs a licensed professional", c.Code, cred)
			}
		}
	}

	// BLS: 24 months through end of month, within 90 days of hire for
	// direct patient care.
	bls := p.CredentialType("BLS")
	if bls == nil || bls.ValidityMonths != 24 || !bls.ValidThroughEndOfMonth {
		t.Errorf("BLS type = %+v", bls)
	}
	for _, code := range []string{"CMA", "RMA", "CCMA", "CPT"} {
		if p.CredentialType(code) == nil {
			t.Errorf("credential type %s missing", code)
		}
	}
	for _, code := range []string{"VITALS", "VENIPUNCTURE", "INJECTIONS", "IMMUNIZE", "EKG", "WOUND-CARE", "EMERGENCY"} {
		task := p.Task(code)
		if !slices.Contains(task.Credentials, CredentialRequirement{Credential: "BLS", WithinDaysOfHire: 90}) {
			t.Errorf("%s lacks BLS within 90 days of hire: %+v", code, task.Credentials)
		}
	}
	for _, code := range []string{"SCHEDULING", "CODING", "REFILLS"} {
		if len(p.Task(code).Credentials) != 0 {
			t.Errorf("%s is not direct patient care but requires %+v", code, p.Task(code).Credentials)
		}
	}
	// Venipuncture's checklist has real, critical steps.
	var critical []string
	for _, s := range p.Competency("PHL-VENI").Checklist {
		if s.Critical {
			critical = append(critical, s.Text)
		}
	}
	for _, want := range []string{"two identifiers", "no more than 1 minute", "order of draw", "Releases the tourniquet before withdrawing", "sharps container", "Labels the tubes at the bedside"} {
		if !slices.ContainsFunc(critical, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no critical venipuncture step mentions %q", want)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A new MA's first weeks, evaluated against the shipped program.
func TestMedicalAssistantProgramScenario(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	rules := mustCompile(t, v)
	e := Evidence{
		HireDate: d("2026-10-22"),
		KnowledgeTests: []KnowledgeResult{
			{Competency: "SAF-BBP", Score: 92, TakenOn: d("2026-10-23")},
			{Competency: "SAF-INFECT", Score: 88, TakenOn: d("2026-10-23")},
			{Competency: "PHL-VENI", Score: 84, TakenOn: d("2026-11-02")},
		},
		Performances: slices.Concat(
			perfs("SAF-BBP", "", "2026-10-24", 1, true),
			perfs("SAF-INFECT", "", "2026-10-24", 3, true),
			perfs("PHL-VENI", "", "2026-11-03", 6, true),
		),
		SignOffs: []SignOff{initial("SAF-BBP", "2026-10-26"), initial("SAF-INFECT", "2026-10-26")},
		Hours: []HoursRecord{
			{Kind: RTIHours, Code: "PHLEB", WorkedOn: d("2026-11-04"), Minutes: 120, RecordedOn: d("2026-11-05")},
			// Another course's hours are not venipuncture training.
			{Kind: RTIHours, Code: "MED-TERM", WorkedOn: d("2026-11-04"), Minutes: 600, RecordedOn: d("2026-11-05")},
		},
	}
	got, err := rules.EvaluateTask(&e, "VENIPUNCTURE", d("2026-11-20"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != DirectSupervision {
		t.Fatalf("venipuncture = %s: %q", got.Status, got.Messages())
	}
	want := []string{
		"BLS missing, within grace until 2027-01-20",
		"Venipuncture: 6 of 10 observed performances",
		"Venipuncture: 2 of 10 clock hours of training approved (Phlebotomy and specimen collection)",
		"Venipuncture: not signed off",
	}
	if !slices.Equal(got.Messages(), want) {
		t.Errorf("messages = %q, want %q", got.Messages(), want)
	}
	if got.LapsesOn.String() != "2027-01-21" {
		t.Errorf("lapses on %s, want 2027-01-21 (grace ends)", got.LapsesOn)
	}
	if steps := got.NextSteps(); !slices.Equal(steps, []string{
		"Complete 4 more successful observed performances of Venipuncture",
		"Complete 8 more clock hours of training for Venipuncture (Phlebotomy and specimen collection) and have them approved",
		"Get Venipuncture signed off by an MD, DO, NP, PA, RN or LPN",
	}) {
		t.Errorf("next steps = %q", steps)
	}
}
