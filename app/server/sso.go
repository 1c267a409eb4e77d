package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/oidc"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Single sign-on with OpenID Connect: "Sign in with <name>" on the login
// page (/auth/oidc/login), the provider's answer at /auth/oidc/callback,
// and a signature's re-authentication at the provider (prompt=login,
// max_age=0) for people who sign without a password. Who an answer is,
// and whether it re-authenticated the signer, is app/sso's; the protocol
// is app/sso/oidc's. A redirect to the provider is a flow kept on the
// server under the hash of its state; the browser keeps the state in a
// cookie, so an answer is taken only in the browser that asked.

// ssoCookie holds the state of the browser's pending flow. Lax, because
// the provider's answer is a cross-site navigation.
func (s *Server) ssoCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-sg_sso"
	}
	return "sg_sso"
}

func (s *Server) setSSOCookie(c *fiber.Ctx, state string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: s.ssoCookie(), Value: state, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: maxAge})
}

// newOIDC is the configured provider, or nil.
func newOIDC(s *Server) *oidc.Provider {
	if !s.cfg.OIDC.Enabled() {
		return nil
	}
	return oidc.New(oidc.Config{Issuer: s.cfg.OIDC.Issuer, ClientID: s.cfg.OIDC.ClientID, ClientSecret: s.cfg.OIDC.ClientSecret,
		RedirectURL: s.cfg.BaseURL + "/auth/oidc/callback", GroupsClaim: s.cfg.SSOGroupsClaim, Now: s.now})
}

// oidcLogin sends the browser to the provider to sign in.
func (s *Server) oidcLogin(c *fiber.Ctx) error {
	if s.oidc == nil {
		return errNotFound
	}
	verifier := oidc.NewVerifier()
	state, f, err := s.sso.StartFlow(c.UserContext(), sso.Flow{Purpose: sso.PurposeLogin, Verifier: verifier, Next: safeNext(c.Query("next"))})
	if err != nil {
		return err
	}
	to, err := s.oidc.AuthURL(c.UserContext(), state, f.Nonce, verifier, false)
	if err != nil {
		return err
	}
	s.setSSOCookie(c, state, int(sso.FlowLifetime.Seconds()))
	return c.Redirect(to, fiber.StatusSeeOther)
}

// signOffFlow is a signature waiting for the provider's answer.
type signOffFlow struct {
	EnrollmentID string   `json:"enrollment_id"`
	Code         string   `json:"code"`
	Key          string   `json:"key"`
	Kind         string   `json:"kind"`
	Covered      []string `json:"covered"`
	FormURL      string   `json:"form_url"`
}

// ssoSignerName is the provider's name when the person logged in may sign
// by re-authenticating there (they are linked to it), else "".
func (s *Server) ssoSignerName(c *fiber.Ctx) (string, error) {
	if s.oidc == nil {
		return "", nil
	}
	linked, err := s.sso.IsLinked(c.UserContext(), currentUser(c).ID, s.oidc.Issuer())
	if err != nil || !linked {
		return "", err
	}
	return s.cfg.OIDC.Name, nil
}

// startSSOSignOff keeps the signature the form describes, bound to this
// session, and sends the signer to the provider to type their credentials
// again. Nothing is signed until the answer (oidcCallback).
func (s *Server) startSSOSignOff(c *fiber.Ctx, rec *assessments.Records, p *accounts.Person) error {
	u := currentUser(c)
	name, err := s.ssoSignerName(c)
	if err != nil {
		return err
	}
	if name == "" {
		return s.renderSignOff(c, statusOf(sso.ErrNotLinked), rec, p, c.FormValue("key"), map[string]string{"password": sso.ErrNotLinked.Message})
	}
	pending := signOffFlow{EnrollmentID: rec.Enrollment.ID, Code: c.Params("code"), Key: c.FormValue("key"), Kind: c.FormValue("kind"), FormURL: c.Path()}
	for _, b := range c.Request().PostArgs().PeekMulti("covered") {
		pending.Covered = append(pending.Covered, string(b))
	}
	payload, err := json.Marshal(pending)
	if err != nil {
		return err
	}
	verifier := oidc.NewVerifier()
	state, f, err := s.sso.StartFlow(c.UserContext(), sso.Flow{Purpose: sso.PurposeSign, Verifier: verifier, UserID: u.ID,
		SessionHash: accounts.HashSecret(c.Cookies(s.sessionCookie())), Payload: payload})
	if err != nil {
		return err
	}
	to, err := s.oidc.AuthURL(c.UserContext(), state, f.Nonce, verifier, true)
	if err != nil {
		return err
	}
	s.setSSOCookie(c, state, int(sso.FlowLifetime.Seconds()))
	return c.Redirect(to, fiber.StatusSeeOther)
}

