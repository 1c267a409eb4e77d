package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/oidc"
	"github.com/skillgate/skillgate/app/sso/saml"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Single sign-on with OpenID Connect and SAML 2.0: "Sign in with <name>"
// on the login page (/auth/oidc/login, /auth/saml/login), the provider's
// answer at /auth/oidc/callback or /auth/saml/acs, and a signature's
// re-authentication at the provider (OIDC prompt=login and max_age=0, SAML
// ForceAuthn) for people who sign without a password. Who an answer is,
// and whether it re-authenticated the signer, is app/sso's; the protocols
// are app/sso/oidc's and app/sso/saml's. A redirect to the provider is a
// flow kept on the server under the hash of its state (SAML's RelayState);
// the browser keeps the state in a cookie, so an answer is taken only in
// the browser that asked.

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
	return s.redirectToIdP(c, "oidc", sso.Flow{Purpose: sso.PurposeLogin, Next: safeNext(c.Query("next"))})
}

// signFlow is a signature waiting for the provider's answer: the act
// (a sign-off when empty), its enrollment and what its form held.
type signFlow struct {
	Act          string   `json:"act,omitempty"`
	EnrollmentID string   `json:"enrollment_id"`
	Code         string   `json:"code"`
	Key          string   `json:"key"`
	Kind         string   `json:"kind"`
	Covered      []string `json:"covered"`
	FormURL      string   `json:"form_url"`
	// Seq is an evaluation's number; Comments and Ratings its form's.
	Seq      int            `json:"seq,omitempty"`
	Comments string         `json:"comments,omitempty"`
	Ratings  map[string]int `json:"ratings,omitempty"`
}

// values are the form's values pending keeps, to show them again.
func (pending signFlow) values() map[string][]string {
	v := map[string][]string{}
	if pending.Comments != "" {
		v["comments"] = []string{pending.Comments}
	}
	for code, r := range pending.Ratings {
		if r != 0 {
			v["rating_"+code] = []string{strconv.Itoa(r)}
		}
	}
	return v
}

// The signed acts other than sign-offs a signFlow can hold.
const (
	actComplete    = "complete"
	actEvaluation  = "evaluation"
	actAcknowledge = "acknowledge"
)

// stepUp is an identity provider that can re-authenticate a signer.
type stepUp struct {
	Protocol, Name string
}

// ssoSigner is the provider the person logged in may sign with by
// re-authenticating there (the first they are linked to), if any.
func (s *Server) ssoSigner(c *fiber.Ctx) (stepUp, error) {
	ctx, id := c.UserContext(), currentUser(c).ID
	if s.oidc != nil {
		if linked, err := s.sso.IsLinked(ctx, id, s.oidc.Issuer()); err != nil || linked {
			return stepUp{"oidc", s.cfg.OIDC.Name}, err
		}
	}
	if issuer := s.samlIssuer(c); issuer != "" {
		if linked, err := s.sso.IsLinked(ctx, id, issuer); err != nil || linked {
			return stepUp{"saml", s.cfg.SAML.Name}, err
		}
	}
	return stepUp{}, nil
}

// ssoSignerName is the provider's name when the person logged in may sign
// by re-authenticating there, else "".
func (s *Server) ssoSignerName(c *fiber.Ctx) (string, error) {
	p, err := s.ssoSigner(c)
	return p.Name, err
}

// ssoLinked reports whether userID is linked to a configured provider.
func (s *Server) ssoLinked(c *fiber.Ctx, userID string) (bool, error) {
	if s.oidc != nil {
		if linked, err := s.sso.IsLinked(c.UserContext(), userID, s.oidc.Issuer()); err != nil || linked {
			return linked, err
		}
	}
	if issuer := s.samlIssuer(c); issuer != "" {
		return s.sso.IsLinked(c.UserContext(), userID, issuer)
	}
	return false, nil
}

