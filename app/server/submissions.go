package server

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// submissionsView is "My submissions": what the apprentice sent for
// verification or approval, and what became of it.
type submissionsView struct {
	Pending, Done []reports.Submission
	// URL is the progress page, where the forms to log are.
	URL string
}

// submissionsPage lists the apprentice's own self-logs and hours: waiting,
// verified or approved, and rejected with the reason.
func (s *Server) submissionsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	res, err := s.clearance.For(c.UserContext(), u.ID, curriculum.DateOf(s.now(), s.cfg.Location()))
	if errors.Is(err, clearance.ErrNotEnrolled) {
		return clearance.ErrNotEnrolled.With("You are not enrolled in a program yet, so you have nothing to submit. Your program director enrolls you.")
	}
	if err != nil {
		return err
	}
	v := submissionsView{URL: "/enrollments/" + url.PathEscape(res.Enrollment.ID)}
	v.Pending, v.Done = reports.Submissions(res.Program(), res.Records)
	return s.render(c, fiber.StatusOK, "submissions", Page{Title: "My submissions", Nav: "progress", Data: v})
}
