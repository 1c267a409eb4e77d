package server_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// withProgram stores the shipped program, published, and returns its id.
func withProgram(t *testing.T, e *env) string {
	t.Helper()
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	if !v.IsPublished() {
		if err := v.Publish(e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := programs.NewStore(e.db).Create(context.Background(), v, "")
	if err != nil {
		t.Fatal(err)
	}
	return sv.ProgramID
}

func upload(c *client, path, field, name string, data []byte) response {
	c.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", c.csrf)
	fw, _ := w.CreateFormFile(field, name)
	fw.Write(data)
	w.Close()
	return c.do("POST", path, &buf, map[string]string{"Content-Type": w.FormDataContentType()})
}

func TestEveryoneReadsThePublishedProgram(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := withProgram(t, e)
		e.person("ap@example.test", accounts.RoleApprentice)
		c := e.client()
		c.mustLogin("ap@example.test")
		list := c.get("/programs")
		if list.StatusCode != 200 || !strings.Contains(list.body, "Medical Assistant") || strings.Contains(list.body, "Import a program file") {
			t.Fatalf("apprentice's program list: %d", list.StatusCode)
		}
		r := c.get("/programs/" + id)
		if r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/v/1") {
			t.Fatalf("program redirect: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		page := c.get("/programs/" + id + "/v/1")
		for _, want := range []string{"Venipuncture", "Critical", "BLS", "within 90 days of hire", "signed off and current"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("version page lacks %q", want)
			}
		}
		if strings.Contains(page.body, "Start a new draft") {
			t.Error("an apprentice is offered to start a draft")
		}
		exp := c.get("/programs/" + id + "/v/1/export.yaml")
		if exp.StatusCode != 200 || !strings.HasPrefix(exp.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("export: %d %q", exp.StatusCode, exp.Header.Get("Content-Disposition"))
		}
		back, err := curriculum.ParseProgram([]byte(exp.body))
		if err != nil || back.Program.Code == "" || len(back.Program.Tasks) == 0 {
			t.Fatalf("exported file does not import: %v", err)
		}
		// Designing is for directors and admins, checked on the server.
		c.get("/programs/" + id + "/v/1")
		if r := c.post("/programs/"+id+"/drafts", nil); r.StatusCode != http.StatusForbidden {
			t.Fatalf("apprentice starting a draft: %d", r.StatusCode)
		}
		api := apiCall(e, "GET", "/api/v1/programs/"+id+"/versions/1", "", "")
		if api.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous API read: %d", api.StatusCode)
		}
	})
}

func TestDirectorDraftsChangesCountAndPublishes(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := withProgram(t, e)
		e.person("dir@example.test", accounts.RoleDirector)
		e.person("ap2@example.test", accounts.RoleApprentice)
		c := e.client()
		c.mustLogin("dir@example.test")
		c.get("/programs/" + id + "/v/1")
		r := c.post("/programs/"+id+"/drafts", nil)
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/v/2") {
			t.Fatalf("start draft: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		// Apprentices cannot see the draft at all.
		ap := e.client()
		ap.mustLogin("ap2@example.test")
		if r := ap.get("/programs/" + id + "/v/2"); r.StatusCode != http.StatusNotFound {
			t.Fatalf("apprentice sees the draft: %d", r.StatusCode)
		}

		edit := c.get("/programs/" + id + "/v/2/competencies/PHL-VENI/edit")
		if edit.StatusCode != 200 {
			t.Fatalf("edit page: %d", edit.StatusCode)
		}
		form := formFromPage(t, edit.body)
		form["perf_count"][0] = "12" // the first row: the whole-competency count
		if r := c.post("/programs/"+id+"/v/2/competencies/PHL-VENI", form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save competency: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		// A second save from the same (now stale) form is refused.
		if r := c.post("/programs/"+id+"/v/2/competencies/PHL-VENI", form); r.StatusCode != http.StatusConflict {
			t.Fatalf("stale save: %d", r.StatusCode)
		}
		// Bad numbers are reported, not turned into zeros.
		fresh := formFromPage(t, c.get("/programs/"+id+"/v/2/competencies/PHL-VENI/edit").body)
		fresh["perf_count"][0] = "ten"
		if r := c.post("/programs/"+id+"/v/2/competencies/PHL-VENI", fresh); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "whole number") {
			t.Fatalf("bad count: %d", r.StatusCode)
		}
		page := c.get("/programs/" + id + "/v/2")
		lock := formValue(page.body, "lock")
		if r := c.post("/programs/"+id+"/v/2/publish", url.Values{"lock": {lock}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		st := programs.NewStore(e.db)
		v1, _ := st.Version(context.Background(), id, 1)
		v2, _ := st.Version(context.Background(), id, 2)
		if v1.Version.Program.Competency("PHL-VENI").Performances[0].Count == 12 || v2.Version.Program.Competency("PHL-VENI").Performances[0].Count != 12 {
			t.Fatal("the new count is not only in version 2")
		}
		if r := c.get("/programs/" + id + "/v/2/competencies/PHL-VENI/edit"); r.StatusCode != http.StatusConflict {
			t.Fatalf("editing a published version: %d", r.StatusCode)
		}
	})
}

func TestImportReportsEveryProblemAndChangesNothing(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("dir2@example.test", accounts.RoleDirector)
		c := e.client()
		c.mustLogin("dir2@example.test")
		c.get("/programs")
		bad := []byte("format: skillgate-program/1\nnumber: 1\nstatus: draft\nprogram:\n  code: X\n  title: \"\"\n  critcal: true\n")
		r := upload(c, "/programs/import", "file", "bad.yaml", bad)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Line ") || !strings.Contains(r.body, "critcal") {
			t.Fatalf("malformed import: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		if ps, _ := programs.NewStore(e.db).List(context.Background()); len(ps) != 0 {
			t.Fatal("a refused import stored a program")
		}
		good := curriculum.MedicalAssistantProgramFile()
		r = upload(c, "/programs/import", "file", "ma.yaml", good)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("good import: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		if r := upload(c, "/programs/import", "file", "ma.yaml", good); r.StatusCode != http.StatusConflict {
			t.Fatalf("second import while a draft exists: %d", r.StatusCode)
		}
	})
}

