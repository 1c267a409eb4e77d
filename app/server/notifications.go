package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/reminders"

	"github.com/skillgate/skillgate/errkind"
)

type notificationsView struct {
	Items       []reminders.Notification
	Unread      int
	HasCalendar bool
	CalendarURL string
}

func (s *Server) notificationsPage(c *fiber.Ctx) error {
	return s.renderNotifications(c, "")
}

func (s *Server) renderNotifications(c *fiber.Ctx, calendarURL string) error {
	u := currentUser(c)
	items, unread, err := s.reminders.For(c.UserContext(), u.ID, 100)
	if err != nil {
		return err
	}
	has, err := s.reminders.HasCalendar(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "notifications", Page{Title: "Notifications", Nav: "notifications",
		Data: notificationsView{Items: items, Unread: unread, HasCalendar: has, CalendarURL: calendarURL}})
}

func (s *Server) markRead(c *fiber.Ctx) error {
	if err := s.reminders.MarkRead(c.UserContext(), currentUser(c).ID); err != nil {
		return err
	}
	return c.Redirect("/notifications", fiber.StatusSeeOther)
}

// newCalendar makes a private feed link, shown once; an earlier link stops
// working.
func (s *Server) newCalendar(c *fiber.Ctx) error {
	tok, err := s.reminders.NewCalendarToken(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.renderNotifications(c, s.cfg.BaseURL+"/calendar/"+tok+".ics")
}

func (s *Server) revokeCalendar(c *fiber.Ctx) error {
	if err := s.reminders.RevokeCalendar(c.UserContext(), currentUser(c).ID); err != nil {
		return err
	}
	return c.Redirect("/notifications?msg=calendar-revoked", fiber.StatusSeeOther)
}

// calendarFeed serves a person's due dates to calendar apps, which cannot
// log in: the secret in the URL is the key.
func (s *Server) calendarFeed(c *fiber.Ctx) error {
	tok := strings.TrimSuffix(c.Params("token"), ".ics")
	feed, err := s.reminders.Calendar(c.UserContext(), tok)
	if errors.Is(err, db.ErrNotFound) {
		return errkind.New(errkind.NotFound, "This calendar link is not valid any more.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(feed)
}
