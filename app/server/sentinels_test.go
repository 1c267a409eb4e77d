package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// answered fails unless r has status and shows msg: in a page (escaped as
// the templates escape it) or in the JSON error's message or fields.
func answered(t *testing.T, what string, r response, status int, msg string) {
	t.Helper()
	shown := strings.Contains(r.body, msg) || strings.Contains(r.body, html.EscapeString(msg))
	var j struct {
		Error struct {
			Status  int               `json:"status"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(r.body), &j) == nil && j.Error.Status != 0 {
		if j.Error.Status != status {
			t.Errorf("%s: JSON says status %d, want %d", what, j.Error.Status, status)
		}
		shown = shown || strings.Contains(j.Error.Message, msg)
		for _, m := range j.Error.Fields {
			shown = shown || strings.Contains(m, msg)
		}
	}
	if r.StatusCode != status || !shown {
		body := r.body
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Errorf("%s: %d, want %d with %q\n%s", what, r.StatusCode, status, msg, body)
	}
}

// Every sentinel a user can cause reaches the status of its kind through a
// real request, with its message, on both engines.
func TestSentinelsReachTheirStatus(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		people := withDemo(t, e)
		jordan, sam := people["apprentice@demo.test"], people["apprentice2@demo.test"]
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		status := func(err error) int {
			// The documented table, written out so the test does not
			// reuse the code it checks.
			return map[errkind.Kind]int{errkind.Malformed: 400, errkind.Invalid: 422, errkind.Unauthenticated: 401,
				errkind.Forbidden: 403, errkind.NotFound: 404, errkind.Gone: 410, errkind.Conflict: 409, errkind.TooLarge: 413,
				errkind.Unsupported: 415, errkind.RateLimited: 429, errkind.Unavailable: 503}[errkind.KindOf(err)]
		}

		t.Run("accounts", func(t *testing.T) {
			anon := e.client()
			anon.get("/login")
			r := anon.post("/login", url.Values{"email": {"apprentice3@demo.test"}, "password": {"not the password at all"}})
			answered(t, "ErrBadCredentials", r, status(accounts.ErrBadCredentials), accounts.ErrBadCredentials.Error())

			if err := e.store.SetDisabled(ctx, people["graduate@demo.test"].ID, true); err != nil {
				t.Fatal(err)
			}
			r = anon.post("/login", url.Values{"email": {"graduate@demo.test"}, "password": {demo.Password}})
			answered(t, "ErrAccountDisabled", r, status(accounts.ErrAccountDisabled), accounts.ErrAccountDisabled.Error())

			answered(t, "ErrResetInvalid (page)", anon.get("/reset/no-such-link"), status(accounts.ErrResetInvalid), accounts.ErrResetInvalid.Error())
			r = anon.post("/reset/no-such-link", url.Values{"new": {"a long enough new passphrase"}, "confirm": {"a long enough new passphrase"}})
			answered(t, "ErrResetInvalid (post)", r, status(accounts.ErrResetInvalid), accounts.ErrResetInvalid.Error())

			me := e.client()
			me.login("apprentice3@demo.test", demo.Password)
			me.get("/account")
			for _, tc := range []struct {
				err error
				pw  string
			}{
				{password.ErrTooShort, "short one"},
				{password.ErrTooLong, strings.Repeat("long words ", 30)},
				{password.ErrCommon, "passwordpassword"},
				{password.ErrContext, "apprentice3 walks the dog daily"},
			} {
				r := me.post("/account/password", url.Values{"current": {demo.Password}, "new": {tc.pw}, "confirm": {tc.pw}})
				answered(t, "password policy", r, status(tc.err), tc.err.Error())
			}
		})

		t.Run("db and clearance", func(t *testing.T) {
			admin := e.client()
			admin.login("admin@demo.test", demo.Password)
			answered(t, "db.ErrNotFound", admin.do("GET", "/api/v1/programs/no-such-program/versions/1", nil, map[string]string{"Accept": "application/json"}),
				status(db.ErrNotFound), db.ErrNotFound.Error())

			admin.get("/admin/people/new")
			site := regexpFind(`name="sites" value="([^"]+)"`, admin.get("/admin/people/new").body)
			r := admin.post("/admin/people", url.Values{"name": {"Someone Else"}, "email": {"apprentice@demo.test"}, "roles": {"apprentice"}, "sites": {site}})
			answered(t, "db.ErrConflict", r, status(db.ErrConflict), "Someone already has this email")

			r = admin.do("GET", "/api/v1/clearances?person="+people["admin@demo.test"].ID, nil, map[string]string{"Accept": "application/json"})
			answered(t, "clearance.ErrNotEnrolled", r, status(clearance.ErrNotEnrolled), clearance.ErrNotEnrolled.Error())
		})

		// Versions 1 and 2 of the program, so there is somewhere to move to.
		st := programs.NewStore(e.db)
		list, err := st.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		prog := list[0]
		v2, err := st.StartDraft(ctx, prog.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(ctx, v2.ID, v2.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		v1, err := st.Version(ctx, prog.ID, 1)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("evidence", func(t *testing.T) {
			_, mdTok := mustToken(t, e, people["physician@demo.test"].ID)
			var ens struct{ Enrollments []struct{ ID string } }
			decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, mdTok, ""), &ens)
			if len(ens.Enrollments) != 1 {
				t.Fatalf("Jordan's enrollments: %+v", ens)
			}
			old := "/api/v1/enrollments/" + ens.Enrollments[0].ID
			// MED-REFILL was signed off for Jordan by this physician.
			r := apiCall(e, "POST", old+"/signoffs", mdTok, `{"idempotency_key":"sentinel-sign-01","competency":"MED-REFILL","password":"`+demo.Password+`"}`)
			answered(t, "ErrAlreadySignedOff", r, status(assessments.ErrAlreadySignedOff), "already signed off")
			if !strings.Contains(r.body, `"code":"already_signed_off"`) {
				t.Errorf("the API does not name the rule's code: %s", r.body)
			}

			dir := e.client()
			dir.login("director@demo.test", demo.Password)
			page := dir.get("/people/" + sam.ID + "/move")
			form := formFromPage(t, page.body)
			if form.Get("to") != v2.ID {
				t.Fatalf("the move page offers %q, want version 2 (%s)", form.Get("to"), v2.ID)
			}
			notNewer := url.Values{"_csrf": {form.Get("_csrf")}, "key": {form.Get("key")}, "to": {v1.ID}, "effective_on": {today}}
			answered(t, "ErrNotNewer", dir.post("/people/"+sam.ID+"/move", notNewer), status(evidence.ErrNotNewer), evidence.ErrNotNewer.Error())
			beforeHire := url.Values{"_csrf": {form.Get("_csrf")}, "key": {form.Get("key")}, "to": {v2.ID}, "effective_on": {"2001-01-01"}}
			answered(t, "ErrMoveBeforeHire", dir.post("/people/"+sam.ID+"/move", beforeHire), status(evidence.ErrMoveBeforeHire), evidence.ErrMoveBeforeHire.Error())

			// Jordan moves to version 2; the old enrollment takes nothing more.
			page = dir.get("/people/" + jordan.ID + "/move")
			if r := dir.post("/people/"+jordan.ID+"/move", formFromPage(t, page.body)); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("move Jordan: %d", r.StatusCode)
			}
			_, precTok := mustToken(t, e, people["preceptor@demo.test"].ID)
			r = apiCall(e, "POST", old+"/observations", precTok, `{"idempotency_key":"sentinel-obs-01","competency":"PHL-VENI","performed_on":"`+today+`","steps":`+stepsJSON("PHL-VENI")+`}`)
			answered(t, "ErrMoved", r, status(evidence.ErrMoved), evidence.ErrMoved.Error())
		})

		t.Run("programs", func(t *testing.T) {
			dir := e.client()
			dir.login("director@demo.test", demo.Password)
			dir.get("/programs/" + prog.ID)
			if r := dir.post("/programs/"+prog.ID+"/drafts", nil); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("start a draft: %d", r.StatusCode)
			}
			answered(t, "ErrDraftExists", dir.post("/programs/"+prog.ID+"/drafts", nil), status(programs.ErrDraftExists), programs.ErrDraftExists.Error())
			r := dir.post("/programs/"+prog.ID+"/v/3/publish", url.Values{"lock": {"987654"}})
			answered(t, "ErrStale", r, status(programs.ErrStale), programs.ErrStale.Error())
			r = dir.post("/programs/"+prog.ID+"/v/1/publish", url.Values{"lock": {"1"}})
			answered(t, "curriculum.ErrPublished", r, status(curriculum.ErrPublished), curriculum.ErrPublished.Error())

			// A program whose only version, a draft, was discarded.
			v, err := curriculum.MedicalAssistantProgram()
			if err != nil {
				t.Fatal(err)
			}
			v.Program.Code = "MA-PILOT"
			draft, err := st.Create(ctx, v, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.DiscardDraft(ctx, draft.ID); err != nil {
				t.Fatal(err)
			}
			answered(t, "ErrNoPublished", dir.post("/programs/"+draft.ProgramID+"/drafts", nil), status(programs.ErrNoPublished), programs.ErrNoPublished.Error())
		})

		t.Run("credentials and import", func(t *testing.T) {
			hr := e.client()
			hr.login("hr@demo.test", demo.Password)
			_, hrTok := mustToken(t, e, people["hr@demo.test"].ID)
			r := apiCall(e, "POST", "/api/v1/people/"+sam.ID+"/credentials", hrTok, `{"type":"BLS","issued_on":"2026-01-02","expires_on":"2025-12-31"}`)
			answered(t, "credentials.ErrInvalid", r, status(credentials.ErrInvalid), "before the issue date")

			hr.get("/people/" + sam.ID + "/credentials")
			fields := map[string]string{"type": "BLS", "issued_on": today}
			r = postMultipart(hr, "/people/"+sam.ID+"/credentials", fields, []byte("<html><script>x</script></html>"), "card.pdf")
			answered(t, "ErrFileType", r, status(credentials.ErrFileType), credentials.ErrFileType.Error())
			r = postMultipart(hr, "/people/"+sam.ID+"/credentials", fields, []byte{}, "card.pdf")
			answered(t, "ErrFileEmpty", r, status(credentials.ErrFileEmpty), credentials.ErrFileEmpty.Error())
			big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), credentials.MaxFileSize)...)
			r = postMultipart(hr, "/people/"+sam.ID+"/credentials", fields, big, "card.pdf")
			if r.StatusCode != status(credentials.ErrFileTooLarge) {
				t.Errorf("ErrFileTooLarge: %d, want %d", r.StatusCode, status(credentials.ErrFileTooLarge))
			}

			r = apiCall(e, "POST", "/api/v1/people/"+sam.ID+"/credentials", hrTok, `{"type":"BLS","issued_on":"`+today+`"}`)
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("add a credential: %d %s", r.StatusCode, r.body)
			}
			var rec struct{ ID string }
			decode(t, r, &rec)
			verify := "/people/" + sam.ID + "/credentials/" + rec.ID + "/verify"
			hr.get("/people/" + sam.ID + "/credentials")
			if r := hr.post(verify, url.Values{"method": {"checked the AHA eCard site"}}); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("verify: %d", r.StatusCode)
			}
			r = hr.post(verify, url.Values{"method": {"checked again"}})
			answered(t, "ErrAlreadyVerified", r, status(credentials.ErrAlreadyVerified), credentials.ErrAlreadyVerified.Error())

			hr.get("/hr/import")
			r = postMultipart(hr, "/hr/import", nil, []byte("employee_id,name\n\xff\xfe,bad bytes\n"), "people.csv")
			answered(t, "ErrUnreadable", r, status(credentials.ErrUnreadable), credentials.ErrUnreadable.Error())

			var zbuf bytes.Buffer
			zw := zip.NewWriter(&zbuf)
			for i := range 501 {
				w, _ := zw.Create(fmt.Sprintf("xl/part%d.xml", i))
				w.Write([]byte("<x/>"))
			}
			zw.Close()
			r = postMultipart(hr, "/hr/import", nil, zbuf.Bytes(), "people.xlsx")
			answered(t, "ErrUnsafeArchive", r, status(credentials.ErrUnsafeArchive), "built in a way Skillgate does not open")

			var many strings.Builder
			many.WriteString("employee_id,name,email,role,site\n")
			for i := range credentials.MaxRows + 1 {
				fmt.Fprintf(&many, "E-%d,Person %d,p%d@demo.test,apprentice,Riverside Family Medicine\n", i, i, i)
			}
			r = postMultipart(hr, "/hr/import", nil, []byte(many.String()), "people.csv")
			answered(t, "ErrTooManyRows", r, status(credentials.ErrTooManyRows), credentials.ErrTooManyRows.Error())

			// A bad date is one row's problem: the preview lists it and
			// answers 422 for the file as a whole.
			bad := "employee_id,name,email,role,site,credential_type,issuing_body,number,issued_on,expires_on,verified\n" +
				"E-1,Ana Bell,ana@demo.test,apprentice,Riverside Family Medicine,BLS,AHA,1,2026-01-10,13/2027,yes\n"
			r = postMultipart(hr, "/hr/import", nil, []byte(bad), "people.csv")
			answered(t, "credentials.ErrBadDate", r, http.StatusUnprocessableEntity, credentials.ErrBadDate.Error())
		})

		t.Run("reports", func(t *testing.T) {
			rename(t, e, sam.ID, strings.Repeat("S", 32768))
			hr := e.client()
			hr.login("hr@demo.test", demo.Password)
			r := hr.get("/reports/certifications.xlsx")
			answered(t, "reports.ErrCellTooLong", r, status(reports.ErrCellTooLong), "longer than a spreadsheet cell holds")
		})
	})
}
