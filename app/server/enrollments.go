package server

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Recording evidence: an enrollment's progress page, the point-of-care
// checklist form and the sign-off (an electronic signature that requires
// the password again).

func newKey() string { return "form-" + strings.ReplaceAll(accounts.NewID(), "-", "") }

// visibleEnrollment loads an enrollment (with records) the user may see
// (canSeeEnrollment) and its apprentice; anything else is 404.
func (s *Server) visibleEnrollment(c *fiber.Ctx) (*assessments.Records, *accounts.Person, error) {
	return s.visibleEnrollmentID(c, c.Params("id"))
}

// visibleEnrollmentID is visibleEnrollment for the enrollment id.
func (s *Server) visibleEnrollmentID(c *fiber.Ctx, id string) (*assessments.Records, *accounts.Person, error) {
	rec, err := s.evidence.Enrollment(c.UserContext(), id)
	var e *assessments.Enrollment
	if err == nil {
		e = rec.Enrollment
	}
	p, err := s.apprenticeIfVisible(c, e, err)
	if err != nil {
		return nil, nil, err
	}
	return rec, p, nil
}

// visibleHead is visibleEnrollment without the records
// (evidence.Service.Head): for a write that does not read them (an
// observation, a test result), whose cost they were most of.
func (s *Server) visibleHead(c *fiber.Ctx) (*assessments.Enrollment, *accounts.Person, error) {
	e, err := s.evidence.Head(c.UserContext(), c.Params("id"))
	p, err := s.apprenticeIfVisible(c, e, err)
	if err != nil {
		return nil, nil, err
	}
	return e, p, nil
}

// apprenticeIfVisible ends the lookup of enrollment e (err: how loading
// it failed): the apprentice when the user may see e (canSeeEnrollment),
// 404 when e does not exist or the user may not see it.
func (s *Server) apprenticeIfVisible(c *fiber.Ctx, e *assessments.Enrollment, err error) (*accounts.Person, error) {
	notFound := errkind.New(errkind.NotFound, "There is no enrollment with this id that you may see.")
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if !canSeeEnrollment(currentUser(c), e) {
		return nil, notFound
	}
	return s.accounts.ByID(c.UserContext(), e.ApprenticeID)
}

// competencyOf is the competency named by the :code parameter in e's
// program version; an unknown code is 404.
func competencyOf(c *fiber.Ctx, e *assessments.Enrollment) (*curriculum.Competency, error) {
	if comp := e.Version.Competency(c.Params("code")); comp != nil {
		return comp, nil
	}
	return nil, errNotFound
}

type progressView struct {
	Apprentice *accounts.Person
	Enrollment *assessments.Enrollment
	Program    *curriculum.Program
	Progress   *assessments.Progress
	Signatures map[string][]signatureView
	// Evaluations are the periodic evaluations done and the next one due.
	Evaluations []assessments.EvaluationState
	// Wage is the apprentice's wage step (nil: none, or not the caller's to see).
	Wage           *wages.Status
	CanApproveWage bool
	// Papers are the paper sign-offs transcribed, by competency; PaperTests
	// the test results and PaperHours the hours entries transcribed from
	// paper.
	Papers     map[string][]paperView
	PaperTests map[string][]paperRecord[assessments.TestResult]
	PaperHours []paperRecord[assessments.HoursEntry]
	// CanTranscribe: a director or HR may transcribe paper records.
	CanTranscribe bool
	CanRecord     bool
	URL           string
	// Own is true on the apprentice's own page: they may log performances
	// and hours there.
	Own        bool
	Preceptors []*accounts.Person
	Key, Key2  string
	Today      curriculum.Date
	// Records lists each competency's performances on file: Counted are
	// exactly those its counts are made of (observations and verified
	// self-logs), Other the rest (unsuccessful, corrected, pending).
	Records map[string]*competencyRecords
	TestKey string
	// Superseded: the enrollment was moved to a newer program version
	// (MovedTo, from MovedOn); it is read-only and its records carried over.
	Superseded bool
	MovedTo    string
	MovedOn    curriculum.Date
	// Done is the confirmation to show in competency DoneCode's card after
	// an observation was saved (kept in view: the page opens at it).
	Done, DoneCode string
	DoneOK         bool
	// CanManage: a director may change the enrollment's status.
	CanManage bool
	Statuses  []assessments.EnrollmentStatus
	// Completion is the director's completion signature, once completed.
	Completion *assessments.Completion
	// Mine is the apprentice's own view (phone first): competencies by
	// domain with counts, filtered by Show; Pending are their submissions
	// waiting for review. Only shows one competency's full card (?c=).
	Mine    *reports.Apprentice
	Show    string
	States  []struct{ Value, Label string }
	Pending []reports.Submission
	Only    string
}

