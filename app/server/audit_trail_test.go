package server_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/server"
	"github.com/skillgate/skillgate/curriculum"
)

// stepsJSON marks every checklist step of a competency met.
func stepsJSON(code string) string {
	ma, _ := curriculum.MedicalAssistantProgram()
	var b strings.Builder
	b.WriteString(`[`)
	for i := range ma.Program.Competency(code).Checklist {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"index":` + itoa(i) + `,"met":true}`)
	}
	return b.String() + `]`
}

// Evidence written through the API is audited with the person, the token
// they used and the request; replays and refused requests add nothing.
func TestEvidenceChangesAreAudited(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan, dana := people["preceptor@demo.test"], people["apprentice@demo.test"], people["director@demo.test"]
		ptok, tokPriya := mustToken(t, e, priya.ID)
		_, tokJordan := mustToken(t, e, jordan.ID)
		_, tokDana := mustToken(t, e, dana.ID)
		var ens struct {
			Enrollments []struct {
				ID        string `json:"id"`
				VersionID string `json:"version_id"`
				SiteID    string `json:"site_id"`
			}
		}
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, tokPriya, ""), &ens)
		enr := ens.Enrollments[0]
		base := "/api/v1/enrollments/" + enr.ID
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		total := func() int { return audittest.Total(t, e.db) }

		obs := func(key string) response {
			return apiCall(e, "POST", base+"/observations", tokPriya,
				`{"idempotency_key":"`+key+`","competency":"PHL-VENI","performed_on":"`+today+`","steps":`+stepsJSON("PHL-VENI")+`}`)
		}
		r := obs("audit-obs-0001")
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("observation: %d %s", r.StatusCode, r.body)
		}
		var o struct{ ID string }
		decode(t, r, &o)
		ent := audittest.Last(t, e.db, evidence.ActionObserve)
		if ent.EntityType != "observation" || ent.EntityID != o.ID || ent.Actor != priya.ID || ent.Via != "token:"+ptok ||
			ent.RequestID == "" || ent.IP == "" || !strings.Contains(ent.After, `"successful":true`) {
			t.Fatalf("observation entry %+v", ent)
		}
		n := total()
		if r := obs("audit-obs-0001"); r.StatusCode != http.StatusOK {
			t.Fatalf("replay: %d", r.StatusCode)
		}
		if r := apiCall(e, "POST", base+"/observations", tokPriya, `{"idempotency_key":"audit-obs-0002","competency":"PHL-VENI","performed_on":"`+today+`","steps":[]}`); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad observation: %d", r.StatusCode)
		}
		if got := total(); got != n {
			t.Fatalf("a replay and a refused observation added %d entries", got-n)
		}
		// A correction is its own action.
		r = apiCall(e, "POST", base+"/observations", tokPriya, `{"idempotency_key":"audit-obs-0003","competency":"PHL-VENI","performed_on":"`+today+
			`","steps":`+stepsJSON("PHL-VENI")+`,"supersedes":"`+o.ID+`","correction_reason":"wrong patient chart"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("correction: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionCorrect); !strings.Contains(ent.After, o.ID) || !strings.Contains(ent.After, "wrong patient chart") {
			t.Fatalf("correction entry %+v", ent)
		}
		if r := obs("audit-obs-0004"); r.StatusCode != http.StatusCreated {
			t.Fatalf("observation: %d", r.StatusCode)
		}

		// Signing: a wrong password is a failed login, not a sign-off.
		n = audittest.Count(t, e.db, evidence.ActionSignOff)
		r = apiCall(e, "POST", base+"/signoffs", tokPriya, `{"idempotency_key":"audit-sign-0001","competency":"PHL-VENI","password":"not my password at all"}`)
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
		if ent := audittest.Last(t, e.db, "login.failed"); ent.Actor != priya.ID || strings.Contains(ent.After, "not my password") {
			t.Fatalf("failed re-authentication entry %+v", ent)
		}
		r = apiCall(e, "POST", base+"/signoffs", tokPriya, `{"idempotency_key":"audit-sign-0002","competency":"PHL-VENI","password":"`+demo.Password+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("sign-off: %d %s", r.StatusCode, r.body)
		}
		var so struct{ ID string }
		decode(t, r, &so)
		ent = audittest.Last(t, e.db, evidence.ActionSignOff)
		if audittest.Count(t, e.db, evidence.ActionSignOff) != n+1 || ent.EntityID != so.ID || ent.Actor != priya.ID ||
			!strings.Contains(ent.After, "I attest") || strings.Contains(ent.After, demo.Password) {
			t.Fatalf("sign-off entry %+v", ent)
		}
		r = apiCall(e, "POST", base+"/signoffs/"+so.ID+"/revocations", tokDana, `{"idempotency_key":"audit-rev-0001","reason":"observed on the wrong arm","effective_on":"`+today+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionRevoke); ent.EntityType != "signoff" || ent.EntityID != so.ID || ent.Actor != dana.ID || !strings.Contains(ent.After, "wrong arm") {
			t.Fatalf("revocation entry %+v", ent)
		}

		// Hours and self-logs, then their reviews.
		r = apiCall(e, "POST", base+"/hours", tokJordan, `{"idempotency_key":"audit-hours-0001","kind":"ojl","code":"PT-CARE","worked_on":"`+today+`","hours":"6"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("hours: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionHours); ent.Actor != jordan.ID || !strings.Contains(ent.After, "PT-CARE") {
			t.Fatalf("hours entry %+v", ent)
		}
		r = apiCall(e, "POST", base+"/selflogs", tokJordan, `{"idempotency_key":"audit-self-0001","competency":"PHL-VENI","performed_on":"`+today+`","supervisor_id":"`+priya.ID+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("self-log: %d %s", r.StatusCode, r.body)
		}
		audittest.Last(t, e.db, evidence.ActionSelfLog)
		var pend struct {
			Hours    []struct{ ID string }
			SelfLogs []struct{ ID string } `json:"self_logs"`
		}
		decode(t, apiCall(e, "GET", "/api/v1/reviews", tokPriya, ""), &pend)
		if len(pend.Hours) != 1 || len(pend.SelfLogs) != 1 {
			t.Fatalf("pending: %+v", pend)
		}
		n = total()
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, tokPriya, `{"decision":"reject"}`); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a rejection without a reason: %d", r.StatusCode)
		}
		if total() != n {
			t.Fatal("a refused review was audited")
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, tokPriya, `{"decision":"approve"}`); r.StatusCode != 200 {
			t.Fatalf("approve: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionHoursApprove); ent.EntityID != pend.Hours[0].ID || !strings.Contains(ent.Before, "pending") || !strings.Contains(ent.After, "approved") {
			t.Fatalf("approval entry %+v", ent)
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/selflogs/"+pend.SelfLogs[0].ID, tokPriya, `{"decision":"reject","reason":"not supervised"}`); r.StatusCode != 200 {
			t.Fatalf("reject self-log: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionSelfLogReject); ent.EntityID != pend.SelfLogs[0].ID || !strings.Contains(ent.After, "not supervised") {
			t.Fatalf("self-log rejection entry %+v", ent)
		}

		// Status change and a new enrollment by the director.
		if r := apiCall(e, "POST", base+"/status", tokDana, `{"status":"on_hold","reason":"family leave"}`); r.StatusCode != 200 {
			t.Fatalf("status: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionStatusChange); ent.EntityID != enr.ID || !strings.Contains(ent.Before, `"active"`) || !strings.Contains(ent.After, `"on_hold"`) {
			t.Fatalf("status entry %+v", ent)
		}
		newbie, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "newbie@demo.test", Name: "New Bie",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{enr.SiteID}})
		if err != nil {
			t.Fatal(err)
		}
		r = apiCall(e, "POST", "/api/v1/enrollments", tokDana, `{"idempotency_key":"audit-enroll-0001","person_id":"`+newbie.ID+`","version_id":"`+enr.VersionID+
			`","site_id":"`+enr.SiteID+`","hire_date":"`+today+`","preceptor_ids":["`+priya.ID+`"]}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("enroll: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionEnroll); ent.Actor != dana.ID || !strings.Contains(ent.After, newbie.ID) || !strings.Contains(ent.After, priya.ID) {
			t.Fatalf("enrollment entry %+v", ent)
		}
		// Token use is recorded once per token and hour.
		if n := audittest.Count(t, e.db, "token.used"); n != 3 {
			t.Fatalf("%d token.used entries for 3 tokens used many times; want 3", n)
		}
		audittest.Intact(t, e.db)
	})
}

func mustToken(t *testing.T, e *env, personID string) (id, secret string) {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: personID})
	tok, secret, err := e.store.CreateToken(ctx, personID, "test", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID, secret
}

// HR browses the trail newest first with filters and pages, sees values
// escaped, and downloads it as .xlsx and .csv (formulas defused); each
// download is itself recorded. Other roles are refused.
func TestAuditTrailPageAndExports(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		hrP := e.person("hr@clinic.test", accounts.RoleHR)
		admin := e.person("admin@clinic.test", accounts.RoleAdmin)
		e.person("ma@clinic.test", accounts.RoleApprentice)
		e.person("rn@clinic.test", accounts.RolePreceptor)
		ctx := audit.WithActor(t.Context(), audit.Actor{ID: admin.ID, Via: "session", IP: "192.0.2.50"})
		// A person whose name would be markup on the page and a formula in a spreadsheet.
		evil, err := e.store.Create(ctx, accounts.NewPerson{Email: "evil@clinic.test", Name: `=HYPERLINK("http://x","<script>alert(1)</script>")`,
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{e.siteID}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 60 {
			if _, err := e.store.CreateSite(ctx, "Clinic "+itoa(i)); err != nil {
				t.Fatal(err)
			}
		}
		for _, who := range []string{"ma@clinic.test", "rn@clinic.test"} {
			c := e.client()
			c.mustLogin(who)
			for _, path := range []string{"/audit", "/audit.xlsx", "/audit.csv"} {
				if r := c.get(path); r.StatusCode != http.StatusForbidden {
					t.Fatalf("%s on %s: %d", who, path, r.StatusCode)
				}
			}
		}
		hc := e.client()
		hc.mustLogin("hr@clinic.test")
		if home := hc.get("/"); !strings.Contains(home.body, `href="/audit"`) {
			t.Fatal("no link to the audit trail in HR's navigation")
		}
		r := hc.get("/audit?actor=admin@clinic.test&action=site.create")
		if r.StatusCode != 200 || !strings.Contains(r.body, "Showing 1–50 of 60 entries") || !strings.Contains(r.body, "Clinic 59") || strings.Contains(r.body, "Clinic 9&#34;") {
			t.Fatalf("first page: %d %s", r.StatusCode, regexpFind(`<caption>(.*?)</caption>`, r.body))
		}
		if strings.Index(r.body, "Clinic 59") > strings.Index(r.body, "Clinic 58") {
			t.Fatal("entries are not newest first")
		}
		next := regexpFind(`href="([^"]+)" rel="next"`, r.body)
		r2 := hc.get(strings.ReplaceAll(next, "&amp;", "&"))
		if !strings.Contains(r2.body, "Showing 51–60 of 60 entries") || !strings.Contains(r2.body, "Clinic 0") {
			t.Fatalf("second page (%s): %s", next, regexpFind(`<caption>(.*?)</caption>`, r2.body))
		}
		r = hc.get("/audit?entity_type=person&entity_id=" + evil.ID)
		if !strings.Contains(r.body, "Showing 1–1 of 1 entries") || strings.Contains(r.body, "<script>alert") || !strings.Contains(r.body, "&lt;script&gt;") {
			t.Fatalf("the person's entry, escaped: %s", regexpFind(`(?s)<tbody>(.*?)</tbody>`, r.body))
		}
		// By name: whose record (part of a name, any case) and who did it.
		r = hc.get("/audit?whose=" + url.QueryEscape("hyperlink(") + "&action=person.")
		if !strings.Contains(r.body, "Showing 1–1 of 1 entries") || !strings.Contains(r.body, "created =HYPERLINK") || !strings.Contains(r.body, `href="/audit?whose=`+evil.ID+`"`) {
			t.Fatalf("entries about the person named: %s", regexpFind(`(?s)<tbody>(.*?)</tbody>`, r.body))
		}
		if r := hc.get("/audit?actor=" + url.QueryEscape("PERSON ADMIN") + "&action=site.create"); !strings.Contains(r.body, "of 60 entries") ||
			!strings.Contains(r.body, admin.Name+" created the site Clinic 59") {
			t.Fatalf("entries by the person named: %s", regexpFind(`<caption>(.*?)</caption>`, r.body))
		}
		if r := hc.get("/audit?from=2026-13-01"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "YYYY-MM-DD") {
			t.Fatalf("a bad date: %d", r.StatusCode)
		}
		if r := hc.get("/audit?actor=nobody@clinic.test"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("an unknown email: %d", r.StatusCode)
		}
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		if r := hc.get("/audit?action=site.create&from=" + today + "&to=" + today); !strings.Contains(r.body, "of 61 entries") {
			t.Fatalf("today's site entries: %s", regexpFind(`<caption>(.*?)</caption>`, r.body))
		}
		if r := hc.get("/audit?action=site.create&to=2000-01-01"); !strings.Contains(r.body, "No entries match") {
			t.Fatal("entries before 2000")
		}

		x := openXLSX(t, hc.get("/audit.xlsx?action=person.create"))
		rows, err := x.GetRows("Audit trail")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+5 || rows[0][0] != "Seq" || rows[0][2] != "Entry" || rows[0][3] != "Whose record" || rows[1][7] != "person.create" ||
			!strings.Contains(rows[1][11], "HYPERLINK") || rows[1][2] != admin.Name+" created "+evil.Name+"'s account" || rows[1][3] != evil.Name {
			t.Fatalf("xlsx rows: %d %v", len(rows), rows[:2])
		}
		if f, _ := x.GetCellFormula("Audit trail", "L2"); f != "" {
			t.Fatalf("a value became a formula: %q", f)
		}
		about, _ := x.GetRows("About")
		if !strings.Contains(fmt.Sprint(about), "action: person.create") || !strings.Contains(fmt.Sprint(about), hrP.Name) {
			t.Fatalf("About sheet: %v", about)
		}
		ex := audittest.Last(t, e.db, server.ActionExport)
		if ex.Actor != hrP.ID || !strings.Contains(ex.After, `"format":"xlsx"`) || !strings.Contains(ex.After, `"action":"person.create"`) {
			t.Fatalf("export entry %+v", ex)
		}

		res := hc.get("/audit.csv?entity_id=" + evil.ID)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[1][9] != evil.ID || !strings.Contains(recs[1][11], "HYPERLINK") || !strings.HasSuffix(recs[1][2], "'s account") {
			t.Fatalf("csv rows: %v", recs)
		}
		for _, row := range recs {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("a CSV cell starts like a formula: %q", cell)
				}
			}
		}
		if ex := audittest.Last(t, e.db, server.ActionExport); !strings.Contains(ex.After, `"format":"csv"`) {
			t.Fatalf("csv export entry %+v", ex)
		}
		if n := audittest.Count(t, e.db, server.ActionExport); n != 2 {
			t.Fatalf("%d export entries; want 2", n)
		}
		audittest.Intact(t, e.db)
	})
}

