package server_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/documents"
)

// pdfText reads a PDF back with pdftotext (poppler-utils, as .ci/run
// installs), its words joined without spaces (pages wrap text anywhere).
func pdfText(t *testing.T, r response) string {
	t.Helper()
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("not a PDF: %d %s %.300s", r.StatusCode, r.Header.Get("Content-Type"), r.body)
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = strings.NewReader(r.body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

var verifyLink = regexp.MustCompile(`/verify/([a-z2-7]{26})`)

func sha(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }

// Documents, on both engines with the demo: the demo apprentice prints
// his competency record (signatures with hashes, page numbers, who
// printed it) and it verifies publicly with its hashes; a second printing
// supersedes it; a sign-off's certificate verifies until the sign-off is
// revoked, and then says so (and no new one is printed); an unknown or
// malformed code learns nothing and the page is rate limited; a site's
// records come as one ZIP for HR; blank checklists mark critical steps;
// the record of a day before the enrollment is refused. Every printing is
// audited.
func TestDocumentsPrintAndVerify(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan, casey := people["apprentice@demo.test"], people["graduate@demo.test"]
		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		anon := e.client()
		anon.ip = "203.0.113.9"

		// Jordan's own pages link to his record.
		if p := ap.get(ap.get("/progress").Header.Get("Location")); !strings.Contains(p.body, `href="/people/`+jordan.ID+`/record.pdf"`) ||
			!strings.Contains(p.body, `class="print-only print-head"><strong>Jordan Lee</strong> · printed`) {
			t.Fatal("the apprentice's progress page has no link to his record or no print heading")
		}
		if p := ap.get("/clearance"); !strings.Contains(p.body, "/people/"+jordan.ID+"/record.pdf") || !strings.Contains(p.body, `class="print-only print-head"><strong>Jordan Lee</strong> · printed`) {
			t.Fatal("the clearance page has no record link or no print heading")
		}
		rec := ap.get("/people/" + jordan.ID + "/record.pdf")
		text := pdfText(t, rec)
		for _, want := range []string{"Competencyrecord", "JordanLee", "PriyaRaman,RN", "SignatureSHA-256:", "Page1of", "byJordanLee", "BasicLifeSupport"} {
			if !strings.Contains(text, want) {
				t.Errorf("the record lacks %q", want)
			}
		}
		if n := regexp.MustCompile(`Page(\d+)of(\d+)`).FindAllStringSubmatch(text, -1); len(n) == 0 || n[len(n)-1][1] != n[len(n)-1][2] {
			t.Errorf("page numbers: %v", n)
		}
		code := verifyLink.FindStringSubmatch(text)
		if code == nil {
			t.Fatalf("the record has no verification link:\n%s", text)
		}
		v := anon.get("/verify/" + code[1])
		if v.StatusCode != http.StatusOK || !strings.Contains(v.body, "Valid: this competency record") || !strings.Contains(v.body, "Jordan Lee") ||
			!strings.Contains(v.body, sha(rec.body)) || !strings.Contains(text, "ContentSHA-256:"+regexpFind(`Content SHA-256</dt><dd><code class="hash">([0-9a-f]{64})`, v.body)) {
			t.Fatalf("verification of the record: %d\n%s", v.StatusCode, regexpFind(`(?s)(<main.*?</section>)`, v.body))
		}
		if strings.Contains(v.body, jordan.Email) || strings.Contains(v.body, jordan.ID) {
			t.Error("the verification page shows more than the document")
		}
		if logs := e.logText(); strings.Contains(logs, code[1]) || !strings.Contains(logs, "/verify/[redacted]") {
			t.Error("the log shows a verification code")
		}
		pdfText(t, ap.get("/people/"+jordan.ID+"/record.pdf"))
		if v := anon.get("/verify/" + code[1]); !strings.Contains(v.body, "Superseded: a newer competency record") {
			t.Error("an older record does not say it was superseded")
		}

		// Casey's venipuncture certificate, from her progress page.
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, dir.get("/people/"+casey.ID+"/clearance").body)
		card := regexpFind(`(?s)(id="c-PHL-VENI".*?</section>)`, dir.get(enr).body)
		certURL := regexpFind(`href="(/enrollments/[^"]+/certificate\.pdf)"`, card)
		if certURL == "" {
			t.Fatal("no certificate link on the venipuncture sign-off")
		}
		certText := pdfText(t, dir.get(certURL))
		for _, want := range []string{"Certificateofcompetency", "CaseyBrooks", "Venipuncture(PHL-VENI)", "SignatureSHA-256", "Page1of1"} {
			if !strings.Contains(certText, want) {
				t.Errorf("the certificate lacks %q", want)
			}
		}
		cc := verifyLink.FindStringSubmatch(certText)
		if cc == nil {
			t.Fatal("the certificate has no verification link")
		}
		if v := anon.get("/verify/" + cc[1]); !strings.Contains(v.body, "Valid: this certificate") || !strings.Contains(v.body, "Casey Brooks") {
			t.Fatalf("verification of the certificate: %d", v.StatusCode)
		}
		action := regexpFind(`action="(/enrollments/[^"]+/signoffs/[^"]+/revoke)"`, card)
		if r := dir.post(action, url.Values{"key": {"form-revoke-doc-0001"}, "reason": {"incident review"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.StatusCode)
		}
		if v := anon.get("/verify/" + cc[1]); !strings.Contains(v.body, "Revoked: this sign-off no longer stands") || !strings.Contains(v.body, "incident review") {
			t.Fatalf("the certificate of a revoked sign-off verifies: %s", regexpFind(`(?s)(<p class="flash.*?</p>)`, v.body))
		}
		if r := dir.get(certURL); r.StatusCode != http.StatusConflict {
			t.Errorf("a certificate of a revoked sign-off: %d", r.StatusCode)
		}

		// Unknown and malformed codes: one answer, nothing in it.
		strip := func(s string) string { return regexp.MustCompile(`value="[^"]*"`).ReplaceAllString(s, "") }
		unknown := anon.get("/verify/" + documents.NewCode())
		malformed := anon.get("/verify/" + url.PathEscape("' OR 1=1 --"))
		if unknown.StatusCode != http.StatusNotFound || malformed.StatusCode != http.StatusNotFound || strip(unknown.body) != strip(malformed.body) ||
			!strings.Contains(unknown.body, "No document was issued with this code") {
			t.Fatalf("unknown %d, malformed %d, same page %v", unknown.StatusCode, malformed.StatusCode, strip(unknown.body) == strip(malformed.body))
		}
		for _, leak := range []string{"Jordan", "Casey", "SHA-256", "Superseded", "Revoked"} {
			if strings.Contains(unknown.body, leak) {
				t.Errorf("the page for an unknown code shows %q", leak)
			}
		}

		// A site's records, one ZIP, for HR; not for a preceptor.
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		z := hr.get("/sites/" + jordan.SiteIDs[0] + "/records.zip")
		zr, err := zip.NewReader(bytes.NewReader([]byte(z.body)), int64(len(z.body)))
		if z.StatusCode != http.StatusOK || err != nil || len(zr.File) == 0 {
			t.Fatalf("site records: %d %v", z.StatusCode, err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		if !strings.Contains(strings.Join(names, " "), "Jordan-Lee-") {
			t.Errorf("the ZIP holds %v", names)
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if r := pc.get("/sites/" + jordan.SiteIDs[0] + "/records.zip"); r.StatusCode != http.StatusForbidden {
			t.Errorf("a preceptor's site ZIP: %d", r.StatusCode)
		}

		// Blank checklists of the version: one competency, critical steps.
		prog := regexpFind(`href="(/programs/[^"/]+/v/\d+)"`, dir.get("/programs").body)
		if page := dir.get(prog); !strings.Contains(page.body, prog+`/checklists.pdf?c=PHL-VENI"`) {
			t.Fatal("the version page has no blank checklist link")
		}
		chk := pdfText(t, dir.get(prog+"/checklists.pdf?c=PHL-VENI"))
		if !strings.Contains(chk, "Venipuncture(PHL-VENI)") || !strings.Contains(chk, "★CRITICAL—") || !strings.Contains(chk, "Printedname") || strings.Contains(chk, "(PHL-CAP)") {
			t.Errorf("the venipuncture checklist:\n%s", chk)
		}
		if r := dir.get(prog + "/checklists.pdf?c=NOPE"); r.StatusCode != http.StatusNotFound {
			t.Errorf("a checklist of no competency: %d", r.StatusCode)
		}

		// The record of a day before the enrollment; a bad date.
		if r := ap.get("/people/" + jordan.ID + "/record.pdf?as_of=2000-01-01"); r.StatusCode != http.StatusNotFound {
			t.Errorf("a record before the enrollment: %d", r.StatusCode)
		}
		if r := ap.get("/people/" + jordan.ID + "/record.pdf?as_of=yesterday"); r.StatusCode != http.StatusBadRequest {
			t.Errorf("a record as of a bad date: %d", r.StatusCode)
		}
		if n := audittest.Count(t, e.db, documents.ActionIssue); n != 3+len(zr.File) {
			t.Errorf("%d documents audited, want %d", n, 3+len(zr.File))
		}

		// The verification page is rate limited by address.
		spam := e.client()
		spam.ip = "203.0.113.77"
		last := 0
		for range 31 {
			last = spam.get("/verify/" + documents.NewCode()).StatusCode
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("the 31st lookup in a minute: %d", last)
		}
	})
}
