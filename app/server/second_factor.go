package server

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"

	"github.com/skillgate/skillgate/errkind"
)

// Second factors (issue 20): an authenticator app (RFC 6238 codes) with
// recovery codes. A person with one logs in with the password and then a
// code (/login/code), and signs with both; a person whose role must have
// one (SKILLGATE_SECOND_FACTOR_ROLES) and has none is led to
// /account/second-factor at login and can do nothing else until done.

// pendingCookie holds the half-finished login between the password and
// the code; only its hash is stored, for five minutes.
func (s *Server) pendingCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-sg_login"
	}
	return "sg_login"
}

func (s *Server) setPendingCookie(c *fiber.Ctx, value string, maxAge int) {
	ck := &fiber.Cookie{Name: s.pendingCookie(), Value: value, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: maxAge}
	if maxAge < 0 {
		ck.Expires = time.Unix(0, 0)
	}
	c.Cookie(ck)
}

// completeLogin starts the session of p, whose every factor was checked,
// and sends them on: to a notice that their second factor was removed
// (once), to choosing a new password, or to next.
func (s *Server) completeLogin(c *fiber.Ctx, p *accounts.Person, next string) error {
	// A new session id at every login; an old cookie is simply replaced.
	secret, err := s.accounts.Login(c.UserContext(), p.ID, clientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, secret)
	s.logWith(c).Info("login", "user_id", p.ID)
	removed, err := s.accounts.RemovalNotice(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	switch {
	case removed != nil:
		return c.Redirect("/account/second-factor?msg=factor-removed", fiber.StatusSeeOther)
	case p.MustChangePassword:
		return c.Redirect("/account?msg=must-change", fiber.StatusSeeOther)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

type codeView struct {
	Next, Message string
}

func (s *Server) loginCodePage(c *fiber.Ctx) error {
	if _, err := s.accounts.PendingLogin(c.UserContext(), c.Cookies(s.pendingCookie())); err != nil {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return s.render(c, fiber.StatusOK, "login_code", Page{Title: "Enter your code", Data: codeView{Next: safeNext(c.Query("next"))}})
}

func (s *Server) loginCode(c *fiber.Ctx) error {
	pending := c.Cookies(s.pendingCookie())
	p, err := s.accounts.PendingLogin(c.UserContext(), pending)
	if errors.Is(err, accounts.ErrPendingLoginGone) || errors.Is(err, accounts.ErrAccountDisabled) {
		s.setPendingCookie(c, "", -1)
		return s.render(c, statusOf(err), "login", Page{Title: "Log in", Data: loginView{Message: errkind.As(err).Message}})
	}
	if err != nil {
		return err
	}
	view := codeView{Next: safeNext(c.FormValue("next"))}
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" {
		return s.render(c, statusFor(errkind.Malformed), "login_code", Page{Title: "Enter your code",
			Errors: map[string]string{"code": "Type the 6-digit code your authenticator app shows, or a recovery code."}, Data: view})
	}
	// The code is checked as the person it is for: a failure is theirs.
	ctx := c.UserContext()
	if a, ok := audit.ActorFrom(ctx); ok {
		a.ID, a.Via = p.ID, "login"
		c.SetUserContext(audit.WithActor(ctx, a))
	}
	if _, err := s.accounts.CheckSecondFactor(c.UserContext(), p, code); err != nil {
		if ke := formError(err); ke != nil {
			s.logWith(c).Info("login code refused", "user_id", p.ID)
			return s.render(c, statusOf(err), "login_code", Page{Title: "Enter your code", Errors: map[string]string{"code": ke.Message}, Data: view})
		}
		return err
	}
	if err := s.accounts.EndPendingLogin(pending); err != nil {
		return err
	}
	s.setPendingCookie(c, "", -1)
	return s.completeLogin(c, p, view.Next)
}

// errFactorByToken: second factors are credentials; an API token (itself
// one factor at most) neither makes nor approves nor removes them.
var errFactorByToken = errkind.New(errkind.Forbidden, "Second factors are managed only from a login session, never with an API token.")

// noToken refuses requests authenticated by an API token.
func noToken(c *fiber.Ctx) error {
	if viaToken(c) {
		return errFactorByToken
	}
	return c.Next()
}

// mustEnrol reports whether u holds a role that must have a second factor
// (SKILLGATE_SECOND_FACTOR_ROLES) and has no active one.
func (s *Server) mustEnrol(c *fiber.Ctx, u *accounts.Person) (bool, error) {
	if !slices.ContainsFunc(s.cfg.SecondFactorRoles, func(r string) bool { return u.Has(accounts.Role(r)) }) {
		return false, nil
	}
	if s.oidc != nil || s.saml != nil {
		// Someone who signs in only through the identity provider has its
		// factors, not Skillgate's: with password login off for them, or
		// linked to it without a password.
		if !s.cfg.PasswordAllowed(u.Email) {
			return false, nil
		}
		if linked, err := s.ssoLinked(c, u.ID); err != nil || linked {
			if has, err2 := s.accounts.HasPassword(c.UserContext(), u.ID); err != nil || err2 != nil || !has {
				return false, errors.Join(err, err2)
			}
		}
	}
	has, err := s.accounts.HasSecondFactor(c.UserContext(), u.ID)
	return !has, err
}

// enrolmentPaths are what a person who must enrol may still reach.
var enrolmentPaths = []string{"/account/second-factor", "/account/second-factor/start", "/account/second-factor/qr.png",
	"/account/second-factor/confirm", "/account/second-factor/email-code", "/account/second-factor/approve", "/logout",
	"/account/passkeys/options", "/account/passkeys"}

// errMustEnrol: an API call by someone who must first enrol.
var errMustEnrol = errkind.New(errkind.Forbidden, "Your role needs a second factor: set up an authenticator app on your account page (/account/second-factor) first.")

// requireEnrolment leads a logged-in person who must enrol to the
// enrolment page, whatever else they ask for.
func (s *Server) requireEnrolment(c *fiber.Ctx) error {
	u := currentUser(c)
	path := c.Path()
	if u == nil || viaToken(c) || slices.Contains(enrolmentPaths, path) || strings.HasPrefix(path, "/static/") ||
		strings.HasPrefix(path, "/login") || strings.HasPrefix(path, "/reset/") || strings.HasPrefix(path, "/calendar/") ||
		strings.HasPrefix(path, "/verify/") {
		return c.Next()
	}
	must, err := s.mustEnrol(c, u)
	if err != nil {
		return err
	}
	if !must {
		return c.Next()
	}
	if isAPI(c) {
		return errMustEnrol
	}
	return c.Redirect("/account/second-factor?msg=must-enrol", fiber.StatusSeeOther)
}

type factorView struct {
	Factor *accounts.Factor
	// Secret and Enrolling: an enrolment was started and waits for the
	// first code (the QR code is at /account/second-factor/qr.png).
	Enrolling bool
	Secret    string
	// Recovery are the recovery codes, shown once, right after enrolment.
	Recovery []string
	// Waiting: the enrolment waits for a second person or an emailed code.
	Waiting bool
	// CanEmail: a code can be emailed to the person to approve it.
	CanEmail bool
	Must     bool
}

func (s *Server) factorPage(c *fiber.Ctx) error {
	return s.renderFactor(c, fiber.StatusOK, nil, factorView{})
}

func (s *Server) renderFactor(c *fiber.Ctx, status int, errs map[string]string, v factorView) error {
	u := currentUser(c)
	f, err := s.accounts.Factor(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	v.Factor = f
	v.Waiting = f != nil && f.Waiting
	v.CanEmail = s.mail != nil
	if v.Must, err = s.mustEnrol(c, u); err != nil {
		return err
	}
	if f == nil && !v.Enrolling {
		if key, err := s.accounts.PendingTOTP(c.UserContext(), u); err == nil {
			v.Enrolling, v.Secret = true, key.Secret()
		}
	}
	return s.render(c, status, "second_factor", Page{Title: "Second factor", Nav: "account", Errors: errs, Data: v})
}

func (s *Server) startFactor(c *fiber.Ctx) error {
	key, err := s.accounts.StartTOTP(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	return s.renderFactor(c, fiber.StatusOK, nil, factorView{Enrolling: true, Secret: key.Secret()})
}

// factorQR is the QR code of the enrolment waiting for its first code,
// drawn here: the secret never leaves for another service.
func (s *Server) factorQR(c *fiber.Ctx) error {
	key, err := s.accounts.PendingTOTP(c.UserContext(), currentUser(c))
	if err != nil {
		return errNotFound
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 256)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(png)
}

func (s *Server) confirmFactor(c *fiber.Ctx) error {
	u := currentUser(c)
	codes, waiting, err := s.accounts.ConfirmTOTP(c.UserContext(), u, c.FormValue("code"))
	if errors.Is(err, accounts.ErrBadCode) {
		key, kerr := s.accounts.PendingTOTP(c.UserContext(), u)
		if kerr != nil {
			return kerr
		}
		return s.renderFactor(c, statusOf(err), map[string]string{"code": "That code was not accepted. Type the 6 digits the app shows now."},
			factorView{Enrolling: true, Secret: key.Secret()})
	}
	if err != nil {
		return err
	}
	if waiting && s.mail != nil {
		if err := s.emailApprovalCode(c, u); err != nil {
			return err
		}
	}
	return s.renderFactor(c, fiber.StatusOK, nil, factorView{Recovery: codes})
}

// emailApprovalCode sends the code that approves a waiting enrolment to
// the person's own address; it is never shown.
func (s *Server) emailApprovalCode(c *fiber.Ctx, u *accounts.Person) error {
	code, err := s.accounts.StartEmailApproval(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	body := "Hello " + u.Name + ",\n\nTo finish setting up your authenticator app in Skillgate, type this code on your account page:\n\n" + code +
		"\n\nIf you did not set up an authenticator app, tell your administrator at once.\n"
	if err := s.mail.Send(c.UserContext(), u.Email, "Skillgate: confirm your authenticator app", body); err != nil {
		s.logWith(c).Warn("approval code not sent", "user_id", u.ID, "error", err)
	}
	return nil
}

func (s *Server) resendApprovalCode(c *fiber.Ctx) error {
	if s.mail == nil {
		return errkind.New(errkind.Conflict, "Skillgate cannot send email here: ask an administrator or HR to confirm your authenticator app.")
	}
	if err := s.emailApprovalCode(c, currentUser(c)); err != nil {
		return err
	}
	return c.Redirect("/account/second-factor?msg=approval-code-sent", fiber.StatusSeeOther)
}

func (s *Server) approveByEmail(c *fiber.Ctx) error {
	err := s.accounts.ApproveByEmail(c.UserContext(), currentUser(c), c.FormValue("email_code"))
	if errors.Is(err, accounts.ErrBadCode) {
		return s.renderFactor(c, statusOf(err), map[string]string{"email_code": "That is not the code we emailed you. Check the latest email, or send a new code."}, factorView{})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/account/second-factor?msg=factor-approved", fiber.StatusSeeOther)
}

// Someone else's second factor: approving a waiting first enrolment (HR
// or an administrator other than whoever issued the person's password
// link) and removing one (an administrator starts, a second
// administrator or HR confirms).

type personFactorView struct {
	Person  *accounts.Person
	Factor  *accounts.Factor
	Removal *accounts.FactorRemoval
	// StartedByMe: the caller started the removal, so cannot confirm it.
	StartedByMe bool
	CanStart    bool
}

func (s *Server) personFactorPage(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	f, err := s.accounts.Factor(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	r, err := s.accounts.PendingRemoval(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	u := currentUser(c)
	v := personFactorView{Person: p, Factor: f, Removal: r, StartedByMe: r != nil && r.StartedBy == u.ID,
		CanStart: u.Has(accounts.RoleAdmin) && u.ID != p.ID}
	return s.render(c, fiber.StatusOK, "person_factor", Page{Title: "Second factor of " + p.Name, Nav: "people", Data: v})
}

func (s *Server) personFactorAction(c *fiber.Ctx, act func(u, p *accounts.Person) error, msg string) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	if err := act(currentUser(c), p); err != nil {
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/second-factor?msg="+msg, fiber.StatusSeeOther)
}

func (s *Server) approvePersonFactor(c *fiber.Ctx) error {
	return s.personFactorAction(c, func(u, p *accounts.Person) error {
		return s.accounts.ApproveFactor(c.UserContext(), u.ID, p.ID)
	}, "factor-approved")
}

func (s *Server) startFactorRemoval(c *fiber.Ctx) error {
	return s.personFactorAction(c, func(u, p *accounts.Person) error {
		return s.accounts.StartFactorRemoval(c.UserContext(), u.ID, p.ID)
	}, "factor-removal-started")
}

func (s *Server) confirmFactorRemoval(c *fiber.Ctx) error {
	return s.personFactorAction(c, func(u, p *accounts.Person) error {
		if err := s.accounts.ConfirmFactorRemoval(c.UserContext(), u.ID, p.ID); err != nil {
			return err
		}
		if s.mail != nil {
			body := "Hello " + p.Name + ",\n\nThe authenticator app of your Skillgate account was removed by two people (" + u.Name +
				" confirmed it). Set up a new one at your next login.\n\nIf you did not ask for this, tell your administrator at once.\n"
			if err := s.mail.Send(c.UserContext(), p.Email, "Skillgate: your authenticator app was removed", body); err != nil {
				s.logWith(c).Warn("removal notice not sent", "target", p.ID, "error", err)
			}
		}
		return nil
	}, "factor-removed-by-you")
}
