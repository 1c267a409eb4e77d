package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/curriculum"
)

// Item 10: grace periods count from the person's hire date, so a
// re-enrollment (which types today as its own date) does not restart the
// 90-day BLS grace; asked through the API's clearance endpoint.
func TestReenrollmentDoesNotRestartGrace(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		today := orgToday(e)
		hired := today.AddDays(-100) // grace ended on day 90
		site := jordan.SiteIDs[0]
		ma, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "rehired@demo.test", Name: "Robin Reyes", HireDate: hired.String(),
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site}})
		if err != nil {
			t.Fatal(err)
		}
		ens, err := e.svc.Evidence.Store.Enrollments(t.Context(), evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
		if err != nil || len(ens) == 0 {
			t.Fatalf("Jordan's enrollment: %v", err)
		}
		_, tok, err := e.store.CreateToken(t.Context(), people["director@demo.test"].ID, "sis", 24*3600e9)
		if err != nil {
			t.Fatal(err)
		}
		enroll := func(key string, on curriculum.Date) string {
			t.Helper()
			r := apiCall(e, "POST", "/api/v1/enrollments", tok, fmt.Sprintf(`{"idempotency_key":%q,"person_id":%q,"version_id":%q,"site_id":%q,"hire_date":%q,"start_date":%q}`,
				key, ma.ID, ens[0].VersionID, site, on, on))
			var got struct{ ID string }
			if r.StatusCode != http.StatusCreated || json.Unmarshal([]byte(r.body), &got) != nil {
				t.Fatalf("enroll on %s: %d %s", on, r.StatusCode, r.body)
			}
			return got.ID
		}
		first := enroll("enroll-first", hired)
		if r := apiCall(e, "POST", "/api/v1/enrollments/"+first+"/status", tok, `{"status":"withdrawn","reason":"left for a term"}`); r.StatusCode/100 != 2 {
			t.Fatalf("withdraw: %d %s", r.StatusCode, r.body)
		}
		enroll("enroll-again", today)
		ask := func(day curriculum.Date) string {
			t.Helper()
			r := apiCall(e, "GET", "/api/v1/clearances?person="+ma.ID+"&task=VENIPUNCTURE&as_of="+day.String(), tok, "")
			if r.StatusCode != http.StatusOK {
				t.Fatalf("clearance on %s: %d %s", day, r.StatusCode, r.body)
			}
			return r.body
		}
		graceEnd := hired.AddDays(90).String()
		body := ask(today)
		if strings.Contains(body, "credential_in_grace") || !strings.Contains(body, `"credential_missing"`) || !strings.Contains(body, "grace period after hire ended "+graceEnd) {
			t.Fatalf("after re-enrolling, BLS grace restarted (or never ended on %s): %s", graceEnd, body)
		}
		// HR corrects the hire date to 20 days ago: the same question is
		// now inside the grace, which ends 90 days after the corrected date.
		if err := e.store.SetHireDate(t.Context(), ma.ID, today.AddDays(-20).String(), "offer letter shows a later start"); err != nil {
			t.Fatal(err)
		}
		if body := ask(today); !strings.Contains(body, "within grace until "+today.AddDays(70).String()) {
			t.Fatalf("after HR's correction: %s", body)
		}
	})
}

// HR corrects a hire date on the person's hire-date page: a reason is
// required (the form comes back with the date kept); then the page shows
// the new date and the history with who and why.
func TestHRCorrectsHireDateOnThePage(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		sam := people["apprentice2@demo.test"]
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		page := "/people/" + sam.ID + "/hire-date"
		hr.get(page)
		if r := hr.post(page, url.Values{"hire_date": {"2026-01-12"}, "reason": {""}}); r.StatusCode != http.StatusBadRequest ||
			!strings.Contains(r.body, "Say why the hire date changes") || !strings.Contains(r.body, `value="2026-01-12"`) {
			t.Fatalf("without a reason: %d %s", r.StatusCode, r.body)
		}
		if r := hr.post(page, url.Values{"hire_date": {"2026-01-12"}, "reason": {"offer letter says the 12th"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("change: %d %s", r.StatusCode, r.body)
		}
		r := hr.get(page)
		if !strings.Contains(r.body, "<strong>2026-01-12</strong>") || tableRow(r.body, "2026-01-12", "offer letter says the 12th", "Helen Ortiz") == "" {
			t.Fatalf("after the change: %s", r.body)
		}
	})
}

// The enrollment form asks for the training start only: the enrollment
// records the person's hire date (HR's), not a date the director types.
func TestEnrollmentTakesThePersonsHireDate(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		newbie, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "new@demo.test", Name: "Nia New", HireDate: "2025-11-03",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: jordan.SiteIDs})
		if err != nil {
			t.Fatal(err)
		}
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		page := dir.get("/people/" + newbie.ID + "/clearance")
		if !strings.Contains(page.body, "Hire date: 2025-11-03") {
			t.Fatalf("the enrollment form does not show the person's hire date: %s", page.body)
		}
		f := formFromPage(t, regexpFind(`(?s)(<form method="post" action="/people/[^"]+/enroll".*?</form>)`, page.body))
		start := orgToday(e).String()
		f.Set("start_date", start)
		if r := dir.post("/people/"+newbie.ID+"/enroll", f); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("enroll: %d %s", r.StatusCode, r.body)
		}
		if r := dir.get("/api/v1/enrollments?person=" + newbie.ID); !strings.Contains(r.body, `"hire_date":"2025-11-03"`) || !strings.Contains(r.body, `"start_date":"`+start+`"`) {
			t.Fatalf("the enrollment: %s", r.body)
		}
	})
}
