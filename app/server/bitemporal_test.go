package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Historical evidence and two kinds of time (issue 17): a director
// transcribes a paper sign-off of HIPAA dated day P, on day R > P. Asked
// about P with everything known now, HIPAA is cleared and the decision
// says a late entry changed it; asked as known before the transcription,
// not cleared: through the API, the clearance page and the clearances
// report (page and .xlsx). Only directors and HR transcribe; a paper
// sign-off counts only where the program allows; the mark shows on the
// progress page and in the sign-offs register export.
func TestLateEntryAnsweredByKnownAt(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ap := e.person("ap@x.test", accounts.RoleApprentice)
		dirP := e.person("dir@x.test", accounts.RoleDirector)
		prec := e.person("prec@x.test", accounts.RolePreceptor)
		enr, _, dayP := paperEnrollment(t, e, ap, dirP, "bitemporal-enroll")
		loc := e.cfg.Location()
		if _, _, err := e.svc.Evidence.RecordTest(ctx, records(t, e.svc.Evidence, enr.ID).Enrollment, evidence.ActorOf(dirP),
			assessments.TestResultRequest{IdempotencyKey: "bitemporal-test", Competency: "SAF-HIPAA", Score: 95, TakenOn: dayP}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		before := e.clock.Now() // known then: the test, not the sign-off
		e.clock.Advance(time.Hour)

		token := func(p *accounts.Person) string {
			_, tok, err := e.store.CreateToken(ctx, p.ID, "t", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		base := "/api/v1/enrollments/" + enr.ID
		paper := `{"idempotency_key":"paper-0001","competency":"SAF-HIPAA","signed_on":"` + dayP.String() + `","printed_name":"Dr. Ada Paper","credential":"MD","source_note":"binder 3, p. 12"}`
		for _, who := range []*accounts.Person{ap, prec} {
			if r := apiCall(e, "POST", base+"/paper-signoffs", token(who), paper); r.StatusCode != http.StatusForbidden {
				t.Fatalf("%s transcribing: %d %s", who.Email, r.StatusCode, r.body)
			}
		}
		dirTok := token(dirP)
		r := apiCall(e, "POST", base+"/paper-signoffs", dirTok, paper)
		if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `"counts":true`) {
			t.Fatalf("the director transcribing: %d %s", r.StatusCode, r.body)
		}
		dayR := curriculum.DateOf(e.clock.Now(), loc)
		// A paper sign-off of a competency whose program wants e-signatures
		// is kept but does not count; an observation from a paper checklist.
		if r := apiCall(e, "POST", base+"/paper-signoffs", dirTok, `{"idempotency_key":"paper-0002","competency":"SAF-BBP","signed_on":"`+dayP.String()+`","printed_name":"Dr. Ada Paper","credential":"MD"}`); r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `"counts":false`) {
			t.Fatalf("a paper sign-off the program does not count: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "POST", base+"/transcriptions", dirTok, `{"idempotency_key":"paper-0003","competency":"SAF-BBP","performed_on":"`+dayP.String()+`","successful":true,"attested_by":"Rita Nurse","attester_credential":"RN","source_note":"binder 3, p. 13"}`); r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `"transcribed_by":"`+dirP.ID+`"`) {
			t.Fatalf("a transcribed observation: %d %s", r.StatusCode, r.body)
		}
		e.clock.Advance(time.Hour)
		after := e.clock.Now().Add(-30 * time.Minute) // after the transcription, before now

		dir := e.client()
		dir.login(dirP.Email, testPassword)
		ask := func(knownAt time.Time) string {
			q := "/api/v1/clearances?person=" + ap.ID + "&task=HIPAA&as_of=" + dayP.String()
			if !knownAt.IsZero() {
				q += "&known_at=" + url.QueryEscape(knownAt.UTC().Format(time.RFC3339))
			}
			r := dir.get(q)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", q, r.StatusCode, r.body)
			}
			return r.body
		}
		now := ask(time.Time{}) // also fills the decision cache
		if !strings.Contains(now, `"status":"cleared"`) || !strings.Contains(now, "Counted from a record entered on "+dayR.String()) {
			t.Fatalf("asked now about %s: %s", dayP, now)
		}
		if then := ask(before); !strings.Contains(then, `"status":"not_cleared"`) || strings.Contains(then, "late_entry") {
			t.Fatalf("asked as known before the transcription: %s", then)
		}
		if later := ask(after); !strings.Contains(later, `"status":"cleared"`) {
			t.Fatalf("asked as known after the transcription: %s", later)
		}

		// The clearance page, with the form's local time.
		page := "/people/" + ap.ID + "/clearance?as_of=" + dayP.String()
		if row := rowOf(dir.get(page).body, "HIPAA"); !strings.Contains(row, "Cleared (independent)") || !strings.Contains(row, "entered on "+dayR.String()) {
			t.Fatalf("the page, known now:\n%s", row)
		}
		body := dir.get(page + "&known_at=" + url.QueryEscape(before.In(loc).Format("2006-01-02T15:04"))).body
		if row := rowOf(body, "HIPAA"); !strings.Contains(row, "Not cleared") || !strings.Contains(body, "as Skillgate would have answered on") {
			t.Fatalf("the page, known before the transcription:\n%s", row)
		}

		// The clearances report and its workbook.
		report := "/reports/clearances?as_of=" + dayP.String() + "&known_at=" + url.QueryEscape(before.UTC().Format(time.RFC3339))
		if row := tableRow(dir.get(report).body, "HIPAA"); !strings.Contains(row, "Not cleared") {
			t.Fatalf("the report, known before the transcription:\n%s", row)
		}
		if row := tableRow(dir.get("/reports/clearances?as_of="+dayP.String()).body, "HIPAA"); !strings.Contains(row, "Cleared (independent)") {
			t.Fatalf("the report, known now:\n%s", row)
		}
		wb := openXLSX(t, dir.get(strings.Replace(report, "/reports/clearances", "/reports/clearances.xlsx", 1)))
		rows, err := wb.GetRows("Clearances")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows[1:] {
			if r[2] == "HIPAA" {
				found = true
				if r[3] != "Not cleared" {
					t.Fatalf("the workbook, known before the transcription: %q", r)
				}
			}
		}
		if !found {
			t.Fatalf("no HIPAA row in the workbook: %q", rows)
		}

		// Marked wherever the evidence appears: the progress page, and the
		// sign-offs register's export.
		progress := dir.get("/enrollments/" + enr.ID).body
		for _, want := range []string{"Transcribed from paper", "binder 3, p. 13", "Paper sign-off, transcribed from paper", "Dr. Ada Paper",
			"It does not count: the program requires an electronic sign-off"} {
			if !strings.Contains(progress, want) {
				t.Errorf("the progress page lacks %q", want)
			}
		}
		register := openXLSX(t, dir.get("/reports/signoffs.xlsx"))
		regRows, err := register.GetRows("Sign-offs")
		if err != nil {
			t.Fatal(err)
		}
		marked := 0
		for _, r := range regRows[1:] {
			if len(r) > 2 && strings.Contains(r[2], "transcribed from paper") {
				marked++
			}
		}
		if marked != 2 {
			t.Fatalf("%d paper sign-offs marked in the register export, want 2: %q", marked, regRows)
		}
	})
}

