package server

import (
	"errors"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
)

// Passkeys (WebAuthn, github.com/go-webauthn/webauthn): a person registers
// several from the account page (named, with last use) and logs in with
// one alone; user verification (a PIN or biometric on the device) is
// required, so a passkey is two components in one. The browser's side is
// web/static/passkeys.js.

// newWebAuthn is the relying party: Skillgate at SKILLGATE_BASE_URL. A
// passkey answers only for that host and origin.
func newWebAuthn(baseURL string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	return webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: "Skillgate", RPOrigins: []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired}})
}

// passkeyCookie names the browser's login ceremony (its challenge is kept
// on the server under the cookie's value).
func (s *Server) passkeyCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-sg_passkey"
	}
	return "sg_passkey"
}

// passkeyOptions begins a registration for the person logged in.
func (s *Server) passkeyOptions(c *fiber.Ctx) error {
	u, err := s.accounts.PasskeyUser(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	creation, sd, err := s.webauthn.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.Credentials).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationRequired}))
	if err != nil {
		return err
	}
	if err := s.accounts.SaveCeremony("register:"+u.Person.ID, sd); err != nil {
		return err
	}
	return c.JSON(creation)
}

// addPasskey finishes a registration: the body is the browser's answer,
// ?name= the passkey's name.
func (s *Server) addPasskey(c *fiber.Ctx) error {
	p := currentUser(c)
	sd, err := s.accounts.TakeCeremony("register:" + p.ID)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(c.Body())
	if err != nil {
		s.logWith(c).Info("passkey registration refused", "reason", err.Error())
		return accounts.ErrPasskeyRefused
	}
	u, err := s.accounts.PasskeyUser(c.UserContext(), p)
	if err != nil {
		return err
	}
	cred, err := s.webauthn.CreateCredential(u, *sd, parsed)
	if err != nil || !cred.Flags.UserVerified {
		s.logWith(c).Info("passkey registration refused", "reason", fmtErr(err))
		return accounts.ErrPasskeyRefused
	}
	if err := s.accounts.AddPasskey(c.UserContext(), p.ID, c.Query("name"), cred); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"next": "/account?msg=passkey-added"})
}

func fmtErr(err error) string {
	if err == nil {
		return "no user verification"
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Type + ": " + pe.Details + " " + pe.DevInfo
	}
	return err.Error()
}

// passkeyLoginOptions begins a login with a passkey alone: any of this
// site's passkeys may answer (discoverable credentials).
func (s *Server) passkeyLoginOptions(c *fiber.Ctx) error {
	assertion, sd, err := s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return err
	}
	key := accounts.NewSecret()
	if err := s.accounts.SaveCeremony("login:"+key, sd); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: s.passkeyCookie(), Value: key, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(accounts.CeremonyLifetime.Seconds())})
	return c.JSON(assertion)
}

// verifyPasskey checks a passkey's answer to the ceremony kept under key
// and returns whose it is: the passkey must be one of that person's, with
// user verification, its counter going up.
func (s *Server) verifyPasskey(c *fiber.Ctx, key string, only *accounts.Person, answer []byte) (*accounts.Person, error) {
	sd, err := s.accounts.TakeCeremony(key)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		s.logWith(c).Info("passkey refused", "reason", err.Error())
		return nil, accounts.ErrPasskeyRefused
	}
	var who *accounts.PasskeyUser
	var cred *webauthn.Credential
	if only != nil {
		// A signature: the ceremony named the signer's own passkeys.
		if who, err = s.accounts.PasskeyUser(c.UserContext(), only); err != nil {
			return nil, err
		}
		cred, err = s.webauthn.ValidateLogin(who, *sd, parsed)
	} else {
		handler := func(rawID, userHandle []byte) (webauthn.User, error) {
			p, err := s.accounts.ByID(c.UserContext(), string(userHandle))
			if err != nil {
				return nil, err
			}
			who, err = s.accounts.PasskeyUser(c.UserContext(), p)
			return who, err
		}
		_, cred, err = s.webauthn.ValidatePasskeyLogin(handler, *sd, parsed)
	}
	if err != nil || who == nil || !cred.Flags.UserVerified {
		s.logWith(c).Info("passkey refused", "reason", fmtErr(err))
		return nil, accounts.ErrPasskeyRefused
	}
	if who.Person.Disabled() {
		return nil, accounts.ErrAccountDisabled
	}
	if err := s.accounts.UsePasskey(c.UserContext(), who.Person.ID, cred); err != nil {
		return nil, err
	}
	return who.Person, nil
}

