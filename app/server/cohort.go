package server

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// revoke records a director's revocation of a sign-off, with a reason and
// an effective date; the signature stays on record.
func (s *Server) revoke(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	eff := curriculum.Date{}
	if raw := strings.TrimSpace(c.FormValue("effective_on")); raw != "" {
		if eff, err = curriculum.ParseDate(raw); err != nil {
			return badInput(map[string]string{"effective_on": "Give the date as YYYY-MM-DD."})
		}
	}
	_, _, err = s.evidence.Revoke(c.UserContext(), rec, c.Params("so"), evidence.ActorOf(currentUser(c)),
		assessments.RevocationRequest{IdempotencyKey: c.FormValue("key"), Reason: c.FormValue("reason"), EffectiveOn: eff})
	if err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=revoked", fiber.StatusSeeOther)
}

// cohortPage shows every apprentice of the director's sites × competency:
// counts against the requirement and sign-off state.
func (s *Server) cohortPage(c *fiber.Ctx) error {
	v, err := s.reports.Cohort(c.UserContext(), currentUser(c).SiteIDs)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "cohort", Page{Title: "Cohort", Nav: "cohort", Data: v})
}

// changeStatus puts an enrollment on hold, completes or withdraws it.
func (s *Server) changeStatus(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	var b struct {
		Status string `json:"status" form:"status"`
		Reason string `json:"reason" form:"reason"`
	}
	if err := c.BodyParser(&b); err != nil {
		return badInput(map[string]string{"status": "Send the new status (active, on_hold, completed or withdrawn)."})
	}
	to := assessments.EnrollmentStatus(b.Status)
	if err := s.evidence.ChangeStatus(c.UserContext(), rec.Enrollment.ID, evidence.ActorOf(currentUser(c)), to, b.Reason); err != nil {
		return err
	}
	if isAPI(c) {
		return c.JSON(fiber.Map{"id": rec.Enrollment.ID, "status": to})
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=status-changed", fiber.StatusSeeOther)
}
