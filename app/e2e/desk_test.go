package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
)

// Journey (issue 19): HR at a desk and at a tablet finds everyone whose
// BLS expires this month in one click from the dashboard, finds a person
// by name with the header's search box, and imports a renewal sheet that
// names an existing person by email (the preview says "Matched by email").
func TestJourneyHRDesk(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		for _, vp := range []viewport{desktop, tablet} {
			t.Run(vp.name, func(t *testing.T) { hrDesk(t, s, vp, dialect) })
		}
	})
}

func hrDesk(t *testing.T, s *server, vp viewport, dialect db.Dialect) {
	b := newBrowser(t, s, vp)
	b.login("hr@demo.test", demo.Password)
	b.open("/hr")
	b.mustSee("Expiring this month", "BLS:")
	b.shot("dashboard")

	// One click: the demo's Jordan Lee holds a BLS valid through
	// the end of this month.
	b.clickAndLoad("BLS this month", chromedp.Search(`//a[contains(., "BLS:") and contains(., "expiring this month")]`))
	b.mustSee("Expiring in", "Jordan Lee", "BLS")
	if strings.Contains(b.text(), "Riley Nguyen") { // expired last month
		t.Errorf("the BLS-this-month list shows Riley, whose card expired last month")
	}
	b.noHorizontalScroll()
	b.shot("BLS expiring this month")

	// The header's search box finds a person by name.
	b.run("type a name", chromedp.SendKeys(chromedp.CSS("#header-q"), "carter"))
	b.clickAndLoad("search", chromedp.CSS("form.header-search button"))
	b.mustSee("Sam Carter", "E2002", "People 1–1 of 1")
	b.noHorizontalScroll()
	b.shot("directory search")

	// A renewal sheet naming Sam by email (with the HR system's id).
	sheet := filepath.Join(t.TempDir(), "renewals.csv")
	today := time.Now().Format("2006-01-02")
	exp := time.Now().AddDate(2, 0, 0).Format("01/2006")
	number := fmt.Sprintf("AHA-%s-%s", vp.name, dialect)
	body := "employee_id,name,email,role,site,credential_type,issuing_body,number,issued_on,expires_on\n" +
		"HRIS-2002,Sam Carter,apprentice2@demo.test,apprentice,Riverside Family Medicine,BLS,American Heart Association," + number + "," + today + "," + exp + "\n"
	if err := os.WriteFile(sheet, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/hr/import")
	b.mustSee("Download the roster (.xlsx)", "Download the template (.xlsx)")
	b.run("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{sheet}))
	b.clickAndLoad("preview", chromedp.CSS("form[action='/hr/import'] button[type=submit]"))
	b.mustSee("Matched by email", "Sam Carter", "1 credentials")
	b.shot("renewal preview")
	b.run("accept the confirmation", eval(`window.confirm = () => true; true`))
	b.clickAndLoad("import", chromedp.CSS("form[action='/hr/import/confirm'] button[type=submit]"))
	b.mustSee("Imported", "1 credentials added")
	b.shot("imported")
}

// Journey (issue 19): HR finds everything about a person by name in the
// audit trail; each entry reads as a sentence with whose record it is,
// its values open on demand under labels (no PersonID), and a page of 50
// entries stays well under 5,000 px tall.
func TestJourneyAuditTrail(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		for _, vp := range []viewport{desktop, tablet} {
			t.Run(vp.name, func(t *testing.T) { auditTrail(t, s, vp) })
		}
	})
}

func auditTrail(t *testing.T, s *server, vp viewport) {
	b := newBrowser(t, s, vp)
	b.login("hr@demo.test", demo.Password)
	b.open("/audit")
	b.mustSee("Showing 1–50 of")
	height, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatal(err)
	}
	if height >= 5000 {
		t.Errorf("50 entries make a page %d px tall; want well under 5,000", height)
	}
	b.noHorizontalScroll()
	b.shot("fifty entries")

	b.run("type a name", chromedp.SendKeys(chromedp.CSS("#a-whose"), "Jordan Lee"))
	b.clickAndLoad("filter", chromedp.CSS("form[action='/audit'] button[type=submit]"))
	b.mustSee("verified Jordan Lee's BLS card", "signed off Jordan Lee as competent in", "Jordan Lee")
	if txt := b.text(); strings.Contains(txt, "Casey Brooks") || strings.Contains(txt, "Sam Carter") {
		t.Errorf("the entries about Jordan Lee include other apprentices':\n%s", txt)
	}
	// The values open on demand, under labels a reader knows.
	open, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector("table.audit details").open`))
	if err != nil || open {
		t.Fatalf("an entry's values are open before asked for (%v)", err)
	}
	b.run("open the first credential entry", chromedp.Click(chromedp.Search(`//summary[contains(., "verified Jordan Lee's BLS card")]`)))
	details, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.Search(`//details[@open]`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Verified by", "Verification method"} {
		if !strings.Contains(details, want) {
			t.Errorf("the opened entry does not say %q:\n%s", want, details)
		}
	}
	if strings.Contains(b.text(), "PersonID") || strings.Contains(b.text(), "FileID") {
		t.Error("the page shows internal field names")
	}
	b.noHorizontalScroll()
	b.shot("entries about Jordan Lee")

	// Who did it, by name.
	b.open("/audit?actor=" + url.QueryEscape("Helen Ortiz"))
	b.mustSee("Helen Ortiz logged in")
	b.shot("entries by Helen Ortiz")
}

