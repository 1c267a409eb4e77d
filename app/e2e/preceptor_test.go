package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
)

// nonCriticalNot is the selector of the "Not met" choice of the first step
// of a checklist that is not critical.
const nonCriticalNot = `//ol[contains(@class,"steps-score")]/li[not(.//*[contains(@class,"status-bad")])][1]//input[@value="not"]`

// Journey: a preceptor on a 768 px tablet works from the queue: verifies
// the apprentice's self-logged venipuncture, records the tenth
// observation (all steps met but one, not critical) and signs the
// competency off, in at most 8 taps plus the password. Before, the card
// offers no "Sign off" and says what is missing; in between, the queue
// lists the competency ready for sign-off.
func TestJourneyPreceptorQueueToSignOff(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		ap := newBrowser(t, s, phone)
		ap.login("apprentice@demo.test", demo.Password)
		ap.open("/progress")
		ap.run("choose venipuncture", chromedp.SetValue(chromedp.CSS("#sl-c"), "PHL-VENI"))
		ap.clickAndLoad("send for verification", chromedp.Search(`//button[contains(., "Send for verification")]`))
		ap.mustSee("Sent for verification")

		b := newBrowser(t, s, tablet)
		b.login("preceptor@demo.test", demo.Password)

		// Not eligible: the card has no "Sign off", and says what is missing.
		b.clickAndLoad("open Jordan", chromedp.Search(`//a[contains(., "Jordan Lee:")]`))
		card, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#c-PHL-VENI")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(card, "2 more observed performances") || !strings.Contains(card, "8 of 10") {
			t.Fatalf("the venipuncture card does not say what is missing:\n%s", card)
		}
		if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#c-PHL-VENI a[href$='/signoff/PHL-VENI']").length`)); n != 0 {
			t.Fatal("the venipuncture card offers a sign-off at 8 of 10")
		}
		b.run("scroll to venipuncture", eval(`document.getElementById("c-PHL-VENI").scrollIntoView(); true`))
		b.shot("not eligible yet")
		b.open("/")

		taps := 0
		tap := func(what string, sel any) { taps++; b.clickAndLoad(what, sel) }
		tapHere := func(what string, sel chromedp.Search) { taps++; b.run(what, chromedp.Click(sel)) }

		tap("open the queue", chromedp.Search(`//a[.="Open the queue"]`))
		b.mustSee("Performances to verify (1)", "Jordan Lee", "Venipuncture")
		small, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("main .button, main button")]
			.filter(e => e.getBoundingClientRect().height < 44).map(e => e.textContent.trim()).join(", ")`))
		if small != "" {
			t.Errorf("queue controls under 44 px tall: %s", small)
		}
		b.noHorizontalScroll()
		b.shot("queue")
		tap("verify the self-log", chromedp.Search(`//section[@aria-labelledby="h-selflogs"]//button[.="Verify"]`))
		b.mustSee("Done.", "Close to sign-off")
		b.shot("queue after verifying")
		tap("record an observation", chromedp.Search(`//section[@aria-labelledby="h-close"]//li[contains(., "Jordan Lee") and contains(., "Venipuncture")]//a[contains(., "Record an observation")]`))
		b.mustSee("Venipuncture: Jordan Lee", "patient-identifying")
		tapHere("all steps met", chromedp.Search(`//label[contains(., "All steps met")]`))
		tapHere("flag one step not met", chromedp.Search(nonCriticalNot))
		met, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("input[value=met]:checked").length`))
		steps, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("ol.steps-score > li").length`))
		if met != steps-1 {
			t.Fatalf("after 'All steps met' and one exception, %d of %d steps are met", met, steps)
		}
		// Gloves: every control of the checklist is at least 44 px tall.
		small, _ = chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("form.checklist-form label.choice, form.checklist-form button, form.checklist-form input[type=date]")]
			.filter(e => e.getBoundingClientRect().height < 44).map(e => e.textContent.trim() || e.name).join(", ")`))
		if small != "" {
			t.Errorf("checklist controls under 44 px tall: %s", small)
		}
		b.noHorizontalScroll()
		b.shot("checklist all met but one")
		tap("save", chromedp.Search(`//button[contains(., "Save observation")]`))
		// The confirmation is in view, with the next action.
		inView, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { const r = document.getElementById("done").getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; })()`))
		if !inView {
			t.Fatal("the confirmation is not in view after saving")
		}
		box, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#done")))
		if !strings.Contains(box, "Observation saved: successful.") || !strings.Contains(box, "Sign off now") || !strings.Contains(box, "Record another") {
			t.Fatalf("the confirmation says %q", box)
		}
		focused, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		if focused != "done" {
			t.Errorf("the focus is on %q, not the confirmation", focused)
		}
		b.shot("saved, sign off offered")

		// Meanwhile the queue lists venipuncture ready for sign-off.
		ready, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch("/review").then(r => r.text()).then(h => {
			const d = new DOMParser().parseFromString(h, "text/html");
			return d.querySelector("section[aria-labelledby=h-ready]").textContent; })`, chromedp.EvalAwaitPromise))
		if err != nil || !strings.Contains(ready, "Jordan Lee") || !strings.Contains(ready, "Venipuncture") {
			t.Fatalf("the queue does not list venipuncture ready for sign-off: %q %v", ready, err)
		}

		tap("sign off now", chromedp.Search(`//div[@id="done"]//a[contains(., "Sign off now")]`))
		b.mustSee("I attest that Jordan Lee demonstrated competency in Venipuncture")
		b.run("type the password", chromedp.SendKeys(chromedp.CSS("#f-password"), demo.Password))
		b.shot("sign-off")
		tap("sign", chromedp.Search(`//button[.="Sign"]`))
		b.mustSee("Signed.", "Priya Raman, RN", "Signature checked")
		if taps > 8 {
			t.Fatalf("%d taps from the queue to the signature; at most 8", taps)
		}
		card, _ = chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#c-PHL-VENI")))
		if strings.Contains(card, "Re-verify") || !strings.Contains(card, "Re-verification not due until") || !strings.Contains(card, "Performances that count (10)") {
			t.Fatalf("after signing, the card says:\n%s", card)
		}
		b.shot("signed")
		t.Logf("%s: %d taps plus the password from home to the signature", dialect, taps)
	})
}

