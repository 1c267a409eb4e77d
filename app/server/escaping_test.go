package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

const (
	scriptName  = "<script>alert(1)</script>"
	escapedName = "&lt;script&gt;alert(1)&lt;/script&gt;"
	formulaName = `=HYPERLINK("http://evil.test","click")`
)

// rename changes a demo person's name in the database (there is no page
// for it) so every page and export shows the hostile one.
func rename(t *testing.T, e *env, id, name string) {
	t.Helper()
	if _, err := e.db.NewRaw("UPDATE users SET name = ? WHERE id = ?", name, id).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// An apprentice named <script>alert(1)</script> is text on every page that
// shows people, whoever looks, and a literal cell in every export; so is a
// name that looks like a spreadsheet formula.
func TestHostileNamesRenderAsText(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan, sam, priya := people["apprentice@demo.test"], people["apprentice2@demo.test"], people["preceptor@demo.test"]
		rename(t, e, jordan.ID, scriptName)
		rename(t, e, sam.ID, formulaName)
		// Something in Priya's review queue from Jordan.
		svc := evidence.NewService(e.db, programs.NewStore(e.db))
		svc.Now = e.clock.Now
		ens, err := svc.Store.Enrollments(t.Context(), evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("enrollment: %v", err)
		}
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
		jordan.Name = scriptName
		if _, _, err := svc.LogPerformance(t.Context(), records(t, svc, ens[0].ID), evidence.ActorOf(jordan), assessments.SelfLogRequest{
			IdempotencyKey: "escape-1", Competency: "VS-VITALS", PerformedOn: today, SupervisorID: priya.ID}); err != nil {
			t.Fatal(err)
		}
		h, _, err := svc.LogHours(t.Context(), records(t, svc, ens[0].ID), evidence.ActorOf(jordan), assessments.HoursRequest{IdempotencyKey: "escape-2",
			Kind: assessments.OJL, Code: "PT-CARE", WorkedOn: today, Minutes: 6 * 60, SupervisorID: priya.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.ReviewHours(t.Context(), h.ID, evidence.ActorOf(priya), true, ""); err != nil {
			t.Fatal(err)
		}
		enr := "/enrollments/" + ens[0].ID
		login := func(email string) *client {
			c := e.client()
			if r := c.login(email, demo.Password); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("login %s: %d", email, r.StatusCode)
			}
			return c
		}
		admin, hr, dir, prec, appr := login("admin@demo.test"), login("hr@demo.test"), login("director@demo.test"),
			login("preceptor@demo.test"), login("apprentice@demo.test")
		pages := []struct {
			who  *client
			path string
		}{
			{admin, "/admin/people"},
			{admin, "/admin/people?q=script"},
			{admin, "/admin/people/" + jordan.ID},
			{hr, "/people/" + jordan.ID + "/clearance"},
			{hr, "/people/" + jordan.ID + "/credentials"},
			{hr, "/hr"},
			{hr, "/reports/certifications"},
			{hr, "/reports/clearances"},
			{hr, "/reports/signoffs"},
			{hr, "/reports/progress"},
			{hr, "/reports/hours"},
			{dir, "/cohort"},
			{dir, enr},
			{dir, "/people/" + jordan.ID + "/clearance"},
			{prec, "/"},
			{prec, "/review"},
			{prec, enr},
			{prec, enr + "/observe/PHL-VENI"},
			{prec, enr + "/signoff/PHL-VENI"},
			{appr, "/"},
			{appr, "/clearance"},
			{appr, enr},
		}
		for _, p := range pages {
			r := p.who.get(p.path)
			if r.StatusCode != http.StatusOK {
				t.Errorf("%s: %d", p.path, r.StatusCode)
				continue
			}
			if strings.Contains(r.body, scriptName) {
				t.Errorf("%s: the name's markup reached the page", p.path)
			}
			if !strings.Contains(r.body, escapedName) {
				t.Errorf("%s: the name is not shown (escaped)", p.path)
			}
		}
		// The sign-off register shows the apprentice's name from the
		// signature; sign one off for Jordan so the register has him.
		form := prec.get(enr + "/signoff/SAF-EMERG")
		key := regexpFind(`name="key" value="([^"]+)"`, form.body)
		prec.post(enr+"/signoff/SAF-EMERG", url.Values{"key": {key}, "password": {demo.Password}})

		for _, name := range []string{"certifications", "clearances", "signoffs", "progress", "hours"} {
			f := openXLSX(t, hr.get("/reports/"+name+".xlsx"))
			literal, formula := false, false
			for _, sheet := range f.GetSheetList() {
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				for i, row := range rows {
					for j, cell := range row {
						ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
						if strings.Contains(cell, "&lt;") {
							t.Errorf("%s.xlsx %s!%s holds HTML-escaped text %q", name, sheet, ref, cell)
						}
						literal = literal || cell == scriptName
						if cell == formulaName {
							formula = true
							if fm, _ := f.GetCellFormula(sheet, ref); fm != "" {
								t.Errorf("%s.xlsx %s!%s is a formula %q", name, sheet, ref, fm)
							}
						}
					}
				}
			}
			if !literal {
				t.Errorf("%s.xlsx: no cell holds the name %q as written", name, scriptName)
			}
			// Sam has no hours and no signatures.
			if !formula && name != "hours" && name != "signoffs" {
				t.Errorf("%s.xlsx: no cell holds the name %q as written", name, formulaName)
			}
		}
	})
}

