package server

import (
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/api"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/app/webhooks"
)

// webhooksView is the webhooks page: every endpoint and the form for a
// new one.
type webhooksView struct {
	Endpoints []webhooks.Endpoint
	Sites     []accounts.Site
	Events    []string
}

// webhookView is one endpoint's page: its form, its recent deliveries and,
// just after creation or rotation, its secret (shown this once).
type webhookView struct {
	Endpoint   webhooks.Endpoint
	Sites      []accounts.Site
	Events     []string
	Deliveries []webhooks.Delivery
	Secret     string
}

// HasEvent reports whether the endpoint receives event type e.
func (v webhookView) HasEvent(e string) bool { return slices.Contains(v.Endpoint.Events, e) }

// HasSite reports whether the endpoint is limited to site id (among others).
func (v webhookView) HasSite(id string) bool { return slices.Contains(v.Endpoint.SiteIDs, id) }

// SiteName names a site id for the page.
func (v webhooksView) SiteName(id string) string { return siteName(v.Sites, id) }

func siteName(sites []accounts.Site, id string) string {
	for _, s := range sites {
		if s.ID == id {
			return s.Name
		}
	}
	return id
}

// webhooksPage lists the endpoints (administrators).
func (s *Server) webhooksPage(c *fiber.Ctx) error {
	eps, err := s.webhooks.List(c.UserContext())
	if err != nil {
		return err
	}
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "webhooks", Page{Title: "Webhooks", Nav: "people",
		Data: webhooksView{Endpoints: eps, Sites: sites, Events: webhooks.EventTypes}})
}

// webhookInput reads the endpoint form.
func webhookInput(c *fiber.Ctx) webhooks.Input {
	in := webhooks.Input{URL: c.FormValue("url"), Description: c.FormValue("description"), Enabled: c.FormValue("enabled") == "on",
		Events: []string{}, SiteIDs: []string{}}
	args := c.Request().PostArgs()
	for _, b := range args.PeekMulti("events") {
		in.Events = append(in.Events, string(b))
	}
	for _, b := range args.PeekMulti("sites") {
		in.SiteIDs = append(in.SiteIDs, string(b))
	}
	return in
}

// createWebhook registers an endpoint and shows its page with the secret.
func (s *Server) createWebhook(c *fiber.Ctx) error {
	ep, secret, err := s.webhooks.Create(c.UserContext(), webhookInput(c), request.User(c).ID)
	if err != nil {
		return err
	}
	return s.showWebhook(c, ep.ID, secret, fiber.StatusCreated)
}

// webhookPage shows an endpoint, its form and its recent deliveries.
func (s *Server) webhookPage(c *fiber.Ctx) error {
	return s.showWebhook(c, c.Params("id"), "", fiber.StatusOK)
}

func (s *Server) showWebhook(c *fiber.Ctx, id, secret string, status int) error {
	ep, err := s.webhooks.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	ds, err := s.webhooks.Deliveries(c.UserContext(), id, api.DeliveriesShown)
	if err != nil {
		return err
	}
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, status, "webhook", Page{Title: "Webhook " + ep.URL, Nav: "people",
		Data: webhookView{Endpoint: ep, Sites: sites, Events: webhooks.EventTypes, Deliveries: ds, Secret: secret}})
}

func webhookPath(id string) string { return "/admin/webhooks/" + url.PathEscape(id) }

// updateWebhook saves the endpoint's form.
func (s *Server) updateWebhook(c *fiber.Ctx) error {
	ep, err := s.webhooks.Update(c.UserContext(), c.Params("id"), webhookInput(c))
	if err != nil {
		return err
	}
	return c.Redirect(webhookPath(ep.ID)+"?msg=webhook-saved", fiber.StatusSeeOther)
}

// rotateWebhookSecret gives the endpoint a new secret and shows it once.
func (s *Server) rotateWebhookSecret(c *fiber.Ctx) error {
	ep, secret, err := s.webhooks.RotateSecret(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.showWebhook(c, ep.ID, secret, fiber.StatusOK)
}

// deleteWebhook removes the endpoint (the form asks to confirm first).
func (s *Server) deleteWebhook(c *fiber.Ctx) error {
	if err := s.webhooks.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/admin/webhooks?msg=webhook-deleted", fiber.StatusSeeOther)
}

// resendWebhookDelivery sends a delivered or failed delivery again.
func (s *Server) resendWebhookDelivery(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.webhooks.Resend(c.UserContext(), id, c.Params("delivery")); err != nil {
		return err
	}
	return c.Redirect(webhookPath(id)+"?msg=webhook-resent", fiber.StatusSeeOther)
}
