package server_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/assessments"
)

// HR records an apprentice's demographic fields on their page: a mistake
// comes back with what was typed and the message by the field; the
// trail has each showing and change, never the values; the director,
// the preceptor and the apprentice get neither the page, the form, the
// export nor the values anywhere they look.
func TestDemographicsOnlyForHRAndAudited(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		page := "/people/" + jordan.ID + "/demographics"
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		hr.get(page)
		bad := url.Values{"date_of_birth": {"2001-02-30"}, "gender": {"female"}, "race": {"asian", "declined"}}
		if r := hr.post(page, bad); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Give the date of birth as YYYY-MM-DD") ||
			!strings.Contains(r.body, "or that the apprentice chose not to say, not both") || !strings.Contains(r.body, `value="2001-02-30"`) ||
			!strings.Contains(r.body, `value="female" selected`) || !strings.Contains(r.body, `value="asian" checked`) {
			t.Fatalf("a mistake: %d %s", r.StatusCode, r.body)
		}
		good := url.Values{"date_of_birth": {"2001-04-05"}, "gender": {"female"}, "ethnicity": {"not_hispanic"}, "race": {"white", "asian"},
			"veteran_status": {"not_veteran"}, "disability": {"no"}, "education_level": {"high_school"}, "employment_status": {"new_hire"}}
		if r := hr.post(page, good); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.StatusCode, r.body)
		}
		if r := hr.get(page); !strings.Contains(r.body, `value="2001-04-05"`) || !strings.Contains(r.body, `value="white" checked`) ||
			!strings.Contains(r.body, `value="high_school" selected`) || !strings.Contains(r.body, "Last changed by Helen Ortiz") {
			t.Fatalf("after saving: %s", r.body)
		}
		if n := audittest.Count(t, e.db, accounts.ActionDemographicsView); n != 2 { // the form shown again shows what was typed
			t.Errorf("%d showings in the audit trail, want 2", n)
		}
		changed := audittest.Last(t, e.db, accounts.ActionDemographics)
		if changed.Actor != people["hr@demo.test"].ID || !strings.Contains(changed.After, "date_of_birth") {
			t.Errorf("the change's entry: %+v", changed)
		}
		var leaks int
		if err := e.db.NewSelect().Table("audit_log").ColumnExpr("COUNT(*)").
			Where("before_json LIKE ? OR after_json LIKE ? OR after_json LIKE ?", "%2001-04-05%", "%2001-04-05%", "%not_hispanic%").Scan(t.Context(), &leaks); err != nil || leaks != 0 {
			t.Errorf("the audit trail holds demographic values: %d entries (%v)", leaks, err)
		}
		// The API: HR reads them (audited) and replaces them; a mistake
		// names its field.
		_, hrTok, err := e.store.CreateToken(t.Context(), people["hr@demo.test"].ID, "rapids", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		api := "/api/v1/people/" + jordan.ID + "/demographics"
		if r := apiCall(e, "GET", api, hrTok, ""); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `"date_of_birth":"2001-04-05"`) ||
			!strings.Contains(r.body, `"race":["asian","white"]`) || audittest.Count(t, e.db, accounts.ActionDemographicsView) != 3 {
			t.Errorf("HR reads by API: %d %s", r.StatusCode, r.body)
		}
		body := `{"date_of_birth":"2001-04-05","gender":"","ethnicity":"not_hispanic","race":[],"veteran_status":"not_veteran","disability":"no",` +
			`"education_level":"high_school","employment_status":"new_hire"}`
		if r := apiCall(e, "PUT", api, hrTok, strings.Replace(body, "2001-04-05", "2101-04-05", 1)); r.StatusCode != http.StatusBadRequest ||
			!strings.Contains(r.body, `"date_of_birth":"The date of birth cannot be in the future."`) {
			t.Errorf("a birth in the future by API: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "PUT", api, hrTok, body); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `"race":[]`) || !strings.Contains(r.body, `"gender":""`) {
			t.Errorf("HR replaces by API: %d %s", r.StatusCode, r.body)
		}
		for _, who := range []string{"director@demo.test", "preceptor@demo.test", "apprentice@demo.test"} {
			_, tok, err := e.store.CreateToken(t.Context(), people[who].ID, "rapids", 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if r := apiCall(e, "GET", api, tok, ""); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s reads by API: %d", who, r.StatusCode)
			}
			if r := apiCall(e, "PUT", api, tok, body); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s writes by API: %d", who, r.StatusCode)
			}
			if r := apiCall(e, "GET", "/api/v1/people?q=jordan", tok, ""); strings.Contains(r.body, "2001-04-05") {
				t.Errorf("%s sees the date of birth in the people API", who)
			}
		}
		for _, who := range []string{"director@demo.test", "preceptor@demo.test", "apprentice@demo.test"} {
			c := e.client()
			c.login(who, demo.Password)
			for _, path := range []string{page, "/reports/rapids", "/reports/rapids.csv", "/reports/rapids.xlsx"} {
				if r := c.get(path); r.StatusCode != http.StatusForbidden {
					t.Errorf("%s: GET %s is %d, want 403", who, path, r.StatusCode)
				}
			}
			if r := c.post(page, good); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s: POST %s is %d, want 403", who, page, r.StatusCode)
			}
			// (Apprentices have no reports index: 403.)
			for _, path := range []string{"/people/" + jordan.ID + "/clearance", "/people/" + jordan.ID + "/credentials", "/reports"} {
				if r := c.get(path); (r.StatusCode != http.StatusOK && path != "/reports") || strings.Contains(r.body, "2001-04-05") ||
					strings.Contains(r.body, "/demographics") || strings.Contains(r.body, "/reports/rapids") {
					t.Errorf("%s sees demographic fields or their links on %s (%d)", who, path, r.StatusCode)
				}
			}
		}
	})
}

