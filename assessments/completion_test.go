package assessments

import (
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// smallEnv is an enrollment in a small competency-based program: one
// knowledge-only competency (HIPAA), 2 on-the-job hours of orientation, a
// 1-hour course, and a task that needs BLS (90 days' grace after hire).
func smallEnv(t *testing.T) *env {
	t.Helper()
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	p := &v.Program
	p.Type = curriculum.CompetencyBased
	p.Competencies = []curriculum.Competency{*p.Competency("SAF-HIPAA")}
	p.Tasks = []curriculum.Task{{Code: "FRONT", Title: "Front desk", Category: curriculum.Administrative, Competencies: []string{"SAF-HIPAA"},
		Credentials: []curriculum.CredentialRequirement{{Credential: "BLS", WithinDaysOfHire: 90}}}}
	p.WorkProcesses = []curriculum.WorkProcess{{Code: "ORIENT", Title: "Orientation", MinHours: 2, MaxHours: 4}}
	p.RTICourses = []curriculum.RTICourse{{Code: "LAW", Title: "Law and ethics", Hours: 1}}
	p.WageSchedule, p.Evaluations = nil, nil // they name competencies left out
	if err := v.Publish(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	rules, err := curriculum.Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := NewProgramVersion("ver-small", rules)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.pv, e.enr.Version, e.enr.VersionID = pv, pv, pv.ID
	return e
}

// TestCompletionNeedsEveryRequirement: the director's completion is
// refused while anything is left, naming each item (not signed off, hours
// short with those waiting, BLS missing even inside its grace period), and
// signed once all is met: the meaning, the completion date in the
// organisation's zone and a hash that verifies and breaks on any change.
// Nobody else signs it: not a preceptor, not the apprentice.
func TestCompletionNeedsEveryRequirement(t *testing.T) {
	e := smallEnv(t)
	day := d("2026-03-02")
	req := CompletionRequest{ApprenticeName: apprentice.Name, AuthMethod: "password"}

	_, err := CheckCompletion(req, director, e.recs, at(day))
	wantErr(t, err, ErrRequirementsNotMet)
	for _, want := range []string{"HIPAA privacy and security (SAF-HIPAA): not signed off", "On-the-job learning, Orientation: 0 of 2 hours approved",
		"Related instruction, Law and ethics: 0 of 1 hours approved", "Credential Basic Life Support (AHA or equivalent) (BLS): none on file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	e.complete("SAF-HIPAA", day)
	e.hours(OJL, "ORIENT", day, 2*MinutesPerHour, HoursApproved)
	e.hours(RTI, "LAW", day, 30, HoursApproved)
	e.hours(RTI, "LAW", day, 30, HoursPending)
	e.recs.Credentials = []curriculum.CredentialRecord{{ID: "bls-1", Type: "BLS", IssuedOn: d("2026-01-10"), RecordedOn: d("2026-01-10"), Verified: true, VerifiedOn: d("2026-01-10")}}
	_, err = CheckCompletion(req, director, e.recs, at(day))
	wantErr(t, err, ErrRequirementsNotMet)
	if got := Outstanding(e.recs, at(day)); len(got) != 1 || got[0] != "Related instruction, Law and ethics: 0.5 of 1 hours approved (0.5 waiting for approval)" {
		t.Fatalf("outstanding with half the course approved: %q", got)
	}
	e.recs.Hours[len(e.recs.Hours)-1].Status = HoursApproved

	for _, who := range []Actor{nurse, {ID: apprentice.ID, Name: apprentice.Name, Director: true}} {
		if _, err := CheckCompletion(req, who, e.recs, at(day)); err == nil {
			t.Errorf("%s completed the apprenticeship", who.Name)
		}
	}
	// 23:30 in New York is the next day in UTC: the completion date is
	// the organisation's day.
	late := day.Time(curriculum.DefaultLocation()).Add(23*time.Hour + 30*time.Minute)
	c, err := CheckCompletion(req, director, e.recs, late)
	wantErr(t, err, nil)
	if c.CompletedOn != day || c.TimeZone != "America/New_York" || c.PrintedName != director.Name || c.AuthMethod != "password" ||
		c.Meaning != "I attest, as program director, that Ana Alvarez has met every requirement of "+e.pv.Program().Title+" version 1 and has completed the apprenticeship" {
		t.Fatalf("completion: %+v", c)
	}
	wantErr(t, VerifyCompletion(c), nil)
	other := *c
	other.ApprenticeID = "app-2"
	wantErr(t, VerifyCompletion(&other), ErrSignatureMismatch)

	if err := e.enr.ChangeStatus(EnrollmentCompleted); err == nil {
		t.Fatal("a plain status change completed the enrollment")
	}
	wantErr(t, e.enr.Complete(), nil)
	_, err = CheckCompletion(req, director, e.recs, late)
	wantErr(t, err, ErrIllegalTransition)
}
