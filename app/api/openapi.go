package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the API description, kept in the repository and checked
// against the registered routes by app/server's TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openAPIDoc []byte

func (a *API) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDoc)
}
