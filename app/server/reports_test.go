package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
)

func openXLSX(t *testing.T, r response) *excelize.File {
	t.Helper()
	if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("download: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCertificationsWorkbook(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		// A person whose name looks like a formula.
		evil := `=HYPERLINK("http://x","y")`
		if _, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "evil@demo.test", Name: evil, Roles: []accounts.Role{accounts.RoleApprentice},
			SiteIDs: people["apprentice@demo.test"].SiteIDs}); err != nil {
			t.Fatal(err)
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		page := hr.get("/reports/certifications")
		if !strings.Contains(page.body, "Riley Nguyen") || !strings.Contains(page.body, "Expired") {
			t.Fatal("the report page lacks Riley's expired BLS")
		}
		f := openXLSX(t, hr.get("/reports/certifications.xlsx"))
		rows, err := f.GetRows("Certifications")
		if err != nil || len(rows) < 4 || rows[0][0] != "Person" {
			t.Fatalf("rows: %v %v", len(rows), err)
		}
		// Riley's row: an expired BLS, a real date cell, filled red.
		found := false
		for i, row := range rows[1:] {
			if row[0] != "Riley Nguyen" {
				continue
			}
			found = true
			n := i + 2
			expCell := "G" + itoa(n)
			if typ, _ := f.GetCellType("Certifications", expCell); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("expiry cell type %v, want a number (an Excel date)", typ)
			}
			raw, _ := f.GetCellValue("Certifications", expCell, excelize.Options{RawCellValue: true})
			if raw == "" || strings.Contains(raw, "-") {
				t.Errorf("expiry cell holds %q, not a date serial", raw)
			}
			style, _ := f.GetCellStyle("Certifications", "H"+itoa(n))
			st, _ := f.GetStyle(style)
			if st == nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FFC7CE" || !strings.HasPrefix(row[7], "Expired") {
				t.Errorf("the expired status cell: %q, fill %+v", row[7], st)
			}
		}
		if !found {
			t.Fatal("no row for Riley")
		}
		for i, row := range rows {
			if row[0] == evil {
				if formula, _ := f.GetCellFormula("Certifications", "A"+itoa(i+1)); formula != "" {
					t.Fatalf("a name became a formula: %q", formula)
				}
			}
		}
		panes, err := f.GetPanes("Certifications")
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("header not frozen: %+v %v", panes, err)
		}
		about, err := f.GetRows("About")
		if err != nil || len(about) < 4 || about[0][0] != "Report" || !strings.Contains(about[3][1], "hr@demo.test") {
			t.Fatalf("About sheet: %v %v", about, err)
		}
		// An apprentice's workbook holds only their own rows.
		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		mine, _ := openXLSX(t, ap.get("/reports/certifications.xlsx")).GetRows("Certifications")
		for _, row := range mine[1:] {
			if row[0] != "Jordan Lee" {
				t.Fatalf("an apprentice's report shows %q", row[0])
			}
		}
		if len(mine) < 2 {
			t.Fatal("the apprentice's own rows are missing")
		}
		if r := ap.get("/reports/certifications.xlsx?as_of=2026-02-31"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("impossible as_of: %d", r.StatusCode)
		}
	})
}

func TestClearancesWorkbookMatchesTheEngine(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		f := openXLSX(t, dir.get("/reports/clearances.xlsx"))
		rows, err := f.GetRows("Clearances")
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]string{}
		for _, r := range rows[1:] {
			status[r[0]+"|"+r[2]] = r[3]
		}
		// The same answer as the API, for each task of Jordan's.
		api := dir.get("/api/v1/clearances?person=" + jordan.ID + "&task=VENIPUNCTURE")
		if !strings.Contains(api.body, `"status":"direct_supervision"`) || status["Jordan Lee|Venipuncture"] != "Direct supervision only" {
			t.Fatalf("workbook %q vs API %s", status["Jordan Lee|Venipuncture"], api.body)
		}
		if status["Casey Brooks|Venipuncture"] != "Cleared (independent)" {
			t.Fatalf("Casey's venipuncture: %q", status["Casey Brooks|Venipuncture"])
		}
		// As of a year ago Riley was cleared for refills; today not.
		past := e.clock.Now().AddDate(-1, 0, 10).Format("2006-01-02")
		old, _ := openXLSX(t, dir.get("/reports/clearances.xlsx?as_of="+past)).GetRows("Clearances")
		for _, r := range old[1:] {
			if r[0] == "Riley Nguyen" && r[2] == "Pending prescription refills" && r[3] != "Cleared (independent)" {
				t.Fatalf("Riley's refills as of %s: %q", past, r[3])
			}
		}
		if status["Riley Nguyen|Pending prescription refills"] == "Cleared (independent)" {
			t.Fatal("Riley's overdue refills show as cleared today")
		}
		if page := dir.get("/reports/clearances"); !strings.Contains(page.body, "Direct supervision only") {
			t.Fatal("the clearances page lacks the statuses")
		}
	})
}

