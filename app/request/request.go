// Package request holds what Skillgate's middleware learns about a request
// and its handlers read back: the person calling. The middleware that sets
// it is app/server's authenticate; the pages (app/server) and the JSON API
// (app/api) both read it here, so neither imports the other for it.
package request

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
)

// userKey is the request local that holds the authenticated person.
const userKey = "user"

// SetUser records p as the person calling (authentication does this once).
func SetUser(c *fiber.Ctx, p *accounts.Person) { c.Locals(userKey, p) }

// User is the person calling, nil when anonymous.
func User(c *fiber.Ctx) *accounts.Person {
	p, _ := c.Locals(userKey).(*accounts.Person)
	return p
}
