package e2e

import (
	"context"
	"os"
	"path/filepath"
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
		// 10 s, not less: the steps before the wait must stay within the
		// idle limit on a loaded CI machine.
		s := startServer(t, dialect, map[string]string{"SKILLGATE_SESSION_IDLE": "10s"})
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

		time.Sleep(11 * time.Second) // past the 10 s idle limit
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

// Journey 2: a preceptor on a tablet opens the queue, records a
// venipuncture with a critical step missed (unsuccessful) and then good
// ones, signs off with the password, and the apprentice's page changes.
func TestJourneyPreceptorOnTablet(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		ap := newBrowser(t, s, phone)
		ap.login("apprentice@demo.test", demo.Password)
		ap.open("/progress")
		ap.run("choose venipuncture", chromedp.SetValue(chromedp.CSS("#sl-c"), "PHL-VENI"))
		ap.clickAndLoad("send for verification", chromedp.Search(`//button[contains(., "Send for verification")]`))

		b := newBrowser(t, s, tablet)
		b.login("preceptor@demo.test", demo.Password)
		b.mustSee("Waiting for you", "Jordan Lee")
		b.shot("home")
		b.open("/review")
		b.mustSee("Jordan Lee", "PHL-VENI")
		b.shot("queue")
		b.clickAndLoad("verify", chromedp.Search(`//button[contains(., "Verify")]`))
		b.mustSee("Done.")

		b.open("/")
		b.clickAndLoad("open Jordan", chromedp.Search(`//a[contains(., "Jordan Lee:")]`))
		b.mustSee("9 of 10")
		path, _, _ := strings.Cut(b.location(), "?")
		path = strings.TrimPrefix(path, s.base)

		b.open(path + "/observe/PHL-VENI")
		b.mustSee("patient-identifying")
		b.noHorizontalScroll()
		b.run("score: every step met except the critical ones", eval(`document.querySelectorAll('input[value=met]').forEach(r => r.click());
			document.querySelectorAll('li').forEach(li => { if (li.querySelector('.status-bad')) { const n = li.querySelector('input[value=not]'); if (n) n.click(); } }); true`))
		b.shot("checklist critical missed")
		b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save observation")]`))
		b.mustSee("unsuccessful", "9 of 10")

		b.open(path + "/observe/PHL-VENI")
		b.run("score: every step met", eval(`document.querySelectorAll('input[value=met]').forEach(r => r.click()); true`))
		b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save observation")]`))
		b.mustSee("Observation saved: successful", "10 of 10")
		b.shot("ten of ten")

		b.open(path + "/signoff/PHL-VENI")
		b.mustSee("I attest that Jordan Lee demonstrated competency in Venipuncture")
		b.run("type the password again", chromedp.SendKeys(chromedp.CSS("#f-password"), demo.Password))
		b.shot("sign-off")
		b.clickAndLoad("sign", chromedp.Search(`//button[contains(., "Sign")]`))
		b.mustSee("Signed.", "Priya Raman, RN", "Signature checked")
		b.shot("signed")

		ap.open("/clearance")
		ap.mustSee("Venipuncture")
		row, err := chromedp.Run(ap.ctx, chromedp.Text(chromedp.CSS(`#t-VENIPUNCTURE`)))
		if err != nil || !strings.Contains(row, "Cleared (independent)") {
			t.Fatalf("the apprentice's page does not show venipuncture cleared: %q %v", row, err)
		}
		ap.shot("apprentice cleared")
	})
}

