package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

// The draft's wage schedule form: the shipped steps come filled in; a step
// paying less than the one before comes back with the message next to it
// and what was typed; a step added in a blank row is saved and shown.
func TestDirectorEditsTheWageSchedule(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := withProgram(t, e)
		e.person("dir@example.test", accounts.RoleDirector)
		c := e.client()
		c.mustLogin("dir@example.test")
		c.get("/programs/" + id + "/v/1")
		c.post("/programs/"+id+"/drafts", nil)
		edit := c.get("/programs/" + id + "/v/2/wages/edit")
		if edit.StatusCode != 200 || !strings.Contains(edit.body, `value="72.5"`) {
			t.Fatalf("edit page: %d", edit.StatusCode)
		}
		form := formFromPage(t, edit.body)
		form["percent_1"][0] = "60"
		r := c.post("/programs/"+id+"/v/2/wages", form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "each step must pay more than the one before ($13.20 after $14.30)") ||
			!strings.Contains(r.body, `value="60"`) {
			t.Fatalf("a lower step: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		form["percent_1"][0] = "72.5"
		form["title_4"][0], form["percent_4"][0], form["ojl_hours_4"][0] = "Step 5", "95", "3500"
		if r := c.post("/programs/"+id+"/v/2/wages", form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", r.StatusCode, problemsOf(r.body))
		}
		page := c.get("/programs/" + id + "/v/2")
		if tableRow(page.body, "Step 5", "95% of the journeyworker rate ($20.90 an hour)", "3,500 approved OJL hours") == "" {
			t.Fatalf("the version page lacks the new step:\n%s", page.body)
		}
	})
}
