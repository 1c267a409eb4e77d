package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
)

func TestImportPreviewConfirmAndReimport(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		hr.get("/hr/import")
		for _, ext := range []string{"csv", "xlsx"} {
			r := hr.get("/hr/import/template." + ext)
			if r.StatusCode != 200 || len(r.body) < 20 || !strings.Contains(r.Header.Get("Content-Disposition"), "template."+ext) {
				t.Fatalf("template %s: %d", ext, r.StatusCode)
			}
		}
		header := "employee_id,name,email,role,site,credential_type,issuing_body,number,issued_on,expires_on,verified\n"
		bad := header + "E-1,Ana Bell,ana@demo.test,apprentice,Riverside Family Medicine,BLS,AHA,1,2026-01-10,13/2027,yes\n"
		r := postMultipart(hr, "/hr/import", nil, []byte(bad), "people.csv")
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "expires_on") || strings.Contains(r.body, `name="upload"`) {
			t.Fatalf("bad file preview: %d", r.StatusCode)
		}
		good := header + "E-1,Ana Bell,ana@demo.test,apprentice,Riverside Family Medicine,BLS,AHA,1,2026-01-10,01/2028,yes\n" +
			"E-2,Ben Cole,ben@demo.test,apprentice,Northgate Pediatrics,,,,,,\n"
		r = postMultipart(hr, "/hr/import", nil, []byte(good), "people.csv")
		upload := regexpFind(`name="upload" value="([^"]+)"`, r.body)
		if r.StatusCode != 200 || upload == "" || !strings.Contains(r.body, "add 2 people") {
			t.Fatalf("good preview: %d %s", r.StatusCode, regexpFind(`(?s)(<section class="card">.*?</section>)`, r.body))
		}
		if _, err := e.store.ByEmail(t.Context(), "ana@demo.test"); err == nil {
			t.Fatal("the preview wrote a person")
		}
		// Another HR user cannot confirm someone else's upload.
		admin := e.client()
		admin.login("admin@demo.test", demo.Password)
		admin.get("/hr/import")
		if res := admin.post("/hr/import/confirm", map[string][]string{"upload": {upload}}); res.StatusCode != http.StatusGone {
			t.Fatalf("confirming another user's upload: %d", res.StatusCode)
		}
		r = hr.post("/hr/import/confirm", map[string][]string{"upload": {upload}})
		if r.StatusCode != 200 || !strings.Contains(r.body, "2 people added") {
			t.Fatalf("confirm: %d", r.StatusCode)
		}
		if _, err := e.store.ByEmail(t.Context(), "ben@demo.test"); err != nil {
			t.Fatal("the import did not create Ben")
		}
		if r := hr.post("/hr/import/confirm", map[string][]string{"upload": {upload}}); r.StatusCode != http.StatusGone {
			t.Fatalf("confirming twice: %d", r.StatusCode)
		}
		again := postMultipart(hr, "/hr/import", nil, []byte(good), "people.csv")
		if !strings.Contains(again.body, "add 0 people (2 already there)") {
			t.Fatalf("re-import preview: %s", regexpFind(`(?s)(<p>\d+ rows read.*?</p>)`, again.body))
		}
	})
}

// TestImportRenewalRosterMatchedByEmail: HR downloads the roster, whose
// template example names a real clinic; a renewal sheet naming a person by
// email with a new employee id says "matched by email" in the preview, and
// imported people are in the directory at once.
func TestImportRenewalRosterMatchedByEmail(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		if _, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "pat@demo.test", Name: "Pat Noid", Roles: []accounts.Role{accounts.RoleApprentice},
			SiteIDs: []string{mustByEmail(t, e, "apprentice@demo.test").SiteIDs[0]}}); err != nil {
			t.Fatal(err)
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		hr.get("/hr/import")
		if r := hr.get("/hr/import/template.csv"); !strings.Contains(r.body, ","+demo.Sites[0]+",") && !strings.Contains(r.body, ","+demo.Sites[1]+",") {
			t.Fatalf("the template's example does not name a real clinic:\n%s", r.body)
		}
		r := hr.get("/hr/import/roster.csv")
		if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), "roster") ||
			!strings.Contains(r.body, "E2001,Jordan Lee,apprentice@demo.test,apprentice,Riverside Family Medicine") {
			t.Fatalf("roster: %d\n%s", r.StatusCode, r.body)
		}
		if x := hr.get("/hr/import/roster.xlsx"); x.StatusCode != 200 || !strings.HasPrefix(x.body, "PK") {
			t.Fatalf("roster.xlsx: %d", x.StatusCode)
		}
		sheet := "employee_id,name,email,role,site,credential_type,issuing_body,number,issued_on,expires_on\n" +
			"P-77,Pat Noid,pat@demo.test,apprentice,Riverside Family Medicine,BLS,AHA,R-1,2026-11-01,11/2028\n" +
			"N-1,Nell New,nell@demo.test,apprentice,Riverside Family Medicine,,,,,\n"
		r = postMultipart(hr, "/hr/import", nil, []byte(sheet), "renewals.csv")
		upload := regexpFind(`name="upload" value="([^"]+)"`, r.body)
		if r.StatusCode != 200 || upload == "" || !strings.Contains(r.body, "Matched by email; employee id P-77 will be recorded") {
			t.Fatalf("renewal preview: %d %s", r.StatusCode, regexpFind(`(?s)(<section class="card">.*?</section>)`, r.body))
		}
		if r := hr.post("/hr/import/confirm", map[string][]string{"upload": {upload}}); r.StatusCode != 200 {
			t.Fatalf("confirm: %d", r.StatusCode)
		}
		if b := hr.get("/people?q=nell").body; !strings.Contains(b, "Nell New") || !strings.Contains(b, "Not enrolled") {
			t.Fatalf("the imported person is not in the directory")
		}
		if b := hr.get("/people?q=P-77").body; !strings.Contains(b, "Pat Noid") {
			t.Fatalf("the recorded employee id does not find Pat")
		}
	})
}