// ShowCard reports whether competency code's full card is on the page:
// every card for staff, only the one asked for (?c=) on one's own page.
func (v progressView) ShowCard(code string) bool {
	if v.Only != "" {
		return code == v.Only
	}
	return v.Mine == nil
}

// recordView is one performance as listed under its competency: an
// observation, or a self-log (SelfLog set).
type recordView struct {
	assessments.Observation
	SelfLog     *assessments.SelfLog
	CorrectedBy string // id of the record that corrects this one
	// ScanURL downloads the scanned paper page of a transcribed record
	// (for staff of the site; empty otherwise).
	ScanURL string
}

// paperRecord is a test result or hours entry transcribed from paper, with
// its scanned page's URL (see recordView.ScanURL).
type paperRecord[T any] struct {
	Record  T
	ScanURL string
}

// paperView is a paper sign-off as the progress page shows it: whether it
// counts, its revocation, the revocation form for directors, its scan.
type paperView struct {
	assessments.PaperSignOff
	Counts  bool
	Revoked *assessments.Revocation
	ScanURL string
	// Revocation form, for directors.
	CanRevoke            bool
	RevokeURL, CSRF, Key string
	Page                 Page
}

// recordArgs is what the "record" partial shows.
type recordArgs struct {
	Record    recordView
	CanRecord bool
	URL       string
}

// competencyRecords is one competency's list, split as its counts are.
type competencyRecords struct {
	Counted, Other []recordView
}

type signatureView struct {
	SignOff  assessments.SignOff
	Verified bool
	Revoked  *assessments.Revocation
	// Revocation form, for directors.
	CanRevoke            bool
	RevokeURL, CSRF, Key string
	// Page carries the revocation form's state when it came back.
	Page Page
	// CertificateURL prints the sign-off's certificate (none once revoked).
	CertificateURL string
}

// Pct is a percentage for progress bars, capped at 100.
func (v progressView) Pct(n, of int) int {
	if of <= 0 {
		return 100
	}
	return min(100, n*100/of)
}

func canRecord(u *accounts.Person) bool { return recorders.Allows(u) }

// myProgress sends an apprentice to their current enrollment.
func (s *Server) myProgress(c *fiber.Ctx) error {
	u := currentUser(c)
	res, err := s.clearance.For(c.UserContext(), u.ID, curriculum.DateOf(s.now(), s.cfg.Location()))
	if errors.Is(err, clearance.ErrNotEnrolled) {
		return clearance.ErrNotEnrolled.With("You are not enrolled in a program yet. Your program director enrolls you.")
	}
	if err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(res.Enrollment.ID), fiber.StatusSeeOther)
}