// samlIssuer is the SAML IdP's entity ID, or "" when SAML is not
// configured or its metadata cannot be read just now (then nobody is
// offered SAML for a signature; the reason is logged).
func (s *Server) samlIssuer(c *fiber.Ctx) string {
	if s.saml == nil {
		return ""
	}
	issuer, err := s.saml.Issuer(c.UserContext())
	if err != nil {
		s.logWith(c).Warn("saml metadata unavailable", "err", err.Error())
	}
	return issuer
}

// startSSOSign keeps the signature pending describes, bound to this
// session, and sends the signer to the provider to type their credentials
// again. Nothing is signed until the answer (finishSSOSign). A signer not
// linked to a provider gets sso.ErrNotLinked on the "password" field.
func (s *Server) startSSOSign(c *fiber.Ctx, pending signFlow) error {
	u := currentUser(c)
	idp, err := s.ssoSigner(c)
	if err != nil {
		return err
	}
	if idp.Name == "" {
		return errkind.WithFields(errkind.KindOf(sso.ErrNotLinked), sso.ErrNotLinked.Message, map[string]string{"password": sso.ErrNotLinked.Message})
	}
	pending.FormURL = c.Path()
	payload, err := json.Marshal(pending)
	if err != nil {
		return err
	}
	return s.redirectToIdP(c, idp.Protocol, sso.Flow{Purpose: sso.PurposeSign, UserID: u.ID,
		SessionHash: accounts.HashSecret(c.Cookies(s.sessionCookie())), Payload: payload})
}

// redirectToIdP keeps f and sends the browser to the provider of
// protocol, to sign in or, for a signature, to type the credentials again.
func (s *Server) redirectToIdP(c *fiber.Ctx, protocol string, f sso.Flow) error {
	reauth := f.Purpose == sso.PurposeSign
	if protocol == "saml" {
		f.Verifier = saml.NewRequestID()
	} else {
		f.Verifier = oidc.NewVerifier()
	}
	state, f, err := s.sso.StartFlow(c.UserContext(), f)
	if err != nil {
		return err
	}
	var to string
	if protocol == "saml" {
		to, err = s.saml.AuthURL(c.UserContext(), state, f.Verifier, reauth)
	} else {
		to, err = s.oidc.AuthURL(c.UserContext(), state, f.Nonce, f.Verifier, reauth)
	}
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
	f, err := s.takeSSOFlow(c, c.Query("state"))
	if err != nil {
		return s.ssoProblem(c, err)
	}
	if e := c.Query("error"); e != "" {
		// The provider refused or the person cancelled there.
		s.logWith(c).Info("sso refused by the provider", "error", e)
		return s.ssoProblem(c, errProviderRefused)
	}
	claims, err := s.oidc.Exchange(c.UserContext(), c.Query("code"), f.Verifier, f.Nonce)
	return s.finishSSO(c, f, claims, err, s.cfg.OIDC.Name)
}

// takeSSOFlow takes the flow state names, which must be this browser's
// (its cookie), and forgets the cookie.
func (s *Server) takeSSOFlow(c *fiber.Ctx, state string) (*sso.Flow, error) {
	cookie := c.Cookies(s.ssoCookie())
	s.setSSOCookie(c, "", -1)
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		s.logWith(c).Info("sso refused", "reason", "state does not match this browser's")
		return nil, sso.ErrFlowGone
	}
	return s.sso.TakeFlow(c.UserContext(), state)
}

