package server

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Enrolling an apprentice (program directors): in the newest published
// version of a program, at one of their sites, with assigned preceptors.

type enrollFormView struct {
	Versions   []enrollOption
	Sites      []accounts.Site
	Preceptors []*accounts.Person
	Key        string
	Today      curriculum.Date
}

type enrollOption struct {
	ID, Label string
}

func (s *Server) enrollForm(c *fiber.Ctx, p *accounts.Person) (*enrollFormView, error) {
	ctx := c.UserContext()
	ps, err := s.programs.List(ctx)
	if err != nil {
		return nil, err
	}
	v := &enrollFormView{Key: newKey(), Today: curriculum.DateOf(s.now(), s.cfg.Location())}
	for _, pr := range ps {
		if l := pr.Latest(); l != nil {
			v.Versions = append(v.Versions, enrollOption{ID: l.ID, Label: pr.Title + ", version " + itoa(l.Number)})
		}
	}
	sites, err := s.accounts.Sites(ctx)
	if err != nil {
		return nil, err
	}
	for _, site := range sites {
		if slices.Contains(p.SiteIDs, site.ID) && canSeeSite(currentUser(c), site.ID) {
			v.Sites = append(v.Sites, site)
		}
	}
	for _, site := range p.SiteIDs {
		if !canSeeSite(currentUser(c), site) {
			continue
		}
		list, _, err := s.accounts.List(ctx, accounts.ListFilter{Role: accounts.RolePreceptor, SiteID: site, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, pr := range list {
			if !slices.ContainsFunc(v.Preceptors, func(x *accounts.Person) bool { return x.ID == pr.ID }) {
				v.Preceptors = append(v.Preceptors, pr)
			}
		}
	}
	return v, nil
}

type enrollBody struct {
	IdempotencyKey string          `json:"idempotency_key" form:"key"`
	PersonID       string          `json:"person_id" form:"-"`
	VersionID      string          `json:"version_id" form:"version_id"`
	SiteID         string          `json:"site_id" form:"site_id"`
	HireDate       curriculum.Date `json:"hire_date" form:"-"`
	StartDate      curriculum.Date `json:"start_date" form:"-"`
	PreceptorIDs   []string        `json:"preceptor_ids" form:"preceptor_ids"`
}

// enrollPerson validates the request against what the director may do
// (the person and site must be theirs to see) and stores it.
func (s *Server) enrollPerson(c *fiber.Ctx, b enrollBody) (assessments.Enrollment, bool, error) {
	p, err := s.visiblePerson(c, b.PersonID)
	if err != nil {
		return assessments.Enrollment{}, false, err
	}
	if !p.Has(accounts.RoleApprentice) {
		return assessments.Enrollment{}, false, breaksRule(map[string]string{"person_id": "Only people with the apprentice role can be enrolled."})
	}
	if !slices.Contains(p.SiteIDs, b.SiteID) || !canSeeSite(currentUser(c), b.SiteID) {
		return assessments.Enrollment{}, false, breaksRule(map[string]string{"site_id": "Choose one of the apprentice's sites that you manage."})
	}
	// Assigned preceptors see the apprentice's records, so they must be
	// preceptors the director may see.
	for _, id := range b.PreceptorIDs {
		pr, err := s.accounts.ByID(c.UserContext(), id)
		if err != nil || !pr.Has(accounts.RolePreceptor) || !canSeePerson(currentUser(c), pr) {
			return assessments.Enrollment{}, false, breaksRule(map[string]string{"preceptor_ids": "Choose preceptors of your sites."})
		}
	}
	v, err := s.programs.VersionByID(c.UserContext(), b.VersionID)
	if err != nil || v.Status != curriculum.Published {
		return assessments.Enrollment{}, false, breaksRule(map[string]string{"version_id": "Choose a published program version."})
	}
	// The hire date is the person's (HR's record); an enrollment keeps the
	// one in force when it was made, or its start when HR has none. An API
	// client may still send one (older clients), and without a start date
	// it is the start, as before.
	if b.StartDate.IsZero() {
		b.StartDate = b.HireDate
	}
	if b.StartDate.IsZero() {
		return assessments.Enrollment{}, false, badInput(map[string]string{"start_date": "Give the training start date as YYYY-MM-DD."})
	}
	if b.HireDate.IsZero() {
		b.HireDate = b.StartDate
		if h, err := curriculum.ParseDate(p.HireDate); err == nil && p.HireDate != "" {
			b.HireDate = h
		}
	}
	return s.evidence.Enroll(c.UserContext(), assessments.Enrollment{ApprenticeID: p.ID, VersionID: v.ID, SiteID: b.SiteID,
		HireDate: b.HireDate, StartDate: b.StartDate, PreceptorIDs: b.PreceptorIDs, IdempotencyKey: b.IdempotencyKey}, currentUser(c).ID)
}

func (s *Server) enroll(c *fiber.Ctx) error {
	var b enrollBody
	if err := c.BodyParser(&b); err != nil {
		return badInput(map[string]string{"": "The form could not be read. Reload the page and try again."})
	}
	b.PersonID = c.Params("id")
	// Whom first: a person the director may not see is a 404 whatever the form says.
	if _, err := s.visiblePerson(c, b.PersonID); err != nil {
		return err
	}
	var err error
	if b.StartDate, err = curriculum.ParseDate(strings.TrimSpace(c.FormValue("start_date"))); err != nil {
		return badInput(map[string]string{"start_date": "Give the training start date as YYYY-MM-DD."})
	}
	if _, _, err := s.enrollPerson(c, b); err != nil {
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(b.PersonID)+"/clearance?msg=enrolled", fiber.StatusSeeOther)
}
