// Package documents makes the PDFs people print and verify: an
// apprentice's competency record, competency sign-off certificates and blank
// checklists for downtime. Builders take plain values made from the
// existing read models (RecordFrom, CertificateFrom) and return the bytes;
// Store keeps the issued documents' verification codes (table
// issued_documents).
//
// PDFs are made in pure Go with codeberg.org/go-pdf/fpdf and DejaVu Sans
// (embedded, subset into each file, so any name in any script the font
// covers prints); QR codes come from github.com/skip2/go-qrcode and are
// drawn as vector squares. Nothing runs outside the process.
package documents

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// DejaVu Sans 2.37 (Bitstream Vera licence, DejaVu changes public domain:
// fonts/LICENSE). fpdf subsets it into each document, so a file carries
// only the glyphs it uses.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	family = "DejaVu"
	// Page geometry, millimetres (US Letter, the paper clinics here use).
	pageW, margin = 215.9, 15.0
	bodyW         = pageW - 2*margin
	lineH         = 4.6
	footerH       = 16.0
	// pagesAlias is replaced by the page count when the file is closed.
	pagesAlias = "{nb}"
)

// Stamp is what every page of an issued document says about its printing:
// who printed it and when, and the code that verifies it.
type Stamp struct {
	PrintedBy string    `json:"printed_by"`
	PrintedAt time.Time `json:"-"`
	// Printed is PrintedAt as shown, in the organisation's zone.
	Printed string `json:"printed"`
	// Code is the verification code (Codes), VerifyURL the page it opens;
	// both empty on blank checklists, which verify nothing.
	Code      string `json:"-"`
	VerifyURL string `json:"-"`
}

// NewStamp is a stamp for a document printed at now by printedBy, shown in
// loc, verified at baseURL + "/verify/" + code (no code: no verification).
func NewStamp(printedBy string, now time.Time, loc *time.Location, baseURL, code string) Stamp {
	st := Stamp{PrintedBy: printedBy, PrintedAt: now, Printed: ShowTime(now, loc), Code: code}
	if code != "" {
		st.VerifyURL = strings.TrimRight(baseURL, "/") + "/verify/" + code
	}
	return st
}

// ShowTime is an instant as documents show it: date, time and zone.
func ShowTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// doc is one PDF being written, with the helpers every document uses.
type doc struct {
	*fpdf.Fpdf
	title string
	stamp Stamp
	// footnote is printed in every page's footer (a content fingerprint).
	footnote string
}

// newDoc starts a document with the embedded fonts, the page-numbered
// footer and metadata. The creation date is the stamp's, so the same
// input gives the same bytes.
func newDoc(title string, st Stamp) *doc {
	f := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: pageW, Ht: 279.4}})
	d := &doc{Fpdf: f, title: title, stamp: st}
	f.AddUTF8FontFromBytes(family, "", fontRegular)
	f.AddUTF8FontFromBytes(family, "B", fontBold)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin+footerH)
	f.AliasNbPages(pagesAlias)
	f.SetTitle(title, true)
	f.SetCreator("Skillgate", true)
	f.SetProducer("Skillgate (fpdf)", true)
	f.SetLang("en-US")
	if !st.PrintedAt.IsZero() {
		f.SetCreationDate(st.PrintedAt)
		f.SetModificationDate(st.PrintedAt)
	}
	f.SetCatalogSort(true)
	f.SetFooterFunc(d.footer)
	f.SetFont(family, "", 9)
	return d
}

// footer prints the document's title, its printing, the verification URL,
// the content fingerprint and "Page n of N" on every page. Names are cut
// short here (they are printed whole in the body), so the footer keeps
// its height whatever they are.
func (d *doc) footer() {
	d.SetY(-(margin + footerH) + 3)
	d.SetDrawColor(160, 160, 160)
	d.Line(margin, d.GetY(), pageW-margin, d.GetY())
	d.SetY(d.GetY() + 1)
	d.SetFont(family, "", 7)
	d.SetTextColor(60, 60, 60)
	y := d.GetY()
	left := short(d.title, 90)
	if d.stamp.PrintedBy != "" {
		left += " · printed " + d.stamp.Printed + " by " + short(d.stamp.PrintedBy, 40)
	}
	d.footLine(left)
	if d.stamp.VerifyURL != "" {
		d.footLine("Verify: " + d.stamp.VerifyURL)
	}
	if d.footnote != "" {
		d.footLine(d.footnote)
	}
	d.SetXY(pageW-margin-25, y)
	d.CellFormat(25, 3.2, fmt.Sprintf("Page %d of %s", d.PageNo(), pagesAlias), "", 0, "R", false, 0, "")
	d.SetTextColor(0, 0, 0)
}