// passkeyLogin finishes a login with a passkey alone.
func (s *Server) passkeyLogin(c *fiber.Ctx) error {
	key := c.Cookies(s.passkeyCookie())
	if key == "" {
		return accounts.ErrPasskeyRefused
	}
	c.Cookie(&fiber.Cookie{Name: s.passkeyCookie(), Value: "", Path: "/", MaxAge: -1, HTTPOnly: true, Secure: s.cfg.SecureCookies})
	p, err := s.verifyPasskey(c, "login:"+key, nil, c.Body())
	if err != nil {
		return err
	}
	if !s.cfg.PasswordAllowed(p.Email) {
		return errPasswordOff
	}
	ctx := c.UserContext()
	if a, ok := audit.ActorFrom(ctx); ok {
		a.ID, a.Via = p.ID, "passkey"
		c.SetUserContext(audit.WithActor(ctx, a))
	}
	next := safeNext(c.Query("next"))
	if err := s.completeLogin(c, p, next); err != nil {
		return err
	}
	// completeLogin answered with a redirect; the script wants its target.
	loc := string(c.Response().Header.Peek(fiber.HeaderLocation))
	c.Response().Header.Del(fiber.HeaderLocation)
	return c.Status(fiber.StatusOK).JSON(fiber.Map{"next": loc})
}

// passkeySignOptions begins a re-authentication with a passkey (for a
// signature, or to remove a passkey), for the person logged in only.
func (s *Server) passkeySignOptions(c *fiber.Ctx) error {
	u, err := s.accounts.PasskeyUser(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	if len(u.Credentials) == 0 {
		return accounts.ErrPasskeyRefused
	}
	assertion, sd, err := s.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return err
	}
	if err := s.accounts.SaveCeremony("sign:"+u.Person.ID, sd); err != nil {
		return err
	}
	return c.JSON(assertion)
}

// reauthenticate checks, for a signature or a change to one's passkeys,
// that the person logged in is at the keyboard, from the form's
// "passkey", "password" and "code" fields (see reauthWith).
func (s *Server) reauthenticate(c *fiber.Ctx, done string) (method, problem string, err error) {
	method, _, problem, err = s.reauthWith(c, c.FormValue("passkey"), c.FormValue("password"), c.FormValue("code"), done)
	return method, problem, err
}

// reauthWith is the one re-authentication check (signatures, passkey
// removal, API tokens): a passkey's answer to the person's own ceremony,
// or the password and, with an authenticator app, a code. It returns the
// method, or a message for the person (what did not happen is said by
// done) and the field it belongs to ("code" when only the code was
// wrong or missing, "password" otherwise).
func (s *Server) reauthWith(c *fiber.Ctx, passkey, password, code, done string) (method, field, problem string, err error) {
	u := currentUser(c)
	if !s.cfg.PasswordAllowed(u.Email) {
		// With password login off, a password or passkey no longer
		// proves who someone is; signing goes through the provider.
		return "", "password", errPasswordOff.Message + " So " + done + ".", nil
	}
	if passkey != "" {
		if _, err := s.verifyPasskey(c, "sign:"+u.ID, u, []byte(passkey)); err != nil {
			if ke := formError(err); ke != nil {
				return "", "password", ke.Message + " So " + done + ".", nil
			}
			return "", "", "", err
		}
		return accounts.MethodPasskey, "", "", nil
	}
	method, err = s.accounts.Reauthenticate(c.UserContext(), u, password, code)
	if msg := reauthProblem(err, done); msg != "" {
		field = "password"
		if errors.Is(err, accounts.ErrCodeNeeded) || errors.Is(err, accounts.ErrBadCode) {
			field = "code"
		}
		return "", field, msg, nil
	}
	return method, "", "", err
}

func (s *Server) removePasskeyForm(c *fiber.Ctx) error {
	u := currentUser(c)
	// A password alone must not remove the passkey of someone who has
	// no other factor: that would leave the password alone.
	if _, problem, err := s.reauthenticate(c, "the passkey was kept"); err != nil {
		return err
	} else if problem != "" {
		return s.renderAccount(c, fiber.StatusUnauthorized, map[string]string{"remove_password": problem}, accountView{})
	}
	err := s.accounts.RemovePasskey(c.UserContext(), u.ID, c.Params("id"))
	if errors.Is(err, db.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return c.Redirect("/account?msg=passkey-removed", fiber.StatusSeeOther)
}
