package server

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/request"

	"github.com/skillgate/skillgate/errkind"
)

// Names of request locals.
const (
	localRequestID = "request_id"
	localClientIP  = "client_ip"
	localAuth      = "auth" // "session" or "token"
	localExpired   = "session_expired"
	localCSRF      = "csrf"
	// localSubject is the person a token request names in ?person=, read
	// with the token (see authenticate); visiblePerson uses it.
	localSubject = "subject"
)

// accessLog writes one line per request. Errors are rendered here (as
// Fiber's logger does) so the line carries the final status.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	userID := ""
	if u := currentUser(c); u != nil {
		userID = u.ID
	}
	s.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("method", c.Method()),
		slog.String("path", redactPath(c.Path())),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.String("request_id", requestIDOf(c)),
		slog.String("user_id", userID),
		slog.String("ip", clientIP(c)),
	)
	return nil
}

// secretPaths are route prefixes whose next segment is a secret (reset
// codes, calendar feed tokens, printed documents' verification codes,
// which show a person's record to whoever holds them); logs show only the
// prefix. They are found
// whatever their case and wherever they are in the path, so a path that
// does not route ("/CALENDAR/…", "//calendar/…") is redacted too.
var secretPaths = []string{"/reset/", "/calendar/", "/verify/"}

func redactPath(p string) string {
	lower := strings.ToLower(p)
	for _, pre := range secretPaths {
		if i := strings.Index(lower, pre); i >= 0 {
			return p[:i] + pre + "[redacted]"
		}
	}
	return p
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "request_id", requestIDOf(c), "path", redactPath(c.Path()), "panic", e)
}

// securityHeaders sets a strict CSP (no inline script or style), framing
// and referrer rules, no caching by default, and HSTS behind HTTPS.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"+s.formTargets+s.samlFormTarget())
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	// same-origin, not no-referrer: Fiber's CSRF check over HTTPS needs it.
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	// Nothing Skillgate answers may be kept by a browser or a proxy unless
	// the handler says so (static assets, the calendar feed): API answers,
	// a new token's secret, report and audit downloads are personal data,
	// and clinic PCs are shared.
	c.Set(fiber.HeaderCacheControl, "no-store")
	if s.cfg.SecureCookies {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// authenticate identifies the caller: a bearer token when an Authorization
// header is present (never falling back to the cookie), else the session
// cookie. Anonymous requests continue; requireLogin decides.
//
// It also puts the audit actor into the request's context: "anonymous"
// (with the IP and request id) until someone is identified, then the
// person, and how they came ("session" or "token:<token id>"), so that
// stores attribute the entries they write without new parameters.
func (s *Server) authenticate(c *fiber.Ctx) error {
	actor := audit.Actor{ID: audit.AnonymousActor, IP: clientIP(c), RequestID: requestIDOf(c)}
	ctx := audit.WithActor(c.UserContext(), actor)
	c.SetUserContext(ctx)
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return errkind.New(errkind.Unauthenticated, "Use an Authorization header of the form “Bearer sgt_…”.")
		}
		// The person an API read is about (a clearance check) is read in
		// the same statement as the token: one round trip for both.
		var about string
		if c.Method() == fiber.MethodGet && isAPI(c) {
			about = c.Query("person")
		}
		t, p, subject, err := s.accounts.AuthenticateTokenWith(ctx, strings.TrimSpace(secret), about)
		if errors.Is(err, db.ErrNotFound) {
			// A wrong token counts as an anonymous request (guessing is limited).
			if err := s.hit(c, s.limits.anonymous, "anon-ip:"+clientIP(c)); err != nil {
				return err
			}
			return errkind.New(errkind.Unauthenticated, "This API token is not valid: it may be mistyped, expired or revoked.")
		}
		if err != nil {
			return err
		}
		// A read-only token reads: any other method is refused here,
		// before a handler or a body is read, on pages and API alike.
		if t.ReadOnly && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return errReadOnlyToken
		}
		request.SetUser(c, t.Narrow(p))
		c.Locals(localAuth, "token")
		if subject != nil {
			c.Locals(localSubject, subject)
		}
		actor.ID, actor.Via = p.ID, "token:"+t.ID
		c.SetUserContext(audit.WithActor(ctx, actor))
		return c.Next()
	}
	if cookie := c.Cookies(s.sessionCookie()); cookie != "" {
		_, p, err := s.accounts.ResumeSession(ctx, cookie, s.sessionPolicy())
		switch {
		case err == nil:
			request.SetUser(c, p)
			c.Locals(localAuth, "session")
			actor.ID, actor.Via = p.ID, "session"
			c.SetUserContext(audit.WithActor(ctx, actor))
		case errors.Is(err, accounts.ErrSessionExpired):
			c.Locals(localExpired, true)
			s.clearSessionCookie(c)
		case errors.Is(err, db.ErrNotFound):
			s.clearSessionCookie(c)
		default:
			return err
		}
	}
	return c.Next()
}

// errReadOnlyToken: a read-only API token sent a write.
var errReadOnlyToken = errkind.New(errkind.Forbidden, "This API token is read-only: it can read records but not change them. Use a token made without “read only” to make changes.")

func (s *Server) sessionPolicy() accounts.SessionPolicy {
	return accounts.SessionPolicy{Idle: s.cfg.SessionIdle, Absolute: s.cfg.SessionAbsolute}
}

// viaToken says whether the request was authenticated by an API token
// (not a session).
func viaToken(c *fiber.Ctx) bool {
	auth, _ := c.Locals(localAuth).(string)
	return auth == "token"
}

// currentUser is the person calling (app/request), nil when anonymous.
func currentUser(c *fiber.Ctx) *accounts.Person { return request.User(c) }

// isAPI reports whether a request is for the API, in any case: routing is
// case-sensitive, so "/API/V1/ME" is not found, and it is answered as an
// API request (JSON, the API's limit) all the same.
func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return len(p) >= 5 && strings.EqualFold(p[:5], "/api/")
}

// requireLogin sends anonymous visitors to the login page (pages) or
// answers 401 (API).
func (s *Server) requireLogin(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Next()
	}
	if isAPI(c) {
		return errkind.New(errkind.Unauthenticated, "Log in or send a personal API token as “Authorization: Bearer sgt_…”.")
	}
	q := url.Values{}
	if c.Method() == fiber.MethodGet && c.OriginalURL() != "/" {
		q.Set("next", c.OriginalURL())
	}
	if expired, _ := c.Locals(localExpired).(bool); expired {
		q.Set("msg", "session-expired")
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

func csrfToken(c *fiber.Ctx) string {
	t, _ := c.Locals(localCSRF).(string)
	return t
}

// sessionCookie is the session cookie's name: with secure cookies it has
// the __Host- prefix, which browsers accept only from this host over
// HTTPS, with path "/" and no domain, so that a sibling subdomain cannot
// set it (to log a victim into the attacker's account).
func (s *Server) sessionCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-sg_session"
	}
	return "sg_session"
}

func (s *Server) setSessionCookie(c *fiber.Ctx, value string) {
	c.Cookie(&fiber.Cookie{
		Name: s.sessionCookie(), Value: value, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.cfg.SessionAbsolute.Seconds()),
	})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: s.sessionCookie(), Value: "", Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0),
	})
}
