package server

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Transcribing historical paper evidence: a program director or HR types
// in observations from paper checklists, self-logs countersigned on
// paper, hours approved on paper, tests graded on paper and paper
// sign-offs, each dated the day on the paper, optionally with the scanned
// page, and marked "transcribed from paper" wherever it is shown.
// Apprentices and preceptors may not (the transcribers policy). Scanned
// pages are downloaded by staff of the enrollment's site only.

type transcribeView struct {
	Apprentice *accounts.Person
	Enrollment *assessments.Enrollment
	Program    *curriculum.Program
	URL        string
	Today      curriculum.Date
	// Keys: one idempotency key per form.
	Keys [5]string
	// Observed are the competencies with observed performances, Tested
	// those with a knowledge test; Paper the codes whose program allows
	// paper sign-offs to count.
	Observed, Tested []curriculum.Competency
	Paper            []string
	Credentials      []curriculum.ProfessionalCredential
	MaxScanMB        int
}

// transcribePage shows the transcription forms.
func (s *Server) transcribePage(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	prog := rec.Enrollment.Version.Program()
	v := transcribeView{Apprentice: p, Enrollment: rec.Enrollment, Program: prog, URL: "/enrollments/" + url.PathEscape(rec.Enrollment.ID),
		Today: rec.Enrollment.Version.Day(s.now()), Credentials: curriculum.ProfessionalCredentials, MaxScanMB: credentials.MaxFileSize >> 20}
	for i := range v.Keys {
		v.Keys[i] = newKey()
	}
	for _, comp := range prog.Competencies {
		if len(comp.Performances) > 0 {
			v.Observed = append(v.Observed, comp)
		}
		if comp.KnowledgeTest != nil {
			v.Tested = append(v.Tested, comp)
		}
		if comp.AllowsPaperSignOffs() {
			v.Paper = append(v.Paper, comp.Title+" ("+comp.Code+")")
		}
	}
	return s.render(c, fiber.StatusOK, "transcribe", Page{Title: "Transcribe paper records: " + p.Name, Nav: "clearance", Data: v})
}

// transcribed is a transcription form's handler: the enrollment, the
// scanned page if one was chosen, the record saved by save, and back to
// the progress page at the competency (or the hours).
func (s *Server) transcribed(c *fiber.Ctx, date string, save func(rec *assessments.Records, by assessments.Actor, on curriculum.Date, scan *evidence.Upload) (anchor string, err error)) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	on, err := formDate(c, date)
	if err != nil {
		return err
	}
	var scan *evidence.Upload
	if fh, ferr := c.FormFile("scan"); ferr == nil && (fh.Filename != "" || fh.Size > 0) {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		scan = &evidence.Upload{Name: fh.Filename, Data: f}
	}
	anchor, err := save(rec, evidence.ActorOf(currentUser(c)), on, scan)
	if err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=transcribed#"+url.PathEscape(anchor), fiber.StatusSeeOther)
}

// transcribeObservation records an observation from a paper checklist.
func (s *Server) transcribeObservation(c *fiber.Ctx) error {
	return s.transcribed(c, "performed_on", func(rec *assessments.Records, by assessments.Actor, on curriculum.Date, scan *evidence.Upload) (string, error) {
		req := assessments.TranscriptionRequest{IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"),
			Variant: strings.TrimSpace(c.FormValue("variant")), PerformedOn: on, Successful: c.FormValue("successful") == "yes",
			AttestedBy: c.FormValue("attested_by"), AttesterCredential: curriculum.ProfessionalCredential(c.FormValue("attester_credential")),
			SourceNote: c.FormValue("source_note")}
		_, _, err := s.evidence.Transcribe(c.UserContext(), rec, by, req, scan)
		return "c-" + req.Competency, err
	})
}

