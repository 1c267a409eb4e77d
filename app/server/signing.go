package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/errkind"
)

// A signature's re-authentication, one code path for every signed act
// (sign-offs, completions, evaluations and their acknowledgements): the
// password again (and a code with an authenticator app), a passkey, or
// re-authentication at the identity provider the signer is linked to
// (sso.go: the act waits on the server for its answer).

// SignerMethods are the ways the person logged in may re-authenticate to
// sign; pages embed it and show them with the "reauth-fields" partial.
type SignerMethods struct {
	// HasPassword: they have a password and password login is not off
	// for them; NeedsCode: they have a second factor, so signing takes a
	// code as well as the password.
	HasPassword, NeedsCode bool
	// HasPasskey: they may sign with a passkey instead.
	HasPasskey bool
	// SSOName: they may sign by re-authenticating at this identity
	// provider (they are linked to it).
	SSOName string
}

// signerMethodsOf is what the person logged in may sign with.
func (s *Server) signerMethodsOf(c *fiber.Ctx) (SignerMethods, error) {
	var m SignerMethods
	ctx, u := c.UserContext(), currentUser(c)
	var err error
	if m.NeedsCode, err = s.accounts.HasTOTP(ctx, u.ID); err != nil {
		return m, err
	}
	if m.HasPasskey, err = s.accounts.HasPasskey(ctx, u.ID); err != nil {
		return m, err
	}
	if m.HasPassword, err = s.accounts.HasPassword(ctx, u.ID); err != nil {
		return m, err
	}
	if !s.cfg.PasswordAllowed(u.Email) {
		m.HasPassword, m.HasPasskey, m.NeedsCode = false, false, false
	}
	m.SSOName, err = s.ssoSignerName(c)
	return m, err
}

// signsAtProvider says whether the signing form asked to re-authenticate
// at the identity provider (then the handler calls startSSOSign).
func signsAtProvider(c *fiber.Ctx) bool { return c.FormValue("method") == "sso" }

// signatureAuth checks the form's re-authentication for a signature here
// (passkey, or password and code) and returns the method to record, or an
// Unauthenticated error on the "password" field saying nothing was signed.
func (s *Server) signatureAuth(c *fiber.Ctx) (string, error) {
	method, problem, err := s.reauthenticate(c, "nothing was signed")
	if err == nil && problem != "" {
		err = errkind.WithFields(errkind.Unauthenticated, problem, map[string]string{"password": problem})
	}
	return method, err
}

// reauthArgs are the "reauth-fields" partial's.
type reauthArgs struct {
	Page    Page
	Action  string
	Methods SignerMethods
	Button  string
}
