package server

import (
	"bytes"
	"iter"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/errkind"
)

var errNUL = errkind.New(errkind.Malformed, "The request holds a NUL character (code 0), which no field accepts. Remove it and try again.")

// refuseNUL refuses a request with a NUL character in its path, query,
// form fields or JSON strings before any handler sees it. Neither database
// keeps one in text (bun refuses to put it into a query, PostgreSQL rejects
// it), so it would otherwise end as a server error half-way through a
// handler. The contents of uploaded files are not text fields and are not
// checked.
func refuseNUL(c *fiber.Ctx) error {
	req := c.Request()
	if p, err := url.PathUnescape(string(req.URI().PathOriginal())); err == nil && strings.IndexByte(p, 0) >= 0 {
		return errNUL
	}
	if hasNUL(req.URI().QueryArgs().All()) {
		return errNUL
	}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		if hasNUL(req.PostArgs().All()) {
			return errNUL
		}
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if form, err := c.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				if strings.IndexByte(k, 0) >= 0 || strings.ContainsFunc(strings.Join(vs, ""), func(r rune) bool { return r == 0 }) {
					return errNUL
				}
			}
		}
	case strings.Contains(ct, "json"):
		if jsonHasNUL(c.Body()) {
			return errNUL
		}
	}
	return c.Next()
}

func hasNUL(args iter.Seq2[[]byte, []byte]) bool {
	for k, v := range args {
		if bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}

// jsonHasNUL reports whether JSON text holds a NUL byte or a \u0000 escape
// (one not itself escaped, as in "\\u0000", which is six characters).
func jsonHasNUL(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u0000`))
		if j < 0 {
			return false
		}
		j += i
		n := 0 // backslashes ending at j, the escape's own included
		for k := j; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = j + 1
	}
}