func (s *Server) enrollmentPage(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	v := progressView{Apprentice: p, Enrollment: rec.Enrollment, Program: rec.Enrollment.Version.Program(),
		Progress: assessments.Summarize(rec, s.now()), Signatures: map[string][]signatureView{},
		CanRecord: canRecord(currentUser(c)) && currentUser(c).ID != p.ID, URL: "/enrollments/" + url.PathEscape(rec.Enrollment.ID),
		Own: currentUser(c).ID == p.ID, Key: newKey(), Key2: newKey(), Today: rec.Enrollment.Version.Day(s.now())}
	v.Records, v.TestKey = map[string]*competencyRecords{}, newKey()
	v.CanManage = directors.Allows(currentUser(c))
	v.CanTranscribe = transcribers.Allows(currentUser(c)) && currentUser(c).ID != p.ID
	scans := map[string]evidence.Scan{}
	if canSeeScans(currentUser(c), rec.Enrollment) {
		if scans, err = s.evidence.Store.Scans(c.UserContext(), []string{rec.Enrollment.ID}); err != nil {
			return err
		}
	}
	scanURL := func(id string) string {
		if _, ok := scans[id]; !ok {
			return ""
		}
		return v.URL + "/scans/" + url.PathEscape(id)
	}
	v.Papers, v.PaperTests = map[string][]paperView{}, map[string][]paperRecord[assessments.TestResult]{}
	for _, ps := range rec.PaperSignOffs {
		pv := paperView{PaperSignOff: ps, Counts: ps.Counts(rec.Enrollment.Version), ScanURL: scanURL(ps.ID), CanRevoke: directors.Allows(currentUser(c)),
			RevokeURL: v.URL + "/paper-signoffs/" + url.PathEscape(ps.ID) + "/revoke", CSRF: csrfToken(c), Key: newKey(), Page: Page{Form: formStateOf(c)}}
		for j := range rec.Revocations {
			if rec.Revocations[j].SignOffID == ps.ID {
				pv.Revoked = &rec.Revocations[j]
			}
		}
		v.Papers[ps.Competency] = append(v.Papers[ps.Competency], pv)
	}
	for _, t := range rec.Tests {
		if t.TranscribedBy != "" {
			v.PaperTests[t.Competency] = append(v.PaperTests[t.Competency], paperRecord[assessments.TestResult]{t, scanURL(t.ID)})
		}
	}
	for _, h := range rec.Hours {
		if h.TranscribedBy != "" {
			v.PaperHours = append(v.PaperHours, paperRecord[assessments.HoursEntry]{h, scanURL(h.ID)})
		}
	}
	if wst, err := s.wageStatus(c, p); err != nil {
		return err
	} else if wst != nil && wst.Enrollment.ID == rec.Enrollment.ID {
		v.Wage, v.CanApproveWage = wst, wageApprovers.Allows(currentUser(c)) && currentUser(c).ID != p.ID
	}
	// Completed is not a plain status change: the director signs it on the
	// completion page, once every requirement is met.
	v.Statuses = []assessments.EnrollmentStatus{assessments.EnrollmentActive, assessments.EnrollmentOnHold, assessments.EnrollmentWithdrawn}
	if v.Completion, err = s.evidence.Store.Completion(c.UserContext(), rec.Enrollment.ID); err != nil {
		return err
	}
	moves, err := s.evidence.Store.Moves(c.UserContext(), []string{rec.Enrollment.ID})
	if err != nil {
		return err
	}
	for _, m := range moves {
		if m.From == rec.Enrollment.ID {
			v.Superseded, v.MovedTo, v.MovedOn = true, m.To, m.EffectiveOn
			v.CanRecord, v.Own, v.CanManage, v.CanTranscribe = false, false, false, false
		}
	}
	if code := c.Query("c"); rec.Enrollment.Version.Competency(code) != nil {
		switch c.Query("done") {
		case "saved":
			v.Done, v.DoneCode, v.DoneOK = "Observation saved: successful.", code, true
		case "unsuccessful":
			v.Done, v.DoneCode = "Observation saved: unsuccessful, because a critical step was not met. It is on record but does not count.", code
		}
	}
	v.Records = recordsByCompetency(rec, v.Progress, scanURL)
	for _, id := range rec.Enrollment.PreceptorIDs {
		if pr, err := s.accounts.ByID(c.UserContext(), id); err == nil {
			v.Preceptors = append(v.Preceptors, pr)
		}
	}
	for i := range rec.SignOffs {
		so := rec.SignOffs[i]
		sv := signatureView{SignOff: so, Verified: assessments.VerifySignature(&so, evidence.SignedEvidenceFor(rec, &so)) == nil,
			CanRevoke: directors.Allows(currentUser(c)), CSRF: csrfToken(c), Key: newKey(), Page: Page{Form: formStateOf(c)},
			RevokeURL: "/enrollments/" + url.PathEscape(rec.Enrollment.ID) + "/signoffs/" + url.PathEscape(so.ID) + "/revoke"}
		for j := range rec.Revocations {
			if rec.Revocations[j].SignOffID == so.ID {
				sv.Revoked = &rec.Revocations[j]
			}
		}
		if sv.Revoked == nil || sv.Revoked.EffectiveOn.After(v.Today) {
			sv.CertificateURL = v.URL + "/signoffs/" + url.PathEscape(so.ID) + "/certificate.pdf"
		}
		if !sv.Verified {
			s.logWith(c).Error("signature does not verify", "sign_off", so.ID)
		}
		v.Signatures[so.Competency] = append(v.Signatures[so.Competency], sv)
	}
	v.Only = c.Query("c")
	if rec.Enrollment.Version.Program().Evaluations != nil {
		done, err := s.evals.ForEnrollment(c.UserContext(), rec.Enrollment)
		if err != nil {
			return err
		}
		v.Evaluations = assessments.EvaluationsOf(rec.Enrollment, done, v.Today)
	}
	if v.Own {
		v.Mine = reports.ApprenticeView(reports.ApprenticeInput{Program: v.Program, Records: rec, Today: v.Today, Now: s.now(),
			EnrollmentURL: v.URL, CredentialsURL: "/people/" + url.PathEscape(p.ID) + "/credentials"})
		v.States = reports.StateLabels
		for _, st := range v.States {
			if c.Query("show") == st.Value {
				v.Show = st.Value
			}
		}
		v.Pending, _ = reports.Submissions(v.Program, rec)
	}
	nav := "clearance"
	if v.Own {
		nav = "progress"
	}
	return s.render(c, fiber.StatusOK, "enrollment", Page{Title: "Progress: " + p.Name, Nav: nav, Data: v})
}

