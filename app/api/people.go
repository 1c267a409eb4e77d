package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/errkind"
)

// personJSON is a person as the API shows them.
type personJSON struct {
	ID         string   `json:"id"`
	Email      string   `json:"email"`
	Name       string   `json:"name"`
	EmployeeID string   `json:"employee_id,omitempty"`
	Credential string   `json:"credential"`
	Roles      []string `json:"roles"`
	SiteIDs    []string `json:"site_ids"`
	Disabled   bool     `json:"disabled"`
}

func toPersonJSON(p *accounts.Person) personJSON {
	out := personJSON{ID: p.ID, Email: p.Email, Name: p.Name, EmployeeID: p.EmployeeID, Credential: p.Credential,
		Roles: make([]string, len(p.Roles)), SiteIDs: p.SiteIDs, Disabled: p.Disabled()}
	for i, r := range p.Roles {
		out.Roles[i] = string(r)
	}
	if out.SiteIDs == nil {
		out.SiteIDs = []string{}
	}
	return out
}

func (a *API) me(c *fiber.Ctx) error { return c.JSON(toPersonJSON(request.User(c))) }

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ReadOnly   bool       `json:"read_only"`
	Sites      []string   `json:"sites"`
	// Token is present only in the response that created it.
	Token string `json:"token,omitempty"`
}

func toTokenJSON(t *accounts.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt,
		ReadOnly: t.ReadOnly, Sites: NonNil(t.SiteIDs)}
}

func (a *API) listTokens(c *fiber.Ctx) error {
	toks, err := a.accounts.Tokens(c.UserContext(), request.User(c).ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(toks))
	for i, t := range toks {
		out[i] = toTokenJSON(t)
	}
	return c.JSON(fiber.Map{"tokens": out})
}

func (a *API) createToken(c *fiber.Ctx) error {
	if err := a.scope.RefuseTokenByToken(c); err != nil {
		return err
	}
	var f TokenForm
	errs, err := a.scope.Bind(c, &f)
	if err != nil {
		return err
	}
	if errs != nil {
		return errkind.BadFields(errs)
	}
	if errs, err = a.scope.TokenReauth(c, f); err != nil {
		return err
	}
	if errs != nil {
		return errkind.WithFields(errkind.Unauthenticated, "Creating a token needs your password again; it was not accepted, so no token was created.", errs)
	}
	t, secret, err := a.accounts.CreateScopedToken(c.UserContext(), request.User(c).ID, f.Name, time.Duration(f.Days)*24*time.Hour, f.Scope())
	if err != nil {
		return err
	}
	out := toTokenJSON(t)
	out.Token = secret
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (a *API) revokeToken(c *fiber.Ctx) error {
	err := a.accounts.RevokeToken(c.UserContext(), request.User(c).ID, c.Params("id"))
	if errors.Is(err, db.ErrNotFound) {
		return errkind.New(errkind.NotFound, "You have no active token with this id.")
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiListPeople lists the people of the sites the caller may see (an
// admin: everyone), optionally one site of those.
func (a *API) listPeople(c *fiber.Ctx) error {
	u := request.User(c)
	f := accounts.ListFilter{Query: c.Query("q"), SiteID: c.Query("site"), SiteIDs: access.VisibleSites(u), Limit: 100}
	if f.SiteID != "" && !access.CanSeeSite(u, f.SiteID) {
		return errkind.New(errkind.NotFound, "There is no site with this id that you may see.")
	}
	if r := c.Query("role"); r != "" {
		role, err := accounts.ParseRole(r)
		if err != nil {
			return errkind.BadFields(map[string]string{"role": err.Error()})
		}
		f.Role = role
	}
	page := a.scope.Page(c)
	f.Offset = (page - 1) * f.Limit
	people, total, err := a.accounts.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]personJSON, len(people))
	for i, p := range people {
		out[i] = toPersonJSON(p)
	}
	return c.JSON(fiber.Map{"people": out, "total": total, "page": page, "per_page": f.Limit})
}

// createPerson adds a person (administrators, as on the people page). The
// person has no password until an administrator starts a password reset
// on their page.
func (a *API) createPerson(c *fiber.Ctx) error {
	p, err := a.scope.CreatePerson(c)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toPersonJSON(p))
}

// PersonEdit is the part of a person change that the new-person form
// sets (administrators); a field left out keeps its value.
type PersonEdit struct {
	Name       *string   `json:"name"`
	Email      *string   `json:"email"`
	EmployeeID *string   `json:"employee_id"`
	Roles      *[]string `json:"roles"`
	SiteIDs    *[]string `json:"site_ids"`
}

func (e *PersonEdit) empty() bool {
	return e.Name == nil && e.Email == nil && e.EmployeeID == nil && e.Roles == nil && e.SiteIDs == nil
}

// personPatch is one change to a person: disabled (administrators),
// hire_date with its reason (HR and administrators), or any of name,
// email, employee_id, roles and site_ids (administrators).
type personPatch struct {
	PersonEdit
	Disabled *bool   `json:"disabled"`
	HireDate *string `json:"hire_date"`
	Reason   string  `json:"reason"`
}

// updatePerson makes one change to a person the caller may see, through
// the same store calls (and so rules and audit entries) as the pages: one
// kind of change per request, so that each is all or nothing.
func (a *API) updatePerson(c *fiber.Ctx) error {
	p, err := a.scope.VisiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	var b personPatch
	errs, err := a.scope.Bind(c, &b)
	if err != nil {
		return err
	}
	if errs != nil {
		return errkind.BadFields(errs)
	}
	kinds := 0
	for _, set := range []bool{b.Disabled != nil, b.HireDate != nil, !b.PersonEdit.empty()} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return errkind.BadFields(map[string]string{"": "Send one kind of change per request: disabled; or hire_date with reason; or name, email, employee_id, roles and site_ids."})
	case b.Disabled != nil:
		if !request.User(c).Has(accounts.RoleAdmin) {
			return errkind.New(errkind.Forbidden, "Only an administrator disables or re-enables an account.")
		}
		err = a.scope.SetDisabled(c, p.ID, *b.Disabled)
	case b.HireDate != nil:
		err = a.accounts.SetHireDate(c.UserContext(), p.ID, *b.HireDate, b.Reason)
	case kinds == 1:
		err = a.scope.EditPerson(c, p, b.PersonEdit)
	default:
		return errkind.BadFields(map[string]string{"": "Send a change: disabled; or hire_date with reason; or any of name, email, employee_id, roles and site_ids."})
	}
	if err != nil {
		return err
	}
	if p, err = a.accounts.ByID(c.UserContext(), p.ID); err != nil {
		return err
	}
	return c.JSON(toPersonJSON(p))
}