func TestSignOffsRegister(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		rows, err := openXLSX(t, dir.get("/reports/signoffs.xlsx")).GetRows("Sign-offs")
		if err != nil || len(rows) < 5 {
			t.Fatalf("register: %d rows, %v", len(rows), err)
		}
		found := false
		for _, r := range rows[1:] {
			if r[0] == "Casey Brooks" && r[1] == "PHL-VENI" {
				found = true
				if r[4] != "Dr. Marcus Hale" || r[5] != "MD" || !strings.Contains(r[6], ":") || !strings.HasPrefix(r[7], "I attest that Casey Brooks demonstrated competency in Venipuncture") || r[9] != "Signature verifies" {
					t.Fatalf("Casey's venipuncture signature: %q", r)
				}
			}
		}
		if !found {
			t.Fatal("Casey's venipuncture sign-off is not in the register")
		}
		if page := dir.get("/reports/signoffs"); !strings.Contains(page.body, "Dr. Marcus Hale, MD") {
			t.Fatal("the register page does not show the signature")
		}
	})
}

func TestProgressAndHoursWorkbooks(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan, priya := people["apprentice@demo.test"], people["preceptor@demo.test"]
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		f := openXLSX(t, dir.get("/reports/progress.xlsx"))
		rows, _ := f.GetRows("Progress")
		found := false
		for i, r := range rows[1:] {
			if r[0] == "Jordan Lee" && strings.Contains(r[1], "PHL-VENI") {
				found = true
				raw, _ := f.GetCellValue("Progress", "C"+itoa(i+2), excelize.Options{RawCellValue: true})
				typ, _ := f.GetCellType("Progress", "C"+itoa(i+2))
				if raw != "8" || r[3] != "10" || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) || !strings.HasPrefix(r[8], "Not signed off") {
					t.Fatalf("Jordan's venipuncture progress: %q (count %q, type %v)", r, raw, typ)
				}
			}
		}
		if !found {
			t.Fatal("no progress row for Jordan's venipuncture")
		}
		// Hours: logged by the apprentice, approved by the preceptor, then reported.
		_, apTok, _ := e.store.CreateToken(t.Context(), jordan.ID, "phone", 24*3600e9)
		_, pTok, _ := e.store.CreateToken(t.Context(), priya.ID, "tablet", 24*3600e9)
		var ens struct{ Enrollments []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, pTok, ""), &ens)
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		if r := apiCall(e, "POST", "/api/v1/enrollments/"+ens.Enrollments[0].ID+"/hours", apTok, `{"idempotency_key":"rep-hours-01","kind":"ojl","code":"PT-CARE","worked_on":"`+today+`","hours":"6.5"}`); r.StatusCode != http.StatusCreated {
			t.Fatalf("log hours: %d %s", r.StatusCode, r.body)
		}
		var pend struct{ Hours []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/reviews", pTok, ""), &pend)
		apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, pTok, `{"decision":"approve"}`)
		hrows, _ := openXLSX(t, dir.get("/reports/hours.xlsx")).GetRows("Hours")
		// Jordan's one approved entry is his one on-the-job row (the demo's
		// OJL hours are Sam's and Riley's, and stay in the report; his own
		// are his phlebotomy training, RTI).
		var jordanRows, samRows [][]string
		for _, r := range hrows[1:] {
			switch r[0] {
			case "Jordan Lee":
				if r[1] == "OJL" {
					jordanRows = append(jordanRows, r)
				}
			case "Sam Carter":
				samRows = append(samRows, r)
			}
		}
		if len(jordanRows) != 1 || jordanRows[0][1] != "OJL" || jordanRows[0][5] != "6.5" || jordanRows[0][4] != today[:7] || len(samRows) == 0 {
			t.Fatalf("hours report: %q", hrows)
		}
		if page := dir.get("/reports/hours"); !strings.Contains(page.body, "Patient care") {
			t.Fatal("the hours page lacks the work process")
		}
	})
}