// recordsByCompetency lists every performance on file under its
// competency, split into those the progress counted and the others, so a
// card's count and its list are one and the same.
func recordsByCompetency(rec *assessments.Records, prog *assessments.Progress, scanURL func(id string) string) map[string]*competencyRecords {
	counted := map[string]bool{}
	for _, cp := range prog.Competencies {
		for _, id := range cp.Counted {
			counted[id] = true
		}
	}
	correctedBy := assessments.SupersededBy(rec.Observations)
	out := map[string]*competencyRecords{}
	put := func(code string, r recordView, id string) {
		cr := out[code]
		if cr == nil {
			cr = &competencyRecords{}
			out[code] = cr
		}
		if counted[id] {
			cr.Counted = append(cr.Counted, r)
		} else {
			cr.Other = append(cr.Other, r)
		}
	}
	for _, o := range rec.Observations {
		if o.ApprenticeID == rec.Enrollment.ApprenticeID {
			put(o.Competency, recordView{Observation: o, CorrectedBy: correctedBy[o.ID], ScanURL: scanURL(o.ID)}, o.ID)
		}
	}
	for i := range rec.SelfLogs {
		l := &rec.SelfLogs[i]
		if l.ApprenticeID == rec.Enrollment.ApprenticeID {
			put(l.Competency, recordView{SelfLog: l, ScanURL: scanURL(l.ID)}, l.ID)
		}
	}
	return out
}

type observeView struct {
	Apprentice *accounts.Person
	Competency *curriculum.Competency
	URL        string
	Key        string
	Today      curriculum.Date
	Date       string
	Variant    string
	Answers    map[int]string
	Comments   string
	// Supersedes is the record this one corrects, with the reason.
	Supersedes, Reason string
	// AllMet: the observer ticked "All steps met" (steps not flagged count
	// as met).
	AllMet bool
	// Draft names the browser's copy of the form being filled (kept until
	// it is sent), and Back the progress page.
	Draft, Back string
	// Zone is the organisation's time zone, in which the browser says when
	// a kept draft was last changed.
	Zone string
}

// Answer returns "met", "not" or "" for step i (to keep choices on re-render).
func (v observeView) Answer(i int) string { return v.Answers[i] }

func (s *Server) observeForm(c *fiber.Ctx) error {
	e, p, err := s.visibleHead(c)
	if err != nil {
		return err
	}
	comp, err := competencyOf(c, e)
	if err != nil {
		return err
	}
	today := e.Version.Day(s.now())
	v := observeView{Apprentice: p, Competency: comp, URL: c.Path(), Key: newKey(), Today: today, Date: today.String(), Answers: map[int]string{},
		Draft: "observe:" + e.ID + ":" + comp.Code + ":" + c.Query("correct"), Zone: e.Version.Location().String()}
	if id := c.Query("correct"); id != "" {
		// A correction starts from the record it corrects: only then are
		// the records read.
		rec, err := s.evidence.Enrollment(c.UserContext(), e.ID)
		if err != nil {
			return err
		}
		for _, o := range rec.Observations {
			if o.ID == id && o.Competency == comp.Code {
				v.Supersedes, v.Date, v.Variant, v.Comments = o.ID, o.PerformedOn.String(), o.Variant, o.Comments
				for _, st := range o.Steps {
					v.Answers[st.Index] = map[bool]string{true: "met", false: "not"}[st.Met]
				}
			}
		}
		if v.Supersedes == "" {
			return errNotFound
		}
	}
	return s.render(c, fiber.StatusOK, "observe", Page{Title: "Record " + comp.Title, Nav: "clearance", Data: v})
}