// formFromPage collects the named inputs of the first POST form with a
// lock field, as a browser would submit them (checked boxes only).
func formFromPage(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(body, -1) {
		tag := m[0]
		name := attr(tag, "name")
		if name == "" || name == "_csrf" {
			continue
		}
		typ := attr(tag, "type")
		if (typ == "checkbox" || typ == "radio") && !strings.Contains(tag, " checked") {
			continue
		}
		v.Add(name, htmlUnescape(attr(tag, "value")))
	}
	for _, m := range selectRE.FindAllStringSubmatch(body, -1) {
		name := attr(m[1], "name")
		sel := selectedRE.FindStringSubmatch(m[2])
		if sel != nil {
			v.Add(name, htmlUnescape(sel[1]))
		} else if first := optionRE.FindStringSubmatch(m[2]); first != nil {
			v.Add(name, htmlUnescape(first[1]))
		}
	}
	for _, m := range textareaRE.FindAllStringSubmatch(body, -1) {
		v.Add(attr(m[1], "name"), htmlUnescape(m[2]))
	}
	return v
}

func formValue(body, name string) string {
	return htmlUnescape(regexpFind(`name="`+name+`" value="([^"]*)"`, body))
}

func problemsOf(body string) string {
	return regexpFind(`(?s)(<div class="flash flash-error".*?</div>)`, body)
}

func TestDirectorAddsAndRemovesItems(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := withProgram(t, e)
		e.person("dir3@example.test", accounts.RoleDirector)
		c := e.client()
		c.mustLogin("dir3@example.test")
		c.get("/programs/" + id + "/v/1")
		c.post("/programs/"+id+"/drafts", nil)
		base := "/programs/" + id + "/v/2"
		lock := func() string { return formValue(c.get(base).body, "lock") }

		r := c.post(base+"/competencies", url.Values{"lock": {lock()}, "code": {"phl-art"}, "title": {"Arterial puncture"}, "domain": {"clinical"}})
		if r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/competencies/PHL-ART/edit") {
			t.Fatalf("add competency: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), problemsOf(r.body))
		}
		if r := c.post(base+"/competencies", url.Values{"lock": {lock()}, "code": {"PHL-ART"}, "title": {"Again"}, "domain": {"clinical"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already exists") {
			t.Fatalf("duplicate code: %d", r.StatusCode)
		}
		r = c.post(base+"/competencies/SAF-INFECT/remove", url.Values{"lock": {lock()}})
		if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "as a prerequisite") {
			t.Fatalf("removing a prerequisite: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		if r := c.post(base+"/tasks/GAIT-TRAINING/remove", url.Values{"lock": {lock()}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove task: %d", r.StatusCode)
		}
		v, _ := programs.NewStore(e.db).Version(context.Background(), id, 2)
		if v.Version.Program.Competency("PHL-ART") == nil || v.Version.Program.Task("GAIT-TRAINING") != nil || v.Version.Program.Competency("SAF-INFECT") == nil {
			t.Fatal("the draft does not hold the additions and removals")
		}
		old, _ := programs.NewStore(e.db).Version(context.Background(), id, 1)
		if old.Version.Program.Task("GAIT-TRAINING") == nil {
			t.Fatal("removing from the draft changed the published version")
		}
	})
}
