package reports_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// TestRowsContinueOnNextSheet: past a sheet's row limit the rows go on
// "<sheet> (2)" and so on, header repeated, nothing lost, and the About
// sheet says where they are. (The limit is lowered from Excel's 1,048,576
// so the test is quick; the code path is the same.)
func TestRowsContinueOnNextSheet(t *testing.T) {
	w, err := reports.New("People", []reports.Column{{Title: "Name"}, {Title: "Count"}, {Title: "On"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.MaxRows = 4 // header + 3 rows per sheet
	day := curriculum.MustParseDate("2026-03-14")
	for i := range 8 {
		if err := w.Add("person "+strconv.Itoa(i), i, day); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf, reports.About{Report: "Test", AsOf: day, GeneratedAt: time.Now(), GeneratedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), "|"); got != "People|People (2)|People (3)|About" {
		t.Fatalf("sheets: %s", got)
	}
	n := 0
	for _, sheet := range []string{"People", "People (2)", "People (3)"} {
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) < 2 || len(rows) > 4 || rows[0][0] != "Name" {
			t.Fatalf("%s: %q %v", sheet, rows, err)
		}
		if panes, _ := f.GetPanes(sheet); !panes.Freeze {
			t.Errorf("%s: header not frozen", sheet)
		}
		for _, r := range rows[1:] {
			if r[0] != "person "+strconv.Itoa(n) || r[1] != strconv.Itoa(n) || r[2] != "2026-03-14" {
				t.Fatalf("%s: row %q, want person %d", sheet, r, n)
			}
			n++
		}
	}
	if n != 8 || w.Rows() != 8 {
		t.Fatalf("%d rows read back, %d written", n, w.Rows())
	}
	about, _ := f.GetRows("About")
	var rows, sheets string
	for _, r := range about {
		switch r[0] {
		case "Rows":
			rows = r[1]
		case "Sheets":
			sheets = r[1]
		}
	}
	if rows != "8" || !strings.Contains(sheets, "at most 3 each") || !strings.Contains(sheets, "People, People (2), People (3)") {
		t.Fatalf("About: rows %q, sheets %q", rows, sheets)
	}
}

func TestOneSheetWhenRowsFit(t *testing.T) {
	w, err := reports.New("People", []reports.Column{{Title: "Name"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add("=HYPERLINK(\"http://x\",\"y\")"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf, reports.About{Report: "Test"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), "|"); got != "People|About" {
		t.Fatalf("sheets: %s", got)
	}
	if formula, _ := f.GetCellFormula("People", "A2"); formula != "" {
		t.Fatalf("a typed value became a formula: %q", formula)
	}
	about, _ := f.GetRows("About")
	for _, r := range about {
		if r[0] == "Sheets" {
			t.Fatalf("About mentions more sheets: %q", r)
		}
	}
}

// TestTimesAreDateTimesInTheOrganisationsZone: a time is written as an
// Excel date-time (a number with a date-time format, not text) holding the
// wall clock in the workbook's zone, and the column's header names the
// zone, as does the About sheet's "Generated at".
func TestTimesAreDateTimesInTheOrganisationsZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	w, err := reports.NewIn("Signed", []reports.Column{{Title: "Who"}, {Title: "Signed at", Zoned: true}}, ny)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	at := time.Date(2026, 12, 1, 19, 2, 3, 0, time.UTC) // 14:02:03 EST
	if err := w.Add("Dana", at); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("Nobody", time.Time{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf, reports.About{Report: "Test", AsOf: curriculum.DateOf(at, ny), GeneratedAt: at, GeneratedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := f.GetCellValue("Signed", "B1"); h != "Signed at (America/New_York)" {
		t.Fatalf("header = %q", h)
	}
	raw, _ := f.GetCellValue("Signed", "B2", excelize.Options{RawCellValue: true})
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("the time is not a number but %q", raw)
	}
	got, err := excelize.ExcelDateToTime(serial, false)
	if err != nil || !got.Equal(time.Date(2026, 12, 1, 14, 2, 3, 0, time.UTC)) {
		t.Fatalf("the cell holds %v (%v), want the wall clock 2026-12-01 14:02:03", got, err)
	}
	if shown, _ := f.GetCellValue("Signed", "B2"); shown != "2026-12-01 14:02:03" {
		t.Fatalf("shown as %q", shown)
	}
	if empty, _ := f.GetCellValue("Signed", "B3"); empty != "" {
		t.Fatalf("a zero time shows %q", empty)
	}
	about, _ := f.GetRows("About")
	if !strings.Contains(fmt.Sprint(about), "2026-12-01 14:02:03 EST (America/New_York)") {
		t.Fatalf("About: %v", about)
	}
}