// Through the real pages: logins (and a failed one, with the email typed
// but not the password), calendar links, report and program downloads
// with their filters, and the logout are each recorded with the request's
// IP and id.
func TestSessionsLinksAndExportsAreAudited(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		dana := people["director@demo.test"]
		c := e.client()
		c.ip = "198.51.100.23"
		if r := c.login("director@demo.test", "a wrong password for sure"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
		ent := audittest.Last(t, e.db, "login.failed")
		if ent.Actor != "anonymous" || ent.EntityID != dana.ID || ent.IP != "198.51.100.23" || ent.RequestID == "" ||
			!strings.Contains(ent.After, "director@demo.test") || strings.Contains(ent.After, "wrong password for sure") {
			t.Fatalf("failed login entry %+v", ent)
		}
		if r := c.login("director@demo.test", demo.Password); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		if ent := audittest.Last(t, e.db, "login.success"); ent.Actor != dana.ID || ent.IP != "198.51.100.23" {
			t.Fatalf("login entry %+v", ent)
		}
		r := c.post("/account/calendar", nil)
		link := regexpFind(`/calendar/([A-Za-z0-9_-]+)\.ics`, r.body)
		ent = audittest.Last(t, e.db, "calendar_token.create")
		if link == "" || ent.Actor != dana.ID || strings.Contains(ent.After, link) {
			t.Fatalf("calendar entry %+v (link %q)", ent, link)
		}
		c.post("/account/calendar/revoke", nil)
		if rv := audittest.Last(t, e.db, "calendar_token.revoke"); rv.EntityID != ent.EntityID {
			t.Fatalf("calendar revoke entry %+v", rv)
		}

		if r := c.get("/reports/signoffs.xlsx?site=" + people["apprentice@demo.test"].SiteIDs[0]); r.StatusCode != 200 {
			t.Fatalf("report: %d", r.StatusCode)
		}
		ent = audittest.Last(t, e.db, server.ActionExport)
		if ent.EntityType != "report" || ent.EntityID != "/reports/signoffs" || ent.Actor != dana.ID || !strings.Contains(ent.After, "site=") {
			t.Fatalf("report export entry %+v", ent)
		}
		n := audittest.Count(t, e.db, server.ActionExport)
		if r := c.get("/reports/signoffs.xlsx?as_of=not-a-date"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad filter: %d", r.StatusCode)
		}
		if audittest.Count(t, e.db, server.ActionExport) != n {
			t.Fatal("a refused export was recorded")
		}
		prog := regexpFind(`href="/programs/([^"/]+)"`, c.get("/programs").body)
		if r := c.get("/programs/" + prog + "/v/1/export.yaml"); r.StatusCode != 200 {
			t.Fatalf("program export: %d", r.StatusCode)
		}
		if ent := audittest.Last(t, e.db, server.ActionExport); ent.EntityType != "program_version" || !strings.Contains(ent.After, `"format":"yaml"`) {
			t.Fatalf("program export entry %+v", ent)
		}
		c.post("/logout", nil)
		if ent := audittest.Last(t, e.db, "logout"); ent.Actor != dana.ID || ent.IP != "198.51.100.23" {
			t.Fatalf("logout entry %+v", ent)
		}
		audittest.Intact(t, e.db)
	})
}
