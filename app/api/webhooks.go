package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/errkind"
)

// webhooksAPI serves /api/v1/webhooks: administrators' endpoints and their
// deliveries (app/webhooks).
type webhooksAPI struct{ store *webhooks.Store }

// MountWebhooks registers the webhook routes, for administrators only.
func MountWebhooks(r Router, store *webhooks.Store) {
	w := webhooksAPI{store}
	const base = Prefix + "/webhooks"
	r.Get(base, access.Admins, w.list)
	r.Post(base, access.Admins, w.create)
	r.Get(base+"/:id", access.Admins, w.get)
	r.Patch(base+"/:id", access.Admins, w.update)
	r.Delete(base+"/:id", access.Admins, w.delete)
	r.Get(base+"/:id/deliveries", access.Admins, w.deliveries)
	r.Post(base+"/:id/deliveries/:delivery/resend", access.Admins, w.resend)
}

// webhookJSON is an endpoint, with its secret only when just made.
type webhookJSON struct {
	webhooks.Endpoint
	Secret string `json:"secret,omitempty"`
}

type webhookBody struct {
	URL          *string   `json:"url"`
	Description  *string   `json:"description"`
	Events       *[]string `json:"events"`
	SiteIDs      *[]string `json:"site_ids"`
	Enabled      *bool     `json:"enabled"`
	RotateSecret bool      `json:"rotate_secret"`
}

func (b webhookBody) apply(in *webhooks.Input) {
	if b.URL != nil {
		in.URL = *b.URL
	}
	if b.Description != nil {
		in.Description = *b.Description
	}
	if b.Events != nil {
		in.Events = *b.Events
	}
	if b.SiteIDs != nil {
		in.SiteIDs = *b.SiteIDs
	}
	if b.Enabled != nil {
		in.Enabled = *b.Enabled
	}
}

func parseWebhookBody(c *fiber.Ctx) (webhookBody, error) {
	var b webhookBody
	if err := c.BodyParser(&b); err != nil {
		return b, errkind.BadFields(map[string]string{"": "The body must be JSON with url, events and optionally description, site_ids and enabled."})
	}
	return b, nil
}

func (w webhooksAPI) list(c *fiber.Ctx) error {
	eps, err := w.store.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"webhooks": NonNil(eps)})
}

// create registers an endpoint (enabled unless "enabled": false) and
// answers with its secret, this once.
func (w webhooksAPI) create(c *fiber.Ctx) error {
	b, err := parseWebhookBody(c)
	if err != nil {
		return err
	}
	in := webhooks.Input{Enabled: true}
	b.apply(&in)
	ep, secret, err := w.store.Create(c.UserContext(), in, request.User(c).ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(webhookJSON{Endpoint: ep, Secret: secret})
}

func (w webhooksAPI) get(c *fiber.Ctx) error {
	ep, err := w.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(webhookJSON{Endpoint: ep})
}

// update changes the fields sent; "rotate_secret": true gives a new
// secret, in this answer only (the old one signs for 24 hours more).
func (w webhooksAPI) update(c *fiber.Ctx) error {
	b, err := parseWebhookBody(c)
	if err != nil {
		return err
	}
	id := c.Params("id")
	ep, err := w.store.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	in := webhooks.Input{URL: ep.URL, Description: ep.Description, Events: ep.Events, SiteIDs: ep.SiteIDs, Enabled: ep.Enabled}
	b.apply(&in)
	if ep, err = w.store.Update(c.UserContext(), id, in); err != nil {
		return err
	}
	out := webhookJSON{Endpoint: ep}
	if b.RotateSecret {
		if out.Endpoint, out.Secret, err = w.store.RotateSecret(c.UserContext(), id); err != nil {
			return err
		}
	}
	return c.JSON(out)
}

func (w webhooksAPI) delete(c *fiber.Ctx) error {
	if err := w.store.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// DeliveriesShown is how many recent deliveries the API and the page list.
const DeliveriesShown = 100

func (w webhooksAPI) deliveries(c *fiber.Ctx) error {
	ds, err := w.store.Deliveries(c.UserContext(), c.Params("id"), DeliveriesShown)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deliveries": NonNil(ds)})
}

func (w webhooksAPI) resend(c *fiber.Ctx) error {
	if err := w.store.Resend(c.UserContext(), c.Params("id"), c.Params("delivery")); err != nil {
		return err
	}
	// No body: the document promises none (SendStatus would send the
	// text "Accepted").
	c.Status(fiber.StatusAccepted)
	return nil
}
