package reports

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/curriculum"
)

// A report's rows are written as sheet XML by the Workbook itself, into a
// temporary file per sheet, and spliced into the sheet excelize writes
// (panes, widths, autofilter) when the workbook is saved. excelize's
// StreamWriter.SetRow allocates several times per cell (cell name, value
// struct, escaped copies), which for a whole organisation's clearances
// (a million rows) was most of the export's time, and its garbage the
// collector's. The XML is byte for byte what SetRow writes
// (TestRowXMLAsExcelize compares the two).

// rowFile is one sheet's rows as XML, in a temporary file.
type rowFile struct {
	f   *os.File
	buf *bufio.Writer
}

func newRowFile() (*rowFile, error) {
	f, err := os.CreateTemp("", "skillgate-rows-*.xml")
	if err != nil {
		return nil, err
	}
	return &rowFile{f: f, buf: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (r *rowFile) close() error {
	err := r.f.Close()
	if rmErr := os.Remove(r.f.Name()); err == nil {
		err = rmErr
	}
	return err
}

// columnNames returns the names of the first n columns: A, B, … AA, ….
func columnNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i], _ = excelize.ColumnNumberToName(i + 1)
	}
	return names
}

// appendRow appends the XML of row row (from 1) holding values, each as
// Workbook.Add describes it.
func (w *Workbook) appendRow(b []byte, row int, values []any) ([]byte, error) {
	num := strconv.AppendInt(w.num[:0], int64(row), 10)
	w.num = num
	b = append(b, `<row r="`...)
	b = append(b, num...)
	b = append(b, `">`...)
	for i, v := range values {
		ref := cellRef{w.colNames[i], num}
		var err error
		switch x := v.(type) {
		case nil:
		case string:
			// An inline string, never a formula: "=HYPERLINK(…)" typed as
			// a name stays text in every spreadsheet program.
			b, err = appendText(b, ref, 0, x)
		case Status:
			b, err = appendText(b, ref, w.styles[x.Tone], x.Text)
		case curriculum.Date:
			if !x.IsZero() {
				b, err = appendTime(b, ref, w.date, x.Time(time.UTC))
			}
		case time.Time:
			if !x.IsZero() {
				b, err = appendTime(b, ref, w.stamp, w.wall(x))
			}
		case int:
			b = appendNumber(b, ref, 0, strconv.AppendInt(w.num2[:0], int64(x), 10))
		case int8, int16, int32, int64:
			b = appendNumber(b, ref, 0, strconv.AppendInt(w.num2[:0], reflect.ValueOf(x).Int(), 10))
		case uint, uint8, uint16, uint32, uint64:
			b = appendNumber(b, ref, 0, strconv.AppendUint(w.num2[:0], reflect.ValueOf(x).Uint(), 10))
		case float64:
			b, err = appendFloat(b, ref, x, 64)
		case float32:
			b, err = appendFloat(b, ref, float64(x), 32)
		case bool:
			b = appendCell(b, ref, 0, "b")
			if x {
				b = append(b, `<v>1</v></c>`...)
			} else {
				b = append(b, `<v>0</v></c>`...)
			}
		case []byte:
			b, err = appendText(b, ref, 0, string(x))
		default:
			// As excelize does with a type it does not know: its text.
			b, err = appendText(b, ref, 0, fmt.Sprint(x))
		}
		if err != nil {
			return b, fmt.Errorf("row %d, column %d: %w", row, i+1, err)
		}
	}
	return append(b, `</row>`...), nil
}

// cellRef names a cell: its column's letters and its row's number.
type cellRef struct {
	col string
	row []byte
}

// appendCell appends a cell's start tag (style 0: none; typ "": a number).
func appendCell(b []byte, ref cellRef, style int, typ string) []byte {
	b = append(b, `<c r="`...)
	b = append(b, ref.col...)
	b = append(b, ref.row...)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	if typ != "" {
		b = append(b, ` t="`...)
		b = append(b, typ...)
		b = append(b, '"')
	}
	return append(b, '>')
}

func appendNumber(b []byte, ref cellRef, style int, v []byte) []byte {
	b = appendCell(b, ref, style, "")
	b = append(b, `<v>`...)
	b = append(b, v...)
	return append(b, `</v></c>`...)
}

// appendText appends a text cell, refusing text longer than a cell holds
// (counted as Excel does, in UTF-16 units).
func appendText(b []byte, ref cellRef, style int, s string) ([]byte, error) {
	if len(s) > MaxCellText && utf16Len(s) > MaxCellText {
		return b, ErrCellTooLong
	}
	b = appendCell(b, ref, style, "inlineStr")
	b = appendInlineText(b, s)
	return append(b, `</c>`...), nil
}

func appendFloat(b []byte, ref cellRef, x float64, bits int) ([]byte, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return appendText(b, ref, 0, fmt.Sprint(x))
	}
	return appendNumber(b, ref, 0, []byte(formatCellFloat(x, bits))), nil
}

