package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/documents"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Printed documents (app/documents makes them): the competency record of
// a person as of a day, a sign-off's certificate, blank checklists, a
// site's records as one ZIP, and the public page that verifies an issued
// document by its code. Handlers parse, authorise and send; every record
// and certificate is issued (its code and hashes stored, audited) before
// its bytes leave.

// stamp is the printing stamp of a document the caller prints now.
func (s *Server) stamp(c *fiber.Ctx, code string) documents.Stamp {
	return documents.NewStamp(currentUser(c).Name, s.now(), s.cfg.Location(), s.cfg.BaseURL, code)
}

// asOfOnly is asOfParam with its error as a page's message.
func (s *Server) asOfOnly(c *fiber.Ctx) (curriculum.Date, error) {
	asOf, err := s.asOfParam(c)
	if ke := errkind.As(err); ke != nil && ke.Fields["as_of"] != "" {
		return asOf, errkind.New(ke.Kind, ke.Fields["as_of"])
	}
	return asOf, err
}

// recordPDF prints a person's competency record as of ?as_of (today by
// default), under the object rule of the person's pages.
func (s *Server) recordPDF(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	asOf, err := s.asOfOnly(c)
	if err != nil {
		return err
	}
	res, err := s.visibleResult(c, p.ID, asOf)
	if err != nil {
		return err
	}
	if c.Method() == fiber.MethodHead {
		return headOnly(c, "application/pdf")
	}
	code := documents.NewCode()
	rec := documents.RecordFrom(recordInput(p, res, asOf, s.stamp(c, code)))
	pdf, err := documents.RecordPDF(rec)
	if err != nil {
		return err
	}
	if err := s.documents.Issue(c.UserContext(), []*documents.Issued{issuedRecord(p, asOf, rec, pdf)}, []string{code}); err != nil {
		return err
	}
	return sendFile(c, "application/pdf", "competency-record-"+asOf.String()+".pdf", pdf)
}

func recordInput(p *accounts.Person, res *clearance.Result, asOf curriculum.Date, st documents.Stamp) documents.RecordInput {
	return documents.RecordInput{Name: p.Name, EmployeeID: p.EmployeeID, HireDate: p.HireDate, Records: res.Records, AsOf: asOf, Stamp: st}
}

func issuedRecord(p *accounts.Person, asOf curriculum.Date, rec *documents.Record, pdf []byte) *documents.Issued {
	return &documents.Issued{Kind: documents.KindRecord, SubjectID: p.ID, PersonID: p.ID, AsOf: asOf.String(),
		SHA256: documents.FileHash(pdf), Content: string(rec.Content())}
}

// certificatePDF prints the certificate of one sign-off of an enrollment
// the caller may see; a sign-off revoked today has none.
func (s *Server) certificatePDF(c *fiber.Ctx) error {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	if c.Method() == fiber.MethodHead {
		return headOnly(c, "application/pdf")
	}
	today := rec.Enrollment.Version.Day(s.now())
	code := documents.NewCode()
	cert := documents.CertificateFrom(p.Name, rec, c.Params("so"), today, s.stamp(c, code))
	if cert == nil {
		return errNotFound
	}
	for _, r := range rec.Revocations {
		if r.SignOffID == c.Params("so") && !r.EffectiveOn.After(today) {
			return errkind.New(errkind.Conflict, "This sign-off was revoked, so it has no certificate. "+cert.Signature.Revoked)
		}
	}
	pdf, err := documents.CertificatePDF(cert)
	if err != nil {
		return err
	}
	doc := &documents.Issued{Kind: documents.KindCertificate, SubjectID: c.Params("so"), PersonID: p.ID,
		SHA256: documents.FileHash(pdf), Content: string(cert.Content())}
	if err := s.documents.Issue(c.UserContext(), []*documents.Issued{doc}, []string{code}); err != nil {
		return err
	}
	return sendFile(c, "application/pdf", "certificate-"+cert.Code+".pdf", pdf)
}

// checklistsPDF prints a version's blank checklists (?c=CODE: one).
func (s *Server) checklistsPDF(c *fiber.Ctx) error {
	_, v, err := s.loadVersion(c)
	if err != nil {
		return err
	}
	prog := &v.Version.Program
	var codes []string
	if code := c.Query("c"); code != "" {
		if prog.Competency(code) == nil {
			return errkind.New(errkind.NotFound, "This version has no competency "+code+".")
		}
		codes = []string{code}
	}
	pdf, err := documents.ChecklistsPDF(prog, v.Number, codes, s.stamp(c, ""))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("checklists-v%d.pdf", v.Number)
	if len(codes) == 1 {
		name = fmt.Sprintf("checklist-%s-v%d.pdf", codes[0], v.Number)
	}
	return sendFile(c, "application/pdf", name, pdf)
}

