package server

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/errkind"
)

// errNoWage answers a wage page the caller may not see like one of a
// person without a program (pay is for the person, directors and HR).
var errNoWage = clearance.ErrNotEnrolled

// wageView is a person's wage step, what the next one needs, the schedule
// and the approved steps, and the approval form for directors and HR.
type wageView struct {
	Person     *accounts.Person
	Status     *wages.Status
	CanApprove bool
	Names      map[string]string
	Today      string
}

// By names who approved a step.
func (v wageView) By(id string) string {
	if n, ok := v.Names[id]; ok {
		return n
	}
	return id
}

// wageStatus is the person's wage status today, when u may see it and the
// enrollment in force (nil, nil without a schedule or enrollment).
func (s *Server) wageStatus(c *fiber.Ctx, p *accounts.Person) (*wages.Status, error) {
	u := currentUser(c)
	if !access.CanSeeWage(u, p) {
		return nil, nil
	}
	st, err := s.wages.For(c.UserContext(), p.ID)
	if errors.Is(err, clearance.ErrNotEnrolled) || err == nil && (!canSeeEnrollment(u, st.Enrollment) || !st.Scheduled()) {
		return nil, nil
	}
	return st, err
}

func (s *Server) wagePage(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	st, err := s.wageStatus(c, p)
	if err != nil {
		return err
	}
	if st == nil && !access.CanSeeWage(currentUser(c), p) {
		return errkind.New(errkind.Forbidden, "Wage steps are shown to the apprentice, program directors and HR.")
	}
	if st == nil {
		return errNoWage
	}
	u := currentUser(c)
	v := wageView{Person: p, Status: st, CanApprove: wageApprovers.Allows(u) && u.ID != p.ID, Names: map[string]string{}, Today: st.AsOf.String()}
	var ids []string
	for _, h := range st.History {
		ids = append(ids, h.ApprovedBy)
	}
	who, err := s.accounts.ByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	for _, w := range who {
		v.Names[w.ID] = w.Name
	}
	return s.render(c, fiber.StatusOK, "wage", Page{Title: "Wage steps of " + p.Name, Nav: "people", Data: v})
}

// approveWage records a wage step a director or HR approves.
func (s *Server) approveWage(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	u := currentUser(c)
	if u.ID == p.ID {
		return errkind.New(errkind.Forbidden, "You cannot approve your own wage step.")
	}
	if _, err := s.wages.Approve(c.UserContext(), p.ID, c.FormValue("step"), c.FormValue("effective_on"),
		func(e *assessments.Enrollment) bool { return canSeeEnrollment(u, e) }); err != nil {
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/wage?msg=wage-step-approved", fiber.StatusSeeOther)
}
