package server

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the API description, kept in the repository and checked
// against the registered routes by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDoc)
}