// siteRecordsZIP prints the competency record of every apprentice of a
// site the caller may see, as of ?as_of, as one ZIP: one batch of reads,
// every record issued in one transaction.
func (s *Server) siteRecordsZIP(c *fiber.Ctx) error {
	asOf, err := s.asOfOnly(c)
	if err != nil {
		return err
	}
	site := c.Params("id")
	people, res, err := s.siteMatrixFor(c, site, asOf)
	if err != nil {
		return err
	}
	if c.Method() == fiber.MethodHead {
		return headOnly(c, "application/zip")
	}
	var recs []*documents.Record
	var issued []*documents.Issued
	var codes []string
	var who []*accounts.Person
	u := currentUser(c)
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok || !canSeeEnrollment(u, r.Enrollment) {
			continue
		}
		code := documents.NewCode()
		recs = append(recs, documents.RecordFrom(recordInput(p, r, asOf, s.stamp(c, code))))
		codes, who = append(codes, code), append(who, p)
	}
	pdfs, err := documents.RecordPDFs(recs)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	used := map[string]int{}
	for i, pdf := range pdfs {
		issued = append(issued, issuedRecord(who[i], asOf, recs[i], pdf))
		name := zipName(who[i].Name, asOf, used)
		// PDFs are compressed already: stored, not deflated again.
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: s.now()})
		if err != nil {
			return err
		}
		if _, err := w.Write(pdf); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return err
	}
	if err := s.documents.Issue(c.UserContext(), issued, codes); err != nil {
		return err
	}
	return sendFile(c, "application/zip", "competency-records-"+asOf.String()+".zip", buf.Bytes())
}

// siteRecordsMax bounds one site's ZIP (about 50 ms of CPU and 70 KB a
// record, all held in memory until sent).
const siteRecordsMax = 1000

// siteMatrixFor is siteMatrix's people and their records (not decisions
// from the cache: records need every field).
func (s *Server) siteMatrixFor(c *fiber.Ctx, siteID string, asOf curriculum.Date) ([]*accounts.Person, map[string]*clearance.Result, error) {
	if !canSeeSite(currentUser(c), siteID) {
		return nil, nil, errkind.New(errkind.NotFound, "There is no site with this id that you may see.")
	}
	sel := accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: []string{siteID}}
	total, err := s.accounts.CountSelected(c.UserContext(), sel)
	if err != nil {
		return nil, nil, err
	}
	if total > siteRecordsMax {
		return nil, nil, errkind.New(errkind.TooLarge, fmt.Sprintf("This site has %d apprentices; one ZIP holds at most %d records. Print them by person.", total, siteRecordsMax))
	}
	people, err := s.accounts.SelectAll(c.UserContext(), sel)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	res, err := s.clearance.ForPeople(c.UserContext(), ids, asOf)
	return people, res, err
}

// zipName is a file name for a person's record: their name in safe
// characters, made unique.
func zipName(name string, asOf curriculum.Date, used map[string]int) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '.':
			b.WriteRune('-')
		}
		if b.Len() >= 60 {
			break
		}
	}
	base := strings.Trim(b.String(), "-")
	if base == "" {
		base = "record"
	}
	used[base]++
	if n := used[base]; n > 1 {
		base = fmt.Sprintf("%s-%d", base, n)
	}
	return base + "-" + asOf.String() + ".pdf"
}

// headOnly answers HEAD for a document without making (and issuing) it:
// a document is issued only when someone receives it.
func headOnly(c *fiber.Ctx, ctype string) error {
	c.Set(fiber.HeaderContentType, ctype)
	return c.SendStatus(fiber.StatusOK)
}

