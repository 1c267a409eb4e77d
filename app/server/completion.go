package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/documents"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/errkind"
)

// Completing an apprenticeship: the director's electronic signature, once
// every requirement is met (assessments.Outstanding), re-authenticated as
// a sign-off is; and its certificate.

type completeView struct {
	Apprentice *accounts.Person
	Enrollment *assessments.Enrollment
	Program    string
	Version    int
	// Outstanding lists what is left; the form is offered only when it is
	// empty (the post is checked all the same).
	Outstanding []string
	Meaning     string
	URL, Back   string
	// Completion is the signature, once completed; CertificateURL prints
	// its certificate.
	Completion     *assessments.Completion
	CertificateURL string
	SignerMethods
}

// completePage shows what is left before the apprenticeship can be
// completed, or the signing form, or the completion once signed.
func (s *Server) completePage(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	return s.renderComplete(c, rec, p)
}

// renderComplete is completePage for rec, the enrollment the handler
// loaded (the single sign-on callback shows the form it could not sign).
func (s *Server) renderComplete(c *fiber.Ctx, rec *assessments.Records, p *accounts.Person) error {
	var err error
	ctx := c.UserContext()
	pv := rec.Enrollment.Version
	base := "/enrollments/" + url.PathEscape(rec.Enrollment.ID)
	v := completeView{Apprentice: p, Enrollment: rec.Enrollment, Program: pv.Program().Title, Version: pv.Rules.Version().Number,
		URL: base + "/complete", Back: base, Meaning: assessments.CompletionMeaning(p.Name, pv.Program().Title, pv.Rules.Version().Number)}
	if v.Completion, err = s.evidence.Store.Completion(ctx, rec.Enrollment.ID); err != nil {
		return err
	}
	if v.Completion != nil {
		v.CertificateURL = base + "/completion.pdf"
	} else {
		v.Outstanding = assessments.Outstanding(rec, s.now())
	}
	if v.SignerMethods, err = s.signerMethodsOf(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "complete", Page{Title: "Complete the apprenticeship: " + p.Name, Nav: "clearance", Data: v})
}

// complete signs the completion. The director re-authenticates as for a
// sign-off (signing.go): password (and code), passkey, or at the identity
// provider; the session id is replaced afterwards. A refusal comes back on
// the form with what is left.
func (s *Server) complete(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	if signsAtProvider(c) {
		return s.startSSOSign(c, signFlow{Act: actComplete, EnrollmentID: rec.Enrollment.ID})
	}
	method, err := s.signatureAuth(c)
	if err != nil {
		return err
	}
	return s.completeWith(c, rec, p, method)
}

// completeWith signs the completion of rec by the person logged in, whose
// re-authentication method records.
func (s *Server) completeWith(c *fiber.Ctx, rec *assessments.Records, p *accounts.Person, method string) error {
	if _, err := s.evidence.Complete(c.UserContext(), rec, evidence.ActorOf(currentUser(c)), assessments.CompletionRequest{ApprenticeName: p.Name, AuthMethod: method}); err != nil {
		return err
	}
	if err := s.renewSession(c); err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=completed", fiber.StatusSeeOther)
}

// completionPDF prints the completion certificate of an enrollment the
// caller may see, once it is completed.
func (s *Server) completionPDF(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	done, err := s.evidence.Store.Completion(c.UserContext(), rec.Enrollment.ID)
	if err != nil {
		return err
	}
	if done == nil {
		return errkind.New(errkind.NotFound, "This apprenticeship has no completion signature, so it has no completion certificate: it is not completed, or it was marked completed before completions were signed.")
	}
	if c.Method() == fiber.MethodHead {
		return headOnly(c, "application/pdf")
	}
	code := documents.NewCode()
	cert := documents.CompletionFrom(p.Name, rec.Enrollment.Version, done, s.stamp(c, code))
	pdf, err := documents.CompletionPDF(cert)
	if err != nil {
		return err
	}
	doc := &documents.Issued{Kind: documents.KindCompletion, SubjectID: done.ID, PersonID: p.ID,
		SHA256: documents.FileHash(pdf), Content: string(cert.Content())}
	if err := s.documents.Issue(c.UserContext(), []*documents.Issued{doc}, []string{code}); err != nil {
		return err
	}
	return sendFile(c, "application/pdf", "completion-certificate-"+done.CompletedOn.String()+".pdf", pdf)
}