// Journey (issue 19): the director's cohort grid at a desk and on a
// tablet: competency names, a name column and header that stay in view
// while the grid scrolls inside its own box (the page never scrolls
// sideways), sorting by progress with a plain link, and a tap on a cell
// opens that competency on the apprentice's record.
func TestJourneyCohortGrid(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		for _, vp := range []viewport{desktop, tablet} {
			t.Run(vp.name, func(t *testing.T) { cohortGrid(t, s, vp) })
		}
	})
}

func cohortGrid(t *testing.T, s *server, vp viewport) {
	b := newBrowser(t, s, vp)
	b.login("director@demo.test", demo.Password)
	b.open("/cohort")
	b.mustSee("Venipuncture", "PHL-VENI", "Jordan Lee")
	b.noHorizontalScroll()
	b.shot("cohort")

	// Scroll the grid right and down: the names and the header stay put.
	b.run("scroll the grid", eval(`const w = document.querySelector(".cohort-wrap"); w.scrollLeft = 600; w.scrollTop = 40; true`))
	stuck, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => {
		const w = document.querySelector(".cohort-wrap").getBoundingClientRect();
		const name = document.querySelector("table.cohort tbody th").getBoundingClientRect();
		const head = document.querySelector("table.cohort thead th.comp").getBoundingClientRect();
		return document.querySelector(".cohort-wrap").scrollLeft > 0 && Math.abs(name.left - w.left) < 3 && Math.abs(head.top - w.top) < 3;
	})()`))
	if err != nil || !stuck {
		t.Errorf("the name column or the header scrolled away with the grid (%v)", err)
	}
	b.noHorizontalScroll()
	b.shot("cohort scrolled")

	b.clickAndLoad("sort by progress", chromedp.Search(`//table[contains(@class,"cohort")]//thead//a[contains(., "Done")]`))
	if !strings.Contains(b.location(), "sort=progress") {
		t.Fatalf("sorting by progress went to %s", b.location())
	}
	b.shot("by progress")

	// A tap on Jordan's venipuncture cell opens it on his record.
	b.clickAndLoad("open a cell", chromedp.Search(`//tr[th/a[.="Jordan Lee"]]/td/a[contains(@href, "#c-PHL-VENI")]`))
	if loc := b.location(); !strings.Contains(loc, "/enrollments/") || !strings.HasSuffix(loc, "#c-PHL-VENI") {
		t.Fatalf("the cell opened %s", loc)
	}
	b.mustSee("Venipuncture")
	b.shot("cell detail")
}

// Journey (issue 19): the director drafts version 2 from the jump list,
// raises the venipuncture count, reads the change and who it would
// affect, publishes, and moves the whole cohort after a preview with one
// confirmation.
func TestJourneyDirectorMovesCohort(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		for _, vp := range []viewport{desktop, tablet} {
			t.Run(vp.name, func(t *testing.T) { moveCohort(t, startServer(t, dialect, nil), vp) })
		}
	})
}

func moveCohort(t *testing.T, s *server, vp viewport) {
	b := newBrowser(t, s, vp)
	b.login("director@demo.test", demo.Password)
	b.open("/programs")
	b.clickAndLoad("open version 1", chromedp.Search(`//a[contains(., "Version 1")]`))
	b.clickAndLoad("start draft", chromedp.Search(`//button[contains(., "Start a new draft")]`))
	b.mustSee("A new draft was started")

	// The jump list leads straight to one competency's form.
	b.run("open the list of competencies", chromedp.Click(chromedp.Search(`//summary[contains(., "Edit a competency")]`)))
	b.clickAndLoad("edit venipuncture", chromedp.Search(`//nav[@aria-label="On this page"]//a[.="Venipuncture"]`))
	b.mustSee("Edit competency PHL-VENI")
	b.run("change the count", chromedp.SetValue(chromedp.CSS("#pc-0"), "12"))
	b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save to draft")]`))
	b.mustSee("Saved to the draft", "Changes from version 1", "10 successful observed performances", "12 successful observed performances",
		"4 apprentices on older versions")
	b.noHorizontalScroll()
	b.shot("draft with its changes")

	b.run("count confirmations", eval(`window.confirm = () => { sessionStorage.setItem("confirms", String(Number(sessionStorage.getItem("confirms") || 0) + 1)); return true; }; true`))
	b.clickAndLoad("publish", chromedp.Search(`//button[contains(., "Publish version 2")]`))
	b.mustSee("Published.", "Move them to version 2")
	b.clickAndLoad("preview the move", chromedp.Search(`//a[contains(., "Move them to version 2")]`))
	b.mustSee("4 apprentices at your sites will move", "Jordan Lee", "What changes from version 1")
	b.noHorizontalScroll()
	b.shot("cohort move preview")

	b.run("count confirmations", eval(`sessionStorage.setItem("confirms", "0"); window.confirm = () => { sessionStorage.setItem("confirms", String(Number(sessionStorage.getItem("confirms") || 0) + 1)); return true; }; true`))
	b.clickAndLoad("move them all", chromedp.Search(`//button[contains(., "Move all 4 to version 2")]`))
	b.mustSee("Moved.")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`sessionStorage.getItem("confirms")`)); err != nil || n != "1" {
		t.Errorf("moving the cohort asked %q confirmations (%v); want 1", n, err)
	}
	if strings.Contains(b.text(), "apprentices on older versions") {
		t.Error("after the move the version still lists apprentices on older versions")
	}
	b.shot("cohort moved")
}