// sendFile sends a document, never cached (the middleware's no-store): a
// PDF opens in the browser's viewer, to print; a ZIP downloads. Names are
// made of codes and dates only, so they need no escaping.
func sendFile(c *fiber.Ctx, ctype, name string, b []byte) error {
	disposition := "inline"
	if ctype != "application/pdf" {
		disposition = "attachment"
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, disposition+`; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(name))
	return c.Send(b)
}

// verifyView is what the verification page shows: the document as
// issued, and how it stands now.
type verifyView struct {
	Found  bool
	Record *documents.Record
	Cert   *documents.Certificate
	Done   *documents.Completion
	Doc    *documents.Issued
	// Valid, with Status saying so or why not; Notes add what changed
	// since it was issued.
	Valid  bool
	Status string
	Notes  []string
}

// verifyPage answers for a code printed on a document, without a login:
// only what the document shows and whether it still stands. An unknown or
// malformed code gets one and the same answer, and every request counts
// against the caller's address (rate limited).
func (s *Server) verifyPage(c *fiber.Ctx) error {
	if err := s.hit(c, s.limits.verify, "verify-ip:"+clientIP(c)); err != nil {
		return err
	}
	doc, newer, err := s.documents.Lookup(c.UserContext(), c.Params("code"))
	if errors.Is(err, documents.ErrUnknownCode) {
		return s.render(c, fiber.StatusNotFound, "verify", Page{Title: "Verify a document", Data: verifyView{}})
	}
	if err != nil {
		return err
	}
	v := verifyView{Found: true, Doc: doc, Valid: true}
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	switch doc.Kind {
	case documents.KindRecord:
		v.Record = new(documents.Record)
		if err := json.Unmarshal([]byte(doc.Content), v.Record); err != nil {
			return fmt.Errorf("issued document %s: %w", doc.ID, err)
		}
		v.Status = "Valid: this competency record was issued by Skillgate and is the latest printed for this person."
		if newer != nil {
			v.Valid = false
			v.Status = "Superseded: a newer competency record of this person was printed on " + documents.ShowTime(newer.IssuedAt, s.cfg.Location()) +
				". This copy shows the record as it stood on " + v.Record.AsOf + "."
		}
		if v.Notes, err = s.revokedSince(c, v.Record.EnrollmentID, recordSignatures(v.Record), today); err != nil {
			return err
		}
		if len(v.Notes) > 0 {
			v.Valid = false
		}
	case documents.KindCertificate:
		v.Cert = new(documents.Certificate)
		if err := json.Unmarshal([]byte(doc.Content), v.Cert); err != nil {
			return fmt.Errorf("issued document %s: %w", doc.ID, err)
		}
		v.Status = "Valid: this certificate was issued by Skillgate and the sign-off stands."
		notes, err := s.revokedSince(c, v.Cert.EnrollmentID, []documents.SignatureLine{v.Cert.Signature}, today)
		if err != nil {
			return err
		}
		switch {
		case len(notes) > 0 && strings.Contains(notes[0], "REVOKED"):
			v.Valid, v.Status = false, "Revoked: this sign-off no longer stands. "+notes[0]
		case len(notes) > 0:
			v.Notes = notes
		}
		if newer != nil {
			v.Notes = append(v.Notes, "A newer copy of this certificate was printed on "+documents.ShowTime(newer.IssuedAt, s.cfg.Location())+".")
		}
	case documents.KindCompletion:
		v.Done = new(documents.Completion)
		if err := json.Unmarshal([]byte(doc.Content), v.Done); err != nil {
			return fmt.Errorf("issued document %s: %w", doc.ID, err)
		}
		// A completion is final (never undone), so the certificate stands
		// as long as the signature it shows is the one on record.
		done, err := s.evidence.Store.Completion(c.UserContext(), v.Done.EnrollmentID)
		if err != nil {
			return err
		}
		v.Status = "Valid: this completion certificate was issued by Skillgate and the completion is on record. A completion cannot be undone."
		if done == nil || done.ID != v.Done.CompletionID || done.Hash != v.Done.Signature.Hash || assessments.VerifyCompletion(done) != nil {
			v.Valid, v.Status = false, "Not valid: the completion this certificate shows does not match the record. Do not rely on it."
		}
		if newer != nil {
			v.Notes = append(v.Notes, "A newer copy of this certificate was printed on "+documents.ShowTime(newer.IssuedAt, s.cfg.Location())+".")
		}
	}
	return s.render(c, fiber.StatusOK, "verify", Page{Title: "Verify a document", Data: v})
}

func recordSignatures(r *documents.Record) []documents.SignatureLine {
	var out []documents.SignatureLine
	for _, c := range r.Competencies {
		out = append(out, c.Signatures...)
	}
	return out
}

// revokedSince says, for each signature of a document, a revocation on
// file now that the document does not show as it stands today.
func (s *Server) revokedSince(c *fiber.Ctx, enrollmentID string, sigs []documents.SignatureLine, today curriculum.Date) ([]string, error) {
	if enrollmentID == "" || len(sigs) == 0 {
		return nil, nil
	}
	rec, err := s.evidence.Enrollment(c.UserContext(), enrollmentID)
	if err != nil {
		return nil, err
	}
	shown := map[string]string{}
	for _, sg := range sigs {
		shown[sg.ID] = sg.Revoked
	}
	var out []string
	for _, r := range rec.Revocations {
		was, ok := shown[r.SignOffID]
		if !ok {
			continue
		}
		if now := documents.RevocationText(r, today); now != was {
			out = append(out, "Since printed: the sign-off of "+r.Competency+" — "+now)
		}
	}
	return out, nil
}
