package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// demographicsJSON is a person's demographic fields for RAPIDS as the API
// reads and writes them ("" and no race: not recorded); codes are those
// of accounts (Genders, Races, …), documented in openapi.json.
type demographicsJSON struct {
	PersonID         string     `json:"person_id,omitempty"`
	DateOfBirth      string     `json:"date_of_birth"`
	Gender           string     `json:"gender"`
	Ethnicity        string     `json:"ethnicity"`
	Race             []string   `json:"race"`
	VeteranStatus    string     `json:"veteran_status"`
	Disability       string     `json:"disability"`
	EducationLevel   string     `json:"education_level"`
	EmploymentStatus string     `json:"employment_status"`
	UpdatedAt        *time.Time `json:"updated_at,omitempty"`
}

// demographicsPut is the body of a replacement: every field must be sent
// ("" or [] for not recorded), so a forgotten one is not erased silently.
type demographicsPut struct {
	DateOfBirth      *string   `json:"date_of_birth" form:"date_of_birth" validate:"required"`
	Gender           *string   `json:"gender" form:"gender" validate:"required"`
	Ethnicity        *string   `json:"ethnicity" form:"ethnicity" validate:"required"`
	Race             *[]string `json:"race" form:"race" validate:"required"`
	VeteranStatus    *string   `json:"veteran_status" form:"veteran_status" validate:"required"`
	Disability       *string   `json:"disability" form:"disability" validate:"required"`
	EducationLevel   *string   `json:"education_level" form:"education_level" validate:"required"`
	EmploymentStatus *string   `json:"employment_status" form:"employment_status" validate:"required"`
}

func toDemographicsJSON(d accounts.Demographics) demographicsJSON {
	out := demographicsJSON{PersonID: d.PersonID, DateOfBirth: d.DateOfBirth, Gender: d.Gender, Ethnicity: d.Ethnicity, Race: NonNil(d.RaceCodes()),
		VeteranStatus: d.VeteranStatus, Disability: d.Disability, EducationLevel: d.EducationLevel, EmploymentStatus: d.EmploymentStatus}
	if !d.UpdatedAt.IsZero() {
		at := d.UpdatedAt.UTC()
		out.UpdatedAt = &at
	}
	return out
}

// personDemographics answers a person's demographic fields (HR and
// admins), recording in the audit trail that the caller read them.
func (a *API) personDemographics(c *fiber.Ctx) error {
	p, err := a.scope.VisiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	d, err := a.accounts.ViewDemographics(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	return c.JSON(toDemographicsJSON(d))
}

// setDemographics replaces a person's demographic fields (HR and admins):
// every field must be sent, one sent empty is no longer recorded. Sending the values
// already recorded changes nothing and answers them.
func (a *API) setDemographics(c *fiber.Ctx) error {
	p, err := a.scope.VisiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	var b demographicsPut
	errs, err := a.scope.Bind(c, &b)
	if err != nil {
		return err
	}
	if errs != nil {
		return errkind.BadFields(errs)
	}
	in := accounts.DemographicsInput{DateOfBirth: *b.DateOfBirth, Gender: *b.Gender, Ethnicity: *b.Ethnicity, Races: *b.Race,
		VeteranStatus: *b.VeteranStatus, Disability: *b.Disability, EducationLevel: *b.EducationLevel, EmploymentStatus: *b.EmploymentStatus}
	ctx := c.UserContext()
	if err := a.accounts.SetDemographics(ctx, p.ID, in, curriculum.DateOf(a.now(), nil)); err != nil && !errors.Is(err, accounts.ErrNothingToChange) {
		return err
	}
	stored, err := accounts.DemographicsOf(ctx, a.accounts.DB, []string{p.ID})
	if err != nil {
		return err
	}
	d := stored[p.ID]
	d.PersonID = p.ID
	return c.JSON(toDemographicsJSON(d))
}
