package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/demo"
)

// TestApprenticeOwnPages: the demo apprentices' own pages say what a
// person would look for. Sam has no BLS card yet and is told so on home;
// Jordan's BLS expires soon, which is a reminder, not a reason on every
// task; "My progress" groups by domain and filters by state; a self-log
// appears in "My submissions" at once, and a rejection there carries its
// reason.
func TestApprenticeOwnPages(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		sam := e.client()
		sam.login("apprentice2@demo.test", demo.Password)
		if home := sam.get("/").body; !strings.Contains(home, "No Basic Life Support (AHA or equivalent) on file yet") || strings.Contains(home, "Nothing is due") {
			t.Errorf("Sam has no BLS card, and home does not say so:\n%s", regexpFind(`(?s)(<section class="card">\s*<h2>Your next steps.*?</section>)`, home))
		}

		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		home := ap.get("/").body
		if !strings.Contains(home, "Your next steps") || !strings.Contains(home, "Basic Life Support (AHA or equivalent) expires") {
			t.Errorf("Jordan's home does not remind of the BLS expiring:\n%s", regexpFind(`(?s)(<section class="card">\s*<h2>Your next steps.*?</section>)`, home))
		}
		may := ap.get("/clearance").body
		if n := strings.Count(may, `<li id="t-`); n < 30 {
			t.Fatalf("What I may do lists %d task cards", n)
		}
		if strings.Contains(regexpFind(`(?s)(<div id="tasks">.*)`, may), "Basic Life Support") {
			t.Error("a BLS card that merely expires soon is given as a reason on the tasks")
		}
		if found := ap.get("/clearance?q=venip").body; strings.Count(found, `<li id="t-`) != 1 || !strings.Contains(found, `id="t-VENIPUNCTURE"`) {
			t.Errorf("the task search for venip finds %d cards", strings.Count(found, `<li id="t-`))
		}

		enr := ap.get("/progress").Header.Get("Location")
		page := ap.get(enr).body
		for _, want := range []string{"<h2>Clinical</h2>", "<h2>Laboratory</h2>", "<h2>Administrative</h2>", "<h2>Safety</h2>", "Signed off (", "Not started ("} {
			if !strings.Contains(page, want) {
				t.Errorf("My progress lacks %q", want)
			}
		}
		if strings.Contains(page, `<section class="card competency"`) {
			t.Error("My progress shows every competency's full card by default")
		}
		if one := ap.get(enr + "?c=PHL-VENI").body; strings.Count(one, `<section class="card competency"`) != 1 || !strings.Contains(one, `id="c-PHL-VENI"`) {
			t.Error("?c=PHL-VENI does not show venipuncture's full record")
		}
		signed := ap.get(enr + "?show=signed_off").body
		if strings.Contains(signed, "status-in_progress") || !strings.Contains(signed, "status-signed_off") {
			t.Error("the signed-off filter shows other states, or none signed off")
		}

		priya := people["preceptor@demo.test"]
		keys := regexpAll(`name="key" value="([^"]+)"`, page)
		r := ap.post(enr+"/selflogs", url.Values{"key": {keys[0]}, "competency": {"PHL-VENI"}, "performed_on": {e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")},
			"supervisor": {priya.ID}, "comments": {"left arm"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("self-log: %d", r.StatusCode)
		}
		if after := ap.get(r.Header.Get("Location")).body; !strings.Contains(regexpFind(`(?s)(<section class="card" aria-labelledby="h-waiting">.*?</section>)`, after), "Venipuncture") {
			t.Error("the self-log is not listed right after sending it")
		}
		if subs := ap.get("/submissions").body; !strings.Contains(subs, "Waiting for your preceptor (1)") || !strings.Contains(subs, "Waiting for verification") {
			t.Error("My submissions does not list the self-log as waiting")
		}
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		id := regexpFind(`action="/review/selflogs/([^"]+)"`, pc.get("/review").body)
		if r := pc.post("/review/selflogs/"+id, url.Values{"decision": {"reject"}, "reason": {"not under my supervision that day"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: %d", r.StatusCode)
		}
		subs := ap.get("/submissions").body
		if !strings.Contains(subs, "Rejected") || !strings.Contains(subs, "not under my supervision that day") || !strings.Contains(subs, "Waiting for your preceptor (0)") {
			t.Errorf("My submissions does not show the rejection with its reason:\n%s", regexpFind(`(?s)(<main.*</main>)`, subs))
		}
	})
}