// A checklist being filled survives a reload (kept in the browser), a
// failed send says so and keeps the entries, a send that reached the
// server but whose answer was lost is not recorded twice when sent again,
// and the kept entries are cleared once sent.
func TestChecklistSurvivesReloadAndFailedSend(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		b := newBrowser(t, s, tablet)
		b.login("preceptor@demo.test", demo.Password)
		b.clickAndLoad("open Jordan", chromedp.Search(`//a[contains(., "Jordan Lee:")]`))
		enr, _, _ := strings.Cut(strings.TrimPrefix(b.location(), s.base), "?")
		b.open(enr + "/observe/SAF-EMERG")
		b.run("all met, one exception, a comment",
			chromedp.Click(chromedp.Search(`//label[contains(., "All steps met")]`)),
			chromedp.Click(chromedp.Search(nonCriticalNot)),
			chromedp.SendKeys(chromedp.CSS("#f-comments"), "calm and quick"))
		key, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("input[name=key]").value`))

		b.open(enr + "/observe/SAF-EMERG") // the tablet slept; the page reloads
		b.mustSee("were kept on this device")
		if txt := b.text(); !strings.Contains(txt, "EST were kept") && !strings.Contains(txt, "EDT were kept") {
			t.Errorf("the kept draft's time is not given in the organisation's zone (New York), named:\n%s", txt)
		}
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[document.getElementById("f-all-met").checked,
			document.querySelectorAll("input[value=not]:checked").length, document.getElementById("f-comments").value,
			document.querySelector("input[name=key]").value].join("|")`))
		if state != "true|1|calm and quick|"+key {
			t.Fatalf("after a reload the checklist holds %q, want all met, one exception, the comment and the same key", state)
		}
		b.shot("restored after reload")

		// The network is gone: the send fails with a message, entries kept.
		b.run("lose the network", eval(`window.__realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError("offline")); true`))
		b.run("send", chromedp.Click(chromedp.Search(`//button[contains(., "Save observation")]`)))
		b.run("wait for the message", chromedp.WaitVisible(chromedp.Search(`//*[@id="draft-status" and contains(., "Not sent")]`)))
		b.shot("send failed")
		// The send reaches the server but the answer is lost.
		b.run("lose the answer", eval(`window.fetch = (u, o) => window.__realFetch(u, o).then(() => { throw new TypeError("answer lost"); }); true`))
		b.run("send again", chromedp.Click(chromedp.Search(`//button[contains(., "Save observation")]`)))
		b.run("wait for the message", chromedp.WaitVisible(chromedp.Search(`//*[@id="draft-status" and contains(., "Not sent")]`)))
		// The connection is back: send once more; it is recorded once.
		b.run("network back", eval(`window.fetch = window.__realFetch; window.__sgOld = true; true`))
		b.run("send a third time", chromedp.Click(chromedp.Search(`//button[contains(., "Save observation")]`)))
		b.waitLoad("sent")
		b.mustSee("Observation saved: successful.")
		card, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#c-SAF-EMERG")))
		if !strings.Contains(card, "1 of 2") || !strings.Contains(card, "Performances that count (1)") {
			t.Fatalf("after three sends of one checklist the card says:\n%s", card)
		}
		left, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`Object.keys(localStorage).filter(k => k.startsWith("skillgate-draft:")).length`))
		if left != 0 {
			t.Fatalf("%d drafts left in the browser after the send", left)
		}
		b.open(enr + "/observe/SAF-EMERG")
		if strings.Contains(b.text(), "were kept on this device") {
			t.Fatal("a sent checklist comes back as a draft")
		}
	})
}