// footLine writes one footer line, cut to fit beside the page number.
func (d *doc) footLine(s string) {
	w := bodyW - 27
	for d.GetStringWidth(s) > w && len([]rune(s)) > 10 {
		r := []rune(s)
		s = string(r[:len(r)-len(r)/10-1]) + "…"
	}
	d.SetX(margin)
	d.CellFormat(w, 3.2, s, "", 1, "L", false, 0, "")
}

// short cuts s to n characters, marking the cut.
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// bytes closes the document and returns the file.
func (d *doc) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.Output(&buf); err != nil {
		return nil, fmt.Errorf("write pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func (d *doc) heading(size float64, text string) {
	d.SetFont(family, "B", size)
	d.MultiCell(bodyW, size*0.5, text, "", "L", false)
	d.Ln(1)
	d.SetFont(family, "", 9)
}

// para writes wrapped text at the current font.
func (d *doc) para(text string) {
	d.MultiCell(bodyW, lineH, text, "", "L", false)
}

// field writes "Label: value" with a bold label, the value wrapped.
func (d *doc) field(label, value string) {
	d.SetFont(family, "B", 9)
	lw := 38.0
	_, _, right, _ := d.GetMargins()
	vw := pageW - right - margin - lw
	x, y := d.GetX(), d.GetY()
	lines := d.SplitText(value, vw)
	if d.GetY()+float64(max(1, len(lines)))*lineH > d.pageBottom() {
		d.AddPage()
		x, y = d.GetX(), d.GetY()
	}
	d.CellFormat(lw, lineH, label, "", 0, "L", false, 0, "")
	d.SetFont(family, "", 9)
	d.SetXY(x+lw, y)
	d.MultiCell(vw, lineH, value, "", "L", false)
}

// pageBottom is where the automatic page break would fall.
func (d *doc) pageBottom() float64 {
	_, h := d.GetPageSize()
	return h - margin - footerH
}

// column is one column of a table: its width and header.
type column struct {
	w     float64
	title string
}

// table writes rows of wrapped cells, repeating the header on each page a
// row starts on. A row never splits across pages unless it is taller
// than a page, when it flows on.
type table struct {
	d    *doc
	cols []column
	size float64
}

func (d *doc) table(size float64, cols ...column) *table {
	t := &table{d: d, cols: cols, size: size}
	t.header()
	return t
}

func (t *table) header() {
	d := t.d
	d.SetFont(family, "B", t.size)
	d.SetFillColor(235, 235, 235)
	h := t.height(true, titles(t.cols))
	if d.GetY()+h+lineH > d.pageBottom() {
		d.AddPage()
	}
	t.cells(true, titles(t.cols), h)
	d.SetFont(family, "", t.size)
}

func titles(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.title
	}
	return out
}

func (t *table) lh() float64 { return t.size * 0.45 }

func (t *table) height(bold bool, cells []string) float64 {
	n := 1
	for i, c := range cells {
		n = max(n, len(t.d.SplitText(c, t.cols[i].w)))
	}
	return float64(n)*t.lh() + 1
}

// row writes one row; cells beyond the columns are ignored.
func (t *table) row(cells ...string) {
	d := t.d
	d.SetFont(family, "", t.size)
	h := t.height(false, cells)
	if d.GetY()+h > d.pageBottom() && h < d.pageBottom()-margin-10 {
		d.AddPage()
		t.header()
	}
	t.cells(false, cells, h)
}

func (t *table) cells(fill bool, cells []string, h float64) {
	d := t.d
	x0, y0 := d.GetX(), d.GetY()
	x := x0
	maxY := y0 + h
	page := d.PageNo()
	for i, c := range t.cols {
		if i >= len(cells) {
			break
		}
		if fill {
			d.Rect(x, y0, c.w, h, "F")
		}
		d.SetXY(x, y0+0.5)
		d.MultiCell(c.w, t.lh(), cells[i], "", "L", false)
		if d.PageNo() == page {
			maxY = max(maxY, d.GetY()+0.5)
		} else {
			// A row taller than a page flowed on: continue below it.
			maxY = d.GetY() + 0.5
		}
		d.SetPage(page)
		x += c.w
	}
	d.SetDrawColor(200, 200, 200)
	d.Line(x0, maxY, x0+t.width(), maxY)
	d.SetPage(d.PageCount())
	d.SetXY(x0, maxY)
}

func (t *table) width() float64 {
	w := 0.0
	for _, c := range t.cols {
		w += c.w
	}
	return w
}

// qr draws url as a QR code of side mm at (x, y), as filled squares (one
// rectangle per run of dark modules), so it prints sharp at any size.
func (d *doc) qr(url string, x, y, side float64) error {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	q.DisableBorder = false
	bm := q.Bitmap()
	n := float64(len(bm))
	m := side / n
	d.SetFillColor(0, 0, 0)
	for r, row := range bm {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			d.Rect(x+float64(start)*m, y+float64(r)*m, float64(c-start)*m, m, "F")
		}
	}
	d.SetFillColor(255, 255, 255)
	return nil
}
