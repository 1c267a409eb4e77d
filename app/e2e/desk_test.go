package e2e

import (
	"fmt"
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