// The RAPIDS export: the CSV and the workbook have the documented
// columns; a withdrawn apprentice is a cancellation on the day of the
// change, with the director's reason; LibreOffice reads the workbook; each
// download is in the audit trail.
func TestRAPIDSExport(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		soffice := sofficePath(t)
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		ctx := t.Context()
		if err := e.store.SetDemographics(ctx, jordan.ID, accounts.DemographicsInput{DateOfBirth: "2001-04-05", Ethnicity: "hispanic",
			Races: []string{"black"}, EducationLevel: "ged"}, orgToday(e)); err != nil {
			t.Fatal(err)
		}
		ens, err := e.svc.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v %v", ens, err)
		}
		if err := e.svc.Evidence.ChangeStatus(ctx, ens[0].ID, evidence.ActorOf(people["director@demo.test"]), assessments.EnrollmentWithdrawn,
			"moved out of state"); err != nil {
			t.Fatal(err)
		}
		// Sam goes on leave: a suspension.
		sam, err := e.svc.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{people["apprentice2@demo.test"].ID}})
		if err != nil || len(sam) != 1 {
			t.Fatalf("Sam's enrollment: %v %v", sam, err)
		}
		if err := e.svc.Evidence.ChangeStatus(ctx, sam[0].ID, evidence.ActorOf(people["director@demo.test"]), assessments.EnrollmentOnHold,
			"medical leave"); err != nil {
			t.Fatal(err)
		}
		today := orgToday(e).String()
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		if r := hr.get("/reports/rapids"); r.StatusCode != http.StatusOK || tableRow(r.body, "Jordan Lee", "Cancellation", today) == "" || strings.Contains(r.body, "2001-04-05") {
			t.Fatalf("the page (which shows no demographic fields): %d %s", r.StatusCode, r.body)
		}
		var titles []string
		for _, c := range reports.RAPIDSColumns {
			titles = append(titles, c.Title)
		}
		col := func(row []string, title string) string { return row[slices.Index(titles, title)] }
		r := hr.get("/reports/rapids.csv?from=" + today)
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil || len(recs) < 2 || !slices.Equal(recs[0], titles) {
			t.Fatalf("the CSV's header: %v %v\n%s", recs, err, r.body)
		}
		var row, samRow []string
		for _, rec := range recs[1:] {
			switch col(rec, "Apprentice") {
			case "Jordan Lee":
				row = rec
			case "Sam Carter":
				samRow = rec
			}
		}
		if samRow == nil || col(samRow, "Status") != "Suspension" || col(samRow, "Status date") != today || col(samRow, "Status reason") != "medical leave" {
			t.Errorf("Sam on hold is not a suspension since %s: %v", today, samRow)
		}
		for title, want := range map[string]string{"Status": "Cancellation", "Status date": today, "Status reason": "moved out of state",
			"Date of birth": "2001-04-05", "Ethnicity": "Hispanic or Latino", "Race": "Black or African American", "Education level": "GED or equivalent",
			"Gender": "", "RAPIDS occupation code": "1085", "O*NET code": "31-9092.00", "Program type": "Hybrid", "Credential earned": "",
			"Wage at registration ($ an hour)": "14.3", "Journeyworker wage ($ an hour)": "22", "Probation": "",
			"Skillgate enrollment id": ens[0].ID} {
			if row == nil || col(row, title) != want {
				t.Errorf("Jordan's %s in the CSV is not %q: %v", title, want, row)
			}
		}
		x := hr.get("/reports/rapids.xlsx")
		openXLSX(t, x)
		out := t.TempDir()
		path := filepath.Join(out, "rapids.xlsx")
		if err := os.WriteFile(path, []byte(x.body), 0o600); err != nil {
			t.Fatal(err)
		}
		sofficeToCSV(t, soffice, out, path)
		sheet := readCSV(t, filepath.Join(out, "rapids-RAPIDS.csv"))
		read, err := csv.NewReader(strings.NewReader(sheet)).ReadAll()
		if err != nil || len(read) < 2 || !slices.Equal(read[0], titles) {
			t.Fatalf("LibreOffice's reading of the workbook: %v\n%s", err, sheet)
		}
		var found bool
		for _, rec := range read[1:] {
			found = found || (col(rec, "Apprentice") == "Jordan Lee" && col(rec, "Status") == "Cancellation" && col(rec, "Status date") == today &&
				col(rec, "Date of birth") == "2001-04-05" && col(rec, "RAPIDS occupation code") == "1085" && dateCell.MatchString(col(rec, "Start date")))
		}
		if !found {
			t.Errorf("LibreOffice's reading lacks Jordan's cancellation on %s with dates as dates:\n%s", today, sheet)
		}
		var exports int
		if err := e.db.NewSelect().Table("audit_log").ColumnExpr("COUNT(*)").Where("action = ? AND entity_id = ?", "export", "/reports/rapids").
			Scan(ctx, &exports); err != nil || exports != 2 {
			t.Errorf("%d RAPIDS exports in the audit trail, want 2 (%v)", exports, err)
		}
	})
}

