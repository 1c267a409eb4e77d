package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
)

type homeView struct {
	Roles []accounts.Role
	Sites []string
	Cards []homeCard
}

type homeCard struct {
	Title, Text, Figure string
	Links               []link
}

type link struct{ Label, Href string }

// home shows one section per role the person holds.
func (s *Server) home(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	v := homeView{Roles: u.Roles}
	sites, err := s.accounts.Sites(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		for _, id := range u.SiteIDs {
			if id == site.ID {
				v.Sites = append(v.Sites, site.Name)
			}
		}
	}
	for _, r := range accounts.AllRoles {
		if !u.Has(r) {
			continue
		}
		switch r {
		case accounts.RoleAdmin:
			n, err := s.accounts.Count(ctx)
			if err != nil {
				return err
			}
			v.Cards = append(v.Cards, homeCard{Title: "People", Text: "Accounts in this organisation.", Figure: itoa(n),
				Links: []link{{"Manage people", "/admin/people"}, {"Add a person", "/admin/people/new"}}})
			v.Cards = append(v.Cards, homeCard{Title: "Sites", Text: "Clinics in this organisation.", Figure: itoa(len(sites))})
		case accounts.RoleDirector:
			v.Cards = append(v.Cards, homeCard{Title: "Programs", Text: "Design and publish apprenticeship curricula, and follow your cohorts.",
				Links: []link{{"Open programs", "/programs"}}})
		case accounts.RolePreceptor:
			v.Cards = append(v.Cards, homeCard{Title: "Your apprentices", Text: "Record observed performances and sign off competencies at the point of care.",
				Links: []link{{"The program's checklists", "/programs"}}})
		case accounts.RoleApprentice:
			v.Cards = append(v.Cards, homeCard{Title: "Your progress", Text: "Your competencies, hours and the tasks you are cleared to perform.",
				Links: []link{{"My progress", "/progress"}, {"What I may do today", "/clearance"}, {"My program", "/programs"}}})
		case accounts.RoleHR:
			v.Cards = append(v.Cards, homeCard{Title: "Certifications", Text: "Credentials, expirations and audit exports."})
		}
	}
	v.Cards = append(v.Cards, homeCard{Title: "Your account", Text: "Password and personal API tokens.", Links: []link{{"Open my account", "/account"}}})
	return s.render(c, fiber.StatusOK, "home", Page{Title: "Home", Nav: "home", Data: v})
}

func itoa(n int) string { return strconv.Itoa(n) }
