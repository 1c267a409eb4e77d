package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the API description, kept in the repository and checked
// against the registered routes by app/server's TestOpenAPIMatchesRoutes and
// against every answer of the API tests (package apitest).
//
//go:embed openapi.json
var openAPIDoc []byte

// Document is the OpenAPI document the API serves at /openapi.json.
func Document() []byte { return openAPIDoc }

func (a *API) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDoc)
}