// Journey 3: HR sees an expired BLS on the dashboard, follows it to the
// person, uploads the renewed card, verifies it, and the task that needed
// BLS is cleared again, and the certifications export downloads.
func TestJourneyHRRenewsExpiredBLS(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		b := newBrowser(t, s, desktop)
		b.login("hr@demo.test", demo.Password)
		b.open("/hr")
		b.mustSee("Certifications", "Riley Nguyen", "Expired")
		b.shot("dashboard")
		b.clickAndLoad("open Riley", chromedp.Search(`//tr[.//text()[contains(., "Expired")]]//a[contains(., "Riley Nguyen")]`))
		b.mustSee("Riley Nguyen: credentials", "Expired")
		b.shot("person")

		card := filepath.Join(t.TempDir(), "bls-card.png")
		if err := os.WriteFile(card, onePixelPNG, 0o644); err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(time.UTC).Add(-24 * time.Hour).Format("01022006") // US date keys for the date input
		b.run("fill the renewal",
			chromedp.SetValue(chromedp.CSS("#c-type"), "BLS"),
			chromedp.SendKeys(chromedp.CSS("#c-body"), "American Heart Association"),
			chromedp.SendKeys(chromedp.CSS("#c-num"), "AHA-2026-777"),
			chromedp.SendKeys(chromedp.CSS("#c-iss"), today),
			chromedp.SetUploadFiles(chromedp.CSS("#c-file"), []string{card}))
		b.shot("renewal form")
		b.clickAndLoad("add", chromedp.Search(`//button[contains(., "Add credential")]`))
		b.mustSee("Credential added", "AHA-2026-777", "On file, not verified yet")
		b.run("how it was verified", chromedp.SendKeys(chromedp.CSS("form[action$='/verify'] input[name=method]"), "checked the AHA eCard site"))
		b.clickAndLoad("verify", chromedp.Search(`//button[contains(., "Mark verified")]`))
		b.mustSee("Marked verified", "Valid until")
		b.shot("verified")

		b.clickAndLoad("back to the person", chromedp.Search(`//a[contains(., "← Riley Nguyen")]`))
		row, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.Search(`//tr[.//strong[text()="Emergency response within competency"]]`)))
		if err != nil || !strings.Contains(row, "Cleared (independent)") {
			t.Fatalf("emergency response after the renewal: %q %v", row, err)
		}
		b.shot("cleared again")

		b.open("/reports/certifications")
		b.mustSee("Certifications report", "Riley Nguyen")
		b.shot("certifications report")
		kind, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`fetch(document.querySelector("a[href^='/reports/certifications.xlsx']").href).then(r => r.status + " " + r.headers.get("content-type"))`,
			chromedp.EvalAwaitPromise))
		if err != nil || !strings.HasPrefix(kind, "200 ") || !strings.Contains(kind, "spreadsheetml") {
			t.Fatalf("downloading the certifications export: %q %v", kind, err)
		}
	})
}

// A tiny valid PNG (1×1), standing in for a photo of a card.
var onePixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// Journey: a program director at a desktop and at a tablet answers "who
// in the cohort is closest to clearance for injections?" from home in at
// most 3 clicks, and the answer names what each person has left.
func TestJourneyDirectorClosestToClearance(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		for _, vp := range []viewport{desktop, tablet} {
			t.Run(vp.name, func(t *testing.T) { closestJourney(t, s, vp) })
		}
	})
}

func closestJourney(t *testing.T, s *server, vp viewport) {
	b := newBrowser(t, s, vp)
	b.login("director@demo.test", demo.Password)
	if got := strings.TrimPrefix(b.location(), s.base); got != "/" {
		t.Fatalf("the director lands on %s, not home", got)
	}
	clicks := 0
	click := func(what string, sel any) { clicks++; b.clickAndLoad(what, sel) }
	click("open closest to clearance", chromedp.Search(`//nav[@aria-label="Main"]//a[.="Closest to clearance"]`))
	b.mustSee("Closest to clearance", "Pick a task")
	b.shot("closest picker")
	click("pick injections", chromedp.Search(`//a[.="Intramuscular, subcutaneous and intradermal injections"]`))
	if clicks > 3 {
		t.Fatalf("%d clicks from home to the answer", clicks)
	}
	b.mustSee("Closest to clearance: Intramuscular, subcutaneous and intradermal injections", "more successful observed performances", "Download .xlsx")
	var first string
	b.run("read the first row", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var err error
		first, err = chromedp.Evaluate[string](`document.querySelector("table.closest tbody tr th a").textContent`)(ctx, tg)
		return err
	}))
	if first == "" {
		t.Fatal("the ranking has no first row")
	}
	b.noHorizontalScroll()
	b.shot("closest for injections")
	t.Logf("%s: %s is closest to clearance for injections, %d clicks from home", vp.name, first, clicks)
}
