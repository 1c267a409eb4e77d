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
func (c *Certificate) Content() []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return b
}

// CertificatePDF prints c on one page.
func CertificatePDF(c *Certificate) ([]byte, error) {
	d := newDoc("Competency sign-off certificate: "+c.Apprentice+", "+c.Competency, c.Stamp)
	d.footnote = "Content SHA-256: " + Fingerprint(c.Content())
	d.AddPage()
	d.SetY(d.GetY() + 8)
	d.SetFont(family, "B", 20)
	d.MultiCell(bodyW, 10, "Certificate of competency", "", "C", false)
	d.Ln(4)
	d.SetFont(family, "", 11)
	d.MultiCell(bodyW, 6, "This certifies that", "", "C", false)
	d.SetFont(family, "B", 16)
	d.MultiCell(bodyW, 8, c.Apprentice, "", "C", false)
	d.SetFont(family, "", 11)
	d.MultiCell(bodyW, 6, "was signed off as competent in", "", "C", false)
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
	d.Ln(6)
	d.field("Printed", c.Stamp.Printed+" by "+c.Stamp.PrintedBy)
	if c.Stamp.VerifyURL != "" {
		d.field("Verification code", c.Stamp.Code)
		d.Ln(2)
		y := d.GetY()
		if y+45 > d.pageBottom() {
			d.AddPage()
			y = d.GetY()
		}
		if err := d.qr(c.Stamp.VerifyURL, margin, y, 40); err != nil {
			return nil, err
		}
		d.SetXY(margin+45, y+4)
		d.SetFont(family, "", 9)
		d.MultiCell(bodyW-45, lineH, "Scan the code or open "+c.Stamp.VerifyURL+" to check that this certificate was issued by Skillgate and whether the sign-off still stands.", "", "L", false)
	}
	return d.bytes()
}
