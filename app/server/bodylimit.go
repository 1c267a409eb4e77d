package server

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Request body limits. The HTTP server streams request bodies
// (StreamRequestBody): it reads a few KB of a body before Skillgate sees
// the request, never the whole of it. limitBody, after authentication and
// before anything reads the body (refuseNUL, CSRF, handlers), decides what
// this caller may send to this route and refuses a larger body by its
// Content-Length without reading it:
//
//   - anyone: at most maxRequestBody (HR's import file), the server's own limit;
//   - anonymous callers: at most maxPublicBody, whatever the route (the only
//     routes that take their bodies are the login and password-link forms),
//     so that strangers cannot make the server hold memory;
//   - logged-in callers: the route's limit, forms and JSON maxFormBody, each
//     upload its file's limit plus room for the rest of the form.
//
// Over its limit a request gets 413 and a message naming the limit, and the
// connection is closed rather than the rest of the body read; nothing is
// stored. A body without a length (chunked) is read up to the limit and no
// further.
const (
	maxFormBody    = 1 << 20
	maxPublicBody  = 64 << 10
	uploadSlack    = 64 << 10
	maxRequestBody = credentials.MaxUploadSize + uploadSlack
)

// bodyLimit is a limit and what to say when it is exceeded.
type bodyLimit struct {
	max     int
	tooMuch string
}

var (
	formBody   = bodyLimit{maxFormBody, fmt.Sprintf("What you sent is larger than this page accepts (%d MB at most).", maxFormBody>>20)}
	publicBody = bodyLimit{maxPublicBody, fmt.Sprintf(
		"What you sent is larger than Skillgate accepts without logging in (%d KB at most). Log in first.", maxPublicBody>>10)}
	credentialFile = bodyLimit{credentials.MaxFileSize + uploadSlack, fmt.Sprintf(
		"The file is larger than %d MB. Scan or photograph the card at a lower resolution, or save it as a smaller PDF.", credentials.MaxFileSize>>20)}
	importFile = bodyLimit{credentials.MaxUploadSize + uploadSlack, fmt.Sprintf(
		"The import file is larger than %d MB. Split it into several files and import them one after another.", credentials.MaxUploadSize>>20)}
	// scanFile is a transcription's scanned page: a form's file, or an
	// API body with the file in base64 (a third larger).
	scanFile = bodyLimit{credentials.MaxFileSize*4/3 + uploadSlack, fmt.Sprintf(
		"The scanned page is larger than %d MB. Scan it at a lower resolution, or save it as a smaller PDF.", credentials.MaxFileSize>>20)}
	programFile = bodyLimit{curriculum.MaxFileSize + uploadSlack, fmt.Sprintf(
		"The program file is larger than %d MB; program files are YAML text and are much smaller.", curriculum.MaxFileSize>>20)}
)

// uploadRoute is a route that takes more than formBody (see Server.upload).
type uploadRoute struct {
	method   string
	segments []string // the pattern's segments; ":name" matches any one
	limit    bodyLimit
}

func (u uploadRoute) matches(method, path string) bool {
	if method != u.method {
		return false
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) != len(u.segments) {
		return false
	}
	for i, s := range u.segments {
		if !strings.HasPrefix(s, ":") && s != segs[i] {
			return false
		}
	}
	return true
}

// limitFor is the body limit of this request (see the comment above).
func (s *Server) limitFor(c *fiber.Ctx) bodyLimit {
	if currentUser(c) == nil {
		return publicBody
	}
	for _, u := range s.uploads {
		if u.matches(c.Method(), c.Path()) {
			return u.limit
		}
	}
	return formBody
}

// limitBody enforces limitFor before the body is read.
func (s *Server) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	n := req.Header.ContentLength()
	if n == 0 || n == -2 {
		return c.Next() // no body
	}
	if n > maxRequestBody {
		return s.tooLarge(c, fiber.ErrRequestEntityTooLarge)
	}
	l := s.limitFor(c)
	if n > l.max {
		return s.tooLarge(c, errkind.New(errkind.TooLarge, l.tooMuch))
	}
	if n == -1 {
		// Chunked: read it here, up to the limit, so that nothing later
		// reads more.
		if stream := req.BodyStream(); stream != nil {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(stream, int64(l.max)+1)); err != nil {
				return errkind.New(errkind.Malformed, "The request's body could not be read.")
			}
			if buf.Len() > l.max {
				return s.tooLarge(c, errkind.New(errkind.TooLarge, l.tooMuch))
			}
			req.SetBody(buf.Bytes())
		}
	}
	return c.Next()
}

// tooLarge answers err and closes the connection, so the server does not
// read the rest of the body to keep the connection usable.
func (s *Server) tooLarge(c *fiber.Ctx, err error) error {
	c.Context().SetConnectionClose()
	return err
}
