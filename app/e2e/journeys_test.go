package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
)

// Journey 5: a wrong password, an expired session and a forbidden page each
// show a clear, friendly message.
func TestJourneyFriendlyMessages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, map[string]string{"SKILLGATE_SESSION_IDLE": "3s"})
		b := newBrowser(t, s, phone)

		b.login("apprentice@demo.test", "this is not my password")
		b.mustSee("do not match an account")
		b.shot("wrong password")

		b.login("apprentice@demo.test", demo.Password)
		b.mustSee("Hello, Jordan Lee")
		b.shot("home")

		b.open("/admin/people")
		b.mustSee("Not allowed", "You do not have access to this page")
		b.shot("forbidden")

		time.Sleep(4 * time.Second) // past the 3 s idle limit
		b.open("/account")
		b.mustSee("Your session expired. Please log in again.")
		url := b.location()
		if !strings.Contains(url, "next=%2Faccount") {
			t.Errorf("after the expired session the login page forgets where the person was going: %s", url)
		}
		b.shot("session expired")

		b.open("/no/such/page")
		b.mustSee("Page not found")
		b.shot("not found")
	})
}

// Journey 4: a program director drafts a new version, changes a count and
// publishes it; the old version stays as it was.
func TestJourneyDirectorPublishesNewVersion(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		b := newBrowser(t, s, desktop)
		b.login("director@demo.test", demo.Password)
		b.open("/programs")
		b.mustSee("Medical Assistant Apprenticeship", "Version 1")
		b.shot("programs")
		b.clickAndLoad("open version 1", chromedp.Search(`//a[contains(., "Version 1")]`))
		b.mustSee("Tasks and what clears them", "Venipuncture")
		b.shot("version 1")
		b.clickAndLoad("start draft", chromedp.Search(`//button[contains(., "Start a new draft")]`))
		b.mustSee("Draft", "A new draft was started")
		b.shot("draft started")

		path, _, _ := strings.Cut(b.location(), "?")
		b.open(strings.TrimPrefix(path, s.base) + "/competencies/PHL-VENI/edit")
		b.mustSee("Edit competency PHL-VENI", "Checklist steps")
		b.run("change the count", chromedp.SetValue(chromedp.CSS("#pc-0"), "12"))
		b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save to draft")]`))
		b.mustSee("Saved to the draft")
		b.shot("saved")
		b.run("accept the confirmation", eval(`window.confirm = () => true; true`))
		b.clickAndLoad("publish", chromedp.Search(`//button[contains(., "Publish version 2")]`))
		b.mustSee("Published.")
		b.run("open the venipuncture competency", chromedp.Click(chromedp.CSS("#comp-PHL-VENI summary")))
		b.mustSee("12 successful observed performances")
		b.shot("version 2 published")

		b.open(strings.Replace(strings.TrimPrefix(path, s.base), "/v/2", "/v/1", 1))
		b.run("open the venipuncture competency", chromedp.Click(chromedp.CSS("#comp-PHL-VENI summary")))
		b.mustSee("10 successful observed performances")
		b.shot("version 1 unchanged")
	})
}
