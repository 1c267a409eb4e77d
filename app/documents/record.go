package documents

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Record is an apprentice's competency record as of a day: what the PDF
// prints and the verification page shows, as text, so the issued copy can
// be kept and shown exactly as printed (Content).
type Record struct {
	Person Identity `json:"person"`
	// Program, its code and version, and the enrollment it is recorded in.
	Program   string `json:"program"`
	Version   int    `json:"version"`
	Started   string `json:"started"`
	Status    string `json:"status"`
	AsOf      string `json:"as_of"`
	Zone      string `json:"zone"`
	SignedOff int    `json:"signed_off"`
	Total     int    `json:"total"`
	// Competencies in program order.
	Competencies []CompetencyLine `json:"competencies"`
	Hours        []HoursLine      `json:"hours"`
	Credentials  []CredentialLine `json:"credentials"`
	Stamp        Stamp            `json:"stamp"`
	// EnrollmentID is what the record is of: not printed, but the
	// verification page uses it to tell which sign-offs were revoked since.
	EnrollmentID string `json:"enrollment_id"`
}

// Identity is who the record is of.
type Identity struct {
	Name       string `json:"name"`
	EmployeeID string `json:"employee_id,omitempty"`
	HireDate   string `json:"hire_date,omitempty"`
}

// CompetencyLine is one competency: status, counts, test and signatures.
type CompetencyLine struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Domain string `json:"domain"`
	// Status: "Current", "Signed off, not current" or "Not signed off".
	Status string  `json:"status"`
	Counts []Count `json:"counts,omitempty"`
	// Test is the knowledge test's line ("best 92% (passed)"), if any.
	Test              string          `json:"test,omitempty"`
	ReverificationDue string          `json:"reverification_due,omitempty"`
	Signatures        []SignatureLine `json:"signatures,omitempty"`
	// Transcribed counts the performances that count and were transcribed
	// from paper (shown as such).
	Transcribed int `json:"transcribed,omitempty"`
}

// Count is successful performances against a requirement.
type Count struct {
	Label    string `json:"label"`
	Done     int    `json:"done"`
	Required int    `json:"required"`
}

// SignatureLine is one sign-off as printed: the e-signature's manifest.
type SignatureLine struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	PrintedName string `json:"printed_name"`
	Credential  string `json:"credential"`
	// SignedAt: date, time and zone of signing.
	SignedAt string `json:"signed_at"`
	Meaning  string `json:"meaning"`
	Hash     string `json:"hash"`
	// Revoked says so, with the effective day, who and why, when the
	// revocation was on file on the record's day.
	Revoked string `json:"revoked,omitempty"`
	// Transcribed: the signature was transcribed from a paper record.
	Transcribed bool `json:"transcribed,omitempty"`
}

// HoursLine is approved hours of a work process (OJL) or course (RTI).
type HoursLine struct {
	Kind     string `json:"kind"`
	Code     string `json:"code"`
	Title    string `json:"title"`
	Approved string `json:"approved"`
	Target   string `json:"target"`
	Pending  string `json:"pending,omitempty"`
}

// CredentialLine is one credential record with its expiry.
type CredentialLine struct {
	Type     string `json:"type"`
	Number   string `json:"number,omitempty"`
	Issued   string `json:"issued,omitempty"`
	Expires  string `json:"expires"`
	Verified string `json:"verified"`
}

// Content is the record as stored and hashed: JSON of everything printed
// except the verification code (which cannot be part of what it verifies).
func (r *Record) Content() []byte { return contentOf(r) }

// Fingerprint is the SHA-256 of content, hex: printed on every page of the
// document and shown by its verification page, so a printed copy can be
// checked against it.
func Fingerprint(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// RecordPDFs prints many records, on as many goroutines as there are
// processors, in the order given.
func RecordPDFs(recs []*Record) ([][]byte, error) {
	out := make([][]byte, len(recs))
	errs := make([]error, len(recs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(recs))) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = RecordPDF(recs[i])
			}
		})
	}
	for i := range recs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

