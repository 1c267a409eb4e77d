package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/saml"
	"github.com/skillgate/skillgate/errkind"
)

// SAML 2.0 (app/sso/saml): the SP metadata at /auth/saml/metadata, the
// sign-in at /auth/saml/login, and the IdP's answer at /auth/saml/acs.
//
// The IdP's answer is a cross-site POST, which carries neither the
// session cookie nor the flow's (both SameSite=Lax). So the POST only
// keeps the answer on the server for a minute, under a one-time key, and
// redirects to a GET of the same path: a top-level navigation, which
// carries them, and where the answer is verified and used as OIDC's is.

// samlAnswerLifetime is how long a posted answer waits for the browser's
// GET that follows at once.
const samlAnswerLifetime = time.Minute

// samlAnswer is a posted SAMLResponse and its RelayState.
type samlAnswer struct {
	Response   string `json:"r"`
	RelayState string `json:"s"`
}

// maxSAMLResponse bounds a posted answer (base64 of a signed assertion
// is a few KB). The post comes from a browser without a session, so the
// whole body keeps to the limit of every anonymous post (maxPublicBody).
const maxSAMLResponse = maxPublicBody - 4<<10

// newSAML is the configured provider, or nil. The SP's key is read from
// SKILLGATE_SAML_SP_KEY/CERT, or generated once and kept (saml.KeyPair).
func newSAML(s *Server) (*saml.Provider, error) {
	if !s.cfg.SAML.Enabled() {
		return nil, nil
	}
	key, cert, err := saml.KeyPair(s.kv, s.cfg.SAML.SPKey, s.cfg.SAML.SPCert)
	if err != nil {
		return nil, fmt.Errorf("saml: %w", err)
	}
	p := saml.New(saml.Config{IdPMetadata: s.cfg.SAML.IdPMetadata, BaseURL: s.cfg.BaseURL, Key: key, Cert: cert,
		GroupsClaim: s.cfg.SSOGroupsClaim, Replay: saml.Replay{KV: s.kv}})
	if u, err := url.Parse(s.cfg.SAML.IdPMetadata); err == nil && u.Host != "" {
		// Read at first use; its host is the sign-in's too at Entra ID
		// and Okta (samlFormTarget adds the SSO service's once known).
		s.formTargets += " " + u.Scheme + "://" + u.Host
	} else if _, err := p.Issuer(context.Background()); err != nil {
		// A file: read now, so a bad one stops the start.
		return nil, fmt.Errorf("SKILLGATE_SAML_IDP_METADATA: %w", err)
	}
	return p, nil
}

// samlFormTarget is the SAML sign-in's origin for CSP form-action (the
// sign-off form's answer redirects there), when not already allowed.
func (s *Server) samlFormTarget() string {
	if s.saml == nil {
		return ""
	}
	o := s.saml.SSOOrigin()
	if o == "" || strings.Contains(s.formTargets+" ", " "+o+" ") {
		return ""
	}
	return " " + o
}

// samlMetadata serves the SP's metadata for the IdP's administrator.
func (s *Server) samlMetadata(c *fiber.Ctx) error {
	if s.saml == nil {
		return errNotFound
	}
	out, err := s.saml.Metadata()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/samlmetadata+xml")
	return c.Send(out)
}

// samlLogin sends the browser to the IdP to sign in.
func (s *Server) samlLogin(c *fiber.Ctx) error {
	if s.saml == nil {
		return errNotFound
	}
	return s.redirectToIdP(c, "saml", sso.Flow{Purpose: sso.PurposeLogin, Next: safeNext(c.Query("next"))})
}

// samlPost keeps the IdP's posted answer and sends the browser to read it
// back (see above). It runs before sessions and CSRF: the post comes from
// the IdP's page, and nothing is decided here.
func (s *Server) samlPost(c *fiber.Ctx) error {
	// This route runs before limitBody (it is outside the page chain):
	// its own bound, before anything reads the body, configured or not. A
	// browser posting the IdP's form always says the length.
	if n := c.Request().Header.ContentLength(); n < 0 || n > maxPublicBody {
		return s.tooLarge(c, errkind.New(errkind.TooLarge, "This answer from your organisation's sign-in is too large."))
	}
	if s.saml == nil {
		return errNotFound
	}
	a := samlAnswer{Response: c.FormValue("SAMLResponse"), RelayState: c.FormValue("RelayState")}
	if a.Response == "" || len(a.Response) > maxSAMLResponse || len(a.RelayState) > 512 {
		return errkind.New(errkind.Invalid, "This is not an answer from your organisation's sign-in.")
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	key := accounts.NewSecret()
	if err := s.kv.Set(samlAnswerKey(key), raw, samlAnswerLifetime); err != nil {
		return err
	}
	return c.Redirect(saml.ACSPath+"?answer="+key, fiber.StatusSeeOther)
}

func samlAnswerKey(key string) string { return "saml-answer:" + accounts.HashSecret(key) }

// samlACS takes the answer samlPost kept, once: the flow its RelayState
// names (which must be this browser's), the assertion verified, then a
// login or the pending signature.
func (s *Server) samlACS(c *fiber.Ctx) error {
	if s.saml == nil {
		return errNotFound
	}
	var a samlAnswer
	key := samlAnswerKey(c.Query("answer"))
	raw, err := s.kv.Get(key)
	if err != nil {
		return err
	}
	if raw == nil || json.Unmarshal(raw, &a) != nil {
		return s.ssoProblem(c, sso.ErrFlowGone)
	}
	if err := s.kv.Delete(key); err != nil {
		return err
	}
	f, err := s.takeSSOFlow(c, a.RelayState)
	if err != nil {
		return s.ssoProblem(c, err)
	}
	claims, err := s.saml.Parse(c.UserContext(), a.Response, f.Verifier)
	return s.finishSSO(c, f, claims, err, s.cfg.SAML.Name)
}
