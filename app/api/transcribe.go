package api

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Historical paper evidence, typed in by directors and HR
// (access.Transcribers): observations from paper checklists, self-logs
// countersigned on paper, hours approved on paper, tests graded on paper,
// and sign-offs signed on paper, each with an optional scanned page (scan,
// base64). All are marked transcribed from paper. Directors revoke paper
// sign-offs as they revoke electronic ones.

// scanBody is a scanned page sent with a transcription.
type scanBody struct {
	Name    string `json:"name"`
	Content []byte `json:"content"`
}

// upload is the scan as the service takes it (nil: none sent).
func (b *scanBody) upload() *evidence.Upload {
	if b == nil {
		return nil
	}
	return &evidence.Upload{Name: b.Name, Data: bytes.NewReader(b.Content)}
}

// transcribed parses a transcription's body into b and answers the record
// the service made.
func transcribed[B, T any](a *API, c *fiber.Ctx, what string, save func(rec *assessments.Records, by assessments.Actor, b *B) (T, bool, error)) error {
	rec, _, err := a.scope.VisibleEnrollment(c)
	if err != nil {
		return err
	}
	b := new(B)
	if err := c.BodyParser(b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with the fields of " + what + " (dates as YYYY-MM-DD, scan.content in base64)."})
	}
	out, replayed, err := save(rec, evidence.ActorOf(request.User(c)), b)
	if err != nil {
		return err
	}
	return created(c, replayed, out)
}

type transcriptionBody struct {
	IdempotencyKey     string          `json:"idempotency_key"`
	Competency         string          `json:"competency"`
	Variant            string          `json:"variant"`
	PerformedOn        curriculum.Date `json:"performed_on"`
	Successful         bool            `json:"successful"`
	AttestedBy         string          `json:"attested_by"`
	AttesterCredential string          `json:"attester_credential"`
	SourceNote         string          `json:"source_note"`
	Scan               *scanBody       `json:"scan"`
}

func (a *API) transcribe(c *fiber.Ctx) error {
	return transcribed(a, c, "a transcribed observation", func(rec *assessments.Records, by assessments.Actor, b *transcriptionBody) (assessments.Observation, bool, error) {
		return a.evidence.Transcribe(c.UserContext(), rec, by, assessments.TranscriptionRequest{
			IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Variant: b.Variant, PerformedOn: b.PerformedOn, Successful: b.Successful,
			AttestedBy: b.AttestedBy, AttesterCredential: curriculum.ProfessionalCredential(b.AttesterCredential), SourceNote: b.SourceNote}, b.Scan.upload())
	})
}

func (a *API) transcribeSelfLog(c *fiber.Ctx) error {
	return transcribed(a, c, "a transcribed self-log", func(rec *assessments.Records, by assessments.Actor, b *transcriptionBody) (assessments.SelfLog, bool, error) {
		return a.evidence.TranscribeSelfLog(c.UserContext(), rec, by, assessments.PaperSelfLogRequest{
			IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Variant: b.Variant, PerformedOn: b.PerformedOn,
			AttestedBy: b.AttestedBy, AttesterCredential: curriculum.ProfessionalCredential(b.AttesterCredential), SourceNote: b.SourceNote}, b.Scan.upload())
	})
}

type paperHoursBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Kind           string          `json:"kind"`
	Code           string          `json:"code"`
	WorkedOn       curriculum.Date `json:"worked_on"`
	Minutes        int             `json:"minutes"`
	AttestedBy     string          `json:"attested_by"`
	SourceNote     string          `json:"source_note"`
	Scan           *scanBody       `json:"scan"`
}

func (a *API) transcribeHours(c *fiber.Ctx) error {
	return transcribed(a, c, "transcribed hours", func(rec *assessments.Records, by assessments.Actor, b *paperHoursBody) (assessments.HoursEntry, bool, error) {
		return a.evidence.TranscribeHours(c.UserContext(), rec, by, assessments.PaperHoursRequest{
			IdempotencyKey: b.IdempotencyKey, Kind: assessments.HoursKind(b.Kind), Code: b.Code, WorkedOn: b.WorkedOn,
			Minutes: assessments.Minutes(b.Minutes), AttestedBy: b.AttestedBy, SourceNote: b.SourceNote}, b.Scan.upload())
	})
}

type paperTestBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Competency     string          `json:"competency"`
	Score          float64         `json:"score"`
	TakenOn        curriculum.Date `json:"taken_on"`
	AttestedBy     string          `json:"attested_by"`
	SourceNote     string          `json:"source_note"`
	Scan           *scanBody       `json:"scan"`
}

func (a *API) transcribeTest(c *fiber.Ctx) error {
	return transcribed(a, c, "a transcribed test result", func(rec *assessments.Records, by assessments.Actor, b *paperTestBody) (assessments.TestResult, bool, error) {
		return a.evidence.TranscribeTest(c.UserContext(), rec, by, assessments.PaperTestRequest{
			IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Score: b.Score, TakenOn: b.TakenOn,
			AttestedBy: b.AttestedBy, SourceNote: b.SourceNote}, b.Scan.upload())
	})
}

type paperSignOffBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Competency     string          `json:"competency"`
	Kind           string          `json:"kind"`
	SignedOn       curriculum.Date `json:"signed_on"`
	PrintedName    string          `json:"printed_name"`
	Credential     string          `json:"credential"`
	SourceNote     string          `json:"source_note"`
	Scan           *scanBody       `json:"scan"`
}

// paperSignOffJSON is a paper sign-off with whether it counts in the
// enrollment's program and its revocation, if any.
type paperSignOffJSON struct {
	assessments.PaperSignOff
	Counts     bool                    `json:"counts"`
	Revocation *assessments.Revocation `json:"revocation"`
}

func (a *API) paperSignOff(c *fiber.Ctx) error {
	return transcribed(a, c, "a paper sign-off", func(rec *assessments.Records, by assessments.Actor, b *paperSignOffBody) (paperSignOffJSON, bool, error) {
		p, replayed, err := a.evidence.TranscribePaperSignOff(c.UserContext(), rec, by, assessments.PaperSignOffRequest{
			IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Kind: curriculum.SignOffKind(b.Kind), SignedOn: b.SignedOn,
			PrintedName: b.PrintedName, Credential: curriculum.ProfessionalCredential(b.Credential), SourceNote: b.SourceNote}, b.Scan.upload())
		return paperSignOffJSON{PaperSignOff: p, Counts: p.Counts(rec.Enrollment.Version)}, replayed, err
	})
}

func (a *API) revokePaper(c *fiber.Ctx) error {
	return transcribed(a, c, "a revocation: idempotency_key, reason and effective_on", func(rec *assessments.Records, by assessments.Actor, b *revocationBody) (assessments.Revocation, bool, error) {
		return a.evidence.RevokePaper(c.UserContext(), rec, c.Params("ps"), by,
			assessments.RevocationRequest{IdempotencyKey: b.IdempotencyKey, Reason: b.Reason, EffectiveOn: b.EffectiveOn})
	})
}
