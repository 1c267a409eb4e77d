package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
)

// hireDateView is a person's hire date, its history (newest first) and
// the names of who changed it.
type hireDateView struct {
	Person  *accounts.Person
	History []accounts.HireDateChange
	Names   map[string]string
}

// By names who made a change (Skillgate for the migration's).
func (v hireDateView) By(id string) string {
	if id == "" {
		return "Skillgate (when hire dates moved to people)"
	}
	if n, ok := v.Names[id]; ok {
		return n
	}
	return id
}

// hireDatePage shows HR and administrators a person's hire date with its
// history, and the form that corrects it.
func (s *Server) hireDatePage(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	h, err := s.accounts.HireDateHistory(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	var ids []string
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	for _, ch := range h {
		ids = append(ids, ch.ChangedBy)
	}
	who, err := s.accounts.ByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	v := hireDateView{Person: p, History: h, Names: map[string]string{}}
	for _, w := range who {
		v.Names[w.ID] = w.Name
	}
	return s.render(c, fiber.StatusOK, "hire_date", Page{Title: "Hire date of " + p.Name, Nav: "people", Data: v})
}

// changeHireDate records a corrected hire date with its reason.
func (s *Server) changeHireDate(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	if err := s.accounts.SetHireDate(c.UserContext(), p.ID, c.FormValue("hire_date"), c.FormValue("reason")); err != nil {
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/hire-date?msg=hire-date-changed", fiber.StatusSeeOther)
}
