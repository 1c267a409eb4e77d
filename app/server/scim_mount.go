package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/scim"
	"github.com/skillgate/skillgate/errkind"
)

// scimBodyLimit bounds a SCIM request: a group PUT with a few thousand
// members fits.
const scimBodyLimit = 1 << 20

// mountSCIM serves SCIM 2.0 (app/scim) at /scim/v2. The caller is an
// identity provider holding a SCIM token: it is authenticated here, its
// failures count against the anonymous limit per address (guessing is
// limited), and every change it makes is audited as the token's.
func (s *Server) mountSCIM() error {
	if s.scim == nil {
		return nil
	}
	h, err := s.scim.Handler(s.cfg.BaseURL + "/scim/v2")
	if err != nil {
		return err
	}
	h = http.StripPrefix("/scim", h)
	s.app.Use("/scim/v2", func(c *fiber.Ctx) error {
		secret, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if !ok {
			return s.scimError(c, scim.ErrBadToken)
		}
		t, err := s.scim.Authenticate(c.UserContext(), strings.TrimSpace(secret))
		if err != nil {
			return s.scimError(c, err)
		}
		if c.Request().Header.ContentLength() > scimBodyLimit {
			return s.scimError(c, errkind.New(errkind.TooLarge, "The request body is larger than 1 MiB."))
		}
		a := scim.Actor(t)
		a.IP, a.RequestID = clientIP(c), requestIDOf(c)
		ctx := audit.WithActor(c.UserContext(), a)
		return adaptor.HTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(ctx))
		})(c)
	})
	return nil
}

// scimError answers in SCIM's error format (RFC 7644 3.12), which an IdP
// shows its administrator; a failed authentication also counts against the
// anonymous limit of the caller's address.
func (s *Server) scimError(c *fiber.Ctx, err error) error {
	kind := errkind.KindOf(err)
	if kind == errkind.Unauthenticated {
		if limited := s.hit(c, s.limits.anonymous, "anon-ip:"+clientIP(c)); limited != nil {
			err, kind = limited, errkind.RateLimited
		}
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="skillgate-scim"`)
	}
	status := kindStatus[kind]
	if status == 0 || kind == errkind.Internal {
		s.log.ErrorContext(c.UserContext(), "scim", "err", err)
		status = http.StatusInternalServerError
	}
	detail := errkind.Message(err)
	var ek *errkind.Error
	if !errors.As(err, &ek) {
		detail = "Internal error."
	}
	body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status": strconv.Itoa(status), "detail": detail})
	c.Set(fiber.HeaderContentType, "application/scim+json")
	return c.Status(status).Send(body)
}
