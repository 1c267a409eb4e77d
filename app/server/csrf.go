package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// csrfHeader is the header an API call with a session sends its token in.
const csrfHeader = "X-Csrf-Token"

// csrf protects every state-changing browser request with a token bound
// to the person it was issued to. The token is a random value sent as an
// HttpOnly cookie and in every form (the _csrf field, or the X-Csrf-Token
// header for API calls with a session); a write must carry the same value
// in both. The token is recorded in the shared key-value store (so that
// any instance accepts it) together with whom it was issued to: a person,
// or "anonymous" for the login forms. A token issued to someone else is
// not accepted, so an attacker who plants their own cookie and token in a
// victim's browser (from a sibling subdomain, say) gets nowhere: that
// pair is theirs, not the victim's. With secure cookies the cookie has the
// __Host- prefix, which a sibling subdomain cannot set at all.
//
// Reading pages issues a token to whoever reads them when theirs is
// missing, expired or someone else's (after login or logout, for example).
// Requests authenticated by a bearer token carry no cookie and are exempt.
func (s *Server) csrf(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderAuthorization) != "" {
		return c.Next()
	}
	owner := "anonymous"
	if u := currentUser(c); u != nil {
		owner = "person:" + u.ID
	}
	cookie := c.Cookies(s.csrfCookie())
	valid, err := s.csrfIssuedTo(cookie, owner)
	if err != nil {
		return err
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
	default:
		// Over HTTPS the request must also come from a page of this site.
		if c.Protocol() == "https" && !sameOrigin(c) {
			return errCSRF
		}
		sent := c.Get(csrfHeader)
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if !valid || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(cookie)) != 1 {
			return errCSRF
		}
	}
	if !valid {
		if cookie, err = s.issueCSRF(c, owner); err != nil {
			return err
		}
	}
	c.Locals(localCSRF, cookie)
	c.Vary(fiber.HeaderCookie)
	return c.Next()
}

// csrfCookie is the CSRF cookie's name (see sessionCookie for the prefix).
func (s *Server) csrfCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-sg_csrf"
	}
	return "sg_csrf"
}

// csrfKey is where a token is recorded: its hash, so the store holds no
// usable token.
func csrfKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "csrf:" + hex.EncodeToString(sum[:])
}

// csrfIssuedTo reports whether token is a live token issued to owner.
func (s *Server) csrfIssuedTo(token, owner string) (bool, error) {
	if token == "" || len(token) > 128 {
		return false, nil
	}
	v, err := s.kv.Get(csrfKey(token))
	if err != nil {
		return false, err
	}
	return v != nil && subtle.ConstantTimeCompare(v, []byte(owner)) == 1, nil
}

// issueCSRF makes a token for owner, records it and sets its cookie. It
// lives as long as a session may.
func (s *Server) issueCSRF(c *fiber.Ctx, owner string) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	if err := s.kv.Set(csrfKey(token), []byte(owner), s.cfg.SessionAbsolute); err != nil {
		return "", err
	}
	c.Cookie(&fiber.Cookie{
		Name: s.csrfCookie(), Value: token, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.cfg.SessionAbsolute.Seconds()),
	})
	return token, nil
}

// sameOrigin reports whether the Referer names this site (scheme and
// host), as browsers send it on same-origin form posts under
// "Referrer-Policy: same-origin".
func sameOrigin(c *fiber.Ctx) bool {
	ref, err := url.Parse(strings.ToLower(c.Get(fiber.HeaderReferer)))
	return err == nil && ref.Scheme == c.Protocol() && ref.Host == c.Hostname()
}
