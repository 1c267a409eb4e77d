package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/curriculum"
)

// demographicsView is a person's demographic fields with the answers each
// field offers.
type demographicsView struct {
	Person       *accounts.Person
	Demographics accounts.Demographics
	By           string // who last changed them
	Genders, Ethnicities, Races, VeteranStatuses, Disabilities,
	EducationLevels, EmploymentStatuses []accounts.Choice
}

// HasRace says whether code is among the races recorded.
func (v demographicsView) HasRace(code string) bool {
	for _, c := range v.Demographics.RaceCodes() {
		if c == code {
			return true
		}
	}
	return false
}

// demographicsPage shows HR and administrators a person's demographic
// fields (for the RAPIDS registration) and the form that records them;
// every showing is audited.
func (s *Server) demographicsPage(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var d accounts.Demographics
	if formStateOf(c) != nil {
		// Shown again for its form, the page shows what was typed, not
		// what is recorded: nothing is viewed, nothing to audit.
		recorded, err := accounts.DemographicsOf(ctx, s.db, []string{p.ID})
		if err != nil {
			return err
		}
		d = recorded[p.ID]
		d.DateOfBirth, d.Gender, d.Ethnicity, d.Race, d.VeteranStatus, d.Disability, d.EducationLevel, d.EmploymentStatus = "", "", "", "", "", "", "", ""
	} else if d, err = s.accounts.ViewDemographics(ctx, p.ID); err != nil {
		return err
	}
	v := demographicsView{Person: p, Demographics: d, Genders: accounts.Genders, Ethnicities: accounts.Ethnicities, Races: accounts.Races,
		VeteranStatuses: accounts.VeteranStatuses, Disabilities: accounts.Disabilities, EducationLevels: accounts.EducationLevels,
		EmploymentStatuses: accounts.EmploymentStatuses}
	if d.UpdatedBy != "" {
		v.By = d.UpdatedBy
		if who, err := s.accounts.ByIDs(ctx, []string{d.UpdatedBy}); err == nil && len(who) == 1 {
			v.By = who[0].Name
		}
	}
	return s.render(c, fiber.StatusOK, "demographics", Page{Title: "Demographics of " + p.Name, Nav: "people", Data: v})
}

// saveDemographics records a person's demographic fields as the form
// sends them (a field left empty is not recorded).
func (s *Server) saveDemographics(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	in := accounts.DemographicsInput{DateOfBirth: c.FormValue("date_of_birth"), Gender: c.FormValue("gender"), Ethnicity: c.FormValue("ethnicity"),
		VeteranStatus: c.FormValue("veteran_status"), Disability: c.FormValue("disability"), EducationLevel: c.FormValue("education_level"),
		EmploymentStatus: c.FormValue("employment_status")}
	for _, r := range c.Request().PostArgs().PeekMulti("race") {
		in.Races = append(in.Races, string(r))
	}
	if err := s.accounts.SetDemographics(c.UserContext(), p.ID, in, curriculum.DateOf(s.now(), s.cfg.Location())); err != nil {
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/demographics?msg=demographics-saved", fiber.StatusSeeOther)
}

// demographicChoice is what the "demographic-choice" template renders: one
// select of the demographics form.
type demographicChoice struct {
	Page                       Page
	Action, Name, Label, Value string
	Choices                    []accounts.Choice
}
