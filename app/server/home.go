package server

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

type homeView struct {
	Roles []accounts.Role
	Sites []string
	Cards []homeCard
}

type homeCard struct {
	Title, Text, Figure string
	Links               []link
	// Steps (numbered) and Reminders, on the apprentice's first card;
	// NoReminders says there are none.
	Steps, Reminders []link
	NoReminders      string
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
			cards, err := s.preceptorCards(c)
			if err != nil {
				return err
			}
			v.Cards = append(v.Cards, cards...)
		case accounts.RoleApprentice:
			cards, err := s.apprenticeCards(c)
			if err != nil {
				return err
			}
			v.Cards = append(v.Cards, cards...)
		case accounts.RoleHR:
			v.Cards = append(v.Cards, homeCard{Title: "Certifications", Text: "Expired, expiring and missing credentials by site.",
				Links: []link{{"Open the dashboard", "/hr"}}})
		}
	}
	v.Cards = append(v.Cards, homeCard{Title: "Your account", Text: "Password and personal API tokens.", Links: []link{{"Open my account", "/account"}}})
	return s.render(c, fiber.StatusOK, "home", Page{Title: "Home", Nav: "home", Data: v})
}

func itoa(n int) string { return strconv.Itoa(n) }

// preceptorCards: what waits for them (the queue), and the apprentices
// they follow with their progress and what is ready for sign-off, from
// one read model (app/reports) in a fixed number of queries.
func (s *Server) preceptorCards(c *fiber.Ctx) ([]homeCard, error) {
	q, err := s.queue(c, "")
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("%d ready for sign-off, %d re-verifications due, %d performances and %d hours entries to verify.",
		len(q.Ready), len(q.Reverify), len(q.SelfLogs), len(q.Hours))
	cards := []homeCard{{Title: "Waiting for you", Text: text, Figure: itoa(q.Len()), Links: []link{{"Open the queue", "/review"}}}}
	mine := homeCard{Title: "Your apprentices", Text: "Open one to record an observation or sign off."}
	if len(q.Apprentices) == 0 {
		mine.Text = "No apprentices are assigned to you yet."
	}
	for _, a := range q.Apprentices {
		label := a.Name + ": " + itoa(a.Percent) + "% signed off"
		if a.Ready > 0 {
			label += ", " + itoa(a.Ready) + " ready for sign-off"
		}
		mine.Links = append(mine.Links, link{label, "/enrollments/" + url.PathEscape(a.EnrollmentID)})
	}
	return append(cards, mine), nil
}

// apprenticeCards: what the apprentice may do today, progress, and what
// comes up in the next 90 days (re-verifications, lapse dates).
func (s *Server) apprenticeCards(c *fiber.Ctx) ([]homeCard, error) {
	u := currentUser(c)
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	res, err := s.clearance.For(c.UserContext(), u.ID, today)
	if errors.Is(err, clearance.ErrNotEnrolled) {
		return []homeCard{{Title: "Your progress", Text: "You are not enrolled in a program yet. Your program director enrolls you."}}, nil
	}
	if err != nil {
		return nil, err
	}
	a := s.apprenticeView(res)
	n := clearance.Counts(res.Decisions)
	under := itoa(n.Direct) + " more under direct supervision"
	if n.Indirect > 0 {
		under = itoa(n.Indirect) + " more under indirect supervision, " + itoa(n.Direct) + " under direct supervision"
	}
	pr := a.Progress
	// The next steps and the reminders in one card, first: what to do
	// now, and what comes due (credentials, re-verifications, clearances
	// that lapse).
	next := homeCard{Title: "Your next steps", Links: []link{{"What I may do", "/clearance"}}}
	for _, st := range a.Steps {
		next.Steps = append(next.Steps, link{st.Text, st.Href})
	}
	if len(next.Steps) == 0 {
		next.Text = "Nothing to do right now: every competency you have started is signed off."
	}
	for _, r := range a.Reminders {
		if !slices.ContainsFunc(a.Steps, func(st reports.Link) bool { return st.Text == r.Text }) {
			next.Reminders = append(next.Reminders, link{r.Text, r.Href})
		}
	}
	soon := today.AddDays(90)
	lapses := map[curriculum.Date]int{}
	for _, d := range res.Decisions {
		if d.Status == curriculum.Cleared && !d.LapsesOn.IsZero() && !d.LapsesOn.After(soon) {
			lapses[d.LapsesOn]++
		}
	}
	days := make([]curriculum.Date, 0, len(lapses))
	for d := range lapses {
		days = append(days, d)
	}
	slices.SortFunc(days, curriculum.Date.Compare)
	for _, day := range days {
		next.Reminders = append(next.Reminders, link{itoa(lapses[day]) + " task clearance(s) lapse on " + day.String() + " unless renewed", "/clearance"})
	}
	if len(a.Reminders) == 0 && len(next.Reminders) == 0 {
		next.NoReminders = "No credential or re-verification is due in the next 90 days."
	}
	return []homeCard{next,
		{Title: "Today you may perform", Figure: itoa(n.Cleared) + " tasks", Text: under + ". Each other task says exactly what is missing.",
			Links: []link{{"What I may do", "/clearance"}}},
		{Title: "Your progress", Figure: itoa(pr.Percent) + "%", Text: itoa(pr.SignedOff) + " of " + itoa(pr.Total) + " competencies signed off; " +
			pr.Hours.OJL.Counted.String() + " of " + pr.Hours.OJL.Target.String() + " on-the-job hours.",
			Links: []link{{"My progress", "/progress"}, {"My submissions", "/submissions"}, {"My program", "/programs"}}},
	}, nil
}

// apprenticeView is the read model of the apprentice's own pages for a
// clearance result (app/reports).
func (s *Server) apprenticeView(res *clearance.Result) *reports.Apprentice {
	return reports.ApprenticeView(reports.ApprenticeInput{Program: res.Program(), Records: res.Records, Decisions: res.Decisions,
		Credentials: res.RequiredCredentials(res.AsOf), Today: res.AsOf, Now: s.now(),
		EnrollmentURL:  "/enrollments/" + url.PathEscape(res.Enrollment.ID),
		CredentialsURL: "/people/" + url.PathEscape(res.PersonID) + "/credentials"})
}
