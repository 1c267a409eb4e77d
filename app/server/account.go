package server

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/api"

	"github.com/skillgate/skillgate/errkind"
)

type accountView struct {
	Tokens    []*accounts.APIToken
	NewToken  string
	TokenName string
	// ReadOnly and Sites are the scope typed into the token form, kept
	// when it comes back with a message.
	ReadOnly bool
	Sites    []string
	// MySites are the sites a token may be limited to (the person's own).
	MySites []accounts.Site
	// SiteNames names every site, for the tokens' scope column.
	SiteNames map[string]string
	// NeedsCode: the person has a second factor, so a token takes a code too.
	NeedsCode bool
	// Sessions are the person's live sessions; Current is this one's ID.
	Sessions []accounts.SessionInfo
	Current  string
	// Factor is the person's authenticator app, if any.
	Factor *accounts.Factor
	// Passkeys are the person's passkeys.
	Passkeys []accounts.Passkey
	now      time.Time
}

// Chosen reports whether a site was ticked in the token form.
func (v accountView) Chosen(id string) bool { return slices.Contains(v.Sites, id) }

// Expired reports whether a token is past its expiry (for the status column).
func (v accountView) Expired(t *accounts.APIToken) bool { return !v.now.Before(t.ExpiresAt) }

func (s *Server) accountPage(c *fiber.Ctx) error {
	return s.renderAccount(c, fiber.StatusOK, nil, accountView{})
}

func (s *Server) renderAccount(c *fiber.Ctx, status int, errs map[string]string, v accountView) error {
	toks, err := s.accounts.Tokens(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v.Tokens, v.now = toks, s.now()
	if v.Factor, err = s.accounts.Factor(c.UserContext(), currentUser(c).ID); err != nil {
		return err
	}
	v.NeedsCode = v.Factor.Active()
	if v.Passkeys, err = s.accounts.Passkeys(c.UserContext(), currentUser(c).ID); err != nil {
		return err
	}
	if v.Sessions, err = s.accounts.Sessions(c.UserContext(), currentUser(c).ID, s.sessionPolicy()); err != nil {
		return err
	}
	v.Current = accounts.HashSecret(c.Cookies(s.sessionCookie()))
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	v.SiteNames = map[string]string{}
	for _, site := range sites {
		v.SiteNames[site.ID] = site.Name
		if slices.Contains(currentUser(c).SiteIDs, site.ID) {
			v.MySites = append(v.MySites, site)
		}
	}
	return s.render(c, status, "account", Page{Title: "My account", Nav: "account", Errors: errs, Data: v})
}

type changePasswordForm struct {
	Current string `form:"current" label:"Current password" validate:"required"`
	newPasswordForm
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	u := currentUser(c)
	var f changePasswordForm
	if err := c.BodyParser(&f); err != nil {
		return errUnreadable
	}
	var ke *errkind.Error
	if errs := check(&f); errs != nil {
		ke = badInput(errs)
	} else {
		ke = passwordErrors(f.newPasswordForm, u)
	}
	if ke == nil {
		// Re-checking the current password goes through the same lockout as login.
		if _, err := s.accounts.Authenticate(c.UserContext(), u.Email, f.Current); err != nil {
			var locked *accounts.LockedError
			if !errors.Is(err, accounts.ErrBadCredentials) && !errors.As(err, &locked) {
				return err
			}
			msg := "This is not your current password."
			if locked != nil {
				msg = locked.Error()
			}
			ke = errkind.As(err).WithField("current", msg)
		}
	}
	if ke != nil {
		return s.renderAccount(c, statusOf(ke), ke.Fields, accountView{})
	}
	if err := s.accounts.SetPassword(c.UserContext(), u.ID, f.New); err != nil {
		return err
	}
	// SetPassword ended every session, this one too; start a fresh one so
	// the person stays logged in here.
	secret, err := s.accounts.StartSession(c.UserContext(), u.ID, clientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, secret)
	return c.Redirect("/account?msg=password-changed", fiber.StatusSeeOther)
}

// tokenForm is a new token, as the account page and the API take it.
type tokenForm = api.TokenForm

// errTokenByToken: a request authenticated by an API token may not make
// another (the new one would outlive the revocation of the first).
var errTokenByToken = errkind.New(errkind.Forbidden, "An API token cannot create API tokens. Create one on your account page, or with a login session and your password.")

// tokenReauth re-authenticates a token request with the one check
// (reauthWith): a passkey's answer, or the password and, for a person
// with an authenticator app, a code. It returns the field messages to
// show (nil: accepted); a wrong password or code or a locked account is
// answered like one, and goes through the same lockout as logging in.
func (s *Server) tokenReauth(c *fiber.Ctx, f tokenForm) (map[string]string, error) {
	_, field, problem, err := s.reauthWith(c, f.Passkey, f.Password, f.Code, "no token was created")
	if err != nil || problem == "" {
		return nil, err
	}
	return map[string]string{field: problem}, nil
}

// reauthProblem is the message for a re-authentication the person got
// wrong (what "nothing happened" means is said by done), or "" for
// success and for faults of ours.
func reauthProblem(err error, done string) string {
	var locked *accounts.LockedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &locked):
		return locked.Error()
	case errors.Is(err, accounts.ErrBadCredentials):
		return "Your password was not accepted, so " + done + ". Type it again."
	case errors.Is(err, accounts.ErrCodeNeeded):
		return "Your account has a second factor: type the code from your authenticator app as well as your password (" + done + ")."
	case errors.Is(err, accounts.ErrBadCode):
		return "Your code was not accepted, so " + done + ". Type the code your authenticator app shows now (each code works once)."
	case errors.Is(err, accounts.ErrPasskeyNeeded):
		return "Your account uses a passkey: use it instead of your password (" + done + ")."
	}
	return ""
}

