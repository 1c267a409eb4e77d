package server

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Transcribing historical paper evidence: a program director or HR types
// in observations from paper checklists and paper sign-offs, each dated
// the day on the paper and marked "transcribed from paper" wherever it is
// shown. Apprentices and preceptors may not (the transcribers policy).

type transcribeView struct {
	Apprentice *accounts.Person
	Enrollment *assessments.Enrollment
	Program    *curriculum.Program
	URL        string
	Today      curriculum.Date
	Key, Key2  string
	// Observed are the competencies with observed performances; Paper the
	// codes whose program allows paper sign-offs to count.
	Observed    []curriculum.Competency
	Paper       []string
	Credentials []curriculum.ProfessionalCredential
}

// transcribePage shows the two transcription forms.
func (s *Server) transcribePage(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	prog := rec.Enrollment.Version.Program()
	v := transcribeView{Apprentice: p, Enrollment: rec.Enrollment, Program: prog, URL: "/enrollments/" + url.PathEscape(rec.Enrollment.ID),
		Today: rec.Enrollment.Version.Day(s.now()), Key: newKey(), Key2: newKey(), Credentials: curriculum.ProfessionalCredentials}
	for _, comp := range prog.Competencies {
		if len(comp.Performances) > 0 {
			v.Observed = append(v.Observed, comp)
		}
		if comp.AllowsPaperSignOffs() {
			v.Paper = append(v.Paper, comp.Title+" ("+comp.Code+")")
		}
	}
	return s.render(c, fiber.StatusOK, "transcribe", Page{Title: "Transcribe paper records: " + p.Name, Nav: "clearance", Data: v})
}

// transcribeObservation records an observation from a paper checklist.
func (s *Server) transcribeObservation(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	on, err := formDate(c, "performed_on")
	if err != nil {
		return err
	}
	req := assessments.TranscriptionRequest{IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"),
		Variant: strings.TrimSpace(c.FormValue("variant")), PerformedOn: on, Successful: c.FormValue("successful") == "yes",
		AttestedBy: c.FormValue("attested_by"), AttesterCredential: curriculum.ProfessionalCredential(c.FormValue("attester_credential")),
		SourceNote: c.FormValue("source_note")}
	if _, _, err := s.evidence.Transcribe(c.UserContext(), rec, evidence.ActorOf(currentUser(c)), req); err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=transcribed#c-"+url.PathEscape(req.Competency), fiber.StatusSeeOther)
}

// transcribeSignOff records a sign-off signed on paper.
func (s *Server) transcribeSignOff(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	on, err := formDate(c, "signed_on")
	if err != nil {
		return err
	}
	req := assessments.PaperSignOffRequest{IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"),
		Kind: curriculum.SignOffKind(c.FormValue("kind")), SignedOn: on, PrintedName: c.FormValue("printed_name"),
		Credential: curriculum.ProfessionalCredential(c.FormValue("credential")), SourceNote: c.FormValue("source_note")}
	if _, _, err := s.evidence.TranscribePaperSignOff(c.UserContext(), rec, evidence.ActorOf(currentUser(c)), req); err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=transcribed#c-"+url.PathEscape(req.Competency), fiber.StatusSeeOther)
}

// formDate reads a YYYY-MM-DD field; empty is the zero date (the rules
// then say it is required).
func formDate(c *fiber.Ctx, name string) (curriculum.Date, error) {
	raw := strings.TrimSpace(c.FormValue(name))
	if raw == "" {
		return curriculum.Date{}, nil
	}
	d, err := curriculum.ParseDate(raw)
	if err != nil {
		return curriculum.Date{}, badInput(map[string]string{name: "Give the date as YYYY-MM-DD (for example 2024-03-14)."})
	}
	return d, nil
}