// The RAPIDS credential earned is the completion on record: blank while
// the apprenticeship is active (and as of a day before its completion),
// then the completion certificate's title as printed on it and the
// completion date the director's signature recorded.
func TestRAPIDSCredentialEarnedIsTheCompletion(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		casey := people["graduate@demo.test"]
		dir, enr := completionVersion(t, e, casey)
		id := strings.TrimPrefix(enr, "/enrollments/")
		approveOrientation(t, e, id, casey, people["physician@demo.test"])
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		var titles []string
		for _, c := range reports.RAPIDSColumns {
			titles = append(titles, c.Title)
		}
		caseyRow := func(query string) map[string]string {
			t.Helper()
			recs, err := csv.NewReader(strings.NewReader(hr.get("/reports/rapids.csv?" + query).body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range recs[1:] {
				if rec[slices.Index(titles, "Apprentice")] == "Casey Brooks" {
					row := map[string]string{}
					for i, title := range titles {
						row[title] = rec[i]
					}
					return row
				}
			}
			t.Fatalf("no row of Casey in the RAPIDS CSV (%s)", query)
			return nil
		}
		if row := caseyRow(""); row["Status"] != "Active" || row["Credential earned"] != "" {
			t.Fatalf("active: status %q, credential %q", row["Status"], row["Credential earned"])
		}

		dir.get(enr + "/complete")
		if r := dir.post(enr+"/complete", url.Values{"password": {demo.Password}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("completion: %d", r.StatusCode)
		}
		done, err := e.svc.Evidence.Store.Completion(t.Context(), id)
		if err != nil || done == nil {
			t.Fatal(done, err)
		}
		title := records(t, e.svc.Evidence, id).Enrollment.Version.Program().Title
		want := "Certificate of completion: " + title + ", version 2, completed on " + done.CompletedOn.String()
		if row := caseyRow(""); row["Status"] != "Completion" || row["Status date"] != done.CompletedOn.String() || row["Credential earned"] != want {
			t.Errorf("completed: status %q on %q, credential %q, want %q", row["Status"], row["Status date"], row["Credential earned"], want)
		}
		// The certificate prints the same title and date.
		text := pdfText(t, dir.get(enr+"/completion.pdf"))
		for _, s := range []string{"Certificateofcompletion", strings.ReplaceAll(title, " ", "") + ",version2", "Completedon" + done.CompletedOn.String()} {
			if !strings.Contains(text, s) {
				t.Errorf("the certificate lacks %q", s)
			}
		}
		before := done.CompletedOn.AddDays(-1).String()
		if row := caseyRow("as_of=" + before); row["Status"] != "Active" || row["Credential earned"] != "" {
			t.Errorf("as of %s, before the completion: status %q, credential %q", before, row["Status"], row["Credential earned"])
		}
	})
}
