package documents

import (
	"fmt"

	"github.com/skillgate/skillgate/assessments"
)

// Completion is an apprenticeship's completion certificate: the apprentice,
// the program and version (with its RAPIDS occupation code, if the program
// has one), the completion date and the director's signature.
type Completion struct {
	Apprentice  string `json:"apprentice"`
	Program     string `json:"program"`
	Version     int    `json:"version"`
	RapidsCode  string `json:"rapids_code,omitempty"`
	CompletedOn string `json:"completed_on"`
	// Signature is the director's: printed name, credential, date and
	// time with zone, meaning and hash (Kind and ID are empty).
	Signature SignatureLine `json:"signature"`
	// EnrollmentID and CompletionID say what the certificate is of; they
	// are not printed, but the verification page checks the completion
	// against them.
	EnrollmentID string `json:"enrollment_id"`
	CompletionID string `json:"completion_id"`
	Stamp        Stamp  `json:"stamp"`
}

// CompletionFrom is the certificate of completion c of an enrollment in
// version pv, for the apprentice named name.
func CompletionFrom(name string, pv *assessments.ProgramVersion, c *assessments.Completion, st Stamp) *Completion {
	p := pv.Program()
	return &Completion{Apprentice: name, Program: p.Title, Version: pv.Rules.Version().Number, RapidsCode: p.RapidsCode,
		CompletedOn: c.CompletedOn.String(),
		Signature: SignatureLine{PrintedName: c.PrintedName, Credential: string(c.Credential),
			SignedAt: ShowTime(c.SignedAt, zone(c.TimeZone)) + " (" + c.TimeZone + ")", Meaning: c.Meaning, Hash: c.Hash},
		EnrollmentID: c.EnrollmentID, CompletionID: c.ID, Stamp: st}
}

// Title is what the certificate certifies, as printed on it: the
// credential earned ("Certificate of completion: <program>, version N").
func (c *Completion) Title() string {
	return fmt.Sprintf("%s: %s, version %d", completionHeading, c.Program, c.Version)
}

// completionHeading is the certificate's heading.
const completionHeading = "Certificate of completion"

// Content is the certificate as stored and hashed (see Record.Content).
func (c *Completion) Content() []byte { return contentOf(c) }

// CompletionPDF prints c on one page.
func CompletionPDF(c *Completion) ([]byte, error) {
	d := certificateDoc(completionHeading+": "+c.Apprentice+", "+c.Program, c.Stamp, c.Content(),
		completionHeading, c.Apprentice, "has completed the apprenticeship")
	d.SetFont(family, "B", 14)
	d.MultiCell(bodyW, 7, fmt.Sprintf("%s, version %d", c.Program, c.Version), "", "C", false)
	d.SetFont(family, "", 11)
	if c.RapidsCode != "" {
		d.MultiCell(bodyW, 6, "RAPIDS occupation code "+c.RapidsCode, "", "C", false)
	}
	d.MultiCell(bodyW, 6, "Completed on "+c.CompletedOn, "", "C", false)
	d.Ln(8)
	d.heading(12, "Electronic signature of the program director")
	d.field("Signed by", c.Signature.PrintedName+credentialSuffix(c.Signature.Credential))
	d.field("Date and time", c.Signature.SignedAt)
	d.field("Meaning", c.Signature.Meaning)
	d.field("Signature SHA-256", c.Signature.Hash)
	if err := d.verification(c.Stamp, "to check that this certificate was issued by Skillgate and that the completion is on record."); err != nil {
		return nil, err
	}
	return d.bytes()
}

func credentialSuffix(cred string) string {
	if cred == "" {
		return ""
	}
	return ", " + cred
}
