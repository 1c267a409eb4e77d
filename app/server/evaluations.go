package server

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// evaluationView is one periodic evaluation: its form for the mentor
// while it is the next one and in its due window, the signed record
// after, and the acknowledgement form for the apprentice.
type evaluationView struct {
	Apprentice *accounts.Person
	Back       string
	Schedule   *curriculum.EvaluationSchedule
	State      assessments.EvaluationState
	// Levels are each rated item's level label, for the signed record.
	Levels map[string]string
	// Verified: the signatures' hashes match the records.
	Verified            bool
	CanComplete, CanAck bool
	NotYet              string
	Meaning, AckMeaning string
	URL, AckURL         string
	SignerMethods
}

// evaluationOf loads the enrollment (visible to the reader) and its
// evaluation number :n, which must be done or the next one scheduled.
func (s *Server) evaluationOf(c *fiber.Ctx) (*assessments.Records, *accounts.Person, []assessments.Evaluation, assessments.EvaluationState, error) {
	var st assessments.EvaluationState
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return nil, nil, nil, st, err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil {
		return nil, nil, nil, st, errNotFound
	}
	done, st, err := s.evaluationIn(c, rec, n)
	return rec, p, done, st, err
}

// evaluationIn is evaluation number n of rec, which must be done or the
// next one scheduled, and the evaluations done.
func (s *Server) evaluationIn(c *fiber.Ctx, rec *assessments.Records, n int) ([]assessments.Evaluation, assessments.EvaluationState, error) {
	var st assessments.EvaluationState
	if rec.Enrollment.Version.Program().Evaluations == nil {
		return nil, st, errNotFound
	}
	done, err := s.evals.ForEnrollment(c.UserContext(), rec.Enrollment)
	if err != nil {
		return nil, st, err
	}
	for _, x := range assessments.EvaluationsOf(rec.Enrollment, done, rec.Enrollment.Version.Day(s.now())) {
		if x.Seq == n {
			return done, x, nil
		}
	}
	return nil, st, errNotFound
}

func (s *Server) evaluationPage(c *fiber.Ctx) error {
	rec, p, _, st, err := s.evaluationOf(c)
	if err != nil {
		return err
	}
	return s.renderEvaluation(c, rec, p, st)
}

// renderEvaluation is evaluationPage for evaluation st of rec, which the
// handler loaded (the single sign-on callback shows the form it could not
// sign).
func (s *Server) renderEvaluation(c *fiber.Ctx, rec *assessments.Records, p *accounts.Person, st assessments.EvaluationState) error {
	var err error
	u := currentUser(c)
	e := rec.Enrollment
	sched := e.Version.Program().Evaluations
	base := "/enrollments/" + url.PathEscape(e.ID)
	v := evaluationView{Apprentice: p, Back: base + "#evaluations", Schedule: sched, State: st, Levels: map[string]string{},
		URL: base + "/evaluations/" + strconv.Itoa(st.Seq), Meaning: assessments.EvaluationMeaning(p.Name, e.Version.Program().Title, st.Seq, st.DueOn)}
	v.AckURL = v.URL + "/acknowledge"
	if ev := st.Evaluation; ev != nil {
		v.Verified = assessments.EvaluationHash(ev) == ev.Signature.Hash &&
			(ev.Ack == nil || assessments.AcknowledgementHash(ev.Ack, ev.Signature.Hash) == ev.Ack.Signature.Hash)
		for _, r := range ev.Ratings {
			if l := sched.Level(r.Value); l != nil {
				v.Levels[r.Item] = l.Label
			}
		}
		v.AckMeaning = assessments.AcknowledgementMeaning(ev.Seq, ev.Signature.PrintedName)
		v.CanAck = ev.Ack == nil && u.ID == p.ID
	} else if u.ID != p.ID && recorders.Allows(u) && e.AcceptsEvidence() {
		if opens := st.DueOn.AddDays(-sched.DueWindowDays); st.Status == assessments.EvaluationUpcoming {
			v.NotYet = "This evaluation is due " + st.DueOn.String() + "; it can be completed from " + opens.String() + "."
		} else {
			v.CanComplete = true
		}
	}
	if v.CanComplete || v.CanAck {
		if v.SignerMethods, err = s.signerMethodsOf(c); err != nil {
			return err
		}
	}
	return s.render(c, fiber.StatusOK, "evaluation", Page{Title: "Evaluation " + strconv.Itoa(st.Seq) + ": " + p.Name, Nav: "clearance", Data: v})
}

