package api

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/errkind"
)

type enrollmentJSON struct {
	ID           string          `json:"id"`
	ApprenticeID string          `json:"apprentice_id"`
	VersionID    string          `json:"version_id"`
	SiteID       string          `json:"site_id"`
	HireDate     curriculum.Date `json:"hire_date"`
	StartDate    curriculum.Date `json:"start_date"`
	Status       string          `json:"status"`
	PreceptorIDs []string        `json:"preceptor_ids"`
}

func toEnrollmentJSON(e *assessments.Enrollment) enrollmentJSON {
	ids := e.PreceptorIDs
	if ids == nil {
		ids = []string{}
	}
	return enrollmentJSON{ID: e.ID, ApprenticeID: e.ApprenticeID, VersionID: e.VersionID, SiteID: e.SiteID, HireDate: e.HireDate,
		StartDate: e.StartDate, Status: string(e.Status), PreceptorIDs: ids}
}

func (a *API) enrollments(c *fiber.Ctx) error {
	person := c.Query("person")
	if person == "" {
		return errkind.BadFields(map[string]string{"person": "Give the person's id (?person=…)."})
	}
	p, err := a.scope.VisiblePerson(c, person)
	if err != nil {
		return err
	}
	ens, err := a.evidence.Store.Enrollments(c.UserContext(), evidence.EnrollmentFilter{ApprenticeIDs: []string{p.ID}})
	if err != nil {
		return err
	}
	ens = access.VisibleEnrollments(request.User(c), ens)
	out := make([]enrollmentJSON, len(ens))
	for i := range ens {
		out[i] = toEnrollmentJSON(&ens[i])
	}
	return c.JSON(fiber.Map{"enrollments": out})
}

func (a *API) enroll(c *fiber.Ctx) error {
	e, replayed, err := a.scope.Enroll(c)
	if err != nil {
		return err
	}
	return created(c, replayed, toEnrollmentJSON(&e))
}

type signOffJSON struct {
	assessments.SignOff
	SignatureVerified bool                    `json:"signature_verified"`
	Revocation        *assessments.Revocation `json:"revocation"`
}

func (a *API) enrollmentEvidence(c *fiber.Ctx) error {
	rec, _, err := a.scope.VisibleEnrollment(c)
	if err != nil {
		return err
	}
	sos := make([]signOffJSON, 0, len(rec.SignOffs))
	for i := range rec.SignOffs {
		so := rec.SignOffs[i]
		j := signOffJSON{SignOff: so, SignatureVerified: assessments.VerifySignature(&so, evidence.SignedEvidenceFor(rec, &so)) == nil}
		for k := range rec.Revocations {
			if rec.Revocations[k].SignOffID == so.ID {
				j.Revocation = &rec.Revocations[k]
			}
		}
		sos = append(sos, j)
	}
	papers := make([]paperSignOffJSON, 0, len(rec.PaperSignOffs))
	for _, p := range rec.PaperSignOffs {
		j := paperSignOffJSON{PaperSignOff: p, Counts: p.Counts(rec.Enrollment.Version)}
		for k := range rec.Revocations {
			if rec.Revocations[k].SignOffID == p.ID {
				j.Revocation = &rec.Revocations[k]
			}
		}
		papers = append(papers, j)
	}
	scans := []evidence.Scan{}
	if access.CanSeeScans(request.User(c), rec.Enrollment) {
		byRecord, err := a.evidence.Store.Scans(c.UserContext(), []string{rec.Enrollment.ID})
		if err != nil {
			return err
		}
		for _, sc := range byRecord {
			scans = append(scans, sc)
		}
		slices.SortFunc(scans, func(x, y evidence.Scan) int { return strings.Compare(x.ID, y.ID) })
	}
	return c.JSON(fiber.Map{"enrollment": toEnrollmentJSON(rec.Enrollment), "observations": NonNil(rec.Observations), "scans": scans,
		"self_logs": NonNil(rec.SelfLogs), "test_results": NonNil(rec.Tests), "sign_offs": sos, "paper_sign_offs": papers,
		"hours": NonNil(rec.Hours), "progress": assessments.Summarize(rec, a.now())})
}

type observationBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Competency     string          `json:"competency"`
	Variant        string          `json:"variant"`
	PerformedOn    curriculum.Date `json:"performed_on"`
	Steps          []struct {
		Index int  `json:"index"`
		Met   bool `json:"met"`
	} `json:"steps"`
	Comments         string `json:"comments"`
	Supersedes       string `json:"supersedes"`
	CorrectionReason string `json:"correction_reason"`
}

func (a *API) observe(c *fiber.Ctx) error {
	e, err := a.scope.VisibleEnrollmentHead(c)
	if err != nil {
		return err
	}
	var b observationBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with the fields of an observation (dates as YYYY-MM-DD)."})
	}
	comp := e.Version.Competency(b.Competency)
	req := assessments.ObservationRequest{IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Variant: b.Variant,
		PerformedOn: b.PerformedOn, SiteID: e.SiteID, Comments: b.Comments, Supersedes: b.Supersedes, CorrectionReason: b.CorrectionReason}
	if comp != nil {
		req.ChecklistVersion = comp.ChecklistVersion
	}
	for _, st := range b.Steps {
		req.Steps = append(req.Steps, assessments.StepResult{Index: st.Index, Met: st.Met})
	}
	o, replayed, err := a.evidence.Observe(c.UserContext(), e, evidence.ActorOf(request.User(c)), req)
	if err != nil {
		return err
	}
	return created(c, replayed, o)
}

type testBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Competency     string          `json:"competency"`
	Score          float64         `json:"score"`
	TakenOn        curriculum.Date `json:"taken_on"`
}

