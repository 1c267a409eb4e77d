package reports

import (
	"archive/zip"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Workbooks are written so that an auditor accepts them: typed cells
// (dates are dates, counts are numbers), a frozen header with autofilter,
// sensible widths, status cells filled by state with the text still saying
// it, and an "About" sheet naming the report, filters, as-of date, when and
// by whom it was generated. Rows are written with excelize's StreamWriter,
// so memory stays flat.

// MaxCellText is the most characters a cell holds; longer text is refused
// rather than silently cut.
const MaxCellText = 32767

// ErrCellTooLong: a value does not fit in a cell.
var ErrCellTooLong = errkind.New(errkind.Conflict, "A value is longer than a spreadsheet cell holds (32,767 characters), so the workbook cannot be made; shorten that record or use the page instead.")

// Column is one column of a report.
type Column struct {
	Title string
	Width float64
	// Zoned: the column holds times, read in the workbook's Location,
	// whose name the header adds ("Signed at (America/New_York)").
	Zoned bool
}

// Tone colours a status cell; the cell's text always says the status too.
type Tone int

// Tones.
const (
	Plain Tone = iota
	Good
	Warn
	Bad
)

// Status is a status cell's text and tone.
type Status struct {
	Text string
	Tone Tone
}

// About describes the report on its own sheet.
type About struct {
	Report      string
	Filters     []string
	AsOf        curriculum.Date
	GeneratedAt time.Time
	GeneratedBy string
}

// MaxSheetRows is the most rows a worksheet holds in Excel (1,048,576,
// the header row included).
const MaxSheetRows = excelize.TotalRows

// Workbook is a report being written. Rows go straight to excelize's
// StreamWriter (which spills to a temporary file), so memory does not grow
// with the number of rows. Call Close when done, whatever happened.
type Workbook struct {
	// MaxRows is the most rows per sheet, header included (MaxSheetRows
	// unless a test lowers it). Past it, rows continue on a new sheet named
	// "<sheet> (2)", "<sheet> (3)"… with the header repeated, and the About
	// sheet says so: nothing is dropped silently.
	MaxRows int
	// Location is the zone times are written in (set by NewIn; UTC when
	// nil): Excel date-times have no zone, so the wall clock in it is
	// written and the zoned columns' headers name it.
	Location *time.Location

	f    *excelize.File
	sw   *excelize.StreamWriter
	cols []Column
	// colNames are the columns' letters; rows is the current sheet's rows
	// (sheetxml.go), kept by sheet name in rowFiles until Finish splices
	// them in; line, num and num2 are reused for each row's XML.
	colNames  []string
	rows      *rowFile
	rowFiles  map[string]*rowFile
	line      []byte
	num, num2 []byte
	row       int // rows on the current sheet, header included
	total     int // data rows on every sheet
	date      int
	stamp     int // date-time style
	head      int
	styles    map[Tone]int
	base      string
	sheets    []string
}

// New starts a workbook whose first sheet holds the report's rows, with
// times in UTC.
func New(sheet string, cols []Column) (*Workbook, error) { return NewIn(sheet, cols, time.UTC) }

// NewIn is New with times in loc (the organisation's zone).
func NewIn(sheet string, cols []Column, loc *time.Location) (*Workbook, error) {
	f := excelize.NewFile()
	w := &Workbook{MaxRows: MaxSheetRows, Location: loc, f: f, cols: cols, styles: map[Tone]int{}, base: sheet,
		colNames: columnNames(len(cols)), rowFiles: map[string]*rowFile{}}
	var err error
	if w.date, err = f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("yyyy-mm-dd")}); err != nil {
		return nil, err
	}
	if w.stamp, err = f.NewStyle(&excelize.Style{NumFmt: 22, CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")}); err != nil {
		return nil, err
	}
	// In a fixed order (not a map's), so the style table is numbered the
	// same in every workbook and two exports can be compared as files.
	for _, t := range []struct {
		tone  Tone
		color string
	}{{Good, "C6EFCE"}, {Warn, "FFEB9C"}, {Bad, "FFC7CE"}} {
		id, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{t.color}}})
		if err != nil {
			return nil, err
		}
		w.styles[t.tone] = id
	}
	if w.head, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}); err != nil {
		return nil, err
	}
	if err := w.startSheet(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
}

