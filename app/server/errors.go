package server

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
)

// HTTPError is an error with a status and a message written for the
// person who sees it; Fields holds per-field messages for bad input.
type HTTPError struct {
	Status  int
	Message string
	Fields  map[string]string
}

func (e *HTTPError) Error() string { return e.Message }

func apiError(status int, msg string) *HTTPError { return &HTTPError{Status: status, Message: msg} }

// Errors with fixed wording, shared by pages and the API.
var (
	errForbidden   = apiError(fiber.StatusForbidden, "You do not have access to this page. If you need it, ask your administrator for the right role.")
	errNotFound    = apiError(fiber.StatusNotFound, "There is nothing at this address. It may have been moved, or the link may be mistyped.")
	errCSRF        = apiError(fiber.StatusForbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
	errUnavailable = apiError(fiber.StatusServiceUnavailable, "Skillgate cannot reach its database right now, so nothing was saved. Try again in a minute.")
	errInternal    = apiError(fiber.StatusInternalServerError, "Something went wrong on our side and nothing was saved. Try again; if it keeps happening, tell your administrator and quote the reference below.")
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

// classify turns any error into the HTTPError shown to the user. Internal
// details never reach the response; they are logged with the request id.
func (s *Server) classify(c *fiber.Ctx, err error) *HTTPError {
	var he *HTTPError
	var fe *fiber.Error
	var ae *assessments.Error
	switch {
	case errors.As(err, &he):
		return he
	case errors.Is(err, db.ErrNotFound):
		return errNotFound
	case errors.As(err, &ae):
		return &HTTPError{Status: assessmentStatus[ae.Kind], Message: ae.Message, Fields: fieldOf(ae)}
	case errors.Is(err, db.ErrUnavailable) || db.IsUnavailable(err):
		s.log.Warn("database unavailable", "request_id", requestIDOf(c), "error", err)
		return errUnavailable
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusNotFound:
			return errNotFound
		case fiber.StatusRequestEntityTooLarge:
			return apiError(fe.Code, fmt.Sprintf("What you sent is larger than Skillgate accepts (%d MB at most).", maxRequestBody>>20))
		case fiber.StatusMethodNotAllowed:
			return apiError(fe.Code, "This address does not accept that kind of request.")
		}
		if fe.Code < 500 {
			return apiError(fe.Code, "The request could not be understood: "+fe.Message)
		}
	}
	s.log.Error("request failed", "request_id", requestIDOf(c), "path", redactPath(c.Path()), "error", err)
	return errInternal
}

// handleError is Fiber's ErrorHandler: JSON for the API, a page otherwise.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	he := s.classify(c, err)
	if he.Status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "30")
	}
	if isAPI(c) || c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
		body := fiber.Map{"status": he.Status, "message": he.Message}
		if len(he.Fields) > 0 {
			body["fields"] = he.Fields
		}
		return c.Status(he.Status).JSON(fiber.Map{"error": body, "request_id": requestIDOf(c)})
	}
	data := errorPage{Heading: headings[he.Status], Message: he.Message}
	if he.Status >= 500 {
		data.RequestID = requestIDOf(c)
	}
	if he.Heading() == "" {
		data.Heading = "That did not work"
	}
	if he.Status == fiber.StatusUnauthorized {
		data.Back, data.BackLabel = "/login", "Log in"
	}
	if rerr := s.render(c, he.Status, "error", Page{Title: data.Heading, Data: data}); rerr != nil {
		s.log.Error("render error page", "request_id", requestIDOf(c), "error", rerr)
		return c.Status(he.Status).SendString(he.Message)
	}
	return nil
}

// Heading is the page heading for the error's status.
func (e *HTTPError) Heading() string { return headings[e.Status] }

type errorPage struct {
	Heading, Message, RequestID, Back, BackLabel string
}

func (s *Server) notFound(c *fiber.Ctx) error { return errNotFound }

// logAttrs is a helper for handlers that log with the request id.
func (s *Server) logWith(c *fiber.Ctx) *slog.Logger {
	return s.log.With("request_id", requestIDOf(c))
}

func isConflict(err error) bool { return errors.Is(err, db.ErrConflict) }

// assessmentStatus maps the rule errors' kinds to HTTP statuses.
var assessmentStatus = map[assessments.Kind]int{
	assessments.KindInvalid:   fiber.StatusBadRequest,
	assessments.KindForbidden: fiber.StatusForbidden,
	assessments.KindConflict:  fiber.StatusConflict,
	assessments.KindIntegrity: fiber.StatusConflict,
}

func fieldOf(e *assessments.Error) map[string]string {
	if e.Field == "" {
		return nil
	}
	return map[string]string{e.Field: e.Message}
}
