package documents

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// pdfText reads a PDF back with pdftotext (poppler-utils), as a person
// copying it would.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is missing: apt-get install poppler-utils")
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// flat joins pdftotext's lines, so text wrapped on the page reads whole.
func flat(s string) string { return strings.Join(strings.Fields(s), "") }

// version compiles the shipped program, with extra synthetic competencies
// (copies of the first one under new codes) to reach n in all.
func version(t testing.TB, n int) *assessments.ProgramVersion {
	t.Helper()
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	p := &v.Program
	base := p.Competencies[0]
	for i := len(p.Competencies); i < n; i++ {
		c := base
		c.Code, c.Title, c.Prerequisites, c.IndependentPrerequisites = fmt.Sprintf("SYN-%03d", i), fmt.Sprintf("Synthetic competency %d", i), nil, nil
		p.Competencies = append(p.Competencies, c)
	}
	if err := v.Publish(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	rules, err := curriculum.Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := assessments.NewProgramVersion("ver-1", rules)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}

// records is an enrollment in pv with one sign-off of each of the first
// signed competencies, on 2026-03-02, and one revoked.
func records(pv *assessments.ProgramVersion, signed int) *assessments.Records {
	day := curriculum.MustParseDate("2026-03-02")
	e := &assessments.Enrollment{ID: "enr-1", ApprenticeID: "app-1", VersionID: pv.ID, Version: pv, SiteID: "site-1",
		HireDate: curriculum.MustParseDate("2026-01-02"), StartDate: curriculum.MustParseDate("2026-01-05"), Status: assessments.EnrollmentActive}
	r := &assessments.Records{Enrollment: e}
	p := pv.Program()
	for i := 0; i < signed && i < len(p.Competencies); i++ {
		c := p.Competencies[i]
		so := assessments.SignOff{ID: fmt.Sprintf("so-%03d", i), EnrollmentID: e.ID, ApprenticeID: e.ApprenticeID, Competency: c.Code,
			Kind: curriculum.InitialSignOff, SignedOn: day, Signature: assessments.Signature{
				SignerID: "rn-1", PrintedName: "Rita Nguyen", Credential: curriculum.RN,
				SignedAt: day.Time(pv.Location()).Add(14*time.Hour + 30*time.Minute), TimeZone: pv.Location().String(),
				Meaning: "I observed the required performances and attest that the apprentice is competent.",
				Hash:    fmt.Sprintf("%064x", i+1)}}
		r.SignOffs = append(r.SignOffs, so)
	}
	if signed > 1 {
		r.Revocations = append(r.Revocations, assessments.Revocation{ID: "rev-1", SignOffID: "so-001", Competency: p.Competencies[1].Code,
			EffectiveOn: day.AddDays(1), Reason: "observed on the wrong patient record", RevokerName: "Pat Director",
			RecordedAt: day.AddDays(1).Time(pv.Location()).Add(10 * time.Hour)})
	}
	r.Credentials = []curriculum.CredentialRecord{{ID: "c1", Type: "BLS", Number: "BLS-1", IssuedOn: curriculum.MustParseDate("2025-05-10"),
		Verified: true, VerifiedOn: curriculum.MustParseDate("2026-01-06"), RecordedOn: curriculum.MustParseDate("2026-01-06")}}
	return r
}

var hostile = "<script>alert(1)</script> مريم العربية שרה כהן " + strings.Repeat("Wolfeschlegelsteinhausenbergerdorff", 8)

func stamp() Stamp {
	return NewStamp("Harriet Human-Resources", time.Date(2026, 3, 20, 15, 4, 0, 0, time.UTC), time.UTC, "https://skillgate.example.org", "abcdefghijklmnopqrstuvwxyz")
}

// The record prints the apprentice's (hostile) name whole, every
// signature with its hash, the revocation known on the day, credentials
// with expiry and "Page n of N" on every page; the day before the
// revocation was recorded it is not there.
func TestRecordPDF(t *testing.T) {
	if len([]rune(hostile)) < 300 {
		t.Fatalf("hostile name is %d characters", len([]rune(hostile)))
	}
	pv := version(t, 200)
	recs := records(pv, 200)
	in := RecordInput{Name: hostile, EmployeeID: "E-77", HireDate: "2026-01-02", Records: recs,
		AsOf: curriculum.MustParseDate("2026-03-10"), Stamp: stamp()}
	r := RecordFrom(in)
	if r.Total != 200 || r.SignedOff < 150 {
		t.Fatalf("signed off %d of %d", r.SignedOff, r.Total)
	}
	pdf, err := RecordPDF(r)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	pages := regexp.MustCompile(`Page (\d+) of (\d+)`).FindAllStringSubmatch(text, -1)
	if len(pages) < 5 {
		t.Fatalf("%d page numbers, want one per page of a 200-competency record", len(pages))
	}
	for i, m := range pages {
		if m[1] != fmt.Sprint(i+1) || m[2] != fmt.Sprint(len(pages)) {
			t.Fatalf("page %d reads %q", i+1, m[0])
		}
	}
	f := flat(text)
	for _, want := range []string{"<script>alert(1)</script>", strings.Repeat("Wolfeschlegelsteinhausenbergerdorff", 8), "E-77",
		"RitaNguyen,RN", fmt.Sprintf("%064x", 200), "2026-03-0214:30EST(America/New_York)", "Iobservedtherequiredperformances",
		"REVOKEDeffective2026-03-03byPatDirector", "BasicLifeSupport", "2027-05-31", "verified2026-01-06",
		"2026-03-20 15:04 UTC by Harriet Human-Resources", "https://skillgate.example.org/verify/abcdefghijklmnopqrstuvwxyz",
		"ContentSHA-256:" + Fingerprint(r.Content()), "Syntheticcompetency199"} {
		if !strings.Contains(f, flat(want)) {
			t.Errorf("record lacks %q", want)
		}
	}
	// Right-to-left words come back (in either order: no shaping here).
	for _, w := range []string{"مريم", "כהן"} {
		rev := []rune(w)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		if !strings.Contains(text, w) && !strings.Contains(text, string(rev)) {
			t.Errorf("record lacks %q", w)
		}
	}

	// As of the day of signing, before the revocation was recorded.
	in.AsOf = curriculum.MustParseDate("2026-03-02")
	early := RecordFrom(in)
	if early.SignedOff != r.SignedOff+1 || early.Competencies[1].Signatures[0].Revoked != "" {
		t.Fatalf("as of the day of signing: %d signed off, want %d (the revocation not yet on file)", early.SignedOff, r.SignedOff+1)
	}
	in.AsOf = curriculum.MustParseDate("2026-03-01")
	if before := RecordFrom(in); before.SignedOff != 0 || len(before.Competencies[0].Signatures) != 0 || len(before.Credentials) != 1 {
		t.Fatalf("the day before signing: %d signed off, %d signatures", before.SignedOff, len(before.Competencies[0].Signatures))
	}
}

// A certificate carries the signature's manifest and the QR code's URL.
func TestCertificatePDF(t *testing.T) {
	pv := version(t, 0)
	recs := records(pv, 2)
	c := CertificateFrom("Ana Alvarez", recs, "so-001", curriculum.MustParseDate("2026-03-20"), stamp())
	if c == nil {
		t.Fatal("no certificate")
	}
	pdf, err := CertificatePDF(c)
	if err != nil {
		t.Fatal(err)
	}
	f := flat(pdfText(t, pdf))
	for _, want := range []string{"Certificate of competency", "Ana Alvarez", pv.Program().Competencies[1].Title, "Rita Nguyen, RN",
		fmt.Sprintf("%064x", 2), "REVOKED effective 2026-03-03", "Page 1 of 1", "/verify/abcdefghijklmnopqrstuvwxyz"} {
		if !strings.Contains(f, flat(want)) {
			t.Errorf("certificate lacks %q", want)
		}
	}
	if CertificateFrom("Ana Alvarez", recs, "nope", curriculum.MustParseDate("2026-03-20"), stamp()) != nil {
		t.Error("a certificate for a sign-off not on file")
	}
}

// Blank checklists: every step with boxes, critical steps marked, the
// preceptor's block; one competency alone when asked.
func TestChecklistsPDF(t *testing.T) {
	pv := version(t, 0)
	p := pv.Program()
	var c *curriculum.Competency
	for i := range p.Competencies {
		for _, s := range p.Competencies[i].Checklist {
			if s.Critical && c == nil {
				c = &p.Competencies[i]
			}
		}
	}
	all, err := ChecklistsPDF(p, 1, nil, Stamp{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := ChecklistsPDF(p, 1, []string{c.Code}, Stamp{})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, one)
	f := flat(text)
	for _, s := range c.Checklist {
		want := s.Text
		if s.Critical {
			want = "★ CRITICAL — " + want
		}
		if !strings.Contains(f, flat(want)) {
			t.Errorf("checklist lacks step %q", want)
		}
	}
	for _, want := range []string{c.Title, "☐", "Printed name", "Credential", "Signature", "Date and time", "Page 1 of"} {
		if !strings.Contains(f, flat(want)) {
			t.Errorf("checklist lacks %q", want)
		}
	}
	if n := strings.Count(pdfText(t, all), "Printed name"); n != len(p.Competencies) {
		t.Errorf("all checklists: %d preceptor blocks, want %d", n, len(p.Competencies))
	}
}

// BenchmarkRecordPDF: one apprentice's record of the shipped program with
// every competency signed off, built and printed.
func BenchmarkRecordPDF(b *testing.B) {
	pv := version(b, 0)
	recs := records(pv, len(pv.Program().Competencies))
	in := RecordInput{Name: "Ana Alvarez", Records: recs, AsOf: curriculum.MustParseDate("2026-03-10"), Stamp: stamp()}
	for b.Loop() {
		if _, err := RecordPDF(RecordFrom(in)); err != nil {
			b.Fatal(err)
		}
	}
}