// Secrets never reach the log: passwords (login, signing, reset), session
// cookies, CSRF tokens, API tokens (good and bad), password-link codes and
// calendar-feed codes, through every path that uses them.
func TestSecretsNeverLogged(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		var secrets []string

		// Login with a password, a failed one, and pages with the cookie.
		c := e.client()
		c.login("preceptor@demo.test", "a wrong password typed here")
		secrets = append(secrets, "a wrong password typed here", demo.Password)
		if r := c.login("preceptor@demo.test", demo.Password); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		c.get("/")
		page := c.get("/people/" + jordan.ID + "/clearance")
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, page.body)
		secrets = append(secrets, c.cookies["sg_session"], c.cookies["sg_csrf"], c.csrf)
		// A signature: the password again.
		form := c.get(enr + "/signoff/SAF-EMERG")
		c.post(enr+"/signoff/SAF-EMERG", url.Values{"key": {regexpFind(`name="key" value="([^"]+)"`, form.body)}, "password": {demo.Password}})
		secrets = append(secrets, c.cookies["sg_session"]) // a new session id after signing

		// An API token: made, used, used wrongly, revoked.
		_, tok, err := e.store.CreateToken(t.Context(), jordan.ID, "phone", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok, tok[:len(tok)-1]+"x")
		apiCall(e, "GET", "/api/v1/me", tok, "")
		apiCall(e, "GET", "/api/v1/clearances?person="+jordan.ID, tok, "")
		apiCall(e, "GET", "/api/v1/me", tok[:len(tok)-1]+"x", "")
		// A token may not make another; a session makes one with the password.
		apiCall(e, "POST", "/api/v1/tokens", tok, `{"name":"second","days":1,"password":"`+demo.Password+`"}`)
		c.get("/account")
		r := c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"second","days":1,"password":"`+demo.Password+`"}`),
			map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-Csrf-Token": c.csrf})
		second := regexpFind(`"token":"([^"]+)"`, r.body)
		if second == "" {
			t.Fatalf("a token made with a session: %d %s", r.StatusCode, r.body)
		}
		secrets = append(secrets, second)

		// A password link, opened and used.
		admin := e.client()
		admin.login("admin@demo.test", demo.Password)
		admin.get("/admin/people/" + jordan.ID)
		link := regexpFind(`/reset/([A-Za-z0-9_-]+)`, admin.post("/admin/people/"+jordan.ID+"/reset", nil).body)
		if link == "" {
			t.Fatal("no reset link")
		}
		secrets = append(secrets, link)
		anon := e.client()
		anon.get("/reset/" + link)
		newPassword := "a brand new passphrase for jordan"
		anon.post("/reset/"+link, url.Values{"new": {newPassword}, "confirm": {newPassword}})
		anon.get("/reset/" + link) // used: 404, still not logged
		secrets = append(secrets, newPassword)

		// A calendar feed, made and fetched, and a wrong one.
		ap := e.client()
		ap.login("apprentice@demo.test", newPassword)
		cal := regexpFind(`/calendar/([A-Za-z0-9_-]+)\.ics`, ap.post("/account/calendar", nil).body)
		if cal == "" {
			t.Fatal("no calendar link")
		}
		secrets = append(secrets, cal, ap.cookies["sg_session"])
		e.client().get("/calendar/" + cal + ".ics")
		e.client().get("/calendar/" + cal + "x.ics")
		// A password change.
		ap.get("/account")
		changed := "another passphrase for jordan here"
		ap.post("/account/password", url.Values{"current": {newPassword}, "new": {changed}, "confirm": {changed}})
		secrets = append(secrets, changed)

		logs := e.logText()
		if !strings.Contains(logs, "/reset/[redacted]") || !strings.Contains(logs, "/calendar/[redacted]") || !strings.Contains(logs, "login failed") {
			t.Fatalf("the log does not show the requests (so this test proves nothing):\n%s", logs)
		}
		for _, s := range secrets {
			if len(s) < 8 {
				t.Fatalf("a secret was not captured: %q", s)
			}
			if strings.Contains(logs, s) {
				t.Errorf("the log holds a secret %q", s)
			}
		}
	})
}