// A skills-lab session at 768 px: from the queue, pick a competency and
// two apprentices, record both on one screen (one all met, one with a
// critical step missed), see the results; a second round makes one
// apprentice ready and the results offer that sign-off.
func TestJourneySkillsLabSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		s := startServer(t, dialect, nil)
		b := newBrowser(t, s, tablet)
		b.login("preceptor@demo.test", demo.Password)
		b.open("/review")
		b.clickAndLoad("start a session", chromedp.Search(`//a[contains(., "Start a skills-lab session")]`))
		b.run("choose emergency response, Jordan and Sam", chromedp.SetValue(chromedp.CSS("#s-comp"), "SAF-EMERG"),
			chromedp.Click(chromedp.Search(`//label[contains(., "Jordan Lee")]`)), chromedp.Click(chromedp.Search(`//label[contains(., "Sam Carter")]`)))
		b.shot("chooser")
		b.clickAndLoad("start", chromedp.Search(`//button[contains(., "Start the session")]`))
		b.mustSee("Skills-lab session: Emergency response", "Jordan Lee", "Sam Carter")
		row := func(name string) string {
			return `//fieldset[contains(@class,"session-row")][legend[.="` + name + `"]]`
		}
		b.run("Jordan: all met; Sam: a critical step missed",
			chromedp.Click(chromedp.Search(row("Jordan Lee")+`//label[contains(., "All steps met")]`)),
			chromedp.Click(chromedp.Search(row("Sam Carter")+`//label[contains(., "Some steps not met")]`)),
			chromedp.Click(chromedp.Search(row("Sam Carter")+`//summary`)),
			chromedp.Click(chromedp.Search(row("Sam Carter")+`//li[.//*[contains(@class,"status-bad")]][1]//label`)))
		b.noHorizontalScroll()
		b.shot("one screen, two apprentices")
		b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save the session")]`))
		b.mustSee("Recorded 2 observations: 1 successful", "1 of 2", "0 of 2")
		b.shot("results")

		b.run("Jordan again", chromedp.Click(chromedp.Search(row("Jordan Lee")+`//label[contains(., "All steps met")]`)))
		b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save the session")]`))
		b.mustSee("Recorded 1 observation: 1 successful", "2 of 2")
		b.shot("Jordan ready")
		b.clickAndLoad("sign off Jordan", chromedp.Search(`//section[@id="done"]//a[contains(., "Sign off")]`))
		b.mustSee("I attest that Jordan Lee demonstrated competency in Emergency response")
	})
}