// Only the reports that answer as known at an instant (clearances,
// evaluations) offer known_at; the others count everything on file, so
// a known_at asked of them is refused on its field, page and workbook
// alike, instead of being printed in a heading the rows do not honour.
func TestKnownAtOnlyWhereTheReportHonoursIt(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		known := "known_at=" + url.QueryEscape(e.clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
		// The demo was recorded less than an hour ago: as known an hour
		// ago, these reports have no rows; as known now, they have.
		dataRows := func(path, sheet string) int {
			t.Helper()
			rows, err := openXLSX(t, dir.get(path)).GetRows(sheet)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return len(rows) - 1
		}
		for _, rp := range []struct{ path, sheet string }{{"/reports/clearances", "Clearances"}, {"/reports/evaluations", "Evaluations"},
			{"/reports/wages", "Wage steps"}, {"/reports/signoffs", "Sign-offs"}, {"/reports/certifications", "Certifications"},
			{"/reports/hours", "Hours"}, {"/reports/progress", "Progress"}} {
			r := dir.get(rp.path + "?" + known)
			if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `name="known_at"`) {
				t.Errorf("%s as known an hour ago: %d, known_at field offered %v", rp.path, r.StatusCode, strings.Contains(r.body, `name="known_at"`))
			}
			if rp.path == "/reports/evaluations" {
				continue // the demo's program schedules none
			}
			if now, then := dataRows(rp.path+".xlsx", rp.sheet), dataRows(rp.path+".xlsx?"+known, rp.sheet); now == 0 || then != 0 {
				t.Errorf("%s: %d rows as known now, %d as known before the demo was recorded (want some, then none)", rp.path, now, then)
			}
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		for _, path := range []string{"/reports/rapids"} {
			c := hr // HR's export
			if strings.Contains(c.get(path).body, `name="known_at"`) {
				t.Errorf("%s offers known_at, which it does not honour", path)
			}
			downloads := []string{path, path + ".xlsx", path + ".csv"}
			for _, p := range downloads {
				r := c.get(p + "?" + known)
				if r.StatusCode < 400 || r.StatusCode >= 500 || !strings.Contains(r.body, "cannot answer as known at an earlier moment") {
					t.Errorf("%s as known an hour ago: %d, want a refusal naming known_at\n%s", p, r.StatusCode, regexpFind(`(?s)(<main.*</main>)`, r.body))
				}
			}
		}
	})
}