// startSheet begins the next sheet of rows: frozen header, widths, header.
func (w *Workbook) startSheet() error {
	name := w.base
	if len(w.sheets) == 0 {
		if err := w.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else {
		name = fmt.Sprintf("%s (%d)", w.base, len(w.sheets)+1)
		if _, err := w.f.NewSheet(name); err != nil {
			return err
		}
	}
	w.sheets = append(w.sheets, name)
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	w.sw = sw
	// Panes and widths go before the first row (a StreamWriter rule).
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, c := range w.cols {
		width := c.Width
		if width == 0 {
			width = 18
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if w.rows, err = newRowFile(); err != nil {
		return err
	}
	w.rowFiles[name] = w.rows
	// The header is written as the rows are (excelize's own rows would go
	// before the spliced ones, and there are none).
	w.line = append(w.line[:0], `<row r="1">`...)
	num := []byte("1")
	for i, c := range w.cols {
		title := c.Title
		if c.Zoned {
			title += " (" + w.loc().String() + ")"
		}
		if w.line, err = appendText(w.line, cellRef{w.colNames[i], num}, w.head, title); err != nil {
			return err
		}
	}
	w.line = append(w.line, `</row>`...)
	w.row = 1
	_, err = w.rows.buf.Write(w.line)
	return err
}

// endSheet adds the current sheet's autofilter and flushes its rows.
func (w *Workbook) endSheet() error {
	last, err := excelize.CoordinatesToCellName(len(w.cols), max(w.row, 1))
	if err != nil {
		return err
	}
	// Autofilter before Flush, or excelize drops it.
	if err := w.f.AutoFilter(w.sheets[len(w.sheets)-1], "A1:"+last, nil); err != nil {
		return err
	}
	if err := w.rows.buf.Flush(); err != nil {
		return err
	}
	return w.sw.Flush()
}

// Sheets returns the names of the sheets holding rows so far.
func (w *Workbook) Sheets() []string { return slices.Clone(w.sheets) }

// Rows returns how many data rows were written.
func (w *Workbook) Rows() int { return w.total }

// Close removes the workbook's temporary files.
func (w *Workbook) Close() error {
	err := w.f.Close()
	for _, r := range w.rowFiles {
		if rErr := r.close(); err == nil {
			err = rErr
		}
	}
	w.rowFiles = nil
	return err
}

func ptr[T any](v T) *T { return &v }

func (w *Workbook) loc() *time.Location {
	if w.Location == nil {
		return time.UTC
	}
	return w.Location
}

// wall is t's wall clock in the workbook's zone, as a UTC time: what an
// Excel date-time (which has no zone) must hold.
func (w *Workbook) wall(t time.Time) time.Time {
	l := t.In(w.loc())
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// Add writes one row. Values may be string, an integer, float64, bool,
// curriculum.Date (an Excel date; empty when zero), time.Time (an Excel
// date-time in Location, to the second; empty when zero), Status or nil
// (an empty cell); a value of another type is written as its fmt.Sprint
// text.
func (w *Workbook) Add(values ...any) error {
	if w.row >= w.MaxRows {
		if err := w.endSheet(); err != nil {
			return err
		}
		if err := w.startSheet(); err != nil {
			return err
		}
	}
	w.row++
	w.total++
	var err error
	if w.line, err = w.appendRow(w.line[:0], w.row, values); err != nil {
		return err
	}
	_, err = w.rows.buf.Write(w.line)
	return err
}

// Finish adds the autofilter and the About sheet and writes the workbook.
func (w *Workbook) Finish(out io.Writer, a About) error {
	if err := w.endSheet(); err != nil {
		return err
	}
	if _, err := w.f.NewSheet("About"); err != nil {
		return err
	}
	rows := [][]any{{"Report", a.Report}, {"As of", a.AsOf.String()}, {"Generated at", a.GeneratedAt.In(w.loc()).Format("2006-01-02 15:04:05 MST") + " (" + w.loc().String() + ")"},
		{"Generated by", a.GeneratedBy}, {"Rows", w.total}}
	for _, f := range a.Filters {
		rows = append(rows, []any{"Filter", f})
	}
	if len(w.sheets) > 1 {
		rows = append(rows, []any{"Sheets", fmt.Sprintf("The rows do not fit on one sheet (at most %d each), so they continue in order on: %s",
			w.MaxRows-1, strings.Join(w.sheets, ", "))})
	}
	for i, r := range rows {
		if err := w.f.SetSheetRow("About", fmt.Sprintf("A%d", i+1), &r); err != nil {
			return err
		}
	}
	_ = w.f.SetColWidth("About", "A", "A", 16)
	_ = w.f.SetColWidth("About", "B", "B", 60)
	// WriteTo would build the whole zip in a buffer first (memory growing
	// with the rows); a zip writer on out compresses straight into it, and
	// the buffer WriteToBuffer returns stays empty.
	z := &splicingZip{Writer: newZipWriter(out), rows: map[string]*rowFile{}, spliced: map[string]bool{}}
	for id, name := range w.f.GetSheetMap() {
		if r := w.rowFiles[name]; r != nil {
			z.rows[fmt.Sprintf("xl/worksheets/sheet%d.xml", id)] = r
		}
	}
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return z })
	if _, err := w.f.WriteToBuffer(); err != nil {
		return err
	}
	if len(z.spliced) != len(w.rowFiles) {
		return errNotSpliced
	}
	return nil
}

// zipLevel is the deflate level of the workbook's parts. The sheet XML of
// a whole organisation's clearances is 420 MB and is compressed only once
// every row is written, so this is time nobody overlaps: the standard
// library's default level took 2.2 s for it here, klauspost/compress at
// level 5 0.73 s, for a file of 26.5 MB instead of 22 MB.
const zipLevel = 5

// newZipWriter is a zip writer on out that deflates with klauspost/compress
// (already built in through fasthttp) instead of compress/flate: the same
// format, about three times the speed on sheet XML.
func newZipWriter(out io.Writer) *zip.Writer {
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, zipLevel)
	})
	return zw
}