// RecordPDF prints r.
func RecordPDF(r *Record) ([]byte, error) {
	d := newDoc("Competency record: "+r.Person.Name+", as of "+r.AsOf, r.Stamp)
	d.footnote = "Content SHA-256: " + Fingerprint(r.Content())
	d.AddPage()
	top := d.GetY()
	if r.Stamp.VerifyURL != "" {
		if err := d.qr(r.Stamp.VerifyURL, pageW-margin-28, top, 28); err != nil {
			return nil, err
		}
	}
	d.SetRightMargin(margin + 32)
	d.heading(15, "Competency record")
	d.field("Apprentice", r.Person.Name)
	if r.Person.EmployeeID != "" {
		d.field("Employee ID", r.Person.EmployeeID)
	}
	if r.Person.HireDate != "" {
		d.field("Hire date", r.Person.HireDate)
	}
	d.field("Program", fmt.Sprintf("%s, version %d", r.Program, r.Version))
	d.field("Enrollment", "started "+r.Started+" · "+r.Status)
	d.field("As of", r.AsOf+" (end of day, "+r.Zone+"): only what was on file by then")
	d.field("Printed", r.Stamp.Printed+" by "+r.Stamp.PrintedBy)
	if r.Stamp.Code != "" {
		d.field("Verification code", r.Stamp.Code)
	}
	d.field("Signed off", fmt.Sprintf("%d of %d competencies", r.SignedOff, r.Total))
	d.SetRightMargin(margin)
	d.SetY(max(d.GetY(), top+30) + 3)

	d.heading(12, "Competencies")
	t := d.table(8, column{62, "Competency"}, column{34, "Status"}, column{50, "Performances"}, column{39.9, "Test / re-verification"})
	for _, c := range r.Competencies {
		var counts []string
		for _, n := range c.Counts {
			counts = append(counts, fmt.Sprintf("%s: %d of %d", n.Label, n.Done, n.Required))
		}
		if c.Transcribed > 0 {
			counts = append(counts, fmt.Sprintf("%d transcribed from paper", c.Transcribed))
		}
		other := c.Test
		if c.ReverificationDue != "" {
			other = strings.TrimPrefix(other+"; re-verify by "+c.ReverificationDue, "; ")
		}
		t.row(c.Title+" ("+c.Code+")\n"+c.Domain, c.Status, strings.Join(counts, "\n"), other)
	}

	d.Ln(4)
	d.heading(12, "Signatures")
	n := 0
	for _, c := range r.Competencies {
		for _, s := range c.Signatures {
			n++
			d.signature(c.Title+" ("+c.Code+")", s)
		}
	}
	if n == 0 {
		d.para("No sign-off was on file on " + r.AsOf + ".")
	}

	d.Ln(3)
	d.heading(12, "Hours")
	if len(r.Hours) == 0 {
		d.para("The program sets no hours.")
	} else {
		t = d.table(8, column{30, "Kind"}, column{86, "Work process or course"}, column{25, "Approved"}, column{22, "Required"}, column{22.9, "Pending"})
		for _, h := range r.Hours {
			t.row(h.Kind, h.Title+" ("+h.Code+")", h.Approved, h.Target, h.Pending)
		}
	}

	d.Ln(3)
	d.heading(12, "Credentials")
	if len(r.Credentials) == 0 {
		d.para("No credential on file on " + r.AsOf + ".")
	} else {
		t = d.table(8, column{46, "Credential"}, column{40, "Number"}, column{28, "Issued"}, column{28, "Expires"}, column{43.9, "Verified"})
		for _, c := range r.Credentials {
			t.row(c.Type, c.Number, c.Issued, c.Expires, c.Verified)
		}
	}
	return d.bytes()
}

// signature prints one e-signature's manifest as a block.
func (d *doc) signature(what string, s SignatureLine) {
	d.SetFont(family, "", 8)
	lines := []string{
		what + " — " + s.Kind,
		"Signed by " + s.PrintedName + ", " + s.Credential + " · " + s.SignedAt,
		"Meaning: " + s.Meaning,
		"Signature SHA-256: " + s.Hash,
	}
	if s.Transcribed {
		lines = append(lines, "Transcribed from a paper record.")
	}
	if s.Revoked != "" {
		lines = append(lines, s.Revoked)
	}
	h := 1.0
	for _, l := range lines {
		h += float64(len(d.SplitText(l, bodyW-4))) * 3.8
	}
	if d.GetY()+h > d.pageBottom() {
		d.AddPage()
	}
	y := d.GetY()
	for i, l := range lines {
		d.SetX(margin + 3)
		if i == 0 {
			d.SetFont(family, "B", 8)
		} else {
			d.SetFont(family, "", 8)
		}
		d.MultiCell(bodyW-4, 3.8, l, "", "L", false)
	}
	if s.Revoked != "" {
		d.SetDrawColor(180, 0, 0)
	} else {
		d.SetDrawColor(0, 120, 60)
	}
	d.SetLineWidth(0.6)
	d.Line(margin+0.5, y, margin+0.5, d.GetY())
	d.SetLineWidth(0.2)
	d.Ln(2)
}

// hours shows minutes as hours with up to two decimals.
func hours(minutes int) string {
	h := strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64)
	h = strings.TrimRight(strings.TrimRight(h, "0"), ".")
	return h + " h"
}