func (s *Server) observe(c *fiber.Ctx) error {
	e, p, err := s.visibleHead(c)
	if err != nil {
		return err
	}
	comp, err := competencyOf(c, e)
	if err != nil {
		return err
	}
	today := e.Version.Day(s.now())
	v := observeView{Apprentice: p, Competency: comp, URL: c.Path(), Key: c.FormValue("key"), Today: today,
		Date: c.FormValue("performed_on"), Variant: c.FormValue("variant"), Comments: c.FormValue("comments"), Answers: map[int]string{},
		Supersedes: c.FormValue("supersedes"), Reason: c.FormValue("correction_reason"),
		Draft: "observe:" + e.ID + ":" + comp.Code + ":" + c.FormValue("supersedes"), Zone: e.Version.Location().String()}
	req := assessments.ObservationRequest{IdempotencyKey: v.Key, Competency: comp.Code, Variant: v.Variant,
		ChecklistVersion: comp.ChecklistVersion, Comments: v.Comments, SiteID: e.SiteID,
		Supersedes: v.Supersedes, CorrectionReason: v.Reason}
	// "All steps met" answers every step not flagged otherwise; each step
	// is still stored with its own answer, and a critical step flagged not
	// met still makes the attempt unsuccessful.
	v.AllMet = c.FormValue("all_met") != ""
	for i := range comp.Checklist {
		a := c.FormValue("step_" + strconv.Itoa(i))
		if a == "" && v.AllMet {
			a = "met"
		}
		switch a {
		case "met", "not":
			v.Answers[i] = a
			req.Steps = append(req.Steps, assessments.StepResult{Index: i, Met: a == "met"})
		}
	}
	if req.PerformedOn, err = curriculum.ParseDate(strings.TrimSpace(v.Date)); err != nil {
		return s.render(c, statusFor(errkind.Malformed), "observe", Page{Title: "Record " + comp.Title, Data: v,
			Errors: map[string]string{"performed_on": "Give the date of the performance as YYYY-MM-DD."}})
	}
	o, _, err := s.evidence.Observe(c.UserContext(), e, evidence.ActorOf(currentUser(c)), req)
	if ke := formError(err); ke != nil {
		return s.render(c, statusOf(err), "observe", Page{Title: "Record " + comp.Title, Data: v, Errors: fieldsOf(ke)})
	}
	if err != nil {
		return err
	}
	// The confirmation is shown in the competency's card, with what to do
	// next, and the page opens at it (#done), so it is in view.
	done := "saved"
	if !o.Successful {
		done = "unsuccessful"
	}
	return c.Redirect("/enrollments/"+url.PathEscape(e.ID)+"?done="+done+"&c="+url.QueryEscape(comp.Code)+"#done", fiber.StatusSeeOther)
}

type signOffView struct {
	Apprentice *accounts.Person
	Competency *curriculum.Competency
	Progress   *assessments.CompetencyProgress
	Meaning    string
	URL        string
	Key        string
	Kind       string
	Coverage   []curriculum.CoverageItem
	// Ready is whether the rules allow the sign-off now, and what is
	// missing if not; Back is the competency on the progress page.
	Ready assessments.Readiness
	Back  string
	// SignerMethods are how the signer may re-authenticate.
	SignerMethods
}

func (s *Server) signOffForm(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	return s.renderSignOff(c, fiber.StatusOK, rec, p, "", nil)
}

// renderSignOff shows the sign-off form for the :code competency of rec,
// the enrollment the handler loaded (not read again to show a refusal);
// an unknown code is 404.
func (s *Server) renderSignOff(c *fiber.Ctx, status int, rec *assessments.Records, p *accounts.Person, key string, errs map[string]string) error {
	return s.renderSignOffOf(c, status, rec, p, c.Params("code"), c.Path(), key, errs)
}

// renderSignOffOf is renderSignOff for the competency code, whose form
// posts to formURL (the single sign-on callback shows the form of the
// signature it could not complete).
func (s *Server) renderSignOffOf(c *fiber.Ctx, status int, rec *assessments.Records, p *accounts.Person, code, formURL, key string, errs map[string]string) error {
	comp := rec.Enrollment.Version.Competency(code)
	if comp == nil {
		return errNotFound
	}
	if key == "" {
		key = newKey()
	}
	prog := assessments.Summarize(rec, s.now())
	var cp *assessments.CompetencyProgress
	for i := range prog.Competencies {
		if prog.Competencies[i].Code == comp.Code {
			cp = &prog.Competencies[i]
		}
	}
	// The form is offered only when the rules allow the sign-off now;
	// otherwise the page says what is missing (the POST is checked by
	// CheckSignOff all the same).
	kind := cp.SignOff.Kind
	v := signOffView{Apprentice: p, Competency: comp, Progress: cp, URL: formURL, Key: key, Kind: string(kind),
		Meaning: assessments.Meaning(kind, p.Name, comp), Ready: cp.SignOff, Back: "/enrollments/" + url.PathEscape(rec.Enrollment.ID) + "#c-" + comp.Code}
	if comp.Coverage != nil {
		v.Coverage = comp.Coverage.Items
	}
	var err error
	if v.SignerMethods, err = s.signerMethodsOf(c); err != nil {
		return err
	}
	page := Page{Title: "Sign off " + comp.Title, Nav: "clearance", Data: v, Errors: errs}
	if c.Method() == fiber.MethodGet && len(errs) > 0 {
		// The identity provider's answer (a GET) could not sign: the form
		// comes back with the reason, as after a post.
		page.Form = &FormState{Action: formURL, Values: map[string][]string{}, Errors: errs, Order: []string{"password"}, Status: status}
	}
	return s.render(c, status, "signoff", page)
}