// oidcCallback takes the provider's answer: the flow named by its state
// (which must be this browser's), the code exchanged and the ID token
// verified, then a login or the pending signature.
func (s *Server) oidcCallback(c *fiber.Ctx) error {
	if s.oidc == nil {
		return errNotFound
	}
	state := c.Query("state")
	cookie := c.Cookies(s.ssoCookie())
	s.setSSOCookie(c, "", -1)
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		s.logWith(c).Info("sso refused", "reason", "state does not match this browser's")
		return s.ssoProblem(c, sso.ErrFlowGone)
	}
	f, err := s.sso.TakeFlow(c.UserContext(), state)
	if err != nil {
		return s.ssoProblem(c, err)
	}
	if e := c.Query("error"); e != "" {
		// The provider refused or the person cancelled there.
		s.logWith(c).Info("sso refused by the provider", "error", e)
		return s.ssoProblem(c, errProviderRefused)
	}
	claims, err := s.oidc.Exchange(c.UserContext(), c.Query("code"), f.Verifier, f.Nonce)
	if err != nil {
		s.logWith(c).Info("sso refused", "reason", err.Error())
	}
	if f.Purpose == sso.PurposeSign {
		return s.finishSSOSignOff(c, f, claims, err)
	}
	if err != nil {
		return s.ssoProblem(c, err)
	}
	ctx := c.UserContext()
	if a, ok := audit.ActorFrom(ctx); ok {
		a.ID, a.Via = audit.SystemActor, "sso:oidc"
		c.SetUserContext(audit.WithActor(ctx, a))
	}
	p, err := s.sso.SignIn(c.UserContext(), claims)
	if err != nil {
		s.logWith(c).Info("sso sign-in refused", "reason", err.Error(), "subject", claims.Subject)
		return s.ssoProblem(c, err)
	}
	if a, ok := audit.ActorFrom(ctx); ok {
		a.ID = p.ID
		c.SetUserContext(audit.WithActor(ctx, a))
	}
	return s.completeLogin(c, p, f.Next)
}

var errProviderRefused = errkind.New(errkind.Unauthenticated, "Your organisation's sign-in did not sign you in (it refused, or the sign-in was cancelled). Try again.")

// ssoProblem shows the login page with what went wrong (a kind's message;
// anything else is a server error).
func (s *Server) ssoProblem(c *fiber.Ctx, err error) error {
	ke := formError(err)
	if ke == nil {
		ke = errkind.As(err)
	}
	if ke == nil {
		return err
	}
	return s.render(c, statusOf(err), "login", Page{Title: "Log in", Data: s.loginView(c, loginView{Message: ke.Message})})
}

// finishSSOSignOff completes the signature f holds, once, if the answer
// re-authenticated its signer after the signing began, in the session that
// began it. Otherwise the form comes back with the reason and nothing is
// signed.
func (s *Server) finishSSOSignOff(c *fiber.Ctx, f *sso.Flow, claims sso.Claims, answer error) error {
	u := currentUser(c)
	if u == nil || u.ID != f.UserID || accounts.HashSecret(c.Cookies(s.sessionCookie())) != f.SessionHash || !recorders.Allows(u) {
		s.logWith(c).Info("sso signature refused", "reason", "another session")
		return s.ssoProblem(c, sso.ErrFlowGone)
	}
	var pending signOffFlow
	if err := json.Unmarshal(f.Payload, &pending); err != nil {
		return err
	}
	rec, p, err := s.visibleEnrollmentID(c, pending.EnrollmentID)
	if err != nil {
		return err
	}
	err = answer
	if err == nil {
		err = s.sso.CheckStepUp(c.UserContext(), u.ID, claims, f.StartedAt)
	}
	if err != nil {
		if ke := errkind.As(err); ke != nil {
			s.logWith(c).Info("sso signature refused", "reason", ke.Message, "user_id", u.ID)
			return s.renderSignOffOf(c, statusOf(err), rec, p, pending.Code, pending.FormURL, pending.Key, map[string]string{"password": ke.Message})
		}
		return err
	}
	req := assessments.SignOffRequest{IdempotencyKey: pending.Key, Competency: pending.Code, Kind: curriculum.SignOffKind(pending.Kind),
		ApprenticeName: p.Name, Covered: pending.Covered, AuthMethod: sso.Method(claims, s.cfg.OIDC.Name)}
	return s.completeSignOff(c, rec, p, req, pending.FormURL)
}

// loginView fills what the login page offers: single sign-on, and the
// password form unless password login is off (then only for the
// break-glass accounts, behind ?password=1, and after their post).
func (s *Server) loginView(c *fiber.Ctx, v loginView) loginView {
	if s.oidc != nil {
		v.SSOName = s.cfg.OIDC.Name
		v.SSOURL = "/auth/oidc/login"
		if v.Next != "" && v.Next != "/" {
			v.SSOURL += "?next=" + url.QueryEscape(v.Next)
		}
	}
	v.HidePasswords = !s.cfg.PasswordLogin && c.Query("password") != "1" && c.Method() != fiber.MethodPost
	return v
}

// errPasswordOff: password login is off and the person is not a
// break-glass account. The same answer whether the account exists or not.
var errPasswordOff = errkind.New(errkind.Forbidden, "Passwords and passkeys do not log in here: use your organisation's sign-in.")
