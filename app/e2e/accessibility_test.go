package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
)

// axeSource reads axe-core as installed from app/e2e/axe (npm ci there;
// .ci/run does it). Locally the test skips with a message without it.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed (cd app/e2e/axe && npm ci): %v", err)
		}
		t.Skip("accessibility pass skipped: run `cd app/e2e/axe && npm ci` to install axe-core")
	}
	return string(b)
}

type axeResult struct {
	Passes     []struct{ ID string } `json:"passes"`
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
}

// checkPage runs axe (WCAG 2 A and AA rules) on the current page and
// fails on any violation; it also checks that the page's CSS and script
// stay under 100 KB.
func (b *browser) checkPage(axe string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		b.t.Fatalf("inject axe: %v", err)
	}
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe: %v", err)
	}
	if len(res.Passes) < 10 {
		b.t.Fatalf("axe checked only %d rules on %s; the pass did not run", len(res.Passes), b.location())
	}
	for _, v := range res.Violations {
		var where []string
		for _, n := range v.Nodes {
			for _, t := range n.Target {
				if s, ok := t.(string); ok {
					where = append(where, s)
				}
			}
		}
		b.t.Errorf("%s: %s (%s) %s at %s", b.location(), v.ID, v.Impact, v.Help, strings.Join(where, ", "))
	}
	weight, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource")
		.filter(e => /\.(css|js)(\?|$)/.test(e.name) && !e.name.includes("axe"))
		.reduce((n, e) => n + (e.decodedBodySize || 0), 0)`))
	if err != nil {
		b.t.Fatal(err)
	}
	if weight > 100*1024 {
		b.t.Errorf("%s ships %d bytes of CSS and script; the budget is 100 KB", b.location(), weight)
	}
}

// TestAccessibility runs axe on the main page of every role. The pages
// are the same on both engines, so one (SQLite) is enough here.
func TestAccessibility(t *testing.T) {
	requireChromium(t)
	axe := axeSource(t)
	s := startServer(t, db.SQLite, nil)
	pages := map[string][]string{
		"":                     {"/login", "/verify/aaaaaaaaaaaaaaaaaaaaaaaaaa"},
		"apprentice@demo.test": {"/", "/clearance", "/clearance?q=veni", "/progress", "/submissions", "/notifications", "/account", "/account/second-factor", "/programs"},
		"preceptor@demo.test":  {"/", "/review", "/review?q=jordan", "/sessions/new", "/people"},
		"director@demo.test":   {"/", "/cohort", "/cohort?sort=progress&dir=desc", "/cohort/closest", "/cohort/closest?task=INJECTIONS", "/programs", "/people"},
		"hr@demo.test":         {"/", "/hr", "/hr?status=expired&credential=BLS", "/hr/import", "/audit", "/audit?whose=Jordan+Lee", "/people", "/people?q=jordan&sort=program&dir=desc", "/reports/signoffs", "/reports/hours", "/reports/wages", "/reports/rapids"},
		"admin@demo.test":      {"/admin/people", "/admin/people/new", "/admin/webhooks", "/admin/scim", "/admin/sso"},
	}
	for who, paths := range pages {
		b := newBrowser(t, s, desktop)
		if who != "" {
			b.login(who, demo.Password)
		}
		for _, p := range paths {
			b.open(p)
			b.checkPage(axe)
		}
	}
	// A person's hire date and its history, through the administrator's
	// person page.
	{
		b := newBrowser(t, s, desktop)
		b.login("admin@demo.test", demo.Password)
		b.open("/admin/people?q=jordan")
		b.clickAndLoad("open Jordan", chromedp.Search(`//main//a[contains(., "Jordan Lee")]`))
		b.clickAndLoad("open the hire date", chromedp.Search(`//a[contains(., "change, history")]`))
		b.checkPage(axe)
		// and the demographic fields for RAPIDS, from the same page.
		b.open("/admin/people?q=jordan")
		b.clickAndLoad("open Jordan again", chromedp.Search(`//main//a[contains(., "Jordan Lee")]`))
		b.clickAndLoad("open the demographic fields", chromedp.Search(`//a[contains(., "Demographic fields for RAPIDS")]`))
		b.checkPage(axe)
	}
	// Transcribing paper records, from the director's view of Jordan's
	// progress.
	{
		b := newBrowser(t, s, desktop)
		b.login("director@demo.test", demo.Password)
		b.open("/people?q=jordan")
		b.clickAndLoad("open Jordan's progress", chromedp.Search(`//main//table//a[contains(@href, "/enrollments/")]`))
		progress := strings.TrimPrefix(b.location(), s.base)
		b.clickAndLoad("open the transcription", chromedp.Search(`//a[contains(., "Transcribe paper records")]`))
		b.checkPage(axe)
		// The completion page, listing what is left.
		b.open(progress)
		b.clickAndLoad("open the completion", chromedp.Search(`//a[contains(., "Complete the apprenticeship")]`))
		b.mustSee("Not yet: still needed")
		b.checkPage(axe)
	}
	// The point-of-care forms, reached through the preceptor's links.
	b := newBrowser(t, s, tablet)
	b.login("preceptor@demo.test", demo.Password)
	b.clickAndLoad("open Jordan", chromedp.Search(`//a[contains(., "Jordan Lee:")]`))
	b.checkPage(axe)
	path, _, _ := strings.Cut(strings.TrimPrefix(b.location(), s.base), "?")
	// The sign-off page when the rules do not allow it yet (it says why),
	// and when they do (after two observations of emergency response).
	for _, p := range []string{path + "/observe/PHL-VENI", path + "/signoff/SAF-EMERG", path + "/evaluations/1"} {
		b.open(p)
		b.checkPage(axe)
	}
	for i := 0; i < 2; i++ {
		b.open(path + "/observe/SAF-EMERG")
		b.run("all steps met", chromedp.Click(chromedp.Search(`//label[contains(., "All steps met")]`)))
		b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save observation")]`))
		b.checkPage(axe) // the progress page with the confirmation and next actions
	}
	b.open(path + "/observe/SAF-EMERG")
	b.run("start a checklist", chromedp.Click(chromedp.Search(`//label[contains(., "All steps met")]`)))
	b.open(path + "/observe/SAF-EMERG")
	b.mustSee("were kept on this device")
	b.checkPage(axe) // a restored draft
	for _, p := range []string{path + "/signoff/SAF-EMERG", "/review"} {
		b.open(p)
		b.checkPage(axe) // the sign-off form, the queue with an item ready
	}
	// A skills-lab session: the chooser, the recording screen, the results.
	b.open("/sessions/new")
	b.checkPage(axe)
	b.run("choose the competency and everyone", chromedp.SetValue(chromedp.CSS("#s-comp"), "VS-VITALS"),
		eval(`document.querySelectorAll("input[name=e]").forEach(c => c.checked = true); true`))
	b.clickAndLoad("start", chromedp.Search(`//button[contains(., "Start the session")]`))
	b.mustSee("Skills-lab session: ", "Not observed")
	b.noHorizontalScroll()
	b.checkPage(axe)
	b.run("all met for the first", chromedp.Click(chromedp.Search(`(//label[contains(., "All steps met")])[1]`)))
	b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save the session")]`))
	b.mustSee("Recorded 1 observation")
	b.checkPage(axe)
	b.open("/programs")
	b.clickAndLoad("open the program", chromedp.Search(`//a[contains(., "Version 1")]`))
	b.checkPage(axe)

	// The director's version page (jump list, changes) and the cohort move
	// preview.
	d := newBrowser(t, s, desktop)
	d.login("director@demo.test", demo.Password)
	d.open("/programs")
	d.clickAndLoad("open the program", chromedp.Search(`//a[contains(., "Version 1")]`))
	d.checkPage(axe)
	version, _, _ := strings.Cut(strings.TrimPrefix(d.location(), s.base), "?")
	d.open(version + "/move")
	d.checkPage(axe)
	// One apprentice's move page, which needs a newer version: version 2
	// published unchanged, then Jordan's page from the cohort preview.
	d.open(version)
	d.clickAndLoad("start a draft", chromedp.Search(`//button[contains(., "Start a new draft")]`))
	d.run("accept the confirmation", eval(`window.confirm = () => true; true`))
	d.clickAndLoad("publish", chromedp.Search(`//button[contains(., "Publish version 2")]`))
	d.clickAndLoad("preview the move", chromedp.Search(`//a[contains(., "Move them to version 2")]`))
	d.clickAndLoad("open Jordan's move", chromedp.Search(`//main//a[contains(., "Jordan Lee")]`))
	d.mustSee("Move Jordan Lee from version 1 to version 2")
	d.checkPage(axe)
}

