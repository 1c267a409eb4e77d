package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/reminders"
	"github.com/skillgate/skillgate/curriculum"
)

func TestNotificationsAndCalendarLink(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		rem := &reminders.Service{DB: e.db, Accounts: e.store, Clearance: e.svc.Clearance, Now: e.clock.Now, Location: curriculum.DefaultLocation()}
		if _, err := rem.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.login("apprentice@demo.test", demo.Password)
		page := c.get("/notifications")
		if !strings.Contains(page.body, "New:") || !strings.Contains(page.body, "Basic Life Support") {
			t.Fatal("the BLS reminder is not listed")
		}
		if r := c.post("/notifications/read", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("mark read: %d", r.StatusCode)
		}
		c.get("/notifications")
		r := c.post("/account/calendar", nil)
		link := regexpFind(`(/calendar/[A-Za-z0-9_-]+\.ics)`, r.body)
		if link == "" {
			t.Fatal("no calendar link shown")
		}
		anon := e.client()
		feed := anon.get(link)
		if feed.StatusCode != 200 || !strings.HasPrefix(feed.Header.Get("Content-Type"), "text/calendar") || !strings.Contains(feed.body, "BEGIN:VEVENT") {
			t.Fatalf("feed: %d %q", feed.StatusCode, feed.Header.Get("Content-Type"))
		}
		if strings.Contains(e.logText(), strings.TrimSuffix(strings.TrimPrefix(link, "/calendar/"), ".ics")) {
			t.Fatal("the calendar token appears in the log")
		}
		c.get("/notifications")
		c.post("/account/calendar/revoke", nil)
		if r := anon.get(link); r.StatusCode != http.StatusNotFound {
			t.Fatalf("revoked feed: %d", r.StatusCode)
		}
	})
}