// recordTest records a knowledge test's score, as the enrollment page's
// test form does.
func (a *API) recordTest(c *fiber.Ctx) error {
	e, err := a.scope.VisibleEnrollmentHead(c)
	if err != nil {
		return err
	}
	var b testBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with idempotency_key, competency, score (a percentage) and taken_on (YYYY-MM-DD)."})
	}
	if b.TakenOn.IsZero() {
		return errkind.BadFields(map[string]string{"taken_on": "Give the date as YYYY-MM-DD."})
	}
	t, replayed, err := a.evidence.RecordTest(c.UserContext(), e, evidence.ActorOf(request.User(c)), assessments.TestResultRequest{
		IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Score: b.Score, TakenOn: b.TakenOn})
	if err != nil {
		return err
	}
	return created(c, replayed, t)
}

type signOffBody struct {
	IdempotencyKey string   `json:"idempotency_key"`
	Competency     string   `json:"competency"`
	Kind           string   `json:"kind"`
	Covered        []string `json:"covered"`
	// Password re-authenticates the signer for this signature, as on the page.
	Password string `json:"password"`
	// Code is from the signer's authenticator app, when they have one.
	Code string `json:"code"`
}

func (a *API) signOff(c *fiber.Ctx) error {
	rec, p, err := a.scope.VisibleEnrollment(c)
	if err != nil {
		return err
	}
	var b signOffBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with idempotency_key, competency, kind and password."})
	}
	u := request.User(c)
	// The password and, for a signer with a second factor, a code: a
	// signature takes two components, and records which were used.
	method, err := a.accounts.Reauthenticate(c.UserContext(), u, b.Password, b.Code)
	if err != nil {
		var locked *accounts.LockedError
		switch {
		case errors.Is(err, accounts.ErrBadCredentials) || errors.As(err, &locked):
			return errkind.WithFields(errkind.Unauthenticated, "Signing needs your password again; it was not accepted, so nothing was signed.",
				map[string]string{"password": "Password not accepted."})
		case errors.Is(err, accounts.ErrCodeNeeded), errors.Is(err, accounts.ErrBadCode):
			return errkind.WithFields(errkind.Unauthenticated, "Signing needs your password and a code from your authenticator app; the code was missing or not accepted, so nothing was signed.",
				map[string]string{"code": "Code missing or not accepted."})
		}
		return err
	}
	if b.Kind == "" {
		b.Kind = string(curriculum.InitialSignOff)
	}
	so, replayed, err := a.evidence.SignOff(c.UserContext(), rec, evidence.ActorOf(u), assessments.SignOffRequest{
		IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Kind: curriculum.SignOffKind(b.Kind), ApprenticeName: p.Name, Covered: b.Covered, AuthMethod: method})
	if err != nil {
		return err
	}
	return created(c, replayed, so)
}

type revocationBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Reason         string          `json:"reason"`
	EffectiveOn    curriculum.Date `json:"effective_on"`
}

func (a *API) revoke(c *fiber.Ctx) error {
	rec, _, err := a.scope.VisibleEnrollment(c)
	if err != nil {
		return err
	}
	var b revocationBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with idempotency_key, reason and effective_on (YYYY-MM-DD)."})
	}
	r, replayed, err := a.evidence.Revoke(c.UserContext(), rec, c.Params("so"), evidence.ActorOf(request.User(c)),
		assessments.RevocationRequest{IdempotencyKey: b.IdempotencyKey, Reason: b.Reason, EffectiveOn: b.EffectiveOn})
	if err != nil {
		return err
	}
	return created(c, replayed, r)
}

type hoursBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Kind           string          `json:"kind"`
	Code           string          `json:"code"`
	WorkedOn       curriculum.Date `json:"worked_on"`
	Hours          string          `json:"hours"`
	SupervisorID   string          `json:"supervisor_id"`
	Note           string          `json:"note"`
}

func (a *API) logHours(c *fiber.Ctx) error {
	rec, err := a.scope.OwnEnrollment(c)
	if err != nil {
		return err
	}
	var b hoursBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with idempotency_key, kind (ojl or rti), code, worked_on and hours (\"7.5\" or \"7:30\")."})
	}
	mins, err := assessments.ParseHours(b.Hours)
	if err != nil {
		return err
	}
	h, replayed, err := a.evidence.LogHours(c.UserContext(), rec, evidence.ActorOf(request.User(c)), assessments.HoursRequest{
		IdempotencyKey: b.IdempotencyKey, Kind: assessments.HoursKind(b.Kind), Code: b.Code, WorkedOn: b.WorkedOn, Minutes: mins,
		SupervisorID: b.SupervisorID, Note: b.Note})
	if err != nil {
		return err
	}
	return created(c, replayed, h)
}

type selfLogBody struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Competency     string          `json:"competency"`
	Variant        string          `json:"variant"`
	PerformedOn    curriculum.Date `json:"performed_on"`
	SupervisorID   string          `json:"supervisor_id"`
	Comments       string          `json:"comments"`
}

func (a *API) selfLog(c *fiber.Ctx) error {
	rec, err := a.scope.OwnEnrollment(c)
	if err != nil {
		return err
	}
	var b selfLogBody
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with idempotency_key, competency, performed_on and supervisor_id."})
	}
	l, replayed, err := a.evidence.LogPerformance(c.UserContext(), rec, evidence.ActorOf(request.User(c)), assessments.SelfLogRequest{
		IdempotencyKey: b.IdempotencyKey, Competency: b.Competency, Variant: b.Variant, PerformedOn: b.PerformedOn,
		SupervisorID: b.SupervisorID, Comments: b.Comments})
	if err != nil {
		return err
	}
	return created(c, replayed, l)
}
