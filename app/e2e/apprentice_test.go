package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
)

// fitsWidth fails when the page scrolls sideways: the scrolling element is
// wider than the window.
func (b *browser) fitsWidth() {
	b.t.Helper()
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[document.scrollingElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		b.t.Fatal(err)
	}
	if wide[0] > wide[1] {
		b.t.Errorf("%s scrolls sideways: %d px of content in a %d px window", b.location(), wide[0], wide[1])
	}
}

// height is the page's full height in CSS pixels.
func (b *browser) height() int {
	b.t.Helper()
	h, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollHeight`))
	if err != nil {
		b.t.Fatal(err)
	}
	return h
}

// TestJourneyApprenticeOnPhone: Jordan, on a 390 px phone, finds what
// stands between them and venipuncture in two taps from home (the reason
// on screen), reads "My progress" grouped by domain on a short page, logs
// hours with a mistake and gets the form back with what was typed, sends
// a performance for verification and finds it in "My submissions". No
// page scrolls sideways; axe finds nothing on the pages and the form that
// came back.
func TestJourneyApprenticeOnPhone(t *testing.T) {
	axe := axeSource(t)
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		b := newBrowser(t, s, phone)
		b.login("apprentice@demo.test", demo.Password)
		b.mustSee("Your next steps", "Basic Life Support (AHA or equivalent) expires", "Venipuncture: ")
		b.fitsWidth()
		b.shot("home")
		if dialect == db.SQLite {
			b.checkPage(axe)
		}

		// Two taps: "What I may do", then "Find" with the task's name.
		b.clickAndLoad("what I may do", chromedp.Search(`//main//a[contains(., "What I may do")]`))
		b.fitsWidth()
		b.run("type the task", chromedp.SendKeys(chromedp.CSS("#q"), "venipuncture"))
		b.clickAndLoad("find", chromedp.Search(`//button[contains(., "Find")]`))
		card, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#t-VENIPUNCTURE")))
		if err != nil {
			t.Fatalf("no venipuncture card after the search: %v", err)
		}
		if !strings.Contains(card, "Venipuncture") || !strings.Contains(card, "observed") {
			t.Fatalf("the venipuncture card does not say what is missing:\n%s", card)
		}
		b.shot("venipuncture")
		inView, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { const r = document.querySelector("#t-VENIPUNCTURE ul, #t-VENIPUNCTURE p").getBoundingClientRect();
			return r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth })()`))
		if err != nil || !inView {
			t.Fatalf("the reason is not on the first screen (%v)", err)
		}
		b.fitsWidth()
		b.open("/clearance")
		b.fitsWidth()
		if dialect == db.SQLite {
			b.checkPage(axe)
		}

		// My progress: grouped by domain, under 3,000 px by default.
		b.open("/progress")
		b.mustSee("Clinical", "Laboratory", "in progress")
		if h := b.height(); h >= 3000 {
			t.Errorf("My progress is %d px tall at 390 px, want under 3000", h)
		} else {
			t.Logf("My progress: %d px tall at 390 px", h)
		}
		b.fitsWidth()
		b.shot("progress")
		if dialect == db.SQLite {
			b.checkPage(axe)
		}
		progress := b.location()
		b.open(strings.TrimPrefix(progress, s.base) + "?show=not_started")
		b.fitsWidth()

		// Log hours with a mistake: the same form comes back with what
		// was typed and the message by the field.
		b.open(strings.TrimPrefix(progress, s.base))
		b.run("open log hours", chromedp.Click(chromedp.CSS("details.log-hours summary")))
		b.run("hours", chromedp.SendKeys(chromedp.CSS("#h-h"), "25"), chromedp.SendKeys(chromedp.CSS("#h-n"), "late clinic"))
		b.clickAndLoad("log hours", chromedp.Search(`//button[contains(., "Log hours")]`))
		b.mustSee("There is a problem")
		kept, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[document.querySelector("#f-hours").value, document.querySelector("#f-note").value,
			document.querySelector("#f-hours").getAttribute("aria-describedby") || "", document.querySelector(".error-summary a").getAttribute("href")]`))
		if err != nil {
			t.Fatal(err)
		}
		if kept[0] != "25" || kept[1] != "late clinic" || kept[2] != "e-hours" || kept[3] != "#f-hours" {
			t.Fatalf("the form came back with %q", kept)
		}
		b.fitsWidth()
		b.shot("hours-mistake")
		if dialect == db.SQLite {
			b.checkPage(axe)
		}

		// A performance sent for verification is listed at once.
		b.open(strings.TrimPrefix(progress, s.base))
		b.run("choose venipuncture", chromedp.SetValue(chromedp.CSS("#sl-c"), "PHL-VENI"))
		b.clickAndLoad("send for verification", chromedp.Search(`//button[contains(., "Send for verification")]`))
		b.mustSee("Sent for verification", "Waiting for your preceptor", "Venipuncture")
		b.open("/submissions")
		b.mustSee("Waiting for your preceptor (1)", "Venipuncture", "Waiting for verification")
		b.fitsWidth()
		b.shot("submissions")
		if dialect == db.SQLite {
			b.checkPage(axe)
		}
		b.open("/notifications")
		b.fitsWidth()
	})
}