// finishSSO completes flow f with the provider's verified claims (or the
// reason answer did not verify): the pending signature, or a login.
func (s *Server) finishSSO(c *fiber.Ctx, f *sso.Flow, claims sso.Claims, answer error, provider string) error {
	if answer != nil {
		s.logWith(c).Info("sso refused", "reason", answer.Error())
	}
	if f.Purpose == sso.PurposeSign {
		return s.finishSSOSign(c, f, claims, answer, provider)
	}
	if answer != nil {
		return s.ssoProblem(c, answer)
	}
	ctx := c.UserContext()
	if a, ok := audit.ActorFrom(ctx); ok {
		a.ID, a.Via = audit.SystemActor, "sso:"+claims.Protocol
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

// finishSSOSign completes the signature f holds, once, if the answer
// re-authenticated its signer after the signing began, in the session that
// began it. Otherwise the reason is shown (a sign-off's form comes back
// with it) and nothing is signed.
func (s *Server) finishSSOSign(c *fiber.Ctx, f *sso.Flow, claims sso.Claims, answer error, provider string) error {
	var pending signFlow
	if err := json.Unmarshal(f.Payload, &pending); err != nil {
		return err
	}
	who := map[string]access.Policy{"": recorders, actComplete: directors, actEvaluation: recorders, actAcknowledge: loggedIn}
	u := currentUser(c)
	if u == nil || u.ID != f.UserID || accounts.HashSecret(c.Cookies(s.sessionCookie())) != f.SessionHash || !who[pending.Act].Allows(u) {
		s.logWith(c).Info("sso signature refused", "reason", "another session")
		return s.ssoProblem(c, sso.ErrFlowGone)
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
		ke := errkind.As(err)
		if ke == nil {
			return err
		}
		s.logWith(c).Info("sso signature refused", "reason", ke.Message, "user_id", u.ID)
		if pending.Act == "" {
			return s.renderSignOffOf(c, statusOf(err), rec, p, pending.Code, pending.FormURL, pending.Key, map[string]string{"password": ke.Message})
		}
		// The act's page, with the reason on its form (posted to FormURL).
		c.Locals(formStateKey, &FormState{Action: pending.FormURL, Values: pending.values(), Errors: map[string]string{"password": ke.Message},
			Order: []string{"password"}, Status: statusOf(err)})
		if pending.Act == actComplete {
			return s.renderComplete(c, rec, p)
		}
		_, st, serr := s.evaluationIn(c, rec, pending.Seq)
		if serr != nil {
			return serr
		}
		return s.renderEvaluation(c, rec, p, st)
	}
	method := sso.Method(claims, provider)
	switch pending.Act {
	case actComplete:
		return s.completeWith(c, rec, p, method)
	case actEvaluation, actAcknowledge:
		done, st, err := s.evaluationIn(c, rec, pending.Seq)
		if err != nil {
			return err
		}
		if pending.Act == actAcknowledge {
			return s.acknowledgeWith(c, rec, st, method)
		}
		return s.evaluateWith(c, rec, p, done, st, pending.Comments, pending.Ratings, method)
	}
	req := assessments.SignOffRequest{IdempotencyKey: pending.Key, Competency: pending.Code, Kind: curriculum.SignOffKind(pending.Kind),
		ApprenticeName: p.Name, Covered: pending.Covered, AuthMethod: method}
	return s.completeSignOff(c, rec, p, req, pending.FormURL)
}

// loginView fills what the login page offers: single sign-on, and the
// password form unless password login is off (then only for the
// break-glass accounts, behind ?password=1, and after their post).
func (s *Server) loginView(c *fiber.Ctx, v loginView) loginView {
	add := func(protocol, name string) {
		b := ssoButton{ID: "sso-login", Name: name, URL: "/auth/" + protocol + "/login"}
		if protocol != "oidc" {
			b.ID += "-" + protocol
		}
		if v.Next != "" && v.Next != "/" {
			b.URL += "?next=" + url.QueryEscape(v.Next)
		}
		v.SSO = append(v.SSO, b)
	}
	if s.oidc != nil {
		add("oidc", s.cfg.OIDC.Name)
	}
	if s.saml != nil {
		add("saml", s.cfg.SAML.Name)
	}
	v.HidePasswords = !s.cfg.PasswordLogin && c.Query("password") != "1" && c.Method() != fiber.MethodPost
	return v
}

// errPasswordOff: password login is off and the person is not a
// break-glass account. The same answer whether the account exists or not.
var errPasswordOff = errkind.New(errkind.Forbidden, "Passwords and passkeys do not log in here: use your organisation's sign-in.")

// ssoButton is a "Sign in with <Name>" link on the login page.
type ssoButton struct {
	ID, Name, URL string
}
