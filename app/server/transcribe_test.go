package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// postScan sends a transcription form as a browser does (multipart), with
// a scanned page when file is not nil.
func postScan(c *client, path string, fields map[string]string, file []byte, name string) response {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", c.csrf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("scan", name)
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	return c.do("POST", path, &buf, map[string]string{"Content-Type": w.FormDataContentType()})
}

// paperEnrollment enrolls ap, by dir, 30 days ago in the shipped MA
// program with SAF-HIPAA open to paper sign-offs; it returns the
// enrollment, today and the day ten days back that the paper records of
// these tests are dated.
func paperEnrollment(t *testing.T, e *env, ap, dir *accounts.Person, key string) (assessments.Enrollment, curriculum.Date, curriculum.Date) {
	t.Helper()
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	for i := range v.Program.Competencies {
		if v.Program.Competencies[i].Code == "SAF-HIPAA" {
			v.Program.Competencies[i].PaperSignOffs = curriculum.PaperAllowed
		}
	}
	if !v.IsPublished() {
		if err := v.Publish(e.clock.Now().Add(-24 * time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := e.svc.Programs.Create(t.Context(), v, "")
	if err != nil {
		t.Fatal(err)
	}
	today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
	enr, _, err := e.svc.Evidence.Enroll(t.Context(), assessments.Enrollment{ApprenticeID: ap.ID, VersionID: sv.ID, SiteID: e.siteID,
		HireDate: today.AddDays(-30), StartDate: today.AddDays(-30), IdempotencyKey: key}, dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	return enr, today, today.AddDays(-10)
}

// Historical paper evidence beyond observations and sign-offs (issue 17):
// a director transcribes a countersigned self-log and a paper test (API),
// HR paper hours (page); each counts from the day on the paper, for days
// after it and not before, and not as known before it was typed in. A
// scanned page goes with a transcription (page and API), only a PDF, PNG
// or JPEG; staff of the site download it (audited), the apprentice and
// other sites cannot. A director revokes a paper sign-off: it stops
// counting from the effective day, shown as revoked; HR may not revoke.
func TestPaperRecordsTranscribedScannedAndRevoked(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ap := e.person("ap@x.test", accounts.RoleApprentice)
		dirP := e.person("dir@x.test", accounts.RoleDirector)
		hrP := e.person("hr@x.test", accounts.RoleHR)
		prec := e.person("prec@x.test", accounts.RolePreceptor)
		other, err := e.store.CreateSite(ctx, "Elsewhere")
		if err != nil {
			t.Fatal(err)
		}
		far, err := e.store.Create(ctx, accounts.NewPerson{Email: "far@x.test", Name: "Far Director", Roles: []accounts.Role{accounts.RoleDirector},
			SiteIDs: []string{other.ID}, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		enr, today, dayP := paperEnrollment(t, e, ap, dirP, "paper-enroll")
		loc := e.cfg.Location()
		before := e.clock.Now()
		e.clock.Advance(time.Hour)

		token := func(p *accounts.Person) string {
			_, tok, err := e.store.CreateToken(ctx, p.ID, "t", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		dirTok, hrTok := token(dirP), token(hrP)
		base := "/api/v1/enrollments/" + enr.ID
		on := dayP.String()
		for path, body := range map[string]string{
			"/transcriptions/self-logs": `{"idempotency_key":"paper-log-1","competency":"PHL-VENI","performed_on":"` + on + `","attested_by":"Rita Nurse","attester_credential":"RN","source_note":"logbook p. 4"}`,
			"/transcriptions/tests":     `{"idempotency_key":"paper-test-1","competency":"SAF-HIPAA","score":92,"taken_on":"` + on + `","attested_by":"Dr. Grader"}`,
			"/paper-signoffs": `{"idempotency_key":"paper-sig-1","competency":"SAF-HIPAA","signed_on":"` + on + `","printed_name":"Dr. Ada Paper","credential":"MD",` +
				`"scan":{"name":"form.png","content":"` + base64.StdEncoding.EncodeToString(onePixelPNG) + `"}}`,
		} {
			r := apiCall(e, "POST", base+path, dirTok, body)
			if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `"transcribed_by":"`+dirP.ID+`"`) {
				t.Fatalf("%s: %d %s", path, r.StatusCode, r.body)
			}
			if again := apiCall(e, "POST", base+path, dirTok, body); again.StatusCode != http.StatusOK {
				t.Fatalf("%s sent again: %d, want the first record (200)", path, again.StatusCode)
			}
		}
		hr := e.client()
		hr.mustLogin(hrP.Email)
		hr.get("/enrollments/" + enr.ID + "/transcribe")
		if r := postScan(hr, "/enrollments/"+enr.ID+"/transcribe/hours", map[string]string{"key": "paper-hours-0001", "code": "ojl:VITAL-SIGNS",
			"worked_on": on, "hours": "7.5", "attested_by": "Pat Supervisor"}, onePixelPNG, "timesheet.png"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("HR transcribing hours: %d %s", r.StatusCode, regexpFind(`(?s)(<div class="error-summary".*?</div>)`, r.body))
		}
		// A web page renamed .pdf is refused, beside the field, and
		// nothing is stored.
		obs := len(records(t, e.svc.Evidence, enr.ID).Observations)
		r := postScan(hr, "/enrollments/"+enr.ID+"/transcribe/observation", map[string]string{"key": "paper-obs-0001", "competency": "PHL-VENI",
			"performed_on": on, "successful": "yes", "attested_by": "Rita Nurse", "attester_credential": "RN"}, []byte("<html><script>x</script></html>"), "page.pdf")
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="e-scan"`) || len(records(t, e.svc.Evidence, enr.ID).Observations) != obs {
			t.Fatalf("HTML as a scanned page: %d", r.StatusCode)
		}
		// An attester whose credential may not observe the competency is a
		// value to correct: the same form, the name kept, the message by
		// the credential, nothing stored.
		r = postScan(hr, "/enrollments/"+enr.ID+"/transcribe/observation", map[string]string{"key": "paper-obs-0002", "competency": "PHL-VENI",
			"performed_on": on, "successful": "yes", "attested_by": "Casey Frontdesk", "attester_credential": "none"}, nil, "")
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="e-attester_credential"`) ||
			!strings.Contains(r.body, `value="Casey Frontdesk"`) || len(records(t, e.svc.Evidence, enr.ID).Observations) != obs {
			t.Fatalf("attester not allowed: %d %s", r.StatusCode, regexpFind(`(?s)(<div class="error-summary".*?</div>)`, r.body))
		}

		// Counted from the day on the paper: as of that day, not the day
		// before, and not as known before the transcriptions.
		rec := records(t, e.svc.Evidence, enr.ID)
		noon := func(d curriculum.Date) time.Time { return d.Time(loc).Add(12 * time.Hour) }
		type seen struct {
			veni    int
			tested  bool
			minutes assessments.Minutes
		}
		look := func(r *assessments.Records, d curriculum.Date) seen {
			p := assessments.Summarize(r, noon(d))
			var s seen
			for _, c := range p.Competencies {
				switch c.Code {
				case "PHL-VENI":
					s.veni = c.Variants[0].Successful
				case "SAF-HIPAA":
					s.tested = c.Tested
				}
			}
			s.minutes = p.Hours.OJL.Approved
			return s
		}
		if got := look(rec, dayP); got != (seen{1, true, 450}) {
			t.Errorf("as of the day on the paper: %+v, want the self-log, the test and 7.5 h", got)
		}
		if got := look(rec, dayP.AddDays(-1)); got.veni != 0 || got.tested {
			t.Errorf("as of the day before: %+v, want no performance or test", got)
		}
		if got := look(rec.KnownAt(before), today); got != (seen{}) {
			t.Errorf("as known before the transcriptions: %+v, want nothing", got)
		}

		// The hours workbook counts them from the day worked, marked.
		dir := e.client()
		dir.mustLogin(dirP.Email)
		hoursOn := func(d curriculum.Date) [][]string {
			wb := openXLSX(t, dir.get("/reports/hours.xlsx?as_of="+d.String()))
			rows, err := wb.GetRows("Hours")
			if err != nil {
				t.Fatal(err)
			}
			return rows[1:]
		}
		if rows := hoursOn(dayP); len(rows) != 1 || rows[0][5] != "7.5" || rows[0][6] != "7.5" {
			t.Errorf("the hours workbook as of %s: %q, want 7.5 h, all transcribed from paper", dayP, rows)
		}
		if rows := hoursOn(dayP.AddDays(-1)); len(rows) != 0 {
			t.Errorf("the hours workbook as of the day before: %q", rows)
		}

		// Marked on the progress page, with the scans for staff of the site.
		page := dir.get("/enrollments/" + enr.ID).body
		for _, want := range []string{"countersigned on paper by Rita Nurse", "graded on paper by Dr. Grader", "approved on paper by Pat Supervisor",
			"logbook p. 4", "Paper sign-off, transcribed from paper"} {
			if !strings.Contains(page, want) {
				t.Errorf("the progress page lacks %q", want)
			}
		}
		scans := regexpAll(`href="(/enrollments/[^"]+/scans/[^"]+)"`, page)
		if len(scans) != 2 {
			t.Fatalf("%d scanned pages linked, want 2 (hours, paper sign-off): %q", len(scans), scans)
		}
		downloads := audittest.Count(t, e.db, evidence.ActionScanDownload)
		pc := e.client()
		pc.mustLogin(prec.Email)
		for _, c := range []*client{dir, pc} {
			r := c.get(scans[0])
			if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/png" || r.body != string(onePixelPNG) ||
				!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("staff of the site downloading the scan: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
			}
		}
		if n := audittest.Count(t, e.db, evidence.ActionScanDownload); n != downloads+2 {
			t.Errorf("%d downloads audited, want 2", n-downloads)
		}
		ac, fc := e.client(), e.client()
		ac.mustLogin(ap.Email)
		fc.mustLogin(far.Email)
		if r := ac.get(scans[0]); r.StatusCode != http.StatusForbidden {
			t.Errorf("the apprentice downloading a scan: %d", r.StatusCode)
		}
		if r := fc.get(scans[0]); r.StatusCode != http.StatusNotFound {
			t.Errorf("a director of another site downloading a scan: %d", r.StatusCode)
		}
		// The evidence API lists the scans to staff of the site only.
		type listed struct {
			Scans []struct {
				RecordID    string `json:"record_id"`
				ContentType string `json:"content_type"`
			} `json:"scans"`
		}
		var staff, own listed
		decode(t, dir.get("/api/v1/enrollments/"+enr.ID+"/evidence"), &staff)
		decode(t, ac.get("/api/v1/enrollments/"+enr.ID+"/evidence"), &own)
		if len(staff.Scans) != 2 || staff.Scans[0].ContentType != "image/png" || len(own.Scans) != 0 {
			t.Errorf("scans in the evidence API: %+v to the director, %+v to the apprentice", staff.Scans, own.Scans)
		}

		// The paper sign-off counts (HIPAA cleared), until a director
		// revokes it: from the effective day, not before; HR may not.
		cleared := func(d curriculum.Date) bool {
			r := dir.get("/api/v1/clearances?person=" + ap.ID + "&task=HIPAA&as_of=" + d.String())
			return strings.Contains(r.body, `"status":"cleared"`)
		}
		if !cleared(today) {
			t.Fatal("HIPAA with a paper sign-off the program allows: not cleared")
		}
		paperID := rec.PaperSignOffs[0].ID
		revoke := `{"idempotency_key":"paper-revoke-1","reason":"form found unsigned on review","effective_on":"` + today.AddDays(-2).String() + `"}`
		if r := apiCall(e, "POST", base+"/paper-signoffs/"+paperID+"/revocations", hrTok, revoke); r.StatusCode != http.StatusForbidden {
			t.Fatalf("HR revoking: %d", r.StatusCode)
		}
		action := regexpFind(`action="([^"]+/paper-signoffs/[^"]+/revoke)"`, page)
		if r := dir.post(action, map[string][]string{"key": {"paper-revoke-1"}, "reason": {"form found unsigned on review"},
			"effective_on": {today.AddDays(-2).String()}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the director revoking: %d %s", r.StatusCode, regexpFind(`(?s)(<div class="error-summary".*?</div>)`, r.body))
		}
		if cleared(today) || cleared(today.AddDays(-2)) || !cleared(today.AddDays(-3)) {
			t.Errorf("after the revocation effective %s: cleared today %v, that day %v, the day before %v (want false, false, true)",
				today.AddDays(-2), cleared(today), cleared(today.AddDays(-2)), cleared(today.AddDays(-3)))
		}
		if r := apiCall(e, "POST", base+"/paper-signoffs/"+paperID+"/revocations", dirTok, strings.Replace(revoke, "paper-revoke-1", "paper-revoke-2", 1)); r.StatusCode != http.StatusConflict {
			t.Errorf("revoking it again: %d", r.StatusCode)
		}
		if !strings.Contains(dir.get("/enrollments/"+enr.ID).body, "Revoked from "+today.AddDays(-2).String()) {
			t.Error("the progress page does not show the paper sign-off as revoked")
		}
	})
}
