package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/groupmap"
)

// ssoAdminView is single sign-on as an administrator sees it: the
// provider configured, the password switch, and the mapping they edit.
type ssoAdminView struct {
	Settings    sso.Settings
	SavedByName string
	Issuer      string
	Name        string
	GroupsClaim string
	// SAML: the SAML provider's name and metadata source, and what its
	// administrator enters for Skillgate (empty without SAML).
	SAMLName, SAMLMetadata, SPMetadataURL, ACSURL string
	TrustEmail                                    bool
	Passwords                                     bool
	BreakGlass                                    []string
	// Mapping is the mapping's text, one entry a line.
	Mapping string
	Sites   []string
}

// ssoAdminPage shows the group mapping with the form that edits it.
func (s *Server) ssoAdminPage(c *fiber.Ctx) error {
	set, err := s.sso.Settings(c.UserContext())
	if err != nil {
		return err
	}
	v := ssoAdminView{Settings: set, Issuer: s.cfg.OIDC.Issuer, Name: s.cfg.OIDC.Name, GroupsClaim: s.cfg.SSOGroupsClaim,
		TrustEmail: s.cfg.SSOTrustEmail, Passwords: s.cfg.PasswordLogin, BreakGlass: s.cfg.BreakGlass,
		Mapping: strings.ReplaceAll(set.Mapping.String(), ",", "\n")}
	if s.saml != nil {
		v.SAMLName, v.SAMLMetadata, v.SPMetadataURL, v.ACSURL = s.cfg.SAML.Name, s.cfg.SAML.IdPMetadata, s.saml.EntityID(), s.saml.ACSURL()
	}
	if set.Saved {
		if p, err := s.accounts.ByID(c.UserContext(), set.By); err == nil {
			v.SavedByName = p.Name
		}
	}
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	for _, site := range sites {
		v.Sites = append(v.Sites, site.Name)
	}
	return s.render(c, fiber.StatusOK, "sso_admin", Page{Title: "Single sign-on", Nav: "people", Data: v})
}

// saveSSOSettings saves the mapping (one group=role@site a line, or
// comma-separated) and whether the provider is the source of truth. A
// mapping that does not read, or names a site Skillgate does not have, is
// refused by the field.
func (s *Server) saveSSOSettings(c *fiber.Ctx) error {
	text := strings.Join(strings.FieldsFunc(c.FormValue("group_map"), func(r rune) bool { return r == '\n' || r == '\r' }), ",")
	m, err := groupmap.Parse(text)
	if err != nil {
		msg := err.Error()
		if ke := formError(err); ke != nil {
			msg = ke.Message
		}
		return breaksRule(map[string]string{"group_map": msg})
	}
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, site := range sites {
		known[site.Name] = true
	}
	for _, e := range m.Entries() {
		if e.Site != groupmap.AllSites && !known[e.Site] {
			return breaksRule(map[string]string{"group_map": "No site is named “" + e.Site + "”: write a site's name as Skillgate shows it, or * for every site."})
		}
	}
	if err := s.sso.SaveSettings(c.UserContext(), m, c.FormValue("idp_is_source") == "on", currentUser(c).ID); err != nil {
		return err
	}
	return c.Redirect("/admin/sso?msg=sso-saved", fiber.StatusSeeOther)
}