// completeEvaluation records the mentor's signed evaluation. Like a
// sign-off, signing re-authenticates (signing.go) and replaces the session.
func (s *Server) completeEvaluation(c *fiber.Ctx) error {
	rec, p, done, st, err := s.evaluationOf(c)
	if err != nil {
		return err
	}
	ratings := map[string]int{}
	for _, it := range rec.Enrollment.Version.Program().Evaluations.Items {
		ratings[it.Code], _ = strconv.Atoi(c.FormValue("rating_" + it.Code))
	}
	comments := c.FormValue("comments")
	if signsAtProvider(c) {
		return s.startSSOSign(c, signFlow{Act: actEvaluation, EnrollmentID: rec.Enrollment.ID, Seq: st.Seq, Comments: comments, Ratings: ratings})
	}
	method, err := s.signatureAuth(c)
	if err != nil {
		return err
	}
	return s.evaluateWith(c, rec, p, done, st, comments, ratings, method)
}

// evaluateWith signs evaluation st of rec by the person logged in, whose
// re-authentication method records.
func (s *Server) evaluateWith(c *fiber.Ctx, rec *assessments.Records, p *accounts.Person, done []assessments.Evaluation, st assessments.EvaluationState,
	comments string, ratings map[string]int, method string) error {
	req := assessments.EvaluationRequest{Seq: st.Seq, Ratings: ratings, Comments: comments, ApprenticeName: p.Name, AuthMethod: method}
	if _, err := s.evals.Complete(c.UserContext(), rec.Enrollment, done, evidence.ActorOf(currentUser(c)), req); err != nil {
		return err
	}
	return s.signedEvaluation(c, rec, st)
}

// acknowledgeEvaluation records the apprentice's signed acknowledgement.
func (s *Server) acknowledgeEvaluation(c *fiber.Ctx) error {
	rec, _, _, st, err := s.evaluationOf(c)
	if err != nil {
		return err
	}
	if st.Evaluation == nil {
		return errNotFound
	}
	if signsAtProvider(c) {
		return s.startSSOSign(c, signFlow{Act: actAcknowledge, EnrollmentID: rec.Enrollment.ID, Seq: st.Seq})
	}
	method, err := s.signatureAuth(c)
	if err != nil {
		return err
	}
	return s.acknowledgeWith(c, rec, st, method)
}

// acknowledgeWith signs the acknowledgement of evaluation st by the
// person logged in, whose re-authentication method records.
func (s *Server) acknowledgeWith(c *fiber.Ctx, rec *assessments.Records, st assessments.EvaluationState, method string) error {
	if st.Evaluation == nil {
		return errNotFound
	}
	if _, err := s.evals.Acknowledge(c.UserContext(), st.Evaluation, evidence.ActorOf(currentUser(c)), rec.Enrollment.Version.Location(), method); err != nil {
		return err
	}
	return s.signedEvaluation(c, rec, st)
}

// signedEvaluation replaces the session after a signature on evaluation
// st and shows it.
func (s *Server) signedEvaluation(c *fiber.Ctx, rec *assessments.Records, st assessments.EvaluationState) error {
	if err := s.renewSession(c); err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"/evaluations/"+strconv.Itoa(st.Seq)+"?msg=signed", fiber.StatusSeeOther)
}

// renewSession replaces the session id after a signature, so a captured
// cookie cannot be replayed to sign again.
func (s *Server) renewSession(c *fiber.Ctx) error {
	u := currentUser(c)
	if old := c.Cookies(s.sessionCookie()); old != "" {
		if err := s.accounts.EndSession(c.UserContext(), old); err != nil {
			return err
		}
	}
	secret, err := s.accounts.StartSession(c.UserContext(), u.ID, clientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, secret)
	return nil
}