// signOff signs a competency off. The signer types their password again
// even inside a session (21 CFR Part 11), and the session id is replaced
// afterwards so a captured cookie cannot be replayed to sign again.
func (s *Server) signOff(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	key := c.FormValue("key")
	code := c.Params("code")
	var covered []string
	for _, b := range c.Request().PostArgs().PeekMulti("covered") {
		covered = append(covered, string(b))
	}
	// Two components (21 CFR 11.200): the password and, for a person
	// with a second factor, a code; the signature records which. Or a
	// passkey with user verification, which is both components. Or
	// re-authentication at the identity provider: the signature waits
	// on the server for its answer (sso.go).
	var method string
	if signsAtProvider(c) {
		err = s.startSSOSign(c, signFlow{EnrollmentID: rec.Enrollment.ID, Code: code, Key: key, Kind: c.FormValue("kind"), Covered: covered})
	} else {
		method, err = s.signatureAuth(c)
	}
	if ke := formError(err); ke != nil {
		return s.renderSignOff(c, statusOf(err), rec, p, key, fieldsOf(ke))
	}
	if err != nil || method == "" {
		return err
	}
	req := assessments.SignOffRequest{IdempotencyKey: key, Competency: code, Kind: curriculum.SignOffKind(c.FormValue("kind")),
		ApprenticeName: p.Name, Covered: covered, AuthMethod: method}
	return s.completeSignOff(c, rec, p, req, c.Path())
}

// completeSignOff records the signature req by the person logged in, whose
// re-authentication req.AuthMethod records, and replaces the session id
// so a captured cookie cannot be replayed to sign again; a refusal shows
// the form (posting to formURL) with the reason.
func (s *Server) completeSignOff(c *fiber.Ctx, rec *assessments.Records, p *accounts.Person, req assessments.SignOffRequest, formURL string) error {
	u := currentUser(c)
	_, _, err := s.evidence.SignOff(c.UserContext(), rec, evidence.ActorOf(u), req)
	if ke := formError(err); ke != nil {
		return s.renderSignOffOf(c, statusOf(err), rec, p, req.Competency, formURL, req.IdempotencyKey, fieldsOf(ke))
	}
	if err != nil {
		return err
	}
	if err := s.renewSession(c); err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=signed#c-"+req.Competency, fiber.StatusSeeOther)
}

// formScore reads the score field, a percentage.
func formScore(c *fiber.Ctx) (float64, error) {
	score, err := strconv.ParseFloat(strings.TrimSpace(c.FormValue("score")), 64)
	if err != nil {
		return 0, badInput(map[string]string{"score": "Give the score as a percentage, e.g. 85."})
	}
	return score, nil
}

// recordTest enters a knowledge-test score (preceptors and directors).
func (s *Server) recordTest(c *fiber.Ctx) error {
	e, _, err := s.visibleHead(c)
	if err != nil {
		return err
	}
	score, err := formScore(c)
	if err != nil {
		return err
	}
	on, err := curriculum.ParseDate(strings.TrimSpace(c.FormValue("taken_on")))
	if err != nil {
		return badInput(map[string]string{"taken_on": "Give the date as YYYY-MM-DD."})
	}
	code := c.Params("code")
	if _, _, err := s.evidence.RecordTest(c.UserContext(), e, evidence.ActorOf(currentUser(c)), assessments.TestResultRequest{
		IdempotencyKey: c.FormValue("key"), Competency: code, Score: score, TakenOn: on}); err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(e.ID)+"?msg=test-recorded#c-"+code, fiber.StatusSeeOther)
}