// appendTime appends t (in UTC, its wall clock the one to show) as an
// Excel date-time serial with style.
func appendTime(b []byte, ref cellRef, style int, t time.Time) ([]byte, error) {
	if serial := excelTime(t); serial > 0 {
		var buf [32]byte
		return appendNumber(b, ref, style, strconv.AppendFloat(buf[:0], serial, 'f', -1, 64)), nil
	}
	// What excelize writes for a time before 1900: the text.
	b = appendCell(b, ref, style, "inlineStr")
	b = appendInlineText(b, t.Format(time.RFC3339Nano))
	return append(b, `</c>`...), nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// appendInlineText appends an inline string's <is> element as excelize
// writes it: escaped as encoding/xml.EscapeText does but for newlines, which
// stay as they are; xml:space="preserve" when it starts or ends with
// white space; and a literal _xHHHH_ escaped as _x005F_xHHHH_.
func appendInlineText(b []byte, s string) []byte {
	b = append(b, `<is><t`...)
	if s != "" && (isSpace(s[0]) || isSpace(s[len(s)-1])) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	start := len(b)
	b = appendEscaped(b, s)
	if bytes.Contains(b[start:], []byte("_x")) {
		escaped := bstrMarshal(string(b[start:]))
		b = append(b[:start], escaped...)
	}
	return append(b, `</t></is>`...)
}

func isSpace(c byte) bool { return c == '\t' || c == '\n' || c == '\r' || c == ' ' }

// appendEscaped is encoding/xml.EscapeText into a byte slice, newlines
// left as they are (excelize turns &#xA; back into a newline).
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && !asciiEscaped[c] {
			i++ // most text: plain ASCII, kept as it is
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\r':
			esc = "&#xD;"
		case '\n':
		default:
			if !isInCharacterRange(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
			}
		}
		i += width
		if esc == "" {
			continue
		}
		b = append(b, s[last:i-width]...)
		b = append(b, esc...)
		last = i
	}
	return append(b, s[last:]...)
}

// asciiEscaped marks the ASCII bytes appendEscaped replaces: markup,
// quotes, tab, carriage return and the controls XML does not allow.
var asciiEscaped = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c < 0x20 && c != '\n' || strings.IndexByte(`"'&<>`, byte(c)) >= 0
	}
	return t
}()

// isInCharacterRange is encoding/xml's: the characters XML 1.0 allows.
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

var (
	bstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrMarshal is excelize's (lib.go, BSD-3-Clause): a literal _xHHHH_ in
// a string is written as _x005F_xHHHH_ so that it is not read back as an
// escaped character.
func bstrMarshal(s string) (result string) {
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// formatCellFloat is excelize's: the shortest decimal form, cut to
// Excel's 15 significant digits.
func formatCellFloat(value float64, bits int) string {
	str := strconv.FormatFloat(value, 'f', -1, bits)
	if math.Abs(value) == math.MaxFloat64 {
		return str
	}
	const maxPrec = 15
	decimal := strings.IndexByte(str, '.')
	significant := 0
	for idx := range str {
		if str[idx] < '0' || str[idx] > '9' || significant == 0 && str[idx] == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			return strings.TrimSuffix(str[:idx], ".")
		}
		if decimal < 0 {
			decimal = len(str)
		}
		truncated := []byte(str[:decimal])
		for ; idx < len(truncated); idx++ {
			truncated[idx] = '0'
		}
		return string(truncated)
	}
	return str
}

var (
	excelMinTime1900      = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	excelBuggyPeriodStart = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
)

// excelTime is excelize's timeToExcelTime (1900 date system) of a time
// whose zone is UTC: the serial day number Excel stores, 0 before 1900.
func excelTime(t time.Time) float64 {
	const day = 24 * time.Hour
	const maxDuration = 290 * 364 * day
	if t.Before(excelMinTime1900) {
		return 0
	}
	tt, diff, result := t, t.Sub(excelMinTime1900), 0.0
	for diff >= maxDuration {
		result += float64(maxDuration / day)
		tt = tt.Add(-maxDuration)
		diff = tt.Sub(excelMinTime1900)
	}
	rem := diff % day
	result += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	// Excel counts a 29 February 1900 that never was.
	if t.After(excelBuggyPeriodStart) {
		result++
	}
	return result
}

// splicingZip is the zip writer excelize saves the workbook into: into
// the sheets whose rows the Workbook wrote (by part name) it splices those
// rows right after <sheetData>.
type splicingZip struct {
	*zip.Writer
	rows    map[string]*rowFile
	spliced map[string]bool
}

// Create starts a part; a sheet with rows of ours gets them spliced in.
func (z *splicingZip) Create(name string) (io.Writer, error) {
	w, err := z.Writer.Create(name)
	if err != nil || z.rows[name] == nil {
		return w, err
	}
	return &splicer{w: w, rows: z.rows[name], done: func() { z.spliced[name] = true }}, nil
}

// sheetDataTag opens a sheet's rows in excelize's StreamWriter output
// (once, with no attributes).
const sheetDataTag = "<sheetData>"

// splicer passes a sheet's XML through and writes the rows after its
// <sheetData> tag.
type splicer struct {
	w       io.Writer
	rows    *rowFile
	matched int // bytes of sheetDataTag seen so far
	spliced bool
	done    func()
}

func (s *splicer) Write(p []byte) (int, error) {
	if s.spliced {
		return s.w.Write(p)
	}
	for i, c := range p {
		switch {
		case c == sheetDataTag[s.matched]:
			s.matched++
		case c == sheetDataTag[0]:
			s.matched = 1
		default:
			s.matched = 0
		}
		if s.matched == len(sheetDataTag) {
			if _, err := s.w.Write(p[:i+1]); err != nil {
				return 0, err
			}
			if _, err := s.rows.f.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
			if _, err := io.Copy(s.w, s.rows.f); err != nil {
				return 0, err
			}
			s.spliced = true
			s.done()
			n, err := s.w.Write(p[i+1:])
			return i + 1 + n, err
		}
	}
	return s.w.Write(p)
}

// errNotSpliced: excelize wrote a sheet without the <sheetData> tag the
// rows go after (a change in excelize); the rows would be lost.
var errNotSpliced = errors.New("workbook: a sheet's rows found no <sheetData> to go in")