// The checklist and sign-off forms work with the keyboard alone: two
// observations of a competency two short (the second through "Record
// another"), then "Sign off now" and the password.
func TestKeyboardOnlyChecklistAndSignOff(t *testing.T) {
	requireChromium(t)
	s := startServer(t, db.SQLite, nil)
	b := newBrowser(t, s, tablet)
	b.login("preceptor@demo.test", demo.Password)
	b.clickAndLoad("open Jordan", chromedp.Search(`//a[contains(., "Jordan Lee:")]`))
	path, _, _ := strings.Cut(strings.TrimPrefix(b.location(), s.base), "?")
	b.open(path + "/observe/SAF-EMERG")
	for round := 1; round <= 2; round++ {
		steps, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("ol.steps-score > li").length`))
		if err != nil || steps == 0 {
			t.Fatalf("no checklist steps: %v", err)
		}
		if round == 1 {
			// Step by step: Tab reaches the next step's first choice (Met);
			// Space selects it. Start at the first step (the date field has
			// its own inner tab stops).
			b.run("focus step 1", eval(`document.querySelector("input[name=step_0][value=met]").focus(); true`), chromedp.KeyEvent(" "))
			for i := 1; i < steps; i++ {
				b.run("step by keyboard", chromedp.KeyEvent("\t"), chromedp.KeyEvent(" "))
			}
		} else {
			// "All steps met" with Space, then Tab on through the steps.
			b.run("focus all met", eval(`document.getElementById("f-all-met").focus(); true`), chromedp.KeyEvent(" "))
			for i := 0; i < steps; i++ {
				b.run("past a step", chromedp.KeyEvent("\t"))
			}
		}
		met, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("input[value=met]:checked").length`))
		if met != steps {
			t.Fatalf("round %d: the keyboard marked %d of %d steps", round, met, steps)
		}
		b.run("to comments and the button", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
		focused, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.textContent.trim()`))
		if focused != "Save observation" {
			t.Fatalf("round %d: after the checklist, Tab reached %q, not the save button", round, focused)
		}
		b.run("mark the load", eval(`window.__sgOld = true`))
		b.run("submit with Enter", chromedp.KeyEvent("\r"))
		b.waitLoad("submit observation")
		b.mustSee("Observation saved: successful")
		// The confirmation has the focus; Tab reaches the next action.
		next := "Record another"
		if round == 2 {
			next = "Sign off now"
		}
		b.run("tab to the next action", chromedp.KeyEvent("\t"))
		if round == 2 {
			b.run("past Record another", chromedp.KeyEvent("\t"))
		}
		focused, _ = chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.textContent.trim()`))
		if !strings.HasPrefix(focused, next) {
			t.Fatalf("round %d: Tab from the confirmation reached %q, not %q", round, focused, next)
		}
		b.run("mark the load", eval(`window.__sgOld = true`))
		b.run("follow with Enter", chromedp.KeyEvent("\r"))
		b.waitLoad(next)
	}
	b.mustSee("I attest that Jordan Lee demonstrated competency in Emergency response")
	b.run("focus the password", eval(`document.getElementById("f-password").focus(); true`))
	b.run("type and submit", chromedp.KeyEvent("not the password"))
	b.run("mark the load", eval(`window.__sgOld = true`))
	b.run("submit with Enter", chromedp.KeyEvent("\r"))
	b.waitLoad("submit sign-off")
	b.mustSee("Your password was not accepted")
	b.run("focus the password", eval(`document.getElementById("f-password").focus(); true`))
	b.run("type and submit", chromedp.KeyEvent(demo.Password))
	b.run("mark the load", eval(`window.__sgOld = true`))
	b.run("submit with Enter", chromedp.KeyEvent("\r"))
	b.waitLoad("submit sign-off")
	b.mustSee("Signed.")
}
