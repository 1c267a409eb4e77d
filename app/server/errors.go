package server

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/errkind"
)

// kindStatus is the one table from error kinds to HTTP statuses, for pages
// and the JSON API alike (package errkind's doc and the README show it).
// Handlers never choose a status for an error: they return it, or render
// their form with statusOf(err).
var kindStatus = map[errkind.Kind]int{
	errkind.Malformed:       fiber.StatusBadRequest,
	errkind.Invalid:         fiber.StatusUnprocessableEntity,
	errkind.Unauthenticated: fiber.StatusUnauthorized,
	errkind.Forbidden:       fiber.StatusForbidden,
	errkind.NotFound:        fiber.StatusNotFound,
	errkind.Gone:            fiber.StatusGone,
	errkind.Conflict:        fiber.StatusConflict,
	errkind.TooLarge:        fiber.StatusRequestEntityTooLarge,
	errkind.Unsupported:     fiber.StatusUnsupportedMediaType,
	errkind.RateLimited:     fiber.StatusTooManyRequests,
	errkind.Unavailable:     fiber.StatusServiceUnavailable,
	errkind.Integrity:       fiber.StatusInternalServerError,
	errkind.Internal:        fiber.StatusInternalServerError,
}

// statusFor is the status of kind k.
func statusFor(k errkind.Kind) int {
	if st, ok := kindStatus[k]; ok {
		return st
	}
	return fiber.StatusInternalServerError
}

// statusOf is the status of err's kind (500 for an error without one).
func statusOf(err error) int { return statusFor(errkind.KindOf(err)) }

// Errors with fixed wording, shared by pages and the API.
var (
	errForbidden   = errkind.New(errkind.Forbidden, "You do not have access to this page. If you need it, ask your administrator for the right role.")
	errNotFound    = errkind.New(errkind.NotFound, "There is nothing at this address. It may have been moved, or the link may be mistyped.")
	errCSRF        = errkind.New(errkind.Forbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
	errUnavailable = errkind.New(errkind.Unavailable, "Skillgate cannot reach its database right now, so nothing was saved. Try again in a minute.")
	errInternal    = errkind.New(errkind.Internal, "Something went wrong on our side and nothing was saved. Try again; if it keeps happening, tell your administrator and quote the reference below.")
	errUnreadable  = errkind.New(errkind.Malformed, "The form could not be read. Reload the page and try again.")
)

var headings = map[int]string{
	fiber.StatusBadRequest:          "That did not work",
	fiber.StatusUnauthorized:        "Please log in",
	fiber.StatusForbidden:           "Not allowed",
	fiber.StatusNotFound:            "Page not found",
	fiber.StatusTooManyRequests:     "Slow down",
	fiber.StatusServiceUnavailable:  "Temporarily unavailable",
	fiber.StatusInternalServerError: "Something went wrong",
}

// classify turns any error into the status and the kinded error shown to
// the user. Internal details never reach the response; they are logged
// with the request id.
func (s *Server) classify(c *fiber.Ctx, err error) (int, *errkind.Error) {
	if ke := errkind.As(err); ke != nil {
		switch ke.Kind {
		case errkind.Unavailable:
			s.log.Warn("database unavailable", "request_id", requestIDOf(c), "error", err)
			return statusFor(ke.Kind), errUnavailable
		case errkind.Integrity:
			// Stored records changed outside the application: an alert.
			s.log.Error("integrity check failed", "request_id", requestIDOf(c), "path", redactPath(c.Path()), "error", err)
			return statusFor(ke.Kind), ke
		case errkind.Internal:
			// A kind nobody chose: not a message for the user.
		default:
			return statusFor(ke.Kind), ke
		}
	} else if db.IsUnavailable(err) {
		s.log.Warn("database unavailable", "request_id", requestIDOf(c), "error", err)
		return statusFor(errkind.Unavailable), errUnavailable
	}
	// Fiber's own answers (no route, method or body limit) keep its status.
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return fe.Code, errNotFound
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, errkind.New(errkind.TooLarge, fmt.Sprintf("What you sent is larger than Skillgate accepts (%d MB at most).", maxRequestBody>>20))
		case fiber.StatusMethodNotAllowed:
			return fe.Code, errkind.New(errkind.Malformed, "This address does not accept that kind of request.")
		}
		if fe.Code < 500 {
			return fe.Code, errkind.New(errkind.Malformed, "The request could not be understood: "+fe.Message)
		}
	}
	s.log.Error("request failed", "request_id", requestIDOf(c), "path", redactPath(c.Path()), "error", err)
	return statusFor(errkind.Internal), errInternal
}

// handleError is Fiber's ErrorHandler: JSON for the API, a page otherwise.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, ke := s.classify(c, err)
	if status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "30")
	}
	if isAPI(c) || c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
		body := fiber.Map{"status": status, "message": ke.Message}
		if ke.Code != "" {
			body["code"] = ke.Code
		}
		if len(ke.Fields) > 0 {
			body["fields"] = ke.Fields
		}
		return c.Status(status).JSON(fiber.Map{"error": body, "request_id": requestIDOf(c)})
	}
	data := errorPage{Heading: headings[status], Message: ke.Message}
	if status >= 500 {
		data.RequestID = requestIDOf(c)
	}
	if data.Heading == "" {
		data.Heading = "That did not work"
	}
	if status == fiber.StatusUnauthorized {
		data.Back, data.BackLabel = "/login", "Log in"
	}
	if rerr := s.render(c, status, "error", Page{Title: data.Heading, Data: data}); rerr != nil {
		s.log.Error("render error page", "request_id", requestIDOf(c), "error", rerr)
		return c.Status(status).SendString(ke.Message)
	}
	return nil
}

type errorPage struct {
	Heading, Message, RequestID, Back, BackLabel string
}

func (s *Server) notFound(c *fiber.Ctx) error { return errNotFound }

// logAttrs is a helper for handlers that log with the request id.
func (s *Server) logWith(c *fiber.Ctx) *slog.Logger {
	return s.log.With("request_id", requestIDOf(c))
}

// formError returns err's kinded error when it is one the user can act on
// beside the form they sent, so the handler re-renders that form with what
// was typed, the message and statusOf(err). It returns nil for faults of
// ours, an unavailable database and integrity failures, which the error
// page answers (and logs).
func formError(err error) *errkind.Error {
	ke := errkind.As(err)
	if ke == nil {
		return nil
	}
	switch ke.Kind {
	case errkind.Internal, errkind.Unavailable, errkind.Integrity:
		return nil
	}
	return ke
}