// transcribeSelfLog records a self-logged performance countersigned on
// paper.
func (s *Server) transcribeSelfLog(c *fiber.Ctx) error {
	return s.transcribed(c, "performed_on", func(rec *assessments.Records, by assessments.Actor, on curriculum.Date, scan *evidence.Upload) (string, error) {
		req := assessments.PaperSelfLogRequest{IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"),
			Variant: strings.TrimSpace(c.FormValue("variant")), PerformedOn: on, AttestedBy: c.FormValue("attested_by"),
			AttesterCredential: curriculum.ProfessionalCredential(c.FormValue("attester_credential")), SourceNote: c.FormValue("source_note")}
		_, _, err := s.evidence.TranscribeSelfLog(c.UserContext(), rec, by, req, scan)
		return "c-" + req.Competency, err
	})
}

// transcribeHours records hours approved on paper.
func (s *Server) transcribeHours(c *fiber.Ctx) error {
	return s.transcribed(c, "worked_on", func(rec *assessments.Records, by assessments.Actor, on curriculum.Date, scan *evidence.Upload) (string, error) {
		m, err := assessments.ParseHours(c.FormValue("hours"))
		if err != nil {
			return "", err
		}
		kind, code, _ := strings.Cut(c.FormValue("code"), ":")
		req := assessments.PaperHoursRequest{IdempotencyKey: c.FormValue("key"), Kind: assessments.HoursKind(kind), Code: code, WorkedOn: on,
			Minutes: m, AttestedBy: c.FormValue("attested_by"), SourceNote: c.FormValue("source_note")}
		_, _, err = s.evidence.TranscribeHours(c.UserContext(), rec, by, req, scan)
		return "hours", err
	})
}

// transcribeTest records a knowledge test graded on paper.
func (s *Server) transcribeTest(c *fiber.Ctx) error {
	return s.transcribed(c, "taken_on", func(rec *assessments.Records, by assessments.Actor, on curriculum.Date, scan *evidence.Upload) (string, error) {
		score, err := formScore(c)
		if err != nil {
			return "", err
		}
		req := assessments.PaperTestRequest{IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"), Score: score,
			TakenOn: on, AttestedBy: c.FormValue("attested_by"), SourceNote: c.FormValue("source_note")}
		_, _, err = s.evidence.TranscribeTest(c.UserContext(), rec, by, req, scan)
		return "c-" + req.Competency, err
	})
}

// transcribeSignOff records a sign-off signed on paper.
func (s *Server) transcribeSignOff(c *fiber.Ctx) error {
	return s.transcribed(c, "signed_on", func(rec *assessments.Records, by assessments.Actor, on curriculum.Date, scan *evidence.Upload) (string, error) {
		req := assessments.PaperSignOffRequest{IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"),
			Kind: curriculum.SignOffKind(c.FormValue("kind")), SignedOn: on, PrintedName: c.FormValue("printed_name"),
			Credential: curriculum.ProfessionalCredential(c.FormValue("credential")), SourceNote: c.FormValue("source_note")}
		_, _, err := s.evidence.TranscribePaperSignOff(c.UserContext(), rec, by, req, scan)
		return "c-" + req.Competency, err
	})
}

// revokePaper records a director's revocation of a paper sign-off.
func (s *Server) revokePaper(c *fiber.Ctx) error {
	return s.revokeWith(c, func(rec *assessments.Records, by assessments.Actor, req assessments.RevocationRequest) error {
		_, _, err := s.evidence.RevokePaper(c.UserContext(), rec, c.Params("ps"), by, req)
		return err
	})
}

// scanFile serves the scanned page of a transcribed record to staff of
// the enrollment's site, as an attachment with its detected type; the
// download is audited. Anyone else gets 404, as for no scan.
func (s *Server) scanFile(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	if !canSeeScans(currentUser(c), rec.Enrollment) {
		return errNotFound
	}
	sc, err := s.evidence.Store.DownloadScan(c.UserContext(), rec.Enrollment.ID, c.Params("rid"), currentUser(c).ID)
	if errors.Is(err, db.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, sc.ContentType)
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(sc.DownloadName()))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(sc.Data)
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
