package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/scim"
	"github.com/skillgate/skillgate/errkind"
)

// scimView is the SCIM provisioning page: the URL to give the identity
// provider, its tokens, and a new token's secret on the one response that
// shows it.
type scimView struct {
	URL       string
	Tokens    []scim.Token
	Names     map[string]string // creators' names by id
	NewToken  string
	TokenName string
	NeedsCode bool
	Passkeys  bool
}

// scimForm is a new SCIM token with the re-authentication that makes it.
type scimForm struct {
	Name     string `form:"name"`
	Password string `form:"password"`
	Code     string `form:"code"`
	Passkey  string `form:"passkey"`
}

func (s *Server) scimPage(c *fiber.Ctx) error {
	return s.renderSCIM(c, fiber.StatusOK, nil, scimView{})
}

func (s *Server) renderSCIM(c *fiber.Ctx, status int, errs map[string]string, v scimView) error {
	ctx, u := c.UserContext(), currentUser(c)
	var err error
	if v.Tokens, err = s.scim.Tokens(ctx); err != nil {
		return err
	}
	ids := []string{}
	for _, t := range v.Tokens {
		ids = append(ids, t.CreatedBy)
	}
	people, err := s.accounts.ByIDs(ctx, ids)
	if err != nil {
		return err
	}
	v.Names = map[string]string{"system": "the command line"}
	for _, p := range people {
		v.Names[p.ID] = p.Name
	}
	f, err := s.accounts.Factor(ctx, u.ID)
	if err != nil {
		return err
	}
	v.NeedsCode = f.Active()
	if v.Passkeys, err = s.accounts.HasPasskey(ctx, u.ID); err != nil {
		return err
	}
	v.URL = s.cfg.BaseURL + "/scim/v2"
	return s.render(c, status, "scim", Page{Title: "SCIM provisioning", Nav: "people", Errors: errs, Data: v})
}

// createSCIMToken makes a token for an identity provider. It can set any
// mapped role on anyone, so it takes the same re-authentication as signing
// (a passkey, or the password and code), never an API token.
func (s *Server) createSCIMToken(c *fiber.Ctx) error {
	var f scimForm
	if err := c.BodyParser(&f); err != nil {
		return errUnreadable
	}
	back := scimView{TokenName: f.Name}
	_, field, problem, err := s.reauthWith(c, f.Passkey, f.Password, f.Code, "no token was created")
	if err != nil {
		return err
	}
	if problem != "" {
		return s.renderSCIM(c, fiber.StatusUnauthorized, map[string]string{field: problem}, back)
	}
	_, secret, err := s.scim.CreateToken(c.UserContext(), f.Name, currentUser(c).ID)
	if ke := errkind.As(err); ke != nil && ke.Fields != nil {
		return s.renderSCIM(c, statusOf(err), ke.Fields, back)
	}
	if err != nil {
		return err
	}
	// Shown on this response only; never stored in the clear or redirected.
	return s.renderSCIM(c, fiber.StatusCreated, nil, scimView{NewToken: secret})
}

func (s *Server) revokeSCIMToken(c *fiber.Ctx) error {
	if err := s.scim.RevokeToken(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/admin/scim?msg=scim-token-revoked", fiber.StatusSeeOther)
}
