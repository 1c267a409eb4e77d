package reports

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/curriculum"
)

// TestRowXMLAsExcelize: the rows the Workbook writes itself are, byte for
// byte, the sheet XML excelize's StreamWriter.SetRow writes for the same
// values (as Add handed them to it before): text that needs escaping or
// keeps its spaces, numbers, dates and times, statuses, empty cells.
func TestRowXMLAsExcelize(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	type hours float64
	day := curriculum.MustParseDate("2026-03-14")
	at := time.Date(2026, 12, 1, 19, 2, 3, 456789, time.UTC)
	rows := [][]any{
		{"Dana O'Brien & <Co> \"x\"", 3, day, at, Status{"Cleared (independent)", Good}, "a\nb\tc\rd"},
		{" lead", -7, curriculum.Date{}, time.Time{}, Status{"Not cleared", Bad}, "trail "},
		{"_x0041_ and _x005F_x0041_ and _x00zz_", int64(1) << 40, curriculum.MustParseDate("1900-01-15"), at.In(ny), Status{"Direct supervision only", Warn}, "bad \xff utf-8 \x01 ctl \U0001F600"},
		{"=HYPERLINK(\"http://x\",\"y\")", uint8(200), curriculum.MustParseDate("1899-06-01"), time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC), Status{"Plain", Plain}, nil},
		{0.1 + 0.2, 1e20, 1.0 / 3, math.NaN(), math.Inf(-1), 123456789.123456789},
		{float32(1.1), true, false, []byte("bytes"), hours(2.5), ""},
		{nil, nil, nil, nil, nil, nil},
	}
	cols := []Column{{Title: "A & B"}, {Title: "N"}, {Title: "On"}, {Title: "At", Zoned: true}, {Title: "Status"}, {Title: "Why"}}

	w, err := NewIn("Rows", cols, ny)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, r := range rows {
		if err := w.Add(r...); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	if err := w.Finish(&got, About{Report: "Test", AsOf: day, GeneratedAt: at}); err != nil {
		t.Fatal(err)
	}

	// The same rows through excelize's StreamWriter, with the workbook's
	// styles, as Add did before it wrote rows itself.
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		title := c.Title
		if c.Zoned {
			title += " (" + ny.String() + ")"
		}
		header[i] = excelize.Cell{StyleID: w.head, Value: title}
	}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			switch x := v.(type) {
			case curriculum.Date:
				if !x.IsZero() {
					cells[j] = excelize.Cell{StyleID: w.date, Value: x.Time(time.UTC)}
				}
			case time.Time:
				if !x.IsZero() {
					cells[j] = excelize.Cell{StyleID: w.stamp, Value: w.wall(x)}
				}
			case Status:
				cells[j] = excelize.Cell{StyleID: w.styles[x.Tone], Value: x.Text}
			default:
				cells[j] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	want, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	g, e := sheetData(t, got.Bytes(), "xl/worksheets/sheet1.xml"), sheetData(t, want.Bytes(), "xl/worksheets/sheet1.xml")
	if g != e {
		t.Fatalf("rows differ from excelize's:\n got %s\nwant %s", g, e)
	}
	if !strings.Contains(g, `<row r="8">`) {
		t.Fatalf("rows missing: %s", g)
	}
}

// sheetData returns the <sheetData> element of a part of an .xlsx.
func sheetData(t *testing.T, xlsx []byte, part string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(part)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "<sheetData>"), strings.Index(s, "</sheetData>")
	if i < 0 || j < i {
		t.Fatalf("%s has no sheetData: %.300s", part, s)
	}
	return s[i : j+len("</sheetData>")]
}
