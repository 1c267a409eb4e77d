package server

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"

	"github.com/skillgate/skillgate/errkind"
)

type loginForm struct {
	Email    string `form:"email" json:"email" label:"Email" validate:"required,email,max=254"`
	Password string `form:"password" json:"password" label:"Password" validate:"required,max=1024"`
	Next     string `form:"next" json:"next"`
}

type loginView struct {
	Email, Next, Message string
	// SSO: the "Sign in with" buttons (sso.go).
	// HidePasswords: password login is off, so the password form is shown
	// only on request (?password=1, for break-glass accounts).
	SSO           []ssoButton
	HidePasswords bool
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.render(c, fiber.StatusOK, "login", Page{Title: "Log in", Data: s.loginView(c, loginView{Next: safeNext(c.Query("next"))})})
}

func (s *Server) login(c *fiber.Ctx) error {
	var f loginForm
	errs, err := bind(c, &f)
	if err != nil {
		return err
	}
	view := s.loginView(c, loginView{Email: f.Email, Next: safeNext(f.Next)})
	if errs != nil {
		return s.render(c, statusFor(errkind.Malformed), "login", Page{Title: "Log in", Errors: errs, Data: view})
	}
	if !s.cfg.PasswordAllowed(f.Email) {
		// Checked before the password, so the answer says nothing about
		// the account or the password.
		s.logWith(c).Info("login failed", "reason", "password login off")
		view.Message = errPasswordOff.Message
		return s.render(c, statusOf(errPasswordOff), "login", Page{Title: "Log in", Data: view})
	}
	p, err := s.accounts.Authenticate(c.UserContext(), f.Email, f.Password)
	if ke := formError(err); ke != nil {
		s.logWith(c).Info("login failed", "reason", loginFailure(err))
		return s.render(c, statusOf(err), "login", Page{Title: "Log in", Errors: fieldsOf(ke), Data: view})
	}
	if err != nil {
		return err
	}
	has, err := s.accounts.HasTOTP(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	if !has {
		// A passkey is the person's second factor: the password alone
		// does not log them in.
		if pk, err := s.accounts.HasPasskey(c.UserContext(), p.ID); err != nil {
			return err
		} else if pk {
			view.Message = accounts.ErrPasskeyNeeded.Message
			return s.render(c, statusOf(accounts.ErrPasskeyNeeded), "login", Page{Title: "Log in", Data: view})
		}
		return s.completeLogin(c, p, view.Next)
	}
	// The password is right; the code comes next, within five minutes.
	pending, err := s.accounts.StartPendingLogin(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	s.setPendingCookie(c, pending, int(accounts.PendingLoginLifetime.Seconds()))
	return c.Redirect("/login/code?next="+url.QueryEscape(view.Next), fiber.StatusSeeOther)
}

func loginFailure(err error) string {
	var locked *accounts.LockedError
	switch {
	case errors.As(err, &locked):
		return "locked"
	case errors.Is(err, accounts.ErrAccountDisabled):
		return "disabled"
	}
	return "bad credentials"
}

// safeNext keeps a post-login redirect on this site: a local path only,
// never "//host" or a scheme. Browsers drop tabs and line breaks from a
// URL and read a backslash as a slash, so "/\t/evil.example" would be
// "//evil.example" to them: no control character, space or backslash is
// accepted anywhere.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b <= ' ' || b == 0x7f || b == '\\' {
			return "/"
		}
	}
	return next
}

func (s *Server) logout(c *fiber.Ctx) error {
	if cookie := c.Cookies(s.sessionCookie()); cookie != "" {
		if err := s.accounts.Logout(c.UserContext(), cookie); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.Redirect("/login?msg=logged-out", fiber.StatusSeeOther)
}

type resetView struct{ Email, Token string }

type newPasswordForm struct {
	New     string `form:"new" json:"new" label:"New password" validate:"required"`
	Confirm string `form:"confirm" json:"confirm" label:"New password again" validate:"required"`
}

// passwordErrors checks a new password and its confirmation: nil, or an
// error with messages keyed by field (a missing field is Malformed; a
// mismatch or a password the policy refuses is Invalid).
func passwordErrors(f newPasswordForm, p *accounts.Person) *errkind.Error {
	if errs := check(&f); errs != nil {
		return badInput(errs)
	}
	if f.New != f.Confirm {
		return breaksRule(map[string]string{"confirm": "The two passwords are not the same."})
	}
	if err := password.Check(f.New, p.Email, p.Name); err != nil {
		if ke := errkind.As(err); ke != nil {
			return ke.WithField("new", ke.Message)
		}
		return breaksRule(map[string]string{"new": err.Error()})
	}
	return nil
}

func (s *Server) resetPage(c *fiber.Ctx) error {
	token := c.Params("token")
	p, err := s.accounts.ResetTarget(c.UserContext(), token)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "reset", Page{Title: "Choose a new password", Data: resetView{Email: p.Email, Token: token}})
}

func (s *Server) reset(c *fiber.Ctx) error {
	token := c.Params("token")
	p, err := s.accounts.ResetTarget(c.UserContext(), token)
	if err != nil {
		return err
	}
	var f newPasswordForm
	if err := c.BodyParser(&f); err != nil {
		return errUnreadable
	}
	if ke := passwordErrors(f, p); ke != nil {
		return s.render(c, statusOf(ke), "reset", Page{Title: "Choose a new password", Errors: ke.Fields, Data: resetView{Email: p.Email, Token: token}})
	}
	if _, err := s.accounts.CompleteReset(c.UserContext(), token, f.New); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.Redirect("/login?msg=password-set", fiber.StatusSeeOther)
}
