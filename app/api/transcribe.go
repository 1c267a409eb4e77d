package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Historical paper evidence, typed in by directors and HR
// (access.Transcribers): an observation from a paper checklist, and a
// sign-off signed on paper. Both are marked transcribed from paper.

type transcriptionBody struct {
	IdempotencyKey     string          `json:"idempotency_key"`
	Competency         string          `json:"competency"`
	Variant            string          `json:"variant"`
	PerformedOn        curriculum.Date `json:"performed_on"`
	Successful         bool            `json:"successful"`
	AttestedBy         string          `json:"attested_by"`
	AttesterCredential string          `json:"attester_credential"`
	SourceNote         string          `json:"source_note"`
}

func (a *API) transcribe(c *fiber.Ctx) error {
	rec, _, err := a.scope.VisibleEnrollment(c)
	if err != nil {
		return err
	}
	var b transcriptionBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with the fields of a transcribed observation (dates as YYYY-MM-DD)."})
	}
	o, replayed, err := a.evidence.Transcribe(c.UserContext(), rec, evidence.ActorOf(request.User(c)), assessments.TranscriptionRequest{
		IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Variant: b.Variant, PerformedOn: b.PerformedOn, Successful: b.Successful,
		AttestedBy: b.AttestedBy, AttesterCredential: curriculum.ProfessionalCredential(b.AttesterCredential), SourceNote: b.SourceNote})
	if err != nil {
		return err
	}
	return created(c, replayed, o)
}

type paperSignOffBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Competency     string          `json:"competency"`
	Kind           string          `json:"kind"`
	SignedOn       curriculum.Date `json:"signed_on"`
	PrintedName    string          `json:"printed_name"`
	Credential     string          `json:"credential"`
	SourceNote     string          `json:"source_note"`
}

// paperSignOffJSON is a paper sign-off with whether it counts in the
// enrollment's program.
type paperSignOffJSON struct {
	assessments.PaperSignOff
	Counts bool `json:"counts"`
}

func (a *API) paperSignOff(c *fiber.Ctx) error {
	rec, _, err := a.scope.VisibleEnrollment(c)
	if err != nil {
		return err
	}
	var b paperSignOffBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with the fields of a paper sign-off (dates as YYYY-MM-DD)."})
	}
	p, replayed, err := a.evidence.TranscribePaperSignOff(c.UserContext(), rec, evidence.ActorOf(request.User(c)), assessments.PaperSignOffRequest{
		IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Kind: curriculum.SignOffKind(b.Kind), SignedOn: b.SignedOn,
		PrintedName: b.PrintedName, Credential: curriculum.ProfessionalCredential(b.Credential), SourceNote: b.SourceNote})
	if err != nil {
		return err
	}
	return created(c, replayed, paperSignOffJSON{PaperSignOff: p, Counts: p.Counts(rec.Enrollment.Version)})
}