func (s *Server) createTokenForm(c *fiber.Ctx) error {
	if viaToken(c) {
		return errTokenByToken
	}
	var f tokenForm
	errs, err := bind(c, &f)
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderAccount(c, statusFor(errkind.Malformed), errs, accountView{TokenName: f.Name, ReadOnly: f.ReadOnly, Sites: f.Sites})
	}
	if errs, err = s.tokenReauth(c, f); err != nil {
		return err
	}
	if errs != nil {
		return s.renderAccount(c, fiber.StatusUnauthorized, errs, accountView{TokenName: f.Name, ReadOnly: f.ReadOnly, Sites: f.Sites})
	}
	_, secret, err := s.accounts.CreateScopedToken(c.UserContext(), currentUser(c).ID, f.Name, time.Duration(f.Days)*24*time.Hour, f.Scope())
	if ke := formError(err); ke != nil && ke.Fields != nil {
		return s.renderAccount(c, statusOf(err), ke.Fields, accountView{TokenName: f.Name, ReadOnly: f.ReadOnly, Sites: f.Sites})
	}
	if err != nil {
		return err
	}
	// Shown on this response only; never stored in the clear or redirected.
	return s.renderAccount(c, fiber.StatusCreated, nil, accountView{NewToken: secret})
}

func (s *Server) revokeTokenForm(c *fiber.Ctx) error {
	if err := s.accounts.RevokeToken(c.UserContext(), currentUser(c).ID, c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/account?msg=token-revoked", fiber.StatusSeeOther)
}

// Device names the browser and system of a session from its user agent,
// for people ("Chrome on Android"); the whole string is in the title.
func (v accountView) Device(ua string) string {
	browser, system := "A browser", ""
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"}} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"}, {"Mac OS", "a Mac"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, o.token) {
			system = " on " + o.name
			break
		}
	}
	return browser + system
}

func (s *Server) endSessionForm(c *fiber.Ctx) error {
	if err := s.accounts.EndSessionOf(c.UserContext(), currentUser(c).ID, c.Params("id")); err != nil {
		return err
	}
	if c.Params("id") == accounts.HashSecret(c.Cookies(s.sessionCookie())) {
		s.clearSessionCookie(c)
		return c.Redirect("/login?msg=logged-out", fiber.StatusSeeOther)
	}
	return c.Redirect("/account?msg=session-ended", fiber.StatusSeeOther)
}
