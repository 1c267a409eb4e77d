package documents

import (
	"encoding/json"
	"fmt"

	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Certificate is a competency sign-off certificate: one sign-off of one
// apprentice, with the signature's manifest.
type Certificate struct {
	Apprentice string        `json:"apprentice"`
	Program    string        `json:"program"`
	Version    int           `json:"version"`
	Competency string        `json:"competency"`
	Code       string        `json:"code"`
	Counts     []Count       `json:"counts,omitempty"`
	Signature  SignatureLine `json:"signature"`
	// EnrollmentID and SignOffID say what the certificate is of; they are
	// not printed, but the verification page uses them to tell whether the
	// sign-off was revoked since.
	EnrollmentID string `json:"enrollment_id"`
	Stamp        Stamp  `json:"stamp"`
}

// CertificateFrom is the certificate of sign-off so in rec (nil if rec has
// no such sign-off), for apprentice name, revocations as on day.
func CertificateFrom(name string, rec *assessments.Records, soID string, day curriculum.Date, st Stamp) *Certificate {
	pv := rec.Enrollment.Version
	for i := range rec.SignOffs {
		so := &rec.SignOffs[i]
		if so.ID != soID {
			continue
		}
		c := &Certificate{Apprentice: name, Program: pv.Program().Title, Version: pv.Rules.Version().Number, Code: so.Competency,
			Competency: so.Competency, Signature: signatureLine(so, rec.Revocations, day), EnrollmentID: rec.Enrollment.ID, Stamp: st}
		if comp := pv.Competency(so.Competency); comp != nil {
			c.Competency = comp.Title
			for _, pr := range comp.Performances {
				label := pr.Title
				if label == "" {
					label = pr.Variant
				}
				if label == "" {
					label = "observed performances"
				}
				c.Counts = append(c.Counts, Count{Label: label, Required: pr.Count})
			}
		}
		return c
	}
	return nil
}

// Content is the certificate as stored and hashed (see Record.Content).
func (c *Certificate) Content() []byte { return contentOf(c) }

// contentOf is a document's content as stored and hashed: its JSON.
func contentOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and ints only
	}
	return b
}

// CertificatePDF prints c on one page.
func CertificatePDF(c *Certificate) ([]byte, error) {
	d := certificateDoc("Competency sign-off certificate: "+c.Apprentice+", "+c.Competency, c.Stamp, c.Content(),
		"Certificate of competency", c.Apprentice, "was signed off as competent in")
	d.SetFont(family, "B", 14)
	d.MultiCell(bodyW, 7, c.Competency+" ("+c.Code+")", "", "C", false)
	d.SetFont(family, "", 10)
	d.MultiCell(bodyW, 6, fmt.Sprintf("%s, version %d · %s", c.Program, c.Version, c.Signature.Kind), "", "C", false)
	if len(c.Counts) > 0 {
		var s string
		for i, n := range c.Counts {
			if i > 0 {
				s += "; "
			}
			s += fmt.Sprintf("%d × %s", n.Required, n.Label)
		}
		d.MultiCell(bodyW, 6, "Required by the program: "+s, "", "C", false)
	}
	d.Ln(8)
	d.heading(12, "Electronic signature")
	d.field("Signed by", c.Signature.PrintedName+", "+c.Signature.Credential)
	d.field("Date and time", c.Signature.SignedAt)
	d.field("Meaning", c.Signature.Meaning)
	d.field("Signature SHA-256", c.Signature.Hash)
	if c.Signature.Transcribed {
		d.field("Source", "Transcribed from a paper record")
	}
	if c.Signature.Revoked != "" {
		d.SetTextColor(180, 0, 0)
		d.field("Revoked", c.Signature.Revoked)
		d.SetTextColor(0, 0, 0)
	}
	if err := d.verification(c.Stamp, "to check that this certificate was issued by Skillgate and whether the sign-off still stands."); err != nil {
		return nil, err
	}
	return d.bytes()
}

// certificateDoc starts a one-page certificate: its heading, "This
// certifies that", the apprentice's name and what they did (then the
// caller's lines), with content's hash at the foot.
func certificateDoc(title string, st Stamp, content []byte, heading, name, did string) *doc {
	d := newDoc(title, st)
	d.footnote = "Content SHA-256: " + Fingerprint(content)
	d.AddPage()
	d.SetY(d.GetY() + 8)
	d.SetFont(family, "B", 20)
	d.MultiCell(bodyW, 10, heading, "", "C", false)
	d.Ln(4)
	d.SetFont(family, "", 11)
	d.MultiCell(bodyW, 6, "This certifies that", "", "C", false)
	d.SetFont(family, "B", 16)
	d.MultiCell(bodyW, 8, name, "", "C", false)
	d.SetFont(family, "", 11)
	d.MultiCell(bodyW, 6, did, "", "C", false)
	return d
}

// verification prints who printed the document and, when it has a code,
// the code, its QR code and the short URL, with what checking it tells
// (purpose).
func (d *doc) verification(st Stamp, purpose string) error {
	d.Ln(6)
	d.field("Printed", st.Printed+" by "+st.PrintedBy)
	if st.VerifyURL == "" {
		return nil
	}
	d.field("Verification code", st.Code)
	d.Ln(2)
	y := d.GetY()
	if y+45 > d.pageBottom() {
		d.AddPage()
		y = d.GetY()
	}
	if err := d.qr(st.VerifyURL, margin, y, 40); err != nil {
		return err
	}
	d.SetXY(margin+45, y+4)
	d.SetFont(family, "", 9)
	d.MultiCell(bodyW-45, lineH, "Scan the code or open "+st.VerifyURL+" "+purpose, "", "L", false)
	return nil
}
